//! The `kms-rotation` command line (feature `cli`): `check`, `remediate` and
//! `collect` over a live account (AWS SDK) or a snapshot file, in nine output
//! formats. The `kms-rotation` binary of this crate, the Python console script
//! and the Node `bin` all run [`main`] / [`run`], so the flags, output and exit
//! codes are the same in every package.
//!
//! `cargo install kms-rotation-core --features cli`, then
//! `kms-rotation check --snapshot examples/data/demo-account.json`
//! (`--help` lists every flag and the exit codes).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::{
    AccountReport, AccountState, Baseline, CheckOptions, Connection, ConnectionOptions, Door, FailOn, Format,
    OrganizationOptions, OrganizationReport, Policy, ProgressEvent, RegionReport, Regions, RemediateOptions,
    RenderOptions, Snapshot, Timestamp, render, render_organization, render_remediation, spell_options,
};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

const EXIT_CODES: &str = "\
Exit codes:
  0  check: every region checked, no FAIL and no ERROR finding;
     remediate: every target ended (or, in a dry run, would end) compliant;
     collect: every region read
  1  usage or configuration error (bad flag or value, unreadable file,
     no credentials or region, credentials refused in every region)
  2  check: at least one FAIL finding;
     remediate: a target was skipped, failed or not verified
  3  check: no FAIL, but an ERROR finding (we could not tell), a region not
     checked, or (with --organization, --ou or --accounts-file) an account
     not checked; collect: a region could not be read
  4  verify-evidence: the evidence does not give the report (a file changed
     after it was written, another tool version, a re-check that differs)
  With check --baseline PREVIOUS.json --fail-on new, only findings new or
  regressed since the baseline count: 2 for such a FAIL, 3 for such an ERROR
  (or a region or account not checked), else 0.

Set SOURCE_DATE_EPOCH to fix the report's timestamp and zero its duration
(reproducible output).";

#[derive(Debug, Parser)]
#[command(
    name = "kms-rotation",
    version,
    about = "Checks that every AWS KMS key that can rotate is set to rotate automatically, often enough - and turns rotation on where it is off.",
    after_help = EXIT_CODES,
    // Wrap to the terminal however wide it is (clap stops at 100 by default).
    max_term_width = 0
)]
struct Cli {
    /// Log every API call (operation, region, outcome, latency, attempt) to stderr;
    /// RUST_LOG (e.g. kms_rotation=debug) selects finer. Credentials are never logged.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check every key of the selected regions and print the findings.
    Check(CheckArgs),
    /// Enable rotation for the keys a check found failing (dry run unless --apply).
    Remediate(RemediateArgs),
    /// Save an account's KMS facts as a snapshot file, to check offline later.
    Collect(CollectArgs),
    /// Re-check the evidence `check --evidence` wrote, offline, and confirm it gives the same report.
    VerifyEvidence(VerifyEvidenceArgs),
}

#[derive(Debug, Args)]
struct Selection {
    /// A region to check (repeatable); with --key, where key ids and aliases are looked up.
    /// Default: the configured region, or every region of the snapshot.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Every region enabled for the account (discovered at run time).
    #[arg(long, conflicts_with = "regions")]
    all_regions: bool,
    /// The AWS shared config profile to use.
    #[arg(long)]
    profile: Option<String>,
    /// Send every AWS request to this endpoint (an emulator, a VPC endpoint).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Assume this role first, e.g. an audit role in another account.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// The external id the role's trust policy requires (--role-arn's, or --role-name's in each account).
    #[arg(long)]
    external_id: Option<String>,
    /// The session name CloudTrail records for the assumed role (default kms-rotation).
    #[arg(long)]
    session_name: Option<String>,
    #[command(flatten)]
    organization: OrganizationArgs,
    /// Accept region names this version does not know (a region newer than it).
    #[arg(long)]
    allow_unknown_regions: bool,
    /// Refuse a snapshot file with any key entry that cannot be read completely
    /// (by default such a key is an ERROR finding naming the field, and the rest is judged).
    #[arg(long, requires = "snapshot")]
    strict: bool,
    /// Read the account from a CloudSploit collection (`cloudsploit --collection FILE`) instead of AWS.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["snapshot", "profile", "endpoint_url", "role_arn", "all_regions"])]
    cloudsploit_collection: Option<PathBuf>,
    /// Read the account from a snapshot file instead of AWS (offline).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "endpoint_url", "role_arn", "all_regions"])]
    snapshot: Option<PathBuf>,
    /// Requests per second per region and operation, at most (default: half of each KMS quota).
    #[arg(long, value_name = "RPS", allow_hyphen_values = true, value_parser = parse_rate)]
    max_rps: Option<f64>,
    /// Keys worked on at once per region (default 128).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_count)]
    max_in_flight: Option<usize>,
}

