//! Which accounts an organisation run covers and through which role: the
//! [`OrganizationOptions`], validated before any call.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::arn::{Arn, check_external_id, check_session_name};
use crate::error::{Error, Result};
use crate::json_input::{check_unique_keys, text_of};
use crate::model::MemberAccount;

/// How many accounts an organisation run checks at once by default.
pub const DEFAULT_MAX_ACCOUNTS_IN_FLIGHT: usize = 8;

/// The session name CloudTrail records when none is given.
pub(crate) const DEFAULT_SESSION_NAME: &str = "kms-rotation";

/// Which accounts a run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountScope {
    /// Every account of the organisation (`ListAccounts`).
    Organization,
    /// Every account under an organizational unit (or the root), recursively
    /// (`ListAccountsForParent`, `ListOrganizationalUnitsForParent`).
    OrganizationalUnit(String),
    /// The accounts of a file, each with the role ARN to assume there; for
    /// setups without Organizations access.
    AccountsFile {
        /// The file, for messages.
        path: PathBuf,
        /// Account id → role ARN.
        roles: BTreeMap<String, String>,
    },
}

/// A role to assume in an account.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoleSession {
    /// `arn:<partition>:iam::<account>:role/<name>`.
    pub role_arn: String,
    /// The external id its trust policy requires, if any.
    pub external_id: Option<String>,
    /// The session name CloudTrail records.
    pub session_name: String,
}

impl RoleSession {
    /// The role `role_arn`, with the external id its trust policy requires
    /// (if any) and the session name CloudTrail records (else `kms-rotation`).
    pub fn new(role_arn: impl Into<String>, external_id: Option<String>, session_name: Option<String>) -> Self {
        Self {
            role_arn: role_arn.into(),
            external_id,
            session_name: session_name.unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        }
    }
}

impl fmt::Debug for RoleSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleSession")
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id.as_ref().map(|_| ".."))
            .field("session_name", &self.session_name)
            .finish()
    }
}

/// The caller of an organisation run: its account and partition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallerAccount {
    /// The caller's account id.
    pub account_id: String,
    /// Its partition (`aws`, `aws-cn`, `aws-us-gov`, …): the member roles' too.
    pub partition: String,
    /// The caller's ARN, when the identity call said.
    pub arn: Option<String>,
}

impl CallerAccount {
    /// The caller `account_id` in `partition`.
    pub fn new(account_id: impl Into<String>, partition: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            partition: partition.into(),
            arn: None,
        }
    }

    /// The same caller, with its ARN.
    pub fn with_arn(mut self, arn: impl Into<String>) -> Self {
        self.arn = Some(arn.into());
        self
    }
}

/// The organisation settings of a run: which accounts, through which role.
///
/// ```
/// use kms_rotation_core::OrganizationOptions;
/// let options = OrganizationOptions::default()
///     .with_organization(true)
///     .with_role_name("KmsRotationAudit")
///     .with_exclude_accounts(["111122223333"])
///     .with_max_accounts_in_flight(4);
/// options.check()?;
/// assert!(OrganizationOptions::default().with_organization(true).with_role_name("bad name").check().is_err());
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationOptions {
    organization: bool,
    organizational_unit: Option<String>,
    accounts_file: Option<PathBuf>,
    role_name: Option<String>,
    remediation_role_name: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    include_accounts: Vec<String>,
    exclude_accounts: Vec<String>,
    max_accounts_in_flight: Option<usize>,
    assume_role_in_caller_account: bool,
}

impl OrganizationOptions {
    /// Every account of the organisation.
    pub fn with_organization(mut self, organization: bool) -> Self {
        self.organization = organization;
        self
    }

    /// Every account under this organizational unit (`ou-…`) or root (`r-…`), recursively.
    pub fn with_organizational_unit(mut self, id: impl Into<String>) -> Self {
        self.organizational_unit = Some(id.into());
        self
    }

