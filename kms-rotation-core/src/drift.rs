//! Declared against live (`compare_live`): each key a Terraform state, a
//! plan's prior state or a deployed CloudFormation stack gives an id is read
//! fresh through the connection ([`Connection::check_keys`]: the engine's one
//! call, retry and pacing path) and compared with its declaration. A
//! difference — rotation, period, disabled, pending deletion, not found — is
//! `FAIL drift` with both values and the live verdict beside the declared one
//! ([`LiveComparison`]); a declared key without an id (not created yet) keeps
//! its declared verdict and says so; a live read that fails is `ERROR`, never
//! "no drift".

use std::collections::HashMap;
use tokio::time::Instant;

use crate::api::Operation;
use crate::check::CheckOptions;
use crate::connection::Connection;
use crate::declarations::{self, DeclarationOptions, DeclarationSource, DeclaredKey, Fact, Primary};
use crate::engine::Pacer;
use crate::error::{Error, Result};
use crate::model::{Finding, KeyState, LiveComparison, LiveDifference, LiveState, Reason, Status};
use crate::report::{AccountReport, Stats};

/// The resource types whose physical id is a KMS key id.
const KEY_TYPES: [&str; 2] = ["AWS::KMS::Key", "AWS::KMS::ReplicaKey"];

impl Connection {
    /// [`crate::check_terraform_plan`], and with `compare_live` each declared
    /// key whose id the state (or the plan's prior state) knows compared with
    /// its live key, read through this connection with `check`'s pacing and retries.
    ///
    /// # Errors
    /// As [`crate::check_terraform_plan`], before any call; with
    /// `compare_live`, [`Error::InvalidInput`] when no declared key has a known
    /// id (nothing to compare), and as [`Connection::check_keys`].
    pub async fn check_terraform_plan(
        &self,
        source: &DeclarationSource,
        options: &DeclarationOptions,
        check: &CheckOptions,
    ) -> Result<AccountReport> {
        if !options.compare_live() {
            return declarations::check_terraform_plan(source, options);
        }
        let keys = declarations::terraform_keys(source, options)?;
        if !keys.is_empty() && keys.iter().all(|key| live_reference(key).is_none()) {
            return Err(Error::invalid(
                "plan",
                source_name(source),
                "no declared key has a known id (a state's values id, key_id or arn, or a plan's \
                 prior_state): nothing live to compare; apply first, or give the state's JSON \
                 (terraform show -json)",
            ));
        }
        compare(self, &keys, options, check, Stats::default()).await
    }

    /// [`crate::check_cloudformation`], and with `compare_live` the keys of
    /// the deployed stack `stack_name` (their physical ids from
    /// `DescribeStackResources`, read before any KMS call) compared with their
    /// live keys, read through this connection with `check`'s pacing and retries.
    ///
    /// # Errors
    /// As [`crate::check_cloudformation`], before any call; with
    /// `compare_live`: [`Error::InvalidInput`] without `stack_name`, for more
    /// than one template, or for a stack that does not exist (naming it);
    /// [`Error::Api`] when the stack cannot be read; as [`Connection::check_keys`].
    pub async fn check_cloudformation(
        &self,
        sources: &[DeclarationSource],
        options: &DeclarationOptions,
        check: &CheckOptions,
    ) -> Result<AccountReport> {
        if !options.compare_live() {
            return declarations::check_cloudformation(sources, options);
        }
        let mut keys = declarations::cloudformation_keys(sources, options)?;
        let stack_name = options.stack_name().unwrap_or_default().to_owned();
        let mut templates: Vec<(Option<&str>, Option<&str>)> = keys
            .iter()
            .map(|k| (k.location.file.as_deref(), k.location.stack.as_deref()))
            .collect();
        templates.sort_unstable();
        templates.dedup();
        if templates.len() > 1 {
            return Err(Error::invalid(
                "stack_name",
                stack_name,
                format!(
                    "names one deployed stack, but the input holds {} templates: give the one template of that stack",
                    templates.len()
                ),
            ));
        }
        let started = Instant::now();
        let client = match options.cloudformation_client() {
            Some(client) => client.clone(),
            None => self.cloudformation_client().await?,
        };
        let counters = check.counters();
        let pacing = check.pacing();
        let pacer = Pacer::new(
            client.region(),
            client.has_request_quotas(),
            &pacing.rates,
            &pacing.retry,
        );
        let operation = Operation::DescribeStackResources;
        let resources = pacer
            .call(&counters, operation, || client.describe_stack_resources(&stack_name))
            .await
            .map_err(|source| {
                if source.code == "ValidationError" && source.message.contains("does not exist") {
                    Error::invalid(
                        "stack_name",
                        stack_name.clone(),
                        format!("no such stack in {}: {}", client.region(), source.message),
                    )
                } else {
                    Error::Api {
                        operation: operation.as_str(),
                        region: client.region().to_owned(),
                        source,
                    }
                }
            })?;
        for key in &mut keys {
            let physical = resources
                .iter()
                .find(|r| r.logical_id == key.location.address && KEY_TYPES.contains(&r.resource_type.as_str()));
            if let Some(id) = physical.and_then(|r| r.physical_id.clone()) {
                key.key_id = Some(id);
                key.region = Some(client.region().to_owned());
            }
            if key.location.stack.is_none() {
                key.location.stack = Some(stack_name.clone());
            }
        }
        compare(self, &keys, options, check, counters.stats(started)).await
    }
}

