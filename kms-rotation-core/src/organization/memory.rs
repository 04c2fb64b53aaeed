//! An organisation in memory, for tests, examples and benches: an
//! [`OrgClient`] whose accounts are [`Snapshot`]s, going through the same
//! directory and engine as the AWS SDK's client does.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::client::{AccountRegion, OrgClient};
use super::directory::AccountDirectory;
use super::options::{CallerAccount, RoleSession};
use crate::api::{ApiError, Operation};
use crate::arn::Regions;
use crate::client::KmsClient;
use crate::credentials::RoleCredentials;
use crate::error::{Error, Result};
use crate::model::{MemberAccount, Page, Timestamp};
use crate::snapshot::Snapshot;

/// The access key id prefix of the credentials a memory organisation hands out.
const KEY_PREFIX: &str = "ASIAMEMORY";

/// An organisation in memory: one [`Snapshot`] per account, with names and
/// Organizations states, and roles that can be made to refuse — for tests,
/// examples and benches. Each account's snapshot keeps its own latency and
/// quotas, so accounts are paced independently as AWS accounts are; each
/// account's regions are its snapshot's (what its `ListRegions` answers).
#[derive(Clone)]
pub struct MemoryOrganization {
    caller: CallerAccount,
    accounts: Vec<(MemberAccount, Snapshot)>,
    refused: HashSet<String>,
    regions_refused: HashSet<String>,
    assumed: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for MemoryOrganization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryOrganization")
            .field("caller", &self.caller)
            .field("accounts", &self.accounts.len())
            .finish_non_exhaustive()
    }
}

impl MemoryOrganization {
    /// An empty organisation called from `caller_account_id` (partition `aws`).
    pub fn new(caller_account_id: &str) -> Self {
        Self {
            caller: CallerAccount::new(caller_account_id, "aws"),
            accounts: Vec::new(),
            refused: HashSet::new(),
            regions_refused: HashSet::new(),
            assumed: Arc::default(),
        }
    }

    /// Adds an account with its name, Organizations state and KMS facts.
    pub fn with_account(mut self, account_id: &str, name: &str, state: &str, snapshot: Snapshot) -> Self {
        self.accounts.push((
            MemberAccount {
                account_id: account_id.to_owned(),
                name: Some(name.to_owned()),
                state: Some(state.to_owned()),
            },
            snapshot,
        ));
        self
    }

    /// Makes `AssumeRole` into `account_id` answer `AccessDenied`, as for a role that does not exist.
    pub fn with_refused_role(mut self, account_id: &str) -> Self {
        self.refused.insert(account_id.to_owned());
        self
    }

    /// Makes `ListRegions` in `account_id` answer `AccessDeniedException`, as
    /// for a role without `account:ListRegions`.
    pub fn with_regions_refused(mut self, account_id: &str) -> Self {
        self.regions_refused.insert(account_id.to_owned());
        self
    }

    /// The role ARNs assumed so far, in order.
    pub fn assumed_roles(&self) -> Vec<String> {
        self.assumed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The directory over this organisation, covering every region of each account.
    pub fn directory(&self) -> AccountDirectory {
        AccountDirectory::new(Arc::new(self.clone()), Regions::All)
    }

    /// The account `credentials` act in (the caller's own with `None`).
    fn account_of<'a>(&'a self, credentials: Option<&'a RoleCredentials>) -> Option<&'a str> {
        match credentials {
            Some(c) => c.access_key_id.strip_prefix(KEY_PREFIX),
            None => Some(self.caller.account_id.as_str()),
        }
    }

    /// The snapshot of the account `credentials` act in (the caller's own with `None`).
    fn snapshot_for(&self, credentials: Option<&RoleCredentials>) -> Option<&Snapshot> {
        let account = self.account_of(credentials)?;
        self.accounts
            .iter()
            .find(|(member, _)| member.account_id == account)
            .map(|(_, snapshot)| snapshot)
    }
}

#[async_trait]
impl OrgClient for MemoryOrganization {
    fn home_region(&self) -> &str {
        "us-east-1"
    }

    fn has_request_quotas(&self) -> bool {
        false
    }

    async fn caller_identity(&self) -> std::result::Result<CallerAccount, ApiError> {
        Ok(self.caller.clone())
    }

    async fn list_accounts(
        &self,
        _parent: Option<&str>,
        _token: Option<&str>,
    ) -> std::result::Result<Page<MemberAccount>, ApiError> {
        Ok(Page {
            items: self.accounts.iter().map(|(account, _)| account.clone()).collect(),
            next_marker: None,
        })
    }

    async fn list_organizational_units(
        &self,
        _parent: &str,
        _token: Option<&str>,
    ) -> std::result::Result<Page<String>, ApiError> {
        Ok(Page {
            items: Vec::new(),
            next_marker: None,
        })
    }

    async fn assume_role(&self, role: &RoleSession) -> std::result::Result<RoleCredentials, ApiError> {
        self.assumed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(role.role_arn.clone());
        let account = crate::arn::Arn::parse_role(&role.role_arn)
            .map(|arn| arn.account_id)
            .map_err(|error| ApiError::new("ValidationError", error.to_string()))?;
        if self.refused.contains(&account) {
            return Err(ApiError::new(
                "AccessDenied",
                format!(
                    "User is not authorized to perform: sts:AssumeRole on resource: {}",
                    role.role_arn
                ),
            ));
        }
        Ok(RoleCredentials::new(
            format!("{KEY_PREFIX}{account}"),
            format!("memory-secret-{account}"),
            format!("memory-token-{account}"),
            Some(Timestamp::from_epoch_seconds(Timestamp::now().epoch_seconds() + 3600)),
        ))
    }

    async fn list_regions(
        &self,
        credentials: Option<&RoleCredentials>,
        _token: Option<&str>,
    ) -> std::result::Result<Page<AccountRegion>, ApiError> {
        if self
            .account_of(credentials)
            .is_some_and(|account| self.regions_refused.contains(account))
        {
            return Err(ApiError::new(
                "AccessDeniedException",
                "User is not authorized to perform: account:ListRegions",
            ));
        }
        let snapshot = self.snapshot_for(credentials).ok_or_else(|| {
            ApiError::new(
                "AccessDeniedException",
                "the caller's account is not in the organisation",
            )
        })?;
        Ok(Page {
            items: snapshot
                .regions()
                .into_iter()
                .map(|name| AccountRegion::new(name, Some("ENABLED".to_owned())))
                .collect(),
            next_marker: None,
        })
    }

    fn kms_client(
        &self,
        region: &str,
        credentials: Option<&RoleCredentials>,
        _needed: &[Operation],
    ) -> Result<Arc<dyn KmsClient>> {
        self.snapshot_for(credentials)
            .ok_or_else(|| Error::Configuration("no such account in the organisation".to_owned()))?
            .client(region)
    }
}
