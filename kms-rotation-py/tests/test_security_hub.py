"""Findings kept current in Security Hub through a boto3 ``securityhub`` client
(``to_security_hub=``), on moto's server behind the fault proxy: the shared steps of
``scripts/parity/security-hub.json``, which the CLI and Node run too."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

import kms_rotation
from conftest import DEMO, REPO, EmulatorAccount, FaultProxy

CASES = json.loads((REPO / "scripts" / "parity" / "security-hub.json").read_text())
REGION = CASES["region"]


def held(hub: Any) -> dict[str, Any]:
    """Every finding the account's Security Hub holds, by Id."""
    found: dict[str, Any] = {}
    for page in hub.get_paginator("get_findings").paginate():
        for finding in page["Findings"]:
            found[finding["Id"]] = finding
    return found


def proxy_calls(proxy: FaultProxy) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{proxy.url}/__calls") as answer:
        calls: list[dict[str, Any]] = json.loads(answer.read())
    return calls


def test_the_shared_steps_through_boto3_clients(
    emulator_account: EmulatorAccount, fault_proxy: FaultProxy
) -> None:
    from botocore.config import Config

    account = emulator_account
    seeder = account.kms(REGION)
    keys: dict[str, str] = {}
    for name in ("on", "off"):
        keys[name] = seeder.create_key()["KeyMetadata"]["KeyId"]
        if name == "on":
            seeder.enable_key_rotation(KeyId=keys[name])
    reader = account.session.client("securityhub", region_name=REGION, endpoint_url=account.endpoint)
    vanished = json.loads(json.dumps(CASES["vanished_finding"]).replace("ACCOUNT", account.id))
    assert reader.batch_import_findings(Findings=[vanished])["FailedCount"] == 0

    def id_of(name: str) -> str:
        if name in keys:
            return (
                f"kms-rotation/{REGION}/arn:aws:kms:{REGION}:{account.id}:key/{keys[name]}/kms_key_rotation"
            )
        return str(vanished["Id"])

    # The SDK's own retries off: what recovers is the library's one retry layer.
    quiet = Config(retries={"total_max_attempts": 1})
    for step in CASES["steps"]:
        name = step["name"]
        if "enable_rotation" in step:
            seeder.enable_key_rotation(KeyId=keys[step["enable_rotation"]])
        fault_proxy.set(step["faults"])
        through = {"region_name": REGION, "endpoint_url": fault_proxy.url, "config": quiet}
        report = kms_rotation.check_account(
            client=account.session.client("kms", **through),
            to_security_hub=account.session.client("securityhub", **through),
        )
        delivery = dict(report.security_hub or {})
        delivery["failed"] = [failed["code"] for failed in delivery["failed"]]
        assert delivery == step["expect"]["delivery"], name
        assert report.to_dict()["security_hub"] == report.security_hub, name
        assert report.exit_code == step["expect"]["exit_code"], name
        findings = held(reader)
        for key, wanted in step["expect"]["findings"].items():
            finding = findings[id_of(key)]
            seen = [finding["Compliance"]["Status"], finding["Workflow"]["Status"], finding["RecordState"]]
            assert seen == wanted, f"{name}: {key}"
        updates = [
            [[next(k for k in keys if id_of(k) == i) for i in call["ids"]], call["workflow"]]
            for call in proxy_calls(fault_proxy)
            if call["op"] == "BatchUpdateFindings"
        ]
        assert updates == step["expect"]["workflow_updates"], name


def test_the_built_in_client_delivers_too(emulator_account: EmulatorAccount) -> None:
    account = emulator_account
    account.kms(REGION).create_key()
    frozen = account.session.get_credentials().get_frozen_credentials()
    report = kms_rotation.check_account(
        regions=[REGION],
        endpoint_url=account.endpoint,
        credentials={
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "session_token": frozen.token,
        },
        to_security_hub=True,
    )
    assert report.security_hub is not None
    assert report.security_hub["imported"] == 1
    assert report.security_hub["failed"] == []


def test_a_bad_to_security_hub_is_named() -> None:
    snapshot = kms_rotation.load_snapshot(DEMO)
    with pytest.raises(kms_rotation.InvalidInputError, match="to_security_hub"):
        kms_rotation.check_account(client=snapshot, to_security_hub="yes")
    with pytest.raises(kms_rotation.InvalidInputError, match="to_security_hub"):
        kms_rotation.check_account(client=snapshot, to_security_hub=True)
    assert kms_rotation.check_account(client=snapshot, to_security_hub=False).security_hub is None
