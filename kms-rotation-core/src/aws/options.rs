//! How to reach AWS: credentials, regions, endpoints, an assumed role, timeouts.

use std::fmt;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::arn::{Arn, check_external_id, check_region, check_session_name};
use crate::error::{Error, Result};

/// Which regions to check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RegionSelection {
    /// The home region: the one given with [`AwsOptions::with_home_region`], else the
    /// region configured in the environment or profile (`AWS_REGION`, the
    /// profile's `region`, or the instance's region on EC2).
    #[default]
    Configured,
    /// These regions, as given (a disabled opt-in region ends as `not_enabled`).
    List(Vec<String>),
    /// Every region enabled for the account, discovered at run time with
    /// `account:ListRegions` in the partition of the home region.
    AllEnabled,
}

/// A role to assume before calling KMS, e.g. an audit role in another account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssumeRole {
    /// The role ARN, `arn:aws:iam::111122223333:role/KmsRotationAudit`.
    pub role_arn: String,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// The session name CloudTrail records (default `kms-rotation`).
    pub session_name: String,
}

/// The session name used when none is given.
const DEFAULT_SESSION_NAME: &str = "kms-rotation";

/// Options of [`clients`](super::clients) and [`AwsSession::connect`](super::AwsSession::connect).
///
/// The default uses aws-config's default credential chain and the configured region.
///
/// ```
/// use std::time::Duration;
/// use kms_rotation_core::aws::{AwsOptions, RegionSelection};
/// let options = AwsOptions::default()
///     .with_profile("audit")
///     .with_all_regions()
///     .with_home_region("eu-west-1")?
///     .with_role("arn:aws:iam::111122223333:role/KmsRotationAudit", Some("ext-4242"), None)?
///     .with_setup_timeout(Duration::from_secs(5))?;
/// assert_eq!(options.regions(), &RegionSelection::AllEnabled);
/// assert!(AwsOptions::default().with_regions(["not a region"]).is_err());
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Clone)]
pub struct AwsOptions {
    pub(super) profile: Option<String>,
    pub(super) regions: RegionSelection,
    pub(super) home_region: Option<String>,
    pub(super) endpoint_url: Option<String>,
    pub(super) kms_endpoint_url: Option<String>,
    pub(super) role: Option<AssumeRole>,
    pub(super) credentials: Option<SharedCredentialsProvider>,
    pub(super) setup_timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) attempt_timeout: Duration,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            profile: None,
            regions: RegionSelection::Configured,
            home_region: None,
            endpoint_url: None,
            kms_endpoint_url: None,
            role: None,
            credentials: None,
            // Long enough for SSO or an STS round trip, short enough that an
            // unreachable instance metadata service does not look like a hang.
            setup_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_millis(3100),
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for AwsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsOptions")
            .field("profile", &self.profile)
            .field("regions", &self.regions)
            .field("home_region", &self.home_region)
            .field("endpoint_url", &self.endpoint_url)
            .field("kms_endpoint_url", &self.kms_endpoint_url)
            .field("role", &self.role)
            // Never print keys, not even the access key id.
            .field("credentials", &self.credentials.as_ref().map(|_| "given"))
            .field("setup_timeout", &self.setup_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish()
    }
}

impl AwsOptions {
    /// Uses this shared config/credentials profile instead of `AWS_PROFILE` / `default`.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Checks these regions, as given.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty list or a name not shaped like `us-east-1`.
    pub fn with_regions<I, S>(mut self, regions: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut list: Vec<String> = Vec::new();
        for region in regions {
            let region = region.into();
            check_region(&region)?;
            if !list.contains(&region) {
                list.push(region);
            }
        }
        if list.is_empty() {
            return Err(Error::invalid("regions", "[]", "name at least one region"));
        }
        self.regions = RegionSelection::List(list);
        Ok(self)
    }

    /// Checks every region enabled for the account, discovered at run time.
    pub fn with_all_regions(mut self) -> Self {
        self.regions = RegionSelection::AllEnabled;
        self
    }

    /// The region for STS and Account calls (role assumption, identity, region
    /// discovery). Default: the configured region, else the first listed region.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name not shaped like `us-east-1`.
    pub fn with_home_region(mut self, region: impl Into<String>) -> Result<Self> {
        let region = region.into();
        check_region(&region)?;
        self.home_region = Some(region);
        Ok(self)
    }

