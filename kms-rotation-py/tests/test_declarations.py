"""Keys declared in code through the Python door: Terraform plans and CloudFormation
templates (paths, dicts, lists), the same findings as the core's own tests, code
locations, ``unresolved``, and bad input named before anything is judged."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import kms_rotation
from conftest import REPO
from kms_rotation import CodeLocation, InvalidInputError, Reason, Status

IAC = REPO / "kms-rotation-core" / "tests" / "iac"
PLAN = IAC / "terraform" / "plan.json"
KEYS = IAC / "cloudformation" / "keys.yaml"
REPLICA = IAC / "cloudformation" / "replica.json"


def by_address(report: kms_rotation.AccountReport) -> dict[str, kms_rotation.Finding]:
    return {f.code.address: f for f in report.findings if f.code is not None}


def test_a_plan_gives_one_finding_per_declared_key() -> None:
    report = kms_rotation.check_terraform_plan(PLAN)
    found = by_address(report)
    assert len(found) == 14
    logs = found["aws_kms_key.logs"]
    assert (logs.status, logs.reason) == (Status.FAIL, Reason.ROTATION_DISABLED)
    assert isinstance(logs.code, CodeLocation)
    assert logs.code.file == str(PLAN)
    assert logs.code.line is not None
    assert logs.code.fix == "enable_key_rotation     = true\nrotation_period_in_days = 365"
    unknown = found["aws_kms_key.from_data"]
    assert (unknown.status, unknown.reason) == (Status.ERROR, Reason.UNRESOLVED)
    assert "enable_key_rotation = data.external.policy.result.rotate" in unknown.message
    assert found['module.kms.aws_kms_key.this["data"]'].reason == Reason.ROTATION_PERIOD_TOO_LONG
    assert found["aws_kms_replica_key.replica"].status == Status.PASS
    assert report.exit_code == 2


def test_a_plan_as_a_dict_gives_the_same_verdicts_without_lines() -> None:
    from_file = kms_rotation.check_terraform_plan(PLAN)
    from_dict = kms_rotation.check_terraform_plan(json.loads(PLAN.read_text()))
    verdicts = lambda r: sorted((f.code.address, f.status, f.reason) for f in r.findings)  # noqa: E731
    assert verdicts(from_dict) == verdicts(from_file)
    assert all(f.code.line is None and f.code.file is None for f in from_dict.findings)


def test_templates_with_parameters_and_exemptions() -> None:
    report = kms_rotation.check_cloudformation([KEYS, REPLICA])
    found = by_address(report)
    assert found["ParameterKey"].reason == Reason.UNRESOLVED
    assert "!Ref EnableRotation" in found["ParameterKey"].message
    assert found["SharedReplica"].reason == Reason.UNRESOLVED
    assert found["PrimaryReplica"].status == Status.PASS
    given = kms_rotation.check_cloudformation(
        KEYS, parameters={"EnableRotation": "true"}, exemptions=["alias/no-rotation"]
    )
    found = by_address(given)
    assert found["ParameterKey"].status == Status.PASS
    assert found["NoRotationKey"].status == Status.EXEMPT
    assert found["NoRotationKey"].code.fix is None


def test_a_template_dict_and_the_async_twin() -> None:
    template = {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": "true"}}}}
    report = asyncio.run(kms_rotation.check_cloudformation_async(template))
    (finding,) = report.findings
    assert (finding.status, finding.code.address, finding.code.file) == (Status.PASS, "Key", None)
    assert "Key" in report.render("table")


def test_the_json_report_matches_the_cli(tmp_path: Path) -> None:
    report = kms_rotation.check_terraform_plan(PLAN)
    data = json.loads(report.to_json())
    assert data["findings"][0]["code"]["address"]
    argv = [
        "kms-rotation",
        "check",
        "--terraform-plan",
        str(PLAN),
        "--format",
        "json",
        "--output",
        str(tmp_path / "r.json"),
    ]
    assert kms_rotation.cli.main(argv) == 2
    cli = json.loads((tmp_path / "r.json").read_text())
    assert [f["code"] for f in cli["findings"]] == [f["code"] for f in data["findings"]]


def test_bad_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="a CloudFormation template"):
        kms_rotation.check_terraform_plan(REPLICA)
    future = tmp_path / "future.json"
    future.write_text('{"format_version": "2.0", "planned_values": {}}')
    with pytest.raises(InvalidInputError, match="format_version"):
        kms_rotation.check_terraform_plan(future)
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  Key: [a\n  B: 1\n")
    with pytest.raises(InvalidInputError, match="not valid YAML: line"):
        kms_rotation.check_cloudformation(bad)
    with pytest.raises(InvalidInputError, match="NoSuch") as error:
        kms_rotation.check_cloudformation(KEYS, parameters={"NoSuch": "1"})
    assert "parameters=" in str(error.value)
    with pytest.raises(InvalidInputError, match="give a path"):
        kms_rotation.check_terraform_plan(42)  # type: ignore[arg-type]
