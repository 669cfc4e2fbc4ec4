//! TLS for every plugin: one crypto provider (aws-lc-rs), one set of trust rules, one set of
//! error texts. `http` hands the same `ClientConfig` to reqwest that `smtp`, `imap`, `ftp`
//! and `pop3` use on their own streams, so every protocol trusts exactly the same things.
//!
//! Trust: the system's roots (loaded on the first handshake, not at start-up), plus the
//! certificates of `ca_file`. A certificate listed in `ca_file` that a server presents as
//! its own is trusted even when it is a self-signed CA certificate (what `openssl req -x509`
//! makes, and what Python's `ssl` and curl `--cacert` accept); its hostname and dates are
//! still checked. `insecure: true` skips verification, with one warning on stderr.
//!
//! - [`TlsMode`]: the `tls:` option (`"none"`, `"starttls"`, `"implicit"`).
//! - [`Trust`]: the `insecure` / `ca_file` options; [`client_config`] builds (and caches) the
//!   `ClientConfig` for it; [`handshake`] upgrades a connected stream (implicit TLS, or
//!   STARTTLS once the protocol said so).
//! - [`describe`]: a rustls failure in words a user can act on.
//! - [`server_config`]: a server's certificate chain and key from PEM files.
//! - [`inspect`]: a server's certificate and whether the trust rules accept it, whatever
//!   the answer (a monitor wants the dates of an expired certificate too).

use crate::error::{CommonError, CommonKind};
use crate::options::Options;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsFailure, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// The rustls every plugin must use (its types cross into reqwest, lettre, suppaftp).
pub use rustls;
/// The tokio adapter of that rustls.
pub use tokio_rustls;

/// How a connection uses TLS (the `tls:` option).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// Plain text.
    None,
    /// Plain text first, upgraded when the protocol says so (SMTP/IMAP/POP3 STARTTLS, FTP
    /// AUTH TLS).
    StartTls,
    /// TLS from the first byte (SMTPS 465, IMAPS 993, FTPS 990, HTTPS).
    Implicit,
}

impl TlsMode {
    /// Reads the `tls` option: `"none"`, `"starttls"` (or the protocol's own word for it,
    /// `starttls_word`, e.g. ftp's `"explicit"`), `"implicit"`; `default` when absent.
    /// Errors: `InvalidArgument` for any other value.
    pub fn from_options(opts: &Options, default: TlsMode, starttls_word: &str) -> Result<TlsMode, CommonError> {
        let word = match default {
            TlsMode::None => "none",
            TlsMode::StartTls => starttls_word,
            TlsMode::Implicit => "implicit",
        };
        let choice = opts.choice("tls", &["none", starttls_word, "implicit"], word)?;
        Ok(match choice.as_str() {
            "none" => TlsMode::None,
            "implicit" => TlsMode::Implicit,
            _ => TlsMode::StartTls,
        })
    }
}

/// What a client trusts: the `insecure` and `ca_file` options, and the ALPN protocols it
/// offers. Equal trusts share one cached `ClientConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Trust {
    /// Skip certificate verification (`insecure: true`).
    pub insecure: bool,
    /// Extra trust roots and pinned certificates (`ca_file: "ca.pem"`).
    pub ca_file: Option<String>,
    /// ALPN protocols to offer, most wanted first (`h2`, `http/1.1`); empty: none.
    pub alpn: Vec<Vec<u8>>,
}

impl Trust {
    /// Reads `insecure` and `ca_file` from a call's options (the function must allow both
    /// keys). Errors: `InvalidArgument` for a wrong type.
    pub fn from_options(opts: &Options) -> Result<Trust, CommonError> {
        Ok(Trust { insecure: opts.bool("insecure", false)?, ca_file: opts.string("ca_file")?, alpn: Vec::new() })
    }

    /// The same trust offering `protocols` through ALPN.
    pub fn with_alpn(mut self, protocols: &[&[u8]]) -> Trust {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }
}

