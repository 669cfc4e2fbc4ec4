//! Lazy iterators: `net.hosts()`, `net.iter()`, `net.subnet(p)`, `set.iter()` and
//! `addr::nmap_range(spec)` never build their results up front, so `for h in
//! addr::network("10.0.0.0/8").hosts()` costs nothing until it loops, and an IPv6 /64 can be
//! walked without holding 2^64 addresses. `take(n)` and `to_array()` materialise, bounded.

use crate::error::{AddrError, ScriptResult};
use crate::ip::{IpAddress, Version};
use netscript_sdk::rhai::{Array, Dynamic, FLOAT, INT};
use netscript_sdk::ModuleBuilder;
use std::sync::Arc;

/// The most items `to_array()` / `take(n)` build at once (16 Mi addresses ≈ 1 GiB of values).
pub const MATERIALISE_LIMIT: usize = 1 << 24;

/// A lazy sequence of addresses; `type_of` is `"IpAddressIterator"`.
#[derive(Clone, Debug)]
pub struct IpAddressIter {
    state: AddrState,
}

#[derive(Clone, Debug)]
enum AddrState {
    /// Inclusive ranges walked in order; `next` is the next value in `ranges[idx]`.
    Ranges {
        ranges: Arc<[(Version, u128, u128)]>,
        idx: usize,
        next: u128,
    },
    /// An nmap octet product: every combination of the four sorted octet lists.
    Octets {
        octets: Arc<[Vec<u8>; 4]>,
        pos: [usize; 4],
    },
    Done,
}

impl IpAddressIter {
    /// Walks the inclusive ranges (each `first <= last`) in order.
    pub fn ranges(ranges: Vec<(Version, u128, u128)>) -> Self {
        let state = match ranges.first() {
            Some(&(_, first, _)) => AddrState::Ranges { ranges: ranges.into(), idx: 0, next: first },
            None => AddrState::Done,
        };
        Self { state }
    }

    /// Every address `a.b.c.d` with each octet from its (non-empty, sorted) list.
    pub fn octets(octets: [Vec<u8>; 4]) -> Self {
        let state = if octets.iter().any(Vec::is_empty) {
            AddrState::Done
        } else {
            AddrState::Octets { octets: Arc::new(octets), pos: [0; 4] }
        };
        Self { state }
    }

    /// How many addresses are left (saturating at `u128::MAX`).
    pub fn remaining(&self) -> u128 {
        match &self.state {
            AddrState::Done => 0,
            AddrState::Ranges { ranges, idx, next } => {
                let mut total = (ranges[*idx].2 - next).saturating_add(1);
                for &(_, first, last) in &ranges[idx + 1..] {
                    total = total.saturating_add((last - first).saturating_add(1));
                }
                total
            }
            AddrState::Octets { octets, pos } => {
                let total: u128 = octets.iter().map(|o| o.len() as u128).product();
                let mut done = 0u128;
                for (i, p) in pos.iter().enumerate() {
                    done = done * octets[i].len() as u128 + *p as u128;
                }
                total - done
            }
        }
    }
}

impl Iterator for IpAddressIter {
    type Item = IpAddress;

    fn next(&mut self) -> Option<IpAddress> {
        match &mut self.state {
            AddrState::Done => None,
            AddrState::Ranges { ranges, idx, next } => {
                let (version, _, last) = ranges[*idx];
                let value = *next;
                if value == last {
                    *idx += 1;
                    match ranges.get(*idx) {
                        Some(&(_, first, _)) => *next = first,
                        None => self.state = AddrState::Done,
                    }
                } else {
                    *next += 1;
                }
                IpAddress::new(version, value)
            }
            AddrState::Octets { octets, pos } => {
                let bytes = [0, 1, 2, 3].map(|i| octets[i][pos[i]]);
                // Odometer: bump the last octet, carrying leftwards.
                let mut i = 4;
                loop {
                    if i == 0 {
                        self.state = AddrState::Done;
                        break;
                    }
                    i -= 1;
                    pos[i] += 1;
                    if pos[i] < octets[i].len() {
                        break;
                    }
                    pos[i] = 0;
                }
                Some(IpAddress::from(std::net::Ipv4Addr::from(bytes)))
            }
        }
    }
}

/// A count as a script value: `int` when it fits, else a `float` (exact for powers of two).
pub(crate) fn count_value(n: u128) -> Dynamic {
    match INT::try_from(n) {
        Ok(i) => Dynamic::from_int(i),
        Err(_) => Dynamic::from_float(n as FLOAT),
    }
}

