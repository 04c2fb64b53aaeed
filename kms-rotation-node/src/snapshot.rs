//! Snapshots in JavaScript: `loadSnapshot`, the `Snapshot` class (usable as
//! `client`), and the real fake: `snapshot.kmsClient(region)`, an SDK
//! v3-shaped client answering from the snapshot in the KMS API's JSON.

use kms_rotation_core::{JsonTransport, Operation, Snapshot as CoreSnapshot, SnapshotTransport, TransportError};
use napi::bindgen_prelude::{JsObjectValue, Object, ObjectFinalize, PromiseRaw, Unknown};
use napi::{Env, JsValue, Status};
use napi_derive::napi;
use serde_json::Value;

use crate::error::BindingError;
use crate::{ExternalMemory, HandOver, convert, options_object, read_string};

/// An account's KMS facts (the snapshot file format), served from memory.
///
/// Pass it as `client` to check or remediate offline: it serves every region
/// in the file, and checks default to those regions. Remediation changes the
/// snapshot in memory only (see {@link Snapshot.save}).
#[napi(custom_finalize)]
pub struct Snapshot {
    pub(crate) inner: CoreSnapshot,
    external: ExternalMemory,
}

/// Native bytes per byte of snapshot JSON (measured: about 4).
const BYTES_PER_JSON_BYTE: usize = 4;

impl Snapshot {
    pub(crate) fn new(inner: CoreSnapshot) -> Self {
        Self {
            inner,
            external: ExternalMemory::default(),
        }
    }

    fn sized(env: &Env, inner: CoreSnapshot, json_bytes: usize) -> Self {
        Self {
            inner,
            external: ExternalMemory::claim(env, json_bytes * BYTES_PER_JSON_BYTE),
        }
    }
}

impl HandOver for Snapshot {}

impl ObjectFinalize for Snapshot {
    fn finalize(self, env: Env) -> napi::Result<()> {
        self.external.release(&env)
    }
}

/// A call a snapshot answered (see {@link Snapshot.calls}).
#[napi(object, object_from_js = false)]
pub struct SnapshotCall {
    /// The region of the client called.
    pub region: String,
    /// The KMS operation, e.g. `DescribeKey`.
    pub operation: String,
    /// The key argument, for per-key operations.
    pub key: Option<String>,
}

