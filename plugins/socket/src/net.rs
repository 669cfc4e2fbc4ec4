//! What every socket kind shares: families and types, port and size checks, per-socket
//! timeouts, the close signal, the bridge from a script call to the runtime, and address
//! resolution with the permission check.

use crate::error::{SocketError, SocketResult, PROTOCOL};
use netscript_sdk::prelude::*;
use netscript_sdk::runtime;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// `socket::AF_UNIX` (Linux value, as in Python).
pub const AF_UNIX: INT = 1;
/// `socket::AF_INET`.
pub const AF_INET: INT = 2;
/// `socket::AF_INET6`.
pub const AF_INET6: INT = 10;
/// `socket::SOCK_STREAM`.
pub const SOCK_STREAM: INT = 1;
/// `socket::SOCK_DGRAM`.
pub const SOCK_DGRAM: INT = 2;

/// `socket::SHUT_RD`: stop receiving.
pub const SHUT_RD: INT = 0;
/// `socket::SHUT_WR`: stop sending (the peer reads end of stream).
pub const SHUT_WR: INT = 1;
/// `socket::SHUT_RDWR`: both.
pub const SHUT_RDWR: INT = 2;

/// Seconds a call that talks to a peer may take unless `settimeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most one `recv` allocates, whatever `n` the script asks for.
pub const MAX_READ: usize = 16 << 20;

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
    /// Unix domain (paths).
    Unix,
}

impl Family {
    /// The family for a script's `AF_*` value.
    pub fn from_int(value: INT) -> SocketResult<Self> {
        match value {
            AF_INET => Ok(Self::Inet),
            AF_INET6 => Ok(Self::Inet6),
            AF_UNIX => Ok(Self::Unix),
            other => Err(SocketError::invalid(format!(
                "unknown address family {other} (use socket::AF_INET, AF_INET6 or AF_UNIX)"
            ))),
        }
    }

    /// The script value.
    pub fn as_int(self) -> INT {
        match self {
            Self::Inet => AF_INET,
            Self::Inet6 => AF_INET6,
            Self::Unix => AF_UNIX,
        }
    }

    /// The constant's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Inet => "AF_INET",
            Self::Inet6 => "AF_INET6",
            Self::Unix => "AF_UNIX",
        }
    }

    /// The family of an IP address.
    pub fn of(addr: &SocketAddr) -> Self {
        if addr.is_ipv4() {
            Self::Inet
        } else {
            Self::Inet6
        }
    }
}

/// A socket type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A byte stream (TCP, Unix stream).
    Stream,
    /// Datagrams (UDP, Unix datagram).
    Datagram,
}

impl Kind {
    /// The kind for a script's `SOCK_*` value.
    pub fn from_int(value: INT) -> SocketResult<Self> {
        match value {
            SOCK_STREAM => Ok(Self::Stream),
            SOCK_DGRAM => Ok(Self::Datagram),
            other => Err(SocketError::invalid(format!(
                "unknown socket type {other} (use socket::SOCK_STREAM or SOCK_DGRAM)"
            ))),
        }
    }

    /// The constant's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stream => "SOCK_STREAM",
            Self::Datagram => "SOCK_DGRAM",
        }
    }
}

/// A port number from a script integer.
pub fn port(value: INT) -> SocketResult<u16> {
    u16::try_from(value).map_err(|_| SocketError::invalid(format!("port {value} is outside 0-65535")))
}

/// A byte count (`recv(n)`) from a script integer, capped at [`MAX_READ`].
pub fn byte_count(value: INT, what: &str) -> SocketResult<usize> {
    usize::try_from(value)
        .map(|n| n.min(MAX_READ))
        .map_err(|_| SocketError::invalid(format!("{what}: byte count {value} is negative")))
}

/// How long calls on a socket may wait.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limit {
    /// Not set: the call's own default.
    Default,
    /// `settimeout(())`: wait without limit (Ctrl-C still interrupts).
    Forever,
    /// `settimeout(seconds)`.
    Seconds(Duration),
}

/// A socket's timeout, shared by its clones and readable without a lock.
#[derive(Debug)]
pub struct TimeoutCell(AtomicU64);

const DEFAULT_BITS: u64 = u64::MAX;
const FOREVER_BITS: u64 = u64::MAX - 1;

impl TimeoutCell {
    /// A cell holding `limit`.
    pub fn new(limit: Limit) -> Self {
        let cell = Self(AtomicU64::new(DEFAULT_BITS));
        cell.set(limit);
        cell
    }

