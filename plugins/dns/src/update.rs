//! `dns::update`: a dynamic update (RFC 2136) of one zone, in one message the server applies
//! all or nothing: prerequisites (`present`, `absent`), then deletions, replacements and
//! additions. Signed with TSIG (HMAC-SHA256/384/512) when a key is given, and then the
//! signed reply is verified. Records are written as in a zone file (`"www 300 A
//! 192.0.2.7"`, names relative to the zone) or as the maps `dns::resolve` returns; every
//! owner name is checked to lie inside the zone before anything is sent.

use crate::error::{DnsError, DnsResult, PROTOCOL};
use crate::names::{parse_name, parse_rtype, quote, show, type_name};
use crate::query::{decode, read_frame, send_over_tcp, timed_out};
use crate::resolve::rcode_name;
use crate::settings::{parse_server, DEFAULT_TIMEOUT};
use base64::Engine as _;
use hickory_proto::op::{Message, OpCode, Query, ResponseCode, UpdateMessage};
use hickory_proto::rr::rdata::tsig::{TsigAlgorithm, TsigError};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, TSigner};
use hickory_proto::serialize::txt::{parse_ttl, Parser};
use netscript_sdk::options::Options;
use netscript_sdk::prelude::*;
use netscript_sdk::secret::Secret;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The option keys of `dns::update`.
const KEYS: &[&str] = &["add", "delete", "replace", "present", "absent", "tsig", "ttl", "timeout"];
/// The keys of the `tsig` map.
const TSIG_KEYS: &[&str] = &["name", "algorithm", "secret"];
/// The TTL of an added record that names none.
const DEFAULT_TTL: u32 = 3600;
/// The largest TTL (RFC 2181 §8).
const MAX_TTL: u32 = i32::MAX as u32;
/// How far the server's clock may be from ours for a signature to count (RFC 8945's
/// recommended 300 seconds).
const FUDGE: u16 = 300;
/// The most entries one update may carry (a message holds at most 65,535 records).
const MAX_ENTRIES: usize = 65_535;

/// One entry of a list, read but not yet a record: the owner and what follows it.
struct Entry {
    owner: Name,
    ttl: Option<u32>,
    rtype: Option<RecordType>,
    data: Option<String>,
}

/// The owner name of an entry: `@` is the zone; a name with a final dot, or one already
/// ending in the zone's name, is taken as it is; any other is relative to the zone (as in a
/// zone file). Errors: `InvalidArgument` for a bad name or one outside the zone.
fn owner_name(text: &str, zone: &Name) -> DnsResult<Name> {
    let name = if text == "@" {
        zone.clone()
    } else {
        let name = parse_name(text)?;
        if text.ends_with('.') || zone.zone_of(&name) || zone.is_root() {
            name
        } else {
            parse_name(&format!("{text}.{}", show(zone)))?
        }
    };
    if !zone.zone_of(&name) {
        return Err(DnsError::invalid(format!("{} is outside the zone {}", show(&name), show(zone))));
    }
    Ok(name)
}

/// The first whitespace-separated token of `text` and what follows it.
fn split_token(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    Some((&text[..end], &text[end..]))
}

/// A TTL as a zone file writes it (`300`, `1h`, `2d`). Errors: `InvalidArgument`.
fn ttl_of(text: &str) -> DnsResult<u32> {
    match parse_ttl(text) {
        Ok(ttl) if ttl <= MAX_TTL => Ok(ttl),
        _ => Err(DnsError::invalid(format!("bad TTL '{}' (seconds up to {MAX_TTL}, or 1h, 2d …)", quote(text)))),
    }
}

