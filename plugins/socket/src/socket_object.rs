//! `socket::socket(family, type)`: the Python-shaped socket object — its state and what its
//! calls do; the script face is `socket_script.rs`.
//!
//! A `Socket` starts as a bare OS socket and becomes what the script makes of it: `bind`
//! then `listen` makes it a listener (`accept` returns a `TcpConnection` or
//! `UnixConnection`), `connect` makes it a connected stream, and a `SOCK_DGRAM` socket is
//! a datagram socket from the start. Each call is passed on to the same cores the short
//! forms (`tcp_connect`, `udp_bind`, …) use, so both behave alike.

use crate::datagram::{datagram_map, DatagramCore, Destination};
use crate::error::{SocketError, SocketResult};
use crate::net::{self, Family, Kind, Limit, TimeoutCell, DEFAULT_TIMEOUT};
use crate::raw::Endpoint;
use crate::stream::{ListenerCore, StreamCore};
use crate::tcp::{self, TcpConnection};
use crate::udp;
use crate::unix::{self, UnixConnection};
use netscript_sdk::prelude::*;
use socket2::{SockAddr, SockRef, Socket as OsSocket, Type};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// `socket::SOL_SOCKET`.
pub(crate) const SOL_SOCKET: INT = 1;
/// `socket::SO_REUSEADDR`.
pub(crate) const SO_REUSEADDR: INT = 2;
/// `socket::SO_BROADCAST`.
pub(crate) const SO_BROADCAST: INT = 6;
/// `socket::SO_SNDBUF`.
pub(crate) const SO_SNDBUF: INT = 7;
/// `socket::SO_RCVBUF`.
pub(crate) const SO_RCVBUF: INT = 8;
/// `socket::SO_KEEPALIVE`.
pub(crate) const SO_KEEPALIVE: INT = 9;
/// `socket::SO_REUSEPORT`.
pub(crate) const SO_REUSEPORT: INT = 15;
/// `socket::IPPROTO_TCP`.
pub(crate) const IPPROTO_TCP: INT = 6;
/// `socket::TCP_NODELAY`.
pub(crate) const TCP_NODELAY: INT = 1;
/// `socket::IPPROTO_IPV6`.
pub(crate) const IPPROTO_IPV6: INT = 41;
/// `socket::IPV6_V6ONLY`.
pub(crate) const IPV6_V6ONLY: INT = 26;

/// What the socket has become.
enum State {
    /// Created, perhaps bound: neither listening nor connected.
    Open(OsSocket),
    /// A `connect` is under way on another thread.
    Connecting,
    /// Listening (`listen`).
    Listening(Arc<ListenerCore>),
    /// A connected stream (`connect`).
    Connected(Arc<StreamCore>),
    /// A datagram socket.
    Datagram(Arc<DatagramCore>),
    /// Closed.
    Closed,
}

/// A copy of the state that can be used without holding the lock.
pub(crate) enum View {
    Open,
    Connecting,
    Listening(Arc<ListenerCore>),
    Connected(Arc<StreamCore>),
    Datagram(Arc<DatagramCore>),
    Closed,
}

struct SocketInner {
    family: Family,
    kind: Kind,
    state: Mutex<State>,
    timeout: TimeoutCell,
}

/// The Python-shaped socket (`socket::socket(AF_INET, SOCK_STREAM)`).
#[derive(Clone)]
pub struct Socket(Arc<SocketInner>);

pub(crate) fn not_connected(what: &str) -> SocketError {
    SocketError::Closed { what: what.into(), reason: "the socket is not connected" }
}

impl Socket {
    /// `socket::AF_*` of this socket.
    pub(crate) fn family_int(&self) -> INT {
        self.0.family.as_int()
    }

    /// `socket::SOCK_*` of this socket.
    pub(crate) fn kind_int(&self) -> INT {
        match self.0.kind {
            Kind::Stream => net::SOCK_STREAM,
            Kind::Datagram => net::SOCK_DGRAM,
        }
    }

