//! `http::download(url, path)`: streams a response body into a temporary file beside
//! `path` and renames it into place only when complete, with a progress bar on a terminal.

use crate::client::{self, Client, ClientKey, CLIENT_KEYS, DEFAULT_TIMEOUT, REQUEST_KEYS};
use crate::error::{HttpError, HttpResult, PROTOCOL};
use netscript_sdk::prelude::*;
use reqwest::Method;
use std::io::Write;
use std::path::Path;

fn download(url: &str, path: &str, opts: Map) -> HttpResult<INT> {
    let allowed: Vec<&str> = REQUEST_KEYS.iter().chain(CLIENT_KEYS).copied().chain(["progress"]).collect();
    let opts = Options::parse(PROTOCOL, "download", opts, &allowed)?;
    let key: ClientKey = client::client_key(&opts)?;
    let mut ro = client::request_options(&opts, DEFAULT_TIMEOUT)?;
    let show = opts.bool("progress", true)?;
    // The host's atomic file: a temp file beside `path`, renamed into place on commit.
    let mut file = host().create_atomic(Path::new(path))?;
    // `timeout` bounds each wait for data, not the whole (possibly long) transfer.
    let idle = ro.timeout;
    ro.timeout = netscript_sdk::timeout::NO_LIMIT;
    let client: Client = client::build_client_cached(&key)?;
    let parsed = client::parse_url(url)?;
    client.guard().check(&parsed)?;
    let inner = client.here()?;
    let request = client::build_request(&inner, Method::GET, parsed, &ro)
        .build()
        .map_err(|e| HttpError::from_reqwest(e, idle))?;
    client::trace_request(&request);
    let sink = &mut file;
    let written = block_on_local(PROTOCOL, async move {
        client::settle_pooled_connections().await;
        let timed = |what: String| HttpError::from(netscript_sdk::CommonError::timeout(PROTOCOL, &what, idle));
        let mut resp = tokio::time::timeout(idle, inner.execute(request))
            .await
            .map_err(|_| timed(format!("download of {url}")))?
            .map_err(|e| HttpError::from_reqwest(e, idle))?;
        client::trace_response(&resp);
        let status = resp.status();
        if status.as_u16() >= 400 {
            return Err(HttpError::Status {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").into(),
                url: resp.url().to_string(),
            });
        }
        let bar = show.then(|| host().progress(resp.content_length(), "", true));
        let mut total: u64 = 0;
        loop {
            let chunk = tokio::time::timeout(idle, resp.chunk())
                .await
                .map_err(|_| timed(format!("download of {url}")))?
                .map_err(|e| HttpError::from_reqwest(e, idle))?;
            let Some(chunk) = chunk else { break };
            sink.write_all(&chunk).map_err(|e| HttpError::io("write the download", &e))?;
            total += chunk.len() as u64;
            if let Some(bar) = &bar {
                bar.inc(chunk.len() as u64);
            }
        }
        if let Some(bar) = &bar {
            bar.finish();
        }
        Ok(total)
    })??;
    file.commit()?;
    Ok(written as INT)
}

/// Registers `download`.
pub fn register(m: &mut ModuleBuilder) {
    let doc = r#"
        Downloads `url` into the file `path` and returns the number of bytes written. The body
        is streamed into a temporary file beside `path`, which is renamed into place only
        when the transfer is complete (a failed download leaves no partial file). A progress
        bar is drawn on stderr when it is a terminal. Options as `http::get` plus `progress`
        (false hides the bar); `timeout` bounds each wait for data, not the whole transfer.
        A 4xx/5xx status is an error here.
        ```rhai
        let n = http::download("https://example.com/big.iso", "big.iso");
        print(`${n} bytes`);
        ```
        Errors: `HTTPError` (4xx/5xx), `Timeout`, `ConnectionRefused`, `HostNotFound`,
        `TlsError`, `IoError` (writing), `PermissionDenied` (`--allow-write`, `--allow-net`)."#;
    m.func("download", &["url", "path"], doc, |url: &str, path: &str| -> ScriptResult<INT> {
        download(url, path, Map::new()).map_err(script_error)
    });
    m.func("download", &["url", "path", "options"], doc, |url: &str, path: &str, opts: Map| -> ScriptResult<INT> {
        download(url, path, opts).map_err(script_error)
    });
}
