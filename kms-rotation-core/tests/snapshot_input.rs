//! Any real KMS output in: what the AWS CLI prints (any time zone, documented
//! examples in `tests/corpus/`), partial facts, pasted shapes, old records, and
//! one odd key that must not sink the file. Each with the verdict the decision
//! table implies; nothing unobserved is guessed.

use kms_rotation_core::{CheckOptions, Reason, Snapshot, Status, Timestamp, check_account, collect};
use serde_json::{Value, json};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

fn corpus(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{CORPUS}/{name}")).expect("corpus file");
    serde_json::from_str(&text).expect("corpus JSON")
}

/// Checks a one-region snapshot of `keys` and returns its findings by the key's position.
async fn judge(region: &str, keys: Vec<Value>) -> Vec<kms_rotation_core::Finding> {
    let text = json!({"regions": {region: {"keys": keys}}}).to_string();
    let snapshot = Snapshot::from_json(&text).expect("lenient load never refuses a well-formed file");
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    report.findings
}

fn find<'a>(findings: &'a [kms_rotation_core::Finding], key_id: &str) -> &'a kms_rotation_core::Finding {
    findings
        .iter()
        .find(|f| f.key_id == key_id)
        .unwrap_or_else(|| panic!("no finding for {key_id}: {findings:#?}"))
}

#[tokio::test]
async fn the_aws_cli_documented_examples_as_pasted() {
    // describe-key output as the entry, get-key-rotation-status output as RotationStatus.
    let mut symmetric = corpus("describe-key-cli-example.json");
    symmetric["RotationStatus"] = corpus("get-key-rotation-status-cli-example.json");
    let asymmetric = corpus("describe-key-asymmetric-cli-example.json");
    // The bare KeyMetadata object (no wrapper), captured under a non-UTC time zone.
    let bare = corpus("describe-key-moto-non-utc.json")["KeyMetadata"].clone();
    let findings = judge("us-west-2", vec![symmetric, asymmetric, bare.clone()]).await;
    assert_eq!(findings.len(), 3);
    let pass = find(&findings, "1234abcd-12ab-34cd-56ef-1234567890ab");
    assert_eq!(
        (pass.status, pass.reason),
        (Status::Pass, Reason::RotationEnabled),
        "{}",
        pass.message
    );
    let rotation = pass.rotation.as_ref().unwrap();
    assert_eq!(
        rotation.next_rotation_date.unwrap().to_rfc3339(),
        "2024-02-14T18:14:33Z"
    );
    let rsa = find(&findings, "0987dcba-09fe-87dc-65ba-ab0987654321");
    assert_eq!(
        (rsa.status, rsa.reason),
        (Status::NotApplicable, Reason::UnsupportedKeySpec)
    );
    // Its rotation status is needed but not recorded: unknown, never FAIL.
    let bare = find(&findings, "b3893553-6020-4119-9651-efe693625c33");
    assert_eq!(
        (bare.status, bare.reason),
        (Status::Error, Reason::MissingEvidence),
        "{}",
        bare.message
    );
}

#[test]
fn timestamps_with_any_offset_load_and_are_normalised_to_utc() {
    for (text, utc) in [
        ("2017-07-05T14:04:55-07:00", "2017-07-05T21:04:55Z"),
        ("2026-12-01T20:20:38.168869-08:00", "2026-12-02T04:20:38Z"),
        ("2026-12-02T09:50:38+05:30", "2026-12-02T04:20:38Z"),
    ] {
        assert_eq!(Timestamp::parse_rfc3339(text).unwrap().to_rfc3339(), utc, "{text}");
    }
    let mut entry = corpus("describe-key-cli-example.json");
    entry["KeyMetadata"]["CreationDate"] = json!("2026-12-01T20:20:38.168869-08:00");
    let text = json!({"regions": {"us-west-2": {"keys": [entry]}}}).to_string();
    let loaded = Snapshot::from_json_strict(&text).unwrap();
    let described = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(
            loaded
                .client("us-west-2")
                .unwrap()
                .describe_key("1234abcd-12ab-34cd-56ef-1234567890ab"),
        )
        .unwrap();
    assert_eq!(described.creation_date.unwrap().to_rfc3339(), "2026-12-02T04:20:38Z");
    // An unreadable one names the field, the key and the accepted forms.
    entry["KeyMetadata"]["CreationDate"] = json!("2026-12-01T20:20:38");
    let text = json!({"regions": {"us-west-2": {"keys": [entry]}}}).to_string();
    let error = Snapshot::from_json_strict(&text).unwrap_err().to_string();
    assert!(
        error.contains("CreationDate") && error.contains("us-west-2 key #1") && error.contains("accepted"),
        "{error}"
    );
}

