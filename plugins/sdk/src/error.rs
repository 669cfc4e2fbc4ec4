//! Errors: the common kinds every plugin shares and the one conversion to the script map
//! `#{ kind, protocol, message, code }` that `try … catch (e)` receives.

use rhai::{Dynamic, EvalAltResult, Map, Position};
use std::fmt;

/// A failure that a script sees as an error map; each plugin's error enum implements it.
pub trait ScriptError: std::error::Error {
    /// The `kind` a script branches on (`"Timeout"`, `"SMTPDataError"`, …).
    fn kind(&self) -> &str;
    /// The plugin that raised it (`"addr"`, `"socket"`, `"core"`, …).
    fn protocol(&self) -> &str;
    /// A protocol status code, when the server gave one.
    fn code(&self) -> Option<i64> {
        None
    }
    /// Adds kind-specific fields (e.g. `recipients`) to the error map.
    fn extend(&self, _map: &mut Map) {}
}

/// Turns any [`ScriptError`] into the Rhai error a script catches. The one place this happens.
pub fn script_error(err: impl ScriptError) -> Box<EvalAltResult> {
    let mut map = Map::new();
    map.insert("kind".into(), err.kind().into());
    map.insert("protocol".into(), err.protocol().into());
    // A password a plugin passed to a library can come back inside its error text.
    map.insert("message".into(), crate::host::host().redact(&err.to_string()).into());
    map.insert("code".into(), err.code().map_or(Dynamic::UNIT, Dynamic::from_int));
    err.extend(&mut map);
    Box::new(EvalAltResult::ErrorRuntime(map.into(), Position::NONE))
}

/// `result.script()?` — converts a typed error into a script error in place.
pub trait ResultExt<T> {
    /// Maps the error through [`script_error`].
    fn script(self) -> Result<T, Box<EvalAltResult>>;
}
impl<T, E: ScriptError> ResultExt<T> for Result<T, E> {
    fn script(self) -> Result<T, Box<EvalAltResult>> {
        self.map_err(script_error)
    }
}

/// The kinds shared by every protocol (API.md §Errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommonKind {
    /// A script passed something malformed or out of range.
    InvalidArgument,
    /// A network call or wait ran past its timeout.
    Timeout,
    /// The peer refused the connection.
    ConnectionRefused,
    /// The connection was closed or reset.
    ConnectionClosed,
    /// A name did not resolve.
    HostNotFound,
    /// TLS set-up or verification failed.
    TlsError,
    /// The permission flags refuse the access.
    PermissionDenied,
    /// A file or socket operation failed.
    IoError,
    /// The peer broke the protocol.
    ProtocolError,
    /// A plugin could not be loaded, or failed inside (a panic).
    PluginError,
}

impl CommonKind {
    /// The kind of an I/O error: the one table every plugin uses. A wait that ran out
    /// (`TimedOut`, and `WouldBlock` from a socket timeout) is `Timeout`.
    pub fn of_io(err: &std::io::Error) -> CommonKind {
        use std::io::ErrorKind as K;
        match err.kind() {
            K::ConnectionRefused => CommonKind::ConnectionRefused,
            K::TimedOut | K::WouldBlock => CommonKind::Timeout,
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof | K::NotConnected => {
                CommonKind::ConnectionClosed
            }
            _ => CommonKind::IoError,
        }
    }

    /// The kind's script name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "InvalidArgument",
            Self::Timeout => "Timeout",
            Self::ConnectionRefused => "ConnectionRefused",
            Self::ConnectionClosed => "ConnectionClosed",
            Self::HostNotFound => "HostNotFound",
            Self::TlsError => "TlsError",
            Self::PermissionDenied => "PermissionDenied",
            Self::IoError => "IoError",
            Self::ProtocolError => "ProtocolError",
            Self::PluginError => "PluginError",
        }
    }
}

