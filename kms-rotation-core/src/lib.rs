//! # kms-rotation-core
//!
//! Checks that every AWS KMS key that can rotate is set to rotate
//! automatically, often enough, across an account's regions — and safely
//! turns rotation on where it is off.
//!
//! * [`check_key`] and [`check_account`] apply the decision table in
//!   [`rules`] to the facts a [`KmsClient`] reads, giving one [`Finding`] per key.
//! * [`remediate`] enables rotation for `FAIL` findings, re-reading before and
//!   verifying after, dry run by default.
//! * [`Snapshot`] serves an account's facts from memory or a JSON file:
//!   offline audits, tests, benches.
//!
//! ```
//! use kms_rotation_core::{check_account, CheckOptions, Snapshot, Status};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
//! let report = check_account(&snapshot.clients(), &CheckOptions::default()).await?;
//! for finding in report.findings_with(Status::Fail) {
//!     println!("{} {}: {}", finding.region, finding.key_arn, finding.message);
//! }
//! # Ok::<(), kms_rotation_core::Error>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The layers, lowest first (a module uses only layers below it; no import
// cycles): api; logs (the process's log, over api); error; arn, model;
// credentials; policy; rules; report; client (with JsonClient), aws_json;
// snapshot; engine; check, collect, remediate; organization (options, the
// OrgClient trait and its transport and memory implementations, the
// directory, the operations); continuous (events, evaluations, the Config
// client trait); aws; connection; run; handlers; render. `evidence` (a
// check's facts, report and manifest, and their verification) stands on
// collect, check and render, and `run` calls it (render uses neither).
mod api;
mod arn;
#[cfg(feature = "aws")]
pub mod aws;
pub mod aws_json;
mod baseline;
mod check;
#[cfg(feature = "cli")]
pub mod cli;
mod client;
mod collect;
mod comparison;
pub mod conformance;
mod connection;
pub mod continuous;
mod credentials;
mod declarations;
mod drift;
mod engine;
mod error;
mod evidence;
pub mod handlers;
mod json_input;
#[cfg(feature = "cli")]
pub mod logs;
mod model;
mod options;
mod organization;
mod policy;
mod remediate;
mod render;
mod report;
pub mod rules;
mod run;
mod snapshot;

pub use api::{
    ApiError, DAYS_SINCE_ROTATION_RANGE, ErrorKind, ON_DEMAND_ROTATION_LIMIT, Operation, ROTATION_PERIOD_RANGE,
    Service, register_secret, scrub,
};
pub use arn::{
    Arn, KNOWN_PARTITIONS, KNOWN_REGIONS, KeyRef, OPT_IN_REGIONS, Regions, allow_unknown_regions, check_region,
    is_opt_in_region,
};
pub use baseline::{BaselineComparison, BaselineCounts, FailOn, PreviousFindings};
pub use check::{CheckOptions, check_account, check_key, check_key_operations, check_keys};
pub use client::json::{JsonClient, JsonTransport, TransportError};
pub use client::{ClientFactory, Clients, EnabledRegionsLookup, KmsClient};
pub use collect::collect;
pub use comparison::Baseline;
pub use connection::{Connection, ConnectionOptions};
pub use continuous::security_hub::{SecurityHubClient, SecurityHubClients, SecurityHubTarget, TransportSecurityHub};
pub use credentials::{RENEW_BEFORE_EXPIRY, RoleCredentials, StaticCredentials};
pub use declarations::stack::{
    CloudFormationClient, JsonCloudFormationClient, MemoryCloudFormation, StackResource, stack_resources,
};
pub use declarations::{DeclarationOptions, DeclarationSource, check_cloudformation, check_terraform_plan};
pub use engine::{ApiCall, CallLog, DEFAULT_QUOTA_FRACTION, ProgressCallback, ProgressEvent, RetryConfig};
pub use error::{Error, Result};
pub use evidence::{
    Evidence, EvidenceFiles, EvidenceVerification, MANIFEST_KIND, RUN_SPECIFIC_FIELDS, ReportFile,
    check_evidence_paths, evidence_manifest_path, evidence_report_path, verify_evidence,
};
pub use model::BaselineState;
pub use model::{
    Alias, ErrorInfo, Finding, KeyListEntry, KeyManager, KeyMetadata, KeySpec, KeyState, KeySummary, KeyUsage,
    MemberAccount, MultiRegionInfo, MultiRegionRole, Origin, Page, Reason, RemediationPlan, RotationStatus, Status,
    Tag, Timestamp,
};
pub use model::{
    CodeLocation, KeyRotation, LiveComparison, LiveDifference, LiveState, RotationCounts, RotationHistory, RotationType,
};
pub use model::{
    ExpirationModel, ImportState, KeyLastUsage, KeyMaterial, KeyMaterialState, KeyMaterialStatus, KeyUsageOperation,
    LastUsage,
};
pub use options::{Door, OPTIONS, OptionSpec, option_named, spell_options};
pub use organization::{
    AccountDirectory, AccountRegion, AccountScope, CallerAccount, DEFAULT_MAX_ACCOUNTS_IN_FLIGHT, MemoryOrgTransport,
    MemoryOrganization, OrgClient, OrganizationOptions, OrganizationTransport, RoleSession, TransportOrgClient,
    check_account_id, check_organization, remediate_organization,
};
pub use policy::{
    DEFAULT_MATERIAL_EXPIRY_WARNING_DAYS, DEFAULT_MAX_ROTATION_PERIOD_DAYS, Exemption, MATERIAL_EXPIRY_WARNING_RANGE,
    Policy, check_rotation_period,
};
pub use remediate::{RemediateOptions, remediate, remediate_keys};
pub use render::{
    CHECK_ID, CHECK_TITLE, COMPLIANCE, CheckReport, DEFAULT_WIDTH, Format, RECOMMENDATION, REFERENCE_URL,
    RENDER_OPTIONS, RenderOptions, render, render_organization, render_remediation,
};
pub use report::{
    AccountCounts, AccountEntry, AccountReport, AccountState, OrganizationReport, Outcome, RegionReport, RegionState,
    RemediationAction, RemediationReport, ReportSource, SCHEMA_VERSION, Stats, Summary,
};
pub use report::{FailedFinding, SecurityHubDelivery};
pub use snapshot::{Call, Snapshot, SnapshotClient, SnapshotKey, SnapshotTransport};

/// The README's Rust example, compiled as a doc test so it cannot drift.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Re-exported so implementers of [`KmsClient`] use the same attribute.
pub use async_trait::async_trait;

/// The bindings run these futures on multi-threaded runtimes: they must stay `Send`.
#[allow(dead_code)]
fn futures_are_send(
    clients: &Clients,
    options: &CheckOptions,
    client: &dyn KmsClient,
    report: &AccountReport,
    remediation: &RemediateOptions,
) {
    fn send<T: Send>(_: T) {}
    send(check_account(clients, options));
    send(check_key(client, "alias/x", options));
    send(collect(clients, options));
    send(remediate(clients, report, remediation));
    send(remediate_keys(clients, "us-east-1", &[], options, remediation));
}
