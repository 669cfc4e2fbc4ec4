//! `log::info/warn/error/debug`: timestamped lines on stderr (debug only with `-v`).

use netscript_sdk::prelude::*;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static DEBUG_ENABLED: AtomicBool = AtomicBool::new(false);

/// Shows `log::debug` lines (the CLI's `-v`).
pub fn enable_debug(on: bool) {
    DEBUG_ENABLED.store(on, Ordering::Relaxed);
}

/// Writes one log line (redacted); the host's warnings for plugins come here too.
pub fn emit(level: &str, msg: &str) {
    let ts = chrono::Local::now().format("%H:%M:%S%.3f");
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{ts} {level:<5} {}", host().redact(msg));
}

/// Registers the `log` module.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("Logging to stderr: `HH:MM:SS.mmm LEVEL message`.");
    m.func(
        "info",
        &["message"],
        "Logs at INFO.\n```rhai\nlog::info(\"starting\");\n```\nErrors: none.",
        |msg: Dynamic| emit("INFO", &msg.to_string()),
    );
    m.func(
        "warn",
        &["message"],
        "Logs at WARN.\n```rhai\nlog::warn(\"slow reply\");\n```\nErrors: none.",
        |msg: Dynamic| emit("WARN", &msg.to_string()),
    );
    m.func(
        "error",
        &["message"],
        "Logs at ERROR.\n```rhai\nlog::error(\"failed\");\n```\nErrors: none.",
        |msg: Dynamic| emit("ERROR", &msg.to_string()),
    );
    m.func(
        "debug",
        &["message"],
        "Logs at DEBUG, shown only with `netscript -v`.\n```rhai\nlog::debug(\"details\");\n```\nErrors: none.",
        |msg: Dynamic| {
            if DEBUG_ENABLED.load(Ordering::Relaxed) {
                emit("DEBUG", &msg.to_string())
            }
        },
    );
}
