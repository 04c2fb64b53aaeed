//! The EventBridge handler's events: the CloudTrail records of the KMS calls
//! that can change a key's rotation verdict, and KMS's own `KMS CMK
//! Rotation` and `KMS Imported Key Material Expiration` events, each placed
//! where AWS puts the key (request parameters, response elements, the
//! event's resources, or `detail.key-id`), in the account and Region the
//! event names. An event that cannot be placed is an error naming it, never
//! ignored.

use serde_json::Value;

use super::KeyTarget;
use crate::arn::{Arn, check_region_shape};
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::organization::check_account_id;

/// The KMS calls whose CloudTrail records the handler checks a key on.
pub const CLOUDTRAIL_EVENTS: [&str; 14] = [
    "CreateKey",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
    "ReplicateKey",
    "UpdatePrimaryRegion",
    "RotateKeyOnDemand",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "TagResource",
    "UntagResource",
];

/// KMS's own events (source `aws.kms`) the handler checks a key on.
pub const KMS_EVENTS: [&str; 2] = ["KMS CMK Rotation", "KMS Imported Key Material Expiration"];

/// The EventBridge event pattern that delivers exactly these events.
pub fn event_pattern() -> Value {
    serde_json::json!({
        "source": ["aws.kms"],
        "$or": [
            {"detail-type": KMS_EVENTS},
            {
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventSource": ["kms.amazonaws.com"], "eventName": CLOUDTRAIL_EVENTS},
            },
        ],
    })
}

/// The keys an event names, and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyEvent {
    /// `EnableKeyRotation`, `KMS CMK Rotation`, …
    pub name: String,
    /// When it happened.
    pub time: Timestamp,
    /// The keys to check (a replication or a primary Region change names two).
    pub targets: Vec<KeyTarget>,
    /// Whether it changed tags only (worth a check only when a tag exemption is configured).
    pub tags_only: bool,
    /// The call failed (`errorCode`): nothing changed, nothing to check.
    pub failed_call: Option<String>,
}

fn unplaced(name: &str, why: impl Into<String>) -> Error {
    Error::invalid("event", name.to_owned(), why)
}

fn field<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut at = value;
    for step in path {
        at = at.get(step)?;
    }
    at.as_str().filter(|s| !s.is_empty())
}

/// The key `key` (an id, alias or ARN) in `account` and `region`; an ARN says
/// its own account and Region.
fn target(name: &str, account: &str, region: &str, key: &str) -> Result<KeyTarget> {
    if key.starts_with("arn:") {
        let arn = Arn::parse(key).map_err(|e| unplaced(name, format!("its key {key:?} is not a KMS ARN: {e}")))?;
        return Ok(KeyTarget::new(arn.account_id, arn.region, key));
    }
    check_region_shape(region).map_err(|_| unplaced(name, format!("its Region {region:?} is not a region name")))?;
    Ok(KeyTarget::new(account, region, key))
}

