//! The AWS KMS API's own JSON shapes (PascalCase), and their conversion to
//! this crate's model.
//!
//! Used by the snapshot file, and by clients that receive the API's responses
//! as JSON-like data: the Python binding (boto3 response dicts) and the Node
//! binding (AWS SDK v3 response objects). Timestamps may be RFC 3339 text or
//! epoch seconds.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{ApiError, ErrorKind, ROTATION_PERIOD_RANGE};
use crate::model::{
    Alias, ExpirationModel, ImportState, KeyLastUsage, KeyListEntry, KeyManager, KeyMaterial, KeyMaterialState,
    KeyMetadata, KeyRotation, KeySpec, KeyState, KeyUsage, KeyUsageOperation, MultiRegionInfo, MultiRegionRole, Origin,
    Page, RotationStatus, RotationType, Tag, Timestamp,
};

/// A timestamp member as a record gives it: read, or kept as it was when it
/// cannot be read (AWS's own documentation prints `2021-09-02T016:15:21-09:00`),
/// so that a date the verdict does not need never sinks the record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DateField {
    /// A timestamp in any form [`Timestamp`] reads.
    Read(Timestamp),
    /// The value as given, with why it cannot be read.
    Unreadable(Value, String),
}

impl Serialize for DateField {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DateField::Read(at) => at.serialize(serializer),
            DateField::Unreadable(value, _) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for DateField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(match Timestamp::deserialize(&value) {
            Ok(at) => DateField::Read(at),
            Err(why) => DateField::Unreadable(value, why.to_string()),
        })
    }
}

/// `DescribeKey`'s `KeyMetadata`, as far as the rules read it (other members
/// are ignored: keeping them would cost a buffered parse of every key).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyMetadataFile {
    #[serde(rename = "AWSAccountId", default, skip_serializing_if = "Option::is_none")]
    pub(crate) aws_account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) creation_date: Option<DateField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_usage: Option<KeyUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_state: Option<KeyState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_manager: Option<KeyManager>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_spec: Option<KeySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) customer_master_key_spec: Option<KeySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) custom_key_store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) multi_region: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) multi_region_configuration: Option<MultiRegionFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) current_key_material_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expiration_model: Option<ExpirationModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) valid_to: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MultiRegionFile {
    pub(crate) multi_region_key_type: MultiRegionRole,
    pub(crate) primary_key: RegionalKeyFile,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) replica_keys: Vec<RegionalKeyFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RegionalKeyFile {
    pub(crate) arn: String,
    pub(crate) region: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RotationFile {
    pub(crate) key_rotation_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rotation_period_in_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) next_rotation_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) on_demand_rotation_start_date: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagFile {
    pub(crate) tag_key: String,
    pub(crate) tag_value: String,
}

/// One entry of `ListKeyRotations`'s `Rotations`, as the API writes it: a
/// completed rotation, or (with `IncludeKeyMaterial=ALL_KEY_MATERIAL`) any key
/// material — the first one and material pending rotation have no `RotationDate`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyRotationFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_material_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_material_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) import_state: Option<ImportState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_material_state: Option<KeyMaterialState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expiration_model: Option<ExpirationModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) valid_to: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rotation_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rotation_type: Option<RotationType>,
}

impl KeyRotationFile {
    /// The rotation this entry records, when it is one (dated and typed).
    pub(crate) fn rotation(&self) -> Option<KeyRotation> {
        KeyMaterial::from(self).rotation()
    }
}

impl From<&KeyRotationFile> for KeyMaterial {
    fn from(file: &KeyRotationFile) -> Self {
        KeyMaterial {
            key_id: file.key_id.clone(),
            key_material_id: file.key_material_id.clone(),
            description: file.key_material_description.clone(),
            import_state: file.import_state.clone(),
            state: file.key_material_state.clone(),
            expiration_model: file.expiration_model.clone(),
            valid_to: file.valid_to,
            rotation_date: file.rotation_date,
            rotation_type: file.rotation_type.clone(),
        }
    }
}

