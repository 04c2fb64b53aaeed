//! The AWS Config custom rule: the event Config invokes the rule's function
//! with ([`ConfigRuleEvent::parse`]: a configuration change, an oversized one,
//! or a periodic notification), its rule parameters as a [`Policy`] (checked
//! with the same errors as every other door), and the verdicts as
//! [`Evaluation`]s for `PutEvaluations`.
//!
//! Config accepts `COMPLIANT`, `NON_COMPLIANT` and `NOT_APPLICABLE` from a
//! rule (`INSUFFICIENT_DATA` is Config's own): an `ERROR` finding is never an
//! evaluation — [`evaluation_of`] gives none, and the handler fails the
//! invocation with the AWS code so that Lambda retries and the error shows.

use serde::Serialize;
use serde_json::{Map, Value};

use super::KeyTarget;
use crate::arn::{Arn, check_region_shape};
use crate::error::{Error, Result};
use crate::model::{Finding, Status, Timestamp};
use crate::organization::check_account_id;
use crate::policy::Policy;

/// The resource type the rule is scoped to.
pub const RESOURCE_TYPE: &str = "AWS::KMS::Key";

/// The most evaluations one `PutEvaluations` call takes.
pub const EVALUATIONS_PER_CALL: usize = 100;

/// The longest `Annotation` Config accepts.
pub const ANNOTATION_MAX: usize = 256;

/// The rule parameters the handler reads (Config's `InputParameters`, all
/// strings); any other is refused, naming it.
pub const RULE_PARAMETERS: [&str; 6] = [
    "max_rotation_period_days",
    "exemptions",
    "evaluate_disabled_keys",
    "max_days_since_rotation",
    "accept_on_demand_rotation",
    "auto_remediate",
];

/// Whether a handler fixes the keys it finds failing (the `auto_remediate`
/// rule parameter: `off`, the default; `dry-run`; `apply`). Remediation is
/// [`crate::remediate`]'s: a fresh read before acting, never a weaker
/// setting, an explicit period, the change read back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AutoRemediate {
    /// Judge only.
    #[default]
    Off,
    /// Say what remediation would change, change nothing.
    DryRun,
    /// Enable rotation on the failing keys, and read it back.
    Apply,
}

impl AutoRemediate {
    /// Parses `off`, `dry-run` (or `dry_run`) and `apply`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `auto_remediate` and the value.
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "off" | "" => Ok(Self::Off),
            "dry-run" | "dry_run" => Ok(Self::DryRun),
            "apply" => Ok(Self::Apply),
            _ => Err(invalid("auto_remediate", value, "must be off, dry-run or apply")),
        }
    }

    /// `off`, `dry-run` or `apply`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::DryRun => "dry-run",
            Self::Apply => "apply",
        }
    }
}

/// What triggered the invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// A key's configuration changed (`ConfigurationItemChangeNotification`),
    /// or changed with an item too large to deliver
    /// (`OversizedConfigurationItemChangeNotification`: only its summary came,
    /// which names the key all the same).
    Change {
        /// The key changed.
        target: KeyTarget,
        /// When Config captured the item: the evaluation's ordering time.
        captured_at: Timestamp,
        /// The item says the key is gone (`ResourceDeleted`,
        /// `ResourceDeletedNotRecorded`), or it left the rule's scope.
        gone: bool,
        /// Whether only the oversized item's summary came.
        oversized: bool,
    },
    /// The periodic trigger (`ScheduledNotification`): every key of the
    /// account in the rule's region.
    Scheduled {
        /// The account.
        account_id: String,
        /// When Config sent it: the evaluations' ordering time.
        notified_at: Timestamp,
    },
}

/// An invocation of the Config custom rule's function, as Config sends it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConfigRuleEvent {
    /// What triggered it.
    pub trigger: Trigger,
    /// The policy the rule parameters give.
    pub policy: Policy,
    /// Whether the rule parameters ask for remediation (`auto_remediate`).
    pub auto_remediate: AutoRemediate,
    /// The token `PutEvaluations` must carry.
    pub result_token: String,
    /// The account the rule runs in.
    pub account_id: String,
    /// The rule's region (from `configRuleArn`), when the event names it.
    pub rule_region: Option<String>,
}

