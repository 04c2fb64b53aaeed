"""Shared fixtures: the demo snapshot, the snapshot-backed boto3-shaped fake
(``kms_rotation.testing.SnapshotKms``), moto (in-process and server) and a fresh
emulator account per test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kms_rotation import Snapshot
from kms_rotation.testing import SnapshotKms

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
def demo_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo snapshot by its path from the repository, from there: as the golden
    files (and the reports' ``source``) name it."""
    monkeypatch.chdir(REPO)
    return DEMO.relative_to(REPO)


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
        self.id = fresh_account_id()
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


def fresh_account_id() -> str:
    return f"{uuid.uuid4().int % 900_000_000_000 + 100_000_000_000:012d}"


def session_in(endpoint: str, account: str, region: str = "us-east-1") -> Any:
    """A boto3 session acting in ``account`` of moto's server (moto: assume any role there)."""
    import boto3

    sts = boto3.client("sts", region_name=region, endpoint_url=endpoint)
    role = f"arn:aws:iam::{account}:role/Seeder"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="kms-rotation-py-org")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def credentials_of(session: Any) -> dict[str, str]:
    """A boto3 session's credentials as the built-in client's ``credentials=``."""
    frozen = session.get_credentials().get_frozen_credentials()
    return {
        "access_key_id": frozen.access_key,
        "secret_access_key": frozen.secret_key,
        "session_token": frozen.token,
    }


def seed_on_off(session: Any, endpoint: str) -> dict[str, str]:
    """Two keys in the session's account: rotation ``on`` and ``off``; their ids."""
    kms = session.client("kms", endpoint_url=endpoint)
    on = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=on)
    off = kms.create_key()["KeyMetadata"]["KeyId"]
    return {"on": on, "off": off}


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A report's ``to_dict()`` without its timing (when it was made, how long it took)."""
    document = dict(document)
    del document["generated_at"]
    document["stats"] = {k: v for k, v in document["stats"].items() if k != "duration_ms"}
    return document


class FaultProxy:
    """``scripts/fault_proxy.py`` in front of moto's server: faults are set with ``set``."""

    def __init__(self, upstream: str) -> None:
        script = REPO / "scripts" / "fault_proxy.py"
        command = [sys.executable, str(script), "--upstream", upstream, "--port", "0"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def set(self, faults: list[dict[str, Any]]) -> None:
        request = urllib.request.Request(
            f"{self.url}/__faults", data=json.dumps(faults).encode(), method="POST"
        )
        with urllib.request.urlopen(request) as answer:
            answer.read()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def fault_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_endpoint)
    try:
        yield proxy
    finally:
        proxy.stop()


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


ACCOUNT = "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"


def key_entry(
    key_id: str = KEY_ID,
    *,
    alias: str | None = "alias/fake",
    rotation_enabled: bool = False,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A snapshot key entry: a customer-managed symmetric key in us-east-1,
    in the KMS API's shapes; ``errors`` are replayed per operation."""
    rotation: dict[str, Any] = {"KeyRotationEnabled": rotation_enabled}
    if rotation_enabled:
        rotation.update(RotationPeriodInDays=365, NextRotationDate="2027-01-02T03:04:05Z")
    entry: dict[str, Any] = {
        "KeyMetadata": {
            "AWSAccountId": ACCOUNT,
            "KeyId": key_id,
            "Arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}",
            "CreationDate": "2024-05-01T00:00:00Z",
            "Enabled": True,
            "KeyUsage": "ENCRYPT_DECRYPT",
            "KeyState": "Enabled",
            "Origin": "AWS_KMS",
            "KeyManager": "CUSTOMER",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "MultiRegion": False,
        },
        "RotationStatus": rotation,
        "Aliases": [alias] if alias else [],
    }
    if errors:
        entry["Errors"] = errors
    return entry


def account(keys: list[dict[str, Any]], region_errors: dict[str, Any] | None = None) -> Snapshot:
    """A one-region (us-east-1) snapshot holding ``keys``."""
    region: dict[str, Any] = {"keys": keys}
    if region_errors:
        region["Errors"] = region_errors
    return Snapshot.from_json(json.dumps({"account_id": ACCOUNT, "regions": {"us-east-1": region}}))


def fake_kms(*keys: dict[str, Any], region_errors: dict[str, Any] | None = None) -> SnapshotKms:
    """The real fake over a one-region snapshot; one rotation-off key by default.
    ``calls`` records every call it receives."""
    return SnapshotKms(account(list(keys) or [key_entry()], region_errors), "us-east-1")


@pytest.fixture
def fake() -> SnapshotKms:
    return fake_kms()


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
