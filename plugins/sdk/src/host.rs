//! What the host lends every plugin: the permission checker and the interruption flag.
//!
//! A plugin asks [`host()`] before it touches the network, a file or the environment. The
//! host hands its implementation over at registration, so built-in and dynamic plugins ask
//! the same checker. Without a host (a plugin's own unit tests) everything is allowed.

use crate::error::{CommonError, CommonKind};
use rhai::{Dynamic, EvalAltResult, FnPtr};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Services the host provides; implemented by the netscript runtime.
pub trait Host: Send + Sync {
    /// May the script reach (or bind) `host:port`? `resolved` are the addresses `host`
    /// resolved to (empty before resolution, or when `host` is an IP literal).
    /// Allowed when an entry names `host`, or when every resolved address is allowed.
    fn check_net(&self, host: &str, port: u16, resolved: &[IpAddr]) -> Result<(), CommonError>;
    /// May the script read `path`? Returns the canonical path that was checked.
    fn check_read(&self, path: &Path) -> Result<PathBuf, CommonError>;
    /// May the script write `path`? Returns the canonical path that was checked.
    fn check_write(&self, path: &Path) -> Result<PathBuf, CommonError>;
    /// May the script read the environment variable `name`?
    fn check_env(&self, name: &str) -> Result<(), CommonError>;
    /// Has the user asked to stop the running code (Ctrl-C in the REPL)?
    fn interrupted(&self) -> bool;
    /// Calls a script closure from any thread (a server's connection handler, a task).
    /// The host owns the engine; a plugin never keeps one of its own.
    fn call_fn(&self, f: &FnPtr, args: Vec<Dynamic>) -> Result<Dynamic, Box<EvalAltResult>>;
}

static HOST: OnceLock<&'static dyn Host> = OnceLock::new();

/// Installs the host's services; the first call wins (the host's own, for built-ins).
pub fn install(host: &'static dyn Host) {
    let _ = HOST.set(host);
}

/// The host's services, or an allow-all stand-in when no host installed one.
pub fn host() -> &'static dyn Host {
    HOST.get().copied().unwrap_or(&AllowAll)
}

/// The stand-in used before a host is installed (plugin unit tests).
struct AllowAll;
impl Host for AllowAll {
    fn check_net(&self, _: &str, _: u16, _: &[IpAddr]) -> Result<(), CommonError> {
        Ok(())
    }
    fn check_read(&self, path: &Path) -> Result<PathBuf, CommonError> {
        Ok(path.to_path_buf())
    }
    fn check_write(&self, path: &Path) -> Result<PathBuf, CommonError> {
        Ok(path.to_path_buf())
    }
    fn check_env(&self, _: &str) -> Result<(), CommonError> {
        Ok(())
    }
    fn interrupted(&self) -> bool {
        false
    }
    fn call_fn(&self, f: &FnPtr, _: Vec<Dynamic>) -> Result<Dynamic, Box<EvalAltResult>> {
        Err(crate::error::script_error(CommonError::new(
            CommonKind::PluginError,
            "core",
            format!("cannot call {} without a netscript host", f.fn_name()),
        )))
    }
}
