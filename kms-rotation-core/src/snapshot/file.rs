//! Loading and saving snapshot files: the typed fast path, the lenient path
//! entry by entry, and each entry written back as it was read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::account::{KeyEntry, Saved, Snapshot, arn_in_region, lock};
use super::cloudsploit;
use super::format::{
    AccountFile, AccountFileFast, AccountFileIn, ErrorFile, KeyFile, RecordedOperation, RegionFile, RegionFileIn,
};
use crate::api::{ApiError, ErrorKind};
use crate::arn::{Arn, check_region_shape};
use crate::aws_json::{KeyMetadataFile, KeyRotationFile, LastUsageFile, RotationFile, TagFile};
use crate::error::{Error, Result};
use crate::json_input::{JsonProblem, check_unique_keys, same_json_text, text_from, without_whitespace};
use crate::model::KeyMetadata;

impl Snapshot {
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
        // Strict refuses what the lenient path sets aside as ignored (an unreadable date).
        if let (true, Some(note)) = (strict, meta.ignored.iter().find(|n| n.starts_with("CreationDate"))) {
            return Err(Error::invalid("snapshot key", place(), format!("KeyMetadata.{note}")));
        }
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
            last_usage: self.rare.as_ref().and_then(|rare| rare.last_usage.clone()),
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
    let members: [(&str, Check); 6] = [
        ("RotationStatus", check::<RotationFile>),
        ("Rotations", check::<Vec<KeyRotationFile>>),
        ("Aliases", check::<Vec<String>>),
        ("Tags", check::<Vec<TagFile>>),
        ("Errors", check::<BTreeMap<RecordedOperation, ErrorFile>>),
        ("LastUsage", check::<LastUsageFile>),
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
