//! A real pure-ftpd on loopback for the ftp plugin's tests: virtual users [`USERS`] (ann and
//! bob, from a puredb file; `$6$` hashes, so a login takes milliseconds) each chrooted to a
//! home in the temp dir owned by the virtual uid/gid [`FTP_UID`] (no /etc/passwd entry), and
//! anonymous login (`anonymous` or `ftp`, any password) chrooted to a read-only root holding a
//! read/write `incoming/` folder. Explicit FTPS (`AUTH TLS`, `PBSZ 0`, `PROT P`) is offered
//! but not required, with a self-signed `CA:TRUE` certificate for `localhost` and 127.0.0.1
//! that [`FtpServer::ca_file`] makes a client trust. Passive ports come from the fixed range
//! [`PASSIVE_PORTS`] (below the kernel's ephemeral range, so no `free_port` takes one; servers
//! running at once share it: pure-ftpd skips a port that is in use). Everything (puredb,
//! certificate, homes, log, PID, scoreboard) lives in one temp dir; the server is stopped by
//! PID when the value is dropped, and can be stopped and restarted on the same port and
//! files ([`FtpServer::stop`], [`FtpServer::restart`]) to kill it mid-transfer.
//!
//! **Implicit FTPS** is not available: Debian's pure-ftpd speaks it only when built with
//! `--with-implicittls`, and such a build speaks nothing else. [`FtpServer::implicit_port`] is
//! `None`; testing implicit FTPS needs another server.
//!
//! **How it runs.** pure-ftpd logs only to syslog (`/dev/log`, absent here) and takes the
//! anonymous area from the *system* account `ftp` (never from the puredb), so it runs as
//! root in a private mount namespace (`unshare --mount`, needs `CAP_SYS_ADMIN`), where
//! `/etc/passwd` is a copy with an `ftp` line (uid [`ANON_UID`], home [`FtpServer::home`]
//! `("anonymous")`), `/dev` and `/run` are overlays whose changes land in the temp dir, and
//! `/dev/log` is a datagram socket whose messages a small Python receiver writes to
//! `pure-ftpd.log` ([`FtpServer::log`]: each connection, command (`-d`; `PASS` hidden),
//! login, upload and download). Nothing outside the temp dir changes.
//!
//! pure-ftpd facts a client test may meet:
//! - The greeting is several `220-` lines then `220 You will be disconnected after 15
//!   minutes of inactivity.`; the first is `220---------- Welcome to Pure-FTPd [privsep]
//!   [TLS] ----------`.
//! - A failed login (wrong password, unknown user) answers `530 Login authentication failed`
//!   after 3.7–5.6 s, and no flag turns that off: keep bad-password tests few.
//! - `USER anonymous` (or `ftp`) answers `230 Anonymous user logged in` at once, without
//!   asking for a password. Anonymous users may upload and create directories only where the
//!   uid may write (`incoming/`): elsewhere `553 Can't open that file: Permission denied` and
//!   `550`; they cannot delete (`550 Anonymous users can not delete files`).
//! - `PWD` in a home is `/`; `NLST` lists `.` and `..` too; `MLSD` gives `type`
//!   (`cdir`/`pdir`/`dir`/`file`), `size` (`sizd` for directories), `modify`, `UNIX.mode`,
//!   `UNIX.uid`, `UNIX.gid` (not for anonymous) and `unique` (ftplib lower-cases the names).
//! - Uploaded files are `0644`, directories `0755`, owned by the session's uid.

