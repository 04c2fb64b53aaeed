//! The decision table: pure, synchronous, no I/O.
//!
//! | # | condition | status / reason |
//! |---|---|---|
//! | 1 | exempt by policy (key id, ARN, alias, tag) | EXEMPT `exempted` |
//! | 2 | KeyManager AWS | NOT_APPLICABLE `aws_managed` |
//! | 3 | PendingDeletion / PendingReplicaDeletion | NOT_APPLICABLE `pending_deletion` |
//! | 4 | Origin AWS_CLOUDHSM / EXTERNAL_KEY_STORE | NOT_APPLICABLE `custom_key_store` |
//! | 5p | Origin EXTERNAL, `max_days_since_rotation` set, new material imported but not current (`PENDING_ROTATION`, or `PENDING_MULTI_REGION_IMPORT_AND_ROTATION`) | FAIL `rotation_pending` (with the `aws kms rotate-key-on-demand` command, or the Regions whose replicas lack the import) |
//! | 5a | Origin EXTERNAL, `max_days_since_rotation` set | judged by the age of the **current** material (its `ListKeyRotations` entry): PASS `rotated_on_demand` (made current by a rotation within the window) / PASS `created_within_window` (the first material, key created within it) / FAIL `rotation_overdue` |
//! | 5 | Origin EXTERNAL (incl. PendingImport) | NOT_APPLICABLE `imported_key_material` |
//! | 6 | KeySpec not SYMMETRIC_DEFAULT | NOT_APPLICABLE `unsupported_key_spec` |
//! | 7 | Disabled and the policy skips disabled keys | NOT_APPLICABLE `disabled` |
//! | 8a | rotation off, `accept_on_demand_rotation`, rotated on demand within the window | PASS `rotated_on_demand` |
//! | 8 | rotation off | FAIL `rotation_disabled` |
//! | 9 | period above the policy maximum | FAIL `rotation_period_too_long` |
//! | 10a | `max_days_since_rotation` set, last rotation (or creation) older than it | FAIL `rotation_overdue` |
//! | 10 | otherwise | PASS `rotation_enabled` |
//!
//! Only rows 8–10 need `GetKeyRotationStatus`; [`needs_rotation_status`] says so
//! before the call is made. Rows 5a, 8a and 10a need the rotation history
//! (`ListKeyRotations`, [`needs_rotation_history`]); a history that was needed
//! and not read is `ERROR`, never a verdict. An imported-material key's history
//! is every key material (`IncludeKeyMaterial=ALL_KEY_MATERIAL`).
//!
//! Beside the verdict, never changing it: imported material expiring within
//! the policy's `material_expiry_warning_days` is named in the finding; and what a
//! record held that the verdict does not need and could not be read (an
//! unparseable `CreationDate`, an error recorded for an operation this tool never
//! calls) is named as ignored.

use crate::api::{ApiError, ErrorKind};
use crate::arn::Arn;
use crate::model::{
    ErrorInfo, ExpirationModel, Finding, KeyManager, KeyMaterialState, KeyMaterialStatus, KeyMetadata, KeySpec,
    KeyState, KeySummary, Origin, Reason, RemediationPlan, RotationHistory, RotationStatus, Status, Tag, Timestamp,
};
use crate::policy::{Exemption, Policy};

/// Everything known about a key before its rotation status is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    /// The region the key was listed in.
    pub region: String,
    /// `DescribeKey`'s answer.
    pub metadata: KeyMetadata,
    /// Alias names pointing at the key.
    pub aliases: Vec<String>,
    /// The key's tags; `None` when not fetched (no tag exemption configured).
    pub tags: Option<Vec<Tag>>,
    /// The key's rotation history (`ListKeyRotations`); `None` when not read
    /// (the policy does not ask for it, or the table does not judge this key).
    pub rotation_history: Option<RotationHistory>,
}

/// A verdict reached without the rotation status (rows 1–7).
fn decide_early(facts: &KeyFacts, policy: &Policy) -> Option<(Status, Reason, String)> {
    let meta = &facts.metadata;
    if let Some(rule) = matching_exemption(facts, policy) {
        return Some((Status::Exempt, Reason::Exempted, exemption_message(rule)));
    }
    if let Some((reason, message)) = automatic_rotation_unsupported(meta) {
        return Some((Status::NotApplicable, reason, message));
    }
    if meta.state == KeyState::Disabled && !policy.evaluate_disabled_keys() {
        return Some((
            Status::NotApplicable,
            Reason::Disabled,
            "Key is disabled and the policy skips disabled keys.".to_owned(),
        ));
    }
    None
}

