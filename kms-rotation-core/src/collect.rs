//! `collect`: read an account's KMS facts into a [`Snapshot`] for offline audits.

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use tokio::time::Instant;

use crate::api::{ApiError, Operation};
use crate::check::{CheckOptions, list_keys_into, region_clients};
use crate::client::{Clients, KmsClient};
use crate::engine::progress::emit;
use crate::engine::{Caller, Counters, ProgressEvent};
use crate::error::Result;
use crate::model::KeyListEntry;
use crate::report::Stats;
use crate::rules;
use crate::snapshot::{Snapshot, SnapshotKey};

/// Reads every requested region's keys into a snapshot that, evaluated later
/// with [`crate::check_account`], gives the same findings.
///
/// It makes the calls a check makes, with two differences so that the
/// snapshot can be evaluated under another policy: the rotation status is read
/// for every key KMS can rotate (exempt and disabled keys included), and tags
/// are read when the options' policy has a tag exemption (one `ListResourceTags`
/// per key, at most 2000 a second per region). A snapshot collected without
/// one records no `Tags`, and a tag exemption over it makes the keys `ERROR`
/// `missing_evidence`, never a verdict made as if untagged. With the rotation
/// history option, `ListKeyRotations` is recorded (as `Rotations`) for the
/// keys KMS rotates and for imported-material keys. A failed call is
/// recorded in the snapshot's `Errors` and replayed on evaluation.
///
/// # Errors
/// As [`crate::check_account`]: configuration problems before any call.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_account, collect, CheckOptions, Snapshot};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let live = Snapshot::load("../examples/data/demo-account.json")?; // stands in for a live account
/// let collected = collect(&live.clients(), &CheckOptions::default()).await?;
/// let a = check_account(&live.clients(), &CheckOptions::default()).await?;
/// let b = check_account(&collected.clients(), &CheckOptions::default()).await?;
/// assert_eq!(a.findings, b.findings);
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn collect(clients: &Clients, options: &CheckOptions) -> Result<Snapshot> {
    let started = Instant::now();
    collect_counted(clients, options, started)
        .await
        .map(|(snapshot, _)| snapshot)
}

/// [`collect`], with what the collection cost (its calls, retries, and the
/// time since `started`): what a check's evidence reports as its stats.
pub(crate) async fn collect_counted(
    clients: &Clients,
    options: &CheckOptions,
    started: Instant,
) -> Result<(Snapshot, Stats)> {
    let region_clients = region_clients(clients, options, "collect")?;
    let counters = options.counters();
    let per_region = region_clients
        .iter()
        .map(|client| collect_region(client.as_ref(), options, &counters));
    let results = futures::future::join_all(per_region).await;

    let account_id = results
        .iter()
        .flat_map(|(_, keys, _)| keys)
        .find_map(|k| k.metadata.account_id.clone());
    let snapshot = Snapshot::new(account_id.as_deref());
    for (region, keys, region_errors) in results {
        snapshot.add_region(&region);
        for key in keys {
            snapshot.add_key(&region, key)?;
        }
        for (op, error) in region_errors {
            snapshot.set_region_error(&region, op, error);
        }
    }
    Ok((snapshot, counters.stats(started)))
}

type RegionFacts = (String, Vec<SnapshotKey>, Vec<(Operation, ApiError)>);