fn invalid(what: &'static str, value: impl Into<String>, why: impl Into<String>) -> Error {
    Error::invalid(what, value, why)
}

/// A string member of an object, or an error naming it.
fn text<'a>(object: &'a Value, field: &'static str, whose: &str) -> Result<&'a str> {
    object
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(field, whose.to_owned(), format!("the {whose} has no {field}")))
}

/// A member holding JSON as text (`invokingEvent`, `ruleParameters`), parsed.
fn embedded(event: &Value, field: &'static str) -> Result<Value> {
    match event.get(field) {
        Some(Value::String(inner)) => serde_json::from_str(inner).map_err(|e| {
            invalid(
                field,
                inner.chars().take(80).collect::<String>(),
                format!("not JSON: {e}"),
            )
        }),
        // A test harness may pass the object itself.
        Some(inner @ Value::Object(_)) => Ok(inner.clone()),
        None | Some(Value::Null) => Err(invalid(field, "(none)", "the Config rule event has none")),
        Some(other) => Err(invalid(field, other.to_string(), "expected JSON text")),
    }
}

fn timestamp(value: &str, what: &'static str) -> Result<Timestamp> {
    Timestamp::parse_rfc3339(value).map_err(|why| invalid(what, value, why))
}

/// A Config rule parameter holding a boolean.
fn boolean(name: &'static str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(name, value, "must be true or false")),
    }
}

fn days(name: &'static str, value: &str) -> Result<u32> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| invalid(name, value, "must be a whole number of days"))
}

/// The policy and the remediation switch of the rule parameters (`{}` or
/// none: the default policy, no remediation). Every value is a string, as
/// Config passes them; exemptions are separated by commas.
///
/// # Errors
/// [`Error::InvalidInput`] naming `ruleParameters` and the parameter as
/// written (`max_rotation_period_days=30`), with the reason every other door
/// gives for the same bad value.
pub fn rule_parameters(parameters: &Value) -> Result<(Policy, AutoRemediate)> {
    rule_parameters_in(parameters, "ruleParameters")
}

/// [`rule_parameters`] read from `container` (`ruleParameters`, or the
/// EventBridge handler's environment variable), which errors name.
///
/// # Errors
/// As [`rule_parameters`], naming `container`.
pub fn rule_parameters_in(parameters: &Value, container: &'static str) -> Result<(Policy, AutoRemediate)> {
    let empty = Map::new();
    let map = match parameters {
        Value::Object(map) => map,
        Value::Null => &empty,
        other => return Err(invalid(container, other.to_string(), "expected a JSON object")),
    };
    let mut policy = Policy::default();
    let mut auto_remediate = AutoRemediate::Off;
    for (name, value) in map {
        let Some(name) = RULE_PARAMETERS.iter().find(|known| *known == name).copied() else {
            return Err(invalid(
                container,
                name.clone(),
                format!("not a parameter of this rule (it takes {})", RULE_PARAMETERS.join(", ")),
            ));
        };
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => return Err(invalid(container, format!("{name}={other}"), "expected a string")),
        };
        // The parameter as written, with the reason any door gives for the value.
        let named = |error: Error| match error {
            Error::InvalidInput { reason, .. } => invalid(container, format!("{name}={value}"), reason),
            other => other,
        };
        policy = match name {
            "max_rotation_period_days" => policy
                .with_max_rotation_period_days(days(name, &value).map_err(named)?)
                .map_err(named)?,
            "exemptions" => {
                let mut policy = policy;
                for rule in value.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    policy = policy.with_exemption(rule).map_err(named)?;
                }
                policy
            }
            "evaluate_disabled_keys" => policy.with_evaluate_disabled_keys(boolean(name, &value).map_err(named)?),
            "max_days_since_rotation" => policy
                .with_max_days_since_rotation(Some(days(name, &value).map_err(named)?))
                .map_err(named)?,
            "accept_on_demand_rotation" => policy.with_accept_on_demand_rotation(boolean(name, &value).map_err(named)?),
            _ => {
                auto_remediate = AutoRemediate::parse(&value).map_err(named)?;
                policy
            }
        };
    }
    Ok((policy, auto_remediate))
}

