//! Audit once, judge many times: `collect` saves what KMS answered as a snapshot file,
//! and the file is checked later, offline, under any policy. Here the "account" is the
//! bundled demo snapshot; with AWS, pass `Connection::collect` a connection instead.
//!
//! Run: `cargo run --example collect-then-check-offline`

use kms_rotation_core::{CheckOptions, Policy, Snapshot, Status, check_account, collect};

#[tokio::main(flavor = "current_thread")]
async fn main() -> kms_rotation_core::Result<()> {
    let account = Snapshot::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo-account.json"))?;

    // Collect: every region's keys, aliases, metadata and rotation status, as observed
    // (a call that failed is recorded as that error, never as an invented fact).
    let collected = collect(&account.clients(), &CheckOptions::default()).await?;
    let path = std::env::temp_dir().join(format!("kms-rotation-audit-{}.json", std::process::id()));
    collected.save(&path)?;
    println!("saved {} ({} regions)", path.display(), collected.regions().len());

    // Check offline, later, under two policies: the yearly default and a 180-day maximum.
    let saved = Snapshot::load(&path)?;
    for days in [365, 180] {
        let policy = Policy::default().with_max_rotation_period_days(days)?;
        let report = check_account(&saved.clients(), &CheckOptions::default().with_policy(policy)).await?;
        let fail = report.findings_with(Status::Fail).count();
        println!("max {days} days: {fail} of {} keys fail", report.findings.len());
    }
    std::fs::remove_file(&path).ok();
    Ok(())
}
