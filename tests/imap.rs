//! The `imap` module against a real Dovecot (IMAPS, and STARTTLS on the plain port) fed by
//! the harness's Postfix, and against a misbehaving peer (`tests/peers/imap_peer.py`). It
//! proves that:
//! - a message `smtp::send` delivers (UTF-8 subject, text, binary attachment) comes back
//!   through `fetch_each`, `fetch` and `fetch_to` byte for byte, `mail::parse` gives back
//!   the same subject, text and attachment bytes, and Python's imaplib, reading the same
//!   mailbox, sees the same UID, size and bytes;
//! - on the seeded sample, LIST decodes the non-ASCII folder, SELECT/EXAMINE/STATUS report
//!   what was seeded, SEARCH (non-ASCII criteria too) finds the right messages, FETCH gives
//!   sizes, flags and envelopes that match the seeded bytes, `fetch_to` writes them
//!   byte-identical, and STORE, COPY, MOVE, APPEND (flags, date), EXPUNGE, CLOSE and the
//!   folder commands change the mailbox as imaplib then sees it;
//! - `fetch_each` stops calling a closure that threw (and reads the rest of the reply), a call
//!   on its own busy client inside the closure is refused, another connection works there;
//! - IDLE returns `()` when nothing happens and the `exists` event when another client
//!   appends meanwhile;
//! - `--trace imap` shows the conversation with `LOGIN user ****`, `AUTHENTICATE PLAIN ****`
//!   and literals as byte counts, and no password appears anywhere (nor PLAIN's token);
//! - bad input is the documented kind: a refused login (`IMAPError`, `AUTHENTICATIONFAILED`),
//!   a missing mailbox (`IMAPError`), CR/LF or bad ids (`InvalidArgument`, nothing sent), an
//!   untrusted certificate (`TlsError`), nothing listening (`ConnectionRefused`), a call
//!   after logout (`IMAPAbort`);
//! - what Dovecot will not do: a tagged NO after data (`IMAPError` for FETCH, SEARCH, STORE,
//!   NOOP, CAPABILITY; the session goes on), a BYE or a close mid-FETCH and a literal that
//!   never completes (`IMAPAbort`, within the timeout, every later call too, no partial
//!   `.eml`), a server gone silent (`Timeout`, then `IMAPAbort`), a BYE greeting
//!   (`IMAPError`), `move` without MOVE (UID COPY + UID STORE + UID EXPUNGE), and literals
//!   without LITERAL+ (sent after the server's `+`).

mod common;
use common::mail_servers::{
    Sample, SAMPLE_ATTACHMENT_NAME, SAMPLE_DRAFT_SUBJECT, SAMPLE_FOLDER, SAMPLE_SUBJECTS, SAMPLE_TEXTS, SEED_USER,
};
use common::{run, MailServers};
use std::path::Path;
use std::time::{Duration, Instant};

const CAROL_PW: &str = SEED_USER.1;

