//! The high level, like dnspython's `Resolver`: `dns::resolve`, `dns::reverse` and
//! resolver objects (`dns::resolver(#{ … })`) on hickory-resolver. UDP with TCP when an
//! answer is truncated (or TCP only), the call's time limit over every attempt and server,
//! no cache unless asked, no hosts file and no search list: the name asked is the name sent.

use crate::error::{DnsError, DnsResult, PROTOCOL};
use crate::names::{parse_ip, parse_name, parse_rtype, reverse_name, show};
use crate::records;
use crate::settings::{Settings, KEYS};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::{DnsError as HickoryDnsError, NetError};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts, ServerOrderingStrategy,
};
use hickory_resolver::TokioResolver;
use netscript_sdk::prelude::*;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A resolver with its settings; clones share it across threads. Each thread that asks
/// through it gets a hickory resolver of its own, on its own runtime (`block_on_local`):
/// a question is sent, waited for and read on the asking thread, with no hand-off to a
/// runtime worker and back. With `cache`, each thread keeps its own cache.
#[derive(Clone)]
pub struct DnsResolver(Arc<ResolverInner>);

struct ResolverInner {
    settings: Settings,
    config: ResolverConfig,
    opts: ResolverOpts,
}

/// The shortest time one attempt gets.
const MIN_TRY: Duration = Duration::from_millis(200);

impl DnsResolver {
    /// Builds a resolver; the system's servers (when none are given) pass the permission
    /// checker too. Errors: `InvalidArgument` (an unreadable system configuration),
    /// `PermissionDenied`.
    pub fn new(settings: Settings) -> DnsResult<Self> {
        let (config, mut opts) = if settings.servers.is_empty() {
            hickory_resolver::system_conf::read_system_conf().map_err(|e| {
                DnsError::invalid(format!(
                    "cannot read the system's resolver configuration (/etc/resolv.conf): {e}; give nameserver"
                ))
            })?
        } else {
            let servers = settings.servers.iter().map(|addr| server_config(*addr, settings.tcp)).collect();
            (ResolverConfig::from_name_servers(servers), ResolverOpts::default())
        };
        let (domain, _search, mut servers) = config.into_parts();
        for server in &mut servers {
            if settings.tcp {
                server.connections.retain(|c| matches!(c.protocol, hickory_resolver::config::ProtocolConfig::Tcp));
                if server.connections.is_empty() {
                    server.connections.push(ConnectionConfig::tcp());
                }
            }
            // Given servers passed the checker when they were read (by the name given).
            if settings.servers.is_empty() {
                for connection in &server.connections {
                    netscript_sdk::net::check_addr(SocketAddr::new(server.ip, connection.port))?;
                }
            }
        }
        if servers.is_empty() {
            return Err(DnsError::invalid("the system's resolver configuration names no server; give nameserver"));
        }
        let config = ResolverConfig::from_parts(domain, Vec::new(), servers);
        let tries = u32::try_from(settings.attempts).unwrap_or(1).max(1);
        opts.timeout = (settings.timeout / tries).max(MIN_TRY);
        opts.attempts = settings.attempts;
        opts.cache_size = if settings.cache { 4096 } else { 0 };
        // TTLs as the server gave them (hickory caps them at a day unless told otherwise).
        let longest = Some(Duration::from_secs(u64::from(u32::MAX)));
        (opts.positive_max_ttl, opts.negative_max_ttl) = (longest, longest);
        opts.use_hosts_file = ResolveHosts::Never;
        opts.ndots = 0;
        opts.edns0 = true;
        opts.preserve_intermediates = true;
        opts.server_ordering_strategy = ServerOrderingStrategy::UserProvidedOrder;
        let made = Self(Arc::new(ResolverInner { settings, config, opts }));
        // Built once here so a bad configuration fails at once (and kept for this thread).
        made.here()?;
        Ok(made)
    }

    /// The calling thread's hickory resolver (built on its first question).
    fn here(&self) -> DnsResult<TokioResolver> {
        netscript_sdk::per_thread(&self.0, || {
            TokioResolver::builder_with_config(self.0.config.clone(), TokioRuntimeProvider::default())
                .with_options(self.0.opts.clone())
                .build()
                .map_err(|e| DnsError::invalid(format!("cannot set up the resolver: {e}")))
        })
    }

    /// The settings it was made with.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The records of `rtype` at `name` (a CNAME on the way is followed; only records of the
    /// asked type come back, as dnspython's `rrset`). Errors: `NXDOMAIN`, `NoAnswer`,
    /// `NoNameservers`, `DNSTimeout`, `InvalidArgument`.
    pub fn resolve(&self, name: &str, rtype: &str) -> DnsResult<Array> {
        let name = parse_name(name)?;
        let rtype = parse_rtype(rtype)?;
        let found = self.lookup(&name, rtype)?;
        Ok(found.into_iter().map(|r| Dynamic::from_map(records::to_map(&r))).collect())
    }