    /// The accounts of a JSON file `{"111122223333": "arn:aws:iam::111122223333:role/NAME", …}`.
    pub fn with_accounts_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.accounts_file = Some(path.into());
        self
    }

    /// The role assumed in each account: `arn:<partition>:iam::<account>:role/<role_name>`.
    pub fn with_role_name(mut self, name: impl Into<String>) -> Self {
        self.role_name = Some(name.into());
        self
    }

    /// The role remediation assumes instead (default: the role name).
    pub fn with_remediation_role_name(mut self, name: impl Into<String>) -> Self {
        self.remediation_role_name = Some(name.into());
        self
    }

    /// The external id the member roles' trust policy requires.
    pub fn with_external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// The session name CloudTrail records in each account (default `kms-rotation`).
    pub fn with_session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = Some(name.into());
        self
    }

    /// Only these accounts (of those listed).
    pub fn with_include_accounts<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.include_accounts.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Not these accounts.
    pub fn with_exclude_accounts<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude_accounts.extend(ids.into_iter().map(Into::into));
        self
    }

    /// How many accounts are checked at once (default 8); each has its own
    /// per-region request budgets, as its quotas are its own.
    pub fn with_max_accounts_in_flight(mut self, accounts: usize) -> Self {
        self.max_accounts_in_flight = Some(accounts);
        self
    }

    /// Assume the role in the caller's own account too (by default the
    /// caller's account is checked with the caller's credentials).
    pub fn with_assume_role_in_caller_account(mut self, assume: bool) -> Self {
        self.assume_role_in_caller_account = assume;
        self
    }

    /// Whether any of these settings makes the run an organisation run.
    pub fn is_enabled(&self) -> bool {
        self.organization || self.organizational_unit.is_some() || self.accounts_file.is_some()
    }

    /// Whether any setting was given at all (those that need an organisation run included).
    pub(crate) fn is_given(&self) -> bool {
        *self != OrganizationOptions::default()
    }

    /// The first setting given (its option name and value), to name in an error:
    /// the scope first, then what needs one.
    pub(crate) fn first_given(&self) -> (&'static str, String) {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let given = [
            (self.organization, "organization", "true".to_owned()),
            (
                self.organizational_unit.is_some(),
                "organizational_unit",
                text(&self.organizational_unit),
            ),
            (
                self.accounts_file.is_some(),
                "accounts_file",
                self.accounts_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            (self.role_name.is_some(), "role_name", text(&self.role_name)),
            (
                self.remediation_role_name.is_some(),
                "remediation_role_name",
                text(&self.remediation_role_name),
            ),
            (
                !self.include_accounts.is_empty(),
                "include_accounts",
                self.include_accounts.join(","),
            ),
            (
                !self.exclude_accounts.is_empty(),
                "exclude_accounts",
                self.exclude_accounts.join(","),
            ),
            (
                self.max_accounts_in_flight.is_some(),
                "max_accounts_in_flight",
                self.max_accounts_in_flight.map(|n| n.to_string()).unwrap_or_default(),
            ),
            (
                self.assume_role_in_caller_account,
                "assume_role_in_caller_account",
                "true".to_owned(),
            ),
        ];
        given
            .into_iter()
            .find(|(is_given, ..)| *is_given)
            .map_or(("organization", "false".to_owned()), |(_, name, value)| (name, value))
    }

    /// Accounts checked at once.
    pub fn max_accounts_in_flight(&self) -> usize {
        self.max_accounts_in_flight.unwrap_or(DEFAULT_MAX_ACCOUNTS_IN_FLIGHT)
    }

    /// Whether the caller's own account is reached through the role too.
    pub fn assume_role_in_caller_account(&self) -> bool {
        self.assume_role_in_caller_account
    }

    /// The accounts to include (empty: all).
    pub fn include_accounts(&self) -> &[String] {
        &self.include_accounts
    }

    /// The accounts to leave out.
    pub fn exclude_accounts(&self) -> &[String] {
        &self.exclude_accounts
    }

    /// Checks every setting and reads the accounts file: bad input is named
    /// here, before any call.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the value: a malformed account id, role
    /// name, OU id, external id or session name; an account both included and
    /// excluded; a scope given twice or not at all; no role name where one is
    /// needed; settings without an organisation run. An unreadable or
    /// malformed accounts file is [`Error::Io`] / [`Error::InvalidInput`]
    /// naming the file and the entry.
    pub fn check(&self) -> Result<AccountScope> {
        let scopes = [
            self.organization,
            self.organizational_unit.is_some(),
            self.accounts_file.is_some(),
        ];
        let given = scopes.iter().filter(|s| **s).count();
        if given == 0 {
            let what = self.first_given();
            return Err(Error::invalid(
                what.0,
                what.1,
                "it applies to an organisation run, which needs `organization`, organizational_unit or accounts_file",
            ));
        }
        if given > 1 {
            return Err(Error::invalid(
                "organization",
                "organization + organizational_unit + accounts_file",
                "give exactly one of `organization`, organizational_unit and accounts_file",
            ));
        }
        for name in [&self.role_name, &self.remediation_role_name].into_iter().flatten() {
            check_role_name(name)?;
        }
        if let Some(id) = &self.external_id {
            check_external_id(id)?;
        }
        check_session_name(self.session_name.as_deref().unwrap_or(DEFAULT_SESSION_NAME))?;
        for id in self.include_accounts.iter().chain(&self.exclude_accounts) {
            check_account_id(id)?;
        }
        if let Some(both) = self
            .include_accounts
            .iter()
            .find(|id| self.exclude_accounts.contains(id))
        {
            return Err(Error::invalid(
                "include_accounts",
                both.clone(),
                "the account is also excluded",
            ));
        }
        if self.max_accounts_in_flight == Some(0) {
            return Err(Error::invalid("max_accounts_in_flight", "0", "must be at least 1"));
        }
        if let Some(path) = &self.accounts_file {
            if let Some(name) = &self.role_name {
                return Err(Error::invalid(
                    "role_name",
                    name.clone(),
                    "the accounts file names each account's role; give one or the other",
                ));
            }
            return Ok(AccountScope::AccountsFile {
                path: path.clone(),
                roles: read_accounts_file(path)?,
            });
        }
        if self.role_name.is_none() {
            return Err(Error::invalid(
                "role_name",
                "",
                "an organisation run assumes a role in each account: name it (e.g. KmsRotationAudit)",
            ));
        }
        Ok(match &self.organizational_unit {
            Some(id) => {
                check_parent_id(id)?;
                AccountScope::OrganizationalUnit(id.clone())
            }
            None => AccountScope::Organization,
        })
    }

    /// The role to assume in `account` (or `None`: the caller's credentials),
    /// for a check (`remediation` false) or a remediation.
    pub(crate) fn role_for(
        &self,
        scope: &AccountScope,
        caller: &CallerAccount,
        account: &str,
        remediation: bool,
    ) -> Option<RoleSession> {
        if account == caller.account_id && !self.assume_role_in_caller_account {
            return None;
        }
        let name = match remediation {
            true => self.remediation_role_name.as_ref().or(self.role_name.as_ref()),
            false => self.role_name.as_ref(),
        };
        let role_arn = match (scope, name) {
            (AccountScope::AccountsFile { roles, .. }, None) => roles.get(account)?.clone(),
            (AccountScope::AccountsFile { roles, .. }, Some(name)) => {
                // The file's partition; the remediation role's name.
                let partition = roles
                    .get(account)
                    .and_then(|arn| Arn::partition_of(arn))
                    .unwrap_or_else(|| caller.partition.clone());
                format!("arn:{partition}:iam::{account}:role/{name}")
            }
            (_, Some(name)) => format!("arn:{}:iam::{account}:role/{name}", caller.partition),
            (_, None) => return None,
        };
        Some(RoleSession {
            role_arn,
            external_id: self.external_id.clone(),
            session_name: self
                .session_name
                .clone()
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
        })
    }
}

