//! Findings kept current in AWS Security Hub (`check --to-security-hub`,
//! Python `to_security_hub=`, Node `toSecurityHub`, and the continuous
//! handlers): each account report's findings, in the ASFF the `asff` format
//! renders, imported with `BatchImportFindings` into the Region of each key.
//!
//! What a run does in each Region, after the check:
//!
//! 1. reads this tool's active findings there (`GetFindings`, filtered on its
//!    `GeneratorId`, the account and `RecordState` `ACTIVE`; the answer is
//!    filtered again here, so a Security Hub that ignores filters changes nothing);
//! 2. imports one finding per key, 100 a call, with the key's stable `Id`
//!    (a re-check updates it), `UpdatedAt` the delivery time and `CreatedAt`
//!    kept from the finding already there; `FailedFindings` are sent again
//!    (at most [`FAILED_FINDING_ROUNDS`] rounds) and those still refused are
//!    reported with their code, never dropped;
//! 3. moves the workflow of a finding that now passes (or is not applicable,
//!    or exempt) from `NEW` / `NOTIFIED` to `RESOLVED` (`SUPPRESSED` when
//!    exempt) with `BatchUpdateFindings`: Security Hub ignores `Workflow` in
//!    `BatchImportFindings` once a finding exists. A workflow a person set
//!    (`SUPPRESSED`, `RESOLVED`) is left alone; Security Hub itself moves a
//!    `RESOLVED` finding back to `NEW` when it fails again;
//! 4. archives (`RecordState` `ARCHIVED`) the active finding of every key that
//!    no longer exists: a key a full scan of the Region no longer lists, or
//!    one whose check answered `NotFoundException` — as Prowler's
//!    `--security-hub` archives the findings of its previous run that are not
//!    in this one.
//!
//! An `ERROR` finding is not a verdict: it is never sent (its key's finding,
//! if any, stays as it was, neither updated nor archived) and is counted in
//! [`SecurityHubDelivery::not_sent`]; the run's exit code already says 3.
//! Every call goes through the engine's pacer: Security Hub's quotas (10
//! requests per second for the batch calls, 3 for `GetFindings`, half of each
//! by default), throttling and 5xx retried with backoff.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use crate::api::{ApiError, ErrorKind, Operation};
use crate::arn::check_region_shape;
use crate::client::json::JsonTransport;
use crate::engine::{CallLog, Counters, Pacer, Rates, RetryConfig};
use crate::error::{Error, Result};
use crate::model::{Finding, Page, Status, Timestamp};
use crate::render::{CHECK_ID, asff};
use crate::report::{AccountReport, FailedFinding, RegionState, SecurityHubDelivery};

/// The most findings one `BatchImportFindings` call takes.
pub const FINDINGS_PER_CALL: usize = 100;

/// The most findings one `BatchUpdateFindings` call takes.
pub const UPDATES_PER_CALL: usize = 100;

/// How many times findings Security Hub refused (`FailedFindings`,
/// `UnprocessedFindings`) are sent, the first included.
pub const FAILED_FINDING_ROUNDS: u32 = 3;

/// Security Hub's answer in an account and Region where it is not enabled.
const NOT_SUBSCRIBED: &str = "InvalidAccessException";

/// The `GeneratorId` of this tool's findings: what `GetFindings` filters on.
pub fn generator_id() -> String {
    format!("kms-rotation-{CHECK_ID}")
}

/// A finding a batch call refused: its `Id`, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refused {
    /// The finding's `Id`.
    pub id: String,
    /// `ErrorCode`.
    pub code: String,
    /// `ErrorMessage`.
    pub message: String,
}

