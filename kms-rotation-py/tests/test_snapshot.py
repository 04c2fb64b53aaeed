"""Offline: the demo snapshot through every public function, and the report JSON
compared with the Rust core's own output for the same input."""

from __future__ import annotations

import inspect
import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree

import pytest

import kms_rotation
from conftest import DEMO_EXEMPTIONS, REPO
from kms_rotation import (
    AccountReport,
    Finding,
    Outcome,
    ProgressEvent,
    Reason,
    RegionState,
    RemediationReport,
    Snapshot,
    Status,
    _native,
)
from kms_rotation.testing import SnapshotKms

# The Rust core's report for the demo snapshot with the demo's exemption, as the
# core's CLI wrote it (kept current by the CLI's golden tests: scripts/regen-golden.sh).
RUST_GOLDEN = REPO / "kms-rotation-core" / "tests" / "golden" / "demo.json"


def without_timing(text: str) -> str:
    """Report JSON text with the fields that vary between runs blanked."""
    text = re.sub(r'"generated_at": "[^"]*"', '"generated_at": "-"', text)
    return re.sub(r'"duration_ms": \d+', '"duration_ms": 0', text)


def demo_report(demo_path: Path) -> AccountReport:
    return kms_rotation.check_account(
        client=kms_rotation.load_snapshot(demo_path), exemptions=DEMO_EXEMPTIONS
    )


def test_report_json_equals_the_rust_json(demo_path: Path) -> None:
    report = demo_report(demo_path)
    rust = RUST_GOLDEN.read_text()
    # Byte for byte, apart from the timing fields.
    assert without_timing(report.to_json()) == without_timing(rust.rstrip("\n"))
    expected = json.loads(rust)
    actual = report.to_dict()
    for document in (expected, actual):
        del document["generated_at"]
        del document["stats"]["duration_ms"]
    assert actual == expected
    # Each nested object's to_dict() is its slice of the Rust JSON.
    assert [f.to_dict() for f in report.findings] == expected["findings"]
    assert [r.to_dict() for r in report.regions] == expected["regions"]
    assert report.policy.to_dict() == expected["policy"]
    assert report.summary.to_dict() == expected["summary"]
    assert [json.loads(f.to_json()) for f in report.findings] == expected["findings"]


def test_report_attributes_are_typed(demo_path: Path) -> None:
    report = demo_report(demo_path)
    assert report.schema_version == 1
    assert report.account_id == "111122223333"
    assert isinstance(report.generated_at, datetime)
    assert report.generated_at.tzinfo is not None
    assert report.policy.max_rotation_period_days == 365
    assert report.policy.evaluate_disabled_keys is True
    assert report.policy.exemptions == ("tag:rotation-exempt=true",)
    assert [r.region for r in report.regions] == ["eu-west-1", "us-east-1"]
    assert all(r.state is RegionState.SCANNED for r in report.regions)
    assert sum(r.keys_listed for r in report.regions) == len(report.findings) == report.summary.total == 36
    assert list(report) == list(report.findings)
    assert all(isinstance(f, Finding) for f in report)
    assert report.summary.pass_ == report.summary[Status.PASS] == report.summary["PASS"] == 11
    assert (report.summary.fail, report.summary.error, report.summary.exempt) == (9, 2, 1)
    assert report.summary.not_applicable == 13
    assert report.stats.api_calls["DescribeKey"] == 36
    assert report.stats.total_calls == sum(report.stats.api_calls.values())

    failing = report.findings_with(Status.FAIL)
    assert len(failing) == 9 and failing == report.findings_with("FAIL")
    for finding in failing:
        assert finding.remediation is not None
        assert finding.remediation.rotation_period_days == 365
        assert finding.reason in (Reason.ROTATION_DISABLED, Reason.ROTATION_PERIOD_TOO_LONG)
    errors = report.findings_with(Status.ERROR)
    assert {f.error.code for f in errors if f.error} == {"AccessDeniedException"}
    passing = report.findings_with(Status.PASS)[0]
    assert passing.rotation is not None and passing.rotation.enabled
    assert isinstance(passing.rotation.next_rotation_date, datetime)
    assert passing.key is not None and passing.key.spec == "SYMMETRIC_DEFAULT"
    replicas = [f for f in report if f.key and f.key.multi_region == "REPLICA"]
    assert replicas and all(f.key and f.key.primary_arn for f in replicas)
    # Enums compare equal to their JSON spelling and print as it.
    assert Status.FAIL == "FAIL" and str(Status.NOT_APPLICABLE) == "NOT_APPLICABLE"
    assert str(Reason.AWS_MANAGED) == "aws_managed"


