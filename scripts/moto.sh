#!/usr/bin/env bash
# Runs moto's server as a local KMS emulator for the integration tests.
#
#   eval "$(scripts/moto.sh start)"   # installs moto if needed, starts it, exports KMS_ROTATION_MOTO_ENDPOINT
#   cargo test -p kms-rotation-core --features test-util,cli --test integration aws_moto::
#   scripts/moto.sh stop              # stops the server started by `start` (safe to call twice)
#
# Other commands: `install` (only create the venv), `status` (print the endpoint
# when running, exit 1 otherwise), `env` (print the export line of a running server).
#
# Only `start` and `env` write to stdout, and only shell to evaluate; progress goes to stderr.
#
# Settings (environment):
#   KMS_ROTATION_MOTO_VENV  the venv to install into (default: <repo>/.venv-moto)
#   KMS_ROTATION_MOTO_PORT  the port to listen on (default: a free port)
#   KMS_ROTATION_MOTO_INSTANCE  a name, to run another server beside the default one
#   PYTHON                  the interpreter that creates the venv (default: python3)
set -euo pipefail

# Pinned: the tests know this version's gaps (see shared TOOLCHAIN notes); bump deliberately.
MOTO_VERSION="5.2.5"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${KMS_ROTATION_MOTO_VENV:-$repo_root/.venv-moto}"
# Several servers can run side by side (scripts/test.sh gives each test suite its own):
# each instance name has its own pid, endpoint and log files.
run_dir="$venv/run${KMS_ROTATION_MOTO_INSTANCE:+-$KMS_ROTATION_MOTO_INSTANCE}"
pid_file="$run_dir/moto.pid"
endpoint_file="$run_dir/endpoint"
log_file="$run_dir/moto.log"
python="${PYTHON:-python3}"

say() { echo "moto.sh: $*" >&2; }

install() {
    if [[ -x "$venv/bin/moto_server" ]] &&
        [[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" == "$MOTO_VERSION" ]]; then
        return 0
    fi
    say "installing moto[server]==$MOTO_VERSION into $venv"
    "$python" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "moto[server]==$MOTO_VERSION" >&2
}

running_pid() {
    [[ -f "$pid_file" ]] || return 1
    local pid
    pid="$(cat "$pid_file")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    # A stale pid file must not make us signal an unrelated process that reuses the id.
    if [[ -r "/proc/$pid/cmdline" ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q moto_server; then
        return 1
    fi
    echo "$pid"
}

free_port() {
    "$venv/bin/python" - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Waits until the server answers HTTP (any status), or its process dies, or 30 s pass.
wait_ready() {
    local pid="$1" endpoint="$2"
    "$venv/bin/python" - "$pid" "$endpoint" <<'PY'
import os, sys, time, urllib.request, urllib.error
pid, endpoint = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("moto_server exited during start-up")
    try:
        urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # an HTTP answer of any kind means it is serving
    except OSError:
        time.sleep(0.1)
sys.exit("moto_server did not answer within 30 s")
PY
}

start() {
    install
    mkdir -p "$run_dir"
    local pid
    if pid="$(running_pid)"; then
        say "already running (pid $pid)"
        print_env
        return 0
    fi
    # A free port can be taken between choosing and binding it: try a few.
    local attempt endpoint port
    for attempt in 1 2 3; do
        port="${KMS_ROTATION_MOTO_PORT:-$(free_port)}"
        endpoint="http://127.0.0.1:$port"
        # stdin/stdout/stderr detached so that `eval "$(scripts/moto.sh start)"` returns at once.
        setsid "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$log_file" 2>&1 &
        pid=$!
        echo "$pid" >"$pid_file"
        echo "$endpoint" >"$endpoint_file"
        if wait_ready "$pid" "$endpoint"; then
            break
        fi
        say "start attempt $attempt failed; log follows"
        cat "$log_file" >&2 || true
        stop
        if [[ $attempt == 3 || -n "${KMS_ROTATION_MOTO_PORT:-}" ]]; then
            return 1
        fi
    done
    say "moto $MOTO_VERSION serving on $endpoint (pid $pid, log $log_file)"
    print_env
}

print_env() {
    echo "export KMS_ROTATION_MOTO_ENDPOINT=$(cat "$endpoint_file")"
}

stop() {
    local pid
    if pid="$(running_pid)"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
        say "stopped (pid $pid)"
    fi
    rm -f "$pid_file" "$endpoint_file"
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status)
        if pid="$(running_pid)"; then
            say "running (pid $pid)"
            cat "$endpoint_file"
        else
            say "not running"
            exit 1
        fi
        ;;
    env)
        running_pid >/dev/null || { say "not running"; exit 1; }
        print_env
        ;;
    *)
        echo "usage: $0 install|start|stop|status|env" >&2
        exit 2
        ;;
esac
