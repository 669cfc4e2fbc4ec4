//! `FtpClient`: one FTP session in ftplib's shape on suppaftp's async stream (tokio, rustls
//! through the SDK's trust rules). The plugin adds what the crate lacks: a time limit on
//! every command, the real code of replies it does not know (522, 534 …), EPSV falling back
//! to PASV, a check that a passive data address is the server's own (the FTP bounce), and
//! `--trace ftp` for the commands it sends and the replies it reads.
//!
//! A refusal (4xx/5xx) leaves the session usable; a lost connection, a reply that is no FTP,
//! a timeout or a 421 ends it, and the next call says so.

use crate::error::{FtpError, FtpResult, PROTOCOL};
use netscript_sdk::error::{CommonError, CommonKind};
use netscript_sdk::tls::{self, TlsMode, Trust};
use netscript_sdk::{host, net, runtime, trace};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::Mode;

/// How to reach a server (`ftp::connect`'s options).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server's name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `explicit` (AUTH TLS, PROT P) or `implicit`.
    pub tls: TlsMode,
    /// `ca_file` / `insecure`.
    pub trust: Trust,
    /// The limit on connecting, then on each command (each wait, in a transfer).
    pub timeout: Duration,
    /// Passive data connections (the default); active when false.
    pub passive: bool,
    /// EPSV first (the default), PASV when the server refuses it.
    pub epsv: bool,
}

/// What is known without waiting for a command in flight.
#[derive(Clone, Debug, Default)]
struct Known {
    welcome: String,
    ended: Option<String>,
}

/// The live session.
pub struct Session {
    /// suppaftp's stream.
    pub ftp: AsyncRustlsFtpStream,
    /// `host:port`.
    pub address: String,
    /// Whether EPSV was refused (PASV from then on).
    epsv_refused: bool,
    /// The connection's time limit (each wait of a transfer).
    pub timeout: Duration,
    /// The transfer type last set: ASCII (`TYPE A`) or not (`TYPE I`).
    pub ascii: Option<bool>,
}

struct Inner {
    settings: Settings,
    known: Mutex<Known>,
    session: tokio::sync::Mutex<Option<Session>>,
}

/// An FTP connection (script type `FtpClient`): a cheap handle, its clones share one session.
#[derive(Clone)]
pub struct FtpClient {
    inner: Arc<Inner>,
}

/// The reply code as the server sent it: the first three digits of its text (suppaftp makes
/// codes it does not know `Unknown`, 0).
pub fn reply_code(body: &[u8]) -> u32 {
    std::str::from_utf8(body.get(..3).unwrap_or_default()).ok().and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// A reply's text without its code, lines joined by `\n`.
pub fn reply_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .map(|l| if l.len() > 4 && l.as_bytes()[..3].iter().all(u8::is_ascii_digit) { &l[4..] } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A suppaftp failure as the plugin's error, during `command`.
pub fn failure(address: &str, command: &str, err: suppaftp::FtpError) -> FtpError {
    match err {
        suppaftp::FtpError::UnexpectedResponse(r) => {
            FtpError::Reply { command: command.to_string(), code: reply_code(&r.body), text: reply_text(&r.body) }
        }
        suppaftp::FtpError::BadResponse => FtpError::Proto(format!("{address}: a reply that is no FTP to {command}")),
        // suppaftp hands rustls's failure over as text: said in words here, as tls::describe
        // says it for the other protocols.
        suppaftp::FtpError::SecureError(why) => {
            let words = if why.contains("invalid peer certificate") {
                if why.contains("Expired") {
                    "the server's certificate has expired".to_string()
                } else if why.contains("NotValidForName") {
                    "the server's certificate is not for this host name: connect with a name it is for".to_string()
                } else {
                    "the server's certificate is not trusted (self-signed, or issued by a CA this machine does not \
                     know): pass its CA (or the certificate itself) as ca_file, or insecure: true"
                        .to_string()
                }
            } else if why.contains("corrupt message") || why.contains("InvalidContentType") {
                "the server did not answer in TLS: a plain port? then tls: \"explicit\" or \"none\"".to_string()
            } else {
                format!("TLS failed: {why}")
            };
            FtpError::common(CommonKind::TlsError, format!("{address}: {words}"))
        }
        suppaftp::FtpError::ConnectionError(io) => {
            if let Some(tls_failure) = tls::failure_in(&io) {
                return FtpError::common(CommonKind::TlsError, tls::describe(tls_failure, address));
            }
            let kind = match io.kind() {
                std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe => CommonKind::ConnectionClosed,
                std::io::ErrorKind::InvalidInput => CommonKind::InvalidArgument,
                // The passive-address check (an FTP bounce, or not allowed).
                std::io::ErrorKind::PermissionDenied => CommonKind::PermissionDenied,
                _ => CommonKind::of_io(&io),
            };
            FtpError::common(kind, format!("{address}: {command}: {io}"))
        }
        other => FtpError::Proto(format!("{address}: {command}: {other}")),
    }
}

/// Refuses CR, LF and NUL in a path or command.
pub fn one_line(what: &str, text: &str) -> FtpResult<()> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(FtpError::invalid(format!(
            "{what} contains CR, LF or NUL: '{}'",
            netscript_sdk::options::quote(text)
        )));
    }
    Ok(())
}

