//! The facts we read about a key and the verdicts we give: plain data, no I/O.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an enum mirroring an AWS string enum. A value AWS adds later parses
/// to `Other` and flows through as data instead of failing.
macro_rules! aws_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The AWS spelling of the value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::from(text.as_str()))
            }
        }
    };
}

aws_enum! {
    /// Who manages the key (`KeyManager`).
    KeyManager {
        /// An AWS managed key (`alias/aws/*`), rotated by AWS every year.
        Aws => "AWS",
        /// A customer managed key.
        Customer => "CUSTOMER",
    }
}

aws_enum! {
    /// The key's lifecycle state (`KeyState`).
    KeyState {
        /// Being created.
        Creating => "Creating",
        /// Usable.
        Enabled => "Enabled",
        /// Disabled by its owner; can be re-enabled.
        Disabled => "Disabled",
        /// Scheduled for deletion.
        PendingDeletion => "PendingDeletion",
        /// Waiting for imported key material.
        PendingImport => "PendingImport",
        /// A multi-Region replica scheduled for deletion.
        PendingReplicaDeletion => "PendingReplicaDeletion",
        /// Its custom key store is disconnected.
        Unavailable => "Unavailable",
        /// Being updated (e.g. a multi-Region primary change).
        Updating => "Updating",
    }
}

aws_enum! {
    /// The kind of key material (`KeySpec`, or the deprecated `CustomerMasterKeySpec`).
    KeySpec {
        /// 256-bit AES-GCM key: the only spec KMS rotates automatically.
        SymmetricDefault => "SYMMETRIC_DEFAULT",
        /// RSA 2048.
        Rsa2048 => "RSA_2048",
        /// RSA 3072.
        Rsa3072 => "RSA_3072",
        /// RSA 4096.
        Rsa4096 => "RSA_4096",
        /// NIST P-256.
        EccNistP256 => "ECC_NIST_P256",
        /// NIST P-384.
        EccNistP384 => "ECC_NIST_P384",
        /// NIST P-521.
        EccNistP521 => "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 => "ECC_SECG_P256K1",
        /// Ed25519.
        EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
        /// SM2 (China Regions).
        Sm2 => "SM2",
        /// HMAC with SHA-224.
        Hmac224 => "HMAC_224",
        /// HMAC with SHA-256.
        Hmac256 => "HMAC_256",
        /// HMAC with SHA-384.
        Hmac384 => "HMAC_384",
        /// HMAC with SHA-512.
        Hmac512 => "HMAC_512",
        /// ML-DSA-44.
        MlDsa44 => "ML_DSA_44",
        /// ML-DSA-65.
        MlDsa65 => "ML_DSA_65",
        /// ML-DSA-87.
        MlDsa87 => "ML_DSA_87",
    }
}

aws_enum! {
    /// What the key is for (`KeyUsage`).
    KeyUsage {
        /// Encryption and decryption.
        EncryptDecrypt => "ENCRYPT_DECRYPT",
        /// Signing and verification.
        SignVerify => "SIGN_VERIFY",
        /// HMAC generation and verification.
        GenerateVerifyMac => "GENERATE_VERIFY_MAC",
        /// Key agreement.
        KeyAgreement => "KEY_AGREEMENT",
    }
}

impl KeyUsage {
    /// The usage a spec allows when it allows only one; empty otherwise. KMS always
    /// reports `KeyUsage`, but an emulator may not (moto answers null when none was
    /// given at creation), and no verdict depends on it.
    pub fn implied_by(spec: &KeySpec) -> Self {
        match spec {
            KeySpec::SymmetricDefault => KeyUsage::EncryptDecrypt,
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => KeyUsage::GenerateVerifyMac,
            _ => KeyUsage::Other(String::new()),
        }
    }
}

aws_enum! {
    /// Where the key material comes from (`Origin`).
    Origin {
        /// Generated by KMS.
        AwsKms => "AWS_KMS",
        /// Imported by the customer.
        External => "EXTERNAL",
        /// Held in an AWS CloudHSM key store.
        AwsCloudhsm => "AWS_CLOUDHSM",
        /// Held in an external key store (XKS).
        ExternalKeyStore => "EXTERNAL_KEY_STORE",
    }
}

aws_enum! {
    /// A multi-Region key's role (`MultiRegionKeyType`).
    MultiRegionRole {
        /// The primary: the only copy whose rotation can be changed.
        Primary => "PRIMARY",
        /// A replica: its rotation mirrors the primary's.
        Replica => "REPLICA",
    }
}

aws_enum! {
    /// How a key's material was rotated (`RotationType` of `ListKeyRotations`).
    RotationType {
        /// By KMS on the key's rotation schedule.
        Automatic => "AUTOMATIC",
        /// By a `RotateKeyOnDemand` call.
        OnDemand => "ON_DEMAND",
    }
}

/// A point in time, shown as RFC 3339 in UTC with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    epoch_seconds: i64,
}

impl Timestamp {
    /// The timestamp `seconds` after the Unix epoch.
    pub fn from_epoch_seconds(seconds: i64) -> Self {
        Self { epoch_seconds: seconds }
    }

