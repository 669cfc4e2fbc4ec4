//! Records what a plugin and its host must share before any plugin code runs: the exact
//! rustc that builds the SDK, and the SDK's own identity (its version and a hash of its
//! sources), which the ABI fingerprint folds in — the `Host` vtable, the error types and
//! the register context cross the library boundary, so a plugin built against a changed SDK
//! must be refused even when nobody bumped the API version.
use std::hash::Hasher;

#[path = "src/fnv.rs"]
mod fnv;
use std::path::Path;
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown rustc".into());
    println!("cargo:rustc-env=NETSCRIPT_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");

    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    collect_sources(&Path::new(&manifest_dir).join("src"), &mut files);
    files.push(Path::new(&manifest_dir).join("Cargo.toml"));
    files.sort();
    // FNV-1a over each file's path (relative) and bytes: stable across machines and checkouts.
    let mut hash = fnv::Fnv64::default();
    hash.write(std::env::var("CARGO_PKG_VERSION").unwrap_or_default().as_bytes());
    for file in &files {
        let relative = file.strip_prefix(&manifest_dir).unwrap_or(file);
        hash.write(relative.to_string_lossy().as_bytes());
        hash.write(&std::fs::read(file).unwrap_or_default());
        println!("cargo:rerun-if-changed={}", file.display());
    }
    println!("cargo:rerun-if-changed={manifest_dir}/src");
    println!("cargo:rustc-env=NETSCRIPT_SDK_IDENTITY={:016x}", hash.finish());
}

fn collect_sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