/// The process's crypto provider, installed once as rustls's default (another plugin or the
/// host may already have installed it: that is the same one).
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        })
        .clone()
}

/// The client configuration for `trust`, built once per distinct trust (reading `ca_file`
/// after the read permission check). Errors: `PermissionDenied`, `IoError` for an
/// unreadable `ca_file`, `TlsError` for one that holds no PEM certificate.
pub fn client_config(protocol: &str, trust: &Trust) -> Result<Arc<rustls::ClientConfig>, CommonError> {
    static CONFIGS: OnceLock<Mutex<HashMap<Trust, Arc<rustls::ClientConfig>>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(Default::default);
    if let Some(config) = configs.lock().unwrap_or_else(|e| e.into_inner()).get(trust) {
        return Ok(config.clone());
    }
    let provider = provider();
    if trust.insecure {
        warn_insecure_once(protocol);
    }
    let extra = match (&trust.ca_file, trust.insecure) {
        (Some(path), false) => read_certs(protocol, path, "ca_file")?,
        _ => Vec::new(),
    };
    let verifier = Arc::new(TrustVerifier {
        provider: provider.clone(),
        insecure: trust.insecure,
        extra,
        inner: OnceLock::new(),
        seen: None,
    });
    let config = Arc::new(config_with(protocol, provider, verifier, &trust.alpn)?);
    configs.lock().unwrap_or_else(|e| e.into_inner()).insert(trust.clone(), config.clone());
    Ok(config)
}

/// A client configuration verifying with `verifier`.
fn config_with(
    protocol: &str,
    provider: Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
    alpn: &[Vec<u8>],
) -> Result<rustls::ClientConfig, CommonError> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CommonError::new(CommonKind::TlsError, protocol, format!("TLS set-up: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn.to_vec();
    Ok(config)
}

/// A server's certificate as [`inspect`] found it.
#[derive(Clone, Debug)]
pub struct CertificateReport {
    /// The subject's distinguished name (`CN=example.com`).
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// The DNS names and IP addresses it is for (subject alternative names).
    pub names: Vec<String>,
    /// Valid from, in seconds since 1970.
    pub not_before: i64,
    /// Valid until, in seconds since 1970.
    pub not_after: i64,
    /// `None` when the trust rules accept it for the host; else why not, in words.
    pub problem: Option<String>,
}

/// Runs a TLS handshake as a client of `host` on a connected `stream` and reports the
/// server's certificate and whether `trust` accepts it for `host` (expired, another name,
/// an unknown issuer — in the words of [`describe`]). The handshake completes either way.
/// Errors: `TlsError` when no handshake is possible (not TLS, no common cipher),
/// `InvalidArgument` for a host that is no valid server name, `ConnectionClosed`.
pub async fn inspect<S>(protocol: &str, trust: &Trust, host: &str, stream: S) -> Result<CertificateReport, CommonError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let provider = provider();
    let extra = match &trust.ca_file {
        Some(path) => read_certs(protocol, path, "ca_file")?,
        None => Vec::new(),
    };
    let recording = Arc::new(TrustVerifier {
        provider: provider.clone(),
        insecure: false,
        extra,
        inner: OnceLock::new(),
        seen: Some(Mutex::new(None)),
    });
    let config = Arc::new(config_with(protocol, provider, recording.clone(), &trust.alpn)?);
    let tls = handshake(protocol, config, host, stream).await?;
    drop(tls);
    let seen = recording.seen.as_ref().and_then(|seen| seen.lock().unwrap_or_else(|e| e.into_inner()).take());
    let Some((cert, verdict)) = seen else {
        return Err(CommonError::new(CommonKind::TlsError, protocol, format!("{host} presented no certificate")));
    };
    let (_, x509) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| {
        CommonError::new(CommonKind::TlsError, protocol, format!("the certificate of {host} cannot be read: {e}"))
    })?;
    Ok(CertificateReport {
        subject: x509.subject().to_string(),
        issuer: x509.issuer().to_string(),
        names: names_of(&cert),
        not_before: x509.validity().not_before.timestamp(),
        not_after: x509.validity().not_after.timestamp(),
        problem: verdict.err().map(|e| describe(&e, host)),
    })
}

