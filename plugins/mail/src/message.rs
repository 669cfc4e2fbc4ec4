//! `mail::message`: RFC 5322 text from a script map (`from`, `to`, `cc`, `bcc`, `reply_to`,
//! `subject`, `text`, `html`, `attachments`, `headers`, `date`, `message_id`) on lettre's
//! builder: UTF-8 headers and display names encoded per RFC 2047, multipart/alternative for
//! text and HTML, attachments typed by their extension, and `Bcc` never written into the
//! text (it stays in the envelope). A CR or LF in any header field is refused before anything
//! is built.

use crate::error::{MailError, MailResult};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use netscript_sdk::options::{quote, type_word, Options};
use netscript_sdk::prelude::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The keys a message map may have.
pub const KEYS: &[&str] =
    &["from", "to", "cc", "bcc", "reply_to", "subject", "text", "html", "attachments", "headers", "date", "message_id"];

/// The fields `mail::message` writes itself; `headers` may not set them.
const OWN_HEADERS: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Bcc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// A built message: its text, and the envelope (sender, every recipient, Bcc included).
pub struct Built {
    /// The RFC 5322 text.
    pub raw: Vec<u8>,
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients: To, Cc and Bcc.
    pub recipients: Vec<String>,
}

fn invalid(message: impl Into<String>) -> MailError {
    MailError::InvalidArgument(message.into())
}

/// Refuses CR and LF in a header field (header injection).
fn one_line(field: &str, text: &str) -> MailResult<()> {
    if text.contains(['\r', '\n']) {
        return Err(invalid(format!("mail::message: {field} contains CR or LF: '{}'", quote(text))));
    }
    Ok(())
}

/// Refuses keys a nested map does not take (a typo would otherwise be ignored).
fn only_keys(field: &str, map: &Map, keys: &[&str]) -> MailResult<()> {
    match map.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(key) => {
            Err(invalid(format!("mail::message: {field}: unknown key '{}' (it takes {})", quote(key), keys.join(", "))))
        }
        None => Ok(()),
    }
}

/// One mailbox: `"Name <a@example.com>"`, `"a@example.com"` or `#{ name, address }`.
fn mailbox(field: &str, value: &Dynamic) -> MailResult<Mailbox> {
    if let Some(text) = value.read_lock::<ImmutableString>() {
        one_line(field, &text)?;
        return text
            .trim()
            .parse::<Mailbox>()
            .map_err(|e| invalid(format!("mail::message: {field}: bad address '{}': {e}", quote(&text))));
    }
    if let Some(map) = value.read_lock::<Map>() {
        only_keys(field, &map, &["name", "address"])?;
        let get = |key: &str| map.get(key).and_then(|v| v.clone().into_string().ok());
        let address =
            get("address").ok_or_else(|| invalid(format!("mail::message: {field}: a map needs an address")))?;
        one_line(field, &address)?;
        let name = get("name").filter(|n| !n.is_empty());
        if let Some(name) = &name {
            one_line(field, name)?;
        }
        let parsed = address
            .trim()
            .parse()
            .map_err(|e| invalid(format!("mail::message: {field}: bad address '{}': {e}", quote(&address))))?;
        return Ok(Mailbox::new(name, parsed));
    }
    Err(invalid(format!(
        "mail::message: {field} must be an address string or #{{ name, address }}, not {}",
        type_word(value)
    )))
}

/// The mailboxes of a field: one, or an array of them.
fn mailboxes(field: &str, value: Option<&Dynamic>) -> MailResult<Vec<Mailbox>> {
    match value {
        None => Ok(Vec::new()),
        Some(v) if v.is_array() => v.clone().cast::<Array>().iter().map(|item| mailbox(field, item)).collect(),
        Some(v) => Ok(vec![mailbox(field, v)?]),
    }
}

