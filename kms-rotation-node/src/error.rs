//! Errors on their way to JavaScript: `Error` objects with a stable `code`.
//!
//! | core error | `code` | extra fields |
//! |---|---|---|
//! | `InvalidInput` (and bad arguments caught here) | `INVALID_INPUT` | `argument` (camelCase) |
//! | `MalformedSnapshot` | `MALFORMED_SNAPSHOT` | `path`, `line`, `column` |
//! | `Api` | `API_ERROR` | `awsCode`, `awsMessage`, `operation`, `region` |
//! | `Configuration` | `CONFIGURATION` | |
//! | `Io` | `IO` | `path` |
//! | anything newer | `INTERNAL` | |

use kms_rotation_core::{Door, Error as CoreError, OptionSpec, option_named};
use napi::bindgen_prelude::{JsObjectValue, Object};
use napi::{Env, JsValue, Status};

/// A field value of a JavaScript error.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Text(String),
    Number(f64),
}

/// An error built on any thread and turned into a JavaScript `Error` on the JS thread.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BindingError {
    code: &'static str,
    message: String,
    fields: Vec<(&'static str, Field)>,
}

impl BindingError {
    /// `INVALID_INPUT` for an argument the binding itself rejects (wrong type, unknown option).
    pub(crate) fn invalid(argument: &str, message: impl Into<String>) -> Self {
        Self {
            code: "INVALID_INPUT",
            message: message.into(),
            fields: vec![("argument", Field::Text(argument.to_owned()))],
        }
    }

    /// `CONFIGURATION`: the options cannot serve the request (no client for a region, …).
    pub(crate) fn configuration(message: impl Into<String>) -> Self {
        Self {
            code: "CONFIGURATION",
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Builds the JavaScript `Error` and wraps it so that napi throws or
    /// rejects with this very object.
    pub(crate) fn into_napi(self, env: &Env) -> napi::Error {
        match self.to_js(env) {
            Ok(object) => napi::Error::from(object.to_unknown()),
            // Only when the environment is shutting down; keep the code in the status.
            Err(_) => napi::Error::new(Status::GenericFailure, format!("{}: {}", self.code, self.message)),
        }
    }

    fn to_js<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let mut error = env.create_error(napi::Error::new(Status::GenericFailure, self.message.clone()))?;
        error.set_named_property("code", self.code)?;
        for (name, value) in &self.fields {
            match value {
                Field::Text(text) => error.set_named_property(name, text.as_str())?,
                Field::Number(number) => error.set_named_property(name, *number)?,
            }
        }
        Ok(error)
    }
}

impl From<CoreError> for BindingError {
    fn from(error: CoreError) -> Self {
        // The core names options the Rust way; say them as this package spells them.
        let message = message_with_causes(&error, error.message_for(Door::Node));
        let (code, fields) = match error {
            CoreError::InvalidInput { what, .. } => {
                let argument = camel_case(what);
                ("INVALID_INPUT", vec![("argument", Field::Text(argument))])
            }
            CoreError::MalformedSnapshot {
                source_name,
                line,
                column,
                ..
            } => {
                let mut fields = vec![
                    ("line", Field::Number(line as f64)),
                    ("column", Field::Number(column as f64)),
                ];
                if let Some(path) = source_name {
                    fields.push(("path", Field::Text(path)));
                }
                ("MALFORMED_SNAPSHOT", fields)
            }
            CoreError::Api {
                operation,
                region,
                source,
            } => (
                "API_ERROR",
                vec![
                    ("awsCode", Field::Text(source.code)),
                    ("awsMessage", Field::Text(source.message)),
                    ("operation", Field::Text(operation.to_owned())),
                    ("region", Field::Text(region)),
                ],
            ),
            CoreError::Configuration(_) => ("CONFIGURATION", Vec::new()),
            CoreError::Io { path, .. } => ("IO", vec![("path", Field::Text(path.display().to_string()))]),
            _ => ("INTERNAL", Vec::new()),
        };
        Self { code, message, fields }
    }
}

/// The error's message followed by each cause not already part of it.
fn message_with_causes(error: &dyn std::error::Error, mut message: String) -> String {
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

/// An option as this package spells it (`max_rotation_period_days` → `maxRotationPeriodDays`); other names as they are.
fn camel_case(name: &str) -> String {
    option_named(name).map_or_else(|| name.to_owned(), OptionSpec::camel_case)
}
