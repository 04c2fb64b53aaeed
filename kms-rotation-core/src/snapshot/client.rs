//! The client: [`SnapshotClient`] serves one region of a [`Snapshot`] the way KMS would.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use super::account::{Bucket, Call, KeyEntry, RegionData, Shared, Snapshot, lock};
use super::transport::SnapshotTransport;
use crate::api::ROTATION_PERIOD_RANGE;
use crate::api::{ApiError, ErrorKind, Operation};
use crate::aws_json::{KeyRotationFile, RotationFile, check_period};
use crate::client::{Clients, KmsClient};
use crate::error::{Error, Result};
use crate::model::{
    Alias, KeyLastUsage, KeyListEntry, KeyManager, KeyMaterial, KeyMaterialState, KeyMetadata, KeyRotation, KeySpec,
    KeyState, Origin, Page, RotationStatus, RotationType, Tag, Timestamp,
};

impl Snapshot {
    /// One region as a [`JsonTransport`](crate::JsonTransport) answering in the KMS API's JSON:
    /// the fake behind the bindings' SDK-shaped test clients.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the snapshot has no such region.
    pub fn transport(&self, region: &str) -> Result<SnapshotTransport> {
        self.client(region).map(SnapshotTransport::new)
    }

    /// The client for one region.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the snapshot has no such region.
    pub fn client(&self, region: &str) -> Result<Arc<dyn KmsClient>> {
        if !lock(&self.shared.regions).contains_key(region) {
            return Err(Error::Configuration(format!(
                "the snapshot has no region {region:?} (it has {})",
                self.regions().join(", ")
            )));
        }
        Ok(Arc::new(SnapshotClient {
            region: region.to_owned(),
            shared: self.shared.clone(),
        }))
    }

    /// Clients for every region of the snapshot; other regions are an error when asked for.
    pub fn clients(&self) -> Clients {
        let mut clients = Clients::new();
        for region in self.regions() {
            if let Ok(client) = self.client(&region) {
                clients = clients.with_client(client);
            }
        }
        let this = self.clone();
        clients.with_factory(move |region| this.client(region))
    }
}

/// Serves one region of a [`Snapshot`] the way KMS would.
#[derive(Debug)]
pub struct SnapshotClient {
    region: String,
    shared: Arc<Shared>,
}

fn not_found(key: &str) -> ApiError {
    ApiError::new("NotFoundException", format!("Key '{key}' does not exist"))
}

/// The replayed error for `op`, if one is due; counts down `Times`.
///
/// An error recorded without `Times` (what `collect` writes, a CloudSploit
/// collection's, [`SnapshotKey::with_error`](crate::SnapshotKey::with_error)'s)
/// is a fact as it was observed, answered on every call: it is final at once
/// (not retryable), so the engine neither backs off nor waits out a recorded
/// `ThrottlingException`. `Times` simulates a transient fault, retried as a live one.
fn due_error(recorded: Option<&mut (ApiError, Option<u32>)>) -> Option<ApiError> {
    let (error, times) = recorded?;
    match times {
        None => Some(error.clone().not_retryable()),
        Some(0) => None,
        Some(n) => {
            *n -= 1;
            Some(error.clone())
        }
    }
}

/// One page of `total` items; only the page's items are converted, so that
/// paging through a large account stays linear.
/// How many of a key's recorded entries are rotations (dated and typed).
fn dated_len(entries: &[KeyRotationFile]) -> usize {
    entries.iter().filter(|entry| entry.rotation().is_some()).count()
}

fn page<R, T>(
    items: impl Iterator<Item = R>,
    total: usize,
    marker: Option<&str>,
    size: usize,
    convert: impl FnMut(R) -> T,
) -> Result<Page<T>, ApiError> {
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= total)
            .ok_or_else(|| ApiError::new("InvalidMarkerException", format!("Invalid marker {m:?}")))?,
    };
    let end = (start + size).min(total);
    Ok(Page {
        items: items.skip(start).take(end - start).map(convert).collect(),
        next_marker: (end < total).then(|| end.to_string()),
    })
}

