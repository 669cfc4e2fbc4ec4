//! `socket::serve(host, port, |conn| …)`: a TCP server whose connections each run the
//! script's handler concurrently.
//!
//! The accept loop is a task on the shared runtime; every accepted connection gets an OS
//! thread of its own for as long as its handler runs, because the handler is script code
//! that blocks in `recv`/`sendall` (the SDK's `block_on` must not run on a runtime thread,
//! which rules out `spawn_blocking`). Threads come from a pool that grows as needed and
//! keeps idle threads for a while, so a client per request does not pay for a new thread.
//! The handler runs through `host().call_fn`; when it returns the connection is closed,
//! and when it throws the error is logged and only that connection is closed.

use crate::error::{SocketError, SocketResult, PROTOCOL};
use crate::net::{self, Lifetime, Limit};
use crate::stream::{Endpoint, RawListener, StreamCore};
use crate::tcp::{self, TcpConnection};
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use netscript_sdk::runtime;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

/// Stack of a connection thread: room for deeply nested script code.
const HANDLER_STACK: usize = 8 << 20;
/// How long an idle connection thread waits for another connection before it ends.
const IDLE_THREAD: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<Job>,
    idle: usize,
}

/// Threads that run connection handlers, shared by every server of the process.
#[derive(Default)]
struct Pool {
    state: Mutex<PoolState>,
    ready: Condvar,
}

impl Pool {
    fn get() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(Pool::default)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `job` on an idle thread, or on a new one when every thread is busy.
    fn run(&'static self, job: Job) -> std::io::Result<()> {
        let mut state = self.lock();
        state.jobs.push_back(job);
        // Every queued job needs a waiting thread; threads woken but not yet running still
        // count as idle, so this never leaves a job without one.
        if state.idle >= state.jobs.len() {
            self.ready.notify_one();
            return Ok(());
        }
        drop(state);
        let spawned = std::thread::Builder::new()
            .name("netscript-conn".into())
            .stack_size(HANDLER_STACK)
            .spawn(move || self.work());
        if let Err(e) = spawned {
            // Leave nothing queued that no thread will take.
            self.lock().jobs.pop_back();
            return Err(e);
        }
        Ok(())
    }

    fn work(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                // A panicking job must not take the thread's loop with it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                state = self.lock();
                continue;
            }
            state.idle += 1;
            let (next, timeout) = self.ready.wait_timeout(state, IDLE_THREAD).unwrap_or_else(|p| p.into_inner());
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.jobs.is_empty() {
                return;
            }
        }
    }
}

/// A running (or stopped) server, shared by the clones of its handle.
#[derive(Clone)]
pub struct Server(Arc<ServerInner>);

struct ServerInner {
    local: SocketAddr,
    stop: Lifetime,
    stopped: watch::Sender<bool>,
    active: AtomicUsize,
    served: AtomicU64,
    failed: AtomicU64,
}

impl Server {
    fn describe(&self) -> String {
        let s = &self.0;
        let state = if *s.stopped.borrow() {
            "stopped".to_string()
        } else {
            format!("running, {} active", s.active.load(Ordering::Relaxed))
        };
        format!("Server({}, {state})", s.local)
    }

    /// Stops accepting and waits (at most 5 s) until the listening socket is closed.
    fn stop(&self) -> SocketResult<()> {
        let mut rx = self.0.stopped.subscribe();
        self.0.stop.close();
        let done = runtime::block_on_timeout(PROTOCOL, "stop", Duration::from_secs(5), async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        });
        match done {
            Ok(()) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits until the server stops; with `limit`, at most that long (true: it stopped).
    fn wait(&self, limit: Option<Duration>) -> SocketResult<bool> {
        let mut rx = self.0.stopped.subscribe();
        let stopped = async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        };
        let Some(limit) = limit else {
            runtime::block_on(PROTOCOL, stopped)?;
            return Ok(true);
        };
        // The limit lives inside the wait so that Ctrl-C stays an error, not a `false`.
        Ok(runtime::block_on(PROTOCOL, async move { tokio::time::timeout(limit, stopped).await.is_ok() })?)
    }
}

/// The text of a handler's error on one line: `kind: message` for a netscript error,
/// Rhai's own text otherwise, without the "in closure call" wrapping.
fn error_text(err: &EvalAltResult) -> String {
    let mut err = err;
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, _) = err {
        err = inner;
    }
    if let EvalAltResult::ErrorRuntime(value, pos) = err {
        let at = if pos.is_none() { String::new() } else { format!(" ({pos})") };
        if let Some(map) = value.read_lock::<Map>() {
            if let (Some(kind), Some(message)) = (map.get("kind"), map.get("message")) {
                return format!("{kind}: {message}{at}");
            }
        }
        return format!("{value}{at}");
    }
    err.to_string().replace('\n', " ")
}

