//! How close a one-region scan gets to the AWS quota floor.
//!
//! Builds an in-memory account of `KEYS` keys (70 % eligible for rotation),
//! serves it with 20 ms of simulated latency per call and AWS's own request
//! quotas (beyond the rate the snapshot client answers ThrottlingException),
//! and prints wall time, API calls per operation, the floor
//! `max(DescribeKey/2000, GetKeyRotationStatus/1000)` seconds and the ratio,
//! once at the default budget (half the quota) and once at the full quota.
//!
//! Run: `cargo bench -p benches --bench scale` (`KEYS=10000` for a larger account).

use std::time::{Duration, Instant};

use kms_rotation_core::{
    CheckOptions, KeyMetadata, KeySpec, KeyUsage, Operation, RotationStatus, Snapshot, SnapshotKey, check_account,
};

fn account(keys: usize) -> Snapshot {
    let snapshot = Snapshot::new(Some("111122223333"));
    for n in 0..keys {
        let id = format!("{n:08x}-0000-4000-8000-{n:012x}");
        let mut meta = KeyMetadata::symmetric("us-east-1", "111122223333", &id);
        let eligible = n % 10 < 7;
        if !eligible {
            meta.spec = KeySpec::Rsa2048;
            meta.usage = KeyUsage::SignVerify;
        }
        let rotation = eligible.then(|| RotationStatus::enabled_with_period(365));
        snapshot
            .add_key("us-east-1", SnapshotKey::new(meta, rotation))
            .expect("generated keys are valid");
    }
    snapshot.set_latency(Duration::from_millis(20));
    snapshot.set_aws_quotas();
    snapshot.set_record_calls(false);
    snapshot
}

#[tokio::main]
async fn main() -> kms_rotation_core::Result<()> {
    let keys: usize = std::env::var("KEYS").ok().and_then(|k| k.parse().ok()).unwrap_or(1_000);
    for (label, fraction) in [("default budget (50 % of quota)", 0.5), ("full quota", 1.0)] {
        let snapshot = account(keys);
        let options = CheckOptions::default()
            .with_quota_fraction(fraction)?
            .with_max_in_flight(256);
        let started = Instant::now();
        let report = check_account(&snapshot.clients(), &options).await?;
        let wall = started.elapsed().as_secs_f64();
        let calls = |op: Operation| report.stats.api_calls.get(op.as_str()).copied().unwrap_or(0) as f64;
        let floor = (calls(Operation::DescribeKey) / (Operation::DescribeKey.aws_quota_rps() * fraction))
            .max(calls(Operation::GetKeyRotationStatus) / (Operation::GetKeyRotationStatus.aws_quota_rps() * fraction));
        println!(
            "{keys} keys, {label}: {wall:.2} s, floor {floor:.2} s, ratio {:.2}; calls {:?}; throttled {}, retries {}, errors {}",
            wall / floor,
            report.stats.api_calls,
            report.stats.throttled,
            report.stats.retries,
            report.summary.error,
        );
    }
    Ok(())
}