impl ConfigRuleEvent {
    /// Reads the event Config invokes the rule's function with. Bad input is
    /// named before any call: a missing field, a malformed time, account or
    /// region, a resource of another type, a bad rule parameter.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field or parameter and its value.
    pub fn parse(event: &Value) -> Result<Self> {
        let invoking = embedded(event, "invokingEvent")?;
        let parameters = match event.get("ruleParameters") {
            None | Some(Value::Null) => Value::Null,
            Some(_) => embedded(event, "ruleParameters")?,
        };
        let (policy, auto_remediate) = rule_parameters(&parameters)?;
        let result_token = text(event, "resultToken", "Config rule event")?.to_owned();
        let left_scope = event.get("eventLeftScope").and_then(Value::as_bool).unwrap_or(false);
        let message_type = text(&invoking, "messageType", "invokingEvent")?;
        let trigger = match message_type {
            "ConfigurationItemChangeNotification" | "OversizedConfigurationItemChangeNotification" => {
                let oversized = message_type.starts_with("Oversized");
                let field = if oversized {
                    "configurationItemSummary"
                } else {
                    "configurationItem"
                };
                let item = invoking
                    .get(field)
                    .filter(|v| v.is_object())
                    .ok_or_else(|| invalid(field, message_type, "the invokingEvent has none"))?;
                Self::change(item, field, oversized, left_scope)?
            }
            "ScheduledNotification" => {
                let account_id = text(&invoking, "awsAccountId", "invokingEvent")?;
                check_account_id(account_id)?;
                Trigger::Scheduled {
                    account_id: account_id.to_owned(),
                    notified_at: timestamp(
                        text(&invoking, "notificationCreationTime", "invokingEvent")?,
                        "notificationCreationTime",
                    )?,
                }
            }
            other => {
                return Err(invalid(
                    "messageType",
                    other,
                    "expected ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification or ScheduledNotification",
                ));
            }
        };
        let account_id = match event.get("accountId").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => match &trigger {
                Trigger::Change { target, .. } => target.account_id.clone(),
                Trigger::Scheduled { account_id, .. } => account_id.clone(),
            },
        };
        check_account_id(&account_id)?;
        let rule_region = match event.get("configRuleArn").and_then(Value::as_str) {
            Some(arn) => {
                let region = arn.split(':').nth(3).filter(|r| !r.is_empty());
                match region {
                    Some(region) if check_region_shape(region).is_ok() => Some(region.to_owned()),
                    _ => return Err(invalid("configRuleArn", arn, "not a Config rule ARN with a region")),
                }
            }
            None => None,
        };
        Ok(Self {
            trigger,
            policy,
            auto_remediate,
            result_token,
            account_id,
            rule_region,
        })
    }

    fn change(item: &Value, whose: &'static str, oversized: bool, left_scope: bool) -> Result<Trigger> {
        let resource_type = text(item, "resourceType", whose)?;
        if resource_type != RESOURCE_TYPE {
            return Err(invalid(
                "resourceType",
                resource_type,
                format!("this rule judges {RESOURCE_TYPE} only: scope the rule to it"),
            ));
        }
        let account_id = text(item, "awsAccountId", whose)?;
        check_account_id(account_id)?;
        let region = text(item, "awsRegion", whose)?;
        check_region_shape(region).map_err(|_| invalid("awsRegion", region, "not a region name like us-east-1"))?;
        // The ARN names the key exactly; the resource id is its key id.
        let key = match item.get("ARN").and_then(Value::as_str).filter(|a| !a.is_empty()) {
            Some(arn) => {
                let parsed = Arn::parse(arn)?;
                if parsed.account_id != account_id || parsed.region != region {
                    return Err(invalid("ARN", arn, "not in the item's account and region"));
                }
                arn.to_owned()
            }
            None => text(item, "resourceId", whose)?.to_owned(),
        };
        let status = item.get("configurationItemStatus").and_then(Value::as_str);
        let gone = left_scope || matches!(status, Some("ResourceDeleted" | "ResourceDeletedNotRecorded"));
        Ok(Trigger::Change {
            target: KeyTarget::new(account_id, region, key),
            captured_at: timestamp(
                text(item, "configurationItemCaptureTime", whose)?,
                "configurationItemCaptureTime",
            )?,
            gone,
            oversized,
        })
    }
}