impl Refused {
    /// The finding `id` refused with `code` and `message`.
    pub fn new(id: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// One Region's Security Hub, in our own types: the three calls a delivery
/// makes, each one request, never retried (the engine retries).
#[async_trait]
pub trait SecurityHubClient: Send + Sync + fmt::Debug + 'static {
    /// The Region it calls.
    fn region(&self) -> &str;

    /// Whether calls go to a service with request quotas (paced); an in-memory one is not.
    fn has_request_quotas(&self) -> bool {
        true
    }

    /// `BatchImportFindings` with `findings` (ASFF, at most [`FINDINGS_PER_CALL`]);
    /// the findings refused (`FailedFindings`).
    async fn batch_import_findings(&self, findings: &[Value]) -> std::result::Result<Vec<Refused>, ApiError>;

    /// One page of `GetFindings` with `filters` (the API's `Filters`), at most 100 findings.
    async fn get_findings(
        &self,
        filters: &Value,
        next_token: Option<&str>,
    ) -> std::result::Result<Page<Value>, ApiError>;

    /// `BatchUpdateFindings`: the workflow of `findings` (`(Id, ProductArn)`,
    /// at most [`UPDATES_PER_CALL`]) set to `workflow_status`; the findings
    /// refused (`UnprocessedFindings`).
    async fn batch_update_workflow(
        &self,
        findings: &[(String, String)],
        workflow_status: &str,
    ) -> std::result::Result<Vec<Refused>, ApiError>;
}

/// The [`SecurityHubClient`] over a binding's [`JsonTransport`] (a boto3
/// `securityhub` client in Python, an AWS SDK v3 `SecurityHub` client in
/// JavaScript): the requests in the API's JSON, one call each.
#[derive(Debug)]
pub struct TransportSecurityHub<T: JsonTransport> {
    transport: T,
    region: String,
}

impl<T: JsonTransport> TransportSecurityHub<T> {
    /// The client over `transport`, calling Security Hub in `region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a region not shaped like `us-east-1`, or a
    /// client lacking one of Security Hub's three operations (named).
    pub fn new(transport: T, region: &str) -> Result<Self> {
        if let Some(op) = Operation::SECURITY_HUB
            .into_iter()
            .find(|op| !transport.has_operation(*op))
        {
            return Err(Error::invalid(
                "to_security_hub",
                format!("{transport:?}"),
                format!(
                    "it has no method {}(); pass an AWS SDK Security Hub client or an object with its methods",
                    transport.method_name(op)
                ),
            ));
        }
        check_region_shape(region).map_err(|_| Error::invalid("region", region, "not a region name like us-east-1"))?;
        Ok(Self {
            transport,
            region: region.to_owned(),
        })
    }
}

fn refused_of(answer: &Value, list: &str, id_of: impl Fn(&Value) -> Option<String>) -> Vec<Refused> {
    answer
        .get(list)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let text = |field: &str| item.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
                    Refused::new(
                        id_of(item).unwrap_or_default(),
                        Some(text("ErrorCode"))
                            .filter(|c| !c.is_empty())
                            .unwrap_or_else(|| "Unknown".to_owned()),
                        text("ErrorMessage"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl<T: JsonTransport> SecurityHubClient for TransportSecurityHub<T> {
    fn region(&self) -> &str {
        &self.region
    }

    async fn batch_import_findings(&self, findings: &[Value]) -> std::result::Result<Vec<Refused>, ApiError> {
        let op = Operation::BatchImportFindings;
        let answer = self
            .transport
            .invoke(op, json!({ "Findings": findings }))
            .await
            .map_err(|e| e.into_api_error(op))?;
        Ok(refused_of(&answer, "FailedFindings", |item| {
            item.get("Id").and_then(Value::as_str).map(str::to_owned)
        }))
    }

    async fn get_findings(
        &self,
        filters: &Value,
        next_token: Option<&str>,
    ) -> std::result::Result<Page<Value>, ApiError> {
        let op = Operation::GetFindings;
        let mut request = json!({ "Filters": filters, "MaxResults": op.page_size() });
        if let Some(token) = next_token {
            request["NextToken"] = json!(token);
        }
        let answer = self
            .transport
            .invoke(op, request)
            .await
            .map_err(|e| e.into_api_error(op))?;
        let items = match answer.get("Findings") {
            Some(Value::Array(items)) => items.clone(),
            None | Some(Value::Null) => Vec::new(),
            Some(other) => {
                return Err(ApiError::invalid_response(format!(
                    "GetFindings answered Findings that is not a list: {other}"
                )));
            }
        };
        let next_marker = answer
            .get("NextToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Ok(Page { items, next_marker })
    }

    async fn batch_update_workflow(
        &self,
        findings: &[(String, String)],
        workflow_status: &str,
    ) -> std::result::Result<Vec<Refused>, ApiError> {
        let op = Operation::BatchUpdateFindings;
        let identifiers: Vec<Value> = findings
            .iter()
            .map(|(id, product)| json!({"Id": id, "ProductArn": product}))
            .collect();
        let answer = self
            .transport
            .invoke(
                op,
                json!({ "FindingIdentifiers": identifiers, "Workflow": {"Status": workflow_status} }),
            )
            .await
            .map_err(|e| e.into_api_error(op))?;
        Ok(refused_of(&answer, "UnprocessedFindings", |item| {
            item.pointer("/FindingIdentifier/Id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }))
    }
}

/// Where a run's findings go: a Security Hub client per Region.
#[derive(Clone, Default)]
pub struct SecurityHubClients {
    by_region: BTreeMap<String, Arc<dyn SecurityHubClient>>,
    #[allow(clippy::type_complexity)]
    factory: Option<Arc<dyn Fn(&str) -> Result<Arc<dyn SecurityHubClient>> + Send + Sync>>,
}

impl fmt::Debug for SecurityHubClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityHubClients")
            .field("regions", &self.by_region.keys().collect::<Vec<_>>())
            .field("factory", &self.factory.is_some())
            .finish()
    }
}

impl SecurityHubClients {
    /// No clients yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the client of its Region (replacing one there).
    pub fn with_client(mut self, client: Arc<dyn SecurityHubClient>) -> Self {
        self.by_region.insert(client.region().to_owned(), client);
        self
    }

    /// Makes the client of a Region that has none yet.
    pub fn with_factory(
        mut self,
        factory: impl Fn(&str) -> Result<Arc<dyn SecurityHubClient>> + Send + Sync + 'static,
    ) -> Self {
        self.factory = Some(Arc::new(factory));
        self
    }

    /// The Regions with a client.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.by_region.keys().map(String::as_str)
    }

    /// The client of `region`: added, or made by the factory.
    ///
    /// # Errors
    /// [`Error::Configuration`] when there is none and no factory; the factory's error.
    pub fn client(&self, region: &str) -> Result<Arc<dyn SecurityHubClient>> {
        if let Some(client) = self.by_region.get(region) {
            return Ok(client.clone());
        }
        match &self.factory {
            Some(make) => make(region),
            None => Err(Error::Configuration(format!(
                "no Security Hub client for region {region} (to_security_hub serves {})",
                if self.by_region.is_empty() {
                    "no region".to_owned()
                } else {
                    self.by_region.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))),
        }
    }
}

/// Where a run delivers its findings in Security Hub (`to_security_hub`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SecurityHubTarget {
    /// The built-in AWS SDK client, one per Region, with the run's AWS settings
    /// (CLI `--to-security-hub`, Python `to_security_hub=True`, Node `toSecurityHub: true`).
    Aws,
    /// Your clients (a boto3 `securityhub` client, an SDK v3 `SecurityHub` client).
    Clients(SecurityHubClients),
}

/// How a delivery runs.
#[derive(Clone)]
#[non_exhaustive]
pub struct DeliveryOptions {
    /// Archive the active findings of keys a full scan of their Region no
    /// longer lists (a check of named keys archives only keys found gone).
    pub archive_missing: bool,
    /// The findings' `UpdatedAt`: the delivery's time (not the report's, so
    /// that a re-check of the same facts still updates them).
    pub now: Timestamp,
    rates: Rates,
    retry: RetryConfig,
    call_log: Option<CallLog>,
    gone_keys: Vec<(String, String)>,
}

impl fmt::Debug for DeliveryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryOptions")
            .field("archive_missing", &self.archive_missing)
            .field("now", &self.now)
            .field("retry", &self.retry)
            .field("gone_keys", &self.gone_keys)
            .finish()
    }
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            archive_missing: true,
            now: Timestamp::now(),
            rates: Rates::default(),
            retry: RetryConfig::default(),
            call_log: None,
            gone_keys: Vec::new(),
        }
    }
}

impl DeliveryOptions {
    /// Whether to archive the findings of keys a full scan no longer lists.
    pub fn with_archive_missing(mut self, archive: bool) -> Self {
        self.archive_missing = archive;
        self
    }

    /// The findings' `UpdatedAt`.
    pub fn with_now(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }

    /// Paces, retries and logs the calls as `pacing` says (a check's).
    pub(crate) fn with_pacing(mut self, pacing: crate::engine::Pacing) -> Self {
        self.rates = pacing.rates;
        self.retry = pacing.retry;
        self.call_log = pacing.call_log;
        self
    }

    /// The retry behaviour of every Security Hub call.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Keys known to be gone without a finding in the report (`(region, key
    /// id)`: a key an event or a Config item says was deleted): their active
    /// findings are archived, whatever else the report holds.
    pub fn with_gone_keys<I, R, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = (R, K)>,
        R: Into<String>,
        K: Into<String>,
    {
        self.gone_keys
            .extend(keys.into_iter().map(|(region, key)| (region.into(), key.into())));
        self
    }
}

/// Whether a finding says its key does not exist.
fn key_gone(finding: &Finding) -> bool {
    finding.status == Status::Error
        && finding
            .error
            .as_ref()
            .is_some_and(|e| ErrorKind::from_code(&e.code) == ErrorKind::NotFound)
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The Region a Security Hub finding is about: its `Region`, else its first resource's.
fn finding_region(finding: &Value) -> Option<&str> {
    text(finding, "/Region").or_else(|| text(finding, "/Resources/0/Region"))
}

/// The top-level ASFF fields a finding of this tool has, which an archived
/// copy carries back (Security Hub's own additions are left out).
const OWN_FIELDS: [&str; 19] = [
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Remediation",
    "ProductFields",
    "Resources",
    "Compliance",
    "Workflow",
    "RecordState",
    "FirstObservedAt",
    "FindingProviderFields",
];

/// The document without its `null` members (an SDK's parameter validation
/// refuses them: what is unknown is left out, not sent as null).
fn without_nulls(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, v| !v.is_null());
            fields.values_mut().for_each(without_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// `now`, or a second after the finding's own `UpdatedAt` when that is not
/// earlier (Security Hub keeps the later of two updates): each delivery's
/// `UpdatedAt` is new, even twice within a second.
fn later_than(finding: &Value, now: Timestamp) -> Timestamp {
    match text(finding, "/UpdatedAt").and_then(|t| Timestamp::parse_rfc3339(t).ok()) {
        Some(before) if before.epoch_seconds() >= now.epoch_seconds() => {
            Timestamp::from_epoch_seconds(before.epoch_seconds() + 1)
        }
        _ => now,
    }
}

/// The finding as it was, archived now.
fn archived(existing: &Value, now: Timestamp) -> Value {
    let mut copy = Map::new();
    if let Value::Object(fields) = existing {
        for name in OWN_FIELDS {
            if let Some(value) = fields.get(name) {
                copy.insert(name.to_owned(), value.clone());
            }
        }
    }
    // Security Hub's own product fields (`aws/securityhub/...`) are not a provider's to send.
    if let Some(Value::Object(fields)) = copy.get_mut("ProductFields") {
        fields.retain(|name, _| !name.starts_with("aws/"));
    }
    copy.remove("Workflow");
    copy.insert("RecordState".into(), json!("ARCHIVED"));
    copy.insert("UpdatedAt".into(), json!(later_than(existing, now)));
    Value::Object(copy)
}

/// One Region's delivery.
struct RegionDelivery<'a> {
    client: Arc<dyn SecurityHubClient>,
    pacer: Pacer,
    counters: &'a Counters,
    retry: &'a RetryConfig,
    region: String,
    outcome: SecurityHubDelivery,
}

impl RegionDelivery<'_> {
    fn failed(&mut self, id: &str, op: Operation, code: &str, message: &str) {
        self.outcome.failed.push(FailedFinding {
            id: id.to_owned(),
            region: self.region.clone(),
            operation: op.as_str().to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        });
    }

    /// This tool's active findings of the account in this Region, by `Id`.
    async fn active(&mut self, account: &str) -> std::result::Result<HashMap<String, Value>, ApiError> {
        let generator = generator_id();
        let equals = |value: &str| json!([{"Value": value, "Comparison": "EQUALS"}]);
        let filters = json!({
            "GeneratorId": equals(&generator),
            "AwsAccountId": equals(account),
            "RecordState": equals("ACTIVE"),
        });
        let client = &self.client;
        let region = self.region.clone();
        let mut found = HashMap::new();
        self.pacer
            .pages(
                self.counters,
                Operation::GetFindings,
                |token| {
                    let filters = &filters;
                    async move { client.get_findings(filters, token.as_deref()).await }
                },
                |page: Vec<Value>| {
                    for finding in page {
                        // Filtered again: the answer must be ours, active, of this account and Region.
                        let ours = text(&finding, "/GeneratorId") == Some(generator.as_str())
                            && text(&finding, "/AwsAccountId") == Some(account)
                            && text(&finding, "/RecordState").unwrap_or("ACTIVE") == "ACTIVE"
                            && finding_region(&finding).is_none_or(|r| r == region);
                        if let (true, Some(id)) = (ours, text(&finding, "/Id")) {
                            found.insert(id.to_owned(), finding.clone());
                        }
                    }
                },
            )
            .await?;
        Ok(found)
    }

    /// Sends `items` in batches of `per_call` with `send`, sending again what a
    /// batch refused (at most [`FAILED_FINDING_ROUNDS`] rounds, with backoff);
    /// what is still refused, or whose call failed after retries, is recorded.
    /// The ids Security Hub took.
    async fn in_rounds<T: Clone>(
        &mut self,
        op: Operation,
        items: Vec<T>,
        per_call: usize,
        id_of: impl Fn(&T) -> String,
        send: impl for<'b> Fn(&'b [T]) -> BoxFuture<'b, std::result::Result<Vec<Refused>, ApiError>>,
    ) -> Vec<String> {
        let mut taken = Vec::new();
        for batch in items.chunks(per_call) {
            let mut pending = batch.to_vec();
            let mut round = 0;
            loop {
                round += 1;
                let refused = match self.pacer.call(self.counters, op, || send(&pending)).await {
                    Ok(refused) => refused,
                    Err(error) => {
                        for item in &pending {
                            self.failed(&id_of(item), op, &error.code, &error.message);
                        }
                        break;
                    }
                };
                let (again, done): (Vec<T>, Vec<T>) = pending
                    .into_iter()
                    .partition(|item| refused.iter().any(|r| r.id == id_of(item)));
                taken.extend(done.iter().map(&id_of));
                if again.is_empty() {
                    break;
                }
                if round >= FAILED_FINDING_ROUNDS {
                    for r in &refused {
                        self.failed(&r.id, op, &r.code, &r.message);
                    }
                    break;
                }
                tokio::time::sleep(self.retry.backoff(round - 1)).await;
                pending = again;
            }
        }
        taken
    }

    /// Imports `documents`, 100 a call; the `Id`s Security Hub took.
    async fn import(&mut self, documents: Vec<Value>) -> Vec<String> {
        let client = self.client.clone();
        let id_of = |d: &Value| text(d, "/Id").unwrap_or_default().to_owned();
        self.in_rounds(
            Operation::BatchImportFindings,
            documents,
            FINDINGS_PER_CALL,
            id_of,
            |batch| {
                let client = client.clone();
                Box::pin(async move { client.batch_import_findings(batch).await })
            },
        )
        .await
    }

    /// Sets the workflow of `findings` to `status`, 100 a call.
    async fn update_workflow(&mut self, findings: Vec<(String, String)>, status: &str) {
        let client = self.client.clone();
        let id_of = |(id, _): &(String, String)| id.clone();
        let taken = self
            .in_rounds(
                Operation::BatchUpdateFindings,
                findings,
                UPDATES_PER_CALL,
                id_of,
                |batch| {
                    let (client, status) = (client.clone(), status.to_owned());
                    Box::pin(async move { client.batch_update_workflow(batch, &status).await })
                },
            )
            .await;
        self.outcome.resolved += taken.len() as u64;
    }
}

/// The workflow a finding should be moved to from `NEW` / `NOTIFIED`, if any.
fn settled_workflow(status: Status) -> Option<&'static str> {
    match status {
        Status::Pass | Status::NotApplicable => Some("RESOLVED"),
        Status::Exempt => Some("SUPPRESSED"),
        _ => None,
    }
}

