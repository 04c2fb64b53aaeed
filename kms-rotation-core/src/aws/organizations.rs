//! The organisation client over the AWS SDK: STS (`GetCallerIdentity`,
//! `AssumeRole`), Organizations (`ListAccounts`, `ListAccountsForParent`,
//! `ListOrganizationalUnitsForParent`) and Account (`ListRegions`), one
//! request per call with the SDK's retries off — the engine pages, paces and
//! retries them, as it does KMS's.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_account::types::RegionOptStatus;
use aws_sdk_organizations::types::Account;

use super::client::limit;
use super::error::api_error;
use super::session::AwsSession;
use crate::api::{ApiError, Operation};
use crate::arn::Arn;
use crate::client::KmsClient;
use crate::credentials::RoleCredentials;
use crate::error::Result;
use crate::model::{MemberAccount, Page, Timestamp};
use crate::organization::{AccountRegion, CallerAccount, OrgClient, RoleSession};

/// The [`OrgClient`] over the AWS SDK for Rust, with the session's
/// credentials (the caller's), home region, endpoint and timeouts.
///
/// ```no_run
/// use std::sync::Arc;
/// use kms_rotation_core::aws::{AwsOptions, AwsOrgClient, AwsSession};
/// use kms_rotation_core::{check_organization, AccountDirectory, CheckOptions, OrganizationOptions, Regions};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let session = AwsSession::connect(&AwsOptions::default()).await?;
/// let directory = AccountDirectory::new(Arc::new(AwsOrgClient::new(&session)), Regions::All);
/// let options = OrganizationOptions::default().with_organization(true).with_role_name("KmsRotationAudit");
/// let report = check_organization(&directory, &options, &CheckOptions::default()).await?;
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct AwsOrgClient {
    session: AwsSession,
    sts: aws_sdk_sts::Client,
    organizations: aws_sdk_organizations::Client,
    account: aws_sdk_account::Client,
}

impl AwsOrgClient {
    /// STS, Organizations and Account clients of `session`'s home region.
    pub fn new(session: &AwsSession) -> Self {
        Self {
            sts: aws_sdk_sts::Client::from_conf(session.sts_config()),
            organizations: aws_sdk_organizations::Client::from_conf(session.organizations_config()),
            account: aws_sdk_account::Client::from_conf(session.account_config()),
            session: session.clone(),
        }
    }

    /// The same, calling STS through `sts` (e.g. an `aws-smithy-mocks` client).
    pub fn with_sts_client(mut self, sts: aws_sdk_sts::Client) -> Self {
        self.sts = sts;
        self
    }

    /// The same, calling Organizations through `organizations`.
    pub fn with_organizations_client(mut self, organizations: aws_sdk_organizations::Client) -> Self {
        self.organizations = organizations;
        self
    }

    /// The same, calling Account (the caller's own) through `account`.
    pub fn with_account_client(mut self, account: aws_sdk_account::Client) -> Self {
        self.account = account;
        self
    }
}

/// A listed account; one without its id is a malformed answer (never dropped silently).
fn member(account: Account) -> std::result::Result<MemberAccount, ApiError> {
    let Some(id) = account.id.filter(|id| !id.is_empty()) else {
        return Err(ApiError::invalid_response(
            "Organizations listed an account without its Id",
        ));
    };
    // `State` replaced `Status` in 2025; emulators and older answers carry only `Status`.
    let state = account
        .state
        .map(|s| s.as_str().to_owned())
        .or_else(|| account.status.map(|s| s.as_str().to_owned()));
    Ok(MemberAccount {
        account_id: id,
        name: account.name,
        state,
    })
}

fn page<T>(items: Vec<T>, next: Option<String>) -> Page<T> {
    Page {
        items,
        next_marker: next,
    }
}

#[async_trait]
impl OrgClient for AwsOrgClient {
    fn home_region(&self) -> &str {
        self.session.home_region()
    }

    async fn caller_identity(&self) -> std::result::Result<CallerAccount, ApiError> {
        let out = self.sts.get_caller_identity().send().await.map_err(api_error)?;
        let (Some(account_id), Some(arn)) = (out.account, out.arn) else {
            return Err(ApiError::invalid_response(
                "GetCallerIdentity answered without Account or Arn",
            ));
        };
        let partition = Arn::partition_of(&arn)
            .ok_or_else(|| ApiError::invalid_response(format!("the caller's ARN {arn:?} is not an ARN")))?;
        Ok(CallerAccount::new(account_id, partition).with_arn(arn))
    }

