//! The `kms-rotation` command line: `kms-rotation --help`.
//!
//! Install: `cargo install --path kms-rotation-core --features cli`.

fn main() -> std::process::ExitCode {
    kms_rotation_core::cli::main()
}
