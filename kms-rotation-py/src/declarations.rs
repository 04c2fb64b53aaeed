//! Keys declared in code: `check_terraform_plan` and `check_cloudformation`
//! take a path, a dict (a plan, a template, what CDK's
//! `Template.from_stack(stack).to_json()` returns) or, for CloudFormation, a
//! list of them, and the core's options; the core judges them. The functions
//! (and their `*_async` twins) are declared with the others in `operations`.

use std::path::PathBuf;

use kms_rotation_core::DeclarationSource;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::error::{Result, invalid};
use crate::options::Options;
use crate::report::AccountReport;

/// A validated call, ready to run (as `operations` runs it).
type Call<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send>>;

/// One source: a path (`str` or `os.PathLike`) or a dict.
fn source(value: &Bound<'_, PyAny>, what: &'static str) -> Result<DeclarationSource> {
    if value.cast::<PyDict>().is_ok() {
        return Ok(DeclarationSource::json(crate::json::from_py(value, true)?));
    }
    match value.extract::<PathBuf>() {
        Ok(path) => Ok(DeclarationSource::path(path)),
        Err(_) => Err(invalid(
            what,
            value.repr()?.to_string(),
            "give a path, or the document as a dict",
        )),
    }
}

pub(crate) fn check_terraform_plan_call(
    plan: &Bound<'_, PyAny>,
    options: &Bound<'_, PyDict>,
) -> Result<Call<AccountReport>> {
    let plan = source(plan, "plan")?;
    let parsed = Options::parse(options)?;
    let options = parsed.declaration_options()?;
    let Some((connection, check)) = live(&parsed, &options)? else {
        return Ok(Box::pin(async move {
            Ok(AccountReport::new(kms_rotation_core::check_terraform_plan(
                &plan, &options,
            )?))
        }));
    };
    Ok(Box::pin(async move {
        Ok(AccountReport::new(
            connection.check_terraform_plan(&plan, &options, &check).await?,
        ))
    }))
}

pub(crate) fn check_cloudformation_call(
    templates: &Bound<'_, PyAny>,
    options: &Bound<'_, PyDict>,
) -> Result<Call<AccountReport>> {
    let many = templates.cast::<PyList>().is_ok() || templates.cast::<PyTuple>().is_ok();
    let sources = if many && templates.cast::<PyString>().is_err() {
        templates
            .try_iter()?
            .map(|item| source(&item?, "template"))
            .collect::<Result<Vec<_>>>()?
    } else {
        vec![source(templates, "template")?]
    };
    let parsed = Options::parse(options)?;
    let options = parsed.declaration_options()?;
    let Some((connection, check)) = live(&parsed, &options)? else {
        return Ok(Box::pin(async move {
            Ok(AccountReport::new(kms_rotation_core::check_cloudformation(
                &sources, &options,
            )?))
        }));
    };
    Ok(Box::pin(async move {
        Ok(AccountReport::new(
            connection.check_cloudformation(&sources, &options, &check).await?,
        ))
    }))
}

/// With `compare_live=True`: the connection the live keys are read through,
/// and the check options (pacing, retries, calls in flight).
fn live(
    parsed: &Options<'_>,
    options: &kms_rotation_core::DeclarationOptions,
) -> Result<Option<(kms_rotation_core::Connection, kms_rotation_core::CheckOptions)>> {
    if !options.compare_live() {
        if let Some(name) = parsed.live_source_option() {
            return Err(invalid(
                name,
                "given",
                "says where live keys are read: give compare_live=True to compare the declared keys with them",
            ));
        }
        return Ok(None);
    }
    let (check, _) = parsed.check_options()?;
    Ok(Some((parsed.connection()?, check)))
}