/// Delivers an account report's findings to Security Hub, Region by Region
/// (see the module's documentation for what each step does). Failures are in
/// the result ([`SecurityHubDelivery::failed`]), never dropped.
///
/// # Errors
/// [`Error::InvalidInput`] when the report has findings but names no account
/// (Security Hub needs `AwsAccountId`), before any call.
pub async fn deliver(
    clients: &SecurityHubClients,
    report: &AccountReport,
    options: &DeliveryOptions,
) -> Result<SecurityHubDelivery> {
    let Some(account) = report.account_id.clone() else {
        // No key anywhere, and so no account named: nothing to send, and no
        // account whose findings could be looked up to archive.
        if report.findings.is_empty() {
            return Ok(SecurityHubDelivery::default());
        }
        return Err(Error::invalid(
            "account_id",
            "(unknown)",
            "Security Hub findings need the account: the report names none",
        ));
    };
    let mut by_region: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in &report.findings {
        by_region.entry(finding.region.as_str()).or_default().push(finding);
    }
    // A Region of a key gone, or scanned in full with no key left, may still hold findings to archive.
    for (region, _) in &options.gone_keys {
        by_region.entry(region.as_str()).or_default();
    }
    if options.archive_missing {
        for region in report.regions.iter().filter(|r| r.state == RegionState::Scanned) {
            by_region.entry(region.region.as_str()).or_default();
        }
    }
    let counters = Counters::logging(options.call_log.clone());
    let mut total = SecurityHubDelivery::default();
    for (region, findings) in by_region {
        let full_scan = options.archive_missing
            && report
                .regions
                .iter()
                .any(|r| r.region == region && r.state == RegionState::Scanned);
        let client = match clients.client(region) {
            Ok(client) => client,
            Err(error) => {
                let mut outcome = SecurityHubDelivery::default();
                for finding in findings.iter().filter(|f| f.status != Status::Error) {
                    outcome.failed.push(FailedFinding {
                        id: asff_id(report, finding),
                        region: region.to_owned(),
                        operation: Operation::BatchImportFindings.as_str().to_owned(),
                        code: "NoSecurityHubClient".to_owned(),
                        message: error.to_string(),
                    });
                }
                total.absorb(outcome);
                continue;
            }
        };
        let mut delivery = RegionDelivery {
            client: client.clone(),
            pacer: Pacer::new(region, client.has_request_quotas(), &options.rates, &options.retry),
            counters: &counters,
            retry: &options.retry,
            region: region.to_owned(),
            outcome: SecurityHubDelivery::default(),
        };
        let gone_keys: Vec<&str> = options
            .gone_keys
            .iter()
            .filter(|(r, _)| r == region)
            .map(|(_, key)| key.as_str())
            .collect();
        let scope = Scope {
            full_scan,
            gone_keys: &gone_keys,
        };
        deliver_region(&mut delivery, report, &account, &findings, &scope, options.now).await;
        total.absorb(delivery.outcome);
    }
    Ok(total)
}

