//! Whole organisations: [`check_organization`] checks every account an
//! [`AccountDirectory`] lists, through a role in each, a bounded number of
//! accounts at a time (each with its own per-region budgets, as each account
//! has its own quotas); [`remediate_organization`] fixes an organisation
//! report's `FAIL` findings, each in its own account.
//!

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::StreamExt;
use tokio::time::Instant;

use super::directory::AccountDirectory;
use super::options::{AccountScope, OrganizationOptions, RoleSession, select};
use crate::arn::Arn;
use crate::check::{CheckOptions, check_account};
use crate::client::Clients;
use crate::engine::on_own_task;
use crate::engine::progress::emit;
use crate::engine::{ProgressCallback, ProgressEvent};
use crate::error::{Error, Result};
use crate::model::{ErrorInfo, MemberAccount, Status};
use crate::remediate::{RemediateOptions, remediate};
use crate::report::{
    AccountCounts, AccountEntry, AccountState, OrganizationReport, Outcome, RemediationAction, RemediationReport,
    SCHEMA_VERSION, Stats, Summary,
};

/// An account to check, and how to reach it.
struct Target {
    account: MemberAccount,
    role: Option<RoleSession>,
}

/// An [`Error`] as an account entry's error: the AWS code when there is one.
fn account_error(error: Error) -> ErrorInfo {
    match error {
        Error::Api { operation, source, .. } => ErrorInfo {
            code: source.code,
            message: source.message,
            operation: Some(operation.to_owned()),
        },
        Error::Configuration(message) => ErrorInfo {
            code: "ConfigurationError".to_owned(),
            message,
            operation: None,
        },
        other => ErrorInfo {
            code: "Error".to_owned(),
            message: other.to_string(),
            operation: None,
        },
    }
}

fn entry(account: &MemberAccount, state: AccountState, role: Option<&RoleSession>) -> AccountEntry {
    AccountEntry {
        account_id: account.account_id.clone(),
        name: account.name.clone(),
        state,
        organizations_state: account.state.clone(),
        role_arn: role.map(|r| r.role_arn.clone()),
        regions: Vec::new(),
        summary: Summary::default(),
        error: None,
    }
}

fn scope_name(scope: &AccountScope) -> String {
    match scope {
        AccountScope::Organization => "organization".to_owned(),
        AccountScope::OrganizationalUnit(id) => id.clone(),
        AccountScope::AccountsFile { .. } => "accounts_file".to_owned(),
    }
}

/// Progress of one account: its regions' events, wrapped with its id.
fn account_progress(progress: Option<&ProgressCallback>, account_id: &str) -> Option<ProgressCallback> {
    let progress = progress?.clone();
    let account_id = account_id.to_owned();
    Some(Arc::new(move |event: &ProgressEvent| {
        progress(&ProgressEvent::InAccount {
            account_id: account_id.clone(),
            event: Box::new(event.clone()),
        })
    }))
}

/// Adds `more`'s call counts into `total`.
fn add_stats(total: &mut Stats, more: &Stats) {
    for (operation, calls) in &more.api_calls {
        *total.api_calls.entry(operation.clone()).or_insert(0) += calls;
    }
    total.retries += more.retries;
    total.throttled += more.throttled;
}

