//! TCP: `socket::tcp_connect`, `socket::tcp_listen` and their `TcpConnection` and
//! `TcpListener` handles, plus the connect and listen steps the Python-shaped `socket()`
//! object reuses.

use crate::connection::{register_connection_methods, register_listener_methods, Connection, Listening};
use crate::error::{SocketError, SocketResult};
use crate::net::{self, Family, Limit, DEFAULT_TIMEOUT};
use crate::raw::{Endpoint, RawListener, RawStream};
use crate::stream::{ListenerCore, StreamCore};
use netscript_sdk::prelude::*;
use netscript_sdk::runtime;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Backlog of listeners made by `tcp_listen` and `serve` unless `backlog:` says otherwise.
pub const DEFAULT_BACKLOG: i32 = 1024;

/// A connected TCP stream (`socket::tcp_connect`, `listener.accept()`, `serve` handlers).
#[derive(Clone)]
pub struct TcpConnection(pub Arc<StreamCore>);

impl Connection for TcpConnection {
    const TYPE: &'static str = "TcpConnection";
    const OPEN: &'static str = "let conn = socket::tcp_connect(\"127.0.0.1\", 7007);";
    fn core(&self) -> &StreamCore {
        &self.0
    }
}

/// A listening TCP socket (`socket::tcp_listen`).
#[derive(Clone)]
pub struct TcpListener(pub Arc<ListenerCore>);

impl Listening for TcpListener {
    const TYPE: &'static str = "TcpListener";
    const OPEN: &'static str = "let listener = socket::tcp_listen(\"127.0.0.1\", 0);";
    type Conn = TcpConnection;
    fn core(&self) -> &ListenerCore {
        &self.0
    }
    fn wrap(core: StreamCore) -> TcpConnection {
        TcpConnection(Arc::new(core))
    }
}

/// Connects to the first of `addrs` that answers (the SDK's happy eyeballs), within
/// `limit` in all.
pub fn connect_addrs(
    host: &str,
    addrs: &[SocketAddr],
    limit: Option<Duration>,
    timeout: Limit,
) -> SocketResult<StreamCore> {
    let life = net::Lifetime::default();
    let (stream, _) = net::wait("connect", limit, &life, async {
        Ok(netscript_sdk::net::connect_addrs(crate::error::PROTOCOL, host, addrs).await?)
    })?;
    stream_core(stream, timeout)
}

/// Wraps a connected tokio stream.
pub fn stream_core(stream: tokio::net::TcpStream, timeout: Limit) -> SocketResult<StreamCore> {
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().map_err(|e| SocketError::io("getsockname", e))?;
    let peer = stream.peer_addr().map_err(|e| SocketError::io("getpeername", e))?;
    let raw = RawStream::from_tcp(stream).map_err(|e| SocketError::io("connect", e))?;
    Ok(StreamCore::new(raw, Endpoint::Ip(local), Endpoint::Ip(peer), timeout))
}

/// A new, unbound TCP socket of the address's family.
pub fn new_socket(family: Family) -> SocketResult<Socket> {
    let domain = match family {
        Family::Inet6 => Domain::IPV6,
        _ => Domain::IPV4,
    };
    Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).map_err(|e| SocketError::io("socket", e))
}

/// Turns a bound socket into a tokio listener listening with `backlog`.
pub fn listen_socket(socket: Socket, backlog: i32) -> SocketResult<ListenerCore> {
    let local = socket.local_addr().ok().and_then(|a| a.as_socket()).map_or(Endpoint::Path(None), Endpoint::Ip);
    socket.listen(backlog).map_err(|e| SocketError::io(format!("listen on {local}"), e))?;
    socket.set_nonblocking(true).map_err(|e| SocketError::io("listen", e))?;
    let std_listener: std::net::TcpListener = socket.into();
    let _context = runtime::runtime().enter();
    let listener = tokio::net::TcpListener::from_std(std_listener)
        .map_err(|e| SocketError::io(format!("listen on {local}"), e))?;
    Ok(ListenerCore::new(RawListener::Tcp(listener), local))
}

/// Binds a new socket to `addr` (with `SO_REUSEADDR`, as servers want) and listens.
pub fn listen_addr(addr: SocketAddr, backlog: i32) -> SocketResult<ListenerCore> {
    let socket = new_socket(Family::of(&addr))?;
    socket.set_reuse_address(true).map_err(|e| SocketError::io("setsockopt SO_REUSEADDR", e))?;
    socket.bind(&addr.into()).map_err(|e| SocketError::io(format!("bind {addr}"), e))?;
    listen_socket(socket, backlog)
}

