//! The pop3 plugin's one error type: `POP3Error` for the server's `-ERR` (poplib's
//! `error_proto`), with its text, and the common kinds. Written without `thiserror`: the
//! plugin depends on the SDK alone.

use netscript_sdk::error::{CommonError, CommonKind, ScriptError};

/// The protocol name every pop3 error carries.
pub const PROTOCOL: &str = "pop3";

/// What went wrong in a pop3 call.
#[derive(Debug)]
pub enum Pop3Error {
    /// Refused before anything was sent (`InvalidArgument`).
    InvalidArgument(String),
    /// The server answered `-ERR` (`POP3Error`); `command` without its secret.
    Refused {
        /// The command (`PASS`, `RETR 3` …).
        command: String,
        /// The server's text after `-ERR`.
        text: String,
    },
    /// The server does not offer what the call needs (`POP3Error`).
    NotSupported(String),
    /// A reply that is not POP3 (`ProtocolError`); the session is over.
    Protocol(String),
    /// A common failure: connecting, TLS, a timeout, a closed connection.
    Host(CommonError),
}

impl std::fmt::Display for Pop3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidArgument(m) | Self::NotSupported(m) | Self::Protocol(m) => f.write_str(m),
            Self::Refused { command, text } => write!(f, "{command} refused: -ERR {text}"),
            Self::Host(common) => f.write_str(&common.message),
        }
    }
}

impl std::error::Error for Pop3Error {}

impl From<CommonError> for Pop3Error {
    fn from(err: CommonError) -> Self {
        Pop3Error::Host(err)
    }
}

impl Pop3Error {
    /// `InvalidArgument` with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Pop3Error::InvalidArgument(message.into())
    }

    /// Whether the session is lost after this error (anything but a refusal or a bad
    /// argument: a timeout leaves a half-read reply behind).
    pub fn ends_session(&self) -> bool {
        match self {
            Self::Protocol(_) => true,
            Self::Host(common) => !matches!(common.kind, CommonKind::InvalidArgument | CommonKind::PermissionDenied),
            _ => false,
        }
    }
}

impl ScriptError for Pop3Error {
    fn kind(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::Refused { .. } | Self::NotSupported(_) => "POP3Error",
            Self::Protocol(_) => "ProtocolError",
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
        None
    }

    /// A refusal's bracketed response code (RFC 2449/3206: `[AUTH]`, `[IN-USE]`,
    /// `[SYS/TEMP]`) as `code`.
    fn extend(&self, map: &mut netscript_sdk::rhai::Map) {
        if let Self::Refused { text, .. } = self {
            if let Some(code) = text.strip_prefix('[').and_then(|rest| rest.split_once(']')).map(|(code, _)| code) {
                map.insert("code".into(), code.to_string().into());
            }
        }
    }
}

/// The result type of the plugin's Rust functions.
pub type Pop3Result<T> = Result<T, Pop3Error>;
