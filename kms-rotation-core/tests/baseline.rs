//! `--baseline`: each finding marked `new`, `unchanged`, `resolved` or
//! `regressed` against an earlier report, the keys gone since kept, the exit
//! code under `--fail-on new`, a baseline of another policy, region set,
//! account or scope refused (the policy and regions before any call), a
//! region not checked never counted as resolved, and every format showing the
//! difference; for account and organisation reports.

use kms_rotation_core::{
    AccountReport, Baseline, BaselineState, CheckOptions, FailOn, Format, MemoryOrganization, OrganizationOptions,
    OrganizationReport, Policy, RenderOptions, Snapshot, Status, check_account, check_keys, check_organization, render,
    render_organization,
};
use serde_json::{Value, json};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");
/// The fixture the README, the golden files, the browser test and the parity cases use.
const DEMO_BASELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-baseline.json");

fn policy() -> Policy {
    Policy::default().with_exemption("tag:rotation-exempt=true").unwrap()
}

fn options() -> CheckOptions {
    CheckOptions::default().with_policy(policy())
}

async fn check(snapshot: &Snapshot, options: &CheckOptions) -> kms_rotation_core::Result<AccountReport> {
    check_account(&snapshot.clients(), options).await
}

fn demo() -> Snapshot {
    Snapshot::load(DEMO).unwrap()
}

/// The first finding of the report with `status` and `reason`, as JSON.
fn find<'a>(findings: &'a mut [Value], status: &str, reason: &str) -> &'a mut Value {
    findings
        .iter_mut()
        .find(|f| f["status"] == status && f["reason"] == reason)
        .unwrap_or_else(|| panic!("no {status} {reason} finding"))
}

/// An earlier report of the demo account: a key that FAILs now was passing
/// (regressed), a key that passes now was failing (resolved), a key that FAILs
/// now was not there (new), and a key that is gone now was failing (resolved).
/// Returns the baseline's JSON and the ARNs of those four keys.
fn edited_baseline(report: &AccountReport) -> (String, [String; 4]) {
    let mut value: Value = serde_json::from_str(&report.to_json()).unwrap();
    value["generated_at"] = json!("2026-11-01T00:00:00Z");
    let findings = value["findings"].as_array_mut().unwrap();
    let regressed = find(findings, "FAIL", "rotation_disabled");
    let regressed_arn = regressed["key_arn"].as_str().unwrap().to_owned();
    regressed["status"] = json!("PASS");
    regressed["reason"] = json!("rotation_enabled");
    regressed["remediation"] = Value::Null;
    let resolved = find(findings, "PASS", "rotation_enabled");
    let resolved_arn = resolved["key_arn"].as_str().unwrap().to_owned();
    resolved["status"] = json!("FAIL");
    resolved["reason"] = json!("rotation_disabled");
    let new_at = findings
        .iter()
        .position(|f| {
            f["status"] == "FAIL" && f["key_arn"] != regressed_arn.as_str() && f["key_arn"] != resolved_arn.as_str()
        })
        .unwrap();
    let new_arn = findings.remove(new_at)["key_arn"].as_str().unwrap().to_owned();
    let mut gone = findings[0].clone();
    let gone_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-00000000dead".to_owned();
    gone["key_id"] = json!("00000000-0000-4000-8000-00000000dead");
    gone["key_arn"] = json!(gone_arn);
    gone["aliases"] = json!(["alias/deleted-since"]);
    gone["status"] = json!("FAIL");
    gone["reason"] = json!("rotation_disabled");
    gone["message"] = json!("Automatic rotation is off.");
    findings.push(gone);
    (
        serde_json::to_string_pretty(&value).unwrap(),
        [regressed_arn, resolved_arn, new_arn, gone_arn],
    )
}

fn state_of(report: &AccountReport, arn: &str) -> Option<BaselineState> {
    report
        .findings
        .iter()
        .find(|f| f.key_arn == arn)
        .unwrap()
        .baseline_state
}

