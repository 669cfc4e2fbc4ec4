//! Record data in presentation form exactly as dig (BIND 9) prints it, where hickory's
//! `Display` differs: character-strings quoted (TXT, SPF, HINFO, CAA values), hex in
//! upper case and hex or base64 cut into 56-character chunks (SSHFP, TLSA, DS, DNSKEY …),
//! SVCB/HTTPS parameters in BIND's syntax, the types hickory has no name for (URI, LOC, RP,
//! AFSDB, KX, EUI48/64, SPF) decoded from their wire form, and RFC 3597's `\# len HEX` for
//! the rest.

use hickory_proto::rr::rdata::svcb::{SvcParamKey, SvcParamValue, SVCB};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

/// BIND's chunk width for long hex and base64 fields in one-line output.
const CHUNK: usize = 56;

/// Names of the types hickory's `RecordType` does not know, with their numbers (IANA).
pub const EXTRA_TYPES: &[(&str, u16)] = &[
    ("MD", 3),
    ("MF", 4),
    ("MB", 7),
    ("MG", 8),
    ("MR", 9),
    ("WKS", 11),
    ("MINFO", 14),
    ("RP", 17),
    ("AFSDB", 18),
    ("X25", 19),
    ("ISDN", 20),
    ("RT", 21),
    ("NSAP", 22),
    ("PX", 26),
    ("GPOS", 27),
    ("LOC", 29),
    ("KX", 36),
    ("A6", 38),
    ("APL", 42),
    ("IPSECKEY", 45),
    ("DHCID", 49),
    ("HIP", 55),
    ("NINFO", 56),
    ("ZONEMD", 63),
    ("SPF", 99),
    ("NID", 104),
    ("L32", 105),
    ("L64", 106),
    ("LP", 107),
    ("EUI48", 108),
    ("EUI64", 109),
    ("URI", 256),
    ("AVC", 258),
    ("DOA", 259),
    ("AMTRELAY", 260),
    ("RESINFO", 261),
    ("TA", 32768),
    ("DLV", 32769),
];

/// Record data as dig prints it.
pub fn presentation(data: &RData) -> String {
    match data {
        RData::TXT(txt) => strings(txt.txt_data.iter().map(|s| &s[..])),
        RData::CAA(caa) => format!("{} {} {}", caa.flags(), caa.tag, quoted(&caa.value)),
        RData::HINFO(h) => format!("{} {}", quoted(&h.cpu), quoted(&h.os)),
        RData::SVCB(svcb) => service_binding(svcb),
        RData::HTTPS(https) => service_binding(&https.0),
        RData::Unknown { code, rdata } => unknown(u16::from(*code), &rdata.anything),
        other => {
            let text = other.to_string();
            match other.record_type() {
                RecordType::SSHFP | RecordType::TLSA | RecordType::SMIMEA => last_field(&text, true),
                RecordType::DS | RecordType::CDS | RecordType::DNSKEY | RecordType::CDNSKEY | RecordType::KEY => {
                    last_field(&text, false)
                }
                RecordType::OPENPGPKEY => chunked(&text),
                _ => text,
            }
        }
    }
}

/// `text` with its last field (a hex or base64 blob) chunked as BIND does.
fn last_field(text: &str, upper: bool) -> String {
    match text.rsplit_once(' ') {
        Some((head, blob)) => {
            let blob = if upper { blob.to_ascii_uppercase() } else { blob.to_string() };
            format!("{head} {}", chunked(&blob))
        }
        None => text.to_string(),
    }
}

/// A long field cut into BIND's 56-character chunks.
fn chunked(blob: &str) -> String {
    let chars: Vec<char> = blob.chars().collect();
    chars.chunks(CHUNK).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// Character-strings, each quoted, space-separated.
fn strings<'a>(items: impl Iterator<Item = &'a [u8]>) -> String {
    items.map(quoted).collect::<Vec<_>>().join(" ")
}

