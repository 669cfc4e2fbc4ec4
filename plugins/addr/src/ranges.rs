//! Range maths over lists: `cidr_merge`, `cidr_exclude`, `range_to_cidrs`, `glob_to_cidrs`,
//! `nmap_range` and `sort` (netaddr's functions of the same names).
//!
//! Everything works on inclusive `(version, first, last)` integer ranges; a range becomes
//! CIDRs by the one greedy split, which is the unique shortest cover, so results equal
//! netaddr's without copying its partition algorithms.

use crate::error::{AddrError, ScriptResult};
use crate::ip::{hostmask, IpAddress, Version};
use crate::iter::IpAddressIter;
use crate::network::{net_of, IpNetwork};
use netscript_sdk::rhai::{Array, Dynamic, ImmutableString};
use netscript_sdk::ModuleBuilder;

/// An inclusive address range of one version.
pub(crate) type Range = (Version, u128, u128);

/// The shortest list of CIDRs covering exactly `first..=last`.
pub(crate) fn range_cidrs(version: Version, first: u128, last: u128, out: &mut Vec<IpNetwork>) {
    let width = version.width();
    let mut cur = first;
    loop {
        // The largest block aligned at `cur` …
        let align = (cur.trailing_zeros() as u8).min(width);
        // … that does not run past `last`: 2^k - 1 <= last - cur.
        let span = last - cur;
        let fit = match span.checked_add(1) {
            Some(n) => (127 - n.leading_zeros()) as u8,
            None => 128,
        };
        let bits = align.min(fit);
        let block_last = cur | hostmask(width, width - bits);
        if let Some(ip) = IpAddress::new(version, cur) {
            out.push(IpNetwork::host(ip).with_prefixlen(width - bits));
        }
        if block_last >= last {
            break;
        }
        cur = block_last + 1;
    }
}

/// Sorts ranges and joins overlapping or adjacent ones of the same version.
pub(crate) fn normalise(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort_unstable();
    let mut out: Vec<Range> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(prev) if prev.0 == r.0 && r.1 <= prev.2.saturating_add(1) => {
                prev.2 = prev.2.max(r.2);
            }
            _ => out.push(r),
        }
    }
    out
}

/// The CIDRs of normalised ranges, in order.
pub(crate) fn ranges_to_cidrs(ranges: &[Range]) -> Vec<IpNetwork> {
    let mut out = Vec::new();
    for &(v, first, last) in ranges {
        range_cidrs(v, first, last, &mut out);
    }
    out
}

/// The range of every list element (address, network or their text).
pub(crate) fn ranges_of(list: &Array, context: &'static str) -> Result<Vec<Range>, AddrError> {
    list.iter()
        .map(|v| {
            let n = net_of(v, context)?;
            Ok((n.version(), n.first(), n.last()))
        })
        .collect()
}

fn to_array(nets: Vec<IpNetwork>) -> Array {
    nets.into_iter().map(Dynamic::from).collect()
}

/// netaddr's `cidr_merge`: the shortest sorted CIDR list covering every element.
pub fn cidr_merge(list: &Array) -> Result<Vec<IpNetwork>, AddrError> {
    Ok(ranges_to_cidrs(&normalise(ranges_of(list, "addr::cidr_merge")?)))
}

/// netaddr's `cidr_exclude`: `target` without `exclude`, as sorted CIDRs.
pub fn cidr_exclude(target: &IpNetwork, exclude: &IpNetwork) -> Result<Vec<IpNetwork>, AddrError> {
    if target.version() != exclude.version() {
        return Err(AddrError::MixedVersions {
            context: "addr::cidr_exclude",
            a: target.to_string(),
            b: exclude.to_string(),
        });
    }
    let v = target.version();
    let (t0, t1, e0, e1) = (target.first(), target.last(), exclude.first(), exclude.last());
    let mut out = Vec::new();
    if e1 < t0 || t1 < e0 {
        out.push(target.cidr());
        return Ok(out);
    }
    if e0 > t0 {
        range_cidrs(v, t0, e0 - 1, &mut out);
    }
    if e1 < t1 {
        range_cidrs(v, e1 + 1, t1, &mut out);
    }
    Ok(out)
}

