#!/usr/bin/env bash
# Regenerates the command line's golden files (kms-rotation-core/tests/golden/demo.<format>) from the demo
# snapshot. Review the diff before committing: the golden tests never rewrite these themselves.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build -p kms-rotation-core --features cli --bin kms-rotation
cli="target/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug/kms-rotation"
for format in table json csv ocsf asff cloudsploit html markdown junit sarif; do
    SOURCE_DATE_EPOCH=1767225600 NO_COLOR=1 "$cli" check \
        --snapshot examples/data/demo-account.json --exempt tag:rotation-exempt=true \
        --format "$format" --output "kms-rotation-core/tests/golden/demo.$format" || [ $? -eq 2 ]
done
# The same check against an earlier report (examples/data/demo-baseline.json).
for format in table json csv html markdown junit sarif; do
    SOURCE_DATE_EPOCH=1767225600 NO_COLOR=1 "$cli" check \
        --snapshot examples/data/demo-account.json --exempt tag:rotation-exempt=true \
        --baseline examples/data/demo-baseline.json \
        --format "$format" --output "kms-rotation-core/tests/golden/demo-baseline.$format" || [ $? -eq 2 ]
done
git status --short kms-rotation-core/tests/golden
