//! `mail::parse`: any message, well-formed or not, read into a script map the way Python's
//! `email` package reads it — addresses as `#{ name, address }`, the first text/plain and
//! text/html bodies as they are (never converted from one another), attachments with their
//! bytes. mail-parser has had panics on hostile input fixed release after release, so every
//! parse runs behind a panic guard: the worst input gives an error, never a crash.

use crate::error::{MailError, MailResult};
use mail_parser::{Address, HeaderName, HeaderValue, MessageParser, MessagePart, MimeHeaders};
use netscript_sdk::prelude::*;

/// An address list as an array of `#{ name, address }` (group members flattened).
fn addresses(list: Option<&Address<'_>>) -> Array {
    let Some(list) = list else { return Array::new() };
    list.iter()
        .map(|a| {
            let mut map = Map::new();
            map.insert("name".into(), a.name().map_or(Dynamic::UNIT, |n| n.to_string().into()));
            map.insert("address".into(), a.address().map_or(Dynamic::UNIT, |x| x.to_string().into()));
            Dynamic::from_map(map)
        })
        .collect()
}

/// A header value as text: decoded words and lists joined, else the raw field.
/// Unstructured fields are given decoded (encoded words and all); every other field as it
/// is written, unfolded (message ids keep their brackets, addresses their display form).
fn header_text(name: &HeaderName<'_>, value: &HeaderValue<'_>, raw: &str) -> String {
    let unstructured = matches!(name, HeaderName::Subject | HeaderName::Comments);
    match value {
        HeaderValue::Text(text) if unstructured => text.to_string(),
        _ => raw.replace("\r\n", "").replace('\n', "").trim().to_string(),
    }
}

/// The body of a part as text when it is text of `subtype` (and not an attachment).
fn body_of(part: &MessagePart<'_>, subtype: &str) -> Option<String> {
    let ctype = part.content_type();
    let is_text = ctype.is_none_or(|c| c.ctype().eq_ignore_ascii_case("text"));
    let sub = ctype.and_then(|c| c.subtype()).unwrap_or("plain");
    (is_text && sub.eq_ignore_ascii_case(subtype)).then(|| part.text_contents().map(str::to_string)).flatten()
}

/// Parses `raw` into the script map. Errors: `InvalidArgument` for input that is no message
/// at all (empty), `PluginError` if the parser panicked.
pub fn parse(raw: &[u8]) -> MailResult<Map> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(MailError::InvalidArgument("mail::parse: the message is empty".into()));
    }
    if !starts_with_a_header(raw) {
        return Err(MailError::InvalidArgument(
            "mail::parse: no header at all (a message starts with a field such as 'From: …')".into(),
        ));
    }
    std::panic::catch_unwind(|| parse_unguarded(raw))
        .map_err(|_| MailError::Parser("mail::parse: the parser failed on this input".into()))?
}

/// Header text as it reads: RFC 2047 encoded words (`=?utf-8?q?caf=C3=A9?=`) decoded, other
/// bytes as UTF-8 (lossy). For header values that come without their message, such as an
/// IMAP envelope's subject and display names.
pub fn decode_header_text(raw: &[u8]) -> String {
    let mut field = b"Subject: ".to_vec();
    field.extend(raw.iter().map(|b| if *b == b'\r' || *b == b'\n' { b' ' } else { *b }));
    field.extend_from_slice(b"\r\n\r\n");
    std::panic::catch_unwind(|| {
        MessageParser::default().parse_headers(&field).and_then(|m| m.subject().map(str::to_string))
    })
    .ok()
    .flatten()
    .unwrap_or_else(|| String::from_utf8_lossy(raw).into_owned())
}

/// Whether the first line is a header field (`Name: …`, the name printable ASCII) or an
/// mbox `From ` line.
fn starts_with_a_header(raw: &[u8]) -> bool {
    let line = raw.split(|b| *b == b'\n').next().unwrap_or_default();
    if line.starts_with(b"From ") {
        return true;
    }
    match line.iter().position(|b| *b == b':') {
        Some(0) | None => false,
        Some(at) => line[..at].iter().all(|b| (33..=126).contains(b)),
    }
}