/// `take(n)`: the next `n` items (fewer at the end), advancing the iterator.
pub(crate) fn take<I>(it: &mut I, n: INT, context: &'static str) -> ScriptResult<Array>
where
    I: Iterator,
    I::Item: Clone + Send + Sync + 'static,
{
    let n = usize::try_from(n).map_err(|_| AddrError::NegativeCount { context, count: n })?;
    if n > MATERIALISE_LIMIT {
        return Err(AddrError::TooMany { context, count: n.to_string(), limit: MATERIALISE_LIMIT }.into());
    }
    Ok(it.by_ref().take(n).map(Dynamic::from).collect())
}

/// `to_array()`: everything left, refused up front when it is more than the limit.
pub(crate) fn to_array<I>(it: &mut I, remaining: u128, context: &'static str) -> ScriptResult<Array>
where
    I: Iterator,
    I::Item: Clone + Send + Sync + 'static,
{
    if remaining > MATERIALISE_LIMIT as u128 {
        return Err(AddrError::TooMany { context, count: remaining.to_string(), limit: MATERIALISE_LIMIT }.into());
    }
    Ok(it.by_ref().map(Dynamic::from).collect())
}

/// Turns an optional next item into a script value (`()` when exhausted).
pub(crate) fn next_or_unit<T: Clone + Send + Sync + 'static>(item: Option<T>) -> Dynamic {
    item.map_or(Dynamic::UNIT, Dynamic::from)
}

/// Registers both iterator types: `for`, `take`, `to_array`, `next`, `len`.
pub(crate) fn register(m: &mut ModuleBuilder) {
    m.iterator::<IpAddressIter>();
    m.method(
        "take",
        &["n"],
        r#"
        The next `n` addresses as an array (fewer when the iterator runs out); the iterator
        moves on past them.

        ```rhai
        let hosts = addr::network("10.0.0.0/8").hosts();
        hosts.take(2).len()                    // => 2
        hosts.take(1)[0].to_string()           // => 10.0.0.3
        ```

        Errors: `InvalidArgument` for a negative `n` or one above 16777216.
        "#,
        |it: &mut IpAddressIter, n: INT| take(it, n, "take"),
    );
    m.method(
        "to_array",
        &[],
        r#"
        All remaining addresses as an array.

        ```rhai
        addr::nmap_range("192.0.2.1-3").to_array().len()   // => 3
        ```

        Errors: `InvalidArgument` (without building anything) when more than 16777216 remain;
        loop with `for` or use `take(n)` instead.
        "#,
        |it: &mut IpAddressIter| {
            let remaining = it.remaining();
            to_array(it, remaining, "to_array")
        },
    );
    m.method(
        "next",
        &[],
        r#"
        The next address, or `()` when there are no more.

        ```rhai
        let it = addr::network("192.0.2.0/30").iter();
        it.next().to_string()                  // => 192.0.2.0
        ```

        Errors: none.
        "#,
        |it: &mut IpAddressIter| next_or_unit(it.next()),
    );
    m.pure_method(
        "len",
        &[],
        r#"
        How many addresses remain: an `int`, or a `float` beyond 2^63 (IPv6).

        ```rhai
        addr::network("10.0.0.0/8").hosts().len()   // => 16777214
        ```

        Errors: none.
        "#,
        |it: &mut IpAddressIter| count_value(it.remaining()),
    );
    m.pure_method(
        "to_string",
        &[],
        r#"
        `IpAddressIterator(N remaining)`.

        ```rhai
        addr::network("192.0.2.0/30").iter().to_string()   // => IpAddressIterator(4 remaining)
        ```

        Errors: none.
        "#,
        |it: &mut IpAddressIter| format!("IpAddressIterator({} remaining)", it.remaining()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_walk_across_boundaries_and_stop_at_the_top() {
        let top = u128::MAX;
        let it = IpAddressIter::ranges(vec![(Version::V6, top - 1, top)]);
        assert_eq!(it.remaining(), 2);
        assert_eq!(it.count(), 2);
        let it = IpAddressIter::ranges(vec![(Version::V4, 1, 2), (Version::V6, 5, 5)]);
        let values: Vec<u128> = it.map(|ip| ip.value()).collect();
        assert_eq!(values, [1, 2, 5]);
    }

    #[test]
    fn octet_product_counts_down() {
        let mut it = IpAddressIter::octets([vec![1], vec![2], vec![3, 4], vec![5, 6, 7]]);
        assert_eq!(it.remaining(), 6);
        it.next();
        assert_eq!(it.remaining(), 5);
        assert_eq!(it.last().unwrap().to_string(), "1.2.4.7");
    }

    #[test]
    fn whole_ipv6_space_counts_saturate() {
        let it = IpAddressIter::ranges(vec![(Version::V6, 0, u128::MAX)]);
        assert_eq!(it.remaining(), u128::MAX);
    }
}
