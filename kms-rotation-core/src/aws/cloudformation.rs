//! CloudFormation for the built-in AWS client: `DescribeStackResources` (the
//! physical ids of a deployed stack's keys, for `compare_live`) sent to
//! CloudFormation's `awsQuery` API — a form-encoded POST signed with SigV4
//! with the session's credentials, an XML answer — through `signed.rs`, not
//! `aws-sdk-cloudformation` (minutes of every cold build for one call). The
//! XML is read with `aws-smithy-xml`, which the SDK's STS client builds
//! already, into the JSON shape boto3 and SDK v3 give; [`JsonCloudFormationClient`]
//! reads that, as over a binding's client. One request per call: the engine
//! paces and retries.

use async_trait::async_trait;
use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use serde_json::{Map, Value};

use super::session::AwsSession;
use super::signed::{Call, SignedJson};
use crate::api::{ApiError, Operation};
use crate::client::json::{JsonTransport, TransportError};
use crate::declarations::stack::{CloudFormationClient, JsonCloudFormationClient, StackResource};
use crate::error::Result;

/// The [`CloudFormationClient`] of the built-in AWS client, with the
/// session's credentials, endpoint and timeouts, for one region.
///
/// ```no_run
/// use kms_rotation_core::aws::{AwsCloudFormationClient, AwsOptions, AwsSession};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let session = AwsSession::connect(&AwsOptions::default()).await?;
/// let stacks = AwsCloudFormationClient::new(&session, session.home_region())?;
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct AwsCloudFormationClient {
    client: JsonCloudFormationClient<CloudFormationService>,
}

impl AwsCloudFormationClient {
    /// A CloudFormation client of `session` in `region`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a region not shaped like `us-east-1`;
    /// [`crate::Error::Configuration`] when TLS cannot be set up (no root certificates).
    pub fn new(session: &AwsSession, region: &str) -> Result<Self> {
        let service = CloudFormationService {
            signed: SignedJson::new(session, "cloudformation", region)?,
        };
        Ok(Self {
            client: JsonCloudFormationClient::new(service, region)?,
        })
    }
}

#[async_trait]
impl CloudFormationClient for AwsCloudFormationClient {
    fn region(&self) -> &str {
        self.client.region()
    }

    async fn describe_stack_resources(&self, stack_name: &str) -> std::result::Result<Vec<StackResource>, ApiError> {
        self.client.describe_stack_resources(stack_name).await
    }
}

/// CloudFormation's wire protocol under [`JsonCloudFormationClient`]'s requests.
#[derive(Debug)]
struct CloudFormationService {
    signed: SignedJson,
}

/// `application/x-www-form-urlencoded` text: unreserved characters as they are, the rest as `%XX`.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The form body of an `awsQuery` request: `Action`, `Version` and the request's text fields.
fn form_body(operation: Operation, request: &Value) -> Vec<u8> {
    let mut body = format!("Action={}&Version=2010-05-15", operation.as_str());
    if let Some(fields) = request.as_object() {
        for (name, value) in fields {
            if let Some(text) = value.as_str() {
                body.push_str(&format!("&{}={}", form_encode(name), form_encode(text)));
            }
        }
    }
    body.into_bytes()
}

/// The text of every child element of `element`, by name (one level).
fn fields(element: &mut ScopedDecoder<'_, '_>) -> std::result::Result<Map<String, Value>, String> {
    let mut fields = Map::new();
    while let Some(mut child) = element.next_tag() {
        let name = child.start_el().local().to_owned();
        let text = try_data(&mut child).map_err(|e| e.to_string())?;
        fields.insert(name, Value::String(text.into_owned()));
    }
    Ok(fields)
}

/// A `DescribeStackResources` answer as boto3 gives it: `{"StackResources": [{...}]}`.
fn read_answer(xml: &str) -> std::result::Result<Value, String> {
    let mut document = Document::new(xml);
    let mut root = document.root_element().map_err(|e| e.to_string())?;
    let mut resources = Vec::new();
    while let Some(mut result) = root.next_tag() {
        if !result.start_el().matches("DescribeStackResourcesResult") {
            continue;
        }
        while let Some(mut list) = result.next_tag() {
            if !list.start_el().matches("StackResources") {
                continue;
            }
            while let Some(mut member) = list.next_tag() {
                resources.push(Value::Object(fields(&mut member)?));
            }
        }
    }
    let mut answer = Map::new();
    answer.insert("StackResources".to_owned(), Value::Array(resources));
    Ok(Value::Object(answer))
}

