"""Declared against live through the Python door (``compare_live=True``): a
Terraform state against a snapshot (every drift, a failed read, a match), a
deployed CloudFormation stack on moto's server changed live (boto3 clients and
the built-in client), bad input named before any call."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

import kms_rotation
from conftest import REPO, EmulatorAccount, FaultProxy
from kms_rotation import InvalidInputError, Reason, Status

IAC = REPO / "kms-rotation-core" / "tests" / "iac"
STATE = IAC / "terraform" / "drift-state.json"
LIVE = IAC / "terraform" / "drift-live.json"
STACK_TEMPLATE = IAC / "cloudformation" / "drift-stack.json"


def drifts(report: kms_rotation.AccountReport) -> dict[str, tuple[str, str, list[str]]]:
    """Per address: status, reason and each difference as ``field: declared -> live``."""
    out = {}
    for finding in report.findings:
        assert finding.code is not None
        live = finding.live or {}
        differences = [f"{d['field']}: {d['declared']} -> {d['live']}" for d in live.get("differences", [])]
        out[finding.code.address] = (str(finding.status), str(finding.reason), differences)
    return out


def test_a_state_against_a_snapshot_names_every_drift() -> None:
    live = kms_rotation.load_snapshot(LIVE)
    report = kms_rotation.check_terraform_plan(STATE, compare_live=True, client=live)
    found = drifts(report)
    assert found["aws_kms_key.steady"] == ("PASS", "rotation_enabled", [])
    assert found["aws_kms_key.switched_off"] == ("FAIL", "drift", ["rotation_enabled: true -> false"])
    assert found["aws_kms_key.longer"] == ("FAIL", "drift", ["rotation_period_days: 365 -> 730"])
    assert found["aws_kms_key.doomed"] == ("FAIL", "drift", ["key_state: Enabled -> PendingDeletion"])
    assert found["aws_kms_key.gone"] == ("FAIL", "drift", ["key_state: Enabled -> not found"])
    assert found["aws_kms_key.denied"][:2] == ("ERROR", "api_error")
    switched = next(f for f in report.findings if f.code and f.code.address == "aws_kms_key.switched_off")
    assert switched.reason is Reason.DRIFT
    assert switched.live is not None
    assert (switched.live["declared_status"], switched.live["status"]) == ("PASS", "FAIL")
    assert report.exit_code == 2
    # The async twin and the sync function agree.
    again = asyncio.run(kms_rotation.check_terraform_plan_async(STATE, compare_live=True, client=live))
    assert drifts(again) == found


def test_bad_input_is_named_before_any_call() -> None:
    live = kms_rotation.load_snapshot(LIVE)
    with pytest.raises(InvalidInputError) as error:
        kms_rotation.check_terraform_plan(STATE, client=live)
    assert error.value.what == "client" and "compare_live" in str(error.value)
    with pytest.raises(InvalidInputError) as error:
        kms_rotation.check_cloudformation(STACK_TEMPLATE, stack_name="app")
    assert error.value.what == "stack_name"
    with pytest.raises(InvalidInputError) as error:
        kms_rotation.check_cloudformation(STACK_TEMPLATE, compare_live=True, client=live)
    assert error.value.what == "compare_live" and "stack_name" in str(error.value)
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_kms_key.a",
                        "mode": "managed",
                        "type": "aws_kms_key",
                        "name": "a",
                        "values": {"enable_key_rotation": True},
                    }
                ]
            }
        },
    }
    with pytest.raises(InvalidInputError) as error:
        kms_rotation.check_terraform_plan(plan, compare_live=True, client=live)
    assert error.value.what == "plan" and "no declared key has a known id" in str(error.value)


def deploy(session: Any, endpoint: str) -> tuple[str, dict[str, str]]:
    """The test stack deployed in the session's account, then changed live; its name and ids."""
    cloudformation = session.client("cloudformation", region_name="us-east-1", endpoint_url=endpoint)
    kms = session.client("kms", region_name="us-east-1", endpoint_url=endpoint)
    name = f"drift-{uuid.uuid4().hex[:12]}"
    cloudformation.create_stack(StackName=name, TemplateBody=STACK_TEMPLATE.read_text())
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    kms.disable_key_rotation(KeyId=ids["Rotating"])
    kms.schedule_key_deletion(KeyId=ids["Doomed"], PendingWindowInDays=7)
    return name, ids


EXPECTED = {
    "Rotating": ("FAIL", "drift", ["rotation_enabled: true -> false"]),
    "Yearly": ("FAIL", "drift", ["rotation_period_days: 365 -> 730"]),
    "Doomed": ("FAIL", "drift", ["key_state: Enabled -> PendingDeletion"]),
    "Steady": ("PASS", "rotation_enabled", []),
}


def periods(proxy: FaultProxy, ids: dict[str, str]) -> None:
    """moto keeps no rotation period: the proxy gives the live ones."""
    proxy.set(
        [
            {
                "op": "GetKeyRotationStatus",
                "action": "set_field",
                "key": ids[name],
                "field": "RotationPeriodInDays",
                "value": days,
            }
            for name, days in (("Yearly", 730), ("Steady", 180))
        ]
    )


def test_a_deployed_stack_changed_live_drifts_with_boto3_clients(
    emulator_account: EmulatorAccount, fault_proxy: FaultProxy
) -> None:
    name, ids = deploy(emulator_account.session, emulator_account.endpoint)
    periods(fault_proxy, ids)
    session = emulator_account.session
    report = kms_rotation.check_cloudformation(
        STACK_TEMPLATE,
        compare_live=True,
        stack_name=name,
        client=session.client("kms", region_name="us-east-1", endpoint_url=fault_proxy.url),
        cloudformation_client=session.client(
            "cloudformation", region_name="us-east-1", endpoint_url=fault_proxy.url
        ),
    )
    assert drifts(report) == EXPECTED
    # A stack that does not exist: named, before any KMS call.
    fault_proxy.set([])
    with pytest.raises(InvalidInputError) as error:
        kms_rotation.check_cloudformation(
            STACK_TEMPLATE,
            compare_live=True,
            stack_name="no-such-stack",
            client=session.client("kms", region_name="us-east-1", endpoint_url=fault_proxy.url),
            cloudformation_client=session.client(
                "cloudformation", region_name="us-east-1", endpoint_url=fault_proxy.url
            ),
        )
    assert (error.value.what, error.value.value) == ("stack_name", "no-such-stack")
    assert "does not exist" in str(error.value)


def test_a_deployed_stack_through_the_built_in_client(
    emulator_account: EmulatorAccount, fault_proxy: FaultProxy
) -> None:
    from conftest import credentials_of

    name, ids = deploy(emulator_account.session, emulator_account.endpoint)
    periods(fault_proxy, ids)
    report = kms_rotation.check_cloudformation(
        [STACK_TEMPLATE],
        compare_live=True,
        stack_name=name,
        endpoint_url=fault_proxy.url,
        regions="us-east-1",
        credentials=credentials_of(emulator_account.session),
    )
    assert drifts(report) == EXPECTED
    document = json.loads(report.to_json())
    rotating = next(f for f in document["findings"] if f["code"]["address"] == "Rotating")
    assert rotating["live"]["differences"] == [
        {"field": "rotation_enabled", "declared": "true", "live": "false"}
    ]
    assert rotating["status"] == Status.FAIL.value