/// Whole organisations: every account, through a role in each.
#[derive(Debug, Args)]
struct OrganizationArgs {
    /// Check every account of the AWS Organization (Organizations ListAccounts), through --role-name in each.
    #[arg(long)]
    organization: bool,
    /// Check every account under this organizational unit (ou-...) or root (r-...), recursively.
    #[arg(long, value_name = "OU")]
    ou: Option<String>,
    /// Check the accounts of this JSON file, {"111122223333": "arn:aws:iam::111122223333:role/NAME", ...},
    /// each through its role (for setups without Organizations access).
    #[arg(long, value_name = "FILE")]
    accounts_file: Option<PathBuf>,
    /// The role assumed in each account: arn:PARTITION:iam::ACCOUNT:role/NAME.
    #[arg(long, value_name = "NAME")]
    role_name: Option<String>,
    /// Only this account (repeatable).
    #[arg(long, value_name = "ACCOUNT_ID")]
    include_account: Vec<String>,
    /// Not this account (repeatable).
    #[arg(long, value_name = "ACCOUNT_ID")]
    exclude_account: Vec<String>,
    /// Accounts checked at once (default 8); each has its own per-region request budgets.
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_count)]
    max_accounts_in_flight: Option<usize>,
    /// Assume the role in the caller's own account too (by default it is checked with the caller's credentials).
    #[arg(long)]
    assume_role_in_caller_account: bool,
    /// The role remediation assumes in each account (default: --role-name).
    #[arg(long, value_name = "NAME")]
    remediation_role_name: Option<String>,
}

impl OrganizationArgs {
    /// The core's organisation settings, as given (the core checks them).
    fn options(&self) -> OrganizationOptions {
        let mut options = OrganizationOptions::default()
            .with_organization(self.organization)
            .with_include_accounts(self.include_account.iter().cloned())
            .with_exclude_accounts(self.exclude_account.iter().cloned())
            .with_assume_role_in_caller_account(self.assume_role_in_caller_account);
        if let Some(ou) = &self.ou {
            options = options.with_organizational_unit(ou);
        }
        if let Some(path) = &self.accounts_file {
            options = options.with_accounts_file(path);
        }
        if let Some(name) = &self.role_name {
            options = options.with_role_name(name);
        }
        if let Some(name) = &self.remediation_role_name {
            options = options.with_remediation_role_name(name);
        }
        if let Some(n) = self.max_accounts_in_flight {
            options = options.with_max_accounts_in_flight(n);
        }
        options
    }
}

#[derive(Debug, Args)]
struct PolicyArgs {
    /// The longest acceptable rotation period, 90..=2560 days (default 365).
    #[arg(long, value_name = "DAYS", allow_hyphen_values = true, value_parser = parse_days)]
    max_rotation_period_days: Option<u32>,
    /// Report disabled keys NOT_APPLICABLE instead of checking them.
    #[arg(long)]
    skip_disabled: bool,
    /// Exempt a key: key id, key ARN, alias/NAME or tag:KEY=VALUE (repeatable).
    #[arg(long, value_name = "RULE")]
    exempt: Vec<String>,
    /// Read each judged key's rotation history (ListKeyRotations, one call per key at
    /// 100 requests per second): findings show when and how it last rotated.
    #[arg(long)]
    rotation_history: bool,
    /// A key passes only if it rotated (or, never rotated, was created) at most this
    /// many days ago, 1..=2560; reads the rotation history. Imported-material keys are
    /// then judged by their on-demand rotations instead of NOT_APPLICABLE.
    #[arg(long, value_name = "DAYS", allow_hyphen_values = true, value_parser = parse_whole_days)]
    max_days_since_rotation: Option<u32>,
    /// Pass a key whose automatic rotation is off if it was rotated on demand within the
    /// window (--max-days-since-rotation, else the maximum period); reads the rotation history.
    #[arg(long)]
    accept_on_demand_rotation: bool,
    /// Name imported key material that expires within this many days (0..=3650,
    /// default 30) in the finding and every format; the verdict does not change.
    #[arg(long, value_name = "DAYS", allow_hyphen_values = true, value_parser = parse_whole_days)]
    material_expiry_warning_days: Option<u32>,
    /// Read each FAIL and ERROR key's last use (GetKeyLastUsage, one call per such
    /// key): findings say when and how the key was last used, and failures are listed
    /// most recently used first. Never called without this flag.
    #[arg(long)]
    last_usage: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Check only this key: key id, key ARN, alias/NAME or alias ARN (repeatable).
    #[arg(long, value_name = "KEY")]
    key: Vec<String>,
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format: table, json, csv, ocsf, asff, cloudsploit, html, markdown, junit or sarif.
    #[arg(long, default_value = "table", value_parser = parse_format)]
    format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    display: DisplayArgs,
    /// Also write the facts the verdicts were made on to FILE (a snapshot file: --snapshot reads it back),
    /// and beside it a manifest (NAME.manifest.json: SHA-256 of report and evidence, tool version, policy)
    /// that `verify-evidence FILE` re-checks; the report is --output, else NAME.report.json. One account.
    #[arg(long, value_name = "FILE")]
    evidence: Option<PathBuf>,
    /// Compare with an earlier run's report (check --format json): each finding is marked
    /// new, unchanged, resolved or regressed, and keys gone since are listed. A report of
    /// another account, region set or policy is refused.
    #[arg(long, value_name = "PREVIOUS.json")]
    baseline: Option<PathBuf>,
    /// Which failures set the exit code: any (default) or new (only new and regressed
    /// findings against --baseline: exit 2 for a FAIL, 3 for an ERROR or a region not checked).
    #[arg(long, value_name = "WHEN", default_value = "any", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Import the findings into AWS Security Hub in each key's region (BatchImportFindings,
    /// one finding per key, updated in place; findings of deleted keys archived).
    #[arg(long)]
    to_security_hub: bool,
    #[command(flatten)]
    declarations: DeclarationArgs,
}

