//! The KMS client trait the engine talks to, and the error it returns.
//!
//! One client serves one region. Implementations: [`crate::aws`] (the AWS SDK),
//! [`crate::snapshot`] (in memory), and the Python and Node bindings' wrappers
//! around boto3 and AWS SDK v3 clients.

pub(crate) mod json;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::future::BoxFuture;

use crate::api::ApiError;
use crate::error::{Error, Result};
use crate::model::{
    Alias, KeyLastUsage, KeyListEntry, KeyMaterial, KeyMetadata, KeyRotation, Page, RotationStatus, Tag,
};

/// A KMS client for one region, in this crate's types.
///
/// Object safe: the engine and the bindings hold `Arc<dyn KmsClient>`.
/// Implementations make exactly one API request per call and do not retry;
/// retries, rate limits and concurrency belong to the engine.
#[async_trait]
pub trait KmsClient: Send + Sync + fmt::Debug {
    /// The region this client talks to, e.g. `us-east-1`.
    fn region(&self) -> &str;

    /// Whether calls count against AWS's request quotas, so the engine paces them
    /// within its budget. `true` unless the client is not AWS (an offline snapshot).
    fn has_request_quotas(&self) -> bool {
        true
    }

    /// One `ListKeys` page (ask for the maximum, 1000 entries).
    async fn list_keys(&self, marker: Option<&str>) -> Result<Page<KeyListEntry>, ApiError>;

    /// One `ListAliases` page (maximum 100 entries), optionally only the aliases of `key_id`.
    async fn list_aliases(&self, key_id: Option<&str>, marker: Option<&str>) -> Result<Page<Alias>, ApiError>;

    /// `DescribeKey` for a key id, key ARN, alias name or alias ARN.
    async fn describe_key(&self, key_id: &str) -> Result<KeyMetadata, ApiError>;

    /// `GetKeyRotationStatus`.
    async fn get_key_rotation_status(&self, key_id: &str) -> Result<RotationStatus, ApiError>;

    /// `EnableKeyRotation` with an explicit period.
    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> Result<(), ApiError>;

    /// One `ListResourceTags` page (maximum 50 entries).
    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> Result<Page<Tag>, ApiError>;

    /// One `ListKeyRotations` page (maximum 1000 entries): the key's completed rotations.
    async fn list_key_rotations(&self, key_id: &str, marker: Option<&str>) -> Result<Page<KeyRotation>, ApiError>;

    /// `RotateKeyOnDemand`: starts a rotation of the key's material now. Each
    /// key allows only [`crate::ON_DEMAND_ROTATION_LIMIT`] in its lifetime.
    async fn rotate_key_on_demand(&self, key_id: &str) -> Result<(), ApiError>;

    /// One `ListKeyRotations` page with `IncludeKeyMaterial=ALL_KEY_MATERIAL`
    /// (maximum 1000 entries): every key material of an imported-material key,
    /// the first one and any pending rotation included (those have no `RotationDate`).
    ///
    /// The default answers [`KmsClient::list_key_rotations`]'s rotations only
    /// (for clients written before the parameter existed): the check then sees
    /// no current or pending material and judges the key by its rotations.
    async fn list_key_materials(&self, key_id: &str, marker: Option<&str>) -> Result<Page<KeyMaterial>, ApiError> {
        let page = self.list_key_rotations(key_id, marker).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|rotation| KeyMaterial {
                    key_id: rotation.key_id,
                    rotation_date: Some(rotation.rotation_date),
                    rotation_type: Some(rotation.rotation_type),
                    ..KeyMaterial::default()
                })
                .collect(),
            next_marker: page.next_marker,
        })
    }

    /// `GetKeyLastUsage`: the key's last successful cryptographic operation
    /// since KMS began tracking it (called only with the `last_usage` option).
    ///
    /// The default answers `UnsupportedOperationException` naming the client,
    /// so that a client written before the operation existed reports the last
    /// use as unknown rather than inventing one.
    async fn get_key_last_usage(&self, key_id: &str) -> Result<KeyLastUsage, ApiError> {
        Err(ApiError::new(
            "UnsupportedOperationException",
            format!("this KMS client ({self:?}) does not implement GetKeyLastUsage (asked for {key_id})"),
        ))
    }
}

