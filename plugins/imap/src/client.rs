//! `ImapClient`: one IMAP session in imaplib's shape, with parsed results. Each call runs
//! its command to the tagged status within the connection's `timeout`; a refusal (NO, BAD)
//! is `IMAPError` and the session goes on; a broken connection, a BYE or a timeout in the
//! middle of a response is `IMAPAbort` (or `Timeout`), the session is over, and every later
//! call says so rather than read a half-consumed stream.
//!
//! `fetch_each` and `fetch_to` stream: one message is in memory at a time, the script's
//! closure (or the file) gets it as it arrives, and the time limit applies to each wait.

use crate::args::{self, Criterion};
use crate::error::{ImapError, ImapResult, PROTOCOL};
use crate::response;
use crate::session::{one_line, Arg, Got, Session};
use crate::wire::Wire;
use async_imap::imap_proto::Response;
use base64::Engine as _;
use netscript_sdk::error::{CommonError, CommonKind};
use netscript_sdk::rhai::{Array, Dynamic, Map, INT};
use netscript_sdk::secret::Secret;
use netscript_sdk::stream::Stream;
use netscript_sdk::tls::{self, TlsMode, Trust};
use netscript_sdk::{host, net, runtime};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

/// How to reach a server (`imap::connect`'s options).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server's name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` or `implicit`.
    pub tls: TlsMode,
    /// `ca_file` / `insecure`.
    pub trust: Trust,
    /// The limit on connecting, then on each command (each wait, when streaming).
    pub timeout: Duration,
}

/// What is known without waiting for a command in flight.
#[derive(Clone, Debug, Default)]
struct Known {
    welcome: String,
    capabilities: Vec<String>,
    tls: bool,
    selected: Option<String>,
    /// Why the session ended, once it has.
    ended: Option<String>,
}

struct Inner {
    settings: Settings,
    known: Mutex<Known>,
    session: tokio::sync::Mutex<Option<Session>>,
    /// The thread inside `fetch_each`'s closure, if any (a call from it would wait for itself).
    streaming: Mutex<Option<ThreadId>>,
}

/// An IMAP connection (script type `ImapClient`): a cheap handle, its clones share one
/// session.
#[derive(Clone)]
pub struct ImapClient {
    inner: Arc<Inner>,
}