/// Why automatic rotation does not exist for this key (rows 2–6), whatever
/// the policy: AWS managed, pending deletion, custom key store, imported
/// material, or not a symmetric encryption key. `None` when KMS can rotate it.
pub fn automatic_rotation_unsupported(meta: &KeyMetadata) -> Option<(Reason, String)> {
    if meta.manager == KeyManager::Aws {
        return Some((
            Reason::AwsManaged,
            "AWS managed key: AWS rotates it every year and its rotation cannot be configured.".to_owned(),
        ));
    }
    if matches!(meta.state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) {
        return Some((
            Reason::PendingDeletion,
            format!(
                "Key is {}: it will be deleted, so rotation no longer matters.",
                meta.state
            ),
        ));
    }
    if matches!(meta.origin, Origin::AwsCloudhsm | Origin::ExternalKeyStore) {
        return Some((
            Reason::CustomKeyStore,
            format!(
                "Key material lives in a custom key store ({}): KMS cannot rotate it automatically.",
                meta.origin
            ),
        ));
    }
    if meta.origin == Origin::External {
        return Some((
            Reason::ImportedKeyMaterial,
            "Key uses imported key material: it can only be rotated on demand by importing new material.".to_owned(),
        ));
    }
    if meta.spec != KeySpec::SymmetricDefault {
        return Some((
            Reason::UnsupportedKeySpec,
            format!(
                "Key spec {} does not support automatic rotation (only SYMMETRIC_DEFAULT does).",
                meta.spec
            ),
        ));
    }
    None
}

/// Whether this customer key has imported material (row 5): it rotates only on demand.
pub fn is_imported_material(meta: &KeyMetadata) -> bool {
    matches!(
        automatic_rotation_unsupported(meta),
        Some((Reason::ImportedKeyMaterial, _))
    )
}

/// Whether KMS can rotate this key automatically (what `collect` reads the rotation status of).
pub fn can_rotate_automatically(meta: &KeyMetadata) -> bool {
    automatic_rotation_unsupported(meta).is_none()
}

/// Why remediation must leave a key alone, from a fresh `DescribeKey`: KMS
/// would refuse (`DisabledException`, `KMSInvalidStateException`,
/// `UnsupportedOperationException`), or the key is a replica whose rotation
/// only its primary can change. `None` when `EnableKeyRotation` may be called.
pub fn remediation_skip_reason(meta: &KeyMetadata) -> Option<String> {
    match meta.state {
        KeyState::Disabled => {
            return Some("The key is disabled: KMS answers DisabledException until it is re-enabled.".to_owned());
        }
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
            return Some(format!(
                "The key is {}: KMS answers KMSInvalidStateException.",
                meta.state
            ));
        }
        _ => {}
    }
    if meta.is_replica() {
        return Some("The key is a multi-Region replica: rotation can be changed only on its primary.".to_owned());
    }
    automatic_rotation_unsupported(meta)
        .map(|(_, message)| format!("KMS cannot rotate this key automatically: {message}"))
}

/// Whether an error answering `EnableKeyRotation` is KMS refusing this key
/// (its state or type), so the action is `SKIPPED` rather than `FAILED`.
pub fn is_refusal(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::InvalidState | ErrorKind::Unsupported)
}

/// Whether setting `period` would lengthen the key's current rotation period
/// (which weakens it: remediation never does).
pub fn would_lengthen(current: &RotationStatus, period: u32) -> bool {
    current.enabled && period > current.effective_period_days()
}

/// An `EXEMPT` finding's message, naming the rule.
pub(crate) fn exemption_message(rule: &Exemption) -> String {
    format!("Exempted by policy rule {rule}.")
}

/// The first exemption rule matching the key, if any.
pub(crate) fn matching_exemption<'p>(facts: &KeyFacts, policy: &'p Policy) -> Option<&'p Exemption> {
    let meta = &facts.metadata;
    policy.exemptions().iter().find(|rule| match rule {
        Exemption::KeyId(id) => *id == meta.key_id,
        Exemption::KeyArn(arn) => *arn == meta.arn,
        Exemption::Alias(name) => facts.aliases.iter().any(|a| a == name),
        Exemption::Tag { key, value } => facts
            .tags
            .iter()
            .flatten()
            .any(|tag| tag.key == *key && tag.value == *value),
    })
}

/// The ERROR for a key the table cannot place: a `KeyManager` (row 2) or, for a
/// customer key not pending deletion, an `Origin` (rows 4–5) of a value this
/// version does not know (one AWS added later). Guessing either could turn an AWS
/// managed key or a new kind of key store into a FAIL, or a failing key into a PASS.
fn undecidable(facts: &KeyFacts, policy: &Policy) -> Option<Unknown> {
    let meta = &facts.metadata;
    if matching_exemption(facts, policy).is_some() {
        return None;
    }
    let unknown = |field: &str, value: &str, what: &str| {
        Some((
            ApiError::with_kind(
                "IncompleteMetadata",
                format!("{field} {value:?} is a value this version does not know, so {what} cannot be told"),
                ErrorKind::IncompleteMetadata,
            ),
            "DescribeKey",
        ))
    };
    if let KeyManager::Other(value) = &meta.manager {
        return unknown("KeyManager", value, "whether the key is AWS managed");
    }
    let pending_deletion = matches!(meta.state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion);
    if let (Origin::Other(value), false) = (&meta.origin, pending_deletion) {
        return unknown("Origin", value, "whether KMS can rotate the key's material");
    }
    None
}

/// Whether the decision for this key needs `GetKeyRotationStatus` (rows 8–10).
pub fn needs_rotation_status(facts: &KeyFacts, policy: &Policy) -> bool {
    undecidable(facts, policy).is_none() && decide_early(facts, policy).is_none()
}

/// Whether the table reaches row 5 for this key: imported key material.
fn is_imported_row(facts: &KeyFacts, policy: &Policy) -> bool {
    matches!(decide_early(facts, policy), Some((_, Reason::ImportedKeyMaterial, _)))
}

