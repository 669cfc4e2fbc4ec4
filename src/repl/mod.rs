//! The interactive shell: `ns> ` reads an entry (over several lines under `... ` while Rhai
//! finds it unfinished), runs it against one persistent scope and the script functions
//! defined so far, and pretty-prints its value; an error shows a caret and the session goes
//! on. `:help`, `:doc`, `:plugins`, `:vars`, `:clear`, `:quit`. History lives in the user's
//! data folder (or `NETSCRIPT_HISTORY`), minus any entry that mentions a login, password or
//! secret. With stdin not a terminal the same loop runs quietly, line by line.
//!
//! - [`helper`]: completion, signature hints and the validator.
//! - [`pretty`]: how values are printed.
//! - [`interrupt`]: Ctrl-C while a line runs.

mod helper;
mod interrupt;
mod pretty;

use crate::diagnostics;
use crate::engine::{Runtime, ScriptFailure};
use helper::{ReplHelper, SessionNames, Variable};
use netscript_sdk::rhai::{EvalAltResult, Map, Scope, Stmt, AST};
use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;

const PROMPT: &str = "ns> ";
const CONTINUATION: &str = "... ";
/// Words that keep an entry out of the history file.
const SENSITIVE: &[&str] = &["login", "password", "secret"];

type LineEditor<'a> = Editor<ReplHelper<'a>, FileHistory>;

/// Runs the REPL until `:quit`, Ctrl-D (exit 0) or `exit(n)` (exit n). Piped, it exits 1 if
/// any entry failed.
pub fn run(runtime: &Runtime) -> ExitCode {
    let interactive = std::io::stdin().is_terminal();
    let mut editor = match new_editor(runtime) {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::from(1);
        }
    };
    let history = if interactive { history_path() } else { None };
    if let Some(path) = &history {
        // A missing file is a first session.
        let _ = editor.load_history(path);
    }
    if interactive {
        println!("netscript {} — :help for help, Tab completes, Ctrl-D leaves", env!("CARGO_PKG_VERSION"));
        interrupt::install(runtime.host);
    }

    let mut session = Session::new(runtime);
    let mut failed = false;
    loop {
        let prompt = if helper(&editor).pending().is_empty() { PROMPT } else { CONTINUATION };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                helper_mut(&mut editor).discard_entry();
                continue;
            }
            Err(ReadlineError::Eof) => {
                // Piped input that ends inside an entry: report what is wrong with it.
                let unfinished = helper_mut(&mut editor).take_entry("");
                if !interactive && !unfinished.trim().is_empty() {
                    session.eval(&unfinished);
                    failed = true;
                }
                break;
            }
            Err(e) => {
                eprintln!("error: reading input: {e}");
                return ExitCode::from(1);
            }
        };
        let helper = helper_mut(&mut editor);
        if helper.entry_goes_on() {
            helper.push_pending(&line);
            continue;
        }
        let entry = helper.take_entry(&line);
        if entry.trim().is_empty() {
            continue;
        }
        let step = match entry.trim().strip_prefix(':') {
            Some(command) => session.command(command, &mut editor),
            None => session.eval(&entry),
        };
        // After running it: a secret the entry handed to a plugin is known by now, and the
        // history gets the entry with it as `****`.
        remember(&mut editor, history.as_deref(), &netscript_sdk::host().redact(&entry));
        match step {
            Step::Done => {}
            Step::Failed => failed = true,
            Step::Quit(code) => return code,
        }
        helper_mut(&mut editor).set_session(session.names());
    }
    if failed && !interactive {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn new_editor(runtime: &Runtime) -> rustyline::Result<LineEditor<'_>> {
    let config = Config::builder()
        .max_history_size(5000)?
        .history_ignore_dups(true)?
        .history_ignore_space(true)
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor = LineEditor::with_config(config)?;
    editor.set_helper(Some(ReplHelper::new(runtime)));
    Ok(editor)
}

fn helper<'e, 'a>(editor: &'e LineEditor<'a>) -> &'e ReplHelper<'a> {
    editor.helper().expect("the helper is set at start")
}

fn helper_mut<'e, 'a>(editor: &'e mut LineEditor<'a>) -> &'e mut ReplHelper<'a> {
    editor.helper_mut().expect("the helper is set at start")
}

/// `NETSCRIPT_HISTORY` (empty: no history), else `<data dir>/netscript/history`.
fn history_path() -> Option<PathBuf> {
    let path = match std::env::var_os("NETSCRIPT_HISTORY") {
        Some(p) if p.is_empty() => return None,
        Some(p) => PathBuf::from(p),
        None => dirs::data_dir()?.join("netscript").join("history"),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("warning: no history: cannot create {}: {e}", dir.display());
            return None;
        }
    }
    Some(path)
}

/// Whether an entry may hold a credential, and so must not reach the history file.
fn is_sensitive(entry: &str) -> bool {
    let lower = entry.to_lowercase();
    SENSITIVE.iter().any(|word| lower.contains(word))
}

