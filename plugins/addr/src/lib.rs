//! The `addr` plugin: IP, CIDR and MAC address maths for netscript scripts — the netaddr of
//! netscript (API.md §addr). Everything is pure computation: no I/O, no permissions.
//!
//! The netscript binary links it in through [`plugin()`]; built as a `cdylib` it is also a
//! loadable plugin (`netscript --plugin libnetscript_addr.so`).
#![deny(missing_docs)]

pub mod error; // AddrError: every failure, as InvalidArgument
pub mod ip; // addr::ip, IpAddress
pub mod iter; // lazy IpAddressIterator / IpNetworkIterator
pub mod mac; // addr::mac, MacAddress
pub mod network; // addr::network, IpNetwork
pub mod ranges; // cidr_merge, cidr_exclude, range_to_cidrs, glob_to_cidrs, nmap_range, sort
pub mod set; // addr::set, IpSet

pub use error::AddrError;
pub use ip::IpAddress;
pub use iter::IpAddressIter;
pub use mac::MacAddress;
pub use network::IpNetwork;
pub use network::IpNetworkIter;
pub use set::IpSet;

use netscript_sdk::ModuleBuilder;

netscript_sdk::export_plugin! {
    name: "addr",
    version: env!("CARGO_PKG_VERSION"),
    description: "IP, CIDR and MAC address maths (netaddr)",
    register: register_module,
}

/// Fills the `addr` module: the types first, so signatures show their script names.
// Not named `register`: `export_plugin!` defines an inner `register` that would shadow it.
fn register_module(m: &mut ModuleBuilder) {
    m.doc(
        "IP, CIDR and MAC address maths, after Python's netaddr: addresses, networks, \
         lazy host and subnet iteration, CIDR merging and exclusion, IP sets and EUI-48.",
    );
    m.custom_type::<IpAddress>("IpAddress")
        .custom_type::<IpNetwork>("IpNetwork")
        .custom_type::<IpSet>("IpSet")
        .custom_type::<MacAddress>("MacAddress")
        .custom_type::<IpAddressIter>("IpAddressIterator")
        .custom_type::<IpNetworkIter>("IpNetworkIterator");
    ip::register(m);
    network::register(m);
    iter::register(m);
    network::register_iterator(m);
    ranges::register(m);
    set::register(m);
    mac::register(m);
}

#[cfg(test)]
mod tests {
    use netscript_sdk::rhai::{Dynamic, Engine, EvalAltResult, Map};

    fn engine() -> Engine {
        let mut engine = Engine::new();
        engine.register_static_module("addr", crate::plugin().module.into());
        engine
    }

    /// Every doc example runs, and every one that states its result (`expr // => value`)
    /// gives that value (the SDK's helper, as every plugin's tests use it).
    #[test]
    fn doc_examples_give_the_results_they_state() {
        let checked = netscript_sdk::examples::check(&engine(), true).unwrap_or_else(|e| panic!("{e}"));
        assert!(checked >= 20, "only {checked} stated results");
    }

    fn eval_str(engine: &Engine, script: &str) -> String {
        match engine.eval::<Dynamic>(script) {
            Ok(v) => v.to_string(),
            Err(e) => panic!("{script}\n  failed: {e}"),
        }
    }

    /// Runs `script` expecting a script error; returns (kind, message).
    fn error_of(engine: &Engine, script: &str) -> (String, String) {
        let Err(err) = engine.eval::<Dynamic>(script) else {
            panic!("{script} should fail");
        };
        match *err {
            EvalAltResult::ErrorRuntime(v, _) => {
                let map = v.cast::<Map>();
                assert_eq!(map["protocol"].to_string(), "addr");
                (map["kind"].to_string(), map["message"].to_string())
            }
            other => panic!("{script}: not a script error map: {other}"),
        }
    }