/// What `fetch_to` wrote.
pub struct Saved {
    /// Messages written.
    pub count: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl ImapClient {
    /// Connects, reads the greeting, upgrades with STARTTLS when asked, and learns the
    /// capabilities — all within the timeout.
    pub fn connect(settings: Settings) -> ImapResult<ImapClient> {
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
            let mut session = Session::new(Wire::new(stream), format!("{}:{}", s.host, s.port));
            let (_, welcome) = session.greeting().await?;
            if session.caps.is_empty() {
                session.refresh_capabilities().await?;
            }
            if s.tls == TlsMode::StartTls {
                session.starttls(tls::client_config(PROTOCOL, &s.trust)?, &s.host).await?;
            }
            Ok::<_, ImapError>((session, welcome))
        })
        .map_err(|e| match e.kind {
            CommonKind::Timeout => ImapError::Host(CommonError::new(
                e.kind,
                PROTOCOL,
                match settings.tls {
                    TlsMode::Implicit => format!("{} (no TLS handshake or greeting in time)", e.message),
                    _ => format!(
                        "{} (no greeting in time; is it an implicit-TLS port? then tls: \"implicit\")",
                        e.message
                    ),
                },
            )),
            _ => ImapError::Host(e),
        })??;
        let known = Known { welcome, capabilities: session.caps.clone(), tls: session.is_tls(), ..Known::default() };
        Ok(ImapClient {
            inner: Arc::new(Inner {
                settings,
                known: Mutex::new(known),
                session: tokio::sync::Mutex::new(Some(session)),
                streaming: Mutex::new(None),
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

    fn refuse_reentry(&self) -> ImapResult<()> {
        let streaming = *self.inner.streaming.lock().unwrap_or_else(|e| e.into_inner());
        if streaming == Some(std::thread::current().id()) {
            return Err(ImapError::NotSupported(format!(
                "{}: this client is busy streaming (fetch_each); use a second connection inside the closure",
                self.address()
            )));
        }
        Ok(())
    }

    /// The session, or `IMAPAbort` saying why it ended.
    fn session<'a>(&self, guard: &'a mut Option<Session>) -> ImapResult<&'a mut Session> {
        match guard.as_mut() {
            Some(session) => Ok(session),
            None => {
                let why = self.known().ended.clone().unwrap_or_else(|| "it was closed".into());
                Err(ImapError::Abort(format!(
                    "not connected to {} ({why}): connect again with imap::connect",
                    self.address()
                )))
            }
        }
    }

    /// A failed step: a timeout in the middle of a response is `IMAPAbort`; a failure that
    /// ends the session closes it.
    fn settle<T>(&self, guard: &mut Option<Session>, outcome: Result<ImapResult<T>, CommonError>) -> ImapResult<T> {
        let outcome = match outcome {
            Ok(result) => result,
            Err(common) if common.kind == CommonKind::Timeout => match guard.as_ref().and_then(Session::position) {
                Some(position) => Err(ImapError::Abort(format!("{} ({position})", common.message))),
                None => Err(ImapError::Host(common)),
            },
            Err(common) => Err(ImapError::Host(common)),
        };
        let mut known = self.known();
        match &outcome {
            Err(err) if err.ends_session() => {
                *guard = None;
                known.ended = Some(host().redact(&err.to_string()));
            }
            _ => {
                if let Some(session) = guard.as_ref() {
                    known.capabilities.clone_from(&session.caps);
                    known.tls = session.is_tls();
                }
            }
        }
        outcome
    }

    /// Runs `op` on the live session within the timeout.
    fn run<T>(&self, what: &str, op: impl AsyncFnOnce(&mut Session) -> ImapResult<T>) -> ImapResult<T> {
        self.run_for(what, self.inner.settings.timeout, op)
    }

    fn run_for<T>(
        &self,
        what: &str,
        limit: Duration,
        op: impl AsyncFnOnce(&mut Session) -> ImapResult<T>,
    ) -> ImapResult<T> {
        self.refuse_reentry()?;
        let mut guard = runtime::lock(PROTOCOL, &self.inner.session)?;
        let session = self.session(&mut guard)?;
        let outcome = runtime::block_on_timeout(PROTOCOL, what, limit, op(session));
        self.settle(&mut guard, outcome)
    }

    /// The greeting's text.
    pub fn welcome(&self) -> String {
        self.known().welcome.clone()
    }
    /// The capabilities last announced.
    pub fn capabilities(&self) -> Vec<String> {
        self.known().capabilities.clone()
    }
    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.known().tls
    }
    /// Whether the session is open.
    pub fn is_connected(&self) -> bool {
        self.known().ended.is_none()
    }
    /// The selected mailbox.
    pub fn selected(&self) -> Option<String> {
        self.known().selected.clone()
    }

    /// LOGIN. Errors: `IMAPError` (refused, with the server's code and text; or LOGIN
    /// disabled before TLS).
    pub fn login(&self, user: &str, password: &str) -> ImapResult<()> {
        one_line("user", user)?;
        let password = Secret::new(password);
        one_line("password", password.expose()).map_err(|_| ImapError::invalid("password contains CR, LF or NUL"))?;
        if self.capabilities().iter().any(|c| c.eq_ignore_ascii_case("LOGINDISABLED")) {
            return Err(ImapError::NotSupported(format!(
                "{} refuses LOGIN on a clear connection (LOGINDISABLED): connect with tls: \"starttls\" or \"implicit\"",
                self.address()
            )));
        }
        self.run("LOGIN", async |s| {
            s.run("LOGIN", &[Arg::Raw("LOGIN"), Arg::Str(user), Arg::Secret(password.expose())]).await?;
            if s.last_ok.0.as_deref() != Some("CAPABILITY") {
                s.refresh_capabilities().await?;
            }
            Ok(())
        })
    }

    /// AUTHENTICATE PLAIN (in one line with SASL-IR, else after the server's `+`).
    pub fn authenticate_plain(&self, user: &str, password: &str) -> ImapResult<()> {
        let token = Secret::new(base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}")));
        let _password = Secret::new(password);
        if !self.capabilities().iter().any(|c| c.eq_ignore_ascii_case("AUTH=PLAIN")) {
            return Err(ImapError::NotSupported(format!("{} does not offer AUTH=PLAIN", self.address())));
        }
        let sasl_ir = self.capabilities().iter().any(|c| c.eq_ignore_ascii_case("SASL-IR"));
        self.run("AUTHENTICATE", async |s| {
            let tag = if sasl_ir {
                s.send("AUTHENTICATE", &[Arg::Raw("AUTHENTICATE PLAIN"), Arg::Secret(token.expose())]).await?
            } else {
                s.send("AUTHENTICATE", &[Arg::Raw("AUTHENTICATE PLAIN")]).await?
            };
            loop {
                match s.next_step(&tag, "AUTHENTICATE", &mut |_| None::<()>).await? {
                    Got::More => s.send_line(token.expose(), "****").await?,
                    Got::Done => break,
                    Got::Item(()) | Got::Other => {}
                }
            }
            if s.last_ok.0.as_deref() != Some("CAPABILITY") {
                s.refresh_capabilities().await?;
            }
            Ok(())
        })
    }

    /// CAPABILITY, asked again.
    pub fn capability(&self) -> ImapResult<Vec<String>> {
        self.run("CAPABILITY", async |s| {
            s.refresh_capabilities().await?;
            Ok(s.caps.clone())
        })
    }

    /// A command whose untagged responses are events (NOOP, CHECK): the events.
    pub fn poll(&self, command: &'static str) -> ImapResult<Array> {
        self.run(command, async |s| {
            let events = s.call(command, &[Arg::Raw(command)], response::event).await?;
            Ok(events.into_iter().map(Dynamic::from_map).collect())
        })
    }

    /// A command without results (CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE …) on `mailbox`.
    pub fn on_mailbox(&self, command: &'static str, mailbox: &str) -> ImapResult<()> {
        args::mailbox(mailbox)?;
        self.run(command, async |s| s.run(command, &[Arg::Raw(command), Arg::Mailbox(mailbox)]).await)
    }

    /// RENAME.
    pub fn rename(&self, from: &str, to: &str) -> ImapResult<()> {
        args::mailbox(from)?;
        args::mailbox(to)?;
        self.run("RENAME", async |s| s.run("RENAME", &[Arg::Raw("RENAME"), Arg::Mailbox(from), Arg::Mailbox(to)]).await)
    }

    /// LIST (or LSUB): `#{ name, flags, delimiter }` per mailbox.
    pub fn list(&self, command: &'static str, reference: &str, pattern: &str) -> ImapResult<Array> {
        one_line("reference", reference)?;
        one_line("pattern", pattern)?;
        self.run(command, async |s| {
            let parts = [Arg::Raw(command), Arg::Mailbox(reference), Arg::Mailbox(pattern)];
            let entries = s.call(command, &parts, response::list_entry).await?;
            Ok(entries.into_iter().map(Dynamic::from_map).collect())
        })
    }

    /// SELECT or EXAMINE: `#{ exists, recent, unseen, uidvalidity, uidnext, flags,
    /// permanent_flags, read_only }`.
    pub fn select(&self, mailbox: &str, read_only: bool) -> ImapResult<Map> {
        args::mailbox(mailbox)?;
        let command = if read_only { "EXAMINE" } else { "SELECT" };
        let result = self.run(command, async |s| {
            let mut map = Map::new();
            for key in ["exists", "recent"] {
                map.insert(key.into(), Dynamic::from_int(0));
            }
            for key in ["unseen", "uidvalidity", "uidnext"] {
                map.insert(key.into(), Dynamic::UNIT);
            }
            for key in ["flags", "permanent_flags"] {
                map.insert(key.into(), Dynamic::from_array(Array::new()));
            }
            let parts = [Arg::Raw(command), Arg::Mailbox(mailbox)];
            let outcome = s.call(command, &parts, |r| {
                response::selected_into(&mut map, r);
                None::<()>
            });
            if let Err(err) = outcome.await {
                return Ok(Err(err));
            }
            let ro = s.last_ok.0.as_deref() == Some("READ-ONLY");
            map.insert("read_only".into(), ro.into());
            Ok(Ok(map))
        })?;
        // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
        self.known().selected = result.as_ref().ok().map(|_| mailbox.to_string());
        result
    }

    /// STATUS with `items` (`["MESSAGES", "UNSEEN"]` or `"(MESSAGES UNSEEN)"`).
    pub fn status(&self, mailbox: &str, items: &Dynamic) -> ImapResult<Map> {
        args::mailbox(mailbox)?;
        let items = args::status_items(items)?;
        self.run("STATUS", async |s| {
            let parts = [Arg::Raw("STATUS"), Arg::Mailbox(mailbox), Arg::Raw(&items)];
            let found = s.call("STATUS", &parts, response::status_map).await?;
            Ok(found.into_iter().next().unwrap_or_default())
        })
    }

    /// SEARCH (or UID SEARCH): the ids, sorted. Non-ASCII text goes as UTF-8 literals with
    /// `CHARSET UTF-8`.
    pub fn search(&self, uid: bool, criteria: &Dynamic) -> ImapResult<Vec<u32>> {
        let pieces = args::criteria(criteria)?;
        let utf8 = pieces.iter().any(|p| matches!(p, Criterion::Text(t) if !t.is_ascii()));
        let mut parts = vec![Arg::Raw(if uid { "UID SEARCH" } else { "SEARCH" })];
        if utf8 {
            parts.push(Arg::Raw("CHARSET UTF-8"));
        }
        parts.extend(pieces.iter().map(|p| match p {
            Criterion::Raw(text) => Arg::Raw(text),
            Criterion::Text(text) => Arg::Str(text),
        }));
        self.run("SEARCH", async |s| {
            let found = s.call("SEARCH", &parts, |r| response::search_ids(r).map(<[u32]>::to_vec)).await?;
            let mut ids: Vec<u32> = found.into_iter().flatten().collect();
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        })
    }

    /// FETCH (or UID FETCH), every message's map at once.
    pub fn fetch(&self, uid: bool, ids: &Dynamic, items: &Dynamic) -> ImapResult<Array> {
        let set = args::id_set(ids)?;
        let items = args::fetch_items(items)?;
        let verb = if uid { "UID FETCH" } else { "FETCH" };
        self.run("FETCH", async |s| {
            let maps = s.call("FETCH", &[Arg::Raw(verb), Arg::Raw(&set), Arg::Raw(&items)], fetched_map).await?;
            Ok(maps.into_iter().map(Dynamic::from_map).collect())
        })
    }

    /// FETCH, calling `each` with every message's map as it arrives (outside any wait, so
    /// the closure may do I/O of its own). A closure that throws stops the calls; the rest
    /// of the reply is read and dropped, then its error is raised.
    pub fn fetch_each<E>(
        &self,
        uid: bool,
        ids: &Dynamic,
        items: &Dynamic,
        each: impl FnMut(Map) -> Result<(), E>,
    ) -> ImapResult<Result<u64, E>> {
        let set = args::id_set(ids)?;
        let items = args::fetch_items(items)?;
        let verb = if uid { "UID FETCH" } else { "FETCH" };
        self.stream(&set, verb, &items, fetched_map, each)
    }

    /// Streams a FETCH: `convert` makes each FETCH response owned while it is read, `each`
    /// gets it between the waits.
    fn stream<T, E>(
        &self,
        set: &str,
        verb: &str,
        items: &str,
        mut convert: impl FnMut(&Response<'_>) -> Option<T>,
        mut each: impl FnMut(T) -> Result<(), E>,
    ) -> ImapResult<Result<u64, E>> {
        self.refuse_reentry()?;
        let limit = self.inner.settings.timeout;
        let mut guard = runtime::lock(PROTOCOL, &self.inner.session)?;
        let sent = {
            let session = self.session(&mut guard)?;
            let parts = [Arg::Raw(verb), Arg::Raw(set), Arg::Raw(items)];
            runtime::block_on_timeout(PROTOCOL, "FETCH", limit, async move { session.send("FETCH", &parts).await })
        };
        let tag = self.settle(&mut guard, sent)?;
        let mut failed = None;
        let mut count = 0;
        loop {
            let step = {
                let session = self.session(&mut guard)?;
                runtime::block_on_timeout(PROTOCOL, "FETCH", limit, session.next(&tag, "FETCH", &mut convert))
            };
            let item = match self.settle(&mut guard, step)? {
                Got::Done => break,
                Got::Item(item) => item,
                Got::Other | Got::More => continue,
            };
            if failed.is_none() {
                *self.inner.streaming.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::thread::current().id());
                let outcome = each(item);
                *self.inner.streaming.lock().unwrap_or_else(|e| e.into_inner()) = None;
                match outcome {
                    Ok(()) => count += 1,
                    Err(err) => failed = Some(err),
                }
            }
        }
        Ok(match failed {
            Some(err) => Err(err),
            None => Ok(count),
        })
    }

    /// FETCH of whole messages into `dir`, one `<uid>.eml` each, each written to a temp
    /// file and renamed into place only once it arrived whole.
    pub fn fetch_to(&self, uid: bool, ids: &Dynamic, dir: &str) -> ImapResult<Saved> {
        let set = args::id_set(ids)?;
        let dir = host().check_write(Path::new(dir))?;
        std::fs::create_dir_all(&dir).map_err(|e| {
            ImapError::Host(CommonError::from_io(PROTOCOL, &format!("fetch_to: {}", dir.display()), &e))
        })?;
        let verb = if uid { "UID FETCH" } else { "FETCH" };
        let mut saved = Saved { count: 0, bytes: 0 };
        let whole = |r: &Response<'_>| match r {
            Response::Fetch(seq, attributes) => {
                let (uid, body) = response::fetched_body(attributes);
                Some((*seq, uid, body.map(<[u8]>::to_vec)))
            }
            _ => None,
        };
        let outcome = self.stream(&set, verb, "(UID BODY.PEEK[])", whole, |(seq, uid, body)| {
            let (Some(uid), Some(body)) = (uid, body) else {
                return Err(ImapError::Abort(format!("message {seq} came without its UID or body")));
            };
            let mut file = host().create_atomic(&dir.join(format!("{uid}.eml")))?;
            std::io::Write::write_all(&mut file, &body)
                .map_err(|e| ImapError::Host(CommonError::from_io(PROTOCOL, "fetch_to: write", &e)))?;
            file.commit()?;
            saved.count += 1;
            saved.bytes += body.len() as u64;
            Ok(())
        })?;
        outcome.map(|_| saved)
    }

