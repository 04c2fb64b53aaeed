"""Imported key material, last use and ignored record fields through the Python door:
a boto3 client against moto's server behind the fault proxy (which answers what moto
lacks: the ``IncludeKeyMaterial`` listing, ``ValidTo``, ``GetKeyLastUsage``), and the
snapshot of ``examples/data/key-material.json``."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

import kms_rotation
from conftest import REPO, EmulatorAccount, FaultProxy
from kms_rotation import Outcome, Reason, Status
from kms_rotation.testing import SnapshotKms

FILE = REPO / "examples" / "data" / "key-material.json"
PENDING_ARN = "arn:aws:kms:us-east-1:111122223333:key/00000021-0000-4000-8000-000000000021"


def calls(proxy: FaultProxy) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{proxy.url}/__calls") as answer:
        return list(json.loads(answer.read()))


def by_alias(report: kms_rotation.AccountReport, alias: str) -> kms_rotation.Finding:
    (finding,) = [f for f in report.findings if alias in f.aliases]
    return finding


def snapshot_with_expiry(days: int) -> kms_rotation.Snapshot:
    """The material file with the expiring key's material ending ``days`` from now."""
    document = json.loads(FILE.read_text())
    valid_to = int(time.time()) + days * 86_400 + 3_600
    for key in document["regions"]["us-east-1"]["keys"]:
        if key["Aliases"] == ["alias/imported-expiring"]:
            key["KeyMetadata"]["ValidTo"] = valid_to
            key["Rotations"][0]["ValidTo"] = valid_to
    return kms_rotation.Snapshot.from_json(json.dumps(document))


def test_a_pending_rotation_fails_with_the_command_and_remediation_completes_it() -> None:
    snapshot = kms_rotation.load_snapshot(str(FILE))
    report = kms_rotation.check_account(client=snapshot, max_days_since_rotation=365)
    pending = by_alias(report, "alias/imported-pending")
    assert (pending.status, pending.reason) == (Status.FAIL, Reason.ROTATION_PENDING)
    assert f"aws kms rotate-key-on-demand --key-id {PENDING_ARN} --region us-east-1" in pending.message
    assert pending.key_material is not None
    assert pending.key_material.pending_state == "PENDING_ROTATION"
    assert pending.to_dict()["key_material"]["pending_key_material_id"] == "b2" * 32
    skipped = kms_rotation.remediate(report, client=snapshot, dry_run=False)
    (action,) = [a for a in skipped.actions if a.target_arn == PENDING_ARN]
    assert action.outcome == Outcome.SKIPPED and "rotate-key-on-demand" in action.message
    done = kms_rotation.remediate(report, client=snapshot, dry_run=False, rotate_on_demand=True)
    (action,) = [a for a in done.actions if a.target_arn == PENDING_ARN]
    assert (action.outcome, action.verified) == (Outcome.CHANGED, True), action.message


def test_expiring_material_is_named_and_the_option_is_checked() -> None:
    snapshot = snapshot_with_expiry(10)
    report = kms_rotation.check_account(client=snapshot)
    expiring = by_alias(report, "alias/imported-expiring")
    assert expiring.status == Status.NOT_APPLICABLE
    assert expiring.key_material is not None and expiring.key_material.expires_in_days == 10
    assert "(in 10 days)" in expiring.message
    assert "(10 days left)" in report.render("markdown")
    quiet = kms_rotation.check_account(client=snapshot, material_expiry_warning_days=5)
    assert by_alias(quiet, "alias/imported-expiring").key_material.expires_in_days is None  # type: ignore[union-attr]
    assert quiet.policy.material_expiry_warning_days == 5
    with pytest.raises(kms_rotation.InvalidInputError, match="material_expiry_warning_days"):
        kms_rotation.check_account(client=snapshot, material_expiry_warning_days=-1)


