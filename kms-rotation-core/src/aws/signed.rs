//! SigV4-signed requests to an AWS service's JSON API with a session's
//! credentials, through the HTTP and TLS stack the AWS SDK crates already
//! build (hyper, rustls with the platform's roots), for the services this
//! crate calls a few operations of: Security Hub (REST-JSON), AWS Config
//! (`awsJson1_1`) and CloudFormation (`awsQuery`: a form body, an XML answer,
//! read in `cloudformation.rs`).
//!
//! Why not their SDK crates: `aws-sdk-securityhub` and `aws-sdk-config` model
//! every resource type those services know; each alone compiled for minutes
//! of every cold build, for two or three operations whose documents this crate
//! builds as JSON anyway (the same JSON a binding hands to boto3 or SDK v3).
//!
//! One request per call, never retried here: the engine paces and retries.
//! Each attempt is bounded by the session's connect and attempt timeouts, as
//! the SDK clients are.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::error::credentials_message;
use super::session::AwsSession;
use crate::api::Operation;
use crate::arn::check_region_shape;
use crate::client::json::TransportError;
use crate::credentials::RENEW_BEFORE_EXPIRY;
use crate::error::{Error, Result};

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// What a request is: the operation, its HTTP method and path, and the
/// headers the protocol needs (content type, target).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) op: Operation,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) headers: &'a [(&'a str, &'a str)],
}

/// One service in one Region, with the session's credentials, endpoint and timeouts.
#[derive(Clone)]
pub(crate) struct SignedJson {
    /// The SigV4 signing name (`securityhub`, `config`).
    service: &'static str,
    region: String,
    endpoint: String,
    http: Client<Https, Full<Bytes>>,
    provider: Option<SharedCredentialsProvider>,
    attempt_timeout: Option<Duration>,
    /// The credentials of the last call, kept until they are due for renewal
    /// (a role's provider would otherwise assume the role for every request).
    cached: Arc<tokio::sync::Mutex<Option<Credentials>>>,
}

impl fmt::Debug for SignedJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedJson")
            .field("service", &self.service)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// The endpoint of `service` (its endpoint prefix) in `region` (`amazonaws.com.cn` in China).
pub(crate) fn endpoint_of(service: &str, region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{service}.{region}.{suffix}")
}