impl Session {
    /// Sends `line` (traced as `shown`) and reads its reply, whatever it is.
    pub async fn command(&mut self, line: &str, shown: &str) -> FtpResult<(u32, String)> {
        if line.len() >= 4 && line[..4].eq_ignore_ascii_case("TYPE") {
            self.ascii = None; // a raw TYPE: the type is no longer known
        }
        trace::sent(PROTOCOL, shown);
        let verb = shown.to_string();
        // No status is "expected": every reply comes back whole as UnexpectedResponse (a
        // status listed there would let suppaftp end a `211-`/`250-` multi-line reply at its
        // first line), and the plugin judges the code.
        let reply = match self.ftp.custom_command(line, &[]).await {
            Ok(reply) | Err(suppaftp::FtpError::UnexpectedResponse(reply)) => reply,
            Err(e) => return Err(failure(&self.address, &verb, e)),
        };
        let (code, text) = (reply_code(&reply.body), reply_text(&reply.body));
        for l in String::from_utf8_lossy(&reply.body).lines() {
            trace::received(PROTOCOL, l);
        }
        Ok((code, text))
    }

    /// A command that must answer `2xx` (or `3xx` when `more` is allowed).
    pub async fn expect(&mut self, line: &str, shown: &str, more: bool) -> FtpResult<(u32, String)> {
        let (code, text) = self.command(line, shown).await?;
        match code / 100 {
            2 => Ok((code, text)),
            3 if more => Ok((code, text)),
            _ => Err(FtpError::Reply { command: shown.to_string(), code, text }),
        }
    }

    /// Sets the data connection mode for the next transfer: EPSV unless refused before.
    pub fn data_mode(&mut self, settings: &Settings) {
        let mode = if !settings.passive {
            Mode::Active
        } else if settings.epsv && !self.epsv_refused {
            Mode::ExtendedPassive
        } else {
            Mode::Passive
        };
        self.ftp.set_mode(mode);
    }

    /// After a data command failed: whether it was EPSV being refused (then PASV is next).
    pub fn epsv_refused_now(&mut self, err: &FtpError) -> bool {
        let refused = matches!(err, FtpError::Reply { code: 500 | 501 | 502 | 522, .. });
        if refused && !self.epsv_refused {
            self.epsv_refused = true;
            return true;
        }
        false
    }
}

