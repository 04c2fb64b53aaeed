//! Which KMS clients serve a call: a `client` (SDK v3 object or snapshot), a
//! `clientFactory`, or the core's AWS SDK for Rust client (`profile`,
//! `endpointUrl`, `roleArn`, `regions` incl. `'all'`).

use std::sync::Arc;

use kms_rotation_core::aws::{self, AwsOptions};
use kms_rotation_core::{Clients, Error as CoreError, KmsClient, Snapshot as CoreSnapshot};
use napi::bindgen_prelude::{ClassInstance, FromNapiValue, JavaScriptClassExt, TypeName, Unknown, ValidateNapiValue};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, JsValue, Status, ValueType, sys};

use crate::error::BindingError;
use crate::js_client::{JsClientObject, JsKmsClient, Method};
use crate::options::{FactoryFunction, convert};
use crate::snapshot::Snapshot;

/// What `client` held: an SDK v3-shaped object, or a snapshot.
#[derive(Debug)]
pub(crate) enum ClientArg {
    Js(JsClientObject),
    Snapshot(CoreSnapshot),
}

impl ClientArg {
    /// Reads a `client` value (or what `clientFactory` returned). Must run on the JS thread.
    fn from_unknown(env: &Env, value: Unknown<'_>) -> Result<Self, String> {
        if Snapshot::instance_of(env, &value).unwrap_or(false) {
            let snapshot: ClassInstance<'_, Snapshot> = convert(value).map_err(|e| e.reason.clone())?;
            return Ok(ClientArg::Snapshot(snapshot.inner.clone()));
        }
        match value.get_type() {
            Ok(ValueType::Object) => {
                let object = value.coerce_to_object().map_err(|e| e.reason.clone())?;
                JsClientObject::from_object(env, &object).map(ClientArg::Js)
            }
            _ => Err("client must be an AWS SDK v3 KMS client, an object with its methods, or a Snapshot".to_owned()),
        }
    }
}

impl TypeName for ClientArg {
    fn type_name() -> &'static str {
        "KmsClientLike | Snapshot"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for ClientArg {}

#[allow(unsafe_code)]
impl FromNapiValue for ClientArg {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi calls this with a live value of the current callback scope.
        let value = unsafe { Unknown::from_raw_unchecked(env, value) };
        ClientArg::from_unknown(&Env::from_raw(env), value)
            .map_err(|reason| napi::Error::new(Status::InvalidArg, reason))
    }
}

/// The regions a call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Regions {
    /// None named: the client's region, a snapshot's regions, or the configured region.
    Default,
    /// These.
    List(Vec<String>),
    /// Every region the source knows: enabled regions for AWS, a snapshot's regions, a client's one.
    All,
}

/// Where the clients come from.
pub(crate) struct Connection {
    client: Option<ClientArg>,
    factory: Option<Arc<FactoryFunction>>,
    aws: AwsOptions,
}

impl Connection {
    pub(crate) fn new(client: Option<ClientArg>, factory: Option<FactoryFunction>, aws: AwsOptions) -> Self {
        Self {
            client,
            factory: factory.map(Arc::new),
            aws,
        }
    }

    /// Checks, before any call, that a given JS client has the methods `needed`.
    pub(crate) fn require(&self, needed: &[Method]) -> Result<(), BindingError> {
        match &self.client {
            Some(ClientArg::Js(object)) => object
                .methods
                .require(needed)
                .map_err(|message| BindingError::invalid("client", message)),
            _ => Ok(()),
        }
    }

    /// The clients for a call; `needed` are the JS methods a factory's clients must have.
    pub(crate) async fn clients(self, regions: &Regions, needed: Vec<Method>) -> Result<Clients, BindingError> {
        let Connection { client, factory, aws } = self;
        let with_factory = |clients: Clients| match &factory {
            Some(factory) => {
                let factory = factory.clone();
                clients.with_factory(move |region| factory_client(&factory, region, &needed))
            }
            None => clients,
        };
        match client {
            Some(ClientArg::Snapshot(snapshot)) => {
                // The snapshot's own factory answers for its regions; a clientFactory adds none.
                Ok(snapshot.clients())
            }
            Some(ClientArg::Js(object)) => {
                let own = object.region.resolve().await.map_err(BindingError::configuration)?;
                let region = match (own, regions) {
                    (Some(region), _) => region,
                    (None, Regions::List(list)) if list.len() == 1 => list[0].clone(),
                    (None, _) => {
                        return Err(BindingError::configuration(
                            "cannot tell which region the client serves: give it `config.region` \
                             (as `new KMS({ region })` does) or name one region in the options",
                        ));
                    }
                };
                kms_rotation_core::check_region(&region).map_err(BindingError::from)?;
                let client: Arc<dyn KmsClient> = Arc::new(JsKmsClient::new(region, object.methods));
                Ok(with_factory(Clients::new().with_client(client)))
            }
            None if factory.is_some() => Ok(with_factory(Clients::new())),
            None => {
                let aws = match regions {
                    Regions::Default => aws,
                    Regions::List(list) => aws.with_regions(list.clone())?,
                    Regions::All => aws.with_all_regions(),
                };
                Ok(aws::clients(&aws).await?)
            }
        }
    }
}

/// A client made by `clientFactory`, called on the JS thread while this (tokio) thread waits.
fn factory_client(
    factory: &FactoryFunction,
    region: &str,
    needed: &[Method],
) -> kms_rotation_core::Result<Arc<dyn KmsClient>> {
    let (sender, receiver) = std::sync::mpsc::channel::<Result<ClientArg, String>>();
    let status = factory.call_with_return_value(
        region.to_owned(),
        ThreadsafeFunctionCallMode::NonBlocking,
        move |returned, env| {
            let made = match returned {
                Ok(value) => ClientArg::from_unknown(&env, value),
                Err(error) => Err(format!("it threw: {}", error.reason)),
            };
            let _ = sender.send(made);
            Ok(())
        },
    );
    let failed = |reason: String| CoreError::Configuration(format!("clientFactory({region:?}) failed: {reason}"));
    if status != Status::Ok {
        return Err(failed(format!("could not call it ({status})")));
    }
    let made = receiver
        .recv()
        .map_err(|_| failed("it was never answered".to_owned()))?
        .map_err(failed)?;
    match made {
        ClientArg::Snapshot(snapshot) => snapshot.client(region),
        ClientArg::Js(object) => {
            object.methods.require(needed).map_err(failed)?;
            Ok(Arc::new(JsKmsClient::new(region.to_owned(), object.methods)))
        }
    }
}
