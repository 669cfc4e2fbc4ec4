//! MAC addresses: `addr::mac(text)` and the `MacAddress` type (netaddr's EUI-48 `EUI`).
//!
//! Parsing accepts exactly netaddr's EUI-48 text forms; formatting offers netaddr's
//! dialects by name. The vendor comes from the IEEE registries compiled into `oui-data`
//! (MA-L, MA-M, MA-S, CID, IAB), so a lookup needs no file or network.

use crate::error::{AddrError, ScriptResult};
use crate::ip::{IpAddress, Version};
use crate::network::net_of;
use advmac::{MacAddr6, MacAddr8};
use netscript_sdk::rhai::{Dynamic, ImmutableString, INT};
use netscript_sdk::ModuleBuilder;
use std::fmt;

/// An EUI-48 (MAC) address; `type_of` is `"MacAddress"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MacAddress(MacAddr6);

/// `n` hex digits, each group 1 to `max` digits long; `None` if any group is malformed.
fn hex_groups(parts: &[&str], min: usize, max: usize) -> Option<u64> {
    let mut value = 0u64;
    let bits = 4 * max as u32;
    for part in parts {
        if part.len() < min || part.len() > max || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        value = (value << bits) | u64::from_str_radix(part, 16).ok()?;
    }
    Some(value)
}

impl MacAddress {
    /// Parses netaddr's EUI-48 forms: six groups of 1-2 hex digits (`:` or `-`), three of
    /// 1-4 (`:`, `-` or `.`), two of 5-6 (`:` or `-`), or 11-12 bare hex digits.
    pub fn parse(text: &str) -> Result<Self, AddrError> {
        let value = Self::parse_value(text).ok_or_else(|| AddrError::InvalidMac(text.into()))?;
        Ok(Self::from_value(value))
    }

    fn parse_value(text: &str) -> Option<u64> {
        for sep in [':', '-', '.'] {
            if !text.contains(sep) {
                continue;
            }
            let parts: Vec<&str> = text.split(sep).collect();
            return match (sep, parts.len()) {
                (':' | '-', 6) => hex_groups(&parts, 1, 2),
                (_, 3) => hex_groups(&parts, 1, 4),
                (':' | '-', 2) => hex_groups(&parts, 5, 6),
                _ => None,
            };
        }
        if (11..=12).contains(&text.len()) {
            hex_groups(&[text], 1, 12)
        } else {
            None
        }
    }