/// An error of one of the [`CommonKind`]s, raised by `protocol`.
#[derive(Debug, Clone)]
pub struct CommonError {
    /// What went wrong, as a script sees it.
    pub kind: CommonKind,
    /// Which plugin raised it.
    pub protocol: String,
    /// A message for a person: what failed and, where it helps, what to do.
    pub message: String,
}

impl CommonError {
    /// An error of `kind` raised by `protocol`.
    pub fn new(kind: CommonKind, protocol: &str, message: impl Into<String>) -> Self {
        Self { kind, protocol: protocol.into(), message: message.into() }
    }
    /// `InvalidArgument`.
    pub fn invalid_argument(protocol: &str, message: impl Into<String>) -> Self {
        Self::new(CommonKind::InvalidArgument, protocol, message)
    }
    /// `PermissionDenied`.
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(CommonKind::PermissionDenied, "core", message)
    }
    /// `Timeout` after `limit` while doing `what`.
    pub fn timeout(protocol: &str, what: &str, limit: std::time::Duration) -> Self {
        Self::new(CommonKind::Timeout, protocol, format!("{what} timed out after {}", crate::timeout::describe(limit)))
    }
    /// Maps an I/O error to its kind ([`CommonKind::of_io`]); `context` says what was being
    /// done (`connect to h:p`).
    pub fn from_io(protocol: &str, context: &str, err: &std::io::Error) -> Self {
        Self::new(CommonKind::of_io(err), protocol, format!("{context}: {err}"))
    }
}

impl fmt::Display for CommonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for CommonError {}
impl ScriptError for CommonError {
    fn kind(&self) -> &str {
        self.kind.as_str()
    }
    fn protocol(&self) -> &str {
        &self.protocol
    }
}

thread_local! {
    /// Set while a guarded plugin function runs: its panics are reported as `PluginError`.
    static IN_GUARDED_CALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Sets the guarded-call flag of this thread, returning the one it replaces. Fibers keep a
/// flag each: their driver swaps it in on every resume and out on every suspension.
pub(crate) fn swap_guarded(value: bool) -> bool {
    IN_GUARDED_CALL.with(|c| c.replace(value))
}

/// Runs `f` marked as a guarded call, so [`install_panic_hook`] keeps its panic quiet.
pub(crate) fn guarded<R>(f: impl FnOnce() -> R) -> R {
    let before = IN_GUARDED_CALL.with(|c| c.replace(true));
    let out = f();
    IN_GUARDED_CALL.with(|c| c.set(before));
    out
}

/// Keeps panics that a guarded plugin call turns into `PluginError` off stderr (the error
/// says it all); any other panic still prints as usual. Set `NETSCRIPT_PANIC_TRACE=1` to
/// see every panic. Each copy of std (the host, every dynamic plugin) needs its own.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = IN_GUARDED_CALL.with(|c| c.get()) && std::env::var_os("NETSCRIPT_PANIC_TRACE").is_none();
            if !quiet {
                default(info);
            }
        }));
    });
}

/// The text of a caught panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Reads the `kind` of a script error value, if it is one of ours.
pub fn kind_of(err: &EvalAltResult) -> Option<String> {
    match err {
        EvalAltResult::ErrorRuntime(value, _) => {
            value.read_lock::<Map>().and_then(|m| m.get("kind").map(|k| k.to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_error_becomes_a_script_map() {
        let err = script_error(CommonError::invalid_argument("addr", "bad '1.2.3'"));
        let EvalAltResult::ErrorRuntime(value, _) = *err else { panic!("not a runtime error") };
        let map = value.cast::<Map>();
        assert_eq!(map["kind"].to_string(), "InvalidArgument");
        assert_eq!(map["protocol"].to_string(), "addr");
        assert_eq!(map["message"].to_string(), "bad '1.2.3'");
        assert!(map["code"].is_unit());
    }

    #[test]
    fn io_errors_map_to_their_kinds() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(CommonError::from_io("socket", "connect", &refused).kind, CommonKind::ConnectionRefused);
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(CommonError::from_io("socket", "recv", &reset).kind, CommonKind::ConnectionClosed);
    }
}