/// Checks every account of an organisation (or of an OU, or of an accounts
/// file): each through its role, a bounded number at a time, each account's
/// regions in parallel as [`check_account`] does.
///
/// Every account listed gets exactly one entry: `checked`, `skipped` (not
/// `ACTIVE`: its Organizations state is kept), or `error` with the AWS code
/// when its role cannot be assumed or its regions cannot be listed — and an
/// account named in `include_accounts` that the listing does not hold gets an
/// `error` entry too. An account whose state Organizations did not tell is
/// `error`, never assumed active or suspended.
///
/// # Errors
/// Before any call: [`Error::InvalidInput`] for bad organisation settings.
/// Then [`Error::Api`] when the caller's identity or the account listing
/// fails (there is no organisation to report on). Failures in an account
/// never fail the run.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_organization, CheckOptions, MemoryOrganization, OrganizationOptions, Snapshot};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let org = MemoryOrganization::new("111122223333")
///     .with_account("111122223333", "management", "ACTIVE", Snapshot::load("../examples/data/demo-account.json")?)
///     .with_account("444455556666", "closed", "SUSPENDED", Snapshot::new(Some("444455556666")));
/// let options = OrganizationOptions::default().with_organization(true).with_role_name("KmsRotationAudit");
/// let report = check_organization(&org.directory(), &options, &CheckOptions::default()).await?;
/// assert_eq!(report.accounts.len(), 2);
/// assert!(report.findings.iter().all(|f| f.account_id.as_deref() == Some("111122223333")));
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn check_organization(
    directory: &AccountDirectory,
    organization: &OrganizationOptions,
    options: &CheckOptions,
) -> Result<OrganizationReport> {
    let scope = organization.check()?;
    check_organization_in(directory, organization, &scope, options).await
}

/// [`check_organization`] with the scope already checked (and the accounts file read).
pub(crate) async fn check_organization_in(
    directory: &AccountDirectory,
    organization: &OrganizationOptions,
    scope: &AccountScope,
    options: &CheckOptions,
) -> Result<OrganizationReport> {
    let started = Instant::now();
    let now = options.now();
    let baseline = options.baseline()?;
    if let Some(baseline) = baseline {
        baseline.check_organization_run(options.policy(), &scope_name(scope))?;
    }
    let directory = directory.run(options.pacing());
    let caller = directory.caller().await?;
    let listed = match scope {
        AccountScope::AccountsFile { roles, .. } => roles
            .keys()
            .map(|id| MemberAccount {
                account_id: id.clone(),
                name: None,
                state: None,
            })
            .collect(),
        AccountScope::Organization => directory.list_accounts(None).await?,
        AccountScope::OrganizationalUnit(parent) => directory.list_accounts(Some(parent)).await?,
    };
    let from_file = matches!(scope, AccountScope::AccountsFile { .. });
    let (chosen, missing) = select(listed, organization);

    let mut entries: Vec<AccountEntry> = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    for account in chosen {
        let role = organization.role_for(scope, &caller, &account.account_id, false);
        match account.state.as_deref() {
            _ if from_file => targets.push(Target { account, role }),
            Some("ACTIVE") => targets.push(Target { account, role }),
            Some(_) => entries.push(entry(&account, AccountState::Skipped, None)),
            None => {
                let mut unknown = entry(&account, AccountState::Error, None);
                unknown.error = Some(ErrorInfo {
                    code: "InvalidResponse".to_owned(),
                    message:
                        "Organizations listed the account without its state; it is neither assumed active nor skipped"
                            .to_owned(),
                    operation: Some("ListAccounts".to_owned()),
                });
                entries.push(unknown);
            }
        }
    }
    for id in missing {
        let mut absent = entry(
            &MemberAccount {
                account_id: id,
                name: None,
                state: None,
            },
            AccountState::Error,
            None,
        );
        absent.error = Some(ErrorInfo {
            code: "AccountNotFound".to_owned(),
            message: format!(
                "the account is in include_accounts but not in {}",
                match scope {
                    AccountScope::Organization => "the organisation".to_owned(),
                    AccountScope::OrganizationalUnit(id) => format!("the organizational unit {id}"),
                    AccountScope::AccountsFile { path, .. } => format!("the accounts file {}", path.display()),
                }
            ),
            operation: None,
        });
        entries.push(absent);
    }

    let progress = options.progress();
    let operations = options.operations();
    let checks = futures::stream::iter(targets)
        .map(|target| {
            let (operations, directory) = (&operations, &directory);
            async move {
                let id = target.account.account_id.clone();
                emit(progress, ProgressEvent::AccountStarted { account_id: id.clone() });
                // The organisation's baseline is compared once, over every account.
                let account_options = options
                    .without_baseline()
                    .with_now(now)
                    .with_progress_callback(account_progress(progress, &id));
                let run = async {
                    let clients = directory
                        .account_clients(target.role.as_ref(), None, operations)
                        .await?;
                    // Each account on a task of its own: accounts checked at
                    // once share the runtime's worker threads instead of one.
                    on_own_task(async move { check_account(&clients, &account_options).await }).await
                };
                let mut account = entry(&target.account, AccountState::Checked, target.role.as_ref());
                let outcome = match run.await {
                    Ok(report) => {
                        account.regions = report.regions;
                        account.summary = report.summary;
                        let findings = report.findings.into_iter().map(|mut f| {
                            f.account_id = Some(id.clone());
                            f
                        });
                        Ok((findings.collect::<Vec<_>>(), report.stats))
                    }
                    Err(error) => {
                        account.state = AccountState::Error;
                        account.error = Some(account_error(error));
                        Err(())
                    }
                };
                emit(
                    progress,
                    ProgressEvent::AccountFinished {
                        account_id: id,
                        state: account.state,
                    },
                );
                (account, outcome)
            }
        })
        .buffer_unordered(organization.max_accounts_in_flight())
        .collect::<Vec<_>>()
        .await;

    let mut report = OrganizationReport {
        schema_version: SCHEMA_VERSION,
        generated_at: now,
        caller_account_id: Some(caller.account_id.clone()),
        scope: scope_name(scope),
        policy: options.policy().clone(),
        accounts: entries,
        findings: Vec::new(),
        summary: Summary::default(),
        account_summary: AccountCounts::default(),
        stats: Stats::default(),
        baseline: None,
    };
    for (account, outcome) in checks {
        report.accounts.push(account);
        if let Ok((findings, stats)) = outcome {
            report.findings.extend(findings);
            add_stats(&mut report.stats, &stats);
        }
    }
    add_stats(&mut report.stats, &directory.stats());
    report.normalize();
    report.stats.duration_ms = started.elapsed().as_millis() as u64;
    if let Some(baseline) = baseline {
        baseline.apply_to_organization(&mut report, options.fail_on())?;
    }
    Ok(report)
}

