//! Continuous evaluation's handlers, one implementation for every door (the
//! Python and Node functions and the Rust Lambda binary only convert): the Config
//! custom rule's ([`config_rule_handler`]) and the EventBridge rule's
//! ([`event_handler`]). Each reads its event (bad input named before any
//! call), checks the keys it names with a fresh read through the one engine
//! ([`Connection::check_keys`], [`Connection::check_account`] when
//! scheduled), optionally remediates ([`AutoRemediate`]), and, for Config,
//! writes the verdicts with `PutEvaluations`. Each returns an [`Invocation`]:
//! the report of the keys checked (what a delivery such as Security Hub
//! takes), the evaluations written, the keys gone, and what failed —
//! [`Invocation::into_result`] turns a failure into the error the invocation
//! must end with, after any delivery.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::{ApiError, ErrorKind, Operation};
use crate::arn::Arn;
use crate::check::{CheckOptions, check_key_operations};
use crate::connection::Connection;
use crate::continuous::KeyTarget;
use crate::continuous::client::ConfigClient;
use crate::continuous::config::{
    AutoRemediate, ConfigRuleEvent, EVALUATIONS_PER_CALL, Evaluation, Trigger, evaluation_of, gone,
};
use crate::continuous::events::key_event;
use crate::engine::{Counters, Pacer, RetryConfig};
use crate::error::{Error, Result};
use crate::model::{Finding, Status, Timestamp};
use crate::organization::{
    AccountDirectory, OrganizationTransport, RoleSession, TransportOrgClient, check_role_name_as,
};
use crate::remediate::RemediateOptions;
use crate::report::{AccountReport, RegionReport, RegionState, RemediationReport};

/// The environment variable that carries the EventBridge handler's policy:
/// a JSON object with the Config rule's parameters
/// ([`crate::continuous::config::RULE_PARAMETERS`]), checked the same way.
pub const RULE_PARAMETERS_ENV: &str = "KMS_ROTATION_RULE_PARAMETERS";

/// The environment variable naming the role the EventBridge handler assumes
/// in the account of an event's key when that is not the function's own
/// account ([`HandlerOptions::with_cross_account_role_name`]): events of other
/// accounts forwarded to a central account's event bus.
pub const CROSS_ACCOUNT_ROLE_ENV: &str = "KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME";

/// The environment variable that asks the handlers to keep the findings
/// current in Security Hub: `true` or `false` (the template's
/// `ToSecurityHub`); unset or empty is `false`.
pub const TO_SECURITY_HUB_ENV: &str = "KMS_ROTATION_TO_SECURITY_HUB";

/// Whether [`TO_SECURITY_HUB_ENV`] asks for the findings in Security Hub:
/// the one reading of it, which the Rust Lambda binary, Python's
/// `kms_rotation.aws_lambda` and Node's `kms-rotation/lambda` all call.
///
/// # Errors
/// As [`to_security_hub_from`].
pub fn to_security_hub_from_env() -> Result<bool> {
    to_security_hub_from(std::env::var(TO_SECURITY_HUB_ENV).ok().as_deref())
}

/// [`to_security_hub_from_env`] for a value of the variable (`None`: unset).
///
/// ```
/// use kms_rotation_core::handlers::to_security_hub_from;
/// assert!(to_security_hub_from(Some("true"))?);
/// assert!(!to_security_hub_from(Some("false"))? && !to_security_hub_from(None)?);
/// let error = to_security_hub_from(Some("yes")).unwrap_err();
/// assert!(error.to_string().contains("KMS_ROTATION_TO_SECURITY_HUB") && error.to_string().contains("yes"));
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] naming [`TO_SECURITY_HUB_ENV`] and the value
/// when it is neither `true` nor `false`.
pub fn to_security_hub_from(value: Option<&str>) -> Result<bool> {
    match value.map(str::trim) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Error::invalid(
            TO_SECURITY_HUB_ENV,
            other,
            "expected true or false (the template's ToSecurityHub)",
        )),
    }
}

