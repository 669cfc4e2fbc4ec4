//! Networks: `addr::network(text)` and the `IpNetwork` type (netaddr's `IPNetwork`).
//!
//! Like netaddr, a network remembers the address it was written with (`.ip`), so
//! `addr::network("192.0.2.7/24").ip` is `192.0.2.7`; everything else (`to_string()`,
//! equality, `.network`) uses the prefix with host bits cleared, as API.md requires.

use crate::error::{AddrError, ScriptResult};
use crate::ip::{hostmask, IpAddress, Version};
use crate::iter::{count_value, next_or_unit, take, to_array, IpAddressIter};
use netscript_sdk::rhai::{Array, Dynamic, ImmutableString, INT};
use netscript_sdk::ModuleBuilder;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// An IP network in CIDR form (netaddr's `IPNetwork`); `type_of` is `"IpNetwork"`.
#[derive(Clone, Copy, Debug)]
pub struct IpNetwork {
    ip: IpAddress,
    prefixlen: u8,
}

impl IpNetwork {
    /// The network of `ip` (host bits kept in `.ip`) with `prefixlen`.
    pub fn new(ip: IpAddress, prefixlen: u8) -> Result<Self, AddrError> {
        let max = ip.version().width();
        if prefixlen > max {
            return Err(AddrError::PrefixOutOfRange {
                prefixlen: i64::from(prefixlen),
                version: ip.version().number(),
                max,
            });
        }
        Ok(Self { ip, prefixlen })
    }

    /// The single-address network (/32 or /128).
    pub fn host(ip: IpAddress) -> Self {
        Self { ip, prefixlen: ip.version().width() }
    }

