//! Parsing and validating the ways a user names a key.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// A key as a user names it: key id, key ARN, alias name or alias ARN.
///
/// ```
/// use kms_rotation_core::KeyRef;
/// let key: KeyRef = "arn:aws:kms:eu-west-1:111122223333:alias/app".parse()?;
/// assert_eq!(key.region(), Some("eu-west-1"));
/// assert!("alias/".parse::<KeyRef>().is_err());
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRef {
    /// A key id: a UUID, or `mrk-` and 32 hex digits (or, as emulators write
    /// them, `mrk-` and a UUID).
    KeyId(String),
    /// `alias/…`.
    AliasName(String),
    /// `arn:<partition>:kms:<region>:<account>:key/<key id>`.
    KeyArn(Arn),
    /// `arn:<partition>:kms:<region>:<account>:alias/<name>`.
    AliasArn(Arn),
}

/// The parts of an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
///
/// The one ARN parser of this crate: key ARNs, alias ARNs, role ARNs and
/// caller ARNs are all read with it.
///
/// ```
/// use kms_rotation_core::Arn;
/// let arn = Arn::parse("arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")?;
/// assert_eq!((arn.partition.as_str(), arn.region.as_str()), ("aws-cn", "cn-north-1"));
/// let role = Arn::parse_role("arn:aws:iam::111122223333:role/Audit")?;
/// assert_eq!(role.account_id, "111122223333");
/// assert!(Arn::parse("arn:aws:kms:us-east-1:1234:key/x").is_err());
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    /// The whole ARN as given.
    pub text: String,
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
    /// The service, e.g. `kms` or `iam`.
    pub service: String,
    /// The region (empty for global services such as IAM).
    pub region: String,
    /// The 12-digit account id.
    pub account_id: String,
    /// The key id or `alias/name` after the resource type.
    pub resource: String,
}

impl Arn {
    /// Parses a KMS ARN (`arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE`) with any resource.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the ARN and what is wrong with it.
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_as(WHAT, text, "kms")
    }

    /// Parses an IAM role ARN (`arn:PARTITION:iam::ACCOUNT:role/NAME`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `role_arn`.
    pub fn parse_role(text: &str) -> Result<Self> {
        let bad = || Error::invalid("role_arn", text, "must look like arn:aws:iam::111122223333:role/NAME");
        let arn = split_arn(text).ok_or_else(bad)?;
        let named = arn.resource.strip_prefix("role/").is_some_and(|name| !name.is_empty());
        if arn.service == "iam" && arn.region.is_empty() && is_account_id(&arn.account_id) && named {
            Ok(arn)
        } else {
            Err(bad())
        }
    }

    /// The partition of any ARN (a caller identity's, say), `None` if `text` is no ARN.
    pub fn partition_of(text: &str) -> Option<String> {
        split_arn(text).map(|arn| arn.partition)
    }

    fn parse_as(what: &'static str, text: &str, service: &str) -> Result<Self> {
        let bad = |reason: &str| Error::invalid(what, text, reason.to_owned());
        let Some(arn) = split_arn(text) else {
            return Err(bad(
                "an ARN has six colon-separated parts: arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE",
            ));
        };
        if arn.service != service {
            return Err(bad("it is not a KMS ARN (service must be kms)"));
        }
        validate_region(&arn.region).map_err(|reason| Error::invalid(what, text, reason))?;
        if !is_account_id(&arn.account_id) {
            return Err(bad("the account id must be 12 digits"));
        }
        Ok(arn)
    }
}

/// An `sts:AssumeRole` external id, as STS accepts it.
pub(crate) fn check_external_id(id: &str) -> Result<()> {
    let ok = (2..=1224).contains(&id.chars().count())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "external_id",
            id,
            "must be 2 to 1224 characters of A-Z a-z 0-9 + = , . @ : / _ -",
        ))
    }
}

/// An `sts:AssumeRole` session name, as STS accepts it.
pub(crate) fn check_session_name(name: &str) -> Result<()> {
    let ok = (2..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "session_name",
            name,
            "must be 2 to 64 characters of A-Z a-z 0-9 + = , . @ _ -",
        ))
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The six parts of an ARN in an `aws*` partition; `None` for anything else.
fn split_arn(text: &str) -> Option<Arn> {
    let parts = ArnParts::of(text)?;
    Some(Arn {
        text: text.to_owned(),
        partition: parts.partition.to_owned(),
        service: parts.service.to_owned(),
        region: parts.region.to_owned(),
        account_id: parts.account_id.to_owned(),
        resource: parts.resource.to_owned(),
    })
}

