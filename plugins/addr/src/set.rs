//! IP sets: `addr::set(list)` and the `IpSet` type (netaddr's `IPSet`).
//!
//! A set is kept as sorted, disjoint, non-adjacent integer ranges, so every operation is a
//! linear merge and `cidrs()` is the greedy CIDR split of each range — the same canonical
//! list netaddr's `iter_cidrs()` gives.

use crate::error::{AddrError, ScriptResult};
use crate::iter::count_value;
use crate::iter::IpAddressIter;
use crate::network::net_of;
use crate::ranges::{normalise, ranges_of, ranges_to_cidrs, Range};
use netscript_sdk::rhai::{Array, Dynamic};
use netscript_sdk::ModuleBuilder;
use std::fmt;

/// A set of IP addresses (netaddr's `IPSet`); `type_of` is `"IpSet"`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpSet {
    /// Sorted by (version, first); disjoint and never adjacent.
    ranges: Vec<Range>,
}

impl IpSet {
    /// The set of every address, network or text in `list`.
    pub fn from_list(list: &Array) -> Result<Self, AddrError> {
        Ok(Self { ranges: normalise(ranges_of(list, "addr::set")?) })
    }

    /// The addresses in either set.
    pub fn union(&self, other: &Self) -> Self {
        let mut all = self.ranges.clone();
        all.extend_from_slice(&other.ranges);
        Self { ranges: normalise(all) }
    }

    /// The addresses in both sets.
    pub fn intersection(&self, other: &Self) -> Self {
        let (a, b) = (&self.ranges, &other.ranges);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() && j < b.len() {
            let ((va, a0, a1), (vb, b0, b1)) = (a[i], b[j]);
            if va != vb {
                if va < vb {
                    i += 1;
                } else {
                    j += 1;
                }
                continue;
            }
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if lo <= hi {
                out.push((va, lo, hi));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { ranges: out }
    }

    /// The addresses in this set but not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        let b = &other.ranges;
        let mut j = 0;
        let mut out = Vec::new();
        for &(v, s, e) in &self.ranges {
            // Ranges of `other` wholly before this one can never matter again.
            while j < b.len() && (b[j].0, b[j].2) < (v, s) {
                j += 1;
            }
            let mut cur = s;
            let mut covered = false;
            for &(bv, b0, b1) in &b[j..] {
                if bv != v || b0 > e {
                    break;
                }
                if b0 > cur {
                    out.push((v, cur, b0 - 1));
                }
                if b1 >= e {
                    covered = true;
                    break;
                }
                cur = cur.max(b1 + 1);
            }
            if !covered {
                out.push((v, cur, e));
            }
        }
        Self { ranges: out }
    }

    /// The addresses in exactly one of the sets.
    pub fn symmetric_difference(&self, other: &Self) -> Self {
        self.difference(other).union(&other.difference(self))
    }

    /// Whether every address of `v` (an address, network or text) is in the set.
    pub fn contains(&self, value: &Dynamic) -> Result<bool, AddrError> {
        let net = net_of(value, "contains")?;
        let key = (net.version(), net.first());
        // The last range starting at or before the network's first address.
        let idx = self.ranges.partition_point(|r| (r.0, r.1) <= key);
        Ok(idx > 0 && {
            let (v, _, last) = self.ranges[idx - 1];
            v == net.version() && net.last() <= last
        })
    }

    /// How many addresses (saturating at `u128::MAX`).
    pub fn size(&self) -> u128 {
        self.ranges.iter().fold(0u128, |acc, &(_, first, last)| acc.saturating_add((last - first).saturating_add(1)))
    }

    /// The sorted, merged CIDRs (netaddr's `iter_cidrs()`).
    pub fn cidrs(&self) -> Vec<crate::network::IpNetwork> {
        ranges_to_cidrs(&self.ranges)
    }
}

/// `for ip in set` walks every address in order.
impl IntoIterator for IpSet {
    type Item = crate::ip::IpAddress;
    type IntoIter = IpAddressIter;
    fn into_iter(self) -> IpAddressIter {
        IpAddressIter::ranges(self.ranges)
    }
}

impl fmt::Display for IpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IPSet([")?;
        for (i, net) in self.cidrs().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "'{net}'")?;
        }
        f.write_str("])")
    }
}

/// An `IpSet`, a list, or one address/network/text, as a set.
fn set_of(value: &Dynamic, context: &'static str) -> Result<IpSet, AddrError> {
    if let Some(set) = value.read_lock::<IpSet>() {
        return Ok(set.clone());
    }
    if let Some(list) = value.read_lock::<Array>() {
        return IpSet::from_list(&list);
    }
    let net = net_of(value, context)?;
    Ok(IpSet { ranges: vec![(net.version(), net.first(), net.last())] })
}

type SetOp = fn(&IpSet, &IpSet) -> IpSet;

