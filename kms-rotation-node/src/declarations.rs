//! Keys declared in code: `checkTerraformPlan` and `checkCloudFormation` take a
//! path, the document as an object (a plan, a template, what a CDK test's
//! `Template.fromStack(stack).toJSON()` returns) or, for CloudFormation, an
//! array of them, and the policy options; the core judges them.

use std::collections::HashMap;

use kms_rotation_core::{DeclarationOptions as CoreDeclarationOptions, DeclarationSource};
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;

use crate::error::BindingError;
use crate::results::AccountReport;
use crate::{convert, options_object, promise, text};

/// CloudFormation parameter values, over their defaults.
#[napi(object, object_to_js = false)]
pub struct ParameterOptions {
    /// `{ NAME: 'VALUE' }`, as `aws cloudformation deploy --parameter-overrides` gives them.
    pub parameters: Option<HashMap<String, String>>,
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
    let accepts = |key: &str| POLICY.contains(&key) || (with_parameters && key == "parameters");
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
/// @throws (rejects) `INVALID_INPUT` for a document that is not a plan (saying what
/// it looks like), invalid JSON (line and column), an unsupported `format_version`;
/// `IO` when the file cannot be read.
#[napi(
    ts_args_type = "plan: string | object, options?: DeclarationPolicyOptions",
    ts_return_type = "Promise<AccountReport>"
)]
pub fn check_terraform_plan<'env>(
    env: &'env Env,
    plan: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, AccountReport>> {
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
/// @throws (rejects) `INVALID_INPUT` for a document that is not a template, invalid
/// YAML or JSON (line and column), a parameter no template declares; `IO` when a
/// file cannot be read.
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
    let work = sources.and_then(|sources| Ok((sources, self::options(options, true)?)));
    judged(env, work, |sources: Vec<DeclarationSource>, options| {
        kms_rotation_core::check_cloudformation(&sources, options)
    })
}
