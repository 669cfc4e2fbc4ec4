//! One IMAP session on the wire: commands written with their tags and literals, responses
//! read through async-imap's parser (its `Client` is used only for framing and parsing:
//! none of its command methods, which ignore a tagged NO for FETCH, SEARCH, STORE, NOOP and
//! CAPABILITY and take a closed connection for the end of a result).
//!
//! Every command ends at its own tagged status: OK, or `IMAPError` for NO and BAD. A closed
//! connection, a BYE (outside LOGOUT), a response that cannot be parsed or a reply to some
//! other tag is `IMAPAbort`, and the session is over.

use crate::error::{ImapError, ImapResult, PROTOCOL};
use crate::utf7;
use crate::wire::Wire;
use async_imap::imap_proto::{Capability, Response, ResponseCode, Status};
use netscript_sdk::error::{CommonError, CommonKind};
use netscript_sdk::{tls, trace};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// The next response (async-imap's `ResponseData`, whose type it does not export), or the
/// function's return of the failure.
macro_rules! read_response {
    ($session:expr, $command:expr) => {
        match $session.client()?.read_response().await {
            Ok(Some(response)) => response,
            Ok(None) => return Err($session.read_failure($command, Ok(()))),
            Err(err) => return Err($session.read_failure($command, Err(err))),
        }
    };
}

/// A piece of a command.
pub enum Arg<'a> {
    /// Sent as it is (keywords, id sets, checked criteria).
    Raw(&'a str),
    /// A string: an atom, a quoted string or a literal, whichever it needs.
    Str(&'a str),
    /// A mailbox name: in modified UTF-7, then as [`Arg::Str`].
    Mailbox(&'a str),
    /// Bytes always sent as a literal (a message to append).
    Bytes(&'a [u8]),
    /// A credential: as [`Arg::Str`], traced as `****`.
    Secret(&'a str),
}

/// The live session.
pub struct Session {
    client: Option<async_imap::Client<Wire>>,
    next_tag: u32,
    /// `host:port`, for messages.
    pub address: String,
    /// The capabilities, as the server spells them (`IMAP4rev1`, `AUTH=PLAIN`, `MOVE` …).
    pub caps: Vec<String>,
    /// The response code and text of the last tagged OK.
    pub last_ok: (Option<String>, String),
    /// Whether the server said BYE (expected after LOGOUT).
    pub said_bye: bool,
    /// The APPENDUID of the last APPEND's OK: `#{ uidvalidity, uid }`.
    pub appended: Option<netscript_sdk::rhai::Map>,
}

/// How a string goes on the wire.
enum Form {
    Inline(String),
    Literal(Vec<u8>),
}

/// An astring (RFC 3501): an atom when it can be, else a quoted string when it is printable
/// ASCII, else a literal (UTF-8 bytes). CR, LF and NUL are refused by the callers first.
fn astring(text: &str) -> Form {
    const SPECIALS: &[char] = &['(', ')', '{', ' ', '%', '*', '"', '\\', ']'];
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_graphic() && !SPECIALS.contains(&c)) {
        Form::Inline(text.to_string())
    } else if text.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        Form::Inline(format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")))
    } else {
        Form::Literal(text.as_bytes().to_vec())
    }
}

/// Refuses CR, LF and NUL in something that goes into a command.
pub fn one_line(what: &str, text: &str) -> ImapResult<()> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(ImapError::invalid(format!(
            "{what} contains CR, LF or NUL: '{}'",
            netscript_sdk::options::quote(text)
        )));
    }
    Ok(())
}

/// A capability as the server spells it.
fn capability_name(cap: &Capability<'_>) -> String {
    match cap {
        Capability::Imap4rev1 => "IMAP4rev1".into(),
        Capability::Auth(mech) => format!("AUTH={mech}"),
        Capability::Atom(atom) => atom.to_string(),
    }
}

/// A response code's name (`TRYCREATE`, `READ-ONLY` …) and the text, with a code that
/// imap-proto does not know (`[AUTHENTICATIONFAILED]`, Dovecot's) cut from the text.
pub fn code_and_text(code: Option<&ResponseCode<'_>>, information: Option<&str>) -> (Option<String>, String) {
    let text = information.unwrap_or("").trim().to_string();
    let known = code.map(|c| {
        match c {
            ResponseCode::Alert => "ALERT",
            ResponseCode::BadCharset(_) => "BADCHARSET",
            ResponseCode::Capabilities(_) => "CAPABILITY",
            ResponseCode::HighestModSeq(_) => "HIGHESTMODSEQ",
            ResponseCode::Parse => "PARSE",
            ResponseCode::PermanentFlags(_) => "PERMANENTFLAGS",
            ResponseCode::ReadOnly => "READ-ONLY",
            ResponseCode::ReadWrite => "READ-WRITE",
            ResponseCode::TryCreate => "TRYCREATE",
            ResponseCode::UidNext(_) => "UIDNEXT",
            ResponseCode::UidValidity(_) => "UIDVALIDITY",
            ResponseCode::Unseen(_) => "UNSEEN",
            ResponseCode::AppendUid(..) => "APPENDUID",
            ResponseCode::CopyUid(..) => "COPYUID",
            ResponseCode::UidNotSticky => "UIDNOTSTICKY",
            _ => "METADATA",
        }
        .to_string()
    });
    if known.is_some() {
        return (known, text);
    }
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((inside, after)) = rest.split_once(']') {
            let name = inside.split(' ').next().unwrap_or(inside).to_string();
            return (Some(name), after.trim().to_string());
        }
    }
    (None, text)
}

