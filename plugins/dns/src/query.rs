//! The low level, like dig and dnspython's `dns.query.udp`/`tcp`: one message to one
//! server, the reply returned whole — rcode, flags and the three sections — without raising
//! on a non-zero rcode (NXDOMAIN is data here). UDP unless `tcp: true`; a truncated UDP reply
//! is returned as such (`truncated: true`) unless `tcp_fallback: true` asks again over TCP.

use crate::error::{DnsError, DnsResult, PROTOCOL};
use crate::names::{parse_name, parse_rtype, show};
use crate::records;
use crate::resolve::rcode_name;
use crate::settings::{Settings, KEYS};
use hickory_proto::op::{Edns, Message, MessageType, Query};
use hickory_proto::rr::{Name, Record, RecordType};
use netscript_sdk::prelude::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Option keys of `dns::query` (beyond the resolver's).
const QUERY_KEYS: &[&str] = &["tcp_fallback", "edns", "recurse", "dnssec"];

/// How one query is sent.
#[derive(Clone, Debug)]
pub struct QueryOptions {
    /// Ask again over TCP when the UDP answer is truncated.
    pub tcp_fallback: bool,
    /// Send an EDNS(0) OPT record (1232-byte UDP payload), as dig does by default.
    pub edns: bool,
    /// Set RD (recursion desired), as dig does by default.
    pub recurse: bool,
    /// Set the DO bit (DNSSEC records wanted).
    pub dnssec: bool,
}

impl QueryOptions {
    fn from(opts: &Options) -> DnsResult<Self> {
        Ok(Self {
            tcp_fallback: opts.bool("tcp_fallback", false)?,
            edns: opts.bool("edns", true)?,
            recurse: opts.bool("recurse", true)?,
            dnssec: opts.bool("dnssec", false)?,
        })
    }
}

/// The UDP payload size announced with EDNS (the DNS flag day's value).
const EDNS_PAYLOAD: u16 = 1232;
/// The shortest time one UDP attempt gets.
const MIN_TRY: Duration = Duration::from_millis(200);
/// The largest message read over TCP (a length prefix is 16 bits).
const MAX_TCP: usize = 65535;

/// The server a query goes to: the first given, else the system's first.
fn server_of(settings: &Settings) -> DnsResult<SocketAddr> {
    if let Some(first) = settings.servers.first() {
        return Ok(*first);
    }
    let (config, _) = hickory_resolver::system_conf::read_system_conf()
        .map_err(|e| DnsError::invalid(format!("cannot read /etc/resolv.conf: {e}; give nameserver")))?;
    let server = config
        .name_servers()
        .first()
        .ok_or_else(|| DnsError::invalid("the system's resolver configuration names no server; give nameserver"))?;
    let port = server.connections.first().map_or(53, |c| c.port);
    let addr = SocketAddr::new(server.ip, port);
    netscript_sdk::net::check_addr(addr)?;
    Ok(addr)
}

/// Builds the question message.
fn question(name: &str, rtype: &str, how: &QueryOptions) -> DnsResult<Message> {
    Ok(question_for(parse_name(name)?, parse_rtype(rtype)?, how))
}

/// The question message for a checked name and type.
pub fn question_for(name: Name, rtype: RecordType, how: &QueryOptions) -> Message {
    let mut message = Message::query();
    message.add_query(Query::query(name, rtype));
    message.metadata.recursion_desired = how.recurse;
    if how.edns || how.dnssec {
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        edns.set_dnssec_ok(how.dnssec);
        message.set_edns(edns);
    }
    message
}

/// Sends `message` to `server` and reads the reply with the same id, within the remaining
/// time. Errors: `DNSTimeout`, `ProtocolError`, socket errors.
async fn exchange(message: &Message, server: SocketAddr, tcp: bool) -> DnsResult<Message> {
    let wire = message.to_vec().map_err(|e| DnsError::Protocol(format!("cannot encode the query: {e}")))?;
    let id = message.metadata.id;
    if tcp {
        let mut stream = send_over_tcp(&wire, server).await?;
        loop {
            let reply = read_framed(&mut stream, server).await?;
            if reply.metadata.id == id {
                return Ok(reply);
            }
        }
    }
    let local: SocketAddr = if server.is_ipv4() { "0.0.0.0:0".parse() } else { "[::]:0".parse() }
        .map_err(|_| DnsError::Protocol("local address".into()))?;
    let socket = tokio::net::UdpSocket::bind(local).await.map_err(|e| DnsError::io("bind a UDP socket", e))?;
    socket.connect(server).await.map_err(|e| DnsError::io(format!("connect UDP to {server}"), e))?;
    socket.send(&wire).await.map_err(|e| DnsError::io(format!("send to {server}"), e))?;
    // Room for the largest datagram, not zeroed: `recv_buf` fills it.
    let mut buf = Vec::with_capacity(MAX_TCP);
    loop {
        buf.clear();
        let n = socket.recv_buf(&mut buf).await.map_err(|e| DnsError::io(format!("receive from {server}"), e))?;
        // Anything that is not the reply to this question (a stray or forged datagram) is
        // ignored, as dig does.
        match Message::from_vec(&buf[..n]) {
            Ok(reply) if reply.metadata.id == id && reply.metadata.message_type == MessageType::Response => {
                return Ok(reply)
            }
            // The answer to this question (its id), broken: say so rather than wait.
            Err(e) if n >= 2 && buf[..2] == id.to_be_bytes() => {
                return Err(DnsError::Protocol(format!("{server} sent a reply that does not decode: {e}")))
            }
            _ => continue,
        }
    }
}

/// Connects to `server` over TCP and sends one length-prefixed message. Errors: socket
/// errors, `ProtocolError` for a message over 64 KiB.
pub async fn send_over_tcp(wire: &[u8], server: SocketAddr) -> DnsResult<tokio::net::TcpStream> {
    let length = u16::try_from(wire.len()).map_err(|_| DnsError::Protocol("the query is too long".into()))?;
    let mut stream = tokio::net::TcpStream::connect(server)
        .await
        .map_err(|e| DnsError::io(format!("connect to {server} (TCP)"), e))?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(wire);
    stream.write_all(&framed).await.map_err(|e| DnsError::io(format!("send to {server} (TCP)"), e))?;
    Ok(stream)
}

/// The error of a wait through the SDK that ran past `limit`: `DNSTimeout` naming `what`.
pub fn timed_out(what: &str, limit: Duration) -> impl Fn(netscript_sdk::CommonError) -> DnsError + '_ {
    move |e| match e.kind {
        netscript_sdk::error::CommonKind::Timeout => DnsError::Timeout { what: what.to_string(), limit },
        _ => DnsError::Host(e),
    }
}

