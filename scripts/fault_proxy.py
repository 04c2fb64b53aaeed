#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of moto's server, for the reliability tests.

    python3 scripts/fault_proxy.py --upstream http://127.0.0.1:PORT --port 0

prints ``PORT`` of its own on the first line of stdout once it listens, then
serves until killed. Every AWS JSON request (``X-Amz-Target: TrentService.<Op>``)
is forwarded to the upstream emulator unless a configured fault applies.
Faults are set with ``POST /__faults`` (a JSON list replacing the current one)
and the calls seen are read with ``GET /__calls``. A fault is an object:

    {"op": "GetKeyRotationStatus",          # operation (or "*"); required
     "action": "throttle",                  # see ACTIONS below; required
     "seconds": 5,                          # active for this long after it is set (default: forever)
     "times": 3,                            # or only for the first N matching calls
     "key": "alias-or-key-id-substring",    # only requests whose KeyId (STS: RoleArn) contains this
     "region": "eu-west-1",                 # only requests signed for this region
     "status": 503, "delay": 30}            # action parameters

ACTIONS: throttle (400 ThrottlingException), error (400 with "code"), http5xx
("status"), reset (close the connection without an answer), hang (sleep
"delay" seconds, then forward), cut (forward, then send half the body), garble
(forward, then send a body that is not JSON), empty (200 with an empty body),
drop_field (forward, then remove "field" from the JSON answer), set_field
(forward, then set "field" to "value"), cycle_markers (ListKeys: answer two
alternating markers forever), duplicate_keys (ListKeys: list every key twice),
echo_headers (forward, then put the request's headers into the answer's
error message: an endpoint that echoes what it was sent), tokens (a JSON
listing, Organizations' ListAccounts, ListAccountsForParent,
ListOrganizationalUnitsForParent: forward without the request's NextToken,
then answer with "pattern": "cycle" — NextToken tok-0, tok-1, … and back to
tok-0 after "distance" pages —, "repeat" — the same NextToken forever —,
"empty_first" — an empty first page whose NextToken leads to the real one —,
or "split" — one entry a page, each page also repeating the previous page's
entry, every page but the last with a NextToken), answer (200 with
"body", without forwarding: an operation the emulator lacks, such as Account's
ListRegions), expire_in (forward, then set an STS answer's credentials to
expire "seconds" from now), credentials (forward, then set an STS answer's
"SecretAccessKey" and "SessionToken" to the values given: known canaries for
the log tests; moto keys accounts by the access key id, which stays), merge
(forward, then merge "value" — an object — into the JSON answer, object by
object: e.g. {"KeyMetadata": {"ValidTo": 1767225600, "ExpirationModel":
"KEY_MATERIAL_EXPIRES", "CurrentKeyMaterialId": "…"}} gives a DescribeKey
answer the imported-material facts moto does not model), last_usage (KMS's
GetKeyLastUsage, which moto 5.2.5 lacks, answered without forwarding in the
documented shape — {"KeyId", "KeyLastUsage": {"Operation", "Timestamp",
"CloudTrailEventId", "KmsRequestId"}, "TrackingStartDate", "KeyCreationDate"} —
for the request's KeyId, from the fault's "operation", "timestamp",
"tracking_start_date" and "key_creation_date" (epoch seconds); without
"timestamp" the key was not used since tracking began and "KeyLastUsage" is
absent), failed_findings (Security Hub's BatchImportFindings: answer 200 with every
finding of the request in FailedFindings with "code", without forwarding).
ListKeyRotations with IncludeKeyMaterial=ALL_KEY_MATERIAL (which moto
ignores) is answered with "answer" and a "key" filter.

AWS Config's ``PutEvaluations`` and ``GetResourceConfigHistory`` (moto takes
the first only in test mode, and keeps no history of KMS keys) are answered
by the proxy itself unless a fault applies: ``PutEvaluations`` accepts every
evaluation, ``GetResourceConfigHistory`` answers the items set with ``POST
/__config_items`` (a JSON list of items in the API's shape, matched by
``resourceId``; none: an empty history). Each such request, and the answer
given, is recorded and read back with ``GET /__config`` (cleared, like the
calls, when faults are set). The action failed_evaluations answers
``PutEvaluations`` with its evaluations (the first "count", default all) as
``FailedEvaluations``.

