//! One self-contained HTML page per report: inline CSS, JS and SVG, and a
//! Content-Security-Policy that forbids every network request.
//!
//! A page is facts (a header), stacked bars (one per region), and one table
//! whose rows carry `data-*` attributes the script filters and sorts on. The
//! check and remediation reports fill the same [`Page`]; an organisation
//! report adds an account filter and one bar per account and region.
//!
//! Every string from a report is escaped here: [`text`] for element content
//! and attribute values, [`script_json`] for the one JSON island the script
//! reads. The script itself holds no report data.

use std::fmt::Write as _;

use serde_json::json;

use super::{
    STATUS_ORDER, attention_rank, aws_cli_fix, counts_by_region, for_people, region_state, remediate_command,
    rotation_words,
};
use crate::model::{BaselineState, Finding, Status};
use crate::report::{AccountReport, Outcome, RemediationReport};

/// A filter the page offers over one `data-*` attribute of the rows.
struct Filter {
    /// The attribute's name after `data-`.
    key: &'static str,
    /// What the control says.
    label: &'static str,
    /// The values offered, in order; empty means a free-text "contains" box.
    choices: Vec<String>,
}

/// One column of the table.
struct Column {
    label: &'static str,
    /// Whether the column has a sort button.
    sortable: bool,
    /// Its CSS grid track (rows are grids, so that rows off screen cost no layout).
    width: &'static str,
}

