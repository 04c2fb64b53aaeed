//! The snapshot client behaves like KMS, round-trips its file, and `collect` reproduces findings.

use std::time::Duration;

use crate::common::*;
use kms_rotation_core::{
    ApiError, CheckOptions, Operation, Policy, Snapshot, SnapshotKey, check_account, check_key, collect,
};

#[tokio::test]
async fn the_demo_file_loads_and_round_trips() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");
    let snapshot = Snapshot::load(path).unwrap();
    assert_eq!(snapshot.account_id().as_deref(), Some("111122223333"));
    assert_eq!(snapshot.regions(), ["eu-west-1", "us-east-1"]);
    let again = Snapshot::from_json(&snapshot.to_json()).unwrap();
    assert_eq!(again.to_json(), snapshot.to_json());
    // Fields we do not model survive the round trip (the file is the AWS shape).
    assert!(again.to_json().contains("EncryptionAlgorithms"));
    let a = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let b = check_account(&again.clients(), &CheckOptions::default()).await.unwrap();
    assert_eq!(a.findings, b.findings);
}

#[tokio::test]
async fn the_demo_shows_all_five_statuses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");
    let snapshot = Snapshot::load(path).unwrap();
    let policy = Policy::default().with_exemption("tag:rotation-exempt=true").unwrap();
    let report = check_account(&snapshot.clients(), &CheckOptions::default().with_policy(policy))
        .await
        .unwrap();
    for status in kms_rotation_core::Status::ALL {
        assert!(
            report.summary.count(status) > 0,
            "{status} missing: {:?}",
            report.summary
        );
    }
}

