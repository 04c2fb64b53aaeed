//! Declared against live (`compare_live`, reason `drift`): a Terraform state
//! whose ids a snapshot serves (every kind of drift, a failed read, a match),
//! a plan's prior state and a key not yet created, a CloudFormation stack
//! through the in-memory stacks, bad input named before any call, and, on
//! moto's server (behind the fault proxy, which gives the periods moto does
//! not keep), a deployed stack and a state changed live, through the core and
//! the CLI.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use kms_rotation_core::{
    AccountReport, CheckOptions, Connection, ConnectionOptions, DeclarationOptions, DeclarationSource, Error, Finding,
    Format, LiveState, MemoryCloudFormation, Reason, Regions, RenderOptions, Snapshot, StackResource,
    StaticCredentials, Status, check_cloudformation, check_terraform_plan, render,
};
use serde_json::{Value, json};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iac").join(path)
}

fn live_snapshot() -> Snapshot {
    Snapshot::load(fixture("terraform/drift-live.json")).unwrap()
}

fn snapshot_connection(snapshot: &Snapshot) -> Connection {
    ConnectionOptions::default()
        .with_snapshot(snapshot.clone())
        .build()
        .unwrap()
}

fn compare() -> DeclarationOptions {
    DeclarationOptions::default().with_compare_live(true)
}

fn by_address<'a>(report: &'a AccountReport, address: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.code.as_ref().is_some_and(|c| c.address == address))
        .unwrap_or_else(|| panic!("no finding for {address}"))
}

/// Status, reason, and each difference as `field: declared -> live`.
fn drift(finding: &Finding) -> (Status, Reason, Vec<String>) {
    let live = finding.live.as_ref().expect("a live comparison");
    let differences = live
        .differences
        .iter()
        .map(|d| format!("{}: {} -> {}", d.field, d.declared, d.live))
        .collect();
    (finding.status, finding.reason, differences)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn a_state_against_its_live_keys_names_every_drift_with_both_values() {
    let snapshot = live_snapshot();
    let connection = snapshot_connection(&snapshot);
    let source = DeclarationSource::path(fixture("terraform/drift-state.json"));
    let report = block_on(connection.check_terraform_plan(&source, &compare(), &CheckOptions::default())).unwrap();
    assert_eq!(report.findings.len(), 7);
    let steady = by_address(&report, "aws_kms_key.steady");
    assert_eq!(drift(steady), (Status::Pass, Reason::RotationEnabled, vec![]));
    let live = steady.live.as_ref().unwrap();
    assert_eq!(live.state, LiveState::Compared);
    assert_eq!(
        (live.status, live.reason),
        (Some(Status::Pass), Some(Reason::RotationEnabled))
    );
    assert!(steady.message.contains("matches the declaration"), "{}", steady.message);

    let expected = [
        (
            "aws_kms_key.switched_off",
            "rotation_enabled: true -> false",
            Status::Fail,
        ),
        ("aws_kms_key.longer", "rotation_period_days: 365 -> 730", Status::Fail),
        (
            "aws_kms_key.doomed",
            "key_state: Enabled -> PendingDeletion",
            Status::NotApplicable,
        ),
        ("aws_kms_key.gone", "key_state: Enabled -> not found", Status::Error),
        (
            "aws_kms_key.disabled_live",
            "key_state: Enabled -> Disabled",
            Status::Pass,
        ),
    ];
    for (address, difference, live_status) in expected {
        let finding = by_address(&report, address);
        assert_eq!(
            drift(finding),
            (Status::Fail, Reason::Drift, vec![difference.to_owned()]),
            "{address}"
        );
        let live = finding.live.as_ref().unwrap();
        assert_eq!(live.status, Some(live_status), "{address}");
        assert_eq!(
            (live.declared_status, live.declared_reason),
            (Status::Pass, Reason::RotationEnabled),
            "{address}: the declared verdict stays beside the live one"
        );
        let (declared, now) = difference.split_once(": ").unwrap().1.split_once(" -> ").unwrap();
        assert!(
            finding.message.contains(&format!("declared {declared}, live {now}")),
            "{address}: {}",
            finding.message
        );
    }
    // A read that fails is never "no drift".
    let denied = by_address(&report, "aws_kms_key.denied");
    assert_eq!((denied.status, denied.reason), (Status::Error, Reason::ApiError));
    assert_eq!(denied.error.as_ref().unwrap().code, "AccessDeniedException");
    assert_eq!(denied.live.as_ref().unwrap().state, LiveState::ReadFailed);
    assert_eq!(report.exit_code(), 2, "a FAIL first");
    assert!(report.stats.api_calls.get("DescribeKey").is_some_and(|n| *n >= 6));
}

#[test]
fn a_plan_compares_what_exists_and_says_what_is_not_created_yet() {
    let id = "00000002-1111-4222-8333-000000000002";
    let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    let plan = json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_kms_key.kept", "mode": "managed", "type": "aws_kms_key", "name": "kept",
             "values": {"enable_key_rotation": true, "rotation_period_in_days": 365, "is_enabled": true}},
            {"address": "aws_kms_key.new", "mode": "managed", "type": "aws_kms_key", "name": "new",
             "values": {"enable_key_rotation": true, "rotation_period_in_days": 365, "is_enabled": true}}
        ]}},
        "resource_changes": [
            {"address": "aws_kms_key.kept", "type": "aws_kms_key", "change": {"actions": ["update"], "after_unknown": {}}},
            {"address": "aws_kms_key.new", "type": "aws_kms_key", "change": {"actions": ["create"], "after_unknown": {"arn": true, "id": true, "key_id": true}}}
        ],
        "prior_state": {"values": {"root_module": {"resources": [
            {"address": "aws_kms_key.kept", "mode": "managed", "type": "aws_kms_key", "name": "kept",
             "values": {"id": id, "key_id": id, "arn": arn, "enable_key_rotation": true}}
        ]}}}
    });
    let connection = snapshot_connection(&live_snapshot());
    let source = DeclarationSource::json(plan);
    let report = block_on(connection.check_terraform_plan(&source, &compare(), &CheckOptions::default())).unwrap();
    let kept = by_address(&report, "aws_kms_key.kept");
    assert_eq!(
        drift(kept),
        (
            Status::Fail,
            Reason::Drift,
            vec!["rotation_enabled: true -> false".to_owned()]
        )
    );
    let new = by_address(&report, "aws_kms_key.new");
    assert_eq!((new.status, new.reason), (Status::Pass, Reason::RotationEnabled));
    let live = new.live.as_ref().unwrap();
    assert_eq!((live.state, live.status), (LiveState::NotCreated, None));
    assert!(new.message.contains("not created yet"), "{}", new.message);
}