fn parse_unguarded(raw: &[u8]) -> MailResult<Map> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| MailError::InvalidArgument("mail::parse: no message headers found".into()))?;
    let mut map = Map::new();
    // Every field of the name counts (a message may carry two To: lines).
    let all = |name: HeaderName<'_>| -> Array {
        message
            .headers()
            .iter()
            .filter(|h| h.name == name)
            .flat_map(|h| match &h.value {
                HeaderValue::Address(a) => addresses(Some(a)),
                _ => Array::new(),
            })
            .collect()
    };
    map.insert("from".into(), all(HeaderName::From).into_iter().next().unwrap_or(Dynamic::UNIT));
    map.insert("to".into(), all(HeaderName::To).into());
    map.insert("cc".into(), all(HeaderName::Cc).into());
    map.insert("reply_to".into(), all(HeaderName::ReplyTo).into());
    let text = |v: Option<&str>| v.map_or(Dynamic::UNIT, |s| s.to_string().into());
    map.insert("subject".into(), text(message.subject()));
    map.insert("date".into(), message.date().map_or(Dynamic::UNIT, |d| d.to_rfc3339().into()));
    // With its angle brackets, as Python gives it (ready for In-Reply-To and References).
    map.insert("message_id".into(), message.message_id().map_or(Dynamic::UNIT, |id| format!("<{id}>").into()));
    let mut headers = Map::new();
    for header in message.headers() {
        let start = header.offset_start as usize;
        let end = (header.offset_end as usize).min(raw.len());
        let raw_value = String::from_utf8_lossy(raw.get(start..end).unwrap_or_default());
        let value: Dynamic = header_text(&header.name, &header.value, &raw_value).into();
        let name = header.name.as_str().to_string();
        match headers.get_mut(name.as_str()) {
            None => {
                headers.insert(name.into(), value);
            }
            Some(existing) => {
                let mut list =
                    if existing.is_array() { existing.clone().cast::<Array>() } else { vec![existing.clone()] };
                list.push(value);
                *existing = list.into();
            }
        }
    }
    map.insert("headers".into(), headers.into());
    let text_body = message.text_bodies().find_map(|p| body_of(p, "plain"));
    let html_body = message.html_bodies().find_map(|p| body_of(p, "html"));
    map.insert("text".into(), text_body.map_or(Dynamic::UNIT, Dynamic::from));
    map.insert("html".into(), html_body.map_or(Dynamic::UNIT, Dynamic::from));
    // Text parts beyond the first of each kind are attachments, as Python lists them.
    let chosen = [
        message.text_body.iter().copied().find(|&i| message.part(i).and_then(|p| body_of(p, "plain")).is_some()),
        message.html_body.iter().copied().find(|&i| message.part(i).and_then(|p| body_of(p, "html")).is_some()),
    ];
    let mut extra: Vec<u32> = message
        .text_body
        .iter()
        .chain(&message.html_body)
        .copied()
        .filter(|i| !chosen.contains(&Some(*i)) && !message.attachments.contains(i))
        .filter(|&i| message.part(i).is_some_and(|p| p.is_text()))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    let attachments: Array = message
        .attachments
        .iter()
        .copied()
        .chain(extra)
        .filter_map(|i| message.part(i))
        .map(|part| {
            let mut a = Map::new();
            a.insert("name".into(), part.attachment_name().map_or(Dynamic::UNIT, |n| n.to_string().into()));
            let ctype = part.content_type().map_or("application/octet-stream".to_string(), |c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub).to_ascii_lowercase(),
                None => c.ctype().to_ascii_lowercase(),
            });
            a.insert("content_type".into(), ctype.into());
            a.insert("data".into(), Dynamic::from_blob(part.contents().to_vec()));
            Dynamic::from_map(a)
        })
        .collect();
    map.insert("attachments".into(), attachments.into());
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeds: a multipart message with an attachment, encoded words and a wrong charset.
    const SEEDS: &[&[u8]] = &[
        b"From: =?utf-8?b?w4Fubg==?= <ann@example.com>\r\nTo: a@b, \"B\" <b@c>\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: multipart/alternative; boundary=yy\r\n\r\n--yy\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--yy\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--yy--\r\n--zz\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename*=utf-8''r%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n--zz--\r\n",
        b"Subject: x\r\nContent-Type: text/plain; charset=klingon\r\nContent-Transfer-Encoding: base64\r\n\r\n////\r\n",
        b"Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/digest; boundary=q\r\n\r\n--q\r\n\r\nFrom: x\r\n\r\n--q--",
    ];

    /// A small deterministic generator (xorshift), so a failure can be replayed by its seed.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn mutated_messages_never_panic_the_parser() {
        // `MAIL_FUZZ_CASES=1000000 cargo test --release -p netscript-mail` for the full run.
        let cases: u64 = std::env::var("MAIL_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for case in 0..cases {
            let seed = SEEDS[(next(&mut state) % SEEDS.len() as u64) as usize];
            let mut input = seed.to_vec();
            for _ in 0..1 + next(&mut state) % 8 {
                let at = (next(&mut state) % (input.len() as u64 + 1)) as usize;
                match next(&mut state) % 4 {
                    0 => input.truncate(at),
                    1 if at < input.len() => input[at] = next(&mut state) as u8,
                    2 => input.splice(at..at, seed[..(at % seed.len())].iter().copied()).for_each(drop),
                    _ => {
                        let special = b"\r\n-=:;\"\\?";
                        input.insert(at.min(input.len()), special[(next(&mut state) % special.len() as u64) as usize]);
                    }
                }
            }
            // An error is fine; a panic is caught by the guard and would be a PluginError.
            if let Err(MailError::Parser(_)) = parse(&input) {
                panic!("case {case}: the parser panicked on {:?}", String::from_utf8_lossy(&input));
            }
        }
    }
}
