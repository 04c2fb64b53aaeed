//! Whole organisations end to end on moto's server: Organizations lists the
//! accounts, STS assumes the role in each (moto hands out credentials that act
//! in that account), KMS answers in each account. A role that cannot be
//! assumed is made by the fault proxy (`scripts/fault_proxy.py`) refusing
//! `AssumeRole` into one member: moto itself never checks roles.
//!
//! Needs `KMS_ROTATION_MOTO_ENDPOINT` (`eval "$(scripts/moto.sh start)"`) and
//! python3; without the endpoint the test skips, except under CI, where it fails.
//! The Python and Node suites build the same kind of organisation on moto and
//! compare their built-in runs with runs through boto3 / SDK v3 clients.

use crate::common::endpoint;
use crate::common::moto::{management_account, session_in};
use crate::common::proxy::Proxy;
use aws_sdk_kms::types::KeySpec as SdkKeySpec;
use kms_rotation_core::aws::{self, AwsOptions, AwsSession};
use kms_rotation_core::{
    AccountState, CheckOptions, ConnectionOptions, Format, OrganizationOptions, OrganizationReport, Outcome, Reason,
    RegionState, Regions, RemediateOptions, RenderOptions, StaticCredentials, Status, render_organization,
};
use serde_json::json;

const R1: &str = "us-east-1";
const ROLE: &str = "KmsRotationAudit";

const NO_CLI: &str = "this test runs the command line: build with --features cli (cargo test --workspace does)";

/// The command line acting with the caller's `credentials` from its environment
/// (and no profile); `None` when the test binary was built without it.
fn command_line(credentials: &StaticCredentials) -> Option<std::process::Command> {
    let mut command = std::process::Command::new(option_env!("CARGO_BIN_EXE_kms-rotation")?);
    command
        .env("AWS_ACCESS_KEY_ID", &credentials.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &credentials.secret_access_key)
        .env("AWS_SESSION_TOKEN", credentials.session_token.as_deref().unwrap())
        .env_remove("AWS_PROFILE");
    Some(command)
}

/// Three keys in an account: rotation on (PASS), off (FAIL), RSA (NOT_APPLICABLE); their ids.
async fn seed(session: &AwsSession) -> [String; 3] {
    let kms = session.client(R1).unwrap().sdk_client().clone();
    let mut ids = Vec::new();
    for (alias, spec) in [("on", None), ("off", None), ("rsa", Some(SdkKeySpec::Rsa2048))] {
        let mut create = kms.create_key();
        if let Some(spec) = spec {
            create = create
                .key_spec(spec)
                .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify);
        }
        let id = create.send().await.unwrap().key_metadata.unwrap().key_id;
        kms.create_alias()
            .alias_name(format!("alias/{alias}"))
            .target_key_id(&id)
            .send()
            .await
            .unwrap();
        if alias == "on" {
            kms.enable_key_rotation().key_id(&id).send().await.unwrap();
        }
        ids.push(id);
    }
    [ids[0].clone(), ids[1].clone(), ids[2].clone()]
}

/// A report without its timing (when it was made, how long it took).
fn comparable(report: &OrganizationReport) -> OrganizationReport {
    let mut report = report.clone();
    report.generated_at = kms_rotation_core::Timestamp::from_epoch_seconds(0);
    report.stats.duration_ms = 0;
    report
}

