//! The AWS Config calls of the Config rule handler, in this crate's types:
//! the [`ConfigClient`] trait (one request per call; pacing, retries and the
//! retry of `FailedEvaluations` are the engine's), [`JsonConfigClient`] over
//! a binding's [`JsonTransport`] (a boto3 `config` client, an AWS SDK v3
//! `ConfigService` client), and [`MemoryConfig`], which records what it is
//! sent (tests, examples, benches). The built-in AWS client's
//! is `crate::aws::AwsConfigClient`.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};

use super::config::{Evaluation, RESOURCE_TYPE};
use crate::api::{ApiError, Operation};
use crate::arn::check_region_shape;
use crate::client::json::{JsonTransport, missing_operation};
use crate::error::{Error, Result};
use crate::model::Timestamp;

/// A configuration item as `GetResourceConfigHistory` gives it: what the
/// handler reads of an oversized item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigurationItem {
    /// The account of the resource.
    pub account_id: String,
    /// Its region.
    pub region: String,
    /// Its resource id (a key id).
    pub resource_id: String,
    /// Its ARN, when recorded.
    pub arn: Option<String>,
    /// `OK`, `ResourceDiscovered`, `ResourceNotRecorded`, `ResourceDeleted`,
    /// `ResourceDeletedNotRecorded`.
    pub status: Option<String>,
    /// When Config captured it.
    pub captured_at: Timestamp,
}

impl ConfigurationItem {
    /// Whether the item says the resource is gone.
    pub fn is_deleted(&self) -> bool {
        matches!(
            self.status.as_deref(),
            Some("ResourceDeleted" | "ResourceDeletedNotRecorded")
        )
    }

    /// Reads one entry of `configurationItems` (the API's camelCase shape).
    ///
    /// # Errors
    /// `InvalidResponse` naming a missing or malformed field.
    pub fn from_json(item: &Value) -> std::result::Result<Self, ApiError> {
        let text = |field: &str| item.get(field).and_then(Value::as_str).filter(|s| !s.is_empty());
        let need = |field: &str| {
            text(field).ok_or_else(|| {
                ApiError::invalid_response(format!("GetResourceConfigHistory gave an item without {field}"))
            })
        };
        let captured_at = match item.get("configurationItemCaptureTime") {
            Some(Value::String(at)) => Timestamp::parse_rfc3339(at)
                .map_err(|why| ApiError::invalid_response(format!("configurationItemCaptureTime {at:?}: {why}")))?,
            Some(Value::Number(n)) => n
                .as_f64()
                .and_then(Timestamp::from_epoch_float)
                .ok_or_else(|| ApiError::invalid_response(format!("configurationItemCaptureTime {n} is not a time")))?,
            _ => {
                return Err(ApiError::invalid_response(
                    "GetResourceConfigHistory gave an item without configurationItemCaptureTime",
                ));
            }
        };
        Ok(Self {
            account_id: need("accountId")?.to_owned(),
            region: need("awsRegion")?.to_owned(),
            resource_id: need("resourceId")?.to_owned(),
            arn: text("arn").map(str::to_owned),
            status: text("configurationItemStatus").map(str::to_owned),
            captured_at,
        })
    }
}

/// The AWS Config calls of a Config rule handler, for the rule's region.
///
/// Object safe (handlers take `&dyn ConfigClient`). Implementations make
/// exactly one request per call and never retry: the engine paces and
/// retries, and sends again the evaluations Config reports as failed.
#[async_trait]
pub trait ConfigClient: Send + Sync + fmt::Debug {
    /// The region Config is called in.
    fn region(&self) -> &str;

    /// Whether calls count against AWS's request quotas (paced by the engine).
    fn has_request_quotas(&self) -> bool {
        true
    }

    /// One `PutEvaluations` of at most 100 evaluations with `result_token`;
    /// the resource ids of the evaluations Config answers as failed
    /// (`FailedEvaluations`).
    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
    ) -> std::result::Result<Vec<String>, ApiError>;

    /// The latest configuration item of a key (`GetResourceConfigHistory`
    /// with `limit` 1), `None` when Config has none.
    async fn latest_configuration_item(
        &self,
        resource_id: &str,
    ) -> std::result::Result<Option<ConfigurationItem>, ApiError>;
}

/// The request `PutEvaluations` takes.
pub fn put_evaluations_request(evaluations: &[Evaluation], result_token: &str) -> Value {
    json!({"Evaluations": evaluations, "ResultToken": result_token})
}

/// The resource ids of `FailedEvaluations` in a `PutEvaluations` answer.
///
/// # Errors
/// `InvalidResponse` when the list is not one, or an entry has no resource id.
pub fn failed_evaluations(answer: &Value) -> std::result::Result<Vec<String>, ApiError> {
    match answer.get("FailedEvaluations") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(failed)) => failed
            .iter()
            .map(|entry| {
                entry
                    .get("ComplianceResourceId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::invalid_response("a failed evaluation without its ComplianceResourceId"))
            })
            .collect(),
        Some(_) => Err(ApiError::invalid_response("FailedEvaluations is not a list")),
    }
}

