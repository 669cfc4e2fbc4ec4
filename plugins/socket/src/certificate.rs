//! `socket::get_server_certificate`: connect, handshake TLS, and say what the server's
//! certificate is — its names, issuer, dates and days left — and whether it is trusted, in
//! words, even when it is not (Python's `ssl.get_server_certificate` plus `getpeercert()`,
//! without the exception that hides an expired certificate's dates).

use netscript_sdk::error::{script_error, CommonError};
use netscript_sdk::prelude::*;
use netscript_sdk::tls::{self, Trust};
use netscript_sdk::Options;
use std::time::Duration;

use crate::error::PROTOCOL;

/// The default limit for the connect and the handshake together.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn certificate(host: &str, port: INT, options: Map) -> Result<Map, CommonError> {
    let opts = Options::parse(PROTOCOL, "get_server_certificate", options, &["timeout", "ca_file", "server_name"])?;
    let port = u16::try_from(port)
        .map_err(|_| CommonError::invalid_argument(PROTOCOL, format!("port {port} is outside 0-65535")))?;
    if host.is_empty() {
        return Err(CommonError::invalid_argument(PROTOCOL, "get_server_certificate: the host is empty"));
    }
    let timeout = opts.duration("timeout", DEFAULT_TIMEOUT)?;
    let trust = Trust { insecure: false, ca_file: opts.string("ca_file")?, alpn: Vec::new() };
    let name = opts.string("server_name")?.unwrap_or_else(|| host.to_string());
    let what = format!("TLS handshake with {host}:{port}");
    let host = host.to_string();
    let report = netscript_sdk::runtime::block_on_timeout(PROTOCOL, &what, timeout, async move {
        let addrs = netscript_sdk::net::resolve_checked(PROTOCOL, &host, port).await?;
        let (tcp, _) = netscript_sdk::net::connect_addrs(PROTOCOL, &host, &addrs).await?;
        tls::inspect(PROTOCOL, &trust, &name, tcp).await
    })??;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let mut out = Map::new();
    out.insert("subject".into(), report.subject.into());
    out.insert("issuer".into(), report.issuer.into());
    out.insert("names".into(), report.names.into_iter().map(Dynamic::from).collect::<Array>().into());
    out.insert("not_before".into(), Dynamic::from_int(report.not_before));
    out.insert("not_after".into(), Dynamic::from_int(report.not_after));
    out.insert("days_left".into(), Dynamic::from_float((report.not_after - now) as f64 / 86_400.0));
    out.insert("trusted".into(), report.problem.is_none().into());
    // The trust advice names `insecure: true`, which this function has no use for.
    let problem = report.problem.map(|p| p.replace(", or `insecure: true` to skip verification", ""));
    out.insert("problem".into(), problem.map_or(Dynamic::UNIT, Dynamic::from));
    Ok(out)
}

/// Registers `get_server_certificate`.
pub fn register(m: &mut ModuleBuilder) {
    let doc = r#"
        Connects to `host:port`, does a TLS handshake and describes the server's
        certificate: `#{ subject, issuer, names, not_before, not_after, days_left, trusted,
        problem }` — `names` the DNS names and addresses it is for, the dates in seconds
        since 1970, `days_left` until it expires (negative once expired), `trusted` whether
        it is valid for `host` by the system's roots (and `ca_file`), `problem` why not, in
        words (expired, another name, an unknown issuer), else `()`. An expired or untrusted
        certificate is described, not refused: this is for monitoring (Python's
        `ssl.get_server_certificate` and `getpeercert()`).
        ```rhai
        let cert = socket::get_server_certificate("example.com", 443);
        if cert.days_left < 14 { print(`renew: ${cert.days_left.floor()} days left`); }
        ```
        Errors: `HostNotFound`, `ConnectionRefused`, `Timeout` (default 10 s for the connect
        and the handshake), `TlsError` (no TLS spoken there), `PermissionDenied`
        (`--allow-net`), `InvalidArgument` (port, options)."#;
    m.func("get_server_certificate", &["host", "port"], doc, |host: &str, port: INT| -> ScriptResult<Map> {
        certificate(host, port, Map::new()).map_err(script_error)
    });
    let doc = r#"
        Like `get_server_certificate(host, port)` with options: `timeout` (seconds),
        `ca_file` (trust these certificates too), `server_name` (the name to check and send
        in SNI, when `host` is an address).
        ```rhai
        let cert = socket::get_server_certificate("127.0.0.1", 8443, #{ server_name: "localhost", timeout: 3 });
        print(cert.names);
        ```
        Errors: as `get_server_certificate(host, port)`; `InvalidArgument` for an unknown option."#;
    m.func(
        "get_server_certificate",
        &["host", "port", "options"],
        doc,
        |host: &str, port: INT, options: Map| -> ScriptResult<Map> {
            certificate(host, port, options).map_err(script_error)
        },
    );
}
