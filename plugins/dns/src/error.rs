//! The dns plugin's one error type and its mapping to the script's error kinds
//! (`NXDOMAIN`, `NoAnswer`, `NoNameservers`, `DNSTimeout`, `InvalidArgument`, …).

use netscript_sdk::error::{CommonError, CommonKind, ScriptError};
use std::time::Duration;

/// The protocol name every dns error carries.
pub const PROTOCOL: &str = "dns";

/// What went wrong in a dns call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// A malformed name, record type, address, option or server (`InvalidArgument`).
    #[error("{0}")]
    InvalidArgument(String),
    /// The name does not exist (`NXDOMAIN`, code 3).
    #[error("{name}: no such domain (NXDOMAIN)")]
    NxDomain {
        /// The name asked for.
        name: String,
    },
    /// The name exists but has no record of the type (`NoAnswer`, NODATA).
    #[error("{name} has no {rtype} record (NODATA)")]
    NoAnswer {
        /// The name asked for.
        name: String,
        /// The record type asked for.
        rtype: String,
    },
    /// Every name server failed to answer usefully (`NoNameservers`, code = the rcode).
    #[error("{name} {rtype}: the name servers failed ({rcode})")]
    NoNameservers {
        /// The name asked for.
        name: String,
        /// The record type asked for.
        rtype: String,
        /// The last response code seen (`SERVFAIL`, `REFUSED`, …), or why there was none.
        rcode: String,
        /// Its number, when a server answered.
        code: Option<u16>,
    },
    /// A server refused a dynamic update (`NoNameservers`, code = the rcode).
    #[error("{what} was refused: {why}")]
    UpdateRefused {
        /// The update (`update of example.test. at 127.0.0.1:53`).
        what: String,
        /// The rcode and why, in words.
        why: String,
        /// The rcode's number.
        code: u16,
    },
    /// No answer within the call's timeout (`DNSTimeout`).
    #[error("{what}: no answer within {}", netscript_sdk::timeout::describe(*limit))]
    Timeout {
        /// What was asked (`example.com A from 127.0.0.1:53`).
        what: String,
        /// The time limit.
        limit: Duration,
    },
    /// The server broke the protocol or the message could not be decoded (`ProtocolError`).
    #[error("{0}")]
    Protocol(String),
    /// A socket failure (`ConnectionRefused`, `ConnectionClosed`, else `IoError`).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A failure raised by the host or the SDK (`PermissionDenied`, `Timeout`, …).
    #[error(transparent)]
    Host(#[from] CommonError),
}

impl DnsError {
    /// `InvalidArgument` with a message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidArgument(message.into())
    }

    /// An I/O error while doing `context`.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }
}

impl ScriptError for DnsError {
    fn kind(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::NxDomain { .. } => "NXDOMAIN",
            Self::NoAnswer { .. } => "NoAnswer",
            Self::NoNameservers { .. } | Self::UpdateRefused { .. } => "NoNameservers",
            Self::Timeout { .. } => "DNSTimeout",
            Self::Protocol(_) => "ProtocolError",
            Self::Io { source, .. } => match CommonKind::of_io(source) {
                CommonKind::Timeout => "DNSTimeout",
                other => other.as_str(),
            },
            Self::Host(common) if common.kind == CommonKind::Timeout => "DNSTimeout",
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
            Self::NxDomain { .. } => Some(3),
            Self::NoAnswer { .. } => Some(0),
            Self::NoNameservers { code, .. } => code.map(i64::from),
            Self::UpdateRefused { code, .. } => Some(i64::from(*code)),
            _ => None,
        }
    }
}

/// The result type of the plugin's Rust functions.
pub type DnsResult<T> = Result<T, DnsError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_codes_follow_the_contract() {
        let nx = DnsError::NxDomain { name: "nope.test.".into() };
        assert_eq!((nx.kind(), nx.code()), ("NXDOMAIN", Some(3)));
        let refused =
            DnsError::NoNameservers { name: "x.".into(), rtype: "A".into(), rcode: "REFUSED".into(), code: Some(5) };
        assert_eq!((refused.kind(), refused.code()), ("NoNameservers", Some(5)));
        let late: DnsError = CommonError::timeout(PROTOCOL, "query", Duration::from_secs(1)).into();
        assert_eq!(late.kind(), "DNSTimeout");
        let denied: DnsError = CommonError::permission_denied("net access to 127.0.0.1:53").into();
        assert_eq!(denied.kind(), "PermissionDenied");
    }
}
