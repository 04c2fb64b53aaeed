//! [`JsTransport`]: the core's [`JsonTransport`] over a JavaScript object
//! shaped like the AWS SDK for JavaScript v3 aggregated `KMS` client, and
//! [`BoundMethods`], the calling of any such client's methods, which the
//! organisation's STS, Organizations and Account clients share (`org_transport`).
//!
//! An invocation is one call of `client[operation.camel_case_name()](request)`
//! on the JS thread (through a threadsafe function); its settled answer is
//! turned into JSON the way `JSON.stringify` does (`Date`s become RFC 3339),
//! without `$metadata`. A rejection is read the SDK v3 way: a service
//! exception (`$fault`, or an HTTP status in `$metadata`) gives its AWS code
//! (`name`) and status; anything else (a network failure) gives its `name` and
//! `code` for the core to classify. The core builds the requests and reads the
//! answers: no KMS knowledge lives here.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use futures::channel::oneshot;
use kms_rotation_core::{Error as CoreError, JsonTransport, Operation, TransportError, async_trait};
use napi::bindgen_prelude::{
    CallbackContext, Function, JsObjectValue, JsValuesTupleIntoVec, Object, PromiseRaw, Unknown,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsError, JsValue, Status, ValueType};
use serde_json::Value;

use crate::text;

/// A bound method of the JS client: called with the request, returns what the method returns.
type JsMethod = ThreadsafeFunction<Value, Unknown<'static>, Value, Status, false>;

/// A JS function that makes a client object from its arguments (`clientFactory`,
/// `serviceClientFactory`, a conformance wrapper).
pub(crate) type ClientMaker<A> = ThreadsafeFunction<A, Unknown<'static>, A, Status, false>;

/// The methods of an SDK v3-shaped client object that were asked for, bound
/// (`this` stays the object); absent ones are `None`. Shared by the KMS clients
/// ([`JsTransport`]) and the STS, Organizations and Account clients of an organisation run.
#[derive(Clone)]
pub(crate) struct BoundMethods {
    methods: Arc<[(&'static str, Option<JsMethod>)]>,
}

impl BoundMethods {
    /// Binds each method named that `value` has; `not_object` says what it
    /// should have been when it is no object. Must run on the JS thread.
    pub(crate) fn bind(
        value: &Unknown<'_>,
        names: impl IntoIterator<Item = &'static str>,
        not_object: impl FnOnce() -> String,
    ) -> Result<Self, String> {
        if !matches!(value.get_type(), Ok(ValueType::Object)) {
            return Err(not_object());
        }
        let object = value.coerce_to_object().map_err(|e| e.reason.clone())?;
        let mut methods = Vec::new();
        for name in names {
            let member: Unknown<'_> = object
                .get_named_property(name)
                .map_err(|e| format!("reading client.{name} failed: {}", e.reason))?;
            match member.get_type() {
                Ok(ValueType::Undefined | ValueType::Null) => {
                    methods.push((name, None));
                    continue;
                }
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
            methods.push((name, Some(bound)));
        }
        Ok(Self {
            methods: methods.into(),
        })
    }

    fn method(&self, name: &str) -> Option<&JsMethod> {
        self.methods
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, m)| m.as_ref())
    }

    /// Whether the object has the method `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.method(name).is_some()
    }

    /// The names of the methods the object has.
    fn present(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.methods.iter().filter(|(_, m)| m.is_some()).map(|(n, _)| *n)
    }

    /// Calls `client[name](request)` on the JS thread and reads what it settles
    /// to: the answer as JSON, or the rejection (or throw) the SDK v3 way.
    pub(crate) async fn call(&self, name: &'static str, request: Value) -> Result<Value, TransportError> {
        let unavailable = |why: String| TransportError::local(["ClientUnavailable"], why);
        let Some(method) = self.method(name) else {
            return Err(unavailable(format!("the client has no method {name}()")));
        };
        let (sender, receiver) = oneshot::channel::<Result<Value, TransportError>>();
        let status = method.call_with_return_value(
            request,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, env| {
                match returned {
                    Ok(value) => when_settled(&env, value, move |env, outcome| {
                        let _ = sender.send(match outcome {
                            Ok(value) => response_json(env, &value, name),
                            Err(reason) => Err(transport_error(&reason)),
                        });
                    })?,
                    // The method threw instead of returning a rejected promise.
                    Err(error) => {
                        let _ = sender.send(Err(transport_error(&JsError::from(error).into_unknown(env))));
                    }
                }
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(unavailable(format!("could not call client.{name}(): {status}")));
        }
        receiver
            .await
            .unwrap_or_else(|_| Err(unavailable(format!("client.{name}() was never answered"))))
    }
}

/// Calls `maker` with `argument` on the JS thread; `done` gets what it
/// returned, read by `read`, or why there is nothing to read.
pub(crate) fn call_maker<A, R>(
    maker: &ClientMaker<A>,
    argument: A,
    read: impl FnOnce(&Unknown<'_>) -> Result<R, String> + Send + 'static,
    done: impl FnOnce(Result<R, String>) + Send + 'static,
) -> Result<(), String>
where
    A: JsValuesTupleIntoVec + 'static,
{
    let status = maker.call_with_return_value(argument, ThreadsafeFunctionCallMode::NonBlocking, move |made, _| {
        done(match made {
            Ok(value) => read(&value),
            Err(error) => Err(format!("it threw: {}", error.reason)),
        });
        Ok(())
    });
    match status {
        Status::Ok => Ok(()),
        status => Err(format!("could not call it ({status})")),
    }
}

/// An SDK v3-shaped KMS client object: its bound KMS methods.
#[derive(Clone)]
pub(crate) struct JsTransport {
    methods: BoundMethods,
}

impl fmt::Debug for JsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present: Vec<&str> = self.methods.present().collect();
        match present.as_slice() {
            [] => f.write_str("an object without any of the AWS methods asked for"),
            _ => write!(f, "an object with {}", present.join(", ")),
        }
    }
}

