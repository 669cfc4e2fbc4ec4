//! Plugins built the way a third party builds one (plugins/sdk/README.md): a copy of the
//! crate outside the workspace, its SDK dependency pointed at this checkout, the host's
//! `Cargo.lock` beside it, built with the test's profile into one shared target folder (so
//! the dependencies they share build once).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `cargo` running the tests.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// A copy of the plugin crate in `source` (relative to the repository) as the project
/// `name`, its `sdk_line` replaced by a path to `sdk` (this checkout's `plugins/sdk` when
/// `None`). Returns its folder and the shared target folder.
pub fn project(name: &str, source: &str, sdk_line: &str, sdk: Option<&Path>) -> (PathBuf, PathBuf) {
    let root = super::repo_root();
    let work = super::target_profile_dir().join("outside-plugins");
    let project = work.join(name);
    let _ = std::fs::remove_dir_all(project.join("src"));
    let from = root.join(source);
    let sdk = sdk.map(Path::to_path_buf).unwrap_or_else(|| root.join("plugins/sdk"));
    let manifest = std::fs::read_to_string(from.join("Cargo.toml"))
        .unwrap()
        .replace(sdk_line, &format!(r#"netscript-sdk = {{ path = "{}" }}"#, sdk.display()));
    copy_tree(&from.join("src"), &project.join("src"));
    std::fs::write(project.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    (project, work.join("target"))
}

/// Builds an outside project in this test's profile; returns the library `lib<lib>.so`.
pub fn build(project: &Path, target: &Path, lib: &str) -> PathBuf {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(project).env("CARGO_TARGET_DIR", target).args(["build", "--offline"]);
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    if profile == "release" {
        cmd.arg("--release");
    }
    let status = cmd.stdout(Stdio::null()).status().expect("cargo build an outside plugin");
    assert!(status.success(), "the outside plugin in {} did not build", project.display());
    target.join(profile).join(format!("lib{lib}.so"))
}
