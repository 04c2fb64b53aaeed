//! Connecting: configuration, credentials, an assumed role, region discovery, identity.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use std::time::SystemTime;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::timeout::TimeoutConfig;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{ConnectorBuilder, tls};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::client::AwsClient;
use super::error::credentials_message;
use super::options::{AwsOptions, RegionSelection};
use super::organizations::AwsOrgClient;
use crate::api::register_secret;
use crate::arn::Regions;
use crate::arn::check_region_shape;
use crate::client::{Clients, KmsClient};
use crate::credentials::RoleCredentials;
use crate::error::{Error, Result};
use crate::organization::AccountDirectory;

/// Who the credentials belong to (`sts:GetCallerIdentity`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallerIdentity {
    /// The account the credentials act in.
    pub account_id: String,
    /// The caller's ARN (an assumed role shows as `arn:aws:sts::…:assumed-role/…`).
    pub arn: String,
    /// The partition of that ARN: `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
}

/// A connection to one AWS account: resolved configuration and credentials,
/// from which KMS clients for any region are made.
///
/// ```no_run
/// use kms_rotation_core::aws::{AwsOptions, AwsSession};
/// use kms_rotation_core::{check_account, CheckOptions};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let session = AwsSession::connect(&AwsOptions::default().with_all_regions()).await?;
/// let identity = session.identity().await?;
/// let regions = session.regions().await?;
/// println!("account {} ({}), {} regions", identity.account_id, identity.partition, regions.len());
/// let report = check_account(&session.clients_for(&regions)?, &CheckOptions::default()).await?;
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct AwsSession {
    config: SdkConfig,
    home_region: String,
    regions: RegionSelection,
    kms_endpoint_url: Option<String>,
    timeouts: TimeoutConfig,
    setup_timeout: Duration,
}

impl fmt::Debug for AwsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSession")
            .field("home_region", &self.home_region)
            .field("regions", &self.regions)
            .field("kms_endpoint_url", &self.kms_endpoint_url)
            .finish_non_exhaustive()
    }
}

/// Connects with `options` and returns a client per selected region, plus a
/// factory for any other region (remediation reaches a replica's primary there).
///
/// # Errors
/// As [`AwsSession::connect`] and [`AwsSession::regions`].
pub async fn clients(options: &AwsOptions) -> Result<Clients> {
    let session = AwsSession::connect(options).await?;
    let regions = session.regions().await?;
    session.clients_for(&regions)
}