fn asff_id(report: &AccountReport, finding: &Finding) -> String {
    text(&asff(report, finding), "/Id").unwrap_or_default().to_owned()
}

/// What a Region's delivery archives besides the keys its findings say are gone.
struct Scope<'a> {
    /// The report lists every key of the Region: the others are gone.
    full_scan: bool,
    /// Key ids known to be gone.
    gone_keys: &'a [&'a str],
}

impl Scope<'_> {
    /// Whether an active finding is about one of the keys known to be gone.
    fn names_gone_key(&self, finding: &Value) -> bool {
        let Some(resource) = text(finding, "/Resources/0/Id") else {
            return false;
        };
        self.gone_keys.iter().any(|key| {
            resource
                .rsplit_once(":key/")
                .is_some_and(|(_, id)| id == *key || key.ends_with(&format!(":key/{id}")))
        })
    }
}

async fn deliver_region(
    delivery: &mut RegionDelivery<'_>,
    report: &AccountReport,
    account: &str,
    findings: &[&Finding],
    scope: &Scope<'_>,
    now: Timestamp,
) {
    // What is there now; without it nothing is archived or resolved (the imports still update in place).
    let active = match delivery.active(account).await {
        Ok(active) => Some(active),
        // Security Hub not enabled in a Region with nothing to send: nothing there to keep current.
        Err(error) if findings.is_empty() && error.code == NOT_SUBSCRIBED => return,
        Err(error) => {
            delivery.failed("", Operation::GetFindings, &error.code, &error.message);
            None
        }
    };
    let empty = HashMap::new();
    let active_now = active.as_ref().unwrap_or(&empty);
    let mut documents = Vec::new();
    // Sets: a delivery compares every active finding against every judged key.
    let mut judged_ids = HashSet::new();
    let mut gone_ids = HashSet::new();
    let mut to_settle: BTreeMap<&'static str, Vec<(String, String)>> = BTreeMap::new();
    for finding in findings {
        let mut document = asff(report, finding);
        let id = text(&document, "/Id").unwrap_or_default().to_owned();
        if finding.status == Status::Error {
            if key_gone(finding) {
                gone_ids.insert(id);
            } else {
                delivery.outcome.not_sent += 1;
                // Neither updated nor archived: the key's last verdict stands.
                judged_ids.insert(id);
            }
            continue;
        }
        document["UpdatedAt"] = json!(now);
        // Security Hub keeps a finding's first Severity and Types; a provider
        // updates them through FindingProviderFields.
        document["FindingProviderFields"] = json!({
            "Severity": document["Severity"].clone(),
            "Types": document["Types"].clone(),
        });
        if let Some(before) = active_now.get(&id) {
            if let Some(created) = before.get("CreatedAt") {
                document["CreatedAt"] = created.clone();
            }
            document["UpdatedAt"] = json!(later_than(before, now));
            let workflow = text(before, "/Workflow/Status").unwrap_or("NEW");
            if let Some(target) = settled_workflow(finding.status)
                && matches!(workflow, "NEW" | "NOTIFIED")
            {
                let product = text(before, "/ProductArn")
                    .or_else(|| text(&document, "/ProductArn"))
                    .unwrap_or_default()
                    .to_owned();
                to_settle.entry(target).or_default().push((id.clone(), product));
            }
        }
        judged_ids.insert(id);
        without_nulls(&mut document);
        documents.push(document);
    }
    let taken: HashSet<String> = delivery.import(documents).await.into_iter().collect();
    for id in &taken {
        if active_now.contains_key(id) {
            delivery.outcome.updated += 1;
        } else {
            delivery.outcome.created += 1;
        }
    }
    delivery.outcome.imported += taken.len() as u64;
    for (status, findings) in to_settle {
        let findings: Vec<_> = findings.into_iter().filter(|(id, _)| taken.contains(id)).collect();
        if !findings.is_empty() {
            delivery.update_workflow(findings, status).await;
        }
    }
    let Some(active) = active else { return };
    let mut to_archive: Vec<Value> = Vec::new();
    let mut ids: Vec<&String> = active.keys().collect();
    ids.sort();
    for id in ids {
        let gone = gone_ids.contains(id)
            || (scope.full_scan && !judged_ids.contains(id))
            || (!judged_ids.contains(id) && scope.names_gone_key(&active[id]));
        if gone {
            let mut document = archived(&active[id], now);
            without_nulls(&mut document);
            to_archive.push(document);
        }
    }
    let archived_now = delivery.import(to_archive).await;
    delivery.outcome.archived += archived_now.len() as u64;
}

