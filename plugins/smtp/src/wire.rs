//! The connection under lettre: a TCP stream, or the TLS stream it became, that lettre's
//! `AsyncSmtpConnection` reads and writes through a handle while the plugin keeps hold of
//! the stream itself. Through it the plugin
//! - upgrades the connection after STARTTLS with the SDK's TLS (lettre's own TLS cannot take
//!   the SDK's trust rules) and gives lettre a fresh reader, so nothing a server sent before
//!   the handshake is read as if it came after it;
//! - keeps the greeting and the first EHLO reply, which lettre reads and drops;
//! - traces the conversation for `--trace smtp`: every line sent and received, credentials
//!   as `****`, the message data as a byte count.

use crate::error::PROTOCOL;
use netscript_sdk::tls::tokio_rustls::client::TlsStream;
use netscript_sdk::trace;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The stream: plain, or TLS from the start or after STARTTLS.
pub use netscript_sdk::stream::Stream as Transport;

/// How the lines being written are traced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// As they are.
    Clear,
    /// AUTH and its answers: `AUTH PLAIN ****`, `****`.
    Credentials,
    /// Message data: not shown line by line (the plugin traces its size).
    Data,
}

struct State {
    stream: Option<Transport>,
    tracing: bool,
    outgoing: Outgoing,
    /// Partial lines, for the trace.
    sent: trace::Lines,
    received: trace::Lines,
    /// What was read while capturing (the greeting and the first EHLO reply).
    captured: Option<Vec<u8>>,
}

/// The plugin's hold on the connection; [`Wire::reader`] gives lettre its side.
#[derive(Clone)]
pub struct Wire {
    state: Arc<Mutex<State>>,
    peer: SocketAddr,
}

impl Wire {
    /// A wire over `stream` to `peer`, capturing what is read until [`Wire::take_captured`].
    pub fn new(stream: Transport, peer: SocketAddr) -> Wire {
        let state = State {
            stream: Some(stream),
            tracing: trace::enabled(PROTOCOL),
            outgoing: Outgoing::Clear,
            sent: trace::Lines::default(),
            received: trace::Lines::default(),
            captured: Some(Vec::new()),
        };
        Wire { state: Arc::new(Mutex::new(state)), peer }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The stream lettre reads and writes (a handle on this wire).
    pub fn reader(&self) -> Box<dyn lettre::transport::smtp::client::AsyncTokioStream> {
        Box::new(self.clone())
    }

    /// What was read since the wire was made, and no more capturing.
    pub fn take_captured(&self) -> Vec<u8> {
        self.lock().captured.take().unwrap_or_default()
    }

    /// Sets how written lines are traced.
    pub fn outgoing(&self, mode: Outgoing) {
        let mut state = self.lock();
        state.outgoing = mode;
        state.sent.clear();
    }

    /// Takes the plain TCP stream out for a TLS handshake (after STARTTLS). `None` when the
    /// connection is TLS already or gone.
    pub fn take_plain(&self) -> Option<TcpStream> {
        let mut state = self.lock();
        match state.stream.take() {
            Some(Transport::Plain(tcp)) => Some(tcp),
            other => {
                state.stream = other;
                None
            }
        }
    }

    /// Puts the upgraded stream back.
    pub fn put_tls(&self, tls: TlsStream<TcpStream>) {
        self.lock().stream = Some(Transport::Tls(Box::new(tls)));
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.lock().stream, Some(Transport::Tls(_)))
    }
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Wire({})", self.peer)
    }
}

impl State {
    fn stream(&mut self) -> io::Result<Pin<&mut Transport>> {
        match self.stream.as_mut() {
            Some(stream) => Ok(Pin::new(stream)),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "the connection is being upgraded to TLS")),
        }
    }

    fn saw_received(&mut self, bytes: &[u8]) {
        if let Some(captured) = self.captured.as_mut() {
            captured.extend_from_slice(bytes);
        }
        if self.tracing {
            if self.outgoing == Outgoing::Data {
                // The reply to the data has begun: the data's end, as smtplib shows it.
                self.outgoing = Outgoing::Clear;
                trace::sent(PROTOCOL, ".");
            }
            self.received.feed(bytes, |line| trace::received(PROTOCOL, line));
        }
    }

    fn saw_sent(&mut self, bytes: &[u8]) {
        if !self.tracing {
            return;
        }
        match self.outgoing {
            Outgoing::Clear => self.sent.feed(bytes, |line| trace::sent(PROTOCOL, line)),
            Outgoing::Credentials => self.sent.feed(bytes, |line| match masked_auth(line) {
                Some("") => trace::sent(PROTOCOL, "****"),
                Some(visible) => trace::sent_masked(PROTOCOL, visible),
                None => trace::sent(PROTOCOL, line),
            }),
            Outgoing::Data => {}
        }
    }
}

/// What of an AUTH exchange line may be shown: `AUTH LOGIN` whole, `AUTH PLAIN` of
/// `AUTH PLAIN <credentials>`, nothing of an answer to a challenge (`None` = show as is).
fn masked_auth(line: &str) -> Option<&str> {
    let mut words = line.splitn(3, ' ');
    match (words.next(), words.next(), words.next()) {
        (Some(auth), Some(_), None) if auth.eq_ignore_ascii_case("AUTH") => None,
        (Some(auth), Some(mechanism), Some(_)) if auth.eq_ignore_ascii_case("AUTH") => {
            Some(&line[..auth.len() + 1 + mechanism.len()])
        }
        _ => Some(""),
    }
}

impl AsyncRead for Wire {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let mut state = self.lock();
        let before = buf.filled().len();
        let polled = state.stream()?.poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let new = &buf.filled()[before..];
            if !new.is_empty() && (state.tracing || state.captured.is_some()) {
                state.saw_received(new);
            }
        }
        polled
    }
}

impl AsyncWrite for Wire {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut state = self.lock();
        let polled = state.stream()?.poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            state.saw_sent(&buf[..n]);
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.lock().stream()?.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.lock().stream()?.poll_shutdown(cx)
    }
}

impl lettre::transport::smtp::client::AsyncTokioStream for Wire {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_lines_are_masked_but_the_mechanism_shows() {
        assert_eq!(masked_auth("AUTH PLAIN AGFubgBzZWNyZXQ="), Some("AUTH PLAIN"));
        assert_eq!(masked_auth("AUTH LOGIN"), None);
        assert_eq!(masked_auth("YW5u"), Some(""));
    }
}