/// Whether `ListKeyRotations` is read for this key: the policy asks for the
/// history, and the table judges the key on its rotation (rows 8–10) or it
/// has imported material (row 5).
pub fn needs_rotation_history(facts: &KeyFacts, policy: &Policy) -> bool {
    policy.reads_rotation_history() && (needs_rotation_status(facts, policy) || is_imported_row(facts, policy))
}

/// Whether a rotation status meets the policy: on, with a period at most the maximum.
/// A status without a period counts as KMS's legacy yearly rotation.
pub fn is_compliant(rotation: &RotationStatus, policy: &Policy) -> bool {
    rotation.enabled && rotation.effective_period_days() <= policy.max_rotation_period_days()
}

/// Applies the decision table to one key.
///
/// `rotation` is the `GetKeyRotationStatus` answer; pass `None` when
/// [`needs_rotation_status`] is false. If it is needed but missing, the
/// finding is `ERROR` rather than a guess.
///
/// ```
/// use kms_rotation_core::{rules, KeyMetadata, Policy, RotationStatus, Status};
/// let facts = rules::KeyFacts {
///     region: "us-east-1".into(),
///     metadata: KeyMetadata::symmetric("us-east-1", "111122223333", "1234abcd-12ab-34cd-56ef-1234567890ab"),
///     aliases: vec![],
///     tags: None,
///     rotation_history: None,
/// };
/// let finding = rules::evaluate(&facts, Some(&RotationStatus::enabled_with_period(730)), &Policy::default());
/// assert_eq!(finding.status, Status::Fail);
/// ```
pub fn evaluate(facts: &KeyFacts, rotation: Option<&RotationStatus>, policy: &Policy) -> Finding {
    let now = facts
        .rotation_history
        .as_ref()
        .map_or_else(Timestamp::now, |history| history.observed_at);
    evaluate_at(facts, rotation, policy, now)
}

/// [`evaluate`] at the run's clock `now` (what material expiry is measured against).
pub fn evaluate_at(facts: &KeyFacts, rotation: Option<&RotationStatus>, policy: &Policy, now: Timestamp) -> Finding {
    let meta = &facts.metadata;
    let history = facts.rotation_history.as_ref();
    if let Some((error, operation)) = undecidable(facts, policy) {
        return error_finding(facts, error, operation);
    }
    let verdict = match (decide_early(facts, policy), rotation) {
        (Some((_, Reason::ImportedKeyMaterial, _)), _) if policy.max_days_since_rotation().is_some() => {
            judge_imported(facts, policy)
        }
        (Some((status, Reason::ImportedKeyMaterial, message)), _) => {
            // Not judged, but a pending rotation is worth saying.
            let pending = history.and_then(|h| pending_sentence(meta, h));
            Ok((status, Reason::ImportedKeyMaterial, join(message, pending)))
        }
        (Some(early), _) => Ok(early),
        (None, None) => Err(missing(
            "the rotation status was needed but not read",
            "GetKeyRotationStatus",
        )),
        (None, Some(r)) => judge_rotation(facts, r, policy),
    };
    let (status, reason, message) = match verdict {
        Ok(verdict) => verdict,
        Err((error, operation)) => return error_finding(facts, error, operation),
    };
    let key_material = material_status(meta, history, policy, now);
    let mut message = with_context(message, meta, status);
    if let Some(warning) = key_material.as_ref().and_then(|m| expiry_sentence(m, now)) {
        message = join(message, Some(warning));
    }
    if !meta.ignored.is_empty() {
        message = join(message, Some(ignored_sentence(&meta.ignored)));
    }
    let mut remediation = (status == Status::Fail).then(|| remediation_plan(meta, policy));
    if let Some(plan) = remediation.as_mut().filter(|_| reason == Reason::RotationPending) {
        plan.blocked_by = Some(match history.and_then(RotationHistory::pending_material) {
            Some(m) if m.state == Some(KeyMaterialState::PendingMultiRegionImportAndRotation) => {
                "the new key material must be imported into every replica first (aws kms import-key-material                  --import-type EXISTING_KEY_MATERIAL in each replica's Region), then rotated on the primary"
                    .to_owned()
            }
            _ => format!(
                "the imported key material is made current by an on-demand rotation (remediate with                  rotate_on_demand), or: {}",
                rotate_command(meta)
            ),
        });
    }
    if let Some(plan) = remediation
        .as_mut()
        .filter(|p| reason == Reason::RotationOverdue && p.blocked_by.is_none())
    {
        plan.blocked_by = Some(
            "rotation is already on: EnableKeyRotation cannot renew the material; the key needs an on-demand \
             rotation (remediate with rotate_on_demand, or aws kms rotate-key-on-demand)"
                .to_owned(),
        );
    }
    // The history's evidence rides on the rotation status; an imported-material
    // key has none to read: automatic rotation does not exist for it.
    let rotation = match (rotation, history) {
        (Some(r), Some(h)) => Some(h.annotate(r.clone())),
        (None, Some(h)) => Some(h.annotate(RotationStatus::default())),
        (r, None) => r.cloned(),
    };
    Finding {
        account_id: None,
        region: facts.region.clone(),
        key_id: meta.key_id.clone(),
        key_arn: meta.arn.clone(),
        aliases: sorted(facts.aliases.as_slice()),
        status,
        reason,
        message,
        key: Some(KeySummary::from(meta)),
        rotation,
        remediation: remediation.map(Box::new),
        error: None,
        key_material: key_material.map(Box::new),
        last_usage: None,
        ignored: meta.ignored.clone(),
        baseline_state: None,
        code: None,
        live: None,
    }
}

