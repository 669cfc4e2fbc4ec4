//! The HTTP servers: `http::serve(host, port, handler)` and the machinery `serve_dir` shares
//! (listener, connections, limits, TLS, the `HttpServer` handle).
//!
//! Connections are hyper tasks (HTTP/1.1 keep-alive, HTTP/2 over TLS or prior knowledge).
//! `serve_dir` runs them on the shared runtime. `serve` runs one server thread per core
//! (`workers`), each accepting on its own copy of the listening socket with a runtime of
//! its own; a request is read whole (within the body limit) and its handler runs on a fiber
//! of that same thread, started inline by the connection's task (`netscript_sdk::fibers`), so
//! a request is read, handled and answered with no hand-off. A handler waiting on the network
//! or `sleep` suspends its fiber and the thread serves others meanwhile; a busy one is paused
//! now and then by the host. `stop()` closes the listener at once; the requests in flight
//! are still answered (within the handler time limit), then every connection closes. A
//! handler past its time limit answers 503 and is cancelled (its script stops at its next
//! progress tick or wait). A handler that throws answers 500 and is logged; the server goes
//! on. Slow clients cost a parked task, not a thread: a header read timeout closes them.

use crate::body::{full, simple, Body};
use crate::error::{HttpError, HttpResult, PROTOCOL};
use crate::request::{reply_from, HttpRequest, Reply, RequestData};
use crate::static_files::DirService;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use netscript_sdk::server::ServerState;
use netscript_sdk::{fibers, runtime};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Options both servers take.
pub const SERVER_KEYS: &[&str] = &["header_timeout", "max_header_size", "cert_file", "key_file", "backlog"];

/// Limits and TLS of one server.
#[derive(Clone)]
pub struct ServerOptions {
    /// Seconds a client has to send a request head.
    pub header_timeout: Duration,
    /// Largest request head (bytes); larger → 431.
    pub max_header_size: usize,
    /// TLS (HTTPS) when set.
    pub tls: Option<Arc<netscript_sdk::tls::rustls::ServerConfig>>,
    /// Listen backlog.
    pub backlog: u32,
}

/// Reads the options both servers share.
pub fn server_options(opts: &Options) -> HttpResult<ServerOptions> {
    let max_header_size = match opts.int("max_header_size")? {
        None => 64 * 1024,
        Some(n) if (8192..=16 << 20).contains(&n) => n as usize,
        Some(n) => return Err(HttpError::invalid(format!("max_header_size must be 8192-16777216, not {n}"))),
    };
    let tls = match (opts.string("cert_file")?, opts.string("key_file")?) {
        (Some(cert), Some(key)) => {
            Some(netscript_sdk::tls::server_config(PROTOCOL, &cert, &key, &[b"h2", b"http/1.1"])?)
        }
        (None, None) => None,
        _ => return Err(HttpError::invalid("give both cert_file and key_file for HTTPS")),
    };
    let backlog = match opts.int("backlog")? {
        None => 1024,
        Some(n) if (1..=65535).contains(&n) => n as u32,
        Some(n) => return Err(HttpError::invalid(format!("backlog must be 1-65535, not {n}"))),
    };
    Ok(ServerOptions {
        header_timeout: opts.duration("header_timeout", Duration::from_secs(10))?,
        max_header_size,
        tls,
        backlog,
    })
}

/// What answers the requests.
pub enum App {
    /// A script handler on the worker pool.
    Script(ScriptApp),
    /// Static files.
    Dir(DirService),
}

/// The scripted handler and its limits.
pub struct ScriptApp {
    handler: FnPtr,
    max_body: usize,
    handler_timeout: Duration,
    /// Server threads.
    threads: usize,
}

/// A running (or stopped) server, shared by the clones of its handle.
#[derive(Clone)]
pub struct HttpServer(Arc<ServerInner>);

struct ServerInner {
    /// The SDK's server state: address, counters, stop and wait.
    state: ServerState,
    /// `http` or `https`.
    kind: &'static str,
}

impl AsRef<ServerState> for HttpServer {
    fn as_ref(&self) -> &ServerState {
        &self.0.state
    }
}

