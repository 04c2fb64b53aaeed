//! Evidence that re-checks itself: `check --evidence` (and
//! `CheckOptions::with_evidence`) writes the facts, the report and a manifest;
//! `verify-evidence` re-checks them offline to the same report byte for byte,
//! and names what differs when a file was changed, the tool version differs or
//! the policy was rewritten — from a snapshot, and from a live account on moto.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;
use crate::common::{endpoint, fresh_account_id};
use kms_rotation_core::{
    AccountReport, CheckOptions, ConnectionOptions, MANIFEST_KIND, RUN_SPECIFIC_FIELDS, Snapshot, Status,
    evidence_manifest_path, evidence_report_path, verify_evidence,
};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");

/// A directory of its own for one test, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("kms-rotation-evidence-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cli(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kms-rotation"));
    command
        .args(args)
        .env_remove("COLUMNS")
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION");
    command
}

fn run(args: &[&str]) -> Output {
    cli(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn manifest(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(evidence_manifest_path(path)).unwrap()).unwrap()
}

fn write_manifest(path: &Path, manifest: &serde_json::Value) {
    std::fs::write(
        evidence_manifest_path(path),
        serde_json::to_string_pretty(manifest).unwrap(),
    )
    .unwrap();
}

/// A connection to the demo account's snapshot file.
fn demo() -> kms_rotation_core::Connection {
    ConnectionOptions::default()
        .with_snapshot(Snapshot::load(DEMO).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn evidence_of_a_snapshot_check_re_checks_to_the_same_report() {
    let dir = Dir::new("core");
    let path = dir.file("evidence.json");
    let connection = demo();
    let policy = kms_rotation_core::Policy::default()
        .with_exemption("tag:rotation-exempt=true")
        .unwrap();
    let options = CheckOptions::default().with_policy(policy).with_evidence(&path);
    let report = connection.check_account(&options).await.unwrap();
    // The verdicts are a plain check's.
    let plain = connection
        .check_account(&CheckOptions::default().with_policy(report.policy.clone()))
        .await
        .unwrap();
    assert_eq!(report.findings, plain.findings);
    assert_eq!(report.regions, plain.regions);
    // The files: the facts (a snapshot that checks the same), the report, the manifest.
    let written = AccountReport::from_json(&std::fs::read_to_string(evidence_report_path(&path)).unwrap()).unwrap();
    assert_eq!(written.findings, report.findings);
    let facts = Snapshot::load(&path).unwrap();
    let again = kms_rotation_core::check_account(
        &facts.clients(),
        &CheckOptions::default().with_policy(report.policy.clone()),
    )
    .await
    .unwrap();
    assert_eq!(again.findings, report.findings);
    let m = manifest(&path);
    assert_eq!(m["kind"], MANIFEST_KIND);
    assert_eq!(m["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["policy"], serde_json::to_value(&report.policy).unwrap());
    assert_eq!(m["report"]["file"], "evidence.report.json");
    assert_eq!(m["evidence"]["file"], "evidence.json");
    assert_eq!(m["report"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(m["run_specific_fields"], serde_json::json!(RUN_SPECIFIC_FIELDS));

    let verification = verify_evidence(&path).await.unwrap();
    assert!(verification.verified, "{:?}", verification.differences);
    // The manifest itself may be named instead.
    assert!(verify_evidence(evidence_manifest_path(&path)).await.unwrap().verified);
    // The three files move together.
    let moved = Dir::new("core-moved");
    for file in [path.clone(), evidence_report_path(&path), evidence_manifest_path(&path)] {
        std::fs::copy(&file, moved.file(file.file_name().unwrap().to_str().unwrap())).unwrap();
    }
    assert!(verify_evidence(moved.file("evidence.json")).await.unwrap().verified);
}

#[tokio::test]
async fn tampering_is_named() {
    let dir = Dir::new("tamper");
    let path = dir.file("e.json");
    let connection = demo();
    connection
        .check_account(&CheckOptions::default().with_evidence(&path))
        .await
        .unwrap();
    let pristine = |file: &Path| std::fs::read(file).unwrap();
    let (evidence, report, manifest_text) = (
        pristine(&path),
        pristine(&evidence_report_path(&path)),
        pristine(&evidence_manifest_path(&path)),
    );
    let restore = || {
        std::fs::write(&path, &evidence).unwrap();
        std::fs::write(evidence_report_path(&path), &report).unwrap();
        std::fs::write(evidence_manifest_path(&path), &manifest_text).unwrap();
    };
    let differences = |expected: &[&str]| {
        let path = path.clone();
        let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        async move {
            let verification = verify_evidence(&path).await.unwrap();
            assert!(!verification.verified);
            let all = verification.differences.join("\n");
            for each in &expected {
                assert!(all.contains(each.as_str()), "{each:?} not in:\n{all}");
            }
            all
        }
    };

    // A fact changed: rotation turned "on" for a key whose rotation is off.
    let mut facts: serde_json::Value = serde_json::from_slice(&evidence).unwrap();
    let off = facts["regions"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .flat_map(|region| region["keys"].as_array_mut().unwrap().iter_mut())
        .find(|key| key["RotationStatus"]["KeyRotationEnabled"] == false)
        .expect("a key with rotation off");
    off["RotationStatus"]["KeyRotationEnabled"] = true.into();
    std::fs::write(&path, serde_json::to_string_pretty(&facts).unwrap()).unwrap();
    let all = differences(&[
        "the evidence",
        "was changed after it was written",
        "gives another report",
    ])
    .await;
    assert!(all.contains("status"), "the JSON members that differ are named: {all}");
    restore();

    // The report changed: a FAIL made a PASS.
    let text = String::from_utf8(report.clone()).unwrap();
    std::fs::write(evidence_report_path(&path), text.replacen("\"FAIL\"", "\"PASS\"", 1)).unwrap();
    differences(&["the report", "was changed after it was written", "findings["]).await;
    restore();

    // Another tool version wrote it.
    let mut m = manifest(&path);
    m["tool_version"] = "0.0.1".into();
    write_manifest(&path, &m);
    differences(&["written by kms-rotation 0.0.1", "verify it with 0.0.1"]).await;
    restore();

    // The policy in the manifest rewritten: a longer period accepted.
    let mut m = manifest(&path);
    m["policy"]["max_rotation_period_days"] = 2560.into();
    write_manifest(&path, &m);
    differences(&["gives another report", "policy.max_rotation_period_days"]).await;
    restore();

    assert!(verify_evidence(&path).await.unwrap().verified);
    // Not evidence at all: named, before anything is re-checked.
    let error = verify_evidence(DEMO).await.unwrap_err().to_string();
    assert!(error.contains("not an evidence manifest"), "{error}");
}

#[test]
fn the_cli_writes_and_verifies_evidence_in_any_format() {
    let dir = Dir::new("cli");
    let path = dir.file("audit.json");
    for format in ["json", "table", "html", "junit"] {
        let report = dir.file(&format!("report.{format}"));
        let out = run(&[
            "check",
            "--snapshot",
            DEMO,
            "--exempt",
            "tag:rotation-exempt=true",
            "--format",
            format,
            "--output",
            p(&report),
            "--evidence",
            p(&path),
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("verify-evidence"), "{}", text(&out.stderr));
        let out = run(&["verify-evidence", p(&path)]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with("verified:"), "{}", text(&out.stdout));
        // A changed rendered report is named with the line that differs.
        let original = std::fs::read_to_string(&report).unwrap();
        std::fs::write(&report, format!("{original}tampered\n")).unwrap();
        let out = run(&["verify-evidence", p(&path)]);
        assert_eq!(out.status.code(), Some(4), "{format}");
        let err = text(&out.stderr);
        assert!(err.contains("was changed after it was written"), "{err}");
        assert!(err.contains("not verified") && err.contains("tampered"), "{err}");
    }
    // Without --output: the report on stdout, and as JSON beside the evidence.
    let out = run(&["check", "--snapshot", DEMO, "--format", "json", "--evidence", p(&path)]);
    assert_eq!(out.status.code(), Some(2));
    let printed = AccountReport::from_json(&text(&out.stdout)).unwrap();
    let beside = AccountReport::from_json(&std::fs::read_to_string(evidence_report_path(&path)).unwrap()).unwrap();
    assert_eq!(printed.findings, beside.findings);
    assert_eq!(run(&["verify-evidence", p(&path)]).status.code(), Some(0));
    // The evidence feeds back as a snapshot.
    let out = run(&["check", "--snapshot", p(&path), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        AccountReport::from_json(&text(&out.stdout)).unwrap().findings,
        printed.findings
    );
}

#[test]
fn evidence_is_refused_where_it_is_not_written_before_any_call() {
    let dir = Dir::new("refused");
    let path = dir.file("e.json");
    let out = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--key",
        "alias/payments-db",
        "--region",
        "us-east-1",
        "--evidence",
        p(&path),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--evidence") && text(&out.stderr).contains("--key"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["check", "--snapshot", DEMO, "--evidence", "/no/such/dir/e.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/no/such/dir/e"), "{}", text(&out.stderr));
    let out = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--evidence",
        p(&path),
        "--output",
        p(&path),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("other than the report"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["verify-evidence", DEMO]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not an evidence manifest"),
        "{}",
        text(&out.stderr)
    );
    assert!(!path.exists());
}

/// A live account on moto: keys made with the SDK, checked with evidence by
/// the CLI through an assumed role, then verified offline.
#[tokio::test]
async fn evidence_of_a_live_check_on_moto_re_checks_offline() {
    let Some(endpoint) = endpoint() else { return };
    let account = fresh_account_id();
    let session = common::moto::session_in(&endpoint, &account).await;
    let kms = aws_sdk_kms::Client::new(session.sdk_config());
    let mut ids = Vec::new();
    for n in 0..3 {
        let key = kms
            .create_key()
            .description(format!("evidence {n}"))
            .send()
            .await
            .unwrap();
        ids.push(key.key_metadata().unwrap().key_id().to_owned());
    }
    kms.enable_key_rotation().key_id(&ids[0]).send().await.unwrap();
    let dir = Dir::new("moto");
    let path = dir.file("live.json");
    let report = dir.file("live-report.json");
    let role = format!("arn:aws:iam::{account}:role/KmsRotationAudit");
    let out = cli(&[
        "check",
        "--endpoint-url",
        &endpoint,
        "--region",
        "us-east-1",
        "--role-arn",
        &role,
        "--format",
        "json",
        "--output",
        p(&report),
        "--evidence",
        p(&path),
    ])
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "two keys rotate not: {}", text(&out.stderr));
    let live = AccountReport::from_json(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(live.findings.len(), 3);
    assert_eq!(live.summary.count(Status::Fail), 2);
    assert_eq!(
        live.source.as_ref().unwrap().endpoint_url.as_deref(),
        Some(endpoint.as_str())
    );
    assert!(
        live.stats.api_calls["DescribeKey"] >= 3,
        "the calls made to the account: {:?}",
        live.stats
    );
    // Offline: no endpoint, no credentials.
    let out = run(&["verify-evidence", p(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let m = manifest(&path);
    assert_eq!(m["run_specific"]["source"]["endpoint_url"], endpoint.as_str());
}
