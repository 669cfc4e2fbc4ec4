//! The socket plugin against foreign peers: Python's socketserver and socket modules and
//! socat on loopback, driving the real `netscript` binary. Every bad-input case of the
//! socket issue is a test of its own.

mod common;

use common::{eval, have, repo_root, run, Peer, Run};
use std::path::{Path, PathBuf};

/// A peer script under tests/peers.
fn peer_script(name: &str) -> String {
    repo_root().join("tests/peers").join(name).display().to_string()
}

/// Starts a Python peer and reads the port it prints first.
fn python_peer(name: &str, args: &[&str]) -> (Peer, u16) {
    let script = peer_script(name);
    let mut all = vec![script.as_str()];
    all.extend_from_slice(args);
    let mut peer = Peer::start(name, "python3", &all, None);
    let port = peer.read_line().parse().unwrap_or_else(|_| panic!("{name} printed no port"));
    (peer, port)
}

/// Writes a script into `dir` and returns its path.
fn script(dir: &Path, name: &str, code: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, code).expect("write script");
    path
}

/// Starts netscript running `path ARGS…` as a server and reads the port it prints first.
fn netscript_server(path: &Path, args: &[&str]) -> (Peer, u16) {
    let bin = common::netscript_bin();
    let path = path.display().to_string();
    let mut all = vec![path.as_str()];
    all.extend_from_slice(args);
    let mut peer = Peer::start("netscript", bin.to_str().expect("utf-8 path"), &all, None);
    let line = peer.read_line();
    let port = line
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("netscript server printed no port: {line:?}"));
    (peer, port)
}

/// An echo server on `socket::serve`, printing its port.
const SERVE_ECHO: &str = r#"
let host = if ARGS.len() > 0 { ARGS[0] } else { "127.0.0.1" };
let server = socket::serve(host, 0, |conn| {
    loop {
        let data = conn.recv(65536);
        if data.len() == 0 { break; }
        conn.sendall(data);
    }
});
print(server.port);
server.wait();
"#;

/// The `kind` a one-line script fails with, from `kind: message` on stderr.
fn error_kind(out: &Run) -> String {
    assert_eq!(out.status, 1, "expected a script error\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
    out.stderr.split(':').next().unwrap_or("").trim().to_string()
}

/// Runs `code`, which must print exactly one line; returns it.
fn eval_line(code: &str) -> String {
    eval(code).ok().stdout.trim().to_string()
}

// ---- foreign peers ----------------------------------------------------------------

#[test]
fn netscript_client_talks_to_a_python_socketserver_echo() {
    let (_peer, port) = python_peer("echo_server.py", &["--threading"]);
    let out = eval_line(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {port});
           c.sendall("hello\n");
           let a = c.read_line();
           c.sendall(blob(100000, 0x61));
           let got = 0;
           while got < 100000 {{ got += c.recv(65536).len(); }}
           let s = socket::socket(socket::AF_INET, socket::SOCK_STREAM);
           s.connect("localhost", {port});
           s.sendall("héllo");
           let b = s.recv_text(100);
           c.close(); s.close();
           print(a + got + " " + b);"#
    ));
    assert_eq!(out, "hello\n100000 héllo");
}

#[test]
fn socket_waits_in_parallel_closures_overlap() {
    // 16 reads that each wait 0.5 s for the server, from closures that share a few threads:
    // they overlap (about 0.5 s in all), they are not served one after another (4 s).
    let out = eval_line(
        r#"let server = socket::serve("127.0.0.1", 0, |conn| { sleep(0.5); conn.sendall("late\n"); });
           let port = server.port;
           let xs = []; for i in 0..16 { xs.push(i) }
           let t = now();
           let lines = parallel(xs, |i| socket::tcp_connect("127.0.0.1", port).read_line(), #{ limit: 16 });
           print(`${lines.filter(|l| l == "late\n").len()} ${now() - t < 2.0}`);"#,
    );
    assert_eq!(out, "16 true");
}

#[test]
fn one_connection_shared_by_parallel_closures_neither_hangs_nor_mixes_lines() {
    // The closures interleave on a few threads; a read waiting for the connection's read
    // lock must not block the thread the holder runs on. (The connection is handed to each
    // closure as its item: a captured variable is locked by Rhai for a whole method call.)
    let (_peer, port) = python_peer("echo_server.py", &["--threading"]);
    let out = eval_line(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {port});
           c.settimeout(10);
           let xs = []; for i in 0..16 {{ xs.push(c) }}
           let lines = parallel(xs, |conn| {{ conn.sendall("line\n"); conn.read_line() }}, #{{ limit: 16 }});
           print(lines.filter(|l| l == "line\n").len());"#
    ));
    assert_eq!(out, "16");
}

