//! Where the time of a 100,000-key offline scan goes, phase by phase: parsing
//! the JSON as a plain value (the floor any loader pays), loading it as a
//! snapshot, checking it, and writing the report's JSON.
//!
//! Run: `cargo bench -p benches --bench phases`. The fresh process's peak is
//! also split into the load's and the check's (stderr). To profile that run
//! alone: `PHASES_WRITE_TO=FILE` writes the 100,000-key file and stops, then
//! `PHASES_PEAK_MEMORY_OF=FILE` runs only the fresh-process part on it.
use benches::{AccountShape, account};
use kms_rotation_core::{CheckOptions, Snapshot, check_account};
use std::time::{Duration, Instant};

/// This thread's CPU time (user + system, from /proc; 10 ms resolution): on a
/// machine shared with other work it says more than the wall clock.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// A line of /proc/self/status, in kB (`VmHWM`: the peak resident set).
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

/// In a fresh process (so that generating the file does not count): load the
/// file, check it, and say the peak memory against the file's size.
fn peak_memory_child(path: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let before = status_kb("VmRSS:");
    let t = Instant::now();
    let snapshot = Snapshot::load(path).unwrap();
    snapshot.set_record_calls(false);
    let loaded = (status_kb("VmHWM:"), status_kb("VmRSS:"));
    let load_time = t.elapsed();
    // From here the peak counts the check alone (on top of what the load left).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let report = rt
        .block_on(check_account(
            &snapshot.clients(),
            &CheckOptions::default().without_rate_limits(),
        ))
        .unwrap();
    let elapsed = t.elapsed();
    let checked = status_kb("VmHWM:");
    let peak = checked.max(loaded.0);
    eprintln!(
        "  load {load_time:?}: peak {} MB, {} MB resident after it; check: peak {} MB",
        (loaded.0 - before) / 1024,
        (loaded.1 - before) / 1024,
        (checked - before) / 1024,
    );
    let file = std::fs::metadata(path).unwrap().len() / 1024;
    println!(
        "load file + check {elapsed:?} ({} findings); peak memory {} MB above the {} MB at start = {:.2}x the file's {} MB",
        report.findings.len(),
        (peak - before) / 1024,
        before / 1024,
        (peak - before) as f64 / file as f64,
        file / 1024
    );
}

fn main() {
    if let Ok(path) = std::env::var("PHASES_PEAK_MEMORY_OF") {
        return peak_memory_child(&path);
    }
    let json = account(AccountShape {
        regions: 1,
        keys_per_region: 100_000,
        eligible: 0.7,
        non_compliant: 0.1,
    })
    .to_json();
    println!("json {} MB", json.len() / 1_000_000);
    if let Ok(path) = std::env::var("PHASES_WRITE_TO") {
        return std::fs::write(path, &json).unwrap();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for _ in 0..2 {
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        println!("serde Value parse {:?}", t.elapsed());
        drop(v);
        let (t, c) = (Instant::now(), cpu());
        let snapshot = Snapshot::from_json(&json).unwrap();
        println!("load {:?} (cpu {:?})", t.elapsed(), cpu() - c);
        snapshot.set_record_calls(false);
        let (t, c) = (Instant::now(), cpu());
        let report = rt
            .block_on(check_account(
                &snapshot.clients(),
                &CheckOptions::default().without_rate_limits(),
            ))
            .unwrap();
        println!(
            "check {:?} (cpu {:?}, {} findings)",
            t.elapsed(),
            cpu() - c,
            report.findings.len()
        );
        let t = Instant::now();
        let text = report.to_json();
        println!("to_json {:?} {}", t.elapsed(), text.len());
    }
    let path = std::env::temp_dir().join(format!("kms-rotation-phases-{}.json", std::process::id()));
    std::fs::write(&path, &json).unwrap();
    drop(json);
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env("PHASES_PEAK_MEMORY_OF", &path)
        .status()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(status.success());
}
