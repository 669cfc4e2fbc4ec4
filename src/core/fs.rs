//! `fs::*`: files, each access checked against `--allow-read` / `--allow-write`.
//! Writes are atomic: the data goes to a temp file in the same folder, then is renamed.

use super::{bytes_of, error, invalid};
use netscript_sdk::error::{script_error, CommonError, CommonKind};
use netscript_sdk::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn io_err(what: &str, path: &str, e: &std::io::Error) -> Box<EvalAltResult> {
    script_error(CommonError::from_io("core", &format!("{what} '{path}'"), e))
}

fn readable(path: &str) -> ScriptResult<PathBuf> {
    if path.is_empty() {
        return Err(invalid("fs: the path is empty"));
    }
    host().check_read(Path::new(path)).map_err(script_error)
}

fn writable(path: &str) -> ScriptResult<PathBuf> {
    if path.is_empty() {
        return Err(invalid("fs: the path is empty"));
    }
    host().check_write(Path::new(path)).map_err(script_error)
}

/// The host's atomic file ([`netscript_sdk::AtomicFile`]): a temp file in the target's
/// folder, synced and renamed into place on commit. The one implementation: `fs::write`
/// and every plugin (`http::download`, `ftp` retrievals) use it.
pub struct AtomicWrite {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicWrite {
    /// Starts writing `target` (already permission-checked). Errors: `IoError`.
    pub fn create(target: &Path) -> Result<AtomicWrite, CommonError> {
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".netscript-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| CommonError::from_io("core", &format!("create a temp file in {}", dir.display()), &e))?;
        Ok(AtomicWrite { tmp, target: target.to_path_buf() })
    }
}

impl std::io::Write for AtomicWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tmp.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

impl netscript_sdk::AtomicFile for AtomicWrite {
    fn commit(self: Box<Self>) -> Result<(), CommonError> {
        let target = self.target.display().to_string();
        let failed = |what: &str, e: &std::io::Error| CommonError::from_io("core", &format!("{what} {target}"), e);
        self.tmp.as_file().sync_all().map_err(|e| failed("sync", &e))?;
        // Keep an existing file's permissions.
        if let Ok(meta) = std::fs::metadata(&self.target) {
            let _ = std::fs::set_permissions(self.tmp.path(), meta.permissions());
        }
        self.tmp.persist(&self.target).map_err(|e| failed("rename into", &e.error))?;
        Ok(())
    }
}

/// Writes `data` to `path` atomically (temp file in the same folder + rename).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), CommonError> {
    let mut file = Box::new(AtomicWrite::create(path)?);
    file.write_all(data).map_err(|e| CommonError::from_io("core", &format!("write {}", path.display()), &e))?;
    netscript_sdk::AtomicFile::commit(file)
}

