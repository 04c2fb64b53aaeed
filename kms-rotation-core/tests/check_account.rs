//! `check_account` over snapshots: every verdict, the exact calls, regions, pagination.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::common::*;
use kms_rotation_core::{
    ApiError, CheckOptions, MultiRegionRole, Operation, Policy, ProgressEvent, Reason, RegionState, Snapshot,
    SnapshotKey, Status, check_account,
};

fn verdict(findings: &[kms_rotation_core::Finding], region: &str, alias: &str) -> (Status, Reason) {
    let f = by_alias(findings, region, alias);
    (f.status, f.reason)
}

#[tokio::test(start_paused = true)]
async fn every_category_gets_its_verdict_with_exactly_the_calls_it_needs() {
    let snapshot = load(&every_category());
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let f = &report.findings;
    let (e, w) = ("us-east-1", "eu-west-1");
    use Reason::*;
    use Status::*;
    let expected = [
        (e, "alias/aws/s3", NotApplicable, AwsManaged),
        (e, "alias/rsa", NotApplicable, UnsupportedKeySpec),
        (e, "alias/ecc", NotApplicable, UnsupportedKeySpec),
        (e, "alias/hmac", NotApplicable, UnsupportedKeySpec),
        (e, "alias/imported", NotApplicable, ImportedKeyMaterial),
        (e, "alias/pending-import", NotApplicable, ImportedKeyMaterial),
        (e, "alias/cloudhsm", NotApplicable, CustomKeyStore),
        (e, "alias/xks", NotApplicable, CustomKeyStore),
        (e, "alias/pending-deletion", NotApplicable, PendingDeletion),
        (e, "alias/disabled-on", Pass, RotationEnabled),
        (e, "alias/disabled-off", Fail, RotationDisabled),
        (e, "alias/off", Fail, RotationDisabled),
        (e, "alias/p730", Fail, RotationPeriodTooLong),
        (e, "alias/p366", Fail, RotationPeriodTooLong),
        (e, "alias/p90", Pass, RotationEnabled),
        (e, "alias/no-period", Pass, RotationEnabled),
        (e, "alias/cmk-spec-only", Pass, RotationEnabled),
        (e, "alias/mrk-good", Pass, RotationEnabled),
        (e, "alias/mrk-bad", Fail, RotationDisabled),
        (e, "alias/future", NotApplicable, UnsupportedKeySpec),
        (e, "alias/describe-denied", Error, ApiError),
        (e, "alias/status-denied", Error, ApiError),
        (e, "alias/throttled", Pass, RotationEnabled),
        (w, "alias/mrk-good", Pass, RotationEnabled),
        (w, "alias/mrk-bad", Fail, RotationDisabled),
        (w, "alias/pending-replica-deletion", NotApplicable, PendingDeletion),
    ];
    for (region, alias, status, reason) in expected {
        assert_eq!(verdict(f, region, alias), (status, reason), "{region} {alias}");
    }
    assert_eq!(f.len(), expected.len(), "one finding per listed key");
    assert_eq!(report.summary.total, 26);
    assert_eq!(
        (report.summary.pass, report.summary.fail, report.summary.error),
        (7, 6, 2)
    );

    // Facts the findings must carry.
    let denied = by_alias(f, e, "alias/describe-denied");
    assert!(denied.key.is_none());
    assert_eq!(denied.error.as_ref().unwrap().code, "AccessDeniedException");
    assert_eq!(denied.key_arn, arn(e, &key_id(21)));
    let status_denied = by_alias(f, e, "alias/status-denied");
    assert_eq!(
        status_denied.error.as_ref().unwrap().operation.as_deref(),
        Some("GetKeyRotationStatus")
    );
    assert!(status_denied.remediation.is_none(), "an ERROR is never a FAIL to fix");
    let replica = by_alias(f, w, "alias/mrk-bad");
    let key = replica.key.as_ref().unwrap();
    assert_eq!(key.multi_region, Some(MultiRegionRole::Replica));
    assert_eq!(key.primary_arn.as_deref(), Some(arn(e, &mrk_id(19)).as_str()));
    assert_eq!(key.primary_region.as_deref(), Some(e));
    let plan = replica.remediation.as_ref().unwrap();
    assert_eq!(
        (plan.target_arn.as_str(), plan.region.as_str()),
        (arn(e, &mrk_id(19)).as_str(), e)
    );
    assert!(replica.message.contains("replica"), "{}", replica.message);
    let disabled = by_alias(f, e, "alias/disabled-off");
    assert!(disabled.message.contains("disabled"), "{}", disabled.message);
    assert!(disabled.remediation.as_ref().unwrap().blocked_by.is_some());
    assert!(by_alias(f, e, "alias/disabled-on").message.contains("disabled"));
    assert_eq!(
        by_alias(f, e, "alias/p730")
            .remediation
            .as_ref()
            .unwrap()
            .rotation_period_days,
        365
    );
    assert_eq!(
        by_alias(f, e, "alias/no-period").rotation.as_ref().unwrap().period_days,
        None
    );
    let future = by_alias(f, e, "alias/future").key.as_ref().unwrap();
    assert_eq!(future.spec.as_str(), "QUANTUM_FUTURE_512");
    assert_eq!(future.state.as_str(), "Hibernating");

    // The calls: ListKeys and ListAliases once per region, DescribeKey once per key,
    // GetKeyRotationStatus only where rows 8-10 decide, nothing else.
    let calls = snapshot.calls();
    let count = |op| calls.iter().filter(|c| c.operation == op).count();
    assert_eq!(count(Operation::ListKeys), 2);
    assert_eq!(count(Operation::ListAliases), 2);
    assert_eq!(count(Operation::DescribeKey), 26);
    assert_eq!(count(Operation::ListResourceTags), 0);
    assert_eq!(count(Operation::EnableKeyRotation), 0);
    let status_calls: BTreeMap<(String, String), usize> = calls
        .iter()
        .filter(|c| c.operation == Operation::GetKeyRotationStatus)
        .fold(BTreeMap::new(), |mut m, c| {
            *m.entry((c.region.clone(), c.key.clone().unwrap())).or_default() += 1;
            m
        });
    let mut expected_status_calls = BTreeMap::new();
    for n in [10, 11, 12, 13, 14, 15, 16, 17, 22] {
        expected_status_calls.insert((e.to_owned(), key_id(n)), 1);
    }
    expected_status_calls.insert((e.to_owned(), key_id(23)), 4); // throttled three times, then answered
    for id in [mrk_id(18), mrk_id(19)] {
        expected_status_calls.insert((e.to_owned(), id.clone()), 1);
        expected_status_calls.insert((w.to_owned(), id), 1);
    }
    assert_eq!(status_calls, expected_status_calls);
    assert_eq!(report.stats.retries, 3);
    assert_eq!(report.stats.throttled, 3);
    assert_eq!(report.stats.api_calls["GetKeyRotationStatus"], 17);
    assert_eq!(report.stats.api_calls["DescribeKey"], 26);
    assert!(!report.stats.api_calls.contains_key("ListResourceTags"));
    assert_eq!(report.account_id.as_deref(), Some(ACCOUNT));
}

