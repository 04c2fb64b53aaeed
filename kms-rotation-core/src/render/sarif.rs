//! SARIF 2.1.0, for code scanning (GitHub, Azure DevOps, IDE viewers).
//!
//! - **Rules**: one per reason ([`Reason::ALL`]), with [`rules::reason_help`]'s
//!   title, help and help URI, and the level of the verdict it goes with.
//! - **Results**: one per finding that needs work: `FAIL` at level `error`,
//!   `ERROR` (we could not tell) at level `warning`. `PASS`, `NOT_APPLICABLE`
//!   and `EXEMPT` findings are omitted: code scanning opens an alert for every
//!   result it is sent, and closes an alert when its result stops coming —
//!   except a key whose imported material expires within the warning window
//!   (`material_expiry_warning_days`), at level `note`: the key stops working
//!   when its material expires, whatever its rotation verdict.
//! - **Locations**: built in one place, [`result_location`]: a live key is its
//!   ARN, as the artifact URI (code scanning needs a location on every result)
//!   and as a logical location of kind `resource`.
//! - **`partialFingerprints`** (`kmsRotationKey/v1`): the SHA-256 of the
//!   location's identity (a live key's ARN), so an alert stays the same alert
//!   across runs whatever the time, the order or the message.
//! - **No timestamps**: the same findings give the same bytes.
//! - **With a baseline**: each result has its `baselineState` (`new`,
//!   `unchanged`, `updated` when only the message changed), and the baseline's
//!   results that are not in this run (a key resolved, gone, or now failing
//!   for another reason) are added with `baselineState` `absent`, kind `pass`
//!   and level `none`. Code scanning does its own comparison: upload a SARIF
//!   made without `--baseline` there.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{ReportView, aws_cli_fix, pretty};
use crate::model::{Finding, Reason, Status};
use crate::rules;

/// The schema the output declares (the SARIF 2.1.0 JSON schema GitHub's documentation names).
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The name of the fingerprint every result carries.
const FINGERPRINT: &str = "kmsRotationKey/v1";

/// A result's level: what the verdict asks of the reader.
fn level(status: Status) -> &'static str {
    match status {
        Status::Fail => "error",
        Status::Error => "warning",
        Status::Pass | Status::NotApplicable | Status::Exempt => "none",
    }
}

/// Where a result points, and the identity its fingerprint is made of.
struct ResultLocation {
    /// The SARIF `location` object.
    location: Value,
    /// What stays the same for the same resource across runs.
    identity: String,
}

/// The one place a finding's location is built. A declared key (Terraform,
/// CloudFormation): its file, line and column, and its resource address as the
/// logical location; fingerprinted by file and address, so that moving the
/// resource within its file keeps its alert. A live key: its ARN as the
/// artifact URI and as a logical location (`resource`), named by its first
/// alias or its key id.
fn result_location(f: &Finding) -> ResultLocation {
    if let Some(code) = &f.code {
        // A template handed in as an object has no file: its address stands in.
        let uri = code.file.as_deref().unwrap_or(&code.address);
        let mut physical = json!({"artifactLocation": {"uri": uri}});
        if let Some(line) = code.line {
            physical["region"] = json!({"startLine": line, "startColumn": code.column.unwrap_or(1)});
        }
        let location = json!({
            "physicalLocation": physical,
            "logicalLocations": [{"name": code.address, "fullyQualifiedName": code.address, "kind": "resource"}],
        });
        let identity = format!("code|{}|{}", code.file.as_deref().unwrap_or_default(), code.address);
        return ResultLocation { location, identity };
    }
    let name = f.aliases.first().unwrap_or(&f.key_id);
    let location = json!({
        "physicalLocation": {"artifactLocation": {"uri": f.key_arn}},
        "logicalLocations": [{"name": name, "fullyQualifiedName": f.key_arn, "kind": "resource"}],
    });
    // The ARN names the key's partition, region and account: the same key gets the
    // same fingerprint from an account's check and from an organisation's.
    let identity = if f.key_arn.is_empty() {
        format!(
            "{}|{}|{}",
            f.account_id.as_deref().unwrap_or_default(),
            f.region,
            f.key_id
        )
    } else {
        f.key_arn.clone()
    };
    ResultLocation { location, identity }
}

