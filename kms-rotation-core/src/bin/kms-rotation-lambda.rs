//! The continuous-evaluation handlers as a Rust Lambda function (feature
//! `lambda`; the `provided.al2023` runtime runs a binary named `bootstrap`):
//!
//! ```sh
//! cargo build --release -p kms-rotation-core --features lambda --bin kms-rotation-lambda
//! cp target/release/kms-rotation-lambda bootstrap && zip function.zip bootstrap
//! ```
//!
//! One function serves both triggers: an event with `invokingEvent` is the
//! Config custom rule's ([`handlers::config_rule_handler`]), any other the
//! EventBridge rule's ([`handlers::event_handler`]). Clients come from the
//! environment as aws-config reads it (the function's role, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` for an emulator); the EventBridge handler's policy from
//! `KMS_ROTATION_RULE_PARAMETERS`; `KMS_ROTATION_TO_SECURITY_HUB=true` keeps
//! the findings current in Security Hub (the template sets it; read by
//! [`handlers::to_security_hub_from_env`], as Python and Node do);
//! `KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME` names the role the EventBridge
//! handler assumes in another account whose events reach it. A key that cannot be judged, or an
//! evaluation Config keeps refusing, fails the invocation with the AWS code.

use std::time::Duration;

use kms_rotation_core::aws::{AwsConfigClient, AwsOptions, AwsSession};
use kms_rotation_core::handlers::{self, HandlerOptions};
use kms_rotation_core::{ConnectionOptions, Error, SecurityHubTarget};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

/// A failed invocation as Lambda reports it: `errorType` is the AWS code
/// (`AccessDeniedException`, `ThrottlingException`, `FailedEvaluations`) or
/// the kind of bad input, `errorMessage` the core's message.
#[derive(Debug)]
struct Failure(Error);

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl From<Failure> for Diagnostic {
    fn from(Failure(error): Failure) -> Self {
        let error_type = match &error {
            Error::Api { source, .. } => source.code.clone(),
            Error::InvalidInput { .. } => "InvalidInput".to_owned(),
            Error::Configuration(_) => "Configuration".to_owned(),
            _ => "Error".to_owned(),
        };
        Diagnostic {
            error_type,
            error_message: error.to_string(),
        }
    }
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Failure> {
    let (event, context) = event.into_parts();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let options = HandlerOptions::default()
        .with_function_arn(&context.invoked_function_arn)
        .with_time_left(Duration::from_millis(context.deadline.saturating_sub(now_ms)));
    let mut connection = ConnectionOptions::default();
    if handlers::to_security_hub_from_env()? {
        connection = connection.with_security_hub(SecurityHubTarget::Aws);
    }
    let connection = connection.build()?;
    let invocation = if event.get("invokingEvent").is_some() {
        let session = AwsSession::connect(&AwsOptions::default()).await?;
        let config = AwsConfigClient::new(&session, session.home_region())?;
        handlers::config_rule_handler(&connection, &config, &event, &options).await?
    } else {
        let options = options
            .with_rule_parameters_from_env()?
            .with_cross_account_role_name_from_env()?;
        handlers::event_handler(&connection, &event, &options).await?
    };
    // The handler delivered the findings (to Security Hub) before a failure ends the invocation.
    Ok(invocation.into_result()?.summary())
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handle)).await
}
