#!/usr/bin/env bash
# Tests the Python package `kms-rotation` (kms-rotation-py/) the way a user gets it:
#   1. creates a fresh venv (.venv-py-test/) with pinned test tools,
#   2. lints the Python sources (ruff check, ruff format --check),
#   3. builds the wheel with maturin (dev profile, the workspace's target/) and installs it,
#   4. checks the type stub against the installed module (mypy.stubtest),
#   5. runs pytest on kms-rotation-py/tests.
#
# Needs only python3 and the Rust toolchain. The emulator tests read moto's server
# endpoint from KMS_ROTATION_MOTO_ENDPOINT (`eval "$(scripts/moto.sh start)"`, as
# scripts/test.sh does); without it they skip, except under CI, where they fail.
#
# Settings (environment):
#   KMS_ROTATION_PY_VENV   the venv to create (default: <repo>/.venv-py-test); it is deleted first
#   PYTHON                 the interpreter that creates the venv (default: python3)
#   MATURIN_PROFILE        the cargo profile of the wheel (default: dev; "release" for an optimized one)
#   Extra arguments are passed to pytest (e.g. -k moto -x).
#
# Phases: `--prepare-only` only creates the venv (network, little CPU: scripts/test.sh runs
# it in the background while Rust compiles); `--skip-prepare` uses the venv a preceding
# `--prepare-only` made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

# Pinned: bump deliberately. moto is the version scripts/moto.sh serves (the tests know
# its gaps); without the [server] extra, which only the server needs (it halves the install).
PINS=(
    "maturin==1.16.0"
    "pytest==9.2.0"
    "boto3==1.44.8"
    "moto==5.2.5"
    "ruff==0.17.6"
    "mypy==2.4.1"
    # Lints the CloudFormation templates: the continuous-evaluation template (tests) and every
    # template the declaration tests read (scripts/test-parity.sh).
    "cfn-lint==1.58.0"
)

venv="${KMS_ROTATION_PY_VENV:-$repo_root/.venv-py-test}"
python="${PYTHON:-python3}"
profile="${MATURIN_PROFILE:-dev}"
package="$repo_root/kms-rotation-py"
wheel_dir="$repo_root/target/wheels-py-test"

# Tool caches live in the venv, not in the source tree.
export RUFF_CACHE_DIR="$venv/cache/ruff"
export PYTHONPYCACHEPREFIX="$venv/cache/pycache"

step() { printf '\n==> %s\n' "$*" >&2; }
elapsed() { echo "$(($(date +%s) - $1))s"; }

phase=all
case "${1:-}" in
--prepare-only) phase=prepare; shift ;;
--skip-prepare) phase=run; shift ;;
esac

if [[ "$phase" != run ]]; then
    step "fresh venv $venv"
    started=$(date +%s)
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
    echo "venv ready in $(elapsed "$started")" >&2
    [[ "$phase" == prepare ]] && exit 0
fi
[[ -x "$venv/bin/maturin" ]] || { echo "error: no prepared venv at $venv (run with --prepare-only first)" >&2; exit 1; }

step "ruff (lint and format)"
"$venv/bin/ruff" check "$package"
"$venv/bin/ruff" format --check "$package"

step "maturin build (profile $profile)"
started=$(date +%s)
rm -rf "$wheel_dir"
# With the core's test-util feature, as `cargo test --workspace` builds it: the wheel
# reuses the workspace's compiled crates instead of building the SDK again.
"$venv/bin/maturin" build --locked --profile "$profile" --features test-util \
    --manifest-path "$package/Cargo.toml" --interpreter "$venv/bin/python" --out "$wheel_dir"
wheels=("$wheel_dir"/kms_rotation-*.whl)
echo "built ${wheels[0]##*/} in $(elapsed "$started")" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "${wheels[0]}"

# From outside the source tree, so that the installed package is what gets imported.
cd "$package/tests"

step "mypy.stubtest (the .pyi against the installed module)"
"$venv/bin/python" -m mypy.stubtest kms_rotation \
    --mypy-config-file "$package/stubtest.ini" --allowlist "$package/stubtest-allowlist.txt"

step "pytest"
"$venv/bin/python" -m pytest -p no:cacheprovider "$package/tests" "$@"