async fn rotation_enabled(session: &AwsSession, key_id: &str) -> bool {
    let kms = session.client(R1).unwrap().sdk_client().clone();
    let out = kms.get_key_rotation_status().key_id(key_id).send().await.unwrap();
    out.key_rotation_enabled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_organisation_with_members_a_refused_role_and_a_suspended_account() {
    let Some(endpoint) = endpoint() else { return };
    let (management, credentials, orgs) = management_account(&endpoint).await;
    let mut members = Vec::new();
    for name in ["member-a", "member-b", "member-norole", "member-closed"] {
        let out = orgs
            .create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .unwrap();
        members.push(out.create_account_status.unwrap().account_id.unwrap());
    }
    let [a, b, norole, closed] = [&members[0], &members[1], &members[2], &members[3]];
    orgs.close_account().account_id(closed.as_str()).send().await.unwrap();

    let mut keys = std::collections::BTreeMap::new();
    for account in [&management, a, b, norole] {
        let session = session_in(&endpoint, account).await;
        keys.insert(account.clone(), (seed(&session).await, session));
    }

    // Through the proxy: AssumeRole into the member without a role is refused.
    let proxy = Proxy::start(&endpoint);
    proxy.set(json!([{"op": "AssumeRole", "action": "error", "code": "AccessDenied",
        "message": "User is not authorized to perform: sts:AssumeRole", "key": norole.as_str()}]));
    let connection = |organization: OrganizationOptions| through(&proxy, &credentials, organization);
    let org = OrganizationOptions::default()
        .with_organization(true)
        .with_role_name(ROLE)
        .with_session_name("org-tests")
        .with_max_accounts_in_flight(2);
    let report = connection(org.clone())
        .check_organization(&CheckOptions::default())
        .await
        .unwrap();

    // Every account once: the management account with the caller's credentials.
    let ids: Vec<&str> = report.accounts.iter().map(|a| a.account_id.as_str()).collect();
    let mut expected = vec![management.as_str(), a, b, norole, closed];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(report.caller_account_id.as_deref(), Some(management.as_str()));
    let entry = |id: &str| report.account(id).unwrap();
    assert_eq!(entry(&management).state, AccountState::Checked);
    assert_eq!(entry(&management).role_arn, None);
    for member in [a, b] {
        assert_eq!(entry(member).state, AccountState::Checked, "{member}");
        assert_eq!(
            entry(member).role_arn.as_deref(),
            Some(format!("arn:aws:iam::{member}:role/{ROLE}").as_str())
        );
        assert_eq!(entry(member).regions[0].state, RegionState::Scanned);
        assert_eq!(entry(member).organizations_state.as_deref(), Some("ACTIVE"));
    }
    let refused = entry(norole);
    assert_eq!(refused.state, AccountState::Error);
    let error = refused.error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.operation.as_deref()),
        ("AccessDenied", Some("AssumeRole"))
    );
    assert_eq!(entry(closed).state, AccountState::Skipped);
    assert_eq!(entry(closed).organizations_state.as_deref(), Some("SUSPENDED"));
    assert_eq!(report.account_summary.total, 5);
    assert_eq!(
        (
            report.account_summary.checked,
            report.account_summary.skipped,
            report.account_summary.error
        ),
        (3, 1, 1)
    );

    // Every verdict, in its own account.
    for account in [&management, a, b] {
        let (ids, _) = &keys[account];
        let verdict = |id: &str| {
            let found: Vec<_> = report.findings.iter().filter(|f| f.key_id == id).collect();
            assert_eq!(found.len(), 1, "{id}");
            assert_eq!(found[0].account_id.as_deref(), Some(account.as_str()));
            assert!(found[0].key_arn.contains(account.as_str()));
            (found[0].status, found[0].reason)
        };
        assert_eq!(verdict(&ids[0]), (Status::Pass, Reason::RotationEnabled));
        assert_eq!(verdict(&ids[1]), (Status::Fail, Reason::RotationDisabled));
        assert_eq!(verdict(&ids[2]), (Status::NotApplicable, Reason::UnsupportedKeySpec));
    }
    assert_eq!(report.findings.len(), 9);
    assert_eq!(report.summary.fail, 3);
    assert_eq!(report.exit_code(), 2);
    let csv = render_organization(&report, Format::Csv, RenderOptions::default());
    assert!(csv.starts_with("account_id,"));
    assert!(csv.contains(&format!("{a},{R1},")));

    // The command line gives the same report for the same organisation.
    if let Some(mut command) = command_line(&credentials) {
        let out = command
            .args([
                "check",
                "--organization",
                "--role-name",
                ROLE,
                "--session-name",
                "org-tests",
            ])
            .args([
                "--max-accounts-in-flight",
                "2",
                "--region",
                R1,
                "--endpoint-url",
                &proxy.url,
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("account {norole} was not checked")));
        let from_cli = OrganizationReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
        assert_eq!(comparable(&from_cli), comparable(&report));
    }

    // Remediation: a dry run first, then each FAIL fixed in its own account.
    let plan = connection(org.clone())
        .remediate_organization(&report, &RemediateOptions::default())
        .await
        .unwrap();
    assert_eq!(plan.actions.len(), 3);
    assert!(plan.actions.iter().all(|a| a.outcome == Outcome::WouldChange));
    for account in [&management, a, b] {
        assert!(!rotation_enabled(&keys[account].1, &keys[account].0[1]).await);
    }
    let fixed = connection(org.with_remediation_role_name("KmsRotationRemediation"))
        .remediate_organization(&report, &RemediateOptions::default().with_dry_run(false))
        .await
        .unwrap();
    assert_eq!(fixed.exit_code(), 0, "{}", fixed.to_json());
    for action in &fixed.actions {
        let account = action.account_id.as_deref().unwrap();
        assert!(action.target_arn.contains(account));
        assert_eq!((action.outcome, action.verified), (Outcome::Changed, true));
    }
    for account in [&management, a, b] {
        let (ids, session) = &keys[account];
        assert!(rotation_enabled(session, &ids[1]).await, "{account}");
    }
}

