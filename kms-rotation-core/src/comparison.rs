//! What changed since an earlier run: `--baseline PREVIOUS.json` (the
//! canonical JSON report of that run) marks each finding `new`, `unchanged`,
//! `resolved` or `regressed` ([`BaselineState`]), keeps the baseline's findings
//! whose keys are gone (as `resolved`), and, with `--fail-on new`
//! ([`FailOn::New`]), makes the exit code depend only on new and regressed
//! failures.
//!
//! A baseline from another account, region set, scope or policy is refused,
//! naming what differs: the policy, the regions and an organisation's scope
//! before any call; the account as soon as the run knows it (after listing),
//! before anything is written.
//!
//! A key is the same key when its account, region and ARN are. A baseline
//! finding in a region or account that this run could not check is neither
//! resolved nor unchanged: it is counted as not compared.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::baseline::{BaselineComparison, BaselineCounts, FailOn};
use crate::error::{Error, Result};
use crate::model::{BaselineState, Finding, Status, Timestamp};
use crate::policy::Policy;
use crate::report::{AccountReport, AccountState, OrganizationReport, RegionState};

/// An earlier run's report, to compare a check with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    report: BaselineReport,
    /// Where it was read: the file as given, or `baseline`.
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum BaselineReport {
    Account(Box<AccountReport>),
    Organization(Box<OrganizationReport>),
}

impl Baseline {
    /// Reads a report written by `to_json` (an account or an organisation report).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (`baseline`) with line and column when the text is not such a report.
    pub fn from_json(text: &str) -> Result<Self> {
        Self::read(text, "baseline")
    }

