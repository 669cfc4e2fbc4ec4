//! Parsed responses as script values: a FETCH as `#{ seq, uid, flags, size, internaldate,
//! body, header, text, envelope }`, a LIST entry, what SELECT and STATUS say, the events
//! NOOP and IDLE report. The only file that matches on imap-proto's types.

use crate::utf7;
use async_imap::imap_proto::{
    Address, AttributeValue, Envelope, MailboxDatum, MessageSection, NameAttribute, Response, ResponseCode,
    SectionPath, StatusAttribute,
};
use netscript_sdk::rhai::{Array, Blob, Dynamic, Map, INT};
use std::borrow::Cow;

fn int(n: impl Into<i64>) -> Dynamic {
    Dynamic::from_int(n.into() as INT)
}

fn blob(data: &Option<Cow<'_, [u8]>>) -> Dynamic {
    data.as_ref().map_or(Dynamic::UNIT, |d| Dynamic::from_blob(Blob::from(d.as_ref())))
}

fn strings<'a>(items: impl IntoIterator<Item = &'a Cow<'a, str>>) -> Dynamic {
    Dynamic::from_array(items.into_iter().map(|s| Dynamic::from(s.to_string())).collect())
}

/// A mailbox name as the script sees it: a quoted string's `\"` and `\\` unescaped (the
/// parser leaves them), modified UTF-7 decoded.
pub fn mailbox_name(wire: &str) -> String {
    let mut unquoted = String::with_capacity(wire.len());
    let mut chars = wire.chars();
    while let Some(c) = chars.next() {
        unquoted.push(if c == '\\' { chars.next().unwrap_or(c) } else { c });
    }
    utf7::decode(&unquoted).unwrap_or(unquoted)
}

/// The section a BODY[…] answer is for, as the script names it (`"1"`, `"1.MIME"`, `"HEADER"`).
fn section_name(section: &SectionPath) -> String {
    let part = |p: &MessageSection| match p {
        MessageSection::Header => "HEADER",
        MessageSection::Mime => "MIME",
        MessageSection::Text => "TEXT",
    };
    match section {
        SectionPath::Full(p) => part(p).to_string(),
        SectionPath::Part(path, p) => {
            let numbers: Vec<String> = path.iter().map(u32::to_string).collect();
            match p {
                Some(p) => format!("{}.{}", numbers.join("."), part(p)),
                None => numbers.join("."),
            }
        }
    }
}

fn decoded(text: &Option<Cow<'_, [u8]>>) -> Dynamic {
    text.as_ref().map_or(Dynamic::UNIT, |t| netscript_mail::parse::decode_header_text(t).into())
}

fn addresses(list: &Option<Vec<Address<'_>>>) -> Dynamic {
    let Some(list) = list else { return Dynamic::from_array(Array::new()) };
    let text = |b: &Option<Cow<'_, [u8]>>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
    list.iter()
        .filter(|a| a.host.is_some())
        .map(|a| {
            let mut map = Map::new();
            map.insert("name".into(), decoded(&a.name));
            let address = match (text(&a.mailbox), text(&a.host)) {
                (Some(m), Some(h)) => format!("{m}@{h}"),
                (Some(m), None) => m,
                _ => String::new(),
            };
            map.insert("address".into(), address.into());
            Dynamic::from_map(map)
        })
        .collect::<Array>()
        .into()
}

fn envelope(e: &Envelope<'_>) -> Map {
    let mut map = Map::new();
    map.insert("date".into(), decoded(&e.date));
    map.insert("subject".into(), decoded(&e.subject));
    map.insert("from".into(), addresses(&e.from));
    map.insert("sender".into(), addresses(&e.sender));
    map.insert("reply_to".into(), addresses(&e.reply_to));
    map.insert("to".into(), addresses(&e.to));
    map.insert("cc".into(), addresses(&e.cc));
    map.insert("bcc".into(), addresses(&e.bcc));
    map.insert("in_reply_to".into(), decoded(&e.in_reply_to));
    map.insert("message_id".into(), decoded(&e.message_id));
    map
}

