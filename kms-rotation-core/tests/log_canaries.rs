//! The credential guarantee under every log setting: canary credentials from
//! every source the command line takes them from — the environment, a profile,
//! a `credential_process` that works, one that fails after printing the secret
//! on its stderr and one that does so only when the SDK refreshes (mid-run), an
//! assumed role, an endpoint echoing the request's headers, an organisation
//! run — times every log setting — none, `--verbose`,
//! `RUST_LOG` at warn, debug and trace, and the wire-level targets named at
//! trace — and no canary (nor any AWS access key id) in stdout, stderr or the
//! output file. One process per case, cases side by side, each with a timeout.
//!
//! Needs `KMS_ROTATION_MOTO_ENDPOINT` (`eval "$(scripts/moto.sh start)"`) and
//! python3 (the fault proxy); without the endpoint the test skips, except under
//! CI, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::moto::{management_account, session_in};
use crate::common::proxy::Proxy;
use crate::common::{endpoint, fresh_account_id};
use serde_json::json;

const R1: &str = "us-east-1";
const ROLE: &str = "KmsRotationAudit";
/// How long one case may run.
const CASE_TIMEOUT: Duration = Duration::from_secs(90);
/// Cases running at once.
const PARALLEL: usize = 6;

const KEY_ID: &str = "AKIACANARYKEYID00001";
const SECRET: &str = "CanarySecretAccessKey/0001+wJalrXUtnFEMIK7MDENG";
const TOKEN: &str = "CanarySessionToken/0001+FQoGZXIvYXdzEXAMPLEtokenAAAA==";
const PROCESS_KEY_ID: &str = "ASIACANARYPROCESS001";
const PROCESS_SECRET: &str = "CanaryProcessSecret/0002+bPxRfiCYEXAMPLEKEY";
const PROCESS_TOKEN: &str = "CanaryProcessToken/0002+IQoJb3JpZ2luX2VjEXAMPLE==";
/// What the failing `credential_process` prints on its stderr.
const STDERR_SECRET: &str = "CanaryStderrSecret/0003+whatTheProcessFailedToReturn";
/// What the proxy puts into every `AssumeRole` answer.
const ROLE_SECRET: &str = "CanaryRoleSecret/0004+AssumedRoleEXAMPLEKEY";
const ROLE_TOKEN: &str = "CanaryRoleToken/0004+AssumedRoleSessionEXAMPLE==";

/// Where credentials come from: the environment and arguments of one run, the
/// values that must not appear, whether the run is expected to fail (exit 1),
/// and whether its requests reach the endpoint (signed, so dumped when asked).
struct Source {
    name: &'static str,
    env: Vec<(String, String)>,
    args: Vec<String>,
    canaries: Vec<String>,
    fails: bool,
    sends: bool,
}

/// A log setting: its name, extra arguments and `RUST_LOG`.
struct Setting {
    name: &'static str,
    args: &'static [&'static str],
    rust_log: Option<&'static str>,
}

const SETTINGS: [Setting; 6] = [
    Setting {
        name: "default",
        args: &[],
        rust_log: None,
    },
    Setting {
        name: "verbose",
        args: &["--verbose"],
        rust_log: None,
    },
    Setting {
        name: "warn",
        args: &[],
        rust_log: Some("warn"),
    },
    Setting {
        name: "debug",
        args: &[],
        rust_log: Some("debug"),
    },
    Setting {
        name: "trace",
        args: &[],
        rust_log: Some("trace"),
    },
    Setting {
        name: "wire targets named",
        args: &[],
        rust_log: Some("aws_smithy_runtime=trace,hyper=trace,aws_sigv4=trace,aws_config=trace,kms_rotation=trace"),
    },
];

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn canary_env() -> Vec<(String, String)> {
    env(&[
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
    ])
}

/// The AWS config and credentials files and the two credential processes.
fn profiles(dir: &Path) -> Vec<(String, String)> {
    let script = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path.display().to_string()
    };
    let works = script(
        "process-works.sh",
        &format!(
            "printf '%s' '{}'",
            json!({"Version": 1, "AccessKeyId": PROCESS_KEY_ID, "SecretAccessKey": PROCESS_SECRET, "SessionToken": PROCESS_TOKEN})
        ),
    );
    let fails = script(
        "process-fails.sh",
        &format!("echo 'cannot log in; the secret was {STDERR_SECRET}' >&2\nexit 1"),
    );
    // Credentials the first time (`connect` checks them), refused on the SDK's own
    // first call: a provider failing mid-run, as the SDK's orchestrator sees it.
    let refresh = script(
        "process-refresh.sh",
        &format!(
            "if [ -e \"$CANARY_STATE\" ]; then echo 'refresh refused; the secret was {STDERR_SECRET}' >&2; exit 1; fi\n\
             : > \"$CANARY_STATE\"\nprintf '%s' '{}'",
            json!({"Version": 1, "AccessKeyId": PROCESS_KEY_ID, "SecretAccessKey": PROCESS_SECRET, "SessionToken": PROCESS_TOKEN})
        ),
    );
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile canary]\nregion = {R1}\n\n\
             [profile process-works]\nregion = {R1}\ncredential_process = {works}\n\n\
             [profile process-fails]\nregion = {R1}\ncredential_process = {fails}\n\n\
             [profile process-refresh]\nregion = {R1}\ncredential_process = {refresh}\n"
        ),
    )
    .unwrap();
    let credentials = dir.join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[canary]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        ),
    )
    .unwrap();
    vec![
        ("AWS_CONFIG_FILE".to_owned(), config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            credentials.display().to_string(),
        ),
    ]
}

