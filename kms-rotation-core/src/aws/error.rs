//! SDK errors to [`ApiError`]: the service's code and message, and what the engine may do.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_kms::config::http::HttpResponse;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};

use crate::api::{ApiError, ErrorKind};

/// Maps any AWS SDK error: a service error keeps its code verbatim; transport
/// failures get a code naming the failure and are retryable unless retrying
/// cannot help (bad request construction, missing credentials).
///
/// Messages come from AWS or from the SDK's error chain, which never includes
/// credentials.
pub(super) fn api_error<E>(error: SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    // One readable line: the innermost cause, not the SDK's debug chain.
    let context = || innermost(&error);
    if let Some(missing) = find_source::<super::client::MissingRotationFlag>(&error) {
        return ApiError::with_kind("MalformedResponse", missing.to_string(), ErrorKind::InvalidResponse);
    }
    match &error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let message = error
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {status}"));
            match error.code() {
                Some(code) => {
                    let mapped = ApiError::new(code, message);
                    // An unknown code on a 5xx is still a server-side failure.
                    if mapped.kind == ErrorKind::Other && status >= 500 {
                        ApiError::with_kind(mapped.code, mapped.message, ErrorKind::Retryable)
                    } else {
                        mapped
                    }
                }
                // A success status whose body could not be read: cut off or garbled.
                None if (200..300).contains(&status) => ApiError::with_kind(
                    "MalformedResponse",
                    format!("malformed response body (HTTP {status}): {}", innermost(&error)),
                    ErrorKind::InvalidResponse,
                ),
                None => ApiError::with_kind(format!("Http{status}"), message, status_kind(status)),
            }
        }
        SdkError::TimeoutError(_) => ApiError::with_kind("TimeoutError", context(), ErrorKind::Retryable),
        SdkError::DispatchFailure(failure) => {
            if let Some(credentials) = find_source::<CredentialsError>(&error) {
                let kind = match credentials {
                    CredentialsError::ProviderTimedOut(_) => ErrorKind::Retryable,
                    _ => ErrorKind::Other,
                };
                return ApiError::with_kind("CredentialsError", credentials_message(credentials), kind);
            }
            let kind = if failure.is_user() {
                ErrorKind::Other
            } else {
                ErrorKind::Retryable
            };
            ApiError::with_kind("DispatchFailure", context(), kind)
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            ApiError::with_kind(
                "ResponseError",
                context(),
                if (300..500).contains(&status) {
                    status_kind(status)
                } else {
                    // Cut short or garbled on the way back: worth another try.
                    ErrorKind::Retryable
                },
            )
        }
        SdkError::ConstructionFailure(_) => ApiError::with_kind("ConstructionFailure", context(), ErrorKind::Other),
        _ => ApiError::with_kind("SdkError", context(), ErrorKind::Other),
    }
}

/// What went wrong getting credentials, without the provider's own words: a
/// failing `credential_process` may print the secret it was meant to return.
pub(super) fn credentials_message(error: &CredentialsError) -> String {
    let what = match error {
        CredentialsError::CredentialsNotLoaded(_) => "no credentials were found",
        CredentialsError::ProviderTimedOut(_) => "the credential provider timed out",
        CredentialsError::InvalidConfiguration(_) => "the credential configuration is invalid",
        CredentialsError::ProviderError(_) => "the credential provider failed",
        _ => "loading credentials failed",
    };
    format!("{what} (the provider's own message is not shown: it may contain secrets)")
}

/// The innermost cause's message, on one line (the part a person can act on:
/// "Connection refused", "dns error", "operation timed out").
fn innermost(error: &(dyn StdError + 'static)) -> String {
    let mut messages = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !messages.contains(&text) {
            messages.push(text);
        }
        current = e.source();
    }
    let line = messages
        .iter()
        .rev()
        .take(2)
        .rev()
        .cloned()
        .collect::<Vec<_>>()
        .join(": ");
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn status_kind(status: u16) -> ErrorKind {
    match status {
        429 => ErrorKind::Throttling,
        403 => ErrorKind::AccessDenied,
        404 => ErrorKind::NotFound,
        500.. => ErrorKind::Retryable,
        _ => ErrorKind::Other,
    }
}

fn find_source<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}
