//! A JSON or YAML document as a tree whose every node knows its line and
//! column, so that a finding can point at the resource it is about.
//! JSON is checked by `serde_json` first (its errors name line and column),
//! then indexed by a small scanner; YAML is read from `saphyr-parser`'s
//! events, CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!If`, ...)
//! turned into the long form (`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`).

use saphyr_parser::{Event, Parser, ScalarStyle};

/// A value and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) line: u32,
    pub(crate) column: u32,
    /// Where the key that holds this value in its map starts (0 when none):
    /// a resource is pointed at by its name, not by its body.
    pub(crate) key_line: u32,
    pub(crate) key_column: u32,
}

/// A JSON / YAML value. Numbers keep their text; maps keep their order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// Why a text is not a document: what, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl Node {
    fn new(value: Value, line: usize, column: usize) -> Self {
        Self {
            value,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            key_line: 0,
            key_column: 0,
        }
    }

    fn keyed(mut self, (line, column): (usize, usize)) -> Self {
        self.key_line = u32::try_from(line).unwrap_or(u32::MAX);
        self.key_column = u32::try_from(column).unwrap_or(u32::MAX);
        self
    }

    /// A document a program handed in: no positions (line 0).
    pub(crate) fn from_json(value: &serde_json::Value) -> Self {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.to_string()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::Seq(items.iter().map(Node::from_json).collect()),
            serde_json::Value::Object(map) => {
                Value::Map(map.iter().map(|(k, v)| (k.clone(), Node::from_json(v))).collect())
            }
        };
        Node::new(value, 0, 0)
    }

    /// Where a finding about this node points: its key in its map, else the node;
    /// `None` when the document came without positions.
    pub(crate) fn position(&self) -> Option<(u32, u32)> {
        match (self.key_line, self.line) {
            (0, 0) => None,
            (0, line) => Some((line, self.column)),
            (line, _) => Some((line, self.key_column)),
        }
    }

    /// The member `key` of a map.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entries of a map (none for anything else).
    pub(crate) fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items of a sequence (none for anything else).
    pub(crate) fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The text of a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// Whether the node is null (or absent, for [`Node::get`]'s `None`).
    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// What the node is, in words, for messages about a file that is not what was expected.
    pub(crate) fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "an object",
        }
    }

    /// The node as compact JSON text (for naming an expression in a message).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(text) => {
                serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.clone()))
            }
            Value::String(text) => serde_json::Value::String(text.clone()),
            Value::Seq(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

/// The keys of one map, to refuse a key given twice without comparing each new
/// key with every earlier one (a template's `Resources` can hold thousands).
#[derive(Default)]
struct Keys(std::collections::HashSet<String>);

impl Keys {
    /// Whether `key` is new.
    fn insert(&mut self, key: &str) -> bool {
        self.0.insert(key.to_owned())
    }
}

/// Parses JSON text into a positioned tree; an object key given twice is an error.
pub(crate) fn parse_json(text: &str) -> Result<Node, SyntaxError> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| SyntaxError {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut scanner = JsonScanner {
        text,
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        line_start: 0,
    };
    scanner.value()
}

/// Walks JSON text that `serde_json` has accepted, recording where each value starts.
struct JsonScanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
}

