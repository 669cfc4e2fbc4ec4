//! The script face of `socket::socket(family, type)`: the function and every method of the
//! Python-shaped `Socket` (`socket_object.rs` holds the type and what its calls do).

use crate::net::{self};
use crate::socket_object::{
    not_connected, Socket, View, IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY, SOL_SOCKET, SO_BROADCAST, SO_KEEPALIVE,
    SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, TCP_NODELAY,
};
use crate::stream::MAX_LINE;
use netscript_sdk::prelude::*;

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
        |s: &mut Socket| s.family_int(),
    );
    m.getter(
        "type",
        &doc(
            "The `Socket`'s type (`socket::SOCK_STREAM` or `SOCK_DGRAM`).",
            "let s = socket::socket();\nprint(s.type);",
            "none.",
        ),
        |s: &mut Socket| s.kind_int(),
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