#[tokio::test]
async fn findings_are_marked_against_the_baseline_and_gone_keys_are_kept() {
    let snapshot = demo();
    let first = check(&snapshot, &options()).await.unwrap();
    let (text, [regressed, resolved, new, gone]) = edited_baseline(&first);
    let report = check(&snapshot, &options().with_baseline(Baseline::from_json(&text).unwrap()))
        .await
        .unwrap();
    assert_eq!(state_of(&report, &regressed), Some(BaselineState::Regressed));
    assert_eq!(state_of(&report, &resolved), Some(BaselineState::Resolved));
    assert_eq!(state_of(&report, &new), Some(BaselineState::New));
    let comparison = report.baseline.as_ref().unwrap();
    assert_eq!(comparison.gone.len(), 1);
    assert_eq!(comparison.gone[0].key_arn, gone);
    assert_eq!(comparison.gone[0].baseline_state, Some(BaselineState::Resolved));
    let counts = comparison.counts;
    assert_eq!((counts.new, counts.regressed, counts.resolved), (1, 1, 2));
    assert_eq!(counts.unchanged as usize, report.findings.len() - 3);
    assert_eq!(comparison.not_compared, 0);
    assert_eq!(comparison.generated_at.to_rfc3339(), "2026-11-01T00:00:00Z");
    // What the baseline said about the keys judged otherwise now.
    let previous = comparison
        .changed
        .iter()
        .map(|f| (f.key_arn.as_str(), f.status))
        .collect::<Vec<_>>();
    assert!(previous.contains(&(regressed.as_str(), Status::Pass)), "{previous:?}");
    assert!(previous.contains(&(resolved.as_str(), Status::Fail)), "{previous:?}");
    // The same bytes back: the comparison is part of the canonical JSON.
    assert_eq!(AccountReport::from_json(&report.to_json()).unwrap(), report);
    assert!(report.to_json().contains("\"baseline_state\": \"regressed\""));
}

#[tokio::test]
async fn the_committed_fixture_has_every_state() {
    let report = check(
        &demo(),
        &options().with_baseline(Baseline::load(DEMO_BASELINE).unwrap()),
    )
    .await
    .unwrap();
    let comparison = report.baseline.as_ref().unwrap();
    for state in BaselineState::ALL {
        assert!(
            comparison.counts.count(state) > 0,
            "{state}: regenerate examples/data/demo-baseline.json"
        );
    }
    assert!(!comparison.gone.is_empty());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.baseline_state == Some(BaselineState::Regressed))
    );
}

#[tokio::test]
async fn fail_on_new_counts_only_new_and_regressed_findings() {
    let snapshot = demo();
    let first = check(&snapshot, &options()).await.unwrap();
    assert_eq!(first.exit_code(), 2, "the demo account has failures");
    let same = Baseline::from_json(&first.to_json()).unwrap();
    // Old failures only: 0 with --fail-on new, 2 without (the default is unchanged).
    let again = check(&snapshot, &options().with_baseline(same.clone())).await.unwrap();
    assert_eq!(again.exit_code(), 2);
    assert!(
        again
            .findings
            .iter()
            .all(|f| f.baseline_state == Some(BaselineState::Unchanged))
    );
    let gated = check(&snapshot, &options().with_baseline(same).with_fail_on(FailOn::New))
        .await
        .unwrap();
    assert_eq!(gated.exit_code(), 0);
    // A new failure: 2.
    let (text, _) = edited_baseline(&first);
    let gated = check(
        &snapshot,
        &options()
            .with_baseline(Baseline::from_json(&text).unwrap())
            .with_fail_on(FailOn::New),
    )
    .await
    .unwrap();
    assert_eq!(gated.exit_code(), 2);
}

#[tokio::test]
async fn an_error_that_was_passing_is_a_regression_with_exit_3() {
    let snapshot = demo();
    let first = check(&snapshot, &options()).await.unwrap();
    let mut value: Value = serde_json::from_str(&first.to_json()).unwrap();
    // Every key that is ERROR now was PASS, and every key that FAILs now failed then too.
    for f in value["findings"].as_array_mut().unwrap() {
        if f["status"] == "ERROR" {
            f["status"] = json!("PASS");
            f["reason"] = json!("rotation_enabled");
        }
    }
    let baseline = Baseline::from_json(&value.to_string()).unwrap();
    let report = check(&snapshot, &options().with_baseline(baseline).with_fail_on(FailOn::New))
        .await
        .unwrap();
    assert!(
        report
            .findings
            .iter()
            .filter(|f| f.status == Status::Error)
            .all(|f| f.baseline_state == Some(BaselineState::Regressed))
    );
    assert_eq!(report.exit_code(), 3);
}

