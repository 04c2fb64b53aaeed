//! [`KmsClient`] over a JavaScript object shaped like the AWS SDK for
//! JavaScript v3 aggregated `KMS` client.
//!
//! Each call is one method call on the JS thread (through a threadsafe
//! function): the response is turned into JSON with `JSON.stringify` (so
//! `Date`s become RFC 3339 text) and read by the core's `aws_json` parsers; a
//! rejection becomes an [`ApiError`] whose code is the error's `name`, as SDK v3
//! names its exceptions. No KMS logic lives here.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use futures::channel::oneshot;
use kms_rotation_core::{
    Alias, ApiError, KeyListEntry, KeyMetadata, KmsClient, Page, RotationStatus, Tag, async_trait, aws_json,
};
use napi::bindgen_prelude::{CallbackContext, Function, JsObjectValue, Object, PromiseRaw, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsError, JsValue, Status, ValueType};
use serde_json::{Value, json};

use crate::text;

/// A bound method of the JS client: called with the request object, returns what the method returns.
type JsMethod = ThreadsafeFunction<Value, Unknown<'static>, Value, Status, false>;

/// The client methods the core may call: its operations, by their SDK v3 names.
pub(crate) use kms_rotation_core::Operation as Method;

/// Every method a client may be asked for.
const ALL_METHODS: [Method; 6] = Method::ALL;

/// The method name on an SDK v3 `KMS` client, e.g. `describeKey`.
pub(crate) trait JsName {
    /// The camelCase name.
    fn js_name(self) -> &'static str;
}

impl JsName for Method {
    fn js_name(self) -> &'static str {
        match self {
            Method::ListKeys => "listKeys",
            Method::ListAliases => "listAliases",
            Method::DescribeKey => "describeKey",
            Method::GetKeyRotationStatus => "getKeyRotationStatus",
            Method::EnableKeyRotation => "enableKeyRotation",
            Method::ListResourceTags => "listResourceTags",
        }
    }
}

/// The bound methods of one JS client object (absent ones are `None`).
pub(crate) struct JsMethods {
    methods: [Option<JsMethod>; 6],
}

impl fmt::Debug for JsMethods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present: Vec<&str> = ALL_METHODS
            .iter()
            .filter(|m| self.get(**m).is_some())
            .map(|m| m.js_name())
            .collect();
        f.debug_struct("JsMethods").field("present", &present).finish()
    }
}

impl JsMethods {
    fn get(&self, method: Method) -> Option<&JsMethod> {
        self.methods[method as usize].as_ref()
    }

    /// Errors naming the first of `needed` the object lacks.
    pub(crate) fn require(&self, needed: &[Method]) -> Result<(), String> {
        match needed.iter().find(|m| self.get(**m).is_none()) {
            None => Ok(()),
            Some(missing) => Err(format!(
                "the client has no method {}(): pass an AWS SDK v3 `KMS` client (`new KMS({{ region }})` \
                 from @aws-sdk/client-kms, not the bare `KMSClient`) or an object with the same methods",
                missing.js_name()
            )),
        }
    }
}

/// Where a JS client's region comes from.
pub(crate) enum RegionSource {
    /// `client.config.region` was a string.
    Known(String),
    /// `client.config.region` was a function (SDK v3: an async provider); its answer, once settled.
    Pending(oneshot::Receiver<Result<String, String>>),
    /// The object does not say.
    Unknown,
}

impl fmt::Debug for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionSource::Known(region) => write!(f, "Known({region:?})"),
            RegionSource::Pending(_) => f.write_str("Pending"),
            RegionSource::Unknown => f.write_str("Unknown"),
        }
    }
}

impl RegionSource {
    /// The region the client object says it serves, if it says.
    pub(crate) async fn resolve(self) -> Result<Option<String>, String> {
        match self {
            RegionSource::Known(region) => Ok(Some(region)),
            RegionSource::Unknown => Ok(None),
            RegionSource::Pending(receiver) => match receiver.await {
                Ok(Ok(region)) if region.is_empty() => Ok(None),
                Ok(Ok(region)) => Ok(Some(region)),
                Ok(Err(message)) => Err(format!(
                    "reading the client's region (config.region()) failed: {message}"
                )),
                Err(_) => Err("reading the client's region (config.region()) never finished".to_owned()),
            },
        }
    }
}

/// A JS client object taken apart on the JS thread: its bound methods and its region.
#[derive(Debug)]
pub(crate) struct JsClientObject {
    pub(crate) methods: Arc<JsMethods>,
    pub(crate) region: RegionSource,
}

