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

mod handlers_offline {
    //! The handlers over a snapshot and an AWS Config in memory: batches, the
    //! retry of failed evaluations, errors that are never evaluations,
    //! remediation on the event.

    use kms_rotation_core::continuous::client::MemoryConfig;
    use kms_rotation_core::handlers::{HandlerOptions, config_rule_handler, event_handler};
    use kms_rotation_core::{ConnectionOptions, Error, Outcome, RetryConfig, Snapshot};
    use serde_json::{Value, json};
    use std::time::Duration;

    const ACCOUNT: &str = "111122223333";

    fn key_id(n: u32) -> String {
        format!("{n:08x}-0000-4000-8000-{n:012x}")
    }

    /// `keys` keys in us-east-1: rotation on for even ones, off for odd ones.
    fn account(keys: u32) -> Snapshot {
        let entries: Vec<Value> = (0..keys)
            .map(|n| {
                let id = key_id(n);
                json!({
                    "KeyMetadata": {
                        "AWSAccountId": ACCOUNT, "KeyId": id, "Arn": format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{id}"),
                        "CreationDate": 1_700_000_000.0, "Enabled": true, "KeyUsage": "ENCRYPT_DECRYPT",
                        "KeyState": "Enabled", "Origin": "AWS_KMS", "KeyManager": "CUSTOMER",
                        "KeySpec": "SYMMETRIC_DEFAULT", "MultiRegion": false,
                    },
                    "RotationStatus": {"KeyRotationEnabled": n % 2 == 0, "RotationPeriodInDays": 365},
                    "Aliases": [], "Tags": [],
                })
            })
            .collect();
        let file = json!({"account_id": ACCOUNT, "regions": {"us-east-1": {"keys": entries}}});
        Snapshot::from_json(&file.to_string()).unwrap()
    }

    fn scheduled(parameters: Value) -> Value {
        json!({
            "invokingEvent": json!({"messageType": "ScheduledNotification", "awsAccountId": ACCOUNT,
                "notificationCreationTime": "2026-12-01T00:00:00Z"}).to_string(),
            "ruleParameters": parameters.to_string(),
            "resultToken": "token-7", "accountId": ACCOUNT,
            "configRuleArn": format!("arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-1"),
        })
    }

    fn quick() -> HandlerOptions {
        let retry = RetryConfig::default().with_delays(Duration::from_millis(1), Duration::from_millis(5));
        HandlerOptions::default().with_check(kms_rotation_core::CheckOptions::default().with_retry(retry))
    }

