//! The options objects of the exported functions, and their conversion to
//! the core's options. Every check here runs before any API call.

use std::sync::Arc;

use kms_rotation_core::aws::AwsOptions;
use kms_rotation_core::{CheckOptions, Policy, ProgressEvent as CoreProgressEvent};
use napi::bindgen_prelude::{
    FromNapiValue, JsObjectValue, KeyCollectionMode, KeyConversion, KeyFilter, Object, Unknown,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Either, JsValue, Status, ValueType};
use napi_derive::napi;

use crate::connection::{ClientArg, Connection, Regions};
use crate::error::BindingError;

/// The function `clientFactory` holds: called with a region on the JS thread.
pub(crate) type FactoryFunction = ThreadsafeFunction<String, Unknown<'static>, String, Status, false>;

type ProgressFunction = ThreadsafeFunction<ProgressEvent, Unknown<'static>, ProgressEvent, Status, false>;

/// Static AWS credentials (the shape of an SDK v3 `AwsCredentialIdentity`).
#[napi(object, object_to_js = false)]
pub struct AwsCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key. Never printed.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

/// Options of {@link checkKey}.
#[napi(object, object_to_js = false)]
pub struct CheckKeyOptions {
    /// The key's region when `key` is not an ARN (default: the client's region,
    /// or the configured region of the AWS SDK for Rust).
    pub region: Option<String>,
    /// The longest acceptable rotation period in days, 90 to 2560 (default 365).
    pub max_rotation_period_days: Option<f64>,
    /// Evaluate disabled keys (`true`, the default) or report them `NOT_APPLICABLE`.
    pub evaluate_disabled_keys: Option<bool>,
    /// Keys to report `EXEMPT`: key ids, key ARNs, `alias/NAME`, or `tag:KEY=VALUE`.
    pub exemptions: Option<Vec<String>>,
    /// A KMS client to call instead of the built-in AWS SDK for Rust client: an
    /// AWS SDK v3 `KMS` client (`new KMS({ region })`), any object with its
    /// methods, or a {@link Snapshot}.
    #[napi(ts_type = "KmsClientLike | Snapshot")]
    pub client: Option<ClientArg>,
    /// Makes the client for a region the other options do not cover (e.g. a
    /// replica's primary region). Called synchronously with the region name.
    #[napi(ts_type = "(region: string) => KmsClientLike | Snapshot")]
    pub client_factory: Option<FactoryFunction>,
    /// The shared config/credentials profile of the built-in AWS client.
    pub profile: Option<String>,
    /// An endpoint for every AWS call of the built-in client, e.g. a local emulator.
    pub endpoint_url: Option<String>,
    /// A role the built-in client assumes before calling KMS.
    pub role_arn: Option<String>,
    /// The external id `roleArn`'s trust policy requires.
    pub external_id: Option<String>,
    /// Static credentials for the built-in client instead of the default chain.
    pub credentials: Option<AwsCredentials>,
}

/// Options of {@link checkAccount} and {@link collect}.
#[napi(object, object_to_js = false)]
pub struct CheckAccountOptions {
    /// The regions to check, or `'all'` for every region enabled for the account
    /// (default: the client's region, every region of a snapshot, or the
    /// configured region).
    #[napi(ts_type = "string[] | 'all'")]
    pub regions: Option<Either<Vec<String>, String>>,
    /// The longest acceptable rotation period in days, 90 to 2560 (default 365).
    pub max_rotation_period_days: Option<f64>,
    /// Evaluate disabled keys (`true`, the default) or report them `NOT_APPLICABLE`.
    pub evaluate_disabled_keys: Option<bool>,
    /// Keys to report `EXEMPT`: key ids, key ARNs, `alias/NAME`, or `tag:KEY=VALUE`.
    pub exemptions: Option<Vec<String>>,
    /// Caps every KMS operation at this many requests per second per region
    /// (default: half of each KMS quota).
    pub max_requests_per_second: Option<f64>,
    /// Called (without blocking the scan) as regions start and finish and keys
    /// are listed and evaluated. What it throws is ignored.
    #[napi(ts_type = "(event: ProgressEvent) => void")]
    pub on_progress: Option<ProgressFunction>,
    /// A KMS client to call instead of the built-in AWS SDK for Rust client: an
    /// AWS SDK v3 `KMS` client (`new KMS({ region })`), any object with its
    /// methods, or a {@link Snapshot}.
    #[napi(ts_type = "KmsClientLike | Snapshot")]
    pub client: Option<ClientArg>,
    /// Makes the client for each region the other options do not cover.
    /// Called synchronously with the region name.
    #[napi(ts_type = "(region: string) => KmsClientLike | Snapshot")]
    pub client_factory: Option<FactoryFunction>,
    /// The shared config/credentials profile of the built-in AWS client.
    pub profile: Option<String>,
    /// An endpoint for every AWS call of the built-in client, e.g. a local emulator.
    pub endpoint_url: Option<String>,
    /// A role the built-in client assumes before calling KMS.
    pub role_arn: Option<String>,
    /// The external id `roleArn`'s trust policy requires.
    pub external_id: Option<String>,
    /// Static credentials for the built-in client instead of the default chain.
    pub credentials: Option<AwsCredentials>,
}

