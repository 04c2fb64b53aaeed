//! The one options object of every function, converted in one place into the
//! core's `ConnectionOptions`, `CheckOptions` and `RemediateOptions`.
//!
//! Each group below is a TypeScript interface; a function's options type is
//! the intersection of the groups it takes. Every name is one of the core's
//! option names (`OPTIONS`, camelCase here); any other key is refused. The
//! core validates the values and their combinations: nothing is decided here.

use std::sync::Arc;

use kms_rotation_core::{
    Connection, ConnectionOptions as CoreConnectionOptions, OrganizationOptions as CoreOrganizationOptions, Policy,
    ProgressEvent as CoreProgressEvent, Regions, Snapshot as CoreSnapshot, StaticCredentials,
};
use kms_rotation_core::{SecurityHubClients, SecurityHubTarget, TransportSecurityHub};
use napi::bindgen_prelude::{
    ClassInstance, FromNapiValue, Function, JavaScriptClassExt, JsObjectValue, Object, TypeName, Unknown,
    ValidateNapiValue,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Either, Env, JsValue, Status, ValueType, sys};
use napi_derive::napi;

use crate::error::BindingError;
use crate::org_transport::{JsOrganizationTransport, ServiceClientMaker};
use crate::results::{AccountReport, OrganizationReport, ReportClass};
use crate::snapshot::Snapshot;
use crate::transport::{ClientMaker, JsTransport, RegionSource};
use crate::{convert, options_object, read_string};

/// The groups of options, by the names the core gives them (camelCase).
const CONNECTION: [&str; 12] = [
    "client",
    "clientFactory",
    "serviceClientFactory",
    "regions",
    "profile",
    "endpointUrl",
    "roleArn",
    "externalId",
    "sessionName",
    "allowUnknownRegions",
    "credentials",
    "onCall",
];
const KEY_LOOKUP: [&str; 1] = ["region"];
const CHECK: [&str; 11] = [
    "maxRotationPeriodDays",
    "evaluateDisabledKeys",
    "exemptions",
    "rotationHistory",
    "maxDaysSinceRotation",
    "acceptOnDemandRotation",
    "materialExpiryWarningDays",
    "lastUsage",
    "maxRequestsPerSecond",
    "maxInFlight",
    "onProgress",
];
const REMEDIATION: [&str; 4] = ["rotationPeriodDays", "dryRun", "rotateOnDemand", "allowOtherSource"];
const EVIDENCE: [&str; 1] = ["evidence"];
const BASELINE: [&str; 2] = ["baseline", "failOn"];
/// Where the findings go besides the report ({@link checkAccount}).
const DELIVERY: [&str; 1] = ["toSecurityHub"];
/// Declared keys compared with live ones ({@link checkTerraformPlan}, {@link checkCloudFormation}).
const DECLARATION: [&str; 4] = ["parameters", "compareLive", "stackName", "cloudformationClient"];
const ORGANIZATION: [&str; 9] = [
    "organization",
    "organizationalUnit",
    "accountsFile",
    "roleName",
    "includeAccounts",
    "excludeAccounts",
    "maxAccountsInFlight",
    "assumeRoleInCallerAccount",
    "remediationRoleName",
];

/// Which groups a function takes, besides {@link ConnectionOptions}.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Takes {
    key_lookup: bool,
    check: bool,
    remediation: bool,
    organization: bool,
    evidence: bool,
    baseline: bool,
    delivery: bool,
    declaration: bool,
}

impl Takes {
    /// `checkTerraformPlan` and `checkCloudFormation` with `compareLive`: a check
    /// of named keys (connection, policy, pacing) and the declaration's options.
    pub(crate) const DECLARATION: Takes = Takes::new(false, true, false).with_declaration();
    /// `collect`.
    pub(crate) const SCAN: Takes = Takes::new(false, true, false);
    /// `checkAccount`: a scan that may write its evidence, compare with a baseline, and deliver its findings.
    pub(crate) const CHECK_ACCOUNT: Takes = Takes::SCAN.with_evidence().with_baseline().with_delivery();
    /// `checkKey`.
    pub(crate) const KEY: Takes = Takes::new(true, true, false);
    /// `remediate`.
    pub(crate) const REMEDIATE: Takes = Takes::new(false, false, true);
    /// `remediateKeys`.
    pub(crate) const REMEDIATE_KEYS: Takes = Takes::new(true, true, true);
    /// The Lambda handlers: a check and remediation of named keys, and where the findings go.
    pub(crate) const HANDLER: Takes = Takes::REMEDIATE_KEYS.with_delivery();
    /// `checkOrganization`.
    pub(crate) const ORGANIZATION_SCAN: Takes = Takes::new(false, true, false).with_organization().with_baseline();
    /// `remediateOrganization`.
    pub(crate) const ORGANIZATION_REMEDIATE: Takes = Takes::new(false, false, true).with_organization();

