//! What the Python and Node bindings add: the same offline scan of one snapshot
//! file (10,000 keys in one region, no latency, no quotas) timed from Rust here
//! and from `bindings/scan.py` and `bindings/scan.mjs`; `bindings/compare.sh`
//! runs all three and prints the ratios to Rust.
//!
//! Run: `benches/bindings/compare.sh` (after `scripts/test.sh` built the wheel and the addon),
//! or this part alone: `cargo bench -p benches --bench binding_overhead -- FILE`.

use std::time::Instant;

use benches::{AccountShape, account};
use kms_rotation_core::{CheckOptions, Snapshot, check_account};

/// Writes the shared snapshot when asked (`--write FILE`), else times scans of FILE.
fn main() -> kms_rotation_core::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    match args.as_slice() {
        [flag, path] if flag == "--write" => {
            let snapshot = account(AccountShape {
                regions: 1,
                keys_per_region: 10_000,
                eligible: 0.7,
                non_compliant: 0.1,
            });
            snapshot.save(path)?;
            eprintln!("wrote {path}");
        }
        [path] => {
            let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
            let ms = |from: Instant, to: Instant| (to - from).as_secs_f64() * 1000.0;
            // Per run: load, check, to_json, total (ms).
            let runs: Vec<[f64; 4]> = (0..runs)
                .map(|_| {
                    let started = Instant::now();
                    let snapshot = Snapshot::load(path)?;
                    let loaded = Instant::now();
                    let report = runtime.block_on(check_account(&snapshot.clients(), &CheckOptions::default()))?;
                    let checked = Instant::now();
                    let json = report.to_json();
                    let done = Instant::now();
                    assert_eq!(report.findings.len(), 10_000);
                    drop(json);
                    let phases = [
                        ms(started, loaded),
                        ms(loaded, checked),
                        ms(checked, done),
                        ms(started, Instant::now()),
                    ];
                    // The snapshot and the report are freed here, after the clock, as in the bindings' benches.
                    Ok(phases)
                })
                .collect::<kms_rotation_core::Result<_>>()?;
            let median = |phase: usize| {
                let mut times: Vec<f64> = runs.iter().map(|run| run[phase]).collect();
                times.sort_by(f64::total_cmp);
                times[times.len() / 2]
            };
            eprintln!(
                "rust phases: load {:.1}, check {:.1}, to_json {:.1}",
                median(0),
                median(1),
                median(2)
            );
            println!("rust {:.1}", median(3));
        }
        _ => eprintln!("usage: binding_overhead --write FILE | binding_overhead FILE"),
    }
    Ok(())
}