/// Options of {@link remediate}.
#[napi(object, object_to_js = false)]
pub struct RemediateOptions {
    /// The rotation period to set, 90 to 2560 days and at most the report's
    /// policy maximum (default 365, or that maximum if lower).
    pub rotation_period_days: Option<f64>,
    /// `true` (the default) reports what would change and changes nothing.
    pub dry_run: Option<bool>,
    /// A KMS client to call instead of the built-in AWS SDK for Rust client: an
    /// AWS SDK v3 `KMS` client (`new KMS({ region })`), any object with its
    /// methods, or a {@link Snapshot}.
    #[napi(ts_type = "KmsClientLike | Snapshot")]
    pub client: Option<ClientArg>,
    /// Makes the client for a target's region the other options do not cover
    /// (e.g. a replica's primary region). Called synchronously with the region name.
    #[napi(ts_type = "(region: string) => KmsClientLike | Snapshot")]
    pub client_factory: Option<FactoryFunction>,
    /// The shared config/credentials profile of the built-in AWS client.
    pub profile: Option<String>,
    /// An endpoint for every AWS call of the built-in client, e.g. a local emulator.
    pub endpoint_url: Option<String>,
    /// A role the built-in client assumes before calling KMS.
    pub role_arn: Option<String>,
    /// The external id `roleArn`'s trust policy requires.
    pub external_id: Option<String>,
    /// Static credentials for the built-in client instead of the default chain.
    pub credentials: Option<AwsCredentials>,
}

/// Something that happened during a scan (see `onProgress`).
#[napi(object, object_from_js = false)]
pub struct ProgressEvent {
    /// What happened.
    #[napi(
        js_name = "type",
        ts_type = "'regionStarted' | 'keysListed' | 'keyEvaluated' | 'regionFinished'"
    )]
    pub kind: String,
    /// The region.
    pub region: String,
    /// Keys listed in the region so far (`keysListed`, `keyEvaluated`).
    pub listed: Option<f64>,
    /// Findings ready in the region so far (`keyEvaluated`).
    pub evaluated: Option<f64>,
    /// How the region's scan ended (`regionFinished`).
    #[napi(ts_type = "'scanned' | 'not_enabled' | 'error'")]
    pub state: Option<String>,
}

/// The option names each options object accepts (anything else is a typo).
const CONNECTION_FIELDS: [&str; 7] = [
    "client",
    "clientFactory",
    "profile",
    "endpointUrl",
    "roleArn",
    "externalId",
    "credentials",
];
const POLICY_FIELDS: [&str; 3] = ["maxRotationPeriodDays", "evaluateDisabledKeys", "exemptions"];

/// Reads an options argument: absent, or an object with only known keys, converted by napi.
pub(crate) fn read_options<T: FromNapiValue>(
    value: Option<Unknown<'_>>,
    what: &str,
    extra_fields: &[&str],
    policy: bool,
) -> Result<Option<T>, BindingError> {
    let Some(value) = value else { return Ok(None) };
    match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => return Ok(None),
        Ok(ValueType::Object) => {}
        _ => return Err(BindingError::invalid(what, format!("{what} must be an object"))),
    }
    let object = value
        .coerce_to_object()
        .map_err(|e| BindingError::invalid(what, e.reason.clone()))?;
    for key in own_keys(&object)? {
        let known = CONNECTION_FIELDS.contains(&key.as_str())
            || extra_fields.contains(&key.as_str())
            || (policy && POLICY_FIELDS.contains(&key.as_str()));
        if !known {
            return Err(BindingError::invalid(
                what,
                format!("unknown option {key:?} in {what} (see the type definitions for the accepted options)"),
            ));
        }
    }
    convert::<T>(value)
        .map(Some)
        .map_err(|e| BindingError::invalid(what, format!("invalid {what}: {}", e.reason)))
}

