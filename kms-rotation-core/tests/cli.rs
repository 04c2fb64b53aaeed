//! Runs the built `kms-rotation` command line: exit codes, help, bad input,
//! golden output for every format, exemptions, remediation on a copy of a snapshot.

use std::path::PathBuf;
use std::process::{Command, Output};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
/// The repository (the golden files name the demo by its path from here).
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// The fixed report time of the golden files (SOURCE_DATE_EPOCH).
const EPOCH: &str = "1767225600";

/// The crate's `kms-rotation` binary, which `cargo test` builds for this test.
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kms-rotation"))
}

/// No option named in another door's spelling (`role_name`, `organizational_unit`,
/// `max_rotation_period_days=`, `maxRotationPeriodDays`): the CLI says `--flag`.
fn assert_cli_spelling(message: &str) {
    for option in kms_rotation_core::OPTIONS {
        let Some(spelled) = option.cli_flag() else { continue };
        let snake = option.name;
        let camel = option.camel_case();
        for other in [snake.to_owned(), format!("{snake}="), camel] {
            let foreign = other.contains(['_', '=']) || other != snake;
            let at_word = foreign
                && message.match_indices(&other).any(|(at, _)| {
                    let before = message[..at].chars().next_back();
                    let after = message[at + other.len()..].chars().next();
                    let joined = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
                    !joined(before) && !joined(after)
                });
            assert!(!at_word, "{other} in a CLI message (say {spelled}): {message}");
        }
    }
}

fn run(args: &[&str]) -> Output {
    run_in(".", args)
}

/// [`run`] in the directory `dir`.
fn run_in(dir: &str, args: &[&str]) -> Output {
    Command::new(binary())
        .current_dir(dir)
        .args(args)
        // The table fits 80 columns unless the terminal (or COLUMNS) says otherwise.
        .env_remove("COLUMNS")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1")
        // No ambient AWS configuration may leak into a test.
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("run kms-rotation")
}

/// `check --snapshot SNAPSHOT --format json --output REPORT`.
fn save_report(snapshot: &str, report: &str) -> Output {
    run(&["check", "--snapshot", snapshot, "--format", "json", "--output", report])
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// A scratch copy of a file, removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn copy_of(source: &str, name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("kms-rotation-cli-{}-{name}", std::process::id()));
        std::fs::copy(source, &path).expect("copy snapshot");
        Scratch(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 path")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs the demo check as scripts/regen-golden.sh does (from the repository,
/// the demo's path as given there), with `extra` arguments, in each format,
/// and compares it with `tests/golden/{name}.{format}`.
fn assert_golden(name: &str, extra: &[&str], formats: &[&str]) {
    for format in formats {
        let mut args = vec![
            "check",
            "--snapshot",
            "examples/data/demo-account.json",
            "--exempt",
            "tag:rotation-exempt=true",
        ];
        args.extend(extra);
        args.extend(["--format", format]);
        let out = run_in(REPO, &args);
        assert_eq!(code(&out), 2, "{format}: {}", stderr(&out));
        let golden = std::fs::read_to_string(format!("{GOLDEN}/{name}.{format}"))
            .unwrap_or_else(|e| panic!("golden file for {format}: {e}; regenerate with scripts/regen-golden.sh"));
        assert!(
            stdout(&out) == golden,
            "{format} differs from kms-rotation-core/tests/golden/{name}.{format}; if the change is intended, run scripts/regen-golden.sh and review the diff"
        );
    }
}

#[test]
fn every_format_matches_its_golden_file() {
    let formats = [
        "table",
        "json",
        "csv",
        "ocsf",
        "asff",
        "cloudsploit",
        "html",
        "markdown",
        "junit",
        "sarif",
    ];
    assert_golden("demo", &[], &formats);
}

#[test]
fn every_format_against_a_baseline_matches_its_golden_file() {
    let formats = ["table", "json", "csv", "html", "markdown", "junit", "sarif"];
    assert_golden(
        "demo-baseline",
        &["--baseline", "examples/data/demo-baseline.json"],
        &formats,
    );
}

#[test]
fn fail_on_new_exits_0_with_old_failures_and_2_with_a_new_one() {
    let report = std::env::temp_dir().join(format!("kms-rotation-cli-{}-baseline.json", std::process::id()));
    let report = report.to_str().unwrap();
    let exempt = ["--exempt", "tag:rotation-exempt=true"];
    let saved = run(&[
        &["check", "--snapshot", DEMO, "--format", "json", "--output", report][..],
        &exempt,
    ]
    .concat());
    assert_eq!(code(&saved), 2);
    let same = run(&[
        &["check", "--snapshot", DEMO, "--baseline", report, "--fail-on", "new"][..],
        &exempt,
    ]
    .concat());
    assert_eq!(code(&same), 0, "{}", stdout(&same));
    // The table's last line (wrapped to 80 columns) counts each state.
    let words = stdout(&same).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.ends_with("0 new, 0 regressed, 36 unchanged, 0 resolved."),
        "{words}"
    );
    let default = run(&[&["check", "--snapshot", DEMO, "--baseline", report][..], &exempt].concat());
    assert_eq!(code(&default), 2, "the default is unchanged");
    let demo_baseline = format!("{REPO}/examples/data/demo-baseline.json");
    let new = run(&[
        &[
            "check",
            "--snapshot",
            DEMO,
            "--baseline",
            &demo_baseline,
            "--fail-on",
            "new",
        ][..],
        &exempt,
    ]
    .concat());
    assert_eq!(code(&new), 2, "{}", stdout(&new));
    // Refused before any call, naming what differs, in the CLI's spelling.
    let stricter = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--baseline",
        report,
        "--max-rotation-period-days",
        "180",
        "--exempt",
        "tag:rotation-exempt=true",
    ]);
    assert_eq!(code(&stricter), 1);
    assert!(
        stderr(&stricter).contains("policy.max_rotation_period_days is 365 in the baseline, 180 now"),
        "{}",
        stderr(&stricter)
    );
    let without = run(&["check", "--snapshot", DEMO, "--fail-on", "new"]);
    assert_eq!(code(&without), 1);
    let message = stderr(&without);
    assert!(
        message.contains("--fail-on") && message.contains("--baseline"),
        "{message}"
    );
    let bad = run(&["check", "--snapshot", DEMO, "--fail-on", "sometimes"]);
    assert_eq!(code(&bad), 1);
    assert!(stderr(&bad).contains("sometimes"), "{}", stderr(&bad));
    let missing = run(&["check", "--snapshot", DEMO, "--baseline", "/nonexistent/previous.json"]);
    assert_eq!(code(&missing), 1);
    assert!(
        stderr(&missing).contains("/nonexistent/previous.json"),
        "{}",
        stderr(&missing)
    );
    let _ = std::fs::remove_file(report);
}