impl JsonScanner<'_> {
    fn skip_space(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            line: self.line,
            column: self.column(),
            message: message.to_owned(),
        }
    }

    fn column(&self) -> usize {
        self.text[self.line_start..self.at].chars().count() + 1
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        self.skip_space();
        let (line, column) = (self.line, self.column());
        let value = match self.bytes.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut entries: Vec<(String, Node)> = Vec::new();
                let mut seen = Keys::default();
                loop {
                    self.skip_space();
                    match self.bytes.get(self.at) {
                        Some(b'}') => {
                            self.at += 1;
                            break;
                        }
                        Some(b',') => {
                            self.at += 1;
                            continue;
                        }
                        _ => {}
                    }
                    let key_at = (self.line, self.column());
                    let key = self.string()?;
                    if !seen.insert(&key) {
                        return Err(SyntaxError {
                            line: key_at.0,
                            column: key_at.1,
                            message: format!("the key {key:?} is given twice in one object"),
                        });
                    }
                    self.skip_space();
                    if self.bytes.get(self.at) != Some(&b':') {
                        return Err(self.error("expected ':'"));
                    }
                    self.at += 1;
                    let value = self.value()?.keyed(key_at);
                    entries.push((key, value));
                }
                Value::Map(entries)
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    match self.bytes.get(self.at) {
                        Some(b']') => {
                            self.at += 1;
                            break;
                        }
                        Some(b',') => {
                            self.at += 1;
                            continue;
                        }
                        _ => items.push(self.value()?),
                    }
                }
                Value::Seq(items)
            }
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.word("true", Value::Bool(true))?,
            Some(b'f') => self.word("false", Value::Bool(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            Some(_) => {
                let start = self.at;
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    self.at += 1;
                }
                if start == self.at {
                    return Err(self.error("expected a value"));
                }
                Value::Number(self.text[start..self.at].to_owned())
            }
            None => return Err(self.error("expected a value")),
        };
        Ok(Node::new(value, line, column))
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return Err(self.error("expected a string"));
        }
        let start = self.at;
        self.at += 1;
        let mut escaped = false;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            match b {
                b'\\' => {
                    escaped = true;
                    self.at += 1;
                }
                b'"' => {
                    let raw = &self.text[start..self.at];
                    return if escaped {
                        serde_json::from_str(raw).map_err(|e| self.error(&e.to_string()))
                    } else {
                        Ok(raw[1..raw.len() - 1].to_owned())
                    };
                }
                _ => {}
            }
        }
        Err(self.error("unterminated string"))
    }
}

/// Parses YAML text (one document) into a positioned tree, short-form tags in
/// their long form; an anchor's alias is its value again; a key given twice is an error.
pub(crate) fn parse_yaml(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = YamlBuilder {
        parser: Parser::new_from_str(text),
        anchors: Vec::new(),
    };
    let mut document = None;
    loop {
        let (event, span) = builder.next()?;
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
            other => {
                if document.is_some() {
                    return Err(SyntaxError {
                        line: span.0,
                        column: span.1,
                        message: "a second YAML document: a template is one document".to_owned(),
                    });
                }
                document = Some(builder.node(other, span)?);
            }
        }
    }
    Ok(document.unwrap_or_else(|| Node::new(Value::Null, 1, 1)))
}

struct YamlBuilder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: Vec<(usize, Node)>,
}

type Position = (usize, usize);

impl<'a> YamlBuilder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Position), SyntaxError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, (span.start.line(), span.start.col() + 1))),
            Some(Err(error)) => Err(SyntaxError {
                line: error.marker().line(),
                column: error.marker().col() + 1,
                message: error.info().to_owned(),
            }),
            None => Ok((Event::StreamEnd, (0, 0))),
        }
    }

    fn node(&mut self, event: Event<'a>, at: Position) -> Result<Node, SyntaxError> {
        let (anchor, tag, value) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = match style {
                    ScalarStyle::Plain if tag.is_none() => plain_scalar(&text),
                    _ => Value::String(text.into_owned()),
                };
                (anchor, tag.map(|t| (t.handle.clone(), t.suffix.clone())), value)
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    match event {
                        Event::SequenceEnd => break,
                        other => items.push(self.node(other, span)?),
                    }
                }
                (
                    anchor,
                    tag.map(|t| (t.handle.clone(), t.suffix.clone())),
                    Value::Seq(items),
                )
            }
            Event::MappingStart(anchor, tag) => {
                let mut entries: Vec<(String, Node)> = Vec::new();
                let mut seen = Keys::default();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span)?;
                    let key = match key.value {
                        Value::String(text) | Value::Number(text) => text,
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        _ => {
                            return Err(SyntaxError {
                                line: span.0,
                                column: span.1,
                                message: "a mapping key that is not a scalar".to_owned(),
                            });
                        }
                    };
                    if !seen.insert(&key) {
                        return Err(SyntaxError {
                            line: span.0,
                            column: span.1,
                            message: format!("the key {key:?} is given twice in one mapping"),
                        });
                    }
                    let key_at = span;
                    let (event, span) = self.next()?;
                    let value = self.node(event, span)?.keyed(key_at);
                    entries.push((key, value));
                }
                (
                    anchor,
                    tag.map(|t| (t.handle.clone(), t.suffix.clone())),
                    Value::Map(entries),
                )
            }
            Event::Alias(id) => {
                return self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(anchor, _)| *anchor == id)
                    .map(|(_, node)| node.clone())
                    .ok_or_else(|| SyntaxError {
                        line: at.0,
                        column: at.1,
                        message: "an alias to an unknown anchor".to_owned(),
                    });
            }
            _ => {
                return Err(SyntaxError {
                    line: at.0,
                    column: at.1,
                    message: "unexpected YAML event".to_owned(),
                });
            }
        };
        let value = match tag {
            // A CloudFormation short form: `!Ref X` is `{"Ref": X}`, `!GetAtt A.B` is
            // `{"Fn::GetAtt": ["A", "B"]}`, `!Condition C` is `{"Condition": C}`, `!If [...]`
            // is `{"Fn::If": [...]}`.
            Some((handle, suffix)) if handle == "!" => {
                let value = match value {
                    Value::Null => Value::String(String::new()),
                    other => other,
                };
                let inner = Node::new(value, at.0, at.1);
                let (name, inner) = match suffix.as_str() {
                    "Ref" | "Condition" => (suffix.clone(), inner),
                    "GetAtt" => {
                        let inner = match &inner.value {
                            Value::String(text) => match text.split_once('.') {
                                Some((resource, attribute)) => Node::new(
                                    Value::Seq(vec![
                                        Node::new(Value::String(resource.to_owned()), at.0, at.1),
                                        Node::new(Value::String(attribute.to_owned()), at.0, at.1),
                                    ]),
                                    at.0,
                                    at.1,
                                ),
                                None => inner,
                            },
                            _ => inner,
                        };
                        ("Fn::GetAtt".to_owned(), inner)
                    }
                    _ => (format!("Fn::{suffix}"), inner),
                };
                Value::Map(vec![(name, inner)])
            }
            // `!!str`, `!!int`, ...: the core schema's tags change nothing here.
            _ => value,
        };
        let node = Node::new(value, at.0, at.1);
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        Ok(node)
    }
}

