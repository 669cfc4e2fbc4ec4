//! Byte streams and listeners shared by TCP and Unix-domain sockets: the buffering and
//! stream semantics over the raw I/O of `raw.rs`; their script face is `connection.rs`.
//!
//! A [`StreamCore`] is one connected stream behind an `Arc`, so a script's connection
//! handle is a cheap clone that several tasks may use at once: reads share one buffer
//! (for `read_line` and split UTF-8 characters), writes are serialised so two `sendall`s
//! never interleave, and `close()` from any clone wakes every call waiting on the socket.
//! Connected streams leave the tokio reactor once set up: the script thread makes the
//! blocking system call itself, so the kernel wakes exactly that thread when data comes
//! (one call per receive; a reactor hop, or a `poll` before each read, cost a third of the
//! echo throughput). The wait is cut into slices with `SO_RCVTIMEO`/`SO_SNDTIMEO` so it
//! still honours the socket's timeout and the host's interruption flag; `close()` from
//! another clone shuts the socket down, which ends a blocked call at once.

use crate::error::PROTOCOL;
use crate::error::{SocketError, SocketResult};
use crate::net::{self, Lifetime, Limit, TimeoutCell, DEFAULT_TIMEOUT, SHUT_RD, SHUT_RDWR, SHUT_WR};
use crate::raw::{slice_over, RawListener, RawStream, SLICE};
use netscript_sdk::error::CommonError;
use netscript_sdk::prelude::*;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

/// Default longest line `read_line()` returns before giving back a partial line.
pub const MAX_LINE: usize = 1 << 20;

use crate::raw::Endpoint;

/// Bytes read from the socket but not yet handed to the script.
#[derive(Default)]
struct ReadBuffer {
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl ReadBuffer {
    fn pending(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.buf.len() - self.pos);
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        out
    }

    /// Puts bytes back in front of what is pending (an incomplete UTF-8 character).
    fn unread(&mut self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if self.pos >= bytes.len() {
            self.pos -= bytes.len();
            self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(&bytes);
        } else {
            let mut joined = bytes;
            joined.extend_from_slice(self.pending());
            self.buf = joined;
            self.pos = 0;
        }
    }

    /// Drops consumed bytes once they are at least half the buffer.
    fn compact(&mut self) {
        if self.pos > 0 && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }
}

/// One connected byte stream, shared by every clone of its script handle.
pub struct StreamCore {
    stream: RwLock<Option<Arc<RawStream>>>,
    read: Mutex<ReadBuffer>,
    write: Mutex<()>,
    read_shut: AtomicBool,
    write_shut: AtomicBool,
    /// Closed flag.
    pub life: Lifetime,
    /// `settimeout`'s value.
    pub timeout: TimeoutCell,
    /// This end.
    pub local: Endpoint,
    /// The other end.
    pub peer: Endpoint,
}

impl fmt::Debug for StreamCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.local, self.peer)
    }
}

/// Drops the spare room of a large, mostly empty read buffer before it becomes a blob.
fn trimmed(mut buf: Vec<u8>) -> Vec<u8> {
    if buf.capacity() > 64 * 1024 && buf.capacity() > 2 * buf.len() {
        buf.shrink_to_fit();
    }
    buf
}

/// Takes a lock that is held across waits (a read, a write) the fiber-safe way.
fn lock<T>(m: &Mutex<T>) -> SocketResult<MutexGuard<'_, T>> {
    Ok(netscript_sdk::runtime::lock(PROTOCOL, m)?)
}

/// When a call that started now must give up, from the socket's timeout.
struct Deadline {
    at: Option<Instant>,
    seconds: Option<Duration>,
}

impl Deadline {
    fn new(seconds: Option<Duration>) -> Self {
        let at = seconds.and_then(|limit| Instant::now().checked_add(limit));
        Self { at, seconds }
    }
}

impl StreamCore {
    /// Wraps a connected stream.
    pub fn new(stream: RawStream, local: Endpoint, peer: Endpoint, limit: Limit) -> Self {
        Self {
            stream: RwLock::new(Some(Arc::new(stream))),
            read: Mutex::new(ReadBuffer::default()),
            write: Mutex::new(()),
            read_shut: AtomicBool::new(false),
            write_shut: AtomicBool::new(false),
            life: Lifetime::default(),
            timeout: TimeoutCell::new(limit),
            local,
            peer,
        }
    }

