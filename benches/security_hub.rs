//! The delivery of findings to Security Hub over the in-memory Security Hub
//! (criterion): N findings built from a check report, imported 100 a call
//! into an empty hub (every finding created), and delivered again (the
//! active findings read back, every finding updated in place). What the
//! delivery itself costs, without the network; against AWS the floor is
//! Security Hub's quota (5 batch calls a second at the default half).
//!
//! Run: `cargo bench -p benches --bench security_hub`.

use std::hint::black_box;
use std::sync::Arc;

use benches::{AccountShape, account};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kms_rotation_core::continuous::security_hub::{DeliveryOptions, MemorySecurityHub, deliver};
use kms_rotation_core::{AccountReport, CheckOptions, SecurityHubClients, Snapshot, check_account};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime")
}

fn report(keys: usize, runtime: &tokio::runtime::Runtime) -> AccountReport {
    let json = account(AccountShape {
        regions: 1,
        keys_per_region: keys,
        eligible: 0.7,
        non_compliant: 0.1,
    })
    .to_json();
    let snapshot = Snapshot::from_json(&json).expect("valid snapshot");
    runtime
        .block_on(check_account(
            &snapshot.clients(),
            &CheckOptions::default().without_rate_limits(),
        ))
        .expect("check runs")
}

fn hub(report: &AccountReport) -> (Arc<MemorySecurityHub>, SecurityHubClients) {
    let region = report.regions[0].region.clone();
    let hub = Arc::new(MemorySecurityHub::new(region));
    (hub.clone(), SecurityHubClients::new().with_client(hub))
}

fn delivery(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("security hub");
    group.sample_size(10);
    for keys in [1_000, 10_000] {
        let report = report(keys, &runtime);
        group.throughput(Throughput::Elements(keys as u64));
        group.bench_function(format!("import {keys} findings (all new)"), |b| {
            b.iter_batched(
                || hub(&report),
                |(_, clients)| {
                    let outcome = runtime
                        .block_on(deliver(&clients, black_box(&report), &DeliveryOptions::default()))
                        .expect("delivered");
                    assert_eq!(outcome.created as usize + outcome.not_sent as usize, keys);
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(format!("re-deliver {keys} findings (read back, all updated)"), |b| {
            b.iter_batched(
                || {
                    let (hub, clients) = hub(&report);
                    runtime
                        .block_on(deliver(&clients, &report, &DeliveryOptions::default()))
                        .expect("first delivery");
                    (hub, clients)
                },
                |(_, clients)| {
                    let outcome = runtime
                        .block_on(deliver(&clients, black_box(&report), &DeliveryOptions::default()))
                        .expect("delivered");
                    assert_eq!(outcome.created, 0);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, delivery);
criterion_main!(benches);