#[tokio::test(start_paused = true)]
async fn exemptions_by_id_arn_alias_and_tag() {
    let e = "us-east-1";
    let snapshot = Snapshot::new(Some(ACCOUNT));
    let off = || Some(kms_rotation_core::RotationStatus::default());
    let meta = |n| kms_rotation_core::KeyMetadata::symmetric(e, ACCOUNT, &key_id(n));
    for (n, alias) in [
        (1, "alias/by-id"),
        (2, "alias/by-arn"),
        (3, "alias/by-alias"),
        (5, "alias/not-exempt"),
    ] {
        // Like a live account, every key answers ListResourceTags (these with no tags).
        snapshot
            .add_key(e, SnapshotKey::new(meta(n), off()).with_aliases([alias]).with_tags([]))
            .unwrap();
    }
    snapshot
        .add_key(
            e,
            SnapshotKey::new(meta(4), off())
                .with_aliases(["alias/by-tag"])
                .with_tag("exempt", "yes"),
        )
        .unwrap();

    // Without a tag rule no tags are read.
    let policy = Policy::default()
        .with_exemption(&key_id(1))
        .unwrap()
        .with_exemption(&arn(e, &key_id(2)))
        .unwrap()
        .with_exemption("alias/by-alias")
        .unwrap();
    let report = check_account(
        &snapshot.clients(),
        &CheckOptions::default().with_policy(policy.clone()),
    )
    .await
    .unwrap();
    let f = &report.findings;
    for alias in ["alias/by-id", "alias/by-arn", "alias/by-alias"] {
        assert_eq!(verdict(f, e, alias), (Status::Exempt, Reason::Exempted), "{alias}");
        assert!(by_alias(f, e, alias).message.contains("rule"));
    }
    assert_eq!(verdict(f, e, "alias/by-tag").0, Status::Fail);
    assert!(
        snapshot
            .calls()
            .iter()
            .all(|c| c.operation != Operation::ListResourceTags)
    );
    // Exempt keys are decided without reading their rotation status.
    assert_eq!(
        calls_for(&snapshot.calls(), Operation::GetKeyRotationStatus, &key_id(1)),
        0
    );

    snapshot.clear_calls();
    let policy = policy.with_exemption("tag:exempt=yes").unwrap();
    let report = check_account(&snapshot.clients(), &CheckOptions::default().with_policy(policy))
        .await
        .unwrap();
    assert_eq!(
        verdict(&report.findings, e, "alias/by-tag"),
        (Status::Exempt, Reason::Exempted)
    );
    assert!(
        by_alias(&report.findings, e, "alias/by-tag")
            .message
            .contains("tag:exempt=yes")
    );
    assert_eq!(verdict(&report.findings, e, "alias/not-exempt").0, Status::Fail);
    assert_eq!(
        snapshot
            .calls()
            .iter()
            .filter(|c| c.operation == Operation::ListResourceTags)
            .count(),
        5
    );
}

