//! The script face of connected streams and listeners: the methods every connection type
//! (`TcpConnection`, `UnixConnection`) and every listener type has, registered once for each.

use crate::error::SocketError;
use crate::net::{self, DEFAULT_TIMEOUT, SHUT_WR};
use crate::stream::{ListenerCore, StreamCore, MAX_LINE};
use netscript_sdk::prelude::*;

/// A script handle type backed by a [`StreamCore`].
pub trait Connection: Clone + Send + Sync + 'static {
    /// The type name scripts see.
    const TYPE: &'static str;
    /// A line of script that opens one, for the doc examples.
    const OPEN: &'static str;
    /// The shared stream.
    fn core(&self) -> &StreamCore;
}

/// Registers the methods every connection type has.
pub fn register_connection_methods<C: Connection>(m: &mut ModuleBuilder) {
    let t = C::TYPE;
    let open = C::OPEN;
    let doc = |summary: &str, body: &str, errors: &str| {
        format!("{summary}\n\n```rhai\n{open}\n{body}\n```\n\nErrors: {errors}")
    };
    m.method(
        "send",
        &["data"],
        &doc(
            &format!("Sends what the socket takes now of a blob (on a `{t}`); returns the byte count. Use `sendall` to send everything."),
            "let n = conn.send(\"hello\".to_blob());",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, data: Blob| -> ScriptResult<INT> {
            c.core().send(&data).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "send",
        &["text"],
        &doc(
            &format!("Sends what the socket takes now of a string's UTF-8 bytes (on a `{t}`); returns the byte count."),
            "conn.send(\"hello\\n\");",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, text: ImmutableString| -> ScriptResult<INT> {
            c.core().send(text.as_bytes()).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "sendall",
        &["data"],
        &doc(
            &format!("Sends all of a blob on a `{t}`, waiting for room as needed."),
            "conn.sendall(blob(1024, 0x41));",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, data: Blob| -> ScriptResult<()> { c.core().sendall(&data).map_err(script_error) },
    );
    m.method(
        "sendall",
        &["text"],
        &doc(
            &format!("Sends all of a string (UTF-8) on a `{t}`."),
            "conn.sendall(\"GET / HTTP/1.0\\r\\n\\r\\n\");",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, text: ImmutableString| -> ScriptResult<()> {
            c.core().sendall(text.as_bytes()).map_err(script_error)
        },
    );
    m.method(
        "recv",
        &["n"],
        &doc(
            &format!("Receives at most `n` bytes from a `{t}` as a blob, waiting until some arrive. An empty blob means the peer closed its end (not an error)."),
            "let data = conn.recv(4096);\nif data.len() == 0 { print(\"peer closed\"); }",
            "`Timeout` after the socket's timeout (default 30 s), `ConnectionClosed` when closed locally or reset, `InvalidArgument` for a negative `n`.",
        ),
        |c: &mut C, n: INT| -> ScriptResult<Blob> {
            let n = net::byte_count(n, "recv").map_err(script_error)?;
            c.core().recv(n).map_err(script_error)
        },
    );
    m.method(
        "recv_text",
        &["n"],
        &doc(
            &format!("Receives at most `n` bytes from a `{t}` as text (a UTF-8 character split across reads is kept whole for the next call). `\"\"` means the peer closed its end."),
            "let text = conn.recv_text(4096);",
            "`Timeout`, `ConnectionClosed` when closed locally or reset, `InvalidArgument` for a negative `n`.",
        ),
        |c: &mut C, n: INT| -> ScriptResult<String> {
            let n = net::byte_count(n, "recv_text").map_err(script_error)?;
            c.core().recv_text(n).map_err(script_error)
        },
    );
    m.method(
        "read_line",
        &[],
        &doc(
            &format!("Reads one line from a `{t}`, through and including its `\\n`; `\"\"` at end of stream. A line longer than 1 MiB comes back in parts."),
            "let line = conn.read_line();\nif line == \"\" { print(\"closed\"); } else { line.trim(); print(line); }",
            "`Timeout`, `ConnectionClosed` when closed locally or reset.",
        ),
        |c: &mut C| -> ScriptResult<String> { c.core().read_line(MAX_LINE).map_err(script_error) },
    );
    m.method(
        "read_line",
        &["limit"],
        &doc(
            &format!("Reads one line from a `{t}`, at most `limit` bytes (Python's `readline(limit)`)."),
            "let line = conn.read_line(80);",
            "`Timeout`, `ConnectionClosed`, `InvalidArgument` for a limit below 1.",
        ),
        |c: &mut C, limit: INT| -> ScriptResult<String> {
            let limit = net::byte_count(limit, "read_line").map_err(script_error)?;
            if limit == 0 {
                return Err(script_error(SocketError::invalid("read_line: limit must be at least 1")));
            }
            c.core().read_line(limit).map_err(script_error)
        },
    );
    m.method(
        "settimeout",
        &["seconds"],
        &doc(
            &format!("Sets how long calls on a `{t}` may wait, in seconds (default 30); `()` waits without limit."),
            "conn.settimeout(2.5);",
            "`InvalidArgument` for zero, a negative number or a non-number.",
        ),
        |c: &mut C, value: Dynamic| -> ScriptResult<()> {
            let limit = net::parse_limit(&value).map_err(script_error)?;
            c.core().timeout.set(limit);
            Ok(())
        },
    );
    m.method(
        "gettimeout",
        &[],
        &doc(&format!("The timeout of a `{t}` in seconds, or `()` for none."), "print(conn.gettimeout());", "none."),
        |c: &mut C| -> Dynamic { c.core().timeout.script_value(Some(DEFAULT_TIMEOUT)) },
    );
    m.method(
        "shutdown",
        &[],
        &doc(
            &format!("Stops sending on a `{t}` (half-close): the peer reads end of stream, and replies can still be received."),
            "conn.sendall(\"request\");\nconn.shutdown();\nlet reply = conn.recv(65536);",
            "`ConnectionClosed` when already closed, `IoError`.",
        ),
        |c: &mut C| -> ScriptResult<()> { c.core().shutdown(SHUT_WR).map_err(script_error) },
    );
    m.method(
        "shutdown",
        &["how"],
        &doc(
            &format!("Shuts down receiving (`socket::SHUT_RD`), sending (`SHUT_WR`) or both (`SHUT_RDWR`) on a `{t}`."),
            "conn.shutdown(socket::SHUT_RDWR);",
            "`InvalidArgument` for another mode, `ConnectionClosed` when already closed.",
        ),
        |c: &mut C, how: INT| -> ScriptResult<()> { c.core().shutdown(how).map_err(script_error) },
    );
    m.method(
        "close",
        &[],
        &doc(
            &format!("Closes a `{t}`; every copy of the handle sees it closed and calls waiting on it fail with `ConnectionClosed`. Closing twice is harmless."),
            "conn.close();",
            "none.",
        ),
        |c: &mut C| c.core().close(),
    );
    m.getter(
        "closed",
        &doc(&format!("Whether `close()` was called on this `{t}`."), "print(conn.closed);", "none."),
        |c: &mut C| c.core().is_closed(),
    );
    m.getter(
        "peer_addr",
        &doc(
            &format!("The other end of a `{t}` as text (`\"127.0.0.1:5000\"`, `\"[::1]:5000\"`, or a path)."),
            "print(`connected to ${conn.peer_addr}`);",
            "none.",
        ),
        |c: &mut C| c.core().peer.to_string(),
    );
    m.getter(
        "local_addr",
        &doc(&format!("This end of a `{t}` as text."), "print(conn.local_addr);", "none."),
        |c: &mut C| c.core().local.to_string(),
    );
    m.getter(
        "peer_host",
        &doc(&format!("The other end's IP address (or path) of a `{t}`."), "print(conn.peer_host);", "none."),
        |c: &mut C| c.core().peer.host(),
    );
    m.getter(
        "peer_port",
        &doc(&format!("The other end's port of a `{t}` (0 for Unix sockets)."), "print(conn.peer_port);", "none."),
        |c: &mut C| c.core().peer.port(),
    );
    m.getter(
        "local_port",
        &doc(&format!("This end's port of a `{t}` (0 for Unix sockets)."), "print(conn.local_port);", "none."),
        |c: &mut C| c.core().local.port(),
    );
    m.method(
        "getpeername",
        &[],
        &doc(
            &format!("Python's `getpeername()` on a `{t}`: `#{{host, port}}`, or the path."),
            "let peer = conn.getpeername();\nprint(peer.host);",
            "none.",
        ),
        |c: &mut C| c.core().peer.script_value(),
    );
    m.method(
        "getsockname",
        &[],
        &doc(
            &format!("Python's `getsockname()` on a `{t}`: `#{{host, port}}`, or the path."),
            "print(conn.getsockname().port);",
            "none.",
        ),
        |c: &mut C| c.core().local.script_value(),
    );
    m.pure_method(
        "to_string",
        &[],
        &doc(&format!("The `{t}` as text: its two ends and state."), "print(conn);", "none."),
        |c: &mut C| describe_connection(C::TYPE, c.core()),
    );
    m.pure_method(
        "to_debug",
        &[],
        &doc(&format!("The `{t}` as text, for `debug()`."), "debug(conn);", "none."),
        |c: &mut C| describe_connection(C::TYPE, c.core()),
    );
}

/// `TcpConnection(127.0.0.1:40000 -> 127.0.0.1:7007)`, with `closed` once closed.
pub fn describe_connection(type_name: &str, core: &StreamCore) -> String {
    let state = if core.is_closed() { ", closed" } else { "" };
    format!("{type_name}({} -> {}{state})", core.local, core.peer)
}

/// `TcpListener(127.0.0.1:7007)`.
pub fn describe_listener(type_name: &str, core: &ListenerCore) -> String {
    let state = if core.life.is_closed() { ", closed" } else { "" };
    format!("{type_name}({}{state})", core.local)
}

/// A script handle type backed by a [`ListenerCore`].
pub trait Listening: Clone + Send + Sync + 'static {
    /// The type name scripts see.
    const TYPE: &'static str;
    /// A line of script that opens one, for the doc examples.
    const OPEN: &'static str;
    /// The connection type `accept()` returns.
    type Conn: Connection;
    /// The shared listener.
    fn core(&self) -> &ListenerCore;
    /// Wraps an accepted stream.
    fn wrap(core: StreamCore) -> Self::Conn;
}

/// Registers the methods every listener type has.
pub fn register_listener_methods<L: Listening>(m: &mut ModuleBuilder) {
    let t = L::TYPE;
    let open = L::OPEN;
    let conn = <L::Conn as Connection>::TYPE;
    let doc = |summary: &str, body: &str, errors: &str| {
        format!("{summary}\n\n```rhai\n{open}\n{body}\n```\n\nErrors: {errors}")
    };
    m.method(
        "accept",
        &[],
        &doc(
            &format!("Waits for the next client of a `{t}` and returns its `{conn}` (with `.peer_addr`). Waits without limit unless `settimeout` was called; Ctrl-C interrupts."),
            "let conn = listener.accept();\nprint(`client ${conn.peer_addr}`);\nconn.sendall(\"hello\\n\");\nconn.close();",
            "`Timeout` after `settimeout`'s limit, `ConnectionClosed` once the listener is closed, `IoError`.",
        ),
        |l: &mut L| -> ScriptResult<L::Conn> {
            l.core().accept().map(L::wrap).map_err(script_error)
        },
    );
    m.method(
        "settimeout",
        &["seconds"],
        &doc(
            &format!("Sets how long `accept` on a `{t}` waits, in seconds; `()` (the default) waits without limit."),
            "listener.settimeout(5);",
            "`InvalidArgument` for zero, a negative number or a non-number.",
        ),
        |l: &mut L, value: Dynamic| -> ScriptResult<()> {
            let limit = net::parse_limit(&value).map_err(script_error)?;
            l.core().timeout.set(limit);
            Ok(())
        },
    );
    m.method(
        "gettimeout",
        &[],
        &doc(&format!("The accept timeout of a `{t}`, or `()` for none."), "print(listener.gettimeout());", "none."),
        |l: &mut L| -> Dynamic { l.core().timeout.script_value(None) },
    );
    m.method(
        "close",
        &[],
        &doc(
            &format!("Stops a `{t}` listening; a waiting `accept` fails with `ConnectionClosed`."),
            "listener.close();",
            "none.",
        ),
        |l: &mut L| l.core().close(),
    );
    m.getter(
        "closed",
        &doc(&format!("Whether the `{t}` was closed."), "print(listener.closed);", "none."),
        |l: &mut L| l.core().life.is_closed(),
    );
    m.getter(
        "local_addr",
        &doc(&format!("The address a `{t}` listens on, as text."), "print(listener.local_addr);", "none."),
        |l: &mut L| l.core().local.to_string(),
    );
    m.getter(
        "port",
        &doc(
            &format!("The port a `{t}` listens on (the one picked when port 0 was asked; 0 for Unix sockets)."),
            "print(listener.port);",
            "none.",
        ),
        |l: &mut L| l.core().local.port(),
    );
    m.method(
        "getsockname",
        &[],
        &doc(
            &format!("Python's `getsockname()` on a `{t}`: `#{{host, port}}`, or the path."),
            "print(listener.getsockname());",
            "none.",
        ),
        |l: &mut L| l.core().local.script_value(),
    );
    m.pure_method("to_string", &[], &doc(&format!("The `{t}` as text."), "print(listener);", "none."), |l: &mut L| {
        describe_listener(L::TYPE, l.core())
    });
    m.pure_method(
        "to_debug",
        &[],
        &doc(&format!("The `{t}` as text, for `debug()`."), "debug(listener);", "none."),
        |l: &mut L| describe_listener(L::TYPE, l.core()),
    );
}