/// A plain (unquoted, untagged) scalar as YAML 1.2's core schema reads it.
fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ if text.parse::<i64>().is_ok() || (text.parse::<f64>().is_ok() && !text.contains(char::is_alphabetic)) => {
            Value::Number(text.to_owned())
        }
        _ => Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_nodes_know_their_line_and_column() {
        let doc = parse_json("{\n  \"a\": [1, {\"b\": \"x\\ny\"}],\n  \"c\": true\n}").unwrap();
        let a = doc.get("a").unwrap();
        assert_eq!((a.line, a.column), (2, 8));
        assert_eq!(a.items()[1].get("b").unwrap().as_str(), Some("x\ny"));
        let c = doc.get("c").unwrap();
        assert_eq!((c.line, c.column, &c.value), (3, 8, &Value::Bool(true)));
    }

    #[test]
    fn bad_json_is_named_with_line_and_column() {
        let error = parse_json("{\n  \"a\": [1,\n}").unwrap_err();
        assert_eq!(error.line, 3);
        let error = parse_json("{\"a\": 1,\n \"a\": 2}").unwrap_err();
        assert_eq!((error.line, error.column), (2, 2));
        assert!(error.message.contains("twice"));
    }

    #[test]
    fn yaml_short_forms_become_long_forms() {
        let doc = parse_yaml(
            "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: !Ref Rotate\n      \
             KeyPolicy: !Sub '${AWS::AccountId}'\n      Arn: !GetAtt Key.Arn\n      X: !If [C, true, 'false']\n",
        )
        .unwrap();
        let key = doc.get("Resources").unwrap().get("Key").unwrap();
        assert_eq!((key.line, key.column), (3, 5));
        let props = key.get("Properties").unwrap();
        assert_eq!(
            props.get("EnableKeyRotation").unwrap().to_json(),
            serde_json::json!({"Ref": "Rotate"})
        );
        assert_eq!(
            props.get("Arn").unwrap().to_json(),
            serde_json::json!({"Fn::GetAtt": ["Key", "Arn"]})
        );
        assert_eq!(
            props.get("X").unwrap().to_json(),
            serde_json::json!({"Fn::If": ["C", true, "false"]})
        );
    }

    #[test]
    fn bad_yaml_is_named_with_line_and_column() {
        let error = parse_yaml("Resources:\n  Key: [a, b\n  Other: 1\n").unwrap_err();
        assert!(error.line >= 2, "{error:?}");
        let error = parse_yaml("A: 1\nA: 2\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 1));
    }
}
