//! The rotation history through the snapshot client: the `Rotations` shape of
//! snapshot files, replayed `Errors.ListKeyRotations`, `collect` recording the
//! history only when asked, and the calls each option makes.

use crate::common::{by_alias, calls_for, key, key_id, load, metadata, rotation, with};
use kms_rotation_core::{
    CheckOptions, Operation, Policy, Reason, Status, Timestamp, check_account, check_key, collect,
};
use serde_json::json;

const R: &str = "us-east-1";
/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

fn account() -> String {
    let id = |n| key_id(n);
    let mut rotated = key(metadata(R, &id(1)), Some(rotation(true, Some(365))), "alias/rotated");
    rotated["Rotations"] = json!([
        {"KeyId": id(1), "RotationDate": "2025-01-10T00:00:00Z", "RotationType": "AUTOMATIC"},
        {"KeyId": id(1), "RotationDate": 1_763_000_000, "RotationType": "ON_DEMAND"}
    ]);
    let mut denied = key(metadata(R, &id(2)), Some(rotation(true, Some(365))), "alias/denied");
    denied["Errors"] =
        json!({"ListKeyRotations": {"Code": "AccessDeniedException", "Message": "no kms:ListKeyRotations"}});
    let unrecorded = key(metadata(R, &id(3)), Some(rotation(false, None)), "alias/unrecorded");
    let mut imported = key(
        with(metadata(R, &id(4)), json!({"Origin": "EXTERNAL"})),
        None,
        "alias/imported",
    );
    imported["Rotations"] = json!([]);
    let rsa = key(
        with(
            metadata(R, &id(5)),
            json!({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}),
        ),
        None,
        "alias/rsa",
    );
    json!({"account_id": "111122223333", "regions": {R: {"keys": [rotated, denied, unrecorded, imported, rsa]}}})
        .to_string()
}

fn options(policy: Policy) -> CheckOptions {
    CheckOptions::default()
        .with_policy(policy)
        .with_now(Timestamp::from_epoch_seconds(NOW))
}

#[tokio::test]
async fn without_the_option_the_calls_are_exactly_as_before() {
    let snapshot = load(&account());
    snapshot.set_record_calls(true);
    let report = check_account(&snapshot.clients(), &options(Policy::default()))
        .await
        .unwrap();
    assert!(
        snapshot
            .calls()
            .iter()
            .all(|c| c.operation != Operation::ListKeyRotations)
    );
    // The recorded ListKeyRotations error is never replayed: the history is not read.
    assert_eq!(by_alias(&report.findings, R, "alias/denied").status, Status::Pass);
    assert_eq!(report.generated_at, Timestamp::from_epoch_seconds(NOW));
    assert!(!report.to_json().contains("rotation_history"));
    assert!(!report.to_json().contains("rotation_counts"));
}

#[tokio::test]
async fn the_history_is_read_for_judged_and_imported_keys_and_unknown_is_error() {
    let snapshot = load(&account());
    snapshot.set_record_calls(true);
    let policy = Policy::default().with_rotation_history(true);
    let report = check_account(&snapshot.clients(), &options(policy)).await.unwrap();
    let calls = snapshot.calls();
    for (n, expected) in [(1, 1), (2, 1), (3, 1), (4, 1), (5, 0)] {
        assert_eq!(
            calls_for(&calls, Operation::ListKeyRotations, &key_id(n)),
            expected,
            "key {n}"
        );
    }
    let rotated = by_alias(&report.findings, R, "alias/rotated");
    let evidence = rotated.rotation.as_ref().unwrap();
    assert_eq!(
        evidence.last_rotated_at,
        Some(Timestamp::from_epoch_seconds(1_763_000_000))
    );
    assert_eq!(
        evidence.rotation_counts.map(|c| (c.automatic, c.on_demand)),
        Some((1, 1))
    );
    // What could not be read is ERROR, never the verdict without it.
    for alias in ["alias/denied", "alias/unrecorded"] {
        let f = by_alias(&report.findings, R, alias);
        assert_eq!(f.status, Status::Error, "{alias}: {}", f.message);
        assert_eq!(f.error.as_ref().unwrap().operation.as_deref(), Some("ListKeyRotations"));
    }
    assert_eq!(by_alias(&report.findings, R, "alias/denied").reason, Reason::ApiError);
    assert_eq!(
        by_alias(&report.findings, R, "alias/unrecorded").reason,
        Reason::MissingEvidence
    );
    let imported = by_alias(&report.findings, R, "alias/imported");
    assert_eq!(imported.status, Status::NotApplicable);
    assert!(imported.rotation.as_ref().unwrap().rotation_counts.is_some());
    // check_key reads it the same way.
    let client = snapshot.client(R).unwrap();
    let one = check_key(
        client.as_ref(),
        "alias/rotated",
        &options(Policy::default().with_rotation_history(true)),
    )
    .await
    .unwrap();
    assert_eq!(one.rotation, rotated.rotation);
}