impl From<&KeyMaterial> for KeyRotationFile {
    fn from(material: &KeyMaterial) -> Self {
        KeyRotationFile {
            key_id: material.key_id.clone(),
            key_material_id: material.key_material_id.clone(),
            key_material_description: material.description.clone(),
            import_state: material.import_state.clone(),
            key_material_state: material.state.clone(),
            expiration_model: material.expiration_model.clone(),
            valid_to: material.valid_to,
            rotation_date: material.rotation_date,
            rotation_type: material.rotation_type.clone(),
        }
    }
}

impl From<&KeyRotation> for KeyRotationFile {
    fn from(rotation: &KeyRotation) -> Self {
        KeyRotationFile {
            key_id: rotation.key_id.clone(),
            rotation_date: Some(rotation.rotation_date),
            rotation_type: Some(rotation.rotation_type.clone()),
            ..KeyRotationFile::default()
        }
    }
}

/// `GetKeyLastUsage`'s answer, as the API writes it (a snapshot's `LastUsage`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LastUsageFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_last_usage: Option<KeyLastUsageData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tracking_start_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_creation_date: Option<Timestamp>,
}

/// `KeyLastUsage` of `GetKeyLastUsage`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct KeyLastUsageData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) operation: Option<KeyUsageOperation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timestamp: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cloud_trail_event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kms_request_id: Option<String>,
}

impl From<&LastUsageFile> for KeyLastUsage {
    fn from(file: &LastUsageFile) -> Self {
        let used = file.key_last_usage.as_ref();
        KeyLastUsage {
            last_used_at: used.and_then(|u| u.timestamp),
            operation: used.and_then(|u| u.operation.clone()),
            cloudtrail_event_id: used.and_then(|u| u.cloud_trail_event_id.clone()),
            kms_request_id: used.and_then(|u| u.kms_request_id.clone()),
            tracking_start_date: file.tracking_start_date,
            key_creation_date: file.key_creation_date,
        }
    }
}

impl LastUsageFile {
    /// The answer for `key_id` as the API writes it.
    pub(crate) fn from_model(key_id: &str, usage: &KeyLastUsage) -> Self {
        let used = usage.last_used_at.is_some() || usage.operation.is_some();
        LastUsageFile {
            key_id: Some(key_id.to_owned()),
            key_last_usage: used.then(|| KeyLastUsageData {
                operation: usage.operation.clone(),
                timestamp: usage.last_used_at,
                cloud_trail_event_id: usage.cloudtrail_event_id.clone(),
                kms_request_id: usage.kms_request_id.clone(),
            }),
            tracking_start_date: usage.tracking_start_date,
            key_creation_date: usage.key_creation_date,
        }
    }
}

impl From<&RotationFile> for RotationStatus {
    fn from(file: &RotationFile) -> Self {
        RotationStatus {
            enabled: file.key_rotation_enabled,
            period_days: file.rotation_period_in_days,
            next_rotation_date: file.next_rotation_date,
            on_demand_rotation_started_at: file.on_demand_rotation_start_date,
            ..RotationStatus::default()
        }
    }
}

impl From<&RotationStatus> for RotationFile {
    fn from(status: &RotationStatus) -> Self {
        RotationFile {
            key_rotation_enabled: status.enabled,
            rotation_period_in_days: status.period_days,
            next_rotation_date: status.next_rotation_date,
            on_demand_rotation_start_date: status.on_demand_rotation_started_at,
        }
    }
}

impl KeyMetadataFile {
    /// The key id: `KeyId`, else the id in the ARN.
    pub(crate) fn id(&self) -> Option<String> {
        self.key_id.clone().or_else(|| {
            self.arn
                .as_deref()
                .and_then(|arn| arn.rsplit_once(":key/"))
                .map(|(_, id)| id.to_owned())
        })
    }

