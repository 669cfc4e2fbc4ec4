//! A real Postfix and Dovecot on loopback for the smtp, imap and pop3 plugins' tests: Postfix
//! takes mail over SMTP (submission with STARTTLS and AUTH, implicit TLS, and a plain port
//! without TLS or AUTH) and hands `example.test` mail over LMTP to Dovecot, which stores it in
//! Maildirs and serves it over IMAP (STARTTLS offered, and implicit TLS) and POP3 (STLS
//! offered, and implicit TLS; APOP too). Dovecot also checks Postfix's SASL logins.
//! Everything (config, certificate, queue, mailboxes, logs, sockets) lives in one temp dir;
//! both servers are stopped by PID when the value is dropped. Nothing ever leaves the
//! machine: a recipient in any other domain resolves to Postfix's `error:` transport, which
//! smtpd refuses at RCPT TO (550 5.1.1 "nothing leaves this test machine"), authenticated or
//! not.
//!
//! Mail to read back without sending it first: [`MailServers::seed`] writes messages straight
//! into a Maildir (any folder, created on the way), and [`MailServers::seed_sample`] writes
//! the standard sample ([`SAMPLE_SUBJECTS`]: plain, multipart/alternative, an RFC 2047
//! non-ASCII subject, a binary attachment; one draft in the non-ASCII folder
//! [`SAMPLE_FOLDER`]). Seed [`SEED_USER`] (carol), whom no test sends mail to, so what
//! alice and bob receive stays apart. Seeded mail has UIDs (and POP3 numbers) in the order
//! given, after whatever the folder held.
//!
//! Dovecot facts a client test may meet: the POP3 greeting is
//! `+OK Dovecot (Debian) ready. <PID.N.HEX.BASE64@HOST>` (the APOP challenge; HOST is the
//! machine's hostname, which Dovecot's `hostname` setting does not change), and `CAPA` lists
//! `SASL PLAIN LOGIN` (not APOP) and `STLS` (not after it); POP3 `UIDL`s are `%08Xu%08Xv`
//! (UID then UIDVALIDITY, 16 hex digits); a failed login attempt (IMAP, POP3, SMTP AUTH)
//! answers after ~0.5 s, without delaying the next good one; 100 connections per user and
//! IP are allowed (IMAP and POP3 each), so tests may run clients in parallel; a message a
//! POP3 session `RETR`ieved is `\Seen` over IMAP afterwards.
//!
//! Limits worth knowing in a test (Dovecot 2.3's LMTP does not offer SMTPUTF8):
//! - UTF-8 headers are delivered (cleanup drops the SMTPUTF8 flag, else Postfix would
//!   bounce them at LMTP), but a UTF-8 envelope sender arrives as `Return-Path: <>`, and a
//!   UTF-8 *recipient* at `example.test` bounces (to a local sender's Maildir): send those
//!   to [`DISCARD_DOMAIN`] instead (accepted, then thrown away), or check `maillog()`.

use super::{free_port, temp_dir, Peer};
use base64::Engine as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The mail domain Postfix delivers to Dovecot.
pub const DOMAIN: &str = "example.test";
/// Postfix's `myhostname` (in its banner and EHLO reply).
pub const HOSTNAME: &str = "mail.example.test";
/// The users (address, password) Dovecot knows; the only valid recipients at [`DOMAIN`].
/// The third is [`SEED_USER`].
pub const USERS: [(&str, &str); 3] = [
    ("alice@example.test", "alice-secret-pw"),
    ("bob@example.test", "bob-secret-pw"),
    ("carol@example.test", "carol-secret-pw"),
];
/// The user (address, password) whose mailbox tests [`seed`](MailServers::seed): no test
/// sends carol mail, so her folders hold exactly what was seeded.
pub const SEED_USER: (&str, &str) = USERS[2];
/// A sender Postfix refuses at MAIL FROM (554 5.7.1).
pub const BLOCKED_SENDER: &str = "blocked@example.org";
/// A domain whose mail (any recipient) Postfix accepts and throws away (`discard:`), so a
/// benchmark measures SMTP alone.
pub const DISCARD_DOMAIN: &str = "discard.test";
/// Postfix's `message_size_limit` (announced as `SIZE 10485760`).
pub const MESSAGE_SIZE_LIMIT: u64 = 10 * 1024 * 1024;

/// The subjects (decoded) of the four INBOX messages [`MailServers::seed_sample`] writes, in
/// UID order (UIDs 1 to 4 in a fresh mailbox): plain text (us-ascii, 7bit);
/// multipart/alternative (text/plain + text/html); a subject in RFC 2047 `Q` encoding with
/// a UTF-8 quoted-printable body and an RFC 2047 sender name; multipart/mixed with a text
/// part and [`SAMPLE_ATTACHMENT_NAME`] (base64).
pub const SAMPLE_SUBJECTS: [&str; 4] =
    ["Plain text", "Multipart alternative", "Grüße aus Köln", "Report with attachment"];
