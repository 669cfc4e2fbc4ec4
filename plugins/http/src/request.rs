//! `HttpRequest`: what an `http::serve` handler receives (`method`, `path`, `query`,
//! `headers`, `body`, `text`, `json()`, `client_address`, `request_version`), and turning
//! the handler's return value (a map, a string, a blob, …) into a response.

use crate::error::{HttpError, HttpResult};
use crate::response::{headers_to_map, parse_json, to_json};
use bytes::Bytes;
use netscript_sdk::prelude::*;
use percent_encoding::percent_decode_str;
use std::net::SocketAddr;
use std::sync::Arc;

/// A request as the server read it (the whole body included).
#[derive(Clone)]
pub struct HttpRequest(pub Arc<RequestData>);

/// The parts of a request, as hyper read them: script values (strings, maps) are made only
/// when the handler asks for them, so a handler that reads one header costs no copy of all.
pub struct RequestData {
    /// `GET`, `POST`, …
    pub method: hyper::Method,
    /// The request target.
    pub uri: hyper::Uri,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub version: hyper::Version,
    /// The headers (names are lower case).
    pub headers: hyper::HeaderMap,
    /// The request body.
    pub body: Bytes,
    /// The client's address.
    pub peer: SocketAddr,
}

impl RequestData {
    /// The raw request target: path and query (`/a/b?x=1`).
    pub fn target(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }

    /// Header names and values (values as text, invalid UTF-8 replaced).
    fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect()
    }
}

impl HttpRequest {
    fn describe(&self) -> String {
        format!("HttpRequest({} {} from {})", self.0.method, self.0.target(), self.0.peer)
    }
}

/// Decodes `a=1&b=x+y` into a map (a repeated key keeps its last value).
pub fn parse_query(query: &str) -> Map {
    let mut map = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
        map.insert(decode(k).into(), decode(v).into());
    }
    map
}

/// The form a request carries: `application/x-www-form-urlencoded` fields as strings,
/// `multipart/form-data` fields as strings and uploaded files as `#{ filename,
/// content_type, data }`. Errors: `InvalidArgument` for another content type,
/// `ProtocolError` for a malformed multipart body.
pub fn parse_form(content_type: Option<&str>, body: &Bytes) -> HttpResult<Map> {
    let kind = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match kind.as_str() {
        "application/x-www-form-urlencoded" => Ok(parse_query(&String::from_utf8_lossy(body))),
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(content_type.unwrap_or("")).map_err(|e| {
                HttpError::common(netscript_sdk::error::CommonKind::ProtocolError, format!("form: {e}"))
            })?;
            let body = body.clone();
            let stream = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
            let mut multipart = multer::Multipart::new(stream, boundary);
            let bad = |e: multer::Error| {
                HttpError::common(netscript_sdk::error::CommonKind::ProtocolError, format!("form: {e}"))
            };
            // The body is in memory: the parser's futures are ready at once, no runtime needed.
            let parsed = futures_util::FutureExt::now_or_never(async move {
                let mut form = Map::new();
                while let Some(field) = multipart.next_field().await.map_err(bad)? {
                    let name = field.name().unwrap_or("").to_string();
                    let filename = field.file_name().map(str::to_string);
                    let content_type = field.content_type().map(|m| m.to_string());
                    let data = field.bytes().await.map_err(bad)?;
                    let value = match filename {
                        Some(filename) => {
                            let mut file = Map::new();
                            file.insert("filename".into(), filename.into());
                            file.insert(
                                "content_type".into(),
                                content_type.unwrap_or_else(|| "application/octet-stream".into()).into(),
                            );
                            file.insert("data".into(), Dynamic::from_blob(data.to_vec()));
                            Dynamic::from_map(file)
                        }
                        None => String::from_utf8_lossy(&data).into_owned().into(),
                    };
                    form.insert(name.into(), value);
                }
                Ok(form)
            });
            parsed.unwrap_or_else(|| {
                Err(HttpError::common(netscript_sdk::error::CommonKind::ProtocolError, "form: the body is incomplete"))
            })
        }
        _ => Err(HttpError::invalid(format!(
            "form: the body is not a form (Content-Type: {}); use req.json() or req.text",
            content_type.unwrap_or("none")
        ))),
    }
}

/// A handler's answer, ready for hyper.
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// The content type sent when `headers` has none (a static string: no allocation for
    /// the common replies).
    pub default_type: Option<&'static str>,
    /// Body bytes.
    pub body: Bytes,
}

impl Reply {
    /// A plain-text reply.
    pub fn text(status: u16, text: &str) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            default_type: Some("text/plain; charset=utf-8"),
            body: Bytes::copy_from_slice(text.as_bytes()),
        }
    }
}

