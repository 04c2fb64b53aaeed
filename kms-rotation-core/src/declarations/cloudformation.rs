//! CloudFormation: templates in JSON or YAML (short-form tags included), CDK's
//! `cdk.out` directories, or template objects (`Template.fromStack(stack).toJSON()`).
//!
//! Intrinsic functions are evaluated where the template decides them: `Ref` to a
//! parameter (its given value, else its default), `Fn::If` on a condition that
//! can be decided (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`),
//! or whose two branches agree, `Fn::FindInMap`, `Fn::Select`, `Fn::Join`,
//! `Fn::Sub` over known values. Anything else (`Fn::GetAtt`, `Fn::ImportValue`,
//! pseudo parameters, SSM parameter types) is known only at deploy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::{
    DeclarationSource, DeclaredKey, Dialect, Fact, Node, Primary, Value, period_fact, read_text, syntax_error,
};
use crate::error::{Error, Result};
use crate::model::{CodeLocation, KeySpec, KeyUsage, Origin, Tag};

const WHAT: &str = "template";

/// A template, read.
struct Template {
    root: Node,
    file: Option<String>,
    stack: Option<String>,
    dialect: Dialect,
}

/// The declared keys of every template, in order.
pub(super) fn read(sources: &[DeclarationSource], parameters: &[(String, String)]) -> Result<Vec<DeclaredKey>> {
    let mut templates = Vec::new();
    for source in sources {
        match source {
            DeclarationSource::Path(path) if path.is_dir() => {
                let mut files = Vec::new();
                template_files(path, &mut files)?;
                let before = templates.len();
                for file in files {
                    // In a directory (cdk.out), JSON that is not a template (manifest.json,
                    // tree.json, assets) is passed over.
                    if let Some(template) = load_file(&file, true)? {
                        templates.push(template);
                    }
                }
                if templates.len() == before {
                    return Err(Error::invalid(
                        WHAT,
                        path.display().to_string(),
                        "the directory holds no CloudFormation template (*.template.json, *.json, *.yaml, *.yml, \
                         *.template with a Resources section)",
                    ));
                }
            }
            DeclarationSource::Path(path) => {
                templates.push(load_file(path, false)?.expect("a file given by name is a template or an error"))
            }
            DeclarationSource::Json { value, name } => {
                let root = Node::from_json(value);
                let label = name.clone().unwrap_or_else(|| "the template".to_owned());
                check_template(&root, &label)?;
                templates.push(Template {
                    root,
                    file: None,
                    stack: name.clone(),
                    dialect: Dialect::CloudFormationJson,
                });
            }
        }
    }
    check_parameters(&templates, parameters)?;
    let mut keys = Vec::new();
    // (template, logical id) -> index of its key, for replicas and aliases.
    let mut by_logical_id: HashMap<(usize, String), usize> = HashMap::new();
    // The template of each key.
    let mut homes = Vec::new();
    let mut pending = Vec::new();
    for (t, template) in templates.iter().enumerate() {
        let scope = Scope::new(template, parameters);
        for (logical_id, resource) in resources(&template.root) {
            let kind = resource.get("Type").and_then(Node::as_str).unwrap_or_default();
            match kind {
                "AWS::KMS::Key" | "AWS::KMS::ReplicaKey" => {
                    let Some(key) = scope.key(logical_id, resource, kind) else {
                        continue;
                    };
                    by_logical_id.insert((t, logical_id.to_owned()), keys.len());
                    keys.push(key);
                    homes.push((t, resource));
                }
                "AWS::KMS::Alias" => pending.push((t, logical_id, resource)),
                _ => {}
            }
        }
    }
    // Replicas' primaries, now that every key is known.
    for index in 0..keys.len() {
        if keys[index].location.resource_type != "AWS::KMS::ReplicaKey" {
            continue;
        }
        let (t, resource) = homes[index];
        let scope = Scope::new(&templates[t], parameters);
        let primary = resource
            .get("Properties")
            .and_then(|p| p.get("PrimaryKeyArn"))
            .map(|arn| scope.primary(arn, t, &by_logical_id, &keys));
        keys[index].primary = primary.unwrap_or(Primary::Elsewhere {
            name: "PrimaryKeyArn".to_owned(),
            why: "the replica names no primary".to_owned(),
        });
    }
    for (t, _, alias) in pending {
        let scope = Scope::new(&templates[t], parameters);
        let Some(properties) = alias.get("Properties") else {
            continue;
        };
        let Some(Resolved::Value(Json::String(name))) = properties.get("AliasName").map(|n| scope.resolve(n)) else {
            continue;
        };
        let target = properties.get("TargetKeyId").and_then(referenced_resource);
        if let Some(index) = target.and_then(|id| by_logical_id.get(&(t, id))) {
            keys[*index].aliases.push(name);
        }
    }
    Ok(keys)
}

