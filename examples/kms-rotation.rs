//! The `kms-rotation` command line, run from the workspace without installing it.
//! It lives in the core's `cli` module (feature `cli`); this file only calls it.
//!
//! Run: `cargo run --example kms-rotation -- check --snapshot examples/data/demo-account.json`
//! (`--help` lists every flag and the exit codes).

fn main() -> std::process::ExitCode {
    kms_rotation_core::cli::main()
}