    /// Seconds since the Unix epoch.
    pub fn epoch_seconds(self) -> i64 {
        self.epoch_seconds
    }

    /// The current time.
    pub fn now() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Self::from_epoch_seconds(seconds)
    }

    /// Parses a timestamp as AWS tools print it: RFC 3339 with `Z` or any UTC
    /// offset (`2026-12-01T20:20:38.168869-08:00`, `+05:30`), any number of
    /// fractional digits, a space instead of `T`; or epoch seconds as text
    /// (`1499288695.918`, `1.499288695918E9`). Normalised to UTC seconds.
    ///
    /// # Errors
    /// Text saying what is wrong and which forms are accepted.
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        let accepted = "accepted: RFC 3339 with Z or a UTC offset (2026-12-01T20:20:38.168869-08:00), or epoch seconds";
        let trimmed = text.trim();
        if let Ok(seconds) = trimmed.parse::<f64>() {
            return Self::from_epoch_float(seconds).ok_or_else(|| format!("{text:?} is out of range; {accepted}"));
        }
        parse_date_time(trimmed).map_err(|why| format!("{text:?} {why}; {accepted}"))
    }

    /// Epoch seconds as a float (the raw API's JSON), whole seconds kept.
    pub(crate) fn from_epoch_float(seconds: f64) -> Option<Self> {
        // Years 0..=9999, as RFC 3339 can write them.
        (seconds.is_finite() && (-62_167_219_200.0..=253_402_300_799.0).contains(&seconds))
            .then(|| Self::from_epoch_seconds(seconds.floor() as i64))
    }

    /// RFC 3339 text in UTC.
    pub fn to_rfc3339(self) -> String {
        let days = self.epoch_seconds.div_euclid(86_400);
        let secs = self.epoch_seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.frac](Z|±HH:MM|±HHMM)` as UTC epoch seconds.
fn parse_date_time(text: &str) -> Result<Timestamp, &'static str> {
    const SHAPE: &str = "is not a date-time like 2026-12-01T20:20:38Z";
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Result<i64, &'static str> {
        let part = text.get(range).ok_or(SHAPE)?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SHAPE);
        }
        part.parse::<i64>().map_err(|_| SHAPE)
    };
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' || bytes[16] != b':' {
        return Err(SHAPE);
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') {
        return Err(SHAPE);
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[(month - 1) as usize] {
        return Err("has no such date");
    }
    // A leap second (:60) is read as the last second of its minute.
    if hour > 23 || minute > 59 || second > 60 {
        return Err("has no such time of day");
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(SHAPE);
        }
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        "" => return Err("has no UTC offset (Z or +HH:MM), so the moment is ambiguous"),
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(SHAPE),
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || rest[1..].len() > 5 {
                return Err("has an offset that is not +HH:MM or -HH:MM");
            }
            let (hours, minutes) = (
                digits[..2].parse::<i64>().unwrap_or(99),
                digits[2..].parse::<i64>().unwrap_or(99),
            );
            if hours > 23 || minutes > 59 {
                return Err("has an offset that is not +HH:MM or -HH:MM");
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let second = second.min(59);
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Ok(Timestamp::from_epoch_seconds(local - offset_seconds))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Accepts RFC 3339 text (AWS CLI output) or epoch seconds (the raw API's JSON).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Seconds(f64),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Text(text) => Self::parse_rfc3339(&text).map_err(serde::de::Error::custom),
            Raw::Seconds(seconds) => Self::from_epoch_float(seconds)
                .ok_or_else(|| serde::de::Error::custom(format!("{seconds} epoch seconds is out of range"))),
        }
    }
}

/// A multi-Region key's role and where its primary lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiRegionInfo {
    /// Primary or replica.
    pub role: MultiRegionRole,
    /// ARN of the primary key.
    pub primary_arn: String,
    /// Region of the primary key.
    pub primary_region: String,
}

/// What `DescribeKey` tells about a key, in our own types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMetadata {
    /// The key id (a UUID, or `mrk-…` for multi-Region keys).
    pub key_id: String,
    /// The key ARN.
    pub arn: String,
    /// The owning account, when reported.
    pub account_id: Option<String>,
    /// AWS or customer managed.
    pub manager: KeyManager,
    /// Lifecycle state.
    pub state: KeyState,
    /// Key material kind; `KeySpec`, else the deprecated `CustomerMasterKeySpec`.
    pub spec: KeySpec,
    /// What the key is for.
    pub usage: KeyUsage,
    /// Where the key material comes from.
    pub origin: Origin,
    /// The custom key store, for CloudHSM and external key store keys.
    pub custom_key_store_id: Option<String>,
    /// Multi-Region role, `None` for a single-Region key.
    pub multi_region: Option<MultiRegionInfo>,
    /// When the key was created.
    pub creation_date: Option<Timestamp>,
    /// The key's description.
    pub description: Option<String>,
    /// The record had neither `KeySpec` nor `CustomerMasterKeySpec` (keys
    /// recorded before asymmetric keys existed, in 2019): `spec` is
    /// `SYMMETRIC_DEFAULT` by inference, and findings say so.
    pub spec_inferred: bool,
    /// The id of the key's current material (`CurrentKeyMaterialId`), when reported.
    pub current_key_material_id: Option<String>,
    /// Whether imported material expires (`ExpirationModel`), when reported.
    pub expiration_model: Option<ExpirationModel>,
    /// When the current imported material expires (`ValidTo`), when it does.
    pub valid_to: Option<Timestamp>,
    /// A multi-Region primary's replica Regions (`MultiRegionConfiguration.ReplicaKeys`), as reported.
    pub replica_regions: Vec<String>,
    /// What the record held that could not be read and was set aside (an
    /// unreadable `CreationDate`, an error recorded for an operation this tool
    /// never calls): named in the finding, deciding it only if the verdict
    /// needs it.
    pub ignored: Vec<String>,
}

impl KeyMetadata {
    /// A customer managed, enabled, symmetric key with KMS-generated material: the
    /// common case, and a starting point for building other shapes in tests.
    pub fn symmetric(region: &str, account_id: &str, key_id: &str) -> Self {
        Self {
            key_id: key_id.to_owned(),
            arn: format!("arn:aws:kms:{region}:{account_id}:key/{key_id}"),
            account_id: Some(account_id.to_owned()),
            manager: KeyManager::Customer,
            state: KeyState::Enabled,
            spec: KeySpec::SymmetricDefault,
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::AwsKms,
            custom_key_store_id: None,
            multi_region: None,
            creation_date: None,
            description: None,
            spec_inferred: false,
            current_key_material_id: None,
            expiration_model: None,
            valid_to: None,
            replica_regions: Vec::new(),
            ignored: Vec::new(),
        }
    }

    /// True when this key is a multi-Region replica.
    pub fn is_replica(&self) -> bool {
        matches!(&self.multi_region, Some(info) if info.role == MultiRegionRole::Replica)
    }
}

/// What `GetKeyRotationStatus` tells about a key.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RotationStatus {
    /// Whether automatic rotation is on.
    pub enabled: bool,
    /// The rotation period, when reported (90..=2560).
    pub period_days: Option<u32>,
    /// When KMS will next rotate the key.
    pub next_rotation_date: Option<Timestamp>,
    /// Set while an on-demand rotation is running.
    pub on_demand_rotation_started_at: Option<Timestamp>,
    /// When the key last rotated (`ListKeyRotations`); `None` when it never
    /// rotated or the history was not read ([`RotationStatus::rotation_counts`] tells which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated_at: Option<Timestamp>,
    /// How the key last rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotation_type: Option<RotationType>,
    /// The rotations of each type in the history; `None` when the history was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_counts: Option<RotationCounts>,
}

/// How many times a key rotated, per [`RotationType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RotationCounts {
    /// `AUTOMATIC` rotations.
    pub automatic: u32,
    /// `ON_DEMAND` rotations.
    pub on_demand: u32,
    /// Rotations of a type this version does not know.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One entry of `ListKeyRotations`: a completed rotation of a key's material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotation {
    /// The key id.
    pub key_id: Option<String>,
    /// When the rotation completed.
    pub rotation_date: Timestamp,
    /// How the rotation was made.
    pub rotation_type: RotationType,
}

