//! A whole organisation against the quota floor: 100 accounts × 4 regions ×
//! 200 keys, each account an in-memory account served like AWS (20 ms per
//! call, `LATENCY_MS` to change; AWS's request quotas per account and region,
//! `ThrottlingException` beyond them), checked with `check_organization` at
//! the default account concurrency (8, `ACCOUNTS_IN_FLIGHT` to change) and at
//! the default budget (half of each quota) and the full quota.
//!
//! The floor: accounts have their own quotas and every account's regions run
//! in parallel, so one account takes at least its slowest region's calls at
//! its budget; with `c` accounts at a time, the organisation takes at least
//! `accounts / c` of those. Printed per run: wall time, floor, ratio, calls,
//! throttling, retries, ERROR findings.
//!
//! Run: `cargo bench -p benches --bench organization` (~20 s).

use std::time::{Duration, Instant};

use benches::{AccountShape, account_in, floor_seconds, like_aws};
use kms_rotation_core::{
    AccountState, CheckOptions, MemoryOrganization, OrganizationOptions, Status, check_organization,
};

const ACCOUNTS: usize = 100;
const REGIONS: usize = 4;
const KEYS: usize = 200;

fn main() {
    let latency = Duration::from_millis(env("LATENCY_MS", 20) as u64);
    let in_flight = env("ACCOUNTS_IN_FLIGHT", 8);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    println!(
        "| accounts × regions × keys | accounts in flight | budget | wall s | floor s | ratio | calls | throttled | retries | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for fraction in [0.5, 1.0] {
        runtime.block_on(run(latency, in_flight, fraction));
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run(latency: Duration, in_flight: usize, fraction: f64) {
    let shape = AccountShape {
        regions: REGIONS,
        keys_per_region: KEYS,
        eligible: 0.7,
        non_compliant: 0.1,
    };
    let mut org = MemoryOrganization::new("100000000000");
    for n in 0..ACCOUNTS {
        let id = format!("{:012}", 100_000_000_000u64 + n as u64);
        let snapshot = account_in(&id, shape, None);
        like_aws(&snapshot, latency);
        org = org.with_account(&id, &format!("member-{n}"), "ACTIVE", snapshot);
    }
    let options = OrganizationOptions::default()
        .with_organization(true)
        .with_role_name("KmsRotationAudit")
        .with_max_accounts_in_flight(in_flight);
    let check = CheckOptions::default()
        .with_quota_fraction(fraction)
        .expect("valid fraction");
    let started = Instant::now();
    let report = check_organization(&org.directory(), &options, &check)
        .await
        .expect("organisation");
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(report.accounts.len(), ACCOUNTS);
    assert!(report.accounts.iter().all(|a| a.state == AccountState::Checked));
    assert_eq!(report.findings.len(), ACCOUNTS * REGIONS * KEYS, "one finding per key");
    // One account's regions are alike: the organisation's calls over (accounts × regions) is one account-region's.
    let account_region = floor_seconds(&report.stats, ACCOUNTS * REGIONS, fraction);
    let floor = account_region * ACCOUNTS as f64 / in_flight as f64;
    let calls: Vec<String> = report
        .stats
        .api_calls
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect();
    println!(
        "| {ACCOUNTS} × {REGIONS} × {KEYS} | {in_flight} | {:.0} % | {wall:.2} | {floor:.2} | {:.2} | {} | {} | {} | {} |",
        fraction * 100.0,
        wall / floor,
        calls.join(", "),
        report.stats.throttled,
        report.stats.retries,
        report.summary.count(Status::Error),
    );
}
