//! Findings kept current in Security Hub: the delivery over the in-memory
//! Security Hub (which keeps findings as Security Hub does: an import with
//! the same `Id` updates it, and leaves its workflow alone), and over moto's
//! Security Hub through the AWS SDK client and the fault proxy — import,
//! re-check updating the same ids, a key fixed (PASSED, RESOLVED), a key gone
//! (ARCHIVED), throttling on import, `FailedFindings` sent again, and the CLI.

use std::sync::Arc;
use std::time::Duration;

use crate::common;
use crate::common::proxy::Proxy;
use crate::common::{ACCOUNT, arn, endpoint, fresh_account_id, key, key_id, load, metadata, rotation};
use kms_rotation_core::aws::{AwsSecurityHub, AwsSession};
use kms_rotation_core::continuous::security_hub::{
    DeliveryOptions, MemorySecurityHub, SecurityHubClient, deliver, generator_id,
};
use kms_rotation_core::{
    AccountReport, CheckOptions, ConnectionOptions, Operation, Regions, RetryConfig, SecurityHubClients,
    SecurityHubTarget, StaticCredentials, Status, Timestamp, TransportSecurityHub, check_account,
};
use serde_json::{Value, json};

const R1: &str = "us-east-1";

/// A snapshot account in us-east-1: key `n` with rotation on (`Some(true)`),
/// off (`Some(false)`), or its rotation status denied (`None`: ERROR).
fn account(keys: &[(u32, Option<bool>)]) -> String {
    let entries: Vec<Value> = keys
        .iter()
        .map(|(n, on)| {
            let mut entry = key(
                metadata(R1, &key_id(*n)),
                on.map(|on| rotation(on, Some(365))),
                &format!("alias/k{n}"),
            );
            if on.is_none() {
                entry["Errors"] =
                    json!({"GetKeyRotationStatus": {"Code": "AccessDeniedException", "Message": "denied"}});
            }
            entry
        })
        .collect();
    json!({"account_id": ACCOUNT, "regions": {R1: {"keys": entries}}}).to_string()
}

async fn check(keys: &[(u32, Option<bool>)]) -> AccountReport {
    check_account(&load(&account(keys)).clients(), &CheckOptions::default())
        .await
        .unwrap()
}

fn finding_id(n: u32) -> String {
    format!("kms-rotation/{R1}/{}/kms_key_rotation", arn(R1, &key_id(n)))
}

fn at(seconds: i64) -> DeliveryOptions {
    DeliveryOptions::default().with_now(Timestamp::from_epoch_seconds(1_800_000_000 + seconds))
}

fn hub() -> (Arc<MemorySecurityHub>, SecurityHubClients) {
    let hub = Arc::new(MemorySecurityHub::new(R1));
    let clients = SecurityHubClients::new().with_client(hub.clone());
    (hub, clients)
}

fn field<'a>(finding: &'a Value, pointer: &str) -> &'a str {
    finding.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

#[tokio::test]
async fn one_finding_per_key_then_updated_in_place() {
    let (hub, clients) = hub();
    let report = check(&[(1, Some(true)), (2, Some(false)), (3, Some(false))]).await;
    let first = deliver(&clients, &report, &at(0)).await.unwrap();
    assert_eq!((first.imported, first.created, first.updated), (3, 3, 0), "{first:?}");
    assert!(first.is_complete());
    let before = hub.findings();
    assert_eq!(
        before.keys().cloned().collect::<Vec<_>>(),
        vec![finding_id(1), finding_id(2), finding_id(3)]
    );
    assert_eq!(field(&before[&finding_id(1)], "/Compliance/Status"), "PASSED");
    assert_eq!(field(&before[&finding_id(1)], "/Workflow/Status"), "RESOLVED");
    assert_eq!(field(&before[&finding_id(2)], "/Compliance/Status"), "FAILED");
    assert_eq!(field(&before[&finding_id(2)], "/GeneratorId"), generator_id());

    // The same facts checked again, in the same second: the same ids, updated, with a newer UpdatedAt.
    let again = deliver(&clients, &report, &at(0)).await.unwrap();
    assert_eq!((again.imported, again.created, again.updated), (3, 0, 3), "{again:?}");
    let after = hub.findings();
    assert_eq!(after.keys().collect::<Vec<_>>(), before.keys().collect::<Vec<_>>());
    for (id, finding) in &after {
        assert_eq!(finding["CreatedAt"], before[id]["CreatedAt"], "{id}: CreatedAt kept");
        assert!(
            field(finding, "/UpdatedAt") > field(&before[id], "/UpdatedAt"),
            "{id}: UpdatedAt {} not after {}",
            field(finding, "/UpdatedAt"),
            field(&before[id], "/UpdatedAt")
        );
    }
}

