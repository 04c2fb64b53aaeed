//! `check_organization` and `remediate_organization` over an organisation in
//! memory (`MemoryOrganization`): one entry per account, findings carrying
//! their account, include / exclude, unknown states, refused roles, progress
//! per account, every format carrying the account, remediation in the right account.

use std::sync::{Arc, Mutex};

use kms_rotation_core::{
    AccountState, CheckOptions, Format, MemoryOrganization, OrganizationOptions, OrganizationReport, Outcome,
    ProgressEvent, RemediateOptions, RenderOptions, Snapshot, Status, check_organization, remediate_organization,
    render_organization,
};

const MANAGEMENT: &str = "111122223333";
const MEMBER: &str = "444455556666";
const NO_ROLE: &str = "777788889999";
const CLOSED: &str = "222233334444";

/// The demo account's keys, moved into `account`.
fn account(id: &str) -> Snapshot {
    let text = std::fs::read_to_string("../examples/data/demo-account.json")
        .unwrap()
        .replace("111122223333", id);
    Snapshot::from_json(&text).unwrap()
}

fn organisation() -> MemoryOrganization {
    MemoryOrganization::new(MANAGEMENT)
        .with_account(MANAGEMENT, "management", "ACTIVE", account(MANAGEMENT))
        .with_account(MEMBER, "member", "ACTIVE", account(MEMBER))
        .with_account(NO_ROLE, "no role", "ACTIVE", account(NO_ROLE))
        .with_account(CLOSED, "closed", "SUSPENDED", account(CLOSED))
        .with_refused_role(NO_ROLE)
}

fn options() -> OrganizationOptions {
    OrganizationOptions::default()
        .with_organization(true)
        .with_role_name("KmsRotationAudit")
}

async fn check(org: &MemoryOrganization, options: &OrganizationOptions) -> OrganizationReport {
    check_organization(&org.directory(), options, &CheckOptions::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_account_gets_one_entry_and_every_finding_its_account() {
    let org = organisation();
    let report = check(&org, &options()).await;
    let states: Vec<(&str, AccountState)> = report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.state))
        .collect();
    assert_eq!(
        states,
        [
            (MANAGEMENT, AccountState::Checked),
            (CLOSED, AccountState::Skipped),
            (MEMBER, AccountState::Checked),
            (NO_ROLE, AccountState::Error),
        ]
    );
    let refused = report.account(NO_ROLE).unwrap().error.clone().unwrap();
    assert_eq!(refused.code, "AccessDenied");
    assert_eq!(
        report.account(CLOSED).unwrap().organizations_state.as_deref(),
        Some("SUSPENDED")
    );
    // The caller's own account with the caller's credentials; the others through the role.
    assert_eq!(org.assumed_roles().iter().filter(|r| r.contains(MANAGEMENT)).count(), 0);
    assert!(
        org.assumed_roles()
            .contains(&format!("arn:aws:iam::{MEMBER}:role/KmsRotationAudit"))
    );
    for f in &report.findings {
        let account = f.account_id.as_deref().unwrap();
        assert!(f.key_arn.contains(account), "{} in {account}", f.key_arn);
    }
    let per_account = report.account(MEMBER).unwrap().summary;
    assert_eq!(report.summary.total, per_account.total * 2);
    assert_eq!(report.summary.fail, report.findings_with(Status::Fail).count() as u64);
    assert_eq!((report.account_summary.checked, report.account_summary.error), (2, 1));
    assert_eq!(report.exit_code(), 2);
    // The canonical JSON reads back, and a single account's JSON is unchanged (no account_id in findings).
    assert_eq!(OrganizationReport::from_json(&report.to_json()).unwrap(), report);
    let single = report.account_report(MEMBER).unwrap();
    assert!(single.to_json().contains("\"account_id\": \"444455556666\""));
    assert!(!single.findings.is_empty());
}