    /// Parses `address`, `address/prefixlen`, `address/netmask` or `address/hostmask`.
    pub fn parse(text: &str) -> Result<Self, AddrError> {
        let invalid = || AddrError::InvalidNetwork(text.to_string());
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let ip = IpAddress::parse_quiet(addr).ok_or_else(invalid)?;
        let version = ip.version();
        let width = version.width();
        let prefixlen = match prefix {
            None => width,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                // Like Python's int(): leading zeros are fine ("/024"); huge is too long.
                let digits = p.trim_start_matches('0');
                let n: u32 = if digits.is_empty() { 0 } else { digits.parse().unwrap_or(u32::MAX) };
                if n > u32::from(width) {
                    return Err(AddrError::NetworkPrefix {
                        text: text.to_string(),
                        version: version.number(),
                        max: width,
                    });
                }
                n as u8
            }
            Some(p) => {
                let mask = IpAddress::parse_quiet(p).filter(|m| m.version() == version).ok_or_else(invalid)?;
                mask_prefix(mask.value(), width).ok_or_else(invalid)?
            }
        };
        Ok(Self { ip, prefixlen })
    }

    /// The same address with another prefix length, which must fit the version.
    pub(crate) fn with_prefixlen(self, prefixlen: u8) -> Self {
        debug_assert!(prefixlen <= self.version().width());
        Self { prefixlen, ..self }
    }

    /// IPv4 or IPv6.
    pub fn version(&self) -> Version {
        self.ip.version()
    }
    /// The prefix length.
    pub fn prefixlen(&self) -> u8 {
        self.prefixlen
    }
    /// The address as written (host bits kept).
    pub fn ip(&self) -> IpAddress {
        self.ip
    }
    fn hostmask_value(&self) -> u128 {
        hostmask(self.version().width(), self.prefixlen)
    }
    /// The first address's value.
    pub fn first(&self) -> u128 {
        self.ip.value() & !self.hostmask_value()
    }
    /// The last address's value.
    pub fn last(&self) -> u128 {
        self.ip.value() | self.hostmask_value()
    }
    fn addr(&self, value: u128) -> IpAddress {
        // Every value built here lies inside the network, hence inside the address space.
        IpAddress::new(self.version(), value).unwrap_or(self.ip)
    }
    /// The same network with host bits cleared (netaddr's `.cidr`).
    pub fn cidr(&self) -> Self {
        Self { ip: self.addr(self.first()), prefixlen: self.prefixlen }
    }
    /// The number of addresses, `None` for 2^128 (::/0).
    pub fn size(&self) -> Option<u128> {
        (self.last() - self.first()).checked_add(1)
    }
    /// Whether every address of `other` lies in this network (false across versions).
    pub fn contains(&self, other: &IpNetwork) -> bool {
        other.version() == self.version()
            && other.prefixlen >= self.prefixlen
            && self.first() <= other.first()
            && other.last() <= self.last()
    }

    /// netaddr's `sort_key()`: version, first address, prefix length, host bits.
    pub(crate) fn sort_key(&self) -> (Version, u128, i16, u128) {
        (self.version(), self.first(), i16::from(self.prefixlen) - 1, self.ip.value() - self.first())
    }

    /// The usable host range, netaddr's `_usable_range()`: IPv4 drops the network and
    /// broadcast addresses, IPv6 the Subnet-Router anycast (first) one; networks of fewer
    /// than four addresses (/31, /32, /127, /128) keep all (RFC 3021, RFC 6164).
    pub fn usable_range(&self) -> (u128, u128) {
        let (first, last) = (self.first(), self.last());
        if self.version().width() - self.prefixlen >= 2 {
            match self.version() {
                Version::V4 => (first + 1, last - 1),
                Version::V6 => (first + 1, last),
            }
        } else {
            (first, last)
        }
    }

    /// The subnets of `prefixlen`, `count` of them (all when `None`), as netaddr's `subnet()`.
    pub fn subnets(&self, prefixlen: INT, count: Option<INT>) -> Result<IpNetworkIter, AddrError> {
        let version = self.version();
        let width = version.width();
        let new = u8::try_from(prefixlen).ok().filter(|p| *p <= width).ok_or(AddrError::PrefixOutOfRange {
            prefixlen,
            version: version.number(),
            max: width,
        })?;
        if new < self.prefixlen {
            // netaddr yields nothing for a shorter prefix.
            return Ok(IpNetworkIter::empty(version));
        }
        let max_index = hostmask(width - self.prefixlen, width - new);
        let last_index = match count {
            None => max_index,
            Some(c) => match u128::try_from(c) {
                Ok(c) if c >= 1 && c - 1 <= max_index => c - 1,
                _ => {
                    return Err(AddrError::SubnetCount {
                        count: c,
                        max: max_index.checked_add(1).map_or_else(|| "2^128".into(), |m| m.to_string()),
                        network: self.to_string(),
                        prefixlen: new,
                    })
                }
            },
        };
        Ok(IpNetworkIter::new(version, self.first(), new, last_index))
    }

    /// The supernets from `/prefixlen` down to (excluding) this network's own prefix.
    pub fn supernets(&self, prefixlen: INT) -> Result<Vec<IpNetwork>, AddrError> {
        let width = self.version().width();
        let p = u8::try_from(prefixlen).ok().filter(|p| *p <= width).ok_or(AddrError::PrefixOutOfRange {
            prefixlen,
            version: self.version().number(),
            max: width,
        })?;
        if p > self.prefixlen {
            return Err(AddrError::SupernetTooLong { prefixlen, current: self.prefixlen, network: self.to_string() });
        }
        Ok((p..self.prefixlen).map(|len| Self { ip: self.ip, prefixlen: len }.cidr()).collect())
    }
}

/// The prefix of a netmask (`255.255.255.0`) or hostmask (`0.0.0.255`), netmask first.
fn mask_prefix(mask: u128, width: u8) -> Option<u8> {
    let full = hostmask(width, 0);
    let ones = mask.count_ones() as u8;
    let netmask = full & !hostmask(width, ones);
    if mask == netmask {
        Some(ones)
    } else if mask == hostmask(width, width - ones) {
        Some(width - ones)
    } else {
        None
    }
}

