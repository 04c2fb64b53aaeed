//! Continuous evaluation's handlers through the AWS SDK for Rust, on moto's
//! KMS behind the fault proxy (which answers AWS Config's `PutEvaluations`
//! and `GetResourceConfigHistory` itself and records them): the cases of
//! `scripts/parity/handlers.json`, which Python and Node run too — AWS's
//! documented sample events, each key made in a fresh account, the
//! evaluations Config received read back from the proxy.
//!
//! Needs `KMS_ROTATION_MOTO_ENDPOINT` (`eval "$(scripts/moto.sh start)"`) and
//! python3; without the endpoint the test skips, except under CI, where it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use crate::common;
use crate::common::proxy::Proxy;
use crate::common::{endpoint, fresh_account_id};
use aws_sdk_kms::types::{OriginType, Tag};
use futures::StreamExt;
use kms_rotation_core::aws::{AwsConfigClient, AwsOptions, AwsSecurityHub, AwsSession};
use kms_rotation_core::continuous::security_hub::SecurityHubClient;
use kms_rotation_core::handlers::{HandlerOptions, Invocation, config_rule_handler, event_handler};
use kms_rotation_core::{
    CheckOptions, ConnectionOptions, Error, Regions, RetryConfig, SecurityHubTarget, StaticCredentials,
    TransportSecurityHub,
};
use serde_json::{Value, json};

const HOME: &str = "us-east-1";

fn parity() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/parity/handlers.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn fixture(file: &str, case: &str) -> Value {
    let path = format!("{}/tests/events/{file}", env!("CARGO_MANIFEST_DIR"));
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == case)
        .unwrap_or_else(|| panic!("no fixture {case:?} in {file}"))["event"]
        .clone()
}