/// An entry written as a zone-file line: `name [ttl] [IN] [type [data…]]`.
fn entry_from_text(text: &str, zone: &Name) -> DnsResult<Entry> {
    if text.contains(['\r', '\n']) {
        return Err(DnsError::invalid(format!("a record is one line, without CR or LF: '{}'", quote(text))));
    }
    let (owner, mut rest) =
        split_token(text).ok_or_else(|| DnsError::invalid("an empty record (give \"name [ttl] type data\")"))?;
    let owner = owner_name(owner, zone)?;
    let (mut ttl, mut rtype) = (None, None);
    while let Some((token, after)) = split_token(rest) {
        rest = after;
        if ttl.is_none() && token.starts_with(|c: char| c.is_ascii_digit()) {
            ttl = Some(ttl_of(token)?);
        } else if !token.eq_ignore_ascii_case("IN") {
            rtype = Some(parse_rtype(token)?);
            break;
        }
    }
    let data = rest.trim();
    Ok(Entry { owner, ttl, rtype, data: (!data.is_empty()).then(|| data.to_string()) })
}

/// An entry written as a record map (`#{ name, type, ttl, data }`, as `dns::resolve` gives
/// them; other keys of such a map are ignored).
fn entry_from_map(map: &Map, zone: &Name) -> DnsResult<Entry> {
    let text = |key: &str| -> DnsResult<Option<String>> {
        match map.get(key) {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(v.clone().into_string().unwrap_or_default())),
            Some(v) => Err(DnsError::invalid(format!(
                "a record's {key} must be a string, not {}",
                netscript_sdk::options::type_word(v)
            ))),
        }
    };
    let owner = text("name")?.ok_or_else(|| DnsError::invalid("a record map needs a name"))?;
    let ttl = match map.get("ttl") {
        None => None,
        Some(v) => match v.as_int() {
            Ok(n) if (0..=INT::from(MAX_TTL)).contains(&n) => Some(n as u32),
            Ok(n) => return Err(DnsError::invalid(format!("bad TTL {n} (0 to {MAX_TTL} seconds)"))),
            Err(_) => match text("ttl")? {
                Some(t) => Some(ttl_of(&t)?),
                None => None,
            },
        },
    };
    let data = text("data")?;
    if let Some(data) = &data {
        if data.contains(['\r', '\n']) {
            return Err(DnsError::invalid(format!("record data is one line, without CR or LF: '{}'", quote(data))));
        }
    }
    Ok(Entry {
        owner: owner_name(&owner, zone)?,
        ttl,
        rtype: text("type")?.map(|t| parse_rtype(&t)).transpose()?,
        data: data.filter(|d| !d.trim().is_empty()),
    })
}

/// The entries of one option: an array of strings and maps, or one of them.
fn entries(opts: &Options, key: &str, zone: &Name) -> DnsResult<Vec<Entry>> {
    let Some(value) = opts.get(key) else { return Ok(Vec::new()) };
    let items: Vec<Dynamic> = match value.clone().try_cast::<Array>() {
        Some(array) => array,
        None => vec![value.clone()],
    };
    if items.len() > MAX_ENTRIES {
        return Err(DnsError::invalid(format!("{key}: {} entries (at most {MAX_ENTRIES})", items.len())));
    }
    items
        .iter()
        .map(|item| {
            if let Some(text) = item.read_lock::<ImmutableString>() {
                entry_from_text(&text, zone)
            } else if let Some(map) = item.read_lock::<Map>() {
                entry_from_map(&map, zone)
            } else {
                Err(DnsError::invalid(format!(
                    "{key}: each entry is a string (\"www 300 A 192.0.2.7\") or a record map, not {}",
                    netscript_sdk::options::type_word(item)
                )))
            }
        })
        .map(|entry| entry.map_err(|e| in_option(key, e)))
        .collect()
}

/// Names the option an entry's error came from.
fn in_option(key: &str, err: DnsError) -> DnsError {
    match err {
        DnsError::InvalidArgument(message) => DnsError::InvalidArgument(format!("update {key}: {message}")),
        other => other,
    }
}

