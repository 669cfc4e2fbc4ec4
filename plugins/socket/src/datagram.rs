//! Datagram sockets shared by UDP and Unix-domain datagrams: one `Arc` per socket, so a
//! handle is a cheap clone; sends and receives need no lock (each datagram is whole), and
//! `close()` from any clone wakes every waiting call.

use crate::error::{SocketError, SocketResult, PROTOCOL};
use crate::net::{self, Lifetime, Limit, TimeoutCell, DEFAULT_TIMEOUT};
use crate::raw::Endpoint;
use netscript_sdk::prelude::*;
use socket2::SockRef;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The largest datagram a receive takes (UDP's limit is 65,507 bytes over IPv4).
pub const MAX_DATAGRAM: usize = 65536;

/// Where a datagram goes.
#[derive(Clone, Debug)]
pub enum Destination {
    /// An IP address and port.
    Ip(SocketAddr),
    /// A Unix socket path.
    Path(PathBuf),
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(addr) => write!(f, "{addr}"),
            Self::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The OS socket under a datagram handle.
#[derive(Debug)]
pub enum RawDatagram {
    /// UDP.
    Udp(tokio::net::UdpSocket),
    /// Unix domain, datagram type.
    Unix(tokio::net::UnixDatagram),
}

impl RawDatagram {
    fn try_send_to(&self, data: &[u8], to: &Destination) -> io::Result<usize> {
        let n = match (self, to) {
            (Self::Udp(s), Destination::Ip(addr)) => s.try_send_to(data, *addr)?,
            (Self::Unix(s), Destination::Path(path)) => s.try_send_to(data, path)?,
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "address of the wrong family")),
        };
        netscript_sdk::trace::payload(PROTOCOL, true, &data[..n]);
        Ok(n)
    }

    fn try_send(&self, data: &[u8]) -> io::Result<usize> {
        let n = match self {
            Self::Udp(s) => s.try_send(data)?,
            Self::Unix(s) => s.try_send(data)?,
        };
        netscript_sdk::trace::payload(PROTOCOL, true, &data[..n]);
        Ok(n)
    }

    fn try_recv_from(&self, buf: &mut Vec<u8>) -> io::Result<(usize, Endpoint)> {
        let got = match self {
            Self::Udp(s) => s.try_recv_buf_from(buf).map(|(n, a)| (n, Endpoint::Ip(a)))?,
            Self::Unix(s) => s.try_recv_buf_from(buf).map(|(n, a)| (n, Endpoint::of_unix(&a)))?,
        };
        netscript_sdk::trace::payload(PROTOCOL, false, buf);
        Ok(got)
    }

    async fn readable(&self) -> io::Result<()> {
        match self {
            Self::Udp(s) => s.readable().await,
            Self::Unix(s) => s.readable().await,
        }
    }

    async fn writable(&self) -> io::Result<()> {
        match self {
            Self::Udp(s) => s.writable().await,
            Self::Unix(s) => s.writable().await,
        }
    }

    /// The socket, for options and binding.
    pub fn sock(&self) -> SockRef<'_> {
        match self {
            Self::Udp(s) => SockRef::from(s),
            Self::Unix(s) => SockRef::from(s),
        }
    }

    /// This end's address.
    pub fn local(&self) -> Endpoint {
        match self {
            Self::Udp(s) => s.local_addr().map_or(Endpoint::Path(None), Endpoint::Ip),
            Self::Unix(s) => s.local_addr().map_or(Endpoint::Path(None), |a| Endpoint::of_unix(&a)),
        }
    }
}

/// One datagram socket, shared by every clone of its handle.
pub struct DatagramCore {
    sock: RwLock<Option<Arc<RawDatagram>>>,
    peer: RwLock<Option<Destination>>,
    /// Closed flag and wake-up signal.
    pub life: Lifetime,
    /// `settimeout`'s value.
    pub timeout: TimeoutCell,
}

impl DatagramCore {
    /// Wraps a socket.
    pub fn new(sock: RawDatagram, limit: Limit) -> Self {
        Self {
            sock: RwLock::new(Some(Arc::new(sock))),
            peer: RwLock::new(None),
            life: Lifetime::default(),
            timeout: TimeoutCell::new(limit),
        }
    }

