//! Continuous evaluation's handlers (the package's `lambda.js` wraps them as
//! `configRuleHandler(event, context)` and `eventHandler(event, context)`):
//! the event as JSON, an SDK v3 `ConfigService`-shaped object as the core's
//! `JsonConfigClient`, the options object as every other function's; the
//! core's `handlers` judge, remediate and write. The promise settles to the
//! invocation's summary, or rejects with `API_ERROR` and the AWS code when a
//! key could not be judged or an evaluation Config kept refusing.

use std::time::Duration;

use kms_rotation_core::continuous::client::JsonConfigClient;
use kms_rotation_core::handlers::{self, HandlerOptions};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::convert;
use crate::error::BindingError;
use crate::operations::operation;
use crate::options::{Request, Takes};
use crate::org_transport::{JsOrganizationTransport, ServiceClientMaker};
use crate::transport::JsTransport;

/// Where and how long a Lambda invocation runs (from its context), and the
/// EventBridge handler's rule parameters.
#[napi(object, object_to_js = false)]
pub struct HandlerInvocation {
    /// The region the function runs in (Config is called there).
    pub region: Option<String>,
    /// The function's ARN (`context.invokedFunctionArn`): its account is the one the handler reads.
    pub function_arn: Option<String>,
    /// The time the function has left (`context.getRemainingTimeInMillis()`): it bounds retries.
    pub time_left_ms: Option<f64>,
    /// The EventBridge handler's rule parameters (the Config rule's names), as JSON text.
    pub rule_parameters: Option<String>,
    /// The role the EventBridge handler assumes in the account of an event's key
    /// when that is not the function's own (default: `KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME`).
    pub cross_account_role_name: Option<String>,
    /// The STS and KMS clients that assume that role and read the key there
    /// ({@link sdkClientFactory} makes one).
    #[napi(ts_type = "ServiceClientFactory")]
    pub service_client_factory: Option<ServiceClientMaker>,
}

/// The handler options of a call; `event_rules`: the EventBridge handler's
/// rule parameters (given, else `KMS_ROTATION_RULE_PARAMETERS`) — the Config
/// rule's policy is its event's.
fn handler_options(
    invocation: &mut HandlerInvocation,
    request: &Request,
    event_rules: bool,
) -> Result<HandlerOptions, BindingError> {
    let mut options = HandlerOptions::default()
        .with_check(request.check.clone())
        .with_remediation(request.remediate.clone());
    if let Some(arn) = &invocation.function_arn {
        options = options.with_function_arn(arn);
    }
    if let Some(ms) = invocation.time_left_ms.filter(|ms| ms.is_finite() && *ms > 0.0) {
        options = options.with_time_left(Duration::from_millis(ms as u64));
    }
    if !event_rules {
        return Ok(options);
    }
    options = match &invocation.rule_parameters {
        Some(text) => options.with_rule_parameters_json(text)?,
        None => options.with_rule_parameters_from_env()?,
    };
    options = options.with_cross_account_role_name_or_env(invocation.cross_account_role_name.as_deref())?;
    if let Some(factory) = invocation.service_client_factory.take() {
        options = options.with_organization_transport(JsOrganizationTransport::new(factory));
    }
    Ok(options)
}

fn read_invocation(value: Unknown<'_>) -> Result<HandlerInvocation, BindingError> {
    convert(value).map_err(|e| BindingError::invalid("invocation", format!("invalid invocation: {}", e.reason)))
}

fn read_event(value: Unknown<'_>) -> Result<Value, BindingError> {
    convert(value).map_err(|e| BindingError::invalid("event", format!("the event must be JSON: {}", e.reason)))
}