/// How the handlers check, remediate and deliver.
///
/// ```
/// use kms_rotation_core::handlers::HandlerOptions;
/// let options = HandlerOptions::default().with_rule_parameters_json(r#"{"max_rotation_period_days": "180"}"#)?;
/// assert_eq!(options.check().policy().max_rotation_period_days(), 180);
/// assert!(HandlerOptions::default().with_rule_parameters_json(r#"{"auto_remediate": "yes"}"#).is_err());
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct HandlerOptions {
    check: CheckOptions,
    remediation: RemediateOptions,
    auto_remediate: AutoRemediate,
    account_id: Option<String>,
    partition: Option<String>,
    cross_account_role: Option<String>,
    accounts: Option<AccountClients>,
}

/// Makes an account directory for a Region.
type MakeDirectory = dyn Fn(&str) -> Result<AccountDirectory> + Send + Sync;

/// Makes the account directory that reaches other accounts (STS in the Region given).
#[derive(Clone)]
struct AccountClients(Arc<MakeDirectory>);

impl fmt::Debug for AccountClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<service client factory>")
    }
}

impl HandlerOptions {
    /// The check's options (budget, retries; the policy of the EventBridge
    /// handler — the Config rule's comes from its parameters).
    pub fn with_check(mut self, check: CheckOptions) -> Self {
        self.check = check;
        self
    }

    /// The remediation's options (period, verification, retries); whether it
    /// applies is [`AutoRemediate`]'s.
    pub fn with_remediation(mut self, remediation: RemediateOptions) -> Self {
        self.remediation = remediation;
        self
    }

    /// The EventBridge handler's policy and remediation switch, from rule
    /// parameters in the Config rule's shape.
    ///
    /// # Errors
    /// As [`crate::continuous::config::rule_parameters`], naming [`RULE_PARAMETERS_ENV`].
    pub fn with_rule_parameters(mut self, parameters: &Value) -> Result<Self> {
        let (policy, auto_remediate) = crate::continuous::config::rule_parameters_in(parameters, RULE_PARAMETERS_ENV)?;
        self.check = self.check.with_policy(policy);
        self.auto_remediate = auto_remediate;
        Ok(self)
    }

