"""Shared fixtures: the demo snapshot, a recording fake client, moto (in-process
and server) and a fresh emulator account per test."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "data" / "demo-account.json"
DEMO_EXEMPTIONS = ["tag:rotation-exempt=true"]
ENDPOINT_VAR = "KMS_ROTATION_MOTO_ENDPOINT"


@pytest.fixture(autouse=True)
def _offline_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and no shared config, so nothing can reach a real account."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def demo_path() -> Path:
    return DEMO


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@pytest.fixture
def moto_endpoint() -> str:
    """moto's server (scripts/moto.sh); skipped without it, except under CI."""
    endpoint = os.environ.get(ENDPOINT_VAR, "")
    if endpoint:
        return endpoint
    message = (
        f"{ENDPOINT_VAR} is not set: start moto's server with "
        '`eval "$(scripts/moto.sh start)"` to run the emulator tests'
    )
    if in_ci():
        pytest.fail(f"{message} (CI is set, so these tests must run)")
    pytest.skip(message)


class EmulatorAccount:
    """A fresh account in moto's server, reached through an assumed role, so tests
    never see each other's keys and never need to reset the emulator."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self.endpoint = endpoint
        self.id = f"{uuid.uuid4().int % 900_000_000_000 + 100_000_000_000:012d}"
        self.role_arn = f"arn:aws:iam::{self.id}:role/KmsRotationAudit"
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint)
        credentials = sts.assume_role(RoleArn=self.role_arn, RoleSessionName="kms-rotation-py-tests")[
            "Credentials"
        ]
        self.session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def kms(self, region: str = "us-east-1") -> Any:
        return self.session.client("kms", region_name=region, endpoint_url=self.endpoint)


@pytest.fixture
def emulator_account(moto_endpoint: str) -> EmulatorAccount:
    return EmulatorAccount(moto_endpoint)


@pytest.fixture
def mock_aws() -> Iterator[None]:
    """moto's in-process mock of AWS (no server)."""
    from moto import mock_aws as moto_mock_aws

    with moto_mock_aws():
        yield


def seed_account(kms: Any) -> dict[str, str]:
    """Creates one key per verdict the emulator can model; returns name -> key id.

    moto's gaps (see TOOLCHAIN notes) are respected: no rotation periods, no
    AWS-managed keys, EXTERNAL keys read as Enabled.
    """
    keys: dict[str, str] = {}

    def create(name: str, **kwargs: Any) -> str:
        key_id = kms.create_key(Description=name, **kwargs)["KeyMetadata"]["KeyId"]
        keys[name] = key_id
        return key_id

    rotating = create("rotating")
    kms.enable_key_rotation(KeyId=rotating, RotationPeriodInDays=365)
    kms.create_alias(AliasName="alias/rotating", TargetKeyId=rotating)
    create("not-rotating")
    kms.create_alias(AliasName="alias/not-rotating", TargetKeyId=keys["not-rotating"])
    create("rsa", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    create("imported", Origin="EXTERNAL")
    disabled = create("disabled")
    kms.disable_key(KeyId=disabled)
    pending = create("pending-deletion")
    kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
    create("exempt", Tags=[{"TagKey": "rotation-exempt", "TagValue": "true"}])
    return keys


EXPECTED = {
    "rotating": ("PASS", "rotation_enabled"),
    "not-rotating": ("FAIL", "rotation_disabled"),
    "rsa": ("NOT_APPLICABLE", "unsupported_key_spec"),
    "imported": ("NOT_APPLICABLE", "imported_key_material"),
    "disabled": ("FAIL", "rotation_disabled"),
    "pending-deletion": ("NOT_APPLICABLE", "pending_deletion"),
    "exempt": ("EXEMPT", "exempted"),
}
"""The verdict for each seeded key, with ``exemptions=["tag:rotation-exempt=true"]``."""


def verdicts(report: Any, keys: dict[str, str]) -> dict[str, tuple[str, str]]:
    by_id = {f.key_id: f for f in report.findings}
    return {name: (by_id[key_id].status.value, by_id[key_id].reason.value) for name, key_id in keys.items()}


class RecordingClient:
    """A boto3-shaped fake serving a few keys; records every call (to prove that bad
    input fails before any) and can raise per method."""

    class meta:  # noqa: N801 - mirrors boto3's `client.meta.region_name`
        region_name = "us-east-1"

    ACCOUNT = "111122223333"

    def __init__(
        self, rotation_enabled: bool = False, raises: dict[str, BaseException] | None = None
    ) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rotation_enabled = rotation_enabled
        self.raises = raises or {}
        self.key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
        self.arn = f"arn:aws:kms:us-east-1:{self.ACCOUNT}:key/{self.key_id}"

    def _record(self, name: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((name, kwargs))
        if name in self.raises:
            raise self.raises[name]

    def list_keys(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_keys", kwargs)
        return {"Keys": [{"KeyId": self.key_id, "KeyArn": self.arn}], "Truncated": False}

    def list_aliases(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_aliases", kwargs)
        return {
            "Aliases": [{"AliasName": "alias/fake", "TargetKeyId": self.key_id}],
            "Truncated": False,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    def describe_key(self, **kwargs: Any) -> dict[str, Any]:
        self._record("describe_key", kwargs)
        import datetime

        return {
            "KeyMetadata": {
                "AWSAccountId": self.ACCOUNT,
                "KeyId": self.key_id,
                "Arn": self.arn,
                "CreationDate": datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc),
                "Enabled": True,
                "KeyUsage": "ENCRYPT_DECRYPT",
                "KeyState": "Enabled",
                "Origin": "AWS_KMS",
                "KeyManager": "CUSTOMER",
                "KeySpec": "SYMMETRIC_DEFAULT",
                "MultiRegion": False,
            }
        }

    def get_key_rotation_status(self, **kwargs: Any) -> dict[str, Any]:
        self._record("get_key_rotation_status", kwargs)
        import datetime

        if not self.rotation_enabled:
            return {"KeyRotationEnabled": False, "KeyId": self.arn}
        return {
            "KeyRotationEnabled": True,
            "KeyId": self.arn,
            "RotationPeriodInDays": 365,
            "NextRotationDate": datetime.datetime(2027, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        }

    def enable_key_rotation(self, **kwargs: Any) -> dict[str, Any]:
        self._record("enable_key_rotation", kwargs)
        self.rotation_enabled = True
        return {}

    def list_resource_tags(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_resource_tags", kwargs)
        return {"Tags": [], "Truncated": False}


@pytest.fixture
def fake() -> RecordingClient:
    return RecordingClient()


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