/// A key's rotation history, summarised from its `ListKeyRotations` entries,
/// with the time it was read: the "now" its age is judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationHistory {
    /// The latest rotation of any type: when and how.
    pub last: Option<(Timestamp, RotationType)>,
    /// The latest `ON_DEMAND` rotation.
    pub last_on_demand: Option<Timestamp>,
    /// Rotations per type.
    pub counts: RotationCounts,
    /// When the history was read (the run's clock: the report's `generated_at`).
    pub observed_at: Timestamp,
    /// Every key material (`ListKeyRotations` with `IncludeKeyMaterial=ALL_KEY_MATERIAL`,
    /// read for imported-material keys); `None` when only the rotations were read.
    pub materials: Option<Vec<KeyMaterial>>,
}

impl RotationHistory {
    /// The summary of `rotations` (in any order), read at `observed_at`.
    pub fn from_rotations<'a>(rotations: impl IntoIterator<Item = &'a KeyRotation>, observed_at: Timestamp) -> Self {
        let mut history = Self {
            last: None,
            last_on_demand: None,
            counts: RotationCounts::default(),
            observed_at,
            materials: None,
        };
        for rotation in rotations {
            match rotation.rotation_type {
                RotationType::Automatic => history.counts.automatic += 1,
                RotationType::OnDemand => {
                    history.counts.on_demand += 1;
                    history.last_on_demand = history.last_on_demand.max(Some(rotation.rotation_date));
                }
                RotationType::Other(_) => history.counts.other += 1,
            }
            if history.last.as_ref().is_none_or(|(at, _)| rotation.rotation_date > *at) {
                history.last = Some((rotation.rotation_date, rotation.rotation_type.clone()));
            }
        }
        history
    }

    /// The summary of every key material of an imported-material key (what
    /// `ListKeyRotations` lists with `IncludeKeyMaterial=ALL_KEY_MATERIAL`): the
    /// dated entries are its rotations; the undated ones (the first material,
    /// material pending rotation) are kept as materials only.
    pub fn from_materials(materials: Vec<KeyMaterial>, observed_at: Timestamp) -> Self {
        let rotations: Vec<KeyRotation> = materials.iter().filter_map(KeyMaterial::rotation).collect();
        let mut history = Self::from_rotations(&rotations, observed_at);
        history.materials = Some(materials);
        history
    }

    /// The material whose `KeyMaterialState` is `CURRENT`, else the one `current_id` names.
    pub fn current_material(&self, current_id: Option<&str>) -> Option<&KeyMaterial> {
        let materials = self.materials.as_ref()?;
        materials
            .iter()
            .find(|m| m.state == Some(KeyMaterialState::Current))
            .or_else(|| current_id.and_then(|id| materials.iter().find(|m| m.key_material_id.as_deref() == Some(id))))
    }

    /// The material imported but not yet made current, if any: `PENDING_ROTATION`
    /// or `PENDING_MULTI_REGION_IMPORT_AND_ROTATION`.
    pub fn pending_material(&self) -> Option<&KeyMaterial> {
        self.materials.as_ref()?.iter().find(|m| {
            matches!(
                m.state,
                Some(KeyMaterialState::PendingRotation | KeyMaterialState::PendingMultiRegionImportAndRotation)
            )
        })
    }

    /// Whole days from `at` to when the history was read (never negative).
    pub fn days_since(&self, at: Timestamp) -> u32 {
        let seconds = (self.observed_at.epoch_seconds() - at.epoch_seconds()).max(0);
        u32::try_from(seconds / 86_400).unwrap_or(u32::MAX)
    }

    /// `status` with this history's evidence (last rotation, counts) added.
    pub fn annotate(&self, mut status: RotationStatus) -> RotationStatus {
        status.last_rotated_at = self.last.as_ref().map(|(at, _)| *at);
        status.last_rotation_type = self.last.as_ref().map(|(_, kind)| kind.clone());
        status.rotation_counts = Some(self.counts);
        status
    }
}

