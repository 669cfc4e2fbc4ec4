//! The command line (API.md §CLI): run a file, `-e CODE`, `--check`, `--doc`, `--plugins`,
//! `--plugin PATH`, the permission flags and `-v`; with no file, the REPL.
//! Exit codes: 0 ok, 1 script error, 2 usage error.

use crate::diagnostics;
use crate::engine::{Runtime, RuntimeConfig, ScriptFailure};
use crate::permissions::{PermissionFlags, Permissions};
use clap::Parser;
use netscript_sdk::PluginInfo;
use std::path::PathBuf;
use std::process::ExitCode;

/// netscript — a fast scripting runtime for network automation.
#[derive(Parser, Debug)]
#[command(name = "netscript", version, long_version = long_version(), about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Script to run (no file and no -e: the REPL).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Arguments for the script, in ARGS: everything after FILE, flags too.
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Run CODE instead of a file.
    #[arg(short = 'e', long = "eval", value_name = "CODE")]
    pub eval: Option<String>,
    /// Parse FILE and report syntax errors without running it.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// Print the reference of every module, or of one module or function.
    #[arg(long, value_name = "MODULE", num_args = 0..=1, default_missing_value = "")]
    pub doc: Option<String>,
    /// List the loaded plugins.
    #[arg(long)]
    pub plugins: bool,
    /// Run the built-in tour (scripts/tour.rhai, embedded): netscript at work, offline.
    #[arg(long)]
    pub tour: bool,
    /// Load a plugin library (repeatable).
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugin: Vec<PathBuf>,
    /// Allow network access (all, or host[:port], IP, CIDR, comma-separated).
    #[arg(long, value_name = "HOSTS", num_args = 0.., require_equals = true, value_delimiter = ',')]
    pub allow_net: Option<Vec<String>>,
    /// Allow reading files (all, or the given paths).
    #[arg(long, value_name = "PATHS", num_args = 0.., require_equals = true, value_delimiter = ',')]
    pub allow_read: Option<Vec<String>>,
    /// Allow writing files (all, or the given paths).
    #[arg(long, value_name = "PATHS", num_args = 0.., require_equals = true, value_delimiter = ',')]
    pub allow_write: Option<Vec<String>>,
    /// Allow reading environment variables (all, or the given names).
    #[arg(long, value_name = "NAMES", num_args = 0.., require_equals = true, value_delimiter = ',')]
    pub allow_env: Option<Vec<String>>,
    /// Deny everything not allowed by an --allow-* flag.
    #[arg(long)]
    pub sandbox: bool,
    /// Trace what netscript does to stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print the protocol conversation on stderr (`> ` sent, `< ` received, credentials as
    /// ****): protocol names, comma-separated, or `all`.
    #[arg(long, value_name = "PROTOS", value_delimiter = ',')]
    pub trace: Vec<String>,
}

/// `netscript --version`: this netscript and what a plugin must be built with to load here
/// (plugins/sdk/README.md, "Building a plugin the host accepts").
fn long_version() -> &'static str {
    use netscript_sdk::declaration as d;
    let text = format!(
        "{}\nplugin API {}\nSDK {}\n{}\nRhai {}\nprofile {}",
        env!("CARGO_PKG_VERSION"),
        d::API_VERSION,
        d::SDK_IDENTITY,
        d::RUSTC_VERSION,
        d::RHAI_VERSION,
        d::BUILD_PROFILE
    );
    Box::leak(text.into_boxed_str())
}

/// The tour, embedded so `netscript --tour` works from any folder.
const TOUR: &str = include_str!("../scripts/tour.rhai");

const AFTER_HELP: &str = "Examples:
  netscript --tour                           the built-in tour (offline)
  netscript scripts/tour.rhai                run a script
  netscript -e 'print(addr::ip(\"::1\"))'      run a line
  netscript --doc addr                       the addr module's reference
  netscript --allow-net=127.0.0.1:25 x.rhai  run with only that network access
  netscript --trace http x.rhai              show the HTTP conversation
Plugins also load from every folder in NETSCRIPT_PLUGIN_PATH.";

/// Splits the command line at the script file: what comes before it is netscript's, what
/// comes after is the script's (`netscript x.rhai --help -v` gives ARGS `["--help", "-v"]`),
/// as with `python3 x.py`. With `-e`, `--check` or `--doc` nothing is split.
fn split_at_script(argv: Vec<std::ffi::OsString>) -> (Vec<std::ffi::OsString>, Vec<String>) {
    const VALUED: &[&str] = &["-e", "--eval", "--check", "--plugin", "--trace"];
    let mut i = 1;
    while i < argv.len() {
        let arg = argv[i].to_string_lossy();
        if arg == "--" {
            i += 1;
            break;
        }
        if arg == "-e"
            || arg == "--eval"
            || arg.starts_with("--eval=")
            || arg.starts_with("--check")
            || arg.starts_with("--doc")
        {
            return (argv, Vec::new());
        }
        if !arg.starts_with('-') || arg == "-" {
            break;
        }
        i += if VALUED.contains(&arg.as_ref()) { 2 } else { 1 };
    }
    // argv[i] is the file (if any): keep it, hand what follows to the script.
    let cut = (i + 1).min(argv.len());
    let rest = argv[cut..].iter().map(|a| a.to_string_lossy().into_owned()).collect();
    (argv[..cut].to_vec(), rest)
}

