//! The files behind `http::serve_dir(host, port, dir)` (registered in `server.rs`): a static
//! file service in the manner of
//! `SimpleHTTPRequestHandler` — GET and HEAD, `index.html`, an HTML directory listing,
//! content types by extension, `Range`, `If-None-Match`/`If-Modified-Since` — that never
//! serves a byte from outside `dir`.
//!
//! Containment: the path is percent-decoded once; a NUL, a backslash or a `..` segment is
//! refused (403) before the file system is asked; the joined path is then canonicalised
//! (resolving symlinks) and must still lie under the canonical root, else 403. Files are
//! answered by the connection task itself (no script code is involved); every look at the file
//! system runs on the blocking pool (`spawn_blocking`, `tokio::fs`), never on a runtime worker.
//! Small files are kept in memory with their headers precomputed (`FileCache`): a hit looks at
//! the file again at most every 100 ms, the copy is dropped when the file's identity (device,
//! inode, size, mtime) changes, and the request path is resolved again in full at least once
//! a second.

use crate::body::{full, simple, Body};
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Files up to this size are read in one go; larger ones are streamed.
const READ_WHOLE: u64 = 256 * 1024;

/// Characters escaped in listing links (a path segment).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'\\')
    .add(b'\'');

/// Serves the files under one directory.
pub struct DirService {
    root: PathBuf,
    listing: bool,
    cache: RwLock<FileCache>,
}

/// Why a path is not served.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Outside the root, or a forbidden form (403).
    Forbidden,
    /// No such file (404).
    NotFound,
    /// Not valid UTF-8 after decoding (400).
    BadRequest,
}

/// Maps a request path to a canonical file system path under `root` (itself canonical).
pub fn resolve(root: &Path, raw_path: &str) -> Result<PathBuf, Refusal> {
    let decoded = percent_decode_str(raw_path).decode_utf8().map_err(|_| Refusal::BadRequest)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(Refusal::Forbidden);
    }
    let mut path = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(Refusal::Forbidden),
            s => path.push(s),
        }
    }
    let canonical = path.canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Refusal::Forbidden,
        _ => Refusal::NotFound,
    })?;
    if canonical.starts_with(root) {
        Ok(canonical)
    } else {
        Err(Refusal::Forbidden)
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML listing of `dir`, shown at request path `shown` (decoded).
pub fn listing_html(dir: &Path, shown: &str) -> std::io::Result<String> {
    let mut entries: Vec<(String, bool)> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| {
            let is_dir = e.path().is_dir();
            (e.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    entries.sort_by_key(|(name, _)| name.to_lowercase());
    let title = escape_html(&format!("Directory listing for {shown}"));
    let mut html = format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n<hr>\n<ul>\n"
    );
    for (name, is_dir) in entries {
        let slash = if is_dir { "/" } else { "" };
        let href = escape_html(&utf8_percent_encode(&name, SEGMENT).to_string());
        html.push_str(&format!("<li><a href=\"{href}{slash}\">{}{slash}</a></li>\n", escape_html(&name)));
    }
    html.push_str("</ul>\n<hr>\n</body>\n</html>\n");
    Ok(html)
}

/// A parsed single `Range: bytes=…` against a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// Serve the whole file (no header, several ranges, or a form we ignore).
    Full,
    /// Serve bytes `start..=end`.
    Part(u64, u64),
    /// 416.
    Unsatisfiable,
}

/// Parses one `Range` header value.
pub fn parse_range(value: &str, size: u64) -> RangeSpec {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return RangeSpec::Full };
    if spec.contains(',') {
        return RangeSpec::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return RangeSpec::Full };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else { return RangeSpec::Full };
        if n == 0 || size == 0 {
            return RangeSpec::Unsatisfiable;
        }
        return RangeSpec::Part(size.saturating_sub(n), size - 1);
    }
    let Ok(start) = a.parse::<u64>() else { return RangeSpec::Full };
    let end = if b.is_empty() {
        size.saturating_sub(1)
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => e.min(size.saturating_sub(1)),
            _ => return RangeSpec::Full,
        }
    };
    if start >= size {
        RangeSpec::Unsatisfiable
    } else {
        RangeSpec::Part(start, end)
    }
}

