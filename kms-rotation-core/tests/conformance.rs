//! The conformance suite (`kms_rotation_core::conformance`) against every client
//! this crate ships: the snapshot client, `JsonClient` over the snapshot's
//! transport, and the AWS SDK client on moto's server (seeded through the SDK
//! from the same account description). The Python and Node bindings run the
//! same suite over their transports (`test_conformance.py`, `conformance.test.mjs`).
//!
//! moto cannot model recorded errors, rotation periods, pages or AWS managed
//! keys (see TOOLCHAIN.md); the cases that need them are reported not
//! applicable for it, by name, and run against the other clients.

use crate::common::{endpoint, fresh_account_id};
use async_trait::async_trait;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, OriginType, Tag};
use kms_rotation_core::aws::{AwsOptions, AwsSession};
use kms_rotation_core::conformance::{
    self, Backend, CASES, Capabilities, CaseOutcome, SnapshotBackend, TransportBackend,
};
use kms_rotation_core::{Clients, Error, Result};
use serde_json::Value;

#[tokio::test]
async fn the_memory_and_transport_organisation_clients_conform() {
    use kms_rotation_core::conformance::organization::{self, MemoryOrgBackend, TransportOrgBackend};
    for results in [
        organization::run(&MemoryOrgBackend).await,
        organization::run(&TransportOrgBackend).await,
    ] {
        assert_eq!(results.len(), organization::CASES.len());
        organization::assert_passed(&results);
    }
}

#[tokio::test]
async fn the_snapshot_client_conforms() {
    let results = conformance::run(&SnapshotBackend).await;
    assert!(results.iter().all(|r| r.outcome == CaseOutcome::Passed), "{results:#?}");
}

#[tokio::test]
async fn json_client_over_the_snapshot_transport_conforms() {
    let results = conformance::run(&TransportBackend::new("json", Ok)).await;
    assert!(results.iter().all(|r| r.outcome == CaseOutcome::Passed), "{results:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_sdk_client_on_moto_conforms() {
    let Some(endpoint) = endpoint() else { return };
    let results = conformance::run(&MotoBackend { endpoint }).await;
    for result in &results {
        eprintln!("moto: {result}");
    }
    conformance::assert_passed(&results);
    // The cases moto cannot model are named, and the rest did run.
    let passed = results.iter().filter(|r| r.outcome == CaseOutcome::Passed).count();
    assert!(passed >= 4, "{results:#?}");
    assert_eq!(results.len(), CASES.len());
}

/// Each account description is seeded into a fresh emulated account (reached
/// by assuming a role there), so cases never see each other's keys.
struct MotoBackend {
    endpoint: String,
}

fn seeding(error: impl std::error::Error) -> Error {
    Error::Configuration(format!(
        "seeding moto failed: {}",
        aws_sdk_kms::error::DisplayErrorContext(&error)
    ))
}

fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

#[async_trait]
impl Backend for MotoBackend {
    fn name(&self) -> String {
        "aws-sdk-on-moto".to_owned()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(false, false, false, false)
    }

    async fn clients(&self, account: &Value) -> Result<Clients> {
        let regions: Vec<String> = account["regions"]
            .as_object()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        let id = fresh_account_id();
        let options = AwsOptions::default()
            .with_static_credentials("testing", "testing", None)
            .with_endpoint_url(&self.endpoint)?
            .with_regions(regions.iter().cloned())?
            .with_role(
                &format!("arn:aws:iam::{id}:role/KmsRotationAudit"),
                Some("kms-rotation-tests"),
                Some("kms-rotation-conformance"),
            )?;
        let session = AwsSession::connect(&options).await?;
        for region in &regions {
            let kms = session.client(region)?.sdk_client().clone();
            let keys = account["regions"][region]["keys"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            // One at a time: moto's server is not safe for concurrent writes.
            for entry in keys {
                seed_key(kms.clone(), entry).await?;
            }
        }
        session.clients_for(&regions)
    }
}

/// Creates one key as the snapshot entry describes it, as far as moto can.
async fn seed_key(kms: aws_sdk_kms::Client, entry: Value) -> Result<()> {
    let meta = &entry["KeyMetadata"];
    let mut create = kms.create_key().description("kms-rotation conformance");
    if let Some(spec) = text(meta, "KeySpec") {
        create = create.key_spec(KeySpec::from(spec));
    }
    if let Some(usage) = text(meta, "KeyUsage") {
        create = create.key_usage(KeyUsageType::from(usage));
    }
    if let Some(origin) = text(meta, "Origin") {
        create = create.origin(OriginType::from(origin));
    }
    for tag in entry["Tags"].as_array().into_iter().flatten() {
        let tag = Tag::builder()
            .tag_key(text(tag, "TagKey").unwrap_or_default())
            .tag_value(text(tag, "TagValue").unwrap_or_default())
            .build()
            .map_err(seeding)?;
        create = create.tags(tag);
    }
    let key_id = create
        .send()
        .await
        .map_err(seeding)?
        .key_metadata
        .map(|m| m.key_id)
        .ok_or_else(|| Error::Configuration("seeding moto failed: CreateKey answered without KeyMetadata".into()))?;
    for alias in entry["Aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        kms.create_alias()
            .alias_name(alias)
            .target_key_id(&key_id)
            .send()
            .await
            .map_err(seeding)?;
    }
    if entry["RotationStatus"]["KeyRotationEnabled"] == Value::Bool(true) {
        kms.enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map_err(seeding)?;
    }
    // moto dates rotations itself and makes only on-demand ones.
    let on_demand = entry["Rotations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| text(r, "RotationType") == Some("ON_DEMAND"));
    for _ in on_demand {
        kms.rotate_key_on_demand()
            .key_id(&key_id)
            .send()
            .await
            .map_err(seeding)?;
    }
    match text(meta, "KeyState") {
        Some("Disabled") => {
            kms.disable_key().key_id(&key_id).send().await.map_err(seeding)?;
        }
        Some("PendingDeletion") => {
            kms.schedule_key_deletion()
                .key_id(&key_id)
                .pending_window_in_days(7)
                .send()
                .await
                .map_err(seeding)?;
        }
        _ => {}
    }
    Ok(())
}
