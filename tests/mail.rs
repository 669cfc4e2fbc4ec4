//! The `mail` module against Python's `email` package as the foreign reader and writer:
//! messages netscript builds read back in Python field for field, messages Python builds
//! parsed by netscript, bad input refused before anything is built, hostile input parsed
//! without a crash.

mod common;
use common::{eval, run};

/// Runs `python3 -c CODE ARGS…` and returns its stdout.
fn python(code: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3").arg("-c").arg(code).args(args).output().expect("python3");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_built_message_reads_back_in_pythons_email_package() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("report.csv");
    std::fs::write(&csv, "host,status\nmx1,ok\n").unwrap();
    let eml = dir.path().join("out.eml");
    let script = format!(
        r#"let raw = mail::message(#{{
            from: "Réports Ünit <reports@example.com>",
            to: ["ops@example.com", #{{ name: "Bob Smith", address: "bob@example.com" }}],
            cc: "Carol <carol@example.com>", bcc: ["hidden@example.com"], reply_to: "noreply@example.com",
            subject: "Nightly report ✓ — all green", text: "All green.\nSee attached.", html: "<p>All <b>green</b> ✓</p>",
            attachments: ["{csv}", #{{ name: "blob.bin", data: blob(300, 0xfe) }}],
            headers: #{{ "X-Mailer": "netscript" }}, date: 1764633600, message_id: "abc.123@example.com",
        }});
        fs::write("{eml}", raw);"#,
        csv = csv.display(),
        eml = eml.display()
    );
    run(&["--allow-read", "--allow-write", "-e", &script]).ok();
    let raw = std::fs::read(&eml).unwrap();
    assert!(!String::from_utf8_lossy(&raw).to_ascii_lowercase().contains("hidden@"), "Bcc written");
    let seen = python(
        r#"
import sys, email, email.policy, json
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
parts = []
for p in m.walk():
    if p.is_multipart(): continue
    parts.append([p.get_content_type(), p.get_filename(), len(p.get_content()) if p.get_filename() else p.get_content().replace("\r\n", "\n").strip()])
print(json.dumps({"from": str(m["from"]), "to": str(m["to"]), "cc": str(m["cc"]), "reply_to": str(m["reply-to"]),
  "subject": str(m["subject"]), "date": str(m["date"]), "id": m["message-id"], "mailer": m["x-mailer"],
  "bcc": m["bcc"], "type": m.get_content_type(), "parts": parts}, ensure_ascii=False, sort_keys=True))
"#,
        &[eml.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_str(&seen).unwrap();
    assert_eq!(v["from"], "Réports Ünit <reports@example.com>");
    assert_eq!(v["to"], "ops@example.com, Bob Smith <bob@example.com>");
    assert_eq!(v["cc"], "Carol <carol@example.com>");
    assert_eq!(v["reply_to"], "noreply@example.com");
    assert_eq!(v["subject"], "Nightly report ✓ — all green");
    assert_eq!(v["date"], "Tue, 02 Dec 2025 00:00:00 +0000");
    assert_eq!(v["id"], "<abc.123@example.com>");
    assert_eq!(v["mailer"], "netscript");
    assert!(v["bcc"].is_null());
    assert_eq!(v["type"], "multipart/mixed");
    assert_eq!(
        v["parts"],
        serde_json::json!([
            ["text/plain", null, "All green.\nSee attached."],
            ["text/html", null, "<p>All <b>green</b> ✓</p>"],
            ["text/csv", "report.csv", 19],
            ["application/octet-stream", "blob.bin", 300]
        ])
    );
}

#[test]
fn a_message_python_writes_is_parsed_field_for_field() {
    let dir = tempfile::tempdir().unwrap();
    let eml = dir.path().join("in.eml");
    python(
        r#"
import sys
from email.message import EmailMessage
from email.headerregistry import Address
m = EmailMessage()
m["From"] = Address("Ünïcode Sender", "sender", "example.org")
m["To"] = "a@example.org, Bee <b@example.org>"
m["Cc"] = "c@example.org"
m["Subject"] = "Grüße — report"
m["Message-ID"] = "<id-1@example.org>"
m["Date"] = "Tue, 01 Dec 2026 10:00:00 +0100"
m["X-Custom"] = "one"
m.set_content("plain body é\n")
m.add_alternative("<p>html body é</p>\n", subtype="html")
m.add_attachment(bytes(range(256)), maintype="application", subtype="pdf", filename="résumé.pdf")
open(sys.argv[1], "wb").write(bytes(m))
"#,
        &[eml.to_str().unwrap()],
    );
    let script = format!(
        r#"let m = mail::parse(fs::read_blob("{}"));
        print(`${{m.from.name}}|${{m.from.address}}`);
        print(m.to.map(|a| `${{a.name}}<${{a.address}}>`));
        print(m.cc[0].address); print(m.subject); print(m.message_id); print(m.date); print(m.headers["X-Custom"]);
        print(m.text); print(m.html);
        let a = m.attachments[0];
        print(`${{a.name}} ${{a.content_type}} ${{a.data.len()}} ${{a.data[255]}}`);"#,
        eml.display()
    );
    let out = run(&["--allow-read", "-e", &script]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "Ünïcode Sender|sender@example.org",
            "[\"<a@example.org>\", \"Bee<b@example.org>\"]",
            "c@example.org",
            "Grüße — report",
            "<id-1@example.org>",
            "2026-12-01T10:00:00+01:00",
            "one",
            "plain body é",
            "",
            "<p>html body é</p>",
            "",
            "résumé.pdf application/pdf 256 255",
        ],
        "{out}"
    );
}

