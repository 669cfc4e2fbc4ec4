//! Byte streams and listeners shared by TCP and Unix-domain sockets.
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
use netscript_sdk::error::CommonError;
use netscript_sdk::prelude::*;
use netscript_sdk::runtime;
use socket2::{SockRef, Socket};
use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::{Mutex, MutexGuard};

/// Default longest line `read_line()` returns before giving back a partial line.
pub const MAX_LINE: usize = 1 << 20;

/// One end of a connection or a listener, as scripts see it.
#[derive(Clone, Debug)]
pub enum Endpoint {
    /// An IP address and port.
    Ip(SocketAddr),
    /// A Unix socket path (`None`: an unnamed socket).
    Path(Option<String>),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(addr) => write!(f, "{addr}"),
            Self::Path(Some(path)) => f.write_str(path),
            Self::Path(None) => f.write_str(""),
        }
    }
}

impl Endpoint {
    /// The endpoint of a Unix socket address.
    pub fn of_unix(addr: &tokio::net::unix::SocketAddr) -> Self {
        Self::Path(addr.as_pathname().map(|p| p.to_string_lossy().into_owned()))
    }

    /// The port (0 for a path).
    pub fn port(&self) -> INT {
        match self {
            Self::Ip(addr) => INT::from(addr.port()),
            Self::Path(_) => 0,
        }
    }

    /// The host part: the IP as text, or the path.
    pub fn host(&self) -> String {
        match self {
            Self::Ip(addr) => addr.ip().to_string(),
            Self::Path(p) => p.clone().unwrap_or_default(),
        }
    }

    /// Python's address shape: `#{ host, port }` for IP, the path for Unix.
    pub fn script_value(&self) -> Dynamic {
        match self {
            Self::Ip(addr) => net::addr_map(addr).into(),
            Self::Path(p) => p.clone().unwrap_or_default().into(),
        }
    }
}

/// The OS stream under a connection: a TCP or Unix stream socket in blocking mode. On a
/// fiber (`parallel`, an HTTP handler) a call must not block the thread its sibling fibers
/// share: there the socket is read and written with `MSG_DONTWAIT`, and the fiber suspends
/// until the shared runtime reports it ready.
#[derive(Debug)]
pub struct RawStream {
    /// Readiness from the shared runtime, registered on the first call made on a fiber.
    /// (Declared before `socket`: it is deregistered before the socket closes.)
    readiness: OnceLock<Result<AsyncFd<Descriptor>, io::ErrorKind>>,
    socket: Socket,
    /// The `SO_RCVTIMEO` and `SO_SNDTIMEO` last set, in microseconds (0: not set).
    recv_slice: AtomicU64,
    send_slice: AtomicU64,
}

/// The longest one blocking call waits before the wait looks at the interruption flag.
const SLICE: Duration = Duration::from_millis(200);

/// Which way a call moves data.
#[derive(Clone, Copy)]
enum Direction {
    Recv,
    Send,
}

impl RawStream {
    /// Takes a connected TCP stream off the reactor.
    pub fn from_tcp(stream: tokio::net::TcpStream) -> io::Result<Self> {
        Self::from_socket(Socket::from(stream.into_std()?))
    }

    /// Takes a connected Unix stream off the reactor.
    pub fn from_unix(stream: tokio::net::UnixStream) -> io::Result<Self> {
        Self::from_socket(Socket::from(stream.into_std()?))
    }

    /// Wraps a connected socket, making it blocking.
    pub fn from_socket(socket: Socket) -> io::Result<Self> {
        socket.set_nonblocking(false)?;
        Ok(Self { readiness: OnceLock::new(), socket, recv_slice: AtomicU64::new(0), send_slice: AtomicU64::new(0) })
    }

    /// The socket's registration with the shared runtime (made on first use, once: a second
    /// registration of the descriptor would fail, and dropping it would undo the first).
    fn readiness(&self) -> io::Result<&AsyncFd<Descriptor>> {
        let registered = self.readiness.get_or_init(|| {
            let _context = runtime::runtime().enter();
            let interest = Interest::READABLE | Interest::WRITABLE;
            // SAFETY: the descriptor is `self.socket`'s, open for as long as `self` lives;
            // the registration is a field of `self` declared before the socket, so it is
            // dropped (deregistered) before the socket closes.
            unsafe { AsyncFd::register_with_interest(Descriptor(self.socket.as_raw_fd()), interest) }
                .map_err(|e| e.into_parts().1.kind())
        });
        registered.as_ref().map_err(|kind| io::Error::from(*kind))
    }

