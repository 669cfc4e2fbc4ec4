//! netscript's `http` plugin: a requests-style client (reqwest on rustls) and servers in the
//! manner of Python's `http.server` (hyper): a scripted server whose handlers run
//! concurrently on worker threads, and a static file server.
//!
//! Script calls block the script's thread while tokio does the I/O on the shared runtime;
//! script code never runs inside a tokio task. The files, one concern each:

#![deny(missing_docs)]

mod body; // the servers' response bodies
mod client; // http::get/post/…/request, permission-checked redirects, cached clients
mod download; // http::download: streamed to a temp file, renamed when complete
mod error; // HttpError: the one error enum and its script kinds
mod headers; // Headers: header maps looked up in any case
mod request; // HttpRequest (what a handler gets) and handler results → responses
mod response; // HttpResponse and JSON conversions
mod server; // http::serve, the listener/connection machinery, HttpServer handles
mod session; // http::session: cookies and pooled connections
mod static_files; // http::serve_dir

use netscript_sdk::ModuleBuilder;

netscript_sdk::export_plugin! {
    name: "http",
    version: env!("CARGO_PKG_VERSION"),
    description: "HTTP client (requests) and servers (http.server)",
    register: register_all,
}

/// Lists everything the plugin offers; a file's functions appear only if listed here.
fn register_all(m: &mut ModuleBuilder) {
    m.doc("HTTP: a requests-style client, a scripted concurrent server and a static file server.");
    headers::register(m);
    response::register(m);
    client::register(m);
    session::register(m);
    download::register(m);
    request::register(m);
    server::register(m);
    server::register_serve_dir(m);
}
