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
    common::outside::cargo()
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
        common::target_profile_dir()
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

/// A library in a NETSCRIPT_PLUGIN_PATH folder that cannot load (not a library, a build for
/// another API) is a warning naming it and why; the others load, the script runs, and
/// `--plugins` lists it as refused. The same file through `--plugin` stays an error.
#[test]
fn a_stale_library_on_the_plugin_path_is_a_warning_not_a_failure() {
    let dir = common::temp_dir();
    std::fs::copy(lib("netscript_addr"), dir.path().join("libnetscript_addr.so")).unwrap();
    std::fs::copy(lib("netscript_fixture_mismatch"), dir.path().join("libstale.so")).unwrap();
    std::fs::write(dir.path().join("libjunk.so"), "not a library").unwrap();
    let path = dir.path().display().to_string();
    let run = bare_with_env(&["-e", r#"print(addr::ip("10.0.0.1"))"#], &[("NETSCRIPT_PLUGIN_PATH", &path)]);
    assert_eq!((run.status, run.stdout.as_str()), (0, "10.0.0.1\n"), "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: NETSCRIPT_PLUGIN_PATH: ") && run.stderr.contains("libstale.so not loaded"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("libjunk.so not loaded") && run.stderr.contains("is not a shared library"),
        "{}",
        run.stderr
    );
    let listed = bare_with_env(&["--plugins"], &[("NETSCRIPT_PLUGIN_PATH", &path)]);
    assert_eq!(listed.status, 0, "{}", listed.stderr);
    assert!(
        listed.stdout.lines().any(|l| l.starts_with("refused") && l.contains("libstale.so") && l.contains("API 999")),
        "{}",
        listed.stdout
    );
    let explicit = bare(&["--plugin", &format!("{path}/libjunk.so"), "-e", "1"]);
    assert_eq!(explicit.status, 1, "{}", explicit.stderr);
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
    assert!(run.stderr.contains("built for plugin API 999, this netscript has 3"), "{}", run.stderr);
}

#[test]
fn the_same_module_from_two_files_is_refused_and_one_file_named_twice_loads_once() {
    let so = lib("netscript_addr");
    let once = bare(&["--plugin", &so, "--plugin", &so, "-e", "print(addr::ip(\"10.0.0.1\").is_private())"]);
    assert_eq!((once.status, once.stdout.as_str()), (0, "true\n"), "{}", once.stderr);
    let dir = common::temp_dir();
    let copy = dir.path().join("libnetscript_addr.so");
    std::fs::copy(&so, &copy).unwrap();
    let run = bare(&["--plugin", &so, "--plugin", copy.to_str().unwrap(), "-e", "1"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("is already provided by"), "{}", run.stderr);
}

/// A copy of the plugin crate in `source` outside the workspace (`common::outside`).
fn outside_project(name: &str, source: &str, sdk_line: &str) -> (PathBuf, PathBuf) {
    common::outside::project(name, source, sdk_line, None)
}

/// The template, outside the workspace.
fn template_project() -> &'static (PathBuf, PathBuf) {
    static PROJECT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PROJECT.get_or_init(|| outside_project("hello", "plugins/sdk/template", r#"netscript-sdk = { path = "../" }"#))
}

/// Builds an outside project in this test's profile; returns the library.
fn build_outside(project: &Path, target: &Path, lib: &str) -> PathBuf {
    common::outside::build(project, target, lib)
}

/// `cargo tree` of Rhai's dependency graph with the features cargo resolved, as a set of
/// `package|features` lines, seen from the project in `dir`.
fn rhai_graph(dir: &Path) -> std::collections::BTreeSet<String> {
    let out = Command::new(cargo())
        .current_dir(dir)
        .args(["tree", "--offline", "-p", "rhai", "-e", "no-dev", "--prefix", "none", "--format", "{p}|{f}"])
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree failed in {}", dir.display());
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim_end_matches(" (*)").to_string()).collect()
}

/// The `[profile.release]` lines of a manifest.
fn release_profile(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    text.lines()
        .skip_while(|l| l.trim() != "[profile.release]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// The SDK's ABI pins must make a plugin that depends on the SDK alone resolve Rhai's whole
/// dependency graph with the host's very features, and the template must carry the host's
/// release profile: otherwise the real binary refuses the plugin (another fingerprint).
#[test]
fn abi_pins_match_the_host_graph() {
    let (project, _) = template_project();
    let host = rhai_graph(&common::repo_root());
    let plugin = rhai_graph(project);
    let only_host: Vec<_> = host.difference(&plugin).collect();
    let only_plugin: Vec<_> = plugin.difference(&host).collect();
    assert!(
        only_host.is_empty() && only_plugin.is_empty(),
        "Rhai's dependency graph differs between the host and a plugin built on its own: pin the host's \
         features in plugins/sdk/Cargo.toml (ABI pins)\n host:   {only_host:?}\n plugin: {only_plugin:?}"
    );
    assert_eq!(
        release_profile(&common::repo_root().join("Cargo.toml")),
        release_profile(&common::repo_root().join("plugins/sdk/template/Cargo.toml")),
        "the template's [profile.release] must be the host's"
    );
}

/// Regression: a plugin built by the SDK README's recipe was refused by the real binary
/// (another Rhai ABI fingerprint) while it loaded into the bare test host. Build it outside
/// the workspace, in this test's profile, and load it into `netscript` itself.
#[test]
fn template_plugin_built_by_the_readme_recipe_loads_into_the_real_netscript() {
    let (project, target) = template_project();
    let so = build_outside(project, target, "netscript_hello");
    let run = common::run(&["--plugin", so.to_str().unwrap(), "-e", r#"print(hello::greet("you", #{ shout: true }))"#]);
    assert_eq!(run.status, 0, "an outside plugin must load into the real netscript: {}", run.stderr);
    assert_eq!(run.stdout, "HELLO, YOU!\n");
}

/// A plugin loaded at run time that does I/O through the SDK kit (tests/fixtures/io-plugin,
/// built by the recipe): its connection is permission-checked (`--allow-net` denies it),
/// timed out, traced, speaks TLS to nginx with the test CA, and 32 of its requests in
/// `parallel` overlap — its waits suspend through the host like a built-in's.
#[test]
fn a_dynamic_plugin_does_checked_traced_tls_io_that_overlaps_in_parallel() {
    let (project, target) =
        outside_project("netio", "tests/fixtures/io-plugin", r#"netscript-sdk = { path = "../../../plugins/sdk" }"#);
    let so = build_outside(&project, &target, "netscript_netio");
    let so = so.to_str().unwrap();
    let nginx = common::Nginx::start(common::write_test_certs, |dir, port, tls_port| {
        let d = dir.display();
        format!(
            "  server {{ listen 127.0.0.1:{port}; listen 127.0.0.1:{tls_port} ssl; \
             ssl_certificate {d}/server.pem; ssl_certificate_key {d}/server.key; \
             location = /nap {{ echo_sleep 0.25; echo napped; }} }}"
        )
    });
    let (port, tls_port) = (nginx.port, nginx.tls_port);
    let ca = nginx.dir.path().join("ca.pem");
    let code = format!(
        r#"
        print(netio::get("127.0.0.1", {port}, "/nap", #{{}}));
        print(netio::get("localhost", {tls_port}, "/nap", #{{ tls: "implicit", ca_file: "{ca}" }}));
        let started = now();
        let all = parallel(0..32, |i| netio::get("127.0.0.1", {port}, "/nap", #{{}}), #{{ limit: 32 }});
        let took = now() - started;
        print(all.len()); print(all.filter(|s| s.contains("200")).len());
        print(if took < 2.0 {{ "overlapped" }} else {{ `serial: ${{took}} s` }});
        fn kind(f) {{ try {{ f.call(); return "no error"; }} catch (e) {{ return e.kind; }} }}
        print(kind(|| netio::get("localhost", {tls_port}, "/nap", #{{ tls: "implicit" }})));
        print(kind(|| netio::get("127.0.0.1", {port}, "/nap\r\nX: y", #{{}})));
        "#,
        ca = ca.display()
    );
    let run = common::run(&["--plugin", so, "--trace", "netio", "-e", &code]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, "HTTP/1.1 200 OK\nHTTP/1.1 200 OK\n32\n32\noverlapped\nTlsError\nInvalidArgument\n",
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("[netio] > GET /nap HTTP/1.0"), "{}", run.stderr);
    assert!(run.stderr.contains("[netio] < HTTP/1.1 200 OK"), "{}", run.stderr);
    let denied = common::run(&[
        "--plugin",
        so,
        "--allow-net=127.0.0.2",
        "-e",
        &format!(r#"try {{ netio::get("127.0.0.1", {port}, "/nap", #{{}}) }} catch (e) {{ print(e.kind) }}"#),
    ]);
    assert_eq!(denied.stdout, "PermissionDenied\n", "{}", denied.stderr);
}