/// A 12-digit account id.
///
/// # Errors
/// [`Error::InvalidInput`] naming the value.
pub fn check_account_id(id: &str) -> Result<()> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid("account id", id, "must be 12 digits, e.g. 111122223333"))
    }
}

fn check_role_name(name: &str) -> Result<()> {
    check_role_name_as("role_name", name)
}

/// A role's name as IAM takes it (what `role_name` is), named as `what` in the error.
pub(crate) fn check_role_name_as(what: &'static str, name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            what,
            name,
            "must be 1 to 64 characters of A-Z a-z 0-9 + = , . @ _ - (the role's name, not its ARN)",
        ))
    }
}

/// An OU id (`ou-` + 4..32 + `-` + 8..32 of `a-z0-9`) or a root id (`r-` + 4..32).
fn check_parent_id(id: &str) -> Result<()> {
    let part = |text: &str, min: usize, max: usize| {
        (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let ok = match (id.strip_prefix("ou-"), id.strip_prefix("r-")) {
        (Some(rest), _) => rest
            .split_once('-')
            .is_some_and(|(root, unit)| part(root, 4, 32) && part(unit, 8, 32)),
        (_, Some(root)) => part(root, 4, 32),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "organizational_unit",
            id,
            "must be an OU id like ou-ab12-cd34ef56 or a root id like r-ab12",
        ))
    }
}

/// Reads `{"111122223333": "arn:aws:iam::111122223333:role/NAME", …}`.
fn read_accounts_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let name = path.display().to_string();
    let bad = |at: String, why: String| Error::invalid("accounts_file", format!("{name}: {at}"), why);
    let text = text_of(&bytes).map_err(|p| bad(format!("line {}, column {}", p.line, p.column), p.message))?;
    check_unique_keys(text).map_err(|p| bad(format!("line {}, column {}", p.line, p.column), p.message))?;
    let shape = "expected a JSON object of account id to role ARN, e.g. {\"111122223333\": \"arn:aws:iam::111122223333:role/KmsRotationAudit\"}";
    let roles: BTreeMap<String, String> = serde_json::from_str(text).map_err(|e| {
        bad(
            format!("line {}, column {}", e.line(), e.column()),
            format!("{e}; {shape}"),
        )
    })?;
    if roles.is_empty() {
        return Err(bad("{}".to_owned(), format!("it names no account; {shape}")));
    }
    for (account, role_arn) in &roles {
        check_account_id(account).map_err(|_| bad(account.clone(), "not a 12-digit account id".to_owned()))?;
        let arn = Arn::parse_role(role_arn).map_err(|_| {
            bad(
                format!("{account}: {role_arn}"),
                "not a role ARN like arn:aws:iam::111122223333:role/NAME".to_owned(),
            )
        })?;
        if &arn.account_id != account {
            return Err(bad(
                format!("{account}: {role_arn}"),
                "the role ARN is in another account".to_owned(),
            ));
        }
    }
    Ok(roles)
}

