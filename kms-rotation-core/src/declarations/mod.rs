//! Keys declared in code — Terraform plans and states (`terraform show -json`),
//! CloudFormation templates (JSON or YAML, CDK's `cdk.out`) — judged by the
//! same decision table as live keys ([`crate::rules::evaluate`]), before they exist.
//!
//! Each declaration becomes the facts the table reads from `DescribeKey` and
//! `GetKeyRotationStatus`: spec and usage, origin, key store, enabled, rotation
//! on or off, period, multi-Region primary or replica (a replica takes its
//! primary's facts when the primary is in the input). What is not known before
//! apply is never guessed: an unknown fact the table needs makes the finding
//! `ERROR unresolved`, naming the expression. Each finding carries its code
//! location ([`CodeLocation`]): the file, line, resource address or logical id,
//! and the fix as code.

mod cloudformation;
mod document;
pub(crate) mod stack;
mod terraform;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use stack::CloudFormationClient;

use crate::error::{Error, Result};
use crate::model::{
    CodeLocation, Finding, KeyManager, KeyMetadata, KeySpec, KeyState, KeyUsage, MultiRegionInfo, MultiRegionRole,
    Origin, Reason, RotationStatus, Status, Tag, Timestamp,
};
use crate::policy::Policy;
use crate::report::AccountReport;
use crate::rules::{self, KeyFacts};

pub(crate) use document::{Node, SyntaxError, Value};

/// One input of [`check_terraform_plan`] or [`check_cloudformation`]: a file
/// (for CloudFormation also a directory, such as CDK's `cdk.out`), or the JSON
/// a program holds (a plan it read, the object a CDK test's
/// `Template.fromStack(stack).toJSON()` returns).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DeclarationSource {
    /// A file, or a directory of templates.
    Path(PathBuf),
    /// A document already parsed; `name` (e.g. a stack name) labels its findings.
    Json {
        /// The document.
        value: serde_json::Value,
        /// What to call it in findings and messages (no file, so no line numbers).
        name: Option<String>,
    },
}

impl DeclarationSource {
    /// A file or directory.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::Path(path.into())
    }

    /// A document a program holds.
    pub fn json(value: serde_json::Value) -> Self {
        Self::Json { value, name: None }
    }

    /// A document a program holds, labelled `name` in findings.
    pub fn named_json(name: impl Into<String>, value: serde_json::Value) -> Self {
        Self::Json {
            value,
            name: Some(name.into()),
        }
    }
}

/// Options of [`check_terraform_plan`] and [`check_cloudformation`]: the policy
/// (the same as [`crate::CheckOptions`]'), CloudFormation parameter values, and
/// the report's clock.
///
/// ```
/// use kms_rotation_core::{DeclarationOptions, Policy};
/// let options = DeclarationOptions::default()
///     .with_policy(Policy::default().with_max_rotation_period_days(180)?)
///     .with_parameter("RotateKeys", "true")?;
/// assert_eq!(options.parameters(), &[("RotateKeys".to_owned(), "true".to_owned())]);
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DeclarationOptions {
    policy: Policy,
    parameters: Vec<(String, String)>,
    now: Option<Timestamp>,
    compare_live: bool,
    stack_name: Option<String>,
    cloudformation_client: Option<Arc<dyn CloudFormationClient>>,
}

