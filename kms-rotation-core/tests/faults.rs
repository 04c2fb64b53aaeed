//! Reliability under faults: the AWS SDK client talks to moto's server through
//! a fault-injecting proxy (`scripts/fault_proxy.py`): throttling storms, 5xx,
//! resets, hangs, cut-off and malformed bodies, missing and out-of-range
//! fields, cycling markers, duplicate entries, AccessDenied on one key, a
//! region that refuses the credentials, an endpoint that echoes headers.
//!
//! Each test asserts the verdicts, the run's exit code (`AccountReport::exit_code`,
//! the same the CLI exits with) and that no listed key is lost. Needs
//! `KMS_ROTATION_MOTO_ENDPOINT` (`eval "$(scripts/moto.sh start)"`) and python3;
//! without the endpoint the tests skip, except under CI, where they fail.

use std::time::{Duration, Instant};

use crate::common::moto::seed;
use crate::common::proxy::Proxy;
use crate::common::{endpoint, fresh_account_id};
use kms_rotation_core::aws::{AwsOptions, AwsSession};
use kms_rotation_core::{
    AccountReport, CheckOptions, ConnectionOptions, Format, Outcome, Reason, RegionState, Regions, RemediateOptions,
    RenderOptions, RetryConfig, StaticCredentials, Status, render,
};
use serde_json::json;

const R1: &str = "us-east-1";
const R2: &str = "eu-west-1";

/// A fresh emulated account with `keys` keys in each region (aliases
/// `alias/k1`…; the odd ones rotate), and the proxy in front of it.
struct Account {
    role_arn: String,
    proxy: Proxy,
}

impl Account {
    async fn new(endpoint: &str, regions: &[&str], keys: u32) -> Self {
        let id = fresh_account_id();
        let role_arn = format!("arn:aws:iam::{id}:role/KmsRotationAudit");
        let direct = AwsOptions::default()
            .with_static_credentials("testing", "testing", None)
            .with_endpoint_url(endpoint)
            .unwrap()
            .with_regions(regions.iter().copied())
            .unwrap()
            .with_role(&role_arn, None, None)
            .unwrap();
        let session = AwsSession::connect(&direct).await.unwrap();
        for region in regions {
            seed(session.client(region).unwrap().sdk_client(), keys).await;
        }
        Self {
            role_arn,
            proxy: Proxy::start(endpoint),
        }
    }

    fn connection(&self, regions: &[&str]) -> kms_rotation_core::Connection {
        ConnectionOptions::default()
            .with_credentials(StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing-secret".into(),
                session_token: None,
            })
            .with_endpoint_url(&self.proxy.url)
            .with_role_arn(&self.role_arn)
            .with_regions(Regions::from_names(regions.iter().copied()).unwrap())
            .build()
            .unwrap()
    }

    async fn check(&self, regions: &[&str], retry: RetryConfig) -> kms_rotation_core::Result<AccountReport> {
        self.connection(regions)
            .check_account(&CheckOptions::default().with_retry(retry))
            .await
    }
}

fn quick() -> RetryConfig {
    RetryConfig::default().with_delays(Duration::from_millis(20), Duration::from_millis(500))
}

fn statuses(report: &AccountReport) -> Vec<(String, Status, Reason)> {
    let mut seen: Vec<(String, Status, Reason)> = report
        .findings
        .iter()
        .map(|f| (format!("{} {}", f.region, f.aliases.join(",")), f.status, f.reason))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    seen
}

/// Every key judged as the emulator holds it: odd keys PASS, even keys FAIL.
fn assert_all_judged(report: &AccountReport, regions: &[&str], keys: u32) {
    assert_eq!(
        report.findings.len(),
        regions.len() * keys as usize,
        "{:#?}",
        statuses(report)
    );
    for f in &report.findings {
        let n: u32 = f.aliases[0].trim_start_matches("alias/k").parse().unwrap();
        let expected = if n % 2 == 1 { Status::Pass } else { Status::Fail };
        assert_eq!(f.status, expected, "{} {}: {}", f.region, f.aliases[0], f.message);
    }
    assert!(
        report.regions.iter().all(|r| r.state == RegionState::Scanned),
        "{:?}",
        report.regions
    );
    assert_eq!(report.exit_code(), 2, "FAILs and nothing unknown");
}