/// One length-prefixed message from a TCP stream. Errors: `ProtocolError` on a message
/// that does not decode, `ConnectionClosed` when the stream ends first.
pub async fn read_framed(stream: &mut tokio::net::TcpStream, server: SocketAddr) -> DnsResult<Message> {
    let body = read_frame(stream, server).await?;
    decode(&body, server)
}

/// One length-prefixed message from a TCP stream, as bytes (a signed reply is verified on
/// them). Errors: `ConnectionClosed` when the stream ends first, socket errors.
pub async fn read_frame(stream: &mut tokio::net::TcpStream, server: SocketAddr) -> DnsResult<Vec<u8>> {
    let mut length = [0u8; 2];
    stream.read_exact(&mut length).await.map_err(|e| DnsError::io(format!("read from {server} (TCP)"), e))?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(length))];
    stream.read_exact(&mut body).await.map_err(|e| DnsError::io(format!("read from {server} (TCP)"), e))?;
    Ok(body)
}

/// A message from `server`'s bytes. Errors: `ProtocolError`.
pub fn decode(body: &[u8], server: SocketAddr) -> DnsResult<Message> {
    Message::from_vec(body)
        .map_err(|e| DnsError::Protocol(format!("{server} sent a message that does not decode: {e}")))
}

fn section(records: &[Record]) -> Array {
    records.iter().map(|r| Dynamic::from_map(records::to_map(r))).collect()
}