impl RotationStatus {
    /// KMS's period for keys that report none: legacy keys rotate yearly.
    pub const LEGACY_PERIOD_DAYS: u32 = 365;

    /// The period KMS uses: the reported one, else the legacy yearly period.
    pub fn effective_period_days(&self) -> u32 {
        self.period_days.unwrap_or(Self::LEGACY_PERIOD_DAYS)
    }

    /// Rotation on with the given period.
    pub fn enabled_with_period(period_days: u32) -> Self {
        Self {
            enabled: true,
            period_days: Some(period_days),
            ..Self::default()
        }
    }
}

/// One entry of `ListKeys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListEntry {
    /// The key id.
    pub key_id: String,
    /// The key ARN.
    pub key_arn: String,
}

/// One entry of `ListAliases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// `alias/…`.
    pub alias_name: String,
    /// The alias ARN.
    pub alias_arn: Option<String>,
    /// The key it points to; `None` for an AWS managed alias not yet in use.
    pub target_key_id: Option<String>,
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// One page of a paginated listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The entries of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_marker: Option<String>,
}

/// The verdict for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Rotation is on and the period is within policy.
    Pass,
    /// Rotation is off, or the period exceeds policy.
    Fail,
    /// Automatic rotation does not exist for this key; the reason says why.
    NotApplicable,
    /// The policy exempts this key; the message names the rule.
    Exempt,
    /// We could not tell (an API error after retries); never reported as FAIL.
    Error,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 5] = [
        Status::Pass,
        Status::Fail,
        Status::NotApplicable,
        Status::Exempt,
        Status::Error,
    ];

    /// The report spelling, e.g. `NOT_APPLICABLE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotApplicable => "NOT_APPLICABLE",
            Status::Exempt => "EXEMPT",
            Status::Error => "ERROR",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key got its status: one per row of the decision table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Row 1: the policy exempts the key.
    Exempted,
    /// Row 2: AWS managed; AWS rotates it yearly.
    AwsManaged,
    /// Row 3: pending (replica) deletion.
    PendingDeletion,
    /// Row 4: CloudHSM or external key store.
    CustomKeyStore,
    /// Row 5: imported key material.
    ImportedKeyMaterial,
    /// Row 6: not a symmetric encryption key.
    UnsupportedKeySpec,
    /// Row 7: disabled, and the policy skips disabled keys.
    Disabled,
    /// Row 8: rotation is off.
    RotationDisabled,
    /// Row 9: rotation period above the policy maximum.
    RotationPeriodTooLong,
    /// Row 10: rotation on, period within policy.
    RotationEnabled,
    /// Rows 5a, 10a: with `max_days_since_rotation`, the key's material is
    /// older than the window (last rotation, or creation if it never rotated).
    RotationOverdue,
    /// Rows 5a, 8a: rotated on demand within the window.
    RotatedOnDemand,
    /// Row 5a: imported material never rotated, created within the window.
    CreatedWithinWindow,
    /// A call for this key failed after retries.
    ApiError,
    /// An answer about this key was not a valid one (a required field missing,
    /// a value out of range), even after retries.
    InvalidResponse,
    /// The record of this key (a snapshot) lacks a fact the table needs (`Origin`, `KeyState`, ...).
    IncompleteMetadata,
    /// The record of this key lacks the rotation status the table needs.
    MissingEvidence,
    /// Row 5p: new imported key material waits to be made current
    /// (`PENDING_ROTATION`), or waits for its multi-Region replicas' imports
    /// (`PENDING_MULTI_REGION_IMPORT_AND_ROTATION`).
    RotationPending,
    /// A declared key (Terraform, CloudFormation) whose fact the table needs is
    /// not known before apply: an unknown attribute, a parameter without a
    /// value, an undecidable condition, an import, a primary not in the input.
    Unresolved,
    /// A declared key (Terraform state or plan's prior state, CloudFormation
    /// stack) whose live key differs from the declaration (`--compare-live`):
    /// rotation, period, or the key's state (disabled, pending deletion, not found).
    Drift,
}

