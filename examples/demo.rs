//! Checks the bundled demo account (two regions, keys of every kind) offline and
//! prints one line per key and the summary. Keys tagged `rotation-exempt=true`
//! are exempt, so all five statuses show.
//!
//! Run: `cargo run --example demo` (or pass another snapshot file as the first argument).

use std::process::ExitCode;

use kms_rotation_core::{CheckOptions, Policy, Snapshot, Status, check_account};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo-account.json").to_owned());
    match run(&path).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

async fn run(path: &str) -> kms_rotation_core::Result<ExitCode> {
    let snapshot = Snapshot::load(path)?;
    // The demo account tags keys its owners exempt from rotation (an escrowed vendor key).
    let policy = Policy::default().with_exemption("tag:rotation-exempt=true")?;
    let report = check_account(&snapshot.clients(), &CheckOptions::default().with_policy(policy)).await?;

    let rows: Vec<[String; 5]> = report
        .findings
        .iter()
        .map(|f| {
            let alias = f.aliases.first().cloned().unwrap_or_else(|| "-".to_owned());
            [
                f.status.to_string(),
                f.region.clone(),
                f.key_id.clone(),
                alias,
                f.reason.to_string(),
            ]
        })
        .collect();
    let header = ["STATUS", "REGION", "KEY", "ALIAS", "REASON"].map(str::to_owned);
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().chain([&header]).map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        println!("{}", cells.join("  ").trim_end());
    }
    println!();
    for region in &report.regions {
        let error = region
            .error
            .as_ref()
            .map(|e| format!(" ({})", e.code))
            .unwrap_or_default();
        println!(
            "region {}: {:?}, {} keys listed{error}",
            region.region, region.state, region.keys_listed
        );
    }
    let counts: Vec<String> = Status::ALL
        .iter()
        .map(|s| format!("{} {}", report.summary.count(*s), s.as_str()))
        .collect();
    println!("{} keys: {}", report.summary.total, counts.join(", "));
    println!("account {}", report.account_id.as_deref().unwrap_or("unknown"));
    let exemptions: Vec<String> = report.policy.exemptions().iter().map(ToString::to_string).collect();
    println!(
        "policy: rotation at most every {} days, exemptions: {}",
        report.policy.max_rotation_period_days(),
        exemptions.join(", ")
    );
    let calls: Vec<String> = report
        .stats
        .api_calls
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect();
    println!("API calls: {}", calls.join(", "));
    Ok(ExitCode::SUCCESS)
}