    /// STORE (or UID STORE): the FETCH responses it gave (none with `.SILENT`).
    pub fn store(&self, uid: bool, ids: &Dynamic, mode: &str, flags: &Dynamic) -> ImapResult<Array> {
        let set = args::id_set(ids)?;
        let mode = args::store_mode(mode)?;
        let flags = args::flag_list(flags)?;
        let verb = if uid { "UID STORE" } else { "STORE" };
        self.run("STORE", async |s| {
            let parts = [Arg::Raw(verb), Arg::Raw(&set), Arg::Raw(&mode), Arg::Raw(&flags)];
            let maps = s.call("STORE", &parts, fetched_map).await?;
            Ok(maps.into_iter().map(Dynamic::from_map).collect())
        })
    }

    /// COPY (or UID COPY).
    pub fn copy(&self, uid: bool, ids: &Dynamic, mailbox: &str) -> ImapResult<()> {
        let set = args::id_set(ids)?;
        args::mailbox(mailbox)?;
        let verb = if uid { "UID COPY" } else { "COPY" };
        self.run("COPY", async |s| s.run("COPY", &[Arg::Raw(verb), Arg::Raw(&set), Arg::Mailbox(mailbox)]).await)
    }

    /// MOVE (or UID MOVE); without MOVE: COPY, STORE \Deleted and UID EXPUNGE of exactly
    /// those messages (UIDPLUS), never an EXPUNGE of other deleted messages.
    pub fn move_to(&self, uid: bool, ids: &Dynamic, mailbox: &str) -> ImapResult<()> {
        let set = args::id_set(ids)?;
        args::mailbox(mailbox)?;
        let address = self.address();
        self.run("MOVE", async |s| {
            if s.has("MOVE") {
                let verb = if uid { "UID MOVE" } else { "MOVE" };
                return s.run("MOVE", &[Arg::Raw(verb), Arg::Raw(&set), Arg::Mailbox(mailbox)]).await;
            }
            if !s.has("UIDPLUS") {
                return Err(ImapError::NotSupported(format!(
                    "{address} offers neither MOVE nor UIDPLUS: copy(), store \\Deleted and expunge() yourself"
                )));
            }
            let uids = if uid {
                set.clone()
            } else {
                let mut uids: Vec<String> = s
                    .call("FETCH", &[Arg::Raw("FETCH"), Arg::Raw(&set), Arg::Raw("(UID)")], |r| match r {
                        Response::Fetch(_, attributes) => response::fetched_body(attributes).0.map(|u| u.to_string()),
                        _ => None,
                    })
                    .await?;
                if uids.is_empty() {
                    return Ok(());
                }
                uids.sort();
                uids.join(",")
            };
            s.run("COPY", &[Arg::Raw("UID COPY"), Arg::Raw(&uids), Arg::Mailbox(mailbox)]).await?;
            s.run("STORE", &[Arg::Raw("UID STORE"), Arg::Raw(&uids), Arg::Raw("+FLAGS.SILENT (\\Deleted)")]).await?;
            s.run("EXPUNGE", &[Arg::Raw("UID EXPUNGE"), Arg::Raw(&uids)]).await
        })
    }

