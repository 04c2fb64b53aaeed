//! An organisation's accounts (Organizations `ListAccounts`, `ListAccountsForParent`)
//! and temporary credentials in each (STS `AssumeRole`).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};

use aws_sdk_organizations::types::Account;

use super::error::{api_error, invalid_response};
use super::session::AwsSession;
use crate::api::{ApiError, register_secret};
use crate::error::{Error, Result};
use crate::model::{MemberAccount, Timestamp};
use crate::org_transport::RoleCredentials;

/// Organizations pages: `ListAccounts` and `ListAccountsForParent` take at most 20.
const ACCOUNTS_PAGE: i32 = 20;
/// `ListOrganizationalUnitsForParent` takes at most 20 too.
const UNITS_PAGE: i32 = 20;

/// A listed account; one without its id is a malformed answer (never dropped silently).
fn member(account: Account) -> std::result::Result<MemberAccount, ApiError> {
    let Some(id) = account.id.filter(|id| !id.is_empty()) else {
        return Err(invalid_response("Organizations listed an account without its Id"));
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

/// Every account of a page, or the page's error.
fn members(listed: Option<Vec<Account>>) -> std::result::Result<Vec<MemberAccount>, ApiError> {
    listed.unwrap_or_default().into_iter().map(member).collect()
}

/// Every account of the organisation (`ListAccounts`, all pages), or every
/// account under `parent` (a root or OU id), recursively through its OUs.
///
/// # Errors
/// [`Error::Api`] with the AWS code when a call fails (e.g.
/// `AccessDeniedException`, `AWSOrganizationsNotInUseException`,
/// `ParentNotFoundException`).
pub async fn list_accounts(session: &AwsSession, parent: Option<&str>) -> Result<Vec<MemberAccount>> {
    let client = aws_sdk_organizations::Client::new(session.sdk_config());
    let region = session.home_region().to_owned();
    let failed = |operation: &'static str| {
        let region = region.clone();
        move |source: ApiError| Error::Api {
            operation,
            region,
            source,
        }
    };
    let Some(root) = parent else {
        let mut accounts = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = client
                .list_accounts()
                .max_results(ACCOUNTS_PAGE)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| failed("ListAccounts")(api_error(e)))?;
            accounts.extend(members(out.accounts).map_err(failed("ListAccounts"))?);
            match out.next_token {
                Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                _ => break,
            }
        }
        return Ok(accounts);
    };
    let client = &client;
    let failed = &failed;
    crate::accounts::accounts_under(
        root,
        |parent| {
            Box::pin(async move {
                let mut accounts = Vec::new();
                let mut token: Option<String> = None;
                loop {
                    let out = client
                        .list_accounts_for_parent()
                        .parent_id(&parent)
                        .max_results(ACCOUNTS_PAGE)
                        .set_next_token(token.clone())
                        .send()
                        .await
                        .map_err(|e| failed("ListAccountsForParent")(api_error(e)))?;
                    accounts.extend(members(out.accounts).map_err(failed("ListAccountsForParent"))?);
                    match out.next_token {
                        Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                        _ => return Ok(accounts),
                    }
                }
            })
        },
        |parent| {
            Box::pin(async move {
                let mut units = Vec::new();
                let mut token: Option<String> = None;
                loop {
                    let out = client
                        .list_organizational_units_for_parent()
                        .parent_id(&parent)
                        .max_results(UNITS_PAGE)
                        .set_next_token(token.clone())
                        .send()
                        .await
                        .map_err(|e| failed("ListOrganizationalUnitsForParent")(api_error(e)))?;
                    units.extend(
                        out.organizational_units
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(|unit| unit.id),
                    );
                    match out.next_token {
                        Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                        _ => return Ok(units),
                    }
                }
            })
        },
        || {
            failed("ListOrganizationalUnitsForParent")(invalid_response(
                "the organizational units nest deeper than Organizations allows (a cycle?)",
            ))
        },
    )
    .await
}

/// Assumes `role_arn` with the session's credentials and returns the
/// temporary credentials (registered with [`register_secret`] before they are returned).
///
/// # Errors
/// [`Error::Api`] (operation `AssumeRole`) with the AWS code, e.g.
/// `AccessDenied` when the role does not exist or does not trust the caller.
pub async fn assume_role(
    session: &AwsSession,
    role_arn: &str,
    external_id: Option<&str>,
    session_name: &str,
) -> Result<RoleCredentials> {
    let sts = aws_sdk_sts::Client::new(session.sdk_config());
    let failed = |source: ApiError| Error::Api {
        operation: "AssumeRole",
        region: session.home_region().to_owned(),
        source,
    };
    let out = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session_name)
        .set_external_id(external_id.map(str::to_owned))
        .send()
        .await
        .map_err(|e| failed(api_error(e)))?;
    let Some(credentials) = out.credentials else {
        return Err(failed(invalid_response("AssumeRole answered without Credentials")));
    };
    register_secret(&credentials.secret_access_key);
    register_secret(&credentials.session_token);
    Ok(RoleCredentials {
        access_key_id: credentials.access_key_id,
        secret_access_key: credentials.secret_access_key,
        session_token: credentials.session_token,
        expiration: Some(Timestamp::from_epoch_seconds(credentials.expiration.secs())),
    })
}

/// Credentials of a role in a member account that renew themselves: the ones
/// [`assume_role`] returned first, then `AssumeRole` again whenever the SDK
/// asks for credentials and those held expire within [`RENEW_WITHIN`] —
/// the SDK's credential cache asks shortly before the ones it holds expire,
/// so a check that outlasts the role session goes on with fresh credentials.
#[derive(Clone)]
pub struct RenewingRole {
    session: AwsSession,
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
    held: Arc<Mutex<RoleCredentials>>,
}

/// Held credentials expiring sooner than this are renewed when asked for:
/// more than the SDK's credential cache leaves (it asks again 5 to 10
/// seconds before the credentials it holds expire), less than any role
/// session lasts (15 minutes at least), so that a new client's first ask
/// gets the held credentials.
pub const RENEW_WITHIN: Duration = Duration::from_secs(11);

impl fmt::Debug for RenewingRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewingRole")
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

impl RenewingRole {
    /// Assumes `role_arn` now (so that a refused role fails here, with its
    /// AWS code) and renews it later, through `session`'s credentials.
    ///
    /// # Errors
    /// As [`assume_role`].
    pub async fn assume(
        session: &AwsSession,
        role_arn: &str,
        external_id: Option<&str>,
        session_name: &str,
    ) -> Result<Self> {
        let first = assume_role(session, role_arn, external_id, session_name).await?;
        Ok(Self {
            session: session.clone(),
            role_arn: role_arn.to_owned(),
            external_id: external_id.map(str::to_owned),
            session_name: session_name.to_owned(),
            held: Arc::new(Mutex::new(first)),
        })
    }

    async fn current(&self) -> Result<RoleCredentials> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if !held.expires_within(RENEW_WITHIN, Timestamp::now()) {
            return Ok(held);
        }
        let renewed = assume_role(
            &self.session,
            &self.role_arn,
            self.external_id.as_deref(),
            &self.session_name,
        )
        .await?;
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = renewed.clone();
        Ok(renewed)
    }
}

impl ProvideCredentials for RenewingRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let held = self.current().await.map_err(CredentialsError::provider_error)?;
            Ok(Credentials::new(
                held.access_key_id,
                held.secret_access_key,
                Some(held.session_token),
                held.expiration
                    .and_then(|at| u64::try_from(at.epoch_seconds()).ok())
                    .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
                "kms-rotation-assume-role",
            ))
        })
    }
}