impl SnapshotClient {
    /// Logs the call, applies the rate limit and latency.
    async fn arrive(&self, operation: Operation, key: Option<&str>) -> Result<(), ApiError> {
        let (latency, limit, record) = {
            let settings = lock(&self.shared.settings);
            (
                settings.latency,
                settings.rate_limits.get(&operation).copied(),
                settings.record_calls,
            )
        };
        if record {
            lock(&self.shared.calls).push(Call {
                region: self.region.clone(),
                operation,
                key: key.map(str::to_owned),
            });
        }
        let throttled = limit.is_some_and(|rate| {
            let now = Instant::now();
            let mut buckets = lock(&self.shared.buckets);
            let bucket = buckets.entry((self.region.clone(), operation)).or_insert(Bucket {
                rate,
                tokens: rate,
                last: now,
            });
            bucket.tokens =
                (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * bucket.rate).min(bucket.rate);
            bucket.last = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                false
            } else {
                true
            }
        });
        if let Some(latency) = latency {
            tokio::time::sleep(latency).await;
        }
        if throttled {
            return Err(ApiError::throttling(format!("Rate exceeded for {operation}")));
        }
        Ok(())
    }

    fn with_region<T>(&self, f: impl FnOnce(&mut RegionData) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let mut regions = lock(&self.shared.regions);
        match regions.get_mut(&self.region) {
            Some(data) => f(data),
            None => f(regions.entry(self.region.clone()).or_default()),
        }
    }

    fn with_key<T>(
        &self,
        op: Operation,
        key: &str,
        f: impl FnOnce(&mut RegionData, usize) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.with_region(|data| {
            let position = data.position(key).ok_or_else(|| not_found(key))?;
            let recorded = data.keys[position].rare.as_mut().and_then(|rare| {
                rare.errors
                    .iter_mut()
                    .find(|(recorded, _)| *recorded == op)
                    .map(|(_, error)| error)
            });
            if let Some(error) = due_error(recorded) {
                return Err(error);
            }
            f(data, position)
        })
    }

    fn page_size(&self, aws_max: usize) -> usize {
        lock(&self.shared.settings).page_size.unwrap_or(aws_max).min(aws_max)
    }
}

/// `GetKeyRotationStatus` for a key whose status the file omits: what KMS
/// answers for keys it cannot rotate, else missing evidence.
fn default_rotation(meta: &KeyMetadata) -> Result<RotationStatus, ApiError> {
    let unsupported = meta.origin != Origin::AwsKms
        || meta.spec != KeySpec::SymmetricDefault
        || meta.state == KeyState::PendingImport;
    if unsupported {
        return Err(ApiError::new(
            "UnsupportedOperationException",
            format!("{} is not supported for this KMS key", Operation::GetKeyRotationStatus),
        ));
    }
    // Nothing recorded is nothing known: never "rotation off".
    Err(ApiError::with_kind(
        "MissingEvidence",
        "the snapshot holds no GetKeyRotationStatus answer for this key",
        ErrorKind::MissingEvidence,
    ))
}

/// `ListKeyRotations` for a key whose history the file omits: what KMS
/// answers for keys that cannot rotate at all, else missing evidence.
fn unrecorded_rotations(meta: &KeyMetadata) -> ApiError {
    if meta.spec != KeySpec::SymmetricDefault || matches!(meta.origin, Origin::AwsCloudhsm | Origin::ExternalKeyStore) {
        return ApiError::new(
            "UnsupportedOperationException",
            format!("{} is not supported for this KMS key", Operation::ListKeyRotations),
        );
    }
    ApiError::with_kind(
        "MissingEvidence",
        "the snapshot holds no ListKeyRotations answer for this key",
        ErrorKind::MissingEvidence,
    )
}

/// `ListResourceTags` for a key whose tags the file omits: missing evidence,
/// never "not tagged" (a tag exemption could match it).
fn unrecorded_tags() -> ApiError {
    ApiError::with_kind(
        "MissingEvidence",
        "the snapshot holds no ListResourceTags answer for this key (its tags were not recorded: \
         collect records them when a tag exemption is given)",
        ErrorKind::MissingEvidence,
    )
}

