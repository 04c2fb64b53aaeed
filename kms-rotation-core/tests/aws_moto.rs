//! The AWS SDK client end to end against moto's server, an independent KMS emulator.
//!
//! Start it first (the tests read its endpoint from `KMS_ROTATION_MOTO_ENDPOINT`):
//!
//! ```text
//! eval "$(scripts/moto.sh start)"
//! cargo test -p kms-rotation-core --test aws_moto
//! scripts/moto.sh stop
//! ```
//!
//! Without the endpoint these tests skip with a notice, except under `CI`, where they fail.
//!
//! Each test assumes a role into an account of its own (moto keeps accounts
//! apart), so tests run in parallel, and again on the same server, without
//! seeing each other's keys and without resetting the emulator under a neighbour.
//! What moto cannot model (rotation periods, pages, AWS's refusals, AWS managed
//! keys) is covered by `aws_mocks.rs`; moto is not patched to agree with our rules.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{endpoint, fresh_account_id};
use aws_sdk_kms::Client;
use aws_sdk_kms::types::{KeySpec as SdkKeySpec, KeyUsageType, OriginType, Tag as SdkTag};
use kms_rotation_core::aws::{self, AwsOptions, AwsSession};
use kms_rotation_core::{
    CheckOptions, Clients, ErrorKind, KeyMetadata, KmsClient, MultiRegionInfo, MultiRegionRole, Outcome, Policy,
    Reason, RegionState, RemediateOptions, RotationStatus, Snapshot, SnapshotKey, Status, check_account, check_key,
    collect, remediate,
};

const R1: &str = "us-east-1";
const R2: &str = "eu-west-1";

/// A fresh account in the emulator, reached through an assumed role.
struct Account {
    id: String,
    options: AwsOptions,
    session: AwsSession,
}

impl Account {
    async fn new(endpoint: &str, regions: &[&str]) -> Self {
        let id = fresh_account_id();
        let options = AwsOptions::default()
            .with_static_credentials("testing", "testing", None)
            .with_endpoint_url(endpoint)
            .unwrap()
            .with_regions(regions.iter().copied())
            .unwrap()
            .with_role(
                &format!("arn:aws:iam::{id}:role/KmsRotationAudit"),
                Some("kms-rotation-tests"),
                Some("kms-rotation-tests"),
            )
            .unwrap();
        let session = AwsSession::connect(&options).await.unwrap();
        Self { id, options, session }
    }

    /// The raw SDK client for seeding and reading state back.
    fn kms(&self, region: &str) -> Client {
        self.session.client(region).unwrap().sdk_client().clone()
    }
}

/// One seeded key and the verdict the decision table must give it.
#[derive(Debug, Clone)]
struct Seeded {
    name: &'static str,
    region: &'static str,
    key_id: String,
    arn: String,
    status: Status,
    reason: Reason,
}

