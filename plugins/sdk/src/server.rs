//! The one server handle every serving plugin returns (`socket::serve`, `http::serve`, …):
//! what it listens on, its counters, `stop()` and `wait()`. A plugin keeps a
//! [`ServerState`] in its handle type, has its accept loops watch [`ServerState::stopping`]
//! and call [`ServerState::loop_ended`], and registers the script face once with
//! [`register_handle`]: `.port`, `.local_addr`, `.running`, `.active`, `.served`, `.failed`,
//! `.stats()`, `.stop()`, `.wait()`, `.wait(seconds)`.

use crate::builder::ModuleBuilder;
use crate::error::{script_error, CommonError};
use rhai::{Dynamic, Map, Variant, INT};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// How long `stop()` waits for the accept loops to let go of the listener.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// A running (or stopped) server's shared state.
#[derive(Debug)]
pub struct ServerState {
    /// The address it listens on.
    pub local: SocketAddr,
    /// Connections (or requests) being handled now.
    pub active: AtomicUsize,
    /// Connections (or requests) handled so far.
    pub served: AtomicU64,
    /// Handlers that ended with an error so far.
    pub failed: AtomicU64,
    /// Accept loops still running; the last to end marks the server stopped.
    loops: AtomicUsize,
    stop: watch::Sender<bool>,
    stopped: watch::Sender<bool>,
}

impl ServerState {
    /// The state of a server on `local` with `loops` accept loops.
    pub fn new(local: SocketAddr, loops: usize) -> ServerState {
        ServerState {
            local,
            active: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            loops: AtomicUsize::new(loops),
            stop: watch::channel(false).0,
            stopped: watch::channel(false).0,
        }
    }

    /// Resolves once `stop()` was asked for: accept loops (and connections that should end
    /// with the server) select on it. Owns what it needs, so it can move into a task.
    pub fn stopping(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            let _ = rx.wait_for(|asked| *asked).await;
        }
    }

    /// One accept loop has ended; the last one marks the server stopped.
    pub fn loop_ended(&self) {
        if self.loops.fetch_sub(1, Ordering::SeqCst) == 1 {
            // `send_replace` stores the value even with nobody subscribed yet, so a later
            // `stop()` or `wait()` sees it.
            self.stopped.send_replace(true);
        }
    }

    /// Whether the server still accepts connections.
    pub fn is_running(&self) -> bool {
        !*self.stopped.borrow()
    }

    /// Stops accepting and waits (at most 5 s) until every accept loop has ended. Stopping
    /// twice is harmless. Errors: `Timeout`.
    pub fn stop(&self, protocol: &str) -> Result<(), CommonError> {
        self.stop.send_replace(true);
        let mut rx = self.stopped.subscribe();
        crate::runtime::block_on_timeout(protocol, "stop", STOP_WAIT, async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        })
    }

    /// Waits until the server stops; with `limit`, at most that long (true: it stopped).
    /// Errors: `Timeout` when interrupted (Ctrl-C), never for the limit itself.
    pub fn wait(&self, protocol: &str, limit: Option<Duration>) -> Result<bool, CommonError> {
        let mut rx = self.stopped.subscribe();
        let stopped = async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        };
        match limit {
            None => crate::runtime::block_on(protocol, stopped).map(|()| true),
            // The limit lives inside the wait so that Ctrl-C stays an error, not a `false`.
            Some(limit) => {
                crate::runtime::block_on(protocol, async move { tokio::time::timeout(limit, stopped).await.is_ok() })
            }
        }
    }

    /// `#{ local_addr, port, running, active, served, failed }`.
    pub fn stats(&self) -> Map {
        let mut map = Map::new();
        map.insert("local_addr".into(), self.local.to_string().into());
        map.insert("port".into(), Dynamic::from_int(INT::from(self.local.port())));
        map.insert("running".into(), self.is_running().into());
        map.insert("active".into(), Dynamic::from_int(self.active.load(Ordering::Relaxed) as INT));
        map.insert("served".into(), Dynamic::from_int(self.served.load(Ordering::Relaxed) as INT));
        map.insert("failed".into(), Dynamic::from_int(self.failed.load(Ordering::Relaxed) as INT));
        map
    }
}

/// Registers the shared script face of a server handle type `T` (see the module docs).
/// `made` is a script expression that makes one, for the examples
/// (`socket::serve("127.0.0.1", 0, |conn| conn.close())`).
pub fn register_handle<T>(m: &mut ModuleBuilder, protocol: &'static str, made: &str)
where
    T: Variant + Clone + AsRef<ServerState>,
{
    let doc = |text: &str, example: &str, errors: &str| {
        format!("{text}\n```rhai\nlet server = {made};\n{example}\n```\nErrors: {errors}")
    };
    m.getter(
        "port",
        &doc("The port the server listens on (the one picked when port 0 was asked).", "print(server.port);", "none."),
        |s: &mut T| INT::from(s.as_ref().local.port()),
    );
    m.getter(
        "local_addr",
        &doc(
            "The address the server listens on, as text (`\"127.0.0.1:7007\"`).",
            "print(server.local_addr);",
            "none.",
        ),
        |s: &mut T| s.as_ref().local.to_string(),
    );
    m.getter(
        "running",
        &doc(
            "Whether the server still accepts connections.",
            "server.stop();\nprint(server.running);   // false",
            "none.",
        ),
        |s: &mut T| s.as_ref().is_running(),
    );
    m.getter(
        "active",
        &doc("How many connections (requests) handlers are serving right now.", "print(server.active);", "none."),
        |s: &mut T| s.as_ref().active.load(Ordering::Relaxed) as INT,
    );
    m.getter(
        "served",
        &doc("How many connections (requests) the server has handled so far.", "print(server.served);", "none."),
        |s: &mut T| s.as_ref().served.load(Ordering::Relaxed) as INT,
    );
    m.getter(
        "failed",
        &doc("How many handlers ended with an error so far.", "print(server.failed);", "none."),
        |s: &mut T| s.as_ref().failed.load(Ordering::Relaxed) as INT,
    );
    m.method(
        "stats",
        &[],
        &doc(
            "The counters at once: `#{ local_addr, port, running, active, served, failed }`.",
            "print(server.stats().served);",
            "none.",
        ),
        |s: &mut T| s.as_ref().stats(),
    );
    m.method(
        "stop",
        &[],
        &doc(
            "Stops accepting connections and closes the listening socket (connections being served \
             finish on their own). Stopping twice is harmless.",
            "server.stop();",
            "`Timeout` (the accept loop did not end within 5 s).",
        ),
        move |s: &mut T| s.as_ref().stop(protocol).map_err(script_error),
    );
    m.method(
        "wait",
        &[],
        &doc(
            "Blocks until the server is stopped (by `stop()` elsewhere, or Ctrl-C).",
            "server.stop();\nserver.wait();",
            "`Timeout` when interrupted.",
        ),
        move |s: &mut T| s.as_ref().wait(protocol, None).map(|_| ()).map_err(script_error),
    );
    m.method(
        "wait",
        &["seconds"],
        &doc(
            "Blocks until the server stops or `seconds` pass; true when it stopped.",
            "if !server.wait(0.5) { print(\"still running\"); }",
            "`InvalidArgument` (not a positive number), `Timeout` when interrupted.",
        ),
        move |s: &mut T, seconds: Dynamic| {
            let limit = crate::timeout::positive_value(protocol, "wait: seconds", &seconds).map_err(script_error)?;
            s.as_ref().wait(protocol, Some(limit)).map_err(script_error)
        },
    );
}
