//! The organisation part of the conformance suite: any [`OrgClient`]
//! (the AWS SDK's on an emulator, one over your SDK's clients through an
//! [`crate::OrganizationTransport`], one in memory) under the one
//! [`AccountDirectory`]: every account listed once across pages, suspended
//! accounts skipped with their state, a refused role that account's error
//! with its AWS code, the caller reached with its own credentials.
//!
//! ```
//! use kms_rotation_core::conformance::organization::{self, MemoryOrgBackend, TransportOrgBackend};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! organization::assert_passed(&organization::run(&MemoryOrgBackend).await);
//! organization::assert_passed(&organization::run(&TransportOrgBackend).await);
//! # });
//! ```

use std::sync::Arc;

use async_trait::async_trait;

use super::{CaseOutcome, CaseResult};
use crate::api::{ErrorKind, Operation};
use crate::arn::Regions;
use crate::check::CheckOptions;
use crate::error::Result;
use crate::organization::{
    AccountDirectory, MemoryOrganization, OrgClient, OrganizationOptions, TransportOrgClient, check_organization,
};
use crate::report::{AccountState, OrganizationReport};
use crate::snapshot::Snapshot;

pub use super::assert_passed;

/// The organisation every case runs on: enough accounts for two pages of
/// `ListAccounts` (20 a page), one of them suspended and one whose role refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgShape {
    /// Active members besides the caller (the management account).
    pub active_members: usize,
    /// Suspended members.
    pub suspended_members: usize,
    /// Active members whose role cannot be assumed.
    pub refused_members: usize,
}

impl OrgShape {
    /// The shape the suite asks for: 21 active, 1 suspended and 1 refused
    /// member besides the caller — 24 accounts, two pages.
    pub const SUITE: OrgShape = OrgShape {
        active_members: 21,
        suspended_members: 1,
        refused_members: 1,
    };
}

/// An organisation a backend made to a shape: the directory over it and the
/// ids of its accounts by what the cases expect of them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServedOrganization {
    /// The directory under test, over the backend's organisation client.
    pub directory: AccountDirectory,
    /// The caller's (management) account.
    pub caller: String,
    /// Active members whose role can be assumed.
    pub active: Vec<String>,
    /// Suspended members.
    pub suspended: Vec<String>,
    /// Active members whose role refuses (`AccessDenied`).
    pub refused: Vec<String>,
}

impl ServedOrganization {
    /// An organisation made by a backend.
    pub fn new(
        directory: AccountDirectory,
        caller: String,
        active: Vec<String>,
        suspended: Vec<String>,
        refused: Vec<String>,
    ) -> Self {
        Self {
            directory,
            caller,
            active,
            suspended,
            refused,
        }
    }
}

/// A way to serve an organisation to the directory.
#[async_trait]
pub trait OrgBackend: Send + Sync {
    /// The backend's name, for reports.
    fn name(&self) -> String;

    /// Makes an organisation of `shape`, every account with a home region
    /// (`us-east-1`) the directory covers; keys are not needed.
    async fn organization(&self, shape: &OrgShape) -> Result<ServedOrganization>;
}

/// The role name the cases assume in each member.
pub const ROLE: &str = "KmsRotationAudit";

fn memory_organization(shape: &OrgShape) -> (MemoryOrganization, ServedIds) {
    let id = |n: usize| format!("{:012}", 400_000_000_000usize + n);
    let caller = id(0);
    let empty = |account: &str| {
        Snapshot::from_json(&format!(
            r#"{{"account_id": "{account}", "regions": {{"us-east-1": {{"keys": []}}}}}}"#
        ))
        .expect("an empty account")
    };
    let mut org = MemoryOrganization::new(&caller).with_account(&caller, "management", "ACTIVE", empty(&caller));
    let mut ids = ServedIds {
        caller: caller.clone(),
        ..ServedIds::default()
    };
    let mut n = 0;
    let ServedIds {
        active,
        suspended,
        refused,
        ..
    } = &mut ids;
    for (count, state, refuses, list) in [
        (shape.active_members, "ACTIVE", false, active),
        (shape.suspended_members, "SUSPENDED", false, suspended),
        (shape.refused_members, "ACTIVE", true, refused),
    ] {
        for _ in 0..count {
            n += 1;
            let account = id(n);
            org = org.with_account(&account, &format!("member-{n}"), state, empty(&account));
            if refuses {
                org = org.with_refused_role(&account);
            }
            list.push(account);
        }
    }
    (org, ids)
}

#[derive(Default)]
struct ServedIds {
    caller: String,
    active: Vec<String>,
    suspended: Vec<String>,
    refused: Vec<String>,
}

impl ServedIds {
    /// The organisation served through `org`, covering the home region.
    fn served(self, org: Arc<dyn OrgClient>) -> Result<ServedOrganization> {
        let directory = AccountDirectory::new(org, Regions::from_names(["us-east-1"])?);
        Ok(ServedOrganization::new(
            directory,
            self.caller,
            self.active,
            self.suspended,
            self.refused,
        ))
    }
}

/// A [`MemoryOrganization`], called directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryOrgBackend;

#[async_trait]
impl OrgBackend for MemoryOrgBackend {
    fn name(&self) -> String {
        "memory".to_owned()
    }

    async fn organization(&self, shape: &OrgShape) -> Result<ServedOrganization> {
        let (org, ids) = memory_organization(shape);
        ids.served(Arc::new(org))
    }
}

