//! Remediation as it should be run: check, look at the dry run, then apply and verify.
//! Works on a copy of the bundled demo account in memory (no AWS account needed); with
//! AWS, build the clients with `ConnectionOptions` instead of from the snapshot.
//!
//! Run: `cargo run --example dry-run-then-apply`

use kms_rotation_core::{CheckOptions, Outcome, Policy, RemediateOptions, Snapshot, Status, check_account, remediate};

#[tokio::main(flavor = "current_thread")]
async fn main() -> kms_rotation_core::Result<()> {
    let snapshot = Snapshot::load(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo-account.json"))?;
    let clients = snapshot.clients();
    let policy = Policy::default().with_exemption("tag:rotation-exempt=true")?;
    let options = CheckOptions::default().with_policy(policy);

    let report = check_account(&clients, &options).await?;
    println!("{} keys fail the policy", report.findings_with(Status::Fail).count());

    // 1. The dry run: each FAIL key is re-read, and what would change is reported; nothing is.
    let plan = remediate(&clients, &report, &RemediateOptions::default()).await?;
    for action in &plan.actions {
        println!("would: {:?} {} ({})", action.outcome, action.target_arn, action.message);
    }

    // 2. Apply: the same targets, each re-read right before acting and read back after.
    let applied = remediate(&clients, &report, &RemediateOptions::default().with_dry_run(false)).await?;
    let changed = applied.actions.iter().filter(|a| a.outcome == Outcome::Changed).count();
    println!("changed and verified: {changed} of {} targets", applied.actions.len());

    // 3. A new check finds no FAIL left that remediation could fix.
    let after = check_account(&clients, &options).await?;
    println!("after: {} keys fail", after.findings_with(Status::Fail).count());
    Ok(())
}
