//! [`JsOrganizationTransport`]: the core's `OrganizationTransport` over the
//! caller's `serviceClientFactory`, and [`sdk_client_factory`], which makes
//! such a factory from the AWS SDK v3 client classes the caller imported.
//!
//! The factory is called on the JS thread with the service (`sts`,
//! `organizations`, `account` or `kms`), the region and, for a member
//! account, the credentials `AssumeRole` returned; the core keeps the clients
//! it makes for STS, Organizations and Account per service, region and
//! credentials, and they are called like the KMS clients ([`BoundMethods`]). The core does the
//! paging, the OU tree, `AssumeRole` and its renewal, and reads the answers.

use std::fmt;

use futures::channel::oneshot;
use kms_rotation_core::{
    Operation, OrganizationTransport, Result as CoreResult, RoleCredentials, TransportError, async_trait,
};
use napi::bindgen_prelude::{
    Either, FnArgs, Function, FunctionCallContext, JsObjectValue, Object, ToNapiValue, Undefined, Unknown,
};
use napi::{Env, JsValue, ValueType, sys};
use napi_derive::napi;
use serde_json::Value;

use crate::error::BindingError;
use crate::text;
use crate::transport::{BoundMethods, ClientMaker, JsTransport, call_maker, object_of};

/// Each service's AWS SDK v3 aggregated client class, and its package.
const SDK_CLASSES: [(&str, &str, &str); 4] = [
    ("kms", "KMS", "@aws-sdk/client-kms"),
    ("sts", "STS", "@aws-sdk/client-sts"),
    ("organizations", "Organizations", "@aws-sdk/client-organizations"),
    ("account", "Account", "@aws-sdk/client-account"),
];

/// Credentials `AssumeRole` returned for a member account, as `serviceClientFactory`
/// gets them: the shape of an SDK v3 `AwsCredentialIdentity`.
#[napi(object, object_from_js = false)]
pub struct AssumedRoleCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token.
    pub session_token: String,
    /// When they expire, when STS said (kms-rotation assumes the role again
    /// before then and asks for new clients).
    #[napi(ts_type = "Date")]
    pub expiration: Option<JsDate>,
}

/// A time given to JavaScript as a `Date`.
pub struct JsDate(f64);

#[allow(unsafe_code)]
impl ToNapiValue for JsDate {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        Ok(Env::from_raw(env).create_date(value.0)?.raw())
    }
}

/// `serviceClientFactory`'s arguments: service, region, and the credentials (`undefined`: the caller's own).
pub(crate) type ServiceClientArgs = FnArgs<(String, String, Either<AssumedRoleCredentials, Undefined>)>;

/// The option `serviceClientFactory`.
pub(crate) type ServiceClientMaker = ClientMaker<ServiceClientArgs>;

fn arguments(service: &str, region: &str, credentials: Option<&RoleCredentials>) -> ServiceClientArgs {
    let credentials = match credentials {
        Some(c) => Either::A(AssumedRoleCredentials {
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            session_token: c.session_token.clone(),
            expiration: c.expiration.map(|at| JsDate(at.epoch_seconds() as f64 * 1000.0)),
        }),
        None => Either::B(()),
    };
    FnArgs::from((service.to_owned(), region.to_owned(), credentials))
}

/// How a call of the factory is named in errors (never with the credentials).
fn call_name(service: &str, region: &str, credentials: Option<&RoleCredentials>) -> String {
    let whose = match credentials {
        Some(_) => ", <assumed-role credentials>",
        None => "",
    };
    format!("serviceClientFactory({service:?}, {region:?}{whose})")
}

/// The core's `OrganizationTransport` over `serviceClientFactory`.
pub(crate) struct JsOrganizationTransport {
    factory: ServiceClientMaker,
}

impl fmt::Debug for JsOrganizationTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("serviceClientFactory")
    }
}

impl JsOrganizationTransport {
    pub(crate) fn new(factory: ServiceClientMaker) -> Self {
        Self { factory }
    }

