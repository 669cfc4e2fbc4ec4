//! What `sendmail` puts on the wire besides commands: envelope addresses (checked, never
//! with CR or LF), the MAIL and RCPT parameters (SIZE, SMTPUTF8, BODY=8BITMIME and the
//! script's own), and the message data with every line ending as CRLF — a bare LF or CR
//! never reaches the server, so a message cannot end its data early (SMTP smuggling).

use crate::error::{SmtpError, SmtpResult};
use lettre::message::Mailbox;
use lettre::Address;
use netscript_sdk::options::{quote, type_word};
use netscript_sdk::prelude::*;
use std::str::FromStr;

/// An envelope address as the script gave it and as it goes into MAIL or RCPT.
#[derive(Clone, Debug)]
pub struct EnvelopeAddress {
    /// What the script passed (the key of the refused-recipients map).
    pub given: String,
    /// The address; `None` is the null sender `<>`.
    pub address: Option<Address>,
}

impl EnvelopeAddress {
    /// Whether the address needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        self.address.as_ref().is_none_or(|a| AsRef::<str>::as_ref(a).is_ascii())
    }
}

/// Reads `text` (`a@example.com`, `<a@example.com>`, `Name <a@example.com>`; `""` or `<>`
/// for the null sender when `null_ok`). Errors: `InvalidArgument`.
pub fn address(role: &str, text: &str, null_ok: bool) -> SmtpResult<EnvelopeAddress> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(SmtpError::invalid(format!("{role} contains CR, LF or NUL: '{}'", quote(text))));
    }
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "<>" {
        if null_ok {
            return Ok(EnvelopeAddress { given: trimmed.to_string(), address: None });
        }
        return Err(SmtpError::invalid(format!("{role} is empty")));
    }
    let parsed = if trimmed.contains('<') {
        Mailbox::from_str(trimmed).map(|m| m.email).map_err(|e| e.to_string())
    } else {
        Address::from_str(trimmed).map_err(|e| e.to_string())
    };
    match parsed {
        Ok(address) => Ok(EnvelopeAddress { given: trimmed.to_string(), address: Some(address) }),
        Err(why) => Err(SmtpError::invalid(format!("{role} '{}' is not an email address ({why})", quote(trimmed)))),
    }
}

/// The recipients: one address or an array of them (at least one).
pub fn recipients(to: &Dynamic) -> SmtpResult<Vec<EnvelopeAddress>> {
    let list: Vec<Dynamic> = if to.is_array() {
        to.clone().cast::<Array>()
    } else if to.is_string() {
        vec![to.clone()]
    } else {
        return Err(SmtpError::invalid(format!(
            "sendmail: to is an address or an array of addresses, not {}",
            type_word(to)
        )));
    };
    if list.is_empty() {
        return Err(SmtpError::invalid("sendmail: no recipients (to is an empty array)"));
    }
    list.iter()
        .map(|item| match item.clone().into_immutable_string() {
            Ok(text) => address("recipient", &text, false),
            Err(_) => Err(SmtpError::invalid(format!("sendmail: a recipient is a string, not {}", type_word(item)))),
        })
        .collect()
}

/// The message data: a blob or a string.
pub fn message_bytes(msg: &Dynamic) -> SmtpResult<Vec<u8>> {
    if msg.is_blob() {
        Ok(msg.clone().cast::<Blob>())
    } else if msg.is_string() {
        Ok(msg.clone().into_immutable_string().map(|s| s.as_bytes().to_vec()).unwrap_or_default())
    } else {
        Err(SmtpError::invalid(format!("sendmail: the message is a string or a blob, not {}", type_word(msg))))
    }
}

/// `data` with every line ending as CRLF and without the final one (lettre adds
/// `\r\n.\r\n`): on the wire exactly what smtplib sends, plus CRLF for bare line ends.
pub fn data_lines(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 64);
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\r' if data.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

/// A script's ESMTP parameter (`"NOTIFY=SUCCESS,FAILURE"`, `"RET=HDRS"`) as keyword and
/// value. Errors: `InvalidArgument` for spaces, control characters or an empty keyword.
pub fn parameter(option: &str, text: &str) -> SmtpResult<(String, Option<String>)> {
    let (keyword, value) = match text.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (text, None),
    };
    let keyword_ok = !keyword.is_empty() && keyword.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let value_ok = value.as_deref().is_none_or(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_graphic()));
    if !keyword_ok || !value_ok {
        return Err(SmtpError::invalid(format!(
            "{option}: '{}' is not an ESMTP parameter (KEYWORD or KEYWORD=value, no spaces)",
            quote(text)
        )));
    }
    Ok((keyword.to_ascii_uppercase(), value))
}

/// A list of parameters from an option (an array of strings).
pub fn parameters(option: &str, value: Option<&Dynamic>) -> SmtpResult<Vec<(String, Option<String>)>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let Some(list) = value.clone().try_cast::<Array>() else {
        return Err(SmtpError::invalid(format!("{option} is an array of strings, not {}", type_word(value))));
    };
    list.iter()
        .map(|item| match item.clone().into_immutable_string() {
            Ok(text) => parameter(option, &text),
            Err(_) => Err(SmtpError::invalid(format!("{option}: each parameter is a string, not {}", type_word(item)))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_every_form_and_injection_refused() {
        assert_eq!(
            address("from", "Ann <ann@example.test>", false).unwrap().address.unwrap().to_string(),
            "ann@example.test"
        );
        assert_eq!(
            address("from", "<ann@example.test>", false).unwrap().address.unwrap().to_string(),
            "ann@example.test"
        );
        assert!(address("from", "<>", true).unwrap().address.is_none());
        assert!(!address("to", "jörg@exämple.test", false).unwrap().is_ascii());
        for bad in ["", "ann", "ann@example.test\r\nRCPT TO:<x@y>", "a b@c", "@example.test"] {
            assert!(matches!(address("to", bad, false), Err(SmtpError::InvalidArgument(_))), "{bad:?}");
        }
    }

    #[test]
    fn line_ends_become_crlf_and_the_last_is_left_to_the_terminator() {
        assert_eq!(data_lines(b"a\nb\rc\r\nd\r\n"), b"a\r\nb\r\nc\r\nd");
        assert_eq!(data_lines(b"x\n.\n"), b"x\r\n.");
        assert_eq!(data_lines(b""), b"");
        assert_eq!(data_lines(b"\r\n\r\n"), b"\r\n");
    }

    #[test]
    fn parameters_are_checked() {
        assert_eq!(parameter("o", "notify=SUCCESS").unwrap(), ("NOTIFY".into(), Some("SUCCESS".into())));
        assert_eq!(parameter("o", "SMTPUTF8").unwrap(), ("SMTPUTF8".into(), None));
        for bad in ["", "A B", "X=\r\n", "=v", "X="] {
            assert!(parameter("o", bad).is_err(), "{bad:?}");
        }
    }
}