/// A character-string as a zone file writes it: in quotes, `"` and `\` escaped, bytes outside
/// printable ASCII as `\DDD`.
pub fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// SVCB and HTTPS data in BIND's syntax: `1 . alpn="h2,h3" port=8443 ipv4hint=…`.
fn service_binding(svcb: &SVCB) -> String {
    let mut out = format!("{} {}", svcb.svc_priority, crate::names::show(&svcb.target_name));
    for (key, value) in &svcb.svc_params {
        out.push(' ');
        let join = |items: Vec<String>| items.join(",");
        let param = match value {
            SvcParamValue::Mandatory(keys) => {
                format!("mandatory={}", join(keys.0.iter().map(|k| key_name(*k)).collect()))
            }
            SvcParamValue::Alpn(alpn) => format!("alpn={}", quoted(join(alpn.0.clone()).as_bytes())),
            SvcParamValue::NoDefaultAlpn => "no-default-alpn".to_string(),
            SvcParamValue::Port(port) => format!("port={port}"),
            SvcParamValue::Ipv4Hint(hints) => {
                format!("ipv4hint={}", join(hints.0.iter().map(|a| a.0.to_string()).collect()))
            }
            SvcParamValue::Ipv6Hint(hints) => {
                format!("ipv6hint={}", join(hints.0.iter().map(|a| a.0.to_string()).collect()))
            }
            SvcParamValue::EchConfigList(ech) => {
                format!("ech={}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &ech.0))
            }
            SvcParamValue::Unknown(raw) => format!("{}={}", key_name(*key), quoted(&raw.0)),
        };
        out.push_str(&param);
    }
    out
}

/// A SvcParamKey as BIND names it (`alpn`, `key7` for one it has no name for).
fn key_name(key: SvcParamKey) -> String {
    match key {
        SvcParamKey::Mandatory => "mandatory".into(),
        SvcParamKey::Alpn => "alpn".into(),
        SvcParamKey::NoDefaultAlpn => "no-default-alpn".into(),
        SvcParamKey::Port => "port".into(),
        SvcParamKey::Ipv4Hint => "ipv4hint".into(),
        SvcParamKey::EchConfigList => "ech".into(),
        SvcParamKey::Ipv6Hint => "ipv6hint".into(),
        other => format!("key{}", u16::from(other)),
    }
}

/// The data of a type hickory does not decode: the known simple formats, else RFC 3597's
/// generic form (as dig prints a type it has no name for).
fn unknown(code: u16, wire: &[u8]) -> String {
    decoded(code, wire).unwrap_or_else(|| {
        let hex: String = wire.iter().map(|b| format!("{b:02X}")).collect();
        format!("\\# {} {}", wire.len(), chunked(&hex)).trim_end().to_string()
    })
}

/// Wire data of the types in [`EXTRA_TYPES`] that have a simple presentation form.
fn decoded(code: u16, wire: &[u8]) -> Option<String> {
    let u16_at = |at: usize| wire.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let name_at = |at: usize| -> Option<(Name, usize)> {
        let mut decoder = BinDecoder::new(wire.get(at..)?);
        let name = Name::read(&mut decoder).ok()?;
        Some((name, at + decoder.index()))
    };
    let show = crate::names::show;
    match code {
        // SPF: character-strings, like TXT.
        99 => {
            let (mut items, mut at) = (Vec::new(), 0);
            while at < wire.len() {
                let len = usize::from(wire[at]);
                items.push(wire.get(at + 1..at + 1 + len)?);
                at += 1 + len;
            }
            Some(strings(items.into_iter()))
        }
        // URI: priority weight "target".
        256 => Some(format!("{} {} {}", u16_at(0)?, u16_at(2)?, quoted(wire.get(4..)?))),
        // RP: two names; AFSDB, KX, RT: a preference and a name.
        17 => {
            let (mbox, at) = name_at(0)?;
            let (txt, end) = name_at(at)?;
            (end == wire.len()).then(|| format!("{} {}", show(&mbox), show(&txt)))
        }
        18 | 21 | 36 => {
            let (name, end) = name_at(2)?;
            let preference = u16_at(0)?;
            (end == wire.len()).then(|| format!("{preference} {}", show(&name)))
        }
        // EUI48, EUI64: hex pairs joined by dashes.
        108 | 109 if wire.len() == if code == 108 { 6 } else { 8 } => {
            Some(wire.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join("-"))
        }
        29 => location(wire),
        _ => None,
    }
}

/// LOC data (RFC 1876): `52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m`.
fn location(wire: &[u8]) -> Option<String> {
    if wire.len() != 16 || wire[0] != 0 {
        return None;
    }
    let u32_at = |at: usize| u32::from_be_bytes([wire[at], wire[at + 1], wire[at + 2], wire[at + 3]]);
    // Sizes and precisions: a mantissa and a power of ten, in centimetres, printed as
    // BIND prints them (whole metres from 1 m, else `0.NNm`).
    let metres = |byte: u8| -> Option<String> {
        let (mantissa, exponent) = (u64::from(byte >> 4), u32::from(byte & 0x0f));
        if mantissa > 9 || exponent > 9 {
            return None;
        }
        Some(if exponent > 1 {
            format!("{}m", mantissa * 10u64.pow(exponent - 2))
        } else {
            format!("0.{:02}m", mantissa * 10u64.pow(exponent))
        })
    };
    let angle = |raw: u32, positive: char, negative: char| -> String {
        let offset = i64::from(raw) - (1i64 << 31);
        let hemisphere = if offset < 0 { negative } else { positive };
        let ms = offset.unsigned_abs();
        let (degrees, rest) = (ms / 3_600_000, ms % 3_600_000);
        let (minutes, rest) = (rest / 60_000, rest % 60_000);
        format!("{degrees} {minutes} {}.{:03} {hemisphere}", rest / 1000, rest % 1000)
    };
    let altitude_cm = i64::from(u32_at(12)) - 10_000_000;
    let altitude = format!(
        "{}{}.{:02}m",
        if altitude_cm < 0 { "-" } else { "" },
        altitude_cm.unsigned_abs() / 100,
        altitude_cm.unsigned_abs() % 100
    );
    Some(format!(
        "{} {} {altitude} {} {} {}",
        angle(u32_at(4), 'N', 'S'),
        angle(u32_at(8), 'E', 'W'),
        metres(wire[1])?,
        metres(wire[2])?,
        metres(wire[3])?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_blobs_are_cut_as_bind_cuts_them() {
        let hex = "a8b18d5f0cea1b2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3";
        assert_eq!(
            last_field(&format!("4 2 {hex}"), true),
            "4 2 A8B18D5F0CEA1B2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F 708192A3"
        );
        assert_eq!(chunked("abc"), "abc");
    }

    #[test]
    fn types_hickory_cannot_name_are_decoded() {
        // LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m, as BIND encodes it.
        let loc = [0x00, 0x00, 0x16, 0x13, 0x8b, 0x3c, 0xf0, 0x18, 0x81, 0x0c, 0xbc, 0xe0, 0x00, 0x98, 0x95, 0xb8];
        assert_eq!(unknown(29, &loc), "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m");
        let mut rp = vec![10];
        rp.extend_from_slice(b"hostmaster\x07example\x04test\x00\x00");
        assert_eq!(unknown(17, &rp), "hostmaster.example.test. .");
        let mut uri = vec![0, 10, 0, 1];
        uri.extend_from_slice(b"https://example.test/");
        assert_eq!(unknown(256, &uri), "10 1 \"https://example.test/\"");
        assert_eq!(unknown(108, &[0, 0, 0x5e, 0, 0x53, 0x2a]), "00-00-5e-00-53-2a");
        assert_eq!(unknown(65000, &[1, 2]), "\\# 2 0102");
        assert_eq!(unknown(17, &[0xc0, 0x0c]), "\\# 2 C00C", "a compressed name is not read");
    }
}
