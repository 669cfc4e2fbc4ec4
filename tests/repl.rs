//! The REPL driven through a pseudo-terminal, typed at as a person would: Enter is `\r`,
//! Tab is `\t`, Ctrl-C and Ctrl-D are control keys. Each session gets its own history file.

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_command, PtySession};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONTINUATION: &str = "... ";

/// A REPL on a pseudo-terminal, with the history file it writes.
struct Repl {
    pty: PtySession,
    history: PathBuf,
    /// A fresh prompt was seen and nothing was entered at it yet. Keys typed before the
    /// prompt shows are read by the running line, not the editor, so typing waits for it.
    at_prompt: bool,
    _dir: tempfile::TempDir,
}

impl Repl {
    fn start() -> Repl {
        let dir = tempfile::tempdir().expect("temp dir");
        let history = dir.path().join("history");
        let pty = spawn(&history);
        let mut repl = Repl { pty, history, at_prompt: false, _dir: dir };
        let banner = repl.prompt();
        assert!(banner.contains("netscript ") && banner.contains(":help"), "{banner:?}");
        repl
    }

    /// Waits for the next fresh prompt (`ns> ` or `... ` at the start of a new line, not the
    /// editor redrawing the current one); returns the output up to and including it.
    fn prompt(&mut self) -> String {
        let (before, prompt) =
            self.pty.exp_regex(r"\n[^\n]*?(ns> |\.\.\. )").unwrap_or_else(|e| panic!("waiting for a prompt: {e}"));
        self.at_prompt = true;
        before + &prompt
    }

    /// Waits for the continuation prompt.
    fn continuation(&mut self) {
        let text = self.prompt();
        assert!(text.ends_with(CONTINUATION), "wanted the continuation prompt, got {text:?}");
    }

    /// Types keys (a `\r` among them is Enter) once a prompt is showing.
    fn keys(&mut self, keys: &str) {
        if !self.at_prompt {
            self.prompt();
        }
        self.pty.send(keys).expect("send keys");
        self.pty.flush().expect("flush keys");
        if keys.contains('\r') {
            self.at_prompt = false;
        }
    }

    /// Types a line and presses Enter.
    fn enter(&mut self, line: &str) {
        self.keys(&format!("{line}\r"));
    }

    /// Presses Ctrl-`key`.
    fn control(&mut self, key: char) {
        self.pty.send_control(key).expect("send a control key");
        self.at_prompt = false;
    }

    /// Waits for `text` anywhere in the output.
    fn expect(&mut self, text: &str) -> String {
        self.pty.exp_string(text).unwrap_or_else(|e| panic!("waiting for {text:?}: {e}"))
    }

    /// Waits for an output line that is exactly `line` (not the echo of what was typed).
    /// The newline after it is left for [`Repl::prompt`].
    fn expect_line(&mut self, line: &str) {
        let pattern = format!(r"\n{}\r", regex_escape(line));
        self.pty.exp_regex(&pattern).unwrap_or_else(|e| panic!("waiting for the line {line:?}: {e}"));
    }

    /// Waits for the process to end and returns its exit status.
    fn exit_status(&mut self) -> i32 {
        let _ = self.pty.exp_eof();
        match self.pty.process().wait().expect("wait for netscript") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("netscript did not exit normally: {other:?}"),
        }
    }
}

fn spawn(history: &Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netscript"));
    cmd.env("NETSCRIPT_HISTORY", history).env("TERM", "xterm-256color").env_remove("NETSCRIPT_PLUGIN_PATH");
    spawn_command(cmd, Some(15_000)).expect("spawn netscript on a pty")
}

fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

#[test]
fn arithmetic_prints_and_a_variable_persists_to_the_next_line() {
    let mut repl = Repl::start();
    repl.enter("6 * 7");
    repl.expect_line("42");
    repl.enter("let total = 40;");
    repl.prompt();
    repl.enter("total + 3");
    repl.expect_line("43");
}

#[test]
fn a_function_defined_on_one_line_is_called_on_the_next_and_from_a_task() {
    let mut repl = Repl::start();
    repl.enter("fn twice(n) { n * 2 }");
    repl.prompt();
    repl.enter("twice(21)");
    repl.expect_line("42");
    // Closures run on worker threads see the session's functions too.
    repl.enter("task(|| twice(50)).join()");
    repl.expect_line("100");
}

