//! Keys declared in code: `checkTerraformPlan` and `checkCloudFormation` take a
//! path, the document as an object (a plan, a template, what a CDK test's
//! `Template.fromStack(stack).toJSON()` returns) or, for CloudFormation, an
//! array of them, and the policy options; the core judges them.

use std::collections::HashMap;

use std::sync::Arc;

use kms_rotation_core::{DeclarationOptions as CoreDeclarationOptions, DeclarationSource, JsonCloudFormationClient};
use napi::bindgen_prelude::{FromNapiValue, PromiseRaw, TypeName, Unknown, ValidateNapiValue};
use napi::{Env, JsValue, Status, ValueType, sys};
use napi_derive::napi;

use crate::error::BindingError;
use crate::operations::operation;
use crate::options::Takes;
use crate::results::AccountReport;
use crate::transport::{JsTransport, RegionSource};
use crate::{convert, options_object, promise, text};

/// CloudFormation parameter values, over their defaults.
#[napi(object, object_to_js = false)]
pub struct ParameterOptions {
    /// `{ NAME: 'VALUE' }`, as `aws cloudformation deploy --parameter-overrides` gives them.
    pub parameters: Option<HashMap<String, String>>,
}

/// Declared keys compared with live ones, read through the connection options.
#[napi(object, object_to_js = false)]
pub struct LiveOptions {
    /// Compare each declared key whose id is known (a state's, a plan's prior state's, or
    /// with `stackName` the deployed stack's) with its live key, read fresh through the
    /// connection options (`client`, `regions`, `endpointUrl`, …): a difference is `FAIL
    /// drift` with both values (the finding's `live`); a key not created yet keeps its
    /// declared verdict; a live read that fails is `ERROR`.
    pub compare_live: Option<bool>,
    /// The deployed stack (name or stack id) of the one template given, whose keys'
    /// physical ids `DescribeStackResources` gives ({@link checkCloudFormation}, with `compareLive`).
    pub stack_name: Option<String>,
    /// An AWS SDK v3 `CloudFormation` client (`new CloudFormation({ region })`) or any
    /// object with its `describeStackResources`, the stack is read with; default: the
    /// built-in client (needed with your own `client`).
    #[napi(ts_type = "CloudFormationClientLike")]
    pub cloudformation_client: Option<CloudFormationArg>,
}

/// What `cloudformationClient` held: an SDK v3-shaped client and its region.
pub struct CloudFormationArg(JsTransport, RegionSource);

impl TypeName for CloudFormationArg {
    fn type_name() -> &'static str {
        "CloudFormationClientLike"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for CloudFormationArg {}

#[allow(unsafe_code)]
impl FromNapiValue for CloudFormationArg {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi calls this with a live value of the current callback scope.
        let value = unsafe { Unknown::from_raw_unchecked(env, value) };
        let env = Env::from_raw(env);
        let read = || -> Result<Self, String> {
            Ok(CloudFormationArg(
                JsTransport::cloudformation(&value)?,
                RegionSource::of(&env, &value)?,
            ))
        };
        read().map_err(|reason| napi::Error::new(Status::InvalidArg, reason))
    }
}

/// The live options, read before the rest: with `compareLive` the options are a
/// check's (connection, policy, pacing) too.
fn live_options(value: Option<Unknown<'_>>) -> Result<LiveOptions, BindingError> {
    let empty = LiveOptions {
        compare_live: None,
        stack_name: None,
        cloudformation_client: None,
    };
    match value {
        Some(value) if matches!(value.get_type(), Ok(ValueType::Object)) => {
            convert(value).map_err(|e| BindingError::invalid("options", format!("invalid options: {}", e.reason)))
        }
        _ => Ok(empty),
    }
}

/// The core's options of a check with `compareLive`: the check's policy, the
/// parameters, the stack; the CloudFormation client once its region is known.
fn live_declaration_options(
    value: Option<Unknown<'_>>,
    policy: kms_rotation_core::Policy,
    stack_name: Option<String>,
) -> Result<CoreDeclarationOptions, BindingError> {
    let mut options = CoreDeclarationOptions::default()
        .with_policy(policy)
        .with_compare_live(true);
    if let Some(name) = stack_name {
        options = options.with_stack_name(name)?;
    }
    if let Some(value) = value {
        let given: ParameterOptions =
            convert(value).map_err(|e| BindingError::invalid("options", format!("invalid options: {}", e.reason)))?;
        // A Terraform plan's are refused by the core, naming them.
        let mut parameters: Vec<(String, String)> = given.parameters.unwrap_or_default().into_iter().collect();
        parameters.sort();
        for (name, value) in parameters {
            options = options.with_parameter(name, value)?;
        }
    }
    Ok(options)
}

