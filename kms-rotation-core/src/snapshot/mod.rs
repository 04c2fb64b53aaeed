//! The snapshot client: an account's KMS facts held in memory, served through
//! [`KmsClient`], loaded from and saved to the snapshot JSON of `DESIGN.md`.
//!
//! The file keeps the AWS API's own PascalCase shapes, so the output of
//! `aws kms describe-key` can be pasted in as a key. Used for offline audits,
//! the demo, tests and benches; it can replay errors, add latency, enforce
//! request quotas and log every call it receives.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

mod cloudsploit;
mod transport;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::api::ROTATION_PERIOD_RANGE;
use crate::api::{ApiError, ErrorKind, Operation};
use crate::arn::{Arn, ArnParts, check_region_shape};
use crate::aws_json::{KeyMetadataFile, KeyRotationFile, RotationFile, TagFile, check_period};
use crate::client::{Clients, KmsClient};
use crate::error::{Error, Result};
use crate::json_input::{JsonProblem, check_unique_keys, text_from};
use crate::model::{
    Alias, KeyListEntry, KeyManager, KeyMetadata, KeyRotation, KeySpec, KeyState, Origin, Page, RotationStatus,
    RotationType, Tag, Timestamp,
};
pub use transport::SnapshotTransport;

// ---------------------------------------------------------------------------
// The file format (AWS PascalCase shapes).

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AccountFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    regions: BTreeMap<String, RegionFile>,
}

/// The file read in one typed pass: the fast path, taken when every entry
/// reads cleanly. A region named twice is refused with its line and column.
#[derive(Debug, Deserialize)]
struct AccountFileFast<'a> {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(borrow)]
    regions: UniqueRegions<'a>,
}

#[derive(Debug, Deserialize)]
struct RegionFileFast<'a> {
    /// Each entry's text, borrowed from the file.
    #[serde(default, borrow)]
    keys: Vec<&'a RawValue>,
    #[serde(rename = "Errors", default)]
    errors: BTreeMap<Operation, ErrorFile>,
}

/// Regions in file order; a name given twice is an error (JSON would keep the last).
#[derive(Debug)]
struct UniqueRegions<'a>(Vec<(String, RegionFileFast<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for UniqueRegions<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Regions<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Regions<'a> {
            type Value = UniqueRegions<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of regions")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<UniqueRegions<'a>, A::Error> {
                let mut regions: Vec<(String, RegionFileFast<'a>)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if regions.iter().any(|(seen, _)| *seen == name) {
                        return Err(serde::de::Error::custom(format!(
                            "the key {name:?} is given twice in one object"
                        )));
                    }
                    regions.push((name, map.next_value()?));
                }
                Ok(UniqueRegions(regions))
            }
        }
        deserializer.deserialize_map(Regions(std::marker::PhantomData))
    }
}