fn source_name(source: &DeclarationSource) -> String {
    match source {
        DeclarationSource::Path(path) => path.display().to_string(),
        DeclarationSource::Json { name, .. } => name.clone().unwrap_or_else(|| "the plan given".to_owned()),
    }
}

/// The live key a declaration names: its ARN, else its id.
fn live_reference(key: &DeclaredKey) -> Option<String> {
    key.arn.clone().or_else(|| key.key_id.clone())
}

/// The declared keys' findings, each compared with its live key where one is known.
async fn compare(
    connection: &Connection,
    keys: &[DeclaredKey],
    options: &DeclarationOptions,
    check: &CheckOptions,
    before: Stats,
) -> Result<AccountReport> {
    // Calls made before the live reads (the stack's) count in the report's stats.
    let check = check.clone().with_policy(options.policy().clone());
    let mut findings = declarations::judge_all(keys, options.policy());
    // The live reads, grouped by the region their ids are looked up in (an ARN names its own).
    let mut groups: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for key in keys {
        let Some(reference) = live_reference(key) else {
            continue;
        };
        let region = if key.arn.is_some() { None } else { key.region.clone() };
        match groups.iter_mut().find(|(r, _)| *r == region) {
            Some((_, refs)) if refs.contains(&reference) => {}
            Some((_, refs)) => refs.push(reference),
            None => groups.push((region, vec![reference])),
        }
    }
    let mut live: HashMap<String, Finding> = HashMap::new();
    let mut stats = before.api_calls;
    let (mut retries, mut throttled) = (before.retries, before.throttled);
    for (region, refs) in &groups {
        let names: Vec<&str> = refs.iter().map(String::as_str).collect();
        let report = connection.check_keys(&names, region.as_deref(), &check).await?;
        for (op, n) in report.stats.api_calls {
            *stats.entry(op).or_default() += n;
        }
        retries += report.stats.retries;
        throttled += report.stats.throttled;
        // Each finding under the reference it was asked by: an ARN, or an id.
        for (reference, finding) in refs.iter().zip(by_reference(refs, report.findings)) {
            if let Some(finding) = finding {
                live.insert(reference.clone(), finding);
            }
        }
    }
    for (index, (key, finding)) in keys.iter().zip(findings.iter_mut()).enumerate() {
        let primary = match &key.primary {
            Primary::Declared(i) if *i != index => keys.get(*i),
            _ => None,
        };
        let reference = live_reference(key);
        let found = reference.as_ref().and_then(|r| live.get(r));
        compare_one(finding, key, primary.unwrap_or(key), reference, found);
    }
    let mut report = AccountReport::new(options.policy().clone());
    report.generated_at = options.now();
    report.findings = findings;
    report.stats.api_calls = stats;
    report.stats.retries = retries;
    report.stats.throttled = throttled;
    report.source = Some(connection.report_source());
    report.normalize();
    Ok(report)
}

/// The findings of a [`Connection::check_keys`] report in the order of the
/// references asked (an ARN matches the finding's ARN, an id its key id).
fn by_reference(refs: &[String], findings: Vec<Finding>) -> Vec<Option<Finding>> {
    let mut remaining: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    refs.iter()
        .map(|reference| {
            let position = remaining.iter().position(|f| {
                f.as_ref()
                    .is_some_and(|f| f.key_arn == *reference || f.key_id == *reference)
            })?;
            remaining[position].take()
        })
        .collect()
}