/// The template files of a directory, recursively, sorted (CDK asset folders skipped).
fn template_files(dir: &Path, into: &mut Vec<PathBuf>) -> Result<()> {
    let io = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with("asset.") && !name.starts_with('.') && name != "node_modules" {
                template_files(&path, into)?;
            }
        } else if [".json", ".yaml", ".yml", ".template"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            into.push(path);
        }
    }
    Ok(())
}

/// Reads one template file; in a directory (`lenient`), a file that is not a
/// template is `None` instead of an error.
fn load_file(path: &Path, lenient: bool) -> Result<Option<Template>> {
    let name = path.display().to_string();
    let text = read_text(path, WHAT)?;
    let json = name.ends_with(".json") || text.trim_start().starts_with('{');
    let parsed = if json {
        super::document::parse_json(&text).map_err(|e| syntax_error(WHAT, &name, "JSON", e))
    } else {
        super::document::parse_yaml(&text).map_err(|e| syntax_error(WHAT, &name, "YAML", e))
    };
    let root = match parsed {
        Ok(root) => root,
        Err(_) if lenient && json => return Ok(None),
        Err(error) => return Err(error),
    };
    if let Err(error) = check_template(&root, &name) {
        return if lenient { Ok(None) } else { Err(error) };
    }
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    Ok(Some(Template {
        root,
        file: Some(name),
        // CDK writes each stack as STACK.template.json.
        stack: file_name.strip_suffix(".template.json").map(str::to_owned),
        dialect: if json {
            Dialect::CloudFormationJson
        } else {
            Dialect::CloudFormationYaml
        },
    }))
}

/// A template has a `Resources` map; anything else is named for what it looks like.
fn check_template(root: &Node, name: &str) -> Result<()> {
    let not = |looks: String| Err(Error::invalid(WHAT, name.to_owned(), looks));
    if !matches!(root.value, Value::Map(_)) {
        return not(format!(
            "not a CloudFormation template: the document is {}, where a template is a mapping with Resources",
            root.kind()
        ));
    }
    let has = |key: &str| root.get(key).is_some();
    match root.get("Resources") {
        Some(resources) if matches!(resources.value, Value::Map(_)) => Ok(()),
        Some(other) => not(format!(
            "not a CloudFormation template: Resources is {}, where a template maps logical ids to resources",
            other.kind()
        )),
        None if has("format_version") && (has("planned_values") || has("values")) => not(
            "a Terraform plan or state (terraform show -json), not a CloudFormation template: check it as a \
                 Terraform plan"
                .to_owned(),
        ),
        None if has("artifacts") && has("version") => not("a CDK cloud assembly manifest, not a template: give \
                 the cdk.out directory or its *.template.json files"
            .to_owned()),
        None if has("schema_version") && has("findings") => {
            not("a kms-rotation report, not a CloudFormation template".to_owned())
        }
        None if has("regions") => not("a kms-rotation snapshot, not a CloudFormation template".to_owned()),
        None => {
            let keys: Vec<&str> = root.entries().iter().take(8).map(|(k, _)| k.as_str()).collect();
            not(format!(
                "not a CloudFormation template: no Resources section (the document has {})",
                if keys.is_empty() {
                    "no keys".to_owned()
                } else {
                    format!("the keys {}", keys.join(", "))
                }
            ))
        }
    }
}

