//! The terminal table: what needs work first, columns that stay aligned
//! whatever AWS puts in them, and the command to run next.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::{
    RenderOptions, ReportView, code_fix, for_people, last_rotated, needs_work, region_shown, region_state,
    remediate_command, rotation_words, shows_history, subject_and_place,
};
use crate::api::ErrorKind;
use crate::baseline::BaselineComparison;
use crate::model::{BaselineState, ErrorInfo, Finding, Reason, Status};
use crate::report::{AccountReport, AccountState, OrganizationReport, RemediationReport, ReportSource, Summary};

/// The widest a key cell gets (a key id is 36; an ARN in its place is cut).
const KEY_WIDTH: usize = 40;
/// The widest an alias or reason cell gets.
const TEXT_WIDTH: usize = 40;
/// The narrowest a key, alias or reason cell is shortened to, to fit the width.
const MIN_WIDTHS: [usize; 3] = [11, 14, 24];

/// A check report as a table: an account's, or an organisation's accounts
/// and then each account's (see [`organization`]).
pub(super) fn check(report: ReportView<'_>, options: RenderOptions) -> String {
    match report {
        ReportView::Account(report) => account(report, options),
        ReportView::Organization(report) => organization(report, options),
    }
}

/// A check report as a table, `FAIL` and `ERROR` first, with the regions,
/// the counts and a closing line naming the next command.
fn account(report: &AccountReport, options: RenderOptions) -> String {
    let mut out = body(report, options);
    // Declared keys are fixed in code: each failing one with its change, and
    // what leaves each unresolved one open.
    for f in report.findings_with(Status::Fail) {
        if let Some(fix) = code_fix(f) {
            out.push_str(&wrap(&format!("fix {}: {fix}", subject_and_place(f)), options.width()));
        }
    }
    for f in report
        .findings_with(Status::Error)
        .filter(|f| f.reason == Reason::Unresolved)
    {
        if let Some(error) = &f.error {
            let line = format!("unresolved {}: {}", subject_and_place(f), error.message);
            out.push_str(&wrap(&line, options.width()));
        }
    }
    let problems = errors_of(&report.findings).chain(report.regions.iter().filter_map(|r| r.error.as_ref()));
    out.push_str(&wrap(
        &next_step(&report.summary, &report.findings, 0, report.source.as_ref(), problems),
        options.width(),
    ));
    out.push_str(&since_baseline(
        &report.findings,
        report.baseline.as_ref(),
        options.width(),
    ));
    out
}

/// With a baseline: a line per key that got worse or is gone, and, last, the
/// counts of each state. Empty without a baseline.
fn since_baseline(findings: &[Finding], baseline: Option<&BaselineComparison>, width: usize) -> String {
    let Some(baseline) = baseline else {
        return String::new();
    };
    let mut out = String::new();
    let key = |f: &Finding| {
        let account = f.account_id.as_deref().map(|a| format!("{a}/")).unwrap_or_default();
        let alias = f.aliases.first().map(|a| format!(" ({a})")).unwrap_or_default();
        format!("{account}{} {}{alias}", region_shown(&f.region), f.key_id)
    };
    for f in for_people(findings) {
        if let Some(state @ (BaselineState::New | BaselineState::Regressed)) = f.baseline_state
            && needs_work(f)
        {
            out.push_str(&wrap(
                &format!("{state} since the baseline: {} {} {}", f.status, f.reason, key(f)),
                width,
            ));
        }
    }
    for old in &baseline.gone {
        out.push_str(&wrap(
            &format!("resolved, key gone: {} (was {} {})", key(old), old.status, old.reason),
            width,
        ));
    }
    out.push_str(&wrap(&baseline.summary_line(), width));
    out
}

/// The errors of the findings that are `ERROR`.
fn errors_of(findings: &[Finding]) -> impl Iterator<Item = &ErrorInfo> {
    findings.iter().filter_map(|f| f.error.as_deref())
}