    /// [`HandlerOptions::with_rule_parameters`] from JSON text (empty: none).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming [`RULE_PARAMETERS_ENV`] for text that is
    /// not JSON; as [`crate::continuous::config::rule_parameters`].
    pub fn with_rule_parameters_json(self, text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(self);
        }
        let parameters: Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid(RULE_PARAMETERS_ENV, text, format!("not JSON: {e}")))?;
        self.with_rule_parameters(&parameters)
    }

    /// [`HandlerOptions::with_rule_parameters_json`] from the
    /// [`RULE_PARAMETERS_ENV`] environment variable, when set.
    ///
    /// # Errors
    /// As [`HandlerOptions::with_rule_parameters_json`].
    pub fn with_rule_parameters_from_env(self) -> Result<Self> {
        match std::env::var(RULE_PARAMETERS_ENV) {
            Ok(text) => self.with_rule_parameters_json(&text),
            Err(_) => Ok(self),
        }
    }

    /// The account the handler runs in: an event about a key of another
    /// account is an error naming it (it cannot be read from here).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id that is not 12 digits.
    pub fn with_account_id(mut self, account_id: &str) -> Result<Self> {
        crate::organization::check_account_id(account_id)?;
        self.account_id = Some(account_id.to_owned());
        Ok(self)
    }

    /// [`HandlerOptions::with_account_id`] from a Lambda function's ARN (the
    /// context's `invoked_function_arn`), and its partition; nothing for an
    /// ARN without an account.
    pub fn with_function_arn(mut self, arn: &str) -> Self {
        if let Some(partition) = Arn::partition_of(arn) {
            self.partition = Some(partition);
        }
        match arn.split(':').nth(4).filter(|id| !id.is_empty()) {
            Some(id) => self.clone().with_account_id(id).unwrap_or(self),
            None => self,
        }
    }

    /// The role the EventBridge handler assumes in the account of an event's
    /// key when that is not the function's own (events of other accounts
    /// forwarded to a central account): `arn:PARTITION:iam::ACCOUNT:role/NAME`,
    /// assumed as an organisation run assumes `role_name`, with the same
    /// `AssumeRole` path (Python `cross_account_role_name=`, Node
    /// `crossAccountRoleName`, the [`CROSS_ACCOUNT_ROLE_ENV`] variable).
    /// Without it an event of another account is an error naming the event.
    /// The Config rule's handler stays in its own account (Config takes
    /// evaluations only for its own resources).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `cross_account_role_name` for a name IAM would not take.
    pub fn with_cross_account_role_name(mut self, name: &str) -> Result<Self> {
        check_role_name_as("cross_account_role_name", name)?;
        self.cross_account_role = Some(name.to_owned());
        Ok(self)
    }

    /// [`HandlerOptions::with_cross_account_role_name`] from the
    /// [`CROSS_ACCOUNT_ROLE_ENV`] environment variable, when set and not empty.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the variable for a name IAM would not take.
    pub fn with_cross_account_role_name_from_env(mut self) -> Result<Self> {
        if let Ok(name) = std::env::var(CROSS_ACCOUNT_ROLE_ENV)
            && !name.trim().is_empty()
        {
            check_role_name_as(CROSS_ACCOUNT_ROLE_ENV, name.trim())?;
            self.cross_account_role = Some(name.trim().to_owned());
        }
        Ok(self)
    }

    /// [`HandlerOptions::with_cross_account_role_name`] with the name a door
    /// was given, else [`HandlerOptions::with_cross_account_role_name_from_env`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the option or the variable for a name IAM would not take.
    pub fn with_cross_account_role_name_or_env(self, given: Option<&str>) -> Result<Self> {
        match given {
            Some(name) => self.with_cross_account_role_name(name),
            None => self.with_cross_account_role_name_from_env(),
        }
    }

    /// The clients that assume the role in another account and read its keys
    /// there: your SDK's (Python's `service_client_factory`, Node's
    /// `serviceClientFactory`), STS called in the key's Region. Without them,
    /// the connection's built-in AWS client's.
    pub fn with_organization_transport<T: OrganizationTransport>(mut self, transport: T) -> Self {
        let transport = Arc::new(transport);
        self.accounts = Some(AccountClients(Arc::new(move |region: &str| {
            let org = TransportOrgClient::new(transport.clone(), region)?;
            Ok(AccountDirectory::new(Arc::new(org), crate::arn::Regions::Default))
        })));
        self
    }

    /// The role assumed in other accounts' events, if any.
    pub fn cross_account_role_name(&self) -> Option<&str> {
        self.cross_account_role.as_deref()
    }

    /// Whether `target` is in another account than the function's.
    fn is_foreign(&self, account_id: &str) -> bool {
        self.account_id.as_deref().is_some_and(|own| own != account_id)
    }

    /// Bounds retries by the time the function has left (the Lambda
    /// context's remaining time): each call gives up in time, keeping a
    /// quarter of it (at most 10 s) to write what was judged and end with
    /// the error, instead of being stopped by Lambda in the middle.
    pub fn with_time_left(mut self, left: Duration) -> Self {
        let margin = (left / 4).min(Duration::from_secs(10));
        let budget = left.saturating_sub(margin).max(Duration::from_millis(1));
        let bound = |retry: &RetryConfig| {
            retry
                .clone()
                .with_deadline(retry.deadline.min(budget))
                .with_throttling_budget(retry.throttling_budget.min(budget))
        };
        let check_retry = bound(self.check.retry());
        self.check = self.check.with_retry(check_retry);
        let remediation_retry = bound(self.remediation.retry());
        self.remediation = self.remediation.with_retry(remediation_retry);
        self
    }

    /// The check's options.
    pub fn check(&self) -> &CheckOptions {
        &self.check
    }

    /// The EventBridge handler's remediation switch.
    pub fn auto_remediate(&self) -> AutoRemediate {
        self.auto_remediate
    }
}

/// Something an invocation could not do for one key: the AWS code it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandlerFailure {
    /// The key (its ARN, or as the event named it).
    pub key: String,
    /// Its region.
    pub region: String,
    /// The operation that failed (`GetKeyRotationStatus`, `PutEvaluations`, `ListKeys`, …).
    pub operation: String,
    /// The AWS error code, verbatim.
    pub code: String,
    /// The AWS message.
    pub message: String,
}