#[tokio::test]
async fn a_key_fixed_is_passed_and_resolved_and_a_key_gone_is_archived() {
    let (hub, clients) = hub();
    deliver(&clients, &check(&[(1, Some(false)), (2, Some(false))]).await, &at(0))
        .await
        .unwrap();
    assert_eq!(field(&hub.findings()[&finding_id(1)], "/Workflow/Status"), "NEW");

    // Key 1 now rotates; key 2 is gone from the account.
    let outcome = deliver(&clients, &check(&[(1, Some(true))]).await, &at(60))
        .await
        .unwrap();
    assert_eq!(
        (outcome.updated, outcome.resolved, outcome.archived),
        (1, 1, 1),
        "{outcome:?}"
    );
    let findings = hub.findings();
    let fixed = &findings[&finding_id(1)];
    assert_eq!(field(fixed, "/Compliance/Status"), "PASSED");
    // Security Hub keeps a workflow on import: only BatchUpdateFindings resolves it.
    assert_eq!(field(fixed, "/Workflow/Status"), "RESOLVED");
    assert_eq!(field(fixed, "/RecordState"), "ACTIVE");
    let gone = &findings[&finding_id(2)];
    assert_eq!(field(gone, "/RecordState"), "ARCHIVED");
    assert_eq!(field(gone, "/Compliance/Status"), "FAILED", "archived as it was");
    assert_eq!(hub.calls(Operation::BatchUpdateFindings), 1);

    // Archived findings are not archived again.
    let quiet = deliver(&clients, &check(&[(1, Some(true))]).await, &at(120))
        .await
        .unwrap();
    assert_eq!((quiet.archived, quiet.resolved), (0, 0), "{quiet:?}");
}

#[tokio::test]
async fn an_error_is_never_sent_and_its_finding_stays() {
    let (hub, clients) = hub();
    deliver(&clients, &check(&[(1, Some(false)), (2, Some(true))]).await, &at(0))
        .await
        .unwrap();
    // Key 1's rotation status cannot be read now: not a verdict.
    let report = check(&[(1, None), (2, Some(true))]).await;
    assert_eq!(report.findings[0].status, Status::Error);
    let outcome = deliver(&clients, &report, &at(60)).await.unwrap();
    assert_eq!(
        (outcome.imported, outcome.not_sent, outcome.archived),
        (1, 1, 0),
        "{outcome:?}"
    );
    let kept = &hub.findings()[&finding_id(1)];
    assert_eq!(field(kept, "/Compliance/Status"), "FAILED", "the last verdict stands");
    assert_eq!(field(kept, "/RecordState"), "ACTIVE");
}

#[tokio::test]
async fn refused_findings_are_sent_again_and_reported_when_still_refused() {
    let (hub, clients) = hub();
    let report = check(&[(1, Some(true)), (2, Some(true))]).await;
    hub.refuse(finding_id(1), "InternalFailure", 1);
    let retried = deliver(&clients, &report, &at(0)).await.unwrap();
    assert!(retried.is_complete(), "{retried:?}");
    assert_eq!(retried.imported, 2);
    assert_eq!(hub.calls(Operation::BatchImportFindings), 2);

    hub.refuse(finding_id(2), "InvalidInput", 10);
    let refused = deliver(&clients, &report, &at(60)).await.unwrap();
    assert_eq!(refused.imported, 1);
    assert_eq!(refused.failed.len(), 1, "{refused:?}");
    let failed = &refused.failed[0];
    assert_eq!(
        (failed.id.as_str(), failed.code.as_str(), failed.operation.as_str()),
        (finding_id(2).as_str(), "InvalidInput", "BatchImportFindings")
    );
    // A clean check whose findings did not all reach Security Hub is not a clean run.
    let mut report = report;
    assert_eq!(report.exit_code(), 0);
    report.security_hub = Some(refused);
    assert_eq!(report.exit_code(), 3);
}

