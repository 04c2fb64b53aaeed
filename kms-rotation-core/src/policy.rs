//! What the user's policy asks of keys: the maximum period, disabled keys, exemptions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::api::{DAYS_SINCE_ROTATION_RANGE, ROTATION_PERIOD_RANGE};
use crate::arn::KeyRef;
use crate::error::{Error, Result};

/// The default maximum rotation period: yearly, as CIS and the seed check ask.
pub const DEFAULT_MAX_ROTATION_PERIOD_DAYS: u32 = 365;

/// The default `material_expiry_warning_days`: imported material expiring
/// within 30 days is named in the finding.
pub const DEFAULT_MATERIAL_EXPIRY_WARNING_DAYS: u32 = 30;

/// The values `material_expiry_warning_days` accepts (0: only material that has expired).
pub const MATERIAL_EXPIRY_WARNING_RANGE: std::ops::RangeInclusive<u32> = 0..=3650;

fn is_default_expiry_warning(days: &u32) -> bool {
    *days == DEFAULT_MATERIAL_EXPIRY_WARNING_DAYS
}

/// Checks a rotation period against KMS's 90..=2560 days.
///
/// # Errors
/// [`Error::InvalidInput`] naming `what` and the value.
pub fn check_rotation_period(what: &'static str, days: u32) -> Result<u32> {
    if ROTATION_PERIOD_RANGE.contains(&days) {
        Ok(days)
    } else {
        Err(Error::invalid(
            what,
            days.to_string(),
            "KMS accepts rotation periods of 90 to 2560 days",
        ))
    }
}

/// One exemption rule: keys it matches are `EXEMPT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Exemption {
    /// A key id.
    KeyId(String),
    /// A key ARN.
    KeyArn(String),
    /// An alias name (`alias/…`) pointing at the key.
    Alias(String),
    /// A resource tag with this key and value (needs `ListResourceTags`).
    Tag {
        /// Tag key.
        key: String,
        /// Tag value.
        value: String,
    },
}

impl std::str::FromStr for Exemption {
    type Err = Error;

    /// Parses `tag:KEY=VALUE`, `alias/NAME`, a key ARN or a key id.
    fn from_str(text: &str) -> Result<Self> {
        if let Some(tag) = text.strip_prefix("tag:") {
            let (key, value) = tag
                .split_once('=')
                .ok_or_else(|| Error::invalid("exemption", text, "a tag exemption is tag:KEY=VALUE"))?;
            if key.is_empty() {
                return Err(Error::invalid("exemption", text, "the tag key is empty"));
            }
            return Ok(Exemption::Tag {
                key: key.to_owned(),
                value: value.to_owned(),
            });
        }
        let parsed = text.parse::<KeyRef>().map_err(|e| match e {
            Error::InvalidInput { reason, .. } => {
                let hint = match text.split_once('=') {
                    Some(_) => format!("; a tag exemption is written tag:KEY=VALUE (tag:{text})"),
                    None => "; an exemption is a key id, key ARN, alias/NAME or tag:KEY=VALUE".to_owned(),
                };
                Error::invalid("exemption", text, format!("{reason}{hint}"))
            }
            other => other,
        })?;
        Ok(match parsed {
            KeyRef::KeyId(id) => Exemption::KeyId(id),
            KeyRef::KeyArn(arn) => Exemption::KeyArn(arn.text),
            KeyRef::AliasName(name) => Exemption::Alias(name),
            KeyRef::AliasArn(arn) => Exemption::Alias(arn.resource),
        })
    }
}

impl fmt::Display for Exemption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exemption::KeyId(s) | Exemption::KeyArn(s) | Exemption::Alias(s) => f.write_str(s),
            Exemption::Tag { key, value } => write!(f, "tag:{key}={value}"),
        }
    }
}