macro_rules! account {
    ($regions:expr, $keys:expr) => {{
        let Some(endpoint) = endpoint() else { return };
        Account::new(&endpoint, $regions, $keys).await
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_second_throttling_storm_is_outlasted_and_every_key_judged() {
    let account = account!(&[R1], 6);
    // Every call throttled for 30 s: within the default 60 s throttling budget per call.
    account
        .proxy
        .set(json!([{"op": "*", "action": "throttle", "seconds": 30}]));
    let started = Instant::now();
    let report = account.check(&[R1], RetryConfig::default()).await.unwrap();
    let elapsed = started.elapsed();
    assert_all_judged(&report, &[R1], 6);
    assert!(report.stats.throttled > 0);
    assert!(
        elapsed >= Duration::from_secs(30),
        "nothing can answer during the storm: {elapsed:?}"
    );
    // The budget comes back after the storm: the scan ends soon after it (backoff is capped at 5 s).
    assert!(elapsed < Duration::from_secs(45), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_resets_and_garbled_pages_are_retried() {
    let account = account!(&[R1], 4);
    account.proxy.set(json!([
        {"op": "DescribeKey", "action": "http5xx", "status": 503, "times": 3},
        {"op": "ListKeys", "action": "reset", "times": 1},
        {"op": "ListAliases", "action": "garble", "times": 1},
        {"op": "GetKeyRotationStatus", "action": "cut", "times": 2},
        {"op": "GetKeyRotationStatus", "action": "empty", "times": 1}
    ]));
    let report = account.check(&[R1], quick()).await.unwrap();
    assert_all_judged(&report, &[R1], 4);
    assert!(report.stats.retries >= 8, "{:?}", report.stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_call_is_cut_by_the_attempt_timeout_and_retried() {
    let account = account!(&[R1], 2);
    account
        .proxy
        .set(json!([{"op": "DescribeKey", "action": "hang", "delay": 20, "times": 1}]));
    let started = Instant::now();
    let report = account
        .check(&[R1], quick().with_attempt_timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_all_judged(&report, &[R1], 2);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_evidence_is_an_error_never_a_fail_and_never_remediated() {
    let account = account!(&[R1], 4);
    account.proxy.set(json!([
        {"op": "GetKeyRotationStatus", "action": "drop_field", "field": "KeyRotationEnabled", "key": ""}
    ]));
    let report = account.check(&[R1], quick()).await.unwrap();
    assert_eq!(report.findings.len(), 4);
    for f in &report.findings {
        assert_eq!(
            (f.status, f.reason),
            (Status::Error, Reason::InvalidResponse),
            "{}",
            f.message
        );
    }
    assert_eq!(report.exit_code(), 3);
    // Nothing to remediate: no key is FAIL on guessed evidence.
    let plan = account
        .connection(&[R1])
        .remediate(&report, &RemediateOptions::default().with_dry_run(false))
        .await
        .unwrap();
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);

    for (value, what) in [(json!(0), "0"), (json!(-1), "-1"), (json!(5000), "5000")] {
        account.proxy.set(json!([
            {"op": "GetKeyRotationStatus", "action": "set_field", "field": "RotationPeriodInDays", "value": value}
        ]));
        let report = account.check(&[R1], quick()).await.unwrap();
        let rotating: Vec<_> = report.findings.iter().filter(|f| f.status != Status::Fail).collect();
        assert!(!rotating.is_empty());
        for f in report.findings.iter() {
            assert!(f.status != Status::Pass, "period {what}: {}", f.message);
        }
        for f in rotating {
            assert_eq!(
                (f.status, f.reason),
                (Status::Error, Reason::InvalidResponse),
                "{what}: {}",
                f.message
            );
            assert!(f.message.contains(what), "{}", f.message);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remediation_acts_only_on_a_valid_fresh_read() {
    let account = account!(&[R1], 2);
    let report = account.check(&[R1], quick()).await.unwrap();
    assert_eq!(report.summary.fail, 1);
    // The fresh read before acting is malformed: nothing is changed.
    account.proxy.set(json!([
        {"op": "GetKeyRotationStatus", "action": "drop_field", "field": "KeyRotationEnabled"}
    ]));
    let plan = account
        .connection(&[R1])
        .remediate(&report, &RemediateOptions::default().with_dry_run(false))
        .await
        .unwrap();
    assert_eq!(plan.actions.len(), 1);
    assert_eq!(plan.actions[0].outcome, Outcome::Failed, "{}", plan.actions[0].message);
    assert!(
        !plan.stats.api_calls.contains_key("EnableKeyRotation"),
        "{:?}",
        plan.stats
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycling_markers_end_the_listing_with_a_region_error_and_duplicates_are_one_finding() {
    let account = account!(&[R1, R2], 3);
    account
        .proxy
        .set(json!([{"op": "ListKeys", "action": "cycle_markers", "region": R2}]));
    let started = Instant::now();
    let report = account.check(&[R1, R2], quick()).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let r2 = report.regions.iter().find(|r| r.region == R2).unwrap();
    assert_eq!(r2.state, RegionState::Error);
    assert_eq!(r2.error.as_ref().unwrap().code, "RepeatedMarker");
    assert_eq!(report.exit_code(), 2, "FAILs in us-east-1");
    assert_eq!(report.summary.regions_not_checked, 1, "a region not checked is counted");

    account
        .proxy
        .set(json!([{"op": "ListKeys", "action": "duplicate_keys"}]));
    let report = account.check(&[R1, R2], quick()).await.unwrap();
    assert_all_judged(&report, &[R1, R2], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_on_one_key_and_a_region_that_refuses_the_credentials() {
    let account = account!(&[R1, R2], 3);
    // The alias listing tells which key is k2: deny GetKeyRotationStatus for every key id
    // containing nothing (all keys) only in R2, and AccessDenied on DescribeKey for one key in R1.
    let report = account.check(&[R1], quick()).await.unwrap();
    let k2 = report
        .findings
        .iter()
        .find(|f| f.aliases == ["alias/k2"])
        .unwrap()
        .key_id
        .clone();
    account.proxy.set(json!([
        {"op": "DescribeKey", "action": "error", "code": "AccessDeniedException", "key": k2},
        {"op": "*", "action": "error", "code": "UnrecognizedClientException",
         "message": "The security token included in the request is invalid.", "region": R2}
    ]));
    let report = account.check(&[R1, R2], quick()).await.unwrap();
    let denied = report.findings.iter().find(|f| f.key_id == k2).unwrap();
    assert_eq!((denied.status, denied.reason), (Status::Error, Reason::ApiError));
    assert_eq!(denied.error.as_ref().unwrap().code, "AccessDeniedException");
    assert_eq!(report.findings.len(), 3, "every key of R1, none lost");
    let r2 = report.regions.iter().find(|r| r.region == R2).unwrap();
    // eu-west-1 is enabled in every account: refusing there is a region error, not "not enabled".
    assert_eq!(r2.state, RegionState::Error);
    assert_eq!(r2.error.as_ref().unwrap().code, "UnrecognizedClientException");
    assert_eq!(report.summary.regions_not_checked, 1);

    // Refused everywhere: a credentials error, not two regions "not enabled".
    account.proxy.set(json!([
        {"op": "*", "action": "error", "code": "UnrecognizedClientException", "message": "invalid token"}
    ]));
    let error = account.check(&[R1, R2], quick()).await.unwrap_err();
    assert!(error.to_string().contains("credentials"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_reach_a_report_even_from_an_echoing_endpoint() {
    let Some(endpoint) = endpoint() else { return };
    const SECRET: &str = "CANARY-SECRET-5f0c1e0b9d2a4e7c";
    const TOKEN: &str = "CANARY-TOKEN-0b9d2a4e7c5f0c1e";
    let kms_direct = AwsSession::connect(
        &AwsOptions::default()
            .with_static_credentials("testing", "testing", None)
            .with_endpoint_url(&endpoint)
            .unwrap()
            .with_regions([R1])
            .unwrap(),
    )
    .await
    .unwrap();
    // k1 rotates (PASS), k2 does not (FAIL: a remediation target).
    seed(kms_direct.client(R1).unwrap().sdk_client(), 2).await;
    let proxy = Proxy::start(&endpoint);
    // A region error in a report, in every format.
    proxy.set(json!([{"op": "ListKeys", "action": "echo_headers", "region": R1}]));
    let connection = ConnectionOptions::default()
        .with_credentials(StaticCredentials {
            access_key_id: "AKIACANARYEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: Some(TOKEN.into()),
        })
        .with_endpoint_url(&proxy.url)
        .with_regions(Regions::from_names([R1, R2]).unwrap())
        .build()
        .unwrap();
    let report = connection
        .check_account(&CheckOptions::default().with_retry(quick()))
        .await
        .unwrap();
    assert_eq!(report.summary.regions_not_checked, 1);
    let clean = |text: &str, what: &str| {
        assert!(!text.contains(TOKEN) && !text.contains(SECRET), "{what}: {text}");
    };
    for format in Format::ALL {
        clean(&render(&report, format, RenderOptions::default()), format.name());
    }
    assert!(report.to_json().contains("REDACTED"));

    // A key-level error (an ERROR finding) and a remediation's error, in every format.
    proxy.set(json!([{"op": "DescribeKey", "action": "echo_headers", "times": 1}]));
    let report = connection
        .check_account(&CheckOptions::default().with_retry(quick()).with_regions([R1]).unwrap())
        .await
        .unwrap();
    assert_eq!(report.summary.error, 1, "{:?}", report.summary);
    for format in Format::ALL {
        clean(&render(&report, format, RenderOptions::default()), format.name());
    }
    proxy.set(json!([]));
    let report = connection
        .check_account(&CheckOptions::default().with_retry(quick()).with_regions([R1]).unwrap())
        .await
        .unwrap();
    assert_eq!(report.summary.fail, 1, "{:?}", report.summary);
    proxy.set(json!([{"op": "GetKeyRotationStatus", "action": "echo_headers"}]));
    let plan = connection
        .remediate(&report, &RemediateOptions::default().with_dry_run(false))
        .await
        .unwrap();
    assert!(plan.actions.iter().all(|a| a.error.is_some()), "{:?}", plan.actions);
    clean(&plan.to_json(), "remediation json");
    assert!(
        plan.to_json().contains("REDACTED"),
        "the echo reached the remediation's error"
    );
    for format in Format::ALL {
        clean(&kms_rotation_core::render_remediation(&plan, format), format.name());
    }

    // Every call echoing, in every region: the run's own error text is clean too.
    proxy.set(json!([{"op": "*", "action": "echo_headers"}]));
    match connection
        .check_account(&CheckOptions::default().with_retry(quick()))
        .await
    {
        Ok(report) => {
            assert_eq!(report.summary.regions_not_checked, 2);
            clean(&report.to_json(), "report");
        }
        Err(error) => clean(&error.to_string(), "error"),
    }
}