    #[tokio::test]
    async fn a_schedule_of_250_keys_writes_three_batches_with_the_token() {
        let connection = ConnectionOptions::default()
            .with_snapshot(account(250))
            .build()
            .unwrap();
        let config = MemoryConfig::new("us-east-1");
        let invocation = config_rule_handler(&connection, &config, &scheduled(json!({})), &quick())
            .await
            .unwrap();
        let sizes: Vec<usize> = config.requests().iter().map(|(batch, _)| batch.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert!(config.requests().iter().all(|(_, token)| token == "token-7"));
        assert_eq!(invocation.evaluations.len(), 250);
        let compliant = config
            .evaluations()
            .iter()
            .filter(|e| serde_json::to_value(e).unwrap()["ComplianceType"] == "COMPLIANT")
            .count();
        assert_eq!(compliant, 125);
        assert!(invocation.into_result().is_ok());
    }

    #[tokio::test]
    async fn evaluations_config_answers_as_failed_are_sent_again_never_dropped() {
        let connection = ConnectionOptions::default().with_snapshot(account(4)).build().unwrap();
        let config = MemoryConfig::new("us-east-1").failing([3, 1]);
        let invocation = config_rule_handler(&connection, &config, &scheduled(json!({})), &quick())
            .await
            .unwrap();
        let sizes: Vec<usize> = config.requests().iter().map(|(batch, _)| batch.len()).collect();
        // 4 sent, 3 refused; 3 sent again, 1 refused; 1 sent again.
        assert_eq!(sizes, [1, 2, 1]);
        assert_eq!(config.evaluations().len(), 4);
        assert!(invocation.into_result().is_ok());

        let config = MemoryConfig::new("us-east-1").failing([2; 20]);
        let invocation = config_rule_handler(&connection, &config, &scheduled(json!({})), &quick())
            .await
            .unwrap();
        assert_eq!(invocation.evaluations.len(), 2, "the others were accepted");
        let error = invocation.into_result().unwrap_err();
        let Error::Api { operation, source, .. } = &error else {
            panic!("{error}")
        };
        assert_eq!(
            (*operation, source.code.as_str()),
            ("PutEvaluations", "FailedEvaluations")
        );
        assert!(
            source.message.contains(&key_id(0)) || source.message.contains(&key_id(1)),
            "{error}"
        );
    }

    #[tokio::test]
    async fn an_error_is_never_an_evaluation_and_fails_the_invocation_after_the_others() {
        let demo = Snapshot::load("../examples/data/demo-account.json").unwrap();
        let connection = ConnectionOptions::default().with_snapshot(demo).build().unwrap();
        let config = MemoryConfig::new("us-east-1");
        let invocation = config_rule_handler(&connection, &config, &scheduled(json!({})), &quick())
            .await
            .unwrap();
        let errors = invocation
            .report
            .findings
            .iter()
            .filter(|f| f.status == kms_rotation_core::Status::Error)
            .count();
        assert!(errors > 0);
        assert_eq!(config.evaluations().len(), invocation.report.findings.len() - errors);
        assert_eq!(invocation.failures.len(), errors);
        let error = invocation.into_result().unwrap_err();
        assert!(matches!(error, Error::Api { .. }), "{error}");
    }

    #[tokio::test]
    async fn auto_remediate_dry_run_changes_nothing_and_apply_reads_back() {
        let event = json!({
            "version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.kms",
            "account": ACCOUNT, "time": "2026-12-01T00:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"eventSource": "kms.amazonaws.com", "eventName": "DisableKeyRotation", "awsRegion": "us-east-1",
                "recipientAccountId": ACCOUNT, "requestParameters": {"keyId": key_id(1)}},
        });
        let snapshot = account(2);
        let connection = ConnectionOptions::default()
            .with_snapshot(snapshot.clone())
            .build()
            .unwrap();
        let dry = quick()
            .with_rule_parameters(&json!({"auto_remediate": "dry-run"}))
            .unwrap();
        let invocation = event_handler(&connection, &event, &dry).await.unwrap();
        let plan = invocation.remediation.unwrap();
        assert!(plan.dry_run);
        assert_eq!(plan.actions[0].outcome, Outcome::WouldChange);
        let apply = quick()
            .with_rule_parameters(&json!({"auto_remediate": "apply"}))
            .unwrap();
        let invocation = event_handler(&connection, &event, &apply).await.unwrap();
        let done = invocation.remediation.unwrap();
        assert_eq!(done.actions[0].outcome, Outcome::Changed);
        assert!(done.actions[0].verified);
        let again = event_handler(&connection, &event, &quick()).await.unwrap();
        assert_eq!(again.report.findings[0].status, kms_rotation_core::Status::Pass);
    }

    #[tokio::test]
    async fn a_key_of_another_account_is_an_error_naming_the_event() {
        let event = json!({
            "version": "0", "id": "1", "detail-type": "KMS CMK Rotation", "source": "aws.kms",
            "account": "444455556666", "time": "2026-12-01T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {"key-id": key_id(1)},
        });
        let connection = ConnectionOptions::default().with_snapshot(account(2)).build().unwrap();
        let options = quick().with_function_arn(&format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"));
        let error = event_handler(&connection, &event, &options).await.unwrap_err();
        assert!(error.to_string().contains("KMS CMK Rotation"), "{error}");
        assert!(error.to_string().contains("444455556666"), "{error}");
    }
}