    /// A client of `service` from the factory, its methods bound.
    async fn make(
        &self,
        service: &'static str,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> Result<BoundMethods, String> {
        let names: Vec<&'static str> = Operation::ORGANIZATION
            .iter()
            .filter(|op| op.service().as_str() == service)
            .map(|op| op.camel_case_name())
            .collect();
        let read = move |value: &Unknown<'_>| {
            if value.is_promise().unwrap_or(false) {
                return Err("it returned a promise: return the client itself".to_owned());
            }
            BoundMethods::bind(value, names, || {
                format!("it returned no client: an AWS SDK v3 {service} client or an object with its methods")
            })
        };
        let (sender, receiver) = oneshot::channel();
        let what = call_name(service, region, credentials);
        call_maker(
            &self.factory,
            arguments(service, region, credentials),
            read,
            move |made| {
                let _ = sender.send(made);
            },
        )
        .map_err(|why| format!("{what} failed: {why}"))?;
        match receiver.await {
            Ok(made) => made.map_err(|why| format!("{what} failed: {why}")),
            Err(_) => Err(format!("{what} was never answered")),
        }
    }
}

#[async_trait]
impl OrganizationTransport for JsOrganizationTransport {
    type Kms = JsTransport;
    type Client = BoundMethods;

    async fn client(
        &self,
        service: &'static str,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> Result<BoundMethods, TransportError> {
        self.make(service, region, credentials)
            .await
            .map_err(|why| TransportError::local(["ClientUnavailable"], why))
    }

    async fn invoke(
        &self,
        client: &BoundMethods,
        operation: Operation,
        request: Value,
    ) -> Result<Value, TransportError> {
        client.call(operation.camel_case_name(), request).await
    }

    fn kms_client(&self, region: &str, credentials: Option<&RoleCredentials>) -> CoreResult<JsTransport> {
        let what = call_name("kms", region, credentials);
        JsTransport::made_by(&self.factory, arguments("kms", region, credentials), &what)
    }
}

/// Makes a `serviceClientFactory` from the AWS SDK v3 client classes you
/// import: `new KMS(...)`, `new STS(...)`, `new Organizations(...)` or
/// `new Account(...)` with `config` (endpoint, requestHandler, the caller's
/// `credentials`, …), the region asked for and, for a member account, the
/// credentials `AssumeRole` returned. KMS clients get `maxAttempts: 1` unless
/// `config` says otherwise: kms-rotation retries KMS calls itself.
///
/// ```js
/// import { KMS } from '@aws-sdk/client-kms'
/// import { STS } from '@aws-sdk/client-sts'
/// import { Organizations } from '@aws-sdk/client-organizations'
/// import { Account } from '@aws-sdk/client-account'
/// const report = await checkOrganization({
///   organization: true,
///   roleName: 'KmsRotationAudit',
///   regions: ['us-east-1', 'eu-west-1'],
///   serviceClientFactory: sdkClientFactory({ KMS, STS, Organizations, Account }),
/// })
/// ```
///
/// @throws `INVALID_INPUT` when `classes` lacks `KMS`, `STS` or
/// `Organizations` (or one is no class), or `config` is not an object. The
/// factory throws `INVALID_INPUT` for a service it has no class for.
#[napi(
    ts_args_type = "classes: SdkClientClasses, config?: SdkClientConfig",
    ts_return_type = "ServiceClientFactory"
)]
pub fn sdk_client_factory<'env>(
    env: &'env Env,
    classes: Unknown<'env>,
    config: Option<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let holder = sdk_holder(env, classes, config).map_err(|e| e.into_napi(env))?;
    let factory = env.create_function_from_closure::<Unknown<'_>, Unknown<'static>, _>(
        "serviceClientFactory",
        |ctx: FunctionCallContext<'_>| {
            let env = *ctx.env;
            make_sdk_client(&ctx).map_err(|e| e.into_napi(&env))
        },
    )?;
    // The classes and settings travel as the function's bound `this`: nothing JS is held in Rust.
    let factory = factory.to_unknown();
    let bind: Function<'_, Object<'_>, Unknown<'env>> = factory.coerce_to_object()?.get_named_property("bind")?;
    bind.apply(factory, holder)
}