Security Hub (REST-JSON) is matched by its paths: ``POST /findings/import``
BatchImportFindings, ``POST /findings`` GetFindings, ``PATCH
/findings/batchupdate`` BatchUpdateFindings — which moto lacks, so the proxy
answers it itself (every finding processed) and records each request's
finding ids and workflow in ``/__calls`` (``ids``, ``workflow``), as it
records the ids of each BatchImportFindings.

Query-protocol requests (STS: a form body with ``Action=AssumeRole``) are
matched by their ``Action`` (never by ``"op": "*"``), and an ``error`` answers them in STS's XML shape;
JSON-protocol requests of other services (Organizations) by their target;
REST-JSON requests (Account: ``POST /listRegions``) by their path, capitalised
(``ListRegions``), never by ``"op": "*"`` either.

Stdlib only; it binds 127.0.0.1 and is stopped by its PID.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
FAULTS: list[dict] = []
CALLS: list[dict] = []
CONFIG_OPS = ("PutEvaluations", "GetResourceConfigHistory")
CONFIG_REQUESTS: list[dict] = []
CONFIG_ITEMS: list[dict] = []
UPSTREAM: urllib.parse.SplitResult


def region_of(headers) -> str:
    auth = headers.get("Authorization", "")
    match = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", auth)
    return match.group(1) if match else ""


def matching_fault(op: str, region: str, body: dict, query: bool = False) -> dict | None:
    now = time.monotonic()
    key = str(body.get("KeyId", body.get("RoleArn", "")))
    with LOCK:
        for fault in FAULTS:
            if fault.get("op") not in ("*", op):
                continue
            # "*" means every KMS call: STS (query protocol) only by name.
            if query and fault.get("op") == "*":
                continue
            if fault.get("region") and fault["region"] != region:
                continue
            if fault.get("key") and fault["key"] not in key:
                continue
            if "seconds" in fault and now - fault["_set"] > fault["seconds"]:
                continue
            if "times" in fault:
                if fault["times"] <= 0:
                    continue
                fault["times"] -= 1
            return dict(fault)
    return None


def paged(answer: dict, fault: dict, token: str | None) -> dict:
    """A listing's answer re-paged as the "tokens" fault's pattern says."""
    field = next((f for f in ("Accounts", "OrganizationalUnits", "Regions") if isinstance(answer.get(f), list)), None)
    items = answer.get(field, []) if field else []
    pattern = fault.get("pattern", "repeat")
    answer.pop("NextToken", None)
    if pattern == "cycle":
        distance = int(fault.get("distance", 2))
        index = int(token.rsplit("-", 1)[1]) if token and token.startswith("tok-") else -1
        answer["NextToken"] = f"tok-{(index + 1) % distance}"
    elif pattern == "repeat":
        answer["NextToken"] = "same-token"
    elif pattern == "empty_first" and token is None:
        if field:
            answer[field] = []
        answer["NextToken"] = "page-2"
    elif pattern == "split" and field:
        index = int(token.rsplit("-", 1)[1]) if token and token.startswith("split-") else 0
        page = items[index : index + 1] + (items[index - 1 : index] if index > 0 else [])
        answer[field] = page
        if index + 1 < len(items):
            answer["NextToken"] = f"split-{index + 1}"
    return answer


def merge(answer: dict, value: dict) -> None:
    """Merges ``value`` into ``answer``: objects member by member, anything else replaced."""
    for name, member in value.items():
        if isinstance(member, dict) and isinstance(answer.get(name), dict):
            merge(answer[name], member)
        else:
            answer[name] = member


def last_usage_answer(fault: dict, body: dict) -> dict:
    """GetKeyLastUsage's documented answer for the request's KeyId."""
    answer: dict = {"KeyId": body.get("KeyId")}
    if "timestamp" in fault:
        used = {"Operation": fault.get("operation", "Decrypt"), "Timestamp": fault["timestamp"]}
        used["CloudTrailEventId"] = fault.get("cloudtrail_event_id", "00000000-0000-0000-0000-000000000000")
        used["KmsRequestId"] = fault.get("kms_request_id", "11111111-1111-1111-1111-111111111111")
        answer["KeyLastUsage"] = used
    for field, name in (("tracking_start_date", "TrackingStartDate"), ("key_creation_date", "KeyCreationDate")):
        if field in fault:
            answer[name] = fault[field]
    return answer
