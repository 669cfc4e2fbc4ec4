//! Process-level functions: `exit`, `env`, `sleep`, `now`, `plugins` (and `ARGS`, which the
//! engine puts in scope).

use netscript_sdk::error::script_error;
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::{Dynamic, EvalAltResult, Map, Module, Position, Shared};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The terminal's size as (columns, rows), when stdout is one.
pub fn terminal_size() -> Option<(usize, usize)> {
    // SAFETY: TIOCGWINSZ fills a winsize struct for a terminal fd and fails otherwise.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_row > 0 && size.ws_col > 0).then_some((usize::from(size.ws_col), usize::from(size.ws_row)))
}

/// Registers the process functions into the global module.
pub fn register(m: &mut ModuleBuilder) {
    m.func(
        "eprint",
        &["text"],
        r#"
        Prints `text` and a line break to standard error, as it is (no time or level, unlike
        `log::error`): usage mistakes, messages for the person at the terminal while stdout
        carries the data (Python's `print(text, file=sys.stderr)`).
        ```rhai
        eprint("usage: netscript copy.rhai FOLDER");
        ```
        Errors: none."#,
        |text: Dynamic| {
            use std::io::Write;
            let text = if text.is_string() { text.into_string().unwrap_or_default() } else { text.to_string() };
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{text}");
        },
    );
    m.func(
        "is_terminal",
        &[],
        r#"
        Whether standard output is a terminal (Python's `sys.stdout.isatty()`): a script
        prints a table for a person and JSON or plain lines for a pipe.
        ```rhai
        if is_terminal() { print("hello, person"); } else { print("hello, pipe"); }
        ```
        Errors: none."#,
        || -> bool { std::io::IsTerminal::is_terminal(&std::io::stdout()) },
    );
    m.func(
        "terminal_width",
        &[],
        r#"
        The terminal's width in columns when standard output is one, else `$COLUMNS` when
        set, else 80 (Python's `shutil.get_terminal_size().columns`).
        ```rhai
        let rule = "";
        rule.pad(terminal_width(), '-');
        print(rule);
        ```
        Errors: none."#,
        || -> INT {
            let columns = terminal_size().map(|(c, _)| c).or_else(|| {
                std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|c| *c > 0)
            });
            columns.unwrap_or(80).min(10_000) as INT
        },
    );
    m.func(
        "exit",
        &["code"],
        r#"
        Ends the script with an exit code (in the REPL: leaves the REPL).
        ```rhai
        if ARGS.len() == 0 { exit(2); }
        ```
        Errors: none."#,
        |code: INT| -> ScriptResult<()> {
            Err(Box::new(EvalAltResult::ErrorTerminated(Dynamic::from_int(code), Position::NONE)))
        },
    );
    m.func(
        "exit",
        &[],
        r#"
        Ends the script with exit code 0.
        ```rhai
        exit();
        ```
        Errors: none."#,
        || -> ScriptResult<()> { Err(Box::new(EvalAltResult::ErrorTerminated(Dynamic::from_int(0), Position::NONE))) },
    );
    m.func(
        "env",
        &["name"],
        r#"
        The environment variable `name`, or `()` when it is not set.
        ```rhai
        let home = env("HOME");
        ```
        Errors: `PermissionDenied` when `--allow-env` does not name it."#,
        |name: &str| -> ScriptResult<Dynamic> {
            host().check_env(name).map_err(script_error)?;
            Ok(std::env::var(name).map(Dynamic::from).unwrap_or(Dynamic::UNIT))
        },
    );
    m.func(
        "env",
        &["name", "default"],
        r#"
        The environment variable `name`, or `default` when it is not set.
        ```rhai
        let port = env("PORT", "8080");
        ```
        Errors: `PermissionDenied` when `--allow-env` does not name it."#,
        |name: &str, default: Dynamic| -> ScriptResult<Dynamic> {
            host().check_env(name).map_err(script_error)?;
            Ok(std::env::var(name).map(Dynamic::from).unwrap_or(default))
        },
    );
    m.func(
        "sleep",
        &["seconds"],
        r#"
        Pauses this thread for `seconds` (a float or an integer); Ctrl-C in the REPL cuts it short.
        ```rhai
        sleep(0.25);
        ```
        Errors: `InvalidArgument` for a negative or non-finite duration."#,
        |seconds: FLOAT| sleep(seconds),
    );
    m.func(
        "sleep",
        &["seconds"],
        r#"
        Pauses this thread for whole `seconds`.
        ```rhai
        sleep(1);
        ```
        Errors: `InvalidArgument` for a negative duration."#,
        |seconds: INT| sleep(seconds as FLOAT),
    );
    m.func(
        "now",
        &[],
        r#"
        Seconds since the Unix epoch, as a float (like Python's `time.time()`).
        ```rhai
        let started = now();
        ```
        Errors: none."#,
        || -> FLOAT { SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0) },
    );
    m.func(
        "random",
        &[],
        r#"
        A random float in [0, 1) (not for secrets).
        ```rhai
        let jitter = random() * 0.1;
        ```
        Errors: none."#,
        || -> FLOAT { fastrand::f64() },
    );
    m.func(
        "plugins",
        &[],
        r#"
        The loaded plugins: an array of `#{ name, version, description, source, functions }`,
        `source` being "built-in" or the library's path.
        ```rhai
        for p in plugins() { print(`${p.name} ${p.version} (${p.source})`); }
        ```
        Errors: none."#,
        || -> Array {
            PLUGINS.get().map(|list| list.iter().map(|p| Dynamic::from_map(p.to_map())).collect()).unwrap_or_default()
        },
    );
}

/// What `plugins()` reports about one plugin.
pub struct PluginSummary {
    pub name: String,
    pub version: String,
    pub description: String,
    pub source: String,
    pub module: Shared<Module>,
}

impl PluginSummary {
    fn to_map(&self) -> Map {
        let mut map = Map::new();
        map.insert("name".into(), self.name.clone().into());
        map.insert("version".into(), self.version.clone().into());
        map.insert("description".into(), self.description.clone().into());
        map.insert("source".into(), self.source.clone().into());
        let mut functions: Vec<String> =
            self.module.gen_fn_signatures_with_mapper(|s| s.into()).map(|s| s.to_string()).collect();
        functions.sort();
        functions.dedup();
        map.insert("functions".into(), functions.into_iter().map(Dynamic::from).collect::<Array>().into());
        map
    }
}

static PLUGINS: OnceLock<Vec<PluginSummary>> = OnceLock::new();

/// Records the loaded plugins for `plugins()` (once, by the engine).
pub fn set_plugins(list: Vec<PluginSummary>) {
    let _ = PLUGINS.set(list);
}

fn sleep(seconds: FLOAT) -> ScriptResult<()> {
    // Huge (1e300) sleeps without limit; negative or NaN is InvalidArgument.
    let nap = netscript_sdk::timeout::from_secs("core", "sleep: seconds", seconds).map_err(script_error)?;
    // Interruptible (Ctrl-C), and on a fiber (in `parallel`) its siblings run meanwhile.
    netscript_sdk::runtime::sleep("core", nap).map_err(script_error)
}
