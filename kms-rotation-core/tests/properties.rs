//! Properties that hold for every input, not only the examples:
//! remediation never lengthens a period, never disables rotation and never
//! touches a key that is not `FAIL`; parsing user input never panics.

use std::collections::BTreeMap;

use kms_rotation_core::{
    Arn, CheckOptions, Exemption, KeyRef, Policy, Regions, RemediateOptions, RotationStatus, Snapshot, Status,
    check_account, remediate,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "111122223333";

fn key_id(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

/// One key as the generator describes it.
#[derive(Debug, Clone)]
struct KeySpec {
    manager: &'static str,
    state: &'static str,
    spec: &'static str,
    origin: &'static str,
    rotation: Option<(bool, Option<u32>)>,
}

fn key_strategy() -> impl Strategy<Value = KeySpec> {
    (
        prop::sample::select(vec!["CUSTOMER", "CUSTOMER", "CUSTOMER", "AWS"]),
        prop::sample::select(vec![
            "Enabled",
            "Enabled",
            "Disabled",
            "PendingDeletion",
            "PendingImport",
        ]),
        prop::sample::select(vec!["SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT", "RSA_2048", "HMAC_256"]),
        prop::sample::select(vec!["AWS_KMS", "AWS_KMS", "AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM"]),
        prop::option::of((any::<bool>(), prop::option::of(90u32..=2560))),
    )
        .prop_map(|(manager, state, spec, origin, rotation)| KeySpec {
            manager,
            state,
            spec,
            origin,
            rotation,
        })
}

fn account(keys: &[KeySpec]) -> Value {
    let entries: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(n, k)| {
            let id = key_id(n + 1);
            let mut entry = json!({
                "KeyMetadata": {
                    "KeyId": id, "Arn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"),
                    "KeyManager": k.manager, "KeyState": k.state, "KeySpec": k.spec, "Origin": k.origin,
                },
                "Aliases": [format!("alias/k{}", n + 1)],
            });
            // A status is recorded for every key: what KMS would answer for it.
            let (enabled, period) = k.rotation.unwrap_or((false, None));
            let mut status = json!({"KeyRotationEnabled": enabled});
            if let Some(days) = period {
                status["RotationPeriodInDays"] = json!(days);
            }
            entry["RotationStatus"] = status;
            entry
        })
        .collect();
    json!({"account_id": ACCOUNT, "regions": {REGION: {"keys": entries}}})
}

/// Every key's rotation status, read through the snapshot's own client.
fn statuses(
    snapshot: &Snapshot,
    count: usize,
    runtime: &tokio::runtime::Runtime,
) -> BTreeMap<String, Option<RotationStatus>> {
    let client = snapshot.client(REGION).unwrap();
    runtime.block_on(async {
        let mut out = BTreeMap::new();
        for n in 1..=count {
            let id = key_id(n);
            out.insert(id.clone(), client.get_key_rotation_status(&id).await.ok());
        }
        out
    })
}

/// Strings of up to `max` characters drawn from `chars`.
fn text_of(chars: impl Strategy<Value = char>, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(chars, 0..=max).prop_map(String::from_iter)
}