#[tokio::test(start_paused = true)]
async fn skipping_disabled_keys_and_a_shorter_maximum() {
    let snapshot = load(&every_category());
    let policy = Policy::default()
        .with_evaluate_disabled_keys(false)
        .with_max_rotation_period_days(90)
        .unwrap();
    let options = CheckOptions::default()
        .with_policy(policy)
        .with_regions(["us-east-1"])
        .unwrap();
    let report = check_account(&snapshot.clients(), &options).await.unwrap();
    let f = &report.findings;
    assert_eq!(
        verdict(f, "us-east-1", "alias/disabled-off"),
        (Status::NotApplicable, Reason::Disabled)
    );
    assert_eq!(
        verdict(f, "us-east-1", "alias/disabled-on"),
        (Status::NotApplicable, Reason::Disabled)
    );
    assert_eq!(
        verdict(f, "us-east-1", "alias/p90"),
        (Status::Pass, Reason::RotationEnabled)
    );
    assert_eq!(
        verdict(f, "us-east-1", "alias/mrk-good"),
        (Status::Fail, Reason::RotationPeriodTooLong)
    );
    assert_eq!(
        verdict(f, "us-east-1", "alias/no-period"),
        (Status::Fail, Reason::RotationPeriodTooLong)
    );
    assert_eq!(
        by_alias(f, "us-east-1", "alias/off")
            .remediation
            .as_ref()
            .unwrap()
            .rotation_period_days,
        90
    );
    assert_eq!(report.regions.len(), 1, "only the requested region");
    assert!(snapshot.calls().iter().all(|c| c.region == "us-east-1"));
}

#[tokio::test(start_paused = true)]
async fn regions_that_cannot_be_listed_get_an_entry_and_the_rest_go_on() {
    let snapshot = load(&every_category());
    snapshot.add_region("ap-east-1");
    snapshot.set_region_error(
        "ap-east-1",
        Operation::ListKeys,
        ApiError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
    );
    snapshot.add_region("sa-east-1");
    snapshot.set_region_error(
        "sa-east-1",
        Operation::ListKeys,
        ApiError::new("AccessDeniedException", "not authorized to perform: kms:ListKeys"),
    );
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let regions: Vec<(&str, RegionState, u64)> = report
        .regions
        .iter()
        .map(|r| (r.region.as_str(), r.state, r.keys_listed))
        .collect();
    assert_eq!(
        regions,
        [
            ("ap-east-1", RegionState::NotEnabled, 0),
            ("eu-west-1", RegionState::Scanned, 3),
            ("sa-east-1", RegionState::Error, 0),
            ("us-east-1", RegionState::Scanned, 23),
        ]
    );
    let ap = &report.regions[0];
    assert_eq!(ap.error.as_ref().unwrap().code, "UnrecognizedClientException");
    assert_eq!(report.regions[2].error.as_ref().unwrap().code, "AccessDeniedException");
    assert_eq!(report.findings.len(), 26);
    // A region error is never retried as if transient.
    let listed = |region: &str| {
        snapshot
            .calls()
            .iter()
            .filter(|c| c.region == region && c.operation == Operation::ListKeys)
            .count()
    };
    assert_eq!((listed("ap-east-1"), listed("sa-east-1")), (1, 1));
}

