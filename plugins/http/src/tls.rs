//! TLS set-up shared by the client and the server: one crypto provider (`ring`) for the
//! whole process, extra trust roots from `ca_file`, and the server's certificate and key.

use crate::error::{HttpError, HttpResult};
use netscript_sdk::error::CommonKind;
use netscript_sdk::prelude::*;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

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