/// The record an entry with a type and data stands for, its data read as a zone file would
/// (relative names in it are under the zone). Errors: `InvalidArgument`.
fn record_of(entry: &Entry, zone: &Name, ttl: u32) -> DnsResult<Record> {
    let (Some(rtype), Some(data)) = (entry.rtype, entry.data.as_deref()) else {
        return Err(DnsError::invalid(format!(
            "{}: a record needs a type and data (\"www 300 A 192.0.2.7\")",
            show(&entry.owner)
        )));
    };
    let line = format!("{} {ttl} IN {} {data}\n", show(&entry.owner), type_name(rtype));
    let bad = |why: String| DnsError::invalid(format!("bad {} data '{}': {why}", type_name(rtype), quote(data)));
    // hickory's parsers stop at the fields they need: more would be dropped unseen.
    if let Some(fields) = fields_of(rtype) {
        let given = count_fields(data);
        if given > fields {
            return Err(bad(format!("{given} fields, {} takes {fields}", type_name(rtype))));
        }
    }
    let (_, sets) = Parser::new(line.as_str(), None, Some(zone.clone())).parse().map_err(|e| bad(e.to_string()))?;
    let mut records = sets.into_values().flatten();
    match (records.next(), records.next()) {
        (Some(record), None) => Ok(record),
        _ => Err(bad("it is not one record".into())),
    }
}

/// How many fields the data of a type has, for the types whose parser reads a fixed number.
fn fields_of(rtype: RecordType) -> Option<usize> {
    Some(match rtype {
        RecordType::A | RecordType::AAAA | RecordType::CNAME | RecordType::NS | RecordType::PTR => 1,
        RecordType::MX => 2,
        RecordType::CAA => 3,
        RecordType::SRV => 4,
        RecordType::SOA => 7,
        _ => return None,
    })
}

/// The fields of record data: runs of non-blanks, a quoted string counting as one.
fn count_fields(data: &str) -> usize {
    let (mut fields, mut in_field, mut quoted, mut escaped) = (0, false, false, false);
    for c in data.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && (c.is_whitespace() || c == '(' || c == ')') {
            in_field = false;
            continue;
        }
        if !in_field {
            fields += 1;
            in_field = true;
        }
    }
    fields
}

/// A record of the meta-forms RFC 2136 uses: no data, TTL 0, the given class.
fn meta(name: &Name, rtype: RecordType, class: DNSClass) -> Record {
    let mut record = Record::update0(name.clone(), 0, rtype);
    record.dns_class = class;
    record
}

/// The prerequisite and update sections of an update.
#[derive(Default)]
struct Sections {
    prerequisites: Vec<Record>,
    updates: Vec<Record>,
}

impl Sections {
    /// Reads every list of the options into records.
    fn from(opts: &Options, zone: &Name) -> DnsResult<Self> {
        let default_ttl = match opts.int("ttl")? {
            None => DEFAULT_TTL,
            Some(n) if (0..=INT::from(MAX_TTL)).contains(&n) => n as u32,
            Some(n) => return Err(DnsError::invalid(format!("update: ttl must be 0 to {MAX_TTL}, not {n}"))),
        };
        let mut sections = Sections::default();
        for entry in entries(opts, "present", zone)? {
            sections.prerequisites.push(match (&entry.rtype, &entry.data) {
                // The name is in use / the RRset exists (any value) / exists with this value.
                (None, _) => meta(&entry.owner, RecordType::ANY, DNSClass::ANY),
                (Some(rtype), None) => meta(&entry.owner, *rtype, DNSClass::ANY),
                (Some(_), Some(_)) => record_of(&entry, zone, 0).map_err(|e| in_option("present", e))?,
            });
        }
        for entry in entries(opts, "absent", zone)? {
            sections.prerequisites.push(match (&entry.rtype, &entry.data) {
                (None, _) => meta(&entry.owner, RecordType::ANY, DNSClass::NONE),
                (Some(rtype), None) => meta(&entry.owner, *rtype, DNSClass::NONE),
                (Some(_), Some(_)) => {
                    return Err(DnsError::invalid(format!(
                        "update absent: {}: give a name, or a name and a type, without data (RFC 2136 has no \
                         'this value is absent')",
                        show(&entry.owner)
                    )))
                }
            });
        }
        for entry in entries(opts, "delete", zone)? {
            sections.updates.push(match (&entry.rtype, &entry.data) {
                (None, _) => meta(&entry.owner, RecordType::ANY, DNSClass::ANY),
                (Some(rtype), None) => meta(&entry.owner, *rtype, DNSClass::ANY),
                (Some(_), Some(_)) => {
                    let mut record = record_of(&entry, zone, 0).map_err(|e| in_option("delete", e))?;
                    record.dns_class = DNSClass::NONE;
                    record
                }
            });
        }
        let replacements: Vec<Record> = entries(opts, "replace", zone)?
            .iter()
            .map(|e| record_of(e, zone, e.ttl.unwrap_or(default_ttl)).map_err(|err| in_option("replace", err)))
            .collect::<DnsResult<_>>()?;
        let mut replaced: Vec<(Name, RecordType)> = Vec::new();
        for record in &replacements {
            let set = (record.name.clone(), record.record_type());
            if !replaced.contains(&set) {
                sections.updates.push(meta(&set.0, set.1, DNSClass::ANY));
                replaced.push(set);
            }
        }
        sections.updates.extend(replacements);
        for entry in entries(opts, "add", zone)? {
            let ttl = entry.ttl.unwrap_or(default_ttl);
            sections.updates.push(record_of(&entry, zone, ttl).map_err(|e| in_option("add", e))?);
        }
        if sections.prerequisites.is_empty() && sections.updates.is_empty() {
            return Err(DnsError::invalid("update: nothing to do (give add, delete, replace, present or absent)"));
        }
        Ok(sections)
    }
}