#[test]
fn seed_echo_client_and_server_talk_and_serve_python_too() {
    let server = repo_root().join("scripts/echo_server.rhai");
    let client = repo_root().join("scripts/echo_client.rhai");
    let (_srv, port) = netscript_server(&server, &["0"]);
    let port_text = port.to_string();
    let out = run(&[client.to_str().unwrap(), &port_text]).ok();
    assert_eq!(out.stdout.trim(), "Received Hello, world");
    let py = std::process::Command::new("python3")
        .args([&peer_script("echo_client.py"), "127.0.0.1", &port_text])
        .output()
        .expect("python3");
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), "ok", "{}", String::from_utf8_lossy(&py.stderr));
    // And the seed client against Python's own echo server.
    let (_py, py_port) = python_peer("echo_server.py", &[]);
    let out = run(&[client.to_str().unwrap(), &py_port.to_string(), "from netscript"]).ok();
    assert_eq!(out.stdout.trim(), "Received from netscript");
}

#[test]
fn python_client_talks_to_socket_serve() {
    let dir = common::temp_dir();
    let (_srv, port) = netscript_server(&script(dir.path(), "echo.rhai", SERVE_ECHO), &[]);
    let py = std::process::Command::new("python3")
        .args([&peer_script("echo_client.py"), "127.0.0.1", &port.to_string()])
        .output()
        .expect("python3");
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), "ok", "{}", String::from_utf8_lossy(&py.stderr));
}

#[test]
fn ipv6_loopback_both_ways() {
    let dir = common::temp_dir();
    let (_srv, port) = netscript_server(&script(dir.path(), "echo.rhai", SERVE_ECHO), &["::1"]);
    let py = std::process::Command::new("python3")
        .args([&peer_script("echo_client.py"), "::1", &port.to_string()])
        .output()
        .expect("python3");
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), "ok", "{}", String::from_utf8_lossy(&py.stderr));
    let (_py, py_port) = python_peer("echo_server.py", &["--threading", "--host", "::1"]);
    let out = eval_line(&format!(
        r#"let c = socket::tcp_connect("::1", {py_port});
           c.sendall("six");
           let a = c.recv_text(10);
           let s = socket::socket(socket::AF_INET6, socket::SOCK_STREAM);
           s.connect("::1", {py_port});
           s.sendall("again");
           print(a + " " + s.recv_text(10) + " " + c.peer_addr);"#
    ));
    assert_eq!(out, format!("six again [::1]:{py_port}"));
}

#[test]
fn a_64k_udp_datagram_round_trips_through_python() {
    let (_peer, port) = python_peer("udp_echo.py", &[]);
    let out = eval_line(&format!(
        r#"let u = socket::udp_bind("127.0.0.1", 0, #{{ timeout: 10 }});
           let data = blob(65507);
           for i in 0..65507 {{ data[i] = i % 251; }}
           u.sendto(data, "127.0.0.1", {port});
           let m = u.recvfrom(65535);
           print(`${{m.data.len()}} ${{m.data == data}} ${{m.port}}`);"#
    ));
    assert_eq!(out, format!("65507 true {port}"));
    // IPv6 too, through the Python-shaped socket.
    let (_peer6, port6) = python_peer("udp_echo.py", &["--host", "::1"]);
    let out = eval_line(&format!(
        r#"let s = socket::socket(socket::AF_INET6, socket::SOCK_DGRAM);
           s.settimeout(10);
           s.sendto(blob(65000, 7), "::1", {port6});
           let m = s.recvfrom(65535);
           print(`${{m.data.len()}} ${{m.host}}`);"#
    ));
    assert_eq!(out, "65000 ::1");
}

#[test]
fn socat_is_the_udp_peer() {
    assert!(have("socat"), "socat is not installed");
    let port = common::free_port();
    let _socat = Peer::start(
        "socat",
        "socat",
        &["-b", "65536", &format!("UDP4-RECVFROM:{port},bind=127.0.0.1,fork"), "SYSTEM:cat"],
        None,
    );
    common::wait_for_udp_port(port);
    let out = eval_line(&format!(
        r#"let u = socket::udp_bind("127.0.0.1", 0, #{{ timeout: 10 }});
           u.sendto("datagram from netscript", "127.0.0.1", {port});
           let m = u.recvfrom(1000);
           print(m.data.as_string());"#
    ));
    assert_eq!(out, "datagram from netscript");
}