/// The file as read: key entries stay JSON until each is read on its own, so
/// that one odd key never sinks the file.
#[derive(Debug, Deserialize)]
struct AccountFileIn {
    #[serde(default)]
    account_id: Option<String>,
    regions: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct RegionFileIn {
    #[serde(default)]
    keys: Vec<Value>,
    #[serde(rename = "Errors", default)]
    errors: BTreeMap<Operation, ErrorFile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct RegionFile {
    #[serde(default)]
    keys: Vec<Value>,
    #[serde(rename = "Errors", default, skip_serializing_if = "BTreeMap::is_empty")]
    errors: BTreeMap<Operation, ErrorFile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyFile {
    /// Required in a file; once the model is made from it, kept only when the
    /// model cannot write it back (an incomplete record, a key known only by
    /// its id and ARN): otherwise it is written from the model when saved.
    #[serde(deserialize_with = "required_record", skip_serializing_if = "Option::is_none")]
    key_metadata: Option<Box<KeyMetadataFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotation_status: Option<RotationFile>,
    /// `ListKeyRotations`'s `Rotations`, as the API returns them; `None` when never read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotations: Option<Vec<KeyRotationFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    /// `ListResourceTags`'s answer; `None` when never read (`[]`: read, no tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<TagFile>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    errors: BTreeMap<Operation, ErrorFile>,
}

/// A failure to replay: `Times` fails only the first N calls, then answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorFile {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
}

// ---------------------------------------------------------------------------
// The in-memory account.

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
    /// Errors replayed on every call of an operation for this key.
    pub errors: Vec<(Operation, ApiError)>,
    /// `false` for a key known only from `ListKeys` (its `DescribeKey` failed):
    /// only its id and ARN are recorded, never invented metadata.
    metadata_observed: bool,
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

    /// Replays `error` on every call of `op` for this key.
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
struct KeyEntry {
    meta: KeyMetadata,
    /// What `GetKeyRotationStatus` answers (as `EnableKeyRotation` leaves it).
    rotation_status: Option<RotationFile>,
    aliases: Vec<String>,
    /// Whether `ListResourceTags` was answered (the tags themselves, when any, are rare).
    tags_recorded: bool,
    /// What few keys have, boxed: the many keys without it pay one pointer.
    rare: Option<Box<RareFacts>>,
    /// How the entry is written back when the snapshot is saved.
    saved: Saved,
}

#[derive(Debug, Default)]
struct RareFacts {
    /// The record, kept only when the model cannot write it (an incomplete record).
    key_metadata: Option<Box<KeyMetadataFile>>,
    /// `ListKeyRotations`'s answer (as `RotateKeyOnDemand` leaves it); `None` when never read.
    rotations: Option<Vec<KeyRotationFile>>,
    tags: Vec<TagFile>,
    /// The entry's `Errors`, as the file gives them.
    file_errors: BTreeMap<Operation, ErrorFile>,
    /// Why `DescribeKey` cannot answer from this record (incomplete or malformed).
    describe_error: Option<ApiError>,
    /// Per operation: the error and how many more times to answer it (`None`: always).
    errors: Vec<(Operation, (ApiError, Option<u32>))>,
}

impl KeyEntry {
    fn rotations(&self) -> Option<&Vec<KeyRotationFile>> {
        self.rare.as_ref()?.rotations.as_ref()
    }

    /// The recorded tags; `None` when `ListResourceTags` was never answered.
    fn tags(&self) -> Option<&[TagFile]> {
        self.tags_recorded
            .then(|| self.rare.as_ref().map_or(&[][..], |rare| &rare.tags))
    }

    fn describe_error(&self) -> Option<&ApiError> {
        self.rare.as_ref()?.describe_error.as_ref()
    }

    fn rare_mut(&mut self) -> &mut RareFacts {
        self.rare.get_or_insert_with(Box::default)
    }
}

/// How a key entry is written back. A file's text is not kept whole: an entry
/// keeps its own text only when its model would not write it back as it was
/// (members the rules do not read, timestamps in another form, another
/// order), so that a snapshot in memory costs about its model, not its model
/// and its file.
#[derive(Debug)]
enum Saved {
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

/// A key entry's JSON as read: a range of the file's text (the fast path), or
/// the entry written out again (the lenient path).
enum EntryText<'a> {
    InFile(&'a str),
    Written(String),
}

impl EntryText<'_> {
    fn get(&self) -> &str {
        match self {
            EntryText::InFile(text) => text,
            EntryText::Written(text) => text,
        }
    }
}

#[derive(Debug, Default)]
struct RegionData {
    keys: Vec<KeyEntry>,
    /// Every alias as (key position, alias position), in listing order.
    aliases: Vec<(u32, u32)>,
    /// Key ids, alias names and the ARNs that end otherwise → position in `keys`.
    index: NameIndex,
    errors: HashMap<Operation, (ApiError, Option<u32>)>,
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
    fn reserve(&mut self, keys: usize) {
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
    fn position(&self, key: &str) -> Option<usize> {
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
struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

#[derive(Debug, Default)]
struct Settings {
    page_size: Option<usize>,
    latency: Option<Duration>,
    rate_limits: HashMap<Operation, f64>,
    record_calls: bool,
    /// The file it was loaded from, as its path was given.
    path: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    account_id: Option<String>,
    regions: Mutex<BTreeMap<String, RegionData>>,
    settings: Mutex<Settings>,
    calls: Mutex<Vec<Call>>,
    buckets: Mutex<HashMap<(String, Operation), Bucket>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
    shared: Arc<Shared>,
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

    /// Parses snapshot JSON. Only invalid JSON or a wrong top-level shape
    /// rejects the text: a key entry that cannot be read (a wrong-typed or
    /// missing field, a paste one level too deep) becomes an `ERROR` finding
    /// naming the field, and the rest is judged. See [`Snapshot::from_json_strict`].
    ///
    /// # Errors
    /// [`Error::MalformedSnapshot`] with line and column when the text is not
    /// JSON of a snapshot's shape, or an object key is given twice.
    pub fn from_json(text: &str) -> Result<Self> {
        Self::parse(text, None, false)
    }

    /// Parses snapshot JSON, refusing the whole text for any key entry that
    /// cannot be read completely, or a key listed twice.
    ///
    /// # Errors
    /// As [`Snapshot::from_json`], plus [`Error::InvalidInput`] naming the key and field.
    pub fn from_json_strict(text: &str) -> Result<Self> {
        Self::parse(text, None, true)
    }

    /// Reads a snapshot file (leniently, as [`Snapshot::from_json`]).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; the file's encoding named
    /// plainly (UTF-16, a byte-order mark); otherwise as [`Snapshot::from_json`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(path.as_ref(), false)
    }

    /// Reads a snapshot file strictly, as [`Snapshot::from_json_strict`].
    ///
    /// # Errors
    /// As [`Snapshot::load`] and [`Snapshot::from_json_strict`].
    pub fn load_strict(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(path.as_ref(), true)
    }

    /// Reads a CloudSploit collection (the file `cloudsploit --collection FILE`
    /// writes): its `kms.listKeys`, `kms.listAliases`, `kms.describeKey` and
    /// `kms.getKeyRotationStatus` answers and recorded errors, as a snapshot.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::MalformedSnapshot`]
    /// when it is not JSON or not a CloudSploit collection of an AWS account.
    pub fn load_cloudsploit_collection(path: impl AsRef<Path>) -> Result<Self> {
        let (text, source_name) = read_text(path.as_ref())?;
        Self::parse_cloudsploit(&text, source_name)
    }

    /// [`Snapshot::load_cloudsploit_collection`] from text.
    ///
    /// # Errors
    /// As [`Snapshot::load_cloudsploit_collection`].
    pub fn from_cloudsploit_collection(text: &str) -> Result<Self> {
        Self::parse_cloudsploit(text, None)
    }

    fn parse_cloudsploit(text: &str, source_name: Option<String>) -> Result<Self> {
        let collection: Value =
            serde_json::from_str(text).map_err(|e| malformed(&source_name, JsonProblem::from(e)))?;
        let file = cloudsploit::snapshot_json(&collection).map_err(|why| {
            malformed(
                &source_name,
                JsonProblem {
                    line: 1,
                    column: 1,
                    message: format!("not a CloudSploit collection: {why}"),
                },
            )
        })?;
        Self::parse(&file.to_string(), source_name, false)
    }

    fn load_with(path: &Path, strict: bool) -> Result<Self> {
        let (text, source_name) = read_text(path)?;
        let snapshot = Self::parse(&text, source_name, strict)?;
        lock(&snapshot.shared.settings).path = Some(path.display().to_string());
        Ok(snapshot)
    }

    /// The file this snapshot was loaded from, as its path was given (`None` when made in code).
    pub fn path(&self) -> Option<String> {
        lock(&self.shared.settings).path.clone()
    }

    /// The snapshot of `text`; nothing of it refers to `text` afterwards.
    fn parse(text: &str, source_name: Option<String>, strict: bool) -> Result<Self> {
        // Fast path: every entry reads cleanly as typed (and names its key: an
        // entry without KeyId or Arn is a paste the slow path explains).
        if let Some(snapshot) = Self::parse_typed(text, strict) {
            return snapshot;
        }
        check_unique_keys(text).map_err(|problem| malformed(&source_name, problem))?;
        if let Some(problem) = not_an_object(text) {
            return Err(malformed(&source_name, problem));
        }
        let file: AccountFileIn =
            serde_json::from_str(text).map_err(|e| malformed(&source_name, JsonProblem::from(e)))?;
        let snapshot = Snapshot::new(file.account_id.as_deref());
        for (region, region_value) in file.regions {
            check_region_shape(&region)?;
            let region_file = RegionFileIn::deserialize(&region_value).map_err(|e| {
                malformed(
                    &source_name,
                    JsonProblem {
                        line: 1,
                        column: 1,
                        message: format!("region {region}: {e}"),
                    },
                )
            })?;
            snapshot.add_region(&region);
            for (index, entry) in region_file.keys.into_iter().enumerate() {
                snapshot.add_entry(&region, index, entry, strict)?;
            }
            let mut regions = lock(&snapshot.shared.regions);
            let data = regions.entry(region).or_default();
            for (op, error) in region_file.errors {
                data.errors
                    .insert(op, (ApiError::new(error.code, error.message), error.times));
            }
        }
        Ok(snapshot)
    }

    /// The fast path: the file read in one typed pass, each entry added as it
    /// is read. `None` when any entry needs the lenient path (or the file is
    /// malformed: the lenient path says where). The first error of adding
    /// the entries is the answer only once every entry has read cleanly, as if
    /// all were read before any was added.
    fn parse_typed(text: &str, strict: bool) -> Option<Result<Self>> {
        let file = serde_json::from_str::<AccountFileFast<'_>>(text).ok()?;
        let snapshot = Snapshot::new(file.account_id.as_deref());
        let mut first_error: Option<Error> = None;
        for (region, region_file) in file.regions.0 {
            if first_error.is_none()
                && let Err(error) = check_region_shape(&region)
            {
                first_error = Some(error);
            }
            if first_error.is_none() {
                snapshot.add_region(&region);
            }
            if first_error.is_none() {
                lock(&snapshot.shared.regions)
                    .entry(region.clone())
                    .or_default()
                    .reserve(region_file.keys.len());
            }
            for (index, raw) in region_file.keys.into_iter().enumerate() {
                let entry: KeyFile = serde_json::from_str(raw.get()).ok()?;
                if entry
                    .key_metadata
                    .as_ref()
                    .is_none_or(|record| record.key_id.is_none() && record.arn.is_none())
                {
                    return None;
                }
                if first_error.is_none()
                    && let Err(error) = snapshot.add_file(&region, index, entry, EntryText::InFile(raw.get()), strict)
                {
                    first_error = Some(error);
                }
            }
            if first_error.is_none() {
                let mut regions = lock(&snapshot.shared.regions);
                let data = regions.entry(region).or_default();
                for (op, error) in region_file.errors {
                    data.errors
                        .insert(op, (ApiError::new(error.code, error.message), error.times));
                }
            }
        }
        Some(match first_error {
            Some(error) => Err(error),
            None => Ok(snapshot),
        })
    }

    /// Reads one key entry; what cannot be read is recorded as unknown (or, `strict`, refused).
    fn add_entry(&self, region: &str, index: usize, entry: Value, strict: bool) -> Result<()> {
        let place = format!("{region} key #{}", index + 1);
        match read_entry(&entry) {
            Ok(file) => {
                let text = EntryText::Written(entry.to_string());
                self.add_file(region, index, file, text, strict)
            }
            Err(problem) if strict => Err(Error::invalid("snapshot key", place, problem)),
            Err(problem) => self.add_unreadable(region, index, entry, format!("{place}: {problem}")),
        }
    }

    /// Adds a key entry that was read: a record lacking what the table needs
    /// is listed and answers `DescribeKey` with what it lacks.
    fn add_file(&self, region: &str, index: usize, mut file: KeyFile, text: EntryText<'_>, strict: bool) -> Result<()> {
        let place = || format!("{region} key #{}", index + 1);
        let record = file.key_metadata.take().unwrap_or_default();
        let missing = record.missing();
        let (meta, describe_error) = if missing.is_empty() {
            (record.into_model().expect("nothing missing"), None)
        } else {
            let what = format!("the record of this key lacks {}", missing.join(", "));
            if strict {
                return Err(Error::invalid("snapshot key", place(), what));
            }
            let meta = placeholder(region, &record.id(), record.arn.clone(), index);
            file.key_metadata = Some(record);
            let error = ApiError::with_kind("IncompleteMetadata", what, ErrorKind::IncompleteMetadata);
            (meta, Some(error))
        };
        if strict && meta.spec_inferred {
            return Err(Error::invalid(
                "snapshot key",
                place(),
                "it has neither KeySpec nor CustomerMasterKeySpec",
            ));
        }
        let elsewhere = !meta.arn.is_empty() && !arn_in_region(&meta.arn, region);
        if elsewhere && !strict {
            let place = place();
            let entry = serde_json::from_str(text.get()).unwrap_or(Value::Null);
            let reason = format!("{place}: its ARN {} is not in region {region}", meta.arn);
            return self.add_unreadable(region, index, entry, reason);
        }
        let saved = match text {
            EntryText::InFile(text) if describe_error.is_none() => Saved::of_entry(text, &mut file, &meta),
            EntryText::InFile(text) => Saved::Text(without_whitespace(text)),
            EntryText::Written(text) => Saved::Text(text.into_boxed_str()),
        };
        self.insert(region, file, meta, describe_error, saved, strict)
    }

    /// A key entry that cannot be read: listed by whatever id or ARN it shows,
    /// answered with an error naming the problem, saved back verbatim.
    fn add_unreadable(&self, region: &str, index: usize, entry: Value, problem: String) -> Result<()> {
        let meta_value = entry.get("KeyMetadata").unwrap_or(&entry);
        let text = |name: &str| meta_value.get(name).and_then(Value::as_str).map(str::to_owned);
        let arn = text("Arn").filter(|arn| Arn::parse(arn).is_ok_and(|parsed| parsed.region == region));
        let id = text("KeyId").or_else(|| {
            arn.as_deref()
                .and_then(|a| a.rsplit_once(":key/"))
                .map(|(_, id)| id.to_owned())
        });
        let meta = placeholder(region, &id, arn, index);
        let error = ApiError::with_kind("MalformedSnapshotKey", problem, ErrorKind::InvalidResponse).not_retryable();
        let saved = Saved::Text(entry.to_string().into_boxed_str());
        self.insert(region, KeyFile::default(), meta, Some(error), saved, false)
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
            rotations: key
                .rotations
                .as_ref()
                .map(|rotations| rotations.iter().map(KeyRotationFile::from).collect()),
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
                        *op,
                        ErrorFile {
                            code: e.code.clone(),
                            message: e.message.clone(),
                            times: None,
                        },
                    )
                })
                .collect(),
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
    fn insert(
        &self,
        region: &str,
        file: KeyFile,
        meta: KeyMetadata,
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
        } = file;
        let errors: Vec<_> = file_errors
            .iter()
            .map(|(op, e)| (*op, (ApiError::new(e.code.clone(), e.message.clone()), e.times)))
            .collect();
        let tags_recorded = tags.is_some();
        let tags = tags.unwrap_or_default();
        let rare = (key_metadata.is_some()
            || rotations.is_some()
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

    /// Makes every call of `op` in `region` fail with `error` (e.g. `UnrecognizedClientException` on `ListKeys`).
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

    /// The snapshot JSON, pretty-printed, with any changes made through the clients.
    pub fn to_json(&self) -> String {
        let regions = lock(&self.shared.regions);
        let file = AccountFile {
            account_id: self.shared.account_id.clone(),
            regions: regions
                .iter()
                .map(|(name, data)| {
                    let region_file = RegionFile {
                        keys: data.keys.iter().map(KeyEntry::to_value).collect(),
                        errors: data
                            .errors
                            .iter()
                            .map(|(op, (e, times))| {
                                (
                                    *op,
                                    ErrorFile {
                                        code: e.code.clone(),
                                        message: e.message.clone(),
                                        times: *times,
                                    },
                                )
                            })
                            .collect(),
                    };
                    (name.clone(), region_file)
                })
                .collect(),
        };
        serde_json::to_string_pretty(&file).expect("a snapshot always serializes")
    }

    /// Writes the snapshot JSON to a file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json() + "\n").map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// The account id, when the file names one.
    pub fn account_id(&self) -> Option<String> {
        self.shared.account_id.clone()
    }

    /// The regions in the snapshot, sorted.
    pub fn regions(&self) -> Vec<String> {
        lock(&self.shared.regions).keys().cloned().collect()
    }

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
        for op in Operation::KMS {
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

// ---------------------------------------------------------------------------
impl KeyEntry {
    /// The entry as saved: as the file gave it (with the rotation status and
    /// history as they are now, after any remediation), or the typed record
    /// for keys added in code.
    fn to_value(&self) -> Value {
        let mut value = match &self.saved {
            Saved::Typed => return serde_json::to_value(self.file_with_record(true, true)).unwrap_or(Value::Null),
            Saved::AsRead {
                rotation_status,
                rotations,
            } => serde_json::to_value(self.file_with_record(*rotation_status, *rotations)).unwrap_or(Value::Null),
            Saved::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        };
        if let (Value::Object(entry), Some(status)) = (&mut value, &self.rotation_status)
            && entry.contains_key("KeyMetadata")
        {
            entry.insert(
                "RotationStatus".to_owned(),
                serde_json::to_value(status).unwrap_or(Value::Null),
            );
        }
        if let (Value::Object(entry), Some(rotations)) = (&mut value, self.rotations())
            && entry.contains_key("KeyMetadata")
        {
            entry.insert(
                "Rotations".to_owned(),
                serde_json::to_value(rotations).unwrap_or(Value::Null),
            );
        }
        value
    }

    /// The typed entry with its `KeyMetadata` (written from the model unless
    /// the record is kept), and its rotation status and history if `rotation_status`
    /// and `rotations`.
    fn file_with_record(&self, rotation_status: bool, rotations: bool) -> KeyFile {
        let record = match self.rare.as_ref().and_then(|rare| rare.key_metadata.as_ref()) {
            Some(record) => record.clone(),
            None => Box::new(KeyMetadataFile::from_model(&self.meta)),
        };
        KeyFile {
            key_metadata: Some(record),
            rotation_status: self.rotation_status.clone().filter(|_| rotation_status),
            rotations: self.rotations().cloned().filter(|_| rotations),
            aliases: self.aliases.clone(),
            tags: self.tags().map(<[TagFile]>::to_vec),
            errors: self
                .rare
                .as_ref()
                .map(|rare| rare.file_errors.clone())
                .unwrap_or_default(),
        }
    }
}

impl Saved {
    /// How a file's complete entry is saved: from its model when the model
    /// writes exactly the entry's JSON (whitespace between tokens aside), else
    /// as its text. Written as the text is (pretty at the entry's indentation,
    /// or compact), an entry this crate saved compares as a plain run of bytes.
    fn of_entry(text: &str, file: &mut KeyFile, meta: &KeyMetadata) -> Saved {
        file.key_metadata = Some(Box::new(KeyMetadataFile::from_model(meta)));
        let bytes = text.as_bytes();
        // A pretty entry's last line is its closing brace at the entry's own indentation.
        let last_line = bytes.rsplit(|b| *b == b'\n').next().unwrap_or_default();
        let mut written = Indented {
            out: Vec::with_capacity(text.len()),
            indent: &last_line[..last_line.len() - last_line.trim_ascii_start().len()],
        };
        let _ = match last_line.len() < bytes.len() {
            true => serde_json::to_writer_pretty(&mut written, &*file),
            false => serde_json::to_writer(&mut written, &*file),
        };
        file.key_metadata = None;
        if bytes == written.out || same_json_text(bytes, &written.out) {
            Saved::AsRead {
                rotation_status: file.rotation_status.is_some(),
                rotations: file.rotations.is_some(),
            }
        } else {
            Saved::Text(without_whitespace(text))
        }
    }
}

/// Pretty JSON with every line after the first indented by `indent` (as an
/// entry sits in a pretty file). serde_json writes a line break only as the
/// end of a write (strings hold `\\n`, never a raw one).
struct Indented<'a> {
    out: Vec<u8>,
    indent: &'a [u8],
}

impl std::io::Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.extend_from_slice(buf);
        if buf.last() == Some(&b'\n') {
            self.out.extend_from_slice(self.indent);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `a` and `b` are the same JSON text, whitespace between tokens aside.
fn same_json_text(a: &[u8], b: &[u8]) -> bool {
    let (mut at_a, mut at_b) = (0, 0);
    loop {
        match (next_token(a, &mut at_a), next_token(b, &mut at_b)) {
            (None, None) => return true,
            (Some(token_a), Some(token_b)) if token_a == token_b => {}
            _ => return false,
        }
    }
}

/// The token of JSON text at `at` after any whitespace (a whole string, or
/// one byte of anything else), moving `at` past it.
fn next_token<'a>(text: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    while text.get(*at).is_some_and(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t')) {
        *at += 1;
    }
    let start = *at;
    *at = match text.get(start)? {
        b'"' => string_end(text, start),
        _ => start + 1,
    };
    Some(&text[start..*at])
}

/// The position after the string that starts (with its quote) at `start`.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while let Some(offset) = text
        .get(at..)
        .and_then(|rest| rest.iter().position(|b| matches!(b, b'"' | b'\\')))
    {
        at += offset;
        if text[at] == b'"' {
            return at + 1;
        }
        at += 2;
    }
    text.len()
}

/// JSON text without the whitespace between its tokens (the same JSON).
fn without_whitespace(text: &str) -> Box<str> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let end = match byte {
            b' ' | b'\n' | b'\r' | b'\t' => {
                at += 1;
                continue;
            }
            b'"' => string_end(bytes, at),
            // Everything up to the next whitespace or string is copied as it is.
            _ => bytes[at..]
                .iter()
                .position(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'"'))
                .map_or(bytes.len(), |n| at + n),
        };
        out.extend_from_slice(&bytes[at..end]);
        at = end;
    }
    // Only ASCII whitespace was left out, so the text is still UTF-8.
    String::from_utf8(out).map_or_else(|_| text.into(), String::into_boxed_str)
}

