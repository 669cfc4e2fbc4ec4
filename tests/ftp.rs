//! The `ftp` module against a real pure-ftpd (plain and explicit FTPS), with Python's ftplib
//! as the foreign client: what netscript uploads ftplib reads back byte for byte and the
//! reverse; listings, folders, renames; a download lands only when whole (`.part`, resumed
//! after the server was killed mid-transfer); refusals are ftplib's kinds with their codes;
//! CR/LF is refused before anything is sent; the password appears nowhere.

mod common;
use common::ftp_server::FtpServer;
use common::run;

/// Runs `python3 -c CODE ARGS…` and returns its stdout.
fn python(code: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3").arg("-c").arg(code).args(args).output().expect("python3");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn files_folders_and_listings_round_trip_with_ftplib_over_ftp_and_ftps() {
    let server = FtpServer::start();
    let dir = common::temp_dir();
    let local = dir.path().join("data.bin");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&local, &bytes).unwrap();
    let back = dir.path().join("back.bin");
    for tls in ["none", "explicit"] {
        let script = format!(
            r#"let f = ftp::connect("127.0.0.1", {port}, #{{ tls: "{tls}", ca_file: "{ca}", timeout: 10 }});
            print(f.welcome.contains("Pure-FTPd"));
            f.login("ann", "ann-secret-pw");
            print(f.pwd());
            print(f.mkd("reports-{tls}"));
            f.cwd("reports-{tls}");
            print(f.put("{local}", "data.bin"));
            print(f.size("data.bin"));
            f.rename("data.bin", "data2.bin");
            print(f.nlst());
            let e = f.mlsd().filter(|e| e.type == "file")[0];
            print(`${{e.name}} ${{e.size}} ${{e.modify.len()}}`);
            print(f.dir().len());
            print(f.get("data2.bin", "{back}"));
            print(f.mdtm("data2.bin") > 1700000000);
            f.put_blob("hello.txt", "hello\r\nworld\r\n");
            print(f.retrlines("RETR hello.txt"));
            print(f.get_blob("hello.txt").len());
            print(f.sendcmd("NOOP"));
            f.quit();
            print(f.connected);"#,
            port = server.port,
            ca = server.ca_file(),
            local = local.display(),
            back = back.display()
        );
        let out = run(&["--allow-read", "--allow-write", "--allow-net", "-e", &script]).ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            lines,
            [
                "true",
                "/",
                &format!("reports-{tls}"),
                "3000000",
                "3000000",
                "[\"data2.bin\"]",
                "data2.bin 3000000 14",
                "1",
                "3000000",
                "true",
                "[\"hello\", \"world\"]",
                "14",
                "200 Zzz...",
                "false"
            ],
            "{tls}: {}",
            out.stderr
        );
        assert_eq!(std::fs::read(&back).unwrap(), bytes, "{tls}: the download differs");
        assert!(!dir.path().join("back.bin.part").exists());
        // ftplib, the foreign client, reads what netscript uploaded.
        let on_disk = server.home("ann").join(format!("reports-{tls}/data2.bin"));
        assert_eq!(std::fs::read(&on_disk).unwrap(), bytes);
    }
    let ftplib = python(
        r#"
import ftplib, io, sys
f = ftplib.FTP()
f.connect("127.0.0.1", int(sys.argv[1]))
f.login("ann", "ann-secret-pw")
buf = io.BytesIO()
f.retrbinary("RETR reports-none/data2.bin", buf.write)
print(len(buf.getvalue()))
f.storbinary("STOR from-python.bin", io.BytesIO(bytes(range(256)) * 10))
f.quit()
"#,
        &[&server.port.to_string()],
    );
    assert_eq!(ftplib.trim(), "3000000");
    let script = format!(
        r#"let f = ftp::connect("127.0.0.1", {port});
        f.login("ann", "ann-secret-pw");
        let b = f.get_blob("from-python.bin");
        print(`${{b.len()}} ${{b[255]}}`);"#,
        port = server.port
    );
    assert_eq!(run(&["-e", &script]).ok().stdout, "2560 255\n");
}