/// A FETCH response as `#{ seq, uid, flags, size, internaldate, body, header, text,
/// envelope, sections }` (only what was asked for, and `seq`, is there).
pub fn fetch_map(seq: u32, attributes: &[AttributeValue<'_>]) -> Map {
    let mut map = Map::new();
    map.insert("seq".into(), int(seq));
    let mut sections = Map::new();
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(uid) => _ = map.insert("uid".into(), int(*uid)),
            AttributeValue::Flags(flags) => _ = map.insert("flags".into(), strings(flags)),
            AttributeValue::Rfc822Size(size) => _ = map.insert("size".into(), int(*size)),
            AttributeValue::InternalDate(date) => _ = map.insert("internaldate".into(), date.to_string().into()),
            AttributeValue::ModSeq(n) => _ = map.insert("modseq".into(), int(*n as i64)),
            AttributeValue::Envelope(e) => _ = map.insert("envelope".into(), Dynamic::from_map(envelope(e))),
            AttributeValue::Rfc822(data) => _ = map.insert("body".into(), blob(data)),
            AttributeValue::Rfc822Header(data) => _ = map.insert("header".into(), blob(data)),
            AttributeValue::Rfc822Text(data) => _ = map.insert("text".into(), blob(data)),
            AttributeValue::BodySection { section, data, .. } => match section {
                None => _ = map.insert("body".into(), blob(data)),
                Some(SectionPath::Full(MessageSection::Header)) => _ = map.insert("header".into(), blob(data)),
                Some(SectionPath::Full(MessageSection::Text)) => _ = map.insert("text".into(), blob(data)),
                Some(other) => _ = sections.insert(section_name(other).into(), blob(data)),
            },
            _ => {}
        }
    }
    if !sections.is_empty() {
        map.insert("sections".into(), Dynamic::from_map(sections));
    }
    map
}

/// The message body of a FETCH response (BODY[] or RFC822), with its UID.
pub fn fetched_body<'a>(attributes: &'a [AttributeValue<'a>]) -> (Option<u32>, Option<&'a [u8]>) {
    let mut uid = None;
    let mut body = None;
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::Rfc822(Some(data))
            | AttributeValue::BodySection { section: None, data: Some(data), .. } => body = Some(data.as_ref()),
            _ => {}
        }
    }
    (uid, body)
}

/// A LIST/LSUB entry: `#{ name, flags, delimiter }`.
pub fn list_entry(response: &Response<'_>) -> Option<Map> {
    let Response::MailboxData(MailboxDatum::List(data)) = response else { return None };
    let mut map = Map::new();
    map.insert("name".into(), mailbox_name(&data.name).into());
    let flags: Array = data
        .name_attributes
        .iter()
        .map(|a| {
            Dynamic::from(match a {
                NameAttribute::NoInferiors => "\\Noinferiors".to_string(),
                NameAttribute::NoSelect => "\\Noselect".to_string(),
                NameAttribute::Marked => "\\Marked".to_string(),
                NameAttribute::Unmarked => "\\Unmarked".to_string(),
                NameAttribute::All => "\\All".to_string(),
                NameAttribute::Archive => "\\Archive".to_string(),
                NameAttribute::Drafts => "\\Drafts".to_string(),
                NameAttribute::Flagged => "\\Flagged".to_string(),
                NameAttribute::Junk => "\\Junk".to_string(),
                NameAttribute::Sent => "\\Sent".to_string(),
                NameAttribute::Trash => "\\Trash".to_string(),
                NameAttribute::Extension(other) => other.to_string(),
                _ => "\\Unknown".to_string(),
            })
        })
        .collect();
    map.insert("flags".into(), flags.into());
    map.insert("delimiter".into(), data.delimiter.as_ref().map_or(Dynamic::UNIT, |d| d.to_string().into()));
    Some(map)
}