impl HttpServer {
    fn describe(&self) -> String {
        let s = &self.0.state;
        let state = if s.is_running() { "running" } else { "stopped" };
        format!("HttpServer({} on {}, {state}, {} requests)", self.0.kind, s.local, s.served.load(Ordering::Relaxed))
    }
}

/// Calls the script handler and turns its value (or error) into a reply.
fn run_handler(handler: &FnPtr, failed: &AtomicU64, request: HttpRequest) -> Reply {
    let what = request.clone();
    let outcome = host().call_fn(handler, vec![Dynamic::from(request)]);
    let reply = outcome
        .map_err(|e| host().describe_failure(&e))
        .and_then(|value| reply_from(value).map_err(|e| format!("{}: {e}", netscript_sdk::ScriptError::kind(&e))));
    match reply {
        Ok(reply) => reply,
        Err(text) => {
            failed.fetch_add(1, Ordering::Relaxed);
            host().warn(
                PROTOCOL,
                &format!("http::serve: handler for {} {} failed: {text}", what.0.method, what.0.target()),
            );
            Reply::text(500, "500 Internal Server Error")
        }
    }
}

/// Answers one request of a scripted server.
async fn script_request(
    app: &ScriptApp,
    server: &Arc<ServerInner>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Body> {
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_body as u64) {
        return too_large(app.max_body);
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, app.max_body).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(app.max_body),
        Err(e) => return simple(StatusCode::BAD_REQUEST, &format!("400 Bad Request: {e}")),
    };
    let request = HttpRequest(Arc::new(RequestData {
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
        headers: parts.headers,
        body,
        peer,
    }));
    let (handler, server) = (app.handler.clone(), server.clone());
    let deadline = tokio::time::Instant::now() + app.handler_timeout;
    // The handler runs at once on a fiber of this thread; only one that waits is handed to
    // the thread's fiber runner and watched by a timer.
    let (reply, cancel) = match fibers::start(move || run_handler(&handler, &server.state.failed, request)) {
        Ok(fibers::Started::Done(Ok(reply))) => return into_response(reply),
        Ok(fibers::Started::Done(Err(_))) => {
            return simple(StatusCode::INTERNAL_SERVER_ERROR, "500 Internal Server Error")
        }
        Ok(fibers::Started::Waiting(waiting)) => waiting,
        Err(e) => {
            host().warn(PROTOCOL, &format!("http::serve: cannot run the handler: {}", e.message));
            return simple(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable");
        }
    };
    // Past the limit the client gets 503 and the handler is cancelled: its script stops at
    // its next progress tick or wait.
    match tokio::time::timeout_at(deadline, reply).await {
        Ok(Ok(Ok(reply))) => into_response(reply),
        Ok(_) => simple(StatusCode::INTERNAL_SERVER_ERROR, "500 Internal Server Error"),
        Err(_) => {
            cancel.cancel();
            simple(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable: the handler took too long")
        }
    }
}

fn too_large(limit: usize) -> Response<Body> {
    let mut resp = simple(StatusCode::PAYLOAD_TOO_LARGE, &format!("413 Content Too Large (limit {limit} bytes)"));
    resp.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
    resp
}

fn into_response(reply: Reply) -> Response<Body> {
    let mut resp = Response::new(full(reply.body));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    for (k, v) in reply.headers {
        // The body's length is hyper's to state: a handler's own would lie when it is wrong.
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        match (hyper::header::HeaderName::from_bytes(k.as_bytes()), hyper::header::HeaderValue::from_str(&v)) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => {
                host().warn(PROTOCOL, &format!("http::serve: handler gave an invalid header '{k}'"));
                return simple(StatusCode::INTERNAL_SERVER_ERROR, "500 Internal Server Error");
            }
        }
    }
    if let Some(default_type) = reply.default_type {
        if !headers.contains_key(hyper::header::CONTENT_TYPE) {
            headers.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(default_type));
        }
    }
    resp
}