async fn create_key(
    kms: &Client,
    build: impl FnOnce(
        aws_sdk_kms::operation::create_key::builders::CreateKeyFluentBuilder,
    ) -> aws_sdk_kms::operation::create_key::builders::CreateKeyFluentBuilder,
) -> (String, String) {
    let meta = build(kms.create_key().description("kms-rotation test key"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    (meta.key_id, meta.arn.unwrap())
}

/// Seeds every kind of key the rules tell apart, in two regions.
async fn seed(account: &Account) -> Vec<Seeded> {
    let kms = account.kms(R1);
    let kms_2 = account.kms(R2);
    let mut keys = Vec::new();
    let mut add = |name, region, (key_id, arn): (String, String), status, reason| {
        keys.push(Seeded {
            name,
            region,
            key_id,
            arn,
            status,
            reason,
        });
    };

    let on = create_key(&kms, |b| {
        b.tags(SdkTag::builder().tag_key("team").tag_value("payments").build().unwrap())
    })
    .await;
    kms.enable_key_rotation()
        .key_id(&on.0)
        .rotation_period_in_days(365)
        .send()
        .await
        .unwrap();
    kms.create_alias()
        .alias_name("alias/rotation-on")
        .target_key_id(&on.0)
        .send()
        .await
        .unwrap();
    add("rotation-on", R1, on, Status::Pass, Reason::RotationEnabled);

    let off = create_key(&kms, |b| b).await;
    kms.create_alias()
        .alias_name("alias/rotation-off")
        .target_key_id(&off.0)
        .send()
        .await
        .unwrap();
    add("rotation-off", R1, off, Status::Fail, Reason::RotationDisabled);

    let disabled = create_key(&kms, |b| b).await;
    kms.disable_key().key_id(&disabled.0).send().await.unwrap();
    // Disabled keys are evaluated by default: rotation is off, so FAIL.
    add("disabled", R1, disabled, Status::Fail, Reason::RotationDisabled);

    let pending = create_key(&kms, |b| b).await;
    kms.schedule_key_deletion()
        .key_id(&pending.0)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    add(
        "pending-deletion",
        R1,
        pending,
        Status::NotApplicable,
        Reason::PendingDeletion,
    );

    let rsa = create_key(&kms, |b| {
        b.key_spec(SdkKeySpec::Rsa2048).key_usage(KeyUsageType::SignVerify)
    })
    .await;
    add("rsa", R1, rsa, Status::NotApplicable, Reason::UnsupportedKeySpec);

    let hmac = create_key(&kms, |b| {
        b.key_spec(SdkKeySpec::Hmac256)
            .key_usage(KeyUsageType::GenerateVerifyMac)
    })
    .await;
    add("hmac", R1, hmac, Status::NotApplicable, Reason::UnsupportedKeySpec);

    let external = create_key(&kms, |b| b.origin(OriginType::External)).await;
    add(
        "external",
        R1,
        external,
        Status::NotApplicable,
        Reason::ImportedKeyMaterial,
    );

    let primary = create_key(&kms, |b| b.multi_region(true)).await;
    let replica = kms
        .replicate_key()
        .key_id(&primary.0)
        .replica_region(R2)
        .send()
        .await
        .unwrap()
        .replica_key_metadata
        .unwrap();
    let replica = (replica.key_id, replica.arn.unwrap());
    add("mrk-primary", R1, primary, Status::Fail, Reason::RotationDisabled);
    add("mrk-replica", R2, replica, Status::Fail, Reason::RotationDisabled);

    let on_2 = create_key(&kms_2, |b| b).await;
    kms_2
        .enable_key_rotation()
        .key_id(&on_2.0)
        .rotation_period_in_days(180)
        .send()
        .await
        .unwrap();
    add("rotation-on-r2", R2, on_2, Status::Pass, Reason::RotationEnabled);
    keys
}

fn by_name<'a>(keys: &'a [Seeded], name: &str) -> &'a Seeded {
    keys.iter().find(|k| k.name == name).unwrap()
}

/// Every seeded key's rotation flag as the emulator answers it now (or its error code).
async fn emulator_state(account: &Account, keys: &[Seeded]) -> BTreeMap<String, String> {
    let mut state = BTreeMap::new();
    for key in keys {
        let answer = account
            .kms(key.region)
            .get_key_rotation_status()
            .key_id(&key.key_id)
            .send()
            .await;
        let value = match answer {
            Ok(out) => format!("enabled={}", out.key_rotation_enabled),
            Err(error) => format!(
                "error={}",
                aws_sdk_kms::error::ProvideErrorMetadata::code(&error).unwrap_or("?")
            ),
        };
        state.insert(key.name.to_owned(), value);
    }
    state
}