impl Session {
    /// A session over `wire`, before its greeting is read.
    pub fn new(wire: Wire, address: String) -> Session {
        Session {
            client: Some(async_imap::Client::new(wire)),
            next_tag: 1,
            address,
            caps: Vec::new(),
            last_ok: (None, String::new()),
            said_bye: false,
            appended: None,
        }
    }

    fn client(&mut self) -> ImapResult<&mut async_imap::Client<Wire>> {
        let address = &self.address;
        self.client.as_mut().ok_or_else(|| ImapError::Abort(format!("{address}: the connection is gone")))
    }

    /// Whether the server announced `name` (case-insensitive).
    pub fn has(&self, name: &str) -> bool {
        self.caps.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.client.as_ref().is_some_and(|c| c.get_ref().is_tls())
    }

    /// Where the reader stands when it stopped in the middle of a response.
    pub fn position(&self) -> Option<String> {
        self.client.as_ref().and_then(|c| c.get_ref().partial())
    }

    /// An abort for a read that failed during `command`, saying where the stream stood.
    fn abort(&self, command: &str, why: &str) -> ImapError {
        let position = self.client.as_ref().and_then(|c| c.get_ref().partial()).map(|p| format!(" ({p})"));
        ImapError::Abort(format!("{}: {why} during {command}{}", self.address, position.unwrap_or_default()))
    }

    /// Why a read failed, as an error: `TlsError`, or `IMAPAbort` saying where it stopped.
    fn read_failure(&self, command: &str, outcome: std::io::Result<()>) -> ImapError {
        let err = match outcome {
            Ok(()) => return self.abort(command, "the server closed the connection"),
            Err(err) => err,
        };
        if let Some(failure) = tls::failure_in(&err) {
            return ImapError::Host(CommonError::new(
                CommonKind::TlsError,
                PROTOCOL,
                tls::describe(failure, &self.address),
            ));
        }
        let why = if err.kind() == std::io::ErrorKind::UnexpectedEof {
            "the server closed the connection in the middle of a response".to_string()
        } else if let Some((_, raw)) = err.to_string().split_once(" during parsing of ") {
            // async-imap's parse error: the parser's state, then the buffer (as Rust escapes it).
            let line = raw.trim_matches('"').split("\\r\\n").next().unwrap_or("").to_string();
            let line: String = line.chars().take(120).collect();
            format!("a response netscript cannot read: {line}")
        } else {
            let mut why = err.to_string();
            if why.len() > 200 {
                let cut = (0..=200).rev().find(|i| why.is_char_boundary(*i)).unwrap_or(0);
                why.truncate(cut);
                why.push('…');
            }
            format!("unreadable response ({why})")
        };
        self.abort(command, &why)
    }

    /// The greeting: whether it was PREAUTH, and its text. Errors: `IMAPError` for a BYE
    /// greeting, `IMAPAbort` for anything else.
    pub async fn greeting(&mut self) -> ImapResult<(bool, String)> {
        let response = read_response!(self, "the greeting");
        let (status, outcome) = match response.parsed() {
            Response::Data { status, outcome } => (status, outcome),
            _ => return Err(self.abort("the greeting", "a response that is no greeting")),
        };
        if let Some(ResponseCode::Capabilities(caps)) = &outcome.code {
            self.caps = caps.iter().map(capability_name).collect();
        }
        let (_, text) = code_and_text(outcome.code.as_ref(), outcome.information.as_deref());
        match status {
            Status::Ok => Ok((false, text)),
            Status::PreAuth => Ok((true, text)),
            Status::Bye => {
                Err(ImapError::Refused { command: "the connection".into(), status: "BYE", code: None, text })
            }
            _ => Err(self.abort("the greeting", "a greeting that is neither OK nor PREAUTH")),
        }
    }