use super::{free_port, temp_dir, Peer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::ops::RangeInclusive;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The virtual users (name, password), each chrooted to [`FtpServer::home`]`(name)`.
pub const USERS: [(&str, &str); 2] = [("ann", "ann-secret-pw"), ("bob", "bob-secret-pw")];
/// The uid and gid the virtual users' sessions run as and their homes belong to (no
/// /etc/passwd entry).
pub const FTP_UID: u32 = 5000;
/// The uid and gid of anonymous sessions (the namespace's `ftp` account), owner of
/// `incoming/`.
pub const ANON_UID: u32 = 5001;
/// The passive (data) ports every server picks from.
pub const PASSIVE_PORTS: RangeInclusive<u16> = 30000..=30099;

/// Writes each syslog datagram from the socket `argv[1]` as one line of `argv[2]`, without
/// the `<PRI>` prefix.
const SYSLOG_RECEIVER: &str = r#"
import os, re, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1] + ".new")
os.chmod(sys.argv[1] + ".new", 0o666)
os.rename(sys.argv[1] + ".new", sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as log:
    while True:
        data = sock.recv(65536)
        log.write(re.sub(rb"^<[0-9]+>", b"", data).rstrip(b"\n") + b"\n")
"#;

/// A running pure-ftpd; see the module doc.
pub struct FtpServer {
    /// The temp dir: `home/ann/`, `home/bob/`, `anon/` (with `incoming/`), `users.pdb` (and
    /// its source `users.txt`), `ca.pem`, `pure-ftpd.pem`, `pure-ftpd.log`, `pure-ftpd.out`
    /// (the wrapper's own output), `pure-ftpd.pid`, `start.sh`, `ns/N/` (the overlays' upper
    /// dirs of the Nth start).
    pub dir: tempfile::TempDir,
    /// FTP, explicit FTPS offered (`AUTH TLS`), plain sessions allowed too.
    pub port: u16,
    /// Implicit FTPS: always `None` (Debian's pure-ftpd cannot; see the module doc).
    pub implicit_port: Option<u16>,
    peer: Option<Peer>,
    /// Starts so far (each gets its own overlay dirs under `ns/`).
    launches: u32,
}

impl FtpServer {
    /// Writes the temp dir and starts pure-ftpd, ready once it has greeted; another port is
    /// tried should the one picked be taken meanwhile.
    pub fn start() -> FtpServer {
        let dir = temp_dir();
        // The virtual uids traverse it to their homes (mktemp's 0700 would stop them).
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut server = FtpServer { dir, port: 0, implicit_port: None, peer: None, launches: 0 };
        server.write_files();
        let mut failures = Vec::new();
        for _ in 0..5 {
            server.port = free_port();
            match server.launch() {
                Ok(()) => return server,
                Err(why) => failures.push(format!("{why}\n{}", server.logs())),
            }
        }
        panic!("pure-ftpd did not start:\n{}", failures.join("\n\n"));
    }

    /// The home (chroot) of `user`: `ann` and `bob`, or `anonymous` / `ftp` for the anonymous
    /// area (read-only; its `incoming/` is writable). What a session uploads to `/x` is
    /// `home(user).join("x")`.
    pub fn home(&self, user: &str) -> PathBuf {
        match user {
            "anonymous" | "ftp" => self.dir.path().join("anon"),
            _ if USERS.iter().any(|(name, _)| *name == user) => self.dir.path().join("home").join(user),
            _ => panic!("no FTP user {user:?} (ann, bob, anonymous)"),
        }
    }

    /// The server's certificate (self-signed, `CA:TRUE`, for `localhost` and 127.0.0.1): the
    /// `ca_file` that makes a client trust it.
    pub fn ca_file(&self) -> String {
        self.path("ca.pem")
    }

    /// pure-ftpd's log (syslog lines, one per message: connections, every command, logins,
    /// uploads and downloads with their sizes), for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pure-ftpd.log")).unwrap_or_default()
    }

    /// Writes `data` to `path` (relative, `/` between parts) in `user`'s home, creating the
    /// missing folders, owned by the session's uid as if the user had uploaded them (for
    /// `anonymous`: by root, read-only to anonymous sessions, unless under `incoming/`);
    /// returns the file's path on disk.
    pub fn put_file(&self, user: &str, path: &str, data: &[u8]) -> PathBuf {
        let path = path.trim_start_matches('/');
        let uid = match user {
            "anonymous" | "ftp" if path.starts_with("incoming/") => ANON_UID,
            "anonymous" | "ftp" => 0,
            _ => FTP_UID,
        };
        let home = self.home(user);
        let target = home.join(path);
        let mut dir = home.clone();
        let parent = target.parent().unwrap_or(&home).strip_prefix(&home).unwrap().to_path_buf();
        for part in parent.components() {
            dir.push(part);
            if !dir.is_dir() {
                std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
                std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).unwrap();
            }
        }
        std::fs::write(&target, data).unwrap_or_else(|e| panic!("write {}: {e}", target.display()));
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::chown(&target, Some(uid), Some(uid)).unwrap();
        target
    }

    /// pure-ftpd's PID (the listening master; its process group too); 0 when stopped.
    pub fn pid(&self) -> u32 {
        self.peer.as_ref().map(|p| p.pid()).unwrap_or(0)
    }

    /// Stops the server (and every session: they share its process group) as a crash would
    /// (SIGTERM: sessions end without a reply). Files stay; [`restart`](Self::restart) brings
    /// it back on the same port.
    pub fn stop(&mut self) {
        if let Some(mut peer) = self.peer.take() {
            peer.stop();
        }
    }

    /// Starts the server again on the same port with the same files (after [`stop`](Self::stop);
    /// stops it first if it runs). Panics with the log when the port was taken meanwhile.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(why) = self.launch() {
            panic!("pure-ftpd did not restart on port {}: {why}\n{}", self.port, self.logs());
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The log and the wrapper's output, for a panic message.
    fn logs(&self) -> String {
        let out = std::fs::read_to_string(self.dir.path().join("pure-ftpd.out")).unwrap_or_default();
        format!("--- pure-ftpd.out\n{out}\n--- pure-ftpd.log\n{}", self.log())
    }

    fn write_files(&self) {
        let d = self.dir.path();
        let ds = d.display().to_string();
        let mkdir = |path: &Path, owner: u32| {
            std::fs::create_dir_all(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::os::unix::fs::chown(path, Some(owner), Some(owner)).unwrap();
        };
        for (user, _) in USERS {
            mkdir(&self.home(user), FTP_UID);
        }
        mkdir(&d.join("anon"), 0);
        mkdir(&d.join("anon/incoming"), ANON_UID);

        let (cert, key) = super::mail_servers::self_signed_ca_cert();
        std::fs::write(d.join("ca.pem"), &cert).unwrap();
        // pure-ftpd wants the key and the certificate in one file.
        let bundle = d.join("pure-ftpd.pem");
        std::fs::write(&bundle, format!("{key}{cert}")).unwrap();
        std::fs::set_permissions(&bundle, std::fs::Permissions::from_mode(0o600)).unwrap();

        // puredb source lines: user:hash:uid:gid:gecos:home/./ then 12 empty limit fields
        // (`/./` marks the chroot). `pure-pw useradd` would write argon2id hashes that cost
        // 2.7 s per login; `$6$` (SHA-512 crypt) costs milliseconds.
        let mut users = String::new();
        for (user, password) in USERS {
            let out = Command::new("openssl")
                .args(["passwd", "-6", password])
                .stderr(Stdio::inherit())
                .output()
                .expect("run openssl passwd");
            assert!(out.status.success(), "openssl passwd -6 failed");
            let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
            let home = self.home(user).display().to_string();
            users += &format!("{user}:{hash}:{FTP_UID}:{FTP_UID}::{home}/./{}\n", "::".repeat(6));
        }
        std::fs::write(d.join("users.txt"), users).unwrap();
        let out = Command::new("pure-pw")
            .args(["mkdb", &self.path("users.pdb"), "-f", &self.path("users.txt")])
            .stdin(Stdio::null())
            .output()
            .expect("run pure-pw (is pure-ftpd installed?)");
        assert!(
            out.status.success(),
            "pure-pw mkdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );

        // The namespace's /etc/passwd: the real one plus the anonymous account.
        let real = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
        let mut passwd: String =
            real.lines().filter(|line| !line.starts_with("ftp:")).map(|line| format!("{line}\n")).collect();
        passwd += &format!("ftp:x:{ANON_UID}:{ANON_UID}:anonymous FTP:{ds}/anon:/usr/sbin/nologin\n");
        std::fs::write(d.join("passwd"), passwd).unwrap();
        std::fs::set_permissions(d.join("passwd"), std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(d.join("syslog.py"), SYSLOG_RECEIVER).unwrap();
    }

    /// Writes `start.sh` for the current port and starts it; ready once pure-ftpd has greeted.
    fn launch(&mut self) -> Result<(), String> {
        let d = self.dir.path().display().to_string();
        // Fresh overlay dirs for each start: a session of the previous one may still hold its
        // namespace (and the overlays) for a moment.
        self.launches += 1;
        let ns = format!("{d}/ns/{}", self.launches);
        for sub in ["dev", "dev-work", "run", "run-work"] {
            std::fs::create_dir_all(format!("{ns}/{sub}")).unwrap();
        }
        let (first, last) = (PASSIVE_PORTS.start(), PASSIVE_PORTS.end());
        // Mounts made here stay in the namespace (unshare makes propagation private) and go
        // with its last process. pure-ftpd opens the syslog socket before it chroots, and each
        // session inherits it.
        let script = format!(
            "set -e\n\
             mount --bind {d}/passwd /etc/passwd\n\
             mount -t overlay ftpdev -o lowerdir=/dev,upperdir={ns}/dev,workdir={ns}/dev-work /dev\n\
             mount -t overlay ftprun -o lowerdir=/run,upperdir={ns}/run,workdir={ns}/run-work /run\n\
             rm -f {d}/log.sock /dev/log\n\
             ln -s {d}/log.sock /dev/log\n\
             python3 {d}/syslog.py {d}/log.sock {d}/pure-ftpd.log &\n\
             i=0\n\
             while [ ! -S {d}/log.sock ]; do\n\
             \x20 i=$((i + 1)); [ $i -lt 1000 ] || {{ echo 'syslog receiver did not start' >&2; exit 1; }}\n\
             \x20 sleep 0.01\n\
             done\n\
             exec pure-ftpd --bind 127.0.0.1,{port} --login puredb:{d}/users.pdb --chrooteveryone \\\n\
             \x20 --passiveportrange {first}:{last} --tls 1 --certfile {d}/pure-ftpd.pem \\\n\
             \x20 --anonymouscancreatedirs --dontresolve --verboselog --maxclientsnumber 200 \\\n\
             \x20 --maxclientsperip 200 --pidfile {d}/pure-ftpd.pid\n",
            port = self.port
        );
        std::fs::write(self.dir.path().join("start.sh"), script).unwrap();
        let out =
            std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("pure-ftpd.out")).unwrap();
        let start = format!("{d}/start.sh");
        let peer =
            Peer::start_logged("pure-ftpd", "unshare", &["--mount", "--propagation", "private", "sh", &start], out);
        let peer = peer.accepting_on(self.port, Duration::from_secs(10)).ok_or_else(|| {
            format!(
                "pure-ftpd exited or did not listen on {} (unshare --mount needs root with CAP_SYS_ADMIN)",
                self.port
            )
        })?;
        self.peer = Some(peer);
        expect_greeting(self.port)
    }
}

impl Drop for FtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Connects to `127.0.0.1:port` and reads the (multi-line) greeting up to its last `220 `
/// line; says QUIT so the server logs no lost connection.
fn expect_greeting(port: u16) -> Result<(), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect to {port}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut greeting = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return Err(format!("port {port} closed during the greeting: {greeting:?}")),
            Ok(_) => {}
            Err(e) => return Err(format!("no greeting on {port} after {:?}: {e}: {greeting:?}", started.elapsed())),
        }
        greeting += &line;
        if line.starts_with("220 ") {
            break;
        }
        if !line.starts_with("220-") {
            return Err(format!("port {port} greeted with {greeting:?}, not 220"));
        }
    }
    let _ = stream.write_all(b"QUIT\r\n");
    let _ = reader.read_to_end(&mut Vec::new());
    Ok(())
}