impl PartialEq for IpNetwork {
    // netaddr compares networks by (version, first, last): host bits do not matter.
    fn eq(&self, other: &Self) -> bool {
        self.version() == other.version() && self.prefixlen == other.prefixlen && self.first() == other.first()
    }
}
impl Eq for IpNetwork {}
impl Hash for IpNetwork {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.version(), self.first(), self.prefixlen).hash(state);
    }
}

/// `for ip in net` walks every address, as netaddr's `for ip in IPNetwork(…)`.
impl IntoIterator for IpNetwork {
    type Item = IpAddress;
    type IntoIter = IpAddressIter;
    fn into_iter(self) -> IpAddressIter {
        IpAddressIter::ranges(vec![(self.version(), self.first(), self.last())])
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr(self.first()), self.prefixlen)
    }
}

/// Reads an IP address, a network or text (address or CIDR) as a network.
pub(crate) fn net_of(value: &Dynamic, context: &'static str) -> Result<IpNetwork, AddrError> {
    if let Some(ip) = value.read_lock::<IpAddress>() {
        return Ok(IpNetwork::host(*ip));
    }
    if let Some(net) = value.read_lock::<IpNetwork>() {
        return Ok(*net);
    }
    if let Some(text) = value.read_lock::<ImmutableString>() {
        return IpNetwork::parse(&text);
    }
    Err(AddrError::WrongType { context, type_name: netscript_sdk::options::type_word(value).to_string() })
}

fn ord_of(a: &IpNetwork, b: &IpNetwork) -> Ordering {
    a.sort_key().cmp(&b.sort_key())
}

/// A property of a network that is an address.
type AddrGetter = fn(&IpNetwork) -> IpAddress;
/// Whether an ordering satisfies an operator.
type OrderTest = fn(Ordering) -> bool;

