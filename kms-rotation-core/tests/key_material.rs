//! Imported key material as KMS now reports it (`ListKeyRotations` with
//! `IncludeKeyMaterial=ALL_KEY_MATERIAL`, `CurrentKeyMaterialId`, `ValidTo`), the
//! last use of failing keys (`GetKeyLastUsage`, only when asked), and record
//! fields a verdict does not need never deciding it — through the snapshot
//! client, `collect`, remediation, the CLI, the AWS SDK's mapping
//! (`aws-smithy-mocks`) and the SDK client on moto behind the fault proxy (which
//! answers what moto lacks).
//!
//! The snapshot is `examples/data/key-material.json`, checked at 2026-12-06.

use crate::common;
use crate::common::{calls_for, endpoint, fresh_account_id, proxy::Proxy};
use aws_sdk_kms::operation::get_key_last_usage::GetKeyLastUsageOutput;
use aws_sdk_kms::operation::list_key_rotations::ListKeyRotationsOutput;
use aws_sdk_kms::types::{
    ExpirationModelType, ImportState as SdkImportState, IncludeKeyMaterial, KeyLastUsageData,
    KeyLastUsageTrackingOperation, KeyMaterialState as SdkKeyMaterialState, RotationsListEntry,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use kms_rotation_core::aws::{AwsClient, AwsOptions, AwsSession};
use kms_rotation_core::{
    AccountReport, CheckOptions, Finding, KeyMaterialState, KmsClient, Operation, Outcome, Policy, Reason,
    RemediateOptions, Snapshot, Status, Timestamp, check_account, collect, remediate,
};
use serde_json::json;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/key-material.json");
const REGION: &str = "us-east-1";
/// 2026-12-06T00:00:00Z.
const NOW: i64 = 1_796_515_200;
const PENDING_ID: &str = "00000021-0000-4000-8000-000000000021";
const PENDING_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/00000021-0000-4000-8000-000000000021";

fn options(policy: Policy) -> CheckOptions {
    CheckOptions::default()
        .with_policy(policy)
        .with_now(Timestamp::from_epoch_seconds(NOW))
        .without_rate_limits()
}

fn window(days: u32) -> Policy {
    Policy::default().with_max_days_since_rotation(Some(days)).unwrap()
}

fn by_alias<'a>(report: &'a AccountReport, alias: &str) -> &'a Finding {
    common::by_alias(&report.findings, REGION, alias)
}

async fn check(snapshot: &Snapshot, policy: Policy) -> AccountReport {
    check_account(&snapshot.clients(), &options(policy)).await.unwrap()
}

#[tokio::test]
async fn a_pending_rotation_of_imported_material_fails_with_the_exact_command() {
    let snapshot = Snapshot::load(FILE).unwrap();
    let report = check(&snapshot, window(365)).await;
    let pending = by_alias(&report, "alias/imported-pending");
    assert_eq!(
        (pending.status, pending.reason),
        (Status::Fail, Reason::RotationPending)
    );
    let command = format!("aws kms rotate-key-on-demand --key-id {PENDING_ARN} --region us-east-1");
    assert!(pending.message.contains(&command), "{}", pending.message);
    let material = pending.key_material.as_deref().unwrap();
    assert_eq!(
        material.pending_key_material_id.as_deref(),
        Some("b2".repeat(32).as_str())
    );
    assert_eq!(material.pending_state, Some(KeyMaterialState::PendingRotation));
    assert_eq!(
        material.current_key_material_id.as_deref(),
        Some("a1".repeat(32).as_str())
    );
    // The first material has no RotationDate: it is material, not a rotation, and loads.
    assert_eq!(pending.rotation.as_ref().unwrap().rotation_counts.unwrap().on_demand, 0);
    let plan = pending.remediation.as_deref().unwrap();
    assert!(
        plan.blocked_by.as_deref().unwrap().contains("rotate_on_demand"),
        "{plan:?}"
    );
    // Read with IncludeKeyMaterial: the snapshot served the material listing once per imported key.
    assert_eq!(calls_for(&snapshot.calls(), Operation::ListKeyRotations, PENDING_ID), 1);
}