#[async_trait]
impl KmsClient for SnapshotClient {
    fn region(&self) -> &str {
        &self.region
    }

    /// Only when simulating AWS's quotas ([`Snapshot::set_rate_limit`]).
    fn has_request_quotas(&self) -> bool {
        !lock(&self.shared.settings).rate_limits.is_empty()
    }

    async fn list_keys(&self, marker: Option<&str>) -> Result<Page<KeyListEntry>, ApiError> {
        self.arrive(Operation::ListKeys, None).await?;
        let size = self.page_size(1000);
        self.with_region(|data| {
            if let Some(error) = due_error(data.errors.get_mut(&Operation::ListKeys)) {
                return Err(error);
            }
            page(data.keys.iter(), data.keys.len(), marker, size, |k| KeyListEntry {
                key_id: k.meta.key_id.clone(),
                key_arn: k.meta.arn.clone(),
            })
        })
    }

    async fn list_aliases(&self, key_id: Option<&str>, marker: Option<&str>) -> Result<Page<Alias>, ApiError> {
        self.arrive(Operation::ListAliases, key_id).await?;
        let size = self.page_size(100);
        self.with_region(|data| {
            if let Some(error) = due_error(data.errors.get_mut(&Operation::ListAliases)) {
                return Err(error);
            }
            let alias = |k: &KeyEntry, name: &String| Alias {
                alias_name: name.clone(),
                alias_arn: k
                    .meta
                    .arn
                    .rsplit_once(":key/")
                    .map(|(prefix, _)| format!("{prefix}:{name}")),
                target_key_id: Some(k.meta.key_id.clone()),
            };
            match key_id {
                Some(key) => {
                    let entry = &data.keys[data.position(key).ok_or_else(|| not_found(key))?];
                    let names = &entry.aliases;
                    page(names.iter(), names.len(), marker, size, |name| alias(entry, name))
                }
                // Every alias in key order, paged by position: a page costs its own size.
                None => page(data.aliases.iter(), data.aliases.len(), marker, size, |(i, n)| {
                    let key = &data.keys[*i as usize];
                    alias(key, &key.aliases[*n as usize])
                }),
            }
        })
    }

    async fn describe_key(&self, key_id: &str) -> Result<KeyMetadata, ApiError> {
        self.arrive(Operation::DescribeKey, Some(key_id)).await?;
        self.with_key(Operation::DescribeKey, key_id, |data, i| {
            match data.keys[i].describe_error() {
                Some(error) => Err(error.clone()),
                None => Ok(data.keys[i].meta.clone()),
            }
        })
    }

