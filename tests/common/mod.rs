//! Helpers shared by the integration tests: running the real `netscript` binary, temp dirs,
//! and foreign peer processes (Python, socat, servers) started on loopback and stopped by PID.

#![allow(dead_code)]

pub mod ftp_server;
pub mod mail_servers;
pub mod outside;
// Not every test binary that includes this module starts these servers.
#[allow(unused_imports)]
pub use ftp_server::FtpServer;
#[allow(unused_imports)]
pub use mail_servers::MailServers;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Path of the netscript binary under test.
pub fn netscript_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_netscript"))
}

/// Where cargo puts workspace artefacts (the directory holding the test's binary).
pub fn target_profile_dir() -> PathBuf {
    netscript_bin().parent().expect("binary has a parent").to_path_buf()
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The result of one netscript run, with helpers for assertions.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
    /// Panics with both streams unless the run exited 0.
    pub fn ok(self) -> Self {
        assert_eq!(self.status, 0, "netscript failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// Runs `netscript ARGS…`, with a 120 s limit so a hang fails the test instead of CI.
pub fn run(args: &[&str]) -> Run {
    run_in(args, None)
}

/// Runs `netscript -e CODE`.
pub fn eval(code: &str) -> Run {
    run(&["-e", code])
}

/// Runs `netscript ARGS…` in `dir` (or the current directory).
pub fn run_in(args: &[&str], dir: Option<&Path>) -> Run {
    let mut cmd = Command::new(netscript_bin());
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    Run::from(wait_with_limit(cmd.spawn().expect("spawn netscript"), Duration::from_secs(120)))
}

/// Waits for a child, killing it (and failing) if it outlives `limit`.
pub fn wait_with_limit(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "process still running after {limit:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A peer process (server or client) in its own process group, stopped by PID on drop.
pub struct Peer {
    child: Child,
    pub name: String,
}

impl Peer {
    /// Starts `program args…` in its own process group.
    pub fn start(name: &str, program: &str, args: &[&str], dir: Option<&Path>) -> Peer {
        let mut cmd = Command::new(program);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        cmd.process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name} ({program}): {e}"));
        Peer { child, name: name.into() }
    }

    /// Starts `program args…` in its own process group, stdout and stderr to `log`.
    pub fn start_logged(name: &str, program: &str, args: &[&str], log: std::fs::File) -> Peer {
        let mut cmd = Command::new(program);
        let err = log.try_clone().expect("clone the log file");
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::from(log)).stderr(Stdio::from(err));
        cmd.process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name} ({program}): {e}"));
        Peer { child, name: name.into() }
    }

    /// The peer once it accepts TCP on `127.0.0.1:port`; `None` (stopped) when it exited
    /// first (a port taken meanwhile) or did not accept within `limit`.
    pub fn accepting_on(mut self, port: u16, limit: Duration) -> Option<Peer> {
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if self.child.try_wait().ok().flatten().is_some() || start.elapsed() > limit {
                self.stop();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(self)
    }

    /// The peer's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads one line the peer printed on stdout (e.g. the port it bound), within 10 s.
    pub fn read_line(&mut self) -> String {
        let stdout = self.child.stdout.as_mut().expect("peer stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read peer line");
        line.trim().to_string()
    }

    /// Stops the peer's whole process group by PID.
    pub fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // The group id is the child's PID (process_group(0)); never signal by name.
            unsafe_kill_group(self.child.id());
            let _ = self.child.wait();
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn unsafe_kill_group(pgid: u32) {
    let _ = Command::new("kill").args(["-TERM", "--", &format!("-{pgid}")]).status();
}

/// Waits until something accepts TCP connections on `127.0.0.1:port` (10 s at most).
pub fn wait_for_port(port: u16) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on 127.0.0.1:{port} after 10 s");
}

/// Waits until something has bound UDP `127.0.0.1:port` (read from /proc/net/udp, no
/// datagram sent), 10 s at most.
pub fn wait_for_udp_port(port: u16) {
    let needle = format!("0100007F:{port:04X} ");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if std::fs::read_to_string("/proc/net/udp").is_ok_and(|t| t.contains(&needle)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("nothing bound UDP 127.0.0.1:{port} after 10 s");
}

/// A free TCP port on loopback (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether a command is on PATH (for peers the set-up installs).
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A fresh temp dir under /tmp (or `NETSCRIPT_TEST_TMPDIR`: `benches/smtp` puts Postfix's
/// queue on tmpfs with it), removed on drop.
pub fn temp_dir() -> tempfile::TempDir {
    let base = std::env::var_os("NETSCRIPT_TEST_TMPDIR").unwrap_or_else(|| "/tmp".into());
    tempfile::Builder::new().prefix("ns-test-").tempdir_in(base).expect("temp dir")
}

/// nginx on loopback with its config, pid, temp files and logs in its own temp dir
/// (chmod 0755: the workers run as `nobody`), stopped by PID on drop.
pub struct Nginx {
    /// The temp dir (config, `www/`, certificates, logs).
    pub dir: tempfile::TempDir,
    /// Plain HTTP port.
    pub port: u16,
    /// HTTPS (HTTP/2 enabled) port.
    pub tls_port: u16,
    peer: Peer,
}

impl Nginx {
    /// Starts nginx; `prepare(dir)` writes the content (`www/`, certificates) first and
    /// `http_block(dir, port, tls_port)` gives what goes inside `http { }`.
    /// nginx cannot listen on port 0 and report the port, so it gets two free ones; should
    /// another process take one in between, it is started again on two others.
    pub fn start(prepare: impl FnOnce(&Path), http_block: impl Fn(&Path, u16, u16) -> String) -> Nginx {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare(dir.path());
        for attempt in 1.. {
            let (port, tls_port) = (free_port(), free_port());
            match Self::try_start(&dir, &http_block, port, tls_port) {
                Some(peer) => return Nginx { dir, port, tls_port, peer },
                None if attempt < 5 => continue,
                None => break,
            }
        }
        let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
        panic!("nginx did not start: {log}");
    }

    /// One start on `port` and `tls_port`: the peer once it accepts, `None` when it exited
    /// (a port taken meanwhile).
    fn try_start(
        dir: &tempfile::TempDir,
        http_block: &impl Fn(&Path, u16, u16) -> String,
        port: u16,
        tls_port: u16,
    ) -> Option<Peer> {
        let d = dir.path().display().to_string();
        let echo = "/usr/lib/nginx/modules/ngx_http_echo_module.so";
        let load = if Path::new(echo).exists() { format!("load_module {echo};") } else { String::new() };
        let conf = format!(
            "{load}\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 4096; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  types {{ text/html html; text/plain txt; application/json json; }}\n{}\n}}\n",
            http_block(dir.path(), port, tls_port)
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let error_log = format!("{d}/error.log");
        let conf_path = format!("{d}/nginx.conf");
        let peer = Peer::start("nginx", "nginx", &["-e", &error_log, "-c", &conf_path, "-g", "daemon off;"], None);
        peer.accepting_on(port, Duration::from_secs(10))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// nginx's PID (the master).
    pub fn pid(&self) -> u32 {
        self.peer.pid()
    }
}

/// A test CA and a server certificate for `localhost` and 127.0.0.1, written as
/// `ca.pem`, `server.pem` and `server.key` into `dir`.
pub fn write_test_certs(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "netscript test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}

/// The TSIG key BIND accepts updates with (HMAC-SHA256), as `(name, base64 secret)`.
pub const BIND_TSIG: (&str, &str) = ("update-key", "c2VjcmV0LXVwZGF0ZS1rZXktZm9yLW5ldHNjcmlwdC10ZXN0cw==");

/// A TXT string of 2 × 255 characters: over UDP without EDNS its answer is truncated.
pub fn bind_big_txt() -> String {
    format!("\"{}\" \"{}\"", "a".repeat(255), "b".repeat(255))
}

/// A real BIND 9 on 127.0.0.1 and ::1 at a free port, authoritative for `example.test`
/// (every common record type, a wildcard, a name with only AAAA, a delegated child), the
/// reverse zones of 127.0.0.0/8 and ::1, `audit.test` and `skew.test` for
/// `scripts/dns_audit.rhai`, and `refused.test` (queries refused). Zone
/// transfers are allowed from loopback; updates only with [`BIND_TSIG`]. Config, zones,
/// key and PID live in a temp dir; stopped by PID when dropped.
pub struct Bind {
    pub dir: tempfile::TempDir,
    pub port: u16,
    peer: Peer,
}

impl Bind {
    /// Starts named; another port is tried should the one picked be taken meanwhile.
    pub fn start() -> Bind {
        let dir = temp_dir();
        Self::write_zones(dir.path());
        for attempt in 1.. {
            let port = free_port();
            match Self::try_start(&dir, port) {
                Some(peer) => return Bind { dir, port, peer },
                None if attempt < 5 => continue,
                None => break,
            }
        }
        let log = std::fs::read_to_string(dir.path().join("named.log")).unwrap_or_default();
        panic!("named did not start: {log}");
    }

    fn write_zones(d: &Path) {
        let example = format!(
            "$TTL 300\n\
             @ IN SOA ns1.example.test. hostmaster.example.test. 2026120101 3600 900 604800 60\n\
             @ IN NS ns1.example.test.\n\
             @ IN MX 10 mail.example.test.\n\
             @ IN MX 20 mail2.example.test.\n\
             @ IN TXT \"v=spf1 ip4:127.0.0.0/8 -all\"\n\
             @ IN CAA 0 issue \"letsencrypt.org\"\n\
             @ IN A 127.0.0.1\n\
             @ IN AAAA ::1\n\
             ns1 IN A 127.0.0.1\n\
             mail IN A 127.0.0.2\n\
             mail 600 IN AAAA ::1\n\
             mail2 IN A 127.0.0.3\n\
             www IN CNAME mail.example.test.\n\
             only6 IN AAAA 2001:db8::6\n\
             multi IN TXT \"first string\" \"second string\"\n\
             big IN TXT {}\n\
             _dmarc IN TXT \"v=DMARC1; p=reject\"\n\
             _sip._tcp IN SRV 10 5 5060 mail.example.test.\n\
             *.wild IN A 127.0.0.9\n\
             host IN HINFO \"Intel x86\" \"Debian Linux\"\n\
             host IN SSHFP 4 2 A8B18D5F0CEA1B2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3\n\
             host IN SSHFP 1 1 0123456789ABCDEF0123456789ABCDEF01234567\n\
             _25._tcp.mail IN TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6\n\
             signed IN DS 2371 13 2 32996839A6D808AFE3EB4A795A0E6A7A39A76FC52FF228B22B76F6D63826F2B9\n\
             signed IN NS ns1.example.test.\n\
             @ IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n\
             @ IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.test.\n\
             @ IN NAPTR 101 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.test!\" .\n\
             @ IN HTTPS 1 . alpn=h2,h3 port=8443 ipv4hint=127.0.0.1 ipv6hint=::1\n\
             svc IN SVCB 2 svc.example.test. mandatory=alpn,ipv4hint alpn=h2 no-default-alpn ipv4hint=192.0.2.1,192.0.2.2 \
               ech=AEP+DQA/BAAgACCW2/dfOBZAtQU55/py/BlhdRdaauPAkrERAUwppoeSEgAEAAEAAQAQY2QxLnRlc3QuZGVmby5pZQAA key65000=abc\n\
             loc IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n\
             @ IN URI 10 1 \"https://example.test/\"\n\
             rp IN RP hostmaster.example.test. .\n\
             afs IN AFSDB 1 afsdb.example.test.\n\
             eui IN EUI48 00-00-5e-00-53-2a\n\
             @ IN SPF \"v=spf1 -all\"\n\
             child IN NS ns.child.example.test.\n\
             ns.child IN A 127.0.0.10\n",
            bind_big_txt()
        );
        std::fs::write(d.join("example.test.zone"), example).unwrap();
        let soa = "$TTL 300\n@ IN SOA ns1.example.test. hostmaster.example.test. 1 3600 900 604800 60\n@ IN NS ns1.example.test.\n";
        std::fs::write(
            d.join("v4.rev"),
            format!("{soa}1.0.0 IN PTR example.test.\n2.0.0 IN PTR mail.example.test.\n4.0.0 IN PTR mx.audit.test.\n"),
        )
        .unwrap();
        std::fs::write(d.join("v6.rev"), format!("{soa}1 IN PTR example.test.\n")).unwrap();
        std::fs::write(d.join("refused.zone"), soa).unwrap();
        // A mail domain that passes dns_audit.rhai, with a broken one under it (`bad`), and
        // `skew.test`, whose second name server (127.0.0.5, a fake) has another serial.
        let audit = "$TTL 300\n\
             @ IN SOA ns1.audit.test. hostmaster.audit.test. 7 3600 900 604800 60\n\
             @ IN NS ns1.audit.test.\n\
             @ IN NS ns2.audit.test.\n\
             @ IN MX 10 mx.audit.test.\n\
             @ IN TXT \"v=spf1 mx ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.audit.test ~all\"\n\
             @ IN TXT \"google-site-verification=abc\"\n\
             _dmarc IN TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc@audit.test; pct=100\"\n\
             ns1 IN A 127.0.0.1\n\
             ns2 IN AAAA ::1\n\
             mx IN A 127.0.0.4\n\
             bad IN MX 10 nohost.audit.test.\n\
             bad IN MX 20 mail2.example.test.\n\
             bad IN TXT \"v=spf1 ip4:999.1.1.1 +all\"\n\
             _dmarc.bad IN TXT \"v=DMARC1; p=reject\"\n\
             _dmarc.bad IN TXT \"v=DMARC1; p=none\"\n";
        std::fs::write(d.join("audit.zone"), audit).unwrap();
        let skew = "$TTL 300\n@ IN SOA ns1.skew.test. hostmaster.skew.test. 5 3600 900 604800 60\n\
             @ IN NS ns1.skew.test.\n@ IN NS ns2.skew.test.\nns1 IN A 127.0.0.1\nns2 IN A 127.0.0.5\n";
        std::fs::write(d.join("skew.zone"), skew).unwrap();
    }

    fn try_start(dir: &tempfile::TempDir, port: u16) -> Option<Peer> {
        let d = dir.path().display().to_string();
        let (key, secret) = BIND_TSIG;
        let loopback = "127.0.0.0/8; ::1;";
        // The reverse zone of ::1's /124: 31 zero nibbles.
        let v6_zone = format!("{}ip6.arpa", "0.".repeat(31));
        let conf = format!(
            "key \"{key}\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n\
             options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; listen-on port {port} {{ 127.0.0.1; }};\n\
               listen-on-v6 port {port} {{ ::1; }}; recursion no; empty-zones-enable no; dnssec-validation no;\n\
               notify no; minimal-responses no; }};\n\
             controls {{ }};\n\
             zone \"example.test\" {{ type primary; file \"{d}/example.test.zone\"; allow-transfer {{ {loopback} }};\n\
               allow-update {{ key \"{key}\"; }}; }};\n\
             zone \"127.in-addr.arpa\" {{ type primary; file \"{d}/v4.rev\"; allow-transfer {{ {loopback} }}; }};\n\
             zone \"{v6_zone}\" {{ type primary; file \"{d}/v6.rev\"; }};\n\
             zone \"audit.test\" {{ type primary; file \"{d}/audit.zone\"; }};\n\
             zone \"skew.test\" {{ type primary; file \"{d}/skew.zone\"; }};\n\
             zone \"refused.test\" {{ type primary; file \"{d}/refused.zone\"; allow-query {{ none; }}; allow-transfer {{ none; }}; }};\n"
        );
        std::fs::write(dir.path().join("named.conf"), conf).unwrap();
        let conf_path = format!("{d}/named.conf");
        let log = std::fs::File::create(dir.path().join("named.log")).unwrap();
        let peer = Peer::start_logged("named", "named", &["-f", "-u", "root", "-c", &conf_path], log);
        // Ready when it answers over TCP (it binds UDP and TCP together) and has loaded its
        // zones (before that it answers SERVFAIL).
        let peer = peer.accepting_on(port, Duration::from_secs(15))?;
        let start = Instant::now();
        let port = port.to_string();
        while start.elapsed() < Duration::from_secs(15) {
            let loaded = ["example.test", "audit.test", "skew.test", "127.in-addr.arpa"].iter().all(|zone| {
                Command::new("dig")
                    .args(["@127.0.0.1", "-p", &port, "+short", "+norecurse", "+time=1", "+tries=1", zone, "SOA"])
                    .output()
                    .is_ok_and(|out| !out.stdout.is_empty())
            });
            if loaded {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(peer)
    }

    /// `127.0.0.1:PORT`, the `nameserver` option's form.
    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// dig's answer section for `args` (`["example.test", "MX"]`), one record per line.
    pub fn dig(&self, args: &[&str]) -> String {
        let port = self.port.to_string();
        let mut all = vec!["@127.0.0.1", "-p", &port, "+noall", "+answer", "+norecurse", "+time=5", "+tries=1"];
        all.extend_from_slice(args);
        let out = Command::new("dig").args(&all).output().expect("run dig");
        assert!(out.status.success(), "dig {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// named's PID.
    pub fn pid(&self) -> u32 {
        self.peer.pid()
    }
}

/// For the benchmark hold tests (`hold_…_for_a_benchmark`): the file `NETSCRIPT_HOLD_SERVERS`
/// names, or `None` (and a line saying so) when it is not set.
pub fn hold_file() -> Option<PathBuf> {
    let file = std::env::var_os("NETSCRIPT_HOLD_SERVERS");
    if file.is_none() {
        eprintln!("NETSCRIPT_HOLD_SERVERS is not set: nothing to hold");
    }
    file.map(PathBuf::from)
}

/// Writes the shell-sourceable `lines` to `file` atomically (a temp file renamed), then
/// waits until the benchmark deletes it (checked every 100 ms; 30 minutes at most): the
/// caller's servers stop when it returns.
pub fn hold_until_released(file: &Path, lines: &str) {
    let mut tmp = file.to_path_buf().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, lines).unwrap_or_else(|e| panic!("write {}: {e}", tmp.display()));
    std::fs::rename(&tmp, file).unwrap_or_else(|e| panic!("rename to {}: {e}", file.display()));
    let started = Instant::now();
    while file.exists() {
        if started.elapsed() > Duration::from_secs(30 * 60) {
            eprintln!("{} still there after 30 minutes: stopping the servers", file.display());
            let _ = std::fs::remove_file(file);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
