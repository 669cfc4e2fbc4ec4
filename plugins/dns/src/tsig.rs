//! TSIG keys (RFC 8945) from a script's `tsig: #{ name, secret, algorithm }` option, for
//! `dns::update` and `dns::zone_transfer`: HMAC-SHA256 (default), -384 or -512, the secret
//! in base64 as a BIND key file holds it, registered as a secret before anything else.

use crate::error::{DnsError, DnsResult, PROTOCOL};
use crate::names::{parse_name, quote, show};
use base64::Engine as _;
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::TSigner;
use netscript_sdk::options::Options;
use netscript_sdk::prelude::*;
use netscript_sdk::secret::Secret;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The keys of the `tsig` map.
const TSIG_KEYS: &[&str] = &["name", "algorithm", "secret"];
/// How far the server's clock may be from ours for a signature to count (RFC 8945's
/// recommended 300 seconds).
const FUDGE: u16 = 300;

/// The TSIG key of the `tsig` option, and its name as shown. The secret is registered as a
/// secret at once, so it appears in no message. Errors: `InvalidArgument`.
pub fn signer_of(tsig: Map) -> DnsResult<(TSigner, String)> {
    let opts = Options::parse(PROTOCOL, "tsig", tsig, TSIG_KEYS)?;
    let secret = match opts.get("secret") {
        Some(v) if v.is_string() => Secret::new(v.clone().into_string().unwrap_or_default()),
        Some(v) => {
            return Err(DnsError::invalid(format!(
                "tsig: secret must be a string (base64, as in a BIND key file), not {}",
                netscript_sdk::options::type_word(v)
            )))
        }
        None => return Err(DnsError::invalid("tsig: give name, secret (base64) and algorithm")),
    };
    let name = opts.string("name")?.ok_or_else(|| DnsError::invalid("tsig: give the key's name"))?;
    let key_name = parse_name(&name)?;
    let algorithm = opts.string("algorithm")?.unwrap_or_else(|| "hmac-sha256".into());
    let algorithm = match algorithm.trim_end_matches('.').to_ascii_lowercase().as_str() {
        "hmac-sha256" => TsigAlgorithm::HmacSha256,
        "hmac-sha384" => TsigAlgorithm::HmacSha384,
        "hmac-sha512" => TsigAlgorithm::HmacSha512,
        _ => {
            return Err(DnsError::invalid(format!(
                "tsig: unsupported algorithm '{}' (hmac-sha256, hmac-sha384 or hmac-sha512)",
                quote(&algorithm)
            )))
        }
    };
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.expose().trim())
        .map_err(|_| DnsError::invalid("tsig: the secret is not base64 (as in a BIND key file's secret \"…\")"))?;
    if key.is_empty() {
        return Err(DnsError::invalid("tsig: the secret is empty"));
    }
    let shown = show(&key_name);
    let signer = TSigner::new(key, algorithm, key_name, FUDGE).map_err(|e| DnsError::invalid(format!("tsig: {e}")))?;
    Ok((signer, shown))
}

/// Seconds since the epoch, for the signature's time.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

/// Why a server rejected a signed request, in words, from the TSIG error of its reply.
pub fn why_refused(error: Option<hickory_proto::rr::rdata::tsig::TsigError>, key: Option<&str>) -> Option<String> {
    use hickory_proto::rr::rdata::tsig::TsigError;
    Some(match error? {
        TsigError::BadKey => format!(
            "the server does not know the key {} (TSIG BADKEY): check its name and algorithm",
            key.unwrap_or("given")
        ),
        TsigError::BadSig => "the signature does not match (TSIG BADSIG): check the secret".into(),
        TsigError::BadTime => {
            "the server's clock and this machine's differ by more than 5 minutes (TSIG BADTIME)".into()
        }
        TsigError::BadTrunc => "the server rejected a truncated signature (TSIG BADTRUNC)".into(),
        TsigError::Unknown(n) => format!("TSIG error {n}"),
    })
}
