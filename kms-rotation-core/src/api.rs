//! The AWS APIs as the engine sees them: every operation the crate calls —
//! KMS's, and the STS, Organizations and Account operations of an
//! organisation run — with page sizes and request quotas; errors and their
//! classification (each service's throttling and transient codes); KMS's
//! limits. A leaf: it uses no other module of this crate.

use std::fmt;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

/// The credential values in use (secret access keys, session tokens), so that
/// no message this crate makes can carry one: an endpoint that echoes request
/// headers, a provider that prints what it read.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers a credential value to scrub from every message. Short values
/// (fewer than 8 characters) are ignored: they would scrub ordinary words.
pub fn register_secret(secret: &str) {
    if secret.len() < 8 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        // Longest first: a registered value inside a longer one (a secret key
        // that is part of a session token) must not be replaced first and leave
        // the rest of the longer one in the text.
        let at = secrets.partition_point(|s| s.len() >= secret.len());
        secrets.insert(at, secret.to_owned());
    }
}

/// `text` with every credential it can hold replaced by `[REDACTED]`: the
/// registered credential values, AWS access key ids (`AKIA…`, `ASIA…`: they
/// are recognised by shape, so an id is hidden even where its credentials were
/// never resolved here), and the values of the headers, query parameters and
/// fields that carry credentials (`Authorization`, `X-Amz-Security-Token`,
/// `X-Amz-Credential`, `X-Amz-Signature`, `Credential=` and `Signature=` in a
/// signature, `SecretAccessKey`, `SessionToken`, `aws_secret_access_key`, …), in
/// any of the shapes a message, a debug dump or a log line gives them
/// (`name: value`, `name=value`, `"name": "value"`, `<Name>value</Name>`).
///
/// Every message this crate makes and every log line its processes write go
/// through here.
pub fn scrub(text: &str) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_owned();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    drop(secrets);
    redact_access_key_ids(&redact_credential_fields(&out))
}

const REDACTED: &str = "[REDACTED]";