/// Keys declared in code, checked before they exist.
#[derive(Debug, Args)]
struct DeclarationArgs {
    /// Check the keys a Terraform plan declares instead of live keys: the JSON of
    /// `terraform show -json PLANFILE` (or of `terraform show -json` on a state).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cloudformation", "key"])]
    terraform_plan: Option<PathBuf>,
    /// Check the keys CloudFormation templates declare instead of live keys: a template
    /// (JSON or YAML) or a directory of them, such as CDK's cdk.out (repeatable).
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "key")]
    cloudformation: Vec<PathBuf>,
    /// A CloudFormation parameter's value, NAME=VALUE, over its default (repeatable).
    #[arg(long = "parameter", value_name = "NAME=VALUE")]
    parameters: Vec<String>,
    /// Compare each declared key whose id is known (a state's, a plan's prior state's, or
    /// with --stack-name the deployed stack's) with its live key, read fresh: a difference
    /// (rotation, period, disabled, pending deletion, not found) is FAIL drift, with both values.
    #[arg(long)]
    compare_live: bool,
    /// With --cloudformation --compare-live: the deployed stack (name or stack id) whose
    /// keys' physical ids are read (DescribeStackResources) in --region, else the profile's region.
    #[arg(long, value_name = "NAME")]
    stack_name: Option<String>,
}

impl DeclarationArgs {
    fn is_set(&self) -> bool {
        self.terraform_plan.is_some() || !self.cloudformation.is_empty()
    }

    /// The declared keys' report, judged under `policy`; nothing live is read.
    fn check(&self, selection: &Selection, policy: Policy) -> Result<AccountReport, Failure> {
        self.refuse_live_flags(selection)?;
        let options = self.options(policy)?;
        let report = match &self.terraform_plan {
            Some(path) => crate::check_terraform_plan(&crate::DeclarationSource::path(path), &options)?,
            None => {
                let sources: Vec<_> = self.cloudformation.iter().map(crate::DeclarationSource::path).collect();
                crate::check_cloudformation(&sources, &options)?
            }
        };
        Ok(report)
    }

    /// Refuses the flags of live checks (but, with --compare-live, those that say where the live keys are).
    fn refuse_live_flags(&self, selection: &Selection) -> Result<(), Failure> {
        let live = [
            ("--snapshot", selection.snapshot.is_some()),
            ("--cloudsploit-collection", selection.cloudsploit_collection.is_some()),
            ("--region", !selection.regions.is_empty()),
            ("--all-regions", selection.all_regions),
            ("--profile", selection.profile.is_some()),
            ("--endpoint-url", selection.endpoint_url.is_some()),
            ("--role-arn", selection.role_arn.is_some()),
            ("--organization", selection.organization.organization),
            ("--ou", selection.organization.ou.is_some()),
            ("--accounts-file", selection.organization.accounts_file.is_some()),
        ];
        // With --compare-live, these choose where the live keys are read.
        let live_source = ["--snapshot", "--region", "--profile", "--endpoint-url", "--role-arn"];
        if let Some((flag, _)) = live
            .iter()
            .find(|(flag, given)| *given && !(self.compare_live && live_source.contains(flag)))
        {
            return Err(format!(
                "{flag} reads live keys; --terraform-plan and --cloudformation check the keys the code declares \
                 (with --compare-live: --region, --profile, --endpoint-url, --role-arn or --snapshot say where the live keys are)"
            )
            .into());
        }
        Ok(())
    }

    /// The declared keys compared with their live keys (`--compare-live`), read through `source`.
    async fn compare_live(
        &self,
        source: &Source,
        selection: &Selection,
        policy: Policy,
    ) -> Result<AccountReport, Failure> {
        let options = self.options(policy.clone())?;
        let check = source.check_options(selection, policy)?;
        let mut report = match &self.terraform_plan {
            Some(path) => {
                source
                    .connection
                    .check_terraform_plan(&crate::DeclarationSource::path(path), &options, &check)
                    .await?
            }
            None => {
                let sources: Vec<_> = self.cloudformation.iter().map(crate::DeclarationSource::path).collect();
                source
                    .connection
                    .check_cloudformation(&sources, &options, &check)
                    .await?
            }
        };
        if source_date_epoch().is_some() {
            report.stats.duration_ms = 0;
        }
        Ok(report)
    }

    /// The core's options of a check of declared keys.
    fn options(&self, policy: Policy) -> Result<crate::DeclarationOptions, Failure> {
        let mut options = crate::DeclarationOptions::default()
            .with_policy(policy)
            .with_compare_live(self.compare_live);
        if let Some(name) = &self.stack_name {
            options = options.with_stack_name(name)?;
        }
        if let Some(epoch) = source_date_epoch() {
            options = options.with_now(Timestamp::from_epoch_seconds(epoch));
        }
        for parameter in &self.parameters {
            let Some((name, value)) = parameter.split_once('=') else {
                return Err(format!("--parameter {parameter:?}: give NAME=VALUE").into());
            };
            options = options.with_parameter(name, value)?;
        }
        Ok(options)
    }
}

