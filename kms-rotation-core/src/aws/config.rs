//! The AWS Config client for the built-in AWS client: `PutEvaluations` and
//! `GetResourceConfigHistory` for the Config rule handler, sent to Config's
//! `awsJson1_1` API signed with SigV4 with the session's credentials (see
//! `signed.rs` for why not `aws-sdk-config`). The requests and the reading of
//! the answers are [`JsonConfigClient`]'s, as over a binding's boto3 or SDK v3
//! client. One request per call: the engine paces and retries them, and sends
//! again the evaluations Config answers as failed.

use async_trait::async_trait;
use serde_json::Value;

use super::session::AwsSession;
use super::signed::{Call, SignedJson};
use crate::api::{ApiError, Operation};
use crate::client::json::{JsonTransport, TransportError};
use crate::continuous::client::{ConfigClient, ConfigurationItem, JsonConfigClient};
use crate::continuous::config::Evaluation;
use crate::error::{Error, Result};
use crate::model::Timestamp;

/// The [`ConfigClient`] of the built-in AWS client, with the session's
/// credentials, endpoint and timeouts, for one region.
///
/// ```no_run
/// use kms_rotation_core::aws::{AwsConfigClient, AwsOptions, AwsSession};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let session = AwsSession::connect(&AwsOptions::default()).await?;
/// let config = AwsConfigClient::new(&session, session.home_region())?;
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct AwsConfigClient {
    client: JsonConfigClient<ConfigService>,
}

impl AwsConfigClient {
    /// A Config client of `session` in `region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a region not shaped like `us-east-1`;
    /// [`Error::Configuration`] when TLS cannot be set up (no root certificates).
    pub fn new(session: &AwsSession, region: &str) -> Result<Self> {
        crate::arn::check_region_shape(region)
            .map_err(|_| Error::invalid("region", region, "not a region name like us-east-1"))?;
        let service = ConfigService {
            signed: SignedJson::new(session, "config", region)?,
        };
        Ok(Self {
            client: JsonConfigClient::new(service, region)?,
        })
    }
}

/// Config's wire protocol under [`JsonConfigClient`]'s requests.
#[derive(Debug)]
struct ConfigService {
    signed: SignedJson,
}

/// `awsJson1_1` sends timestamps as epoch seconds; the requests (as boto3
/// takes them) carry RFC 3339 text.
fn wire_request(operation: Operation, mut request: Value) -> std::result::Result<Value, TransportError> {
    if operation == Operation::PutEvaluations
        && let Some(Value::Array(evaluations)) = request.get_mut("Evaluations")
    {
        for evaluation in evaluations {
            let Some(at) = evaluation.get_mut("OrderingTimestamp") else {
                continue;
            };
            if let Value::String(text) = at {
                let seconds = Timestamp::parse_rfc3339(text)
                    .map_err(|why| {
                        TransportError::local(["ParamValidationError"], format!("OrderingTimestamp {text:?}: {why}"))
                    })?
                    .epoch_seconds();
                *at = Value::from(seconds);
            }
        }
    }
    Ok(request)
}

#[async_trait]
impl JsonTransport for ConfigService {
    async fn invoke(&self, operation: Operation, request: Value) -> std::result::Result<Value, TransportError> {
        let target = match operation {
            Operation::PutEvaluations => "StarlingDoveService.PutEvaluations",
            Operation::GetResourceConfigHistory => "StarlingDoveService.GetResourceConfigHistory",
            other => {
                return Err(TransportError::local(
                    ["UnsupportedOperation"],
                    format!("AWS Config has no {other} here"),
                ));
            }
        };
        let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
        let request = wire_request(operation, request)?;
        let call = Call {
            op: operation,
            method: "POST",
            path: "/",
            headers: &headers,
        };
        self.signed.call(&call, &request).await
    }

    fn has_operation(&self, operation: Operation) -> bool {
        Operation::CONFIG.contains(&operation)
    }
}

#[async_trait]
impl ConfigClient for AwsConfigClient {
    fn region(&self) -> &str {
        self.client.region()
    }

    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
    ) -> std::result::Result<Vec<String>, ApiError> {
        self.client.put_evaluations(evaluations, result_token).await
    }

    async fn latest_configuration_item(
        &self,
        resource_id: &str,
    ) -> std::result::Result<Option<ConfigurationItem>, ApiError> {
        self.client.latest_configuration_item(resource_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ordering_timestamps_go_as_epoch_seconds() {
        let request = json!({"Evaluations": [{"ComplianceResourceId": "k", "OrderingTimestamp": "2026-12-07T01:00:00Z"}], "ResultToken": "t"});
        let wire = wire_request(Operation::PutEvaluations, request).unwrap();
        assert_eq!(wire["Evaluations"][0]["OrderingTimestamp"], json!(1_796_605_200));
        assert_eq!(wire["ResultToken"], "t");
        let bad = json!({"Evaluations": [{"OrderingTimestamp": "yesterday"}]});
        let error = wire_request(Operation::PutEvaluations, bad).unwrap_err();
        assert!(error.message.contains("yesterday"), "{}", error.message);
    }
}