impl Reason {
    /// Every reason, in the decision table's order (what SARIF lists as its
    /// rules). A new reason goes here and in [`crate::rules::reason_help`].
    pub const ALL: [Reason; 20] = [
        Reason::Exempted,
        Reason::AwsManaged,
        Reason::PendingDeletion,
        Reason::CustomKeyStore,
        Reason::ImportedKeyMaterial,
        Reason::UnsupportedKeySpec,
        Reason::Disabled,
        Reason::RotationDisabled,
        Reason::RotationPeriodTooLong,
        Reason::RotationEnabled,
        Reason::RotationOverdue,
        Reason::RotatedOnDemand,
        Reason::CreatedWithinWindow,
        Reason::ApiError,
        Reason::InvalidResponse,
        Reason::IncompleteMetadata,
        Reason::MissingEvidence,
        Reason::RotationPending,
        Reason::Unresolved,
        Reason::Drift,
    ];

    /// The report spelling, e.g. `rotation_disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Exempted => "exempted",
            Reason::AwsManaged => "aws_managed",
            Reason::PendingDeletion => "pending_deletion",
            Reason::CustomKeyStore => "custom_key_store",
            Reason::ImportedKeyMaterial => "imported_key_material",
            Reason::UnsupportedKeySpec => "unsupported_key_spec",
            Reason::Disabled => "disabled",
            Reason::RotationDisabled => "rotation_disabled",
            Reason::RotationPeriodTooLong => "rotation_period_too_long",
            Reason::RotationEnabled => "rotation_enabled",
            Reason::RotationOverdue => "rotation_overdue",
            Reason::RotatedOnDemand => "rotated_on_demand",
            Reason::CreatedWithinWindow => "created_within_window",
            Reason::ApiError => "api_error",
            Reason::InvalidResponse => "invalid_response",
            Reason::IncompleteMetadata => "incomplete_metadata",
            Reason::MissingEvidence => "missing_evidence",
            Reason::RotationPending => "rotation_pending",
            Reason::Unresolved => "unresolved",
            Reason::Drift => "drift",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key facts a finding carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySummary {
    /// `AWS` or `CUSTOMER`.
    pub manager: KeyManager,
    /// Lifecycle state.
    pub state: KeyState,
    /// Key spec.
    pub spec: KeySpec,
    /// Key usage.
    pub usage: KeyUsage,
    /// Material origin.
    pub origin: Origin,
    /// `null`, `PRIMARY` or `REPLICA`.
    pub multi_region: Option<MultiRegionRole>,
    /// The primary's ARN, for a multi-Region key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub primary_arn: Option<String>,
    /// The primary's region, for a multi-Region key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub primary_region: Option<String>,
}

impl From<&KeyMetadata> for KeySummary {
    fn from(meta: &KeyMetadata) -> Self {
        Self {
            manager: meta.manager.clone(),
            state: meta.state.clone(),
            spec: meta.spec.clone(),
            usage: meta.usage.clone(),
            origin: meta.origin.clone(),
            multi_region: meta.multi_region.as_ref().map(|m| m.role.clone()),
            primary_arn: meta.multi_region.as_ref().map(|m| m.primary_arn.clone()),
            primary_region: meta.multi_region.as_ref().map(|m| m.primary_region.clone()),
        }
    }
}

/// What `remediate` would do for a `FAIL` finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationPlan {
    /// The key to change: the key itself, or the primary of a replica.
    pub target_arn: String,
    /// The target's region.
    pub region: String,
    /// The period `EnableKeyRotation` would set.
    pub rotation_period_days: u32,
    /// Why KMS would refuse the change as things stand (e.g. the key is disabled).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub blocked_by: Option<String>,
}

/// An AWS error as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The AWS error code, verbatim (`AccessDeniedException`, …).
    pub code: String,
    /// The AWS error message.
    pub message: String,
    /// The operation that failed, e.g. `GetKeyRotationStatus`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub operation: Option<String>,
}

/// `CODE: message`, as the CLI's stderr lines, the HTML header and configuration
/// errors quote a failure.
impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// An account of an organisation, as Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAccount {
    /// The 12-digit account id.
    pub account_id: String,
    /// The account's name, when listed.
    pub name: Option<String>,
    /// Its state as Organizations says it (`ACTIVE`, `SUSPENDED`,
    /// `PENDING_CLOSURE`, …), verbatim; `None` when the answer had none.
    pub state: Option<String>,
}

