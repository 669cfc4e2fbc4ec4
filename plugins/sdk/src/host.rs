//! What the host lends every plugin: the permission checker, the interruption flag, calling
//! script closures, the redaction set and `--trace`, atomic files and progress bars (one
//! implementation each, in the host: no plugin depends on `tempfile` or `indicatif`).
//!
//! A plugin asks [`host()`] before it touches the network, a file or the environment. The
//! host hands its implementation over at registration, so built-in and dynamic plugins ask
//! the same checker. Without a host every check fails closed (`PermissionDenied`); a
//! plugin's own unit tests opt in to an allow-all stand-in with [`allow_all_for_tests`].

use crate::error::{CommonError, CommonKind};
use rhai::{Dynamic, EvalAltResult, FnPtr};
use std::future::Future;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::OnceLock;

/// A file being written that appears at its path only when committed: the data goes to a
/// temporary file in the target's folder, `commit` syncs it to disk and renames it into
/// place (keeping an existing file's permissions). Dropped uncommitted, it leaves nothing.
pub trait AtomicFile: std::io::Write + Send {
    /// Syncs and renames the file into place. Errors: `IoError`.
    fn commit(self: Box<Self>) -> Result<(), CommonError>;
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
pub trait Progress: Send + Sync {
    /// Advances by `n` steps (or bytes).
    fn inc(&self, n: u64);
    /// Changes the label.
    fn set_message(&self, text: &str);
    /// Completes the bar (and clears a byte bar).
    fn finish(&self);
}

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
    /// A closure's failure (what [`Host::call_fn`] returned) as an uncaught error reads:
    /// `kind: message (file:line:col)`, the source line and a caret. For a server to log a
    /// failed handler with [`Host::warn`].
    fn describe_failure(&self, err: &EvalAltResult) -> String;
    /// Remembers a secret (a password, a token): from now on [`Host::redact`] replaces it
    /// with `****` in every error message, log line, trace line and REPL history entry.
    /// Use [`crate::secret::Secret::new`], which calls this.
    fn add_secret(&self, secret: &str);
    /// `text` with every secret the host knows replaced by `****`.
    fn redact(&self, text: &str) -> String;
    /// Whether `--trace` asked for `protocol`'s conversation.
    fn trace_enabled(&self, protocol: &str) -> bool;
    /// Prints one trace line of `protocol` (redacted) on stderr; see [`crate::trace`].
    fn trace_line(&self, protocol: &str, line: &str);
    /// Logs a warning of `protocol` on stderr, as the script's `log::warn` does (redacted;
    /// shown without `-v`): a server handler that failed, an accept that failed.
    fn warn(&self, protocol: &str, message: &str);
    /// Starts writing `path` atomically (see [`AtomicFile`]), after the write permission
    /// check. Errors: `PermissionDenied`, `IoError` (the folder is missing or read-only).
    fn create_atomic(&self, path: &Path) -> Result<Box<dyn AtomicFile>, CommonError>;
    /// A progress bar of `total` steps (`None`: unknown), labelled; `bytes` shows sizes and
    /// a rate. Hidden when stderr is not a terminal.
    fn progress(&self, total: Option<u64>, label: &str, bytes: bool) -> Box<dyn Progress>;
    /// Whether the calling code runs on one of the host's fibers. A dynamic plugin has its
    /// own copy of the SDK, whose fiber state is always empty: it asks here.
    fn in_fiber(&self) -> bool;
    /// Suspends the host's running fiber until `fut` is ready (the driver polls it; the
    /// fiber's siblings run meanwhile). Only when [`Host::in_fiber`]. This is how a dynamic
    /// plugin's waits overlap under `parallel` like a built-in's. Errors: `PluginError` when
    /// polling `fut` panicked.
    fn suspend_on(&self, fut: Pin<&mut (dyn Future<Output = ()> + '_)>) -> Result<(), CommonError>;
}

static HOST: OnceLock<&'static dyn Host> = OnceLock::new();

/// Installs the host's services; the first call wins (the host's own, for built-ins).
pub fn install(host: &'static dyn Host) {
    let _ = HOST.set(host);
}

/// The host's services, or a stand-in that refuses everything when no host installed one
/// (a plugin must never touch the world unchecked because it was loaded oddly).
pub fn host() -> &'static dyn Host {
    HOST.get().copied().unwrap_or(&NoHost { allow: false })
}

/// Installs an allow-all stand-in as the host, for a plugin's own unit tests (which run
/// without netscript). Has no effect once a real host is installed.
pub fn allow_all_for_tests() {
    install(&NoHost { allow: true });
}

/// The stand-in used before a host is installed: refuses every check, or (in a plugin's
/// unit tests, see [`allow_all_for_tests`]) allows them.
struct NoHost {
    allow: bool,
}
impl NoHost {
    fn check(&self, what: &str) -> Result<(), CommonError> {
        if self.allow {
            Ok(())
        } else {
            Err(CommonError::permission_denied(format!("{what}: no netscript host is installed to allow it")))
        }
    }
}
impl Host for NoHost {
    fn check_net(&self, host: &str, port: u16, _: &[IpAddr]) -> Result<(), CommonError> {
        self.check(&format!("network access to {host}:{port}"))
    }
    fn check_read(&self, path: &Path) -> Result<PathBuf, CommonError> {
        self.check(&format!("reading {}", path.display())).map(|()| path.to_path_buf())
    }
    fn check_write(&self, path: &Path) -> Result<PathBuf, CommonError> {
        self.check(&format!("writing {}", path.display())).map(|()| path.to_path_buf())
    }
    fn check_env(&self, name: &str) -> Result<(), CommonError> {
        self.check(&format!("reading the environment variable {name}"))
    }
    fn interrupted(&self) -> bool {
        false
    }
    fn add_secret(&self, _: &str) {}
    fn redact(&self, text: &str) -> String {
        text.to_string()
    }
    fn trace_enabled(&self, _: &str) -> bool {
        false
    }
    fn trace_line(&self, _: &str, _: &str) {}
    fn warn(&self, protocol: &str, message: &str) {
        eprintln!("WARN  {protocol}: {message}");
    }
    fn create_atomic(&self, path: &Path) -> Result<Box<dyn AtomicFile>, CommonError> {
        self.check(&format!("writing {}", path.display()))?;
        Err(CommonError::new(CommonKind::PluginError, "core", "atomic files need a netscript host"))
    }
    fn progress(&self, _: Option<u64>, _: &str, _: bool) -> Box<dyn Progress> {
        Box::new(NoProgress)
    }
    fn in_fiber(&self) -> bool {
        false
    }
    fn suspend_on(&self, _: Pin<&mut (dyn Future<Output = ()> + '_)>) -> Result<(), CommonError> {
        Err(CommonError::new(CommonKind::PluginError, "core", "no netscript host to suspend on"))
    }
    fn describe_failure(&self, err: &EvalAltResult) -> String {
        err.to_string()
    }
    fn call_fn(&self, f: &FnPtr, _: Vec<Dynamic>) -> Result<Dynamic, Box<EvalAltResult>> {
        Err(crate::error::script_error(CommonError::new(
            CommonKind::PluginError,
            "core",
            format!("cannot call {} without a netscript host", f.fn_name()),
        )))
    }
}

/// The progress bar of a stand-in host: draws nothing.
struct NoProgress;
impl Progress for NoProgress {
    fn inc(&self, _: u64) {}
    fn set_message(&self, _: &str) {}
    fn finish(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_without_a_host_installed_fails_closed() {
        // No test of the SDK installs a host: every check must refuse.
        let err = host().check_net("127.0.0.1", 80, &[]).unwrap_err();
        assert_eq!(err.kind, CommonKind::PermissionDenied);
        assert!(err.message.contains("no netscript host"), "{}", err.message);
        assert!(host().check_read(Path::new("/etc/passwd")).is_err());
        assert!(host().check_write(Path::new("/tmp/x")).is_err());
        assert!(host().check_env("HOME").is_err());
        assert!(NoHost { allow: true }.check_net("127.0.0.1", 80, &[]).is_ok());
    }
}
