//! Every option of the public API, named once for every door: `--kebab-case`
//! in the CLI, `snake_case` in Python, `camelCase` in Node. Each binding has a
//! test that fails when it lacks one of [`OPTIONS`].

/// An option of the public API, named once for every door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OptionSpec {
    /// The name in snake case (Python's spelling), e.g. `role_arn`.
    pub name: &'static str,
    /// The CLI flag, when it differs from `--` + the kebab-case name;
    /// `Some("")` when the CLI has no such option (with [`OptionSpec::cli_note`] saying why).
    pub cli_flag: Option<&'static str>,
    /// Why the CLI spells it differently or lacks it.
    pub cli_note: &'static str,
}

impl OptionSpec {
    const fn same(name: &'static str) -> Self {
        Self {
            name,
            cli_flag: None,
            cli_note: "",
        }
    }

    const fn cli(name: &'static str, flag: &'static str, note: &'static str) -> Self {
        Self {
            name,
            cli_flag: Some(flag),
            cli_note: note,
        }
    }

    /// Node's spelling: `roleArn`.
    pub fn camel_case(&self) -> String {
        let mut out = String::with_capacity(self.name.len());
        let mut upper = false;
        for c in self.name.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The CLI's flag (`--role-arn`), or `None` when the CLI has no such option.
    pub fn cli_flag(&self) -> Option<String> {
        match self.cli_flag {
            Some("") => None,
            Some(flag) => Some(flag.to_owned()),
            None => Some(format!("--{}", self.name.replace('_', "-"))),
        }
    }
}

/// A door into the library: each spells an option its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Door {
    /// Rust: the snake_case name (`max_rotation_period_days`).
    Rust,
    /// The command line: the flag (`--max-rotation-period-days`).
    Cli,
    /// Python: the keyword argument (`max_rotation_period_days=`).
    Python,
    /// Node: the option's camelCase name (`maxRotationPeriodDays`).
    Node,
}

impl OptionSpec {
    /// The option as `door` spells it; the CLI spells one it lacks by its name.
    pub fn spelled(&self, door: Door) -> String {
        match door {
            Door::Rust => self.name.to_owned(),
            Door::Cli => self.cli_flag().unwrap_or_else(|| self.name.to_owned()),
            Door::Python => format!("{}=", self.name),
            Door::Node => self.camel_case(),
        }
    }
}

/// The option named `name` (snake_case), if it is one.
pub fn option_named(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|option| option.name == name)
}

/// A message of the core with every option it names spelled as `door` spells
/// it. The core names an option by its snake_case name: one with an
/// underscore anywhere (`rotate_on_demand`), a one-word one (`organization`,
/// `client`) between backticks, which are dropped. A name inside a path
/// (`/tmp/role_name.json`) or a longer word is left alone.
pub fn spell_options(message: &str, door: Door) -> String {
    let bytes = message.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = String::with_capacity(message.len());
    let mut at = 0;
    let mut copied = 0;
    while at < bytes.len() {
        if !word(bytes[at]) || (at > 0 && (word(bytes[at - 1]) || matches!(bytes[at - 1], b'/' | b'.' | b'-'))) {
            at += 1;
            continue;
        }
        let end = at + bytes[at..].iter().take_while(|b| word(**b)).count();
        let name = &message[at..end];
        let next = bytes.get(end).copied();
        // Part of a path or a longer name, a call (`factory(...)`), or already spelled (`name=`).
        let joined = matches!(next, Some(b'/' | b'-' | b'(' | b'='))
            || (next == Some(b'.') && bytes.get(end + 1).is_some_and(|b| word(*b)));
        let quoted = at > 0 && bytes[at - 1] == b'`' && next == Some(b'`');
        match option_named(name) {
            Some(spec) if !joined && (quoted || name.contains('_')) => {
                let (from, to) = if quoted { (at - 1, end + 1) } else { (at, end) };
                out.push_str(&message[copied..from]);
                out.push_str(&spec.spelled(door));
                copied = to;
            }
            _ => {}
        }
        at = end;
    }
    out.push_str(&message[copied..]);
    out
}

