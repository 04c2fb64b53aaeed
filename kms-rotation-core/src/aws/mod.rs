//! The [`KmsClient`](crate::KmsClient) over the AWS SDK for Rust (feature `aws`).
//!
//! The only module that names AWS SDK types.
//!
//! * [`clients`] turns [`AwsOptions`] into the [`Clients`](crate::Clients) that
//!   [`check_account`](crate::check_account), [`remediate`](crate::remediate()) and
//!   [`collect`](crate::collect()) take: credentials from aws-config's default
//!   chain (environment, profiles, SSO, web identity, ECS, IMDS) or a profile,
//!   optionally through an assumed role, one client per region plus a factory
//!   for any other region (a replica's primary).
//! * [`AwsSession`] is the same in steps: connect once, then discover regions
//!   ([`AwsSession::enabled_regions`]), read the caller's identity and make clients.
//! * [`AwsOrgClient`] is the [`OrgClient`](crate::OrgClient) over STS,
//!   Organizations and Account, for [`crate::check_organization`].
//! * [`AwsConfigClient`] is the
//!   [`ConfigClient`](crate::continuous::client::ConfigClient) over AWS Config,
//!   for the Config rule handler ([`crate::handlers`]).
//! * [`AwsSecurityHub`] is one Region's Security Hub (`to_security_hub`).
//! * [`AwsCloudFormationClient`] reads a stack's resources (`compare_live` with `stack_name`).
//! * [`AwsClient`] is one region's client; it makes exactly one request per call
//!   and never retries: the SDK's retries are
//!   disabled so that the engine's retry layer, with backoff and jitter, is the only one.
//!
//! ```no_run
//! use kms_rotation_core::aws::{self, AwsOptions};
//! use kms_rotation_core::{check_account, CheckOptions};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let options = AwsOptions::default()
//!     .with_profile("audit")
//!     .with_regions(["us-east-1", "eu-west-1"])?;
//! let clients = aws::clients(&options).await?;
//! let report = check_account(&clients, &CheckOptions::default()).await?;
//! println!("{} keys fail", report.summary.fail);
//! # Ok::<(), kms_rotation_core::Error>(())
//! # }).unwrap();
//! ```

mod client;
mod cloudformation;
mod config;
mod error;
mod options;
mod organizations;
mod security_hub;
mod session;
mod signed;

pub use client::AwsClient;
pub use cloudformation::AwsCloudFormationClient;
pub use config::AwsConfigClient;
pub use options::{AssumeRole, AwsOptions, RegionSelection};
pub use organizations::AwsOrgClient;
pub use security_hub::{AwsSecurityHub, security_hub_clients};
pub use session::{AwsSession, CallerIdentity, clients};
