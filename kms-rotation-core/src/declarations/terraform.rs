//! Terraform: the JSON of `terraform show -json` on a plan (`planned_values`,
//! `resource_changes[].change.after_unknown`, `configuration`) or on a state
//! (`values`), as the format is documented (format_version 1.x).
//!
//! An attribute is known when `values` holds it; unknown when `after_unknown`
//! marks it, named by its expression in `configuration` (an Optional+Computed
//! attribute the configuration does not set, such as an omitted
//! `rotation_period_in_days`, takes KMS's default); KMS's default when omitted.

use std::collections::HashMap;

use super::{
    DeclarationSource, DeclaredKey, Dialect, Fact, Node, Primary, Value, period_fact, read_text, syntax_error,
};
use crate::error::{Error, Result};
use crate::model::{CodeLocation, KeySpec, KeyUsage, Origin, Tag};

const WHAT: &str = "plan";

/// The resource types that declare a KMS key.
const KEY_TYPES: [&str; 4] = [
    "aws_kms_key",
    "aws_kms_external_key",
    "aws_kms_replica_key",
    "aws_kms_replica_external_key",
];

/// The declared keys of a plan or a state, in the order the plan lists them.
pub(super) fn read(source: &DeclarationSource) -> Result<Vec<DeclaredKey>> {
    let (name, root, file) = match source {
        DeclarationSource::Path(path) => {
            let name = path.display().to_string();
            let text = read_text(path, WHAT)?;
            let root = super::document::parse_json(&text).map_err(|e| {
                let yaml_template = ["AWSTemplateFormatVersion:", "Resources:"]
                    .iter()
                    .any(|key| text.starts_with(key) || text.contains(&format!("\n{key}")));
                if text.trim_start().starts_with(['{', '[']) {
                    syntax_error(WHAT, &name, "JSON", e)
                } else if yaml_template {
                    Error::invalid(
                        WHAT,
                        name.clone(),
                        "a CloudFormation template (YAML), not a Terraform plan: check it as CloudFormation",
                    )
                } else {
                    Error::invalid(
                        WHAT,
                        name.clone(),
                        "not JSON: give the JSON of terraform show -json PLANFILE (or of terraform show -json \
                         on a state), not HCL or terraform plan's text output",
                    )
                }
            })?;
            (name.clone(), root, Some(name))
        }
        DeclarationSource::Json { value, name } => (
            name.clone().unwrap_or_else(|| "the plan".to_owned()),
            Node::from_json(value),
            name.clone(),
        ),
    };
    let values = check_shape(&root, &name)?;
    let mut plan = Plan::new(&root, file);
    let mut keys = Vec::new();
    let mut aliases = Vec::new();
    let mut resources = Vec::new();
    if let Some(module) = values.get("root_module") {
        collect(module, &mut resources);
    }
    for resource in resources {
        if resource.get("mode").and_then(Node::as_str) != Some("managed") {
            continue;
        }
        if let Some(address) = resource.get("address").and_then(Node::as_str) {
            plan.resources.insert(address, resource);
        }
        match resource.get("type").and_then(Node::as_str) {
            Some(kind) if KEY_TYPES.contains(&kind) => keys.push(plan.key(resource, kind)),
            Some("aws_kms_alias") => aliases.push(resource),
            _ => {}
        }
    }
    let by_address = KeyIndex::new(&keys);
    for index in 0..keys.len() {
        if let Primary::Elsewhere { name, .. } = &keys[index].primary
            && name.is_empty()
        {
            keys[index].primary = plan.primary(&keys, &by_address, index);
        }
    }
    for alias in aliases {
        plan.alias(alias, &by_address, &mut keys);
    }
    Ok(keys)
}