    /// APPEND: the message (raw bytes) into `mailbox`; `#{ uidvalidity, uid }` when the
    /// server says (UIDPLUS).
    pub fn append(
        &self,
        mailbox: &str,
        message: &[u8],
        flags: Option<String>,
        date: Option<String>,
    ) -> ImapResult<Option<Map>> {
        args::mailbox(mailbox)?;
        if message.is_empty() {
            return Err(ImapError::invalid("append: the message is empty"));
        }
        self.run("APPEND", async |s| {
            let mut parts = vec![Arg::Raw("APPEND"), Arg::Mailbox(mailbox)];
            if let Some(flags) = &flags {
                parts.push(Arg::Raw(flags));
            }
            if let Some(date) = &date {
                parts.push(Arg::Raw(date));
            }
            parts.push(Arg::Bytes(message));
            s.run("APPEND", &parts).await?;
            Ok(s.appended.take())
        })
    }

    /// UID EXPUNGE (UIDPLUS, RFC 4315): removes those of `ids` (UIDs) that are marked
    /// \Deleted, and no other message; the sequence numbers expunged, in the server's order.
    pub fn uid_expunge(&self, ids: &Dynamic) -> ImapResult<Array> {
        let set = args::id_set(ids)?;
        let address = self.address();
        self.run("UID EXPUNGE", async |s| {
            if !s.has("UIDPLUS") {
                return Err(ImapError::NotSupported(format!(
                    "{address} does not offer UIDPLUS (UID EXPUNGE): expunge() removes every \\Deleted message"
                )));
            }
            let expunged = s
                .call("EXPUNGE", &[Arg::Raw("UID EXPUNGE"), Arg::Raw(&set)], |r| match r {
                    Response::Expunge(n) => Some(Dynamic::from_int(INT::from(*n))),
                    _ => None,
                })
                .await?;
            Ok(expunged)
        })
    }