#[tokio::test]
async fn include_exclude_and_accounts_not_in_the_organisation() {
    let org = organisation();
    let report = check(
        &org,
        &options()
            .with_include_accounts([MEMBER, "999999999999"])
            .with_exclude_accounts([NO_ROLE]),
    )
    .await;
    let ids: Vec<&str> = report.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, [MEMBER, "999999999999"]);
    let absent = report.account("999999999999").unwrap();
    assert_eq!(absent.state, AccountState::Error);
    assert_eq!(absent.error.as_ref().unwrap().code, "AccountNotFound");
    assert_eq!(report.exit_code(), 2);
    let excluded = check(&org, &options().with_exclude_accounts([NO_ROLE, CLOSED])).await;
    let ids: Vec<&str> = excluded.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, [MANAGEMENT, MEMBER]);

    // Bad input is refused before any call.
    let error = check_organization(
        &org.directory(),
        &options().with_include_accounts(["4444"]),
        &CheckOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("4444"), "{error}");
}

#[tokio::test]
async fn an_account_without_a_state_is_an_error_and_all_clean_exits_zero() {
    let clean =
        Snapshot::from_json(r#"{"account_id": "444455556666", "regions": {"us-east-1": {"keys": []}}}"#).unwrap();
    let org = MemoryOrganization::new(MANAGEMENT)
        .with_account(MEMBER, "member", "ACTIVE", clean.clone())
        .with_account(CLOSED, "closing", "PENDING_CLOSURE", clean);
    let report = check(&org, &options()).await;
    assert_eq!(report.exit_code(), 0, "a skipped account is not an error");
    assert_eq!(report.account(CLOSED).unwrap().state, AccountState::Skipped);
}

#[tokio::test]
async fn progress_is_told_per_account_and_region() {
    let events: Arc<Mutex<Vec<ProgressEvent>>> = Arc::default();
    let seen = events.clone();
    let check_options = CheckOptions::default().with_progress(move |e| seen.lock().unwrap().push(e.clone()));
    check_organization(&organisation().directory(), &options(), &check_options)
        .await
        .unwrap();
    let events = events.lock().unwrap();
    let started = |id: &str| {
        events
            .iter()
            .any(|e| matches!(e, ProgressEvent::AccountStarted { account_id } if account_id == id))
    };
    assert!(started(MANAGEMENT) && started(MEMBER) && started(NO_ROLE));
    assert!(!started(CLOSED));
    assert!(events.iter().any(|e| matches!(e,
        ProgressEvent::InAccount { account_id, event } if account_id == MEMBER
            && matches!(**event, ProgressEvent::RegionFinished { .. }))));
    assert!(events.iter().any(|e| matches!(e,
        ProgressEvent::AccountFinished { account_id, state: AccountState::Error } if account_id == NO_ROLE)));
}

#[tokio::test]
async fn every_format_carries_the_account() {
    let report = check(&organisation(), &options()).await;
    let render = |format| render_organization(&report, format, RenderOptions::default());
    let csv = render(Format::Csv);
    assert!(csv.starts_with("account_id,region,"));
    assert_eq!(csv.lines().count(), report.findings.len() + 1);
    let ocsf: serde_json::Value = serde_json::from_str(&render(Format::Ocsf)).unwrap();
    let uids: Vec<&str> = ocsf
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["cloud"]["account"]["uid"].as_str().unwrap())
        .collect();
    assert!(uids.contains(&MEMBER) && uids.contains(&MANAGEMENT));
    let asff: serde_json::Value = serde_json::from_str(&render(Format::Asff)).unwrap();
    assert!(asff.as_array().unwrap().iter().any(|f| f["AwsAccountId"] == MEMBER));
    let cloudsploit: serde_json::Value = serde_json::from_str(&render(Format::Cloudsploit)).unwrap();
    assert!(
        cloudsploit
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["accountId"].is_string())
    );
    let table = render(Format::Table);
    assert!(table.contains(&format!("== account {MEMBER} (member) ==")), "{table}");
    assert!(table.contains(&format!("account {CLOSED}: skipped, Organizations state SUSPENDED")));
    assert!(table.contains(&format!("account {NO_ROLE}: not checked (AccessDenied")));
    for format in [Format::Html, Format::Markdown, Format::Junit] {
        let text = render(format);
        assert!(text.contains(&format!("{MEMBER}/us-east-1")), "{format}");
        assert!(text.contains(NO_ROLE), "{format}: the account not checked is shown");
    }
    assert_eq!(render(Format::Json), report.to_json() + "\n");
}