    const fn new(key_lookup: bool, check: bool, remediation: bool) -> Self {
        Self {
            key_lookup,
            check,
            remediation,
            organization: false,
            evidence: false,
            baseline: false,
            delivery: false,
            declaration: false,
        }
    }

    const fn with_declaration(mut self) -> Self {
        self.declaration = true;
        self
    }

    const fn with_evidence(mut self) -> Self {
        self.evidence = true;
        self
    }

    const fn with_baseline(mut self) -> Self {
        self.baseline = true;
        self
    }

    const fn with_delivery(mut self) -> Self {
        self.delivery = true;
        self
    }

    const fn with_organization(mut self) -> Self {
        self.organization = true;
        self
    }

    fn accepts(self, key: &str) -> bool {
        CONNECTION.contains(&key)
            || (self.key_lookup && KEY_LOOKUP.contains(&key))
            || (self.check && CHECK.contains(&key))
            || (self.remediation && REMEDIATION.contains(&key))
            || (self.organization && ORGANIZATION.contains(&key))
            || (self.evidence && EVIDENCE.contains(&key))
            || (self.baseline && BASELINE.contains(&key))
            || (self.delivery && DELIVERY.contains(&key))
            || (self.declaration && DECLARATION.contains(&key))
    }
}

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

/// Where the KMS clients come from and which regions a call covers (every function takes these).
#[napi(object, object_to_js = false)]
pub struct ConnectionOptions {
    /// A KMS client to call instead of the built-in AWS SDK for Rust client: an
    /// AWS SDK v3 `KMS` client (`new KMS({ region })`) or any object with its
    /// methods (its region is `config.region`), or a {@link Snapshot} serving every region it holds.
    #[napi(ts_type = "KmsClientLike | Snapshot")]
    pub client: Option<ClientArg>,
    /// Makes the client for a region `client` does not serve (another region
    /// named, a replica's primary region). Called synchronously with the region name.
    #[napi(ts_type = "(region: string) => KmsClientLike")]
    pub client_factory: Option<ClientMaker<String>>,
    /// Makes the clients of an organisation run ({@link checkOrganization},
    /// {@link remediateOrganization}) instead of the built-in AWS client: called
    /// synchronously with the service (`'sts'`, `'organizations'`, `'account'`
    /// or `'kms'`), the region and, for a member account, the credentials
    /// `AssumeRole` returned there (`undefined`: the caller's own). Returns an AWS
    /// SDK v3 aggregated client (`new STS({ region, credentials })`, …) or an
    /// object with its methods; {@link sdkClientFactory} makes one from the SDK's
    /// classes. Needs `regions` named: STS and Organizations are called in the first.
    #[napi(ts_type = "ServiceClientFactory")]
    pub service_client_factory: Option<ServiceClientMaker>,
    /// The regions to cover, or `'all'` for every region enabled for the account
    /// (default: the client's region, every region of a snapshot, or the configured region).
    #[napi(ts_type = "string[] | 'all'")]
    pub regions: Option<Either<Vec<String>, String>>,
    /// The shared config/credentials profile of the built-in AWS client.
    pub profile: Option<String>,
    /// An endpoint for every AWS call of the built-in client, e.g. a local emulator.
    pub endpoint_url: Option<String>,
    /// A role the built-in client assumes before calling KMS.
    pub role_arn: Option<String>,
    /// The external id `roleArn`'s trust policy requires.
    pub external_id: Option<String>,
    /// The session name CloudTrail records for the assumed role (needs `roleArn`).
    pub session_name: Option<String>,
    /// Accept region names this version does not know (a region AWS opened
    /// since); otherwise they are refused as likely typos. Process-wide.
    pub allow_unknown_regions: Option<bool>,
    /// Static credentials for the built-in client instead of the default chain.
    pub credentials: Option<AwsCredentials>,
    /// Called (without blocking) with every API attempt: operation, region,
    /// outcome, latency and attempt number — never a credential. What it throws is ignored.
    #[napi(ts_type = "(call: ApiCall) => void")]
    pub on_call: Option<ThreadsafeFunction<ApiCall, Unknown<'static>, ApiCall, Status, false>>,
}