impl DeclarationOptions {
    /// Sets the policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Gives a CloudFormation parameter a value (as `aws cloudformation deploy
    /// --parameter-overrides NAME=VALUE` would), over its default.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty name, or a name given twice.
    pub fn with_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let (name, value) = (name.into(), value.into());
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "parameters",
                format!("{name}={value}"),
                "a CloudFormation parameter name is letters and digits (NAME=VALUE)",
            ));
        }
        if self.parameters.iter().any(|(n, _)| *n == name) {
            return Err(Error::invalid(
                "parameters",
                format!("{name}={value}"),
                format!("the parameter {name} is given twice"),
            ));
        }
        self.parameters.push((name, value));
        Ok(self)
    }

    /// Fixes the report's `generated_at` (for reproducible reports).
    pub fn with_now(mut self, now: Timestamp) -> Self {
        self.now = Some(now);
        self
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The parameter values given, in order.
    pub fn parameters(&self) -> &[(String, String)] {
        &self.parameters
    }

    /// Compares each declared key whose id is known with its live key
    /// (`compare_live`): the check then reads KMS, through
    /// [`crate::Connection::check_terraform_plan`] or
    /// [`crate::Connection::check_cloudformation`]; differences are `FAIL drift`.
    pub fn with_compare_live(mut self, compare_live: bool) -> Self {
        self.compare_live = compare_live;
        self
    }

    /// The deployed CloudFormation stack (its name or stack id) whose physical
    /// ids `compare_live` reads with `DescribeStackResources`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name CloudFormation would not take (a
    /// letter, then letters, digits and hyphens, at most 128) that is not a stack ARN.
    pub fn with_stack_name(mut self, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let arn = name.starts_with("arn:") && name.contains(":cloudformation:") && name.contains(":stack/");
        let shaped = name.len() <= 128
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !arn && !shaped {
            return Err(Error::invalid(
                "stack_name",
                name,
                "a stack name is a letter, then letters, digits and hyphens (at most 128), or a stack ARN",
            ));
        }
        self.stack_name = Some(name);
        Ok(self)
    }

    /// Reads the stack through this client (a binding's boto3 or SDK v3
    /// CloudFormation client) instead of the built-in AWS client's.
    pub fn with_cloudformation_client(mut self, client: Arc<dyn CloudFormationClient>) -> Self {
        self.cloudformation_client = Some(client);
        self
    }

    /// Whether declared keys are compared with live ones.
    pub fn compare_live(&self) -> bool {
        self.compare_live
    }

    /// The deployed stack `compare_live` reads, if named.
    pub fn stack_name(&self) -> Option<&str> {
        self.stack_name.as_deref()
    }

    /// The CloudFormation client given, if any.
    pub fn cloudformation_client(&self) -> Option<&Arc<dyn CloudFormationClient>> {
        self.cloudformation_client.as_ref()
    }

    /// When the report is made: the clock given, else now.
    pub(crate) fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(Timestamp::now)
    }

    /// Refuses the live options where they do not apply, before anything is read:
    /// a stack for a Terraform plan, a stack without `compare_live`, a
    /// template compared without its stack.
    pub(crate) fn check_live(&self, terraform: bool) -> Result<()> {
        if let Some(name) = &self.stack_name {
            if terraform {
                return Err(Error::invalid(
                    "stack_name",
                    name.clone(),
                    "a stack is CloudFormation's: stack_name applies to CloudFormation templates",
                ));
            }
            if !self.compare_live {
                return Err(Error::invalid(
                    "stack_name",
                    name.clone(),
                    "names the deployed stack compare_live reads: give compare_live too",
                ));
            }
        }
        if self.cloudformation_client.is_some() && self.stack_name.is_none() {
            return Err(Error::invalid(
                "cloudformation_client",
                "given",
                "reads the stack named by stack_name: give stack_name (and compare_live) too",
            ));
        }
        if self.compare_live && !terraform && self.stack_name.is_none() {
            return Err(Error::invalid(
                "compare_live",
                "true",
                "a template holds no key ids: name the deployed stack (stack_name) whose keys to compare",
            ));
        }
        Ok(())
    }

    /// Refuses what a declaration cannot answer, before anything is read.
    fn check(&self, terraform: bool) -> Result<()> {
        if self.policy.reads_rotation_history() {
            return Err(Error::invalid(
                "rotation_history",
                "set",
                "a declared key has no rotation history before it exists: rotation_history, \
                 max_days_since_rotation and accept_on_demand_rotation apply to live keys",
            ));
        }
        if self.policy.reads_last_usage() {
            return Err(Error::invalid(
                "last_usage",
                "true",
                "a declared key has not been used before it exists: last_usage applies to live keys",
            ));
        }
        if terraform && let Some((name, value)) = self.parameters.first() {
            return Err(Error::invalid(
                "parameters",
                format!("{name}={value}"),
                "parameters are CloudFormation's; a Terraform plan holds its variables' values already",
            ));
        }
        Ok(())
    }
}

/// A fact of a declaration: known, or not known before apply (`expression`
/// names it; `why` says why it cannot be decided).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fact<T> {
    Known(T),
    Unknown { expression: String, why: String },
}