/// Turns what a handler returned into a reply:
/// - a map with `status`, `headers` and/or `body` → that response;
/// - any other map or an array → JSON;
/// - a string → `200` text; a blob → `200` octet-stream; `()` → `204`.
pub fn reply_from(value: Dynamic) -> HttpResult<Reply> {
    if value.is_map() {
        let map = value.cast::<Map>();
        let is_response = map.keys().any(|k| matches!(k.as_str(), "status" | "headers" | "body"));
        if !is_response {
            return json_reply(200, Vec::new(), &Dynamic::from_map(map));
        }
        if let Some(bad) = map.keys().find(|k| !matches!(k.as_str(), "status" | "headers" | "body")) {
            return Err(HttpError::invalid(format!(
                "handler result: unknown key '{bad}' (a response map has status, headers, body)"
            )));
        }
        let status = match map.get("status") {
            None => 200,
            Some(s) => match s.as_int() {
                Ok(n) if (100..=999).contains(&n) => n as u16,
                _ => return Err(HttpError::invalid(format!("handler result: bad status {s}"))),
            },
        };
        let mut headers = Vec::new();
        if let Some(h) = map.get("headers") {
            let h = h
                .clone()
                .try_cast::<Map>()
                .ok_or_else(|| HttpError::invalid("handler result: headers must be a map"))?;
            headers = crate::client::string_pairs(&h, "response header")?;
        }
        let body = map.get("body").cloned().unwrap_or(Dynamic::UNIT);
        if body.is_map() || body.is_array() {
            return json_reply(status, headers, &body);
        }
        let (bytes, default_type) = body_bytes(&body);
        return Ok(Reply { status, headers, default_type, body: bytes });
    }
    if value.is_array() {
        return json_reply(200, Vec::new(), &value);
    }
    if value.is_unit() {
        return Ok(Reply { status: 204, headers: Vec::new(), default_type: None, body: Bytes::new() });
    }
    let (bytes, default_type) = body_bytes(&value);
    Ok(Reply { status: 200, headers: Vec::new(), default_type, body: bytes })
}

fn body_bytes(body: &Dynamic) -> (Bytes, Option<&'static str>) {
    if body.is_unit() {
        (Bytes::new(), None)
    } else if body.is_blob() {
        (Bytes::from(body.clone().cast::<Blob>()), Some("application/octet-stream"))
    } else {
        (Bytes::from(body.to_string()), Some("text/plain; charset=utf-8"))
    }
}

fn json_reply(status: u16, headers: Vec<(String, String)>, value: &Dynamic) -> HttpResult<Reply> {
    let text = serde_json::to_vec(&to_json(value)?).map_err(|e| HttpError::invalid(e.to_string()))?;
    Ok(Reply { status, headers, default_type: Some("application/json"), body: Bytes::from(text) })
}