fn warn_insecure_once(protocol: &str) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        eprintln!("warning: {protocol}: insecure: true — server certificates are not verified");
    });
}

/// Runs the TLS handshake on a connected `stream` as a client of `host` (the name checked
/// against the certificate). Errors: `TlsError` in words ([`describe`]), `InvalidArgument`
/// for a host that is no valid server name, `ConnectionClosed` when the peer hangs up.
pub async fn handshake<S>(
    protocol: &str,
    config: Arc<rustls::ClientConfig>,
    host: &str,
    stream: S,
) -> Result<tokio_rustls::client::TlsStream<S>, CommonError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_string())
        .map_err(|_| CommonError::invalid_argument(protocol, format!("'{host}' is not a valid TLS server name")))?;
    tokio_rustls::TlsConnector::from(config).connect(name, stream).await.map_err(|e| from_io(protocol, host, &e))
}

/// The rustls failure somewhere in an error's cause chain (libraries wrap it in I/O errors,
/// sometimes twice, and an I/O error's `source()` skips the error it wraps).
pub fn failure_in<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a TlsFailure> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(failure) = e.downcast_ref::<TlsFailure>() {
            return Some(failure);
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(failure) = failure_in(inner) {
                return Some(failure);
            }
        }
        next = e.source();
    }
    None
}

/// The error for a failed TLS handshake or TLS I/O with `host`: a rustls failure in words
/// (`TlsError`), anything else by its I/O kind.
pub fn from_io(protocol: &str, host: &str, err: &std::io::Error) -> CommonError {
    match failure_in(err) {
        Some(failure) => CommonError::new(CommonKind::TlsError, protocol, describe(failure, host)),
        None => CommonError::from_io(protocol, &format!("TLS with {host}"), err),
    }
}

/// A rustls failure with `host` in words a user can act on.
pub fn describe(err: &TlsFailure, host: &str) -> String {
    let fixes = "pass `ca_file: \"ca.pem\"` with the issuing CA (or the server's own certificate), \
                 or `insecure: true` to skip verification";
    match err {
        TlsFailure::InvalidCertificate(cert) => match cert {
            CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
                let names: Vec<&str> = presented.iter().map(|n| bare_name(n)).collect();
                format!("the certificate of {host} is for {}, not {host}: connect with one of those names", names.join(", "))
            }
            CertificateError::NotValidForNameContext { .. } => format!(
                "the certificate of {host} names no host (no subject alternative name; the common name alone \
                 is not used by TLS clients): make it with a subjectAltName for {host}"
            ),
            CertificateError::NotValidForName => format!("the certificate of {host} is not for the name {host}"),
            CertificateError::ExpiredContext { not_after, .. } => {
                format!("the certificate of {host} expired on {}", date(*not_after))
            }
            CertificateError::Expired => format!("the certificate of {host} has expired"),
            CertificateError::NotValidYetContext { not_before, .. } => {
                format!("the certificate of {host} is not valid before {}", date(*not_before))
            }
            CertificateError::NotValidYet => format!("the certificate of {host} is not valid yet"),
            CertificateError::Revoked => format!("the certificate of {host} has been revoked"),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                format!("the certificate of {host} is not meant for a TLS server")
            }
            // Unknown issuer, a self-signed certificate, a CA certificate used as the
            // server's own: all "not trusted".
            _ => format!("the certificate of {host} is not trusted (self-signed, or issued by a CA this machine does not know): {fixes}"),
        },
        TlsFailure::PeerIncompatible(why) => format!(
            "{host} and netscript have no TLS protocol version or cipher in common (netscript speaks TLS 1.2 and 1.3): {why:?}"
        ),
        TlsFailure::AlertReceived(rustls::AlertDescription::ProtocolVersion) => {
            format!("{host} refused every TLS version netscript speaks (1.2 and 1.3)")
        }
        TlsFailure::AlertReceived(alert) => format!("{host} ended the TLS handshake with the alert {alert:?}"),
        TlsFailure::InvalidMessage(_) => {
            format!("{host} did not answer in TLS: is this port plain text (or for STARTTLS)?")
        }
        other => format!("TLS with {host} failed: {other}"),
    }
}