/// The reply as a script map.
fn reply_map(reply: &Message, server: SocketAddr, tcp: bool, elapsed: Duration) -> Map {
    let meta = &reply.metadata;
    let mut flags = Array::new();
    for (on, flag) in [
        (meta.message_type == MessageType::Response, "qr"),
        (meta.authoritative, "aa"),
        (meta.truncation, "tc"),
        (meta.recursion_desired, "rd"),
        (meta.recursion_available, "ra"),
        (meta.authentic_data, "ad"),
        (meta.checking_disabled, "cd"),
    ] {
        if on {
            flags.push(flag.into());
        }
    }
    let mut map = Map::new();
    map.insert("rcode".into(), rcode_name(meta.response_code).into());
    map.insert("code".into(), Dynamic::from_int(INT::from(u16::from(meta.response_code))));
    map.insert("flags".into(), flags.into());
    map.insert("answer".into(), section(&reply.answers).into());
    map.insert("authority".into(), section(&reply.authorities).into());
    map.insert("additional".into(), section(&reply.additionals).into());
    map.insert("truncated".into(), meta.truncation.into());
    map.insert("server".into(), server.to_string().into());
    map.insert("protocol".into(), if tcp { "tcp" } else { "udp" }.into());
    map.insert("elapsed_ms".into(), Dynamic::from_float((elapsed.as_secs_f64() * 1e6).round() / 1000.0));
    map
}

/// `dns::query`: one question to one server, the reply whole. Errors: `DNSTimeout`,
/// `InvalidArgument`, `PermissionDenied`, `ProtocolError`, socket errors.
pub fn query(name: &str, rtype: &str, opts: Map) -> DnsResult<Map> {
    let keys: Vec<&str> = KEYS.iter().chain(QUERY_KEYS).copied().collect();
    let parsed = Options::parse(PROTOCOL, "query", opts.clone(), &keys)?;
    let how = QueryOptions::from(&parsed)?;
    let mut resolver_opts = opts;
    for key in QUERY_KEYS {
        resolver_opts.remove(*key);
    }
    let settings = Settings::from_options("query", resolver_opts, KEYS)?;
    query_with(&settings, name, rtype, &how)
}

/// A query with settings already read (a resolver object's `.query`).
pub fn query_with(settings: &Settings, name: &str, rtype: &str, how: &QueryOptions) -> DnsResult<Map> {
    let message = question(name, rtype, how)?;
    let server = server_of(settings)?;
    let asked = ask(settings, &message, server, how)?;
    Ok(reply_map(&asked.reply, server, asked.tcp, asked.elapsed))
}

/// A reply and how it came.
pub struct Asked {
    /// The reply message.
    pub reply: Message,
    /// Whether it came over TCP.
    pub tcp: bool,
    /// How long the exchange took.
    pub elapsed: Duration,
}