/// The text/plain part of each sample INBOX message, decoded, with LF line ends.
pub const SAMPLE_TEXTS: [&str; 4] = [
    "Hello Carol,\nthis is a plain text message.\n",
    "The plain part of an alternative.\n",
    "Viele Grüße aus Köln!\nÄrger? Nö.\n",
    "See the attached bytes.\n",
];
/// The sample's second folder (its IMAP name is [`SAMPLE_FOLDER_MUTF7`]), holding one
/// message, [`SAMPLE_DRAFT_SUBJECT`].
pub const SAMPLE_FOLDER: &str = "Entwürfe";
/// [`SAMPLE_FOLDER`] in modified UTF-7, as IMAP `LIST` names it (and its Maildir++ directory
/// is `.Entw&APw-rfe`).
pub const SAMPLE_FOLDER_MUTF7: &str = "Entw&APw-rfe";
/// The subject (decoded; RFC 2047 `B` encoded on the wire) of the message in [`SAMPLE_FOLDER`].
pub const SAMPLE_DRAFT_SUBJECT: &str = "Entwurf: Änderungen";
/// The file name of the sample's attachment (message 4), whose bytes are
/// [`sample_attachment`].
pub const SAMPLE_ATTACHMENT_NAME: &str = "bytes.bin";
/// The time (2023-11-14 22:13:20 UTC) seeded messages are dated from: the `n`th message
/// [`MailServers::seed`] writes (counting from 1 across calls) has `INTERNALDATE`
/// `SEED_EPOCH + n` seconds (its Maildir file's mtime).
pub const SEED_EPOCH: u64 = 1_700_000_000;

/// The virtual uid and gid the mailboxes belong to (needs no /etc/passwd entry).
const VMAIL_ID: u32 = 5000;

/// A running Postfix + Dovecot pair; see the module doc.
pub struct MailServers {
    /// The temp dir: `cert.pem`, `key.pem`, `dovecot.conf`, `postfix/` (config),
    /// `queue/`, `mail/` (Maildirs), `postfix.log`, `dovecot.log`.
    pub dir: tempfile::TempDir,
    /// Submission: STARTTLS offered, AUTH PLAIN LOGIN offered before and after it.
    pub submission_port: u16,
    /// Implicit TLS (SMTPS), AUTH PLAIN LOGIN.
    pub smtps_port: u16,
    /// No TLS and no AUTH at all.
    pub plain_port: u16,
    /// Dovecot IMAP (plain, STARTTLS offered), for reading mail back with e.g. imaplib.
    pub imap_port: u16,
    /// Dovecot IMAPS (implicit TLS).
    pub imaps_port: u16,
    /// Dovecot POP3 (plain, STLS offered; USER/PASS, APOP and AUTH PLAIN LOGIN).
    pub pop3_port: u16,
    /// Dovecot POP3S (implicit TLS).
    pub pop3s_port: u16,
    dovecot: Option<Peer>,
    postfix_pid: Option<u32>,
    /// Messages [`seed`](Self::seed) has written so far (their file names and dates).
    seeded: AtomicU64,
}

impl MailServers {
    /// Starts Dovecot then Postfix, each ready when it has greeted; other ports are tried
    /// should one picked be taken meanwhile.
    pub fn start() -> MailServers {
        let mut failures = Vec::new();
        for _ in 0..5 {
            let mut servers = MailServers::prepare();
            match servers.launch() {
                Ok(()) => return servers,
                Err(why) => failures.push(format!(
                    "{why}\n--- postfix.log\n{}\n--- dovecot.log\n{}",
                    servers.maillog(),
                    servers.dovecot_log()
                )),
            }
        }
        panic!("Postfix + Dovecot did not start:\n{}", failures.join("\n\n"));
    }

    /// The certificate both servers present (self-signed, `CA:TRUE`, for `localhost` and
    /// 127.0.0.1): the `ca_file` that makes a client trust them.
    pub fn ca_file(&self) -> String {
        self.path("cert.pem")
    }

    /// Postfix's log (for assertion messages).
    pub fn maillog(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix.log")).unwrap_or_default()
    }

    /// Dovecot's log (LMTP deliveries, IMAP, POP3 and SASL logins).
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The Maildir of `user` (`bob` or `bob@example.test`): INBOX's `cur/`, `new/`, `tmp/`,
    /// and each other folder as a Maildir++ `.NAME` directory (NAME in modified UTF-7, see
    /// [`mutf7`]). It exists once Dovecot has delivered to or served the user, or once
    /// [`seed`](Self::seed) has written into it.
    pub fn maildir(&self, user: &str) -> PathBuf {
        let local = user.split('@').next().unwrap_or(user);
        self.dir.path().join("mail").join(DOMAIN).join(local).join("Maildir")
    }