/// The verdict for one key, with the facts behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The account the key belongs to: set in an organisation report, absent
    /// from an account report (whose `account_id` says it once).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account_id: Option<String>,
    /// The region the key lives in.
    pub region: String,
    /// The key id.
    pub key_id: String,
    /// The key ARN.
    pub key_arn: String,
    /// Alias names pointing at the key, sorted.
    pub aliases: Vec<String>,
    /// The verdict.
    pub status: Status,
    /// Why.
    pub reason: Reason,
    /// One human sentence.
    pub message: String,
    /// The key facts; `null` when `DescribeKey` failed.
    pub key: Option<KeySummary>,
    /// The rotation status; `null` when not read.
    pub rotation: Option<RotationStatus>,
    /// What `remediate` would do; `null` unless `FAIL` (boxed: most findings have none).
    pub remediation: Option<Box<RemediationPlan>>,
    /// The API error behind an `ERROR` (boxed: most findings have none).
    pub error: Option<Box<ErrorInfo>>,
    /// The key's imported material (current, pending, expiry); absent unless the
    /// key has imported material or material that expires.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_material: Option<Box<KeyMaterialStatus>>,
    /// When the key was last used (`GetKeyLastUsage`); absent unless asked for
    /// (`last_usage`) and the key is `FAIL` or `ERROR`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_usage: Option<Box<LastUsage>>,
    /// What the record held that the verdict did not need and was ignored (an
    /// unreadable `CreationDate`, an error recorded for an operation this tool
    /// never calls); empty when nothing was.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ignored: Vec<String>,
    /// How the finding compares with the baseline run; absent without a baseline.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub baseline_state: Option<BaselineState>,
    /// Where a declared key is written (Terraform plan or state, CloudFormation
    /// template): absent for a live key (boxed: most findings have none).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<Box<CodeLocation>>,
    /// A declared key compared with its live key (`compare_live`): the live
    /// verdict beside the declared one, and what differs. Absent otherwise
    /// (boxed: most findings have none).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub live: Option<Box<LiveComparison>>,
}

/// How a declared key's live key was compared (`compare_live`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LiveState {
    /// The live key was read and compared with the declaration.
    Compared,
    /// No id is known for the declared key (not created yet): nothing to compare.
    NotCreated,
    /// The live key could not be read (the error says why): not judged, never "no drift".
    ReadFailed,
}

impl LiveState {
    /// The report spelling, e.g. `not_created`.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Compared => "compared",
            LiveState::NotCreated => "not_created",
            LiveState::ReadFailed => "read_failed",
        }
    }
}

/// One fact the declaration and the live key disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveDifference {
    /// `key_state`, `rotation_enabled` or `rotation_period_days`.
    pub field: String,
    /// What the code declares (`true`, `365`, `Enabled`).
    pub declared: String,
    /// What the live key has (`false`, `180`, `PendingDeletion`, `not found`).
    pub live: String,
}

/// A declared key beside its live key: the live verdict, the declared verdict,
/// and the facts that differ (`drift`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveComparison {
    /// Whether the live key was compared.
    pub state: LiveState,
    /// The live key read (its ARN, else its id); absent when none is known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// The verdict the declaration gets on its own (what the finding's status is without drift).
    pub declared_status: Status,
    /// Why, for the declaration.
    pub declared_reason: Reason,
    /// The live key's verdict; absent when not compared.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<Status>,
    /// Why, for the live key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<Reason>,
    /// The live finding's sentence, or why nothing was compared.
    pub message: String,
    /// What differs: empty when the live key matches the declaration.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub differences: Vec<LiveDifference>,
}

aws_enum! {
    /// Whether a key material is imported (`ImportState` of `ListKeyRotations`).
    ImportState {
        /// The material is in KMS.
        Imported => "IMPORTED",
        /// The material was deleted or expired, or (a multi-Region replica) not yet imported.
        PendingImport => "PENDING_IMPORT",
    }
}

aws_enum! {
    /// A key material's role (`KeyMaterialState` of `ListKeyRotations`).
    KeyMaterialState {
        /// The material the key encrypts with now.
        Current => "CURRENT",
        /// An earlier material, kept to decrypt.
        NonCurrent => "NON_CURRENT",
        /// Imported, waiting for `RotateKeyOnDemand` to make it current.
        PendingRotation => "PENDING_ROTATION",
        /// Imported into a multi-Region primary, waiting for its replicas' imports before the rotation.
        PendingMultiRegionImportAndRotation => "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
    }
}