/// One of these characters.
fn one_of_chars(chars: &'static str) -> impl Strategy<Value = char> {
    prop::sample::select(chars.chars().collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn remediation_never_weakens_a_key_and_touches_only_fail_findings(
        keys in prop::collection::vec(key_strategy(), 1..10),
        max in 90u32..=2560,
        skip_disabled in any::<bool>(),
        exempt_first in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        let snapshot = Snapshot::from_json(&account(&keys).to_string()).unwrap();
        let mut policy = Policy::default().with_max_rotation_period_days(max).unwrap().with_evaluate_disabled_keys(!skip_disabled);
        if exempt_first {
            policy = policy.with_exemption("alias/k1").unwrap();
        }
        let options = CheckOptions::default().with_policy(policy);
        let report = runtime.block_on(check_account(&snapshot.clients(), &options)).unwrap();
        prop_assert_eq!(report.findings.len(), keys.len());
        let before = statuses(&snapshot, keys.len(), &runtime);
        let apply = RemediateOptions::default().with_dry_run(false);
        let outcome = runtime.block_on(remediate(&snapshot.clients(), &report, &apply));
        let Ok(outcome) = outcome else {
            // Refused before any call (a period above the policy): nothing may have changed.
            prop_assert_eq!(statuses(&snapshot, keys.len(), &runtime), before);
            return Ok(());
        };
        let after = statuses(&snapshot, keys.len(), &runtime);
        for finding in &report.findings {
            let (was, now) = (&before[&finding.key_id], &after[&finding.key_id]);
            if finding.status != Status::Fail {
                prop_assert_eq!(was, now, "a {} key was changed", finding.status);
                continue;
            }
            if let (Some(was), Some(now)) = (was, now) {
                if was.enabled {
                    prop_assert!(now.enabled, "rotation was disabled on {}", finding.key_id);
                    prop_assert!(now.effective_period_days() <= was.effective_period_days(),
                        "the period of {} was lengthened from {:?} to {:?}", finding.key_id, was.period_days, now.period_days);
                }
                if now != was {
                    // A change is always rotation on, within the policy.
                    prop_assert!(now.enabled && now.effective_period_days() <= max, "{:?} -> {:?}", was, now);
                }
            }
        }
        for action in &outcome.actions {
            prop_assert!(action.rotation_period_days <= max);
        }
    }

    #[test]
    fn parsing_what_a_user_types_never_panics(text in text_of(any::<char>(), 80)) {
        let _ = text.parse::<KeyRef>();
        let _ = text.parse::<Exemption>();
        let _ = Arn::parse(&text);
        let _ = Arn::parse_role(&text);
        let _ = Regions::from_names([text.clone()]);
        let _ = kms_rotation_core::check_region(&text);
        let _ = Snapshot::from_json(&text);
    }

    #[test]
    fn arn_shaped_input_never_panics(
        partition in prop::sample::select(vec!["aws", "aws-cn", "awsx", "", "aws-us-gov"]),
        service in prop::sample::select(vec!["kms", "iam", "", "s3"]),
        region in text_of(one_of_chars("abcdefghijklmnopqrstuvwxyz0123456789-"), 20),
        account in text_of(one_of_chars("0123456789abcdefghijklmnopqrstuvwxyz"), 14),
        resource in (
            prop::sample::select(vec!["", "key", "alias", "role"]),
            prop::sample::select(vec!["", "/"]),
            text_of(prop::char::range(' ', '~'), 40),
        ).prop_map(|(kind, slash, rest)| format!("{kind}{slash}{rest}")),
    ) {
        let text = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        let _ = text.parse::<KeyRef>();
        let _ = text.parse::<Exemption>();
        let _ = Arn::parse(&text);
        let _ = Arn::parse_role(&text);
    }

    #[test]
    fn snapshot_loading_never_panics_on_any_json(value in json_value(3)) {
        let _ = Snapshot::from_json(&value.to_string());
        let _ = Snapshot::from_json(&json!({"regions": {REGION: {"keys": [value.clone()]}}}).to_string());
        let _ = Snapshot::from_json(&json!({"regions": {REGION: {"keys": [{"KeyMetadata": value}]}}}).to_string());
    }
}

/// Arbitrary JSON, biased towards the KMS field names.
fn json_value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text_of(any::<char>(), 12).prop_map(Value::String),
        prop::sample::select(vec![
            "Enabled",
            "SYMMETRIC_DEFAULT",
            "AWS_KMS",
            "CUSTOMER",
            "2026-12-01T20:20:38-08:00"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(depth, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "KeyId",
                    "Arn",
                    "KeyState",
                    "KeySpec",
                    "Origin",
                    "KeyManager",
                    "regions",
                    "keys",
                    "KeyMetadata",
                    "RotationStatus",
                    "KeyRotationEnabled",
                    "RotationPeriodInDays",
                    "Errors",
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..5,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A member the service model allows: absent (None), or one of its values, or a value
/// AWS may add later (unknown to this version).
/// Every `KeySpec` of the KMS service model; the first `LEGACY_KEY_SPECS` are
/// also the values of the legacy `CustomerMasterKeySpec`.
const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
];
const LEGACY_KEY_SPECS: usize = 13;

fn member(values: &'static [&'static str]) -> impl Strategy<Value = Option<Value>> {
    let mut choices: Vec<&'static str> = values.to_vec();
    choices.push("SOMETHING_AWS_ADDS_LATER");
    prop::option::of(prop::sample::select(choices).prop_map(|v| json!(v)))
}

/// Any `KeyMetadata` the KMS service model allows (DescribeKey's response shape): only
/// `KeyId` is required; every enum member takes each documented value and an unknown one.
fn service_model_metadata() -> impl Strategy<Value = Value> {
    let enums = (
        member(&["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]),
        member(&[
            "Creating",
            "Enabled",
            "Disabled",
            "PendingDeletion",
            "PendingImport",
            "PendingReplicaDeletion",
            "Unavailable",
            "Updating",
        ]),
        member(&["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]),
        member(&["AWS", "CUSTOMER"]),
        member(KEY_SPECS),
        member(&KEY_SPECS[..LEGACY_KEY_SPECS]),
        member(&["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"]),
        member(&["PRIMARY", "REPLICA"]),
    );
    let others = (
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(vec![
            json!("2021-11-30T21:15:47Z"),
            json!("2026-12-01T20:20:38.168869-08:00"),
            json!(1_638_306_947),
            json!(1.638306947e9),
        ])),
        prop::option::of(7u32..=30),
        any::<bool>(),
        any::<bool>(),
    );
    (enums, others).prop_map(
        |(
            (usage, state, origin, manager, spec, cmk_spec, expiration, region_type),
            (enabled, multi_region, created, pending_days, with_arn, with_account),
        )| {
            let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
            let mut metadata = json!({ "KeyId": id });
            let mut set = |name: &str, value: Option<Value>| {
                if let Some(value) = value {
                    metadata[name] = value;
                }
            };
            set("KeyUsage", usage);
            set("KeyState", state);
            set("Origin", origin);
            set("KeyManager", manager);
            set("KeySpec", spec);
            set("CustomerMasterKeySpec", cmk_spec);
            set("ExpirationModel", expiration);
            set("Enabled", enabled.map(Value::Bool));
            set("MultiRegion", multi_region.map(Value::Bool));
            set("CreationDate", created);
            set("PendingDeletionWindowInDays", pending_days.map(|d| json!(d)));
            set(
                "Arn",
                with_arn.then(|| json!(format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"))),
            );
            set("AWSAccountId", with_account.then(|| json!(ACCOUNT)));
            if let Some(kind) = region_type {
                set(
                    "MultiRegionConfiguration",
                    Some(json!({
                        "MultiRegionKeyType": kind,
                        "PrimaryKey": {"Arn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/mrk-1"), "Region": REGION},
                        "ReplicaKeys": [],
                    })),
                );
            }
            metadata
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Any key the service model allows, with or without a recorded rotation status
    /// (valid, out of range or missing its flag), loads and gets exactly one finding —
    /// and a PASS or FAIL only on the evidence the table needs: a customer-managed,
    /// symmetric, AWS_KMS key that is not pending deletion, with a valid rotation status.
    #[test]
    fn any_key_the_service_model_allows_is_judged_on_evidence_only(
        metadata in service_model_metadata(),
        status in prop::option::of((prop::option::of(any::<bool>()), prop::option::of(prop::sample::select(vec![0i64, 89, 90, 365, 2560, 2561, -1])))),
    ) {
        let mut entry = json!({ "KeyMetadata": metadata.clone() });
        if let Some((enabled, period)) = status {
            let mut rotation = json!({});
            if let Some(enabled) = enabled {
                rotation["KeyRotationEnabled"] = json!(enabled);
            }
            if let Some(period) = period {
                rotation["RotationPeriodInDays"] = json!(period);
            }
            entry["RotationStatus"] = rotation;
        }
        let file = json!({"account_id": ACCOUNT, "regions": {REGION: {"keys": [entry]}}});
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        let snapshot = Snapshot::from_json(&file.to_string()).expect("one odd key never refuses the file");
        let report = runtime.block_on(check_account(&snapshot.clients(), &CheckOptions::default())).unwrap();
        prop_assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let finding = &report.findings[0];
        if matches!(finding.status, Status::Pass | Status::Fail) {
            let field = |name: &str| metadata.get(name).and_then(Value::as_str);
            prop_assert_eq!(field("KeyManager"), Some("CUSTOMER"), "{:?}", finding);
            prop_assert_eq!(field("Origin"), Some("AWS_KMS"), "{:?}", finding);
            prop_assert!(!matches!(field("KeyState"), Some("PendingDeletion" | "PendingReplicaDeletion") | None), "{:?}", finding);
            let spec = field("KeySpec").or(field("CustomerMasterKeySpec"));
            prop_assert!(matches!(spec, Some("SYMMETRIC_DEFAULT") | None), "{:?}", finding);
            let (enabled, period) = status.expect("a verdict on rotation needs the rotation status");
            prop_assert!(enabled.is_some(), "judged without KeyRotationEnabled: {:?}", finding);
            if let Some(period) = period {
                prop_assert!((90..=2560).contains(&period), "judged on a period of {}: {:?}", period, finding);
            }
        }
    }
}