/// Every parameter value given names a parameter of some template, and is one of its allowed values.
fn check_parameters(templates: &[Template], parameters: &[(String, String)]) -> Result<()> {
    for (name, value) in parameters {
        let declared: Vec<&Node> = templates
            .iter()
            .filter_map(|t| t.root.get("Parameters")?.get(name))
            .collect();
        if declared.is_empty() {
            let mut known: Vec<&str> = templates
                .iter()
                .flat_map(|t| t.root.get("Parameters").map(Node::entries).unwrap_or_default())
                .map(|(k, _)| k.as_str())
                .collect();
            known.sort_unstable();
            known.dedup();
            return Err(Error::invalid(
                "parameters",
                format!("{name}={value}"),
                if known.is_empty() {
                    "no template declares a parameter of that name (they declare none)".to_owned()
                } else {
                    format!(
                        "no template declares a parameter of that name (they declare {})",
                        known.join(", ")
                    )
                },
            ));
        }
        for parameter in declared {
            let allowed: Vec<String> = parameter
                .get("AllowedValues")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(|n| scalar_text(&n.to_json()))
                .collect();
            if !allowed.is_empty() && !allowed.contains(value) {
                return Err(Error::invalid(
                    "parameters",
                    format!("{name}={value}"),
                    format!("the parameter allows only {}", allowed.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

/// A template's resources: logical id and body.
fn resources(root: &Node) -> impl Iterator<Item = (&str, &Node)> {
    root.get("Resources")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|(id, node)| (id.as_str(), node))
}

/// The logical id a `Ref X` or `Fn::GetAtt [X, ...]` names.
fn referenced_resource(node: &Node) -> Option<String> {
    if let Some(target) = node.get("Ref").and_then(Node::as_str) {
        return Some(target.to_owned());
    }
    let get_att = node.get("Fn::GetAtt")?;
    match &get_att.value {
        Value::Seq(items) => items.first()?.as_str().map(str::to_owned),
        Value::String(text) => text.split('.').next().map(str::to_owned),
        _ => None,
    }
}

/// What an expression comes to.
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Value(Json),
    /// `Ref: AWS::NoValue`: as if the property were omitted.
    NoValue,
    Unknown {
        expression: String,
        why: String,
    },
}

/// What a template's expressions are evaluated against.
struct Scope<'a> {
    template: &'a Template,
    parameters: &'a [(String, String)],
}

impl<'a> Scope<'a> {
    fn new(template: &'a Template, parameters: &'a [(String, String)]) -> Self {
        Self { template, parameters }
    }

    fn section(&self, name: &str) -> Option<&'a Node> {
        self.template.root.get(name)
    }

    /// The key a resource declares; `None` when a condition decides it is not created.
    fn key(&self, logical_id: &str, resource: &Node, kind: &str) -> Option<DeclaredKey> {
        let position = self.template.file.as_ref().and(resource.position());
        let location = CodeLocation {
            file: self.template.file.clone(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            address: logical_id.to_owned(),
            resource_type: kind.to_owned(),
            stack: self.template.stack.clone(),
            fix: None,
            fix_address: None,
        };
        let mut key = DeclaredKey::new(location, self.template.dialect);
        if let Some(condition) = resource.get("Condition").and_then(Node::as_str) {
            match self.condition_named(condition, 0) {
                Ok(false) => return None,
                Ok(true) => {}
                Err((expression, why)) => {
                    key.exists = Fact::unknown(
                        format!("Condition: {condition}"),
                        format!("whether the key is created cannot be decided before deploy ({expression}: {why})"),
                    )
                }
            }
        }
        let empty = Node::from_json(&Json::Null);
        let properties = resource.get("Properties").unwrap_or(&empty);
        let boolean = |v: &Json| match v {
            Json::Bool(b) => Some(*b),
            Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        };
        let text = |v: &Json| v.as_str().map(str::to_owned);
        key.enabled = self.property(properties, "Enabled", boolean, true);
        key.tags = self.property(properties, "Tags", tags, Vec::new());
        if kind == "AWS::KMS::ReplicaKey" {
            key.multi_region = Fact::Known(true);
            return Some(key);
        }
        key.spec = self
            .property(properties, "KeySpec", text, "SYMMETRIC_DEFAULT".to_owned())
            .map(|s| KeySpec::from(s.as_str()));
        key.usage = self
            .property(properties, "KeyUsage", text, "ENCRYPT_DECRYPT".to_owned())
            .map(|s| KeyUsage::from(s.as_str()));
        key.origin = self
            .property(properties, "Origin", text, "AWS_KMS".to_owned())
            .map(|s| Origin::from(s.as_str()));
        key.rotation = self.property(properties, "EnableKeyRotation", boolean, false);
        key.multi_region = self.property(properties, "MultiRegion", boolean, false);
        let integer = |v: &Json| match v {
            Json::Number(n) => n.as_i64(),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        key.period = match self.property(properties, "RotationPeriodInDays", integer, 365) {
            Fact::Known(days) => period_fact(days, "RotationPeriodInDays"),
            Fact::Unknown { expression, why } => Fact::Unknown { expression, why },
        };
        Some(key)
    }

    /// One property: its value, KMS's default when omitted (or `AWS::NoValue`), or unknown.
    fn property<T>(&self, properties: &Node, name: &str, read: impl Fn(&Json) -> Option<T>, default: T) -> Fact<T> {
        let Some(node) = properties.get(name) else {
            return Fact::Known(default);
        };
        match self.resolve(node) {
            Resolved::NoValue => Fact::Known(default),
            Resolved::Value(Json::Null) => Fact::Known(default),
            Resolved::Value(value) => match read(&value) {
                Some(known) => Fact::Known(known),
                None => Fact::unknown(
                    format!("{name}: {}", short(&node.to_json())),
                    format!("{} is not a value {name} takes", short(&value)),
                ),
            },
            Resolved::Unknown { expression, why } => {
                let whole = short(&node.to_json());
                let expression = if whole == expression {
                    format!("{name}: {whole}")
                } else {
                    format!("{name}: {whole} ({expression})")
                };
                Fact::Unknown { expression, why }
            }
        }
    }

    /// Where a replica's primary is.
    fn primary(
        &self,
        arn: &Node,
        template: usize,
        by_logical_id: &HashMap<(usize, String), usize>,
        keys: &[DeclaredKey],
    ) -> Primary {
        if let Some(id) = referenced_resource(arn)
            && let Some(index) = by_logical_id.get(&(template, id.clone()))
        {
            return Primary::Declared(*index);
        }
        let whole = short(&arn.to_json());
        match self.resolve(arn) {
            Resolved::Value(Json::String(arn)) => match keys.iter().position(|k| k.arn.as_deref() == Some(&arn)) {
                Some(index) => Primary::Declared(index),
                None => Primary::Elsewhere {
                    name: format!("PrimaryKeyArn: {arn}"),
                    why: "the primary key is not in the templates checked, and only the primary's rotation \
                          decides a replica's"
                        .to_owned(),
                },
            },
            Resolved::Unknown { why, .. } => Primary::Elsewhere {
                name: format!("PrimaryKeyArn: {whole}"),
                why: format!("{why}; the primary cannot be found in the templates checked"),
            },
            _ => Primary::Elsewhere {
                name: format!("PrimaryKeyArn: {whole}"),
                why: "not a key ARN".to_owned(),
            },
        }
    }

    /// Evaluates an expression as far as the template decides it.
    fn resolve(&self, node: &Node) -> Resolved {
        self.resolve_at(node, 0)
    }

    fn resolve_at(&self, node: &Node, depth: usize) -> Resolved {
        let unknown = |why: &str| Resolved::Unknown {
            expression: short(&node.to_json()),
            why: why.to_owned(),
        };
        if depth > 32 {
            return unknown("nested too deeply to evaluate");
        }
        match &node.value {
            Value::Map(entries) if entries.len() == 1 && is_intrinsic(&entries[0].0) => {
                self.intrinsic(&entries[0].0, &entries[0].1, node, depth)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (key, value) in entries {
                    match self.resolve_at(value, depth + 1) {
                        Resolved::Value(v) => {
                            out.insert(key.clone(), v);
                        }
                        Resolved::NoValue => {}
                        unknown => return unknown,
                    }
                }
                Resolved::Value(Json::Object(out))
            }
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match self.resolve_at(item, depth + 1) {
                        Resolved::Value(v) => out.push(v),
                        Resolved::NoValue => {}
                        unknown => return unknown,
                    }
                }
                Resolved::Value(Json::Array(out))
            }
            _ => Resolved::Value(node.to_json()),
        }
    }

    fn intrinsic(&self, name: &str, argument: &Node, whole: &Node, depth: usize) -> Resolved {
        let unknown = |why: String| Resolved::Unknown {
            expression: short(&whole.to_json()),
            why,
        };
        let args = argument.items();
        match name {
            "Ref" => {
                let Some(target) = argument.as_str() else {
                    return unknown("Ref takes a name".to_owned());
                };
                self.reference(target).unwrap_or_else(unknown)
            }
            "Condition" => match argument.as_str().map(|c| self.condition_named(c, depth + 1)) {
                Some(Ok(b)) => Resolved::Value(Json::Bool(b)),
                Some(Err((_, why))) => unknown(why),
                None => unknown("Condition takes a name".to_owned()),
            },
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => match self.condition(whole, depth + 1) {
                Ok(b) => Resolved::Value(Json::Bool(b)),
                Err((_, why)) => unknown(why),
            },
            "Fn::If" => {
                let [condition, then, otherwise] = args else {
                    return unknown("Fn::If takes [condition, value if true, value if false]".to_owned());
                };
                let Some(condition) = condition.as_str() else {
                    return unknown("Fn::If takes a condition name".to_owned());
                };
                match self.condition_named(condition, depth + 1) {
                    Ok(true) => self.resolve_at(then, depth + 1),
                    Ok(false) => self.resolve_at(otherwise, depth + 1),
                    Err((_, why)) => {
                        let (a, b) = (self.resolve_at(then, depth + 1), self.resolve_at(otherwise, depth + 1));
                        match (&a, &b) {
                            // Both branches agree: the condition does not matter.
                            (Resolved::Value(x), Resolved::Value(y)) if scalar_text(x) == scalar_text(y) => a,
                            (Resolved::NoValue, Resolved::NoValue) => a,
                            _ => unknown(format!(
                                "the condition {condition} cannot be decided before deploy ({why}) and its \
                                 branches differ"
                            )),
                        }
                    }
                }
            }
            "Fn::FindInMap" => {
                let mut names = Vec::new();
                for arg in args.iter().take(3) {
                    match self.resolve_at(arg, depth + 1) {
                        Resolved::Value(v) => names.push(scalar_text(&v)),
                        Resolved::Unknown { why, .. } => return unknown(why),
                        Resolved::NoValue => return unknown("Fn::FindInMap of no value".to_owned()),
                    }
                }
                let [map, top, second] = names.as_slice() else {
                    return unknown("Fn::FindInMap takes [map, top-level key, second-level key]".to_owned());
                };
                match self.section("Mappings").and_then(|m| m.get(map)?.get(top)?.get(second)) {
                    Some(found) => self.resolve_at(found, depth + 1),
                    None => unknown(format!("the mapping {map} has no {top}.{second}")),
                }
            }
            "Fn::Select" => {
                let [index, list] = args else {
                    return unknown("Fn::Select takes [index, list]".to_owned());
                };
                match (self.resolve_at(index, depth + 1), self.resolve_at(list, depth + 1)) {
                    (Resolved::Value(i), Resolved::Value(Json::Array(items))) => {
                        match scalar_text(&i).parse::<usize>().ok().and_then(|i| items.get(i)) {
                            Some(item) => Resolved::Value(item.clone()),
                            None => unknown("the index is outside the list".to_owned()),
                        }
                    }
                    (Resolved::Unknown { why, .. }, _) | (_, Resolved::Unknown { why, .. }) => unknown(why),
                    _ => unknown("Fn::Select of something that is not a list".to_owned()),
                }
            }
            "Fn::Join" => {
                let [delimiter, list] = args else {
                    return unknown("Fn::Join takes [delimiter, list]".to_owned());
                };
                match self.resolve_at(list, depth + 1) {
                    Resolved::Value(Json::Array(items)) => {
                        let parts: Vec<String> = items.iter().map(scalar_text).collect();
                        Resolved::Value(Json::String(parts.join(delimiter.as_str().unwrap_or_default())))
                    }
                    Resolved::Unknown { why, .. } => unknown(why),
                    _ => unknown("Fn::Join of something that is not a list".to_owned()),
                }
            }
            "Fn::Sub" => {
                let (text, variables) = match &argument.value {
                    Value::String(text) => (text.as_str(), None),
                    Value::Seq(items) if items.len() == 2 => (items[0].as_str().unwrap_or_default(), Some(&items[1])),
                    _ => return unknown("Fn::Sub takes a string or [string, variables]".to_owned()),
                };
                self.substitute(text, variables, depth).unwrap_or_else(unknown)
            }
            "Fn::ImportValue" => unknown("an export of another stack, known only at deploy".to_owned()),
            "Fn::GetAtt" => unknown("an attribute of a resource, known only after deploy".to_owned()),
            other => unknown(format!("{other} is evaluated only at deploy")),
        }
    }

    /// `Ref` to a parameter, a pseudo parameter or a resource.
    fn reference(&self, target: &str) -> std::result::Result<Resolved, String> {
        if target == "AWS::NoValue" {
            return Ok(Resolved::NoValue);
        }
        if target.starts_with("AWS::") {
            return Err(format!("{target} is a pseudo parameter, known only at deploy"));
        }
        if let Some(parameter) = self.section("Parameters").and_then(|p| p.get(target)) {
            let ssm = parameter
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value"));
            if ssm {
                return Err(format!(
                    "the parameter {target} is read from SSM Parameter Store at deploy"
                ));
            }
            if let Some((_, value)) = self.parameters.iter().find(|(name, _)| name == target) {
                return Ok(Resolved::Value(Json::String(value.clone())));
            }
            return match parameter.get("Default") {
                Some(default) => Ok(Resolved::Value(default.to_json())),
                None => Err(format!(
                    "the parameter {target} has no default and no value was given (parameters)"
                )),
            };
        }
        if resources(&self.template.root).any(|(id, _)| id == target) {
            return Err(format!("the physical id of {target} is known only after deploy"));
        }
        Err(format!(
            "{target} is neither a parameter nor a resource of the template"
        ))
    }

    /// `Fn::Sub` over known values: `${Name}` from its variables or the parameters.
    fn substitute(&self, text: &str, variables: Option<&Node>, depth: usize) -> std::result::Result<Resolved, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let end = after.find('}').ok_or("an unclosed ${ in Fn::Sub")?;
            let name = &after[..end];
            let value = match variables.and_then(|v| v.get(name)) {
                Some(node) => self.resolve_at(node, depth + 1),
                None if name.contains('.') => return Err(format!("${{{name}}} is known only after deploy")),
                None => self.reference(name)?,
            };
            match value {
                Resolved::Value(v) => out.push_str(&scalar_text(&v)),
                Resolved::NoValue => {}
                Resolved::Unknown { why, .. } => return Err(why),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Resolved::Value(Json::String(out)))
    }

    fn condition_named(&self, name: &str, depth: usize) -> std::result::Result<bool, (String, String)> {
        let Some(condition) = self.section("Conditions").and_then(|c| c.get(name)) else {
            return Err((name.to_owned(), format!("the template has no condition {name}")));
        };
        self.condition(condition, depth + 1)
            .map_err(|(expression, why)| (name.to_owned(), format!("{expression}: {why}")))
    }

    /// A condition's truth, or the expression that leaves it undecided.
    fn condition(&self, node: &Node, depth: usize) -> std::result::Result<bool, (String, String)> {
        let undecided = |why: String| Err((short(&node.to_json()), why));
        if depth > 32 {
            return undecided("nested too deeply to evaluate".to_owned());
        }
        let Some((name, argument)) = node.entries().first().filter(|_| node.entries().len() == 1) else {
            return match node.to_json() {
                Json::Bool(b) => Ok(b),
                Json::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
                Json::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
                _ => undecided("not a condition".to_owned()),
            };
        };
        let args = argument.items();
        match name.as_str() {
            "Condition" => match argument.as_str() {
                Some(other) => self.condition_named(other, depth + 1),
                None => undecided("Condition takes a name".to_owned()),
            },
            "Fn::Equals" => {
                let [a, b] = args else {
                    return undecided("Fn::Equals takes two values".to_owned());
                };
                match (self.resolve_at(a, depth + 1), self.resolve_at(b, depth + 1)) {
                    (Resolved::Value(a), Resolved::Value(b)) => Ok(scalar_text(&a) == scalar_text(&b)),
                    (Resolved::Unknown { why, .. }, _) | (_, Resolved::Unknown { why, .. }) => undecided(why),
                    _ => undecided("Fn::Equals of no value".to_owned()),
                }
            }
            "Fn::Not" => match args {
                [inner] => self.condition(inner, depth + 1).map(|b| !b),
                _ => undecided("Fn::Not takes one condition".to_owned()),
            },
            "Fn::And" | "Fn::Or" => {
                let decisive = name == "Fn::Or";
                let mut first_unknown = None;
                for inner in args {
                    match self.condition(inner, depth + 1) {
                        // One true branch decides an Or, one false an And, whatever the others.
                        Ok(b) if b == decisive => return Ok(decisive),
                        Ok(_) => {}
                        Err(e) => {
                            first_unknown.get_or_insert(e);
                        }
                    }
                }
                match first_unknown {
                    Some(e) => Err(e),
                    None => Ok(!decisive),
                }
            }
            _ => match self.resolve_at(node, depth + 1) {
                Resolved::Value(Json::Bool(b)) => Ok(b),
                Resolved::Unknown { why, .. } => undecided(why),
                _ => undecided("not a condition".to_owned()),
            },
        }
    }
}

fn is_intrinsic(name: &str) -> bool {
    name == "Ref" || name == "Condition" || name.starts_with("Fn::")
}

/// A scalar as CloudFormation compares it: as text.
fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// An expression in the YAML short form a reader knows: `!Ref Rotate`,
/// `!If [UseRotation, true, false]`, `!GetAtt Key.Arn`.
fn short(value: &Json) -> String {
    match value {
        Json::Object(map) if map.len() == 1 => {
            let (name, argument) = map.iter().next().expect("one entry");
            let tag = match name.as_str() {
                "Ref" => "Ref",
                "Condition" => "Condition",
                other => match other.strip_prefix("Fn::") {
                    Some(tag) => tag,
                    None => return format!("{{{name}: {}}}", short(argument)),
                },
            };
            match (tag, argument) {
                ("GetAtt", Json::Array(items)) if items.len() == 2 && items.iter().all(Json::is_string) => {
                    format!("!GetAtt {}.{}", scalar_text(&items[0]), scalar_text(&items[1]))
                }
                _ => format!("!{tag} {}", short(argument)),
            }
        }
        Json::Array(items) => format!("[{}]", items.iter().map(short).collect::<Vec<_>>().join(", ")),
        Json::String(s) if !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "-_:./".contains(c)) => s.clone(),
        other => other.to_string(),
    }
}

/// `Tags: [{Key, Value}]`.
fn tags(value: &Json) -> Option<Vec<Tag>> {
    value
        .as_array()?
        .iter()
        .map(|tag| {
            Some(Tag {
                key: tag.get("Key")?.as_str()?.to_owned(),
                value: scalar_text(tag.get("Value")?),
            })
        })
        .collect()
}
