//! The deployment template (`docs/continuous.yaml`) agrees with the code:
//! its EventBridge pattern is `continuous::events::event_pattern()`, its
//! Config rule passes exactly the rule parameters the handler reads, and its
//! handlers are the ones the packages export. (`cfn-lint` lints it in the
//! Python suite: `kms-rotation-py/tests/test_continuous_template.py`.)

use kms_rotation_core::continuous::config::{RESOURCE_TYPE, RULE_PARAMETERS};
use kms_rotation_core::continuous::events::event_pattern;
use serde_json::Value;

fn template() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/continuous.yaml")).unwrap()
}

/// The JSON flow mapping after `EventPattern:` (YAML's flow style is JSON here).
fn event_pattern_of(template: &str) -> Value {
    let start = template
        .find("EventPattern:")
        .expect("the template has an EventPattern")
        + "EventPattern:".len();
    let text = &template[start..];
    let open = text.find('{').unwrap();
    let mut depth = 0;
    let mut in_string = false;
    for (i, c) in text[open..].char_indices() {
        match c {
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return serde_json::from_str(&text[open..=open + i]).expect("the EventPattern is JSON");
                }
            }
            _ => {}
        }
    }
    panic!("the EventPattern does not end");
}

#[test]
fn the_templates_event_pattern_is_the_codes() {
    assert_eq!(event_pattern_of(&template()), event_pattern());
}

#[test]
fn the_config_rule_takes_exactly_the_handlers_parameters() {
    let template = template();
    let rule = &template[template.find("InputParameters:").unwrap()..template.find("Source:\n").unwrap()];
    let mut named: Vec<&str> = rule
        .lines()
        .filter_map(|line| line.trim().trim_start_matches("- ").split_once(':'))
        .map(|(name, _)| name.trim())
        .filter(|name| !name.is_empty() && !name.starts_with('!') && *name != "InputParameters")
        .collect();
    named.sort_unstable();
    named.dedup();
    let mut expected = RULE_PARAMETERS.to_vec();
    expected.sort_unstable();
    assert_eq!(named, expected);
    // The event function gets the same policy as JSON: every parameter there too.
    for name in RULE_PARAMETERS {
        assert!(
            template.contains(&format!("\\\"{name}\\\"")) || template.contains(&format!("\"{name}\": ")),
            "{name}"
        );
    }
    assert!(template.contains(&format!("ComplianceResourceTypes: [\"{RESOURCE_TYPE}\"]")));
}

#[test]
fn the_handlers_and_runtimes_are_the_packages() {
    let template = template();
    for wanted in [
        "Handler: !If [IsPython, kms_rotation.aws_lambda.config_rule_handler, bootstrap]",
        "Handler: !If [IsPython, kms_rotation.aws_lambda.event_handler, bootstrap]",
        "Runtime: !If [IsPython, python3.12, provided.al2023]",
        "MessageType: ConfigurationItemChangeNotification",
        "MessageType: OversizedConfigurationItemChangeNotification",
        "MessageType: ScheduledNotification",
    ] {
        assert!(template.contains(wanted), "{wanted}");
    }
    // kms:EnableKeyRotation only under the AutoRemediate condition.
    let grant = template.find("Action: kms:EnableKeyRotation").unwrap();
    assert!(template[..grant].rfind("- Remediates").unwrap() > template[..grant].rfind("Statement:").unwrap());
}