/// Makes a client for a region on demand.
pub type ClientFactory = Arc<dyn Fn(&str) -> Result<Arc<dyn KmsClient>> + Send + Sync>;

/// Lists the regions enabled for the account (`account:ListRegions`), to tell a
/// region the account has not enabled from one that refuses the credentials.
pub type EnabledRegionsLookup = Arc<dyn Fn() -> BoxFuture<'static, Result<Vec<String>>> + Send + Sync>;

/// The clients of an account: one per region, given up front or made on demand.
///
/// ```
/// use kms_rotation_core::{Clients, Snapshot};
/// let snapshot = Snapshot::from_json(r#"{"regions": {"us-east-1": {"keys": []}}}"#)?;
/// let clients: Clients = snapshot.clients();
/// assert_eq!(clients.regions(), vec!["us-east-1".to_string()]);
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Clients {
    by_region: Arc<Mutex<BTreeMap<String, Arc<dyn KmsClient>>>>,
    given: Vec<String>,
    factory: Option<ClientFactory>,
    home_region: Option<String>,
    enabled_regions: Option<EnabledRegionsLookup>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("regions", &self.given)
            .field("factory", &self.factory.is_some())
            .field("home_region", &self.home_region)
            .field("enabled_regions", &self.enabled_regions.is_some())
            .finish()
    }
}

impl Clients {
    /// No clients yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a client for its region (replacing any earlier one for that region).
    pub fn with_client(mut self, client: Arc<dyn KmsClient>) -> Self {
        let region = client.region().to_owned();
        if !self.given.contains(&region) {
            self.given.push(region.clone());
        }
        self.lock().insert(region, client);
        self
    }

    /// Makes clients for other regions on demand (e.g. a replica's primary region).
    pub fn with_factory(
        mut self,
        factory: impl Fn(&str) -> Result<Arc<dyn KmsClient>> + Send + Sync + 'static,
    ) -> Self {
        self.factory = Some(Arc::new(factory));
        self
    }

    /// Names the home region: the one the credentials were configured for.
    /// Credentials refused there are bad credentials, not a region the account
    /// has not enabled.
    pub fn with_home_region(mut self, region: impl Into<String>) -> Self {
        self.home_region = Some(region.into());
        self
    }

    /// The home region, when one was named.
    pub fn home_region(&self) -> Option<&str> {
        self.home_region.as_deref()
    }

    /// How to list the regions enabled for the account, so that a region
    /// refusing the credentials is reported `not_enabled` only when the
    /// account's own list says so.
    pub fn with_enabled_regions_lookup(
        mut self,
        lookup: impl Fn() -> BoxFuture<'static, Result<Vec<String>>> + Send + Sync + 'static,
    ) -> Self {
        self.enabled_regions = Some(Arc::new(lookup));
        self
    }

    /// The lookup given with [`Clients::with_enabled_regions_lookup`].
    pub fn enabled_regions_lookup(&self) -> Option<&EnabledRegionsLookup> {
        self.enabled_regions.as_ref()
    }

    /// The regions of the clients given with [`Clients::with_client`], in order.
    pub fn regions(&self) -> Vec<String> {
        self.given.clone()
    }

    /// The client for `region`, made by the factory if none was given.
    ///
    /// # Errors
    /// [`Error::Configuration`] when there is no client for the region and no factory.
    pub fn get(&self, region: &str) -> Result<Arc<dyn KmsClient>> {
        if let Some(client) = self.lock().get(region) {
            return Ok(client.clone());
        }
        let factory = self
            .factory
            .as_ref()
            .ok_or_else(|| Error::Configuration(format!("no KMS client for region {region:?}")))?;
        let client = factory(region)?;
        self.lock().insert(region.to_owned(), client.clone());
        Ok(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<dyn KmsClient>>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.by_region.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