/// A fresh organisation on moto: its management account, the caller's
/// credentials there, and members with three keys each.
async fn organisation_with(endpoint: &str, names: &[&str]) -> (String, StaticCredentials, Vec<String>) {
    let (management, credentials, orgs) = management_account(endpoint).await;
    let mut members = Vec::new();
    for name in names {
        let out = orgs
            .create_account()
            .account_name(*name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .unwrap();
        let id = out.create_account_status.unwrap().account_id.unwrap();
        seed(&session_in(endpoint, &id).await).await;
        members.push(id);
    }
    (management, credentials, members)
}

/// An organisation run in region R1 through `proxy`, with the caller's `credentials`.
fn through(
    proxy: &Proxy,
    credentials: &StaticCredentials,
    organization: OrganizationOptions,
) -> kms_rotation_core::Connection {
    ConnectionOptions::default()
        .with_credentials(credentials.clone())
        .with_endpoint_url(&proxy.url)
        .with_regions(Regions::from_names([R1]).unwrap())
        .with_organization(organization)
        .build()
        .unwrap()
}

/// The STS calls the proxy saw for `op` naming `needle` (a role ARN's account).
fn calls_for(proxy: &Proxy, op: &str, needle: &str) -> usize {
    proxy
        .calls()
        .iter()
        .filter(|c| c["op"] == op && c["key"].as_str().is_some_and(|k| k.contains(needle)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_account_whose_regions_cannot_be_listed_gets_an_error_entry_and_the_rest_are_checked() {
    let Some(endpoint) = endpoint() else { return };
    let (_, credentials, members) = organisation_with(&endpoint, &["regions-a", "regions-b"]).await;
    // moto has no Account API: the proxy answers ListRegions, and refuses the first one.
    let proxy = Proxy::start(&endpoint);
    proxy.set(json!([
        {"op": "ListRegions", "action": "error", "code": "AccessDeniedException", "status": 403,
         "message": "not authorized to perform: account:ListRegions", "times": 1},
        {"op": "ListRegions", "action": "answer",
         "body": {"Regions": [{"RegionName": R1, "RegionOptStatus": "ENABLED_BY_DEFAULT"},
                              {"RegionName": "me-south-1", "RegionOptStatus": "DISABLED"}]}},
    ]));
    // Every enabled region needs the home region from the configuration: the
    // command line, with AWS_REGION set in its own environment.
    let mut command = command_line(&credentials).expect(NO_CLI);
    command.args(["check", "--organization", "--role-name", ROLE, "--all-regions"]);
    for member in &members {
        command.args(["--include-account", member]);
    }
    let out = command
        .args([
            "--max-accounts-in-flight",
            "1",
            "--endpoint-url",
            &proxy.url,
            "--format",
            "json",
        ])
        .env("AWS_REGION", R1)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(0),
        "an account not checked is never a clean run: {stderr}"
    );
    assert!(stderr.contains("was not checked"), "{stderr}");
    let report = OrganizationReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(report.accounts.len(), 2);
    let failed: Vec<_> = report
        .accounts
        .iter()
        .filter(|a| a.state == AccountState::Error)
        .collect();
    assert_eq!(failed.len(), 1, "{}", report.to_json());
    let error = failed[0].error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.operation.as_deref()),
        ("AccessDeniedException", Some("ListRegions"))
    );
    assert!(failed[0].regions.is_empty());
    let checked: Vec<_> = report
        .accounts
        .iter()
        .filter(|a| a.state == AccountState::Checked)
        .collect();
    assert_eq!(checked.len(), 1);
    let regions: Vec<&str> = checked[0].regions.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions, [R1], "only the enabled region");
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.account_id.as_deref() == Some(&checked[0].account_id))
            .count(),
        3
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.account_id.as_deref() == Some(&checked[0].account_id))
    );
    assert_ne!(report.exit_code(), 0, "an account not checked is never a clean run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_accounts_role_credentials_are_renewed_before_they_expire() {
    let Some(endpoint) = endpoint() else { return };
    let (_, credentials, members) = organisation_with(&endpoint, &["renew-a"]).await;
    let member = &members[0];
    // STS hands out role credentials that expire 12 s from now: fresh when
    // the account's clients are made, due for renewal once half their life
    // has passed (the rule for credentials shorter-lived than twice RENEW_BEFORE_EXPIRY). KMS
    // answers slowly enough (4 s a DescribeKey, one call at a time) that the
    // account's check outlasts that.
    let proxy = Proxy::start(&endpoint);
    proxy.set(json!([
        {"op": "AssumeRole", "action": "expire_in", "seconds": 12, "key": member.as_str()},
        {"op": "DescribeKey", "action": "hang", "delay": 4},
    ]));
    let organization = OrganizationOptions::default()
        .with_organization(true)
        .with_role_name(ROLE)
        .with_include_accounts([member.clone()]);
    let report = through(&proxy, &credentials, organization)
        .check_organization(&CheckOptions::default().with_max_in_flight(1))
        .await
        .unwrap();
    let entry = report.account(member).unwrap();
    assert_eq!(entry.state, AccountState::Checked, "{}", report.to_json());
    assert!(
        report.findings.iter().all(|f| f.status != Status::Error),
        "{}",
        report.to_json()
    );
    assert!(
        calls_for(&proxy, "AssumeRole", member) >= 2,
        "the role was assumed once and never renewed: {:?}",
        proxy.calls()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_listed_without_its_id_fails_the_listing_instead_of_vanishing() {
    let Some(endpoint) = endpoint() else { return };
    let (_, credentials, _) = organisation_with(&endpoint, &[]).await;
    let proxy = Proxy::start(&endpoint);
    proxy.set(
        json!([{"op": "ListAccounts", "action": "set_field", "field": "Accounts",
                      "value": [{"Name": "nameless", "Status": "ACTIVE"}]}]),
    );
    let organization = OrganizationOptions::default()
        .with_organization(true)
        .with_role_name(ROLE);
    let err = through(&proxy, &credentials, organization)
        .check_organization(&CheckOptions::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("ListAccounts") && text.contains("without its Id"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizational_unit_is_walked_through_its_nested_units() {
    let Some(endpoint) = endpoint() else { return };
    let (management, credentials, members) =
        organisation_with(&endpoint, &["ou-outer-member", "ou-inner-member"]).await;
    let orgs = aws_sdk_organizations::Client::new(session_in(&endpoint, &management).await.sdk_config());
    let root = orgs.list_roots().send().await.unwrap().roots.unwrap()[0]
        .id
        .clone()
        .unwrap();
    let mut parent = root.clone();
    let mut units = Vec::new();
    for (name, member) in ["outer", "inner"].into_iter().zip(&members) {
        let unit = orgs
            .create_organizational_unit()
            .parent_id(&parent)
            .name(name)
            .send()
            .await
            .unwrap()
            .organizational_unit
            .unwrap()
            .id
            .unwrap();
        orgs.move_account()
            .account_id(member)
            .source_parent_id(&root)
            .destination_parent_id(&unit)
            .send()
            .await
            .unwrap();
        units.push(unit.clone());
        parent = unit;
    }
    let proxy = Proxy::start(&endpoint);
    for (unit, expected) in [(&units[0], members.clone()), (&units[1], vec![members[1].clone()])] {
        let organization = OrganizationOptions::default()
            .with_organizational_unit(unit.as_str())
            .with_role_name(ROLE);
        let report = through(&proxy, &credentials, organization)
            .check_organization(&CheckOptions::default())
            .await
            .unwrap();
        let mut listed: Vec<String> = report.accounts.iter().map(|a| a.account_id.clone()).collect();
        let mut expected = expected;
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected, "under {unit}");
        assert_eq!(report.scope, *unit);
        assert!(
            report.accounts.iter().all(|a| a.state == AccountState::Checked),
            "{}",
            report.to_json()
        );
    }
}

/// The organisation's root id (moto makes one with the organisation).
async fn root_of(endpoint: &str, management: &str) -> String {
    let orgs = aws_sdk_organizations::Client::new(session_in(endpoint, management).await.sdk_config());
    orgs.list_roots().send().await.unwrap().roots.unwrap()[0]
        .id
        .clone()
        .unwrap()
}

/// Runs `check` with `faults` set on a fresh proxy, bounded so that a hang fails the test.
async fn check_through_faults(
    endpoint: &str,
    credentials: &StaticCredentials,
    organization: OrganizationOptions,
    faults: serde_json::Value,
) -> (
    Result<OrganizationReport, kms_rotation_core::Error>,
    Vec<serde_json::Value>,
) {
    let proxy = Proxy::start(endpoint);
    proxy.set(faults.clone());
    let (connection, check) = (through(&proxy, credentials, organization), CheckOptions::default());
    let run = connection.check_organization(&check);
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .unwrap_or_else(|_| panic!("the run hung under {faults}"));
    (outcome, proxy.calls())
}

/// The organisation fault cases every door runs (`scripts/parity/organization-faults.json`).
fn fault_cases() -> Vec<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/parity/organization-faults.json"
    );
    let cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases["cases"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn organisation_listing_faults_end_in_a_named_error_or_every_account_checked() {
    let Some(endpoint) = endpoint() else { return };
    let (management, credentials, members) = organisation_with(&endpoint, &["faults-a", "faults-b"]).await;
    let root = root_of(&endpoint, &management).await;
    let mut everyone = members.clone();
    everyone.push(management.clone());
    everyone.sort();
    for case in fault_cases() {
        let name = &case["name"];
        let organization = match case["scope"].as_str() {
            Some("root") => OrganizationOptions::default().with_organizational_unit(root.as_str()),
            _ => OrganizationOptions::default().with_organization(true),
        }
        .with_role_name(ROLE);
        let (outcome, calls) =
            check_through_faults(&endpoint, &credentials, organization, case["faults"].clone()).await;
        assert!(
            calls.iter().any(|c| !c["fault"].is_null()),
            "{name}: the fault never fired"
        );
        if let Some(expected) = case["expect"].get("error") {
            let Err(kms_rotation_core::Error::Api { operation, source, .. }) = &outcome else {
                panic!("{name}: expected an API error, got {outcome:?}");
            };
            assert_eq!(*operation, expected["operation"], "{name}");
            assert_eq!(source.code, expected["code"], "{name}: {source}");
            assert!(source.message.contains("a second time"), "{name}: {source}");
            continue;
        }
        let report = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
        let listed: Vec<&str> = report.accounts.iter().map(|a| a.account_id.as_str()).collect();
        assert_eq!(listed, everyone, "{name}: each account once");
        assert!(
            report.accounts.iter().all(|a| a.state == AccountState::Checked),
            "{name}: {}",
            report.to_json()
        );
        if case["retried"] == true {
            assert!(report.stats.retries > 0, "{name}: nothing was retried");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_exits_non_zero_when_the_account_listing_never_ends() {
    let Some(endpoint) = endpoint() else { return };
    let (_, credentials, _) = organisation_with(&endpoint, &[]).await;
    let proxy = Proxy::start(&endpoint);
    proxy.set(json!([{"op": "ListAccounts", "action": "tokens", "pattern": "cycle", "distance": 2}]));
    let out = command_line(&credentials)
        .expect(NO_CLI)
        .args(["check", "--organization", "--role-name", ROLE, "--region", R1])
        .args(["--endpoint-url", &proxy.url, "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !matches!(out.status.code(), Some(0) | Some(2)),
        "{:?}: {stderr}",
        out.status
    );
    assert!(
        stderr.contains("ListAccounts") && stderr.contains("a second time"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no report for an organisation that could not be listed"
    );
}

/// The AWS SDK's organisation client on moto, the fault proxy refusing the refused members' roles.
struct MotoOrgBackend {
    endpoint: String,
    proxy: Proxy,
}

#[kms_rotation_core::async_trait]
impl kms_rotation_core::conformance::organization::OrgBackend for MotoOrgBackend {
    fn name(&self) -> String {
        "aws-sdk on moto".to_owned()
    }

    async fn organization(
        &self,
        shape: &kms_rotation_core::conformance::organization::OrgShape,
    ) -> kms_rotation_core::Result<kms_rotation_core::conformance::organization::ServedOrganization> {
        let (management, credentials, orgs) = management_account(&self.endpoint).await;
        let made = |n: usize, prefix: &str| {
            let orgs = orgs.clone();
            let prefix = prefix.to_owned();
            async move {
                let mut ids = Vec::new();
                for i in 0..n {
                    let name = format!("{prefix}-{i}");
                    let out = orgs
                        .create_account()
                        .account_name(&name)
                        .email(format!("{name}@example.com"))
                        .send()
                        .await
                        .unwrap();
                    ids.push(out.create_account_status.unwrap().account_id.unwrap());
                }
                ids
            }
        };
        let active = made(shape.active_members, "conform").await;
        let suspended = made(shape.suspended_members, "conform-closed").await;
        let refused = made(shape.refused_members, "conform-refused").await;
        for id in &suspended {
            orgs.close_account().account_id(id).send().await.unwrap();
        }
        let faults: Vec<serde_json::Value> = refused
            .iter()
            .map(|id| {
                json!({"op": "AssumeRole", "action": "error", "code": "AccessDenied", "key": id,
                             "message": "User is not authorized to perform: sts:AssumeRole"})
            })
            .collect();
        self.proxy.set(json!(faults));
        let session = AwsSession::connect(
            &AwsOptions::default()
                .with_static_credentials(
                    &credentials.access_key_id,
                    &credentials.secret_access_key,
                    credentials.session_token.as_deref(),
                )
                .with_endpoint_url(&self.proxy.url)?
                .with_regions([R1])?,
        )
        .await?;
        let directory = kms_rotation_core::AccountDirectory::new(
            std::sync::Arc::new(aws::AwsOrgClient::new(&session)),
            Regions::from_names([R1])?,
        );
        Ok(kms_rotation_core::conformance::organization::ServedOrganization::new(
            directory, management, active, suspended, refused,
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_aws_sdk_organisation_client_on_moto_conforms() {
    let Some(endpoint) = endpoint() else { return };
    let proxy = Proxy::start(&endpoint);
    let backend = MotoOrgBackend { endpoint, proxy };
    let results = kms_rotation_core::conformance::organization::run(&backend).await;
    kms_rotation_core::conformance::organization::assert_passed(&results);
}