/// `KeyMetadata` must be in a key entry (an `Option` only so that it can be let go).
fn required_record<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Box<KeyMetadataFile>>, D::Error> {
    Box::<KeyMetadataFile>::deserialize(deserializer).map(Some)
}

/// Whether `arn` is a KMS ARN in `region`.
fn arn_in_region(arn: &str, region: &str) -> bool {
    ArnParts::of(arn).is_some_and(|parts| parts.is_kms_in(region))
}

/// The metadata of a key the record does not fully describe: only its id and
/// ARN are real (it is never served; `DescribeKey` answers an error instead).
fn placeholder(region: &str, id: &Option<String>, arn: Option<String>, index: usize) -> KeyMetadata {
    let id = id.clone().unwrap_or_else(|| format!("{region}-entry-{}", index + 1));
    let mut meta = KeyMetadata::symmetric(region, "000000000000", &id);
    meta.arn = arn.unwrap_or_default();
    meta.account_id = None;
    meta
}

/// A key entry as pasted: the whole `describe-key` output (the entry itself),
/// the bare `KeyMetadata` object, with `get-key-rotation-status` output as
/// `RotationStatus`. The error names the field that cannot be read.
fn read_entry(entry: &Value) -> std::result::Result<KeyFile, String> {
    let Value::Object(object) = entry else {
        return Err("a key entry must be a JSON object".to_owned());
    };
    let wrapped;
    let entry = match object.get("KeyMetadata") {
        Some(Value::Object(inner)) if inner.contains_key("KeyMetadata") => {
            return Err(
                "KeyMetadata holds another KeyMetadata: paste describe-key's output once, \
                        not nested one level too deep"
                    .to_owned(),
            );
        }
        Some(_) => entry,
        None if object.contains_key("KeyId") || object.contains_key("Arn") => {
            wrapped = serde_json::json!({ "KeyMetadata": entry });
            &wrapped
        }
        None => return Err("a key entry needs KeyMetadata (or at least KeyId or Arn)".to_owned()),
    };
    KeyFile::deserialize(entry).map_err(|error| name_the_field(entry).unwrap_or_else(|| error.to_string()))
}