    /// The PTR names of an address. Errors: as [`Self::resolve`].
    pub fn reverse(&self, ip: &str) -> DnsResult<Array> {
        let name = reverse_name(parse_ip(ip)?);
        let found = self.lookup(&name, RecordType::PTR)?;
        Ok(found
            .iter()
            .filter_map(|r| match &r.data {
                hickory_proto::rr::RData::PTR(ptr) => Some(Dynamic::from(show(&ptr.0))),
                _ => None,
            })
            .collect())
    }

    fn lookup(&self, name: &Name, rtype: RecordType) -> DnsResult<Vec<hickory_proto::rr::Record>> {
        if special_use(name) {
            return self.lookup_direct(name, rtype);
        }
        let what = format!("{} {}", show(name), crate::names::type_name(rtype));
        if netscript_sdk::trace::enabled(PROTOCOL) {
            crate::trace::question(&format!("{what} to {}", self.describe_servers()));
        }
        let limit = self.0.settings.timeout;
        let resolver = self.here()?;
        let outcome =
            netscript_sdk::block_on_local_timeout(PROTOCOL, &what, limit, resolver.lookup(name.clone(), rtype))
                .map_err(crate::query::timed_out(&what, limit))?;
        let lookup = outcome.map_err(|e| from_net_error(e, name, rtype, limit)).inspect_err(|e| {
            crate::trace::status(&e.to_string());
        })?;
        let wanted: Vec<_> =
            lookup.answers().iter().filter(|r| rtype == RecordType::ANY || r.record_type() == rtype).cloned().collect();
        crate::trace::answer(lookup.answers());
        if wanted.is_empty() {
            return Err(DnsError::NoAnswer { name: show(name), rtype: crate::names::type_name(rtype) });
        }
        Ok(wanted)
    }

    /// A name hickory answers itself (RFC 6761: `localhost.`, the loopback reverse zones,
    /// `invalid.`, `onion.`) is asked of the server instead, as dig and dnspython do: a
    /// server may well hold `127.in-addr.arpa`.
    fn lookup_direct(&self, name: &Name, rtype: RecordType) -> DnsResult<Vec<hickory_proto::rr::Record>> {
        let how = crate::query::QueryOptions { tcp_fallback: true, ..crate::query::default_how() };
        let message = crate::query::question_for(name.clone(), rtype, &how);
        let server = crate::query::first_server(&self.0.settings)?;
        let reply = crate::query::ask(&self.0.settings, &message, server, &how)?.reply;
        let (shown, rtype_text) = (show(name), crate::names::type_name(rtype));
        match reply.metadata.response_code {
            ResponseCode::NoError => {}
            ResponseCode::NXDomain => return Err(DnsError::NxDomain { name: shown }),
            code => {
                return Err(DnsError::NoNameservers {
                    name: shown,
                    rtype: rtype_text,
                    rcode: rcode_name(code),
                    code: Some(code.into()),
                })
            }
        }
        let wanted: Vec<_> =
            reply.answers.iter().filter(|r| rtype == RecordType::ANY || r.record_type() == rtype).cloned().collect();
        if wanted.is_empty() {
            return Err(DnsError::NoAnswer { name: shown, rtype: rtype_text });
        }
        Ok(wanted)
    }

    fn describe_servers(&self) -> String {
        let servers = &self.0.settings.servers;
        if servers.is_empty() {
            "the system's name servers".into()
        } else {
            servers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        }
    }
}

/// Whether hickory's resolver would answer `name` itself instead of asking (RFC 6761).
fn special_use(name: &Name) -> bool {
    // The labels from the top: `localhost`, `invalid`, `onion`, `arpa in-addr 127`, or
    // `arpa ip6` and the 32 nibbles of ::1.
    let mut top = name.iter().rev();
    let is = |label: Option<&[u8]>, text: &str| label.is_some_and(|l| l.eq_ignore_ascii_case(text.as_bytes()));
    let first = top.next();
    if is(first, "localhost") || is(first, "invalid") || is(first, "onion") {
        return true;
    }
    if !is(first, "arpa") {
        return false;
    }
    match top.next() {
        l if is(l, "in-addr") => is(top.next(), "127"),
        l if is(l, "ip6") => name.num_labels() == 34 && top.by_ref().take(31).all(|l| l == b"0") && is(top.next(), "1"),
        _ => false,
    }
}

fn server_config(addr: SocketAddr, tcp: bool) -> NameServerConfig {
    let mut server = if tcp { NameServerConfig::tcp(addr.ip()) } else { NameServerConfig::udp_and_tcp(addr.ip()) };
    for connection in &mut server.connections {
        connection.port = addr.port();
    }
    server
}

