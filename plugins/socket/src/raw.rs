//! Raw socket I/O under the byte streams: the connected socket itself (`RawStream`), its
//! blocking-or-fiber system calls cut into slices (so a wait honours the socket's timeout
//! and the interruption flag), and the OS listener (`RawListener`).

use crate::error::PROTOCOL;
use crate::net::{self};
use netscript_sdk::prelude::*;
use netscript_sdk::runtime;
use socket2::{SockRef, Socket};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

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
pub(crate) const SLICE: Duration = Duration::from_millis(200);

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
    pub(crate) fn read_into(&self, buf: &mut Vec<u8>, max: usize, slice: Duration) -> io::Result<usize> {
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
    pub(crate) fn write(&self, data: &[u8], slice: Duration) -> io::Result<usize> {
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
pub(crate) fn slice_over(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
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