fn state_text(enabled: &Fact<bool>) -> String {
    match enabled.known() {
        Some(true) => KeyState::Enabled.as_str().to_owned(),
        Some(false) => KeyState::Disabled.as_str().to_owned(),
        None => "declared (enabled not known before apply)".to_owned(),
    }
}

/// What differs between a declaration (`source` holds the rotation facts: the
/// key's, or its primary's for a replica) and its live finding.
fn differences(key: &DeclaredKey, source: &DeclaredKey, live: &Finding) -> Vec<LiveDifference> {
    let difference = |field: &str, declared: String, live: String| LiveDifference {
        field: field.to_owned(),
        declared,
        live,
    };
    if live.error.as_ref().is_some_and(|e| e.code == "NotFoundException") {
        return vec![difference(
            "key_state",
            state_text(&key.enabled),
            "not found".to_owned(),
        )];
    }
    let mut found = Vec::new();
    if let Some(summary) = &live.key {
        let gone = matches!(
            summary.state,
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        );
        let enabled_differs = matches!(
            (key.enabled.known(), &summary.state),
            (Some(true), KeyState::Disabled) | (Some(false), KeyState::Enabled)
        );
        if gone || enabled_differs {
            found.push(difference(
                "key_state",
                state_text(&key.enabled),
                summary.state.as_str().to_owned(),
            ));
        }
    }
    if let (Some(declared), Some(rotation)) = (source.rotation.known(), &live.rotation) {
        if *declared != rotation.enabled {
            found.push(difference(
                "rotation_enabled",
                declared.to_string(),
                rotation.enabled.to_string(),
            ));
        } else if *declared
            && let Some(period) = source.period.known()
            && *period != rotation.effective_period_days()
        {
            let live_period = match rotation.period_days {
                Some(days) => days.to_string(),
                None => format!("{} (no period given: KMS's default)", rotation.effective_period_days()),
            };
            found.push(difference("rotation_period_days", period.to_string(), live_period));
        }
    }
    found
}

fn describe(differences: &[LiveDifference]) -> String {
    differences
        .iter()
        .map(|d| format!("{} declared {}, live {}", d.field, d.declared, d.live))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sets the finding of one declared key from its comparison with the live key.
fn compare_one(
    finding: &mut Finding,
    key: &DeclaredKey,
    source: &DeclaredKey,
    reference: Option<String>,
    live: Option<&Finding>,
) {
    let mut comparison = LiveComparison {
        state: LiveState::Compared,
        key: reference.clone(),
        declared_status: finding.status,
        declared_reason: finding.reason,
        status: None,
        reason: None,
        message: String::new(),
        differences: Vec::new(),
    };
    let (Some(reference), Some(live)) = (reference, live) else {
        comparison.state = LiveState::NotCreated;
        comparison.message =
            "No live key to compare: no id is known for this declaration (not created yet).".to_owned();
        finding.message = format!(
            "{} Not compared with a live key: no id is known (not created yet).",
            finding.message
        );
        finding.live = Some(Box::new(comparison));
        return;
    };
    comparison.status = Some(live.status);
    comparison.reason = Some(live.reason);
    comparison.message = live.message.clone();
    if finding.key_arn.is_empty() {
        finding.key_arn = live.key_arn.clone();
    }
    if finding.region.is_empty() {
        finding.region = live.region.clone();
    }
    let found = differences(key, source, live);
    if found.is_empty() && live.status == Status::Error {
        // Not read: never "no drift".
        comparison.state = LiveState::ReadFailed;
        finding.status = Status::Error;
        finding.reason = live.reason;
        finding.error = live.error.clone();
        finding.remediation = None;
        finding.message = format!(
            "The live key {reference} could not be read, so it is not compared with the declaration: {}",
            live.message
        );
    } else if found.is_empty() {
        finding.message = format!(
            "{} The live key {reference} matches the declaration (live: {} {}).",
            finding.message, live.status, live.reason
        );
    } else {
        finding.status = Status::Fail;
        finding.reason = Reason::Drift;
        finding.error = None;
        finding.remediation = None;
        finding.message = format!(
            "Drift: the live key {reference} differs from its declaration: {} (declared: {} {}; live: {} {}).",
            describe(&found),
            comparison.declared_status,
            comparison.declared_reason,
            live.status,
            live.reason
        );
        comparison.differences = found;
    }
    finding.live = Some(Box::new(comparison));
}
