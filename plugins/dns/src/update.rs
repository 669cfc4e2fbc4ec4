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
use hickory_proto::rr::rdata::tsig::TsigError;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, Restrict};
use hickory_proto::serialize::txt::{parse_ttl, Parser};
use netscript_sdk::options::Options;
use netscript_sdk::prelude::*;

/// The option keys of `dns::update`.
const KEYS: &[&str] = &["add", "delete", "replace", "present", "absent", "tsig", "ttl", "timeout"];
/// The TTL of an added record that names none.
const DEFAULT_TTL: u32 = 3600;
/// The largest TTL (RFC 2181 §8).
const MAX_TTL: u32 = i32::MAX as u32;
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
    let bad = |why: String| DnsError::invalid(format!("bad {} data '{}': {why}", type_name(rtype), quote(data)));
    // The forms hickory's zone-file parser reads wrong or not at all are read here, to wire.
    if let Some(wire) = wire_of(rtype, data).map_err(bad)? {
        let length = u16::try_from(wire.len()).map_err(|_| bad("over 65,535 bytes".into()))?;
        let mut decoder = BinDecoder::new(&wire);
        let rdata = RData::read(&mut decoder, rtype, Restrict::new(length)).map_err(|e| bad(e.to_string()))?;
        let mut record = Record::from_rdata(entry.owner.clone(), ttl, rdata);
        record.dns_class = DNSClass::IN;
        return Ok(record);
    }
    let data = &joined_blob(rtype, data);
    let line = format!("{} {ttl} IN {} {data}\n", show(&entry.owner), type_name(rtype));
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

/// The wire form of data that is not left to hickory's parser: RFC 3597's `\# len HEX` for
/// any type, character-strings (TXT, SPF) with their `\DDD` escapes as bytes, and DNSKEY,
/// CDNSKEY, KEY (which hickory will not read from text). `None`: hickory's parser reads it.
fn wire_of(rtype: RecordType, data: &str) -> Result<Option<Vec<u8>>, String> {
    if let Some(rest) = data.strip_prefix("\\#") {
        let mut fields = rest.split_whitespace();
        let length: usize =
            fields.next().and_then(|n| n.parse().ok()).ok_or("`\\#` takes a length, then hex: \\# 4 0A000001")?;
        let hex: String = fields.collect();
        let bytes = decode_hex(&hex).ok_or("the data after the length is not hex")?;
        if bytes.len() != length {
            return Err(format!("the length says {length} bytes, the hex has {}", bytes.len()));
        }
        return Ok(Some(bytes));
    }
    match rtype {
        RecordType::TXT | RecordType::Unknown(99) => character_strings(data).map(Some),
        RecordType::DNSKEY | RecordType::CDNSKEY | RecordType::KEY => {
            let fields: Vec<&str> = data.split_whitespace().collect();
            if fields.len() < 4 {
                return Err("DNSKEY data is flags protocol algorithm base64-key".into());
            }
            let number = |text: &str, what: &str| text.parse::<u16>().map_err(|_| format!("bad {what} '{text}'"));
            let flags = number(fields[0], "flags")?;
            let (protocol, algorithm) = (number(fields[1], "protocol")?, number(fields[2], "algorithm")?);
            let (Ok(protocol), Ok(algorithm)) = (u8::try_from(protocol), u8::try_from(algorithm)) else {
                return Err("protocol and algorithm are 0-255".into());
            };
            let key = base64::engine::general_purpose::STANDARD
                .decode(fields[3..].concat())
                .map_err(|_| "the key is not base64".to_string())?;
            let mut wire = flags.to_be_bytes().to_vec();
            wire.extend([protocol, algorithm]);
            wire.extend(key);
            Ok(Some(wire))
        }
        _ => Ok(None),
    }
}

/// Hex digits (any case) as bytes.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// Character-strings as a zone file writes them (`"two words" more "a \"quote\" \255"`), in
/// wire form: each a length byte and its bytes.
fn character_strings(data: &str) -> Result<Vec<u8>, String> {
    let (mut wire, mut chars) = (Vec::new(), data.chars().peekable());
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let quoted = first == '"';
        if quoted {
            chars.next();
        }
        let mut text = Vec::new();
        let mut closed = !quoted;
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted => {
                    closed = true;
                    break;
                }
                c if !quoted && (c.is_whitespace() || c == '"') => break,
                '\\' => match chars.next() {
                    Some(d) if d.is_ascii_digit() => {
                        let digits: String = [Some(d), chars.next(), chars.next()].into_iter().flatten().collect();
                        match digits.parse::<u16>() {
                            Ok(n) if digits.len() == 3 && n <= 255 => text.push(n as u8),
                            _ => return Err(format!("bad escape \\{digits} (\\000 to \\255)")),
                        }
                    }
                    Some(other) => text.extend(other.to_string().as_bytes()),
                    None => return Err("a backslash at the end".into()),
                },
                other => text.extend(other.to_string().as_bytes()),
            }
        }
        if !closed {
            return Err("an unclosed quote".into());
        }
        let length = u8::try_from(text.len()).map_err(|_| format!("a string of {} bytes (at most 255)", text.len()))?;
        wire.push(length);
        wire.extend(text);
    }
    if wire.is_empty() {
        return Err("no string".into());
    }
    Ok(wire)
}