/// The TSIG key of the `tsig` option. The secret is registered as a secret at once, so it
/// appears in no message. Errors: `InvalidArgument`.
fn signer_of(tsig: Map) -> DnsResult<(TSigner, String)> {
    let opts = Options::parse(PROTOCOL, "update", tsig, TSIG_KEYS)?;
    let secret = match opts.get("secret") {
        Some(v) if v.is_string() => Secret::new(v.clone().into_string().unwrap_or_default()),
        Some(v) => {
            return Err(DnsError::invalid(format!(
                "update tsig: secret must be a string (base64, as in a BIND key file), not {}",
                netscript_sdk::options::type_word(v)
            )))
        }
        None => return Err(DnsError::invalid("update tsig: give name, secret (base64) and algorithm")),
    };
    let name = opts.string("name")?.ok_or_else(|| DnsError::invalid("update tsig: give the key's name"))?;
    let key_name = parse_name(&name).map_err(|e| in_option("tsig", e))?;
    let algorithm = opts.string("algorithm")?.unwrap_or_else(|| "hmac-sha256".into());
    let algorithm = match algorithm.trim_end_matches('.').to_ascii_lowercase().as_str() {
        "hmac-sha256" => TsigAlgorithm::HmacSha256,
        "hmac-sha384" => TsigAlgorithm::HmacSha384,
        "hmac-sha512" => TsigAlgorithm::HmacSha512,
        _ => {
            return Err(DnsError::invalid(format!(
                "update tsig: unsupported algorithm '{}' (hmac-sha256, hmac-sha384 or hmac-sha512)",
                quote(&algorithm)
            )))
        }
    };
    let key = base64::engine::general_purpose::STANDARD.decode(secret.expose().trim()).map_err(|_| {
        DnsError::invalid("update tsig: the secret is not base64 (as in a BIND key file's secret \"…\")")
    })?;
    if key.is_empty() {
        return Err(DnsError::invalid("update tsig: the secret is empty"));
    }
    let signer =
        TSigner::new(key, algorithm, key_name, FUDGE).map_err(|e| DnsError::invalid(format!("update tsig: {e}")))?;
    Ok((signer, show(&parse_name(&name)?)))
}

