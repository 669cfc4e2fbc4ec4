//! Secrets: passwords, tokens, `Authorization` values, the password of a URL's user-info.
//!
//! A [`Secret`] prints as `****` (`Debug` and `Display`), so it cannot leak through a
//! `format!` by accident, and creating one tells the host about it: from then on the host
//! replaces the text with `****` in every error message, log line, `--trace` line and REPL
//! history entry, whichever library put it there.

use std::fmt;
use std::sync::Arc;

/// A secret string; [`Secret::expose`] is the only way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps `value` and registers it with the host's redaction set.
    pub fn new(value: impl Into<String>) -> Secret {
        let value: String = value.into();
        crate::host::host().add_secret(&value);
        Secret(value.into())
    }

    /// Registers `value` with the host's redaction set without keeping it (a credential a
    /// plugin only passes on, e.g. the token of an `Authorization` header).
    pub fn register(value: &str) {
        crate::host::host().add_secret(value);
    }

    /// The secret itself, for the protocol exchange that needs it (never for messages).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_prints_as_stars() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s} {s:?}"), "**** ****");
        assert_eq!(s.expose(), "hunter22");
    }
}