/// `1 key`, `2 keys`.
fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// An organisation report: one line per account, then each checked account's
/// findings, regions and counts under its own heading, then the totals.
fn organization(report: &OrganizationReport, options: RenderOptions) -> String {
    let mut table = new_table(options.color);
    table.set_header(vec![
        "ACCOUNT",
        "NAME",
        "STATE",
        "FAIL",
        "ERROR",
        "PASS",
        "EXEMPT",
        "N/A",
        "REGIONS NOT CHECKED",
    ]);
    for account in &report.accounts {
        let state = match (&account.error, &account.organizations_state) {
            (Some(error), _) => format!("{} ({})", account.state.as_str(), one_line(&error.code)),
            (None, Some(aws)) if account.state == AccountState::Skipped => format!("skipped ({aws})"),
            _ => account.state.as_str().to_owned(),
        };
        let s = &account.summary;
        let not_checked = account
            .regions
            .iter()
            .filter(|r| r.state != crate::report::RegionState::Scanned)
            .count();
        table.add_row(vec![
            account.account_id.clone(),
            shorten(&one_line(account.name.as_deref().unwrap_or("-")), TEXT_WIDTH),
            shorten(&state, TEXT_WIDTH),
            s.fail.to_string(),
            s.error.to_string(),
            s.pass.to_string(),
            s.exempt.to_string(),
            s.not_applicable.to_string(),
            not_checked.to_string(),
        ]);
    }
    let mut out = lines_of(table);
    out.push('\n');
    for account in &report.accounts {
        match account.state {
            AccountState::Checked => {
                let Some(view) = report.account_report(&account.account_id) else {
                    continue;
                };
                out.push_str(&format!(
                    "\n== account {}{} ==\n",
                    account.account_id,
                    account
                        .name
                        .as_deref()
                        .map(|n| format!(" ({})", one_line(n)))
                        .unwrap_or_default()
                ));
                out.push_str(&body(&view, options));
            }
            AccountState::Skipped => out.push_str(&format!(
                "\naccount {}: skipped, Organizations state {}\n",
                account.account_id,
                account.organizations_state.as_deref().unwrap_or("unknown")
            )),
            AccountState::Error => {
                let error = account
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {}", one_line(&e.code), one_line(&e.message)))
                    .unwrap_or_default();
                out.push_str(&format!("\naccount {}: not checked ({error})\n", account.account_id));
            }
        }
    }
    let counts: Vec<String> = Status::ALL
        .iter()
        .map(|s| format!("{} {}", report.summary.count(*s), s.as_str()))
        .collect();
    let accounts = &report.account_summary;
    out.push_str(&format!(
        "\n{}: {} checked, {} skipped, {} not checked; {}: {}\n",
        count(accounts.total, "account"),
        accounts.checked,
        accounts.skipped,
        accounts.error,
        count(report.summary.total, "key"),
        counts.join(", ")
    ));
    let problems = errors_of(&report.findings)
        .chain(report.accounts.iter().filter_map(|a| a.error.as_ref()))
        .chain(
            report
                .accounts
                .iter()
                .flat_map(|a| a.regions.iter().filter_map(|r| r.error.as_ref())),
        );
    let source = organization_source(report);
    out.push_str(&wrap(
        &next_step(
            &report.summary,
            &report.findings,
            accounts.error,
            Some(&source),
            problems,
        ),
        options.width(),
    ));
    out.push_str(&since_baseline(
        &report.findings,
        report.baseline.as_ref(),
        options.width(),
    ));
    out
}

/// How an organisation report's keys are reached again: its scope and role.
fn organization_source(report: &OrganizationReport) -> ReportSource {
    let role_name = report.accounts.iter().find_map(|a| {
        a.role_arn
            .as_deref()?
            .rsplit_once(":role/")
            .map(|(_, name)| name.to_owned())
    });
    ReportSource {
        organization: Some(report.scope.clone()),
        role_name,
        ..ReportSource::default()
    }
}

