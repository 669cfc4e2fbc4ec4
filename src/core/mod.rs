//! The core script functions of API.md §Core, one file per concern, registered through the
//! same [`ModuleBuilder`] plugins use (so `--doc` and `:help` cover them alike).
//!
//! - [`process`]: `ARGS`, `exit`, `env`, `sleep`, `now`, `plugins`.
//! - [`time`]: `time::format` and `time::format_utc`.
//! - [`fs`]: the `fs` module, with atomic writes.
//! - [`hash`]: the `hash` module (SHA-256, SHA-512, SHA-1 as hex).
//! - [`json`]: the `json` module (parse, stringify, pretty).
//! - [`encoding`]: the `base64` module.
//! - [`log`]: the `log` module, to stderr.
//! - [`tasks`]: `task` and `parallel` on worker threads.
//! - [`pool`]: the worker threads they run on, kept between calls.
//! - [`progress`]: `progress` bars drawn on a terminal.

pub mod encoding;
pub mod fs;
pub mod hash;
pub mod json;
pub mod log;
pub mod process;
pub mod progress;
pub mod tasks;
pub mod time;

use netscript_sdk::error::{CommonError, CommonKind};
use netscript_sdk::rhai::{Dynamic, Engine, EvalAltResult};
use netscript_sdk::ModuleBuilder;

/// One line on each core module ("" is the global functions).
pub const DESCRIPTIONS: &[(&str, &str)] =
    &[("", "core functions: ARGS, exit, env, sleep, now, random, task, parallel, progress, plugins")];

/// The names of the core modules; no plugin may take one.
pub const MODULE_NAMES: &[&str] = &["fs", "hash", "json", "base64", "log", "time"];

/// The core modules: (name, module). The unnamed one ("") is global.
pub fn modules() -> Vec<(&'static str, ModuleBuilder)> {
    let mut global = ModuleBuilder::new("core");
    process::register(&mut global);
    tasks::register(&mut global);
    progress::register(&mut global);
    vec![
        ("", global),
        (
            "fs",
            build("fs", |m| {
                fs::register(m);
                fs::register_lock(m);
            }),
        ),
        ("hash", build("hash", hash::register)),
        ("json", build("json", json::register)),
        ("base64", build("base64", encoding::register)),
        ("log", build("log", log::register)),
        ("time", build("time", time::register)),
    ]
}

fn build(name: &str, register: fn(&mut ModuleBuilder)) -> ModuleBuilder {
    let mut b = ModuleBuilder::new(name);
    register(&mut b);
    b
}

/// Registers the core modules into `engine`.
pub fn register_all(engine: &mut Engine) {
    for (name, builder) in modules() {
        let module = builder.into_module();
        if name.is_empty() {
            engine.register_global_module(module.into());
        } else {
            engine.register_static_module(name, module.into());
        }
    }
}

/// A core error as a script error.
pub(crate) fn error(kind: CommonKind, message: impl Into<String>) -> Box<EvalAltResult> {
    netscript_sdk::error::script_error(CommonError::new(kind, "core", message))
}

/// An `InvalidArgument` from a core function.
pub(crate) fn invalid(message: impl Into<String>) -> Box<EvalAltResult> {
    error(CommonKind::InvalidArgument, message)
}

/// A string or blob argument as bytes.
pub(crate) fn bytes_of(value: &Dynamic, what: &str) -> Result<Vec<u8>, Box<EvalAltResult>> {
    if value.is_blob() {
        Ok(value.clone().cast::<netscript_sdk::rhai::Blob>())
    } else if value.is_string() {
        Ok(value.to_string().into_bytes())
    } else {
        Err(invalid(format!("{what} must be a string or a blob, not {}", netscript_sdk::options::type_word(value))))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn module_names_list_every_named_core_module() {
        let names: Vec<&str> = super::modules().iter().map(|(n, _)| *n).filter(|n| !n.is_empty()).collect();
        assert_eq!(names, super::MODULE_NAMES);
    }
}
