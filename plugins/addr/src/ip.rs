//! Single IP addresses: `addr::ip(text)` and the `IpAddress` type (netaddr's `IPAddress`).
//!
//! An address is a version and a 128-bit value, so arithmetic and range maths never go
//! through text. `to_string()` is the RFC 5952 form (std's formatter); the special-purpose
//! tables (`is_global`, `is_reserved`, …) are netaddr 1.3's, taken from the IANA registries.

use crate::error::{AddrError, ScriptResult};
use netscript_sdk::rhai::{Dynamic, ImmutableString, INT};
use netscript_sdk::ModuleBuilder;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// IP version; IPv4 sorts before IPv6, as in netaddr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// IPv4: 32 bits.
    V4,
    /// IPv6: 128 bits.
    V6,
}

impl Version {
    /// Address width in bits.
    pub fn width(self) -> u8 {
        match self {
            Version::V4 => 32,
            Version::V6 => 128,
        }
    }
    /// The largest address value.
    pub fn max(self) -> u128 {
        match self {
            Version::V4 => u128::from(u32::MAX),
            Version::V6 => u128::MAX,
        }
    }
    /// 4 or 6.
    pub fn number(self) -> u8 {
        match self {
            Version::V4 => 4,
            Version::V6 => 6,
        }
    }
}

/// The bits below a prefix of `prefixlen` in a `width`-bit address.
pub(crate) fn hostmask(width: u8, prefixlen: u8) -> u128 {
    let host_bits = u32::from(width - prefixlen);
    if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    }
}

/// One IPv4 or IPv6 address (netaddr's `IPAddress`); `type_of` is `"IpAddress"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpAddress {
    // Field order is the sort order: version first, then value.
    version: Version,
    value: u128,
}

impl IpAddress {
    /// The address of `version` with `value`; `None` when the value does not fit.
    pub fn new(version: Version, value: u128) -> Option<Self> {
        (value <= version.max()).then_some(Self { version, value })
    }

    /// Parses an IPv4 dotted quad (no leading zeros, like `inet_pton`) or any IPv6 text.
    pub fn parse(text: &str) -> Result<Self, AddrError> {
        Self::parse_quiet(text).ok_or_else(|| {
            if text.contains('/') {
                AddrError::IpWithPrefix(text.to_string())
            } else {
                AddrError::InvalidIp(text.to_string())
            }
        })
    }

    /// Parses without building an error (for callers that report their own).
    pub(crate) fn parse_quiet(text: &str) -> Option<Self> {
        if text.contains(':') {
            text.parse::<Ipv6Addr>().ok().map(Self::from)
        } else {
            text.parse::<Ipv4Addr>().ok().map(Self::from)
        }
    }

    /// IPv4 or IPv6.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The address as an unsigned integer.
    pub fn value(&self) -> u128 {
        self.value
    }

    /// `self + amount`, `None` outside the address space.
    pub fn offset(&self, amount: i64) -> Option<Self> {
        let magnitude = u128::from(amount.unsigned_abs());
        let value = if amount >= 0 { self.value.checked_add(magnitude)? } else { self.value.checked_sub(magnitude)? };
        Self::new(self.version, value)
    }

    fn in_any(&self, table: &[Span]) -> bool {
        table.iter().any(|s| s.version == self.version && s.first <= self.value && self.value <= s.last)
    }

    /// Loopback: 127.0.0.0/8 or ::1.
    pub fn is_loopback(&self) -> bool {
        self.in_any(LOOPBACK)
    }
    /// Multicast: 224.0.0.0/4 or ff00::/8.
    pub fn is_multicast(&self) -> bool {
        self.in_any(MULTICAST)
    }
    /// Link-local: 169.254.0.0/16 or fe80::/10.
    pub fn is_link_local(&self) -> bool {
        self.in_any(LINK_LOCAL)
    }
    /// In netaddr's IANA-reserved table.
    pub fn is_reserved(&self) -> bool {
        self.in_any(RESERVED)
    }
    /// Globally reachable per the IANA special-purpose registries (netaddr's `is_global()`).
    pub fn is_global(&self) -> bool {
        !self.in_any(NOT_GLOBAL) || self.in_any(NOT_GLOBAL_EXCEPTIONS)
    }
    /// Not globally reachable, except the shared address space 100.64.0.0/10, which is
    /// neither private nor global (CPython ≥ 3.12.4 `ipaddress` `is_private`).
    pub fn is_private(&self) -> bool {
        !self.is_global() && !self.in_any(SHARED)
    }

