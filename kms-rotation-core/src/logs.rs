//! The process's log (feature `cli`): every `tracing` event, whatever crate emits
//! it — this one, the AWS SDK, its credential providers, its HTTP client — is
//! redacted in one place, [`RedactingLayer`], before anything is written, and
//! the HTTP client's wire-level targets stay quiet unless named ([`filter`]).
//!
//! Redaction is [`scrub`](crate::scrub) on the message and on every field
//! (credential values in use, access key ids, the values of `Authorization`,
//! `X-Amz-Security-Token`, `X-Amz-Credential`, `X-Amz-Signature`, …), and a
//! credential provider's own text is withheld: an `aws_config` event keeps its
//! message up to the first `": "` and only the fields of [`PROVIDER_FACTS`],
//! because a provider's error can quote what it failed to return (a
//! `credential_process` that printed the secret on its stderr); in any other
//! event, a credential provider's error (a refresh that failed mid-run, as the
//! SDK's orchestrator logs it) is withheld from where it starts.
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::util::SubscriberInitExt;
//!
//! // What the `kms-rotation` command line does with `RUST_LOG=debug`.
//! tracing_subscriber::registry()
//!     .with(kms_rotation_core::logs::filter("debug"))
//!     .with(kms_rotation_core::logs::RedactingLayer::new(|record| eprintln!("{record}")))
//!     .init();
//! ```

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::api::scrub;

/// Targets that dump requests, responses, headers or signing input (the AWS
/// SDK's orchestrator and signer, its HTTP client, hyper, h2, rustls): quiet
/// below `INFO` unless a directive names them (or a module above or below them).
pub const WIRE_TARGETS: [&str; 10] = [
    "aws_smithy_runtime::client::orchestrator",
    "aws_smithy_runtime::client::http",
    "aws_smithy_http_client",
    "aws_sigv4",
    "aws_runtime::auth",
    "aws_runtime::content_encoding",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
];

/// Targets whose events are a credential provider's: their text is withheld
/// (see the module documentation).
pub const PROVIDER_TARGETS: [&str; 4] = ["aws_config", "aws_credential_types", "aws_sdk_sso", "aws_sdk_ssooidc"];

/// The fields of a credential provider's event that are shown: which provider,
/// profile, role or region, and whether something expired — never its errors,
/// commands, tokens or credentials.
pub const PROVIDER_FACTS: [&str; 9] = [
    "provider",
    "profile",
    "source_profile_name",
    "role_arn",
    "region",
    "status",
    "expired",
    "expires_soon",
    "path",
];

/// What stands for withheld provider text.
const WITHHELD: &str = "[withheld: credential provider text]";

/// Where a credential provider's error starts inside any event's text (the SDK's
/// orchestrator logs an operation's error, a failed credentials refresh included):
/// the `Display` and `Debug` forms of `CredentialsError` and `TokenError`, and
/// `credential_process`'s own words. What follows is withheld.
const PROVIDER_ERROR_MARKERS: [&str; 12] = [
    "while loading credentials",
    "credentials provider was not properly configured",
    "unexpected credentials error",
    "while loading an access token",
    "access token provider",
    "CredentialsNotLoaded(",
    "ProviderTimedOut(",
    "InvalidConfiguration(",
    "ProviderError(",
    "TokenNotLoaded(",
    "Error retrieving credentials",
    "Stderr:",
];

/// `text` cut after the first [`PROVIDER_ERROR_MARKERS`] it holds.
fn withhold_provider_errors(mut text: String) -> String {
    let cut = PROVIDER_ERROR_MARKERS
        .iter()
        .filter_map(|marker| text.find(marker).map(|at| at + marker.len()))
        .min();
    if let Some(at) = cut {
        text.truncate(at);
        text.push(' ');
        text.push_str(WITHHELD);
    }
    text
}

/// An `EnvFilter` for `directives` (`RUST_LOG` syntax) in which every target of
/// [`WIRE_TARGETS`] that no directive names is capped at `INFO`: `trace` alone
/// shows every crate's trace events but not the HTTP client's request and
/// header dumps; `aws_smithy_runtime=trace,hyper=trace` shows those (redacted).
pub fn filter(directives: &str) -> EnvFilter {
    EnvFilter::new(capped_directives(directives))
}

