//! The AWS SDK client's mapping, proven with `aws-smithy-mocks`: responses are
//! raw HTTP bodies shaped as the KMS API reference documents them, so the SDK's
//! own deserializers run. This covers what moto's server cannot model
//! (rotation periods, pages, AWS's error codes, AWS managed keys).

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_kms::Client;
use aws_sdk_kms::config::Region;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use kms_rotation_core::aws::{AwsClient, AwsOptions, AwsSession, RegionSelection};
use kms_rotation_core::{
    CheckOptions, Clients, Error, ErrorKind, KeyManager, KeySpec, KeyState, KeyUsage, KmsClient, MultiRegionRole,
    Origin, Outcome, Policy, Reason, RegionState, RemediateOptions, RetryConfig, Status, Tag, Timestamp, check_account,
    remediate,
};

const REGION: &str = "us-west-2";
const ACCOUNT: &str = "111122223333";
const KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_2: &str = "0987dcba-09fe-87dc-65ba-ab0987654321";
const KEY_3: &str = "11112222-3333-4444-5555-666677778888";
const MRK: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

/// A rule answering `$op` (optionally only requests passing `$filter`) with an HTTP status and body, always.
macro_rules! answer {
    ($op:ident, $status:expr, $body:expr) => {
        mock!(Client::$op)
            .sequence()
            .http_status($status, Some($body.to_string()))
            .repeatedly()
            .build()
    };
    ($op:ident where $filter:expr, $status:expr, $body:expr) => {
        mock!(Client::$op)
            .match_requests($filter)
            .sequence()
            .http_status($status, Some($body.to_string()))
            .repeatedly()
            .build()
    };
}

fn kms(rules: &[&Rule]) -> AwsClient {
    AwsClient::new(mock_client!(aws_sdk_kms, RuleMode::MatchAny, rules, |b| {
        b.region(Region::new(REGION))
    }))
    .expect("the mock client has a region")
}

fn clients(rules: &[&Rule]) -> Clients {
    Clients::new().with_client(Arc::new(kms(rules)))
}

fn arn(key_id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}")
}

/// A `DescribeKey` body for a customer managed symmetric key, as the API reference shows it.
fn describe_body(key_id: &str) -> String {
    serde_json::json!({
        "KeyMetadata": {
            "AWSAccountId": ACCOUNT,
            "Arn": arn(key_id),
            "CreationDate": 1.499288695918E9,
            "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "Description": "",
            "Enabled": true,
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
            "KeyId": key_id,
            "KeyManager": "CUSTOMER",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyState": "Enabled",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "MultiRegion": false,
            "Origin": "AWS_KMS"
        }
    })
    .to_string()
}

fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "__type": code, "message": message }).to_string()
}

fn rotation_body(enabled: bool, period: Option<u32>) -> String {
    let mut body = serde_json::json!({ "KeyId": arn(KEY), "KeyRotationEnabled": enabled });
    if let Some(days) = period {
        body["RotationPeriodInDays"] = days.into();
        body["NextRotationDate"] = 1.7123300877E9.into();
    }
    body.to_string()
}

fn list_keys_body(keys: &[&str], next: Option<&str>) -> String {
    let entries: Vec<_> = keys
        .iter()
        .map(|k| serde_json::json!({ "KeyArn": arn(k), "KeyId": k }))
        .collect();
    match next {
        Some(marker) => {
            serde_json::json!({ "Keys": entries, "NextMarker": marker, "Truncated": true })
        }
        None => serde_json::json!({ "Keys": entries, "Truncated": false }),
    }
    .to_string()
}

fn list_aliases_body(aliases: &[(&str, &str)], next: Option<&str>) -> String {
    let entries: Vec<_> = aliases
        .iter()
        .map(|(name, target)| {
            serde_json::json!({
                "AliasArn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:{name}"),
                "AliasName": name,
                "CreationDate": 1.52E9,
                "LastUpdatedDate": 1.52E9,
                "TargetKeyId": target
            })
        })
        .collect();
    match next {
        Some(marker) => {
            serde_json::json!({ "Aliases": entries, "NextMarker": marker, "Truncated": true })
        }
        None => serde_json::json!({ "Aliases": entries, "Truncated": false }),
    }
    .to_string()
}

fn fast_retries(attempts: u32) -> CheckOptions {
    CheckOptions::default().with_retry(
        RetryConfig::default()
            .with_max_attempts(attempts)
            .with_delays(Duration::from_millis(1), Duration::from_millis(5)),
    )
}

// ---------------------------------------------------------------------------
// DescribeKey

