#!/usr/bin/env bash
# The SARIF output validated by what packages ship (scripts/sarif-test/validate.mjs): the SARIF
# Multitool's `validate` (npm @microsoft/sarif-multitool, a self-contained Linux build) and the
# SARIF 2.1.0 JSON schema inside that package, under ajv. Validates the demo account's SARIF,
# the demo against a baseline (with absent results), the rotation-history snapshot's, the golden
# file, and the organisation SARIF tests/sarif.rs writes (its CARGO_TARGET_TMPDIR, so run
# after cargo test, as scripts/test.sh does). Under CI=1 a validator that cannot be installed or
# run is a failure; otherwise the test is skipped with a warning.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# `--prepare-only` only installs (scripts/test.sh runs it in the background while Rust compiles).
prepare_only=0
[[ "${1:-}" == --prepare-only ]] && prepare_only=1
out=target/sarif-test
mkdir -p "$out"

cannot() {
    if [[ "${CI:-}" == 1 ]]; then
        echo "error: $* (the SARIF validation must run under CI=1)" >&2
        exit 1
    fi
    echo "warning: $*; skipping the SARIF validation (set CI=1 to make this an error)" >&2
    exit 0
}

(cd scripts/sarif-test && { [[ -d node_modules/@microsoft/sarif-multitool ]] || npm ci --no-audit --no-fund --silent; }) ||
    cannot "cannot install the SARIF validators (npm ci in scripts/sarif-test)"
[[ "$prepare_only" == 1 ]] && exit 0

# The features and target scripts/test.sh builds everything with: nothing is compiled again.
cargo build --quiet -p kms-rotation-core --features cli,test-util --bin kms-rotation
cli="target/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug/kms-rotation"
render() { # OUT ARGS...: a check exits 2 when keys fail, as these do
    local file="$1"
    shift
    "$cli" check --format sarif --output "$file" "$@" || [ $? -eq 2 ]
}
render "$out/demo.sarif" --snapshot examples/data/demo-account.json --exempt tag:rotation-exempt=true
render "$out/demo-baseline.sarif" --snapshot examples/data/demo-account.json --exempt tag:rotation-exempt=true \
    --baseline examples/data/demo-baseline.json
render "$out/rotation-history.sarif" --snapshot examples/data/rotation-history.json --max-days-since-rotation 90
files=("$out/demo.sarif" "$out/demo-baseline.sarif" "$out/rotation-history.sarif" kms-rotation-core/tests/golden/demo.sarif)
organization="target/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}tmp/organization.sarif"
if [[ -f "$organization" ]]; then
    files+=("$organization")
elif [[ "${CI:-}" == 1 ]]; then
    echo "error: $organization is missing: run cargo test first (tests/sarif.rs writes it)" >&2
    exit 1
fi
node scripts/sarif-test/validate.mjs "${files[@]}"
