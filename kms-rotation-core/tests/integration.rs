//! The integration tests, one binary (each file below was its own test binary,
//! each linking the AWS SDK again: one binary builds in a fraction of the time).
//! Run one file's tests with a filter: `cargo test -p kms-rotation-core --test integration faults::`.

mod common;

mod aws_mocks;
mod aws_moto;
mod bad_input;
mod baseline;
mod check_account;
#[cfg(feature = "cli")]
mod cli;
mod conformance;
mod continuous;
mod continuous_template;
mod decision_table;
#[cfg(feature = "cli")]
mod declarations;
#[cfg(feature = "cli")]
mod drift;
#[cfg(feature = "cli")]
mod evidence;
mod faults;
mod handlers_moto;
mod key_material;
#[cfg(feature = "cli")]
mod log_canaries;
mod offline_instant;
mod organization;
mod organization_moto;
mod organization_transport;
mod properties;
mod remediate;
mod render_formats;
mod rotation_history;
mod rotation_history_moto;
mod sarif;
mod security_hub;
mod snapshot;
mod snapshot_input;
