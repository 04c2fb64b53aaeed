//! The organisation client trait: the STS, Organizations and Account calls
//! of an organisation run in this crate's types, one request per call, as
//! [`KmsClient`] is for KMS. Implementations: the AWS SDK's
//! ([`crate::aws::AwsOrgClient`]), one over your own SDK's clients
//! ([`super::TransportOrgClient`]), and an organisation in memory
//! ([`super::MemoryOrganization`]). Paging, retries, pacing and renewal
//! belong to the engine and the [`super::AccountDirectory`] above it.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::options::{CallerAccount, RoleSession};
use crate::api::{ApiError, Operation};
use crate::client::KmsClient;
use crate::credentials::RoleCredentials;
use crate::error::Result;
use crate::model::{MemberAccount, Page};

/// A region as `ListRegions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountRegion {
    /// The region's name (`eu-south-2`).
    pub name: String,
    /// Its opt status (`ENABLED`, `ENABLED_BY_DEFAULT`, `DISABLED`,
    /// `ENABLING`, `DISABLING`), when the answer says.
    pub opt_status: Option<String>,
}

impl AccountRegion {
    /// A listed region with its opt status.
    pub fn new(name: impl Into<String>, opt_status: Option<String>) -> Self {
        Self {
            name: name.into(),
            opt_status,
        }
    }
}

/// The calls of an organisation run besides KMS's, for one home region (where
/// STS, Organizations and Account are called), in this crate's types.
///
/// Object safe: the directory holds `Arc<dyn OrgClient>`. Implementations
/// make exactly one request per call and never retry: paging (the one token
/// guard), retries, pacing and credential renewal are the engine's and the
/// directory's, the same for every implementation.
#[async_trait]
pub trait OrgClient: Send + Sync + fmt::Debug {
    /// The region STS, Organizations and Account are called in.
    fn home_region(&self) -> &str;

    /// Whether calls count against AWS's request quotas (paced by the engine).
    /// `true` unless the organisation is not AWS (one in memory).
    fn has_request_quotas(&self) -> bool {
        true
    }

    /// STS `GetCallerIdentity`: the caller's account and partition.
    async fn caller_identity(&self) -> std::result::Result<CallerAccount, ApiError>;

    /// One page of Organizations `ListAccounts` (`parent` `None`) or
    /// `ListAccountsForParent` (the accounts directly under a root or OU),
    /// from `token`. An account listed without its id is an `InvalidResponse`.
    async fn list_accounts(
        &self,
        parent: Option<&str>,
        token: Option<&str>,
    ) -> std::result::Result<Page<MemberAccount>, ApiError>;

    /// One page of `ListOrganizationalUnitsForParent`: the ids of the OUs directly under `parent`.
    async fn list_organizational_units(
        &self,
        parent: &str,
        token: Option<&str>,
    ) -> std::result::Result<Page<String>, ApiError>;

    /// STS `AssumeRole` with the caller's credentials.
    async fn assume_role(&self, role: &RoleSession) -> std::result::Result<RoleCredentials, ApiError>;

    /// One page of Account `ListRegions` in the account `credentials` act in
    /// (the caller's own with `None`), asking for enabled regions only.
    async fn list_regions(
        &self,
        credentials: Option<&RoleCredentials>,
        token: Option<&str>,
    ) -> std::result::Result<Page<AccountRegion>, ApiError>;

    /// A KMS client for `region` acting with `credentials` (the caller's own
    /// with `None`) that offers the operations `needed`.
    ///
    /// # Errors
    /// [`crate::Error::Configuration`] when the client cannot be made;
    /// [`crate::Error::InvalidInput`] when it lacks an operation needed.
    fn kms_client(
        &self,
        region: &str,
        credentials: Option<&RoleCredentials>,
        needed: &[Operation],
    ) -> Result<Arc<dyn KmsClient>>;
}
