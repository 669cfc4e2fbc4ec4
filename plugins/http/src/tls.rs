//! TLS set-up shared by the client and the server: one crypto provider (`ring`) for the
//! whole process, extra trust roots from `ca_file`, and the server's certificate and key.

use crate::error::{HttpError, HttpResult};
use netscript_sdk::error::CommonKind;
use netscript_sdk::prelude::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Installs `ring` as the process-wide rustls provider (once; another one already
/// installed by the host or another plugin is fine).
pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Reads a PEM file of certificates, after the read permission check.
fn read_certs(path: &str, what: &str) -> HttpResult<Vec<CertificateDer<'static>>> {
    let checked = host().check_read(Path::new(path))?;
    let bytes = std::fs::read(&checked).map_err(|e| HttpError::io(&format!("read {what} {path}"), &e))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| HttpError::common(CommonKind::TlsError, format!("{what} {path}: {e}")))?;
    if certs.is_empty() {
        return Err(HttpError::common(CommonKind::TlsError, format!("{what} {path} holds no PEM certificate")));
    }
    Ok(certs)
}

/// The certificates of `ca_file` as reqwest trust roots.
pub fn ca_roots(path: &str) -> HttpResult<Vec<reqwest::Certificate>> {
    read_certs(path, "ca_file")?
        .into_iter()
        .map(|der| {
            reqwest::Certificate::from_der(der.as_ref())
                .map_err(|e| HttpError::common(CommonKind::TlsError, format!("ca_file {path}: {e}")))
        })
        .collect()
}

/// A server TLS configuration from a PEM certificate chain and a PEM private key, offering
/// HTTP/2 and HTTP/1.1 through ALPN.
pub fn server_config(cert_file: &str, key_file: &str) -> HttpResult<Arc<rustls::ServerConfig>> {
    install_provider();
    let certs = read_certs(cert_file, "cert")?;
    let checked = host().check_read(Path::new(key_file))?;
    let bytes = std::fs::read(&checked).map_err(|e| HttpError::io(&format!("read key {key_file}"), &e))?;
    let key = PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| HttpError::common(CommonKind::TlsError, format!("key {key_file}: {e}")))?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| HttpError::common(CommonKind::TlsError, format!("cert {cert_file} / key {key_file}: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client TLS configuration that checks server certificates against the system's trust
/// roots, loaded on the first TLS handshake rather than when the client is built: loading
/// and parsing the system bundle costs milliseconds that a plain-HTTP script never needs.
/// Offers HTTP/2 and HTTP/1.1 through ALPN (as reqwest's own configuration does).
/// One configuration for the process (cloned per client), so the roots load once.
pub fn lazy_system_roots_config() -> rustls::ClientConfig {
    static CONFIG: OnceLock<rustls::ClientConfig> = OnceLock::new();
    CONFIG.get_or_init(build_lazy_system_roots_config).clone()
}

fn build_lazy_system_roots_config() -> rustls::ClientConfig {
    install_provider();
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier = Arc::new(LazyVerifier { provider: provider.clone(), inner: OnceLock::new() });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| rustls::ClientConfig::builder())
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// The platform verifier (system trust roots), built on first use.
struct LazyVerifier {
    provider: Arc<rustls::crypto::CryptoProvider>,
    inner: OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, rustls::Error>>,
}

impl std::fmt::Debug for LazyVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LazyVerifier(system roots)")
    }
}

impl LazyVerifier {
    fn get(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        let built =
            self.inner.get_or_init(|| rustls_platform_verifier::Verifier::new(self.provider.clone()).map(Arc::new));
        built.as_deref().map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.get()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
