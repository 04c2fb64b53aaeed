"""Errors: the exception hierarchy, bad input raised before any call, and AWS
errors from a client mapped to findings with their codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kms_rotation
from conftest import ACCOUNT, KEY_ID, account, fake_kms, key_entry
from kms_rotation import (
    ApiError,
    ConfigurationError,
    FileAccessError,
    InvalidInputError,
    KmsRotationError,
    MalformedSnapshotError,
    Status,
)
from kms_rotation.testing import ClientError, SnapshotKms


def test_hierarchy() -> None:
    for error in (InvalidInputError, MalformedSnapshotError, ApiError, ConfigurationError, FileAccessError):
        assert issubclass(error, KmsRotationError)
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(MalformedSnapshotError, InvalidInputError)
    assert issubclass(FileAccessError, OSError)
    assert not issubclass(ApiError, ValueError)


# Each case: the call (given a client that records calls), the exception, the text it names.
BAD_INPUT: list[tuple[str, Any, type[Exception], str]] = [
    (
        "malformed key",
        lambda c: kms_rotation.check_key("not-a-key", client=c),
        InvalidInputError,
        "not-a-key",
    ),
    ("empty alias", lambda c: kms_rotation.check_key("alias/", client=c), InvalidInputError, "alias/"),
    (
        "malformed region",
        lambda c: kms_rotation.check_account(client=c, regions=["moon-1"]),
        InvalidInputError,
        "moon-1",
    ),
    ("no regions", lambda c: kms_rotation.check_account(client=c, regions=[]), InvalidInputError, "region"),
    (
        "period too short",
        lambda c: kms_rotation.check_account(client=c, max_rotation_period_days=89),
        InvalidInputError,
        "max_rotation_period_days",
    ),
    (
        "negative period",
        lambda c: kms_rotation.check_account(client=c, max_rotation_period_days=-1),
        InvalidInputError,
        '"-1"',
    ),
    (
        "bad exemption",
        lambda c: kms_rotation.check_account(client=c, exemptions=["tag:"]),
        InvalidInputError,
        "exemption",
    ),
    (
        "zero rate",
        lambda c: kms_rotation.check_account(client=c, max_requests_per_second=0.0),
        InvalidInputError,
        "max_requests_per_second",
    ),
    (
        "progress not callable",
        lambda c: kms_rotation.check_account(client=c, on_progress="tqdm"),
        InvalidInputError,
        "on_progress",
    ),
    (
        "factory not callable",
        lambda c: kms_rotation.check_account(client=c, client_factory=42),
        InvalidInputError,
        "client_factory",
    ),
    (
        "profile with a client",
        lambda c: kms_rotation.check_account(client=c, profile="audit"),
        InvalidInputError,
        "profile",
    ),
    (
        "endpoint with a client",
        lambda c: kms_rotation.check_key("alias/x", client=c, endpoint_url="http://127.0.0.1:1"),
        InvalidInputError,
        "endpoint_url",
    ),
    (
        "all regions with a client",
        lambda c: kms_rotation.check_account(client=c, regions="all"),
        InvalidInputError,
        "regions",
    ),
    (
        "remediation period out of range",
        lambda c: kms_rotation.remediate_keys(["alias/x"], client=c, rotation_period_days=2561),
        InvalidInputError,
        "rotation_period_days",
    ),
    (
        "remediation period above the policy maximum",
        lambda c: kms_rotation.remediate_keys(
            ["alias/x"], client=c, max_rotation_period_days=180, rotation_period_days=365, dry_run=False
        ),
        InvalidInputError,
        "policy maximum",
    ),
    (
        "malformed report",
        lambda c: kms_rotation.remediate('{"schema_version": 1}', client=c),
        InvalidInputError,
        "report",
    ),
    ("not a report", lambda c: kms_rotation.remediate(42, client=c), InvalidInputError, "report"),
    (
        "external id without a role",
        lambda c: kms_rotation.check_account(external_id="ext-1", endpoint_url="http://127.0.0.1:9"),
        InvalidInputError,
        "external_id",
    ),
    (
        "session name without a role",
        lambda c: kms_rotation.check_key("alias/x", session_name="s1", region="us-east-1"),
        InvalidInputError,
        "session_name",
    ),
    (
        "credentials with a client",
        lambda c: kms_rotation.check_account(
            client=c, credentials={"access_key_id": "a", "secret_access_key": "s"}
        ),
        InvalidInputError,
        "credentials",
    ),
    (
        "credentials without a secret",
        lambda c: kms_rotation.check_account(credentials={"access_key_id": "AKIA-NEVER-SHOWN"}),
        InvalidInputError,
        "secret_access_key",
    ),
    (
        "a snapshot with a factory",
        lambda c: kms_rotation.check_account(
            client=kms_rotation.Snapshot.from_json('{"regions": {}}'), client_factory=lambda r: c
        ),
        InvalidInputError,
        "client",
    ),
    (
        "collect to a bad region",
        lambda c: kms_rotation.collect("/tmp/never-written.json", client=c, regions=["nowhere"]),
        InvalidInputError,
        "nowhere",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "text"), BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_raises_before_any_call(
    case: str, call: Any, error: type[Exception], text: str, fake: SnapshotKms
) -> None:
    with pytest.raises(error, match=None) as raised:
        call(fake)
    assert text in str(raised.value), str(raised.value)
    assert fake.calls == [], f"{case}: calls were made before the error: {fake.calls}"


def test_invalid_input_names_the_argument(fake: SnapshotKms) -> None:
    with pytest.raises(InvalidInputError) as raised:
        kms_rotation.check_account(client=fake, max_rotation_period_days=3000)
    assert raised.value.what == "max_rotation_period_days"
    assert raised.value.value == "3000"
    assert raised.value.reason and "90" in raised.value.reason
    # A ValueError too, for code that does not know this library.
    with pytest.raises(ValueError, match="3000"):
        kms_rotation.check_account(client=fake, max_rotation_period_days=3000)


def test_remediation_period_above_the_report_policy_raises_before_any_call(
    demo_path: Path, fake: SnapshotKms
) -> None:
    report = kms_rotation.check_account(
        client=kms_rotation.load_snapshot(demo_path), regions=["us-east-1"], max_rotation_period_days=180
    )
    with pytest.raises(InvalidInputError, match="policy maximum"):
        kms_rotation.remediate(report, client=fake, rotation_period_days=365)
    assert fake.calls == []


def test_a_client_missing_a_method_is_named(fake: SnapshotKms) -> None:
    class NoAliases:
        meta = fake.meta
        list_keys = fake.list_keys
        describe_key = fake.describe_key
        get_key_rotation_status = fake.get_key_rotation_status

    with pytest.raises(InvalidInputError, match=r"list_aliases\(\)") as raised:
        kms_rotation.check_account(client=NoAliases())
    assert "NoAliases" in str(raised.value)

    # Remediation needs enable_key_rotation, unless it is a dry run; tag exemptions need tags.
    class ReadOnly(SnapshotKms):
        enable_key_rotation = None  # type: ignore[assignment]
        list_resource_tags = None  # type: ignore[assignment]

    read_only = ReadOnly(account([key_entry()]), "us-east-1")
    with pytest.raises(InvalidInputError, match=r"enable_key_rotation\(\)"):
        kms_rotation.remediate_keys(["alias/fake"], client=read_only, dry_run=False)
    with pytest.raises(InvalidInputError, match=r"list_resource_tags\(\)"):
        kms_rotation.check_account(client=read_only, exemptions=["tag:a=b"])
    assert read_only.calls == []
    assert kms_rotation.remediate_keys(["alias/fake"], client=read_only).dry_run


def test_a_factory_client_missing_a_method_is_a_configuration_error(fake: SnapshotKms) -> None:
    with pytest.raises(InvalidInputError, match=r"list_keys\(\)"):
        kms_rotation.check_account(client_factory=lambda region: object(), regions=["eu-west-1"])


def test_a_raising_factory_is_a_configuration_error() -> None:
    def factory(region: str) -> Any:
        raise RuntimeError(f"no credentials for {region}")

    with pytest.raises(ConfigurationError, match="no credentials for eu-west-1"):
        kms_rotation.check_account(client_factory=factory, regions=["eu-west-1"])


def test_client_region_must_be_knowable(fake: SnapshotKms) -> None:
    anonymous = fake_kms()
    anonymous.meta = None  # type: ignore[assignment]

    with pytest.raises(ConfigurationError, match="region"):
        kms_rotation.check_account(client=anonymous)
    # One region given: the client serves it.
    report = kms_rotation.check_account(client=anonymous, regions=["eu-west-1"])
    assert [r.region for r in report.regions] == ["eu-west-1"]
    with pytest.raises(ConfigurationError, match="region"):
        kms_rotation.check_account(client=anonymous, regions=["eu-west-1", "us-east-1"])
    # A client for us-east-1 cannot serve eu-west-1 without a factory.
    with pytest.raises(ConfigurationError, match="eu-west-1"):
        kms_rotation.check_account(client=fake, regions=["eu-west-1"])


def test_client_errors_become_error_findings_with_their_code() -> None:
    denied = {"GetKeyRotationStatus": {"Code": "AccessDeniedException", "Message": "not authorized"}}
    client = fake_kms(key_entry(errors=denied))
    report = kms_rotation.check_account(client=client)
    (finding,) = report.findings
    assert finding.status is Status.ERROR
    assert finding.error is not None
    assert (finding.error.code, finding.error.message) == ("AccessDeniedException", "not authorized")
    assert finding.error.operation == "GetKeyRotationStatus"
    # Not retryable: asked once.
    assert [name for name, _ in client.calls].count("get_key_rotation_status") == 1


def test_the_fake_raises_botocore_client_errors() -> None:
    from botocore.exceptions import ClientError as BotocoreClientError

    assert ClientError is BotocoreClientError
    client = fake_kms(key_entry(errors={"DescribeKey": {"Code": "NotFoundException", "Message": "gone"}}))
    with pytest.raises(BotocoreClientError) as raised:
        client.describe_key(KeyId=KEY_ID)
    assert raised.value.response["Error"] == {"Code": "NotFoundException", "Message": "gone"}
    assert raised.value.operation_name == "DescribeKey"
    assert client.list_keys(Limit=1000)["Keys"][0]["KeyId"] == KEY_ID


def test_throttling_is_retried_by_the_core() -> None:
    slow_down = {"DescribeKey": {"Code": "ThrottlingException", "Message": "slow down", "Times": 1}}
    client = fake_kms(key_entry(errors=slow_down))
    report = kms_rotation.check_account(client=client)
    assert report.findings[0].status is Status.FAIL
    assert report.stats.retries == 1 and report.stats.throttled == 1
    assert [name for name, _ in client.calls].count("describe_key") == 2


class FailsOnce(SnapshotKms):
    """Raises ``error`` from the first ``describe_key`` call, then answers."""

    error: BaseException

    def describe_key(self, **request: Any) -> dict[str, Any]:
        if not any(name == "describe_key" for name, _ in self.calls):
            self.calls.append(("describe_key", request))
            raise self.error
        return super().describe_key(**request)


@pytest.mark.parametrize(
    "error",
    [
        # An unknown code on a 5xx answer: the HTTP status makes it retryable.
        ClientError(
            {"Error": {"Code": "Weird", "Message": "boom"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
            "DescribeKey",
        ),
        # No AWS code: the exception's class and ancestors (ConnectionError) tell.
        ConnectionResetError("connection reset by peer"),
    ],
    ids=["5xx", "connection"],
)
def test_transient_failures_are_retried(error: BaseException) -> None:
    client = FailsOnce(account([key_entry()]), "us-east-1")
    client.error = error
    report = kms_rotation.check_account(client=client)
    assert report.findings[0].status is Status.FAIL
    assert report.stats.retries == 1


def test_other_exceptions_are_named_by_class() -> None:
    client = FailsOnce(account([key_entry()]), "us-east-1")
    client.error = KeyError("boom")
    (finding,) = kms_rotation.check_account(client=client).findings
    assert finding.status is Status.ERROR
    assert finding.error is not None and finding.error.code == "KeyError"
    assert "DescribeKey raised KeyError" in finding.error.message


def test_a_listing_failure_is_a_region_entry() -> None:
    off = {"ListKeys": {"Code": "UnrecognizedClientException", "Message": "The security token is invalid"}}
    regions = {"us-east-1": {"keys": [key_entry()]}, "ap-east-1": {"keys": [], "Errors": off}}
    snapshot = kms_rotation.Snapshot.from_json(json.dumps({"account_id": ACCOUNT, "regions": regions}))
    report = kms_rotation.check_account(
        client_factory=lambda region: SnapshotKms(snapshot, region), regions=["us-east-1", "ap-east-1"]
    )
    states = {r.region: r.state.value for r in report.regions}
    assert states == {"ap-east-1": "not_enabled", "us-east-1": "scanned"}
    (off_region,) = [r for r in report.regions if r.region == "ap-east-1"]
    assert off_region.error is not None and off_region.error.code == "UnrecognizedClientException"
    # Refused in every region: the credentials are wrong, not the regions.
    with pytest.raises(ConfigurationError, match="credentials"):
        kms_rotation.check_account(client=fake_kms(region_errors=off))


def test_malformed_responses_are_error_findings() -> None:
    class Malformed(SnapshotKms):
        def describe_key(self, **request: Any) -> dict[str, Any]:
            self.calls.append(("describe_key", request))
            return {"KeyMetadata": {"KeyId": request["KeyId"]}}

    client = Malformed(account([key_entry()]), "us-east-1")
    (finding,) = kms_rotation.check_account(client=client).findings
    assert finding.status is Status.ERROR
    assert finding.error is not None and finding.error.code == "MalformedResponse"


def test_files(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as raised:
        kms_rotation.load_snapshot(tmp_path / "missing.json")
    assert raised.value.path == str(tmp_path / "missing.json")
    assert isinstance(raised.value, OSError)
    bad = tmp_path / "bad.json"
    bad.write_text('{"regions": {\n  "us-east-1": [}')
    with pytest.raises(MalformedSnapshotError) as malformed:
        kms_rotation.load_snapshot(bad)
    assert (malformed.value.line, malformed.value.path) == (2, str(bad))
    assert malformed.value.column is not None
    with pytest.raises(InvalidInputError, match="region"):
        kms_rotation.Snapshot.from_json(json.dumps({"regions": {"not a region": {"keys": []}}}))


def test_no_region_configured_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError, match="region"):
        kms_rotation.check_account(endpoint_url="http://127.0.0.1:9")


def test_unknown_regions_are_refused_unless_allowed(fake: SnapshotKms) -> None:
    with pytest.raises(InvalidInputError, match="us-east-1"):
        kms_rotation.check_account(client=fake, regions=["us-esat-1"])
    assert fake.calls == []
    # Allowing them is process-wide, so it is tried in a fresh interpreter.
    code = (
        "import json, kms_rotation\n"
        "snapshot = kms_rotation.Snapshot.from_json(json.dumps({'regions': {'us-future-1': {'keys': []}}}))\n"
        "report = kms_rotation.check_account(client=snapshot, regions=['us-future-1'], allow_unknown_regions=True)\n"
        "print([r.region for r in report.regions])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['us-future-1']"


def test_static_credentials_are_never_echoed() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    class Credentials:
        access_key_id = "AKIAIOSFODNN7EXAMPLE"
        secret_access_key = secret
        session_token = None

    for credentials in (
        Credentials(),
        {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": secret},
    ):
        with pytest.raises(InvalidInputError) as raised:
            kms_rotation.check_account(credentials=credentials, client=fake_kms())
        assert secret not in str(raised.value) and "AKIA" not in str(raised.value)


def test_strict_snapshots_refuse_an_unreadable_key(tmp_path: Path) -> None:
    unreadable = key_entry()
    unreadable["KeyMetadata"]["KeyState"] = 42
    text = json.dumps({"account_id": ACCOUNT, "regions": {"us-east-1": {"keys": [unreadable]}}})
    (finding,) = kms_rotation.check_account(client=kms_rotation.Snapshot.from_json(text)).findings
    assert finding.status is Status.ERROR
    assert "KeyState" in finding.message
    with pytest.raises(InvalidInputError, match="KeyState"):
        kms_rotation.Snapshot.from_json(text, strict=True)
    (tmp_path / "account.json").write_text(text)
    with pytest.raises(InvalidInputError, match="KeyState"):
        kms_rotation.load_snapshot(tmp_path / "account.json", strict=True)
    assert kms_rotation.load_snapshot(tmp_path / "account.json").regions == ["us-east-1"]
