//! Shared pieces of the benchmarks: generated accounts, the quota floor, peak memory.

use std::time::Duration;

use kms_rotation_core::{
    KeyMetadata, KeyRotation, KeySpec, KeyUsage, Operation, RotationStatus, RotationType, Snapshot, SnapshotKey, Stats,
    Timestamp,
};

/// The account id of generated accounts.
pub const ACCOUNT: &str = "111122223333";

/// The shape of a generated account.
#[derive(Debug, Clone, Copy)]
pub struct AccountShape {
    /// Regions, named from a fixed list of real region names.
    pub regions: usize,
    /// Keys per region.
    pub keys_per_region: usize,
    /// Share of keys that can rotate (customer managed symmetric); the rest are RSA.
    pub eligible: f64,
    /// Share of eligible keys with rotation off (the rest rotate yearly).
    pub non_compliant: f64,
}

/// Region names for generated accounts (17 regions).
pub const REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

/// A key id from a number.
pub fn key_id(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

/// Builds an in-memory account of the given shape; one alias per key.
pub fn account(shape: AccountShape) -> Snapshot {
    account_with_history(shape, None)
}

/// [`account`], with a rotation history of `rotations` yearly automatic rotations
/// (the last one 30 days ago) recorded for every key that can rotate; `None`
/// records none (`ListKeyRotations` is then missing evidence).
pub fn account_with_history(shape: AccountShape, rotations: Option<usize>) -> Snapshot {
    account_in(ACCOUNT, shape, rotations)
}

/// [`account_with_history`] in the account `account_id` (an organisation's member).
pub fn account_in(account_id: &str, shape: AccountShape, rotations: Option<usize>) -> Snapshot {
    let snapshot = Snapshot::new(Some(account_id));
    for region in REGIONS.iter().take(shape.regions) {
        snapshot.add_region(region);
        for n in 0..shape.keys_per_region {
            let mut meta = KeyMetadata::symmetric(region, account_id, &key_id(n));
            // Spread the kinds evenly: key n is eligible when its position in a block of 1000 says so.
            let eligible = ((n % 1000) as f64) < shape.eligible * 1000.0;
            let rotation = if eligible {
                let off = ((n % 100) as f64) < shape.non_compliant * 100.0;
                Some(if off {
                    RotationStatus::default()
                } else {
                    RotationStatus::enabled_with_period(365)
                })
            } else {
                meta.spec = KeySpec::Rsa2048;
                meta.usage = KeyUsage::SignVerify;
                None
            };
            let mut key = SnapshotKey::new(meta, rotation).with_aliases([format!("alias/key-{n}")]);
            if let Some(count) = rotations.filter(|_| eligible) {
                let last = Timestamp::now().epoch_seconds() - 30 * 86_400;
                key = key.with_rotations((0..count).map(|year| KeyRotation {
                    key_id: Some(key_id(n)),
                    rotation_date: Timestamp::from_epoch_seconds(last - year as i64 * 365 * 86_400),
                    rotation_type: RotationType::Automatic,
                }));
            }
            snapshot.add_key(region, key).expect("generated keys are valid");
        }
    }
    snapshot
}

/// Serves the account as AWS would: latency per call and AWS's request quotas.
pub fn like_aws(snapshot: &Snapshot, latency: Duration) {
    snapshot.set_latency(latency);
    snapshot.set_aws_quotas();
    snapshot.set_record_calls(false);
}

/// The least time the calls made could take at `fraction` of each quota.
/// Quotas are per region and regions run in parallel; the generated regions
/// are alike, so one region's share of the calls sets the floor.
pub fn floor_seconds(stats: &Stats, regions: usize, fraction: f64) -> f64 {
    Operation::ALL
        .iter()
        .map(|op| {
            let calls = stats.api_calls.get(op.as_str()).copied().unwrap_or(0) as f64 / regions.max(1) as f64;
            calls / (op.aws_quota_rps() * fraction)
        })
        .fold(0.0, f64::max)
}

/// Peak resident memory of this process so far, in MiB (Linux; `None` elsewhere).
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