/// Account ids as the include / exclude lists and the listing give them, in order.
pub(crate) fn select(listed: Vec<MemberAccount>, options: &OrganizationOptions) -> (Vec<MemberAccount>, Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    let mut chosen: Vec<MemberAccount> = listed
        .into_iter()
        .filter(|a| seen.insert(a.account_id.clone()))
        .filter(|a| !options.exclude_accounts.contains(&a.account_id))
        .filter(|a| options.include_accounts.is_empty() || options.include_accounts.contains(&a.account_id))
        .collect();
    chosen.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    // An included account the listing does not hold is named, not dropped.
    let missing = options
        .include_accounts
        .iter()
        .filter(|id| !seen.contains(*id))
        .cloned()
        .collect();
    (chosen, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> OrganizationOptions {
        OrganizationOptions::default()
            .with_organization(true)
            .with_role_name("Audit")
    }

    #[test]
    fn bad_input_is_named() {
        for (options, named) in [
            (org().with_include_accounts(["12345"]), "12345"),
            (org().with_exclude_accounts(["11112222333x"]), "11112222333x"),
            (org().with_role_name("arn:aws:iam::111122223333:role/A"), "arn:aws"),
            (
                OrganizationOptions::default()
                    .with_organizational_unit("ou-XY")
                    .with_role_name("A"),
                "ou-XY",
            ),
            (org().with_session_name("a b"), "a b"),
            (org().with_external_id("x"), "\"x\""),
            (
                org()
                    .with_include_accounts(["111122223333"])
                    .with_exclude_accounts(["111122223333"]),
                "111122223333",
            ),
            (OrganizationOptions::default().with_organization(true), "role_name"),
            (OrganizationOptions::default().with_role_name("A"), "role_name"),
            (org().with_max_accounts_in_flight(0), "max_accounts_in_flight"),
            (org().with_accounts_file("/nonexistent/accounts.json"), "accounts_file"),
        ] {
            let error = options.check().unwrap_err().to_string();
            assert!(error.contains(named), "{named}: {error}");
        }
        assert!(check_parent_id("ou-ab12-cd34ef56").is_ok());
        assert!(check_parent_id("r-ab12").is_ok());
    }

    #[test]
    fn accounts_file_entries_are_checked() {
        let dir = std::env::temp_dir().join(format!("kms-rotation-accounts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("accounts.json");
        for (text, named) in [
            (r#"{"1111": "arn:aws:iam::111122223333:role/A"}"#, "1111"),
            (
                r#"{"111122223333": "arn:aws:iam::444455556666:role/A"}"#,
                "another account",
            ),
            (r#"{"111122223333": "KmsAudit"}"#, "KmsAudit"),
            (
                r#"{"111122223333": "arn:aws:iam::111122223333:role/A", "111122223333": "x"}"#,
                "line 1",
            ),
            (r#"["111122223333"]"#, "expected a JSON object"),
        ] {
            std::fs::write(&file, text).unwrap();
            let error = OrganizationOptions::default()
                .with_accounts_file(&file)
                .check()
                .unwrap_err()
                .to_string();
            assert!(error.contains(named), "{named}: {error}");
            assert!(error.contains("accounts.json"), "{error}");
        }
        std::fs::write(&file, r#"{"111122223333": "arn:aws:iam::111122223333:role/A"}"#).unwrap();
        let scope = OrganizationOptions::default()
            .with_accounts_file(&file)
            .check()
            .unwrap();
        assert!(matches!(scope, AccountScope::AccountsFile { roles, .. } if roles.len() == 1));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn roles_follow_the_partition_and_spare_the_caller() {
        let caller = CallerAccount::new("111122223333", "aws-us-gov");
        let options = org().with_remediation_role_name("Fix");
        let scope = options.check().unwrap();
        assert_eq!(options.role_for(&scope, &caller, "111122223333", false), None);
        let role = options.role_for(&scope, &caller, "444455556666", false).unwrap();
        assert_eq!(role.role_arn, "arn:aws-us-gov:iam::444455556666:role/Audit");
        let fix = options.role_for(&scope, &caller, "444455556666", true).unwrap();
        assert_eq!(fix.role_arn, "arn:aws-us-gov:iam::444455556666:role/Fix");
        let all = options.with_assume_role_in_caller_account(true);
        assert!(all.role_for(&scope, &caller, "111122223333", false).is_some());
    }
}