aws_enum! {
    /// Whether imported key material expires (`ExpirationModel`).
    ExpirationModel {
        /// The material expires at `ValidTo`: the key stops working then.
        KeyMaterialExpires => "KEY_MATERIAL_EXPIRES",
        /// The material does not expire.
        KeyMaterialDoesNotExpire => "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
}

/// One entry of `ListKeyRotations` with `IncludeKeyMaterial=ALL_KEY_MATERIAL`:
/// one key material. The first material and material pending rotation have no
/// `RotationDate` (they are materials, not rotations).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyMaterial {
    /// The key id.
    pub key_id: Option<String>,
    /// The material's id (`KeyMaterialId`).
    pub key_material_id: Option<String>,
    /// The owner's description of the material (`KeyMaterialDescription`).
    pub description: Option<String>,
    /// `IMPORTED` or `PENDING_IMPORT`.
    pub import_state: Option<ImportState>,
    /// `CURRENT`, `NON_CURRENT`, `PENDING_ROTATION`, ….
    pub state: Option<KeyMaterialState>,
    /// Whether the material expires.
    pub expiration_model: Option<ExpirationModel>,
    /// When the material expires.
    pub valid_to: Option<Timestamp>,
    /// When the material became current by a rotation; `None` for the first material and pending material.
    pub rotation_date: Option<Timestamp>,
    /// How that rotation was made.
    pub rotation_type: Option<RotationType>,
}

impl KeyMaterial {
    /// The rotation this entry records, when it is dated and typed.
    pub fn rotation(&self) -> Option<KeyRotation> {
        Some(KeyRotation {
            key_id: self.key_id.clone(),
            rotation_date: self.rotation_date?,
            rotation_type: self.rotation_type.clone()?,
        })
    }
}

/// A finding's account of a key's material: which is current and since when,
/// what is pending, and when it expires.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyMaterialStatus {
    /// The current material's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
    /// When the current material became current (its rotation, or the key's creation for the first material).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_since: Option<Timestamp>,
    /// Whether the current material expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// When the current material expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// Set when the material expires within the warning window
    /// (`material_expiry_warning_days`): whole days left (0 when already expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// Material imported but not yet current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_key_material_id: Option<String>,
    /// Its state: `PENDING_ROTATION` or `PENDING_MULTI_REGION_IMPORT_AND_ROTATION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_state: Option<KeyMaterialState>,
    /// For `PENDING_MULTI_REGION_IMPORT_AND_ROTATION`: the Regions whose replica keys still lack the import.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions_missing_import: Vec<String>,
    /// Whether the pending material is imported into this key (`ImportState`):
    /// on a replica, `PENDING_IMPORT` means its Region still lacks the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_import_state: Option<ImportState>,
}

aws_enum! {
    /// The cryptographic operation a key was last used for (`KeyLastUsage.Operation`).
    KeyUsageOperation {
        /// `Decrypt`.
        Decrypt => "Decrypt",
        /// `Encrypt`.
        Encrypt => "Encrypt",
        /// `GenerateDataKey`.
        GenerateDataKey => "GenerateDataKey",
        /// `GenerateDataKeyWithoutPlaintext`.
        GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
        /// `GenerateDataKeyPair`.
        GenerateDataKeyPair => "GenerateDataKeyPair",
        /// `GenerateDataKeyPairWithoutPlaintext`.
        GenerateDataKeyPairWithoutPlaintext => "GenerateDataKeyPairWithoutPlaintext",
        /// `ReEncrypt`.
        ReEncrypt => "ReEncrypt",
        /// `Sign`.
        Sign => "Sign",
        /// `Verify`.
        Verify => "Verify",
        /// `GenerateMac`.
        GenerateMac => "GenerateMac",
        /// `VerifyMac`.
        VerifyMac => "VerifyMac",
        /// `DeriveSharedSecret`.
        DeriveSharedSecret => "DeriveSharedSecret",
        /// `Encapsulate`.
        Encapsulate => "Encapsulate",
        /// `Decapsulate`.
        Decapsulate => "Decapsulate",
    }
}

/// What `GetKeyLastUsage` answers, in our types.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyLastUsage {
    /// The last successful cryptographic operation with the key, when there was one since tracking began.
    pub last_used_at: Option<Timestamp>,
    /// Which operation that was.
    pub operation: Option<KeyUsageOperation>,
    /// The CloudTrail event of that use.
    pub cloudtrail_event_id: Option<String>,
    /// The KMS request id of that use.
    pub kms_request_id: Option<String>,
    /// When KMS began recording the key's use (or the key's creation, if later).
    pub tracking_start_date: Option<Timestamp>,
    /// When the key was created.
    pub key_creation_date: Option<Timestamp>,
}

/// A finding's last use of its key (`GetKeyLastUsage`), or why it is not known.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LastUsage {
    /// When the key was last used; `null` when not since tracking began.
    pub last_used_at: Option<Timestamp>,
    /// The operation of that use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<KeyUsageOperation>,
    /// The CloudTrail event id of that use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudtrail_event_id: Option<String>,
    /// When KMS began recording the key's use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_start_date: Option<Timestamp>,
    /// The failure to read it (`GetKeyLastUsage` denied, not recorded): the
    /// verdict stands, only the last use is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

impl LastUsage {
    /// The finding's view of a `GetKeyLastUsage` answer.
    pub fn from_answer(answer: &KeyLastUsage) -> Self {
        Self {
            last_used_at: answer.last_used_at,
            operation: answer.operation.clone(),
            cloudtrail_event_id: answer.cloudtrail_event_id.clone(),
            tracking_start_date: answer.tracking_start_date,
            error: None,
        }
    }