impl Serialize for Exemption {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Exemption {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The rules a key is held to. Build with the `with_*` methods; they validate.
///
/// ```
/// use kms_rotation_core::Policy;
/// let policy = Policy::default()
///     .with_max_rotation_period_days(180)?
///     .with_exemption("tag:rotation-exempt=true")?;
/// assert_eq!(policy.max_rotation_period_days(), 180);
/// assert!(Policy::default().with_max_rotation_period_days(89).is_err());
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyFields")]
pub struct Policy {
    max_rotation_period_days: u32,
    evaluate_disabled_keys: bool,
    exemptions: Vec<Exemption>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    rotation_history: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_days_since_rotation: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    accept_on_demand_rotation: bool,
    #[serde(skip_serializing_if = "is_default_expiry_warning")]
    material_expiry_warning_days: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    last_usage: bool,
}

/// The serialized fields, validated on the way in.
#[derive(Deserialize)]
struct PolicyFields {
    max_rotation_period_days: u32,
    evaluate_disabled_keys: bool,
    #[serde(default)]
    exemptions: Vec<Exemption>,
    #[serde(default)]
    rotation_history: bool,
    #[serde(default)]
    max_days_since_rotation: Option<u32>,
    #[serde(default)]
    accept_on_demand_rotation: bool,
    #[serde(default = "default_expiry_warning")]
    material_expiry_warning_days: u32,
    #[serde(default)]
    last_usage: bool,
}

fn default_expiry_warning() -> u32 {
    DEFAULT_MATERIAL_EXPIRY_WARNING_DAYS
}

impl TryFrom<PolicyFields> for Policy {
    type Error = Error;

    fn try_from(fields: PolicyFields) -> Result<Self> {
        Ok(Policy::default()
            .with_max_rotation_period_days(fields.max_rotation_period_days)?
            .with_evaluate_disabled_keys(fields.evaluate_disabled_keys)
            .with_exemptions(fields.exemptions)
            .with_rotation_history(fields.rotation_history)
            .with_max_days_since_rotation(fields.max_days_since_rotation)?
            .with_accept_on_demand_rotation(fields.accept_on_demand_rotation)
            .with_material_expiry_warning_days(fields.material_expiry_warning_days)?
            .with_last_usage(fields.last_usage))
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_rotation_period_days: DEFAULT_MAX_ROTATION_PERIOD_DAYS,
            evaluate_disabled_keys: true,
            exemptions: Vec::new(),
            rotation_history: false,
            max_days_since_rotation: None,
            accept_on_demand_rotation: false,
            material_expiry_warning_days: DEFAULT_MATERIAL_EXPIRY_WARNING_DAYS,
            last_usage: false,
        }
    }
}

impl Policy {
    /// Sets the longest acceptable rotation period (90..=2560 days).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `max_rotation_period_days` when out of range.
    pub fn with_max_rotation_period_days(mut self, days: u32) -> Result<Self> {
        self.max_rotation_period_days = check_rotation_period("max_rotation_period_days", days)?;
        Ok(self)
    }

    /// Evaluate disabled keys (`true`, the default) or report them `NOT_APPLICABLE`.
    pub fn with_evaluate_disabled_keys(mut self, evaluate: bool) -> Self {
        self.evaluate_disabled_keys = evaluate;
        self
    }

    /// Adds an exemption written as `tag:KEY=VALUE`, `alias/NAME`, a key ARN or a key id.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the exemption when it is none of those.
    pub fn with_exemption(mut self, rule: &str) -> Result<Self> {
        self.exemptions.push(rule.parse()?);
        Ok(self)
    }

    /// Adds parsed exemptions.
    pub fn with_exemptions(mut self, rules: impl IntoIterator<Item = Exemption>) -> Self {
        self.exemptions.extend(rules);
        self
    }

    /// Reads each judged key's rotation history (`ListKeyRotations`) into its
    /// finding: when it last rotated, how, and how often. Off by default (it
    /// costs a call per key, at a quota of 100 per second).
    pub fn with_rotation_history(mut self, read: bool) -> Self {
        self.rotation_history = read;
        self
    }

    /// A key passes only if its last rotation of any kind (or its creation, if
    /// it never rotated) is at most `days` ago (1..=2560); `None` (the default)
    /// judges the rotation setting only. Setting it reads the rotation history.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `max_days_since_rotation` when out of range.
    pub fn with_max_days_since_rotation(mut self, days: Option<u32>) -> Result<Self> {
        if let Some(days) = days.filter(|d| !DAYS_SINCE_ROTATION_RANGE.contains(d)) {
            return Err(Error::invalid(
                "max_days_since_rotation",
                days.to_string(),
                format!(
                    "must be {} to {} days",
                    DAYS_SINCE_ROTATION_RANGE.start(),
                    DAYS_SINCE_ROTATION_RANGE.end()
                ),
            ));
        }
        self.max_days_since_rotation = days;
        Ok(self)
    }

