//! The mail test harness itself, with Python's smtplib, imaplib and poplib as the clients:
//! the real Postfix + Dovecot of `common::MailServers` deliver over submission (STARTTLS +
//! AUTH) and SMTPS byte for byte, refuse what they are configured to refuse, and the plain
//! port offers neither TLS nor AUTH; mail seeded straight into a Maildir (the sample: plain,
//! multipart, non-ASCII subject, attachment, and a non-ASCII folder) reads back byte for byte
//! over IMAPS, POP3 with STLS and POP3S (APOP too), in order, also when seeded after Dovecot
//! served the folder, with more parallel connections than Dovecot's default allows; wrong
//! passwords are refused without delaying the next login; `tests/peers/smtp_peer.py`
//! misbehaves as asked. The one `#[ignore]`d test, `hold_servers_for_a_benchmark`, is how
//! `benches/smtp/run.sh` gets the same Postfix, and `benches/imap` and `benches/pop3` the
//! same Dovecot with a seeded mailbox.

mod common;
use common::mail_servers::{
    mutf7, sample_attachment, BLOCKED_SENDER, DISCARD_DOMAIN, MESSAGE_SIZE_LIMIT, SAMPLE_ATTACHMENT_NAME,
    SAMPLE_DRAFT_SUBJECT, SAMPLE_FOLDER, SAMPLE_FOLDER_MUTF7, SAMPLE_SUBJECTS, SAMPLE_TEXTS, SEED_EPOCH, SEED_USER,
};
use common::{MailServers, Peer};
use std::time::Instant;