fn etag_of(meta: &std::fs::Metadata) -> String {
    let mtime = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
    format!("\"{:x}-{:x}-{:x}\"", mtime.as_secs(), mtime.subsec_nanos(), meta.len())
}

fn set(resp: &mut Response<Body>, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// What a file's response headers are made of, computed once per (cached) file version.
struct FileHead {
    size: u64,
    modified: SystemTime,
    etag: String,
    last_modified: String,
    etag_value: HeaderValue,
    last_modified_value: HeaderValue,
    content_type: HeaderValue,
    content_length: HeaderValue,
}

impl FileHead {
    fn new(path: &Path, meta: &std::fs::Metadata) -> Self {
        let size = meta.len();
        let etag = etag_of(meta);
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let last_modified = httpdate::fmt_http_date(modified);
        let content_type = mime_guess::from_path(path).first_raw().unwrap_or("application/octet-stream");
        FileHead {
            size,
            modified,
            etag_value: header_value(&etag),
            last_modified_value: header_value(&last_modified),
            content_type: HeaderValue::from_static(content_type),
            content_length: HeaderValue::from(size),
            etag,
            last_modified,
        }
    }
}

/// Identity of one version of a file: a cached copy is used only while all of these match.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Version {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

impl Version {
    fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Version { dev: meta.dev(), ino: meta.ino(), len: meta.len(), mtime: (meta.mtime(), meta.mtime_nsec()) }
    }
}

/// A small file held in memory, keyed by its request path.
struct CachedFile {
    /// The canonical path the request path resolved to (inside the root).
    canonical: PathBuf,
    /// When the request path was last resolved (symlinks, containment) in full.
    resolved: Instant,
    /// When the file was last `stat`ed (microseconds since [`epoch`]).
    checked: AtomicU64,
    version: Version,
    head: FileHead,
    body: Bytes,
}

/// Files up to this size are kept in memory.
const CACHE_FILE_MAX: u64 = 64 * 1024;
/// At most this many cached files…
const CACHE_ENTRIES: usize = 1024;
/// …and this many bytes in all.
const CACHE_BYTES: usize = 32 << 20;
/// A cached request path is resolved again (containment, symlinks) at least this often; in
/// between, the file is `stat`ed (off the runtime's threads) at most every
/// [`CACHE_CHECK_EVERY`] and the copy dropped when it changed.
const CACHE_RESOLVE_EVERY: Duration = Duration::from_secs(1);
/// How long a cached copy is served without looking at the file again.
const CACHE_CHECK_EVERY: Duration = Duration::from_millis(100);

/// The clock the cache's check times count from.
fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn micros_since_epoch() -> u64 {
    u64::try_from(epoch().elapsed().as_micros()).unwrap_or(u64::MAX)
}

#[derive(Default)]
struct FileCache {
    files: HashMap<String, Arc<CachedFile>>,
    bytes: usize,
}

impl DirService {
    /// A service for the canonical directory `root`.
    pub fn new(root: PathBuf, listing: bool) -> Self {
        Self { root, listing, cache: RwLock::new(FileCache::default()) }
    }