/// Connections handled at once by default (`workers`); more wait in the accept backlog.
const DEFAULT_WORKERS: usize = 64;

/// Runs the handler for one connection on a pool thread; `permit` (one of the server's
/// `workers`) is given back when the handler ends.
fn spawn_handler(inner: Arc<ServerInner>, handler: FnPtr, conn: TcpConnection, permit: OwnedSemaphorePermit) {
    inner.active.fetch_add(1, Ordering::Relaxed);
    inner.served.fetch_add(1, Ordering::Relaxed);
    let job_inner = inner.clone();
    let job = Box::new(move || {
        let inner = job_inner;
        let peer = conn.0.peer.clone();
        let result = host().call_fn(&handler, vec![Dynamic::from(conn.clone())]);
        if let Err(err) = result {
            inner.failed.fetch_add(1, Ordering::Relaxed);
            eprintln!("socket::serve: handler for {peer} failed: {}", error_text(&err));
        }
        conn.0.close();
        inner.active.fetch_sub(1, Ordering::Relaxed);
        drop(permit);
    });
    if let Err(e) = Pool::get().run(job) {
        inner.active.fetch_sub(1, Ordering::Relaxed);
        eprintln!("socket::serve: cannot start a thread for a connection: {e}");
    }
}

/// The accept loop: until `stop()`, hand every connection to a handler thread. A
/// connection is accepted only once one of the `workers` is free: beyond that, clients wait
/// in the listen backlog and cost no thread.
async fn accept_loop(
    inner: Arc<ServerInner>,
    listener: Arc<RawListener>,
    handler: FnPtr,
    limit: Limit,
    workers: Arc<Semaphore>,
) {
    loop {
        let permit = tokio::select! {
            biased;
            _ = inner.stop.closed() => break,
            permit = workers.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            biased;
            _ = inner.stop.closed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, local, peer)) => {
                let conn = TcpConnection(Arc::new(StreamCore::new(stream, local, peer, limit)));
                spawn_handler(inner.clone(), handler.clone(), conn, permit);
            }
            Err(e) => {
                // Out of descriptors or a client that reset before accept: keep serving.
                eprintln!("socket::serve: accept on {}: {e}", inner.local);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    // `send` drops the value when nobody is subscribed yet; `send_replace` always stores it,
    // so a later `stop()` or `wait()` sees the server stopped (regression: stop timed out).
    inner.stopped.send_replace(true);
}

fn serve(host: &str, port: INT, handler: FnPtr, opts: Map) -> SocketResult<Server> {
    let opts = net::options("serve", opts, &["timeout", "backlog", "workers"])?;
    let limit = net::option_limit(&opts)?;
    let workers = match opts.int("workers")? {
        None => DEFAULT_WORKERS,
        Some(n) if (1..=4096).contains(&n) => n as usize,
        Some(n) => return Err(SocketError::invalid(format!("serve: workers must be 1-4096, not {n}"))),
    };
    let backlog = tcp::backlog_option(&opts)?;
    let core = tcp::listen(host, port, backlog)?;
    let Endpoint::Ip(local) = core.local else {
        return Err(SocketError::invalid("serve: the listener has no IP address"));
    };
    let listener = core.raw("serve")?;
    let (stopped, _) = watch::channel(false);
    let inner = Arc::new(ServerInner {
        local,
        stop: Lifetime::default(),
        stopped,
        active: AtomicUsize::new(0),
        served: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    // The loop owns the only other reference to the listener; `core` lets go of its own.
    core.close();
    runtime::runtime().spawn(accept_loop(inner.clone(), listener, handler, limit, Arc::new(Semaphore::new(workers))));
    Ok(Server(inner))
}

/// Registers `serve` and the `Server` handle.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<Server>("Server");
    m.func(
        "serve",
        &["host", "port", "handler"],
        r#"
        Serves TCP on `host:port`: each connection runs `handler(conn)` on a worker thread,
        up to 64 at once (the `workers` option), and is closed when the handler returns. A
        handler that throws is logged on stderr and closes only its connection; the server
        keeps serving. Port 0 picks a free port (`.port`). Returns a `Server` handle with
        `.port`, `.stop()` and `.wait()`. The handler gets its data as arguments only.

        ```rhai
        let server = socket::serve("127.0.0.1", 7007, |conn| {
            loop {
                let data = conn.recv(65536);
                if data.len() == 0 { break; }
                conn.sendall(data);
            }
        });
        print(`echo server on port ${server.port}`);
        server.wait();
        ```

        Errors: `InvalidArgument` (port outside 0-65535), `HostNotFound`, `IoError`
        (address in use, naming the address), `PermissionDenied` (`--allow-net`).
        "#,
        |host: &str, port: INT, handler: FnPtr| -> ScriptResult<Server> {
            serve(host, port, handler, Map::new()).map_err(script_error)
        },
    );
    m.func(
        "serve",
        &["host", "port", "handler", "options"],
        r#"
        `serve` with options: `timeout` (seconds; the default for every call on each
        connection, 30 s otherwise), `backlog` (pending connections, default 1024) and
        `workers` (connections handled at once, each on a thread, default 64: further
        clients wait in the backlog and cost no thread).

        ```rhai
        let server = socket::serve("::1", 0, |conn| conn.sendall(conn.read_line()), #{ timeout: 5 });
        ```

        Errors: `InvalidArgument` (unknown option, bad port, backlog or workers), `HostNotFound`,
        `IoError`, `PermissionDenied`.
        "#,
        |host: &str, port: INT, handler: FnPtr, opts: Map| -> ScriptResult<Server> {
            serve(host, port, handler, opts).map_err(script_error)
        },
    );
    m.getter(
        "port",
        r#"
        The port the server listens on (the one picked when port 0 was asked).

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        print(server.port);
        ```

        Errors: none.
        "#,
        |s: &mut Server| INT::from(s.0.local.port()),
    );
    m.getter(
        "local_addr",
        r#"
        The address the server listens on, as text (`"127.0.0.1:7007"`).

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        print(server.local_addr);
        ```

        Errors: none.
        "#,
        |s: &mut Server| s.0.local.to_string(),
    );
    m.getter(
        "running",
        r#"
        Whether the server still accepts connections.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        server.stop();
        print(server.running);   // false
        ```

        Errors: none.
        "#,
        |s: &mut Server| !*s.0.stopped.borrow(),
    );
    m.getter(
        "active",
        r#"
        How many connections handlers are serving right now.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        print(server.active);
        ```

        Errors: none.
        "#,
        |s: &mut Server| s.0.active.load(Ordering::Relaxed) as INT,
    );
    m.getter(
        "served",
        r#"
        How many connections the server has accepted so far.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        print(server.served);
        ```

        Errors: none.
        "#,
        |s: &mut Server| s.0.served.load(Ordering::Relaxed) as INT,
    );
    m.getter(
        "failed",
        r#"
        How many handlers ended with an error so far.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| throw "no");
        print(server.failed);
        ```

        Errors: none.
        "#,
        |s: &mut Server| s.0.failed.load(Ordering::Relaxed) as INT,
    );
    m.method(
        "stop",
        &[],
        r#"
        Stops accepting connections and closes the listening socket (connections being
        served finish on their own). Stopping twice is harmless.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        server.stop();
        ```

        Errors: `Timeout` (the accept loop did not end within 5 s).
        "#,
        |s: &mut Server| -> ScriptResult<()> { s.stop().map_err(script_error) },
    );
    m.method(
        "wait",
        &[],
        r#"
        Blocks until the server is stopped (by `stop()` elsewhere, or Ctrl-C).

        ```rhai
        let server = socket::serve("127.0.0.1", 7007, |conn| conn.sendall(conn.recv(1024)));
        server.wait();
        ```

        Errors: `Timeout` when interrupted.
        "#,
        |s: &mut Server| -> ScriptResult<()> { s.wait(None).map(|_| ()).map_err(script_error) },
    );
    m.method(
        "wait",
        &["seconds"],
        r#"
        Blocks until the server stops or `seconds` pass; true when it stopped.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        if !server.wait(1.5) { print("still running"); }
        ```

        Errors: `InvalidArgument` (not a positive number), `Timeout` when interrupted.
        "#,
        |s: &mut Server, seconds: Dynamic| -> ScriptResult<bool> {
            let limit = match net::parse_limit(&seconds).map_err(script_error)? {
                Limit::Seconds(secs) => Some(secs),
                _ => None,
            };
            s.wait(limit).map_err(script_error)
        },
    );
    m.pure_method(
        "to_string",
        &[],
        r#"
        The server as text: `Server(127.0.0.1:7007, running, 2 active)`.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        print(server);
        ```

        Errors: none.
        "#,
        |s: &mut Server| s.describe(),
    );
    m.pure_method(
        "to_debug",
        &[],
        r#"
        The server as text, for `debug()`.

        ```rhai
        let server = socket::serve("127.0.0.1", 0, |conn| conn.close());
        debug(server);
        ```

        Errors: none.
        "#,
        |s: &mut Server| s.describe(),
    );
}
