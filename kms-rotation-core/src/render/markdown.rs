//! A Markdown summary for GitHub job summaries and pull-request comments: the
//! counts, the findings that need work, the rest folded away, and never more
//! than GitHub accepts (a step summary is at most 1 MiB).

use std::fmt::Write as _;

use super::{
    RenderOptions, STATUS_ORDER, aws_cli_fix, counts_by_region, declared_only, for_people, region_shown, region_state,
    remediate_command, side_notes,
};
use crate::baseline::BaselineComparison;
use crate::model::{BaselineState, Finding, Status};
use crate::report::AccountReport;

/// The most bytes written: GitHub refuses a step summary over 1 MiB (1,048,576
/// bytes); the margin leaves room for a caller's own heading.
const MAX_BYTES: usize = 1_000_000;

/// What the truncation note and closing tags may need.
const RESERVE: usize = 1_000;

/// A check report as Markdown, within [`MAX_BYTES`].
pub(super) fn account(report: &AccountReport, options: RenderOptions) -> String {
    let mut out = String::new();
    let declared = declared_only(report);
    let scope = match (&report.account_id, declared) {
        (Some(account), _) => format!("account {}", md(account)),
        (None, true) => "keys declared in code".to_owned(),
        (None, false) => "account unknown".to_owned(),
    };
    let _ = writeln!(out, "## KMS key rotation: {scope}\n");
    let keys_in = if declared {
        "declared in code".to_owned()
    } else {
        format!("in {} regions", report.regions.len())
    };
    let _ = writeln!(
        out,
        "{} keys {keys_in}, checked {} against a {}-day maximum rotation period (kms-rotation {}).\n",
        report.summary.total,
        report.generated_at.to_rfc3339(),
        report.policy.max_rotation_period_days(),
        env!("CARGO_PKG_VERSION"),
    );
    out.push_str("| region |");
    for status in STATUS_ORDER {
        let _ = write!(out, " {} |", status.as_str());
    }
    out.push_str(" total |\n|---|");
    out.push_str(&"---:|".repeat(STATUS_ORDER.len() + 1));
    out.push('\n');
    let mut summary_rows: Vec<(String, crate::report::Summary)> = counts_by_region(report)
        .into_iter()
        .map(|(region, summary)| (md(region_shown(&region)), summary))
        .collect();
    if summary_rows.len() > 1 {
        summary_rows.push(("**all regions**".to_owned(), report.summary));
    }
    for (label, summary) in &summary_rows {
        let _ = write!(out, "| {label} |");
        for status in STATUS_ORDER {
            let _ = write!(out, " {} |", summary.count(status));
        }
        let _ = writeln!(out, " {} |", summary.total);
    }
    out.push('\n');
    for region in report.regions_not_checked() {
        let why = region
            .error
            .as_ref()
            .map(|e| format!(": {} {}", md(&e.code), md(&e.message)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "> **Region {} was not checked** ({}){why}\n",
            md(&region.region),
            region_state(region.state)
        );
    }

    if let Some(baseline) = &report.baseline {
        since_baseline(&mut out, report, baseline);
    }

    let ordered = for_people(&report.findings);
    let fails: Vec<&Finding> = ordered.iter().copied().filter(|f| f.status == Status::Fail).collect();
    let errors: Vec<&Finding> = ordered.iter().copied().filter(|f| f.status == Status::Error).collect();
    let others: Vec<&Finding> = ordered
        .iter()
        .copied()
        .filter(|f| !matches!(f.status, Status::Fail | Status::Error))
        .collect();
    let budget = MAX_BYTES - RESERVE;
    let mut omitted = 0usize;
    if fails.is_empty() && errors.is_empty() {
        out.push_str("Nothing needs work: every key that can rotate does, within the policy.\n\n");
    }
    let in_code = fails.iter().all(|f| f.code.is_some());
    if !fails.is_empty() && in_code {
        let how = if fails.iter().any(|f| f.reason == crate::model::Reason::Drift) {
            "make each change below (in the code, or on a live key that drifted from it), then check again"
        } else {
            "make each change below there, then check it again"
        };
        let _ = writeln!(
            out,
            "### {} FAIL\n\nThese keys are declared in code: {how}.\n",
            fails.len()
        );
        out.push_str("| region | key | alias | reason | fix |\n|---|---|---|---|---|\n");
        omitted += rows(&mut out, &fails, budget, fail_row);
        out.push('\n');
    } else if !fails.is_empty() {
        let _ = writeln!(
            out,
            "### {} FAIL\n\nFix them all: `{}` (a dry run; add `--apply` to change the keys), \
             with the check saved by `--format json --output report.json`; or one by one with the AWS CLI below.\n",
            fails.len(),
            remediate_command(report.source.as_ref())
        );
        out.push_str("| region | key | alias | reason | fix |\n|---|---|---|---|---|\n");
        omitted += rows(&mut out, &fails, budget, fail_row);
        out.push('\n');
    }
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "### {} ERROR\n\nThese keys could not be judged; {}.\n",
            errors.len(),
            if errors.iter().all(|f| f.code.is_some()) {
                "the code leaves open what the message names: give it a value, or check the keys once deployed"
            } else {
                "grant the call named and check again"
            }
        );
        out.push_str("| region | key | alias | AWS error | message |\n|---|---|---|---|---|\n");
        omitted += rows(&mut out, &errors, budget, error_row);
        out.push('\n');
    }
    if !options.only_failing && !others.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} other findings (PASS, EXEMPT, NOT_APPLICABLE)</summary>\n",
            others.len()
        );
        out.push_str("| status | region | key | alias | reason |\n|---|---|---|---|---|\n");
        omitted += rows(&mut out, &others, budget, other_row);
        out.push_str("\n</details>\n\n");
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "_{omitted} findings are not shown, to stay under GitHub's 1 MiB summary limit; \
             the full report is in `--format html` or `--format json`._"
        );
    }
    out
}