/// A key in `account`.
async fn key_in(endpoint: &str, account: &str) {
    let kms = session_in(endpoint, account)
        .await
        .client(R1)
        .unwrap()
        .sdk_client()
        .clone();
    kms.create_key().send().await.unwrap();
}

/// An organisation on moto: a management account (its caller's credentials, as
/// moto hands them out) with one member holding a key.
async fn organisation(endpoint: &str) -> (Vec<(String, String)>, Vec<String>) {
    let (_, admin, orgs) = management_account(endpoint).await;
    let member = orgs
        .create_account()
        .account_name("canary")
        .email("canary@example.com")
        .send()
        .await
        .unwrap()
        .create_account_status
        .unwrap()
        .account_id
        .unwrap();
    key_in(endpoint, &member).await;
    let token = admin.session_token.unwrap();
    let env = env(&[
        ("AWS_ACCESS_KEY_ID", &admin.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", &admin.secret_access_key),
        ("AWS_SESSION_TOKEN", &token),
    ]);
    (env, vec![admin.secret_access_key, token])
}

/// Runs one case; returns a description of each problem found.
fn run_case(
    binary: &str,
    dir: &Path,
    base_env: &[(String, String)],
    source: &Source,
    setting: &Setting,
) -> Vec<String> {
    let case = format!("{} / {}", source.name, setting.name);
    let slug: String = case
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (stdout_path, stderr_path, output) = (
        dir.join(format!("{slug}.out")),
        dir.join(format!("{slug}.err")),
        dir.join(format!("{slug}.json")),
    );
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(base_env.iter().cloned())
        .envs(source.env.iter().cloned())
        .args(["check", "--format", "json", "--output"])
        .arg(&output)
        .args(&source.args)
        .args(setting.args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    command.env("CANARY_STATE", dir.join(format!("{slug}.state")));
    if let Some(filter) = setting.rust_log {
        command.env("RUST_LOG", filter);
    }
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CASE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |path: &PathBuf| String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
    let (stdout, stderr, written) = (read(&stdout_path), read(&stderr_path), read(&output));
    let mut problems = Vec::new();
    let mut problem = |what: String| problems.push(format!("{case}: {what}"));
    let Some(status) = status else {
        problem(format!("no answer within {CASE_TIMEOUT:?}; stderr: {}", tail(&stderr)));
        return problems;
    };
    let code = status.code();
    if source.fails {
        if code != Some(1) {
            problem(format!("exit {code:?}, expected 1; stderr: {}", tail(&stderr)));
        }
    } else if !matches!(code, Some(0 | 2 | 3)) || !written.contains("\"schema_version\"") {
        problem(format!("exit {code:?} without a report; stderr: {}", tail(&stderr)));
    }
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr), ("the output file", &written)] {
        for canary in &source.canaries {
            if text.contains(canary.as_str()) {
                problem(format!("{name} holds the canary {canary:?}: {}", around(text, canary)));
            }
        }
        if let Some(id) = access_key_id(text) {
            problem(format!("{name} holds the access key id {id:?}: {}", around(text, id)));
        }
    }
    // The settings did what they say (so that a clean stderr is not an empty one).
    let logged = stderr.contains(" DEBUG ") || stderr.contains(" TRACE ");
    match setting.name {
        "default" if logged => problem(format!("logs without being asked: {}", tail(&stderr))),
        "verbose" if !source.fails && !stderr.contains("kms_rotation::call") => {
            problem(format!("--verbose logged no API call: {}", tail(&stderr)))
        }
        "trace" if !stderr.contains(" TRACE ") => problem("RUST_LOG=trace logged nothing at trace".to_owned()),
        "trace" if stderr.contains("transmitting request") => {
            problem("RUST_LOG=trace alone turned on the request dumps".to_owned())
        }
        "wire targets named" if source.sends && !stderr.contains("transmitting request") => {
            problem("the named wire targets logged no request".to_owned())
        }
        _ => {}
    }
    let provider_logged = !matches!(setting.name, "default" | "verbose");
    if source.name.contains("failing") && provider_logged && !stderr.contains("provider failed to provide credentials")
    {
        problem(format!("the provider's failure was not logged: {}", tail(&stderr)));
    }
    problems
}