/// The findings table, the regions and the counts of one account.
fn body(report: &AccountReport, options: RenderOptions) -> String {
    let shown: Vec<_> = for_people(&report.findings)
        .into_iter()
        .filter(|f| !options.only_failing || needs_work(f))
        .collect();
    let mut out = String::new();
    if shown.is_empty() && options.only_failing {
        out.push_str("no FAIL or ERROR findings\n");
    } else {
        let mut table = new_table(options.color);
        let with_history = shows_history(ReportView::Account(report));
        let mut header = vec!["STATUS", "REGION", "KEY", "ALIAS", "REASON"];
        if with_history {
            header.push("LAST ROTATED");
        }
        let with_usage = shown.iter().any(|f| f.last_usage.is_some());
        if with_usage {
            header.push("LAST USED");
        }
        let widths = fitted_widths(&shown, &header, options.width());
        table.set_header(header);
        for f in shown.iter().copied() {
            let mut status = Cell::new(f.status.as_str());
            if options.color {
                status = status.fg(match f.status {
                    Status::Pass => Color::Green,
                    Status::Fail => Color::Red,
                    Status::Error => Color::Yellow,
                    Status::Exempt => Color::Cyan,
                    Status::NotApplicable => Color::Grey,
                });
            }
            let mut row = vec![
                status,
                Cell::new(region_shown(&f.region)),
                Cell::new(shorten(super::key_label(f), widths[0])),
                Cell::new(shorten_alias(&alias_cell(f), widths[1])),
                Cell::new(fitted_reason(f, widths[2])),
            ];
            if with_history {
                row.push(Cell::new(last_rotated(f)));
            }
            if with_usage {
                row.push(Cell::new(last_used(f)));
            }
            table.add_row(row);
        }
        out.push_str(&lines_of(table));
    }
    out.push('\n');
    for region in &report.regions {
        let error = region
            .error
            .as_ref()
            .map(|e| format!(" ({}: {})", one_line(&e.code), one_line(&e.message)))
            .unwrap_or_default();
        out.push_str(&format!(
            "region {}: {}, {} listed{error}\n",
            region.region,
            region_state(region.state),
            count(region.keys_listed, "key")
        ));
    }
    let counts: Vec<String> = Status::ALL
        .iter()
        .map(|s| format!("{} {}", report.summary.count(*s), s.as_str()))
        .collect();
    let showing = if options.only_failing {
        format!(" (showing the {} FAIL and ERROR)", shown.len())
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{}: {}{showing}\n",
        count(report.summary.total, "key"),
        counts.join(", ")
    ));
    for rule in report.unused_exemptions() {
        out.push_str(&format!("exemption {rule} matched no key\n"));
    }
    out
}