/// Runs `python3 -c CODE ARGS…` and returns its stdout.
fn python(code: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3").arg("-c").arg(code).args(args).output().expect("python3");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `imap::connect` to the servers' IMAPS port, trusting their certificate.
fn imaps(servers: &MailServers) -> String {
    format!(
        r#"imap::connect("127.0.0.1", {}, #{{ tls: "implicit", ca_file: "{}", timeout: 10 }})"#,
        servers.imaps_port,
        servers.ca_file()
    )
}

/// The names of the files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The commands netscript sent, from `--trace imap` (`A0003 FETCH …`).
fn sent(stderr: &str) -> Vec<&str> {
    stderr.lines().filter_map(|l| l.strip_prefix("[imap] > ")).collect()
}

/// The commands sent after the last LOGIN, without their tags.
fn sent_after_login(stderr: &str) -> Vec<&str> {
    let all = sent(stderr);
    let login = all.iter().rposition(|l| l.contains(" LOGIN ")).unwrap_or_else(|| panic!("no LOGIN sent:\n{stderr}"));
    all[login + 1..].iter().map(|l| l.split_once(' ').map_or(*l, |(_, rest)| rest)).collect()
}

/// The seeded sample in a fresh mailbox of carol's.
fn seeded() -> (MailServers, Sample) {
    let servers = MailServers::start();
    let sample = servers.seed_sample(SEED_USER.0);
    (servers, sample)
}

#[test]
fn a_message_smtp_sent_reads_back_over_imaps_as_sent_and_as_imaplib_reads_it() {
    let servers = MailServers::start();
    let dir = common::temp_dir();
    let attachment = dir.path().join("zahlen.bin");
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
    std::fs::write(&attachment, &bytes).unwrap();
    let subject = "Grüße an Bob — Zahlen ✓";
    let send = format!(
        r#"print(smtp::send(#{{ host: "127.0.0.1", port: {port}, tls: "starttls", ca_file: "{ca}", timeout: 10,
                   user: "alice@example.test", password: "alice-secret-pw",
                   from: "Alice <alice@example.test>", to: "bob@example.test", subject: "{subject}",
                   text: "Hallo Bob,\nanbei die Zahlen.\n", attachments: ["{attachment}"] }}));"#,
        port = servers.submission_port,
        ca = servers.ca_file(),
        attachment = attachment.display()
    );
    assert_eq!(run(&["-e", &send]).ok().stdout, "#{}\n");
    servers.wait_for_messages("bob", 1);

    let streamed = dir.path().join("streamed.bin");
    let fetched = dir.path().join("fetched.bin");
    let saved = dir.path().join("saved");
    let read = format!(
        r#"let c = {connect};
        print(`tls ${{c.tls}}`);
        c.login("bob@example.test", "bob-secret-pw");
        let box = c.select("INBOX");
        print(`exists ${{box.exists}} uidnext ${{box.uidnext}}`);
        let n = c.fetch_each("1:*", "(UID RFC822.SIZE BODY.PEEK[])", |m| {{
            let p = mail::parse(m.body);
            print(`uid ${{m.uid}} size ${{m.size}} body ${{m.body.len()}}`);
            print(`subject ${{p.subject}}`);
            print(`text ${{json::stringify(p.text)}}`);
            let a = p.attachments;
            print(`attachments ${{a.len()}}: ${{a[0].name}} ${{a[0].content_type}} ${{a[0].data.len()}}`);
            fs::write("{streamed}", a[0].data);
        }});
        print(`handled ${{n}}`);
        let m = c.fetch(1, "(UID RFC822)")[0];
        fs::write("{fetched}", mail::parse(m.body).attachments[0].data);
        print(`fetched ${{m.uid}} ${{m.body.len()}}`);
        print(c.fetch_to("1:*", "{saved}"));
        c.logout();"#,
        connect = imaps(&servers),
        streamed = streamed.display(),
        fetched = fetched.display(),
        saved = saved.display()
    );
    let out = run(&["-e", &read]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0..2], ["tls true", "exists 1 uidnext 2"], "{out}");
    let size: usize = lines[2].rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(lines[2], format!("uid 1 size {size} body {size}"), "{out}");
    assert_eq!(lines[3], format!("subject {subject}"), "{out}");
    // mail::parse keeps the message's CRLF line ends in the text (as Python's get_content()).
    assert_eq!(lines[4], r#"text "Hallo Bob,\r\nanbei die Zahlen.\r\n""#, "{out}");
    assert_eq!(lines[5], "attachments 1: zahlen.bin application/octet-stream 5000", "{out}");
    assert_eq!(
        lines[6..],
        ["handled 1".to_string(), format!("fetched 1 {size}"), format!("#{{\"bytes\": {size}, \"count\": 1}}")]
    );
    assert_eq!(std::fs::read(&streamed).unwrap(), bytes, "fetch_each: the attachment differs");
    assert_eq!(std::fs::read(&fetched).unwrap(), bytes, "fetch: the attachment differs");
    assert_eq!(files_in(&saved), ["1.eml"]);
    let eml = std::fs::read(saved.join("1.eml")).unwrap();
    assert_eq!(eml.len(), size);
    // The Maildir file is the same message with LF line ends.
    let on_disk = servers.maildir_messages("bob").remove(0);
    assert_eq!(String::from_utf8_lossy(&eml).replace("\r\n", "\n").as_bytes(), on_disk.as_slice());

    // imaplib, over STARTTLS on the plain port, reads the same message.
    let by_imaplib = dir.path().join("imaplib.eml");
    let foreign = python(
        r#"
import email, email.policy, imaplib, re, ssl, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.starttls(ssl.create_default_context(cafile=sys.argv[2]))
m.login("bob@example.test", "bob-secret-pw")
print(m.select("INBOX")[1][0].decode())
typ, data = m.fetch("1", "(UID RFC822.SIZE FLAGS BODY.PEEK[])")
head, body = data[0]
print(re.search(rb"UID (\d+)", head).group(1).decode(), re.search(rb"RFC822.SIZE (\d+)", head).group(1).decode(),
      b"\\Seen" in head)
open(sys.argv[3], "wb").write(body)
msg = email.message_from_bytes(body, policy=email.policy.default)
part = next(msg.iter_attachments())
print(msg["Subject"], "|", part.get_filename(), part.get_content() == open(sys.argv[4], "rb").read())
m.logout()
"#,
        &[
            &servers.imap_port.to_string(),
            &servers.ca_file(),
            by_imaplib.to_str().unwrap(),
            attachment.to_str().unwrap(),
        ],
    );
    // netscript's fetch of RFC822 (not PEEK) marked it \Seen, as imaplib sees.
    assert_eq!(foreign, format!("1\n1 {size} True\n{subject} | zahlen.bin True\n"));
    assert_eq!(std::fs::read(&by_imaplib).unwrap(), eml, "imaplib's bytes differ from fetch_to's");
}

