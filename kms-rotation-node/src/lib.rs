//! The Node.js binding of kms-rotation: the npm package `kms-rotation`.
//!
//! One file per core concept, each converting arguments, results and errors
//! and holding no KMS rule: [`check`] (`checkKey`, `checkAccount`),
//! [`remediate`], [`snapshot`] (`loadSnapshot`, `Snapshot`, `collect`),
//! [`connection`] (which clients serve a call), [`js_client`] (the core's
//! `KmsClient` over an AWS SDK v3 client object), [`options`] and [`error`].
//!
//! The report types in `index.d.ts` come from `types.d.ts` (the napi build's
//! header); reports themselves are the core's canonical JSON as plain objects.

#![deny(unsafe_code)]
// `#[napi]` items must be `pub` to be exported to JavaScript, yet this cdylib
// has no Rust API for them to be reachable from.
#![allow(unreachable_pub)]
// Under `cfg(test)` (`clippy --all-targets`) napi leaves the exports unregistered.
#![cfg_attr(test, allow(dead_code))]

use std::future::Future;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue, Unknown};
use napi::{Env, JsValue, ValueType};

mod check;
mod connection;
mod error;
mod js_client;
mod options;
mod remediate;
mod snapshot;

use error::BindingError;

/// Settles a promise with the result of the future `work` makes; an error
/// found while preparing `work` rejects the promise before any call.
fn promise<'env, T, W, F>(env: &'env Env, work: Result<W, BindingError>) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    W: FnOnce() -> F + Send + 'static,
    F: Future<Output = Result<T, BindingError>> + Send + 'static,
{
    let work = match work {
        Ok(work) => work,
        Err(error) => return PromiseRaw::reject(env, error.into_napi(env)),
    };
    let run = async move { Ok(work().await) };
    env.spawn_future_with_callback(run, |env, result| result.map_err(|e| e.into_napi(env)))
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