/// Names whose value is a credential or a signature, lowercase, each with
/// whether its value may hold spaces and commas (an `Authorization` header:
/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`).
const CREDENTIAL_FIELDS: [(&str, bool); 14] = [
    ("authorization", true),
    ("x-amz-security-token", false),
    ("x-amz-credential", false),
    ("x-amz-signature", false),
    ("credential", false),
    ("signature", false),
    ("secretaccesskey", false),
    ("sessiontoken", false),
    ("secret_access_key", false),
    ("session_token", false),
    ("securitytoken", false),
    ("aws_secret_access_key", false),
    ("aws_session_token", false),
    ("aws_security_token", false),
];

/// Replaces the value after each name of [`CREDENTIAL_FIELDS`] (matched without
/// regard to case, not inside a longer word), whatever quotes and separator
/// (`:`, `=`, `>`) stand between them.
fn redact_credential_fields(text: &str) -> String {
    let lower = text.to_ascii_lowercase().into_bytes();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let field = CREDENTIAL_FIELDS.iter().find(|(name, _)| {
            lower[at..].starts_with(name.as_bytes())
                && (at == 0 || !is_word_byte(bytes[at - 1]))
                && !bytes.get(at + name.len()).copied().is_some_and(is_word_byte)
        });
        let Some((name, spaced)) = field else {
            at += 1;
            continue;
        };
        let after_name = at + name.len();
        let Some(start) = value_start(bytes, after_name) else {
            at = after_name;
            continue;
        };
        let end = (start..bytes.len())
            .find(|&i| ends_value(bytes[i], *spaced))
            .unwrap_or(bytes.len());
        // A value already withheld (`"** redacted **"`) or empty stays as it is.
        if end > start && !text[start..end].starts_with('*') && text[start..end] != *REDACTED {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        at = end.max(after_name);
    }
    out.push_str(&text[copied..]);
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Where the value after a field name starts: past closing quotes, spaces, one
/// separator (`:`, `=`, or `>` closing an XML tag) and opening quotes; `None`
/// when no separator follows (the name is only a word in a sentence).
fn value_start(bytes: &[u8], mut i: usize) -> Option<usize> {
    let skip = |i: &mut usize, set: &[u8]| {
        while *i < bytes.len() && set.contains(&bytes[*i]) {
            *i += 1;
        }
    };
    skip(&mut i, b"\\\"' ");
    if !matches!(bytes.get(i), Some(b':' | b'=' | b'>')) {
        return None;
    }
    i += 1;
    skip(&mut i, b"\\\"' ");
    Some(i)
}

/// Whether `b` ends a credential value.
fn ends_value(b: u8, spaced: bool) -> bool {
    match b {
        b'"' | b'\'' | b'\\' | b'\n' | b'\r' | b'<' | b'&' | b';' | b'}' | b')' => true,
        b' ' | b'\t' | b',' => !spaced,
        _ => false,
    }
}

/// Replaces AWS access key ids: `AKIA` (long-term) or `ASIA` (temporary)
/// followed by at least 12 upper-case letters or digits, not inside a longer word.
fn redact_access_key_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let prefixed = matches!(&bytes[at..at + 4], b"AKIA" | b"ASIA");
        if !prefixed || (at > 0 && is_word_byte(bytes[at - 1])) {
            at += 1;
            continue;
        }
        let end = (at + 4..bytes.len())
            .find(|&i| !(bytes[i].is_ascii_uppercase() || bytes[i].is_ascii_digit()))
            .unwrap_or(bytes.len());
        if end - at >= 16 && !bytes.get(end).copied().is_some_and(is_word_byte) {
            out.push_str(&text[copied..at]);
            out.push_str(REDACTED);
            copied = end;
        }
        at = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// How many on-demand rotations KMS allows per key over its lifetime (the
/// developer guide's resource quota, not adjustable; older pages said 10).
pub const ON_DEMAND_ROTATION_LIMIT: u32 = 25;

/// The values `max_days_since_rotation` accepts, in days (the longest
/// rotation period KMS offers is the upper bound).
pub const DAYS_SINCE_ROTATION_RANGE: std::ops::RangeInclusive<u32> = 1..=2560;

/// The rotation periods `EnableKeyRotation` accepts, in days (KMS API limit).
pub const ROTATION_PERIOD_RANGE: std::ops::RangeInclusive<u32> = 90..=2560;

/// An AWS API operation the engine may call: KMS's, and those of an
/// organisation run (STS, Organizations, Account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Operation {
    /// `ListKeys`.
    ListKeys,
    /// `ListAliases`.
    ListAliases,
    /// `DescribeKey`.
    DescribeKey,
    /// `GetKeyRotationStatus`.
    GetKeyRotationStatus,
    /// `EnableKeyRotation`.
    EnableKeyRotation,
    /// `ListResourceTags`.
    ListResourceTags,
    /// `ListKeyRotations` (read only with the rotation-history option or a
    /// `max_days_since_rotation` policy).
    ListKeyRotations,
    /// `RotateKeyOnDemand` (only with remediation's explicit `rotate_on_demand`).
    RotateKeyOnDemand,
    /// STS `GetCallerIdentity`: who the caller is.
    GetCallerIdentity,
    /// STS `AssumeRole`: credentials in a member account.
    AssumeRole,
    /// Organizations `ListAccounts`.
    ListAccounts,
    /// Organizations `ListAccountsForParent`.
    ListAccountsForParent,
    /// Organizations `ListOrganizationalUnitsForParent`.
    ListOrganizationalUnitsForParent,
    /// Account `ListRegions`: the regions enabled in an account.
    ListRegions,
    /// `GetKeyLastUsage` (only with the `last_usage` option, for `FAIL` and `ERROR` keys).
    GetKeyLastUsage,
    /// AWS Config `PutEvaluations`: a custom rule's verdicts.
    PutEvaluations,
    /// AWS Config `GetResourceConfigHistory`: an oversized configuration item.
    GetResourceConfigHistory,
    /// Security Hub `BatchImportFindings`: findings created or updated (`check --to-security-hub`).
    BatchImportFindings,
    /// Security Hub `GetFindings`: this tool's findings already there (to archive the gone).
    GetFindings,
    /// Security Hub `BatchUpdateFindings`: the workflow of a finding that now passes set to `RESOLVED`.
    BatchUpdateFindings,
    /// CloudFormation `DescribeStackResources`: a stack's physical ids (`compare_live` with `stack_name`).
    DescribeStackResources,
}

/// An AWS service the crate calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// AWS KMS.
    Kms,
    /// AWS STS.
    Sts,
    /// AWS Organizations.
    Organizations,
    /// AWS Account Management.
    Account,
    /// AWS Config.
    Config,
    /// AWS Security Hub.
    SecurityHub,
    /// AWS CloudFormation.
    CloudFormation,
}

impl Service {
    /// The service's SDK name: `kms`, `sts`, `organizations`, `account`,
    /// `config`, `securityhub` or `cloudformation` (boto3's `session.client(name)`; AWS SDK v3's
    /// `@aws-sdk/client-<name>`, `@aws-sdk/client-config-service` for Config).
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Kms => "kms",
            Service::Sts => "sts",
            Service::Organizations => "organizations",
            Service::Account => "account",
            Service::Config => "config",
            Service::SecurityHub => "securityhub",
            Service::CloudFormation => "cloudformation",
        }
    }
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 21] = [
        Operation::ListKeys,
        Operation::ListAliases,
        Operation::DescribeKey,
        Operation::GetKeyRotationStatus,
        Operation::EnableKeyRotation,
        Operation::ListResourceTags,
        Operation::ListKeyRotations,
        Operation::RotateKeyOnDemand,
        Operation::GetCallerIdentity,
        Operation::AssumeRole,
        Operation::ListAccounts,
        Operation::ListAccountsForParent,
        Operation::ListOrganizationalUnitsForParent,
        Operation::ListRegions,
        Operation::GetKeyLastUsage,
        Operation::PutEvaluations,
        Operation::GetResourceConfigHistory,
        Operation::BatchImportFindings,
        Operation::GetFindings,
        Operation::BatchUpdateFindings,
        Operation::DescribeStackResources,
    ];

    /// CloudFormation's operations (`compare_live` with `stack_name`).
    pub const CLOUDFORMATION: [Operation; 1] = [Operation::DescribeStackResources];

    /// Security Hub's operations (`check --to-security-hub`).
    pub const SECURITY_HUB: [Operation; 3] = [
        Operation::BatchImportFindings,
        Operation::GetFindings,
        Operation::BatchUpdateFindings,
    ];

    /// AWS Config's operations (a Config rule handler's).
    pub const CONFIG: [Operation; 2] = [Operation::PutEvaluations, Operation::GetResourceConfigHistory];

    /// KMS's operations (a KMS client's methods).
    pub const KMS: [Operation; 9] = [
        Operation::ListKeys,
        Operation::ListAliases,
        Operation::DescribeKey,
        Operation::GetKeyRotationStatus,
        Operation::EnableKeyRotation,
        Operation::ListResourceTags,
        Operation::ListKeyRotations,
        Operation::RotateKeyOnDemand,
        Operation::GetKeyLastUsage,
    ];

    /// The operations of an organisation run besides KMS's.
    pub const ORGANIZATION: [Operation; 6] = [
        Operation::GetCallerIdentity,
        Operation::AssumeRole,
        Operation::ListAccounts,
        Operation::ListAccountsForParent,
        Operation::ListOrganizationalUnitsForParent,
        Operation::ListRegions,
    ];

    /// The API name, e.g. `GetKeyRotationStatus`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ListKeys => "ListKeys",
            Operation::ListAliases => "ListAliases",
            Operation::DescribeKey => "DescribeKey",
            Operation::GetKeyRotationStatus => "GetKeyRotationStatus",
            Operation::EnableKeyRotation => "EnableKeyRotation",
            Operation::ListResourceTags => "ListResourceTags",
            Operation::ListKeyRotations => "ListKeyRotations",
            Operation::RotateKeyOnDemand => "RotateKeyOnDemand",
            Operation::GetCallerIdentity => "GetCallerIdentity",
            Operation::AssumeRole => "AssumeRole",
            Operation::ListAccounts => "ListAccounts",
            Operation::ListAccountsForParent => "ListAccountsForParent",
            Operation::ListOrganizationalUnitsForParent => "ListOrganizationalUnitsForParent",
            Operation::ListRegions => "ListRegions",
            Operation::GetKeyLastUsage => "GetKeyLastUsage",
            Operation::PutEvaluations => "PutEvaluations",
            Operation::GetResourceConfigHistory => "GetResourceConfigHistory",
            Operation::BatchImportFindings => "BatchImportFindings",
            Operation::GetFindings => "GetFindings",
            Operation::BatchUpdateFindings => "BatchUpdateFindings",
            Operation::DescribeStackResources => "DescribeStackResources",
        }
    }

    /// The service the operation belongs to.
    pub fn service(self) -> Service {
        match self {
            Operation::GetCallerIdentity | Operation::AssumeRole => Service::Sts,
            Operation::ListAccounts
            | Operation::ListAccountsForParent
            | Operation::ListOrganizationalUnitsForParent => Service::Organizations,
            Operation::ListRegions => Service::Account,
            Operation::PutEvaluations | Operation::GetResourceConfigHistory => Service::Config,
            Operation::BatchImportFindings | Operation::GetFindings | Operation::BatchUpdateFindings => {
                Service::SecurityHub
            }
            Operation::DescribeStackResources => Service::CloudFormation,
            _ => Service::Kms,
        }
    }

    /// Parses the API name (`"DescribeKey"`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// The page size the engine asks for (`Limit`, `MaxResults`): the maximum
    /// the API allows. `None` for operations that are not paginated.
    pub fn page_size(self) -> Option<u32> {
        match self {
            Operation::ListKeys => Some(1000),
            Operation::ListAliases => Some(100),
            Operation::ListResourceTags => Some(50),
            Operation::ListKeyRotations => Some(1000),
            Operation::ListAccounts
            | Operation::ListAccountsForParent
            | Operation::ListOrganizationalUnitsForParent => Some(20),
            Operation::ListRegions => Some(50),
            Operation::GetFindings => Some(100),
            Operation::DescribeKey
            | Operation::GetKeyRotationStatus
            | Operation::EnableKeyRotation
            | Operation::RotateKeyOnDemand
            | Operation::GetCallerIdentity
            | Operation::AssumeRole
            | Operation::GetKeyLastUsage
            | Operation::PutEvaluations
            | Operation::BatchImportFindings
            | Operation::BatchUpdateFindings
            // Every resource of the stack in one answer (not paginated).
            | Operation::DescribeStackResources
            // One item is asked for: the latest.
            | Operation::GetResourceConfigHistory => None,
        }
    }

    /// The most pages one listing may take before it is called endless: far
    /// more than the service's largest listing needs (100,000 keys, 10,000
    /// accounts or units under one parent at the page sizes above, every
    /// region), so that a service answering new tokens forever ends in an
    /// error, never in a run that does not end.
    pub fn max_pages(self) -> u32 {
        match self {
            Operation::ListKeys | Operation::ListKeyRotations => 1_000,
            Operation::ListAliases => 10_000,
            Operation::ListResourceTags => 100,
            Operation::ListAccounts
            | Operation::ListAccountsForParent
            | Operation::ListOrganizationalUnitsForParent => 1_000,
            Operation::ListRegions => 100,
            // 100,000 keys' findings at 100 a page.
            Operation::GetFindings => 1_000,
            _ => 1,
        }
    }

    /// Whether the operation changes anything (a dry run never calls it).
    pub fn is_mutating(self) -> bool {
        matches!(self, Operation::EnableKeyRotation | Operation::RotateKeyOnDemand)
    }

    /// The method name in snake case, as boto3 spells it (`describe_key`).
    pub fn snake_case_name(self) -> &'static str {
        match self {
            Operation::ListKeys => "list_keys",
            Operation::ListAliases => "list_aliases",
            Operation::DescribeKey => "describe_key",
            Operation::GetKeyRotationStatus => "get_key_rotation_status",
            Operation::EnableKeyRotation => "enable_key_rotation",
            Operation::ListResourceTags => "list_resource_tags",
            Operation::ListKeyRotations => "list_key_rotations",
            Operation::RotateKeyOnDemand => "rotate_key_on_demand",
            Operation::GetCallerIdentity => "get_caller_identity",
            Operation::AssumeRole => "assume_role",
            Operation::ListAccounts => "list_accounts",
            Operation::ListAccountsForParent => "list_accounts_for_parent",
            Operation::ListOrganizationalUnitsForParent => "list_organizational_units_for_parent",
            Operation::ListRegions => "list_regions",
            Operation::GetKeyLastUsage => "get_key_last_usage",
            Operation::PutEvaluations => "put_evaluations",
            Operation::GetResourceConfigHistory => "get_resource_config_history",
            Operation::BatchImportFindings => "batch_import_findings",
            Operation::GetFindings => "get_findings",
            Operation::BatchUpdateFindings => "batch_update_findings",
            Operation::DescribeStackResources => "describe_stack_resources",
        }
    }

    /// The method name in camel case, as the AWS SDK for JavaScript v3 spells it (`describeKey`).
    pub fn camel_case_name(self) -> &'static str {
        match self {
            Operation::ListKeys => "listKeys",
            Operation::ListAliases => "listAliases",
            Operation::DescribeKey => "describeKey",
            Operation::GetKeyRotationStatus => "getKeyRotationStatus",
            Operation::EnableKeyRotation => "enableKeyRotation",
            Operation::ListResourceTags => "listResourceTags",
            Operation::ListKeyRotations => "listKeyRotations",
            Operation::RotateKeyOnDemand => "rotateKeyOnDemand",
            Operation::GetCallerIdentity => "getCallerIdentity",
            Operation::AssumeRole => "assumeRole",
            Operation::ListAccounts => "listAccounts",
            Operation::ListAccountsForParent => "listAccountsForParent",
            Operation::ListOrganizationalUnitsForParent => "listOrganizationalUnitsForParent",
            Operation::ListRegions => "listRegions",
            Operation::GetKeyLastUsage => "getKeyLastUsage",
            Operation::PutEvaluations => "putEvaluations",
            Operation::GetResourceConfigHistory => "getResourceConfigHistory",
            Operation::BatchImportFindings => "batchImportFindings",
            Operation::GetFindings => "getFindings",
            Operation::BatchUpdateFindings => "batchUpdateFindings",
            Operation::DescribeStackResources => "describeStackResources",
        }
    }

    /// The request quota in requests per second: KMS's per account and
    /// region; STS's per account and region; Account's `ListRegions` per
    /// account (5, the Account Management reference's quota); Organizations'
    /// (whose guide names throttling but publishes no rate for these
    /// listings) a conservative 20.
    pub fn aws_quota_rps(self) -> f64 {
        match self {
            Operation::ListKeys | Operation::ListAliases => 500.0,
            Operation::DescribeKey | Operation::ListResourceTags => 2000.0,
            Operation::GetKeyRotationStatus => 1000.0,
            Operation::EnableKeyRotation => 15.0,
            Operation::ListKeyRotations => 100.0,
            // Not listed among KMS's request quotas (inferred): paced like
            // EnableKeyRotation, the other call that changes rotation.
            Operation::RotateKeyOnDemand => 15.0,
            // STS: 600 requests per second per account and region for
            // AssumeRole and GetCallerIdentity together.
            Operation::GetCallerIdentity | Operation::AssumeRole => 600.0,
            Operation::ListAccounts
            | Operation::ListAccountsForParent
            | Operation::ListOrganizationalUnitsForParent => 20.0,
            Operation::ListRegions => 5.0,
            // Not in the KMS quota table this crate was checked against
            // (the operation is from 2026): budgeted like ListKeyRotations,
            // the most sparing of KMS's read quotas, until AWS publishes one.
            Operation::GetKeyLastUsage => 100.0,
            // AWS Config publishes no rate for these: paced conservatively,
            // like Organizations' listings.
            Operation::PutEvaluations | Operation::GetResourceConfigHistory => 20.0,
            // Security Hub, per account and Region: BatchImportFindings and
            // BatchUpdateFindings 10 (burst 30), GetFindings 3 (burst 6).
            Operation::BatchImportFindings | Operation::BatchUpdateFindings => 10.0,
            Operation::GetFindings => 3.0,
            // CloudFormation publishes no per-operation rate for DescribeStackResources
            // (its quotas page lists none; throttling shows as `Throttling`): paced
            // conservatively like Organizations' listings; a run makes one call.
            Operation::DescribeStackResources => 20.0,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the engine can do about an [`ApiError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Request rate exceeded: back off and retry.
    Throttling,
    /// A transient failure (5xx, timeout, connection): retry.
    Retryable,
    /// The caller or a key policy denies the call.
    AccessDenied,
    /// No such key or alias.
    NotFound,
    /// The operation does not apply to this key (type, origin, store).
    Unsupported,
    /// The key's state forbids the call (disabled, pending deletion).
    InvalidState,
    /// The region is not enabled for the account (or the credentials are not valid there).
    RegionNotEnabled,
    /// The answer was not a valid one (a required field missing, a value out of
    /// range, a listing that never ends).
    InvalidResponse,
    /// A record (a snapshot) lacks a fact about the key that the table needs.
    IncompleteMetadata,
    /// A record lacks the rotation status the table needs.
    MissingEvidence,
    /// Anything else.
    Other,
    /// A declared fact the table needs is not known before apply.
    Unresolved,
}