    /// The `in-addr.arpa.` / `ip6.arpa.` name, as netaddr's `reverse_dns`.
    pub fn reverse_dns(&self) -> String {
        match self.version {
            Version::V4 => {
                let o = (self.value as u32).to_be_bytes();
                format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
            }
            Version::V6 => {
                let mut out = String::with_capacity(73);
                for i in 0..32 {
                    let nibble = (self.value >> (i * 4)) & 0xf;
                    out.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
                    out.push('.');
                }
                out.push_str("ip6.arpa.");
                out
            }
        }
    }

    /// Binary digits, 8-bit words joined by `.` (IPv4) or 16-bit words by `:` (IPv6).
    pub fn bits(&self) -> String {
        let (word, sep) = match self.version {
            Version::V4 => (8, '.'),
            Version::V6 => (16, ':'),
        };
        let width = usize::from(self.version.width());
        let mut out = String::with_capacity(width + width / word);
        for i in (0..width).rev() {
            out.push(if (self.value >> i) & 1 == 1 { '1' } else { '0' });
            if i % word == 0 && i != 0 {
                out.push(sep);
            }
        }
        out
    }

    /// netaddr's `ipv4()`: IPv6 values up to 2^32 (IPv4-compatible) and IPv4-mapped ones
    /// convert; other IPv6 addresses have no IPv4 equivalent.
    pub fn ipv4(&self) -> Result<Self, AddrError> {
        let v4 = |value| Self { version: Version::V4, value };
        match self.version {
            Version::V4 => Ok(*self),
            Version::V6 if self.value <= Version::V4.max() => Ok(v4(self.value)),
            Version::V6 if self.value >> 32 == 0xffff => Ok(v4(self.value & 0xffff_ffff)),
            Version::V6 => Err(AddrError::NoIpv4(self.to_string())),
        }
    }

    /// netaddr's `ipv6()`: IPv4 becomes IPv4-mapped `::ffff:a.b.c.d`.
    pub fn ipv6(&self) -> Self {
        match self.version {
            Version::V4 => Self { version: Version::V6, value: 0xffff_0000_0000 | self.value },
            Version::V6 => *self,
        }
    }
}

impl From<Ipv4Addr> for IpAddress {
    fn from(a: Ipv4Addr) -> Self {
        Self { version: Version::V4, value: u128::from(u32::from(a)) }
    }
}

impl From<Ipv6Addr> for IpAddress {
    fn from(a: Ipv6Addr) -> Self {
        Self { version: Version::V6, value: u128::from(a) }
    }
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Version::V4 => Ipv4Addr::from(self.value as u32).fmt(f),
            Version::V6 => Ipv6Addr::from(self.value).fmt(f),
        }
    }
}

/// An inclusive range of one version in a special-purpose table.
struct Span {
    version: Version,
    first: u128,
    last: u128,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefixlen: u32) -> Span {
    let first = ((a as u128) << 24) | ((b as u128) << 16) | ((c as u128) << 8) | d as u128;
    let host = if prefixlen == 0 { 0xffff_ffff } else { (1u128 << (32 - prefixlen)) - 1 };
    Span { version: Version::V4, first, last: first | host }
}

const fn v4_range(from: [u8; 4], to: [u8; 4]) -> Span {
    Span { version: Version::V4, first: u32::from_be_bytes(from) as u128, last: u32::from_be_bytes(to) as u128 }
}

