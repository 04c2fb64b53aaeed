//! The terminal table: what needs work first, columns that stay aligned
//! whatever AWS puts in them, and the command to run next.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::{
    RenderOptions, ReportView, for_people, last_rotated, needs_work, region_state, remediate_command, rotation_words,
    shows_history,
};
use crate::model::Status;
use crate::report::{AccountReport, AccountState, OrganizationReport, RemediationReport, Summary};

/// The widest a key cell gets (a key id is 36; an ARN in its place is cut).
const KEY_WIDTH: usize = 40;
/// The widest an alias or reason cell gets.
const TEXT_WIDTH: usize = 40;

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
    out.push_str(&next_step(&report.summary, 0));
    out.push('\n');
    out
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
        "\n{} accounts: {} checked, {} skipped, {} not checked; {} keys: {}\n",
        accounts.total,
        accounts.checked,
        accounts.skipped,
        accounts.error,
        report.summary.total,
        counts.join(", ")
    ));
    out.push_str(&next_step(&report.summary, accounts.error));
    out.push('\n');
    out
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
            let alias = match f.aliases.as_slice() {
                [] => "-".to_owned(),
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} (+{})", rest.len()),
            };
            let reason = match &f.error {
                Some(error) => format!("{} ({})", f.reason, error.code),
                None => f.reason.to_string(),
            };
            let mut row = vec![
                status,
                Cell::new(&f.region),
                Cell::new(shorten(&f.key_id, KEY_WIDTH)),
                Cell::new(shorten(&alias, TEXT_WIDTH)),
                Cell::new(shorten(&reason, TEXT_WIDTH)),
            ];
            if with_history {
                row.push(Cell::new(last_rotated(f)));
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
            "region {}: {}, {} keys listed{error}\n",
            region.region,
            region_state(region.state),
            region.keys_listed
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
        "{} keys: {}{showing}\n",
        report.summary.total,
        counts.join(", ")
    ));
    out
}

/// The closing line: what to run next.
fn next_step(summary: &Summary, accounts_not_checked: u64) -> String {
    let fails = summary.count(Status::Fail);
    let errors = summary.count(Status::Error);
    let unchecked = summary.regions_not_checked;
    if fails > 0 {
        format!(
            "next: save this check with --format json --output report.json, then run `{}` \
             (a dry run; add --apply to turn rotation on for the {fails} FAIL findings)",
            remediate_command()
        )
    } else if accounts_not_checked > 0 {
        format!(
            "next: nothing FAILs, but {accounts_not_checked} accounts, {errors} ERROR and {unchecked} regions not checked \
             could not be judged: fix the access they name and run the check again"
        )
    } else if errors > 0 || unchecked > 0 {
        format!(
            "next: nothing FAILs, but {errors} ERROR and {unchecked} regions not checked could not be judged: \
             grant the calls they name and run the check again"
        )
    } else {
        "next: nothing to do; every key that can rotate does, within the policy".to_owned()
    }
}

/// A remediation report as a before/after table.
pub(super) fn remediation(report: &RemediationReport) -> String {
    let mut table = new_table(false);
    table.set_header(["OUTCOME", "REGION", "KEY", "BEFORE", "AFTER", "VERIFIED", "MESSAGE"]);
    for a in &report.actions {
        let key = a.target_arn.rsplit('/').next().unwrap_or(&a.target_arn);
        let verified = if a.verified { "yes" } else { "no" };
        table.add_row([
            a.outcome.as_str(),
            &a.region,
            &shorten(key, KEY_WIDTH),
            &rotation_words(&a.before),
            &rotation_words(&a.after),
            verified,
            &one_line(&a.message),
        ]);
    }
    let mut out = lines_of(table);
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
    out.push_str(&format!(
        "\n{} targets ({mode}; period {} days): {}\n",
        report.actions.len(),
        report.rotation_period_days,
        counts.join(", ")
    ));
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
