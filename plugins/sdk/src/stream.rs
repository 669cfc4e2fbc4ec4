//! A client's connection as the line protocols (smtp, imap, pop3, ftp) hold it: plain TCP,
//! or TLS over it, from the start (implicit TLS) or after the protocol's STARTTLS. One type
//! that reads and writes either way, so a protocol's reader and its STARTTLS upgrade do not
//! each carry their own two-armed enum.

use crate::error::CommonError;
use crate::tls;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Plain TCP, or TLS over TCP.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Connects TLS at once over `tcp` when `implicit`, else keeps it plain. Errors: as
    /// [`tls::handshake`].
    pub async fn open(
        protocol: &str,
        tcp: TcpStream,
        implicit: Option<(Arc<rustls::ClientConfig>, &str)>,
    ) -> Result<Stream, CommonError> {
        match implicit {
            Some((config, host)) => Ok(Stream::Tls(Box::new(tls::handshake(protocol, config, host, tcp).await?))),
            None => Ok(Stream::Plain(tcp)),
        }
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// The TLS handshake over this plain stream (after the protocol's STARTTLS was
    /// accepted). Errors: as [`tls::handshake`]; `InvalidArgument` when the stream is TLS
    /// already.
    pub async fn upgrade(
        self,
        protocol: &str,
        config: Arc<rustls::ClientConfig>,
        host: &str,
    ) -> Result<Stream, CommonError> {
        match self {
            Stream::Plain(tcp) => Ok(Stream::Tls(Box::new(tls::handshake(protocol, config, host, tcp).await?))),
            Stream::Tls(_) => Err(CommonError::invalid_argument(protocol, "the connection is TLS already")),
        }
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_tls() { "Stream::Tls" } else { "Stream::Plain" })
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}
