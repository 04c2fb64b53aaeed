//! The one account directory of an organisation run, above any [`OrgClient`]:
//! the caller, every account (every page through the engine's one paging
//! loop, the OU tree walked once), each account's role credentials (renewed
//! by the one rule in [`crate::credentials`]), its enabled regions and its
//! KMS clients. Every STS, Organizations and Account call goes through the
//! engine's [`Pacer`]: paced, retried as KMS calls are, counted.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::time::Instant;

use super::client::{AccountRegion, OrgClient};
use super::options::{CallerAccount, RoleSession};
use crate::api::{ApiError, Operation};
use crate::arn::Regions;
use crate::client::{Clients, KmsClient};
use crate::credentials::{FetchCredentials, RenewingCredentials, RoleCredentials};
use crate::engine::{Counters, Pacer, Pacing};
use crate::error::{Error, Result};
use crate::model::{Alias, KeyListEntry, KeyMetadata, KeyRotation, MemberAccount, Page, RotationStatus, Tag};
use crate::report::Stats;

/// An organisation's accounts and how to reach each: an [`OrgClient`] (the
/// AWS SDK's, your own SDK's through a transport, or one in memory) and the
/// regions to cover in every account.
///
/// ```
/// use std::sync::Arc;
/// use kms_rotation_core::{AccountDirectory, MemoryOrganization, Regions, Snapshot};
/// let org = MemoryOrganization::new("111122223333")
///     .with_account("111122223333", "management", "ACTIVE", Snapshot::new(Some("111122223333")));
/// let directory = AccountDirectory::new(Arc::new(org), Regions::All);
/// assert_eq!(directory.regions(), &Regions::All);
/// ```
#[derive(Clone)]
pub struct AccountDirectory {
    org: Arc<dyn OrgClient>,
    regions: Regions,
}

impl fmt::Debug for AccountDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountDirectory")
            .field("org", &self.org)
            .field("regions", &self.regions)
            .finish()
    }
}

impl AccountDirectory {
    /// The accounts `org` lists, each checked in `regions`: named regions,
    /// every region enabled in each account (`ListRegions` there), or the
    /// home region ([`Regions::Default`]).
    pub fn new(org: Arc<dyn OrgClient>, regions: Regions) -> Self {
        Self { org, regions }
    }

    /// The regions covered in every account.
    pub fn regions(&self) -> &Regions {
        &self.regions
    }

    /// The organisation client.
    pub fn org_client(&self) -> &Arc<dyn OrgClient> {
        &self.org
    }

    /// Who is calling: the account whose credentials the run starts with
    /// (`GetCallerIdentity`, retried as every call is).
    ///
    /// # Errors
    /// [`Error::Api`] with the AWS code.
    pub async fn caller(&self) -> Result<CallerAccount> {
        self.run(Pacing::default()).caller().await
    }

    /// The regions enabled in the caller's own account (`ListRegions`, every page).
    ///
    /// # Errors
    /// [`Error::Api`] with the AWS code; `InvalidResponse` when none is enabled.
    pub async fn enabled_regions(&self) -> Result<Vec<String>> {
        self.run(Pacing::default()).shared.enabled_regions(None).await
    }

    /// The clients acting in an account, as an organisation run makes them:
    /// through `role` (assumed now, renewed when due), or with the caller's
    /// own credentials when `role` is `None`; for `regions`, else the
    /// directory's; offering the operations `needed`.
    ///
    /// # Errors
    /// [`Error::Api`] with the AWS code when the role cannot be assumed or
    /// the regions cannot be listed.
    pub async fn account_clients(
        &self,
        role: Option<&RoleSession>,
        regions: Option<&[String]>,
        needed: &[Operation],
    ) -> Result<Clients> {
        self.run(Pacing::default()).account_clients(role, regions, needed).await
    }