/// One API attempt (see `onCall`).
#[napi(object, object_from_js = false)]
pub struct ApiCall {
    /// The KMS operation, e.g. `DescribeKey`.
    pub operation: String,
    /// The region.
    pub region: String,
    /// `ok`, the AWS error code, or `RequestTimeout`.
    pub outcome: String,
    /// How long the attempt took, in milliseconds.
    pub latency_ms: f64,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
}

/// Where key ids and aliases are looked up ({@link checkKey}, {@link remediateKeys}).
#[napi(object, object_to_js = false)]
pub struct KeyLookupOptions {
    /// The region of keys named by id or alias (an ARN names its own); default:
    /// the client's region, the one region named, or the configured region.
    pub region: Option<String>,
}

/// The policy, and how hard to push the API (every function that checks keys).
#[napi(object, object_to_js = false)]
pub struct CheckOptions {
    /// The longest acceptable rotation period in days, 90 to 2560 (default 365).
    pub max_rotation_period_days: Option<f64>,
    /// Evaluate disabled keys (`true`, the default) or report them `NOT_APPLICABLE`.
    pub evaluate_disabled_keys: Option<bool>,
    /// Keys to report `EXEMPT`: key ids, key ARNs, `alias/NAME`, or `tag:KEY=VALUE`
    /// (one rule may be given as a string).
    #[napi(ts_type = "string[] | string")]
    pub exemptions: Option<Either<Vec<String>, String>>,
    /// Read each judged key's rotation history (`ListKeyRotations`, a call per
    /// key at 100 per second): findings gain `rotation.last_rotated_at`,
    /// `rotation.last_rotation_type` and `rotation.rotation_counts`.
    pub rotation_history: Option<bool>,
    /// A key passes only if it rotated (or, never rotated, was created) at most
    /// this many days ago, 1 to 2560; reads the rotation history, and judges
    /// imported-material keys by their on-demand rotations.
    pub max_days_since_rotation: Option<f64>,
    /// A key with automatic rotation off passes when it was rotated on demand
    /// within the window; reads the rotation history.
    pub accept_on_demand_rotation: Option<bool>,
    /// Name imported key material expiring within this many days (0 to 3650,
    /// default 30) in the finding (`key_material.expires_in_days`) and every
    /// format; the verdict does not change.
    pub material_expiry_warning_days: Option<f64>,
    /// Read each `FAIL` and `ERROR` key's last use (`GetKeyLastUsage`, a call per
    /// such key; never without this option): findings gain `last_usage`, and
    /// failures are listed most recently used first.
    pub last_usage: Option<bool>,
    /// Caps every KMS operation at this many requests per second per region
    /// (default: half of each KMS quota).
    pub max_requests_per_second: Option<f64>,
    /// Keys worked on at once per region (default 128).
    pub max_in_flight: Option<f64>,
    /// Called (without blocking the scan) as regions start and finish and keys
    /// are listed and evaluated. What it throws is ignored.
    #[napi(ts_type = "(event: ProgressEvent) => void")]
    pub on_progress: Option<ThreadsafeFunction<ProgressEvent, Unknown<'static>, ProgressEvent, Status, false>>,
}

/// Evidence that re-checks itself ({@link checkAccount}; {@link verifyEvidence} re-checks it).
#[napi(object, object_to_js = false)]
pub struct EvidenceOptions {
    /// Also write the facts the verdicts were made on to this file (a snapshot
    /// file: `loadSnapshot` reads it back), the report beside it as
    /// `NAME.report.json` and a manifest `NAME.manifest.json` (SHA-256 of report
    /// and evidence, tool version, policy) that {@link verifyEvidence} re-checks
    /// offline. The account is then read as {@link collect} reads it.
    pub evidence: Option<String>,
}

