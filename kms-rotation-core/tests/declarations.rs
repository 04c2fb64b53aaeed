//! Keys declared in code — Terraform plans and states, CloudFormation templates —
//! through the one decision table: the fixtures of `tests/iac/` (Terraform plan JSON
//! written to `terraform show -json`'s documented format; templates that pass
//! cfn-lint), bad input named before anything is judged, every rendering, the CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use kms_rotation_core::{
    AccountReport, DeclarationOptions, DeclarationSource, Error, Format, Policy, Reason, RenderOptions, Status,
    check_cloudformation, check_terraform_plan, render,
};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iac").join(path)
}

fn plan(path: &str, options: &DeclarationOptions) -> AccountReport {
    check_terraform_plan(&DeclarationSource::path(fixture(path)), options).unwrap()
}

fn templates(paths: &[&str], options: &DeclarationOptions) -> AccountReport {
    let sources: Vec<_> = paths.iter().map(|p| DeclarationSource::path(fixture(p))).collect();
    check_cloudformation(&sources, options).unwrap()
}

/// Address, status and reason of every finding, in report order.
fn verdicts(report: &AccountReport) -> Vec<(String, Status, Reason)> {
    let mut all: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.code.as_ref().expect("a code location").address.clone(),
                f.status,
                f.reason,
            )
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn finding<'a>(report: &'a AccountReport, address: &str) -> &'a kms_rotation_core::Finding {
    report
        .findings
        .iter()
        .find(|f| f.code.as_ref().is_some_and(|c| c.address == address))
        .unwrap_or_else(|| panic!("no finding for {address}"))
}

