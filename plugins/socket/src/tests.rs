//! Unit tests through a plain Rhai engine with the plugin's module (no netscript host: the
//! SDK's allow-all test stand-in answers the permission checks, and `serve` handlers need the real host, so the integration
//! tests in the repository's `tests/socket.rs` cover those).

use netscript_sdk::rhai::{Dynamic, Engine, Map, Scope};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn engine() -> Engine {
    netscript_sdk::host::allow_all_for_tests();
    let mut engine = Engine::new();
    engine.register_static_module("socket", crate::plugin().module.into());
    engine
}

fn eval<T: Clone + Send + Sync + 'static>(code: &str) -> T {
    engine().eval::<T>(code).unwrap_or_else(|e| panic!("script failed: {e}\n{code}"))
}

/// The `kind` of the error a script raises.
fn error_kind(code: &str) -> (String, String) {
    let err = engine().eval::<Dynamic>(code).expect_err("expected an error");
    match *err {
        netscript_sdk::rhai::EvalAltResult::ErrorRuntime(value, _) => {
            let map = value.cast::<Map>();
            (map["kind"].to_string(), map["message"].to_string())
        }
        other => panic!("not a script error: {other}"),
    }
}

/// A one-shot echo peer written with std, on a thread.
fn echo_peer() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 65536];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 || s.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn tcp_connect_sends_and_receives() {
    let port = echo_peer();
    let out: String = eval(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {port});
           c.sendall("hello\n");
           let line = c.read_line();
           c.send("é".to_blob());
           let t = c.recv_text(10);
           c.close();
           line + t + type_of(c)"#
    ));
    assert_eq!(out, "hello\néTcpConnection");
}