#[derive(Debug, Args)]
struct VerifyEvidenceArgs {
    /// The evidence file `check --evidence` wrote (or its NAME.manifest.json).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// How the people formats look.
#[derive(Debug, Args)]
struct DisplayArgs {
    /// Colour the table: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    /// Show only the FAIL and ERROR findings (table and markdown; the counts still cover every key).
    #[arg(long)]
    only_failing: bool,
}

#[derive(Debug, Args)]
struct RemediateArgs {
    /// A JSON report written by `check --format json`; without it, a check runs first.
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    report: Option<PathBuf>,
    /// Check and fix only this key: key id, key ARN, alias/NAME or alias ARN (repeatable).
    #[arg(long, value_name = "KEY")]
    key: Vec<String>,
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Make the changes (the default is a dry run). With --snapshot, the file is updated.
    #[arg(long)]
    apply: bool,
    /// The rotation period to set, 90..=2560 days and at most the policy maximum (default 365).
    #[arg(long, value_name = "DAYS", allow_hyphen_values = true, value_parser = parse_days)]
    rotation_period_days: Option<u32>,
    /// Rotate keys overdue under --max-days-since-rotation on demand (RotateKeyOnDemand),
    /// within each key's lifetime quota of on-demand rotations; still a dry run without --apply.
    #[arg(long)]
    rotate_on_demand: bool,
    /// Act on a --report checked elsewhere than these flags reach (another snapshot,
    /// profile, endpoint or role); by default such a report is refused.
    #[arg(long)]
    allow_other_source: bool,
    /// Output format: table, json or html.
    #[arg(long, default_value = "table", value_parser = parse_remediation_format)]
    format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CollectArgs {
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    policy: PolicyArgs,
    /// The snapshot file to write.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

/// A number of days: named plainly when negative, fractional or too large.
fn parse_days(text: &str) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(days) if days < 0 => Err(format!("{days} is negative: give a number of days from 90 to 2560")),
        Ok(days) => {
            u32::try_from(days).map_err(|_| format!("{days} is too large: give a number of days from 90 to 2560"))
        }
        Err(_) => Err(format!("{text:?} is not a whole number of days (90 to 2560)")),
    }
}

/// A whole number of days, its range checked by the policy (which names the option).
fn parse_whole_days(text: &str) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(days) if days < 0 => Err(format!("{days} is negative: give a number of days")),
        Ok(days) => u32::try_from(days).map_err(|_| format!("{days} is too large a number of days")),
        Err(_) => Err(format!("{text:?} is not a whole number of days")),
    }
}

/// A request rate: a finite positive number, named as given.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        Ok(rate) if rate.is_infinite() => Err(format!("{text:?} is too large for a number of requests per second")),
        Ok(_) => Err(format!("{text:?} is not a positive number of requests per second")),
        Err(_) => Err(format!("{text:?} is not a number")),
    }
}

/// A count of at least 1.
fn parse_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|_| format!("{n} is too large")),
        Ok(n) => Err(format!("{n} must be at least 1")),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    text.parse()
        .map_err(|e: crate::Error| spell_options(&e.to_string(), Door::Cli))
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse().map_err(|e: crate::Error| e.to_string())
}

fn parse_remediation_format(text: &str) -> Result<Format, String> {
    match parse_format(text)? {
        format @ (Format::Table | Format::Json | Format::Html) => Ok(format),
        _ => Err(format!("remediate writes table, json or html, not {text:?}")),
    }
}

/// Logs to stderr, every line redacted (`logs`): `--verbose` shows every API call;
/// `RUST_LOG` filters as usual, except that wire-level targets stay quiet unless named.
fn init_logging(verbose: bool) {
    match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.is_empty() => crate::logs::init_stderr(&filter),
        _ if verbose => crate::logs::init_stderr("kms_rotation=debug"),
        _ => {}
    }
}

/// A usage or configuration error: exit code 1.
type Failure = Box<dyn std::error::Error>;

/// Runs the command line with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    ExitCode::from(run(std::env::args_os()))
}

/// Runs the command line with these arguments (the first is the program name, as in
/// `std::env::args_os`) and returns the exit code: 0, 1 (usage or configuration
/// error), 2 (FAIL) or 3 (ERROR, or a region not checked), as `--help` explains.
/// Output goes to the process's standard output and error.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 1 } else { 0 };
            let _ = error.print();
            return code;
        }
    };
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return 1;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(code) => code,
        Err(error) => {
            // The core names options its own way; say them as flags.
            let message = match error.downcast_ref::<crate::Error>() {
                Some(error) => error.message_for(Door::Cli),
                None => spell_options(&error.to_string(), Door::Cli),
            };
            eprintln!("error: {message}");
            1
        }
    }
}