impl ErrorKind {
    /// Classifies an AWS error code.
    pub fn from_code(code: &str) -> Self {
        match code {
            // KMS, STS (`Throttling`), Organizations and Account
            // (`TooManyRequestsException`), and the AWS SDKs' own list.
            "ThrottlingException"
            | "Throttling"
            | "ThrottledException"
            | "RequestThrottledException"
            | "RequestThrottled"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "PriorRequestNotComplete"
            | "SlowDown" => ErrorKind::Throttling,
            "KMSInternalException"
            | "DependencyTimeoutException"
            | "InternalFailure"
            | "InternalError"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
            | "RequestTimeout"
            | "RequestTimeoutException"
            | "DispatchFailure"
            | "TimeoutError"
            | "ResponseError"
            // Organizations' and Account's 5xx, STS's identity provider,
            // Organizations' concurrent change (try again later).
            | "ServiceException"
            | "InternalServerException"
            | "IDPCommunicationError"
            | "ConcurrentModificationException"
            // Security Hub's 5xx.
            | "InternalException" => ErrorKind::Retryable,
            "MalformedResponse" | "InvalidResponse" => ErrorKind::InvalidResponse,
            "IncompleteMetadata" => ErrorKind::IncompleteMetadata,
            "MissingEvidence" => ErrorKind::MissingEvidence,
            "Unresolved" => ErrorKind::Unresolved,
            "AccessDeniedException" | "AccessDenied" | "AccessDeniedForDependencyException" => ErrorKind::AccessDenied,
            "NotFoundException" => ErrorKind::NotFound,
            "UnsupportedOperationException" => ErrorKind::Unsupported,
            "KMSInvalidStateException" | "DisabledException" => ErrorKind::InvalidState,
            "UnrecognizedClientException" | "InvalidClientTokenId" | "OptInRequired" => ErrorKind::RegionNotEnabled,
            _ => ErrorKind::Other,
        }
    }