/// Adds `entry` (already redacted) to the history and appends it to the file at once (a
/// crash loses nothing),
/// unless it is sensitive: then it is kept nowhere, not even for the up arrow. `:quit` is
/// left out too, so the up arrow in the next session brings back real work.
fn remember(editor: &mut LineEditor<'_>, file: Option<&Path>, entry: &str) {
    if is_sensitive(entry) || matches!(entry.trim(), ":q" | ":quit" | ":exit") {
        return;
    }
    if !editor.add_history_entry(entry.trim_end()).unwrap_or(false) {
        return;
    }
    if let Some(path) = file {
        if let Err(e) = editor.append_history(path) {
            tracing::debug!(path = %path.display(), error = %e, "history not saved");
        }
    }
}

/// What an entry left the session to do.
enum Step {
    Done,
    Failed,
    Quit(ExitCode),
}

/// What persists between entries.
struct Session<'a> {
    runtime: &'a Runtime,
    scope: Scope<'static>,
    /// The imports and script functions of earlier entries, run ahead of each new one.
    prelude: AST,
    /// Each script function's name → the entry that defined it, so an error inside it is
    /// shown on that entry's text.
    defined_in: HashMap<String, Rc<str>>,
}

impl<'a> Session<'a> {
    fn new(runtime: &'a Runtime) -> Session<'a> {
        Session { runtime, scope: runtime.scope(&[]), prelude: AST::empty(), defined_in: HashMap::new() }
    }

    fn eval(&mut self, source: &str) -> Step {
        let ast = match self.runtime.engine.compile_with_scope(&self.scope, source) {
            Ok(ast) => ast,
            Err(e) => return self.report(&ScriptFailure::Parse(e), source),
        };
        let text: Rc<str> = Rc::from(source);
        for f in ast.iter_functions() {
            self.defined_in.insert(f.name.to_string(), text.clone());
        }
        let program = Arc::new(self.prelude.merge(&ast));
        interrupt::rearm();
        // `run` clears the interruption flag and lends the functions to closures on workers.
        let result = self.runtime.run(&mut self.scope, &program);

        // Functions stay even when the entry failed after defining them; an import stays
        // only when its entry ran, so a bad one cannot break every later entry.
        let mut statements: Vec<Stmt> = self.prelude.statements().to_vec();
        if result.is_ok() {
            statements.extend(ast.statements().iter().filter(|s| matches!(s, Stmt::Import(..))).cloned());
        }
        self.prelude = AST::new(statements, program.shared_lib().clone());

        match result {
            Ok(value) => {
                if !value.is_unit() {
                    println!("{}", pretty::show(&self.runtime.engine, &value));
                }
                Step::Done
            }
            Err(ScriptFailure::Exit(code)) => Step::Quit(ExitCode::from(code.clamp(0, 255) as u8)),
            Err(_) if self.runtime.host.is_interrupted() => {
                // The terminal echoed `^C` where the cursor was.
                eprintln!("\nInterrupted");
                Step::Failed
            }
            Err(failure) => self.report(&failure, source),
        }
    }

    fn report(&self, failure: &ScriptFailure, source: &str) -> Step {
        // An error inside a function from an earlier entry points into that entry.
        let defined_elsewhere = match failure {
            ScriptFailure::Runtime(err) => deepest_script_fn(err)
                .and_then(|name| Some((name, self.defined_in.get(name)?)))
                .filter(|(_, text)| &***text != source),
            _ => None,
        };
        let text = match defined_elsewhere {
            Some((name, text)) => diagnostics::render(self.runtime, failure, text, &format!("fn {name}")),
            None => diagnostics::render(self.runtime, failure, source, "repl"),
        };
        // `f(2)` where an earlier entry set `f` to a closure.
        let text = match self.closure_in_scope(&text) {
            Some(hinted) => hinted,
            None => text,
        };
        for w in crate::lint::check(source) {
            eprint!("{}", diagnostics::render_at("warning", &w.message, w.position(), source, "repl"));
        }
        eprint!("{text}");
        Step::Failed
    }

    /// The error text with the closure hint when it calls a variable of the session that
    /// holds a closure (`function not found: f(int)`).
    fn closure_in_scope(&self, text: &str) -> Option<String> {
        let start = text.find("function not found: ")?;
        let rest = &text[start..];
        let name = rest.strip_prefix("function not found: ")?.split('(').next()?;
        let holds = self.scope.get_value::<netscript_sdk::rhai::FnPtr>(name).is_some();
        if !holds {
            return None;
        }
        // Up to the position "(repl:1:1)" on the message's line: the suggestions go too.
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let message_end = rest[..line_end].rfind(" (").unwrap_or(line_end);
        let hint = format!("`{name}` holds a closure, not a function: call it as {name}.call(…)");
        Some(format!("{}{hint}{}", &text[..start], &rest[message_end..]))
    }

    fn command(&mut self, text: &str, editor: &mut LineEditor<'_>) -> Step {
        let (name, arg) = match text.trim().split_once(char::is_whitespace) {
            Some((name, arg)) => (name, arg.trim()),
            None => (text.trim(), ""),
        };
        match name {
            "help" | "h" | "?" if arg.is_empty() => {
                print!("{HELP}");
                let overview = helper(editor).reference().render("").unwrap_or_default();
                // The overview's own first line points at `--doc`; here it is `:help`.
                let modules = overview.split_once("\n\n").map_or(overview.as_str(), |(_, rest)| rest);
                print!("\nModules (`:help MODULE` for one, `:help core` for the core functions):\n{modules}");
            }
            "help" | "h" | "?" | "doc" | "d" if !arg.is_empty() => return show_topic(helper(editor), arg),
            "doc" | "d" => {
                eprintln!("usage: :doc FUNCTION   (e.g. :doc addr::ip, :doc join, :doc IpAddress.version)");
                return Step::Failed;
            }
            "plugins" => {
                for p in &self.runtime.plugins {
                    println!(
                        "{:<10} {:<8} {:<12} {}",
                        p.info.name,
                        p.info.version,
                        p.source.to_string(),
                        p.info.description
                    );
                }
            }
            "vars" => {
                // Oldest first; a name declared again shows its latest value once.
                let mut seen = std::collections::HashSet::new();
                let mut lines: Vec<String> = Vec::new();
                for (name, constant, value) in self.scope.iter_raw() {
                    if seen.insert(name) {
                        let kind = if constant { "const" } else { "let" };
                        lines.push(format!("{kind} {name} = {}", pretty::show(&self.runtime.engine, value)));
                    }
                }
                for line in lines.iter().rev() {
                    println!("{line}");
                }
            }
            "clear" => {
                let _ = editor.clear_screen();
            }
            "quit" | "q" | "exit" => return Step::Quit(ExitCode::SUCCESS),
            _ => {
                eprintln!("unknown command :{name} (:help lists the commands)");
                return Step::Failed;
            }
        }
        Step::Done
    }

    /// The variables and functions completion may offer.
    fn names(&self) -> SessionNames {
        let engine = &self.runtime.engine;
        let variables = self
            .scope
            .iter_raw()
            .map(|(name, _, value)| Variable {
                name: name.to_string(),
                type_name: helper::normalise_type(engine.map_type_name(value.type_name())),
                keys: value.read_lock::<Map>().map(|m| m.keys().map(|k| k.to_string()).collect()).unwrap_or_default(),
            })
            .collect();
        let functions = self.prelude.iter_functions().map(|f| f.name.to_string()).collect();
        SessionNames { variables, functions }
    }
}

/// The innermost script function an error passed through.
fn deepest_script_fn(err: &EvalAltResult) -> Option<&str> {
    let mut found = None;
    let mut err = err;
    loop {
        match err {
            EvalAltResult::ErrorInFunctionCall(name, _, inner, _) => {
                found = Some(name.as_str());
                err = inner;
            }
            EvalAltResult::ErrorInModule(_, inner, _) => err = inner,
            _ => return found,
        }
    }
}

/// `:help TOPIC` / `:doc TOPIC`: a module's or a function's reference, or the nearest names.
fn show_topic(helper: &ReplHelper<'_>, topic: &str) -> Step {
    let reference = helper.reference();
    if let Some(text) = reference.render(topic) {
        crate::docs::page(&text);
        return Step::Done;
    }
    let mut names = reference.names();
    names.extend(reference.modules.keys().filter(|m| !m.is_empty()).cloned());
    let nearest = diagnostics::nearest_names(topic, &names);
    if nearest.is_empty() {
        eprintln!("no module or function named '{topic}' (:help lists the modules)");
    } else {
        eprintln!("no module or function named '{topic}' (did you mean: {}?)", nearest.join(", "));
    }
    Step::Failed
}

const HELP: &str = "\
REPL commands:
  :help [TOPIC]     this overview, or a module's or a function's reference (:help addr);
                    :help rhai is Rhai for Python users
  :doc FUNCTION     one function's reference (:doc addr::ip, :doc join, :doc IpAddress.version)
  :plugins          the loaded plugins: name, version, source
  :vars             the variables in scope
  :clear            clear the screen
  :quit             leave (also :q and Ctrl-D); exit(n) leaves with status n

Tab completes modules, functions, methods after `.` and your variables. An entry with an
open bracket or backtick string goes on under `... `. Ctrl-C drops the entry being typed,
or stops the one running. Variables and functions persist from one entry to the next.
Entries mentioning a login, password or secret are not kept in the history.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_out_of_history() {
        assert!(is_sensitive("let PassWord = \"x\";"));
        assert!(is_sensitive("smtp.login(user, pw)"));
        assert!(is_sensitive("let api_secret = env(\"K\");"));
        assert!(!is_sensitive("let x = 1 + 2;"));
    }
}
