//! The operations over a [`Connection`]: what the CLI, Python and Node call,
//! so that each door only converts its arguments and results.

use crate::api::Operation;
use crate::arn::KeyRef;
use crate::check::{CheckOptions, check_account, check_key, check_key_operations, check_keys};
use crate::client::Clients;
use crate::collect::collect;
use crate::connection::Connection;
use crate::continuous::security_hub::{DeliveryOptions, deliver};
use crate::error::{Error, Result};
use crate::evidence::{Evidence, check_evidence_paths, check_with_evidence, refuse_evidence};
use crate::model::Finding;
use crate::organization::{check_organization_in, remediate_organization_in};
use crate::remediate::{RemediateOptions, remediate, remediate_keys};
use crate::report::{AccountReport, OrganizationReport, RemediationReport};
use crate::snapshot::Snapshot;

impl Connection {
    /// [`check_account`] over every region the connection covers.
    ///
    /// # Errors
    /// As [`Connection::scan_clients`] and [`check_account`]; all before any KMS call.
    pub async fn check_account(&self, options: &CheckOptions) -> Result<AccountReport> {
        if let Some(path) = options.evidence() {
            check_evidence_paths(path, None)?;
            let (report, evidence) = self.check_account_with_evidence(options).await?;
            evidence.write(path, &report, None)?;
            return Ok(report);
        }
        let clients = self.scan_clients(&options.operations()).await?;
        let mut report = check_account(&clients, options).await?;
        report.source = Some(self.report_source());
        self.deliver_to_security_hub(&mut report, options, true, Vec::new())
            .await?;
        Ok(report)
    }

    /// [`check_account`] with its [`Evidence`]: the account is read with
    /// [`collect`] and judged on what it recorded, so that the report is what
    /// a re-check of the evidence gives ([`crate::verify_evidence`]). Write it
    /// with [`Evidence::write`] (what [`CheckOptions::with_evidence`] does).
    ///
    /// # Errors
    /// As [`Connection::check_account`].
    pub async fn check_account_with_evidence(&self, options: &CheckOptions) -> Result<(AccountReport, Evidence)> {
        if self.security_hub().is_some() {
            // The delivery's outcome would be in the report, and a re-check of the evidence
            // cannot reproduce it.
            return Err(Error::invalid(
                "to_security_hub",
                "given with evidence",
                "cannot be combined with evidence: write the evidence, then deliver in another run",
            ));
        }
        let clients = self.scan_clients(&options.operations()).await?;
        let (mut report, evidence) = check_with_evidence(&clients, options).await?;
        report.source = Some(self.report_source());
        Ok((report, evidence))
    }

    /// Delivers the report's findings to Security Hub when the connection
    /// asks for it (`to_security_hub`): the outcome goes in `report.security_hub`.
    /// `full_scan`: the report lists every key of its regions, so findings of
    /// keys it lacks are archived; so are those of `gone_keys` (`(region, key)`:
    /// keys known to be gone, such as a deleted key an event names).
    ///
    /// # Errors
    /// As [`Connection::security_hub_clients`] and [`deliver`]; failures of
    /// Security Hub's calls are in the outcome, not errors.
    pub(crate) async fn deliver_to_security_hub(
        &self,
        report: &mut AccountReport,
        options: &CheckOptions,
        full_scan: bool,
        gone_keys: Vec<(String, String)>,
    ) -> Result<()> {
        let Some(target) = self.security_hub() else {
            return Ok(());
        };
        let clients = self.security_hub_clients(target).await?;
        let delivery = DeliveryOptions::default()
            .with_pacing(options.pacing())
            .with_archive_missing(full_scan)
            .with_gone_keys(gone_keys);
        report.security_hub = Some(deliver(&clients, report, &delivery).await?);
        Ok(())
    }

    /// [`crate::check_organization`] over the connection's organisation
    /// settings: every account, through the role in each, every region the
    /// connection covers in each account.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the connection has no organisation
    /// settings or is not the built-in AWS client's; as [`crate::check_organization`].
    pub async fn check_organization(&self, options: &CheckOptions) -> Result<OrganizationReport> {
        refuse_evidence(options, "an organisation check")?;
        let (organization, scope) = self.organization_settings()?;
        let directory = self.account_directory().await?;
        check_organization_in(&directory, organization, scope, options).await
    }

