//! The CLI and core functions end to end: exit codes, error rendering, permissions, files,
//! JSON, tasks, the docs and their examples, and the standard library.

mod common;

use common::{eval, run};
use std::time::{Duration, Instant};

#[test]
fn a_syntax_error_shows_line_column_and_caret_and_exits_1() {
    let dir = common::temp_dir();
    let script = dir.path().join("bad.rhai");
    std::fs::write(&script, "let a = 1;\nlet b = (a + ;\n").unwrap();
    let r = run(&[script.to_str().unwrap()]);
    assert_eq!(r.status, 1);
    let expected =
        format!("ParseError: Unexpected ';' ({}:2:14)\n 2 | let b = (a + ;\n   |              ^\n", script.display());
    assert_eq!(r.stderr, expected);
    let checked = run(&["--check", script.to_str().unwrap()]);
    assert_eq!(checked.status, 1);
    assert!(checked.stderr.starts_with("ParseError"), "{}", checked.stderr);
}

#[test]
fn check_accepts_a_valid_script_without_running_it() {
    let dir = common::temp_dir();
    let script = dir.path().join("ok.rhai");
    std::fs::write(&script, "fs::write(\"/nonexistent/dir/x\", \"never runs\");\n").unwrap();
    let r = run(&["--check", script.to_str().unwrap()]).ok();
    assert!(r.stdout.is_empty() && r.stderr.is_empty());
}