async fn execute(cli: Cli) -> Result<u8, Failure> {
    let selection = match &cli.command {
        Command::Check(args) => Some(&args.selection),
        Command::Remediate(args) => Some(&args.selection),
        Command::Collect(args) => Some(&args.selection),
        Command::VerifyEvidence(_) => None,
    };
    // Before any region or ARN is read: it decides which names are accepted.
    if selection.is_some_and(|selection| selection.allow_unknown_regions) {
        crate::allow_unknown_regions(true);
    }
    match cli.command {
        Command::Check(args) => {
            let policy = policy(&args.policy)?;
            if args.display.only_failing && !matches!(args.format, Format::Table | Format::Markdown) {
                return Err(format!(
                    "--only-failing applies to --format table or markdown; {} always holds every finding",
                    args.format
                )
                .into());
            }
            check_writable(&args.output)?;
            if args.declarations.is_set() {
                let live_only = [
                    ("--evidence", args.evidence.is_some()),
                    ("--baseline", args.baseline.is_some()),
                    ("--to-security-hub", args.to_security_hub),
                ];
                if let Some((flag, _)) = live_only.iter().find(|(_, given)| *given) {
                    return Err(format!(
                        "{flag} is for checks of live keys; --terraform-plan and --cloudformation check the keys the code declares"
                    )
                    .into());
                }
                let report = if args.declarations.compare_live {
                    args.declarations.refuse_live_flags(&args.selection)?;
                    let source = Source::open(&args.selection)?;
                    args.declarations.compare_live(&source, &args.selection, policy).await?
                } else {
                    args.declarations.check(&args.selection, policy)?
                };
                emit(
                    &render(&report, args.format, render_options(&args.display, &args.output)),
                    &args.output,
                )?;
                return Ok(report.exit_code());
            }
            if args.declarations.compare_live {
                return Err(
                    "--compare-live compares declared keys with live ones: give --terraform-plan FILE or --cloudformation FILE|DIR"
                        .into(),
                );
            }
            if let Some(name) = &args.declarations.stack_name {
                return Err(format!(
                    "--stack-name {name:?} names the deployed stack of a template: it applies to --cloudformation with --compare-live"
                )
                .into());
            }
            if let Some(parameter) = args.declarations.parameters.first() {
                return Err(format!(
                    "--parameter {parameter:?} gives a CloudFormation parameter its value: it applies to --cloudformation"
                )
                .into());
            }
            if let Some(path) = &args.evidence {
                crate::check_evidence_paths(path, args.output.as_deref())?;
            }
            let mut source = Source::open_delivering(&args.selection, args.to_security_hub)?;
            source.fail_on = args.fail_on;
            if let Some(path) = &args.baseline {
                source.baseline = Some(Baseline::load(path)?);
            }
            if let Some(path) = &args.evidence {
                return check_with_evidence(&source, &args, path, policy).await;
            }
            if source.connection.organization().is_some() {
                if !args.key.is_empty() {
                    return Err(
                        "--key checks keys of one account; it cannot be combined with an organisation run".into(),
                    );
                }
                let report = source.check_organization(&args.selection, policy).await?;
                emit(
                    &render_organization(&report, args.format, render_options(&args.display, &args.output)),
                    &args.output,
                )?;
                warn_unchecked_accounts(&report);
                return Ok(report.exit_code());
            }
            let report = source.check(&args.selection, &args.key, policy).await?;
            emit(
                &render(&report, args.format, render_options(&args.display, &args.output)),
                &args.output,
            )?;
            warn_unchecked_regions(&report);
            if let Some(delivery) = &report.security_hub {
                tell_security_hub(delivery);
            }
            Ok(report.exit_code())
        }
        Command::Remediate(args) => {
            if args.report.is_some() && args.policy.is_set() {
                return Err(
                    "the policy flags (--max-rotation-period-days, --skip-disabled, --exempt, --rotation-history, \
                     --max-days-since-rotation, --accept-on-demand-rotation) do not apply \
                            to --report: the report was judged under its own policy; run check again with them, \
                            or remediate without --report"
                        .into(),
                );
            }
            let policy = policy(&args.policy)?;
            check_writable(&args.output)?;
            let mut options = RemediateOptions::default()
                .with_dry_run(!args.apply)
                .with_rotate_on_demand(args.rotate_on_demand)
                .with_allow_other_source(args.allow_other_source);
            if let Some(days) = args.rotation_period_days {
                options = options.with_rotation_period_days(days)?;
            }
            let source = Source::open(&args.selection)?;
            let outcome = if source.connection.organization().is_some() {
                if !args.key.is_empty() {
                    return Err(
                        "--key fixes keys of one account; it cannot be combined with an organisation run".into(),
                    );
                }
                let report = match &args.report {
                    Some(path) => {
                        OrganizationReport::from_json(&read(path)?).map_err(|e| not_a_report(path, e.into()))?
                    }
                    None => source.check_organization(&args.selection, policy).await?,
                };
                source.connection.remediate_organization(&report, &options).await?
            } else if args.key.is_empty() {
                let report = match &args.report {
                    Some(path) => account_report(&read(path)?).map_err(|e| not_a_report(path, e))?,
                    None => source.check(&args.selection, &[], policy).await?,
                };
                source.connection.remediate(&report, &options).await?
            } else {
                let keys: Vec<&str> = args.key.iter().map(String::as_str).collect();
                let check = source.check_options(&args.selection, policy)?;
                let region = source.key_region(&args.selection);
                source
                    .connection
                    .remediate_keys(&keys, region, &check, &options)
                    .await?
            };
            if args.apply {
                source.save_changes()?;
            }
            let text = render_remediation(&outcome, args.format);
            // The actions' messages name options the core's way (`rotate_on_demand`);
            // the table is read at this door. The machine formats stay canonical.
            let text = match args.format {
                Format::Table => spell_options(&text, Door::Cli),
                _ => text,
            };
            emit(&text, &args.output)?;
            Ok(outcome.exit_code())
        }
        Command::Collect(args) => {
            let policy = policy(&args.policy)?;
            check_writable(&Some(args.output.clone()))?;
            let source = Source::open(&args.selection)?;
            if source.connection.organization().is_some() {
                return Err("collect saves one account's facts; run it once per account (--role-arn)".into());
            }
            let options = source.check_options(&args.selection, policy)?;
            let snapshot = source.connection.collect(&options).await?;
            snapshot.save(&args.output)?;
            let regions = snapshot.regions().len();
            let plural = if regions == 1 { "" } else { "s" };
            eprintln!("wrote {} ({regions} region{plural})", args.output.display());
            let unlisted = snapshot.unlisted_regions();
            for (region, error) in &unlisted {
                eprintln!(
                    "error: region {region} could not be read: {}: {}",
                    error.code, error.message
                );
            }
            Ok(if unlisted.is_empty() { 0 } else { 3 })
        }
        Command::VerifyEvidence(args) => verify_evidence(&args.file).await,
    }
}

