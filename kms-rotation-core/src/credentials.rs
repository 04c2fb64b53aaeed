//! Credentials: the static ones a caller gives, the temporary ones
//! `AssumeRole` returns for a member account, and the one rule for renewing
//! the latter ([`RenewingCredentials`], after object_store's `TokenCache`),
//! used alike by the built-in AWS client and by clients you make.
//!
//! Every value is registered for scrubbing when it arrives and never printed
//! (their `Debug` shows no value, not even the access key id).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::api::register_secret;
use crate::error::Result;
use crate::model::Timestamp;

/// Static AWS credentials. Never printed, not even the access key id.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticCredentials(..)")
    }
}

impl StaticCredentials {
    /// Registers the secret and the token for scrubbing from every message.
    pub(crate) fn register(&self) {
        register_secret(&self.secret_access_key);
        if let Some(token) = &self.session_token {
            register_secret(token);
        }
    }
}

/// Temporary credentials `AssumeRole` returned for a member account:
/// registered for scrubbing when they arrive, never printed.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoleCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token.
    pub session_token: String,
    /// When they expire, when STS said.
    pub expiration: Option<Timestamp>,
}

impl fmt::Debug for RoleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleCredentials")
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl RoleCredentials {
    /// Credentials as STS gave them, registered for scrubbing.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: impl Into<String>,
        expiration: Option<Timestamp>,
    ) -> Self {
        let credentials = Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.into(),
            expiration,
        };
        register_secret(&credentials.secret_access_key);
        register_secret(&credentials.session_token);
        credentials
    }

    /// Whether they expire within `margin` of `now` (never, when STS gave no expiration).
    pub fn expires_within(&self, margin: Duration, now: Timestamp) -> bool {
        self.expiration
            .is_some_and(|at| at.epoch_seconds() - now.epoch_seconds() <= margin.as_secs() as i64)
    }
}

/// Role credentials are renewed when this little of their life is left (the
/// AWS SDKs' own margin is 5 to 15 minutes) — or half their lifetime, for
/// credentials that lived less than twice this (so that short-lived ones are
/// renewed once per half-life, not on every call).
pub const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// Whether credentials obtained at `obtained` are due for renewal at `now`:
/// the one renewal rule.
fn due(credentials: &RoleCredentials, obtained: Timestamp, now: Timestamp) -> bool {
    let Some(expiration) = credentials.expiration else {
        return false;
    };
    let lifetime = (expiration.epoch_seconds() - obtained.epoch_seconds()).max(0) as u64;
    let margin = RENEW_BEFORE_EXPIRY.min(Duration::from_secs(lifetime / 2));
    credentials.expires_within(margin, now)
}

/// Fetches fresh role credentials (`AssumeRole` through the engine).
pub(crate) type FetchCredentials = Arc<dyn Fn() -> BoxFuture<'static, Result<RoleCredentials>> + Send + Sync>;

/// One account's role credentials, renewed by the one rule when they are due
/// ([`RENEW_BEFORE_EXPIRY`]); one renewal at a time, shared by every client
/// of the account.
pub(crate) struct RenewingCredentials {
    fetch: FetchCredentials,
    /// Held while a renewal is in progress, so that there is one at a time.
    renewal: tokio::sync::Mutex<()>,
    /// The credentials and when they were obtained: read without waiting on
    /// every call (and by code that cannot wait, a client made synchronously
    /// for another region).
    latest: Mutex<Option<(Arc<RoleCredentials>, Timestamp)>>,
}

impl fmt::Debug for RenewingCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewingCredentials").finish_non_exhaustive()
    }
}

impl RenewingCredentials {
    /// Credentials fetched with `fetch` now, so that a refused role fails
    /// here with its AWS code; renewed by `fetch` later.
    pub(crate) async fn fetch_now(fetch: FetchCredentials) -> Result<Self> {
        let first = Arc::new(fetch().await?);
        Ok(Self {
            fetch,
            renewal: tokio::sync::Mutex::new(()),
            latest: Mutex::new(Some((first, Timestamp::now()))),
        })
    }

    /// The credentials held, when they are not due for renewal at `now`.
    fn fresh(&self, now: Timestamp) -> Option<Arc<RoleCredentials>> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        let (credentials, obtained) = latest.as_ref()?;
        (!due(credentials, *obtained, now)).then(|| credentials.clone())
    }

    /// The credentials, renewed first when they are due.
    ///
    /// # Errors
    /// As the fetch (`AssumeRole`'s AWS code).
    pub(crate) async fn current(&self) -> Result<Arc<RoleCredentials>> {
        // Every call asks; almost every time the held credentials answer, without waiting.
        if let Some(credentials) = self.fresh(Timestamp::now()) {
            return Ok(credentials);
        }
        let _renewing = self.renewal.lock().await;
        // Another call may have renewed them while this one waited.
        let now = Timestamp::now();
        if let Some(credentials) = self.fresh(now) {
            return Ok(credentials);
        }
        let fresh = Arc::new((self.fetch)().await?);
        *self.latest.lock().unwrap_or_else(|p| p.into_inner()) = Some((fresh.clone(), now));
        Ok(fresh)
    }

    /// The credentials last fetched, without waiting for a renewal in progress.
    pub(crate) fn latest(&self) -> Option<Arc<RoleCredentials>> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.as_ref().map(|(credentials, _)| credentials.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiring(at: i64) -> RoleCredentials {
        RoleCredentials::new(
            "AKIA",
            "secret-value",
            "token-value",
            Some(Timestamp::from_epoch_seconds(at)),
        )
    }

    #[test]
    fn renewal_is_due_within_the_margin_or_half_a_short_life() {
        let t0 = 1_000_000;
        let hour = expiring(t0 + 3600);
        let at = |s: i64| Timestamp::from_epoch_seconds(t0 + s);
        assert!(!due(&hour, at(0), at(3600 - 301)));
        assert!(due(&hour, at(0), at(3600 - 300)));
        // Credentials living 60 s are renewed after 30 s, not on every call.
        let minute = expiring(t0 + 60);
        assert!(!due(&minute, at(0), at(29)));
        assert!(due(&minute, at(0), at(30)));
        let never = RoleCredentials::new("AKIA", "secret-value", "token-value", None);
        assert!(!due(&never, at(0), at(1_000_000)));
    }

    #[tokio::test]
    async fn credentials_are_fetched_once_until_due() {
        let fetched = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = fetched.clone();
        let fetch: FetchCredentials = Arc::new(move || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                // The first credentials are already due; the second last an hour.
                let life = if n == 0 { 0 } else { 3600 };
                Ok(expiring(Timestamp::now().epoch_seconds() + life))
            })
        });
        let renewing = RenewingCredentials::fetch_now(fetch).await.unwrap();
        renewing.current().await.unwrap();
        renewing.current().await.unwrap();
        assert_eq!(fetched.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(renewing.latest().is_some());
    }
}