/// `directives` with `TARGET=info` added for each wire target not named.
fn capped_directives(directives: &str) -> String {
    let named: Vec<&str> = directives
        .split(',')
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
        .filter_map(|d| {
            // `target[span{field=value}]=level`, or a bare level (no target) or a bare target.
            let target = d.split(['[', '=']).next().unwrap_or("").trim();
            let bare_level =
                !d.contains('=') && !d.contains('[') && (target.parse::<tracing::level_filters::LevelFilter>().is_ok());
            (!target.is_empty() && !bare_level).then_some(target)
        })
        .collect();
    let mut out = directives.trim().trim_end_matches(',').to_owned();
    for wire in WIRE_TARGETS {
        if !named.iter().any(|t| wire.starts_with(t) || t.starts_with(wire)) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(wire);
            out.push_str("=info");
        }
    }
    out
}

/// One log event, redacted: what a sink receives from [`RedactingLayer`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogRecord {
    /// The event's level.
    pub level: Level,
    /// The event's target (usually its module path, e.g. `aws_config::meta::credentials::chain`).
    pub target: String,
    /// The names of the spans the event happened in, outermost first.
    pub spans: Vec<&'static str>,
    /// The message, redacted.
    pub message: String,
    /// The other fields, `(name, value)` in the order recorded, values redacted.
    pub fields: Vec<(&'static str, String)>,
}

impl LogRecord {
    /// The redacted record of `event` (span names are the caller's to add).
    pub fn of(event: &Event<'_>) -> Self {
        let target = event.metadata().target();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let provider = PROVIDER_TARGETS.iter().any(|p| {
            target
                .strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        });
        let mut message = fields.message;
        let mut values = fields.values;
        if provider {
            if let Some(at) = message.find(": ") {
                message.truncate(at + 2);
                message.push_str(WITHHELD);
            }
            for (name, value) in &mut values {
                if !PROVIDER_FACTS.contains(name) {
                    *value = WITHHELD.to_owned();
                }
            }
        }
        Self {
            level: *event.metadata().level(),
            target: target.to_owned(),
            spans: Vec::new(),
            message: scrub(&withhold_provider_errors(message)),
            fields: values
                .into_iter()
                .map(|(name, value)| (name, scrub(&withhold_provider_errors(value))))
                .collect(),
        }
    }
}

impl fmt::Display for LogRecord {
    /// `LEVEL span:span: target: message name=value …`, on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>5} ", self.level)?;
        for span in &self.spans {
            write!(f, "{span}:")?;
        }
        if !self.spans.is_empty() {
            f.write_str(" ")?;
        }
        write!(f, "{}:", self.target)?;
        if !self.message.is_empty() {
            write!(f, " {}", self.message)?;
        }
        for (name, value) in &self.fields {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// The message and fields of an event, as text.
#[derive(Default)]
struct Fields {
    message: String,
    values: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        // Quoted, as `tracing_subscriber::fmt` shows a string field (a message stays bare).
        let text = if field.name() == "message" {
            value.to_owned()
        } else {
            format!("{value:?}")
        };
        self.record(field, text);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.values.push((field.name(), value));
        }
    }
}

/// A `tracing_subscriber` layer that hands every event, redacted ([`LogRecord::of`],
/// with the names of its spans), to a sink: the only way events leave the process
/// in the command line, and the one a program embedding this crate can use too.
pub struct RedactingLayer<F> {
    sink: F,
}

impl<F> RedactingLayer<F>
where
    F: Fn(LogRecord) + Send + Sync + 'static,
{
    /// A layer calling `sink` with each redacted event.
    pub fn new(sink: F) -> Self {
        Self { sink }
    }
}

impl<S, F> Layer<S> for RedactingLayer<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    F: Fn(LogRecord) + Send + Sync + 'static,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut record = LogRecord::of(event);
        if let Some(scope) = ctx.event_scope(event) {
            record.spans = scope.from_root().map(|span| span.name()).collect();
        }
        (self.sink)(record);
    }
}

