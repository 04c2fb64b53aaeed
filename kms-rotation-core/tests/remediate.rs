//! `remediate` end to end over the snapshot client.

use std::time::Duration;

use crate::common::*;
use kms_rotation_core::{
    CheckOptions, Operation, Outcome, Policy, RemediateOptions, RotationStatus, Status, check_account, remediate,
    remediate_keys,
};

fn apply() -> RemediateOptions {
    RemediateOptions::default()
        .with_dry_run(false)
        .with_verification(3, Duration::from_millis(10))
}

fn outcome_of<'a>(
    report: &'a kms_rotation_core::RemediationReport,
    region: &str,
    id: &str,
) -> &'a kms_rotation_core::RemediationAction {
    report
        .actions
        .iter()
        .find(|a| a.region == region && a.target_arn == arn(region, id))
        .unwrap_or_else(|| panic!("no action for {id} in {region}: {:#?}", report.actions))
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_changes_nothing_and_says_what_would_change() {
    let snapshot = load(&every_category());
    let before = snapshot.to_json();
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    snapshot.clear_calls();
    let plan = remediate(&snapshot.clients(), &report, &RemediateOptions::default())
        .await
        .unwrap();
    assert!(plan.dry_run);
    assert!(
        snapshot
            .calls()
            .iter()
            .all(|c| c.operation != Operation::EnableKeyRotation)
    );
    assert_eq!(snapshot.to_json(), before, "a dry run leaves the account as it was");

    let e = "us-east-1";
    for n in [12, 13, 14] {
        let action = outcome_of(&plan, e, &key_id(n));
        assert_eq!(action.outcome, Outcome::WouldChange, "{}", action.message);
        assert_eq!(action.after, Some(RotationStatus::enabled_with_period(365)));
    }
    assert!(
        outcome_of(&plan, e, &key_id(13))
            .message
            .contains("shorten the rotation period from 730 to 365")
    );
    assert_eq!(outcome_of(&plan, e, &mrk_id(19)).outcome, Outcome::WouldChange);
    let disabled = outcome_of(&plan, e, &key_id(11));
    assert_eq!(disabled.outcome, Outcome::Skipped);
    assert!(disabled.message.contains("DisabledException"), "{}", disabled.message);
    // FAIL findings only: 6 of them, the two copies of the multi-Region key fold into one target.
    assert_eq!(plan.actions.len(), 5);
}