fn template() -> Value {
    json!({"Resources": {
        "Rotating": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true}},
        "Longer": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true, "RotationPeriodInDays": 365}},
        "Later": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true}}
    }})
}

#[test]
fn a_stack_gives_the_physical_ids_before_any_kms_call() {
    let snapshot = live_snapshot();
    let connection = snapshot_connection(&snapshot);
    let stacks = MemoryCloudFormation::new("us-east-1").with_stack(
        "app",
        [
            StackResource::new(
                "Rotating",
                Some("00000001-1111-4222-8333-000000000001".into()),
                "AWS::KMS::Key",
            ),
            StackResource::new(
                "Longer",
                Some("00000003-1111-4222-8333-000000000003".into()),
                "AWS::KMS::Key",
            ),
            StackResource::new("Later", None, "AWS::KMS::Key"),
        ],
    );
    let options = compare()
        .with_stack_name("app")
        .unwrap()
        .with_cloudformation_client(Arc::new(stacks.clone()));
    let sources = [DeclarationSource::json(template())];
    let report = block_on(connection.check_cloudformation(&sources, &options, &CheckOptions::default())).unwrap();
    assert_eq!(stacks.calls(), ["app"]);
    assert_eq!(
        drift(by_address(&report, "Rotating")),
        (Status::Pass, Reason::RotationEnabled, vec![])
    );
    assert_eq!(
        drift(by_address(&report, "Longer")),
        (
            Status::Fail,
            Reason::Drift,
            vec!["rotation_period_days: 365 -> 730".to_owned()]
        )
    );
    let later = by_address(&report, "Later");
    assert_eq!(later.live.as_ref().unwrap().state, LiveState::NotCreated);
    assert_eq!(later.code.as_ref().unwrap().stack.as_deref(), Some("app"));
    assert_eq!(report.stats.api_calls.get("DescribeStackResources"), Some(&1));

    // A stack that does not exist: named, and not one KMS call.
    snapshot.clear_calls();
    let options = compare()
        .with_stack_name("missing")
        .unwrap()
        .with_cloudformation_client(Arc::new(stacks));
    let error = block_on(connection.check_cloudformation(&sources, &options, &CheckOptions::default())).unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { what, value, .. } if *what == "stack_name" && value == "missing"),
        "{error}"
    );
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert!(snapshot.calls().is_empty(), "{:?}", snapshot.calls());
}