#[tokio::test]
async fn a_baseline_of_another_policy_or_region_set_is_refused_before_any_call() {
    let snapshot = demo();
    let first = check(&snapshot, &options()).await.unwrap();
    let baseline = Baseline::from_json(&first.to_json()).unwrap();
    snapshot.clear_calls();
    let stricter = CheckOptions::default()
        .with_policy(policy().with_max_rotation_period_days(180).unwrap())
        .with_baseline(baseline.clone());
    let error = check(&snapshot, &stricter).await.unwrap_err().to_string();
    assert!(
        error.contains("policy.max_rotation_period_days is 365 in the baseline, 180 now"),
        "{error}"
    );
    let one_region = options()
        .with_regions(["us-east-1"])
        .unwrap()
        .with_baseline(baseline.clone());
    let error = check(&snapshot, &one_region).await.unwrap_err().to_string();
    assert!(
        error.contains("its regions are eu-west-1, us-east-1, this run's are us-east-1"),
        "{error}"
    );
    let without = options().with_fail_on(FailOn::New);
    let error = check(&snapshot, &without).await.unwrap_err().to_string();
    assert!(
        error.contains("fail_on") && error.contains("needs a baseline"),
        "{error}"
    );
    let keys = check_keys(
        &snapshot.clients(),
        "us-east-1",
        &["alias/reports"],
        &options().with_baseline(baseline),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(keys.contains("whole-account"), "{keys}");
    assert!(snapshot.calls().is_empty(), "calls made: {:?}", snapshot.calls());
}

#[tokio::test]
async fn a_baseline_of_another_account_is_refused_once_the_account_is_known() {
    let snapshot = demo();
    let first = check(&snapshot, &options()).await.unwrap();
    let other = first.to_json().replace("111122223333", "999988887777");
    let options = options().with_baseline(Baseline::from_json(&other).unwrap());
    let error = check(&snapshot, &options).await.unwrap_err().to_string();
    assert!(
        error.contains("it is account 999988887777's, this run is account 111122223333's"),
        "{error}"
    );
}

#[tokio::test]
async fn a_region_not_checked_is_not_compared_and_exits_3() {
    let mut snapshot: Value = serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
    let baseline_report = check(&demo(), &options()).await.unwrap();
    snapshot["regions"]["eu-west-1"]["Errors"] =
        json!({"ListKeys": {"Code": "AccessDeniedException", "Message": "denied"}});
    let broken = Snapshot::from_json(&snapshot.to_string()).unwrap();
    let report = check(
        &broken,
        &options()
            .with_baseline(Baseline::from_json(&baseline_report.to_json()).unwrap())
            .with_fail_on(FailOn::New),
    )
    .await
    .unwrap();
    let comparison = report.baseline.as_ref().unwrap();
    let in_eu = baseline_report
        .findings
        .iter()
        .filter(|f| f.region == "eu-west-1")
        .count() as u64;
    assert!(in_eu > 0);
    assert_eq!(comparison.not_compared, in_eu, "never counted as resolved");
    assert!(comparison.gone.is_empty());
    assert_eq!(comparison.counts.resolved, 0);
    assert_eq!(report.exit_code(), 3);
    assert!(comparison.summary_line().contains("not compared"));
}

#[tokio::test]
async fn every_format_shows_the_difference() {
    let snapshot = demo();
    let first = check(&snapshot, &options()).await.unwrap();
    let (text, [regressed, _, new, gone]) = edited_baseline(&first);
    let report = check(&snapshot, &options().with_baseline(Baseline::from_json(&text).unwrap()))
        .await
        .unwrap();
    // Wide enough that no line of the table wraps.
    let shown = |format| render(&report, format, RenderOptions::default().with_width(300));
    let table = shown(Format::Table);
    let last = table.lines().last().unwrap();
    assert!(
        last.starts_with("Since the baseline of 2026-11-01T00:00:00Z: 1 new, 1 regressed,"),
        "{table}"
    );
    let new_id = new.rsplit('/').next().unwrap();
    assert!(
        table.contains("new since the baseline: FAIL") && table.contains(new_id),
        "{table}"
    );
    assert!(table.contains("resolved, key gone:"), "{table}");
    let markdown = shown(Format::Markdown);
    assert!(
        markdown.contains("**Since the baseline of 2026-11-01T00:00:00Z: 1 new, 1 regressed"),
        "{markdown}"
    );
    assert!(markdown.contains("| resolved (key gone) |"), "{markdown}");
    let junit = shown(Format::Junit);
    assert!(junit.contains("<system-out>regressed since the baseline</system-out>"));
    assert!(junit.contains("(gone)"));
    let csv = shown(Format::Csv);
    assert!(csv.lines().next().unwrap().ends_with(",baseline_state"));
    let html = shown(Format::Html);
    assert!(html.contains("data-baseline=\"regressed\"") && html.contains("data-filter=\"baseline\""));
    assert!(html.contains("data-status=\"GONE\""));
    let json: Value = serde_json::from_str(&shown(Format::Json)).unwrap();
    assert_eq!(json["baseline"]["gone"][0]["key_arn"], gone.as_str());
    let sarif: Value = serde_json::from_str(&shown(Format::Sarif)).unwrap();
    let states: Vec<(&str, &str)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap(),
                r["baselineState"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(states.contains(&(regressed.as_str(), "new")), "{states:?}");
    assert!(states.contains(&(new.as_str(), "new")), "{states:?}");
    assert!(states.contains(&(gone.as_str(), "absent")), "{states:?}");
    assert!(states.iter().any(|(_, state)| *state == "unchanged"), "{states:?}");
    for format in [Format::Ocsf, Format::Asff] {
        assert!(shown(format).contains("regressed"), "{format}");
    }
}

fn organisation(flip: Option<&str>) -> MemoryOrganization {
    let account = |id: &str| {
        let text = std::fs::read_to_string(DEMO).unwrap().replace("111122223333", id);
        Snapshot::from_json(&text).unwrap()
    };
    let member = account("444455556666");
    if let Some(alias) = flip {
        // The member's key behind `alias` has rotation on now.
        let text = std::fs::read_to_string(DEMO)
            .unwrap()
            .replace("111122223333", "444455556666");
        let mut value: Value = serde_json::from_str(&text).unwrap();
        for key in value["regions"]["us-east-1"]["keys"].as_array_mut().unwrap() {
            if key["Aliases"].as_array().is_some_and(|a| a.iter().any(|x| x == alias)) {
                key["RotationStatus"] = json!({"KeyRotationEnabled": true, "RotationPeriodInDays": 365});
            }
        }
        return MemoryOrganization::new("111122223333")
            .with_account("111122223333", "management", "ACTIVE", account("111122223333"))
            .with_account(
                "444455556666",
                "member",
                "ACTIVE",
                Snapshot::from_json(&value.to_string()).unwrap(),
            );
    }
    MemoryOrganization::new("111122223333")
        .with_account("111122223333", "management", "ACTIVE", account("111122223333"))
        .with_account("444455556666", "member", "ACTIVE", member)
}

async fn check_org(org: &MemoryOrganization, options: &CheckOptions) -> kms_rotation_core::Result<OrganizationReport> {
    let scope = OrganizationOptions::default()
        .with_organization(true)
        .with_role_name("KmsRotationAudit");
    check_organization(&org.directory(), &scope, options).await
}

#[tokio::test]
async fn organisation_reports_compare_per_account() {
    let before = check_org(&organisation(None), &options()).await.unwrap();
    let failing = before
        .findings
        .iter()
        .find(|f| {
            f.account_id.as_deref() == Some("444455556666")
                && f.region == "us-east-1"
                && f.status == Status::Fail
                && f.reason == kms_rotation_core::Reason::RotationDisabled
                && !f.aliases.is_empty()
                && f.key.as_ref().is_some_and(|k| k.multi_region.is_none())
        })
        .unwrap()
        .clone();
    let org = organisation(Some(&failing.aliases[0]));
    let options = options()
        .with_baseline(Baseline::from_json(&before.to_json()).unwrap())
        .with_fail_on(FailOn::New);
    let after = check_org(&org, &options).await.unwrap();
    let now = after
        .findings
        .iter()
        .find(|f| f.key_arn == failing.key_arn)
        .unwrap_or_else(|| {
            panic!(
                "{:?} {:?}",
                after.accounts,
                after.findings.iter().map(|f| &f.key_arn).collect::<Vec<_>>()
            )
        });
    assert_eq!(now.status, Status::Pass, "{}", now.message);
    let states: Vec<_> = after
        .findings
        .iter()
        .filter(|f| f.baseline_state != Some(BaselineState::Unchanged))
        .map(|f| {
            (
                f.account_id.clone().unwrap(),
                f.key_arn.clone(),
                f.baseline_state.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![(
            "444455556666".to_owned(),
            failing.key_arn.clone(),
            BaselineState::Resolved
        )]
    );
    // The same key ARN pattern in the other account is another key: unchanged.
    assert_eq!(after.exit_code(), 0, "nothing new or regressed");
    assert_eq!(OrganizationReport::from_json(&after.to_json()).unwrap(), after);
    let table = render_organization(&after, Format::Table, RenderOptions::default().with_width(300));
    assert!(table.lines().last().unwrap().contains("1 resolved"), "{table}");
    // An account baseline is not an organisation's.
    let account_report = check(&demo(), &self::options()).await.unwrap();
    let refused = check_org(
        &org,
        &self::options().with_baseline(Baseline::from_json(&account_report.to_json()).unwrap()),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(refused.contains("one account's report"), "{refused}");
    // Nor one of another scope.
    let other_scope = before
        .to_json()
        .replace("\"scope\": \"organization\"", "\"scope\": \"ou-ab12-cdef3456\"");
    let refused = check_org(
        &org,
        &self::options().with_baseline(Baseline::from_json(&other_scope).unwrap()),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("its scope is ou-ab12-cdef3456, this run's is organization"),
        "{refused}"
    );
}

#[test]
fn a_baseline_that_is_not_a_report_is_named() {
    let error = Baseline::from_json("{\"hello\": 1}").unwrap_err().to_string();
    assert!(error.contains("baseline") && error.contains("not a report"), "{error}");
    let error = Baseline::load("/nonexistent/report.json").unwrap_err().to_string();
    assert!(error.contains("/nonexistent/report.json"), "{error}");
}