const fn v6(words: [u16; 8], prefixlen: u32) -> Span {
    let mut first = 0u128;
    let mut i = 0;
    while i < 8 {
        first = (first << 16) | words[i] as u128;
        i += 1;
    }
    let host = if prefixlen == 0 { u128::MAX } else { (1u128 << (128 - prefixlen)) - 1 };
    Span { version: Version::V6, first, last: first | host }
}

const LOOPBACK: &[Span] = &[v4(127, 0, 0, 0, 8), v6([0, 0, 0, 0, 0, 0, 0, 1], 128)];
const MULTICAST: &[Span] = &[v4(224, 0, 0, 0, 4), v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8)];
const LINK_LOCAL: &[Span] = &[v4(169, 254, 0, 0, 16), v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10)];
const SHARED: &[Span] = &[v4(100, 64, 0, 0, 10)];

// netaddr.ip.IPV4_RESERVED / IPV6_RESERVED.
const RESERVED: &[Span] = &[
    v4(0, 0, 0, 0, 8),
    v4(192, 0, 2, 0, 24),
    v4(240, 0, 0, 0, 4),
    v4(198, 51, 100, 0, 24),
    v4(203, 0, 113, 0, 24),
    v4(233, 252, 0, 0, 24),
    v4_range([234, 0, 0, 0], [238, 255, 255, 255]),
    v4_range([225, 0, 0, 0], [231, 255, 255, 255]),
    v4(127, 0, 0, 0, 8),
    v4(192, 88, 99, 0, 24),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 12),
    v6([0, 0, 0, 0, 0, 0, 0, 0], 8),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 8),
    v6([0x200, 0, 0, 0, 0, 0, 0, 0], 7),
    v6([0x400, 0, 0, 0, 0, 0, 0, 0], 6),
    v6([0x800, 0, 0, 0, 0, 0, 0, 0], 5),
    v6([0x1000, 0, 0, 0, 0, 0, 0, 0], 4),
    v6([0x4000, 0, 0, 0, 0, 0, 0, 0], 3),
    v6([0x6000, 0, 0, 0, 0, 0, 0, 0], 3),
    v6([0x8000, 0, 0, 0, 0, 0, 0, 0], 3),
    v6([0xa000, 0, 0, 0, 0, 0, 0, 0], 3),
    v6([0xc000, 0, 0, 0, 0, 0, 0, 0], 3),
    v6([0xe000, 0, 0, 0, 0, 0, 0, 0], 4),
    v6([0xf000, 0, 0, 0, 0, 0, 0, 0], 5),
    v6([0xf800, 0, 0, 0, 0, 0, 0, 0], 6),
    v6([0xfe00, 0, 0, 0, 0, 0, 0, 0], 9),
];

// IANA special-purpose registries, "Globally Reachable: False" (netaddr 1.3).
const NOT_GLOBAL: &[Span] = &[
    v4(0, 0, 0, 0, 8),
    v4(10, 0, 0, 0, 8),
    v4(100, 64, 0, 0, 10),
    v4(127, 0, 0, 0, 8),
    v4(169, 254, 0, 0, 16),
    v4(172, 16, 0, 0, 12),
    v4(192, 0, 0, 0, 24),
    v4(192, 0, 0, 170, 31),
    v4(192, 0, 2, 0, 24),
    v4(192, 168, 0, 0, 16),
    v4(198, 18, 0, 0, 15),
    v4(198, 51, 100, 0, 24),
    v4(203, 0, 113, 0, 24),
    v4(240, 0, 0, 0, 4),
    v4(255, 255, 255, 255, 32),
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128),
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128),
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
];

// Blocks inside NOT_GLOBAL that the registries mark globally reachable.
const NOT_GLOBAL_EXCEPTIONS: &[Span] = &[
    v4(192, 0, 0, 9, 32),
    v4(192, 0, 0, 10, 32),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128),
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32),
    v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48),
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28),
    v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28),
];