#[test]
fn refusals_are_ftplibs_kinds_and_bad_input_sends_nothing() {
    let server = FtpServer::start();
    let dir = common::temp_dir();
    let target = dir.path().join("missing.bin");
    let script = format!(
        r#"fn why(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return `${{e.kind}} ${{e.code}}`; }} }}
        let f = ftp::connect("127.0.0.1", {port}, #{{ timeout: 10 }});
        print(why(|| f.login("ann", "wrong-password-42")));
        f.login("ann", "ann-secret-pw");
        print(why(|| f.get("missing.bin", "{target}")));
        print(why(|| f.cwd("no-such-dir")));
        print(why(|| f.size("nothing")));
        print(why(|| f.delete("a\r\nDELE b")));
        print(why(|| f.sendcmd("NOOP\nQUIT")));
        print(why(|| f.get("x\ny", "{target}")));
        print(why(|| f.retrbinary("LIST", "{target}")));
        print(why(|| f.put_blob("x", 3)));
        print(ftp::all_errors.contains("error_perm"));
        let port = {closed};
        print(why(|| ftp::connect("127.0.0.1", port, #{{ timeout: 5 }})));
        print(why(|| ftp::connect("127.0.0.1", {port}, #{{ tls: "explicit" }})));
        print(why(|| ftp::connect("127.0.0.1", -1)));
        print(f.connected);"#,
        port = server.port,
        target = target.display(),
        closed = common::free_port()
    );
    let out = run(&["--trace", "ftp", "-e", &script]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "error_perm 530",
            "error_perm 550",
            "error_perm 550",
            "error_perm 550",
            "InvalidArgument ",
            "InvalidArgument ",
            "InvalidArgument ",
            "InvalidArgument ",
            "InvalidArgument ",
            "true",
            "ConnectionRefused ",
            "TlsError ",
            "InvalidArgument ",
            "true"
        ],
        "{}",
        out.stderr
    );
    assert!(!target.exists() && !dir.path().join("missing.bin.part").exists(), "a local file was left");
    assert!(out.stderr.contains("[ftp] > PASS ****") && !out.stderr.contains("wrong-password-42"), "{}", out.stderr);
    assert!(!out.stdout.contains("wrong-password-42"));
    assert!(!out.stderr.contains("DELE b") && !out.stderr.contains("> QUIT\n[ftp] > NOOP"), "{}", out.stderr);
}

#[test]
fn a_download_broken_by_a_dead_server_leaves_no_file_and_resume_completes_it() {
    let mut server = FtpServer::start();
    let bytes: Vec<u8> = (0..60_000_000u32).map(|i| (i % 253) as u8).collect();
    server.put_file("ann", "big.bin", &bytes);
    let dir = common::temp_dir();
    let target = dir.path().join("big.bin");
    let script = format!(
        r#"let f = ftp::connect("127.0.0.1", {port}, #{{ timeout: 5 }});
        f.login("ann", "ann-secret-pw");
        try {{ f.get("big.bin", "{target}"); print("finished"); }} catch (e) {{ print(e.kind); }}"#,
        port = server.port,
        target = target.display()
    );
    let mut cmd = std::process::Command::new(common::netscript_bin());
    cmd.args(["-e", &script]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Kill the server once part of the file has arrived.
    let part = dir.path().join("big.bin.part");
    let started = std::time::Instant::now();
    while std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) < 1_000_000 && started.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.stop();
    let out = common::wait_with_limit(child, std::time::Duration::from_secs(60));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!said.contains("finished"), "the transfer was not cut: {said}");
    assert!(!target.exists(), "a partial file at the target path");
    let kept = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    assert!(kept > 0 && kept < bytes.len() as u64, "the .part holds {kept} bytes");
    server.restart();
    let resume = format!(
        r#"let f = ftp::connect("127.0.0.1", {port}, #{{ timeout: 10 }});
        f.login("ann", "ann-secret-pw");
        print(f.get("big.bin", "{target}", #{{ resume: true }}));"#,
        port = server.port,
        target = target.display()
    );
    let out = run(&["--trace", "ftp", "-e", &resume]).ok();
    assert_eq!(out.stdout.trim(), (bytes.len() as u64 - kept).to_string(), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("REST {kept}")), "{}", out.stderr);
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    assert!(!part.exists());
}

/// The peer's port for `mode`, and the peer (stopped when dropped).
fn misbehaving_peer(mode: &str) -> (common::Peer, u16) {
    let path = common::repo_root().join("tests/peers/ftp_peer.py");
    let mut peer = common::Peer::start("ftp_peer", "python3", &[path.to_str().unwrap(), mode], None);
    let port = peer.read_line().parse().unwrap_or_else(|_| panic!("ftp_peer {mode} printed no port"));
    (peer, port)
}

/// Replies pure-ftpd will not give: a garbled line is `error_proto`; a 421 in the middle of
/// a download is `error_temp` 421 with no file at the target; a data connection refused or
/// never accepted is a clear error within the timeout; a PASV address that is not the
/// server's is refused (the FTP bounce); EPSV refused falls back to PASV.
#[test]
fn misbehaving_servers_give_the_documented_kinds() {
    let dir = common::temp_dir();
    let target = dir.path().join("got.bin");
    for (mode, want) in [
        ("garbled", "error_proto"),
        ("421_mid_transfer", "error_temp 421"),
        ("no_data_connection", "ConnectionRefused"),
        ("data_never_accepts", "Timeout"),
        ("pasv_elsewhere", "PermissionDenied"),
    ] {
        let (_peer, port) = misbehaving_peer(mode);
        let script = format!(
            r#"try {{
                let f = ftp::connect("127.0.0.1", {port}, #{{ timeout: 2 }});
                f.login("ann", "pw");
                f.get("bytes.bin", "{target}");
                print("no error");
            }} catch (e) {{ print(`${{e.kind}} ${{e.code}}`); }}"#,
            target = target.display()
        );
        let started = std::time::Instant::now();
        let out = run(&["-e", &script]).ok();
        assert!(out.stdout.trim().starts_with(want), "{mode}: {} {}", out.stdout, out.stderr);
        assert!(started.elapsed().as_secs() < 10, "{mode} took {:?}", started.elapsed());
        assert!(!target.exists(), "{mode}: a file at the target path");
    }
    // The normal peer refuses EPSV? No: it offers both; pasv_elsewhere refuses EPSV (502),
    // so the fallback to PASV is what found the bad address above. A normal download works.
    let (_peer, port) = misbehaving_peer("normal");
    let script = format!(
        r#"let f = ftp::connect("127.0.0.1", {port}, #{{ timeout: 5 }});
        f.login();
        print(f.get("bytes.bin", "{target}"));"#,
        target = target.display()
    );
    assert_eq!(run(&["-e", &script]).ok().stdout, "65536\n");
}

/// `scripts/ftp_mirror.rhai` as its header says: a first run copies the folder (subfolders
/// too), a second copies nothing, a changed file alone goes, `--delete` removes what the
/// source lacks, `--down` brings it all back identical, `--parallel 4` copies over four
/// connections; a usage error exits 2, a refused login 1.
#[test]
fn ftp_mirror_sends_only_what_changed_both_ways() {
    let server = FtpServer::start();
    let dir = common::temp_dir();
    let local = dir.path().join("site");
    std::fs::create_dir_all(local.join("sub/deeper")).unwrap();
    for (name, text) in
        [("a.txt", "alpha"), ("b.txt", "bravo"), ("sub/c.bin", "charlie"), ("sub/deeper/d.txt", "delta")]
    {
        std::fs::write(local.join(name), text).unwrap();
    }
    let mirror = |args: &[&str], password: &str| {
        let mut cmd = std::process::Command::new(common::netscript_bin());
        cmd.arg(common::repo_root().join("scripts/ftp_mirror.rhai"))
            .args(args)
            .args(["--host", "127.0.0.1", "--port", &server.port.to_string(), "--user", "ann"])
            .env("FTP_PASSWORD", password)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = common::wait_with_limit(cmd.spawn().unwrap(), std::time::Duration::from_secs(60));
        let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), said)
    };
    let local_arg = local.to_str().unwrap();
    let (status, said) = mirror(&[local_arg, "backup"], "ann-secret-pw");
    assert_eq!(status, Some(0), "{said}");
    assert!(said.contains(": copied 4 (22 bytes), 0 unchanged, 0 deleted, 0 failed"), "{said}");
    assert_eq!(std::fs::read(server.home("ann").join("backup/sub/deeper/d.txt")).unwrap(), b"delta");
    let (status, said) = mirror(&[local_arg, "backup"], "ann-secret-pw");
    assert_eq!(status, Some(0));
    assert!(said.contains(": copied 0 (0 bytes), 4 unchanged"), "{said}");
    std::fs::write(local.join("b.txt"), "bravo two").unwrap();
    std::fs::remove_file(local.join("a.txt")).unwrap();
    let (status, said) = mirror(&[local_arg, "backup", "--delete"], "ann-secret-pw");
    assert_eq!(status, Some(0), "{said}");
    assert!(said.contains("put b.txt") && said.contains("delete a.txt"), "{said}");
    assert!(said.contains(": copied 1 (9 bytes), 2 unchanged, 1 deleted, 0 failed"), "{said}");
    assert!(!server.home("ann").join("backup/a.txt").exists());
    let back = dir.path().join("back");
    let (status, said) = mirror(&[back.to_str().unwrap(), "backup", "--down"], "ann-secret-pw");
    assert_eq!(status, Some(0), "{said}");
    for name in ["b.txt", "sub/c.bin", "sub/deeper/d.txt"] {
        assert_eq!(std::fs::read(back.join(name)).unwrap(), std::fs::read(local.join(name)).unwrap(), "{name}");
    }
    // --json: the counts and the actions for a machine.
    let (status, said) = mirror(&[local_arg, "backup", "--dry-run", "--json"], "ann-secret-pw");
    assert_eq!(status, Some(0), "{said}");
    let report: serde_json::Value = serde_json::from_str(&said).unwrap_or_else(|e| panic!("{e}: {said}"));
    assert_eq!(
        (report["copied"].as_i64(), report["failed"].as_i64(), report["dry_run"].as_bool()),
        (Some(0), Some(0), Some(true)),
        "{said}"
    );
    // Over 4 connections at once: every file arrives once.
    for i in 0..20 {
        std::fs::write(local.join(format!("many-{i}.txt")), format!("file {i}")).unwrap();
    }
    let (status, said) = mirror(&[local_arg, "backup", "--parallel", "4"], "ann-secret-pw");
    assert_eq!(status, Some(0), "{said}");
    assert!(said.contains(": copied 20 (") && said.contains(", 3 unchanged, 0 deleted, 0 failed"), "{said}");
    for i in 0..20 {
        assert_eq!(
            std::fs::read_to_string(server.home("ann").join(format!("backup/many-{i}.txt"))).unwrap(),
            format!("file {i}")
        );
    }
    let (status, _) = mirror(&[local_arg], "ann-secret-pw");
    assert_eq!(status, Some(2));
    let (status, said) = mirror(&[local_arg, "backup"], "not-anns-password");
    assert_eq!(status, Some(1), "{said}");
    assert!(said.contains("530") && !said.contains("not-anns-password"), "{said}");
}

/// Anonymous login (`anonymous@`), MLSD's every fact (pure-ftpd's `unix.mode`, `unique`),
/// FEAT, `dir` with a closure, `voidcmd` refusing a 5xx, and `--trace ftp`.
#[test]
fn anonymous_listings_facts_and_the_trace() {
    let server = FtpServer::start();
    server.put_file("anonymous", "pub/readme.txt", b"read me\n");
    let script = format!(
        r#"let f = ftp::connect("127.0.0.1", {port});
        f.login();
        let e = f.mlsd("pub").filter(|e| e.type == "file")[0];
        print(`${{e.name}} ${{e.size}} ${{"unix.mode" in e}} ${{"unique" in e}}`);
        print(f.mlst("pub/readme.txt").size);
        print("MLST" in f.feat() && "EPSV" in f.feat());
        let n = 0;
        f.dir("pub", |line| n += 1);
        print(n);
        try {{ f.voidcmd("SITE NOSUCHTHING"); }} catch (e) {{ print(`${{e.kind}} ${{e.code}}`); }}
        try {{ f.put_blob("not-here.txt", "x"); }} catch (e) {{ print(`${{e.kind}} ${{e.code}}`); }}
        f.put_blob("incoming/up.txt", "up");
        f.quit();"#,
        port = server.port
    );
    let out = run(&["--trace", "ftp", "-e", &script]).ok();
    assert_eq!(out.stdout, "readme.txt 8 true true\n8\ntrue\n1\nerror_perm 500\nerror_perm 553\n", "{}", out.stderr);
    assert_eq!(std::fs::read(server.home("anonymous").join("incoming/up.txt")).unwrap(), b"up");
    for line in
        ["[ftp] > USER anonymous", "[ftp] < 230", "[ftp] > MLSD pub", "[ftp] > STOR incoming/up.txt", "[ftp] > QUIT"]
    {
        assert!(out.stderr.contains(line), "{line} not traced:\n{}", out.stderr);
    }
}

/// Implicit FTPS (TLS from the first byte, control and data) against the Python peer
/// (pure-ftpd cannot speak it), which refuses a data connection that does not resume the
/// control connection's TLS session (as vsftpd's `require_ssl_reuse`); active mode against
/// pure-ftpd.
#[test]
fn implicit_ftps_and_active_mode_transfer_whole_files() {
    let certs = common::temp_dir();
    common::write_test_certs(certs.path());
    let path = common::repo_root().join("tests/peers/ftp_peer.py");
    let (cert, key) = (certs.path().join("server.pem"), certs.path().join("server.key"));
    let mut peer = common::Peer::start(
        "ftp_peer",
        "python3",
        &[path.to_str().unwrap(), "implicit_tls", cert.to_str().unwrap(), key.to_str().unwrap()],
        None,
    );
    let port: u16 = peer.read_line().parse().unwrap();
    let ca = certs.path().join("ca.pem");
    let script = format!(
        r#"let f = ftp::connect("localhost", {port}, #{{ tls: "implicit", ca_file: "{ca}", timeout: 5 }});
        f.login("ann", "pw");
        print(f.get_blob("bytes.bin").len());
        print(f.put_blob("new.bin", blob(5000, 7)));
        print(f.size("new.bin"));
        try {{ ftp::connect("localhost", {port}, #{{ tls: "implicit", timeout: 5 }}); }} catch (e) {{ print(e.kind); }}"#,
        ca = ca.display()
    );
    assert_eq!(run(&["-e", &script]).ok().stdout, "65536\n5000\n5000\nTlsError\n");
    let server = FtpServer::start();
    let script = format!(
        r#"let f = ftp::connect("127.0.0.1", {port}, #{{ passive: false, timeout: 5 }});
        f.login("ann", "ann-secret-pw");
        print(f.put_blob("active.txt", "over an active data connection"));
        print(f.get_blob("active.txt").as_string());"#,
        port = server.port
    );
    assert_eq!(run(&["-e", &script]).ok().stdout, "30\nover an active data connection\n");
}
