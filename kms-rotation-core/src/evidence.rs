//! Evidence that re-checks itself: the facts a check's verdicts were made on,
//! the report, and a manifest binding them, which [`verify_evidence`]
//! re-checks offline.
//!
//! A check with evidence reads the account with [`crate::collect()`] — the one
//! engine, every answer and every error recorded as it was observed — and
//! makes its verdicts on that snapshot; the report is therefore, by
//! construction, what a re-check of the evidence gives. It writes three files:
//!
//! - the evidence (`FILE`): the facts, in the snapshot format (`check --snapshot FILE` reads it back);
//! - the report: the CLI's `--output` in its format, else `NAME.report.json` (the canonical JSON);
//! - the manifest (`NAME.manifest.json`, `NAME` being `FILE` without `.json`): the SHA-256 of
//!   report and evidence, the tool version, the policy, the clock, how the report was rendered,
//!   and the run-specific fields ([`RUN_SPECIFIC_FIELDS`]) with their values.
//!
//! [`verify_evidence`] re-checks the evidence under the manifest's policy and
//! clock, renders the report again and compares it byte for byte with the
//! report file; only the run-specific fields — how and where the facts were
//! read, not what they say — are taken from the manifest. A changed evidence
//! file, a changed report, another tool version or a re-check that differs is
//! named. The manifest is not signed: sign it (or keep it where it cannot be
//! changed) when the evidence must hold against someone who can rewrite all three files.
//!
//! What a check with evidence calls: `collect`'s calls (a check's, plus the
//! rotation status of exempt and disabled keys, so the same facts serve any
//! policy), and `account:ListRegions` when a region refused the credentials
//! (its answer is recorded in the manifest).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::api::ErrorKind;
use crate::check::{CheckOptions, check_account};
use crate::client::Clients;
use crate::collect::collect_counted;
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::policy::Policy;
use crate::render::{Format, RenderOptions, render};
use crate::report::{AccountReport, ReportSource, Stats};
use crate::snapshot::Snapshot;

/// The report fields a re-check of the evidence cannot reproduce, because
/// they say how and where the facts were read rather than what they are:
/// `source` (the re-check reads the evidence file, the check read AWS or a
/// snapshot), and the `stats` (calls, retries and throttling answers depend
/// on the service's weather; the duration on the machine). The manifest
/// records their values and [`verify_evidence`] takes them from it.
pub const RUN_SPECIFIC_FIELDS: [&str; 5] = [
    "source",
    "stats.api_calls",
    "stats.retries",
    "stats.throttled",
    "stats.duration_ms",
];

/// The manifest's `kind`: what tells a manifest from other JSON.
pub const MANIFEST_KIND: &str = "kms-rotation-evidence-manifest";

const MANIFEST_VERSION: u32 = 1;

/// The facts a check's verdicts were made on: the snapshot `collect` made
/// during the check, and what the check learned outside it (the home region,
/// the account's enabled regions when a region refused the credentials).
/// [`Evidence::write`] writes it with its report and manifest.
#[derive(Debug, Clone)]
pub struct Evidence {
    snapshot: Snapshot,
    home_region: Option<String>,
    enabled_regions: Option<RecordedRegions>,
}

/// `account:ListRegions` as the check saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RecordedRegions {
    Regions(Vec<String>),
    Error(String),
}

/// The report file that evidence backs, and how it was rendered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReportFile {
    /// Where the report is written.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// How it was rendered (colour, only failing, width).
    pub options: RenderOptions,
}

impl ReportFile {
    /// The report written to `path` in `format`, rendered with `options`.
    pub fn new(path: impl Into<PathBuf>, format: Format, options: RenderOptions) -> Self {
        Self {
            path: path.into(),
            format,
            options,
        }
    }
}

/// The files [`Evidence::write`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EvidenceFiles {
    /// The facts, in the snapshot format.
    pub evidence: PathBuf,
    /// The report.
    pub report: PathBuf,
    /// The manifest.
    pub manifest: PathBuf,
}

/// What [`verify_evidence`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvidenceVerification {
    /// Whether the re-check gave the report byte for byte (apart from the
    /// run-specific fields), with the files as the manifest recorded them and
    /// the same tool version.
    pub verified: bool,
    /// The manifest read.
    pub manifest: String,
    /// The report compared.
    pub report: String,
    /// The evidence re-checked.
    pub evidence: String,
    /// The version of kms-rotation that wrote the evidence.
    pub tool_version: String,
    /// The fields taken from the manifest rather than re-checked ([`RUN_SPECIFIC_FIELDS`]).
    pub run_specific_fields: Vec<String>,
    /// What differs, one sentence each; empty when verified.
    pub differences: Vec<String>,
}

