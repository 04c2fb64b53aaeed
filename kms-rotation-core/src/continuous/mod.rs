//! Continuous evaluation where AWS already runs it: the events AWS Config
//! and EventBridge hand a Lambda function, turned into the keys to check
//! ([`config`], [`events`]), verdicts turned into Config evaluations, and
//! the Config calls a handler makes ([`client`]). The handlers themselves,
//! which stand on the connection and the engine, are [`crate::handlers`].
//! The checks themselves are the one engine's (`check_key` with a fresh
//! read); only where the keys come from and where the verdicts go differ.

pub mod client;
pub mod config;
pub mod events;
pub mod security_hub;

use std::fmt;

/// A key an event names, where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyTarget {
    /// The account the key is in.
    pub account_id: String,
    /// The key's region.
    pub region: String,
    /// The key as the event names it: a key id, key ARN or alias.
    pub key: String,
}

impl KeyTarget {
    /// The key `key` in `account_id` and `region`.
    pub fn new(account_id: impl Into<String>, region: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            region: region.into(),
            key: key.into(),
        }
    }
}

impl fmt::Display for KeyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in account {}, {}", self.key, self.account_id, self.region)
    }
}
