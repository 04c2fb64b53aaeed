//! [`SnapshotTransport`]: a snapshot answering in the KMS API's own JSON, so
//! that [`JsonClient`](crate::JsonClient) and the bindings' SDK-shaped fakes
//! run against the real fake instead of hand-written ones.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::api::Operation;
use crate::aws_json::{self, KeyRotationFile, LastUsageFile, RotationFile};
use crate::client::KmsClient;
use crate::client::json::{JsonTransport, TransportError};
use crate::model::Page;

/// One region of a [`Snapshot`](crate::Snapshot), as a [`JsonTransport`]:
/// requests and responses in the KMS API's PascalCase JSON, errors with their
/// AWS code. Made by [`Snapshot::transport`](crate::Snapshot::transport).
#[derive(Debug, Clone)]
pub struct SnapshotTransport {
    client: Arc<dyn KmsClient>,
}

impl SnapshotTransport {
    pub(crate) fn new(client: Arc<dyn KmsClient>) -> Self {
        Self { client }
    }

    /// The region served.
    pub fn region(&self) -> &str {
        self.client.region()
    }
}

fn member<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request.get(name).and_then(Value::as_str)
}

fn required<'a>(request: &'a Value, name: &str) -> Result<&'a str, TransportError> {
    member(request, name).ok_or_else(|| {
        TransportError::aws(
            "ValidationException",
            format!("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"),
        )
        .with_http_status(400)
    })
}

fn listing<T>(page: Page<T>, member: &str, item: impl Fn(T) -> Value) -> Value {
    let mut response = json!({
        member: page.items.into_iter().map(item).collect::<Vec<_>>(),
        "Truncated": page.next_marker.is_some(),
    });
    if let Some(marker) = page.next_marker {
        response["NextMarker"] = json!(marker);
    }
    response
}

#[async_trait]
impl JsonTransport for SnapshotTransport {
    async fn invoke(&self, operation: Operation, request: Value) -> Result<Value, TransportError> {
        let client = self.client.as_ref();
        let marker = member(&request, "Marker");
        let answer = match operation {
            Operation::ListKeys => client
                .list_keys(marker)
                .await
                .map(|page| listing(page, "Keys", |k| json!({"KeyId": k.key_id, "KeyArn": k.key_arn}))),
            Operation::ListAliases => client
                .list_aliases(member(&request, "KeyId"), marker)
                .await
                .map(|page| {
                    listing(
                        page,
                        "Aliases",
                        |a| json!({"AliasName": a.alias_name, "AliasArn": a.alias_arn, "TargetKeyId": a.target_key_id}),
                    )
                }),
            Operation::DescribeKey => client
                .describe_key(required(&request, "KeyId")?)
                .await
                .map(|meta| json!({"KeyMetadata": aws_json::key_metadata_json(&meta)})),
            Operation::GetKeyRotationStatus => {
                let key_id = required(&request, "KeyId")?;
                client.get_key_rotation_status(key_id).await.map(|status| {
                    let mut response = serde_json::to_value(RotationFile::from(&status)).unwrap_or(Value::Null);
                    response["KeyId"] = json!(key_id);
                    response
                })
            }
            Operation::EnableKeyRotation => {
                let key_id = required(&request, "KeyId")?;
                let period = request
                    .get("RotationPeriodInDays")
                    .and_then(Value::as_u64)
                    .and_then(|p| u32::try_from(p).ok())
                    .unwrap_or(365);
                client.enable_key_rotation(key_id, period).await.map(|()| json!({}))
            }
            Operation::ListResourceTags => client
                .list_resource_tags(required(&request, "KeyId")?, marker)
                .await
                .map(|page| listing(page, "Tags", |t| json!({"TagKey": t.key, "TagValue": t.value}))),
            Operation::ListKeyRotations if member(&request, "IncludeKeyMaterial") == Some("ALL_KEY_MATERIAL") => client
                .list_key_materials(required(&request, "KeyId")?, marker)
                .await
                .map(|page| {
                    listing(page, "Rotations", |m| {
                        serde_json::to_value(KeyRotationFile::from(&m)).unwrap_or(Value::Null)
                    })
                }),
            Operation::ListKeyRotations => client
                .list_key_rotations(required(&request, "KeyId")?, marker)
                .await
                .map(|page| {
                    listing(page, "Rotations", |r| {
                        serde_json::to_value(KeyRotationFile::from(&r)).unwrap_or(Value::Null)
                    })
                }),
            Operation::GetKeyLastUsage => {
                let key_id = required(&request, "KeyId")?;
                client
                    .get_key_last_usage(key_id)
                    .await
                    .map(|usage| serde_json::to_value(LastUsageFile::from_model(key_id, &usage)).unwrap_or(Value::Null))
            }
            Operation::RotateKeyOnDemand => {
                let key_id = required(&request, "KeyId")?;
                client
                    .rotate_key_on_demand(key_id)
                    .await
                    .map(|()| json!({"KeyId": key_id}))
            }
            other => Err(crate::api::ApiError::new(
                "UnknownOperationException",
                format!("KMS has no operation {other}"),
            )),
        };
        answer.map_err(|error| TransportError::aws(error.code, error.message))
    }
}