/// What one invocation of a handler did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Invocation {
    /// What the event was: `ConfigurationItemChangeNotification`,
    /// `ScheduledNotification`, `EnableKeyRotation`, `KMS CMK Rotation`, ….
    pub trigger: String,
    /// The findings of the keys checked, with fresh reads (every door's report shape).
    pub report: AccountReport,
    /// The evaluations Config accepted (the Config rule handler only).
    pub evaluations: Vec<Evaluation>,
    /// Keys that no longer exist or left the rule's scope.
    pub gone: Vec<KeyTarget>,
    /// What remediation did or would do (`auto_remediate` `dry-run` or `apply`).
    pub remediation: Option<RemediationReport>,
    /// Why nothing was checked (a failed call's event, a tag change without a tag exemption).
    pub skipped: Option<String>,
    /// The keys whose check, or whose evaluation, failed: the invocation fails.
    pub failures: Vec<HandlerFailure>,
}

impl Invocation {
    fn new(trigger: &str, policy: &crate::policy::Policy) -> Self {
        Self {
            trigger: trigger.to_owned(),
            report: AccountReport::new(policy.clone()),
            evaluations: Vec::new(),
            gone: Vec::new(),
            remediation: None,
            skipped: None,
            failures: Vec::new(),
        }
    }

    /// The error the invocation ends with when something failed: an
    /// [`Error::Api`] with the first failure's operation and AWS code, its
    /// message naming every key that failed.
    pub fn error(&self) -> Option<Error> {
        let first = self.failures.first()?;
        let named: Vec<String> = self
            .failures
            .iter()
            .map(|f| format!("{} ({} {}: {})", f.key, f.operation, f.code, f.message))
            .collect();
        let operation = Operation::from_name(&first.operation).map_or("check", Operation::as_str);
        let kind = ErrorKind::from_code(&first.code);
        Some(Error::Api {
            operation,
            region: first.region.clone(),
            source: ApiError::with_kind(
                first.code.clone(),
                format!(
                    "{} key(s) not judged or not recorded, retry the invocation: {}",
                    self.failures.len(),
                    named.join("; ")
                ),
                kind,
            ),
        })
    }

    /// `Ok(self)` when nothing failed, else [`Invocation::error`]. Deliver the
    /// report (e.g. to Security Hub) first: a failed invocation's other keys
    /// were judged all the same.
    ///
    /// # Errors
    /// [`Invocation::error`].
    pub fn into_result(self) -> Result<Self> {
        match self.error() {
            Some(error) => Err(error),
            None => Ok(self),
        }
    }

