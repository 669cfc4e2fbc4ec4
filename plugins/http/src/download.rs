//! `http::download(url, path)`: streams a response body into a temporary file beside
//! `path` and renames it into place only when complete, with a progress bar on a terminal.

use crate::client::{self, Client, ClientKey, CLIENT_KEYS, DEFAULT_TIMEOUT, REQUEST_KEYS};
use crate::error::{HttpError, HttpResult, PROTOCOL};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netscript_sdk::prelude::*;
use reqwest::Method;
use std::io::{IsTerminal, Write};
use std::path::Path;

fn download(url: &str, path: &str, opts: Map) -> HttpResult<INT> {
    let allowed: Vec<&str> = REQUEST_KEYS.iter().chain(CLIENT_KEYS).copied().chain(["progress"]).collect();
    let opts = Options::parse(PROTOCOL, "download", opts, &allowed)?;
    let key: ClientKey = client::client_key(&opts)?;
    let mut ro = client::request_options(&opts, DEFAULT_TIMEOUT)?;
    let show = opts.bool("progress", true)? && std::io::stderr().is_terminal();
    let target = Path::new(path);
    host().check_write(target)?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".netscript-download-")
        .tempfile_in(&parent)
        .map_err(|e| HttpError::io(&format!("create a temp file in {}", parent.display()), &e))?;
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
    let file = tmp.as_file_mut();
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
        let bar = match resp.content_length() {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::no_length(),
        };
        if show {
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let mut total: u64 = 0;
        loop {
            let chunk = tokio::time::timeout(idle, resp.chunk())
                .await
                .map_err(|_| timed(format!("download of {url}")))?
                .map_err(|e| HttpError::from_reqwest(e, idle))?;
            let Some(chunk) = chunk else { break };
            file.write_all(&chunk).map_err(|e| HttpError::io("write the download", &e))?;
            total += chunk.len() as u64;
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        Ok(total)
    })??;
    tmp.as_file().sync_all().map_err(|e| HttpError::io("sync the download", &e))?;
    tmp.persist(target).map_err(|e| HttpError::io(&format!("rename the download to {path}"), &e.error))?;
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