/// `check --evidence`: the report (to --output, else to standard output
/// and, as canonical JSON, beside the evidence), the evidence and its manifest.
async fn check_with_evidence(source: &Source, args: &CheckArgs, path: &Path, policy: Policy) -> Result<u8, Failure> {
    if source.connection.organization().is_some() {
        return Err(
            "--evidence is written for one account's check; it cannot be combined with an organisation run \
                    (check each account with --role-arn and --evidence)"
                .into(),
        );
    }
    if !args.key.is_empty() {
        return Err("--evidence is written for a whole-account check; it cannot be combined with --key".into());
    }
    let options = source.check_options(&args.selection, policy)?;
    let (mut report, evidence) = source.connection.check_account_with_evidence(&options).await?;
    if let Some(epoch) = source_date_epoch() {
        report.generated_at = Timestamp::from_epoch_seconds(epoch);
        report.stats.duration_ms = 0;
    }
    let display = render_options(&args.display, &args.output);
    let report_file = args
        .output
        .as_ref()
        .map(|output| crate::ReportFile::new(output, args.format, display));
    if args.output.is_none() {
        emit(&render(&report, args.format, display), &None)?;
    }
    let files = evidence.write(path, &report, report_file.as_ref())?;
    eprintln!(
        "wrote the evidence {} (report {}, manifest {}): kms-rotation verify-evidence {} re-checks it",
        files.evidence.display(),
        files.report.display(),
        files.manifest.display(),
        files.evidence.display()
    );
    warn_unchecked_regions(&report);
    Ok(report.exit_code())
}

/// `verify-evidence FILE`: 0 when the evidence gives the report, 4 (with what differs) when not.
async fn verify_evidence(file: &Path) -> Result<u8, Failure> {
    let verification = crate::verify_evidence(file).await?;
    if verification.verified {
        println!(
            "verified: the evidence {} gives the report {} byte for byte (kms-rotation {}; taken from the manifest {}: {})",
            verification.evidence,
            verification.report,
            verification.tool_version,
            verification.manifest,
            verification.run_specific_fields.join(", ")
        );
        return Ok(0);
    }
    for difference in &verification.differences {
        eprintln!("error: {difference}");
    }
    eprintln!(
        "not verified: the evidence {} does not give the report {} (manifest {})",
        verification.evidence, verification.report, verification.manifest
    );
    Ok(4)
}

impl PolicyArgs {
    /// Whether any policy flag was given.
    fn is_set(&self) -> bool {
        self.max_rotation_period_days.is_some()
            || self.skip_disabled
            || !self.exempt.is_empty()
            || self.rotation_history
            || self.max_days_since_rotation.is_some()
            || self.accept_on_demand_rotation
            || self.material_expiry_warning_days.is_some()
            || self.last_usage
    }
}

