//! Security Hub for the built-in AWS client: [`AwsSecurityHub`] is a
//! [`JsonTransport`] that sends `BatchImportFindings`, `GetFindings` and
//! `BatchUpdateFindings` to Security Hub's REST-JSON API, signed with SigV4
//! with the session's credentials (see `signed.rs` for why not
//! `aws-sdk-securityhub`); [`TransportSecurityHub`] builds the requests and
//! reads the answers, as it does over a binding's boto3 or SDK v3 client.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use super::session::AwsSession;
use super::signed::{Call, SignedJson};
use crate::api::Operation;
use crate::client::json::{JsonTransport, TransportError};
use crate::continuous::security_hub::{SecurityHubClient, SecurityHubClients, TransportSecurityHub};
use crate::error::Result;

/// One Region's Security Hub, with the session's credentials, endpoint and timeouts.
#[derive(Debug, Clone)]
pub struct AwsSecurityHub {
    signed: SignedJson,
}

impl AwsSecurityHub {
    /// The client of `session` for `region`: its credentials, and its
    /// endpoint when one is set (an emulator), else Security Hub's own.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a name not shaped like `us-east-1`;
    /// [`Error::Configuration`](crate::Error::Configuration) when TLS cannot be set up (no root certificates).
    pub fn new(session: &AwsSession, region: &str) -> Result<Self> {
        Ok(Self {
            signed: SignedJson::new(session, "securityhub", region)?,
        })
    }
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
        let call = Call {
            op: operation,
            method,
            path,
            headers: &[("content-type", "application/json")],
        };
        self.signed.call(&call, &request).await
    }

    fn has_operation(&self, operation: Operation) -> bool {
        Operation::SECURITY_HUB.contains(&operation)
    }
}