#[tokio::test]
async fn partial_facts_are_facts_and_never_guesses() {
    let region = "us-east-1";
    let arn = |id: &str| format!("arn:aws:kms:{region}:111122223333:key/{id}");
    let keys = vec![
        // Known only from ListKeys; its DescribeKey was denied and recorded.
        json!({"KeyMetadata": {"KeyId": "00000001-0000-4000-8000-000000000001", "Arn": arn("00000001-0000-4000-8000-000000000001")},
               "Errors": {"DescribeKey": {"Code": "AccessDeniedException", "Message": "not allowed"}}}),
        // Only an ARN, and no error: the record lacks what the table needs.
        json!({"KeyMetadata": {"Arn": arn("00000002-0000-4000-8000-000000000002")}}),
        // A record from before 2019: no spec at all; judged symmetric, and said so.
        json!({"KeyMetadata": {"KeyId": "00000003-0000-4000-8000-000000000003", "Arn": arn("00000003-0000-4000-8000-000000000003"),
               "KeyManager": "CUSTOMER", "KeyState": "Enabled", "Origin": "AWS_KMS", "CreationDate": 1_420_070_400},
               "RotationStatus": {"KeyRotationEnabled": false}}),
        // Origin missing: incomplete, named.
        json!({"KeyMetadata": {"KeyId": "00000004-0000-4000-8000-000000000004", "Arn": arn("00000004-0000-4000-8000-000000000004"),
               "KeyManager": "CUSTOMER", "KeyState": "Enabled", "KeySpec": "SYMMETRIC_DEFAULT"},
               "RotationStatus": {"KeyRotationEnabled": true}}),
    ];
    let findings = judge(region, keys).await;
    assert_eq!(findings.len(), 4);
    let denied = find(&findings, "00000001-0000-4000-8000-000000000001");
    assert_eq!((denied.status, denied.reason), (Status::Error, Reason::ApiError));
    assert_eq!(denied.error.as_ref().unwrap().code, "AccessDeniedException");
    let only_arn = find(&findings, "00000002-0000-4000-8000-000000000002");
    assert_eq!(
        (only_arn.status, only_arn.reason),
        (Status::Error, Reason::IncompleteMetadata)
    );
    assert!(only_arn.message.contains("KeyState"), "{}", only_arn.message);
    let old = find(&findings, "00000003-0000-4000-8000-000000000003");
    assert_eq!((old.status, old.reason), (Status::Fail, Reason::RotationDisabled));
    assert!(old.message.contains("inferred"), "{}", old.message);
    let no_origin = find(&findings, "00000004-0000-4000-8000-000000000004");
    assert_eq!(
        (no_origin.status, no_origin.reason),
        (Status::Error, Reason::IncompleteMetadata)
    );
    assert!(no_origin.message.contains("Origin"), "{}", no_origin.message);
}