/// An in-memory Security Hub that keeps findings the way Security Hub does
/// (a finding imported again with the same `Id` is updated in place, its
/// `Workflow` then left as it was; `GetFindings` filters on `EQUALS`), with
/// scripted refusals: for unit tests, examples and benches.
#[derive(Debug, Default)]
pub struct MemorySecurityHub {
    region: String,
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    findings: BTreeMap<String, Value>,
    /// `Id` → (code, times left) refused on import.
    refuse: HashMap<String, (String, u32)>,
    /// Calls made, by operation name.
    calls: BTreeMap<&'static str, u64>,
    /// The error code every `GetFindings` answers, if any.
    refuse_reads: Option<String>,
}

impl MemorySecurityHub {
    /// An empty Security Hub in `region`.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Refuses the finding `id` on its next `times` imports with `code`.
    pub fn refuse(&self, id: impl Into<String>, code: impl Into<String>, times: u32) {
        self.state().refuse.insert(id.into(), (code.into(), times));
    }

    /// Answers every `GetFindings` with the error `code` (e.g. `InvalidAccessException`:
    /// Security Hub not enabled).
    pub fn refuse_reads(&self, code: impl Into<String>) {
        self.state().refuse_reads = Some(code.into());
    }

    /// Every finding held, by `Id`.
    pub fn findings(&self) -> BTreeMap<String, Value> {
        self.state().findings.clone()
    }