    /// Writes a command; returns its tag. A literal is sent as LITERAL+ (`{n+}`) when the
    /// server offers it, else after the server's `+`.
    pub async fn send(&mut self, command: &str, parts: &[Arg<'_>]) -> ImapResult<String> {
        let tag = format!("A{:04}", self.next_tag);
        self.next_tag += 1;
        let literal_plus = self.has("LITERAL+");
        let mut line = tag.as_bytes().to_vec();
        let mut shown = tag.clone();
        for part in parts {
            line.push(b' ');
            shown.push(' ');
            let (form, secret) = match part {
                Arg::Raw(text) => (Form::Inline(text.to_string()), false),
                Arg::Str(text) => (astring(text), false),
                Arg::Mailbox(name) => (astring(&utf7::encode(name)), false),
                Arg::Bytes(bytes) => (Form::Literal(bytes.to_vec()), false),
                Arg::Secret(text) => (astring(text), true),
            };
            match form {
                Form::Inline(text) => {
                    line.extend_from_slice(text.as_bytes());
                    shown.push_str(if secret { "****" } else { &text });
                }
                Form::Literal(bytes) => {
                    let n = bytes.len();
                    if literal_plus {
                        line.extend_from_slice(format!("{{{n}+}}\r\n").as_bytes());
                    } else {
                        line.extend_from_slice(format!("{{{n}}}\r\n").as_bytes());
                        self.write(&line).await?;
                        line.clear();
                        self.continuation(&tag, command).await?;
                    }
                    line.extend_from_slice(&bytes);
                    shown.push_str(&if secret { "****".to_string() } else { format!("{{{n}}} [{n} bytes]") });
                }
            }
        }
        line.extend_from_slice(b"\r\n");
        self.write(&line).await?;
        trace::sent(PROTOCOL, &shown);
        Ok(tag)
    }

    async fn write(&mut self, bytes: &[u8]) -> ImapResult<()> {
        let address = self.address.clone();
        let stream = self.client()?.get_mut();
        let written = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        written.await.map_err(|e| ImapError::Abort(format!("{address}: the connection broke while sending: {e}")))
    }

    /// Waits for the server's `+` (before a literal). Errors: `IMAPError` when it refuses
    /// the command instead.
    async fn continuation(&mut self, tag: &str, command: &str) -> ImapResult<()> {
        loop {
            let response = read_response!(self, command);
            if let Response::Continue(_) = response.parsed() {
                return Ok(());
            }
            if let Judged::Done = self.judge(response.parsed(), tag, command)? {
                return Err(self.abort(command, "an OK where a '+' was due"));
            }
        }
    }

    /// What a response means for the command `tag`: its end (tagged OK, stored in
    /// `last_ok`), or something untagged. Errors: `IMAPError` for a tagged NO/BAD,
    /// `IMAPAbort` for a BYE (outside LOGOUT) or another command's tag.
    fn judge(&mut self, response: &Response<'_>, tag: &str, command: &str) -> ImapResult<Judged> {
        match response {
            Response::Done { tag: done, status, outcome } if done.0 == tag => {
                let (code, text) = code_and_text(outcome.code.as_ref(), outcome.information.as_deref());
                if let Some(ResponseCode::Capabilities(caps)) = &outcome.code {
                    self.caps = caps.iter().map(capability_name).collect();
                }
                match status {
                    Status::Ok => {
                        self.appended = outcome.code.as_ref().and_then(crate::response::append_uid);
                        self.last_ok = (code, text);
                        Ok(Judged::Done)
                    }
                    Status::No => Err(ImapError::Refused { command: command.into(), status: "NO", code, text }),
                    Status::Bad => Err(ImapError::Refused { command: command.into(), status: "BAD", code, text }),
                    _ => Err(self.abort(command, "a tagged status that is neither OK, NO nor BAD")),
                }
            }
            Response::Done { tag: other, .. } => {
                Err(self.abort(command, &format!("a reply tagged {} (the command was {tag})", other.0)))
            }
            Response::Data { status: Status::Bye, outcome } => {
                self.said_bye = true;
                if command == "LOGOUT" {
                    return Ok(Judged::Untagged);
                }
                let text = outcome.information.as_deref().unwrap_or("").to_string();
                Err(ImapError::Abort(format!("{} said BYE during {command}: {text}", self.address)))
            }
            Response::Capabilities(caps) => {
                self.caps = caps.iter().map(capability_name).collect();
                Ok(Judged::Untagged)
            }
            _ => Ok(Judged::Untagged),
        }
    }

    /// The next response of command `tag`: `Got::Done` at its tagged OK, else what
    /// `convert` makes of the untagged response. Errors: as [`Session::judge`]; a `+` where
    /// none was due is `IMAPAbort`.
    pub async fn next<T>(
        &mut self,
        tag: &str,
        command: &str,
        convert: &mut impl FnMut(&Response<'_>) -> Option<T>,
    ) -> ImapResult<Got<T>> {
        let response = read_response!(self, command);
        if let Response::Continue(_) = response.parsed() {
            return Err(self.abort(command, "a '+' where no literal was sent"));
        }
        Ok(match self.judge(response.parsed(), tag, command)? {
            Judged::Done => Got::Done,
            Judged::Untagged => match convert(response.parsed()) {
                Some(item) => Got::Item(item),
                None => Got::Other,
            },
        })
    }

    /// The next response of an IDLE or AUTHENTICATE, where a `+` is due: `Got::More`.
    pub async fn next_step<T>(
        &mut self,
        tag: &str,
        command: &str,
        convert: &mut impl FnMut(&Response<'_>) -> Option<T>,
    ) -> ImapResult<Got<T>> {
        let response = read_response!(self, command);
        if let Response::Continue(_) = response.parsed() {
            return Ok(Got::More);
        }
        Ok(match self.judge(response.parsed(), tag, command)? {
            Judged::Done => Got::Done,
            Judged::Untagged => match convert(response.parsed()) {
                Some(item) => Got::Item(item),
                None => Got::Other,
            },
        })
    }

    /// Writes a line that is no tagged command (`DONE`, an AUTHENTICATE answer), traced as
    /// `shown`.
    pub async fn send_line(&mut self, line: &str, shown: &str) -> ImapResult<()> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        trace::sent(PROTOCOL, shown);
        Ok(())
    }

    /// Sends a command and reads it to its end: what `convert` makes of its untagged
    /// responses.
    pub async fn call<T>(
        &mut self,
        command: &str,
        parts: &[Arg<'_>],
        mut convert: impl FnMut(&Response<'_>) -> Option<T>,
    ) -> ImapResult<Vec<T>> {
        let tag = self.send(command, parts).await?;
        let mut items = Vec::new();
        loop {
            match self.next(&tag, command, &mut convert).await? {
                Got::Done => return Ok(items),
                Got::Item(item) => items.push(item),
                Got::More | Got::Other => {}
            }
        }
    }

    /// A command whose untagged responses do not matter.
    pub async fn run(&mut self, command: &str, parts: &[Arg<'_>]) -> ImapResult<()> {
        self.call(command, parts, |_| None::<()>).await.map(drop)
    }

    /// CAPABILITY, stored in `caps`.
    pub async fn refresh_capabilities(&mut self) -> ImapResult<()> {
        self.run("CAPABILITY", &[Arg::Raw("CAPABILITY")]).await
    }

    /// STARTTLS, the handshake, and CAPABILITY again (what was offered before TLS is
    /// forgotten, RFC 3501 §6.2.1).
    pub async fn starttls(
        &mut self,
        config: Arc<netscript_sdk::tls::rustls::ClientConfig>,
        host: &str,
    ) -> ImapResult<()> {
        if self.is_tls() {
            return Err(ImapError::NotSupported(format!("{}: the connection is TLS already", self.address)));
        }
        if !self.has("STARTTLS") {
            return Err(ImapError::NotSupported(format!("{} does not offer STARTTLS", self.address)));
        }
        self.run("STARTTLS", &[Arg::Raw("STARTTLS")]).await?;
        let client = self.client.take().ok_or_else(|| self.abort("STARTTLS", "the connection is gone"))?;
        let stream = client.into_inner().into_stream().upgrade(PROTOCOL, config, host).await?;
        self.client = Some(async_imap::Client::new(Wire::new(stream)));
        self.caps.clear();
        self.refresh_capabilities().await
    }
}

/// What a response is to the command being run.
enum Judged {
    Done,
    Untagged,
}

/// A response to the command being run.
pub enum Got<T> {
    /// Its tagged OK.
    Done,
    /// An untagged response, converted.
    Item(T),
    /// An untagged response the conversion passed over.
    Other,
    /// The server's `+` (IDLE, AUTHENTICATE).
    More,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_go_as_atoms_quoted_or_literals() {
        let inline = |s: &str| match astring(s) {
            Form::Inline(t) => t,
            Form::Literal(_) => "literal".into(),
        };
        assert_eq!(inline("INBOX"), "INBOX");
        assert_eq!(inline("Sent Items"), "\"Sent Items\"");
        assert_eq!(inline("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(inline(""), "\"\"");
        assert_eq!(inline("pässword"), "literal");
    }

    #[test]
    fn unknown_response_codes_are_cut_from_the_text() {
        assert_eq!(
            code_and_text(None, Some("[AUTHENTICATIONFAILED] Authentication failed.")),
            (Some("AUTHENTICATIONFAILED".into()), "Authentication failed.".into())
        );
        assert_eq!(
            code_and_text(Some(&ResponseCode::TryCreate), Some("no such mailbox")).0.as_deref(),
            Some("TRYCREATE")
        );
        assert_eq!(code_and_text(None, Some("plain text")), (None, "plain text".into()));
        assert!(one_line("mailbox", "a\r\nb").is_err());
    }
}
