//! Names, record types and reverse names as scripts give them: checked here, before
//! anything is sent, with errors that quote the text (hickory's own messages do not).

use crate::error::{DnsError, DnsResult};
use hickory_proto::rr::{Name, RecordType};
use std::net::IpAddr;
use std::str::FromStr;

/// The longest name in presentation form without its final dot (RFC 1035 §2.3.4).
const MAX_NAME: usize = 253;
/// The longest label.
const MAX_LABEL: usize = 63;

/// A domain name from a script: `"example.com"`, `"example.com."`, an internationalised name
/// (`"bücher.example"`, sent as punycode), or `"."`. Names are taken as absolute (no search
/// list: what you ask is what is sent). Errors: `InvalidArgument` quoting the text.
pub fn parse_name(text: &str) -> DnsResult<Name> {
    let bad = |why: &str| DnsError::invalid(format!("bad domain name '{}': {why}", quote(text)));
    if text == "." {
        return Ok(Name::root());
    }
    let bare = text.strip_suffix('.').unwrap_or(text);
    if bare.is_empty() {
        return Err(bad("it is empty"));
    }
    if bare.chars().any(|c| c.is_control() || c == ' ') {
        return Err(bad("it contains a space or a control character"));
    }
    if bare.split('.').any(str::is_empty) {
        return Err(bad("it has an empty label (two dots in a row, or a leading dot)"));
    }
    // ASCII names keep their case (as dig sends them); others go through IDNA (punycode),
    // and the limits hold on that wire form, which is what servers see.
    let limits = |ascii: &str| -> DnsResult<()> {
        if let Some(long) = ascii.split('.').find(|l| l.len() > MAX_LABEL) {
            return Err(bad(&format!("the label '{}' is {} bytes (at most {MAX_LABEL})", quote(long), long.len())));
        }
        if ascii.len() > MAX_NAME {
            return Err(bad(&format!("it is {} bytes long (at most {MAX_NAME})", ascii.len())));
        }
        Ok(())
    };
    let mut name = if bare.is_ascii() {
        limits(bare)?;
        // Labels as raw bytes: DNS allows any (`-dash`, RFC 2317's `0/26`), as dig does.
        Name::from_labels(bare.split('.').map(str::as_bytes)).map_err(|e| bad(&e.to_string()))?
    } else {
        let name = Name::from_utf8(bare).map_err(|e| bad(&e.to_string()))?;
        let ascii = name.to_ascii();
        limits(ascii.strip_suffix('.').unwrap_or(&ascii))?;
        name
    };
    name.set_fqdn(true);
    Ok(name)
}

/// A record type by name (`"MX"`, `"aaaa"`, `"TYPE65"`). Errors: `InvalidArgument`.
pub fn parse_rtype(text: &str) -> DnsResult<RecordType> {
    let upper = text.trim().to_ascii_uppercase();
    if let Some(number) = upper.strip_prefix("TYPE") {
        if let Ok(n) = number.parse::<u16>() {
            return Ok(RecordType::from(n));
        }
    }
    if let Some((_, code)) = crate::presentation::EXTRA_TYPES.iter().find(|(name, _)| *name == upper) {
        return Ok(RecordType::from(*code));
    }
    match RecordType::from_str(&upper) {
        Ok(RecordType::Unknown(_)) | Err(_) => Err(DnsError::invalid(format!(
            "unknown record type '{}' (A, AAAA, MX, TXT, … or TYPEnnn)",
            text.escape_debug()
        ))),
        Ok(rtype) => Ok(rtype),
    }
}

/// A record type's name as dig prints it (`MX`, `TYPE65000` for one without a name).
pub fn type_name(rtype: RecordType) -> String {
    match rtype {
        RecordType::Unknown(n) => match crate::presentation::EXTRA_TYPES.iter().find(|(_, code)| *code == n) {
            Some((name, _)) => (*name).to_string(),
            None => format!("TYPE{n}"),
        },
        RecordType::ZERO => "TYPE0".into(),
        other => other.to_string(),
    }
}

pub use netscript_sdk::options::quote;

/// An IP address from a script. Errors: `InvalidArgument` quoting the text.
pub fn parse_ip(text: &str) -> DnsResult<IpAddr> {
    text.trim().parse().map_err(|_| DnsError::invalid(format!("'{}' is not an IPv4 or IPv6 address", quote(text))))
}

/// The reverse-lookup name of an address: `1.2.0.192.in-addr.arpa.`, or the 32 nibbles
/// under `ip6.arpa.` for IPv6.
pub fn reverse_name(ip: IpAddr) -> Name {
    Name::from(ip)
}

/// A name as scripts see it: presentation form with the final dot (`"mail.example.com."`).
pub fn show(name: &Name) -> String {
    let mut text = name.to_ascii();
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_with_the_text_quoted() {
        assert_eq!(show(&parse_name("Example.COM").unwrap()), "Example.COM.");
        assert_eq!(show(&parse_name(".").unwrap()), ".");
        assert_eq!(show(&parse_name("bücher.example").unwrap()), "xn--bcher-kva.example.");
        let long_label = format!("{}.example", "a".repeat(64));
        let err = parse_name(&long_label).unwrap_err().to_string();
        assert!(err.contains("64 bytes") && err.contains("aaaa"), "{err}");
        let long_name = vec!["abcdefghi"; 26].join(".");
        assert!(parse_name(&long_name).unwrap_err().to_string().contains("at most 253"));
        assert!(parse_name("a..b").unwrap_err().to_string().contains("empty label"));
        assert!(parse_name("").is_err());
        let huge = parse_name(&"x".repeat(100_000)).unwrap_err().to_string();
        assert!(huge.len() < 400 && huge.contains("100000 characters"), "{}", huge.len());
        assert!(parse_name("a\r\nb").unwrap_err().to_string().contains("control"));
    }

    #[test]
    fn record_types_by_name_or_number() {
        assert_eq!(parse_rtype("mx").unwrap(), RecordType::MX);
        assert_eq!(parse_rtype("TYPE65").unwrap(), RecordType::HTTPS);
        assert!(parse_rtype("BOGUS").unwrap_err().to_string().contains("'BOGUS'"));
        assert!(parse_rtype("").is_err());
    }

    #[test]
    fn reverse_names_for_both_families() {
        assert_eq!(show(&reverse_name(parse_ip("192.0.2.1").unwrap())), "1.2.0.192.in-addr.arpa.");
        let v6 = show(&reverse_name(parse_ip("2001:db8::1").unwrap()));
        assert_eq!(v6, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
        assert!(parse_ip("300.1.1.1").unwrap_err().to_string().contains("'300.1.1.1'"));
    }
}