impl FtpClient {
    /// Connects (TLS at once with `implicit`), reads the greeting and, with `explicit`,
    /// says AUTH TLS, PBSZ 0 and PROT P — all within the timeout.
    pub fn connect(settings: Settings) -> FtpResult<FtpClient> {
        let what = format!("connect to {}:{}", settings.host, settings.port);
        let s = settings.clone();
        let session = runtime::block_on_timeout(PROTOCOL, &what, settings.timeout, async move {
            let address = format!("{}:{}", s.host, s.port);
            let addrs = net::resolve_checked(PROTOCOL, &s.host, s.port).await?;
            // One configuration, so one session cache: the data connections resume the
            // control connection's TLS session (servers may require it).
            let connector = || -> FtpResult<AsyncRustlsConnector> {
                let config = tls::client_config(PROTOCOL, &s.trust)?;
                Ok(AsyncRustlsConnector::from(tls::tokio_rustls::TlsConnector::from(config)))
            };
            let server_name = s.host.trim_start_matches('[').trim_end_matches(']').to_string();
            let mut ftp = match s.tls {
                TlsMode::Implicit => {
                    let connector = connector()?;
                    AsyncRustlsFtpStream::connect_secure_implicit(addrs[0], connector, &server_name)
                        .await
                        .map_err(|e| failure(&address, "the greeting", e))?
                }
                _ => {
                    let (tcp, _) = net::connect_addrs(PROTOCOL, &s.host, &addrs).await?;
                    AsyncRustlsFtpStream::connect_with_stream(tcp)
                        .await
                        .map_err(|e| failure(&address, "the greeting", e))?
                }
            };
            if let Some(welcome) = ftp.get_welcome_msg() {
                for line in welcome.lines() {
                    trace::received(PROTOCOL, line);
                }
            }
            if s.tls == TlsMode::StartTls {
                trace::sent(PROTOCOL, "AUTH TLS");
                ftp =
                    ftp.into_secure(connector()?, &server_name).await.map_err(|e| failure(&address, "AUTH TLS", e))?;
                trace::received(PROTOCOL, "(TLS; PBSZ 0, PROT P)");
            }
            // A passive data address must be the server's own (no FTP bounce), and allowed.
            let peer = addrs[0].ip();
            let host = s.host.clone();
            let ftp = ftp.passive_stream_builder(move |addr: SocketAddr| {
                let host = host.clone();
                Box::pin(async move {
                    let bounce = || {
                        suppaftp::FtpError::ConnectionError(std::io::Error::new(
                            std::io::ErrorKind::PermissionDenied,
                            format!("the data address {addr} is not {host}'s (an FTP bounce): refused"),
                        ))
                    };
                    if addr.ip().to_canonical() != peer.to_canonical() {
                        return Err(bounce());
                    }
                    net::check_addr(addr).map_err(|_| bounce())?;
                    tokio::net::TcpStream::connect(addr).await.map_err(suppaftp::FtpError::ConnectionError)
                })
            });
            Ok::<_, FtpError>(Session { ftp, address, epsv_refused: false, timeout: s.timeout, ascii: None })
        })
        .map_err(FtpError::Host)??;
        let welcome = session.ftp.get_welcome_msg().map(|w| reply_text(w.as_bytes())).unwrap_or_default();
        Ok(FtpClient {
            inner: Arc::new(Inner {
                settings,
                known: Mutex::new(Known { welcome, ended: None }),
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

    /// The greeting's text.
    pub fn welcome(&self) -> String {
        self.known().welcome.clone()
    }

    /// Whether the session is open.
    pub fn is_connected(&self) -> bool {
        self.known().ended.is_none()
    }

    /// Runs `op` on the live session within the timeout; a failure that ends the session
    /// closes it.
    pub fn run<T>(&self, what: &str, op: impl AsyncFnOnce(&mut Session, &Settings) -> FtpResult<T>) -> FtpResult<T> {
        self.run_within(what, self.inner.settings.timeout, op)
    }

    /// Runs a transfer: no limit on the whole (each wait has the timeout, in `transfer`).
    pub fn run_transfer<T>(
        &self,
        what: &str,
        op: impl AsyncFnOnce(&mut Session, &Settings) -> FtpResult<T>,
    ) -> FtpResult<T> {
        self.run_within(what, netscript_sdk::timeout::NO_LIMIT, op)
    }

    fn run_within<T>(
        &self,
        what: &str,
        limit: Duration,
        op: impl AsyncFnOnce(&mut Session, &Settings) -> FtpResult<T>,
    ) -> FtpResult<T> {
        let mut guard = runtime::lock(PROTOCOL, &self.inner.session)?;
        let Some(session) = guard.as_mut() else {
            let why = self.known().ended.clone().unwrap_or_else(|| "it was closed".into());
            return Err(FtpError::common(
                CommonKind::ConnectionClosed,
                format!("not connected to {} ({why}): connect again with ftp::connect", self.address()),
            ));
        };
        let settings = &self.inner.settings;
        let outcome = match runtime::block_on_timeout(PROTOCOL, what, limit, op(session, settings)) {
            Ok(result) => result,
            Err(common) => Err(FtpError::Host(common)),
        };
        if let Err(err) = &outcome {
            if err.ends_session() {
                *guard = None;
                self.known().ended = Some(host().redact(&err.to_string()));
            }
        }
        outcome
    }

    /// Ends the session (after QUIT, or without).
    pub fn close(&self, why: &str) {
        if let Ok(mut guard) = runtime::lock(PROTOCOL, &self.inner.session) {
            *guard = None;
        }
        let mut known = self.known();
        if known.ended.is_none() {
            known.ended = Some(why.to_string());
        }
    }
}

/// An error of a common kind for a local file.
pub fn file_error(what: &str, path: &std::path::Path, err: &std::io::Error) -> FtpError {
    FtpError::Host(CommonError::from_io(PROTOCOL, &format!("{what} {}", path.display()), err))
}