/// Registers the `fs` module.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("Files and folders. Writes are atomic (temp file + rename); every access is checked against --allow-read/--allow-write.");
    m.func(
        "read",
        &["path"],
        r#"
        Reads a whole text file (UTF-8).
        ```rhai
        let text = fs::read("notes.txt");
        ```
        Errors: `IoError` (missing, unreadable, not UTF-8 — use `fs::read_blob`), `PermissionDenied`."#,
        |path: &str| -> ScriptResult<String> {
            let p = readable(path)?;
            let bytes = std::fs::read(&p).map_err(|e| io_err("cannot read", path, &e))?;
            String::from_utf8(bytes)
                .map_err(|_| error(CommonKind::IoError, format!("'{path}' is not UTF-8 text; use fs::read_blob")))
        },
    );
    m.func(
        "read_blob",
        &["path"],
        r#"
        Reads a whole file as bytes.
        ```rhai
        let data = fs::read_blob("image.png");
        print(data.len());
        ```
        Errors: `IoError`, `PermissionDenied`."#,
        |path: &str| -> ScriptResult<Blob> {
            let p = readable(path)?;
            std::fs::read(&p).map_err(|e| io_err("cannot read", path, &e))
        },
    );
    m.func(
        "write",
        &["path", "data"],
        r#"
        Writes a string or blob to a file atomically (temp file + rename): readers see the old
        or the new content, never half of it.
        ```rhai
        fs::write("/tmp/out.txt", "hello\n");
        ```
        Errors: `IoError`, `PermissionDenied`, `InvalidArgument` (data neither string nor blob)."#,
        |path: &str, data: Dynamic| -> ScriptResult<()> {
            let bytes = bytes_of(&data, "fs::write: data")?;
            let p = writable(path)?;
            write_atomic(&p, &bytes).map_err(script_error)
        },
    );
    m.func(
        "append",
        &["path", "data"],
        r#"
        Appends a string or blob to a file, creating it if needed.
        ```rhai
        fs::append("/tmp/log.txt", "one more line\n");
        ```
        Errors: `IoError`, `PermissionDenied`."#,
        |path: &str, data: Dynamic| -> ScriptResult<()> {
            let bytes = bytes_of(&data, "fs::append: data")?;
            let p = writable(path)?;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&p)
                .map_err(|e| io_err("cannot open", path, &e))?;
            f.write_all(&bytes).map_err(|e| io_err("cannot append to", path, &e))
        },
    );
    m.func(
        "exists",
        &["path"],
        r#"
        Whether a file or folder exists.
        ```rhai
        if !fs::exists("/tmp/out") { fs::mkdir("/tmp/out"); }
        ```
        Errors: `PermissionDenied`."#,
        |path: &str| -> ScriptResult<bool> { Ok(readable(path)?.exists()) },
    );
    m.func(
        "is_dir",
        &["path"],
        r#"
        Whether `path` is a folder.
        ```rhai
        print(fs::is_dir("/tmp"));
        ```
        Errors: `PermissionDenied`."#,
        |path: &str| -> ScriptResult<bool> { Ok(readable(path)?.is_dir()) },
    );
    m.func(
        "mkdir",
        &["path"],
        r#"
        Creates a folder and its missing parents (no error if it exists).
        ```rhai
        fs::mkdir("/tmp/backup/2026/11");
        ```
        Errors: `IoError`, `PermissionDenied`."#,
        |path: &str| -> ScriptResult<()> {
            let p = writable(path)?;
            std::fs::create_dir_all(&p).map_err(|e| io_err("cannot create", path, &e))
        },
    );
    m.func(
        "list",
        &["dir"],
        r#"
        The names in a folder, sorted.
        ```rhai
        for name in fs::list("/tmp") { print(name); }
        ```
        Errors: `IoError`, `PermissionDenied`."#,
        |dir: &str| -> ScriptResult<Array> {
            let p = readable(dir)?;
            let mut names: Vec<String> = std::fs::read_dir(&p)
                .map_err(|e| io_err("cannot list", dir, &e))?
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect();
            names.sort();
            Ok(names.into_iter().map(Dynamic::from).collect())
        },
    );
    m.func(
        "remove",
        &["path"],
        r#"
        Removes a file or an empty folder.
        ```rhai
        fs::remove("/tmp/out.txt");
        ```
        Errors: `IoError` (missing, or a folder that is not empty), `PermissionDenied`."#,
        |path: &str| -> ScriptResult<()> {
            let p = writable(path)?;
            let result = if p.is_dir() { std::fs::remove_dir(&p) } else { std::fs::remove_file(&p) };
            result.map_err(|e| io_err("cannot remove", path, &e))
        },
    );
    m.func(
        "size",
        &["path"],
        r#"
        A file's size in bytes.
        ```rhai
        print(fs::size("/etc/hostname"));
        ```
        Errors: `IoError`, `PermissionDenied`."#,
        |path: &str| -> ScriptResult<INT> {
            let p = readable(path)?;
            let meta = std::fs::metadata(&p).map_err(|e| io_err("cannot stat", path, &e))?;
            INT::try_from(meta.len()).map_err(|_| invalid("file too large"))
        },
    );
    m.func(
        "mtime",
        &["path"],
        r#"
        When a file was last modified, as seconds since 1970 (Python's `os.path.getmtime`,
        whole seconds).
        ```rhai
        print(fs::mtime("/etc/hostname") > 0);   // true
        ```
        Errors: `IoError`, `PermissionDenied`."#,
        |path: &str| -> ScriptResult<INT> {
            let p = readable(path)?;
            let meta = std::fs::metadata(&p).map_err(|e| io_err("cannot stat", path, &e))?;
            let modified = meta.modified().map_err(|e| io_err("cannot stat", path, &e))?;
            Ok(match modified.duration_since(std::time::UNIX_EPOCH) {
                Ok(d) => d.as_secs() as INT,
                Err(before) => -(before.duration().as_secs() as INT),
            })
        },
    );
}

/// A lock held on a file (`fs::lock`, script type `FileLock`): an exclusive `flock` on an open
/// descriptor. The system releases it when the process ends in any way (a crash or SIGKILL
/// included), so a stale lock never blocks the next run. Clones share the one lock.
#[derive(Clone)]
pub struct FileLock {
    file: std::sync::Arc<std::sync::Mutex<Option<std::fs::File>>>,
    path: String,
}