    /// Changes the limit.
    pub fn set(&self, limit: Limit) {
        let bits = match limit {
            Limit::Default => DEFAULT_BITS,
            Limit::Forever => FOREVER_BITS,
            // At most NO_LIMIT (a hundred years) in nanoseconds: far below the sentinels.
            Limit::Seconds(d) => u64::try_from(d.as_nanos()).unwrap_or(FOREVER_BITS - 1),
        };
        self.0.store(bits, Ordering::Relaxed);
    }

    /// The limit as set.
    pub fn get(&self) -> Limit {
        match self.0.load(Ordering::Relaxed) {
            DEFAULT_BITS => Limit::Default,
            FOREVER_BITS => Limit::Forever,
            nanos => Limit::Seconds(Duration::from_nanos(nanos)),
        }
    }

    /// The seconds a call may wait, given the call's default (`None`: no limit).
    pub fn effective(&self, default: Option<Duration>) -> Option<Duration> {
        match self.get() {
            Limit::Default => default,
            Limit::Forever => None,
            Limit::Seconds(s) => Some(s),
        }
    }

    /// What `gettimeout()` shows: seconds, or `()` for no limit.
    pub fn script_value(&self, default: Option<Duration>) -> Dynamic {
        self.effective(default).map_or(Dynamic::UNIT, |d| Dynamic::from_float(d.as_secs_f64()))
    }
}

/// Reads `settimeout`'s argument: seconds > 0, or `()` for no limit.
pub fn parse_limit(value: &Dynamic) -> SocketResult<Limit> {
    if value.is_unit() {
        return Ok(Limit::Forever);
    }
    let what = "settimeout: the timeout (use () to wait without limit)";
    Ok(duration_limit(netscript_sdk::timeout::positive_value(PROTOCOL, what, value)?))
}

/// A limit of `limit`; "no limit" durations ([`netscript_sdk::timeout::NO_LIMIT`]) mean no limit.
fn duration_limit(limit: Duration) -> Limit {
    if netscript_sdk::timeout::is_no_limit(limit) {
        Limit::Forever
    } else {
        Limit::Seconds(limit)
    }
}

/// A timeout from an option map (`#{ timeout: 5 }`), `Default` when absent.
pub fn option_limit(opts: &Options) -> SocketResult<Limit> {
    match opts.get("timeout") {
        None => Ok(Limit::Default),
        Some(_) => Ok(duration_limit(opts.duration("timeout", DEFAULT_TIMEOUT)?)),
    }
}

/// Parses a trailing option map.
pub fn options(function: &'static str, map: Map, allowed: &[&str]) -> SocketResult<Options> {
    Ok(Options::parse(PROTOCOL, function, map, allowed)?)
}

/// The closed flag of a socket, with a signal that wakes calls waiting on it.
#[derive(Debug, Default)]
pub struct Lifetime {
    closed: AtomicBool,
    notify: Notify,
}

impl Lifetime {
    /// Has `close()` been called?
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Marks the socket closed and wakes every call waiting on it; true the first time.
    pub fn close(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        self.notify.notify_waiters();
        first
    }

    /// Resolves once the socket is closed.
    pub async fn closed(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Registering before checking the flag: a close in between still wakes us.
        notified.as_mut().enable();
        if self.is_closed() {
            return;
        }
        notified.await;
    }
}

/// Runs one network call from a script thread: waits at most `limit` seconds, gives up
/// with `ConnectionClosed` when the socket is closed meanwhile, and lets Ctrl-C interrupt.
/// `fut` must be an `async` block so nothing of tokio is touched outside the runtime.
pub fn wait<T>(
    what: &str,
    limit: Option<Duration>,
    life: &Lifetime,
    fut: impl Future<Output = SocketResult<T>>,
) -> SocketResult<T> {
    if life.is_closed() {
        return Err(SocketError::closed(what));
    }
    let guarded = async {
        tokio::select! {
            biased;
            out = fut => out,
            _ = life.closed() => Err(SocketError::closed(what)),
        }
    };
    match limit {
        Some(limit) => runtime::block_on_timeout(PROTOCOL, what, limit, guarded)?,
        None => runtime::block_on(PROTOCOL, guarded)?,
    }
}

/// Runs a call that belongs to no socket (a lookup) with a limit.
pub fn wait_detached<T>(
    what: &str,
    limit: Option<Duration>,
    fut: impl Future<Output = SocketResult<T>>,
) -> SocketResult<T> {
    match limit {
        Some(limit) => runtime::block_on_timeout(PROTOCOL, what, limit, fut)?,
        None => runtime::block_on(PROTOCOL, fut)?,
    }
}

/// Parses an IP literal, with or without brackets (`[::1]`).
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    netscript_sdk::net::ip_literal(host)
}

