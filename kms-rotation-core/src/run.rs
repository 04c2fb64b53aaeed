//! The operations over a [`Connection`]: what the CLI, Python and Node call,
//! so that each door only converts its arguments and results.

use crate::check::{CheckOptions, check_account, check_key, check_key_operations};
use crate::collect::collect;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::model::Finding;
use crate::remediate::{RemediateOptions, remediate, remediate_keys};
use crate::report::{AccountReport, RemediationReport};
use crate::snapshot::Snapshot;

impl Connection {
    /// [`check_account`] over every region the connection covers.
    ///
    /// # Errors
    /// As [`Connection::scan_clients`] and [`check_account`]; all before any KMS call.
    pub async fn check_account(&self, options: &CheckOptions) -> Result<AccountReport> {
        let clients = self.scan_clients(&options.operations()).await?;
        check_account(&clients, options).await
    }

    /// [`collect`] over every region the connection covers.
    ///
    /// # Errors
    /// As [`Connection::check_account`].
    pub async fn collect(&self, options: &CheckOptions) -> Result<Snapshot> {
        let clients = self.scan_clients(&options.operations()).await?;
        collect(&clients, options).await
    }

    /// [`check_key`] for a key id, alias, key ARN or alias ARN; `region` is
    /// where key ids and aliases are looked up (an ARN names its own).
    ///
    /// # Errors
    /// As [`Connection::key_clients`] and [`check_key`].
    pub async fn check_key(&self, key: &str, region: Option<&str>, options: &CheckOptions) -> Result<Finding> {
        let needed = check_key_operations(options.policy());
        let (client, _) = self.key_clients(key, region, &needed).await?;
        check_key(client.as_ref(), key, options).await
    }

    /// [`remediate`] a report: clients for its regions, and for any other
    /// region a target needs (a replica's primary).
    ///
    /// # Errors
    /// As [`Connection::remediation_clients`] and [`remediate`].
    pub async fn remediate(&self, report: &AccountReport, options: &RemediateOptions) -> Result<RemediationReport> {
        let regions: Vec<String> = report.regions.iter().map(|r| r.region.clone()).collect();
        let clients = self.remediation_clients(&regions, &options.operations()).await?;
        remediate(&clients, report, options).await
    }

    /// [`remediate_keys`]: checks the keys, then fixes those that fail. Key
    /// ids and aliases are looked up in `region` (else the connection's one region).
    ///
    /// # Errors
    /// As [`remediate_keys`]; [`Error::InvalidInput`] for an empty key list.
    pub async fn remediate_keys(
        &self,
        keys: &[&str],
        region: Option<&str>,
        check: &CheckOptions,
        options: &RemediateOptions,
    ) -> Result<RemediationReport> {
        let Some(first) = keys.first() else {
            return Err(Error::invalid("keys", "[]", "name at least one key"));
        };
        for key in keys {
            key.parse::<crate::arn::KeyRef>()?;
        }
        let mut needed = check_key_operations(check.policy());
        needed.extend(options.operations());
        // The first key's client tells the default region (an ARN's, the one named, or the connection's).
        let (home, _) = self.key_clients(first, region, &needed).await?;
        let home = match first.parse::<crate::arn::KeyRef>()?.region() {
            Some(_) => region.map(str::to_owned).unwrap_or_else(|| home.region().to_owned()),
            None => home.region().to_owned(),
        };
        let mut regions = vec![home.clone()];
        for key in keys {
            if let Some(region) = key.parse::<crate::arn::KeyRef>()?.region()
                && !regions.iter().any(|r| r == region)
            {
                regions.push(region.to_owned());
            }
        }
        let clients = self.remediation_clients(&regions, &needed).await?;
        remediate_keys(&clients, &home, keys, check, options).await
    }
}