/// What remediation does ({@link remediate}, {@link remediateKeys}).
#[napi(object, object_to_js = false)]
pub struct RemediationOptions {
    /// The rotation period to set, 90 to 2560 days and at most the policy
    /// maximum (default 365, or that maximum if lower).
    pub rotation_period_days: Option<f64>,
    /// `true` (the default) reports what would change and changes nothing.
    pub dry_run: Option<bool>,
    /// Rotate keys found `rotation_overdue` on demand (`RotateKeyOnDemand`),
    /// within each key's lifetime quota; without it they are `SKIPPED` with
    /// the command to run.
    pub rotate_on_demand: Option<bool>,
    /// `remediate`: act on a report checked elsewhere than these options reach
    /// (another snapshot, profile, endpoint or role); by default such a report
    /// is refused. (`remediateKeys` checks the keys itself, where it acts.)
    pub allow_other_source: Option<bool>,
}

/// What changed since an earlier run ({@link checkAccount}, {@link checkOrganization}).
#[napi(object, object_to_js = false)]
pub struct BaselineOptions {
    /// An earlier run's report: the report, its `toJSON()` object, its JSON
    /// text, or the path of its JSON file. Each finding's `baseline_state` says
    /// `new`, `unchanged`, `resolved` or `regressed`; `report.baseline` holds
    /// the counts and the keys gone since. A report of another account, region
    /// set or policy is refused (`INVALID_INPUT`, naming what differs).
    #[napi(ts_type = "AccountReport | OrganizationReport | AccountReportJson | OrganizationReportJson | string")]
    pub baseline: Option<BaselineArg>,
    /// `'any'` (the default) or `'new'`: `exitCode()` counts only findings new
    /// or regressed since `baseline` (which it needs).
    #[napi(ts_type = "'any' | 'new'")]
    pub fail_on: Option<String>,
}

/// What `baseline` held, read as the core's baseline; the error is kept, to
/// reach the caller with its own kind (a file that cannot be read is `IO`).
pub(crate) struct BaselineArg(Result<kms_rotation_core::Baseline, BindingError>);

impl TypeName for BaselineArg {
    fn type_name() -> &'static str {
        "AccountReport | OrganizationReport | object | string"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for BaselineArg {}

#[allow(unsafe_code)]
impl FromNapiValue for BaselineArg {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi calls this with a live value of the current callback scope.
        let value = unsafe { Unknown::from_raw_unchecked(env, value) };
        let env = Env::from_raw(env);
        let read = || -> Result<kms_rotation_core::Baseline, BindingError> {
            if AccountReport::instance_of(&env, &value).unwrap_or(false) {
                let report: ClassInstance<'_, AccountReport> =
                    convert(value).map_err(|e| BindingError::invalid("baseline", e.reason.clone()))?;
                return Ok(kms_rotation_core::Baseline::from_json(
                    &report.checked().inner.to_json(),
                )?);
            }
            if OrganizationReport::instance_of(&env, &value).unwrap_or(false) {
                let report: ClassInstance<'_, OrganizationReport> =
                    convert(value).map_err(|e| BindingError::invalid("baseline", e.reason.clone()))?;
                return Ok(kms_rotation_core::Baseline::from_json(
                    &report.checked().inner.to_json(),
                )?);
            }
            if let Some(text) = crate::text(&value) {
                return Ok(if text.trim_start().starts_with('{') {
                    kms_rotation_core::Baseline::from_json(&text)?
                } else {
                    kms_rotation_core::Baseline::load(&text)?
                });
            }
            Ok(kms_rotation_core::Baseline::from_json(&report_text(&env, value)?)?)
        };
        Ok(BaselineArg(read()))
    }
}

/// Whole organisations ({@link checkOrganization}, {@link remediateOrganization}):
/// which accounts, through which role. `externalId` and `sessionName` apply to
/// the role assumed in each account.
#[napi(object, object_to_js = false)]
pub struct OrganizationOptions {
    /// Every account of the AWS Organization (Organizations `ListAccounts`).
    pub organization: Option<bool>,
    /// Every account under this OU (`ou-…`) or root (`r-…`), recursively.
    pub organizational_unit: Option<String>,
    /// A JSON file `{"111122223333": "arn:aws:iam::111122223333:role/NAME", …}`
    /// naming each account's role, for setups without Organizations access.
    pub accounts_file: Option<String>,
    /// The role assumed in each account: `arn:PARTITION:iam::ACCOUNT:role/NAME`.
    pub role_name: Option<String>,
    /// Only these account ids.
    pub include_accounts: Option<Vec<String>>,
    /// Not these account ids.
    pub exclude_accounts: Option<Vec<String>>,
    /// Accounts checked at once (default 8), each with its own request budgets.
    pub max_accounts_in_flight: Option<f64>,
    /// Assume the role in the caller's own account too (by default it is checked
    /// with the caller's credentials).
    pub assume_role_in_caller_account: Option<bool>,
    /// The role remediation assumes in each account (default `roleName`).
    pub remediation_role_name: Option<String>,
}

