//! Where the time of a 100,000-key offline scan goes, phase by phase: parsing
//! the JSON as a plain value (the floor any loader pays), loading it as a
//! snapshot, checking it, and writing the report's JSON.
//!
//! Run: `cargo bench -p benches --bench phases`
use benches::{AccountShape, account};
use kms_rotation_core::{CheckOptions, Snapshot, check_account};
use std::time::Instant;
fn main() {
    let json = account(AccountShape {
        regions: 1,
        keys_per_region: 100_000,
        eligible: 0.7,
        non_compliant: 0.1,
    })
    .to_json();
    println!("json {} MB", json.len() / 1_000_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for _ in 0..2 {
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        println!("serde Value parse {:?}", t.elapsed());
        drop(v);
        let t = Instant::now();
        let snapshot = Snapshot::from_json(&json).unwrap();
        println!("load {:?}", t.elapsed());
        snapshot.set_record_calls(false);
        let t = Instant::now();
        let report = rt
            .block_on(check_account(
                &snapshot.clients(),
                &CheckOptions::default().without_rate_limits(),
            ))
            .unwrap();
        println!("check {:?} ({} findings)", t.elapsed(), report.findings.len());
        let t = Instant::now();
        let text = report.to_json();
        println!("to_json {:?} {}", t.elapsed(), text.len());
    }
}