/// The object's own enumerable string keys (`Object.keys`).
fn own_keys(object: &Object<'_>) -> Result<Vec<String>, BindingError> {
    let read = || -> napi::Result<Vec<String>> {
        let names = object.get_all_property_names(
            KeyCollectionMode::OwnOnly,
            KeyFilter::Enumerable,
            KeyConversion::NumbersToStrings,
        )?;
        let mut keys = Vec::new();
        for index in 0..names.get_array_length()? {
            let name: Unknown<'_> = names.get_element(index)?;
            // Symbol keys are no option names; they are left alone.
            if let Some(name) = crate::text(&name) {
                keys.push(name);
            }
        }
        Ok(keys)
    };
    read().map_err(|e| BindingError::invalid("options", e.reason.clone()))
}

/// Converts a JS value with napi's conversion for `T` (which checks the value's type).
#[allow(unsafe_code)]
pub(crate) fn convert<T: FromNapiValue>(value: Unknown<'_>) -> napi::Result<T> {
    // SAFETY: `value` is a live handle of the current callback scope, and every
    // `FromNapiValue` implementation validates the value it reads.
    unsafe { value.cast::<T>() }
}

/// A JS number that must be a whole number.
fn whole_number(what: &'static str, value: f64) -> Result<u32, BindingError> {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(BindingError::invalid(
            what,
            format!("{what} must be a whole number of days, not {value}"),
        ))
    }
}

fn policy(
    max_rotation_period_days: Option<f64>,
    evaluate_disabled_keys: Option<bool>,
    exemptions: Option<Vec<String>>,
) -> Result<Policy, BindingError> {
    let mut policy = Policy::default();
    if let Some(days) = max_rotation_period_days {
        policy = policy.with_max_rotation_period_days(whole_number("maxRotationPeriodDays", days)?)?;
    }
    if let Some(evaluate) = evaluate_disabled_keys {
        policy = policy.with_evaluate_disabled_keys(evaluate);
    }
    for rule in exemptions.unwrap_or_default() {
        policy = policy.with_exemption(&rule)?;
    }
    Ok(policy)
}

/// The built-in AWS client's options; regions are set later, per call.
fn aws_options(
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    credentials: Option<AwsCredentials>,
) -> Result<AwsOptions, BindingError> {
    let mut options = AwsOptions::default();
    if let Some(profile) = profile {
        options = options.with_profile(profile);
    }
    if let Some(url) = endpoint_url {
        options = options.with_endpoint_url(url)?;
    }
    match (role_arn, external_id) {
        (Some(role), external_id) => options = options.with_role(&role, external_id.as_deref(), None)?,
        (None, Some(_)) => {
            return Err(BindingError::invalid("externalId", "externalId needs roleArn"));
        }
        (None, None) => {}
    }
    if let Some(credentials) = credentials {
        options = options.with_static_credentials(
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.as_deref(),
        );
    }
    Ok(options)
}

/// `checkKey`'s options, checked.
pub(crate) struct CheckKeyRequest {
    pub(crate) connection: Connection,
    pub(crate) region: Option<String>,
    pub(crate) policy: Policy,
}

impl CheckKeyRequest {
    pub(crate) fn parse(value: Option<Unknown<'_>>) -> Result<Self, BindingError> {
        let options: CheckKeyOptions =
            read_options(value, "options", &["region"], true)?.unwrap_or_else(CheckKeyOptions::empty);
        if let Some(region) = &options.region {
            kms_rotation_core::check_region(region)?;
        }
        let aws = aws_options(
            options.profile,
            options.endpoint_url,
            options.role_arn,
            options.external_id,
            options.credentials,
        )?;
        Ok(Self {
            connection: Connection::new(options.client, options.client_factory, aws),
            region: options.region,
            policy: policy(
                options.max_rotation_period_days,
                options.evaluate_disabled_keys,
                options.exemptions,
            )?,
        })
    }
}

impl CheckKeyOptions {
    fn empty() -> Self {
        Self {
            region: None,
            max_rotation_period_days: None,
            evaluate_disabled_keys: None,
            exemptions: None,
            client: None,
            client_factory: None,
            profile: None,
            endpoint_url: None,
            role_arn: None,
            external_id: None,
            credentials: None,
        }
    }
}

/// `checkAccount`'s (and `collect`'s) options, checked.
pub(crate) struct CheckAccountRequest {
    pub(crate) connection: Connection,
    pub(crate) regions: Regions,
    pub(crate) options: CheckOptions,
}

