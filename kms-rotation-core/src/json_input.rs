//! JSON a user hands in (snapshot files, saved reports): the encoding is
//! checked and explained plainly, and an object key given twice is refused
//! with its line and column instead of silently keeping the last; [`text`]
//! compares JSON texts token by token.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

mod text;
pub(crate) use text::{same_json_text, without_whitespace};

/// Where and why a text is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonProblem {
    /// 1-based line (1 when the problem is the whole file's encoding).
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) column: usize,
    /// What is wrong, in words.
    pub(crate) message: String,
}

impl From<serde_json::Error> for JsonProblem {
    fn from(error: serde_json::Error) -> Self {
        Self {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        }
    }
}

/// The bytes of a file as UTF-8 text, or a plain explanation.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, JsonProblem> {
    if let Some(problem) = encoding_problem(bytes) {
        return Err(problem);
    }
    std::str::from_utf8(bytes).map_err(|e| not_utf8(e.valid_up_to()))
}

/// [`text_of`] taking the bytes: the text is the same buffer, not a copy
/// (a snapshot file can be tens of megabytes).
pub(crate) fn text_from(bytes: Vec<u8>) -> Result<String, JsonProblem> {
    if let Some(problem) = encoding_problem(&bytes) {
        return Err(problem);
    }
    String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error().valid_up_to()))
}

fn whole_file(message: &str) -> JsonProblem {
    JsonProblem {
        line: 1,
        column: 1,
        message: message.to_owned(),
    }
}

fn not_utf8(offset: usize) -> JsonProblem {
    whole_file(&format!(
        "the file is not UTF-8 text (an invalid byte at offset {offset}); save it as UTF-8 JSON"
    ))
}

/// A byte-order mark or UTF-16 text, named plainly.
fn encoding_problem(bytes: &[u8]) -> Option<JsonProblem> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Some(whole_file(
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8",
        ));
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Some(whole_file(
            "the file starts with a byte-order mark (EF BB BF); save it as UTF-8 without one",
        ));
    }
    if bytes.len() >= 2 && bytes.iter().take(64).filter(|b| **b == 0).count() * 4 >= bytes.len().min(64) {
        return Some(whole_file(
            "the file is UTF-16 or binary (it is full of zero bytes); save it as UTF-8 JSON",
        ));
    }
    None
}

/// Refuses an object with the same key twice (JSON allows it; a file that
/// relies on "the last one wins" loses data silently).
pub(crate) fn check_unique_keys(text: &str) -> Result<(), JsonProblem> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    UniqueKeys::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(())
}

struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "the key {key:?} is given twice in one object"
                )));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_named_plainly() {
        assert!(
            text_of(b"\xEF\xBB\xBF{}")
                .unwrap_err()
                .message
                .contains("byte-order mark")
        );
        assert!(text_of(b"\xFF\xFE{\x00}\x00").unwrap_err().message.contains("UTF-16"));
        assert!(
            text_of(b"{\x00\"\x00a\x00\"\x00}\x00")
                .unwrap_err()
                .message
                .contains("UTF-16")
        );
        assert!(
            text_of(b"{\"a\": \"\xC3\x28\"}")
                .unwrap_err()
                .message
                .contains("not UTF-8")
        );
        assert_eq!(text_of(b"{}").unwrap(), "{}");
    }

    #[test]
    fn a_key_given_twice_is_refused_with_its_place() {
        let text = "{\n  \"regions\": {\n    \"us-east-1\": {},\n    \"us-east-1\": {}\n  }\n}";
        let problem = check_unique_keys(text).unwrap_err();
        assert_eq!(problem.line, 4);
        assert!(problem.message.contains("us-east-1"), "{}", problem.message);
        assert!(check_unique_keys(r#"{"a": [{"b": 1}, {"b": 2}]}"#).is_ok());
    }
}