def test_reprs_are_readable(demo_path: Path) -> None:
    report = demo_report(demo_path)
    text = repr(report)
    assert text.startswith("AccountReport(account_id='111122223333', regions=['eu-west-1', 'us-east-1'], ")
    assert "findings=36" in text and "FAIL=9" in text and "ERROR=2" in text
    finding = report.findings_with("FAIL")[0]
    assert repr(finding).startswith("Finding(FAIL rotation_disabled, region=")
    assert finding.key_id in repr(finding)
    assert repr(kms_rotation.load_snapshot(demo_path)) == (
        "Snapshot(account_id='111122223333', regions=['eu-west-1', 'us-east-1'])"
    )


def test_check_key_by_alias_arn_and_id(demo_path: Path) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)
    by_alias = kms_rotation.check_key("alias/payments-db", client=snapshot, region="us-east-1")
    assert by_alias.status is Status.PASS
    assert "alias/payments-db" in by_alias.aliases
    by_arn = kms_rotation.check_key(by_alias.key_arn, client=snapshot)  # region from the ARN
    by_id = kms_rotation.check_key(by_alias.key_id, client=snapshot, region="us-east-1")
    assert by_arn.to_dict() == by_id.to_dict()
    assert by_arn.key_arn == by_alias.key_arn
    stricter = kms_rotation.check_key(by_alias.key_arn, client=snapshot, max_rotation_period_days=180)
    assert stricter.status is Status.FAIL and stricter.reason is Reason.ROTATION_PERIOD_TOO_LONG
    exempt = kms_rotation.check_key(by_alias.key_arn, client=snapshot, exemptions=[by_alias.key_id])
    assert exempt.status is Status.EXEMPT


def test_check_key_needs_a_region_for_a_multi_region_snapshot(demo_path: Path) -> None:
    with pytest.raises(kms_rotation.ConfigurationError, match="region"):
        kms_rotation.check_key("alias/payments-db", client=kms_rotation.load_snapshot(demo_path))


def test_policy_options_change_verdicts(demo_path: Path) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)
    default = kms_rotation.check_account(client=snapshot)
    assert default.summary.exempt == 0
    skip_disabled = kms_rotation.check_account(client=snapshot, evaluate_disabled_keys=False)
    assert any(f.reason is Reason.DISABLED for f in skip_disabled)
    assert not any(f.reason is Reason.DISABLED for f in default)
    one_region = kms_rotation.check_account(client=snapshot, regions=["eu-west-1"])
    assert [r.region for r in one_region.regions] == ["eu-west-1"]
    assert (
        kms_rotation.check_account(client=snapshot, regions="eu-west-1").to_dict()["findings"]
        == (one_region.to_dict()["findings"])
    )
    everything = kms_rotation.check_account(client=snapshot, regions="all")
    assert [r.region for r in everything.regions] == ["eu-west-1", "us-east-1"]
    capped = kms_rotation.check_account(client=snapshot, max_requests_per_second=1000.0)
    assert capped.summary == default.summary


