//! `SmtpClient`: one SMTP session on lettre's low-level `AsyncSmtpConnection`, in smtplib's
//! shape. lettre frames the commands and replies and dot-stuffs the data; the plugin adds
//! what lettre hides or lacks: the greeting and the EHLO reply (`.greeting`, `.ehlo_resp`,
//! `.esmtp_features`), STARTTLS and implicit TLS with the SDK's trust rules, every command
//! under the call's time limit, per-recipient refusals, pipelining (RFC 2920) when the
//! server offers it, and SMTPUTF8 for non-ASCII addresses.
//!
//! A refusal (4xx/5xx) leaves the session usable, as in smtplib; a dropped connection, a
//! reply that is not SMTP, a timeout in the middle of an exchange or a 421 ends it, and the
//! next call says so (`SMTPServerDisconnected`).

use crate::envelope::{self, EnvelopeAddress};
use crate::error::{Reply, SmtpError, SmtpResult, PROTOCOL};
use crate::features::{self, Features};
use crate::wire::{Outgoing, Transport, Wire};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Auth, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter, RcptParameter};
use lettre::transport::smtp::response::Response;
use netscript_sdk::error::CommonError;
use netscript_sdk::secret::Secret;
use netscript_sdk::tls::{self, TlsMode, Trust};
use netscript_sdk::{net, runtime, trace};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How to reach a server (`smtp::connect`'s options).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server's name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` (upgraded right after the greeting) or `implicit`.
    pub tls: TlsMode,
    /// `ca_file` / `insecure`.
    pub trust: Trust,
    /// The limit on connecting, and then on each command.
    pub timeout: Duration,
    /// The name given in EHLO/HELO.
    pub local_hostname: String,
}

/// What the server said of itself, readable without waiting for a command in flight.
#[derive(Clone, Debug, Default)]
struct Known {
    greeting: Option<Reply>,
    ehlo_resp: Option<String>,
    helo_resp: Option<String>,
    does_esmtp: bool,
    features: Features,
    tls: bool,
    /// Why the session ended, once it has.
    ended: Option<String>,
}

/// The live connection.
struct Session {
    conn: AsyncSmtpConnection,
    wire: Wire,
}

struct Inner {
    settings: Settings,
    known: Mutex<Known>,
    session: tokio::sync::Mutex<Option<Session>>,
}

/// An SMTP client connection (script type `SmtpClient`): a cheap handle, its clones share
/// one session.
#[derive(Clone)]
pub struct SmtpClient {
    inner: Arc<Inner>,
}

/// A reply as the script sees it: `#{ code, message }`.
pub fn reply_map(reply: &Reply) -> netscript_sdk::rhai::Map {
    let mut map = netscript_sdk::rhai::Map::new();
    map.insert("code".into(), (i64::from(reply.code)).into());
    map.insert("message".into(), reply.message.clone().into());
    map
}

/// A lettre outcome as a reply (positive or negative), or the failure of the connection.
fn reply_or_failure(host: &str, outcome: Result<Response, lettre::transport::smtp::Error>) -> SmtpResult<Reply> {
    match outcome {
        Ok(response) => Ok(features::reply_of(&response)),
        Err(err) => match err.status() {
            Some(code) => Ok(Reply {
                code: features::code_number(&code),
                message: std::error::Error::source(&err).map(|s| s.to_string()).unwrap_or_default(),
            }),
            None => Err(connection_failure(host, &err)),
        },
    }
}

/// Why a read or write failed: closed (`SMTPServerDisconnected`), not SMTP
/// (`ProtocolError`), TLS (`TlsError`), or another I/O failure.
fn connection_failure(host: &str, err: &lettre::transport::smtp::Error) -> SmtpError {
    if let Some(failure) = tls::failure_in(err) {
        return SmtpError::Host(CommonError::new(
            netscript_sdk::error::CommonKind::TlsError,
            PROTOCOL,
            tls::describe(failure, host),
        ));
    }
    let io = {
        let mut next = std::error::Error::source(err);
        let mut found = None;
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                found = Some(io);
                break;
            }
            next = e.source();
        }
        found
    };
    match io {
        Some(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            SmtpError::Protocol(format!("{host} sent a reply that is not text: {io}"))
        }
        Some(io) => SmtpError::Disconnected(format!("connection to {host} lost: {io}")),
        None if err.is_response() && err.to_string().ends_with("incomplete response") => {
            SmtpError::Disconnected(format!("{host} closed the connection"))
        }
        None if err.is_response() => SmtpError::Protocol(format!("{host} sent a reply that is not SMTP ({err})")),
        None => SmtpError::Disconnected(format!("connection to {host}: {err}")),
    }
}

