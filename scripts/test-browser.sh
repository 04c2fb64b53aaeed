#!/usr/bin/env bash
# The HTML report in a real browser: renders the demo account's report and a generated
# 10,000-key report to HTML, opens them in Debian's headless Chromium (driven by the pinned
# playwright-core in scripts/browser-test/, which downloads no browser) and checks rows,
# filters, chart counts, search, order, render time and that no request leaves the page.
# Writes target/browser-test/report.png (docs/report.png is a copy of it for the README).
# Installs Debian's chromium with apt-get when /usr/bin/chromium is missing; under CI=1 a
# browser that cannot be installed or started is a failure, otherwise the test is skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

chromium=/usr/bin/chromium
# `--prepare-only` only installs (chromium, playwright-core): scripts/test.sh runs it in the
# background while Rust compiles.
prepare_only=0
[[ "${1:-}" == --prepare-only ]] && prepare_only=1
out=target/browser-test
mkdir -p "$out"

cannot() {
    if [[ "${CI:-}" == 1 ]]; then
        echo "error: $* (the browser test must run under CI=1)" >&2
        exit 1
    fi
    echo "warning: $*; skipping the browser test (set CI=1 to make this an error)" >&2
    exit 0
}

if [[ ! -x "$chromium" ]]; then
    echo "installing Debian's chromium (apt-get)" >&2
    sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo -n)
    if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium; } >"$out/apt.log" 2>&1; then
        tail -20 "$out/apt.log" >&2
        cannot "cannot install chromium with apt-get (log: $out/apt.log)"
    fi
fi
"$chromium" --version >/dev/null 2>&1 || cannot "$chromium does not start"
(cd scripts/browser-test && { [[ -d node_modules/playwright-core ]] || npm ci --no-audit --no-fund --silent; })
[[ "$prepare_only" == 1 ]] && exit 0

# The features and target scripts/test.sh builds everything with: nothing is compiled again.
cargo build --quiet -p kms-rotation-core --features cli,test-util --bin kms-rotation
cli="target/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug/kms-rotation"
render() { # SNAPSHOT FORMAT OUT [ARGS...]: a check exits 2 when keys fail, as these do
    local snapshot="$1" format="$2" file="$3"
    shift 3
    SOURCE_DATE_EPOCH=1767225600 "$cli" check --snapshot "$snapshot" --exempt tag:rotation-exempt=true \
        --format "$format" --output "$file" "$@" || [ $? -eq 2 ]
}
render examples/data/demo-account.json html "$out/demo.html"
render examples/data/demo-account.json json "$out/demo.json"
render examples/data/demo-account.json html "$out/baseline.html" --baseline examples/data/demo-baseline.json
render examples/data/demo-account.json json "$out/baseline.json" --baseline examples/data/demo-baseline.json
node scripts/browser-test/big-snapshot.mjs "$out/big-snapshot.json" 10000
render "$out/big-snapshot.json" html "$out/big.html"
render "$out/big-snapshot.json" json "$out/big.json"

cd scripts/browser-test
root=../..
DEMO_HTML="$root/$out/demo.html" DEMO_JSON="$root/$out/demo.json" \
    BIG_HTML="$root/$out/big.html" BIG_JSON="$root/$out/big.json" \
    BASELINE_HTML="$root/$out/baseline.html" BASELINE_JSON="$root/$out/baseline.json" \
    SCREENSHOT="$root/$out/report.png" CHROMIUM="$chromium" \
    node --test report.test.mjs
echo "screenshot: $out/report.png" >&2
