//! Name and service lookups: `gethostname`, `gethostbyname`, `getaddrinfo`,
//! `gethostbyaddr` (through the C library's resolver, so `/etc/hosts` and NSS answer as
//! they do for Python), and `getservbyname`/`getservbyport` from `/etc/services`, with a
//! built-in table of the common services for machines without that file.

use crate::error::{SocketError, SocketResult};
use crate::net::{self, Family, Kind, DEFAULT_TIMEOUT};
use dns_lookup::{AddrInfoHints, LookupError};
use netscript_sdk::prelude::*;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

/// Runs a blocking C-library lookup off the script thread, within `limit` seconds.
fn blocking_lookup<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> SocketResult<T> + Send + 'static,
) -> SocketResult<T> {
    net::wait_detached(what, Some(limit), async move {
        tokio::task::spawn_blocking(f).await.map_err(|e| SocketError::invalid(format!("lookup failed: {e}")))?
    })
}

fn not_found(host: &str, err: LookupError) -> SocketError {
    let io: std::io::Error = err.into();
    SocketError::HostNotFound { host: host.into(), reason: io.to_string() }
}

/// One `getaddrinfo` answer.
struct AddrInfo {
    family: Family,
    kind: Kind,
    addr: SocketAddr,
}

fn getaddrinfo_blocking(
    host: &str,
    service: Option<String>,
    family: Option<Family>,
    kind: Kind,
) -> SocketResult<Vec<AddrInfo>> {
    let hints = AddrInfoHints {
        address: match family {
            Some(Family::Inet) => libc::AF_INET,
            Some(Family::Inet6) => libc::AF_INET6,
            _ => libc::AF_UNSPEC,
        },
        socktype: match kind {
            Kind::Stream => libc::SOCK_STREAM,
            Kind::Datagram => libc::SOCK_DGRAM,
        },
        ..AddrInfoHints::default()
    };
    let node = (!host.is_empty()).then_some(host);
    let iter =
        dns_lookup::getaddrinfo(node, service.as_deref().or(Some("0")), Some(hints)).map_err(|e| not_found(host, e))?;
    let mut out: Vec<AddrInfo> = Vec::new();
    for info in iter {
        let Ok(info) = info else { continue };
        let addr = info.sockaddr;
        if out.iter().any(|a| a.addr == addr) {
            continue;
        }
        out.push(AddrInfo { family: Family::of(&addr), kind, addr });
    }
    if out.is_empty() {
        return Err(SocketError::HostNotFound { host: host.into(), reason: "no address".into() });
    }
    Ok(out)
}

fn gethostbyname(name: &str) -> SocketResult<String> {
    if let Some(ip) = net::ip_literal(name) {
        return match ip {
            IpAddr::V4(v4) => Ok(v4.to_string()),
            IpAddr::V6(_) => Err(SocketError::HostNotFound {
                host: name.into(),
                reason: "an IPv6 address has no IPv4 address".into(),
            }),
        };
    }
    if name.is_empty() || name.contains('\0') {
        return Err(SocketError::invalid("gethostbyname: empty host name or NUL byte"));
    }
    let host = name.to_string();
    let found = blocking_lookup(&format!("gethostbyname {name}"), DEFAULT_TIMEOUT, move || {
        getaddrinfo_blocking(&host, None, Some(Family::Inet), Kind::Stream)
    })?;
    found
        .first()
        .map(|a| a.addr.ip().to_string())
        .ok_or_else(|| SocketError::HostNotFound { host: name.into(), reason: "no IPv4 address".into() })
}