impl FileLock {
    /// Takes the lock on `path` (made if missing), waiting up to `wait` seconds for another
    /// process to let go. Errors: `IoError` (held elsewhere after the wait: the message names
    /// the holder's pid), `PermissionDenied`, `InvalidArgument`.
    fn take(path: &str, wait: std::time::Duration) -> ScriptResult<FileLock> {
        use std::os::fd::AsRawFd;
        if path.is_empty() {
            return Err(invalid("fs::lock: the path is empty"));
        }
        let p = writable(path)?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&p)
            .map_err(|e| io_err("cannot open the lock file", path, &e))?;
        let now = std::time::Instant::now();
        let deadline = now.checked_add(wait).unwrap_or(now + std::time::Duration::from_secs(1 << 32));
        loop {
            // SAFETY: flock on a descriptor this function owns; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io_err("cannot lock", path, &e));
            }
            if std::time::Instant::now() >= deadline {
                let holder = std::fs::read_to_string(&p).unwrap_or_default();
                let holder = holder.trim();
                let message = if holder == std::process::id().to_string() {
                    format!("'{path}' is already locked by this script (its lock is held until `.release()`)")
                } else {
                    let by = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
                    format!("'{path}' is locked by another process{by}: another run is still going")
                };
                return Err(error(CommonKind::IoError, message));
            }
            netscript_sdk::runtime::sleep("core", std::time::Duration::from_millis(50)).map_err(script_error)?;
        }
        // The holder's pid, for the message another process gets.
        let _ = file.set_len(0);
        let _ = write!(file, "{}", std::process::id());
        Ok(FileLock { file: std::sync::Arc::new(std::sync::Mutex::new(Some(file))), path: path.to_string() })
    }

    /// Lets go of the lock (closing the descriptor releases it); a second call does nothing.
    fn release(&self) {
        self.file.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    fn held(&self) -> bool {
        self.file.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }
}

/// Registers `fs::lock` and its `FileLock` type.
pub fn register_lock(m: &mut ModuleBuilder) {
    m.custom_type::<FileLock>("FileLock");
    m.func(
        "lock",
        &["path"],
        r#"
        Takes an exclusive lock on the file `path` (made if missing) so that two runs of a
        script do not work at once: the second gets an error at once. The lock holds until
        `.release()` or the end of the process, however it ends (a crash or `kill -9`
        releases it too: no stale lock to clean up).
        ```rhai
        let lock = fs::lock("/tmp/backup.lock");
        // … the work …
        lock.release();
        ```
        Errors: `IoError` when another process holds it (the message names its pid),
        `PermissionDenied` (`--allow-write`), `InvalidArgument` for an empty path."#,
        |path: &str| FileLock::take(path, std::time::Duration::ZERO),
    );
    m.func(
        "lock",
        &["path", "options"],
        r#"
        Like `fs::lock(path)`, waiting up to `#{ wait: SECONDS }` for another process to let go.
        ```rhai
        let lock = fs::lock("/tmp/backup.lock", #{ wait: 5 });
        ```
        Errors: `IoError` when it is still held after the wait, `PermissionDenied`,
        `InvalidArgument` (an unknown option, a negative wait)."#,
        |path: &str, options: Map| -> ScriptResult<FileLock> {
            let opts = netscript_sdk::Options::parse("core", "fs::lock", options, &["wait"]).map_err(script_error)?;
            FileLock::take(path, opts.duration("wait", std::time::Duration::ZERO).map_err(script_error)?)
        },
    );
    m.method(
        "release",
        &[],
        r#"
        Lets go of the lock; calling it again does nothing.
        ```rhai
        let lock = fs::lock("/tmp/x.lock");
        lock.release();
        ```
        Errors: none."#,
        |l: &mut FileLock| l.release(),
    );
    m.pure_method(
        "held",
        &[],
        "Whether this lock is still held (false after `.release()`).\n```rhai\nlet lock = fs::lock(\"/tmp/x.lock\");\nprint(lock.held());   // true\n```\nErrors: none.",
        |l: &mut FileLock| l.held(),
    );
    m.pure_method(
        "to_string",
        &[],
        "The lock as text.\n```rhai\nprint(fs::lock(\"/tmp/x.lock\"));\n```\nErrors: none.",
        |l: &mut FileLock| format!("FileLock({}, {})", l.path, if l.held() { "held" } else { "released" }),
    );
}
