//! `hash::*`: SHA-256, SHA-512, SHA-1 and MD5 digests as lower-case hex (Python's
//! `hashlib.sha256(data).hexdigest()`), of data in memory or of a file read in pieces.
//! SHA digests come from ring (already in the build for TLS), MD5 from RustCrypto's md-5
//! (published checksums still use it; never for anything secret).

use super::{bytes_of, invalid};
use netscript_sdk::error::{script_error, CommonError};
use netscript_sdk::prelude::*;
use ring::digest::{Algorithm, Context, SHA1_FOR_LEGACY_USE_ONLY, SHA256, SHA512};
use std::io::Read;
use std::path::Path;

/// The digest of `data` as hex.
fn hex_digest(algorithm: &'static Algorithm, data: &[u8]) -> String {
    hex(ring::digest::digest(algorithm, data).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of the file at `path`, read 256 KiB at a time (never whole in memory).
fn file_digest(algorithm: &'static Algorithm, path: &str) -> ScriptResult<String> {
    if path.is_empty() {
        return Err(invalid("hash: the path is empty"));
    }
    let checked = host().check_read(Path::new(path)).map_err(script_error)?;
    let failed = |e: &std::io::Error| script_error(CommonError::from_io("core", &format!("cannot read '{path}'"), e));
    let mut file = std::fs::File::open(&checked).map_err(|e| failed(&e))?;
    let mut context = Context::new(algorithm);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| failed(&e))?;
        if n == 0 {
            break;
        }
        context.update(&buf[..n]);
    }
    Ok(hex(context.finish().as_ref()))
}

/// The MD5 of the file at `path`, read in pieces.
fn file_md5(path: &str) -> ScriptResult<String> {
    use md5::Digest;
    if path.is_empty() {
        return Err(invalid("hash: the path is empty"));
    }
    let checked = host().check_read(Path::new(path)).map_err(script_error)?;
    let failed = |e: &std::io::Error| script_error(CommonError::from_io("core", &format!("cannot read '{path}'"), e));
    let mut file = std::fs::File::open(&checked).map_err(|e| failed(&e))?;
    let mut hasher = md5::Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| failed(&e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Registers the `hash` module.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("Digests as hex (hashlib's hexdigest): SHA-256, SHA-512, SHA-1, MD5, of a string, a blob or a file.");
    m.pure_func(
        "md5",
        &["data"],
        r#"
        The MD5 digest of a string (its UTF-8 bytes) or a blob, as lower-case hex
        (`hashlib.md5(data).hexdigest()`): for comparing with published checksums; MD5 is
        broken for anything an attacker chooses — use `sha256`.
        ```rhai
        print(hash::md5("hello"));   // 5d41402abc4b2a76b9719d911017c592
        ```
        Errors: `InvalidArgument` when `data` is neither a string nor a blob."#,
        |data: Dynamic| -> ScriptResult<String> {
            use md5::Digest;
            Ok(hex(&md5::Md5::digest(bytes_of(&data, "hash::md5: data")?)))
        },
    );
    m.func(
        "md5_file",
        &["path"],
        r#"
        The MD5 digest of the file at `path`, read in pieces (a file of any size).
        ```rhai
        fs::write("/tmp/hello.txt", "hello");
        print(hash::md5_file("/tmp/hello.txt"));   // 5d41402abc4b2a76b9719d911017c592
        ```
        Errors: `IoError` (missing, unreadable), `PermissionDenied`, `InvalidArgument`."#,
        file_md5,
    );
    for (name, algorithm, python, example) in [
        ("sha256", &SHA256, "hashlib.sha256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        (
            "sha512",
            &SHA512,
            "hashlib.sha512",
            "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
        ),
        ("sha1", &SHA1_FOR_LEGACY_USE_ONLY, "hashlib.sha1", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ] {
        let doc = format!(
            r#"
            The {upper} digest of a string (its UTF-8 bytes) or a blob, as lower-case hex
            (`{python}(data).hexdigest()`).
            ```rhai
            print(hash::{name}("hello"));   // {example}
            ```
            Errors: `InvalidArgument` when `data` is neither a string nor a blob."#,
            upper = name.to_uppercase()
        );
        let what = format!("hash::{name}: data");
        m.pure_func(name, &["data"], &doc, move |data: Dynamic| -> ScriptResult<String> {
            Ok(hex_digest(algorithm, &bytes_of(&data, &what)?))
        });
        let doc = format!(
            r#"
            The {upper} digest of the file at `path`, read in pieces (a file of any size).
            ```rhai
            fs::write("/tmp/hello.txt", "hello");
            print(hash::{name}_file("/tmp/hello.txt"));   // {example}
            ```
            Errors: `IoError` (missing, unreadable), `PermissionDenied`, `InvalidArgument`."#,
            upper = name.to_uppercase()
        );
        m.func(&format!("{name}_file"), &["path"], &doc, move |path: &str| file_digest(algorithm, path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_values() {
        assert_eq!(hex_digest(&SHA256, b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex_digest(&SHA1_FOR_LEGACY_USE_ONLY, b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        use md5::Digest;
        assert_eq!(hex(&md5::Md5::digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