#[tokio::test]
async fn imported_material_is_judged_by_the_age_of_its_current_material() {
    let snapshot = Snapshot::load(FILE).unwrap();
    // Current material e5… made current on 2026-09-01 (96 days before the check).
    let report = check(&snapshot, window(365)).await;
    let rotated = by_alias(&report, "alias/imported-rotated");
    assert_eq!(
        (rotated.status, rotated.reason),
        (Status::Pass, Reason::RotatedOnDemand)
    );
    assert!(rotated.message.contains(&"e5".repeat(32)), "{}", rotated.message);
    let report = check(&snapshot, window(60)).await;
    let rotated = by_alias(&report, "alias/imported-rotated");
    assert_eq!(
        (rotated.status, rotated.reason),
        (Status::Fail, Reason::RotationOverdue)
    );
    assert!(rotated.message.contains("2026-09-01 (96 days"), "{}", rotated.message);
    // The first material (no RotationDate) is as old as the key.
    let expiring = by_alias(&report, "alias/imported-expiring");
    assert_eq!(
        (expiring.status, expiring.reason),
        (Status::Fail, Reason::RotationOverdue)
    );
    let report = check(&snapshot, window(90)).await;
    let expiring = by_alias(&report, "alias/imported-expiring");
    assert_eq!(
        (expiring.status, expiring.reason),
        (Status::Pass, Reason::CreatedWithinWindow)
    );
}

#[tokio::test]
async fn expiring_material_is_named_without_changing_the_verdict_or_the_calls() {
    let snapshot = Snapshot::load(FILE).unwrap();
    let report = check(&snapshot, Policy::default()).await;
    let expiring = by_alias(&report, "alias/imported-expiring");
    assert_eq!(
        (expiring.status, expiring.reason),
        (Status::NotApplicable, Reason::ImportedKeyMaterial)
    );
    assert!(
        expiring.message.contains("expires on 2026-12-20 (in 14 days)"),
        "{}",
        expiring.message
    );
    assert_eq!(expiring.key_material.as_deref().unwrap().expires_in_days, Some(14));
    // DescribeKey's ValidTo says it: no ListKeyRotations without the options.
    assert_eq!(
        snapshot
            .calls()
            .iter()
            .filter(|c| c.operation == Operation::ListKeyRotations)
            .count(),
        0
    );
    // Every format names it (the message is in each).
    for format in kms_rotation_core::Format::ALL {
        let text = kms_rotation_core::render(&report, format, kms_rotation_core::RenderOptions::default());
        if format != kms_rotation_core::Format::Cloudsploit {
            assert!(text.contains("2026-12-20"), "{}: not named", format.name());
        }
    }
    // A shorter warning window: not named.
    let quiet = check(
        &snapshot,
        Policy::default().with_material_expiry_warning_days(7).unwrap(),
    )
    .await;
    let expiring = by_alias(&quiet, "alias/imported-expiring");
    assert!(!expiring.message.contains("expires"), "{}", expiring.message);
    assert_eq!(expiring.key_material.as_deref().unwrap().expires_in_days, None);
    assert!(Policy::default().with_material_expiry_warning_days(3651).is_err());
}

#[tokio::test]
async fn a_pending_rotation_is_only_named_when_imported_keys_are_not_judged() {
    let snapshot = Snapshot::load(FILE).unwrap();
    let report = check(&snapshot, Policy::default().with_rotation_history(true)).await;
    let pending = by_alias(&report, "alias/imported-pending");
    assert_eq!(
        (pending.status, pending.reason),
        (Status::NotApplicable, Reason::ImportedKeyMaterial)
    );
    assert!(
        pending.message.contains("aws kms rotate-key-on-demand"),
        "{}",
        pending.message
    );
}

