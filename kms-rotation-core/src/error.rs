//! The one error type a caller of this crate sees.

use std::path::PathBuf;

use crate::api::ApiError;

/// Everything that can go wrong in a call into this crate.
///
/// Bad input ([`Error::InvalidInput`]) is always detected before any API call.
/// An error from AWS about one key is not an `Error`: it becomes an `ERROR`
/// finding for that key and the scan goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was malformed or out of range; `what` names the argument.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// The argument, e.g. `"key reference"` or `"rotation_period_days"`.
        what: &'static str,
        /// The value as given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A snapshot file could not be read as JSON of the expected shape.
    #[error("malformed snapshot{}: line {line}, column {column}: {message}", source_name.as_ref().map(|p| format!(" {p}")).unwrap_or_default())]
    MalformedSnapshot {
        /// The file, when read from one.
        source_name: Option<String>,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// An AWS API call failed and the failure concerns the whole request, not one key.
    #[error("{operation} in {region} failed: {source}")]
    Api {
        /// The API operation, e.g. `"EnableKeyRotation"`.
        operation: &'static str,
        /// The region the call went to.
        region: String,
        /// The AWS error, with its code kept verbatim.
        #[source]
        source: ApiError,
    },
    /// The environment or options do not allow the request (no region, no client for a region, no credentials).
    #[error("configuration error: {0}")]
    Configuration(String),
    /// Reading or writing a file failed.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The message with every option it names (the argument of an invalid
    /// input, and options named in the text) spelled as `door` spells it:
    /// `--max-rotation-period-days`, `max_rotation_period_days=`, `maxRotationPeriodDays`.
    pub fn message_for(&self, door: crate::options::Door) -> String {
        let text = match self {
            // Between backticks, so that spell_options spells a one-word option too.
            Error::InvalidInput { what, value, reason } if crate::options::option_named(what).is_some() => {
                format!("invalid `{what}` {value:?}: {reason}")
            }
            _ => self.to_string(),
        };
        crate::options::spell_options(&text, door)
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub(crate) fn invalid(what: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