/// dig's name of a response code (`NOERROR`, `SERVFAIL`, `NXDOMAIN`, `REFUSED`, …).
pub fn rcode_name(code: ResponseCode) -> String {
    let n = u16::from(code);
    match n {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADSIG",
        17 => "BADKEY",
        18 => "BADTIME",
        _ => return format!("RCODE{n}"),
    }
    .into()
}

/// The script error for a failed lookup.
fn from_net_error(err: NetError, name: &Name, rtype: RecordType, limit: Duration) -> DnsError {
    let (name, rtype) = (show(name), crate::names::type_name(rtype));
    let failed = |rcode: String, code: Option<u16>| DnsError::NoNameservers {
        name: name.clone(),
        rtype: rtype.clone(),
        rcode,
        code,
    };
    match err {
        NetError::Dns(HickoryDnsError::NoRecordsFound(none)) => match none.response_code {
            ResponseCode::NXDomain => DnsError::NxDomain { name },
            ResponseCode::NoError => DnsError::NoAnswer { name, rtype },
            code => failed(rcode_name(code), Some(code.into())),
        },
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => failed(rcode_name(code), Some(code.into())),
        NetError::Timeout => DnsError::Timeout { what: format!("{name} {rtype}"), limit },
        NetError::Io(io) => DnsError::io(format!("{name} {rtype}"), std::io::Error::new(io.kind(), io.to_string())),
        NetError::NoConnections => failed("no name server could be reached".into(), None),
        NetError::Truncated => failed(
            "the answer was truncated over UDP and asking again over TCP failed: is TCP port 53 (or the one \
             given) open on the server?"
                .into(),
            None,
        ),
        other => failed(other.to_string(), None),
    }
}

/// Resolvers made for module-level calls, by settings: `dns::resolve(…)` in a loop builds
/// one once, not per call.
static SHARED: Mutex<Vec<DnsResolver>> = Mutex::new(Vec::new());
const SHARED_KEPT: usize = 8;

/// The resolver for `settings`, made once.
pub fn shared(settings: Settings) -> DnsResult<DnsResolver> {
    let mut kept = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = kept.iter().find(|r| r.settings() == &settings) {
        return Ok(found.clone());
    }
    let made = DnsResolver::new(settings)?;
    if kept.len() >= SHARED_KEPT {
        kept.remove(0);
    }
    kept.push(made.clone());
    Ok(made)
}

fn opts_resolver(function: &'static str, opts: Map) -> DnsResult<DnsResolver> {
    shared(Settings::from_options(function, opts, KEYS)?)
}

