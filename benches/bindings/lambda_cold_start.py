"""The Rust Lambda binary's cold start, and its time per event, on moto's KMS:
a stand-in for Lambda's Runtime API (``/2018-06-01/runtime/invocation/next``,
``.../response``, ``.../error``) serves an EventBridge ``KMS CMK Rotation`` event
for a key made in a fresh moto account; the binary
(``kms-rotation-lambda``, deployed as ``bootstrap``) is started afresh each
round with the environment Lambda gives it (``AWS_LAMBDA_RUNTIME_API``,
``AWS_REGION``, the role's credentials, ``AWS_ENDPOINT_URL`` for moto).

Timed per round: init (exec until it asks for its first event), the first
(cold) event, and the second (warm) one. Prints one JSON line per round and
the medians.

Usage (moto running: eval "$(scripts/moto.sh start)"):
    cargo build --release -p kms-rotation-core --features lambda --bin kms-rotation-lambda
    .venv-py-test/bin/python benches/bindings/lambda_cold_start.py target/release/kms-rotation-lambda
(ROUNDS=N, default 5). The binary is the handler's only process: this also
checks that it answers an event end to end.
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3

HOME = "us-east-1"


class RuntimeApi(BaseHTTPRequestHandler):
    """Lambda's Runtime API, for one process: the same event, twice; then it holds."""

    protocol_version = "HTTP/1.1"
    event: bytes = b""
    marks: ClassVar[list[tuple[str, float, bytes]]] = []
    served = 0
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def reply(
        self, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with RuntimeApi.lock:
            RuntimeApi.marks.append(("next", time.perf_counter(), b""))
            RuntimeApi.served += 1
            served = RuntimeApi.served
        if served > 2:
            time.sleep(30)  # the round is over: the process is killed meanwhile
            return
        deadline = int((time.time() + 60) * 1000)
        self.reply(
            200,
            RuntimeApi.event,
            {
                "Lambda-Runtime-Aws-Request-Id": str(uuid.uuid4()),
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn": RuntimeApi.function_arn,  # type: ignore[attr-defined]
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
            },
        )

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        kind = "response" if self.path.endswith("/response") else "error"
        with RuntimeApi.lock:
            RuntimeApi.marks.append((kind, time.perf_counter(), body))
        self.reply(202, b"{}")


def main() -> None:
    binary = sys.argv[1]
    endpoint = os.environ["KMS_ROTATION_MOTO_ENDPOINT"]
    rounds = int(os.environ.get("ROUNDS", "5"))
    account = f"{uuid.uuid4().int % 900_000_000_000 + 100_000_000_000:012d}"
    sts = boto3.client("sts", region_name=HOME, endpoint_url=endpoint)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/Bench", RoleSessionName="bench"
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    kms = session.client("kms", region_name=HOME, endpoint_url=endpoint)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key)
    RuntimeApi.event = json.dumps(
        {
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "KMS CMK Rotation",
            "source": "aws.kms",
            "account": account,
            "time": "2026-12-06T21:05:33Z",
            "region": HOME,
            "resources": [f"arn:aws:kms:{HOME}:{account}:key/{key}"],
            "detail": {"key-id": key},
        }
    ).encode()
    RuntimeApi.function_arn = f"arn:aws:lambda:{HOME}:{account}:function:kms-rotation"  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "kms-rotation",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/kms-rotation",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": HOME,
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    rows = []
    for _ in range(rounds):
        RuntimeApi.marks, RuntimeApi.served = [], 0
        started = time.perf_counter()
        process = subprocess.Popen(
            [binary], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while (
            sum(1 for m in RuntimeApi.marks if m[0] in ("response", "error")) < 2
            and time.monotonic() < deadline
        ):
            time.sleep(0.002)
        process.kill()
        _, stderr = process.communicate()
        marks = RuntimeApi.marks
        answers = [m for m in marks if m[0] in ("response", "error")]
        nexts = [m for m in marks if m[0] == "next"]
        if len(answers) < 2 or any(kind == "error" for kind, _, _ in answers):
            sys.exit(
                f"the binary did not answer two events: {marks!r}\n{stderr.decode()[-2000:]}"
            )
        summary = json.loads(answers[0][2])
        assert [f["status"] for f in summary["findings"]] == ["PASS"], summary
        row = {
            "init_ms": (nexts[0][1] - started) * 1000,
            "first_event_ms": (answers[0][1] - nexts[0][1]) * 1000,
            "warm_event_ms": (answers[1][1] - nexts[1][1]) * 1000,
        }
        rows.append(row)
        print(json.dumps({k: round(v, 1) for k, v in row.items()}))
    medians = {k: round(statistics.median(r[k] for r in rows), 1) for k in rows[0]}
    print(
        json.dumps(
            {"median": medians, "rounds": rounds, "load_average": os.getloadavg()}
        )
    )
    server.shutdown()


if __name__ == "__main__":
    main()