/// Which member of an entry fails to read, and why.
fn name_the_field(entry: &Value) -> Option<String> {
    fn check<T: serde::de::DeserializeOwned>(value: &Value) -> Option<String> {
        T::deserialize(value).err().map(|e| e.to_string())
    }
    if let Some(Value::Object(meta)) = entry.get("KeyMetadata") {
        for (name, value) in meta {
            let single = serde_json::json!({ name: value });
            if let Some(why) = check::<KeyMetadataFile>(&single) {
                return Some(format!("KeyMetadata.{name}: {why}"));
            }
        }
    }
    type Check = fn(&Value) -> Option<String>;
    let members: [(&str, Check); 5] = [
        ("RotationStatus", check::<RotationFile>),
        ("Rotations", check::<Vec<KeyRotationFile>>),
        ("Aliases", check::<Vec<String>>),
        ("Tags", check::<Vec<TagFile>>),
        ("Errors", check::<BTreeMap<Operation, ErrorFile>>),
    ];
    for (name, check) in members {
        if let Some(value) = entry.get(name).filter(|v| !v.is_null())
            && let Some(why) = check(value)
        {
            return Some(format!("{name}: {why}"));
        }
    }
    None
}

/// A file's text, its encoding checked, and its name for messages.
fn read_text(path: &Path) -> Result<(String, Option<String>)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let source_name = Some(path.display().to_string());
    let text = text_from(bytes).map_err(|problem| malformed(&source_name, problem))?;
    Ok((text, source_name))
}

