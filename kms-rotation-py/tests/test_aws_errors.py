"""The Rust-built AWS client's errors, against a local HTTP endpoint that answers
every request with an AWS error (no emulator needed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

import kms_rotation


class DenyEverything(BaseHTTPRequestHandler):
    """Answers like AWS does when a policy denies the call (JSON protocols)."""

    requests: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        DenyEverything.requests.append(self.headers.get("X-Amz-Target") or self.path)
        body = json.dumps({"__type": "AccessDeniedException", "message": "denied by the test"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-ErrorType", "AccessDeniedException")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def denying_endpoint() -> Iterator[str]:
    DenyEverything.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), DenyEverything)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_region_discovery_failure_is_an_api_error(denying_endpoint: str) -> None:
    with pytest.raises(kms_rotation.ApiError) as raised:
        kms_rotation.check_account(regions="all", endpoint_url=denying_endpoint)
    error = raised.value
    assert (error.code, error.operation, error.region) == (
        "AccessDeniedException",
        "ListRegions",
        "us-east-1",
    )
    assert error.aws_message == "denied by the test"
    assert error.retryable is False
    assert "ListRegions in us-east-1 failed" in str(error)


def test_denied_calls_are_error_findings_and_region_entries(denying_endpoint: str) -> None:
    report = kms_rotation.check_account(regions=["eu-west-1"], endpoint_url=denying_endpoint)
    (region,) = report.regions
    assert region.state is kms_rotation.RegionState.ERROR
    assert region.error is not None and region.error.code == "AccessDeniedException"
    finding = kms_rotation.check_key("alias/app", endpoint_url=denying_endpoint)
    assert finding.status is kms_rotation.Status.ERROR
    assert finding.error is not None and finding.error.code == "AccessDeniedException"
    assert any("ListKeys" in request for request in DenyEverything.requests)


def test_bad_aws_options_raise_before_any_request(denying_endpoint: str) -> None:
    with pytest.raises(kms_rotation.InvalidInputError, match="endpoint_url"):
        kms_rotation.check_account(endpoint_url="ftp://example")
    with pytest.raises(kms_rotation.InvalidInputError, match="role_arn"):
        kms_rotation.check_account(endpoint_url=denying_endpoint, role_arn="arn:aws:iam::1:role/x")
    with pytest.raises(kms_rotation.InvalidInputError, match="moon-1"):
        kms_rotation.check_account(endpoint_url=denying_endpoint, regions=["moon-1"])
    assert DenyEverything.requests == []