    /// The socket, or `ConnectionClosed` once closed.
    pub fn raw(&self, what: &str) -> SocketResult<Arc<RawDatagram>> {
        let guard = self.sock.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| SocketError::closed(what))
    }

    fn limit(&self) -> Option<Duration> {
        self.timeout.effective(Some(DEFAULT_TIMEOUT))
    }

    /// The address `connect` fixed, if any.
    pub fn peer(&self) -> Option<Destination> {
        self.peer.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// This end's address (after an implicit bind, the one the OS picked).
    pub fn local(&self) -> Endpoint {
        self.raw("getsockname").map_or(Endpoint::Path(None), |raw| raw.local())
    }

    /// Sends one datagram to `to`; returns the byte count.
    pub fn send_to(&self, data: &[u8], to: &Destination) -> SocketResult<usize> {
        let raw = self.raw("sendto")?;
        let context = || format!("sendto {to}");
        match raw.try_send_to(data, to) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(SocketError::io(context(), e)),
        }
        net::wait("sendto", self.limit(), &self.life, async {
            loop {
                raw.writable().await.map_err(|e| SocketError::io(context(), e))?;
                match raw.try_send_to(data, to) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(SocketError::io(context(), e)),
                }
            }
        })
    }

    /// Sends one datagram to the connected peer.
    pub fn send(&self, data: &[u8]) -> SocketResult<usize> {
        let raw = self.raw("send")?;
        let Some(peer) = self.peer() else {
            return Err(SocketError::invalid(
                "send: the datagram socket is not connected (use sendto, or connect first)",
            ));
        };
        let context = || format!("send to {peer}");
        match raw.try_send(data) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(SocketError::io(context(), e)),
        }
        net::wait("send", self.limit(), &self.life, async {
            loop {
                raw.writable().await.map_err(|e| SocketError::io(context(), e))?;
                match raw.try_send(data) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(SocketError::io(context(), e)),
                }
            }
        })
    }

    /// Receives one datagram (cut to `n` bytes) and its sender.
    pub fn recv_from(&self, n: usize) -> SocketResult<(Vec<u8>, Endpoint)> {
        let raw = self.raw("recvfrom")?;
        let n = n.min(MAX_DATAGRAM);
        let mut buf = Vec::with_capacity(n);
        match raw.try_recv_from(&mut buf) {
            Ok((_, from)) => return Ok((buf, from)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(SocketError::io("recvfrom", e)),
        }
        net::wait("recvfrom", self.limit(), &self.life, async {
            loop {
                raw.readable().await.map_err(|e| SocketError::io("recvfrom", e))?;
                match raw.try_recv_from(&mut buf) {
                    Ok((_, from)) => return Ok((std::mem::take(&mut buf), from)),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(SocketError::io("recvfrom", e)),
                }
            }
        })
    }

    /// Fixes the peer: `send`/`recv` then talk to it only.
    pub fn connect(&self, to: Destination) -> SocketResult<()> {
        let raw = self.raw("connect")?;
        let result = match (&*raw, &to) {
            (RawDatagram::Udp(s), Destination::Ip(addr)) => SockRef::from(s).connect(&(*addr).into()),
            (RawDatagram::Unix(s), Destination::Path(path)) => s.connect(path),
            _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "address of the wrong family")),
        };
        result.map_err(|e| SocketError::io(format!("connect to {to}"), e))?;
        *self.peer.write().unwrap_or_else(|p| p.into_inner()) = Some(to);
        Ok(())
    }

    /// Binds the socket to `addr` (`context` names it in errors).
    pub fn bind(&self, addr: &socket2::SockAddr, context: &str) -> SocketResult<()> {
        let raw = self.raw("bind")?;
        raw.sock().bind(addr).map_err(|e| SocketError::io(context.to_string(), e))
    }

    /// Closes the socket; every clone sees it closed.
    pub fn close(&self) {
        self.life.close();
        self.sock.write().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// A script handle type backed by a [`DatagramCore`].
pub trait Datagram: Clone + Send + Sync + 'static {
    /// The type name scripts see.
    const TYPE: &'static str;
    /// A line of script that opens one, for the doc examples.
    const OPEN: &'static str;
    /// The shared socket.
    fn core(&self) -> &DatagramCore;
}

/// `#{ data, host, port }` (UDP) or `#{ data, path }` (Unix).
pub fn datagram_map(data: Vec<u8>, from: &Endpoint) -> Map {
    let mut map = Map::new();
    map.insert("data".into(), Dynamic::from_blob(data));
    match from {
        Endpoint::Ip(addr) => {
            map.insert("host".into(), addr.ip().to_string().into());
            map.insert("port".into(), Dynamic::from_int(INT::from(addr.port())));
        }
        Endpoint::Path(p) => {
            map.insert("path".into(), p.clone().map_or(Dynamic::UNIT, Dynamic::from));
        }
    }
    map
}

/// `UdpSocket(127.0.0.1:5353)`, `UdpSocket(127.0.0.1:5353 -> 127.0.0.1:53)`.
pub fn describe(type_name: &str, core: &DatagramCore) -> String {
    if core.life.is_closed() {
        return format!("{type_name}(closed)");
    }
    let local = match core.local().to_string() {
        text if text.is_empty() || text.ends_with(":0") => "unbound".to_string(),
        text => text,
    };
    match core.peer() {
        Some(peer) => format!("{type_name}({local} -> {peer})"),
        None => format!("{type_name}({local})"),
    }
}

