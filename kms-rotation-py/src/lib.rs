//! The native half of the Python package `kms_rotation` (PyO3): it converts
//! arguments, calls `kms-rotation-core`, and converts results and errors back.
//! It holds no KMS rule. The public Python API is re-exported by
//! `python/kms_rotation/__init__.py`; report objects are Python classes built
//! from the core's canonical JSON (`python/kms_rotation/_model.py`).
//!
//! One Rust file per concept: `error` (exceptions), `client` (a boto3-shaped
//! Python object as a `KmsClient`), `source` (where clients come from:
//! a snapshot, Python objects, or the AWS SDK), `options` (policy and scan
//! options from keyword arguments), `progress`, `check`, `remediate`, `snapshot`.

use std::future::Future;
use std::time::Duration;

use pyo3::prelude::*;

mod check;
mod client;
mod error;
mod options;
mod progress;
mod remediate;
mod report;
mod snapshot;
mod source;

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

/// An awaitable, for the running asyncio event loop, of the future `start`
/// makes, driven by the shared runtime. Cancelling the awaitable drops the
/// future, which cancels the work. (The core keeps its futures `Send`.)
fn awaitable<'py, S, F>(py: Python<'py>, start: S) -> PyResult<Bound<'py, PyAny>>
where
    S: FnOnce() -> F + Send + 'static,
    F: Future<Output = PyResult<Py<PyAny>>> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move { start().await })
}

/// The native module, `kms_rotation._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    check::register(m)?;
    remediate::register(m)?;
    snapshot::register(m)?;
    progress::register(m)?;
    report::register(m)?;
    Ok(())
}