fn organization(options: OrganizationOptions) -> Result<CoreOrganizationOptions, BindingError> {
    let mut core = CoreOrganizationOptions::default()
        .with_organization(options.organization == Some(true))
        .with_include_accounts(options.include_accounts.unwrap_or_default())
        .with_exclude_accounts(options.exclude_accounts.unwrap_or_default())
        .with_assume_role_in_caller_account(options.assume_role_in_caller_account == Some(true));
    if let Some(id) = options.organizational_unit {
        core = core.with_organizational_unit(id);
    }
    if let Some(path) = options.accounts_file {
        core = core.with_accounts_file(path);
    }
    if let Some(name) = options.role_name {
        core = core.with_role_name(name);
    }
    if let Some(name) = options.remediation_role_name {
        core = core.with_remediation_role_name(name);
    }
    if let Some(accounts) = options.max_accounts_in_flight {
        core = core.with_max_accounts_in_flight(whole("maxAccountsInFlight", accounts)? as usize);
    }
    Ok(core)
}

/// Something that happened during a scan (see `onProgress`).
#[napi(object, object_from_js = false)]
pub struct ProgressEvent {
    /// What happened.
    #[napi(
        js_name = "type",
        ts_type = "'regionStarted' | 'keysListed' | 'keyEvaluated' | 'regionFinished' | 'accountStarted' | 'accountFinished'"
    )]
    pub kind: String,
    /// The account, in an organisation run.
    pub account_id: Option<String>,
    /// The region.
    pub region: String,
    /// Keys listed in the region so far (`keysListed`, `keyEvaluated`).
    pub listed: Option<f64>,
    /// Findings ready in the region so far (`keyEvaluated`).
    pub evaluated: Option<f64>,
    /// How the region's scan ended (`regionFinished`), or the account's (`accountFinished`).
    #[napi(ts_type = "'scanned' | 'not_enabled' | 'error' | 'checked' | 'skipped'")]
    pub state: Option<String>,
}

/// Where {@link checkAccount}'s findings go besides the report.
#[napi(object, object_to_js = false)]
pub struct DeliveryOptions {
    /// Keep the findings current in AWS Security Hub: `true` for the built-in
    /// client (in each key's region, with the connection's settings), or an AWS
    /// SDK v3 `SecurityHub` client (`new SecurityHub({ region })`) or any object
    /// with its methods, for its region. One finding per key, updated in place;
    /// a key that passes now is `RESOLVED`, a key gone `ARCHIVED`; `ERROR`
    /// findings are not sent. The outcome is the report's `security_hub`, and
    /// findings Security Hub did not take make `exitCode()` at least 3.
    #[napi(ts_type = "boolean | SecurityHubClientLike")]
    pub to_security_hub: Option<SecurityHubArg>,
}

/// What `toSecurityHub` held: a flag (the built-in client), or an SDK v3-shaped client and its region.
pub(crate) enum SecurityHubArg {
    Builtin(bool),
    Js(JsTransport, RegionSource),
}

impl TypeName for SecurityHubArg {
    fn type_name() -> &'static str {
        "boolean | SecurityHubClientLike"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for SecurityHubArg {}

#[allow(unsafe_code)]
impl FromNapiValue for SecurityHubArg {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi calls this with a live value of the current callback scope.
        let value = unsafe { Unknown::from_raw_unchecked(env, value) };
        let env = Env::from_raw(env);
        let read = || -> Result<Self, String> {
            if matches!(value.get_type(), Ok(ValueType::Boolean)) {
                let flag: bool = convert(value).map_err(|e| e.reason.clone())?;
                return Ok(SecurityHubArg::Builtin(flag));
            }
            Ok(SecurityHubArg::Js(
                JsTransport::security_hub(&value)?,
                RegionSource::of(&env, &value)?,
            ))
        };
        read().map_err(|reason| napi::Error::new(Status::InvalidArg, reason))
    }
}

