//! CloudSploit collections as input: the file CloudSploit writes with
//! `--collection` holds, per service and call, what each AWS call answered
//! (`data`) or how it failed (`err`), by region and, for per-key calls, by key
//! id. Its `kms.listKeys`, `kms.listAliases`, `kms.describeKey` and
//! `kms.getKeyRotationStatus` become a snapshot — recorded errors included —
//! so CloudSploit's facts can be judged by this crate's rules without calling
//! AWS again.

use serde_json::{Map, Value, json};

use crate::api::Operation;

/// The AWS error code and message of a CloudSploit `err`: an AWS SDK error
/// object (`code`/`name`, `message`) or a plain string.
fn error_of(err: &Value) -> Value {
    let text = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| err.get(*name).and_then(Value::as_str))
            .map(str::to_owned)
    };
    let (code, message) = match err {
        Value::String(message) => ("CollectionError".to_owned(), message.clone()),
        _ => (
            text(&["code", "Code", "name"]).unwrap_or_else(|| "CollectionError".to_owned()),
            text(&["message", "Message"]).unwrap_or_else(|| err.to_string()),
        ),
    };
    json!({"Code": code, "Message": message})
}

/// A recorded call: `(data, err)`; `err` wins when both are present.
fn answer(entry: Option<&Value>) -> (Option<&Value>, Option<&Value>) {
    let Some(entry) = entry else { return (None, None) };
    let err = entry.get("err").filter(|e| !e.is_null() && *e != &Value::Bool(false));
    let data = entry.get("data").filter(|d| !d.is_null());
    (data, err)
}

/// The snapshot file JSON for a CloudSploit collection, or why it is not one.
pub(crate) fn snapshot_json(collection: &Value) -> Result<Value, String> {
    let kms = collection
        .get("kms")
        .ok_or("it has no \"kms\" member: is this a CloudSploit --collection file of an AWS account?")?;
    let calls = |name: &str| kms.get(name).and_then(Value::as_object);
    let list_keys = calls("listKeys").ok_or("it has no kms.listKeys")?;
    let mut regions = Map::new();
    let mut account_id: Option<String> = None;
    for (region, listing) in list_keys {
        let mut region_errors = Map::new();
        let (data, err) = answer(Some(listing));
        if let Some(err) = err {
            region_errors.insert(Operation::ListKeys.as_str().to_owned(), error_of(err));
        }
        let mut aliases_by_key: Map<String, Value> = Map::new();
        let alias_listing = calls("listAliases").and_then(|by_region| by_region.get(region));
        match answer(alias_listing) {
            (_, Some(err)) => {
                region_errors.insert(Operation::ListAliases.as_str().to_owned(), error_of(err));
            }
            (Some(Value::Array(aliases)), None) => {
                for alias in aliases {
                    if let (Some(name), Some(target)) = (
                        alias.get("AliasName").and_then(Value::as_str),
                        alias.get("TargetKeyId").and_then(Value::as_str),
                    ) {
                        let names = aliases_by_key.entry(target.to_owned()).or_insert_with(|| json!([]));
                        if let Value::Array(names) = names {
                            names.push(json!(name));
                        }
                    }
                }
            }
            _ => {}
        }
        let mut keys = Vec::new();
        for listed in data.and_then(Value::as_array).into_iter().flatten() {
            let Some(key_id) = listed.get("KeyId").and_then(Value::as_str) else {
                continue;
            };
            let per_key = |call: &str| calls(call).and_then(|r| r.get(region)).and_then(|k| k.get(key_id));
            let mut entry = Map::new();
            let mut errors = Map::new();
            let mut metadata = json!({"KeyId": key_id});
            if let Some(arn) = listed.get("KeyArn") {
                metadata["Arn"] = arn.clone();
            }
            match answer(per_key("describeKey")) {
                (_, Some(err)) => {
                    errors.insert(Operation::DescribeKey.as_str().to_owned(), error_of(err));
                }
                (Some(described), None) => {
                    if let Some(Value::Object(described)) = described.get("KeyMetadata") {
                        if account_id.is_none() {
                            account_id = described.get("AWSAccountId").and_then(Value::as_str).map(str::to_owned);
                        }
                        metadata = Value::Object(described.clone());
                    }
                }
                (None, None) => {}
            }
            entry.insert("KeyMetadata".to_owned(), metadata);
            match answer(per_key("getKeyRotationStatus")) {
                (_, Some(err)) => {
                    errors.insert(Operation::GetKeyRotationStatus.as_str().to_owned(), error_of(err));
                }
                (Some(status), None) => {
                    entry.insert("RotationStatus".to_owned(), status.clone());
                }
                (None, None) => {}
            }
            // CloudSploit also reads each key's policy; kms-rotation never does. Its
            // recorded failure is kept (and named in the finding as ignored), never judged.
            if let (_, Some(err)) = answer(per_key("getKeyPolicy")) {
                errors.insert("GetKeyPolicy".to_owned(), error_of(err));
            }
            if let Some(names) = aliases_by_key.get(key_id) {
                entry.insert("Aliases".to_owned(), names.clone());
            }
            if !errors.is_empty() {
                entry.insert("Errors".to_owned(), Value::Object(errors));
            }
            keys.push(Value::Object(entry));
        }
        let mut region_file = json!({ "keys": keys });
        if !region_errors.is_empty() {
            region_file["Errors"] = Value::Object(region_errors);
        }
        regions.insert(region.clone(), region_file);
    }
    let mut file = json!({ "regions": regions });
    if let Some(id) = account_id {
        file["account_id"] = json!(id);
    }
    Ok(file)
}
