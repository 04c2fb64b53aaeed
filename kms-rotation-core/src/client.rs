//! The KMS client trait the engine talks to, and the error it returns.
//!
//! One client serves one region. Implementations: [`crate::aws`] (the AWS SDK),
//! [`crate::snapshot`] (in memory), and the Python and Node bindings' wrappers
//! around boto3 and AWS SDK v3 clients.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Alias, KeyListEntry, KeyMetadata, Page, RotationStatus, Tag};

/// A KMS API operation the engine may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 6] = [
        Operation::ListKeys,
        Operation::ListAliases,
        Operation::DescribeKey,
        Operation::GetKeyRotationStatus,
        Operation::EnableKeyRotation,
        Operation::ListResourceTags,
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
        }
    }

    /// The per-account, per-region request quota in requests per second.
    pub fn aws_quota_rps(self) -> f64 {
        match self {
            Operation::ListKeys | Operation::ListAliases => 500.0,
            Operation::DescribeKey | Operation::ListResourceTags => 2000.0,
            Operation::GetKeyRotationStatus => 1000.0,
            Operation::EnableKeyRotation => 15.0,
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
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Classifies an AWS error code.
    pub fn from_code(code: &str) -> Self {
        match code {
            "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded" | "SlowDown" => {
                ErrorKind::Throttling
            }
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
            | "ResponseError" => ErrorKind::Retryable,
            "AccessDeniedException" | "AccessDenied" => ErrorKind::AccessDenied,
            "NotFoundException" => ErrorKind::NotFound,
            "UnsupportedOperationException" => ErrorKind::Unsupported,
            "KMSInvalidStateException" | "DisabledException" => ErrorKind::InvalidState,
            "UnrecognizedClientException" | "InvalidClientTokenId" | "OptInRequired" => ErrorKind::RegionNotEnabled,
            _ => ErrorKind::Other,
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
    /// Whether a retry may succeed.
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
            code: code.into(),
            message: message.into(),
            kind,
            retryable: matches!(kind, ErrorKind::Throttling | ErrorKind::Retryable),
        }
    }

    /// A `ThrottlingException`.
    pub fn throttling(message: impl Into<String>) -> Self {
        Self::new("ThrottlingException", message)
    }
}

/// A KMS client for one region, in this crate's types.
///
/// Object safe: the engine and the bindings hold `Arc<dyn KmsClient>`.
/// Implementations make exactly one API request per call and do not retry;
/// retries, rate limits and concurrency belong to the engine.
#[async_trait]
pub trait KmsClient: Send + Sync + fmt::Debug {
    /// The region this client talks to, e.g. `us-east-1`.
    fn region(&self) -> &str;

    /// Whether calls count against AWS's request quotas, so the engine paces them
    /// within its budget. `true` unless the client is not AWS (an offline snapshot).
    fn has_request_quotas(&self) -> bool {
        true
    }

    /// One `ListKeys` page (ask for the maximum, 1000 entries).
    async fn list_keys(&self, marker: Option<&str>) -> Result<Page<KeyListEntry>, ApiError>;

    /// One `ListAliases` page (maximum 100 entries), optionally only the aliases of `key_id`.
    async fn list_aliases(&self, key_id: Option<&str>, marker: Option<&str>) -> Result<Page<Alias>, ApiError>;

    /// `DescribeKey` for a key id, key ARN, alias name or alias ARN.
    async fn describe_key(&self, key_id: &str) -> Result<KeyMetadata, ApiError>;

    /// `GetKeyRotationStatus`.
    async fn get_key_rotation_status(&self, key_id: &str) -> Result<RotationStatus, ApiError>;

    /// `EnableKeyRotation` with an explicit period.
    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> Result<(), ApiError>;

    /// One `ListResourceTags` page (maximum 50 entries).
    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> Result<Page<Tag>, ApiError>;
}

/// Makes a client for a region on demand.
pub type ClientFactory = Arc<dyn Fn(&str) -> Result<Arc<dyn KmsClient>> + Send + Sync>;

/// The clients of an account: one per region, given up front or made on demand.
///
/// ```
/// use kms_rotation_core::{Clients, Snapshot};
/// let snapshot = Snapshot::from_json(r#"{"regions": {"us-east-1": {"keys": []}}}"#)?;
/// let clients: Clients = snapshot.clients();
/// assert_eq!(clients.regions(), vec!["us-east-1".to_string()]);
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Clients {
    by_region: Arc<Mutex<BTreeMap<String, Arc<dyn KmsClient>>>>,
    given: Vec<String>,
    factory: Option<ClientFactory>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("regions", &self.given)
            .field("factory", &self.factory.is_some())
            .finish()
    }
}

impl Clients {
    /// No clients yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a client for its region (replacing any earlier one for that region).
    pub fn with_client(mut self, client: Arc<dyn KmsClient>) -> Self {
        let region = client.region().to_owned();
        if !self.given.contains(&region) {
            self.given.push(region.clone());
        }
        self.lock().insert(region, client);
        self
    }

    /// Makes clients for other regions on demand (e.g. a replica's primary region).
    pub fn with_factory(
        mut self,
        factory: impl Fn(&str) -> Result<Arc<dyn KmsClient>> + Send + Sync + 'static,
    ) -> Self {
        self.factory = Some(Arc::new(factory));
        self
    }

    /// The regions of the clients given with [`Clients::with_client`], in order.
    pub fn regions(&self) -> Vec<String> {
        self.given.clone()
    }

    /// The client for `region`, made by the factory if none was given.
    ///
    /// # Errors
    /// [`Error::Configuration`] when there is no client for the region and no factory.
    pub fn get(&self, region: &str) -> Result<Arc<dyn KmsClient>> {
        if let Some(client) = self.lock().get(region) {
            return Ok(client.clone());
        }
        let factory = self
            .factory
            .as_ref()
            .ok_or_else(|| Error::Configuration(format!("no KMS client for region {region:?}")))?;
        let client = factory(region)?;
        self.lock().insert(region.to_owned(), client.clone());
        Ok(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<dyn KmsClient>>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.by_region.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
