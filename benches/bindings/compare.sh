#!/usr/bin/env bash
# Times the same offline scan (10,000 keys) from Rust, Python and Node and prints
# each median with its ratio to Rust. Needs the Python test venv and the Node addon
# that scripts/test.sh builds (or scripts/test-python.sh and scripts/test-node.sh).
# The Rust side is a release build; the wheel and the addon are whatever those
# scripts built (debug by default: MATURIN_PROFILE=release and
# KMS_ROTATION_NODE_RELEASE=1 build optimized ones, which is what users install).
#
# ROUNDS=N (default 1) runs the three N times, interleaved, so that a loaded
# machine slows all three alike; each round is the median of RUNS (default 5)
# scans. Printed: one line per round, then the median over the rounds of each
# language, its ratio to Rust's, and the lowest and highest per-round ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
file="$(pwd)/target/bench-data/snapshot-10000.json"
rounds="${ROUNDS:-1}"
mkdir -p "$(dirname "$file")"
# The bench's executable, built once (cargo's own start-up stays out of the rounds).
rust_bench=$(cargo bench -q -p benches --bench binding_overhead --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*"' | cut -d'"' -f4)
"$rust_bench" --write "$file" 2>/dev/null
results="$(mktemp)"
trap 'rm -rf "$results"' EXIT
for round in $(seq "$rounds"); do
    # Each prints its phases to stderr, kept for the reader.
    rust=$("$rust_bench" "$file" | awk '/^rust/ {print $2}')
    python=$(.venv-py-test/bin/python benches/bindings/scan.py "$file" | awk '{print $2}')
    # --expose-gc: scan.mjs frees each run's results after its clock stops, as the
    # Rust and Python runs do.
    node=$(node --expose-gc benches/bindings/scan.mjs "$file" | awk '{print $2}')
    echo "$round $rust $python $node" | tee -a "$results" |
        awk '{ printf "round %d: Rust %s, Python %s (%.2f), Node %s (%.2f)\n", $1, $2, $3, $3 / $2, $4, $4 / $2 }' >&2
done
sort_median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rust=$(awk '{print $2}' "$results" | sort_median)
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| language | median ms | ratio to Rust | per-round ratios (min–max) |\n|---|---|---|---|\n'
printf '| Rust | %s | 1.00 | |\n' "$rust"
for column in 3:Python 4:Node; do
    index="${column%%:*}"
    median=$(awk -v i="$index" '{print $i}' "$results" | sort_median)
    range=$(awk -v i="$index" '{print $i / $2}' "$results" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f–%.2f", lo, hi}')
    awk -v name="${column#*:}" -v ms="$median" -v rust="$rust" -v range="$range" \
        'BEGIN { printf "| %s | %s | %.2f | %s |\n", name, ms, ms / rust, range }'
done