/// The latest item of a `GetResourceConfigHistory` answer.
///
/// # Errors
/// `InvalidResponse` for an item that cannot be read.
pub fn latest_item(answer: &Value) -> std::result::Result<Option<ConfigurationItem>, ApiError> {
    match answer.get("configurationItems") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items.first().map(ConfigurationItem::from_json).transpose(),
        Some(_) => Err(ApiError::invalid_response("configurationItems is not a list")),
    }
}

/// A [`ConfigClient`] over a [`JsonTransport`] for one region: a boto3
/// `config` client in Python, an AWS SDK v3 `ConfigService` client in
/// JavaScript. The request shapes and the reading of each answer are here.
#[derive(Debug)]
pub struct JsonConfigClient<T: JsonTransport> {
    transport: T,
    region: String,
}

impl<T: JsonTransport> JsonConfigClient<T> {
    /// The client over `transport` for `region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a region not shaped like `us-east-1`, or a
    /// transport that lacks `PutEvaluations` or `GetResourceConfigHistory`.
    pub fn new(transport: T, region: &str) -> Result<Self> {
        check_region_shape(region).map_err(|_| Error::invalid("region", region, "not a region name like us-east-1"))?;
        missing_operation(&transport, &Operation::CONFIG)?;
        Ok(Self {
            transport,
            region: region.to_owned(),
        })
    }
}

#[async_trait]
impl<T: JsonTransport> ConfigClient for JsonConfigClient<T> {
    fn region(&self) -> &str {
        &self.region
    }

    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
    ) -> std::result::Result<Vec<String>, ApiError> {
        let operation = Operation::PutEvaluations;
        let answer = self
            .transport
            .invoke(operation, put_evaluations_request(evaluations, result_token))
            .await
            .map_err(|e| e.into_api_error(operation))?;
        failed_evaluations(&answer)
    }

    async fn latest_configuration_item(
        &self,
        resource_id: &str,
    ) -> std::result::Result<Option<ConfigurationItem>, ApiError> {
        let operation = Operation::GetResourceConfigHistory;
        let request = json!({"resourceType": RESOURCE_TYPE, "resourceId": resource_id, "limit": 1});
        let answer = self
            .transport
            .invoke(operation, request)
            .await
            .map_err(|e| e.into_api_error(operation))?;
        latest_item(&answer)
    }
}

#[derive(Debug, Default)]
struct Recorded {
    requests: Vec<(Vec<Evaluation>, String)>,
    items: Vec<ConfigurationItem>,
    fail_next: Vec<usize>,
}

/// An AWS Config in memory: records every `PutEvaluations` (and can answer
/// some evaluations as failed, as Config may) and answers
/// `GetResourceConfigHistory` from the items it is given. For tests,
/// examples and benches; not paced.
///
/// ```
/// use kms_rotation_core::continuous::client::{ConfigClient, MemoryConfig};
/// let config = MemoryConfig::new("us-east-1");
/// assert_eq!(config.region(), "us-east-1");
/// assert!(config.evaluations().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct MemoryConfig {
    region: String,
    recorded: Arc<Mutex<Recorded>>,
}

impl MemoryConfig {
    /// An empty Config in `region`.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            recorded: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a configuration item (the latest for its resource id wins).
    pub fn with_item(self, item: ConfigurationItem) -> Self {
        self.lock().items.push(item);
        self
    }

    /// The next `PutEvaluations` calls each answer their first `n` evaluations as failed, one `n` a call.
    pub fn failing(self, counts: impl IntoIterator<Item = usize>) -> Self {
        self.lock().fail_next.extend(counts);
        self
    }

    /// Every `PutEvaluations` call so far: the evaluations it accepted (not
    /// those it answered as failed) and the result token.
    pub fn requests(&self) -> Vec<(Vec<Evaluation>, String)> {
        self.lock().requests.clone()
    }

    /// Every evaluation accepted so far (not those answered as failed).
    pub fn evaluations(&self) -> Vec<Evaluation> {
        let recorded = self.lock();
        recorded.requests.iter().flat_map(|(batch, _)| batch.clone()).collect()
    }
}

#[async_trait]
impl ConfigClient for MemoryConfig {
    fn region(&self) -> &str {
        &self.region
    }

    fn has_request_quotas(&self) -> bool {
        false
    }

    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
    ) -> std::result::Result<Vec<String>, ApiError> {
        let mut recorded = self.lock();
        let failing = if recorded.fail_next.is_empty() {
            0
        } else {
            recorded.fail_next.remove(0).min(evaluations.len())
        };
        let (failed, accepted) = evaluations.split_at(failing);
        recorded.requests.push((accepted.to_vec(), result_token.to_owned()));
        Ok(failed.iter().map(|e| e.compliance_resource_id.clone()).collect())
    }

    async fn latest_configuration_item(
        &self,
        resource_id: &str,
    ) -> std::result::Result<Option<ConfigurationItem>, ApiError> {
        Ok(self
            .lock()
            .items
            .iter()
            .rev()
            .find(|item| item.resource_id == resource_id)
            .cloned())
    }
}
