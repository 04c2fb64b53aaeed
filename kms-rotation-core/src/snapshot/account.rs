//! The in-memory account: [`Snapshot`], its regions and keys, and the index that finds a key by any of its names.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::format::{ErrorFile, KeyFile, RecordedOperation};
use crate::api::{ApiError, ErrorKind, Operation};
use crate::arn::{ArnParts, check_region_shape};
use crate::aws_json::{KeyMetadataFile, KeyRotationFile, LastUsageFile, RotationFile, TagFile};
use crate::error::{Error, Result};
use crate::model::{KeyLastUsage, KeyMaterial, KeyMetadata, KeyRotation, RotationStatus, Tag};

/// One key of a snapshot, for building snapshots in code (and by `collect`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotKey {
    /// What `DescribeKey` answers.
    pub metadata: KeyMetadata,
    /// What `GetKeyRotationStatus` answers; `None` when never read.
    pub rotation: Option<RotationStatus>,
    /// What `ListKeyRotations` answers (its `Rotations`); `None` when never read.
    pub rotations: Option<Vec<KeyRotation>>,
    /// Alias names pointing at the key.
    pub aliases: Vec<String>,
    /// What `ListResourceTags` answers; `None` when never read (a tag
    /// exemption over it is then missing evidence, never "not tagged").
    pub tags: Option<Vec<Tag>>,
    /// Errors recorded as observed: replayed on every call of an operation for
    /// this key, each final at once (a fact, never retried).
    pub errors: Vec<(Operation, ApiError)>,
    /// `false` for a key known only from `ListKeys` (its `DescribeKey` failed):
    /// only its id and ARN are recorded, never invented metadata.
    metadata_observed: bool,
    /// What `ListKeyRotations` with `IncludeKeyMaterial=ALL_KEY_MATERIAL`
    /// answers (every key material); when set, it is the key's `Rotations`.
    pub materials: Option<Vec<KeyMaterial>>,
    /// What `GetKeyLastUsage` answers; `None` when never read.
    pub last_usage: Option<KeyLastUsage>,
}

impl SnapshotKey {
    /// A key with these facts and nothing else.
    pub fn new(metadata: KeyMetadata, rotation: Option<RotationStatus>) -> Self {
        Self {
            metadata,
            rotation,
            rotations: None,
            aliases: Vec::new(),
            tags: None,
            errors: Vec::new(),
            metadata_observed: true,
            materials: None,
            last_usage: None,
        }
    }

    /// A key known only from `ListKeys` (its id and ARN): what `collect` records
    /// when `DescribeKey` failed, with that error ([`SnapshotKey::with_error`]).
    pub fn unobserved(key_id: &str, key_arn: &str) -> Self {
        let mut metadata = KeyMetadata::symmetric("us-east-1", "000000000000", key_id);
        metadata.arn = key_arn.to_owned();
        metadata.account_id = None;
        Self {
            metadata_observed: false,
            ..Self::new(metadata, None)
        }
    }

    /// Adds alias names.
    pub fn with_aliases<S: Into<String>>(mut self, aliases: impl IntoIterator<Item = S>) -> Self {
        self.aliases.extend(aliases.into_iter().map(Into::into));
        self
    }

    /// Adds a tag (and so records the key's tags as read).
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.tags.get_or_insert_with(Vec::new).push(Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Records the key's tags as read (what `ListResourceTags` answers; none is an answer too).
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = Tag>) -> Self {
        self.tags.get_or_insert_with(Vec::new).extend(tags);
        self
    }

    /// Records the key's completed rotations (what `ListKeyRotations` answers).
    pub fn with_rotations(mut self, rotations: impl IntoIterator<Item = KeyRotation>) -> Self {
        self.rotations = Some(rotations.into_iter().collect());
        self
    }

    /// Records every key material (what `ListKeyRotations` answers with
    /// `IncludeKeyMaterial=ALL_KEY_MATERIAL`, the undated first and pending
    /// materials included); the dated ones are the key's rotations.
    pub fn with_key_materials(mut self, materials: impl IntoIterator<Item = KeyMaterial>) -> Self {
        self.materials = Some(materials.into_iter().collect());
        self
    }

    /// Records what `GetKeyLastUsage` answers for the key.
    pub fn with_last_usage(mut self, usage: KeyLastUsage) -> Self {
        self.last_usage = Some(usage);
        self
    }