def test_remediate_dry_run_then_apply_on_a_snapshot(demo_path: Path) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)
    report = kms_rotation.check_account(client=snapshot, exemptions=DEMO_EXEMPTIONS)
    plan = kms_rotation.remediate(report, client=snapshot)
    assert isinstance(plan, RemediationReport)
    assert plan.dry_run and plan.rotation_period_days == 365
    assert plan.summary["WOULD_CHANGE"] >= 1
    assert {a.outcome for a in plan} <= {Outcome.WOULD_CHANGE, Outcome.SKIPPED}
    assert plan.to_dict() == json.loads(plan.to_json())
    assert [a.to_dict() for a in plan.actions] == plan.to_dict()["actions"]
    assert "WOULD_CHANGE=" in repr(plan) and "dry_run=True" in repr(plan)
    # The exit codes the CLI gives for the same reports: FAILs are 2; a plan with a skip is 2.
    assert report.exit_code == 2
    skipped = any(a.outcome is Outcome.SKIPPED for a in plan)
    assert plan.exit_code == (2 if skipped else 0)
    # The dry run changed nothing.
    assert kms_rotation.check_account(client=snapshot, exemptions=DEMO_EXEMPTIONS).summary == report.summary

    done = kms_rotation.remediate(report, client=snapshot, dry_run=False, rotation_period_days=180)
    assert not done.dry_run and done.rotation_period_days == 180
    changed = [a for a in done if a.outcome is Outcome.CHANGED]
    assert changed and all(a.verified for a in changed)
    assert all(a.after is not None and a.after.period_days == 180 for a in changed)
    after = kms_rotation.check_account(client=snapshot, exemptions=DEMO_EXEMPTIONS)
    assert after.summary.fail < report.summary.fail
    # No FAIL left but ERROR findings (the demo has two): 3, never 0.
    if after.summary.fail == 0:
        assert after.exit_code == 3
    # The report may also come as its JSON text or its dict.
    again = kms_rotation.remediate(after.to_json(), client=snapshot)
    assert kms_rotation.remediate(after.to_dict(), client=snapshot).summary == again.summary


def test_remediate_keys(demo_path: Path) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)
    report = kms_rotation.check_account(client=snapshot)
    failing = [f.key_arn for f in report.findings_with(Status.FAIL) if f.region == "us-east-1"][:2]
    plan = kms_rotation.remediate_keys(failing, client=snapshot)
    assert plan.dry_run
    assert {arn for a in plan for arn in a.finding_arns} <= set(failing)
    single = kms_rotation.remediate_keys(failing[0], client=snapshot, dry_run=False)
    assert single.actions[0].outcome is Outcome.CHANGED
    assert kms_rotation.check_key(failing[0], client=snapshot).status is Status.PASS


def test_collect_writes_a_snapshot_with_the_same_findings(demo_path: Path, tmp_path: Path) -> None:
    live = kms_rotation.load_snapshot(demo_path)
    out = tmp_path / "collected.json"
    collected = kms_rotation.collect(out, client=live, exemptions=DEMO_EXEMPTIONS)
    assert isinstance(collected, Snapshot) and out.exists()
    assert collected.regions == live.regions == ["eu-west-1", "us-east-1"]
    assert collected.account_id == "111122223333"
    reloaded = kms_rotation.load_snapshot(out)
    a = kms_rotation.check_account(client=live, exemptions=DEMO_EXEMPTIONS)
    b = kms_rotation.check_account(client=reloaded, exemptions=DEMO_EXEMPTIONS)
    assert a.to_dict()["findings"] == b.to_dict()["findings"]


def test_snapshot_round_trips(demo_path: Path, tmp_path: Path) -> None:
    snapshot = Snapshot.load(demo_path)
    copy = Snapshot.from_json(snapshot.to_json())
    assert copy.regions == snapshot.regions
    copy.save(tmp_path / "copy.json")
    assert kms_rotation.load_snapshot(tmp_path / "copy.json").regions == snapshot.regions
    assert kms_rotation.load_snapshot(str(tmp_path / "copy.json")).account_id == "111122223333"


def test_account_report_from_json(demo_path: Path) -> None:
    report = demo_report(demo_path)
    again = AccountReport.from_json(report.to_json())
    assert again == report
    assert again.to_json() == report.to_json()
    from_rust = AccountReport.from_json(RUST_GOLDEN.read_text())
    assert from_rust.generated_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert from_rust.findings == report.findings
    with pytest.raises(kms_rotation.InvalidInputError, match="line 1"):
        AccountReport.from_json('{"schema_version": 1')


