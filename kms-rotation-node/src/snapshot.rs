//! Snapshots in JavaScript: `loadSnapshot`, the `Snapshot` class (usable as
//! `client`), and `collect`.

use kms_rotation_core::{Snapshot as CoreSnapshot, collect as core_collect};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::error::BindingError;
use crate::options::CheckAccountRequest;
use crate::{promise, read_string};

/// An account's KMS facts (the snapshot file format), served from memory.
///
/// Pass it as `client` to check or remediate offline: it serves every region
/// in the file, and checks default to those regions. Remediation changes the
/// snapshot in memory only (see {@link Snapshot.save}).
#[napi]
pub struct Snapshot {
    pub(crate) inner: CoreSnapshot,
}

#[napi]
impl Snapshot {
    /// Reads snapshot JSON text.
    ///
    /// @throws `MALFORMED_SNAPSHOT` (with `line` and `column`) or `INVALID_INPUT`.
    #[napi(factory, ts_args_type = "text: string")]
    pub fn from_json(env: &Env, text: Unknown<'_>) -> napi::Result<Snapshot> {
        let parse = || -> Result<Snapshot, BindingError> {
            let text = read_string(text, "text")?;
            Ok(Snapshot {
                inner: CoreSnapshot::from_json(&text)?,
            })
        };
        parse().map_err(|e| e.into_napi(env))
    }

    /// The regions in the snapshot, sorted.
    #[napi(getter)]
    pub fn regions(&self) -> Vec<String> {
        self.inner.regions()
    }

    /// The account id, when the snapshot records one.
    #[napi(getter)]
    pub fn account_id(&self) -> Option<String> {
        self.inner.account_id()
    }

    /// Writes the snapshot (with any change remediation made) to a file.
    ///
    /// @throws `IO` when the file cannot be written.
    #[napi(ts_args_type = "path: string")]
    pub fn save(&self, env: &Env, path: Unknown<'_>) -> napi::Result<()> {
        let save = || -> Result<(), BindingError> {
            let path = read_string(path, "path")?;
            Ok(self.inner.save(path)?)
        };
        save().map_err(|e| e.into_napi(env))
    }

    /// The snapshot file's JSON as a plain object (`JSON.stringify(snapshot)` uses it).
    #[napi(js_name = "toJSON", ts_return_type = "SnapshotFile")]
    pub fn to_json(&self) -> Value {
        serde_json::from_str(&self.inner.to_json()).unwrap_or(Value::Null)
    }
}

/// Reads a snapshot file, e.g. `examples/data/demo-account.json` or one
/// written by {@link collect}.
///
/// @throws `IO`, `MALFORMED_SNAPSHOT` (with `path`, `line`, `column`) or `INVALID_INPUT`.
#[napi(ts_args_type = "path: string")]
pub fn load_snapshot(env: &Env, path: Unknown<'_>) -> napi::Result<Snapshot> {
    let load = || -> Result<Snapshot, BindingError> {
        let path = read_string(path, "path")?;
        Ok(Snapshot {
            inner: CoreSnapshot::load(path)?,
        })
    };
    load().map_err(|e| e.into_napi(env))
}

/// Reads every requested region's KMS facts into a snapshot file at `path`
/// (to audit offline later, under any policy) and resolves to that snapshot.
///
/// Takes the options of {@link checkAccount}; tags are read only when an
/// exemption needs them.
///
/// @throws (rejects) `INVALID_INPUT` before any call; `CONFIGURATION`, `API_ERROR` or `IO`.
#[napi(
    ts_args_type = "path: string, options?: CheckAccountOptions",
    ts_return_type = "Promise<Snapshot>"
)]
pub fn collect<'env>(
    env: &'env Env,
    path: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> napi::Result<PromiseRaw<'env, Snapshot>> {
    let prepare = || -> Result<_, BindingError> {
        let path = read_string(path, "path")?;
        let request = CheckAccountRequest::parse(options, "options")?;
        let needed = request.options.operations();
        request.connection.require(&needed)?;
        Ok(move || async move {
            let clients = request.connection.clients(&request.regions, needed).await?;
            let snapshot = core_collect(&clients, &request.options).await?;
            snapshot.save(&path)?;
            Ok(Snapshot { inner: snapshot })
        })
    };
    promise(env, prepare())
}