/// Refuses CR, LF and NUL in a command argument, and a value that is empty.
fn one_line(what: &str, text: &str) -> SmtpResult<()> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(SmtpError::invalid(format!(
            "{what} contains CR, LF or NUL: '{}'",
            netscript_sdk::options::quote(text)
        )));
    }
    Ok(())
}

/// Checks a name for EHLO/HELO (`what`: `local_hostname`, or the name given to `ehlo`).
pub fn check_hostname(what: &str, name: &str) -> SmtpResult<()> {
    one_line(what, name)?;
    if name.is_empty() || name.contains(' ') || name.len() > 255 {
        return Err(SmtpError::invalid(format!(
            "{what} '{}' is not a host name (no spaces, 1-255 characters)",
            netscript_sdk::options::quote(name)
        )));
    }
    Ok(())
}

/// The name this machine gives in EHLO when the script names none.
pub fn default_hostname() -> String {
    ClientId::default().to_string()
}

impl SmtpClient {
    /// Connects, reads the greeting, says EHLO and, with `tls: "starttls"`, upgrades the
    /// connection — all within the timeout.
    pub fn connect(settings: Settings) -> SmtpResult<SmtpClient> {
        check_hostname("local_hostname", &settings.local_hostname)?;
        let what = format!("connect to {}:{}", settings.host, settings.port);
        let s = settings.clone();
        let (session, known) = runtime::block_on_timeout(PROTOCOL, &what, settings.timeout, async move {
            let addrs = net::resolve_checked(PROTOCOL, &s.host, s.port).await?;
            let (tcp, peer) = net::connect_addrs(PROTOCOL, &s.host, &addrs).await?;
            let transport = match s.tls {
                TlsMode::Implicit => {
                    let config = tls::client_config(PROTOCOL, &s.trust)?;
                    Transport::Tls(Box::new(tls::handshake(PROTOCOL, config, &s.host, tcp).await?))
                }
                _ => Transport::Plain(tcp),
            };
            let wire = Wire::new(transport, peer);
            let hello = ClientId::Domain(s.local_hostname.clone());
            let opened = AsyncSmtpConnection::connect_with_transport(wire.reader(), &hello).await;
            let replies = features::replies_in(&wire.take_captured());
            let conn = match opened {
                Ok(conn) => conn,
                Err(err) => return Err(opening_failure(&s, &replies, &err)),
            };
            let (greeting, ehlo) = match (replies.first(), replies.get(1)) {
                (Some(g), Some(e)) => (g.clone(), e.clone()),
                _ => {
                    return Err(SmtpError::Protocol(format!(
                        "{}: the greeting and EHLO reply could not be read",
                        s.host
                    )))
                }
            };
            let known = Known {
                greeting: Some(greeting),
                ehlo_resp: Some(ehlo.message.clone()),
                does_esmtp: true,
                features: Features::from_ehlo(&ehlo),
                tls: wire.is_tls(),
                ..Known::default()
            };
            let mut session = Session { conn, wire };
            let mut known = known;
            if s.tls == TlsMode::StartTls {
                starttls(&s, &mut session, &mut known, &s.trust).await?;
            }
            Ok::<_, SmtpError>((session, known))
        })
        .map_err(|e| match e.kind {
            netscript_sdk::error::CommonKind::Timeout => SmtpError::Host(CommonError::new(
                e.kind,
                PROTOCOL,
                match settings.tls {
                    TlsMode::Implicit => format!("{} (no TLS handshake, greeting or EHLO reply in time)", e.message),
                    _ => format!(
                        "{} (no greeting or EHLO reply in time; is it an implicit-TLS port? then tls: \"implicit\")",
                        e.message
                    ),
                },
            )),
            _ => SmtpError::Host(e),
        })??;
        Ok(SmtpClient {
            inner: Arc::new(Inner {
                settings,
                known: Mutex::new(known),
                session: tokio::sync::Mutex::new(Some(session)),
            }),
        })
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        self.inner.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.inner.settings.host, self.inner.settings.port)
    }

    /// Runs `op` on the live session within the timeout; a failure that ends the session
    /// closes it. Errors: `SMTPServerDisconnected` when the session has ended.
    fn run<T>(&self, what: &str, op: impl AsyncFnOnce(&mut Session, &Settings) -> SmtpResult<T>) -> SmtpResult<T> {
        let mut guard = runtime::lock(PROTOCOL, &self.inner.session)?;
        let Some(session) = guard.as_mut() else {
            let why = self.known().ended.clone().unwrap_or_else(|| "it was closed".into());
            return Err(SmtpError::Disconnected(format!(
                "not connected to {} ({why}): connect again with smtp::connect",
                self.address()
            )));
        };
        let settings = &self.inner.settings;
        let outcome = match runtime::block_on_timeout(PROTOCOL, what, settings.timeout, op(session, settings)) {
            Ok(result) => result,
            Err(common) => Err(SmtpError::Host(common)),
        };
        if let Err(err) = &outcome {
            if err.ends_session() {
                *guard = None;
                self.known().ended = Some(netscript_sdk::host().redact(&err.to_string()));
            }
        }
        outcome
    }

    /// The greeting.
    pub fn greeting(&self) -> Option<Reply> {
        self.known().greeting.clone()
    }
    /// The text of the last EHLO reply.
    pub fn ehlo_resp(&self) -> Option<String> {
        self.known().ehlo_resp.clone()
    }
    /// The text of the last HELO reply.
    pub fn helo_resp(&self) -> Option<String> {
        self.known().helo_resp.clone()
    }
    /// Whether the server accepted EHLO.
    pub fn does_esmtp(&self) -> bool {
        self.known().does_esmtp
    }
    /// The extensions of the last EHLO reply.
    pub fn features(&self) -> Features {
        self.known().features.clone()
    }
    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.known().tls
    }
    /// Whether the session is still open.
    pub fn is_connected(&self) -> bool {
        self.known().ended.is_none()
    }

    /// EHLO (`name`, or the connection's `local_hostname`): the reply, and the extensions
    /// read from it. A refusal is returned, not raised (smtplib's `ehlo`).
    pub fn ehlo(&self, name: Option<&str>) -> SmtpResult<Reply> {
        let name = name.map(str::to_string).unwrap_or_else(|| self.inner.settings.local_hostname.clone());
        check_hostname("the EHLO name", &name)?;
        let reply = self.run("EHLO", async |session, s| {
            reply_or_failure(&s.host, session.conn.command(Ehlo::new(ClientId::Domain(name))).await)
        })?;
        let mut known = self.known();
        if reply.code / 100 == 2 {
            known.does_esmtp = true;
            known.features = Features::from_ehlo(&reply);
            known.ehlo_resp = Some(reply.message.clone());
        } else {
            known.does_esmtp = false;
            known.features = Features::default();
        }
        Ok(reply)
    }

    /// HELO: the reply (a refusal is returned, not raised). Afterwards no extension is
    /// known (`does_esmtp` is false).
    pub fn helo(&self, name: Option<&str>) -> SmtpResult<Reply> {
        let name = name.map(str::to_string).unwrap_or_else(|| self.inner.settings.local_hostname.clone());
        check_hostname("the HELO name", &name)?;
        let reply = self.run("HELO", async |session, s| {
            reply_or_failure(&s.host, session.conn.command(format!("HELO {name}\r\n")).await)
        })?;
        if reply.code / 100 == 2 {
            let mut known = self.known();
            known.does_esmtp = false;
            known.features = Features::default();
            known.helo_resp = Some(reply.message.clone());
        }
        Ok(reply)
    }

    /// STARTTLS, the handshake with the SDK's trust (`trust`, or the connection's), and
    /// EHLO again. Errors: `SMTPNotSupportedError` (not offered, or TLS already),
    /// `SMTPResponseException` (refused), `TlsError`.
    pub fn starttls(&self, trust: Option<Trust>) -> SmtpResult<Reply> {
        let mut known = self.known().clone();
        let trust = trust.unwrap_or_else(|| self.inner.settings.trust.clone());
        let reply = self.run("STARTTLS", async |session, s| starttls(s, session, &mut known, &trust).await)?;
        *self.known() = Known { ended: None, ..known };
        Ok(reply)
    }

    /// AUTH with the best mechanism both sides know (PLAIN, then LOGIN). Errors:
    /// `SMTPNotSupportedError` (no AUTH, or no mechanism in common),
    /// `SMTPAuthenticationError` (refused, with the server's code).
    pub fn login(&self, user: &str, password: &str) -> SmtpResult<Reply> {
        one_line("user", user)?;
        let password = Secret::new(password);
        one_line("password", password.expose()).map_err(|_| SmtpError::invalid("password contains CR, LF or NUL"))?;
        let known = self.known().clone();
        let offered = known.features.auth_mechanisms();
        if !known.features.has("auth") {
            let hint = if !known.tls && known.features.has("starttls") {
                " (it offers STARTTLS: call starttls() first, or connect with tls: \"starttls\")"
            } else {
                ""
            };
            return Err(SmtpError::NotSupported(format!(
                "{} does not offer AUTH (SMTP AUTH extension not supported by server){hint}",
                self.address()
            )));
        }
        let mechanism = if offered.iter().any(|m| m == "PLAIN") {
            Mechanism::Plain
        } else if offered.iter().any(|m| m == "LOGIN") {
            Mechanism::Login
        } else {
            return Err(SmtpError::NotSupported(format!(
                "no AUTH mechanism in common: {} offers {}, netscript speaks PLAIN and LOGIN",
                self.address(),
                offered.join(" ")
            )));
        };
        let credentials = Credentials::new(user.to_string(), password.expose().to_string());
        let user = user.to_string();
        self.run("AUTH", async |session, s| {
            session.wire.outgoing(Outgoing::Credentials);
            let outcome = authenticate(s, session, mechanism, &credentials).await;
            session.wire.outgoing(Outgoing::Clear);
            let reply = outcome?;
            // 503 "already authenticated" counts as success, as in smtplib.
            if reply.code / 100 == 2 || reply.code == 503 {
                Ok(reply)
            } else {
                Err(SmtpError::Authentication { user, reply })
            }
        })
    }

    /// One command (`NOOP`, `RSET`, `VRFY x`, …) and its reply, a refusal included.
    pub fn simple(&self, command: &str, argument: Option<&str>) -> SmtpResult<Reply> {
        one_line("command", command)?;
        if command.trim().is_empty() {
            return Err(SmtpError::invalid("the command is empty"));
        }
        let line = match argument {
            Some(arg) => {
                one_line(command, arg)?;
                format!("{command} {arg}\r\n")
            }
            None => format!("{command}\r\n"),
        };
        let what = command.split(' ').next().unwrap_or(command).to_ascii_uppercase();
        self.run(&what, async |session, s| reply_or_failure(&s.host, session.conn.command(line).await))
    }

    /// QUIT, then the session ends whatever the server answers.
    pub fn quit(&self) -> SmtpResult<Reply> {
        let reply = self.simple("QUIT", None);
        self.close("quit() was called");
        // What the server said of itself goes too, as smtplib's quit() forgets it.
        let mut known = self.known();
        known.features = Features::default();
        known.does_esmtp = false;
        known.ehlo_resp = None;
        known.helo_resp = None;
        reply
    }

    /// Ends the session without QUIT.
    pub fn close(&self, why: &str) {
        if let Ok(mut guard) = runtime::lock(PROTOCOL, &self.inner.session) {
            *guard = None;
        }
        let mut known = self.known();
        if known.ended.is_none() {
            known.ended = Some(why.to_string());
        }
    }

    /// smtplib's `sendmail`: the envelope (pipelined when the server offers PIPELINING),
    /// then the data. Returns the refused recipients; every one refused raises
    /// `SMTPRecipientsRefused`. Errors: `SMTPSenderRefused`, `SMTPDataError`,
    /// `SMTPNotSupportedError` (a non-ASCII address without SMTPUTF8).
    pub fn sendmail(
        &self,
        from: &EnvelopeAddress,
        to: &[EnvelopeAddress],
        data: &[u8],
        mail_options: &[(String, Option<String>)],
        rcpt_options: &[(String, Option<String>)],
    ) -> SmtpResult<Vec<(String, Reply)>> {
        let known = self.known().clone();
        let mut mail_params = Vec::new();
        if known.features.has("size") {
            mail_params.push(MailParameter::Size(data.len()));
        }
        if !from.is_ascii() || to.iter().any(|t| !t.is_ascii()) {
            if !known.features.has("smtputf8") {
                let who = std::iter::once(from).chain(to).find(|a| !a.is_ascii()).map(|a| a.given.clone());
                return Err(SmtpError::NotSupported(format!(
                    "{} does not offer SMTPUTF8, needed for the address {}",
                    self.address(),
                    who.unwrap_or_default()
                )));
            }
            mail_params.push(MailParameter::SmtpUtfEight);
        }
        if !data.is_ascii() && known.features.has("8bitmime") {
            mail_params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        mail_params
            .extend(mail_options.iter().map(|(k, v)| MailParameter::Other { keyword: k.clone(), value: v.clone() }));
        let rcpt_params: Vec<RcptParameter> =
            rcpt_options.iter().map(|(k, v)| RcptParameter::Other { keyword: k.clone(), value: v.clone() }).collect();
        let mail = Mail::new(from.address.clone(), mail_params).to_string();
        let rcpts: Vec<String> = to
            .iter()
            .map(|t| Rcpt::new(t.address.clone().expect("recipients are never null"), rcpt_params.clone()).to_string())
            .collect();
        let pipelining = known.features.has("pipelining");
        let body = envelope::data_lines(data);
        let sender = from.clone();
        let to = to.to_vec();
        self.run("sendmail", async |session, s| {
            let (mail_reply, rcpt_replies, data_reply) = if pipelining {
                // MAIL, every RCPT and DATA in one write; then every reply, in order.
                let mut all = mail.clone();
                for r in &rcpts {
                    all.push_str(r);
                }
                all.push_str("DATA\r\n");
                // A 421 (the server is closing) ends the reading: no other reply will come.
                let first = reply_or_failure(&s.host, session.conn.command(all).await)?;
                if first.code == 421 {
                    return Err(SmtpError::SenderRefused { sender: sender.given.clone(), reply: first });
                }
                let mut rest = Vec::with_capacity(rcpts.len());
                for _ in &rcpts {
                    rest.push(reply_or_failure(&s.host, session.conn.read_response().await)?);
                    if rest.last().is_some_and(|reply| reply.code == 421) {
                        return Err(SmtpError::RecipientsRefused(refused_of(&to, &rest)));
                    }
                }
                let data = reply_or_failure(&s.host, session.conn.read_response().await)?;
                (first, rest, Some(data))
            } else {
                let first = reply_or_failure(&s.host, session.conn.command(mail.clone()).await)?;
                if first.code / 100 != 2 {
                    (first, Vec::new(), None)
                } else {
                    let mut rest = Vec::with_capacity(rcpts.len());
                    for r in &rcpts {
                        rest.push(reply_or_failure(&s.host, session.conn.command(r.clone()).await)?);
                        if rest.last().is_some_and(|reply| reply.code == 421) {
                            return Err(SmtpError::RecipientsRefused(refused_of(&to, &rest)));
                        }
                    }
                    (first, rest, None)
                }
            };
            if mail_reply.code / 100 != 2 {
                if mail_reply.code != 421 {
                    rset(session).await;
                }
                return Err(SmtpError::SenderRefused { sender: sender.given.clone(), reply: mail_reply });
            }
            let refused = refused_of(&to, &rcpt_replies);
            let data_reply = match data_reply {
                Some(reply) => reply,
                None if refused.len() == to.len() => {
                    rset(session).await;
                    return Err(SmtpError::RecipientsRefused(refused));
                }
                None => reply_or_failure(&s.host, session.conn.command("DATA\r\n").await)?,
            };
            if refused.len() == to.len() {
                if data_reply.code == 354 {
                    // A server that took DATA with no recipient: end the (empty) data.
                    reply_or_failure(&s.host, session.conn.message(b"").await)?;
                }
                rset(session).await;
                return Err(SmtpError::RecipientsRefused(refused));
            }
            if data_reply.code != 354 {
                rset(session).await;
                return Err(SmtpError::Data { reply: data_reply });
            }
            trace::sent(PROTOCOL, &format!("[{} bytes of message data]", body.len() + 2));
            session.wire.outgoing(Outgoing::Data);
            let sent = session.conn.message(&body).await;
            session.wire.outgoing(Outgoing::Clear);
            let reply = reply_or_failure(&s.host, sent)?;
            if reply.code / 100 != 2 {
                rset(session).await;
                return Err(SmtpError::Data { reply });
            }
            Ok(refused)
        })
    }
}

