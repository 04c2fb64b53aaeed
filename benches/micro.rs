//! Micro benchmarks of the pure parts (criterion): the decision table per key,
//! loading and evaluating a 100,000-key snapshot, and rendering a
//! 10,000-finding report as JSON.
//!
//! Run: `cargo bench -p benches --bench micro` (add a filter to run one, e.g. `-- evaluate`).

use std::hint::black_box;

use benches::{AccountShape, account};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kms_rotation_core::rules::{KeyFacts, evaluate};
use kms_rotation_core::{
    AccountReport, CheckOptions, Format, KeyMetadata, Policy, RenderOptions, RotationStatus, Snapshot, check_account,
    render,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime")
}

fn offline() -> CheckOptions {
    CheckOptions::default().without_rate_limits()
}

fn decision_table(c: &mut Criterion) {
    let facts = KeyFacts {
        region: "us-east-1".into(),
        metadata: KeyMetadata::symmetric("us-east-1", "111122223333", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        aliases: vec!["alias/app".into()],
        tags: None,
        rotation_history: None,
    };
    let policy = Policy::default().with_exemption("alias/other").expect("valid rule");
    let rotation = RotationStatus::enabled_with_period(730);
    c.bench_function("evaluate one key (FAIL, period too long)", |b| {
        b.iter(|| evaluate(black_box(&facts), Some(black_box(&rotation)), black_box(&policy)))
    });
}

fn snapshot_scan(c: &mut Criterion) {
    let keys = 100_000;
    let json = account(AccountShape {
        regions: 1,
        keys_per_region: keys,
        eligible: 0.7,
        non_compliant: 0.1,
    })
    .to_json();
    let runtime = runtime();
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10).throughput(Throughput::Elements(keys as u64));
    group.bench_function("load + check 100,000 keys", |b| {
        b.iter(|| {
            let snapshot = Snapshot::from_json(black_box(&json)).expect("valid snapshot");
            snapshot.set_record_calls(false);
            let report = runtime
                .block_on(check_account(&snapshot.clients(), &offline()))
                .expect("check");
            assert_eq!(report.findings.len(), keys);
            report
        })
    });
    group.finish();
}

fn render_json(c: &mut Criterion) {
    let snapshot = account(AccountShape {
        regions: 1,
        keys_per_region: 10_000,
        eligible: 0.7,
        non_compliant: 0.1,
    });
    let report: AccountReport = runtime()
        .block_on(check_account(&snapshot.clients(), &offline()))
        .expect("check");
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(report.findings.len() as u64));
    group.bench_function("JSON of 10,000 findings", |b| {
        b.iter_batched(
            || report.clone(),
            |r| render(&r, Format::Json, RenderOptions::default()),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("CSV of 10,000 findings", |b| {
        b.iter(|| render(black_box(&report), Format::Csv, RenderOptions::default()))
    });
    group.finish();
}

criterion_group!(benches, decision_table, snapshot_scan, render_json);
criterion_main!(benches);