/// Sends `message` to `server` within the settings' time limit (over TCP again when the UDP
/// reply is truncated and `how.tcp_fallback`). Errors: `DNSTimeout`, socket and protocol
/// errors.
pub fn ask(settings: &Settings, message: &Message, server: SocketAddr, how: &QueryOptions) -> DnsResult<Asked> {
    let what = format!(
        "{} {} to {server}",
        show(message.queries[0].name()),
        crate::names::type_name(message.queries[0].query_type())
    );
    crate::trace::question(&what);
    let tracing = netscript_sdk::trace::enabled(PROTOCOL);
    let limit = settings.timeout;
    let started = Instant::now();
    let fallback = how.tcp_fallback && !settings.tcp;
    // Over UDP each attempt gets its share of the time limit; over TCP one exchange does.
    let attempts = if settings.tcp { 1 } else { settings.attempts.max(1) };
    let per_try = (limit / u32::try_from(attempts).unwrap_or(1)).max(MIN_TRY);
    let outcome = netscript_sdk::block_on_local_timeout(PROTOCOL, &what, limit, async {
        let mut tried = 1;
        let reply = loop {
            match tokio::time::timeout(per_try, exchange(message, server, settings.tcp)).await {
                Ok(reply) => break reply?,
                Err(_) if tried < attempts => tried += 1,
                // The last attempt waits out the rest of the limit.
                Err(_) => break exchange(message, server, settings.tcp).await?,
            }
        };
        if fallback && reply.metadata.truncation {
            return exchange(message, server, true).await.map(|r| (r, true));
        }
        Ok((reply, settings.tcp))
    })
    .map_err(timed_out(&what, limit))?;
    let (reply, tcp) = outcome?;
    if tracing {
        crate::trace::status(&format!(
            "status: {}, {} answer{}, {}{}",
            rcode_name(reply.metadata.response_code),
            reply.answers.len(),
            if reply.answers.len() == 1 { "" } else { "s" },
            if tcp { "tcp" } else { "udp" },
            if reply.metadata.truncation { ", truncated" } else { "" }
        ));
    }
    crate::trace::answer(&reply.answers);
    crate::trace::authority(&reply.authorities);
    Ok(Asked { reply, tcp, elapsed: started.elapsed() })
}

/// The server a resolver's direct questions go to.
pub fn first_server(settings: &Settings) -> DnsResult<SocketAddr> {
    server_of(settings)
}

/// Default options of a resolver object's `.query`.
pub fn default_how() -> QueryOptions {
    QueryOptions { tcp_fallback: false, edns: true, recurse: true, dnssec: false }
}

/// Registers `dns::query` and the resolver's `.query`.
pub fn register(m: &mut ModuleBuilder) {
    let doc = r#"
        One question to one name server, the reply whole, like dig: `#{ rcode ("NOERROR",
        "NXDOMAIN", …), code, flags (["qr", "aa", "rd", …]), answer, authority, additional
        (records as `dns::resolve` gives them), truncated, server, protocol, elapsed_ms }`.
        A non-zero rcode is data here, not an error.

        Options: those of `dns::resolve` (the first `nameserver` is asked; `tcp`,
        `timeout`, `attempts`: over UDP the question is sent again, the same id, when an
        attempt's share of the timeout passes), and `tcp_fallback` (ask again over TCP when the UDP reply is truncated;
        default false), `edns` (EDNS(0) with a 1232-byte payload, default true), `recurse`
        (RD, default true), `dnssec` (the DO bit, default false).

        ```rhai
        let r = dns::query("nope.example.com", "A", #{ nameserver: "127.0.0.1:5353" });
        if r.rcode == "NXDOMAIN" { print(`no such name; SOA: ${r.authority}`); }
        ```

        Errors: `DNSTimeout` (no reply in time), `InvalidArgument`, `PermissionDenied`,
        `ProtocolError` (a reply that does not decode), `ConnectionRefused` (TCP)."#;
    m.func("query", &["name", "rtype"], doc, |name: &str, rtype: &str| -> ScriptResult<Map> {
        query(name, rtype, Map::new()).map_err(script_error)
    });
    m.func("query", &["name", "rtype", "options"], doc, |name: &str, rtype: &str, opts: Map| -> ScriptResult<Map> {
        query(name, rtype, opts).map_err(script_error)
    });
    m.method(
        "query",
        &["name", "rtype"],
        "As `dns::query`, to this resolver's first server.\n\n```rhai\nlet r = dns::resolver(#{ nameserver: \"127.0.0.1:5353\" });\nprint(r.query(\"example.test\", \"SOA\").rcode);\n```\n\nErrors: as `dns::query`.",
        |r: &mut crate::resolve::DnsResolver, name: &str, rtype: &str| -> ScriptResult<Map> {
            query_with(r.settings(), name, rtype, &default_how()).map_err(script_error)
        },
    );
}