fn invalid(error: Error) -> (String, String, String) {
    match error {
        Error::InvalidInput { what, value, reason } => (what.to_string(), value, reason),
        other => panic!("not invalid input: {other}"),
    }
}

#[test]
fn bad_input_is_named_before_any_call() {
    let snapshot = live_snapshot();
    let connection = snapshot_connection(&snapshot);
    let check = CheckOptions::default();
    let state = DeclarationSource::path(fixture("terraform/drift-state.json"));
    let one = [DeclarationSource::json(template())];

    // compare_live reads KMS: only through a connection.
    let (what, _, reason) = invalid(check_terraform_plan(&state, &compare()).unwrap_err());
    assert_eq!(what, "compare_live");
    assert!(reason.contains("connection"), "{reason}");
    // A stack is CloudFormation's.
    let with_stack = compare().with_stack_name("app").unwrap();
    let (what, value, _) = invalid(block_on(connection.check_terraform_plan(&state, &with_stack, &check)).unwrap_err());
    assert_eq!((what.as_str(), value.as_str()), ("stack_name", "app"));
    // A stack without compare_live, a template compared without its stack.
    let stack_only = DeclarationOptions::default().with_stack_name("app").unwrap();
    assert_eq!(
        invalid(check_cloudformation(&one, &stack_only).unwrap_err()).0,
        "stack_name"
    );
    let (what, _, reason) = invalid(block_on(connection.check_cloudformation(&one, &compare(), &check)).unwrap_err());
    assert_eq!(what, "compare_live");
    assert!(reason.contains("stack_name"), "{reason}");
    // A name CloudFormation would not take.
    assert_eq!(
        invalid(compare().with_stack_name("1-bad name").unwrap_err()).0,
        "stack_name"
    );
    // A plan that knows no id: nothing to compare.
    let unknown = DeclarationSource::json(json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{"address": "aws_kms_key.a", "mode": "managed",
            "type": "aws_kms_key", "name": "a", "values": {"enable_key_rotation": true}}]}}
    }));
    let (what, _, reason) =
        invalid(block_on(connection.check_terraform_plan(&unknown, &compare(), &check)).unwrap_err());
    assert_eq!(what, "plan");
    assert!(reason.contains("no declared key has a known id"), "{reason}");
    // One stack is one template.
    let two = [
        DeclarationSource::named_json("a", template()),
        DeclarationSource::named_json("b", template()),
    ];
    let stacks = MemoryCloudFormation::new("us-east-1").with_stack("app", []);
    let options = compare()
        .with_stack_name("app")
        .unwrap()
        .with_cloudformation_client(Arc::new(stacks.clone()));
    let (what, _, reason) = invalid(block_on(connection.check_cloudformation(&two, &options, &check)).unwrap_err());
    assert_eq!(what, "stack_name");
    assert!(reason.contains("2 templates"), "{reason}");
    assert!(stacks.calls().is_empty());
    // The built-in CloudFormation client needs the built-in AWS client.
    let options = compare().with_stack_name("app").unwrap();
    let error = block_on(connection.check_cloudformation(&one, &options, &check)).unwrap_err();
    assert!(
        matches!(&error, Error::Configuration(m) if m.contains("cloudformation_client")),
        "{error}"
    );
    assert!(snapshot.calls().is_empty(), "{:?}", snapshot.calls());
}