impl JsClientObject {
    /// Binds every KMS method the object has (`this` stays the object) and
    /// starts reading `config.region`. Must run on the JS thread.
    pub(crate) fn from_object(env: &Env, object: &Object<'_>) -> Result<Self, String> {
        let mut methods: [Option<JsMethod>; 6] = Default::default();
        for method in ALL_METHODS {
            let name = method.js_name();
            let value: Unknown<'_> = object
                .get_named_property(name)
                .map_err(|e| format!("reading client.{name} failed: {}", e.reason))?;
            match value.get_type() {
                Ok(ValueType::Undefined | ValueType::Null) => continue,
                Ok(ValueType::Function) => {}
                _ => return Err(format!("client.{name} is not a function")),
            }
            let function: Function<'_, Value, Unknown<'static>> = object
                .get_named_property(name)
                .map_err(|e| format!("client.{name}: {}", e.reason))?;
            let bound = function
                .bind(object.to_unknown())
                .and_then(|bound| {
                    bound
                        .build_threadsafe_function::<Value>()
                        .callee_handled::<false>()
                        .build()
                })
                .map_err(|e| format!("cannot call client.{name}: {}", e.reason))?;
            methods[method as usize] = Some(bound);
        }
        Ok(Self {
            methods: Arc::new(JsMethods { methods }),
            region: region_source(env, object)?,
        })
    }
}

/// `client.config.region`: a string, or a function returning one (or a promise of one).
fn region_source(env: &Env, object: &Object<'_>) -> Result<RegionSource, String> {
    let config: Unknown<'_> = object.get_named_property("config").map_err(|e| e.reason.clone())?;
    if !matches!(config.get_type(), Ok(ValueType::Object)) {
        return Ok(RegionSource::Unknown);
    }
    let config = config.coerce_to_object().map_err(|e| e.reason.clone())?;
    let region: Unknown<'_> = config.get_named_property("region").map_err(|e| e.reason.clone())?;
    match region.get_type() {
        Ok(ValueType::String) => Ok(RegionSource::Known(text(&region).unwrap_or_default())),
        Ok(ValueType::Function) => {
            let provider: Function<'_, (), Unknown<'_>> =
                config.get_named_property("region").map_err(|e| e.reason.clone())?;
            let (sender, receiver) = oneshot::channel();
            let answer = match provider.apply(config, ()) {
                Ok(answer) => answer,
                Err(error) => return Err(format!("client.config.region() threw: {}", error.reason)),
            };
            when_settled(env, answer, move |_env, outcome| {
                let result = match outcome {
                    Ok(value) => text(&value).ok_or_else(|| "it did not give a string".to_owned()),
                    Err(reason) => Err(describe(&reason).1),
                };
                let _ = sender.send(result);
            })
            .map_err(|e| e.reason.clone())?;
            Ok(RegionSource::Pending(receiver))
        }
        _ => Ok(RegionSource::Unknown),
    }
}

/// One region's [`KmsClient`] over a JS client object.
#[derive(Debug, Clone)]
pub(crate) struct JsKmsClient {
    region: String,
    methods: Arc<JsMethods>,
}

impl JsKmsClient {
    pub(crate) fn new(region: String, methods: Arc<JsMethods>) -> Self {
        Self { region, methods }
    }

    /// Calls one method with one request and waits for its settled answer, as JSON.
    async fn call(&self, method: Method, request: Value) -> Result<Value, ApiError> {
        let function = self.methods.get(method).ok_or_else(|| {
            ApiError::new(
                "MissingMethod",
                self.methods
                    .require(&[method])
                    .err()
                    .unwrap_or_else(|| method.js_name().to_owned()),
            )
        })?;
        let (sender, receiver) = oneshot::channel::<Result<Value, ApiError>>();
        let status = function.call_with_return_value(
            request,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, env| {
                match returned {
                    Ok(value) => when_settled(&env, value, move |env, outcome| {
                        let _ = sender.send(match outcome {
                            Ok(value) => response_json(env, &value, method),
                            Err(reason) => Err(api_error(&reason)),
                        });
                    })?,
                    // The method threw instead of returning a rejected promise.
                    Err(error) => {
                        let reason = JsError::from(error).into_unknown(env);
                        let _ = sender.send(Err(api_error(&reason)));
                    }
                }
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(ApiError::new(
                "ClientUnavailable",
                format!("could not call client.{}(): {status}", method.js_name()),
            ));
        }
        receiver.await.unwrap_or_else(|_| {
            Err(ApiError::new(
                "ClientUnavailable",
                format!("client.{}() was never answered", method.js_name()),
            ))
        })
    }
}

#[async_trait]
impl KmsClient for JsKmsClient {
    fn region(&self) -> &str {
        &self.region
    }

    async fn list_keys(&self, marker: Option<&str>) -> Result<Page<KeyListEntry>, ApiError> {
        let mut request = json!({ "Limit": 1000 });
        if let Some(marker) = marker {
            request["Marker"] = json!(marker);
        }
        aws_json::list_keys_response(self.call(Method::ListKeys, request).await?)
    }

