//! SDK errors to [`ApiError`]: the service's code and message, and what the engine may do.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_kms::config::http::HttpResponse;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::api::{ApiError, ErrorKind};

/// The code of a response KMS did not answer as documented (missing fields).
pub(super) const INVALID_RESPONSE: &str = "InvalidResponse";

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
    let context = || DisplayErrorContext(&error).to_string();
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
                return ApiError::with_kind("CredentialsError", context(), kind);
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

/// A response KMS should not send (a required field missing).
pub(super) fn invalid_response(message: impl Into<String>) -> ApiError {
    ApiError::with_kind(INVALID_RESPONSE, message, ErrorKind::Other)
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