    /// The cached copy for `raw_path`, when it is still the file on disk.
    async fn cached(&self, raw_path: &str) -> Option<Arc<CachedFile>> {
        let entry = self.cache.read().unwrap_or_else(|e| e.into_inner()).files.get(raw_path).cloned()?;
        if entry.resolved.elapsed() < CACHE_RESOLVE_EVERY {
            let now = micros_since_epoch();
            let checked = entry.checked.load(Ordering::Relaxed);
            if now.saturating_sub(checked) < CACHE_CHECK_EVERY.as_micros() as u64 {
                return Some(entry);
            }
            // `tokio::fs`: the stat runs on the blocking pool, not on a runtime worker.
            let same = tokio::fs::metadata(&entry.canonical)
                .await
                .is_ok_and(|m| m.is_file() && Version::of(&m) == entry.version);
            if same {
                entry.checked.store(now, Ordering::Relaxed);
                return Some(entry);
            }
        }
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if cache.files.get(raw_path).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
            cache.files.remove(raw_path);
            cache.bytes -= entry.body.len();
        }
        None
    }

    fn remember(&self, raw_path: &str, canonical: &Path, meta: &std::fs::Metadata, head: FileHead, body: Bytes) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if cache.files.len() >= CACHE_ENTRIES || cache.bytes + body.len() > CACHE_BYTES {
            cache.files.clear();
            cache.bytes = 0;
        }
        let entry = CachedFile {
            canonical: canonical.to_path_buf(),
            resolved: Instant::now(),
            checked: AtomicU64::new(micros_since_epoch()),
            version: Version::of(meta),
            head,
            body,
        };
        cache.bytes += entry.body.len();
        if let Some(old) = cache.files.insert(raw_path.to_string(), Arc::new(entry)) {
            cache.bytes -= old.body.len();
        }
    }

    /// Answers one request.
    pub async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => {
                let mut resp = simple(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed");
                set(&mut resp, header::ALLOW, "GET, HEAD");
                return resp;
            }
        };
        if let Some(entry) = self.cached(req.uri().path()).await {
            return respond(&req, &entry.head, entry.body.clone(), head);
        }
        // Boxed: the state of the slow path (file system, streaming) is only allocated when
        // it runs, not kept in every connection's in-flight slot.
        Box::pin(self.uncached(req, head)).await
    }

    /// Answers a request the cache could not: the file system is asked on the blocking
    /// pool (never on a runtime worker), then the answer is made here.
    async fn uncached(&self, req: Request<Incoming>, head: bool) -> Response<Body> {
        let raw_path = req.uri().path().to_string();
        let query = req.uri().query().map(str::to_string);
        let (root, listing, asked) = (self.root.clone(), self.listing, raw_path.clone());
        let found = tokio::task::spawn_blocking(move || look_up(&root, &asked, query.as_deref(), listing)).await;
        match found {
            Ok(Found::Refused(status, text)) => simple(status, text),
            Ok(Found::Redirect(location)) => {
                let mut resp = simple(StatusCode::MOVED_PERMANENTLY, "301 Moved Permanently");
                set(&mut resp, header::LOCATION, &location);
                resp
            }
            Ok(Found::Listing(html)) => {
                let len = html.len();
                let mut resp = Response::new(if head { full(Bytes::new()) } else { full(html) });
                set(&mut resp, header::CONTENT_TYPE, "text/html; charset=utf-8");
                set(&mut resp, header::CONTENT_LENGTH, &len.to_string());
                resp
            }
            Ok(Found::File { path, meta, whole }) => {
                let file_head = FileHead::new(&path, &meta);
                match whole {
                    // Small: answered from memory, and later requests too while the file's
                    // identity (device, inode, size, mtime) stays the same.
                    Some(data) => {
                        let body = Bytes::from(data);
                        let resp = respond(&req, &file_head, body.clone(), head);
                        if body.len() as u64 == meta.len() && meta.len() <= CACHE_FILE_MAX {
                            self.remember(&raw_path, &path, &meta, file_head, body);
                        }
                        resp
                    }
                    None => respond_async(&req, &file_head, &path, head).await,
                }
            }
            Err(_) => simple(StatusCode::INTERNAL_SERVER_ERROR, "500 Internal Server Error"),
        }
    }
}