#[tokio::test]
async fn findings_go_in_batches_of_one_hundred() {
    let (hub, clients) = hub();
    let keys: Vec<(u32, Option<bool>)> = (1..=250).map(|n| (n, Some(n % 2 == 0))).collect();
    let outcome = deliver(&clients, &check(&keys).await, &at(0)).await.unwrap();
    assert_eq!(outcome.imported, 250);
    assert_eq!(hub.calls(Operation::BatchImportFindings), 3);
    // Reading them back takes three pages of 100.
    deliver(&clients, &check(&keys).await, &at(60)).await.unwrap();
    assert_eq!(hub.calls(Operation::GetFindings), 1 + 3);
}

#[tokio::test]
async fn a_check_of_named_keys_archives_only_keys_found_gone() {
    let (hub, clients) = hub();
    deliver(&clients, &check(&[(1, Some(true)), (2, Some(true))]).await, &at(0))
        .await
        .unwrap();
    let partial = check(&[(1, Some(true))]).await;
    let outcome = deliver(&clients, &partial, &at(60).with_archive_missing(false))
        .await
        .unwrap();
    assert_eq!(outcome.archived, 0);
    assert_eq!(field(&hub.findings()[&finding_id(2)], "/RecordState"), "ACTIVE");
}

#[tokio::test]
async fn a_region_without_security_hub_matters_only_when_there_is_something_to_send() {
    let (hub, clients) = hub();
    hub.refuse_reads("InvalidAccessException");
    // A Region scanned with no key in it: nothing to keep current there.
    let empty = check(&[]).await;
    let quiet = deliver(&clients, &empty, &at(0)).await.unwrap();
    assert_eq!(quiet, Default::default());
    let mut report = check(&[(1, Some(true))]).await;
    report.findings.clear();
    let quiet = deliver(&clients, &report, &at(0)).await.unwrap();
    assert!(quiet.is_complete(), "{quiet:?}");
    // With findings to send, the unread Region is a failure (the imports still go).
    let report = check(&[(1, Some(true))]).await;
    let outcome = deliver(&clients, &report, &at(0)).await.unwrap();
    assert_eq!(outcome.imported, 1);
    assert_eq!(outcome.failed.len(), 1, "{outcome:?}");
    assert_eq!(
        (outcome.failed[0].operation.as_str(), outcome.failed[0].code.as_str()),
        ("GetFindings", "InvalidAccessException")
    );
}

#[tokio::test]
async fn a_region_without_a_client_is_reported_not_dropped() {
    let report = check(&[(1, Some(true))]).await;
    let clients = SecurityHubClients::new().with_client(Arc::new(MemorySecurityHub::new("eu-west-1")));
    let outcome = deliver(&clients, &report, &at(0)).await.unwrap();
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].code, "NoSecurityHubClient");
}

// ---------------------------------------------------------------------------
// moto's Security Hub, through the AWS SDK client and the fault proxy.

/// A fresh emulated account with keys `alias/k1`… (the odd ones rotate).
struct Emulated {
    role_arn: String,
    account: String,
    session: AwsSession,
    proxy: Proxy,
}

impl Emulated {
    async fn new(endpoint: &str, keys: u32) -> Self {
        let account = fresh_account_id();
        let role_arn = format!("arn:aws:iam::{account}:role/KmsRotationAudit");
        let session = common::moto::session_in(endpoint, &account).await;
        common::moto::seed(session.client(R1).unwrap().sdk_client(), keys).await;
        Self {
            role_arn,
            account,
            session,
            proxy: Proxy::start(endpoint),
        }
    }

