//! Response bodies of both servers (`http::serve`, `http::serve_dir`): one boxed body type
//! and the small plain-text answers (errors, 405, 413 …).

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::{Response, StatusCode};

/// The response body type of both servers.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// A body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// A response with `status` and a short text body.
pub fn simple(status: StatusCode, text: &str) -> Response<Body> {
    let mut resp = Response::new(full(format!("{text}\n")));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}