    fn from_value(value: u64) -> Self {
        let b = value.to_be_bytes();
        Self(MacAddr6::new([b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// The address as a 48-bit integer.
    pub fn value(&self) -> u64 {
        self.0.to_array().iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
    }

    /// One of netaddr's dialects: `eui48` (default), `unix`, `unix_expanded`, `cisco`,
    /// `bare`, `pgsql`.
    pub fn format(&self, dialect: &str) -> Result<String, AddrError> {
        let b = self.0.to_array();
        let v = self.value();
        Ok(match dialect {
            "eui48" => self.to_string(),
            "unix" => b.map(|x| format!("{x:x}")).join(":"),
            "unix_expanded" => b.map(|x| format!("{x:02x}")).join(":"),
            "cisco" => format!("{:04x}.{:04x}.{:04x}", v >> 32, (v >> 16) & 0xffff, v & 0xffff),
            "bare" => format!("{v:012X}"),
            "pgsql" => format!("{:06x}:{:06x}", v >> 24, v & 0xff_ffff),
            other => return Err(AddrError::UnknownMacFormat(other.into())),
        })
    }

    /// The EUI-64 form: `ff:fe` inserted in the middle (netaddr's `eui64()`).
    pub fn eui64(&self) -> MacAddr8 {
        let b = self.0.to_array();
        MacAddr8::new([b[0], b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]])
    }

    /// The modified EUI-64 (universal/local bit flipped), the IPv6 interface identifier.
    pub fn modified_eui64(&self) -> MacAddr8 {
        let mut e = self.eui64().to_array();
        e[0] ^= 0x02;
        MacAddr8::new(e)
    }

    fn modified_eui64_value(&self) -> u128 {
        self.modified_eui64().to_array().iter().fold(0, |acc, b| (acc << 8) | u128::from(*b))
    }

    /// The IPv6 address `prefix + modified EUI-64` (netaddr's `ipv6(prefix)`).
    pub fn ipv6(&self, prefix: u128) -> Option<IpAddress> {
        IpAddress::new(Version::V6, prefix.checked_add(self.modified_eui64_value())?)
    }

    /// The registered organisation of the OUI (or MA-M/MA-S/IAB block), if any.
    pub fn vendor(&self) -> Option<&'static str> {
        oui_data::lookup(&format!("{:012X}", self.value())).map(|r| r.organization())
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // advmac's canonical form is netaddr's mac_eui48: 00-1B-77-49-54-FD.
        self.0.fmt(f)
    }
}

/// A yes/no question about a MAC address.
type Predicate = fn(&MacAddress) -> bool;

/// Registers `addr::mac` and the `MacAddress` methods.
pub(crate) fn register(m: &mut ModuleBuilder) {
    m.pure_func(
        "mac",
        &["text"],
        r#"
        Parses an EUI-48 (MAC) address in any of netaddr's forms: `00-1B-77-49-54-FD`,
        `00:1b:77:49:54:fd`, `0:1b:77:49:54:fd`, `001b.7749.54fd`, `001b:7749:54fd`,
        `001b77-4954fd`, `001b774954fd`.

        ```rhai
        addr::mac("001b.7749.54fd").to_string()   // => 00-1B-77-49-54-FD
        ```

        Errors: `InvalidArgument` quoting the text when it is in none of these forms.
        "#,
        |text: ImmutableString| -> ScriptResult<MacAddress> { Ok(MacAddress::parse(&text)?) },
    );
    m.pure_func(
        "mac",
        &["value"],
        r#"
        The MAC address with a 48-bit integer value.

        ```rhai
        addr::mac(1).to_string()      // => 00-00-00-00-00-01
        ```

        Errors: `InvalidArgument` for a negative value or one of 2^48 or more.
        "#,
        |n: INT| -> ScriptResult<MacAddress> {
            match u64::try_from(n) {
                Ok(v) if v < 1 << 48 => Ok(MacAddress::from_value(v)),
                _ => Err(AddrError::InvalidMacInt(n).into()),
            }
        },
    );
    m.getter(
        "oui",
        r#"
        The organisationally unique identifier, as netaddr's `str(mac.oui)`.

        ```rhai
        addr::mac("00:1b:77:49:54:fd").oui     // => 00-1B-77
        ```

        Errors: none.
        "#,
        |mac: &mut MacAddress| {
            let b = mac.0.to_array();
            format!("{:02X}-{:02X}-{:02X}", b[0], b[1], b[2])
        },
    );
    m.getter(
        "ei",
        r#"
        The extension identifier (last three octets), as netaddr's `mac.ei`.

        ```rhai
        addr::mac("00:1b:77:49:54:fd").ei      // => 49-54-FD
        ```

        Errors: none.
        "#,
        |mac: &mut MacAddress| {
            let b = mac.0.to_array();
            format!("{:02X}-{:02X}-{:02X}", b[3], b[4], b[5])
        },
    );
    m.pure_method(
        "format",
        &["dialect"],
        r#"
        The address in one of netaddr's dialects: `"eui48"` (`00-1B-77-49-54-FD`), `"unix"`
        (`0:1b:77:49:54:fd`), `"unix_expanded"` (`00:1b:77:49:54:fd`), `"cisco"`
        (`001b.7749.54fd`), `"bare"` (`001B774954FD`), `"pgsql"` (`001b77:4954fd`).

        ```rhai
        addr::mac("00-1B-77-49-54-FD").format("cisco")   // => 001b.7749.54fd
        ```

        Errors: `InvalidArgument` for an unknown dialect name.
        "#,
        |mac: &mut MacAddress, dialect: ImmutableString| -> ScriptResult<String> { Ok(mac.format(&dialect)?) },
    );
    let predicates: [(&str, &str, Predicate); 4] = [
        (
            "is_unicast",
            r#"
            The individual/group bit is clear: a unicast address.

            ```rhai
            addr::mac("00-1B-77-49-54-FD").is_unicast()   // => true
            ```

            Errors: none.
            "#,
            |m| !m.0.is_multicast(),
        ),
        (
            "is_multicast",
            r#"
            The individual/group bit is set: a multicast (or broadcast) address.

            ```rhai
            addr::mac("01:00:5e:00:00:01").is_multicast() // => true
            ```

            Errors: none.
            "#,
            |m| m.0.is_multicast(),
        ),
        (
            "is_local",
            r#"
            The universal/local bit is set: a locally administered address.

            ```rhai
            addr::mac("02:00:00:00:00:01").is_local()     // => true
            ```

            Errors: none.
            "#,
            |m| m.0.is_local(),
        ),
        (
            "is_universal",
            r#"
            The universal/local bit is clear: a vendor-assigned address.

            ```rhai
            addr::mac("00-1B-77-49-54-FD").is_universal() // => true
            ```

            Errors: none.
            "#,
            |m| !m.0.is_local(),
        ),
    ];
    for (name, doc, f) in predicates {
        m.pure_method(name, &[], doc, move |mac: &mut MacAddress| f(mac));
    }
    m.pure_method(
        "eui64",
        &[],
        r#"
        The EUI-64 form, `FF-FE` inserted in the middle (netaddr's `eui64()`).

        ```rhai
        addr::mac("00-1B-77-49-54-FD").eui64()   // => 00-1B-77-FF-FE-49-54-FD
        ```

        Errors: none.
        "#,
        |mac: &mut MacAddress| mac.eui64().to_string(),
    );
    m.pure_method(
        "modified_eui64",
        &[],
        r#"
        The modified EUI-64 (universal/local bit flipped) used as an IPv6 interface identifier
        (netaddr's `modified_eui64()`).

        ```rhai
        addr::mac("00-1B-77-49-54-FD").modified_eui64()   // => 02-1B-77-FF-FE-49-54-FD
        ```

        Errors: none.
        "#,
        |mac: &mut MacAddress| mac.modified_eui64().to_string(),
    );
    m.pure_method(
        "ipv6_link_local",
        &[],
        r#"
        The SLAAC link-local address `fe80::/64` + modified EUI-64 (netaddr's
        `ipv6_link_local()`).

        ```rhai
        addr::mac("00-1B-77-49-54-FD").ipv6_link_local().to_string()   // => fe80::21b:77ff:fe49:54fd
        ```

        Errors: none.
        "#,
        |mac: &mut MacAddress| {
            let fe80 = 0xfe80u128 << 112;
            mac.ipv6(fe80).unwrap_or_else(|| IpAddress::from(std::net::Ipv6Addr::UNSPECIFIED))
        },
    );
    m.pure_method(
        "ipv6",
        &["prefix"],
        r#"
        The SLAAC address in `prefix` (an IPv6 network or address): the prefix's first address
        plus the modified EUI-64 (netaddr's `ipv6(prefix)`).

        ```rhai
        addr::mac("00-1B-77-49-54-FD").ipv6("2001:db8::/64").to_string()   // => 2001:db8::21b:77ff:fe49:54fd
        ```

        Errors: `InvalidArgument` for an IPv4 or malformed prefix, or when the sum overflows.
        "#,
        |mac: &mut MacAddress, prefix: Dynamic| -> ScriptResult<IpAddress> {
            let net = net_of(&prefix, "ipv6")?;
            let bad = || AddrError::InvalidNetwork(net.to_string());
            if net.version() != Version::V6 {
                return Err(bad().into());
            }
            Ok(mac.ipv6(net.first()).ok_or_else(bad)?)
        },
    );
    m.pure_method(
        "vendor",
        &[],
        r#"
        The organisation the IEEE registered this address block to (MA-L, MA-M, MA-S, CID or
        IAB registry), or `()` when it is unregistered.

        ```rhai
        addr::mac("00-1B-77-49-54-FD").vendor()   // => Intel Corporate
        addr::mac("02-00-00-00-00-01").vendor()   // => ()
        ```

        Errors: none.
        "#,
        |mac: &mut MacAddress| mac.vendor().map_or(Dynamic::UNIT, Dynamic::from),
    );
    m.pure_method(
        "to_int",
        &[],
        r#"
        The address as a 48-bit integer.

        ```rhai
        addr::mac("00-00-00-00-01-00").to_int()   // => 256
        ```

        Errors: none.
        "#,
        |mac: &mut MacAddress| mac.value() as INT,
    );
    m.pure_method(
        "==",
        &["a", "b"],
        r#"
        The same address, whatever form each was written in.

        ```rhai
        addr::mac("001b.7749.54fd") == addr::mac("00:1B:77:49:54:FD")   // => true
        ```

        Errors: none.
        "#,
        |a: MacAddress, b: MacAddress| a == b,
    );
    m.pure_method(
        "!=",
        &["a", "b"],
        r#"
        Different addresses.

        ```rhai
        addr::mac(1) != addr::mac(2)             // => true
        ```

        Errors: none.
        "#,
        |a: MacAddress, b: MacAddress| a != b,
    );
    for name in ["to_string", "to_debug"] {
        m.pure_method(
            name,
            &[],
            r#"
            The IEEE form, `00-1B-77-49-54-FD`.

            ```rhai
            addr::mac("0:1b:77:49:54:fd").to_string()   // => 00-1B-77-49-54-FD
            ```

            Errors: none.
            "#,
            |mac: &mut MacAddress| mac.to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_netaddr_form() {
        let want = "00-1B-77-49-54-FD";
        for text in [
            "00-1B-77-49-54-FD",
            "00:1b:77:49:54:fd",
            "0:1b:77:49:54:fd",
            "001b.7749.54fd",
            "1b:7749:54fd",
            "1b-7749-54fd",
            "001b77:4954fd",
            "01b77-4954fd",
            "001b774954fd",
            "01b774954fd",
        ] {
            assert_eq!(MacAddress::parse(text).unwrap().to_string(), want, "{text}");
        }
        for bad in ["", "00-1B-77-49-54", "00:1b:77:49:54:fd:00", "001b.7749:54fd", "+1:2:3:4:5:6", "1b77-4954fd0"] {
            assert!(MacAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_like_netaddr_dialects() {
        let mac = MacAddress::parse("00-1B-77-49-54-FD").unwrap();
        assert_eq!(mac.format("unix").unwrap(), "0:1b:77:49:54:fd");
        assert_eq!(mac.format("unix_expanded").unwrap(), "00:1b:77:49:54:fd");
        assert_eq!(mac.format("cisco").unwrap(), "001b.7749.54fd");
        assert_eq!(mac.format("bare").unwrap(), "001B774954FD");
        assert_eq!(mac.format("pgsql").unwrap(), "001b77:4954fd");
        assert!(mac.format("windows").is_err());
        assert_eq!(mac.eui64().to_string(), "00-1B-77-FF-FE-49-54-FD");
    }
}
