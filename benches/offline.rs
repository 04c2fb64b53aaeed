//! Offline means instant: a 31-key snapshot whose one key's
//! `GetKeyRotationStatus` is recorded as `ThrottlingException`, checked with
//! the default retry settings. Recorded as observed (no `Times`, what
//! `collect` writes), the error is final at once; with `Times`, a transient
//! fault, the engine backs off as it would on AWS. Also: a check that writes
//! its evidence, and `verify_evidence` re-checking it, for the same snapshot.
//!
//! Run: `cargo bench -p benches --bench offline` (a few seconds: the `Times`
//! row waits out real backoff).

use std::time::Instant;

use kms_rotation_core::{CheckOptions, ConnectionOptions, Snapshot, check_account, verify_evidence};
use serde_json::{Value, json};

/// The snapshot file's text: 31 keys with rotation on, the last one's status
/// answered `ThrottlingException` (`times`: how many calls; `None`: every one, as observed).
fn account(times: Option<u32>) -> String {
    let region = "us-east-1";
    let keys: Vec<Value> = (1..=31u32)
        .map(|n| {
            let id = format!("{n:08x}-0000-4000-8000-{n:012x}");
            let mut key = json!({
                "KeyMetadata": {
                    "KeyId": id, "Arn": format!("arn:aws:kms:{region}:111122223333:key/{id}"),
                    "KeyManager": "CUSTOMER", "KeyState": "Enabled", "Origin": "AWS_KMS",
                    "KeySpec": "SYMMETRIC_DEFAULT", "CreationDate": 1_700_000_000
                },
                "RotationStatus": {"KeyRotationEnabled": true, "RotationPeriodInDays": 365}
            });
            if n == 31 {
                let mut error = json!({"Code": "ThrottlingException", "Message": "Rate exceeded"});
                if let Some(times) = times {
                    error["Times"] = json!(times);
                }
                key["Errors"] = json!({ "GetKeyRotationStatus": error });
            }
            key
        })
        .collect();
    json!({"account_id": "111122223333", "regions": {region: {"keys": keys}}}).to_string()
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!("| scenario | wall ms | GetKeyRotationStatus calls | retries | throttled | the throttled key |");
    println!("|---|---|---|---|---|---|");
    for (name, times) in [
        ("recorded as observed (no `Times`)", None),
        ("transient, `Times: 3`", Some(3)),
    ] {
        let snapshot = Snapshot::from_json(&account(times)).unwrap();
        let started = Instant::now();
        let report = runtime
            .block_on(check_account(&snapshot.clients(), &CheckOptions::default()))
            .unwrap();
        let wall = started.elapsed();
        let key = report.findings.last().unwrap();
        println!(
            "| {name} | {:.1} | {} | {} | {} | {} {} |",
            wall.as_secs_f64() * 1000.0,
            report.stats.api_calls["GetKeyRotationStatus"],
            report.stats.retries,
            report.stats.throttled,
            key.status,
            key.error.as_ref().map_or("", |e| e.code.as_str()),
        );
    }
    // Evidence: the check that writes it, then its verification offline.
    let directory = std::env::temp_dir().join(format!("kms-rotation-bench-offline-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("evidence.json");
    let connection = ConnectionOptions::default()
        .with_snapshot(Snapshot::from_json(&account(None)).unwrap())
        .build()
        .unwrap();
    let started = Instant::now();
    runtime
        .block_on(connection.check_account(&CheckOptions::default().with_evidence(&path)))
        .unwrap();
    let checked = started.elapsed();
    let started = Instant::now();
    let verification = runtime.block_on(verify_evidence(&path)).unwrap();
    let verified = started.elapsed();
    assert!(verification.verified, "{:?}", verification.differences);
    println!(
        "| check with `--evidence` (writes 3 files) | {:.1} | | | | |",
        checked.as_secs_f64() * 1000.0
    );
    println!(
        "| `verify_evidence` of it (re-check + render + compare) | {:.1} | | | | |",
        verified.as_secs_f64() * 1000.0
    );
    let _ = std::fs::remove_dir_all(&directory);
}