/// Logs to stderr through [`RedactingLayer`], filtered by [`filter`]: what the
/// command line sets up for `RUST_LOG` and `--verbose`. Does nothing when a
/// global subscriber is already set.
pub fn init_stderr(directives: &str) {
    use std::io::Write;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let layer = RedactingLayer::new(|record| {
        let mut line = String::new();
        let mut writer = tracing_subscriber::fmt::format::Writer::new(&mut line);
        let _ = tracing_subscriber::fmt::time::FormatTime::format_time(
            &tracing_subscriber::fmt::time::SystemTime,
            &mut writer,
        );
        let line = format!("{line} {record}\n");
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    });
    let _ = tracing_subscriber::registry()
        .with(filter(directives))
        .with(layer)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_targets_are_capped_unless_named() {
        let capped = capped_directives("trace");
        assert!(capped.starts_with("trace,"));
        for wire in WIRE_TARGETS {
            assert!(capped.contains(&format!("{wire}=info")), "{capped}");
        }
        let named = capped_directives("aws_smithy_runtime=trace,hyper=trace");
        assert!(
            !named.contains("aws_smithy_runtime::client::orchestrator=info"),
            "{named}"
        );
        assert!(!named.contains("hyper=info"), "{named}");
        assert!(named.contains("h2=info") && named.contains("aws_sigv4=info"), "{named}");
        assert!(capped_directives("aws_sigv4::http_request=trace").contains("hyper=info"));
        assert!(!capped_directives("aws_sigv4::http_request=trace").contains("aws_sigv4=info"));
        assert!(capped_directives("").starts_with("aws_smithy_runtime::client::orchestrator=info"));
        assert!(capped_directives("kms_rotation[call]=debug").contains("hyper=info"));
    }

    fn recorded(emit: impl FnOnce()) -> Vec<LogRecord> {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt;

        let records = Arc::new(Mutex::new(Vec::new()));
        let sink = records.clone();
        let subscriber = tracing_subscriber::registry()
            .with(filter("trace,aws_smithy_runtime=trace"))
            .with(RedactingLayer::new(move |r| sink.lock().unwrap().push(r)));
        tracing::subscriber::with_default(subscriber, emit);
        records.lock().unwrap().clone()
    }

    #[test]
    fn a_credential_providers_text_is_withheld_and_headers_are_redacted() {
        let records = recorded(|| {
            tracing::warn!(
                target: "aws_config::meta::credentials::chain",
                provider = "Profile",
                error = "external process exited with code 1. Stderr: CANARYSECRET",
                "provider failed to provide credentials"
            );
            tracing::warn!(target: "aws_config::sso::token", "SSO token refresh failed: CANARYSECRET");
            tracing::debug!(
                target: "kms_rotation::call",
                echoed = "authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123; x-amz-security-token: FQoGZXIvYXdzEBYaDtoken+/=",
                "an echo"
            );
            tracing::trace!(target: "hyper::proto", "a wire line");
            tracing::debug!(
                target: "aws_smithy_runtime::client::orchestrator",
                err = "DispatchFailure(ProviderError(ProviderError { source: \"Stderr: CANARYSECRET\" }))",
                "encountered orchestrator error; continuing"
            );
        });
        assert_eq!(records.len(), 4, "{records:?}");
        let text: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        assert!(
            text[0].contains("provider=\"Profile\"") || text[0].contains("provider=Profile"),
            "{}",
            text[0]
        );
        assert!(text[0].contains(&format!("error={WITHHELD}")), "{}", text[0]);
        assert_eq!(records[1].message, format!("SSO token refresh failed: {WITHHELD}"));
        for secret in [
            "CANARYSECRET",
            "AKIAIOSFODNN7EXAMPLE",
            "abc123",
            "FQoGZXIvYXdzEBYaDtoken",
        ] {
            assert!(text.iter().all(|t| !t.contains(secret)), "{secret}: {text:?}");
        }
        assert!(text[2].contains("authorization: [REDACTED]"), "{}", text[2]);
        // The SDK's own account of a failed credentials refresh: cut where the provider's error starts.
        assert!(text[3].ends_with(&format!("ProviderError( {WITHHELD}")), "{}", text[3]);
    }
}
