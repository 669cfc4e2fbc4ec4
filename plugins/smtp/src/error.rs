//! The smtp plugin's one error type and its mapping to the script's error kinds, named as
//! smtplib names its exceptions (`SMTPAuthenticationError`, `SMTPRecipientsRefused` …).

use netscript_sdk::error::{CommonError, CommonKind, ScriptError};
use netscript_sdk::rhai::{Dynamic, Map};

/// The protocol name every smtp error carries.
pub const PROTOCOL: &str = "smtp";

/// A server's reply: its code and its text (lines joined by `\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code (`250`, `535` …).
    pub code: u16,
    /// The text after the code, one line per reply line.
    pub message: String,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message.replace('\n', " / "))
    }
}

/// What went wrong in an smtp call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// A malformed address, option, host name or command, refused before sending
    /// (`InvalidArgument`).
    #[error("{0}")]
    InvalidArgument(String),
    /// The server does not offer what the call needs: STARTTLS, AUTH, SMTPUTF8, 8BITMIME
    /// (`SMTPNotSupportedError`).
    #[error("{0}")]
    NotSupported(String),
    /// The server refused the connection in its greeting (`SMTPConnectError`).
    #[error("{host} refused the session: {reply}")]
    Connect {
        /// `host:port`.
        host: String,
        /// The greeting.
        reply: Reply,
    },
    /// The server refused EHLO (and HELO) (`SMTPHeloError`).
    #[error("the server refused {command}: {reply}")]
    Helo {
        /// `EHLO` or `HELO`.
        command: &'static str,
        /// The refusal.
        reply: Reply,
    },
    /// The server refused the login (`SMTPAuthenticationError`).
    #[error("login as {user} refused: {reply}")]
    Authentication {
        /// The user name (never the password).
        user: String,
        /// The refusal.
        reply: Reply,
    },
    /// The server refused the envelope sender (`SMTPSenderRefused`).
    #[error("sender <{sender}> refused: {reply}")]
    SenderRefused {
        /// The sender address.
        sender: String,
        /// The refusal.
        reply: Reply,
    },
    /// Every recipient was refused (`SMTPRecipientsRefused`, with `recipients`).
    #[error("all recipients were refused: {}", describe_refused(.0))]
    RecipientsRefused(Vec<(String, Reply)>),
    /// The server refused DATA or the message itself (`SMTPDataError`).
    #[error("message refused: {reply}")]
    Data {
        /// The refusal.
        reply: Reply,
    },
    /// Any other refusal of a command (`SMTPResponseException`).
    #[error("{command} refused: {reply}")]
    Refused {
        /// The command (`STARTTLS`, `VRFY` …).
        command: String,
        /// The refusal.
        reply: Reply,
    },
    /// The connection is closed, or closed while waiting for a reply
    /// (`SMTPServerDisconnected`).
    #[error("{0}")]
    Disconnected(String),
    /// The server's reply could not be read as SMTP (`ProtocolError`).
    #[error("{0}")]
    Protocol(String),
    /// The message map could not be built (`mail::message`'s kinds, protocol `mail`).
    #[error(transparent)]
    Message(#[from] netscript_mail::error::MailError),
    /// A failure raised by the host or the SDK (`Timeout`, `PermissionDenied`, `TlsError`,
    /// `ConnectionRefused`, …).
    #[error(transparent)]
    Host(#[from] CommonError),
}

fn describe_refused(list: &[(String, Reply)]) -> String {
    list.iter().map(|(to, reply)| format!("<{to}> {reply}")).collect::<Vec<_>>().join("; ")
}

impl SmtpError {
    /// `InvalidArgument` with a message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidArgument(message.into())
    }

    /// The server's reply the error carries, if any.
    fn reply(&self) -> Option<&Reply> {
        match self {
            Self::Connect { reply, .. }
            | Self::Helo { reply, .. }
            | Self::Authentication { reply, .. }
            | Self::SenderRefused { reply, .. }
            | Self::Data { reply }
            | Self::Refused { reply, .. } => Some(reply),
            Self::RecipientsRefused(list) => list.first().map(|(_, reply)| reply),
            _ => None,
        }
    }

    /// Whether the session can go on after this error (a refusal), or is lost (a closed
    /// connection, a reply that could not be read, a timeout in the middle of an exchange,
    /// or a 421 "service closing").
    pub fn ends_session(&self) -> bool {
        match self {
            Self::Disconnected(_) | Self::Protocol(_) => true,
            Self::Message(_) => false,
            Self::RecipientsRefused(list) => list.iter().any(|(_, reply)| reply.code == 421),
            Self::Host(common) => !matches!(common.kind, CommonKind::InvalidArgument | CommonKind::PermissionDenied),
            other => other.reply().is_some_and(|r| r.code == 421),
        }
    }
}

/// `address → #{ code, message }`, the map of refused recipients.
pub fn refused_map(list: &[(String, Reply)]) -> Map {
    list.iter()
        .map(|(to, reply)| {
            let mut entry = Map::new();
            entry.insert("code".into(), Dynamic::from_int(i64::from(reply.code)));
            entry.insert("message".into(), reply.message.clone().into());
            (to.as_str().into(), Dynamic::from_map(entry))
        })
        .collect()
}

impl ScriptError for SmtpError {
    fn kind(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::NotSupported(_) => "SMTPNotSupportedError",
            Self::Connect { .. } => "SMTPConnectError",
            Self::Helo { .. } => "SMTPHeloError",
            Self::Authentication { .. } => "SMTPAuthenticationError",
            Self::SenderRefused { .. } => "SMTPSenderRefused",
            Self::RecipientsRefused(_) => "SMTPRecipientsRefused",
            Self::Data { .. } => "SMTPDataError",
            Self::Refused { .. } => "SMTPResponseException",
            Self::Disconnected(_) => "SMTPServerDisconnected",
            Self::Protocol(_) => "ProtocolError",
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
        self.reply().map(|r| i64::from(r.code))
    }

    fn extend(&self, map: &mut Map) {
        match self {
            Self::RecipientsRefused(list) => {
                map.insert("recipients".into(), Dynamic::from_map(refused_map(list)));
            }
            Self::SenderRefused { sender, .. } => {
                map.insert("sender".into(), sender.clone().into());
            }
            _ => {}
        }
    }
}

/// The result type of the plugin's Rust functions.
pub type SmtpResult<T> = Result<T, SmtpError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_codes_and_recipients_follow_smtplib() {
        let reply = Reply { code: 550, message: "5.1.1 unknown user".into() };
        let err = SmtpError::RecipientsRefused(vec![("x@example.test".into(), reply.clone())]);
        assert_eq!((err.kind(), err.code()), ("SMTPRecipientsRefused", Some(550)));
        let mut map = Map::new();
        err.extend(&mut map);
        let recipients = map["recipients"].clone().cast::<Map>();
        let entry = recipients["x@example.test"].clone().cast::<Map>();
        assert_eq!(entry["code"].as_int().unwrap(), 550);
        let auth = SmtpError::Authentication { user: "ann".into(), reply: Reply { code: 535, message: "no".into() } };
        assert_eq!((auth.kind(), auth.code(), auth.ends_session()), ("SMTPAuthenticationError", Some(535), false));
        let closing =
            SmtpError::SenderRefused { sender: "a@b".into(), reply: Reply { code: 421, message: "bye".into() } };
        assert!(closing.ends_session());
        let late: SmtpError = CommonError::timeout(PROTOCOL, "MAIL", std::time::Duration::from_secs(1)).into();
        assert_eq!(late.kind(), "Timeout");
        assert!(late.ends_session());
    }
}