    /// Records `error` as observed for `op`: every call of `op` for this key
    /// answers it, final at once (the engine does not retry a recorded fact).
    pub fn with_error(mut self, op: Operation, error: ApiError) -> Self {
        self.errors.push((op, error));
        self
    }
}

/// A call the snapshot client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The client's region.
    pub region: String,
    /// The operation.
    pub operation: Operation,
    /// The key argument, for per-key operations.
    pub key: Option<String>,
}

#[derive(Debug)]
pub(super) struct KeyEntry {
    pub(super) meta: KeyMetadata,
    /// What `GetKeyRotationStatus` answers (as `EnableKeyRotation` leaves it).
    pub(super) rotation_status: Option<RotationFile>,
    pub(super) aliases: Vec<String>,
    /// Whether `ListResourceTags` was answered (the tags themselves, when any, are rare).
    pub(super) tags_recorded: bool,
    /// What few keys have, boxed: the many keys without it pay one pointer.
    pub(super) rare: Option<Box<RareFacts>>,
    /// How the entry is written back when the snapshot is saved.
    pub(super) saved: Saved,
}

#[derive(Debug, Default)]
pub(super) struct RareFacts {
    /// The record, kept only when the model cannot write it (an incomplete record).
    pub(super) key_metadata: Option<Box<KeyMetadataFile>>,
    /// `ListKeyRotations`'s answer (as `RotateKeyOnDemand` leaves it); `None` when never read.
    pub(super) rotations: Option<Vec<KeyRotationFile>>,
    pub(super) tags: Vec<TagFile>,
    /// The entry's `Errors`, as the file gives them.
    pub(super) file_errors: BTreeMap<RecordedOperation, ErrorFile>,
    /// Why `DescribeKey` cannot answer from this record (incomplete or malformed).
    pub(super) describe_error: Option<ApiError>,
    /// Per operation: the error and how many more times to answer it (`None`: always).
    pub(super) errors: Vec<(Operation, (ApiError, Option<u32>))>,
    /// `GetKeyLastUsage`'s answer; `None` when never read.
    pub(super) last_usage: Option<LastUsageFile>,
}

impl KeyEntry {
    pub(super) fn rotations(&self) -> Option<&Vec<KeyRotationFile>> {
        self.rare.as_ref()?.rotations.as_ref()
    }

    /// The recorded tags; `None` when `ListResourceTags` was never answered.
    pub(super) fn tags(&self) -> Option<&[TagFile]> {
        self.tags_recorded
            .then(|| self.rare.as_ref().map_or(&[][..], |rare| &rare.tags))
    }

    pub(super) fn describe_error(&self) -> Option<&ApiError> {
        self.rare.as_ref()?.describe_error.as_ref()
    }

    pub(super) fn rare_mut(&mut self) -> &mut RareFacts {
        self.rare.get_or_insert_with(Box::default)
    }
}

/// How a key entry is written back. A file's text is not kept whole: an entry
/// keeps its own text only when its model would not write it back as it was
/// (members the rules do not read, timestamps in another form, another
/// order), so that a snapshot in memory costs about its model, not its model
/// and its file.
#[derive(Debug)]
pub(super) enum Saved {
    /// A key added in code: the typed record, members in their usual order.
    Typed,
    /// A file's entry that is exactly what its model writes (apart from
    /// whitespace): written from the model. The flags say whether the entry
    /// had `RotationStatus` and `Rotations`, so that a status or history set
    /// later goes where it would go in the entry's text.
    AsRead { rotation_status: bool, rotations: bool },
    /// The entry's own JSON, without the whitespace between tokens.
    Text(Box<str>),
}

#[derive(Debug, Default)]
pub(super) struct RegionData {
    pub(super) keys: Vec<KeyEntry>,
    /// Every alias as (key position, alias position), in listing order.
    pub(super) aliases: Vec<(u32, u32)>,
    /// Key ids, alias names and the ARNs that end otherwise → position in `keys`.
    index: NameIndex,
    pub(super) errors: HashMap<Operation, (ApiError, Option<u32>)>,
}

/// Names of a region's keys → their positions. The table holds only
/// positions, each with which of the key's names it stands for; the names
/// themselves are the keys' own, not copies (a fast hash: the names are the
/// snapshot's, not an attacker's).
#[derive(Debug, Default)]
struct NameIndex {
    table: hashbrown::HashTable<Named>,
    hasher: foldhash::fast::RandomState,
}