fn fingerprint(identity: &str) -> String {
    Sha256::digest(identity.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn rule(reason: Reason) -> Value {
    let help = rules::reason_help(reason);
    let mut tags = vec!["security", "aws", "kms"];
    if help.status == Status::Error {
        tags.push("could-not-tell");
    }
    let mut properties = json!({"tags": tags, "verdict": help.status.as_str()});
    if help.status == Status::Fail {
        // Code scanning's severity scale: 4.0-6.9 is "medium", as ASFF labels a FAIL.
        properties["security-severity"] = json!("5.5");
        properties["precision"] = json!("very-high");
    }
    // A readable name that differs from the id (SARIF1001): `KmsKeyRotationDisabled`.
    let name: String = std::iter::once("kms_key")
        .chain(std::iter::once(reason.as_str()))
        .flat_map(|part| part.split('_'))
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    json!({
        "id": reason.as_str(),
        "name": name,
        "shortDescription": {"text": help.title},
        "fullDescription": {"text": help.help},
        "help": {"text": help.help},
        "helpUri": help.help_uri,
        "defaultConfiguration": {"level": level(help.status)},
        "properties": properties,
    })
}

/// One result for a finding; `baseline_state` when the run has a baseline.
fn result(f: &Finding, baseline_state: Option<&str>) -> Value {
    let place = result_location(f);
    let rule_index = Reason::ALL.iter().position(|r| *r == f.reason);
    let mut properties = serde_json::Map::new();
    properties.insert("status".into(), json!(f.status));
    properties.insert("region".into(), json!(f.region));
    if let Some(account) = &f.account_id {
        properties.insert("accountId".into(), json!(account));
    }
    if !f.aliases.is_empty() {
        properties.insert("aliases".into(), json!(f.aliases));
    }
    // A declared key is fixed in its code (`enable_key_rotation = true`), a live one with the AWS CLI.
    let code_fix = f.code.as_ref().and_then(|code| code.fix.clone());
    if let Some(fix) = code_fix.or_else(|| aws_cli_fix(f)) {
        properties.insert("fix".into(), json!(fix));
    }
    if let Some(error) = &f.error {
        properties.insert("errorCode".into(), json!(error.code));
    }
    let mut result = json!({
        "ruleId": f.reason.as_str(),
        "kind": "fail",
        "level": if needs_work(f.status) { level(f.status) } else { "note" },
        "message": {"text": f.message},
        "locations": [place.location],
        "partialFingerprints": {FINGERPRINT: fingerprint(&place.identity)},
        "properties": properties,
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if let Some(state) = baseline_state {
        result["baselineState"] = json!(state);
    }
    result
}

/// A baseline result that is not in this run: `absent`, kind `pass`, level `none`.
fn absent(old: &Finding) -> Value {
    let mut value = result(old, Some("absent"));
    value["kind"] = json!("pass");
    value["level"] = json!("none");
    value
}

fn needs_work(status: Status) -> bool {
    matches!(status, Status::Fail | Status::Error)
}

/// Whether the finding names key material that expires within the warning window.
fn material_expiring(f: &Finding) -> bool {
    f.key_material.as_ref().is_some_and(|m| m.expires_in_days.is_some())
}

/// The SARIF log of a check report.
pub(super) fn check(report: ReportView<'_>) -> String {
    let baseline = report.baseline();
    let previous = baseline.map(|b| b.previous_findings());
    let mut results = Vec::new();
    for f in report.findings() {
        let old = previous.as_ref().and_then(|p| p.of(f));
        // The baseline's failing result for this key, if it had another rule: now absent.
        if let Some(old) = old.filter(|old| needs_work(old.status) && old.reason != f.reason) {
            results.push(absent(old));
        }
        if !needs_work(f.status) && !material_expiring(f) {
            continue;
        }
        let state = baseline.map(|_| match (f.baseline_state, old) {
            (Some(crate::model::BaselineState::New) | None, _) => "new",
            (_, None) => "unchanged",
            (_, Some(old)) if old.reason == f.reason && needs_work(old.status) => "updated",
            _ => "new",
        });
        results.push(result(f, state));
    }
    if let Some(baseline) = baseline {
        results.extend(baseline.gone.iter().filter(|old| needs_work(old.status)).map(absent));
    }
    let mut run = json!({
        "tool": {"driver": {
            "name": "kms-rotation",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": env!("CARGO_PKG_REPOSITORY"),
            "rules": Reason::ALL.iter().map(|r| rule(*r)).collect::<Vec<_>>(),
        }},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "policy": report.policy(),
            "summary": report.summary(),
        },
    });
    if let Some(baseline) = baseline {
        run["properties"]["baseline"] = json!({
            "generatedAt": baseline.generated_at,
            "counts": baseline.counts,
            "notCompared": baseline.not_compared,
        });
    }
    pretty(&json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    }))
}