/// A compliance verdict Config accepts from a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ComplianceType {
    /// The key rotates often enough.
    Compliant,
    /// It does not.
    NonCompliant,
    /// Automatic rotation does not apply to it, the policy exempts it, or it is gone.
    NotApplicable,
}

/// One evaluation for `PutEvaluations`, in the API's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Evaluation {
    /// Always [`RESOURCE_TYPE`].
    pub compliance_resource_type: &'static str,
    /// The key id (Config's resource id for a key).
    pub compliance_resource_id: String,
    /// The verdict.
    pub compliance_type: ComplianceType,
    /// Why, within [`ANNOTATION_MAX`] characters.
    pub annotation: String,
    /// The configuration item's capture time, or the notification's.
    #[serde(serialize_with = "rfc3339")]
    pub ordering_timestamp: Timestamp,
}

fn rfc3339<S: serde::Serializer>(at: &Timestamp, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339())
}

/// `reason: message`, cut to [`ANNOTATION_MAX`] characters (on a character
/// boundary, ending with `…` when cut).
pub fn annotation(reason: &str, message: &str) -> String {
    let full = format!("{reason}: {message}");
    if full.chars().count() <= ANNOTATION_MAX {
        return full;
    }
    let mut cut: String = full.chars().take(ANNOTATION_MAX - 1).collect();
    cut.push('…');
    cut
}

/// The evaluation of a finding at `ordering`: PASS → `COMPLIANT`, FAIL →
/// `NON_COMPLIANT`, NOT_APPLICABLE and EXEMPT → `NOT_APPLICABLE`; `None` for
/// an ERROR, which is never a verdict.
pub fn evaluation_of(finding: &Finding, ordering: Timestamp) -> Option<Evaluation> {
    let compliance_type = match finding.status {
        Status::Pass => ComplianceType::Compliant,
        Status::Fail => ComplianceType::NonCompliant,
        Status::NotApplicable | Status::Exempt => ComplianceType::NotApplicable,
        _ => return None,
    };
    Some(Evaluation {
        compliance_resource_type: RESOURCE_TYPE,
        compliance_resource_id: finding.key_id.clone(),
        compliance_type,
        annotation: annotation(finding.reason.as_str(), &finding.message),
        ordering_timestamp: ordering,
    })
}

/// The evaluation of a key that no longer exists (or left the rule's scope).
pub fn gone(key_id: &str, ordering: Timestamp) -> Evaluation {
    Evaluation {
        compliance_resource_type: RESOURCE_TYPE,
        compliance_resource_id: key_id.to_owned(),
        compliance_type: ComplianceType::NotApplicable,
        annotation: annotation("deleted", "the key no longer exists or left the rule's scope"),
        ordering_timestamp: ordering,
    }
}

/// `PutEvaluations` requests for `evaluations`: at most
/// [`EVALUATIONS_PER_CALL`] each, every one with the result token.
pub fn put_evaluations_requests(evaluations: &[Evaluation], result_token: &str) -> Vec<Value> {
    evaluations
        .chunks(EVALUATIONS_PER_CALL)
        .map(|batch| {
            serde_json::json!({
                "Evaluations": batch,
                "ResultToken": result_token,
            })
        })
        .collect()
}