    /// [`crate::remediate_organization`]: each `FAIL` target in its own
    /// account, through `remediation_role_name` or the role name.
    ///
    /// # Errors
    /// As [`Connection::check_organization`] and [`crate::remediate_organization`].
    pub async fn remediate_organization(
        &self,
        report: &OrganizationReport,
        options: &RemediateOptions,
    ) -> Result<RemediationReport> {
        let (organization, scope) = self.organization_settings()?;
        options.rotation_period_for(&report.policy)?;
        let directory = self.account_directory().await?;
        remediate_organization_in(&directory, report, organization, scope, options).await
    }

    fn organization_settings(&self) -> Result<(&crate::OrganizationOptions, &crate::AccountScope)> {
        self.organization().ok_or_else(|| {
            Error::Configuration(
                "not an organisation run: give organization, organizational_unit or accounts_file (with role_name)"
                    .to_owned(),
            )
        })
    }

    /// [`collect`] over every region the connection covers.
    ///
    /// # Errors
    /// As [`Connection::check_account`].
    pub async fn collect(&self, options: &CheckOptions) -> Result<Snapshot> {
        refuse_evidence(options, "collect")?;
        let clients = self.scan_clients(&options.operations()).await?;
        collect(&clients, options).await
    }

    /// [`check_key`] for a key id, alias, key ARN or alias ARN; `region` is
    /// where key ids and aliases are looked up (an ARN names its own).
    ///
    /// # Errors
    /// As [`Connection::key_clients`] and [`check_key`].
    pub async fn check_key(&self, key: &str, region: Option<&str>, options: &CheckOptions) -> Result<Finding> {
        refuse_evidence(options, "check_key")?;
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
        // Bad input before any connection: the period against the report's policy,
        // and the keys' source against where remediation would act.
        options.rotation_period_for(&report.policy)?;
        options.check_source(report.source.as_ref(), &self.report_source())?;
        let regions: Vec<String> = report.regions.iter().map(|r| r.region.clone()).collect();
        let clients = self
            .remediation_clients(&regions, &options.operations_for(&report.policy))
            .await?;
        remediate(&clients, report, options).await
    }

    /// [`check_keys`]: one finding per key. Key ids and aliases are looked
    /// up in `region` (else the connection's one region); ARNs name their own.
    ///
    /// # Errors
    /// As [`check_keys`]; [`Error::InvalidInput`] for an empty key list.
    pub async fn check_keys(
        &self,
        keys: &[&str],
        region: Option<&str>,
        options: &CheckOptions,
    ) -> Result<AccountReport> {
        refuse_evidence(options, "a check of named keys")?;
        let needed = check_key_operations(options.policy());
        let (clients, home) = self.keys_clients(keys, region, &needed).await?;
        let mut report = check_keys(&clients, &home, keys, options).await?;
        report.source = Some(self.report_source());
        self.deliver_to_security_hub(&mut report, options, false, Vec::new())
            .await?;
        Ok(report)
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
        refuse_evidence(check, "remediate_keys")?;
        let mut needed = check_key_operations(check.policy());
        needed.extend(options.operations_for(check.policy()));
        let (clients, home) = self.keys_clients(keys, region, &needed).await?;
        remediate_keys(&clients, &home, keys, check, options).await
    }

    /// The clients for a list of keys and the region key ids and aliases are looked up in.
    async fn keys_clients(
        &self,
        keys: &[&str],
        region: Option<&str>,
        needed: &[Operation],
    ) -> Result<(Clients, String)> {
        if keys.is_empty() {
            return Err(Error::invalid("keys", "[]", "name at least one key"));
        }
        let mut named = Vec::with_capacity(keys.len());
        for key in keys {
            named.push(key.parse::<KeyRef>()?.region().map(str::to_owned));
        }
        // A key id or alias (or, failing one, the first ARN) tells the home region.
        let probe = keys
            .iter()
            .zip(&named)
            .find(|(_, region)| region.is_none())
            .map_or(keys[0], |(key, _)| *key);
        let (client, _) = self.key_clients(probe, region, needed).await?;
        let home = client.region().to_owned();
        let mut regions = vec![home.clone()];
        for region in named.into_iter().flatten() {
            if !regions.contains(&region) {
                regions.push(region);
            }
        }
        let clients = self.remediation_clients(&regions, needed).await?;
        Ok((clients, home))
    }
}