#[tokio::test]
async fn describe_key_maps_every_field_of_a_multi_region_replica() {
    let body = serde_json::json!({
        "KeyMetadata": {
            "AWSAccountId": ACCOUNT,
            "Arn": arn(MRK),
            "CreationDate": 1.6E9,
            "CustomKeyStoreId": "cks-1234567890abcdef0",
            "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "Description": "payments database",
            "Enabled": false,
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
            "KeyId": MRK,
            "KeyManager": "CUSTOMER",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyState": "Disabled",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "MultiRegion": true,
            "MultiRegionConfiguration": {
                "MultiRegionKeyType": "REPLICA",
                "PrimaryKey": {
                    "Arn": format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{MRK}"),
                    "Region": "us-east-1"
                },
                "ReplicaKeys": [{ "Arn": arn(MRK), "Region": REGION }]
            },
            "Origin": "AWS_KMS"
        }
    });
    let rule = answer!(describe_key where |r| r.key_id() == Some(MRK), 200, body);
    let meta = kms(&[&rule]).describe_key(MRK).await.unwrap();

    assert_eq!(meta.key_id, MRK);
    assert_eq!(meta.arn, arn(MRK));
    assert_eq!(meta.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(meta.manager, KeyManager::Customer);
    assert_eq!(meta.state, KeyState::Disabled);
    assert_eq!(meta.spec, KeySpec::SymmetricDefault);
    assert_eq!(meta.usage, KeyUsage::EncryptDecrypt);
    assert_eq!(meta.origin, Origin::AwsKms);
    assert_eq!(meta.custom_key_store_id.as_deref(), Some("cks-1234567890abcdef0"));
    assert_eq!(meta.creation_date, Some(Timestamp::from_epoch_seconds(1_600_000_000)));
    assert_eq!(meta.description.as_deref(), Some("payments database"));
    let multi = meta.multi_region.as_ref().unwrap();
    assert_eq!(multi.role, MultiRegionRole::Replica);
    assert_eq!(multi.primary_arn, format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{MRK}"));
    assert_eq!(multi.primary_region, "us-east-1");
    assert!(meta.is_replica());
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn describe_key_maps_key_types_the_rules_tell_apart() {
    let shape = |key_id: &str, fields: serde_json::Value| {
        let mut body: serde_json::Value = serde_json::from_str(&describe_body(key_id)).unwrap();
        for (name, value) in fields.as_object().unwrap() {
            body["KeyMetadata"][name] = value.clone();
        }
        body.to_string()
    };
    let aws_managed = shape(
        KEY,
        serde_json::json!({"KeyManager": "AWS", "Description": "Default key that protects my ACM private keys"}),
    );
    let hmac = shape(
        KEY_2,
        serde_json::json!({"KeySpec": "HMAC_256", "CustomerMasterKeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}),
    );
    let imported = shape(
        KEY_3,
        serde_json::json!({"Origin": "EXTERNAL", "KeyState": "PendingImport", "Enabled": false}),
    );
    let cloudhsm = shape(
        "22223333-4444-5555-6666-777788889999",
        serde_json::json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": "cks-0123", "CloudHsmClusterId": "cluster-1"}),
    );
    let rules = [
        answer!(describe_key where |r| r.key_id() == Some(KEY), 200, aws_managed),
        answer!(describe_key where |r| r.key_id() == Some(KEY_2), 200, hmac),
        answer!(describe_key where |r| r.key_id() == Some(KEY_3), 200, imported),
        answer!(describe_key where |r| r.key_id() == Some("22223333-4444-5555-6666-777788889999"), 200, cloudhsm),
    ];
    let client = kms(&rules.iter().collect::<Vec<_>>());

    let meta = client.describe_key(KEY).await.unwrap();
    assert_eq!(meta.manager, KeyManager::Aws);
    let meta = client.describe_key(KEY_2).await.unwrap();
    assert_eq!((meta.spec, meta.usage), (KeySpec::Hmac256, KeyUsage::GenerateVerifyMac));
    let meta = client.describe_key(KEY_3).await.unwrap();
    assert_eq!((meta.origin, meta.state), (Origin::External, KeyState::PendingImport));
    let meta = client
        .describe_key("22223333-4444-5555-6666-777788889999")
        .await
        .unwrap();
    assert_eq!(meta.origin, Origin::AwsCloudhsm);
    assert_eq!(meta.custom_key_store_id.as_deref(), Some("cks-0123"));
    assert!(meta.multi_region.is_none());
}

#[tokio::test]
async fn describe_key_reads_the_legacy_spec_and_keeps_unknown_values() {
    // Older responses carry only the deprecated CustomerMasterKeySpec.
    let legacy = serde_json::json!({
        "KeyMetadata": {
            "Arn": arn(KEY), "KeyId": KEY, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
            "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS",
            "CustomerMasterKeySpec": "RSA_2048"
        }
    });
    // Values a later KMS may add flow through as data.
    let future = serde_json::json!({
        "KeyMetadata": {
            "Arn": arn(KEY_2), "KeyId": KEY_2, "KeyManager": "PARTNER", "KeyState": "Hibernating",
            "KeyUsage": "WRAP_UNWRAP", "Origin": "QUANTUM_VAULT", "KeySpec": "ML_KEM_1024",
            "MultiRegion": true,
            "MultiRegionConfiguration": { "MultiRegionKeyType": "SECONDARY" ,
                "PrimaryKey": { "Arn": arn(KEY_3), "Region": "eu-central-1" } }
        }
    });
    let rules = [
        answer!(describe_key where |r| r.key_id() == Some(KEY), 200, legacy),
        answer!(describe_key where |r| r.key_id() == Some(KEY_2), 200, future),
    ];
    let client = kms(&[&rules[0], &rules[1]]);

    let meta = client.describe_key(KEY).await.unwrap();
    assert_eq!(meta.spec, KeySpec::Rsa2048);
    assert_eq!(meta.account_id, None);
    assert_eq!(meta.creation_date, None);

    let meta = client.describe_key(KEY_2).await.unwrap();
    assert_eq!(meta.manager, KeyManager::Other("PARTNER".into()));
    assert_eq!(meta.state, KeyState::Other("Hibernating".into()));
    assert_eq!(meta.usage, KeyUsage::Other("WRAP_UNWRAP".into()));
    assert_eq!(meta.origin, Origin::Other("QUANTUM_VAULT".into()));
    assert_eq!(meta.spec, KeySpec::Other("ML_KEM_1024".into()));
    let multi = meta.multi_region.unwrap();
    assert_eq!(multi.role, MultiRegionRole::Other("SECONDARY".into()));
    assert_eq!(multi.primary_region, "eu-central-1");
}

#[tokio::test]
async fn a_missing_key_usage_decides_nothing_and_does_not_fail_the_key() {
    // moto answers `"KeyUsage": null` for keys created without one; KMS never does.
    let shape = |key_id: &str, spec: &str| {
        serde_json::json!({
            "KeyMetadata": {
                "Arn": arn(key_id), "KeyId": key_id, "KeyManager": "CUSTOMER",
                "KeyState": "Enabled", "KeyUsage": null, "Origin": "AWS_KMS", "KeySpec": spec
            }
        })
    };
    let rules = [
        answer!(describe_key where |r| r.key_id() == Some(KEY), 200, shape(KEY, "SYMMETRIC_DEFAULT")),
        answer!(describe_key where |r| r.key_id() == Some(KEY_2), 200, shape(KEY_2, "HMAC_512")),
        answer!(describe_key where |r| r.key_id() == Some(KEY_3), 200, shape(KEY_3, "RSA_4096")),
    ];
    let client = kms(&rules.iter().collect::<Vec<_>>());
    assert_eq!(client.describe_key(KEY).await.unwrap().usage, KeyUsage::EncryptDecrypt);
    assert_eq!(
        client.describe_key(KEY_2).await.unwrap().usage,
        KeyUsage::GenerateVerifyMac
    );
    assert_eq!(
        client.describe_key(KEY_3).await.unwrap().usage,
        KeyUsage::Other(String::new())
    );
}

#[tokio::test]
async fn describe_key_of_a_primary_and_responses_missing_decisive_fields() {
    // A primary without PrimaryKey is its own primary.
    let primary = serde_json::json!({
        "KeyMetadata": {
            "Arn": arn(MRK), "KeyId": MRK, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
            "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS", "KeySpec": "SYMMETRIC_DEFAULT",
            "MultiRegion": true, "MultiRegionConfiguration": { "MultiRegionKeyType": "PRIMARY" }
        }
    });
    let no_manager = serde_json::json!({
        "KeyMetadata": { "Arn": arn(KEY), "KeyId": KEY, "KeyState": "Enabled",
            "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS", "KeySpec": "SYMMETRIC_DEFAULT" }
    });
    let no_spec = serde_json::json!({
        "KeyMetadata": { "Arn": arn(KEY_2), "KeyId": KEY_2, "KeyManager": "CUSTOMER",
            "KeyState": "Enabled", "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS" }
    });
    let replica_without_primary = serde_json::json!({
        "KeyMetadata": {
            "Arn": arn(KEY_3), "KeyId": KEY_3, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
            "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS", "KeySpec": "SYMMETRIC_DEFAULT",
            "MultiRegionConfiguration": { "MultiRegionKeyType": "REPLICA" }
        }
    });
    let rules = [
        answer!(describe_key where |r| r.key_id() == Some(MRK), 200, primary),
        answer!(describe_key where |r| r.key_id() == Some(KEY), 200, no_manager),
        answer!(describe_key where |r| r.key_id() == Some(KEY_2), 200, no_spec),
        answer!(describe_key where |r| r.key_id() == Some(KEY_3), 200, replica_without_primary),
        answer!(describe_key, 200, "{}"),
    ];
    let client = kms(&rules.iter().collect::<Vec<_>>());

    let meta = client.describe_key(MRK).await.unwrap();
    let multi = meta.multi_region.unwrap();
    assert_eq!(multi.role, MultiRegionRole::Primary);
    assert_eq!(
        (multi.primary_arn.as_str(), multi.primary_region.as_str()),
        (arn(MRK).as_str(), REGION)
    );

    for (key, field) in [
        (KEY, "KeyManager"),
        (KEY_2, "KeySpec"),
        (KEY_3, "PrimaryKey"),
        ("alias/none", "KeyMetadata"),
    ] {
        let error = client.describe_key(key).await.unwrap_err();
        assert_eq!(error.code, "InvalidResponse", "{key}");
        assert!(error.message.contains(field), "{key}: {}", error.message);
        // Not a guess: an invalid answer, retried, then an ERROR invalid_response.
        assert_eq!(error.kind, ErrorKind::InvalidResponse);
        assert!(error.retryable);
    }
}

// ---------------------------------------------------------------------------
// GetKeyRotationStatus

#[tokio::test]
async fn rotation_status_maps_period_730_and_both_dates() {
    let body = serde_json::json!({
        "KeyId": arn(KEY),
        "KeyRotationEnabled": true,
        "NextRotationDate": 1.7123300877E9,
        "OnDemandRotationStartDate": 1.7100000005E9,
        "RotationPeriodInDays": 730
    });
    let rule = answer!(get_key_rotation_status where |r| r.key_id() == Some(KEY), 200, body);
    let status = kms(&[&rule]).get_key_rotation_status(KEY).await.unwrap();
    assert!(status.enabled);
    assert_eq!(status.period_days, Some(730));
    assert_eq!(
        status.next_rotation_date,
        Some(Timestamp::from_epoch_seconds(1_712_330_087))
    );
    assert_eq!(
        status.on_demand_rotation_started_at,
        Some(Timestamp::from_epoch_seconds(1_710_000_000))
    );
}

#[tokio::test]
async fn rotation_status_of_a_legacy_or_disabled_key_has_no_period() {
    let rules = [
        answer!(get_key_rotation_status where |r| r.key_id() == Some(KEY), 200, r#"{"KeyRotationEnabled": true}"#),
        answer!(get_key_rotation_status where |r| r.key_id() == Some(KEY_2), 200, rotation_body(false, None)),
    ];
    let client = kms(&[&rules[0], &rules[1]]);
    let legacy = client.get_key_rotation_status(KEY).await.unwrap();
    assert!(legacy.enabled);
    assert_eq!(legacy.period_days, None);
    assert_eq!(legacy.effective_period_days(), 365);
    let off = client.get_key_rotation_status(KEY_2).await.unwrap();
    assert!(!off.enabled);
    assert_eq!(
        (
            off.period_days,
            off.next_rotation_date,
            off.on_demand_rotation_started_at
        ),
        (None, None, None)
    );
}

#[tokio::test]
async fn period_730_is_judged_against_the_policy_through_check_account() {
    let rules = [
        answer!(list_keys, 200, list_keys_body(&[KEY], None)),
        answer!(list_aliases, 200, list_aliases_body(&[("alias/payments", KEY)], None)),
        answer!(describe_key, 200, describe_body(KEY)),
        answer!(get_key_rotation_status, 200, rotation_body(true, Some(730))),
    ];
    let clients = clients(&rules.iter().collect::<Vec<_>>());

    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    let finding = &report.findings[0];
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Fail, Reason::RotationPeriodTooLong)
    );
    assert_eq!(finding.rotation.as_ref().unwrap().period_days, Some(730));
    assert_eq!(finding.aliases, vec!["alias/payments".to_owned()]);
    assert_eq!(report.account_id.as_deref(), Some(ACCOUNT));

    let lenient = CheckOptions::default().with_policy(Policy::default().with_max_rotation_period_days(730).unwrap());
    let report = check_account(&clients, &lenient).await.unwrap();
    assert_eq!(report.findings[0].status, Status::Pass);
}

// ---------------------------------------------------------------------------
// Listings

#[tokio::test]
async fn list_keys_and_aliases_follow_every_page_at_the_maximum_page_size() {
    let keys_1 = [
        "10000000-0000-0000-0000-000000000001",
        "10000000-0000-0000-0000-000000000002",
    ];
    let keys_2 = ["10000000-0000-0000-0000-000000000003"];
    let keys_3 = [
        "10000000-0000-0000-0000-000000000004",
        "10000000-0000-0000-0000-000000000005",
    ];
    let rules = [
        answer!(list_keys where |r| r.limit() == Some(1000) && r.marker().is_none(), 200,
            list_keys_body(&keys_1, Some("page-2"))),
        answer!(list_keys where |r| r.limit() == Some(1000) && r.marker() == Some("page-2"), 200,
            list_keys_body(&keys_2, Some("page-3"))),
        answer!(list_keys where |r| r.limit() == Some(1000) && r.marker() == Some("page-3"), 200,
            list_keys_body(&keys_3, None)),
        answer!(list_aliases where |r| r.limit() == Some(100) && r.key_id().is_none() && r.marker().is_none(), 200,
            list_aliases_body(&[("alias/a", keys_1[0]), ("alias/b", keys_2[0])], Some("aliases-2"))),
        answer!(list_aliases where |r| r.limit() == Some(100) && r.key_id().is_none() && r.marker() == Some("aliases-2"), 200,
            list_aliases_body(&[("alias/c", keys_1[0]), ("alias/aws/ebs", keys_3[1])], None)),
        answer!(describe_key where move |r| r.key_id() == Some(keys_1[0]), 200, describe_body(keys_1[0])),
        answer!(describe_key where move |r| r.key_id() == Some(keys_1[1]), 200, describe_body(keys_1[1])),
        answer!(describe_key where move |r| r.key_id() == Some(keys_2[0]), 200, describe_body(keys_2[0])),
        answer!(describe_key where move |r| r.key_id() == Some(keys_3[0]), 200, describe_body(keys_3[0])),
        answer!(describe_key where move |r| r.key_id() == Some(keys_3[1]), 200, describe_body(keys_3[1])),
        answer!(get_key_rotation_status, 200, rotation_body(true, Some(365))),
    ];
    let clients = clients(&rules.iter().collect::<Vec<_>>());

    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    assert_eq!(report.regions[0].keys_listed, 5);
    assert_eq!(report.findings.len(), 5);
    assert!(report.findings.iter().all(|f| f.status == Status::Pass));
    let aliases_of = |key: &str| {
        report
            .findings
            .iter()
            .find(|f| f.key_id == key)
            .unwrap()
            .aliases
            .clone()
    };
    assert_eq!(aliases_of(keys_1[0]), ["alias/a", "alias/c"]);
    assert_eq!(aliases_of(keys_2[0]), ["alias/b"]);
    assert_eq!(aliases_of(keys_3[1]), ["alias/aws/ebs"]);
    for rule in &rules[..5] {
        assert_eq!(rule.num_calls(), 1);
    }
    assert_eq!(report.stats.api_calls["ListKeys"], 3);
    assert_eq!(report.stats.api_calls["ListAliases"], 2);
}

#[tokio::test]
async fn list_aliases_for_one_key_sends_the_key_id() {
    let rules = [
        answer!(list_aliases where |r| r.key_id() == Some(KEY) && r.marker().is_none(), 200,
            list_aliases_body(&[("alias/one", KEY)], Some("m2"))),
        answer!(list_aliases where |r| r.key_id() == Some(KEY) && r.marker() == Some("m2"), 200,
            list_aliases_body(&[("alias/two", KEY)], None)),
    ];
    let client = kms(&[&rules[0], &rules[1]]);
    let first = client.list_aliases(Some(KEY), None).await.unwrap();
    assert_eq!(first.items[0].alias_name, "alias/one");
    assert_eq!(
        first.items[0].alias_arn.as_deref(),
        Some(format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/one").as_str())
    );
    assert_eq!(first.items[0].target_key_id.as_deref(), Some(KEY));
    assert_eq!(first.next_marker.as_deref(), Some("m2"));
    let second = client.list_aliases(Some(KEY), Some("m2")).await.unwrap();
    assert_eq!(second.items[0].alias_name, "alias/two");
    assert_eq!(second.next_marker, None);
}

#[tokio::test]
async fn an_aws_managed_alias_not_yet_in_use_has_no_target() {
    let rule = answer!(
        list_aliases,
        200,
        r#"{"Aliases":[{"AliasArn":"arn:aws:kms:us-west-2:111122223333:alias/aws/dynamodb","AliasName":"alias/aws/dynamodb"}],"Truncated":false}"#
    );
    let page = kms(&[&rule]).list_aliases(None, None).await.unwrap();
    assert_eq!(page.items[0].alias_name, "alias/aws/dynamodb");
    assert_eq!(page.items[0].target_key_id, None);
}

#[tokio::test]
async fn a_truncated_listing_without_a_marker_is_an_error_not_a_silent_end() {
    let rules = [
        answer!(list_keys, 200, r#"{"Keys":[],"Truncated":true}"#),
        answer!(list_aliases, 200, r#"{"Aliases":[],"Truncated":true}"#),
        answer!(list_resource_tags, 200, r#"{"Tags":[],"Truncated":true}"#),
    ];
    let client = kms(&rules.iter().collect::<Vec<_>>());
    for error in [
        client.list_keys(None).await.unwrap_err(),
        client.list_aliases(None, None).await.unwrap_err(),
        client.list_resource_tags(KEY, None).await.unwrap_err(),
    ] {
        assert_eq!(error.code, "InvalidResponse");
        assert!(error.message.contains("NextMarker"), "{}", error.message);
    }
}

#[tokio::test]
async fn list_resource_tags_reads_one_page_per_call() {
    let rules = [
        answer!(list_resource_tags where |r| r.key_id() == Some(KEY) && r.limit() == Some(50) && r.marker().is_none(), 200,
            r#"{"Tags":[{"TagKey":"team","TagValue":"payments"},{"TagKey":"env","TagValue":"prod"}],"NextMarker":"t2","Truncated":true}"#),
        answer!(list_resource_tags where |r| r.key_id() == Some(KEY) && r.marker() == Some("t2"), 200,
            r#"{"Tags":[{"TagKey":"rotation","TagValue":"exempt"}],"Truncated":false}"#),
    ];
    let client = kms(&[&rules[0], &rules[1]]);
    let tag = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    let first = client.list_resource_tags(KEY, None).await.unwrap();
    assert_eq!(first.items, vec![tag("team", "payments"), tag("env", "prod")]);
    assert_eq!(first.next_marker.as_deref(), Some("t2"));
    let last = client.list_resource_tags(KEY, Some("t2")).await.unwrap();
    assert_eq!(last.items, vec![tag("rotation", "exempt")]);
    assert_eq!(last.next_marker, None);
}

#[tokio::test]
async fn list_key_rotations_asks_for_pages_of_1000_and_maps_dates_and_types() {
    let rules = [
        answer!(list_key_rotations where |r| r.key_id() == Some(KEY) && r.limit() == Some(1000) && r.marker().is_none(), 200,
            r#"{"Rotations":[{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","RotationDate":1.7356896E9,"RotationType":"AUTOMATIC"}],"NextMarker":"r2","Truncated":true}"#),
        answer!(list_key_rotations where |r| r.key_id() == Some(KEY) && r.marker() == Some("r2"), 200,
            r#"{"Rotations":[{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","RotationDate":1763640000,"RotationType":"ON_DEMAND"}],"Truncated":false}"#),
        answer!(list_key_rotations where |r| r.key_id() == Some(KEY_2), 200,
            r#"{"Rotations":[{"KeyId":"0987dcba-09fe-87dc-65ba-ab0987654321","RotationType":"ON_DEMAND"}],"Truncated":false}"#),
        answer!(list_key_rotations where |r| r.key_id() == Some(KEY_3), 200, r#"{"Rotations":[],"Truncated":true}"#),
    ];
    let client = kms(&rules.iter().collect::<Vec<_>>());
    let first = client.list_key_rotations(KEY, None).await.unwrap();
    assert_eq!(
        first.items[0].rotation_date,
        Timestamp::from_epoch_seconds(1_735_689_600)
    );
    assert_eq!(first.items[0].rotation_type, kms_rotation_core::RotationType::Automatic);
    assert_eq!(first.next_marker.as_deref(), Some("r2"));
    let last = client.list_key_rotations(KEY, Some("r2")).await.unwrap();
    assert_eq!(last.items[0].rotation_type, kms_rotation_core::RotationType::OnDemand);
    assert_eq!(last.next_marker, None);
    // A rotation without its date is no evidence; a truncated page without a marker is no end.
    let undated = client.list_key_rotations(KEY_2, None).await.unwrap_err();
    assert_eq!(undated.code, "InvalidResponse");
    assert!(undated.message.contains("RotationDate"), "{}", undated.message);
    let unending = client.list_key_rotations(KEY_3, None).await.unwrap_err();
    assert!(unending.message.contains("NextMarker"), "{}", unending.message);
}

#[tokio::test]
async fn rotate_key_on_demand_sends_the_key_and_keeps_the_quota_error() {
    let rules = [
        answer!(rotate_key_on_demand where |r| r.key_id() == Some(KEY), 200, format!(r#"{{"KeyId":"{KEY}"}}"#)),
        answer!(rotate_key_on_demand where |r| r.key_id() == Some(KEY_2), 400,
            error_body("LimitExceededException", "You have reached the maximum number of on-demand rotations")),
    ];
    let client = kms(&rules.iter().collect::<Vec<_>>());
    client.rotate_key_on_demand(KEY).await.unwrap();
    let error = client.rotate_key_on_demand(KEY_2).await.unwrap_err();
    assert_eq!(error.code, "LimitExceededException");
    assert!(!error.retryable);
}

// ---------------------------------------------------------------------------
// Errors

#[tokio::test]
async fn service_errors_keep_code_and_message_and_are_classified() {
    let cases: &[(&str, u16, ErrorKind, bool)] = &[
        ("AccessDeniedException", 400, ErrorKind::AccessDenied, false),
        ("ThrottlingException", 400, ErrorKind::Throttling, true),
        ("UnsupportedOperationException", 400, ErrorKind::Unsupported, false),
        ("DisabledException", 400, ErrorKind::InvalidState, false),
        ("KMSInvalidStateException", 400, ErrorKind::InvalidState, false),
        ("NotFoundException", 400, ErrorKind::NotFound, false),
        ("UnrecognizedClientException", 400, ErrorKind::RegionNotEnabled, false),
        ("InvalidArnException", 400, ErrorKind::Other, false),
        ("LimitExceededException", 400, ErrorKind::Other, false),
        ("KMSInternalException", 500, ErrorKind::Retryable, true),
        ("DependencyTimeoutException", 503, ErrorKind::Retryable, true),
        // An unknown code on a 5xx is still a server-side failure.
        ("SomethingNewException", 502, ErrorKind::Retryable, true),
    ];
    for &(code, status, kind, retryable) in cases {
        let message = format!("{code} for arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY}");
        let rule = answer!(get_key_rotation_status, status, error_body(code, &message));
        let error = kms(&[&rule]).get_key_rotation_status(KEY).await.unwrap_err();
        assert_eq!(error.code, code);
        assert_eq!(error.message, message, "{code}");
        assert_eq!(error.kind, kind, "{code}");
        assert_eq!(error.retryable, retryable, "{code}");
        assert_eq!(rule.num_calls(), 1, "{code}: the SDK must not retry");
    }

    // The error type may carry the service namespace; the code is the bare name.
    let rule = answer!(
        describe_key,
        400,
        error_body("com.amazonaws.kms#NotFoundException", "Key 'alias/gone' does not exist")
    );
    let error = kms(&[&rule]).describe_key("alias/gone").await.unwrap_err();
    assert_eq!(error.code, "NotFoundException");
    assert_eq!(error.message, "Key 'alias/gone' does not exist");
}

#[tokio::test]
async fn http_failures_without_an_error_code_are_classified_by_status() {
    let cases: &[(u16, ErrorKind, bool)] = &[
        (503, ErrorKind::Retryable, true),
        (500, ErrorKind::Retryable, true),
        (429, ErrorKind::Throttling, true),
        (403, ErrorKind::AccessDenied, false),
    ];
    for &(status, kind, retryable) in cases {
        let rule = mock!(Client::list_keys)
            .sequence()
            .http_status(status, None)
            .repeatedly()
            .build();
        let error = kms(&[&rule]).list_keys(None).await.unwrap_err();
        assert_eq!(error.code, format!("Http{status}"));
        assert_eq!((error.kind, error.retryable), (kind, retryable), "{status}");
        assert_eq!(rule.num_calls(), 1);
    }
}

#[tokio::test]
async fn aws_client_new_turns_off_the_sdk_retries_of_a_configured_client() {
    let rule = mock!(Client::list_keys)
        .sequence()
        .http_status(400, Some(error_body("ThrottlingException", "Rate exceeded")))
        .http_status(200, Some(list_keys_body(&[KEY], None)))
        .build();
    let sdk = mock_client!(aws_sdk_kms, RuleMode::Sequential, &[&rule], |b| b
        .region(Region::new(REGION))
        .retry_config(aws_sdk_kms::config::retry::RetryConfig::standard().with_max_attempts(5)));
    let client = AwsClient::new(sdk).unwrap();
    let error = client.list_keys(None).await.unwrap_err();
    assert_eq!(error.code, "ThrottlingException");
    assert!(error.retryable);
    assert_eq!(rule.num_calls(), 1);
    // The second call is the caller's retry, and it succeeds.
    assert_eq!(client.list_keys(None).await.unwrap().items.len(), 1);
}

/// A credentials provider that has nothing to give (an expired SSO session, say).
#[derive(Debug)]
struct NoCredentials;

impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded("the SSO session has expired"),
        ))
    }
}

#[tokio::test]
async fn credentials_that_fail_mid_scan_are_a_credentials_error_not_retried() {
    let rule = answer!(list_keys, 200, list_keys_body(&[KEY], None));
    let sdk = mock_client!(aws_sdk_kms, RuleMode::MatchAny, &[&rule], |b| b
        .region(Region::new(REGION))
        .credentials_provider(NoCredentials));
    let error = AwsClient::new(sdk).unwrap().list_keys(None).await.unwrap_err();
    assert_eq!(error.code, "CredentialsError", "{error}");
    assert!(error.message.contains("no credentials were found"), "{}", error.message);
    // A provider's own words may hold a secret (a failing credential_process prints what it read).
    assert!(!error.message.contains("SSO session has expired"), "{}", error.message);
    assert!(!error.retryable);
}

#[tokio::test]
async fn throttling_then_success_is_retried_by_the_engine_alone() {
    let throttled = || error_body("ThrottlingException", "Rate exceeded");
    let rules = [
        mock!(Client::list_keys)
            .sequence()
            .http_status(400, Some(throttled()))
            .times(2)
            .http_status(200, Some(list_keys_body(&[KEY], None)))
            .build(),
        mock!(Client::list_aliases)
            .sequence()
            .http_status(400, Some(throttled()))
            .http_status(200, Some(list_aliases_body(&[], None)))
            .build(),
        mock!(Client::describe_key)
            .sequence()
            .http_status(400, Some(throttled()))
            .http_status(200, Some(describe_body(KEY)))
            .build(),
        mock!(Client::get_key_rotation_status)
            .sequence()
            .http_status(400, Some(throttled()))
            .times(3)
            .http_status(200, Some(rotation_body(true, Some(180))))
            .build(),
    ];
    let clients = clients(&rules.iter().collect::<Vec<_>>());

    let report = check_account(&clients, &fast_retries(8)).await.unwrap();
    assert_eq!(report.findings[0].status, Status::Pass);
    assert_eq!(report.findings[0].rotation.as_ref().unwrap().period_days, Some(180));
    assert_eq!(report.stats.throttled, 7);
    assert_eq!(report.stats.retries, 7);
    // Every request the engine counted reached the server once: no SDK retries underneath.
    let served: usize = rules.iter().map(Rule::num_calls).sum();
    assert_eq!(served as u64, report.stats.total_calls());
    assert_eq!(served, 11);
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_an_error_finding() {
    let rules = [
        answer!(list_keys, 200, list_keys_body(&[KEY], None)),
        answer!(list_aliases, 200, list_aliases_body(&[], None)),
        answer!(describe_key, 200, describe_body(KEY)),
        answer!(
            get_key_rotation_status,
            400,
            error_body("ThrottlingException", "Rate exceeded")
        ),
    ];
    let clients = clients(&rules.iter().collect::<Vec<_>>());
    let report = check_account(&clients, &fast_retries(3)).await.unwrap();
    let finding = &report.findings[0];
    assert_eq!((finding.status, finding.reason), (Status::Error, Reason::ApiError));
    assert_eq!(finding.error.as_ref().unwrap().code, "ThrottlingException");
    assert_eq!(rules[3].num_calls(), 3);
}

#[tokio::test]
async fn aws_managed_keys_are_not_applicable_and_their_status_is_never_read() {
    let mut managed: serde_json::Value = serde_json::from_str(&describe_body(KEY)).unwrap();
    managed["KeyMetadata"]["KeyManager"] = "AWS".into();
    managed["KeyMetadata"]["Description"] =
        "Default key that protects my ACM private keys when no other key is defined".into();
    let rules = [
        answer!(list_keys, 200, list_keys_body(&[KEY], None)),
        answer!(list_aliases, 200, list_aliases_body(&[("alias/aws/acm", KEY)], None)),
        answer!(describe_key, 200, managed),
        // The aws/acm key's policy denies this to everyone.
        answer!(
            get_key_rotation_status,
            400,
            error_body(
                "AccessDeniedException",
                "User is not authorized to perform: kms:GetKeyRotationStatus because no resource-based policy allows it"
            )
        ),
    ];
    let clients = clients(&rules.iter().collect::<Vec<_>>());
    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    let finding = &report.findings[0];
    assert_eq!(
        (finding.status, finding.reason),
        (Status::NotApplicable, Reason::AwsManaged)
    );
    assert_eq!(finding.aliases, ["alias/aws/acm"]);
    assert_eq!(rules[3].num_calls(), 0);
}

#[tokio::test]
async fn a_denied_rotation_status_is_an_error_finding_never_a_fail() {
    let rules = [
        answer!(list_keys, 200, list_keys_body(&[KEY], None)),
        answer!(list_aliases, 200, list_aliases_body(&[], None)),
        answer!(describe_key, 200, describe_body(KEY)),
        answer!(
            get_key_rotation_status,
            400,
            error_body("AccessDeniedException", "denied by key policy")
        ),
    ];
    let report = check_account(&clients(&rules.iter().collect::<Vec<_>>()), &CheckOptions::default())
        .await
        .unwrap();
    let finding = &report.findings[0];
    assert_eq!(finding.status, Status::Error);
    let error = finding.error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("AccessDeniedException", "denied by key policy")
    );
}

#[tokio::test]
async fn unsupported_operation_exception_maps_and_remediation_skips_the_key() {
    let rules = [
        answer!(list_keys, 200, list_keys_body(&[KEY], None)),
        answer!(list_aliases, 200, list_aliases_body(&[], None)),
        answer!(describe_key, 200, describe_body(KEY)),
        answer!(get_key_rotation_status, 200, rotation_body(false, None)),
        answer!(
            enable_key_rotation,
            400,
            error_body(
                "UnsupportedOperationException",
                "Rotation is not supported for this key"
            )
        ),
    ];
    let clients = clients(&rules.iter().collect::<Vec<_>>());
    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    assert_eq!(report.findings[0].status, Status::Fail);

    let applied = remediate(&clients, &report, &RemediateOptions::default().with_dry_run(false))
        .await
        .unwrap();
    let action = &applied.actions[0];
    assert_eq!(action.outcome, Outcome::Skipped);
    let error = action.error.as_ref().unwrap();
    assert_eq!(error.code, "UnsupportedOperationException");
    assert_eq!(error.message, "Rotation is not supported for this key");
    assert_eq!(rules[4].num_calls(), 1);

    // The same code on a rotation-status read (imported material, custom key stores).
    let direct = answer!(
        get_key_rotation_status,
        400,
        error_body(
            "UnsupportedOperationException",
            "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab origin is EXTERNAL which is not valid for this operation."
        )
    );
    let error = kms(&[&direct]).get_key_rotation_status(KEY).await.unwrap_err();
    assert_eq!((error.kind, error.retryable), (ErrorKind::Unsupported, false));
}

#[tokio::test]
async fn enable_key_rotation_sends_the_explicit_period_and_rejects_out_of_range_ones() {
    let rule = answer!(enable_key_rotation
        where |r| r.key_id() == Some(arn(KEY).as_str()) && r.rotation_period_in_days() == Some(730),
        200, "{}");
    let client = kms(&[&rule]);
    client.enable_key_rotation(&arn(KEY), 730).await.unwrap();
    assert_eq!(rule.num_calls(), 1);

    for days in [0, 89, 2561, u32::MAX] {
        let error = client.enable_key_rotation(&arn(KEY), days).await.unwrap_err();
        assert_eq!(error.code, "ValidationException", "{days}");
        assert!(!error.retryable);
    }
    assert_eq!(rule.num_calls(), 1, "out-of-range periods never reach KMS");
}

#[tokio::test]
async fn remediation_enables_rotation_with_the_period_asked_for() {
    let rules = [
        answer!(list_keys, 200, list_keys_body(&[KEY], None)),
        answer!(list_aliases, 200, list_aliases_body(&[], None)),
        answer!(describe_key, 200, describe_body(KEY)),
        mock!(Client::get_key_rotation_status)
            .sequence()
            .http_status(200, Some(rotation_body(false, None)))
            .times(2)
            .http_status(200, Some(rotation_body(true, Some(180))))
            .build(),
        answer!(enable_key_rotation where |r| r.rotation_period_in_days() == Some(180), 200, "{}"),
    ];
    let clients = clients(&rules.iter().collect::<Vec<_>>());
    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    let options = RemediateOptions::default()
        .with_rotation_period_days(180)
        .unwrap()
        .with_dry_run(false)
        .with_verification(3, Duration::from_millis(1));
    let applied = remediate(&clients, &report, &options).await.unwrap();
    let action = &applied.actions[0];
    assert_eq!((action.outcome, action.verified), (Outcome::Changed, true));
    assert_eq!(action.after.as_ref().unwrap().period_days, Some(180));
    assert_eq!(rules[4].num_calls(), 1);
}

#[tokio::test]
async fn a_disabled_opt_in_region_ends_as_not_enabled_and_every_region_refused_is_a_credentials_error() {
    let refused = || {
        [
            answer!(
                list_keys,
                400,
                error_body(
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid."
                )
            ),
            answer!(
                list_aliases,
                400,
                error_body(
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid."
                )
            ),
        ]
    };
    let off = refused();
    let opt_in = AwsClient::new(mock_client!(
        aws_sdk_kms,
        RuleMode::MatchAny,
        &off.iter().collect::<Vec<_>>(),
        |b| b.region(Region::new("ap-east-1"))
    ))
    .unwrap();
    let home = [
        answer!(list_keys, 200, list_keys_body(&[], None)),
        answer!(list_aliases, 200, list_aliases_body(&[], None)),
    ];
    let clients = clients(&home.iter().collect::<Vec<_>>()).with_client(Arc::new(opt_in));
    let report = check_account(&clients, &CheckOptions::default()).await.unwrap();
    let region = report.regions.iter().find(|r| r.region == "ap-east-1").unwrap();
    assert_eq!(region.state, RegionState::NotEnabled);
    assert_eq!(region.error.as_ref().unwrap().code, "UnrecognizedClientException");
    assert_eq!(off[0].num_calls(), 1, "not retried");
    assert_eq!(report.exit_code(), 3, "a region not checked is not a clean run");

    // Refused everywhere: the credentials, not the regions.
    let everywhere = refused();
    let error = check_account(&clients_of(&everywhere), &CheckOptions::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("credentials"), "{error}");
}

fn clients_of(rules: &[Rule]) -> Clients {
    clients(&rules.iter().collect::<Vec<_>>())
}

// ---------------------------------------------------------------------------
// Transport failures, against local sockets

fn session_at(endpoint: &str, connect: Duration, attempt: Duration) -> AwsOptions {
    AwsOptions::default()
        .with_static_credentials("AKIDEXAMPLE", "not-a-secret", None)
        .with_endpoint_url(endpoint)
        .unwrap()
        .with_regions([REGION])
        .unwrap()
        .with_timeouts(connect, attempt)
        .unwrap()
}

/// A listener on a free port that counts connections and runs `serve` on each.
fn listener(serve: fn(std::net::TcpStream)) -> (String, Arc<AtomicUsize>) {
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", socket.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in socket.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || serve(stream));
        }
    });
    (endpoint, accepted)
}

#[tokio::test]
async fn a_dropped_connection_is_a_retryable_dispatch_failure_sent_once() {
    let (endpoint, accepted) = listener(|mut stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        // Closing without an answer.
    });
    let options = session_at(&endpoint, Duration::from_secs(2), Duration::from_secs(5));
    let session = AwsSession::connect(&options).await.unwrap();
    let error = session.client(REGION).unwrap().list_keys(None).await.unwrap_err();
    assert_eq!(error.code, "DispatchFailure", "{error}");
    assert!(error.retryable);
    assert!(!error.message.contains("not-a-secret"));
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "the SDK must not retry");
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_dispatch_failure() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let options = session_at(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_secs(2),
        Duration::from_secs(5),
    );
    let started = Instant::now();
    let session = AwsSession::connect(&options).await.unwrap();
    let error = session.client(REGION).unwrap().describe_key(KEY).await.unwrap_err();
    assert_eq!(error.code, "DispatchFailure", "{error}");
    assert_eq!(error.kind, ErrorKind::Retryable);
    assert!(started.elapsed() < Duration::from_secs(2), "no SDK backoff");
}

#[tokio::test]
async fn a_stalled_answer_is_a_retryable_timeout() {
    let (endpoint, accepted) = listener(|mut stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        std::thread::sleep(Duration::from_secs(5));
    });
    let options = session_at(&endpoint, Duration::from_secs(1), Duration::from_millis(300));
    let session = AwsSession::connect(&options).await.unwrap();
    let started = Instant::now();
    let error = session
        .client(REGION)
        .unwrap()
        .get_key_rotation_status(KEY)
        .await
        .unwrap_err();
    assert_eq!(error.code, "TimeoutError", "{error}");
    assert!(error.retryable);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------
// Region discovery and identity

/// An account directory over the SDK's organisation client, with the clients `set` gives it.
fn directory_with(
    set: impl FnOnce(kms_rotation_core::aws::AwsOrgClient) -> kms_rotation_core::aws::AwsOrgClient,
) -> kms_rotation_core::AccountDirectory {
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new(REGION))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let session = kms_rotation_core::aws::AwsSession::from_sdk_config(config).unwrap();
    let org = set(kms_rotation_core::aws::AwsOrgClient::new(&session));
    kms_rotation_core::AccountDirectory::new(std::sync::Arc::new(org), kms_rotation_core::Regions::Default)
}

#[tokio::test]
async fn enabled_regions_reads_every_page_and_keeps_only_enabled_regions() {
    use aws_sdk_account::operation::list_regions::ListRegionsOutput;
    use aws_sdk_account::types::{Region as AccountRegion, RegionOptStatus};
    let region = |name: &str, status: RegionOptStatus| {
        AccountRegion::builder()
            .region_name(name)
            .region_opt_status(status)
            .build()
    };
    let page_1 = mock!(aws_sdk_account::Client::list_regions)
        .match_requests(|r| r.next_token().is_none() && r.max_results() == Some(50))
        .then_output(move || {
            ListRegionsOutput::builder()
                .regions(region("us-east-1", RegionOptStatus::EnabledByDefault))
                .regions(region("af-south-1", RegionOptStatus::Disabled))
                .regions(region("ap-east-1", RegionOptStatus::Enabling))
                .next_token("page-2")
                .build()
        });
    let page_2 = mock!(aws_sdk_account::Client::list_regions)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(move || {
            ListRegionsOutput::builder()
                .regions(region("eu-south-1", RegionOptStatus::Enabled))
                .regions(region("me-central-1", RegionOptStatus::Disabling))
                .regions(region("eu-west-1", RegionOptStatus::EnabledByDefault))
                .build()
        });
    let account = mock_client!(aws_sdk_account, RuleMode::MatchAny, &[&page_1, &page_2]);
    let regions = directory_with(|org| org.with_account_client(account))
        .enabled_regions()
        .await
        .unwrap();
    assert_eq!(regions, ["eu-south-1", "eu-west-1", "us-east-1"]);
}

#[tokio::test]
async fn a_failed_region_discovery_is_an_api_error_naming_the_call() {
    let denied = mock!(aws_sdk_account::Client::list_regions)
        .sequence()
        .http_status(
            403,
            Some(error_body(
                "AccessDeniedException",
                "User is not authorized to perform: account:ListRegions",
            )),
        )
        .repeatedly()
        .build();
    let account = mock_client!(aws_sdk_account, RuleMode::MatchAny, &[&denied]);
    match directory_with(|org| org.with_account_client(account))
        .enabled_regions()
        .await
    {
        Err(Error::Api { operation, source, .. }) => {
            assert_eq!(operation, "ListRegions");
            assert_eq!(source.kind, ErrorKind::AccessDenied);
            assert!(source.message.contains("account:ListRegions"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn caller_identity_names_the_account_and_partition() {
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    let rule = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account("222233334444")
            .arn("arn:aws-us-gov:sts::222233334444:assumed-role/KmsRotationAudit/kms-rotation")
            .user_id("AROAEXAMPLE:kms-rotation")
            .build()
    });
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, &[&rule]);
    let identity = directory_with(|org| org.with_sts_client(sts)).caller().await.unwrap();
    assert_eq!(identity.account_id, "222233334444");
    assert_eq!(identity.partition, "aws-us-gov");
    assert!(
        identity
            .arn
            .unwrap()
            .ends_with("assumed-role/KmsRotationAudit/kms-rotation")
    );
}

// ---------------------------------------------------------------------------
// Options and construction

#[tokio::test]
async fn options_reject_malformed_input_before_any_call() {
    let invalid = |result: Result<AwsOptions, Error>, what: &str| match result {
        Err(Error::InvalidInput { what: got, .. }) => assert_eq!(got, what),
        other => panic!("expected invalid {what}, got {other:?}"),
    };
    let o = AwsOptions::default;
    invalid(o().with_regions(Vec::<String>::new()), "regions");
    invalid(o().with_regions(["us-east-1", "US East"]), "region");
    invalid(o().with_home_region("mars"), "region");
    invalid(o().with_endpoint_url("localhost:5000"), "endpoint_url");
    invalid(o().with_kms_endpoint_url("ftp://x"), "kms_endpoint_url");
    invalid(o().with_role("arn:aws:iam::1234:role/x", None, None), "role_arn");
    invalid(
        o().with_role("arn:aws:iam::111122223333:user/x", None, None),
        "role_arn",
    );
    let role = "arn:aws:iam::111122223333:role/Audit";
    invalid(o().with_role(role, Some("x"), None), "external_id");
    invalid(o().with_role(role, None, Some("has space")), "session_name");
    invalid(o().with_setup_timeout(Duration::ZERO), "setup_timeout");

    let ok = o()
        .with_regions(["us-east-1", "eu-west-1", "us-east-1"])
        .unwrap()
        .with_role("arn:aws-cn:iam::111122223333:role/path/Audit", Some("ext-id"), None)
        .unwrap()
        .with_static_credentials("AKIDEXAMPLE", "very-secret", Some("token"));
    assert_eq!(
        ok.regions(),
        &RegionSelection::List(vec!["us-east-1".into(), "eu-west-1".into()])
    );
    assert_eq!(ok.role().unwrap().session_name, "kms-rotation");
    let shown = format!("{ok:?}");
    assert!(
        !shown.contains("very-secret") && !shown.contains("AKIDEXAMPLE"),
        "{shown}"
    );
}

#[tokio::test]
async fn sessions_make_clients_for_listed_regions_and_any_other_on_demand() {
    let options = AwsOptions::default()
        .with_static_credentials("AKIDEXAMPLE", "not-a-secret", None)
        .with_regions(["eu-west-1", "us-east-2"])
        .unwrap();
    let session = AwsSession::connect(&options).await.unwrap();
    assert_eq!(session.home_region(), "eu-west-1");
    assert_eq!(session.regions().await.unwrap(), ["eu-west-1", "us-east-2"]);
    let clients = session.clients_for(&session.regions().await.unwrap()).unwrap();
    assert_eq!(clients.regions(), ["eu-west-1", "us-east-2"]);
    // A replica's primary may live in a region outside the scan.
    assert_eq!(clients.get("ap-southeast-2").unwrap().region(), "ap-southeast-2");
    assert!(clients.get("nowhere").is_err());
    assert!(
        AwsClient::new(Client::from_conf(
            aws_sdk_kms::Config::builder()
                .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
                .build()
        ))
        .is_err()
    );
}

// ---------------------------------------------------------------------------
// Missing configuration, in a child process with a clean environment (this
// crate forbids `unsafe`, so the test cannot edit its own environment).

const CHILD: &str = "KMS_ROTATION_TEST_CHILD";

/// Runs `child_scenario` in a fresh process with only `env` set; returns its output.
fn run_child(scenario: &str, env: &[(&str, String)]) -> String {
    let home = std::env::temp_dir().join(format!("kms-rotation-child-{}-{scenario}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "aws_mocks::child_scenario",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env(CHILD, scenario)
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"));
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "child {scenario} failed:\n{text}");
    assert!(text.contains("1 passed"), "child {scenario} ran no test:\n{text}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(&home);
    text
}

#[test]
fn a_missing_region_is_a_configuration_error() {
    run_child("no-region", &[("AWS_EC2_METADATA_DISABLED", "true".into())]);
    run_child(
        "no-region",
        &[
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_REGION", String::new()),
        ],
    );
}

#[test]
fn missing_credentials_are_a_configuration_error() {
    run_child(
        "no-credentials",
        &[
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
        ],
    );
}

#[test]
fn an_unanswering_instance_metadata_service_does_not_hang_setup() {
    let (endpoint, _) = listener(|mut stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        std::thread::sleep(Duration::from_secs(30));
    });
    run_child(
        "imds-stalls",
        &[
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint),
        ],
    );
}

/// Not a test on its own: the body of the child processes above.
#[tokio::test]
async fn child_scenario() {
    let Ok(scenario) = std::env::var(CHILD) else {
        return;
    };
    let started = Instant::now();
    let options = AwsOptions::default()
        .with_setup_timeout(Duration::from_secs(2))
        .unwrap();
    let error = AwsSession::connect(&options).await.unwrap_err();
    let Error::Configuration(message) = &error else {
        panic!("{scenario}: expected a configuration error, got {error:?}");
    };
    match scenario.as_str() {
        "no-region" => assert!(message.contains("no AWS region"), "{message}"),
        "no-credentials" => assert!(message.contains("no usable AWS credentials"), "{message}"),
        "imds-stalls" => assert!(
            message.contains("took longer than") || message.contains("no usable AWS credentials"),
            "{message}"
        ),
        other => panic!("unknown scenario {other}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{scenario} took {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// Evidence is validated, never defaulted; malformed answers are retried.

/// One key whose `GetKeyRotationStatus` answers `body` (HTTP 200).
async fn check_with_rotation_body(body: &str) -> (kms_rotation_core::Finding, Rule) {
    let status = answer!(get_key_rotation_status, 200, body);
    let rules = [
        answer!(list_keys, 200, list_keys_body(&[KEY], None)),
        answer!(list_aliases, 200, list_aliases_body(&[], None)),
        answer!(describe_key, 200, describe_body(KEY)),
    ];
    let mut all: Vec<&Rule> = rules.iter().collect();
    all.push(&status);
    let report = check_account(&clients(&all), &fast_retries(3)).await.unwrap();
    (report.findings[0].clone(), status)
}

#[tokio::test]
async fn a_rotation_answer_without_its_flag_is_an_invalid_response_never_a_fail() {
    for body in ["{}", r#"{"KeyId": "k", "RotationPeriodInDays": 365}"#] {
        let (finding, status) = check_with_rotation_body(body).await;
        assert_eq!(
            (finding.status, finding.reason),
            (Status::Error, Reason::InvalidResponse),
            "{body}: {}",
            finding.message
        );
        assert!(finding.message.contains("KeyRotationEnabled"), "{}", finding.message);
        assert_eq!(status.num_calls(), 3, "a malformed answer is retried");
    }
}

#[tokio::test]
async fn a_period_outside_what_kms_allows_is_an_invalid_response_never_a_pass() {
    for period in [0, -1, 89, 2561] {
        let body = serde_json::json!({"KeyRotationEnabled": true, "RotationPeriodInDays": period}).to_string();
        let (finding, _) = check_with_rotation_body(&body).await;
        assert_eq!(
            (finding.status, finding.reason),
            (Status::Error, Reason::InvalidResponse),
            "period {period}: {}",
            finding.message
        );
        assert!(finding.message.contains(&period.to_string()), "{}", finding.message);
    }
}

#[tokio::test]
async fn a_cut_off_body_is_retried_and_then_named() {
    let (finding, status) = check_with_rotation_body(r#"{"KeyRotationEnabled": tr"#).await;
    assert_eq!(
        (finding.status, finding.reason),
        (Status::Error, Reason::InvalidResponse)
    );
    assert!(finding.message.contains("malformed"), "{}", finding.message);
    assert!(!finding.message.contains("HTTP 200"), "{}", finding.message);
    assert_eq!(status.num_calls(), 3);
}