#[tokio::test]
async fn check_collect_and_remediate_a_seeded_account_in_two_regions() {
    let Some(endpoint) = endpoint() else { return };
    let account = Account::new(&endpoint, &[R1, R2]).await;
    let keys = seed(&account).await;
    let clients = aws::clients(&account.options).await.unwrap();
    let options = CheckOptions::default().with_regions([R1, R2]).unwrap();

    // --- check
    let live = check_account(&clients, &options).await.unwrap();
    assert_eq!(live.account_id.as_deref(), Some(account.id.as_str()));
    assert_eq!(live.regions.len(), 2);
    for region in &live.regions {
        assert_eq!(region.state, RegionState::Scanned, "{region:?}");
        let seeded = keys.iter().filter(|k| k.region == region.region).count();
        assert_eq!(region.keys_listed, seeded as u64, "{}", region.region);
    }
    assert_eq!(live.findings.len(), keys.len(), "one finding per key");
    for key in &keys {
        let finding = live
            .findings
            .iter()
            .find(|f| f.key_arn == key.arn)
            .unwrap_or_else(|| panic!("no finding for {}", key.name));
        assert_eq!(finding.region, key.region, "{}", key.name);
        assert_eq!(finding.key_id, key.key_id, "{}", key.name);
        assert_eq!(
            (finding.status, finding.reason),
            (key.status, key.reason),
            "{}: {}",
            key.name,
            finding.message
        );
    }
    let finding_of = |name: &str| {
        let arn = &by_name(&keys, name).arn;
        live.findings.iter().find(|f| &f.key_arn == arn).unwrap()
    };
    assert_eq!(finding_of("rotation-on").aliases, ["alias/rotation-on"]);
    assert_eq!(finding_of("rotation-off").aliases, ["alias/rotation-off"]);
    let on = finding_of("rotation-on").rotation.as_ref().unwrap();
    assert!(on.enabled);
    let replica = finding_of("mrk-replica");
    let summary = replica.key.as_ref().unwrap();
    assert_eq!(summary.multi_region, Some(MultiRegionRole::Replica));
    let primary = by_name(&keys, "mrk-primary");
    assert_eq!(summary.primary_arn.as_deref(), Some(primary.arn.as_str()));
    assert_eq!(summary.primary_region.as_deref(), Some(R1));
    let plan = replica.remediation.as_ref().unwrap();
    assert_eq!(
        (plan.target_arn.as_str(), plan.region.as_str()),
        (primary.arn.as_str(), R1)
    );
    // moto 5.2.5 shares one MultiRegionConfiguration between a primary and its
    // replica, and describing the replica flips it to REPLICA for both; so the
    // primary's role is whatever the emulator said when the scan described it.
    // The replica-to-primary path on a faithful primary is proven in
    // `a_replica_finding_is_fixed_on_its_primary_in_another_region`.
    let primary_finding = finding_of("mrk-primary");
    let role_seen = primary_finding.key.as_ref().unwrap().multi_region.clone();
    assert!(
        matches!(role_seen, Some(MultiRegionRole::Primary | MultiRegionRole::Replica)),
        "{role_seen:?}"
    );
    assert_eq!(
        primary_finding.key.as_ref().unwrap().primary_arn.as_deref(),
        Some(primary.arn.as_str())
    );

    // --- collect, then evaluate offline: the same findings as a live check of the same state
    let snapshot = collect(&clients, &options).await.unwrap();
    let live_now = check_account(&clients, &options).await.unwrap();
    // Only moto's primary-flips-to-replica side effect (above) may tell the two live checks apart.
    let unaffected = |report: &kms_rotation_core::AccountReport| {
        report
            .findings
            .iter()
            .filter(|f| f.key_arn != primary.arn)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(unaffected(&live_now), unaffected(&live));
    let reloaded = Snapshot::from_json(&snapshot.to_json()).unwrap();
    for offline_source in [&snapshot, &reloaded] {
        let offline = check_account(&offline_source.clients(), &options).await.unwrap();
        assert_eq!(offline.findings, live_now.findings);
        assert_eq!(offline.regions, live_now.regions);
        assert_eq!(offline.account_id, live_now.account_id);
        assert_eq!(offline.summary, live_now.summary);
    }

    // --- remediate: a dry run changes nothing
    // What remediation may do to the multi-Region key depends on what the
    // emulator says the primary is now (see above): KMS allows changes only on a primary.
    let primary_role_now = account
        .kms(R1)
        .describe_key()
        .key_id(&primary.key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .multi_region_configuration
        .unwrap()
        .multi_region_key_type
        .unwrap();
    let primary_is_primary = primary_role_now.as_str() == "PRIMARY";
    let before = emulator_state(&account, &keys).await;
    let plan = remediate(&clients, &live, &RemediateOptions::default()).await.unwrap();
    assert!(plan.dry_run);
    let outcome_of = |report: &kms_rotation_core::RemediationReport, name: &str| {
        let arn = &by_name(&keys, name).arn;
        report
            .actions
            .iter()
            .find(|a| &a.target_arn == arn)
            .unwrap_or_else(|| panic!("no action for {name}"))
            .clone()
    };
    assert_eq!(plan.actions.len(), 3, "{:#?}", plan.actions);
    assert_eq!(outcome_of(&plan, "rotation-off").outcome, Outcome::WouldChange);
    assert_eq!(outcome_of(&plan, "disabled").outcome, Outcome::Skipped);
    let mrk = outcome_of(&plan, "mrk-primary");
    let expected_mrk = if primary_is_primary {
        Outcome::WouldChange
    } else {
        Outcome::Skipped
    };
    assert_eq!(mrk.outcome, expected_mrk, "{}", mrk.message);
    let mut covered = mrk.finding_arns.clone();
    covered.sort();
    let mut expected = vec![primary.arn.clone(), by_name(&keys, "mrk-replica").arn.clone()];
    expected.sort();
    assert_eq!(covered, expected, "the replica's fix goes to its primary, once");
    assert_eq!(emulator_state(&account, &keys).await, before);

    // --- remediate for real: exactly the reported changes happen
    let apply = RemediateOptions::default()
        .with_dry_run(false)
        .with_verification(5, Duration::from_millis(50));
    let applied = remediate(&clients, &live, &apply).await.unwrap();
    let rotation_off = outcome_of(&applied, "rotation-off");
    assert_eq!(
        (rotation_off.outcome, rotation_off.verified),
        (Outcome::Changed, true),
        "{}",
        rotation_off.message
    );
    assert_eq!(rotation_off.before.as_ref().map(|b| b.enabled), Some(false));
    assert!(rotation_off.after.as_ref().unwrap().enabled);
    assert_eq!(outcome_of(&applied, "disabled").outcome, Outcome::Skipped);
    let mrk = outcome_of(&applied, "mrk-primary");
    assert_eq!(
        mrk.outcome,
        if primary_is_primary {
            Outcome::Changed
        } else {
            Outcome::Skipped
        },
        "{}",
        mrk.message
    );
    let changed: Vec<&str> = ["rotation-off", "mrk-primary"]
        .into_iter()
        .filter(|name| outcome_of(&applied, name).outcome == Outcome::Changed)
        .collect();
    let after = emulator_state(&account, &keys).await;
    let mut expected_after = before.clone();
    for name in &changed {
        expected_after.insert((*name).to_owned(), "enabled=true".to_owned());
    }
    assert_eq!(after, expected_after, "exactly the reported changes happened");

    // --- and the check agrees
    let recheck = check_account(&clients, &options).await.unwrap();
    for name in &changed {
        let arn = &by_name(&keys, name).arn;
        let finding = recheck.findings.iter().find(|f| &f.key_arn == arn).unwrap();
        assert_eq!(finding.status, Status::Pass, "{name}");
    }
}

#[tokio::test]
async fn a_replica_finding_is_fixed_on_its_primary_in_another_region() {
    let Some(endpoint) = endpoint() else { return };
    // The primary lives in the emulator; its replica's facts come from a snapshot,
    // because moto cannot keep a replica apart from its primary (see above).
    let account = Account::new(&endpoint, &[R1]).await;
    let (primary_id, primary_arn) = create_key(&account.kms(R1), |b| b.multi_region(true)).await;
    let mut replica = KeyMetadata::symmetric(R2, &account.id, &primary_id);
    replica.multi_region = Some(MultiRegionInfo {
        role: MultiRegionRole::Replica,
        primary_arn: primary_arn.clone(),
        primary_region: R1.to_owned(),
    });
    let snapshot = Snapshot::new(Some(&account.id));
    snapshot
        .add_key(R2, SnapshotKey::new(replica, Some(RotationStatus::default())))
        .unwrap();
    let session = account.session.clone();
    // Only R2 is scanned; the factory reaches R1 when remediation needs the primary.
    let clients = Clients::new()
        .with_client(snapshot.client(R2).unwrap())
        .with_factory(move |region| {
            session
                .client(region)
                .map(|client| Arc::new(client) as Arc<dyn KmsClient>)
        });
    let options = CheckOptions::default().with_regions([R2]).unwrap();
    let report = check_account(&clients, &options).await.unwrap();
    let plan = report.findings[0].remediation.as_ref().unwrap();
    assert_eq!(
        (plan.target_arn.as_str(), plan.region.as_str()),
        (primary_arn.as_str(), R1)
    );

    let apply = RemediateOptions::default()
        .with_dry_run(false)
        .with_verification(5, Duration::from_millis(50));
    let applied = remediate(&clients, &report, &apply).await.unwrap();
    assert_eq!(applied.actions.len(), 1);
    let action = &applied.actions[0];
    assert_eq!(action.region, R1);
    assert_eq!(
        (action.outcome, action.verified),
        (Outcome::Changed, true),
        "{}",
        action.message
    );
    let status = account
        .kms(R1)
        .get_key_rotation_status()
        .key_id(&primary_id)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled);
}

#[tokio::test]
async fn an_assumed_role_checks_its_own_account_and_nothing_else() {
    let Some(endpoint) = endpoint() else { return };
    let account = Account::new(&endpoint, &[R1]).await;
    let identity = account.session.identity().await.unwrap();
    assert_eq!(identity.account_id, account.id);
    assert_eq!(identity.partition, "aws");
    assert!(
        identity
            .arn
            .ends_with(":assumed-role/KmsRotationAudit/kms-rotation-tests"),
        "{}",
        identity.arn
    );

    let (_, arn) = create_key(&account.kms(R1), |b| b).await;
    assert!(arn.contains(&format!(":{}:key/", account.id)), "{arn}");
    let options = CheckOptions::default().with_regions([R1]).unwrap();
    let own = check_account(&aws::clients(&account.options).await.unwrap(), &options)
        .await
        .unwrap();
    assert_eq!(own.findings.len(), 1);
    assert_eq!(own.findings[0].key_arn, arn);

    // Without the role, the same region of the emulator's default account.
    let base = AwsOptions::default()
        .with_static_credentials("testing", "testing", None)
        .with_endpoint_url(endpoint.as_str())
        .unwrap()
        .with_regions([R1])
        .unwrap();
    let other = check_account(&aws::clients(&base).await.unwrap(), &options)
        .await
        .unwrap();
    assert!(other.findings.iter().all(|f| f.key_arn != arn));
}

#[tokio::test]
async fn tag_exemptions_aliases_and_errors_through_the_emulator() {
    let Some(endpoint) = endpoint() else { return };
    let account = Account::new(&endpoint, &[R2]).await;
    let kms = account.kms(R2);
    let exempt = create_key(&kms, |b| {
        b.tags(
            SdkTag::builder()
                .tag_key("rotation")
                .tag_value("exempt")
                .build()
                .unwrap(),
        )
    })
    .await;
    let failing = create_key(&kms, |b| b).await;
    kms.create_alias()
        .alias_name("alias/orders")
        .target_key_id(&failing.0)
        .send()
        .await
        .unwrap();

    let client = account.session.client(R2).unwrap();
    let tags = client.list_resource_tags(&exempt.0, None).await.unwrap().items;
    assert_eq!((tags[0].key.as_str(), tags[0].value.as_str()), ("rotation", "exempt"));

    let policy = Policy::default().with_exemption("tag:rotation=exempt").unwrap();
    let options = CheckOptions::default()
        .with_regions([R2])
        .unwrap()
        .with_policy(policy.clone());
    let report = check_account(&aws::clients(&account.options).await.unwrap(), &options)
        .await
        .unwrap();
    let status_of = |arn: &str| report.findings.iter().find(|f| f.key_arn == arn).map(|f| f.status);
    assert_eq!(status_of(&exempt.1), Some(Status::Exempt));
    assert_eq!(status_of(&failing.1), Some(Status::Fail));
    assert_eq!(report.stats.api_calls["ListResourceTags"], 2);

    let by_alias = check_key(
        &client,
        "alias/orders",
        &CheckOptions::default().with_policy(policy.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        (by_alias.status, by_alias.key_arn.as_str()),
        (Status::Fail, failing.1.as_str())
    );
    assert_eq!(by_alias.aliases, ["alias/orders"]);

    // The emulator's own error answers keep their codes.
    let missing = "00000000-1111-2222-3333-444444444444";
    let error = client.describe_key(missing).await.unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.kind),
        ("NotFoundException", ErrorKind::NotFound)
    );
    assert!(!error.message.is_empty());
    let finding = check_key(&client, missing, &CheckOptions::default().with_policy(policy.clone()))
        .await
        .unwrap();
    assert_eq!(finding.status, Status::Error);
    assert_eq!(finding.error.unwrap().code, "NotFoundException");
}