/// What the file system says about a request path (decided on the blocking pool).
enum Found {
    /// An error answer.
    Refused(StatusCode, &'static str),
    /// A directory asked for without its `/`: where to go.
    Redirect(String),
    /// A directory listing (HTML).
    Listing(String),
    /// A file (canonical path); `whole` holds its bytes when it is small enough to send at once.
    File { path: PathBuf, meta: std::fs::Metadata, whole: Option<Vec<u8>> },
}

/// Resolves `raw_path` under `root` and reads what answers it: the blocking half of
/// [`DirService::uncached`].
fn look_up(root: &Path, raw_path: &str, query: Option<&str>, listing: bool) -> Found {
    let path = match resolve(root, raw_path) {
        Ok(p) => p,
        Err(Refusal::Forbidden) => return Found::Refused(StatusCode::FORBIDDEN, "403 Forbidden"),
        Err(Refusal::NotFound) => return Found::Refused(StatusCode::NOT_FOUND, "404 Not Found"),
        Err(Refusal::BadRequest) => return Found::Refused(StatusCode::BAD_REQUEST, "400 Bad Request"),
    };
    let Ok(meta) = std::fs::metadata(&path) else {
        return Found::Refused(StatusCode::NOT_FOUND, "404 Not Found");
    };
    let file_path = if meta.is_file() {
        path
    } else if meta.is_dir() {
        if !raw_path.ends_with('/') {
            return Found::Redirect(match query {
                Some(q) => format!("{raw_path}/?{q}"),
                None => format!("{raw_path}/"),
            });
        }
        let index = path.join("index.html");
        if index.is_file() && index.canonicalize().is_ok_and(|c| c.starts_with(root)) {
            index
        } else if listing {
            let shown = percent_decode_str(raw_path).decode_utf8_lossy().into_owned();
            return match listing_html(&path, &shown) {
                Ok(html) => Found::Listing(html),
                Err(_) => Found::Refused(StatusCode::FORBIDDEN, "403 Forbidden"),
            };
        } else {
            return Found::Refused(StatusCode::FORBIDDEN, "403 Forbidden");
        }
    } else {
        return Found::Refused(StatusCode::FORBIDDEN, "403 Forbidden");
    };
    let meta = match std::fs::metadata(&file_path) {
        Ok(m) if m.is_file() => m,
        _ => return Found::Refused(StatusCode::NOT_FOUND, "404 Not Found"),
    };
    let whole = if meta.len() <= CACHE_FILE_MAX.max(READ_WHOLE) {
        match std::fs::read(&file_path) {
            Ok(data) => Some(data),
            Err(_) => return Found::Refused(StatusCode::FORBIDDEN, "403 Forbidden"),
        }
    } else {
        None
    };
    Found::File { path: file_path, meta, whole }
}

/// The head of the answer to a file request.
enum Head {
    /// 200 or 206: send bytes `start..start + len`.
    Send(Response<Body>, u64, u64),
    /// A finished response (304, 416, HEAD, empty).
    Done(Response<Body>),
}

/// The head of the answer to `req` for the file `file`.
fn respond_head(req: &Request<Incoming>, file: &FileHead, head: bool) -> Head {
    let size = file.size;
    let header_str = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    let not_modified = if let Some(inm) = header_str(header::IF_NONE_MATCH) {
        inm.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == file.etag)
    } else if let Some(ims) = header_str(header::IF_MODIFIED_SINCE) {
        match httpdate::parse_http_date(ims) {
            Ok(since) => {
                let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                secs(file.modified) <= secs(since)
            }
            Err(_) => false,
        }
    } else {
        false
    };
    let mut resp = Response::new(full(Bytes::new()));
    let headers = resp.headers_mut();
    headers.insert(header::ETAG, file.etag_value.clone());
    headers.insert(header::LAST_MODIFIED, file.last_modified_value.clone());
    if not_modified {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        return Head::Done(resp);
    }
    headers.insert(header::CONTENT_TYPE, file.content_type.clone());
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let if_range_ok = header_str(header::IF_RANGE).is_none_or(|v| v == file.etag || v == file.last_modified);
    let range = match header_str(header::RANGE) {
        Some(r) if if_range_ok => parse_range(r, size),
        _ => RangeSpec::Full,
    };
    let (start, len) = match range {
        RangeSpec::Full => {
            resp.headers_mut().insert(header::CONTENT_LENGTH, file.content_length.clone());
            (0, size)
        }
        RangeSpec::Part(a, b) => {
            *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
            set(&mut resp, header::CONTENT_RANGE, &format!("bytes {a}-{b}/{size}"));
            resp.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(b - a + 1));
            (a, b - a + 1)
        }
        RangeSpec::Unsatisfiable => {
            let mut resp = simple(StatusCode::RANGE_NOT_SATISFIABLE, "416 Range Not Satisfiable");
            set(&mut resp, header::CONTENT_RANGE, &format!("bytes */{size}"));
            return Head::Done(resp);
        }
    };
    if head || len == 0 {
        return Head::Done(resp);
    }
    Head::Send(resp, start, len)
}