/// netaddr's `iprange_to_cidrs`: the CIDRs from `start`'s first to `end`'s last address.
pub fn range_to_cidrs(start: &Dynamic, end: &Dynamic) -> Result<Vec<IpNetwork>, AddrError> {
    let context = "addr::range_to_cidrs";
    let (s, e) = (net_of(start, context)?, net_of(end, context)?);
    if s.version() != e.version() {
        return Err(AddrError::MixedVersions { context, a: s.ip().to_string(), b: e.ip().to_string() });
    }
    if s.first() > e.last() {
        return Err(AddrError::RangeReversed { start: s.ip().to_string(), end: e.ip().to_string() });
    }
    let mut out = Vec::new();
    range_cidrs(s.version(), s.first(), e.last(), &mut out);
    Ok(out)
}

/// A decimal octet as netaddr's globs take it: no sign, no leading zeros.
fn octet(text: &str) -> Option<u8> {
    let ok = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if ok {
        text.parse().ok()
    } else {
        None
    }
}

/// netaddr's `glob_to_iptuple` (with `valid_glob`'s rules): one hyphenated octet at most,
/// and after a hyphen or `*` only `*`.
pub fn glob_range(glob: &str) -> Result<(u32, u32), AddrError> {
    let invalid = || AddrError::InvalidGlob(glob.to_string());
    let parts: Vec<&str> = glob.split('.').collect();
    if parts.len() != 4 {
        return Err(invalid());
    }
    let (mut seen_hyphen, mut seen_star) = (false, false);
    let (mut lo, mut hi) = (0u32, 0u32);
    for part in parts {
        let (a, b) = if let Some((a, b)) = part.split_once('-') {
            if seen_hyphen || seen_star {
                return Err(invalid());
            }
            seen_hyphen = true;
            let (a, b) = (octet(a).ok_or_else(invalid)?, octet(b).ok_or_else(invalid)?);
            if a >= b {
                return Err(invalid());
            }
            (a, b)
        } else if part == "*" {
            seen_star = true;
            (0, 255)
        } else {
            if seen_hyphen || seen_star {
                return Err(invalid());
            }
            let o = octet(part).ok_or_else(invalid)?;
            (o, o)
        };
        lo = (lo << 8) | u32::from(a);
        hi = (hi << 8) | u32::from(b);
    }
    Ok((lo, hi))
}

/// The sorted octet values of one nmap octet spec (`1-10,20`, `-`, `*` is not nmap).
fn nmap_octets(spec: &str, full: &str) -> Result<Vec<u8>, AddrError> {
    let err = |reason: String| AddrError::InvalidNmap { spec: full.to_string(), reason };
    // Python's int(): optional leading zeros, digits only here.
    let number = |t: &str| -> Result<u32, AddrError> {
        if t.is_empty() || t.len() > 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(format!("'{t}' is not an octet")));
        }
        t.parse::<u32>().map_err(|_| err(format!("'{t}' is not an octet")))
    };
    let mut seen = [false; 256];
    for element in spec.split(',') {
        let (lo, hi) = match element.split_once('-') {
            Some((l, r)) => (if l.is_empty() { 0 } else { number(l)? }, if r.is_empty() { 255 } else { number(r)? }),
            None => {
                let n = number(element)?;
                (n, n)
            }
        };
        if lo > 255 || hi > 255 {
            return Err(err(format!("octet value over 255 in '{spec}'")));
        }
        if lo > hi {
            return Err(err(format!("'{element}' runs backwards")));
        }
        for o in lo..=hi {
            seen[o as usize] = true;
        }
    }
    Ok((0..=255u8).filter(|o| seen[usize::from(*o)]).collect())
}