# Security Hub's REST paths, by method and path.
SECURITY_HUB_PATHS = {
    ("POST", "/findings/import"): "BatchImportFindings",
    ("POST", "/findings"): "GetFindings",
    ("PATCH", "/findings/batchupdate"): "BatchUpdateFindings",
}


def security_hub_ids(op: str, body: dict) -> list[str] | None:
    """The finding ids a Security Hub batch call names, for the call log."""
    if op == "BatchImportFindings":
        return [str(f.get("Id", "")) for f in body.get("Findings", [])]
    if op == "BatchUpdateFindings":
        return [str(f.get("Id", "")) for f in body.get("FindingIdentifiers", [])]
    return None


def aws_error(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


def query_error(code: str, message: str) -> bytes:
    from xml.sax.saxutils import escape

    return (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        "</Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    ).encode()


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def forward(self, raw: bytes) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        headers["Host"] = f"{UPSTREAM.hostname}:{UPSTREAM.port}"
        connection.request(self.command, self.path, body=raw, headers=headers)
        response = connection.getresponse()
        data = response.read()
        kept = {
            k: v
            for k, v in response.getheaders()
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-type", "server", "date")
        }
        connection.close()
        return response.status, kept, data

    def do_GET(self) -> None:
        if self.path == "/__calls":
            with LOCK:
                body = json.dumps(CALLS).encode()
            self.answer(200, body)
            return
        if self.path == "/__config":
            with LOCK:
                body = json.dumps(CONFIG_REQUESTS).encode()
            self.answer(200, body)
            return
        self.relay(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path == "/__faults":
            faults = json.loads(raw or b"[]")
            now = time.monotonic()
            for fault in faults:
                fault["_set"] = now
            with LOCK:
                FAULTS[:] = faults
                CALLS.clear()
                CONFIG_REQUESTS.clear()
            self.answer(200, b"{}")
            return
        if self.path == "/__config_items":
            with LOCK:
                CONFIG_ITEMS[:] = json.loads(raw or b"[]")
            self.answer(200, b"{}")
            return
        self.relay(raw)

    def config_answer(self, op: str, region: str, body: dict, fault: dict | None) -> None:
        """Answers a Config operation itself, recording the request and the answer."""
        if op == "PutEvaluations":
            evaluations = body.get("Evaluations", [])
            failed = []
            if fault and fault["action"] == "failed_evaluations":
                failed = evaluations[: int(fault.get("count", len(evaluations)))]
            answer = {"FailedEvaluations": failed}
        else:
            with LOCK:
                items = [i for i in CONFIG_ITEMS if i.get("resourceId") == body.get("resourceId")]
            answer = {"configurationItems": items[-1:]}
        with LOCK:
            CONFIG_REQUESTS.append({"op": op, "region": region, "request": body, "answer": answer})
        self.answer(200, json.dumps(answer).encode())

    def do_PATCH(self) -> None:
        length = int(self.headers.get("Content-Length", "0") or 0)
        self.relay(self.rfile.read(length) if length else b"")

    def relay(self, raw: bytes) -> None:
        target = self.headers.get("X-Amz-Target", "")
        op = target.split(".", 1)[1] if "." in target else ""
        query = "x-www-form-urlencoded" in self.headers.get("Content-Type", "")
        path = self.path.split("?", 1)[0]
        security_hub = SECURITY_HUB_PATHS.get((self.command, path.rstrip("/") or "/"))
        rest = not op and not query and (security_hub is not None or re.fullmatch(r"/[a-z][A-Za-z]+", path) is not None)
        if security_hub:
            op = security_hub
        elif rest:
            name = path[1:]
            op = name[0].upper() + name[1:]
        try:
            if query:
                body = dict(urllib.parse.parse_qsl(raw.decode()))
                op = body.get("Action", "")
            else:
                body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        region = region_of(self.headers)
        fault = matching_fault(op, region, body, query or rest) if op else None
        with LOCK:
            CALLS.append(
                {
                    "op": op,
                    "region": region,
                    "key": body.get("KeyId", body.get("RoleArn")),
                    "token": body.get("NextToken"),
                    "fault": (fault or {}).get("action"),
                    "include": body.get("IncludeKeyMaterial"),
                    **(
                        {"ids": security_hub_ids(op, body), "workflow": (body.get("Workflow") or {}).get("Status")}
                        if security_hub_ids(op, body) is not None
                        else {}
                    ),
                }
            )
        if op in CONFIG_OPS and (fault is None or fault["action"] == "failed_evaluations"):
            self.config_answer(op, region, body, fault)
            return
        if fault is None and op == "BatchUpdateFindings":
            # moto has no BatchUpdateFindings: every finding named is processed.
            processed = body.get("FindingIdentifiers", [])
            self.answer(200, json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": []}).encode())
            return
        if fault is None:
            status, headers, data = self.forward(raw)
            self.answer(status, data, headers)
            return
        action = fault["action"]
        if action == "throttle":
            self.answer(400, aws_error("ThrottlingException", "Rate exceeded"))
        elif action == "error" and query:
            body = query_error(fault["code"], fault.get("message", "injected"))
            self.send_response(fault.get("status", 403))
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif action == "error":
            self.answer(fault.get("status", 400), aws_error(fault["code"], fault.get("message", "injected")))
        elif action == "http5xx":
            self.answer(fault.get("status", 503), b"<html>Service Unavailable</html>")
        elif action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
        elif action == "hang":
            time.sleep(fault.get("delay", 30))
            status, headers, data = self.forward(raw)
            self.answer(status, data, headers)
        elif action == "empty":
            self.answer(200, b"")
        elif action == "answer":
            self.answer(200, json.dumps(fault.get("body", {})).encode())
        elif action == "last_usage":
            self.answer(200, json.dumps(last_usage_answer(fault, body)).encode())
        elif action == "failed_findings":
            failed = [
                {"Id": f.get("Id", ""), "ErrorCode": fault.get("code", "InternalFailure"), "ErrorMessage": "injected"}
                for f in body.get("Findings", [])
            ]
            self.answer(200, json.dumps({"FailedCount": len(failed), "SuccessCount": 0, "FailedFindings": failed}).encode())
        elif action in ("expire_in", "credentials"):
            status, headers, data = self.forward(raw)
            if action == "expire_in":
                at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + fault.get("seconds", 0)))
                data = re.sub(rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{at}</Expiration>".encode(), data)
            else:
                for field in ("SecretAccessKey", "SessionToken"):
                    element = f"<{field}>{fault[field]}</{field}>".encode()
                    data = re.sub(rf"<{field}>[^<]*</{field}>".encode(), element, data)
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        else:
            if action == "tokens":
                raw = json.dumps({k: v for k, v in body.items() if k != "NextToken"}).encode()
            status, headers, data = self.forward(raw)
            if status != 200:
                self.answer(status, data, headers)
                return
            if action == "cut":
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.connection.close()
                self.close_connection = True
                return
            if action == "garble":
                self.answer(200, b"<<not json>>" + data[:10])
                return
            answer = json.loads(data or b"{}")
            if action == "drop_field":
                answer.pop(fault["field"], None)
            elif action == "set_field":
                answer[fault["field"]] = fault.get("value")
            elif action == "merge":
                merge(answer, fault.get("value", {}))
            elif action == "cycle_markers":
                marker = body.get("Marker")
                answer["NextMarker"] = "cycle-b" if marker == "cycle-a" else "cycle-a"
                answer["Truncated"] = True
            elif action == "tokens":
                answer = paged(answer, fault, body.get("NextToken"))
            elif action == "duplicate_keys":
                answer["Keys"] = answer.get("Keys", []) * 2
            elif action == "echo_headers":
                echoed = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
                self.answer(400, aws_error("InvalidRequestException", f"bad request, you sent: {echoed}"))
                return
            self.answer(200, json.dumps(answer).encode(), headers)


def main() -> None:
    global UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    # HTTPS instead of HTTP: the certificate chain and key (PEM) it serves.
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    UPSTREAM = urllib.parse.urlsplit(args.upstream)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
