//! [`JsonClient`]: a [`KmsClient`] for SDK-shaped clients that speak the KMS
//! API's own JSON — a boto3 client in Python, an AWS SDK v3 `KMS` client in
//! JavaScript, or the [`SnapshotTransport`](crate::SnapshotTransport) fake.
//!
//! The binding implements only [`JsonTransport`]: invoke an operation by name
//! with a JSON-like request, hand back the JSON-like response or the error's
//! AWS code and message. Everything KMS-specific is here: the request shapes
//! (`KeyId`, `Limit`, `Marker`, `RotationPeriodInDays`), the page sizes, the
//! response parsing ([`aws_json`](crate::aws_json)) and the error classification.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::api::{ApiError, ErrorKind, Operation};
use crate::arn::check_region_shape;
use crate::aws_json;
use crate::client::KmsClient;
use crate::error::Result;
use crate::model::{
    Alias, KeyLastUsage, KeyListEntry, KeyMaterial, KeyMetadata, KeyRotation, Page, RotationStatus, Tag,
};

/// A failed invocation, as the SDK reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportError {
    /// The AWS error code when the service answered with one
    /// (botocore's `response["Error"]["Code"]`, SDK v3's `name`).
    pub code: Option<String>,
    /// The error's message (AWS's, or the SDK's for a transport failure).
    pub message: String,
    /// The HTTP status of the answer, when there was one.
    pub http_status: Option<u16>,
    /// The names of the error's class and its ancestors (a Python exception's
    /// MRO), or a JavaScript error's `name` and `code`: they classify failures
    /// that carry no AWS code (connection refused, timeouts).
    pub error_names: Vec<String>,
}

impl TransportError {
    /// An error the service answered with an AWS code.
    pub fn aws(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: Some(code.into()),
            message: message.into(),
            ..Self::default()
        }
    }

    /// An error without an AWS code, named by its error class names.
    pub fn local<I, S>(names: I, message: impl Into<String>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            code: None,
            message: message.into(),
            http_status: None,
            error_names: names.into_iter().map(Into::into).collect(),
        }
    }

    /// Sets the HTTP status.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// The [`ApiError`] the engine acts on: the AWS code classified by
    /// [`ErrorKind::from_code`] (an unknown code on a 5xx is retryable), else
    /// the error names classified by [`ErrorKind::from_error_names`].
    pub fn into_api_error(self, operation: Operation) -> ApiError {
        self.into_named_api_error(operation.as_str())
    }

    /// [`TransportError::into_api_error`] for an operation named `operation`
    /// (also STS's, Organizations' and Account's).
    pub fn into_named_api_error(self, operation: &str) -> ApiError {
        let server_side = self.http_status.is_some_and(|s| s >= 500);
        match self.code.filter(|c| !c.is_empty()) {
            Some(code) => {
                let error = ApiError::new(code, self.message);
                if error.kind == ErrorKind::Other && server_side {
                    ApiError::with_kind(error.code, error.message, ErrorKind::Retryable)
                } else {
                    error
                }
            }
            None => {
                let kind = match ErrorKind::from_error_names(self.error_names.iter().map(String::as_str)) {
                    ErrorKind::Other if server_side => ErrorKind::Retryable,
                    kind => kind,
                };
                let name = self.error_names.first().cloned().unwrap_or_else(|| "Error".to_owned());
                ApiError::with_kind(
                    name.clone(),
                    format!("{operation} raised {name}: {}", self.message),
                    kind,
                )
            }
        }
    }
}

/// An SDK-shaped KMS client: invokes one AWS operation with a JSON request.
///
/// Implementations make exactly one request per call and never retry (the
/// engine does). They know nothing of KMS beyond how their SDK names an
/// operation ([`Operation::snake_case_name`], [`Operation::camel_case_name`]).
#[async_trait]
pub trait JsonTransport: Send + Sync + fmt::Debug + 'static {
    /// Invokes `operation` with `request` (the API's PascalCase JSON) and
    /// returns its response as JSON (timestamps as RFC 3339 text or epoch seconds).
    async fn invoke(&self, operation: Operation, request: Value) -> std::result::Result<Value, TransportError>;

    /// Whether the client offers `operation` at all (checked before any call).
    fn has_operation(&self, _operation: Operation) -> bool {
        true
    }

    /// How the client spells `operation`, for messages (`describe_key()`).
    fn method_name(&self, operation: Operation) -> String {
        operation.as_str().to_owned()
    }
}

