#!/usr/bin/env bash
# Installs kms-rotation the way each ecosystem does, into empty places, and runs the
# installed `kms-rotation` command line of each on the demo account:
#   cargo install --path kms-rotation-core --features cli     -> <tmp>/cargo/bin/kms-rotation
#   pip install ./kms-rotation-py (maturin, PEP 517) in a fresh venv -> kms-rotation, python -m kms_rotation
#   npm pack in kms-rotation-node, npm install of the tarball in an empty folder
#                                                             -> npx kms-rotation, require(), import
# All of them must print the same report and exit with the same code (2: the demo account
# has failing keys), and print the same --version, the workspace's.
#
# It builds what scripts/test.sh has already built (same target directory, target triple,
# features and dev profile), so nothing is compiled again; release packages are built by
# .github/workflows/release.yml. Needs python3, node >= 20 with npm, and the Rust toolchain;
# the Node package must have been built (scripts/test-node.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
tmp="$repo/target/install-test"
rm -rf "$tmp"
mkdir -p "$tmp"

step() { printf '\n==> %s\n' "$*" >&2; }
fail() {
    echo "error: $*" >&2
    exit 1
}

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
[[ -n "$version" ]] || fail "no version in Cargo.toml"

step "one version, description and license for every package; cargo package"
python3 - "$version" <<'PY'
import json, pathlib, sys, tomllib
version = sys.argv[1]
workspace = tomllib.loads(pathlib.Path("Cargo.toml").read_text())["workspace"]["package"]
core = tomllib.loads(pathlib.Path("kms-rotation-core/Cargo.toml").read_text())["package"]
project = tomllib.loads(pathlib.Path("kms-rotation-py/pyproject.toml").read_text())["project"]
npm = [json.loads(pathlib.Path("kms-rotation-node/package.json").read_text())]
npm += [json.loads(p.read_text()) for p in sorted(pathlib.Path("kms-rotation-node/npm").glob("*/package.json"))]
problems = []
if "version" not in project.get("dynamic", []) and project.get("version") != version:
    problems.append(f"pyproject.toml version {project.get('version')}")
if project["description"] != core["description"]:
    problems.append("pyproject.toml's description differs from the crate's")
if project["license"] != workspace["license"]:
    problems.append("pyproject.toml's license differs from the crate's")
for package in npm:
    for field, want in (("version", version), ("description", core["description"]), ("license", workspace["license"])):
        if package.get(field) != want:
            problems.append(f"{package['name']}: {field} {package.get(field)!r}, not {want!r}")
if not pathlib.Path("CHANGELOG.md").is_file():
    problems.append("no CHANGELOG.md")
if problems:
    sys.exit("error: " + "; ".join(problems))
PY
cargo package --quiet --locked --no-verify -p kms-rotation-core

step "cargo install --path kms-rotation-core --features cli (into $tmp/cargo)"
# test-util: the features the test run built the core with, so the binary is only linked.
cargo install --quiet --locked --path kms-rotation-core --features cli,test-util --debug \
    --target-dir target --root "$tmp/cargo"

step "pip install ./kms-rotation-py in a fresh venv ($tmp/venv)"
python3 -m venv "$tmp/venv"
MATURIN_PEP517_ARGS="--profile dev --features test-util --strip" \
    "$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check ./kms-rotation-py

step "npm pack kms-rotation-node, npm install of the tarball in an empty folder ($tmp/npm)"
# The package as published: its files (package.json "files"), the addon without debug symbols.
stage="$tmp/package"
mkdir -p "$stage"
(cd kms-rotation-node && npm pack --dry-run --json 2>/dev/null) |
    node -e 'for (const f of JSON.parse(require("fs").readFileSync(0))[0].files) console.log(f.path)' |
    while read -r file; do
        mkdir -p "$stage/$(dirname "$file")"
        cp -p "kms-rotation-node/$file" "$stage/$file"
    done
ls "$stage"/*.node >/dev/null 2>&1 || fail "the npm package holds no addon: run scripts/test-node.sh first"
strip --strip-debug "$stage"/*.node
tarball="$(cd "$stage" && npm pack --silent --pack-destination "$tmp")"
mkdir -p "$tmp/npm"
(cd "$tmp/npm" && echo '{"name": "install-test", "private": true}' >package.json &&
    npm install --silent --no-audit --no-fund --offline "$tmp/$tarball")

step "every installed kms-rotation: same version, same report, same exit code"
commands=(
    "cargo|$tmp/cargo/bin/kms-rotation"
    "pip console script|$tmp/venv/bin/kms-rotation"
    "python -m kms_rotation|$tmp/venv/bin/python -m kms_rotation"
    "npm bin|$tmp/npm/node_modules/.bin/kms-rotation"
)
expected=""
for entry in "${commands[@]}"; do
    name="${entry%%|*}"
    read -r -a command <<<"${entry#*|}"
    got_version="$("${command[@]}" --version)"
    [[ "$got_version" == "kms-rotation $version" ]] || fail "$name --version printed '$got_version', not 'kms-rotation $version'"
    code=0
    SOURCE_DATE_EPOCH=1767225600 NO_COLOR=1 "${command[@]}" check --snapshot examples/data/demo-account.json \
        --format json >"$tmp/out.json" 2>"$tmp/err.txt" || code=$?
    [[ "$code" == 2 ]] || fail "$name exited $code, not 2 (a FAIL finding): $(cat "$tmp/err.txt")"
    if [[ -z "$expected" ]]; then
        expected="$(cat "$tmp/out.json")"
        grep -q '"status": "FAIL"' "$tmp/out.json" || fail "$name printed no FAIL finding"
    elif [[ "$(cat "$tmp/out.json")" != "$expected" ]]; then
        diff <(echo "$expected") "$tmp/out.json" | head -20 >&2
        fail "$name printed another report than ${commands[0]%%|*}"
    fi
    # A usage error is exit 1 everywhere, with the bad value named.
    code=0
    "${command[@]}" check --region us-est-1 --snapshot examples/data/demo-account.json >/dev/null 2>"$tmp/err.txt" || code=$?
    [[ "$code" == 1 ]] && grep -q "us-est-1" "$tmp/err.txt" || fail "$name: a bad region gave exit $code: $(cat "$tmp/err.txt")"
    echo "ok: $name ($got_version)" >&2
done

step "the npm package loads with require() and import, with no build step"
(cd "$tmp/npm" && [[ "$(npx --no-install kms-rotation --version)" == "kms-rotation $version" ]] &&
    node -e "const k = require('kms-rotation'); if (typeof k.checkAccount !== 'function' || k.version() !== '$version') process.exit(1)" &&
    node --input-type=module -e "import { checkAccount, version } from 'kms-rotation'; if (typeof checkAccount !== 'function' || version() !== '$version') process.exit(1)") ||
    fail "the installed npm package does not load"
(cd "$tmp/venv" && bin/python -c "import kms_rotation, sys; sys.exit(kms_rotation.__version__ != '$version')") ||
    fail "the installed Python package does not import"
echo "ok: require, import, Python import" >&2