    /// How many calls of `operation` were made.
    pub fn calls(&self, operation: Operation) -> u64 {
        self.state().calls.get(operation.as_str()).copied().unwrap_or(0)
    }
}

#[async_trait]
impl SecurityHubClient for MemorySecurityHub {
    fn region(&self) -> &str {
        &self.region
    }

    fn has_request_quotas(&self) -> bool {
        false
    }

    async fn batch_import_findings(&self, findings: &[Value]) -> std::result::Result<Vec<Refused>, ApiError> {
        let mut state = self.state();
        *state.calls.entry(Operation::BatchImportFindings.as_str()).or_default() += 1;
        if findings.len() > FINDINGS_PER_CALL {
            return Err(ApiError::new("InvalidInputException", "more than 100 findings").not_retryable());
        }
        let mut refused = Vec::new();
        for finding in findings {
            let id = text(finding, "/Id").unwrap_or_default().to_owned();
            if let Some((code, times)) = state.refuse.get_mut(&id)
                && *times > 0
            {
                *times -= 1;
                refused.push(Refused::new(id, code.clone(), "refused as scripted"));
                continue;
            }
            match state.findings.get_mut(&id) {
                Some(existing) => {
                    let workflow = existing.get("Workflow").cloned();
                    *existing = finding.clone();
                    if let Some(workflow) = workflow {
                        existing["Workflow"] = workflow;
                    }
                }
                None => {
                    state.findings.insert(id, finding.clone());
                }
            }
        }
        Ok(refused)
    }