/// A key's position and which of its names: its id, its ARN, or its alias number n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Named {
    position: u32,
    name: NameOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameOf {
    KeyId,
    Arn,
    Alias(u32),
}

impl Named {
    fn name(self, keys: &[KeyEntry]) -> &str {
        let key = &keys[self.position as usize];
        match self.name {
            NameOf::KeyId => &key.meta.key_id,
            NameOf::Arn => &key.meta.arn,
            NameOf::Alias(n) => &key.aliases[n as usize],
        }
    }
}

impl NameIndex {
    fn get(&self, keys: &[KeyEntry], name: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(name);
        self.table
            .find(hash, |named| named.name(keys) == name)
            .map(|named| named.position as usize)
    }

    /// Points `named`'s name at its key; a name already indexed now names this key.
    fn insert(&mut self, keys: &[KeyEntry], named: Named) {
        let name = named.name(keys);
        let hash = self.hasher.hash_one(name);
        let hasher = &self.hasher;
        match self.table.entry(
            hash,
            |other| other.name(keys) == name,
            |other| hasher.hash_one(other.name(keys)),
        ) {
            hashbrown::hash_table::Entry::Occupied(mut entry) => *entry.get_mut() = named,
            hashbrown::hash_table::Entry::Vacant(entry) => {
                entry.insert(named);
            }
        }
    }
}

impl RegionData {
    /// Room for `keys` more keys, each with an alias, so that a large file
    /// is not copied and rehashed as it grows.
    pub(super) fn reserve(&mut self, keys: usize) {
        self.keys.reserve(keys);
        self.aliases.reserve(keys);
        let RegionData {
            keys: entries, index, ..
        } = self;
        let hasher = &index.hasher;
        index
            .table
            .reserve(2 * keys, |named| hasher.hash_one(named.name(entries)));
    }

    /// The position of the key named by id, ARN, alias name or alias ARN.
    pub(super) fn position(&self, key: &str) -> Option<usize> {
        if let Some(position) = self.index.get(&self.keys, key) {
            return Some(position);
        }
        // An ARN: the key id or alias name it ends with, if the key's ARN agrees.
        let named = ArnParts::of(key)?;
        let name = named.key_or_alias()?;
        let position = self.index.get(&self.keys, name)?;
        let meta = &self.keys[position].meta;
        // `key/ID` names a key id, never an alias name that the index also holds.
        let same_kind = named.resource.starts_with("alias/") || meta.key_id == name;
        let own = ArnParts::of(&meta.arn)?;
        (same_kind && own.prefix == named.prefix).then_some(position)
    }
}

#[derive(Debug)]
pub(super) struct Bucket {
    pub(super) rate: f64,
    pub(super) tokens: f64,
    pub(super) last: Instant,
}

#[derive(Debug, Default)]
pub(super) struct Settings {
    pub(super) page_size: Option<usize>,
    pub(super) latency: Option<Duration>,
    pub(super) rate_limits: HashMap<Operation, f64>,
    pub(super) record_calls: bool,
    /// The file it was loaded from, as its path was given.
    pub(super) path: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) account_id: Option<String>,
    pub(super) regions: Mutex<BTreeMap<String, RegionData>>,
    pub(super) settings: Mutex<Settings>,
    pub(super) calls: Mutex<Vec<Call>>,
    pub(super) buckets: Mutex<HashMap<(String, Operation), Bucket>>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent even if a holder panicked.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An account's KMS facts in memory; [`Snapshot::client`] serves one region of it.
///
/// Cloning shares the same state: a change made through one client (e.g.
/// `EnableKeyRotation`) is seen by all.
///
/// ```
/// use kms_rotation_core::{Snapshot, SnapshotKey, KeyMetadata, RotationStatus};
/// let snapshot = Snapshot::new(Some("111122223333"));
/// let key = KeyMetadata::symmetric("us-east-1", "111122223333", "1234abcd-12ab-34cd-56ef-1234567890ab");
/// snapshot.add_key("us-east-1", SnapshotKey::new(key, Some(RotationStatus::default())).with_aliases(["alias/app"]))?;
/// let again = kms_rotation_core::Snapshot::from_json(&snapshot.to_json())?;
/// assert_eq!(again.regions(), vec!["us-east-1".to_string()]);
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(super) shared: Arc<Shared>,
}