fn alias_cell(f: &Finding) -> String {
    match f.aliases.as_slice() {
        [] => "-".to_owned(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (+{})", rest.len()),
    }
}

/// The reason and the fact behind it: the error code, the period that is too long.
/// The table's "last used" cell: the date and operation, `not since DATE`
/// (tracking began then), `unknown` (the read failed), or `-` when not read.
fn last_used(f: &Finding) -> String {
    let day = |at: crate::model::Timestamp| at.to_rfc3339()[..10].to_owned();
    match f.last_usage.as_deref() {
        None => "-".to_owned(),
        Some(usage) if usage.error.is_some() => "unknown".to_owned(),
        Some(usage) => match (usage.last_used_at, &usage.operation, usage.tracking_start_date) {
            (Some(at), Some(op), _) => format!("{} {op}", day(at)),
            (Some(at), None, _) => day(at),
            (None, _, Some(since)) => format!("not since {}", day(since)),
            (None, _, None) => "never".to_owned(),
        },
    }
}

fn reason_cell(f: &Finding) -> String {
    match reason_fact(f) {
        Some(fact) => format!("{} {fact}", f.reason),
        None => f.reason.to_string(),
    }
}

fn reason_fact(f: &Finding) -> Option<String> {
    let fact = verdict_fact(f);
    // Material about to expire is named whatever the verdict: the key stops working then.
    let expiry = f
        .key_material
        .as_deref()
        .filter(|m| m.expires_in_days.is_some())
        .and_then(|m| m.valid_to)
        .map(|at| format!("(material expires {})", &at.to_rfc3339()[..10]));
    match (fact, expiry) {
        (Some(fact), Some(expiry)) => Some(format!("{fact} {expiry}")),
        (fact, expiry) => fact.or(expiry),
    }
}

fn verdict_fact(f: &Finding) -> Option<String> {
    if f.reason == Reason::RotationPending {
        return f
            .key_material
            .as_deref()
            .and_then(|m| m.pending_key_material_id.as_deref())
            .map(|id| format!("(material {} pending)", &id[..id.len().min(8)]));
    }
    match (&f.error, &f.rotation) {
        // The code of a missing or invalid record is the reason itself.
        (Some(error), _) if f.reason == Reason::ApiError => Some(format!(
            "({})",
            error.code.strip_suffix("Exception").unwrap_or(&error.code)
        )),
        (None, Some(rotation)) if f.reason == Reason::RotationPeriodTooLong => {
            Some(format!("({} days)", rotation.effective_period_days()))
        }
        _ => None,
    }
}

/// The reason cell in `width` characters: the fact kept whole where it fits,
/// the reason shortened before it.
fn fitted_reason(f: &Finding, width: usize) -> String {
    let whole = reason_cell(f);
    match reason_fact(f) {
        Some(fact) if whole.chars().count() > width && fact.chars().count() + 8 <= width => {
            let room = width - fact.chars().count() - 1;
            format!("{} {fact}", shorten(f.reason.as_str(), room))
        }
        _ => shorten(&whole, width),
    }
}

/// An alias cell in `width` characters: without its `alias/` prefix before
/// anything else is cut (the column says it is an alias).
fn shorten_alias(alias: &str, width: usize) -> String {
    if alias.chars().count() <= width {
        return one_line(alias);
    }
    shorten(alias.strip_prefix("alias/").unwrap_or(alias), width)
}

/// The widths of the key, alias and reason columns: each as wide as its
/// widest cell (at most its cap), then the widest narrowed first, down to
/// [`MIN_WIDTHS`], until the row fits `width`.
fn fitted_widths(shown: &[&Finding], header: &[&str], width: usize) -> [usize; 3] {
    let chars = |text: &str| text.chars().count();
    let widest = |cell: &dyn Fn(&Finding) -> String, title: &str, cap: usize| {
        shown
            .iter()
            .map(|f| chars(&one_line(&cell(f))))
            .max()
            .unwrap_or(0)
            .max(title.len())
            .min(cap)
    };
    let mut widths = [
        widest(&|f| super::key_label(f).to_owned(), "KEY", KEY_WIDTH),
        widest(&alias_cell, "ALIAS", TEXT_WIDTH),
        widest(&reason_cell, "REASON", TEXT_WIDTH),
    ];
    let status = shown.iter().map(|f| f.status.as_str().len()).max().unwrap_or(0).max(6);
    let region = shown
        .iter()
        .map(|f| chars(region_shown(&f.region)))
        .max()
        .unwrap_or(0)
        .max(6);
    let history = if header.contains(&"LAST ROTATED") {
        shown.iter().map(|f| chars(&last_rotated(f))).max().unwrap_or(0).max(12) + 2
    } else {
        0
    };
    let history = history
        + if header.contains(&"LAST USED") {
            shown.iter().map(|f| chars(&last_used(f))).max().unwrap_or(0).max(9) + 2
        } else {
            0
        };
    let fixed = status + region + history + 2 * 4;
    while fixed + widths.iter().sum::<usize>() > width {
        let slack = |i: usize| widths[i].saturating_sub(MIN_WIDTHS[i]);
        let Some(i) = (0..3).filter(|i| slack(*i) > 0).max_by_key(|i| slack(*i)) else {
            break;
        };
        widths[i] -= 1;
    }
    widths
}

/// Text broken into lines of at most `width` characters, at spaces where it can be.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push_str(line.trim_end());
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The closing line: what to run next, from where the keys were read.
fn next_step<'a>(
    summary: &Summary,
    findings: &[Finding],
    accounts_not_checked: u64,
    source: Option<&ReportSource>,
    problems: impl Iterator<Item = &'a ErrorInfo>,
) -> String {
    let fails = summary.count(Status::Fail);
    let errors = summary.count(Status::Error);
    let unchecked = summary.regions_not_checked;
    let in_code = |f: &&Finding| f.status == Status::Fail && f.code.is_some();
    let drifted = findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.reason == Reason::Drift)
        .count() as u64;
    if drifted > 0 && findings.iter().filter(in_code).count() as u64 == fails {
        return format!(
            "next: bring the {} back to the code (apply it again, or change the code to what is meant), \
             then check it again",
            count(drifted, "drifted key")
        );
    }
    if fails > 0 && findings.iter().filter(in_code).count() as u64 == fails {
        return format!(
            "next: make the {} above in the code, then check it again",
            count(fails, "change")
        );
    }
    if fails > 0 {
        let overdue = findings
            .iter()
            .filter(|f| f.status == Status::Fail && f.reason == Reason::RotationOverdue)
            .count() as u64;
        let turned_on = match fails - overdue {
            0 => String::new(),
            n => format!("add --apply to turn rotation on for the {}", count(n, "FAIL finding")),
        };
        let rotated = match overdue {
            0 => String::new(),
            n => format!(
                "{}{} overdue need --rotate-on-demand",
                if turned_on.is_empty() { "" } else { "; " },
                count(n, "key")
            ),
        };
        format!(
            "next: save this check with --format json --output report.json, then run `{}` (a dry run; {turned_on}{rotated})",
            remediate_command(source)
        )
    } else if accounts_not_checked > 0 || errors > 0 || unchecked > 0 {
        let accounts = match accounts_not_checked {
            0 => String::new(),
            n => format!("{}, ", count(n, "account")),
        };
        format!(
            "next: nothing FAILs, but {accounts}{errors} ERROR and {} not checked could not be judged: {}, then run the check again",
            count(unchecked, "region"),
            advice(problems)
        )
    } else {
        "next: nothing to do; every key that can rotate does, within the policy".to_owned()
    }
}