#[tokio::test]
async fn keys_are_found_by_id_arn_alias_and_alias_arn() {
    let snapshot = load(&every_category());
    let client = snapshot.client("us-east-1").unwrap();
    let id = key_id(12);
    for name in [
        id.clone(),
        arn("us-east-1", &id),
        "alias/off".into(),
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:alias/off"),
    ] {
        assert_eq!(client.describe_key(&name).await.unwrap().key_id, id, "{name}");
        let finding = check_key(client.as_ref(), &name, &CheckOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (finding.key_id.as_str(), finding.aliases.as_slice()),
            (id.as_str(), ["alias/off".to_string()].as_slice())
        );
    }
    let missing = client.describe_key("alias/none").await.unwrap_err();
    assert_eq!(missing.code, "NotFoundException");
    // An ARN finds the key only when all of it agrees: another account, region or partition is another key.
    for other in [
        format!("arn:aws:kms:us-east-1:999999999999:key/{id}"),
        format!("arn:aws:kms:us-west-2:{ACCOUNT}:key/{id}"),
        format!("arn:aws-cn:kms:us-east-1:{ACCOUNT}:key/{id}"),
        "arn:aws:kms:us-east-1:999999999999:alias/off".to_owned(),
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/alias/off"),
    ] {
        let error = client.describe_key(&other).await.unwrap_err();
        assert_eq!(error.code, "NotFoundException", "{other}");
    }
    let finding = check_key(client.as_ref(), "alias/none", &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(finding.status, kms_rotation_core::Status::Error);
    assert_eq!(finding.error.unwrap().code, "NotFoundException");
}

#[tokio::test]
async fn enable_key_rotation_is_refused_where_kms_refuses_it() {
    let snapshot = load(&every_category());
    let east = snapshot.client("us-east-1").unwrap();
    let west = snapshot.client("eu-west-1").unwrap();
    let code = |r: Result<(), ApiError>| r.unwrap_err().code;
    assert_eq!(
        code(east.enable_key_rotation(&key_id(11), 365).await),
        "DisabledException"
    );
    assert_eq!(
        code(east.enable_key_rotation(&key_id(9), 365).await),
        "KMSInvalidStateException"
    );
    assert_eq!(
        code(east.enable_key_rotation(&key_id(2), 365).await),
        "UnsupportedOperationException"
    );
    assert_eq!(
        code(east.enable_key_rotation(&key_id(5), 365).await),
        "UnsupportedOperationException"
    );
    assert_eq!(
        code(east.enable_key_rotation(&key_id(1), 365).await),
        "UnsupportedOperationException"
    );
    assert_eq!(
        code(west.enable_key_rotation(&mrk_id(19), 365).await),
        "UnsupportedOperationException"
    );
    assert_eq!(
        code(east.enable_key_rotation(&key_id(12), 89).await),
        "ValidationException"
    );
    assert_eq!(
        code(east.get_key_rotation_status(&key_id(2)).await.map(|_| ())),
        "UnsupportedOperationException"
    );
    // The replica mirrors its primary.
    east.enable_key_rotation(&mrk_id(19), 180).await.unwrap();
    assert_eq!(
        west.get_key_rotation_status(&mrk_id(19)).await.unwrap().period_days,
        Some(180)
    );
}

#[tokio::test(start_paused = true)]
async fn errors_replay_latency_and_rate_limits() {
    let snapshot = Snapshot::new(Some(ACCOUNT));
    let meta = kms_rotation_core::KeyMetadata::symmetric("us-east-1", ACCOUNT, &key_id(1));
    let key = SnapshotKey::new(meta, None).with_error(
        Operation::GetKeyRotationStatus,
        ApiError::new("KMSInternalException", "boom"),
    );
    snapshot.add_key("us-east-1", key).unwrap();
    let client = snapshot.client("us-east-1").unwrap();
    for _ in 0..3 {
        assert_eq!(
            client.get_key_rotation_status(&key_id(1)).await.unwrap_err().code,
            "KMSInternalException"
        );
    }
    snapshot.set_latency(Duration::from_millis(20));
    let started = tokio::time::Instant::now();
    client.describe_key(&key_id(1)).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(20));
    snapshot.set_rate_limit(Operation::DescribeKey, 5.0);
    let mut throttled = 0;
    for _ in 0..10 {
        if let Err(e) = client.describe_key(&key_id(1)).await {
            assert_eq!(e.code, "ThrottlingException");
            throttled += 1;
        }
    }
    // A full bucket of 5, and under one token refilled in the 180 ms the calls span.
    assert_eq!(throttled, 5);
    // A recorded error is a fact: reported as ERROR after one attempt, never retried.
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(report.findings[0].error.as_ref().unwrap().code, "KMSInternalException");
    assert_eq!(report.stats.retries, 0, "a recorded error is final at once");
    // A transient fault (`Times`) is retried by the engine, then reported as ERROR.
    let mut entry: serde_json::Value = serde_json::from_str(&snapshot.to_json()).unwrap();
    entry["regions"]["us-east-1"]["keys"][0]["Errors"]["GetKeyRotationStatus"]["Times"] = 100.into();
    let transient = Snapshot::from_json(&entry.to_string()).unwrap();
    let report = check_account(&transient.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(report.findings[0].error.as_ref().unwrap().code, "KMSInternalException");
    assert_eq!(
        report.stats.retries, 4,
        "5 attempts in all (a transient error other than throttling)"
    );
}

#[tokio::test(start_paused = true)]
async fn collect_gives_a_snapshot_with_the_same_findings() {
    let live = load(&every_category());
    let options = CheckOptions::default();
    let collected = collect(&live.clients(), &options).await.unwrap();
    let live = load(&every_category()); // fresh: the throttled key replays its errors again
    let a = check_account(&live.clients(), &options).await.unwrap();
    let b = check_account(&Snapshot::from_json(&collected.to_json()).unwrap().clients(), &options)
        .await
        .unwrap();
    assert_eq!(a.findings, b.findings);
    assert_eq!(a.regions, b.regions);
    // Under another policy too (exemptions, a tag rule, disabled keys skipped).
    let policy = Policy::default()
        .with_exemption("alias/off")
        .unwrap()
        .with_exemption("tag:x=y")
        .unwrap()
        .with_evaluate_disabled_keys(false);
    let options = CheckOptions::default().with_policy(policy);
    let collected = collect(&load(&every_category()).clients(), &options).await.unwrap();
    let a = check_account(&load(&every_category()).clients(), &options)
        .await
        .unwrap();
    let b = check_account(&collected.clients(), &options).await.unwrap();
    assert_eq!(a.findings, b.findings);
}

#[tokio::test]
async fn tags_are_read_page_by_page_only_when_a_tag_rule_needs_them() {
    let snapshot = Snapshot::new(Some(ACCOUNT));
    let meta = kms_rotation_core::KeyMetadata::symmetric("us-east-1", ACCOUNT, &key_id(1));
    let mut key = SnapshotKey::new(meta, Some(Default::default()));
    for n in 0..120 {
        key = key.with_tag(&format!("k{n}"), "v");
    }
    snapshot
        .add_key("us-east-1", key.with_tag("rotation-exempt", "true"))
        .unwrap();
    let policy = Policy::default().with_exemption("tag:rotation-exempt=true").unwrap();
    let report = check_account(&snapshot.clients(), &CheckOptions::default().with_policy(policy))
        .await
        .unwrap();
    assert_eq!(
        report.findings[0].status,
        kms_rotation_core::Status::Exempt,
        "the 121st tag is on the third page"
    );
    assert_eq!(report.stats.api_calls["ListResourceTags"], 3, "pages of 50");
}

/// Saving writes each entry as the file gave it, whether the snapshot keeps
/// the entry's text (members it does not model, another form or order) or
/// writes it from its model (an entry exactly as the model writes it); a
/// rotation status set later goes where the text would put it.
#[tokio::test]
async fn saving_writes_every_entry_as_the_file_gave_it() {
    use serde_json::{Value, json};
    let written = {
        let snapshot = Snapshot::new(Some(ACCOUNT));
        let meta = kms_rotation_core::KeyMetadata::symmetric("us-east-1", ACCOUNT, &key_id(1));
        snapshot
            .add_key("us-east-1", SnapshotKey::new(meta, None).with_aliases(["alias/a"]))
            .unwrap();
        let saved: Value = serde_json::from_str(&snapshot.to_json()).unwrap();
        saved["regions"]["us-east-1"]["keys"][0].clone()
    };
    let mut reordered = serde_json::Map::new();
    for (name, value) in written["KeyMetadata"].as_object().unwrap().iter().rev() {
        reordered.insert(name.clone(), value.clone());
    }
    let with = |id: u32, change: &dyn Fn(&mut Value)| {
        let mut entry = written.clone();
        let text = serde_json::to_string(&entry).unwrap().replace(&key_id(1), &key_id(id));
        entry = serde_json::from_str(&text).unwrap();
        change(&mut entry);
        entry
    };
    let entries = vec![
        with(1, &|_| {}),
        with(2, &|e| e["KeyMetadata"]["CreationDate"] = json!(1499288695.918)),
        with(3, &|e| {
            e["KeyMetadata"]["EncryptionAlgorithms"] = json!(["SYMMETRIC_DEFAULT"])
        }),
        with(4, &|e| e["KeyMetadata"]["Description"] = Value::Null),
        with(5, &|e| {
            e["KeyMetadata"]["Description"] = json!("caf\u{e9} \"quoted\" \\ / tab\t")
        }),
        with(6, &|e| e["Aliases"] = json!([])),
        with(7, &|e| {
            let text = serde_json::to_string(&reordered)
                .unwrap()
                .replace(&key_id(1), &key_id(7));
            e["KeyMetadata"] = serde_json::from_str(&text).unwrap();
        }),
        with(8, &|e| e["Team"] = json!({"Name": "pay"})),
    ];
    let file = json!({"account_id": ACCOUNT, "regions": {"us-east-1": {"keys": entries}}});
    for text in [
        serde_json::to_string(&file).unwrap(),
        serde_json::to_string_pretty(&file).unwrap(),
    ] {
        let snapshot = Snapshot::from_json(&text).unwrap();
        let saved: Value = serde_json::from_str(&snapshot.to_json()).unwrap();
        assert_eq!(
            serde_json::to_string(&saved).unwrap(),
            serde_json::to_string(&file).unwrap(),
            "saved as read"
        );
        // A status set later comes after the members the entry had, for every entry alike.
        let client = snapshot.client("us-east-1").unwrap();
        for n in [1, 3] {
            client.enable_key_rotation(&key_id(n), 180).await.unwrap();
        }
        let saved: Value = serde_json::from_str(&snapshot.to_json()).unwrap();
        for n in [0, 2] {
            let entry = saved["regions"]["us-east-1"]["keys"][n].as_object().unwrap();
            assert_eq!(entry.keys().next_back().map(String::as_str), Some("RotationStatus"));
            assert_eq!(entry["RotationStatus"]["RotationPeriodInDays"], json!(180));
        }
    }
}

/// A tag exemption over a snapshot that recorded no tags (collected without
/// one) is missing evidence: the keys it could match are ERROR naming the
/// exemption, never FAIL; collected with it, an untagged key's tags are
/// recorded as `[]` and the verdicts are the live ones. Remediation of a report
/// that still says FAIL under that policy (an older one) never touches such a key.
#[tokio::test]
async fn a_tag_exemption_over_unrecorded_tags_is_error_and_never_remediated() {
    use kms_rotation_core::{KeyMetadata, Outcome, Reason, RemediateOptions, RotationStatus, Status, remediate};
    let live = Snapshot::new(Some(ACCOUNT));
    for (n, tagged) in [(1, true), (2, false)] {
        let meta = KeyMetadata::symmetric("us-east-1", ACCOUNT, &key_id(n));
        let key = SnapshotKey::new(meta, Some(RotationStatus::default()));
        let key = if tagged {
            key.with_tag("rotation-exempt", "true")
        } else {
            key.with_tags([])
        };
        live.add_key("us-east-1", key).unwrap();
    }
    let policy = Policy::default().with_exemption("tag:rotation-exempt=true").unwrap();
    let options = CheckOptions::default().with_policy(policy.clone());
    let live_report = check_account(&live.clients(), &options).await.unwrap();
    let statuses: Vec<Status> = live_report.findings.iter().map(|f| f.status).collect();
    assert_eq!(statuses, [Status::Exempt, Status::Fail]);

    let without_tags = collect(&live.clients(), &CheckOptions::default()).await.unwrap();
    assert!(
        !without_tags.to_json().contains("\"Tags\""),
        "{}",
        without_tags.to_json()
    );
    let offline = check_account(&without_tags.clients(), &options).await.unwrap();
    for finding in &offline.findings {
        assert_eq!(finding.status, Status::Error, "{finding:?}");
        assert_eq!(finding.reason, Reason::MissingEvidence);
        assert!(
            finding.message.contains("tag:rotation-exempt=true"),
            "{}",
            finding.message
        );
        assert!(finding.message.contains("ListResourceTags"), "{}", finding.message);
    }

    let with_tags = collect(&live.clients(), &options).await.unwrap();
    let saved: serde_json::Value = serde_json::from_str(&with_tags.to_json()).unwrap();
    assert_eq!(saved["regions"]["us-east-1"]["keys"][1]["Tags"], serde_json::json!([]));
    let again = Snapshot::from_json(&with_tags.to_json()).unwrap();
    let offline = check_account(&again.clients(), &options).await.unwrap();
    assert_eq!(offline.findings, live_report.findings);

    // A report judged without the tags but carrying the tag exemption: FAIL for both keys.
    let mut stale = check_account(&without_tags.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(stale.summary.fail, 2);
    stale.policy = policy;
    let plan = remediate(&without_tags.clients(), &stale, &RemediateOptions::default())
        .await
        .unwrap();
    for action in &plan.actions {
        assert_eq!(action.outcome, Outcome::Skipped, "{action:?}");
        assert!(
            action.message.contains("tag:rotation-exempt=true"),
            "{}",
            action.message
        );
    }
    // Where the tags can be read, the exempt key is left alone and the other one fixed.
    let applied = remediate(
        &live.clients(),
        &stale,
        &RemediateOptions::default().with_dry_run(false),
    )
    .await
    .unwrap();
    let outcomes: Vec<Outcome> = applied.actions.iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, [Outcome::Skipped, Outcome::Changed], "{:?}", applied.actions);
    assert!(
        applied.actions[0].message.contains("exempts"),
        "{}",
        applied.actions[0].message
    );
    let client = live.client("us-east-1").unwrap();
    assert!(!client.get_key_rotation_status(&key_id(1)).await.unwrap().enabled);
}