/// The parts of an ARN borrowed from its text, for paths that look at many
/// ARNs (loading a snapshot, finding a key by ARN) and need no owned [`Arn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArnParts<'a> {
    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT`, everything before the resource.
    pub(crate) prefix: &'a str,
    pub(crate) partition: &'a str,
    pub(crate) service: &'a str,
    pub(crate) region: &'a str,
    pub(crate) account_id: &'a str,
    /// `key/ID`, `alias/NAME`, `role/NAME`, …
    pub(crate) resource: &'a str,
}

impl<'a> ArnParts<'a> {
    /// The six parts of an ARN in an `aws*` partition; `None` for anything else.
    pub(crate) fn of(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account_id), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if !KNOWN_PARTITIONS.contains(&partition) || service.is_empty() {
            return None;
        }
        Some(Self {
            prefix: &text[..text.len() - resource.len() - 1],
            partition,
            service,
            region,
            account_id,
            resource,
        })
    }

    /// A KMS key ARN's key id, or a KMS alias ARN's `alias/NAME`.
    pub(crate) fn key_or_alias(&self) -> Option<&'a str> {
        if self.service != "kms" {
            return None;
        }
        match self.resource.strip_prefix("key/") {
            Some(id) => Some(id),
            None => self.resource.starts_with("alias/").then_some(self.resource),
        }
    }

    /// Whether this is a well-formed KMS ARN in `region`.
    pub(crate) fn is_kms_in(&self, region: &str) -> bool {
        self.service == "kms" && self.region == region && is_account_id(self.account_id)
    }
}

impl KeyRef {
    /// The text to pass as `KeyId` to KMS.
    pub fn as_str(&self) -> &str {
        match self {
            KeyRef::KeyId(s) | KeyRef::AliasName(s) => s,
            KeyRef::KeyArn(arn) | KeyRef::AliasArn(arn) => &arn.text,
        }
    }

    /// The region named by an ARN; `None` for key ids and alias names.
    pub fn region(&self) -> Option<&str> {
        match self {
            KeyRef::KeyArn(arn) | KeyRef::AliasArn(arn) => Some(&arn.region),
            _ => None,
        }
    }

    /// The alias name, for alias names and alias ARNs.
    pub fn alias_name(&self) -> Option<String> {
        match self {
            KeyRef::AliasName(name) => Some(name.clone()),
            KeyRef::AliasArn(arn) => Some(arn.resource.clone()),
            _ => None,
        }
    }
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KeyRef {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        parse_key_ref(text)
    }
}

const WHAT: &str = "key reference";

fn parse_key_ref(text: &str) -> Result<KeyRef> {
    if text.is_empty() {
        return Err(Error::invalid(WHAT, text, "it is empty"));
    }
    if text.starts_with("arn:") {
        let arn = parse_arn(text)?;
        return if let Some(id) = arn.resource.strip_prefix("key/") {
            validate_key_id(id).map_err(|reason| Error::invalid(WHAT, text, reason))?;
            Ok(KeyRef::KeyArn(arn))
        } else if arn.resource.starts_with("alias/") {
            validate_alias_name(&arn.resource).map_err(|reason| Error::invalid(WHAT, text, reason))?;
            Ok(KeyRef::AliasArn(arn))
        } else {
            Err(Error::invalid(
                WHAT,
                text,
                "the ARN's resource must start with key/ or alias/",
            ))
        };
    }
    if text.starts_with("alias/") {
        validate_alias_name(text).map_err(|reason| Error::invalid(WHAT, text, reason))?;
        return Ok(KeyRef::AliasName(text.to_owned()));
    }
    validate_key_id(text).map_err(|reason| {
        Error::invalid(
            WHAT,
            text,
            format!("{reason}; expected a key id, key ARN, alias/NAME or alias ARN"),
        )
    })?;
    Ok(KeyRef::KeyId(text.to_owned()))
}

fn parse_arn(text: &str) -> Result<Arn> {
    if split_arn(text).is_none() && text.splitn(6, ':').count() == 6 {
        return Err(Error::invalid(
            WHAT,
            text,
            format!("the partition must be one of {}", KNOWN_PARTITIONS.join(", ")),
        ));
    }
    let arn = Arn::parse(text)?;
    if let Some(reason) = unknown_region(&arn.region) {
        return Err(Error::invalid(WHAT, text, reason));
    }
    Ok(arn)
}

/// Checks the shape of a region name (`us-east-1`, `cn-north-1`, `us-gov-west-1`, `us-isob-east-1`).
pub(crate) fn validate_region(region: &str) -> std::result::Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let shaped = parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if shaped {
        Ok(())
    } else {
        Err(format!("{region:?} is not a region name like us-east-1"))
    }
}

/// The AWS partitions, as ARNs spell them.
pub const KNOWN_PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The regions this version knows, in every partition. A region newer than
/// this list is refused as a likely typo unless [`allow_unknown_regions`] is on
/// (CLI `--allow-unknown-regions`, Python `allow_unknown_regions=True`, Node
/// `allowUnknownRegions: true`, or `KMS_ROTATION_ALLOW_UNKNOWN_REGIONS=1`).
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "eusc-de-east-1",
];

/// The known regions an account must opt in to (the others are enabled in
/// every account of their partition). A region outside this list that refuses
/// the credentials is refusing the credentials, never "not enabled".
pub const OPT_IN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

/// Whether an account must opt in to `region`: `Some(true)` for an opt-in
/// region, `Some(false)` for a region enabled in every account, `None` for a
/// region this version does not know.
pub fn is_opt_in_region(region: &str) -> Option<bool> {
    if OPT_IN_REGIONS.contains(&region) {
        Some(true)
    } else if KNOWN_REGIONS.contains(&region) {
        Some(false)
    } else {
        None
    }
}

static ALLOW_UNKNOWN_REGIONS: AtomicBool = AtomicBool::new(false);

/// Lets region names this version does not know through (a region AWS opened
/// after this release). Process-wide; off by default.
pub fn allow_unknown_regions(allow: bool) {
    ALLOW_UNKNOWN_REGIONS.store(allow, Ordering::Relaxed);
}

fn unknown_regions_allowed() -> bool {
    ALLOW_UNKNOWN_REGIONS.load(Ordering::Relaxed)
        || std::env::var("KMS_ROTATION_ALLOW_UNKNOWN_REGIONS").is_ok_and(|v| v == "1" || v == "true")
}

/// Edit distance, for suggesting the region meant.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Why `region` is not a region this version knows, with the nearest names.
fn unknown_region(region: &str) -> Option<String> {
    if KNOWN_REGIONS.contains(&region) || unknown_regions_allowed() {
        return None;
    }
    let mut near: Vec<(usize, &str)> = KNOWN_REGIONS
        .iter()
        .map(|known| (distance(region, known), *known))
        .filter(|(d, _)| *d <= 3)
        .collect();
    near.sort();
    let hint = match near.as_slice() {
        [] => String::new(),
        some => format!(
            "; did you mean {}?",
            some.iter().take(3).map(|(_, r)| *r).collect::<Vec<_>>().join(" or ")
        ),
    };
    Some(format!(
        "{region:?} is not an AWS region{hint} (a region newer than this version: allow_unknown_regions)"
    ))
}

/// Checks a region name a user gave: shaped like `us-east-1` and a region
/// this version knows (see [`KNOWN_REGIONS`]), as an [`Error::InvalidInput`] naming it.
///
/// # Errors
/// [`Error::InvalidInput`] with the nearest known names.
pub fn check_region(region: &str) -> Result<()> {
    check_region_shape(region)?;
    match unknown_region(region) {
        Some(reason) => Err(Error::invalid("region", region, reason)),
        None => Ok(()),
    }
}

/// Checks only the shape of a region name (regions read from AWS or a file).
pub(crate) fn check_region_shape(region: &str) -> Result<()> {
    if region.len() > 64 {
        let shown: String = region.chars().take(20).collect();
        return Err(Error::invalid(
            "region",
            format!("{shown}..."),
            format!("a region name is at most 64 characters, not {}", region.len()),
        ));
    }
    validate_region(region).map_err(|reason| Error::invalid("region", region, reason))
}

fn validate_key_id(id: &str) -> std::result::Result<(), String> {
    let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let is_uuid = |s: &str| {
        let groups: Vec<&str> = s.split('-').collect();
        let lengths = [8, 4, 4, 4, 12];
        groups.len() == 5 && groups.iter().zip(lengths).all(|(g, n)| g.len() == n && is_hex(g))
    };
    if let Some(rest) = id.strip_prefix("mrk-") {
        // AWS writes mrk- and 32 hex digits; emulators (moto, LocalStack) mrk- and a
        // UUID with its dashes: the same 32 digits, as exactly shaped.
        if (rest.len() == 32 && is_hex(rest)) || is_uuid(rest) {
            return Ok(());
        }
        return Err(format!("{id:?} is not a multi-Region key id (mrk- and 32 hex digits)"));
    }
    if is_uuid(id) {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a key id (a UUID like 1234abcd-12ab-34cd-56ef-1234567890ab)"
        ))
    }
}

fn validate_alias_name(name: &str) -> std::result::Result<(), String> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(format!("{name:?} must start with alias/"));
    };
    if rest.is_empty() {
        return Err("the alias name after alias/ is empty".to_owned());
    }
    if name.len() > 256 {
        return Err("alias names are at most 256 characters".to_owned());
    }
    if let Some(bad) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')))
    {
        return Err(format!(
            "alias names may contain only letters, digits, /, _ and -, not {bad:?}"
        ));
    }
    Ok(())
}

/// Which regions a run covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Regions {
    /// None named: the injected client's own region, every region of a
    /// snapshot, or the AWS configuration's region.
    #[default]
    Default,
    /// Every region enabled for the account (every region of a snapshot).
    All,
    /// These regions.
    List(Vec<String>),
}

impl Regions {
    /// Reads region names as a user gives them: `["all"]` means every enabled
    /// region; anything else is a list of checked names.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming a malformed region, or for an empty list.
    pub fn from_names<I, S>(names: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.len() == 1 && names[0] == "all" {
            return Ok(Regions::All);
        }
        if names.is_empty() {
            return Err(Error::invalid("regions", "[]", "name at least one region, or \"all\""));
        }
        let mut list: Vec<String> = Vec::with_capacity(names.len());
        for name in names {
            if name == "all" {
                return Err(Error::invalid(
                    "regions",
                    "all",
                    "\"all\" cannot be combined with region names",
                ));
            }
            check_region(&name)?;
            if !list.contains(&name) {
                list.push(name);
            }
        }
        Ok(Regions::List(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_form() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(id.parse::<KeyRef>().unwrap(), KeyRef::KeyId(id.into()));
        assert!(matches!(
            "mrk-1234abcd12ab34cd56ef1234567890ab".parse::<KeyRef>().unwrap(),
            KeyRef::KeyId(_)
        ));
        // As moto and LocalStack write multi-Region key ids: mrk- and a UUID.
        assert!(matches!(
            "mrk-1234abcd-12ab-34cd-56ef-1234567890ab".parse::<KeyRef>().unwrap(),
            KeyRef::KeyId(_)
        ));
        assert!(matches!(
            "alias/app/db".parse::<KeyRef>().unwrap(),
            KeyRef::AliasName(_)
        ));
        let arn = format!("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/{id}");
        assert_eq!(arn.parse::<KeyRef>().unwrap().region(), Some("us-gov-west-1"));
        let alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/app";
        assert_eq!(
            alias_arn.parse::<KeyRef>().unwrap().alias_name().as_deref(),
            Some("alias/app")
        );
    }

    #[test]
    fn rejects_malformed_input_naming_the_value() {
        for bad in [
            "",
            "not-a-key",
            "1234abcd-12ab-34cd-56ef-1234567890a",
            "mrk-123",
            "mrk-1234abcd-12ab-34cd-56ef-1234567890a",
            "mrk-1234abcd12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd-12ab-34cd-56ef-1234567890abc",
            "mrk-1234abcd-12ab-34cd-56ef-123456789xab",
            "mrk-mrk-1234abcd-12ab-34cd-56ef-1234567890",
            "alias/",
            "alias/has space",
            "arn:aws:s3:::bucket",
            "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:useast1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:grant/x",
        ] {
            let err = bad.parse::<KeyRef>().unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err}");
            assert!(
                err.to_string().contains(&format!("{bad:?}")),
                "{err} should name {bad:?}"
            );
        }
    }

    #[test]
    fn regions_from_names() {
        assert_eq!(Regions::from_names(["all"]).unwrap(), Regions::All);
        assert!(Regions::from_names(Vec::<String>::new()).is_err());
        assert!(Regions::from_names(["us-east-1", "all"]).is_err());
        let err = Regions::from_names(["us-east-1", "not a region"]).unwrap_err();
        assert!(err.to_string().contains("not a region"), "{err}");
    }
}
