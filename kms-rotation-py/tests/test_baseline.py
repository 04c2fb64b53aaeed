"""Baselines and SARIF from Python: ``baseline=`` as a path, a report, its dict
or its JSON text; ``fail_on=``; refusals naming what differs; ``render("sarif")``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kms_rotation
from conftest import DEMO, DEMO_EXEMPTIONS, REPO

BASELINE = REPO / "examples" / "data" / "demo-baseline.json"


def check(**options: object) -> kms_rotation.AccountReport:
    return kms_rotation.check_account(
        client=kms_rotation.load_snapshot(DEMO), exemptions=DEMO_EXEMPTIONS, **options
    )


def test_findings_are_marked_against_a_baseline_file() -> None:
    report = check(baseline=str(BASELINE))
    states = {f.baseline_state for f in report.findings}
    assert states == {"new", "unchanged", "resolved", "regressed"}
    assert report.baseline is not None
    assert report.baseline["counts"] == {"new": 1, "unchanged": 32, "resolved": 2, "regressed": 2}
    assert [f["aliases"] for f in report.baseline["gone"]] == [["alias/decommissioned-queue"]]
    assert report.exit_code == 2
    assert check(baseline=BASELINE, fail_on="new").exit_code == 2
    assert check().baseline is None
    assert all(f.baseline_state is None for f in check().findings)


@pytest.mark.parametrize("form", ["report", "dict", "text", "path"])
def test_old_failures_alone_exit_0_with_fail_on_new(form: str, tmp_path: Path) -> None:
    first = check()
    saved = tmp_path / "report.json"
    saved.write_text(first.to_json())
    baseline = {"report": first, "dict": first.to_dict(), "text": first.to_json(), "path": saved}[form]
    report = check(baseline=baseline, fail_on="new")
    assert report.exit_code == 0
    assert {f.baseline_state for f in report.findings} == {"unchanged"}
    assert check(baseline=baseline).exit_code == 2, "without fail_on the codes are as before"


def test_a_baseline_of_another_policy_is_refused_naming_the_difference() -> None:
    with pytest.raises(kms_rotation.InvalidInputError, match=r"is 365 in the baseline, 180 now") as caught:
        check(baseline=BASELINE, max_rotation_period_days=180)
    assert caught.value.what == "baseline"
    with pytest.raises(kms_rotation.InvalidInputError, match=r"needs a baseline.*baseline="):
        check(fail_on="new")
    with pytest.raises(kms_rotation.InvalidInputError, match="sometimes"):
        check(fail_on="sometimes")  # type: ignore[arg-type]
    with pytest.raises(kms_rotation.FileAccessError):
        check(baseline=REPO / "no-such-report.json")


def test_sarif_renders_one_result_per_finding_that_needs_work() -> None:
    report = check()
    log = json.loads(report.render("sarif"))
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert len(results) == report.summary.fail + report.summary.error
    assert {r["level"] for r in results} == {"error", "warning"}
    assert report.render("sarif") == check().render("sarif"), "no time in SARIF"