impl JsTransport {
    /// Binds every method of `operations` that `value` has (`this` stays the
    /// object), else fails with `expected`. Must run on the JS thread.
    fn bind(value: &Unknown<'_>, operations: &[Operation], expected: fn() -> String) -> Result<Self, String> {
        let names = operations.iter().map(|op| op.camel_case_name());
        Ok(Self {
            methods: BoundMethods::bind(value, names, expected)?,
        })
    }

    /// Binds every KMS method `value` has. Must run on the JS thread.
    pub(crate) fn from_value(value: &Unknown<'_>) -> Result<Self, String> {
        Self::bind(value, &Operation::KMS, || {
            "client must be an AWS SDK v3 KMS client, an object with its methods, or a Snapshot".to_owned()
        })
    }

    /// Binds every Security Hub method `value` has (`toSecurityHub`). Must run on the JS thread.
    pub(crate) fn security_hub(value: &Unknown<'_>) -> Result<Self, String> {
        Self::bind(value, &Operation::SECURITY_HUB, || {
            "toSecurityHub must be true, false, or an AWS SDK v3 SecurityHub client (or an object with its methods)"
                .to_owned()
        })
    }

    /// Binds the CloudFormation method `value` has (`cloudformationClient`). Must run on the JS thread.
    pub(crate) fn cloudformation(value: &Unknown<'_>) -> Result<Self, String> {
        Self::bind(value, &Operation::CLOUDFORMATION, || {
            "cloudformationClient must be an AWS SDK v3 CloudFormation client (or an object with its methods)"
                .to_owned()
        })
    }

    /// Binds the Config methods `value` has (the Config rule handler's `configClient`). Must run on the JS thread.
    pub(crate) fn config(value: &Unknown<'_>) -> Result<Self, String> {
        Self::bind(value, &Operation::CONFIG, || {
            "configClient must be an AWS SDK v3 ConfigService client or an object with its methods".to_owned()
        })
    }

    /// Calls `maker` with `argument` on the JS thread and takes what it returns
    /// as a client, while this (tokio) thread waits: the core asks for clients synchronously.
    pub(crate) fn made_by<A: JsValuesTupleIntoVec + 'static>(
        maker: &ClientMaker<A>,
        argument: A,
        what: &str,
    ) -> kms_rotation_core::Result<Self> {
        let (sender, receiver) = std::sync::mpsc::channel::<Result<Self, String>>();
        let failed = |reason: String| CoreError::Configuration(format!("{what} failed: {reason}"));
        call_maker(maker, argument, JsTransport::from_value, move |made| {
            let _ = sender.send(made);
        })
        .map_err(failed)?;
        receiver
            .recv()
            .map_err(|_| failed("it was never answered".to_owned()))?
            .map_err(failed)
    }
}

#[async_trait]
impl JsonTransport for JsTransport {
    async fn invoke(&self, operation: Operation, request: Value) -> Result<Value, TransportError> {
        self.methods.call(operation.camel_case_name(), request).await
    }

    fn has_operation(&self, operation: Operation) -> bool {
        self.methods.has(operation.camel_case_name())
    }

    fn method_name(&self, operation: Operation) -> String {
        operation.camel_case_name().to_owned()
    }
}

/// The region a JS client says it serves: `client.config.region`, a string or
/// a function giving one (SDK v3: an async provider), once settled.
pub(crate) struct RegionSource(oneshot::Receiver<Result<Option<String>, String>>);