/// Resolves `host:port` to the addresses to use, keeping only `family` when given.
/// `passive` (bind, listen): an empty host means every local address of the family.
pub fn resolve(
    host: &str,
    port: u16,
    family: Option<Family>,
    passive: bool,
    limit: Option<Duration>,
) -> SocketResult<Vec<SocketAddr>> {
    let wanted = |a: &SocketAddr| family.is_none_or(|f| Family::of(a) == f);
    if host.is_empty() && passive {
        let any: IpAddr = match family {
            Some(Family::Inet6) => Ipv6Addr::UNSPECIFIED.into(),
            _ => Ipv4Addr::UNSPECIFIED.into(),
        };
        return Ok(vec![SocketAddr::new(any, port)]);
    }
    if let Some(ip) = ip_literal(host) {
        let addr = SocketAddr::new(ip, port);
        return if wanted(&addr) {
            Ok(vec![addr])
        } else {
            Err(SocketError::invalid(format!("address {ip} is not of family {}", family.map_or("", Family::name))))
        };
    }
    let found = wait_detached(&format!("resolve {host}"), limit, async {
        Ok(netscript_sdk::net::resolve(PROTOCOL, host, port).await?)
    })?;
    let out: Vec<SocketAddr> = found.into_iter().filter(wanted).collect();
    if out.is_empty() {
        return Err(SocketError::HostNotFound {
            host: host.into(),
            reason: match family {
                Some(f) => format!("no {} address", f.name()),
                None => "no address".into(),
            },
        });
    }
    Ok(out)
}

/// Asks the host whether the script may reach or bind `host:port`.
pub fn check_net(host: &str, port: u16, addrs: &[SocketAddr]) -> SocketResult<()> {
    Ok(netscript_sdk::net::check(host, port, addrs)?)
}

/// Resolves and checks in one step: what connect, bind and listen do first.
pub fn resolve_checked(
    host: &str,
    port: u16,
    family: Option<Family>,
    passive: bool,
    limit: Option<Duration>,
) -> SocketResult<Vec<SocketAddr>> {
    if !host.is_empty() {
        netscript_sdk::net::may_look_up(host, port)?;
    }
    let addrs = resolve(host, port, family, passive, limit)?;
    check_net(host, port, &addrs)?;
    Ok(addrs)
}

/// `#{ host, port }` for an IP socket address.
pub fn addr_map(addr: &SocketAddr) -> Map {
    let mut map = Map::new();
    map.insert("host".into(), addr.ip().to_string().into());
    map.insert("port".into(), Dynamic::from_int(INT::from(addr.port())));
    map
}

/// Registers the `AF_*`, `SOCK_*` and `SHUT_*` constants.
pub fn register_constants(m: &mut ModuleBuilder) {
    m.constant("AF_INET", AF_INET)
        .constant("AF_INET6", AF_INET6)
        .constant("AF_UNIX", AF_UNIX)
        .constant("SOCK_STREAM", SOCK_STREAM)
        .constant("SOCK_DGRAM", SOCK_DGRAM)
        .constant("SHUT_RD", SHUT_RD)
        .constant("SHUT_WR", SHUT_WR)
        .constant("SHUT_RDWR", SHUT_RDWR);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_outside_the_range_are_invalid() {
        assert_eq!(port(0).unwrap(), 0);
        assert_eq!(port(65535).unwrap(), 65535);
        assert!(port(65536).is_err());
        assert!(port(-1).is_err());
    }

    #[test]
    fn timeouts_round_trip_through_the_cell() {
        let cell = TimeoutCell::new(Limit::Default);
        assert_eq!(cell.effective(Some(DEFAULT_TIMEOUT)), Some(DEFAULT_TIMEOUT));
        cell.set(Limit::Seconds(Duration::from_millis(1500)));
        assert_eq!(cell.effective(None), Some(Duration::from_millis(1500)));
        cell.set(Limit::Forever);
        assert_eq!(cell.effective(Some(DEFAULT_TIMEOUT)), None);
        assert!(parse_limit(&Dynamic::from_float(0.0)).is_err());
        assert!(parse_limit(&Dynamic::from_int(-3)).is_err());
        assert_eq!(parse_limit(&Dynamic::UNIT).unwrap(), Limit::Forever);
        assert_eq!(parse_limit(&Dynamic::from_float(1e300)).unwrap(), Limit::Forever);
    }

    #[test]
    fn literals_and_empty_hosts_resolve_without_a_lookup() {
        let any = resolve("", 80, Some(Family::Inet6), true, None).unwrap();
        assert_eq!(any[0].to_string(), "[::]:80");
        let v6 = resolve("[::1]", 1, None, false, None).unwrap();
        assert_eq!(v6[0].to_string(), "[::1]:1");
        assert!(resolve("127.0.0.1", 1, Some(Family::Inet6), false, None).is_err());
        assert!(resolve("", 1, None, false, None).is_err());
    }
}
