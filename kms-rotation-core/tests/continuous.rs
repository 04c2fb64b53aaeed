//! Continuous evaluation's events, as AWS documents them
//! (`tests/events/`): the keys each EventBridge event names, each Config rule
//! trigger, bad events and rule parameters named before any call, and
//! verdicts as Config evaluations.

use kms_rotation_core::continuous::config::{
    self, ComplianceType, ConfigRuleEvent, EVALUATIONS_PER_CALL, Trigger, evaluation_of,
};
use kms_rotation_core::continuous::events::{self, key_event};
use kms_rotation_core::{CheckOptions, Snapshot, Status, Timestamp, check_account};
use serde_json::Value;

fn cases(file: &str) -> Value {
    let path = format!("{}/tests/events/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn each_eventbridge_event_names_its_keys_where_aws_puts_them() {
    let file = cases("eventbridge.json");
    for case in file["cases"].as_array().unwrap() {
        let name = &case["name"];
        let event = key_event(&case["event"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let targets: Vec<[String; 3]> = event
            .targets
            .iter()
            .map(|t| [t.account_id.clone(), t.region.clone(), t.key.clone()])
            .collect();
        let expected: Vec<[String; 3]> = serde_json::from_value(case["targets"].clone()).unwrap();
        assert_eq!(targets, expected, "{name}");
        assert_eq!(event.tags_only, case["tags_only"] == true, "{name}");
        assert_eq!(event.failed_call.as_deref(), case["failed_call"].as_str(), "{name}");
    }
    for name in events::CLOUDTRAIL_EVENTS {
        assert!(
            file["cases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["event"]["detail"]["eventName"] == name),
            "no case for {name}"
        );
    }
}

#[test]
fn an_event_that_cannot_be_placed_is_an_error_naming_it() {
    for case in cases("eventbridge.json")["bad"].as_array().unwrap() {
        let error = key_event(&case["event"]).expect_err(case["name"].as_str().unwrap());
        let text = error.to_string();
        assert!(
            text.contains(case["error"].as_str().unwrap()),
            "{}: {text}",
            case["name"]
        );
    }
}

#[test]
fn the_event_pattern_matches_what_the_handler_follows() {
    let pattern = events::event_pattern();
    let text = pattern.to_string();
    for name in events::CLOUDTRAIL_EVENTS.iter().chain(&events::KMS_EVENTS) {
        assert!(text.contains(name), "{name} missing from {text}");
    }
}

#[test]
fn each_config_trigger_is_read_with_its_ordering_time() {
    for case in cases("config-rule.json")["cases"].as_array().unwrap() {
        let name = &case["name"];
        let parsed = ConfigRuleEvent::parse(&case["event"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.result_token, "myResultToken");
        assert_eq!(parsed.policy.max_rotation_period_days(), 180, "{name}");
        assert_eq!(parsed.policy.exemptions().len(), 1, "{name}");
        let ordering = Timestamp::parse_rfc3339(case["ordering"].as_str().unwrap()).unwrap();
        match (&parsed.trigger, case["trigger"].as_str()) {
            (
                Trigger::Change {
                    target,
                    captured_at,
                    gone,
                    oversized,
                },
                Some("change"),
            ) => {
                let expected: [String; 3] = serde_json::from_value(case["target"].clone()).unwrap();
                assert_eq!(
                    [target.account_id.clone(), target.region.clone(), target.key.clone()],
                    expected
                );
                assert_eq!(captured_at.epoch_seconds(), ordering.epoch_seconds(), "{name}");
                assert_eq!(*gone, case["gone"] == true, "{name}");
                assert_eq!(*oversized, case["oversized"] == true, "{name}");
            }
            (
                Trigger::Scheduled {
                    account_id,
                    notified_at,
                },
                Some("scheduled"),
            ) => {
                assert_eq!(account_id, "123456789012");
                assert_eq!(notified_at.epoch_seconds(), ordering.epoch_seconds(), "{name}");
            }
            (other, expected) => panic!("{name}: {other:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn a_bad_config_event_or_rule_parameter_is_named_before_any_call() {
    for case in cases("config-rule.json")["bad"].as_array().unwrap() {
        let error = ConfigRuleEvent::parse(&case["event"]).expect_err(case["name"].as_str().unwrap());
        let text = error.to_string();
        assert!(
            text.contains(case["error"].as_str().unwrap()),
            "{}: {text}",
            case["name"]
        );
    }
}

#[tokio::test]
async fn verdicts_become_evaluations_and_errors_never_do() {
    let snapshot = Snapshot::load("../examples/data/demo-account.json").unwrap();
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .unwrap();
    let at = Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for finding in &report.findings {
        let evaluation = evaluation_of(finding, at);
        let expected = match finding.status {
            Status::Pass => Some(ComplianceType::Compliant),
            Status::Fail => Some(ComplianceType::NonCompliant),
            Status::NotApplicable | Status::Exempt => Some(ComplianceType::NotApplicable),
            _ => None,
        };
        assert_eq!(
            evaluation.as_ref().map(|e| e.compliance_type),
            expected,
            "{}",
            finding.key_arn
        );
        if let Some(evaluation) = evaluation {
            assert_eq!(evaluation.compliance_resource_id, finding.key_id);
            assert!(evaluation.annotation.chars().count() <= config::ANNOTATION_MAX);
            assert!(evaluation.annotation.starts_with(finding.reason.as_str()));
        }
        seen.insert(format!("{:?}", finding.status));
    }
    assert!(
        seen.contains("Error") && seen.contains("Fail"),
        "the demo has both: {seen:?}"
    );
    let long = config::annotation("rotation_disabled", &"x".repeat(400));
    assert_eq!(long.chars().count(), config::ANNOTATION_MAX);
    assert!(long.ends_with('…'));
}

#[test]
fn evaluations_go_in_batches_of_a_hundred_with_the_result_token() {
    let at = Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
    let evaluations: Vec<_> = (0..250).map(|n| config::gone(&format!("key-{n}"), at)).collect();
    let requests = config::put_evaluations_requests(&evaluations, "token-1");
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| r["Evaluations"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [EVALUATIONS_PER_CALL, EVALUATIONS_PER_CALL, 50]);
    assert!(requests.iter().all(|r| r["ResultToken"] == "token-1"));
    let first = &requests[0]["Evaluations"][0];
    assert_eq!(first["ComplianceResourceType"], "AWS::KMS::Key");
    assert_eq!(first["ComplianceType"], "NOT_APPLICABLE");
    assert_eq!(first["OrderingTimestamp"], "2026-12-01T00:00:00Z");
}