/// Answers from bytes in memory (or a file small enough to read whole).
fn respond(req: &Request<Incoming>, file: &FileHead, data: Bytes, head: bool) -> Response<Body> {
    let (mut resp, start, len) = match respond_head(req, file, head) {
        Head::Send(resp, start, len) => (resp, start, len),
        Head::Done(resp) => return resp,
    };
    let end = (start + len).min(data.len() as u64) as usize;
    let start = (start as usize).min(end);
    *resp.body_mut() = full(data.slice(start..end));
    resp
}

/// Answers a large file from the file system, streamed (`tokio::fs`).
async fn respond_async(req: &Request<Incoming>, file: &FileHead, path: &Path, head: bool) -> Response<Body> {
    let (mut resp, start, len) = match respond_head(req, file, head) {
        Head::Send(resp, start, len) => (resp, start, len),
        Head::Done(resp) => return resp,
    };
    let mut f = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(_) => return simple(StatusCode::FORBIDDEN, "403 Forbidden"),
    };
    if f.seek(SeekFrom::Start(start)).await.is_err() {
        return simple(StatusCode::INTERNAL_SERVER_ERROR, "500 Internal Server Error");
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(f.take(len), 64 * 1024);
    *resp.body_mut() = StreamBody::new(stream.map_ok(Frame::data)).boxed();
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_rfc_9110() {
        assert_eq!(parse_range("bytes=0-3", 10), RangeSpec::Part(0, 3));
        assert_eq!(parse_range("bytes=5-", 10), RangeSpec::Part(5, 9));
        assert_eq!(parse_range("bytes=-4", 10), RangeSpec::Part(6, 9));
        assert_eq!(parse_range("bytes=8-100", 10), RangeSpec::Part(8, 9));
        assert_eq!(parse_range("bytes=10-", 10), RangeSpec::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,3-4", 10), RangeSpec::Full);
        assert_eq!(parse_range("items=0-1", 10), RangeSpec::Full);
        assert_eq!(parse_range("bytes=4-2", 10), RangeSpec::Full);
    }

    /// A fresh folder of its own under the system temp dir (removed by the caller).
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ns-static-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn traversal_forms_never_leave_the_root() {
        let dir = scratch("traversal");
        let root = dir.canonicalize().unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
        assert!(resolve(&root, "/a.txt").is_ok());
        for bad in ["/../etc/passwd", "/%2e%2e/etc/passwd", "/..%2fetc", "/a.txt%00", "/..\\etc", "/out/passwd"] {
            assert!(resolve(&root, bad).is_err(), "{bad} resolved");
        }
        assert_eq!(resolve(&root, "/%252e%252e/etc/passwd"), Err(Refusal::NotFound));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn listing_escapes_names() {
        let dir = scratch("listing");
        std::fs::write(dir.join("<b>&x.txt"), "").unwrap();
        let html = listing_html(&dir, "/").unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(html.contains("&lt;b&gt;&amp;x.txt") && html.contains("href=\"%3Cb%3E&amp;x.txt\""), "{html}");
    }
}