    /// EXPUNGE: the sequence numbers expunged, in the server's order.
    pub fn expunge(&self) -> ImapResult<Array> {
        self.run("EXPUNGE", async |s| {
            let expunged = s
                .call("EXPUNGE", &[Arg::Raw("EXPUNGE")], |r| match r {
                    Response::Expunge(n) => Some(Dynamic::from_int(INT::from(*n))),
                    _ => None,
                })
                .await?;
            Ok(expunged)
        })
    }

    /// IDLE for up to `wait`: the events that ended it, or `None` when nothing came.
    pub fn idle(&self, wait: Duration) -> ImapResult<Option<Array>> {
        if !self.capabilities().iter().any(|c| c.eq_ignore_ascii_case("IDLE")) {
            return Err(ImapError::NotSupported(format!("{} does not offer IDLE", self.address())));
        }
        let limit = wait.saturating_add(self.inner.settings.timeout);
        self.run_for("IDLE", limit, async |s| {
            let tag = s.send("IDLE", &[Arg::Raw("IDLE")]).await?;
            match s.next_step(&tag, "IDLE", &mut response::event).await? {
                Got::More => {}
                _ => return Err(ImapError::Abort(format!("{}: IDLE was not accepted with '+'", s.address))),
            }
            let mut events = Array::new();
            let deadline = tokio::time::Instant::now() + wait;
            while events.is_empty() {
                match tokio::time::timeout_at(deadline, s.next_step(&tag, "IDLE", &mut response::event)).await {
                    Err(_) => break,
                    Ok(step) => match step? {
                        Got::Item(event) => events.push(Dynamic::from_map(event)),
                        Got::More | Got::Other => {}
                        Got::Done => return Err(ImapError::Abort(format!("{}: IDLE ended without DONE", s.address))),
                    },
                }
            }
            s.send_line("DONE", "DONE").await?;
            loop {
                match s.next_step(&tag, "IDLE", &mut response::event).await? {
                    Got::Item(event) => events.push(Dynamic::from_map(event)),
                    Got::More | Got::Other => {}
                    Got::Done => break,
                }
            }
            Ok(if events.is_empty() { None } else { Some(events) })
        })
    }