/// The comparison with the baseline: the counts, then the keys that got
/// worse and the keys gone, in a table (within the size budget).
fn since_baseline(out: &mut String, report: &AccountReport, baseline: &BaselineComparison) {
    let _ = writeln!(out, "**{}**\n", md(&baseline.summary_line()));
    let worse: Vec<&Finding> = for_people(&report.findings)
        .into_iter()
        .filter(|f| {
            matches!(f.status, Status::Fail | Status::Error)
                && matches!(f.baseline_state, Some(BaselineState::New | BaselineState::Regressed))
        })
        .collect();
    if worse.is_empty() && baseline.gone.is_empty() {
        return;
    }
    out.push_str("| change | status | region | key | alias | reason |\n|---|---|---|---|---|---|\n");
    let row = |f: &Finding| {
        format!(
            "| {} | {} | {} | <code>{}</code> | {} | {} |\n",
            f.baseline_state.map_or("-", BaselineState::as_str),
            f.status,
            md(region_shown(&f.region)),
            md(&f.key_id),
            alias(f),
            f.reason
        )
    };
    for line in worse.iter().map(|f| row(f)).chain(
        baseline
            .gone
            .iter()
            .map(|old| row(old).replacen("| resolved |", "| resolved (key gone) |", 1)),
    ) {
        if out.len() + line.len() > (MAX_BYTES - RESERVE) / 4 {
            out.push_str("| … | | | | | |\n");
            break;
        }
        out.push_str(&line);
    }
    out.push('\n');
}

/// Appends rows while they fit in `budget`; returns how many did not.
fn rows(out: &mut String, findings: &[&Finding], budget: usize, row: fn(&Finding) -> String) -> usize {
    for (index, f) in findings.iter().enumerate() {
        let line = row(f);
        if out.len() + line.len() > budget {
            return findings.len() - index;
        }
        out.push_str(&line);
    }
    0
}

fn alias(f: &Finding) -> String {
    if f.aliases.is_empty() {
        "-".to_owned()
    } else {
        f.aliases.iter().map(|a| md(a)).collect::<Vec<_>>().join("<br>")
    }
}

fn fail_row(f: &Finding) -> String {
    let mut fix = format!(
        "<code>{}</code>",
        md(&super::code_fix(f).or_else(|| aws_cli_fix(f)).unwrap_or_default())
    );
    if let Some(plan) = &f.remediation {
        if plan.target_arn != f.key_arn {
            fix = format!("on its primary: {fix}");
        }
        if let Some(blocked) = &plan.blocked_by {
            fix = format!("{fix}<br>first: {}", md(blocked));
        }
    }
    format!(
        "| {} | <code>{}</code> | {} | {}{} | {fix} |\n",
        md(region_shown(&f.region)),
        md(&match &f.code {
            Some(_) => super::subject_and_place(f),
            None => f.key_id.clone(),
        }),
        alias(f),
        f.reason,
        notes(f)
    )
}

/// The side notes of a finding (material expiry, last use) for a table cell.
fn notes(f: &Finding) -> String {
    side_notes(f).iter().map(|note| format!("<br>{}", md(note))).collect()
}

fn error_row(f: &Finding) -> String {
    let (code, message) = match &f.error {
        Some(e) => (
            match &e.operation {
                Some(op) => format!("{} {}", md(op), md(&e.code)),
                None => md(&e.code),
            },
            md(&e.message),
        ),
        None => (f.reason.to_string(), md(&f.message)),
    };
    format!(
        "| {} | <code>{}</code> | {} | {code} | {message}{} |\n",
        md(region_shown(&f.region)),
        md(super::key_label(f)),
        alias(f),
        notes(f)
    )
}

fn other_row(f: &Finding) -> String {
    format!(
        "| {} | {} | <code>{}</code> | {} | {}{} |\n",
        f.status,
        md(region_shown(&f.region)),
        md(super::key_label(f)),
        alias(f),
        f.reason,
        notes(f)
    )
}

/// Text from a report inside a Markdown table cell: HTML's special characters
/// as entities (GitHub renders inline HTML), Markdown's as backslash escapes,
/// the cell separator as an entity, and everything on one line.
fn md(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_text_stays_in_its_cell() {
        assert_eq!(md("a|b\n<x>&[l](u)*"), "a&#124;b &lt;x&gt;&amp;\\[l\\](u)\\*");
    }
}
