//! `rules::evaluate`, one test per row of the decision table in DESIGN.md.

use kms_rotation_core::rules::{KeyFacts, evaluate, needs_rotation_history, needs_rotation_status};
use kms_rotation_core::{
    KeyManager, KeyMetadata, KeyRotation, KeySpec, KeyState, MultiRegionInfo, MultiRegionRole, Origin, Policy, Reason,
    RotationHistory, RotationStatus, RotationType, Status, Tag, Timestamp,
};

const REGION: &str = "us-east-1";
const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn facts() -> KeyFacts {
    KeyFacts {
        region: REGION.into(),
        metadata: KeyMetadata::symmetric(REGION, "111122223333", ID),
        aliases: vec!["alias/app".into()],
        tags: Some(vec![Tag {
            key: "team".into(),
            value: "pay".into(),
        }]),
        rotation_history: None,
    }
}

fn changed(change: impl FnOnce(&mut KeyMetadata)) -> KeyFacts {
    let mut facts = facts();
    change(&mut facts.metadata);
    facts
}

/// Asserts a row decided without the rotation status, even if one is offered.
fn assert_early(facts: &KeyFacts, policy: &Policy, status: Status, reason: Reason) {
    assert!(
        !needs_rotation_status(facts, policy),
        "row must not need GetKeyRotationStatus"
    );
    for rotation in [
        None,
        Some(RotationStatus::default()),
        Some(RotationStatus::enabled_with_period(365)),
    ] {
        let finding = evaluate(facts, rotation.as_ref(), policy);
        assert_eq!(
            (finding.status, finding.reason),
            (status, reason),
            "{}",
            finding.message
        );
        assert!(finding.remediation.is_none());
    }
}

#[test]
fn row_1_exempt_by_key_id_arn_alias_or_tag_wins_over_everything() {
    let arn = format!("arn:aws:kms:{REGION}:111122223333:key/{ID}");
    for rule in [ID, arn.as_str(), "alias/app", "tag:team=pay"] {
        let policy = Policy::default().with_exemption(rule).unwrap();
        // Even an AWS managed key: the user's exemption is the first row.
        let facts = changed(|m| m.manager = KeyManager::Aws);
        assert_early(&facts, &policy, Status::Exempt, Reason::Exempted);
        assert!(evaluate(&facts, None, &policy).message.contains(rule));
    }
    let other = Policy::default().with_exemption("tag:team=ops").unwrap();
    assert!(needs_rotation_status(&facts(), &other));
}

#[test]
fn row_2_aws_managed_keys_are_not_applicable() {
    assert_early(
        &changed(|m| m.manager = KeyManager::Aws),
        &Policy::default(),
        Status::NotApplicable,
        Reason::AwsManaged,
    );
}

#[test]
fn row_3_pending_deletion_and_pending_replica_deletion() {
    for state in [KeyState::PendingDeletion, KeyState::PendingReplicaDeletion] {
        let facts = changed(|m| m.state = state.clone());
        assert_early(
            &facts,
            &Policy::default(),
            Status::NotApplicable,
            Reason::PendingDeletion,
        );
    }
}

#[test]
fn row_4_custom_key_stores() {
    for origin in [Origin::AwsCloudhsm, Origin::ExternalKeyStore] {
        let facts = changed(|m| m.origin = origin.clone());
        assert_early(
            &facts,
            &Policy::default(),
            Status::NotApplicable,
            Reason::CustomKeyStore,
        );
    }
}

#[test]
fn row_5_imported_key_material_including_pending_import() {
    for state in [KeyState::Enabled, KeyState::PendingImport] {
        let facts = changed(|m| {
            m.origin = Origin::External;
            m.state = state.clone();
        });
        assert_early(
            &facts,
            &Policy::default(),
            Status::NotApplicable,
            Reason::ImportedKeyMaterial,
        );
    }
}