impl EvidenceVerification {
    /// The verification as pretty-printed JSON (what the bindings return as an object).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a verification always serializes")
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    kind: String,
    manifest_version: u32,
    tool: String,
    tool_version: String,
    generated_at: Timestamp,
    #[serde(default)]
    account_id: Option<String>,
    policy: Policy,
    report: ReportEntry,
    evidence: FileEntry,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    home_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enabled_regions: Option<RecordedRegions>,
    run_specific_fields: Vec<String>,
    run_specific: RunSpecific,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    file: String,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ReportEntry {
    file: String,
    sha256: String,
    format: String,
    color: bool,
    only_failing: bool,
    #[serde(default)]
    width: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RunSpecific {
    #[serde(default)]
    source: Option<ReportSource>,
    stats: Stats,
}

/// The SHA-256 of `bytes`, in lower-case hex.
fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `FILE` without its `.json`, and the name of its sibling `NAME.what`.
fn beside(evidence: &Path, what: &str) -> PathBuf {
    let name = evidence
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    evidence.with_file_name(format!("{stem}.{what}"))
}

/// The manifest written beside the evidence `path`.
pub fn evidence_manifest_path(path: impl AsRef<Path>) -> PathBuf {
    beside(path.as_ref(), "manifest.json")
}

/// The report written beside the evidence `path` when no report file is named.
pub fn evidence_report_path(path: impl AsRef<Path>) -> PathBuf {
    beside(path.as_ref(), "report.json")
}

/// Fails before any call when one of the evidence's files cannot be written
/// (a missing directory, a read-only place), or when the report would
/// overwrite the evidence or its manifest: a check must not be lost at its end.
///
/// # Errors
/// [`Error::InvalidInput`] naming the evidence path, or [`Error::Io`] naming the file.
pub fn check_evidence_paths(path: impl AsRef<Path>, report: Option<&Path>) -> Result<()> {
    let path = path.as_ref();
    let manifest = evidence_manifest_path(path);
    let report = report.map_or_else(|| evidence_report_path(path), Path::to_path_buf);
    let same = |a: &Path, b: &Path| {
        let canonical = |p: &Path| std::fs::canonicalize(p).ok();
        a == b || canonical(a).is_some_and(|a| Some(a) == canonical(b))
    };
    if same(&report, path) || same(&report, &manifest) || same(path, &manifest) {
        return Err(Error::invalid(
            "evidence",
            path.display().to_string(),
            format!(
                "name a file other than the report (it writes {}, {} and the report {})",
                path.display(),
                manifest.display(),
                report.display()
            ),
        ));
    }
    for file in [path, manifest.as_path(), report.as_path()] {
        let existed = file.exists();
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(file)
            .map_err(|source| Error::Io {
                path: file.to_path_buf(),
                source,
            })?;
        if !existed {
            let _ = std::fs::remove_file(file);
        }
    }
    Ok(())
}

/// Refuses evidence for an operation that does not write it.
pub(crate) fn refuse_evidence(options: &CheckOptions, operation: &str) -> Result<()> {
    match options.evidence() {
        Some(path) => Err(Error::invalid(
            "evidence",
            path.display().to_string(),
            format!("evidence is written for a whole-account check (check_account); {operation} does not write it"),
        )),
        None => Ok(()),
    }
}

/// Checks the account through [`crate::collect()`] and judges what it
/// recorded: the report and its evidence. The report's `stats` are the
/// collection's (the calls made to the account), its duration the whole run's.
pub(crate) async fn check_with_evidence(
    clients: &Clients,
    options: &CheckOptions,
) -> Result<(AccountReport, Evidence)> {
    if options.baseline()?.is_some() {
        // verify-evidence re-checks under the manifest's policy alone: a report compared with a
        // baseline could not be reproduced from the evidence.
        return Err(Error::invalid(
            "baseline",
            "given with evidence",
            "cannot be combined with evidence: write the evidence without it, then compare its report with the baseline",
        ));
    }
    let started = Instant::now();
    let now = options.now();
    let (snapshot, stats) = collect_counted(clients, options, started).await?;
    let refused = snapshot
        .unlisted_regions()
        .iter()
        .any(|(_, error)| error.kind == ErrorKind::RegionNotEnabled);
    let enabled_regions = match (refused, clients.enabled_regions_lookup()) {
        (true, Some(lookup)) => Some(match lookup().await {
            Ok(regions) => RecordedRegions::Regions(regions),
            Err(error) => RecordedRegions::Error(error.to_string()),
        }),
        _ => None,
    };
    let evidence = Evidence {
        snapshot,
        home_region: clients.home_region().map(str::to_owned),
        enabled_regions,
    };
    let mut report = evidence.recheck(options.policy(), now).await?;
    report.stats = Stats {
        duration_ms: started.elapsed().as_millis() as u64,
        ..stats
    };
    Ok((report, evidence))
}

impl Evidence {
    /// The facts, as a snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The check of these facts under `policy` at `now`: the one evaluation
    /// behind both the report a check with evidence gives and its verification.
    async fn recheck(&self, policy: &Policy, now: Timestamp) -> Result<AccountReport> {
        let mut clients = self.snapshot.clients();
        if let Some(home) = &self.home_region {
            clients = clients.with_home_region(home);
        }
        if let Some(recorded) = self.enabled_regions.clone() {
            clients = clients.with_enabled_regions_lookup(move || {
                let recorded = recorded.clone();
                Box::pin(async move {
                    match recorded {
                        RecordedRegions::Regions(regions) => Ok(regions),
                        RecordedRegions::Error(message) => Err(Error::Configuration(message)),
                    }
                })
            });
        }
        let options = CheckOptions::default().with_policy(policy.clone()).with_now(now);
        check_account(&clients, &options).await
    }

    /// Writes the evidence to `path`, the report (to `report_file`, else as
    /// canonical JSON to `NAME.report.json`) and the manifest
    /// (`NAME.manifest.json`) beside it. `report` is the report the check gave
    /// (its run-specific fields as the door left them).
    ///
    /// # Errors
    /// [`Error::Io`] naming a file that cannot be written.
    pub fn write(
        &self,
        path: impl AsRef<Path>,
        report: &AccountReport,
        report_file: Option<&ReportFile>,
    ) -> Result<EvidenceFiles> {
        let path = path.as_ref();
        let report_file = report_file
            .cloned()
            .unwrap_or_else(|| ReportFile::new(evidence_report_path(path), Format::Json, RenderOptions::default()));
        let manifest_path = evidence_manifest_path(path);
        let write = |file: &Path, bytes: &[u8]| {
            std::fs::write(file, bytes).map_err(|source| Error::Io {
                path: file.to_path_buf(),
                source,
            })
        };
        let report_text = render(report, report_file.format, report_file.options);
        write(&report_file.path, report_text.as_bytes())?;
        let evidence_text = self.snapshot.to_json();
        write(path, evidence_text.as_bytes())?;
        let directory = manifest_path.parent().unwrap_or(Path::new(""));
        let manifest = Manifest {
            kind: MANIFEST_KIND.to_owned(),
            manifest_version: MANIFEST_VERSION,
            tool: "kms-rotation".to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            generated_at: report.generated_at,
            account_id: report.account_id.clone(),
            policy: report.policy.clone(),
            report: ReportEntry {
                file: relative_to(directory, &report_file.path),
                sha256: sha256(report_text.as_bytes()),
                format: report_file.format.name().to_owned(),
                color: report_file.options.color,
                only_failing: report_file.options.only_failing,
                width: report_file.options.width,
            },
            evidence: FileEntry {
                file: relative_to(directory, path),
                sha256: sha256(evidence_text.as_bytes()),
            },
            home_region: self.home_region.clone(),
            enabled_regions: self.enabled_regions.clone(),
            run_specific_fields: RUN_SPECIFIC_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            run_specific: RunSpecific {
                source: report.source.clone(),
                stats: report.stats.clone(),
            },
        };
        let mut manifest_text = serde_json::to_string_pretty(&manifest).expect("a manifest always serializes");
        manifest_text.push('\n');
        write(&manifest_path, manifest_text.as_bytes())?;
        Ok(EvidenceFiles {
            evidence: path.to_path_buf(),
            report: report_file.path,
            manifest: manifest_path,
        })
    }
}

/// `file` as the manifest names it: its name when it sits beside the
/// manifest (so the three files can be moved together), else its full path.
fn relative_to(directory: &Path, file: &Path) -> String {
    let parent = file.parent().unwrap_or(Path::new(""));
    let canonical = |p: &Path| std::fs::canonicalize(if p.as_os_str().is_empty() { Path::new(".") } else { p }).ok();
    match (canonical(directory), canonical(parent), file.file_name()) {
        (Some(a), Some(b), Some(name)) if a == b => name.to_string_lossy().into_owned(),
        _ => std::fs::canonicalize(file).map_or_else(|_| file.display().to_string(), |p| p.display().to_string()),
    }
}

/// The manifest `path` names: `path` itself when it is one, else the
/// manifest beside the evidence `path`.
fn locate_manifest(path: &Path) -> Result<(PathBuf, String)> {
    let read = |file: &Path| {
        std::fs::read_to_string(file).map_err(|source| Error::Io {
            path: file.to_path_buf(),
            source,
        })
    };
    let text = read(path)?;
    let is_manifest = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .is_some_and(|value| value.get("kind").and_then(|k| k.as_str()) == Some(MANIFEST_KIND));
    if is_manifest {
        return Ok((path.to_path_buf(), text));
    }
    let manifest = evidence_manifest_path(path);
    if !manifest.exists() {
        return Err(Error::invalid(
            "evidence",
            path.display().to_string(),
            format!(
                "it is not an evidence manifest, and no manifest {} is beside it: give the file `check --evidence` wrote",
                manifest.display()
            ),
        ));
    }
    let text = read(&manifest)?;
    Ok((manifest, text))
}

/// Re-checks the evidence a check wrote (`path`: the evidence file or its
/// manifest) offline and compares the report it gives with the report file,
/// byte for byte apart from the run-specific fields ([`RUN_SPECIFIC_FIELDS`]).
///
/// # Errors
/// [`Error::Io`] when the manifest, the evidence or the report cannot be
/// read; [`Error::InvalidInput`] when the manifest is not one. What differs is
/// not an error: it is in [`EvidenceVerification::differences`].
///
/// # Example
/// ```
/// use kms_rotation_core::{CheckOptions, ConnectionOptions, Snapshot, verify_evidence};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let directory = std::env::temp_dir().join(format!("evidence-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&directory)?;
/// let path = directory.join("evidence.json");
/// let connection = ConnectionOptions::default()
///     .with_snapshot(Snapshot::load("../examples/data/demo-account.json")?)
///     .build()?;
/// connection.check_account(&CheckOptions::default().with_evidence(&path)).await?;
/// let verification = verify_evidence(&path).await?;
/// assert!(verification.verified, "{:?}", verification.differences);
/// # std::fs::remove_dir_all(&directory)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub async fn verify_evidence(path: impl AsRef<Path>) -> Result<EvidenceVerification> {
    let (manifest_path, text) = locate_manifest(path.as_ref())?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            "evidence manifest",
            manifest_path.display().to_string(),
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )
    })?;
    let directory = manifest_path.parent().unwrap_or(Path::new(""));
    let resolve = |file: &str| {
        let file = Path::new(file);
        if file.is_absolute() {
            file.to_path_buf()
        } else {
            directory.join(file)
        }
    };
    let (evidence_path, report_path) = (resolve(&manifest.evidence.file), resolve(&manifest.report.file));
    let read = |file: &Path| {
        std::fs::read(file).map_err(|source| Error::Io {
            path: file.to_path_buf(),
            source,
        })
    };
    let (evidence_bytes, report_bytes) = (read(&evidence_path)?, read(&report_path)?);
    let mut differences = Vec::new();
    let ours = env!("CARGO_PKG_VERSION");
    if manifest.tool_version != ours {
        differences.push(format!(
            "the evidence was written by kms-rotation {} and is re-checked here by kms-rotation {ours}: \
             verify it with {} (another version may judge the same facts otherwise)",
            manifest.tool_version, manifest.tool_version
        ));
    }
    let changed = |what: &str, file: &Path, bytes: &[u8], recorded: &str| {
        let now = sha256(bytes);
        (now != recorded).then(|| {
            format!(
                "the {what} {} was changed after it was written: its SHA-256 is {now}, the manifest says {recorded}",
                file.display()
            )
        })
    };
    differences.extend(changed(
        "evidence",
        &evidence_path,
        &evidence_bytes,
        &manifest.evidence.sha256,
    ));
    differences.extend(changed("report", &report_path, &report_bytes, &manifest.report.sha256));
    let rechecked = recheck_manifest(&manifest, &evidence_bytes).await;
    match rechecked {
        Ok(rendered) if rendered.as_bytes() == report_bytes.as_slice() => {}
        Ok(rendered) => differences.push(format!(
            "the re-check of the evidence gives another report than {}: {}",
            report_path.display(),
            first_difference(
                &manifest.report.format,
                &String::from_utf8_lossy(&report_bytes),
                &rendered
            )
        )),
        Err(why) => differences.push(format!("the evidence cannot be re-checked: {why}")),
    }
    Ok(EvidenceVerification {
        verified: differences.is_empty(),
        manifest: manifest_path.display().to_string(),
        report: report_path.display().to_string(),
        evidence: evidence_path.display().to_string(),
        tool_version: manifest.tool_version.clone(),
        run_specific_fields: manifest.run_specific_fields.clone(),
        differences,
    })
}