/// What `client` held: an SDK v3-shaped object (with what it says of its region), or a snapshot.
pub(crate) enum ClientArg {
    Js(JsTransport, RegionSource),
    Snapshot(CoreSnapshot),
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
        let env = Env::from_raw(env);
        let read = || -> Result<Self, String> {
            if Snapshot::instance_of(&env, &value).unwrap_or(false) {
                let snapshot: ClassInstance<'_, Snapshot> = convert(value).map_err(|e| e.reason.clone())?;
                return Ok(ClientArg::Snapshot(snapshot.inner.clone()));
            }
            Ok(ClientArg::Js(
                JsTransport::from_value(&value)?,
                RegionSource::of(&env, &value)?,
            ))
        };
        read().map_err(|reason| napi::Error::new(Status::InvalidArg, reason))
    }
}

/// A JS number that must be a whole number.
fn whole(what: &str, value: f64) -> Result<u32, BindingError> {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(BindingError::invalid(
            what,
            format!("{what} must be a whole number, not {value}"),
        ))
    }
}

/// The connection, as far as it can be built on the JS thread: an injected
/// client's region may come from an async provider.
#[derive(Default)]
pub(crate) struct Connect {
    options: CoreConnectionOptions,
    client: Option<(JsTransport, RegionSource)>,
    security_hub: Option<SecurityHubArg>,
}

impl Connect {
    /// The core's connection (which validates the options together).
    pub(crate) async fn build(self) -> Result<Connection, BindingError> {
        let mut options = self.options;
        if let Some((transport, region)) = self.client {
            let own_region = region.resolve().await.map_err(BindingError::configuration)?;
            options = options.with_transport(transport, own_region);
        }
        match self.security_hub {
            Some(SecurityHubArg::Builtin(true)) => options = options.with_security_hub(SecurityHubTarget::Aws),
            Some(SecurityHubArg::Js(transport, region)) => {
                let Some(region) = region.resolve().await.map_err(BindingError::configuration)? else {
                    return Err(BindingError::configuration(
                        "toSecurityHub: the Security Hub client says no region (config.region)",
                    ));
                };
                let client = TransportSecurityHub::new(transport, &region)?;
                options = options.with_security_hub(SecurityHubTarget::Clients(
                    SecurityHubClients::new().with_client(Arc::new(client)),
                ));
            }
            Some(SecurityHubArg::Builtin(false)) | None => {}
        }
        Ok(options.build()?)
    }
}

/// A function's options, converted.
pub(crate) struct Request {
    pub(crate) connect: Connect,
    pub(crate) region: Option<String>,
    pub(crate) check: kms_rotation_core::CheckOptions,
    pub(crate) remediate: kms_rotation_core::RemediateOptions,
}

