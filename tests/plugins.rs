//! Plugin loading end to end: a plugin built as a `cdylib` loads with `--plugin` and from
//! `NETSCRIPT_PLUGIN_PATH` into a host that does not link it; a third-party plugin built in
//! its own cargo project loads; bad libraries are refused with `PluginError`, never a crash.
//!
//! The host and libraries are built here, in one cargo invocation, because which crates
//! cargo builds together decides Rhai's identity (the test binary's own build also unifies
//! dev-dependencies).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds the bare host, the addr cdylib and the fixtures once; returns the profile dir.
fn dynamic_set() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let status = Command::new(cargo())
            .current_dir(common::repo_root())
            .args([
                "build",
                "-p",
                "netscript-bare-host",
                "-p",
                "netscript-addr",
                "-p",
                "netscript-fixture-panic",
                "-p",
                "netscript-fixture-mismatch",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of the dynamic plugin set failed");
        common::repo_root().join("target/debug")
    })
}

fn bare(args: &[&str]) -> common::Run {
    bare_with_env(args, &[])
}

fn bare_with_env(args: &[&str], env: &[(&str, &str)]) -> common::Run {
    let dir = dynamic_set();
    let mut cmd = Command::new(dir.join("netscript-bare-host"));
    cmd.args(args).env_remove("NETSCRIPT_PLUGIN_PATH").stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn bare host");
    let out = common::wait_with_limit(child, std::time::Duration::from_secs(60));
    common::Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn lib(name: &str) -> String {
    dynamic_set().join(format!("lib{name}.so")).display().to_string()
}

#[test]
fn built_in_plugins_are_listed_with_their_source() {
    let run = common::run(&["--plugins"]).ok();
    let addr = run.stdout.lines().find(|l| l.starts_with("addr")).expect("addr listed");
    assert!(addr.contains("built-in"), "{addr}");
    let run = common::eval(
        r#"let p = plugins().filter(|p| p.name == "addr")[0]; print(p.source); print(p.functions.len() > 20);"#,
    )
    .ok();
    assert_eq!(run.stdout, "built-in\ntrue\n");
}

#[test]
fn addr_loads_as_a_library_into_a_host_built_without_it() {
    let before = bare(&["-e", r#"print(addr::ip("10.0.0.1"))"#]);
    assert_eq!(before.status, 1, "the bare host must not know addr: {}", before.stderr);
    let so = lib("netscript_addr");
    let after = bare(&[
        "--plugin",
        &so,
        "-e",
        r#"let ip = addr::ip("10.0.0.1"); print(ip); print(ip.is_private()); print(type_of(ip)); print(plugins()[0].source)"#,
    ]);
    assert_eq!(after.status, 0, "{}", after.stderr);
    assert_eq!(after.stdout, format!("10.0.0.1\ntrue\nIpAddress\n{so}\n"));
}

#[test]
fn plugins_load_from_every_folder_of_netscript_plugin_path() {
    let dir = common::temp_dir();
    std::fs::copy(lib("netscript_addr"), dir.path().join("libnetscript_addr.so")).unwrap();
    let path = format!("/nonexistent:{}", dir.path().display());
    let run = bare_with_env(&["--plugins"], &[("NETSCRIPT_PLUGIN_PATH", &path)]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("addr"), "{}", run.stdout);
    assert!(run.stdout.contains(&dir.path().display().to_string()), "{}", run.stdout);
}

#[test]
fn a_panicking_plugin_function_is_a_catchable_plugin_error() {
    let so = lib("netscript_fixture_panic");
    let script = r#"
        let caught = ();
        try { boom::explode(); } catch (e) { caught = e; }
        print(caught.kind); print(caught.message.contains("fixture panic on purpose")); print(boom::ok());"#;
    let run = bare(&["--plugin", &so, "-e", script]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "PluginError\ntrue\n42\n");
    let uncaught = bare(&["--plugin", &so, "-e", "boom::explode()"]);
    assert_eq!(uncaught.status, 1);
    assert!(uncaught.stderr.starts_with("PluginError: boom::explode panicked"), "{}", uncaught.stderr);
}

#[test]
fn a_missing_file_is_a_plugin_error() {
    let run = bare(&["--plugin", "/nonexistent/libnope.so", "-e", "1"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.starts_with("PluginError: cannot read plugin '/nonexistent/libnope.so'"), "{}", run.stderr);
}

#[test]
fn a_file_that_is_not_a_library_is_a_plugin_error() {
    let dir = common::temp_dir();
    let fake = dir.path().join("libfake.so");
    std::fs::write(&fake, "just text, not ELF").unwrap();
    let run = bare(&["--plugin", fake.to_str().unwrap(), "-e", "1"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("is not a shared library"), "{}", run.stderr);
}

#[test]
fn a_library_without_the_declaration_is_a_plugin_error() {
    // Any ordinary shared library will do; libm ships with every Debian.
    let libm =
        ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("libm.so.6");
    let run = bare(&["--plugin", libm, "-e", "1"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("has no netscript plugin declaration"), "{}", run.stderr);
}

#[test]
fn a_plugin_for_another_api_version_is_refused_naming_both_versions() {
    let run = bare(&["--plugin", &lib("netscript_fixture_mismatch"), "-e", "1"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("built for plugin API 999, this netscript has 1"), "{}", run.stderr);
}

#[test]
fn the_same_plugin_twice_is_refused() {
    let so = lib("netscript_addr");
    let run = bare(&["--plugin", &so, "--plugin", &so, "-e", "1"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("is already provided by"), "{}", run.stderr);
}

/// The recipe a plugin author follows (plugins/sdk/README.md): copy the template, point it
/// at the SDK, use the host's Cargo.lock, same toolchain and profile, `cargo build`.
#[test]
fn a_plugin_built_outside_the_workspace_loads() {
    let root = common::repo_root();
    let work = root.join("target/template-plugin");
    let project = work.join("hello");
    std::fs::create_dir_all(project.join("src")).unwrap();
    let template = root.join("plugins/sdk/template");
    let manifest = std::fs::read_to_string(template.join("Cargo.toml")).unwrap().replace(
        r#"netscript-sdk = { path = "../" }"#,
        &format!(r#"netscript-sdk = {{ path = "{}" }}"#, root.join("plugins/sdk").display()),
    );
    std::fs::write(project.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(template.join("src/lib.rs"), project.join("src/lib.rs")).unwrap();
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    let status = Command::new(cargo())
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .args(["build", "--offline"])
        .stdout(Stdio::null())
        .status()
        .expect("cargo build the template");
    assert!(status.success(), "the template plugin did not build");
    let so = work.join("target/debug/libnetscript_hello.so");
    let run = bare(&["--plugin", so.to_str().unwrap(), "-e", r#"print(hello::greet("you", #{ shout: true }))"#]);
    assert_eq!(run.status, 0, "an outside plugin must load: {}", run.stderr);
    assert_eq!(run.stdout, "HELLO, YOU!\n");
}
