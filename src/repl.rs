//! The interactive shell (placeholder until the REPL lands).

use crate::engine::Runtime;
use std::process::ExitCode;

/// Runs the REPL.
pub fn run(_runtime: &Runtime) -> ExitCode {
    eprintln!("the REPL is not built yet");
    ExitCode::from(2)
}
