//! `socket::socket(family, type)`: the Python-shaped socket object.
//!
//! A `Socket` starts as a bare OS socket and becomes what the script makes of it: `bind`
//! then `listen` makes it a listener (`accept` returns a `TcpConnection` or
//! `UnixConnection`), `connect` makes it a connected stream, and a `SOCK_DGRAM` socket is
//! a datagram socket from the start. Each call is passed on to the same cores the short
//! forms (`tcp_connect`, `udp_bind`, …) use, so both behave alike.

use crate::datagram::{datagram_map, DatagramCore, Destination};
use crate::error::{SocketError, SocketResult};
use crate::net::{self, Family, Kind, Limit, TimeoutCell, DEFAULT_TIMEOUT};
use crate::stream::{Endpoint, ListenerCore, StreamCore, MAX_LINE};
use crate::tcp::{self, TcpConnection};
use crate::udp;
use crate::unix::{self, UnixConnection};
use netscript_sdk::prelude::*;
use socket2::{SockAddr, SockRef, Socket as OsSocket, Type};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// `socket::SOL_SOCKET`.
const SOL_SOCKET: INT = 1;
/// `socket::SO_REUSEADDR`.
const SO_REUSEADDR: INT = 2;
/// `socket::SO_BROADCAST`.
const SO_BROADCAST: INT = 6;
/// `socket::SO_SNDBUF`.
const SO_SNDBUF: INT = 7;
/// `socket::SO_RCVBUF`.
const SO_RCVBUF: INT = 8;
/// `socket::SO_KEEPALIVE`.
const SO_KEEPALIVE: INT = 9;
/// `socket::SO_REUSEPORT`.
const SO_REUSEPORT: INT = 15;
/// `socket::IPPROTO_TCP`.
const IPPROTO_TCP: INT = 6;
/// `socket::TCP_NODELAY`.
const TCP_NODELAY: INT = 1;
/// `socket::IPPROTO_IPV6`.
const IPPROTO_IPV6: INT = 41;
/// `socket::IPV6_V6ONLY`.
const IPV6_V6ONLY: INT = 26;

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
enum View {
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

fn not_connected(what: &str) -> SocketError {
    SocketError::Closed { what: what.into(), reason: "the socket is not connected" }
}

impl Socket {
    fn new(family: INT, kind: INT) -> SocketResult<Self> {
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

    fn view(&self) -> View {
        match &*self.state() {
            State::Open(_) => View::Open,
            State::Connecting => View::Connecting,
            State::Listening(c) => View::Listening(c.clone()),
            State::Connected(c) => View::Connected(c.clone()),
            State::Datagram(c) => View::Datagram(c.clone()),
            State::Closed => View::Closed,
        }
    }

    fn is_ip(&self) -> bool {
        self.0.family != Family::Unix
    }

    fn require_ip(&self, what: &str) -> SocketResult<()> {
        if self.is_ip() {
            Ok(())
        } else {
            Err(SocketError::invalid(format!(
                "{what}(host, port) needs an AF_INET or AF_INET6 socket; an AF_UNIX socket takes a path"
            )))
        }
    }

    fn require_unix(&self, what: &str) -> SocketResult<()> {
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
    fn ip_addr(&self, host: &str, port: INT, passive: bool) -> SocketResult<SocketAddr> {
        let port = net::port(port)?;
        let addrs = net::resolve_checked(host, port, Some(self.0.family), passive, Some(DEFAULT_TIMEOUT))?;
        addrs.first().copied().ok_or_else(|| SocketError::HostNotFound {
            host: host.into(),
            reason: format!("no {} address", self.0.family.name()),
        })
    }

    fn bind_addr(&self, addr: &SockAddr, context: &str) -> SocketResult<()> {
        match &*self.state() {
            State::Open(sock) => sock.bind(addr).map_err(|e| SocketError::io(context.to_string(), e)),
            State::Datagram(core) => core.bind(addr, context),
            State::Closed => Err(SocketError::closed("bind")),
            _ => Err(SocketError::invalid("bind: the socket is already listening or connected")),
        }
    }

    fn bind_ip(&self, host: &str, port: INT) -> SocketResult<()> {
        self.require_ip("bind")?;
        let addr = self.ip_addr(host, port, true)?;
        self.bind_addr(&addr.into(), &format!("bind {addr}"))
    }

    fn bind_path(&self, path: &str) -> SocketResult<()> {
        self.require_unix("bind")?;
        let path = unix::socket_path(path)?;
        unix::check_bind(&path)?;
        let addr = SockAddr::unix(&path).map_err(|e| SocketError::io(format!("bind {}", path.display()), e))?;
        self.bind_addr(&addr, &format!("bind {}", path.display()))
    }

    fn listen(&self, backlog: INT) -> SocketResult<()> {
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

    fn accept(&self) -> SocketResult<Dynamic> {
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

    fn take_open(&self, what: &str) -> SocketResult<OsSocket> {
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
    fn finish_connect(&self, result: SocketResult<StreamCore>) -> SocketResult<()> {
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

    fn connect_ip(&self, host: &str, port: INT) -> SocketResult<()> {
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

    fn connect_path(&self, path: &str) -> SocketResult<()> {
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

    fn stream(&self, what: &str) -> SocketResult<Arc<StreamCore>> {
        match self.view() {
            View::Connected(core) => Ok(core),
            View::Closed => Err(SocketError::closed(what)),
            _ => Err(not_connected(what)),
        }
    }

    fn send(&self, data: &[u8]) -> SocketResult<INT> {
        let sent = match self.view() {
            View::Datagram(core) => core.send(data)?,
            _ => self.stream("send")?.send(data)?,
        };
        Ok(sent as INT)
    }

    fn sendall(&self, data: &[u8]) -> SocketResult<()> {
        match self.view() {
            View::Datagram(core) => core.send(data).map(|_| ()),
            _ => self.stream("sendall")?.sendall(data),
        }
    }

    fn recv(&self, n: INT) -> SocketResult<Blob> {
        let n = net::byte_count(n, "recv")?;
        match self.view() {
            View::Datagram(core) => core.recv_from(n).map(|(data, _)| data),
            _ => self.stream("recv")?.recv(n),
        }
    }

    fn recv_text(&self, n: INT) -> SocketResult<String> {
        let n = net::byte_count(n, "recv_text")?;
        match self.view() {
            View::Datagram(core) => core.recv_from(n).map(|(data, _)| String::from_utf8_lossy(&data).into_owned()),
            _ => self.stream("recv_text")?.recv_text(n),
        }
    }

    fn read_line(&self, limit: INT) -> SocketResult<String> {
        let limit = net::byte_count(limit, "read_line")?;
        if limit == 0 {
            return Err(SocketError::invalid("read_line: limit must be at least 1"));
        }
        if let View::Datagram(_) = self.view() {
            return Err(SocketError::invalid("read_line needs a SOCK_STREAM socket"));
        }
        self.stream("read_line")?.read_line(limit)
    }

    fn datagram(&self, what: &str) -> SocketResult<Arc<DatagramCore>> {
        match self.view() {
            View::Datagram(core) => Ok(core),
            View::Closed => Err(SocketError::closed(what)),
            _ => Err(SocketError::invalid(format!("{what} needs a SOCK_DGRAM socket"))),
        }
    }

    fn sendto_ip(&self, data: &[u8], host: &str, port: INT) -> SocketResult<INT> {
        self.require_ip("sendto")?;
        let core = self.datagram("sendto")?;
        let to = udp::destination(host, port, Some(self.0.family))?;
        core.send_to(data, &to).map(|n| n as INT)
    }

    fn sendto_path(&self, data: &[u8], path: &str) -> SocketResult<INT> {
        self.require_unix("sendto")?;
        let core = self.datagram("sendto")?;
        let to = unix::destination(path)?;
        core.send_to(data, &to).map(|n| n as INT)
    }

    fn recvfrom(&self, n: INT) -> SocketResult<Map> {
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

    fn settimeout(&self, value: &Dynamic) -> SocketResult<()> {
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

    fn gettimeout(&self) -> Dynamic {
        let default = match self.view() {
            View::Listening(_) => None,
            _ => Some(DEFAULT_TIMEOUT),
        };
        self.0.timeout.script_value(default)
    }

    fn shutdown(&self, how: INT) -> SocketResult<()> {
        self.stream("shutdown")?.shutdown(how)
    }

    fn close(&self) {
        let old = std::mem::replace(&mut *self.state(), State::Closed);
        match old {
            State::Listening(core) => core.close(),
            State::Connected(core) => core.close(),
            State::Datagram(core) => core.close(),
            State::Open(_) | State::Connecting | State::Closed => {}
        }
    }

    /// Runs `f` on the OS socket, whatever the state.
    fn with_sock<T>(&self, what: &str, f: impl FnOnce(SockRef<'_>) -> io::Result<T>) -> SocketResult<T> {
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

    fn setsockopt(&self, level: INT, option: INT, value: &Dynamic) -> SocketResult<()> {
        let n = if let Ok(b) = value.as_bool() {
            INT::from(b)
        } else if let Ok(i) = value.as_int() {
            i
        } else {
            return Err(SocketError::invalid(format!(
                "setsockopt: value must be an integer or a bool, not {}",
                value.type_name()
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

    fn getsockopt(&self, level: INT, option: INT) -> SocketResult<INT> {
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

    fn local(&self) -> Option<Endpoint> {
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

    fn peer(&self) -> Option<Endpoint> {
        match self.view() {
            View::Connected(core) => Some(core.peer.clone()),
            View::Datagram(core) => core.peer().map(|d| match d {
                Destination::Ip(a) => Endpoint::Ip(a),
                Destination::Path(p) => Endpoint::Path(Some(p.to_string_lossy().into_owned())),
            }),
            _ => None,
        }
    }

    fn describe(&self) -> String {
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

/// Registers `socket::socket` and the `Socket` type.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<Socket>("Socket");
    m.constant("SOL_SOCKET", SOL_SOCKET)
        .constant("SO_REUSEADDR", SO_REUSEADDR)
        .constant("SO_REUSEPORT", SO_REUSEPORT)
        .constant("SO_KEEPALIVE", SO_KEEPALIVE)
        .constant("SO_BROADCAST", SO_BROADCAST)
        .constant("SO_SNDBUF", SO_SNDBUF)
        .constant("SO_RCVBUF", SO_RCVBUF)
        .constant("IPPROTO_TCP", IPPROTO_TCP)
        .constant("TCP_NODELAY", TCP_NODELAY)
        .constant("IPPROTO_IPV6", IPPROTO_IPV6)
        .constant("IPV6_V6ONLY", IPV6_V6ONLY);
    m.func(
        "socket",
        &["family", "type"],
        r#"
        A new socket, as Python's `socket.socket(family, type)`: `family` is
        `socket::AF_INET`, `AF_INET6` or `AF_UNIX`; `type` is `socket::SOCK_STREAM` or
        `SOCK_DGRAM`. Then `bind`/`listen`/`accept` for a server, `connect` for a client,
        `sendto`/`recvfrom` for datagrams.

        ```rhai
        let s = socket::socket(socket::AF_INET, socket::SOCK_STREAM);
        s.setsockopt(socket::SOL_SOCKET, socket::SO_REUSEADDR, 1);
        s.bind("127.0.0.1", 0);
        s.listen(5);
        print(`listening on ${s.getsockname().port}`);
        let conn = s.accept();
        conn.sendall(conn.recv(1024));
        conn.close();
        ```

        Errors: `InvalidArgument` (unknown family or type), `IoError`.
        "#,
        |family: INT, kind: INT| -> ScriptResult<Socket> { Socket::new(family, kind).map_err(script_error) },
    );
    m.func(
        "socket",
        &["family"],
        r#"
        A new stream socket of `family` (`socket::AF_INET`, `AF_INET6`, `AF_UNIX`).

        ```rhai
        let s = socket::socket(socket::AF_INET6);
        ```

        Errors: `InvalidArgument` (unknown family), `IoError`.
        "#,
        |family: INT| -> ScriptResult<Socket> { Socket::new(family, net::SOCK_STREAM).map_err(script_error) },
    );
    m.func(
        "socket",
        &[],
        r#"
        A new TCP/IPv4 socket (Python's `socket.socket()`).

        ```rhai
        let s = socket::socket();
        s.connect("127.0.0.1", 7007);
        ```

        Errors: `IoError`.
        "#,
        || -> ScriptResult<Socket> { Socket::new(net::AF_INET, net::SOCK_STREAM).map_err(script_error) },
    );

    let doc =
        |summary: &str, body: &str, errors: &str| format!("{summary}\n\n```rhai\n{body}\n```\n\nErrors: {errors}");
    m.method(
        "bind",
        &["host", "port"],
        &doc(
            "Binds an AF_INET/AF_INET6 `Socket` to `host:port` (`\"\"` for every address; port 0 picks a free one).",
            "let s = socket::socket(socket::AF_INET, socket::SOCK_STREAM);\ns.bind(\"127.0.0.1\", 0);",
            "`InvalidArgument` (port outside 0-65535, AF_UNIX socket), `HostNotFound`, `IoError` (address in use, naming the address), `PermissionDenied`.",
        ),
        |s: &mut Socket, host: &str, port: INT| -> ScriptResult<()> {
            s.bind_ip(host, port).map_err(script_error)
        },
    );
    m.method(
        "bind",
        &["path"],
        &doc(
            "Binds an AF_UNIX `Socket` to a path (the file must not exist yet).",
            "let s = socket::socket(socket::AF_UNIX, socket::SOCK_STREAM);\ns.bind(\"/tmp/app.sock\");",
            "`InvalidArgument` (bad path, IP socket), `IoError` (path in use), `PermissionDenied`.",
        ),
        |s: &mut Socket, path: &str| -> ScriptResult<()> { s.bind_path(path).map_err(script_error) },
    );
    m.method(
        "listen",
        &["backlog"],
        &doc(
            "Makes a stream `Socket` listen, with up to `backlog` pending connections.",
            "let s = socket::socket(socket::AF_INET, socket::SOCK_STREAM);\ns.bind(\"127.0.0.1\", 0);\ns.listen(5);",
            "`InvalidArgument` (backlog outside 0-65535, datagram or connected socket), `IoError`, `ConnectionClosed` when closed.",
        ),
        |s: &mut Socket, backlog: INT| -> ScriptResult<()> { s.listen(backlog).map_err(script_error) },
    );
    m.method(
        "listen",
        &[],
        &doc(
            "Makes a stream `Socket` listen (backlog 128).",
            "let s = socket::socket();\ns.bind(\"127.0.0.1\", 0);\ns.listen();",
            "`InvalidArgument`, `IoError`, `ConnectionClosed` when closed.",
        ),
        |s: &mut Socket| -> ScriptResult<()> { s.listen(128).map_err(script_error) },
    );
    m.method(
        "accept",
        &[],
        &doc(
            "Waits for the next client of a listening `Socket`; returns a `TcpConnection` (or `UnixConnection`) with `.peer_addr`. Waits without limit unless `settimeout` was called.",
            "let s = socket::socket();\ns.bind(\"127.0.0.1\", 7007);\ns.listen(5);\nlet conn = s.accept();\nprint(`connected by ${conn.peer_addr}`);",
            "`InvalidArgument` (not listening), `Timeout`, `ConnectionClosed` when closed, `IoError`.",
        ),
        |s: &mut Socket| -> ScriptResult<Dynamic> { s.accept().map_err(script_error) },
    );
    m.method(
        "connect",
        &["host", "port"],
        &doc(
            "Connects an AF_INET/AF_INET6 `Socket` to `host:port` (for SOCK_DGRAM: fixes the peer).",
            "let s = socket::socket(socket::AF_INET, socket::SOCK_STREAM);\ns.connect(\"127.0.0.1\", 7007);\ns.sendall(\"hello\");\nprint(s.recv(1024));",
            "`InvalidArgument` (bad port, AF_UNIX socket, already connected), `HostNotFound`, `ConnectionRefused`, `Timeout`, `PermissionDenied`.",
        ),
        |s: &mut Socket, host: &str, port: INT| -> ScriptResult<()> {
            s.connect_ip(host, port).map_err(script_error)
        },
    );
    m.method(
        "connect",
        &["path"],
        &doc(
            "Connects an AF_UNIX `Socket` to the socket at `path`.",
            "let s = socket::socket(socket::AF_UNIX, socket::SOCK_STREAM);\ns.connect(\"/tmp/app.sock\");",
            "`InvalidArgument` (bad path, IP socket), `ConnectionRefused`, `IoError` (no such file), `PermissionDenied`.",
        ),
        |s: &mut Socket, path: &str| -> ScriptResult<()> { s.connect_path(path).map_err(script_error) },
    );
    m.method(
        "send",
        &["data"],
        &doc(
            "Sends what the connected `Socket` takes now of a blob (one datagram for SOCK_DGRAM); returns the byte count.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\ns.send(\"hi\".to_blob());",
            "`ConnectionClosed` (closed, reset or never connected), `Timeout`, `IoError`.",
        ),
        |s: &mut Socket, data: Blob| -> ScriptResult<INT> { s.send(&data).map_err(script_error) },
    );
    m.method(
        "send",
        &["text"],
        &doc(
            "Sends what the connected `Socket` takes now of a string; returns the byte count.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\ns.send(\"hi\");",
            "`ConnectionClosed`, `Timeout`, `IoError`.",
        ),
        |s: &mut Socket, text: ImmutableString| -> ScriptResult<INT> { s.send(text.as_bytes()).map_err(script_error) },
    );
    m.method(
        "sendall",
        &["data"],
        &doc(
            "Sends all of a blob on the connected `Socket`.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\ns.sendall(blob(100000, 7));",
            "`ConnectionClosed` (closed, reset or never connected), `Timeout`, `IoError`.",
        ),
        |s: &mut Socket, data: Blob| -> ScriptResult<()> { s.sendall(&data).map_err(script_error) },
    );
    m.method(
        "sendall",
        &["text"],
        &doc(
            "Sends all of a string on the connected `Socket`.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\ns.sendall(\"hello\\n\");",
            "`ConnectionClosed`, `Timeout`, `IoError`.",
        ),
        |s: &mut Socket, text: ImmutableString| -> ScriptResult<()> {
            s.sendall(text.as_bytes()).map_err(script_error)
        },
    );
    m.method(
        "recv",
        &["n"],
        &doc(
            "Receives at most `n` bytes from the connected `Socket` (one datagram for SOCK_DGRAM). An empty blob means the peer closed its end.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\nlet data = s.recv(1024);",
            "`Timeout` (default 30 s), `ConnectionClosed` (closed locally, reset, never connected), `InvalidArgument` (negative `n`).",
        ),
        |s: &mut Socket, n: INT| -> ScriptResult<Blob> { s.recv(n).map_err(script_error) },
    );
    m.method(
        "recv_text",
        &["n"],
        &doc(
            "Receives at most `n` bytes from the connected `Socket` as text; `\"\"` when the peer closed.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\nprint(s.recv_text(1024));",
            "`Timeout`, `ConnectionClosed`, `InvalidArgument`.",
        ),
        |s: &mut Socket, n: INT| -> ScriptResult<String> { s.recv_text(n).map_err(script_error) },
    );
    m.method(
        "read_line",
        &[],
        &doc(
            "Reads one line (with its `\\n`) from the connected stream `Socket`; `\"\"` at end of stream.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\nprint(s.read_line());",
            "`Timeout`, `ConnectionClosed`, `InvalidArgument` (datagram socket).",
        ),
        |s: &mut Socket| -> ScriptResult<String> { s.read_line(MAX_LINE as INT).map_err(script_error) },
    );
    m.method(
        "read_line",
        &["limit"],
        &doc(
            "Reads one line of at most `limit` bytes from the connected stream `Socket`.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\nprint(s.read_line(80));",
            "`Timeout`, `ConnectionClosed`, `InvalidArgument`.",
        ),
        |s: &mut Socket, limit: INT| -> ScriptResult<String> { s.read_line(limit).map_err(script_error) },
    );
    m.method(
        "sendto",
        &["data", "host", "port"],
        &doc(
            "Sends a blob as one datagram from a SOCK_DGRAM `Socket` to `host:port`.",
            "let s = socket::socket(socket::AF_INET, socket::SOCK_DGRAM);\ns.sendto(\"ping\".to_blob(), \"127.0.0.1\", 9999);",
            "`InvalidArgument` (bad port, stream socket), `HostNotFound`, `IoError` (datagram too long), `PermissionDenied`.",
        ),
        |s: &mut Socket, data: Blob, host: &str, port: INT| -> ScriptResult<INT> {
            s.sendto_ip(&data, host, port).map_err(script_error)
        },
    );
    m.method(
        "sendto",
        &["text", "host", "port"],
        &doc(
            "Sends a string as one datagram from a SOCK_DGRAM `Socket` to `host:port`.",
            "let s = socket::socket(socket::AF_INET, socket::SOCK_DGRAM);\ns.sendto(\"ping\", \"127.0.0.1\", 9999);",
            "`InvalidArgument`, `HostNotFound`, `IoError`, `PermissionDenied`.",
        ),
        |s: &mut Socket, text: ImmutableString, host: &str, port: INT| -> ScriptResult<INT> {
            s.sendto_ip(text.as_bytes(), host, port).map_err(script_error)
        },
    );
    m.method(
        "sendto",
        &["data", "path"],
        &doc(
            "Sends a blob as one datagram from an AF_UNIX SOCK_DGRAM `Socket` to the socket at `path`.",
            "let s = socket::socket(socket::AF_UNIX, socket::SOCK_DGRAM);\ns.sendto(\"ping\".to_blob(), \"/tmp/app.dgram\");",
            "`InvalidArgument`, `ConnectionRefused`, `IoError`, `PermissionDenied`.",
        ),
        |s: &mut Socket, data: Blob, path: &str| -> ScriptResult<INT> {
            s.sendto_path(&data, path).map_err(script_error)
        },
    );
    m.method(
        "sendto",
        &["text", "path"],
        &doc(
            "Sends a string as one datagram from an AF_UNIX SOCK_DGRAM `Socket` to `path`.",
            "let s = socket::socket(socket::AF_UNIX, socket::SOCK_DGRAM);\ns.sendto(\"ping\", \"/tmp/app.dgram\");",
            "`InvalidArgument`, `ConnectionRefused`, `IoError`, `PermissionDenied`.",
        ),
        |s: &mut Socket, text: ImmutableString, path: &str| -> ScriptResult<INT> {
            s.sendto_path(text.as_bytes(), path).map_err(script_error)
        },
    );
    m.method(
        "recvfrom",
        &["n"],
        &doc(
            "Receives one datagram (cut to `n` bytes) and its sender: `#{ data, host, port }` (`#{ data, path }` for AF_UNIX). On a stream socket, data and the peer.",
            "let s = socket::socket(socket::AF_INET, socket::SOCK_DGRAM);\ns.bind(\"127.0.0.1\", 9999);\nlet msg = s.recvfrom(65535);\ns.sendto(msg.data, msg.host, msg.port);",
            "`Timeout` (default 30 s), `ConnectionClosed` when closed, `InvalidArgument` (negative `n`).",
        ),
        |s: &mut Socket, n: INT| -> ScriptResult<Map> { s.recvfrom(n).map_err(script_error) },
    );
    m.method(
        "settimeout",
        &["seconds"],
        &doc(
            "Sets how long calls on the `Socket` may wait, in seconds; `()` waits without limit. Defaults: 30 s, and no limit for `accept`.",
            "let s = socket::socket();\ns.settimeout(2.5);",
            "`InvalidArgument` (zero, negative or not a number).",
        ),
        |s: &mut Socket, value: Dynamic| -> ScriptResult<()> { s.settimeout(&value).map_err(script_error) },
    );
    m.method(
        "gettimeout",
        &[],
        &doc(
            "The `Socket`'s timeout in seconds, or `()` for none.",
            "let s = socket::socket();\nprint(s.gettimeout());",
            "none.",
        ),
        |s: &mut Socket| s.gettimeout(),
    );
    m.method(
        "setsockopt",
        &["level", "option", "value"],
        &doc(
            "Sets a socket option (Python's `setsockopt`): `SOL_SOCKET` with `SO_REUSEADDR`, `SO_REUSEPORT`, `SO_KEEPALIVE`, `SO_BROADCAST`, `SO_SNDBUF`, `SO_RCVBUF`; `IPPROTO_TCP` with `TCP_NODELAY`; `IPPROTO_IPV6` with `IPV6_V6ONLY`. `value` is an integer or a bool.",
            "let s = socket::socket();\ns.setsockopt(socket::SOL_SOCKET, socket::SO_REUSEADDR, 1);",
            "`InvalidArgument` (unsupported option or value), `IoError`, `ConnectionClosed` when closed.",
        ),
        |s: &mut Socket, level: INT, option: INT, value: Dynamic| -> ScriptResult<()> {
            s.setsockopt(level, option, &value).map_err(script_error)
        },
    );
    m.method(
        "getsockopt",
        &["level", "option"],
        &doc(
            "Reads a socket option `setsockopt` knows, as an integer.",
            "let s = socket::socket();\nprint(s.getsockopt(socket::SOL_SOCKET, socket::SO_RCVBUF));",
            "`InvalidArgument` (unsupported option), `IoError`, `ConnectionClosed` when closed.",
        ),
        |s: &mut Socket, level: INT, option: INT| -> ScriptResult<INT> {
            s.getsockopt(level, option).map_err(script_error)
        },
    );
    m.method(
        "shutdown",
        &[],
        &doc(
            "Stops sending on the connected `Socket` (half-close); replies can still be received.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\ns.sendall(\"request\");\ns.shutdown();\nprint(s.recv(65536));",
            "`ConnectionClosed` (closed or never connected), `IoError`.",
        ),
        |s: &mut Socket| -> ScriptResult<()> {
            s.shutdown(crate::net::SHUT_WR).map_err(script_error)
        },
    );
    m.method(
        "shutdown",
        &["how"],
        &doc(
            "Shuts down receiving (`socket::SHUT_RD`), sending (`SHUT_WR`) or both (`SHUT_RDWR`).",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\ns.shutdown(socket::SHUT_RDWR);",
            "`InvalidArgument` (another mode), `ConnectionClosed` (closed or never connected).",
        ),
        |s: &mut Socket, how: INT| -> ScriptResult<()> { s.shutdown(how).map_err(script_error) },
    );
    m.method(
        "close",
        &[],
        &doc(
            "Closes the `Socket`; calls waiting on it fail with `ConnectionClosed`. Closing twice is harmless.",
            "let s = socket::socket();\ns.close();",
            "none.",
        ),
        |s: &mut Socket| s.close(),
    );
    m.method(
        "getsockname",
        &[],
        &doc(
            "This end's address: `#{ host, port }`, or the path for AF_UNIX; `()` before `bind`/`connect`.",
            "let s = socket::socket();\ns.bind(\"127.0.0.1\", 0);\nprint(s.getsockname().port);",
            "none.",
        ),
        |s: &mut Socket| s.local().map_or(Dynamic::UNIT, |e| e.script_value()),
    );
    m.method(
        "getpeername",
        &[],
        &doc(
            "The peer's address: `#{ host, port }`, or the path for AF_UNIX.",
            "let s = socket::socket();\ns.connect(\"127.0.0.1\", 7007);\nprint(s.getpeername());",
            "`ConnectionClosed` when not connected.",
        ),
        |s: &mut Socket| -> ScriptResult<Dynamic> {
            s.peer().map(|e| e.script_value()).ok_or_else(|| script_error(not_connected("getpeername")))
        },
    );
    m.getter(
        "family",
        &doc(
            "The `Socket`'s family (`socket::AF_INET`, …).",
            "let s = socket::socket();\nprint(s.family == socket::AF_INET);",
            "none.",
        ),
        |s: &mut Socket| s.0.family.as_int(),
    );
    m.getter(
        "type",
        &doc(
            "The `Socket`'s type (`socket::SOCK_STREAM` or `SOCK_DGRAM`).",
            "let s = socket::socket();\nprint(s.type);",
            "none.",
        ),
        |s: &mut Socket| match s.0.kind {
            Kind::Stream => net::SOCK_STREAM,
            Kind::Datagram => net::SOCK_DGRAM,
        },
    );
    m.getter(
        "closed",
        &doc("Whether the `Socket` was closed.", "let s = socket::socket();\ns.close();\nprint(s.closed);", "none."),
        |s: &mut Socket| matches!(s.view(), View::Closed),
    );
    m.getter(
        "local_addr",
        &doc(
            "This end's address as text (`\"\"` before `bind`/`connect`).",
            "let s = socket::socket();\nprint(s.local_addr);",
            "none.",
        ),
        |s: &mut Socket| s.local().map(|e| e.to_string()).unwrap_or_default(),
    );
    m.getter(
        "peer_addr",
        &doc(
            "The peer's address as text (`\"\"` when not connected).",
            "let s = socket::socket();\nprint(s.peer_addr);",
            "none.",
        ),
        |s: &mut Socket| s.peer().map(|e| e.to_string()).unwrap_or_default(),
    );
    m.pure_method(
        "to_string",
        &[],
        &doc("The `Socket` as text: family, type and state.", "print(socket::socket());", "none."),
        |s: &mut Socket| s.describe(),
    );
    m.pure_method(
        "to_debug",
        &[],
        &doc("The `Socket` as text, for `debug()`.", "debug(socket::socket());", "none."),
        |s: &mut Socket| s.describe(),
    );
}