    /// The directory for one run, its calls paced and retried as `pacing` says.
    pub(crate) fn run(&self, pacing: Pacing) -> DirectoryRun {
        DirectoryRun {
            shared: Arc::new(Shared {
                pacer: Pacer::new(
                    self.org.home_region(),
                    self.org.has_request_quotas(),
                    &pacing.rates,
                    &pacing.retry,
                ),
                counters: Counters::logging(pacing.call_log),
                org: self.org.clone(),
                regions: self.regions.clone(),
            }),
            started: Instant::now(),
        }
    }
}

/// What every account of a run shares: the client, the pacer of the home
/// region, the counters.
struct Shared {
    org: Arc<dyn OrgClient>,
    pacer: Pacer,
    counters: Counters,
    regions: Regions,
}

impl Shared {
    fn failed(&self, op: Operation) -> impl Fn(ApiError) -> Error + '_ {
        move |source| Error::Api {
            operation: op.as_str(),
            region: self.pacer.region().to_owned(),
            source,
        }
    }

    /// Every entry of the listing `op`, each page `page(token)`, through the engine's one paging loop.
    async fn every_page<T, P, Fut>(&self, op: Operation, page: P) -> Result<Vec<T>>
    where
        P: FnMut(Option<String>) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<Page<T>, ApiError>>,
    {
        let mut items = Vec::new();
        self.pacer
            .pages(&self.counters, op, page, |listed| items.extend(listed))
            .await
            .map_err(self.failed(op))?;
        Ok(items)
    }

    /// Every account of the organisation (`parent` `None`) or directly under `parent`.
    async fn accounts(&self, parent: Option<&str>) -> Result<Vec<MemberAccount>> {
        let op = match parent {
            None => Operation::ListAccounts,
            Some(_) => Operation::ListAccountsForParent,
        };
        let org = &self.org;
        self.every_page(
            op,
            |token| async move { org.list_accounts(parent, token.as_deref()).await },
        )
        .await
    }

    /// The OUs directly under `parent`.
    async fn units(&self, parent: &str) -> Result<Vec<String>> {
        let org = &self.org;
        self.every_page(Operation::ListOrganizationalUnitsForParent, |token| async move {
            org.list_organizational_units(parent, token.as_deref()).await
        })
        .await
    }

    async fn assume(&self, role: &RoleSession) -> Result<RoleCredentials> {
        let op = Operation::AssumeRole;
        self.pacer
            .call(&self.counters, op, || self.org.assume_role(role))
            .await
            .map_err(self.failed(op))
    }

    /// The regions enabled in the account `credentials` act in, sorted: every
    /// `ListRegions` page (asked for enabled regions only), a region counting
    /// when its status is `ENABLED` or `ENABLED_BY_DEFAULT` — or absent, as
    /// the answer to that question; any other status leaves it out.
    async fn enabled_regions(&self, credentials: Option<&RoleCredentials>) -> Result<Vec<String>> {
        let op = Operation::ListRegions;
        let org = &self.org;
        let listed: Vec<AccountRegion> = self
            .every_page(op, |token| async move {
                org.list_regions(credentials, token.as_deref()).await
            })
            .await?;
        let mut regions: Vec<String> = listed
            .into_iter()
            .filter(|r| {
                r.opt_status
                    .as_deref()
                    .is_none_or(|s| s == "ENABLED" || s == "ENABLED_BY_DEFAULT")
            })
            .map(|r| r.name)
            .collect();
        regions.sort();
        regions.dedup();
        if regions.is_empty() {
            return Err(self.failed(op)(ApiError::invalid_response(
                "ListRegions reported no enabled region",
            )));
        }
        Ok(regions)
    }
}

/// An OU tree is at most five levels deep under the root; more is a cycle.
const MAX_OU_DEPTH: usize = 8;

/// The directory of one run.
pub(crate) struct DirectoryRun {
    shared: Arc<Shared>,
    started: Instant,
}

impl DirectoryRun {
    /// Who is calling: the account whose credentials the run starts with.
    pub(crate) async fn caller(&self) -> Result<CallerAccount> {
        let op = Operation::GetCallerIdentity;
        let shared = &self.shared;
        shared
            .pacer
            .call(&shared.counters, op, || shared.org.caller_identity())
            .await
            .map_err(shared.failed(op))
    }

