//! The imap plugin's one error type and its mapping to the script's error kinds, named as
//! imaplib names its exceptions: `IMAPError` (imaplib's `IMAP4.error`: the server said NO
//! or BAD, or lacks what the call needs) and `IMAPAbort` (`IMAP4.abort`: the connection
//! broke or the server said BYE; the session is over).

use netscript_mail::error::MailError;
use netscript_sdk::error::{CommonError, CommonKind, ScriptError};
use netscript_sdk::rhai::Map;

/// The protocol name every imap error carries.
pub const PROTOCOL: &str = "imap";

/// What went wrong in an imap call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImapError {
    /// A malformed mailbox name, flag, search criterion, id set or option, refused before
    /// anything was sent (`InvalidArgument`).
    #[error("{0}")]
    InvalidArgument(String),
    /// The server answered the command with a tagged NO or BAD (`IMAPError`); the session
    /// goes on.
    #[error("{command} refused: {status}{} {text}", code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default())]
    Refused {
        /// The command (`LOGIN`, `SELECT` …).
        command: String,
        /// `NO` or `BAD`.
        status: &'static str,
        /// The response code in brackets (`AUTHENTICATIONFAILED`, `TRYCREATE` …), if any.
        code: Option<String>,
        /// The server's text.
        text: String,
    },
    /// The server does not offer what the call needs (`IMAPError`).
    #[error("{0}")]
    NotSupported(String),
    /// The connection broke, the server said BYE, or a response could not be read; the
    /// session is over (`IMAPAbort`).
    #[error("{0}")]
    Abort(String),
    /// A message to append could not be built (`mail::message`'s kinds).
    #[error(transparent)]
    Message(#[from] MailError),
    /// A common failure: connecting, TLS, a timeout, permissions.
    #[error("{}", .0.message)]
    Host(CommonError),
}

impl From<CommonError> for ImapError {
    fn from(err: CommonError) -> Self {
        ImapError::Host(err)
    }
}

impl ImapError {
    /// `InvalidArgument` with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ImapError::InvalidArgument(message.into())
    }

    /// Whether the session is lost after this error: an abort, or a common failure other
    /// than a refused argument or permission (a timeout leaves a half-read response).
    pub fn ends_session(&self) -> bool {
        match self {
            Self::Abort(_) => true,
            Self::Host(common) => !matches!(common.kind, CommonKind::InvalidArgument | CommonKind::PermissionDenied),
            _ => false,
        }
    }
}

impl ScriptError for ImapError {
    fn kind(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::Refused { .. } | Self::NotSupported(_) => "IMAPError",
            Self::Abort(_) => "IMAPAbort",
            Self::Message(err) => err.kind(),
            Self::Host(common) => common.kind.as_str(),
        }
    }

    fn protocol(&self) -> &str {
        match self {
            Self::Message(err) => err.protocol(),
            Self::Host(common) => &common.protocol,
            _ => PROTOCOL,
        }
    }

    fn code(&self) -> Option<i64> {
        None
    }

    /// A refusal adds `status` (`"NO"`, `"BAD"`) and its bracketed response code as `code`
    /// (`"AUTHENTICATIONFAILED"`, `"NONEXISTENT"` …; `()` when the server gave none).
    fn extend(&self, map: &mut Map) {
        if let Self::Refused { status, code, .. } = self {
            map.insert("status".into(), (*status).into());
            if let Some(code) = code {
                map.insert("code".into(), code.clone().into());
            }
        }
    }
}

/// The result type of the plugin's Rust functions.
pub type ImapResult<T> = Result<T, ImapError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_session_and_aborts_end_it() {
        let refused = ImapError::Refused {
            command: "LOGIN".into(),
            status: "NO",
            code: Some("AUTHENTICATIONFAILED".into()),
            text: "Authentication failed.".into(),
        };
        assert_eq!((refused.kind(), refused.ends_session()), ("IMAPError", false));
        assert_eq!(refused.to_string(), "LOGIN refused: NO [AUTHENTICATIONFAILED] Authentication failed.");
        let mut map = Map::new();
        refused.extend(&mut map);
        assert_eq!(map["code"].clone().into_string().unwrap(), "AUTHENTICATIONFAILED");
        let abort = ImapError::Abort("gone".into());
        assert_eq!((abort.kind(), abort.ends_session()), ("IMAPAbort", true));
        let timeout = ImapError::Host(CommonError::new(CommonKind::Timeout, PROTOCOL, "slow"));
        assert!(timeout.ends_session());
    }
}