#[napi]
impl Snapshot {
    /// Reads snapshot JSON text.
    ///
    /// @throws `MALFORMED_SNAPSHOT` (with `line` and `column`) or `INVALID_INPUT`.
    #[napi(factory, ts_args_type = "text: string, options?: SnapshotOptions")]
    pub fn from_json(env: &Env, text: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Snapshot> {
        let parse = || -> Result<Snapshot, BindingError> {
            let text = read_string(text, "text")?;
            let snapshot = match strict(options)? {
                true => CoreSnapshot::from_json_strict(&text)?,
                false => CoreSnapshot::from_json(&text)?,
            };
            Ok(Snapshot::sized(env, snapshot, text.len()))
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
        let save = || -> Result<(), BindingError> { Ok(self.inner.save(read_string(path, "path")?)?) };
        save().map_err(|e| e.into_napi(env))
    }

    /// The snapshot file's JSON as a plain object (`JSON.stringify(snapshot)` uses it).
    #[napi(js_name = "toJSON", ts_return_type = "SnapshotFile")]
    pub fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        crate::parse_json(env, &self.inner.to_json())
    }

    /// An AWS SDK v3-shaped `KMS` client for one region of the snapshot: its
    /// methods take the SDK's requests and resolve to the KMS API's responses,
    /// or reject like SDK v3 exceptions (`name` is the AWS error code,
    /// `$metadata.httpStatusCode` the status). The fake to hand-written code
    /// that expects a client; calls reach the same snapshot.
    ///
    /// @throws `CONFIGURATION` when the snapshot has no such region.
    #[napi(ts_args_type = "region: string")]
    pub fn kms_client(&self, env: &Env, region: Unknown<'_>) -> napi::Result<SnapshotKmsClient> {
        let make = || -> Result<SnapshotKmsClient, BindingError> {
            Ok(SnapshotKmsClient {
                transport: self.inner.transport(&read_string(region, "region")?)?,
            })
        };
        make().map_err(|e| e.into_napi(env))
    }

    /// The calls answered so far, in order (every client of this snapshot).
    #[napi]
    pub fn calls(&self) -> Vec<SnapshotCall> {
        let call = |c: kms_rotation_core::Call| SnapshotCall {
            region: c.region,
            operation: c.operation.as_str().to_owned(),
            key: c.key,
        };
        self.inner.calls().into_iter().map(call).collect()
    }

    /// Forgets the calls answered so far.
    #[napi]
    pub fn clear_calls(&self) {
        self.inner.clear_calls();
    }

    /// Serves at most `size` entries per listing page (AWS's own maxima still apply).
    #[napi]
    pub fn set_page_size(&self, size: u32) {
        self.inner.set_page_size(size as usize);
    }
}

/// Reads a snapshot file, e.g. `examples/data/demo-account.json` or one
/// written by {@link collect}.
///
/// @throws `IO`, `MALFORMED_SNAPSHOT` (with `path`, `line`, `column`) or `INVALID_INPUT`.
#[napi(ts_args_type = "path: string, options?: SnapshotOptions")]
pub fn load_snapshot(env: &Env, path: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Snapshot> {
    let load = || -> Result<Snapshot, BindingError> {
        let path = read_string(path, "path")?;
        let inner = match strict(options)? {
            true => CoreSnapshot::load_strict(&path)?,
            false => CoreSnapshot::load(&path)?,
        };
        let size = std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
        Ok(Snapshot::sized(env, inner, size))
    };
    load().map_err(|e| e.into_napi(env))
}

/// Reads a CloudSploit collection (the file `cloudsploit --collection FILE`
/// writes): its `kms.listKeys`, `kms.listAliases`, `kms.describeKey` and
/// `kms.getKeyRotationStatus` answers and recorded errors, as a snapshot to
/// check with this package's rules, without calling AWS again.
///
/// @throws `IO`, or `MALFORMED_SNAPSHOT` when it is not a CloudSploit collection.
#[napi(ts_args_type = "path: string")]
pub fn load_cloudsploit_collection(env: &Env, path: Unknown<'_>) -> napi::Result<Snapshot> {
    let load = || -> Result<Snapshot, BindingError> {
        let path = read_string(path, "path")?;
        let inner = CoreSnapshot::load_cloudsploit_collection(&path)?;
        let size = std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
        Ok(Snapshot::sized(env, inner, size))
    };
    load().map_err(|e| e.into_napi(env))
}

/// How a snapshot is read ({@link loadSnapshot}, {@link Snapshot.fromJson}).
#[napi(object, object_to_js = false)]
pub struct SnapshotOptions {
    /// Refuse the whole snapshot for a key entry that cannot be read
    /// completely, or a key listed twice (by default such an entry becomes an
    /// `ERROR` finding naming the field, and the rest is judged).
    pub strict: Option<bool>,
}

fn strict(options: Option<Unknown<'_>>) -> Result<bool, BindingError> {
    let Some(options) = options_object(options, |key| key == "strict")? else {
        return Ok(false);
    };
    let options: SnapshotOptions =
        convert(options).map_err(|e| BindingError::invalid("options", format!("invalid options: {}", e.reason)))?;
    Ok(options.strict == Some(true))
}

/// One region of a {@link Snapshot} behind the methods of an AWS SDK v3 `KMS`
/// client (made by {@link Snapshot.kmsClient}).
#[napi]
pub struct SnapshotKmsClient {
    transport: SnapshotTransport,
}

impl SnapshotKmsClient {
    /// The fake over one region's transport.
    pub(crate) fn new(transport: SnapshotTransport) -> Self {
        Self { transport }
    }

    fn answer<'env>(
        &self,
        env: &'env Env,
        operation: Operation,
        input: Value,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let transport = self.transport.clone();
        let call = async move { Ok(transport.invoke(operation, input).await) };
        env.spawn_future_with_callback(call, |env, answer| {
            answer.map_err(|error| match sdk_exception(env, &error) {
                Ok(exception) => napi::Error::from(exception.to_unknown()),
                Err(_) => napi::Error::new(Status::GenericFailure, error.message),
            })
        })
    }
}

/// A rejection as SDK v3 makes it: an `Error` named by the AWS code, with `$fault` and `$metadata`.
fn sdk_exception<'env>(env: &'env Env, error: &TransportError) -> napi::Result<Object<'env>> {
    let mut exception = env.create_error(napi::Error::new(Status::GenericFailure, error.message.clone()))?;
    exception.set_named_property("name", error.code.as_deref().unwrap_or("Error"))?;
    let server = error.http_status.is_some_and(|s| s >= 500);
    exception.set_named_property("$fault", if server { "server" } else { "client" })?;
    let mut metadata = Object::new(env)?;
    if let Some(status) = error.http_status {
        metadata.set_named_property("httpStatusCode", u32::from(status))?;
    }
    exception.set_named_property("$metadata", metadata)?;
    Ok(exception)
}

type Answer<'env> = napi::Result<PromiseRaw<'env, Value>>;

#[napi]
impl SnapshotKmsClient {
    /// `{ region }`, as an SDK v3 client's `config` (a string here, a provider there).
    #[napi(getter, ts_return_type = "{ region: string }")]
    pub fn config(&self) -> Value {
        serde_json::json!({ "region": self.transport.region() })
    }

    /// `ListKeys`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_keys<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::ListKeys, input)
    }

    /// `ListAliases`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_aliases<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::ListAliases, input)
    }

    /// `DescribeKey`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn describe_key<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::DescribeKey, input)
    }

    /// `GetKeyRotationStatus`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_key_rotation_status<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::GetKeyRotationStatus, input)
    }

    /// `EnableKeyRotation` (changes the snapshot in memory).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn enable_key_rotation<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::EnableKeyRotation, input)
    }

    /// `ListResourceTags`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_resource_tags<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::ListResourceTags, input)
    }

    /// `ListKeyRotations`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_key_rotations<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::ListKeyRotations, input)
    }

    /// `RotateKeyOnDemand` (changes the snapshot in memory).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn rotate_key_on_demand<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::RotateKeyOnDemand, input)
    }

    /// `GetKeyLastUsage` (what the snapshot recorded).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_key_last_usage<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        self.answer(env, Operation::GetKeyLastUsage, input)
    }
}
