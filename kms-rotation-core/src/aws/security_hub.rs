//! Security Hub for the built-in AWS client: [`AwsSecurityHub`] is a
//! [`JsonTransport`] that sends `BatchImportFindings`, `GetFindings` and
//! `BatchUpdateFindings` to Security Hub's REST-JSON API, signed with SigV4
//! (`aws-sigv4`) with the session's credentials, through the HTTP and TLS
//! stack the AWS SDK crates already build (hyper, rustls with the platform's
//! roots); [`TransportSecurityHub`] builds the requests and reads the answers,
//! as it does over a binding's boto3 or SDK v3 client.
//!
//! Why not `aws-sdk-securityhub`: it models every resource type of ASFF, and
//! its compilation alone took longer than all the other SDK crates together —
//! minutes of every cold CI run for three operations whose documents are the
//! ASFF JSON this crate already renders, sent as it is. One request per call,
//! never retried here: the engine paces and retries.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
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
use crate::client::json::{JsonTransport, TransportError};
use crate::continuous::security_hub::{SecurityHubClient, SecurityHubClients, TransportSecurityHub};
use crate::credentials::RENEW_BEFORE_EXPIRY;
use crate::error::{Error, Result};

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// One Region's Security Hub, with the session's credentials and endpoint.
#[derive(Clone)]
pub struct AwsSecurityHub {
    region: String,
    endpoint: String,
    http: Client<Https, Full<Bytes>>,
    provider: Option<SharedCredentialsProvider>,
    /// The credentials of the last call, kept until they are due for renewal
    /// (a role's provider would otherwise assume the role for every request).
    cached: Arc<tokio::sync::Mutex<Option<Credentials>>>,
}

impl fmt::Debug for AwsSecurityHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSecurityHub")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Security Hub's endpoint in `region` (`amazonaws.com.cn` in China).
fn endpoint_of(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://securityhub.{region}.{suffix}")
}

impl AwsSecurityHub {
    /// The client of `session` for `region`: its credentials, and its
    /// endpoint when one is set (an emulator), else Security Hub's own.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name not shaped like `us-east-1`;
    /// [`Error::Configuration`] when TLS cannot be set up (no root certificates).
    pub fn new(session: &AwsSession, region: &str) -> Result<Self> {
        check_region_shape(region)?;
        let config = session.sdk_config();
        let endpoint = config
            .endpoint_url()
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| endpoint_of(region));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| Error::Configuration(format!("Security Hub's TLS setup failed: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            region: region.to_owned(),
            endpoint,
            http: Client::builder(TokioExecutor::new()).build(connector),
            provider: config.credentials_provider(),
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
                "no credentials for Security Hub",
            ));
        };
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| TransportError::local(["CredentialsError"], credentials_message(&e)))?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// One signed request of `op` (`method` on `path`, JSON `body`); the answer's JSON.
    async fn call(
        &self,
        op: Operation,
        method: &str,
        path: &str,
        body: &Value,
    ) -> std::result::Result<Value, TransportError> {
        let body = serde_json::to_vec(body).expect("JSON values always serialize");
        let uri = format!("{}{path}", self.endpoint);
        let identity: Identity = self.credentials().await?.into();
        let signing = |why: String| TransportError::local(["SigningError"], format!("{op}: {why}"));
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("securityhub")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| signing(e.to_string()))?
            .into();
        let headers = [("content-type", "application/json")];
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
        let mut request = http::Request::builder()
            .method(method)
            .uri(&uri)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| signing(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
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
}

/// A Security Hub error answer: the code from `x-amzn-ErrorType` or the body
/// (`__type`, `code`), and the HTTP status (an unknown code on a 5xx is retryable).
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

/// Security Hub clients of `session`, made per Region as the findings need them.
pub fn security_hub_clients(session: &AwsSession) -> SecurityHubClients {
    let session = session.clone();
    SecurityHubClients::new().with_factory(move |region| {
        let transport = AwsSecurityHub::new(&session, region)?;
        Ok(Arc::new(TransportSecurityHub::new(transport, region)?) as Arc<dyn SecurityHubClient>)
    })
}

#[async_trait]
impl JsonTransport for AwsSecurityHub {
    async fn invoke(&self, operation: Operation, request: Value) -> std::result::Result<Value, TransportError> {
        let (method, path) = match operation {
            Operation::BatchImportFindings => ("POST", "/findings/import"),
            Operation::GetFindings => ("POST", "/findings"),
            Operation::BatchUpdateFindings => ("PATCH", "/findings/batchupdate"),
            other => {
                return Err(TransportError::local(
                    ["UnsupportedOperation"],
                    format!("Security Hub has no {other}"),
                ));
            }
        };
        self.call(operation, method, path, &request).await
    }

    fn has_operation(&self, operation: Operation) -> bool {
        Operation::SECURITY_HUB.contains(&operation)
    }
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
        assert_eq!(endpoint_of("eu-west-1"), "https://securityhub.eu-west-1.amazonaws.com");
        assert_eq!(
            endpoint_of("cn-north-1"),
            "https://securityhub.cn-north-1.amazonaws.com.cn"
        );
    }
}