    /// One sentence: "Last used on … (Decrypt)." or "Not used since tracking began on …".
    pub fn sentence(&self) -> String {
        let day = |at: Timestamp| at.to_rfc3339().chars().take(10).collect::<String>();
        match (&self.error, self.last_used_at, self.tracking_start_date) {
            (Some(error), _, _) => format!("Last use unknown: GetKeyLastUsage failed with {error}."),
            (None, Some(at), _) => match &self.operation {
                Some(op) => format!("Last used on {} ({op}).", day(at)),
                None => format!("Last used on {}.", day(at)),
            },
            (None, None, Some(since)) => format!("Not used since tracking began on {}.", day(since)),
            (None, None, None) => "Not used since tracking began.".to_owned(),
        }
    }
}

impl Finding {
    /// What the finding is about, as renderings name it: the key ARN of a live
    /// key; for a declared key, its resource address or logical id (and its
    /// ARN after it, when the state knows it).
    pub fn subject(&self) -> String {
        match &self.code {
            Some(code) if self.key_arn.is_empty() => code.address.clone(),
            Some(code) => format!("{} ({})", code.address, self.key_arn),
            None => self.key_arn.clone(),
        }
    }
}

/// How a finding compares with the same key's finding in a baseline run
/// (`--baseline`): what a CI gate on new failures reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineState {
    /// The key was not in the baseline.
    New,
    /// As bad as in the baseline, or as good: `FAIL` then and now, `PASS` then and now,
    /// or `FAIL` then and `ERROR` now (not known to be fixed).
    Unchanged,
    /// `FAIL` or `ERROR` in the baseline and passing now (`PASS`, `NOT_APPLICABLE`,
    /// `EXEMPT`), or in the baseline and gone (the key was not listed this run).
    Resolved,
    /// Worse than in the baseline: passing then and `FAIL` or `ERROR` now, or `ERROR` then and `FAIL` now.
    Regressed,
}

impl BaselineState {
    /// Every state, in the order summaries show them.
    pub const ALL: [BaselineState; 4] = [
        BaselineState::New,
        BaselineState::Regressed,
        BaselineState::Unchanged,
        BaselineState::Resolved,
    ];

    /// The report spelling, e.g. `regressed`.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Resolved => "resolved",
            BaselineState::Regressed => "regressed",
        }
    }
}

impl fmt::Display for BaselineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a declared key is written, and the change that makes it pass: the one
/// place every rendering (and a code-scanning format) reads a finding's code
/// location from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeLocation {
    /// The file as given (a plan, a state, a template); absent when the input was
    /// an object handed in by code (e.g. a CDK `Template.fromStack(...).toJSON()`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file: Option<String>,
    /// 1-based line of the resource in that file (its `resource_changes` entry in a
    /// plan, its `values` entry in a state, its logical id in a template).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u32>,
    /// 1-based column of the same.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<u32>,
    /// The Terraform resource address (`module.kms.aws_kms_key.this["logs"]`) or
    /// the CloudFormation logical id.
    pub address: String,
    /// `aws_kms_key`, `AWS::KMS::Key`, `AWS::KMS::ReplicaKey`, ...
    pub resource_type: String,
    /// The stack a template was synthesised for or named after (CloudFormation), if known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stack: Option<String>,
    /// The change that makes a `FAIL` pass, as code in the input's language
    /// (`enable_key_rotation = true`, `EnableKeyRotation: true`); on a replica,
    /// it is to be made on the primary, which [`CodeLocation::fix_address`] names.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<String>,
    /// The resource the fix goes on, when not this one (a replica's primary).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix_address: Option<String>,
}

#[cfg(test)]
mod timestamp_tests {
    use super::Timestamp;

    #[test]
    fn every_form_aws_tools_print_is_read_as_the_same_moment() {
        let utc = Timestamp::parse_rfc3339("2026-12-02T04:20:38Z").unwrap();
        for text in [
            "2026-12-01T20:20:38.168869-08:00",
            "2026-12-02T09:50:38+05:30",
            "2026-12-02T09:50:38+0530",
            "2026-12-02 04:20:38.5+00:00",
            "2026-12-02T04:20:38.123456789Z",
            "1796185238",
            "1796185238.75",
            "1.796185238E9",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text), Ok(utc), "{text}");
        }
        assert_eq!(utc.to_rfc3339(), "2026-12-02T04:20:38Z");
        assert_eq!(Timestamp::from_epoch_seconds(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_epoch_seconds(951_782_400).to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn what_cannot_be_read_is_named_with_the_accepted_forms() {
        for (text, why) in [
            ("2026-12-01T20:20:38", "no UTC offset"),
            ("2026-02-30T00:00:00Z", "no such date"),
            ("yesterday", "not a date-time"),
            ("2026-12-01T20:20:38+25:00", "offset"),
        ] {
            let error = Timestamp::parse_rfc3339(text).unwrap_err();
            assert!(error.contains(why) && error.contains("accepted"), "{text}: {error}");
        }
    }
}