    async fn list_aliases(&self, key_id: Option<&str>, marker: Option<&str>) -> Result<Page<Alias>, ApiError> {
        let mut request = json!({ "Limit": 100 });
        if let Some(key_id) = key_id {
            request["KeyId"] = json!(key_id);
        }
        if let Some(marker) = marker {
            request["Marker"] = json!(marker);
        }
        aws_json::list_aliases_response(self.call(Method::ListAliases, request).await?)
    }

    async fn describe_key(&self, key_id: &str) -> Result<KeyMetadata, ApiError> {
        aws_json::describe_key_response(self.call(Method::DescribeKey, json!({ "KeyId": key_id })).await?)
    }

    async fn get_key_rotation_status(&self, key_id: &str) -> Result<RotationStatus, ApiError> {
        let response = self
            .call(Method::GetKeyRotationStatus, json!({ "KeyId": key_id }))
            .await?;
        aws_json::rotation_status_response(response)
    }

    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> Result<(), ApiError> {
        let request = json!({ "KeyId": key_id, "RotationPeriodInDays": rotation_period_days });
        self.call(Method::EnableKeyRotation, request).await.map(|_| ())
    }

    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> Result<Page<Tag>, ApiError> {
        let mut request = json!({ "KeyId": key_id, "Limit": 50 });
        if let Some(marker) = marker {
            request["Marker"] = json!(marker);
        }
        aws_json::list_resource_tags_response(self.call(Method::ListResourceTags, request).await?)
    }
}

/// Calls `done` on the JS thread with `value`, or, when it is a promise, with
/// what it settles to: `Ok(resolved)` or `Err(rejection reason)`.
pub(crate) fn when_settled<F>(env: &Env, value: Unknown<'_>, done: F) -> napi::Result<()>
where
    F: for<'a> FnOnce(&Env, Result<Unknown<'a>, Unknown<'a>>) + 'static,
{
    if !value.is_promise()? {
        done(env, Ok(value));
        return Ok(());
    }
    let on_resolve = Rc::new(Cell::new(Some(done)));
    let on_reject = on_resolve.clone();
    PromiseRaw::<Unknown<'_>>::new(env.raw(), value.raw())
        .then(move |ctx: CallbackContext<Unknown<'_>>| {
            if let Some(done) = on_resolve.take() {
                done(&ctx.env, Ok(ctx.value));
            }
            Ok(())
        })?
        .catch(move |ctx: CallbackContext<Unknown<'_>>| {
            if let Some(done) = on_reject.take() {
                done(&ctx.env, Err(ctx.value));
            }
            Ok(())
        })?;
    Ok(())
}

/// A response as JSON text and back: `JSON.stringify` turns SDK v3's `Date`s into RFC 3339.
fn response_json(env: &Env, value: &Unknown<'_>, method: Method) -> Result<Value, ApiError> {
    let malformed = |detail: String| {
        ApiError::new(
            "MalformedResponse",
            format!(
                "client.{}() answered something that is not JSON: {detail}",
                method.js_name()
            ),
        )
    };
    let text = stringify(env, value).map_err(|e| malformed(e.reason.clone()))?;
    match text {
        // `undefined` (e.g. a fake `enableKeyRotation`) carries nothing.
        None => Ok(Value::Null),
        Some(text) => serde_json::from_str(&text).map_err(|e| malformed(e.to_string())),
    }
}

fn stringify(env: &Env, value: &Unknown<'_>) -> napi::Result<Option<String>> {
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    let stringify: Function<'_, Unknown<'_>, Unknown<'_>> = json.get_named_property("stringify")?;
    let answer = stringify.apply(json, *value)?;
    Ok(text(&answer))
}

/// `(code, message)` of whatever a method rejected with or threw.
///
/// SDK v3 exceptions carry the AWS error code as `name`; a plain `Error`
/// (network failure) may carry a `code` such as `ECONNREFUSED`.
fn describe(reason: &Unknown<'_>) -> (String, String) {
    if !matches!(reason.get_type(), Ok(ValueType::Object | ValueType::Function)) {
        let message = reason
            .coerce_to_string()
            .and_then(|s| s.into_utf8())
            .and_then(|s| s.into_owned())
            .unwrap_or_default();
        return ("Error".to_owned(), message);
    }
    let Ok(object) = reason.coerce_to_object() else {
        return ("Error".to_owned(), String::new());
    };
    let property = |name: &str| {
        object
            .get_named_property::<Unknown<'_>>(name)
            .ok()
            .and_then(|v| text(&v))
            .filter(|s| !s.is_empty())
    };
    let name = property("name").filter(|n| n != "Error");
    let code = name
        .or_else(|| property("code"))
        .or_else(|| property("Code"))
        .unwrap_or_else(|| "Error".to_owned());
    let message = property("message").or_else(|| property("Message")).unwrap_or_default();
    (code, message)
}

fn api_error(reason: &Unknown<'_>) -> ApiError {
    let (code, message) = describe(reason);
    ApiError::new(code, message)
}