#[test]
fn row_6_every_spec_but_symmetric_default_including_unknown_ones() {
    for spec in [
        KeySpec::Rsa4096,
        KeySpec::EccNistP384,
        KeySpec::Hmac512,
        KeySpec::MlDsa65,
        KeySpec::from("NEW_SPEC"),
    ] {
        let facts = changed(|m| m.spec = spec.clone());
        assert_early(
            &facts,
            &Policy::default(),
            Status::NotApplicable,
            Reason::UnsupportedKeySpec,
        );
    }
}

#[test]
fn row_7_disabled_keys_when_the_policy_skips_them() {
    let facts = changed(|m| m.state = KeyState::Disabled);
    let skip = Policy::default().with_evaluate_disabled_keys(false);
    assert_early(&facts, &skip, Status::NotApplicable, Reason::Disabled);
    // By default a disabled key is evaluated, and the finding says it is disabled.
    assert!(needs_rotation_status(&facts, &Policy::default()));
    let finding = evaluate(&facts, Some(&RotationStatus::default()), &Policy::default());
    assert_eq!(finding.status, Status::Fail);
    assert!(finding.message.contains("disabled"));
}

#[test]
fn row_8_rotation_disabled_fails_with_a_remediation_plan() {
    let finding = evaluate(&facts(), Some(&RotationStatus::default()), &Policy::default());
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Fail, Reason::RotationDisabled)
    );
    let plan = finding.remediation.unwrap();
    assert_eq!(plan.target_arn, finding.key_arn);
    assert_eq!(
        (plan.region.as_str(), plan.rotation_period_days, plan.blocked_by),
        (REGION, 365, None)
    );
}

#[test]
fn row_9_period_longer_than_the_policy_fails() {
    for period in [366, 730, 2560] {
        let finding = evaluate(
            &facts(),
            Some(&RotationStatus::enabled_with_period(period)),
            &Policy::default(),
        );
        assert_eq!(
            (finding.status, finding.reason),
            (Status::Fail, Reason::RotationPeriodTooLong),
            "{period}"
        );
        assert!(finding.message.contains(&period.to_string()));
    }
    let strict = Policy::default().with_max_rotation_period_days(180).unwrap();
    let finding = evaluate(&facts(), Some(&RotationStatus::enabled_with_period(181)), &strict);
    assert_eq!(finding.status, Status::Fail);
    assert_eq!(finding.remediation.unwrap().rotation_period_days, 180);
    // No period reported means KMS's legacy yearly rotation.
    let legacy = RotationStatus {
        enabled: true,
        ..RotationStatus::default()
    };
    assert_eq!(
        evaluate(&facts(), Some(&legacy), &strict).reason,
        Reason::RotationPeriodTooLong
    );
}

#[test]
fn row_10_period_within_the_policy_passes() {
    for period in [90, 364, 365] {
        let finding = evaluate(
            &facts(),
            Some(&RotationStatus::enabled_with_period(period)),
            &Policy::default(),
        );
        assert_eq!(
            (finding.status, finding.reason),
            (Status::Pass, Reason::RotationEnabled),
            "{period}"
        );
        assert!(finding.remediation.is_none());
    }
    let legacy = RotationStatus {
        enabled: true,
        ..RotationStatus::default()
    };
    assert_eq!(
        evaluate(&facts(), Some(&legacy), &Policy::default()).status,
        Status::Pass
    );
}

#[test]
fn a_needed_but_missing_rotation_status_is_an_error_never_a_guess() {
    let finding = evaluate(&facts(), None, &Policy::default());
    assert_eq!(finding.status, Status::Error);
}

