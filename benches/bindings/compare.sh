#!/usr/bin/env bash
# Times the same offline scan (10,000 keys) from Rust, Python and Node and prints
# each median with its ratio to Rust. Needs the Python test venv and the Node addon
# that scripts/test.sh builds (or scripts/test-python.sh and scripts/test-node.sh).
# The Rust side is a release build; the wheel and the addon are whatever those
# scripts built (debug by default: MATURIN_PROFILE=release and
# KMS_ROTATION_NODE_RELEASE=1 build optimized ones, which is what users install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
file="$(pwd)/target/bench-data/snapshot-10000.json"
mkdir -p "$(dirname "$file")"
cargo bench -q -p benches --bench binding_overhead -- --write "$file" >/dev/null
rust=$(cargo bench -q -p benches --bench binding_overhead -- "$file" | awk '/^rust/ {print $2}')
python=$(.venv-py-test/bin/python benches/bindings/scan.py "$file" | awk '{print $2}')
node=$(node benches/bindings/scan.mjs "$file" | awk '{print $2}')
printf '| language | median ms | ratio to Rust |\n|---|---|---|\n'
for pair in "Rust $rust" "Python $python" "Node $node"; do
    set -- $pair
    awk -v name="$1" -v ms="$2" -v rust="$rust" 'BEGIN { printf "| %s | %s | %.2f |\n", name, ms, ms / rust }'
done