/// A presented name without webpki's wrapping: `DnsName("a.test")` → `a.test`.
fn bare_name(name: &str) -> &str {
    match (name.find("(\""), name.strip_suffix("\")")) {
        (Some(open), Some(inner)) => &inner[open + 2..],
        _ => name,
    }
}

/// A certificate time as an HTTP date (`Tue, 01 Dec 2026 19:49:40 GMT`).
fn date(time: UnixTime) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(time.as_secs()))
}

/// Reads a PEM file of certificates after the read permission check. Errors:
/// `PermissionDenied`, `IoError`, `TlsError` (no certificate in it).
pub fn read_certs(protocol: &str, path: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, CommonError> {
    let checked = crate::host::host().check_read(Path::new(path))?;
    let bytes =
        std::fs::read(&checked).map_err(|e| CommonError::from_io(protocol, &format!("read {what} {path}"), &e))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| CommonError::new(CommonKind::TlsError, protocol, format!("{what} {path}: {e}")))?;
    if certs.is_empty() {
        return Err(CommonError::new(
            CommonKind::TlsError,
            protocol,
            format!("{what} {path} holds no PEM certificate"),
        ));
    }
    Ok(certs)
}

/// A server configuration from a PEM certificate chain and a PEM private key, offering
/// `alpn`. Errors: `PermissionDenied`, `IoError`, `TlsError` (unparsable or mismatched).
pub fn server_config(
    protocol: &str,
    cert_file: &str,
    key_file: &str,
    alpn: &[&[u8]],
) -> Result<Arc<rustls::ServerConfig>, CommonError> {
    let certs = read_certs(protocol, cert_file, "cert")?;
    let checked = crate::host::host().check_read(Path::new(key_file))?;
    let bytes =
        std::fs::read(&checked).map_err(|e| CommonError::from_io(protocol, &format!("read key {key_file}"), &e))?;
    let tls_error = |text: String| CommonError::new(CommonKind::TlsError, protocol, text);
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| tls_error(format!("key {key_file}: {e}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("TLS set-up: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_error(format!("cert {cert_file} / key {key_file}: {e}")))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// The system roots plus `ca_file` (built on the first handshake), and the pinned-certificate
/// rule for certificates listed in `ca_file`; with `insecure`, any certificate (the
/// handshake's signatures are still checked).
struct TrustVerifier {
    provider: Arc<CryptoProvider>,
    insecure: bool,
    extra: Vec<CertificateDer<'static>>,
    inner: OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, TlsFailure>>,
    /// For [`inspect`]: the certificate presented and the verdict on it are kept here, and
    /// the handshake goes on whatever the verdict (its signatures are still checked).
    seen: Option<Mutex<Option<Seen>>>,
}

/// A certificate a server presented, and the trust rules' verdict on it.
type Seen = (CertificateDer<'static>, Result<(), TlsFailure>);

impl std::fmt::Debug for TrustVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustVerifier(system roots + {} from ca_file, insecure: {})", self.extra.len(), self.insecure)
    }
}

impl TrustVerifier {
    fn inner(&self) -> Result<&rustls_platform_verifier::Verifier, TlsFailure> {
        let built = self.inner.get_or_init(|| {
            rustls_platform_verifier::Verifier::new_with_extra_roots(self.extra.iter().cloned(), self.provider.clone())
                .map(Arc::new)
        });
        built.as_deref().map_err(Clone::clone)
    }

    /// A certificate from `ca_file` presented as the server's own: its name and dates are
    /// what is left to check (its signature is the one we were given).
    fn verify_pinned(&self, cert: &CertificateDer<'_>, name: &ServerName<'_>, now: UnixTime) -> Result<(), TlsFailure> {
        let parsed = webpki::EndEntityCert::try_from(cert)
            .map_err(|_| TlsFailure::InvalidCertificate(CertificateError::BadEncoding))?;
        if parsed.verify_is_valid_for_subject_name(name).is_err() {
            return Err(TlsFailure::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected: name.to_owned(),
                presented: names_of(cert),
            }));
        }
        let (_, x509) = x509_parser::parse_x509_certificate(cert.as_ref())
            .map_err(|_| TlsFailure::InvalidCertificate(CertificateError::BadEncoding))?;
        let (not_before, not_after) = (x509.validity().not_before.timestamp(), x509.validity().not_after.timestamp());
        let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if secs > not_after {
            return Err(TlsFailure::InvalidCertificate(CertificateError::ExpiredContext {
                time: now,
                not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(not_after.max(0) as u64)),
            }));
        }
        if secs < not_before {
            return Err(TlsFailure::InvalidCertificate(CertificateError::NotValidYetContext {
                time: now,
                not_before: UnixTime::since_unix_epoch(std::time::Duration::from_secs(not_before.max(0) as u64)),
            }));
        }
        Ok(())
    }
}