/// `--trace http` on the server side: a request (`<`) or response (`>`) head, credential
/// headers masked.
fn trace_head(mark: &str, first: &str, headers: &hyper::HeaderMap) {
    let line = |text: &str| match mark {
        "<" => netscript_sdk::trace::received_as(PROTOCOL, "server", text),
        _ => netscript_sdk::trace::sent_as(PROTOCOL, "server", text),
    };
    line(first);
    for (name, value) in headers {
        line(&netscript_sdk::trace::header(name.as_str(), &String::from_utf8_lossy(value.as_bytes())));
    }
}

/// Resolves `host`, checks the permission and binds a listener.
fn bind(host: &str, port: INT, backlog: u32) -> HttpResult<tokio::net::TcpListener> {
    let port = u16::try_from(port).map_err(|_| HttpError::invalid(format!("port {port} is outside 0-65535")))?;
    let addrs = netscript_sdk::net::resolve_checked_now(PROTOCOL, host, port, Duration::from_secs(30))?;
    let addr = addrs[0];
    let listener = runtime::block_on(PROTOCOL, async move {
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(backlog)
    })?;
    listener.map_err(|e| HttpError::io(&format!("listen on {addr}"), &e))
}

/// Binds and starts serving `app`: static files on the shared runtime, a script handler on
/// server threads of its own.
pub fn start(host: &str, port: INT, opts: ServerOptions, app: App) -> HttpResult<HttpServer> {
    let listener = bind(host, port, opts.backlog)?;
    let local = listener.local_addr().map_err(|e| HttpError::io("local address", &e))?;
    let kind = if opts.tls.is_some() { "https" } else { "http" };
    let threads = match &app {
        App::Script(s) => s.threads,
        App::Dir(_) => 1,
    };
    let inner = Arc::new(ServerInner { state: ServerState::new(local, threads), kind });
    let app = Arc::new(app);
    if let App::Dir(_) = &*app {
        runtime::runtime().spawn(accept_loop(inner.clone(), listener, app, opts));
        return Ok(HttpServer(inner));
    }
    // Each server thread accepts on its own descriptor of the socket, registered with its
    // own runtime; the kernel wakes the threads and one of them gets the connection.
    let listen_error = |e: std::io::Error| HttpError::io(&format!("listen on {local}"), &e);
    let listener = listener.into_std().map_err(listen_error)?;
    // All descriptors first: a failure here leaves nothing running.
    let copies = (0..threads).map(|_| listener.try_clone()).collect::<Result<Vec<_>, _>>().map_err(listen_error)?;
    drop(listener);
    for (n, copy) in copies.into_iter().enumerate() {
        let (server, app, opts) = (inner.clone(), app.clone(), opts.clone());
        // Server threads come from the SDK's worker pool, as every thread that runs script code.
        let spawned = netscript_sdk::workers::run(Box::new(move || {
            let ended = server.clone();
            let served = fibers::run_with_fibers(async move {
                match tokio::net::TcpListener::from_std(copy) {
                    Ok(listener) => accept_loop(server, listener, app, opts).await,
                    Err(e) => {
                        netscript_sdk::host()
                            .warn(PROTOCOL, &format!("http::serve: cannot listen on {}: {e}", server.state.local));
                        server.state.loop_ended();
                    }
                }
            });
            if let Err(e) = served {
                netscript_sdk::host().warn(PROTOCOL, &format!("http::serve: server thread: {}", e.message));
                ended.state.loop_ended();
            }
        }));
        if let Err(e) = spawned {
            if n == 0 {
                return Err(HttpError::io("start a server thread", &e));
            }
            // Serve with the threads that did start.
            for _ in n..threads {
                inner.state.loop_ended();
            }
            break;
        }
    }
    Ok(HttpServer(inner))
}

/// The start of an HTTP/2 prior-knowledge connection.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Waits for a plain connection's first bytes: `Some(true)` when they may open HTTP/2 (prior
/// knowledge), `Some(false)` for HTTP/1, `None` when the peer closed or failed. Peeking (not
/// reading) leaves the bytes for hyper, and no buffers are allocated for a silent client.
async fn may_be_h2(stream: &tokio::net::TcpStream) -> Option<bool> {
    let mut first = [0u8; 24];
    match stream.peek(&mut first).await {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(H2_PREFACE.starts_with(&first[..n])),
    }
}