/// `first` and `then` as one text, a space between.
fn join(first: String, then: Option<String>) -> String {
    match then {
        Some(then) if first.is_empty() => then,
        Some(then) => format!("{first} {then}"),
        None => first,
    }
}

/// "Ignored: …." naming what a record held that the verdict did not need.
fn ignored_sentence(ignored: &[String]) -> String {
    format!("Ignored (not needed for this verdict): {}.", ignored.join("; "))
}

/// The exact command that makes pending imported material current: on the
/// key, or on the primary of a multi-Region replica.
pub fn rotate_command(meta: &KeyMetadata) -> String {
    let (arn, region) = match meta.multi_region.as_ref().filter(|_| meta.is_replica()) {
        Some(info) => (info.primary_arn.clone(), info.primary_region.clone()),
        None => (
            meta.arn.clone(),
            Arn::parse(&meta.arn).map(|arn| arn.region).unwrap_or_default(),
        ),
    };
    format!("aws kms rotate-key-on-demand --key-id {arn} --region {region}")
}

/// What a key's pending material waits for, as one sentence; `None` when nothing is pending.
fn pending_sentence(meta: &KeyMetadata, history: &RotationHistory) -> Option<String> {
    let pending = history.pending_material()?;
    let id = pending.key_material_id.as_deref().unwrap_or("(no id)");
    Some(match pending.state {
        Some(KeyMaterialState::PendingMultiRegionImportAndRotation) if meta.is_replica() => format!(
            "New key material {id} of this multi-Region key waits for every replica's import \
             (PENDING_MULTI_REGION_IMPORT_AND_ROTATION){}: then run {} on the primary.",
            match pending.import_state {
                Some(crate::model::ImportState::PendingImport) => {
                    " and is not yet imported into this replica (aws kms import-key-material --import-type \
                     EXISTING_KEY_MATERIAL here)"
                }
                _ => "",
            },
            rotate_command(meta)
        ),
        Some(KeyMaterialState::PendingMultiRegionImportAndRotation) => {
            let regions = match meta.replica_regions.as_slice() {
                [] => "its replica Regions".to_owned(),
                regions => regions.join(", "),
            };
            format!(
                "New key material {id} is imported into this multi-Region key but not yet into its replicas \
                 (PENDING_MULTI_REGION_IMPORT_AND_ROTATION): import the same material into the replicas in {regions} \
                 (aws kms import-key-material --import-type EXISTING_KEY_MATERIAL), then run {}.",
                rotate_command(meta)
            )
        }
        _ => format!(
            "New key material {id} is imported but not yet current (PENDING_ROTATION): make it current with {}.",
            rotate_command(meta)
        ),
    })
}

/// The finding's account of the key's material: for imported-material keys,
/// and any key whose material expires. `None` for the rest.
fn material_status(
    meta: &KeyMetadata,
    history: Option<&RotationHistory>,
    policy: &Policy,
    now: Timestamp,
) -> Option<KeyMaterialStatus> {
    let materials = history.filter(|h| h.materials.is_some());
    if meta.origin != Origin::External && meta.valid_to.is_none() && materials.is_none() {
        return None;
    }
    let current = materials.and_then(|h| h.current_material(meta.current_key_material_id.as_deref()));
    let pending = materials.and_then(RotationHistory::pending_material);
    let valid_to = meta.valid_to.or_else(|| current.and_then(|m| m.valid_to));
    let expires = meta
        .expiration_model
        .clone()
        .or_else(|| current.and_then(|m| m.expiration_model.clone()));
    let expiring = match (&expires, valid_to) {
        (Some(ExpirationModel::KeyMaterialDoesNotExpire), _) | (_, None) => None,
        (_, Some(at)) => {
            let left = (at.epoch_seconds() - now.epoch_seconds()).max(0) / 86_400;
            let left = u32::try_from(left).unwrap_or(u32::MAX);
            (left <= policy.material_expiry_warning_days()).then_some(left)
        }
    };
    let current_since = current.and_then(|m| match m.rotation_date {
        Some(at) => Some(at),
        None => meta.creation_date,
    });
    let pending_in = |state: &KeyMaterialState| *state == KeyMaterialState::PendingMultiRegionImportAndRotation;
    let status = KeyMaterialStatus {
        current_key_material_id: meta
            .current_key_material_id
            .clone()
            .or_else(|| current.and_then(|m| m.key_material_id.clone())),
        current_since,
        expiration_model: expires,
        valid_to,
        expires_in_days: expiring,
        pending_key_material_id: pending.and_then(|m| m.key_material_id.clone()),
        pending_state: pending.and_then(|m| m.state.clone()),
        regions_missing_import: match pending.and_then(|m| m.state.as_ref()) {
            Some(state) if pending_in(state) && !meta.is_replica() => meta.replica_regions.clone(),
            _ => Vec::new(),
        },
        pending_import_state: pending.and_then(|m| m.import_state.clone()),
    };
    // Nothing known about the material: no member at all rather than an empty one.
    (status != KeyMaterialStatus::default()).then_some(status)
}