#[tokio::test]
async fn last_use_is_read_only_when_asked_and_only_for_failing_keys() {
    let snapshot = Snapshot::load(FILE).unwrap();
    let report = check(&snapshot, window(365)).await;
    let last_usage_calls = |snapshot: &Snapshot| {
        snapshot
            .calls()
            .iter()
            .filter(|c| c.operation == Operation::GetKeyLastUsage)
            .count()
    };
    assert_eq!(last_usage_calls(&snapshot), 0);
    assert!(report.findings.iter().all(|f| f.last_usage.is_none()));
    assert!(!report.stats.api_calls.contains_key("GetKeyLastUsage"));

    let snapshot = Snapshot::load(FILE).unwrap();
    let report = check(&snapshot, window(365).with_last_usage(true)).await;
    let failing = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Error))
        .count();
    assert_eq!(
        failing, 4,
        "two rotation-off keys, the pending rotation, the undatable key"
    );
    assert_eq!(last_usage_calls(&snapshot), failing);
    assert_eq!(report.stats.api_calls.get("GetKeyLastUsage"), Some(&(failing as u64)));
    let busy = by_alias(&report, "alias/busy-rotation-off");
    let usage = busy.last_usage.as_deref().unwrap();
    assert_eq!(usage.last_used_at.unwrap().to_rfc3339(), "2026-11-30T12:00:00Z");
    assert_eq!(usage.operation.as_ref().unwrap().as_str(), "Decrypt");
    assert!(
        busy.message.contains("Last used on 2026-11-30 (Decrypt)."),
        "{}",
        busy.message
    );
    let unused = by_alias(&report, "alias/unused-rotation-off");
    assert!(
        unused.message.contains("Not used since tracking began on 2026-03-01."),
        "{}",
        unused.message
    );
    // Not recorded in the snapshot: the last use is unknown, the verdict stands.
    let pending = by_alias(&report, "alias/imported-pending");
    assert_eq!(pending.status, Status::Fail);
    assert_eq!(
        pending.last_usage.as_deref().unwrap().error.as_ref().unwrap().code,
        "MissingEvidence"
    );
    assert!(by_alias(&report, "alias/imported-rotated").last_usage.is_none());

    // Table, HTML and Markdown list failures most recently used first.
    for format in [
        kms_rotation_core::Format::Table,
        kms_rotation_core::Format::Html,
        kms_rotation_core::Format::Markdown,
    ] {
        let wide = kms_rotation_core::RenderOptions::default().with_width(240);
        let text = kms_rotation_core::render(&report, format, wide);
        let at = |alias: &str| {
            text.find(alias)
                .unwrap_or_else(|| panic!("{alias} in {}", format.name()))
        };
        assert!(at("busy-rotation-off") < at("unused-rotation-off"), "{}", format.name());
        assert!(at("unused-rotation-off") < at("imported-pending"), "{}", format.name());
    }
}

#[tokio::test]
async fn what_the_verdict_does_not_need_is_ignored_and_named() {
    let snapshot = Snapshot::load(FILE).unwrap();
    let report = check(&snapshot, Policy::default()).await;
    let odd = by_alias(&report, "alias/odd-record");
    assert_eq!(
        (odd.status, odd.reason),
        (Status::Pass, Reason::RotationEnabled),
        "{}",
        odd.message
    );
    assert_eq!(odd.ignored.len(), 2, "{:?}", odd.ignored);
    assert!(
        odd.ignored[0].contains("2021-09-02T016:15:21-09:00"),
        "{:?}",
        odd.ignored
    );
    assert!(odd.ignored[1].contains("GetKeyPolicy") && odd.ignored[1].contains("AccessDeniedException"));
    assert!(
        odd.message.contains("Ignored (not needed for this verdict)"),
        "{}",
        odd.message
    );
    // The record is written back as it was read.
    assert!(snapshot.to_json().contains("2021-09-02T016:15:21-09:00"));
    assert!(snapshot.to_json().contains("\"GetKeyPolicy\""));

    // A verdict that needs the date (never rotated, under max_days_since_rotation) says why it cannot have it.
    let report = check(&snapshot, window(365)).await;
    let odd = by_alias(&report, "alias/odd-record");
    assert_eq!((odd.status, odd.reason), (Status::Error, Reason::IncompleteMetadata));
    assert!(
        odd.message.contains("CreationDate") && odd.message.contains("could not be read"),
        "{}",
        odd.message
    );
}

#[tokio::test]
async fn collect_records_every_material_and_the_last_use_and_a_check_of_it_agrees() {
    let source = Snapshot::load(FILE).unwrap();
    let policy = window(365).with_last_usage(true);
    let collected = collect(&source.clients(), &options(policy.clone())).await.unwrap();
    let text = collected.to_json();
    assert!(
        text.contains("PENDING_ROTATION") && text.contains("\"LastUsage\""),
        "{text}"
    );
    let direct = check(&Snapshot::load(FILE).unwrap(), policy.clone()).await;
    let replayed = check(&Snapshot::from_json(&text).unwrap(), policy).await;
    for (a, b) in direct.findings.iter().zip(&replayed.findings) {
        assert_eq!(
            (a.key_arn.as_str(), a.status, a.reason),
            (b.key_arn.as_str(), b.status, b.reason)
        );
        assert_eq!(a.key_material, b.key_material, "{}", a.key_arn);
        if a.status == Status::Fail && a.last_usage.as_ref().is_some_and(|u| u.error.is_none()) {
            assert_eq!(a.last_usage, b.last_usage, "{}", a.key_arn);
        }
    }
}

