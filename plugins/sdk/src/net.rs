//! Reaching the network, the one way every plugin does it: resolve a name (within the call's
//! timeout, without blocking sibling fibers), ask the permission checker about the name and
//! every address it resolved to, then connect — trying the addresses in turn, IPv6 and
//! IPv4 interleaved, a new attempt starting when the previous one has not answered within
//! 250 ms (happy eyeballs, RFC 8305) — all of it inside one timeout.
//!
//! - [`resolve`] / [`resolve_checked`]: addresses for a name (IP literals, `[::1]`, need no
//!   lookup); the checked form has passed `host().check_net`. FTP data-connection addresses
//!   and DNS name-server addresses go through [`check_addr`].
//! - [`connect`]: a checked, connected `tokio::net::TcpStream` and its peer address, ready
//!   for lettre's `connect_with_transport`, suppaftp's `connect_with_stream`, or
//!   [`crate::tls::handshake`].

use crate::error::{CommonError, CommonKind};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpStream;

/// How long one connection attempt has before the next address is tried too.
const ATTEMPT_HEAD_START: Duration = Duration::from_millis(250);

/// `host` as an IP address, with or without brackets (`[::1]`).
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    bare.parse().ok()
}

/// The addresses of `host:port`, each once, in the resolver's order. Call it inside a
/// `block_on*` (it is `async`); on a fiber the lookup runs on the blocking pool while the
/// fiber suspends. Errors: `InvalidArgument` for an empty name or one with a NUL byte,
/// `HostNotFound` when the name does not resolve.
pub async fn resolve(protocol: &str, host: &str, port: u16) -> Result<Vec<SocketAddr>, CommonError> {
    if let Some(addrs) = without_lookup(protocol, host, port)? {
        return Ok(addrs);
    }
    let found = tokio::net::lookup_host((host, port)).await.map_err(|e| not_found(protocol, host, e.to_string()))?;
    unique(protocol, host, found)
}

/// A name that needs no lookup: an IP literal (`Some`), or a bad name (`InvalidArgument`).
fn without_lookup(protocol: &str, host: &str, port: u16) -> Result<Option<Vec<SocketAddr>>, CommonError> {
    if host.is_empty() {
        return Err(CommonError::invalid_argument(protocol, "empty host name"));
    }
    if host.contains('\0') {
        return Err(CommonError::invalid_argument(protocol, "host name contains a NUL byte"));
    }
    Ok(ip_literal(host).map(|ip| vec![SocketAddr::new(ip, port)]))
}

fn not_found(protocol: &str, host: &str, reason: String) -> CommonError {
    CommonError::new(CommonKind::HostNotFound, protocol, format!("cannot resolve '{host}': {reason}"))
}

