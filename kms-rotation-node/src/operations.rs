//! The exported operations: each converts its arguments, calls the core's
//! `Connection`, and hands back the core's result in a thin class.

use std::future::Future;
use std::sync::Arc;

use kms_rotation_core::{CheckReport, Connection, OPTIONS};
use napi::bindgen_prelude::{
    ClassInstance, FromNapiValue, Function, JsObjectValue, Object, PromiseRaw, ToNapiValue, Unknown,
};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;

use crate::error::BindingError;
use crate::options::{Request, Takes};
use crate::results::{AccountReport, Finding, OrganizationReport, RemediationReport, ReportClass};
use crate::snapshot::Snapshot;
use crate::{HandOver, convert, promise, read_string};

/// An operation's promise: its arguments (`args`, read first) and its options
/// (read with `takes`) are checked before any call; then `run` gets them and
/// the connection the options describe.
fn operation<'env, A, T, F, R>(
    env: &'env Env,
    args: Result<A, BindingError>,
    options: Option<Unknown<'env>>,
    takes: Takes,
    run: F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    A: Send + 'static,
    T: ToNapiValue + HandOver + Send + 'static,
    F: FnOnce(A, Connection, Request) -> R + Send + 'static,
    R: Future<Output = Result<T, BindingError>> + Send + 'static,
{
    let work = args.and_then(|args| Ok((args, Request::parse(options, takes)?)));
    promise(
        env,
        work.map(|(args, mut request)| {
            move || async move {
                let connection = std::mem::take(&mut request.connect).build().await?;
                run(args, connection, request).await
            }
        }),
    )
}

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
) -> napi::Result<PromiseRaw<'env, Finding>> {
    let key = read_string(key, "key");
    operation(env, key, options, Takes::KEY, |key, connection, request| async move {
        let finding = connection
            .check_key(&key, request.region.as_deref(), &request.check)
            .await?;
        Ok(Finding::new(finding))
    })
}

/// Checks every key in the requested regions (all regions in parallel).
///
/// API errors never reject: they are `ERROR` findings or a region's `error`.
///
/// @throws (rejects) `INVALID_INPUT` before any call for a malformed option;
/// `CONFIGURATION` (no region, no credentials, no client for a region);
/// `API_ERROR` when discovering the regions for `'all'` fails.
#[napi(
    ts_args_type = "options?: CheckAccountOptions",
    ts_return_type = "Promise<AccountReport>"
)]
pub fn check_account<'env>(
    env: &'env Env,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, AccountReport>> {
    operation(
        env,
        Ok(()),
        options,
        Takes::CHECK_ACCOUNT,
        |(), connection, request| async move { Ok(AccountReport::new(connection.check_account(&request.check).await?)) },
    )
}

/// Reads every requested region's KMS facts into a snapshot file at `path`
/// (to audit offline later, under any policy) and resolves to that snapshot.
///
/// Takes the options of {@link checkAccount}; tags are read only when an
/// exemption needs them.
///
/// @throws (rejects) `INVALID_INPUT` before any call; `CONFIGURATION`, `API_ERROR` or `IO`.
#[napi(
    ts_args_type = "path: string, options?: CollectOptions",
    ts_return_type = "Promise<Snapshot>"
)]
pub fn collect<'env>(
    env: &'env Env,
    path: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, Snapshot>> {
    let path = read_string(path, "path");
    operation(
        env,
        path,
        options,
        Takes::SCAN,
        |path, connection, request| async move {
            let snapshot = connection.collect(&request.check).await?;
            snapshot.save(&path)?;
            Ok(Snapshot::new(snapshot))
        },
    )
}

/// Turns rotation on for the `FAIL` findings of a report from
/// {@link checkAccount} (the report, its `toJSON()` object, or its JSON text).
///
/// A dry run by default: `dryRun: false` calls `EnableKeyRotation`. Each
/// target (the key, or a replica's primary, once) is re-read before acting and
/// read back after; periods are never lengthened and rotation is never turned off.
///
/// @throws (rejects) `INVALID_INPUT` before any call for a malformed report,
/// a period outside 90–2560 days or above the report's policy maximum;
/// `CONFIGURATION` when no client serves a target's region.
#[napi(
    ts_args_type = "report: AccountReport | AccountReportJson | string, options?: RemediateOptions",
    ts_return_type = "Promise<RemediationReport>"
)]
pub fn remediate<'env>(
    env: &'env Env,
    report: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, RemediationReport>> {
    let report = report_to_remediate::<AccountReport>(env, report);
    operation(
        env,
        report,
        options,
        Takes::REMEDIATE,
        |report, connection, request| async move {
            let outcome = connection.remediate(&report, &request.remediate).await?;
            Ok(RemediationReport::new(outcome))
        },
    )
}