#[tokio::test]
async fn remediation_completes_a_pending_rotation_only_when_asked_and_reads_it_back() {
    let snapshot = Snapshot::load(FILE).unwrap();
    let report = check(&snapshot, window(365)).await;
    let action = |plan: &kms_rotation_core::RemediationReport| {
        plan.actions
            .iter()
            .find(|a| a.target_arn == PENDING_ARN)
            .cloned()
            .unwrap()
    };
    let skipped = action(
        &remediate(&snapshot.clients(), &report, &RemediateOptions::default())
            .await
            .unwrap(),
    );
    assert_eq!(skipped.outcome, Outcome::Skipped);
    assert!(
        skipped.message.contains("aws kms rotate-key-on-demand --key-id"),
        "{}",
        skipped.message
    );
    let asked = RemediateOptions::default().with_rotate_on_demand(true);
    let dry = action(&remediate(&snapshot.clients(), &report, &asked).await.unwrap());
    assert_eq!(dry.outcome, Outcome::WouldChange, "{}", dry.message);
    assert_eq!(
        calls_for(&snapshot.calls(), Operation::RotateKeyOnDemand, PENDING_ARN),
        0
    );
    let applied = action(
        &remediate(&snapshot.clients(), &report, &asked.clone().with_dry_run(false))
            .await
            .unwrap(),
    );
    assert_eq!(applied.outcome, Outcome::Changed, "{}", applied.message);
    assert!(applied.verified, "{}", applied.message);
    // The key now passes: the pending material is current.
    let after = check(&snapshot, window(365)).await;
    let key = by_alias(&after, "alias/imported-pending");
    assert_eq!(
        (key.status, key.reason),
        (Status::Pass, Reason::RotatedOnDemand),
        "{}",
        key.message
    );
    // And a second remediation finds nothing pending.
    let again = action(
        &remediate(&snapshot.clients(), &report, &asked.with_dry_run(false))
            .await
            .unwrap(),
    );
    assert_eq!(again.outcome, Outcome::AlreadyCompliant, "{}", again.message);
}

#[tokio::test]
async fn the_sdk_asks_for_every_material_and_maps_the_last_use() {
    let listing = mock!(aws_sdk_kms::Client::list_key_rotations)
        .match_requests(|input| input.include_key_material() == Some(&IncludeKeyMaterial::AllKeyMaterial))
        .then_output(|| {
            ListKeyRotationsOutput::builder()
                .rotations(
                    RotationsListEntry::builder()
                        .key_id("k")
                        .key_material_id("m1")
                        .import_state(SdkImportState::Imported)
                        .key_material_state(SdkKeyMaterialState::Current)
                        .expiration_model(ExpirationModelType::KeyMaterialExpires)
                        .valid_to(DateTime::from_secs(NOW + 86_400))
                        .build(),
                )
                .rotations(
                    RotationsListEntry::builder()
                        .key_id("k")
                        .key_material_id("m2")
                        .import_state(SdkImportState::Imported)
                        .key_material_state(SdkKeyMaterialState::PendingRotation)
                        .build(),
                )
                .truncated(false)
                .build()
        });
    let usage = mock!(aws_sdk_kms::Client::get_key_last_usage)
        .match_requests(|input| input.key_id() == Some("k"))
        .then_output(|| {
            GetKeyLastUsageOutput::builder()
                .key_id("k")
                .key_last_usage(
                    KeyLastUsageData::builder()
                        .operation(KeyLastUsageTrackingOperation::Encrypt)
                        .timestamp(DateTime::from_secs(NOW - 3600))
                        .cloud_trail_event_id("evt")
                        .build(),
                )
                .tracking_start_date(DateTime::from_secs(NOW - 86_400 * 200))
                .build()
        });
    let sdk = mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&listing, &usage]);
    let client = AwsClient::new(sdk).unwrap();
    let page = client.list_key_materials("k", None).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].state, Some(KeyMaterialState::Current));
    assert_eq!(
        page.items[0].valid_to,
        Some(Timestamp::from_epoch_seconds(NOW + 86_400))
    );
    assert_eq!(page.items[1].rotation_date, None);
    assert_eq!(page.items[1].state, Some(KeyMaterialState::PendingRotation));
    let used = client.get_key_last_usage("k").await.unwrap();
    assert_eq!(used.last_used_at, Some(Timestamp::from_epoch_seconds(NOW - 3600)));
    assert_eq!(used.operation.unwrap().as_str(), "Encrypt");
    assert_eq!(used.cloudtrail_event_id.as_deref(), Some("evt"));
    assert_eq!(listing.num_calls(), 1);
    assert_eq!(usage.num_calls(), 1);
}

