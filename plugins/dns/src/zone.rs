//! `dns::zone_transfer`: a whole zone by AXFR over TCP, the records in the server's order
//! (the zone's SOA first and last, as dig prints them). The transfer must end with the
//! closing SOA: a stream cut before it, a refusal or an answer that is not the zone is an
//! error, never a partial success.

use crate::error::{DnsError, DnsResult, PROTOCOL};
use crate::names::{parse_name, show};
use crate::query::{decode, question_for, read_frame, send_over_tcp, timed_out, QueryOptions};
use crate::records;
use crate::resolve::rcode_name;
use crate::settings::parse_server;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType, TSigVerifier, TSigner};
use netscript_sdk::options::Options;
use netscript_sdk::prelude::*;
use std::net::SocketAddr;
use std::time::Duration;

/// A transfer's time limit when none is given (over the whole transfer).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most records one transfer may hold by default (a runaway server is cut off before
/// it fills the memory: a million records are ~250 MB as script maps); `max_records` raises it.
const DEFAULT_MAX_RECORDS: usize = 1_000_000;

/// Transfers `zone` from `server`. Errors: `NoNameservers` (the server refused, with the
/// rcode in `code`), `ProtocolError` (not the zone, or cut before the closing SOA),
/// `DNSTimeout`, `ConnectionRefused`, `InvalidArgument`, `PermissionDenied`.
fn transfer(
    zone: &str,
    server: &str,
    limit: Duration,
    max_records: usize,
    key: Option<(TSigner, String)>,
) -> DnsResult<Vec<Record>> {
    let zone = parse_name(zone)?;
    let servers = parse_server(server)?;
    let server = servers[0];
    let how = QueryOptions { tcp_fallback: false, edns: false, recurse: false, dnssec: false };
    let mut message = question_for(zone.clone(), RecordType::AXFR, &how);
    let mut verifier = match &key {
        Some((signer, _)) => message
            .finalize(signer, crate::tsig::now())
            .map_err(|e| DnsError::Protocol(format!("cannot sign the transfer request: {e}")))?,
        None => None,
    };
    let wire = message.to_vec().map_err(|e| DnsError::Protocol(format!("cannot encode the query: {e}")))?;
    let what = format!("zone transfer of {} from {server}", show(&zone));
    crate::trace::question(&what);
    let received = std::sync::atomic::AtomicUsize::new(0);
    let outcome = netscript_sdk::block_on_local_timeout(PROTOCOL, &what, limit, async {
        let mut stream = send_over_tcp(&wire, server).await?;
        let key_name = key.as_ref().map(|(_, name)| name.as_str());
        let expected = Expected { zone: &zone, id: message.metadata.id, max_records };
        read_zone(&mut stream, server, expected, &received, verifier.as_mut(), key_name).await
    })
    .map_err(|e| {
        let so_far = received.load(std::sync::atomic::Ordering::Relaxed);
        match timed_out(&what, limit)(e) {
            DnsError::Timeout { .. } if so_far > 0 => {
                DnsError::Timeout { what: format!("{what} ({so_far} records received, no closing SOA)"), limit }
            }
            other => other,
        }
    })?;
    let records = outcome?;
    crate::trace::answer(&records);
    Ok(records)
}

/// What a transfer's replies must be: of `zone`, answering `id`, at most `max_records`.
struct Expected<'a> {
    zone: &'a Name,
    id: u16,
    max_records: usize,
}