    /// Classifies an error that carries no AWS code by the names of its error
    /// class and its ancestors (a Python exception's MRO, a JavaScript error's
    /// `name` and `code`): transport failures — connection refused or reset,
    /// DNS, timeouts — are retryable; anything else is [`ErrorKind::Other`].
    pub fn from_error_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        const TRANSPORT: [&str; 18] = [
            // Python: builtins, botocore, urllib3.
            "ConnectionError",
            "TimeoutError",
            "HTTPClientError",
            "EndpointConnectionError",
            "ConnectTimeoutError",
            "ReadTimeoutError",
            "ConnectionClosedError",
            "ProxyConnectionError",
            "ResponseStreamingError",
            "IncompleteReadError",
            // JavaScript: Node's system error codes and the SDK v3 error names.
            "ECONNREFUSED",
            "ECONNRESET",
            "ETIMEDOUT",
            "EPIPE",
            "ENOTFOUND",
            "EAI_AGAIN",
            "RequestTimeout",
            "NetworkingError",
        ];
        let mut names = names.into_iter();
        if names.any(|name| TRANSPORT.contains(&name)) {
            ErrorKind::Retryable
        } else {
            ErrorKind::Other
        }
    }
}

/// An error answered by KMS (or by the transport), code kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The AWS error code, e.g. `AccessDeniedException`.
    pub code: String,
    /// The AWS error message. Never contains credentials.
    pub message: String,
    /// The classification the engine acts on.
    pub kind: ErrorKind,
    /// Whether a retry may succeed: never for an error a snapshot recorded as
    /// observed (without `Times`), which is a fact rather than a live fault.
    pub retryable: bool,
}