/// A [`MemoryOrganization`] behind the JSON shapes of STS, Organizations and
/// Account ([`MemoryOrganization::transport`]), through [`TransportOrgClient`]:
/// the path of Python's and Node's `service_client_factory`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransportOrgBackend;

#[async_trait]
impl OrgBackend for TransportOrgBackend {
    fn name(&self) -> String {
        "transport".to_owned()
    }

    async fn organization(&self, shape: &OrgShape) -> Result<ServedOrganization> {
        let (org, ids) = memory_organization(shape);
        ids.served(Arc::new(TransportOrgClient::new(
            Arc::new(org.transport()),
            "us-east-1",
        )?))
    }
}

/// The names of the organisation cases, in the order [`run`] reports them.
pub const CASES: [&str; 4] = [
    "every_account_once_across_pages",
    "suspended_accounts_are_skipped_with_their_state",
    "a_refused_role_is_that_accounts_error",
    "the_caller_uses_its_own_credentials",
];

/// Runs every organisation case against `backend`: one organisation run of
/// [`OrgShape::SUITE`], judged case by case.
pub async fn run(backend: &dyn OrgBackend) -> Vec<CaseResult> {
    let outcome = async {
        let served = backend.organization(&OrgShape::SUITE).await?;
        let options = OrganizationOptions::default()
            .with_organization(true)
            .with_role_name(ROLE);
        let report = check_organization(&served.directory, &options, &CheckOptions::default()).await?;
        Ok::<_, crate::Error>((served, report))
    }
    .await;
    CASES
        .iter()
        .map(|name| CaseResult {
            name,
            outcome: match &outcome {
                Ok((served, report)) => judge(name, served, report),
                Err(error) => CaseOutcome::Failed(format!("the run failed: {error}")),
            },
        })
        .collect()
}

fn judge(name: &str, served: &ServedOrganization, report: &OrganizationReport) -> CaseOutcome {
    let result = match name {
        "every_account_once_across_pages" => every_account_once(served, report),
        "suspended_accounts_are_skipped_with_their_state" => suspended_skipped(served, report),
        "a_refused_role_is_that_accounts_error" => refused_role(served, report),
        _ => caller_own_credentials(served, report),
    };
    match result {
        Ok(()) => CaseOutcome::Passed,
        Err(why) => CaseOutcome::Failed(why),
    }
}

type Judged = std::result::Result<(), String>;

fn every_account_once(served: &ServedOrganization, report: &OrganizationReport) -> Judged {
    let mut expected: Vec<&String> = std::iter::once(&served.caller)
        .chain(&served.active)
        .chain(&served.suspended)
        .chain(&served.refused)
        .collect();
    expected.sort();
    let listed: Vec<&String> = report.accounts.iter().map(|a| &a.account_id).collect();
    if listed != expected {
        return Err(format!("accounts {listed:?}, expected each of {expected:?} once"));
    }
    let pages = report
        .stats
        .api_calls
        .get(Operation::ListAccounts.as_str())
        .copied()
        .unwrap_or(0);
    if pages < 2 {
        return Err(format!(
            "{} accounts in {pages} ListAccounts page(s), expected two pages of 20",
            listed.len()
        ));
    }
    let checked = report
        .accounts
        .iter()
        .filter(|a| a.state == AccountState::Checked)
        .count();
    if checked != served.active.len() + 1 {
        return Err(format!(
            "{checked} accounts checked, expected {}",
            served.active.len() + 1
        ));
    }
    Ok(())
}

fn suspended_skipped(served: &ServedOrganization, report: &OrganizationReport) -> Judged {
    for id in &served.suspended {
        let entry = report
            .account(id)
            .ok_or_else(|| format!("no entry for suspended {id}"))?;
        if entry.state != AccountState::Skipped || entry.organizations_state.as_deref() != Some("SUSPENDED") {
            return Err(format!(
                "{id}: {:?} with Organizations state {:?}, expected skipped, SUSPENDED",
                entry.state, entry.organizations_state
            ));
        }
    }
    Ok(())
}

fn refused_role(served: &ServedOrganization, report: &OrganizationReport) -> Judged {
    for id in &served.refused {
        let entry = report.account(id).ok_or_else(|| format!("no entry for refused {id}"))?;
        let error = entry.error.as_ref().ok_or_else(|| format!("{id}: no error"))?;
        let denied = ErrorKind::from_code(&error.code) == ErrorKind::AccessDenied;
        if entry.state != AccountState::Error || !denied || error.operation.as_deref() != Some("AssumeRole") {
            return Err(format!(
                "{id}: {:?} with {:?} on {:?}, expected an AssumeRole AccessDenied error",
                entry.state, error.code, error.operation
            ));
        }
    }
    if report.exit_code() == 0 {
        return Err("a run with an account not checked exited 0".to_owned());
    }
    Ok(())
}

fn caller_own_credentials(served: &ServedOrganization, report: &OrganizationReport) -> Judged {
    let caller = report
        .account(&served.caller)
        .ok_or_else(|| "no entry for the caller".to_owned())?;
    if caller.state != AccountState::Checked || caller.role_arn.is_some() {
        return Err(format!(
            "the caller: {:?} through {:?}, expected checked with its own credentials",
            caller.state, caller.role_arn
        ));
    }
    for id in &served.active {
        let entry = report.account(id).ok_or_else(|| format!("no entry for {id}"))?;
        let expected = format!(":iam::{id}:role/{ROLE}");
        if !entry.role_arn.as_deref().is_some_and(|arn| arn.ends_with(&expected)) {
            return Err(format!("{id} through {:?}, expected its {ROLE} role", entry.role_arn));
        }
    }
    Ok(())
}
