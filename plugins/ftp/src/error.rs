//! The ftp plugin's one error type and its mapping to the script's error kinds, named as
//! ftplib names its exceptions: `error_perm` (a 5xx reply), `error_temp` (4xx),
//! `error_reply` (a reply that is well-formed but not what the command expects) and
//! `error_proto` (a reply that is no FTP), each with the server's `code` and text.

use netscript_sdk::error::{CommonError, CommonKind, ScriptError};

/// The protocol name every ftp error carries.
pub const PROTOCOL: &str = "ftp";

/// The kinds an ftp call raises (`ftp::all_errors`, as ftplib's `all_errors`).
pub const ALL_ERRORS: &[&str] = &[
    "error_perm",
    "error_temp",
    "error_reply",
    "error_proto",
    "ConnectionRefused",
    "ConnectionClosed",
    "Timeout",
    "TlsError",
    "HostNotFound",
    "IoError",
    "PermissionDenied",
    "InvalidArgument",
];

/// What went wrong in an ftp call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FtpError {
    /// A path or command with CR, LF or NUL, a bad option: refused before sending
    /// (`InvalidArgument`).
    #[error("{0}")]
    InvalidArgument(String),
    /// The server refused: 4xx (`error_temp`) or 5xx (`error_perm`), or answered with a
    /// code the command does not expect (`error_reply`).
    #[error("{command}: {code} {text}")]
    Reply {
        /// The command, without its secret.
        command: String,
        /// The reply code, as the server sent it.
        code: u32,
        /// The reply's text.
        text: String,
    },
    /// A reply that is no FTP (`error_proto`); the session is over.
    #[error("{0}")]
    Proto(String),
    /// A common failure: connecting, TLS, a timeout, the connection lost, files.
    #[error("{}", .0.message)]
    Host(CommonError),
}

impl From<CommonError> for FtpError {
    fn from(err: CommonError) -> Self {
        FtpError::Host(err)
    }
}

impl FtpError {
    /// `InvalidArgument` with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        FtpError::InvalidArgument(message.into())
    }

    /// A common error of `kind`.
    pub fn common(kind: CommonKind, message: impl Into<String>) -> Self {
        FtpError::Host(CommonError::new(kind, PROTOCOL, message))
    }

    /// Whether the session is lost after this error.
    pub fn ends_session(&self) -> bool {
        match self {
            Self::Proto(_) => true,
            Self::Reply { code, .. } => *code == 421,
            Self::Host(common) => matches!(
                common.kind,
                CommonKind::Timeout | CommonKind::ConnectionClosed | CommonKind::TlsError | CommonKind::ProtocolError
            ),
            Self::InvalidArgument(_) => false,
        }
    }
}

impl ScriptError for FtpError {
    fn kind(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::Reply { code: 400..=499, .. } => "error_temp",
            Self::Reply { code: 500..=599, .. } => "error_perm",
            Self::Reply { .. } => "error_reply",
            Self::Proto(_) => "error_proto",
            Self::Host(common) => common.kind.as_str(),
        }
    }

    fn protocol(&self) -> &str {
        match self {
            Self::Host(common) => &common.protocol,
            _ => PROTOCOL,
        }
    }

    fn code(&self) -> Option<i64> {
        match self {
            Self::Reply { code, .. } => Some(i64::from(*code)),
            _ => None,
        }
    }
}

/// The result type of the plugin's Rust functions.
pub type FtpResult<T> = Result<T, FtpError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_ftplib() {
        let reply = |code| FtpError::Reply { command: "RETR x".into(), code, text: "t".into() };
        assert_eq!((reply(550).kind(), reply(550).code()), ("error_perm", Some(550)));
        assert_eq!(reply(421).kind(), "error_temp");
        assert!(reply(421).ends_session() && !reply(550).ends_session());
        assert_eq!(reply(250).kind(), "error_reply");
        assert_eq!(FtpError::Proto("x".into()).kind(), "error_proto");
    }
}