    /// Reads the report file at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; as [`Baseline::from_json`], naming the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::read(&text, &path.display().to_string())
    }

    fn read(text: &str, name: &str) -> Result<Self> {
        let is_organization = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .is_some_and(|value| value.get("accounts").is_some());
        let report = if is_organization {
            OrganizationReport::from_json(text).map(|r| BaselineReport::Organization(Box::new(r)))
        } else {
            AccountReport::from_json(text).map(|r| BaselineReport::Account(Box::new(r)))
        };
        let report = report.map_err(|error| match error {
            Error::InvalidInput { value, reason, .. } => Error::invalid(
                "baseline",
                name,
                format!("not a report that check wrote as json: {value}: {reason}"),
            ),
            other => other,
        })?;
        Ok(Self {
            report,
            name: name.to_owned(),
        })
    }

    /// When the baseline run was made.
    pub fn generated_at(&self) -> Timestamp {
        match &self.report {
            BaselineReport::Account(r) => r.generated_at,
            BaselineReport::Organization(r) => r.generated_at,
        }
    }

    fn policy(&self) -> &Policy {
        match &self.report {
            BaselineReport::Account(r) => &r.policy,
            BaselineReport::Organization(r) => &r.policy,
        }
    }

    fn refuse(&self, what: String) -> Error {
        Error::invalid(
            "baseline",
            self.name.clone(),
            format!("{what}; compare runs of the same account, regions and policy"),
        )
    }

    /// Refuses the baseline, before any call, when the run's policy differs,
    /// or (`regions`: the regions it will check, when known) its region set.
    pub(crate) fn check_account_run(&self, policy: &Policy, regions: Option<&[String]>) -> Result<()> {
        let BaselineReport::Account(baseline) = &self.report else {
            return Err(self.refuse("it is an organisation report, and this is one account's check".to_owned()));
        };
        self.check_policy(policy)?;
        if let Some(regions) = regions {
            let mut now: Vec<&str> = regions.iter().map(String::as_str).collect();
            now.sort_unstable();
            now.dedup();
            let then: Vec<&str> = baseline.regions.iter().map(|r| r.region.as_str()).collect();
            if now != then {
                return Err(self.refuse(format!(
                    "its regions are {}, this run's are {}",
                    list(&then),
                    list(&now)
                )));
            }
        }
        Ok(())
    }

    /// Refuses the baseline, before any call, when the organisation run's
    /// policy or scope (`organization`, an OU id, `accounts_file`) differs.
    pub(crate) fn check_organization_run(&self, policy: &Policy, scope: &str) -> Result<()> {
        let BaselineReport::Organization(baseline) = &self.report else {
            return Err(self.refuse("it is one account's report, and this is an organisation's check".to_owned()));
        };
        self.check_policy(policy)?;
        if baseline.scope != scope {
            return Err(self.refuse(format!("its scope is {}, this run's is {scope}", baseline.scope)));
        }
        Ok(())
    }

    fn check_policy(&self, policy: &Policy) -> Result<()> {
        let then = policy_fields(self.policy());
        let now = policy_fields(policy);
        let differences: Vec<String> = then
            .keys()
            .chain(now.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|name| then.get(*name) != now.get(*name))
            .map(|name| {
                let show = |v: Option<&serde_json::Value>| v.map_or_else(|| "unset".to_owned(), ToString::to_string);
                format!(
                    "policy.{name} is {} in the baseline, {} now",
                    show(then.get(name)),
                    show(now.get(name))
                )
            })
            .collect();
        if differences.is_empty() {
            Ok(())
        } else {
            Err(self.refuse(format!("its policy differs: {}", differences.join("; "))))
        }
    }

    /// Marks an account report's findings against the baseline and records the
    /// comparison in it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (`baseline`) when the baseline is another
    /// account's, another region set's or another policy's.
    pub fn apply_to_account(&self, report: &mut AccountReport, fail_on: FailOn) -> Result<()> {
        let regions: Vec<String> = report.regions.iter().map(|r| r.region.clone()).collect();
        self.check_account_run(&report.policy, Some(&regions))?;
        let BaselineReport::Account(baseline) = &self.report else {
            unreachable!("check_account_run refuses an organisation baseline")
        };
        if let (Some(then), Some(now)) = (&baseline.account_id, &report.account_id)
            && then != now
        {
            return Err(self.refuse(format!("it is account {then}'s, this run is account {now}'s")));
        }
        let checked: Vec<&str> = report
            .regions
            .iter()
            .filter(|r| r.state == RegionState::Scanned)
            .map(|r| r.region.as_str())
            .collect();
        let account = report.account_id.clone();
        report.baseline = Some(compare(
            &mut report.findings,
            account.as_deref(),
            &baseline.findings,
            baseline.account_id.as_deref(),
            |f| checked.contains(&f.region.as_str()),
            self.generated_at(),
            fail_on,
        ));
        Ok(())
    }

    /// Marks an organisation report's findings against the baseline and
    /// records the comparison in it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (`baseline`) when the baseline is another
    /// scope's or another policy's, or one account's report.
    pub fn apply_to_organization(&self, report: &mut OrganizationReport, fail_on: FailOn) -> Result<()> {
        self.check_organization_run(&report.policy, &report.scope)?;
        let BaselineReport::Organization(baseline) = &self.report else {
            unreachable!("check_organization_run refuses an account baseline")
        };
        let checked: std::collections::HashSet<(&str, &str)> = report
            .accounts
            .iter()
            .filter(|a| a.state == AccountState::Checked)
            .flat_map(|a| {
                a.regions
                    .iter()
                    .filter(|r| r.state == RegionState::Scanned)
                    .map(|r| (a.account_id.as_str(), r.region.as_str()))
            })
            .collect();
        let generated_at = self.generated_at();
        report.baseline = Some(compare(
            &mut report.findings,
            None,
            &baseline.findings,
            None,
            |f| checked.contains(&(f.account_id.as_deref().unwrap_or_default(), f.region.as_str())),
            generated_at,
            fail_on,
        ));
        Ok(())
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The policy's fields as its JSON has them, to name the ones that differ.
fn policy_fields(policy: &Policy) -> BTreeMap<String, serde_json::Value> {
    match serde_json::to_value(policy) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// How bad a status is, for the comparison: passing 0, `ERROR` 1, `FAIL` 2.
fn badness(status: Status) -> u8 {
    match status {
        Status::Fail => 2,
        Status::Error => 1,
        Status::Pass | Status::NotApplicable | Status::Exempt => 0,
    }
}

/// The state of a finding whose key had `then` in the baseline (`None`: not there).
fn state(then: Option<Status>, now: Status) -> BaselineState {
    let Some(then) = then else { return BaselineState::New };
    match badness(now).cmp(&badness(then)) {
        std::cmp::Ordering::Greater => BaselineState::Regressed,
        std::cmp::Ordering::Less if badness(now) == 0 => BaselineState::Resolved,
        _ => BaselineState::Unchanged,
    }
}

/// A key's identity across runs: account, region, ARN (the key id when the ARN is unknown).
fn identity<'a>(f: &'a Finding, account: Option<&'a str>) -> (&'a str, &'a str, &'a str) {
    let key = if f.key_arn.is_empty() { &f.key_id } else { &f.key_arn };
    (
        f.account_id.as_deref().or(account).unwrap_or_default(),
        f.region.as_str(),
        key.as_str(),
    )
}

/// Marks `findings` against the baseline's, and collects the gone ones.
/// `checked` tells whether a baseline finding's region (and account) was checked this run.
fn compare(
    findings: &mut [Finding],
    account: Option<&str>,
    baseline: &[Finding],
    baseline_account: Option<&str>,
    checked: impl Fn(&Finding) -> bool,
    generated_at: Timestamp,
    fail_on: FailOn,
) -> BaselineComparison {
    // A report without an account id (no key listed) matches on region and ARN alone.
    let both = account.is_some() && baseline_account.is_some();
    let (account, baseline_account) = if both {
        (account, baseline_account)
    } else {
        (None, None)
    };
    let owned = |(a, r, k): (&str, &str, &str)| (a.to_owned(), r.to_owned(), k.to_owned());
    let then: HashMap<(String, String, String), &Finding> = baseline
        .iter()
        .map(|f| (owned(identity(f, baseline_account)), f))
        .collect();
    let mut counts = BaselineCounts::default();
    let mut changed = Vec::new();
    let mut seen = HashSet::new();
    for finding in findings.iter_mut() {
        let id = owned(identity(finding, account));
        let old = then.get(&id).copied();
        let state = state(old.map(|f| f.status), finding.status);
        finding.baseline_state = Some(state);
        counts.add(state);
        if let Some(old) = old
            && (old.status, old.reason, &old.message) != (finding.status, finding.reason, &finding.message)
        {
            let mut old = old.clone();
            old.account_id.clone_from(&finding.account_id);
            old.region.clone_from(&finding.region);
            old.baseline_state = None;
            changed.push(old);
        }
        seen.insert(id);
    }
    let mut gone = Vec::new();
    let mut not_compared = 0;
    for old in baseline {
        if seen.contains(&owned(identity(old, baseline_account))) {
            continue;
        }
        if checked(old) {
            let mut old = old.clone();
            old.baseline_state = Some(BaselineState::Resolved);
            counts.add(BaselineState::Resolved);
            gone.push(old);
        } else {
            not_compared += 1;
        }
    }
    BaselineComparison {
        generated_at,
        fail_on,
        counts,
        gone,
        not_compared,
        changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_how_bad_a_key_was_and_is() {
        use BaselineState::*;
        use Status::*;
        assert_eq!(state(None, Pass), New);
        assert_eq!(state(None, Fail), New);
        assert_eq!(state(Some(Pass), Pass), Unchanged);
        assert_eq!(state(Some(Fail), Fail), Unchanged);
        assert_eq!(state(Some(Fail), Error), Unchanged, "not known to be fixed");
        assert_eq!(state(Some(Error), Fail), Regressed);
        assert_eq!(state(Some(Pass), Fail), Regressed);
        assert_eq!(state(Some(NotApplicable), Error), Regressed);
        assert_eq!(state(Some(Fail), Pass), Resolved);
        assert_eq!(state(Some(Error), Exempt), Resolved);
        assert_eq!(state(Some(Exempt), Pass), Unchanged);
    }

    #[test]
    fn fail_on_is_spelled_any_or_new() {
        assert_eq!("new".parse::<FailOn>().unwrap(), FailOn::New);
        assert_eq!("any".parse::<FailOn>().unwrap(), FailOn::Any);
        let error = "old".parse::<FailOn>().unwrap_err().to_string();
        assert!(error.contains("fail_on") && error.contains("old"), "{error}");
    }
}
