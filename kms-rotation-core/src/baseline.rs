//! What a report says about its baseline run (`--baseline PREVIOUS.json`):
//! each finding's [`BaselineState`](crate::BaselineState), the counts, the
//! baseline's findings whose keys are gone, and which failures decide the exit
//! code ([`FailOn`]). The comparison itself is in `comparison`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{BaselineState, Finding, Status, Timestamp};

/// Which failures decide the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailOn {
    /// Every `FAIL` (exit 2) and `ERROR` (exit 3): the default.
    #[default]
    Any,
    /// Only `new` and `regressed` findings against the baseline: a `FAIL`
    /// exits 2, an `ERROR` 3. A region or account not checked still exits 3
    /// (what it holds could not be compared). Needs a baseline.
    New,
}

impl FailOn {
    /// The spelling of the option's value: `any` or `new`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Any => "any",
            FailOn::New => "new",
        }
    }
}

impl std::str::FromStr for FailOn {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "any" => Ok(FailOn::Any),
            "new" => Ok(FailOn::New),
            _ => Err(Error::invalid("fail_on", text, "expected any or new")),
        }
    }
}

impl std::fmt::Display for FailOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Findings counted by how they compare with the baseline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineCounts {
    /// Keys not in the baseline.
    pub new: u64,
    /// As in the baseline.
    pub unchanged: u64,
    /// Failing in the baseline and passing now, or gone.
    pub resolved: u64,
    /// Passing in the baseline and failing now (or `ERROR` then, `FAIL` now).
    pub regressed: u64,
}

impl BaselineCounts {
    /// The count for one state.
    pub fn count(&self, state: BaselineState) -> u64 {
        match state {
            BaselineState::New => self.new,
            BaselineState::Unchanged => self.unchanged,
            BaselineState::Resolved => self.resolved,
            BaselineState::Regressed => self.regressed,
        }
    }

    pub(crate) fn add(&mut self, state: BaselineState) {
        *match state {
            BaselineState::New => &mut self.new,
            BaselineState::Unchanged => &mut self.unchanged,
            BaselineState::Resolved => &mut self.resolved,
            BaselineState::Regressed => &mut self.regressed,
        } += 1;
    }
}

/// How a report compares with its baseline: what the report's `baseline`
/// field holds (each finding carries its own `baseline_state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BaselineComparison {
    /// When the baseline run was made.
    pub generated_at: Timestamp,
    /// Which failures decide the exit code.
    pub fail_on: FailOn,
    /// Findings counted by state; `resolved` includes the gone findings.
    pub counts: BaselineCounts,
    /// The baseline's findings whose keys this run did not list (deleted, or
    /// no longer in the selection), each marked `resolved`, in report order.
    pub gone: Vec<Finding>,
    /// Baseline findings in regions or accounts this run could not check:
    /// neither resolved nor unchanged, and not in `gone`.
    pub not_compared: u64,
    /// The baseline's findings of keys this run judged otherwise (another
    /// status, reason or message): what they were, in report order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<Finding>,
}

impl BaselineComparison {
    /// The exit code under [`FailOn::New`]: 2 for a new or regressed `FAIL`;
    /// else 3 for a new or regressed `ERROR`, or when something was not
    /// checked (`unchecked`); else 0.
    pub(crate) fn exit_code(&self, findings: &[Finding], unchecked: bool) -> u8 {
        let worse = |status: Status| {
            findings.iter().any(|f| {
                f.status == status && matches!(f.baseline_state, Some(BaselineState::New | BaselineState::Regressed))
            })
        };
        if worse(Status::Fail) {
            2
        } else if worse(Status::Error) || unchecked {
            3
        } else {
            0
        }
    }

    /// The baseline's findings of the keys it judged otherwise (`changed`),
    /// found by the key a finding is about.
    pub fn previous_findings(&self) -> PreviousFindings<'_> {
        PreviousFindings(self.changed.iter().map(|old| (key_of(old), old)).collect())
    }

    /// One line for people: `Since the baseline of 2026-12-01T00:00:00Z: 1 new, 0 regressed, 3 unchanged, 2 resolved.`
    pub fn summary_line(&self) -> String {
        let counts: Vec<String> = BaselineState::ALL
            .iter()
            .map(|s| format!("{} {s}", self.counts.count(*s)))
            .collect();
        let mut line = format!("Since the baseline of {}: {}", self.generated_at, counts.join(", "));
        if self.not_compared > 0 {
            line.push_str(&format!(
                "; {} not compared (region or account not checked)",
                self.not_compared
            ));
        }
        line.push('.');
        line
    }
}

/// A finding's key: account, region, ARN, id.
type KeyOf<'a> = (Option<&'a str>, &'a str, &'a str, &'a str);

fn key_of(f: &Finding) -> KeyOf<'_> {
    (f.account_id.as_deref(), &f.region, &f.key_arn, &f.key_id)
}

/// What the baseline said about the keys judged otherwise now, by key.
#[derive(Debug)]
pub struct PreviousFindings<'a>(std::collections::HashMap<KeyOf<'a>, &'a Finding>);

impl<'a> PreviousFindings<'a> {
    /// The baseline's finding of the key `finding` is about, when the baseline judged it otherwise.
    pub fn of(&self, finding: &Finding) -> Option<&'a Finding> {
        self.0.get(&key_of(finding)).copied()
    }
}