/// Fails before any call when the output file cannot be written (a missing
/// directory, a read-only place): a scan must not be lost at its end.
fn check_writable(output: &Option<PathBuf>) -> Result<(), Failure> {
    let Some(path) = output else { return Ok(()) };
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// One stderr line per region that was not checked: the exit code says so too.
/// What the delivery to Security Hub did, on stderr: one line, then one per failure.
fn tell_security_hub(delivery: &crate::SecurityHubDelivery) {
    eprintln!("Security Hub: {}", delivery.summary_line());
    for failed in &delivery.failed {
        let what = if failed.id.is_empty() {
            "(the region)"
        } else {
            failed.id.as_str()
        };
        eprintln!(
            "Security Hub: {} {} {what}: {}: {}",
            failed.region,
            failed.operation,
            failed.code,
            crate::scrub(&failed.message)
        );
    }
}

fn warn_unchecked_regions(report: &AccountReport) {
    for region in report.regions_not_checked() {
        warn_unchecked_region(region, None);
    }
}

/// The stderr line of one region not checked, naming its account in an organisation run.
fn warn_unchecked_region(region: &RegionReport, account: Option<&str>) {
    let why = region.error.as_ref().map(ToString::to_string).unwrap_or_default();
    let of_account = account.map(|id| format!(" of account {id}")).unwrap_or_default();
    let state = state_words(region.state);
    eprintln!(
        "error: region {}{of_account} was not checked ({state}): {why}",
        region.region
    );
}

/// One stderr line per account (and per region of a checked account) that was not checked.
fn warn_unchecked_accounts(report: &OrganizationReport) {
    for account in &report.accounts {
        if account.state == AccountState::Error {
            let why = account.error.as_ref().map(ToString::to_string).unwrap_or_default();
            eprintln!("error: account {} was not checked: {why}", account.account_id);
        }
        for region in account
            .regions
            .iter()
            .filter(|r| r.state != crate::RegionState::Scanned)
        {
            warn_unchecked_region(region, Some(&account.account_id));
        }
    }
}

/// A report file that cannot be read as one: the file named, and where it went wrong.
fn not_a_report(path: &Path, error: Failure) -> Failure {
    match error.downcast::<crate::Error>() {
        Ok(error) => match *error {
            crate::Error::InvalidInput { value, reason, .. } if value.starts_with("line ") => format!(
                "{} is not a report that check --format json wrote: {value}: {reason}",
                path.display()
            )
            .into(),
            other => format!("{}: {other}", path.display()).into(),
        },
        Err(other) => format!("{}: {other}", path.display()).into(),
    }
}

/// An account report, or a plain error when the file is an organisation report.
fn account_report(text: &str) -> Result<AccountReport, Failure> {
    AccountReport::from_json(text).map_err(|error| {
        if OrganizationReport::from_json(text).is_ok() {
            "the report is an organisation report: remediate it with --organization (or --ou / --accounts-file) \
             and --role-name, as it was checked"
                .into()
        } else {
            error.into()
        }
    })
}

fn state_words(state: crate::RegionState) -> &'static str {
    match state {
        crate::RegionState::NotEnabled => "not enabled",
        _ => "error",
    }
}

fn policy(args: &PolicyArgs) -> Result<Policy, Failure> {
    let mut policy = Policy::default()
        .with_max_rotation_period_days(args.max_rotation_period_days.unwrap_or(365))?
        .with_evaluate_disabled_keys(!args.skip_disabled)
        .with_rotation_history(args.rotation_history)
        .with_max_days_since_rotation(args.max_days_since_rotation)?
        .with_accept_on_demand_rotation(args.accept_on_demand_rotation)
        .with_last_usage(args.last_usage);
    if let Some(days) = args.material_expiry_warning_days {
        policy = policy.with_material_expiry_warning_days(days)?;
    }
    for rule in &args.exempt {
        policy = policy.with_exemption(rule)?;
    }
    Ok(policy)
}

/// Where the account's facts come from: AWS, or a snapshot file; the flags
/// map one-to-one onto the core's connection model.
struct Source {
    connection: Connection,
    snapshot_path: Option<PathBuf>,
    /// `check --baseline`, and which failures set the exit code.
    baseline: Option<Baseline>,
    fail_on: FailOn,
}

impl Source {
    fn open(selection: &Selection) -> Result<Self, Failure> {
        Self::open_delivering(selection, false)
    }

    /// [`Source::open`], delivering the findings to Security Hub when asked (`--to-security-hub`).
    fn open_delivering(selection: &Selection, to_security_hub: bool) -> Result<Self, Failure> {
        let regions = if selection.all_regions {
            Regions::All
        } else if selection.regions.is_empty() {
            Regions::Default
        } else {
            Regions::from_names(&selection.regions)?
        };
        let mut options = ConnectionOptions::default().with_regions(regions);
        if let Some(path) = &selection.snapshot {
            let snapshot = if selection.strict {
                Snapshot::load_strict(path)?
            } else {
                Snapshot::load(path)?
            };
            options = options.with_snapshot(snapshot);
        }
        if let Some(path) = &selection.cloudsploit_collection {
            options = options.with_snapshot(Snapshot::load_cloudsploit_collection(path)?);
        }
        if let Some(profile) = &selection.profile {
            options = options.with_profile(profile);
        }
        if let Some(url) = &selection.endpoint_url {
            options = options.with_endpoint_url(url);
        }
        if let Some(role) = &selection.role_arn {
            options = options.with_role_arn(role);
        }
        if let Some(id) = &selection.external_id {
            options = options.with_external_id(id);
        }
        if let Some(name) = &selection.session_name {
            options = options.with_session_name(name);
        }
        options = options.with_organization(selection.organization.options());
        if to_security_hub {
            options = options.with_security_hub(crate::SecurityHubTarget::Aws);
        }
        Ok(Source {
            connection: options.build()?,
            snapshot_path: selection.snapshot.clone(),
            baseline: None,
            fail_on: FailOn::Any,
        })
    }