#[test]
fn socat_is_the_unix_socket_peer() {
    assert!(have("socat"), "socat is not installed");
    let dir = common::temp_dir();
    let stream = dir.path().join("s.sock");
    let _echo = Peer::start("socat", "socat", &[&format!("UNIX-LISTEN:{},fork", stream.display()), "SYSTEM:cat"], None);
    // netscript listens, socat connects and sends.
    let listen = dir.path().join("l.sock");
    let dgram = dir.path().join("d.sock");
    let sender = std::thread::spawn({
        let listen = listen.clone();
        let dgram = dgram.clone();
        move || {
            for _ in 0..100 {
                if listen.exists() && dgram.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let send = |target: String| {
                std::process::Command::new("sh")
                    .args(["-c", &format!("printf 'from socat' | socat - {target}")])
                    .status()
                    .expect("socat")
            };
            send(format!("UNIX-CONNECT:{}", listen.display()));
            send(format!("UNIX-SENDTO:{}", dgram.display()));
        }
    });
    for _ in 0..100 {
        if stream.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = eval_line(&format!(
        r#"let c = socket::unix_connect("{s}");
           c.sendall("unix echo");
           let a = c.recv_text(100);
           let l = socket::unix_listen("{l}");
           let d = socket::unix_datagram("{d}", #{{ timeout: 10 }});
           let conn = l.accept();
           let b = "";
           loop {{ let t = conn.recv_text(100); if t == "" {{ break; }} b += t; }}
           let m = d.recvfrom(100);
           print(a + "|" + b + "|" + m.data.as_string() + "|" + type_of(conn));"#,
        s = stream.display(),
        l = listen.display(),
        d = dgram.display()
    ));
    sender.join().unwrap();
    assert_eq!(out, "unix echo|from socat|from socat|UnixConnection");
}

#[test]
fn a_100_mib_stream_keeps_its_checksum() {
    // Python sends 100 MiB of random bytes; netscript echoes them with recv/sendall.
    let dir = common::temp_dir();
    let echo = script(
        dir.path(),
        "bulk_echo.rhai",
        r#"let l = socket::tcp_listen("127.0.0.1", 0);
           print(l.port);
           let c = l.accept();
           loop {
               let data = c.recv(1048576);
               if data.len() == 0 { break; }
               c.sendall(data);
           }
           c.close();"#,
    );
    let (_srv, port) = netscript_server(&echo, &[]);
    let py = std::process::Command::new("python3")
        .args([&peer_script("stream_check.py"), "echo-client", &port.to_string(), "100"])
        .output()
        .expect("python3");
    let line = String::from_utf8_lossy(&py.stdout).trim().to_string();
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields.len(), 3, "{line} {}", String::from_utf8_lossy(&py.stderr));
    assert_eq!(fields[0], fields[1], "checksums differ");
    assert_eq!(fields[2], (100u64 << 20).to_string());

    // netscript sends 100 MiB (a 1 MiB file, 100 times); Python checks what arrives.
    let block: Vec<u8> = (0..(1u32 << 20)).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    let file = dir.path().join("block.bin");
    std::fs::write(&file, &block).unwrap();
    let (mut sink, sink_port) = python_peer("stream_check.py", &["sink"]);
    eval(&format!(
        r#"let b = fs::read_blob("{}");
           let c = socket::tcp_connect("127.0.0.1", {sink_port});
           for i in 0..100 {{ c.sendall(b); }}
           c.close();"#,
        file.display()
    ))
    .ok();
    let result = sink.read_line();
    let expected = {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                &format!(
                    "import hashlib;b=open('{}','rb').read();h=hashlib.sha256();[h.update(b) for _ in range(100)];print(h.hexdigest())",
                    file.display()
                ),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(result, format!("{} {expected}", 100u64 << 20));
}

#[test]
fn five_hundred_concurrent_clients_are_all_answered() {
    let dir = common::temp_dir();
    let (_srv, port) = netscript_server(&script(dir.path(), "echo.rhai", SERVE_ECHO), &[]);
    let py = std::process::Command::new("python3")
        .args([&peer_script("many_clients.py"), "127.0.0.1", &port.to_string(), "500"])
        .output()
        .expect("python3");
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), "ok 500", "{}", String::from_utf8_lossy(&py.stderr));
}

#[test]
fn lookups_match_python_on_this_machine() {
    let py = std::process::Command::new("python3").arg(peer_script("lookups.py")).output().expect("python3");
    let python = String::from_utf8_lossy(&py.stdout).trim().to_string();
    let ours = eval_line(
        r#"let a = socket::gethostbyaddr("127.0.0.1");
           print(json::stringify(#{
               gethostbyname: socket::gethostbyname("localhost"),
               getservbyname: socket::getservbyname("smtp", "tcp"),
               getservbyport: socket::getservbyport(993, "tcp"),
               gethostbyaddr: [a.hostname, a.aliases, a.addresses],
               gethostname: socket::gethostname(),
           }));"#,
    );
    let norm = |s: &str| -> serde_json::Value { serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}")) };
    assert_eq!(norm(&ours), norm(&python));
    assert_eq!(norm(&ours)["getservbyname"], 25);
}