/// A [`KmsClient`] over a [`JsonTransport`] for one region.
///
/// ```
/// use kms_rotation_core::{check_account, CheckOptions, Clients, JsonClient, Snapshot, Status};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
/// // The snapshot's own transport stands in for a boto3 or SDK v3 client.
/// let client = JsonClient::new(snapshot.transport("us-east-1")?, "us-east-1")?;
/// let clients = Clients::new().with_client(std::sync::Arc::new(client));
/// let report = check_account(&clients, &CheckOptions::default()).await?;
/// assert!(report.summary.fail > 0);
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub struct JsonClient<T> {
    transport: Arc<T>,
    region: String,
}

impl<T> fmt::Debug for JsonClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonClient")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl<T: JsonTransport> JsonClient<T> {
    /// A client for `region` over `transport`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when `region` is not shaped like `us-east-1`.
    pub fn new(transport: T, region: impl Into<String>) -> Result<Self> {
        Self::shared(Arc::new(transport), region)
    }

    /// A client for `region` over a transport shared with other clients.
    ///
    /// # Errors
    /// As [`JsonClient::new`].
    pub fn shared(transport: Arc<T>, region: impl Into<String>) -> Result<Self> {
        let region = region.into();
        check_region_shape(&region)?;
        Ok(Self { transport, region })
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    async fn invoke(&self, operation: Operation, request: Value) -> std::result::Result<Value, ApiError> {
        self.transport
            .invoke(operation, request)
            .await
            .map_err(|error| error.into_api_error(operation))
    }
}