/// The AWS SDK client on moto, with the fault proxy answering what moto lacks:
/// the material listing (`IncludeKeyMaterial`), `ValidTo` on `DescribeKey`, and
/// `GetKeyLastUsage`, whose calls it records.
#[tokio::test]
async fn on_moto_a_pending_rotation_fails_expiry_is_named_and_last_use_is_read_only_when_asked() {
    let Some(endpoint) = endpoint() else { return };
    let account = fresh_account_id();
    let seeding = AwsOptions::default()
        .with_static_credentials("testing", "testing", None)
        .with_endpoint_url(&endpoint)
        .unwrap()
        .with_regions([REGION])
        .unwrap()
        .with_role(&format!("arn:aws:iam::{account}:role/Seeder"), None, None)
        .unwrap();
    let session = AwsSession::connect(&seeding).await.unwrap();
    let kms = session.client(REGION).unwrap().sdk_client().clone();
    let imported = kms
        .create_key()
        .origin(aws_sdk_kms::types::OriginType::External)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let proxy = Proxy::start(&endpoint);
    let now = Timestamp::now().epoch_seconds();
    let arn = format!("arn:aws:kms:{REGION}:{account}:key/{imported}");
    let faults = |last_usage: bool| {
        let mut faults = vec![
            json!({"op": "DescribeKey", "action": "merge", "key": imported, "value": {"KeyMetadata": {
                "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": now + 5 * 86_400,
                "CurrentKeyMaterialId": "m1"}}}),
            json!({"op": "ListKeyRotations", "action": "answer", "key": imported, "body": {"Rotations": [
                {"KeyId": imported, "KeyMaterialId": "m1", "ImportState": "IMPORTED", "KeyMaterialState": "CURRENT",
                 "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": now + 5 * 86_400},
                {"KeyId": imported, "KeyMaterialId": "m2", "ImportState": "IMPORTED",
                 "KeyMaterialState": "PENDING_ROTATION", "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}],
                "Truncated": false}}),
        ];
        if last_usage {
            faults.push(
                json!({"op": "GetKeyLastUsage", "action": "last_usage", "operation": "Decrypt",
                "timestamp": now - 7200, "tracking_start_date": now - 100 * 86_400}),
            );
        }
        json!(faults)
    };
    let checking = AwsOptions::default()
        .with_static_credentials("testing", "testing", None)
        .with_endpoint_url(&proxy.url)
        .unwrap()
        .with_regions([REGION])
        .unwrap()
        .with_role(&format!("arn:aws:iam::{account}:role/Audit"), None, None)
        .unwrap();
    let clients = AwsSession::connect(&checking)
        .await
        .unwrap()
        .clients_for(&[REGION])
        .unwrap();
    let policy = window(365);
    for asked in [false, true] {
        proxy.set(faults(asked));
        let options = CheckOptions::default().with_policy(policy.clone().with_last_usage(asked));
        let report = check_account(&clients, &options).await.unwrap();
        let finding = report.findings.iter().find(|f| f.key_arn == arn).unwrap();
        assert_eq!(
            (finding.status, finding.reason),
            (Status::Fail, Reason::RotationPending),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains(&format!(
                "aws kms rotate-key-on-demand --key-id {arn} --region {REGION}"
            )),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("in 4 days") || finding.message.contains("in 5 days"),
            "{}",
            finding.message
        );
        let calls = proxy.calls();
        let usage_calls: Vec<_> = calls.iter().filter(|c| c["op"] == "GetKeyLastUsage").collect();
        let failing = report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Error))
            .count();
        assert_eq!(usage_calls.len(), if asked { failing } else { 0 }, "{calls:?}");
        let listing = calls
            .iter()
            .find(|c| c["op"] == "ListKeyRotations" && c["key"] == imported.as_str())
            .unwrap();
        assert_eq!(listing["include"], "ALL_KEY_MATERIAL");
        if asked {
            let usage = finding.last_usage.as_deref().unwrap();
            assert_eq!(usage.last_used_at, Some(Timestamp::from_epoch_seconds(now - 7200)));
        } else {
            assert!(finding.last_usage.is_none());
        }
    }
}