    /// Makes the next blocking call in `direction` give up after `slice`.
    fn set_slice(&self, direction: Direction, slice: Duration) -> io::Result<()> {
        let micros = slice.as_micros().clamp(1000, u128::from(u64::MAX)) as u64;
        let cell = match direction {
            Direction::Recv => &self.recv_slice,
            Direction::Send => &self.send_slice,
        };
        if cell.swap(micros, Ordering::Relaxed) != micros {
            let timeout = Some(Duration::from_micros(micros));
            match direction {
                Direction::Recv => self.socket.set_read_timeout(timeout)?,
                Direction::Send => self.socket.set_write_timeout(timeout)?,
            }
        }
        Ok(())
    }

    /// Reads at most `max` bytes onto the end of `buf`, without zeroing the room first;
    /// waits at most `slice` (then `WouldBlock`).
    fn read_into(&self, buf: &mut Vec<u8>, max: usize, slice: Duration) -> io::Result<usize> {
        buf.reserve(max);
        let len = buf.len();
        let spare = &mut buf.spare_capacity_mut()[..max];
        // A blocking recv on a plain thread; on a fiber a non-blocking one retried on readiness.
        let n = runtime::socket_call(
            PROTOCOL,
            || self.readiness(),
            Interest::READABLE,
            slice,
            |nonblocking| {
                if nonblocking {
                    self.socket.recv_with_flags(spare, libc::MSG_DONTWAIT)
                } else {
                    self.set_slice(Direction::Recv, slice)?;
                    self.socket.recv(spare)
                }
            },
        )?;
        // SAFETY: `recv` initialised the first `n` bytes of the spare capacity.
        unsafe { buf.set_len(len + n) };
        netscript_sdk::trace::payload(PROTOCOL, false, &buf[len..]);
        Ok(n)
    }

    /// Writes what the socket takes within `slice` (`MSG_NOSIGNAL`: a closed peer is an
    /// error, not a signal).
    fn write(&self, data: &[u8], slice: Duration) -> io::Result<usize> {
        let n = runtime::socket_call(
            PROTOCOL,
            || self.readiness(),
            Interest::WRITABLE,
            slice,
            |nonblocking| {
                if nonblocking {
                    self.socket.send_with_flags(data, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
                } else {
                    self.set_slice(Direction::Send, slice)?;
                    self.socket.send(data)
                }
            },
        )?;
        netscript_sdk::trace::payload(PROTOCOL, true, &data[..n]);
        Ok(n)
    }

    /// The socket, for options and shutdown.
    pub fn sock(&self) -> SockRef<'_> {
        SockRef::from(&self.socket)
    }
}

/// A socket's descriptor, borrowed for its readiness registration.
#[derive(Debug)]
struct Descriptor(RawFd);

