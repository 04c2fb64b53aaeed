//! Bringing your own KMS client: implement `KmsClient` (eight operations, each returning
//! the model's types or an `ApiError`) and hand it to the engine in `Clients`. Pacing,
//! retries, paging and the decision table come from the core. This one wraps another
//! client and counts the calls each operation gets, a common need (metrics, auditing);
//! a client over your own HTTP stack or a cached inventory has the same shape. An
//! SDK-shaped client in another language implements `JsonTransport` instead.
//!
//! Run: `cargo run --example custom-client`

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kms_rotation_core::{
    Alias, ApiError, CheckOptions, Clients, KeyListEntry, KeyMetadata, KeyRotation, KmsClient, Page, RotationStatus,
    Snapshot, Tag, async_trait, check_account,
};

/// A `KmsClient` that counts the calls it forwards to `inner`.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn KmsClient>,
    calls: Mutex<BTreeMap<&'static str, u64>>,
}

impl Counting {
    fn count(&self, operation: &'static str) {
        *self.calls.lock().unwrap().entry(operation).or_default() += 1;
    }
}

#[async_trait]
impl KmsClient for Counting {
    fn region(&self) -> &str {
        self.inner.region()
    }

    // Offline clients have no AWS request quotas: the engine then does not pace them.
    fn has_request_quotas(&self) -> bool {
        self.inner.has_request_quotas()
    }

    async fn list_keys(&self, marker: Option<&str>) -> Result<Page<KeyListEntry>, ApiError> {
        self.count("ListKeys");
        self.inner.list_keys(marker).await
    }

    async fn list_aliases(&self, key_id: Option<&str>, marker: Option<&str>) -> Result<Page<Alias>, ApiError> {
        self.count("ListAliases");
        self.inner.list_aliases(key_id, marker).await
    }

    async fn describe_key(&self, key_id: &str) -> Result<KeyMetadata, ApiError> {
        self.count("DescribeKey");
        self.inner.describe_key(key_id).await
    }

    async fn get_key_rotation_status(&self, key_id: &str) -> Result<RotationStatus, ApiError> {
        self.count("GetKeyRotationStatus");
        self.inner.get_key_rotation_status(key_id).await
    }

    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> Result<(), ApiError> {
        self.count("EnableKeyRotation");
        self.inner.enable_key_rotation(key_id, rotation_period_days).await
    }

    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> Result<Page<Tag>, ApiError> {
        self.count("ListResourceTags");
        self.inner.list_resource_tags(key_id, marker).await
    }

    async fn list_key_rotations(&self, key_id: &str, marker: Option<&str>) -> Result<Page<KeyRotation>, ApiError> {
        self.count("ListKeyRotations");
        self.inner.list_key_rotations(key_id, marker).await
    }

    async fn rotate_key_on_demand(&self, key_id: &str) -> Result<(), ApiError> {
        self.count("RotateKeyOnDemand");
        self.inner.rotate_key_on_demand(key_id).await
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> kms_rotation_core::Result<()> {
    let snapshot = Snapshot::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo-account.json"))?;
    let mut clients = Clients::new();
    let mut counters = Vec::new();
    for region in snapshot.regions() {
        let counting = Arc::new(Counting {
            inner: snapshot.client(&region)?,
            calls: Mutex::default(),
        });
        counters.push(counting.clone());
        clients = clients.with_client(counting);
    }
    let report = check_account(&clients, &CheckOptions::default()).await?;
    println!("{} findings", report.findings.len());
    for counting in counters {
        println!("{}: {:?}", counting.region(), counting.calls.lock().unwrap());
    }
    Ok(())
}