#[test]
fn an_open_block_or_map_continues_under_the_continuation_prompt() {
    let mut repl = Repl::start();
    repl.enter("fn area(w, h) {");
    repl.continuation();
    repl.enter("  w * h");
    repl.continuation();
    repl.enter("}");
    repl.prompt();
    repl.enter("area(6, 7)");
    repl.expect_line("42");

    repl.enter("let router = #{");
    repl.continuation();
    repl.enter("  name: \"r1\",");
    repl.continuation();
    repl.enter("  port: 22");
    repl.continuation();
    repl.enter("};");
    repl.prompt();
    repl.enter("router");
    repl.expect_line(r#"#{ name: "r1", port: 22 }"#);
}

#[test]
fn ctrl_c_drops_an_unfinished_entry() {
    let mut repl = Repl::start();
    repl.enter("fn broken() {");
    repl.continuation();
    repl.control('c');
    repl.prompt();
    repl.enter("1 + 1");
    repl.expect_line("2");
}

#[test]
fn an_error_shows_a_caret_and_the_session_goes_on() {
    let mut repl = Repl::start();
    repl.enter("let kept = 5;");
    repl.prompt();
    repl.enter("let y = 1 +* 2;");
    repl.expect("ParseError");
    repl.expect(" 1 | let y = 1 +* 2;");
    // The caret sits under the `*` (column 12).
    repl.expect_line(&format!("   | {}^", " ".repeat(11)));
    repl.enter("kept + 1");
    repl.expect_line("6");
    repl.enter("nosuchfn(1)");
    repl.expect("FunctionNotFound");
    repl.expect("^");
    repl.enter("kept * 2");
    repl.expect_line("10");
}

#[test]
fn values_are_pretty_printed() {
    let mut repl = Repl::start();
    repl.enter(r#"addr::ip("::1")"#);
    repl.expect_line("::1");
    repl.enter(r#""hello".to_blob()"#);
    repl.expect_line("Blob(5 bytes) 68 65 6c 6c 6f");
    repl.enter(r#""quoted""#);
    repl.expect_line(r#""quoted""#);
    repl.enter(r#"#{ name: "a name long enough to push the map past eighty columns", hosts: [1, 2] }"#);
    repl.expect_line("#{");
    repl.expect_line("  hosts: [1, 2],");
}

#[test]
fn help_addr_shows_the_addr_reference() {
    let mut repl = Repl::start();
    repl.enter(":help addr");
    repl.expect("# addr");
    repl.expect("addr::network(");
    repl.prompt();
    repl.enter(":help");
    repl.expect(":doc FUNCTION");
    repl.expect("json");
}

#[test]
fn doc_json_parse_shows_its_doc() {
    let mut repl = Repl::start();
    repl.enter(":doc json::parse");
    repl.expect("json::parse(text: String)");
    repl.expect("Parses JSON text");
    repl.enter(":doc no_such_thing_at_all");
    repl.expect("no module or function named 'no_such_thing_at_all'");
}

#[test]
fn plugins_lists_the_built_in_plugins() {
    let mut repl = Repl::start();
    repl.enter(":plugins");
    let out = repl.prompt();
    assert!(out.contains("addr") && out.contains("built-in"), "{out}");
}

#[test]
fn tab_completes_modules_functions_and_variables() {
    let mut repl = Repl::start();
    repl.keys("add\t");
    repl.expect("addr::");
    repl.keys("\x15"); // Ctrl-U: clear the line

    repl.keys("addr::net\t");
    repl.expect("addr::network");
    // The completion is in the line: finishing it runs the call.
    repl.enter(r#"("10.0.0.0/8")"#);
    repl.expect_line("10.0.0.0/8");

    repl.enter("let abcdef = 1;");
    repl.prompt();
    repl.keys("abc\t");
    repl.expect("abcdef");
    repl.enter(" + 41");
    repl.expect_line("42");
}

#[test]
fn tab_after_a_dot_offers_the_methods_of_the_value() {
    let mut repl = Repl::start();
    repl.enter(r#"let ip = addr::ip("8.8.8.8");"#);
    repl.prompt();
    repl.keys("ip.is_priv\t");
    repl.expect("is_private");
    repl.enter("()");
    repl.expect_line("false");
}

#[test]
fn a_line_with_a_password_is_not_written_to_the_history_file() {
    let mut repl = Repl::start();
    repl.enter("let visible = 1;");
    repl.prompt();
    repl.enter(r#"let PASSWORD = "hunter2";"#);
    repl.prompt();
    repl.enter(r#"let token = "s3"; // secret"#);
    repl.prompt();
    repl.enter(":quit");
    let history = repl.history.clone();
    assert_eq!(repl.exit_status(), 0);
    let text = std::fs::read_to_string(&history).expect("history file written");
    assert!(text.contains("let visible = 1;"), "{text}");
    assert!(!text.contains("hunter2") && !text.to_lowercase().contains("password"), "{text}");
    assert!(!text.contains("s3"), "{text}");
}

/// A secret handed to a plugin (here the password of a URL) is `****` in the history entry.
#[test]
fn a_secret_given_to_a_plugin_is_redacted_in_the_history_file() {
    let mut repl = Repl::start();
    repl.enter(r#"let u = "http://me:qz8-hidden@127.0.0.1:1/"; let r = 0; try { http::get(u); } catch { r = 7; } r"#);
    repl.expect_line("7");
    repl.enter(":quit");
    let history = repl.history.clone();
    assert_eq!(repl.exit_status(), 0);
    let text = std::fs::read_to_string(&history).expect("history file written");
    assert!(text.contains("me:****@127.0.0.1"), "{text}");
    assert!(!text.contains("qz8-hidden"), "{text}");
}

#[test]
fn history_from_an_earlier_session_is_recalled_with_the_up_arrow() {
    let mut first = Repl::start();
    first.enter("40 + 2");
    first.expect_line("42");
    first.enter(":q");
    let history = first.history.clone();
    assert_eq!(first.exit_status(), 0);
    assert!(std::fs::read_to_string(&history).unwrap().contains("40 + 2"));

    let mut second = Repl { pty: spawn(&history), history, at_prompt: false, _dir: tempfile::tempdir().unwrap() };
    second.keys("\x1b[A\r"); // up arrow, Enter
    second.expect_line("42");
}

#[test]
fn ctrl_c_stops_a_running_sleep_and_the_session_continues() {
    let mut repl = Repl::start();
    repl.enter("sleep(30)");
    // Let the line start running (the terminal leaves raw mode).
    std::thread::sleep(Duration::from_millis(500));
    let pressed = Instant::now();
    repl.control('c');
    repl.expect("Interrupted");
    assert!(pressed.elapsed() < Duration::from_secs(2), "took {:?}", pressed.elapsed());
    repl.prompt();
    repl.enter("20 + 22");
    repl.expect_line("42");
}

#[test]
fn ctrl_c_stops_an_endless_loop() {
    let mut repl = Repl::start();
    repl.enter("let n = 0; loop { n += 1; }");
    std::thread::sleep(Duration::from_millis(500));
    repl.control('c');
    repl.expect("Interrupted");
    repl.enter("n > 0");
    repl.expect_line("true");
}

#[test]
fn ctrl_d_exits_with_status_0() {
    let mut repl = Repl::start();
    repl.enter("let x = 1;");
    repl.prompt();
    repl.control('d');
    assert_eq!(repl.exit_status(), 0);
}

#[test]
fn exit_leaves_with_its_code() {
    let mut repl = Repl::start();
    repl.enter("exit(7)");
    assert_eq!(repl.exit_status(), 7);
}

fn pipe(input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netscript"))
        .env("NETSCRIPT_HISTORY", Path::new("/nonexistent/never/written"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn netscript");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn piped_stdin_runs_line_by_line_without_prompts() {
    let (status, stdout, stderr) = pipe("print(1+1)\nlet x = 2;\nfn f(a) {\n  a * 5\n}\nf(x)\n");
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stdout, "2\n10\n");
    assert!(!stdout.contains("ns>") && !stderr.contains("ns>") && !stdout.contains(":help"));
}

#[test]
fn piped_stdin_reports_errors_goes_on_and_exits_1() {
    let (status, stdout, stderr) = pipe("let y = ;\nprint(\"after\")\n");
    assert_eq!(status, 1);
    assert!(stderr.contains("ParseError") && stderr.contains('^'), "{stderr}");
    assert_eq!(stdout, "after\n");
}

#[test]
fn piped_stdin_that_ends_inside_an_entry_reports_it() {
    let (status, _, stderr) = pipe("print(\"ran\");\nfn f() {\n  1\n");
    assert_eq!(status, 1);
    assert!(stderr.contains("ParseError"), "{stderr}");
}

#[test]
fn a_closure_from_an_earlier_entry_called_as_a_function_gets_the_call_hint() {
    let mut repl = Repl::start();
    repl.enter("let f = |x| x * 2");
    repl.prompt();
    repl.enter("f(2)");
    repl.expect("`f` holds a closure, not a function: call it as f.call(");
    let rest = repl.expect("(repl:1:1)");
    assert!(!rest.contains("did you mean"), "{rest}");
    repl.prompt();
    repl.enter("f.call(21)");
    repl.expect_line("42");
}