    /// The raw bytes of every message delivered to `user` (`bob` or `bob@example.test`) so
    /// far, oldest first, as Dovecot stored them: its `Return-Path:` and `Delivered-To:`,
    /// Postfix's `Received:`, then the message; lines end in LF, not CRLF. INBOX only;
    /// seeded messages count too (before delivered ones).
    pub fn maildir_messages(&self, user: &str) -> Vec<Vec<u8>> {
        let maildir = self.maildir(user);
        let mut files: Vec<(u64, u64, PathBuf)> = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.push((maildir_time(&name).0, maildir_time(&name).1, entry.path()));
            }
        }
        files.sort();
        files.into_iter().filter_map(|(_, _, path)| std::fs::read(path).ok()).collect()
    }

    /// [`maildir_messages`](Self::maildir_messages) once there are at least `n` (10 s at
    /// most; panics with both logs after that).
    pub fn wait_for_messages(&self, user: &str, n: usize) -> Vec<Vec<u8>> {
        let start = Instant::now();
        loop {
            let messages = self.maildir_messages(user);
            if messages.len() >= n {
                return messages;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!(
                    "{user} has {} message(s) after 10 s, not {n}\n--- postfix.log\n{}\n--- dovecot.log\n{}",
                    messages.len(),
                    self.maillog(),
                    self.dovecot_log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes `messages` (each a whole RFC 5322 message, CRLF or LF line ends) straight into
    /// `user`'s Maildir, in INBOX (`None` or `Some("INBOX")`) or in `folder` (its UTF-8 IMAP
    /// name, `.` between hierarchy levels; created, Maildir++ name in modified UTF-7), as
    /// Dovecot's LMTP would have stored them: LF line ends on disk, served with CRLF over
    /// IMAP and POP3. They are unread and unflagged (`cur/…:2,`), get UIDs in the order given
    /// (after what the folder already holds; Dovecot may be running and may have served the
    /// folder before) and `INTERNALDATE` [`SEED_EPOCH`] + their running number. Each file is
    /// written in `tmp/` and renamed into `cur/`, all owned by the virtual mail user; its
    /// name carries the exact sizes (`S=` on disk, `W=` with CRLF: IMAP's `RFC822.SIZE`).
    ///
    /// Takes anything iterable over byte strings: `&[&[u8]]`, `Vec<Vec<u8>>`, or an iterator
    /// that makes them one at a time (2000 messages need not sit in memory together).
    pub fn seed<I>(&self, user: &str, folder: Option<&str>, messages: I)
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let maildir = self.maildir(user);
        let dir = match folder {
            None => maildir,
            Some(name) if name.eq_ignore_ascii_case("INBOX") => maildir,
            Some(name) => maildir.join(format!(".{}", mutf7(name))),
        };
        for sub in ["cur", "new", "tmp"] {
            self.vmail_dir(&dir.join(sub));
        }
        if folder.is_some_and(|name| !name.eq_ignore_ascii_case("INBOX")) {
            let marker = dir.join("maildirfolder");
            if !marker.exists() {
                vmail_file(&marker, b"", None);
            }
        }
        let pid = std::process::id();
        for message in messages {
            let data = lf_line_ends(message.as_ref());
            let n = self.seeded.fetch_add(1, Ordering::SeqCst) + 1;
            let secs = SEED_EPOCH + n;
            // Dovecot orders new files by the seconds, then the M number (both numerically).
            let lines = data.iter().filter(|&&b| b == b'\n').count();
            let name = format!("{secs}.M{n}P{pid}.seed,S={},W={}:2,", data.len(), data.len() + lines);
            let tmp = dir.join("tmp").join(&name);
            vmail_file(&tmp, &data, Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)));
            let cur = dir.join("cur").join(&name);
            std::fs::rename(&tmp, &cur)
                .unwrap_or_else(|e| panic!("rename {} to {}: {e}", tmp.display(), cur.display()));
        }
    }

    /// Seeds `user`'s INBOX with the four sample messages of [`SAMPLE_SUBJECTS`] and
    /// [`SAMPLE_FOLDER`] with one draft, and returns their bytes; in a fresh mailbox the
    /// INBOX messages get UIDs (and POP3 numbers) 1 to 4. They are addressed to carol
    /// ([`SEED_USER`]) whoever `user` is.
    pub fn seed_sample(&self, user: &str) -> Sample {
        let sample = Sample::new();
        self.seed(user, None, &sample.inbox);
        self.seed(user, Some(SAMPLE_FOLDER), [&sample.draft]);
        sample
    }

    /// Dovecot's PID (its process group too).
    pub fn dovecot_pid(&self) -> u32 {
        self.dovecot.as_ref().map(|p| p.pid()).unwrap_or(0)
    }

    /// The Postfix master's PID (its process group too).
    pub fn postfix_pid(&self) -> u32 {
        self.postfix_pid.unwrap_or(0)
    }

    /// Both PIDs: `[dovecot, postfix master]`.
    pub fn pids(&self) -> [u32; 2] {
        [self.dovecot_pid(), self.postfix_pid()]
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Creates `dir` and its missing parents below `mail/`, each owned by the virtual mail
    /// user, mode 0700 (as Dovecot makes them).
    fn vmail_dir(&self, dir: &Path) {
        let mail = self.dir.path().join("mail");
        let below =
            dir.strip_prefix(&mail).unwrap_or_else(|_| panic!("{} is not under {}", dir.display(), mail.display()));
        let mut path = mail;
        for part in below.components() {
            path.push(part);
            if !path.is_dir() {
                std::fs::create_dir(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
                std::os::unix::fs::chown(&path, Some(VMAIL_ID), Some(VMAIL_ID)).unwrap();
            }
        }
    }

    /// A temp dir with every file written, and seven distinct free ports.
    fn prepare() -> MailServers {
        let dir = temp_dir();
        // Dovecot's workers, Postfix's daemons and the virtual uid all traverse it.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 7 {
            let port = free_port();
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
        let servers = MailServers {
            dir,
            submission_port: ports[0],
            smtps_port: ports[1],
            plain_port: ports[2],
            imap_port: ports[3],
            imaps_port: ports[4],
            pop3_port: ports[5],
            pop3s_port: ports[6],
            dovecot: None,
            postfix_pid: None,
            seeded: AtomicU64::new(0),
        };
        servers.write_files();
        servers
    }

    fn write_files(&self) {
        let d = self.dir.path();
        let ds = d.display().to_string();
        let postfix_uid = account_id("/etc/passwd", "postfix");
        let postfix_gid = account_id("/etc/group", "postfix");
        let dovecot_gid = account_id("/etc/group", "dovecot");
        for sub in ["dovecot", "postfix", "queue", "data", "mail"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        // Without this Postfix's master stops after ~5 s on "master.lock: Permission denied".
        std::os::unix::fs::chown(d.join("data"), Some(postfix_uid), Some(postfix_gid)).unwrap();
        std::os::unix::fs::chown(d.join("mail"), Some(VMAIL_ID), Some(VMAIL_ID)).unwrap();

        let (cert, key) = self_signed_ca_cert();
        write_mode(&d.join("cert.pem"), cert.as_bytes(), 0o644);
        // A test key, read by both servers: no secret to keep.
        write_mode(&d.join("key.pem"), key.as_bytes(), 0o644);

        let users: String = USERS
            .iter()
            .map(|(user, pw)| {
                let local = user.split('@').next().unwrap();
                format!("{user}:{{PLAIN}}{pw}:{VMAIL_ID}:{VMAIL_ID}::{ds}/mail/{DOMAIN}/{local}::\n")
            })
            .collect();
        // Dovecot's auth worker runs as `dovecot`: a root-only file fails every login.
        write_mode(&d.join("users"), users.as_bytes(), 0o640);
        std::os::unix::fs::chown(d.join("users"), Some(0), Some(dovecot_gid)).unwrap();

        let dovecot_conf = format!(
            "base_dir = {ds}/dovecot\n\
             state_dir = {ds}/dovecot\n\
             log_path = {ds}/dovecot.log\n\
             protocols = imap pop3 lmtp\n\
             listen = 127.0.0.1\n\
             default_login_user = dovenull\n\
             default_internal_user = dovecot\n\
             first_valid_uid = {VMAIL_ID}\n\
             first_valid_gid = {VMAIL_ID}\n\
             mail_uid = {VMAIL_ID}\n\
             mail_gid = {VMAIL_ID}\n\
             mail_location = maildir:~/Maildir\n\
             ssl = yes\n\
             ssl_cert = <{ds}/cert.pem\n\
             ssl_key = <{ds}/key.pem\n\
             disable_plaintext_auth = no\n\
             # APOP needs the plaintext password, which the passdb has ({{PLAIN}}); with it the\n\
             # POP3 greeting carries the challenge `<…@hostname>`.\n\
             auth_mechanisms = plain login apop\n\
             auth_failure_delay = 0\n\
             pop3_uidl_format = %08Xu%08Xv\n\
             # The default 10 would refuse tests that run clients in parallel.\n\
             protocol imap {{\n  mail_max_userip_connections = 100\n}}\n\
             protocol pop3 {{\n  mail_max_userip_connections = 100\n}}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {ds}/users\n}}\n\
             userdb {{\n  driver = passwd-file\n  args = username_format=%u {ds}/users\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap}\n  }}\n  \
               inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps}\n    ssl = yes\n  }}\n}}\n\
             service pop3-login {{\n  inet_listener pop3 {{\n    address = 127.0.0.1\n    port = {pop3}\n  }}\n  \
               inet_listener pop3s {{\n    address = 127.0.0.1\n    port = {pop3s}\n    ssl = yes\n  }}\n}}\n\
             service lmtp {{\n  unix_listener lmtp-postfix {{\n    mode = 0600\n    user = postfix\n    group = postfix\n  }}\n}}\n\
             service auth {{\n  unix_listener auth-postfix {{\n    mode = 0660\n    user = postfix\n    group = postfix\n  }}\n}}\n\
             # auth_failure_delay alone leaves the next good login from the same IP waiting ~4 s.\n\
             service anvil {{\n  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n",
            imap = self.imap_port,
            imaps = self.imaps_port,
            pop3 = self.pop3_port,
            pop3s = self.pop3s_port
        );
        write_mode(&d.join("dovecot.conf"), dovecot_conf.as_bytes(), 0o644);

        let pf = d.join("postfix");
        let main_cf = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {ds}/queue\n\
             data_directory = {ds}/data\n\
             maillog_file = {ds}/postfix.log\n\
             # Postfix only writes logs under these prefixes (default /var, /dev/stdout).\n\
             maillog_file_prefixes = {ds}\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             myhostname = {HOSTNAME}\n\
             mydomain = {DOMAIN}\n\
             myorigin = {DOMAIN}\n\
             mydestination =\n\
             mynetworks = 127.0.0.0/8\n\
             local_recipient_maps =\n\
             alias_maps =\n\
             alias_database =\n\
             biff = no\n\
             smtpd_banner = $myhostname ESMTP netscript-test\n\
             message_size_limit = {MESSAGE_SIZE_LIMIT}\n\
             smtputf8_enable = yes\n\
             default_transport = error:nothing leaves this test machine\n\
             relay_transport = error:nothing leaves this test machine\n\
             virtual_mailbox_domains = {DOMAIN}\n\
             virtual_mailbox_maps = texthash:{ds}/postfix/vmailbox\n\
             virtual_transport = lmtp:unix:{ds}/dovecot/lmtp-postfix\n\
             relay_domains = {DISCARD_DOMAIN}\n\
             transport_maps = texthash:{ds}/postfix/transport\n\
             smtpd_reject_unlisted_recipient = yes\n\
             # Else sender restrictions only apply at RCPT TO.\n\
             smtpd_delay_reject = no\n\
             smtpd_sender_restrictions = check_sender_access texthash:{ds}/postfix/sender_access\n\
             smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination\n\
             smtpd_error_sleep_time = 0s\n\
             smtpd_soft_error_limit = 1000\n\
             smtpd_hard_error_limit = 1000\n\
             smtpd_tls_cert_file = {ds}/cert.pem\n\
             smtpd_tls_key_file = {ds}/key.pem\n\
             smtpd_tls_security_level = may\n\
             smtpd_sasl_type = dovecot\n\
             smtpd_sasl_path = {ds}/dovecot/auth-postfix\n\
             smtpd_sasl_auth_enable = yes\n\
             smtpd_tls_auth_only = no\n\
             # A failed LMTP delivery is retried within seconds, not minutes.\n\
             queue_run_delay = 1s\n\
             minimal_backoff_time = 1s\n\
             maximal_backoff_time = 2s\n"
        );
        // No chroot (Debian's default master.cf chroots most daemons). cleanup drops the
        // SMTPUTF8 flag, else Postfix bounces UTF-8 headers at Dovecot's LMTP, which does
        // not offer SMTPUTF8.
        let master_cf = format!(
            "127.0.0.1:{sub} inet n - n - - smtpd\n\
             127.0.0.1:{smtps} inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n\
             127.0.0.1:{plain} inet n - n - - smtpd\n  -o smtpd_tls_security_level=none\n  -o smtpd_sasl_auth_enable=no\n\
             pickup unix n - n 60 1 pickup\n\
             cleanup unix n - n - 0 cleanup\n  -o smtputf8_enable=no\n\
             qmgr unix n - n 300 1 qmgr\n\
             tlsmgr unix - - n 1000? 1 tlsmgr\n\
             rewrite unix - - n - - trivial-rewrite\n\
             bounce unix - - n - 0 bounce\n\
             defer unix - - n - 0 bounce\n\
             trace unix - - n - 0 bounce\n\
             verify unix - - n - 1 verify\n\
             flush unix n - n 1000? 0 flush\n\
             proxymap unix - - n - - proxymap\n\
             proxywrite unix - - n - 1 proxymap\n\
             smtp unix - - n - - smtp\n\
             relay unix - - n - - smtp\n\
             showq unix n - n - - showq\n\
             error unix - - n - - error\n\
             retry unix - - n - - error\n\
             discard unix - - n - - discard\n\
             lmtp unix - - n - - lmtp\n\
             anvil unix - - n - 1 anvil\n\
             scache unix - - n - 1 scache\n\
             postlog unix-dgram n - n - 1 postlogd\n",
            sub = self.submission_port,
            smtps = self.smtps_port,
            plain = self.plain_port
        );
        write_mode(&pf.join("main.cf"), main_cf.as_bytes(), 0o644);
        write_mode(&pf.join("master.cf"), master_cf.as_bytes(), 0o644);
        let vmailbox: String = USERS.iter().map(|(user, _)| format!("{user} ok\n")).collect();
        write_mode(&pf.join("vmailbox"), vmailbox.as_bytes(), 0o644);
        write_mode(&pf.join("transport"), format!("{DISCARD_DOMAIN} discard:\n").as_bytes(), 0o644);
        write_mode(&pf.join("sender_access"), format!("{BLOCKED_SENDER} REJECT\n").as_bytes(), 0o644);
    }

    /// Starts both servers and waits for their greetings.
    fn launch(&mut self) -> Result<(), String> {
        let d = self.dir.path().to_path_buf();
        self.launch_dovecot()?;

        let pf = self.path("postfix");
        let out = Command::new("postfix")
            .args(["-c", &pf, "start"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run postfix: {e}"))?;
        // The master is up (or it has written its PID) by now, even when start failed late.
        self.postfix_pid =
            std::fs::read_to_string(d.join("queue/pid/master.pid")).ok().and_then(|s| s.trim().parse().ok());
        if !out.status.success() {
            return Err(format!(
                "postfix start failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        for port in [self.submission_port, self.plain_port] {
            expect_greeting(port, "220 ")?;
        }
        // Listening is enough there: a connection without a TLS handshake only logs an error.
        wait_for_listen(self.smtps_port)?;
        Ok(())
    }

    /// Starts Dovecot and waits until every listener and socket is there.
    fn launch_dovecot(&mut self) -> Result<(), String> {
        let d = self.dir.path().to_path_buf();
        let conf = self.path("dovecot.conf");
        let out = std::fs::File::create(d.join("dovecot.out")).unwrap();
        let dovecot = Peer::start_logged("dovecot", "dovecot", &["-F", "-c", &conf], out);
        let dovecot = dovecot
            .accepting_on(self.imap_port, Duration::from_secs(10))
            .ok_or_else(|| format!("dovecot exited or did not listen on {}: {}", self.imap_port, self.dovecot_out()))?;
        self.dovecot = Some(dovecot);
        expect_greeting(self.imap_port, "* OK")?;
        expect_greeting(self.pop3_port, "+OK")?;
        // Dovecot opens all its listeners at once; a TLS port needs no handshake to be ready.
        for port in [self.imaps_port, self.pop3s_port] {
            wait_for_listen(port)?;
        }
        for socket in ["lmtp-postfix", "auth-postfix"] {
            wait_for_path(&d.join("dovecot").join(socket))?;
        }
        Ok(())
    }

    /// Stops Dovecot's whole process group at once (a crash, as clients see it): every
    /// connection is cut and the ports refuse until [`restart_dovecot`](Self::restart_dovecot).
    pub fn stop_dovecot(&mut self) {
        if let Some(mut dovecot) = self.dovecot.take() {
            dovecot.stop();
        }
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.imap_port)).is_ok()
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts Dovecot again, on the same ports and mailboxes.
    pub fn restart_dovecot(&mut self) {
        self.stop_dovecot();
        self.launch_dovecot().unwrap_or_else(|why| panic!("dovecot did not start again: {why}"));
    }

    fn dovecot_out(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.out")).unwrap_or_default()
    }

    fn stop_postfix(&mut self) {
        let Some(pid) = self.postfix_pid.take() else { return };
        let pf = self.path("postfix");
        let _ = Command::new("postfix")
            .args(["-c", &pf, "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // master signals its own process group on the way out; if it is stuck, the group
        // gets SIGKILL — but only while the PID is still a Postfix master (PID reuse).
        let start = Instant::now();
        while alive(pid) && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if alive(pid) && comm(pid).as_deref() == Some("master") {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
        }
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        // Postfix first: its LMTP client holds connections to Dovecot.
        self.stop_postfix();
        if let Some(mut dovecot) = self.dovecot.take() {
            dovecot.stop();
        }
    }
}

/// The messages [`MailServers::seed_sample`] wrote, as IMAP `FETCH … RFC822` and POP3
/// `RETR` give them back (CRLF line ends).
pub struct Sample {
    /// The INBOX messages, UIDs 1 to 4 in a fresh mailbox; subjects [`SAMPLE_SUBJECTS`],
    /// text parts [`SAMPLE_TEXTS`].
    pub inbox: Vec<Vec<u8>>,
    /// The message in [`SAMPLE_FOLDER`], subject [`SAMPLE_DRAFT_SUBJECT`].
    pub draft: Vec<u8>,
    /// The bytes of message 4's attachment [`SAMPLE_ATTACHMENT_NAME`]: [`sample_attachment`].
    pub attachment: Vec<u8>,
}

impl Sample {
    fn new() -> Sample {
        let head = |n: u32, from: &str, subject: &str, content_type: &str| {
            format!(
                "From: {from}\nTo: Carol Example <carol@example.test>\n\
                 Subject: {subject}\nDate: Tue, 14 Nov 2023 22:13:2{n} +0000\n\
                 Message-ID: <sample-{n}@example.test>\nMIME-Version: 1.0\nContent-Type: {content_type}\n"
            )
        };
        let alice = "Alice Example <alice@example.test>";
        let plain = format!(
            "{}Content-Transfer-Encoding: 7bit\n\n{}",
            head(1, alice, SAMPLE_SUBJECTS[0], "text/plain; charset=us-ascii"),
            SAMPLE_TEXTS[0]
        );
        let alternative = format!(
            "{}\nThis is a multi-part message in MIME format.\n\
             --alt-boundary-42\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n{}\n\
             --alt-boundary-42\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n\
             <html><body><p>The <b>HTML</b> part of an alternative.</p></body></html>\n\
             --alt-boundary-42--\n",
            head(2, alice, SAMPLE_SUBJECTS[1], "multipart/alternative; boundary=\"alt-boundary-42\""),
            SAMPLE_TEXTS[1]
        );
        let greeting = format!(
            "{}Content-Transfer-Encoding: quoted-printable\n\n\
             Viele Gr=C3=BC=C3=9Fe aus K=C3=B6ln!\n=C3=84rger? N=C3=B6.\n",
            head(
                3,
                "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.test>",
                "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=",
                "text/plain; charset=utf-8"
            )
        );
        let attachment = sample_attachment();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&attachment);
        let lines: Vec<&str> = encoded.as_bytes().chunks(76).map(|chunk| std::str::from_utf8(chunk).unwrap()).collect();
        let report = format!(
            "{}\nThis is a multi-part message in MIME format.\n\
             --mixed-boundary-7\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n{}\n\
             --mixed-boundary-7\nContent-Type: application/octet-stream; name=\"{SAMPLE_ATTACHMENT_NAME}\"\n\
             Content-Disposition: attachment; filename=\"{SAMPLE_ATTACHMENT_NAME}\"\n\
             Content-Transfer-Encoding: base64\n\n{}\n--mixed-boundary-7--\n",
            head(4, alice, SAMPLE_SUBJECTS[3], "multipart/mixed; boundary=\"mixed-boundary-7\""),
            SAMPLE_TEXTS[3],
            lines.join("\n")
        );
        let draft = format!(
            "From: Carol Example <carol@example.test>\nTo: Alice Example <alice@example.test>\n\
             Subject: =?UTF-8?B?{}?=\nDate: Tue, 14 Nov 2023 22:14:00 +0000\n\
             Message-ID: <sample-draft@example.test>\nMIME-Version: 1.0\n\
             Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nNoch nicht fertig.\n",
            base64::engine::general_purpose::STANDARD.encode(SAMPLE_DRAFT_SUBJECT)
        );
        let crlf = |text: String| text.replace('\n', "\r\n").into_bytes();
        Sample {
            inbox: [plain, alternative, greeting, report].into_iter().map(crlf).collect(),
            draft: crlf(draft),
            attachment,
        }
    }
}

/// The sample attachment's bytes: 0 to 255, four times (1024 bytes: NUL, CR, LF, 8-bit).
pub fn sample_attachment() -> Vec<u8> {
    (0..4).flat_map(|_| 0..=255u8).collect()
}

/// `name` in IMAP's modified UTF-7 (RFC 3501 §5.1.3), as `LIST` gives folder names and as
/// Dovecot names Maildir++ directories: `Entwürfe` is `Entw&APw-rfe`, `&` is `&-`.
pub fn mutf7(name: &str) -> String {
    let engine =
        base64::engine::GeneralPurpose::new(&base64::alphabet::IMAP_MUTF7, base64::engine::general_purpose::NO_PAD);
    let mut out = String::new();
    let mut wide: Vec<u16> = Vec::new();
    let flush = |wide: &mut Vec<u16>, out: &mut String| {
        if !wide.is_empty() {
            let bytes: Vec<u8> = wide.iter().flat_map(|unit| unit.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&engine.encode(bytes));
            out.push('-');
            wide.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut wide, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            wide.extend(c.encode_utf16(&mut [0; 2]).iter());
        }
    }
    flush(&mut wide, &mut out);
    out
}

/// `data` with every CRLF turned into LF (how Dovecot stores mail in a Maildir).
fn lf_line_ends(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for (i, &b) in data.iter().enumerate() {
        if !(b == b'\r' && data.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

/// Writes `path` (mode 0600, owned by the virtual mail user), dated `mtime` if given.
fn vmail_file(path: &Path, data: &[u8], mtime: Option<SystemTime>) {
    let mut file = std::fs::File::create(path).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    file.write_all(data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    file.set_permissions(std::fs::Permissions::from_mode(0o600)).unwrap();
    if let Some(mtime) = mtime {
        file.set_modified(mtime).unwrap();
    }
    std::os::unix::fs::chown(path, Some(VMAIL_ID), Some(VMAIL_ID)).unwrap();
}

/// A self-signed `CA:TRUE` certificate for `localhost` and 127.0.0.1, as PEM (cert, key);
/// the FTP harness uses it too.
pub fn self_signed_ca_cert() -> (String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Writes `path` with `mode`, dated 2000-01-01: Postfix re-reads a config file until it is
/// 2 s old, which would make every start wait ~2.3 s.
fn write_mode(path: &Path, data: &[u8], mode: u32) {
    let mut file = std::fs::File::create(path).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    file.write_all(data).unwrap();
    file.set_permissions(std::fs::Permissions::from_mode(mode)).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800)).unwrap();
}

/// The numeric id of `name` in /etc/passwd or /etc/group (the third field).
fn account_id(file: &str, name: &str) -> u32 {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() > 2 && fields[0] == name)
        .and_then(|fields| fields[2].parse().ok())
        .unwrap_or_else(|| panic!("no `{name}` in {file}: are postfix and dovecot-core installed?"))
}

/// (seconds, microseconds) of a Dovecot Maildir file name `SECS.MUSECSP…`; the
/// microseconds are not zero-padded, so names do not sort by time as strings.
fn maildir_time(name: &str) -> (u64, u64) {
    let (secs, rest) = name.split_once('.').unwrap_or((name, ""));
    let usecs: String = rest.strip_prefix('M').unwrap_or("").chars().take_while(|c| c.is_ascii_digit()).collect();
    (secs.parse().unwrap_or(0), usecs.parse().unwrap_or(0))
}

/// Connects to `127.0.0.1:port` (10 s at most) and checks the first line starts with
/// `prefix`; says goodbye so the server logs no lost connection.
fn expect_greeting(port: u16, prefix: &str) -> Result<(), String> {
    let stream = connect(port)?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).map_err(|e| format!("no greeting on {port}: {e}"))?;
    if !line.starts_with(prefix) {
        return Err(format!("port {port} greeted with {line:?}, not {prefix:?}…"));
    }
    let bye: &[u8] = if prefix.starts_with('*') { b"a LOGOUT\r\n" } else { b"QUIT\r\n" };
    let mut stream = stream;
    let _ = stream.write_all(bye);
    let _ = stream.read_to_end(&mut Vec::new());
    Ok(())
}

/// Waits until a socket listens on TCP `127.0.0.1:port` (from /proc/net/tcp, no connection).
fn wait_for_listen(port: u16) -> Result<(), String> {
    let needle = format!("0100007F:{port:04X} 00000000:0000 0A ");
    let start = Instant::now();
    while !std::fs::read_to_string("/proc/net/tcp").is_ok_and(|t| t.contains(&needle)) {
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!("nothing listens on 127.0.0.1:{port} after 10 s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let start = Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => return Ok(stream),
            Err(e) if start.elapsed() > Duration::from_secs(10) => {
                return Err(format!("nothing accepts on 127.0.0.1:{port} after 10 s: {e}"))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn wait_for_path(path: &Path) -> Result<(), String> {
    let start = Instant::now();
    while !path.exists() {
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!("{} missing after 10 s", path.display()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Whether `pid` runs: a stopped process can linger as a zombie (PID 1 reaps it late),
/// and `kill -0` still succeeds on a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            !matches!(stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next()), Some('Z' | 'X'))
        }
        Err(_) => false,
    }
}

fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| s.trim().to_string())
}