fn malformed(source_name: &Option<String>, problem: JsonProblem) -> Error {
    Error::MalformedSnapshot {
        source_name: source_name.clone(),
        line: problem.line,
        column: problem.column,
        message: problem.message,
    }
}

// The client.

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
fn due_error(recorded: Option<&mut (ApiError, Option<u32>)>) -> Option<ApiError> {
    let (error, times) = recorded?;
    match times {
        None => Some(error.clone()),
        Some(0) => None,
        Some(n) => {
            *n -= 1;
            Some(error.clone())
        }
    }
}

/// One page of `total` items; only the page's items are converted, so that
/// paging through a large account stays linear.
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
                Some(rotations) => page(rotations.iter(), rotations.len(), marker, size, KeyRotation::from),
                None => Err(unrecorded_rotations(&entry.meta)),
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
                    .filter(|r| r.rotation_type == RotationType::OnDemand)
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
            let rotations = entry.rare_mut().rotations.get_or_insert_with(Vec::new);
            rotations.push(KeyRotationFile {
                key_id,
                rotation_date: Timestamp::now(),
                rotation_type: RotationType::OnDemand,
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

/// A snapshot's top level must be an object: say so plainly, and where the value
/// starts, rather than serde's words for a sequence read as a struct.
fn not_an_object(text: &str) -> Option<JsonProblem> {
    let start = text.len() - text.trim_start().len();
    let kind = match text[start..].bytes().next()? {
        b'{' => return None,
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    };
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some(JsonProblem {
        line,
        column,
        message: format!("a snapshot is a JSON object with \"regions\" (and \"account_id\"), not {kind}"),
    })
}
