//! The AWS Config client over the AWS SDK (feature `config`): `PutEvaluations`
//! and `GetResourceConfigHistory` for the Config rule handler, one request per
//! call with the SDK's retries off — the engine paces and retries them, and
//! sends again the evaluations Config answers as failed.

use async_trait::async_trait;
use aws_sdk_config::primitives::DateTime;
use aws_sdk_config::types::{ComplianceType as SdkComplianceType, ResourceType};

use super::error::api_error;
use super::session::AwsSession;
use crate::api::ApiError;
use crate::continuous::client::{ConfigClient, ConfigurationItem};
use crate::continuous::config::{ComplianceType, Evaluation, RESOURCE_TYPE};
use crate::error::{Error, Result};
use crate::model::Timestamp;

/// The [`ConfigClient`] over the AWS SDK for Rust, with the session's
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
#[derive(Debug, Clone)]
pub struct AwsConfigClient {
    client: aws_sdk_config::Client,
    region: String,
}

impl AwsConfigClient {
    /// A Config client of `session` in `region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a region not shaped like `us-east-1`.
    pub fn new(session: &AwsSession, region: &str) -> Result<Self> {
        crate::arn::check_region_shape(region)
            .map_err(|_| Error::invalid("region", region, "not a region name like us-east-1"))?;
        Ok(Self {
            client: aws_sdk_config::Client::from_conf(session.config_service_config(region)),
            region: region.to_owned(),
        })
    }

    /// The same, calling Config through `client` (e.g. an `aws-smithy-mocks` client).
    pub fn with_client(mut self, client: aws_sdk_config::Client) -> Self {
        self.client = client;
        self
    }
}

fn sdk_evaluation(evaluation: &Evaluation) -> std::result::Result<aws_sdk_config::types::Evaluation, ApiError> {
    let compliance = match evaluation.compliance_type {
        ComplianceType::Compliant => SdkComplianceType::Compliant,
        ComplianceType::NonCompliant => SdkComplianceType::NonCompliant,
        ComplianceType::NotApplicable => SdkComplianceType::NotApplicable,
    };
    aws_sdk_config::types::Evaluation::builder()
        .compliance_resource_type(evaluation.compliance_resource_type)
        .compliance_resource_id(&evaluation.compliance_resource_id)
        .compliance_type(compliance)
        .annotation(&evaluation.annotation)
        .ordering_timestamp(DateTime::from_secs(evaluation.ordering_timestamp.epoch_seconds()))
        .build()
        .map_err(|e| ApiError::with_kind("InvalidRequest", e.to_string(), crate::api::ErrorKind::Other))
}

#[async_trait]
impl ConfigClient for AwsConfigClient {
    fn region(&self) -> &str {
        &self.region
    }

    async fn put_evaluations(
        &self,
        evaluations: &[Evaluation],
        result_token: &str,
    ) -> std::result::Result<Vec<String>, ApiError> {
        let sdk: Vec<_> = evaluations
            .iter()
            .map(sdk_evaluation)
            .collect::<std::result::Result<_, _>>()?;
        let answer = self
            .client
            .put_evaluations()
            .set_evaluations(Some(sdk))
            .result_token(result_token)
            .send()
            .await
            .map_err(api_error)?;
        Ok(answer
            .failed_evaluations()
            .iter()
            .map(|failed| failed.compliance_resource_id().to_owned())
            .collect())
    }

    async fn latest_configuration_item(
        &self,
        resource_id: &str,
    ) -> std::result::Result<Option<ConfigurationItem>, ApiError> {
        let answer = self
            .client
            .get_resource_config_history()
            .resource_type(ResourceType::from(RESOURCE_TYPE))
            .resource_id(resource_id)
            .limit(1)
            .send()
            .await
            .map_err(api_error)?;
        let Some(item) = answer.configuration_items().first() else {
            return Ok(None);
        };
        let missing =
            |field: &str| ApiError::invalid_response(format!("GetResourceConfigHistory gave an item without {field}"));
        let captured = item
            .configuration_item_capture_time()
            .ok_or_else(|| missing("configurationItemCaptureTime"))?;
        let captured_at = Timestamp::from_epoch_seconds(captured.secs());
        Ok(Some(ConfigurationItem {
            account_id: item.account_id().ok_or_else(|| missing("accountId"))?.to_owned(),
            region: item.aws_region().ok_or_else(|| missing("awsRegion"))?.to_owned(),
            resource_id: item.resource_id().ok_or_else(|| missing("resourceId"))?.to_owned(),
            arn: item.arn().map(str::to_owned),
            status: item.configuration_item_status().map(|s| s.as_str().to_owned()),
            captured_at,
        }))
    }
}
