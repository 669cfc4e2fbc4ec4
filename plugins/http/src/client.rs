//! The requests-style client: `http::get/post/put/patch/delete/head/options/request`.
//!
//! Requests run on reqwest (rustls) on the calling thread's own runtime (`block_on_local`;
//! on a fiber, the fiber suspends): the script thread writes the request and reads the whole
//! body itself. Every URL a request touches — the first and each redirect target — passes
//! the permission checker before any connection: [`Guard`] resolves the name, asks
//! `host().check_net` with the addresses, and pins them; the client's DNS resolver only
//! hands out pinned addresses, so a connection can never reach an unchecked address.
//! Clients are cached per TLS/redirect configuration (and, under it, per thread: see
//! [`Client`]) so one-off calls share pooled keep-alive connections (as a `Session` does,
//! minus cookies).

use crate::error::{HttpError, HttpResult, PROTOCOL};
use crate::response::{to_json, HttpResponse, ResponseData};
use netscript_sdk::error::{CommonError, CommonKind};
use netscript_sdk::prelude::*;
use netscript_sdk::secret::Secret;
use netscript_sdk::tls::Trust;
use reqwest::{Method, Url};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Default timeout of a request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default longest redirect chain (as requests).
pub const DEFAULT_MAX_REDIRECTS: usize = 30;
/// How long a checked name resolution stays pinned.
const PIN_TTL: Duration = Duration::from_secs(30);

/// Options that shape the client itself (one cached client per distinct set).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// Follow 3xx responses.
    pub follow_redirects: bool,
    /// Longest redirect chain.
    pub max_redirects: usize,
    /// Skip certificate verification.
    pub insecure: bool,
    /// Extra trust roots.
    pub ca_file: Option<String>,
}

impl Default for ClientKey {
    fn default() -> Self {
        Self { follow_redirects: true, max_redirects: DEFAULT_MAX_REDIRECTS, insecure: false, ca_file: None }
    }
}

/// Checks every URL against the permissions and pins the addresses that were checked.
#[derive(Default)]
pub struct Guard {
    pinned: Mutex<HashMap<String, (Instant, Vec<IpAddr>)>>,
}

impl Guard {
    /// Resolves `url`'s host and asks the permission checker (the SDK's
    /// `net::resolve_checked_now`: on a fiber the lookup suspends it).
    pub fn check(&self, url: &Url) -> HttpResult<()> {
        let name = url.host_str().ok_or_else(|| HttpError::invalid(format!("URL {url} has no host")))?;
        let port = url.port_or_known_default().unwrap_or(80);
        if let Some(ip) = netscript_sdk::net::ip_literal(name) {
            return Ok(netscript_sdk::net::check(name, port, &[SocketAddr::new(ip, port)])?);
        }
        let fresh = {
            let pinned = self.pinned.lock().unwrap_or_else(|e| e.into_inner());
            pinned.get(name).filter(|(at, _)| at.elapsed() < PIN_TTL).map(|(_, ips)| ips.clone())
        };
        let ips = match fresh {
            Some(ips) => {
                let addrs: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
                netscript_sdk::net::check(name, port, &addrs)?;
                ips
            }
            None => netscript_sdk::net::resolve_checked_now(PROTOCOL, name, port, DEFAULT_TIMEOUT)?
                .into_iter()
                .map(|a| a.ip())
                .collect(),
        };
        self.pinned.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_string(), (Instant::now(), ips));
        Ok(())
    }

    fn pinned(&self, name: &str) -> Option<Vec<IpAddr>> {
        self.pinned.lock().unwrap_or_else(|e| e.into_inner()).get(name).map(|(_, ips)| ips.clone())
    }
}

/// reqwest's resolver: only addresses [`Guard::check`] allowed.
struct PinnedResolver(Arc<Guard>);

