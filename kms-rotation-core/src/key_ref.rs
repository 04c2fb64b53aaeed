//! Parsing and validating the ways a user names a key.

use std::fmt;

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
    /// A key id: a UUID, or `mrk-` and 32 hex digits.
    KeyId(String),
    /// `alias/…`.
    AliasName(String),
    /// `arn:<partition>:kms:<region>:<account>:key/<key id>`.
    KeyArn(Arn),
    /// `arn:<partition>:kms:<region>:<account>:alias/<name>`.
    AliasArn(Arn),
}

/// The parts of a KMS ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    /// The whole ARN as given.
    pub text: String,
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
    /// The region.
    pub region: String,
    /// The 12-digit account id.
    pub account_id: String,
    /// The key id or `alias/name` after the resource type.
    pub resource: String,
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
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let bad = |reason: &str| Error::invalid(WHAT, text, reason.to_owned());
    if parts.len() != 6 {
        return Err(bad(
            "an ARN has six colon-separated parts: arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE",
        ));
    }
    let (partition, service, region, account, resource) = (parts[1], parts[2], parts[3], parts[4], parts[5]);
    if !partition.starts_with("aws") {
        return Err(bad(
            "the partition must be aws, aws-cn, aws-us-gov or another aws-* partition",
        ));
    }
    if service != "kms" {
        return Err(bad("it is not a KMS ARN (service must be kms)"));
    }
    validate_region(region).map_err(|reason| Error::invalid(WHAT, text, reason))?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the account id must be 12 digits"));
    }
    Ok(Arn {
        text: text.to_owned(),
        partition: partition.to_owned(),
        region: region.to_owned(),
        account_id: account.to_owned(),
        resource: resource.to_owned(),
    })
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

/// Checks a region name, as an [`Error::InvalidInput`] naming it.
///
/// # Errors
/// [`Error::InvalidInput`] when `region` is not shaped like `us-east-1`.
pub fn check_region(region: &str) -> Result<()> {
    validate_region(region).map_err(|reason| Error::invalid("region", region, reason))
}

fn validate_key_id(id: &str) -> std::result::Result<(), String> {
    let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = id.strip_prefix("mrk-") {
        if rest.len() == 32 && is_hex(rest) {
            return Ok(());
        }
        return Err(format!("{id:?} is not a multi-Region key id (mrk- and 32 hex digits)"));
    }
    let groups: Vec<&str> = id.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    if groups.len() == 5 && groups.iter().zip(lengths).all(|(g, n)| g.len() == n && is_hex(g)) {
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
}