    async fn check(&self, retry: RetryConfig) -> AccountReport {
        ConnectionOptions::default()
            .with_credentials(StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing-secret".into(),
                session_token: None,
            })
            .with_endpoint_url(&self.proxy.url)
            .with_role_arn(&self.role_arn)
            .with_regions(Regions::from_names([R1]).unwrap())
            .with_security_hub(SecurityHubTarget::Aws)
            .build()
            .unwrap()
            .check_account(&CheckOptions::default().with_retry(retry))
            .await
            .unwrap()
    }

    /// Every finding moto's Security Hub holds for the account, by `Id`.
    async fn findings(&self) -> std::collections::BTreeMap<String, Value> {
        let hub = hub_of(&self.session);
        let mut all = std::collections::BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = hub.get_findings(&json!({}), token.as_deref()).await.unwrap();
            for finding in page.items {
                all.insert(field(&finding, "/Id").to_owned(), finding);
            }
            match page.next_marker {
                Some(next) => token = Some(next),
                None => return all,
            }
        }
    }
}

/// The built-in Security Hub client of `session` in us-east-1, to read and seed findings.
fn hub_of(session: &AwsSession) -> TransportSecurityHub<AwsSecurityHub> {
    TransportSecurityHub::new(AwsSecurityHub::new(session, R1).unwrap(), R1).unwrap()
}

fn quick() -> RetryConfig {
    RetryConfig::default().with_delays(Duration::from_millis(20), Duration::from_millis(200))
}

fn ops(proxy: &Proxy, op: &str) -> Vec<Value> {
    proxy.calls().into_iter().filter(|c| c["op"] == op).collect()
}