    async fn get_findings(
        &self,
        filters: &Value,
        next_token: Option<&str>,
    ) -> std::result::Result<Page<Value>, ApiError> {
        let mut state = self.state();
        *state.calls.entry(Operation::GetFindings.as_str()).or_default() += 1;
        if let Some(code) = &state.refuse_reads {
            return Err(ApiError::new(code.clone(), "refused as scripted").not_retryable());
        }
        let matches = |finding: &Value| {
            filters.as_object().into_iter().flatten().all(|(field, wanted)| {
                wanted.as_array().into_iter().flatten().any(|w| {
                    let have = finding.get(field).and_then(Value::as_str).unwrap_or("ACTIVE");
                    Some(have) == w.get("Value").and_then(Value::as_str)
                })
            })
        };
        let start: usize = next_token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let size = Operation::GetFindings.page_size().unwrap_or(100) as usize;
        // Only the page is copied (a copy of every match per page is quadratic).
        let mut matching = state.findings.values().filter(|f| matches(f));
        let items: Vec<Value> = matching.by_ref().skip(start).take(size).cloned().collect();
        let next_marker = matching.next().is_some().then(|| (start + size).to_string());
        Ok(Page { items, next_marker })
    }

    async fn batch_update_workflow(
        &self,
        findings: &[(String, String)],
        workflow_status: &str,
    ) -> std::result::Result<Vec<Refused>, ApiError> {
        let mut state = self.state();
        *state.calls.entry(Operation::BatchUpdateFindings.as_str()).or_default() += 1;
        let mut refused = Vec::new();
        for (id, _) in findings {
            match state.findings.get_mut(id) {
                Some(finding) => finding["Workflow"] = json!({"Status": workflow_status}),
                None => refused.push(Refused::new(id.clone(), "FindingNotFound", "no such finding")),
            }
        }
        Ok(refused)
    }
}