    #[test]
    fn types_have_their_script_names() {
        let e = engine();
        for (script, name) in [
            (r#"addr::ip("1.2.3.4")"#, "IpAddress"),
            (r#"addr::network("1.2.3.0/24")"#, "IpNetwork"),
            (r#"addr::set([])"#, "IpSet"),
            (r#"addr::mac("00-1B-77-49-54-FD")"#, "MacAddress"),
            (r#"addr::network("1.2.3.0/24").hosts()"#, "IpAddressIterator"),
            (r#"addr::network("1.2.3.0/24").subnet(25)"#, "IpNetworkIterator"),
        ] {
            assert_eq!(eval_str(&e, &format!("type_of({script})")), name);
        }
    }

    #[test]
    fn values_print_canonically_in_strings() {
        let e = engine();
        assert_eq!(
            eval_str(&e, r#"`${addr::ip("2001:DB8::1")} in ${addr::network("10.1.2.3/8")}`"#),
            "2001:db8::1 in 10.0.0.0/8"
        );
        assert_eq!(eval_str(&e, r#""mac " + addr::mac("001b774954fd")"#), "mac 00-1B-77-49-54-FD");
    }

    #[test]
    fn for_loops_over_hosts_and_subnets() {
        let e = engine();
        let script = r#"
            let hosts = [];
            for h in addr::network("192.0.2.0/30").hosts() { hosts.push(h.to_string()); }
            let nets = [];
            for n in addr::network("10.0.0.0/22").subnet(24) { nets.push(n.to_string()); }
            for ip in addr::network("192.0.2.8/31") { nets.push(ip.to_string()); }
            for ip in addr::set(["::1", "10.0.0.0"]) { nets.push(ip.to_string()); }
            hosts + nets
        "#;
        assert_eq!(
            eval_str(&e, script),
            r#"["192.0.2.1", "192.0.2.2", "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "192.0.2.8", "192.0.2.9", "10.0.0.0", "::1"]"#
        );
    }

    /// Regression guard: a /8's hosts and an IPv6 /64 must never be built in memory.
    #[test]
    fn huge_networks_iterate_lazily() {
        let e = engine();
        let start = std::time::Instant::now();
        let script = r#"
            let n = 0;
            let last = ();
            for h in addr::network("10.0.0.0/8").hosts() { n += 1; last = h; if n == 1000 { break; } }
            let m = 0;
            for h in addr::network("2001:db8::/64").iter() { m += 1; if m == 1000 { break; } }
            let it = addr::network("2001:db8::/64").iter();
            it.take(5);
            let sub = addr::network("::/0").subnet(128);
            `${n} ${last} ${m} ${it.next()} ${sub.next()} ${addr::nmap_range("-.-.-.-").next()}`
        "#;
        assert_eq!(eval_str(&e, script), "1000 10.0.3.232 1000 2001:db8::5 ::/128 0.0.0.0");
        assert!(start.elapsed().as_secs_f64() < 2.0, "took {:?}", start.elapsed());
        let (kind, msg) = error_of(&e, r#"addr::network("10.0.0.0/7").iter().to_array()"#);
        assert_eq!(kind, "InvalidArgument");
        assert!(msg.contains("33554432 items"), "{msg}");
    }

    #[test]
    fn bad_input_is_an_invalid_argument_quoting_the_text() {
        let e = engine();
        for (script, needle) in [
            (r#"addr::ip("300.1.2.3")"#, "invalid IP address '300.1.2.3'"),
            (r#"addr::ip("1.2.3.4/24")"#, "'1.2.3.4/24'"),
            (r#"addr::ip("")"#, "invalid IP address ''"),
            (r#"addr::ip("fe80::1%eth0")"#, "'fe80::1%eth0'"),
            (r#"addr::ip(-1)"#, "-1"),
            (r#"addr::network("10.0.0.0/33")"#, "'10.0.0.0/33'"),
            (r#"addr::network("2001:db8::/129")"#, "'2001:db8::/129'"),
            (r#"addr::network("10.0.0.0/255.0.255.0")"#, "'10.0.0.0/255.0.255.0'"),
            (r#"addr::network("banana")"#, "invalid IP network 'banana'"),
            (r#"addr::network("10.0.0.0/8").subnet(33)"#, "prefix length 33"),
            (r#"addr::network("10.0.0.0/8").subnet(-1)"#, "prefix length -1"),
            (r#"addr::network("10.0.0.0/8").subnet(9, 3)"#, "subnet count 3"),
            (r#"addr::network("10.0.0.0/8").supernet(9)"#, "supernet prefix length 9"),
            (r#"addr::ip("255.255.255.255") + 1"#, "'255.255.255.255' + 1"),
            (r#"addr::ip("::") - 1"#, "'::' - 1"),
            (r#"addr::ip("::") + -9223372036854775808"#, "outside the IPv6"),
            (r#"addr::ip("2001:db8::1").ipv4()"#, "'2001:db8::1'"),
            (r#"addr::range_to_cidrs("10.0.0.9", "10.0.0.1")"#, "range start '10.0.0.9' is after its end '10.0.0.1'"),
            (r#"addr::range_to_cidrs("10.0.0.1", "::1")"#, "cannot mix IPv4 and IPv6"),
            (r#"addr::cidr_exclude("10.0.0.0/8", "::/0")"#, "cannot mix IPv4 and IPv6"),
            (r#"addr::cidr_merge(["10.0.0.0/8", "nope"])"#, "'nope'"),
            (r#"addr::cidr_merge([1.5])"#, "not float"),
            (r#"addr::set(["10.0.0.0/8", "10.0.0.0/40"])"#, "'10.0.0.0/40'"),
            (r#"addr::sort(["10.0.0.1", "x"])"#, "'x'"),
            (r#"addr::glob_to_cidrs("192.0.*.1")"#, "invalid IP glob '192.0.*.1'"),
            (r#"addr::nmap_range("192.0.2.300")"#, "invalid nmap range '192.0.2.300'"),
            (r#"addr::nmap_range("192.0.2.9-1")"#, "'192.0.2.9-1'"),
            (r#"addr::mac("00-1B-77-49-54")"#, "invalid MAC address '00-1B-77-49-54'"),
            (r#"addr::mac("zz:1b:77:49:54:fd")"#, "'zz:1b:77:49:54:fd'"),
            (r#"addr::mac(-5)"#, "-5"),
            (r#"addr::mac("00-1B-77-49-54-FD").format("windows")"#, "unknown MAC format 'windows'"),
            (r#"addr::network("10.0.0.0/8").hosts().take(-1)"#, "-1"),
            (r#"addr::network("10.0.0.0/8").contains(42)"#, "not int"),
        ] {
            let (kind, msg) = error_of(&e, script);
            assert_eq!(kind, "InvalidArgument", "{script}");
            assert!(msg.contains(needle), "{script}: message {msg:?} lacks {needle:?}");
        }
    }

    #[test]
    fn errors_are_catchable_maps() {
        let e = engine();
        let script = r#"
            let out = "";
            try { addr::ip("1.2.3"); } catch (err) { out = `${err.kind}/${err.protocol}/${err.message}`; }
            out
        "#;
        assert_eq!(eval_str(&e, script), "InvalidArgument/addr/invalid IP address '1.2.3'");
    }

    #[test]
    fn comparisons_and_arithmetic() {
        let e = engine();
        let script = r#"
            let a = addr::ip("10.0.0.9");
            let b = addr::ip("10.0.0.10");
            [a < b, a == addr::ip("10.0.0.9"), a != b, addr::ip("255.255.255.255") < addr::ip("::"),
             (a + 1) == b, (b - 1) == a, 1 + a == b,
             addr::network("10.0.0.0/8") == addr::network("10.9.9.9/8"),
             addr::mac("00-00-00-00-00-01") == addr::mac(1)]
        "#;
        assert_eq!(eval_str(&e, script), "[true, true, true, true, true, true, true, true, true]");
    }

    #[test]
    fn sets_accept_lists_and_values_as_operands() {
        let e = engine();
        let script = r#"
            let a = addr::set(["10.0.0.0/24", addr::ip("::1"), addr::network("192.0.2.0/25")]);
            let b = addr::set(["10.0.0.128/25"]);
            [(a - b).to_string(), (a & b).to_string(), (a | "10.0.1.0/24").to_string(),
             (b ^ addr::set(["10.0.0.0/24"])).to_string(), a.size, a.contains("10.0.0.0/25")]
        "#;
        assert_eq!(
            eval_str(&e, script),
            r#"["IPSet(['10.0.0.0/25', '192.0.2.0/25', '::1/128'])", "IPSet(['10.0.0.128/25'])", "IPSet(['10.0.0.0/23', '192.0.2.0/25', '::1/128'])", "IPSet(['10.0.0.0/25'])", 385, true]"#
        );
    }

    #[test]
    fn sizes_beyond_int_are_floats() {
        let e = engine();
        assert_eq!(eval_str(&e, r#"type_of(addr::network("::/66").size)"#), "i64");
        assert_eq!(eval_str(&e, r#"type_of(addr::network("::/65").size)"#), "f64");
        assert_eq!(eval_str(&e, r#"type_of(addr::network("::/1").size)"#), "f64");
        assert_eq!(eval_str(&e, r#"addr::network("::/1").size == 2.0 ** 127"#), "true");
        assert_eq!(eval_str(&e, r#"addr::ip("ffff::").to_int()"#), "340277174624079928635746076935438991360");
    }
}