/// The shared cases every door runs (`scripts/parity/security-hub.json`), here through the command line.
#[tokio::test]
async fn moto_parity_cases_through_the_command_line() {
    let Some(endpoint) = endpoint() else { return };
    let Some(binary) = option_env!("CARGO_BIN_EXE_kms-rotation") else {
        panic!("this test runs the command line: build with --features cli (cargo test --workspace does)");
    };
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/parity/security-hub.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let account = Emulated::new(&endpoint, 0).await;
    let kms = account.session.client(R1).unwrap().sdk_client().clone();
    let mut keys = std::collections::BTreeMap::new();
    for name in ["on", "off"] {
        let id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
        if name == "on" {
            kms.enable_key_rotation().key_id(&id).send().await.unwrap();
        }
        keys.insert(name.to_owned(), id);
    }
    let vanished: Value = serde_json::from_str(
        &cases["vanished_finding"]
            .to_string()
            .replace("ACCOUNT", &account.account),
    )
    .unwrap();
    let hub = hub_of(&account.session);
    assert!(
        hub.batch_import_findings(std::slice::from_ref(&vanished))
            .await
            .unwrap()
            .is_empty()
    );
    let id_of = |name: &str| match keys.get(name) {
        Some(key) => format!(
            "kms-rotation/{R1}/arn:aws:kms:{R1}:{}:key/{key}/kms_key_rotation",
            account.account
        ),
        None => field(&vanished, "/Id").to_owned(),
    };
    for step in cases["steps"].as_array().unwrap() {
        let name = &step["name"];
        if let Some(key) = step["enable_rotation"].as_str() {
            kms.enable_key_rotation().key_id(&keys[key]).send().await.unwrap();
        }
        account.proxy.set(step["faults"].clone());
        let out = std::process::Command::new(binary)
            .args(["check", "--region", R1, "--format", "json", "--to-security-hub"])
            .args(["--endpoint-url", &account.proxy.url, "--role-arn", &account.role_arn])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expect = &step["expect"];
        assert_eq!(
            out.status.code(),
            expect["exit_code"].as_i64().map(|c| c as i32),
            "{name}: {stderr}"
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}: {stderr}"));
        let mut delivery = report["security_hub"].clone();
        let codes: Vec<Value> = delivery["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].clone())
            .collect();
        delivery["failed"] = json!(codes);
        assert_eq!(delivery, expect["delivery"], "{name}");
        let summary = delivery_line(&expect["delivery"]);
        assert!(stderr.contains(&summary), "{name}: {summary:?} not in {stderr}");
        let held = account.findings().await;
        for (key, wanted) in expect["findings"].as_object().unwrap() {
            let finding = &held[&id_of(key)];
            let seen = json!([
                field(finding, "/Compliance/Status"),
                field(finding, "/Workflow/Status"),
                field(finding, "/RecordState")
            ]);
            assert_eq!(&seen, wanted, "{name}: {key}");
        }
        let updates: Vec<Value> = ops(&account.proxy, "BatchUpdateFindings")
            .iter()
            .map(|call| {
                let names: Vec<&str> = call["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| keys.keys().find(|k| id_of(k) == id.as_str().unwrap()).unwrap().as_str())
                    .collect();
                json!([names, call["workflow"]])
            })
            .collect();
        assert_eq!(json!(updates), expect["workflow_updates"], "{name}");
    }
}

/// The CLI's summary line for an expected delivery.
fn delivery_line(expected: &Value) -> String {
    let n = |field: &str| expected[field].as_u64().unwrap();
    format!(
        "Security Hub: {} imported ({} new, {} updated), {} resolved, {} archived, {} failed",
        n("imported"),
        n("created"),
        n("updated"),
        n("resolved"),
        n("archived"),
        expected["failed"].as_array().unwrap().len()
    )
}

#[tokio::test]
async fn moto_imports_throttled_past_the_retry_budget_are_reported() {
    let Some(endpoint) = endpoint() else { return };
    let account = Emulated::new(&endpoint, 1).await;
    account
        .proxy
        .set(json!([{"op": "BatchImportFindings", "action": "error",
        "code": "TooManyRequestsException", "status": 429}]));
    let report = account
        .check(quick().with_throttling_budget(Duration::from_millis(300)))
        .await;
    let delivery = report.security_hub.clone().unwrap();
    assert_eq!(delivery.imported, 0);
    assert_eq!(delivery.failed.len(), 1, "{delivery:?}");
    assert_eq!(delivery.failed[0].code, "TooManyRequestsException");
    assert!(ops(&account.proxy, "BatchImportFindings").len() > 1, "retried first");
    assert_eq!(report.exit_code(), 3, "key 1 passes; the delivery failed");
}

#[test]
fn an_organisation_run_cannot_deliver() {
    let error = ConnectionOptions::default()
        .with_organization(
            kms_rotation_core::OrganizationOptions::default()
                .with_organization(true)
                .with_role_name("R"),
        )
        .with_security_hub(SecurityHubTarget::Aws)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("to_security_hub"), "{error}");
}

/// KMS (the AWS SDK's client) and Security Hub (the signed JSON client) reached
/// over HTTPS: the proxy serves a certificate for `localhost` from a CA the
/// command trusts through `SSL_CERT_FILE` (the platform's roots); without it
/// the same run is refused the connection, so the certificate really is checked.
#[tokio::test]
async fn kms_and_security_hub_are_reached_over_https() {
    let Some(endpoint) = endpoint() else { return };
    let Some(binary) = option_env!("CARGO_BIN_EXE_kms-rotation") else {
        panic!("this test runs the command line: build with --features cli (cargo test --workspace does)");
    };
    let account = Emulated::new(&endpoint, 2).await;
    let dir = std::env::temp_dir().join(format!("kms-rotation-tls-{}", fresh_account_id()));
    let tls = Proxy::start_tls(&endpoint, &dir);
    let run = |trust: bool| {
        let mut command = std::process::Command::new(binary);
        command
            .args(["check", "--region", R1, "--format", "json", "--to-security-hub"])
            .args(["--endpoint-url", &tls.url, "--role-arn", &account.role_arn])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE");
        if trust {
            command.env("SSL_CERT_FILE", tls.ca.as_ref().unwrap());
        } else {
            command.env("SSL_CERT_FILE", dir.join("leaf.ext"));
        }
        command.output().unwrap()
    };
    let out = run(true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // One key of two has rotation off: exit 2, both keys judged, both findings delivered.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["PASS"], 1, "{report}");
    assert_eq!(report["summary"]["FAIL"], 1, "{report}");
    assert_eq!(report["security_hub"]["imported"], 2, "{report}");
    assert!(!ops(&tls, "ListKeys").is_empty());
    assert!(!ops(&tls, "BatchImportFindings").is_empty());
    // The proxy's CA not trusted: no answer is read, and the run says so.
    let out = run(false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert_ne!(out.status.code(), Some(2), "{stderr}");
    // The first request over HTTPS is the role's AssumeRole: refused before any key is read.
    assert!(stderr.contains("cannot assume role"), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}