/// What to do about the errors, by their kind: grant the IAM actions denied,
/// check the names not found, the endpoint or network that did not answer,
/// collect a snapshot whose records lack the facts again.
fn advice<'a>(problems: impl Iterator<Item = &'a ErrorInfo>) -> String {
    let mut denied: Vec<String> = Vec::new();
    let mut steps: Vec<&str> = Vec::new();
    for problem in problems {
        let step = match ErrorKind::from_code(&problem.code) {
            ErrorKind::AccessDenied => {
                let action = match problem.operation.as_deref() {
                    Some(op @ ("AssumeRole" | "GetCallerIdentity")) => format!("sts:{op}"),
                    Some(op @ ("ListAccounts" | "ListChildren" | "DescribeOrganization")) => {
                        format!("organizations:{op}")
                    }
                    Some(op) => format!("kms:{op}"),
                    None => "the calls named".to_owned(),
                };
                if !denied.contains(&action) {
                    denied.push(action);
                }
                continue;
            }
            ErrorKind::NotFound => "check the key names given (no such key or alias)",
            ErrorKind::Throttling | ErrorKind::Retryable => "check the endpoint and the network (no answer came back)",
            ErrorKind::InvalidResponse => "check the endpoint (its answers were not valid KMS answers)",
            ErrorKind::MissingEvidence | ErrorKind::IncompleteMetadata => {
                "collect the snapshot again (its records lack facts the check needs)"
            }
            ErrorKind::RegionNotEnabled => "check the credentials and the regions (the credentials were refused)",
            ErrorKind::Unresolved => {
                "give the values the code leaves open (--parameter for a CloudFormation parameter), or check the \
                 keys once deployed"
            }
            _ => "read the errors named above",
        };
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    let mut all = Vec::new();
    if !denied.is_empty() {
        denied.sort();
        all.push(format!("grant the IAM actions denied ({})", denied.join(", ")));
    }
    all.extend(steps.into_iter().map(str::to_owned));
    if all.is_empty() {
        "read the errors named above".to_owned()
    } else {
        all.join("; ")
    }
}

/// A remediation report as a before/after table (with the account in an
/// organisation's), each action's message wrapped under its row.
pub(super) fn remediation(report: &RemediationReport) -> String {
    let width = super::DEFAULT_WIDTH;
    let with_account = report.actions.iter().any(|a| a.account_id.is_some());
    let mut table = new_table(false);
    let mut header = vec!["OUTCOME"];
    if with_account {
        header.push("ACCOUNT");
    }
    header.extend(["REGION", "KEY", "BEFORE", "AFTER", "VERIFIED"]);
    table.set_header(header);
    let key_width = if with_account { 14 } else { 20 };
    for a in &report.actions {
        let key = a.target_arn.rsplit('/').next().unwrap_or(&a.target_arn);
        let verified = if a.verified { "yes" } else { "no" };
        let mut row = vec![a.outcome.as_str().to_owned()];
        if with_account {
            row.push(a.account_id.clone().unwrap_or_else(|| "-".to_owned()));
        }
        row.extend([
            a.region.clone(),
            shorten(key, key_width),
            rotation_words(&a.before),
            rotation_words(&a.after),
            verified.to_owned(),
        ]);
        table.add_row(row);
    }
    let table = lines_of(table);
    let mut rows = table.lines();
    let mut out = String::new();
    if let Some(header) = rows.next() {
        out.push_str(header);
        out.push('\n');
    }
    for (line, action) in rows.zip(&report.actions) {
        out.push_str(line);
        out.push('\n');
        for message_line in wrap(&one_line(&action.message), width - 4).lines() {
            out.push_str(&format!("    {message_line}\n"));
        }
    }
    let counts: Vec<String> = report
        .summary
        .iter()
        .map(|(o, n)| format!("{n} {}", o.as_str()))
        .collect();
    let mode = if report.dry_run {
        "dry run, nothing changed"
    } else {
        "applied"
    };
    let mut closing = format!(
        "{} ({mode}; period {} days): {}",
        count(report.actions.len() as u64, "target"),
        report.rotation_period_days,
        counts.join(", ")
    );
    if report.dry_run
        && report
            .actions
            .iter()
            .any(|a| a.outcome == crate::report::Outcome::WouldChange)
    {
        closing.push_str("; run the same command with --apply to make these changes");
    }
    out.push('\n');
    out.push_str(&wrap(&closing, width));
    out
}

fn new_table(color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if color {
        // Asked for colour (`--color always`, or auto on a terminal): style even through a pipe.
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

/// Text on one line, control characters shown as spaces: a newline from AWS
/// must not break a row in two.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// At most `width` characters on one line: a longer value keeps its start and
/// its end (where ARNs and ids differ) around an ellipsis.
pub(super) fn shorten(text: &str, width: usize) -> String {
    let text = one_line(text);
    let count = text.chars().count();
    if count <= width {
        return text;
    }
    let head = (width - 1) / 2;
    let tail = width - 1 - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

/// The table's lines: columns two spaces apart, no margin, no trailing spaces.
fn lines_of(mut table: Table) -> String {
    table.column_iter_mut().for_each(|column| {
        column.set_padding((0, 2));
    });
    table.lines().map(|line| line.trim_end().to_owned() + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_keep_both_ends() {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-4069dbf922ff8269470b6a6e2515cfbc";
        let short = shorten(arn, KEY_WIDTH);
        assert_eq!(short.chars().count(), KEY_WIDTH);
        assert!(short.starts_with("arn:aws:kms:"));
        assert!(short.ends_with("6e2515cfbc"));
        assert_eq!(shorten("a\nb", 10), "a b");
        assert_eq!(shorten("short", 10), "short");
    }
}