impl Request {
    /// Reads an options argument: absent, or an object with only the keys `takes` allows.
    pub(crate) fn parse(value: Option<Unknown<'_>>, takes: Takes) -> Result<Self, BindingError> {
        let mut request = Request {
            connect: Connect {
                options: CoreConnectionOptions::default(),
                client: None,
                security_hub: None,
            },
            region: None,
            check: kms_rotation_core::CheckOptions::default(),
            remediate: kms_rotation_core::RemediateOptions::default(),
        };
        let Some(value) = options_object(value, |key| takes.accepts(key))? else {
            return Ok(request);
        };
        for name in ["clientFactory", "serviceClientFactory"] {
            must_be_function(value, name)?;
        }
        let read = |e: napi::Error| BindingError::invalid("options", format!("invalid options: {}", e.reason));
        let mut options: ConnectionOptions = convert(value).map_err(read)?;
        let on_call = options.on_call.take().map(Arc::new);
        request.connect = connection(options)?;
        if takes.key_lookup {
            request.region = convert::<KeyLookupOptions>(value).map_err(read)?.region;
        }
        if takes.check {
            request.check = check(convert(value).map_err(read)?)?;
        }
        if takes.evidence
            && let Some(path) = convert::<EvidenceOptions>(value).map_err(read)?.evidence
        {
            request.check = std::mem::take(&mut request.check).with_evidence(path);
        }
        if takes.baseline {
            let options: BaselineOptions = convert(value).map_err(read)?;
            if let Some(BaselineArg(baseline)) = options.baseline {
                request.check = request.check.with_baseline(baseline?);
            }
            if let Some(fail_on) = options.fail_on {
                request.check = request.check.with_fail_on(fail_on.parse()?);
            }
        }
        if takes.organization {
            let options: OrganizationOptions = convert(value).map_err(read)?;
            request.connect.options =
                std::mem::take(&mut request.connect.options).with_organization(organization(options)?);
        }
        if takes.delivery {
            let options: DeliveryOptions = convert(value).map_err(read)?;
            request.connect.security_hub = options.to_security_hub;
        }
        if takes.remediation {
            let options: RemediationOptions = convert(value).map_err(read)?;
            if let Some(days) = options.rotation_period_days {
                let days = whole("rotationPeriodDays", days)?;
                request.remediate = request.remediate.with_rotation_period_days(days)?;
            }
            if let Some(dry_run) = options.dry_run {
                request.remediate = request.remediate.with_dry_run(dry_run);
            }
            if let Some(rotate) = options.rotate_on_demand {
                request.remediate = request.remediate.with_rotate_on_demand(rotate);
            }
            if let Some(allow) = options.allow_other_source {
                request.remediate = request.remediate.with_allow_other_source(allow);
            }
        }
        if let Some(listener) = on_call {
            let forward = move |call: &kms_rotation_core::ApiCall| {
                // Already through the core's one redaction point.
                let call = ApiCall {
                    operation: call.operation.as_str().to_owned(),
                    region: call.region.clone(),
                    outcome: call.outcome.clone(),
                    latency_ms: call.latency_ms as f64,
                    attempt: call.attempt,
                };
                // Non-blocking; what the listener throws is dropped by the empty callback.
                listener.call_with_return_value(call, ThreadsafeFunctionCallMode::NonBlocking, |_, _| Ok(()));
            };
            let forward = Arc::new(forward);
            let again = forward.clone();
            request.check = request.check.with_call_log(move |call| forward(call));
            request.remediate = request.remediate.with_call_log(move |call| again(call));
        }
        Ok(request)
    }
}

/// A factory option, when given, must be a function: refused naming it (napi's
/// own conversion error would name neither the option nor the value).
fn must_be_function(options: Unknown<'_>, name: &str) -> Result<(), BindingError> {
    let value: Unknown<'_> = options
        .coerce_to_object()
        .and_then(|object| object.get_named_property(name))
        .map_err(|e| BindingError::invalid(name, e.reason.clone()))?;
    match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Function) => Ok(()),
        Ok(other) => Err(BindingError::invalid(
            name,
            format!("{name} must be a function, not {}", type_name(other)),
        )),
        Err(e) => Err(BindingError::invalid(name, e.reason.clone())),
    }
}

/// A JS type as `typeof` names it.
fn type_name(kind: ValueType) -> &'static str {
    match kind {
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::BigInt => "a bigint",
        _ => "an object",
    }
}

fn connection(options: ConnectionOptions) -> Result<Connect, BindingError> {
    // First: it decides whether the region names below are accepted.
    let mut core =
        CoreConnectionOptions::default().with_allow_unknown_regions(options.allow_unknown_regions == Some(true));
    let mut client = None;
    match options.client {
        Some(ClientArg::Snapshot(snapshot)) => core = core.with_snapshot(snapshot),
        Some(ClientArg::Js(transport, region)) => client = Some((transport, region)),
        None => {}
    }
    if let Some(factory) = options.client_factory {
        core = core.with_transport_factory(move |region| {
            JsTransport::made_by(&factory, region.to_owned(), &format!("clientFactory({region:?})"))
        });
    }
    if let Some(factory) = options.service_client_factory {
        core = core.with_organization_transport(JsOrganizationTransport::new(factory));
    }
    match options.regions {
        Some(Either::A(names)) => core = core.with_regions(Regions::from_names(names)?),
        Some(Either::B(name)) => core = core.with_regions(Regions::from_names([name])?),
        None => {}
    }
    let settings = [
        (
            options.profile,
            CoreConnectionOptions::with_profile as fn(_, String) -> _,
        ),
        (options.endpoint_url, CoreConnectionOptions::with_endpoint_url),
        (options.role_arn, CoreConnectionOptions::with_role_arn),
        (options.external_id, CoreConnectionOptions::with_external_id),
        (options.session_name, CoreConnectionOptions::with_session_name),
    ];
    for (value, set) in settings {
        if let Some(value) = value {
            core = set(core, value);
        }
    }
    if let Some(credentials) = options.credentials {
        core = core.with_credentials(StaticCredentials {
            access_key_id: credentials.access_key_id,
            secret_access_key: credentials.secret_access_key,
            session_token: credentials.session_token,
        });
    }
    Ok(Connect {
        options: core,
        client,
        security_hub: None,
    })
}