/// `data` with the chunks of a trailing hex field joined, for the types whose parser in
/// hickory takes it as one field (SSHFP, as dig prints it in 56-character chunks).
fn joined_blob(rtype: RecordType, data: &str) -> String {
    let fixed = match rtype {
        RecordType::SSHFP => 2,
        _ => return data.to_string(),
    };
    let fields: Vec<&str> = data.split_whitespace().collect();
    if fields.len() <= fixed + 1 {
        return data.to_string();
    }
    format!("{} {}", fields[..fixed].join(" "), fields[fixed..].concat())
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

/// Why a server refused an update, in words.
fn refusal(code: ResponseCode, tsig_error: Option<TsigError>, key: Option<&str>) -> String {
    let rcode = rcode_name(code);
    if let Some(why) = crate::tsig::why_refused(tsig_error, key) {
        return format!("{rcode}: {why}");
    }
    let why = match (tsig_error, code, key) {
        (_, ResponseCode::Refused, None) => "the server takes no unsigned update of this zone: give tsig".into(),
        (_, ResponseCode::Refused, Some(key)) => format!(
            "the server's update policy refused it (the rights of the key {key}, or a check of its own, such as \
             MX and NS targets needing an address in the zone: see its log)"
        ),
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
    let key = opts.map("tsig")?.map(crate::tsig::signer_of).transpose()?;
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
        crate::trace::question(&format!("prerequisite {}", describe_prerequisite(record)));
    }
    for record in &sections.updates {
        crate::trace::question(&describe(record));
    }
    message.add_pre_requisites(sections.prerequisites);
    message.add_updates(sections.updates);
    let mut verifier = match &key {
        Some((signer, _)) => message
            .finalize(signer, crate::tsig::now())
            .map_err(|e| DnsError::Protocol(format!("cannot sign the update: {e}")))?,
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
    let key_name = key.as_ref().map(|(_, name)| name.as_str());
    if code != ResponseCode::NoError && !prerequisite_failed(code) {
        crate::trace::status(&format!("status: {}", rcode_name(code)));
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
    crate::trace::status(&format!(
        "status: {}{}",
        rcode_name(code),
        if verifier.is_some() { ", reply signature verified" } else { "" }
    ));
    Ok(rcode_name(code))
}

/// An update or prerequisite record as nsupdate would write it (`add www.example.test. 300
/// IN A 192.0.2.7`, `delete www.example.test. A`).
fn describe(record: &Record) -> String {
    let (name, rtype) = (show(&record.name), type_name(record.record_type()));
    match (record.dns_class, &record.data) {
        (DNSClass::ANY, RData::Update0(RecordType::ANY)) => format!("delete {name} (every record)"),
        (DNSClass::ANY, RData::Update0(_)) => format!("delete {name} {rtype}"),
        (DNSClass::NONE, _) => format!("delete {}", crate::trace::line(record)),
        _ => format!("add {}", crate::trace::line(record)),
    }
}

/// A prerequisite as RFC 2136 §2.4 names it (`www.example.test. A exists`).
fn describe_prerequisite(record: &Record) -> String {
    let (name, rtype) = (show(&record.name), type_name(record.record_type()));
    match (record.dns_class, &record.data) {
        (DNSClass::ANY, RData::Update0(RecordType::ANY)) => format!("{name} is in use"),
        (DNSClass::ANY, RData::Update0(_)) => format!("{name} {rtype} exists"),
        (DNSClass::NONE, RData::Update0(RecordType::ANY)) => format!("{name} is not in use"),
        (DNSClass::NONE, RData::Update0(_)) => format!("{name} {rtype} does not exist"),
        _ => format!("{} is in the set", crate::trace::line(record)),
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
        // Escapes are bytes, as nsupdate reads them; data as dns::resolve prints it reads back.
        let txt = entry_from_text(r#"t TXT "\065BC" x\255y "caf\195\169 \"q\"""#, &z).unwrap();
        let r = record_of(&txt, &z, 0).unwrap();
        assert_eq!(crate::records::presentation(&r.data), r#""ABC" "x\255y" "caf\195\169 \"q\"""#);
        for line in [
            "h SSHFP 4 2 A8B18D5F0CEA1B2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F 708192A3",
            "@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+ KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
            r"u TYPE65280 \# 4 DEADBEEF",
            r"u URI \# 8 000A000168747470",
        ] {
            let e = entry_from_text(line, &z).unwrap();
            let r = record_of(&e, &z, 0).unwrap_or_else(|err| panic!("{line}: {err}"));
            let data = line.splitn(3, ' ').nth(2).unwrap();
            if !line.contains("URI") {
                assert_eq!(crate::records::presentation(&r.data), data, "{line}");
            }
        }
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
        assert!(bad(r#"t TXT "open"#).contains("unclosed quote"));
        assert!(bad(r#"t TXT "\256""#).contains("bad escape"));
        assert!(bad(r"t TYPE65280 \# 3 ABCD").contains("the length says 3"));
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
