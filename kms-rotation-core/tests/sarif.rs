//! SARIF 2.1.0: one rule per reason with help, one result per `FAIL`
//! (`error`) and `ERROR` (`warning`), the key ARN as the location,
//! fingerprints that stay the same whatever the time, order or message, the
//! same bytes for the same findings, and organisation reports naming each
//! finding's account. The SARIF Multitool and the SARIF 2.1.0 schema of its
//! package validate these files in scripts/test-sarif.sh (this test writes the
//! organisation's to `CARGO_TARGET_TMPDIR/organization.sarif` for it).

use std::collections::BTreeMap;

use kms_rotation_core::{
    AccountReport, CheckOptions, Format, MemoryOrganization, OrganizationOptions, Policy, Reason, RenderOptions,
    Snapshot, Status, Timestamp, check_account, check_organization, render, render_organization, rules,
};
use serde_json::Value;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");

async fn demo() -> AccountReport {
    let policy = Policy::default().with_exemption("tag:rotation-exempt=true").unwrap();
    check_account(
        &Snapshot::load(DEMO).unwrap().clients(),
        &CheckOptions::default().with_policy(policy),
    )
    .await
    .unwrap()
}

fn sarif(report: &AccountReport) -> Value {
    serde_json::from_str(&render(report, Format::Sarif, RenderOptions::default())).unwrap()
}

/// Each result's (rule, location) and its fingerprint.
fn fingerprints(log: &Value) -> BTreeMap<(String, String), String> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["ruleId"].as_str().unwrap().to_owned(),
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                ),
                r["partialFingerprints"]["kmsRotationKey/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_rule_per_reason_and_one_result_per_finding_that_needs_work() {
    let report = demo().await;
    let log = sarif(&report);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "kms-rotation");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["informationUri"], env!("CARGO_PKG_REPOSITORY"));
    let rules_: &Vec<Value> = driver["rules"].as_array().unwrap();
    assert_eq!(rules_.len(), Reason::ALL.len());
    for (rule, reason) in rules_.iter().zip(Reason::ALL) {
        let help = rules::reason_help(reason);
        assert_eq!(rule["id"], reason.as_str());
        assert_eq!(rule["shortDescription"]["text"], help.title);
        assert_eq!(rule["help"]["text"], help.help);
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
        let level = match help.status {
            Status::Fail => "error",
            Status::Error => "warning",
            _ => "none",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{reason}");
    }
    let results = log["runs"][0]["results"].as_array().unwrap();
    let needs_work = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Error));
    assert_eq!(results.len(), needs_work.clone().count());
    for (result, finding) in results.iter().zip(needs_work) {
        assert_eq!(result["ruleId"], finding.reason.as_str());
        assert_eq!(
            result["ruleIndex"],
            Reason::ALL.iter().position(|r| *r == finding.reason).unwrap()
        );
        assert_eq!(
            result["level"],
            if finding.status == Status::Fail {
                "error"
            } else {
                "warning"
            }
        );
        assert_eq!(result["kind"], "fail");
        assert_eq!(result["message"]["text"], finding.message.as_str());
        let location = &result["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            finding.key_arn.as_str()
        );
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            finding.key_arn.as_str()
        );
        assert_eq!(location["logicalLocations"][0]["kind"], "resource");
        assert!(result.get("baselineState").is_none(), "no baseline, no state");
    }
    let prints = fingerprints(&log);
    let distinct: std::collections::HashSet<&String> = prints.values().collect();
    assert_eq!(distinct.len(), prints.len(), "one fingerprint per key");
    assert!(
        prints
            .values()
            .all(|p| p.len() == 64 && p.chars().all(|c| c.is_ascii_hexdigit()))
    );
}

#[tokio::test]
async fn fingerprints_and_bytes_do_not_depend_on_time_order_or_wording() {
    let report = demo().await;
    let text = render(&report, Format::Sarif, RenderOptions::default());
    let mut later = report.clone();
    later.generated_at = Timestamp::from_epoch_seconds(1_900_000_000);
    later.stats.duration_ms += 1234;
    assert_eq!(
        render(&later, Format::Sarif, RenderOptions::default()),
        text,
        "no time in SARIF"
    );
    later.findings.reverse();
    for finding in &mut later.findings {
        finding.message = format!("Reworded: {}", finding.message.to_uppercase());
    }
    assert_eq!(fingerprints(&sarif(&later)), fingerprints(&sarif(&report)));
}

#[tokio::test]
async fn an_organisation_names_each_findings_account() {
    let account = |id: &str| {
        let text = std::fs::read_to_string(DEMO).unwrap().replace("111122223333", id);
        Snapshot::from_json(&text).unwrap()
    };
    let org = MemoryOrganization::new("111122223333")
        .with_account("111122223333", "management", "ACTIVE", account("111122223333"))
        .with_account("444455556666", "member", "ACTIVE", account("444455556666"));
    let scope = OrganizationOptions::default()
        .with_organization(true)
        .with_role_name("KmsRotationAudit");
    let report = check_organization(&org.directory(), &scope, &CheckOptions::default())
        .await
        .unwrap();
    let text = render_organization(&report, Format::Sarif, RenderOptions::default());
    let log: Value = serde_json::from_str(&text).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let failing = report.summary.fail + report.summary.error;
    assert_eq!(results.len() as u64, failing);
    for account in ["111122223333", "444455556666"] {
        let of_account = results
            .iter()
            .filter(|r| r["properties"]["accountId"] == account)
            .count() as u64;
        assert_eq!(of_account * 2, failing, "{account}: half the results");
    }
    assert_eq!(
        fingerprints(&log).len(),
        results.len(),
        "fingerprints differ across accounts"
    );
    // For scripts/test-sarif.sh: the SARIF Multitool validates this file too.
    std::fs::write(concat!(env!("CARGO_TARGET_TMPDIR"), "/organization.sarif"), &text).unwrap();
}