fn getaddrinfo(host: &str, port: &Dynamic, opts: Map) -> SocketResult<Array> {
    let opts = net::options("getaddrinfo", opts, &["family", "type", "timeout"])?;
    let family = match opts.int("family")? {
        None | Some(0) => None,
        Some(f) => match Family::from_int(f)? {
            Family::Unix => return Err(SocketError::invalid("getaddrinfo: AF_UNIX has no addresses")),
            ip => Some(ip),
        },
    };
    let kind = match opts.int("type")? {
        None => Kind::Stream,
        Some(t) => Kind::from_int(t)?,
    };
    let limit = opts.duration("timeout", DEFAULT_TIMEOUT)?;
    let service = if port.is_unit() {
        None
    } else if let Ok(p) = port.as_int() {
        Some(net::port(p)?.to_string())
    } else if port.is_string() {
        let name = port.to_string();
        if name.contains('\0') {
            return Err(SocketError::invalid("getaddrinfo: service contains a NUL byte"));
        }
        Some(name)
    } else {
        return Err(SocketError::invalid(format!(
            "getaddrinfo: port must be an integer, a service name or (), not {}",
            netscript_sdk::options::type_word(port)
        )));
    };
    if host.contains('\0') {
        return Err(SocketError::invalid("getaddrinfo: host contains a NUL byte"));
    }
    let name = host.to_string();
    let found = blocking_lookup(&format!("getaddrinfo {host}"), limit, move || {
        getaddrinfo_blocking(&name, service, family, kind)
    })?;
    Ok(found
        .into_iter()
        .map(|a| {
            let mut map = Map::new();
            map.insert("family".into(), Dynamic::from_int(a.family.as_int()));
            map.insert(
                "type".into(),
                Dynamic::from_int(match a.kind {
                    Kind::Stream => net::SOCK_STREAM,
                    Kind::Datagram => net::SOCK_DGRAM,
                }),
            );
            map.insert("address".into(), a.addr.ip().to_string().into());
            map.insert("port".into(), Dynamic::from_int(INT::from(a.addr.port())));
            Dynamic::from_map(map)
        })
        .collect())
}

/// The names `/etc/hosts` gives an address on its first line for it, as the C library's
/// `gethostbyaddr` reports them (canonical name first, then aliases).
fn hosts_file_names(text: &str, ip: IpAddr) -> Vec<String> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        if addr.parse::<IpAddr>().ok() == Some(ip) {
            return fields.map(str::to_string).collect();
        }
    }
    Vec::new()
}

fn gethostbyaddr(target: &str) -> SocketResult<Map> {
    let ip = match net::ip_literal(target) {
        Some(ip) => ip,
        None => gethostbyname(target)?
            .parse()
            .map_err(|_| SocketError::invalid(format!("gethostbyaddr: bad address {target}")))?,
    };
    let hostname = blocking_lookup(&format!("gethostbyaddr {ip}"), DEFAULT_TIMEOUT, move || {
        let addr = SocketAddr::new(ip, 0);
        dns_lookup::getnameinfo(&addr, libc::NI_NAMEREQD)
            .map(|(host, _)| host)
            .map_err(|e| not_found(&ip.to_string(), e))
    })?;
    let names = std::fs::read_to_string("/etc/hosts").map(|text| hosts_file_names(&text, ip)).unwrap_or_default();
    let aliases: Array = match names.split_first() {
        Some((first, rest)) if *first == hostname => rest.iter().map(|n| Dynamic::from(n.clone())).collect(),
        _ => Array::new(),
    };
    let mut map = Map::new();
    map.insert("hostname".into(), hostname.into());
    map.insert("aliases".into(), aliases.into());
    map.insert("addresses".into(), Dynamic::from_array(vec![ip.to_string().into()]));
    Ok(map)
}

/// One line of a services database.
#[derive(Debug, Clone, PartialEq)]
struct Service {
    name: String,
    aliases: Vec<String>,
    port: u16,
    proto: String,
}

/// The common services, in `/etc/services` form, for machines without that file.
const BUILTIN_SERVICES: &str = "
tcpmux 1/tcp
echo 7/tcp
echo 7/udp
discard 9/tcp sink null
discard 9/udp sink null
systat 11/tcp users
daytime 13/tcp
daytime 13/udp
netstat 15/tcp
qotd 17/tcp quote
chargen 19/tcp ttytst source
chargen 19/udp ttytst source
ftp-data 20/tcp
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp mail
time 37/tcp timserver
time 37/udp timserver
whois 43/tcp nicname
tacacs 49/tcp
tacacs 49/udp
domain 53/tcp
domain 53/udp
bootps 67/udp
bootpc 68/udp
tftp 69/udp
gopher 70/tcp
finger 79/tcp
http 80/tcp www
kerberos 88/tcp kerberos5 krb5 kerberos-sec
kerberos 88/udp kerberos5 krb5 kerberos-sec
pop3 110/tcp pop-3
sunrpc 111/tcp portmapper
sunrpc 111/udp portmapper
auth 113/tcp authentication tap ident
nntp 119/tcp readnews untp
ntp 123/udp
epmap 135/tcp loc-srv
netbios-ns 137/udp
netbios-dgm 138/udp
netbios-ssn 139/tcp
imap2 143/tcp imap
snmp 161/tcp
snmp 161/udp
snmp-trap 162/tcp snmptrap
snmp-trap 162/udp snmptrap
bgp 179/tcp
irc 194/tcp
ldap 389/tcp
ldap 389/udp
https 443/tcp
https 443/udp
microsoft-ds 445/tcp
kpasswd 464/tcp
submissions 465/tcp ssmtp smtps urd
isakmp 500/udp
syslog 514/udp
printer 515/tcp spooler
submission 587/tcp
ldaps 636/tcp
ldaps 636/udp
rsync 873/tcp
ftps-data 989/tcp
ftps 990/tcp
telnets 992/tcp
imaps 993/tcp
pop3s 995/tcp
socks 1080/tcp
openvpn 1194/tcp
openvpn 1194/udp
ms-sql-s 1433/tcp
l2f 1701/udp l2tp
radius 1812/udp
radius-acct 1813/udp radacct
nfs 2049/tcp
nfs 2049/udp
mysql 3306/tcp
postgresql 5432/tcp postgres
amqp 5672/tcp
x11 6000/tcp x11-0
redis 6379/tcp
http-alt 8080/tcp webcache
";