/// Registers `HttpRequest` and its members.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<HttpRequest>("HttpRequest");
    m.getter(
        "method",
        r#"
        The request method (`"GET"`).
        ```rhai
        http::serve("127.0.0.1", 0, |req| req.method);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| r.0.method.as_str().to_string(),
    );
    m.getter(
        "command",
        r#"
        The request method, by its `http.server` name.
        ```rhai
        http::serve("127.0.0.1", 0, |req| req.command);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| r.0.method.as_str().to_string(),
    );
    m.getter(
        "path",
        r#"
        The request path without the query string, as sent (percent-encoded).
        ```rhai
        http::serve("127.0.0.1", 0, |req| if req.path == "/" { "home" } else { #{ status: 404 } });
        ```
        Errors: none."#,
        |r: &mut HttpRequest| r.0.uri.path().to_string(),
    );
    m.getter(
        "target",
        r#"
        The raw request target: path and query (`/items?id=3`).
        ```rhai
        http::serve("127.0.0.1", 0, |req| req.target);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| r.0.target().to_string(),
    );
    m.getter(
        "query",
        r#"
        The query parameters, decoded, as a map (`?id=3&q=a+b` → `#{ id: "3", q: "a b" }`).
        ```rhai
        http::serve("127.0.0.1", 0, |req| `id ${req.query.id}`);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| parse_query(r.0.uri.query().unwrap_or("")),
    );
    m.getter(
        "headers",
        r#"
        The request headers (a `Headers` value): `req.headers["User-Agent"]` looks a name up
        in any case; names print lower-case.
        ```rhai
        http::serve("127.0.0.1", 0, |req| req.headers["user-agent"]);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| crate::headers::Headers(headers_to_map(&r.0.header_pairs())),
    );
    m.method(
        "header",
        &["name"],
        r#"
        The value of request header `name` (any case), or `()`.
        ```rhai
        http::serve("127.0.0.1", 0, |req| req.header("Host"));
        ```
        Errors: none."#,
        |r: &mut HttpRequest, name: &str| -> Dynamic {
            // HeaderMap looks names up case-insensitively; a malformed name is simply absent.
            r.0.headers.get(name).map_or(Dynamic::UNIT, |v| String::from_utf8_lossy(v.as_bytes()).into_owned().into())
        },
    );
    m.getter(
        "body",
        r#"
        The request body as a blob (chunked bodies arrive whole).
        ```rhai
        http::serve("127.0.0.1", 0, |req| `${req.body.len()} bytes`);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| -> Blob { r.0.body.to_vec() },
    );
    m.getter(
        "text",
        r#"
        The request body as text (UTF-8; invalid bytes become U+FFFD).
        ```rhai
        http::serve("127.0.0.1", 0, |req| req.text.to_upper());
        ```
        Errors: none."#,
        |r: &mut HttpRequest| String::from_utf8_lossy(&r.0.body).into_owned(),
    );
    m.method(
        "json",
        &[],
        r#"
        Parses the request body as JSON.
        ```rhai
        http::serve("127.0.0.1", 0, |req| #{ got: req.json() });
        ```
        Errors: `ProtocolError` when the body is not valid JSON (a handler that does not
        catch it answers 500)."#,
        |r: &mut HttpRequest| -> ScriptResult<Dynamic> { parse_json(&r.0.body, "request body").map_err(script_error) },
    );
    m.method(
        "form",
        &[],
        r#"
        The form the request carries, as a map: an HTML form's fields
        (`application/x-www-form-urlencoded`) as strings; with `multipart/form-data` also
        each uploaded file, as `#{ filename, content_type, data }` (`data` a blob). A name
        given twice keeps its last value.
        ```rhai
        http::serve("127.0.0.1", 0, |req| {
            let form = req.form();
            `hello ${form.name}, ${form.upload.data.len()} bytes in ${form.upload.filename}`
        });
        ```
        Errors: `InvalidArgument` when the body is not a form (another Content-Type),
        `ProtocolError` for a malformed multipart body."#,
        |r: &mut HttpRequest| -> ScriptResult<Map> {
            let content_type =
                r.0.header_pairs().into_iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v);
            parse_form(content_type.as_deref(), &r.0.body).map_err(script_error)
        },
    );
    m.getter(
        "client_address",
        r#"
        The client's address as `[host, port]` (as in `http.server`).
        ```rhai
        http::serve("127.0.0.1", 0, |req| `hello ${req.client_address[0]}`);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| -> Array {
            vec![r.0.peer.ip().to_string().into(), Dynamic::from_int(INT::from(r.0.peer.port()))]
        },
    );
    m.getter(
        "request_version",
        r#"
        The protocol version of the request (`"HTTP/1.1"`, `"HTTP/2.0"`).
        ```rhai
        http::serve("127.0.0.1", 0, |req| req.request_version);
        ```
        Errors: none."#,
        |r: &mut HttpRequest| format!("{:?}", r.0.version),
    );
    m.pure_method(
        "to_string",
        &[],
        r#"
        The request as text: `HttpRequest(GET /a?b=1 from 127.0.0.1:50000)`.
        ```rhai
        http::serve("127.0.0.1", 0, |req| { print(req); "ok" });
        ```
        Errors: none."#,
        |r: &mut HttpRequest| r.describe(),
    );
    m.pure_method(
        "to_debug",
        &[],
        r#"
        The request as text, for `debug()`.
        ```rhai
        http::serve("127.0.0.1", 0, |req| { debug(req); "ok" });
        ```
        Errors: none."#,
        |r: &mut HttpRequest| r.describe(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_plus_and_percent() {
        let q = parse_query("a=1&b=x+y&c=%2F%20&flag");
        assert_eq!(q["a"].to_string(), "1");
        assert_eq!(q["b"].to_string(), "x y");
        assert_eq!(q["c"].to_string(), "/ ");
        assert_eq!(q["flag"].to_string(), "");
    }

    #[test]
    fn handler_results_become_replies() {
        let r = reply_from("hi".into()).unwrap();
        assert_eq!((r.status, &r.body[..]), (200, &b"hi"[..]));
        let mut m = Map::new();
        m.insert("status".into(), Dynamic::from_int(201));
        m.insert("body".into(), Dynamic::from_map(Map::new()));
        let r = reply_from(Dynamic::from_map(m)).unwrap();
        assert_eq!((r.status, &r.body[..]), (201, &b"{}"[..]));
        assert_eq!(reply_from(Dynamic::UNIT).unwrap().status, 204);
        let mut bad = Map::new();
        bad.insert("status".into(), Dynamic::from_int(7));
        assert!(reply_from(Dynamic::from_map(bad)).is_err());
    }
}
