//! Unix-domain sockets: `socket::unix_connect`, `socket::unix_listen` and
//! `socket::unix_datagram`, with their `UnixConnection`, `UnixListener` and `UnixDatagram`
//! handles. Paths go through the host's `--allow-read`/`--allow-write` checks.

use crate::connection::{register_connection_methods, register_listener_methods, Connection, Listening};
use crate::datagram::{register_datagram_methods, Datagram, DatagramCore, Destination, RawDatagram};
use crate::error::{SocketError, SocketResult};
use crate::net::{self, Limit, DEFAULT_TIMEOUT};
use crate::raw::{Endpoint, RawListener, RawStream};
use crate::stream::{ListenerCore, StreamCore};
use crate::tcp::{backlog_option, DEFAULT_BACKLOG};
use netscript_sdk::prelude::*;
use netscript_sdk::runtime;
use socket2::{Domain, SockAddr, Socket, Type};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The longest Unix socket path Linux accepts (`sun_path` less its NUL).
pub const MAX_PATH: usize = 107;

/// A connected Unix stream (`socket::unix_connect`, `listener.accept()`).
#[derive(Clone)]
pub struct UnixConnection(pub Arc<StreamCore>);

impl Connection for UnixConnection {
    const TYPE: &'static str = "UnixConnection";
    const OPEN: &'static str = "let conn = socket::unix_connect(\"/tmp/app.sock\");";
    fn core(&self) -> &StreamCore {
        &self.0
    }
}

/// A listening Unix stream socket (`socket::unix_listen`).
#[derive(Clone)]
pub struct UnixListener(pub Arc<ListenerCore>);

impl Listening for UnixListener {
    const TYPE: &'static str = "UnixListener";
    const OPEN: &'static str = "let listener = socket::unix_listen(\"/tmp/app.sock\");";
    type Conn = UnixConnection;
    fn core(&self) -> &ListenerCore {
        &self.0
    }
    fn wrap(core: StreamCore) -> UnixConnection {
        UnixConnection(Arc::new(core))
    }
}

/// A Unix datagram socket (`socket::unix_datagram`).
#[derive(Clone)]
pub struct UnixDatagram(pub Arc<DatagramCore>);

impl Datagram for UnixDatagram {
    const TYPE: &'static str = "UnixDatagram";
    const OPEN: &'static str = "let sock = socket::unix_datagram(\"/tmp/app.dgram\");";
    fn core(&self) -> &DatagramCore {
        &self.0
    }
}

/// Checks a socket path's shape (no NUL, not too long).
pub fn socket_path(path: &str) -> SocketResult<PathBuf> {
    if path.is_empty() {
        return Err(SocketError::invalid("empty Unix socket path"));
    }
    if path.contains('\0') {
        return Err(SocketError::invalid("Unix socket path contains a NUL byte"));
    }
    if path.len() > MAX_PATH {
        return Err(SocketError::invalid(format!(
            "Unix socket path is {} bytes long; the limit is {MAX_PATH}",
            path.len()
        )));
    }
    Ok(PathBuf::from(path))
}

/// May the script create a socket at `path` (bind, listen)?
pub fn check_bind(path: &Path) -> SocketResult<()> {
    netscript_sdk::host().check_write(path)?;
    Ok(())
}

/// May the script talk to the socket at `path` (connect, sendto)?
pub fn check_connect(path: &Path) -> SocketResult<()> {
    let host = netscript_sdk::host();
    host.check_read(path)?;
    host.check_write(path)?;
    Ok(())
}

fn sock_addr(path: &Path) -> SocketResult<SockAddr> {
    SockAddr::unix(path).map_err(|e| SocketError::io(format!("address {}", path.display()), e))
}

/// A new Unix socket of `kind`.
pub fn new_socket(ty: Type) -> SocketResult<Socket> {
    Socket::new(Domain::UNIX, ty, None).map_err(|e| SocketError::io("socket", e))
}

/// Binds `socket` to `path`.
pub fn bind(socket: &Socket, path: &Path) -> SocketResult<()> {
    check_bind(path)?;
    socket.bind(&sock_addr(path)?).map_err(|e| SocketError::io(format!("bind {}", path.display()), e))
}

/// Turns a bound Unix stream socket into a listener.
pub fn listen_socket(socket: Socket, backlog: i32) -> SocketResult<ListenerCore> {
    let path = socket.local_addr().ok().and_then(|a| a.as_pathname().map(|p| p.to_string_lossy().into_owned()));
    let context = || format!("listen on {}", path.as_deref().unwrap_or("an unnamed socket"));
    socket.listen(backlog).map_err(|e| SocketError::io(context(), e))?;
    socket.set_nonblocking(true).map_err(|e| SocketError::io(context(), e))?;
    let std_listener: std::os::unix::net::UnixListener = socket.into();
    let _context = runtime::runtime().enter();
    let listener = tokio::net::UnixListener::from_std(std_listener).map_err(|e| SocketError::io(context(), e))?;
    Ok(ListenerCore::new(RawListener::Unix(listener), Endpoint::Path(path)))
}