#[test]
fn replicas_name_their_primary_as_the_remediation_target() {
    let primary_arn = format!("arn:aws:kms:eu-west-1:111122223333:key/{ID}");
    let facts = changed(|m| {
        m.multi_region = Some(MultiRegionInfo {
            role: MultiRegionRole::Replica,
            primary_arn: primary_arn.clone(),
            primary_region: "eu-west-1".into(),
        })
    });
    let finding = evaluate(&facts, Some(&RotationStatus::default()), &Policy::default());
    let plan = finding.remediation.unwrap();
    assert_eq!(
        (plan.target_arn.as_str(), plan.region.as_str()),
        (primary_arn.as_str(), "eu-west-1")
    );
    assert!(finding.message.contains(&primary_arn));
    let key = finding.key.unwrap();
    assert_eq!(key.primary_region.as_deref(), Some("eu-west-1"));
}

// ---------------------------------------------------------------------------
// Rotation evidence: rows 5a, 8a and 10a (the history from ListKeyRotations).

/// The run's clock in these tests: 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

fn days_ago(days: i64) -> Timestamp {
    Timestamp::from_epoch_seconds(NOW - days * DAY)
}

/// A history of rotations `(days ago, type)`, read at [`NOW`].
fn history(rotations: &[(i64, RotationType)]) -> RotationHistory {
    let rotations: Vec<KeyRotation> = rotations
        .iter()
        .map(|(days, kind)| KeyRotation {
            key_id: Some(ID.into()),
            rotation_date: days_ago(*days),
            rotation_type: kind.clone(),
        })
        .collect();
    RotationHistory::from_rotations(&rotations, Timestamp::from_epoch_seconds(NOW))
}

/// A key created `created` days ago with this history.
fn with_history(mut facts: KeyFacts, created: i64, rotations: &[(i64, RotationType)]) -> KeyFacts {
    facts.metadata.creation_date = Some(days_ago(created));
    facts.rotation_history = Some(history(rotations));
    facts
}

fn imported() -> KeyFacts {
    changed(|m| m.origin = Origin::External)
}

fn window(days: u32) -> Policy {
    Policy::default().with_max_days_since_rotation(Some(days)).unwrap()
}

use RotationType::{Automatic, OnDemand};

#[test]
fn the_history_is_read_only_when_asked_and_only_for_judged_and_imported_keys() {
    let off = Policy::default();
    let on = Policy::default().with_rotation_history(true);
    // Without the option: no ListKeyRotations, calls as before.
    for facts in [facts(), imported(), changed(|m| m.spec = KeySpec::Rsa4096)] {
        assert!(!needs_rotation_history(&facts, &off));
    }
    // With it: the keys judged on their rotation (rows 8-10), and imported material (row 5).
    assert!(needs_rotation_history(&facts(), &on));
    assert!(needs_rotation_history(&imported(), &on));
    assert!(
        !needs_rotation_status(&imported(), &on),
        "imported keys never get GetKeyRotationStatus"
    );
    for early in [
        changed(|m| m.spec = KeySpec::Rsa4096),
        changed(|m| m.manager = KeyManager::Aws),
        changed(|m| m.state = KeyState::PendingDeletion),
        changed(|m| m.origin = Origin::AwsCloudhsm),
    ] {
        assert!(!needs_rotation_history(&early, &on), "{:?}", early.metadata);
    }
    // The policy rows imply reading it.
    assert!(needs_rotation_history(&facts(), &window(365)));
    assert!(needs_rotation_history(
        &facts(),
        &Policy::default().with_accept_on_demand_rotation(true)
    ));
}

#[test]
fn the_history_shows_in_the_finding_without_changing_the_verdict() {
    let on = Policy::default().with_rotation_history(true);
    let facts = with_history(facts(), 900, &[(700, Automatic), (20, OnDemand), (335, Automatic)]);
    let finding = evaluate(&facts, Some(&RotationStatus::enabled_with_period(365)), &on);
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Pass, Reason::RotationEnabled)
    );
    let rotation = finding.rotation.unwrap();
    assert_eq!(rotation.last_rotated_at, Some(days_ago(20)));
    assert_eq!(rotation.last_rotation_type, Some(OnDemand));
    let counts = rotation.rotation_counts.unwrap();
    assert_eq!((counts.automatic, counts.on_demand), (2, 1));
    // An imported key stays NOT_APPLICABLE without the window, and shows its history.
    let key = with_history(imported(), 100, &[(10, OnDemand)]);
    let finding = evaluate(&key, None, &on);
    assert_eq!(
        (finding.status, finding.reason),
        (Status::NotApplicable, Reason::ImportedKeyMaterial)
    );
    assert_eq!(finding.rotation.unwrap().last_rotated_at, Some(days_ago(10)));
}