impl<T> Fact<T> {
    pub(crate) fn unknown(expression: impl Into<String>, why: impl Into<String>) -> Self {
        Fact::Unknown {
            expression: expression.into(),
            why: why.into(),
        }
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Fact<U> {
        match self {
            Fact::Known(value) => Fact::Known(f(value)),
            Fact::Unknown { expression, why } => Fact::Unknown { expression, why },
        }
    }

    pub(crate) fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(value) => Some(value),
            Fact::Unknown { .. } => None,
        }
    }

    fn unknown_part(&self) -> Option<(&str, &str)> {
        match self {
            Fact::Known(_) => None,
            Fact::Unknown { expression, why } => Some((expression, why)),
        }
    }
}

/// The language a fix is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Terraform,
    CloudFormationJson,
    CloudFormationYaml,
}

/// Where a replica's primary is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Primary {
    /// Not a replica.
    None,
    /// The declared key at this index of the input's keys.
    Declared(usize),
    /// Not in the input: the text names it (an ARN, an expression).
    Elsewhere { name: String, why: String },
}

/// A declared key: what the code says, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeclaredKey {
    pub(crate) location: CodeLocation,
    pub(crate) dialect: Dialect,
    /// The key id and ARN, when a state (or a plan's prior state) knows them.
    pub(crate) key_id: Option<String>,
    pub(crate) arn: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) spec: Fact<KeySpec>,
    pub(crate) usage: Fact<KeyUsage>,
    pub(crate) origin: Fact<Origin>,
    /// A custom key store id (or an external key store key id): the key lives there.
    pub(crate) key_store: Fact<Option<String>>,
    pub(crate) enabled: Fact<bool>,
    pub(crate) rotation: Fact<bool>,
    pub(crate) period: Fact<u32>,
    pub(crate) multi_region: Fact<bool>,
    pub(crate) primary: Primary,
    pub(crate) aliases: Vec<String>,
    pub(crate) tags: Fact<Vec<Tag>>,
    /// Whether the key is created at all (a CloudFormation resource `Condition`).
    pub(crate) exists: Fact<bool>,
}

impl DeclaredKey {
    /// A key with KMS's defaults for everything omitted, at `location`.
    pub(crate) fn new(location: CodeLocation, dialect: Dialect) -> Self {
        Self {
            location,
            dialect,
            key_id: None,
            arn: None,
            region: None,
            spec: Fact::Known(KeySpec::SymmetricDefault),
            usage: Fact::Known(KeyUsage::EncryptDecrypt),
            origin: Fact::Known(Origin::AwsKms),
            key_store: Fact::Known(None),
            enabled: Fact::Known(true),
            rotation: Fact::Known(false),
            period: Fact::Known(RotationStatus::LEGACY_PERIOD_DAYS),
            multi_region: Fact::Known(false),
            primary: Primary::None,
            aliases: Vec::new(),
            tags: Fact::Known(Vec::new()),
            exists: Fact::Known(true),
        }
    }

    fn name(&self) -> String {
        self.arn.clone().unwrap_or_else(|| self.location.address.clone())
    }
}

/// Reads a file as UTF-8 text, naming the file and what is wrong.
pub(crate) fn read_text(path: &Path, what: &'static str) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(Error::invalid(
            what,
            path.display().to_string(),
            "this is a binary Terraform plan file (a zip archive): give its JSON, \
             terraform show -json PLANFILE > plan.json",
        ));
    }
    crate::json_input::text_from(bytes).map_err(|p| Error::invalid(what, path.display().to_string(), p.message))
}

/// A syntax error as the caller sees it: the file, line and column, and what.
pub(crate) fn syntax_error(what: &'static str, name: &str, language: &str, error: SyntaxError) -> Error {
    Error::invalid(
        what,
        name.to_owned(),
        format!(
            "not valid {language}: line {}, column {}: {}",
            error.line, error.column, error.message
        ),
    )
}