/// Runs `python3 -c CODE ARGS…` and returns its stdout (panics with stderr and `context`).
fn python(code: &str, args: &[&str], context: impl Fn() -> String) -> String {
    let out = std::process::Command::new("python3").arg("-c").arg(code).args(args).output().expect("python3");
    assert!(out.status.success(), "python: {}\n{}", String::from_utf8_lossy(&out.stderr), context());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What follows the header block, LF line endings (as a Maildir stores it).
fn body(message: &[u8]) -> &[u8] {
    let at = message.windows(2).position(|w| w == b"\n\n").expect("a blank line after the headers");
    &message[at + 2..]
}

#[test]
fn a_message_sent_with_starttls_and_login_arrives_byte_for_byte() {
    let started = Instant::now();
    let mail = MailServers::start();
    eprintln!("MailServers::start took {:?}", started.elapsed());
    // Leading dots (dot-stuffing), 8-bit text, a long line, trailing spaces.
    let text = format!(".leading dot\n..two dots\nhéllo wörld ✓\n{}\ntrailing spaces   \nlast line\n", "x".repeat(900));
    let code = r#"
import smtplib, ssl, sys, imaplib
ca, sub, smtps, imap, text = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
body = text.replace("\n", "\r\n").encode()
msg = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: harness\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
with smtplib.SMTP("localhost", sub, timeout=10) as s:
    s.starttls(context=ctx)
    s.login("alice@example.test", "alice-secret-pw")
    assert s.sendmail("alice@example.test", ["bob@example.test"], msg, mail_options=["BODY=8BITMIME"]) == {}
with smtplib.SMTP_SSL("127.0.0.1", smtps, context=ctx, timeout=10) as s:
    s.login("bob@example.test", "bob-secret-pw")
    assert s.sendmail("bob@example.test", ["alice@example.test"], b"Subject: back\r\n\r\nover smtps\r\n") == {}
# IMAP with STARTTLS reads what LMTP delivered (CRLF on the wire).
import time
deadline = time.time() + 10
m = imaplib.IMAP4("127.0.0.1", imap)
m.starttls(ssl_context=ctx)
m.login("bob@example.test", "bob-secret-pw")
while True:
    typ, data = m.select("INBOX")
    if int(data[0]) >= 1 or time.time() > deadline:
        break
    time.sleep(0.05)
typ, data = m.fetch(b"1", "(BODY.PEEK[TEXT])")
assert data[0][1] == body, (data[0][1], body)
m.logout()
print("ok")
"#;
    let (ca, sub, smtps, imap) =
        (mail.ca_file(), mail.submission_port.to_string(), mail.smtps_port.to_string(), mail.imap_port.to_string());
    let out = python(code, &[&ca, &sub, &smtps, &imap, &text], || mail.maillog());
    assert_eq!(out.trim(), "ok");

    let bob = mail.wait_for_messages("bob@example.test", 1);
    assert_eq!(bob.len(), 1);
    assert_eq!(body(&bob[0]), text.as_bytes(), "bob's message body");
    let headers = String::from_utf8_lossy(&bob[0][..bob[0].len() - text.len()]).into_owned();
    assert!(headers.contains("Delivered-To: bob@example.test"), "{headers}");
    assert!(headers.contains("Subject: harness"), "{headers}");
    let alice = mail.wait_for_messages("alice", 1);
    assert_eq!(body(&alice[0]), b"over smtps\n");
    let log = mail.maillog();
    assert!(log.contains("sasl_username=alice@example.test"), "{log}");
    assert!(log.contains("sasl_username=bob@example.test"), "{log}");
    assert!(log.contains("status=sent"), "{log}");
}

#[test]
fn refusals_the_plain_port_and_the_discard_domain() {
    let mail = MailServers::start();
    let code = r#"
import json, smtplib, ssl, sys
ca, sub, plain, blocked, discard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
r = {}
with smtplib.SMTP("127.0.0.1", sub, timeout=10) as s:
    s.ehlo()
    r["banner_ext"] = sorted(s.esmtp_features)
    r["auth"] = s.esmtp_features.get("auth", "").split()
    r["size"] = s.esmtp_features.get("size")
    # No AUTH: loopback is in mynetworks.
    r["mail"] = s.mail("alice@example.test")[0]
    r["rcpt_unknown"] = list(s.rcpt("nobody@example.test"))
    r["rcpt_known"] = s.rcpt("bob@example.test")[0]
    s.rset()
    code, text = s.mail(blocked)
    r["mail_blocked"] = [code, text.decode()]
    s.rset()
    s.mail("x@elsewhere.test")
    r["rcpt_discard"] = s.rcpt("anyone-at-all@" + discard)[0]
    s.rset()
    try:
        s.login("alice@example.test", "wrong")
        r["bad_login"] = "accepted"
    except smtplib.SMTPAuthenticationError as e:
        r["bad_login"] = e.smtp_code
    s.login("alice@example.test", "alice-secret-pw")
    r["good_login_after_bad"] = "ok"
with smtplib.SMTP("127.0.0.1", plain, timeout=10) as s:
    s.ehlo()
    r["plain_auth"] = s.has_extn("auth")
    r["plain_starttls"] = s.has_extn("starttls")
    r["plain_smtputf8"] = s.has_extn("smtputf8")
print(json.dumps(r, default=lambda b: b.decode()))
"#;
    let (ca, sub, plain) = (mail.ca_file(), mail.submission_port.to_string(), mail.plain_port.to_string());
    let out = python(code, &[&ca, &sub, &plain, BLOCKED_SENDER, DISCARD_DOMAIN], || mail.maillog());
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let log = mail.maillog();
    assert_eq!(r["auth"], serde_json::json!(["PLAIN", "LOGIN"]), "AUTH offered before STARTTLS: {r}");
    assert!(r["banner_ext"].as_array().unwrap().contains(&"starttls".into()), "{r}");
    assert!(r["banner_ext"].as_array().unwrap().contains(&"smtputf8".into()), "{r}");
    assert_eq!(r["size"], MESSAGE_SIZE_LIMIT.to_string(), "{r}");
    assert_eq!(r["mail"], 250, "{r}\n{log}");
    assert_eq!(r["rcpt_unknown"][0], 550, "{r}");
    assert!(r["rcpt_unknown"][1].as_str().unwrap().starts_with("5.1.1"), "{r}");
    assert_eq!(r["rcpt_known"], 250, "{r}");
    assert_eq!(r["mail_blocked"][0].as_u64().unwrap() / 100, 5, "{r}");
    assert_eq!(r["rcpt_discard"], 250, "{r}");
    assert_eq!(r["bad_login"], 535, "{r}");
    assert_eq!(r["good_login_after_bad"], "ok");
    assert_eq!(r["plain_auth"], false, "{r}");
    assert_eq!(r["plain_starttls"], false, "{r}");
    assert_eq!(r["plain_smtputf8"], true, "{r}");
}

/// Python's reading of a seeded message (see `summary` in [`SEEDED_SAMPLE`]).
fn decoded(value: &serde_json::Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(value.as_str().expect("a base64 string")).expect("base64")
}

/// imaplib over IMAPS and poplib over POP3 + STLS and over POP3S read carol's seeded sample;
/// prints one JSON object.
const SEEDED_SAMPLE: &str = r#"
import base64, email, imaplib, json, poplib, re, ssl, sys, time
from email import policy
ca, imaps, pop3, pop3s, user, pw, folder = sys.argv[1:8]
imaps, pop3, pop3s = int(imaps), int(pop3), int(pop3s)
ctx = ssl.create_default_context(cafile=ca)
b64 = lambda b: base64.b64encode(b).decode()
def summary(raw):
    msg = email.message_from_bytes(raw, policy=policy.default)
    text = msg.get_body(preferencelist=("plain",))
    return {"raw": b64(raw), "subject": str(msg["subject"]), "from": str(msg["from"]),
            "text": text.get_content().replace("\r\n", "\n") if text else None,
            "attachments": [[a.get_filename(), b64(a.get_content())] for a in msg.iter_attachments()]}
def fetched(data):
    out = []
    for item in data:
        if isinstance(item, tuple):
            meta = item[0].decode()
            one = summary(item[1])
            one["uid"] = int(re.search(r"UID (\d+)", meta).group(1))
            one["size"] = int(re.search(r"RFC822.SIZE (\d+)", meta).group(1))
            one["internaldate"] = re.search(r'INTERNALDATE "([^"]+)"', meta).group(1)
            out.append(one)
    return out
r = {}
m = imaplib.IMAP4_SSL("localhost", imaps, ssl_context=ctx, timeout=10)
m.login(user, pw)
r["list"] = [n.decode() for n in m.list()[1]]
r["exists"] = int(m.select("INBOX")[1][0])
r["inbox"] = fetched(m.fetch("1:*", "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[])")[1])
r["folder_exists"] = int(m.select(folder)[1][0])
r["folder"] = fetched(m.fetch("1:*", "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[])")[1])
m.logout()

m = imaplib.IMAP4_SSL("localhost", imaps, ssl_context=ctx, timeout=10)
start = time.time()
try:
    m.login(user, "wrong-" + pw)
    r["imap_bad"] = "accepted"
except imaplib.IMAP4.error as e:
    r["imap_bad"] = str(e)
r["imap_bad_s"] = time.time() - start
m.logout()
start = time.time()
m = imaplib.IMAP4_SSL("localhost", imaps, ssl_context=ctx, timeout=10)
m.login(user, pw)
m.logout()
r["imap_good_after_bad_s"] = time.time() - start

p = poplib.POP3("127.0.0.1", pop3, timeout=10)
r["pop3_greeting"] = p.getwelcome().decode()
r["pop3_capa"] = sorted(p.capa())
p.stls(context=ctx)
r["pop3_capa_tls"] = sorted(p.capa())
p.user(user)
p.pass_(pw)
r["pop3_stat"] = list(p.stat())
r["pop3_list"] = [line.decode() for line in p.list()[1]]
r["pop3_uidl"] = [line.decode() for line in p.uidl()[1]]
r["pop3_retr4"] = summary(b"\r\n".join(p.retr(4)[1]) + b"\r\n")
p.quit()

p = poplib.POP3_SSL("localhost", pop3s, context=ctx, timeout=10)
r["pop3s_greeting"] = p.getwelcome().decode()
p.apop(user, pw)
r["pop3s_stat"] = list(p.stat())
r["pop3s_retr4"] = summary(b"\r\n".join(p.retr(4)[1]) + b"\r\n")
p.quit()

p = poplib.POP3("127.0.0.1", pop3, timeout=10)
p.stls(context=ctx)
p.user(user)
start = time.time()
try:
    p.pass_("wrong-" + pw)
    r["pop3_bad"] = "accepted"
except poplib.error_proto as e:
    r["pop3_bad"] = e.args[0].decode()
r["pop3_bad_s"] = time.time() - start
p.quit()
start = time.time()
p = poplib.POP3("127.0.0.1", pop3, timeout=10)
p.user(user)
p.pass_(pw)
r["pop3_good_after_bad"] = p.stat()[0]
p.quit()
r["pop3_good_after_bad_s"] = time.time() - start
print(json.dumps(r))
"#;

#[test]
fn seeded_sample_reads_back_over_imaps_pop3_stls_and_pop3s() {
    let mail = MailServers::start();
    let (user, pw) = SEED_USER;
    let sample = mail.seed_sample(user);
    assert_eq!(sample.attachment, sample_attachment());
    let (ca, imaps, pop3, pop3s) =
        (mail.ca_file(), mail.imaps_port.to_string(), mail.pop3_port.to_string(), mail.pop3s_port.to_string());
    let out =
        python(SEEDED_SAMPLE, &[&ca, &imaps, &pop3, &pop3s, user, pw, SAMPLE_FOLDER_MUTF7], || mail.dovecot_log());
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let log = mail.dovecot_log();

    // IMAP: the folder's mUTF-7 name, four messages in seed order, byte for byte (CRLF).
    let list: Vec<&str> = r["list"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(list.contains(&r#"(\HasNoChildren) "." INBOX"#), "{list:?}");
    assert!(list.contains(&format!(r#"(\HasNoChildren) "." {SAMPLE_FOLDER_MUTF7}"#).as_str()), "{list:?}");
    assert_eq!(r["exists"], 4, "{r}\n{log}");
    let inbox = r["inbox"].as_array().unwrap();
    assert_eq!(inbox.len(), 4, "{r}");
    for (i, msg) in inbox.iter().enumerate() {
        assert_eq!(msg["uid"], i + 1, "message {}: {msg}", i + 1);
        assert_eq!(decoded(&msg["raw"]), sample.inbox[i], "message {} byte for byte", i + 1);
        assert_eq!(msg["size"], sample.inbox[i].len(), "RFC822.SIZE of message {} (the W= of its file name)", i + 1);
        assert_eq!(msg["subject"], SAMPLE_SUBJECTS[i], "{msg}");
        assert_eq!(msg["text"], SAMPLE_TEXTS[i], "{msg}");
        // SEED_EPOCH + 1 s … + 4 s: 2023-11-14 22:13:21 UTC onwards.
        assert_eq!(msg["internaldate"], format!("14-Nov-2023 22:13:2{} +0000", i + 1), "{msg}");
    }
    assert_eq!(SEED_EPOCH % 60, 20, "the INTERNALDATEs above assume it");
    assert_eq!(inbox[2]["from"], "Jürgen Müller <juergen@example.test>");
    let attachments = inbox[3]["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{}", inbox[3]);
    assert_eq!(attachments[0][0], SAMPLE_ATTACHMENT_NAME);
    assert_eq!(
        decoded(&attachments[0][1]),
        sample.attachment,
        "the attachment's bytes, as Python's email decodes them"
    );
    for msg in &inbox[..3] {
        assert_eq!(msg["attachments"], serde_json::json!([]), "{msg}");
    }
    assert_eq!(r["folder_exists"], 1, "{r}");
    assert_eq!(r["folder"][0]["uid"], 1);
    assert_eq!(r["folder"][0]["subject"], SAMPLE_DRAFT_SUBJECT);
    assert_eq!(decoded(&r["folder"][0]["raw"]), sample.draft);

    // A wrong password: NO [AUTHENTICATIONFAILED], ~0.5 s, and the next good login is not delayed.
    assert!(r["imap_bad"].as_str().unwrap().contains("AUTHENTICATIONFAILED"), "{r}");
    assert!(r["imap_good_after_bad_s"].as_f64().unwrap() < 2.0, "anvil penalty on? {r}");

    // POP3: STLS offered (not after it), APOP's challenge in the greeting, four messages.
    let greeting = r["pop3_greeting"].as_str().unwrap();
    assert!(greeting.starts_with("+OK ") && greeting.ends_with('>') && greeting.contains(" <"), "{greeting}");
    assert!(r["pop3s_greeting"].as_str().unwrap().ends_with('>'), "{r}");
    let capa = r["pop3_capa"].as_array().unwrap();
    assert!(capa.contains(&"STLS".into()) && capa.contains(&"UIDL".into()) && capa.contains(&"TOP".into()), "{r}");
    assert!(!r["pop3_capa_tls"].as_array().unwrap().contains(&"STLS".into()), "{r}");
    let total: usize = sample.inbox.iter().map(Vec::len).sum();
    assert_eq!(r["pop3_stat"], serde_json::json!([4, total]), "{r}\n{log}");
    let sizes: Vec<String> = sample.inbox.iter().enumerate().map(|(i, m)| format!("{} {}", i + 1, m.len())).collect();
    assert_eq!(r["pop3_list"], serde_json::json!(sizes));
    // %08Xu%08Xv: the UID, then UIDVALIDITY, in hex.
    for (i, line) in r["pop3_uidl"].as_array().unwrap().iter().enumerate() {
        let (n, uidl) = line.as_str().unwrap().split_once(' ').unwrap();
        assert_eq!(n, (i + 1).to_string());
        assert!(uidl.len() == 16 && uidl.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
        assert_eq!(&uidl[..8], format!("{:08X}", i + 1), "{line}");
    }
    assert_eq!(r["pop3_uidl"].as_array().unwrap().len(), 4, "{r}");
    for key in ["pop3_retr4", "pop3s_retr4"] {
        assert_eq!(decoded(&r[key]["raw"]), sample.inbox[3], "{key} byte for byte");
        assert_eq!(decoded(&r[key]["attachments"][0][1]), sample.attachment, "{key}");
        assert_eq!(r[key]["subject"], SAMPLE_SUBJECTS[3]);
    }
    assert_eq!(r["pop3s_stat"][0], 4, "{r}");
    assert!(log.contains("method=APOP"), "{log}");
    assert!(r["pop3_bad"].as_str().unwrap().starts_with("-ERR"), "{r}");
    assert_eq!(r["pop3_good_after_bad"], 4, "{r}");
    assert!(r["pop3_good_after_bad_s"].as_f64().unwrap() < 2.0, "anvil penalty on? {r}");
}

#[test]
fn seeding_more_later_and_parallel_connections() {
    assert_eq!(mutf7(SAMPLE_FOLDER), SAMPLE_FOLDER_MUTF7);
    assert_eq!(mutf7("R&D"), "R&-D");
    assert_eq!(mutf7("Grüße 😀 ok"), "Gr&APwA3w-e &2D3eAA- ok");
    let mail = MailServers::start();
    let (user, pw) = SEED_USER;
    let message = |n: usize| format!("Subject: seeded {n}\r\n\r\nbody {n}\r\n").into_bytes();
    let folder = "Archiv.Rückläufer & Co";
    // More than ten, so a string sort of the file names would put 10 before 2.
    mail.seed(user, Some(folder), (1..=11).map(message));
    let code = r#"
import imaplib, json, ssl, sys, threading
ca, imap, user, pw, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
def subjects():
    m = imaplib.IMAP4("localhost", imap, timeout=10)
    m.starttls(ssl_context=ctx)
    m.login(user, pw)
    m.select('"' + folder + '"', readonly=True)
    data = m.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1]
    m.logout()
    return [item[1].decode().strip() for item in data if isinstance(item, tuple)]
if sys.argv[6] == "parallel":
    # Dovecot's default mail_max_userip_connections is 10.
    sessions, errors = [], []
    def hold():
        try:
            m = imaplib.IMAP4("localhost", imap, timeout=10)
            m.login(user, pw)
            m.select("INBOX")
            sessions.append(m)
        except Exception as e:
            errors.append(repr(e))
    threads = [threading.Thread(target=hold) for _ in range(15)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print(json.dumps({"sessions": len(sessions), "errors": errors, "subjects": subjects()}))
    [m.logout() for m in sessions]
else:
    print(json.dumps({"subjects": subjects()}))
"#;
    let (ca, imap) = (mail.ca_file(), mail.imap_port.to_string());
    let encoded = mutf7(folder);
    let out = python(code, &[&ca, &imap, user, pw, &encoded, "parallel"], || mail.dovecot_log());
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["sessions"], 15, "{r}\n{}", mail.dovecot_log());
    let expected: Vec<String> = (1..=11).map(|n| format!("Subject: seeded {n}")).collect();
    assert_eq!(r["subjects"], serde_json::json!(expected), "UIDs follow the seed order");
    // Dovecot has indexed the folder now: later seeds come after, in order.
    mail.seed(user, Some(folder), (12..=13).map(message));
    let out = python(code, &[&ca, &imap, user, pw, &encoded, "once"], || mail.dovecot_log());
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expected: Vec<String> = (1..=13).map(|n| format!("Subject: seeded {n}")).collect();
    assert_eq!(r["subjects"], serde_json::json!(expected), "{}", mail.dovecot_log());
}

#[test]
fn the_smtp_peer_misbehaves_as_asked() {
    let script = common::repo_root().join("tests/peers/smtp_peer.py");
    let script = script.to_str().unwrap();
    let code = r#"
import smtplib, sys
port, mode = int(sys.argv[1]), sys.argv[2]
try:
    with smtplib.SMTP("127.0.0.1", port, timeout=2) as s:
        s.sendmail("a@example.test", ["b@example.test"], b"Subject: x\r\n\r\n.dot\r\nbody\r\n")
    print("sent")
except smtplib.SMTPResponseException as e:
    print(e.smtp_code)
except smtplib.SMTPServerDisconnected as e:
    print("disconnected")
"#;
    for (mode, expected) in [
        ("normal", "sent"),
        ("data_554", "554"),
        ("size_552", "552"),
        ("421_mid_session", "421"),
        ("drop_in_data", "disconnected"),
    ] {
        let mut peer = Peer::start("smtp_peer", "python3", &[script, mode], None);
        let port = peer.read_line();
        let out = python(code, &[&port, mode], String::new);
        assert_eq!(out.trim(), expected, "mode {mode}");
        if mode == "normal" {
            // Dot-unstuffed size, CRLF kept: "Subject: x\r\n\r\n.dot\r\nbody\r\n".
            assert_eq!(peer.read_line(), "26");
        }
    }
}

/// Not a test: `benches/smtp/run.sh` runs it (`-- --ignored --exact`) to get this harness's
/// Postfix (and a mail-reading bench its Dovecot) without repeating their config in shell.
/// Does nothing unless `NETSCRIPT_HOLD_SERVERS=FILE` is set; then it starts the servers,
/// writes shell-sourceable `name=value` lines to FILE (atomically: a temp file renamed):
/// every port (`plain_port`, `submission_port`, `smtps_port`, `imap_port`, `imaps_port`,
/// `pop3_port`, `pop3s_port`), `ca_file`, `discard_domain`, `postfix_config`, `postfix_log`,
/// `dovecot_log`, `postfix_pid` and `dovecot_pid`, and holds the servers until
/// FILE is deleted (checked every 100 ms; 30 minutes at most), then stops them on drop.
///
/// With `NETSCRIPT_HOLD_SEED=USER:COUNT:SIZE` (`benches/imap`, `benches/pop3`) it first
/// seeds USER's INBOX (`carol` or `carol@example.test`, one of [`USERS`]; [`SEED_USER`] is
/// the one no test mails) with COUNT messages of about SIZE bytes each ([`bench_message`],
/// made one at a time), and FILE also gets `seed_user`, `seed_password`, `seed_count` and
/// `seed_bytes` (their total size on disk, LF line ends; IMAP and POP3 serve them with CRLF).
#[test]
#[ignore = "holds Postfix + Dovecot for benches/smtp, imap and pop3; needs NETSCRIPT_HOLD_SERVERS=FILE"]
fn hold_servers_for_a_benchmark() {
    let Some(file) = common::hold_file() else { return };
    let mail = MailServers::start();
    let dir = mail.dir.path().display().to_string();
    let mut seeded = String::new();
    if let Some(spec) = std::env::var_os("NETSCRIPT_HOLD_SEED") {
        let spec = spec.to_string_lossy().into_owned();
        let parts: Vec<&str> = spec.split(':').collect();
        let [user, count, size] = parts[..] else {
            panic!("NETSCRIPT_HOLD_SEED={spec}: expected USER:COUNT:SIZE, e.g. carol:2000:20000")
        };
        let local = user.split('@').next().unwrap_or(user);
        let (address, password) = common::mail_servers::USERS
            .iter()
            .find(|(address, _)| address.split('@').next() == Some(local))
            .unwrap_or_else(|| panic!("NETSCRIPT_HOLD_SEED: no user {user} (carol is {})", SEED_USER.0));
        let count: u64 = count.parse().unwrap_or_else(|_| panic!("NETSCRIPT_HOLD_SEED: bad COUNT {count}"));
        let size: usize = size.parse().unwrap_or_else(|_| panic!("NETSCRIPT_HOLD_SEED: bad SIZE {size}"));
        let started = Instant::now();
        let mut bytes = 0u64;
        mail.seed(
            address,
            None,
            (1..=count).map(|n| {
                let message = bench_message(n, size);
                bytes += message.len() as u64;
                message
            }),
        );
        eprintln!("seeded {count} messages ({bytes} bytes) for {address} in {:?}", started.elapsed());
        seeded = format!("seed_user={address}\nseed_password={password}\nseed_count={count}\nseed_bytes={bytes}\n");
    }
    let lines = format!(
        "plain_port={}\nsubmission_port={}\nsmtps_port={}\nimap_port={}\nimaps_port={}\npop3_port={}\n\
         pop3s_port={}\nca_file={}\ndiscard_domain={DISCARD_DOMAIN}\npostfix_config={dir}/postfix\n\
         postfix_log={dir}/postfix.log\ndovecot_log={dir}/dovecot.log\npostfix_pid={}\ndovecot_pid={}\n",
        mail.plain_port,
        mail.submission_port,
        mail.smtps_port,
        mail.imap_port,
        mail.imaps_port,
        mail.pop3_port,
        mail.pop3s_port,
        mail.ca_file(),
        mail.postfix_pid(),
        mail.dovecot_pid()
    ) + &seeded;
    common::hold_until_released(&file, &lines);
}

/// The `n`th message (from 1) a benchmark seeds: fixed headers (`Subject: benchmark message
/// n`, `Message-ID: <bench-n@example.test>`) and text lines of 78 characters (LF line ends,
/// as a Maildir stores them) up to about `size` bytes in all (at least one line): the same
/// bytes for the same `n` and `size`, every run.
fn bench_message(n: u64, size: usize) -> Vec<u8> {
    let mut message = format!(
        "From: Bench <bench@example.test>\n\
         To: Carol <carol@example.test>\n\
         Subject: benchmark message {n}\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\n\
         Message-ID: <bench-{n}@example.test>\n\
         MIME-Version: 1.0\n\
         Content-Type: text/plain; charset=us-ascii\n\
         \n"
    )
    .into_bytes();
    let text = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs";
    // Each line is 79 bytes with its LF: "nnnnnn lllll " and 65 characters of text.
    for line in 0u64.. {
        message.extend_from_slice(format!("{n:06} {line:05} {}\n", &text[..65]).as_bytes());
        if message.len() + 79 > size {
            break;
        }
    }
    message
}