/// Reads an EventBridge event.
///
/// # Errors
/// [`Error::InvalidInput`] naming the event: one of another source or type,
/// a KMS call this handler does not follow, or one whose key, account or
/// Region cannot be found where AWS puts them.
pub fn key_event(event: &Value) -> Result<KeyEvent> {
    let detail_type = field(event, &["detail-type"]).unwrap_or("(no detail-type)");
    let source = field(event, &["source"]).unwrap_or("(no source)");
    if source != "aws.kms" {
        return Err(unplaced(detail_type, format!("its source is {source:?}, not aws.kms")));
    }
    let time = field(event, &["time"])
        .ok_or_else(|| unplaced(detail_type, "it has no time"))
        .and_then(|t| Timestamp::parse_rfc3339(t).map_err(|why| unplaced(detail_type, why)))?;
    let detail = event
        .get("detail")
        .filter(|d| d.is_object())
        .ok_or_else(|| unplaced(detail_type, "it has no detail"))?;
    let account = field(detail, &["recipientAccountId"])
        .or_else(|| field(event, &["account"]))
        .ok_or_else(|| unplaced(detail_type, "it names no account"))?;
    check_account_id(account)
        .map_err(|_| unplaced(detail_type, format!("its account {account:?} is not an account id")))?;
    let region = field(detail, &["awsRegion"])
        .or_else(|| field(event, &["region"]))
        .ok_or_else(|| unplaced(detail_type, "it names no Region"))?;

    if KMS_EVENTS.contains(&detail_type) {
        let key = field(detail, &["key-id"])
            .or_else(|| event.get("resources")?.as_array()?.first()?.as_str())
            .ok_or_else(|| unplaced(detail_type, "it names no key (detail.key-id, resources)"))?;
        return Ok(KeyEvent {
            name: detail_type.to_owned(),
            time,
            targets: vec![target(detail_type, account, region, key)?],
            tags_only: false,
            failed_call: None,
        });
    }
    if detail_type != "AWS API Call via CloudTrail" {
        return Err(unplaced(detail_type, "not an event this handler follows"));
    }
    let name = field(detail, &["eventName"]).ok_or_else(|| unplaced(detail_type, "it has no eventName"))?;
    if field(detail, &["eventSource"]) != Some("kms.amazonaws.com") || !CLOUDTRAIL_EVENTS.contains(&name) {
        return Err(unplaced(name, "not a KMS call that changes a key's rotation verdict"));
    }
    if let Some(code) = field(detail, &["errorCode"]) {
        return Ok(KeyEvent {
            name: name.to_owned(),
            time,
            targets: Vec::new(),
            tags_only: false,
            failed_call: Some(code.to_owned()),
        });
    }
    // The key as the request named it, else as the record's resources list it.
    let requested = field(detail, &["requestParameters", "keyId"]).or_else(|| {
        detail
            .get("resources")?
            .as_array()?
            .iter()
            .find(|r| r.get("type").and_then(Value::as_str) == Some("AWS::KMS::Key"))?
            .get("ARN")?
            .as_str()
    });
    let mut targets = Vec::new();
    match name {
        "CreateKey" => {
            let key = field(detail, &["responseElements", "keyMetadata", "arn"])
                .or_else(|| field(detail, &["responseElements", "keyMetadata", "keyId"]))
                .ok_or_else(|| unplaced(name, "it has no responseElements.keyMetadata"))?;
            targets.push(target(name, account, region, key)?);
        }
        "ReplicateKey" => {
            let primary = requested.ok_or_else(|| unplaced(name, "it has no requestParameters.keyId"))?;
            targets.push(target(name, account, region, primary)?);
            let replica = field(detail, &["responseElements", "replicaKeyMetadata", "arn"])
                .ok_or_else(|| unplaced(name, "it has no responseElements.replicaKeyMetadata.arn"))?;
            targets.push(target(name, account, region, replica)?);
        }
        "UpdatePrimaryRegion" => {
            let key = requested.ok_or_else(|| unplaced(name, "it has no requestParameters.keyId"))?;
            let old = target(name, account, region, key)?;
            let new_region = field(detail, &["requestParameters", "primaryRegion"])
                .ok_or_else(|| unplaced(name, "it has no requestParameters.primaryRegion"))?;
            // The same key id in the new primary Region.
            let key_id = key.rsplit('/').next().unwrap_or(key);
            let new = target(name, &old.account_id, new_region, key_id)?;
            targets.extend([old, new]);
        }
        _ => {
            let key =
                requested.ok_or_else(|| unplaced(name, "it has no requestParameters.keyId and no key resource"))?;
            targets.push(target(name, account, region, key)?);
        }
    }
    Ok(KeyEvent {
        name: name.to_owned(),
        time,
        targets,
        tags_only: matches!(name, "TagResource" | "UntagResource"),
        failed_call: None,
    })
}