#[test]
fn connections_print_their_ends() {
    let port = echo_peer();
    let out: String = eval(&format!(r#"let c = socket::tcp_connect("127.0.0.1", {port}); `${{c}}`"#));
    assert!(out.starts_with("TcpConnection(127.0.0.1:"), "{out}");
    assert!(out.ends_with(&format!(" -> 127.0.0.1:{port})")), "{out}");
}

#[test]
fn python_shaped_socket_listens_and_accepts() {
    let engine = engine();
    let mut scope = Scope::new();
    engine
        .run_with_scope(
            &mut scope,
            r#"let s = socket::socket(socket::AF_INET, socket::SOCK_STREAM);
               s.setsockopt(socket::SOL_SOCKET, socket::SO_REUSEADDR, 1);
               s.bind("127.0.0.1", 0);
               s.listen(5);
               let port = s.getsockname().port;"#,
        )
        .unwrap();
    let port = scope.get_value::<i64>("port").unwrap() as u16;
    let client = std::thread::spawn(move || {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.write_all(b"ping").unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap();
        back
    });
    let text: String = engine
        .eval_with_scope(
            &mut scope,
            r#"let conn = s.accept();
               let data = conn.recv(100);
               conn.sendall(data);
               let empty = conn.recv(100);
               conn.close();
               `${data.len()} ${empty.len()} ${s}`"#,
        )
        .unwrap();
    assert_eq!(client.join().unwrap(), b"ping");
    assert!(text.starts_with("4 0 Socket(AF_INET, SOCK_STREAM, listening on 127.0.0.1:"), "{text}");
}

#[test]
fn udp_round_trip_with_a_64k_datagram() {
    let out: i64 = eval(
        r#"let s = socket::udp_bind("127.0.0.1", 0);
           s.sendto(blob(65507, 7), "127.0.0.1", s.port);
           let m = s.recvfrom(65535);
           if m.port != s.port || m.host != "127.0.0.1" { throw "wrong sender"; }
           m.data.len()"#,
    );
    assert_eq!(out, 65507);
}

#[test]
fn udp_over_ipv6_through_the_socket_object() {
    let out: String = eval(
        r#"let a = socket::socket(socket::AF_INET6, socket::SOCK_DGRAM);
           a.bind("::1", 0);
           let b = socket::socket(socket::AF_INET6, socket::SOCK_DGRAM);
           b.sendto("hi", "::1", a.getsockname().port);
           let m = a.recvfrom(100);
           m.host + ":" + m.data.as_string()"#,
    );
    assert_eq!(out, "::1:hi");
}

#[test]
fn unix_stream_and_datagram_round_trip() {
    let dir = std::env::temp_dir().join(format!("ns-sock-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let stream_path = dir.join("s.sock");
    let dgram_path = dir.join("d.sock");
    let engine = engine();
    let mut scope = Scope::new();
    engine
        .run_with_scope(&mut scope, &format!(r#"let l = socket::unix_listen("{}");"#, stream_path.display()))
        .unwrap();
    let path = stream_path.clone();
    let client = std::thread::spawn(move || {
        let mut c = std::os::unix::net::UnixStream::connect(path).unwrap();
        c.write_all(b"line one\nrest").unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let out: String = engine
        .eval_with_scope(
            &mut scope,
            &format!(
                r#"let c = l.accept();
                   let a = c.read_line();
                   let b = c.read_line();
                   let z = c.read_line();
                   let d = socket::unix_datagram("{d}");
                   let u = socket::unix_datagram();
                   u.sendto("dgram", "{d}");
                   let m = d.recvfrom(100);
                   a + "|" + b + "|" + z + "|" + m.data.as_string() + "|" + type_of(m.path)"#,
                d = dgram_path.display()
            ),
        )
        .unwrap();
    client.join().unwrap();
    assert_eq!(out, "line one\n|rest||dgram|()");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_ports_families_and_types_are_invalid_arguments() {
    for code in [
        r#"socket::tcp_connect("127.0.0.1", 70000)"#,
        r#"socket::tcp_listen("127.0.0.1", -1)"#,
        r#"socket::udp_bind("127.0.0.1", 65536)"#,
        r#"socket::socket(99, socket::SOCK_STREAM)"#,
        r#"socket::socket(socket::AF_INET, 42)"#,
        r#"socket::tcp_connect("127.0.0.1", 1, #{ timout: 1 })"#,
        r#"socket::getservbyport(65536, "tcp")"#,
    ] {
        assert_eq!(error_kind(code).0, "InvalidArgument", "{code}");
    }
}

#[test]
fn an_unknown_host_is_host_not_found() {
    let (kind, message) = error_kind(r#"socket::tcp_connect("no-such-host.invalid", 80)"#);
    assert_eq!(kind, "HostNotFound", "{message}");
    assert!(message.contains("no-such-host.invalid"), "{message}");
}

#[test]
fn a_closed_port_is_connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (kind, message) = error_kind(&format!(r#"socket::tcp_connect("127.0.0.1", {port})"#));
    assert_eq!(kind, "ConnectionRefused", "{message}");
}

#[test]
fn a_read_past_the_timeout_is_timeout_within_ten_percent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // The whole run (engine set-up, compile, connect, read) must fit in timeout + 10%; a
    // 2 s timeout leaves the set-up room on a loaded machine (tests/socket.rs times the
    // read alone).
    let start = Instant::now();
    let (kind, _) =
        error_kind(&format!(r#"let c = socket::tcp_connect("127.0.0.1", {port}); c.settimeout(2.0); c.recv(10)"#));
    let took = start.elapsed();
    assert_eq!(kind, "Timeout");
    assert!(took >= Duration::from_millis(2000) && took <= Duration::from_millis(2200), "{took:?}");
    drop(listener);
}

#[test]
fn sending_on_a_closed_socket_is_connection_closed() {
    let port = echo_peer();
    let (kind, _) = error_kind(&format!(r#"let c = socket::tcp_connect("127.0.0.1", {port}); c.close(); c.send("x")"#));
    assert_eq!(kind, "ConnectionClosed");
    let (kind, _) = error_kind(r#"let s = socket::socket(); s.close(); s.sendall("x")"#);
    assert_eq!(kind, "ConnectionClosed");
}

#[test]
fn sending_to_a_peer_that_closed_is_connection_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        drop(s);
    });
    let (kind, message) = error_kind(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {port});
           let eof = c.recv(10);
           if eof.len() != 0 {{ throw "expected end of stream"; }}
           for i in 0..100 {{ c.sendall(blob(65536, 1)); }}"#
    ));
    assert_eq!(kind, "ConnectionClosed", "{message}");
}

#[test]
fn recv_after_the_peer_closed_is_an_empty_blob() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"bye").unwrap();
    });
    let out: String = eval(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {port});
           let a = c.recv(10);
           let b = c.recv(10);
           let d = c.recv(10);
           `${{a.len()}} ${{b.len()}} ${{d.len()}}`"#
    ));
    assert_eq!(out, "3 0 0");
}

#[test]
fn binding_a_port_in_use_is_io_error_naming_the_address() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for code in [
        format!(r#"socket::tcp_listen("127.0.0.1", {port})"#),
        format!(r#"let s = socket::socket(); s.bind("127.0.0.1", {port}); s.listen()"#),
    ] {
        let (kind, message) = error_kind(&code);
        assert_eq!(kind, "IoError", "{message}");
        assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    }
}

#[test]
fn lookups_answer_like_the_system() {
    let out: String = eval(
        r#"socket::gethostbyname("localhost") + " " + socket::getservbyname("smtp", "tcp")
           + " " + socket::getservbyport(443, "tcp") + " " + socket::gethostbyaddr("127.0.0.1").addresses[0]"#,
    );
    assert_eq!(out, "127.0.0.1 25 https 127.0.0.1");
    let n: i64 = eval(r#"socket::getaddrinfo("127.0.0.1", 80).len()"#);
    assert_eq!(n, 1);
    assert_eq!(error_kind(r#"socket::gethostbyname("no-such-host.invalid")"#).0, "HostNotFound");
}

#[test]
fn accept_on_a_listener_closed_elsewhere_fails_promptly() {
    let out: String = eval(
        r#"let l = socket::tcp_listen("127.0.0.1", 0);
           l.settimeout(0.2);
           let kind = "";
           try { l.accept(); } catch (e) { kind = e.kind; }
           l.close();
           try { l.accept(); } catch (e) { kind += " " + e.kind; }
           kind"#,
    );
    assert_eq!(out, "Timeout ConnectionClosed");
}