#[test]
fn the_seeded_sample_lists_selects_searches_and_fetches_as_seeded_and_the_trace_hides_the_password() {
    let (servers, sample) = seeded();
    let dir = common::temp_dir();
    let all = dir.path().join("all");
    let by_uid = dir.path().join("by_uid");
    let attachment = dir.path().join("attachment.bin");
    let script = format!(
        r#"let c = {connect};
        c.login("carol@example.test", "{pw}");
        let names = c.list().map(|b| b.name);
        names.sort();
        print(json::stringify(names));
        let f = c.list("", "{folder}");
        print(`${{f.len()}} ${{f[0].name}} ${{f[0].delimiter}}`);
        let box = c.select("INBOX");
        print(`exists ${{box.exists}} uidnext ${{box.uidnext}} validity ${{type_of(box.uidvalidity)}} ` +
              `ro ${{box.read_only}} seen-flag ${{"\\Seen" in box.flags}} selected ${{c.selected}}`);
        print(c.search("ALL"));
        print(c.search(["SUBJECT", "Köln"]));
        print(c.search("SUBJECT \"Grüße aus\""));
        print(c.uid_search(["SUBJECT", "attachment"]));
        print(c.search("UNSEEN"));
        for m in c.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)") {{
            let flags = m.flags.filter(|f| f != "\\Recent");
            let from = m.envelope.from[0];
            print(`${{m.seq}} ${{m.uid}} ${{m.size}} ${{flags}} ${{m.envelope.subject}} | ${{from.name}} <${{from.address}}>`);
        }}
        let texts = [];
        // mail::parse keeps the CRLF line ends (as Python's get_content() does).
        c.fetch_each(1..=4, "BODY.PEEK[]", |m| {{
            let text = mail::parse(m.body).text;
            text.replace("\r\n", "\n");
            texts.push(text);
        }});
        print(json::stringify(texts));
        let parts = c.fetch(3, "(BODY.PEEK[HEADER] BODY.PEEK[TEXT])")[0];
        print(`header+text ${{parts.header.len() + parts.text.len()}}`);
        c.fetch_each([4], "BODY.PEEK[]", |m| {{
            let a = mail::parse(m.body).attachments[0];
            print(`${{a.name}} ${{a.data.len()}}`);
            fs::write("{attachment}", a.data);
        }});
        print(c.fetch_to("1:*", "{all}"));
        print(c.fetch_to([2, 4], "{by_uid}", #{{ uid: true }}));
        print(c.search("UNSEEN"));
        let st = c.status("{folder}");
        print(`status ${{st.messages}} ${{st.unseen}}`);
        let draft = c.examine("{folder}");
        print(`examine ${{draft.exists}} ro ${{draft.read_only}} selected ${{c.selected}}`);
        print(c.fetch(1, "ENVELOPE")[0].envelope.subject);
        c.logout();
        print(c.connected);"#,
        connect = imaps(&servers),
        pw = CAROL_PW,
        folder = SAMPLE_FOLDER,
        attachment = attachment.display(),
        all = all.display(),
        by_uid = by_uid.display()
    );
    let out = run(&["--trace", "imap", "-e", &script]).ok();
    let sizes: Vec<usize> = sample.inbox.iter().map(Vec::len).collect();
    let total: usize = sizes.iter().sum();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let mut want = vec![
        format!("[\"{SAMPLE_FOLDER}\",\"INBOX\"]"),
        format!("1 {SAMPLE_FOLDER} ."),
        "exists 4 uidnext 5 validity i64 ro false seen-flag true selected INBOX".into(),
        "[1, 2, 3, 4]".into(),
        "[3]".into(),
        "[3]".into(),
        "[4]".into(),
        "[1, 2, 3, 4]".into(),
    ];
    let senders = [
        "Alice Example <alice@example.test>",
        "Alice Example <alice@example.test>",
        "Jürgen Müller <juergen@example.test>",
        "Alice Example <alice@example.test>",
    ];
    for (i, subject) in SAMPLE_SUBJECTS.iter().enumerate() {
        want.push(format!("{n} {n} {} [] {subject} | {}", sizes[i], senders[i], n = i + 1));
    }
    want.push(json_strings(&SAMPLE_TEXTS));
    want.push(format!("header+text {}", sizes[2]));
    want.push(format!("{SAMPLE_ATTACHMENT_NAME} {}", sample.attachment.len()));
    want.push(format!("#{{\"bytes\": {total}, \"count\": 4}}"));
    want.push(format!("#{{\"bytes\": {}, \"count\": 2}}", sizes[1] + sizes[3]));
    want.push("[1, 2, 3, 4]".into());
    want.push("status 1 1".into());
    want.push(format!("examine 1 ro true selected {SAMPLE_FOLDER}"));
    want.push(SAMPLE_DRAFT_SUBJECT.into());
    want.push("false".into());
    assert_eq!(lines, want, "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);

    assert_eq!(std::fs::read(&attachment).unwrap(), sample.attachment);
    assert_eq!(files_in(&all), ["1.eml", "2.eml", "3.eml", "4.eml"]);
    for (i, message) in sample.inbox.iter().enumerate() {
        assert_eq!(&std::fs::read(all.join(format!("{}.eml", i + 1))).unwrap(), message, "{}.eml differs", i + 1);
    }
    assert_eq!(files_in(&by_uid), ["2.eml", "4.eml"]);
    assert_eq!(std::fs::read(by_uid.join("4.eml")).unwrap(), sample.inbox[3]);

    // The trace: LOGIN masked, non-ASCII search text and mailbox names as sent, literals as
    // byte counts, the password nowhere.
    let err = &out.stderr;
    assert!(err.contains("[imap] > A0001 LOGIN carol@example.test ****\n"), "{err}");
    assert!(!err.contains(CAROL_PW) && !out.stdout.contains(CAROL_PW), "the password leaked:\n{err}");
    assert!(err.contains("SEARCH CHARSET UTF-8 SUBJECT {5} [5 bytes]"), "{err}");
    assert!(err.contains("SELECT INBOX\n") && err.contains("EXAMINE Entw&APw-rfe\n"), "{err}");
    for size in &sizes {
        assert!(err.contains(&format!("[imap] < [{size} bytes]\n")), "no literal of {size} bytes traced:\n{err}");
    }
    assert!(!err.contains("Viele Gr"), "a message body was traced:\n{err}");
}

/// `texts` as a JSON array of strings (what `json::stringify` prints for them).
fn json_strings(texts: &[&str]) -> String {
    let quoted: Vec<String> = texts
        .iter()
        .map(|t| format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")))
        .collect();
    format!("[{}]", quoted.join(","))
}

#[test]
fn fetch_each_stops_at_a_throw_refuses_calls_on_its_own_busy_client_and_the_session_goes_on() {
    let (servers, sample) = seeded();
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.message}}`; }} }}
        let c = {connect};
        c.login("carol@example.test", "{pw}");
        c.select("INBOX");
        let calls = [];
        try {{ c.fetch_each("1:*", "UID", |m| {{ calls.push(m.uid); throw "enough"; }}); }}
        catch (e) {{ print(`thrown ${{e}} after ${{calls}}`); }}
        let same = c;
        let inside = [];
        print(c.fetch_each(1..=2, "UID", |m| inside.push(why(|| same.noop()))));
        print(inside.map(|w| w.starts_with("IMAPError ") && w.contains("busy")));
        let other = {connect};
        other.login("carol@example.test", "{pw}");
        other.examine("INBOX");
        let sizes = [];
        c.fetch_each("1:*", "UID", |m| sizes.push(other.uid_fetch(m.uid, "RFC822.SIZE")[0].size));
        print(sizes);
        print(`${{c.noop()}} ${{c.connected}} ${{c.search("ALL")}}`);
        c.logout();
        other.logout();"#,
        connect = imaps(&servers),
        pw = CAROL_PW
    );
    let out = run(&["-e", &script]).ok().stdout;
    let sizes: Vec<String> = sample.inbox.iter().map(|m| m.len().to_string()).collect();
    assert_eq!(
        out,
        format!("thrown enough after [1]\n2\n[true, true]\n[{}]\n[] true [1, 2, 3, 4]\n", sizes.join(", "))
    );
}

/// Criteria pieces that are no atom go as strings: `["SUBJECT", "{5}"]` searches for `{5}`
/// (sent raw, it would announce a literal and lose the session) and `"(draft)"` for the
/// parenthesised word (raw, a BAD).
#[test]
fn search_array_pieces_with_imap_specials_are_sent_as_strings() {
    let servers = MailServers::start();
    servers.seed(SEED_USER.0, None, [b"Subject: price {5} (draft)\r\n\r\nx\r\n".as_slice()]);
    let script = format!(
        r#"fn why(f) {{ try {{ return f.call(); }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        let c = {connect};
        c.login("carol@example.test", "{pw}");
        c.select("INBOX");
        print(why(|| c.search(["SUBJECT", "(draft)"])));
        print(why(|| c.search(["SUBJECT", "{{5}}"])));
        print(c.connected);"#,
        connect = imaps(&servers),
        pw = CAROL_PW
    );
    let out = run(&["-e", &script]).ok().stdout;
    assert_eq!(out, "[1]\n[1]\ntrue\n");
}

/// `scripts/mail_digest.rhai` as its header says: the password from IMAP_PASSWORD, every
/// folder's unread mail as JSON or a table, nothing marked seen; exit 1 on a refused login,
/// 2 on a usage error.
#[test]
fn mail_digest_lists_unread_mail_per_folder_without_marking_it_seen() {
    let (servers, _sample) = seeded();
    let digest = |password: &str, extra: &[&str]| {
        let mut cmd = std::process::Command::new(common::netscript_bin());
        cmd.arg(common::repo_root().join("scripts/mail_digest.rhai"))
            .args(["--host", "127.0.0.1", "--port", &servers.imaps_port.to_string(), "--ca-file", &servers.ca_file()])
            .args(extra)
            .env("IMAP_PASSWORD", password)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = common::wait_with_limit(cmd.spawn().unwrap(), std::time::Duration::from_secs(60));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (status, json, err) = digest(CAROL_PW, &["--user", SEED_USER.0, "--json", "--limit", "3"]);
    assert_eq!(status, Some(0), "{err}");
    let script = format!(
        r#"let d = json::parse(fs::read("{file}"));
        for f in d {{ print(`${{f.folder}} ${{f.unseen}} ${{f.messages}} ${{f.newest.map(|m| m.uid)}}`); }}
        print(d[1].newest[2].subject);"#,
        file = {
            let path = servers.dir.path().join("digest.json");
            std::fs::write(&path, &json).unwrap();
            path.display().to_string()
        }
    );
    let read = run(&["-e", &script]).ok().stdout;
    assert_eq!(read, format!("{SAMPLE_FOLDER} 1 1 [1]\nINBOX 4 4 [4, 3, 2]\n{}\n", SAMPLE_SUBJECTS[1]));
    let (status, table, err) = digest(CAROL_PW, &["--user", SEED_USER.0]);
    assert_eq!(status, Some(0), "{err}");
    assert!(table.contains("INBOX: 4 unread of 4") && table.contains(SAMPLE_SUBJECTS[2]), "{table}");
    let (status, _, err) = digest("not-carols-password", &["--user", SEED_USER.0]);
    assert_eq!(status, Some(1));
    assert!(err.contains("AUTHENTICATIONFAILED") && !err.contains("not-carols-password"), "{err}");
    let (status, _, err) = digest(CAROL_PW, &[]);
    assert_eq!(status, Some(2), "{err}");
    let (status, table, _) = digest(CAROL_PW, &["--user", SEED_USER.0, "--folder", "INBOX", "--folder", "Nope"]);
    assert_eq!(status, Some(1));
    assert!(table.contains("INBOX: 4 unread of 4") && table.contains("Nope: IMAPError: "), "{table}");
    // Still unread: the digest only looked.
    let again = digest(CAROL_PW, &["--user", SEED_USER.0, "--json", "--limit", "3"]).1;
    assert_eq!(again, json);
}

/// Names with a quote or a backslash come back from `list()` as they were created (the
/// quoted string unescaped), so they select; items whose answers cannot be read are refused
/// before anything is sent.
#[test]
fn odd_names_round_trip_and_unreadable_items_are_refused_up_front() {
    let (servers, _sample) = seeded();
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return e.kind; }} }}
        let c = {connect};
        c.login("carol@example.test", "{pw}");
        c.create("He said \"hi\"");
        c.create("back\\slash");
        for b in c.list() {{ if b.name != "INBOX" {{ print(`${{b.name}} ${{c.select(b.name).exists}}`); }} }}
        c.select("INBOX");
        for items in ["BODYSTRUCTURE", "(UID BODY)", "BINARY[1]", "(FLAGS BINARY.SIZE[1])"] {{ print(why(|| c.fetch(1, items))); }}
        print(c.connected);"#,
        connect = imaps(&servers),
        pw = CAROL_PW
    );
    let out = run(&["-e", &script]).ok().stdout;
    let mut lines: Vec<&str> = out.lines().collect();
    lines[..3].sort();
    assert_eq!(
        lines,
        [
            "Entwürfe 1",
            "He said \"hi\" 0",
            "back\\slash 0",
            "InvalidArgument",
            "InvalidArgument",
            "InvalidArgument",
            "InvalidArgument",
            "true"
        ],
        "{out}"
    );
}

#[test]
fn flags_copies_moves_appends_and_expunges_change_the_mailbox_as_imaplib_then_sees_it() {
    let (servers, _sample) = seeded();
    let script = format!(
        r#"let c = {connect};
        c.login("carol@example.test", "{pw}");
        c.select("INBOX");
        let stored = c.store(1, "+FLAGS", ["\\Flagged"]);
        print(`stored ${{stored.len()}} ${{stored[0].seq}} ${{"\\Flagged" in stored[0].flags}}`);
        print(`fetched ${{"\\Flagged" in c.fetch(1, "FLAGS")[0].flags}}`);
        print(c.store([1, 2], "+FLAGS.SILENT", "(\\Seen)"));
        print(c.search("SEEN"));
        print(c.search("FLAGGED"));
        c.copy([1, 2], "{folder}");
        print(`copied ${{c.status("{folder}", ["MESSAGES"])}}`);
        c.create("Archiv");
        c.move(3, "Archiv");
        print(`moved ${{c.status("INBOX").messages}} ${{c.status("Archiv").messages}}`);
        let r = c.append("INBOX", #{{ from: "Carol <carol@example.test>", to: "carol@example.test",
                                     subject: "Notiz für später", text: "appended\n" }},
                         #{{ flags: ["\\Seen", "$Notiz"], date: 1796551200 }});
        print(`appended uid ${{r.uid}} validity ${{type_of(r.uidvalidity)}}`);
        let m = c.uid_fetch(r.uid, "(FLAGS INTERNALDATE ENVELOPE)")[0];
        print(`${{m.internaldate}} ${{"\\Seen" in m.flags}} ${{"$Notiz" in m.flags}} ${{m.envelope.subject}}`);
        print(c.append("{folder}", "Subject: raw\r\n\r\nraw draft\r\n") != ());
        c.store(1, "+FLAGS", "\\Deleted");
        print(`expunged ${{c.expunge()}} exists ${{c.status("INBOX").messages}}`);
        c.rename("Archiv", "Archiv-alt");
        c.subscribe("Archiv-alt");
        let names = c.list().map(|b| b.name);
        names.sort();
        print(json::stringify(names));
        c.store(1, "+FLAGS", "\\Deleted");
        c.close();
        print(`closed ${{type_of(c.selected)}}`);
        let ro = c.examine("INBOX");
        print(`examine ro ${{ro.read_only}} exists ${{ro.exists}}`);
        // Dovecot answers STORE in a read-only mailbox with "OK Store ignored", not a NO.
        print(`${{c.store(1, "+FLAGS", "\\Draft")}} ${{"\\Draft" in c.fetch(1, "FLAGS")[0].flags}}`);
        c.select("Archiv-alt");
        print(c.fetch("1:*", "ENVELOPE").map(|m| m.envelope.subject));
        c.close();
        try {{ c.close(); }} catch (e) {{ print(`${{e.kind}} ${{e.status}}`); }}
        c.delete("Archiv-alt");
        c.logout();"#,
        connect = imaps(&servers),
        pw = CAROL_PW,
        folder = SAMPLE_FOLDER
    );
    let out = run(&["-e", &script]).ok().stdout;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "stored 1 1 true",
            "fetched true",
            "[]",
            "[1, 2]",
            "[1]",
            "copied #{\"messages\": 3}",
            "moved 3 1",
            "appended uid 5 validity i64",
            "06-Dec-2026 10:00:00 +0000 true true Notiz für später",
            "true",
            "expunged [1] exists 3",
            &format!("[\"Archiv-alt\",\"{SAMPLE_FOLDER}\",\"INBOX\"]"),
            "closed ()",
            "examine ro true exists 2",
            "[] false",
            &format!("[\"{}\"]", SAMPLE_SUBJECTS[2]),
            "IMAPError BAD",
        ],
        "{out}"
    );
    // imaplib, a second client, sees the result.
    let foreign = python(
        r#"
import imaplib, ssl, sys
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ssl.create_default_context(cafile=sys.argv[2]))
m.login("carol@example.test", sys.argv[3])
print(m.select("INBOX", readonly=True)[1][0].decode())
typ, data = m.fetch("1:*", "(UID FLAGS)")
print(" ".join(d.decode() for d in data))
print(m.status("Entw&APw-rfe", "(MESSAGES)")[1][0].decode())
print([l.decode().rsplit(" ", 1)[1] for l in m.list()[1]])
m.logout()
"#,
        &[&servers.imaps_port.to_string(), &servers.ca_file(), CAROL_PW],
    );
    let lines: Vec<&str> = foreign.lines().collect();
    assert_eq!(lines[0], "2", "{foreign}");
    // Left: message 4 (UID 4) and the appended one (UID 5, \Seen $Notiz).
    assert!(lines[1].starts_with("1 (UID 4 FLAGS (") && lines[1].contains("2 (UID 5 FLAGS ("), "{foreign}");
    assert!(lines[1].contains("$Notiz") && lines[1].contains("\\Seen"), "{foreign}");
    assert_eq!(lines[2], "Entw&APw-rfe (MESSAGES 4)", "{foreign}");
    assert!(!lines[3].contains("Archiv"), "{foreign}");
}

#[test]
fn idle_returns_nothing_when_nothing_comes_and_the_exists_event_when_another_client_appends() {
    let (servers, _sample) = seeded();
    let dir = common::temp_dir();
    let marker = dir.path().join("idling");
    // imaplib appends half a second after the script says it is about to IDLE.
    let code = r#"
import imaplib, os, ssl, sys, time
deadline = time.monotonic() + 60
while not os.path.exists(sys.argv[4]):
    if time.monotonic() > deadline:
        sys.exit("the script never got to IDLE")
    time.sleep(0.02)
time.sleep(0.5)
m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ssl.create_default_context(cafile=sys.argv[2]))
m.login("carol@example.test", sys.argv[3])
m.append("INBOX", None, None, b"Subject: while idling\r\n\r\nnew\r\n")
m.logout()
"#;
    let port = servers.imaps_port.to_string();
    let ca = servers.ca_file();
    // A Peer: stopped by PID should the script fail before it IDLEs.
    let _appender =
        common::Peer::start("appender", "python3", &["-c", code, &port, &ca, CAROL_PW, marker.to_str().unwrap()], None);
    let script = format!(
        r#"let c = {connect};
        c.login("carol@example.test", "{pw}");
        print(c.select("INBOX").exists);
        let t = timestamp();
        let quiet = c.idle(1);
        let waited = t.elapsed;
        print(`quiet ${{type_of(quiet)}} ${{waited >= 0.9 && waited < 3.0}}`);
        fs::write("{marker}", "now");
        let t = timestamp();
        let events = c.idle(10);
        let waited = t.elapsed;
        print(`events ${{events.filter(|e| e.type == "exists").map(|e| e.n)}} ${{waited < 5.0}}`);
        print(c.noop().len() >= 0);
        print(c.fetch(5, "ENVELOPE")[0].envelope.subject);
        c.logout();"#,
        connect = imaps(&servers),
        pw = CAROL_PW,
        marker = marker.display()
    );
    let out = run(&["-e", &script]).ok().stdout;
    assert_eq!(out, "4\nquiet () true\nevents [5] true\ntrue\nwhile idling\n");
}

#[test]
fn bad_input_against_dovecot_is_the_documented_kind_and_sends_nothing() {
    let (servers, _sample) = seeded();
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.status}} ${{e.code}}`; }} }}
        let c = {connect};
        let e = ();
        try {{ c.login("carol@example.test", "wrong-pw-4711"); }} catch (err) {{ e = err; }}
        print(`${{e.kind}} ${{e.status}} ${{e.code}}: ${{e.message}}`);
        print(c.connected);
        print(why(|| c.login("carol@example.test\r\nA9 LOGOUT", "{pw}")));
        print(why(|| c.login("carol@example.test", "crlf-pw-0815\r\nA9 LOGOUT")));
        c.login("carol@example.test", "{pw}");
        print(why(|| c.select("Nirgendwo")));
        print(type_of(c.selected));
        print(why(|| c.examine("INBOX\r\nA9 DELETE INBOX")));
        print(why(|| c.select("INBOX\n")));
        print(why(|| c.create("neu\r\nA9 LOGOUT")));
        print(why(|| c.rename("INBOX", "x\ny")));
        print(why(|| c.status("a\rb")));
        print(why(|| c.list("", "*\r\nA9 LOGOUT")));
        print(why(|| c.append("Ent\nwürfe", "Subject: x\r\n\r\nx\r\n")));
        print(why(|| c.search("ALL\r\nA9 LOGOUT")));
        print(why(|| c.search(["SUBJECT", "a\nb"])));
        print(why(|| c.uid_search(["TEXT", "x\r"])));
        print(why(|| c.store(1, "+FLAGS", "\\Seen\r\nA9 LOGOUT")));
        print(why(|| c.store(1, "+FLAGS", ["\\Seen\n"])));
        print(why(|| c.append("INBOX", "Subject: x\r\n\r\nx\r\n", #{{ flags: ["\\Seen\r\n"] }})));
        for ids in [0, -1, "1:x", [], "", [1, 0], "0:3"] {{ print(why(|| c.fetch(ids, "FLAGS"))); }}
        print(why(|| c.fetch_to(-1, "/tmp")));
        print(why(|| c.store([], "+FLAGS", "\\Seen")));
        print(why(|| c.copy(0, "INBOX")));
        c.logout();
        print(why(|| c.noop()));
        print(why(|| c.select("INBOX")));
        print(why(|| c.logout()));
        print(c.connected);"#,
        connect = imaps(&servers),
        pw = CAROL_PW
    );
    let out = run(&["--trace", "imap", "-e", &script]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("IMAPError NO AUTHENTICATIONFAILED: ") && lines[0].contains("Authentication failed"),
        "{}",
        out.stdout
    );
    assert_eq!(lines[1], "true", "a refused login ends nothing");
    assert_eq!(lines[2..4], ["InvalidArgument  "; 2], "{}", out.stdout);
    assert!(lines[4].starts_with("IMAPError NO"), "{}", out.stdout);
    assert_eq!(lines[5], "()", "a failed SELECT leaves nothing selected");
    // 13 CR/LF cases, then 10 bad id sets.
    assert_eq!(lines[6..6 + 23], ["InvalidArgument  "; 23], "{}", out.stdout);
    assert_eq!(lines[29..], ["IMAPAbort  ", "IMAPAbort  ", "IMAPAbort  ", "false"], "{}", out.stdout);
    let both = format!("{}{}", out.stdout, out.stderr);
    for password in ["wrong-pw-4711", "crlf-pw-0815", CAROL_PW] {
        assert!(!both.contains(password), "{password} leaked:\n{both}");
    }
    // Two LOGINs went out (the wrong password, the right one); after the second only the
    // failed SELECT and the LOGOUT.
    assert_eq!(sent(&out.stderr).iter().filter(|l| l.contains(" LOGIN ")).count(), 2, "{}", out.stderr);
    assert_eq!(sent_after_login(&out.stderr), ["SELECT Nirgendwo", "LOGOUT"], "{}", out.stderr);
}

#[test]
fn untrusted_certificates_fail_at_connect_and_starttls_then_authenticate_plain_logs_in() {
    let (servers, _sample) = seeded();
    let other = common::temp_dir();
    common::write_test_certs(other.path());
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        print(why(|| imap::connect("127.0.0.1", {imaps}, #{{ tls: "implicit", timeout: 10 }})));
        print(why(|| imap::connect("127.0.0.1", {imaps}, #{{ tls: "implicit", ca_file: "{other_ca}", timeout: 10 }})));
        print(why(|| imap::connect("127.0.0.1", {imap}, #{{ tls: "starttls", timeout: 10 }})));
        let ok = imap::connect("127.0.0.1", {imap}, #{{ tls: "starttls", ca_file: "{ca}", timeout: 10 }});
        print(`starttls ${{ok.tls}} ${{"STARTTLS" in ok.capabilities}} ${{"IMAP4rev1" in ok.capability()}}`);
        try {{ ok.authenticate("carol@example.test", "bad-auth-pw-3"); }}
        catch (e) {{ print(`${{e.kind}} ${{e.status}} ${{e.code}}`); }}
        ok.authenticate("PLAIN", "carol@example.test", "{pw}");
        print(`authenticated ${{ok.select("INBOX").exists}} ${{"MOVE" in ok.capabilities}}`);
        print(why(|| ok.authenticate("LOGIN", "carol@example.test", "{pw}")));
        ok.logout();
        let plain = imap::connect("127.0.0.1", {imap}, #{{ timeout: 10 }});
        print(`plain ${{plain.tls}} ${{"STARTTLS" in plain.capabilities}}`);
        plain.logout();
        let port = {closed};
        print(why(|| imap::connect("127.0.0.1", port, #{{ timeout: 5 }})));"#,
        imaps = servers.imaps_port,
        imap = servers.imap_port,
        ca = servers.ca_file(),
        pw = CAROL_PW,
        other_ca = other.path().join("ca.pem").display(),
        closed = common::free_port()
    );
    let out = run(&["--trace", "imap", "-e", &script]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{}", out.stdout);
    for line in &lines[0..3] {
        assert!(line.starts_with("TlsError: "), "{}", out.stdout);
    }
    assert_eq!(
        lines[3..8],
        [
            "starttls true false true",
            "IMAPError NO AUTHENTICATIONFAILED",
            "authenticated 4 true",
            "IMAPError: authenticate: mechanism 'LOGIN' is not spoken (PLAIN is)",
            "plain false true",
        ],
        "{}",
        out.stdout
    );
    assert!(lines[8].starts_with("ConnectionRefused: "), "{}", out.stdout);
    // SASL-IR: the credentials go in the command line, which the trace masks.
    assert_eq!(out.stderr.matches("AUTHENTICATE PLAIN ****\n").count(), 2, "{}", out.stderr);
    assert!(!out.stderr.contains("bad-auth-pw-3") && !out.stderr.contains(CAROL_PW), "{}", out.stderr);
    // Nor in base64: PLAIN's token is "\0user\0password".
    let token = |pw: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("\0carol@example.test\0{pw}"))
    };
    assert!(!out.stderr.contains(&token(CAROL_PW)) && !out.stderr.contains(&token("bad-auth-pw-3")));
}

/// The imap peer for `mode`, its port, and the file it logs commands to.
fn misbehaving_peer(mode: &str, dir: &Path) -> (common::Peer, u16, std::path::PathBuf) {
    let path = common::repo_root().join("tests/peers/imap_peer.py");
    let log = dir.join(format!("{mode}.log"));
    let mut peer =
        common::Peer::start("imap_peer", "python3", &[path.to_str().unwrap(), mode, log.to_str().unwrap()], None);
    let port = peer.read_line().parse().unwrap_or_else(|_| panic!("imap_peer {mode} printed no port"));
    (peer, port, log)
}

/// The commands the peer logged, without their tags.
fn peer_saw(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_string())
        .collect()
}

/// A script that connects to the peer on `port` (timeout 1 s), logs in and selects, then
/// runs `body`; `why(f)` gives `kind status code`.
fn peer_script(port: u16, body: &str) -> String {
    format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.status}} ${{e.code}}`; }} }}
        let c = imap::connect("127.0.0.1", {port}, #{{ timeout: 1 }});
        c.login("ann", "peer-pw-5150");
        c.select("INBOX");
        {body}"#
    )
}

#[test]
fn a_tagged_no_after_data_is_an_imap_error_for_every_command_and_the_session_goes_on() {
    let dir = common::temp_dir();
    let (_peer, port, log) = misbehaving_peer("no_on_fetch", dir.path());
    let saved = dir.path().join("saved");
    let body = format!(
        r#"print(why(|| c.fetch("1:*", "(UID BODY.PEEK[])")));
        let seen = [];
        print(why(|| c.fetch_each("1:*", "(UID BODY.PEEK[])", |m| seen.push(m.uid))));
        print(seen);
        print(why(|| c.uid_fetch("1:*", "FLAGS")));
        print(why(|| c.search("ALL")));
        print(why(|| c.uid_search("ALL")));
        print(why(|| c.store(1, "+FLAGS", "\\Seen")));
        print(why(|| c.noop()));
        print(why(|| c.capability()));
        print(why(|| c.fetch_to("1:*", "{saved}")));
        print(c.connected);
        print(c.list().map(|b| b.name));
        c.logout();"#,
        saved = saved.display()
    );
    let out = run(&["-e", &peer_script(port, &body)]).ok().stdout;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "IMAPError NO SERVERBUG",
            "IMAPError NO SERVERBUG",
            "[1]",
            "IMAPError NO SERVERBUG",
            "IMAPError NO CANNOT",
            "IMAPError NO CANNOT",
            "IMAPError NO ",
            "IMAPError NO ",
            "IMAPError NO ",
            "IMAPError NO SERVERBUG",
            "true",
            "[\"INBOX\"]",
        ],
        "{out}"
    );
    let saw = peer_saw(&log);
    assert_eq!(saw.last().map(String::as_str), Some("LOGOUT"), "{saw:?}");
}

#[test]
fn a_bye_or_a_close_mid_fetch_is_an_abort_and_no_partial_file_is_left() {
    let dir = common::temp_dir();
    let (_peer, port, _log) = misbehaving_peer("bye_mid_fetch", dir.path());
    let body = r#"print(why(|| c.fetch("1:*", "(UID BODY.PEEK[])")));
        print(c.connected);
        print(why(|| c.noop()));
        print(why(|| c.fetch(1, "FLAGS")));"#;
    let out = run(&["-e", &peer_script(port, body)]).ok().stdout;
    assert_eq!(out, "IMAPAbort  \nfalse\nIMAPAbort  \nIMAPAbort  \n");

    let (_peer, port, _log) = misbehaving_peer("close_mid_fetch", dir.path());
    let saved = dir.path().join("saved");
    let body = format!(
        r#"try {{ c.fetch_to("1:*", "{saved}"); print("no error"); }}
        catch (e) {{ print(`${{e.kind}}: ${{e.message}}`); }}
        print(why(|| c.fetch_to("1:*", "{saved}")));"#,
        saved = saved.display()
    );
    let out = run(&["-e", &peer_script(port, &body)]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("IMAPAbort: ") && lines[0].contains("5000"), "{out}");
    assert_eq!(lines[1], "IMAPAbort  ", "{out}");
    // Message 1 arrived whole and stays; nothing of message 2, no temp file.
    assert_eq!(files_in(&saved), ["1.eml"], "{out}");
    assert_eq!(std::fs::read(saved.join("1.eml")).unwrap(), b"Subject: peer message 1\r\n\r\nbody 1\r\n");

    // fetch returns nothing partial either.
    let (_peer, port, _log) = misbehaving_peer("close_mid_fetch", dir.path());
    let body = r#"let got = ();
        try { got = c.fetch("1:*", "(UID BODY.PEEK[])"); } catch (e) { print(e.kind); }
        print(type_of(got));"#;
    let out = run(&["-e", &peer_script(port, body)]).ok().stdout;
    assert_eq!(out, "IMAPAbort\n()\n");
}

#[test]
fn a_literal_that_never_completes_is_an_abort_within_the_timeout() {
    let dir = common::temp_dir();
    let (_peer, port, _log) = misbehaving_peer("short_literal", dir.path());
    let saved = dir.path().join("saved");
    let body = format!(
        r#"let t = timestamp();
        try {{ c.fetch_to("1:*", "{saved}"); print("no error"); }}
        catch (e) {{ print(`${{e.kind}}: ${{e.message}}`); }}
        print(t.elapsed < 5.0);
        print(why(|| c.noop()));"#,
        saved = saved.display()
    );
    let start = Instant::now();
    let out = run(&["-e", &peer_script(port, &body)]).ok().stdout;
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("IMAPAbort: ") && lines[0].contains("literal") && lines[0].contains("20000"), "{out}");
    assert_eq!(lines[1..], ["true", "IMAPAbort  "], "{out}");
    assert!(files_in(&saved).is_empty(), "{:?}", files_in(&saved));
}

#[test]
fn a_server_that_stops_answering_is_a_timeout_and_the_session_is_over() {
    let dir = common::temp_dir();
    let (_peer, port, log) = misbehaving_peer("silent", dir.path());
    let body = r#"let t = timestamp();
        print(why(|| c.noop()));
        print(t.elapsed < 3.0);
        print(c.connected);
        print(why(|| c.fetch(1, "FLAGS")));"#;
    let out = run(&["-e", &peer_script(port, body)]).ok().stdout;
    assert_eq!(out, "Timeout  \ntrue\nfalse\nIMAPAbort  \n");
    // Nothing more went out after the unanswered NOOP.
    assert_eq!(peer_saw(&log).last().map(String::as_str), Some("NOOP"));
}

#[test]
fn a_bye_greeting_is_an_imap_error() {
    let dir = common::temp_dir();
    let (_peer, port, _log) = misbehaving_peer("bad_greeting", dir.path());
    let script = format!(
        r#"try {{ imap::connect("127.0.0.1", {port}, #{{ timeout: 2 }}); print("no error"); }}
        catch (e) {{ print(`${{e.kind}}: ${{e.message}}`); }}"#
    );
    let out = run(&["-e", &script]).ok().stdout;
    assert!(out.starts_with("IMAPError: ") && out.contains("no"), "{out}");
}

#[test]
fn move_without_the_move_capability_is_uid_copy_store_and_expunge_and_literals_wait_without_literal_plus() {
    let dir = common::temp_dir();
    let (_peer, port, log) = misbehaving_peer("no_move", dir.path());
    let body = r#"let caps = c.capabilities;
        print(`${"MOVE" in caps} ${"LITERAL+" in caps} ${"UIDPLUS" in caps}`);
        c.move([1, 3], "Archiv");
        c.uid_move("2", "Entwürfe");
        print(c.search(["SUBJECT", "Grüße"]));
        print(c.append("INBOX", "Subject: x\r\n\r\nx\r\n"));
        print(c.connected);
        c.logout();"#;
    let out = run(&["--trace", "imap", "-e", &peer_script(port, body)]).ok();
    assert_eq!(out.stdout, "false false true\n[1, 2, 3]\n#{\"uid\": 4, \"uidvalidity\": 1234}\ntrue\n");
    let saw = peer_saw(&log);
    assert_eq!(
        saw,
        [
            "LOGIN ann peer-pw-5150",
            "SELECT INBOX",
            "FETCH 1,3 (UID)",
            "UID COPY 1,3 Archiv",
            "UID STORE 1,3 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 1,3",
            "UID COPY 2 Entw&APw-rfe",
            "UID STORE 2 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 2",
            // Each literal was announced as {N} (not {N+}) and sent after the peer's "+".
            "SEARCH CHARSET UTF-8 SUBJECT {7}",
            "APPEND INBOX {17}",
            "LOGOUT",
        ],
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("peer-pw-5150"), "{}", out.stderr);
}

/// `uid_expunge` removes the given UIDs marked `\Deleted` and leaves another client's
/// `\Deleted` message alone (`expunge()` takes it too).
#[test]
fn uid_expunge_removes_only_the_given_deleted_messages() {
    let (servers, _sample) = seeded();
    let script = format!(
        r#"let c = {connect};
        c.login("carol@example.test", "{pw}");
        c.select("INBOX");
        c.uid_store([2, 3], "+FLAGS.SILENT", "(\\Deleted)");
        print(c.uid_expunge([2]));
        print(c.uid_search("ALL"));
        print(c.uid_search("DELETED"));
        c.expunge();
        print(c.uid_search("ALL"));
        try {{ c.uid_expunge("x"); }} catch (e) {{ print(e.kind); }}
        c.logout();"#,
        connect = imaps(&servers),
        pw = CAROL_PW
    );
    let out = run(&["-e", &script]).ok().stdout;
    assert_eq!(out, "[2]\n[1, 3, 4]\n[3]\n[1, 4]\nInvalidArgument\n");
}