    /// The fields the decision table needs that the record lacks.
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.key_id.is_none() && self.arn.as_deref().and_then(|arn| arn.rsplit_once(":key/")).is_none() {
            missing.push("KeyId");
        }
        if self.arn.is_none() {
            missing.push("Arn");
        }
        if self.key_manager.is_none() {
            missing.push("KeyManager");
        }
        if self.key_state.is_none() {
            missing.push("KeyState");
        }
        if self.origin.is_none() {
            missing.push("Origin");
        }
        missing
    }

    /// The model (moving the record's values), or the fields the decision table
    /// needs that the record lacks. A record with neither spec field predates
    /// asymmetric keys: symmetric, by inference.
    pub(crate) fn into_model(self) -> std::result::Result<KeyMetadata, Vec<&'static str>> {
        let missing = self.missing();
        let key_id = self.key_id.or_else(|| {
            self.arn
                .as_deref()
                .and_then(|arn| arn.rsplit_once(":key/"))
                .map(|(_, id)| id.to_owned())
        });
        let (Some(key_id), Some(arn), Some(manager), Some(state), Some(origin), true) = (
            key_id,
            self.arn,
            self.key_manager,
            self.key_state,
            self.origin,
            missing.is_empty(),
        ) else {
            return Err(missing);
        };
        let declared = self.key_spec.or(self.customer_master_key_spec);
        let spec_inferred = declared.is_none();
        let spec = declared.unwrap_or(KeySpec::SymmetricDefault);
        let mut ignored = Vec::new();
        let creation_date = match self.creation_date {
            Some(DateField::Read(at)) => Some(at),
            Some(DateField::Unreadable(value, why)) => {
                ignored.push(format!("CreationDate {value} could not be read ({why})"));
                None
            }
            None => None,
        };
        let replica_regions = self
            .multi_region_configuration
            .as_ref()
            .map(|mrc| mrc.replica_keys.iter().map(|r| r.region.clone()).collect())
            .unwrap_or_default();
        let multi_region = self.multi_region_configuration.map(|mrc| MultiRegionInfo {
            role: mrc.multi_region_key_type,
            primary_arn: mrc.primary_key.arn,
            primary_region: mrc.primary_key.region,
        });
        Ok(KeyMetadata {
            key_id,
            arn,
            account_id: self.aws_account_id,
            manager,
            state,
            usage: self.key_usage.unwrap_or_else(|| KeyUsage::implied_by(&spec)),
            spec,
            spec_inferred,
            origin,
            custom_key_store_id: self.custom_key_store_id,
            multi_region,
            creation_date,
            description: self.description,
            current_key_material_id: self.current_key_material_id,
            expiration_model: self.expiration_model,
            valid_to: self.valid_to,
            replica_regions,
            ignored,
        })
    }

    pub(crate) fn from_model(meta: &KeyMetadata) -> Self {
        KeyMetadataFile {
            aws_account_id: meta.account_id.clone(),
            key_id: Some(meta.key_id.clone()),
            arn: Some(meta.arn.clone()),
            creation_date: meta.creation_date.map(DateField::Read),
            enabled: Some(meta.state == KeyState::Enabled),
            description: meta.description.clone(),
            key_usage: Some(meta.usage.clone()),
            key_state: Some(meta.state.clone()),
            origin: Some(meta.origin.clone()),
            key_manager: Some(meta.manager.clone()),
            key_spec: (!meta.spec_inferred).then(|| meta.spec.clone()),
            customer_master_key_spec: (!meta.spec_inferred).then(|| meta.spec.clone()),
            custom_key_store_id: meta.custom_key_store_id.clone(),
            multi_region: Some(meta.multi_region.is_some()),
            multi_region_configuration: meta.multi_region.as_ref().map(|info| MultiRegionFile {
                multi_region_key_type: info.role.clone(),
                primary_key: RegionalKeyFile {
                    arn: info.primary_arn.clone(),
                    region: info.primary_region.clone(),
                },
                replica_keys: meta
                    .replica_regions
                    .iter()
                    .map(|region| RegionalKeyFile {
                        arn: replace_region(&meta.arn, &info.primary_region, region),
                        region: region.clone(),
                    })
                    .collect(),
            }),
            current_key_material_id: meta.current_key_material_id.clone(),
            expiration_model: meta.expiration_model.clone(),
            valid_to: meta.valid_to,
        }
    }
}

/// A multi-Region key's ARN in another Region (the key id is shared).
fn replace_region(arn: &str, from: &str, to: &str) -> String {
    arn.replacen(&format!(":{from}:"), &format!(":{to}:"), 1)
}

/// The error for a response that does not have the shape the API documents.
fn malformed(operation: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::with_kind(
        "MalformedResponse",
        format!("malformed response from {operation}: {error}"),
        ErrorKind::InvalidResponse,
    )
}

fn parse<T: serde::de::DeserializeOwned>(operation: &str, value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| malformed(operation, e))
}