#[test]
fn every_format_shows_the_drift_and_both_values() {
    let connection = snapshot_connection(&live_snapshot());
    let source = DeclarationSource::path(fixture("terraform/drift-state.json"));
    let report = block_on(connection.check_terraform_plan(&source, &compare(), &CheckOptions::default())).unwrap();
    for format in Format::ALL {
        // Markdown escapes underscores.
        let text = render(&report, format, RenderOptions::default()).replace("\\_", "_");
        assert!(text.to_lowercase().contains("drift"), "{format}: no drift in\n{text}");
        assert!(
            text.contains("rotation_enabled declared true, live false"),
            "{format}: no values in\n{text}"
        );
    }
    // JSON holds the comparison itself, and reads back.
    let json = render(&report, Format::Json, RenderOptions::default());
    let back = AccountReport::from_json(&json).unwrap();
    assert_eq!(back.findings, report.findings);
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kms-rotation"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1796185238")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_cli_names_misplaced_flags_and_compares_a_state_with_a_snapshot() {
    let out = cli(&["check", "--compare-live", "--region", "us-east-1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--compare-live") && stderr(&out).contains("--terraform-plan"),
        "{}",
        stderr(&out)
    );
    let out = cli(&["check", "--stack-name", "app", "--region", "us-east-1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--stack-name \"app\"") && stderr(&out).contains("--cloudformation"),
        "{}",
        stderr(&out)
    );
    let state = fixture("terraform/drift-state.json");
    let state = state.to_str().unwrap();
    let out = cli(&[
        "check",
        "--terraform-plan",
        state,
        "--compare-live",
        "--stack-name",
        "app",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--stack-name"), "{}", stderr(&out));
    let out = cli(&["check", "--terraform-plan", state, "--profile", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--profile reads live keys"), "{}", stderr(&out));

    let live = fixture("terraform/drift-live.json");
    let compare = [
        "check",
        "--terraform-plan",
        state,
        "--compare-live",
        "--snapshot",
        live.to_str().unwrap(),
    ];
    let out = cli(&[&compare[..], &["--format", "json"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report = AccountReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let reasons: Vec<_> = report.findings.iter().map(|f| f.reason).collect();
    assert_eq!(
        reasons.iter().filter(|r| **r == Reason::Drift).count(),
        5,
        "{reasons:?}"
    );
    let out = cli(&compare);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("fix aws_kms_key.switched_off") && table.contains("rotation_enabled declared true, live false"),
        "{table}"
    );
}

// ---------------------------------------------------------------------------
// moto's server.

/// A fresh account of moto's server (STS `AssumeRole` into it: moto acts in the
/// account of the role), so that no other test sees these keys.
struct Account {
    endpoint: String,
    credentials: StaticCredentials,
}

/// Text between `<name>` and the next `<` of an XML answer (moto's, read as a test reads it).
fn xml_field(xml: &str, name: &str) -> String {
    xml.split(&format!("<{name}>"))
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_owned()
}

impl Account {
    fn fresh(endpoint: &str) -> Self {
        let bootstrap = Account {
            endpoint: endpoint.to_owned(),
            credentials: StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
                session_token: None,
            },
        };
        let role = format!("arn:aws:iam::{}:role/DriftTests", common::fresh_account_id());
        let xml = bootstrap.raw_call(
            "sts",
            None,
            &form(&[
                ("Action", "AssumeRole"),
                ("Version", "2011-06-15"),
                ("RoleArn", &role),
                ("RoleSessionName", "drift"),
            ]),
        );
        Account {
            endpoint: endpoint.to_owned(),
            credentials: StaticCredentials {
                access_key_id: xml_field(&xml, "AccessKeyId"),
                secret_access_key: xml_field(&xml, "SecretAccessKey"),
                session_token: Some(xml_field(&xml, "SessionToken")),
            },
        }
    }

    /// An AWS call moto answers without checking signatures (it reads the account
    /// from the access key): `form` for the query protocol (STS, CloudFormation),
    /// else JSON with `target` (KMS).
    fn raw_call(&self, service: &str, target: Option<&str>, body: &str) -> String {
        let script = r#"
import sys, urllib.request
url, service, target, body, key, token = sys.argv[1:7]
headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=%s/20261207/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0" % (key, service)}
if token:
    headers["X-Amz-Security-Token"] = token
if target:
    headers["X-Amz-Target"] = target
    headers["Content-Type"] = "application/x-amz-json-1.1"
else:
    headers["Content-Type"] = "application/x-www-form-urlencoded"
sys.stdout.write(urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), headers=headers)).read().decode())
"#;
        let credentials = &self.credentials;
        let out = Command::new("python3")
            .args([
                "-c",
                script,
                &self.endpoint,
                service,
                target.unwrap_or(""),
                body,
                &credentials.access_key_id,
                credentials.session_token.as_deref().unwrap_or(""),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{service} {target:?} {}: {}",
            &body[..body.len().min(200)],
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn kms(&self, operation: &str, body: Value) -> Value {
        let answer = self.raw_call("kms", Some(&format!("TrentService.{operation}")), &body.to_string());
        serde_json::from_str(&answer).unwrap_or(Value::Null)
    }

    fn cloudformation(&self, fields: &[(&str, &str)]) -> String {
        self.raw_call("cloudformation", None, &form(fields))
    }

    /// The stack's physical ids by logical id, from moto's own answer.
    fn physical_ids(&self, stack: &str) -> Vec<(String, String)> {
        let xml = self.cloudformation(&[
            ("Action", "DescribeStackResources"),
            ("Version", "2010-05-15"),
            ("StackName", stack),
        ]);
        xml.split("<member>")
            .skip(1)
            .map(|member| {
                (
                    xml_field(member, "LogicalResourceId"),
                    xml_field(member, "PhysicalResourceId"),
                )
            })
            .collect()
    }

    /// The built-in client in this account, through `url` (moto's, or the proxy's).
    fn connection(&self, url: &str) -> Connection {
        ConnectionOptions::default()
            .with_endpoint_url(url)
            .with_credentials(self.credentials.clone())
            .with_regions(Regions::from_names(["us-east-1"]).unwrap())
            .build()
            .unwrap()
    }

    /// The CLI acting in this account.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        let credentials = &self.credentials;
        Command::new(env!("CARGO_BIN_EXE_kms-rotation"))
            .args(args)
            .env("SOURCE_DATE_EPOCH", "1796185238")
            .env("AWS_ACCESS_KEY_ID", &credentials.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &credentials.secret_access_key)
            .env("AWS_SESSION_TOKEN", credentials.session_token.as_deref().unwrap_or(""))
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    let script = "import sys, urllib.parse, json; sys.stdout.write(urllib.parse.urlencode([tuple(p) for p in json.loads(sys.argv[1])]))";
    let pairs: Vec<Value> = fields.iter().map(|(k, v)| json!([k, v])).collect();
    let out = Command::new("python3")
        .args(["-c", script, &Value::Array(pairs).to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

#[test]
fn a_deployed_stack_changed_live_drifts_on_moto() {
    let Some(endpoint) = common::endpoint() else {
        return;
    };
    let account = Account::fresh(&endpoint);
    let stack = unique("drift");
    let template_path = fixture("cloudformation/drift-stack.json");
    let template = std::fs::read_to_string(&template_path).unwrap();
    let created = account.cloudformation(&[
        ("Action", "CreateStack"),
        ("Version", "2010-05-15"),
        ("StackName", &stack),
        ("TemplateBody", &template),
    ]);
    assert!(created.contains("StackId"), "{created}");
    let ids: std::collections::HashMap<String, String> = account.physical_ids(&stack).into_iter().collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    account.kms("DisableKeyRotation", json!({"KeyId": ids["Rotating"]}));
    account.kms(
        "ScheduleKeyDeletion",
        json!({"KeyId": ids["Doomed"], "PendingWindowInDays": 7}),
    );
    // moto keeps no rotation period: the proxy gives the live periods.
    let proxy = common::proxy::Proxy::start(&endpoint);
    proxy.set(json!([
        {"op": "GetKeyRotationStatus", "action": "set_field", "key": ids["Yearly"], "field": "RotationPeriodInDays", "value": 730},
        {"op": "GetKeyRotationStatus", "action": "set_field", "key": ids["Steady"], "field": "RotationPeriodInDays", "value": 180},
        // CloudFormation throttles twice: the engine retries, as it does KMS's calls.
        {"op": "DescribeStackResources", "action": "error", "code": "Throttling", "message": "Rate exceeded", "status": 400, "times": 2}
    ]));

    let connection = account.connection(&proxy.url);
    let options = compare().with_stack_name(&stack).unwrap();
    let sources = [DeclarationSource::path(&template_path)];
    let report = block_on(connection.check_cloudformation(&sources, &options, &CheckOptions::default())).unwrap();
    let expected = [
        ("Rotating", vec!["rotation_enabled: true -> false"]),
        ("Yearly", vec!["rotation_period_days: 365 -> 730"]),
        ("Doomed", vec!["key_state: Enabled -> PendingDeletion"]),
    ];
    for (logical, differences) in expected {
        let finding = by_address(&report, logical);
        let differences: Vec<String> = differences.into_iter().map(str::to_owned).collect();
        assert_eq!(drift(finding), (Status::Fail, Reason::Drift, differences), "{logical}");
        assert!(finding.key_arn.ends_with(&ids[logical]), "{}", finding.key_arn);
    }
    assert_eq!(
        drift(by_address(&report, "Steady")),
        (Status::Pass, Reason::RotationEnabled, vec![])
    );
    assert_eq!(report.stats.api_calls.get("DescribeStackResources"), Some(&3));
    assert!(report.stats.retries >= 2, "{:?}", report.stats);
    let calls = proxy.calls();
    let first_kms = calls.iter().position(|c| c["op"] == "DescribeKey").unwrap();
    let stack_read = calls.iter().position(|c| c["op"] == "DescribeStackResources").unwrap();
    assert!(
        stack_read < first_kms,
        "the stack is read before any KMS call: {calls:?}"
    );

    // The CLI, and a stack that does not exist.
    let path = template_path.to_str().unwrap();
    let base = [
        "check",
        "--cloudformation",
        path,
        "--compare-live",
        "--region",
        "us-east-1",
        "--endpoint-url",
    ];
    let out = account.cli(
        &[
            &base[..],
            &[proxy.url.as_str(), "--stack-name", &stack, "--format", "json"],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let cli_report = AccountReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let drifted = |r: &AccountReport| {
        let mut all: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.code.as_ref().unwrap().address.clone(), f.status, f.reason))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    };
    assert_eq!(drifted(&cli_report), drifted(&report));
    proxy.set(json!([]));
    let out = account.cli(&[&base[..], &[proxy.url.as_str(), "--stack-name", "no-such-stack"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--stack-name \"no-such-stack\"") && stderr(&out).contains("does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(
        proxy.calls().iter().all(|c| c["op"] == "DescribeStackResources"),
        "{:?}",
        proxy.calls()
    );
}

#[test]
fn a_state_whose_keys_changed_live_drifts_on_moto() {
    let Some(endpoint) = common::endpoint() else {
        return;
    };
    let account = Account::fresh(&endpoint);
    let create = |rotate: bool| {
        let key = account.kms("CreateKey", json!({"Description": unique("drift-state")}));
        let id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        let arn = key["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
        if rotate {
            account.kms("EnableKeyRotation", json!({"KeyId": id}));
        }
        (id, arn)
    };
    let steady = create(true);
    let switched_off = create(true);
    let doomed = create(true);
    let never_made = "0badc0de-1111-4222-8333-000000000000".to_owned();
    let never_made_arn = steady.1.replace(&steady.0, &never_made);
    account.kms("DisableKeyRotation", json!({"KeyId": switched_off.0}));
    account.kms(
        "ScheduleKeyDeletion",
        json!({"KeyId": doomed.0, "PendingWindowInDays": 7}),
    );
    let resource = |name: &str, (id, arn): &(String, String)| {
        json!({"address": format!("aws_kms_key.{name}"), "mode": "managed", "type": "aws_kms_key", "name": name,
               "values": {"id": id, "key_id": id, "arn": arn, "enable_key_rotation": true,
                          "rotation_period_in_days": 365, "is_enabled": true}})
    };
    let state = json!({"format_version": "1.0", "values": {"root_module": {"resources": [
        resource("steady", &steady),
        resource("switched_off", &switched_off),
        resource("doomed", &doomed),
        resource("gone", &(never_made.clone(), never_made_arn)),
    ]}}});
    let connection = account.connection(&endpoint);
    let source = DeclarationSource::named_json("state.json", state);
    let report = block_on(connection.check_terraform_plan(&source, &compare(), &CheckOptions::default())).unwrap();
    assert_eq!(
        drift(by_address(&report, "aws_kms_key.steady")),
        (Status::Pass, Reason::RotationEnabled, vec![])
    );
    for (address, difference) in [
        ("aws_kms_key.switched_off", "rotation_enabled: true -> false"),
        ("aws_kms_key.doomed", "key_state: Enabled -> PendingDeletion"),
        ("aws_kms_key.gone", "key_state: Enabled -> not found"),
    ] {
        assert_eq!(
            drift(by_address(&report, address)),
            (Status::Fail, Reason::Drift, vec![difference.to_owned()]),
            "{address}"
        );
    }
}
