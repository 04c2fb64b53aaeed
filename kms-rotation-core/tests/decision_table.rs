//! `rules::evaluate`, one test per row of the decision table in DESIGN.md.

use kms_rotation_core::rules::{KeyFacts, evaluate, needs_rotation_status};
use kms_rotation_core::{
    KeyManager, KeyMetadata, KeySpec, KeyState, MultiRegionInfo, MultiRegionRole, Origin, Policy, Reason,
    RotationStatus, Status, Tag,
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
