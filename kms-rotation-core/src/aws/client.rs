//! [`AwsClient`]: one region's KMS client over `aws_sdk_kms::Client`, in our types.

use std::fmt;

use async_trait::async_trait;
use aws_sdk_kms::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kms::error::BoxError;
use aws_sdk_kms::types as sdk;
use aws_smithy_types::DateTime;

use super::error::api_error;
use crate::api::{ApiError, Operation, ROTATION_PERIOD_RANGE};
use crate::aws_json::check_period;
use crate::client::KmsClient;
use crate::error::{Error, Result};
use crate::model::{
    Alias, ExpirationModel, ImportState, KeyLastUsage, KeyListEntry, KeyManager, KeyMaterial, KeyMaterialState,
    KeyMetadata, KeyRotation, KeySpec, KeyState, KeyUsage, KeyUsageOperation, MultiRegionInfo, MultiRegionRole, Origin,
    Page, RotationStatus, RotationType, Tag, Timestamp,
};

/// The page size the core asks for (the API's maximum), as the SDK's `i32`.
pub(super) fn limit(op: Operation) -> Option<i32> {
    op.page_size().and_then(|size| i32::try_from(size).ok())
}

/// Refuses a `GetKeyRotationStatus` answer without `KeyRotationEnabled`: the
/// SDK would read the missing flag as `false`, a guess that looks like a FAIL.
#[derive(Debug)]
struct RequireRotationFlag;

/// The error [`RequireRotationFlag`] raises, found again in [`api_error`]'s source chain.
#[derive(Debug)]
pub(super) struct MissingRotationFlag;

impl fmt::Display for MissingRotationFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed response from GetKeyRotationStatus: KeyRotationEnabled is missing")
    }
}

impl std::error::Error for MissingRotationFlag {}

impl Intercept for RequireRotationFlag {
    fn name(&self) -> &'static str {
        "RequireRotationFlag"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let response = context.response();
        if !response.status().is_success() {
            return Ok(());
        }
        let present = response
            .body()
            .bytes()
            .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
            .is_some_and(|body| {
                body.get("KeyRotationEnabled")
                    .is_some_and(serde_json::Value::is_boolean)
            });
        if present {
            Ok(())
        } else {
            Err(Box::new(MissingRotationFlag))
        }
    }
}

/// A [`KmsClient`] for one region over the AWS SDK for Rust.
///
/// Each trait call sends one request and
/// never retries: retries are disabled in the SDK so that the engine's retry
/// layer (backoff with jitter on [`ApiError::retryable`]) is the only one, and a
/// throttled scan does not multiply its own load.
///
/// Make one with [`AwsSession::client`](super::AwsSession::client), or wrap an
/// SDK client you configured yourself with [`AwsClient::new`].
#[derive(Clone)]
pub struct AwsClient {
    kms: aws_sdk_kms::Client,
    region: String,
}

impl fmt::Debug for AwsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsClient")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl AwsClient {
    /// Wraps an SDK client, keeping its configuration but turning its retries off.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the client has no region.
    pub fn new(kms: aws_sdk_kms::Client) -> Result<Self> {
        let config = kms.config();
        let region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| Error::Configuration("the KMS client has no region".to_owned()))?;
        // The engine retries; an SDK retry underneath would square the attempts.
        let config = config.to_builder().retry_config(RetryConfig::disabled()).build();
        Ok(Self {
            kms: aws_sdk_kms::Client::from_conf(config),
            region,
        })
    }

    /// The SDK client (retries disabled), for calls this crate does not make.
    pub fn sdk_client(&self) -> &aws_sdk_kms::Client {
        &self.kms
    }
}

#[async_trait]
impl KmsClient for AwsClient {
    fn region(&self) -> &str {
        &self.region
    }