/// Registers `addr::network` and the `IpNetwork` methods.
pub(crate) fn register(m: &mut ModuleBuilder) {
    m.pure_func(
        "network",
        &["text"],
        r#"
        Parses a network: `address/prefixlen`, `address/netmask`, `address/hostmask`, or a
        bare address (a /32 or /128). Host bits are kept in `.ip` but not in `to_string()`.

        ```rhai
        let net = addr::network("192.0.2.77/24");
        net.to_string()                        // => 192.0.2.0/24
        net.ip.to_string()                     // => 192.0.2.77
        addr::network("10.0.0.0/255.255.0.0").prefixlen   // => 16
        ```

        Errors: `InvalidArgument` quoting the text when it is not a network, or when the prefix
        is too long (`invalid IP network '10.0.0.0/33': prefix length must be 0-32 for IPv4`).
        "#,
        |text: ImmutableString| -> ScriptResult<IpNetwork> { Ok(IpNetwork::parse(&text)?) },
    );
    m.pure_func(
        "network",
        &["ip", "prefixlen"],
        r#"
        The network of `ip` (an address or its text) with `prefixlen`.

        ```rhai
        addr::network(addr::ip("2001:db8::1"), 32).to_string()   // => 2001:db8::/32
        ```

        Errors: `InvalidArgument` for a bad address or a prefix length out of range.
        "#,
        |ip: Dynamic, prefixlen: INT| -> ScriptResult<IpNetwork> {
            let ip = net_of(&ip, "addr::network")?.ip();
            let width = ip.version().width();
            let p = u8::try_from(prefixlen).ok().filter(|p| *p <= width).ok_or(AddrError::PrefixOutOfRange {
                prefixlen,
                version: ip.version().number(),
                max: width,
            })?;
            Ok(IpNetwork::new(ip, p)?)
        },
    );
    m.pure_func(
        "network",
        &["value"],
        r#"
        The single-address network of an `IpAddress`, or the same `IpNetwork`.

        ```rhai
        addr::network(addr::ip("192.0.2.1")).to_string()   // => 192.0.2.1/32
        ```

        Errors: `InvalidArgument` for any other type.
        "#,
        |value: Dynamic| -> ScriptResult<IpNetwork> { Ok(net_of(&value, "addr::network")?) },
    );

    let addr_getters: [(&str, &str, AddrGetter); 6] = [
        (
            "network",
            r#"
            The network address (host bits cleared).

            ```rhai
            addr::network("192.0.2.77/24").network.to_string()   // => 192.0.2.0
            ```

            Errors: none.
            "#,
            |n| n.addr(n.first()),
        ),
        (
            "netmask",
            r#"
            The netmask as an address.

            ```rhai
            addr::network("192.0.2.0/20").netmask.to_string()   // => 255.255.240.0
            ```

            Errors: none.
            "#,
            |n| n.addr(n.version().max() & !n.hostmask_value()),
        ),
        (
            "hostmask",
            r#"
            The hostmask (inverse netmask) as an address.

            ```rhai
            addr::network("192.0.2.0/20").hostmask.to_string()   // => 0.0.15.255
            ```

            Errors: none.
            "#,
            |n| n.addr(n.hostmask_value()),
        ),
        (
            "first",
            r#"
            The first address (netaddr gives its integer; this is the `IpAddress`).

            ```rhai
            addr::network("192.0.2.77/24").first.to_string()   // => 192.0.2.0
            ```

            Errors: none.
            "#,
            |n| n.addr(n.first()),
        ),
        (
            "last",
            r#"
            The last address (netaddr gives its integer; this is the `IpAddress`).

            ```rhai
            addr::network("2001:db8::/64").last.to_string()   // => 2001:db8::ffff:ffff:ffff:ffff
            ```

            Errors: none.
            "#,
            |n| n.addr(n.last()),
        ),
        (
            "ip",
            r#"
            The address the network was written with, host bits kept (netaddr's `.ip`).

            ```rhai
            addr::network("192.0.2.77/24").ip.to_string()   // => 192.0.2.77
            ```

            Errors: none.
            "#,
            |n| n.ip,
        ),
    ];
    for (name, doc, f) in addr_getters {
        m.getter(name, doc, move |n: &mut IpNetwork| f(n));
    }
    m.getter(
        "broadcast",
        r#"
        The broadcast (last) address, or `()` for networks of at most two addresses (/31, /32,
        /127, /128). As in netaddr this is also given for IPv6, where it is just the last address.

        ```rhai
        addr::network("192.0.2.0/24").broadcast.to_string()   // => 192.0.2.255
        addr::network("192.0.2.0/31").broadcast               // => ()
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| {
            if n.version().width() - n.prefixlen <= 1 {
                Dynamic::UNIT
            } else {
                Dynamic::from(n.addr(n.last()))
            }
        },
    );
    m.getter(
        "cidr",
        r#"
        The same network with host bits cleared (netaddr's `.cidr`).

        ```rhai
        addr::network("192.0.2.77/24").cidr.ip.to_string()   // => 192.0.2.0
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| n.cidr(),
    );
    m.getter(
        "prefixlen",
        r#"
        The prefix length.

        ```rhai
        addr::network("2001:db8::/48").prefixlen   // => 48
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| INT::from(n.prefixlen),
    );
    m.getter(
        "version",
        r#"
        4 or 6.

        ```rhai
        addr::network("2001:db8::/48").version   // => 6
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| INT::from(n.version().number()),
    );
    m.getter(
        "size",
        r#"
        The number of addresses: an `int`, or a `float` when it exceeds 2^63 - 1 (IPv6
        prefixes shorter than /66; exact, as it is a power of two).

        ```rhai
        addr::network("10.0.0.0/8").size       // => 16777216
        addr::network("::/0").size             // => 3.402823669209385e38
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| n.size().map_or(Dynamic::from_float(2f64.powi(128)), count_value),
    );
    m.pure_method(
        "contains",
        &["other"],
        r#"
        Whether an address, a network or their text lies wholly in this network (netaddr's
        `in`); always false across IPv4 and IPv6.

        ```rhai
        let net = addr::network("192.0.2.0/24");
        net.contains("192.0.2.9")              // => true
        net.contains(addr::network("192.0.2.128/25"))   // => true
        net.contains("192.0.0.0/16")           // => false
        ```

        Errors: `InvalidArgument` when `other` is not an address, network or their text.
        "#,
        |n: &mut IpNetwork, other: Dynamic| -> ScriptResult<bool> { Ok(n.contains(&net_of(&other, "contains")?)) },
    );
    m.pure_method(
        "hosts",
        &[],
        r#"
        The usable host addresses, lazily (netaddr's `iter_hosts()`): IPv4 leaves out the
        network and broadcast addresses, IPv6 the Subnet-Router anycast (first) address;
        /31, /32, /127 and /128 keep every address.

        ```rhai
        let n = 0;
        for h in addr::network("192.0.2.0/29").hosts() { n += 1; }
        n                                      // => 6
        addr::network("10.0.0.0/8").hosts().next().to_string()   // => 10.0.0.1
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| {
            let (first, last) = n.usable_range();
            IpAddressIter::ranges(vec![(n.version(), first, last)])
        },
    );
    m.pure_method(
        "iter",
        &[],
        r#"
        Every address of the network, lazily (`for ip in net` does the same).

        ```rhai
        addr::network("2001:db8::/64").iter().take(2)[1].to_string()   // => 2001:db8::1
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| n.into_iter(),
    );
    m.pure_method(
        "subnet",
        &["prefixlen"],
        r#"
        The subnets of `prefixlen`, lazily and in order (netaddr's `subnet()`); none when
        `prefixlen` is shorter than the network's own.

        ```rhai
        let nets = addr::network("192.0.2.0/24").subnet(26).to_array();
        nets[1].to_string()                    // => 192.0.2.64/26
        ```

        Errors: `InvalidArgument` for a prefix length outside 0-32 (IPv4) or 0-128 (IPv6).
        "#,
        |n: &mut IpNetwork, prefixlen: INT| -> ScriptResult<IpNetworkIter> { Ok(n.subnets(prefixlen, None)?) },
    );
    m.pure_method(
        "subnet",
        &["prefixlen", "count"],
        r#"
        The first `count` subnets of `prefixlen`, lazily (netaddr's `subnet(prefixlen, count)`).

        ```rhai
        addr::network("10.0.0.0/8").subnet(24, 2).to_array()[1].to_string()   // => 10.0.1.0/24
        ```

        Errors: `InvalidArgument` for a bad prefix length, or a count outside 1 to the number
        of subnets.
        "#,
        |n: &mut IpNetwork, prefixlen: INT, count: INT| -> ScriptResult<IpNetworkIter> {
            Ok(n.subnets(prefixlen, Some(count))?)
        },
    );
    m.pure_method(
        "supernet",
        &["prefixlen"],
        r#"
        The enclosing networks from `/prefixlen` up to the network's own prefix (excluded),
        shortest first, as netaddr's `supernet(prefixlen)`.

        ```rhai
        let s = addr::network("192.0.2.0/24").supernet(22);
        s.len()                                // => 2
        s[0].to_string()                       // => 192.0.0.0/22
        ```

        Errors: `InvalidArgument` for a prefix length out of range or longer than the network's.
        "#,
        |n: &mut IpNetwork, prefixlen: INT| -> ScriptResult<Array> {
            Ok(n.supernets(prefixlen)?.into_iter().map(Dynamic::from).collect())
        },
    );
    m.pure_method(
        "supernet",
        &[],
        r#"
        Every enclosing network, from /0 on (netaddr's `supernet()`).

        ```rhai
        addr::network("10.0.0.0/8").supernet().len()   // => 8
        ```

        Errors: none.
        "#,
        |n: &mut IpNetwork| -> ScriptResult<Array> { Ok(n.supernets(0)?.into_iter().map(Dynamic::from).collect()) },
    );
    let comparisons: [(&str, OrderTest); 4] =
        [("<", Ordering::is_lt), ("<=", Ordering::is_le), (">", Ordering::is_gt), (">=", Ordering::is_ge)];
    for (op, f) in comparisons {
        m.pure_method(
            op,
            &["a", "b"],
            r#"
            Orders networks as netaddr does: version, first address, prefix length.

            ```rhai
            addr::network("10.0.0.0/8") < addr::network("10.0.0.0/16")   // => true
            ```

            Errors: none.
            "#,
            move |a: IpNetwork, b: IpNetwork| f(ord_of(&a, &b)),
        );
    }
    m.pure_method(
        "==",
        &["a", "b"],
        r#"
        Same network (host bits ignored, as netaddr).

        ```rhai
        addr::network("192.0.2.7/24") == addr::network("192.0.2.0/24")   // => true
        ```

        Errors: none.
        "#,
        |a: IpNetwork, b: IpNetwork| a == b,
    );
    m.pure_method(
        "!=",
        &["a", "b"],
        r#"
        Not the same network.

        ```rhai
        addr::network("192.0.2.0/24") != addr::network("192.0.2.0/25")   // => true
        ```

        Errors: none.
        "#,
        |a: IpNetwork, b: IpNetwork| a != b,
    );
    for name in ["to_string", "to_debug"] {
        m.pure_method(
            name,
            &[],
            r#"
            CIDR text with host bits cleared.

            ```rhai
            addr::network("2001:DB8::1/32").to_string()   // => 2001:db8::/32
            ```

            Errors: none.
            "#,
            |n: &mut IpNetwork| n.to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_ipv6_space_subnet_counts_saturate() {
        let subnets = IpNetworkIter::new(Version::V6, 0, 128, u128::MAX);
        assert_eq!(subnets.remaining(), u128::MAX);
    }

    fn net(s: &str) -> IpNetwork {
        IpNetwork::parse(s).unwrap()
    }

    #[test]
    fn parses_prefixes_and_masks() {
        assert_eq!(net("10.1.2.3/255.255.0.0").to_string(), "10.1.0.0/16");
        assert_eq!(net("10.1.2.3/0.0.255.255").to_string(), "10.1.0.0/16");
        assert_eq!(net("10.1.2.3").to_string(), "10.1.2.3/32");
        assert_eq!(net("::/0").size(), None);
        assert!(IpNetwork::parse("10.0.0.0/255.0.255.0").is_err());
        assert!(IpNetwork::parse("10.0.0.0/").is_err());
        assert!(IpNetwork::parse("10.0.0.0/-1").is_err());
        assert_eq!(net("10.0.0.0/008").prefixlen(), 8);
        assert!(IpNetwork::parse("10.0.0.0/99999999999999999999").is_err());
        assert_eq!(
            IpNetwork::parse("10.0.0.0/33").unwrap_err().to_string(),
            "invalid IP network '10.0.0.0/33': prefix length must be 0-32 for IPv4"
        );
    }

    #[test]
    fn usable_ranges_follow_rfc_3021_and_6164() {
        assert_eq!(net("10.0.0.0/31").usable_range(), (0x0a00_0000, 0x0a00_0001));
        assert_eq!(net("10.0.0.0/30").usable_range(), (0x0a00_0001, 0x0a00_0002));
        assert_eq!(net("::/126").usable_range(), (1, 3));
        assert_eq!(net("::/127").usable_range(), (0, 1));
    }

    #[test]
    fn subnets_of_the_whole_ipv6_space_do_not_overflow() {
        let all = net("::/0");
        let mut it = all.subnets(128, None).unwrap();
        assert_eq!(it.remaining(), u128::MAX);
        assert_eq!(it.next().unwrap().to_string(), "::/128");
        assert_eq!(all.subnets(0, None).unwrap().count(), 1);
        assert!(all.subnets(129, None).is_err());
        assert!(all.subnets(1, Some(3)).is_err());
    }
}

/// A lazy sequence of equal-sized subnets; `type_of` is `"IpNetworkIterator"`.
#[derive(Clone, Debug)]
pub struct IpNetworkIter {
    version: Version,
    base: u128,
    prefixlen: u8,
    next_index: u128,
    last_index: u128,
    done: bool,
}

impl IpNetworkIter {
    /// Subnets of `prefixlen` from `base` on, indices `0..=last_index`.
    pub fn new(version: Version, base: u128, prefixlen: u8, last_index: u128) -> Self {
        Self { version, base, prefixlen, next_index: 0, last_index, done: false }
    }

    /// Yields nothing.
    pub fn empty(version: Version) -> Self {
        Self { done: true, ..Self::new(version, 0, 0, 0) }
    }

    /// How many subnets are left (saturating at `u128::MAX`).
    pub fn remaining(&self) -> u128 {
        if self.done {
            0
        } else {
            (self.last_index - self.next_index).saturating_add(1)
        }
    }
}

impl Iterator for IpNetworkIter {
    type Item = IpNetwork;

    fn next(&mut self) -> Option<IpNetwork> {
        if self.done {
            return None;
        }
        let shift = u32::from(self.version.width() - self.prefixlen);
        // A shift of 128 only happens for ::/0, whose one subnet has index 0.
        let offset = self.next_index.checked_shl(shift).unwrap_or(0);
        if self.next_index == self.last_index {
            self.done = true;
        } else {
            self.next_index += 1;
        }
        let ip = IpAddress::new(self.version, self.base + offset)?;
        IpNetwork::new(ip, self.prefixlen).ok()
    }
}

/// Registers the subnet iterator: `for`, `take`, `to_array`, `next`, `len`, and `for` over
/// a network's addresses.
pub(crate) fn register_iterator(m: &mut ModuleBuilder) {
    m.iterator::<IpNetworkIter>();
    m.iterable::<IpNetwork>();
    m.method(
        "take",
        &["n"],
        r#"
        The next `n` subnets as an array; the iterator moves on past them.

        ```rhai
        addr::network("10.0.0.0/8").subnet(24).take(3).len()   // => 3
        ```

        Errors: `InvalidArgument` for a negative `n` or one above 16777216.
        "#,
        |it: &mut IpNetworkIter, n: INT| take(it, n, "take"),
    );
    m.method(
        "to_array",
        &[],
        r#"
        All remaining subnets as an array.

        ```rhai
        addr::network("192.0.2.0/24").subnet(26).to_array().len()   // => 4
        ```

        Errors: `InvalidArgument` (without building anything) when more than 16777216 remain.
        "#,
        |it: &mut IpNetworkIter| {
            let remaining = it.remaining();
            to_array(it, remaining, "to_array")
        },
    );
    m.method(
        "next",
        &[],
        r#"
        The next subnet, or `()` when there are no more.

        ```rhai
        addr::network("192.0.2.0/24").subnet(25).next().to_string()   // => 192.0.2.0/25
        ```

        Errors: none.
        "#,
        |it: &mut IpNetworkIter| next_or_unit(it.next()),
    );
    m.pure_method(
        "len",
        &[],
        r#"
        How many subnets remain: an `int`, or a `float` beyond 2^63.

        ```rhai
        addr::network("10.0.0.0/8").subnet(24).len()   // => 65536
        ```

        Errors: none.
        "#,
        |it: &mut IpNetworkIter| count_value(it.remaining()),
    );
    m.pure_method(
        "to_string",
        &[],
        r#"
        `IpNetworkIterator(N remaining)`.

        ```rhai
        addr::network("192.0.2.0/24").subnet(26).to_string()   // => IpNetworkIterator(4 remaining)
        ```

        Errors: none.
        "#,
        |it: &mut IpNetworkIter| format!("IpNetworkIterator({} remaining)", it.remaining()),
    );
}