    /// The summary a Lambda function returns: the trigger, the counts, the
    /// evaluations, the keys gone and failed, remediation's outcomes.
    pub fn summary(&self) -> Value {
        json!({
            "trigger": self.trigger,
            "checked": self.report.findings.len(),
            "summary": self.report.summary,
            "findings": self.report.findings.iter().map(|f| json!({
                "key_arn": f.key_arn, "region": f.region, "status": f.status, "reason": f.reason,
            })).collect::<Vec<_>>(),
            "evaluations": self.evaluations,
            "gone": self.gone.iter().map(|t| json!({
                "account_id": t.account_id, "region": t.region, "key": t.key,
            })).collect::<Vec<_>>(),
            "remediation": self.remediation.as_ref().map(|r| json!({
                "dry_run": r.dry_run,
                "actions": r.actions.iter().map(|a| json!({"target_arn": a.target_arn, "outcome": a.outcome})).collect::<Vec<_>>(),
            })),
            "skipped": self.skipped,
            "security_hub": self.report.security_hub,
            "failures": self.failures.iter().map(|f| json!({
                "key": f.key, "region": f.region, "operation": f.operation, "code": f.code, "message": f.message,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Whether a finding says the key does not exist (its `DescribeKey` answered `NotFoundException`).
fn not_found(finding: &Finding) -> bool {
    finding.status == Status::Error
        && finding.key.is_none()
        && finding.error.as_ref().is_some_and(|e| e.code == "NotFoundException")
}

fn failure_of(finding: &Finding) -> HandlerFailure {
    let error = finding.error.as_deref();
    HandlerFailure {
        key: if finding.key_arn.is_empty() {
            finding.key_id.clone()
        } else {
            finding.key_arn.clone()
        },
        region: finding.region.clone(),
        operation: error
            .and_then(|e| e.operation.clone())
            .unwrap_or_else(|| "DescribeKey".to_owned()),
        code: error.map_or_else(|| finding.reason.as_str().to_owned(), |e| e.code.clone()),
        message: error.map_or_else(|| finding.message.clone(), |e| e.message.clone()),
    }
}

/// Refuses a key of another account than the handler's, naming the event,
/// unless `through_role` and a role to assume there is configured.
fn same_account(trigger: &str, target: &KeyTarget, options: &HandlerOptions, through_role: bool) -> Result<()> {
    match &options.account_id {
        Some(own) if *own != target.account_id => {
            if through_role && options.cross_account_role.is_some() {
                return Ok(());
            }
            let how = if through_role {
                format!(
                    "give cross_account_role_name (or {CROSS_ACCOUNT_ROLE_ENV}), a role to assume there, or deploy the handler in account {}",
                    target.account_id
                )
            } else {
                format!(
                    "Config evaluates only its own account's resources: deploy the rule in account {} (see the StackSet)",
                    target.account_id
                )
            };
            Err(Error::invalid(
                "event",
                trigger.to_owned(),
                format!(
                    "it names {target}, but this function runs in account {own} and reads only its own keys: {how}"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Checks a key of another account through the role assumed there (the
/// organisation layer's `AssumeRole` and renewal), in the key's Region.
async fn check_foreign(
    connection: &Connection,
    target: &KeyTarget,
    check: &CheckOptions,
    options: &HandlerOptions,
) -> Result<AccountReport> {
    let Some(name) = &options.cross_account_role else {
        return Err(Error::Configuration(format!(
            "no role to assume in account {}",
            target.account_id
        )));
    };
    let partition = Arn::partition_of(&target.key)
        .or_else(|| options.partition.clone())
        .unwrap_or_else(|| "aws".to_owned());
    let role = RoleSession::new(
        format!("arn:{partition}:iam::{}:role/{name}", target.account_id),
        None,
        None,
    );
    let directory = match &options.accounts {
        Some(make) => (make.0)(&target.region)?,
        None => connection.account_directory().await.map_err(|error| match error {
            Error::Configuration(_) => Error::Configuration(format!(
                "a key of account {} is read through the role {name} assumed there: give service_client_factory (Python) or serviceClientFactory (Node) to assume it with, or use the built-in AWS client",
                target.account_id
            )),
            other => other,
        })?,
    };
    let needed = check_key_operations(check.policy());
    let clients = directory
        .account_clients(Some(&role), Some(std::slice::from_ref(&target.region)), &needed)
        .await?;
    crate::check::check_keys(&clients, &target.region, &[target.key.as_str()], check).await
}

/// Checks each target with a fresh read (in its own region), into one
/// report; nothing is delivered here ([`deliver_findings`] does, once).
async fn check_targets(
    connection: &Connection,
    targets: &[KeyTarget],
    check: &CheckOptions,
    options: &HandlerOptions,
    invocation: &mut Invocation,
) -> Result<()> {
    let connection = connection.without_security_hub();
    for target in targets {
        let report = if options.is_foreign(&target.account_id) {
            check_foreign(&connection, target, check, options).await?
        } else {
            connection
                .check_keys(&[target.key.as_str()], Some(&target.region), check)
                .await?
        };
        for finding in report.findings {
            if not_found(&finding) {
                invocation.gone.push(target.clone());
            } else {
                invocation.report.findings.push(finding);
            }
        }
        invocation.report.source = report.source;
        invocation.report.generated_at = report.generated_at;
        invocation.report.stats.duration_ms += report.stats.duration_ms;
        for (op, n) in report.stats.api_calls {
            *invocation.report.stats.api_calls.entry(op).or_default() += n;
        }
        invocation.report.stats.retries += report.stats.retries;
        invocation.report.stats.throttled += report.stats.throttled;
    }
    invocation.report.normalize();
    Ok(())
}

/// The account a finding's key is in.
fn account_of(finding: &Finding) -> Option<String> {
    finding
        .account_id
        .clone()
        .or_else(|| Arn::parse(&finding.key_arn).ok().map(|arn| arn.account_id))
}

/// The invocation's report with only the keys of the function's own account:
/// what remediation and Security Hub act on (a key of another account, read
/// through a role, is judged, but neither changed nor delivered from here).
fn own_report(invocation: &Invocation, options: &HandlerOptions) -> AccountReport {
    let mut report = invocation.report.clone();
    let foreign = |f: &Finding| account_of(f).is_some_and(|a| options.is_foreign(&a));
    if report.findings.iter().any(foreign) {
        report.findings.retain(|f| !foreign(f));
        report.account_id.clone_from(&options.account_id);
        report.normalize();
    }
    report
}

/// Remediates the failing keys of the invocation's report (of the function's
/// own account), as `auto_remediate` says.
async fn remediate_failing(
    connection: &Connection,
    mode: AutoRemediate,
    options: &HandlerOptions,
    invocation: &mut Invocation,
) -> Result<()> {
    let mut report = own_report(invocation, options);
    if mode == AutoRemediate::Off || report.summary.fail == 0 {
        return Ok(());
    }
    let remediation = options.remediation.clone().with_dry_run(mode != AutoRemediate::Apply);
    // Remediation asks for clients in the report's regions: those of the keys checked.
    let findings = report.findings.clone();
    for finding in &findings {
        if !report.regions.iter().any(|r| r.region == finding.region) {
            report.regions.push(RegionReport {
                region: finding.region.clone(),
                state: RegionState::Scanned,
                keys_listed: 0,
                error: None,
            });
        }
    }
    invocation.remediation = Some(connection.remediate(&report, &remediation).await?);
    Ok(())
}

/// The keys' verdicts as evaluations at `ordering`; an ERROR is a failure, never an evaluation.
fn evaluations_of(invocation: &mut Invocation, ordering: Timestamp) -> Vec<Evaluation> {
    let mut evaluations: Vec<Evaluation> = invocation
        .gone
        .iter()
        .map(|t| gone(t.key.rsplit('/').next().unwrap_or(&t.key), ordering))
        .collect();
    for finding in &invocation.report.findings {
        match evaluation_of(finding, ordering) {
            Some(evaluation) => evaluations.push(evaluation),
            None => invocation.failures.push(failure_of(finding)),
        }
    }
    evaluations
}

/// Sends `evaluations` in batches of [`EVALUATIONS_PER_CALL`], each a paced,
/// retried call; the evaluations Config answers as failed are sent again
/// (a retry of the same call), and those still failing when the retries
/// run out are failures naming the key — never dropped.
async fn put_evaluations(
    config: &dyn ConfigClient,
    pacer: &Pacer,
    counters: &Counters,
    evaluations: Vec<Evaluation>,
    result_token: &str,
    invocation: &mut Invocation,
) {
    for batch in evaluations.chunks(EVALUATIONS_PER_CALL) {
        let pending = Arc::new(Mutex::new(batch.to_vec()));
        let sent = pacer
            .call(counters, Operation::PutEvaluations, || {
                let pending = pending.clone();
                async move {
                    let sending = pending.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let failed = config.put_evaluations(&sending, result_token).await?;
                    let still: Vec<Evaluation> = sending
                        .into_iter()
                        .filter(|e| failed.contains(&e.compliance_resource_id))
                        .collect();
                    *pending.lock().unwrap_or_else(|p| p.into_inner()) = still;
                    if failed.is_empty() {
                        Ok(())
                    } else {
                        Err(ApiError::with_kind(
                            "FailedEvaluations",
                            format!("Config answered the evaluations of {} as failed", failed.join(", ")),
                            ErrorKind::Retryable,
                        ))
                    }
                }
            })
            .await;
        let unsent = std::mem::take(&mut *pending.lock().unwrap_or_else(|p| p.into_inner()));
        invocation.evaluations.extend(
            batch
                .iter()
                .filter(|e| {
                    !unsent
                        .iter()
                        .any(|u| u.compliance_resource_id == e.compliance_resource_id)
                })
                .cloned(),
        );
        if let Err(error) = sent {
            for evaluation in unsent {
                invocation.failures.push(HandlerFailure {
                    key: evaluation.compliance_resource_id,
                    region: config.region().to_owned(),
                    operation: Operation::PutEvaluations.as_str().to_owned(),
                    code: error.code.clone(),
                    message: error.message.clone(),
                });
            }
        }
    }
}

/// The Config custom rule's handler: the event Config invokes the rule's
/// function with, judged with fresh reads and written back with
/// `PutEvaluations` (PASS → `COMPLIANT`, FAIL → `NON_COMPLIANT`,
/// NOT_APPLICABLE, EXEMPT and a deleted key → `NOT_APPLICABLE`; an ERROR is
/// never an evaluation: it is a failure of the invocation, as is an
/// evaluation Config keeps refusing).
///
/// * a configuration change: the key the item names, read now (never the
///   item's rotation flag, which has no period);
/// * an oversized one: the item fetched with `GetResourceConfigHistory` first;
/// * a scheduled notification: every key of the account in the rule's region.
///
/// # Errors
/// Before any call: [`Error::InvalidInput`] naming a bad event field or
/// rule parameter, or a key of another account. A failed
/// `GetResourceConfigHistory`, or a region whose keys cannot be listed, is
/// [`Error::Api`]. Keys that cannot be judged are in
/// [`Invocation::failures`] (see [`Invocation::into_result`]).
///
/// # Example
/// ```
/// use kms_rotation_core::continuous::client::MemoryConfig;
/// use kms_rotation_core::handlers::{config_rule_handler, HandlerOptions};
/// use kms_rotation_core::{ConnectionOptions, Snapshot};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let connection = ConnectionOptions::default()
///     .with_snapshot(Snapshot::load("../examples/data/demo-account.json")?)
///     .build()?;
/// let event = serde_json::json!({
///     "invokingEvent": r#"{"messageType": "ScheduledNotification", "awsAccountId": "111122223333",
///                          "notificationCreationTime": "2026-12-01T00:00:00Z"}"#,
///     "resultToken": "token", "accountId": "111122223333",
///     "configRuleArn": "arn:aws:config:us-east-1:111122223333:config-rule/config-rule-1",
/// });
/// let config = MemoryConfig::new("us-east-1");
/// let invocation = config_rule_handler(&connection, &config, &event, &HandlerOptions::default()).await?;
/// assert_eq!(config.evaluations().len(), invocation.evaluations.len());
/// assert!(invocation.into_result().is_err()); // the demo account has keys that cannot be read
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn config_rule_handler(
    connection: &Connection,
    config: &dyn ConfigClient,
    event: &Value,
    options: &HandlerOptions,
) -> Result<Invocation> {
    let parsed = ConfigRuleEvent::parse(event)?;
    let check = options.check.clone().with_policy(parsed.policy.clone());
    if parsed.auto_remediate != AutoRemediate::Off {
        options.remediation.rotation_period_for(&parsed.policy)?;
    }
    let counters = check.counters();
    let pacing = check.pacing();
    let pacer = Pacer::new(
        config.region(),
        config.has_request_quotas(),
        &pacing.rates,
        &pacing.retry,
    );
    let (trigger, ordering) = match &parsed.trigger {
        Trigger::Change {
            target,
            captured_at,
            gone,
            oversized,
        } => {
            let name = if *oversized {
                "OversizedConfigurationItemChangeNotification"
            } else {
                "ConfigurationItemChangeNotification"
            };
            let mut invocation = Invocation::new(name, &parsed.policy);
            same_account(name, target, options, false)?;
            let (mut target, mut ordering, mut gone) = (target.clone(), *captured_at, *gone);
            if *oversized && !gone {
                let key_id = target.key.rsplit('/').next().unwrap_or(&target.key).to_owned();
                let item = pacer
                    .call(&counters, Operation::GetResourceConfigHistory, || {
                        config.latest_configuration_item(&key_id)
                    })
                    .await
                    .map_err(|source| Error::Api {
                        operation: Operation::GetResourceConfigHistory.as_str(),
                        region: config.region().to_owned(),
                        source,
                    })?;
                if let Some(item) = item {
                    ordering = item.captured_at;
                    gone = item.is_deleted();
                    if let Some(arn) = item.arn.filter(|a| a.contains(&item.resource_id)) {
                        target = KeyTarget::new(item.account_id, item.region, arn);
                    }
                }
            }
            if gone {
                invocation.gone.push(target);
            } else {
                check_targets(
                    connection,
                    std::slice::from_ref(&target),
                    &check,
                    options,
                    &mut invocation,
                )
                .await?;
            }
            (invocation, ordering)
        }
        Trigger::Scheduled { notified_at, .. } => {
            let mut invocation = Invocation::new("ScheduledNotification", &parsed.policy);
            let regions: Vec<String> = parsed.rule_region.iter().cloned().collect();
            let clients = connection.remediation_clients(&regions, &check.operations()).await?;
            let check = match parsed.rule_region.as_deref() {
                Some(region) => check.clone().with_regions([region])?,
                None => check.clone(),
            };
            let mut report = crate::check::check_account(&clients, &check).await?;
            report.source = Some(connection.report_source());
            for region in &report.regions {
                if region.state != RegionState::Scanned
                    && let Some(error) = &region.error
                {
                    return Err(Error::Api {
                        operation: Operation::ListKeys.as_str(),
                        region: region.region.clone(),
                        source: ApiError::new(error.code.clone(), error.message.clone()),
                    });
                }
            }
            invocation.report = report;
            (invocation, *notified_at)
        }
    };
    let mut invocation = trigger;
    let evaluations = evaluations_of(&mut invocation, ordering);
    remediate_failing(connection, parsed.auto_remediate, options, &mut invocation).await?;
    put_evaluations(
        config,
        &pacer,
        &counters,
        evaluations,
        &parsed.result_token,
        &mut invocation,
    )
    .await;
    let full_scan = matches!(parsed.trigger, Trigger::Scheduled { .. });
    deliver_findings(connection, &mut invocation, &check, options, full_scan).await?;
    Ok(invocation)
}

/// The one delivery of an invocation, at its end: its findings kept current
/// in Security Hub when the connection asks for it (`to_security_hub`), before
/// a failure of another key ends the invocation (the keys judged are
/// delivered all the same). The findings of the keys the invocation found
/// gone (a deleted key an event or a Config item names) are archived now;
/// after a scheduled notification (`full_scan`), so are those of every key
/// the Region no longer lists. The outcome is the invocation report's
/// `security_hub`, in the summary of every handler.
async fn deliver_findings(
    connection: &Connection,
    invocation: &mut Invocation,
    check: &CheckOptions,
    options: &HandlerOptions,
    full_scan: bool,
) -> Result<()> {
    if connection.security_hub().is_none() {
        return Ok(());
    }
    let mut report = own_report(invocation, options);
    let own_gone: Vec<&KeyTarget> = invocation
        .gone
        .iter()
        .filter(|t| !options.is_foreign(&t.account_id))
        .collect();
    if report.account_id.is_none() {
        // A key gone is named with its account, even when nothing was read.
        report.account_id = own_gone.first().map(|t| t.account_id.clone());
    }
    let gone = own_gone.iter().map(|t| (t.region.clone(), t.key.clone())).collect();
    connection
        .deliver_to_security_hub(&mut report, check, full_scan, gone)
        .await?;
    invocation.report.security_hub = report.security_hub;
    Ok(())
}

/// The EventBridge handler: the key each event names (a CloudTrail record of
/// a KMS call that changes a verdict, or KMS's own rotation and
/// material-expiry events), checked with a fresh read in the event's region,
/// an alias resolved by the read; the report is the invocation's. A failed
/// call's event, or a tag change while no tag exemption is configured,
/// changes nothing and is skipped, saying so.
///
/// # Errors
/// Before any call: [`Error::InvalidInput`] naming an event that cannot be
/// placed, or a key of another account. Keys that cannot be judged are in
/// [`Invocation::failures`] (see [`Invocation::into_result`]).
pub async fn event_handler(connection: &Connection, event: &Value, options: &HandlerOptions) -> Result<Invocation> {
    let placed = key_event(event)?;
    let policy = options.check.policy();
    let mut invocation = Invocation::new(&placed.name, policy);
    if let Some(code) = &placed.failed_call {
        invocation.skipped = Some(format!("the {} call failed ({code}): nothing changed", placed.name));
        return Ok(invocation);
    }
    if placed.tags_only && !policy.needs_tags() {
        invocation.skipped = Some(format!(
            "{} changes tags only, and no tag exemption is configured",
            placed.name
        ));
        return Ok(invocation);
    }
    for target in &placed.targets {
        same_account(&placed.name, target, options, true)?;
    }
    if options.auto_remediate != AutoRemediate::Off {
        options.remediation.rotation_period_for(policy)?;
    }
    check_targets(connection, &placed.targets, &options.check, options, &mut invocation).await?;
    invocation.failures.extend(
        invocation
            .report
            .findings
            .iter()
            .filter(|f| f.status == Status::Error)
            .map(failure_of),
    );
    remediate_failing(connection, options.auto_remediate, options, &mut invocation).await?;
    deliver_findings(connection, &mut invocation, &options.check, options, false).await?;
    Ok(invocation)
}
