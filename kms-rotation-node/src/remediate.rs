//! `remediate`.

use kms_rotation_core::{AccountReport, remediate as core_remediate};
use napi::bindgen_prelude::{Function, JsObjectValue, Object, PromiseRaw, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;
use serde_json::Value;

use crate::connection::Regions;
use crate::error::BindingError;
use crate::options::RemediateRequest;
use crate::promise;

/// Turns rotation on for the `FAIL` findings of a report from
/// {@link checkAccount} (the object, or its JSON text).
///
/// A dry run by default: `dryRun: false` calls `EnableKeyRotation`. Each
/// target (the key, or a replica's primary, once) is re-read before acting and
/// read back after; periods are never lengthened and rotation is never turned off.
///
/// @throws (rejects) `INVALID_INPUT` before any call for a malformed report,
/// a period outside 90–2560 days or above the report's policy maximum;
/// `CONFIGURATION` when no client serves a target's region.
#[napi(
    ts_args_type = "report: AccountReport | string, options?: RemediateOptions",
    ts_return_type = "Promise<RemediationReport>"
)]
pub fn remediate<'env>(
    env: &'env Env,
    report: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, Value>> {
    let prepare = || -> Result<_, BindingError> {
        let report = AccountReport::from_json(&report_text(env, report)?)?;
        let request = RemediateRequest::parse(options)?;
        let needed = request.options.operations();
        request.connection.require(&needed)?;
        let regions: Vec<String> = report.regions.iter().map(|r| r.region.clone()).collect();
        let regions = if regions.is_empty() {
            Regions::Default
        } else {
            Regions::List(regions)
        };
        Ok(move || async move {
            let clients = request.connection.clients(&regions, needed).await?;
            let outcome = core_remediate(&clients, &report, &request.options).await?;
            Ok(serde_json::to_value(outcome).unwrap_or(Value::Null))
        })
    };
    promise(env, prepare())
}

/// The report as JSON text: given as text, or `JSON.stringify` of the object.
fn report_text(env: &Env, report: Unknown<'_>) -> Result<String, BindingError> {
    let invalid = |message: String| BindingError::invalid("report", message);
    match report.get_type() {
        Ok(ValueType::String) => crate::read_string(report, "report"),
        Ok(ValueType::Object) => {
            let stringify = || -> napi::Result<String> {
                let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
                let stringify: Function<'_, Unknown<'_>, String> = json.get_named_property("stringify")?;
                stringify.apply(json, report)
            };
            stringify().map_err(|e| invalid(format!("report cannot be written as JSON: {}", e.reason)))
        }
        _ => Err(invalid(
            "report must be a report object from checkAccount or its JSON text".to_owned(),
        )),
    }
}