/// netaddr's `iter_nmap_range` for one target spec: octet lists and ranges
/// (`192.0.2.1-10,20`), an IPv4 CIDR (`192.0.2.0/28`), or one IPv6 address.
pub fn nmap_range(spec: &str) -> Result<IpAddressIter, AddrError> {
    let err = |reason: &str| AddrError::InvalidNmap { spec: spec.to_string(), reason: reason.to_string() };
    if let Some((_, prefix)) = spec.split_once('/') {
        let p: u32 = prefix.parse().map_err(|_| err("CIDR prefix expected after '/'"))?;
        if !(1..=32).contains(&p) {
            return Err(err("CIDR prefix must be 1-32"));
        }
        let net = IpNetwork::parse(spec).map_err(|_| err("not an IPv4 network"))?;
        if net.version() != Version::V4 {
            return Err(err("CIDR only supported for IPv4"));
        }
        return Ok(IpAddressIter::ranges(vec![(Version::V4, net.first(), net.last())]));
    }
    if spec.contains(':') {
        let ip = IpAddress::parse(spec).map_err(|_| err("not an IPv6 address"))?;
        return Ok(IpAddressIter::ranges(vec![(ip.version(), ip.value(), ip.value())]));
    }
    if spec.is_empty() {
        return Err(err("blank specification"));
    }
    let parts: Vec<&str> = spec.split('.').collect();
    if parts.len() != 4 {
        return Err(err("four octet specifications expected"));
    }
    let octets = [
        nmap_octets(parts[0], spec)?,
        nmap_octets(parts[1], spec)?,
        nmap_octets(parts[2], spec)?,
        nmap_octets(parts[3], spec)?,
    ];
    Ok(IpAddressIter::octets(octets))
}

/// The netaddr sort key of a list element; text with a `/` is a network, else an address.
fn sort_key(value: &Dynamic) -> Result<(Version, u128, i16, u128), AddrError> {
    let context = "addr::sort";
    if let Some(ip) = value.read_lock::<IpAddress>() {
        return Ok(address_key(&ip));
    }
    if let Some(text) = value.read_lock::<ImmutableString>() {
        if !text.contains('/') {
            if let Some(ip) = IpAddress::parse_quiet(&text) {
                return Ok(address_key(&ip));
            }
        }
    }
    Ok(net_of(value, context)?.sort_key())
}

fn address_key(ip: &IpAddress) -> (Version, u128, i16, u128) {
    // netaddr: (version, value, width) sorts after every network starting at `value`,
    // whose third key element is at most width - 1.
    (ip.version(), ip.value(), i16::from(ip.version().width()), 0)
}

/// netaddr's sort order for a mixed list; the values themselves are returned unchanged.
pub fn sort(list: Array) -> Result<Array, AddrError> {
    let mut keyed = list.into_iter().map(|v| Ok((sort_key(&v)?, v))).collect::<Result<Vec<_>, AddrError>>()?;
    keyed.sort_by_key(|k| k.0);
    Ok(keyed.into_iter().map(|(_, v)| v).collect())
}