#[test]
fn row_10a_rotation_on_but_not_rotated_within_the_window_is_overdue() {
    // Rotation enabled recently on an old key: it never rotated since its creation 800 days ago.
    let old = with_history(facts(), 800, &[]);
    let finding = evaluate(&old, Some(&RotationStatus::enabled_with_period(365)), &window(365));
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Fail, Reason::RotationOverdue)
    );
    assert!(finding.message.contains("2023-10-24"), "{}", finding.message);
    assert!(
        finding.message.contains("800 days before 2026-01-01"),
        "{}",
        finding.message
    );
    assert!(finding.remediation.is_some());
    // Last rotated 400 days ago: overdue; 365 days ago: within (the bound counts).
    let late = with_history(facts(), 2000, &[(400, Automatic), (765, Automatic)]);
    let finding = evaluate(&late, Some(&RotationStatus::enabled_with_period(365)), &window(365));
    assert_eq!(finding.reason, Reason::RotationOverdue);
    assert!(finding.message.contains("400 days"), "{}", finding.message);
    let on_time = with_history(facts(), 2000, &[(365, Automatic)]);
    let finding = evaluate(&on_time, Some(&RotationStatus::enabled_with_period(365)), &window(365));
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Pass, Reason::RotationEnabled)
    );
    // A young key that never rotated is within the window by its creation.
    let young = with_history(facts(), 30, &[]);
    assert_eq!(
        evaluate(&young, Some(&RotationStatus::enabled_with_period(365)), &window(90)).status,
        Status::Pass
    );
    // Rows 8 and 9 still come first.
    assert_eq!(
        evaluate(&old, Some(&RotationStatus::default()), &window(365)).reason,
        Reason::RotationDisabled
    );
    assert_eq!(
        evaluate(&old, Some(&RotationStatus::enabled_with_period(730)), &window(365)).reason,
        Reason::RotationPeriodTooLong
    );
}

#[test]
fn row_8a_on_demand_rotation_within_the_window_passes_when_accepted() {
    let accept = window(180).with_accept_on_demand_rotation(true);
    let rotated = with_history(facts(), 1000, &[(30, OnDemand)]);
    let finding = evaluate(&rotated, Some(&RotationStatus::default()), &accept);
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Pass, Reason::RotatedOnDemand)
    );
    assert!(finding.message.contains("2025-12-02"), "{}", finding.message);
    assert!(finding.remediation.is_none());
    // Not accepted, or too long ago, or only automatic rotations: FAIL as row 8.
    assert_eq!(
        evaluate(&rotated, Some(&RotationStatus::default()), &window(180)).reason,
        Reason::RotationDisabled
    );
    let stale = with_history(facts(), 1000, &[(200, OnDemand), (10, Automatic)]);
    assert_eq!(
        evaluate(&stale, Some(&RotationStatus::default()), &accept).reason,
        Reason::RotationDisabled
    );
    // Without max_days_since_rotation the window is the maximum rotation period.
    let period_window = Policy::default().with_accept_on_demand_rotation(true);
    let within_year = with_history(facts(), 1000, &[(300, OnDemand)]);
    assert_eq!(
        evaluate(&within_year, Some(&RotationStatus::default()), &period_window).reason,
        Reason::RotatedOnDemand
    );
}