    async fn list_accounts(
        &self,
        parent: Option<&str>,
        token: Option<&str>,
    ) -> std::result::Result<Page<MemberAccount>, ApiError> {
        let size = limit(Operation::ListAccounts);
        let (accounts, next) = match parent {
            None => {
                let out = self
                    .organizations
                    .list_accounts()
                    .set_max_results(size)
                    .set_next_token(token.map(str::to_owned))
                    .send()
                    .await
                    .map_err(api_error)?;
                (out.accounts, out.next_token)
            }
            Some(parent) => {
                let out = self
                    .organizations
                    .list_accounts_for_parent()
                    .parent_id(parent)
                    .set_max_results(size)
                    .set_next_token(token.map(str::to_owned))
                    .send()
                    .await
                    .map_err(api_error)?;
                (out.accounts, out.next_token)
            }
        };
        let members = accounts
            .unwrap_or_default()
            .into_iter()
            .map(member)
            .collect::<std::result::Result<_, _>>()?;
        Ok(page(members, next))
    }

    async fn list_organizational_units(
        &self,
        parent: &str,
        token: Option<&str>,
    ) -> std::result::Result<Page<String>, ApiError> {
        let out = self
            .organizations
            .list_organizational_units_for_parent()
            .parent_id(parent)
            .set_max_results(limit(Operation::ListOrganizationalUnitsForParent))
            .set_next_token(token.map(str::to_owned))
            .send()
            .await
            .map_err(api_error)?;
        let units = out
            .organizational_units
            .unwrap_or_default()
            .into_iter()
            .map(|unit| {
                unit.id.filter(|id| !id.is_empty()).ok_or_else(|| {
                    ApiError::invalid_response("Organizations listed an organizational unit without its Id")
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        Ok(page(units, out.next_token))
    }

    async fn assume_role(&self, role: &RoleSession) -> std::result::Result<RoleCredentials, ApiError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&role.role_arn)
            .role_session_name(&role.session_name)
            .set_external_id(role.external_id.clone())
            .send()
            .await
            .map_err(api_error)?;
        let Some(credentials) = out.credentials else {
            return Err(ApiError::invalid_response("AssumeRole answered without Credentials"));
        };
        Ok(RoleCredentials::new(
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token,
            Some(Timestamp::from_epoch_seconds(credentials.expiration.secs())),
        ))
    }

    async fn list_regions(
        &self,
        credentials: Option<&RoleCredentials>,
        token: Option<&str>,
    ) -> std::result::Result<Page<AccountRegion>, ApiError> {
        let member;
        let account = match credentials {
            None => &self.account,
            Some(credentials) => {
                member = aws_sdk_account::Client::from_conf(
                    self.session.with_role_credentials(credentials).account_config(),
                );
                &member
            }
        };
        let out = account
            .list_regions()
            .set_max_results(limit(Operation::ListRegions))
            .region_opt_status_contains(RegionOptStatus::Enabled)
            .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
            .set_next_token(token.map(str::to_owned))
            .send()
            .await
            .map_err(api_error)?;
        let regions = out
            .regions
            .unwrap_or_default()
            .into_iter()
            .map(|entry| match entry.region_name.filter(|n| !n.is_empty()) {
                Some(name) => Ok(AccountRegion::new(
                    name,
                    entry.region_opt_status.map(|s| s.as_str().to_owned()),
                )),
                None => Err(ApiError::invalid_response("a listed region has no RegionName")),
            })
            .collect::<std::result::Result<_, _>>()?;
        Ok(page(regions, out.next_token))
    }

    fn kms_client(
        &self,
        region: &str,
        credentials: Option<&RoleCredentials>,
        _needed: &[Operation],
    ) -> Result<Arc<dyn KmsClient>> {
        let client = match credentials {
            None => self.session.client(region)?,
            Some(credentials) => self.session.with_role_credentials(credentials).client(region)?,
        };
        Ok(Arc::new(client))
    }
}
