//! The socket plugin's one error type and its mapping to the script's error kinds.
//!
//! Every failure a socket function raises is a [`SocketError`]; [`ScriptError`] turns it
//! into `#{ kind, protocol: "socket", message, code }`. I/O errors keep the OS error and
//! take their kind from it, so a refused connect is `ConnectionRefused` and a reset is
//! `ConnectionClosed` wherever they happen.

use netscript_sdk::error::{CommonError, CommonKind, ScriptError};
use std::io;

/// The protocol name every socket error carries.
pub const PROTOCOL: &str = "socket";

/// What went wrong in a socket call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SocketError {
    /// The script passed something malformed or out of range, or used a socket in a state
    /// that does not allow the call (`InvalidArgument`).
    #[error("{0}")]
    InvalidArgument(String),
    /// A host name did not resolve (`HostNotFound`).
    #[error("cannot resolve '{host}': {reason}")]
    HostNotFound {
        /// The name that was looked up.
        host: String,
        /// The resolver's answer.
        reason: String,
    },
    /// The socket was closed, locally or by the peer, before or during the call
    /// (`ConnectionClosed`).
    #[error("{what}: {reason}")]
    Closed {
        /// The call that failed (`send`, `recv`, …).
        what: String,
        /// Why: "the socket is closed", "the connection was shut down", …
        reason: &'static str,
    },
    /// An OS-level failure; its kind follows the OS error (`ConnectionRefused`,
    /// `ConnectionClosed`, `Timeout`, else `IoError`).
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the address (`bind 127.0.0.1:7007`).
        context: String,
        /// The OS error.
        source: io::Error,
    },
    /// A failure raised by the host or the SDK runtime: `PermissionDenied`, `Timeout`
    /// (including an interrupted wait), `PluginError`.
    #[error(transparent)]
    Host(#[from] CommonError),
}

impl SocketError {
    /// `InvalidArgument` with a message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidArgument(message.into())
    }

    /// An I/O error while doing `context`.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }

    /// The socket was closed locally before or during `what`.
    pub fn closed(what: &str) -> Self {
        Self::Closed { what: what.into(), reason: "the socket is closed" }
    }
}

impl ScriptError for SocketError {
    fn kind(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::HostNotFound { .. } => "HostNotFound",
            Self::Closed { .. } => "ConnectionClosed",
            Self::Io { source, .. } => CommonKind::of_io(source).as_str(),
            Self::Host(common) => common.kind.as_str(),
        }
    }

    fn protocol(&self) -> &str {
        match self {
            Self::Host(common) => &common.protocol,
            _ => PROTOCOL,
        }
    }
}

/// The result type of the plugin's Rust functions.
pub type SocketResult<T> = Result<T, SocketError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_take_their_kind_from_the_os_error() {
        let refused = SocketError::io("connect to 127.0.0.1:1", io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(refused.kind(), "ConnectionRefused");
        let pipe = SocketError::io("send", io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(pipe.kind(), "ConnectionClosed");
        let in_use = SocketError::io("bind 127.0.0.1:7007", io::Error::from(io::ErrorKind::AddrInUse));
        assert_eq!(in_use.kind(), "IoError");
        assert!(in_use.to_string().starts_with("bind 127.0.0.1:7007: "));
    }

    #[test]
    fn host_errors_keep_their_kind_and_protocol() {
        let denied: SocketError = CommonError::permission_denied("net access to x:1").into();
        assert_eq!(denied.kind(), "PermissionDenied");
        assert_eq!(denied.protocol(), "core");
        let timeout: SocketError = CommonError::timeout(PROTOCOL, "recv", std::time::Duration::from_secs(1)).into();
        assert_eq!(timeout.kind(), CommonKind::Timeout.as_str());
    }
}
