//! Rotation evidence end to end on moto's server: keys rotated on demand
//! (`RotateKeyOnDemand`), read back with `ListKeyRotations` through the AWS SDK
//! client, and judged by the rotation-history rows of the decision table.
//!
//! ```text
//! eval "$(scripts/moto.sh start)"
//! cargo test -p kms-rotation-core --test rotation_history_moto
//! scripts/moto.sh stop
//! ```
//!
//! Without the endpoint these tests skip with a notice, except under `CI`, where they fail.

use crate::common::{endpoint, fresh_account_id};
use aws_sdk_kms::Client;
use aws_sdk_kms::types::{KeySpec as SdkKeySpec, KeyUsageType, OriginType};
use kms_rotation_core::aws::{AwsOptions, AwsSession};
use kms_rotation_core::{
    AccountReport, CheckOptions, Clients, Finding, Outcome, Policy, Reason, RemediateOptions, RotationType, Status,
    Timestamp, check_account, remediate,
};

const REGION: &str = "us-east-1";
const DAY: i64 = 86_400;

/// A fresh account on the emulator with its keys, each named by an alias.
struct Seeded {
    kms: Client,
    clients: Clients,
}

async fn key(kms: &Client, alias: &str, rotation_on: bool, on_demand: usize, origin: Option<OriginType>) {
    let mut create = kms.create_key().description("kms-rotation rotation history test");
    if let Some(origin) = origin {
        create = create.origin(origin);
    }
    let key_id = create.send().await.unwrap().key_metadata.unwrap().key_id;
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap();
    if rotation_on {
        kms.enable_key_rotation()
            .key_id(&key_id)
            .rotation_period_in_days(365)
            .send()
            .await
            .unwrap();
    }
    for _ in 0..on_demand {
        kms.rotate_key_on_demand().key_id(&key_id).send().await.unwrap();
    }
}

async fn seed(endpoint: &str) -> Seeded {
    let id = fresh_account_id();
    let options = AwsOptions::default()
        .with_static_credentials("testing", "testing", None)
        .with_endpoint_url(endpoint)
        .unwrap()
        .with_regions([REGION])
        .unwrap()
        .with_role(
            &format!("arn:aws:iam::{id}:role/KmsRotationAudit"),
            Some("kms-rotation-tests"),
            Some("kms-rotation-history"),
        )
        .unwrap();
    let session = AwsSession::connect(&options).await.unwrap();
    let kms = session.client(REGION).unwrap().sdk_client().clone();
    key(&kms, "alias/on-rotated-twice", true, 2, None).await;
    key(&kms, "alias/on-never-rotated", true, 0, None).await;
    key(&kms, "alias/off-rotated-on-demand", false, 1, None).await;
    key(&kms, "alias/off-never-rotated", false, 0, None).await;
    key(&kms, "alias/imported", false, 0, Some(OriginType::External)).await;
    let rsa = kms
        .create_key()
        .key_spec(SdkKeySpec::Rsa2048)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    kms.create_alias()
        .alias_name("alias/rsa")
        .target_key_id(&rsa)
        .send()
        .await
        .unwrap();
    let clients = session.clients_for(&[REGION]).unwrap();
    Seeded { kms, clients }
}

fn by_alias<'a>(report: &'a AccountReport, alias: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.aliases.iter().any(|a| a == alias))
        .unwrap_or_else(|| panic!("no finding for {alias}"))
}

fn verdict(report: &AccountReport, alias: &str) -> (Status, Reason) {
    let f = by_alias(report, alias);
    (f.status, f.reason)
}

fn calls(report: &AccountReport, op: &str) -> u64 {
    report.stats.api_calls.get(op).copied().unwrap_or(0)
}

async fn check(clients: &Clients, policy: Policy, now: Timestamp) -> AccountReport {
    let options = CheckOptions::default().with_policy(policy).with_now(now);
    check_account(clients, &options).await.unwrap()
}