impl RegionSource {
    /// Reads `config.region`, calling a provider. Must run on the JS thread.
    pub(crate) fn of(env: &Env, value: &Unknown<'_>) -> Result<Self, String> {
        let (sender, receiver) = oneshot::channel();
        let object = value.coerce_to_object().map_err(|e| e.reason.clone())?;
        let config: Unknown<'_> = object.get_named_property("config").map_err(|e| e.reason.clone())?;
        let Some(config) = object_of(&config) else {
            let _ = sender.send(Ok(None));
            return Ok(Self(receiver));
        };
        let mut region: Unknown<'_> = config.get_named_property("region").map_err(|e| e.reason.clone())?;
        if matches!(region.get_type(), Ok(ValueType::Function)) {
            let provider: Function<'_, (), Unknown<'_>> =
                config.get_named_property("region").map_err(|e| e.reason.clone())?;
            region = provider
                .apply(config, ())
                .map_err(|e| format!("client.config.region() threw: {}", e.reason))?;
        }
        when_settled(env, region, move |_, outcome| {
            let _ = sender.send(outcome.map(|v| text(&v)).map_err(|reason| message_of(&reason)));
        })
        .map_err(|e| e.reason.clone())?;
        Ok(Self(receiver))
    }

    /// The region the client says it serves, if it says.
    pub(crate) async fn resolve(self) -> Result<Option<String>, String> {
        match self.0.await {
            Ok(Ok(region)) => Ok(region),
            Ok(Err(message)) => Err(format!(
                "reading the client's region (config.region()) failed: {message}"
            )),
            Err(_) => Err("reading the client's region (config.region()) never finished".to_owned()),
        }
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

/// The answer as `JSON.stringify` writes it, without the SDK's `$metadata`.
fn response_json(env: &Env, value: &Unknown<'_>, method: &str) -> Result<Value, TransportError> {
    let malformed = |detail: String| {
        TransportError::local(
            ["MalformedResponse"],
            format!("client.{method}() answered something that is not JSON: {detail}"),
        )
    };
    let stringify = || -> napi::Result<Option<String>> {
        let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
        let stringify: Function<'_, Unknown<'_>, Unknown<'_>> = json.get_named_property("stringify")?;
        Ok(text(&stringify.apply(json, *value)?))
    };
    match stringify().map_err(|e| malformed(e.reason.clone()))? {
        // `undefined` (e.g. a hand-written `enableKeyRotation`) carries nothing.
        None => Ok(Value::Null),
        Some(json) => {
            let mut answer: Value = serde_json::from_str(&json).map_err(|e| malformed(e.to_string()))?;
            if let Some(members) = answer.as_object_mut() {
                members.remove("$metadata");
            }
            Ok(answer)
        }
    }
}

/// A property of an error object, as text.
fn property(object: &Object<'_>, name: &str) -> Option<String> {
    let value: Unknown<'_> = object.get_named_property(name).ok()?;
    text(&value).filter(|s| !s.is_empty())
}

/// The value as an object, if it is one (coercing anything else would throw).
pub(crate) fn object_of<'env>(value: &Unknown<'env>) -> Option<Object<'env>> {
    match value.get_type() {
        Ok(ValueType::Object | ValueType::Function) => value.coerce_to_object().ok(),
        _ => None,
    }
}

fn message_of(reason: &Unknown<'_>) -> String {
    match object_of(reason) {
        Some(object) => property(&object, "message").unwrap_or_default(),
        None => reason
            .coerce_to_string()
            .and_then(|s| s.into_utf8())
            .and_then(|s| s.into_owned())
            .unwrap_or_default(),
    }
}

/// What a method rejected with or threw, the SDK v3 way.
fn transport_error(reason: &Unknown<'_>) -> TransportError {
    let Some(object) = object_of(reason) else {
        return TransportError::local(["Error"], message_of(reason));
    };
    let message = property(&object, "message")
        .or_else(|| property(&object, "Message"))
        .unwrap_or_default();
    let name = property(&object, "name");
    let status = object
        .get_named_property::<Unknown<'_>>("$metadata")
        .ok()
        .and_then(|m| object_of(&m))
        .and_then(|m| m.get_named_property::<Unknown<'_>>("httpStatusCode").ok())
        .filter(|s| matches!(s.get_type(), Ok(ValueType::Number)))
        .and_then(|s| s.coerce_to_number().ok()?.get_uint32().ok())
        .and_then(|s| u16::try_from(s).ok());
    // SDK v3 also puts `$metadata` (attempts) on network errors; only a service answer has `$fault` or a status.
    if property(&object, "$fault").is_some() || status.is_some() {
        let code = name.filter(|n| n != "Error").or_else(|| property(&object, "Code"));
        let error = TransportError::aws(code.unwrap_or_else(|| "Error".to_owned()), message);
        return match status {
            Some(status) => error.with_http_status(status),
            None => error,
        };
    }
    TransportError::local(name.into_iter().chain(property(&object, "code")), message)
}