    /// Sends every AWS call (KMS, STS, Account) to this endpoint: an emulator
    /// such as moto's server. For a KMS VPC endpoint use [`AwsOptions::with_kms_endpoint_url`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless the URL starts with `http://` or `https://`.
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Result<Self> {
        self.endpoint_url = Some(check_url("endpoint_url", url.into())?);
        Ok(self)
    }

    /// Sends KMS calls (only) to this endpoint, e.g. an interface VPC endpoint.
    /// It serves every region the clients are made for, so give one region with it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless the URL starts with `http://` or `https://`.
    pub fn with_kms_endpoint_url(mut self, url: impl Into<String>) -> Result<Self> {
        self.kms_endpoint_url = Some(check_url("kms_endpoint_url", url.into())?);
        Ok(self)
    }

    /// Assumes this role (with the chain's or profile's credentials) before calling KMS.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed role ARN, external id (2–1224
    /// characters) or session name (2–64 of `A-Za-z0-9+=,.@_-`).
    pub fn with_role(mut self, role_arn: &str, external_id: Option<&str>, session_name: Option<&str>) -> Result<Self> {
        check_role_arn(role_arn)?;
        if let Some(id) = external_id {
            check_external_id(id)?;
        }
        let session_name = session_name.unwrap_or(DEFAULT_SESSION_NAME);
        check_session_name(session_name)?;
        self.role = Some(AssumeRole {
            role_arn: role_arn.to_owned(),
            external_id: external_id.map(str::to_owned),
            session_name: session_name.to_owned(),
        });
        Ok(self)
    }

    /// Uses these keys instead of the default credential chain (tests, emulators,
    /// or a caller that already holds credentials). They never appear in output.
    pub fn with_static_credentials(
        mut self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> Self {
        self.credentials = Some(SharedCredentialsProvider::new(Credentials::new(
            access_key_id,
            secret_access_key,
            session_token.map(str::to_owned),
            None,
            "kms-rotation-static",
        )));
        self
    }

    /// Uses this credentials provider instead of the default credential chain
    /// (e.g. one that renews assumed-role credentials before they expire).
    pub fn with_credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// Bounds loading the configuration and the first credentials (profile
    /// files, SSO, instance metadata, role assumption). Default 15 s.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for zero.
    pub fn with_setup_timeout(mut self, timeout: Duration) -> Result<Self> {
        self.setup_timeout = check_timeout("setup_timeout", timeout)?;
        Ok(self)
    }

    /// Bounds establishing a connection to KMS (default 3.1 s) and one KMS
    /// request attempt (default 30 s). Either ends as a retryable error.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for zero.
    pub fn with_timeouts(mut self, connect: Duration, attempt: Duration) -> Result<Self> {
        self.connect_timeout = check_timeout("connect_timeout", connect)?;
        self.attempt_timeout = check_timeout("attempt_timeout", attempt)?;
        Ok(self)
    }

    /// The profile, if set.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// The region selection.
    pub fn regions(&self) -> &RegionSelection {
        &self.regions
    }

    /// The endpoint for every service, if set.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }

    /// The role to assume, if set.
    pub fn role(&self) -> Option<&AssumeRole> {
        self.role.as_ref()
    }

    /// The region STS and Account calls go to, as far as the options tell.
    pub(super) fn explicit_home_region(&self) -> Option<&str> {
        self.home_region.as_deref().or(match &self.regions {
            RegionSelection::List(list) => list.first().map(String::as_str),
            _ => None,
        })
    }
}

fn check_url(what: &'static str, url: String) -> Result<String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(url),
        _ => Err(Error::invalid(what, url.clone(), "must be an http:// or https:// URL")),
    }
}

fn check_role_arn(arn: &str) -> Result<()> {
    Arn::parse_role(arn).map(drop)
}

fn check_timeout(what: &'static str, timeout: Duration) -> Result<Duration> {
    if timeout.is_zero() {
        Err(Error::invalid(what, "0s", "must be longer than zero"))
    } else {
        Ok(timeout)
    }
}