    /// The one region named, where `--key` ids and aliases are looked up.
    fn key_region<'a>(&self, selection: &'a Selection) -> Option<&'a str> {
        match selection.regions.as_slice() {
            [only] => Some(only.as_str()),
            _ => None,
        }
    }

    fn check_options(&self, selection: &Selection, policy: Policy) -> Result<CheckOptions, Failure> {
        let mut options = CheckOptions::default().with_policy(policy).with_fail_on(self.fail_on);
        if let Some(baseline) = &self.baseline {
            options = options.with_baseline(baseline.clone());
        }
        if let Some(epoch) = source_date_epoch() {
            options = options.with_now(Timestamp::from_epoch_seconds(epoch));
        }
        if let Some(rps) = selection.max_rps {
            options = options.with_max_requests_per_second(rps)?;
        }
        if let Some(n) = selection.max_in_flight {
            options = options.with_max_in_flight(n);
        }
        if std::io::stderr().is_terminal() {
            options = with_progress_bar(options);
        }
        Ok(options)
    }

    async fn check(&self, selection: &Selection, keys: &[String], policy: Policy) -> Result<AccountReport, Failure> {
        let options = self.check_options(selection, policy)?;
        let mut report = if keys.is_empty() {
            self.connection.check_account(&options).await?
        } else {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            self.connection
                .check_keys(&keys, self.key_region(selection), &options)
                .await?
        };
        if let Some(epoch) = source_date_epoch() {
            report.generated_at = Timestamp::from_epoch_seconds(epoch);
            report.stats.duration_ms = 0;
        }
        Ok(report)
    }

    async fn check_organization(&self, selection: &Selection, policy: Policy) -> Result<OrganizationReport, Failure> {
        let options = self.check_options(selection, policy)?;
        let mut report = self.connection.check_organization(&options).await?;
        if let Some(epoch) = source_date_epoch() {
            report.generated_at = Timestamp::from_epoch_seconds(epoch);
            report.stats.duration_ms = 0;
        }
        Ok(report)
    }

    /// Writes the changes `remediate --apply` made back to the snapshot file.
    fn save_changes(&self) -> Result<(), Failure> {
        if let (Some(snapshot), Some(path)) = (self.connection.snapshot(), &self.snapshot_path) {
            snapshot.save(path)?;
        }
        Ok(())
    }
}

/// SOURCE_DATE_EPOCH: the report's time and the clock rotation ages are measured against.
fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse().ok())
}

/// A progress bar on stderr over all regions: keys evaluated of keys listed.
fn with_progress_bar(options: CheckOptions) -> CheckOptions {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} keys [{elapsed}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let listed = Arc::new(Mutex::new(std::collections::BTreeMap::<String, u64>::new()));
    options.with_progress(move |event| {
        // An organisation run's region events come wrapped with their account.
        let (account, event) = match event {
            ProgressEvent::InAccount { account_id, event } => (format!("{account_id}/"), event.as_ref()),
            other => (String::new(), other),
        };
        match event {
            ProgressEvent::KeysListed { region, listed: n } => {
                let mut by_region = listed.lock().unwrap_or_else(|p| p.into_inner());
                by_region.insert(format!("{account}{region}"), *n);
                bar.set_length(by_region.values().sum());
            }
            ProgressEvent::KeyEvaluated { .. } => bar.inc(1),
            ProgressEvent::RegionFinished { region, .. } => {
                bar.set_message(format!("{account}{region} done"));
                if account.is_empty() && bar.length().is_some_and(|len| bar.position() >= len) {
                    bar.finish_and_clear();
                }
            }
            ProgressEvent::AccountFinished { account_id, state } => {
                bar.set_message(format!("account {account_id} {}", state.as_str()));
            }
            _ => {}
        }
    })
}

/// `--color auto` colours only a terminal, and never when NO_COLOR is set
/// (to anything but the empty string, as no-color.org asks); `always` and `never` decide.
fn render_options(display: &DisplayArgs, output: &Option<PathBuf>) -> RenderOptions {
    let color = match display.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    };
    let options = RenderOptions::default()
        .with_color(color)
        .with_only_failing(display.only_failing);
    match terminal_width(output) {
        Some(width) => options.with_width(width),
        None => options,
    }
}

/// The width of the terminal the table goes to, else COLUMNS (as --help reads it).
fn terminal_width(output: &Option<PathBuf>) -> Option<usize> {
    if output.is_some() {
        return None;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(width, _)| usize::from(width.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

fn emit(text: &str, output: &Option<PathBuf>) -> Result<(), Failure> {
    match output {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into()),
        None => {
            let mut stdout = std::io::stdout().lock();
            write_all_waiting(&mut stdout, text.as_bytes())?;
            loop {
                match stdout.flush() {
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(std::time::Duration::from_millis(1))
                    }
                    result => return Ok(result?),
                }
            }
        }
    }
}

/// `write_all` that waits out `WouldBlock`: a host process (Node) may have made
/// standard output non-blocking, and a large report to a slow pipe must not fail.
fn write_all_waiting(out: &mut impl Write, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match out.write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(1))
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