/// Narrows each multi-Region primary's `regions_missing_import` (its replica
/// Regions, from `DescribeKey`) to the Regions whose replica, judged in the same
/// run, does not show the pending material imported; its message names them.
/// A replica not in the run stays named: nothing says it has the import.
pub fn narrow_missing_imports(findings: &mut [Finding]) {
    let imported: Vec<(String, String, String)> = findings
        .iter()
        .filter_map(|f| {
            let material = f.key_material.as_deref()?;
            let id = material
                .pending_key_material_id
                .clone()
                .filter(|_| material.pending_import_state == Some(crate::model::ImportState::Imported));
            let id = id.or_else(|| material.current_key_material_id.clone())?;
            Some((f.key_id.clone(), f.region.clone(), id))
        })
        .collect();
    for finding in findings.iter_mut() {
        let Some(material) = finding.key_material.as_deref_mut() else {
            continue;
        };
        let (Some(pending), false) = (
            material.pending_key_material_id.clone(),
            material.regions_missing_import.is_empty(),
        ) else {
            continue;
        };
        let before = material.regions_missing_import.join(", ");
        material.regions_missing_import.retain(|region| {
            !imported
                .iter()
                .any(|(key, at, id)| *key == finding.key_id && at == region && *id == pending)
        });
        let after = material.regions_missing_import.join(", ");
        if after != before {
            let now = match after.is_empty() {
                true => {
                    "(every replica in this run shows it imported; the rest of the account was not checked)".to_owned()
                }
                false => after,
            };
            finding.message = finding.message.replacen(&before, &now, 1);
        }
    }
}

/// "Its key material expires on …" when it does within the warning window.
fn expiry_sentence(material: &KeyMaterialStatus, now: Timestamp) -> Option<String> {
    let days = material.expires_in_days?;
    let at = material.valid_to?;
    Some(if at <= now {
        format!(
            "Its imported key material expired on {}: the key is unusable until the material is imported again.",
            date(at)
        )
    } else {
        format!(
            "Its imported key material expires on {} (in {days} days): the key stops working then unless the \
             material is imported again (without an expiry, or with a later ValidTo).",
            date(at)
        )
    })
}