/// Connects an existing (perhaps bound) Unix stream socket to `path`.
pub fn connect_socket(socket: Socket, path: &Path, timeout: Limit) -> SocketResult<StreamCore> {
    check_connect(path)?;
    let context = || format!("connect to {}", path.display());
    socket.set_nonblocking(true).map_err(|e| SocketError::io(context(), e))?;
    // A Unix connect never waits: it succeeds, or fails at once (EAGAIN: backlog full).
    socket.connect(&sock_addr(path)?).map_err(|e| SocketError::io(context(), e))?;
    let local = socket
        .local_addr()
        .ok()
        .map_or(Endpoint::Path(None), |a| Endpoint::Path(a.as_pathname().map(|p| p.to_string_lossy().into_owned())));
    let peer = Endpoint::Path(Some(path.to_string_lossy().into_owned()));
    let raw = RawStream::from_socket(socket).map_err(|e| SocketError::io(context(), e))?;
    Ok(StreamCore::new(raw, local, peer, timeout))
}

/// Connects to the Unix socket at `path` within `limit` seconds.
pub fn connect_path(path: &Path, limit: Option<Duration>, timeout: Limit) -> SocketResult<StreamCore> {
    check_connect(path)?;
    let life = net::Lifetime::default();
    let stream = net::wait("connect", limit, &life, async {
        tokio::net::UnixStream::connect(path)
            .await
            .map_err(|e| SocketError::io(format!("connect to {}", path.display()), e))
    })?;
    let local = stream.local_addr().map_or(Endpoint::Path(None), |a| Endpoint::of_unix(&a));
    let peer = Endpoint::Path(Some(path.to_string_lossy().into_owned()));
    let raw = RawStream::from_unix(stream).map_err(|e| SocketError::io("connect", e))?;
    Ok(StreamCore::new(raw, local, peer, timeout))
}

/// Hands a Unix datagram socket to the runtime.
pub fn datagram_core(socket: Socket, limit: Limit) -> SocketResult<DatagramCore> {
    socket.set_nonblocking(true).map_err(|e| SocketError::io("socket", e))?;
    let std_socket: std::os::unix::net::UnixDatagram = socket.into();
    let _context = runtime::runtime().enter();
    let sock = tokio::net::UnixDatagram::from_std(std_socket).map_err(|e| SocketError::io("socket", e))?;
    Ok(DatagramCore::new(RawDatagram::Unix(sock), limit))
}

/// A permission-checked datagram destination path.
pub fn destination(path: &str) -> SocketResult<Destination> {
    let path = socket_path(path)?;
    check_connect(&path)?;
    Ok(Destination::Path(path))
}

fn unix_connect(path: &str, opts: Map) -> SocketResult<UnixConnection> {
    let opts = net::options("unix_connect", opts, &["timeout"])?;
    let timeout = net::option_limit(&opts)?;
    let limit = match timeout {
        Limit::Seconds(s) => Some(s),
        _ => Some(DEFAULT_TIMEOUT),
    };
    let path = socket_path(path)?;
    connect_path(&path, limit, timeout).map(|core| UnixConnection(Arc::new(core)))
}

fn unix_listen(path: &str, opts: Map) -> SocketResult<UnixListener> {
    let opts = net::options("unix_listen", opts, &["backlog"])?;
    let backlog = backlog_option(&opts)?;
    let path = socket_path(path)?;
    let socket = new_socket(Type::STREAM)?;
    bind(&socket, &path)?;
    listen_socket(socket, backlog).map(|core| UnixListener(Arc::new(core)))
}

fn unix_datagram(path: Option<&str>, opts: Map) -> SocketResult<UnixDatagram> {
    let opts = net::options("unix_datagram", opts, &["timeout"])?;
    let limit = net::option_limit(&opts)?;
    let socket = new_socket(Type::DGRAM)?;
    if let Some(path) = path {
        bind(&socket, &socket_path(path)?)?;
    }
    datagram_core(socket, limit).map(|core| UnixDatagram(Arc::new(core)))
}