async fn accept_loop(inner: Arc<ServerInner>, listener: tokio::net::TcpListener, app: Arc<App>, opts: ServerOptions) {
    let header_timeout = opts.header_timeout;
    // HTTP/1 or HTTP/2, as the connection asks: TLS (ALPN) and plain connections that start
    // like HTTP/2.
    let mut auto = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    auto.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(opts.max_header_size)
        .keep_alive(true);
    auto.http2().timer(TokioTimer::new()).max_header_list_size(opts.max_header_size as u32);
    // Plain HTTP/1 (nearly every plain connection): hyper's HTTP/1 server directly, without
    // the version sniffing and its buffer.
    let mut h1 = hyper::server::conn::http1::Builder::new();
    h1.timer(TokioTimer::new()).header_read_timeout(header_timeout).max_buf_size(opts.max_header_size).keep_alive(true);
    let builders = Arc::new((auto, h1));
    let acceptor = opts.tls.clone().map(netscript_sdk::tls::tokio_rustls::TlsAcceptor::from);
    let stopping = inner.state.stopping();
    tokio::pin!(stopping);
    // The connections of this loop: drained and then ended with it, so a stopped server
    // leaves no connection open (a server thread's runtime is not driven any more once its
    // loop has ended: a keep-alive client would wait for an answer that never comes). They
    // watch this loop's own drain signal, not the server's `stopping` (shared by every
    // thread, it would cost a contended lock on every poll).
    let drain = tokio::sync::watch::Sender::new(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut stopping => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of descriptors or a client that reset before accept: keep serving.
                host().warn(PROTOCOL, &format!("accept on {}: {e}", inner.state.local));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (app, builders, inner2, acceptor) = (app.clone(), builders.clone(), inner.clone(), acceptor.clone());
        let mut draining = drain.subscribe();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let app = app.clone();
                let inner = inner2.clone();
                async move {
                    inner.state.served.fetch_add(1, Ordering::Relaxed);
                    let _active = Active::enter(&inner.state);
                    let traced = netscript_sdk::trace::enabled(PROTOCOL);
                    if traced {
                        trace_head("<", &format!("{} {} {:?}", req.method(), req.uri(), req.version()), req.headers());
                    }
                    let resp = match &*app {
                        App::Script(s) => script_request(s, &inner, req, peer).await,
                        App::Dir(d) => d.handle(req).await,
                    };
                    if traced {
                        trace_head(">", &format!("{:?} {}", resp.version(), resp.status()), resp.headers());
                    }
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            // The rare paths (TLS, HTTP/2) are boxed so that the task of a plain HTTP/1
            // connection — most of them, and each idle keep-alive one — stays small.
            let (auto, h1) = &*builders;
            match acceptor {
                Some(acceptor) => {
                    Box::pin(async move {
                        let Ok(Ok(tls)) = tokio::time::timeout(header_timeout, acceptor.accept(stream)).await else {
                            return;
                        };
                        serve_until_drained(auto.serve_connection(TokioIo::new(tls), service), &mut draining).await;
                    })
                    .await
                }
                None => {
                    let first = tokio::select! {
                        first = tokio::time::timeout(header_timeout, may_be_h2(&stream)) => first,
                        _ = draining.changed() => return,
                    };
                    let Ok(Some(h2)) = first else { return };
                    if h2 {
                        Box::pin(async move {
                            serve_until_drained(auto.serve_connection(TokioIo::new(stream), service), &mut draining)
                                .await;
                        })
                        .await
                    } else {
                        serve_until_drained(h1.serve_connection(TokioIo::new(stream), service), &mut draining).await;
                    }
                }
            }
        });
    }
    // Stopped: the listener closes at once (`stop()` returns), then the requests being
    // served finish and are answered — idle keep-alive connections close — within the grace
    // period; whatever is left after it is cut.
    drop(listener);
    inner.state.loop_ended();
    let _ = drain.send(true);
    let grace = match &*app {
        App::Script(s) => s.handler_timeout,
        App::Dir(_) => header_timeout,
    };
    let _ = tokio::time::timeout(grace, async { while connections.join_next().await.is_some() {} }).await;
    connections.shutdown().await;
}

