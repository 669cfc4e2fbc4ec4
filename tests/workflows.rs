//! The workflow scripts of `scripts/` end to end against the harness's real servers
//! (Dovecot, Postfix, pure-ftpd), run as users run them: `netscript scripts/NAME.rhai …`.
//!
//! `backup_mail.rhai`: a first run archives every seeded message (one `.eml` each, byte for
//! byte, and an index line with its SHA-256), uploads the archive to FTP (sizes as on disk)
//! and mails a report Postfix delivers; a second run fetches nothing; new mail is fetched
//! alone; nothing on the server is flagged or deleted unless `--expunge-after-upload`, which
//! then removes exactly the uploaded messages. Faults, nothing lost and nothing twice:
//! - the FTP server down: exit 1, a clear error, the archive complete; rerun with it back:
//!   every file on FTP once;
//! - the SMTP server unreachable for the report: exit 3, the backup done (state saved);
//! - the IMAP server stopped mid-fetch: exit 1; the rerun completes without duplicates;
//! - the process killed with SIGKILL at 20 random moments: the state file is always valid
//!   JSON, no partial `.eml` is ever in the archive, and a final run ends with every
//!   message exactly once, in the archive and on FTP;
//! - a second run while one holds the archive's lock stops at once (exit 1);
//! - a renumbered folder (new UIDVALIDITY) is read again without duplicates.
//!
//! `subnet_plan.rhai`: a plan for five sites around three allocations, checked by Python's
//! `ipaddress` (each subnet inside the network, aligned, big enough, overlapping neither
//! another nor an allocation), the JSON file the same plan; overlapping allocations and a
//! plan that cannot fit exit 1, bad input 2.
//!
//! `site_monitor.rhai`: an HTTP server, a TCP port, a TLS certificate (Dovecot's, with its
//! CA), a DNS name (BIND) and a server that accepts and never answers, checked at once: the
//! good checks finish in well under the hanging one's timeout, which reports `Timeout`; one
//! alert mail (through Postfix) on the first run naming what is down, none on an unchanged
//! second run, and one saying "back up" when the hanging check is replaced by a working one.

mod common;
use common::ftp_server::FtpServer;
use common::mail_servers::SEED_USER;
use common::MailServers;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const CAROL: &str = SEED_USER.0;
const CAROL_PW: &str = SEED_USER.1;
const FTP_USER: &str = "ann";
const FTP_PW: &str = "ann-secret-pw";

/// One numbered test message with a unique Message-ID.
fn message(n: usize, size: usize) -> Vec<u8> {
    let mut text = format!(
        "From: Sender {n} <sender{n}@example.org>\r\nTo: {CAROL}\r\nSubject: message {n}\r\nDate: Mon, 1 Dec 2026 10:{:02}:00 +0000\r\nMessage-ID: <m{n}@example.org>\r\n\r\n",
        n % 60
    );
    while text.len() < size {
        text.push_str(&format!("line {n} of the body, to make the message its size\r\n"));
    }
    text.into_bytes()
}

/// The servers a backup talks to, and the archive folder.
struct Setup {
    mail: MailServers,
    ftp: FtpServer,
    dir: tempfile::TempDir,
}

impl Setup {
    fn start() -> Setup {
        Setup { mail: MailServers::start(), ftp: FtpServer::start(), dir: common::temp_dir() }
    }

    fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    /// `netscript scripts/backup_mail.rhai ARCHIVE` with the servers' settings and `extra`.
    fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = Command::new(common::netscript_bin());
        cmd.arg(common::repo_root().join("scripts/backup_mail.rhai"))
            .arg(self.archive())
            .args(["--imap-host", "127.0.0.1", "--imap-port", &self.mail.imaps_port.to_string()])
            .args(["--user", CAROL, "--ca-file", &self.mail.ca_file(), "--timeout", "10"])
            .args(["--ftp-host", "127.0.0.1", "--ftp-port", &self.ftp.port.to_string(), "--ftp-user", FTP_USER])
            .args(extra)
            .env("IMAP_PASSWORD", CAROL_PW)
            .env("FTP_PASSWORD", FTP_PW)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs the backup; (exit status, stdout, stderr).
    fn run(&self, extra: &[&str]) -> (i32, String, String) {
        let out = common::wait_with_limit(self.command(extra).spawn().unwrap(), Duration::from_secs(120));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }

    /// The `.eml` files of a folder's archive: name → bytes.
    fn archived(&self, folder: &str) -> BTreeMap<String, Vec<u8>> {
        emls(&self.archive().join(folder))
    }

    /// The `.eml` files on FTP for a folder: name → bytes.
    fn uploaded(&self, folder: &str) -> BTreeMap<String, Vec<u8>> {
        emls(&self.ftp.home(FTP_USER).join("mail-backup").join(folder))
    }

    /// The index lines of a folder's archive.
    fn index(&self, folder: &str) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.archive().join(folder).join("index.jsonl")).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("index line {l:?}: {e}"))).collect()
    }

    /// The flags Dovecot keeps for each message of carol's INBOX (the Maildir `:2,` suffix).
    fn flags(&self) -> Vec<String> {
        let cur = self.mail.maildir(CAROL).join("cur");
        let mut flags: Vec<String> = std::fs::read_dir(cur)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().rsplit(":2,").next().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        flags.sort();
        flags
    }
}

/// The `.eml` files in `dir`: name → bytes (none when there is no folder).
fn emls(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

/// The messages as IMAP hands them out (CRLF line ends), by their Message-ID number.
fn by_number(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<usize, Vec<u8>> {
    let mut out = BTreeMap::new();
    for data in files.values() {
        let text = String::from_utf8_lossy(data);
        let n: usize = text.split("Message-ID: <m").nth(1).and_then(|r| r.split('@').next()).unwrap().parse().unwrap();
        assert!(out.insert(n, data.clone()).is_none(), "message {n} is archived twice");
    }
    out
}

#[test]
fn backup_mail_archives_uploads_and_reports_then_fetches_only_new_mail() {
    let s = Setup::start();
    let first: Vec<Vec<u8>> = (1..=12).map(|n| message(n, 2_000 + n * 500)).collect();
    s.mail.seed(CAROL, None, &first);
    let (status, out, err) = s.run(&[
        "--report-to",
        "bob@example.test",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &s.mail.plain_port.to_string(),
        "--smtp-tls",
        "none",
    ]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.contains("12 new messages archived from 1 folder ") && out.contains("13 files"), "{out}");
    // Every message once, byte for byte as seeded (CRLF), with its index line.
    let archived = by_number(&s.archived("INBOX"));
    assert_eq!(archived.len(), 12);
    for (n, data) in &archived {
        assert_eq!(data, &first[n - 1], "message {n}");
    }
    let index = s.index("INBOX");
    assert_eq!(index.len(), 12);
    for entry in &index {
        let file = entry["file"].as_str().unwrap();
        let data = std::fs::read(s.archive().join("INBOX").join(file)).unwrap();
        assert_eq!(entry["size"].as_u64().unwrap() as usize, data.len());
        let sha = Command::new("sha256sum").arg(s.archive().join("INBOX").join(file)).output().unwrap();
        assert!(String::from_utf8_lossy(&sha.stdout).starts_with(entry["sha256"].as_str().unwrap()), "{entry}");
        assert!(entry["subject"].as_str().unwrap().starts_with("message "));
    }
    // On FTP: the same files, the same bytes, no .part left.
    assert_eq!(s.uploaded("INBOX"), s.archived("INBOX"));
    let remote = s.ftp.home(FTP_USER).join("mail-backup/INBOX");
    assert!(std::fs::read_dir(&remote).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".part")));
    // The report reached bob through Postfix.
    let reports = s.mail.wait_for_messages("bob", 1);
    let report = String::from_utf8_lossy(&reports[0]);
    assert!(report.contains("Subject: mail backup: 12 new") && report.contains("12 new messages archived"), "{report}");
    // Read-only: no message flagged (not even \Seen).
    assert!(s.flags().iter().all(|f| f.is_empty()), "{:?}", s.flags());
    // The state remembers the folder.
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.archive().join(".state.json")).unwrap()).unwrap();
    assert_eq!(state["folders"]["INBOX"]["last_uid"], 12, "{state}");

    // Nothing new: nothing fetched, nothing uploaded.
    let (status, out, err) = s.run(&["--json"]);
    assert_eq!(status, 0, "{out}\n{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!((summary["added"].as_i64(), summary["uploaded"].as_i64()), (Some(0), Some(0)), "{out}");

    // Three new: those alone, and the index on FTP updated.
    let more: Vec<Vec<u8>> = (13..=15).map(|n| message(n, 3_000)).collect();
    s.mail.seed(CAROL, None, &more);
    let (status, out, err) = s.run(&["--json"]);
    assert_eq!(status, 0, "{out}\n{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((summary["added"].as_i64(), summary["uploaded"].as_i64()), (Some(3), Some(4)), "{out}");
    assert_eq!(by_number(&s.uploaded("INBOX")).len(), 15);
    assert_eq!(
        std::fs::read(remote.join("index.jsonl")).unwrap(),
        std::fs::read(s.archive().join("INBOX/index.jsonl")).unwrap()
    );

    // --expunge-after-upload: the 15 go from the server, and only once they are on FTP.
    let (status, out, err) = s.run(&["--expunge-after-upload"]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.contains("15 expunged"), "{out}");
    assert!(s.flags().is_empty(), "messages left: {:?}", s.flags());
    assert_eq!(by_number(&s.archived("INBOX")).len(), 15);
}

#[test]
fn backup_mail_usage_errors_and_a_second_run_exit_2_and_1() {
    let s = Setup::start();
    let (status, out, _) = s.run(&["--help"]);
    assert_eq!(status, 0);
    assert!(
        out.contains("usage: netscript scripts/backup_mail.rhai ARCHIVE") && out.contains("--expunge-after-upload"),
        "{out}"
    );
    let (status, _, err) = s.run(&["--connections", "x"]);
    assert_eq!(status, 2);
    assert!(err.contains("--connections: 'x' is not a whole number"), "{err}");
    let mut cmd = s.command(&[]);
    cmd.env_remove("IMAP_PASSWORD");
    let out = common::wait_with_limit(cmd.spawn().unwrap(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IMAP_PASSWORD"));
    // The archive locked by another run: this one stops at once.
    std::fs::create_dir_all(s.archive()).unwrap();
    let code = format!("let l = fs::lock(\"{}/.state.json.lock\"); print(\"held\"); sleep(30);", s.archive().display());
    let mut holder =
        common::Peer::start("lock holder", common::netscript_bin().to_str().unwrap(), &["-e", &code], None);
    assert_eq!(holder.read_line(), "held");
    let (status, out, err) = s.run(&[]);
    assert_eq!(status, 1, "{out}\n{err}");
    assert!(err.contains("another run is still going"), "{err}");
    holder.stop();
    // A wrong password: exit 1, the password nowhere, and the report still says so.
    let plain = s.mail.plain_port.to_string();
    let mut cmd = s.command(&[
        "--report-to",
        "bob@example.test",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &plain,
        "--smtp-tls",
        "none",
    ]);
    cmd.env("IMAP_PASSWORD", "not-the-password-xyz");
    let out = common::wait_with_limit(cmd.spawn().unwrap(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("IMAPError") && !said.contains("not-the-password-xyz"), "{said}");
    let report = String::from_utf8_lossy(&s.mail.wait_for_messages("bob", 1)[0]).into_owned();
    assert!(report.contains("FAILED") && report.contains("IMAPError"), "{report}");
    assert!(!report.contains("not-the-password-xyz"));
    // FTP named without its password: a usage error before any work.
    let mut cmd = s.command(&[]);
    cmd.env_remove("FTP_PASSWORD");
    let out = common::wait_with_limit(cmd.spawn().unwrap(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FTP_PASSWORD"));
    // An empty ARCHIVE is refused (it would be the current folder or /).
    let out = common::run(&[
        common::repo_root().join("scripts/backup_mail.rhai").to_str().unwrap(),
        "",
        "--imap-host",
        "x",
        "--user",
        "y",
    ]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains("ARCHIVE: the value is empty"), "{}", out.stderr);
}

/// Waits until `dir` holds at least `n` files ending in one of `endings`; false when `child`
/// ended first or 60 s went by.
fn wait_for_files(dir: &Path, endings: &[&str], n: usize, child: &mut std::process::Child) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let count = std::fs::read_dir(dir)
            .map(|d| {
                d.filter(|e| {
                    let name = e.as_ref().unwrap().file_name().to_string_lossy().into_owned();
                    endings.iter().any(|x| name.ends_with(x))
                })
                .count()
            })
            .unwrap_or(0);
        if count >= n {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// Every archived `.eml` is a whole seeded message (never a partial one), and each message
/// is there at most once.
fn assert_whole(s: &Setup, seeded: &[Vec<u8>]) -> usize {
    let archived = by_number(&s.archived("INBOX"));
    for (n, data) in &archived {
        assert_eq!(data, &seeded[n - 1], "message {n} is not whole");
    }
    archived.len()
}

#[test]
fn backup_mail_with_ftp_stopped_mid_upload_fails_then_a_rerun_uploads_each_file_once() {
    let mut s = Setup::start();
    let seeded: Vec<Vec<u8>> = (1..=300).map(|n| message(n, 4_000)).collect();
    s.mail.seed(CAROL, None, &seeded);
    let mut child = s.command(&[]).spawn().unwrap();
    let remote = s.ftp.home(FTP_USER).join("mail-backup/INBOX");
    assert!(wait_for_files(&remote, &[".eml", ".part"], 5, &mut child), "the upload never started");
    s.ftp.stop();
    let out = common::wait_with_limit(child, Duration::from_secs(60));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("FTP 127.0.0.1: Connection"), "{err}");
    // The archive is complete, nothing on the server changed.
    assert_eq!(assert_whole(&s, &seeded), 300);
    assert!(by_number(&s.uploaded("INBOX")).len() < 300);
    assert!(s.flags().iter().all(|f| f.is_empty()));

    s.ftp.restart();
    let (status, out, err) = s.run(&["--expunge-after-upload"]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.contains("0 new messages archived") && out.contains("300 expunged"), "{out}");
    assert_eq!(s.uploaded("INBOX"), s.archived("INBOX"));
    assert!(std::fs::read_dir(&remote).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".part")));
    assert_eq!(s.index("INBOX").len(), 300);
}

#[test]
fn backup_mail_with_imap_stopped_mid_fetch_resumes_from_the_last_whole_message() {
    let mut s = Setup::start();
    let seeded: Vec<Vec<u8>> = (1..=300).map(|n| message(n, 30_000)).collect();
    s.mail.seed(CAROL, None, &seeded);
    let mut child = s.command(&[]).spawn().unwrap();
    assert!(wait_for_files(&s.archive().join("INBOX"), &[".eml"], 3, &mut child), "the fetch never started");
    s.mail.stop_dovecot();
    let out = common::wait_with_limit(child, Duration::from_secs(60));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("INBOX: IMAPAbort") || err.contains("INBOX: ConnectionClosed"), "{err}");
    let before = assert_whole(&s, &seeded);
    assert!((3..300).contains(&before), "{before} archived before the stop");

    s.mail.restart_dovecot();
    let (status, out, err) = s.run(&["--json"]);
    assert_eq!(status, 0, "{out}\n{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["added"].as_u64().unwrap() as usize, 300 - before, "{out}");
    assert_eq!(assert_whole(&s, &seeded), 300);
    let uids: std::collections::BTreeSet<u64> = s.index("INBOX").iter().map(|e| e["uid"].as_u64().unwrap()).collect();
    assert_eq!((s.index("INBOX").len(), uids.len()), (300, 300));
    assert_eq!(s.uploaded("INBOX"), s.archived("INBOX"));
}

#[test]
fn backup_mail_with_no_smtp_server_still_backs_up_and_exits_3() {
    let s = Setup::start();
    let seeded: Vec<Vec<u8>> = (1..=5).map(|n| message(n, 2_000)).collect();
    s.mail.seed(CAROL, None, &seeded);
    let nobody = common::free_port().to_string();
    let (status, out, err) = s.run(&[
        "--report-to",
        "bob@example.test",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &nobody,
        "--smtp-tls",
        "none",
    ]);
    assert_eq!(status, 3, "{out}\n{err}");
    assert!(err.contains("report to bob@example.test not sent: ConnectionRefused"), "{err}");
    assert!(out.contains("5 new messages archived"), "{out}");
    assert_eq!(assert_whole(&s, &seeded), 5);
    assert_eq!(s.uploaded("INBOX"), s.archived("INBOX"));
    // Counted as done: the next run has nothing to do.
    let (status, out, err) = s.run(&["--json"]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.contains("\"added\": 0"), "{out}");
}

#[test]
fn backup_mail_killed_at_20_random_moments_never_corrupts_and_ends_with_each_message_once() {
    let s = Setup::start();
    let seeded: Vec<Vec<u8>> = (1..=415).map(|n| message(n, 6_000)).collect();
    s.mail.seed(CAROL, None, &seeded[..115]);
    // A small generator of its own (no rand crate in the tests): the moments vary per run
    // and are printed, so a failure can be replayed.
    let mut x = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let mut next = move |below: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % below.max(1)
    };
    let state_file = s.archive().join(".state.json");
    let inbox = s.archive().join("INBOX");
    let remote = s.ftp.home(FTP_USER).join("mail-backup/INBOX");
    let count = |dir: &Path| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let (mut mid_fetch, mut mid_upload) = (0, 0);
    for trial in 0..20 {
        // 15 new messages each time: every run has mail to fetch and files to upload.
        let there = 115 + 15 * trial;
        s.mail.seed(CAROL, None, &seeded[there..there + 15]);
        // The moment: a random time into the run, or a random point of its fetch (after the
        // k-th new file in the archive) or of its upload (after the k-th new file on FTP) —
        // whatever the machine's speed, every phase gets killed in.
        let (archived_before, uploaded_before) = (count(&inbox), count(&remote));
        let mut child = s.command(&[]).spawn().unwrap();
        let how = match next(3) {
            0 => {
                let after = Duration::from_millis(next(400));
                std::thread::sleep(after);
                format!("after {after:?}")
            }
            phase => {
                let (dir, before) = if phase == 1 { (&inbox, archived_before) } else { (&remote, uploaded_before) };
                let k = 1 + next(12) as usize;
                let start = std::time::Instant::now();
                while count(dir) < before + k
                    && child.try_wait().unwrap().is_none()
                    && start.elapsed() < Duration::from_secs(30)
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
                format!("once {k} new files were {}", if phase == 1 { "archived" } else { "uploaded" })
            }
        };
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if state_file.exists() {
            let text = std::fs::read_to_string(&state_file).unwrap();
            assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "trial {trial} ({how}): {text}");
        }
        let whole = assert_whole(&s, &seeded);
        let uploaded = s.uploaded("INBOX").len();
        mid_fetch += usize::from(whole < there + 15);
        mid_upload += usize::from(whole == there + 15 && uploaded < whole);
        eprintln!("trial {trial}: killed {how}, {whole} of {} archived, {uploaded} uploaded", there + 15);
    }
    eprintln!("{mid_fetch} runs killed while fetching, {mid_upload} while uploading");
    assert!(mid_fetch > 0 && mid_upload > 0, "{mid_fetch} kills mid-fetch, {mid_upload} mid-upload");
    let (status, out, err) = s.run(&["--json"]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(assert_whole(&s, &seeded), 415);
    let index = s.index("INBOX");
    let uids: std::collections::BTreeSet<u64> = index.iter().map(|e| e["uid"].as_u64().unwrap()).collect();
    assert_eq!((index.len(), uids.len()), (415, 415));
    assert_eq!(s.uploaded("INBOX"), s.archived("INBOX"));
    assert!(std::fs::read_dir(&remote).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".part")));
    // No temp file left in the archive either.
    assert!(std::fs::read_dir(s.archive().join("INBOX")).unwrap().all(|e| {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        name.ends_with(".eml") || name == "index.jsonl"
    }));
}

#[test]
fn backup_mail_reads_a_renumbered_folder_again_without_duplicates() {
    let s = Setup::start();
    let seeded: Vec<Vec<u8>> = (1..=6).map(|n| message(n, 2_000)).collect();
    s.mail.seed(CAROL, None, &seeded);
    let (status, out, err) = s.run(&[]);
    assert_eq!(status, 0, "{out}\n{err}");
    // Dovecot renumbers a Maildir whose UID list and indexes are gone (a restore, a move).
    let maildir = s.mail.maildir(CAROL);
    for entry in std::fs::read_dir(&maildir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "dovecot-uidlist" || name.starts_with("dovecot.index") {
            std::fs::remove_file(maildir.join(&name)).unwrap();
        }
    }
    let more: Vec<Vec<u8>> = (7..=8).map(|n| message(n, 2_000)).collect();
    s.mail.seed(CAROL, None, &more);
    let (status, out, err) = s.run(&[]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.contains("renumbered: read again") && out.contains("2 new messages archived"), "{out}");
    let all: Vec<Vec<u8>> = seeded.into_iter().chain(more).collect();
    assert_eq!(assert_whole(&s, &all), 8);
    assert_eq!(s.uploaded("INBOX"), s.archived("INBOX"));
}

#[test]
fn site_monitor_checks_at_once_and_mails_only_changes_of_state() {
    let mail = MailServers::start();
    let bind = common::Bind::start();
    let dir = common::temp_dir();
    // A web server (Python's), and a server that accepts connections and never answers.
    let web_port = common::free_port();
    let web = common::Peer::start(
        "web",
        "python3",
        &[
            "-m",
            "http.server",
            &web_port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
            dir.path().to_str().unwrap(),
        ],
        None,
    )
    .accepting_on(web_port, Duration::from_secs(10))
    .expect("python http.server");
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    let checks = |hanging_url: &str| {
        format!(
            r#"{{ "checks": [
                {{ "name": "web", "url": "http://127.0.0.1:{web_port}/", "max_ms": 5000 }},
                {{ "name": "hanging", "url": "{hanging_url}", "timeout": 3 }},
                {{ "name": "imaps port", "tcp": "127.0.0.1:{imaps}" }},
                {{ "name": "imaps cert", "tls": "127.0.0.1:{imaps}", "ca_file": "{ca}", "min_days": 10 }},
                {{ "name": "dns", "dns": "mail2.example.test", "nameserver": "127.0.0.1:{dns}", "expect": ["127.0.0.3"] }}
            ] }}"#,
            imaps = mail.imaps_port,
            ca = mail.ca_file(),
            dns = bind.port,
        )
    };
    let file = dir.path().join("checks.json");
    std::fs::write(&file, checks(&format!("http://127.0.0.1:{hang_port}/"))).unwrap();
    let monitor = |extra: &[&str]| {
        let mut cmd = Command::new(common::netscript_bin());
        cmd.arg(common::repo_root().join("scripts/site_monitor.rhai"))
            .arg(&file)
            .args(["--alert-to", "bob@example.test", "--smtp-host", "127.0.0.1"])
            .args(["--smtp-port", &mail.plain_port.to_string(), "--smtp-tls", "none"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = std::time::Instant::now();
        let out = common::wait_with_limit(cmd.spawn().unwrap(), Duration::from_secs(60));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap_or(-1), stdout, stderr, started.elapsed())
    };
    let (status, out, err, took) = monitor(&["--json"]);
    assert_eq!(status, 1, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let checks_out = report["checks"].as_array().unwrap();
    let by_name = |name: &str| checks_out.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("{name}: {out}"));
    for name in ["web", "imaps port", "imaps cert", "dns"] {
        let c = by_name(name);
        assert_eq!(c["up"], true, "{c}");
        assert!(c["ms"].as_u64().unwrap() < 1500, "{name} waited for the hanging check: {c}");
    }
    assert!(by_name("imaps cert")["detail"].as_str().unwrap().ends_with("days left"), "{out}");
    let hanging = by_name("hanging");
    assert_eq!(hanging["up"], false);
    assert!(hanging["detail"].as_str().unwrap().starts_with("Timeout"), "{hanging}");
    assert!((2900..3900).contains(&hanging["ms"].as_u64().unwrap()), "{hanging}");
    assert!(took < Duration::from_secs(5), "the run took {took:?}");
    let alerts = mail.wait_for_messages("bob", 1);
    let alert = String::from_utf8_lossy(&alerts[0]);
    assert!(
        alert.contains("Subject: site monitor: DOWN: 1 of 1 changed") && alert.contains("hanging: up -> down"),
        "{alert}"
    );

    // Unchanged: no mail.
    let (status, out, err, _) = monitor(&[]);
    assert_eq!(status, 1, "{out}\n{err}");
    assert!(out.contains("4 up, 1 down, no change"), "{out}");
    // The hanging one replaced by a working URL while the mail server cannot be reached:
    // exit 3, and the change is not forgotten — the next run tells it.
    std::fs::write(&file, checks(&format!("http://127.0.0.1:{web_port}/"))).unwrap();
    let nobody = common::free_port().to_string();
    let (status, out, err, _) = monitor(&["--smtp-port", &nobody]);
    assert_eq!(status, 3, "{out}\n{err}");
    assert!(err.contains("alert to bob@example.test not sent: ConnectionRefused"), "{err}");
    // A run without alerting in between (someone looking) does not use the news up.
    let mut look = Command::new(common::netscript_bin());
    look.arg(common::repo_root().join("scripts/site_monitor.rhai")).arg(&file).stdin(Stdio::null());
    let out = common::wait_with_limit(
        look.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap(),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Then "back up", one more mail, exit 0.
    let (status, out, err, _) = monitor(&["--once"]);
    assert_eq!(status, 0, "{out}\n{err}");
    assert!(out.contains("5 up, 0 down, no change, alert sent"), "{out}");
    let alerts = mail.wait_for_messages("bob", 2);
    assert_eq!(alerts.len(), 2, "a mail was sent for the unchanged run");
    let back = alerts.iter().map(|m| String::from_utf8_lossy(m).into_owned()).find(|m| m.contains("back up")).unwrap();
    assert!(back.contains("hanging: down -> up"), "{back}");
    drop(web);
    drop(hang);
    // A broken checks file is a usage error.
    std::fs::write(&file, "[{\"name\": \"x\"}]").unwrap();
    let (status, _, err, _) = monitor(&[]);
    assert_eq!(status, 2);
    assert!(err.contains("give exactly one of \"url\", \"tls\", \"dns\", \"tcp\""), "{err}");
}

#[test]
fn subnet_plan_fits_sites_around_allocations_as_pythons_ipaddress_confirms() {
    let dir = common::temp_dir();
    let existing = dir.path().join("allocated.json");
    std::fs::write(&existing, r#"[{"name": "core", "cidr": "10.20.0.0/24"}, "10.20.8.0/22", "192.168.1.0/24"]"#)
        .unwrap();
    let out_file = dir.path().join("plan.json");
    let script = common::repo_root().join("scripts/subnet_plan.rhai");
    let plan = |args: &[&str]| common::run(&[&[script.to_str().unwrap()], args].concat());
    let r = plan(&[
        "10.20.0.0/16",
        "hq=500",
        "branch-a=60",
        "branch-b=60",
        "lab=10",
        "p2p=2",
        "--existing",
        existing.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
        "--json",
    ])
    .ok();
    let printed: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(printed, written);
    let check = r#"
import ipaddress, json, sys
plan = json.load(open(sys.argv[1]))
net = ipaddress.ip_network(plan["network"])
taken = [ipaddress.ip_network(e["cidr"]) for e in plan["existing"]]
subnets = []
for p in plan["plan"]:
    s = ipaddress.ip_network(p["subnet"])  # strict: raises if not aligned
    assert s.subnet_of(net), p
    assert s.num_addresses - 2 >= p["hosts"], p
    assert s.num_addresses // 2 - 2 < p["hosts"], ("not the smallest", p)
    assert str(s.netmask) == p["netmask"] and str(s.network_address + 1) == p["first_host"], p
    assert str(s.broadcast_address - 1) == p["last_host"], p
    for o in subnets + [t for t in taken if t.version == s.version]:
        assert not s.overlaps(o), (s, o)
    subnets.append(s)
free = [ipaddress.ip_network(f) for f in plan["free"]]
used = sum(s.num_addresses for s in subnets) + sum(t.num_addresses for t in taken if t.subnet_of(net))
assert used + sum(f.num_addresses for f in free) == net.num_addresses
print(" ".join(p["site"] for p in plan["plan"]))
"#;
    let out = Command::new("python3").args(["-c", check, out_file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hq branch-a branch-b lab p2p");
    // The table for a person.
    let r = plan(&["10.20.0.0/16", "hq=500", "lab=10", "--existing", existing.to_str().unwrap()]).ok();
    assert!(
        r.stdout.contains("hq      500  10.20.2.0/23") && r.stdout.contains("2 of 2 sites planned"),
        "{}",
        r.stdout
    );
    // Does not fit: exit 1; overlapping allocations: exit 1; bad input: exit 2.
    let r = plan(&["10.0.0.0/29", "a=10"]);
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("a (10 hosts, a /28) does not fit"), "{}", r.stderr);
    let overlapping = dir.path().join("overlap.json");
    std::fs::write(&overlapping, r#"["10.0.0.0/24", "10.0.0.128/25"]"#).unwrap();
    let r = plan(&["10.0.0.0/16", "a=10", "--existing", overlapping.to_str().unwrap()]);
    assert_eq!(r.status, 1);
    assert!(r.stderr.contains("allocation conflict: 10.0.0.0/24 overlaps 10.0.0.128/25"), "{}", r.stderr);
    for bad in [
        &["10.0.0.0/33", "a=1"][..],
        &["10.0.0.0/8", "a=-1"],
        &["10.0.0.0/8", "a"],
        &["10.0.0.0/8"],
        &["10.0.0.0/8", "a=1", "a=2"],
    ] {
        let r = plan(bad);
        assert_eq!(r.status, 2, "{bad:?}: {}", r.stderr);
        assert!(!r.stderr.is_empty() && !r.stderr.contains("panicked"), "{bad:?}");
    }
}