    /// The stream, or `ConnectionClosed` once closed.
    pub fn raw(&self, what: &str) -> SocketResult<Arc<RawStream>> {
        let guard = self.stream.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| SocketError::closed(what))
    }

    fn deadline(&self) -> Deadline {
        Deadline::new(self.timeout.effective(Some(DEFAULT_TIMEOUT)))
    }

    fn io_error(&self, what: &str, err: io::Error) -> SocketError {
        SocketError::io(format!("{what} ({} -> {})", self.local, self.peer), err)
    }

    /// How long the next blocking call may wait: the rest of the deadline, at most one
    /// slice. Fails once the deadline has passed, the socket is closed or the user
    /// interrupts.
    fn next_slice(&self, what: &str, deadline: &Deadline) -> SocketResult<Duration> {
        if self.life.is_closed() {
            return Err(SocketError::closed(what));
        }
        if host().interrupted() {
            return Err(CommonError::new(netscript_sdk::error::CommonKind::Timeout, PROTOCOL, "interrupted").into());
        }
        match deadline.at {
            None => Ok(SLICE),
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    let limit = deadline.seconds.unwrap_or_default();
                    return Err(CommonError::timeout(PROTOCOL, what, limit).into());
                }
                Ok(left.min(SLICE))
            }
        }
    }

    /// The error for a failed call: `ConnectionClosed` when a clone closed the socket
    /// under it, else the OS error.
    fn failed(&self, what: &str, err: io::Error) -> SocketError {
        if self.life.is_closed() {
            SocketError::closed(what)
        } else {
            self.io_error(what, err)
        }
    }

    fn check_send(&self, what: &str) -> SocketResult<Arc<RawStream>> {
        let raw = self.raw(what)?;
        if self.write_shut.load(Ordering::Acquire) {
            return Err(SocketError::Closed { what: what.into(), reason: "sending was shut down" });
        }
        Ok(raw)
    }

    /// Sends what the socket takes (at least one byte); returns the count.
    pub fn send(&self, data: &[u8]) -> SocketResult<usize> {
        let raw = self.check_send("send")?;
        if data.is_empty() {
            return Ok(0);
        }
        let deadline = self.deadline();
        let _guard = lock(&self.write)?;
        loop {
            let slice = self.next_slice("send", &deadline)?;
            match raw.write(data, slice) {
                Ok(n) => return Ok(n),
                Err(e) if slice_over(&e) => continue,
                Err(e) => return Err(self.failed("send", e)),
            }
        }
    }

    /// Sends all of `data`, waiting for room as needed.
    pub fn sendall(&self, data: &[u8]) -> SocketResult<()> {
        let raw = self.check_send("sendall")?;
        let deadline = self.deadline();
        let _guard = lock(&self.write)?;
        let mut sent = 0;
        while sent < data.len() {
            let slice = self.next_slice("sendall", &deadline)?;
            match raw.write(&data[sent..], slice) {
                Ok(n) => sent += n,
                Err(e) if slice_over(&e) => continue,
                Err(e) => return Err(self.failed("sendall", e)),
            }
        }
        Ok(())
    }

    /// Reads at most `n` bytes from the buffer or the socket, waiting for some.
    fn recv_locked(
        &self,
        raw: &RawStream,
        buffer: &mut ReadBuffer,
        n: usize,
        what: &str,
        deadline: &Deadline,
    ) -> SocketResult<Vec<u8>> {
        if !buffer.pending().is_empty() {
            return Ok(buffer.take(n));
        }
        if buffer.eof || self.read_shut.load(Ordering::Acquire) || n == 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        loop {
            let slice = self.next_slice(what, deadline)?;
            match raw.read_into(&mut out, n, slice) {
                Ok(0) if self.life.is_closed() => return Err(SocketError::closed(what)),
                Ok(0) => {
                    buffer.eof = true;
                    return Ok(out);
                }
                Ok(_) => return Ok(trimmed(out)),
                Err(e) if slice_over(&e) => continue,
                Err(e) => return Err(self.failed(what, e)),
            }
        }
    }

    /// Receives at most `n` bytes; an empty result means the peer closed its end.
    pub fn recv(&self, n: usize) -> SocketResult<Vec<u8>> {
        let raw = self.raw("recv")?;
        let deadline = self.deadline();
        let mut buffer = lock(&self.read)?;
        self.recv_locked(&raw, &mut buffer, n, "recv", &deadline)
    }

    /// Receives at most `n` bytes as text; a character split across reads is kept whole.
    pub fn recv_text(&self, n: usize) -> SocketResult<String> {
        let raw = self.raw("recv_text")?;
        let deadline = self.deadline();
        let mut buffer = lock(&self.read)?;
        let mut bytes = self.recv_locked(&raw, &mut buffer, n, "recv_text", &deadline)?;
        loop {
            match std::str::from_utf8(&bytes) {
                Err(e) if e.error_len().is_none() => {
                    let valid = e.valid_up_to();
                    if valid > 0 {
                        let tail = bytes.split_off(valid);
                        buffer.unread(tail);
                        break;
                    }
                    // Not one whole character yet: read the rest of it.
                    let more = self.recv_locked(&raw, &mut buffer, 4, "recv_text", &deadline)?;
                    if more.is_empty() {
                        break;
                    }
                    bytes.extend_from_slice(&more);
                }
                _ => break,
            }
        }
        Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Reads through the next `\n` (kept), at most `limit` bytes; `""` at end of stream.
    pub fn read_line(&self, limit: usize) -> SocketResult<String> {
        let raw = self.raw("read_line")?;
        let deadline = self.deadline();
        let mut buffer = lock(&self.read)?;
        let mut scanned = 0;
        loop {
            let pending = buffer.pending();
            if let Some(i) = pending[scanned..].iter().position(|&b| b == b'\n') {
                let line = buffer.take(scanned + i + 1);
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if pending.len() >= limit || buffer.eof || self.read_shut.load(Ordering::Acquire) {
                let line = buffer.take(limit);
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            scanned = pending.len();
            buffer.compact();
            let slice = self.next_slice("read_line", &deadline)?;
            match raw.read_into(&mut buffer.buf, 8192, slice) {
                Ok(0) if self.life.is_closed() => return Err(SocketError::closed("read_line")),
                Ok(0) => buffer.eof = true,
                Ok(_) => {}
                Err(e) if slice_over(&e) => {}
                Err(e) => return Err(self.failed("read_line", e)),
            }
        }
    }

    /// `shutdown(how)`: stop receiving, sending or both.
    pub fn shutdown(&self, how: INT) -> SocketResult<()> {
        let raw = self.raw("shutdown")?;
        let (read, write) = match how {
            SHUT_RD => (true, false),
            SHUT_WR => (false, true),
            SHUT_RDWR => (true, true),
            other => {
                return Err(SocketError::invalid(format!(
                    "shutdown: unknown mode {other} (use socket::SHUT_RD, SHUT_WR or SHUT_RDWR)"
                )))
            }
        };
        if read {
            self.read_shut.store(true, Ordering::Release);
        }
        if write {
            self.write_shut.store(true, Ordering::Release);
            match raw.sock().shutdown(Shutdown::Write) {
                Ok(()) => {}
                // The peer already went away: nothing left to shut.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
                Err(e) => return Err(self.io_error("shutdown", e)),
            }
        }
        Ok(())
    }

    /// Closes the connection; every clone sees it closed. Closing twice is harmless.
    pub fn close(&self) {
        self.life.close();
        let taken = {
            let mut guard = self.stream.write().unwrap_or_else(|p| p.into_inner());
            guard.take()
        };
        if let Some(raw) = taken {
            // A call on another thread may still be blocked on the stream; shutting it
            // down ends that call and tells the peer at once.
            let _ = raw.sock().shutdown(Shutdown::Both);
        }
    }

    /// Whether `close()` was called.
    pub fn is_closed(&self) -> bool {
        self.life.is_closed()
    }
}

/// A listening socket, shared by the clones of its script handle.
pub struct ListenerCore {
    listener: RwLock<Option<Arc<RawListener>>>,
    /// Closed flag and wake-up signal.
    pub life: Lifetime,
    /// `settimeout`'s value; by default `accept` waits without limit.
    pub timeout: TimeoutCell,
    /// The bound address.
    pub local: Endpoint,
}

impl fmt::Debug for ListenerCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "listening on {}", self.local)
    }
}

impl ListenerCore {
    /// Wraps a listener.
    pub fn new(listener: RawListener, local: Endpoint) -> Self {
        Self {
            listener: RwLock::new(Some(Arc::new(listener))),
            life: Lifetime::default(),
            timeout: TimeoutCell::new(Limit::Default),
            local,
        }
    }

    /// The listener, or `ConnectionClosed` once closed.
    pub fn raw(&self, what: &str) -> SocketResult<Arc<RawListener>> {
        let guard = self.listener.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| SocketError::closed(what))
    }

    /// Waits for the next connection (no limit unless `settimeout` set one).
    pub fn accept(&self) -> SocketResult<StreamCore> {
        let raw = self.raw("accept")?;
        let (stream, local, peer) = net::wait("accept", self.timeout.effective(None), &self.life, async {
            raw.accept().await.map_err(|e| SocketError::io(format!("accept on {}", self.local), e))
        })?;
        Ok(StreamCore::new(stream, local, peer, Limit::Default))
    }

    /// Stops listening; a waiting `accept` fails with `ConnectionClosed`.
    pub fn close(&self) {
        self.life.close();
        let mut guard = self.listener.write().unwrap_or_else(|p| p.into_inner());
        guard.take();
    }
}