fn owned(expected: &[(&str, Status, Reason)]) -> Vec<(String, Status, Reason)> {
    let mut all: Vec<_> = expected.iter().map(|(a, s, r)| ((*a).to_owned(), *s, *r)).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

use Reason as R;
use Status as S;

#[test]
fn a_plan_is_judged_by_the_decision_table() {
    let report = plan("terraform/plan.json", &DeclarationOptions::default());
    assert_eq!(
        verdicts(&report),
        owned(&[
            ("aws_kms_key.logs", S::Fail, R::RotationDisabled),
            ("aws_kms_key.default_period", S::Pass, R::RotationEnabled),
            ("aws_kms_key.from_data", S::Error, R::Unresolved),
            ("aws_kms_key.signing[0]", S::NotApplicable, R::UnsupportedKeySpec),
            ("aws_kms_key.signing[1]", S::NotApplicable, R::UnsupportedKeySpec),
            (
                "aws_kms_external_key.imported",
                S::NotApplicable,
                R::ImportedKeyMaterial
            ),
            ("aws_kms_key.hsm", S::NotApplicable, R::CustomKeyStore),
            ("aws_kms_key.disabled", S::Fail, R::RotationDisabled),
            ("module.kms.aws_kms_key.this[\"logs\"]", S::Pass, R::RotationEnabled),
            (
                "module.kms.aws_kms_key.this[\"data\"]",
                S::Fail,
                R::RotationPeriodTooLong
            ),
            ("module.primary.aws_kms_key.this", S::Pass, R::RotationEnabled),
            ("aws_kms_replica_key.replica", S::Pass, R::RotationEnabled),
            ("aws_kms_replica_key.orphan", S::Error, R::Unresolved),
            ("aws_kms_key.existing", S::Pass, R::RotationEnabled),
        ])
    );
    // The key being destroyed is in resource_changes only: it is not declared.
    assert!(report.findings.iter().all(|f| !f.message.contains("retired")));
    assert_eq!(report.exit_code(), 2);
    assert!(report.regions.is_empty());
}

#[test]
fn plan_findings_point_at_the_code_with_the_fix() {
    let report = plan("terraform/plan.json", &DeclarationOptions::default());
    let logs = finding(&report, "aws_kms_key.logs");
    let code = logs.code.as_ref().unwrap();
    let file = fixture("terraform/plan.json");
    assert_eq!(code.file.as_deref(), Some(file.display().to_string().as_str()));
    let text = std::fs::read_to_string(&file).unwrap();
    // The line of the key's resource_changes entry.
    let line = code.line.unwrap() as usize;
    let entry = text.lines().nth(line - 1).unwrap();
    assert!(entry.trim_start().starts_with('{'), "{entry}");
    assert!(
        text.lines()
            .nth(line)
            .unwrap()
            .contains("\"address\": \"aws_kms_key.logs\"")
    );
    assert_eq!(code.resource_type, "aws_kms_key");
    assert_eq!(
        code.fix.as_deref(),
        Some("enable_key_rotation     = true\nrotation_period_in_days = 365")
    );
    assert_eq!(logs.aliases, vec!["alias/logs"]);
    assert_eq!(logs.region, "us-east-1");
    assert!(
        logs.remediation.is_none(),
        "a declared key is fixed in code, not by remediate"
    );

    let data = finding(&report, "module.kms.aws_kms_key.this[\"data\"]");
    assert_eq!(
        data.code.as_ref().unwrap().fix.as_deref(),
        Some("rotation_period_in_days = 365")
    );
    assert!(data.message.contains("730"), "{}", data.message);

    let disabled = finding(&report, "aws_kms_key.disabled");
    assert!(disabled.message.contains("disabled"), "{}", disabled.message);

    let existing = finding(&report, "aws_kms_key.existing");
    assert!(existing.key_arn.starts_with("arn:aws:kms:us-east-1:111122223333:key/"));
    assert_eq!(report.account_id.as_deref(), Some("111122223333"));
}

#[test]
fn what_the_plan_does_not_know_is_unresolved_and_named() {
    let report = plan("terraform/plan.json", &DeclarationOptions::default());
    let unknown = finding(&report, "aws_kms_key.from_data");
    let error = unknown.error.as_ref().unwrap();
    assert_eq!(error.code, "Unresolved");
    assert!(
        unknown
            .message
            .contains("enable_key_rotation = data.external.policy.result.rotate"),
        "{}",
        unknown.message
    );
    assert!(
        unknown.message.contains("known only after apply"),
        "{}",
        unknown.message
    );
    // An omitted rotation_period_in_days is unknown in the plan (Optional+Computed):
    // the configuration sets none, so it is KMS's default, 365.
    let default = finding(&report, "aws_kms_key.default_period");
    assert_eq!(default.rotation.as_ref().unwrap().period_days, Some(365));

    let orphan = finding(&report, "aws_kms_replica_key.orphan");
    assert!(
        orphan
            .message
            .contains("arn:aws:kms:us-east-1:444455556666:key/mrk-1234abcd12ab34cd56ef1234567890ab"),
        "{}",
        orphan.message
    );
    assert!(orphan.message.contains("primary"), "{}", orphan.message);
}

#[test]
fn a_replica_is_judged_by_its_primary_in_another_module() {
    let report = plan("terraform/plan.json", &DeclarationOptions::default());
    let replica = finding(&report, "aws_kms_replica_key.replica");
    assert_eq!(replica.region, "eu-west-1");
    let key = replica.key.as_ref().unwrap();
    assert_eq!(key.primary_arn.as_deref(), Some("module.primary.aws_kms_key.this"));
    assert_eq!(key.primary_region.as_deref(), Some("us-east-1"));
    assert!(replica.message.contains("multi-Region replica"), "{}", replica.message);

    // When the primary fails, the replica fails, and the fix goes on the primary.
    let policy = Policy::default().with_max_rotation_period_days(180).unwrap();
    let strict = plan(
        "terraform/plan.json",
        &DeclarationOptions::default().with_policy(policy),
    );
    let replica = finding(&strict, "aws_kms_replica_key.replica");
    assert_eq!((replica.status, replica.reason), (S::Fail, R::RotationPeriodTooLong));
    let code = replica.code.as_ref().unwrap();
    assert_eq!(code.fix_address.as_deref(), Some("module.primary.aws_kms_key.this"));
    assert_eq!(code.fix.as_deref(), Some("rotation_period_in_days = 180"));
}

#[test]
fn a_state_is_judged_with_every_value_known() {
    let report = plan("terraform/state.json", &DeclarationOptions::default());
    let verdicts = verdicts(&report);
    assert_eq!(verdicts.len(), 14, "{verdicts:?}");
    let from_data = finding(&report, "aws_kms_key.from_data");
    assert_eq!(from_data.status, S::Pass);
    assert!(from_data.key_arn.ends_with("key/00000004-1111-4222-8333-000000000004"));
    // The replica's primary found by its ARN.
    let replica = finding(&report, "aws_kms_replica_key.replica");
    assert_eq!(replica.status, S::Pass);
    assert_eq!(
        replica.key.as_ref().unwrap().primary_arn.as_deref(),
        Some("arn:aws:kms:us-east-1:111122223333:key/mrk-0000000000000000000000000000000c")
    );
    assert_eq!(finding(&report, "aws_kms_replica_key.orphan").reason, R::Unresolved);
    assert!(report.findings.iter().all(|f| f.code.as_ref().unwrap().line.is_some()));
}

#[test]
fn exemptions_match_declared_tags_and_aliases() {
    let policy = Policy::default()
        .with_exemption("tag:team=payments")
        .unwrap()
        .with_exemption("alias/logs")
        .unwrap();
    let report = plan(
        "terraform/plan.json",
        &DeclarationOptions::default().with_policy(policy),
    );
    assert_eq!(finding(&report, "aws_kms_key.existing").status, S::Exempt);
    assert_eq!(finding(&report, "aws_kms_key.logs").status, S::Exempt);
}

#[test]
fn a_plan_handed_in_as_json_gives_the_same_findings_without_lines() {
    let text = std::fs::read_to_string(fixture("terraform/plan.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let report = check_terraform_plan(&DeclarationSource::json(value), &DeclarationOptions::default()).unwrap();
    let from_file = plan("terraform/plan.json", &DeclarationOptions::default());
    assert_eq!(verdicts(&report), verdicts(&from_file));
    assert!(report.findings.iter().all(|f| f.code.as_ref().unwrap().line.is_none()));
}

#[test]
fn templates_are_judged_by_the_decision_table() {
    let report = templates(
        &["cloudformation/keys.yaml", "cloudformation/replica.json"],
        &DeclarationOptions::default(),
    );
    assert_eq!(
        verdicts(&report),
        owned(&[
            ("RotatingKey", S::Pass, R::RotationEnabled),
            ("NoRotationKey", S::Fail, R::RotationDisabled),
            ("LongPeriodKey", S::Fail, R::RotationPeriodTooLong),
            ("HmacKey", S::NotApplicable, R::UnsupportedKeySpec),
            ("ImportedKey", S::NotApplicable, R::ImportedKeyMaterial),
            ("ParameterKey", S::Error, R::Unresolved),
            ("RegionAgreeingKey", S::Pass, R::RotationEnabled),
            ("RegionDependentKey", S::Error, R::Unresolved),
            ("ImportedPeriodKey", S::Error, R::Unresolved),
            ("PrimaryKey", S::Pass, R::RotationEnabled),
            ("PrimaryReplica", S::Pass, R::RotationEnabled),
            ("SharedReplica", S::Error, R::Unresolved),
            ("YearlyKey", S::Pass, R::RotationEnabled),
        ])
    );
    // ProdOnlyKey's condition is false under the default Environment: not created.
    let rotating = finding(&report, "RotatingKey");
    assert_eq!(rotating.rotation.as_ref().unwrap().period_days, Some(180));
    assert_eq!(finding(&report, "NoRotationKey").aliases, vec!["alias/no-rotation"]);
}

#[test]
fn template_findings_point_at_the_logical_id_with_the_fix() {
    let report = templates(
        &["cloudformation/keys.yaml", "cloudformation/replica.json"],
        &DeclarationOptions::default(),
    );
    let yaml = std::fs::read_to_string(fixture("cloudformation/keys.yaml")).unwrap();
    let no_rotation = finding(&report, "NoRotationKey").code.as_ref().unwrap();
    let line = yaml.lines().position(|l| l == "  NoRotationKey:").unwrap() + 1;
    assert_eq!((no_rotation.line, no_rotation.column), (Some(line as u32), Some(3)));
    assert_eq!(
        no_rotation.fix.as_deref(),
        Some("EnableKeyRotation: true\nRotationPeriodInDays: 365")
    );
    let json = std::fs::read_to_string(fixture("cloudformation/replica.json")).unwrap();
    let shared = finding(&report, "SharedReplica").code.as_ref().unwrap();
    let line = json.lines().position(|l| l.contains("\"SharedReplica\"")).unwrap() + 1;
    assert_eq!(shared.line, Some(line as u32));
    assert_eq!(shared.resource_type, "AWS::KMS::ReplicaKey");
}

#[test]
fn unresolved_template_values_name_the_expression() {
    let report = templates(&["cloudformation/keys.yaml"], &DeclarationOptions::default());
    let parameter = finding(&report, "ParameterKey");
    assert!(
        parameter.message.contains("EnableKeyRotation: !Ref EnableRotation"),
        "{}",
        parameter.message
    );
    assert!(parameter.message.contains("no default"), "{}", parameter.message);
    let region = finding(&report, "RegionDependentKey");
    assert!(region.message.contains("InUsEast1"), "{}", region.message);
    assert!(region.message.contains("AWS::Region"), "{}", region.message);
    let import = finding(&report, "ImportedPeriodKey");
    assert!(
        import.message.contains("!ImportValue shared-rotation-period"),
        "{}",
        import.message
    );

    // A parameter value decides it; so does a condition's parameter.
    let options = DeclarationOptions::default()
        .with_parameter("EnableRotation", "true")
        .unwrap()
        .with_parameter("Environment", "prod")
        .unwrap();
    let given = templates(&["cloudformation/keys.yaml"], &options);
    assert_eq!(finding(&given, "ParameterKey").status, S::Pass);
    assert_eq!(
        (
            finding(&given, "ProdOnlyKey").status,
            finding(&given, "ProdOnlyKey").reason
        ),
        (S::Fail, R::RotationDisabled)
    );
}

fn invalid(result: kms_rotation_core::Result<AccountReport>) -> String {
    match result {
        Err(error @ Error::InvalidInput { .. }) => error.to_string(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kms-rotation-declarations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn bad_input_is_named_before_anything_is_judged() {
    let options = DeclarationOptions::default();
    let tf = |path: PathBuf| invalid(check_terraform_plan(&DeclarationSource::path(path), &options));
    let cfn = |path: PathBuf| invalid(check_cloudformation(&[DeclarationSource::path(path)], &options));

    let message = tf(fixture("cloudformation/replica.json"));
    assert!(message.contains("a CloudFormation template"), "{message}");
    let message = tf(temp_file(
        "tfstate.json",
        r#"{"version": 4, "terraform_version": "1.9.8", "resources": []}"#,
    ));
    assert!(message.contains("raw Terraform state file"), "{message}");
    let message = tf(temp_file("list.json", "[1, 2]"));
    assert!(message.contains("a list"), "{message}");
    let message = tf(temp_file(
        "future.json",
        r#"{"format_version": "2.0", "planned_values": {}}"#,
    ));
    assert!(
        message.contains("format_version") && message.contains("\"2.0\""),
        "{message}"
    );
    let message = tf(temp_file(
        "broken.json",
        "{\n  \"format_version\": \"1.2\",\n  \"planned_values\": {\n}",
    ));
    assert!(message.contains("line 4"), "{message}");
    let message = tf(temp_file("plan.tfplan", "PK\x03\x04 zipped"));
    assert!(message.contains("terraform show -json"), "{message}");
    let message = tf(temp_file("main.tf", "resource \"aws_kms_key\" \"x\" {}\n"));
    assert!(message.contains("not JSON"), "{message}");

    let message = cfn(fixture("terraform/plan.json"));
    assert!(message.contains("a Terraform plan"), "{message}");
    let message = cfn(temp_file(
        "bad.yaml",
        "Resources:\n  Key:\n    Type: [AWS::KMS::Key\n  Other: 1\n",
    ));
    assert!(message.contains("not valid YAML: line "), "{message}");
    let message = cfn(temp_file("bad.json", "{\n  \"Resources\": {\n    \"Key\": {,\n  }\n}"));
    assert!(message.contains("not valid JSON: line 3, column"), "{message}");
    let message = cfn(temp_file(
        "twice.yaml",
        "Resources:\n  Key:\n    Type: AWS::KMS::Key\n  Key:\n    Type: x\n",
    ));
    assert!(
        message.contains("line 4, column 3") && message.contains("twice"),
        "{message}"
    );

    let with = DeclarationOptions::default()
        .with_parameter("NoSuchParameter", "1")
        .unwrap();
    let message = invalid(check_cloudformation(
        &[DeclarationSource::path(fixture("cloudformation/keys.yaml"))],
        &with,
    ));
    assert!(
        message.contains("NoSuchParameter") && message.contains("EnableRotation"),
        "{message}"
    );
    let not_allowed = DeclarationOptions::default()
        .with_parameter("Environment", "staging")
        .unwrap();
    let message = invalid(check_cloudformation(
        &[DeclarationSource::path(fixture("cloudformation/keys.yaml"))],
        &not_allowed,
    ));
    assert!(message.contains("dev, prod"), "{message}");
    let message = invalid(check_terraform_plan(
        &DeclarationSource::path(fixture("terraform/plan.json")),
        &with,
    ));
    assert!(message.contains("CloudFormation"), "{message}");
    let history = DeclarationOptions::default().with_policy(Policy::default().with_rotation_history(true));
    let message = invalid(check_terraform_plan(
        &DeclarationSource::path(fixture("terraform/plan.json")),
        &history,
    ));
    assert!(message.contains("rotation history"), "{message}");
}

#[test]
fn every_format_renders_the_code_location() {
    let report = plan("terraform/plan.json", &DeclarationOptions::default());
    for format in [
        Format::Table,
        Format::Json,
        Format::Csv,
        Format::Ocsf,
        Format::Asff,
        Format::Html,
        Format::Markdown,
        Format::Junit,
    ] {
        // Markdown escapes the underscores.
        let text = render(&report, format, RenderOptions::default()).replace("\\_", "_");
        assert!(text.contains("aws_kms_key.logs"), "{format:?} lacks the address");
        if !matches!(format, Format::Ocsf | Format::Json) {
            assert!(text.contains("enable_key_rotation"), "{format:?} lacks the fix");
        }
    }
    let cloudsploit = render(&report, Format::Cloudsploit, RenderOptions::default());
    assert!(
        cloudsploit.contains("\"resource\": \"aws_kms_key.logs\""),
        "{cloudsploit}"
    );
    let table = render(&report, Format::Table, RenderOptions::default().with_width(200));
    assert!(table.contains("plan.json:"), "{table}");
    assert!(table.contains("then check it again"), "{table}");
    let csv = render(&report, Format::Csv, RenderOptions::default());
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("file,line,address,resource_type,fix,fix_address")
    );
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kms-rotation"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1796185238")
        .output()
        .unwrap()
}

#[test]
fn the_cli_checks_plans_and_templates() {
    let plan_path = fixture("terraform/plan.json");
    let out = cli(&[
        "check",
        "--terraform-plan",
        plan_path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let report = AccountReport::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(report.findings.len(), 14);

    let keys = fixture("cloudformation/keys.yaml");
    let out = cli(&[
        "check",
        "--cloudformation",
        keys.to_str().unwrap(),
        "--parameter",
        "EnableRotation=true",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("NoRotationKey") && table.contains("EnableKeyRotation: true"),
        "{table}"
    );

    let out = cli(&[
        "check",
        "--cloudformation",
        keys.to_str().unwrap(),
        "--parameter",
        "Nope=1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--parameter") && stderr.contains("Nope=1"), "{stderr}");

    let out = cli(&["check", "--terraform-plan", keys.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CloudFormation template"));

    let out = cli(&["check", "--snapshot", "x.json", "--parameter", "A=b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("applies to --cloudformation"));

    let out = cli(&[
        "check",
        "--terraform-plan",
        plan_path.to_str().unwrap(),
        "--profile",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--profile reads live keys"));
}

#[test]
fn intrinsic_functions_are_evaluated_where_the_template_decides_them() {
    let template = temp_file(
        "intrinsics.yaml",
        r#"Parameters:
  Env: {Type: String, Default: prod}
  Suffix: {Type: String, Default: AL}
Mappings:
  Periods:
    prod: {Days: 180}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  ProdOrIreland: !Or [!Condition IsProd, !Equals [!Ref "AWS::Region", eu-west-1]]
  ProdAndIreland: !And [!Condition IsProd, !Equals [!Ref "AWS::Region", eu-west-1]]
Resources:
  MapKey:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: true, RotationPeriodInDays: !FindInMap [Periods, !Ref Env, Days]}
  SelectKey:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: !Select [1, [false, true]]}
  JoinKey:
    Type: AWS::KMS::Key
    Properties: {KeySpec: !Join ["", [HMAC, _256]], KeyUsage: GENERATE_VERIFY_MAC}
  SubKey:
    Type: AWS::KMS::Key
    Properties: {Origin: !Sub "EXTERN${Suffix}"}
  OrKey:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: !If [ProdOrIreland, true, false]}
  AndKey:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: !If [ProdAndIreland, true, false]}
  NotCreated:
    Type: AWS::KMS::Key
    Condition: NotProd
  NoValueKey:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: "true", RotationPeriodInDays: !If [IsProd, !Ref "AWS::NoValue", 730]}
  Anchored:
    Type: AWS::KMS::Key
    Properties: &rotating {EnableKeyRotation: true}
  Aliased:
    Type: AWS::KMS::Key
    Properties: *rotating
"#,
    );
    let report = check_cloudformation(&[DeclarationSource::path(template)], &DeclarationOptions::default()).unwrap();
    assert_eq!(
        verdicts(&report),
        owned(&[
            ("MapKey", S::Pass, R::RotationEnabled),
            ("SelectKey", S::Pass, R::RotationEnabled),
            ("JoinKey", S::NotApplicable, R::UnsupportedKeySpec),
            ("SubKey", S::NotApplicable, R::ImportedKeyMaterial),
            ("OrKey", S::Pass, R::RotationEnabled),
            ("AndKey", S::Error, R::Unresolved),
            ("NoValueKey", S::Pass, R::RotationEnabled),
            ("Anchored", S::Pass, R::RotationEnabled),
            ("Aliased", S::Pass, R::RotationEnabled),
        ])
    );
    assert_eq!(
        finding(&report, "MapKey").rotation.as_ref().unwrap().period_days,
        Some(180)
    );
    assert_eq!(
        finding(&report, "NoValueKey").rotation.as_ref().unwrap().period_days,
        Some(365)
    );
}