/// The DNS names and IP addresses a certificate is for (for messages).
fn names_of(cert: &CertificateDer<'_>) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    let Ok((_, x509)) = x509_parser::parse_x509_certificate(cert.as_ref()) else { return Vec::new() };
    let Ok(Some(san)) = x509.subject_alternative_name() else { return Vec::new() };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_string()),
            GeneralName::IPAddress(b) => match b.len() {
                4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

impl TrustVerifier {
    /// Whether the trust rules accept `end_entity` for `server_name`.
    fn verdict(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), TlsFailure> {
        if self.insecure {
            return Ok(());
        }
        match self.inner()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(_) => Ok(()),
            Err(_) if self.extra.iter().any(|c| c.as_ref() == end_entity.as_ref()) => {
                self.verify_pinned(end_entity, server_name, now)
            }
            Err(e) => Err(e),
        }
    }
}

impl ServerCertVerifier for TrustVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsFailure> {
        let verdict = self.verdict(end_entity, intermediates, server_name, ocsp_response, now);
        match &self.seen {
            Some(seen) => {
                *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some((end_entity.clone().into_owned(), verdict));
                Ok(ServerCertVerified::assertion())
            }
            None => verdict.map(|()| ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsFailure> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsFailure> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_mode_reads_the_protocols_words() {
        let with = |v: &str| {
            let mut map = rhai::Map::new();
            map.insert("tls".into(), v.into());
            TlsMode::from_options(&Options::parse("ftp", "connect", map, &["tls"]).unwrap(), TlsMode::None, "explicit")
        };
        assert_eq!(with("explicit").unwrap(), TlsMode::StartTls);
        assert_eq!(with("implicit").unwrap(), TlsMode::Implicit);
        assert_eq!(with("none").unwrap(), TlsMode::None);
        assert!(with("starttls").is_err());
        let none = Options::none("smtp", "connect");
        assert_eq!(TlsMode::from_options(&none, TlsMode::StartTls, "starttls").unwrap(), TlsMode::StartTls);
    }

    #[test]
    fn failures_are_described_in_words() {
        let expired = TlsFailure::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000)),
        });
        assert_eq!(
            describe(&expired, "mail.test"),
            "the certificate of mail.test expired on Tue, 14 Nov 2023 22:13:20 GMT"
        );
        assert_eq!(bare_name("DnsName(\"a.test\")"), "a.test");
        assert_eq!(bare_name("b.test"), "b.test");
        let unknown = TlsFailure::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(describe(&unknown, "h").contains("not trusted") && describe(&unknown, "h").contains("ca_file"));
    }
}