#[tokio::test]
async fn remediation_lands_in_each_account_and_is_a_dry_run_by_default() {
    let org = organisation();
    let report = check(&org, &options()).await;
    let fails = report.findings_with(Status::Fail).count();
    assert!(fails > 0);
    let plan = remediate_organization(&org.directory(), &report, &options(), &RemediateOptions::default())
        .await
        .unwrap();
    assert!(plan.dry_run);
    assert!(plan.actions.iter().all(|a| a.outcome != Outcome::Changed));
    assert!(plan.actions.iter().any(|a| a.outcome == Outcome::WouldChange));
    let accounts: std::collections::BTreeSet<&str> =
        plan.actions.iter().map(|a| a.account_id.as_deref().unwrap()).collect();
    assert_eq!(accounts.into_iter().collect::<Vec<_>>(), [MANAGEMENT, MEMBER]);

    let org = org.clone();
    let fix_options = options().with_remediation_role_name("KmsRotationRemediation");
    let done = remediate_organization(
        &org.directory(),
        &report,
        &fix_options,
        &RemediateOptions::default().with_dry_run(false),
    )
    .await
    .unwrap();
    assert!(
        org.assumed_roles()
            .contains(&format!("arn:aws:iam::{MEMBER}:role/KmsRotationRemediation"))
    );
    for action in &done.actions {
        assert!(action.target_arn.contains(action.account_id.as_deref().unwrap()));
        assert_ne!(action.outcome, Outcome::WouldChange);
    }
    let again = check(&org, &options()).await;
    for account in [MANAGEMENT, MEMBER] {
        let before = report.account(account).unwrap().summary.fail;
        let after = again.account(account).unwrap().summary.fail;
        assert!(after < before, "{account}: {before} -> {after}");
    }

    // A target outside its finding's account is refused before any call.
    let mut forged = report.clone();
    let finding = forged.findings.iter_mut().find(|f| f.status == Status::Fail).unwrap();
    finding.account_id = Some(
        if finding.account_id.as_deref() == Some(MEMBER) {
            MANAGEMENT
        } else {
            MEMBER
        }
        .to_owned(),
    );
    let error = remediate_organization(&org.directory(), &forged, &options(), &RemediateOptions::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not in the finding's account"), "{error}");
}

#[tokio::test]
async fn an_account_whose_regions_cannot_be_listed_is_an_error_entry_and_exit_3() {
    let clean =
        Snapshot::from_json(r#"{"account_id": "111122223333", "regions": {"us-east-1": {"keys": []}}}"#).unwrap();
    let org = MemoryOrganization::new(MANAGEMENT)
        .with_account(MANAGEMENT, "management", "ACTIVE", clean)
        .with_account(MEMBER, "member", "ACTIVE", account(MEMBER))
        .with_regions_refused(MEMBER);
    let report = check_organization(&org.directory(), &options(), &CheckOptions::default())
        .await
        .unwrap();
    let member = report.account(MEMBER).unwrap();
    assert_eq!(member.state, AccountState::Error);
    let error = member.error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.operation.as_deref()),
        ("AccessDeniedException", Some("ListRegions"))
    );
    assert!(report.findings.is_empty());
    assert_eq!(report.exit_code(), 3, "an account not checked is not a clean run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_given_up_leaves_no_account_checking_in_the_background() {
    // Accounts and regions run as tasks of their own: when the caller stops
    // waiting, they stop too, and no call is made after.
    let member = account(MEMBER);
    member.set_latency(std::time::Duration::from_millis(50));
    let org = MemoryOrganization::new(MANAGEMENT).with_account(MEMBER, "member", "ACTIVE", member.clone());
    let (organization, check) = (options(), CheckOptions::default().with_max_in_flight(1));
    let directory = org.directory();
    let run = check_organization(&directory, &organization, &check);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(120), run)
            .await
            .is_err()
    );
    let calls = member.calls().len();
    assert!(calls > 0, "the run had started");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(member.calls().len(), calls, "calls went on after the run was given up");
}