/// `addr::ip(…)` from text, an integer or another address.
fn ip_from_int(n: INT) -> Result<IpAddress, AddrError> {
    let value = u128::try_from(n).map_err(|_| AddrError::InvalidIpInt(n))?;
    // netaddr: integers that fit 32 bits are IPv4, larger ones IPv6.
    let version = if value <= Version::V4.max() { Version::V4 } else { Version::V6 };
    Ok(IpAddress { version, value })
}

/// `ip.to_int()`: an INT for IPv4, decimal text for IPv6 (which exceeds Rhai's i64).
fn to_int(ip: &IpAddress) -> Dynamic {
    match ip.version {
        Version::V4 => Dynamic::from_int(ip.value as INT),
        Version::V6 => Dynamic::from(ip.value.to_string()),
    }
}

fn add(ip: &IpAddress, n: INT, op: char) -> ScriptResult<IpAddress> {
    let signed = if op == '+' { Some(n) } else { n.checked_neg() };
    signed
        .and_then(|s| ip.offset(s))
        .ok_or_else(|| AddrError::OutOfRange { ip: ip.to_string(), op, amount: n, version: ip.version.number() }.into())
}

/// A yes/no question about an address.
type Predicate = fn(&IpAddress) -> bool;
/// An address comparison operator.
type Comparison = fn(&IpAddress, &IpAddress) -> bool;

