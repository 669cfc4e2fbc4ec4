//! The mail module's one error type and its mapping to the script's error kinds.

use netscript_sdk::error::{CommonError, ScriptError};

/// The protocol name every mail error carries.
pub const PROTOCOL: &str = "mail";

/// What went wrong building or parsing a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// A bad field, address or attachment (`InvalidArgument`).
    #[error("{0}")]
    InvalidArgument(String),
    /// The parser failed on its input (`PluginError`).
    #[error("{0}")]
    Parser(String),
    /// A failure raised by the host or the SDK (`PermissionDenied`, `IoError`, …).
    #[error(transparent)]
    Host(#[from] CommonError),
}

impl ScriptError for MailError {
    fn kind(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::Parser(_) => "PluginError",
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
}

/// The result type of the module's Rust functions.
pub type MailResult<T> = Result<T, MailError>;
