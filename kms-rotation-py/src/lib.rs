//! The native half of the Python package `kms_rotation` (PyO3): it converts
//! arguments, calls `kms-rotation-core`, and converts results and errors back.
//! It holds no KMS rule, builds no request and decides no region. The public
//! functions, with their signatures and documentation, are in
//! `python/kms_rotation/__init__.py`; `_native.pyi` types this module.
//!
//! One file per concept, lowest first (no module uses one above it):
//! `json` (JSON values and Python objects), `error` (exceptions), `progress`,
//! `call_log` (API attempts to `on_call=` or the `kms_rotation` logger),
//! `transport` (a boto3-shaped object as the core's `JsonTransport`),
//! `org_transport` (`service_client_factory=` as the core's `OrganizationTransport`),
//! `snapshot` (the snapshot and its transport, the fake's native half),
//! `report` (results as thin wrappers over the core's values), `options`
//! (keyword arguments into the core's connection and options),
//! `operations` (the public functions), `declarations` (keys declared in
//! Terraform plans and CloudFormation templates), `conformance` (the core's
//! suite over the Python transport), `handlers` (continuous evaluation's Lambda handlers).

use std::future::Future;
use std::time::Duration;

use kms_rotation_core::{OPTIONS, Outcome, RENDER_OPTIONS, Reason, RegionState, Status};
use pyo3::prelude::*;
use pyo3::types::PyDict;

mod call_log;
mod conformance;
mod declarations;
mod error;
mod handlers;
mod json;
mod operations;
mod options;
mod org_transport;
mod progress;
mod report;
mod snapshot;
mod transport;

/// The process-wide tokio runtime, shared by the sync functions and the
/// `*_async` twins (pyo3-async-runtimes drives its futures on it).
fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Runs the future `start` makes to completion with the GIL released, so other
/// Python threads (and the boto3 calls the engine makes on worker threads) run
/// meanwhile. Ctrl-C still works: signals are checked every 100 ms, and a
/// pending `KeyboardInterrupt` drops (cancels) the future. The future is made
/// on the waiting thread, so it need not be `Send`.
fn wait<T, F, S>(py: Python<'_>, start: S) -> PyResult<T>
where
    T: Send,
    S: FnOnce() -> F + Send,
    F: Future<Output = PyResult<T>>,
{
    py.detach(|| {
        let future = start();
        runtime().block_on(async {
            tokio::pin!(future);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    out = &mut future => return out,
                    _ = tick.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
}

/// The spellings of a core enum's variants, in declaration order. The match
/// is exhaustive, so a variant added to the core fails to compile here until
/// it is listed (and the Python enum test then asks for it in Python too).
macro_rules! spellings {
    ($enum:ident: $($variant:ident),+ $(,)?) => {{
        let _exhaustive = |value: $enum| match value {
            $($enum::$variant)|+ => (),
        };
        vec![$(json::spelling(&$enum::$variant)),+]
    }};
}

/// Runs the ``kms-rotation`` command line (the core's, as the Rust binary and the
/// Node ``bin`` run it) with ``args`` (the first is the program name) and returns
/// its exit code, the GIL released meanwhile; ``kms_rotation.cli.main`` calls it.
#[pyfunction]
fn run_cli(py: Python<'_>, args: Vec<String>) -> u8 {
    py.detach(|| kms_rotation_core::cli::run(args))
}

/// The native module, `kms_rotation._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_function(pyo3::wrap_pyfunction!(run_cli, m)?)?;
    m.add(
        "OPTION_NAMES",
        OPTIONS.iter().map(|option| option.name).collect::<Vec<_>>(),
    )?;
    m.add("RENDER_OPTION_NAMES", RENDER_OPTIONS.to_vec())?;
    let enums = PyDict::new(m.py());
    enums.set_item("Status", spellings!(Status: Pass, Fail, NotApplicable, Exempt, Error))?;
    let reasons = spellings!(Reason:
        Exempted, AwsManaged, PendingDeletion, CustomKeyStore, ImportedKeyMaterial, UnsupportedKeySpec,
        Disabled, RotationDisabled, RotationPeriodTooLong, RotationEnabled, RotationOverdue, RotatedOnDemand,
        CreatedWithinWindow, ApiError, InvalidResponse, IncompleteMetadata, MissingEvidence, RotationPending, Unresolved,
        Drift);
    enums.set_item("Reason", reasons)?;
    enums.set_item("RegionState", spellings!(RegionState: Scanned, NotEnabled, Error))?;
    enums.set_item(
        "Outcome",
        spellings!(Outcome: WouldChange, Changed, AlreadyCompliant, Skipped, Failed),
    )?;
    m.add("ENUM_VALUES", enums)?;
    operations::register(m)?;
    report::register(m)?;
    snapshot::register(m)?;
    progress::register(m)?;
    conformance::register(m)?;
    handlers::register(m)?;
    Ok(())
}
