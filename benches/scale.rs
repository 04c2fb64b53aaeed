//! How close scans and remediation get to the AWS quota floor, and what they cost.
//!
//! Each scenario runs against generated in-memory accounts served like AWS:
//! 20 ms of latency per call (`LATENCY_MS` to change) and AWS's request quotas
//! (ListKeys 500, ListAliases 500, DescribeKey 2000, GetKeyRotationStatus 1000,
//! EnableKeyRotation 15 rps per region; beyond them the snapshot client answers
//! ThrottlingException). 70 % of keys can rotate. Every scenario runs at the
//! default budget (half of each quota) and at the full quota, each in its own
//! process so that peak memory is its own. Printed per run: wall time, the
//! floor (the calls made divided by the budgeted rates, slowest operation of
//! one region), their ratio, API calls per operation and per key, throttling
//! answers, retries, ERROR findings and peak resident memory.
//!
//! `scan-1000-history` is `scan-1000` with the rotation history on
//! (`ListKeyRotations` per eligible key, three rotations each, at its own
//! 100 rps quota): its extra calls per key and how its wall time compares with
//! the floor that quota sets.
//!
//! Run: `cargo bench -p benches --bench scale` (all scenarios, ~3 minutes), or
//! `SCENARIO=scan-10000 cargo bench -p benches --bench scale` for one.

use std::process::Command;
use std::time::{Duration, Instant};

use benches::{AccountShape, account_with_history, floor_seconds, like_aws, peak_memory_mib};
use kms_rotation_core::{
    CheckOptions, Operation, Outcome, Policy, RemediateOptions, Stats, Status, check_account, remediate,
};

/// (name, regions, keys per region, remediate?, rotation history?)
const SCENARIOS: [(&str, usize, usize, bool, bool); 5] = [
    ("scan-1000", 1, 1_000, false, false),
    ("scan-1000-history", 1, 1_000, false, true),
    ("scan-10000", 1, 10_000, false, false),
    ("scan-17x1000", 17, 1_000, false, false),
    ("remediate-300", 1, 300, true, false),
];

/// Rotations recorded per eligible key in the history scenarios.
const ROTATIONS_PER_KEY: usize = 3;

const FRACTIONS: [f64; 2] = [0.5, 1.0];

fn main() {
    match std::env::var("BENCH_RUN") {
        Ok(run) => run_one(&run),
        Err(_) => run_all(),
    }
}

/// Runs every selected scenario in a child process of this binary.
fn run_all() {
    let only = std::env::var("SCENARIO").ok();
    let exe = std::env::current_exe().expect("own path");
    println!(
        "| scenario | budget | wall s | floor s | ratio | calls per op | calls/key | throttled | retries | errors | peak MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, ..) in SCENARIOS.iter().filter(|s| only.as_deref().is_none_or(|o| o == s.0)) {
        for fraction in FRACTIONS {
            let output = Command::new(&exe)
                .env("BENCH_RUN", format!("{name}:{fraction}"))
                .output()
                .expect("run scenario");
            print!("{}", String::from_utf8_lossy(&output.stdout));
            if !output.status.success() {
                eprintln!(
                    "{name} at {fraction} failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                std::process::exit(1);
            }
        }
    }
}

fn run_one(run: &str) {
    let (name, fraction) = run.split_once(':').expect("BENCH_RUN is name:fraction");
    let fraction: f64 = fraction.parse().expect("fraction");
    let &(name, regions, keys, remediates, history) = SCENARIOS.iter().find(|s| s.0 == name).expect("known scenario");
    let latency = Duration::from_millis(
        std::env::var("LATENCY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let row = runtime.block_on(async {
        if remediates {
            remediation(name, keys, fraction, latency).await
        } else {
            scan(name, regions, keys, fraction, latency, history).await
        }
    });
    println!("{row}");
}

async fn scan(name: &str, regions: usize, keys: usize, fraction: f64, latency: Duration, history: bool) -> String {
    let shape = AccountShape {
        regions,
        keys_per_region: keys,
        eligible: 0.7,
        non_compliant: 0.1,
    };
    let snapshot = account_with_history(shape, history.then_some(ROTATIONS_PER_KEY));
    like_aws(&snapshot, latency);
    let options = CheckOptions::default()
        .with_policy(Policy::default().with_rotation_history(history))
        .with_quota_fraction(fraction)
        .expect("valid fraction");
    let started = Instant::now();
    let report = check_account(&snapshot.clients(), &options).await.expect("scan");
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(report.findings.len(), regions * keys, "one finding per key");
    let errors = report.summary.count(Status::Error);
    row(name, fraction, wall, &report.stats, regions, regions * keys, errors)
}

async fn remediation(name: &str, keys: usize, fraction: f64, latency: Duration) -> String {
    let shape = AccountShape {
        regions: 1,
        keys_per_region: keys,
        eligible: 1.0,
        non_compliant: 1.0,
    };
    let snapshot = account_with_history(shape, None);
    let report = check_account(&snapshot.clients(), &CheckOptions::default())
        .await
        .expect("check");
    assert_eq!(report.summary.count(Status::Fail), keys as u64);
    like_aws(&snapshot, latency);
    let options = RemediateOptions::default()
        .with_dry_run(false)
        .with_enable_rate(Operation::EnableKeyRotation.aws_quota_rps() * fraction)
        .expect("valid rate");
    let started = Instant::now();
    let done = remediate(&snapshot.clients(), &report, &options)
        .await
        .expect("remediate");
    let wall = started.elapsed().as_secs_f64();
    let changed = done
        .actions
        .iter()
        .filter(|a| a.outcome == Outcome::Changed && a.verified)
        .count();
    assert_eq!(changed, keys, "every key changed and verified");
    let recheck = check_account(
        &snapshot.clients(),
        &CheckOptions::default().with_policy(Policy::default()),
    )
    .await
    .expect("recheck");
    assert_eq!(recheck.summary.count(Status::Pass), keys as u64);
    let errors = done.actions.len() - changed;
    row(name, fraction, wall, &done.stats, 1, keys, errors as u64)
}

fn row(name: &str, fraction: f64, wall: f64, stats: &Stats, regions: usize, keys: usize, errors: u64) -> String {
    let floor = floor_seconds(stats, regions, fraction);
    let calls: Vec<String> = stats.api_calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
    let per_key = stats.total_calls() as f64 / keys as f64;
    let peak = peak_memory_mib().map_or_else(|| "-".to_owned(), |m| format!("{m:.0}"));
    format!(
        "| {name} | {:.0} % | {wall:.2} | {floor:.2} | {:.2} | {} | {per_key:.2} | {} | {} | {errors} | {peak} |",
        fraction * 100.0,
        wall / floor,
        calls.join(", "),
        stats.throttled,
        stats.retries,
    )
}