impl CheckAccountRequest {
    pub(crate) fn parse(value: Option<Unknown<'_>>, what: &str) -> Result<Self, BindingError> {
        let extra = ["regions", "maxRequestsPerSecond", "onProgress"];
        let Some(options) = read_options::<CheckAccountOptions>(value, what, &extra, true)? else {
            return Ok(Self {
                connection: Connection::new(None, None, AwsOptions::default()),
                regions: Regions::Default,
                options: CheckOptions::default(),
            });
        };
        let regions = match options.regions {
            None => Regions::Default,
            Some(Either::B(all)) if all == "all" => Regions::All,
            Some(Either::B(other)) => {
                return Err(BindingError::invalid(
                    "regions",
                    format!("regions must be a list of region names or 'all', not {other:?}"),
                ));
            }
            Some(Either::A(list)) => {
                // Validates every name (and refuses an empty list) before any call.
                CheckOptions::default().with_regions(list.clone())?;
                Regions::List(list)
            }
        };
        let mut check = CheckOptions::default().with_policy(policy(
            options.max_rotation_period_days,
            options.evaluate_disabled_keys,
            options.exemptions,
        )?);
        if let Regions::List(list) = &regions {
            check = check.with_regions(list.clone())?;
        }
        if let Some(rps) = options.max_requests_per_second {
            check = check.with_max_requests_per_second(rps)?;
        }
        if let Some(progress) = options.on_progress {
            let progress = Arc::new(progress);
            check = check.with_progress(move |event| {
                if let Some(event) = ProgressEvent::from_core(event) {
                    // Non-blocking; a throw in the listener is swallowed by the empty callback.
                    progress.call_with_return_value(event, ThreadsafeFunctionCallMode::NonBlocking, |_, _| Ok(()));
                }
            });
        }
        let aws = aws_options(
            options.profile,
            options.endpoint_url,
            options.role_arn,
            options.external_id,
            options.credentials,
        )?;
        Ok(Self {
            connection: Connection::new(options.client, options.client_factory, aws),
            regions,
            options: check,
        })
    }
}

/// `remediate`'s options, checked.
pub(crate) struct RemediateRequest {
    pub(crate) connection: Connection,
    pub(crate) options: kms_rotation_core::RemediateOptions,
}

impl RemediateRequest {
    pub(crate) fn parse(value: Option<Unknown<'_>>) -> Result<Self, BindingError> {
        let extra = ["rotationPeriodDays", "dryRun"];
        let Some(options) = read_options::<RemediateOptions>(value, "options", &extra, false)? else {
            return Ok(Self {
                connection: Connection::new(None, None, AwsOptions::default()),
                options: kms_rotation_core::RemediateOptions::default(),
            });
        };
        let mut remediate = kms_rotation_core::RemediateOptions::default();
        if let Some(days) = options.rotation_period_days {
            remediate = remediate.with_rotation_period_days(whole_number("rotationPeriodDays", days)?)?;
        }
        if let Some(dry_run) = options.dry_run {
            remediate = remediate.with_dry_run(dry_run);
        }
        let aws = aws_options(
            options.profile,
            options.endpoint_url,
            options.role_arn,
            options.external_id,
            options.credentials,
        )?;
        Ok(Self {
            connection: Connection::new(options.client, options.client_factory, aws),
            options: remediate,
        })
    }
}

impl ProgressEvent {
    fn from_core(event: &CoreProgressEvent) -> Option<Self> {
        let event = match event {
            CoreProgressEvent::RegionStarted { region } => Self {
                kind: "regionStarted".into(),
                region: region.clone(),
                listed: None,
                evaluated: None,
                state: None,
            },
            CoreProgressEvent::KeysListed { region, listed } => Self {
                kind: "keysListed".into(),
                region: region.clone(),
                listed: Some(*listed as f64),
                evaluated: None,
                state: None,
            },
            CoreProgressEvent::KeyEvaluated {
                region,
                evaluated,
                listed,
            } => Self {
                kind: "keyEvaluated".into(),
                region: region.clone(),
                listed: Some(*listed as f64),
                evaluated: Some(*evaluated as f64),
                state: None,
            },
            CoreProgressEvent::RegionFinished { region, state } => Self {
                kind: "regionFinished".into(),
                region: region.clone(),
                listed: None,
                evaluated: None,
                state: serde_json::to_value(state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
            },
            // Events added to the core later are not forwarded until typed here.
            _ => return None,
        };
        Some(event)
    }
}