/// One attachment: a file path, or `#{ name, data, content_type }`.
fn attachment(value: &Dynamic) -> MailResult<SinglePart> {
    let (name, data, content_type) = if let Some(path) = value.read_lock::<ImmutableString>() {
        let checked = netscript_sdk::host().check_read(std::path::Path::new(path.as_str()))?;
        // A FIFO or a device would block or never end: only regular files are attached.
        if !std::fs::metadata(&checked).is_ok_and(|m| m.is_file()) && checked.exists() {
            return Err(invalid(format!("mail::message: attachment '{}' is not a regular file", quote(&path))));
        }
        let data = std::fs::read(&checked)
            .map_err(|e| invalid(format!("mail::message: attachment '{}': {e}", quote(&path))))?;
        let name = checked.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_string());
        (name, data, None)
    } else if let Some(map) = value.read_lock::<Map>() {
        only_keys("an attachment", &map, &["name", "data", "content_type"])?;
        let name = map
            .get("name")
            .and_then(|v| v.clone().into_string().ok())
            .ok_or_else(|| invalid("mail::message: an attachment map needs a name"))?;
        let data = match map.get("data") {
            Some(v) if v.is_blob() => v.clone().cast::<Blob>(),
            Some(v) if v.is_string() => v.clone().into_string().unwrap_or_default().into_bytes(),
            Some(v) => {
                return Err(invalid(format!(
                    "mail::message: attachment data must be a blob or string, not {}",
                    type_word(v)
                )))
            }
            None => return Err(invalid(format!("mail::message: attachment '{}' has no data", quote(&name)))),
        };
        let content_type = map.get("content_type").and_then(|v| v.clone().into_string().ok());
        (name, data, content_type)
    } else {
        return Err(invalid(format!(
            "mail::message: an attachment is a file path or #{{ name, data, content_type }}, not {}",
            type_word(value)
        )));
    };
    one_line("attachment name", &name)?;
    let content_type = match content_type {
        Some(text) => {
            one_line("content_type", &text)?;
            ContentType::parse(&text)
                .map_err(|_| invalid(format!("mail::message: bad content_type '{}'", quote(&text))))?
        }
        None => {
            let guessed = mime_guess::from_path(&name).first_or_octet_stream();
            let essence = guessed.essence_str();
            // Text that is not ASCII says its charset, as Python's email package writes it.
            let text = if guessed.type_() == "text" && !data.is_ascii() && std::str::from_utf8(&data).is_ok() {
                format!("{essence}; charset=utf-8")
            } else {
                essence.to_string()
            };
            ContentType::parse(&text).unwrap_or(ContentType::TEXT_PLAIN)
        }
    };
    // Base64 always: attachment bytes (NUL, bare CR or LF) never go out raw.
    let body = Body::new_with_encoding(data, ContentTransferEncoding::Base64)
        .map_err(|_| invalid(format!("mail::message: attachment '{}' cannot be encoded", quote(&name))))?;
    Ok(Attachment::new(name).body(body, content_type))
}

