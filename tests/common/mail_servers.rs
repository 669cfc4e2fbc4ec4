//! A real Postfix and Dovecot on loopback for the smtp plugin's tests: Postfix takes mail
//! over SMTP (submission with STARTTLS and AUTH, implicit TLS, and a plain port without TLS
//! or AUTH) and hands `example.test` mail over LMTP to Dovecot, which stores it in Maildirs
//! and serves it over IMAP. Dovecot also checks Postfix's SASL logins. Everything (config,
//! certificate, queue, mailboxes, logs, sockets) lives in one temp dir; both servers are
//! stopped by PID when the value is dropped. Nothing ever leaves the machine: a recipient in
//! any other domain resolves to Postfix's `error:` transport, which smtpd refuses at RCPT TO
//! (550 5.1.1 "nothing leaves this test machine"), authenticated or not.
//!
//! Limits worth knowing in a test (Dovecot 2.3's LMTP does not offer SMTPUTF8):
//! - UTF-8 headers are delivered (cleanup drops the SMTPUTF8 flag, else Postfix would
//!   bounce them at LMTP), but a UTF-8 envelope sender arrives as `Return-Path: <>`, and a
//!   UTF-8 *recipient* at `example.test` bounces (to a local sender's Maildir): send those
//!   to [`DISCARD_DOMAIN`] instead (accepted, then thrown away), or check `maillog()`.

use super::{free_port, temp_dir, Peer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The mail domain Postfix delivers to Dovecot.
pub const DOMAIN: &str = "example.test";
/// Postfix's `myhostname` (in its banner and EHLO reply).
pub const HOSTNAME: &str = "mail.example.test";
/// The users (address, password) Dovecot knows; the only valid recipients at [`DOMAIN`].
pub const USERS: [(&str, &str); 2] = [("alice@example.test", "alice-secret-pw"), ("bob@example.test", "bob-secret-pw")];
/// A sender Postfix refuses at MAIL FROM (554 5.7.1).
pub const BLOCKED_SENDER: &str = "blocked@example.org";
/// A domain whose mail (any recipient) Postfix accepts and throws away (`discard:`), so a
/// benchmark measures SMTP alone.
pub const DISCARD_DOMAIN: &str = "discard.test";
/// Postfix's `message_size_limit` (announced as `SIZE 10485760`).
pub const MESSAGE_SIZE_LIMIT: u64 = 10 * 1024 * 1024;

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
    dovecot: Option<Peer>,
    postfix_pid: Option<u32>,
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

    /// Dovecot's log (LMTP deliveries, IMAP and SASL logins).
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The raw bytes of every message delivered to `user` (`bob` or `bob@example.test`) so
    /// far, oldest first, as Dovecot stored them: its `Return-Path:` and `Delivered-To:`,
    /// Postfix's `Received:`, then the message; lines end in LF, not CRLF.
    pub fn maildir_messages(&self, user: &str) -> Vec<Vec<u8>> {
        let local = user.split('@').next().unwrap_or(user);
        let maildir = self.dir.path().join("mail").join(DOMAIN).join(local).join("Maildir");
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

    /// A temp dir with every file written, and four distinct free ports.
    fn prepare() -> MailServers {
        let dir = temp_dir();
        // Dovecot's workers, Postfix's daemons and the virtual uid all traverse it.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 4 {
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
            dovecot: None,
            postfix_pid: None,
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
             protocols = imap lmtp\n\
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
             auth_mechanisms = plain login\n\
             auth_failure_delay = 0\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {ds}/users\n}}\n\
             userdb {{\n  driver = passwd-file\n  args = username_format=%u {ds}/users\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap}\n  }}\n  \
               inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service lmtp {{\n  unix_listener lmtp-postfix {{\n    mode = 0600\n    user = postfix\n    group = postfix\n  }}\n}}\n\
             service auth {{\n  unix_listener auth-postfix {{\n    mode = 0660\n    user = postfix\n    group = postfix\n  }}\n}}\n\
             # auth_failure_delay alone leaves the next good login from the same IP waiting ~4 s.\n\
             service anvil {{\n  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n",
            imap = self.imap_port
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
        let conf = self.path("dovecot.conf");
        let out = std::fs::File::create(d.join("dovecot.out")).unwrap();
        let dovecot = Peer::start_logged("dovecot", "dovecot", &["-F", "-c", &conf], out);
        let dovecot = dovecot
            .accepting_on(self.imap_port, Duration::from_secs(10))
            .ok_or_else(|| format!("dovecot exited or did not listen on {}: {}", self.imap_port, self.dovecot_out()))?;
        self.dovecot = Some(dovecot);
        expect_greeting(self.imap_port, "* OK")?;
        for socket in ["lmtp-postfix", "auth-postfix"] {
            wait_for_path(&d.join("dovecot").join(socket))?;
        }

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

/// A self-signed `CA:TRUE` certificate for `localhost` and 127.0.0.1, as PEM (cert, key).
fn self_signed_ca_cert() -> (String, String) {
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
