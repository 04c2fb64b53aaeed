//! The snapshot client: an account's KMS facts held in memory, served through
//! [`KmsClient`](crate::KmsClient), loaded from and saved to the snapshot JSON of `DESIGN.md`.
//!
//! The file keeps the AWS API's own PascalCase shapes, so the output of
//! `aws kms describe-key` can be pasted in as a key. Used for offline audits,
//! the demo, tests and benches; it can replay errors, add latency, enforce
//! request quotas and log every call it receives.
//!
//! `format` is the file's serde model, `account` the account in memory
//! ([`Snapshot`]), `file` its loading and saving, `client` the [`SnapshotClient`];
//! `transport` answers in the KMS API's JSON, `cloudsploit` reads CloudSploit collections.

mod account;
mod client;
mod cloudsploit;
mod file;
mod format;
mod transport;

pub use account::{Call, Snapshot, SnapshotKey};
pub use client::SnapshotClient;
pub use transport::SnapshotTransport;