/// Registers the methods every datagram type has (not `sendto`, whose address differs).
pub fn register_datagram_methods<D: Datagram>(m: &mut ModuleBuilder) {
    let t = D::TYPE;
    let open = D::OPEN;
    let doc = |summary: &str, body: &str, errors: &str| {
        format!("{summary}\n\n```rhai\n{open}\n{body}\n```\n\nErrors: {errors}")
    };
    let from = if t == "UdpSocket" {
        "`#{ data, host, port }`"
    } else {
        "`#{ data, path }` (`path` is `()` for an unnamed sender)"
    };
    m.method(
        "recvfrom",
        &["n"],
        &doc(
            &format!("Receives one datagram on a `{t}` (cut to `n` bytes) and its sender: {from}. Waits at most the socket's timeout (default 30 s; `settimeout(())` for a server that waits without limit)."),
            "let msg = sock.recvfrom(65535);\nprint(msg.data.len());",
            "`Timeout`, `ConnectionClosed` when closed, `InvalidArgument` for a negative `n`.",
        ),
        |d: &mut D, n: INT| -> ScriptResult<Map> {
            let n = net::byte_count(n, "recvfrom").map_err(script_error)?;
            d.core()
                .recv_from(n)
                .map(|(data, from)| datagram_map(data, &from))
                .map_err(script_error)
        },
    );
    m.method(
        "recv",
        &["n"],
        &doc(
            &format!("Receives one datagram's data on a `{t}` (cut to `n` bytes)."),
            "let data = sock.recv(65535);",
            "`Timeout`, `ConnectionClosed` when closed, `InvalidArgument` for a negative `n`.",
        ),
        |d: &mut D, n: INT| -> ScriptResult<Blob> {
            let n = net::byte_count(n, "recv").map_err(script_error)?;
            d.core().recv_from(n).map(|(data, _)| data).map_err(script_error)
        },
    );
    m.method(
        "send",
        &["data"],
        &doc(
            &format!("Sends a blob as one datagram to the peer fixed by `connect` on a `{t}`; returns the byte count."),
            "sock.send(\"ping\".to_blob());",
            "`InvalidArgument` when not connected, `IoError` (too long, or nobody listening), `ConnectionClosed` when closed.",
        ),
        |d: &mut D, data: Blob| -> ScriptResult<INT> {
            d.core().send(&data).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "send",
        &["text"],
        &doc(
            &format!("Sends a string as one datagram to the connected peer of a `{t}`."),
            "sock.send(\"ping\");",
            "`InvalidArgument` when not connected, `IoError`, `ConnectionClosed` when closed.",
        ),
        |d: &mut D, text: ImmutableString| -> ScriptResult<INT> {
            d.core().send(text.as_bytes()).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "settimeout",
        &["seconds"],
        &doc(
            &format!("Sets how long calls on a `{t}` may wait, in seconds (default 30); `()` waits without limit."),
            "sock.settimeout(());",
            "`InvalidArgument` for zero, a negative number or a non-number.",
        ),
        |d: &mut D, value: Dynamic| -> ScriptResult<()> {
            let limit = net::parse_limit(&value).map_err(script_error)?;
            d.core().timeout.set(limit);
            Ok(())
        },
    );
    m.method(
        "gettimeout",
        &[],
        &doc(&format!("The timeout of a `{t}` in seconds, or `()` for none."), "print(sock.gettimeout());", "none."),
        |d: &mut D| -> Dynamic { d.core().timeout.script_value(Some(DEFAULT_TIMEOUT)) },
    );
    m.method(
        "close",
        &[],
        &doc(&format!("Closes a `{t}`; waiting calls fail with `ConnectionClosed`."), "sock.close();", "none."),
        |d: &mut D| d.core().close(),
    );
    m.getter("closed", &doc(&format!("Whether the `{t}` was closed."), "print(sock.closed);", "none."), |d: &mut D| {
        d.core().life.is_closed()
    });
    m.getter(
        "local_addr",
        &doc(&format!("This end of a `{t}` as text."), "print(sock.local_addr);", "none."),
        |d: &mut D| d.core().local().to_string(),
    );
    m.getter(
        "port",
        &doc(&format!("The local port of a `{t}` (0 for Unix sockets)."), "print(sock.port);", "none."),
        |d: &mut D| d.core().local().port(),
    );
    m.method(
        "getsockname",
        &[],
        &doc(&format!("Python's `getsockname()` on a `{t}`."), "print(sock.getsockname());", "none."),
        |d: &mut D| d.core().local().script_value(),
    );
    m.pure_method("to_string", &[], &doc(&format!("The `{t}` as text."), "print(sock);", "none."), |d: &mut D| {
        describe(D::TYPE, d.core())
    });
    m.pure_method(
        "to_debug",
        &[],
        &doc(&format!("The `{t}` as text, for `debug()`."), "debug(sock);", "none."),
        |d: &mut D| describe(D::TYPE, d.core()),
    );
}