/// Registers `addr::set` and the `IpSet` methods.
pub(crate) fn register(m: &mut ModuleBuilder) {
    m.iterable::<IpSet>();
    m.pure_func(
        "set",
        &["list"],
        r#"
        The set of the addresses and networks in `list` (values or text, IPv4 and IPv6
        mixed), like netaddr's `IPSet`.

        ```rhai
        let s = addr::set(["192.0.2.0/25", "192.0.2.128/25", "2001:db8::1"]);
        s.to_string()                 // => IPSet(['192.0.2.0/24', '2001:db8::1/128'])
        s.contains("192.0.2.9")       // => true
        ```

        Errors: `InvalidArgument` quoting an element that is not an address or network.
        "#,
        |list: Array| -> ScriptResult<IpSet> { Ok(IpSet::from_list(&list)?) },
    );
    m.pure_func(
        "set",
        &[],
        r#"
        The empty set.

        ```rhai
        addr::set().size              // => 0
        ```

        Errors: none.
        "#,
        IpSet::default,
    );

    let ops: [(&str, &str, &str, SetOp); 4] = [
        (
            "union",
            "|",
            r#"
            The addresses in either set (`a | b`). `other` may be a set, a list, an address,
            a network or text.

            ```rhai
            addr::set(["10.0.0.0/25"]).union(["10.0.0.128/25"]).to_string()   // => IPSet(['10.0.0.0/24'])
            ```

            Errors: `InvalidArgument` when `other` holds something that is not an address or network.
            "#,
            IpSet::union,
        ),
        (
            "intersection",
            "&",
            r#"
            The addresses in both sets (`a & b`).

            ```rhai
            addr::set(["10.0.0.0/24"]).intersection(["10.0.0.128/25", "10.1.0.0/16"]).to_string()
            // => IPSet(['10.0.0.128/25'])
            ```

            Errors: `InvalidArgument` when `other` holds something that is not an address or network.
            "#,
            IpSet::intersection,
        ),
        (
            "difference",
            "-",
            r#"
            The addresses in this set but not in `other` (`a - b`).

            ```rhai
            addr::set(["10.0.0.0/24"]).difference(["10.0.0.0/25"]).to_string()   // => IPSet(['10.0.0.128/25'])
            ```

            Errors: `InvalidArgument` when `other` holds something that is not an address or network.
            "#,
            IpSet::difference,
        ),
        (
            "symmetric_difference",
            "^",
            r#"
            The addresses in exactly one of the sets (`a ^ b`).

            ```rhai
            addr::set(["10.0.0.0/31"]).symmetric_difference(["10.0.0.1", "10.0.0.2"]).to_string()
            // => IPSet(['10.0.0.0/32', '10.0.0.2/32'])
            ```

            Errors: `InvalidArgument` when `other` holds something that is not an address or network.
            "#,
            IpSet::symmetric_difference,
        ),
    ];
    for (name, op, doc, f) in ops {
        m.pure_method(name, &["other"], doc, move |s: &mut IpSet, other: Dynamic| -> ScriptResult<IpSet> {
            Ok(f(s, &set_of(&other, "IpSet")?))
        });
        m.pure_method(op, &["a", "b"], doc, move |a: IpSet, b: Dynamic| -> ScriptResult<IpSet> {
            Ok(f(&a, &set_of(&b, op)?))
        });
    }
    m.pure_method(
        "contains",
        &["other"],
        r#"
        Whether an address, or every address of a network, is in the set.

        ```rhai
        let s = addr::set(["10.0.0.0/8"]);
        s.contains("10.1.0.0/16")     // => true
        s.contains(addr::ip("11.0.0.1"))   // => false
        ```

        Errors: `InvalidArgument` when `other` is not an address, network or their text.
        "#,
        |s: &mut IpSet, other: Dynamic| -> ScriptResult<bool> { Ok(s.contains(&other)?) },
    );
    m.pure_method(
        "is_subset",
        &["other"],
        r#"
        Whether every address of this set is in `other`.

        ```rhai
        addr::set(["10.0.0.0/24"]).is_subset(["10.0.0.0/8"])   // => true
        ```

        Errors: `InvalidArgument` when `other` holds something that is not an address or network.
        "#,
        |s: &mut IpSet, other: Dynamic| -> ScriptResult<bool> {
            Ok(s.difference(&set_of(&other, "is_subset")?).ranges.is_empty())
        },
    );
    m.pure_method(
        "is_superset",
        &["other"],
        r#"
        Whether every address of `other` is in this set.

        ```rhai
        addr::set(["10.0.0.0/8"]).is_superset(["10.0.0.0/24"])   // => true
        ```

        Errors: `InvalidArgument` when `other` holds something that is not an address or network.
        "#,
        |s: &mut IpSet, other: Dynamic| -> ScriptResult<bool> {
            Ok(set_of(&other, "is_superset")?.difference(s).ranges.is_empty())
        },
    );
    m.pure_method(
        "is_disjoint",
        &["other"],
        r#"
        Whether the sets have no address in common.

        ```rhai
        addr::set(["10.0.0.0/8"]).is_disjoint(["11.0.0.0/8"])   // => true
        ```

        Errors: `InvalidArgument` when `other` holds something that is not an address or network.
        "#,
        |s: &mut IpSet, other: Dynamic| -> ScriptResult<bool> {
            Ok(s.intersection(&set_of(&other, "is_disjoint")?).ranges.is_empty())
        },
    );
    m.method(
        "add",
        &["value"],
        r#"
        Adds an address, network, list or set to this set in place.

        ```rhai
        let s = addr::set();
        s.add("10.0.0.0/25");
        s.add("10.0.0.128/25");
        s.to_string()                 // => IPSet(['10.0.0.0/24'])
        ```

        Errors: `InvalidArgument` for something that is not an address or network.
        "#,
        |s: &mut IpSet, value: Dynamic| -> ScriptResult<()> {
            *s = s.union(&set_of(&value, "add")?);
            Ok(())
        },
    );
    m.method(
        "remove",
        &["value"],
        r#"
        Removes an address, network, list or set from this set in place (absent addresses
        are ignored, as netaddr's `remove`).

        ```rhai
        let s = addr::set(["10.0.0.0/30"]);
        s.remove("10.0.0.3");
        s.to_string()                 // => IPSet(['10.0.0.0/31', '10.0.0.2/32'])
        ```

        Errors: `InvalidArgument` for something that is not an address or network.
        "#,
        |s: &mut IpSet, value: Dynamic| -> ScriptResult<()> {
            *s = s.difference(&set_of(&value, "remove")?);
            Ok(())
        },
    );
    m.pure_method(
        "cidrs",
        &[],
        r#"
        The set as its sorted, merged networks (netaddr's `iter_cidrs()`).

        ```rhai
        addr::set(["10.0.0.1", "10.0.0.0", "::1"]).cidrs().map(|n| n.to_string())
        // => ["10.0.0.0/31", "::1/128"]
        ```

        Errors: none.
        "#,
        |s: &mut IpSet| -> Array { s.cidrs().into_iter().map(Dynamic::from).collect() },
    );
    m.pure_method(
        "iter",
        &[],
        r#"
        Every address in the set, lazily, in order (`for ip in set` does the same).

        ```rhai
        addr::set(["10.0.0.0/31", "::1"]).iter().to_array().len()   // => 3
        ```

        Errors: none.
        "#,
        |s: &mut IpSet| s.clone().into_iter(),
    );
    m.getter(
        "size",
        r#"
        How many addresses: an `int`, or a `float` beyond 2^63 - 1 (large IPv6 sets; may round).

        ```rhai
        addr::set(["10.0.0.0/24", "10.0.1.0/31"]).size   // => 258
        ```

        Errors: none.
        "#,
        |s: &mut IpSet| count_value(s.size()),
    );
    m.pure_method(
        "==",
        &["a", "b"],
        r#"
        Whether both sets hold the same addresses.

        ```rhai
        addr::set(["10.0.0.0/31"]) == addr::set(["10.0.0.0", "10.0.0.1"])   // => true
        ```

        Errors: none.
        "#,
        |a: IpSet, b: IpSet| a == b,
    );
    m.pure_method(
        "!=",
        &["a", "b"],
        r#"
        Whether the sets differ.

        ```rhai
        addr::set(["10.0.0.0/31"]) != addr::set(["10.0.0.0"])   // => true
        ```

        Errors: none.
        "#,
        |a: IpSet, b: IpSet| a != b,
    );
    for name in ["to_string", "to_debug"] {
        m.pure_method(
            name,
            &[],
            r#"
            netaddr's form: `IPSet(['192.0.2.0/24', '2001:db8::/32'])`.

            ```rhai
            addr::set([]).to_string()     // => IPSet([])
            ```

            Errors: none.
            "#,
            |s: &mut IpSet| s.to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip::Version::{V4, V6};

    fn set(ranges: &[Range]) -> IpSet {
        IpSet { ranges: normalise(ranges.to_vec()) }
    }

    #[test]
    fn difference_handles_spanning_and_touching_ranges() {
        let a = set(&[(V4, 0, 10), (V4, 20, 30), (V6, 0, 5)]);
        let b = set(&[(V4, 5, 25), (V6, 0, 0)]);
        assert_eq!(a.difference(&b).ranges, [(V4, 0, 4), (V4, 26, 30), (V6, 1, 5)]);
        assert_eq!(b.difference(&a).ranges, [(V4, 11, 19)]);
        assert_eq!(a.intersection(&b).ranges, [(V4, 5, 10), (V4, 20, 25), (V6, 0, 0)]);
    }

    #[test]
    fn size_saturates_for_the_whole_space() {
        let all = set(&[(V6, 0, u128::MAX), (V4, 0, 1)]);
        assert_eq!(all.size(), u128::MAX);
    }
}
