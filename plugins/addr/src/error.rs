//! The one error type of the `addr` plugin and its mapping to the script error map.
//!
//! Address maths only fails on bad input, so every variant is an `InvalidArgument` to a
//! script; the message quotes the offending text so the user sees what was wrong.

use netscript_sdk::rhai::EvalAltResult;
use netscript_sdk::{error::script_error, ScriptError};

/// What can go wrong in address maths. Every variant is kind `InvalidArgument`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddrError {
    /// Text that is neither an IPv4 nor an IPv6 address.
    #[error("invalid IP address '{0}'")]
    InvalidIp(String),
    /// An address given with a prefix or netmask where a single address is expected.
    #[error("invalid IP address '{0}': a prefix or netmask belongs in addr::network()")]
    IpWithPrefix(String),
    /// An integer that is no address (negative).
    #[error("invalid IP address {0}: an integer address cannot be negative")]
    InvalidIpInt(i64),
    /// Text that is not a network (`address[/prefix|/netmask|/hostmask]`).
    #[error("invalid IP network '{0}'")]
    InvalidNetwork(String),
    /// Network text whose prefix length is too long for its version.
    #[error("invalid IP network '{text}': prefix length must be 0-{max} for IPv{version}")]
    NetworkPrefix {
        /// The network text as given.
        text: String,
        /// 4 or 6.
        version: u8,
        /// 32 or 128.
        max: u8,
    },
    /// A prefix length argument outside `0..=32` (IPv4) or `0..=128` (IPv6).
    #[error("prefix length {prefixlen} is out of range for IPv{version} (0-{max})")]
    PrefixOutOfRange {
        /// The prefix length given.
        prefixlen: i64,
        /// 4 or 6.
        version: u8,
        /// 32 or 128.
        max: u8,
    },
    /// `net.supernet(p)` with `p` longer than the network's own prefix.
    #[error("supernet prefix length {prefixlen} is longer than the /{current} of '{network}'")]
    SupernetTooLong {
        /// The prefix length given.
        prefixlen: i64,
        /// The network's own prefix length.
        current: u8,
        /// The network.
        network: String,
    },
    /// `net.subnet(p, count)` with a count outside `1..=` the number of subnets.
    #[error("subnet count {count} is outside 1-{max} for '{network}' split into /{prefixlen}")]
    SubnetCount {
        /// The count given.
        count: i64,
        /// How many subnets there are.
        max: String,
        /// The network.
        network: String,
        /// The subnet prefix length.
        prefixlen: u8,
    },
    /// Address arithmetic that leaves the address space (`ip + n`, `ip - n`).
    #[error("'{ip}' {op} {amount} is outside the IPv{version} address space")]
    OutOfRange {
        /// The address.
        ip: String,
        /// `+` or `-`.
        op: char,
        /// The amount added or subtracted.
        amount: i64,
        /// 4 or 6.
        version: u8,
    },
    /// A range whose start lies after its end.
    #[error("range start '{start}' is after its end '{end}'")]
    RangeReversed {
        /// The start as given.
        start: String,
        /// The end as given.
        end: String,
    },
    /// IPv4 and IPv6 mixed where both must be of one version.
    #[error("{context}: cannot mix IPv4 and IPv6 ('{a}' and '{b}')")]
    MixedVersions {
        /// The function.
        context: &'static str,
        /// One value.
        a: String,
        /// The other.
        b: String,
    },
    /// `ip.ipv4()` of an IPv6 address that has no IPv4 equivalent.
    #[error("IPv6 address '{0}' has no IPv4 equivalent (only ::a.b.c.d and ::ffff:a.b.c.d have one)")]
    NoIpv4(String),
    /// Text that is not an IPv4 glob.
    #[error("invalid IP glob '{0}' (expected e.g. 192.0.2.*, 192.0.2.1-10 or 10.*.*.*)")]
    InvalidGlob(String),
    /// Text that is not an nmap target specification.
    #[error("invalid nmap range '{spec}': {reason}")]
    InvalidNmap {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Text that is not an EUI-48 (MAC) address in a known format.
    #[error(
        "invalid MAC address '{0}' (expected e.g. 00-1B-77-49-54-FD, 00:1b:77:49:54:fd, 001b.7749.54fd or 001b774954fd)"
    )]
    InvalidMac(String),
    /// An integer that is no EUI-48 (negative or ≥ 2^48).
    #[error("invalid MAC address {0}: an integer MAC must be 0-281474976710655 (48 bits)")]
    InvalidMacInt(i64),
    /// A MAC format name that `mac.format()` does not know.
    #[error("unknown MAC format '{0}' (known: eui48, unix, unix_expanded, cisco, bare, pgsql)")]
    UnknownMacFormat(String),
    /// A value of the wrong type in an argument or list.
    #[error("{context}: expected an IP address, network or string, not {type_name}")]
    WrongType {
        /// The function.
        context: &'static str,
        /// The script type name of the value given.
        type_name: String,
    },
    /// A negative count (`take(-1)`).
    #[error("{context}: count must not be negative, not {count}")]
    NegativeCount {
        /// The function.
        context: &'static str,
        /// The count given.
        count: i64,
    },
    /// Materialising more items than fit in memory comfortably.
    #[error("{context}: {count} items are more than the {limit} it builds at once; loop with `for` or use take(n)")]
    TooMany {
        /// The function.
        context: &'static str,
        /// How many items were asked for.
        count: String,
        /// The most it builds.
        limit: usize,
    },
}

impl ScriptError for AddrError {
    fn kind(&self) -> &str {
        // Address maths has no I/O: the only failure is a bad argument.
        "InvalidArgument"
    }
    fn protocol(&self) -> &str {
        "addr"
    }
}

impl From<AddrError> for Box<EvalAltResult> {
    fn from(err: AddrError) -> Self {
        script_error(err)
    }
}

/// The result of a script function of this plugin.
pub type ScriptResult<T> = Result<T, Box<EvalAltResult>>;
