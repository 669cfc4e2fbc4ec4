//! `Pop3Client`: one POP3 session (RFC 1939, STLS from RFC 2595, CAPA from RFC 2449) in
//! poplib's shape. Each command runs under the connection's `timeout`; a `-ERR` is
//! `POP3Error` and the session goes on; a closed connection, a reply that is not POP3 or a
//! timeout ends it, and every later call says so.

use crate::error::{Pop3Error, Pop3Result, PROTOCOL};
use crate::md5;
use netscript_sdk::error::{CommonError, CommonKind};
use netscript_sdk::secret::Secret;
use netscript_sdk::stream::Stream;
use netscript_sdk::tls::{self, TlsMode, Trust};
use netscript_sdk::tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use netscript_sdk::{host, net, runtime, trace};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The longest reply line read (RFC 1939 allows 512 bytes; messages' lines may be longer).
const MAX_LINE: u64 = 1 << 20;

/// How to reach a server (`pop3::connect`'s options).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server's name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` (STLS at once) or `implicit`.
    pub tls: TlsMode,
    /// `ca_file` / `insecure`.
    pub trust: Trust,
    /// The limit on connecting, then on each command.
    pub timeout: Duration,
}

/// What is known without waiting for a command in flight.
#[derive(Clone, Debug, Default)]
struct Known {
    welcome: String,
    tls: bool,
    ended: Option<String>,
    /// Whether CAPA listed PIPELINING (asked once, when first needed).
    pipelining: Option<bool>,
}

struct Session {
    stream: Option<BufReader<Stream>>,
    address: String,
}

struct Inner {
    settings: Settings,
    known: Mutex<Known>,
    session: netscript_sdk::tokio::sync::Mutex<Option<Session>>,
}

/// A POP3 connection (script type `Pop3Client`): a cheap handle, its clones share one
/// session.
#[derive(Clone)]
pub struct Pop3Client {
    inner: Arc<Inner>,
}

/// Refuses CR, LF and NUL in a command argument.
pub fn one_line(what: &str, text: &str) -> Pop3Result<()> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(Pop3Error::invalid(format!("{what} contains CR, LF or NUL")));
    }
    Ok(())
}

impl Session {
    fn stream(&mut self) -> Pop3Result<&mut BufReader<Stream>> {
        let address = &self.address;
        self.stream.as_mut().ok_or_else(|| Pop3Error::Protocol(format!("{address}: the connection is gone")))
    }

    fn closed(&self, during: &str) -> Pop3Error {
        Pop3Error::Host(CommonError::new(
            CommonKind::ConnectionClosed,
            PROTOCOL,
            format!("{} closed the connection during {during}", self.address),
        ))
    }

    fn io_failure(&self, during: &str, err: &std::io::Error) -> Pop3Error {
        if let Some(failure) = tls::failure_in(err) {
            return Pop3Error::Host(CommonError::new(
                CommonKind::TlsError,
                PROTOCOL,
                tls::describe(failure, &self.address),
            ));
        }
        Pop3Error::Host(CommonError::from_io(PROTOCOL, &format!("{} during {during}", self.address), err))
    }

    /// One line (with its line end), or `None` at the end of the stream.
    async fn line(&mut self, during: &str, buf: &mut Vec<u8>) -> Pop3Result<bool> {
        buf.clear();
        let stream = self.stream()?;
        let read = (&mut *stream).take(MAX_LINE).read_until(b'\n', buf).await;
        match read {
            Ok(0) => Ok(false),
            Ok(_) if !buf.ends_with(b"\n") && buf.len() as u64 >= MAX_LINE => {
                Err(Pop3Error::Protocol(format!("{}: a line of more than 1 MiB during {during}", self.address)))
            }
            Ok(_) if !buf.ends_with(b"\n") => Err(self.closed(during)),
            Ok(_) => Ok(true),
            Err(err) => Err(self.io_failure(during, &err)),
        }
    }