impl AsRawFd for Descriptor {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// Whether a blocking call only ran out of its slice (or was interrupted by a signal).
fn slice_over(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

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

/// The OS listener under a listening socket.
#[derive(Debug)]
pub enum RawListener {
    /// TCP.
    Tcp(tokio::net::TcpListener),
    /// Unix domain.
    Unix(tokio::net::UnixListener),
}

impl RawListener {
    /// The socket, for options.
    pub fn sock(&self) -> SockRef<'_> {
        match self {
            Self::Tcp(l) => SockRef::from(l),
            Self::Unix(l) => SockRef::from(l),
        }
    }

    /// Waits for one connection.
    pub async fn accept(&self) -> io::Result<(RawStream, Endpoint, Endpoint)> {
        match self {
            Self::Tcp(l) => {
                let (stream, peer) = l.accept().await?;
                // Request/response traffic stalls behind Nagle's algorithm otherwise.
                let _ = stream.set_nodelay(true);
                let local = stream.local_addr().map(Endpoint::Ip)?;
                Ok((RawStream::from_tcp(stream)?, local, Endpoint::Ip(peer)))
            }
            Self::Unix(l) => {
                let (stream, peer) = l.accept().await?;
                let local = stream.local_addr().map(|a| Endpoint::of_unix(&a)).unwrap_or(Endpoint::Path(None));
                Ok((RawStream::from_unix(stream)?, local, Endpoint::of_unix(&peer)))
            }
        }
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

/// A script handle type backed by a [`StreamCore`].
pub trait Connection: Clone + Send + Sync + 'static {
    /// The type name scripts see.
    const TYPE: &'static str;
    /// A line of script that opens one, for the doc examples.
    const OPEN: &'static str;
    /// The shared stream.
    fn core(&self) -> &StreamCore;
}

/// Registers the methods every connection type has.
pub fn register_connection_methods<C: Connection>(m: &mut ModuleBuilder) {
    let t = C::TYPE;
    let open = C::OPEN;
    let doc = |summary: &str, body: &str, errors: &str| {
        format!("{summary}\n\n```rhai\n{open}\n{body}\n```\n\nErrors: {errors}")
    };
    m.method(
        "send",
        &["data"],
        &doc(
            &format!("Sends what the socket takes now of a blob (on a `{t}`); returns the byte count. Use `sendall` to send everything."),
            "let n = conn.send(\"hello\".to_blob());",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, data: Blob| -> ScriptResult<INT> {
            c.core().send(&data).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "send",
        &["text"],
        &doc(
            &format!("Sends what the socket takes now of a string's UTF-8 bytes (on a `{t}`); returns the byte count."),
            "conn.send(\"hello\\n\");",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, text: ImmutableString| -> ScriptResult<INT> {
            c.core().send(text.as_bytes()).map(|n| n as INT).map_err(script_error)
        },
    );
    m.method(
        "sendall",
        &["data"],
        &doc(
            &format!("Sends all of a blob on a `{t}`, waiting for room as needed."),
            "conn.sendall(blob(1024, 0x41));",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, data: Blob| -> ScriptResult<()> { c.core().sendall(&data).map_err(script_error) },
    );
    m.method(
        "sendall",
        &["text"],
        &doc(
            &format!("Sends all of a string (UTF-8) on a `{t}`."),
            "conn.sendall(\"GET / HTTP/1.0\\r\\n\\r\\n\");",
            "`ConnectionClosed` when closed or reset, `Timeout`, `IoError`.",
        ),
        |c: &mut C, text: ImmutableString| -> ScriptResult<()> {
            c.core().sendall(text.as_bytes()).map_err(script_error)
        },
    );
    m.method(
        "recv",
        &["n"],
        &doc(
            &format!("Receives at most `n` bytes from a `{t}` as a blob, waiting until some arrive. An empty blob means the peer closed its end (not an error)."),
            "let data = conn.recv(4096);\nif data.len() == 0 { print(\"peer closed\"); }",
            "`Timeout` after the socket's timeout (default 30 s), `ConnectionClosed` when closed locally or reset, `InvalidArgument` for a negative `n`.",
        ),
        |c: &mut C, n: INT| -> ScriptResult<Blob> {
            let n = net::byte_count(n, "recv").map_err(script_error)?;
            c.core().recv(n).map_err(script_error)
        },
    );
    m.method(
        "recv_text",
        &["n"],
        &doc(
            &format!("Receives at most `n` bytes from a `{t}` as text (a UTF-8 character split across reads is kept whole for the next call). `\"\"` means the peer closed its end."),
            "let text = conn.recv_text(4096);",
            "`Timeout`, `ConnectionClosed` when closed locally or reset, `InvalidArgument` for a negative `n`.",
        ),
        |c: &mut C, n: INT| -> ScriptResult<String> {
            let n = net::byte_count(n, "recv_text").map_err(script_error)?;
            c.core().recv_text(n).map_err(script_error)
        },
    );
    m.method(
        "read_line",
        &[],
        &doc(
            &format!("Reads one line from a `{t}`, through and including its `\\n`; `\"\"` at end of stream. A line longer than 1 MiB comes back in parts."),
            "let line = conn.read_line();\nif line == \"\" { print(\"closed\"); } else { line.trim(); print(line); }",
            "`Timeout`, `ConnectionClosed` when closed locally or reset.",
        ),
        |c: &mut C| -> ScriptResult<String> { c.core().read_line(MAX_LINE).map_err(script_error) },
    );
    m.method(
        "read_line",
        &["limit"],
        &doc(
            &format!("Reads one line from a `{t}`, at most `limit` bytes (Python's `readline(limit)`)."),
            "let line = conn.read_line(80);",
            "`Timeout`, `ConnectionClosed`, `InvalidArgument` for a limit below 1.",
        ),
        |c: &mut C, limit: INT| -> ScriptResult<String> {
            let limit = net::byte_count(limit, "read_line").map_err(script_error)?;
            if limit == 0 {
                return Err(script_error(SocketError::invalid("read_line: limit must be at least 1")));
            }
            c.core().read_line(limit).map_err(script_error)
        },
    );
    m.method(
        "settimeout",
        &["seconds"],
        &doc(
            &format!("Sets how long calls on a `{t}` may wait, in seconds (default 30); `()` waits without limit."),
            "conn.settimeout(2.5);",
            "`InvalidArgument` for zero, a negative number or a non-number.",
        ),
        |c: &mut C, value: Dynamic| -> ScriptResult<()> {
            let limit = net::parse_limit(&value).map_err(script_error)?;
            c.core().timeout.set(limit);
            Ok(())
        },
    );
    m.method(
        "gettimeout",
        &[],
        &doc(&format!("The timeout of a `{t}` in seconds, or `()` for none."), "print(conn.gettimeout());", "none."),
        |c: &mut C| -> Dynamic { c.core().timeout.script_value(Some(DEFAULT_TIMEOUT)) },
    );
    m.method(
        "shutdown",
        &[],
        &doc(
            &format!("Stops sending on a `{t}` (half-close): the peer reads end of stream, and replies can still be received."),
            "conn.sendall(\"request\");\nconn.shutdown();\nlet reply = conn.recv(65536);",
            "`ConnectionClosed` when already closed, `IoError`.",
        ),
        |c: &mut C| -> ScriptResult<()> { c.core().shutdown(SHUT_WR).map_err(script_error) },
    );
    m.method(
        "shutdown",
        &["how"],
        &doc(
            &format!("Shuts down receiving (`socket::SHUT_RD`), sending (`SHUT_WR`) or both (`SHUT_RDWR`) on a `{t}`."),
            "conn.shutdown(socket::SHUT_RDWR);",
            "`InvalidArgument` for another mode, `ConnectionClosed` when already closed.",
        ),
        |c: &mut C, how: INT| -> ScriptResult<()> { c.core().shutdown(how).map_err(script_error) },
    );
    m.method(
        "close",
        &[],
        &doc(
            &format!("Closes a `{t}`; every copy of the handle sees it closed and calls waiting on it fail with `ConnectionClosed`. Closing twice is harmless."),
            "conn.close();",
            "none.",
        ),
        |c: &mut C| c.core().close(),
    );
    m.getter(
        "closed",
        &doc(&format!("Whether `close()` was called on this `{t}`."), "print(conn.closed);", "none."),
        |c: &mut C| c.core().is_closed(),
    );
    m.getter(
        "peer_addr",
        &doc(
            &format!("The other end of a `{t}` as text (`\"127.0.0.1:5000\"`, `\"[::1]:5000\"`, or a path)."),
            "print(`connected to ${conn.peer_addr}`);",
            "none.",
        ),
        |c: &mut C| c.core().peer.to_string(),
    );
    m.getter(
        "local_addr",
        &doc(&format!("This end of a `{t}` as text."), "print(conn.local_addr);", "none."),
        |c: &mut C| c.core().local.to_string(),
    );
    m.getter(
        "peer_host",
        &doc(&format!("The other end's IP address (or path) of a `{t}`."), "print(conn.peer_host);", "none."),
        |c: &mut C| c.core().peer.host(),
    );
    m.getter(
        "peer_port",
        &doc(&format!("The other end's port of a `{t}` (0 for Unix sockets)."), "print(conn.peer_port);", "none."),
        |c: &mut C| c.core().peer.port(),
    );
    m.getter(
        "local_port",
        &doc(&format!("This end's port of a `{t}` (0 for Unix sockets)."), "print(conn.local_port);", "none."),
        |c: &mut C| c.core().local.port(),
    );
    m.method(
        "getpeername",
        &[],
        &doc(
            &format!("Python's `getpeername()` on a `{t}`: `#{{host, port}}`, or the path."),
            "let peer = conn.getpeername();\nprint(peer.host);",
            "none.",
        ),
        |c: &mut C| c.core().peer.script_value(),
    );
    m.method(
        "getsockname",
        &[],
        &doc(
            &format!("Python's `getsockname()` on a `{t}`: `#{{host, port}}`, or the path."),
            "print(conn.getsockname().port);",
            "none.",
        ),
        |c: &mut C| c.core().local.script_value(),
    );
    m.pure_method(
        "to_string",
        &[],
        &doc(&format!("The `{t}` as text: its two ends and state."), "print(conn);", "none."),
        |c: &mut C| describe_connection(C::TYPE, c.core()),
    );
    m.pure_method(
        "to_debug",
        &[],
        &doc(&format!("The `{t}` as text, for `debug()`."), "debug(conn);", "none."),
        |c: &mut C| describe_connection(C::TYPE, c.core()),
    );
}

/// `TcpConnection(127.0.0.1:40000 -> 127.0.0.1:7007)`, with `closed` once closed.
pub fn describe_connection(type_name: &str, core: &StreamCore) -> String {
    let state = if core.is_closed() { ", closed" } else { "" };
    format!("{type_name}({} -> {}{state})", core.local, core.peer)
}

/// `TcpListener(127.0.0.1:7007)`.
pub fn describe_listener(type_name: &str, core: &ListenerCore) -> String {
    let state = if core.life.is_closed() { ", closed" } else { "" };
    format!("{type_name}({}{state})", core.local)
}

/// A script handle type backed by a [`ListenerCore`].
pub trait Listening: Clone + Send + Sync + 'static {
    /// The type name scripts see.
    const TYPE: &'static str;
    /// A line of script that opens one, for the doc examples.
    const OPEN: &'static str;
    /// The connection type `accept()` returns.
    type Conn: Connection;
    /// The shared listener.
    fn core(&self) -> &ListenerCore;
    /// Wraps an accepted stream.
    fn wrap(core: StreamCore) -> Self::Conn;
}

/// Registers the methods every listener type has.
pub fn register_listener_methods<L: Listening>(m: &mut ModuleBuilder) {
    let t = L::TYPE;
    let open = L::OPEN;
    let conn = <L::Conn as Connection>::TYPE;
    let doc = |summary: &str, body: &str, errors: &str| {
        format!("{summary}\n\n```rhai\n{open}\n{body}\n```\n\nErrors: {errors}")
    };
    m.method(
        "accept",
        &[],
        &doc(
            &format!("Waits for the next client of a `{t}` and returns its `{conn}` (with `.peer_addr`). Waits without limit unless `settimeout` was called; Ctrl-C interrupts."),
            "let conn = listener.accept();\nprint(`client ${conn.peer_addr}`);\nconn.sendall(\"hello\\n\");\nconn.close();",
            "`Timeout` after `settimeout`'s limit, `ConnectionClosed` once the listener is closed, `IoError`.",
        ),
        |l: &mut L| -> ScriptResult<L::Conn> {
            l.core().accept().map(L::wrap).map_err(script_error)
        },
    );
    m.method(
        "settimeout",
        &["seconds"],
        &doc(
            &format!("Sets how long `accept` on a `{t}` waits, in seconds; `()` (the default) waits without limit."),
            "listener.settimeout(5);",
            "`InvalidArgument` for zero, a negative number or a non-number.",
        ),
        |l: &mut L, value: Dynamic| -> ScriptResult<()> {
            let limit = net::parse_limit(&value).map_err(script_error)?;
            l.core().timeout.set(limit);
            Ok(())
        },
    );
    m.method(
        "gettimeout",
        &[],
        &doc(&format!("The accept timeout of a `{t}`, or `()` for none."), "print(listener.gettimeout());", "none."),
        |l: &mut L| -> Dynamic { l.core().timeout.script_value(None) },
    );
    m.method(
        "close",
        &[],
        &doc(
            &format!("Stops a `{t}` listening; a waiting `accept` fails with `ConnectionClosed`."),
            "listener.close();",
            "none.",
        ),
        |l: &mut L| l.core().close(),
    );
    m.getter(
        "closed",
        &doc(&format!("Whether the `{t}` was closed."), "print(listener.closed);", "none."),
        |l: &mut L| l.core().life.is_closed(),
    );
    m.getter(
        "local_addr",
        &doc(&format!("The address a `{t}` listens on, as text."), "print(listener.local_addr);", "none."),
        |l: &mut L| l.core().local.to_string(),
    );
    m.getter(
        "port",
        &doc(
            &format!("The port a `{t}` listens on (the one picked when port 0 was asked; 0 for Unix sockets)."),
            "print(listener.port);",
            "none.",
        ),
        |l: &mut L| l.core().local.port(),
    );
    m.method(
        "getsockname",
        &[],
        &doc(
            &format!("Python's `getsockname()` on a `{t}`: `#{{host, port}}`, or the path."),
            "print(listener.getsockname());",
            "none.",
        ),
        |l: &mut L| l.core().local.script_value(),
    );
    m.pure_method("to_string", &[], &doc(&format!("The `{t}` as text."), "print(listener);", "none."), |l: &mut L| {
        describe_listener(L::TYPE, l.core())
    });
    m.pure_method(
        "to_debug",
        &[],
        &doc(&format!("The `{t}` as text, for `debug()`."), "debug(listener);", "none."),
        |l: &mut L| describe_listener(L::TYPE, l.core()),
    );
}