    /// Every account of the organisation (`parent` `None`), or every account
    /// under the root or OU `parent`, recursively, level by level: an OU seen
    /// twice is walked once; a tree deeper than Organizations allows is an error.
    pub(crate) async fn list_accounts(&self, parent: Option<&str>) -> Result<Vec<MemberAccount>> {
        let shared = &self.shared;
        let Some(root) = parent else {
            return shared.accounts(None).await;
        };
        let mut accounts = Vec::new();
        let mut level = vec![root.to_owned()];
        let mut seen = HashSet::new();
        for _ in 0..MAX_OU_DEPTH {
            let mut next_level = Vec::new();
            for parent in level.into_iter().filter(|p| seen.insert(p.clone())) {
                accounts.extend(shared.accounts(Some(&parent)).await?);
                next_level.extend(shared.units(&parent).await?);
            }
            if next_level.is_empty() {
                return Ok(accounts);
            }
            level = next_level;
        }
        Err(shared.failed(Operation::ListOrganizationalUnitsForParent)(
            ApiError::invalid_response("the organizational units nest deeper than Organizations allows (a cycle?)"),
        ))
    }

    /// The clients acting in an account: through `role` (assumed now, so that
    /// a refused role fails here with its AWS code, and renewed when due), or
    /// with the caller's own credentials when `role` is `None`; for
    /// `regions`, else the run's regions. Every other region is made on demand.
    ///
    /// # Errors
    /// [`Error::Api`] with the AWS code when the role cannot be assumed
    /// (`AssumeRole`) or the regions cannot be listed (`ListRegions`).
    pub(crate) async fn account_clients(
        &self,
        role: Option<&RoleSession>,
        regions: Option<&[String]>,
        needed: &[Operation],
    ) -> Result<Clients> {
        let shared = &self.shared;
        let credentials = match role {
            Some(role) => {
                let (owner, role) = (shared.clone(), role.clone());
                let fetch: FetchCredentials = Arc::new(move || {
                    let (owner, role) = (owner.clone(), role.clone());
                    Box::pin(async move { owner.assume(&role).await })
                });
                Some(RenewingCredentials::fetch_now(fetch).await?)
            }
            None => None,
        };
        let session = Arc::new(AccountSession {
            shared: shared.clone(),
            credentials,
            needed: needed.to_vec(),
        });
        let home = shared.org.home_region().to_owned();
        let regions = match (regions, &shared.regions) {
            (Some(list), _) => list.to_vec(),
            (None, Regions::List(list)) => list.clone(),
            (None, Regions::All) => session.enabled_regions().await?,
            (None, Regions::Default) => vec![home.clone()],
        };
        let mut clients = Clients::new().with_home_region(home);
        for region in &regions {
            clients = clients.with_client(session.kms(region)?);
        }
        let lookup = session.clone();
        let clients = clients.with_enabled_regions_lookup(move || {
            let session = lookup.clone();
            Box::pin(async move { session.enabled_regions().await })
        });
        Ok(clients.with_factory(move |region| session.kms(region)))
    }

    /// The calls this run's directory made.
    pub(crate) fn stats(&self) -> Stats {
        self.shared.counters.stats(self.started)
    }
}

/// One account's credentials (none: the caller's own), shared by its clients.
struct AccountSession {
    shared: Arc<Shared>,
    credentials: Option<RenewingCredentials>,
    needed: Vec<Operation>,
}

impl AccountSession {
    /// The account's current credentials, renewed first when due; `None` for the caller's own.
    async fn current(&self) -> Result<Option<Arc<RoleCredentials>>> {
        match &self.credentials {
            Some(renewing) => Ok(Some(renewing.current().await?)),
            None => Ok(None),
        }
    }

    async fn enabled_regions(&self) -> Result<Vec<String>> {
        let credentials = self.current().await?;
        self.shared.enabled_regions(credentials.as_deref()).await
    }