/// The `values` tree to read (`planned_values` of a plan, `values` of a state),
/// or what the document is instead.
fn check_shape<'a>(root: &'a Node, name: &str) -> Result<&'a Node> {
    let not_a_plan = |looks: String| Error::invalid(WHAT, name.to_owned(), looks);
    if !matches!(root.value, Value::Map(_)) {
        return Err(not_a_plan(format!(
            "not a Terraform plan: the document is {}, where terraform show -json writes an object",
            root.kind()
        )));
    }
    let has = |key: &str| root.get(key).is_some();
    let Some(version) = root.get("format_version") else {
        let looks = if has("Resources") || has("AWSTemplateFormatVersion") {
            "a CloudFormation template, not a Terraform plan: check it as CloudFormation".to_owned()
        } else if has("terraform_version") && has("resources") {
            "a raw Terraform state file (terraform.tfstate), not terraform show -json's output: give the JSON \
             of terraform show -json (which reads the state)"
                .to_owned()
        } else if has("schema_version") && has("findings") {
            "a kms-rotation report, not a Terraform plan".to_owned()
        } else if has("regions") {
            "a kms-rotation snapshot, not a Terraform plan: check it as a snapshot".to_owned()
        } else {
            let keys: Vec<&str> = root.entries().iter().take(8).map(|(k, _)| k.as_str()).collect();
            format!(
                "not a Terraform plan: an object with {} but no format_version (terraform show -json writes \
                 format_version, planned_values, resource_changes)",
                if keys.is_empty() {
                    "no keys".to_owned()
                } else {
                    format!("the keys {}", keys.join(", "))
                }
            )
        };
        return Err(not_a_plan(looks));
    };
    match version.as_str() {
        Some(text) if text.split('.').next() == Some("1") => {}
        _ => {
            return Err(Error::invalid(
                "terraform plan format_version",
                version
                    .as_str()
                    .map_or_else(|| version.to_json().to_string(), str::to_owned),
                format!("{name}: this version reads format_version 1.x of terraform show -json"),
            ));
        }
    }
    if let Some(values) = root.get("planned_values").or_else(|| root.get("values")) {
        return Ok(values);
    }
    if has("provider_schemas") {
        return Err(not_a_plan(
            "terraform providers schema -json output, not a plan: give terraform show -json PLANFILE".to_owned(),
        ));
    }
    Err(not_a_plan(
        "JSON with format_version but neither planned_values (a plan) nor values (a state)".to_owned(),
    ))
}

/// Every resource of a module and of its child modules, depth first.
fn collect<'a>(module: &'a Node, into: &mut Vec<&'a Node>) {
    into.extend(module.get("resources").map(Node::items).unwrap_or_default());
    for child in module.get("child_modules").map(Node::items).unwrap_or_default() {
        collect(child, into);
    }
}