impl Snapshot {
    /// An empty account.
    pub fn new(account_id: Option<&str>) -> Self {
        let shared = Shared {
            account_id: account_id.map(str::to_owned),
            ..Shared::default()
        };
        lock(&shared.settings).record_calls = true;
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Adds an empty region (a region with no keys still answers `ListKeys`).
    pub fn add_region(&self, region: &str) {
        lock(&self.shared.regions).entry(region.to_owned()).or_default();
    }

    /// Adds a key to a region.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the key's ARN is not in `region`, or the key is already there.
    pub fn add_key(&self, region: &str, key: SnapshotKey) -> Result<()> {
        check_region_shape(region)?;
        // An observed key's record is written from its model when saved; an
        // unobserved one's is only its id and ARN.
        let key_metadata = (!key.metadata_observed).then(|| {
            Box::new(KeyMetadataFile {
                key_id: Some(key.metadata.key_id.clone()),
                arn: Some(key.metadata.arn.clone()),
                ..KeyMetadataFile::default()
            })
        });
        let file = KeyFile {
            key_metadata,
            rotation_status: key.rotation.as_ref().map(RotationFile::from),
            rotations: match &key.materials {
                Some(materials) => Some(materials.iter().map(KeyRotationFile::from).collect()),
                None => key
                    .rotations
                    .as_ref()
                    .map(|rotations| rotations.iter().map(KeyRotationFile::from).collect()),
            },
            aliases: key.aliases.clone(),
            tags: key.tags.as_ref().map(|tags| {
                tags.iter()
                    .map(|t| TagFile {
                        tag_key: t.key.clone(),
                        tag_value: t.value.clone(),
                    })
                    .collect()
            }),
            errors: key
                .errors
                .iter()
                .map(|(op, e)| {
                    (
                        RecordedOperation::Called(*op),
                        ErrorFile {
                            code: e.code.clone(),
                            message: e.message.clone(),
                            times: None,
                        },
                    )
                })
                .collect(),
            last_usage: key
                .last_usage
                .as_ref()
                .map(|usage| LastUsageFile::from_model(&key.metadata.key_id, usage)),
        };
        let describe_error = (!key.metadata_observed).then(|| {
            ApiError::with_kind(
                "IncompleteMetadata",
                "the record of this key holds only its id and ARN",
                ErrorKind::IncompleteMetadata,
            )
        });
        self.insert(region, file, key.metadata, describe_error, Saved::Typed, true)
    }

    /// Adds a key entry. A key already there (same id or ARN) is one key:
    /// `strict` refuses the second, otherwise it is left out.
    pub(super) fn insert(
        &self,
        region: &str,
        file: KeyFile,
        mut meta: KeyMetadata,
        describe_error: Option<ApiError>,
        saved: Saved,
        strict: bool,
    ) -> Result<()> {
        if !meta.arn.is_empty() && !arn_in_region(&meta.arn, region) {
            return Err(Error::invalid(
                "snapshot key",
                &meta.arn,
                format!("its ARN is not in region {region}"),
            ));
        }
        let mut regions = lock(&self.shared.regions);
        let data = regions.entry(region.to_owned()).or_default();
        if data.position(&meta.key_id).is_some() || (!meta.arn.is_empty() && data.position(&meta.arn).is_some()) {
            if strict {
                return Err(Error::invalid(
                    "snapshot key",
                    &meta.key_id,
                    format!("listed twice in {region}"),
                ));
            }
            return Ok(());
        }
        let position = u32::try_from(data.keys.len()).map_err(|_| {
            Error::invalid(
                "snapshot key",
                &meta.key_id,
                format!("{region} holds more keys than a snapshot can ({})", u32::MAX),
            )
        })?;
        let aliases = u32::try_from(file.aliases.len()).unwrap_or(u32::MAX);
        let arn_names_id = ArnParts::of(&meta.arn).and_then(|parts| parts.key_or_alias()) == Some(meta.key_id.as_str());
        let index_arn = !meta.arn.is_empty() && !arn_names_id;
        let KeyFile {
            key_metadata,
            rotation_status,
            rotations,
            aliases: names,
            tags,
            errors: file_errors,
            last_usage,
        } = file;
        let errors: Vec<_> = file_errors
            .iter()
            .filter_map(|(op, e)| match op {
                RecordedOperation::Called(op) => {
                    Some((*op, (ApiError::new(e.code.clone(), e.message.clone()), e.times)))
                }
                RecordedOperation::NeverCalled(_) => None,
            })
            .collect();
        for (op, e) in &file_errors {
            if let RecordedOperation::NeverCalled(name) = op {
                meta.ignored.push(format!(
                    "a recorded {name} error ({}: {}), an operation this tool never calls",
                    e.code, e.message
                ));
            }
        }
        let tags_recorded = tags.is_some();
        let tags = tags.unwrap_or_default();
        let rare = (key_metadata.is_some()
            || rotations.is_some()
            || last_usage.is_some()
            || !tags.is_empty()
            || !errors.is_empty()
            || describe_error.is_some())
        .then(|| {
            Box::new(RareFacts {
                key_metadata,
                rotations,
                tags,
                file_errors,
                describe_error,
                errors,
                last_usage,
            })
        });
        data.keys.push(KeyEntry {
            meta,
            rotation_status,
            aliases: names,
            tags_recorded,
            rare,
            saved,
        });
        // Key ids and alias names are indexed; an ARN is found through the id
        // or alias name it ends with (indexed itself only when it ends otherwise).
        let RegionData {
            keys,
            aliases: all_aliases,
            index,
            ..
        } = data;
        index.insert(
            keys,
            Named {
                position,
                name: NameOf::KeyId,
            },
        );
        if index_arn {
            index.insert(
                keys,
                Named {
                    position,
                    name: NameOf::Arn,
                },
            );
        }
        for n in 0..aliases {
            all_aliases.push((position, n));
            index.insert(
                keys,
                Named {
                    position,
                    name: NameOf::Alias(n),
                },
            );
        }
        Ok(())
    }

    /// Makes every call of `op` in `region` fail with `error` (e.g. `UnrecognizedClientException` on `ListKeys`),
    /// recorded as observed: final at once, never retried.
    pub fn set_region_error(&self, region: &str, op: Operation, error: ApiError) {
        lock(&self.shared.regions)
            .entry(region.to_owned())
            .or_default()
            .errors
            .insert(op, (error, None));
    }

    /// The regions whose keys could not be listed (a recorded `ListKeys`
    /// error), with that error: what `collect` could not read.
    pub fn unlisted_regions(&self) -> Vec<(String, ApiError)> {
        lock(&self.shared.regions)
            .iter()
            .filter_map(|(region, data)| {
                data.errors
                    .get(&Operation::ListKeys)
                    .map(|(error, _)| (region.clone(), error.clone()))
            })
            .collect()
    }

    /// The account id, when the file names one.
    pub fn account_id(&self) -> Option<String> {
        self.shared.account_id.clone()
    }

    /// The regions in the snapshot, sorted.
    pub fn regions(&self) -> Vec<String> {
        lock(&self.shared.regions).keys().cloned().collect()
    }
    /// Serves at most `size` entries per listing page (AWS's own maxima still apply).
    pub fn set_page_size(&self, size: usize) {
        lock(&self.shared.settings).page_size = Some(size.max(1));
    }

    /// Waits this long before answering each call.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared.settings).latency = Some(latency);
    }