/// Checks keys declared in Terraform: the JSON of `terraform show -json PLANFILE`
/// (`planned_values` with every child module, `resource_changes` with
/// `after_unknown`, `configuration` for what an unknown value is set from) or of
/// `terraform show -json` on a state. `aws_kms_key`, `aws_kms_external_key`,
/// `aws_kms_replica_key` and `aws_kms_replica_external_key` resources each get one
/// finding; `aws_kms_alias` names them for alias exemptions.
///
/// # Errors
/// [`Error::InvalidInput`] before anything is judged: a file that is not such
/// JSON (saying what it looks like instead), invalid JSON (line and column), a
/// `format_version` other than 1.x, options a declaration cannot answer.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_terraform_plan, DeclarationOptions, DeclarationSource, Reason};
/// let plan = serde_json::json!({
///     "format_version": "1.2",
///     "planned_values": { "root_module": { "resources": [{
///         "address": "aws_kms_key.logs", "mode": "managed", "type": "aws_kms_key", "name": "logs",
///         "values": { "enable_key_rotation": false, "is_enabled": true }
///     }]}}
/// });
/// let report = check_terraform_plan(&DeclarationSource::json(plan), &DeclarationOptions::default())?;
/// let finding = &report.findings[0];
/// assert_eq!(finding.reason, Reason::RotationDisabled);
/// assert_eq!(finding.code.as_ref().unwrap().address, "aws_kms_key.logs");
/// assert_eq!(report.exit_code(), 2);
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
pub fn check_terraform_plan(source: &DeclarationSource, options: &DeclarationOptions) -> Result<AccountReport> {
    options.check(true)?;
    options.check_live(true)?;
    refuse_live(options)?;
    let keys = terraform::read(source)?;
    Ok(report(&keys, options))
}

/// Checks keys declared in CloudFormation templates (JSON or YAML, short-form
/// tags included), each source a template file, a directory of templates (CDK's
/// `cdk.out`: its `*.template.json`), or a template object. `AWS::KMS::Key` and
/// `AWS::KMS::ReplicaKey` resources each get one finding; `AWS::KMS::Alias` names
/// them. Parameters take their `--parameter` value, else their default;
/// conditions are decided where they can be.
///
/// # Errors
/// [`Error::InvalidInput`] before anything is judged: a file that is not a
/// template (saying what it looks like instead), invalid YAML or JSON (line and
/// column), a parameter value for a parameter no template declares, a directory
/// without templates.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_cloudformation, DeclarationOptions, DeclarationSource, Reason, Status};
/// let template = serde_json::json!({
///     "Parameters": { "Rotate": { "Type": "String", "AllowedValues": ["true", "false"] } },
///     "Resources": { "DataKey": { "Type": "AWS::KMS::Key",
///         "Properties": { "EnableKeyRotation": { "Ref": "Rotate" } } } }
/// });
/// let source = DeclarationSource::json(template);
/// let unknown = check_cloudformation(&[source.clone()], &DeclarationOptions::default())?;
/// assert_eq!(unknown.findings[0].reason, Reason::Unresolved);
/// let given = DeclarationOptions::default().with_parameter("Rotate", "true")?;
/// let report = check_cloudformation(&[source], &given)?;
/// assert_eq!(report.findings[0].status, Status::Pass);
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
pub fn check_cloudformation(sources: &[DeclarationSource], options: &DeclarationOptions) -> Result<AccountReport> {
    options.check(false)?;
    options.check_live(false)?;
    refuse_live(options)?;
    if sources.is_empty() {
        return Err(Error::invalid(
            "CloudFormation template",
            "[]",
            "give at least one template",
        ));
    }
    let keys = cloudformation::read(sources, options.parameters())?;
    Ok(report(&keys, options))
}

/// `compare_live` reads KMS: only a check over a connection can.
fn refuse_live(options: &DeclarationOptions) -> Result<()> {
    if options.compare_live {
        return Err(Error::invalid(
            "compare_live",
            "true",
            "reads live keys: check through a connection (Connection::check_terraform_plan, \
             Connection::check_cloudformation)",
        ));
    }
    Ok(())
}

/// The report of the declared keys: one finding each, through the decision table.
fn report(keys: &[DeclaredKey], options: &DeclarationOptions) -> AccountReport {
    let mut report = AccountReport::new(options.policy.clone());
    report.generated_at = options.now();
    report.findings = judge_all(keys, &options.policy);
    report.normalize();
    report
}

/// One finding per declared key, in the keys' order.
pub(crate) fn judge_all(keys: &[DeclaredKey], policy: &Policy) -> Vec<Finding> {
    keys.iter().map(|key| judge(key, keys, policy)).collect()
}