/// Adds what an untagged response of SELECT/EXAMINE says to `map`.
pub fn selected_into(map: &mut Map, response: &Response<'_>) {
    match response {
        Response::MailboxData(MailboxDatum::Exists(n)) => _ = map.insert("exists".into(), int(*n)),
        Response::MailboxData(MailboxDatum::Recent(n)) => _ = map.insert("recent".into(), int(*n)),
        Response::MailboxData(MailboxDatum::Flags(flags)) => _ = map.insert("flags".into(), strings(flags)),
        Response::Data { outcome, .. } => match &outcome.code {
            Some(ResponseCode::Unseen(n)) => _ = map.insert("unseen".into(), int(*n)),
            Some(ResponseCode::UidNext(n)) => _ = map.insert("uidnext".into(), int(*n)),
            Some(ResponseCode::UidValidity(n)) => _ = map.insert("uidvalidity".into(), int(*n)),
            Some(ResponseCode::HighestModSeq(n)) => _ = map.insert("highestmodseq".into(), int(*n as i64)),
            Some(ResponseCode::PermanentFlags(flags)) => _ = map.insert("permanent_flags".into(), strings(flags)),
            _ => {}
        },
        _ => {}
    }
}

/// A STATUS response's items, lower-cased: `#{ messages, recent, uidnext, uidvalidity, unseen }`.
pub fn status_map(response: &Response<'_>) -> Option<Map> {
    let Response::MailboxData(MailboxDatum::Status { status, .. }) = response else { return None };
    let mut map = Map::new();
    for item in status {
        let (key, value) = match item {
            StatusAttribute::Messages(n) => ("messages", int(*n)),
            StatusAttribute::Recent(n) => ("recent", int(*n)),
            StatusAttribute::UidNext(n) => ("uidnext", int(*n)),
            StatusAttribute::UidValidity(n) => ("uidvalidity", int(*n)),
            StatusAttribute::Unseen(n) => ("unseen", int(*n)),
            StatusAttribute::HighestModSeq(n) => ("highestmodseq", int(*n as i64)),
            _ => continue,
        };
        map.insert(key.into(), value);
    }
    Some(map)
}

/// The ids of a SEARCH response.
pub fn search_ids<'a>(response: &'a Response<'_>) -> Option<&'a [u32]> {
    match response {
        Response::MailboxData(MailboxDatum::Search(ids)) => Some(ids),
        _ => None,
    }
}

/// An event for NOOP and IDLE: `#{ type: "exists" | "expunge" | "recent" | "fetch", n,
/// flags? }`; `None` for other responses.
pub fn event(response: &Response<'_>) -> Option<Map> {
    let mut map = Map::new();
    let (kind, n) = match response {
        Response::MailboxData(MailboxDatum::Exists(n)) => ("exists", *n),
        Response::MailboxData(MailboxDatum::Recent(n)) => ("recent", *n),
        Response::Expunge(n) => ("expunge", *n),
        Response::Fetch(n, attributes) => {
            for attribute in attributes {
                if let AttributeValue::Flags(flags) = attribute {
                    map.insert("flags".into(), strings(flags));
                }
            }
            ("fetch", *n)
        }
        _ => return None,
    };
    map.insert("type".into(), kind.into());
    map.insert("n".into(), int(n));
    Some(map)
}

/// The APPENDUID code of an APPEND's OK: `#{ uidvalidity, uid }`.
pub fn append_uid(code: &ResponseCode<'_>) -> Option<Map> {
    let ResponseCode::AppendUid(validity, uids) = code else { return None };
    let uid = match uids.first()? {
        async_imap::imap_proto::rfc4315::UidSetMember::Uid(u) => *u,
        async_imap::imap_proto::rfc4315::UidSetMember::UidRange(r) => *r.start(),
    };
    let mut map = Map::new();
    map.insert("uidvalidity".into(), int(*validity));
    map.insert("uid".into(), int(uid));
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_are_unescaped_and_decoded() {
        assert_eq!(mailbox_name(r#"He said \"hi\""#), r#"He said "hi""#);
        assert_eq!(mailbox_name(r"back\\slash"), r"back\slash");
        assert_eq!(mailbox_name("Entw&APw-rfe"), "Entwürfe");
    }
}