    async fn list_keys(&self, marker: Option<&str>) -> Result<Page<KeyListEntry>, ApiError> {
        let out = self
            .kms
            .list_keys()
            .set_limit(limit(Operation::ListKeys))
            .set_marker(marker.map(str::to_owned))
            .send()
            .await
            .map_err(api_error)?;
        let items = out
            .keys
            .unwrap_or_default()
            .into_iter()
            .map(|entry| {
                let key_id = entry
                    .key_id
                    .ok_or_else(|| ApiError::invalid_response("ListKeys returned an entry without KeyId"))?;
                Ok(KeyListEntry {
                    key_arn: entry.key_arn.unwrap_or_default(),
                    key_id,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Page {
            items,
            next_marker: next_marker("ListKeys", out.truncated, out.next_marker)?,
        })
    }

    async fn list_aliases(&self, key_id: Option<&str>, marker: Option<&str>) -> Result<Page<Alias>, ApiError> {
        let out = self
            .kms
            .list_aliases()
            .set_limit(limit(Operation::ListAliases))
            .set_key_id(key_id.map(str::to_owned))
            .set_marker(marker.map(str::to_owned))
            .send()
            .await
            .map_err(api_error)?;
        let items = out
            .aliases
            .unwrap_or_default()
            .into_iter()
            .map(|alias| {
                let alias_name = alias
                    .alias_name
                    .ok_or_else(|| ApiError::invalid_response("ListAliases returned an entry without AliasName"))?;
                Ok(Alias {
                    alias_name,
                    alias_arn: alias.alias_arn,
                    target_key_id: alias.target_key_id,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Page {
            items,
            next_marker: next_marker("ListAliases", out.truncated, out.next_marker)?,
        })
    }

    async fn describe_key(&self, key_id: &str) -> Result<KeyMetadata, ApiError> {
        let out = self.kms.describe_key().key_id(key_id).send().await.map_err(api_error)?;
        let metadata = out
            .key_metadata
            .ok_or_else(|| ApiError::invalid_response(format!("DescribeKey {key_id} returned no KeyMetadata")))?;
        key_metadata(metadata, &self.region)
    }

    async fn get_key_rotation_status(&self, key_id: &str) -> Result<RotationStatus, ApiError> {
        let out = self
            .kms
            .get_key_rotation_status()
            .key_id(key_id)
            .customize()
            .interceptor(RequireRotationFlag)
            .send()
            .await
            .map_err(api_error)?;
        let period = out.rotation_period_in_days.map(i64::from);
        check_period("GetKeyRotationStatus", period)?;
        Ok(RotationStatus {
            enabled: out.key_rotation_enabled,
            period_days: period.and_then(|days| u32::try_from(days).ok()),
            next_rotation_date: out.next_rotation_date.as_ref().map(timestamp),
            on_demand_rotation_started_at: out.on_demand_rotation_start_date.as_ref().map(timestamp),
            ..RotationStatus::default()
        })
    }

    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> Result<(), ApiError> {
        // The SDK sends any number; KMS's own range is checked here, before the call.
        let days = i32::try_from(rotation_period_days)
            .ok()
            .filter(|_| ROTATION_PERIOD_RANGE.contains(&rotation_period_days))
            .ok_or_else(|| {
                ApiError::new(
                    "ValidationException",
                    format!(
                        "RotationPeriodInDays {rotation_period_days} is outside {}..={}",
                        ROTATION_PERIOD_RANGE.start(),
                        ROTATION_PERIOD_RANGE.end()
                    ),
                )
            })?;
        self.kms
            .enable_key_rotation()
            .key_id(key_id)
            .rotation_period_in_days(days)
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }

    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> Result<Page<Tag>, ApiError> {
        let out = self
            .kms
            .list_resource_tags()
            .key_id(key_id)
            .set_limit(limit(Operation::ListResourceTags))
            .set_marker(marker.map(str::to_owned))
            .send()
            .await
            .map_err(api_error)?;
        Ok(Page {
            items: out
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| Tag {
                    key: t.tag_key,
                    value: t.tag_value,
                })
                .collect(),
            next_marker: next_marker("ListResourceTags", out.truncated, out.next_marker)?,
        })
    }

    async fn list_key_rotations(&self, key_id: &str, marker: Option<&str>) -> Result<Page<KeyRotation>, ApiError> {
        let out = self
            .kms
            .list_key_rotations()
            .key_id(key_id)
            .set_limit(limit(Operation::ListKeyRotations))
            .set_marker(marker.map(str::to_owned))
            .send()
            .await
            .map_err(api_error)?;
        // A rotation that cannot be dated or typed is no evidence of one.
        let items = out
            .rotations
            .unwrap_or_default()
            .into_iter()
            .map(|entry| {
                let (Some(date), Some(kind)) = (entry.rotation_date, entry.rotation_type) else {
                    return Err(ApiError::invalid_response(format!(
                        "ListKeyRotations {key_id} returned a rotation without RotationDate or RotationType"
                    )));
                };
                Ok(KeyRotation {
                    key_id: entry.key_id,
                    rotation_date: timestamp(&date),
                    rotation_type: RotationType::from(kind.as_str()),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Page {
            items,
            next_marker: next_marker("ListKeyRotations", out.truncated, out.next_marker)?,
        })
    }

    async fn rotate_key_on_demand(&self, key_id: &str) -> Result<(), ApiError> {
        self.kms
            .rotate_key_on_demand()
            .key_id(key_id)
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }

    async fn list_key_materials(&self, key_id: &str, marker: Option<&str>) -> Result<Page<KeyMaterial>, ApiError> {
        let out = self
            .kms
            .list_key_rotations()
            .key_id(key_id)
            .include_key_material(sdk::IncludeKeyMaterial::AllKeyMaterial)
            .set_limit(limit(Operation::ListKeyRotations))
            .set_marker(marker.map(str::to_owned))
            .send()
            .await
            .map_err(api_error)?;
        let items = out
            .rotations
            .unwrap_or_default()
            .into_iter()
            .map(|entry| KeyMaterial {
                key_id: entry.key_id,
                key_material_id: entry.key_material_id,
                description: entry.key_material_description,
                import_state: entry.import_state.map(|v| ImportState::from(v.as_str())),
                state: entry.key_material_state.map(|v| KeyMaterialState::from(v.as_str())),
                expiration_model: entry.expiration_model.map(|v| ExpirationModel::from(v.as_str())),
                valid_to: entry.valid_to.as_ref().map(timestamp),
                rotation_date: entry.rotation_date.as_ref().map(timestamp),
                rotation_type: entry.rotation_type.map(|v| RotationType::from(v.as_str())),
            })
            .collect();
        Ok(Page {
            items,
            next_marker: next_marker("ListKeyRotations", out.truncated, out.next_marker)?,
        })
    }

    async fn get_key_last_usage(&self, key_id: &str) -> Result<KeyLastUsage, ApiError> {
        let out = self
            .kms
            .get_key_last_usage()
            .key_id(key_id)
            .send()
            .await
            .map_err(api_error)?;
        let used = out.key_last_usage;
        Ok(KeyLastUsage {
            last_used_at: used.as_ref().and_then(|u| u.timestamp.as_ref()).map(timestamp),
            operation: used
                .as_ref()
                .and_then(|u| u.operation.as_ref())
                .map(|v| KeyUsageOperation::from(v.as_str())),
            cloudtrail_event_id: used.as_ref().and_then(|u| u.cloud_trail_event_id.clone()),
            kms_request_id: used.as_ref().and_then(|u| u.kms_request_id.clone()),
            tracking_start_date: out.tracking_start_date.as_ref().map(timestamp),
            key_creation_date: out.key_creation_date.as_ref().map(timestamp),
        })
    }
}

/// The marker of the next page: present exactly when the listing is truncated.
fn next_marker(operation: &str, truncated: bool, marker: Option<String>) -> Result<Option<String>, ApiError> {
    match (truncated, marker) {
        (false, _) => Ok(None),
        (true, Some(marker)) => Ok(Some(marker)),
        // Stopping here would drop the rest of the listing without a trace.
        (true, None) => Err(ApiError::invalid_response(format!(
            "{operation} answered Truncated without NextMarker"
        ))),
    }
}

fn timestamp(date: &DateTime) -> Timestamp {
    Timestamp::from_epoch_seconds(date.secs())
}

/// `DescribeKey`'s `KeyMetadata` in our model. Every fact the decision table
/// reads must be present: a response without one is an error, never a guess.
fn key_metadata(meta: sdk::KeyMetadata, region: &str) -> Result<KeyMetadata, ApiError> {
    let key_id = meta.key_id;
    let missing =
        |field: &str| ApiError::invalid_response(format!("DescribeKey {key_id} returned KeyMetadata without {field}"));
    let arn = meta.arn.ok_or_else(|| missing("Arn"))?;
    let manager = meta
        .key_manager
        .map(|v| KeyManager::from(v.as_str()))
        .ok_or_else(|| missing("KeyManager"))?;
    let state = meta
        .key_state
        .map(|v| KeyState::from(v.as_str()))
        .ok_or_else(|| missing("KeyState"))?;
    // KeySpec, else the deprecated CustomerMasterKeySpec of older responses.
    #[allow(deprecated)]
    let legacy_spec = meta.customer_master_key_spec;
    let spec = meta
        .key_spec
        .map(|v| KeySpec::from(v.as_str()))
        .or_else(|| legacy_spec.map(|v| KeySpec::from(v.as_str())))
        .ok_or_else(|| missing("KeySpec"))?;
    // KMS always reports KeyUsage, but an emulator may not (moto answers null
    // when none was given at creation). No verdict depends on it, so instead of
    // failing the key: the usage its spec allows when there is only one, else empty.
    let usage = match meta.key_usage {
        Some(v) => KeyUsage::from(v.as_str()),
        None => KeyUsage::implied_by(&spec),
    };
    let origin = meta
        .origin
        .map(|v| Origin::from(v.as_str()))
        .ok_or_else(|| missing("Origin"))?;
    let replica_regions = meta
        .multi_region_configuration
        .as_ref()
        .map(|config| config.replica_keys().iter().filter_map(|k| k.region.clone()).collect())
        .unwrap_or_default();
    let multi_region = match meta.multi_region_configuration {
        None => None,
        Some(config) => {
            let role = config
                .multi_region_key_type
                .map(|v| MultiRegionRole::from(v.as_str()))
                .ok_or_else(|| missing("MultiRegionConfiguration.MultiRegionKeyType"))?;
            let primary = config.primary_key.map(|k| (k.arn, k.region));
            let (primary_arn, primary_region) = match primary {
                Some((Some(arn), Some(region))) => (arn, region),
                // A primary is its own primary.
                _ if role == MultiRegionRole::Primary => (arn.clone(), region.to_owned()),
                _ => return Err(missing("MultiRegionConfiguration.PrimaryKey")),
            };
            Some(MultiRegionInfo {
                role,
                primary_arn,
                primary_region,
            })
        }
    };
    Ok(KeyMetadata {
        account_id: meta.aws_account_id,
        manager,
        state,
        spec,
        usage,
        origin,
        custom_key_store_id: meta.custom_key_store_id,
        multi_region,
        creation_date: meta.creation_date.as_ref().map(timestamp),
        description: meta.description,
        arn,
        key_id,
        spec_inferred: false,
        current_key_material_id: meta.current_key_material_id,
        expiration_model: meta.expiration_model.map(|v| ExpirationModel::from(v.as_str())),
        valid_to: meta.valid_to.as_ref().map(timestamp),
        replica_regions,
        ignored: Vec::new(),
    })
}