    /// Answers `ThrottlingException` beyond `rps` requests per second of `op` per region.
    pub fn set_rate_limit(&self, op: Operation, rps: f64) {
        lock(&self.shared.settings).rate_limits.insert(op, rps);
        lock(&self.shared.buckets).clear();
    }

    /// Enforces AWS's own request quotas for every operation.
    pub fn set_aws_quotas(&self) {
        for op in Operation::ALL {
            self.set_rate_limit(op, op.aws_quota_rps());
        }
    }

    /// Keeps (`true`, the default) or stops keeping the call log.
    pub fn set_record_calls(&self, record: bool) {
        lock(&self.shared.settings).record_calls = record;
    }

    /// The calls received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// Forgets the calls received so far.
    pub fn clear_calls(&self) {
        lock(&self.shared.calls).clear();
    }

    /// The current rotation status of a key as stored (not as a replica mirrors it).
    pub fn stored_rotation(&self, region: &str, key: &str) -> Option<RotationStatus> {
        let regions = lock(&self.shared.regions);
        let data = regions.get(region)?;
        let entry = &data.keys[data.position(key)?];
        entry.rotation_status.as_ref().map(RotationStatus::from)
    }
}

/// Whether `arn` is a KMS ARN in `region`.
pub(super) fn arn_in_region(arn: &str, region: &str) -> bool {
    ArnParts::of(arn).is_some_and(|parts| parts.is_kms_in(region))
}