/// The parts of an address: `module.a["x"].aws_kms_key.this[0]` is
/// `module`, `a["x"]`, `aws_kms_key`, `this[0]` (dots inside brackets kept).
fn parts(address: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    let bytes = address.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => quoted = !quoted,
            b'[' if !quoted => depth += 1,
            b']' if !quoted => depth = depth.saturating_sub(1),
            b'.' if !quoted && depth == 0 => {
                parts.push(&address[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&address[start..]);
    parts
}

/// A part without its instance key: `this[0]` is `this`.
fn bare(part: &str) -> &str {
    part.split('[').next().unwrap_or(part)
}

/// An address split into its module path (call names) and the rest.
fn module_path(address: &str) -> (Vec<String>, Vec<String>) {
    let parts = parts(address);
    let mut modules = Vec::new();
    let mut at = 0;
    while at + 1 < parts.len() && parts[at] == "module" {
        modules.push(bare(parts[at + 1]).to_owned());
        at += 2;
    }
    (modules, parts[at..].iter().map(|p| (*p).to_owned()).collect())
}

/// An address with every module instance key dropped: where its configuration is.
fn configuration_address(address: &str) -> String {
    let (modules, rest) = module_path(address);
    let mut out: Vec<String> = modules.iter().map(|m| format!("module.{m}")).collect();
    out.extend(rest);
    out.join(".")
}

/// The declared keys by where their configuration is, so that following a
/// reference is a lookup, not a pass over every key (a plan may declare tens
/// of thousands): by the address without module instance keys
/// (`module.m.aws_kms_key.this["a"]`), and by the resource
/// (`module.m.aws_kms_key.this`, every instance of it).
struct KeyIndex {
    exact: HashMap<String, Vec<usize>>,
    resource: HashMap<String, Vec<usize>>,
}

impl KeyIndex {
    fn new(keys: &[DeclaredKey]) -> Self {
        let mut index = Self {
            exact: HashMap::new(),
            resource: HashMap::new(),
        };
        for (i, key) in keys.iter().enumerate() {
            let address = configuration_address(&key.location.address);
            let mut parts = parts(&address);
            if let Some(last) = parts.last_mut() {
                *last = bare(last);
            }
            let resource = parts.join(".");
            index.resource.entry(resource).or_default().push(i);
            index.exact.entry(address).or_default().push(i);
        }
        index
    }

    /// The one key at `address`, else the one instance of its resource.
    fn one(&self, address: &str, resource: &str) -> Option<usize> {
        let exact = self.exact.get(address).map_or(&[][..], Vec::as_slice);
        let instances = self.resource.get(resource).map_or(&[][..], Vec::as_slice);
        match (exact, instances) {
            ([one], _) | ([], [one]) => Some(*one),
            _ => None,
        }
    }
}

struct Plan<'a> {
    changes: HashMap<&'a str, &'a Node>,
    /// The planned (or state) resources by address.
    resources: HashMap<&'a str, &'a Node>,
    /// A plan's `prior_state` resources by address: the ids of keys that exist already.
    prior: HashMap<&'a str, &'a Node>,
    configuration: Option<&'a Node>,
    file: Option<String>,
}

impl<'a> Plan<'a> {
    fn new(root: &'a Node, file: Option<String>) -> Self {
        let changes = root
            .get("resource_changes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|change| Some((change.get("address")?.as_str()?, change)))
            .collect();
        let mut prior = Vec::new();
        if let Some(module) = root
            .get("prior_state")
            .and_then(|s| s.get("values")?.get("root_module"))
        {
            collect(module, &mut prior);
        }
        let prior = prior
            .into_iter()
            .filter_map(|resource| Some((resource.get("address")?.as_str()?, resource)))
            .collect();
        Self {
            changes,
            prior,
            resources: HashMap::new(),
            configuration: root.get("configuration"),
            file,
        }
    }

    /// The configuration of the module at `path` (call names from the root).
    fn module(&self, path: &[String]) -> Option<&'a Node> {
        let mut module = self.configuration?.get("root_module")?;
        for call in path {
            module = module.get("module_calls")?.get(call)?.get("module")?;
        }
        Some(module)
    }

    /// The configuration block of a resource, by its planned address.
    fn resource_configuration(&self, address: &str) -> Option<&'a Node> {
        let (modules, rest) = module_path(address);
        let local = format!("{}.{}", rest.first()?, bare(rest.get(1)?));
        self.module(&modules)?
            .get("resources")?
            .items()
            .iter()
            .find(|r| r.get("address").and_then(Node::as_str) == Some(local.as_str()))
    }

    /// The provider region a resource is planned in, when the configuration sets it as a constant.
    fn region(&self, address: &str) -> Option<String> {
        let key = self
            .resource_configuration(address)?
            .get("provider_config_key")?
            .as_str()?;
        let providers = self.configuration?.get("provider_config")?;
        // A module's provider is keyed `module.kms:aws`; one it inherits is the root's `aws`.
        let provider = providers
            .get(key)
            .or_else(|| providers.get(key.rsplit_once(':').map_or(key, |(_, name)| name)))?;
        provider
            .get("expressions")?
            .get("region")?
            .get("constant_value")?
            .as_str()
            .map(str::to_owned)
    }

    /// One attribute: known (in `values`), unknown until apply (`after_unknown`,
    /// named by its expression), or omitted (`default`).
    fn attribute<T>(
        &self,
        resource: &Node,
        address: &str,
        name: &str,
        read: impl Fn(&Node) -> Option<T>,
        default: T,
    ) -> Fact<T> {
        let value = resource
            .get("values")
            .and_then(|v| v.get(name))
            .filter(|v| !v.is_null());
        if let Some(value) = value {
            return match read(value) {
                Some(known) => Fact::Known(known),
                None => Fact::unknown(
                    format!("{name} = {}", value.to_json()),
                    "a value of the wrong type for this attribute",
                ),
            };
        }
        let unknown = self
            .changes
            .get(address)
            .and_then(|c| c.get("change")?.get("after_unknown")?.get(name))
            .is_some_and(|v| v.value == Value::Bool(true));
        if !unknown {
            return Fact::Known(default);
        }
        let configuration = self.resource_configuration(address);
        match configuration.and_then(|c| c.get("expressions")?.get(name)) {
            Some(expression) => Fact::unknown(
                format!("{name} = {}", expression_text(expression)),
                "known only after apply",
            ),
            // Set by no expression: an Optional+Computed attribute the provider fills
            // in with KMS's default when the configuration omits it.
            None if configuration.is_some() => Fact::Known(default),
            None => Fact::unknown(
                format!("{name} (known after apply)"),
                "the plan has no configuration to tell what sets it",
            ),
        }
    }

    /// The ARN and id `prior_state` gives a key the plan keeps (an update or
    /// no change); none for a key the plan creates or replaces (the old key goes).
    fn prior_ids(&self, address: &str) -> (Option<String>, Option<String>) {
        let creates = self
            .changes
            .get(address)
            .and_then(|c| c.get("change")?.get("actions"))
            .is_some_and(|actions| actions.items().iter().any(|a| a.as_str() == Some("create")));
        let Some(values) = self
            .prior
            .get(address)
            .and_then(|r| r.get("values"))
            .filter(|_| !creates)
        else {
            return (None, None);
        };
        let text = |name: &str| values.get(name).and_then(Node::as_str).map(str::to_owned);
        (text("arn"), text("key_id").or_else(|| text("id")))
    }

    fn key(&self, resource: &'a Node, kind: &str) -> DeclaredKey {
        let address = resource
            .get("address")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_owned();
        let anchor = self.changes.get(address.as_str()).copied().unwrap_or(resource);
        let position = self.file.as_ref().and(anchor.position());
        let location = CodeLocation {
            file: self.file.clone(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            address: address.clone(),
            resource_type: kind.to_owned(),
            stack: None,
            fix: None,
            fix_address: None,
        };
        let mut key = DeclaredKey::new(location, Dialect::Terraform);
        let text = |n: &Node| n.as_str().map(str::to_owned);
        let boolean = |n: &Node| match n.value {
            Value::Bool(b) => Some(b),
            _ => None,
        };
        let attr = |name: &str| -> Option<String> {
            resource
                .get("values")
                .and_then(|v| v.get(name))
                .and_then(Node::as_str)
                .map(str::to_owned)
        };
        key.arn = attr("arn");
        key.key_id = attr("key_id").or_else(|| attr("id"));
        if key.arn.is_none() && key.key_id.is_none() {
            (key.arn, key.key_id) = self.prior_ids(&address);
        }
        key.region = key
            .arn
            .as_deref()
            .and_then(|arn| crate::arn::Arn::parse(arn).ok())
            .map(|arn| arn.region)
            .or_else(|| self.region(&address));
        key.tags = match self.attribute(resource, &address, "tags_all", |n| Some(tags(n)), Vec::new()) {
            Fact::Known(all) if !all.is_empty() => Fact::Known(all),
            _ => self.attribute(resource, &address, "tags", |n| Some(tags(n)), Vec::new()),
        };
        let replica = kind.contains("replica");
        key.enabled = self.attribute(
            resource,
            &address,
            if kind == "aws_kms_key" { "is_enabled" } else { "enabled" },
            boolean,
            true,
        );
        if kind.contains("external") {
            key.origin = Fact::Known(Origin::External);
        }
        if replica {
            key.multi_region = Fact::Known(true);
            // Resolved once every key is read (the primary may come later).
            key.primary = Primary::Elsewhere {
                name: String::new(),
                why: String::new(),
            };
        } else {
            key.multi_region = self.attribute(resource, &address, "multi_region", boolean, false);
        }
        if kind == "aws_kms_key" {
            let spec = self.attribute(resource, &address, "key_spec", text, String::new());
            key.spec = match spec {
                Fact::Known(spec) if spec.is_empty() => self
                    .attribute(
                        resource,
                        &address,
                        "customer_master_key_spec",
                        text,
                        "SYMMETRIC_DEFAULT".to_owned(),
                    )
                    .map(|s| KeySpec::from(s.as_str())),
                other => other.map(|s| KeySpec::from(s.as_str())),
            };
            key.usage = self
                .attribute(resource, &address, "key_usage", text, "ENCRYPT_DECRYPT".to_owned())
                .map(|u| KeyUsage::from(u.as_str()));
            // A state writes "" for a key in no store.
            let id = |n: &Node| Some(text(n).filter(|s| !s.is_empty()));
            let store = self.attribute(resource, &address, "custom_key_store_id", id, None);
            let xks = self.attribute(resource, &address, "xks_key_id", id, None);
            key.key_store = match (store, xks) {
                (Fact::Known(None), xks) => xks,
                (store, _) => store,
            };
            key.rotation = self.attribute(resource, &address, "enable_key_rotation", boolean, false);
            key.period = match self.attribute(
                resource,
                &address,
                "rotation_period_in_days",
                |n| match &n.value {
                    Value::Number(text) => text.parse::<i64>().ok(),
                    _ => None,
                },
                365,
            ) {
                Fact::Known(days) => period_fact(days, "rotation_period_in_days"),
                Fact::Unknown { expression, why } => Fact::Unknown { expression, why },
            };
        }
        key
    }

    /// Where a replica's primary is: the declared key whose ARN `primary_key_arn`
    /// holds, or the one its expression refers to (through module outputs and
    /// variables), else not in the input.
    fn primary(&self, keys: &[DeclaredKey], by_address: &KeyIndex, index: usize) -> Primary {
        let key = &keys[index];
        let address = key.location.address.clone();
        if let Some(arn) = self.known_primary_arn(&address) {
            return match keys.iter().position(|k| k.arn.as_deref() == Some(arn.as_str())) {
                Some(found) => Primary::Declared(found),
                None => Primary::Elsewhere {
                    name: format!("primary_key_arn = {arn}"),
                    why: "the primary key is not in this plan, and only the primary's rotation decides a replica's"
                        .to_owned(),
                },
            };
        }
        let (modules, _) = module_path(&address);
        let expression = self
            .resource_configuration(&address)
            .and_then(|c| c.get("expressions")?.get("primary_key_arn"));
        if let Some(found) = expression.and_then(|e| self.follow(by_address, &modules, e, 0)) {
            return Primary::Declared(found);
        }
        Primary::Elsewhere {
            name: format!(
                "primary_key_arn = {}",
                expression.map_or_else(|| "(known after apply)".to_owned(), expression_text)
            ),
            why: "the primary key cannot be found in this plan (the expression does not lead to a key declared \
                  here), and only the primary's rotation decides a replica's"
                .to_owned(),
        }
    }

    fn known_primary_arn(&self, address: &str) -> Option<String> {
        let planned = self.resources.get(address).and_then(|r| r.get("values"));
        let after = self.changes.get(address).and_then(|c| c.get("change")?.get("after"));
        planned
            .into_iter()
            .chain(after)
            .find_map(|values| values.get("primary_key_arn")?.as_str())
            .map(str::to_owned)
    }

    /// The declared key an expression's references lead to, in the module at `path`.
    fn follow(&self, keys: &KeyIndex, path: &[String], expression: &Node, depth: usize) -> Option<usize> {
        if depth > 16 {
            return None;
        }
        for reference in expression.get("references").map(Node::items).unwrap_or_default() {
            let Some(reference) = reference.as_str() else { continue };
            let parts = parts(reference);
            let found = match parts.as_slice() {
                ["module", call, output, ..] => {
                    let call = bare(call).to_owned();
                    let mut inner = path.to_vec();
                    inner.push(call);
                    self.module(&inner)
                        .and_then(|m| m.get("outputs")?.get(output)?.get("expression"))
                        .and_then(|e| self.follow(keys, &inner, e, depth + 1))
                }
                ["var", variable, ..] if !path.is_empty() => {
                    let (parent, call) = path.split_at(path.len() - 1);
                    self.module(parent)
                        .and_then(|m| m.get("module_calls")?.get(&call[0])?.get("expressions")?.get(variable))
                        .and_then(|e| self.follow(keys, parent, e, depth + 1))
                }
                [kind, name, ..] if KEY_TYPES.contains(kind) => {
                    let prefix: String = path.iter().map(|m| format!("module.{m}.")).collect();
                    let wanted = format!("{prefix}{kind}.{name}");
                    keys.one(&wanted, &format!("{prefix}{kind}.{}", bare(name)))
                }
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// An alias names its key (for alias exemptions).
    fn alias(&self, alias: &Node, by_address: &KeyIndex, keys: &mut [DeclaredKey]) {
        let values = alias.get("values");
        let Some(name) = values.and_then(|v| v.get("name")).and_then(Node::as_str) else {
            return;
        };
        let target = values.and_then(|v| v.get("target_key_id")).and_then(Node::as_str);
        let found = match target {
            Some(target) => keys
                .iter()
                .position(|k| k.key_id.as_deref() == Some(target) || k.arn.as_deref() == Some(target)),
            None => {
                let address = alias.get("address").and_then(Node::as_str).unwrap_or_default();
                let (modules, _) = module_path(address);
                self.resource_configuration(address)
                    .and_then(|c| c.get("expressions")?.get("target_key_id"))
                    .and_then(|e| self.follow(by_address, &modules, e, 0))
            }
        };
        if let Some(index) = found {
            keys[index].aliases.push(name.to_owned());
        }
    }
}

/// An expression of `configuration` as text: its constant, or what it refers to.
fn expression_text(expression: &Node) -> String {
    if let Some(value) = expression.get("constant_value") {
        return value.to_json().to_string();
    }
    let references: Vec<&str> = expression
        .get("references")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    match references.as_slice() {
        [] => "an expression".to_owned(),
        // Terraform lists `var.x.y` then `var.x`: the first is the most precise.
        [first, ..] if references.iter().all(|r| first.starts_with(r)) => (*first).to_owned(),
        _ => format!("an expression of {}", references.join(", ")),
    }
}

/// A map of tags.
fn tags(node: &Node) -> Vec<Tag> {
    node.entries()
        .iter()
        .map(|(key, value)| Tag {
            key: key.clone(),
            value: value.as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_modules_and_resource() {
        assert_eq!(
            parts(r#"module.a["x.y"].aws_kms_key.this[0]"#),
            vec!["module", r#"a["x.y"]"#, "aws_kms_key", "this[0]"]
        );
        assert_eq!(
            configuration_address(r#"module.a["k"].module.b[1].aws_kms_key.this["logs"]"#),
            r#"module.a.module.b.aws_kms_key.this["logs"]"#
        );
    }
}
