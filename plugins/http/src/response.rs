//! `HttpResponse`: what a client call returns (`status_code`, `text`, `content`, `headers`,
//! `header(name)`, `url`, `json()`, `ok`, `raise_for_status()`), and the JSON ⇄ Rhai value
//! conversions the client and the server share.

use crate::error::{HttpError, HttpResult};
use bytes::Bytes;
use netscript_sdk::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// A complete response: status, headers and the whole body, read before the call returned.
#[derive(Clone)]
pub struct HttpResponse(pub Arc<ResponseData>);

/// The parts of a response.
pub struct ResponseData {
    /// Status code (200).
    pub status: u16,
    /// The final URL, after redirects.
    pub url: String,
    /// `HTTP/1.1`, `HTTP/2.0`, …
    pub version: String,
    /// Header names (lower case) and values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The (decompressed) body.
    pub body: Bytes,
    /// Seconds from sending the request to the end of the body.
    pub elapsed: f64,
}

impl HttpResponse {
    fn reason(&self) -> &'static str {
        reqwest::StatusCode::from_u16(self.0.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
    }

    /// The value of the first header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.0.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body decoded with the charset of `Content-Type` (UTF-8 when none is given).
    pub fn text(&self) -> String {
        let charset = self.header("content-type").and_then(|ct| {
            ct.split(';').map(str::trim).find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_string())
            })
        });
        let encoding =
            charset.and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes())).unwrap_or(encoding_rs::UTF_8);
        encoding.decode(&self.0.body).0.into_owned()
    }

    /// The headers as a map with lower-case names; repeated headers joined with ", ".
    pub fn headers_map(&self) -> Map {
        headers_to_map(&self.0.headers)
    }

    fn raise_for_status(&self) -> HttpResult<()> {
        if self.0.status >= 400 {
            Err(HttpError::Status { status: self.0.status, reason: self.reason().to_string(), url: self.0.url.clone() })
        } else {
            Ok(())
        }
    }

    fn describe(&self) -> String {
        format!("HttpResponse({} {}, {})", self.0.status, self.reason(), self.0.url)
    }
}

/// Header pairs → map with lower-case names; repeated names joined with ", "
/// (`set-cookie` joined with "\n", since cookies may hold commas).
pub fn headers_to_map(headers: &[(String, String)]) -> Map {
    let mut map = Map::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let joined = match map.get(name.as_str()) {
            Some(prev) => {
                let sep = if name == "set-cookie" { "\n" } else { ", " };
                format!("{prev}{sep}{value}")
            }
            None => value.clone(),
        };
        map.insert(name.into(), joined.into());
    }
    map
}

/// Rhai value → JSON, as `json::stringify` does (custom values as their text).
pub fn to_json(value: &Dynamic) -> HttpResult<Value> {
    Ok(netscript_sdk::json::to_json(value, crate::error::PROTOCOL, &|v| v.to_string())?)
}

/// Parses a body as JSON.
pub fn parse_json(body: &[u8], what: &str) -> HttpResult<Dynamic> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| HttpError::common(netscript_sdk::error::CommonKind::ProtocolError, format!("{what}: {e}")))?;
    Ok(netscript_sdk::json::from_json(value))
}

/// Registers `HttpResponse` and its members.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<HttpResponse>("HttpResponse");
    m.getter(
        "status_code",
        r#"
        The HTTP status code (`200`).
        ```rhai
        let r = http::get("https://example.com/");
        print(r.status_code);
        ```
        Errors: none."#,
        |r: &mut HttpResponse| INT::from(r.0.status),
    );
    m.getter(
        "reason",
        r#"
        The status's reason phrase (`"Not Found"`).
        ```rhai
        print(http::get("https://example.com/missing").reason);
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.reason().to_string(),
    );
    m.getter(
        "ok",
        r#"
        True when the status is below 400.
        ```rhai
        if !http::get("https://example.com/").ok { print("failed"); }
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.0.status < 400,
    );
    m.getter(
        "text",
        r#"
        The body as text, decoded with the charset of `Content-Type` (UTF-8 by default;
        invalid bytes become U+FFFD).
        ```rhai
        print(http::get("https://example.com/").text);
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.text(),
    );
    m.getter(
        "content",
        r#"
        The body as a blob (decompressed when the server sent gzip).
        ```rhai
        let png = http::get("https://example.com/logo.png").content;
        print(png.len());
        ```
        Errors: none."#,
        |r: &mut HttpResponse| -> Blob { r.0.body.to_vec() },
    );
    m.getter(
        "headers",
        r#"
        The headers (a `Headers` value): `r.headers["Content-Type"]` looks a name up in any
        case, as requests does; names print lower-case; repeated headers are joined with
        ", " (`set-cookie` with a newline).
        ```rhai
        print(http::get("https://example.com/").headers["content-type"]);
        ```
        Errors: none."#,
        |r: &mut HttpResponse| crate::headers::Headers(r.headers_map()),
    );
    m.getter(
        "url",
        r#"
        The URL that gave this response (after redirects).
        ```rhai
        print(http::get("http://example.com/old").url);
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.0.url.clone(),
    );
    m.getter(
        "version",
        r#"
        The protocol version the server answered with: `"HTTP/1.1"` or `"HTTP/2.0"`.
        ```rhai
        print(http::get("https://example.com/").version);
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.0.version.clone(),
    );
    m.getter(
        "elapsed",
        r#"
        Seconds from sending the request to the end of the body (float).
        ```rhai
        print(http::get("https://example.com/").elapsed);
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.0.elapsed,
    );
    m.method(
        "header",
        &["name"],
        r#"
        The value of header `name`, in any case, or `()` when absent.
        ```rhai
        let r = http::get("https://example.com/");
        print(r.header("Content-Type"));
        ```
        Errors: none."#,
        |r: &mut HttpResponse, name: &str| -> Dynamic { r.header(name).map_or(Dynamic::UNIT, |v| v.into()) },
    );
    m.method(
        "json",
        &[],
        r#"
        Parses the body as JSON (objects become maps, `null` becomes `()`).
        ```rhai
        let data = http::get("https://api.example.com/items").json();
        print(data.len());
        ```
        Errors: `ProtocolError` when the body is not valid JSON."#,
        |r: &mut HttpResponse| -> ScriptResult<Dynamic> {
            parse_json(&r.0.body, &format!("json body of {}", r.0.url)).map_err(script_error)
        },
    );
    m.method(
        "raise_for_status",
        &[],
        r#"
        Throws `HTTPError` (with `code` and `status`) when the status is 400 or above;
        returns the response otherwise, so calls chain.
        ```rhai
        let data = http::get("https://api.example.com/items").raise_for_status().json();
        ```
        Errors: `HTTPError`."#,
        |r: &mut HttpResponse| -> ScriptResult<HttpResponse> {
            r.raise_for_status().map_err(script_error)?;
            Ok(r.clone())
        },
    );
    m.pure_method(
        "to_string",
        &[],
        r#"
        The response as text: `HttpResponse(200 OK, https://example.com/)`.
        ```rhai
        print(http::get("https://example.com/"));
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.describe(),
    );
    m.pure_method(
        "to_debug",
        &[],
        r#"
        The response as text, for `debug()`.
        ```rhai
        debug(http::get("https://example.com/"));
        ```
        Errors: none."#,
        |r: &mut HttpResponse| r.describe(),
    );
}
