//! Fixtures shared by the integration tests: snapshot accounts built from JSON.

#![allow(dead_code, unreachable_pub)]

pub mod moto;
pub mod proxy;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use kms_rotation_core::{Call, Finding, Operation, Snapshot};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "111122223333";

/// A deterministic key id: `0000000N-0000-4000-8000-00000000000N`.
pub fn key_id(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

/// A deterministic multi-Region key id.
pub fn mrk_id(n: u32) -> String {
    format!("mrk-{n:032x}")
}

pub fn arn(region: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{ACCOUNT}:key/{id}")
}

/// `DescribeKey` metadata of a customer managed, enabled, symmetric AWS_KMS key.
pub fn metadata(region: &str, id: &str) -> Value {
    json!({
        "AWSAccountId": ACCOUNT,
        "KeyId": id,
        "Arn": arn(region, id),
        "CreationDate": 1_700_000_000.0,
        "Enabled": true,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "MultiRegion": false,
    })
}

/// Overrides fields of a JSON object.
pub fn with(mut base: Value, changes: Value) -> Value {
    if let (Some(object), Value::Object(changes)) = (base.as_object_mut(), changes) {
        for (k, v) in changes {
            if v.is_null() {
                object.remove(&k);
            } else {
                object.insert(k, v);
            }
        }
    }
    base
}

pub fn rotation(enabled: bool, period: Option<u32>) -> Value {
    match period {
        Some(days) => {
            json!({"KeyRotationEnabled": enabled, "RotationPeriodInDays": days, "NextRotationDate": "2027-06-01T00:00:00Z"})
        }
        None => json!({"KeyRotationEnabled": enabled}),
    }
}

pub fn mrk_config(role: &str, primary_region: &str, id: &str) -> Value {
    json!({"MultiRegionKeyType": role, "PrimaryKey": {"Arn": arn(primary_region, id), "Region": primary_region}})
}

/// A snapshot entry for one key; like a live account, it answers
/// `ListResourceTags` (no tags).
pub fn key(meta: Value, rotation: Option<Value>, alias: &str) -> Value {
    let mut entry = json!({"KeyMetadata": meta, "Aliases": [alias], "Tags": []});
    if let Some(rotation) = rotation {
        entry["RotationStatus"] = rotation;
    }
    entry
}

/// One key of every category the decision table distinguishes, in two regions.
/// Returns the JSON text; aliases name the category.
pub fn every_category() -> String {
    let e = "us-east-1";
    let w = "eu-west-1";
    let m = |n: u32| metadata(e, &key_id(n));
    let mut east = vec![
        key(
            with(m(1), json!({"KeyManager": "AWS"})),
            Some(rotation(true, Some(365))),
            "alias/aws/s3",
        ),
        key(
            with(
                m(2),
                json!({"KeySpec": "RSA_2048", "CustomerMasterKeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}),
            ),
            None,
            "alias/rsa",
        ),
        key(
            with(
                m(3),
                json!({"KeySpec": "ECC_NIST_P256", "CustomerMasterKeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}),
            ),
            None,
            "alias/ecc",
        ),
        key(
            with(
                m(4),
                json!({"KeySpec": "HMAC_256", "CustomerMasterKeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}),
            ),
            None,
            "alias/hmac",
        ),
        key(with(m(5), json!({"Origin": "EXTERNAL"})), None, "alias/imported"),
        key(
            with(
                m(6),
                json!({"Origin": "EXTERNAL", "KeyState": "PendingImport", "Enabled": false}),
            ),
            None,
            "alias/pending-import",
        ),
        key(
            with(
                m(7),
                json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": "cks-1234567890abcdef0"}),
            ),
            None,
            "alias/cloudhsm",
        ),
        key(
            with(
                m(8),
                json!({"Origin": "EXTERNAL_KEY_STORE", "CustomKeyStoreId": "cks-0fedcba0987654321"}),
            ),
            None,
            "alias/xks",
        ),
        key(
            with(m(9), json!({"KeyState": "PendingDeletion", "Enabled": false})),
            Some(rotation(true, Some(365))),
            "alias/pending-deletion",
        ),
        key(
            with(m(10), json!({"KeyState": "Disabled", "Enabled": false})),
            Some(rotation(true, Some(365))),
            "alias/disabled-on",
        ),
        key(
            with(m(11), json!({"KeyState": "Disabled", "Enabled": false})),
            Some(rotation(false, None)),
            "alias/disabled-off",
        ),
        key(m(12), Some(rotation(false, None)), "alias/off"),
        key(m(13), Some(rotation(true, Some(730))), "alias/p730"),
        key(m(14), Some(rotation(true, Some(366))), "alias/p366"),
        key(m(15), Some(rotation(true, Some(90))), "alias/p90"),
        key(m(16), Some(rotation(true, None)), "alias/no-period"),
        key(
            with(m(17), json!({"KeySpec": null})),
            Some(rotation(true, Some(365))),
            "alias/cmk-spec-only",
        ),
        key(
            with(
                metadata(e, &mrk_id(18)),
                json!({"MultiRegion": true, "MultiRegionConfiguration": mrk_config("PRIMARY", e, &mrk_id(18))}),
            ),
            Some(rotation(true, Some(365))),
            "alias/mrk-good",
        ),
        key(
            with(
                metadata(e, &mrk_id(19)),
                json!({"MultiRegion": true, "MultiRegionConfiguration": mrk_config("PRIMARY", e, &mrk_id(19))}),
            ),
            Some(rotation(false, None)),
            "alias/mrk-bad",
        ),
        key(
            with(
                m(20),
                json!({"KeySpec": "QUANTUM_FUTURE_512", "CustomerMasterKeySpec": null, "KeyState": "Hibernating"}),
            ),
            None,
            "alias/future",
        ),
    ];
    let mut denied_describe = key(m(21), Some(rotation(true, Some(365))), "alias/describe-denied");
    denied_describe["Errors"] = json!({"DescribeKey": {"Code": "AccessDeniedException", "Message": "not authorized to perform: kms:DescribeKey"}});
    let mut denied_status = key(m(22), Some(rotation(true, Some(365))), "alias/status-denied");
    denied_status["Errors"] = json!({"GetKeyRotationStatus": {"Code": "AccessDeniedException", "Message": "not authorized to perform: kms:GetKeyRotationStatus"}});
    let mut throttled = key(m(23), Some(rotation(true, Some(365))), "alias/throttled");
    throttled["Errors"] =
        json!({"GetKeyRotationStatus": {"Code": "ThrottlingException", "Message": "Rate exceeded", "Times": 3}});
    east.extend([denied_describe, denied_status, throttled]);

    let west = vec![
        // Replicas carry their own (mirrored) status; the snapshot client answers the primary's.
        key(
            with(
                metadata(w, &mrk_id(18)),
                json!({"MultiRegion": true, "MultiRegionConfiguration": mrk_config("REPLICA", e, &mrk_id(18))}),
            ),
            Some(rotation(true, Some(365))),
            "alias/mrk-good",
        ),
        key(
            with(
                metadata(w, &mrk_id(19)),
                json!({"MultiRegion": true, "MultiRegionConfiguration": mrk_config("REPLICA", e, &mrk_id(19))}),
            ),
            Some(rotation(false, None)),
            "alias/mrk-bad",
        ),
        key(
            with(
                metadata(w, &mrk_id(24)),
                json!({"KeyState": "PendingReplicaDeletion", "Enabled": false, "MultiRegion": true, "MultiRegionConfiguration": mrk_config("PRIMARY", w, &mrk_id(24))}),
            ),
            None,
            "alias/pending-replica-deletion",
        ),
    ];
    serde_json::to_string_pretty(&json!({"account_id": ACCOUNT, "regions": {e: {"keys": east}, w: {"keys": west}}}))
        .expect("fixture serializes")
}

/// The finding for the key with this alias.
pub fn by_alias<'a>(findings: &'a [Finding], region: &str, alias: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.region == region && f.aliases.iter().any(|a| a == alias))
        .unwrap_or_else(|| panic!("no finding for {alias} in {region}"))
}

/// How many calls of `op` named the key with this id or ARN.
pub fn calls_for(calls: &[Call], op: Operation, key: &str) -> usize {
    calls
        .iter()
        .filter(|c| c.operation == op && c.key.as_deref().is_some_and(|k| k == key || k.ends_with(key)))
        .count()
}

pub fn load(text: &str) -> Snapshot {
    Snapshot::from_json(text).expect("fixture parses")
}

// ---------------------------------------------------------------------------
// moto's server, for the emulator tests.

/// Where `scripts/moto.sh start` tells the tests to find the emulator.
pub const EMULATOR_ENDPOINT_VAR: &str = "KMS_ROTATION_MOTO_ENDPOINT";

/// The emulator's endpoint; `None` (skip) only outside CI.
pub fn endpoint() -> Option<String> {
    if let Ok(endpoint) = std::env::var(EMULATOR_ENDPOINT_VAR)
        && !endpoint.is_empty()
    {
        return Some(endpoint);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if in_ci {
        panic!(
            "{EMULATOR_ENDPOINT_VAR} is not set, but CI is: the emulator tests must run in CI. \
             Start moto's server with: eval \"$(scripts/moto.sh start)\""
        );
    }
    eprintln!(
        "skipping: {EMULATOR_ENDPOINT_VAR} is not set; start moto's server with \
         eval \"$(scripts/moto.sh start)\" to run the emulator tests"
    );
    None
}

/// A 12-digit account id no other test (or earlier run on the same server) uses.
pub fn fresh_account_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let micros = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
    let unique = micros
        .wrapping_mul(1_000)
        .wrapping_add(u64::from(std::process::id()) * 131)
        .wrapping_add(NEXT.fetch_add(1, Ordering::SeqCst) * 7_919);
    format!("{:012}", unique % 900_000_000_000 + 100_000_000_000)
}