#[tokio::test]
async fn one_odd_key_never_sinks_the_file() {
    let region = "us-west-2";
    let good = {
        let mut entry = corpus("describe-key-cli-example.json");
        entry["RotationStatus"] = corpus("get-key-rotation-status-cli-example.json");
        entry
    };
    let mut wrong_type = corpus("describe-key-asymmetric-cli-example.json");
    wrong_type["KeyMetadata"]["KeyState"] = json!(5);
    let too_deep = json!({"KeyMetadata": corpus("describe-key-moto-non-utc.json")});
    assert!(too_deep["KeyMetadata"]["KeyMetadata"].is_object());
    let findings = judge(region, vec![good.clone(), wrong_type, too_deep, good]).await;
    assert_eq!(findings.len(), 3, "the same key twice is one finding: {findings:#?}");
    let ok = find(&findings, "1234abcd-12ab-34cd-56ef-1234567890ab");
    assert_eq!(ok.status, Status::Pass);
    let odd = find(&findings, "0987dcba-09fe-87dc-65ba-ab0987654321");
    assert_eq!(odd.status, Status::Error);
    assert!(odd.message.contains("KeyMetadata.KeyState"), "{}", odd.message);
    let deep = findings
        .iter()
        .find(|f| f.message.contains("nested one level too deep"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(deep.status, Status::Error);
}

#[tokio::test]
async fn collect_writes_only_what_it_observed() {
    let region = "us-east-1";
    let id = "00000001-0000-4000-8000-000000000001";
    let live = Snapshot::from_json(
        &json!({"account_id": "111122223333", "regions": {region: {"keys": [
            {"KeyMetadata": {"KeyId": id, "Arn": format!("arn:aws:kms:{region}:111122223333:key/{id}"),
                "KeyManager": "CUSTOMER", "KeyState": "Enabled", "Origin": "AWS_KMS", "KeySpec": "SYMMETRIC_DEFAULT"},
             "RotationStatus": {"KeyRotationEnabled": true},
             "Errors": {"DescribeKey": {"Code": "AccessDeniedException", "Message": "not allowed"}}}
        ]}}})
        .to_string(),
    )
    .unwrap();
    let collected = collect(&live.clients(), &CheckOptions::default()).await.unwrap();
    let saved: Value = serde_json::from_str(&collected.to_json()).unwrap();
    let entry = &saved["regions"][region]["keys"][0];
    let metadata = entry["KeyMetadata"].as_object().unwrap();
    let mut fields: Vec<&str> = metadata.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["Arn", "KeyId"], "no invented facts: {entry:#}");
    assert_eq!(entry["Errors"]["DescribeKey"]["Code"], "AccessDeniedException");
    assert!(!collected.to_json().contains("000000000000"));
    // Checked offline, it is the same ERROR as live.
    let report = check_account(&collected.clients(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (report.findings[0].status, report.findings[0].reason),
        (Status::Error, Reason::ApiError)
    );
}

#[tokio::test]
async fn a_cloudsploit_collection_is_judged_by_our_rules() {
    let snapshot = Snapshot::load_cloudsploit_collection(format!("{CORPUS}/cloudsploit-collection.json")).unwrap();
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let by_id = |prefix: &str| {
        report
            .findings
            .iter()
            .find(|f| f.key_id.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {:#?}", report.findings))
    };
    // CloudSploit fails an HMAC key and an AWS managed key; they cannot be configured.
    assert_eq!(
        (by_id("60c4").status, by_id("60c4").reason),
        (Status::Fail, Reason::RotationDisabled)
    );
    assert_eq!(by_id("60c4").aliases, ["alias/app"]);
    assert_eq!(
        (by_id("70c4").status, by_id("70c4").reason),
        (Status::NotApplicable, Reason::UnsupportedKeySpec)
    );
    assert_eq!(
        (by_id("90c4").status, by_id("90c4").reason),
        (Status::NotApplicable, Reason::AwsManaged)
    );
    // A recorded error stays an error, with its AWS code.
    assert_eq!(
        (by_id("80c4").status, by_id("80c4").reason),
        (Status::Error, Reason::ApiError)
    );
    assert_eq!(by_id("80c4").error.as_ref().unwrap().code, "AccessDeniedException");
    // The region CloudSploit could not list is a region not checked: an error,
    // since eu-west-1 is enabled in every account (never "not enabled").
    let eu = report.regions.iter().find(|r| r.region == "eu-west-1").unwrap();
    assert_eq!(eu.state, kms_rotation_core::RegionState::Error);
    assert_eq!(eu.error.as_ref().unwrap().code, "UnrecognizedClientException");
    assert_eq!(report.account_id.as_deref(), Some("111122223333"));
    assert_eq!(report.exit_code(), 2);
    // Not a collection: said so.
    let error = Snapshot::from_cloudsploit_collection(r#"{"regions": {}}"#).unwrap_err();
    assert!(error.to_string().contains("CloudSploit"), "{error}");
}

#[test]
fn a_top_level_that_is_not_an_object_is_named_plainly() {
    for (text, kind, line) in [
        ("[]", "an array", 1),
        ("\n  \"keys\"", "a string", 2),
        ("42", "a number", 1),
    ] {
        let error = Snapshot::from_json(text).unwrap_err().to_string();
        assert!(error.contains(&format!("not {kind}")), "{error}");
        assert!(error.contains(&format!("line {line}")), "{error}");
        assert!(!error.contains("AccountFileIn"), "{error}");
    }
}