    /// A symmetric key with automatic rotation off passes (`rotated_on_demand`)
    /// when it was rotated on demand within the window (`max_days_since_rotation`,
    /// else the maximum rotation period). Setting it reads the rotation history.
    pub fn with_accept_on_demand_rotation(mut self, accept: bool) -> Self {
        self.accept_on_demand_rotation = accept;
        self
    }

    /// Whether findings carry the rotation history: asked for, or needed by
    /// `max_days_since_rotation` or `accept_on_demand_rotation`.
    pub fn reads_rotation_history(&self) -> bool {
        self.rotation_history || self.judges_rotation_history()
    }

    /// Whether the verdicts depend on the rotation history (so a failed read is `ERROR`).
    pub fn judges_rotation_history(&self) -> bool {
        self.max_days_since_rotation.is_some() || self.accept_on_demand_rotation
    }

    /// The window of `max_days_since_rotation`, if set.
    pub fn max_days_since_rotation(&self) -> Option<u32> {
        self.max_days_since_rotation
    }

    /// Whether on-demand rotations within the window pass a key whose automatic rotation is off.
    pub fn accept_on_demand_rotation(&self) -> bool {
        self.accept_on_demand_rotation
    }

    /// The window an on-demand rotation must fall in to count: `max_days_since_rotation`,
    /// else the maximum rotation period.
    pub fn on_demand_window_days(&self) -> u32 {
        self.max_days_since_rotation.unwrap_or(self.max_rotation_period_days)
    }

    /// The longest acceptable rotation period in days.
    pub fn max_rotation_period_days(&self) -> u32 {
        self.max_rotation_period_days
    }

    /// Whether disabled keys are evaluated.
    pub fn evaluate_disabled_keys(&self) -> bool {
        self.evaluate_disabled_keys
    }

    /// The exemption rules.
    pub fn exemptions(&self) -> &[Exemption] {
        &self.exemptions
    }

    /// True when a rule needs the key's tags (and so `ListResourceTags`).
    pub fn needs_tags(&self) -> bool {
        self.exemptions.iter().any(|e| matches!(e, Exemption::Tag { .. }))
    }

    /// The tag exemptions as written (`tag:KEY=VALUE, ...`): what a key's
    /// unread tags leave undecided.
    pub(crate) fn tag_rules(&self) -> String {
        let rules: Vec<String> = self
            .exemptions
            .iter()
            .filter(|e| matches!(e, Exemption::Tag { .. }))
            .map(ToString::to_string)
            .collect();
        rules.join(", ")
    }

    /// True when a rule names an alias (so aliases must be known before deciding).
    pub fn needs_aliases(&self) -> bool {
        self.exemptions.iter().any(|e| matches!(e, Exemption::Alias(_)))
    }

    /// Names in the finding (and every format) imported key material that
    /// expires within `days` (0..=3650; default 30): the key stops working
    /// when its material expires. The verdict does not change.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `material_expiry_warning_days` when out of range.
    pub fn with_material_expiry_warning_days(mut self, days: u32) -> Result<Self> {
        if !MATERIAL_EXPIRY_WARNING_RANGE.contains(&days) {
            return Err(Error::invalid(
                "material_expiry_warning_days",
                days.to_string(),
                format!(
                    "must be {} to {} days",
                    MATERIAL_EXPIRY_WARNING_RANGE.start(),
                    MATERIAL_EXPIRY_WARNING_RANGE.end()
                ),
            ));
        }
        self.material_expiry_warning_days = days;
        Ok(self)
    }

    /// How many days ahead imported material's expiry is named.
    pub fn material_expiry_warning_days(&self) -> u32 {
        self.material_expiry_warning_days
    }

    /// Reads each `FAIL` and `ERROR` key's last use (`GetKeyLastUsage`) into
    /// its finding, so failures can be fixed most-used first. Off by default:
    /// without it the operation is never called.
    pub fn with_last_usage(mut self, read: bool) -> Self {
        self.last_usage = read;
        self
    }

    /// Whether `FAIL` and `ERROR` findings carry the key's last use.
    pub fn reads_last_usage(&self) -> bool {
        self.last_usage
    }

    /// The period remediation sets by default: yearly, or the maximum if shorter.
    pub fn default_remediation_period_days(&self) -> u32 {
        DEFAULT_MAX_ROTATION_PERIOD_DAYS.min(self.max_rotation_period_days)
    }
}