impl reqwest::dns::Resolve for PinnedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = self.0.pinned(name.as_str());
        let name = name.as_str().to_string();
        Box::pin(async move {
            match found {
                Some(ips) => {
                    let addrs: reqwest::dns::Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
                    Ok(addrs)
                }
                None => Err(Box::new(CommonError::permission_denied(format!(
                    "{name} was not checked against the network permissions"
                ))) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// A client configuration (options, cookie jar, permission guard), shared by every script
/// thread that uses it. Each thread sends through a reqwest client of its own, built on
/// first use: its pooled keep-alive connections live on that thread's runtime
/// (`block_on_local`), so a request is written, waited for and read on the script thread
/// with no hand-off to a runtime worker.
#[derive(Clone)]
pub struct Client(Arc<ClientShared>);

struct ClientShared {
    key: ClientKey,
    jar: Option<Arc<reqwest::cookie::Jar>>,
    guard: Arc<Guard>,
    /// The SDK's TLS configuration for this client's trust (the same rules every plugin uses).
    tls: Arc<netscript_sdk::tls::rustls::ClientConfig>,
}

impl Client {
    /// A client for `key`; `jar` enables cookies. Fails on an unreadable `ca_file` or a TLS
    /// set-up error.
    pub fn new(key: &ClientKey, jar: Option<Arc<reqwest::cookie::Jar>>) -> HttpResult<Client> {
        let trust = Trust { insecure: key.insecure, ca_file: key.ca_file.clone(), ..Trust::default() }
            .with_alpn(&[b"h2", b"http/1.1"]);
        let tls = netscript_sdk::tls::client_config(PROTOCOL, &trust)?;
        let client = Client(Arc::new(ClientShared { key: key.clone(), jar, guard: Arc::new(Guard::default()), tls }));
        // Built once here so a bad configuration fails at once (and kept for this thread).
        client.here()?;
        Ok(client)
    }

    /// The permission guard of every request this client sends.
    pub fn guard(&self) -> &Guard {
        &self.0.guard
    }

    /// The reqwest client of the calling thread (built on its first request).
    pub fn here(&self) -> HttpResult<reqwest::Client> {
        netscript_sdk::per_thread(&self.0, || self.0.build())
    }
}

impl ClientShared {
    fn build(&self) -> HttpResult<reqwest::Client> {
        let policy_guard = self.guard.clone();
        let (follow, max) = (self.key.follow_redirects, self.key.max_redirects);
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if !follow {
                return attempt.stop();
            }
            if attempt.previous().len() > max {
                let err = HttpError::TooManyRedirects(format!("more than {max} redirects (next: {})", attempt.url()));
                return attempt.error(err);
            }
            match policy_guard.check(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let mut builder = reqwest::Client::builder()
            .dns_resolver(Arc::new(PinnedResolver(self.guard.clone())))
            .redirect(policy)
            .no_proxy()
            .user_agent(concat!("netscript/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true);
        // The SDK's trust rules (system roots loaded on the first handshake, `ca_file`,
        // pinned certificates, `insecure`), exactly as every other plugin applies them.
        builder = builder.tls_backend_preconfigured(self.tls.as_ref().clone());
        if let Some(jar) = &self.jar {
            builder = builder.cookie_provider(jar.clone());
        }
        builder.build().map_err(|e| HttpError::common(CommonKind::TlsError, format!("client set-up: {e}")))
    }
}

/// The shared client for `key` (no cookies), built on first use.
pub fn build_client_cached(key: &ClientKey) -> HttpResult<Client> {
    static CLIENTS: OnceLock<Mutex<HashMap<ClientKey, Client>>> = OnceLock::new();
    let mut clients = CLIENTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = clients.get(key) {
        return Ok(c.clone());
    }
    let client = Client::new(key, None)?;
    clients.insert(key.clone(), client.clone());
    Ok(client)
}

/// A request body.
pub enum Body {
    /// No body.
    None,
    /// `data:` map, form-encoded.
    Form(Vec<(String, String)>),
    /// `json:` value.
    Json(serde_json::Value),
    /// `body:` or `data:` string/blob, sent as is.
    Raw(Vec<u8>),
}

/// The per-request options.
pub struct RequestOptions {
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Query parameters appended to the URL.
    pub query: Vec<(String, String)>,
    /// Seconds for the whole exchange.
    pub timeout: Duration,
    /// Basic auth (user, password).
    pub auth: Option<(String, Secret)>,
    /// The body.
    pub body: Body,
    /// Cookies sent with this request.
    pub cookies: Vec<(String, String)>,
}

/// Option keys of one request.
pub const REQUEST_KEYS: &[&str] = &["headers", "query", "timeout", "auth", "data", "json", "body", "cookies"];
/// Option keys that shape the client.
pub const CLIENT_KEYS: &[&str] = &["follow_redirects", "max_redirects", "insecure", "ca_file"];

/// Header pairs; the values of credential headers (`Authorization`, `Proxy-Authorization`)
/// become secrets, and so does the token after their scheme word (`Bearer abc` → `abc`).
pub fn header_pairs(map: &Map) -> HttpResult<Vec<(String, String)>> {
    let pairs = string_pairs(map, "header")?;
    for (name, value) in &pairs {
        if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization") {
            Secret::register(value);
            if let Some((_, token)) = value.split_once(' ') {
                Secret::register(token.trim());
            }
        }
    }
    Ok(pairs)
}

/// `#{a: 1}` → `[("a", "1")]`, rejecting CR/LF.
pub fn string_pairs(map: &Map, what: &str) -> HttpResult<Vec<(String, String)>> {
    map.iter()
        .map(|(k, v)| {
            let value = if v.is_unit() { String::new() } else { v.to_string() };
            netscript_sdk::options::reject_crlf(PROTOCOL, what, k)?;
            netscript_sdk::options::reject_crlf(PROTOCOL, what, &value)?;
            Ok((k.to_string(), value))
        })
        .collect()
}

/// Reads the per-request options out of a parsed option map.
pub fn request_options(opts: &Options, default_timeout: Duration) -> HttpResult<RequestOptions> {
    let headers = opts.map("headers")?.map(|m| header_pairs(&m)).transpose()?.unwrap_or_default();
    let query = opts.map("query")?.map(|m| string_pairs(&m, "query parameter")).transpose()?.unwrap_or_default();
    let cookies = opts.map("cookies")?.map(|m| string_pairs(&m, "cookie")).transpose()?.unwrap_or_default();
    let timeout = opts.duration("timeout", default_timeout)?;
    let auth = match opts.get("auth") {
        None => None,
        Some(v) => Some(parse_auth(v)?),
    };
    let given: Vec<&str> = ["data", "json", "body"].into_iter().filter(|k| opts.get(k).is_some()).collect();
    if given.len() > 1 {
        return Err(HttpError::invalid(format!("give only one of data, json, body (got {})", given.join(", "))));
    }
    let body = if let Some(v) = opts.get("data") {
        if v.is_map() {
            Body::Form(string_pairs(&v.clone().cast::<Map>(), "form field")?)
        } else {
            Body::Raw(bytes_of(v, "data")?)
        }
    } else if let Some(v) = opts.get("json") {
        Body::Json(to_json(v)?)
    } else if let Some(v) = opts.get("body") {
        Body::Raw(bytes_of(v, "body")?)
    } else {
        Body::None
    };
    Ok(RequestOptions { headers, query, timeout, auth, body, cookies })
}

/// `auth: [user, password]`; the password becomes a secret.
pub fn parse_auth(v: &Dynamic) -> HttpResult<(String, Secret)> {
    let bad = || HttpError::invalid("option 'auth' must be [user, password]");
    let arr = v.clone().try_cast::<Array>().ok_or_else(bad)?;
    if arr.len() != 2 {
        return Err(bad());
    }
    let (user, password) = (arr[0].to_string(), arr[1].to_string());
    register_basic(&user, &password);
    Ok((user, Secret::new(password)))
}

/// The `Authorization: Basic` form of `user:password` is a secret too (a handler that logs
/// the header, a library error that quotes it).
fn register_basic(user: &str, password: &str) {
    use base64::Engine as _;
    Secret::register(&base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")));
}

/// A string or blob option as bytes.
pub fn bytes_of(v: &Dynamic, key: &str) -> HttpResult<Vec<u8>> {
    if v.is_blob() {
        Ok(v.clone().cast::<Blob>())
    } else if v.is_string() {
        Ok(v.to_string().into_bytes())
    } else {
        Err(HttpError::invalid(format!(
            "option '{key}' must be a string or a blob, not {}",
            netscript_sdk::options::type_word(v)
        )))
    }
}

/// Reads the client-shaping options.
pub fn client_key(opts: &Options) -> HttpResult<ClientKey> {
    let max = match opts.int("max_redirects")? {
        None => DEFAULT_MAX_REDIRECTS,
        Some(n) if (0..=1000).contains(&n) => n as usize,
        Some(n) => return Err(HttpError::invalid(format!("max_redirects must be 0-1000, not {n}"))),
    };
    Ok(ClientKey {
        follow_redirects: opts.bool("follow_redirects", true)?,
        max_redirects: max,
        insecure: opts.bool("insecure", false)?,
        ca_file: opts.string("ca_file")?,
    })
}

/// Parses and checks a URL: http or https, with a host.
pub fn parse_url(url: &str) -> HttpResult<Url> {
    let parsed = Url::parse(url).map_err(|e| HttpError::invalid(format!("invalid URL '{url}': {e}")))?;
    // `http://user:password@host/`: the password is a secret, as written and decoded.
    if let Some(password) = parsed.password() {
        Secret::register(password);
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let decoded = decode(password);
        Secret::register(&decoded);
        register_basic(&decode(parsed.username()), &decoded);
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(HttpError::invalid(format!("unsupported URL scheme '{}' in '{url}'", parsed.scheme())));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(HttpError::invalid(format!("URL '{url}' has no host")));
    }
    Ok(parsed)
}

/// Parses a method name.
pub fn parse_method(method: &str) -> HttpResult<Method> {
    Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| HttpError::invalid(format!("invalid HTTP method '{method}'")))
}

/// Builds a reqwest request (headers, query, auth, body).
pub fn build_request(
    client: &reqwest::Client,
    method: Method,
    url: Url,
    ro: &RequestOptions,
) -> reqwest::RequestBuilder {
    let mut rb = client.request(method, url).timeout(ro.timeout);
    if !ro.query.is_empty() {
        rb = rb.query(&ro.query);
    }
    for (k, v) in &ro.headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    if !ro.cookies.is_empty() {
        let cookie = ro.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        rb = rb.header(reqwest::header::COOKIE, cookie);
    }
    if let Some((user, pass)) = &ro.auth {
        rb = rb.basic_auth(user, Some(pass.expose()));
    }
    match &ro.body {
        Body::None => rb,
        Body::Form(pairs) => rb.form(pairs),
        Body::Json(v) => rb.json(v),
        Body::Raw(bytes) => rb.body(bytes.clone()),
    }
}

/// Checks the first URL, sends, and reads the whole response on the script thread (its own
/// runtime: see [`Client`]).
pub fn execute(client: &Client, method: Method, url: &str, ro: RequestOptions) -> HttpResult<HttpResponse> {
    let url = parse_url(url)?;
    client.guard().check(&url)?;
    let inner = client.here()?;
    let idempotent = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE);
    let request =
        build_request(&inner, method, url, &ro).build().map_err(|e| HttpError::from_reqwest(e, ro.timeout))?;
    // A second copy for one retry on a connection the server had just closed (browsers do
    // the same for idempotent requests); never for POST/PATCH, which may have been acted on.
    let spare = if idempotent { request.try_clone() } else { None };
    trace_request(&request);
    let timeout = ro.timeout;
    let started = Instant::now();
    let outcome = block_on_local(PROTOCOL, async move {
        settle_pooled_connections().await;
        let resp = match (inner.execute(request).await, spare) {
            (Err(e), Some(spare)) if closed_before_answer(&e) => inner.execute(spare).await?,
            (sent, _) => sent?,
        };
        trace_response(&resp);
        let status = resp.status().as_u16();
        let version = format!("{:?}", resp.version());
        let final_url = resp.url().to_string();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = resp.bytes().await?;
        if netscript_sdk::trace::enabled(PROTOCOL) {
            netscript_sdk::trace::received(PROTOCOL, &format!("[{} bytes of body]", body.len()));
        }
        Ok::<_, reqwest::Error>((status, version, final_url, headers, body))
    })?;
    waited_now();
    let (status, version, final_url, headers, body) = outcome.map_err(|e| HttpError::from_reqwest(e, timeout))?;
    Ok(HttpResponse(Arc::new(ResponseData {
        status,
        url: final_url,
        version,
        headers,
        body,
        elapsed: started.elapsed().as_secs_f64(),
    })))
}

/// `--trace http`: the request line, its headers (credentials masked) and the body size.
pub fn trace_request(request: &reqwest::Request) {
    if !netscript_sdk::trace::enabled(PROTOCOL) {
        return;
    }
    let url = request.url();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    // The version is the connection's choice (HTTP/2 after ALPN): the response line tells it.
    netscript_sdk::trace::sent(PROTOCOL, &format!("{} {target}", request.method()));
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    };
    netscript_sdk::trace::sent(PROTOCOL, &format!("Host: {host}"));
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        netscript_sdk::trace::sent(PROTOCOL, &netscript_sdk::trace::header(name.as_str(), &value));
    }
    if let Some(len) = request.body().and_then(|b| b.as_bytes()).map(<[u8]>::len) {
        netscript_sdk::trace::sent(PROTOCOL, &format!("[{len} bytes of body]"));
    }
}

/// `--trace http`: the status line and the headers of a response.
pub fn trace_response(resp: &reqwest::Response) {
    if !netscript_sdk::trace::enabled(PROTOCOL) {
        return;
    }
    let status = resp.status();
    netscript_sdk::trace::received(
        PROTOCOL,
        &format!("{:?} {} {}", resp.version(), status.as_u16(), status.canonical_reason().unwrap_or("")),
    );
    for (name, value) in resp.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        netscript_sdk::trace::received(PROTOCOL, &netscript_sdk::trace::header(name.as_str(), &value));
    }
}

thread_local! {
    /// When this thread last finished waiting for a request.
    static LAST_WAIT: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Below this much script time since the last request, pooled connections are used as they
/// are (a close that raced the request is what the idempotent retry is for).
const SETTLE_AFTER: Duration = Duration::from_millis(1);

/// Lets this thread's runtime take in what happened while the thread ran script code, before
/// a pooled connection is picked: its connections' tasks only run while the thread waits
/// here, so a keep-alive connection the server closed meanwhile would otherwise still look
/// open, and the request sent on it would fail ("connection closed before message
/// completed"). The first yield lets the runtime poll its I/O driver (tokio defers a yield's
/// wake-up until then), the second runs the connection tasks that woke, which drop the
/// closed connections from the pool. Skipped in a tight loop of requests.
pub async fn settle_pooled_connections() {
    if LAST_WAIT.get().is_some_and(|at| at.elapsed() < SETTLE_AFTER) {
        return;
    }
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
}

/// Notes the end of a wait for a request (see [`settle_pooled_connections`]).
fn waited_now() {
    LAST_WAIT.set(Some(Instant::now()));
}

/// Whether `err` is a connection that closed before any answer came (a keep-alive
/// connection the server dropped just as the request went out).
fn closed_before_answer(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            return h.is_incomplete_message() || h.is_canceled();
        }
        source = e.source();
    }
    false
}

/// One client call: `method url opts` with the cached client for its options.
fn call(method: &str, url: &str, opts: Map) -> HttpResult<HttpResponse> {
    let method = parse_method(method)?;
    let allowed: Vec<&str> = REQUEST_KEYS.iter().chain(CLIENT_KEYS).copied().collect();
    let opts = Options::parse(PROTOCOL, "request", opts, &allowed)?;
    let key = client_key(&opts)?;
    let ro = request_options(&opts, DEFAULT_TIMEOUT)?;
    let client = build_client_cached(&key)?;
    execute(&client, method, url, ro)
}

const OPTIONS_DOC: &str = "Options: `headers` (map), `query` (map), `timeout` (seconds, default 30), \
`auth` ([user, password], basic), `data` (map: form-encoded; string/blob: as is), `json` (any value), \
`body` (string or blob), `cookies` (map), `follow_redirects` (default true), `max_redirects` \
(default 30), `insecure` (skip certificate checks), `ca_file` (PEM trust roots to add).";

/// Registers the module functions of the client.
pub fn register(m: &mut ModuleBuilder) {
    for (name, method, example) in [
        ("get", "GET", r#"let r = http::get("https://example.com/", #{ query: #{ q: "rhai" }, timeout: 5 });"#),
        ("post", "POST", r#"let r = http::post("https://example.com/api", #{ json: #{ name: "mx1" } });"#),
        ("put", "PUT", r#"let r = http::put("https://example.com/api/1", #{ body: "text" });"#),
        ("patch", "PATCH", r#"let r = http::patch("https://example.com/api/1", #{ data: #{ a: 1 } });"#),
        ("delete", "DELETE", r#"let r = http::delete("https://example.com/api/1");"#),
        ("head", "HEAD", r#"let r = http::head("https://example.com/");"#),
        ("options", "OPTIONS", r#"let r = http::options("https://example.com/");"#),
    ] {
        let doc = format!(
            "Sends a {method} request and reads the whole response (`HttpResponse`). An HTTP error \
             status is not an error: check `.ok` or call `.raise_for_status()`. Redirects are followed \
             and every target is checked against `--allow-net`.\n\n{OPTIONS_DOC}\n\n```rhai\n{example}\nprint(r.status_code);\n```\n\n\
             Errors: `InvalidArgument` (bad URL or option), `HostNotFound`, `ConnectionRefused`, `Timeout`, \
             `TlsError`, `TooManyRedirects`, `ConnectionClosed`, `PermissionDenied`."
        );
        m.func(name, &["url"], &doc, move |url: &str| -> ScriptResult<HttpResponse> {
            call(method, url, Map::new()).map_err(script_error)
        });
        m.func(name, &["url", "options"], &doc, move |url: &str, opts: Map| -> ScriptResult<HttpResponse> {
            call(method, url, opts).map_err(script_error)
        });
    }
    let doc = format!(
        "Sends a request with any method (`\"GET\"`, `\"PROPFIND\"`, …).\n\n{OPTIONS_DOC}\n\n```rhai\n\
         let r = http::request(\"PUT\", \"https://example.com/f.txt\", #{{ body: \"hello\" }});\nprint(r.ok);\n```\n\n\
         Errors: `InvalidArgument` (bad method, URL or option), `HostNotFound`, `ConnectionRefused`, `Timeout`, \
         `TlsError`, `TooManyRedirects`, `ConnectionClosed`, `PermissionDenied`."
    );
    m.func("request", &["method", "url"], &doc, |method: &str, url: &str| -> ScriptResult<HttpResponse> {
        call(method, url, Map::new()).map_err(script_error)
    });
    m.func(
        "request",
        &["method", "url", "options"],
        &doc,
        |method: &str, url: &str, opts: Map| -> ScriptResult<HttpResponse> {
            call(method, url, opts).map_err(script_error)
        },
    );
}