/// The policy of the options object (the keys of {@link DeclarationPolicyOptions}).
fn policy(value: Option<Unknown<'_>>) -> Result<kms_rotation_core::Policy, BindingError> {
    let Some(value) = value else {
        return Ok(kms_rotation_core::Policy::default());
    };
    let read = |e: napi::Error| BindingError::invalid("options", format!("invalid options: {}", e.reason));
    Ok(crate::options::check(convert(value).map_err(read)?)?.policy().clone())
}

/// With `cloudformationClient`: the core's client over it, once its region is resolved.
async fn with_cloudformation(
    options: CoreDeclarationOptions,
    client: Option<CloudFormationArg>,
) -> Result<CoreDeclarationOptions, BindingError> {
    let Some(CloudFormationArg(transport, region)) = client else {
        return Ok(options);
    };
    let Some(region) = region.resolve().await.map_err(BindingError::configuration)? else {
        return Err(BindingError::configuration(
            "cloudformationClient: the CloudFormation client says no region (config.region)",
        ));
    };
    let client = JsonCloudFormationClient::new(transport, &region)?;
    Ok(options.with_cloudformation_client(Arc::new(client)))
}

/// The policy options (`DeclarationPolicyOptions` in `types.d.ts`): those of
/// {@link checkAccount}'s `CheckOptions` that judge keys.
const POLICY: [&str; 6] = [
    "maxRotationPeriodDays",
    "evaluateDisabledKeys",
    "exemptions",
    "rotationHistory",
    "maxDaysSinceRotation",
    "acceptOnDemandRotation",
];

/// The core's options from the options object (`parameters` only when `with_parameters`).
fn options(value: Option<Unknown<'_>>, with_parameters: bool) -> Result<CoreDeclarationOptions, BindingError> {
    // Without compareLive, the live options reach the core, which names what they lack.
    let live = ["compareLive", "stackName", "cloudformationClient"];
    let accepts = |key: &str| POLICY.contains(&key) || live.contains(&key) || (with_parameters && key == "parameters");
    let Some(value) = options_object(value, accepts)? else {
        return Ok(CoreDeclarationOptions::default());
    };
    let read = |e: napi::Error| BindingError::invalid("options", format!("invalid options: {}", e.reason));
    // Only the policy's keys got past `accepts`: the others read as absent.
    let check = crate::options::check(convert(value).map_err(read)?)?;
    let mut options = CoreDeclarationOptions::default().with_policy(check.policy().clone());
    if with_parameters {
        let given: ParameterOptions = convert(value).map_err(read)?;
        let mut parameters: Vec<(String, String)> = given.parameters.unwrap_or_default().into_iter().collect();
        parameters.sort();
        for (name, value) in parameters {
            options = options.with_parameter(name, value)?;
        }
    }
    let live = live_options(Some(value))?;
    if live.cloudformation_client.is_some() {
        // Without compareLive nothing is read: the client cannot be used.
        return Err(BindingError::invalid(
            "cloudformationClient",
            "cloudformationClient reads the stack named by stackName: give stackName and compareLive too",
        ));
    }
    options = options.with_compare_live(live.compare_live.unwrap_or(false));
    if let Some(name) = live.stack_name {
        options = options.with_stack_name(name)?;
    }
    Ok(options)
}

/// One source: a path, or the document as an object.
fn source(value: Unknown<'_>, what: &str) -> Result<DeclarationSource, BindingError> {
    if let Some(path) = text(&value) {
        return Ok(DeclarationSource::path(path));
    }
    match value.get_type() {
        Ok(ValueType::Object) => convert::<serde_json::Value>(value)
            .map(DeclarationSource::json)
            .map_err(|e| BindingError::invalid(what, format!("{what}: {}", e.reason))),
        _ => Err(BindingError::invalid(
            what,
            format!("{what} must be a path or the document as an object"),
        )),
    }
}

