//! The `http` plugin against real peers: the client against nginx (static files, redirects,
//! basic auth, chunked, gzip, HTTPS with a test CA, HTTP/2), the servers driven by curl,
//! Python `requests`, raw sockets and headless Chromium, and every bad-input case of the
//! issue (traversal corpus, malformed requests, 431, 413, slowloris, client error kinds).

mod common;

use common::{eval, have, run, write_test_certs, Nginx, Peer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn need(program: &str) -> bool {
    if have(program) {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{program} is missing (test.sh installs it)");
    eprintln!("skipping: {program} is not installed");
    false
}

/// nginx with static files, redirects, basic auth, chunked and echo locations, gzip, and
/// an HTTPS + HTTP/2 listener with a certificate from a test CA.
fn nginx() -> Nginx {
    Nginx::start(
        |dir| {
            let www = dir.join("www");
            std::fs::create_dir_all(www.join("private")).unwrap();
            std::fs::write(www.join("hello.txt"), "hello from nginx\n").unwrap();
            std::fs::write(www.join("big.txt"), "netscript gzip line\n".repeat(5000)).unwrap();
            std::fs::write(www.join("data.json"), r#"{"name": "nginx", "ports": [80, 443]}"#).unwrap();
            std::fs::write(www.join("private/index.html"), "secret area\n").unwrap();
            std::fs::write(dir.join("htpasswd"), "user:{PLAIN}pa55\n").unwrap();
            write_test_certs(dir);
        },
        |dir, port, tls_port| {
            let d = dir.display();
            format!(
                r#"
  server {{
    listen 127.0.0.1:{port};
    root {d}/www;
    gzip on; gzip_min_length 1; gzip_types text/plain application/json;
    location = /redirect {{ return 302 /hello.txt; }}
    location = /chain1 {{ return 301 /chain2; }}
    location = /chain2 {{ return 307 /hello.txt; }}
    location = /loop {{ return 302 /loop; }}
    location = /elsewhere {{ return 302 http://127.0.0.2:{port}/hello.txt; }}
    location /private/ {{ auth_basic "test"; auth_basic_user_file {d}/htpasswd; }}
    location = /chunked {{ echo "part one"; echo_flush; echo "part two"; }}
    location = /echo {{ echo_read_request_body; echo_request_body; }}
    location = /info {{ echo "ua=$http_user_agent x=$http_x_test q=$args ae=$http_accept_encoding ct=$content_type"; }}
    location = /login {{ add_header Set-Cookie "sid=abc123; Path=/"; return 200 "logged in"; }}
    location = /whoami {{ return 200 "sid=$cookie_sid"; }}
    location = /slow {{ echo_sleep 3; echo "late"; }}
    location = /missing {{ return 404 "nope"; }}
    location = /brief {{ keepalive_timeout 300ms; return 200 "brief"; }}
  }}
  server {{
    listen 127.0.0.1:{tls_port} ssl http2;
    ssl_certificate {d}/server.pem;
    ssl_certificate_key {d}/server.key;
    root {d}/www;
  }}
"#
            )
        },
    )
}

#[test]
fn the_client_talks_to_nginx() {
    if !need("nginx") {
        return;
    }
    let ng = nginx();
    let base = ng.url();
    let out_file = ng.dir.path().join("downloaded.txt");
    let script = format!(
        r#"
        let base = "{base}";
        fn clean(s) {{ s.replace("\n", "/"); s.trim(); s }}
        let r = http::get(base + "/hello.txt");
        print(`static=${{r.status_code}}|${{r.text}}|${{r.header("Content-Type")}}|${{r.headers["content-encoding"]}}|${{r.ok}}`);
        let r = http::get(base + "/redirect");
        print(`redirect=${{r.status_code}} ${{r.url}}`);
        let r = http::get(base + "/chain1");
        print(`chain=${{r.status_code}} ${{clean(r.text)}}`);
        let r = http::get(base + "/redirect", #{{ follow_redirects: false }});
        print(`nofollow=${{r.status_code}} ${{r.header("location")}}`);
        print(`auth_none=${{http::get(base + "/private/").status_code}}`);
        print(`auth_bad=${{http::get(base + "/private/", #{{ auth: ["user", "wrong"] }}).status_code}}`);
        let r = http::get(base + "/private/", #{{ auth: ["user", "pa55"] }});
        print(`auth_ok=${{r.status_code}} ${{clean(r.text)}}`);
        let r = http::get(base + "/chunked");
        print(`chunked=${{clean(r.text)}} te=${{r.header("transfer-encoding")}}`);
        let r = http::get(base + "/big.txt");
        print(`gzip=${{r.content.len()}} ${{r.text.len()}}`);
        let r = http::get(base + "/info", #{{ headers: #{{ "X-Test": "yes" }}, query: #{{ a: "1 2", b: "&" }} }});
        print(`info=${{clean(r.text)}}`);
        let r = http::post(base + "/echo", #{{ json: #{{ n: 1, list: [1, "two"] }} }});
        print(`post_json=${{r.json().list[1]}} ${{r.json().n}}`);
        let r = http::post(base + "/echo", #{{ data: #{{ user: "a b", x: "&=" }} }});
        print(`post_form=${{r.text}}`);
        let r = http::put(base + "/echo", #{{ body: blob(3, 65) }});
        print(`put_blob=${{r.text}}`);
        let r = http::head(base + "/hello.txt");
        print(`head=${{r.status_code}} ${{r.content.len()}}`);
        print(`json=${{http::get(base + "/data.json").json().ports[1]}}`);
        let r = http::get(base + "/missing");
        try {{ r.raise_for_status(); print("no error"); }} catch (e) {{ print(`raise=${{e.kind}} ${{e.code}} ${{e.status}}`); }}
        print(`raise_ok=${{http::get(base + "/hello.txt").raise_for_status().status_code}}`);
        let n = http::download(base + "/big.txt", "{out}");
        print(`download=${{n}}`);
        let s = http::session(#{{ headers: #{{ "X-Test": "session" }} }});
        print(`before=${{s.get(base + "/whoami").text}}`);
        s.get(base + "/login");
        print(`after=${{s.get(base + "/whoami").text}} ${{s.cookies(base + "/").sid}}`);
        print(`session_hdr=${{s.get(base + "/info").text.split(" ")[1]}}`);
        let urls = [];
        for i in 0..40 {{ urls.push(base + "/hello.txt?i=" + i); }}
        let codes = parallel(urls, |u| http::get(u).status_code, #{{ limit: 8 }});
        print(`parallel=${{codes.len()}} ${{codes.filter(|c| c == 200).len()}}`);
        print(`type=${{type_of(r)}}`);
        "#,
        out = out_file.display()
    );
    let out = eval(&script).ok().stdout;
    let expect = [
        "static=200|hello from nginx\n|text/plain||true",
        &format!("redirect=200 {base}/hello.txt"),
        "chain=200 hello from nginx/",
        "nofollow=302 ",
        "auth_none=401",
        "auth_bad=401",
        "auth_ok=200 secret area/",
        "chunked=part one/part two/ te=chunked",
        "gzip=100000 100000",
        "info=ua=netscript/0.1.0 x=yes q=a=1+2&b=%26 ae=gzip",
        "post_json=two 1",
        "post_form=user=a+b&x=%26%3D",
        "put_blob=AAA",
        "head=200 0",
        "json=443",
        "raise=HTTPError 404 404",
        "raise_ok=200",
        "download=100000",
        "before=sid=",
        "after=sid=abc123 abc123",
        "session_hdr=x=session",
        "parallel=40 40",
        "type=HttpResponse",
    ];
    for line in expect {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert_eq!(std::fs::read(&out_file).unwrap().len(), 100_000);
    // The download left no temp file behind.
    let leftovers: Vec<_> = std::fs::read_dir(ng.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".netscript-download"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_keep_alive_connection_the_server_closed_is_not_reused() {
    if !need("nginx") {
        return;
    }
    // nginx drops idle connections to /brief after 0.3 s. A thread's pooled connections only
    // notice that when the thread waits again: the next request must still get through, on
    // the main thread, in `parallel` workers and in a session.
    let ng = nginx();
    let url = format!("{}/brief", ng.url());
    let script = format!(
        r#"
        let out = [];
        for i in 0..3 {{ out.push(http::get("{url}").text); sleep(0.6); }}
        for i in 0..2 {{ out += parallel([1, 2, 3, 4], |x| http::get("{url}").status_code); sleep(0.6); }}
        let s = http::session();
        for i in 0..2 {{ out.push(s.head("{url}").status_code); sleep(0.6); }}
        print(out);
        "#
    );
    let out = eval(&script).ok().stdout;
    assert_eq!(out, "[\"brief\", \"brief\", \"brief\", 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]\n");
}

#[test]
fn https_with_a_test_ca_uses_http2_and_self_signed_without_ca_file_is_a_tls_error() {
    if !need("nginx") {
        return;
    }
    let ng = nginx();
    let url = format!("https://localhost:{}/hello.txt", ng.tls_port);
    let ca = ng.dir.path().join("ca.pem");
    let script = format!(
        r#"
        let r = http::get("{url}", #{{ ca_file: "{ca}" }});
        print(`ca=${{r.status_code}} ${{r.version}} ${{r.text}}`);
        try {{ http::get("{url}"); print("no error"); }} catch (e) {{ print(`noca=${{e.kind}}`); }}
        print(`insecure=${{http::get("{url}", #{{ insecure: true }}).status_code}}`);
        try {{ http::get("{url}", #{{ ca_file: "/nonexistent.pem" }}); }} catch (e) {{ print(`badca=${{e.kind}}`); }}
        "#,
        ca = ca.display()
    );
    let out = eval(&script).ok().stdout;
    for line in ["ca=200 HTTP/2.0 hello from nginx\n", "noca=TlsError", "insecure=200", "badca=IoError"] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn client_errors_have_their_kinds() {
    if !need("nginx") {
        return;
    }
    let ng = nginx();
    let base = ng.url();
    let refused = common::free_port();
    let script = format!(
        r#"
        fn kind(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return e.kind; }} }}
        print(`invalid=${{kind(|| http::get("not a url"))}}`);
        print(`scheme=${{kind(|| http::get("ftp://127.0.0.1/"))}}`);
        print(`option=${{kind(|| http::get("{base}/", #{{ timout: 1 }}))}}`);
        print(`crlf=${{kind(|| http::get("{base}/", #{{ headers: #{{ "X-A": "a\r\nInjected: 1" }} }}))}}`);
        print(`refused=${{kind(|| http::get("http://127.0.0.1:{refused}/"))}}`);
        print(`notfound=${{kind(|| http::get("http://no-such-host.invalid/"))}}`);
        print(`timeout=${{kind(|| http::get("{base}/slow", #{{ timeout: 0.5 }}))}}`);
        print(`loop=${{kind(|| http::get("{base}/loop"))}}`);
        print(`max=${{kind(|| http::get("{base}/chain1", #{{ max_redirects: 1 }}))}}`);
        print(`max_ok=${{http::get("{base}/chain1", #{{ max_redirects: 2 }}).status_code}}`);
        try {{ http::get("{base}/loop", #{{ max_redirects: 3 }}) }} catch (e) {{ print(`loopmsg=${{e.message}}`) }}
        "#
    );
    let out = eval(&script).ok().stdout;
    for line in [
        "invalid=InvalidArgument",
        "scheme=InvalidArgument",
        "option=InvalidArgument",
        "crlf=InvalidArgument",
        "refused=ConnectionRefused",
        "notfound=HostNotFound",
        "timeout=Timeout",
        "loop=TooManyRedirects",
        "max=TooManyRedirects",
        "max_ok=200",
        "loopmsg=more than 3 redirects",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn every_redirect_target_passes_the_permission_checker() {
    if !need("nginx") {
        return;
    }
    let ng = nginx();
    let base = ng.url();
    let allow = format!("--allow-net=127.0.0.1:{}", ng.port);
    let script = format!(
        r#"
        print(`first=${{http::get("{base}/redirect").status_code}}`);
        try {{ http::get("{base}/elsewhere"); print("followed") }} catch (e) {{ print(`redirect=${{e.kind}}`) }}
        try {{ http::get("http://127.0.0.3:{port}/") }} catch (e) {{ print(`direct=${{e.kind}}`) }}
        "#,
        port = ng.port
    );
    let out = run(&[&allow, "-e", &script]).ok().stdout;
    for line in ["first=200", "redirect=PermissionDenied", "direct=PermissionDenied"] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

/// Starts `netscript -e CODE` as a peer; the script prints the port(s) on its first line.
fn start_script(code: &str) -> (Peer, String) {
    let bin = common::netscript_bin();
    let mut peer = Peer::start("netscript", bin.to_str().unwrap(), &["-e", code], None);
    let line = peer.read_line();
    assert!(!line.is_empty(), "the script printed no port");
    (peer, line)
}

/// Sends raw bytes and reads until the server closes (or 5 s pass).
fn raw(port: u16, request: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(port: u16, path: &str, extra: &str) -> String {
    raw(port, format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n").as_bytes())
}

const API: &str = r#"
    let server = http::serve("127.0.0.1", 0, |req| {
        switch req.path {
            "/hello" => `hello ${req.query.name}`,
            "/json" => #{ method: req.method, command: req.command, q: req.query, version: req.request_version,
                          client: req.client_address[0], ua: req.header("user-agent") },
            "/echo" => #{ status: 201, headers: #{ "X-Len": `${req.body.len()}` }, body: req.body },
            "/post" => #{ got: req.json(), text_len: req.text.len() },
            "/boom" => throw "handler failed",
            "/slow" => { sleep(3.0); "late" },
            "/blob" => blob(4, 0x41),
            "/nothing" => (),
            _ => #{ status: 404, body: "no such page" }
        }
    }, #{ max_body: 1024, handler_timeout: 1.0, header_timeout: 2.0, max_header_size: 8192 });
    print(server.port);
    server.wait();
"#;

#[test]
fn one_server_thread_serves_others_while_a_handler_waits_or_spins() {
    // One server thread: a handler that calls back into its own server (directly, through a
    // task it joins, through a nested `parallel`), and one that never ends, must not stop it
    // from answering.
    let r = eval(
        r#"let server = http::serve("127.0.0.1", 0, |req| {
               switch req.path {
                   "/outer" => "outer+" + http::get(`http://127.0.0.1:${req.header("x-port")}/inner`).text,
                   "/joined" => {
                       let inner = `http://127.0.0.1:${req.header("x-port")}/inner`;
                       task(|| http::get(inner).text).join() + "+" + parallel([1, 2], |i| http::get(inner).text).len()
                   },
                   "/spin" => { loop { } },
                   "/nap" => { sleep(0.5); "nap" },
                   _ => "inner"
               }
           }, #{ workers: 1, handler_timeout: 1.0 });
           let port = server.port;
           print(http::get(server.url + "outer", #{ headers: #{ "x-port": port } }).text);
           let t = now();
           print(http::get(server.url + "joined", #{ headers: #{ "x-port": port } }).text + ` ${now() - t < 0.9}`);
           let spin = task(|| http::get(`http://127.0.0.1:${port}/spin`).status_code);
           sleep(0.2);
           let t = now();
           let naps = parallel([1, 2, 3, 4], |i| http::get(`http://127.0.0.1:${port}/nap`).text);
           print(`${naps} ${now() - t < 1.5}`);
           print(spin.join());
           server.stop();
           print(server.running);"#,
    )
    .ok();
    let expected = "outer+inner\ninner+2 true\n[\"nap\", \"nap\", \"nap\", \"nap\"] true\n503\nfalse\n";
    assert_eq!(r.stdout, expected);
}

#[test]
fn serve_answers_curl_with_keep_alive_chunked_bodies_and_limits() {
    if !need("curl") {
        return;
    }
    let (_peer, port) = start_script(API);
    let url = format!("http://127.0.0.1:{port}");
    let curl = |args: &[&str]| -> String {
        let out = Command::new("curl").args(["-s", "--max-time", "10"]).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    assert_eq!(curl(&[&format!("{url}/hello?name=curl")]), "hello curl");
    let json = curl(&[&format!("{url}/json?a=1&b=two+words")]);
    assert!(json.contains(r#""q":{"a":"1","b":"two words"}"#) && json.contains(r#""method":"GET""#), "{json}");
    assert!(json.contains(r#""client":"127.0.0.1""#) && json.contains(r#""version":"HTTP/1.1""#), "{json}");
    // Keep-alive: two requests, one connection.
    let both = curl(&["-v", &format!("{url}/hello?name=a"), &format!("{url}/hello?name=b")]);
    assert!(both.contains("hello ahello b") && both.contains("Re-using existing connection"), "{both}");
    // A chunked request body arrives whole.
    let chunked =
        curl(&["-i", "-H", "Transfer-Encoding: chunked", "--data-binary", "0123456789", &format!("{url}/echo")]);
    assert!(
        chunked.contains("HTTP/1.1 201") && chunked.contains("x-len: 10") && chunked.ends_with("0123456789"),
        "{chunked}"
    );
    // A handler that throws gives 500, and the server goes on.
    assert!(curl(&["-i", &format!("{url}/boom")]).starts_with("HTTP/1.1 500"));
    assert_eq!(curl(&[&format!("{url}/hello?name=after")]), "hello after");
    // Past its limit → 503.
    let started = Instant::now();
    assert!(curl(&["-i", &format!("{url}/slow")]).starts_with("HTTP/1.1 503"));
    assert!(started.elapsed() < Duration::from_millis(2500));
    // 413 for a declared and for a chunked oversized body.
    let big = "x".repeat(5000);
    assert!(curl(&["-i", "--data-binary", &big, &format!("{url}/echo")]).starts_with("HTTP/1.1 413"));
    let chunked_big = curl(&["-i", "-H", "Transfer-Encoding: chunked", "--data-binary", &big, &format!("{url}/echo")]);
    assert!(chunked_big.starts_with("HTTP/1.1 413"), "{chunked_big}");
    // 431 for an oversized header block.
    let huge = format!("X-Big: {}", "y".repeat(20_000));
    assert!(curl(&["-i", "-H", &huge, &format!("{url}/hello")]).starts_with("HTTP/1.1 431"));
    // Results: blob, (), 404.
    assert!(curl(&["-i", &format!("{url}/blob")]).contains("application/octet-stream"));
    assert!(curl(&["-i", &format!("{url}/nothing")]).starts_with("HTTP/1.1 204"));
    assert!(curl(&["-i", &format!("{url}/other")]).starts_with("HTTP/1.1 404"));
    let port: u16 = port.parse().unwrap();
    // Malformed request lines → 400, and the server keeps serving.
    for bad in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00",
    ] {
        let answer = raw(port, bad);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 400") || answer.starts_with("HTTP/1.1 505"),
            "{bad:?}: {answer}"
        );
    }
    assert!(get(port, "/hello?name=x", "").ends_with("hello x"));
}

#[test]
fn serve_answers_python_requests() {
    let ok = Command::new("python3").args(["-c", "import requests"]).status().map(|s| s.success()).unwrap_or(false);
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "python requests missing");
        return;
    }
    let serve = common::repo_root().join("scripts/serve.rhai");
    let bin = common::netscript_bin();
    let www = common::temp_dir();
    std::fs::write(www.path().join("page.html"), "<h1>static</h1>").unwrap();
    let mut peer = Peer::start(
        "serve.rhai",
        bin.to_str().unwrap(),
        &[serve.to_str().unwrap(), "0", www.path().to_str().unwrap()],
        None,
    );
    let line = peer.read_line();
    let (api, files) = line.split_once(' ').expect("two ports");
    let py = format!(
        r#"
import requests
s = requests.Session()
base = "http://127.0.0.1:{api}"
assert s.get(base + "/api/health").json() == {{"ok": True}}
r = s.post(base + "/api/items", json={{"name": "router", "ports": [22, 443]}})
assert r.status_code == 201 and r.headers["Location"] == "/api/items/1", r.text
s.post(base + "/api/items", json={{"name": "switch"}})
items = s.get(base + "/api/items").json()
assert [i["name"] for i in items] == ["router", "switch"], items
assert s.get(base + "/api/items/2").json()["id"] == 2
assert s.get(base + "/api/nope").status_code == 404
assert s.put(base + "/api/items").status_code == 405
assert s.post(base + "/api/items", data="x" * 70000).status_code == 413
r = requests.get("http://127.0.0.1:{files}/page.html")
assert r.text == "<h1>static</h1>" and r.headers["Content-Type"] == "text/html", r.headers
print("python ok")
"#
    );
    let out = Command::new("python3").args(["-c", &py]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("python ok"), "{text}");
}

#[test]
fn slowloris_connections_do_not_starve_a_fresh_client() {
    let (_peer, port) = start_script(API);
    let port: u16 = port.parse().unwrap();
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        slow.push(s);
    }
    // A fresh client is answered while the 500 hold their connections (`get` gives up
    // after 5 s, and would come back empty if they starved it).
    let answer = get(port, "/hello?name=fresh", "");
    assert!(answer.ends_with("hello fresh"), "{answer}");
    // The header timeout (2 s here) closes the slow ones: each read ends (EOF or the 408)
    // instead of hanging until its own 10 s limit.
    let mut closed = 0;
    for s in slow.iter_mut() {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 512];
        if s.read(&mut buf).is_ok() {
            closed += 1;
        }
    }
    assert!(closed >= 490, "only {closed} of 500 slow connections were closed");
}

/// A served dir with a secret beside it, a symlink out, and odd names.
fn dir_fixture() -> tempfile::TempDir {
    let tmp = common::temp_dir();
    let root = tmp.path();
    std::fs::write(root.join("secret.txt"), "TOPSECRET").unwrap();
    let www = root.join("www");
    std::fs::create_dir_all(www.join("sub dir")).unwrap();
    std::fs::create_dir_all(www.join("site")).unwrap();
    std::fs::write(www.join("hello.txt"), "hello world\n").unwrap();
    std::fs::write(www.join("data.json"), "{}").unwrap();
    std::fs::write(www.join("<b>&name.txt"), "odd").unwrap();
    std::fs::write(www.join("sub dir/page.html"), "<html><body><h1>Followed the link</h1></body></html>").unwrap();
    std::fs::write(www.join("site/index.html"), "<h1>index</h1>").unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), www.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(root, www.join("linkdir")).unwrap();
    tmp
}

fn serve_dir_script(dir: &Path) -> String {
    format!(r#"let s = http::serve_dir("127.0.0.1", 0, "{}"); print(s.port); s.wait();"#, dir.display())
}

#[test]
fn serve_dir_never_serves_a_byte_from_outside() {
    let tmp = dir_fixture();
    let (_peer, port) = start_script(&serve_dir_script(&tmp.path().join("www")));
    let port: u16 = port.parse().unwrap();
    let corpus = [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/..\\secret.txt",
        "/..%5csecret.txt",
        "/%5c..%5csecret.txt",
        "/hello.txt%00",
        "/hello.txt%00.html",
        "/%00/../secret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "/./../secret.txt",
        "/sub%20dir/../../secret.txt",
        "/link.txt",
        "/linkdir/secret.txt",
        "/linkdir/",
        "http://evil.example/../secret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/..;/secret.txt",
    ];
    for path in corpus {
        let answer = get(port, path, "");
        let status = answer.get(9..12).unwrap_or("");
        assert!(matches!(status, "400" | "403" | "404"), "{path}: {answer}");
        assert!(!answer.contains("TOPSECRET") && !answer.contains("root:"), "{path} leaked: {answer}");
    }
}

#[test]
fn serve_dir_serves_files_listings_ranges_and_conditionals() {
    let tmp = dir_fixture();
    let (_peer, port) = start_script(&serve_dir_script(&tmp.path().join("www")));
    let port: u16 = port.parse().unwrap();
    let hello = get(port, "/hello.txt", "");
    assert!(
        hello.starts_with("HTTP/1.1 200")
            && hello.contains("content-type: text/plain")
            && hello.ends_with("hello world\n")
    );
    assert!(get(port, "/data.json", "").contains("content-type: application/json"));
    let etag = hello.lines().find_map(|l| l.strip_prefix("etag: ")).unwrap().to_string();
    let modified = hello.lines().find_map(|l| l.strip_prefix("last-modified: ")).unwrap().to_string();
    assert!(get(port, "/hello.txt", &format!("If-None-Match: {etag}\r\n")).starts_with("HTTP/1.1 304"));
    assert!(get(port, "/hello.txt", &format!("If-Modified-Since: {modified}\r\n")).starts_with("HTTP/1.1 304"));
    assert!(get(port, "/hello.txt", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n").starts_with("HTTP/1.1 200"));
    let part = get(port, "/hello.txt", "Range: bytes=0-4\r\n");
    assert!(
        part.starts_with("HTTP/1.1 206")
            && part.contains("content-range: bytes 0-4/12")
            && part.ends_with("\r\n\r\nhello"),
        "{part}"
    );
    assert!(get(port, "/hello.txt", "Range: bytes=-6\r\n").ends_with("world\n"));
    assert!(get(port, "/hello.txt", "Range: bytes=50-\r\n").starts_with("HTTP/1.1 416"));
    let head = raw(port, b"HEAD /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(
        head.starts_with("HTTP/1.1 200") && head.contains("content-length: 12") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    assert!(raw(port, b"POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .starts_with("HTTP/1.1 405"));
    let listing = get(port, "/", "");
    assert!(listing.contains("<a href=\"hello.txt\">hello.txt</a>"), "{listing}");
    assert!(listing.contains("&lt;b&gt;&amp;name.txt") && !listing.contains("<b>&name"), "{listing}");
    assert!(listing.contains("<a href=\"sub%20dir/\">sub dir/</a>"), "{listing}");
    assert!(get(port, "/site/", "").ends_with("<h1>index</h1>"));
    let redirect = get(port, "/site", "");
    assert!(redirect.starts_with("HTTP/1.1 301") && redirect.contains("location: /site/"), "{redirect}");
    assert!(get(port, "/sub%20dir/page.html", "").contains("Followed the link"));
    assert!(get(port, "/nope.txt", "").starts_with("HTTP/1.1 404"));
}

#[test]
fn chromium_loads_a_listing_and_follows_a_link() {
    if !need("chromium") {
        return;
    }
    let tmp = dir_fixture();
    let (_peer, port) = start_script(&serve_dir_script(&tmp.path().join("www")));
    let profile = common::temp_dir();
    let chromium = |extra: &[&str], url: &str| {
        let out = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                &format!("--user-data-dir={}", profile.path().display()),
            ])
            .args(extra)
            .arg(url)
            .stderr(std::process::Stdio::null())
            .output()
            .expect("run chromium");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listing_url = format!("http://127.0.0.1:{port}/");
    let dom = chromium(&["--dump-dom"], &listing_url);
    assert!(dom.contains("Directory listing for /"), "{dom}");
    // Follow the link the browser parsed, resolved against the listing's URL.
    let href = dom.split("href=\"").nth(1).and_then(|rest| rest.split('"').next()).map(str::to_string);
    let href = dom
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|h| h.starts_with("sub"))
        .map(str::to_string)
        .or(href)
        .expect("a link in the listing");
    let page_url = format!("{listing_url}{href}page.html");
    let page = chromium(&["--dump-dom"], &page_url);
    assert!(page.contains("Followed the link"), "{page}");
    let shots = common::target_profile_dir().join("artefacts");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("http-serve-dir-listing.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=800,600"], &listing_url);
    assert!(std::fs::metadata(&shot).map(|m| m.len() > 1000).unwrap_or(false), "no screenshot at {}", shot.display());
}

#[test]
fn serve_over_tls_speaks_http2_to_the_client() {
    let tmp = common::temp_dir();
    write_test_certs(tmp.path());
    let d = tmp.path().display();
    let code = format!(
        r#"
        let s = http::serve("127.0.0.1", 0, |req| `v=${{req.request_version}}`,
                            #{{ cert_file: "{d}/server.pem", key_file: "{d}/server.key" }});
        let r = http::get(`https://localhost:${{s.port}}/`, #{{ ca_file: "{d}/ca.pem" }});
        print(`${{r.text}} ${{r.version}} ${{s.url.sub_string(0, 8)}}`);
        s.stop();
        print(s.running);
        "#
    );
    let out = eval(&code).ok().stdout;
    assert!(out.contains("v=HTTP/2.0 HTTP/2.0 https://") && out.contains("false"), "{out}");
}

#[test]
fn server_options_are_checked() {
    let out = eval(
        r#"
        fn kind(f) { try { f.call(); return "no error"; } catch (e) { return e.kind; } }
        print(kind(|| http::serve("127.0.0.1", 0, |r| "x", #{ max_bdy: 1 })));
        print(kind(|| http::serve("127.0.0.1", 70000, |r| "x")));
        print(kind(|| http::serve_dir("127.0.0.1", 0, "/nonexistent-dir")));
        print(kind(|| http::serve("127.0.0.1", 0, |r| "x", #{ cert_file: "/x.pem" })));
        let a = http::serve("127.0.0.1", 0, |r| "x");
        print(kind(|| http::serve("127.0.0.1", a.port, |r| "x")));
        "#,
    )
    .ok()
    .stdout;
    assert_eq!(out, "InvalidArgument\nInvalidArgument\nIoError\nInvalidArgument\nIoError\n");
}

/// Regression: `header_timeout: 1e300` made the server thread panic (a Rust backtrace on
/// stderr, the next request reset) and `timeout: 1e300` / `sleep(1e300)` raised
/// `PluginError: … cannot convert float seconds to Duration`. A huge timeout is no limit;
/// a negative or NaN one is `InvalidArgument`.
#[test]
fn huge_timeouts_mean_no_limit_and_negative_or_nan_ones_are_invalid() {
    let run = eval(
        r#"
        let s = http::serve("127.0.0.1", 0, |r| "hi", #{ header_timeout: 1e300, handler_timeout: 1e300 });
        let url = `http://127.0.0.1:${s.port}/`;
        print(http::get(url, #{ timeout: 1e300 }).text);
        print(http::get(url, #{ timeout: 1e300 }).text);
        print(s.wait(1e300 / 1e300 * 0.01));
        fn kind(f) { try { f.call(); return "no error"; } catch (e) { return e.kind; } }
        print(kind(|| http::get(url, #{ timeout: -1 })));
        print(kind(|| http::get(url, #{ timeout: 0.0 / 0.0 })));
        print(kind(|| sleep(-1)));
        print(kind(|| sleep(0.0 / 0.0)));
        print(kind(|| s.wait(-2)));
        s.stop();
        "#,
    )
    .ok();
    assert_eq!(
        run.stdout,
        "hi\nhi\nfalse\nInvalidArgument\nInvalidArgument\nInvalidArgument\nInvalidArgument\nInvalidArgument\n"
    );
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("backtrace"), "{}", run.stderr);
}

/// Writes `NAME.pem` and `NAME.key` into `dir`: a certificate for `names`, self-signed with
/// `CA:TRUE` (what `openssl req -x509` makes) when `issuer` is `None`, else signed by it;
/// `expired` puts its end in the past.
fn write_cert(
    dir: &Path,
    name: &str,
    names: &[&str],
    issuer: Option<&rcgen::Issuer<'_, rcgen::KeyPair>>,
    expired: bool,
) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = match issuer {
        None => {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.self_signed(&key).unwrap()
        }
        Some(issuer) => params.signed_by(&key, issuer).unwrap(),
    };
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
}

/// Regression: a self-signed `CA:TRUE` certificate passed as `ca_file` and presented by the
/// server as its own failed with `CaUsedAsEndEntity`, though Python's ssl and curl
/// `--cacert` accept it. Every TLS failure is explained in words (not trusted, the names a
/// certificate is for, the date it expired). The server is Python's `ssl`.
#[test]
fn a_self_signed_ca_certificate_in_ca_file_is_trusted_and_tls_failures_are_explained() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let dir = common::temp_dir();
    let d = dir.path();
    write_cert(d, "selfca", &["localhost", "127.0.0.1"], None, false);
    write_cert(d, "other", &["other.test"], None, false);
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "netscript test CA");
    let ca_key = KeyPair::generate().unwrap();
    std::fs::write(d.join("ca.pem"), ca_params.self_signed(&ca_key).unwrap().pem()).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    write_cert(d, "expired", &["localhost"], Some(&issuer), true);
    write_cert(d, "wrongname", &["mail.other.test", "www.other.test"], Some(&issuer), false);
    let peers = common::repo_root().join("tests/peers/tls_server.py");
    let start = |name: &str| {
        let (cert, key) = (d.join(format!("{name}.pem")), d.join(format!("{name}.key")));
        let mut peer = Peer::start(
            name,
            "python3",
            &[peers.to_str().unwrap(), cert.to_str().unwrap(), key.to_str().unwrap()],
            None,
        );
        let port = peer.read_line();
        (peer, port)
    };
    let (_a, selfca) = start("selfca");
    let (_b, other) = start("other");
    let (_c, expired) = start("expired");
    let (_e, wrongname) = start("wrongname");
    let dd = d.display();
    if have("curl") {
        let out = Command::new("curl")
            .args(["-s", "--cacert", &format!("{dd}/selfca.pem"), &format!("https://localhost:{selfca}/")])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "tls ok", "curl accepts the same file");
    }
    let code = format!(
        r#"
        fn msg(url, opts) {{ try {{ http::get(url, opts); return "no error"; }} catch (e) {{ return e.kind + ": " + e.message; }} }}
        print(http::get("https://localhost:{selfca}/", #{{ ca_file: "{dd}/selfca.pem" }}).text);
        print(http::get("https://127.0.0.1:{selfca}/", #{{ ca_file: "{dd}/selfca.pem" }}).text);
        print(msg("https://localhost:{selfca}/", #{{}}));
        print(msg("https://localhost:{other}/", #{{ ca_file: "{dd}/other.pem" }}));
        print(msg("https://localhost:{wrongname}/", #{{ ca_file: "{dd}/ca.pem" }}));
        print(msg("https://localhost:{expired}/", #{{ ca_file: "{dd}/ca.pem" }}));
        print(http::get("https://localhost:{expired}/", #{{ insecure: true }}).text);
        "#
    );
    let run = eval(&code).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "tls ok");
    assert_eq!(lines[1], "tls ok");
    assert!(
        lines[2].starts_with("TlsError: the certificate of localhost is not trusted") && lines[2].contains("ca_file"),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3],
        "TlsError: the certificate of localhost is for other.test, not localhost: connect with one of those names"
    );
    assert!(lines[4].contains("is for mail.other.test, www.other.test, not localhost"), "{}", lines[4]);
    assert!(
        lines[5].starts_with("TlsError: the certificate of localhost expired on ") && lines[5].contains("2021"),
        "{}",
        lines[5]
    );
    assert_eq!(lines[6], "tls ok");
    assert_eq!(run.stderr.matches("insecure: true").count(), 1, "one warning: {}", run.stderr);
}

/// Regression: a handler that ran past `handler_timeout` answered 503 but went on running
/// script code for as long as the process lived. Now it is cancelled: its wait ends and
/// its script stops, so what it would do afterwards never happens.
#[test]
fn a_handler_past_its_limit_is_cancelled_after_the_503() {
    let dir = common::temp_dir();
    let marker = dir.path().join("ran-on");
    let code = format!(
        r#"
        let s = http::serve("127.0.0.1", 0, |r| {{
            if r.path == "/sleep" {{ sleep(1.5); fs::write("{m}", "ran on"); }}
            if r.path == "/spin" {{ let i = 0; loop {{ i += 1; }} }}
            "fast"
        }}, #{{ handler_timeout: 0.3, workers: 1 }});
        let url = `http://127.0.0.1:${{s.port}}`;
        print(http::get(url + "/sleep").status_code);
        print(http::get(url + "/spin").status_code);
        sleep(2.0);
        print(http::get(url + "/").text);
        print(fs::exists("{m}"));
        s.stop();
        "#,
        m = marker.display()
    );
    let run = eval(&code).ok();
    assert_eq!(run.stdout, "503\n503\nfast\nfalse\n", "{}", run.stderr);
}

/// Secrets never reach stderr: http basic auth, a URL with user-info, a bearer token and a
/// failing login, run with `-vv` and `--trace all`; the uncaught error at the end shows the
/// source line that holds a password. Not one of the passwords may appear in the output.
#[test]
fn secrets_never_appear_in_errors_logs_or_traces() {
    let nginx = nginx();
    let port = nginx.port;
    let code = format!(
        r#"
        let ok = http::get("http://127.0.0.1:{port}/private/", #{{ auth: ["user", "pa55"] }});
        print(ok.status_code);
        print(http::get("http://user:pa55@127.0.0.1:{port}/private/").status_code);
        print(http::get("http://127.0.0.1:{port}/hello.txt", #{{ headers: #{{ Authorization: "Bearer tok-en-9f8e7d" }} }}).status_code);
        try {{ http::get("http://user:wrong-pass-77@127.0.0.1:{port}/private/").raise_for_status(); }}
        catch (e) {{ print(e.kind); log::warn(`failed: ${{e.message}} (wrong-pass-77)`); }}
        let echo = http::serve("127.0.0.1", 0, |r| throw r.header("authorization"));
        print(http::get(echo.url, #{{ auth: ["user", "pa55"] }}).status_code);
        http::get("http://user:uncaught-pw-42@127.0.0.1:1/");
        "#
    );
    let out = run(&["-vv", "--trace", "all", "-e", &code]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "200\n200\n200\nHTTPError\n500\n");
    assert!(out.stderr.contains("[http] > authorization: ****"), "the trace is there: {}", out.stderr);
    for secret in ["pa55", "tok-en-9f8e7d", "wrong-pass-77", "uncaught-pw-42", "dXNlcjpwYTU1"] {
        assert!(!out.stderr.contains(secret), "{secret} leaked:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("ConnectionRefused"), "{}", out.stderr);
}

/// Regression: after `stop()`, a client whose keep-alive connection the server had open
/// waited for its own timeout (the stopped server thread's connections were never closed).
#[test]
fn stop_closes_the_open_connections_too() {
    let out = eval(
        r#"
        let s = http::serve("127.0.0.1", 0, |r| "hi");
        print(http::get(s.url).text);
        s.stop();
        try { http::get(s.url, #{ timeout: 5 }); print("answered"); } catch (e) { print(e.kind); }
        "#,
    )
    .ok();
    assert_eq!(out.stdout, "hi\nConnectionRefused\n");
}

#[test]
fn stop_lets_the_requests_being_served_finish_and_counts_them_active() {
    // Three requests in their handlers when `stop()` comes: each still gets its answer, and
    // `.active` counts them meanwhile. A handler may stop its own server and still answer.
    let out = eval(
        r#"
        let s = http::serve("127.0.0.1", 0, |r| { sleep(0.5); "slow done" });
        let url = s.url;
        let clients = [];
        for i in 0..3 { clients.push(task(|| http::get(url, #{ timeout: 10 }).text)); }
        let waited = 0;
        while s.active < 3 && waited < 100 { sleep(0.02); waited += 1; }
        print(s.active);
        s.stop();
        print(clients.map(|c| c.join()));
        print(s.active);
        let server = ();
        server = http::serve("127.0.0.1", 0, |r| { server.stop(); "stopping" });
        print(http::get(server.url, #{ timeout: 10 }).text);
        print(server.wait(5));
        "#,
    )
    .ok();
    assert_eq!(out.stdout, "3\n[\"slow done\", \"slow done\", \"slow done\"]\n0\nstopping\ntrue\n");
}

#[test]
fn a_handlers_own_content_length_does_not_reach_the_wire() {
    // hyper states the body's length; a wrong one from the handler would hang the client.
    let out = eval(
        r#"
        let s = http::serve("127.0.0.1", 0, |r| #{ headers: #{ "Content-Length": "100" }, body: "short" });
        let r = http::get(s.url, #{ timeout: 5 });
        print(`${r.text} ${r.header("content-length")}`);
        "#,
    )
    .ok();
    assert_eq!(out.stdout, "short 5\n");
}

/// A failing handler is logged as an uncaught error is shown: kind, message,
/// `file:line:col`, the source line and a caret (and the client gets a 500).
#[test]
fn a_failing_handler_is_logged_with_its_line_and_caret() {
    let dir = common::temp_dir();
    let file = dir.path().join("srv.rhai");
    std::fs::write(
        &file,
        "let s = http::serve(\"127.0.0.1\", 0, |req| {\n    let x = 1;\n    throw #{ kind: \"Deliberate\", message: \"deliberate failure\" };\n});\nprint(http::get(`http://127.0.0.1:${s.port}/`).status_code);\ns.stop();\n",
    )
    .unwrap();
    let out = common::run(&[file.to_str().unwrap()]).ok();
    assert_eq!(out.stdout, "500\n");
    let name = file.display().to_string();
    assert!(
        out.stderr.contains(&format!("handler for GET / failed: Deliberate: deliberate failure ({name}:3:5)")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(" 3 |     throw #{ kind: \"Deliberate\"") && out.stderr.contains("   |     ^"),
        "{}",
        out.stderr
    );
}

/// Headers are looked up in any case, on a response and on a handler's request, as
/// requests' `CaseInsensitiveDict`; printing, `keys()` and `json::stringify` give the names
/// lower-case, as before.
#[test]
fn headers_are_looked_up_in_any_case() {
    let script = r#"
        let s = http::serve("127.0.0.1", 0, |req| `${req.headers["X-Test"]} ${"x-TEST" in req.headers} ${req.headers["x-test"]}`);
        let r = http::get(`http://127.0.0.1:${s.port}/`, #{ headers: #{ "X-Test": "yes" } });
        print(r.text);
        print(r.headers["Content-Type"] == r.headers["content-type"]);
        print(r.headers["Content-Type"]);
        print(r.headers["No-Such-Header"]);
        print("content-type" in r.headers.keys());
        print(json::parse(json::stringify(r.headers))["content-type"]);
        print(r.headers.to_map()["content-type"]);
        s.stop();"#;
    let out = eval(script).ok().stdout;
    assert_eq!(
        out,
        "yes true yes\ntrue\ntext/plain; charset=utf-8\n\ntrue\ntext/plain; charset=utf-8\ntext/plain; charset=utf-8\n"
    );
}

/// `req.form()` decodes what curl (`-F`, multipart with a file) and Python's requests
/// (`data=`, urlencoded) send; a body that is no form is `InvalidArgument`.
#[test]
fn req_form_decodes_urlencoded_and_multipart_forms_from_curl_and_requests() {
    let dir = common::temp_dir();
    let upload = dir.path().join("data.bin");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    std::fs::write(&upload, &bytes).unwrap();
    let script = dir.path().join("form.rhai");
    std::fs::write(
        &script,
        r#"let s = http::serve("127.0.0.1", 0, |req| {
            let form = ();
            try { form = req.form(); } catch (e) { return e.kind; }
            let file = if "upload" in form { `${form.upload.filename} ${form.upload.content_type} ${form.upload.data.len()} ${form.upload.data[255]}` } else { "-" };
            `${form.name}|${form.note}|${file}`
        });
        print(s.port);
        s.wait(20);"#,
    )
    .unwrap();
    let mut server =
        Peer::start("form server", common::netscript_bin().to_str().unwrap(), &[script.to_str().unwrap()], None);
    let port = server.read_line();
    let url = format!("http://127.0.0.1:{port}/");
    let curl = |args: &[&str]| {
        let out = std::process::Command::new("curl").arg("-s").args(args).arg(&url).output().expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let multipart = curl(&[
        "-F",
        "name=Ann",
        "-F",
        "note=a b&c",
        "-F",
        &format!("upload=@{};type=application/x-demo", upload.display()),
    ]);
    assert_eq!(multipart, "Ann|a b&c|data.bin application/x-demo 3000 255");
    let requests = std::process::Command::new("python3")
        .args([
            "-c",
            "import requests,sys; print(requests.post(sys.argv[1], data={'name': 'Bé n', 'note': 'x&y'}).text)",
            &url,
        ])
        .output()
        .expect("python3");
    assert_eq!(String::from_utf8_lossy(&requests.stdout).trim(), "Bé n|x&y|-");
    assert_eq!(curl(&["-H", "Content-Type: application/json", "-d", "{}"]), "InvalidArgument");
    server.stop();
}