/// A `NextMarker` that counts only when `Truncated` says so (absent `Truncated`: the marker decides).
fn next_marker(truncated: Option<bool>, marker: Option<String>) -> Option<String> {
    match truncated {
        Some(false) => None,
        _ => marker.filter(|m| !m.is_empty()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListKeysResponse {
    #[serde(default)]
    keys: Vec<KeyListEntryJson>,
    next_marker: Option<String>,
    truncated: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyListEntryJson {
    key_id: String,
    key_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAliasesResponse {
    #[serde(default)]
    aliases: Vec<AliasJson>,
    next_marker: Option<String>,
    truncated: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AliasJson {
    alias_name: String,
    alias_arn: Option<String>,
    target_key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeKeyResponse {
    key_metadata: KeyMetadataFile,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListResourceTagsResponse {
    #[serde(default)]
    tags: Vec<TagFile>,
    next_marker: Option<String>,
    truncated: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListKeyRotationsResponse {
    #[serde(default)]
    rotations: Vec<KeyRotationFile>,
    next_marker: Option<String>,
    truncated: Option<bool>,
}

/// Reads a `ListKeyRotations` response (`Rotations`, `NextMarker`, `Truncated`).
/// An entry without its `RotationDate` or `RotationType` is malformed: a
/// rotation that cannot be dated is no evidence of one.
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn list_key_rotations_response(value: Value) -> Result<Page<KeyRotation>, ApiError> {
    let response: ListKeyRotationsResponse = parse("ListKeyRotations", value)?;
    let items = response
        .rotations
        .iter()
        .map(|entry| {
            entry
                .rotation()
                .ok_or_else(|| malformed("ListKeyRotations", "a rotation has no RotationDate or RotationType"))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Page {
        items,
        next_marker: next_marker(response.truncated, response.next_marker),
    })
}

/// Reads a `ListKeyRotations` response to `IncludeKeyMaterial=ALL_KEY_MATERIAL`:
/// every key material, the undated ones (the first material, material pending
/// rotation) included.
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn list_key_materials_response(value: Value) -> Result<Page<KeyMaterial>, ApiError> {
    let response: ListKeyRotationsResponse = parse("ListKeyRotations", value)?;
    Ok(Page {
        items: response.rotations.iter().map(KeyMaterial::from).collect(),
        next_marker: next_marker(response.truncated, response.next_marker),
    })
}

/// Reads a `GetKeyLastUsage` response (`KeyLastUsage`, `TrackingStartDate`, `KeyCreationDate`).
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn key_last_usage_response(value: Value) -> Result<KeyLastUsage, ApiError> {
    let response: LastUsageFile = parse("GetKeyLastUsage", value)?;
    Ok(KeyLastUsage::from(&response))
}

/// Reads a `ListKeys` response (`Keys`, `NextMarker`, `Truncated`).
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn list_keys_response(value: Value) -> Result<Page<KeyListEntry>, ApiError> {
    let response: ListKeysResponse = parse("ListKeys", value)?;
    Ok(Page {
        items: response
            .keys
            .into_iter()
            .map(|k| KeyListEntry {
                key_id: k.key_id,
                key_arn: k.key_arn,
            })
            .collect(),
        next_marker: next_marker(response.truncated, response.next_marker),
    })
}

/// Reads a `ListAliases` response (`Aliases`, `NextMarker`, `Truncated`).
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn list_aliases_response(value: Value) -> Result<Page<Alias>, ApiError> {
    let response: ListAliasesResponse = parse("ListAliases", value)?;
    Ok(Page {
        items: response
            .aliases
            .into_iter()
            .map(|a| Alias {
                alias_name: a.alias_name,
                alias_arn: a.alias_arn,
                target_key_id: a.target_key_id,
            })
            .collect(),
        next_marker: next_marker(response.truncated, response.next_marker),
    })
}

/// Reads a `DescribeKey` response (`{"KeyMetadata": {...}}`).
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn describe_key_response(value: Value) -> Result<KeyMetadata, ApiError> {
    let response: DescribeKeyResponse = parse("DescribeKey", value)?;
    let metadata = response
        .key_metadata
        .into_model()
        .map_err(|missing| malformed("DescribeKey", format!("KeyMetadata is missing {}", missing.join(", "))))?;
    // A live answer must name the key's spec: only old records may omit it.
    if metadata.spec_inferred {
        return Err(malformed(
            "DescribeKey",
            "KeyMetadata has neither KeySpec nor CustomerMasterKeySpec",
        ));
    }
    Ok(metadata)
}

/// Reads a `GetKeyRotationStatus` response.
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn rotation_status_response(value: Value) -> Result<RotationStatus, ApiError> {
    let response: RotationFile = parse("GetKeyRotationStatus", value)?;
    check_period("GetKeyRotationStatus", response.rotation_period_in_days.map(i64::from))?;
    Ok(RotationStatus::from(&response))
}

/// A reported rotation period must be one KMS allows (90..=2560 days); anything
/// else is no evidence of a period, never a guess at one.
pub(crate) fn check_period(operation: &str, days: Option<i64>) -> Result<(), ApiError> {
    match days {
        Some(days) if !u32::try_from(days).is_ok_and(|d| ROTATION_PERIOD_RANGE.contains(&d)) => Err(malformed(
            operation,
            format!(
                "RotationPeriodInDays {days} is outside {}..={}",
                ROTATION_PERIOD_RANGE.start(),
                ROTATION_PERIOD_RANGE.end()
            ),
        )),
        _ => Ok(()),
    }
}

/// Reads a `ListResourceTags` response (`Tags`, `NextMarker`, `Truncated`).
///
/// # Errors
/// A `MalformedResponse` [`ApiError`] naming what does not fit.
pub fn list_resource_tags_response(value: Value) -> Result<Page<Tag>, ApiError> {
    let response: ListResourceTagsResponse = parse("ListResourceTags", value)?;
    Ok(Page {
        items: response
            .tags
            .into_iter()
            .map(|t| Tag {
                key: t.tag_key,
                value: t.tag_value,
            })
            .collect(),
        next_marker: next_marker(response.truncated, response.next_marker),
    })
}

/// `DescribeKey`'s `KeyMetadata` as the API writes it (e.g. to answer as a fake client).
pub fn key_metadata_json(metadata: &KeyMetadata) -> Value {
    serde_json::to_value(KeyMetadataFile::from_model(metadata)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn boto3_and_sdk_v3_shaped_responses() {
        let page =
            list_keys_response(json!({"Keys": [{"KeyId": "k", "KeyArn": "a"}], "NextMarker": "m", "Truncated": true}))
                .unwrap();
        assert_eq!(page.next_marker.as_deref(), Some("m"));
        let last = list_keys_response(json!({"Keys": [], "Truncated": false, "NextMarker": "stale"})).unwrap();
        assert_eq!(last.next_marker, None);
        let status = rotation_status_response(json!({
            "KeyRotationEnabled": true, "RotationPeriodInDays": 730, "KeyId": "k",
            "NextRotationDate": "2027-01-02T03:04:05.678000+00:00",
            "OnDemandRotationStartDate": 1_767_225_600.5
        }))
        .unwrap();
        assert_eq!(status.period_days, Some(730));
        assert_eq!(status.next_rotation_date.unwrap().to_rfc3339(), "2027-01-02T03:04:05Z");
        assert_eq!(
            status.on_demand_rotation_started_at.unwrap().epoch_seconds(),
            1_767_225_600
        );
        let rotations = list_key_rotations_response(json!({
            "Rotations": [
                {"KeyId": "k", "RotationDate": "2026-01-02T03:04:05Z", "RotationType": "AUTOMATIC"},
                {"KeyId": "k", "RotationDate": 1_767_225_600, "RotationType": "ON_DEMAND"}
            ],
            "NextMarker": "m", "Truncated": true
        }))
        .unwrap();
        assert_eq!(rotations.items.len(), 2);
        assert_eq!(rotations.items[1].rotation_type, RotationType::OnDemand);
        assert_eq!(rotations.next_marker.as_deref(), Some("m"));
        let undated = list_key_rotations_response(json!({"Rotations": [{"RotationType": "AUTOMATIC"}]})).unwrap_err();
        assert_eq!(undated.code, "MalformedResponse");
        let err = describe_key_response(json!({"KeyMetadata": {"KeyId": "k"}})).unwrap_err();
        assert_eq!(err.code, "MalformedResponse");
        assert!(err.message.contains("Arn"), "{}", err.message);
    }
}