/// Registers the Unix-domain functions and types.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<UnixConnection>("UnixConnection");
    m.custom_type::<UnixListener>("UnixListener");
    m.custom_type::<UnixDatagram>("UnixDatagram");
    m.func(
        "unix_connect",
        &["path"],
        r#"
        Connects to the Unix stream socket at `path`. Calls on the connection time out
        after 30 s unless `settimeout` says otherwise.

        ```rhai
        let conn = socket::unix_connect("/run/app.sock");
        conn.sendall("status\n");
        print(conn.read_line());
        ```

        Errors: `InvalidArgument` (empty path, NUL, longer than 107 bytes),
        `ConnectionRefused` (nobody listening), `IoError` (no such file),
        `PermissionDenied` (`--allow-read`/`--allow-write`), `Timeout`.
        "#,
        |path: &str| -> ScriptResult<UnixConnection> { unix_connect(path, Map::new()).map_err(script_error) },
    );
    m.func(
        "unix_connect",
        &["path", "options"],
        r#"
        Connects to a Unix stream socket with options: `timeout` (seconds).

        ```rhai
        let conn = socket::unix_connect("/run/app.sock", #{ timeout: 2 });
        ```

        Errors: `InvalidArgument`, `ConnectionRefused`, `IoError`, `PermissionDenied`,
        `Timeout`.
        "#,
        |path: &str, opts: Map| -> ScriptResult<UnixConnection> { unix_connect(path, opts).map_err(script_error) },
    );
    m.func(
        "unix_listen",
        &["path"],
        r#"
        Listens on a new Unix stream socket at `path` (the file must not exist yet).

        ```rhai
        let listener = socket::unix_listen("/tmp/app.sock");
        let conn = listener.accept();
        conn.sendall(conn.recv(1024));
        ```

        Errors: `InvalidArgument` (bad path), `IoError` (path in use, naming it),
        `PermissionDenied` (`--allow-write`).
        "#,
        |path: &str| -> ScriptResult<UnixListener> { unix_listen(path, Map::new()).map_err(script_error) },
    );
    m.func(
        "unix_listen",
        &["path", "options"],
        &format!(
            r#"
        Listens on a Unix stream socket with options: `backlog` (default {DEFAULT_BACKLOG}).

        ```rhai
        let listener = socket::unix_listen("/tmp/app.sock", #{{ backlog: 16 }});
        ```

        Errors: `InvalidArgument`, `IoError`, `PermissionDenied`.
        "#
        ),
        |path: &str, opts: Map| -> ScriptResult<UnixListener> { unix_listen(path, opts).map_err(script_error) },
    );
    m.func(
        "unix_datagram",
        &["path"],
        r#"
        Opens a Unix datagram socket bound to `path` (so others can `sendto` it).

        ```rhai
        let sock = socket::unix_datagram("/tmp/app.dgram");
        let msg = sock.recvfrom(65535);
        if msg.path != () { sock.sendto(msg.data, msg.path); }
        ```

        Errors: `InvalidArgument` (bad path), `IoError` (path in use),
        `PermissionDenied` (`--allow-write`).
        "#,
        |path: &str| -> ScriptResult<UnixDatagram> { unix_datagram(Some(path), Map::new()).map_err(script_error) },
    );
    m.func(
        "unix_datagram",
        &["path", "options"],
        r#"
        Opens a bound Unix datagram socket with options: `timeout` (seconds).

        ```rhai
        let sock = socket::unix_datagram("/tmp/app.dgram", #{ timeout: 1 });
        ```

        Errors: `InvalidArgument`, `IoError`, `PermissionDenied`.
        "#,
        |path: &str, opts: Map| -> ScriptResult<UnixDatagram> { unix_datagram(Some(path), opts).map_err(script_error) },
    );
    m.func(
        "unix_datagram",
        &[],
        r#"
        Opens an unbound Unix datagram socket, for sending only (receivers see no path to
        answer to).

        ```rhai
        let sock = socket::unix_datagram();
        sock.sendto("hello", "/tmp/app.dgram");
        ```

        Errors: `IoError`.
        "#,
        || -> ScriptResult<UnixDatagram> { unix_datagram(None, Map::new()).map_err(script_error) },
    );
    m.method(
        "sendto",
        &["data", "path"],
        r#"
        Sends a blob as one datagram to the Unix datagram socket at `path`.

        ```rhai
        let sock = socket::unix_datagram();
        sock.sendto(blob(16, 1), "/tmp/app.dgram");
        ```

        Errors: `InvalidArgument` (bad path), `ConnectionRefused` (nobody bound there),
        `IoError`, `PermissionDenied`, `ConnectionClosed` when closed.
        "#,
        |s: &mut UnixDatagram, data: Blob, path: &str| -> ScriptResult<INT> {
            let to = destination(path).map_err(script_error)?;
            s.0.send_to(&data, &to).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "sendto",
        &["text", "path"],
        r#"
        Sends a string as one datagram to the Unix datagram socket at `path`.

        ```rhai
        let sock = socket::unix_datagram();
        sock.sendto("hello", "/tmp/app.dgram");
        ```

        Errors: `InvalidArgument`, `ConnectionRefused`, `IoError`, `PermissionDenied`,
        `ConnectionClosed` when closed.
        "#,
        |s: &mut UnixDatagram, text: ImmutableString, path: &str| -> ScriptResult<INT> {
            let to = destination(path).map_err(script_error)?;
            s.0.send_to(text.as_bytes(), &to).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "connect",
        &["path"],
        r#"
        Fixes the peer of a Unix datagram socket: `send` then goes to `path`.

        ```rhai
        let sock = socket::unix_datagram();
        sock.connect("/tmp/app.dgram");
        sock.send("hello");
        ```

        Errors: `InvalidArgument`, `ConnectionRefused`, `IoError`, `PermissionDenied`.
        "#,
        |s: &mut UnixDatagram, path: &str| -> ScriptResult<()> {
            let to = destination(path).map_err(script_error)?;
            s.0.connect(to).map_err(script_error)
        },
    );
    register_connection_methods::<UnixConnection>(m);
    register_listener_methods::<UnixListener>(m);
    register_datagram_methods::<UnixDatagram>(m);
}