/// The recipients whose RCPT was refused (neither 250 nor 251), with the replies.
fn refused_of(to: &[EnvelopeAddress], replies: &[Reply]) -> Vec<(String, Reply)> {
    to.iter()
        .zip(replies)
        .filter(|(_, reply)| reply.code != 250 && reply.code != 251)
        .map(|(t, reply)| (t.given.clone(), reply.clone()))
        .collect()
}

/// RSET after a refusal, so the session can go on; its own failure does not matter here.
async fn rset(session: &mut Session) {
    let _ = session.conn.command("RSET\r\n").await;
}

/// The AUTH exchange: the first line, then the answers to the server's 334 challenges.
async fn authenticate(
    s: &Settings,
    session: &mut Session,
    mechanism: Mechanism,
    credentials: &Credentials,
) -> SmtpResult<Reply> {
    let invalid = |e: lettre::transport::smtp::Error| SmtpError::invalid(format!("AUTH {mechanism}: {e}"));
    let first = Auth::new(mechanism, credentials.clone(), None).map_err(invalid)?;
    let mut outcome = session.conn.command(first).await;
    for _ in 0..10 {
        match &outcome {
            Ok(response) if response.has_code(334) => {
                let next = Auth::new_from_response(mechanism, credentials.clone(), response).map_err(invalid)?;
                outcome = session.conn.command(next).await;
            }
            _ => break,
        }
    }
    let reply = reply_or_failure(&s.host, outcome)?;
    if reply.code == 334 {
        return Err(SmtpError::Protocol(format!("{}: AUTH {mechanism} went on past 10 challenges", s.host)));
    }
    Ok(reply)
}