/// A request object from its present members.
fn request(members: impl IntoIterator<Item = (&'static str, Option<Value>)>) -> Value {
    let map: Map<String, Value> = members
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
        .collect();
    Value::Object(map)
}

fn text(value: Option<&str>) -> Option<Value> {
    value.map(|v| Value::String(v.to_owned()))
}

fn limit(operation: Operation) -> Option<Value> {
    operation.page_size().map(|size| json!(size))
}

#[async_trait]
impl<T: JsonTransport> KmsClient for JsonClient<T> {
    fn region(&self) -> &str {
        &self.region
    }

    async fn list_keys(&self, marker: Option<&str>) -> std::result::Result<Page<KeyListEntry>, ApiError> {
        let op = Operation::ListKeys;
        let response = self
            .invoke(op, request([("Limit", limit(op)), ("Marker", text(marker))]))
            .await?;
        aws_json::list_keys_response(response)
    }

    async fn list_aliases(
        &self,
        key_id: Option<&str>,
        marker: Option<&str>,
    ) -> std::result::Result<Page<Alias>, ApiError> {
        let op = Operation::ListAliases;
        let body = request([("KeyId", text(key_id)), ("Limit", limit(op)), ("Marker", text(marker))]);
        aws_json::list_aliases_response(self.invoke(op, body).await?)
    }

    async fn describe_key(&self, key_id: &str) -> std::result::Result<KeyMetadata, ApiError> {
        let body = request([("KeyId", text(Some(key_id)))]);
        aws_json::describe_key_response(self.invoke(Operation::DescribeKey, body).await?)
    }

    async fn get_key_rotation_status(&self, key_id: &str) -> std::result::Result<RotationStatus, ApiError> {
        let body = request([("KeyId", text(Some(key_id)))]);
        aws_json::rotation_status_response(self.invoke(Operation::GetKeyRotationStatus, body).await?)
    }

    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> std::result::Result<(), ApiError> {
        let body = request([
            ("KeyId", text(Some(key_id))),
            ("RotationPeriodInDays", Some(json!(rotation_period_days))),
        ]);
        self.invoke(Operation::EnableKeyRotation, body).await.map(drop)
    }

    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> std::result::Result<Page<Tag>, ApiError> {
        let op = Operation::ListResourceTags;
        let body = request([
            ("KeyId", text(Some(key_id))),
            ("Limit", limit(op)),
            ("Marker", text(marker)),
        ]);
        aws_json::list_resource_tags_response(self.invoke(op, body).await?)
    }

    async fn list_key_rotations(
        &self,
        key_id: &str,
        marker: Option<&str>,
    ) -> std::result::Result<Page<KeyRotation>, ApiError> {
        let op = Operation::ListKeyRotations;
        let body = request([
            ("KeyId", text(Some(key_id))),
            ("Limit", limit(op)),
            ("Marker", text(marker)),
        ]);
        aws_json::list_key_rotations_response(self.invoke(op, body).await?)
    }

    async fn rotate_key_on_demand(&self, key_id: &str) -> std::result::Result<(), ApiError> {
        let body = request([("KeyId", text(Some(key_id)))]);
        self.invoke(Operation::RotateKeyOnDemand, body).await.map(drop)
    }

    async fn list_key_materials(
        &self,
        key_id: &str,
        marker: Option<&str>,
    ) -> std::result::Result<Page<KeyMaterial>, ApiError> {
        let op = Operation::ListKeyRotations;
        let body = request([
            ("KeyId", text(Some(key_id))),
            ("IncludeKeyMaterial", text(Some("ALL_KEY_MATERIAL"))),
            ("Limit", limit(op)),
            ("Marker", text(marker)),
        ]);
        aws_json::list_key_materials_response(self.invoke(op, body).await?)
    }

    async fn get_key_last_usage(&self, key_id: &str) -> std::result::Result<KeyLastUsage, ApiError> {
        let body = request([("KeyId", text(Some(key_id)))]);
        aws_json::key_last_usage_response(self.invoke(Operation::GetKeyLastUsage, body).await?)
    }
}

/// Refuses a transport lacking one of the operations `needed`, naming the method, before any call.
///
/// # Errors
/// [`crate::Error::InvalidInput`] naming the transport and the method.
pub(crate) fn missing_operation<T: JsonTransport>(transport: &T, needed: &[Operation]) -> Result<()> {
    match needed.iter().find(|op| !transport.has_operation(**op)) {
        None => Ok(()),
        Some(op) => Err(crate::Error::invalid(
            "client",
            format!("{transport:?}"),
            format!(
                "it has no method {}(); pass an AWS SDK KMS client or an object with its methods",
                transport.method_name(*op)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_from_codes_statuses_and_error_names() {
        let op = Operation::DescribeKey;
        let denied = TransportError::aws("AccessDeniedException", "no").into_api_error(op);
        assert_eq!(denied.kind, ErrorKind::AccessDenied);
        let unknown_5xx = TransportError::aws("Weird", "boom")
            .with_http_status(503)
            .into_api_error(op);
        assert!(unknown_5xx.retryable);
        let refused = TransportError::local(["EndpointConnectionError", "ConnectionError", "Exception"], "refused")
            .into_api_error(op);
        assert!(refused.retryable);
        assert_eq!(refused.code, "EndpointConnectionError");
        assert!(refused.message.contains("DescribeKey"), "{}", refused.message);
        let bug = TransportError::local(["TypeError"], "x is not a function").into_api_error(op);
        assert_eq!(bug.kind, ErrorKind::Other);
        assert!(!bug.retryable);
    }

    #[test]
    fn requests_carry_only_the_members_given_and_the_page_size() {
        let body = request([
            ("KeyId", text(None)),
            ("Limit", limit(Operation::ListAliases)),
            ("Marker", text(Some("m"))),
        ]);
        assert_eq!(body, json!({"Limit": 100, "Marker": "m"}));
    }
}