impl ApiError {
    /// An error with the given AWS code, classified by [`ErrorKind::from_code`].
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        let kind = ErrorKind::from_code(&code);
        Self::with_kind(code, message, kind)
    }

    /// An error with an explicit classification (e.g. a transport failure with an HTTP 5xx).
    pub fn with_kind(code: impl Into<String>, message: impl Into<String>, kind: ErrorKind) -> Self {
        Self {
            code: scrub(&code.into()),
            message: scrub(&message.into()),
            kind,
            // A malformed or cut-off answer is worth another try, like a 5xx.
            retryable: matches!(
                kind,
                ErrorKind::Throttling | ErrorKind::Retryable | ErrorKind::InvalidResponse
            ),
        }
    }

    /// The same error, marked as not worth retrying.
    pub fn not_retryable(mut self) -> Self {
        self.retryable = false;
        self
    }

    /// A `ThrottlingException`.
    pub fn throttling(message: impl Into<String>) -> Self {
        Self::new("ThrottlingException", message)
    }

    /// An answer the service should not give (a required field missing, a
    /// value of the wrong shape): `InvalidResponse`, worth another try.
    pub fn invalid_response(message: impl Into<String>) -> Self {
        Self::with_kind("InvalidResponse", message, ErrorKind::InvalidResponse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_values_are_redacted_in_every_shape() {
        let cases = [
            (
                "x-amz-security-token: tok+/en==; host: kms",
                "x-amz-security-token: [REDACTED]; host: kms",
            ),
            (
                "\"X-Amz-Security-Token\": \"tok+/en==\"",
                "\"X-Amz-Security-Token\": \"[REDACTED]\"",
            ),
            (
                "?X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=ab12",
                "?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]",
            ),
            (
                "authorization: AWS4-HMAC-SHA256 Credential=K/20261206/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab12; next: 1",
                "authorization: [REDACTED];x-amz-date, Signature=[REDACTED]; next: 1",
            ),
            (
                "<SessionToken>tok</SessionToken><SecretAccessKey>s</SecretAccessKey>",
                "<SessionToken>[REDACTED]</SessionToken><SecretAccessKey>[REDACTED]</SecretAccessKey>",
            ),
            (
                "aws_secret_access_key = s3cr3t\n",
                "aws_secret_access_key = [REDACTED]\n",
            ),
            (
                "secret_access_key: \"** redacted **\"",
                "secret_access_key: \"** redacted **\"",
            ),
            (
                "key AKIAIOSFODNN7EXAMPLE, and ASIAIOSFODNN7EXAMPLE.",
                "key [REDACTED], and [REDACTED].",
            ),
        ];
        for (text, redacted) in cases {
            assert_eq!(scrub(text), redacted, "{text}");
        }
        // Words, not fields: left alone.
        for text in [
            "no usable AWS credentials (looked at the environment)",
            "The request signature we calculated does not match the signature you provided.",
            "Signature expired: 20261206T000000Z is now earlier than 20261206T000500Z",
            "XAKIAIOSFODNN7EXAMPLE AKIA1234 alias/ASIAN-keys",
        ] {
            assert_eq!(scrub(text), text);
        }
    }

    #[test]
    fn registered_values_are_redacted_and_short_ones_ignored() {
        register_secret("short");
        register_secret("registered-secret-value");
        assert_eq!(scrub("a short registered-secret-value!"), "a short [REDACTED]!");
    }

    #[test]
    fn a_registered_value_inside_a_longer_one_leaves_nothing_of_either() {
        // Registered shorter first: the longer is still replaced whole.
        register_secret("inner-secret-9f3a");
        register_secret("outer-prefix-inner-secret-9f3a-suffix");
        assert_eq!(
            scrub("token outer-prefix-inner-secret-9f3a-suffix and inner-secret-9f3a"),
            "token [REDACTED] and [REDACTED]"
        );
    }
}