/// Reads the transfer's messages until the closing SOA, counting them in `received`.
async fn read_zone(
    stream: &mut tokio::net::TcpStream,
    server: SocketAddr,
    expected: Expected<'_>,
    received: &std::sync::atomic::AtomicUsize,
    mut verifier: Option<&mut TSigVerifier>,
    key_name: Option<&str>,
) -> DnsResult<Vec<Record>> {
    let Expected { zone, id, max_records } = expected;
    let shown = show(zone);
    let mut records: Vec<Record> = Vec::new();
    loop {
        let bytes = read_frame(stream, server).await.map_err(|e| match e {
            DnsError::Io { source, .. } if source.kind() == std::io::ErrorKind::UnexpectedEof => {
                DnsError::Protocol(format!(
                    "zone transfer of {shown} from {server} was cut before the closing SOA, after {} record{}",
                    records.len(),
                    if records.len() == 1 { "" } else { "s" }
                ))
            }
            other => other,
        })?;
        let reply = decode(&bytes, server)?;
        if reply.metadata.id != id {
            return Err(DnsError::Protocol(format!("{server} answered another question (id {})", reply.metadata.id)));
        }
        let code = reply.metadata.response_code;
        if code != ResponseCode::NoError {
            let tsig_error = reply.signature().and_then(|s| s.data.error);
            let why = crate::tsig::why_refused(tsig_error, key_name).unwrap_or_else(|| {
                match code {
                    ResponseCode::NotAuth => "the server is not authoritative for the zone",
                    ResponseCode::Refused if key_name.is_none() => {
                        "the server does not allow this transfer (unsigned: does it want tsig?)"
                    }
                    ResponseCode::Refused => "the server does not allow this transfer with this key",
                    _ => "the server refused the transfer",
                }
                .to_string()
            });
            return Err(DnsError::NoNameservers {
                name: shown,
                rtype: "AXFR".into(),
                rcode: format!("{}: {why}", rcode_name(code)),
                code: Some(code.into()),
            });
        }
        if let Some(verifier) = verifier.as_mut() {
            verifier.verify(&bytes).map_err(|e| {
                DnsError::Protocol(format!("the transfer of {shown} from {server} is not signed with the key: {e}"))
            })?;
        }
        for record in reply.answers {
            let is_soa = matches!(record.data, RData::SOA(_));
            if records.is_empty() && !(is_soa && record.name == *zone) {
                return Err(DnsError::Protocol(format!(
                    "{server} did not start the transfer of {shown} with its SOA (is it authoritative for it?)"
                )));
            }
            let closing = is_soa && !records.is_empty();
            records.push(record);
            if closing {
                return Ok(records);
            }
            if records.len() > max_records {
                return Err(DnsError::Protocol(format!(
                    "zone transfer of {shown}: more than {max_records} records without the closing SOA (raise \
                     max_records for a zone this large)"
                )));
            }
        }
        received.store(records.len(), std::sync::atomic::Ordering::Relaxed);
        if records.is_empty() {
            return Err(DnsError::Protocol(format!("{server} answered the transfer of {shown} with no records")));
        }
    }
}

/// Registers `dns::zone_transfer`.
pub fn register(m: &mut ModuleBuilder) {
    let doc = r#"
        Every record of `zone` by a zone transfer (AXFR, over TCP) from `server` (`"ip"`,
        `"ip:port"`, `"[v6]:port"` or a host name), as records like `dns::resolve` gives
        them, in the server's order: the SOA first and again last, as dig prints them.
        Options: `timeout` (seconds over the whole transfer, default 30), `max_records`
        (default 1,000,000: a transfer that goes past it without its closing SOA is an
        error, so a runaway server cannot fill the memory), `tsig` (`#{ name, secret,
        algorithm }` as for `dns::update`: the request is signed and every reply message
        verified).

        ```rhai
        let zone = dns::zone_transfer("example.test", "127.0.0.1:5353");
        print(`${zone.len()} records, serial ${zone[0].serial}`);
        for r in zone { if r.type == "A" { print(`${r.name} ${r.address}`); } }
        ```

        Errors: `NoNameservers` (the server refused: `code` 5 REFUSED, 9 NOTAUTH …),
        `ProtocolError` (the stream was cut before the closing SOA, or the answer is not
        the zone: never a partial result), `DNSTimeout`, `ConnectionRefused`,
        `InvalidArgument`, `PermissionDenied`."#;
    let run = |zone: &str, server: &str, opts: Map| -> ScriptResult<Array> {
        let opts = Options::parse(PROTOCOL, "zone_transfer", opts, &["timeout", "max_records", "tsig"])
            .map_err(script_error)?;
        let limit = opts.duration("timeout", DEFAULT_TIMEOUT).map_err(script_error)?;
        let max_records = match opts.int("max_records").map_err(script_error)? {
            None => DEFAULT_MAX_RECORDS,
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            Some(n) => return Err(script_error(DnsError::invalid(format!("max_records must be 1 or more, not {n}")))),
        };
        let key =
            opts.map("tsig").map_err(script_error)?.map(crate::tsig::signer_of).transpose().map_err(script_error)?;
        let records = transfer(zone, server, limit, max_records, key).map_err(script_error)?;
        Ok(records.iter().map(|r| Dynamic::from_map(records::to_map(r))).collect())
    };
    m.func("zone_transfer", &["zone", "server"], doc, move |zone: &str, server: &str| run(zone, server, Map::new()));
    m.func("zone_transfer", &["zone", "server", "options"], doc, run);
}
