//! Offline means instant: an error a snapshot records as observed (no `Times`:
//! what `collect` writes, what a CloudSploit collection holds) is a fact, final
//! at once — one attempt, no backoff, no throttling wait — in a snapshot file,
//! a collection, `collect`'s output and an organisation of snapshots alike;
//! `Times` replays, which simulate transient faults, keep their retries.
//! The counts prove it (speed is measured in `benches/offline.rs`, not here).

use crate::common::*;
use kms_rotation_core::{
    CheckOptions, MemoryOrganization, Operation, OrganizationOptions, Snapshot, Status, check_account,
    check_organization, collect,
};
use serde_json::{Value, json};

/// 31 keys with rotation on; the last one's `GetKeyRotationStatus` answered
/// `ThrottlingException`, recorded with `times` (`None`: as observed).
fn throttled_account(account: &str, times: Option<u32>) -> String {
    let region = "us-east-1";
    let mut keys: Vec<Value> = (1..=31)
        .map(|n| {
            let meta = metadata(region, &key_id(n)).to_string().replace(ACCOUNT, account);
            key(
                serde_json::from_str(&meta).unwrap(),
                Some(rotation(true, Some(365))),
                &format!("alias/k{n}"),
            )
        })
        .collect();
    let mut error = json!({"Code": "ThrottlingException", "Message": "Rate exceeded"});
    if let Some(times) = times {
        error["Times"] = json!(times);
    }
    keys[30]["Errors"] = json!({ "GetKeyRotationStatus": error });
    json!({"account_id": account, "regions": {region: {"keys": keys}}}).to_string()
}

fn throttled_key_id() -> String {
    key_id(31)
}

/// The finding of the throttled key, and how often its status was asked for.
fn throttled_finding(snapshot: &Snapshot, findings: &[kms_rotation_core::Finding]) -> (Status, String, usize) {
    let finding = findings
        .iter()
        .find(|f| f.key_id == throttled_key_id())
        .expect("a finding for the throttled key");
    let code = finding.error.as_ref().map(|e| e.code.clone()).unwrap_or_default();
    let asked = calls_for(&snapshot.calls(), Operation::GetKeyRotationStatus, &throttled_key_id());
    (finding.status, code, asked)
}

#[tokio::test(start_paused = true)]
async fn a_recorded_throttling_is_final_at_once() {
    let snapshot = load(&throttled_account(ACCOUNT, None));
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let (status, code, asked) = throttled_finding(&snapshot, &report.findings);
    assert_eq!((status, code.as_str()), (Status::Error, "ThrottlingException"));
    assert_eq!(asked, 1, "one attempt: the recorded answer is the answer");
    assert_eq!(report.stats.retries, 0);
    assert_eq!(report.stats.api_calls["GetKeyRotationStatus"], 31);
    assert_eq!(report.summary.pass, 30);
}

#[tokio::test(start_paused = true)]
async fn a_times_replay_is_a_transient_fault_and_is_retried() {
    // Throttled twice, then answered: the engine retries it like a live storm.
    let snapshot = load(&throttled_account(ACCOUNT, Some(2)));
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let (status, _, asked) = throttled_finding(&snapshot, &report.findings);
    assert_eq!((status, asked), (Status::Pass, 3));
    assert_eq!(report.stats.retries, 2);
    assert_eq!(report.stats.throttled, 2);
}

#[tokio::test(start_paused = true)]
async fn collect_records_a_throttling_that_outlasted_retries_as_final() {
    // Live, the storm outlasts the retry budget; the collected snapshot holds
    // the error as observed, and checking it asks once.
    let live = load(&throttled_account(ACCOUNT, Some(100_000)));
    let collected = collect(&live.clients(), &CheckOptions::default()).await.unwrap();
    let text = collected.to_json();
    assert!(
        !text.contains("\"Times\""),
        "collect records what it saw, not a fault to simulate"
    );
    let offline = Snapshot::from_json(&text).unwrap();
    let report = check_account(&offline.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let (status, code, asked) = throttled_finding(&offline, &report.findings);
    assert_eq!(
        (status, code.as_str(), asked),
        (Status::Error, "ThrottlingException", 1)
    );
    assert_eq!(report.stats.retries, 0);
}

#[tokio::test(start_paused = true)]
async fn a_cloudsploit_collections_throttling_is_final_at_once() {
    let region = "us-east-1";
    let listed: Vec<Value> = (1..=3)
        .map(|n| json!({"KeyId": key_id(n), "KeyArn": arn(region, &key_id(n))}))
        .collect();
    let mut described = serde_json::Map::new();
    let mut statuses = serde_json::Map::new();
    for n in 1..=3 {
        described.insert(
            key_id(n),
            json!({"data": {"KeyMetadata": metadata(region, &key_id(n))}}),
        );
        statuses.insert(key_id(n), json!({"data": {"KeyRotationEnabled": true}}));
    }
    statuses.insert(
        key_id(3),
        json!({"err": {"code": "ThrottlingException", "message": "Rate exceeded"}}),
    );
    let collection = json!({"kms": {
        "listKeys": {region: {"data": listed}},
        "listAliases": {region: {"data": []}},
        "describeKey": {region: described},
        "getKeyRotationStatus": {region: statuses},
    }});
    let snapshot = Snapshot::from_cloudsploit_collection(&collection.to_string()).unwrap();
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let finding = report.findings.iter().find(|f| f.key_id == key_id(3)).unwrap();
    assert_eq!(finding.status, Status::Error);
    assert_eq!(finding.error.as_ref().unwrap().code, "ThrottlingException");
    assert_eq!(
        calls_for(&snapshot.calls(), Operation::GetKeyRotationStatus, &key_id(3)),
        1
    );
    assert_eq!(report.stats.retries, 0);
}

#[tokio::test(start_paused = true)]
async fn an_organisation_of_snapshots_is_final_at_once_too() {
    let (management, member) = ("111122223333", "444455556666");
    let accounts = [
        (management, load(&throttled_account(management, None))),
        (member, load(&throttled_account(member, None))),
    ];
    let mut org = MemoryOrganization::new(management);
    for (id, snapshot) in &accounts {
        org = org.with_account(id, id, "ACTIVE", snapshot.clone());
    }
    let options = OrganizationOptions::default()
        .with_organization(true)
        .with_role_name("KmsRotationAudit");
    let report = check_organization(&org.directory(), &options, &CheckOptions::default())
        .await
        .unwrap();
    let throttled: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.key_id == throttled_key_id())
        .map(|f| (f.status, f.error.as_ref().map(|e| e.code.as_str())))
        .collect();
    assert_eq!(throttled, [(Status::Error, Some("ThrottlingException")); 2]);
    for (_, snapshot) in &accounts {
        let asked = calls_for(&snapshot.calls(), Operation::GetKeyRotationStatus, &throttled_key_id());
        assert_eq!(asked, 1, "one attempt in each account");
    }
    assert_eq!(report.stats.retries, 0);
}