/// A remediation target as the report names it: the key, or a replica's primary.
fn target_of(finding: &crate::model::Finding) -> (String, String) {
    match &finding.remediation {
        Some(plan) => (plan.region.clone(), plan.target_arn.clone()),
        None => (finding.region.clone(), finding.key_arn.clone()),
    }
}

/// Fixes the `FAIL` findings of an organisation report, each in its own
/// account: through `remediation_role_name` (else the role name, else the
/// accounts file's role), with the same rules as [`remediate`] — re-read
/// first, never lengthen a period or disable rotation, a dry run unless
/// `options` say otherwise, verified after. An account that cannot be reached
/// turns each of its targets into a `FAILED` action with the AWS code.
///
/// # Errors
/// Before any call: [`Error::InvalidInput`] for bad organisation settings, a
/// period outside 90..=2560 or above the report's policy, or a target whose
/// ARN is not in the finding's account.
pub async fn remediate_organization(
    directory: &AccountDirectory,
    report: &OrganizationReport,
    organization: &OrganizationOptions,
    options: &RemediateOptions,
) -> Result<RemediationReport> {
    let scope = organization.check()?;
    remediate_organization_in(directory, report, organization, &scope, options).await
}

/// [`remediate_organization`] with the scope already checked.
pub(crate) async fn remediate_organization_in(
    directory: &AccountDirectory,
    report: &OrganizationReport,
    organization: &OrganizationOptions,
    scope: &AccountScope,
    options: &RemediateOptions,
) -> Result<RemediationReport> {
    let started = Instant::now();
    let period = options.rotation_period_for(&report.policy)?;
    // Which accounts have work, each target checked to lie in its finding's account.
    let mut accounts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for finding in report.findings_with(Status::Fail) {
        let account = finding.account_id.clone().ok_or_else(|| {
            Error::invalid(
                "organisation report",
                finding.key_arn.clone(),
                "a finding without account_id",
            )
        })?;
        let (region, arn) = target_of(finding);
        let parsed = Arn::parse(&arn)?;
        if parsed.account_id != account {
            return Err(Error::invalid(
                "remediation target",
                arn,
                format!("it is not in the finding's account {account}"),
            ));
        }
        accounts.entry(account).or_default().insert(region);
    }
    let directory = directory.run(options.pacing());
    let caller = if accounts.is_empty() {
        None
    } else {
        Some(directory.caller().await?)
    };
    let operations = options.operations();
    let runs = futures::stream::iter(accounts)
        .map(|(account, regions)| {
            let (caller, operations, directory) = (&caller, &operations, &directory);
            async move {
                let caller = caller.as_ref().expect("a caller when there is work");
                let role = organization.role_for(scope, caller, &account, true);
                let view = report.account_report(&account);
                let regions: Vec<String> = regions.into_iter().collect();
                let run = async {
                    let view = view.ok_or_else(|| {
                        Error::invalid(
                            "organisation report",
                            account.clone(),
                            "findings of an account without an entry",
                        )
                    })?;
                    let clients: Clients = directory
                        .account_clients(role.as_ref(), Some(&regions), operations)
                        .await?;
                    remediate(&clients, &view, options).await
                };
                match run.await {
                    Ok(mut done) => {
                        for action in &mut done.actions {
                            action.account_id = Some(account.clone());
                        }
                        Ok(done)
                    }
                    Err(Error::InvalidInput { what, value, reason }) => {
                        Err(Error::InvalidInput { what, value, reason })
                    }
                    Err(error) => Ok(unreachable_account(report, &account, period, options.dry_run(), error)),
                }
            }
        })
        .buffer_unordered(organization.max_accounts_in_flight())
        .collect::<Vec<Result<RemediationReport>>>()
        .await;

    let mut merged = RemediationReport {
        schema_version: SCHEMA_VERSION,
        generated_at: crate::model::Timestamp::now(),
        dry_run: options.dry_run(),
        rotation_period_days: period,
        actions: Vec::new(),
        summary: BTreeMap::new(),
        stats: Stats::default(),
    };
    for run in runs {
        let run = run?;
        merged.actions.extend(run.actions);
        add_stats(&mut merged.stats, &run.stats);
    }
    add_stats(&mut merged.stats, &directory.stats());
    merged
        .actions
        .sort_by(|a, b| (&a.account_id, &a.region, &a.target_arn).cmp(&(&b.account_id, &b.region, &b.target_arn)));
    for action in &merged.actions {
        *merged.summary.entry(action.outcome).or_insert(0) += 1;
    }
    merged.stats.duration_ms = started.elapsed().as_millis() as u64;
    Ok(merged)
}

/// Every target of an account that could not be reached, `FAILED` with the reason.
fn unreachable_account(
    report: &OrganizationReport,
    account: &str,
    period: u32,
    dry_run: bool,
    error: Error,
) -> RemediationReport {
    let error = account_error(error);
    let mut targets: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for finding in report
        .findings_with(Status::Fail)
        .filter(|f| f.account_id.as_deref() == Some(account))
    {
        targets
            .entry(target_of(finding))
            .or_default()
            .push(finding.key_arn.clone());
    }
    let actions = targets
        .into_iter()
        .map(|((region, target_arn), finding_arns)| RemediationAction {
            account_id: Some(account.to_owned()),
            region,
            target_arn,
            finding_arns,
            outcome: Outcome::Failed,
            message: format!(
                "account {account} could not be reached ({}: {}); nothing was done",
                error.code, error.message
            ),
            rotation_period_days: period,
            before: None,
            after: None,
            verified: false,
            error: Some(error.clone()),
        })
        .collect();
    RemediationReport {
        schema_version: SCHEMA_VERSION,
        generated_at: crate::model::Timestamp::now(),
        dry_run,
        rotation_period_days: period,
        actions,
        summary: BTreeMap::new(),
        stats: Stats::default(),
    }
}
