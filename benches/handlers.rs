//! Time per event of continuous evaluation's handlers, in process, offline:
//! the demo account's snapshot as the KMS client and an in-memory AWS Config
//! (`MemoryConfig`), so that what is timed is the handler itself (parsing,
//! the engine, the rules, the evaluations), not AWS's latency. The same
//! events are timed from Python and Node by `bindings/handlers.py` and
//! `bindings/handlers.mjs`.
//!
//! Run: `cargo bench -p benches --bench handlers` (`RUNS=N`, default 200).

use std::time::Instant;

use kms_rotation_core::continuous::client::MemoryConfig;
use kms_rotation_core::handlers::{HandlerOptions, config_rule_handler, event_handler};
use kms_rotation_core::{ConnectionOptions, Snapshot};
use serde_json::{Value, json};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");

/// The three events every door times: a configuration change of one key, a
/// scheduled notification (the demo's 30 keys in us-east-1), and an
/// EventBridge `EnableKeyRotation` of one key.
fn events() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bindings/handler-events.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the bench's events")).expect("JSON")
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() -> kms_rotation_core::Result<()> {
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(200);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let snapshot = Snapshot::load(DEMO)?;
    // The snapshot itself (in memory, not paced), and its SDK-shaped transport,
    // which the engine paces as it paces AWS (half of each quota), as it does
    // the boto3- and SDK v3-shaped clients of the Python and Node benches.
    let direct = ConnectionOptions::default().with_snapshot(snapshot.clone()).build()?;
    let paced = ConnectionOptions::default()
        .with_regions(kms_rotation_core::Regions::from_names(["us-east-1"])?)
        .with_transport_factory(move |region| snapshot.transport(region))
        .build()?;
    let options = HandlerOptions::default();
    let events = events();
    for (name, event) in events.as_object().expect("named events") {
        for (client, connection) in [("snapshot", &direct), ("transport", &paced)] {
            let mut samples = Vec::with_capacity(runs);
            for _ in 0..runs {
                let config = MemoryConfig::new("us-east-1");
                let started = Instant::now();
                let invocation = runtime.block_on(async {
                    if event.get("invokingEvent").is_some() {
                        config_rule_handler(connection, &config, event, &options).await
                    } else {
                        event_handler(connection, event, &options).await
                    }
                })?;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
                std::hint::black_box(invocation);
            }
            println!(
                "{}",
                json!({"door": "rust", "client": client, "event": name, "runs": runs, "median_ms": median(samples)})
            );
        }
    }
    Ok(())
}