async fn collect_region(client: &dyn KmsClient, options: &CheckOptions, counters: &Counters) -> RegionFacts {
    let caller = options.caller(client, counters);
    let region = client.region().to_owned();
    let progress = options.progress();
    emit(progress, ProgressEvent::RegionStarted { region: region.clone() });
    let listed_count = AtomicU64::new(0);
    let (sender, receiver) = futures::channel::mpsc::unbounded();
    let listing = async {
        let error = list_keys_into(&caller, progress, &listed_count, sender).await;
        (receiver.collect::<Vec<KeyListEntry>>().await, error)
    };
    let ((keys, list_error), aliases) = futures::join!(listing, caller.aliases(None));
    let mut region_errors = Vec::new();
    if let Some(error) = list_error {
        region_errors.push((Operation::ListKeys, error));
    }
    let aliases = aliases.unwrap_or_else(|error| {
        region_errors.push((Operation::ListAliases, error));
        Default::default()
    });
    let listed = keys.len() as u64;
    let evaluated = AtomicU64::new(0);
    let needs_tags = options.policy().needs_tags();
    let needs_history = options.policy().reads_rotation_history();
    let needs_last_usage = options.policy().reads_last_usage();
    let collected = futures::stream::iter(keys)
        .map(|entry| {
            let aliases = aliases.get(&entry.key_id).cloned().unwrap_or_default();
            let (caller, evaluated, region) = (&caller, &evaluated, &region);
            async move {
                let mut key = collect_key(caller, entry, aliases, needs_tags, needs_history).await;
                if needs_last_usage {
                    key = collect_last_usage(caller, key).await;
                }
                let done = evaluated.fetch_add(1, Ordering::Relaxed) + 1;
                emit(
                    progress,
                    ProgressEvent::KeyEvaluated {
                        region: region.clone(),
                        evaluated: done,
                        listed,
                    },
                );
                key
            }
        })
        .buffered(options.max_in_flight())
        .collect::<Vec<_>>()
        .await;
    (region, collected, region_errors)
}

async fn collect_key(
    caller: &Caller<'_>,
    entry: KeyListEntry,
    aliases: Vec<String>,
    needs_tags: bool,
    needs_history: bool,
) -> SnapshotKey {
    let client = caller.client;
    let metadata = match caller
        .call(Operation::DescribeKey, || client.describe_key(&entry.key_id))
        .await
    {
        Ok(metadata) => metadata,
        Err(error) => {
            // Only what was observed: the listing's id and ARN, and the error.
            return SnapshotKey::unobserved(&entry.key_id, &entry.key_arn)
                .with_aliases(aliases)
                .with_error(Operation::DescribeKey, error);
        }
    };
    let rotates = rules::can_rotate_automatically(&metadata);
    // The history the check reads: of keys KMS rotates, and of imported material.
    let has_history = rotates || rules::is_imported_material(&metadata);
    let mut key = SnapshotKey::new(metadata, None).with_aliases(aliases);
    if needs_tags {
        match caller.tags(&entry.key_id).await {
            Ok(tags) => key.tags = Some(tags),
            Err(error) => key = key.with_error(Operation::ListResourceTags, error),
        }
    }
    if rotates {
        match caller
            .call(Operation::GetKeyRotationStatus, || {
                client.get_key_rotation_status(&entry.key_id)
            })
            .await
        {
            Ok(rotation) => key.rotation = Some(rotation),
            Err(error) => key = key.with_error(Operation::GetKeyRotationStatus, error),
        }
    }
    if needs_history && has_history && !rotates {
        // Imported material: every material, the first and pending ones too.
        match caller
            .material_history(&entry.key_id, crate::model::Timestamp::now())
            .await
        {
            Ok(history) => key = key.with_key_materials(history.materials.unwrap_or_default()),
            Err(error) => key = key.with_error(Operation::ListKeyRotations, error),
        }
    } else if needs_history && has_history {
        match caller.key_rotations(&entry.key_id).await {
            Ok(rotations) => key = key.with_rotations(rotations),
            Err(error) => key = key.with_error(Operation::ListKeyRotations, error),
        }
    }
    key
}

/// Records the key's last use (`GetKeyLastUsage`), or the error reading it.
/// Every key's, with the option: which keys fail depends on the policy the
/// snapshot is checked under later.
async fn collect_last_usage(caller: &Caller<'_>, key: SnapshotKey) -> SnapshotKey {
    let key_id = key.metadata.key_id.clone();
    match caller
        .call(Operation::GetKeyLastUsage, || caller.client.get_key_last_usage(&key_id))
        .await
    {
        Ok(usage) => key.with_last_usage(usage),
        Err(error) => key.with_error(Operation::GetKeyLastUsage, error),
    }
}