/// Why a server refused an update, in words.
fn refusal(code: ResponseCode, tsig_error: Option<TsigError>, key: Option<&str>) -> String {
    let rcode = rcode_name(code);
    let why = match (tsig_error, code, key) {
        (Some(TsigError::BadKey), ..) => format!(
            "the server does not know the key {} (TSIG BADKEY): check its name and algorithm",
            key.unwrap_or("given")
        ),
        (Some(TsigError::BadSig), ..) => "the signature does not match (TSIG BADSIG): check the secret".into(),
        (Some(TsigError::BadTime), ..) => {
            "the server's clock and this machine's differ by more than 5 minutes (TSIG BADTIME)".into()
        }
        (_, ResponseCode::Refused, None) => "the server takes no unsigned update of this zone: give tsig".into(),
        (_, ResponseCode::Refused, Some(key)) => format!("the server does not let the key {key} update this zone"),
        (_, ResponseCode::NotAuth, _) => "the server is not authoritative for the zone".into(),
        (_, ResponseCode::NotZone, _) => "a record lies outside the zone".into(),
        (_, ResponseCode::NotImp, _) => "the server does not implement dynamic update".into(),
        (_, ResponseCode::FormErr, _) => "the server could not read the update".into(),
        (_, ResponseCode::ServFail, _) => "the server failed to apply it".into(),
        _ => return rcode,
    };
    format!("{rcode}: {why}")
}

/// Whether an rcode says a prerequisite did not hold (the update was not applied; the
/// script decides what that means).
fn prerequisite_failed(code: ResponseCode) -> bool {
    matches!(code, ResponseCode::NXDomain | ResponseCode::YXDomain | ResponseCode::YXRRSet | ResponseCode::NXRRSet)
}

/// Sends the update of `zone` to `server`. Returns the server's rcode: `"NOERROR"`, or the
/// one of a prerequisite that did not hold. Errors: `NoNameservers` (refused, NOTAUTH … with
/// the rcode in `code`), `ProtocolError` (a signed reply that does not verify),
/// `DNSTimeout`, `InvalidArgument`, `PermissionDenied`, socket errors.
fn update(zone: &str, server: &str, opts: Map) -> DnsResult<String> {
    let opts = Options::parse(PROTOCOL, "update", opts, KEYS)?;
    let zone = parse_name(zone)?;
    let limit = opts.duration("timeout", DEFAULT_TIMEOUT)?;
    let key = opts.map("tsig")?.map(signer_of).transpose()?;
    let sections = Sections::from(&opts, &zone)?;
    let server = parse_server(server)?[0];

    let mut message = Message::query();
    message.metadata.op_code = OpCode::Update;
    message.metadata.recursion_desired = false;
    message.add_zone(Query::query(zone.clone(), RecordType::SOA));
    crate::trace::question(&format!(
        "UPDATE {} to {server}{}",
        show(&zone),
        key.as_ref().map(|(_, name)| format!(", signed with {name}")).unwrap_or_default()
    ));
    for record in &sections.prerequisites {
        crate::trace::question(&format!("prerequisite {}", describe(record)));
    }
    for record in &sections.updates {
        crate::trace::question(&describe(record));
    }
    message.add_pre_requisites(sections.prerequisites);
    message.add_updates(sections.updates);
    let mut verifier = match &key {
        Some((signer, _)) => {
            message.finalize(signer, now()).map_err(|e| DnsError::Protocol(format!("cannot sign the update: {e}")))?
        }
        None => None,
    };
    let wire = message.to_vec().map_err(|e| DnsError::Protocol(format!("cannot encode the update: {e}")))?;
    let id = message.metadata.id;
    let what = format!("update of {} at {server}", show(&zone));
    let outcome = netscript_sdk::block_on_local_timeout(PROTOCOL, &what, limit, async {
        let mut stream = send_over_tcp(&wire, server).await?;
        loop {
            let bytes = read_frame(&mut stream, server).await?;
            let reply = decode(&bytes, server)?;
            if reply.metadata.id == id {
                return Ok::<_, DnsError>((bytes, reply));
            }
        }
    })
    .map_err(timed_out(&what, limit))?;
    let (bytes, reply) = outcome?;
    let code = reply.metadata.response_code;
    crate::trace::status(&format!("status: {}", rcode_name(code)));
    let key_name = key.as_ref().map(|(_, name)| name.as_str());
    if code != ResponseCode::NoError && !prerequisite_failed(code) {
        let tsig_error = reply.signature().and_then(|s| s.data.error);
        return Err(DnsError::UpdateRefused { what, why: refusal(code, tsig_error, key_name), code: code.into() });
    }
    if let Some(verifier) = verifier.as_mut() {
        verifier.verify(&bytes).map_err(|e| {
            DnsError::Protocol(format!(
                "{server}'s reply to the {what} is not signed with the key {}: {e}",
                key_name.unwrap_or_default()
            ))
        })?;
    }
    Ok(rcode_name(code))
}

