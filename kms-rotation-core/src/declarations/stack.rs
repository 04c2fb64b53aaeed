//! A deployed CloudFormation stack's resources, for comparing its declared
//! keys with the live ones (`compare_live` with `stack_name`): the
//! [`CloudFormationClient`] trait (one `DescribeStackResources` per call;
//! pacing and retries are the engine's), [`JsonCloudFormationClient`] over a
//! binding's [`JsonTransport`] (a boto3 `cloudformation` client, an AWS SDK v3
//! `CloudFormationClient`), and [`MemoryCloudFormation`] for tests, examples
//! and benches. The built-in AWS client's is `crate::aws::AwsCloudFormationClient`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::api::{ApiError, Operation};
use crate::arn::check_region_shape;
use crate::client::json::{JsonTransport, missing_operation};
use crate::error::{Error, Result};

/// One resource of a stack, as `DescribeStackResources` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StackResource {
    /// The logical id in the template (`DataKey`).
    pub logical_id: String,
    /// The physical id (a KMS key's id); absent while the resource is not created.
    pub physical_id: Option<String>,
    /// `AWS::KMS::Key`, ...
    pub resource_type: String,
    /// `CREATE_COMPLETE`, `DELETE_COMPLETE`, ...
    pub status: Option<String>,
}

impl StackResource {
    /// A resource with its logical id, physical id and type.
    pub fn new(logical_id: impl Into<String>, physical_id: Option<String>, resource_type: impl Into<String>) -> Self {
        Self {
            logical_id: logical_id.into(),
            physical_id,
            resource_type: resource_type.into(),
            status: None,
        }
    }
}

/// The CloudFormation call of `compare_live`, for one region.
///
/// Object safe. Implementations make exactly one request per call and never
/// retry: the engine paces and retries.
#[async_trait]
pub trait CloudFormationClient: Send + Sync + fmt::Debug {
    /// The region the stack is in.
    fn region(&self) -> &str;

    /// Whether calls count against AWS's request quotas (paced by the engine).
    fn has_request_quotas(&self) -> bool {
        true
    }

    /// Every resource of the stack `stack_name` (a name or a stack id):
    /// one `DescribeStackResources`. A stack that does not exist is
    /// CloudFormation's `ValidationError` ("Stack with id NAME does not exist").
    async fn describe_stack_resources(&self, stack_name: &str) -> std::result::Result<Vec<StackResource>, ApiError>;
}

/// The resources of a `DescribeStackResources` answer (`StackResources`, PascalCase as
/// boto3, AWS SDK v3 and the XML answer name them).
///
/// # Errors
/// `InvalidResponse` for an answer without the list, or an entry without its
/// logical id or type.
pub fn stack_resources(answer: &Value) -> std::result::Result<Vec<StackResource>, ApiError> {
    let Some(Value::Array(resources)) = answer.get("StackResources") else {
        return Err(ApiError::invalid_response(
            "DescribeStackResources gave no StackResources list",
        ));
    };
    resources
        .iter()
        .map(|entry| {
            let text = |field: &str| {
                entry
                    .get(field)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            let need = |field: &str| {
                text(field).ok_or_else(|| {
                    ApiError::invalid_response(format!("DescribeStackResources gave a resource without {field}"))
                })
            };
            Ok(StackResource {
                logical_id: need("LogicalResourceId")?,
                physical_id: text("PhysicalResourceId"),
                resource_type: need("ResourceType")?,
                status: text("ResourceStatus"),
            })
        })
        .collect()
}

/// A [`CloudFormationClient`] over a [`JsonTransport`] for one region: a
/// boto3 `cloudformation` client in Python, an AWS SDK v3
/// `CloudFormationClient` in JavaScript.
#[derive(Debug)]
pub struct JsonCloudFormationClient<T: JsonTransport> {
    transport: T,
    region: String,
}

impl<T: JsonTransport> JsonCloudFormationClient<T> {
    /// The client over `transport` for `region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a region not shaped like `us-east-1`, or a
    /// transport that lacks `DescribeStackResources`.
    pub fn new(transport: T, region: &str) -> Result<Self> {
        check_region_shape(region).map_err(|_| Error::invalid("region", region, "not a region name like us-east-1"))?;
        missing_operation(&transport, &Operation::CLOUDFORMATION)?;
        Ok(Self {
            transport,
            region: region.to_owned(),
        })
    }
}

#[async_trait]
impl<T: JsonTransport> CloudFormationClient for JsonCloudFormationClient<T> {
    fn region(&self) -> &str {
        &self.region
    }

    async fn describe_stack_resources(&self, stack_name: &str) -> std::result::Result<Vec<StackResource>, ApiError> {
        let operation = Operation::DescribeStackResources;
        let answer = self
            .transport
            .invoke(operation, json!({"StackName": stack_name}))
            .await
            .map_err(|e| e.into_api_error(operation))?;
        stack_resources(&answer)
    }
}

/// Stacks in memory, by name: for tests, examples and benches; not paced.
///
/// ```
/// use kms_rotation_core::{CloudFormationClient, MemoryCloudFormation, StackResource};
/// let stacks = MemoryCloudFormation::new("us-east-1")
///     .with_stack("app", [StackResource::new("DataKey", Some("1234abcd-12ab-34cd-56ef-1234567890ab".into()), "AWS::KMS::Key")]);
/// assert_eq!(stacks.region(), "us-east-1");
/// ```
#[derive(Debug, Clone)]
pub struct MemoryCloudFormation {
    region: String,
    stacks: Arc<Mutex<BTreeMap<String, Vec<StackResource>>>>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl MemoryCloudFormation {
    /// No stacks, in `region`.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            stacks: Arc::default(),
            calls: Arc::default(),
        }
    }

    /// Adds (or replaces) the stack `name` with its resources.
    pub fn with_stack(self, name: impl Into<String>, resources: impl IntoIterator<Item = StackResource>) -> Self {
        self.stacks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.into(), resources.into_iter().collect());
        self
    }

    /// The stack names asked for so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl CloudFormationClient for MemoryCloudFormation {
    fn region(&self) -> &str {
        &self.region
    }

    fn has_request_quotas(&self) -> bool {
        false
    }

    async fn describe_stack_resources(&self, stack_name: &str) -> std::result::Result<Vec<StackResource>, ApiError> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(stack_name.to_owned());
        self.stacks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(stack_name)
            .cloned()
            .ok_or_else(|| ApiError::new("ValidationError", format!("Stack with id {stack_name} does not exist")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_and_malformed_ones_named() {
        let answer = json!({"StackResources": [
            {"LogicalResourceId": "DataKey", "PhysicalResourceId": "k-1", "ResourceType": "AWS::KMS::Key", "ResourceStatus": "CREATE_COMPLETE"},
            {"LogicalResourceId": "Pending", "ResourceType": "AWS::KMS::Key"}
        ]});
        let resources = stack_resources(&answer).unwrap();
        assert_eq!(resources[0].physical_id.as_deref(), Some("k-1"));
        assert_eq!(resources[1].physical_id, None);
        let error = stack_resources(&json!({"StackResources": [{"PhysicalResourceId": "x"}]})).unwrap_err();
        assert!(error.message.contains("LogicalResourceId"), "{}", error.message);
        assert!(stack_resources(&json!({})).is_err());
    }
}
