//! `checkKey` and `checkAccount`.

use kms_rotation_core::{
    KeyRef, check_account as core_check_account, check_key as core_check_key, check_key_operations,
};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::connection::Regions;
use crate::error::BindingError;
use crate::options::{CheckAccountRequest, CheckKeyRequest};
use crate::{promise, read_string};

/// Checks one key, named by key id, key ARN, alias name (`alias/…`) or alias ARN.
///
/// An AWS error about the key is an `ERROR` finding, not a rejection.
///
/// @throws (rejects) `INVALID_INPUT` before any call for a malformed key or
/// option; `CONFIGURATION` when no client serves the key's region.
#[napi(
    ts_args_type = "key: string, options?: CheckKeyOptions",
    ts_return_type = "Promise<Finding>"
)]
pub fn check_key<'env>(
    env: &'env Env,
    key: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, Value>> {
    let prepare = || -> Result<_, BindingError> {
        let key = read_string(key, "key")?;
        let key_region = key.parse::<KeyRef>()?.region().map(str::to_owned);
        let request = CheckKeyRequest::parse(options)?;
        let needed = check_key_operations(&request.policy);
        request.connection.require(&needed)?;
        if let (Some(arn_region), Some(region)) = (&key_region, &request.region)
            && arn_region != region
        {
            return Err(BindingError::invalid(
                "region",
                format!("the key ARN is in {arn_region} but region is {region}"),
            ));
        }
        let target = key_region.or(request.region);
        Ok(move || async move {
            let regions = match &target {
                Some(region) => Regions::List(vec![region.clone()]),
                None => Regions::Default,
            };
            let clients = request.connection.clients(&regions, needed).await?;
            let region = match target {
                Some(region) => region,
                None => match clients.regions().as_slice() {
                    [only] => only.clone(),
                    [] => return Err(BindingError::configuration("checkKey needs a region: give `region`")),
                    several => {
                        return Err(BindingError::configuration(format!(
                            "checkKey needs a region: the client serves {}; give `region` or a key ARN",
                            several.join(", ")
                        )));
                    }
                },
            };
            let client = clients.get(&region)?;
            let finding = core_check_key(
                client.as_ref(),
                &key,
                &kms_rotation_core::CheckOptions::default().with_policy(request.policy.clone()),
            )
            .await?;
            Ok(serde_json::to_value(finding).unwrap_or(Value::Null))
        })
    };
    promise(env, prepare())
}

/// Checks every key in the requested regions (all regions in parallel).
///
/// Resolves to the account report: the same plain object as the Rust
/// library's canonical JSON (`JSON.stringify(report)` gives that JSON, apart
/// from `generated_at` and `stats.duration_ms`). API errors never reject:
/// they are `ERROR` findings or a region's `error`.
///
/// @throws (rejects) `INVALID_INPUT` before any call for a malformed option;
/// `CONFIGURATION` (no region, no credentials, no client for a region);
/// `API_ERROR` when discovering the regions for `'all'` fails.
#[napi(
    ts_args_type = "options?: CheckAccountOptions",
    ts_return_type = "Promise<AccountReport>"
)]
pub fn check_account<'env>(env: &'env Env, options: Option<Unknown<'env>>) -> napi::Result<PromiseRaw<'env, Value>> {
    let prepare = || -> Result<_, BindingError> {
        let request = CheckAccountRequest::parse(options, "options")?;
        let needed = request.options.operations();
        request.connection.require(&needed)?;
        Ok(move || async move {
            let clients = request.connection.clients(&request.regions, needed).await?;
            let report = core_check_account(&clients, &request.options).await?;
            Ok(serde_json::to_value(report).unwrap_or(Value::Null))
        })
    };
    promise(env, prepare())
}
