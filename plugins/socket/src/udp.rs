//! UDP: `socket::udp_bind` and the `UdpSocket` handle (`sendto`, `recvfrom`, `connect`).
//! Datagrams up to 65,507 bytes (IPv4) travel whole.

use crate::datagram::{register_datagram_methods, Datagram, DatagramCore, Destination, RawDatagram};
use crate::error::{SocketError, SocketResult};
use crate::net::{self, Family, Limit, DEFAULT_TIMEOUT};
use netscript_sdk::prelude::*;
use netscript_sdk::runtime;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::SocketAddr;
use std::sync::Arc;

/// A UDP socket (`socket::udp_bind`).
#[derive(Clone)]
pub struct UdpSocket(pub Arc<DatagramCore>);

impl Datagram for UdpSocket {
    const TYPE: &'static str = "UdpSocket";
    const OPEN: &'static str = "let sock = socket::udp_bind(\"127.0.0.1\", 0);";
    fn core(&self) -> &DatagramCore {
        &self.0
    }
}

/// A new UDP socket of `family`, not yet bound.
pub fn new_socket(family: Family) -> SocketResult<Socket> {
    let domain = match family {
        Family::Inet6 => Domain::IPV6,
        _ => Domain::IPV4,
    };
    Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| SocketError::io("socket", e))
}

/// Hands a socket to the runtime.
pub fn datagram_core(socket: Socket, limit: Limit) -> SocketResult<DatagramCore> {
    socket.set_nonblocking(true).map_err(|e| SocketError::io("socket", e))?;
    let std_socket: std::net::UdpSocket = socket.into();
    let _context = runtime::runtime().enter();
    let sock = tokio::net::UdpSocket::from_std(std_socket).map_err(|e| SocketError::io("socket", e))?;
    Ok(DatagramCore::new(RawDatagram::Udp(sock), limit))
}

/// Resolves and permission-checks a datagram's destination.
pub fn destination(host: &str, port: INT, family: Option<Family>) -> SocketResult<Destination> {
    let port = net::port(port)?;
    let addrs = net::resolve_checked(host, port, family, false, Some(DEFAULT_TIMEOUT))?;
    addrs
        .first()
        .copied()
        .map(Destination::Ip)
        .ok_or_else(|| SocketError::HostNotFound { host: host.into(), reason: "no address".into() })
}

/// The family of a UDP socket (from its bound address).
fn family_of(core: &DatagramCore) -> Option<Family> {
    match core.local() {
        crate::raw::Endpoint::Ip(addr) => Some(Family::of(&addr)),
        crate::raw::Endpoint::Path(_) => None,
    }
}

fn bind_addr(addr: SocketAddr, limit: Limit) -> SocketResult<DatagramCore> {
    let socket = new_socket(Family::of(&addr))?;
    socket.bind(&addr.into()).map_err(|e| SocketError::io(format!("bind {addr}"), e))?;
    datagram_core(socket, limit)
}

fn udp_bind(host: &str, port: INT, opts: Map) -> SocketResult<UdpSocket> {
    let opts = net::options("udp_bind", opts, &["timeout"])?;
    let limit = net::option_limit(&opts)?;
    let port = net::port(port)?;
    let addrs = net::resolve_checked(host, port, None, true, Some(DEFAULT_TIMEOUT))?;
    let mut last = None;
    for addr in addrs {
        match bind_addr(addr, limit) {
            Ok(core) => return Ok(UdpSocket(Arc::new(core))),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| SocketError::HostNotFound { host: host.into(), reason: "no address".into() }))
}

fn sendto(sock: &UdpSocket, data: &[u8], host: &str, port: INT) -> SocketResult<INT> {
    let to = destination(host, port, family_of(&sock.0))?;
    sock.0.send_to(data, &to).map(|n| n as INT)
}

fn connect(sock: &UdpSocket, host: &str, port: INT) -> SocketResult<()> {
    let to = destination(host, port, family_of(&sock.0))?;
    sock.0.connect(to)
}

/// Registers UDP's functions and type.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<UdpSocket>("UdpSocket");
    m.func(
        "udp_bind",
        &["host", "port"],
        r#"
        Opens a UDP socket bound to `host:port` (`""` for every IPv4 address, `"::"` for
        IPv6; port 0 picks a free port, read it from `.port`). Receives wait 30 s unless
        `settimeout` says otherwise (`settimeout(())` for a server).

        ```rhai
        let sock = socket::udp_bind("127.0.0.1", 0);
        sock.sendto("ping", "127.0.0.1", sock.port);
        let msg = sock.recvfrom(65535);
        print(`${msg.data.len()} bytes from ${msg.host}:${msg.port}`);
        ```

        Errors: `InvalidArgument` (port outside 0-65535), `HostNotFound`, `IoError`
        (address in use, naming the address), `PermissionDenied`.
        "#,
        |host: &str, port: INT| -> ScriptResult<UdpSocket> { udp_bind(host, port, Map::new()).map_err(script_error) },
    );
    m.func(
        "udp_bind",
        &["host", "port", "options"],
        r#"
        Opens a bound UDP socket with options: `timeout` (seconds, for every call).

        ```rhai
        let sock = socket::udp_bind("::1", 0, #{ timeout: 2 });
        ```

        Errors: `InvalidArgument` (unknown option, bad port), `HostNotFound`, `IoError`,
        `PermissionDenied`.
        "#,
        |host: &str, port: INT, opts: Map| -> ScriptResult<UdpSocket> {
            udp_bind(host, port, opts).map_err(script_error)
        },
    );
    m.method(
        "sendto",
        &["data", "host", "port"],
        r#"
        Sends a blob as one datagram to `host:port` (at most 65,507 bytes over IPv4);
        returns the byte count.

        ```rhai
        let sock = socket::udp_bind("127.0.0.1", 0);
        sock.sendto(blob(512, 0), "127.0.0.1", 9999);
        ```

        Errors: `InvalidArgument` (bad port), `HostNotFound`, `IoError` (datagram too
        long), `PermissionDenied`, `ConnectionClosed` when closed.
        "#,
        |s: &mut UdpSocket, data: Blob, host: &str, port: INT| -> ScriptResult<INT> {
            sendto(s, &data, host, port).map_err(script_error)
        },
    );
    m.method(
        "sendto",
        &["text", "host", "port"],
        r#"
        Sends a string as one datagram to `host:port`; returns the byte count.

        ```rhai
        let sock = socket::udp_bind("127.0.0.1", 0);
        sock.sendto("ping", "127.0.0.1", 9999);
        ```

        Errors: `InvalidArgument`, `HostNotFound`, `IoError`, `PermissionDenied`,
        `ConnectionClosed` when closed.
        "#,
        |s: &mut UdpSocket, text: ImmutableString, host: &str, port: INT| -> ScriptResult<INT> {
            sendto(s, text.as_bytes(), host, port).map_err(script_error)
        },
    );
    m.method(
        "connect",
        &["host", "port"],
        r#"
        Fixes the peer of a UDP socket: `send` and `recv` then talk to it, and datagrams
        from elsewhere are dropped.

        ```rhai
        let sock = socket::udp_bind("127.0.0.1", 0);
        sock.connect("127.0.0.1", 9999);
        sock.send("ping");
        ```

        Errors: `InvalidArgument`, `HostNotFound`, `PermissionDenied`, `IoError`.
        "#,
        |s: &mut UdpSocket, host: &str, port: INT| -> ScriptResult<()> { connect(s, host, port).map_err(script_error) },
    );
    register_datagram_methods::<UdpSocket>(m);
}
