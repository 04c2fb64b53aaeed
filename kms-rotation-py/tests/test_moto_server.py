"""Against moto's server (scripts/moto.sh): a boto3 client, and the Rust-built AWS
SDK client configured with ``endpoint_url=`` and ``role_arn=``. Each test works in a
fresh emulator account, so tests never see each other's keys."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import kms_rotation
from conftest import EXPECTED, EmulatorAccount, seed_account, verdicts
from kms_rotation import Outcome, Status

EXEMPT = ["tag:rotation-exempt=true"]


def comparable(report: kms_rotation.AccountReport) -> dict[str, Any]:
    document = report.to_dict()
    del document["generated_at"]
    del document["stats"]
    # Where the keys were read differs by design between the clients compared.
    document.pop("source", None)
    return document


def test_boto3_client_against_the_server(emulator_account: EmulatorAccount) -> None:
    kms = emulator_account.kms("us-east-1")
    keys = seed_account(kms)
    report = kms_rotation.check_account(client=kms, exemptions=EXEMPT)
    assert report.account_id == emulator_account.id
    assert verdicts(report, keys) == EXPECTED


def test_rust_aws_client_against_the_server(emulator_account: EmulatorAccount) -> None:
    keys = seed_account(emulator_account.kms("us-east-1"))
    report = kms_rotation.check_account(
        endpoint_url=emulator_account.endpoint,
        role_arn=emulator_account.role_arn,
        regions=["us-east-1"],
        exemptions=EXEMPT,
    )
    assert report.account_id == emulator_account.id
    assert verdicts(report, keys) == EXPECTED
    # The same findings as through boto3.
    through_boto3 = kms_rotation.check_account(client=emulator_account.kms("us-east-1"), exemptions=EXEMPT)
    assert comparable(report) == comparable(through_boto3)
    assert report.source == {"endpoint_url": emulator_account.endpoint, "role_arn": emulator_account.role_arn}
    assert through_boto3.source == {"own_clients": True}
    # The configured region (AWS_DEFAULT_REGION) when none is given.
    configured = kms_rotation.check_account(
        endpoint_url=emulator_account.endpoint, role_arn=emulator_account.role_arn
    )
    assert [r.region for r in configured.regions] == ["us-east-1"]

    finding = kms_rotation.check_key(
        "alias/not-rotating", endpoint_url=emulator_account.endpoint, role_arn=emulator_account.role_arn
    )
    assert (finding.status, finding.key_id) == (Status.FAIL, keys["not-rotating"])


def test_rust_aws_client_remediates_across_regions(emulator_account: EmulatorAccount) -> None:
    east, west = emulator_account.kms("us-east-1"), emulator_account.kms("eu-west-1")
    east_keys, west_keys = seed_account(east), seed_account(west)
    aws = {"endpoint_url": emulator_account.endpoint, "role_arn": emulator_account.role_arn}
    report = kms_rotation.check_account(regions=["us-east-1", "eu-west-1"], exemptions=EXEMPT, **aws)
    assert [r.region for r in report.regions] == ["eu-west-1", "us-east-1"]
    assert verdicts(report, east_keys) == verdicts(report, west_keys) == EXPECTED

    done = kms_rotation.remediate(report, dry_run=False, **aws)
    changed = [a for a in done if a.outcome is Outcome.CHANGED]
    assert {a.region for a in changed} == {"us-east-1", "eu-west-1"}
    assert all(a.verified for a in changed)
    for kms, keys in ((east, east_keys), (west, west_keys)):
        assert kms.get_key_rotation_status(KeyId=keys["not-rotating"])["KeyRotationEnabled"]

    async_report = asyncio.run(
        kms_rotation.check_account_async(regions=["us-east-1", "eu-west-1"], exemptions=EXEMPT, **aws)
    )
    assert async_report.findings_with("FAIL") == tuple(
        f for f in async_report if f.key_id in (east_keys["disabled"], west_keys["disabled"])
    )


def test_collect_through_the_rust_aws_client(emulator_account: EmulatorAccount, tmp_path: Any) -> None:
    keys = seed_account(emulator_account.kms("us-east-1"))
    snapshot = kms_rotation.collect(
        tmp_path / "collected.json",
        endpoint_url=emulator_account.endpoint,
        role_arn=emulator_account.role_arn,
        regions=["us-east-1"],
        exemptions=EXEMPT,
    )
    assert snapshot.account_id is None or snapshot.account_id == emulator_account.id
    offline = kms_rotation.check_account(client=snapshot, exemptions=EXEMPT)
    assert verdicts(offline, keys) == EXPECTED


def test_plain_usage_from_a_fresh_interpreter(emulator_account: EmulatorAccount) -> None:
    """The README's promise: `python -c "import kms_rotation; print(kms_rotation.check_account(client=...))"`."""
    seed_account(emulator_account.kms("us-east-1"))
    credentials = emulator_account.session.get_credentials().get_frozen_credentials()
    code = (
        "import boto3, kms_rotation; "
        f"kms = boto3.client('kms', region_name='us-east-1', endpoint_url={emulator_account.endpoint!r}); "
        "print(kms_rotation.check_account(client=kms))"
    )
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=credentials.access_key,
        AWS_SECRET_ACCESS_KEY=credentials.secret_key,
        AWS_SESSION_TOKEN=credentials.token,
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"AccountReport(account_id='{emulator_account.id}', regions=['us-east-1'], "
    )
    assert "findings=7" in result.stdout


def test_rust_aws_client_with_static_credentials_and_role_settings(emulator_account: EmulatorAccount) -> None:
    keys = seed_account(emulator_account.kms("us-east-1"))
    frozen = emulator_account.session.get_credentials().get_frozen_credentials()
    credentials = {
        "access_key_id": frozen.access_key,
        "secret_access_key": frozen.secret_key,
        "session_token": frozen.token,
    }
    report = kms_rotation.check_account(
        endpoint_url=emulator_account.endpoint,
        credentials=credentials,
        regions=["us-east-1"],
        exemptions=EXEMPT,
    )
    assert report.account_id == emulator_account.id
    assert verdicts(report, keys) == EXPECTED
    # An external id and a session name go with the role (moto does not check the trust policy).
    via_role = kms_rotation.check_key(
        "alias/not-rotating",
        endpoint_url=emulator_account.endpoint,
        role_arn=emulator_account.role_arn,
        external_id="audit-2026",
        session_name="kms-rotation-tests",
        region="us-east-1",
    )
    assert (via_role.status, via_role.key_id) == (Status.FAIL, keys["not-rotating"])