fn parse_services(text: &str) -> Vec<Service> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let (Some(name), Some(port_proto)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((port, proto)) = port_proto.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        out.push(Service {
            name: name.into(),
            aliases: fields.map(str::to_string).collect(),
            port,
            proto: proto.into(),
        });
    }
    out
}

/// The services database: `/etc/services` if readable, else the built-in table.
fn services() -> &'static [Service] {
    static SERVICES: OnceLock<Vec<Service>> = OnceLock::new();
    SERVICES.get_or_init(|| {
        std::fs::read_to_string("/etc/services")
            .map(|text| parse_services(&text))
            .ok()
            .filter(|list| !list.is_empty())
            .unwrap_or_else(|| parse_services(BUILTIN_SERVICES))
    })
}

fn proto_matches(service: &Service, proto: Option<&str>) -> bool {
    proto.is_none_or(|p| service.proto.eq_ignore_ascii_case(p))
}

fn service_by_name(list: &[Service], name: &str, proto: Option<&str>) -> SocketResult<INT> {
    list.iter()
        .find(|s| {
            proto_matches(s, proto)
                && (s.name.eq_ignore_ascii_case(name) || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
        })
        .map(|s| INT::from(s.port))
        .ok_or_else(|| {
            SocketError::invalid(format!(
                "service '{name}'{} not found",
                proto.map(|p| format!(" for protocol '{p}'")).unwrap_or_default()
            ))
        })
}

fn service_by_port(list: &[Service], port: INT, proto: Option<&str>) -> SocketResult<String> {
    let port = net::port(port)?;
    list.iter().find(|s| s.port == port && proto_matches(s, proto)).map(|s| s.name.clone()).ok_or_else(|| {
        SocketError::invalid(format!(
            "no service on port {port}{}",
            proto.map(|p| format!(" for protocol '{p}'")).unwrap_or_default()
        ))
    })
}

/// Registers the lookup functions.
pub fn register(m: &mut ModuleBuilder) {
    m.func(
        "gethostname",
        &[],
        r#"
        This machine's host name.

        ```rhai
        print(socket::gethostname());
        ```

        Errors: `IoError` (rare: the system call failed).
        "#,
        || -> ScriptResult<String> {
            dns_lookup::get_hostname().map_err(|e| script_error(SocketError::io("gethostname", e)))
        },
    );
    m.func(
        "gethostbyname",
        &["name"],
        r#"
        The first IPv4 address of a host name, as text (an IPv4 literal comes back as is).
        Uses the system resolver (`/etc/hosts`, then DNS), as Python does.

        ```rhai
        print(socket::gethostbyname("localhost"));   // 127.0.0.1
        ```

        Errors: `HostNotFound` (no such name, or no IPv4 address), `InvalidArgument`
        (empty name), `Timeout` (30 s).
        "#,
        |name: &str| -> ScriptResult<String> { gethostbyname(name).map_err(script_error) },
    );
    m.func(
        "getaddrinfo",
        &["host", "port"],
        r#"
        Every address of `host` for a stream socket to `port` (an integer, a service name
        such as `"http"`, or `()`), as an array of `#{ family, type, address, port }`;
        `family` compares with `socket::AF_INET`/`AF_INET6`.

        ```rhai
        for a in socket::getaddrinfo("localhost", 80) {
            print(`${a.address} port ${a.port} family ${a.family}`);
        }
        ```

        Errors: `HostNotFound`, `InvalidArgument` (port outside 0-65535), `Timeout`.
        "#,
        |host: &str, port: Dynamic| -> ScriptResult<Array> {
            getaddrinfo(host, &port, Map::new()).map_err(script_error)
        },
    );
    m.func(
        "getaddrinfo",
        &["host", "port", "options"],
        r#"
        `getaddrinfo` with options: `family` (`socket::AF_INET` or `AF_INET6`), `type`
        (`socket::SOCK_STREAM`, the default, or `SOCK_DGRAM`), `timeout` (seconds).

        ```rhai
        let v6 = socket::getaddrinfo("localhost", 53, #{ family: socket::AF_INET6, type: socket::SOCK_DGRAM });
        ```

        Errors: `HostNotFound`, `InvalidArgument` (unknown option, family or type),
        `Timeout`.
        "#,
        |host: &str, port: Dynamic, opts: Map| -> ScriptResult<Array> {
            getaddrinfo(host, &port, opts).map_err(script_error)
        },
    );
    m.func(
        "gethostbyaddr",
        &["ip"],
        r#"
        Reverse lookup: `#{ hostname, aliases, addresses }` for an IP address (or a name,
        looked up first), as Python's `gethostbyaddr` gives it.

        ```rhai
        let h = socket::gethostbyaddr("127.0.0.1");
        print(h.hostname);   // localhost
        ```

        Errors: `HostNotFound` (no name for the address), `Timeout`.
        "#,
        |ip: &str| -> ScriptResult<Map> { gethostbyaddr(ip).map_err(script_error) },
    );
    m.func(
        "getservbyname",
        &["name", "proto"],
        r#"
        The port of a service by name or alias for a protocol (`"tcp"`, `"udp"`), from
        `/etc/services` (a built-in table when that file is missing).

        ```rhai
        print(socket::getservbyname("smtp", "tcp"));   // 25
        ```

        Errors: `InvalidArgument` (no such service for that protocol).
        "#,
        |name: &str, proto: &str| -> ScriptResult<INT> {
            service_by_name(services(), name, Some(proto)).map_err(script_error)
        },
    );
    m.func(
        "getservbyname",
        &["name"],
        r#"
        The port of a service by name, for any protocol.

        ```rhai
        print(socket::getservbyname("https"));   // 443
        ```

        Errors: `InvalidArgument` (no such service).
        "#,
        |name: &str| -> ScriptResult<INT> { service_by_name(services(), name, None).map_err(script_error) },
    );
    m.func(
        "getservbyport",
        &["port", "proto"],
        r#"
        The name of the service on a port for a protocol.

        ```rhai
        print(socket::getservbyport(993, "tcp"));   // imaps
        ```

        Errors: `InvalidArgument` (port outside 0-65535, or no service there).
        "#,
        |port: INT, proto: &str| -> ScriptResult<String> {
            service_by_port(services(), port, Some(proto)).map_err(script_error)
        },
    );
    m.func(
        "getservbyport",
        &["port"],
        r#"
        The name of the service on a port, for any protocol.

        ```rhai
        print(socket::getservbyport(80));   // http
        ```

        Errors: `InvalidArgument` (port outside 0-65535, or no service there).
        "#,
        |port: INT| -> ScriptResult<String> { service_by_port(services(), port, None).map_err(script_error) },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_knows_the_common_services() {
        let list = parse_services(BUILTIN_SERVICES);
        assert_eq!(service_by_name(&list, "smtp", Some("tcp")).unwrap(), 25);
        assert_eq!(service_by_name(&list, "www", None).unwrap(), 80);
        assert_eq!(service_by_port(&list, 993, Some("tcp")).unwrap(), "imaps");
        assert!(service_by_name(&list, "smtp", Some("udp")).is_err());
        assert!(service_by_port(&list, 70000, None).is_err());
    }

    #[test]
    fn services_lines_with_comments_and_aliases_parse() {
        let list = parse_services("# c\nsmtp\t\t25/tcp\t\tmail # Simple Mail\nbad line\nx 99999/tcp\n");
        assert_eq!(
            list,
            vec![Service { name: "smtp".into(), aliases: vec!["mail".into()], port: 25, proto: "tcp".into() }]
        );
    }

    #[test]
    fn hosts_file_gives_the_first_line_for_an_address() {
        let text = "127.0.0.1 localhost\n127.0.0.1 other\n::1 localhost ip6-localhost # x\n";
        assert_eq!(hosts_file_names(text, "127.0.0.1".parse().unwrap()), ["localhost"]);
        assert_eq!(hosts_file_names(text, "::1".parse().unwrap()), ["localhost", "ip6-localhost"]);
    }
}