/// An AWS access key id (`AKIA` / `ASIA` and 16 more upper-case letters or digits) in `text`.
fn access_key_id(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(19)).find_map(|i| {
        let id = &bytes[i..i + 20];
        let shaped = (id.starts_with(b"AKIA") || id.starts_with(b"ASIA"))
            && id[4..].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        shaped.then(|| &text[i..i + 20])
    })
}

fn around<'a>(text: &'a str, needle: &str) -> &'a str {
    let at = text.find(needle).unwrap_or(0);
    let start = text.floor_char_boundary(at.saturating_sub(200));
    let end = text.ceil_char_boundary((at + needle.len() + 100).min(text.len()));
    &text[start..end]
}

fn tail(text: &str) -> &str {
    &text[text.floor_char_boundary(text.len().saturating_sub(1500))..]
}

#[tokio::test(flavor = "multi_thread")]
async fn no_canary_credential_reaches_any_output_under_any_log_setting() {
    let Some(endpoint) = endpoint() else { return };
    let binary = env!("CARGO_BIN_EXE_kms-rotation");
    let dir = std::env::temp_dir().join(format!("kms-rotation-log-canaries-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The canary keys act in moto's default account, which other tests own: it is only read here.
    let echo = Proxy::start(&endpoint);
    echo.set(json!([{"op": "*", "action": "echo_headers"}]));
    let roles = Proxy::start(&endpoint);
    roles.set(json!([{"op": "AssumeRole", "action": "credentials", "SecretAccessKey": ROLE_SECRET, "SessionToken": ROLE_TOKEN}]));
    let (org_env, org_canaries) = organisation(&endpoint).await;
    let role_account = fresh_account_id();
    key_in(&endpoint, &role_account).await;

    let mut base_env = profiles(&dir);
    base_env.extend(env(&[
        ("PATH", &std::env::var("PATH").unwrap_or_default()),
        ("HOME", &dir.display().to_string()),
        ("AWS_REGION", R1),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("NO_COLOR", "1"),
    ]));
    let ours = strings(&[KEY_ID, SECRET, TOKEN]);
    let at = |url: &str| {
        vec![
            "--endpoint-url".to_owned(),
            url.to_owned(),
            "--region".to_owned(),
            R1.to_owned(),
        ]
    };
    let with = |mut args: Vec<String>, more: &[&str]| {
        args.extend(strings(more));
        args
    };
    let sources = [
        Source {
            name: "environment",
            env: canary_env(),
            args: at(&endpoint),
            canaries: ours.clone(),
            fails: false,
            sends: true,
        },
        Source {
            name: "profile",
            env: vec![],
            args: with(at(&endpoint), &["--profile", "canary"]),
            canaries: ours.clone(),
            fails: false,
            sends: true,
        },
        Source {
            name: "working credential_process",
            env: vec![],
            args: with(at(&endpoint), &["--profile", "process-works"]),
            canaries: strings(&[PROCESS_KEY_ID, PROCESS_SECRET, PROCESS_TOKEN]),
            fails: false,
            sends: true,
        },
        Source {
            name: "failing credential_process",
            env: vec![],
            args: with(at(&endpoint), &["--profile", "process-fails"]),
            canaries: strings(&[STDERR_SECRET]),
            fails: true,
            sends: false,
        },
        Source {
            name: "credential_process failing on refresh",
            env: vec![],
            args: with(at(&endpoint), &["--profile", "process-refresh"]),
            canaries: strings(&[PROCESS_KEY_ID, PROCESS_SECRET, PROCESS_TOKEN, STDERR_SECRET]),
            fails: false,
            sends: false,
        },
        Source {
            name: "assumed role",
            env: canary_env(),
            args: with(
                at(&roles.url),
                &["--role-arn", &format!("arn:aws:iam::{role_account}:role/{ROLE}")],
            ),
            canaries: strings(&[KEY_ID, SECRET, TOKEN, ROLE_SECRET, ROLE_TOKEN]),
            fails: false,
            sends: true,
        },
        Source {
            name: "endpoint echoing headers",
            env: canary_env(),
            args: at(&echo.url),
            canaries: ours.clone(),
            fails: false,
            sends: true,
        },
        Source {
            name: "organisation",
            env: org_env,
            args: with(at(&roles.url), &["--organization", "--role-name", ROLE]),
            canaries: [org_canaries, strings(&[ROLE_SECRET, ROLE_TOKEN])].concat(),
            fails: false,
            sends: true,
        },
    ];

    let cases: Vec<(&Source, &Setting)> = sources
        .iter()
        .flat_map(|source| SETTINGS.iter().map(move |setting| (source, setting)))
        .collect();
    let started = Instant::now();
    let next = Mutex::new(cases.iter());
    let problems = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let Some((source, setting)) = next.lock().unwrap().next().copied() else {
                        break;
                    };
                    let found = run_case(binary, &dir, &base_env, source, setting);
                    problems.lock().unwrap().extend(found);
                }
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    eprintln!("{} cases in {:?}", cases.len(), started.elapsed());
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
