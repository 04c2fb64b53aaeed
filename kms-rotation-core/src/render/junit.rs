//! JUnit XML for test dashboards: one test suite per region, one test case per
//! key; `failure` for `FAIL`, `error` for `ERROR`, `skipped` for
//! `NOT_APPLICABLE` and `EXEMPT`.
//!
//! Shaped to Jenkins' JUnit schema (xunit-plugin `junit-10.xsd`), which most CI
//! servers read: `testsuites` carries name, tests, failures, errors and time
//! (that schema has no `skipped` there); each `testsuite` also carries skipped.

use std::fmt::Write as _;

use super::{aws_cli_fix, counts_by_region, remediate_command};
use crate::model::{Finding, Status};
use crate::report::AccountReport;

/// A check report as JUnit XML.
pub(super) fn account(report: &AccountReport) -> String {
    let fix_all = remediate_command(report.source.as_ref());
    let summary = &report.summary;
    let mut out = String::with_capacity(report.findings.len() * 400 + 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let seconds = report.stats.duration_ms as f64 / 1000.0;
    let _ = writeln!(
        out,
        "<testsuites name=\"kms-rotation\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{seconds:.3}\">",
        summary.total + summary.regions_not_checked + report.baseline.as_ref().map_or(0, |b| b.gone.len() as u64),
        summary.count(Status::Fail),
        summary.count(Status::Error) + summary.regions_not_checked,
    );
    // The schema's timestamp is ISO 8601 without a zone; the report's time is UTC.
    let timestamp = report.generated_at.to_rfc3339().trim_end_matches('Z').to_owned();
    let account = report.account_id.as_deref().unwrap_or("unknown");
    for (id, (region, counts)) in counts_by_region(report).into_iter().enumerate() {
        let gone_here = gone_in(report, &region).count() as u64;
        let entry = report.regions.iter().find(|r| r.region == region);
        let unchecked = entry.is_some_and(|r| r.state != crate::report::RegionState::Scanned);
        let skipped = counts.count(Status::NotApplicable) + counts.count(Status::Exempt);
        // A template's keys have no Region before deploy.
        let suite = if region.is_empty() { "declared" } else { region.as_str() };
        let classname = format!("kms-rotation.{}", xml(suite));
        let _ = writeln!(
            out,
            "  <testsuite name=\"{classname}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{skipped}\" \
             time=\"0\" timestamp=\"{timestamp}\" id=\"{id}\" package=\"kms-rotation\">",
            counts.total + u64::from(unchecked) + gone_here,
            counts.count(Status::Fail),
            counts.count(Status::Error) + u64::from(unchecked),
        );
        let _ = writeln!(
            out,
            "    <properties>\n      <property name=\"account_id\" value=\"{}\"/>\n      \
             <property name=\"region\" value=\"{}\"/>\n      \
             <property name=\"max_rotation_period_days\" value=\"{}\"/>\n      \
             <property name=\"tool\" value=\"kms-rotation {}\"/>{}\n    </properties>",
            xml(account),
            xml(&region),
            report.policy.max_rotation_period_days(),
            env!("CARGO_PKG_VERSION"),
            report
                .baseline
                .as_ref()
                .map(|b| format!(
                    "\n      <property name=\"baseline\" value=\"{}\"/>",
                    xml(&b.summary_line())
                ))
                .unwrap_or_default(),
        );
        if let Some(entry) = entry.filter(|_| unchecked) {
            let (code, message) = entry
                .error
                .as_ref()
                .map(|e| (e.code.as_str(), e.message.as_str()))
                .unwrap_or(("", ""));
            let _ = writeln!(
                out,
                "    <testcase name=\"region {} listed\" classname=\"{classname}\" time=\"0\">\n      \
                 <error type=\"{}\" message=\"the region was not checked: {}\">{}</error>\n    </testcase>",
                xml(&region),
                xml(code),
                xml(message),
                content(message),
            );
        }
        for f in report.findings.iter().filter(|f| f.region == region) {
            testcase(&mut out, &classname, f, &fix_all);
        }
        // A key of the baseline that is gone: resolved, a passing test case.
        for old in gone_in(report, &region) {
            let _ = writeln!(
                out,
                "    <testcase name=\"{} (gone)\" classname=\"{classname}\" time=\"0\">\n      \
                 <system-out>resolved since the baseline: the key was not listed (it was {} {})</system-out>\n    </testcase>",
                xml(&old.key_id),
                old.status,
                old.reason,
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The baseline's findings in `region` whose keys are gone.
fn gone_in<'a>(report: &'a AccountReport, region: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
    report
        .baseline
        .iter()
        .flat_map(|b| b.gone.iter())
        .filter(move |f| f.region == region)
}

fn testcase(out: &mut String, classname: &str, f: &Finding, fix_all: &str) {
    let name = match f.aliases.first() {
        Some(alias) => format!("{alias} ({})", super::key_label(f)),
        None => super::key_label(f).to_owned(),
    };
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{classname}\" time=\"0\"",
        xml(&name)
    );
    let body = |detail: &str| format!("{}\n{}\n{detail}", super::subject_and_place(f), f.message);
    let since = f
        .baseline_state
        .map(|state| format!("\n      <system-out>{state} since the baseline</system-out>"))
        .unwrap_or_default();
    match f.status {
        Status::Pass if since.is_empty() => {
            out.push_str("/>\n");
            return;
        }
        Status::Pass => out.push('>'),
        Status::Fail => {
            let fix = match super::code_fix(f) {
                Some(fix) => format!("fix: {fix}"),
                None => format!("fix: {} (or: {})", aws_cli_fix(f).unwrap_or_default(), fix_all),
            };
            let _ = write!(
                out,
                ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>",
                f.reason,
                xml(&f.message),
                content(&body(&fix))
            );
        }
        Status::Error => {
            let (code, detail) = match &f.error {
                Some(e) => (
                    e.code.clone(),
                    format!(
                        "{}{}: {}",
                        e.operation.as_deref().map(|op| format!("{op} ")).unwrap_or_default(),
                        e.code,
                        e.message
                    ),
                ),
                None => (f.reason.to_string(), String::new()),
            };
            let _ = write!(
                out,
                ">\n      <error type=\"{}\" message=\"{}\">{}</error>",
                xml(&code),
                xml(&f.message),
                content(&body(&detail))
            );
        }
        Status::NotApplicable | Status::Exempt => {
            let _ = write!(
                out,
                ">\n      <skipped type=\"{}\" message=\"{} {}: {}\"/>",
                f.reason,
                f.status,
                f.reason,
                xml(&f.message)
            );
        }
    }
    out.push_str(&since);
    out.push_str("\n    </testcase>\n");
}

/// Text for XML content and quoted attributes: the special characters as
/// entities, line breaks as character references (attributes keep them), and
/// characters XML 1.0 forbids dropped.
fn xml(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text for element content: as [`xml`], with line breaks kept as they are.
fn content(value: &str) -> String {
    // An escaped `&` never leaves a `&#10;` behind, so only our own become newlines again.
    xml(value).replace("&#10;", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_text_is_valid_xml_text() {
        assert_eq!(xml("a<b>&\"'\u{0}\u{1b}\u{fffe}\n"), "a&lt;b&gt;&amp;&quot;&apos;&#10;");
    }
}