impl AwsSession {
    /// Loads the configuration (profile, region, endpoint), sets up the role to
    /// assume, and resolves credentials once, so that a missing region or
    /// missing credentials fail here, clearly, instead of on every call.
    ///
    /// # Errors
    /// [`Error::Configuration`] when no region is configured or given, when no
    /// credentials can be found or the role cannot be assumed, or when that
    /// takes longer than the setup timeout (an unreachable instance metadata
    /// service, a stalled SSO login).
    pub async fn connect(options: &AwsOptions) -> Result<Self> {
        let timeout = options.setup_timeout;
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
        if let Some(profile) = &options.profile {
            check_profile_exists(profile)?;
            loader = loader.profile_name(profile);
        }
        if let Some(region) = options.explicit_home_region() {
            loader = loader.region(Region::new(region.to_owned()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(credentials) = &options.credentials {
            loader = loader.credentials_provider(credentials.clone());
        }
        let mut config = bounded(timeout, "loading the AWS configuration", loader.load()).await?;
        let home_region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                Error::Configuration(
                    "no AWS region: set AWS_REGION or the profile's region, or give regions".to_owned(),
                )
            })?;
        // A region from the environment or a profile is configuration, not an argument.
        check_region_shape(&home_region).map_err(|_| {
            Error::Configuration(format!(
                "the configured AWS region {home_region:?} is not a region name like us-east-1"
            ))
        })?;

        if let Some(role) = &options.role {
            let mut builder = AssumeRoleProvider::builder(&role.role_arn)
                .session_name(&role.session_name)
                .configure(&config);
            if let Some(id) = &role.external_id {
                builder = builder.external_id(id);
            }
            let provider = builder.build().await;
            config = config
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }

        let provider = config
            .credentials_provider()
            .ok_or_else(|| Error::Configuration("no AWS credentials provider is configured".to_owned()))?;
        let resolved = bounded(timeout, "resolving AWS credentials", provider.provide_credentials()).await?;
        match resolved {
            Ok(credentials) => {
                register_secret(credentials.secret_access_key());
                if let Some(token) = credentials.session_token() {
                    register_secret(token);
                }
            }
            Err(error) => {
                let what = match &options.role {
                    Some(role) => format!("cannot assume role {}", role.role_arn),
                    None => "no usable AWS credentials (looked at the environment, the shared \
                             config and credentials files, SSO, web identity, ECS and EC2 \
                             instance metadata)"
                        .to_owned(),
                };
                return Err(Error::Configuration(format!("{what}: {}", credentials_message(&error))));
            }
        }

        Ok(Self {
            config,
            home_region,
            regions: options.regions.clone(),
            kms_endpoint_url: options.kms_endpoint_url.clone(),
            timeouts: TimeoutConfig::builder()
                .connect_timeout(options.connect_timeout)
                .operation_attempt_timeout(options.attempt_timeout)
                .build(),
            setup_timeout: timeout,
        })
    }

    /// A session over an `SdkConfig` you loaded yourself (its region is the home
    /// region; credentials are resolved on the first call).
    ///
    /// # Errors
    /// [`Error::Configuration`] when the config has no region.
    pub fn from_sdk_config(config: SdkConfig) -> Result<Self> {
        let home_region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| Error::Configuration("the SdkConfig has no region".to_owned()))?;
        let defaults = AwsOptions::default();
        Ok(Self {
            config,
            home_region,
            regions: RegionSelection::Configured,
            kms_endpoint_url: None,
            timeouts: TimeoutConfig::builder()
                .connect_timeout(defaults.connect_timeout)
                .operation_attempt_timeout(defaults.attempt_timeout)
                .build(),
            setup_timeout: defaults.setup_timeout,
        })
    }

    /// The region STS and Account calls go to; also the region checked by default.
    pub fn home_region(&self) -> &str {
        &self.home_region
    }

    /// The resolved SDK configuration (credentials provider, home region, endpoint).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    /// A KMS client for `region`, with SDK retries disabled (the engine retries).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name not shaped like `us-east-1`.
    pub fn client(&self, region: &str) -> Result<AwsClient> {
        check_region_shape(region)?;
        let mut builder = aws_sdk_kms::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            // One retry layer: the engine's `Caller` retries with backoff and
            // jitter on `ApiError::retryable`; the SDK must not retry underneath.
            .retry_config(RetryConfig::disabled())
            .timeout_config(self.timeouts.clone());
        if let Some(url) = &self.kms_endpoint_url {
            builder = builder.endpoint_url(url);
        }
        AwsClient::new(aws_sdk_kms::Client::from_conf(builder.build()))
    }

    /// Clients for `regions`, plus a factory that makes a client for any other
    /// region on demand (a replica's primary may live outside the scan).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a region not shaped like `us-east-1`.
    pub fn clients_for<S: AsRef<str>>(&self, regions: &[S]) -> Result<Clients> {
        let mut clients = Clients::new();
        for region in regions {
            clients = clients.with_client(Arc::new(self.client(region.as_ref())?));
        }
        let session = self.clone();
        let clients = clients.with_factory(move |region| {
            session
                .client(region)
                .map(|client| Arc::new(client) as Arc<dyn KmsClient>)
        });
        let session = self.clone();
        Ok(clients
            .with_home_region(self.home_region.clone())
            .with_enabled_regions_lookup(move || {
                let session = session.clone();
                Box::pin(async move { session.enabled_regions().await })
            }))
    }

    /// The regions the options selected: the home region, the given list, or
    /// the account's enabled regions.
    ///
    /// # Errors
    /// As [`AwsSession::enabled_regions`] when all regions were asked for.
    pub async fn regions(&self) -> Result<Vec<String>> {
        match &self.regions {
            RegionSelection::List(list) => Ok(list.clone()),
            RegionSelection::AllEnabled => self.enabled_regions().await,
            RegionSelection::Configured => Ok(vec![self.home_region.clone()]),
        }
    }

