//! Checks the bundled demo account (two regions, keys of every kind) offline and
//! prints one line per key and the summary. Keys tagged `rotation-exempt=true`
//! are exempt, so all five statuses show.
//!
//! Run: `cargo run --example demo` (or pass another snapshot file as the first argument).

use std::process::ExitCode;

use kms_rotation_core::{CheckOptions, Format, Policy, RenderOptions, Snapshot, check_account, render};

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

    print!("{}", render(&report, Format::Table, RenderOptions::default()));
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