#[test]
fn an_unknown_function_lists_the_nearest_names() {
    let r = eval(r#"let x = addr::ipp("1.2.3.4");"#);
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with("FunctionNotFound: function not found: addr::ipp"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean: addr::ip"), "{}", r.stderr);
    assert!(r.stderr.contains("(-e:1:15)"), "{}", r.stderr);
}

#[test]
fn an_uncaught_error_prints_kind_message_and_position() {
    let r = eval("let a = 1;\njson::parse(\"{oops\");");
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.starts_with("InvalidArgument: json::parse: key must be a string at line 1 column 2 (-e:2:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(" 2 | json::parse(\"{oops\");"), "{}", r.stderr);
}

#[test]
fn usage_errors_exit_2_and_exit_sets_the_code() {
    assert_eq!(run(&["--no-such-flag"]).status, 2);
    assert_eq!(run(&["/nonexistent/script.rhai"]).status, 2);
    assert_eq!(run(&["--allow-net=host:notaport", "-e", "1"]).status, 2);
    assert_eq!(eval("exit(7); print(\"not reached\")").status, 7);
    let r = eval("print(ARGS)");
    assert_eq!(r.stdout, "[]\n");
    let r = run(&["-e", "print(ARGS.len()); print(ARGS[1])", "a", "--b"]).ok();
    assert_eq!(r.stdout, "2\n--b\n");
}

#[test]
fn thrown_values_and_caught_errors_are_maps_with_kind() {
    let r =
        eval(r#"try { base64::decode("***") } catch (e) { print(e.kind); print(e.protocol); print(e.code == ()); }"#)
            .ok();
    assert_eq!(r.stdout, "InvalidArgument\ncore\ntrue\n");
}

#[test]
fn two_sleeping_tasks_run_together() {
    // Timed inside the script (start-up of a debug build is not part of it): one after the
    // other would take at least 1.0 s.
    let r = eval(
        "let t0 = now(); let a = task(|| { sleep(0.5); 1 }); let b = task(|| { sleep(0.5); 2 }); \
         print(a.join() + b.join()); let took = now() - t0; print(if took < 0.95 { \"overlapped\" } else { `${took}` });",
    )
    .ok();
    assert_eq!(r.stdout, "3\noverlapped\n");
}

#[test]
fn a_task_error_is_rethrown_by_join() {
    let r = eval(r#"let t = task(|| throw #{ kind: "Timeout", message: "slow" }); try { t.join() } catch (e) { print(e.kind) } try { t.join() } catch (e) { print(e.message) }"#).ok();
    assert_eq!(r.stdout, "Timeout\nslow\n");
}

#[test]
fn parallel_keeps_input_order_respects_the_limit_and_rethrows() {
    let items: Vec<String> = (0..50).map(|x| x.to_string()).collect();
    let r = eval(&format!(
        "print(parallel([{}], |x| {{ sleep(0.01 * (50 - x) / 50.0); x * 2 }}, #{{ limit: 8 }}))",
        items.join(", ")
    ))
    .ok();
    let expected: Vec<String> = (0..50).map(|x| (x * 2).to_string()).collect();
    assert_eq!(r.stdout.trim(), format!("[{}]", expected.join(", ")));
    let start = Instant::now();
    eval("parallel([1, 2, 3, 4], |x| sleep(0.3), #{ limit: 2 })").ok();
    assert!(start.elapsed().as_secs_f64() >= 0.6, "limit 2 must run 4 naps in two rounds");
    let r = eval(r#"parallel([1, 2, 3], |x| if x == 2 { throw #{ kind: "IoError", message: "two" } } else { x })"#);
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with("IoError: two"), "{}", r.stderr);
    // Ranges are items too; one too large to hold is refused, not allocated.
    let r = eval("print(parallel(0..4, |i| i * i)); print(parallel(1..=3, |i| i, #{ limit: 2 }));").ok();
    assert_eq!(r.stdout, "[0, 1, 4, 9]\n[1, 2, 3]\n");
    let r = eval("parallel(0..100000000000, |i| i)");
    assert!(
        r.stderr.starts_with("InvalidArgument: parallel: a range of 100000000000 numbers is too large"),
        "{}",
        r.stderr
    );
    let r = eval("parallel([1], |x| x, #{ limt: 2 })");
    assert!(r.stderr.starts_with("InvalidArgument: parallel: unknown option 'limt' (known: limit)"), "{}", r.stderr);
}

#[test]
fn parallel_overlaps_waits_on_few_threads_and_busy_closures_do_not_starve_the_others() {
    // 64 naps of 0.5 s at once: they overlap on one thread per core (not 64 threads).
    let start = Instant::now();
    let r = eval(
        "let xs = []; for x in 0..64 { xs.push(x) } print(parallel(xs, |x| { sleep(0.5); x }, #{ limit: 64 }).len())",
    )
    .ok();
    assert_eq!(r.stdout, "64\n");
    assert!(start.elapsed() < Duration::from_secs(3), "64 naps took {:?}", start.elapsed());
    // Seven closures spin until the eighth has run (it writes a file): fibers sharing a
    // thread take turns.
    let dir = common::temp_dir();
    let flag = dir.path().join("flag");
    let r = eval(&format!(
        r#"let flag = "{}";
           let out = parallel([0, 1, 2, 3, 4, 5, 6, 7], |x| {{
               if x < 7 {{ let t = now(); while !fs::exists(flag) && now() - t < 5.0 {{ }} fs::exists(flag) }}
               else {{ fs::write(flag, "up"); true }}
           }}, #{{ limit: 8 }});
           print(out);"#,
        flag.display()
    ))
    .ok();
    assert_eq!(r.stdout, "[true, true, true, true, true, true, true, true]\n");
}

#[test]
fn parallel_closures_share_a_captured_helper_closure_that_waits() {
    // Each call holds the helper for 0.3 s; a shared lock on it would make the others
    // give up ("Data race detected").
    let r = eval(
        "let slow_double = |x| { sleep(0.3); x * 2 }; print(parallel(0..8, |i| slow_double.call(i), #{ limit: 8 }));",
    )
    .ok();
    assert_eq!(r.stdout, "[0, 2, 4, 6, 8, 10, 12, 14]\n");
}

/// A closure run by native code (`parallel`, `task`, a callback) sees the script's imports:
/// Rhai would call it with none ("Module not found").
#[test]
fn imported_modules_reach_closures_on_other_threads() {
    let dir = common::temp_dir();
    std::fs::write(dir.path().join("triple.rhai"), "fn triple(x) { x * 3 }").unwrap();
    let main = dir.path().join("main.rhai");
    std::fs::write(
        &main,
        r#"import "std/retry" as retry;
           import "triple" as t;
           print(parallel([1, 2], |x| retry::run(|| t::triple(x))));
           print(task(|| t::triple(5)).join());"#,
    )
    .unwrap();
    let r = run(&[main.to_str().unwrap()]).ok();
    assert_eq!(r.stdout, "[3, 6]\n15\n");
}

#[test]
fn closures_on_worker_threads_can_call_script_functions() {
    let r = eval("fn double(x) { x * 2 } print(parallel([1, 2], |x| double(x)));").ok();
    assert_eq!(r.stdout, "[2, 4]\n");
}

#[test]
fn fs_writes_are_atomic_and_leave_no_temp_files() {
    let dir = common::temp_dir();
    let file = dir.path().join("out.txt");
    let script = format!(
        r#"let p = "{}"; fs::write(p, "one"); fs::write(p, blob(3, 65)); fs::append(p, "!"); print(fs::read(p)); print(fs::size(p)); print(fs::exists(p));"#,
        file.display()
    );
    let r = eval(&script).ok();
    assert_eq!(r.stdout, "AAA!\n4\ntrue\n");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    let r = eval(&format!(r#"fs::mkdir("{0}/a/b"); fs::write("{0}/a/b/c", "x"); print(fs::list("{0}/a")); fs::remove("{0}/a/b/c"); print(fs::exists("{0}/a/b/c"));"#, dir.path().display())).ok();
    assert_eq!(r.stdout, "[\"b\"]\nfalse\n");
}

#[test]
fn fs_errors_have_the_io_kind() {
    let r = eval(r#"try { fs::read("/nonexistent/file") } catch (e) { print(e.kind) }"#).ok();
    assert_eq!(r.stdout, "IoError\n");
    let r = eval(r#"fs::write("/tmp/x", 42)"#);
    assert!(r.stderr.starts_with("InvalidArgument: fs::write: data must be a string or a blob"), "{}", r.stderr);
}

#[test]
fn json_round_trips_and_base64_decodes() {
    let r = eval(
        r#"let v = json::parse(`{"a":[1,2.5,null,true],"b":{"c":"d"}}`); print(json::stringify(v)); print(v.a[1]);"#,
    )
    .ok();
    assert_eq!(r.stdout, "{\"a\":[1,2.5,null,true],\"b\":{\"c\":\"d\"}}\n2.5\n");
    let r = eval(r#"print(base64::encode("hello")); print(base64::decode("aGVsbG8=").as_string());"#).ok();
    assert_eq!(r.stdout, "aGVsbG8=\nhello\n");
    let r = eval(r#"print(json::stringify(addr::ip("2001:db8::1")))"#).ok();
    assert_eq!(r.stdout, "\"2001:db8::1\"\n");
}

#[test]
fn time_and_env_work() {
    let r = eval(r#"print(time::format_utc(0.0, "%Y-%m-%dT%H:%M:%SZ")); print(now() > 1.7e9); print(env("NETSCRIPT_SURELY_UNSET") == ()); print(env("NETSCRIPT_SURELY_UNSET", "d"));"#).ok();
    assert_eq!(r.stdout, "1970-01-01T00:00:00Z\ntrue\ntrue\nd\n");
}

mod permissions {
    use super::common::run;

    #[test]
    fn read_outside_the_allowed_folder_is_denied() {
        let r = run(&["--allow-read=/tmp", "-e", r#"fs::read("/etc/passwd")"#]);
        assert_eq!(r.status, 1);
        assert!(r.stderr.starts_with("PermissionDenied: read access to '/etc/passwd' is not allowed"), "{}", r.stderr);
    }

    #[test]
    fn env_not_named_is_denied() {
        let r = run(&["--allow-env=HOME", "-e", r#"print(env("HOME") != ()); env("PATH")"#]);
        assert_eq!(r.stdout, "true\n");
        assert!(r.stderr.starts_with("PermissionDenied: environment variable PATH is not allowed"), "{}", r.stderr);
    }

    #[test]
    fn write_elsewhere_is_denied_and_nothing_is_written() {
        let dir = super::common::temp_dir();
        let allowed = dir.path().join("ok");
        std::fs::create_dir(&allowed).unwrap();
        let flag = format!("--allow-write={}", allowed.display());
        let target = dir.path().join("not-ok.txt");
        let r = run(&[
            &flag,
            "-e",
            &format!(r#"fs::write("{}/fine.txt", "x"); fs::write("{}", "x")"#, allowed.display(), target.display()),
        ]);
        assert_eq!(r.status, 1);
        assert!(r.stderr.starts_with("PermissionDenied: write access to"), "{}", r.stderr);
        assert!(allowed.join("fine.txt").exists());
        assert!(!target.exists());
    }

    #[test]
    fn dotdot_and_symlinks_cannot_escape_the_allowed_folder() {
        let dir = super::common::temp_dir();
        let allowed = dir.path().join("box");
        std::fs::create_dir(&allowed).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink("/etc", allowed.join("etc")).unwrap();
        let flag = format!("--allow-read={}", allowed.display());
        for path in [format!("{}/../secret.txt", allowed.display()), format!("{}/etc/passwd", allowed.display())] {
            let r = run(&[&flag, "-e", &format!(r#"fs::read("{path}")"#)]);
            assert_eq!(r.status, 1, "{path} must be denied");
            assert!(r.stderr.starts_with("PermissionDenied"), "{path}: {}", r.stderr);
        }
    }

    #[test]
    fn sandbox_denies_everything_not_allowed() {
        let r = run(&["--sandbox", "-e", r#"fs::exists("/tmp")"#]);
        assert!(r.stderr.starts_with("PermissionDenied"), "{}", r.stderr);
        let r = run(&["--sandbox", "--allow-read", "-e", r#"print(fs::exists("/tmp"))"#]).ok();
        assert_eq!(r.stdout, "true\n");
    }
}

#[test]
fn the_docs_cover_modules_and_functions() {
    let r = run(&["--doc"]).ok();
    for module in ["core", "fs", "json", "base64", "log", "time", "addr"] {
        assert!(
            r.stdout.lines().any(|l| l.trim_start().starts_with(module)),
            "{module} missing from --doc:\n{}",
            r.stdout
        );
    }
    let r = run(&["--doc", "json::parse"]).ok();
    assert!(r.stdout.starts_with("json::parse(text: String) -> Dynamic\n"), "{}", r.stdout);
    assert!(r.stdout.contains("```rhai") && r.stdout.contains("Errors:"), "{}", r.stdout);
    assert_eq!(run(&["--doc", "nosuchmodule"]).status, 2);
}

/// Every `// =>` result stated in any module's docs (the real binary's engine, every
/// built-in plugin) is what the code gives, and every function has an `Errors:` line: the
/// SDK's example checker, as each plugin's own tests use it.
#[test]
fn every_stated_doc_result_holds_in_the_real_engine() {
    let flags = netscript::permissions::PermissionFlags::default();
    let runtime = netscript::engine::Runtime::new(netscript::engine::RuntimeConfig {
        builtins: netscript::builtin_plugins,
        plugin_paths: Vec::new(),
        permissions: netscript::permissions::Permissions::from_flags(&flags).unwrap(),
        traced: Vec::new(),
    })
    .unwrap();
    let checked = netscript_sdk::examples::check(&runtime.engine, false).unwrap_or_else(|e| panic!("{e}"));
    assert!(checked >= 20, "only {checked} stated results");
}

/// Every documented function has an example and an "Errors:" line; the examples of the
/// offline modules run, and every example (network ones too) at least parses.
#[test]
fn doc_examples_parse_and_offline_ones_run() {
    let flags = netscript::permissions::PermissionFlags::default();
    let runtime = netscript::engine::Runtime::new(netscript::engine::RuntimeConfig {
        builtins: netscript::builtin_plugins,
        plugin_paths: Vec::new(),
        permissions: netscript::permissions::Permissions::from_flags(&flags).unwrap(),
        traced: Vec::new(),
    })
    .unwrap();
    let reference = netscript::docs::Reference::of(&runtime);
    assert!(reference.modules.len() >= 7, "{:?}", reference.modules.keys());
    let dir = common::temp_dir();
    let offline =
        ["json", "base64", "time", "addr", "hash", "std/args", "std/mail", "std/report", "std/retry", "std/state"];
    let mut ran = 0;
    for (module, docs) in &reference.modules {
        let named =
            |f: &&netscript::docs::FnDoc| f.signature.starts_with(|c: char| c.is_alphanumeric()) && !f.doc.is_empty();
        for f in docs.functions.iter().filter(named) {
            let (signature, doc) = (&f.signature, &f.doc);
            assert!(doc.contains("Errors:"), "{signature}: no Errors: line");
            let examples = netscript::docs::examples(doc);
            assert!(!examples.is_empty(), "{signature}: no rhai example");
            for (i, code) in examples.iter().enumerate() {
                // `expr  // => value` lines state a result (checked by the plugin's own
                // tests); as a script each is a statement.
                let code: String = code
                    .lines()
                    .map(|l| match l.split_once("// =>") {
                        Some((expr, _)) if !expr.trim_end().ends_with(';') && !expr.trim().is_empty() => {
                            format!("{};", expr.trim_end())
                        }
                        _ => l.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let file =
                    dir.path().join(format!("{}-{}-{i}.rhai", module.replace('/', "_"), f.name.replace('$', "_")));
                std::fs::write(&file, &code).unwrap();
                let checked = run(&["--check", file.to_str().unwrap()]);
                assert_eq!(checked.status, 0, "{signature}: example does not parse:\n{code}\n{}", checked.stderr);
                if offline.contains(&module.as_str()) {
                    let out = run(&[file.to_str().unwrap()]);
                    assert_eq!(out.status, 0, "{signature}: example fails:\n{code}\n{}", out.stderr);
                    ran += 1;
                }
            }
        }
    }
    assert!(ran > 30, "only {ran} examples ran");
}

#[test]
fn std_retry_retries_chosen_kinds_with_backoff() {
    let r = eval(r#"import "std/retry" as retry;
        let n = 0;
        let v = retry::run(|| { n += 1; if n < 3 { throw #{ kind: "Timeout", message: "slow" } } n }, #{ delay: 0.01 });
        print(v);
        let m = 0;
        try { retry::run(|| { m += 1; throw #{ kind: "InvalidArgument", message: "bad" } }, #{ delay: 0.01 }) } catch (e) { print(`${e.kind} after ${m}`) }
        let k = 0;
        try { retry::run(|| { k += 1; throw #{ kind: "Timeout", message: "slow" } }, #{ attempts: 4, delay: 0.001 }) } catch (e) { print(`${e.kind} after ${k}`) }
        try { retry::run(|| 1, #{ tries: 2 }) } catch (e) { print(e.kind) }"#).ok();
    assert_eq!(r.stdout, "3\nInvalidArgument after 1\nTimeout after 4\nInvalidArgument\n");
    let r = eval(r#"import "std/nope" as x;"#);
    assert!(r.stderr.starts_with("ModuleNotFound: Module not found: std/nope"), "{}", r.stderr);
}

#[test]
fn the_tour_runs_offline() {
    let dir = common::temp_dir();
    let r = common::run_in(&[common::repo_root().join("scripts/tour.rhai").to_str().unwrap()], Some(dir.path())).ok();
    assert!(r.stdout.contains("tour complete"), "{}", r.stdout);
    // Every part at work: the echo server, the HTTP API, the SMTP exchange and the parse.
    for part in [
        "answered three clients at once: [\"ALPHA\", \"BETA\", \"GAMMA\"]",
        "GET /net → 200",
        "the server received \"Grüße from the tour\" from tour@example.com, 1 attachment (report.csv)",
        "hq    192.0.2.0/26      62",
    ] {
        assert!(r.stdout.contains(part), "{part}: {}", r.stdout);
    }
}

/// Regression: `sleep(1e300)` raised `PluginError: … cannot convert float seconds to
/// Duration`; it sleeps without limit (until interrupted).
#[test]
fn sleep_with_a_huge_value_sleeps_without_limit() {
    let mut child = std::process::Command::new(common::netscript_bin())
        .args(["-e", "sleep(1e300)"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(still_running, "sleep(1e300) ended: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `--version` tells a plugin author what to build against; `--trace` refuses a typo.
#[test]
fn version_names_the_plugin_abi_and_trace_refuses_unknown_protocols() {
    let v = run(&["--version"]).ok().stdout;
    for part in ["plugin API ", "SDK 0.1.0+", "rustc ", "Rhai 1.27.0", "profile "] {
        assert!(v.contains(part), "{part} missing: {v}");
    }
    let typo = run(&["--trace", "htp", "-e", "1"]);
    assert_eq!(typo.status, 2);
    assert!(typo.stderr.contains("no protocol named 'htp'") && typo.stderr.contains("http"), "{}", typo.stderr);
    run(&["--trace", "http,socket", "-e", "1"]).ok();
}

#[test]
fn a_reader_that_goes_away_ends_the_script_quietly_like_a_c_tool() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // `netscript -e '…print…' | head -1`: the pipe closes while the script still prints.
    let mut child = Command::new(common::netscript_bin())
        .args(["-e", "for i in 0..10000000 { print(`line ${i}`); }"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 7];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // dropped: the pipe closes
    assert_eq!(&first, b"line 0\n");
    let out = common::wait_with_limit(child, std::time::Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(stderr.is_empty(), "no panic, no message: {stderr}");
}

#[test]
fn everything_after_the_script_file_is_the_scripts_even_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("args.rhai");
    std::fs::write(&script, "print(ARGS);").unwrap();
    let path = script.to_str().unwrap();
    assert_eq!(run(&[path, "--help", "-v", "x"]).ok().stdout, "[\"--help\", \"-v\", \"x\"]\n");
    assert_eq!(run(&["--trace", "dns", path, "-e", "y"]).ok().stdout, "[\"-e\", \"y\"]\n");
    assert_eq!(run(&["--", path, "--json"]).ok().stdout, "[\"--json\"]\n");
}

/// `--doc MODULE` is one line per function, overloads together (`[, options]` for what some
/// overloads lack), within 100 columns; `--doc MODULE::FUNCTION` is the whole text, every
/// signature once and a shared text once; on a terminal, a long reference goes through
/// `$PAGER`.
#[test]
fn the_reference_reads_in_one_screen_per_module_and_pages_on_a_terminal() {
    let listing = run(&["--doc", "smtp"]).ok().stdout;
    assert!(listing.contains("\n  smtp::connect(host [, port] [, options])  "), "{listing}");
    assert!(listing.contains("\n  SmtpClient.sendmail(from, to, msg [, options])"), "{listing}");
    assert_eq!(listing.matches("smtp::connect(").count(), 1, "{listing}");
    assert!(listing.lines().all(|l| l.chars().count() <= 100 || !l.starts_with("  ")), "{listing}");
    let whole = run(&["--doc", "smtp::connect"]).ok().stdout;
    assert_eq!(whole.matches("smtp::connect(host").count(), 4, "{whole}");
    assert_eq!(whole.matches("Errors:").count(), 1, "{whole}");
    // A terminal of 20 rows: the socket module's listing is longer, so it is paged.
    let paged = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("stty rows 20 cols 100; {} --doc socket", common::netscript_bin().display()),
            "/dev/null",
        ])
        .env("PAGER", "sed -e s/^/paged:/")
        .output()
        .expect("script(1)");
    let text = String::from_utf8_lossy(&paged.stdout);
    assert!(text.contains("paged:# socket"), "{text}");
    // Not a terminal: no pager.
    assert!(!run(&["--doc", "socket"]).ok().stdout.contains("paged:"));
}

/// A call with the wrong types names what the function takes and what it was given, in
/// script words (no `ImmutableString`, `i64`), and never suggests the name just typed; a
/// variable holding a closure called like a function says to use `.call`.
#[test]
fn wrong_calls_show_the_right_call_in_script_words() {
    let said = |code: &str| run(&["-e", code]).stderr.lines().next().unwrap_or_default().to_string();
    let subnet = said(r#"let n = addr::network("10.0.0.0/8"); n.subnet("26")"#);
    assert!(
        subnet.starts_with("FunctionNotFound: IpNetwork.subnet was called with (string), but takes (prefixlen: int)"),
        "{subnet}"
    );
    assert!(subnet.contains("without the quotes"), "{subnet}");
    let tcp = said(r#"socket::tcp_connect("127.0.0.1", "80")"#);
    assert!(
        tcp.contains("socket::tcp_connect was called with (string, string), but takes (host: string, port: int)"),
        "{tcp}"
    );
    let connect = said(r#"let s = socket::socket(); s.connect(["127.0.0.1", 12345])"#);
    assert!(
        connect
            .contains("Socket.connect was called with (array), but takes (path: string) or (host: string, port: int)"),
        "{connect}"
    );
    for text in [&subnet, &tcp, &connect] {
        assert!(!text.contains("ImmutableString") && !text.contains("&str") && !text.contains("i64"), "{text}");
        assert!(!text.contains("did you mean"), "{text}");
    }
    let typo = said(r#"fs::read_string("x")"#);
    assert!(typo.contains("did you mean: fs::read"), "{typo}");
    let closure = said("let f = |x| x + 1; f(3)");
    assert!(closure.contains("`f` holds a closure, not a function: call it as f.call(…)"), "{closure}");
}

/// `--doc rhai` and the REPL's `:help rhai` print the guide for Python users (its examples
/// run in tests/guide.rs); the overview points at it.
#[test]
fn the_rhai_guide_is_in_the_reference() {
    let guide = run(&["--doc", "rhai"]).ok().stdout;
    assert!(guide.starts_with("# Rhai for Python users") && guide.contains("f.call("), "{guide}");
    assert!(run(&["--doc"]).ok().stdout.contains("--doc rhai"));
}

/// `-v` colours its lines on a terminal only, and not at all with NO_COLOR set.
#[test]
fn verbose_output_is_coloured_only_on_a_terminal_without_no_color() {
    // A connection that is refused at once: its permission check is logged.
    const CODE: &str = "'try { socket::tcp_connect(\"127.0.0.1\", 1) } catch {}'";
    let bin = common::netscript_bin();
    let on_tty = |env: &str| {
        let out = std::process::Command::new("script")
            .args(["-qec", &format!("{env} {} -v -e {CODE}", bin.display()), "/dev/null"])
            .output()
            .expect("script(1)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(on_tty("").contains("\x1b["), "no colour on a terminal");
    assert!(!on_tty("NO_COLOR=1").contains("\x1b["), "colour despite NO_COLOR");
    let piped = run(&["-v", "-e", r#"try { socket::tcp_connect("127.0.0.1", 1) } catch {}"#]).stderr;
    assert!(piped.contains("net permission") && !piped.contains("\x1b["), "colour into a pipe: {piped}");
}

/// `--check` warns, with line, column and caret, about the Rhai traps it can see — a `\n` in
/// a backtick string, a try/catch as a closure's result, an in-place method's `()`
/// assigned, a closure variable called like a function — and still exits 0; a `-v` run
/// shows them too; the repository's own scripts raise none.
#[test]
fn check_warns_about_the_python_users_traps_and_still_passes() {
    let dir = common::temp_dir();
    let file = dir.path().join("traps.rhai");
    std::fs::write(
        &file,
        "let f = |s| { try { parse_int(s) } catch { 0 } };\nlet t = \" a \";\nt = t.trim();\nprint(`a\\nb`);\nprint(f(3));\n",
    )
    .unwrap();
    let out = run(&["--check", file.to_str().unwrap()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let warnings: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings.len(), 4, "{}", out.stderr);
    assert!(
        warnings[0].contains("try/catch ending a function or closure") && warnings[0].ends_with("traps.rhai:1:15)")
    );
    assert!(warnings[1].contains("`trim` changes t in place") && warnings[1].ends_with(":3:3)"));
    assert!(warnings[2].contains("backtick string") && warnings[2].ends_with(":4:9)"));
    assert!(warnings[3].contains("`f` holds a closure: call it as f.call(…)") && warnings[3].ends_with(":5:7)"));
    let verbose = run(&["-v", "-e", "let s = \" x \"; s = s.trim(); print(s)"]);
    assert!(verbose.stderr.contains("warning: `trim` changes s in place"), "{}", verbose.stderr);
    for entry in std::fs::read_dir(common::repo_root().join("scripts")).unwrap().flatten() {
        let path = entry.path();
        let out = run(&["--check", path.to_str().unwrap()]);
        assert!(out.status == 0 && !out.stderr.contains("warning"), "{}: {}", path.display(), out.stderr);
    }
}

/// Python habits get pointed at the Rhai way: a module reached with `.`, `None`, print
/// with two values, `",".join(list)`, a method read as a property, a `()` that an in-place
/// method gave (with the warning that shows where); `--doc` knows Python's names.
#[test]
fn python_habits_get_pointed_at_the_rhai_way() {
    let said = |code: &str| run(&["-e", code]).stderr;
    assert!(said("let s = socket.socket();").contains("`socket` is a module: reach its functions with `::`"));
    assert!(said("let x = None;").contains("Rhai's None is `()`"));
    let print = said(r#"print("port", 3)"#);
    assert!(print.contains("print takes one value") && !print.contains("did you mean"), "{print}");
    assert!(said(r#"print(",".join(["a"]))"#).contains("arrays have no join"));
    assert!(said(r#"let ip = addr::ip("10.0.0.1"); ip.is_private"#)
        .contains("`is_private` is a method: call it as .is_private()"));
    let trimmed = said(r#"let l = " a "; l = l.trim(); print(l.len())"#);
    assert!(trimmed.contains("the value is (): did an in-place method"), "{trimmed}");
    assert!(trimmed.contains("warning: `trim` changes l in place"), "{trimmed}");
    assert!(run(&["--doc", "IPNetwork"]).ok().stdout.starts_with("addr::network("));
    assert!(run(&["--doc", "sys.argv"]).ok().stdout.starts_with("ARGS\n"));
    assert!(run(&["--doc", "smtplib.SMTP"]).ok().stdout.starts_with("smtp::connect("));
    let typo = run(&["--doc", "trimm"]);
    assert_eq!(typo.status, 2);
    assert!(typo.stderr.contains("did you mean"), "{}", typo.stderr);
    let listing = run(&["--doc", "socket"]).ok().stdout;
    assert!(listing.contains("  Socket.bind(path) | (host, port)  "), "{listing}");
}

/// The core functions added for the workflows refuse bad input with `InvalidArgument` (or
/// say what is wrong), never a panic: digests of a number, empty and missing paths, a lock
/// with a bad option, a closure in JSON; and they give the known digests.
#[test]
fn hash_lock_and_json_refuse_bad_input_with_the_documented_kinds() {
    let dir = common::temp_dir();
    let file = dir.path().join("hello.txt");
    std::fs::write(&file, "hello").unwrap();
    let lock = dir.path().join("x.lock");
    let r = eval(&format!(
        r#"print(hash::sha256("hello")); print(hash::md5_file("{file}")); print(hash::sha1(blob(3, 0xff)));
           let calls = [|| hash::sha256(5), || hash::md5(()), || hash::sha512_file(""), || hash::sha256_file("{missing}"),
                        || fs::lock(""), || fs::lock("{lock}", #{{ wait: -1 }}), || fs::lock("{lock}", #{{ wiat: 1 }}),
                        || fs::read(""), || json::stringify(#{{ f: || 1 }})];
           for c in calls {{ try {{ c.call(); print("no error"); }} catch (e) {{ print(e.kind); }} }}
           let held = fs::lock("{lock}");
           try {{ fs::lock("{lock}", #{{ wait: 0.2 }}); }} catch (e) {{ print(`${{e.kind}} ${{e.message.contains("already locked by this script")}}`); }}
           held.release(); held.release(); print(held.held()); print(fs::lock("{lock}").held());
           print(terminal_width() > 0); print(is_terminal());"#,
        file = file.display(),
        missing = dir.path().join("missing").display(),
        lock = lock.display()
    ))
    .ok();
    assert_eq!(
        r.stdout,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n5d41402abc4b2a76b9719d911017c592\n\
         78670e88a9c2c711124471d2f24a8dbc8ce5dba9\nInvalidArgument\nInvalidArgument\nInvalidArgument\nIoError\n\
         InvalidArgument\nInvalidArgument\nInvalidArgument\nInvalidArgument\nInvalidArgument\nIoError true\nfalse\ntrue\ntrue\nfalse\n",
        "{}",
        r.stderr
    );
}