    pub(crate) fn new(family: INT, kind: INT) -> SocketResult<Self> {
        let family = Family::from_int(family)?;
        let kind = Kind::from_int(kind)?;
        let state = match (family, kind) {
            (Family::Unix, Kind::Stream) => State::Open(unix::new_socket(Type::STREAM)?),
            (Family::Unix, Kind::Datagram) => {
                State::Datagram(Arc::new(unix::datagram_core(unix::new_socket(Type::DGRAM)?, Limit::Default)?))
            }
            (ip, Kind::Stream) => State::Open(tcp::new_socket(ip)?),
            (ip, Kind::Datagram) => {
                State::Datagram(Arc::new(udp::datagram_core(udp::new_socket(ip)?, Limit::Default)?))
            }
        };
        Ok(Self(Arc::new(SocketInner {
            family,
            kind,
            state: Mutex::new(state),
            timeout: TimeoutCell::new(Limit::Default),
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn view(&self) -> View {
        match &*self.state() {
            State::Open(_) => View::Open,
            State::Connecting => View::Connecting,
            State::Listening(c) => View::Listening(c.clone()),
            State::Connected(c) => View::Connected(c.clone()),
            State::Datagram(c) => View::Datagram(c.clone()),
            State::Closed => View::Closed,
        }
    }

    pub(crate) fn is_ip(&self) -> bool {
        self.0.family != Family::Unix
    }

    pub(crate) fn require_ip(&self, what: &str) -> SocketResult<()> {
        if self.is_ip() {
            Ok(())
        } else {
            Err(SocketError::invalid(format!(
                "{what}(host, port) needs an AF_INET or AF_INET6 socket; an AF_UNIX socket takes a path"
            )))
        }
    }

    pub(crate) fn require_unix(&self, what: &str) -> SocketResult<()> {
        if self.is_ip() {
            Err(SocketError::invalid(format!(
                "{what}(path) needs an AF_UNIX socket; {} takes a host and a port",
                self.0.family.name()
            )))
        } else {
            Ok(())
        }
    }

    /// The one address of `host:port` in this socket's family, permission-checked.
    pub(crate) fn ip_addr(&self, host: &str, port: INT, passive: bool) -> SocketResult<SocketAddr> {
        let port = net::port(port)?;
        let addrs = net::resolve_checked(host, port, Some(self.0.family), passive, Some(DEFAULT_TIMEOUT))?;
        addrs.first().copied().ok_or_else(|| SocketError::HostNotFound {
            host: host.into(),
            reason: format!("no {} address", self.0.family.name()),
        })
    }

    pub(crate) fn bind_addr(&self, addr: &SockAddr, context: &str) -> SocketResult<()> {
        match &*self.state() {
            State::Open(sock) => sock.bind(addr).map_err(|e| SocketError::io(context.to_string(), e)),
            State::Datagram(core) => core.bind(addr, context),
            State::Closed => Err(SocketError::closed("bind")),
            _ => Err(SocketError::invalid("bind: the socket is already listening or connected")),
        }
    }

    pub(crate) fn bind_ip(&self, host: &str, port: INT) -> SocketResult<()> {
        self.require_ip("bind")?;
        let addr = self.ip_addr(host, port, true)?;
        self.bind_addr(&addr.into(), &format!("bind {addr}"))
    }

    pub(crate) fn bind_path(&self, path: &str) -> SocketResult<()> {
        self.require_unix("bind")?;
        let path = unix::socket_path(path)?;
        unix::check_bind(&path)?;
        let addr = SockAddr::unix(&path).map_err(|e| SocketError::io(format!("bind {}", path.display()), e))?;
        self.bind_addr(&addr, &format!("bind {}", path.display()))
    }

    pub(crate) fn listen(&self, backlog: INT) -> SocketResult<()> {
        let backlog = i32::try_from(backlog)
            .ok()
            .filter(|b| (0..=65535).contains(b))
            .ok_or_else(|| SocketError::invalid(format!("listen: backlog {backlog} is outside 0-65535")))?;
        let mut state = self.state();
        match std::mem::replace(&mut *state, State::Closed) {
            State::Open(sock) => {
                let made = if self.is_ip() {
                    if let Some(addr) = sock.local_addr().ok().and_then(|a| a.as_socket()) {
                        netscript_sdk::net::check_addr(addr)?;
                    }
                    tcp::listen_socket(sock, backlog)
                } else {
                    unix::listen_socket(sock, backlog)
                };
                let core = made?;
                core.timeout.set(self.0.timeout.get());
                *state = State::Listening(Arc::new(core));
                Ok(())
            }
            other => {
                let err = match &other {
                    State::Listening(_) => None,
                    State::Closed => Some(SocketError::closed("listen")),
                    State::Datagram(_) => Some(SocketError::invalid("listen: a SOCK_DGRAM socket cannot listen")),
                    _ => Some(SocketError::invalid("listen: the socket is connected")),
                };
                *state = other;
                err.map_or(Ok(()), Err)
            }
        }
    }

    pub(crate) fn accept(&self) -> SocketResult<Dynamic> {
        let View::Listening(core) = self.view() else {
            return Err(match self.view() {
                View::Closed => SocketError::closed("accept"),
                _ => SocketError::invalid("accept: call listen() first"),
            });
        };
        let conn = core.accept()?;
        Ok(if self.is_ip() {
            Dynamic::from(TcpConnection(Arc::new(conn)))
        } else {
            Dynamic::from(UnixConnection(Arc::new(conn)))
        })
    }

    pub(crate) fn take_open(&self, what: &str) -> SocketResult<OsSocket> {
        let mut state = self.state();
        match std::mem::replace(&mut *state, State::Connecting) {
            State::Open(sock) => Ok(sock),
            other => {
                let err = match &other {
                    State::Closed => SocketError::closed(what),
                    State::Connecting => SocketError::invalid(format!("{what}: a connect is already under way")),
                    State::Listening(_) => SocketError::invalid(format!("{what}: the socket is listening")),
                    _ => SocketError::invalid(format!("{what}: the socket is already connected")),
                };
                *state = other;
                Err(err)
            }
        }
    }

    /// Ends a connect: the new state, or a fresh socket after a failure (a failed
    /// connect leaves the OS socket unusable).
    pub(crate) fn finish_connect(&self, result: SocketResult<StreamCore>) -> SocketResult<()> {
        let mut state = self.state();
        if !matches!(*state, State::Connecting) {
            // Closed while connecting.
            if let Ok(core) = &result {
                core.close();
            }
            return Err(SocketError::closed("connect"));
        }
        match result {
            Ok(core) => {
                *state = State::Connected(Arc::new(core));
                Ok(())
            }
            Err(e) => {
                let fresh = if self.is_ip() { tcp::new_socket(self.0.family) } else { unix::new_socket(Type::STREAM) };
                *state = fresh.map_or(State::Closed, State::Open);
                Err(e)
            }
        }
    }

    pub(crate) fn connect_ip(&self, host: &str, port: INT) -> SocketResult<()> {
        self.require_ip("connect")?;
        if let View::Datagram(core) = self.view() {
            let to = udp::destination(host, port, Some(self.0.family))?;
            return core.connect(to);
        }
        let addr = self.ip_addr(host, port, false)?;
        let sock = self.take_open("connect")?;
        let limit = self.0.timeout.effective(Some(DEFAULT_TIMEOUT));
        let result = (|| {
            sock.set_nonblocking(true).map_err(|e| SocketError::io("connect", e))?;
            let life = net::Lifetime::default();
            let stream = net::wait("connect", limit, &life, async {
                let socket = tokio::net::TcpSocket::from_std_stream(sock.into());
                socket.connect(addr).await.map_err(|e| SocketError::io(format!("connect to {addr}"), e))
            })?;
            tcp::stream_core(stream, self.0.timeout.get())
        })();
        self.finish_connect(result)
    }

    pub(crate) fn connect_path(&self, path: &str) -> SocketResult<()> {
        self.require_unix("connect")?;
        let path = unix::socket_path(path)?;
        if let View::Datagram(core) = self.view() {
            unix::check_connect(&path)?;
            return core.connect(Destination::Path(path));
        }
        let sock = self.take_open("connect")?;
        let result = unix::connect_socket(sock, &path, self.0.timeout.get());
        self.finish_connect(result)
    }

    pub(crate) fn stream(&self, what: &str) -> SocketResult<Arc<StreamCore>> {
        match self.view() {
            View::Connected(core) => Ok(core),
            View::Closed => Err(SocketError::closed(what)),
            _ => Err(not_connected(what)),
        }
    }

    pub(crate) fn send(&self, data: &[u8]) -> SocketResult<INT> {
        let sent = match self.view() {
            View::Datagram(core) => core.send(data)?,
            _ => self.stream("send")?.send(data)?,
        };
        Ok(sent as INT)
    }

    pub(crate) fn sendall(&self, data: &[u8]) -> SocketResult<()> {
        match self.view() {
            View::Datagram(core) => core.send(data).map(|_| ()),
            _ => self.stream("sendall")?.sendall(data),
        }
    }

    pub(crate) fn recv(&self, n: INT) -> SocketResult<Blob> {
        let n = net::byte_count(n, "recv")?;
        match self.view() {
            View::Datagram(core) => core.recv_from(n).map(|(data, _)| data),
            _ => self.stream("recv")?.recv(n),
        }
    }

    pub(crate) fn recv_text(&self, n: INT) -> SocketResult<String> {
        let n = net::byte_count(n, "recv_text")?;
        match self.view() {
            View::Datagram(core) => core.recv_from(n).map(|(data, _)| String::from_utf8_lossy(&data).into_owned()),
            _ => self.stream("recv_text")?.recv_text(n),
        }
    }

    pub(crate) fn read_line(&self, limit: INT) -> SocketResult<String> {
        let limit = net::byte_count(limit, "read_line")?;
        if limit == 0 {
            return Err(SocketError::invalid("read_line: limit must be at least 1"));
        }
        if let View::Datagram(_) = self.view() {
            return Err(SocketError::invalid("read_line needs a SOCK_STREAM socket"));
        }
        self.stream("read_line")?.read_line(limit)
    }

    pub(crate) fn datagram(&self, what: &str) -> SocketResult<Arc<DatagramCore>> {
        match self.view() {
            View::Datagram(core) => Ok(core),
            View::Closed => Err(SocketError::closed(what)),
            _ => Err(SocketError::invalid(format!("{what} needs a SOCK_DGRAM socket"))),
        }
    }

    pub(crate) fn sendto_ip(&self, data: &[u8], host: &str, port: INT) -> SocketResult<INT> {
        self.require_ip("sendto")?;
        let core = self.datagram("sendto")?;
        let to = udp::destination(host, port, Some(self.0.family))?;
        core.send_to(data, &to).map(|n| n as INT)
    }

    pub(crate) fn sendto_path(&self, data: &[u8], path: &str) -> SocketResult<INT> {
        self.require_unix("sendto")?;
        let core = self.datagram("sendto")?;
        let to = unix::destination(path)?;
        core.send_to(data, &to).map(|n| n as INT)
    }

    pub(crate) fn recvfrom(&self, n: INT) -> SocketResult<Map> {
        let n = net::byte_count(n, "recvfrom")?;
        match self.view() {
            View::Datagram(core) => core.recv_from(n).map(|(data, from)| datagram_map(data, &from)),
            _ => {
                let core = self.stream("recvfrom")?;
                let data = core.recv(n)?;
                Ok(datagram_map(data, &core.peer))
            }
        }
    }

    pub(crate) fn settimeout(&self, value: &Dynamic) -> SocketResult<()> {
        let limit = net::parse_limit(value)?;
        self.0.timeout.set(limit);
        match self.view() {
            View::Listening(core) => core.timeout.set(limit),
            View::Connected(core) => core.timeout.set(limit),
            View::Datagram(core) => core.timeout.set(limit),
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn gettimeout(&self) -> Dynamic {
        let default = match self.view() {
            View::Listening(_) => None,
            _ => Some(DEFAULT_TIMEOUT),
        };
        self.0.timeout.script_value(default)
    }

    pub(crate) fn shutdown(&self, how: INT) -> SocketResult<()> {
        self.stream("shutdown")?.shutdown(how)
    }

    pub(crate) fn close(&self) {
        let old = std::mem::replace(&mut *self.state(), State::Closed);
        match old {
            State::Listening(core) => core.close(),
            State::Connected(core) => core.close(),
            State::Datagram(core) => core.close(),
            State::Open(_) | State::Connecting | State::Closed => {}
        }
    }

    /// Runs `f` on the OS socket, whatever the state.
    pub(crate) fn with_sock<T>(&self, what: &str, f: impl FnOnce(SockRef<'_>) -> io::Result<T>) -> SocketResult<T> {
        let io_err = |e| SocketError::io(what.to_string(), e);
        match &*self.state() {
            State::Open(sock) => f(SockRef::from(sock)).map_err(io_err),
            State::Listening(core) => f(core.raw(what)?.sock()).map_err(io_err),
            State::Connected(core) => f(core.raw(what)?.sock()).map_err(io_err),
            State::Datagram(core) => f(core.raw(what)?.sock()).map_err(io_err),
            State::Connecting => Err(SocketError::invalid(format!("{what}: a connect is under way"))),
            State::Closed => Err(SocketError::closed(what)),
        }
    }

    pub(crate) fn setsockopt(&self, level: INT, option: INT, value: &Dynamic) -> SocketResult<()> {
        let n = if let Ok(b) = value.as_bool() {
            INT::from(b)
        } else if let Ok(i) = value.as_int() {
            i
        } else {
            return Err(SocketError::invalid(format!(
                "setsockopt: value must be an integer or a bool, not {}",
                netscript_sdk::options::type_word(value)
            )));
        };
        let on = n != 0;
        let size =
            || usize::try_from(n).map_err(|_| SocketError::invalid(format!("setsockopt: buffer size {n} is negative")));
        let what = "setsockopt";
        match (level, option) {
            (SOL_SOCKET, SO_REUSEADDR) => self.with_sock(what, |s| s.set_reuse_address(on)),
            (SOL_SOCKET, SO_REUSEPORT) => self.with_sock(what, |s| s.set_reuse_port(on)),
            (SOL_SOCKET, SO_KEEPALIVE) => self.with_sock(what, |s| s.set_keepalive(on)),
            (SOL_SOCKET, SO_BROADCAST) => self.with_sock(what, |s| s.set_broadcast(on)),
            (SOL_SOCKET, SO_SNDBUF) => {
                let size = size()?;
                self.with_sock(what, |s| s.set_send_buffer_size(size))
            }
            (SOL_SOCKET, SO_RCVBUF) => {
                let size = size()?;
                self.with_sock(what, |s| s.set_recv_buffer_size(size))
            }
            (IPPROTO_TCP, TCP_NODELAY) => self.with_sock(what, |s| s.set_tcp_nodelay(on)),
            (IPPROTO_IPV6, IPV6_V6ONLY) => self.with_sock(what, |s| s.set_only_v6(on)),
            _ => Err(unknown_option(level, option)),
        }
    }

    pub(crate) fn getsockopt(&self, level: INT, option: INT) -> SocketResult<INT> {
        let what = "getsockopt";
        let flag = |b: bool| INT::from(b);
        let size = |n: usize| INT::try_from(n).unwrap_or(INT::MAX);
        match (level, option) {
            (SOL_SOCKET, SO_REUSEADDR) => self.with_sock(what, |s| s.reuse_address()).map(flag),
            (SOL_SOCKET, SO_REUSEPORT) => self.with_sock(what, |s| s.reuse_port()).map(flag),
            (SOL_SOCKET, SO_KEEPALIVE) => self.with_sock(what, |s| s.keepalive()).map(flag),
            (SOL_SOCKET, SO_BROADCAST) => self.with_sock(what, |s| s.broadcast()).map(flag),
            (SOL_SOCKET, SO_SNDBUF) => self.with_sock(what, |s| s.send_buffer_size()).map(size),
            (SOL_SOCKET, SO_RCVBUF) => self.with_sock(what, |s| s.recv_buffer_size()).map(size),
            (IPPROTO_TCP, TCP_NODELAY) => self.with_sock(what, |s| s.tcp_nodelay()).map(flag),
            (IPPROTO_IPV6, IPV6_V6ONLY) => self.with_sock(what, |s| s.only_v6()).map(flag),
            _ => Err(unknown_option(level, option)),
        }
    }

    pub(crate) fn local(&self) -> Option<Endpoint> {
        match self.view() {
            View::Listening(core) => Some(core.local.clone()),
            View::Connected(core) => Some(core.local.clone()),
            View::Datagram(core) => Some(core.local()),
            View::Open => match &*self.state() {
                State::Open(sock) => sock.local_addr().ok().map(|a| match a.as_socket() {
                    Some(ip) => Endpoint::Ip(ip),
                    None => Endpoint::Path(a.as_pathname().map(|p| p.to_string_lossy().into_owned())),
                }),
                _ => None,
            },
            View::Connecting | View::Closed => None,
        }
    }

    pub(crate) fn peer(&self) -> Option<Endpoint> {
        match self.view() {
            View::Connected(core) => Some(core.peer.clone()),
            View::Datagram(core) => core.peer().map(|d| match d {
                Destination::Ip(a) => Endpoint::Ip(a),
                Destination::Path(p) => Endpoint::Path(Some(p.to_string_lossy().into_owned())),
            }),
            _ => None,
        }
    }

    pub(crate) fn describe(&self) -> String {
        let head = format!("Socket({}, {}", self.0.family.name(), self.0.kind.name());
        let local = self.local().map(|e| e.to_string()).unwrap_or_default();
        let tail = match self.view() {
            View::Open if local.is_empty() || local.ends_with(":0") => "unbound".to_string(),
            View::Open => format!("bound {local}"),
            View::Connecting => "connecting".to_string(),
            View::Listening(_) => format!("listening on {local}"),
            View::Connected(core) => format!("{} -> {}", core.local, core.peer),
            View::Datagram(_) => {
                let local = if local.is_empty() || local.ends_with(":0") { "unbound".to_string() } else { local };
                match self.peer() {
                    Some(peer) => format!("{local} -> {peer}"),
                    None => local,
                }
            }
            View::Closed => "closed".to_string(),
        };
        format!("{head}, {tail})")
    }
}

fn unknown_option(level: INT, option: INT) -> SocketError {
    SocketError::invalid(format!(
        "unsupported socket option (level {level}, option {option}); supported: SO_REUSEADDR, \
         SO_REUSEPORT, SO_KEEPALIVE, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF (SOL_SOCKET), \
         TCP_NODELAY (IPPROTO_TCP), IPV6_V6ONLY (IPPROTO_IPV6)"
    ))
}