#[tokio::test]
async fn on_demand_rotations_are_evidence_and_decide_the_history_rows() {
    let Some(endpoint) = endpoint() else { return };
    let account = seed(&endpoint).await;
    let now = Timestamp::now();

    // Without the option: no ListKeyRotations, verdicts as always.
    let plain = check(&account.clients, Policy::default(), now).await;
    assert_eq!(calls(&plain, "ListKeyRotations"), 0);
    assert_eq!(
        verdict(&plain, "alias/imported"),
        (Status::NotApplicable, Reason::ImportedKeyMaterial)
    );
    assert_eq!(
        verdict(&plain, "alias/off-rotated-on-demand"),
        (Status::Fail, Reason::RotationDisabled)
    );
    assert!(plain.findings.iter().all(|f| {
        f.rotation
            .as_ref()
            .is_none_or(|r| r.rotation_counts.is_none() && r.last_rotated_at.is_none())
    }));

    // With it: the same verdicts, and the evidence, read for the four judged keys and the imported one.
    let evidence = check(&account.clients, Policy::default().with_rotation_history(true), now).await;
    assert_eq!(
        calls(&evidence, "ListKeyRotations"),
        5,
        "{:?}",
        evidence.stats.api_calls
    );
    for f in &plain.findings {
        let alias = &f.aliases[0];
        assert_eq!(verdict(&evidence, alias), (f.status, f.reason), "{alias}");
    }
    let twice = by_alias(&evidence, "alias/on-rotated-twice").rotation.clone().unwrap();
    let counts = twice.rotation_counts.unwrap();
    assert_eq!((counts.automatic, counts.on_demand), (0, 2));
    assert_eq!(twice.last_rotation_type, Some(RotationType::OnDemand));
    let age = now.epoch_seconds() - twice.last_rotated_at.unwrap().epoch_seconds();
    assert!((-DAY..DAY).contains(&age), "last rotated {age} s before the check");
    let never = by_alias(&evidence, "alias/on-never-rotated").rotation.clone().unwrap();
    assert_eq!(
        (never.last_rotated_at, never.rotation_counts.unwrap().on_demand),
        (None, 0)
    );
    assert!(by_alias(&evidence, "alias/rsa").rotation.is_none());
    let imported = by_alias(&evidence, "alias/imported").rotation.clone().unwrap();
    assert_eq!(imported.rotation_counts.unwrap().on_demand, 0);

    // The policy rows, today: everything was created or rotated within 30 days.
    let today = Policy::default()
        .with_max_days_since_rotation(Some(30))
        .unwrap()
        .with_accept_on_demand_rotation(true);
    let judged = check(&account.clients, today.clone(), now).await;
    assert_eq!(
        verdict(&judged, "alias/on-rotated-twice"),
        (Status::Pass, Reason::RotationEnabled)
    );
    assert_eq!(
        verdict(&judged, "alias/on-never-rotated"),
        (Status::Pass, Reason::RotationEnabled)
    );
    assert_eq!(
        verdict(&judged, "alias/off-rotated-on-demand"),
        (Status::Pass, Reason::RotatedOnDemand)
    );
    assert_eq!(
        verdict(&judged, "alias/off-never-rotated"),
        (Status::Fail, Reason::RotationDisabled)
    );
    assert_eq!(
        verdict(&judged, "alias/imported"),
        (Status::Pass, Reason::CreatedWithinWindow)
    );
    assert_eq!(
        verdict(&judged, "alias/rsa"),
        (Status::NotApplicable, Reason::UnsupportedKeySpec)
    );

    // The same account judged 400 days on (the injected clock): overdue, with the dates.
    let later = Timestamp::from_epoch_seconds(now.epoch_seconds() + 400 * DAY);
    let year = Policy::default().with_max_days_since_rotation(Some(365)).unwrap();
    let overdue = check(&account.clients, year, later).await;
    assert_eq!(overdue.generated_at, later);
    for alias in ["alias/on-rotated-twice", "alias/on-never-rotated", "alias/imported"] {
        let f = by_alias(&overdue, alias);
        assert_eq!(
            (f.status, f.reason),
            (Status::Fail, Reason::RotationOverdue),
            "{alias}: {}",
            f.message
        );
        assert!(f.message.contains("400 days before"), "{alias}: {}", f.message);
    }

    // Remediation never rotates on demand by itself.
    let unasked = remediate(
        &account.clients,
        &overdue,
        &RemediateOptions::default().with_dry_run(false),
    )
    .await
    .unwrap();
    assert_eq!(unasked.stats.api_calls.get("RotateKeyOnDemand"), None);
    let action = |report: &kms_rotation_core::RemediationReport, alias: &str| {
        let arn = &by_alias(&overdue, alias).key_arn;
        report
            .actions
            .iter()
            .find(|a| a.finding_arns.contains(arn))
            .cloned()
            .unwrap_or_else(|| panic!("no action for {alias}"))
    };
    let skipped = action(&unasked, "alias/on-never-rotated");
    assert_eq!(skipped.outcome, Outcome::Skipped);
    assert!(
        skipped.message.contains("aws kms rotate-key-on-demand --key-id"),
        "{}",
        skipped.message
    );
    let imported = action(&unasked, "alias/imported");
    assert_eq!(imported.outcome, Outcome::Skipped);
    assert!(
        imported.message.contains("import new key material"),
        "{}",
        imported.message
    );

    // With rotate_on_demand: a dry run first, then the rotation, verified with ListKeyRotations.
    let asked = RemediateOptions::default().with_rotate_on_demand(true);
    let plan = remediate(&account.clients, &overdue, &asked).await.unwrap();
    assert_eq!(plan.stats.api_calls.get("RotateKeyOnDemand"), None);
    assert_eq!(action(&plan, "alias/on-never-rotated").outcome, Outcome::WouldChange);
    let applied = remediate(&account.clients, &overdue, &asked.with_dry_run(false))
        .await
        .unwrap();
    let rotated = action(&applied, "alias/on-never-rotated");
    assert_eq!(
        (rotated.outcome, rotated.verified),
        (Outcome::Changed, true),
        "{}",
        rotated.message
    );
    assert_eq!(rotated.after.unwrap().rotation_counts.unwrap().on_demand, 1);
    // Rotated on demand today (by the seeding): fresh by the real clock, left alone.
    assert_eq!(
        action(&applied, "alias/on-rotated-twice").outcome,
        Outcome::AlreadyCompliant
    );
    assert_eq!(action(&applied, "alias/imported").outcome, Outcome::Skipped);
    assert_eq!(applied.stats.api_calls.get("RotateKeyOnDemand"), Some(&1));

    // The emulator itself agrees: one on-demand rotation more on that key.
    let arn = &by_alias(&overdue, "alias/on-never-rotated").key_arn;
    let listed = account.kms.list_key_rotations().key_id(arn).send().await.unwrap();
    assert_eq!(listed.rotations.unwrap_or_default().len(), 1);
}