type Verdict = (Status, Reason, String);
type Unknown = (ApiError, &'static str);

fn missing(message: &str, operation: &'static str) -> Unknown {
    (
        ApiError::with_kind("MissingEvidence", message, ErrorKind::MissingEvidence),
        operation,
    )
}

/// The rotation history a row needs, or the ERROR that it was not read.
fn needed_history(facts: &KeyFacts) -> Result<&RotationHistory, Unknown> {
    facts
        .rotation_history
        .as_ref()
        .ok_or_else(|| missing("the rotation history was needed but not read", "ListKeyRotations"))
}

/// The key's creation date, when a row needs it (a key that never rotated).
fn creation_date(meta: &KeyMetadata) -> Result<Timestamp, Unknown> {
    meta.creation_date.ok_or_else(|| {
        let why = match meta.ignored.iter().find(|note| note.starts_with("CreationDate")) {
            Some(note) => format!("the key's material is dated by its creation, but the record's {note}"),
            None => "the key never rotated and the record has no CreationDate to date its material by".to_owned(),
        };
        (
            ApiError::with_kind("IncompleteMetadata", why, ErrorKind::IncompleteMetadata),
            "DescribeKey",
        )
    })
}

fn date(at: Timestamp) -> String {
    at.to_rfc3339().chars().take(10).collect()
}

/// Rows 8–10, with 8a and 10a when the policy judges the history.
fn judge_rotation(facts: &KeyFacts, r: &RotationStatus, policy: &Policy) -> Result<Verdict, Unknown> {
    let max = policy.max_rotation_period_days();
    if !r.enabled {
        if policy.accept_on_demand_rotation() && facts.metadata.origin == Origin::AwsKms {
            let history = needed_history(facts)?;
            let window = policy.on_demand_window_days();
            if let Some(at) = history.last_on_demand.filter(|at| history.days_since(*at) <= window) {
                return Ok((
                    Status::Pass,
                    Reason::RotatedOnDemand,
                    format!(
                        "Automatic rotation is off, but the key was rotated on demand on {} ({} days before {}), \
                         within the policy's {window} days.",
                        date(at),
                        history.days_since(at),
                        date(history.observed_at)
                    ),
                ));
            }
        }
        return Ok((
            Status::Fail,
            Reason::RotationDisabled,
            "Automatic key rotation is disabled.".to_owned(),
        ));
    }
    if r.effective_period_days() > max {
        return Ok((
            Status::Fail,
            Reason::RotationPeriodTooLong,
            format!(
                "Rotation is enabled every {} days, longer than the policy's {max}.",
                r.effective_period_days()
            ),
        ));
    }
    let period = match r.period_days {
        Some(days) => format!("every {days} days"),
        None => "yearly (no period reported; KMS's legacy default)".to_owned(),
    };
    if let Some(window) = policy.max_days_since_rotation() {
        let history = needed_history(facts)?;
        let (at, what) = match &history.last {
            Some((at, kind)) => (*at, format!("last rotated ({kind}) on")),
            None => (
                creation_date(&facts.metadata)?,
                "never rotated since its creation on".to_owned(),
            ),
        };
        let days = history.days_since(at);
        if days > window {
            return Ok((
                Status::Fail,
                Reason::RotationOverdue,
                format!(
                    "Rotation is enabled {period}, but the key {what} {} ({days} days before {}), \
                     longer ago than the policy's {window} days.",
                    date(at),
                    date(history.observed_at)
                ),
            ));
        }
    }
    Ok((
        Status::Pass,
        Reason::RotationEnabled,
        format!("Rotation is enabled {period}."),
    ))
}

/// Row 5a: an imported-material key under `max_days_since_rotation`, judged by
/// its on-demand rotations (or its creation, if it never rotated).
fn judge_imported(facts: &KeyFacts, policy: &Policy) -> Result<Verdict, Unknown> {
    let window = policy.max_days_since_rotation().unwrap_or_default();
    let history = needed_history(facts)?;
    let observed = date(history.observed_at);
    // Row 5p: new material imported but not yet current.
    if let Some(sentence) = pending_sentence(&facts.metadata, history) {
        return Ok((Status::Fail, Reason::RotationPending, sentence));
    }
    // The age of the current material, when the listing names it.
    if let Some(current) = history.current_material(facts.metadata.current_key_material_id.as_deref()) {
        let id = current.key_material_id.as_deref().unwrap_or("(no id)");
        let (since, reason, how) = match current.rotation_date {
            Some(at) => (at, Reason::RotatedOnDemand, "made current by a rotation on"),
            None => (
                creation_date(&facts.metadata)?,
                Reason::CreatedWithinWindow,
                "the key's first material, imported at its creation on",
            ),
        };
        let days = history.days_since(since);
        return Ok(if days <= window {
            (
                Status::Pass,
                reason,
                format!(
                    "Imported key material: the current material {id} was {how} {} ({days} days before \
                     {observed}), within the policy's {window} days.",
                    date(since)
                ),
            )
        } else {
            (
                Status::Fail,
                Reason::RotationOverdue,
                format!(
                    "Imported key material: the current material {id} was {how} {} ({days} days before \
                     {observed}), longer ago than the policy's {window} days: import new material, then rotate \
                     on demand.",
                    date(since)
                ),
            )
        });
    }
    if let Some(at) = history.last_on_demand {
        let days = history.days_since(at);
        return Ok(if days <= window {
            (
                Status::Pass,
                Reason::RotatedOnDemand,
                format!(
                    "Imported key material, rotated on demand on {} ({days} days before {observed}), \
                     within the policy's {window} days.",
                    date(at)
                ),
            )
        } else {
            (
                Status::Fail,
                Reason::RotationOverdue,
                format!(
                    "Imported key material, last rotated on demand on {} ({days} days before {observed}), \
                     longer ago than the policy's {window} days: import new material, then rotate on demand.",
                    date(at)
                ),
            )
        });
    }
    let created = creation_date(&facts.metadata)?;
    let days = history.days_since(created);
    Ok(if days <= window {
        (
            Status::Pass,
            Reason::CreatedWithinWindow,
            format!(
                "Imported key material, never rotated; the key was created on {} ({days} days before {observed}), \
                 within the policy's {window} days.",
                date(created)
            ),
        )
    } else {
        (
            Status::Fail,
            Reason::RotationOverdue,
            format!(
                "Imported key material, never rotated since its creation on {} ({days} days before {observed}), \
                 longer than the policy's {window} days: import new material, then rotate on demand.",
                date(created)
            ),
        )
    })
}

/// Adds what a reader must know about a disabled key or a replica.
fn with_context(mut message: String, meta: &KeyMetadata, status: Status) -> String {
    let evaluated = matches!(status, Status::Pass | Status::Fail);
    if meta.spec_inferred {
        message.push_str(
            " The key spec was inferred as SYMMETRIC_DEFAULT: the record has neither KeySpec nor \
             CustomerMasterKeySpec, as records made before asymmetric keys existed (2019).",
        );
    }
    if evaluated && meta.state == KeyState::Disabled {
        message.push_str(" The key is disabled: KMS does not rotate it until it is re-enabled.");
    }
    if let Some(info) = meta.multi_region.as_ref().filter(|_| evaluated && meta.is_replica()) {
        message.push_str(&format!(
            " This is a multi-Region replica: its rotation follows the primary {} in {}.",
            info.primary_arn, info.primary_region
        ));
    }
    message
}

/// What rotating imported key material takes: only its owner can do it.
pub const IMPORTED_MATERIAL_STEPS: &str = "imported key material cannot be rotated by KMS alone: import new key \
     material (aws kms get-parameters-for-import, then aws kms import-key-material), then rotate to it with \
     aws kms rotate-key-on-demand";

fn remediation_plan(meta: &KeyMetadata, policy: &Policy) -> RemediationPlan {
    let (target_arn, region) = match meta.multi_region.as_ref().filter(|_| meta.is_replica()) {
        Some(info) => (info.primary_arn.clone(), info.primary_region.clone()),
        None => (
            meta.arn.clone(),
            Arn::parse(&meta.arn).map(|arn| arn.region).unwrap_or_default(),
        ),
    };
    let blocked_by = if meta.origin == Origin::External {
        Some(IMPORTED_MATERIAL_STEPS.to_owned())
    } else {
        (meta.state == KeyState::Disabled && !meta.is_replica())
            .then(|| "the key is disabled; KMS answers DisabledException until it is re-enabled".to_owned())
    };
    RemediationPlan {
        target_arn,
        region,
        rotation_period_days: policy.default_remediation_period_days(),
        blocked_by,
    }
}

/// Alias names as a finding lists them: sorted, each once.
pub(crate) fn sorted(aliases: impl Into<Vec<String>>) -> Vec<String> {
    let mut aliases = aliases.into();
    aliases.sort();
    aliases.dedup();
    aliases
}

/// An `ERROR` finding for a key whose facts could not all be read.
pub fn error_finding(facts: &KeyFacts, error: ApiError, operation: &str) -> Finding {
    let meta = &facts.metadata;
    let mut finding = describe_error_finding(&facts.region, &meta.key_id, &meta.arn, &facts.aliases, error);
    finding.key = Some(KeySummary::from(meta));
    set_failed_operation(&mut finding, operation);
    finding.ignored = meta.ignored.clone();
    finding
}

/// An `ERROR` finding for a listed key whose `DescribeKey` failed (so no key facts).
pub fn describe_error_finding(
    region: &str,
    key_id: &str,
    key_arn: &str,
    aliases: &[String],
    error: ApiError,
) -> Finding {
    let reason = match error.kind {
        ErrorKind::InvalidResponse => Reason::InvalidResponse,
        ErrorKind::IncompleteMetadata => Reason::IncompleteMetadata,
        ErrorKind::MissingEvidence => Reason::MissingEvidence,
        ErrorKind::Unresolved => Reason::Unresolved,
        _ => Reason::ApiError,
    };
    let mut finding = Finding {
        account_id: None,
        region: region.to_owned(),
        key_id: key_id.to_owned(),
        key_arn: key_arn.to_owned(),
        aliases: sorted(aliases),
        status: Status::Error,
        reason,
        message: String::new(),
        key: None,
        rotation: None,
        remediation: None,
        error: Some(Box::new(ErrorInfo {
            code: error.code,
            message: error.message,
            operation: None,
        })),
        key_material: None,
        last_usage: None,
        ignored: Vec::new(),
        baseline_state: None,
        code: None,
        live: None,
    };
    set_failed_operation(&mut finding, "DescribeKey");
    finding
}

/// The `ERROR unresolved` finding of a declared key (Terraform, CloudFormation)
/// whose fact the table needs is not known before apply: `expression` names
/// what is unknown (`enable_key_rotation = var.rotate`), `why` says why it
/// cannot be decided. Never a guess: the verdict is left to the deployed key.
pub fn unresolved_finding(facts: &KeyFacts, expression: &str, why: &str) -> Finding {
    let meta = &facts.metadata;
    let error = ApiError::with_kind("Unresolved", format!("{expression}: {why}"), ErrorKind::Unresolved);
    let mut finding = describe_error_finding(&facts.region, &meta.key_id, &meta.arn, &facts.aliases, error);
    finding.key = Some(KeySummary::from(meta));
    finding.message = format!("Could not tell before apply: {expression}: {why}.");
    if let Some(error) = finding.error.as_mut() {
        error.operation = None;
    }
    finding
}

/// Names the failed operation in an `ERROR` finding's error and message.
fn set_failed_operation(finding: &mut Finding, operation: &str) {
    if let Some(error) = finding.error.as_mut() {
        error.operation = Some(operation.to_owned());
        finding.message = format!(
            "Could not tell: {operation} failed with {}: {}",
            error.code, error.message
        );
    }
}

/// What a reason means, for the formats that explain their rules (SARIF's
/// `rules`, one per reason): the verdict it goes with, a title, what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReasonHelp {
    /// The verdict the reason is given with.
    pub status: Status,
    /// A short title, e.g. `Automatic rotation is off`.
    pub title: &'static str,
    /// What it means and what to do about it, in a few sentences.
    pub help: &'static str,
    /// Where to read more.
    pub help_uri: &'static str,
}