/// An `awsQuery` error answer: `<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>`.
fn read_error(status: u16, xml: &str) -> TransportError {
    let mut code = None;
    let mut message = None;
    let mut document = Document::new(xml);
    if let Ok(mut root) = document.root_element() {
        while let Some(mut error) = root.next_tag() {
            if !error.start_el().matches("Error") {
                continue;
            }
            if let Ok(found) = fields(&mut error) {
                code = found.get("Code").and_then(Value::as_str).map(str::to_owned);
                message = found.get("Message").and_then(Value::as_str).map(str::to_owned);
            }
        }
    }
    let code = code.unwrap_or_else(|| match status {
        429 => "Throttling".to_owned(),
        _ => format!("Http{status}"),
    });
    TransportError::aws(code, message.unwrap_or_else(|| format!("HTTP {status}"))).with_http_status(status)
}

#[async_trait]
impl JsonTransport for CloudFormationService {
    async fn invoke(&self, operation: Operation, request: Value) -> std::result::Result<Value, TransportError> {
        if operation != Operation::DescribeStackResources {
            return Err(TransportError::local(
                ["UnsupportedOperation"],
                format!("CloudFormation has no {operation} here"),
            ));
        }
        let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
        let call = Call {
            op: operation,
            method: "POST",
            path: "/",
            headers: &headers,
        };
        let (status, _, bytes) = self.signed.call_bytes(&call, form_body(operation, &request)).await?;
        let text = String::from_utf8_lossy(&bytes);
        if !(200..300).contains(&status) {
            return Err(read_error(status, &text));
        }
        read_answer(&text).map_err(|why| {
            TransportError::aws(
                "MalformedResponse",
                format!("{operation} answered HTTP {status} with XML that cannot be read: {why}"),
            )
        })
    }

    fn has_operation(&self, operation: Operation) -> bool {
        Operation::CLOUDFORMATION.contains(&operation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorKind;

    #[test]
    fn answers_and_errors_are_read_from_xml() {
        let xml = r#"<DescribeStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackResourcesResult><StackResources><member><StackName>s</StackName><LogicalResourceId>DataKey</LogicalResourceId><PhysicalResourceId>6992005f-6398-4f2d-9428-1fa13869679e</PhysicalResourceId><ResourceType>AWS::KMS::Key</ResourceType><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member><member><LogicalResourceId>Topic</LogicalResourceId><ResourceType>AWS::SNS::Topic</ResourceType></member></StackResources></DescribeStackResourcesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStackResourcesResponse>"#;
        let answer = read_answer(xml).unwrap();
        let resources = crate::declarations::stack::stack_resources(&answer).unwrap();
        assert_eq!(resources.len(), 2);
        assert_eq!(resources[0].logical_id, "DataKey");
        assert_eq!(
            resources[0].physical_id.as_deref(),
            Some("6992005f-6398-4f2d-9428-1fa13869679e")
        );
        assert_eq!(resources[1].physical_id, None);
        let error = read_error(
            400,
            r#"<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id nope does not exist</Message></Error><RequestId>x</RequestId></ErrorResponse>"#,
        )
        .into_api_error(Operation::DescribeStackResources);
        assert_eq!(error.code, "ValidationError");
        assert!(error.message.contains("nope"));
        let throttled = read_error(
            400,
            "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>",
        )
        .into_api_error(Operation::DescribeStackResources);
        assert_eq!(throttled.kind, ErrorKind::Throttling);
        assert!(
            read_error(503, "not xml")
                .into_api_error(Operation::DescribeStackResources)
                .retryable
        );
    }

    #[test]
    fn form_bodies_encode_their_values() {
        let body = form_body(
            Operation::DescribeStackResources,
            &serde_json::json!({"StackName": "arn:aws:cloudformation:us-east-1:1:stack/a b/x"}),
        );
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "Action=DescribeStackResources&Version=2010-05-15&StackName=arn%3Aaws%3Acloudformation%3Aus-east-1%3A1%3Astack%2Fa%20b%2Fx"
        );
    }
}