/// Checks the keys a Terraform plan declares, before they exist: the JSON of
/// `terraform show -json PLANFILE` (or of `terraform show -json` on a state), as a
/// path or an object. The same decision table, policy, report and exit code as
/// {@link checkAccount}; each finding has its `code` (file, line, address, fix).
/// A value not known before apply that the table needs is `ERROR unresolved`.
///
/// With `compareLive`, each declared key whose id the state (or the plan's prior
/// state) knows is read live through the connection options and compared: a
/// difference is `FAIL drift` with both values and the live verdict (`live`).
///
/// @throws (rejects) `INVALID_INPUT` for a document that is not a plan (saying what
/// it looks like), invalid JSON (line and column), an unsupported `format_version`,
/// `compareLive` on a plan that knows no key id; `IO` when the file cannot be read;
/// with `compareLive`, `CONFIGURATION` as {@link checkKey}.
#[napi(
    ts_args_type = "plan: string | object, options?: TerraformPlanOptions",
    ts_return_type = "Promise<AccountReport>"
)]
pub fn check_terraform_plan<'env>(
    env: &'env Env,
    plan: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, AccountReport>> {
    let live = match live_options(options) {
        Ok(live) => live,
        Err(error) => return PromiseRaw::reject(env, error.into_napi(env)),
    };
    if live.compare_live == Some(true) {
        let args = source(plan, "plan").and_then(|plan| {
            let declared = live_declaration_options(options, policy(options)?, live.stack_name)?;
            Ok((plan, declared, live.cloudformation_client))
        });
        return operation(
            env,
            args,
            options,
            Takes::DECLARATION,
            |(plan, declared, client), connection, request| async move {
                let declared = with_cloudformation(declared, client).await?;
                Ok(AccountReport::new(
                    connection
                        .check_terraform_plan(&plan, &declared, &request.check)
                        .await?,
                ))
            },
        );
    }
    let work = source(plan, "plan").and_then(|plan| Ok((plan, self::options(options, false)?)));
    judged(env, work, |plan, options| {
        kms_rotation_core::check_terraform_plan(&plan, options)
    })
}

/// The promise of the report `check` makes of the read sources and options.
fn judged<'env, S: Send + 'static>(
    env: &'env Env,
    work: Result<(S, CoreDeclarationOptions), BindingError>,
    check: fn(S, &CoreDeclarationOptions) -> kms_rotation_core::Result<kms_rotation_core::AccountReport>,
) -> napi::Result<PromiseRaw<'env, AccountReport>> {
    promise(
        env,
        work.map(|(sources, options)| move || async move { Ok(AccountReport::new(check(sources, &options)?)) }),
    )
}

/// Checks the keys CloudFormation templates declare, before they exist: a template
/// file (JSON or YAML), a directory of them (CDK's `cdk.out`), a template object
/// (`Template.fromStack(stack).toJSON()` in a CDK unit test), or an array of these.
/// The same decision table, policy, report and exit code as {@link checkAccount}.
///
/// With `compareLive` and `stackName`, the deployed stack's keys (physical ids from
/// `DescribeStackResources`, read before any KMS call) are read live and compared: a
/// difference is `FAIL drift` with both values and the live verdict (`live`).
///
/// @throws (rejects) `INVALID_INPUT` for a document that is not a template, invalid
/// YAML or JSON (line and column), a parameter no template declares, `stackName`
/// without `compareLive` (or `compareLive` without it), a stack that does not exist;
/// `IO` when a file cannot be read; `API_ERROR` when the stack cannot be read.
#[napi(
    ts_args_type = "templates: string | object | Array<string | object>, options?: CloudFormationOptions",
    ts_return_type = "Promise<AccountReport>"
)]
pub fn check_cloud_formation<'env>(
    env: &'env Env,
    templates: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, AccountReport>> {
    let sources = if templates.is_array().unwrap_or(false) {
        convert::<Vec<Unknown<'_>>>(templates)
            .map_err(|e| BindingError::invalid("template", e.reason.clone()))
            .and_then(|items| items.into_iter().map(|item| source(item, "template")).collect())
    } else {
        source(templates, "template").map(|one| vec![one])
    };
    let live = match live_options(options) {
        Ok(live) => live,
        Err(error) => return PromiseRaw::reject(env, error.into_napi(env)),
    };
    if live.compare_live == Some(true) {
        let args = sources.and_then(|sources| {
            let declared = live_declaration_options(options, policy(options)?, live.stack_name)?;
            Ok((sources, declared, live.cloudformation_client))
        });
        return operation(
            env,
            args,
            options,
            Takes::DECLARATION,
            |(sources, declared, client), connection, request| async move {
                let declared = with_cloudformation(declared, client).await?;
                Ok(AccountReport::new(
                    connection
                        .check_cloudformation(&sources, &declared, &request.check)
                        .await?,
                ))
            },
        );
    }
    let work = sources.and_then(|sources| Ok((sources, self::options(options, true)?)));
    judged(env, work, |sources: Vec<DeclarationSource>, options| {
        kms_rotation_core::check_cloudformation(&sources, options)
    })
}