/// AWS's page on rotating KMS keys: which keys rotate, periods, on-demand rotation.
const ROTATION_DOCS: &str = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html";
/// This tool's decision table.
const TABLE_DOCS: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#what-it-checks");
/// This tool's guarantees about what it could not tell.
const GUARANTEES_DOCS: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#guarantees");

/// The help for one reason (one row of the decision table). Every reason has
/// one: a reason added to [`Reason`] (and [`Reason::ALL`]) gets its entry here.
pub fn reason_help(reason: Reason) -> ReasonHelp {
    let (status, title, help, help_uri) = match reason {
        Reason::Exempted => (
            Status::Exempt,
            "Exempted by the policy",
            "The policy exempts this key (by key id, key ARN, alias or tag); it is not judged. \
             Review exemptions regularly: an exemption that matches no key is named by the table.",
            TABLE_DOCS,
        ),
        Reason::AwsManaged => (
            Status::NotApplicable,
            "AWS managed key",
            "AWS rotates AWS managed keys every year; their rotation cannot be configured. Nothing to do.",
            ROTATION_DOCS,
        ),
        Reason::PendingDeletion => (
            Status::NotApplicable,
            "Key pending deletion",
            "The key is scheduled for deletion, so its rotation no longer matters. Cancel the deletion \
             first if the key is still needed, then enable rotation.",
            ROTATION_DOCS,
        ),
        Reason::CustomKeyStore => (
            Status::NotApplicable,
            "Key in a custom key store",
            "Key material in a CloudHSM or external key store cannot be rotated automatically by KMS; \
             rotate it manually by creating a new key and moving the alias.",
            ROTATION_DOCS,
        ),
        Reason::ImportedKeyMaterial => (
            Status::NotApplicable,
            "Imported key material",
            "Keys with imported material rotate only on demand, by importing new material and calling \
             rotate-key-on-demand; --max-days-since-rotation judges how recently they rotated.",
            ROTATION_DOCS,
        ),
        Reason::UnsupportedKeySpec => (
            Status::NotApplicable,
            "Key spec without automatic rotation",
            "Only symmetric encryption keys (SYMMETRIC_DEFAULT) rotate automatically; asymmetric, HMAC \
             and other keys cannot. Nothing to do.",
            ROTATION_DOCS,
        ),
        Reason::Disabled => (
            Status::NotApplicable,
            "Disabled key, skipped by the policy",
            "The key is disabled and the policy skips disabled keys. A disabled key can be re-enabled \
             at any time: check it too unless it is on its way out.",
            TABLE_DOCS,
        ),
        Reason::RotationDisabled => (
            Status::Fail,
            "Automatic rotation is off",
            "The key can rotate automatically but does not. Enable it with a period within the policy: \
             aws kms enable-key-rotation --key-id KEY --rotation-period-in-days 365 (for a multi-Region \
             replica, on its primary), or kms-rotation remediate.",
            ROTATION_DOCS,
        ),
        Reason::RotationPeriodTooLong => (
            Status::Fail,
            "Rotation period longer than the policy allows",
            "Automatic rotation is on, but less often than the policy's maximum period. Shorten it: \
             aws kms enable-key-rotation --key-id KEY --rotation-period-in-days DAYS, or kms-rotation remediate.",
            ROTATION_DOCS,
        ),
        Reason::RotationEnabled => (
            Status::Pass,
            "Automatic rotation on, within the policy",
            "The key rotates automatically at least as often as the policy requires.",
            ROTATION_DOCS,
        ),
        Reason::RotationOverdue => (
            Status::Fail,
            "Last rotation older than the policy allows",
            "The key's material is older than max_days_since_rotation: its last rotation (or its \
             creation) is too long ago. Rotate it on demand (aws kms rotate-key-on-demand; imported \
             material: import new material first).",
            ROTATION_DOCS,
        ),
        Reason::RotatedOnDemand => (
            Status::Pass,
            "Rotated on demand within the window",
            "The key was rotated on demand recently enough for the policy.",
            ROTATION_DOCS,
        ),
        Reason::CreatedWithinWindow => (
            Status::Pass,
            "Created within the window",
            "The imported-material key never rotated but was created recently enough for the policy.",
            ROTATION_DOCS,
        ),
        Reason::RotationPending => (
            Status::Fail,
            "Imported key material waiting to become current",
            "New key material was imported but is not the key's current material yet: complete the \
             rotation with aws kms rotate-key-on-demand (the finding gives the command), or, for a \
             multi-Region key, import the material into the replicas the finding names first.",
            ROTATION_DOCS,
        ),
        Reason::Unresolved => (
            Status::Error,
            "Could not tell before apply: a value is not known",
            "A declared key (Terraform plan or state, CloudFormation template) has a fact the table \
             needs that is not known before apply (an unknown attribute, a parameter without a value, \
             a condition that cannot be decided, an import, a primary not in the input); the finding \
             names the expression. Give the value (--parameter NAME=VALUE), or check the live key \
             after apply.",
            TABLE_DOCS,
        ),
        Reason::Drift => (
            Status::Fail,
            "The live key differs from its declaration",
            "A key declared in code (Terraform state or plan, CloudFormation stack) was read live \
             (--compare-live) and differs from what the code declares: rotation off where the code \
             turns it on, another rotation period, disabled, pending deletion or deleted. The finding \
             gives both values and the live verdict beside the declared one. Change the live key back \
             (or apply the code again), or change the code to what is meant.",
            TABLE_DOCS,
        ),
        Reason::ApiError => (
            Status::Error,
            "Could not tell: an API call failed",
            "A call about the key failed after retries (the AWS error code says which: often \
             AccessDeniedException). Grant the read permissions (kms:DescribeKey, \
             kms:GetKeyRotationStatus) and check again; the key is not judged until then.",
            GUARANTEES_DOCS,
        ),
        Reason::InvalidResponse => (
            Status::Error,
            "Could not tell: an answer was not a valid one",
            "An answer about the key was malformed or out of range, even after retries; the key is \
             not judged. Check again, and report it if it persists.",
            GUARANTEES_DOCS,
        ),
        Reason::IncompleteMetadata => (
            Status::Error,
            "Could not tell: the record lacks a fact the table needs",
            "The key's record (a snapshot) lacks a field the decision needs; collect the account again.",
            GUARANTEES_DOCS,
        ),
        Reason::MissingEvidence => (
            Status::Error,
            "Could not tell: evidence was not recorded",
            "The key's record lacks the rotation status, history or tags the decision needs; collect \
             the account again with the options the check uses.",
            GUARANTEES_DOCS,
        ),
    };
    ReasonHelp {
        status,
        title,
        help,
        help_uri,
    }
}