/// Registers `resolve`, `reverse`, `resolver` and the `DnsResolver` methods.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<DnsResolver>("DnsResolver");
    let resolve_doc = r#"
        The records of type `rtype` (`"A"`, `"MX"`, `"TXT"`, … any type by name) at `name`,
        as an array of `#{ name, type, ttl, data }` (`data` as dig prints it) plus fields
        per type: A/AAAA `address`; CNAME/NS/PTR `target`; MX `preference`, `exchange`;
        SOA `mname`, `rname`, `serial`, `refresh`, `retry`, `expire`, `minimum`; SRV
        `priority`, `weight`, `port`, `target`; TXT `strings` and `text` (joined); CAA
        `flags`, `tag`, `value`. A CNAME on the way is followed.

        Options: `nameserver` (`"ip"`, `"ip:port"`, `"[v6]:port"`, a host name) or
        `nameservers` (an array), else the system's; `tcp` (TCP only; else UDP, and TCP when
        an answer is truncated); `timeout` (seconds over the whole call, default 5);
        `attempts` (per server, default 2); `cache` (keep answers for their TTL, default
        false).

        ```rhai
        for mx in dns::resolve("example.com", "MX") {
            print(`${mx.preference} ${mx.exchange}`);
        }
        print(dns::resolve("example.com", "A", #{ nameserver: "127.0.0.1:5353", timeout: 2 }));
        ```

        Errors: `NXDOMAIN` (no such name, code 3), `NoAnswer` (the name has no record of
        that type), `NoNameservers` (every server failed: SERVFAIL, REFUSED… in `code`),
        `DNSTimeout`, `InvalidArgument` (a bad name, type, server or option),
        `PermissionDenied` (`--allow-net` does not list the server)."#;
    m.func("resolve", &["name", "rtype"], resolve_doc, |name: &str, rtype: &str| -> ScriptResult<Array> {
        opts_resolver("resolve", Map::new()).and_then(|r| r.resolve(name, rtype)).map_err(script_error)
    });
    m.func(
        "resolve",
        &["name", "rtype", "options"],
        resolve_doc,
        |name: &str, rtype: &str, opts: Map| -> ScriptResult<Array> {
            opts_resolver("resolve", opts).and_then(|r| r.resolve(name, rtype)).map_err(script_error)
        },
    );
    let reverse_doc = r#"
        The names an address points back to (its PTR records), like `dig -x`.
        Options as `dns::resolve`.

        ```rhai
        print(dns::reverse("127.0.0.1", #{ nameserver: "127.0.0.1:5353" }));
        ```

        Errors: `InvalidArgument` (not an address), then as `dns::resolve`."#;
    m.func("reverse", &["ip"], reverse_doc, |ip: &str| -> ScriptResult<Array> {
        opts_resolver("reverse", Map::new()).and_then(|r| r.reverse(ip)).map_err(script_error)
    });
    m.func("reverse", &["ip", "options"], reverse_doc, |ip: &str, opts: Map| -> ScriptResult<Array> {
        opts_resolver("reverse", opts).and_then(|r| r.reverse(ip)).map_err(script_error)
    });
    m.pure_func(
        "reverse_name",
        &["ip"],
        r#"
        The name a reverse lookup asks for: `"1.2.0.192.in-addr.arpa."` for 192.0.2.1, the
        32 nibbles under `ip6.arpa.` for IPv6. Nothing is sent.

        ```rhai
        print(dns::reverse_name("192.0.2.1"));   // 1.2.0.192.in-addr.arpa.
        ```

        Errors: `InvalidArgument` (not an address)."#,
        |ip: &str| -> ScriptResult<String> { parse_ip(ip).map(|ip| show(&reverse_name(ip))).map_err(script_error) },
    );
    m.func(
        "resolver",
        &["options"],
        r#"
        A resolver with its own settings (the options of `dns::resolve`), to ask many
        questions the same way; cheap to share between `parallel` closures (each thread asks
        through its own hickory resolver, and with `cache: true` keeps its own cache). Methods: `.resolve(name, rtype)`, `.reverse(ip)`,
        `.query(name, rtype)` (see `dns::query`).

        ```rhai
        let r = dns::resolver(#{ nameservers: ["127.0.0.1:5353"], timeout: 2, cache: true });
        let names = ["a.example.test", "b.example.test"];
        print(parallel(names, |n| r.resolve(n, "A").len()));
        ```

        Errors: `InvalidArgument`, `PermissionDenied`."#,
        |opts: Map| -> ScriptResult<DnsResolver> {
            Settings::from_options("resolver", opts, KEYS).and_then(DnsResolver::new).map_err(script_error)
        },
    );
    m.method(
        "resolve",
        &["name", "rtype"],
        "As `dns::resolve`, with this resolver's settings.\n\n```rhai\nlet r = dns::resolver(#{ nameserver: \"127.0.0.1:5353\" });\nprint(r.resolve(\"example.test\", \"MX\"));\n```\n\nErrors: as `dns::resolve`.",
        |r: &mut DnsResolver, name: &str, rtype: &str| -> ScriptResult<Array> { r.resolve(name, rtype).map_err(script_error) },
    );
    m.method(
        "reverse",
        &["ip"],
        "As `dns::reverse`, with this resolver's settings.\n\n```rhai\nlet r = dns::resolver(#{ nameserver: \"127.0.0.1:5353\" });\nprint(r.reverse(\"127.0.0.1\"));\n```\n\nErrors: as `dns::reverse`.",
        |r: &mut DnsResolver, ip: &str| -> ScriptResult<Array> { r.reverse(ip).map_err(script_error) },
    );
    m.pure_method(
        "to_string",
        &[],
        "How the resolver prints: its servers and settings.\n\n```rhai\nprint(dns::resolver(#{ nameserver: \"127.0.0.1\" }));\n```\n\nErrors: none.",
        |r: &mut DnsResolver| -> String {
            let s = r.settings();
            format!(
                "DnsResolver({}, {}, timeout {}, {} attempts{})",
                r.describe_servers(),
                if s.tcp { "TCP" } else { "UDP+TCP" },
                netscript_sdk::timeout::describe(s.timeout),
                s.attempts,
                if s.cache { ", cached" } else { "" }
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_use_names_are_those_hickory_would_answer_itself() {
        let special = |text: &str| special_use(&parse_name(text).unwrap());
        for name in
            ["localhost", "a.LOCALHOST.", "x.invalid", "abc.onion", "1.0.0.127.in-addr.arpa", "127.in-addr.arpa"]
        {
            assert!(special(name), "{name}");
        }
        assert!(special(&show(&reverse_name("::1".parse().unwrap()))));
        for name in ["example.test", "localhost.example", "1.0.0.10.in-addr.arpa", "arpa", "in-addr.arpa"] {
            assert!(!special(name), "{name}");
        }
        assert!(!special(&show(&reverse_name("::2".parse().unwrap()))));
        assert!(!special(&show(&reverse_name("2001:db8::1".parse().unwrap()))));
    }
}
