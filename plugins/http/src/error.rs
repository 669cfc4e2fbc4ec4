//! `HttpError`: the plugin's one error enum, and the mapping from reqwest, hyper and I/O
//! failures to the kinds a script branches on (`e.kind`).

use netscript_sdk::error::{CommonError, CommonKind};
use netscript_sdk::prelude::*;
use std::error::Error as StdError;

/// The protocol name every error of this plugin carries.
pub const PROTOCOL: &str = "http";

/// Everything that can go wrong in the `http` plugin.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// One of the common kinds (`InvalidArgument`, `Timeout`, `TlsError`, …).
    #[error("{0}")]
    Common(#[from] CommonError),
    /// `raise_for_status()` on a 4xx or 5xx response (kind `HTTPError`, `code` = status).
    #[error("{status} {reason} for url {url}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// Its reason phrase.
        reason: String,
        /// The URL that answered.
        url: String,
    },
    /// A redirect chain longer than `max_redirects` (kind `TooManyRedirects`).
    #[error("{0}")]
    TooManyRedirects(String),
}

/// The result type inside the plugin.
pub type HttpResult<T> = Result<T, HttpError>;

impl ScriptError for HttpError {
    fn kind(&self) -> &str {
        match self {
            Self::Common(e) => e.kind.as_str(),
            Self::Status { .. } => "HTTPError",
            Self::TooManyRedirects(_) => "TooManyRedirects",
        }
    }
    fn protocol(&self) -> &str {
        match self {
            Self::Common(e) => &e.protocol,
            _ => PROTOCOL,
        }
    }
    fn code(&self) -> Option<i64> {
        match self {
            Self::Status { status, .. } => Some(i64::from(*status)),
            _ => None,
        }
    }
    fn extend(&self, map: &mut Map) {
        if let Self::Status { status, .. } = self {
            map.insert("status".into(), Dynamic::from_int(i64::from(*status)));
        }
    }
}

impl HttpError {
    /// An `InvalidArgument` error.
    pub fn invalid(message: impl Into<String>) -> Self {
        CommonError::invalid_argument(PROTOCOL, message).into()
    }
    /// An error of a common `kind`.
    pub fn common(kind: CommonKind, message: impl Into<String>) -> Self {
        CommonError::new(kind, PROTOCOL, message).into()
    }
    /// An I/O error with what was being done.
    pub fn io(context: &str, err: &std::io::Error) -> Self {
        CommonError::from_io(PROTOCOL, context, err).into()
    }

    /// Classifies a reqwest failure by walking its cause chain.
    pub fn from_reqwest(err: reqwest::Error, timeout: std::time::Duration) -> Self {
        let url = err.url().map(|u| u.to_string()).unwrap_or_default();
        // Our own errors (permission, resolution, redirect limit) travel inside reqwest's.
        let mut source: Option<&(dyn StdError + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(common) = e.downcast_ref::<CommonError>() {
                return common.clone().into();
            }
            if let Some(own) = e.downcast_ref::<HttpError>() {
                return own.clone();
            }
            source = e.source();
        }
        if err.is_timeout() {
            return CommonError::timeout(PROTOCOL, &format!("request to {url}"), timeout).into();
        }
        if err.is_redirect() {
            return Self::TooManyRedirects(format!("too many redirects (last: {url})"));
        }
        if err.is_builder() {
            return Self::invalid(format!("invalid request: {}", chain_text(&err)));
        }
        if let Some(failure) = netscript_sdk::tls::failure_in(&err) {
            let host = err.url().and_then(|u| u.host_str()).unwrap_or("the server");
            return Self::common(CommonKind::TlsError, netscript_sdk::tls::describe(failure, host));
        }
        let text = chain_text(&err);
        let mut source: Option<&(dyn StdError + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if let Some(inner) = io.get_ref() {
                    if let Some(common) = inner.downcast_ref::<CommonError>() {
                        return common.clone().into();
                    }
                }
                match io.kind() {
                    std::io::ErrorKind::TimedOut => {
                        return CommonError::timeout(PROTOCOL, &format!("request to {url}"), timeout).into()
                    }
                    std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof => {
                        return CommonError::from_io(PROTOCOL, &format!("request to {url}"), io).into()
                    }
                    _ => {}
                }
            }
            if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
                if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
                    return Self::common(CommonKind::ConnectionClosed, format!("request to {url}: {text}"));
                }
                if hyper.is_parse() {
                    // The usual cause: `http://` to a port that speaks TLS.
                    let hint = if url.starts_with("http://") { " (an HTTPS port? use https://)" } else { "" };
                    return Self::common(
                        CommonKind::ProtocolError,
                        format!("request to {url}: the server did not answer in HTTP{hint}: {text}"),
                    );
                }
            }
            source = e.source();
        }
        let lower = text.to_ascii_lowercase();
        let kind = if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            CommonKind::TlsError
        } else if err.is_connect() {
            CommonKind::ConnectionRefused
        } else if err.is_decode() || err.is_body() {
            CommonKind::ProtocolError
        } else {
            CommonKind::IoError
        };
        Self::common(kind, format!("request to {url}: {text}"))
    }
}

/// All messages of an error's cause chain, joined (reqwest's top message alone is vague).
pub fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}