/// Serves a connection; once its loop drains (the server stopped), the requests in flight
/// are answered and the connection closes.
async fn serve_until_drained<C: hyper_util::server::graceful::GracefulConnection>(
    connection: C,
    draining: &mut tokio::sync::watch::Receiver<bool>,
) {
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = draining.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Counts a request in `.active` while it is being answered.
struct Active<'a>(&'a ServerState);

impl<'a> Active<'a> {
    fn enter(state: &'a ServerState) -> Self {
        state.active.fetch_add(1, Ordering::Relaxed);
        Active(state)
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Registers `serve` and the `HttpServer` handle.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<HttpServer>("HttpServer");
    let doc = r#"
        Serves HTTP on `host:port`; each request runs `handler(req)` (an `HttpRequest`),
        concurrently with the others: on one server thread per core, where a handler that
        waits (network, `sleep`) lets the thread serve other requests meanwhile. The handler returns a map
        `#{ status, headers, body }` (body a string, a blob, or a map/array sent as JSON), a
        string or blob alone (200), any other map or array (200, JSON), or `()` (204). A
        handler that throws answers 500 and is logged; one that runs past `handler_timeout`
        answers 503. Keep-alive, chunked request bodies and HTTP/2 (with TLS or prior
        knowledge) are handled. Port 0 picks a free port. Returns an `HttpServer`: `.url`,
        `.port`, `.local_addr`, `.running`, `.active`, `.served`, `.failed`, `.stats()`,
        `.stop()`, `.wait()` and `.wait(seconds)`; a handler past its limit is cancelled.

        Options: `max_body` (bytes, default 10 MiB; larger → 413), `handler_timeout`
        (seconds, default 30), `header_timeout` (seconds a client has to send its headers,
        default 10), `max_header_size` (bytes, default 64 KiB; larger → 431), `workers`
        (server threads, default one per core), `backlog`, `cert_file` + `key_file` (PEM: HTTPS).

        ```rhai
        let server = http::serve("127.0.0.1", 8080, |req| {
            if req.path == "/hello" { `hello ${req.query.name}` }
            else { #{ status: 404, body: "not found" } }
        }, #{ max_body: 1048576 });
        print(`listening on ${server.port}`);
        server.wait();
        ```

        Errors: `InvalidArgument` (port, option), `HostNotFound`, `IoError` (address in use),
        `TlsError` (certificate or key), `PermissionDenied` (`--allow-net`, `--allow-read`)."#;
    m.func(
        "serve",
        &["host", "port", "handler"],
        doc,
        |host: &str, port: INT, handler: FnPtr| -> ScriptResult<HttpServer> {
            serve(host, port, handler, Map::new()).map_err(script_error)
        },
    );
    m.func(
        "serve",
        &["host", "port", "handler", "options"],
        doc,
        |host: &str, port: INT, handler: FnPtr, opts: Map| -> ScriptResult<HttpServer> {
            serve(host, port, handler, opts).map_err(script_error)
        },
    );
    netscript_sdk::server::register_handle::<HttpServer>(m, PROTOCOL, r#"http::serve("127.0.0.1", 0, |req| "ok")"#);
    m.getter(
        "url",
        r#"
        The server's base URL (`"http://127.0.0.1:8080/"`).
        ```rhai
        let server = http::serve("127.0.0.1", 0, |req| "ok");
        print(http::get(server.url).text);
        ```
        Errors: none."#,
        |s: &mut HttpServer| {
            let host = match s.0.state.local.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            };
            format!("{}://{host}:{}/", s.0.kind, s.0.state.local.port())
        },
    );
    m.pure_method(
        "to_string",
        &[],
        r#"
        The server as text: `HttpServer(http on 127.0.0.1:8080, running, 12 requests)`.
        ```rhai
        print(http::serve("127.0.0.1", 0, |req| "ok"));
        ```
        Errors: none."#,
        |s: &mut HttpServer| s.describe(),
    );
    m.pure_method(
        "to_debug",
        &[],
        r#"
        The server as text, for `debug()`.
        ```rhai
        debug(http::serve("127.0.0.1", 0, |req| "ok"));
        ```
        Errors: none."#,
        |s: &mut HttpServer| s.describe(),
    );
}

fn serve(host: &str, port: INT, handler: FnPtr, opts: Map) -> HttpResult<HttpServer> {
    // Handlers running at once call methods of captured objects without a lock each.
    let handler = netscript_sdk::closures::detach_handles(&handler);
    let allowed: Vec<&str> = SERVER_KEYS.iter().copied().chain(["max_body", "handler_timeout", "workers"]).collect();
    let opts = Options::parse(PROTOCOL, "serve", opts, &allowed)?;
    let server_opts = server_options(&opts)?;
    let max_body = match opts.int("max_body")? {
        None => 10 << 20,
        Some(n) if n >= 0 => n as usize,
        Some(n) => return Err(HttpError::invalid(format!("max_body must be >= 0, not {n}"))),
    };
    let threads = match opts.int("workers")? {
        None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        Some(n) if (1..=1024).contains(&n) => n as usize,
        Some(n) => return Err(HttpError::invalid(format!("workers must be 1-1024, not {n}"))),
    };
    let handler_timeout = opts.duration("handler_timeout", Duration::from_secs(30))?;
    let app = ScriptApp { handler, max_body, handler_timeout, threads };
    start(host, port, server_opts, App::Script(app))
}
fn serve_dir(host: &str, port: INT, dir: &str, opts: Map) -> HttpResult<HttpServer> {
    let allowed: Vec<&str> = SERVER_KEYS.iter().copied().chain(["listing"]).collect();
    let opts = Options::parse(PROTOCOL, "serve_dir", opts, &allowed)?;
    let server_opts = server_options(&opts)?;
    let listing = opts.bool("listing", true)?;
    let checked = netscript_sdk::host().check_read(Path::new(dir))?;
    let root = checked.canonicalize().map_err(|e| HttpError::io(&format!("serve_dir {dir}"), &e))?;
    if !root.is_dir() {
        return Err(HttpError::invalid(format!("serve_dir: {dir} is not a directory")));
    }
    start(host, port, server_opts, App::Dir(DirService::new(root, listing)))
}

/// Registers `serve_dir`.
pub fn register_serve_dir(m: &mut ModuleBuilder) {
    let doc = r#"
        Serves the files under `dir` on `host:port`, like Python's `SimpleHTTPRequestHandler`:
        GET and HEAD (others get 405), `index.html` for a directory, else an HTML listing
        (names escaped), content types by extension, single `Range` requests (206/416),
        `ETag`/`If-None-Match` and `Last-Modified`/`If-Modified-Since` (304). Nothing outside
        `dir` is ever served: `..`, encoded dots, backslashes, NUL bytes and symlinks that
        lead out answer 403 or 404. Returns an `HttpServer` (`.url`, `.port`, `.stats()`,
        `.stop()`, `.wait()`, … as `http::serve`).

        Options: `listing` (default true), `header_timeout`, `max_header_size`, `backlog`,
        `cert_file` + `key_file` (HTTPS).

        ```rhai
        let server = http::serve_dir("127.0.0.1", 8000, "public");
        print(`serving on ${server.url}`);
        server.wait();
        ```

        Errors: `InvalidArgument` (not a directory, bad option), `IoError` (no such
        directory, address in use), `PermissionDenied` (`--allow-read`, `--allow-net`)."#;
    m.func(
        "serve_dir",
        &["host", "port", "dir"],
        doc,
        |host: &str, port: INT, dir: &str| -> ScriptResult<HttpServer> {
            serve_dir(host, port, dir, Map::new()).map_err(script_error)
        },
    );
    m.func(
        "serve_dir",
        &["host", "port", "dir", "options"],
        doc,
        |host: &str, port: INT, dir: &str, opts: Map| -> ScriptResult<HttpServer> {
            serve_dir(host, port, dir, opts).map_err(script_error)
        },
    );
}