#[test]
fn the_table_shows_all_five_statuses_and_the_summary() {
    let out = run(&["check", "--snapshot", DEMO, "--exempt", "tag:rotation-exempt=true"]);
    let text = stdout(&out);
    for status in ["PASS", "FAIL", "NOT_APPLICABLE", "EXEMPT", "ERROR"] {
        assert!(text.contains(status), "{status} missing:\n{text}");
    }
    assert!(
        text.contains("36 keys: 11 PASS, 9 FAIL, 13 NOT_APPLICABLE, 1 EXEMPT, 2 ERROR"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour when not on a terminal");
}

#[test]
fn exit_codes() {
    // Any FAIL: 2.
    assert_eq!(code(&run(&["check", "--snapshot", DEMO])), 2);
    // ERROR and no FAIL: 3 (us-east-1 has denied keys; exempt every failing key there by alias).
    let mut args = vec!["check", "--snapshot", DEMO, "--region", "us-east-1"];
    for alias in [
        "alias/analytics-staging",
        "alias/build-artifacts",
        "alias/tmp-migration",
        "alias/archive-cold",
        "alias/reports",
        "alias/retired-app",
        "alias/vendor-escrow",
        "alias/global-config",
    ] {
        args.extend(["--exempt", alias]);
    }
    let out = run(&args);
    assert_eq!(code(&out), 3, "{}", stdout(&out));
    // Nothing FAIL or ERROR: 0 (eu-west-1 with its one failing key exempt).
    let out = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--region",
        "eu-west-1",
        "--exempt",
        "alias/eu-customer-data",
        "--exempt",
        "alias/global-config",
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // Usage and configuration errors: 1.
    assert_eq!(code(&run(&["check", "--snapshot", DEMO, "--bogus-flag"])), 1);
    assert_eq!(code(&run(&[])), 1);
}

#[test]
fn help_documents_the_exit_codes() {
    let out = run(&["--help"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.contains("Exit codes") && text.contains("check") && text.contains("remediate"),
        "{text}"
    );
    let out = run(&["check", "--help"]);
    assert_eq!(code(&out), 0);
    for flag in [
        "--region",
        "--all-regions",
        "--profile",
        "--endpoint-url",
        "--role-arn",
        "--snapshot",
        "--exempt",
        "--format",
        "--output",
        "--max-rps",
        "--skip-disabled",
        "--max-rotation-period-days",
    ] {
        assert!(stdout(&out).contains(flag), "{flag} missing from check --help");
    }
}

#[test]
fn bad_input_is_a_clear_error_with_exit_code_1() {
    let out = run(&["check", "--snapshot", DEMO, "--max-rotation-period-days", "89"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("invalid --max-rotation-period-days \"89\""),
        "{}",
        stderr(&out)
    );
    assert_cli_spelling(&stderr(&out));
    let out = run(&["check", "--snapshot", "/no/such/snapshot.json"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("/no/such/snapshot.json"), "{}", stderr(&out));
    let out = run(&["check", "--snapshot", DEMO, "--format", "xml"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("xml"), "{}", stderr(&out));
    let out = run(&["check", "--snapshot", DEMO, "--exempt", "tag:oops"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("tag:oops"), "{}", stderr(&out));
    let out = run(&["remediate", "--snapshot", DEMO, "--rotation-period-days", "2561"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("2561"), "{}", stderr(&out));
    let out = run(&["check", "--snapshot", DEMO, "--region", "mars-1"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("mars-1"), "{}", stderr(&out));
}

#[test]
fn exempt_turns_a_key_exempt() {
    let out = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--format",
        "csv",
        "--exempt",
        "alias/reports",
    ]);
    let line = stdout(&out)
        .lines()
        .find(|l| l.contains("alias/reports"))
        .expect("alias/reports row")
        .to_owned();
    assert!(line.contains(",EXEMPT,exempted,"), "{line}");
    let out = run(&["check", "--snapshot", DEMO, "--format", "csv"]);
    let line = stdout(&out)
        .lines()
        .find(|l| l.contains("alias/reports"))
        .expect("alias/reports row")
        .to_owned();
    assert!(line.contains(",FAIL,rotation_period_too_long,"), "{line}");
}

#[test]
fn remediate_dry_run_then_apply_on_a_copy_of_a_snapshot() {
    let copy = Scratch::copy_of(DEMO, "remediate.json");
    let before = std::fs::read_to_string(copy.path()).unwrap();

    let dry = run(&["remediate", "--snapshot", copy.path()]);
    assert_eq!(code(&dry), 2, "the disabled key would be skipped: {}", stdout(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("WOULD_CHANGE") && text.contains("dry run, nothing changed"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(copy.path()).unwrap(),
        before,
        "a dry run leaves the file alone"
    );

    let applied = run(&["remediate", "--snapshot", copy.path(), "--apply"]);
    let text = stdout(&applied);
    assert!(text.contains("CHANGED") && text.contains("SKIPPED"), "{text}");
    assert!(!text.contains("WOULD_CHANGE"));
    assert_ne!(
        std::fs::read_to_string(copy.path()).unwrap(),
        before,
        "--apply writes the changes back"
    );

    // Afterwards the only FAIL left is the disabled key.
    let out = run(&["check", "--snapshot", copy.path(), "--format", "csv"]);
    let text = stdout(&out);
    let failing: Vec<&str> = text.lines().filter(|l| l.contains(",FAIL,")).collect();
    assert_eq!(failing.len(), 1, "only the disabled key still fails:\n{text}");
    assert!(failing[0].contains("alias/retired-app"));

    // From a saved report, as JSON.
    let report = Scratch::copy_of(DEMO, "report.json");
    let out = save_report(copy.path(), report.path());
    assert_eq!(code(&out), 2);
    let out = run(&[
        "remediate",
        "--snapshot",
        copy.path(),
        "--report",
        report.path(),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("remediation JSON");
    assert_eq!(json["dry_run"], true);
    assert!(
        json["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["outcome"] != "CHANGED")
    );
}

#[test]
fn collect_writes_a_snapshot_that_checks_the_same() {
    let out_path = std::env::temp_dir().join(format!("kms-rotation-cli-{}-collected.json", std::process::id()));
    let out = run(&["collect", "--snapshot", DEMO, "--output", out_path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let a = run(&["check", "--snapshot", DEMO, "--format", "csv"]);
    let b = run(&["check", "--snapshot", out_path.to_str().unwrap(), "--format", "csv"]);
    let _ = std::fs::remove_file(&out_path);
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn every_option_of_the_core_has_its_flag() {
    // The core names every option once; the CLI spells it --kebab-case (or as OPTIONS says).
    let help: String = ["check", "remediate", "collect"]
        .iter()
        .map(|command| stdout(&run(&[command, "--help"])))
        .collect();
    for name in kms_rotation_core::RENDER_OPTIONS {
        let flag = format!("--{}", name.replace('_', "-"));
        assert!(
            help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
            "the CLI lacks {flag} for the render option {name}"
        );
    }
    for option in kms_rotation_core::OPTIONS {
        if let Some(flag) = option.cli_flag() {
            assert!(
                help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                "the CLI lacks {flag} for the option {} ({})",
                option.name,
                option.cli_note
            );
        }
    }
}

#[test]
fn key_checks_and_remediates_only_the_named_keys() {
    let out = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--region",
        "us-east-1",
        "--key",
        "alias/payments-db",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON report");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{}", stdout(&out));
    assert_eq!(findings[0]["status"], "PASS");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A replica in eu-west-1, named by ARN: the fix goes to its primary in another region.
    let replica = "arn:aws:kms:eu-west-1:111122223333:key/mrk-4069dbf922ff8269470b6a6e2515cfbc";
    let plan = run(&[
        "remediate",
        "--snapshot",
        DEMO,
        "--region",
        "us-east-1",
        "--key",
        "alias/build-artifacts",
        "--key",
        replica,
        "--format",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&plan)).expect("JSON remediation report");
    let actions = plan["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 2, "{plan:#}");
    assert!(actions.iter().all(|a| a["outcome"] == "WOULD_CHANGE"), "{plan:#}");
    assert!(
        actions.iter().all(|a| a["target_arn"] != replica),
        "a replica is fixed on its primary: {plan:#}"
    );
    let bad = run(&["check", "--snapshot", DEMO, "--key", "alias/"]);
    assert_eq!(code(&bad), 1);
    assert!(stderr(&bad).contains("alias/"), "{}", stderr(&bad));
}

/// A snapshot file in the temp directory, removed at the end of the test.
fn snapshot_file(name: &str, json: &serde_json::Value) -> Scratch {
    let path = std::env::temp_dir().join(format!("kms-rotation-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, json.to_string()).expect("write snapshot");
    Scratch(path)
}

fn symmetric_key(region: &str, n: u32, rotation: bool) -> serde_json::Value {
    let id = format!("{n:08x}-0000-4000-8000-{n:012x}");
    serde_json::json!({
        "KeyMetadata": {
            "KeyId": id, "Arn": format!("arn:aws:kms:{region}:111122223333:key/{id}"),
            "KeyManager": "CUSTOMER", "KeyState": "Enabled", "Origin": "AWS_KMS", "KeySpec": "SYMMETRIC_DEFAULT"
        },
        "RotationStatus": {"KeyRotationEnabled": rotation, "RotationPeriodInDays": 365}
    })
}

fn refused_region() -> serde_json::Value {
    serde_json::json!({"keys": [], "Errors": {"ListKeys": {
        "Code": "UnrecognizedClientException",
        "Message": "The security token included in the request is invalid."
    }}})
}

#[test]
fn a_region_not_checked_is_never_a_clean_exit() {
    let file = snapshot_file(
        "one-region-off.json",
        &serde_json::json!({"regions": {
            "us-east-1": {"keys": [symmetric_key("us-east-1", 1, true)]},
            "ap-east-1": refused_region(),
            "eu-west-1": {"keys": [], "Errors": {"ListKeys": {"Code": "InternalFailure", "Message": "boom"}}}
        }}),
    );
    let out = run(&["check", "--snapshot", file.path(), "--format", "json"]);
    assert_eq!(code(&out), 3, "every key passes, but two regions were not checked");
    let err = stderr(&out);
    assert!(err.contains("ap-east-1") && err.contains("eu-west-1"), "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["summary"]["regions_not_checked"], 2);
    // collect says so too: the file records the errors, the exit code is not 0.
    let collected =
        Scratch(std::env::temp_dir().join(format!("kms-rotation-cli-{}-collected.json", std::process::id())));
    let out = run(&["collect", "--snapshot", file.path(), "--output", collected.path()]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let saved = std::fs::read_to_string(collected.path()).unwrap();
    assert!(saved.contains("UnrecognizedClientException"), "{saved}");
}

#[test]
fn credentials_refused_in_every_region_are_a_configuration_error() {
    let file = snapshot_file(
        "all-refused.json",
        &serde_json::json!({"regions": {"us-east-1": refused_region(), "eu-west-1": refused_region()}}),
    );
    let out = run(&["check", "--snapshot", file.path()]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stderr(&out).contains("credentials"), "{}", stderr(&out));
}

#[test]
fn bad_values_are_named_before_any_work() {
    let missing_dir = std::env::temp_dir().join("kms-rotation-no-such-dir").join("out.json");
    let long_region = "x".repeat(300);
    let cases: [(&[&str], &str); 11] = [
        (&["--region", "us-est-1"], "us-east-1"),
        (&["--region", "xx-fake-9"], "xx-fake-9"),
        (&["--region", &long_region], "at most 64"),
        (
            &[
                "--exempt",
                "arn:awsx:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ],
            "awsx",
        ),
        (
            &[
                "--exempt",
                "arn:aws:kms:xx-fake-9:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ],
            "xx-fake-9",
        ),
        (&["--max-rps", "1e400"], "1e400"),
        (&["--max-rps", "-1"], "-1"),
        (&["--max-rotation-period-days", "-5"], "negative"),
        (&["--max-in-flight", "0"], "at least 1"),
        (&["--output", missing_dir.to_str().unwrap()], "kms-rotation-no-such-dir"),
        (&["--region", "us-east-1", "--region", "all"], "all"),
    ];
    for (extra, named) in cases {
        let mut args = vec!["check", "--snapshot", DEMO];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_eq!(code(&out), 1, "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{extra:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains(" inf "), "{extra:?}: {}", stderr(&out));
        assert_cli_spelling(&stderr(&out));
    }
    // The messages issue 26 found in another door's spelling.
    for (args, flag) in [
        (
            vec!["check", "--snapshot", DEMO, "--region", "xx-fake-9"],
            "--allow-unknown-regions",
        ),
        (vec!["check", "--snapshot", DEMO, "--role-name", "Audit"], "--role-name"),
        (
            vec!["check", "--snapshot", DEMO, "--max-rotation-period-days", "30"],
            "--max-rotation-period-days",
        ),
        (
            vec!["check", "--external-id", "x-1", "--region", "us-east-1"],
            "--role-arn",
        ),
    ] {
        let out = run(&args);
        assert_eq!(code(&out), 1, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{args:?}: {}", stderr(&out));
        assert_cli_spelling(&stderr(&out));
    }
}

#[test]
fn policy_flags_are_never_silently_ignored_with_a_report() {
    let report = Scratch(std::env::temp_dir().join(format!("kms-rotation-cli-{}-report.json", std::process::id())));
    let out = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--format",
        "json",
        "--output",
        report.path(),
    ]);
    assert_eq!(code(&out), 2);
    let out = run(&[
        "remediate",
        "--snapshot",
        DEMO,
        "--report",
        report.path(),
        "--max-rotation-period-days",
        "180",
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stderr(&out).contains("--max-rotation-period-days"), "{}", stderr(&out));
}

#[test]
fn a_profile_that_does_not_exist_is_named() {
    let home = std::env::temp_dir().join(format!("kms-rotation-cli-{}-home", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(binary())
        .args(["check", "--profile", "no-such-profile", "--region", "us-east-1"])
        .env("HOME", &home)
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret-from-the-environment")
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no-such-profile"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("secret-from-the-environment"));
}

#[test]
fn an_unreachable_endpoint_is_a_region_not_checked_in_one_readable_line() {
    // A port nothing listens on: connection refused, retried, then a region error.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}");
    let out = Command::new(binary())
        .args(["--verbose", "check", "--endpoint-url", &url, "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "canary-secret-never-printed")
        .env("AWS_SESSION_TOKEN", "canary-token-never-printed")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "nothing was checked: {err}");
    assert!(err.contains("us-east-1") && err.contains("not checked"), "{err}");
    let line = err.lines().find(|l| l.contains("not checked")).unwrap();
    assert!(line.to_lowercase().contains("connect"), "{line}");
    assert!(
        !err.contains("DispatchFailure {") && !err.contains("source:"),
        "no debug dump: {err}"
    );
    assert!(!err.contains("canary") && !stdout(&out).contains("canary"));
    // --verbose logs each attempt: operation, region, outcome, latency, attempt.
    assert!(
        err.contains("operation=\"ListKeys\"") && err.contains("attempt=2"),
        "{err}"
    );
}

#[test]
fn files_in_the_wrong_encoding_or_with_a_key_twice_are_named_plainly() {
    let demo = std::fs::read(DEMO).unwrap();
    let text = String::from_utf8(demo.clone()).unwrap();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(&demo);
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    let twice = r#"{"regions": {"us-east-1": {"keys": []},
 "us-east-1": {"keys": []}}}"#;
    for (name, bytes, named) in [
        ("bom.json", bom, "byte-order mark"),
        ("utf16.json", utf16, "UTF-16"),
        ("twice.json", twice.as_bytes().to_vec(), "\"us-east-1\" is given twice"),
    ] {
        let path = std::env::temp_dir().join(format!("kms-rotation-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let file = Scratch(path);
        let out = run(&["check", "--snapshot", file.path()]);
        assert_eq!(code(&out), 1, "{name}");
        assert!(stderr(&out).contains(named), "{name}: {}", stderr(&out));
    }
}

#[test]
fn strict_refuses_a_file_that_lenient_loading_judges() {
    let file = snapshot_file(
        "odd-key.json",
        &serde_json::json!({"regions": {"us-east-1": {"keys": [
            symmetric_key("us-east-1", 1, true),
            {"KeyMetadata": {"KeyId": "00000002-0000-4000-8000-000000000002", "KeyState": 5}}
        ]}}}),
    );
    let lenient = run(&["check", "--snapshot", file.path(), "--format", "csv"]);
    assert_eq!(code(&lenient), 3, "one PASS, one ERROR: {}", stderr(&lenient));
    assert!(
        stdout(&lenient).contains("KeyMetadata.KeyState"),
        "{}",
        stdout(&lenient)
    );
    let strict = run(&["check", "--snapshot", file.path(), "--strict"]);
    assert_eq!(code(&strict), 1);
    assert!(stderr(&strict).contains("KeyMetadata.KeyState"), "{}", stderr(&strict));
}

#[test]
fn a_cloudsploit_collection_is_checked_offline() {
    let collection = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/cloudsploit-collection.json");
    let out = run(&["check", "--cloudsploit-collection", collection, "--format", "csv"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(
        csv.contains("unsupported_key_spec") && csv.contains("aws_managed"),
        "{csv}"
    );
    assert!(
        stderr(&out).contains("eu-west-1"),
        "the region CloudSploit could not list: {}",
        stderr(&out)
    );
}

const HISTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/rotation-history.json");

#[test]
fn rotation_history_adds_a_last_rotated_column_and_csv_columns_only_when_asked() {
    let plain = run(&["check", "--snapshot", HISTORY]);
    assert!(!stdout(&plain).contains("LAST ROTATED"), "{}", stdout(&plain));
    let table = run(&["check", "--snapshot", HISTORY, "--rotation-history"]);
    let text = stdout(&table);
    assert!(text.contains("LAST ROTATED"), "{text}");
    assert!(
        text.contains("2025-11-20 ON_DEMAND") && text.contains("never"),
        "{text}"
    );
    // The option reads evidence; the verdicts stay as they were.
    assert_eq!(code(&table), code(&plain));
    let csv = stdout(&run(&[
        "check",
        "--snapshot",
        HISTORY,
        "--rotation-history",
        "--format",
        "csv",
    ]));
    let header = csv.lines().next().unwrap_or_default();
    assert!(
        header.ends_with("last_rotated_at,last_rotation_type,automatic_rotations,on_demand_rotations"),
        "{header}"
    );
    assert!(csv.contains("2025-11-20T10:00:00Z,ON_DEMAND,2,1"), "{csv}");
    let asff = stdout(&run(&[
        "check",
        "--snapshot",
        HISTORY,
        "--rotation-history",
        "--format",
        "asff",
    ]));
    assert!(asff.contains("\"LastRotatedAt\": \"2025-11-20T10:00:00Z\""), "{asff}");
    let ocsf = stdout(&run(&[
        "check",
        "--snapshot",
        HISTORY,
        "--rotation-history",
        "--format",
        "ocsf",
    ]));
    assert!(ocsf.contains("\"rotation_history\""), "{ocsf}");
}

#[test]
fn max_days_since_rotation_judges_against_source_date_epoch_and_remediation_gives_the_steps() {
    let out = run(&[
        "check",
        "--snapshot",
        HISTORY,
        "--max-days-since-rotation",
        "365",
        "--accept-on-demand-rotation",
        "--format",
        "csv",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let csv = stdout(&out);
    let row = |alias: &str| csv.lines().find(|l| l.contains(alias)).unwrap_or_default().to_owned();
    assert!(row("alias/on-stale").contains("FAIL,rotation_overdue"), "{csv}");
    assert!(row("alias/on-stale").contains("1096 days before 2026-01-01"), "{csv}");
    assert!(row("alias/off-on-demand").contains("PASS,rotated_on_demand"), "{csv}");
    assert!(row("alias/imported-stale").contains("FAIL,rotation_overdue"), "{csv}");
    assert!(row("alias/on-rotated").contains("PASS,rotation_enabled"), "{csv}");

    let scratch = Scratch::copy_of(HISTORY, "history.json");
    let remediation = run(&[
        "remediate",
        "--snapshot",
        scratch.path(),
        "--max-days-since-rotation",
        "365",
        "--apply",
        "--format",
        "json",
    ]);
    let text = stdout(&remediation);
    assert!(text.contains("aws kms rotate-key-on-demand --key-id"), "{text}");
    assert!(text.contains("import new key material"), "{text}");
    let table = run(&[
        "remediate",
        "--snapshot",
        scratch.path(),
        "--max-days-since-rotation",
        "365",
    ]);
    let table = stdout(&table).replace("\n    ", " ");
    assert!(
        table.contains("(--rotate-on-demand)"),
        "the table names the flag: {table}"
    );
    assert_cli_spelling(&table);
    assert!(
        !text.contains("\"RotateKeyOnDemand\""),
        "never rotated on demand unasked: {text}"
    );
    let rotated = run(&[
        "remediate",
        "--snapshot",
        scratch.path(),
        "--max-days-since-rotation",
        "365",
        "--rotate-on-demand",
        "--apply",
        "--format",
        "json",
    ]);
    let text = stdout(&rotated);
    assert!(text.contains("\"RotateKeyOnDemand\": 1"), "{text}");
    assert!(text.contains("ListKeyRotations shows the new rotation"), "{text}");
    // The file records the rotation in ListKeyRotations's own shape.
    let saved = std::fs::read_to_string(scratch.path()).expect("saved snapshot");
    assert_eq!(saved.matches("\"ON_DEMAND\"").count(), 4, "{saved}");
}

#[test]
fn a_bad_max_days_since_rotation_is_named_before_any_call() {
    for bad in ["0", "2561"] {
        let out = run(&["check", "--snapshot", HISTORY, "--max-days-since-rotation", bad]);
        assert_eq!(code(&out), 1);
        let error = stderr(&out);
        assert!(
            error.contains("--max-days-since-rotation") && error.contains(bad),
            "{error}"
        );
        assert_cli_spelling(&error);
    }
}

#[test]
fn color_and_only_failing_shape_the_table() {
    let args = ["check", "--snapshot", DEMO, "--exempt", "tag:rotation-exempt=true"];
    let always = run(&[&args[..], &["--color", "always"]].concat());
    assert!(
        stdout(&always).contains("\u{1b}["),
        "--color always colours even through a pipe"
    );
    let never = run(&[&args[..], &["--color", "never"]].concat());
    assert!(!stdout(&never).contains('\u{1b}'));
    let bad = run(&[&args[..], &["--color", "sometimes"]].concat());
    assert_eq!(code(&bad), 1, "{}", stderr(&bad));
    let failing = run(&[&args[..], &["--only-failing"]].concat());
    let text = stdout(&failing);
    assert_eq!(code(&failing), 2);
    assert!(
        !text.contains("PASS  ") && text.contains("FAIL  ") && text.contains("ERROR  "),
        "{text}"
    );
    assert!(text.contains("(showing the 11 FAIL and ERROR)"), "{text}");
    let json = run(&[&args[..], &["--only-failing", "--format", "json"]].concat());
    assert_eq!(code(&json), 1);
    assert!(stderr(&json).contains("--only-failing applies to --format table or markdown"));
}

#[test]
fn remediate_writes_an_html_page() {
    let out = run(&["remediate", "--snapshot", DEMO, "--format", "html"]);
    let page = stdout(&out);
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("WOULD_CHANGE"),
        "{}",
        stderr(&out)
    );
    assert!(page.contains("dry run"));
}

#[test]
fn organisation_flags_refuse_bad_input_before_any_call() {
    let accounts = std::env::temp_dir().join(format!("kms-rotation-cli-{}-accounts.json", std::process::id()));
    std::fs::write(&accounts, r#"{"111122223333": "arn:aws:iam::444455556666:role/Audit"}"#).unwrap();
    let accounts = accounts.to_str().unwrap().to_owned();
    // A dead endpoint: any call would fail differently (and slowly).
    let dead = ["--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"];
    for (args, named) in [
        (vec!["check", "--organization"], "--role-name"),
        (
            vec![
                "check",
                "--organization",
                "--role-name",
                "Audit",
                "--include-account",
                "1234",
            ],
            "1234",
        ),
        (vec!["check", "--ou", "ou-NOPE", "--role-name", "Audit"], "ou-NOPE"),
        (
            vec![
                "check",
                "--organization",
                "--role-name",
                "arn:aws:iam::111122223333:role/A",
            ],
            "arn:aws:iam",
        ),
        (vec!["check", "--accounts-file", &accounts], "another account"),
        (
            vec!["check", "--organization", "--role-name", "A", "--snapshot", DEMO],
            "--organization",
        ),
        // Not `invalid organization "true"`: the flag given is named.
        (
            vec!["check", "--snapshot", DEMO, "--remediation-role-name", "X"],
            "invalid --remediation-role-name \"X\"",
        ),
        (
            vec![
                "collect",
                "--organization",
                "--role-name",
                "A",
                "--output",
                "/tmp/x.json",
            ],
            "one account",
        ),
    ] {
        let mut all = args.clone();
        if !args.contains(&"--snapshot") {
            all.extend(dead);
        }
        let out = run(&all);
        assert_eq!(code(&out), 1, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{args:?}: {}", stderr(&out));
        assert_cli_spelling(&stderr(&out));
    }
    let _ = std::fs::remove_file(&accounts);
}

/// Issue 26, item 1: a tag exemption over a snapshot that recorded no tags
/// (`collect` without one) makes the keys ERROR naming the missing tags, never
/// FAIL, and remediation plans nothing for them.
#[test]
fn a_tag_exemption_over_a_snapshot_without_tags_is_error_and_is_not_remediated() {
    let mut tagged = symmetric_key("us-east-1", 1, false);
    tagged["Tags"] = serde_json::json!([{"TagKey": "rotation-exempt", "TagValue": "true"}]);
    let live = snapshot_file(
        "tags-live.json",
        &serde_json::json!({"account_id": "111122223333", "regions": {"us-east-1": {"keys": [tagged]}}}),
    );
    let collected = Scratch(std::env::temp_dir().join(format!("kms-rotation-cli-{}-tagless.json", std::process::id())));
    let out = run(&["collect", "--snapshot", live.path(), "--output", collected.path()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!std::fs::read_to_string(collected.path()).unwrap().contains("Tags"));

    let exempt = ["--exempt", "tag:rotation-exempt=true"];
    let live_check = run(&[&["check", "--snapshot", live.path(), "--format", "csv"][..], &exempt].concat());
    assert!(stdout(&live_check).contains(",EXEMPT,"), "{}", stdout(&live_check));
    let out = run(&[&["check", "--snapshot", collected.path()][..], &exempt].concat());
    let text = stdout(&out).replace('\n', " ");
    assert_eq!(code(&out), 3, "ERROR, not FAIL: {text}");
    assert!(!text.contains("FAIL "), "{text}");
    assert!(text.contains("missing_evidence"), "{text}");
    assert!(text.contains("collect the snapshot again"), "{text}");
    let json = run(&[
        &["check", "--snapshot", collected.path(), "--format", "json"][..],
        &exempt,
    ]
    .concat());
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("tag:rotation-exempt=true") && message.contains("ListResourceTags"),
        "{message}"
    );

    let plan = run(&[
        &["remediate", "--snapshot", collected.path(), "--format", "json"][..],
        &exempt,
    ]
    .concat());
    let plan: serde_json::Value = serde_json::from_str(&stdout(&plan)).unwrap();
    assert_eq!(
        plan["actions"],
        serde_json::json!([]),
        "nothing planned for a key that could be exempt"
    );
}

/// The command the table's `next:` line prints, as printed.
fn next_command(table: &str) -> Vec<String> {
    let next = table[table.rfind("next: ").expect("a next: line")..].replace('\n', " ");
    let command = next.split('`').nth(1).expect("a command between backticks");
    command.split_whitespace().map(str::to_owned).collect()
}

/// Issue 26, item 2: the `next:` hint names where the keys were read, runs as
/// printed, and `remediate` refuses a report checked elsewhere unless told.
#[test]
fn the_next_hint_runs_as_printed_on_the_same_source() {
    let copy = Scratch::copy_of(DEMO, "hint.json");
    let report =
        Scratch(std::env::temp_dir().join(format!("kms-rotation-cli-{}-hint-report.json", std::process::id())));
    let dir = report.path().rsplit_once('/').unwrap().0.to_owned();
    let check = run(&["check", "--snapshot", copy.path()]);
    let command = next_command(&stdout(&check));
    assert_eq!(
        command[..4],
        ["kms-rotation", "remediate", "--report", "report.json"],
        "{command:?}"
    );
    assert!(
        command.windows(2).any(|w| w == ["--snapshot", copy.path()]),
        "{command:?}"
    );
    let saved = save_report(copy.path(), report.path());
    assert_eq!(code(&saved), 2);
    std::fs::copy(report.path(), format!("{dir}/report.json")).unwrap();
    let _report_json = Scratch(PathBuf::from(format!("{dir}/report.json")));
    let printed: Vec<&str> = command[1..].iter().map(String::as_str).collect();
    let out = run_in(&dir, &printed);
    assert_eq!(code(&out), 2, "the disabled key is skipped: {}", stderr(&out));
    assert!(stdout(&out).contains("WOULD_CHANGE"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("--apply"),
        "the dry run says how to apply: {}",
        stdout(&out)
    );

    // Elsewhere (no --snapshot: the live account) the report is refused before any call.
    let out = run(&[
        "remediate",
        "--report",
        report.path(),
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--region",
        "us-east-1",
    ]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let error = stderr(&out);
    assert!(
        error.contains("the snapshot") && error.contains("--allow-other-source"),
        "{error}"
    );
    assert_cli_spelling(&error);
    // Another spelling of the same file is the same source.
    let other_spelling = format!("{dir}/./{}", copy.path().rsplit('/').next().unwrap());
    let out = run(&["remediate", "--report", report.path(), "--snapshot", &other_spelling]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    // Told explicitly, it acts on the other source.
    let elsewhere = Scratch::copy_of(DEMO, "elsewhere.json");
    let out = run(&["remediate", "--report", report.path(), "--snapshot", elsewhere.path()]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let out = run(&[
        "remediate",
        "--report",
        report.path(),
        "--snapshot",
        elsewhere.path(),
        "--allow-other-source",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

/// Issue 26, item 3: the advice follows the kind of error.
#[test]
fn the_advice_follows_the_error() {
    let with_error = |n: u32, code: &str| {
        let mut key = symmetric_key("us-east-1", n, true);
        key["Errors"] = serde_json::json!({"GetKeyRotationStatus": {"Code": code, "Message": "m"}});
        key
    };
    for (code_given, advice) in [
        (
            "AccessDeniedException",
            "grant the IAM actions denied (kms:GetKeyRotationStatus)",
        ),
        ("NotFoundException", "check the key names"),
        ("DependencyTimeoutException", "check the endpoint and the network"),
        ("MissingEvidence", "collect the snapshot again"),
    ] {
        let file = snapshot_file(
            "advice.json",
            &serde_json::json!({"regions": {"us-east-1": {"keys": [with_error(1, code_given)]}}}),
        );
        let out = run(&["check", "--snapshot", file.path()]);
        assert_eq!(code(&out), 3);
        let next = stdout(&out).replace('\n', " ");
        assert!(next.contains(advice), "{code_given}: {next}");
        assert!(next.contains("1 ERROR and 0 regions not checked"), "{next}");
        for other in ["grant", "check the key names", "network", "collect the snapshot"] {
            assert!(advice.contains(other) || !next.contains(other), "{code_given}: {next}");
        }
    }
}

/// Issue 26, items 5 and 6: the smaller things a first hour meets.
#[test]
fn the_first_hour_small_things() {
    // tag:KEY=VALUE is suggested for a bare KEY=VALUE.
    let out = run(&["check", "--snapshot", DEMO, "--exempt", "rotation-exempt=true"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("tag:rotation-exempt=true"), "{}", stderr(&out));
    // An exemption that matched no key is said.
    let out = run(&["check", "--snapshot", DEMO, "--exempt", "alias/no-such-alias"]);
    assert!(
        stdout(&out).contains("exemption alias/no-such-alias matched no key"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("exemption tag:"), "{}", stdout(&out));
    // A wrong file given to --report is named, and its position is not quoted as a value.
    let out = run(&["remediate", "--snapshot", DEMO, "--report", DEMO]);
    assert_eq!(code(&out), 1);
    let error = stderr(&out);
    assert!(error.contains(DEMO) && error.contains("check --format json"), "{error}");
    assert!(!error.contains("\"line "), "{error}");
    // One key, one region.
    let one = snapshot_file(
        "one.json",
        &serde_json::json!({"regions": {"us-east-1": {"keys": [symmetric_key("us-east-1", 1, true)]}}}),
    );
    let out = run(&["check", "--snapshot", one.path()]);
    assert!(
        stdout(&out).contains("1 key listed") && stdout(&out).contains("1 key: "),
        "{}",
        stdout(&out)
    );
    // The table and --help fit the terminal: 80 columns by default, wider when it is.
    // (From the repository, with the demo's relative path: the closing hint names the
    // snapshot as given, and an absolute path in a deep checkout is one word over 80.)
    let out = run_in(
        REPO,
        &[
            "check",
            "--snapshot",
            "examples/data/demo-account.json",
            "--exempt",
            "tag:rotation-exempt=true",
        ],
    );
    assert!(
        stdout(&out).lines().all(|l| l.chars().count() <= 80),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("(730 days)"),
        "the fact behind the reason: {}",
        stdout(&out)
    );
    let help = Command::new(binary())
        .args(["check", "--help"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(
        stdout(&help).lines().all(|l| l.chars().count() <= 80),
        "{}",
        stdout(&help)
    );
    let help = Command::new(binary())
        .args(["--help"])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert!(
        stdout(&help).lines().any(|l| l.chars().count() > 100),
        "{}",
        stdout(&help)
    );
}

#[test]
fn a_recorded_throttling_in_a_snapshot_is_final_at_once() {
    // 31 keys; the last one's status recorded as throttled (no Times: as `collect` writes it).
    let mut keys: Vec<serde_json::Value> = (1..=31).map(|n| symmetric_key("us-east-1", n, true)).collect();
    keys[30]["Errors"] =
        serde_json::json!({"GetKeyRotationStatus": {"Code": "ThrottlingException", "Message": "Rate exceeded"}});
    let file = snapshot_file(
        "recorded-throttling.json",
        &serde_json::json!({"regions": {"us-east-1": {"keys": keys}}}),
    );
    let out = run(&["check", "--snapshot", file.path(), "--format", "json"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let throttled: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "ERROR")
        .collect();
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0]["error"]["code"], "ThrottlingException");
    assert_eq!(report["summary"]["PASS"], 30);
    // One attempt per key: the recorded answer is final, never retried.
    assert_eq!(report["stats"]["api_calls"]["GetKeyRotationStatus"], 31);
    assert_eq!(report["stats"]["retries"], 0);
}