/// Resolves, checks permission, binds and listens: `tcp_listen` and `serve`.
pub fn listen(host: &str, port: INT, backlog: i32) -> SocketResult<ListenerCore> {
    let port = net::port(port)?;
    let addrs = net::resolve_checked(host, port, None, true, Some(DEFAULT_TIMEOUT))?;
    let mut last = None;
    for addr in addrs {
        match listen_addr(addr, backlog) {
            Ok(core) => return Ok(core),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| SocketError::HostNotFound { host: host.into(), reason: "no address".into() }))
}

/// Reads a `backlog:` option (1 to 65535).
pub fn backlog_option(opts: &Options) -> SocketResult<i32> {
    match opts.int("backlog")? {
        None => Ok(DEFAULT_BACKLOG),
        Some(n) => i32::try_from(n)
            .ok()
            .filter(|n| (1..=65535).contains(n))
            .ok_or_else(|| SocketError::invalid(format!("backlog {n} is outside 1-65535"))),
    }
}

fn tcp_connect(host: &str, port: INT, opts: Map) -> SocketResult<TcpConnection> {
    let opts = net::options("tcp_connect", opts, &["timeout"])?;
    let port = net::port(port)?;
    let timeout = net::option_limit(&opts)?;
    let limit = match timeout {
        Limit::Seconds(s) => Some(s),
        _ => Some(DEFAULT_TIMEOUT),
    };
    let addrs = net::resolve_checked(host, port, None, false, limit)?;
    connect_addrs(host, &addrs, limit, timeout).map(|core| TcpConnection(Arc::new(core)))
}

fn tcp_listen(host: &str, port: INT, opts: Map) -> SocketResult<TcpListener> {
    let opts = net::options("tcp_listen", opts, &["backlog"])?;
    let backlog = backlog_option(&opts)?;
    listen(host, port, backlog).map(|core| TcpListener(Arc::new(core)))
}

/// Registers TCP's functions and types.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<TcpConnection>("TcpConnection");
    m.custom_type::<TcpListener>("TcpListener");
    m.func(
        "tcp_connect",
        &["host", "port"],
        r#"
        Opens a TCP connection to `host:port` (a name, an IPv4 or an IPv6 address), trying
        each address the name resolves to in turn. The connection's calls time out after
        30 s unless `settimeout` says otherwise.

        ```rhai
        let conn = socket::tcp_connect("127.0.0.1", 7007);
        conn.sendall("hello\n");
        print(conn.read_line());
        conn.close();
        ```

        Errors: `InvalidArgument` (port outside 0-65535), `HostNotFound`,
        `ConnectionRefused`, `Timeout`, `PermissionDenied` (`--allow-net`), `IoError`.
        "#,
        |host: &str, port: INT| -> ScriptResult<TcpConnection> {
            tcp_connect(host, port, Map::new()).map_err(script_error)
        },
    );
    m.func(
        "tcp_connect",
        &["host", "port", "options"],
        r#"
        Opens a TCP connection with options: `timeout` (seconds, for the connect and for
        every later call on the connection).

        ```rhai
        let conn = socket::tcp_connect("::1", 7007, #{ timeout: 2.5 });
        ```

        Errors: `InvalidArgument` (unknown option, bad port), `HostNotFound`,
        `ConnectionRefused`, `Timeout`, `PermissionDenied`, `IoError`.
        "#,
        |host: &str, port: INT, opts: Map| -> ScriptResult<TcpConnection> {
            tcp_connect(host, port, opts).map_err(script_error)
        },
    );
    m.func(
        "tcp_listen",
        &["host", "port"],
        r#"
        Listens for TCP connections on `host:port` (`""` or `"0.0.0.0"` for every IPv4
        address, `"::"` for IPv6; port 0 picks a free port, read it from `.port`).

        ```rhai
        let listener = socket::tcp_listen("127.0.0.1", 0);
        print(`listening on ${listener.port}`);
        let conn = listener.accept();
        conn.sendall(conn.recv(1024));
        conn.close();
        ```

        Errors: `InvalidArgument` (port outside 0-65535), `HostNotFound`, `IoError`
        (address in use, naming the address), `PermissionDenied`.
        "#,
        |host: &str, port: INT| -> ScriptResult<TcpListener> {
            tcp_listen(host, port, Map::new()).map_err(script_error)
        },
    );
    m.func(
        "tcp_listen",
        &["host", "port", "options"],
        r#"
        Listens with options: `backlog` (pending connections, default 1024).

        ```rhai
        let listener = socket::tcp_listen("::1", 0, #{ backlog: 16 });
        ```

        Errors: `InvalidArgument` (unknown option, bad port or backlog), `HostNotFound`,
        `IoError`, `PermissionDenied`.
        "#,
        |host: &str, port: INT, opts: Map| -> ScriptResult<TcpListener> {
            tcp_listen(host, port, opts).map_err(script_error)
        },
    );
    register_connection_methods::<TcpConnection>(m);
    register_listener_methods::<TcpListener>(m);
}