/// GET or POST on the proxy's control paths.
fn control(url: &str, body: Option<&Value>) -> Value {
    let script = "import sys, urllib.request\n\
        data = sys.argv[2].encode() if len(sys.argv) > 2 else None\n\
        sys.stdout.write(urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=data, method='POST' if data else 'GET')).read().decode())";
    let mut command = Command::new("python3");
    command.args(["-c", script, url]);
    if let Some(body) = body {
        command.arg(body.to_string());
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Replaces `$name` (a key's id) and `$account` in every string of `value`.
fn fill(value: &Value, ids: &BTreeMap<String, String>, account: &str) -> Value {
    let mut text = value.to_string().replace("$account", account);
    // Longest names first, so that `$ab` is not read as `$a` + `b`.
    let mut names: Vec<&String> = ids.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        text = text.replace(&format!("${name}"), &ids[name]);
    }
    serde_json::from_str(&text).unwrap()
}

/// Sets (or, for null, removes) a field by dotted path.
fn set_path(value: &mut Value, path: &str, new: &Value) {
    let steps: Vec<&str> = path.split('.').collect();
    let mut at = value;
    for step in &steps[..steps.len() - 1] {
        at = at.get_mut(*step).unwrap();
    }
    let last = steps[steps.len() - 1];
    if new.is_null() {
        at.as_object_mut().unwrap().remove(last);
    } else {
        at[last] = new.clone();
    }
}

/// Makes the case's keys in `account`; their ids by name.
async fn make_keys(endpoint: &str, account: &str, keys: &Value) -> BTreeMap<String, String> {
    let session = common::moto::session_in(endpoint, account).await;
    let mut ids = BTreeMap::new();
    for (name, spec) in keys.as_object().unwrap() {
        let region = spec["region"].as_str().unwrap();
        if spec["missing"] == true {
            ids.insert(name.clone(), "0d0e0a0d-0000-4000-8000-000000000404".to_owned());
            continue;
        }
        let kms = aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(session.sdk_config())
                .region(aws_sdk_kms::config::Region::new(region.to_owned()))
                .build(),
        );
        let mut create = kms.create_key();
        if let Some(origin) = spec["origin"].as_str() {
            create = create.origin(OriginType::from(origin));
        }
        if spec["multi_region"] == true {
            create = create.multi_region(true);
        }
        let id = create.send().await.unwrap().key_metadata.unwrap().key_id;
        if spec["rotation"] == true {
            kms.enable_key_rotation().key_id(&id).send().await.unwrap();
        }
        if let Some(alias) = spec["alias"].as_str() {
            kms.create_alias()
                .alias_name(alias)
                .target_key_id(&id)
                .send()
                .await
                .unwrap();
        }
        if let Some(tags) = spec["tags"].as_object() {
            for (k, v) in tags {
                let tag = Tag::builder()
                    .tag_key(k)
                    .tag_value(v.as_str().unwrap())
                    .build()
                    .unwrap();
                kms.tag_resource().key_id(&id).tags(tag).send().await.unwrap();
            }
        }
        if let Some(replica) = spec["replica"].as_str() {
            kms.replicate_key()
                .key_id(&id)
                .replica_region(replica)
                .send()
                .await
                .unwrap();
        }
        if spec["disabled"] == true {
            kms.disable_key().key_id(&id).send().await.unwrap();
        }
        if spec["pending_deletion"] == true {
            kms.schedule_key_deletion()
                .key_id(&id)
                .pending_window_in_days(7)
                .send()
                .await
                .unwrap();
        }
        ids.insert(name.clone(), id);
    }
    ids
}

/// The case's event: the fixture with the fresh account and keys, and its fields set.
fn event_of(case: &Value, doc: &Value, ids: &BTreeMap<String, String>, account: &str) -> Value {
    let event = fixture(
        case["event"]["file"].as_str().unwrap(),
        case["event"]["case"].as_str().unwrap(),
    );
    let mut text = event.to_string();
    for (name, spec) in case["keys"].as_object().unwrap() {
        let placeholder = spec["fixture_id"]
            .as_str()
            .or((name == "k").then(|| doc["fixture_key_id"].as_str().unwrap()));
        if let Some(placeholder) = placeholder {
            text = text.replace(placeholder, &ids[name]);
        }
    }
    let accounts = case.get("accounts").unwrap_or(&doc["fixture_accounts"]);
    for fixture_account in accounts.as_array().unwrap() {
        text = text.replace(fixture_account.as_str().unwrap(), account);
    }
    let mut event: Value = serde_json::from_str(&text).unwrap();
    if let Some(fields) = case["set"].as_object() {
        for (path, value) in fields {
            set_path(&mut event, path, value);
        }
    }
    if case["handler"] == "config"
        && let Some(parameters) = case.get("rule_parameters")
    {
        event["ruleParameters"] = json!(parameters.to_string());
    }
    event
}

fn error_label(error: &Error) -> String {
    match error {
        Error::InvalidInput { what, .. } => format!("invalid:{what}"),
        Error::Api { source, .. } => source.code.clone(),
        other => format!("other:{other}"),
    }
}

/// What the case's expectations compare: the same shape in every door.
fn outcome(result: &Result<Invocation, Error>, ids: &BTreeMap<String, String>, proxy: &Proxy) -> Value {
    let name_of = |text: &str| {
        ids.iter()
            .find(|(_, id)| text.contains(id.as_str()))
            .map_or_else(|| text.to_owned(), |(name, _)| name.clone())
    };
    let mut out = json!({});
    match result {
        Err(error) => out["error"] = json!(error_label(error)),
        Ok(invocation) => {
            out["error"] = json!(invocation.error().map(|e| error_label(&e)));
            let mut findings: Vec<Value> = invocation
                .report
                .findings
                .iter()
                .map(|f| json!([name_of(&f.key_id), f.region, f.status.as_str(), f.reason.as_str()]))
                .collect();
            findings.sort_by_key(|f| f.to_string());
            out["findings"] = json!(findings);
            out["gone"] = json!(invocation.gone.iter().map(|t| name_of(&t.key)).collect::<Vec<_>>());
            out["skipped"] = json!(invocation.skipped.is_some());
            out["remediation"] = json!(
                invocation
                    .remediation
                    .iter()
                    .flat_map(|r| &r.actions)
                    .map(|a| json!([name_of(&a.target_arn), a.outcome.as_str()]))
                    .collect::<Vec<_>>()
            );
            // The summary's outcome, as every door returns it; failed as its codes.
            let mut delivery = invocation.summary()["security_hub"].clone();
            if let Some(failed) = delivery.get("failed").and_then(Value::as_array) {
                delivery["failed"] = json!(failed.iter().map(|f| f["code"].clone()).collect::<Vec<_>>());
            }
            out["security_hub"] = delivery;
        }
    }
    let config = control(&format!("{}/__config", proxy.url), None);
    let mut evaluations = Vec::new();
    let mut config_calls = Vec::new();
    for record in config.as_array().unwrap() {
        config_calls.push(record["op"].clone());
        if record["op"] == "PutEvaluations" {
            let failed: BTreeSet<String> = record["answer"]["FailedEvaluations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["ComplianceResourceId"].as_str().unwrap().to_owned())
                .collect();
            for e in record["request"]["Evaluations"].as_array().unwrap() {
                let id = e["ComplianceResourceId"].as_str().unwrap();
                if !failed.contains(id) {
                    let reason = e["Annotation"].as_str().unwrap().split(':').next().unwrap();
                    evaluations.push(json!([name_of(id), e["ComplianceType"], reason]));
                }
            }
        }
    }
    evaluations.sort_by_key(|e| e.to_string());
    out["evaluations"] = json!(evaluations);
    out["config_calls"] = json!(config_calls);
    let kms: BTreeSet<String> = proxy
        .calls()
        .iter()
        .filter_map(|c| c["op"].as_str())
        .filter(|op| kms_rotation_core::Operation::KMS.iter().any(|k| k.as_str() == *op))
        .map(str::to_owned)
        .collect();
    out["kms_calls"] = json!(kms);
    out
}

/// Checks `got` against the case's expectations (only what they name).
fn compare(name: &str, expect: &Value, got: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let sorted = |v: &Value| {
        let mut list: Vec<String> = v.as_array().into_iter().flatten().map(Value::to_string).collect();
        list.sort();
        list
    };
    for (field, want) in expect.as_object().unwrap() {
        let ok = match field.as_str() {
            "evaluations" | "findings" | "remediation" | "gone" => sorted(want) == sorted(&got[field]),
            "some_kms_calls" => want
                .as_array()
                .unwrap()
                .iter()
                .all(|op| got["kms_calls"].as_array().unwrap().contains(op)),
            "no_kms_calls" => want
                .as_array()
                .unwrap()
                .iter()
                .all(|op| !got["kms_calls"].as_array().unwrap().contains(op)),
            _ => *want == got[field],
        };
        if !ok {
            problems.push(format!("{name}: {field}: expected {want}, got {}", got[field]));
        }
    }
    if expect.get("error").is_none() && !got["error"].is_null() {
        problems.push(format!("{name}: unexpected error {}", got["error"]));
    }
    problems
}

/// The session of the handler's role in `account`, through the proxy.
async fn role_session(proxy: &Proxy, role: &str) -> AwsSession {
    AwsSession::connect(
        &AwsOptions::default()
            .with_static_credentials("testing", "testing-secret", None)
            .with_endpoint_url(&proxy.url)
            .unwrap()
            .with_regions([HOME])
            .unwrap()
            .with_role(role, None, None)
            .unwrap(),
    )
    .await
    .unwrap()
}

/// The Security Hub client of `session` in `region` (built-in, through the proxy).
fn hub_in(session: &AwsSession, region: &str) -> TransportSecurityHub<AwsSecurityHub> {
    TransportSecurityHub::new(AwsSecurityHub::new(session, region).unwrap(), region).unwrap()
}

/// `security_hub_finding` for the key `name` of the case (its region, the account, its id).
fn hub_finding(doc: &Value, case: &Value, ids: &BTreeMap<String, String>, name: &str, account: &str) -> Value {
    let region = case["keys"][name]["region"].as_str().unwrap();
    let text = doc["security_hub_finding"]
        .to_string()
        .replace("KEY_ID", &ids[name])
        .replace("ACCOUNT", account)
        .replace("REGION", region);
    serde_json::from_str(&text).unwrap()
}

/// The `RecordState` Security Hub holds for each finding `hub_finding` made.
async fn hub_records(
    session: &AwsSession,
    doc: &Value,
    case: &Value,
    ids: &BTreeMap<String, String>,
    account: &str,
) -> Value {
    let mut records = serde_json::Map::new();
    for name in case["security_hub"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        let wanted = hub_finding(doc, case, ids, name, account);
        let hub = hub_in(session, case["keys"][name]["region"].as_str().unwrap());
        let mut token: Option<String> = None;
        loop {
            let page = hub.get_findings(&json!({}), token.as_deref()).await.unwrap();
            if let Some(held) = page.items.iter().find(|f| f["Id"] == wanted["Id"]) {
                records.insert(name.to_owned(), held["RecordState"].clone());
            }
            match page.next_marker {
                Some(next) => token = Some(next),
                None => break,
            }
        }
    }
    Value::Object(records)
}

/// The case's handler with `options` (and the case's rule parameters for EventBridge).
async fn run_handler(
    case: &Value,
    session: &AwsSession,
    connection: &kms_rotation_core::Connection,
    event: &Value,
    options: HandlerOptions,
) -> Result<Invocation, Error> {
    if case["handler"] == "config" {
        let config = AwsConfigClient::new(session, HOME).unwrap();
        return config_rule_handler(connection, &config, event, &options).await;
    }
    match case.get("rule_parameters") {
        Some(parameters) => event_handler(connection, event, &options.with_rule_parameters(parameters)?).await,
        None => event_handler(connection, event, &options).await,
    }
}

/// Runs one case with a proxy of its own; the problems found.
async fn run_case(endpoint: &str, doc: &Value, case: &Value) -> Vec<String> {
    let proxy = Proxy::start(endpoint);
    let name = case["name"].as_str().unwrap();
    let started = std::time::Instant::now();
    let account = fresh_account_id();
    let ids = make_keys(endpoint, &account, &case["keys"]).await;
    proxy.set(fill(case.get("faults").unwrap_or(&json!([])), &ids, &account));
    control(
        &format!("{}/__config_items", proxy.url),
        Some(&fill(case.get("config_items").unwrap_or(&json!([])), &ids, &account)),
    );
    let event = event_of(case, doc, &ids, &account);
    // The function's account: the keys' own, or another one (events forwarded to a central account).
    let function_account = if case["function_in_other_account"] == true {
        fresh_account_id()
    } else {
        account.clone()
    };
    let role = format!("arn:aws:iam::{function_account}:role/KmsRotationHandler");
    let session = role_session(&proxy, &role).await;
    for name in case["security_hub"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        let finding = hub_finding(doc, case, &ids, name, &account);
        let hub = hub_in(&session, case["keys"][name]["region"].as_str().unwrap());
        let refused = hub.batch_import_findings(&[finding]).await.unwrap();
        assert!(refused.is_empty(), "{refused:?}");
    }
    let mut connection = ConnectionOptions::default();
    if case.get("security_hub").is_some() {
        connection = connection.with_security_hub(SecurityHubTarget::Aws);
    }
    let connection = connection
        .with_credentials(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing-secret".into(),
            session_token: None,
        })
        .with_endpoint_url(&proxy.url)
        .with_role_arn(&role)
        .with_regions(Regions::from_names([HOME]).unwrap())
        .build()
        .unwrap();
    let retry = RetryConfig::default().with_delays(Duration::from_millis(20), Duration::from_millis(300));
    let mut options = HandlerOptions::default()
        .with_check(CheckOptions::default().with_retry(retry))
        .with_function_arn(&format!(
            "arn:aws:lambda:{HOME}:{function_account}:function:kms-rotation"
        ));
    if let Some(ms) = case["time_left_ms"].as_u64() {
        options = options.with_time_left(Duration::from_millis(ms));
    }
    let options = match case["cross_account_role_name"].as_str() {
        Some(name) => options.with_cross_account_role_name(name),
        None => Ok(options),
    };
    let result = match options {
        Err(error) => Err(error),
        Ok(options) => run_handler(case, &session, &connection, &event, options).await,
    };
    let mut got = outcome(&result, &ids, &proxy);
    got["hub_records"] = hub_records(&session, doc, case, &ids, &account).await;
    let found = compare(name, &case["expect"], &got);
    let verdict = if found.is_empty() { "ok" } else { "FAILED" };
    eprintln!("{verdict} {name} ({:?})", started.elapsed());
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_handler_on_each_documented_event_writes_the_shared_evaluations() {
    let Some(endpoint) = endpoint() else { return };
    let doc = parity();
    // Four cases at a time, each in its own account behind its own proxy.
    let problems: Vec<Vec<String>> = futures::stream::iter(doc["cases"].as_array().unwrap())
        .map(|case| run_case(&endpoint, &doc, case))
        .buffer_unordered(4)
        .collect()
        .await;
    let problems: Vec<String> = problems.into_iter().flatten().collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