    /// A status line: the text after `+OK`. Errors: `POP3Error` for `-ERR`, `ProtocolError`
    /// for anything else, `ConnectionClosed`.
    async fn status(&mut self, command: &str) -> Pop3Result<String> {
        let mut buf = Vec::new();
        if !self.line(command, &mut buf).await? {
            return Err(self.closed(command));
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\r', '\n']);
        trace::received(PROTOCOL, line);
        if let Some(text) = line.strip_prefix("+OK") {
            Ok(text.trim_start().to_string())
        } else if let Some(text) = line.strip_prefix("-ERR") {
            Err(Pop3Error::Refused { command: command.to_string(), text: text.trim_start().to_string() })
        } else {
            let shown: String = line.chars().take(80).collect();
            Err(Pop3Error::Protocol(format!("{}: '{shown}' is no POP3 reply (to {command})", self.address)))
        }
    }

    /// Sends `line` (traced as `shown`) and reads its status line.
    async fn command(&mut self, line: &str, shown: &str) -> Pop3Result<String> {
        let address = self.address.clone();
        let stream = self.stream()?;
        let sent = async {
            stream.write_all(format!("{line}\r\n").as_bytes()).await?;
            stream.flush().await
        };
        sent.await
            .map_err(|e| Pop3Error::Host(CommonError::from_io(PROTOCOL, &format!("{address}: sending {shown}"), &e)))?;
        trace::sent(PROTOCOL, shown);
        let verb = shown.split(' ').next().unwrap_or(shown);
        self.status(verb).await
    }

    /// Writes several commands in one write (RFC 2449 PIPELINING), each traced.
    async fn send_lines(&mut self, lines: &[String]) -> Pop3Result<()> {
        let address = self.address.clone();
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        let stream = self.stream()?;
        let sent = async {
            stream.write_all(&bytes).await?;
            stream.flush().await
        };
        sent.await.map_err(|e| Pop3Error::Host(CommonError::from_io(PROTOCOL, &format!("{address}: sending"), &e)))?;
        for line in lines {
            trace::sent(PROTOCOL, line);
        }
        Ok(())
    }

    /// The body of a multi-line reply up to its `.` line, dot-unstuffed, line ends as sent.
    /// `lines` traces each line; else the trace shows a byte count.
    async fn multiline(&mut self, command: &str, lines: bool) -> Pop3Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut buf = Vec::new();
        loop {
            if !self.line(command, &mut buf).await? {
                return Err(self.closed(command));
            }
            if buf == b".\r\n" || buf == b".\n" {
                break;
            }
            let line = if buf.starts_with(b"..") { &buf[1..] } else { &buf[..] };
            if lines {
                trace::received(PROTOCOL, String::from_utf8_lossy(line).trim_end_matches(['\r', '\n']));
            }
            body.extend_from_slice(line);
        }
        if !lines {
            trace::received(PROTOCOL, &format!("[{} bytes]", body.len()));
        }
        trace::received(PROTOCOL, ".");
        Ok(body)
    }
}

