//! The snapshot file's format: serde models of its JSON, in the AWS API's own PascalCase shapes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::api::Operation;
use crate::aws_json::{KeyMetadataFile, KeyRotationFile, LastUsageFile, RotationFile, TagFile};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct AccountFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) account_id: Option<String>,
    pub(super) regions: BTreeMap<String, RegionFile>,
}

/// The file read in one typed pass: the fast path, taken when every entry
/// reads cleanly. A region named twice is refused with its line and column.
#[derive(Debug, Deserialize)]
pub(super) struct AccountFileFast<'a> {
    #[serde(default)]
    pub(super) account_id: Option<String>,
    #[serde(borrow)]
    pub(super) regions: UniqueRegions<'a>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RegionFileFast<'a> {
    /// Each entry's text, borrowed from the file.
    #[serde(default, borrow)]
    pub(super) keys: Vec<&'a RawValue>,
    #[serde(rename = "Errors", default)]
    pub(super) errors: BTreeMap<Operation, ErrorFile>,
}

/// Regions in file order; a name given twice is an error (JSON would keep the last).
#[derive(Debug)]
pub(super) struct UniqueRegions<'a>(pub(super) Vec<(String, RegionFileFast<'a>)>);

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
pub(super) struct AccountFileIn {
    #[serde(default)]
    pub(super) account_id: Option<String>,
    pub(super) regions: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RegionFileIn {
    #[serde(default)]
    pub(super) keys: Vec<Value>,
    #[serde(rename = "Errors", default)]
    pub(super) errors: BTreeMap<Operation, ErrorFile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct RegionFile {
    #[serde(default)]
    pub(super) keys: Vec<Value>,
    #[serde(rename = "Errors", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) errors: BTreeMap<Operation, ErrorFile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct KeyFile {
    /// Required in a file; once the model is made from it, kept only when the
    /// model cannot write it back (an incomplete record, a key known only by
    /// its id and ARN): otherwise it is written from the model when saved.
    #[serde(deserialize_with = "required_record", skip_serializing_if = "Option::is_none")]
    pub(super) key_metadata: Option<Box<KeyMetadataFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) rotation_status: Option<RotationFile>,
    /// `ListKeyRotations`'s `Rotations`, as the API returns them; `None` when never read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) rotations: Option<Vec<KeyRotationFile>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) aliases: Vec<String>,
    /// `ListResourceTags`'s answer; `None` when never read (`[]`: read, no tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tags: Option<Vec<TagFile>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) errors: BTreeMap<RecordedOperation, ErrorFile>,
    /// `GetKeyLastUsage`'s answer; `None` when never read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) last_usage: Option<LastUsageFile>,
}

/// The operation an entry's `Errors` records a failure of: one this crate
/// calls (replayed), or another tool's (a CloudSploit cache's `GetKeyPolicy`):
/// kept and written back, named in the finding as ignored, never deciding it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum RecordedOperation {
    /// An operation this crate calls.
    Called(Operation),
    /// An operation this crate never calls, by its name.
    NeverCalled(String),
}

impl RecordedOperation {
    pub(super) fn name(&self) -> &str {
        match self {
            RecordedOperation::Called(op) => op.as_str(),
            RecordedOperation::NeverCalled(name) => name,
        }
    }
}

impl Serialize for RecordedOperation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for RecordedOperation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(match Operation::from_name(&name) {
            Some(op) => RecordedOperation::Called(op),
            None => RecordedOperation::NeverCalled(name),
        })
    }
}

/// A failure to replay: `Times` fails only the first N calls, then answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ErrorFile {
    pub(super) code: String,
    #[serde(default)]
    pub(super) message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) times: Option<u32>,
}

/// `KeyMetadata` must be in a key entry (an `Option` only so that it can be let go).
fn required_record<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Box<KeyMetadataFile>>, D::Error> {
    Box::<KeyMetadataFile>::deserialize(deserializer).map(Some)
}
