//! Bad input fails with an error naming the value, before any API call.

use crate::common::*;
use kms_rotation_core::{CheckOptions, Error, Policy, RemediateOptions, Snapshot, check_account, check_key, remediate};

fn assert_invalid(err: Error, value: &str) {
    assert!(
        matches!(err, Error::InvalidInput { .. }),
        "expected InvalidInput, got {err:?}"
    );
    assert!(err.to_string().contains(value), "{err} should name {value}");
}

#[tokio::test]
async fn malformed_key_references_fail_before_any_call() {
    let snapshot = load(&every_category());
    let client = snapshot.client("us-east-1").unwrap();
    for bad in [
        "",
        "key",
        "1234abcd-12ab-34cd-56ef-1234567890",
        "mrk-nothex",
        "alias/",
        "alias/with space",
        "arn:aws:kms:us-east-1:111122223333",
        "arn:aws:kms:us-east-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:sqs:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:111122223333:key/not-a-uuid",
    ] {
        let err = check_key(client.as_ref(), bad, &CheckOptions::default())
            .await
            .unwrap_err();
        assert_invalid(err, &format!("{bad:?}"));
    }
    // An ARN in another region than the client's is refused, not silently looked up elsewhere.
    let west_arn = arn("eu-west-1", &mrk_id(19));
    let err = check_key(client.as_ref(), &west_arn, &CheckOptions::default())
        .await
        .unwrap_err();
    assert_invalid(err, "eu-west-1");
    assert!(
        snapshot.calls().is_empty(),
        "no API call for bad input: {:?}",
        snapshot.calls()
    );
}

#[test]
fn periods_outside_90_to_2560_are_refused_by_name() {
    for bad in [0, 89, 2561] {
        assert_invalid(
            Policy::default().with_max_rotation_period_days(bad).unwrap_err(),
            &bad.to_string(),
        );
        let err = RemediateOptions::default().with_rotation_period_days(bad).unwrap_err();
        assert_invalid(err, "rotation_period_days");
    }
    for good in [90, 365, 2560] {
        assert!(Policy::default().with_max_rotation_period_days(good).is_ok());
        assert!(RemediateOptions::default().with_rotation_period_days(good).is_ok());
    }
}

#[test]
fn malformed_exemptions_regions_and_rates_are_refused_by_name() {
    for bad in ["tag:novalue", "tag:=v", "alias/", "nonsense"] {
        assert_invalid(Policy::default().with_exemption(bad).unwrap_err(), bad);
    }
    assert_invalid(
        CheckOptions::default().with_regions(["us-east-1", "mars"]).unwrap_err(),
        "mars",
    );
    assert!(CheckOptions::default().with_regions(Vec::<String>::new()).is_err());
    assert!(CheckOptions::default().with_quota_fraction(1.5).is_err());
    assert!(CheckOptions::default().with_max_requests_per_second(0.0).is_err());
    assert!(
        CheckOptions::default()
            .with_rate(kms_rotation_core::Operation::DescribeKey, f64::NAN)
            .is_err()
    );
}

#[test]
fn a_malformed_snapshot_names_line_and_column() {
    // Invalid JSON or a wrong top-level shape rejects the file, with line and column.
    let err = Snapshot::from_json("{\"regions\": {").unwrap_err();
    assert!(matches!(err, Error::MalformedSnapshot { line: 1, .. }), "{err}");
    let err = Snapshot::from_json("{\n  \"regions\": [\n  ]\n}").unwrap_err();
    assert!(matches!(err, Error::MalformedSnapshot { line: 2, .. }), "{err}");
    // An unknown operation in a region's Errors.
    let text = r#"{"regions": {"us-east-1": {"keys": [], "Errors": {"ListKeyz": {"Code": "X"}}}}}"#;
    let err = Snapshot::from_json(text).unwrap_err();
    assert!(err.to_string().contains("ListKeyz"), "{err}");
    // One odd key never sinks the file, unless strict.
    let odd = [
        (serde_json::json!({"KeyMetadata": 5}), "KeyMetadata"),
        (
            serde_json::json!({"KeyMetadata": metadata("eu-west-1", &key_id(1))}),
            "eu-west-1",
        ),
    ];
    for (entry, named) in odd {
        let text = serde_json::json!({"regions": {"us-east-1": {"keys": [entry]}}}).to_string();
        assert_invalid(Snapshot::from_json_strict(&text).unwrap_err(), named);
        assert!(Snapshot::from_json(&text).is_ok(), "{named}");
    }
    // A key without any spec: judged symmetric by inference, refused when strict.
    let mut meta = metadata("us-east-1", &key_id(1));
    meta.as_object_mut().unwrap().remove("KeySpec");
    meta.as_object_mut().unwrap().remove("CustomerMasterKeySpec");
    let text = serde_json::json!({"regions": {"us-east-1": {"keys": [{"KeyMetadata": meta}]}}}).to_string();
    assert!(
        Snapshot::from_json_strict(&text)
            .unwrap_err()
            .to_string()
            .contains("KeySpec")
    );
    // A missing file names the path.
    let err = Snapshot::load("/nonexistent/snapshot.json").unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("/nonexistent/snapshot.json"),
        "{err}"
    );
}

#[tokio::test]
async fn no_client_for_a_requested_region_is_a_configuration_error() {
    let snapshot = load(&every_category());
    let options = CheckOptions::default().with_regions(["ap-south-2"]).unwrap();
    let err = check_account(&snapshot.clients(), &options).await.unwrap_err();
    assert!(
        matches!(err, Error::Configuration(_)) && err.to_string().contains("ap-south-2"),
        "{err}"
    );
    let err = check_account(&kms_rotation_core::Clients::new(), &CheckOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Configuration(_)), "{err}");
    assert!(snapshot.calls().is_empty());
}

#[tokio::test]
async fn a_report_that_is_not_one_is_refused() {
    let err = kms_rotation_core::AccountReport::from_json("{\"schema_version\": 1}").unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    let snapshot = load(&every_category());
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    json["policy"]["max_rotation_period_days"] = 10.into();
    let err = kms_rotation_core::AccountReport::from_json(&json.to_string()).unwrap_err();
    assert!(err.to_string().contains("10"), "{err}");
    // A valid report still remediates after a round trip.
    let again = kms_rotation_core::AccountReport::from_json(&report.to_json()).unwrap();
    assert!(
        remediate(&snapshot.clients(), &again, &RemediateOptions::default())
            .await
            .is_ok()
    );
}