/// One stacked bar: a label and counts per category (a status or an outcome).
struct Bar {
    label: String,
    segments: Vec<(&'static str, u64)>,
}

/// Everything a page shows.
struct Page {
    title: String,
    /// Header facts: label, value (plain text).
    facts: Vec<(&'static str, String)>,
    /// The chart's heading.
    chart_title: &'static str,
    bars: Vec<Bar>,
    filters: Vec<Filter>,
    columns: Vec<Column>,
    /// The rows, already escaped.
    rows: String,
    /// How many rows.
    row_count: usize,
    /// What a row is ("findings", "targets").
    noun: &'static str,
    /// Data the script and tests read (summary counts); escaped as script JSON.
    data: serde_json::Value,
}

/// A check report as an HTML page.
pub(super) fn account(report: &AccountReport) -> String {
    let mut facts = vec![
        (
            "Account",
            report.account_id.clone().unwrap_or_else(|| "unknown".to_owned()),
        ),
        (
            "Regions",
            report
                .regions
                .iter()
                .map(|r| format!("{} ({}, {} keys)", r.region, region_state(r.state), r.keys_listed))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Policy",
            format!(
                "rotate at least every {} days; disabled keys {}; exemptions: {}",
                report.policy.max_rotation_period_days(),
                if report.policy.evaluate_disabled_keys() {
                    "checked"
                } else {
                    "skipped"
                },
                if report.policy.exemptions().is_empty() {
                    "none".to_owned()
                } else {
                    report
                        .policy
                        .exemptions()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ),
        ("Generated at", report.generated_at.to_rfc3339()),
        ("Tool", format!("kms-rotation {}", env!("CARGO_PKG_VERSION"))),
    ];
    for region in report.regions_not_checked() {
        let why = region.error.as_ref().map(ToString::to_string).unwrap_or_default();
        facts.push((
            "Not checked",
            format!("{} ({}) {why}", region.region, region_state(region.state)),
        ));
    }
    let statuses = |summary: &crate::report::Summary| {
        STATUS_ORDER
            .iter()
            .map(|s| (s.as_str(), summary.count(*s)))
            .collect::<Vec<_>>()
    };
    let mut bars: Vec<Bar> = counts_by_region(report)
        .iter()
        .map(|(region, summary)| Bar {
            label: region.clone(),
            segments: statuses(summary),
        })
        .collect();
    if bars.len() > 1 {
        bars.push(Bar {
            label: "all regions".to_owned(),
            segments: statuses(&report.summary),
        });
    }
    let distinct = |pick: fn(&Finding) -> String| {
        let mut values: Vec<String> = report.findings.iter().map(pick).collect();
        values.sort();
        values.dedup();
        values
    };
    let filters = vec![
        Filter {
            key: "status",
            label: "Status",
            choices: STATUS_ORDER.iter().map(|s| s.as_str().to_owned()).collect(),
        },
        Filter {
            key: "region",
            label: "Region",
            choices: distinct(|f| f.region.clone()),
        },
        Filter {
            key: "reason",
            label: "Reason",
            choices: distinct(|f| f.reason.to_string()),
        },
        Filter {
            key: "alias",
            label: "Alias",
            choices: Vec::new(),
        },
    ];
    let mut filters = filters;
    let baseline = report.baseline.as_ref();
    if let Some(baseline) = baseline {
        facts.push(("Baseline", baseline.summary_line()));
        filters.push(Filter {
            key: "baseline",
            label: "Since the baseline",
            choices: BaselineState::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
        });
        if !baseline.gone.is_empty() {
            filters[0].choices.push(GONE.to_owned());
        }
    }
    let columns = [
        ("Status", "9rem"),
        ("Region", "8rem"),
        ("Key", "minmax(12rem,1.2fr)"),
        ("Alias", "minmax(9rem,1fr)"),
        ("Reason", "minmax(9rem,.8fr)"),
    ]
    .into_iter()
    .map(|(label, width)| Column {
        label,
        sortable: true,
        width,
    })
    .chain([Column {
        label: "Details and fix",
        sortable: false,
        width: "minmax(16rem,2.6fr)",
    }])
    .collect();
    let mut rows = String::with_capacity(report.findings.len() * 700);
    let fix_all = remediate_command(report.source.as_ref());
    let previous = baseline.map(|b| b.previous_findings());
    for f in for_people(&report.findings) {
        finding_row(&mut rows, f, &fix_all, previous.as_ref().and_then(|p| p.of(f)), false);
    }
    let gone = baseline.map_or(&[][..], |b| b.gone.as_slice());
    for old in gone {
        finding_row(&mut rows, old, &fix_all, None, true);
    }
    let summary = &report.summary;
    let page = Page {
        title: format!(
            "KMS key rotation: account {}",
            report.account_id.as_deref().unwrap_or("unknown")
        ),
        facts,
        chart_title: "Findings per region",
        bars,
        filters,
        columns,
        rows,
        row_count: report.findings.len() + gone.len(),
        noun: "findings",
        data: json!({
            "kind": "check",
            "account_id": report.account_id,
            "total": summary.total,
            "counts": STATUS_ORDER.iter().map(|s| (s.as_str().to_owned(), json!(summary.count(*s)))).collect::<serde_json::Map<_, _>>(),
            "baseline": baseline.map(|b| json!({"counts": b.counts, "gone": b.gone.len()})),
        }),
    };
    page.render()
}

/// The status a row of the baseline whose key is gone shows.
const GONE: &str = "GONE";

/// One finding's row; `previous`: the baseline's finding when it judged the key
/// otherwise; `gone`: a baseline finding whose key this run did not list.
fn finding_row(out: &mut String, f: &Finding, fix_all: &str, previous: Option<&Finding>, gone: bool) {
    let status = if gone { GONE } else { f.status.as_str() };
    let aliases = f.aliases.join("\n");
    let since = f
        .baseline_state
        .map(|state| format!(" data-baseline=\"{state}\""))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<tr class=\"s-{status}\" data-status=\"{status}\" data-region=\"{}\" data-reason=\"{}\" data-alias=\"{}\"{since}>",
        text(&f.region),
        f.reason,
        text(&aliases),
    );
    let _ = write!(
        out,
        "<td data-sort=\"{}\"><span class=\"badge\">{status}</span></td><td>{}</td>",
        attention_rank(f.status),
        text(&f.region)
    );
    let _ = write!(
        out,
        "<td data-sort=\"{}\"><span class=\"id\">{}</span><span class=\"arn\">{}</span></td>",
        text(super::key_label(f)),
        text(super::key_label(f)),
        text(&match &f.code {
            Some(_) => super::subject_and_place(f),
            None => f.key_arn.clone(),
        })
    );
    let alias_cell = if f.aliases.is_empty() {
        "-".to_owned()
    } else {
        f.aliases.iter().map(|a| text(a)).collect::<Vec<_>>().join("<br>")
    };
    let _ = write!(out, "<td>{alias_cell}</td><td>{}</td><td>", f.reason);
    if gone {
        let _ = writeln!(
            out,
            "<p class=\"since\">Resolved since the baseline: the key was not listed. It was {} {}: {}</p></td></tr>",
            f.status,
            f.reason,
            text(&f.message)
        );
        return;
    }
    let _ = write!(out, "<p>{}</p>", text(&f.message));
    if let Some(state) = f.baseline_state {
        let was = previous
            .map(|old| format!(" (was {} {})", old.status, old.reason))
            .unwrap_or_default();
        let _ = write!(out, "<p class=\"since\">{state} since the baseline{was}</p>");
    }
    match f.status {
        Status::Fail if f.code.is_some() => {
            if let Some(fix) = super::code_fix(f) {
                let _ = write!(out, "<p class=\"fix\">Fix (in code):</p><code>{}</code>", text(&fix));
            }
        }
        Status::Fail => {
            if let Some(plan) = &f.remediation {
                if let Some(blocked) = &plan.blocked_by {
                    let _ = write!(out, "<p class=\"warn\">Before it can be fixed: {}</p>", text(blocked));
                }
                let target = if plan.target_arn == f.key_arn {
                    "the key".to_owned()
                } else {
                    format!("its primary {}", text(&plan.target_arn))
                };
                let _ = write!(
                    out,
                    "<p class=\"fix\">Fix ({target}):</p><code>{}</code><code>{}</code>",
                    text(fix_all),
                    text(&aws_cli_fix(f).unwrap_or_default())
                );
            }
        }
        Status::Error => {
            if let Some(error) = &f.error {
                let operation = error
                    .operation
                    .as_deref()
                    .map(|op| format!("{} ", text(op)))
                    .unwrap_or_default();
                let _ = write!(
                    out,
                    "<p class=\"err\">{operation}<b>{}</b>: {}</p>",
                    text(&error.code),
                    text(&error.message)
                );
            }
        }
        _ => {}
    }
    out.push_str("</td></tr>\n");
}

/// A remediation report as an HTML page.
pub(super) fn remediation(report: &RemediationReport) -> String {
    let outcomes = [
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::WouldChange,
        Outcome::Changed,
        Outcome::AlreadyCompliant,
    ];
    let count = |o: Outcome| report.summary.get(&o).copied().unwrap_or(0);
    let mut regions: Vec<String> = report.actions.iter().map(|a| a.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let mut bars: Vec<Bar> = regions
        .iter()
        .map(|region| Bar {
            label: region.clone(),
            segments: outcomes
                .iter()
                .map(|o| {
                    let n = report
                        .actions
                        .iter()
                        .filter(|a| &a.region == region && a.outcome == *o)
                        .count() as u64;
                    (o.as_str(), n)
                })
                .collect(),
        })
        .collect();
    if bars.len() > 1 {
        bars.push(Bar {
            label: "all regions".to_owned(),
            segments: outcomes.iter().map(|o| (o.as_str(), count(*o))).collect(),
        });
    }
    let rank = |o: Outcome| outcomes.iter().position(|x| *x == o).unwrap_or(0);
    let mut actions: Vec<_> = report.actions.iter().collect();
    actions.sort_by_key(|a| rank(a.outcome));
    let mut rows = String::new();
    for a in actions {
        let outcome = a.outcome.as_str();
        let _ = write!(
            rows,
            "<tr class=\"s-{outcome}\" data-outcome=\"{outcome}\" data-region=\"{}\">\
             <td data-sort=\"{}\"><span class=\"badge\">{outcome}</span></td><td>{}</td>\
             <td><span class=\"arn\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td><p>{}</p>",
            text(&a.region),
            rank(a.outcome),
            text(&a.region),
            text(&a.target_arn),
            text(&rotation_words(&a.before)),
            text(&rotation_words(&a.after)),
            if a.verified { "yes" } else { "no" },
            text(&a.message),
        );
        if let Some(error) = &a.error {
            let _ = write!(
                rows,
                "<p class=\"err\"><b>{}</b>: {}</p>",
                text(&error.code),
                text(&error.message)
            );
        }
        if a.finding_arns.iter().any(|arn| arn != &a.target_arn) {
            let _ = write!(
                rows,
                "<p>Covers: {}</p>",
                a.finding_arns.iter().map(|s| text(s)).collect::<Vec<_>>().join(", ")
            );
        }
        rows.push_str("</td></tr>\n");
    }
    let page = Page {
        title: format!(
            "KMS key rotation: remediation ({})",
            if report.dry_run { "dry run" } else { "applied" }
        ),
        facts: vec![
            (
                "Mode",
                if report.dry_run {
                    "dry run: nothing was changed".to_owned()
                } else {
                    "applied".to_owned()
                },
            ),
            ("Rotation period", format!("{} days", report.rotation_period_days)),
            ("Regions", regions.join(", ")),
            ("Generated at", report.generated_at.to_rfc3339()),
            ("Tool", format!("kms-rotation {}", env!("CARGO_PKG_VERSION"))),
        ],
        chart_title: "Targets per region",
        bars,
        filters: vec![
            Filter {
                key: "outcome",
                label: "Outcome",
                choices: outcomes.iter().map(|o| o.as_str().to_owned()).collect(),
            },
            Filter {
                key: "region",
                label: "Region",
                choices: regions.clone(),
            },
        ],
        columns: [
            ("Outcome", "11rem"),
            ("Region", "8rem"),
            ("Target", "minmax(14rem,1.5fr)"),
            ("Before", "7rem"),
            ("After", "7rem"),
            ("Verified", "5.5rem"),
        ]
        .into_iter()
        .map(|(label, width)| Column {
            label,
            sortable: true,
            width,
        })
        .chain([Column {
            label: "Details",
            sortable: false,
            width: "minmax(14rem,2fr)",
        }])
        .collect(),
        rows,
        row_count: report.actions.len(),
        noun: "targets",
        data: json!({
            "kind": "remediation",
            "total": report.actions.len(),
            "counts": outcomes.iter().map(|o| (o.as_str().to_owned(), json!(count(*o)))).collect::<serde_json::Map<_, _>>(),
        }),
    };
    page.render()
}

impl Page {
    fn render(&self) -> String {
        let mut out = String::with_capacity(self.rows.len() + 16 * 1024);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // No request may leave the page: no fetch, image, font or frame.
        out.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
             script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n",
        );
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(out, "<title>{}</title>", text(&self.title));
        let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
        let _ = writeln!(out, "<header>\n<h1>{}</h1>\n<dl class=\"facts\">", text(&self.title));
        for (label, value) in &self.facts {
            let _ = writeln!(out, "<div><dt>{label}</dt><dd>{}</dd></div>", text(value));
        }
        out.push_str("</dl>\n</header>\n<main>\n");
        self.chart(&mut out);
        self.controls(&mut out);
        let tracks: Vec<&str> = self.columns.iter().map(|c| c.width).collect();
        let _ = write!(
            out,
            "<table id=\"rows\" style=\"--columns:{}\">\n<thead><tr>",
            tracks.join(" ")
        );
        for (index, column) in self.columns.iter().enumerate() {
            if column.sortable {
                let _ = write!(
                    out,
                    "<th scope=\"col\" aria-sort=\"none\"><button type=\"button\" class=\"sort\" data-column=\"{index}\">{}</button></th>",
                    column.label
                );
            } else {
                let _ = write!(out, "<th scope=\"col\">{}</th>", column.label);
            }
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        out.push_str(&self.rows);
        out.push_str("</tbody>\n</table>\n</main>\n");
        let _ = writeln!(
            out,
            "<script type=\"application/json\" id=\"report-data\">{}</script>",
            script_json(&self.data)
        );
        let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
        out
    }

    fn chart(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "<section class=\"chart\" aria-labelledby=\"chart-title\">\n<h2 id=\"chart-title\">{}</h2>",
            self.chart_title
        );
        for bar in &self.bars {
            let total: u64 = bar.segments.iter().map(|(_, n)| n).sum();
            let _ = write!(
                out,
                "<figure class=\"bar\" data-label=\"{}\"><figcaption>{} <span class=\"total\">({total})</span></figcaption>",
                text(&bar.label),
                text(&bar.label)
            );
            let _ = write!(
                out,
                "<svg viewBox=\"0 0 1000 24\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}: {}\">",
                text(&bar.label),
                bar.segments
                    .iter()
                    .map(|(name, n)| format!("{n} {name}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut x = 0.0_f64;
            for (name, n) in &bar.segments {
                if *n == 0 || total == 0 {
                    continue;
                }
                let width = *n as f64 * 1000.0 / total as f64;
                let _ = write!(
                    out,
                    "<rect class=\"seg f-{name}\" data-status=\"{name}\" data-count=\"{n}\" x=\"{x:.2}\" y=\"0\" width=\"{width:.2}\" height=\"24\"><title>{name}: {n}</title></rect>"
                );
                x += width;
            }
            out.push_str("</svg><ul class=\"counts\">");
            for (name, n) in &bar.segments {
                let _ = write!(
                    out,
                    "<li data-status=\"{name}\" data-count=\"{n}\"><span class=\"swatch f-{name}\"></span>{name} <b>{n}</b></li>"
                );
            }
            out.push_str("</ul></figure>\n");
        }
        out.push_str("</section>\n");
    }

    fn controls(&self, out: &mut String) {
        out.push_str(
            "<section class=\"controls\" aria-label=\"Filter\">\n<label>Search <input type=\"search\" id=\"search\" \
             placeholder=\"any text\" autocomplete=\"off\"></label>\n",
        );
        for filter in &self.filters {
            if filter.choices.is_empty() {
                let _ = writeln!(
                    out,
                    "<label>{} <input type=\"text\" class=\"filter\" data-filter=\"{}\" placeholder=\"contains\" autocomplete=\"off\"></label>",
                    filter.label, filter.key
                );
            } else {
                let _ = write!(
                    out,
                    "<label>{} <select class=\"filter\" data-filter=\"{}\"><option value=\"\">all</option>",
                    filter.label, filter.key
                );
                for choice in &filter.choices {
                    let choice = text(choice);
                    let _ = write!(out, "<option value=\"{choice}\">{choice}</option>");
                }
                out.push_str("</select></label>\n");
            }
        }
        let _ = writeln!(
            out,
            "<button type=\"button\" id=\"reset\">Show all</button>\n<p id=\"shown\" role=\"status\" aria-live=\"polite\" data-noun=\"{1}\">{0} of {0} {1} shown</p>\n</section>",
            self.row_count, self.noun
        );
    }
}

/// Text for HTML element content and quoted attribute values: the five
/// special characters as entities, control characters (which HTML forbids)
/// as U+FFFD.
pub(super) fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JSON that can sit inside `<script>`: nothing in it can close the element,
/// open a comment or end a JS line.
fn script_json(value: &serde_json::Value) -> String {
    let json = serde_json::to_string(value).expect("JSON values always serialize");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The page's look, screen and print.
const STYLE: &str = include_str!("report.css");

/// The page's behaviour; it reads only the DOM and the JSON island.
const SCRIPT: &str = include_str!("report.js");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_text_cannot_break_out_of_html_or_script() {
        assert_eq!(
            text("<img src=x onerror=\"a('b')\">&\u{7}"),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;\u{FFFD}"
        );
        let island = script_json(&json!({"account_id": "</script><script>alert(1)</script>\u{2028}"}));
        assert!(!island.contains('<') && !island.contains('>') && !island.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&island).unwrap();
        assert_eq!(back["account_id"], "</script><script>alert(1)</script>\u{2028}");
    }
}
