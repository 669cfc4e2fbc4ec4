//! `socket::serve(host, port, |conn| …)`: a TCP server whose connections each run the
//! script's handler concurrently.
//!
//! The accept loop is a task on the shared runtime; every accepted connection's handler
//! runs on a thread of the SDK's worker pool for as long as it runs, because the handler is
//! script code that blocks in `recv`/`sendall`. At most `workers` connections are handled
//! at once: the loop accepts only when a worker is free, so further clients wait in the
//! listen backlog. The handler runs through `host().call_fn`; when it returns the
//! connection is closed, and when it throws the error is logged and only that connection is
//! closed. The handle is the SDK's server handle (`netscript_sdk::server`).

use crate::error::{SocketError, SocketResult, PROTOCOL};
use crate::net::{self, Limit};
use crate::raw::{Endpoint, RawListener};
use crate::stream::StreamCore;
use crate::tcp::{self, TcpConnection};
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use netscript_sdk::runtime;
use netscript_sdk::server::ServerState;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A running (or stopped) server, shared by the clones of its handle.
#[derive(Clone)]
pub struct Server(Arc<ServerState>);

impl AsRef<ServerState> for Server {
    fn as_ref(&self) -> &ServerState {
        &self.0
    }
}

impl Server {
    fn describe(&self) -> String {
        let s = &self.0;
        let state = if s.is_running() {
            format!("running, {} active", s.active.load(Ordering::Relaxed))
        } else {
            "stopped".to_string()
        };
        format!("Server({}, {state})", s.local)
    }
}

/// Connections handled at once by default (`workers`); more wait in the accept backlog.
const DEFAULT_WORKERS: usize = 64;

/// Runs the handler for one connection on a pool thread; `permit` (one of the server's
/// `workers`) is given back when the handler ends.
fn spawn_handler(inner: Arc<ServerState>, handler: FnPtr, conn: TcpConnection, permit: OwnedSemaphorePermit) {
    inner.active.fetch_add(1, Ordering::Relaxed);
    inner.served.fetch_add(1, Ordering::Relaxed);
    let job_inner = inner.clone();
    let job = Box::new(move || {
        let inner = job_inner;
        let peer = conn.0.peer.clone();
        let result = host().call_fn(&handler, vec![Dynamic::from(conn.clone())]);
        if let Err(err) = result {
            inner.failed.fetch_add(1, Ordering::Relaxed);
            netscript_sdk::host().warn(
                PROTOCOL,
                &format!("socket::serve: handler for {peer} failed: {}", netscript_sdk::host().describe_failure(&err)),
            );
        }
        conn.0.close();
        inner.active.fetch_sub(1, Ordering::Relaxed);
        drop(permit);
    });
    if let Err(e) = netscript_sdk::workers::run(job) {
        inner.active.fetch_sub(1, Ordering::Relaxed);
        netscript_sdk::host().warn(PROTOCOL, &format!("socket::serve: cannot start a thread for a connection: {e}"));
    }
}

/// The accept loop: until `stop()`, hand every connection to a handler thread. A
/// connection is accepted only once one of the `workers` is free: beyond that, clients wait
/// in the listen backlog and cost no thread.
async fn accept_loop(
    inner: Arc<ServerState>,
    listener: Arc<RawListener>,
    handler: FnPtr,
    limit: Limit,
    workers: Arc<Semaphore>,
) {
    let stopping = inner.stopping();
    tokio::pin!(stopping);
    loop {
        let permit = tokio::select! {
            biased;
            _ = &mut stopping => break,
            permit = workers.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            biased;
            _ = &mut stopping => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, local, peer)) => {
                let conn = TcpConnection(Arc::new(StreamCore::new(stream, local, peer, limit)));
                spawn_handler(inner.clone(), handler.clone(), conn, permit);
            }
            Err(e) => {
                // Out of descriptors or a client that reset before accept: keep serving.
                netscript_sdk::host().warn(PROTOCOL, &format!("socket::serve: accept on {}: {e}", inner.local));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    inner.loop_ended();
}

fn serve(host: &str, port: INT, handler: FnPtr, opts: Map) -> SocketResult<Server> {
    // Handlers running at once call methods of captured objects without a lock each.
    let handler = netscript_sdk::closures::detach_handles(&handler);
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
    let inner = Arc::new(ServerState::new(local, 1));
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
        keeps serving. Port 0 picks a free port (`.port`). Returns a `Server` handle:
        `.port`, `.local_addr`, `.running`, `.active`, `.served`, `.failed`, `.stats()`,
        `.stop()`, `.wait()` and `.wait(seconds)`. The handler gets its data as arguments only.

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
    netscript_sdk::server::register_handle::<Server>(
        m,
        PROTOCOL,
        r#"socket::serve("127.0.0.1", 0, |conn| conn.close())"#,
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
