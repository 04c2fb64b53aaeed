"""``rotation_history=`` and the rotation-history policy rows against moto's server,
through an injected boto3 client: keys rotated on demand show their evidence, and
``max_days_since_rotation`` judges them against the report's clock."""

from __future__ import annotations

from typing import Any

import pytest

import kms_rotation
from conftest import EmulatorAccount
from kms_rotation import Outcome, Reason, Status


def seed(kms: Any) -> dict[str, str]:
    """alias name -> key id: rotated on demand twice, never rotated, imported material."""
    keys: dict[str, str] = {}
    for alias, rotations, extra in [
        ("alias/rotated-twice", 2, {}),
        ("alias/never-rotated", 0, {}),
        ("alias/imported", 0, {"Origin": "EXTERNAL"}),
    ]:
        key_id = kms.create_key(Description=alias, **extra)["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        if not extra:
            kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=365)
        for _ in range(rotations):
            kms.rotate_key_on_demand(KeyId=key_id)
        keys[alias] = key_id
    return keys


def by_alias(report: kms_rotation.AccountReport, alias: str) -> kms_rotation.Finding:
    (finding,) = [f for f in report.findings if alias in f.aliases]
    return finding


def test_rotation_history_through_boto3(emulator_account: EmulatorAccount) -> None:
    kms = emulator_account.kms("us-east-1")
    seed(kms)
    plain = kms_rotation.check_account(client=kms)
    assert "ListKeyRotations" not in plain.stats.api_calls
    report = kms_rotation.check_account(client=kms, rotation_history=True)
    assert report.stats.api_calls["ListKeyRotations"] == 3
    assert report.policy.rotation_history is True
    rotation = by_alias(report, "alias/rotated-twice").rotation
    assert rotation is not None
    assert (rotation.on_demand_rotations, rotation.automatic_rotations) == (2, 0)
    assert rotation.last_rotation_type == "ON_DEMAND"
    assert rotation.last_rotated_at is not None
    never = by_alias(report, "alias/never-rotated").rotation
    assert never is not None and never.last_rotated_at is None and never.on_demand_rotations == 0
    # The verdicts are the ones without the option.
    assert [(f.key_id, f.status, f.reason) for f in report.findings] == [
        (f.key_id, f.status, f.reason) for f in plain.findings
    ]
    assert report.to_dict()["findings"][0]["rotation"].keys() >= {"rotation_counts"}


def test_max_days_since_rotation_and_on_demand_remediation(emulator_account: EmulatorAccount) -> None:
    kms = emulator_account.kms("us-east-1")
    keys = seed(kms)
    today = kms_rotation.check_account(client=kms, max_days_since_rotation=30)
    assert by_alias(today, "alias/imported").reason == Reason.CREATED_WITHIN_WINDOW
    assert by_alias(today, "alias/never-rotated").status == Status.PASS

    strict = kms_rotation.check_account(client=kms, max_days_since_rotation=1)
    # Created and rotated today: nothing is a day old yet.
    assert strict.summary[Status.FAIL] == 0
    with pytest.raises(kms_rotation.InvalidInputError, match="max_days_since_rotation"):
        kms_rotation.check_account(client=kms, max_days_since_rotation=0)

    # A report judged overdue (as a later check would find it): remediation skips
    # without rotate_on_demand, rotates and verifies with it.
    document = today.to_dict()
    for finding in document["findings"]:
        if finding["aliases"] == ["alias/never-rotated"]:
            finding["status"], finding["reason"] = "FAIL", "rotation_overdue"
    skipped = kms_rotation.remediate(document, client=kms, dry_run=False)
    (action,) = skipped.actions
    assert action.outcome == Outcome.SKIPPED
    assert "rotate-key-on-demand" in action.message
    rotated = kms_rotation.remediate(document, client=kms, dry_run=False, rotate_on_demand=True)
    (action,) = rotated.actions
    assert (action.outcome, action.verified) == (Outcome.CHANGED, True), action.message
    assert rotated.stats.api_calls["RotateKeyOnDemand"] == 1
    listed = kms.list_key_rotations(KeyId=keys["alias/never-rotated"])["Rotations"]
    assert [r["RotationType"] for r in listed] == ["ON_DEMAND"]
