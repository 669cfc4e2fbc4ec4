//! `http::session(#{…})`: a client that keeps cookies and pooled keep-alive connections
//! between requests, with default headers, auth and timeout (requests' `Session`).

use crate::client::{self, Client, ClientKey, RequestOptions, CLIENT_KEYS, DEFAULT_TIMEOUT, REQUEST_KEYS};
use crate::error::{HttpError, HttpResult, PROTOCOL};
use crate::response::HttpResponse;
use netscript_sdk::prelude::*;
use reqwest::cookie::CookieStore;
use std::sync::Arc;

/// A session: its own client, cookie jar and defaults.
#[derive(Clone)]
pub struct HttpSession(Arc<SessionInner>);

struct SessionInner {
    client: Client,
    jar: Arc<reqwest::cookie::Jar>,
    headers: Vec<(String, String)>,
    auth: Option<(String, netscript_sdk::secret::Secret)>,
    timeout: std::time::Duration,
}

fn new_session(opts: Map) -> HttpResult<HttpSession> {
    let allowed: Vec<&str> = ["headers", "auth", "timeout"].iter().chain(CLIENT_KEYS).copied().collect();
    let opts = Options::parse(PROTOCOL, "session", opts, &allowed)?;
    let key: ClientKey = client::client_key(&opts)?;
    let headers = opts.map("headers")?.map(|m| client::header_pairs(&m)).transpose()?.unwrap_or_default();
    let auth = opts.get("auth").map(client::parse_auth).transpose()?;
    let timeout = opts.duration("timeout", DEFAULT_TIMEOUT)?;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = Client::new(&key, Some(jar.clone()))?;
    Ok(HttpSession(Arc::new(SessionInner { client, jar, headers, auth, timeout })))
}

impl HttpSession {
    fn call(&self, method: &str, url: &str, opts: Map) -> HttpResult<HttpResponse> {
        let method = client::parse_method(method)?;
        let opts = Options::parse(PROTOCOL, "session request", opts, REQUEST_KEYS)?;
        let mut ro: RequestOptions = client::request_options(&opts, self.0.timeout)?;
        let mut headers: Vec<(String, String)> = self
            .0
            .headers
            .iter()
            .filter(|(k, _)| !ro.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(k)))
            .cloned()
            .collect();
        headers.append(&mut ro.headers);
        ro.headers = headers;
        if ro.auth.is_none() {
            ro.auth = self.0.auth.clone();
        }
        client::execute(&self.0.client, method, url, ro)
    }

    fn cookies(&self, url: &str) -> HttpResult<Map> {
        let url = client::parse_url(url)?;
        let mut map = Map::new();
        if let Some(header) = self.0.jar.cookies(&url) {
            let text = header.to_str().map_err(|e| HttpError::invalid(e.to_string()))?;
            for pair in text.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=') {
                    map.insert(k.into(), v.to_string().into());
                }
            }
        }
        Ok(map)
    }
}

/// Registers `session` and the `HttpSession` methods.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<HttpSession>("HttpSession");
    let doc = r#"
        A client that keeps cookies and pooled keep-alive connections between requests.
        Options: `headers` (sent with every request), `auth` ([user, password]), `timeout`
        (default for each request), `follow_redirects`, `max_redirects`, `insecure`, `ca_file`.
        The session has the methods `get`, `post`, `put`, `patch`, `delete`, `head`,
        `options` (url[, options]), `request(method, url[, options])` and `cookies(url)`.
        ```rhai
        let s = http::session(#{ headers: #{ "X-Token": "abc" }, timeout: 10 });
        s.post("https://example.com/login", #{ data: #{ user: "me", password: "secret" } });
        print(s.get("https://example.com/me").json());
        ```
        Errors: `InvalidArgument` (unknown option), `TlsError` (`ca_file`), `PermissionDenied`."#;
    m.func("session", &[], doc, || -> ScriptResult<HttpSession> { new_session(Map::new()).map_err(script_error) });
    m.func("session", &["options"], doc, |opts: Map| -> ScriptResult<HttpSession> {
        new_session(opts).map_err(script_error)
    });
    for (name, method) in [
        ("get", "GET"),
        ("post", "POST"),
        ("put", "PUT"),
        ("patch", "PATCH"),
        ("delete", "DELETE"),
        ("head", "HEAD"),
        ("options", "OPTIONS"),
    ] {
        let doc = format!(
            "Sends a {method} request with the session's cookies, connections and defaults; options as \
             for `http::{name}` (headers, query, timeout, auth, data, json, body, cookies).\n\
             ```rhai\nlet s = http::session();\nlet r = s.{name}(\"https://example.com/\");\nprint(r.status_code);\n```\n\
             Errors: as `http::{name}`."
        );
        m.method(name, &["url"], &doc, move |s: &mut HttpSession, url: &str| -> ScriptResult<HttpResponse> {
            s.call(method, url, Map::new()).map_err(script_error)
        });
        m.method(
            name,
            &["url", "options"],
            &doc,
            move |s: &mut HttpSession, url: &str, opts: Map| -> ScriptResult<HttpResponse> {
                s.call(method, url, opts).map_err(script_error)
            },
        );
    }
    let doc = r#"
        Sends a request with any method through the session.
        ```rhai
        let s = http::session();
        print(s.request("PUT", "https://example.com/x", #{ body: "data" }).ok);
        ```
        Errors: as `http::request`."#;
    m.method(
        "request",
        &["method", "url"],
        doc,
        |s: &mut HttpSession, method: &str, url: &str| -> ScriptResult<HttpResponse> {
            s.call(method, url, Map::new()).map_err(script_error)
        },
    );
    m.method(
        "request",
        &["method", "url", "options"],
        doc,
        |s: &mut HttpSession, method: &str, url: &str, opts: Map| -> ScriptResult<HttpResponse> {
            s.call(method, url, opts).map_err(script_error)
        },
    );
    m.method(
        "cookies",
        &["url"],
        r#"
        The cookies the session would send to `url`, as a map name → value.
        ```rhai
        let s = http::session();
        s.get("https://example.com/login");
        print(s.cookies("https://example.com/"));
        ```
        Errors: `InvalidArgument` (bad URL)."#,
        |s: &mut HttpSession, url: &str| -> ScriptResult<Map> { s.cookies(url).map_err(script_error) },
    );
    m.pure_method(
        "to_string",
        &[],
        r#"
        The session as text.
        ```rhai
        print(http::session());
        ```
        Errors: none."#,
        |_s: &mut HttpSession| "HttpSession".to_string(),
    );
}