/// `{ classes, config }`, checked.
fn sdk_holder<'env>(
    env: &'env Env,
    classes: Unknown<'env>,
    config: Option<Unknown<'env>>,
) -> Result<Object<'env>, BindingError> {
    let js = |e: napi::Error| BindingError::invalid("classes", e.reason.clone());
    let classes = match classes.get_type() {
        Ok(ValueType::Object) => object_of(&classes),
        _ => None,
    }
    .ok_or_else(|| {
        BindingError::invalid(
            "classes",
            "classes must be an object of AWS SDK v3 client classes: { KMS, STS, Organizations, Account }",
        )
    })?;
    for (_, name, package) in SDK_CLASSES {
        let class: Unknown<'_> = classes.get_named_property(name).map_err(js)?;
        match class.get_type() {
            Ok(ValueType::Function) => {}
            // Only an organisation run over every enabled region calls Account.
            Ok(ValueType::Undefined) if name == "Account" => {}
            _ => {
                return Err(BindingError::invalid(
                    "classes",
                    format!("classes.{name} must be the {name} class of {package}"),
                ));
            }
        }
    }
    let config = match config {
        None => Object::new(env).map_err(js)?.to_unknown(),
        Some(value) => match value.get_type() {
            Ok(ValueType::Undefined | ValueType::Null) => Object::new(env).map_err(js)?.to_unknown(),
            Ok(ValueType::Object) => value,
            _ => {
                return Err(BindingError::invalid(
                    "config",
                    "config must be an object of client settings (endpoint, credentials, requestHandler, …)",
                ));
            }
        },
    };
    let mut holder = Object::new(env).map_err(js)?;
    holder.set_named_property("classes", classes).map_err(js)?;
    holder.set_named_property("config", config).map_err(js)?;
    Ok(holder)
}

/// One call of a factory from [`sdk_client_factory`]: `new Class({ ...config, region, credentials })`.
fn make_sdk_client(ctx: &FunctionCallContext<'_>) -> Result<Unknown<'static>, BindingError> {
    let env = *ctx.env;
    let argument = |index: usize| -> Option<Unknown<'_>> { ctx.get::<Unknown<'_>>(index).ok() };
    let js = |e: napi::Error| BindingError::configuration(format!("serviceClientFactory: {}", e.reason));
    let service = argument(0).as_ref().and_then(text).unwrap_or_default();
    let Some((_, name, package)) = SDK_CLASSES.iter().find(|(s, _, _)| *s == service) else {
        return Err(BindingError::invalid(
            "service",
            format!("service must be 'kms', 'sts', 'organizations' or 'account', not {service:?}"),
        ));
    };
    let region = argument(1)
        .as_ref()
        .and_then(text)
        .ok_or_else(|| BindingError::invalid("region", "region must be a string"))?;
    let holder: Object<'_> = ctx.this().map_err(js)?;
    let classes: Object<'_> = holder.get_named_property("classes").map_err(js)?;
    let config: Unknown<'_> = holder.get_named_property("config").map_err(js)?;
    let class: Unknown<'_> = classes.get_named_property(name).map_err(js)?;
    if !matches!(class.get_type(), Ok(ValueType::Function)) {
        return Err(BindingError::invalid(
            "classes",
            format!("sdkClientFactory was given no {name} class: pass {{ {name} }} from {package}"),
        ));
    }
    let class: Function<'_, Unknown<'_>, Unknown<'_>> = classes.get_named_property(name).map_err(js)?;
    let mut settings = Object::new(&env).map_err(js)?;
    if service == "kms" {
        settings.set_named_property("maxAttempts", 1).map_err(js)?;
    }
    let object: Unknown<'_> = env.get_global().map_err(js)?.get_named_property("Object").map_err(js)?;
    let object = object.coerce_to_object().map_err(js)?;
    let assign: Function<'_, FnArgs<(Object<'_>, Unknown<'_>)>, Object<'_>> =
        object.get_named_property("assign").map_err(js)?;
    let mut settings = assign.apply(object, FnArgs::from((settings, config))).map_err(js)?;
    settings.set_named_property("region", region).map_err(js)?;
    if let Some(credentials) = argument(2).filter(|c| matches!(c.get_type(), Ok(ValueType::Object))) {
        settings.set_named_property("credentials", credentials).map_err(js)?;
    }
    class.new_instance(settings.to_unknown()).map_err(js)
}