#[test]
fn bad_fields_are_refused_before_anything_is_built() {
    let script = r#"fn why(f) { try { f.call(); return "no error"; } catch (e) { return `${e.kind}: ${e.message}`; } }
        let ok = #{ from: "a@example.com", to: "b@example.com", text: "x" };
        for change in [
            #{ subject: "hi\r\nBcc: victim@example.com" },
            #{ to: "b@example.com\r\nX: y" },
            #{ from: #{ name: "Evil\nX: y", address: "a@example.com" } },
            #{ headers: #{ "X-A": "v\r\nX-B: w" } },
            #{ headers: #{ "Bad Name": "v" } },
            #{ from: "not an address" },
            #{ from: () },
            #{ attachments: ["/nonexistent/file.txt"] },
            #{ attachments: [42] },
            #{ date: -5 },
            #{ subjct: "typo" },
            #{ to: #{ address: "b@example.com", nmae: "typo" } },
            #{ attachments: [#{ name: "x", data: "y", path: "/etc/passwd" }] },
        ] {
            let m = ok + change;
            if change.from == () && "from" in change { m.remove("from"); }
            print(why(|| mail::message(m)));
        }
        print(why(|| mail::parse("")));
        print(why(|| mail::parse(blob())));"#;
    let out = run(&["--allow-read", "-e", script]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    let expect = [
        "subject contains CR or LF",
        "to contains CR or LF",
        "from contains CR or LF",
        "header X-A contains CR or LF",
        "bad header name",
        "bad address 'not an address'",
        "give from",
        "attachment '/nonexistent/file.txt'",
        "not int",
        "date is seconds",
        "subjct",
        "unknown key 'nmae'",
        "unknown key 'path'",
        "empty",
        "empty",
    ];
    assert_eq!(lines.len(), expect.len(), "{out}");
    for (line, want) in lines.iter().zip(expect) {
        assert!(line.starts_with("InvalidArgument: ") && line.contains(want), "want {want:?}: {line}");
    }
}

#[test]
fn hostile_messages_are_parsed_without_a_crash() {
    // Truncated, non-UTF-8, a wrong charset, unterminated multipart, 500 nested parts.
    let script = r#"
        let samples = [
            "From: a@b\r\nSubject: =?utf-8?b?broken\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhalf",
            "Subject: \xff\xfe\r\nContent-Type: text/plain; charset=klingon\r\n\r\n\xff\xfe body",
            "To: \r\nFrom: <<<>>>,,,@@@\r\n\r\n",
        ];
        let nested = "Content-Type: multipart/mixed; boundary=b0\r\n\r\n";
        for i in 0..500 { nested += `--b${i}\r\nContent-Type: multipart/mixed; boundary=b${i + 1}\r\n\r\n`; }
        samples.push(nested);
        for s in samples { let m = mail::parse(s); print(type_of(m)); }
        // Bytes that are no message at all (no header line) are an error, not an empty map.
        for junk in [blob(1000, 0xff), "garbage", "hello world\r\nfoo", ": x\r\n\r\n"] {
            try { mail::parse(junk); print("parsed"); } catch (e) { print(e.kind); }
        }
        print(type_of(mail::parse("From x@y Sun Dec  6 10:00:00 2026\nSubject: mbox\n\nbody")));"#;
    let out = eval(script).ok().stdout;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["map", "map", "map", "map", "InvalidArgument", "InvalidArgument", "InvalidArgument", "InvalidArgument", "map"],
        "{out}"
    );
}

#[test]
fn what_a_first_user_found_stays_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        let base = #{{ from: "a@example.com", to: "b@example.com" }};
        // Attachment bytes are always base64 (NUL, bare LF), non-ASCII text says its charset.
        let raw = mail::message(base + #{{ attachments: [#{{ name: "nul.bin", data: blob(5, 0) }}, #{{ name: "a.txt", data: "café\n" }}] }});
        let text = raw.as_string();
        print(text.contains("AAAAAAA=") && text.contains("text/plain; charset=utf-8"));
        print(why(|| mail::message(base + #{{ attachments: ["{fifo}"] }})));
        print(why(|| mail::message(base + #{{ headers: #{{ Subject: "dup" }} }})));
        print(why(|| mail::message(base + #{{ message_id: "not an id" }})));
        // Ids keep their brackets; every To: line counts; CJK charsets decode.
        let o = mail::parse("From: a@example.com\r\nTo: one@example.com\r\nTo: Two <two@example.com>\r\nMessage-ID: <orig-1@example.com>\r\nReferences: <r0@example.com> <r1@example.com>\r\nSubject: =?shift_jis?b?g2WDWINn?=\r\n\r\nx");
        print(`${{o.message_id}} | ${{o.headers.References}} | ${{o.to.len()}} | ${{o.subject}}`);
        // A second text part in multipart/mixed is an attachment, not lost.
        let m = mail::parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b--\r\n");
        let t = m.text; t.trim(); print(`${{t}} ${{m.attachments.len()}}`);"#,
        fifo = fifo.display()
    );
    let out = run(&["--allow-read", "-e", &script]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "true", "{out}");
    assert!(lines[1].contains("is not a regular file"), "{}", lines[1]);
    assert!(lines[2].contains("written from the message's own keys"), "{}", lines[2]);
    assert!(lines[3].contains("is not an id like"), "{}", lines[3]);
    assert_eq!(lines[4], "<orig-1@example.com> | <r0@example.com> <r1@example.com> | 2 | テスト");
    assert_eq!(lines[5], "one 1");
}