/// Checks the keys (key ids, key ARNs, `alias/NAME` or alias ARNs), then turns
/// rotation on for those that fail, as {@link remediate} does for a report.
///
/// @throws (rejects) `INVALID_INPUT` before any call for an empty list, a
/// malformed key or option; `CONFIGURATION` when no client serves a key's region.
#[napi(
    ts_args_type = "keys: string[], options?: RemediateKeysOptions",
    ts_return_type = "Promise<RemediationReport>"
)]
pub fn remediate_keys<'env>(
    env: &'env Env,
    keys: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, RemediationReport>> {
    let keys: Result<Vec<String>, BindingError> = match keys.get_type() {
        Ok(ValueType::Object) if keys.is_array().unwrap_or(false) => {
            convert(keys).map_err(|e| BindingError::invalid("keys", format!("keys: {}", e.reason)))
        }
        _ => Err(BindingError::invalid("keys", "keys must be an array of strings")),
    };
    operation(
        env,
        keys,
        options,
        Takes::REMEDIATE_KEYS,
        |keys, connection, request| async move {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let outcome = connection
                .remediate_keys(&keys, request.region.as_deref(), &request.check, &request.remediate)
                .await?;
            Ok(RemediationReport::new(outcome))
        },
    )
}

/// Runs the `kms-rotation` command line — the core's, as the Rust binary and the
/// Python console script run it — with these arguments (the first is the program
/// name) and returns its exit code. It blocks until the command ends; its output
/// goes to the process's standard output and error. The package's `bin` calls it.
#[napi]
pub fn run_cli(args: Vec<String>) -> u32 {
    u32::from(kms_rotation_core::cli::run(args))
}

/// The version of this package, of the core under it and of its command line.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Checks every account of an AWS Organization (or of an OU, or of an
/// accounts file) through the role `roleName` in each, `maxAccountsInFlight`
/// accounts at a time, with the built-in AWS SDK for Rust client.
///
/// Every account gets one entry: `checked`, `skipped` (not `ACTIVE`) or
/// `error` with the AWS code (the role could not be assumed, the regions could
/// not be listed); failures in an account never reject.
///
/// @throws (rejects) `INVALID_INPUT` before any call for a malformed account
/// id, role name, OU id, accounts file or option; `CONFIGURATION`; `API_ERROR`
/// when the caller's identity or the account listing fails.
#[napi(
    ts_args_type = "options?: CheckOrganizationOptions",
    ts_return_type = "Promise<OrganizationReport>"
)]
pub fn check_organization<'env>(
    env: &'env Env,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, OrganizationReport>> {
    operation(
        env,
        Ok(()),
        options,
        Takes::ORGANIZATION_SCAN,
        |(), connection, request| async move {
            Ok(OrganizationReport::new(
                connection.check_organization(&request.check).await?,
            ))
        },
    )
}

/// Fixes the `FAIL` findings of a report from {@link checkOrganization} (the
/// report, its `toJSON()` object, or its JSON text), each in its own account
/// through `remediationRoleName` (else `roleName`), as {@link remediate} does:
/// a dry run by default.
///
/// @throws (rejects) `INVALID_INPUT` before any call for a malformed report or
/// option, or a target outside its finding's account.
#[napi(
    ts_args_type = "report: OrganizationReport | OrganizationReportJson | string, options?: RemediateOrganizationOptions",
    ts_return_type = "Promise<RemediationReport>"
)]
pub fn remediate_organization<'env>(
    env: &'env Env,
    report: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, RemediationReport>> {
    let report = report_to_remediate::<OrganizationReport>(env, report);
    operation(
        env,
        report,
        options,
        Takes::ORGANIZATION_REMEDIATE,
        |report, connection, request| async move {
            let outcome = connection.remediate_organization(&report, &request.remediate).await?;
            Ok(RemediationReport::new(outcome))
        },
    )
}

/// Every option name of the core, as this package spells them (camelCase);
/// each is accepted by the functions it applies to.
#[napi]
pub fn option_names() -> Vec<String> {
    OPTIONS.iter().map(|option| option.camel_case()).collect()
}

/// The report to remediate: an instance of the class `C` (its report, not
/// copied), else read from its JSON.
fn report_to_remediate<'env, C>(env: &'env Env, report: Unknown<'env>) -> Result<Arc<C::Core>, BindingError>
where
    C: ReportClass + 'env,
    ClassInstance<'env, C>: FromNapiValue,
{
    if C::instance_of(env, &report).unwrap_or(false) {
        let instance: ClassInstance<'env, C> =
            convert(report).map_err(|e| BindingError::invalid("report", e.reason.clone()))?;
        return Ok(instance.checked().inner.clone());
    }
    Ok(Arc::new(C::Core::from_json(&report_text(env, report)?)?))
}

/// A report given as its JSON text or its `toJSON()` object.
fn report_text(env: &Env, report: Unknown<'_>) -> Result<String, BindingError> {
    let invalid = |message: String| BindingError::invalid("report", message);
    let text = match report.get_type() {
        Ok(ValueType::String) => read_string(report, "report")?,
        Ok(ValueType::Object) => {
            let stringify = || -> napi::Result<String> {
                let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
                let stringify: Function<'_, Unknown<'_>, String> = json.get_named_property("stringify")?;
                stringify.apply(json, report)
            };
            stringify().map_err(|e| invalid(format!("report cannot be written as JSON: {}", e.reason)))?
        }
        _ => {
            return Err(invalid(
                "report must be a report of this package, its toJSON() object or its JSON text".to_owned(),
            ));
        }
    };
    Ok(text)
}