/// Registers the list functions.
pub(crate) fn register(m: &mut ModuleBuilder) {
    m.pure_func(
        "cidr_merge",
        &["list"],
        r#"
        Merges addresses and networks (values or text, IPv4 and IPv6 mixed) into the shortest
        sorted list of networks, joining adjacent and dropping covered ones (netaddr's
        `cidr_merge`; results have host bits cleared).

        ```rhai
        let merged = addr::cidr_merge(["192.0.2.0/25", "192.0.2.128/25", "192.0.2.7"]);
        merged.len()                           // => 1
        merged[0].to_string()                  // => 192.0.2.0/24
        ```

        Errors: `InvalidArgument` quoting an element that is not an address or network.
        "#,
        |list: Array| -> ScriptResult<Array> { Ok(to_array(cidr_merge(&list)?)) },
    );
    m.pure_func(
        "cidr_exclude",
        &["network", "exclude"],
        r#"
        What is left of `network` without `exclude`, as a sorted list of networks
        (netaddr's `cidr_exclude`).

        ```rhai
        let left = addr::cidr_exclude("192.0.2.0/24", "192.0.2.0/26");
        left.map(|n| n.to_string())            // => ["192.0.2.64/26", "192.0.2.128/25"]
        ```

        Errors: `InvalidArgument` for a bad network or when one is IPv4 and the other IPv6.
        "#,
        |target: Dynamic, exclude: Dynamic| -> ScriptResult<Array> {
            let t = net_of(&target, "addr::cidr_exclude")?;
            let e = net_of(&exclude, "addr::cidr_exclude")?;
            Ok(to_array(cidr_exclude(&t, &e)?))
        },
    );
    m.pure_func(
        "range_to_cidrs",
        &["start", "end"],
        r#"
        The networks that exactly cover `start` to `end` inclusive (netaddr's
        `iprange_to_cidrs`; a network argument counts from its first or to its last address).

        ```rhai
        addr::range_to_cidrs("192.0.2.1", "192.0.2.6").map(|n| n.to_string())
        // => ["192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/31", "192.0.2.6/32"]
        ```

        Errors: `InvalidArgument` for bad addresses, IPv4 mixed with IPv6, or a start after the end.
        "#,
        |start: Dynamic, end: Dynamic| -> ScriptResult<Array> { Ok(to_array(range_to_cidrs(&start, &end)?)) },
    );
    m.pure_func(
        "glob_to_cidrs",
        &["glob"],
        r#"
        The networks of an IPv4 glob: `*` octets, and at most one `a-b` octet before them
        (netaddr's `glob_to_cidrs`).

        ```rhai
        addr::glob_to_cidrs("192.0.2.*")[0].to_string()   // => 192.0.2.0/24
        addr::glob_to_cidrs("10.0.1-3.*").len()           // => 2
        ```

        Errors: `InvalidArgument` quoting a glob netaddr would refuse (`192.0.*.1`, `1.2.3`).
        "#,
        |glob: ImmutableString| -> ScriptResult<Array> {
            let (lo, hi) = glob_range(&glob)?;
            let mut out = Vec::new();
            range_cidrs(Version::V4, u128::from(lo), u128::from(hi), &mut out);
            Ok(to_array(out))
        },
    );
    m.pure_func(
        "nmap_range",
        &["spec"],
        r#"
        The addresses of an nmap target specification, lazily (netaddr's `iter_nmap_range`):
        per-octet lists and ranges (`192.0.2.1-10,20`, `10.0.-.1`), an IPv4 CIDR, or one IPv6
        address. Use `for`, `take(n)` or `to_array()`.

        ```rhai
        addr::nmap_range("192.0.2.1-3,7").to_array().map(|ip| ip.to_string())
        // => ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.7"]
        ```

        Errors: `InvalidArgument` quoting a malformed specification.
        "#,
        |spec: ImmutableString| -> ScriptResult<IpAddressIter> { Ok(nmap_range(&spec)?) },
    );
    m.pure_func(
        "sort",
        &["list"],
        r#"
        Sorts addresses and networks (values or text, mixed) in netaddr's order: IPv4 before
        IPv6, then by first address, wider networks first, a network before the plain address
        it starts with. The elements come back as they were given (text stays text).

        ```rhai
        addr::sort(["10.0.0.10", "10.0.0.0/24", "::1", "10.0.0.9"])
        // => ["10.0.0.0/24", "10.0.0.9", "10.0.0.10", "::1"]
        ```

        Errors: `InvalidArgument` quoting an element that is not an address or network.
        "#,
        |list: Array| -> ScriptResult<Array> { Ok(sort(list)?) },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(v: Version, first: u128, last: u128) -> Vec<String> {
        let mut out = Vec::new();
        range_cidrs(v, first, last, &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn greedy_split_covers_edges_of_the_address_space() {
        assert_eq!(cidrs(Version::V4, 0, u128::from(u32::MAX)), ["0.0.0.0/0"]);
        assert_eq!(cidrs(Version::V6, 0, u128::MAX), ["::/0"]);
        assert_eq!(cidrs(Version::V6, u128::MAX - 1, u128::MAX), ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"]);
        assert_eq!(cidrs(Version::V4, 1, 6).len(), 4);
    }

    #[test]
    fn globs_follow_netaddr_validity() {
        assert!(glob_range("192.0.2.*").is_ok());
        assert!(glob_range("192.0.*.*").is_ok());
        assert!(glob_range("192.0.1-2.*").is_ok());
        assert!(glob_range("192.0.*.1").is_err());
        assert!(glob_range("192.0.*.1-2").is_err());
        assert!(glob_range("192.0.2-2.*").is_err());
        assert!(glob_range("1.2.3").is_err());
        assert!(glob_range("01.2.3.4").is_err());
    }

    #[test]
    fn nmap_specs_expand_lazily() {
        assert_eq!(nmap_range("10.0.0.0/8").unwrap().remaining(), 1 << 24);
        assert_eq!(nmap_range("-.-.-.-").unwrap().remaining(), 1 << 32);
        assert!(nmap_range("1.2.3.4/0").is_err());
        assert!(nmap_range("1.2.3.256").is_err());
        assert!(nmap_range("1.2.3.5-4").is_err());
        assert!(nmap_range("").is_err());
    }
}