def test_last_use_only_with_the_option_through_a_boto3_shaped_client() -> None:
    snapshot = kms_rotation.load_snapshot(str(FILE))
    kms = SnapshotKms(snapshot, "us-east-1")
    plain = kms_rotation.check_account(client=kms)
    assert not [c for c in kms.calls if c[0] == "get_key_last_usage"]
    assert all(f.last_usage is None for f in plain.findings)
    kms = SnapshotKms(snapshot, "us-east-1")
    report = kms_rotation.check_account(client=kms, last_usage=True)
    failing = [f for f in report.findings if f.status in (Status.FAIL, Status.ERROR)]
    assert len([c for c in kms.calls if c[0] == "get_key_last_usage"]) == len(failing) == 2
    busy = by_alias(report, "alias/busy-rotation-off")
    assert busy.last_usage is not None and busy.last_usage.operation == "Decrypt"
    assert (
        "Not used since tracking began on 2026-03-01" in by_alias(report, "alias/unused-rotation-off").message
    )
    # Most recently used first.
    page = report.render("markdown")
    assert page.index("busy-rotation-off") < page.index("unused-rotation-off")
    # The snapshot itself (its boto3-shaped fake answers in the API's shape, which has no notes).
    odd = by_alias(kms_rotation.check_account(client=snapshot), "alias/odd-record")
    assert odd.status == Status.PASS and len(odd.ignored) == 2
    assert "GetKeyPolicy" in odd.ignored[1]


def test_on_moto_through_boto3(emulator_account: EmulatorAccount, fault_proxy: FaultProxy) -> None:
    direct = emulator_account.kms("us-east-1")
    imported = direct.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    direct.create_alias(AliasName="alias/imported", TargetKeyId=imported)
    off = direct.create_key()["KeyMetadata"]["KeyId"]
    direct.create_alias(AliasName="alias/off", TargetKeyId=off)
    now = int(time.time())
    proxied = emulator_account.session.client("kms", region_name="us-east-1", endpoint_url=fault_proxy.url)
    faults: list[dict[str, Any]] = [
        {
            "op": "DescribeKey",
            "action": "merge",
            "key": imported,
            "value": {
                "KeyMetadata": {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": now + 3 * 86_400}
            },
        },
        {
            "op": "ListKeyRotations",
            "action": "answer",
            "key": imported,
            "body": {
                "Rotations": [
                    {
                        "KeyId": imported,
                        "KeyMaterialId": "m1",
                        "ImportState": "IMPORTED",
                        "KeyMaterialState": "CURRENT",
                    },
                    {
                        "KeyId": imported,
                        "KeyMaterialId": "m2",
                        "ImportState": "IMPORTED",
                        "KeyMaterialState": "PENDING_ROTATION",
                    },
                ],
                "Truncated": False,
            },
        },
        {
            "op": "GetKeyLastUsage",
            "action": "last_usage",
            "key": off,
            "operation": "Encrypt",
            "timestamp": now - 60,
        },
        {
            "op": "GetKeyLastUsage",
            "action": "last_usage",
            "key": imported,
            "tracking_start_date": now - 86_400,
        },
    ]
    for asked in (False, True):
        fault_proxy.set(faults)
        report = kms_rotation.check_account(client=proxied, max_days_since_rotation=365, last_usage=asked)
        pending = by_alias(report, "alias/imported")
        assert (pending.status, pending.reason) == (Status.FAIL, Reason.ROTATION_PENDING)
        assert "aws kms rotate-key-on-demand --key-id" in pending.message
        assert "expires on" in pending.message
        seen = calls(fault_proxy)
        usage_calls = [c for c in seen if c["op"] == "GetKeyLastUsage"]
        assert len(usage_calls) == (2 if asked else 0), seen
        listing = [c for c in seen if c["op"] == "ListKeyRotations" and c["key"] == imported]
        assert listing and listing[0]["include"] == "ALL_KEY_MATERIAL"
        if asked:
            assert by_alias(report, "alias/off").last_usage.operation == "Encrypt"  # type: ignore[union-attr]
            assert "Not used since tracking began" in pending.message
            assert report.findings.index(by_alias(report, "alias/off")) >= 0
