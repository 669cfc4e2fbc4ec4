//! netscript's `mail` module: MIME messages built (`mail::message`, on lettre's builder) and
//! parsed (`mail::parse`, on mail-parser), after Python's `email` package. The smtp plugin
//! sends what [`message::build`] makes; the imap plugin's fetches go through `mail::parse`.

#![deny(missing_docs)]

pub mod error; // MailError: the one error enum and its script kinds
pub mod message; // mail::message: RFC 5322 text from a map
pub mod parse; // mail::parse: any message into a map, behind a panic guard

use netscript_sdk::prelude::*;

netscript_sdk::export_plugin! {
    name: "mail",
    version: env!("CARGO_PKG_VERSION"),
    description: "MIME messages: RFC 5322 text built with attachments, any message parsed (email)",
    register: register_all,
}

/// Lists everything the module offers.
fn register_all(m: &mut ModuleBuilder) {
    m.doc("MIME messages after Python's email package: `message` builds one, `parse` reads one.");
    let doc = r#"
        The RFC 5322 text (a blob) of a message given as a map: `from` (required), `to`,
        `cc`, `bcc`, `reply_to` (an address `"Name <a@example.com>"`, `#{ name, address }`,
        or an array of them), `subject`, `text`, `html` (both: multipart/alternative),
        `attachments` (file paths, or `#{ name, data, content_type }`; the type defaults by
        extension), `headers` (a map of more header fields), `date` (seconds since the epoch;
        default now), `message_id` (`<unique@domain>`; default a fresh one at the sender's
        domain). At least one of `to`, `cc`, `bcc` is needed. Non-ASCII subjects and names
        are encoded per RFC 2047, attachments base64. `Bcc` is never written into the text;
        `headers` cannot set the fields the message writes itself (From, Subject, Date …).

        ```rhai
        let raw = mail::message(#{
            from: "Reports <reports@example.com>", to: ["ops@example.com"],
            subject: "Nightly report ✓", text: "All green.", html: "<p>All <b>green</b>.</p>",
            attachments: [#{ name: "report.csv", data: "host,status\nmx1,ok\n" }],
        });
        print(mail::parse(raw).subject);
        ```

        Errors: `InvalidArgument` (no `from`, a bad address, CR or LF in a header field, an
        unknown key, a bad attachment), `PermissionDenied` (an attachment outside
        `--allow-read`)."#;
    m.func("message", &["msg"], doc, |msg: Map| -> ScriptResult<Blob> {
        message::build(msg).map(|b| b.raw).map_err(script_error)
    });
    let doc = r#"
        A message (a blob or string of RFC 5322 text) read into `#{ from, to, cc, reply_to,
        subject, date, message_id (with its <>), headers, text, html, attachments }`: addresses as
        `#{ name, address }` (`from` one, the others arrays), `date` in RFC 3339, `headers` a
        map of every field (an array for a repeated one), `text` and `html` the first
        text/plain and text/html bodies (`()` when there is none), `attachments` as
        `#{ name, content_type, data }` with `data` a blob. Truncated, mis-declared or
        non-UTF-8 input gives what can be read, never a crash.

        ```rhai
        let m = mail::parse("From: Ann <ann@example.com>\r\nSubject: hi\r\n\r\nHello\r\n");
        print(`${m.from.name}: ${m.subject} / ${m.text}`);
        ```

        Errors: `InvalidArgument` (empty input, no header at all)."#;
    m.func("parse", &["raw"], doc, |raw: Blob| -> ScriptResult<Map> { parse::parse(&raw).map_err(script_error) });
    m.func("parse", &["raw"], doc, |raw: &str| -> ScriptResult<Map> {
        parse::parse(raw.as_bytes()).map_err(script_error)
    });
}