/// The report the evidence gives under the manifest, rendered as the manifest says.
async fn recheck_manifest(manifest: &Manifest, evidence: &[u8]) -> Result<String> {
    let text = std::str::from_utf8(evidence)
        .map_err(|e| Error::invalid("evidence", "(the evidence file)", format!("it is not UTF-8: {e}")))?;
    let evidence = Evidence {
        snapshot: Snapshot::from_json(text)?,
        home_region: manifest.home_region.clone(),
        enabled_regions: manifest.enabled_regions.clone(),
    };
    let format: Format = manifest.report.format.parse()?;
    let mut options = RenderOptions::default()
        .with_color(manifest.report.color)
        .with_only_failing(manifest.report.only_failing);
    if let Some(width) = manifest.report.width {
        options = options.with_width(width);
    }
    let mut report = evidence.recheck(&manifest.policy, manifest.generated_at).await?;
    report.source.clone_from(&manifest.run_specific.source);
    report.stats = manifest.run_specific.stats.clone();
    Ok(render(&report, format, options))
}

/// Where two renderings of a report part: the JSON members that differ (a
/// few), else the first line that differs.
fn first_difference(format: &str, file: &str, rechecked: &str) -> String {
    if format == Format::Json.name()
        && let (Ok(a), Ok(b)) = (
            serde_json::from_str::<serde_json::Value>(file),
            serde_json::from_str::<serde_json::Value>(rechecked),
        )
    {
        let mut paths = Vec::new();
        json_differences("", &a, &b, &mut paths);
        if !paths.is_empty() {
            let more = paths.len().saturating_sub(5);
            let mut shown: Vec<String> = paths.into_iter().take(5).collect();
            if more > 0 {
                shown.push(format!("and {more} more"));
            }
            return shown.join("; ");
        }
    }
    let (mut a, mut b) = (file.lines(), rechecked.lines());
    for line in 1.. {
        match (a.next(), b.next()) {
            (None, None) => {
                return "the same lines, but not the same bytes (line endings or the end of the file)".to_owned();
            }
            (x, y) if x == y => {}
            (x, y) => {
                let shown = |l: Option<&str>| l.map_or_else(|| "(nothing)".to_owned(), |l| format!("{:?}", shorten(l)));
                return format!("line {line}: the report has {}, the re-check {}", shown(x), shown(y));
            }
        }
    }
    unreachable!("the loop returns")
}

fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

/// The JSON paths at which `a` and `b` differ, each with both values.
fn json_differences(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match y.get(key) {
                    Some(other) => json_differences(&at, value, other, out),
                    None => out.push(format!("{at}: only in the report")),
                }
            }
            for key in y.keys().filter(|k| !x.contains_key(*k)) {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                out.push(format!("{at}: only in the re-check"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                json_differences(&format!("{path}[{i}]"), p, q, out);
            }
        }
        (x, y) if x != y => out.push(format!(
            "{path}: the report has {}, the re-check {}",
            shorten(&x.to_string()),
            shorten(&y.to_string())
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_beside_the_evidence() {
        assert_eq!(
            evidence_manifest_path("out/e.json"),
            PathBuf::from("out/e.manifest.json")
        );
        assert_eq!(evidence_report_path("e"), PathBuf::from("e.report.json"));
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn json_differences_name_the_members() {
        let a: serde_json::Value = serde_json::json!({"summary": {"fail": 1}, "findings": [{"status": "FAIL"}]});
        let b: serde_json::Value = serde_json::json!({"summary": {"fail": 0}, "findings": [{"status": "PASS"}]});
        let mut out = Vec::new();
        json_differences("", &a, &b, &mut out);
        assert_eq!(
            out,
            [
                "summary.fail: the report has 1, the re-check 0",
                "findings[0].status: the report has \"FAIL\", the re-check \"PASS\""
            ]
        );
        assert_eq!(
            first_difference("table", "a\nb\n", "a\nc\n"),
            "line 2: the report has \"b\", the re-check \"c\""
        );
    }
}