#[tokio::test(start_paused = true)]
async fn apply_fixes_exactly_the_failing_keys_once_and_verifies() {
    let snapshot = load(&every_category());
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    snapshot.clear_calls();
    let done = remediate(&snapshot.clients(), &report, &apply()).await.unwrap();

    let e = "us-east-1";
    let enabled: Vec<(String, String)> = snapshot
        .calls()
        .iter()
        .filter(|c| c.operation == Operation::EnableKeyRotation)
        .map(|c| (c.region.clone(), c.key.clone().unwrap()))
        .collect();
    let mut expected: Vec<(String, String)> = [key_id(12), key_id(13), key_id(14), mrk_id(19)]
        .iter()
        .map(|id| (e.to_owned(), arn(e, id)))
        .collect();
    let mut enabled_sorted = enabled.clone();
    enabled_sorted.sort();
    expected.sort();
    assert_eq!(
        enabled_sorted, expected,
        "one EnableKeyRotation per failing target; the replica's lands on its primary"
    );

    for id in [key_id(12), key_id(13), key_id(14), mrk_id(19)] {
        let action = outcome_of(&done, e, &id);
        assert_eq!(action.outcome, Outcome::Changed, "{}", action.message);
        assert!(action.verified);
        assert_eq!(action.after.as_ref().unwrap().period_days, Some(365));
        assert_eq!(snapshot.stored_rotation(e, &id).unwrap().period_days, Some(365));
    }
    let mrk = outcome_of(&done, e, &mrk_id(19));
    assert_eq!(mrk.finding_arns.len(), 2, "covers the primary and its replica");
    assert!(!mrk.before.as_ref().unwrap().enabled);
    assert_eq!(outcome_of(&done, e, &key_id(11)).outcome, Outcome::Skipped);
    assert!(!done.all_compliant(), "the disabled key is still off");
    assert_eq!(done.stats.api_calls["EnableKeyRotation"], 4);

    // Keys that passed were never touched: the 90-day key keeps 90 days.
    assert_eq!(snapshot.stored_rotation(e, &key_id(15)).unwrap().period_days, Some(90));

    // A fresh check: only the disabled key still fails; the replica passes through its primary.
    let after = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let failing: Vec<&str> = after.findings_with(Status::Fail).map(|f| f.key_id.as_str()).collect();
    assert_eq!(failing, [key_id(11).as_str()]);
    assert_eq!(
        by_alias(&after.findings, "eu-west-1", "alias/mrk-bad").status,
        Status::Pass
    );

    // The same report again: every target is already compliant (the disabled one still skipped).
    snapshot.clear_calls();
    let again = remediate(&snapshot.clients(), &report, &apply()).await.unwrap();
    for action in &again.actions {
        let expected = if action.target_arn == arn(e, &key_id(11)) {
            Outcome::Skipped
        } else {
            Outcome::AlreadyCompliant
        };
        assert_eq!(action.outcome, expected, "{}", action.target_arn);
    }
    assert!(
        snapshot
            .calls()
            .iter()
            .all(|c| c.operation != Operation::EnableKeyRotation)
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_changed_since_the_check_is_reread_and_never_lengthened() {
    let snapshot = load(&every_category());
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    // Someone set the failing key to 90 days after the check ran.
    let e = "us-east-1";
    let client = snapshot.client(e).unwrap();
    client.enable_key_rotation(&key_id(12), 90).await.unwrap();
    let done = remediate(&snapshot.clients(), &report, &apply()).await.unwrap();
    let action = outcome_of(&done, e, &key_id(12));
    assert_eq!(action.outcome, Outcome::AlreadyCompliant);
    assert_eq!(action.before.as_ref().unwrap().period_days, Some(90));
    assert_eq!(
        snapshot.stored_rotation(e, &key_id(12)).unwrap().period_days,
        Some(90),
        "never raised to 365"
    );
}

#[tokio::test(start_paused = true)]
async fn a_shorter_period_and_the_policy_maximum() {
    let snapshot = load(&every_category());
    let policy = Policy::default().with_max_rotation_period_days(180).unwrap();
    let report = check_account(&snapshot.clients(), &CheckOptions::default().with_policy(policy))
        .await
        .unwrap();
    // Default period follows the policy: 180, not 365.
    let plan = remediate(&snapshot.clients(), &report, &RemediateOptions::default())
        .await
        .unwrap();
    assert_eq!(plan.rotation_period_days, 180);
    // Above the policy maximum is refused before any call.
    snapshot.clear_calls();
    let too_long = RemediateOptions::default().with_rotation_period_days(365).unwrap();
    let err = remediate(&snapshot.clients(), &report, &too_long).await.unwrap_err();
    assert!(
        err.to_string().contains("rotation_period_days") && err.to_string().contains("365"),
        "{err}"
    );
    assert!(snapshot.calls().is_empty());
    // 90 days is applied as asked.
    let ninety = apply().with_rotation_period_days(90).unwrap();
    let done = remediate(&snapshot.clients(), &report, &ninety).await.unwrap();
    let action = outcome_of(&done, "us-east-1", &key_id(13));
    assert_eq!((action.outcome, action.verified), (Outcome::Changed, true));
    assert_eq!(
        snapshot.stored_rotation("us-east-1", &key_id(13)).unwrap().period_days,
        Some(90)
    );
}

#[tokio::test(start_paused = true)]
async fn failures_while_acting_are_reported_per_key() {
    let snapshot = load(&every_category());
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    // The replica's primary is unreachable: no client for a region is a configuration error, up front.
    let only_west = kms_rotation_core::Clients::new().with_client(snapshot.client("eu-west-1").unwrap());
    snapshot.clear_calls();
    let err = remediate(&only_west, &report, &apply()).await.unwrap_err();
    assert!(matches!(err, kms_rotation_core::Error::Configuration(_)), "{err}");
    assert!(err.to_string().contains("us-east-1"));
    assert!(snapshot.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn remediate_keys_checks_first_then_fixes() {
    let snapshot = load(&every_category());
    let e = "us-east-1";
    let keys = ["alias/off", "alias/p90", &arn(e, &key_id(13))];
    let dry = remediate_keys(
        &snapshot.clients(),
        e,
        &keys,
        &CheckOptions::default(),
        &RemediateOptions::default(),
    )
    .await
    .unwrap();
    let targets: Vec<&str> = dry.actions.iter().map(|a| a.target_arn.as_str()).collect();
    assert_eq!(
        targets,
        [arn(e, &key_id(12)), arn(e, &key_id(13))],
        "the passing key is not a target"
    );
    assert!(dry.actions.iter().all(|a| a.outcome == Outcome::WouldChange));
    let err = remediate_keys(
        &snapshot.clients(),
        e,
        &["alias/"],
        &CheckOptions::default(),
        &RemediateOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("alias/"));
}

#[tokio::test(start_paused = true)]
async fn remediate_keys_refuses_a_period_above_the_policy_before_any_call() {
    let snapshot = load(&every_category());
    let policy = Policy::default().with_max_rotation_period_days(180).unwrap();
    let options = RemediateOptions::default().with_rotation_period_days(365).unwrap();
    let err = remediate_keys(
        &snapshot.clients(),
        "us-east-1",
        &["alias/off"],
        &CheckOptions::default().with_policy(policy),
        &options,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("rotation_period_days"), "{err}");
    assert!(snapshot.calls().is_empty());
}
