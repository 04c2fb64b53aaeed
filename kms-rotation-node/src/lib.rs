//! The Node.js binding of kms-rotation: the npm package `kms-rotation`.
//!
//! One file per core concept, each converting arguments, results and errors
//! and holding no KMS rule, lowest layer first: [`error`]; [`transport`] (the
//! core's `JsonTransport` over an AWS SDK v3 client object); [`org_transport`]
//! (the core's `OrganizationTransport` over `serviceClientFactory`, and
//! `sdkClientFactory`); [`snapshot`]
//! (`loadSnapshot`, `Snapshot`, and its SDK-shaped fake `kmsClient`);
//! [`results`] (reports and findings as thin classes over the core's values);
//! [`options`] (the options object, converted to the core's options in one
//! place); [`operations`] (`checkKey`, `checkAccount`, `collect`, `remediate`,
//! `remediateKeys`, `optionNames`); [`declarations`] (`checkTerraformPlan`,
//! `checkCloudFormation`); [`conformance`] (`runConformance`);
//! [`handlers`] (continuous evaluation's Lambda handlers, wrapped by `lambda.js`).
//!
//! The JSON types in `index.d.ts` come from `types.d.ts` (the napi build's header).

#![deny(unsafe_code)]
// `#[napi]` items must be `pub` to be exported to JavaScript, yet this cdylib
// has no Rust API for them to be reachable from.
#![allow(unreachable_pub)]
// Under `cfg(test)` (`clippy --all-targets`) napi leaves the exports unregistered.
#![cfg_attr(test, allow(dead_code))]

use std::future::Future;

use napi::bindgen_prelude::{
    FromNapiValue, Function, JsObjectValue, KeyCollectionMode, KeyConversion, KeyFilter, Object, PromiseRaw,
    ToNapiValue, Unknown,
};
use napi::{Env, JsValue, ValueType};

mod conformance;
mod declarations;
mod error;
mod handlers;
mod operations;
mod options;
mod org_transport;
mod results;
mod snapshot;
mod transport;

use error::BindingError;

/// Settles a promise with the result of the future `work` makes; an error
/// found while preparing `work` rejects the promise before any call.
fn promise<'env, T, W, F>(env: &'env Env, work: Result<W, BindingError>) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + HandOver + Send + 'static,
    W: FnOnce() -> F + Send + 'static,
    F: Future<Output = Result<T, BindingError>> + Send + 'static,
{
    let work = match work {
        Ok(work) => work,
        Err(error) => return PromiseRaw::reject(env, error.into_napi(env)),
    };
    let run = async move { Ok(work().await) };
    env.spawn_future_with_callback(run, |env, result| {
        result.map(|value| value.hand_over(env)).map_err(|e| e.into_napi(env))
    })
}

/// A result reaching JavaScript (on the JS thread).
trait HandOver: Sized {
    /// The result as handed over; by default as is.
    fn hand_over(self, _env: &Env) -> Self {
        self
    }
}

impl<T> HandOver for Vec<T> {}

/// Bytes a JS object holds outside V8's heap, told to V8 so that garbage
/// collection frees unused results as promptly as JS objects of that size
/// (a 10,000-key snapshot and its report hold about 50 MB).
#[derive(Debug, Default)]
struct ExternalMemory(i64);

impl ExternalMemory {
    fn claim(env: &Env, bytes: usize) -> Self {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        Self(env.adjust_external_memory(bytes).map_or(0, |_| bytes))
    }

    fn release(&self, env: &Env) -> napi::Result<()> {
        env.adjust_external_memory(-self.0).map(drop)
    }
}

/// A string argument, or `INVALID_INPUT` naming it.
fn read_string(value: Unknown<'_>, what: &str) -> Result<String, BindingError> {
    text(&value).ok_or_else(|| BindingError::invalid(what, format!("{what} must be a string")))
}

/// The text of a JS string; `None` for any other value.
fn text(value: &Unknown<'_>) -> Option<String> {
    if !matches!(value.get_type(), Ok(ValueType::String)) {
        return None;
    }
    value
        .coerce_to_string()
        .and_then(|s| s.into_utf8())
        .and_then(|s| s.into_owned())
        .ok()
}

/// JSON text as a plain JS value (`JSON.parse`: one call, however large the text).
fn parse_json<'env>(env: &'env Env, text: &str) -> napi::Result<Unknown<'env>> {
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<'_, Unknown<'_>, Unknown<'_>> = json.get_named_property("parse")?;
    parse.apply(json, js_text(env, text)?)
}

/// Text as a JS string; ASCII (the JSON and CSV of AWS names) is copied as is, without UTF-8 decoding.
fn js_text<'env>(env: &'env Env, text: &str) -> napi::Result<Unknown<'env>> {
    if text.is_ascii() {
        Ok(env.create_string_latin1(text.as_bytes())?.to_unknown())
    } else {
        Ok(env.create_string(text)?.to_unknown())
    }
}

/// An options argument: absent (`undefined`, `null`), or an object whose own
/// enumerable keys all pass `accepts` (anything else is a typo, refused).
fn options_object<'env>(
    value: Option<Unknown<'env>>,
    accepts: impl Fn(&str) -> bool,
) -> Result<Option<Unknown<'env>>, BindingError> {
    let Some(value) = value.filter(|v| !matches!(v.get_type(), Ok(ValueType::Undefined | ValueType::Null))) else {
        return Ok(None);
    };
    if !matches!(value.get_type(), Ok(ValueType::Object)) {
        return Err(BindingError::invalid("options", "options must be an object"));
    }
    let keys = || -> napi::Result<Vec<String>> {
        let names = value.coerce_to_object()?.get_all_property_names(
            KeyCollectionMode::OwnOnly,
            KeyFilter::Enumerable,
            KeyConversion::NumbersToStrings,
        )?;
        // Symbol keys are no option names; they are left alone.
        (0..names.get_array_length()?)
            .map(|index| Ok(text(&names.get_element::<Unknown<'_>>(index)?)))
            .filter_map(Result::transpose)
            .collect()
    };
    let keys = keys().map_err(|e| BindingError::invalid("options", e.reason.clone()))?;
    match keys.iter().find(|key| !accepts(key)) {
        Some(key) => Err(BindingError::invalid(
            "options",
            format!("unknown option {key:?} (see the type definitions for the accepted options)"),
        )),
        None => Ok(Some(value)),
    }
}

/// Converts a JS value with napi's conversion for `T` (which checks the value's type).
#[allow(unsafe_code)]
fn convert<T: FromNapiValue>(value: Unknown<'_>) -> napi::Result<T> {
    // SAFETY: `value` is a live handle of the current callback scope, and every
    // `FromNapiValue` implementation validates the value it reads.
    unsafe { value.cast::<T>() }
}
