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
    host().check_read(Path::new(path)).map_err(script_error)
}

fn writable(path: &str) -> ScriptResult<PathBuf> {
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
