"""A plain ``boto3.client("kms")`` inside moto's in-process ``mock_aws`` (no server)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

import kms_rotation
from conftest import EXPECTED, seed_account, verdicts
from kms_rotation import Outcome, Status

pytestmark = pytest.mark.usefixtures("mock_aws")


def test_check_account_with_a_boto3_client() -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    keys = seed_account(kms)
    report = kms_rotation.check_account(client=kms, exemptions=["tag:rotation-exempt=true"])
    assert [r.region for r in report.regions] == ["us-east-1"]  # the client's region
    assert verdicts(report, keys) == EXPECTED
    assert report.account_id == "123456789012"  # moto's default account
    by_id = {f.key_id: f for f in report}
    assert by_id[keys["rotating"]].aliases == ("alias/rotating",)
    assert by_id[keys["rotating"]].rotation is not None
    assert by_id[keys["disabled"]].key is not None and by_id[keys["disabled"]].key.state == "Disabled"
    # Tags are read only because a tag exemption asks for them.
    assert "ListResourceTags" in report.stats.api_calls
    plain = kms_rotation.check_account(client=kms)
    assert "ListResourceTags" not in plain.stats.api_calls
    assert verdicts(plain, {"exempt": keys["exempt"]}) == {"exempt": ("FAIL", "rotation_disabled")}


def test_check_key_with_a_boto3_client() -> None:
    kms = boto3.client("kms", region_name="eu-west-1")
    keys = seed_account(kms)
    finding = kms_rotation.check_key("alias/not-rotating", client=kms)
    assert (finding.status, finding.key_id, finding.region) == (
        Status.FAIL,
        keys["not-rotating"],
        "eu-west-1",
    )
    assert finding.remediation is not None and finding.remediation.region == "eu-west-1"
    missing = kms_rotation.check_key("alias/nothing-here", client=kms)
    assert missing.status is Status.ERROR
    assert missing.error is not None and missing.error.code == "NotFoundException"


def test_remediate_with_a_boto3_client() -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    keys = seed_account(kms)
    report = kms_rotation.check_account(client=kms, exemptions=["tag:rotation-exempt=true"])
    plan = kms_rotation.remediate(report, client=kms)
    assert plan.dry_run
    assert not kms.get_key_rotation_status(KeyId=keys["not-rotating"])["KeyRotationEnabled"]

    done = kms_rotation.remediate(report, client=kms, dry_run=False, rotation_period_days=180)
    by_target = {a.target_arn.rsplit("/", 1)[1]: a for a in done}
    changed = by_target[keys["not-rotating"]]
    assert changed.outcome is Outcome.CHANGED and changed.verified
    # A disabled key is skipped with the reason KMS would give.
    assert by_target[keys["disabled"]].outcome is Outcome.SKIPPED
    assert kms.get_key_rotation_status(KeyId=keys["not-rotating"])["KeyRotationEnabled"]
    after = kms_rotation.check_account(client=kms, exemptions=["tag:rotation-exempt=true"])
    assert verdicts(after, {"not-rotating": keys["not-rotating"]}) == {
        "not-rotating": ("PASS", "rotation_enabled")
    }


def test_client_factory_serves_several_regions() -> None:
    made: list[str] = []

    def factory(region: str) -> object:
        made.append(region)
        return boto3.client("kms", region_name=region)

    east, west = factory("us-east-1"), factory("eu-west-1")
    made.clear()
    east_keys, west_keys = seed_account(east), seed_account(west)
    report = kms_rotation.check_account(
        client_factory=factory, regions=["us-east-1", "eu-west-1"], exemptions=["tag:rotation-exempt=true"]
    )
    assert sorted(made) == ["eu-west-1", "us-east-1"]  # one client per region
    assert [r.region for r in report.regions] == ["eu-west-1", "us-east-1"]
    assert verdicts(report, east_keys) == EXPECTED
    assert verdicts(report, west_keys) == EXPECTED
    # A client for its own region, the factory for the others.
    made.clear()
    mixed = kms_rotation.check_account(
        client=east, client_factory=factory, regions=["us-east-1", "eu-west-1"]
    )
    assert made == ["eu-west-1"]
    assert mixed.summary.total == report.summary.total


def test_collect_with_a_boto3_client(tmp_path: Path) -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    keys = seed_account(kms)
    snapshot = kms_rotation.collect(
        tmp_path / "account.json", client=kms, exemptions=["tag:rotation-exempt=true"]
    )
    assert snapshot.regions == ["us-east-1"]
    offline = kms_rotation.check_account(
        client=kms_rotation.load_snapshot(tmp_path / "account.json"), exemptions=["tag:rotation-exempt=true"]
    )
    assert verdicts(offline, keys) == EXPECTED
