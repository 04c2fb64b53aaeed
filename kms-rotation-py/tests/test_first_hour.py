"""Issue 26, "the first hour", through the Python door: a tag exemption over a
snapshot without tags, the report's source, options named as Python spells
them, the command line reachable from the package, and a missing file named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kms_rotation
from conftest import DEMO, REPO
from kms_rotation import ConfigurationError, FileAccessError, InvalidInputError, Status


def _key(tags: list[dict[str, str]] | None) -> dict[str, object]:
    key_id = "00000001-0000-4000-8000-000000000001"
    entry: dict[str, object] = {
        "KeyMetadata": {
            "KeyId": key_id,
            "Arn": f"arn:aws:kms:us-east-1:111122223333:key/{key_id}",
            "KeyManager": "CUSTOMER",
            "KeyState": "Enabled",
            "Origin": "AWS_KMS",
            "KeySpec": "SYMMETRIC_DEFAULT",
        },
        "RotationStatus": {"KeyRotationEnabled": False},
    }
    if tags is not None:
        entry["Tags"] = tags
    return entry


def _snapshot(path: Path, tags: list[dict[str, str]] | None) -> Path:
    account = {"account_id": "111122223333", "regions": {"us-east-1": {"keys": [_key(tags)]}}}
    path.write_text(json.dumps(account))
    return path


def test_a_tag_exemption_over_unrecorded_tags_is_error_and_never_remediated(tmp_path: Path) -> None:
    tagged = _snapshot(tmp_path / "tagged.json", [{"TagKey": "rotation-exempt", "TagValue": "true"}])
    tagless = _snapshot(tmp_path / "tagless.json", None)
    exempt = "tag:rotation-exempt=true"
    live = kms_rotation.check_account(client=kms_rotation.load_snapshot(tagged), exemptions=exempt)
    assert [f.status for f in live.findings] == [Status.EXEMPT]

    offline = kms_rotation.check_account(client=kms_rotation.load_snapshot(tagless), exemptions=exempt)
    (finding,) = offline.findings
    assert finding.status == Status.ERROR
    assert exempt in finding.message and "ListResourceTags" in finding.message
    plan = kms_rotation.remediate(offline, client=kms_rotation.load_snapshot(tagless))
    assert plan.actions == ()

    # A report that still says FAIL under the exemption (judged without it, the
    # policy edited in): remediation reads the tags first and leaves the key alone.
    stale = kms_rotation.check_account(client=kms_rotation.load_snapshot(tagless)).to_dict()
    stale["policy"]["exemptions"] = [exempt]
    plan = kms_rotation.remediate(stale, client=kms_rotation.load_snapshot(tagless), dry_run=False)
    (action,) = plan.actions
    assert action.outcome == kms_rotation.Outcome.SKIPPED
    assert exempt in action.message


def test_the_report_records_its_source_and_remediate_acts_only_there(tmp_path: Path) -> None:
    here = _snapshot(tmp_path / "here.json", [])
    elsewhere = _snapshot(tmp_path / "elsewhere.json", [])
    report = kms_rotation.check_account(client=kms_rotation.load_snapshot(here))
    assert report.source == {"snapshot": str(here)}
    assert report.to_dict()["source"] == {"snapshot": str(here)}
    assert "--snapshot" in report.render("table").replace("\n", " ")

    assert kms_rotation.remediate(report, client=kms_rotation.load_snapshot(here)).actions
    with pytest.raises(ConfigurationError, match="allow_other_source=") as refused:
        kms_rotation.remediate(report, client=kms_rotation.load_snapshot(elsewhere))
    assert str(here) in str(refused.value) and str(elsewhere) in str(refused.value)
    plan = kms_rotation.remediate(
        report, client=kms_rotation.load_snapshot(elsewhere), allow_other_source=True
    )
    assert plan.actions


def test_errors_name_options_as_python_spells_them() -> None:
    snapshot = kms_rotation.load_snapshot(DEMO)
    with pytest.raises(InvalidInputError) as error:
        kms_rotation.check_account(client=snapshot, max_rotation_period_days=30)
    message = str(error.value)
    assert 'invalid max_rotation_period_days= "30"' in message, message
    assert "--max-rotation-period-days" not in message and "maxRotationPeriodDays" not in message
    with pytest.raises(InvalidInputError) as error:
        kms_rotation.check_account(client=snapshot, exemptions="rotation-exempt=true")
    assert "tag:rotation-exempt=true" in str(error.value)


def test_the_command_line_is_reachable_and_takes_argv_as_node_does(capfd: pytest.CaptureFixture[str]) -> None:
    # The program name first, as sys.argv and Node's runCli(args) take it.
    assert kms_rotation.cli.main(["kms-rotation", "--version"]) == 0
    assert kms_rotation.__version__ in capfd.readouterr().out


def test_a_missing_snapshot_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as error:
        kms_rotation.load_snapshot(tmp_path / "nope.json")
    message = str(error.value)
    assert "nope.json" in message and "None" not in message, message
    assert error.value.errno == 2


def test_the_golden_report_names_the_demo_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    report = kms_rotation.check_account(
        client=kms_rotation.load_snapshot(DEMO.relative_to(REPO)), exemptions=["tag:rotation-exempt=true"]
    )
    assert report.source == {"snapshot": "examples/data/demo-account.json"}
