#!/usr/bin/env bash
# Builds and tests the Node package `kms-rotation` (kms-rotation-node/):
#   npm ci from the committed lockfile -> napi build (debug addon) -> the generated
#   index.js / index.d.ts must equal the committed ones -> tsc --noEmit on the
#   TypeScript usage file -> node --test.
# Needs only node >= 20 with npm and the Rust toolchain.
#
# The emulator tests read KMS_ROTATION_MOTO_ENDPOINT; scripts/test.sh starts moto's
# server and exports it. Run alone:
#   eval "$(scripts/moto.sh start)"; scripts/test-node.sh; scripts/moto.sh stop
# Without the endpoint those tests skip with a notice, except under CI, where they fail.
#
# Settings (environment):
#   KMS_ROTATION_NODE_RELEASE=1  test a release build instead (slower to build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../kms-rotation-node"

step() { printf '\n==> %s\n' "$*" >&2; }

step "npm ci (kms-rotation-node)"
npm ci --no-audit --no-fund

committed="$(mktemp -d)"
trap 'rm -rf "$committed"' EXIT
cp index.js index.d.ts "$committed/"

step "napi build (addon, index.js, index.d.ts)"
build_flags=(--platform)
if [[ "${KMS_ROTATION_NODE_RELEASE:-}" == 1 ]]; then
    build_flags+=(--release)
fi
# The tests need no debugger symbols; without them the debug addon links faster.
CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}" npx napi build "${build_flags[@]}"

step "generated index.js and index.d.ts match the committed ones"
stale=0
for file in index.js index.d.ts; do
    if ! diff -u "$committed/$file" "$file"; then
        stale=1
    fi
done
if [[ "$stale" != 0 ]]; then
    echo "error: the generated bindings differ from the committed ones (diff above);" \
        "commit the regenerated kms-rotation-node/index.js and index.d.ts" >&2
    exit 1
fi

step "tsc --noEmit (TypeScript usage against index.d.ts)"
npx tsc --noEmit -p __test__

step "node --test"
node --test __test__/