/// Seconds since the epoch, for the signature's time.
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

/// An update or prerequisite record as nsupdate would write it (`add www.example.test. 300
/// IN A 192.0.2.7`, `delete www.example.test. A`).
fn describe(record: &Record) -> String {
    let (name, rtype) = (show(&record.name), type_name(record.record_type()));
    match (record.dns_class, &record.data) {
        (DNSClass::ANY, RData::Update0(RecordType::ANY)) => format!("delete {name} (every record)"),
        (DNSClass::ANY, RData::Update0(_)) => format!("delete {name} {rtype}"),
        (DNSClass::NONE, RData::Update0(RecordType::ANY)) => format!("{name} absent"),
        (DNSClass::NONE, RData::Update0(_)) => format!("{name} {rtype} absent"),
        (DNSClass::NONE, _) => format!("delete {}", crate::trace::line(record)),
        _ => format!("add {}", crate::trace::line(record)),
    }
}

/// Registers `dns::update`.
pub fn register(m: &mut ModuleBuilder) {
    let doc = r#"
        A dynamic update (RFC 2136) of `zone` on its primary `server` (`"ip"`, `"ip:port"`,
        `"[v6]:port"` or a host name), in one message over TCP that the server applies all or
        nothing. Returns the server's rcode: `"NOERROR"`, or `"NXDOMAIN"`, `"YXDOMAIN"`,
        `"YXRRSET"`, `"NXRRSET"` when a prerequisite did not hold (nothing was changed).

        Options (each list takes strings or record maps, or one of them alone):
        - `add`: records to add, written as in a zone file, `"name [ttl] [IN] type data"`
          (`"www 300 A 192.0.2.7"`), or as maps `#{ name, type, ttl, data }` as
          `dns::resolve` returns them.
        - `delete`: `"name"` (every record of the name), `"name type"` (that record set) or
          `"name type data"` (that one record).
        - `replace`: records whose sets replace the current ones (each set deleted, then
          these added).
        - `present` / `absent`: prerequisites: `"name"` (the name is in use / is not),
          `"name type"` (the set exists / does not), `"name type data"` (present only: the
          set is exactly the records so given, all of them listed).
        - `tsig`: `#{ name, secret, algorithm }`: the key to sign with: its name, its secret
          in base64 as in a BIND key file, `"hmac-sha256"` (default), `"hmac-sha384"` or
          `"hmac-sha512"`. The secret never appears in messages or traces. A signed reply
          is verified.
        - `ttl`: the TTL of records that give none (default 3600); `timeout` (seconds,
          default 5).

        Names: `"@"` is the zone; a name with a final dot, or one ending in the zone's
        name, is taken as it is; any other is relative to the zone, and names in data too
        (`"@ MX 10 mx1"`). A name outside the zone is an error before anything is sent.
        The changes go in the order delete, replace, add.

        ```rhai
        let key = #{ name: "update-key", secret: "c2VjcmV0IGtleSBieXRlcw==" };
        dns::update("example.test", "127.0.0.1:5353", #{
            add: ["www 300 A 192.0.2.7", "www 300 AAAA 2001:db8::7"],
            delete: ["old"],
            tsig: key,
        });
        ```

        Errors: `NoNameservers` (the server refused the update: `code` 5 REFUSED, 9
        NOTAUTH …, and the message says why, e.g. a wrong key), `ProtocolError` (a signed
        reply that does not verify), `InvalidArgument` (bad record, name outside the zone,
        bad key), `DNSTimeout`, `ConnectionRefused`, `PermissionDenied`."#;
    m.func(
        "update",
        &["zone", "server", "options"],
        doc,
        |zone: &str, server: &str, opts: Map| -> ScriptResult<String> {
            update(zone, server, opts).map_err(script_error)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Name {
        parse_name("example.test").unwrap()
    }

    #[test]
    fn owner_names_are_relative_to_the_zone_unless_absolute() {
        let z = zone();
        assert_eq!(show(&owner_name("@", &z).unwrap()), "example.test.");
        assert_eq!(show(&owner_name("www", &z).unwrap()), "www.example.test.");
        assert_eq!(show(&owner_name("www.example.test", &z).unwrap()), "www.example.test.");
        assert_eq!(show(&owner_name("WWW.Example.TEST.", &z).unwrap()), "WWW.Example.TEST.");
        let outside = owner_name("www.other.test.", &z).unwrap_err();
        assert!(matches!(outside, DnsError::InvalidArgument(_)), "{outside}");
        assert!(outside.to_string().contains("outside the zone example.test."), "{outside}");
        assert!(owner_name("a..b", &z).is_err());
    }

    #[test]
    fn zone_file_lines_become_records() {
        let z = zone();
        let e = entry_from_text("www 300 IN A 192.0.2.7", &z).unwrap();
        let r = record_of(&e, &z, e.ttl.unwrap_or(3600)).unwrap();
        assert_eq!((show(&r.name).as_str(), r.ttl, r.record_type()), ("www.example.test.", 300, RecordType::A));
        let mx = entry_from_text("@ MX 10 mx1", &z).unwrap();
        assert_eq!(mx.ttl, None);
        let r = record_of(&mx, &z, 60).unwrap();
        assert_eq!(crate::records::presentation(&r.data), "10 mx1.example.test.");
        let txt = entry_from_text(r#"t 1h TXT "two words" "and more""#, &z).unwrap();
        assert_eq!(txt.ttl, Some(3600));
        assert_eq!(crate::records::presentation(&record_of(&txt, &z, 0).unwrap().data), r#""two words" "and more""#);
        let rrset = entry_from_text("www A", &z).unwrap();
        assert!(rrset.data.is_none() && rrset.rtype == Some(RecordType::A));
        assert!(entry_from_text("www", &z).unwrap().rtype.is_none());
    }

    #[test]
    fn bad_entries_are_invalid_arguments_quoting_the_text() {
        let z = zone();
        let bad = |text: &str| match entry_from_text(text, &z).and_then(|e| record_of(&e, &z, 0)) {
            Err(DnsError::InvalidArgument(m)) => m,
            other => panic!("{text}: {:?}", other.map(|r| r.to_string())),
        };
        assert!(bad("www 300 A 300.1.1.1").contains("'300.1.1.1'"));
        assert!(bad("www 300 BOGUS x").contains("'BOGUS'"));
        assert!(bad("www 99999999999 A 192.0.2.1").contains("bad TTL"));
        assert!(bad("www A 1.2.3.4\r\nevil A 1.2.3.4").contains("CR or LF"));
        assert!(bad("").contains("empty"));
        assert!(bad("www 300 A").contains("needs a type and data"));
        assert!(bad("www 300 A 192.0.2.1 192.0.2.2").contains("2 fields, A takes 1"));
        assert!(bad(r#"@ CAA 0 issue "a b" extra"#).contains("4 fields, CAA takes 3"));
        assert_eq!(count_fields(r#"0 issue "a \" b""#), 3);
        assert!(bad("nope.other.test. A 192.0.2.1").contains("outside the zone"));
    }

    #[test]
    fn refusals_say_why() {
        assert!(refusal(ResponseCode::Refused, None, None).contains("give tsig"));
        assert!(refusal(ResponseCode::NotAuth, Some(TsigError::BadSig), Some("k.")).contains("check the secret"));
        assert!(refusal(ResponseCode::NotAuth, Some(TsigError::BadKey), Some("k.")).contains("key k."));
        assert_eq!(refusal(ResponseCode::Unknown(4000), None, None), "RCODE4000");
    }
}
