//! The `smtp` module against a real Postfix (STARTTLS, AUTH through Dovecot, delivery to a
//! Maildir): what netscript sends arrives, and refusals are smtplib's exceptions.

mod common;
use common::{run, MailServers};

#[test]
fn a_message_sent_with_starttls_and_login_arrives_and_refusals_are_smtplibs_kinds() {
    let servers = MailServers::start();
    let script = format!(
        r#"let c = smtp::connect("127.0.0.1", {port}, #{{ tls: "starttls", ca_file: "{ca}", timeout: 10 }});
        print(`tls ${{c.tls}} auth ${{c.has_extn("AUTH")}} greeting ${{c.greeting.code}}`);
        c.login("alice@example.test", "alice-secret-pw");
        let refused = c.sendmail("alice@example.test", ["bob@example.test", "nobody@example.test"],
                                 "Subject: netscript test\r\n\r\nHello Bob\r\n");
        print(`refused ${{refused.keys()}} ${{refused["nobody@example.test"].code}}`);
        try {{ c.sendmail("alice@example.test", ["nobody@example.test"], "x"); }}
        catch (e) {{ print(`${{e.kind}} ${{e.recipients.keys()}}`); }}
        print(`again ${{c.login("alice@example.test", "alice-secret-pw").code}}`);
        c.quit();
        print(`after quit ${{c.esmtp_features.len()}} ${{c.has_extn("size")}}`);
        try {{ smtp::connect("127.0.0.1", {port}, #{{ tls: "starttls" }}); }} catch (e) {{ print(e.kind); }}
        let bad = smtp::connect("127.0.0.1", {port}, #{{ tls: "starttls", ca_file: "{ca}" }});
        try {{ bad.login("alice@example.test", "wrong-pw-123"); }} catch (e) {{ print(`${{e.kind}} ${{e.code}}`); }}"#,
        port = servers.submission_port,
        ca = servers.ca_file()
    );
    let out = run(&["--trace", "smtp", "-e", &script]).ok();
    assert!(out.stdout.contains("tls true auth true greeting 220"), "{}", out.stdout);
    assert!(out.stdout.contains("refused [\"nobody@example.test\"] 550"), "{}", out.stdout);
    assert!(out.stdout.contains("SMTPRecipientsRefused [\"nobody@example.test\"]"), "{}", out.stdout);
    assert!(out.stdout.contains("again 503\nafter quit 0 false\n"), "{}", out.stdout);
    assert!(out.stdout.contains("TlsError"), "{}", out.stdout);
    assert!(out.stdout.contains("SMTPAuthenticationError 535"), "{}", out.stdout);
    assert!(out.stderr.contains("> AUTH PLAIN ****"), "{}", out.stderr);
    assert!(!out.stderr.contains("wrong-pw-123") && !out.stdout.contains("wrong-pw-123"));
    let got = servers.wait_for_messages("bob", 1);
    let delivered = String::from_utf8_lossy(&got[0]);
    assert!(delivered.contains("\nSubject: netscript test\n") && delivered.ends_with("\n\nHello Bob\n"), "{delivered}");
}

/// The peer's port for `mode`, and the peer (stopped when dropped).
fn misbehaving_peer(mode: &str) -> (common::Peer, u16) {
    let path = common::repo_root().join("tests/peers/smtp_peer.py");
    let mut peer = common::Peer::start("smtp_peer", "python3", &[path.to_str().unwrap(), mode], None);
    let port = peer.read_line().parse().unwrap_or_else(|_| panic!("smtp_peer {mode} printed no port"));
    (peer, port)
}

#[test]
fn replies_postfix_will_not_give_are_the_documented_kinds() {
    for (mode, want) in [
        ("garbled", "ProtocolError"),
        ("drop_in_data", "SMTPServerDisconnected"),
        ("size_552", "SMTPDataError 552"),
        ("data_554", "SMTPDataError 554"),
        ("ehlo_refused", "SMTPHeloError"),
        ("silent", "Timeout"),
        ("no_greeting", "Timeout"),
    ] {
        let (_peer, port) = misbehaving_peer(mode);
        let script = format!(
            r#"try {{
                let c = smtp::connect("127.0.0.1", {port}, #{{ timeout: 1 }});
                c.sendmail("a@example.test", "b@example.test", "Subject: x\r\n\r\nbody\r\n");
                print("no error");
            }} catch (e) {{ print(`${{e.kind}} ${{e.code}}`); }}"#
        );
        let out = run(&["-e", &script]).ok();
        assert!(out.stdout.trim().starts_with(want), "{mode}: {}", out.stdout);
    }
}

/// Runs `python3 -c CODE ARGS…` and returns its stdout.
fn python(code: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3").arg("-c").arg(code).args(args).output().expect("python3");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A delivered Maildir message without the headers delivery added (`Return-Path`,
/// `Delivered-To`, `Received` and its continuation lines), LF turned back into CRLF.
fn as_sent(delivered: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(delivered);
    let mut lines = text.split_inclusive('\n').peekable();
    let mut skipping = false;
    let mut out = String::new();
    while let Some(line) = lines.peek() {
        let added = ["Return-Path:", "Delivered-To:", "Received:"].iter().any(|h| line.starts_with(h));
        if added || (skipping && (line.starts_with(' ') || line.starts_with('\t'))) {
            skipping = true;
            lines.next();
        } else {
            break;
        }
    }
    for line in lines {
        out.push_str(&line.replace('\n', "\r\n"));
    }
    out.into_bytes()
}

/// A message with its MIME boundaries renamed `B0`, `B1` … in order of appearance.
fn without_boundaries(message: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(message).into_owned();
    let mut n = 0;
    while let Some(at) = text.find("boundary=\"") {
        let start = at + "boundary=\"".len();
        let Some(len) = text[start..].find('"') else { break };
        let boundary = text[start..start + len].to_string();
        text = text.replace(&format!("boundary=\"{boundary}\""), &format!("boundary:B{n}"));
        text = text.replace(&boundary, &format!("B{n}"));
        n += 1;
    }
    text
}

#[test]
fn esmtp_features_read_as_smtplib_reads_them_from_the_same_postfix() {
    let servers = MailServers::start();
    let smtplib = python(
        r#"
import json, smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo()
before = dict(s.esmtp_features)
s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
s.ehlo()
# smtplib keeps a leading space on "auth" (" PLAIN LOGIN", an artefact of how it merges
# AUTH lines); netscript does not.
strip = lambda features: {k: v.strip() for k, v in features.items()}
print(json.dumps([s.does_esmtp, strip(before), strip(s.esmtp_features)], sort_keys=True, separators=(",", ":")))
s.quit()
"#,
        &[&servers.submission_port.to_string(), &servers.ca_file()],
    );
    let script = format!(
        r#"let c = smtp::connect("127.0.0.1", {port}, #{{ tls: "none", timeout: 10 }});
        let before = c.esmtp_features;
        c.starttls(#{{ ca_file: "{ca}" }});
        print(json::stringify([c.does_esmtp, before, c.esmtp_features]));
        print(`${{c.has_extn("pipelining")}} ${{c.has_extn("PIPELINING")}} ${{c.has_extn("Size")}} ${{c.has_extn("x-nothing")}}`);
        c.quit();"#,
        port = servers.submission_port,
        ca = servers.ca_file()
    );
    let out = run(&["-e", &script]).ok().stdout;
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(smtplib.trim()), "netscript:\n{out}\nsmtplib:\n{smtplib}");
    assert_eq!(lines.next(), Some("true true true false"), "{out}");
    for extension in ["\"pipelining\"", "\"size\":\"10485760\"", "\"8bitmime\"", "\"smtputf8\"", "\"auth\":"] {
        assert!(smtplib.contains(extension), "{extension} not announced: {smtplib}");
    }
}

#[test]
fn send_message_over_implicit_tls_arrives_byte_for_byte_with_its_attachment_and_no_bcc() {
    let servers = MailServers::start();
    let dir = common::temp_dir();
    let attachment = dir.path().join("figures.bin");
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(&attachment, &bytes).unwrap();
    let built = dir.path().join("built.eml");
    let script = format!(
        r#"let msg = #{{ from: "Alice Ä <alice@example.test>", to: ["Bob <bob@example.test>"], bcc: "alice@example.test",
                   subject: "Bericht für Bob — Q4", text: "Zahlen anbei.\n.\nA line with a dot above.\n",
                   html: "<p>Zahlen <b>anbei</b></p>", attachments: ["{attachment}"],
                   date: 1796551200, message_id: "<q4-report@example.test>" }};
        fs::write("{built}", mail::message(msg));
        let c = smtp::connect("127.0.0.1", {port}, #{{ tls: "implicit", ca_file: "{ca}", timeout: 10 }});
        print(`tls ${{c.tls}}`);
        c.login("alice@example.test", "alice-secret-pw");
        print(`refused ${{c.send_message(msg)}}`);
        c.quit();"#,
        attachment = attachment.display(),
        built = built.display(),
        port = servers.smtps_port,
        ca = servers.ca_file()
    );
    let out = run(&["--allow-read", "--allow-write", "--allow-net", "-e", &script]).ok().stdout;
    assert_eq!(out, "tls true\nrefused #{}\n");
    let for_bob = servers.wait_for_messages("bob", 1);
    let for_alice = servers.wait_for_messages("alice", 1);
    let built = std::fs::read(&built).unwrap();
    assert!(!String::from_utf8_lossy(&built).contains("Bcc"), "Bcc written into the message");
    // Each message gets boundaries of its own; everything else is the same bytes.
    let built = without_boundaries(&built);
    assert_eq!(without_boundaries(&as_sent(&for_bob[0])), built, "bob's copy differs");
    assert_eq!(without_boundaries(&as_sent(&for_alice[0])), built, "the Bcc copy differs");
    let delivered = dir.path().join("delivered.eml");
    std::fs::write(&delivered, &for_bob[0]).unwrap();
    let parsed = python(
        r#"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
parts = [p for p in m.iter_attachments()]
print(m["Subject"], "|", m["From"], "|", m["To"], "|", m.get("Bcc"))
print(m.get_body(("plain",)).get_content().replace("\n", "/"))
print(parts[0].get_filename(), parts[0].get_content_type(), parts[0].get_content() == open(sys.argv[2], "rb").read())
"#,
        &[delivered.to_str().unwrap(), attachment.to_str().unwrap()],
    );
    assert_eq!(
        parsed,
        "Bericht für Bob — Q4 | Alice Ä <alice@example.test> | Bob <bob@example.test> | None\n\
         Zahlen anbei././A line with a dot above./\n\
         figures.bin application/octet-stream True\n"
    );
}

#[test]
fn wrong_use_is_refused_with_smtplibs_kinds_and_the_session_goes_on() {
    let servers = MailServers::start();
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.code}} ${{e.sender}}`; }} }}
        let plain = smtp::connect("127.0.0.1", {plain}, #{{ timeout: 10 }});
        print(why(|| plain.login("alice@example.test", "alice-secret-pw")));
        print(why(|| plain.sendmail("{blocked}", "bob@example.test", "Subject: x\r\n\r\nx\r\n")));
        print(plain.sendmail("alice@example.test", "bob@example.test", "Subject: after the refusals\r\n\r\nstill usable\r\n"));
        print(plain.noop().code);
        plain.quit();
        print(why(|| plain.noop()));
        print(smtp::send(#{{ host: "127.0.0.1:{plain}", tls: "none", from: "alice@example.test", to: "bob@example.test",
                           subject: "host:port", text: "sent with smtp::send" }}));
        let port = {closed};
        print(why(|| smtp::connect("127.0.0.1", port, #{{ timeout: 5 }})));"#,
        plain = servers.plain_port,
        blocked = common::mail_servers::BLOCKED_SENDER,
        closed = common::free_port()
    );
    let out = run(&["-e", &script]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "SMTPNotSupportedError  ",
            "SMTPSenderRefused 554 blocked@example.org",
            "#{}",
            "250",
            "SMTPServerDisconnected  ",
            "#{}",
            "ConnectionRefused  ",
        ],
        "{out}"
    );
    let got = servers.wait_for_messages("bob", 2);
    assert!(String::from_utf8_lossy(&got[0]).contains("Subject: after the refusals"));
    assert!(String::from_utf8_lossy(&got[1]).contains("Subject: host:port"));
}

#[test]
fn cr_or_lf_in_any_field_is_refused_before_anything_is_sent() {
    let servers = MailServers::start();
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}`; }} }}
        let c = smtp::connect("127.0.0.1", {plain}, #{{ timeout: 10 }});
        let base = #{{ from: "alice@example.test", to: "bob@example.test", subject: "s", text: "t" }};
        print(why(|| c.sendmail("alice@example.test\r\nRCPT TO:<x@example.test>", "bob@example.test", "x")));
        print(why(|| c.sendmail("alice@example.test", ["bob@example.test\nRCPT TO:<x@example.test>"], "x")));
        print(why(|| c.sendmail("alice@example.test", "bob@example.test", "x", #{{ mail_options: ["SIZE=1\r\nRSET"] }})));
        print(why(|| c.send_message(base + #{{ subject: "hi\r\nBcc: eve@example.test" }})));
        print(why(|| c.send_message(base + #{{ headers: #{{ "X-Tag": "a\nb" }} }})));
        print(why(|| c.send_message(base + #{{ to: "Bob\r\n <bob@example.test>" }})));
        print(why(|| c.verify("bob@example.test\r\nQUIT")));
        print(why(|| c.docmd("NOOP\r\nQUIT")));
        print(why(|| c.ehlo("evil\r\nMAIL FROM:<x@example.test>")));
        c.quit();
        let port = {closed};
        print(why(|| smtp::connect("127.0.0.1", port, #{{ local_hostname: "evil\r\nMAIL FROM:<x@y>" }})));
        print(why(|| smtp::send(base + #{{ host: "127.0.0.1", port: port, tls: "none", subject: "a\nb" }})));"#,
        plain = servers.plain_port,
        closed = common::free_port()
    );
    let out = run(&["--trace", "smtp", "-e", &script]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines, ["InvalidArgument"; 11], "{}", out.stdout);
    let sent: Vec<&str> = out.stderr.lines().filter(|l| l.contains("> ")).collect();
    assert!(sent.iter().all(|l| l.contains("> EHLO ") || l.contains("> QUIT")), "{}", out.stderr);
    assert!(!out.stderr.contains("RCPT") && !out.stderr.contains("MAIL FROM"), "{}", out.stderr);
}

#[test]
fn a_421_ends_the_session_and_auth_or_utf8_the_server_lacks_is_refused() {
    let script = |port: u16, body: &str| {
        format!(
            r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.code}}`; }} }}
            let c = smtp::connect("127.0.0.1", {port}, #{{ timeout: 5 }});
            {body}"#
        )
    };
    let (_peer, port) = misbehaving_peer("421_mid_session");
    let out = run(&[
        "-e",
        &script(
            port,
            r#"print(why(|| c.sendmail("a@example.test", "b@example.test", "x")));
        print(why(|| c.noop())); print(c.connected);"#,
        ),
    ])
    .ok();
    assert_eq!(out.stdout, "SMTPSenderRefused 421\nSMTPServerDisconnected \nfalse\n");

    let (_peer, port) = misbehaving_peer("auth_refused");
    let out =
        run(&["--trace", "smtp", "-e", &script(port, r#"print(why(|| c.login("ann", "pw-never-shown-9")));"#)]).ok();
    assert_eq!(out.stdout, "SMTPAuthenticationError 535\n");
    assert!(!out.stderr.contains("pw-never-shown-9") && out.stderr.contains("> AUTH PLAIN ****"), "{}", out.stderr);

    let (mut peer, port) = misbehaving_peer("normal");
    let out = run(&[
        "--trace",
        "smtp",
        "-e",
        &script(
            port,
            r#"print(why(|| c.sendmail("a@example.test", "bö@example.test", "x")));
        print(why(|| c.sendmail("ä@example.test", "b@example.test", "x")));
        print(c.sendmail("a@example.test", "b@example.test", "Subject: ok\r\n\r\nbody\r\n"));"#,
        ),
    ])
    .ok();
    assert_eq!(out.stdout, "SMTPNotSupportedError \nSMTPNotSupportedError \n#{}\n");
    assert!(!out.stderr.contains("bö@") && !out.stderr.contains("ä@"), "{}", out.stderr);
    assert_eq!(peer.read_line(), "21", "the one message the peer took");

    // A server that refuses EHLO: smtplib's sendmail would fall back to HELO; netscript's
    // connect (lettre always opens with EHLO) says so instead (plugins/smtp/README.md).
    let (_peer, port) = misbehaving_peer("no_esmtp");
    let out = run(&["-e", &format!(r#"try {{ smtp::connect("127.0.0.1", {port}, #{{ timeout: 5 }}); }} catch (e) {{ print(`${{e.kind}} ${{e.code}}`); }}"#)]).ok();
    assert_eq!(out.stdout, "SMTPHeloError 500\n");
}

#[test]
fn utf8_addresses_go_out_with_smtputf8_when_postfix_offers_it() {
    let servers = MailServers::start();
    let script = format!(
        r#"let c = smtp::connect("127.0.0.1", {plain}, #{{ timeout: 10 }});
        print(c.sendmail("alice@example.test", ["jürgen@discard.test", "bob@example.test"], "Subject: x\r\n\r\nGrüße\r\n"));
        c.quit();"#,
        plain = servers.plain_port
    );
    let out = run(&["--trace", "smtp", "-e", &script]).ok();
    assert_eq!(out.stdout, "#{}\n");
    assert!(
        out.stderr.contains("> MAIL FROM:<alice@example.test> SIZE=") && out.stderr.contains(" SMTPUTF8"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("> RCPT TO:<jürgen@discard.test>"), "{}", out.stderr);
    let got = servers.wait_for_messages("bob", 1);
    assert!(String::from_utf8_lossy(&got[0]).ends_with("\n\nGrüße\n"));
}

#[test]
fn send_report_mails_a_csv_report_with_the_password_from_the_environment() {
    let servers = MailServers::start();
    let dir = common::temp_dir();
    let csv = dir.path().join("sales.csv");
    std::fs::write(&csv, "region,total\nnorth,12\n\"south, east\",<7>\n\n").unwrap();
    let report = |password: &str, to: &str| {
        let mut cmd = std::process::Command::new(common::netscript_bin());
        cmd.arg(common::repo_root().join("scripts/send_report.rhai"))
            .args([csv.to_str().unwrap(), "--to", to, "--host", "127.0.0.1"])
            .args(["--port", &servers.submission_port.to_string(), "--user", "alice@example.test"])
            .args(["--ca-file", &servers.ca_file(), "--timeout", "10"])
            .env("SMTP_PASSWORD", password)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = common::wait_with_limit(cmd.spawn().unwrap(), std::time::Duration::from_secs(60));
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (status, said) = report("alice-secret-pw", "bob@example.test");
    assert_eq!(status, Some(0), "{said}");
    let got = servers.wait_for_messages("bob", 1);
    let delivered = dir.path().join("report.eml");
    std::fs::write(&delivered, &got[0]).unwrap();
    let parsed = python(
        r#"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
a = next(m.iter_attachments())
print(m["From"], "|", a.get_filename(), a.get_content_type(), a.get_payload(decode=True) == open(sys.argv[2], "rb").read())
html = m.get_body(("html",)).get_content()
print("<tr><td>south, east</td><td>&lt;7&gt;</td></tr>" in html, "<td></td>" in html, html.count("<tr>"))
print(m.get_body(("plain",)).get_content().splitlines()[2:5])
"#,
        &[delivered.to_str().unwrap(), csv.to_str().unwrap()],
    );
    assert_eq!(
        parsed,
        "alice@example.test | sales.csv text/csv True\nTrue False 3\n['File:  sales.csv', 'Size:  41 bytes', 'Lines: 4']\n"
    );

    let (status, said) = report("a-wrong-password-77", "bob@example.test");
    assert_eq!(status, Some(1), "{said}");
    assert!(said.contains("535") && !said.contains("a-wrong-password-77"), "{said}");
    let (status, said) = report("alice-secret-pw", "nobody@example.test");
    assert_eq!(status, Some(1), "{said}");
    assert!(said.contains("nobody@example.test"), "{said}");
}

#[test]
fn bad_ports_timeouts_and_hosts_are_invalid_arguments() {
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        for port in [-1, 0, 70000, 9223372036854775807] {{ print(why(|| smtp::connect("127.0.0.1", port))); }}
        for timeout in [-1, 0, 0.0 / 0.0, "ten"] {{ print(why(|| smtp::connect("127.0.0.1", 25, #{{ timeout: timeout }}))); }}
        for host in ["", "127.0.0.1:x", "127.0.0.1:99999", "a b", "host\nname"] {{ print(why(|| smtp::connect(host))); }}
        print(why(|| smtp::connect("127.0.0.1", 25, #{{ tls: "sometimes" }})));
        print(why(|| smtp::send(#{{ host: "127.0.0.1", from: "a@example.test", to: [], text: "x" }})));
        print(why(|| smtp::send(#{{ host: "127.0.0.1:2525", port: 25, from: "a@example.test", to: "b@example.test" }})));
        print(why(|| smtp::send(#{{ host: "127.0.0.1", user: "a", from: "a@example.test", to: "b@example.test" }})));
        print(why(|| smtp::connect("127.0.0.1", {closed}, #{{ timeout: 1e300 }})));"#,
        closed = common::free_port()
    );
    let out = run(&["-e", &script]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 18, "{out}");
    for line in &lines[..17] {
        assert!(line.starts_with("InvalidArgument: "), "{out}");
    }
    // A huge timeout is no timeout at all, not a crash.
    assert!(lines[17].starts_with("ConnectionRefused: "), "{out}");
}