/// Builds the message of `msg`. Errors: `InvalidArgument` (a missing `from`, a bad address,
/// CR/LF in a header, an unknown key, a bad attachment), `PermissionDenied` (an attachment
/// path outside `--allow-read`).
pub fn build(msg: Map) -> MailResult<Built> {
    let opts = Options::parse(crate::error::PROTOCOL, "message", msg, KEYS)?;
    let from = mailbox("from", opts.get("from").ok_or_else(|| invalid("mail::message: give from"))?)?;
    let (to, cc, bcc) =
        (mailboxes("to", opts.get("to"))?, mailboxes("cc", opts.get("cc"))?, mailboxes("bcc", opts.get("bcc"))?);
    let reply_to = mailboxes("reply_to", opts.get("reply_to"))?;
    let mut builder = lettre::Message::builder().from(from.clone());
    for m in &to {
        builder = builder.to(m.clone());
    }
    for m in &cc {
        builder = builder.cc(m.clone());
    }
    for m in &bcc {
        builder = builder.bcc(m.clone());
    }
    for m in reply_to {
        builder = builder.reply_to(m);
    }
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err(invalid("mail::message: no recipient: give to, cc or bcc"));
    }
    if let Some(subject) = opts.string("subject")? {
        one_line("subject", &subject)?;
        builder = builder.subject(subject);
    }
    builder = match opts.get("date") {
        None => builder.date_now(),
        Some(v) => match v.as_float().ok().or_else(|| v.as_int().ok().map(|n| n as f64)) {
            Some(secs) if (0.0..1e11).contains(&secs) => builder.date(UNIX_EPOCH + Duration::from_secs_f64(secs)),
            _ => return Err(invalid("mail::message: date is seconds since the epoch (now() gives them)")),
        },
    };
    // The default id's domain: the sender's when it is ASCII, else "localhost".
    let domain = Some(from.email.domain()).filter(|d| d.is_ascii()).unwrap_or("localhost").to_string();
    builder = match opts.string("message_id")? {
        Some(id) => {
            one_line("message_id", &id)?;
            let bare = id.strip_prefix('<').and_then(|i| i.strip_suffix('>')).unwrap_or(&id);
            let well_formed = bare.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
                && bare.chars().all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"".contains(c) || c == '@' || c == '.');
            if !well_formed {
                return Err(invalid(format!(
                    "mail::message: message_id '{}' is not an id like <unique@example.com>",
                    quote(&id)
                )));
            }
            builder.message_id(Some(format!("<{bare}>")))
        }
        None => builder.message_id(Some(format!("<{:016x}.{:x}@{domain}>", fastrand_u64(), unix_nanos()))),
    };
    if let Some(headers) = opts.map("headers")? {
        for (name, value) in headers {
            let value = value
                .into_string()
                .map_err(|t| invalid(format!("mail::message: header {name} must be a string, not {t}")))?;
            one_line(&format!("header {name}"), &value)?;
            one_line("a header name", &name)?;
            if OWN_HEADERS.iter().any(|own| own.eq_ignore_ascii_case(&name)) {
                return Err(invalid(format!(
                    "mail::message: headers: {name} is written from the message's own keys (from, to, subject, date, \
                     message_id …), not from headers"
                )));
            }
            let header = HeaderName::new_from_ascii(name.to_string())
                .map_err(|_| invalid(format!("mail::message: bad header name '{}'", quote(&name))))?;
            builder = builder.raw_header(HeaderValue::new(header, value));
        }
    }
    let text = opts.string("text")?;
    let html = opts.string("html")?;
    let body: Option<MultiPart> = match (&text, &html) {
        (Some(t), Some(h)) => Some(MultiPart::alternative_plain_html(t.clone(), h.clone())),
        _ => None,
    };
    let single = match (&text, &html) {
        (Some(_), Some(_)) => None,
        (_, Some(h)) => Some(SinglePart::html(h.clone())),
        (t, None) => Some(SinglePart::plain(t.clone().unwrap_or_default())),
    };
    let attachments: Vec<SinglePart> = match opts.get("attachments") {
        None => Vec::new(),
        Some(v) if v.is_array() => v.clone().cast::<Array>().iter().map(attachment).collect::<MailResult<_>>()?,
        Some(v) => vec![attachment(v)?],
    };
    let message = if attachments.is_empty() {
        match (body, single) {
            (Some(multi), _) => builder.multipart(multi),
            (None, Some(part)) => builder.singlepart(part),
            (None, None) => builder.body(String::new()),
        }
    } else {
        let mut mixed = MultiPart::mixed().build();
        mixed = match (body, single) {
            (Some(multi), _) => mixed.multipart(multi),
            (None, Some(part)) if text.is_some() || html.is_some() => mixed.singlepart(part),
            _ => mixed,
        };
        for part in attachments {
            mixed = mixed.singlepart(part);
        }
        builder.multipart(mixed)
    }
    .map_err(|e| invalid(format!("mail::message: {e}")))?;
    let recipients = to.iter().chain(&cc).chain(&bcc).map(|m| m.email.to_string()).collect();
    Ok(Built { raw: message.formatted(), from: from.email.to_string(), recipients })
}

fn unix_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(unix_nanos())
}