/// The declared keys of a Terraform plan or state (for `compare_live`), checked as
/// [`check_terraform_plan`] checks them.
pub(crate) fn terraform_keys(source: &DeclarationSource, options: &DeclarationOptions) -> Result<Vec<DeclaredKey>> {
    options.check(true)?;
    options.check_live(true)?;
    terraform::read(source)
}

/// The declared keys of CloudFormation templates (for `compare_live`), checked as
/// [`check_cloudformation`] checks them.
pub(crate) fn cloudformation_keys(
    sources: &[DeclarationSource],
    options: &DeclarationOptions,
) -> Result<Vec<DeclaredKey>> {
    options.check(false)?;
    options.check_live(false)?;
    if sources.is_empty() {
        return Err(Error::invalid(
            "CloudFormation template",
            "[]",
            "give at least one template",
        ));
    }
    cloudformation::read(sources, options.parameters())
}

/// The facts a declared key gives the table (its own, or its primary's for a
/// replica), or the first unknown the table needs.
fn judge(key: &DeclaredKey, keys: &[DeclaredKey], policy: &Policy) -> Finding {
    let primary = match &key.primary {
        Primary::Declared(index) => keys.get(*index),
        _ => None,
    };
    // A replica shares its primary's material: spec, origin, store and rotation.
    let source = primary.unwrap_or(key);
    let metadata = metadata(key, primary);
    let mut facts = KeyFacts {
        region: key.region.clone().unwrap_or_default(),
        metadata,
        aliases: key.aliases.clone(),
        tags: key.tags.known().cloned(),
        rotation_history: None,
    };
    let exempt = rules::matching_exemption(&facts, policy).is_some();
    let mut finding = match (exempt, first_unknown(key, source, primary, policy)) {
        (false, Some((expression, why))) => rules::unresolved_finding(&facts, &expression, &why),
        _ => {
            if facts.tags.is_none() {
                facts.tags = Some(Vec::new());
            }
            let rotation = RotationStatus {
                enabled: source.rotation.known().copied().unwrap_or(false),
                period_days: source.period.known().copied(),
                ..RotationStatus::default()
            };
            let needs = rules::needs_rotation_status(&facts, policy);
            rules::evaluate(&facts, needs.then_some(&rotation), policy)
        }
    };
    // What remediate would do names a live key; a declaration is fixed in code.
    finding.remediation = None;
    let mut location = key.location.clone();
    if finding.status == Status::Fail {
        let target = primary.unwrap_or(key);
        location.fix = Some(fix(target, finding.reason, policy));
        location.fix_address = primary.map(|p| p.location.address.clone());
    }
    finding.code = Some(Box::new(location));
    finding
}

/// The first fact the table needs for this key that is not known, in the table's
/// order: what the material is (origin, store, spec), then — only for a key KMS
/// can rotate — whether it is enabled (when the policy skips disabled keys), its
/// rotation and period. A replica whose primary is not in the input is unknown.
fn first_unknown(
    key: &DeclaredKey,
    source: &DeclaredKey,
    primary: Option<&DeclaredKey>,
    policy: &Policy,
) -> Option<(String, String)> {
    let owned = |(e, w): (&str, &str)| Some((e.to_owned(), w.to_owned()));
    if let Some(unknown) = key.exists.unknown_part() {
        return owned(unknown);
    }
    if let Primary::Elsewhere { name, why } = &key.primary {
        // Imported material stays imported in every replica: no primary needed to tell.
        if key.origin.known() != Some(&Origin::External) {
            return Some((name.clone(), why.clone()));
        }
    }
    if let Some(unknown) = key.multi_region.unknown_part() {
        return owned(unknown);
    }
    let material = [
        source.origin.unknown_part(),
        source.key_store.unknown_part(),
        source.spec.unknown_part(),
    ];
    if let Some(unknown) = material.into_iter().flatten().next() {
        return owned(unknown);
    }
    if rules::automatic_rotation_unsupported(&metadata(key, primary)).is_some() {
        return None;
    }
    if !policy.evaluate_disabled_keys()
        && let Some(unknown) = key.enabled.unknown_part()
    {
        return owned(unknown);
    }
    if policy.needs_tags()
        && let Some(unknown) = key.tags.unknown_part()
    {
        return owned(unknown);
    }
    match &source.rotation {
        Fact::Unknown { expression, why } => Some((expression.clone(), why.clone())),
        Fact::Known(false) => None,
        Fact::Known(true) => source.period.unknown_part().and_then(owned),
    }
}