/// The resolver's answer with duplicates dropped; `HostNotFound` when it is empty.
fn unique(
    protocol: &str,
    host: &str,
    found: impl IntoIterator<Item = SocketAddr>,
) -> Result<Vec<SocketAddr>, CommonError> {
    let mut out: Vec<SocketAddr> = Vec::new();
    for addr in found {
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    if out.is_empty() {
        return Err(not_found(protocol, host, "no address".into()));
    }
    Ok(out)
}

/// Asks the permission checker whether the script may reach (or bind) `host:port`, which
/// resolved to `addrs`. Errors: `PermissionDenied`.
pub fn check(host: &str, port: u16, addrs: &[SocketAddr]) -> Result<(), CommonError> {
    let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    crate::host::host().check_net(host, port, &ips)
}

/// Asks the permission checker about one address a server handed out (an FTP PASV/EPSV
/// reply, a DNS name server): it must be allowed in its own right. Errors: `PermissionDenied`.
pub fn check_addr(addr: SocketAddr) -> Result<(), CommonError> {
    crate::host::host().check_net(&addr.ip().to_string(), addr.port(), &[addr.ip()])
}

/// Before a name is looked up: whether any permission rule could let `host:port` through
/// (its name, or an address block on that port). Under `--sandbox` this refuses, so no DNS
/// query leaves for a name the script may not reach. Errors: `PermissionDenied`.
pub fn may_look_up(host: &str, port: u16) -> Result<(), CommonError> {
    if ip_literal(host).is_some() {
        return Ok(());
    }
    crate::host::host().check_net(host, port, &[])
}

/// [`resolve`], then [`check`]: addresses the script may use. Errors: as both.
pub async fn resolve_checked(protocol: &str, host: &str, port: u16) -> Result<Vec<SocketAddr>, CommonError> {
    may_look_up(host, port)?;
    let addrs = resolve(protocol, host, port).await?;
    check(host, port, &addrs)?;
    Ok(addrs)
}

/// [`resolve_checked`] from synchronous code, within `limit`: from a script thread or a fiber
/// it waits through the runtime (a fiber suspends); from code the runtime itself calls
/// synchronously (a redirect policy) it asks the system resolver directly, since nothing
/// there may wait on the runtime. Errors: as [`resolve_checked`], `Timeout`.
pub fn resolve_checked_now(
    protocol: &str,
    host: &str,
    port: u16,
    limit: Duration,
) -> Result<Vec<SocketAddr>, CommonError> {
    if tokio::runtime::Handle::try_current().is_err() || crate::fibers::in_fiber() {
        let what = format!("resolve {host}");
        return crate::runtime::block_on_timeout(protocol, &what, limit, resolve_checked(protocol, host, port))?;
    }
    let addrs = match without_lookup(protocol, host, port)? {
        Some(addrs) => addrs,
        None => {
            may_look_up(host, port)?;
            use std::net::ToSocketAddrs;
            let found = (host, port).to_socket_addrs().map_err(|e| not_found(protocol, host, e.to_string()))?;
            unique(protocol, host, found)?
        }
    };
    check(host, port, &addrs)?;
    Ok(addrs)
}

/// Resolves, checks and connects to `host:port` within `limit` in all (see the module
/// docs), from a script thread or a fiber. Errors: `Timeout` (naming what timed out),
/// `HostNotFound`, `PermissionDenied`, `ConnectionRefused`, `IoError`, `InvalidArgument`.
pub fn connect(protocol: &str, host: &str, port: u16, limit: Duration) -> Result<(TcpStream, SocketAddr), CommonError> {
    let what = format!("connect to {host}:{port}");
    crate::runtime::block_on_timeout(protocol, &what, limit, async {
        let addrs = resolve_checked(protocol, host, port).await?;
        connect_addrs(protocol, host, &addrs).await
    })?
}

/// Connects to the first of `addrs` (already checked) that answers: families interleaved,
/// a new attempt every 250 ms while earlier ones are still pending, the first success wins
/// and the others are dropped. Errors: the last attempt's failure by its kind.
pub async fn connect_addrs(
    protocol: &str,
    host: &str,
    addrs: &[SocketAddr],
) -> Result<(TcpStream, SocketAddr), CommonError> {
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let order = interleave_families(addrs);
    let mut pending = FuturesUnordered::new();
    let mut next = order.into_iter();
    let mut last: Option<CommonError> = None;
    let attempt = |addr: SocketAddr| async move { (addr, TcpStream::connect(addr).await) };
    if let Some(first) = next.next() {
        pending.push(attempt(first));
    }
    loop {
        if pending.is_empty() {
            match next.next() {
                Some(addr) => pending.push(attempt(addr)),
                None => break,
            }
        }
        tokio::select! {
            Some((addr, outcome)) = pending.next() => match outcome {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, addr));
                }
                Err(e) => last = Some(CommonError::from_io(protocol, &connect_context(host, &addr), &e)),
            },
            _ = tokio::time::sleep(ATTEMPT_HEAD_START), if next.len() > 0 => {
                if let Some(addr) = next.next() {
                    pending.push(attempt(addr));
                }
            }
        }
    }
    Err(last.unwrap_or_else(|| CommonError::new(CommonKind::HostNotFound, protocol, format!("{host} has no address"))))
}

/// `connect to h (ip:port)` or, for an IP literal, `connect to ip:port`.
fn connect_context(host: &str, addr: &SocketAddr) -> String {
    if ip_literal(host).is_some() {
        format!("connect to {addr}")
    } else {
        format!("connect to {host} ({addr})")
    }
}

/// The addresses with the families alternating, starting with the resolver's first.
fn interleave_families(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else { return Vec::new() };
    let (mut same, mut other): (Vec<SocketAddr>, Vec<SocketAddr>) =
        addrs.iter().partition(|a| a.is_ipv6() == first.is_ipv6());
    same.reverse();
    other.reverse();
    let mut out = Vec::with_capacity(addrs.len());
    while !same.is_empty() || !other.is_empty() {
        out.extend(same.pop());
        out.extend(other.pop());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_alternate_from_the_resolvers_first() {
        let a: SocketAddr = "[::1]:1".parse().unwrap();
        let b: SocketAddr = "[::2]:1".parse().unwrap();
        let c: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(interleave_families(&[a, b, c]), vec![a, c, b]);
        assert_eq!(interleave_families(&[c, a, b]), vec![c, a, b]);
        assert!(interleave_families(&[]).is_empty());
    }

    #[test]
    fn literals_resolve_without_a_lookup_and_bad_names_are_invalid() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            assert_eq!(resolve("t", "[::1]", 7).await.unwrap(), vec!["[::1]:7".parse().unwrap()]);
            assert_eq!(resolve("t", "", 7).await.unwrap_err().kind, CommonKind::InvalidArgument);
            assert_eq!(resolve("t", "a\0b", 7).await.unwrap_err().kind, CommonKind::InvalidArgument);
            let missing = resolve("t", "no-such-host.invalid", 7).await.unwrap_err();
            assert_eq!(missing.kind, CommonKind::HostNotFound);
            assert_eq!(missing.protocol, "t");
        });
    }

    #[test]
    fn connect_without_a_host_is_denied_and_a_closed_port_is_refused() {
        // No host installed: the checker refuses before any connection.
        let denied = connect("t", "127.0.0.1", 9, Duration::from_secs(5)).unwrap_err();
        assert_eq!(denied.kind, CommonKind::PermissionDenied);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let refused = rt.block_on(connect_addrs("t", "127.0.0.1", &[port])).unwrap_err();
        assert_eq!(refused.kind, CommonKind::ConnectionRefused);
    }
}