#[test]
fn connect_and_listen_go_through_the_permission_checker() {
    let (_py, port) = python_peer("echo_server.py", &[]);
    let (_other, other_port) = python_peer("echo_server.py", &[]);
    let allow = format!("--allow-net=127.0.0.1:{port}");
    let ok = run(&[
        &allow,
        "-e",
        &format!(r#"let c = socket::tcp_connect("127.0.0.1", {port}); c.sendall("x"); print(c.recv_text(1));"#),
    ])
    .ok();
    assert_eq!(ok.stdout.trim(), "x");
    for code in [
        format!(r#"socket::tcp_connect("127.0.0.1", {other_port})"#),
        r#"socket::tcp_listen("127.0.0.1", 0)"#.to_string(),
        r#"socket::udp_bind("127.0.0.1", 0).sendto("x", "127.0.0.1", 9)"#.to_string(),
    ] {
        let denied = run(&[&allow, "-e", &code]);
        assert_eq!(error_kind(&denied), "PermissionDenied", "{code}: {}", denied.stderr);
    }
}

#[test]
fn doc_socket_documents_every_function() {
    let out = run(&["--doc", "socket"]).ok();
    for name in [
        "gethostname",
        "gethostbyname",
        "getaddrinfo",
        "gethostbyaddr",
        "getservbyname",
        "getservbyport",
        "socket",
        "tcp_connect",
        "tcp_listen",
        "udp_bind",
        "unix_connect",
        "unix_listen",
        "serve",
    ] {
        assert!(out.stdout.contains(&format!("socket::{name}(")), "--doc socket lacks {name}");
    }
    // The module is one line per function; the function's whole text is `--doc socket::serve`.
    assert!(
        out.stdout.lines().all(|l| l.chars().count() <= 100 || l.starts_with(|c: char| c != ' ')),
        "{}",
        out.stdout
    );
    let serve = run(&["--doc", "socket::serve"]).ok();
    assert!(serve.stdout.contains("Errors:") && serve.stdout.contains("```rhai"), "{}", serve.stdout);
}

// ---- bad input ----------------------------------------------------------------------

#[test]
fn a_port_outside_0_to_65535_is_invalid_argument() {
    for code in [
        r#"socket::tcp_connect("127.0.0.1", 65536)"#,
        r#"socket::tcp_listen("127.0.0.1", -1)"#,
        r#"socket::udp_bind("127.0.0.1", 70000)"#,
        r#"socket::serve("127.0.0.1", 99999, |c| c.close())"#,
        r#"socket::socket().bind("127.0.0.1", -5)"#,
    ] {
        let out = eval(code);
        assert_eq!(error_kind(&out), "InvalidArgument", "{code}: {}", out.stderr);
        assert!(out.stderr.contains("outside 0-65535"), "{}", out.stderr);
    }
}

#[test]
fn an_unknown_family_or_type_is_invalid_argument() {
    for code in ["socket::socket(12345, socket::SOCK_STREAM)", "socket::socket(socket::AF_INET, 99)"] {
        let out = eval(code);
        assert_eq!(error_kind(&out), "InvalidArgument", "{code}: {}", out.stderr);
    }
}

#[test]
fn a_host_that_does_not_resolve_is_host_not_found() {
    let out = eval(r#"socket::tcp_connect("no-such-host.invalid", 80)"#);
    assert_eq!(error_kind(&out), "HostNotFound", "{}", out.stderr);
    assert!(out.stderr.contains("no-such-host.invalid"));
    let caught = eval_line(
        r#"try { socket::gethostbyname("no-such-host.invalid") } catch (e) { print(e.kind + " " + e.protocol) }"#,
    );
    assert_eq!(caught, "HostNotFound socket");
}

#[test]
fn connecting_to_a_closed_port_is_connection_refused() {
    let port = common::free_port();
    let out = eval(&format!(r#"socket::tcp_connect("127.0.0.1", {port})"#));
    assert_eq!(error_kind(&out), "ConnectionRefused", "{}", out.stderr);
    assert!(out.stderr.contains(&format!("127.0.0.1:{port}")), "{}", out.stderr);
}

#[test]
fn a_read_past_the_timeout_is_timeout_within_ten_percent() {
    let (_peer, port) = python_peer("tcp_peer.py", &["hold"]);
    let out = eval_line(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {port});
           c.settimeout(1.0);
           let t0 = now();
           let kind = "";
           try {{ c.recv(10); }} catch (e) {{ kind = e.kind; }}
           print(kind + " " + (now() - t0));"#
    ));
    let (kind, took) = out.split_once(' ').expect("two fields");
    let took: f64 = took.parse().expect("seconds");
    assert_eq!(kind, "Timeout");
    assert!((1.0..=1.1).contains(&took), "took {took} s");
}

#[test]
fn sending_on_a_closed_socket_is_connection_closed() {
    let (_peer, port) = python_peer("echo_server.py", &[]);
    let out = eval(&format!(r#"let c = socket::tcp_connect("127.0.0.1", {port}); c.close(); c.send("x")"#));
    assert_eq!(error_kind(&out), "ConnectionClosed", "{}", out.stderr);
    // And on a connection the peer has closed.
    let (_bye, bye_port) = python_peer("tcp_peer.py", &["bye"]);
    let out = eval(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {bye_port});
           while c.recv(10).len() > 0 {{}}
           for i in 0..200 {{ c.sendall(blob(65536)); }}"#
    ));
    assert_eq!(error_kind(&out), "ConnectionClosed", "{}", out.stderr);
}

#[test]
fn recv_after_the_peer_closed_is_an_empty_blob() {
    let (_peer, port) = python_peer("tcp_peer.py", &["bye"]);
    let out = eval_line(&format!(
        r#"let c = socket::tcp_connect("127.0.0.1", {port});
           let a = c.recv(100);
           let b = c.recv(100);
           let d = c.recv(100);
           print(`${{a.as_string()}} ${{type_of(b)}} ${{b.len()}} ${{d.len()}} ${{c.read_line() == ""}}`);"#
    ));
    assert_eq!(out, "bye blob 0 0 true");
}

#[test]
fn a_handler_that_throws_closes_only_its_connection() {
    let dir = common::temp_dir();
    let server = script(
        dir.path(),
        "throwing.rhai",
        r#"let server = socket::serve("127.0.0.1", 0, |conn| {
               loop {
                   let line = conn.read_line();
                   if line == "" { break; }
                   if line == "boom\n" { throw "handler blew up"; }
                   conn.sendall(line);
               }
           });
           print(server.port);
           server.wait();"#,
    );
    let (_srv, port) = netscript_server(&server, &[]);
    let out = eval_line(&format!(
        r#"let keep = socket::tcp_connect("127.0.0.1", {port});
           keep.sendall("one\n");
           let a = keep.read_line();
           let bad = socket::tcp_connect("127.0.0.1", {port});
           bad.sendall("boom\n");
           let closed = bad.recv(10).len() == 0;
           keep.sendall("two\n");
           let b = keep.read_line();
           let fresh = socket::tcp_connect("127.0.0.1", {port});
           fresh.sendall("three\n");
           print(`${{a}}${{closed}} ${{b}}${{fresh.read_line()}}`);"#
    ));
    assert_eq!(out, "one\ntrue two\nthree");
}

#[test]
fn binding_a_port_in_use_is_io_error_naming_the_address() {
    let (_peer, port) = python_peer("echo_server.py", &[]);
    for code in [
        format!(r#"socket::tcp_listen("127.0.0.1", {port})"#),
        format!(r#"socket::serve("127.0.0.1", {port}, |c| c.close())"#),
        format!(r#"let s = socket::socket(); s.bind("127.0.0.1", {port}); s.listen(5)"#),
    ] {
        let out = eval(&code);
        assert_eq!(error_kind(&out), "IoError", "{code}: {}", out.stderr);
        assert!(out.stderr.contains(&format!("127.0.0.1:{port}")), "{}", out.stderr);
    }
}

/// Regression: `stop()` right after the accept loop ended waited 5 s and failed with
/// `Timeout`, because the "stopped" signal was dropped when nobody listened yet.
#[test]
fn stop_never_waits_for_a_signal_that_was_already_sent() {
    let out = common::eval(
        r#"let slow = 0;
           for i in 0..20 {
               let s = socket::serve("127.0.0.1", 0, |c| c.close());
               let t = now();
               s.stop();
               s.stop();
               if now() - t > 1.0 { slow += 1; }
           }
           print(slow);"#,
    )
    .ok();
    assert_eq!(out.stdout, "0\n");
}

/// Regression: `socket::serve` started one thread per connection without bound (10,000
/// clients made 10,000 threads with 8 MiB stacks). Connections beyond `workers` wait in the
/// accept backlog: the thread count stays at workers + a fixed few, and every client is
/// still answered as workers free up.
#[test]
fn many_clients_at_once_cost_no_more_threads_than_workers() {
    use std::io::{Read, Write};
    const WORKERS: usize = 4;
    const CLIENTS: usize = 600;
    let dir = common::temp_dir();
    let code = r#"
        let server = socket::serve("127.0.0.1", 0, |conn| { let d = conn.recv(16); conn.sendall(d); }, #{ workers: 4, backlog: 4096 });
        print(server.port);
        server.wait();
    "#;
    let (srv, port) = netscript_server(&script(dir.path(), "bounded.rhai", code), &[]);
    let mut clients: Vec<std::net::TcpStream> = (0..CLIENTS)
        .map(|_| {
            let s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
            s
        })
        .collect();
    let threads = || {
        let status = std::fs::read_to_string(format!("/proc/{}/status", srv.pid())).unwrap();
        status.lines().find_map(|l| l.strip_prefix("Threads:")).unwrap().trim().parse::<usize>().unwrap()
    };
    let busy = threads();
    assert!(busy <= WORKERS + 16, "{busy} threads for {CLIENTS} connected clients and {WORKERS} workers");
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(format!("{i:06}").as_bytes()).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let mut got = [0u8; 6];
        c.read_exact(&mut got).unwrap_or_else(|e| panic!("client {i}: {e}"));
        assert_eq!(&got, format!("{i:06}").as_bytes());
    }
    assert!(threads() <= WORKERS + 16);
}

/// `--trace socket` shows each line sent (`> `) and received (`< `), binary data as a count.
#[test]
fn trace_shows_the_conversation() {
    let out = common::run(&[
        "--trace",
        "socket",
        "-e",
        r#"
        let s = socket::serve("127.0.0.1", 0, |c| c.sendall(c.recv(100)));
        let c = socket::tcp_connect("127.0.0.1", s.port);
        c.sendall("EHLO there\r\n");
        print(c.recv(100).len());
        c.sendall(blob(3, 0));
        c.close();
        "#,
    ])
    .ok();
    assert_eq!(out.stdout, "12\n");
    assert!(out.stderr.contains("[socket] > EHLO there\n"), "{}", out.stderr);
    assert!(out.stderr.contains("[socket] < EHLO there\n"), "{}", out.stderr);
    assert!(out.stderr.contains("[socket] > [3 bytes]\n"), "{}", out.stderr);
}

/// `socket::serve` and `http::serve` return the SDK's one server handle: the same
/// properties, `stats()`, `stop()` and `wait(seconds)` on both.
#[test]
fn both_servers_share_one_handle() {
    let out = common::eval(
        r#"
        let a = socket::serve("127.0.0.1", 0, |c| c.close());
        let b = http::serve("127.0.0.1", 0, |r| "ok");
        print(http::get(b.url).text);
        for s in [a, b] {
            let st = s.stats();
            print(`${st.port == s.port} ${st.running} ${s.wait(0.01)}`);
            s.stop();
            print(`${s.running} ${s.wait(0.01)} ${s.stats().running}`);
        }
        print(b.stats().served);
        "#,
    )
    .ok();
    assert_eq!(out.stdout, "ok\ntrue true false\nfalse true false\ntrue true false\nfalse true false\n1\n");
}

/// A failing `socket::serve` handler is logged with its kind, message, `file:line:col`, the
/// source line and a caret.
#[test]
fn a_failing_socket_handler_is_logged_with_its_line_and_caret() {
    let dir = common::temp_dir();
    let file = dir.path().join("srv.rhai");
    std::fs::write(
        &file,
        "let s = socket::serve(\"127.0.0.1\", 0, |c| {\n    throw \"broken handler\";\n});\nlet c = socket::tcp_connect(\"127.0.0.1\", s.port);\nsleep(0.3);\ns.stop();\nprint(s.failed);\n",
    )
    .unwrap();
    let out = common::run(&[file.to_str().unwrap()]).ok();
    assert_eq!(out.stdout, "1\n", "{}", out.stderr);
    let name = file.display().to_string();
    assert!(out.stderr.contains(&format!("failed: Error: broken handler ({name}:2:5)")), "{}", out.stderr);
    assert!(out.stderr.contains(" 2 |     throw \"broken handler\";"), "{}", out.stderr);
}

/// `get_server_certificate` against a Python TLS server (a certificate for localhost, its CA
/// given or not), and bad input: a port out of range, an empty host, a bad timeout, a peer
/// that speaks no TLS, one that closes at once and one that never answers (a `Timeout`
/// within the limit, no hang).
#[test]
fn get_server_certificate_describes_trusted_and_untrusted_certificates_and_refuses_bad_input() {
    let certs = common::temp_dir();
    common::write_test_certs(certs.path());
    let (ca, cert, key) =
        (certs.path().join("ca.pem"), certs.path().join("server.pem"), certs.path().join("server.key"));
    let (_tls, port) = python_peer("tls_server.py", &[cert.to_str().unwrap(), key.to_str().unwrap()]);
    let r = eval(&format!(
        r#"let c = socket::get_server_certificate("localhost", {port}, #{{ ca_file: "{ca}", timeout: 5 }});
           print(`${{c.trusted}} ${{c.problem == ()}} ${{"localhost" in c.names}} ${{c.days_left > 1.0}} ${{c.not_after > c.not_before}}`);
           let u = socket::get_server_certificate("127.0.0.1", {port}, #{{ server_name: "localhost", timeout: 5 }});
           print(`${{u.trusted}} ${{u.problem.contains("not trusted")}}`);"#,
        ca = ca.display()
    ))
    .ok();
    assert_eq!(r.stdout, "true true true true true\nfalse true\n", "{}", r.stderr);
    for (call, kind) in [
        ("socket::get_server_certificate(\"127.0.0.1\", 70000)", "InvalidArgument"),
        ("socket::get_server_certificate(\"127.0.0.1\", -1)", "InvalidArgument"),
        ("socket::get_server_certificate(\"\", 443)", "InvalidArgument"),
        ("socket::get_server_certificate(\"127.0.0.1\", 443, #{ timeout: -1 })", "InvalidArgument"),
        ("socket::get_server_certificate(\"127.0.0.1\", 443, #{ insecure: true })", "InvalidArgument"),
        ("socket::get_server_certificate(\"127.0.0.1\", 1)", "ConnectionRefused"),
    ] {
        let r = eval(&format!("try {{ {call}; }} catch (e) {{ print(e.kind); }}")).ok();
        assert_eq!(r.stdout.trim(), kind, "{call}");
    }
    // Plain text, a close at once, silence.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    let talker = std::thread::spawn(move || {
        for (i, conn) in plain.incoming().take(3).enumerate() {
            let mut conn = conn.unwrap();
            match i {
                0 => {
                    let _ = std::io::Write::write_all(&mut conn, b"220 plain text here\r\n");
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                1 => drop(conn),
                _ => std::thread::sleep(std::time::Duration::from_secs(3)),
            }
        }
    });
    let started = std::time::Instant::now();
    let r = eval(&format!(
        r#"for i in 0..3 {{ try {{ socket::get_server_certificate("127.0.0.1", {plain_port}, #{{ timeout: 1 }}); print("no error"); }} catch (e) {{ print(e.kind); }} }}"#
    ))
    .ok();
    let kinds: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(kinds[0], "TlsError", "{}", r.stdout);
    assert!(["ConnectionClosed", "TlsError"].contains(&kinds[1]), "{}", r.stdout);
    assert_eq!(kinds[2], "Timeout", "{}", r.stdout);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    talker.join().unwrap();
}
