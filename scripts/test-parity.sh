#!/usr/bin/env bash
# Cross-binding parity: the same inputs (scripts/parity/cases.json) through the
# Python package, the Node package and the CLI must give the same canonical
# report JSON, or the same error kind, argument and named bad value. The
# declaration cases read CDK stacks synthesised here by aws-cdk-lib (offline, one
# node process: kms-rotation-node/__test__/cdk/synth.mjs) into target/parity-cdk.out,
# and every CloudFormation template they read passes cfn-lint (from the test venv).
#   run.py  (Python, the wheel installed in .venv-py-test by scripts/test-python.sh)
#   run.mjs (Node, the addon built in kms-rotation-node/ by scripts/test-node.sh)
#   compare.py (runs the CLI for the cases that give `cli` arguments, and compares)
# scripts/test.sh runs it after those two; alone, run them first. Takes seconds.
#
# Settings (environment):
#   KMS_ROTATION_PY_VENV  the venv with kms_rotation installed (default: <repo>/.venv-py-test)
#   KMS_ROTATION_CLI      the kms-rotation binary (default: target/[$CARGO_BUILD_TARGET/]debug/kms-rotation,
#                         which `cargo test --workspace` builds; built here when missing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv="${KMS_ROTATION_PY_VENV:-$(pwd)/.venv-py-test}"
cli="${KMS_ROTATION_CLI:-$(pwd)/target/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug/kms-rotation}"
if [[ ! -x "$cli" ]]; then
    # The features scripts/test.sh builds everything with, so nothing is compiled twice.
    cargo build --locked --quiet -p kms-rotation-core --features cli,test-util --bin kms-rotation
fi

# Linted as the Python package is (its ruff settings); the cache stays in the venv.
export RUFF_CACHE_DIR="$venv/cache/ruff"
"$venv/bin/ruff" check --quiet --config kms-rotation-py/pyproject.toml scripts/parity
"$venv/bin/ruff" format --quiet --check --config kms-rotation-py/pyproject.toml scripts/parity

rm -rf target/parity-cdk.out
node kms-rotation-node/__test__/cdk/synth.mjs target/parity-cdk.out
"$venv/bin/cfn-lint" kms-rotation-core/tests/iac/cloudformation/*.yaml kms-rotation-core/tests/iac/cloudformation/*.json \
    target/parity-cdk.out/*.template.json

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for attempt in 1 2; do
    "$venv/bin/python" scripts/parity/run.py scripts/parity/cases.json "$out/python.jsonl"
    node scripts/parity/run.mjs scripts/parity/cases.json "$out/node.jsonl"
    status=0
    "$venv/bin/python" scripts/parity/compare.py scripts/parity/cases.json "$out/python.jsonl" "$out/node.jsonl" "$cli" ||
        status=$?
    # 75: the UTC date changed between the doors' runs of a clock-dependent case.
    if [[ "$status" != 75 || "$attempt" == 2 ]]; then
        exit "$status"
    fi
done
