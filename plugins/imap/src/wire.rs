//! The connection under async-imap's response parser: the SDK's stream (plain, or TLS from
//! the start or after STARTTLS), watched as it is read so that
//! - `--trace imap` shows every response line, a literal as `< [N bytes]` (a fetched
//!   message is never printed);
//! - an abort can say where the stream broke ("in a literal of 20480 bytes, 7311 arrived").
//!
//! Commands are traced where they are written (`session.rs`), which knows what is a password.

use crate::error::PROTOCOL;
use netscript_sdk::stream::Stream;
use netscript_sdk::trace;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Where the reader stands in the server's byte stream.
#[derive(Default)]
struct Scanner {
    line: trace::Lines,
    /// The literal being read: its size and how many bytes are still to come.
    literal: Option<(usize, usize)>,
}

/// The stream with its reader's position; async-imap's `Client` owns it.
pub struct Wire {
    stream: Stream,
    tracing: bool,
    scanner: Scanner,
}

impl Wire {
    /// A wire over `stream`.
    pub fn new(stream: Stream) -> Wire {
        Wire { stream, tracing: trace::enabled(PROTOCOL), scanner: Scanner::default() }
    }

    /// The stream back (for the STARTTLS handshake).
    pub fn into_stream(self) -> Stream {
        self.stream
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// Where a read stopped in the middle of a response: `None` between responses.
    pub fn partial(&self) -> Option<String> {
        match self.scanner.literal {
            Some((size, left)) => Some(format!("in a literal of {size} bytes, {} arrived", size - left)),
            None if !self.scanner.line.partial().is_empty() => Some("in the middle of a response line".into()),
            None => None,
        }
    }

    fn saw(&mut self, mut bytes: &[u8]) {
        let tracing = self.tracing;
        while !bytes.is_empty() {
            if let Some((size, left)) = self.scanner.literal {
                let take = left.min(bytes.len());
                bytes = &bytes[take..];
                if take == left {
                    self.scanner.literal = None;
                    if tracing {
                        trace::received(PROTOCOL, &format!("[{size} bytes]"));
                    }
                } else {
                    self.scanner.literal = Some((size, left - take));
                }
                continue;
            }
            let end = bytes.iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| i + 1);
            let (head, rest) = bytes.split_at(end);
            bytes = rest;
            let mut literal = None;
            self.scanner.line.feed(head, |line| {
                literal = literal_size(line);
                if tracing {
                    trace::received(PROTOCOL, line);
                }
            });
            if let Some(size) = literal.filter(|n| *n > 0) {
                self.scanner.literal = Some((size, size));
            }
        }
    }
}

/// The size of the literal a response line announces at its end (`… {2048}`).
fn literal_size(line: &str) -> Option<usize> {
    let open = line.strip_suffix('}')?.rfind('{')?;
    line[open + 1..line.len() - 1].trim_end_matches('+').parse().ok()
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Wire({:?})", self.stream)
    }
}

impl AsyncRead for Wire {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                this.saw(new);
            }
        }
        polled
    }
}

impl AsyncWrite for Wire {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_found_at_line_ends() {
        assert_eq!(literal_size("* 1 FETCH (UID 7 BODY[] {2048}"), Some(2048));
        assert_eq!(literal_size("* LIST () \"/\" {5+}"), Some(5));
        assert_eq!(literal_size("* OK {not a literal}"), None);
        assert_eq!(literal_size("* 1 EXISTS"), None);
    }
}