/// Runs the CLI with `builtins` as the linked-in plugins; returns the process exit code.
pub fn main(builtins: fn() -> Vec<PluginInfo>) -> ExitCode {
    let (own, for_script) = split_at_script(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(own) {
        Ok(mut cli) => {
            cli.args.extend(for_script);
            cli
        }
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            return ExitCode::from(code.clamp(0, 255) as u8);
        }
    };
    init_tracing(cli.verbose);
    crate::core::log::enable_debug(cli.verbose > 0);

    let flags = PermissionFlags {
        allow_net: cli.allow_net.clone(),
        allow_read: cli.allow_read.clone(),
        allow_write: cli.allow_write.clone(),
        allow_env: cli.allow_env.clone(),
        sandbox: cli.sandbox,
    };
    let permissions = match Permissions::from_flags(&flags) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };

    let runtime = match Runtime::new(RuntimeConfig {
        builtins,
        plugin_paths: cli.plugin.clone(),
        permissions,
        traced: cli.trace.clone(),
    }) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("PluginError: {e}");
            return ExitCode::from(1);
        }
    };

    let known: Vec<&str> = runtime.plugins.iter().map(|p| p.info.name.as_str()).collect();
    if let Some(unknown) = cli.trace.iter().find(|p| *p != "all" && !known.contains(&p.as_str())) {
        eprintln!("error: --trace: no protocol named '{unknown}' (known: {}, all)", known.join(", "));
        return ExitCode::from(2);
    }
    if let Some(topic) = &cli.doc {
        return match crate::docs::Reference::of(&runtime).render(topic) {
            Some(text) => {
                crate::docs::page(&text);
                ExitCode::SUCCESS
            }
            None => {
                let reference = crate::docs::Reference::of(&runtime);
                let mut names = reference.names();
                names.extend(reference.modules.keys().filter(|m| !m.is_empty()).cloned());
                let nearest = diagnostics::nearest_names(topic, &names);
                if nearest.is_empty() {
                    eprintln!("error: no module or function named '{topic}' (`netscript --doc` lists the modules)");
                } else {
                    eprintln!("error: no module or function named '{topic}' (did you mean: {}?)", nearest.join(", "));
                }
                ExitCode::from(2)
            }
        };
    }
    if cli.plugins {
        for p in &runtime.plugins {
            let count = p.module.gen_fn_signatures_with_mapper(|s| s.into()).count();
            crate::engine::write_stdout(&format!(
                "{:<10} {:<8} {:<12} {count:>3} functions  {}\n",
                p.info.name,
                p.info.version,
                p.source.to_string(),
                p.info.description
            ));
        }
        for (path, why) in &runtime.refused {
            crate::engine::write_stdout(&format!("refused    {}: {why}\n", path.display()));
        }
        return ExitCode::SUCCESS;
    }
    if let Some(path) = &cli.check {
        let Some(source) = read_script(path) else { return ExitCode::from(2) };
        let name = path.display().to_string();
        return match runtime.compile(&runtime.scope(&[]), &source, &name) {
            Ok(_) => {
                warn_traps(&source, &name);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprint!("{}", diagnostics::render(&runtime, &ScriptFailure::Parse(e), &source, &name));
                ExitCode::from(1)
            }
        };
    }
    let (source, name, args) = if cli.tour {
        // `netscript --tour DIR`: DIR is the tour's argument (clap takes it for FILE).
        let mut args = cli.args.clone();
        if let Some(f) = &cli.file {
            args.insert(0, f.display().to_string());
        }
        (TOUR.to_string(), "tour.rhai".to_string(), args)
    } else if let Some(code) = &cli.eval {
        let mut args = cli.args.clone();
        if let Some(f) = &cli.file {
            args.insert(0, f.display().to_string());
        }
        (code.clone(), "-e".to_string(), args)
    } else if let Some(path) = &cli.file {
        let Some(source) = read_script(path) else { return ExitCode::from(2) };
        (source, path.display().to_string(), cli.args.clone())
    } else {
        return crate::repl::run(&runtime);
    };
    if cli.verbose > 0 {
        warn_traps(&source, &name);
    }
    match runtime.run_source(&source, &name, &args) {
        Ok(_) => ExitCode::SUCCESS,
        Err(ScriptFailure::Exit(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(failure) => {
            eprint!("{}", diagnostics::render(&runtime, &failure, &source, &name));
            // What --check would have said may be the cause (`x = x.trim()` then `x.len()`).
            if cli.verbose == 0 {
                warn_traps(&source, &name);
            }
            ExitCode::from(1)
        }
    }
}

fn read_script(path: &std::path::Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(mut s) => {
            // A `#!` line lets scripts be executables.
            if s.starts_with("#!") {
                let end = s.find('\n').unwrap_or(s.len());
                s.replace_range(..end, "");
            }
            Some(s)
        }
        Err(e) => {
            eprintln!("error: cannot read script '{}': {e}", path.display());
            None
        }
    }
}

/// The Rhai traps `lint` sees in `source`, as warnings with the line and a caret (stderr).
fn warn_traps(source: &str, name: &str) {
    for w in crate::lint::check(source) {
        eprint!("{}", diagnostics::render_at("warning", &w.message, w.position(), source, name));
    }
}

fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    // rustls-platform-verifier logs an ERROR for every certificate it refuses, a pinned
    // `ca_file` certificate the SDK then accepts included: not an error to the user.
    let level = if verbose > 1 { "trace" } else { "debug" };
    let filter = format!("{level},rustls_platform_verifier=off");
    let _ = tracing_subscriber::fmt()
        .with_writer(|| RedactingStderr(Vec::new()))
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()))
        .try_init();
}

/// A `tracing` line writer that redacts secrets before the line reaches stderr (libraries
/// log requests and errors under `-vv`).
struct RedactingStderr(Vec<u8>);

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingStderr {
    fn drop(&mut self) {
        let text = netscript_sdk::host().redact(&String::from_utf8_lossy(&self.0));
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    }
}