    /// The KMS client of `region`: made with the account's latest
    /// credentials, and remade whenever they are renewed.
    fn kms(self: &Arc<Self>, region: &str) -> Result<Arc<dyn KmsClient>> {
        let held = self.credentials.as_ref().and_then(RenewingCredentials::latest);
        let client = self.shared.org.kms_client(region, held.as_deref(), &self.needed)?;
        if self.credentials.is_none() {
            return Ok(client);
        }
        Ok(Arc::new(RenewingKms {
            session: self.clone(),
            region: region.to_owned(),
            current: Mutex::new((held, client)),
        }))
    }
}

/// One region's KMS client in a member account, remade with the account's
/// renewed credentials before any call made after they were renewed.
struct RenewingKms {
    session: Arc<AccountSession>,
    region: String,
    #[allow(clippy::type_complexity)]
    current: Mutex<(Option<Arc<RoleCredentials>>, Arc<dyn KmsClient>)>,
}

impl fmt::Debug for RenewingKms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, client) = &*self.current.lock().unwrap_or_else(|p| p.into_inner());
        fmt::Debug::fmt(client, f)
    }
}

impl RenewingKms {
    /// The client to call now: the held one, or one made with renewed credentials.
    async fn client(&self) -> std::result::Result<Arc<dyn KmsClient>, ApiError> {
        let credentials = self.session.current().await.map_err(|error| match error {
            Error::Api { source, .. } => source,
            other => ApiError::new("CredentialsUnavailable", other.to_string()),
        })?;
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let same = match (&current.0, &credentials) {
            (Some(held), Some(now)) => Arc::ptr_eq(held, now),
            (None, None) => true,
            _ => false,
        };
        if !same {
            let made = self
                .session
                .shared
                .org
                .kms_client(&self.region, credentials.as_deref(), &self.session.needed)
                .map_err(|error| ApiError::new("ClientUnavailable", error.to_string()).not_retryable())?;
            *current = (credentials, made);
        }
        Ok(current.1.clone())
    }

    fn held(&self) -> Arc<dyn KmsClient> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).1.clone()
    }
}

#[async_trait]
impl KmsClient for RenewingKms {
    fn region(&self) -> &str {
        &self.region
    }

    fn has_request_quotas(&self) -> bool {
        self.held().has_request_quotas()
    }

    async fn list_keys(&self, marker: Option<&str>) -> std::result::Result<Page<KeyListEntry>, ApiError> {
        self.client().await?.list_keys(marker).await
    }

    async fn list_aliases(
        &self,
        key_id: Option<&str>,
        marker: Option<&str>,
    ) -> std::result::Result<Page<Alias>, ApiError> {
        self.client().await?.list_aliases(key_id, marker).await
    }

    async fn describe_key(&self, key_id: &str) -> std::result::Result<KeyMetadata, ApiError> {
        self.client().await?.describe_key(key_id).await
    }

    async fn get_key_rotation_status(&self, key_id: &str) -> std::result::Result<RotationStatus, ApiError> {
        self.client().await?.get_key_rotation_status(key_id).await
    }

    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> std::result::Result<(), ApiError> {
        self.client()
            .await?
            .enable_key_rotation(key_id, rotation_period_days)
            .await
    }

    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> std::result::Result<Page<Tag>, ApiError> {
        self.client().await?.list_resource_tags(key_id, marker).await
    }

    async fn list_key_rotations(
        &self,
        key_id: &str,
        marker: Option<&str>,
    ) -> std::result::Result<Page<KeyRotation>, ApiError> {
        self.client().await?.list_key_rotations(key_id, marker).await
    }

    async fn rotate_key_on_demand(&self, key_id: &str) -> std::result::Result<(), ApiError> {
        self.client().await?.rotate_key_on_demand(key_id).await
    }

    async fn list_key_materials(
        &self,
        key_id: &str,
        marker: Option<&str>,
    ) -> std::result::Result<Page<crate::model::KeyMaterial>, ApiError> {
        self.client().await?.list_key_materials(key_id, marker).await
    }

    async fn get_key_last_usage(&self, key_id: &str) -> std::result::Result<crate::model::KeyLastUsage, ApiError> {
        self.client().await?.get_key_last_usage(key_id).await
    }
}