/// A refusal of the credentials means "not enabled" only in an opt-in region
/// the account's list does not hold; elsewhere it is a region error, and in the
/// home region a credentials error.
#[tokio::test(start_paused = true)]
async fn a_region_refusing_the_credentials_is_not_enabled_only_where_the_account_says_so() {
    let refused = || {
        ApiError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    };
    let snapshot = load(&every_category());
    for region in ["ap-east-1", "me-south-1", "sa-east-1"] {
        snapshot.add_region(region);
        snapshot.set_region_error(region, Operation::ListKeys, refused());
    }
    let states = |report: &kms_rotation_core::AccountReport| -> Vec<(String, RegionState)> {
        report.regions.iter().map(|r| (r.region.clone(), r.state)).collect()
    };
    let state_of = |report: &kms_rotation_core::AccountReport, region: &str| {
        report.regions.iter().find(|r| r.region == region).unwrap().clone()
    };

    // The account lists me-south-1 as enabled: refusing there is not "not enabled".
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = lookups.clone();
    let clients = snapshot.clients().with_enabled_regions_lookup(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::pin(async {
            Ok(vec![
                "us-east-1".to_owned(),
                "eu-west-1".to_owned(),
                "me-south-1".to_owned(),
            ])
        })
    });
    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    assert_eq!(
        states(&report),
        [
            ("ap-east-1".to_owned(), RegionState::NotEnabled),
            ("eu-west-1".to_owned(), RegionState::Scanned),
            ("me-south-1".to_owned(), RegionState::Error),
            // Not an opt-in region: enabled in every account.
            ("sa-east-1".to_owned(), RegionState::Error),
            ("us-east-1".to_owned(), RegionState::Scanned),
        ]
    );
    assert!(
        state_of(&report, "me-south-1")
            .error
            .unwrap()
            .message
            .contains("enabled for the account")
    );
    assert!(
        state_of(&report, "sa-east-1")
            .error
            .unwrap()
            .message
            .contains("enabled in every account")
    );
    assert_eq!(
        lookups.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the list is read once"
    );
    assert_eq!(report.exit_code(), 2, "FAILs in the scanned regions");

    // The list cannot be read: unconfirmed is an error, never "not enabled".
    let clients = snapshot.clients().with_enabled_regions_lookup(|| {
        Box::pin(async {
            Err(kms_rotation_core::Error::Configuration(
                "AccessDeniedException: not authorized to perform account:ListRegions".to_owned(),
            ))
        })
    });
    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    let ap = state_of(&report, "ap-east-1");
    assert_eq!(ap.state, RegionState::Error);
    assert!(ap.error.unwrap().message.contains("could not be confirmed"));

    // Refused in the home region: the credentials, for the whole run.
    let clients = snapshot.clients().with_home_region("sa-east-1");
    let error = check_account(&clients, &CheckOptions::default()).await.unwrap_err();
    assert!(matches!(error, kms_rotation_core::Error::Configuration(_)), "{error:?}");
    assert!(error.to_string().contains("home region sa-east-1"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_alias_listing_is_reported_and_keys_are_still_checked() {
    let snapshot = load(&every_category());
    snapshot.set_region_error(
        "eu-west-1",
        Operation::ListAliases,
        ApiError::new("AccessDeniedException", "no"),
    );
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let eu = report.regions.iter().find(|r| r.region == "eu-west-1").unwrap();
    assert_eq!(eu.state, RegionState::Scanned);
    assert_eq!(eu.error.as_ref().unwrap().operation.as_deref(), Some("ListAliases"));
    assert_eq!(report.findings.iter().filter(|f| f.region == "eu-west-1").count(), 3);
}

#[tokio::test(start_paused = true)]
async fn pagination_over_several_pages_of_keys_and_aliases() {
    let e = "us-east-1";
    let snapshot = Snapshot::new(Some(ACCOUNT));
    for n in 0..2_345 {
        let meta = kms_rotation_core::KeyMetadata::symmetric(e, ACCOUNT, &key_id(n));
        let status = kms_rotation_core::RotationStatus::enabled_with_period(365);
        snapshot
            .add_key(
                e,
                SnapshotKey::new(meta, Some(status)).with_aliases([format!("alias/k{n}")]),
            )
            .unwrap();
    }
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 2_345);
    assert_eq!(report.regions[0].keys_listed, 2_345);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.status == Status::Pass && f.aliases.len() == 1)
    );
    let calls = snapshot.calls();
    let count = |op| calls.iter().filter(|c| c.operation == op).count();
    assert_eq!(count(Operation::ListKeys), 3, "pages of 1000");
    assert_eq!(count(Operation::ListAliases), 24, "pages of 100");

    // A smaller page size than AWS's maximum is followed just as well.
    snapshot.clear_calls();
    snapshot.set_page_size(7);
    let again = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(again.findings, report.findings);
    assert_eq!(
        snapshot
            .calls()
            .iter()
            .filter(|c| c.operation == Operation::ListKeys)
            .count(),
        2_345usize.div_ceil(7)
    );
}