    /// The regions enabled for the account (`account:ListRegions` in the home
    /// region's partition, every page, paced and retried by the engine), sorted.
    ///
    /// # Errors
    /// [`Error::Api`] when the call fails (e.g. `AccessDeniedException`: allow
    /// `account:ListRegions` or name the regions), [`Error::Configuration`] on timeout.
    pub async fn enabled_regions(&self) -> Result<Vec<String>> {
        let directory = AccountDirectory::new(Arc::new(AwsOrgClient::new(self)), Regions::Default);
        bounded(
            self.setup_timeout,
            "listing the account's regions",
            directory.enabled_regions(),
        )
        .await?
    }

    /// Who the credentials belong to, with the partition of their ARN
    /// (`sts:GetCallerIdentity`, retried by the engine).
    ///
    /// # Errors
    /// [`Error::Api`] when `sts:GetCallerIdentity` fails, [`Error::Configuration`] on timeout.
    pub async fn identity(&self) -> Result<CallerIdentity> {
        let directory = AccountDirectory::new(Arc::new(AwsOrgClient::new(self)), Regions::Default);
        let caller = bounded(self.setup_timeout, "reading the caller identity", directory.caller()).await??;
        Ok(CallerIdentity {
            account_id: caller.account_id,
            arn: caller.arn.unwrap_or_default(),
            partition: caller.partition,
        })
    }

    /// The same session acting with `credentials` (a member account's role).
    pub(crate) fn with_role_credentials(&self, credentials: &RoleCredentials) -> Self {
        let provider = Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
            Some(credentials.session_token.clone()),
            credentials
                .expiration
                .and_then(|at| u64::try_from(at.epoch_seconds()).ok())
                .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
            "kms-rotation-assume-role",
        );
        let mut session = self.clone();
        session.config = self
            .config
            .clone()
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        session
    }

    /// The STS configuration: the session's, without the SDK's retries (the engine retries).
    pub(crate) fn sts_config(&self) -> aws_sdk_sts::Config {
        aws_sdk_sts::config::Builder::from(&self.config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(self.timeouts.clone())
            .build()
    }

    /// The Organizations configuration, without the SDK's retries.
    pub(crate) fn organizations_config(&self) -> aws_sdk_organizations::Config {
        aws_sdk_organizations::config::Builder::from(&self.config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(self.timeouts.clone())
            .build()
    }

    /// The connect and attempt timeouts every client of the session has.
    pub(crate) fn timeouts(&self) -> &TimeoutConfig {
        &self.timeouts
    }

    /// The Account configuration, without the SDK's retries.
    pub(crate) fn account_config(&self) -> aws_sdk_account::Config {
        aws_sdk_account::config::Builder::from(&self.config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(self.timeouts.clone())
            .build()
    }
}

/// A profile named but found in neither the shared config nor the credentials
/// file is a configuration error (aws-config would silently use other credentials).
fn check_profile_exists(profile: &str) -> Result<()> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    let files = [
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ];
    let headers = [format!("[profile {profile}]"), format!("[{profile}]")];
    let found = files.iter().flatten().any(|path| {
        std::fs::read_to_string(path).is_ok_and(|text| {
            text.lines().any(|line| {
                let line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
                headers.contains(&line)
            })
        })
    });
    if found {
        return Ok(());
    }
    let looked: Vec<String> = files.iter().flatten().map(|p| p.display().to_string()).collect();
    Err(Error::Configuration(format!(
        "the AWS profile {profile:?} is not defined (looked in {})",
        looked.join(" and ")
    )))
}

/// The HTTPS client every AWS SDK client of a session uses: the SDK's default
/// (hyper, rustls, the platform's root certificates, proxies from the
/// environment, the connect and read timeouts each client sets) with rustls
/// over ring rather than aws-lc (see the workspace `Cargo.toml`).
pub(crate) fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// Runs `future`, or fails with [`Error::Configuration`] when it takes longer than `timeout`.
async fn bounded<T>(timeout: Duration, what: &str, future: impl Future<Output = T>) -> Result<T> {
    tokio::time::timeout(timeout, future).await.map_err(|_| {
        Error::Configuration(format!(
            "{what} took longer than {timeout:?}; check the profile, the network, \
             or whether the instance metadata service is reachable"
        ))
    })
}