/// The AWS Config custom rule's handler over your clients (`lambda.js`'s
/// `configRuleHandler` calls it): the invocation's summary.
///
/// @throws (rejects) `INVALID_INPUT` naming a bad event field or rule
/// parameter, before any call; `API_ERROR` with the AWS code when a key
/// could not be judged or an evaluation not written (after the others).
#[napi(
    ts_args_type = "event: object, configClient: object, invocation: HandlerInvocation, options?: RemediateKeysOptions",
    ts_return_type = "Promise<InvocationSummary>"
)]
pub fn handle_config_rule<'env>(
    env: &'env Env,
    event: Unknown<'env>,
    config_client: Unknown<'env>,
    invocation: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, Value>> {
    let args = (|| {
        let event = read_event(event)?;
        let invocation = read_invocation(invocation)?;
        let transport =
            JsTransport::config(&config_client).map_err(|why| BindingError::invalid("configClient", why))?;
        let region = invocation
            .region
            .clone()
            .ok_or_else(|| BindingError::configuration("no region for AWS Config: set AWS_REGION (Lambda sets it)"))?;
        let config = JsonConfigClient::new(transport, &region)?;
        Ok((event, invocation, config))
    })();
    operation(
        env,
        args,
        options,
        Takes::HANDLER,
        |(event, mut invocation, config), connection, request| async move {
            let options = handler_options(&mut invocation, &request, false)?;
            let done = handlers::config_rule_handler(&connection, &config, &event, &options).await?;
            // The handler delivered the findings (to Security Hub) before a failure ends the invocation.
            Ok(done.into_result()?.summary())
        },
    )
}

/// The EventBridge rule's handler over your clients (`lambda.js`'s
/// `eventHandler` calls it): the invocation's summary.
///
/// @throws (rejects) `INVALID_INPUT` naming an event it cannot place, a key
/// of another account or a bad rule parameter, before any call; `API_ERROR`
/// with the AWS code when a key could not be judged.
#[napi(
    ts_args_type = "event: object, invocation: HandlerInvocation, options?: RemediateKeysOptions",
    ts_return_type = "Promise<InvocationSummary>"
)]
pub fn handle_event<'env>(
    env: &'env Env,
    event: Unknown<'env>,
    invocation: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, Value>> {
    let args = (|| Ok((read_event(event)?, read_invocation(invocation)?)))();
    operation(
        env,
        args,
        options,
        Takes::HANDLER,
        |(event, mut invocation), connection, request| async move {
            let options = handler_options(&mut invocation, &request, true)?;
            let done = handlers::event_handler(&connection, &event, &options).await?;
            // The handler delivered the findings (to Security Hub) before a failure ends the invocation.
            Ok(done.into_result()?.summary())
        },
    )
}

/// Whether `KMS_ROTATION_TO_SECURITY_HUB` asks for the findings in Security
/// Hub (`true` or `false`; unset or empty: `false`), as the core reads it
/// (`lambda.js` calls it).
///
/// @throws `INVALID_INPUT` naming the variable and its value for anything else.
#[napi]
pub fn to_security_hub_from_env(env: &Env) -> napi::Result<bool> {
    handlers::to_security_hub_from_env().map_err(|e| BindingError::from(e).into_napi(env))
}

/// The environment variable with the EventBridge handler's rule parameters (JSON), read by the core.
#[napi]
pub const RULE_PARAMETERS_ENV: &str = handlers::RULE_PARAMETERS_ENV;

/// The environment variable that sends the handlers' findings to Security Hub, read by the core.
#[napi]
pub const TO_SECURITY_HUB_ENV: &str = handlers::TO_SECURITY_HUB_ENV;

/// The environment variable naming the role the EventBridge handler assumes in another account, read by the core.
#[napi]
pub const CROSS_ACCOUNT_ROLE_ENV: &str = handlers::CROSS_ACCOUNT_ROLE_ENV;

/// The EventBridge event pattern that delivers exactly the events the handler follows.
#[napi(ts_return_type = "object")]
pub fn event_pattern() -> Value {
    kms_rotation_core::continuous::events::event_pattern()
}