    async fn get_key_rotation_status(&self, key_id: &str) -> Result<RotationStatus, ApiError> {
        self.arrive(Operation::GetKeyRotationStatus, Some(key_id)).await?;
        let (own, primary) = self.with_key(Operation::GetKeyRotationStatus, key_id, |data, i| {
            let entry = &data.keys[i];
            if matches!(
                entry.meta.state,
                KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
            ) {
                return Ok((Ok(RotationStatus::default()), None));
            }
            let own = match &entry.rotation_status {
                Some(file) => recorded_rotation(file),
                None => default_rotation(&entry.meta),
            };
            let primary = entry.meta.multi_region.clone().filter(|_| entry.meta.is_replica());
            Ok((own, primary))
        })?;
        // Rotation is a shared property of multi-Region keys: a replica reads its primary's.
        if let Some(info) = primary {
            let regions = lock(&self.shared.regions);
            let primary_entry = regions
                .get(&info.primary_region)
                .and_then(|data| data.position(&info.primary_arn).map(|i| &data.keys[i]));
            if let Some(entry) = primary_entry {
                return match &entry.rotation_status {
                    Some(file) => recorded_rotation(file),
                    None => default_rotation(&entry.meta),
                };
            }
        }
        own
    }

    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> Result<(), ApiError> {
        self.arrive(Operation::EnableKeyRotation, Some(key_id)).await?;
        if !ROTATION_PERIOD_RANGE.contains(&rotation_period_days) {
            return Err(ApiError::new(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{rotation_period_days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560"
                ),
            ));
        }
        self.with_key(Operation::EnableKeyRotation, key_id, |data, i| {
            let entry = &mut data.keys[i];
            let meta = &entry.meta;
            let unsupported = |why: &str| Err(ApiError::new("UnsupportedOperationException", why.to_owned()));
            match meta.state {
                KeyState::Disabled => {
                    return Err(ApiError::new("DisabledException", format!("{} is disabled.", meta.arn)));
                }
                KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                    return Err(ApiError::new(
                        "KMSInvalidStateException",
                        format!("{} is pending deletion.", meta.arn),
                    ));
                }
                _ => {}
            }
            if meta.manager == KeyManager::Aws {
                return unsupported("You cannot change the rotation of an AWS managed key.");
            }
            if meta.origin != Origin::AwsKms
                || meta.spec != KeySpec::SymmetricDefault
                || meta.state == KeyState::PendingImport
            {
                return unsupported("EnableKeyRotation is not supported for this KMS key.");
            }
            if meta.is_replica() {
                return unsupported("Rotation of a multi-Region key can be managed only on its primary key.");
            }
            let next = Timestamp::from_epoch_seconds(
                Timestamp::now().epoch_seconds() + i64::from(rotation_period_days) * 86_400,
            );
            entry.rotation_status = Some(RotationFile {
                key_rotation_enabled: true,
                rotation_period_in_days: Some(rotation_period_days),
                next_rotation_date: Some(next),
                on_demand_rotation_start_date: None,
            });
            Ok(())
        })
    }

    async fn list_key_rotations(&self, key_id: &str, marker: Option<&str>) -> Result<Page<KeyRotation>, ApiError> {
        self.arrive(Operation::ListKeyRotations, Some(key_id)).await?;
        let size = self.page_size(1000);
        self.with_key(Operation::ListKeyRotations, key_id, |data, i| {
            let entry = &data.keys[i];
            match entry.rotations() {
                // Without IncludeKeyMaterial, KMS lists completed rotations only:
                // the undated first and pending materials are not among them.
                Some(rotations) => {
                    let dated: Vec<KeyRotation> = rotations.iter().filter_map(KeyRotationFile::rotation).collect();
                    page(dated.into_iter(), dated_len(rotations), marker, size, |r| r)
                }
                None => Err(unrecorded_rotations(&entry.meta)),
            }
        })
    }

    async fn list_key_materials(&self, key_id: &str, marker: Option<&str>) -> Result<Page<KeyMaterial>, ApiError> {
        self.arrive(Operation::ListKeyRotations, Some(key_id)).await?;
        let size = self.page_size(1000);
        self.with_key(Operation::ListKeyRotations, key_id, |data, i| {
            let entry = &data.keys[i];
            match entry.rotations() {
                Some(materials) => page(materials.iter(), materials.len(), marker, size, KeyMaterial::from),
                None => Err(unrecorded_rotations(&entry.meta)),
            }
        })
    }

    async fn get_key_last_usage(&self, key_id: &str) -> Result<KeyLastUsage, ApiError> {
        self.arrive(Operation::GetKeyLastUsage, Some(key_id)).await?;
        self.with_key(Operation::GetKeyLastUsage, key_id, |data, i| {
            match data.keys[i].rare.as_ref().and_then(|rare| rare.last_usage.as_ref()) {
                Some(usage) => Ok(KeyLastUsage::from(usage)),
                None => Err(ApiError::with_kind(
                    "MissingEvidence",
                    "the snapshot holds no GetKeyLastUsage answer for this key (collect records it with last_usage)",
                    ErrorKind::MissingEvidence,
                )),
            }
        })
    }

    async fn rotate_key_on_demand(&self, key_id: &str) -> Result<(), ApiError> {
        self.arrive(Operation::RotateKeyOnDemand, Some(key_id)).await?;
        self.with_key(Operation::RotateKeyOnDemand, key_id, |data, i| {
            let entry = &mut data.keys[i];
            let meta = &entry.meta;
            match meta.state {
                KeyState::Disabled => {
                    return Err(ApiError::new("DisabledException", format!("{} is disabled.", meta.arn)));
                }
                KeyState::PendingDeletion | KeyState::PendingReplicaDeletion | KeyState::PendingImport => {
                    return Err(ApiError::new(
                        "KMSInvalidStateException",
                        format!("{} is {}.", meta.arn, meta.state),
                    ));
                }
                _ => {}
            }
            if meta.manager == KeyManager::Aws
                || meta.spec != KeySpec::SymmetricDefault
                || matches!(meta.origin, Origin::AwsCloudhsm | Origin::ExternalKeyStore)
            {
                return Err(ApiError::new(
                    "UnsupportedOperationException",
                    "RotateKeyOnDemand is not supported for this KMS key.",
                ));
            }
            if meta.is_replica() {
                return Err(ApiError::new(
                    "UnsupportedOperationException",
                    "On-demand rotation of a multi-Region key can be started only on its primary key.",
                ));
            }
            let on_demand = entry.rotations().map_or(0, |rotations| {
                rotations
                    .iter()
                    .filter(|r| r.rotation_type == Some(RotationType::OnDemand))
                    .count()
            });
            if on_demand >= crate::api::ON_DEMAND_ROTATION_LIMIT as usize {
                return Err(ApiError::new(
                    "LimitExceededException",
                    format!(
                        "{} has been rotated on demand {on_demand} times, the most a key allows.",
                        meta.arn
                    ),
                ));
            }
            let key_id = Some(meta.key_id.clone());
            let imported = meta.origin == Origin::External;
            let rotations = entry.rare_mut().rotations.get_or_insert_with(Vec::new);
            if imported {
                // KMS rotates imported material only to material already imported and pending.
                let Some(pending) = rotations
                    .iter()
                    .position(|m| m.key_material_state == Some(KeyMaterialState::PendingRotation))
                else {
                    return Err(ApiError::new(
                        "KMSInvalidStateException",
                        "The key has no imported key material pending rotation: import new key material first.",
                    ));
                };
                for material in rotations.iter_mut() {
                    if material.key_material_state == Some(KeyMaterialState::Current) {
                        material.key_material_state = Some(KeyMaterialState::NonCurrent);
                    }
                }
                let material = &mut rotations[pending];
                material.key_material_state = Some(KeyMaterialState::Current);
                material.rotation_date = Some(Timestamp::now());
                material.rotation_type = Some(RotationType::OnDemand);
                let id = material.key_material_id.clone();
                entry.meta.current_key_material_id = id;
                return Ok(());
            }
            rotations.push(KeyRotationFile {
                key_id,
                rotation_date: Some(Timestamp::now()),
                rotation_type: Some(RotationType::OnDemand),
                ..KeyRotationFile::default()
            });
            Ok(())
        })
    }

    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> Result<Page<Tag>, ApiError> {
        self.arrive(Operation::ListResourceTags, Some(key_id)).await?;
        let size = self.page_size(50);
        self.with_key(Operation::ListResourceTags, key_id, |data, i| {
            let Some(tags) = data.keys[i].tags() else {
                return Err(unrecorded_tags());
            };
            page(tags.iter(), tags.len(), marker, size, |t| Tag {
                key: t.tag_key.clone(),
                value: t.tag_value.clone(),
            })
        })
    }
}

/// A recorded rotation status, as KMS would answer it; a period KMS cannot have
/// answered (outside 90..=2560 days), whether rotation is on or off, is no evidence:
/// the key's finding is ERROR `invalid_response`, as for a live answer.
fn recorded_rotation(file: &RotationFile) -> Result<RotationStatus, ApiError> {
    check_period("GetKeyRotationStatus", file.rotation_period_in_days.map(i64::from))
        .map_err(ApiError::not_retryable)?;
    Ok(RotationStatus::from(file))
}