/// `DescribeKey`'s facts as the declaration gives them (unknowns as KMS's defaults:
/// they are used only where [`first_unknown`] found the table does not need them).
fn metadata(key: &DeclaredKey, primary: Option<&DeclaredKey>) -> KeyMetadata {
    let source = primary.unwrap_or(key);
    let origin = match (source.origin.known(), source.key_store.known()) {
        (Some(Origin::AwsKms), Some(Some(_))) => Origin::AwsCloudhsm,
        (Some(origin), _) => origin.clone(),
        (None, _) => Origin::AwsKms,
    };
    let origin = match (&origin, &key.origin) {
        // An external replica of an external primary: imported material either way.
        (_, Fact::Known(Origin::External)) => Origin::External,
        _ => origin,
    };
    let spec = source.spec.known().cloned().unwrap_or(KeySpec::SymmetricDefault);
    let multi_region = match (&key.primary, key.multi_region.known()) {
        (Primary::None, Some(true)) => Some(MultiRegionInfo {
            role: MultiRegionRole::Primary,
            primary_arn: key.name(),
            primary_region: key.region.clone().unwrap_or_default(),
        }),
        (Primary::None, _) => None,
        (Primary::Declared(_), _) => Some(MultiRegionInfo {
            role: MultiRegionRole::Replica,
            primary_arn: primary.map(DeclaredKey::name).unwrap_or_default(),
            primary_region: primary.and_then(|p| p.region.clone()).unwrap_or_default(),
        }),
        (Primary::Elsewhere { name, .. }, _) => Some(MultiRegionInfo {
            role: MultiRegionRole::Replica,
            primary_arn: name.clone(),
            primary_region: String::new(),
        }),
    };
    let arn = key.arn.clone().unwrap_or_default();
    KeyMetadata {
        key_id: key.key_id.clone().unwrap_or_else(|| key.location.address.clone()),
        account_id: crate::arn::Arn::parse(&arn).ok().map(|a| a.account_id),
        arn,
        manager: KeyManager::Customer,
        state: match key.enabled.known() {
            Some(false) => KeyState::Disabled,
            _ => KeyState::Enabled,
        },
        usage: source
            .usage
            .known()
            .cloned()
            .unwrap_or_else(|| KeyUsage::implied_by(&spec)),
        spec,
        origin,
        custom_key_store_id: source.key_store.known().cloned().flatten(),
        multi_region,
        creation_date: None,
        description: None,
        spec_inferred: false,
        // Key material exists only once the key does: a declaration has none to judge.
        current_key_material_id: None,
        expiration_model: None,
        valid_to: None,
        replica_regions: Vec::new(),
        ignored: Vec::new(),
    }
}

/// The change, as code, that makes a failing key pass: rotation on, with the
/// period remediation would set (the policy's maximum if shorter than a year).
fn fix(target: &DeclaredKey, reason: Reason, policy: &Policy) -> String {
    let period = policy.default_remediation_period_days();
    let rotation_off = reason == Reason::RotationDisabled;
    match target.dialect {
        Dialect::Terraform if rotation_off => {
            format!("enable_key_rotation     = true\nrotation_period_in_days = {period}")
        }
        Dialect::Terraform => format!("rotation_period_in_days = {period}"),
        Dialect::CloudFormationYaml if rotation_off => {
            format!("EnableKeyRotation: true\nRotationPeriodInDays: {period}")
        }
        Dialect::CloudFormationYaml => format!("RotationPeriodInDays: {period}"),
        Dialect::CloudFormationJson if rotation_off => {
            format!("\"EnableKeyRotation\": true,\n\"RotationPeriodInDays\": {period}")
        }
        Dialect::CloudFormationJson => format!("\"RotationPeriodInDays\": {period}"),
    }
}

/// A period as KMS takes it (90..=2560), or the reason a deploy would fail.
pub(crate) fn period_fact(days: i64, expression: &str) -> Fact<u32> {
    match u32::try_from(days) {
        Ok(days) if crate::api::ROTATION_PERIOD_RANGE.contains(&days) => Fact::Known(days),
        _ => Fact::unknown(
            format!("{expression} = {days}"),
            "outside KMS's 90..=2560 days: the deploy would fail, so the deployed key cannot be told",
        ),
    }
}