impl Pop3Client {
    /// Connects, reads the greeting and, with `tls: "starttls"`, says STLS — all within the
    /// timeout.
    pub fn connect(settings: Settings) -> Pop3Result<Pop3Client> {
        let what = format!("connect to {}:{}", settings.host, settings.port);
        let s = settings.clone();
        let (session, welcome) = runtime::block_on_timeout(PROTOCOL, &what, settings.timeout, async move {
            let addrs = net::resolve_checked(PROTOCOL, &s.host, s.port).await?;
            let (tcp, _) = net::connect_addrs(PROTOCOL, &s.host, &addrs).await?;
            let implicit = match s.tls {
                TlsMode::Implicit => Some(tls::client_config(PROTOCOL, &s.trust)?),
                _ => None,
            };
            let stream = Stream::open(PROTOCOL, tcp, implicit.map(|c| (c, s.host.as_str()))).await?;
            let mut session =
                Session { stream: Some(BufReader::new(stream)), address: format!("{}:{}", s.host, s.port) };
            let welcome = session.status("the greeting").await?;
            if s.tls == TlsMode::StartTls {
                stls(&mut session, &s).await?;
            }
            Ok::<_, Pop3Error>((session, welcome))
        })
        .map_err(|e| match e.kind {
            CommonKind::Timeout if settings.tls != TlsMode::Implicit => Pop3Error::Host(CommonError::new(
                e.kind,
                PROTOCOL,
                format!("{} (no greeting in time; is it an implicit-TLS port? then tls: \"implicit\")", e.message),
            )),
            _ => Pop3Error::Host(e),
        })??;
        let tls = session.stream.as_ref().is_some_and(|s| s.get_ref().is_tls());
        Ok(Pop3Client {
            inner: Arc::new(Inner {
                settings,
                known: Mutex::new(Known { welcome, tls, ended: None, pipelining: None }),
                session: netscript_sdk::tokio::sync::Mutex::new(Some(session)),
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
    /// closes it.
    fn run<T>(&self, what: &str, op: impl AsyncFnOnce(&mut Session, &Settings) -> Pop3Result<T>) -> Pop3Result<T> {
        let mut guard = runtime::lock(PROTOCOL, &self.inner.session)?;
        let Some(session) = guard.as_mut() else {
            let why = self.known().ended.clone().unwrap_or_else(|| "it was closed".into());
            return Err(Pop3Error::Host(CommonError::new(
                CommonKind::ConnectionClosed,
                PROTOCOL,
                format!("not connected to {} ({why}): connect again with pop3::connect", self.address()),
            )));
        };
        let settings = &self.inner.settings;
        let outcome = runtime::block_on_timeout(PROTOCOL, what, settings.timeout, op(session, settings));
        self.settle(&mut guard, outcome)
    }

    /// A step's outcome; a failure that ends the session closes it.
    fn settle<T>(&self, guard: &mut Option<Session>, outcome: Result<Pop3Result<T>, CommonError>) -> Pop3Result<T> {
        let outcome = match outcome {
            Ok(result) => result,
            Err(common) => Err(Pop3Error::Host(common)),
        };
        match &outcome {
            Err(err) if err.ends_session() => {
                *guard = None;
                self.known().ended = Some(host().redact(&err.to_string()));
            }
            _ => {
                let tls = guard.as_ref().and_then(|s| s.stream.as_ref()).is_some_and(|s| s.get_ref().is_tls());
                self.known().tls = tls;
            }
        }
        outcome
    }

    /// The greeting's text.
    pub fn welcome(&self) -> String {
        self.known().welcome.clone()
    }
    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.known().tls
    }
    /// Whether the session is open.
    pub fn is_connected(&self) -> bool {
        self.known().ended.is_none()
    }

    /// A command with one status line: its text.
    pub fn simple(&self, line: &str) -> Pop3Result<String> {
        one_line("command", line)?;
        self.run(line, async |s, _| s.command(line, line).await)
    }

    /// USER.
    pub fn user(&self, name: &str) -> Pop3Result<String> {
        one_line("user", name)?;
        self.run("USER", async |s, _| s.command(&format!("USER {name}"), &format!("USER {name}")).await)
    }

    /// PASS (traced as `PASS ****`).
    pub fn pass(&self, password: &str) -> Pop3Result<String> {
        let password = Secret::new(password);
        one_line("password", password.expose()).map_err(|_| Pop3Error::invalid("password contains CR, LF or NUL"))?;
        self.run("PASS", async |s, _| s.command(&format!("PASS {}", password.expose()), "PASS ****").await)
    }

    /// APOP with the greeting's timestamp (traced as `APOP user ****`).
    pub fn apop(&self, user: &str, password: &str) -> Pop3Result<String> {
        one_line("user", user)?;
        let password = Secret::new(password);
        let welcome = self.welcome();
        let timestamp = welcome
            .find('<')
            .and_then(|start| welcome[start..].find('>').map(|end| &welcome[start..=start + end]))
            .ok_or_else(|| {
                Pop3Error::NotSupported(format!("{} offers no APOP (no <timestamp> in its greeting)", self.address()))
            })?;
        let digest = md5::hex_digest(format!("{timestamp}{}", password.expose()).as_bytes());
        self.run("APOP", async |s, _| s.command(&format!("APOP {user} {digest}"), &format!("APOP {user} ****")).await)
    }

    /// STLS, the handshake.
    pub fn stls(&self) -> Pop3Result<String> {
        self.run("STLS", async |s, settings| stls(s, settings).await)
    }

    /// A command with a multi-line answer (LIST, UIDL, CAPA, RETR n, TOP n m): its body.
    pub fn multiline(&self, line: &str, trace_lines: bool) -> Pop3Result<Vec<u8>> {
        self.run(line, async |s, _| {
            s.command(line, line).await?;
            s.multiline(line, trace_lines).await
        })
    }

    /// Whether the server pipelines (CAPA's PIPELINING), asked once.
    fn pipelining(&self) -> Pop3Result<bool> {
        if let Some(known) = self.known().pipelining {
            return Ok(known);
        }
        let capa = match self.multiline("CAPA", true) {
            Ok(body) => String::from_utf8_lossy(&body).lines().any(|l| l.trim().eq_ignore_ascii_case("PIPELINING")),
            Err(Pop3Error::Refused { .. }) => false,
            Err(err) => return Err(err),
        };
        self.known().pipelining = Some(capa);
        Ok(capa)
    }

    /// RETR of each of `numbers`, `each` called with every message as it arrives (between
    /// the waits, so it may do I/O of its own). With PIPELINING the RETRs go 32 at a time in
    /// one write. A `-ERR` for a message is raised after the batch it was in; a throw from
    /// `each` stops the calls after its batch and is returned.
    pub fn retr_each<E>(
        &self,
        numbers: &[u32],
        mut each: impl FnMut(u32, Vec<u8>) -> Result<(), E>,
    ) -> Pop3Result<Result<u64, E>> {
        let window = if self.pipelining()? { 32 } else { 1 };
        let limit = self.inner.settings.timeout;
        let mut guard = runtime::lock(PROTOCOL, &self.inner.session)?;
        let mut count = 0;
        let mut refused = None;
        for batch in numbers.chunks(window) {
            let lines: Vec<String> = batch.iter().map(|n| format!("RETR {n}")).collect();
            let sent = match guard.as_mut() {
                Some(session) => runtime::block_on_timeout(PROTOCOL, "RETR", limit, session.send_lines(&lines)),
                None => return Err(self.gone()),
            };
            self.settle(&mut guard, sent)?;
            let mut failed = None;
            for (&n, line) in batch.iter().zip(&lines) {
                let read = match guard.as_mut() {
                    Some(session) => runtime::block_on_timeout(PROTOCOL, "RETR", limit, async {
                        session.status("RETR").await?;
                        session.multiline(line, false).await
                    }),
                    None => return Err(self.gone()),
                };
                match self.settle(&mut guard, read) {
                    Ok(body) if failed.is_none() => match each(n, body) {
                        Ok(()) => count += 1,
                        Err(err) => failed = Some(err),
                    },
                    Ok(_) => {}
                    Err(err @ Pop3Error::Refused { .. }) => {
                        refused.get_or_insert(Pop3Error::Refused { command: line.clone(), text: err_text(&err) });
                    }
                    Err(err) => return Err(err),
                }
            }
            if let Some(err) = failed {
                return Ok(Err(err));
            }
            if let Some(err) = refused.take() {
                return Err(err);
            }
        }
        Ok(Ok(count))
    }

    fn gone(&self) -> Pop3Error {
        let why = self.known().ended.clone().unwrap_or_else(|| "it was closed".into());
        Pop3Error::Host(CommonError::new(
            CommonKind::ConnectionClosed,
            PROTOCOL,
            format!("not connected to {} ({why}): connect again with pop3::connect", self.address()),
        ))
    }

    /// QUIT; the session ends whatever the server says.
    pub fn quit(&self) -> Pop3Result<String> {
        let outcome = self.run("QUIT", async |s, _| s.command("QUIT", "QUIT").await);
        if let Ok(mut guard) = runtime::lock(PROTOCOL, &self.inner.session) {
            *guard = None;
        }
        let mut known = self.known();
        if known.ended.is_none() {
            known.ended = Some("quit() was called".into());
        }
        outcome
    }
}

/// STLS on an open session: the command, then the handshake over the same TCP stream.
async fn stls(session: &mut Session, settings: &Settings) -> Pop3Result<String> {
    if session.stream.as_ref().is_some_and(|s| s.get_ref().is_tls()) {
        return Err(Pop3Error::NotSupported(format!("{}: the connection is TLS already", session.address)));
    }
    let config = tls::client_config(PROTOCOL, &settings.trust)?;
    let text = session.command("STLS", "STLS").await?;
    let reader = session.stream.take().ok_or_else(|| session.closed("STLS"))?;
    // What the server sent before the handshake is dropped (RFC 2595 §4), not read after it.
    let stream = reader.into_inner().upgrade(PROTOCOL, config, &settings.host).await?;
    session.stream = Some(BufReader::new(stream));
    Ok(text)
}

/// The server's text of a refusal.
fn err_text(err: &Pop3Error) -> String {
    match err {
        Pop3Error::Refused { text, .. } => text.clone(),
        other => other.to_string(),
    }
}