impl SignedJson {
    /// `service` (signing name and endpoint prefix) of `session` in `region`:
    /// its credentials, and its endpoint when one is set (an emulator), else
    /// the service's own.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name not shaped like `us-east-1`;
    /// [`Error::Configuration`] when TLS cannot be set up (no root certificates).
    pub(crate) fn new(session: &AwsSession, service: &'static str, region: &str) -> Result<Self> {
        check_region_shape(region)?;
        let config = session.sdk_config();
        let endpoint = config
            .endpoint_url()
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| endpoint_of(service, region));
        let timeouts = session.timeouts();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(timeouts.connect_timeout());
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| Error::Configuration(format!("{service}'s TLS setup failed: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            service,
            region: region.to_owned(),
            endpoint,
            http: Client::builder(TokioExecutor::new()).build(connector),
            provider: config.credentials_provider(),
            attempt_timeout: timeouts.operation_attempt_timeout(),
            cached: Arc::default(),
        })
    }

    async fn credentials(&self) -> std::result::Result<Credentials, TransportError> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref() {
            let fresh = credentials.expiry().is_none_or(|expiry| {
                expiry
                    .duration_since(SystemTime::now())
                    .is_ok_and(|left| left > RENEW_BEFORE_EXPIRY)
            });
            if fresh {
                return Ok(credentials.clone());
            }
        }
        let Some(provider) = &self.provider else {
            return Err(TransportError::local(
                ["CredentialsError"],
                format!("no credentials for {}", self.service),
            ));
        };
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| TransportError::local(["CredentialsError"], credentials_message(&e)))?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// One signed request with the JSON `body`; the answer's JSON, or the
    /// service's error (its code from `x-amzn-ErrorType` or the body, and the
    /// HTTP status).
    pub(crate) async fn call(&self, call: &Call<'_>, body: &Value) -> std::result::Result<Value, TransportError> {
        let op = call.op;
        let body = serde_json::to_vec(body).expect("JSON values always serialize");
        let (status, error_type, bytes) = self.call_bytes(call, body).await?;
        let answer: Option<Value> = serde_json::from_slice(&bytes).ok();
        if (200..300).contains(&status) {
            return answer.ok_or_else(|| {
                TransportError::aws(
                    "MalformedResponse",
                    format!("{op} answered HTTP {status} with a body that is not JSON"),
                )
            });
        }
        Err(service_error(status, error_type, answer.as_ref()))
    }

    /// One signed request with `body` as it is (a form body of the `awsQuery`
    /// protocol, as CloudFormation takes it): the HTTP status, the
    /// `x-amzn-ErrorType` header and the answer's bytes, which the caller reads.
    pub(crate) async fn call_bytes(
        &self,
        call: &Call<'_>,
        body: Vec<u8>,
    ) -> std::result::Result<(u16, Option<String>, Bytes), TransportError> {
        let op = call.op;
        let request = self.signed_request(call, body).await?;
        let attempt = self.send(request);
        match self.attempt_timeout {
            Some(limit) => tokio::time::timeout(limit, attempt).await.map_err(|_| {
                TransportError::local(
                    ["TimeoutError"],
                    format!("{op}: {} did not answer within {limit:?}", self.endpoint),
                )
            })?,
            None => attempt.await,
        }
    }

    async fn signed_request(
        &self,
        &Call {
            op,
            method,
            path,
            headers,
        }: &Call<'_>,
        body: Vec<u8>,
    ) -> std::result::Result<http::Request<Full<Bytes>>, TransportError> {
        let uri = format!("{}{path}", self.endpoint);
        let identity: Identity = self.credentials().await?.into();
        let signing = |why: String| TransportError::local(["SigningError"], format!("{op}: {why}"));
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| signing(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            uri.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| signing(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| signing(e.to_string()))?
            .into_parts();
        let mut request = http::Request::builder().method(method).uri(&uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| signing(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }

    /// Sends `request`: the status, the `x-amzn-ErrorType` header and the body.
    async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> std::result::Result<(u16, Option<String>, Bytes), TransportError> {
        // Named as a connection failure, which the engine retries.
        let response = self.http.request(request).await.map_err(|e| {
            TransportError::local(
                ["DispatchFailure", "ConnectionError"],
                format!("could not reach {}: {e}", self.endpoint),
            )
        })?;
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| {
                TransportError::local(
                    ["ResponseError", "IncompleteReadError"],
                    format!("the answer was cut off: {e}"),
                )
            })?
            .to_bytes();
        Ok((status, error_type, bytes))
    }
}

/// An error answer of a JSON protocol: the code from `x-amzn-ErrorType` or the
/// body (`__type`, `code`), and the HTTP status (an unknown code on a 5xx is retryable).
fn service_error(status: u16, error_type: Option<String>, body: Option<&Value>) -> TransportError {
    let field = |name: &str| {
        body.and_then(|b| b.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code = error_type
        .or_else(|| field("__type"))
        .or_else(|| field("code"))
        .or_else(|| field("Code"))
        // `Code:http://...` in the header, `namespace#Code` in the body.
        .map(|c| {
            let c = c.split(':').next().unwrap_or(&c);
            c.rsplit('#').next().unwrap_or(c).to_owned()
        })
        .filter(|c| !c.is_empty());
    let message = field("message")
        .or_else(|| field("Message"))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let code = code.unwrap_or_else(|| match status {
        429 => "TooManyRequestsException".to_owned(),
        _ => format!("Http{status}"),
    });
    TransportError::aws(code, message).with_http_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorKind;
    use serde_json::json;

    #[test]
    fn error_answers_keep_the_code_and_classify_it() {
        fn service_error(status: u16, error_type: Option<String>, body: Option<&Value>) -> crate::ApiError {
            super::service_error(status, error_type, body).into_api_error(Operation::GetFindings)
        }
        let throttled = service_error(429, Some("TooManyRequestsException:http://internal".to_owned()), None);
        assert_eq!(throttled.code, "TooManyRequestsException");
        assert_eq!(throttled.kind, ErrorKind::Throttling);
        let denied = service_error(
            403,
            None,
            Some(&json!({"__type": "com.amazonaws#AccessDeniedException", "message": "no"})),
        );
        assert_eq!(
            (denied.code.as_str(), denied.message.as_str()),
            ("AccessDeniedException", "no")
        );
        assert_eq!(denied.kind, ErrorKind::AccessDenied);
        let internal = service_error(
            500,
            None,
            Some(&json!({"Code": "InternalException", "Message": "oops"})),
        );
        assert!(internal.retryable);
        let bare = service_error(503, None, None);
        assert_eq!(bare.code, "Http503");
        assert!(bare.retryable);
        assert_eq!(service_error(429, None, None).kind, ErrorKind::Throttling);
    }

    #[test]
    fn endpoints_follow_the_partition() {
        assert_eq!(
            endpoint_of("securityhub", "eu-west-1"),
            "https://securityhub.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint_of("config", "cn-north-1"),
            "https://config.cn-north-1.amazonaws.com.cn"
        );
    }
}