#[tokio::test(start_paused = true)]
async fn the_report_is_canonical_json_in_a_stable_order() {
    // Fresh snapshots: the throttled key's replayed errors are used up by a run.
    let options = CheckOptions::default().with_max_in_flight(3);
    let a = check_account(&load(&every_category()).clients(), &options)
        .await
        .unwrap();
    let b = check_account(&load(&every_category()).clients(), &CheckOptions::default())
        .await
        .unwrap();
    let strip = |r: &kms_rotation_core::AccountReport| {
        let mut r = r.clone();
        r.generated_at = kms_rotation_core::Timestamp::from_epoch_seconds(0);
        r.stats.duration_ms = 0;
        r.to_json()
    };
    assert_eq!(strip(&a), strip(&b));
    let keys: Vec<(&str, &str)> = a
        .findings
        .iter()
        .map(|f| (f.region.as_str(), f.key_arn.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    let json: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
    assert_eq!(json["schema_version"], 1);
    for field in [
        "generated_at",
        "account_id",
        "policy",
        "regions",
        "findings",
        "summary",
        "stats",
    ] {
        assert!(json.get(field).is_some(), "{field}");
    }
    let finding = &json["findings"][0];
    for field in [
        "region",
        "key_id",
        "key_arn",
        "aliases",
        "status",
        "reason",
        "message",
        "key",
        "rotation",
        "remediation",
        "error",
    ] {
        assert!(finding.get(field).is_some(), "finding field {field}");
    }
    assert_eq!(json["summary"]["NOT_APPLICABLE"], 11);
    assert_eq!(json["policy"]["max_rotation_period_days"], 365);
    // The report reads back as it was written.
    assert_eq!(kms_rotation_core::AccountReport::from_json(&a.to_json()).unwrap(), a);
}

#[tokio::test(start_paused = true)]
async fn progress_events_count_every_key() {
    let snapshot = load(&every_category());
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = CheckOptions::default().with_progress(move |e| sink.lock().unwrap().push(e.clone()));
    check_account(&snapshot.clients(), &options).await.unwrap();
    let events = events.lock().unwrap();
    let evaluated = |region: &str| {
        events
            .iter()
            .filter_map(|e| match e {
                ProgressEvent::KeyEvaluated {
                    region: r,
                    evaluated,
                    listed,
                } if r == region => Some((*evaluated, *listed)),
                _ => None,
            })
            .max()
    };
    assert_eq!(evaluated("us-east-1"), Some((23, 23)));
    assert_eq!(evaluated("eu-west-1"), Some((3, 3)));
    let finished = events
        .iter()
        .filter(|e| matches!(e, ProgressEvent::RegionFinished { .. }))
        .count();
    assert_eq!(finished, 2);
    assert!(matches!(events.first(), Some(ProgressEvent::RegionStarted { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_rate_budget_keeps_calls_under_the_service_quota() {
    // 600 keys against a snapshot enforcing AWS quotas at a tenth: the default budget
    // is half of AWS's quota, so it must be lowered to fit; nothing may be throttled.
    let e = "us-east-1";
    let snapshot = Snapshot::new(Some(ACCOUNT));
    for n in 0..600 {
        let meta = kms_rotation_core::KeyMetadata::symmetric(e, ACCOUNT, &key_id(n));
        snapshot
            .add_key(e, SnapshotKey::new(meta, Some(Default::default())))
            .unwrap();
    }
    snapshot.set_rate_limit(Operation::DescribeKey, 200.0);
    snapshot.set_rate_limit(Operation::GetKeyRotationStatus, 100.0);
    let options = CheckOptions::default().with_quota_fraction(0.1).unwrap();
    let started = tokio::time::Instant::now();
    let report = check_account(&snapshot.clients(), &options).await.unwrap();
    assert_eq!(report.stats.throttled, 0);
    assert_eq!(report.summary.fail, 600);
    // 600 status reads at 100 rps cannot take less than ~6 s of (virtual) time.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(5_900),
        "{:?}",
        started.elapsed()
    );

    // Over budget, throttled calls are retried and still end in a verdict.
    let fast = CheckOptions::default().with_quota_fraction(1.0).unwrap();
    let report = check_account(&snapshot.clients(), &fast).await.unwrap();
    assert!(report.stats.throttled > 0);
    assert_eq!(report.summary.fail, 600, "{:?}", report.summary);
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_without_quotas_is_not_paced() {
    let e = "us-east-1";
    let snapshot = Snapshot::new(Some(ACCOUNT));
    for n in 0..3_000 {
        let meta = kms_rotation_core::KeyMetadata::symmetric(e, ACCOUNT, &key_id(n));
        snapshot
            .add_key(e, SnapshotKey::new(meta, Some(Default::default())))
            .unwrap();
    }
    let started = tokio::time::Instant::now();
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(report.summary.fail, 3_000);
    // Paced at the default budget, 3,000 DescribeKey calls would take 3 s of (virtual) time.
    assert!(
        started.elapsed() < std::time::Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    // With AWS's quotas simulated, the same scan is paced.
    snapshot.set_aws_quotas();
    let started = tokio::time::Instant::now();
    check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(2_900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn the_operations_a_call_declares_cover_every_call_it_makes() {
    use std::collections::BTreeSet;
    for policy in [
        Policy::default(),
        Policy::default().with_exemption("tag:exempt=yes").unwrap(),
    ] {
        let snapshot = load(&every_category());
        let options = CheckOptions::default().with_policy(policy.clone());
        let report = check_account(&snapshot.clients(), &options).await.unwrap();
        let made: BTreeSet<Operation> = snapshot.calls().iter().map(|c| c.operation).collect();
        let declared: BTreeSet<Operation> = options.operations().into_iter().collect();
        assert_eq!(made, declared, "{policy:?}");
        let fix = kms_rotation_core::RemediateOptions::default().with_dry_run(false);
        snapshot.clear_calls();
        kms_rotation_core::remediate(&snapshot.clients(), &report, &fix)
            .await
            .unwrap();
        let made: BTreeSet<Operation> = snapshot.calls().iter().map(|c| c.operation).collect();
        let declared = fix.operations_for(&report.policy).into_iter().collect();
        assert!(made.is_subset(&declared), "{made:?}");
        assert!(
            !kms_rotation_core::RemediateOptions::default()
                .operations()
                .contains(&Operation::EnableKeyRotation)
        );
    }
}

/// The call log sees every attempt, retries included, as the stats count them.
#[tokio::test(start_paused = true)]
async fn the_call_log_sees_every_attempt_the_stats_count() {
    let mut file: serde_json::Value = serde_json::from_str(&every_category()).unwrap();
    file["regions"]["eu-west-1"]["Errors"] = serde_json::json!({
        "ListAliases": {"Code": "ThrottlingException", "Message": "Rate exceeded", "Times": 2}
    });
    let snapshot = load(&file.to_string());
    let seen: Arc<Mutex<Vec<kms_rotation_core::ApiCall>>> = Arc::default();
    let log = seen.clone();
    let options = CheckOptions::default().with_call_log(move |call| log.lock().unwrap().push(call.clone()));
    let report = check_account(&snapshot.clients(), &options).await.unwrap();
    let seen = seen.lock().unwrap();
    let mut counted: BTreeMap<String, u64> = BTreeMap::new();
    for call in seen.iter() {
        *counted.entry(call.operation.as_str().to_owned()).or_default() += 1;
    }
    assert_eq!(counted, report.stats.api_calls);
    let aliases: Vec<(u32, &str)> = seen
        .iter()
        .filter(|c| c.region == "eu-west-1" && c.operation == Operation::ListAliases)
        .map(|c| (c.attempt, c.outcome.as_str()))
        .collect();
    assert_eq!(
        aliases,
        [(1, "ThrottlingException"), (2, "ThrottlingException"), (3, "ok")]
    );
}