/// Registers `addr::ip` and the `IpAddress` methods.
pub(crate) fn register(m: &mut ModuleBuilder) {
    m.pure_func(
        "ip",
        &["text"],
        r#"
        Parses an IPv4 (dotted quad) or IPv6 address (netaddr's `IPAddress`).

        ```rhai
        let ip = addr::ip("192.0.2.1");
        ip.version                           // => 4
        addr::ip("2001:DB8::0:1").to_string() // => 2001:db8::1
        ```

        Errors: `InvalidArgument` quoting the text when it is not an address
        (`invalid IP address '300.1.2.3'`); a `/prefix` belongs in `addr::network`.
        "#,
        |text: ImmutableString| -> ScriptResult<IpAddress> { Ok(IpAddress::parse(&text)?) },
    );
    m.pure_func(
        "ip",
        &["value"],
        r#"
        The address with an integer value: IPv4 below 2^32, IPv6 above (as netaddr).

        ```rhai
        addr::ip(3221225985).to_string()    // => 192.0.2.1
        ```

        Errors: `InvalidArgument` for a negative value.
        "#,
        |n: INT| -> ScriptResult<IpAddress> { Ok(ip_from_int(n)?) },
    );
    m.pure_func(
        "ip",
        &["ip"],
        r#"
        The same address (lets code accept text or addresses alike).

        ```rhai
        addr::ip(addr::ip("::1")).to_string() // => ::1
        ```

        Errors: none.
        "#,
        |ip: IpAddress| ip,
    );
    m.getter(
        "version",
        r#"
        4 or 6.

        ```rhai
        addr::ip("::1").version    // => 6
        ```

        Errors: none.
        "#,
        |ip: &mut IpAddress| INT::from(ip.version.number()),
    );

    let predicates: [(&str, &str, Predicate); 7] = [
        (
            "is_private",
            r#"
            Private-use / not globally reachable: the IANA special-purpose blocks that are
            not globally reachable, except 100.64.0.0/10 (shared address space, neither
            private nor global). Same answers as CPython's `ipaddress` `is_private` (≥ 3.12.4).

            ```rhai
            addr::ip("192.168.1.1").is_private()   // => true
            addr::ip("8.8.8.8").is_private()       // => false
            ```

            Errors: none.
            "#,
            IpAddress::is_private,
        ),
        (
            "is_global",
            r#"
            Globally reachable per the IANA special-purpose registries (netaddr's `is_global()`).

            ```rhai
            addr::ip("1.1.1.1").is_global()        // => true
            addr::ip("fd00::1").is_global()        // => false
            ```

            Errors: none.
            "#,
            IpAddress::is_global,
        ),
        (
            "is_loopback",
            r#"
            In 127.0.0.0/8, or `::1`.

            ```rhai
            addr::ip("127.0.0.53").is_loopback()   // => true
            ```

            Errors: none.
            "#,
            IpAddress::is_loopback,
        ),
        (
            "is_multicast",
            r#"
            In 224.0.0.0/4 or ff00::/8.

            ```rhai
            addr::ip("ff02::1").is_multicast()     // => true
            ```

            Errors: none.
            "#,
            IpAddress::is_multicast,
        ),
        (
            "is_unicast",
            r#"
            Not multicast.

            ```rhai
            addr::ip("10.0.0.1").is_unicast()      // => true
            ```

            Errors: none.
            "#,
            |ip| !ip.is_multicast(),
        ),
        (
            "is_link_local",
            r#"
            In 169.254.0.0/16 or fe80::/10.

            ```rhai
            addr::ip("fe80::1").is_link_local()    // => true
            ```

            Errors: none.
            "#,
            IpAddress::is_link_local,
        ),
        (
            "is_reserved",
            r#"
            In netaddr's IANA-reserved table (0/8, 127/8, 240/4, documentation blocks, …).

            ```rhai
            addr::ip("240.0.0.1").is_reserved()    // => true
            ```

            Errors: none.
            "#,
            IpAddress::is_reserved,
        ),
    ];
    for (name, doc, f) in predicates {
        m.pure_method(name, &[], doc, move |ip: &mut IpAddress| f(ip));
    }

    m.pure_method(
        "reverse_dns",
        &[],
        r#"
        The reverse-lookup name, with the trailing dot (netaddr's `reverse_dns`).

        ```rhai
        addr::ip("127.0.0.1").reverse_dns()    // => 1.0.0.127.in-addr.arpa.
        ```

        Errors: none.
        "#,
        |ip: &mut IpAddress| ip.reverse_dns(),
    );
    m.pure_method(
        "to_int",
        &[],
        r#"
        The address as a number: an `int` for IPv4; for IPv6 the decimal digits as a
        string, because IPv6 values exceed Rhai's 64-bit `int`.

        ```rhai
        addr::ip("192.0.2.1").to_int()         // => 3221225985
        addr::ip("::1:0:0:0:0").to_int()       // => 18446744073709551616
        ```

        Errors: none.
        "#,
        |ip: &mut IpAddress| to_int(ip),
    );
    m.pure_method(
        "bits",
        &[],
        r#"
        The address in binary, words separated as netaddr's `bits()` does (`.` every 8
        bits for IPv4, `:` every 16 for IPv6).

        ```rhai
        addr::ip("192.168.0.1").bits()   // => 11000000.10101000.00000000.00000001
        ```

        Errors: none.
        "#,
        |ip: &mut IpAddress| ip.bits(),
    );
    m.pure_method(
        "ipv4",
        &[],
        r#"
        The IPv4 equivalent (netaddr's `ipv4()`): an IPv4 address itself, the IPv4 inside an
        IPv4-mapped `::ffff:a.b.c.d` or IPv4-compatible `::a.b.c.d` address.

        ```rhai
        addr::ip("::ffff:192.0.2.1").ipv4().to_string()   // => 192.0.2.1
        ```

        Errors: `InvalidArgument` for any other IPv6 address.
        "#,
        |ip: &mut IpAddress| -> ScriptResult<IpAddress> { Ok(ip.ipv4()?) },
    );
    m.pure_method(
        "ipv6",
        &[],
        r#"
        The IPv6 equivalent: IPv4 becomes IPv4-mapped `::ffff:a.b.c.d` (netaddr's `ipv6()`).

        ```rhai
        addr::ip("192.0.2.1").ipv6().to_string()   // => ::ffff:192.0.2.1
        ```

        Errors: none.
        "#,
        |ip: &mut IpAddress| ip.ipv6(),
    );
    m.pure_method(
        "+",
        &["ip", "n"],
        r#"
        The address `n` further on (`n` may be negative).

        ```rhai
        (addr::ip("192.0.2.255") + 1).to_string()  // => 192.0.3.0
        ```

        Errors: `InvalidArgument` when the result leaves the address space.
        "#,
        |ip: IpAddress, n: INT| add(&ip, n, '+'),
    );
    m.pure_method(
        "+",
        &["n", "ip"],
        r#"
        The address `n` further on.

        ```rhai
        (2 + addr::ip("::1")).to_string()   // => ::3
        ```

        Errors: `InvalidArgument` when the result leaves the address space.
        "#,
        |n: INT, ip: IpAddress| add(&ip, n, '+'),
    );
    m.pure_method(
        "-",
        &["ip", "n"],
        r#"
        The address `n` before.

        ```rhai
        (addr::ip("10.0.0.0") - 1).to_string()   // => 9.255.255.255
        ```

        Errors: `InvalidArgument` when the result leaves the address space
        (`addr::ip("0.0.0.0") - 1`).
        "#,
        |ip: IpAddress, n: INT| add(&ip, n, '-'),
    );
    let comparisons: [(&str, Comparison); 6] = [
        ("==", |a, b| a == b),
        ("!=", |a, b| a != b),
        ("<", |a, b| a < b),
        ("<=", |a, b| a <= b),
        (">", |a, b| a > b),
        (">=", |a, b| a >= b),
    ];
    for (op, f) in comparisons {
        m.pure_method(
            op,
            &["a", "b"],
            r#"
            Compares addresses by version, then value (every IPv4 sorts before any IPv6).

            ```rhai
            addr::ip("10.0.0.2") > addr::ip("10.0.0.10")   // => false
            ```

            Errors: none.
            "#,
            move |a: IpAddress, b: IpAddress| f(&a, &b),
        );
    }
    for name in ["to_string", "to_debug"] {
        m.pure_method(
            name,
            &[],
            r#"
            The canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run
            compressed, `::ffff:a.b.c.d` for IPv4-mapped).

            ```rhai
            addr::ip("2001:0DB8:0:0:0:0:0:1").to_string()   // => 2001:db8::1
            ```

            Errors: none.
            "#,
            |ip: &mut IpAddress| ip.to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddress {
        IpAddress::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_canonically() {
        assert_eq!(ip("2001:0DB8::0:1").to_string(), "2001:db8::1");
        assert_eq!(ip("::ffff:1.2.3.4").to_string(), "::ffff:1.2.3.4");
        assert!(IpAddress::parse("01.2.3.4").is_err());
        assert!(IpAddress::parse("1.2.3").is_err());
        assert_eq!(
            IpAddress::parse("1.2.3.0/24").unwrap_err().to_string(),
            "invalid IP address '1.2.3.0/24': a prefix or netmask belongs in addr::network()"
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(ip("0.0.0.0").offset(-1), None);
        assert_eq!(ip("255.255.255.255").offset(1), None);
        assert_eq!(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").offset(1), None);
        assert_eq!(ip("::").offset(i64::MIN), None);
        assert_eq!(ip("1.2.3.4").offset(-4), Some(ip("1.2.3.0")));
    }

    #[test]
    fn special_ranges_follow_netaddr() {
        assert!(ip("192.0.0.9").is_global());
        assert!(!ip("192.0.0.8").is_global());
        assert!(!ip("100.64.0.1").is_private() && !ip("100.64.0.1").is_global());
        assert!(ip("2001:db8::1").is_private());
        assert!(ip("2001:4:112::1").is_global());
        assert!(ip("230.0.0.1").is_reserved());
    }

    #[test]
    fn conversions_follow_netaddr() {
        assert_eq!(ip("::1").ipv4().unwrap(), ip("0.0.0.1"));
        assert_eq!(ip("::ffff:1.2.3.4").ipv4().unwrap(), ip("1.2.3.4"));
        assert!(ip("2001:db8::1").ipv4().is_err());
        assert_eq!(ip("1.2.3.4").ipv6(), ip("::ffff:1.2.3.4"));
        assert_eq!(ip("1.0.0.127").reverse_dns(), "127.0.0.1.in-addr.arpa.");
    }
}