#[tokio::test]
async fn collect_records_the_history_only_when_asked_and_it_replays() {
    let live = load(&account());
    let without = collect(&live.clients(), &options(Policy::default())).await.unwrap();
    assert!(!without.to_json().contains("Rotations"));
    let policy = Policy::default().with_rotation_history(true);
    let with_history = collect(&live.clients(), &options(policy.clone())).await.unwrap();
    let text = with_history.to_json();
    assert!(
        text.contains("\"Rotations\"") && text.contains("\"ON_DEMAND\""),
        "{text}"
    );
    let a = check_account(&live.clients(), &options(policy.clone())).await.unwrap();
    let reloaded = load(&text);
    let b = check_account(&reloaded.clients(), &options(policy)).await.unwrap();
    assert_eq!(a.findings, b.findings);
}

/// A key with rotation on, created long ago, with `on_demand` old on-demand rotations.
fn overdue_account(on_demand: usize) -> String {
    let id = key_id(1);
    let mut entry = key(
        with(metadata(R, &id), json!({"CreationDate": "2020-01-01T00:00:00Z"})),
        Some(rotation(true, Some(365))),
        "alias/overdue",
    );
    let rotations: Vec<_> = (0..on_demand)
        .map(|n| json!({"KeyId": id, "RotationDate": 1_600_000_000 + n as i64 * 1000, "RotationType": "ON_DEMAND"}))
        .collect();
    entry["Rotations"] = json!(rotations);
    json!({"regions": {R: {"keys": [entry]}}}).to_string()
}

#[tokio::test]
async fn on_demand_remediation_respects_the_lifetime_quota_and_dry_runs_by_default() {
    use kms_rotation_core::{ON_DEMAND_ROTATION_LIMIT, Outcome, RemediateOptions, remediate};
    let policy = Policy::default().with_max_days_since_rotation(Some(365)).unwrap();
    for (used, expected) in [
        (0, Outcome::Changed),
        (ON_DEMAND_ROTATION_LIMIT as usize - 1, Outcome::Changed),
        (ON_DEMAND_ROTATION_LIMIT as usize, Outcome::Skipped),
    ] {
        let snapshot = load(&overdue_account(used));
        let report = check_account(&snapshot.clients(), &options(policy.clone()))
            .await
            .unwrap();
        assert_eq!(
            report.findings[0].reason,
            Reason::RotationOverdue,
            "{}",
            report.findings[0].message
        );
        let asked = RemediateOptions::default().with_rotate_on_demand(true);
        let dry = remediate(&snapshot.clients(), &report, &asked).await.unwrap();
        let planned = if expected == Outcome::Changed {
            Outcome::WouldChange
        } else {
            Outcome::Skipped
        };
        assert_eq!(
            dry.actions[0].outcome, planned,
            "{used} used: {}",
            dry.actions[0].message
        );
        assert!(!dry.stats.api_calls.contains_key("RotateKeyOnDemand"));
        let applied = remediate(&snapshot.clients(), &report, &asked.with_dry_run(false))
            .await
            .unwrap();
        let action = &applied.actions[0];
        assert_eq!(action.outcome, expected, "{used} used: {}", action.message);
        if expected == Outcome::Skipped {
            assert!(action.message.contains("25 on-demand rotations"), "{}", action.message);
            assert!(!applied.stats.api_calls.contains_key("RotateKeyOnDemand"));
        } else {
            assert!(action.verified, "{}", action.message);
            let after = action.after.as_ref().unwrap().rotation_counts.unwrap();
            assert_eq!(after.on_demand as usize, used + 1);
        }
    }
}