def test_progress_events_drive_a_progress_bar(demo_path: Path) -> None:
    events: list[ProgressEvent] = []
    report = kms_rotation.check_account(
        client=kms_rotation.load_snapshot(demo_path), on_progress=events.append
    )
    kinds = [e.kind for e in events]
    assert kinds.count("region_started") == kinds.count("region_finished") == 2
    evaluated = [e for e in events if e.kind == "key_evaluated"]
    assert len(evaluated) == len(report.findings)
    listed = {e.region: e.listed for e in events if e.kind == "keys_listed"}
    assert listed == {r.region: r.keys_listed for r in report.regions}
    finished = [e for e in events if e.kind == "region_finished"]
    assert {e.state for e in finished} == {"scanned"}
    assert repr(evaluated[0]).startswith("ProgressEvent(kind='key_evaluated', region='")


def test_progress_callback_exception_is_raised(demo_path: Path) -> None:
    calls = []

    def broken(event: ProgressEvent) -> None:
        calls.append(event)
        raise RuntimeError("progress bar broke")

    with pytest.raises(RuntimeError, match="progress bar broke"):
        kms_rotation.check_account(client=kms_rotation.load_snapshot(demo_path), on_progress=broken)
    assert len(calls) == 1  # no further calls after the first failure


def test_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", kms_rotation.__version__)


def test_a_boto3_shaped_client_gives_the_same_report_as_the_snapshot(demo_path: Path) -> None:
    """The same account through `SnapshotKms` (JSON over the Python transport)
    and as a native snapshot: the same findings."""
    snapshot = kms_rotation.load_snapshot(demo_path)
    factory = lambda region: SnapshotKms(snapshot, region)  # noqa: E731
    through_python = kms_rotation.check_account(
        client_factory=factory, regions=snapshot.regions, exemptions=DEMO_EXEMPTIONS
    )
    native = demo_report(demo_path)
    assert through_python.to_dict()["findings"] == native.to_dict()["findings"]
    assert through_python.summary == native.summary


def test_check_key_and_remediate_keys_with_a_client_factory(demo_path: Path) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)
    made: list[str] = []

    def factory(region: str) -> SnapshotKms:
        made.append(region)
        return SnapshotKms(snapshot, region)

    report = kms_rotation.check_account(client=snapshot)
    failing = [f for f in report.findings_with(Status.FAIL) if f.key and f.key.multi_region is None]
    west = next(f for f in failing if f.region == "eu-west-1")
    east = next(f for f in failing if f.region == "us-east-1")
    assert kms_rotation.check_key(west.key_arn, client_factory=factory).status is Status.FAIL
    assert made == ["eu-west-1"]
    # Key ids are looked up in `region`; ARNs in their own region.
    plan = kms_rotation.remediate_keys(
        [east.key_id, west.key_arn], region="us-east-1", client_factory=factory, dry_run=False
    )
    assert {a.region for a in plan} == {"us-east-1", "eu-west-1"}
    assert all(a.outcome is Outcome.CHANGED for a in plan)
    assert kms_rotation.check_key(west.key_arn, client=snapshot).status is Status.PASS


def test_findings_are_made_once_and_views_of_the_report(demo_path: Path) -> None:
    report = demo_report(demo_path)
    assert report.findings is report.findings
    assert report.findings_with("FAIL")[0] is report.findings_with(Status.FAIL)[0]
    with pytest.raises(kms_rotation.InvalidInputError, match="status"):
        report.findings_with("MAYBE")
    finding = report.findings[0]
    assert finding == kms_rotation.check_key(finding.key_arn, client=kms_rotation.load_snapshot(demo_path))
    assert finding != report.findings[1]


def test_render_uses_the_core_renderers(demo_path: Path) -> None:
    report = demo_report(demo_path)
    csv = report.render("csv")
    assert len(csv.splitlines()) == len(report.findings) + 1
    assert report.render("json").rstrip("\n") == report.to_json()
    assert "36 keys" in report.render()
    with pytest.raises(kms_rotation.InvalidInputError, match="format"):
        report.render("pdf")
    plan = kms_rotation.remediate(report, client=kms_rotation.load_snapshot(demo_path))
    assert plan.render("json").rstrip("\n") == plan.to_json()
    assert plan.render()
    assert plan.render("html").startswith("<!DOCTYPE html>")