#[tokio::test]
async fn a_multi_region_import_waiting_for_replicas_names_the_regions_that_lack_it() {
    let id = "mrk-00000000000000000000000000000031";
    let arn = |region: &str| format!("arn:aws:kms:{region}:111122223333:key/{id}");
    let meta = |region: &str, role: &str| {
        json!({
            "AWSAccountId": "111122223333", "KeyId": id, "Arn": arn(region),
            "CreationDate": "2026-06-01T00:00:00Z", "Enabled": true, "KeyUsage": "ENCRYPT_DECRYPT",
            "KeyState": "Enabled", "Origin": "EXTERNAL", "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT",
            "MultiRegion": true, "CurrentKeyMaterialId": "m1",
            "MultiRegionConfiguration": {
                "MultiRegionKeyType": role,
                "PrimaryKey": {"Arn": arn("us-east-1"), "Region": "us-east-1"},
                "ReplicaKeys": if role == "PRIMARY" {
                    json!([{"Arn": arn("eu-west-1"), "Region": "eu-west-1"},
                           {"Arn": arn("ap-southeast-2"), "Region": "ap-southeast-2"}])
                } else { json!([]) }
            }
        })
    };
    let materials = |import: &str| {
        json!([
            {"KeyId": id, "KeyMaterialId": "m1", "ImportState": "IMPORTED", "KeyMaterialState": "CURRENT"},
            {"KeyId": id, "KeyMaterialId": "m2", "ImportState": import,
             "KeyMaterialState": "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"}
        ])
    };
    let file = json!({"account_id": "111122223333", "regions": {
        "us-east-1": {"keys": [{"KeyMetadata": meta("us-east-1", "PRIMARY"), "Rotations": materials("IMPORTED")}]},
        "eu-west-1": {"keys": [{"KeyMetadata": meta("eu-west-1", "REPLICA"), "Rotations": materials("IMPORTED")}]},
        "ap-southeast-2": {"keys": [{"KeyMetadata": meta("ap-southeast-2", "REPLICA"),
                                     "Rotations": materials("PENDING_IMPORT")}]},
    }});
    let snapshot = Snapshot::from_json(&file.to_string()).unwrap();
    let report = check(&snapshot, window(365)).await;
    let primary = report.findings.iter().find(|f| f.region == "us-east-1").unwrap();
    assert_eq!(
        (primary.status, primary.reason),
        (Status::Fail, Reason::RotationPending)
    );
    let material = primary.key_material.as_deref().unwrap();
    assert_eq!(material.regions_missing_import, ["ap-southeast-2"]);
    assert!(
        primary.message.contains("replicas in ap-southeast-2 "),
        "{}",
        primary.message
    );
    assert!(!primary.message.contains("eu-west-1"), "{}", primary.message);
    let lacking = report.findings.iter().find(|f| f.region == "ap-southeast-2").unwrap();
    assert_eq!(lacking.reason, Reason::RotationPending);
    assert!(
        lacking.message.contains("not yet imported into this replica"),
        "{}",
        lacking.message
    );
    // The fix goes to the primary, never imports: remediation skips with the import step.
    let plan = remediate(
        &snapshot.clients(),
        &report,
        &RemediateOptions::default()
            .with_rotate_on_demand(true)
            .with_dry_run(false),
    )
    .await
    .unwrap();
    let action = plan.actions.iter().find(|a| a.target_arn == arn("us-east-1")).unwrap();
    assert_eq!(action.outcome, Outcome::Skipped, "{}", action.message);
    assert!(action.message.contains("EXISTING_KEY_MATERIAL"), "{}", action.message);
}