/// STARTTLS on an open session: the command, the SDK's handshake on the same TCP stream, a
/// fresh reader for lettre (what the server sent before the handshake is dropped, RFC 3207
/// §5), then EHLO again, whose extensions replace the old ones.
async fn starttls(s: &Settings, session: &mut Session, known: &mut Known, trust: &Trust) -> SmtpResult<Reply> {
    if known.tls {
        return Err(SmtpError::NotSupported(format!("{}:{}: the connection is TLS already", s.host, s.port)));
    }
    if !known.features.has("starttls") {
        return Err(SmtpError::NotSupported(format!(
            "{}:{} does not offer STARTTLS (STARTTLS extension not supported by server)",
            s.host, s.port
        )));
    }
    let config = tls::client_config(PROTOCOL, trust)?;
    let reply = reply_or_failure(&s.host, session.conn.command("STARTTLS\r\n").await)?;
    if reply.code != 220 {
        return Err(SmtpError::Refused { command: "STARTTLS".into(), reply });
    }
    let tcp = session
        .wire
        .take_plain()
        .ok_or_else(|| SmtpError::Disconnected(format!("{}: the connection is gone", s.host)))?;
    let secured = tls::handshake(PROTOCOL, config, &s.host, tcp).await?;
    session.wire.put_tls(secured);
    #[allow(deprecated)] // lettre's (only) way to give the connection a new stream
    let fresh = lettre::transport::smtp::client::AsyncNetworkStream::use_existing_tokio1(session.wire.reader());
    #[allow(deprecated)]
    session.conn.set_stream(fresh);
    known.tls = true;
    let hello = ClientId::Domain(s.local_hostname.clone());
    let ehlo = reply_or_failure(&s.host, session.conn.command(Ehlo::new(hello)).await)?;
    if ehlo.code / 100 != 2 {
        return Err(SmtpError::Helo { command: "EHLO", reply: ehlo });
    }
    known.features = Features::from_ehlo(&ehlo);
    known.ehlo_resp = Some(ehlo.message);
    known.does_esmtp = true;
    Ok(reply)
}

/// Why opening failed: the greeting refused (`SMTPConnectError`), EHLO refused
/// (`SMTPHeloError`), or the connection's own failure.
fn opening_failure(s: &Settings, replies: &[Reply], err: &lettre::transport::smtp::Error) -> SmtpError {
    let host = format!("{}:{}", s.host, s.port);
    match (replies.first(), replies.get(1)) {
        (Some(greeting), _) if greeting.code / 100 != 2 => SmtpError::Connect { host, reply: greeting.clone() },
        (Some(_), Some(ehlo)) if ehlo.code / 100 != 2 => SmtpError::Helo { command: "EHLO", reply: ehlo.clone() },
        _ => match connection_failure(&s.host, err) {
            SmtpError::Disconnected(_) if replies.is_empty() => {
                SmtpError::Disconnected(format!("{host} closed the connection before its greeting"))
            }
            other => other,
        },
    }
}
