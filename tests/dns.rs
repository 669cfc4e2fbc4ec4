//! The `dns` plugin against a real BIND 9 on loopback: every answer compared with dig's for
//! the same question, the error kinds of the contract, truncation and TCP, reverse lookups,
//! resolver objects under `parallel`, and the permission checker.

mod common;
use common::{eval, run, Bind};
use std::collections::BTreeSet;

/// dig's answer lines as `name ttl type data` (class dropped, blanks collapsed).
fn dig_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {} {}", f[0], f[1], f[3], f[4..].join(" "))
        })
        .collect()
}

/// netscript's records printed the same way, one per line.
fn lines(stdout: &str) -> BTreeSet<String> {
    stdout.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

const PRINT: &str = r#"fn show(records) { for r in records { print(`${r.name} ${r.ttl} ${r.type} ${r.data}`); } }"#;

#[test]
fn every_record_type_matches_dig() {
    let bind = Bind::start();
    let questions = [
        ("example.test", "A"),
        ("example.test", "AAAA"),
        ("example.test", "MX"),
        ("example.test", "NS"),
        ("example.test", "SOA"),
        ("example.test", "TXT"),
        ("example.test", "CAA"),
        ("mail.example.test", "AAAA"),
        ("multi.example.test", "TXT"),
        ("big.example.test", "TXT"),
        ("_sip._tcp.example.test", "SRV"),
        ("anything.wild.example.test", "A"),
        ("www.example.test", "CNAME"),
        // Types whose presentation hickory prints otherwise, or has no name for.
        ("host.example.test", "HINFO"),
        ("host.example.test", "SSHFP"),
        ("_25._tcp.mail.example.test", "TLSA"),
        ("signed.example.test", "DS"),
        ("example.test", "DNSKEY"),
        ("example.test", "NAPTR"),
        ("example.test", "HTTPS"),
        ("svc.example.test", "SVCB"),
        ("loc.example.test", "LOC"),
        ("example.test", "URI"),
        ("rp.example.test", "RP"),
        ("afs.example.test", "AFSDB"),
        ("eui.example.test", "EUI48"),
        ("example.test", "SPF"),
    ];
    for (name, rtype) in questions {
        let script =
            format!("{PRINT} show(dns::resolve(\"{name}\", \"{rtype}\", #{{ nameserver: \"{}\" }}));", bind.server());
        let ours = lines(&eval(&script).ok().stdout);
        let digs = dig_lines(&bind.dig(&[name, rtype]));
        assert!(!digs.is_empty(), "dig found nothing for {name} {rtype}");
        assert_eq!(ours, digs, "{name} {rtype}");
    }
}

#[test]
fn type_fields_are_filled_per_type() {
    let bind = Bind::start();
    let script = format!(
        r#"let o = #{{ nameserver: "{}" }};
        let mx = dns::resolve("example.test", "MX", o);
        let prefs = mx.map(|r| `${{r.preference}}=${{r.exchange}}`);
        prefs.sort();   // BIND rotates the order of a record set
        print(prefs);
        let soa = dns::resolve("example.test", "SOA", o)[0];
        print(`${{soa.mname}} ${{soa.rname}} ${{soa.serial}} ${{soa.refresh}} ${{soa.retry}} ${{soa.expire}} ${{soa.minimum}}`);
        let srv = dns::resolve("_sip._tcp.example.test", "SRV", o)[0];
        print(`${{srv.priority}} ${{srv.weight}} ${{srv.port}} ${{srv.target}}`);
        let txt = dns::resolve("multi.example.test", "TXT", o)[0];
        print(txt.strings); print(txt.text);
        let caa = dns::resolve("example.test", "CAA", o)[0];
        print(`${{caa.flags}} ${{caa.tag}} ${{caa.value}}`);
        let a = dns::resolve("www.example.test", "A", o);
        print(`${{a.len()}} ${{a[0].name}} ${{a[0].address}}`);"#,
        bind.server()
    );
    let out = eval(&script).ok().stdout;
    let expected = [
        r#"["10=mail.example.test.", "20=mail2.example.test."]"#,
        "ns1.example.test. hostmaster.example.test. 2026120101 3600 900 604800 60",
        "10 5 5060 mail.example.test.",
        r#"["first string", "second string"]"#,
        "first stringsecond string",
        "0 issue letsencrypt.org",
        // A CNAME on the way is followed; only the A records come back (dnspython's rrset).
        "1 mail.example.test. 127.0.0.2",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn query_returns_the_whole_reply_like_dig() {
    let bind = Bind::start();
    let script = format!(
        r#"let o = #{{ nameserver: "{s}" }};
        let r = dns::query("nope.example.test", "A", o);
        print(`${{r.rcode}} ${{r.code}} ${{r.flags}} ${{r.answer.len()}} ${{r.authority[0].type}} ${{r.server}}`);
        let w = dns::query("www.example.test", "A", o);
        for x in w.answer {{ print(`${{x.name}} ${{x.ttl}} ${{x.type}} ${{x.data}}`); }}
        let d = dns::query("child.example.test", "A", o);
        print(`delegation ${{d.rcode}} ${{d.answer.len()}} ${{d.authority[0].type}} ${{d.authority[0].data}}`);"#,
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    let mut lines = out.lines();
    assert_eq!(lines.next().unwrap(), format!(r#"NXDOMAIN 3 ["qr", "aa", "rd"] 0 SOA {}"#, bind.server()));
    // The answer section holds the CNAME and its target, in dig's order.
    let answer: Vec<&str> = lines.by_ref().take(2).collect();
    let dig: Vec<String> = bind
        .dig(&["www.example.test", "A"])
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {} {}", f[0], f[1], f[3], f[4..].join(" "))
        })
        .collect();
    assert_eq!(answer, dig);
    assert_eq!(lines.next().unwrap(), "delegation NOERROR 0 NS ns.child.example.test.");
}

#[test]
fn a_truncated_udp_answer_is_reported_or_retried_over_tcp() {
    let bind = Bind::start();
    let script = format!(
        r#"let o = #{{ nameserver: "{s}", edns: false }};
        let udp = dns::query("big.example.test", "TXT", o);
        print(`${{udp.truncated}} ${{udp.protocol}} ${{udp.flags.contains("tc")}}`);
        o.tcp_fallback = true;
        let again = dns::query("big.example.test", "TXT", o);
        print(`${{again.truncated}} ${{again.protocol}} ${{again.answer[0].strings[0].len()}}`);
        let tcp = dns::query("big.example.test", "TXT", #{{ nameserver: "{s}", tcp: true }});
        print(`${{tcp.protocol}} ${{tcp.answer[0].text.len()}}`);
        print(dns::resolve("big.example.test", "TXT", #{{ nameserver: "{s}", tcp: true }})[0].text.len());"#,
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    assert_eq!(out.lines().collect::<Vec<_>>(), ["true udp true", "false tcp 255", "tcp 510", "510"]);
}

#[test]
fn a_truncated_answer_with_tcp_refused_is_a_clear_error() {
    // A server that answers every UDP question truncated (TC, no records), with nothing
    // listening on its TCP port.
    let mut server = common::Peer::start(
        "truncating-ns",
        "python3",
        &[
            "-c",
            r#"
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    q, peer = s.recvfrom(4096)
    end = 12
    while q[end] != 0: end += q[end] + 1
    s.sendto(q[:2] + b"\x86\x00" + struct.pack("!4H", 1, 0, 0, 0) + q[12:end + 5], peer)
"#,
        ],
        None,
    );
    let port = server.read_line();
    assert!(std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err(), "TCP {port} must be closed");
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        let o = #{{ nameserver: "127.0.0.1:{port}", timeout: 3 }};
        print(why(|| dns::resolve("example.test", "A", o)));
        o.tcp_fallback = true;
        print(why(|| dns::query("example.test", "A", o)));"#
    );
    let started = std::time::Instant::now();
    let out = eval(&script).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("NoNameservers: example.test. A:") && lines[0].contains("truncated over UDP"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("ConnectionRefused: ") && lines[1].contains("(TCP)"), "{}", lines[1]);
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "no waiting for the timeout");
}

#[test]
fn reverse_lookups_match_dig_x() {
    let bind = Bind::start();
    let script = format!(
        r#"let o = #{{ nameserver: "{s}" }};
        print(dns::reverse("127.0.0.1", o)); print(dns::reverse("127.0.0.2", o)); print(dns::reverse("::1", o));
        print(dns::reverse_name("192.0.2.1")); print(dns::reverse_name("2001:db8::1"));"#,
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    let dig_x = |ip: &str| bind.dig(&["-x", ip]).split_whitespace().last().unwrap().to_string();
    let expected = [
        format!(r#"["{}"]"#, dig_x("127.0.0.1")),
        format!(r#"["{}"]"#, dig_x("127.0.0.2")),
        format!(r#"["{}"]"#, dig_x("::1")),
        "1.2.0.192.in-addr.arpa.".to_string(),
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.".to_string(),
    ];
    assert_eq!(out.lines().map(str::to_string).collect::<Vec<_>>(), expected);
    assert_eq!(expected[0], r#"["example.test."]"#);
}

#[test]
fn errors_have_the_contracts_kinds_and_codes() {
    let bind = Bind::start();
    let script = format!(
        r#"let o = #{{ nameserver: "{s}" }};
        fn kind_of(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.code}}`; }} }}
        print(kind_of(|| dns::resolve("nope.example.test", "A", o)));
        print(kind_of(|| dns::resolve("only6.example.test", "A", o)));
        print(kind_of(|| dns::resolve("x.refused.test", "A", o)));
        print(dns::query("x.refused.test", "A", o).rcode);"#,
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    assert_eq!(out.lines().collect::<Vec<_>>(), ["NXDOMAIN 3", "NoAnswer 0", "NoNameservers 5", "REFUSED"]);
}

#[test]
fn a_silent_server_times_out_within_the_timeout() {
    // A bound UDP socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let script = format!(
        r#"let started = timestamp();
        try {{ dns::resolve("example.test", "A", #{{ nameserver: "127.0.0.1:{port}", timeout: 1, attempts: 3 }}) }}
        catch (e) {{ print(e.kind); print(e.message); }}
        let took = started.elapsed;
        print(took >= 0.9 && took < 2.0);
        try {{ dns::query("example.test", "A", #{{ nameserver: "127.0.0.1:{port}", timeout: 0.5 }}) }}
        catch (e) {{ print(e.kind); }}"#
    );
    let out = eval(&script).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "DNSTimeout");
    assert!(lines[1].contains("example.test. A") && lines[1].contains("1 s"), "{}", lines[1]);
    assert_eq!(lines[2], "true", "the timeout covers every attempt");
    assert_eq!(lines[3], "DNSTimeout");
}

#[test]
fn bad_input_is_an_invalid_argument_quoting_the_text() {
    let long_label = format!("{}.example.test", "a".repeat(64));
    let long_name = vec!["abcdefghi"; 26].join(".");
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        print(why(|| dns::resolve("{long_label}", "A")));
        print(why(|| dns::resolve("{long_name}", "A")));
        print(why(|| dns::resolve("a..example.test", "A")));
        print(why(|| dns::resolve("example.test", "BOGUS")));
        print(why(|| dns::reverse("300.1.2.3")));
        print(why(|| dns::resolve("example.test", "A", #{{ nameserver: "not a server" }})));
        print(why(|| dns::resolve("example.test", "A", #{{ nameserver: "127.0.0.1:99999" }})));
        print(why(|| dns::resolve("example.test", "A", #{{ nameserver: 53 }})));
        print(why(|| dns::resolve("example.test", "A", #{{ timeout: -1 }})));
        print(why(|| dns::resolve("example.test", "A", #{{ attempts: 0 }})));
        print(why(|| dns::query("example.test", "A", #{{ colour: 1 }})));
        print(why(|| dns::resolve("ex\r\nample.test", "A")));"#
    );
    let out = eval(&script).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 12, "{out}");
    for line in &lines {
        assert!(line.starts_with("InvalidArgument: "), "{line}");
    }
    assert!(lines[0].contains("64 bytes") && lines[0].contains(&long_label), "{}", lines[0]);
    assert!(lines[1].contains("at most 253"), "{}", lines[1]);
    assert!(lines[2].contains("'a..example.test'") && lines[2].contains("empty label"), "{}", lines[2]);
    assert!(lines[3].contains("'BOGUS'"), "{}", lines[3]);
    assert!(lines[4].contains("'300.1.2.3'"), "{}", lines[4]);
    assert!(lines[5].contains("'not a server'"), "{}", lines[5]);
    assert!(lines[6].contains("'127.0.0.1:99999'"), "{}", lines[6]);
    assert!(lines[7].contains("not int"), "{}", lines[7]);
    assert!(lines[10].contains("'colour'"), "{}", lines[10]);
}

#[test]
fn a_resolver_object_is_shared_by_parallel_closures() {
    let bind = Bind::start();
    let script = format!(
        r#"let r = dns::resolver(#{{ nameservers: ["{s}"], timeout: 3, cache: true }});
        let names = [];
        for i in 0..200 {{ names.push(`host${{i}}.wild.example.test`); }}
        let got = parallel(names, |n| r.resolve(n, "A")[0].address, #{{ limit: 32 }});
        print(got.filter(|a| a == "127.0.0.9").len());
        print(r.query("example.test", "SOA").answer[0].serial);
        print(r.reverse("127.0.0.2"));
        print(r);"#,
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..3], ["200", "2026120101", r#"["mail.example.test."]"#]);
    assert!(lines[3].starts_with("DnsResolver(") && lines[3].contains(&bind.server()), "{}", lines[3]);
}

#[test]
fn name_servers_pass_the_permission_checker() {
    let bind = Bind::start();
    let allowed = format!("--allow-net={}", bind.server());
    let code = format!(
        r#"print(dns::resolve("example.test", "NS", #{{ nameserver: "{s}" }})[0].target);
        try {{ dns::resolve("example.test", "NS", #{{ nameserver: "127.0.0.1:{other}" }}) }} catch (e) {{ print(e.kind) }}
        try {{ dns::query("example.test", "NS", #{{ nameserver: "127.0.0.1:{other}" }}) }} catch (e) {{ print(e.kind) }}"#,
        s = bind.server(),
        other = bind.port.wrapping_add(1)
    );
    let out = run(&[&allowed, "-e", &code]).ok().stdout;
    assert_eq!(out.lines().collect::<Vec<_>>(), ["ns1.example.test.", "PermissionDenied", "PermissionDenied"]);
}

#[test]
fn a_zone_transfer_matches_dig_axfr() {
    let bind = Bind::start();
    let script = format!(
        r#"{PRINT}
        let zone = dns::zone_transfer("example.test", "{s}");
        show(zone);
        print(`first ${{zone[0].type}} last ${{zone[zone.len() - 1].type}}`);"#,
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    let ends = lines.pop().unwrap();
    assert_eq!(ends, "first SOA last SOA");
    let dig: Vec<String> = bind
        .dig(&["example.test", "AXFR"])
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {} {}", f[0], f[1], f[3], f[4..].join(" "))
        })
        .collect();
    // The same records in the same (server) order.
    assert_eq!(lines, dig);
    assert!(lines.len() > 15, "{lines:?}");
}

#[test]
fn a_refused_or_cut_zone_transfer_is_an_error_never_a_partial_result() {
    let bind = Bind::start();
    // A server that starts the transfer with the SOA and hangs up before the closing one.
    let cut = common::Peer::start(
        "cut-axfr",
        "python3",
        &[
            "-c",
            r#"
import socket, struct
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
n = struct.unpack("!H", c.recv(2))[0]
q = b""
while len(q) < n: q += c.recv(n - len(q))
qid, question = q[:2], q[12:]
soa = b"\x00\x00" + struct.pack("!5I", 1, 3600, 900, 604800, 60)
answer = b"\xc0\x0c" + struct.pack("!HHIH", 6, 1, 300, len(soa)) + soa
msg = qid + b"\x84\x00" + struct.pack("!4H", 1, 1, 0, 0) + question + answer
c.sendall(struct.pack("!H", len(msg)) + msg)
c.close()
"#,
        ],
        None,
    );
    let mut cut = cut;
    let port = cut.read_line();
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.code}} ${{e.message}}`; }} }}
        print(why(|| dns::zone_transfer("refused.test", "{s}")));
        print(why(|| dns::zone_transfer("example.test", "127.0.0.1:{port}", #{{ timeout: 5 }})));"#,
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NoNameservers 5 ") && lines[0].contains("REFUSED"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("ProtocolError ") && lines[1].contains("cut before the closing SOA, after 1 record"),
        "{}",
        lines[1]
    );
}

#[test]
fn servers_by_name_and_in_digs_form_obey_the_permissions_and_any_label_is_sent() {
    let bind = Bind::start();
    let port = bind.port;
    // Under --sandbox a name server given by name is refused before any lookup leaves.
    let sandboxed = run(&[
        "--sandbox",
        "-e",
        r#"try { dns::resolve("example.test", "A", #{ nameserver: "ns.example.org" }) } catch (e) { print(e.kind) }"#,
    ])
    .ok();
    assert_eq!(sandboxed.stdout, "PermissionDenied\n");
    // --allow-net by name permits that server given by the same name.
    let by_name = run(&[
        &format!("--allow-net=localhost:{port}"),
        "-e",
        &format!(r#"print(dns::resolve("example.test", "NS", #{{ nameserver: "localhost:{port}" }})[0].target)"#),
    ])
    .ok();
    assert_eq!(by_name.stdout, "ns1.example.test.\n");
    let script = format!(
        r#"print(dns::query("example.test", "SOA", #{{ nameserver: "127.0.0.1#{port}" }}).rcode);
        // Labels dig sends as they are: RFC 2317's 0/26, a leading dash.
        print(dns::query("1.0/26.0.0.127.in-addr.arpa", "PTR", #{{ nameserver: "127.0.0.1:{port}" }}).rcode);
        print(dns::query("-dash.example.test", "A", #{{ nameserver: "127.0.0.1:{port}" }}).rcode);
        try {{ dns::resolve("example.test", "A", #{{ nameserver: "127.0.0.1", nameservers: ["127.0.0.2"] }}) }}
        catch (e) {{ print(e.kind) }}"#
    );
    let out = eval(&script).ok().stdout;
    assert_eq!(out.lines().collect::<Vec<_>>(), ["NOERROR", "NXDOMAIN", "NXDOMAIN", "InvalidArgument"]);
}

/// The `tsig` option for the key BIND accepts updates with.
fn tsig_option() -> String {
    let (name, secret) = common::BIND_TSIG;
    format!(r#"#{{ name: "{name}", secret: "{secret}" }}"#)
}

#[test]
fn a_signed_update_changes_the_zone_as_dig_sees_it() {
    let bind = Bind::start();
    let script = format!(
        r#"let key = {key};
        let s = "{s}";
        print(dns::update("example.test", s, #{{
            add: ["new 120 A 192.0.2.7", "new 120 A 192.0.2.8", #{{ name: "new.example.test.", type: "TXT", ttl: 60, data: "\"made by netscript\"" }}],
            replace: ["mail2 600 A 127.0.0.33"],
            delete: ["multi", "_sip._tcp SRV", "@ MX 20 mail2"],
            tsig: key,
        }}));
        // Prerequisites that do not hold: the rcode is returned and nothing changes.
        print(dns::update("example.test", s, #{{ present: "nope", add: "nope A 192.0.2.9", tsig: key }}));
        print(dns::update("example.test", s, #{{ absent: "new A", add: "never A 192.0.2.9", tsig: key }}));
        // A value-dependent prerequisite names the whole set (RFC 2136 §2.4.2).
        print(dns::update("example.test", s, #{{ present: "new A 192.0.2.7", add: "never A 192.0.2.9", tsig: key }}));
        // One that holds.
        print(dns::update("example.test", s, #{{ present: ["new A 192.0.2.7", "new A 192.0.2.8"], absent: "fresh", add: "fresh AAAA 2001:db8::f", tsig: key }}));
        // A record map as dns::resolve returns it deletes that record.
        let gone = dns::resolve("new.example.test", "A", #{{ nameserver: s }}).filter(|r| r.address == "192.0.2.8");
        print(dns::update("example.test", s, #{{ delete: gone, tsig: key }}));"#,
        key = tsig_option(),
        s = bind.server()
    );
    let out = run(&["--trace", "dns", "-e", &script]).ok();
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        ["NOERROR", "NXDOMAIN", "YXRRSET", "NXRRSET", "NOERROR", "NOERROR"]
    );
    assert!(!out.stderr.contains(common::BIND_TSIG.1), "the secret is in the trace:\n{}", out.stderr);
    assert!(out.stderr.contains("add new.example.test.\t120\tIN\tA\t192.0.2.7"), "{}", out.stderr);
    assert!(out.stderr.contains("delete multi.example.test. (every record)"), "{}", out.stderr);
    let dig = |name: &str, rtype: &str| dig_lines(&bind.dig(&[name, rtype]));
    let set = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(dig("new.example.test", "A"), set(&["new.example.test. 120 A 192.0.2.7"]));
    assert_eq!(dig("new.example.test", "TXT"), set(&["new.example.test. 60 TXT \"made by netscript\""]));
    assert_eq!(dig("mail2.example.test", "A"), set(&["mail2.example.test. 600 A 127.0.0.33"]));
    assert_eq!(dig("multi.example.test", "TXT"), set(&[]));
    assert_eq!(dig("_sip._tcp.example.test", "SRV"), set(&[]));
    assert_eq!(dig("example.test", "MX"), set(&["example.test. 300 MX 10 mail.example.test."]));
    assert_eq!(dig("nope.example.test", "A"), set(&[]));
    assert_eq!(dig("never.example.test", "A"), set(&[]));
    assert_eq!(dig("fresh.example.test", "AAAA"), set(&["fresh.example.test. 3600 AAAA 2001:db8::f"]));
    // BIND raised the serial once per applied update.
    let soa = bind.dig(&["example.test", "SOA"]);
    assert!(soa.contains(" 2026120104 "), "{soa}");
}

#[test]
fn an_unsigned_or_badly_signed_update_is_refused_with_the_rcode_and_the_secret_never_shows() {
    let bind = Bind::start();
    let wrong = "d3Jvbmctc2VjcmV0LW9mLW5ldHNjcmlwdC10ZXN0cw==";
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.code}} ${{e.message}}`; }} }}
        let s = "{s}";
        let add = "intruder A 192.0.2.66";
        print(why(|| dns::update("example.test", s, #{{ add: add }})));
        print(why(|| dns::update("example.test", s, #{{ add: add, tsig: #{{ name: "update-key", secret: "{wrong}" }} }})));
        print(why(|| dns::update("example.test", s, #{{ add: add, tsig: #{{ name: "no-such-key", secret: "{wrong}" }} }})));
        print(why(|| dns::update("refused.test", s, #{{ add: "x A 192.0.2.1", tsig: {key} }})));"#,
        s = bind.server(),
        key = tsig_option()
    );
    let out = run(&["--trace", "dns", "-e", &script]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("NoNameservers 5 ") && lines[0].contains("give tsig"), "{}", lines[0]);
    assert!(lines[1].starts_with("NoNameservers 9 ") && lines[1].contains("BADSIG"), "{}", lines[1]);
    assert!(lines[2].starts_with("NoNameservers 9 ") && lines[2].contains("BADKEY"), "{}", lines[2]);
    assert!(lines[3].starts_with("NoNameservers 5 ") && lines[3].contains("refused"), "{}", lines[3]);
    for secret in [wrong, common::BIND_TSIG.1] {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "a secret shows:\n{}{}",
            out.stdout,
            out.stderr
        );
    }
    assert!(dig_lines(&bind.dig(&["intruder.example.test", "A"])).is_empty());
}

#[test]
fn a_bad_update_is_an_invalid_argument_before_anything_is_sent() {
    // Nothing listens on the server given: each error must come before a connection.
    let nobody = format!("127.0.0.1:{}", common::free_port());
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        let s = "{nobody}";
        let key = #{{ name: "k", secret: "c2VjcmV0" }};
        for opts in [
            #{{ add: "www.other.test. A 192.0.2.1" }},
            #{{ delete: "other.test." }},
            #{{ add: "www A 192.0.2.1\r\nevil A 192.0.2.2" }},
            #{{ add: "www 300 A 999.1.1.1" }},
            #{{ add: "www 300 A" }},
            #{{ add: "www 300 NOPE 1" }},
            #{{ add: 42 }},
            #{{ add: #{{ type: "A", data: "192.0.2.1" }} }},
            #{{ absent: "www A 192.0.2.1" }},
            #{{}},
            #{{ add: "www A 192.0.2.1", tsig: #{{ name: "k", secret: "not base64!" }} }},
            #{{ add: "www A 192.0.2.1", tsig: #{{ name: "k", secret: "c2VjcmV0", algorithm: "hmac-md5" }} }},
            #{{ add: "www A 192.0.2.1", ttl: -1 }},
            #{{ add: "www A 192.0.2.1", adds: 1 }},
        ] {{ print(why(|| dns::update("example.test", s, opts))); }}
        print(why(|| dns::update("a..b", s, #{{ add: "x A 192.0.2.1" }})));"#
    );
    let out = eval(&script).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    let expect = [
        "outside the zone example.test.",
        "outside the zone",
        "CR or LF",
        "'999.1.1.1'",
        "needs a type and data",
        "'NOPE'",
        "not int",
        "needs a name",
        "without data",
        "nothing to do",
        "not base64",
        "'hmac-md5'",
        "ttl must be 0 to",
        "adds",
        "'a..b'",
    ];
    assert_eq!(lines.len(), expect.len(), "{out}");
    for (line, want) in lines.iter().zip(expect) {
        assert!(line.starts_with("InvalidArgument: ") && line.contains(want), "want {want:?}: {line}");
    }
}

/// Runs `scripts/dns_audit.rhai ARGS…` with the real binary.
fn audit(args: &[&str]) -> common::Run {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/dns_audit.rhai");
    let mut all = vec![script];
    all.extend_from_slice(args);
    run(&all)
}

/// The rows of dns_audit's table as `check subject status` → detail.
fn audit_rows(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip(2)
        .filter(|l| !l.contains(" checks: "))
        .map(|l| {
            let f: Vec<&str> = l.split("  ").map(str::trim).filter(|f| !f.is_empty()).collect();
            (f[..f.len() - 1].join(" "), f[f.len() - 1].to_string())
        })
        .collect()
}

#[test]
fn dns_audit_passes_a_sound_mail_domain() {
    let bind = Bind::start();
    let out = audit(&["audit.test", "--nameserver", &bind.server()]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let rows = audit_rows(&out.stdout);
    let port = bind.port;
    let want = [
        ("mx mx.audit.test. OK", "preference 10: 127.0.0.4"),
        ("reverse 127.0.0.4 OK", "PTR mx.audit.test."),
        ("spf audit.test OK", "v=spf1 mx ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.audit.test ~all"),
        ("dmarc _dmarc.audit.test OK", "v=DMARC1; p=quarantine; rua=mailto:dmarc@audit.test; pct=100"),
        (&format!("soa ns1.audit.test. 127.0.0.1:{port} OK"), "serial 7"),
        (&format!("soa ns2.audit.test. [::1]:{port} OK"), "serial 7"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(rows, want, "{}", out.stdout);
    assert!(out.stdout.ends_with("6 checks: 6 ok, 0 warnings, 0 failed\n"), "{}", out.stdout);
}

#[test]
fn dns_audit_reports_every_broken_check_in_json_and_exits_1() {
    let bind = Bind::start();
    let out = audit(&["bad.audit.test", "--nameserver", &bind.server(), "--json"]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(report["ok"], false);
    let rows: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let f = |key: &str| c[key].as_str().unwrap_or_default().to_string();
            format!("{} {} {}: {}", f("check"), f("subject"), f("status"), f("detail"))
        })
        .collect();
    let expect = [
        "mx nohost.audit.test. fail: preference 10: the host has no A or AAAA record",
        "mx mail2.example.test. ok: preference 20: 127.0.0.3",
        "reverse 127.0.0.3 fail: mail2.example.test. has this address but it has no PTR record",
        "spf bad.audit.test fail: malformed: \"ip4:999.1.1.1\": \"999.1.1.1\" is not an IPv4 address or network",
        "dmarc _dmarc.bad.audit.test fail: 2 DMARC records: receivers ignore them all (RFC 7489 §6.6.3)",
        "soa bad.audit.test fail: no NS records",
    ];
    assert_eq!(rows, expect, "{}", out.stdout);
    assert_eq!((report["failed"].as_i64(), report["warnings"].as_i64()), (Some(5), Some(0)));

    // Usage errors exit 2 and say what is wrong.
    let usage = audit(&["--nameserver"]);
    assert_eq!(usage.status, 2);
    assert!(usage.stderr.contains("--nameserver needs a server"), "{}", usage.stderr);
    assert_eq!(audit(&[]).status, 2);
}

#[test]
fn dns_audit_sees_name_servers_that_disagree_on_the_serial() {
    let bind = Bind::start();
    // skew.test's second name server, 127.0.0.5 at BIND's port: answers every SOA question
    // authoritatively with serial 4 (BIND has 5).
    let mut fake = common::Peer::start(
        "skewed-ns",
        "python3",
        &[
            "-c",
            r#"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.5", int(sys.argv[1])))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    end = 12
    while q[end] != 0: end += q[end] + 1
    question = q[12:end + 5]
    soa = b"\x00\x00" + struct.pack("!5I", 4, 3600, 900, 604800, 60)
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 6, 1, 300, len(soa)) + soa
    s.sendto(q[:2] + b"\x84\x00" + struct.pack("!4H", 1, 1, 0, 0) + question + answer, peer)
"#,
            &bind.port.to_string(),
        ],
        None,
    );
    assert_eq!(fake.read_line(), "ready");
    let out = audit(&["skew.test", "--nameserver", &bind.server()]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    let rows = audit_rows(&out.stdout);
    let soa: Vec<&(String, String)> = rows.iter().filter(|(what, _)| what.starts_with("soa ")).collect();
    assert_eq!(soa.len(), 2, "{}", out.stdout);
    assert!(soa[0].0.starts_with("soa ns1.skew.test. 127.0.0.1:") && soa[0].0.ends_with(" FAIL"), "{:?}", soa[0]);
    assert_eq!(soa[0].1, "serial 5; the name servers disagree (5, 4)");
    assert_eq!(soa[1].1, "serial 4; the name servers disagree (5, 4)");
}

#[test]
fn records_from_resolve_go_back_into_update_as_they_are_escapes_and_chunks_included() {
    let bind = Bind::start();
    let script = format!(
        r#"let key = {key};
        let s = "{s}";
        let o = #{{ nameserver: s }};
        // \DDD escapes are bytes, as nsupdate reads them.
        print(dns::update("example.test", s, #{{ add: [`esc TXT "\065BC" "caf\195\169 \255\000x"`], tsig: key }}));
        let txt = dns::resolve("esc.example.test", "TXT", o);
        print(txt[0].data);
        // What resolve returned deletes exactly those records, chunked hex and base64 too.
        let gone = txt + dns::resolve("host.example.test", "SSHFP", o);
        print(dns::update("example.test", s, #{{ delete: gone, tsig: key }}));
        // BIND keeps the apex DNSKEY to itself; as a prerequisite it must match exactly.
        print(dns::update("example.test", s, #{{ present: dns::resolve("example.test", "DNSKEY", o), tsig: key }}));
        // RFC 3597's generic form works for any type.
        print(dns::update("example.test", s, #{{ add: `gen TYPE65280 \# 4 DEADBEEF`, tsig: key }}));"#,
        key = tsig_option(),
        s = bind.server()
    );
    let out = eval(&script).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, ["NOERROR", r#""ABC" "caf\195\169 \255\000x""#, "NOERROR", "NOERROR", "NOERROR"], "{out}");
    for (name, rtype) in [("esc.example.test", "TXT"), ("host.example.test", "SSHFP")] {
        assert!(dig_lines(&bind.dig(&[name, rtype])).is_empty(), "{name} {rtype} left");
    }
    assert_eq!(dig_lines(&bind.dig(&["gen.example.test", "TYPE65280"])).len(), 1);
}

#[test]
fn a_tsig_signed_zone_transfer_is_verified_and_a_wrong_key_refused() {
    let bind = Bind::start();
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.code}} ${{e.message}}`; }} }}
        let s = "{s}";
        print(dns::zone_transfer("example.test", s).len() == dns::zone_transfer("example.test", s, #{{ tsig: {key} }}).len());
        print(why(|| dns::zone_transfer("example.test", s, #{{ tsig: #{{ name: "update-key", secret: "d3Jvbmc=" }} }})));
        print(why(|| dns::zone_transfer("example.test", s, #{{ max_records: 3 }})));"#,
        s = bind.server(),
        key = tsig_option()
    );
    let out = run(&["--trace", "dns", "-e", &script]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "true");
    assert!(lines[1].starts_with("NoNameservers 9 ") && lines[1].contains("BADSIG"), "{}", lines[1]);
    assert!(lines[2].starts_with("ProtocolError ") && lines[2].contains("more than 3 records"), "{}", lines[2]);
    assert!(!out.stderr.contains(common::BIND_TSIG.1) && !out.stdout.contains("d3Jvbmc="));
}