/// Every option of `check_key`, `check_account`, `collect`, `remediate` and
/// `remediate_keys`, in all three doors. Each binding has a test that fails
/// when it lacks one.
pub const OPTIONS: &[OptionSpec] = &[
    // Where the clients come from.
    OptionSpec::cli("client", "--snapshot", "the CLI's injected client is a snapshot file"),
    OptionSpec::cli(
        "client_factory",
        "",
        "a factory is code; the CLI reaches other regions through the AWS SDK or the snapshot",
    ),
    OptionSpec::cli(
        "service_client_factory",
        "",
        "a factory is code; the CLI's organisation runs use the built-in AWS client",
    ),
    OptionSpec::cli(
        "regions",
        "--region",
        "one --region per region; --all-regions for every enabled region",
    ),
    OptionSpec::cli(
        "region",
        "--region",
        "with --key, where key ids and aliases are looked up",
    ),
    OptionSpec::same("profile"),
    OptionSpec::same("endpoint_url"),
    OptionSpec::same("role_arn"),
    OptionSpec::same("external_id"),
    OptionSpec::same("session_name"),
    OptionSpec::same("allow_unknown_regions"),
    OptionSpec::same("strict"),
    OptionSpec::cli(
        "credentials",
        "",
        "the CLI reads credentials from the environment and profiles, never from flags",
    ),
    // The policy.
    OptionSpec::same("max_rotation_period_days"),
    OptionSpec::cli(
        "evaluate_disabled_keys",
        "--skip-disabled",
        "disabled keys are evaluated unless --skip-disabled",
    ),
    OptionSpec::cli("exemptions", "--exempt", "one --exempt per rule"),
    OptionSpec::same("rotation_history"),
    OptionSpec::same("max_days_since_rotation"),
    OptionSpec::same("accept_on_demand_rotation"),
    OptionSpec::same("material_expiry_warning_days"),
    OptionSpec::same("last_usage"),
    // What changed since an earlier run.
    OptionSpec::same("baseline"),
    OptionSpec::same("fail_on"),
    // How hard to push the API.
    OptionSpec::cli("max_requests_per_second", "--max-rps", "short form"),
    OptionSpec::same("max_in_flight"),
    OptionSpec::cli("on_progress", "", "the CLI draws a progress bar on a terminal"),
    OptionSpec::cli(
        "on_call",
        "--verbose",
        "the CLI logs every API attempt to stderr with --verbose (or RUST_LOG)",
    ),
    // Whole organisations.
    OptionSpec::same("organization"),
    OptionSpec::cli("organizational_unit", "--ou", "short form"),
    OptionSpec::same("accounts_file"),
    OptionSpec::same("role_name"),
    OptionSpec::cli(
        "include_accounts",
        "--include-account",
        "one --include-account per account",
    ),
    OptionSpec::cli(
        "exclude_accounts",
        "--exclude-account",
        "one --exclude-account per account",
    ),
    OptionSpec::same("max_accounts_in_flight"),
    OptionSpec::same("assume_role_in_caller_account"),
    OptionSpec::same("remediation_role_name"),
    // Remediation.
    OptionSpec::same("rotation_period_days"),
    OptionSpec::same("rotate_on_demand"),
    OptionSpec::same("allow_other_source"),
    OptionSpec::cli("dry_run", "--apply", "the CLI is a dry run unless --apply"),
    // Evidence that re-checks itself (`check_account`).
    OptionSpec::same("evidence"),
    // Delivery.
    OptionSpec::same("to_security_hub"),
    // Declared keys (check_terraform_plan, check_cloudformation).
    OptionSpec::cli(
        "parameters",
        "--parameter",
        "one --parameter NAME=VALUE per CloudFormation parameter",
    ),
    // Declared against live (check_terraform_plan, check_cloudformation with compare_live).
    OptionSpec::same("compare_live"),
    OptionSpec::same("stack_name"),
    OptionSpec::cli(
        "cloudformation_client",
        "",
        "the CLI reads the stack with the built-in AWS client (--profile, --endpoint-url, --region)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_options_as_each_door_spells_them() {
        let message = "invalid max_rotation_period_days \"30\": give `organization`, organizational_unit or \
                       accounts_file (see /tmp/role_name.json, role_name.txt and organization)";
        assert_eq!(
            spell_options(message, Door::Cli),
            "invalid --max-rotation-period-days \"30\": give --organization, --ou or --accounts-file \
             (see /tmp/role_name.json, role_name.txt and organization)"
        );
        assert_eq!(
            spell_options(message, Door::Python),
            "invalid max_rotation_period_days= \"30\": give organization=, organizational_unit= or \
             accounts_file= (see /tmp/role_name.json, role_name.txt and organization)"
        );
        assert_eq!(
            spell_options(message, Door::Node),
            "invalid maxRotationPeriodDays \"30\": give organization, organizationalUnit or accountsFile \
             (see /tmp/role_name.json, role_name.txt and organization)"
        );
        assert_eq!(
            spell_options("`not_an_option` stays", Door::Cli),
            "`not_an_option` stays"
        );
        assert_eq!(spell_options("ends with dry_run.", Door::Cli), "ends with --apply.");
        let call = "client_factory(\"us-east-1\") failed; role_name= is missing";
        assert_eq!(spell_options(call, Door::Python), call);
    }

    #[test]
    fn option_names_per_door() {
        let role = OPTIONS.iter().find(|o| o.name == "role_arn").unwrap();
        assert_eq!(role.camel_case(), "roleArn");
        assert_eq!(role.cli_flag().as_deref(), Some("--role-arn"));
        let factory = OPTIONS.iter().find(|o| o.name == "client_factory").unwrap();
        assert_eq!(factory.cli_flag(), None);
        assert_eq!(factory.camel_case(), "clientFactory");
    }
}