pub(crate) fn check(options: CheckOptions) -> Result<kms_rotation_core::CheckOptions, BindingError> {
    let mut policy = Policy::default();
    if let Some(days) = options.max_rotation_period_days {
        policy = policy.with_max_rotation_period_days(whole("maxRotationPeriodDays", days)?)?;
    }
    if let Some(evaluate) = options.evaluate_disabled_keys {
        policy = policy.with_evaluate_disabled_keys(evaluate);
    }
    let rules = match options.exemptions {
        Some(Either::A(rules)) => rules,
        Some(Either::B(rule)) => vec![rule],
        None => Vec::new(),
    };
    for rule in rules {
        policy = policy.with_exemption(&rule)?;
    }
    if let Some(read) = options.rotation_history {
        policy = policy.with_rotation_history(read);
    }
    if let Some(days) = options.max_days_since_rotation {
        policy = policy.with_max_days_since_rotation(Some(whole("maxDaysSinceRotation", days)?))?;
    }
    if let Some(accept) = options.accept_on_demand_rotation {
        policy = policy.with_accept_on_demand_rotation(accept);
    }
    if let Some(days) = options.material_expiry_warning_days {
        policy = policy.with_material_expiry_warning_days(whole("materialExpiryWarningDays", days)?)?;
    }
    if let Some(read) = options.last_usage {
        policy = policy.with_last_usage(read);
    }
    let mut check = kms_rotation_core::CheckOptions::default().with_policy(policy);
    if let Some(rps) = options.max_requests_per_second {
        check = check.with_max_requests_per_second(rps)?;
    }
    if let Some(calls) = options.max_in_flight {
        check = check.with_max_in_flight(whole("maxInFlight", calls)? as usize);
    }
    if let Some(listener) = options.on_progress {
        let listener = Arc::new(listener);
        check = check.with_progress(move |event| {
            if let Some(event) = ProgressEvent::from_core(event) {
                // Non-blocking; what the listener throws is dropped by the empty callback.
                listener.call_with_return_value(event, ThreadsafeFunctionCallMode::NonBlocking, |_, _| Ok(()));
            }
        });
    }
    Ok(check)
}

impl ProgressEvent {
    fn from_core(event: &CoreProgressEvent) -> Option<Self> {
        let (kind, region, listed, evaluated, state) = match event {
            CoreProgressEvent::InAccount { account_id, event } => {
                let mut inner = Self::from_core(event)?;
                inner.account_id = Some(account_id.clone());
                return Some(inner);
            }
            CoreProgressEvent::AccountStarted { account_id } => {
                let mut event = Self::from_core(&CoreProgressEvent::RegionStarted { region: String::new() })?;
                event.kind = "accountStarted".to_owned();
                event.account_id = Some(account_id.clone());
                return Some(event);
            }
            CoreProgressEvent::AccountFinished { account_id, state } => {
                let mut event = Self::from_core(&CoreProgressEvent::RegionStarted { region: String::new() })?;
                event.kind = "accountFinished".to_owned();
                event.account_id = Some(account_id.clone());
                event.state = Some(state.as_str().to_owned());
                return Some(event);
            }
            CoreProgressEvent::RegionStarted { region } => ("regionStarted", region, None, None, None),
            CoreProgressEvent::KeysListed { region, listed } => ("keysListed", region, Some(*listed), None, None),
            CoreProgressEvent::KeyEvaluated {
                region,
                evaluated,
                listed,
            } => ("keyEvaluated", region, Some(*listed), Some(*evaluated), None),
            CoreProgressEvent::RegionFinished { region, state } => {
                let state = serde_json::to_value(state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned));
                ("regionFinished", region, None, None, state)
            }
            // Events added to the core later are not forwarded until typed here.
            _ => return None,
        };
        Some(Self {
            kind: kind.to_owned(),
            account_id: None,
            region: region.clone(),
            listed: listed.map(|n| n as f64),
            evaluated: evaluated.map(|n| n as f64),
            state,
        })
    }
}

/// A report given as its JSON text or its `toJSON()` object.
pub(crate) fn report_text(env: &Env, report: Unknown<'_>) -> Result<String, BindingError> {
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
