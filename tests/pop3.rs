//! The `pop3` plugin as a third party would ship it: built outside the workspace by the SDK
//! README's recipe (depending on `netscript-sdk` alone), loaded into the real `netscript` at
//! run time with `--plugin` and through `NETSCRIPT_PLUGIN_PATH`, talking to a real Dovecot
//! (STLS, POP3S, APOP) with Python's poplib reading the same mailbox; its waits overlap
//! under `parallel`, `--allow-net` governs it, and a build against another SDK is refused
//! before any of its code runs.

mod common;
use common::mail_servers::{SAMPLE_SUBJECTS, SEED_USER, USERS};
use common::{run, MailServers};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The pop3 library, built once per test binary.
fn pop3_library() -> &'static str {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let (project, target) =
            common::outside::project("pop3", "plugins/pop3", r#"netscript-sdk = { path = "../sdk" }"#, None);
        common::outside::build(&project, &target, "netscript_pop3")
    })
    .to_str()
    .unwrap()
}

/// Runs `netscript --plugin pop3 ARGS…`.
fn with_pop3(args: &[&str]) -> common::Run {
    let mut all = vec!["--plugin", pop3_library()];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn a_seeded_mailbox_reads_as_poplib_reads_it_over_stls_and_pop3s() {
    let servers = MailServers::start();
    let sample = servers.seed_sample(SEED_USER.0);
    let dir = common::temp_dir();
    let (user, password) = SEED_USER;
    let script = format!(
        r#"let c = pop3::connect("127.0.0.1", {pop3}, #{{ tls: "starttls", ca_file: "{ca}", timeout: 10 }});
        print(`${{c.tls}} ${{"STLS" in c.capa()}} ${{"TOP" in c.capa()}}`);
        c.login("{user}", "{password}");
        let box = c.stat();
        print(`${{box.count}} ${{box.size}}`);
        print(c.list().map(|m| m.size));
        print(c.list(2).size);
        let uids = c.uidl();
        print(uids.map(|m| m.uid));
        for n in 1..=4 {{ fs::write(`{dir}/${{n}}.eml`, c.retr(n)); }}
        print(mail::parse(c.top(3, 0)).subject);
        print(mail::parse(c.retr(4)).attachments[0].data.len());
        print(c.dele(1));
        print(c.stat().count);
        c.rset();
        print(c.stat().count);
        c.quit();
        let s = pop3::connect("127.0.0.1", {pop3s}, #{{ ca_file: "{ca}", tls: "implicit" }});
        s.apop("{user}", "{password}");
        print(`${{s.tls}} ${{s.stat().count}}`);
        s.quit();"#,
        pop3 = servers.pop3_port,
        pop3s = servers.pop3s_port,
        ca = servers.ca_file(),
        dir = dir.path().display()
    );
    let out = with_pop3(&["--trace", "pop3", "-e", &script]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let sizes: Vec<String> = sample.inbox.iter().map(|m| m.len().to_string()).collect();
    let total: usize = sample.inbox.iter().map(Vec::len).sum();
    assert_eq!(lines[0], "true false true", "{}", out.stdout);
    assert_eq!(lines[1], format!("4 {total}"));
    assert_eq!(lines[2], format!("[{}]", sizes.join(", ")));
    assert_eq!(lines[3], sizes[1]);
    assert_eq!(lines[5], SAMPLE_SUBJECTS[2]);
    assert_eq!(lines[6], sample.attachment.len().to_string());
    assert_eq!(&lines[7..], ["Marked to be deleted.", "3", "4", "true 4"], "{}", out.stdout);
    for (n, message) in sample.inbox.iter().enumerate() {
        assert_eq!(&std::fs::read(dir.path().join(format!("{}.eml", n + 1))).unwrap(), message, "message {}", n + 1);
    }
    // The trace: the password masked, messages as byte counts, APOP's digest hidden.
    assert!(out.stderr.contains("[pop3] > PASS ****") && out.stderr.contains(&format!("[pop3] > APOP {user} ****")));
    assert!(out.stderr.contains(&format!("[pop3] < [{} bytes]", sample.inbox[3].len())), "{}", out.stderr);
    assert!(!out.stderr.contains(password) && !out.stdout.contains(password));
    // poplib, the foreign client, sees the same uids.
    let poplib = std::process::Command::new("python3")
        .args(["-c", "import poplib,sys; p=poplib.POP3('127.0.0.1', int(sys.argv[1])); p.user(sys.argv[2]); p.pass_(sys.argv[3]); print([l.split()[1].decode() for l in p.uidl()[1]]); p.quit()"])
        .args([&servers.pop3_port.to_string(), user, password])
        .output()
        .unwrap();
    let uids = String::from_utf8_lossy(&poplib.stdout).replace('\'', "\"");
    assert_eq!(uids.trim(), lines[4], "poplib: {}", String::from_utf8_lossy(&poplib.stderr));
}

/// `retr_each` pipelines its RETRs (Dovecot offers PIPELINING): all four go in one write,
/// each message reaches the closure whole; a missing message is a POP3Error after the
/// others; a throw from the closure comes back as itself.
#[test]
fn retr_each_pipelines_and_hands_over_each_message_whole() {
    let servers = MailServers::start();
    let sample = servers.seed_sample(SEED_USER.0);
    let dir = common::temp_dir();
    let (user, password) = SEED_USER;
    let script = format!(
        r#"let c = pop3::connect("127.0.0.1", {pop3}, #{{ timeout: 10 }});
        c.login("{user}", "{password}");
        print(c.retr_each(|n, msg| fs::write(`{dir}/${{n}}.eml`, msg)));
        let seen = [];
        try {{ c.retr_each([2, 9, 3], |n, msg| seen.push(n)); }} catch (e) {{ print(`${{e.kind}} ${{seen}}`); }}
        try {{ c.retr_each(1..=4, |n, msg| {{ if n == 2 {{ throw "enough"; }} }}); }} catch (e) {{ print(e); }}
        print(c.stat().count);
        c.quit();"#,
        pop3 = servers.pop3_port,
        dir = dir.path().display()
    );
    let out = with_pop3(&["--trace", "pop3", "-e", &script]).ok();
    assert_eq!(out.stdout, "4\nPOP3Error [2, 3]\nenough\n4\n", "{}", out.stderr);
    for (n, message) in sample.inbox.iter().enumerate() {
        assert_eq!(&std::fs::read(dir.path().join(format!("{}.eml", n + 1))).unwrap(), message, "message {}", n + 1);
    }
    // The four RETRs were written before the first reply was read.
    let trace: Vec<&str> = out.stderr.lines().collect();
    let first = trace.iter().position(|l| *l == "[pop3] > RETR 1").expect("RETR 1 traced");
    assert_eq!(&trace[first..first + 4], ["[pop3] > RETR 1", "[pop3] > RETR 2", "[pop3] > RETR 3", "[pop3] > RETR 4"]);
}

#[test]
fn mail_sent_with_smtp_reads_back_through_pop3_with_its_attachment() {
    let servers = MailServers::start();
    let dir = common::temp_dir();
    let attachment = dir.path().join("data.bin");
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 13 % 251) as u8).collect();
    std::fs::write(&attachment, &bytes).unwrap();
    let (alice, alice_pw) = USERS[0];
    let (bob, bob_pw) = USERS[1];
    let script = format!(
        r#"smtp::send(#{{ host: "127.0.0.1", port: {submission}, ca_file: "{ca}", user: "{alice}", password: "{alice_pw}",
                        from: "{alice}", to: "{bob}", subject: "Übersicht Q4", text: "Zahlen im Anhang.\n",
                        attachments: ["{attachment}"] }});
        let c = pop3::connect("127.0.0.1", {pop3s}, #{{ ca_file: "{ca}", tls: "implicit" }});
        c.login("{bob}", "{bob_pw}");
        let n = 0;
        for i in 0..100 {{ n = c.stat().count; if n > 0 {{ break; }} c.quit(); sleep(0.1);
            c = pop3::connect("127.0.0.1", {pop3s}, #{{ ca_file: "{ca}", tls: "implicit" }}); c.login("{bob}", "{bob_pw}"); }}
        let m = mail::parse(c.retr(1));
        print(m.subject); let text = m.text; text.trim(); print(text);
        fs::write("{dir}/got.bin", m.attachments[0].data);
        c.quit();"#,
        submission = servers.submission_port,
        pop3s = servers.pop3s_port,
        ca = servers.ca_file(),
        attachment = attachment.display(),
        dir = dir.path().display()
    );
    let out = with_pop3(&["-e", &script]).ok();
    assert_eq!(out.stdout, "Übersicht Q4\nZahlen im Anhang.\n");
    assert_eq!(std::fs::read(dir.path().join("got.bin")).unwrap(), bytes);
}

#[test]
fn refusals_and_bad_input_are_the_documented_kinds() {
    let servers = MailServers::start();
    let (user, _) = SEED_USER;
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}}: ${{e.message}}`; }} }}
        let c = pop3::connect("127.0.0.1", {pop3}, #{{ timeout: 5 }});
        print(why(|| c.login("{user}", "wrong-password-31")));
        print(why(|| c.user("ann\r\nDELE 1")));
        print(why(|| c.retr(0)));
        print(why(|| c.top(1, -1)));
        print(why(|| pop3::connect("127.0.0.1", {pop3s}, #{{ tls: "implicit" }})));
        print(why(|| pop3::connect("127.0.0.1", 0)));
        print(why(|| pop3::connect("127.0.0.1", {closed})));
        print(why(|| pop3::connect("127.0.0.1", {pop3}, #{{ tls: "sometimes" }})));"#,
        pop3 = servers.pop3_port,
        pop3s = servers.pop3s_port,
        closed = common::free_port()
    );
    let out = with_pop3(&["--trace", "pop3", "-e", &script]).ok();
    let kinds: Vec<&str> = out.stdout.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "POP3Error",
            "InvalidArgument",
            "InvalidArgument",
            "InvalidArgument",
            "TlsError",
            "InvalidArgument",
            "ConnectionRefused",
            "InvalidArgument"
        ],
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("-ERR [AUTH] Authentication failed."), "{}", out.stdout);
    assert!(!out.stdout.contains("wrong-password-31") && !out.stderr.contains("wrong-password-31"));
    assert!(!out.stderr.contains("DELE"), "a CR/LF argument reached the wire: {}", out.stderr);
    let denied = with_pop3(&[
        "--allow-net=127.0.0.2",
        "-e",
        &format!(r#"try {{ pop3::connect("127.0.0.1", {}) }} catch (e) {{ print(e.kind) }}"#, servers.pop3_port),
    ]);
    assert_eq!(denied.stdout, "PermissionDenied\n", "{}", denied.stderr);
}

#[test]
fn it_loads_from_netscript_plugin_path_and_its_waits_overlap_in_parallel() {
    // A POP3 server that greets after 0.25 s, each connection in its own thread.
    let peer_code = r#"
import socket, sys, threading, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
def serve(c):
    time.sleep(0.25); c.sendall(b"+OK slow peer\r\n")
    f = c.makefile("rb")
    for line in f:
        if line.upper().startswith(b"QUIT"): c.sendall(b"+OK bye\r\n"); break
        c.sendall(b"+OK 0 0\r\n")
    c.close()
end = time.time() + 30
while time.time() < end:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;
    let mut peer = common::Peer::start("slow_pop3", "python3", &["-c", peer_code], None);
    let port: u16 = peer.read_line().parse().unwrap();
    let dir = common::temp_dir();
    std::fs::copy(pop3_library(), dir.path().join("libnetscript_pop3.so")).unwrap();
    let script = format!(
        r#"let started = now();
        let counts = parallel(0..16, |i| {{ let c = pop3::connect("127.0.0.1", {port}); let n = c.stat().count; c.quit(); n }}, #{{ limit: 16 }});
        let took = now() - started;
        print(counts.len());
        print(if took < 2.0 {{ "overlapped" }} else {{ `serial: ${{took}} s` }});"#
    );
    let mut cmd = std::process::Command::new(common::netscript_bin());
    cmd.args(["-e", &script])
        .env("NETSCRIPT_PLUGIN_PATH", dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = common::wait_with_limit(cmd.spawn().unwrap(), std::time::Duration::from_secs(60));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "16\noverlapped\n", "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_pop3_built_against_another_sdk_is_refused_before_it_runs() {
    // A copy of the SDK that differs in one comment has another identity.
    let root = common::repo_root();
    let other_sdk = common::target_profile_dir().join("outside-plugins/sdk-other");
    let _ = std::fs::remove_dir_all(&other_sdk);
    let status =
        std::process::Command::new("cp").arg("-r").arg(root.join("plugins/sdk")).arg(&other_sdk).status().unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(other_sdk.join("template"));
    let lib_rs = other_sdk.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib_rs).unwrap() + "\n// another SDK build\n";
    std::fs::write(&lib_rs, text).unwrap();
    let (project, target) = common::outside::project(
        "pop3-other",
        "plugins/pop3",
        r#"netscript-sdk = { path = "../sdk" }"#,
        Some(&other_sdk),
    );
    let so = common::outside::build(&project, &target, "netscript_pop3");
    let out = run(&["--plugin", so.to_str().unwrap(), "-e", "print(\"ran\")"]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stderr.contains("PluginError") && out.stderr.contains("SDK"), "{}", out.stderr);
    assert!(!out.stdout.contains("ran"));
}
