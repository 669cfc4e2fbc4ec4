//! Where and how a query goes: the name servers (the system's, or `nameserver` /
//! `nameservers` given as `ip`, `ip:port`, `[v6]:port` or a host name), UDP or TCP, the
//! time limit over the whole call, attempts, and the cache. Every server passes the net
//! permission checker before anything is sent to it.

use crate::error::{DnsError, DnsResult, PROTOCOL};
use netscript_sdk::options::Options;
use netscript_sdk::prelude::*;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The option keys every query function takes.
pub const KEYS: &[&str] = &["nameserver", "nameservers", "tcp", "timeout", "attempts", "cache"];

/// A call's time limit when none is given (dnspython's `lifetime`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of a query or a resolver.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The servers to ask, in order; empty: the system's (`/etc/resolv.conf`).
    pub servers: Vec<SocketAddr>,
    /// TCP only (else UDP, with TCP when an answer is truncated).
    pub tcp: bool,
    /// The limit over the whole call, every attempt and server included.
    pub timeout: Duration,
    /// Tries per server.
    pub attempts: usize,
    /// Whether answers are cached (by their TTL) between calls of one resolver.
    pub cache: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self { servers: Vec::new(), tcp: false, timeout: DEFAULT_TIMEOUT, attempts: 2, cache: false }
    }
}

impl Settings {
    /// Reads the settings from a call's options (checked against `keys`).
    pub fn from_options(function: &'static str, opts: Map, keys: &[&str]) -> DnsResult<Self> {
        let opts = Options::parse(PROTOCOL, function, opts, keys)?;
        let mut servers = Vec::new();
        if opts.get("nameserver").is_some() && opts.get("nameservers").is_some() {
            return Err(DnsError::invalid(format!(
                "{function}: give nameserver (one) or nameservers (an array), not both"
            )));
        }
        if let Some(one) = opts.get("nameserver") {
            servers.extend(server_list(function, one)?);
        }
        if let Some(list) = opts.get("nameservers") {
            servers.extend(server_list(function, list)?);
        }
        let attempts = match opts.int("attempts")? {
            None => 2,
            Some(n @ 1..=10) => n as usize,
            Some(n) => return Err(DnsError::invalid(format!("{function}: attempts must be 1-10, not {n}"))),
        };
        Ok(Self {
            servers,
            tcp: opts.bool("tcp", false)?,
            timeout: opts.duration("timeout", DEFAULT_TIMEOUT)?,
            attempts,
            cache: opts.bool("cache", false)?,
        })
    }
}

/// One server or an array of them. Errors: `InvalidArgument`, `PermissionDenied`,
/// `HostNotFound` for a server name that does not resolve.
fn server_list(function: &str, value: &Dynamic) -> DnsResult<Vec<SocketAddr>> {
    if value.is_array() {
        let list = value.clone().cast::<Array>();
        if list.is_empty() {
            return Err(DnsError::invalid(format!("{function}: nameservers is an empty array")));
        }
        let mut out = Vec::new();
        for item in &list {
            out.extend(server_list(function, item)?);
        }
        return Ok(out);
    }
    if !value.is_string() {
        return Err(DnsError::invalid(format!(
            "{function}: a name server is a string (\"ip\", \"ip:port\", \"[v6]:port\"), not {}",
            netscript_sdk::options::type_word(value)
        )));
    }
    parse_server(&value.to_string())
}

/// `"192.0.2.53"`, `"192.0.2.53:5353"`, `"::1"`, `"[::1]:5353"`, `"ns1.example.com"` or
/// `"ns1.example.com:5353"` (port 53 when none), checked with the permission checker.
pub fn parse_server(text: &str) -> DnsResult<Vec<SocketAddr>> {
    let bad = |why: &str| DnsError::invalid(format!("bad name server '{}': {why}", crate::names::quote(text)));
    if text.chars().any(|c| c.is_control() || c == '/') {
        return Err(bad("use ip, ip:port, [v6]:port or host[:port]"));
    }
    let text_trimmed = text.trim();
    if text_trimmed.is_empty() {
        return Err(bad("it is empty"));
    }
    if text_trimmed.contains(' ') {
        return Err(bad("use ip, ip:port, [v6]:port or host[:port]"));
    }
    let unbracketed = text_trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text_trimmed);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        let addr = SocketAddr::new(ip, 53);
        netscript_sdk::net::check_addr(addr)?;
        return Ok(vec![addr]);
    }
    if let Ok(addr) = text_trimmed.parse::<SocketAddr>() {
        if addr.port() == 0 {
            return Err(bad("the port must be 1-65535"));
        }
        netscript_sdk::net::check_addr(addr)?;
        return Ok(vec![addr]);
    }
    // dig's `ip#port` form.
    if let Some((ip, port)) = text_trimmed.split_once('#') {
        let ip: IpAddr = ip.parse().map_err(|_| bad("before '#' must be an IP address"))?;
        let port = port.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad("the port must be 1-65535"))?;
        let addr = SocketAddr::new(ip, port);
        netscript_sdk::net::check_addr(addr)?;
        return Ok(vec![addr]);
    }
    if text_trimmed.starts_with('[') && text_trimmed.ends_with(']') {
        return Err(bad("not an IPv6 address in the brackets"));
    }
    if text_trimmed.split('.').count() == 4 && text_trimmed.split(['.', ':']).take(4).all(|p| p.parse::<u32>().is_ok())
    {
        return Err(bad("not an IPv4 address"));
    }
    let (host, port) = match text_trimmed.rsplit_once(':') {
        Some((host, port)) => {
            let port = port.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad("the port must be 1-65535"))?;
            (host, port)
        }
        None => (text_trimmed, 53),
    };
    if host.is_empty() || host.contains(':') || host.starts_with('[') {
        return Err(bad("use ip, ip:port, [v6]:port or host[:port]"));
    }
    Ok(netscript_sdk::net::resolve_checked_now(PROTOCOL, host, port, DEFAULT_TIMEOUT)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_in_every_form() {
        netscript_sdk::host::allow_all_for_tests();
        assert_eq!(parse_server("127.0.0.1").unwrap(), vec!["127.0.0.1:53".parse().unwrap()]);
        assert_eq!(parse_server("127.0.0.1:5353").unwrap(), vec!["127.0.0.1:5353".parse().unwrap()]);
        assert_eq!(parse_server("::1").unwrap(), vec!["[::1]:53".parse().unwrap()]);
        assert_eq!(parse_server("[::1]:5353").unwrap(), vec!["[::1]:5353".parse().unwrap()]);
        assert_eq!(parse_server("[::1]").unwrap(), vec!["[::1]:53".parse().unwrap()]);
        for bad in ["", "1.2.3.4:99999", "1.2.3.4:0", "a b", "1.2.3.4\r\n", "[::1", "host:"] {
            let err = parse_server(bad).unwrap_err();
            assert!(matches!(err, DnsError::InvalidArgument(_)), "{bad}: {err}");
        }
    }
}