def test_render_reaches_the_people_formats(demo_path: Path) -> None:
    report = demo_report(demo_path)
    html = report.render("html")
    assert html.startswith("<!DOCTYPE html>") and html.count("<tr class=") == len(report.findings)
    junit = ElementTree.fromstring(report.render("junit"))
    assert len(junit.findall("testsuite/testcase")) == len(report.findings)
    assert len(junit.findall("testsuite/testcase/failure")) == len(report.findings_with("FAIL"))
    # The golden file is the CLI's rendering of the same account at a fixed time.
    golden = (REPO / "kms-rotation-core" / "tests" / "golden" / "demo.markdown").read_text()
    stamp = report.to_dict()["generated_at"]
    assert report.render("markdown") == golden.replace("2026-01-01T00:00:00Z", stamp)
    table = report.render("table", only_failing=True)
    assert "NOT_APPLICABLE  " not in table and "kms-rotation remediate --report" in table
    assert "\x1b[" in report.render("table", color=True)


def test_render_takes_every_render_option_of_the_core() -> None:
    parameters = inspect.signature(kms_rotation.AccountReport.render).parameters
    keywords = {p for p, spec in parameters.items() if spec.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keywords == set(_native.RENDER_OPTION_NAMES)


def test_the_fake_records_its_calls() -> None:
    from conftest import account, key_entry

    keys = [key_entry(f"{i:08x}-12ab-34cd-56ef-1234567890ab", alias=None) for i in range(3)]
    kms = SnapshotKms(account(keys), "us-east-1")
    assert repr(kms) == "SnapshotKms(region='us-east-1')"
    page = kms.list_keys()
    assert len(page["Keys"]) == 3 and page["Truncated"] is False
    assert kms.calls == [("list_keys", {})]
    report = kms_rotation.check_account(client=kms)
    assert report.summary.total == 3
    assert ("list_keys", {"Limit": 1000}) in kms.calls
    assert ("describe_key", {"KeyId": keys[0]["KeyMetadata"]["KeyId"]}) in kms.calls


def test_a_cloudsploit_collection_is_judged_by_the_same_rules() -> None:
    collection = (
        Path(__file__).resolve().parents[2]
        / "kms-rotation-core"
        / "tests"
        / "corpus"
        / "cloudsploit-collection.json"
    )
    snapshot = kms_rotation.load_cloudsploit_collection(collection)
    report = kms_rotation.check_account(client=snapshot)
    reasons = sorted(f.reason.value for f in report.findings)
    assert reasons == ["api_error", "aws_managed", "rotation_disabled", "unsupported_key_spec"]


# The broken subscriber below is reported as unraisable, as Python does for callbacks it cannot raise into.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_call_sees_every_api_attempt_as_the_stats_count_them(demo_path: Path) -> None:
    calls: list[dict[str, object]] = []
    report = kms_rotation.check_account(client=kms_rotation.load_snapshot(demo_path), on_call=calls.append)
    counted: dict[str, int] = {}
    for call in calls:
        counted[str(call["operation"])] = counted.get(str(call["operation"]), 0) + 1
    assert counted == dict(report.stats.api_calls)
    assert set(calls[0]) == {"operation", "region", "outcome", "latency_ms", "attempt"}
    assert all(call["attempt"] == 1 for call in calls), "the snapshot answers at once"

    def broken(call: dict[str, object]) -> None:
        raise RuntimeError("a broken subscriber")

    # A subscriber that raises never stops the scan.
    again = kms_rotation.check_account(client=kms_rotation.load_snapshot(demo_path), on_call=broken)
    assert again.summary == report.summary


def test_api_attempts_go_to_the_kms_rotation_logger_at_debug(
    demo_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)
    with caplog.at_level(logging.INFO, logger="kms_rotation"):
        kms_rotation.check_account(client=snapshot)
    assert not caplog.records, "nothing below the logger's level"
    with caplog.at_level(logging.DEBUG, logger="kms_rotation"):
        report = kms_rotation.check_account(client=snapshot)
    records = [r for r in caplog.records if r.name == "kms_rotation"]
    assert len(records) == sum(report.stats.api_calls.values())
    describe = next(r for r in records if r.operation == "DescribeKey")  # type: ignore[attr-defined]
    assert describe.levelno == logging.DEBUG
    assert describe.getMessage().startswith("DescribeKey ")
    assert describe.region in {"us-east-1", "eu-west-1"}  # type: ignore[attr-defined]