#[test]
fn row_5a_imported_material_is_judged_by_its_on_demand_rotations_within_the_window() {
    let policy = window(365);
    assert!(!needs_rotation_status(&imported(), &policy));
    assert!(needs_rotation_history(&imported(), &policy));
    let rotated = with_history(imported(), 900, &[(100, OnDemand)]);
    let finding = evaluate(&rotated, None, &policy);
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Pass, Reason::RotatedOnDemand)
    );
    assert_eq!(finding.rotation.as_ref().unwrap().rotation_counts.unwrap().on_demand, 1);
    let stale = with_history(imported(), 900, &[(500, OnDemand)]);
    let finding = evaluate(&stale, None, &policy);
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Fail, Reason::RotationOverdue)
    );
    assert!(
        finding.message.contains("500 days before 2026-01-01"),
        "{}",
        finding.message
    );
    assert!(finding.message.contains("import new material"), "{}", finding.message);
    let plan = finding.remediation.unwrap();
    assert!(plan.blocked_by.unwrap().contains("rotate-key-on-demand"));
    // Never rotated: its material is as old as the key.
    let never_old = with_history(imported(), 400, &[]);
    assert_eq!(evaluate(&never_old, None, &policy).reason, Reason::RotationOverdue);
    let never_young = with_history(imported(), 10, &[]);
    let finding = evaluate(&never_young, None, &policy);
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Pass, Reason::CreatedWithinWindow)
    );
}

#[test]
fn a_needed_history_that_was_not_read_is_an_error_never_a_verdict() {
    for (facts, policy, rotation) in [
        (imported(), window(365), None),
        (facts(), window(365), Some(RotationStatus::enabled_with_period(365))),
        (
            facts(),
            Policy::default().with_accept_on_demand_rotation(true),
            Some(RotationStatus::default()),
        ),
    ] {
        let finding = evaluate(&facts, rotation.as_ref(), &policy);
        assert_eq!(
            (finding.status, finding.reason),
            (Status::Error, Reason::MissingEvidence)
        );
        assert_eq!(finding.error.unwrap().operation.as_deref(), Some("ListKeyRotations"));
    }
    // A key that never rotated and has no creation date cannot be dated: ERROR, not PASS.
    let mut undated = with_history(facts(), 10, &[]);
    undated.metadata.creation_date = None;
    let finding = evaluate(&undated, Some(&RotationStatus::enabled_with_period(365)), &window(365));
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Error, Reason::IncompleteMetadata)
    );
}

#[test]
fn max_days_since_rotation_is_validated_and_named() {
    for bad in [0, 2561] {
        let error = Policy::default().with_max_days_since_rotation(Some(bad)).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("max_days_since_rotation") && text.contains(&bad.to_string()),
            "{text}"
        );
    }
    for good in [1, 365, 2560] {
        assert_eq!(window(good).max_days_since_rotation(), Some(good));
    }
}

#[test]
fn a_key_manager_or_origin_this_version_does_not_know_is_error_never_a_guess() {
    let policy = Policy::default();
    for facts in [
        changed(|m| m.manager = KeyManager::Other("AWS_OWNED".into())),
        changed(|m| m.origin = Origin::Other("SOME_NEW_STORE".into())),
    ] {
        assert_early(&facts, &policy, Status::Error, Reason::IncompleteMetadata);
        let finding = evaluate(&facts, Some(&RotationStatus::default()), &policy);
        assert!(finding.message.contains("AWS_OWNED") || finding.message.contains("SOME_NEW_STORE"));
    }
    // The rows before still decide: an exemption, and a key about to be deleted.
    let exempt = Policy::default().with_exemption(ID).unwrap();
    let unknown_manager = changed(|m| m.manager = KeyManager::Other("AWS_OWNED".into()));
    assert_early(&unknown_manager, &exempt, Status::Exempt, Reason::Exempted);
    let deleted = changed(|m| {
        m.origin = Origin::Other("SOME_NEW_STORE".into());
        m.state = KeyState::PendingDeletion;
    });
    assert_early(&deleted, &policy, Status::NotApplicable, Reason::PendingDeletion);
}