    /// CLOSE (expunges and leaves the mailbox) or UNSELECT.
    pub fn close_mailbox(&self, command: &'static str) -> ImapResult<()> {
        let outcome = self.run(command, async |s| s.run(command, &[Arg::Raw(command)]).await);
        if outcome.is_ok() {
            self.known().selected = None;
        }
        outcome
    }

    /// LOGOUT; the session ends whatever the server says.
    pub fn logout(&self) -> ImapResult<()> {
        let outcome = self.run("LOGOUT", async |s| {
            let tag = s.send("LOGOUT", &[Arg::Raw("LOGOUT")]).await?;
            loop {
                match s.next(&tag, "LOGOUT", &mut |_| None::<()>).await {
                    Ok(Got::Done) => return Ok(()),
                    Ok(_) => {}
                    // The server may close right after its BYE.
                    Err(ImapError::Abort(_)) if s.said_bye => return Ok(()),
                    Err(err) => return Err(err),
                }
            }
        });
        if let Ok(mut guard) = runtime::lock(PROTOCOL, &self.inner.session) {
            *guard = None;
        }
        let mut known = self.known();
        known.selected = None;
        if known.ended.is_none() {
            known.ended = Some("logout() was called".into());
        }
        outcome
    }
}

/// A FETCH response as the script's map.
fn fetched_map(r: &Response<'_>) -> Option<Map> {
    match r {
        Response::Fetch(seq, attributes) => Some(response::fetch_map(*seq, attributes)),
        _ => None,
    }
}
