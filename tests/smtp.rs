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
        c.quit();
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
