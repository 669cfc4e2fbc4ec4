//! Building the one Rhai engine a process uses and running scripts on it.
//!
//! Order matters: the Rhai hashing seed is fixed before anything hashes (and handed to
//! every dynamic plugin), the host services are installed before plugins register, and
//! the engine is shared (`Arc`) so closures can run on other threads. Scripts are compiled
//! to an AST kept in an `Arc` and run with `eval_ast_with_scope`.

use crate::host::HostServices;
use crate::permissions::Permissions;
use crate::plugins::{self, LoadedPlugin, PluginLoadError, PluginSource};
use netscript_sdk::rhai::{
    Dynamic, Engine, EvalAltResult, Expr, ImmutableString, Module, OptimizationLevel, ParseError, Scope, Shared, Stmt,
    Token, AST,
};
use netscript_sdk::PluginInfo;
use std::path::PathBuf;
use std::sync::Arc;

/// A ready runtime: the engine, its host services and what was loaded.
pub struct Runtime {
    /// The shared engine.
    pub engine: Arc<Engine>,
    /// The services lent to plugins.
    pub host: &'static HostServices,
    /// Every plugin, built-in first.
    pub plugins: Vec<LoadedPlugin>,
    /// Libraries of `NETSCRIPT_PLUGIN_PATH` that could not be loaded, and why (each was a
    /// warning; `--plugins` lists them).
    pub refused: Vec<(PathBuf, String)>,
}

/// What a run can end with besides a value.
#[derive(Debug)]
pub enum ScriptFailure {
    /// The source did not parse.
    Parse(ParseError),
    /// The script raised an error nobody caught.
    Runtime(Box<EvalAltResult>),
    /// `exit(code)`.
    Exit(i32),
}

/// Settings for [`Runtime::new`].
pub struct RuntimeConfig {
    /// The built-in plugins (a function, so they are built after the hashing seed is set).
    pub builtins: fn() -> Vec<PluginInfo>,
    /// Libraries from `--plugin`.
    pub plugin_paths: Vec<PathBuf>,
    /// The permission checker.
    pub permissions: Permissions,
    /// Protocols `--trace` asked for (`all` for every one); empty: none.
    pub traced: Vec<String>,
}

/// Fixes this process's Rhai hashing seed (once) and returns it.
fn hashing_seed() -> [u64; 4] {
    static SEED: std::sync::OnceLock<[u64; 4]> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        let seed = [fastrand::u64(..), fastrand::u64(..), fastrand::u64(..), fastrand::u64(..)];
        use netscript_sdk::rhai::config::hashing;
        // Already set (by an embedder): use the seed in force, whatever it is.
        match hashing::set_hashing_seed(Some(seed)) {
            Ok(()) => seed,
            Err(_) => hashing::get_hashing_seed().unwrap_or(seed),
        }
    })
}

/// Every how many script operations a running fiber checks whether it has had its thread
/// long enough (a look at the clock; ~20 µs of script work between looks).
const YIELD_CHECK_OPS: u64 = 1024;

impl Runtime {
    /// Builds the engine with core functions, built-in plugins and the requested libraries
    /// (plus those on `NETSCRIPT_PLUGIN_PATH`).
    pub fn new(config: RuntimeConfig) -> Result<Runtime, PluginLoadError> {
        let seed = hashing_seed();
        netscript_sdk::error::install_panic_hook();
        let host = HostServices::install(config.permissions, config.traced);

        let mut loaded: Vec<LoadedPlugin> =
            (config.builtins)().into_iter().map(|info| LoadedPlugin::new(info, PluginSource::BuiltIn)).collect();
        let explicit = config.plugin_paths.len();
        let mut paths = config.plugin_paths;
        paths.extend(plugins::libraries_on_plugin_path());
        let mut refused = Vec::new();
        // The same file named twice (by `--plugin` and a folder of NETSCRIPT_PLUGIN_PATH) is
        // loaded once; two files offering one module are refused below.
        let mut seen = std::collections::HashSet::new();
        for (i, path) in paths.into_iter().enumerate() {
            if !seen.insert(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone())) {
                tracing::debug!(path = %path.display(), "plugin named twice: loaded once");
                continue;
            }
            // `--plugin PATH` must load; a library in a NETSCRIPT_PLUGIN_PATH folder that
            // cannot (a stale build) is a warning, and everything else still runs.
            let plugin = match plugins::load_library(&path, host, seed) {
                Ok(plugin) => plugin,
                Err(err) if i >= explicit => {
                    eprintln!("warning: NETSCRIPT_PLUGIN_PATH: {} not loaded: {err}", path.display());
                    refused.push((path, err.to_string()));
                    continue;
                }
                Err(err) => return Err(err),
            };
            if crate::core::MODULE_NAMES.contains(&plugin.info.name.as_str()) {
                return Err(PluginLoadError::Duplicate {
                    name: plugin.info.name.clone(),
                    first: "netscript's core".into(),
                    second: plugin.source.to_string(),
                });
            }
            if let Some(first) = loaded.iter().find(|p| p.info.name == plugin.info.name) {
                return Err(PluginLoadError::Duplicate {
                    name: plugin.info.name.clone(),
                    first: first.source.to_string(),
                    second: plugin.source.to_string(),
                });
            }
            tracing::debug!(name = %plugin.info.name, source = %plugin.source, "plugin loaded");
            loaded.push(plugin);
        }

        let mut engine = Engine::new();
        engine.set_optimization_level(OptimizationLevel::Full);
        engine.set_max_call_levels(256);
        engine.set_max_expr_depths(256, 128);
        // `debug` is a reserved word to Rhai's tokenizer; as a plain identifier it still
        // calls the built-in `debug(…)`, and `log::debug(…)` (API.md §Core) parses.
        #[allow(deprecated)] // "volatile", not deprecated (Rhai's words); Rhai is pinned =1.27.0
        engine.on_parse_token(|token, _, _| match token {
            Token::Reserved(word) if word.as_str() == "debug" => Token::Identifier(word),
            other => other,
        });
        engine.set_module_resolver(crate::stdlib::Resolver::default());
        engine.on_progress(move |ops| {
            if host.is_interrupted() {
                return Some("interrupted (Ctrl-C)".into());
            }
            if ops % YIELD_CHECK_OPS == 0 {
                // A server handler past its time limit: its fiber was cancelled.
                if netscript_sdk::fibers::cancelled() {
                    return Some("cancelled: the handler ran past its time limit".into());
                }
                // A busy fiber (in `parallel`, an HTTP handler) lets its siblings in now and then.
                netscript_sdk::fibers::maybe_yield();
            }
            None
        });
        engine.on_print(|text| write_stdout(&format!("{text}\n")));
        engine.on_debug(|text, source, pos| {
            let src = source.unwrap_or("script");
            eprintln!("[{src}:{pos}] {text}");
        });

        crate::core::register_all(&mut engine);
        for plugin in &mut loaded {
            plugin.module = std::mem::take(&mut plugin.info.module).into();
            engine.register_static_module(plugin.info.name.as_str(), plugin.module.clone());
        }
        // `plugins()` builds its maps (with every signature) only when a script asks.
        let summaries: Vec<_> = loaded
            .iter()
            .map(|p| crate::core::process::PluginSummary {
                name: p.info.name.clone(),
                version: p.info.version.clone(),
                description: p.info.description.clone(),
                source: p.source.to_string(),
                module: p.module.clone(),
            })
            .collect();
        crate::core::process::set_plugins(summaries);
        let engine = Arc::new(engine);
        host.set_engine(engine.clone());
        Ok(Runtime { engine, host, plugins: loaded, refused })
    }

    /// A scope with `ARGS` set.
    pub fn scope(&self, args: &[String]) -> Scope<'static> {
        let mut scope = Scope::new();
        let args: netscript_sdk::rhai::Array = args.iter().map(|a| Dynamic::from(a.clone())).collect();
        scope.push_constant("ARGS", args);
        scope
    }

    /// Compiles `source` (named `name` in messages) against `scope`.
    pub fn compile(&self, scope: &Scope, source: &str, name: &str) -> Result<Arc<AST>, ParseError> {
        let mut ast = self.engine.compile_with_scope(scope, source)?;
        ast.set_source(name);
        self.host.remember_source(name, source);
        Ok(Arc::new(ast))
    }

    /// Runs a compiled script; its functions become callable from closures on other threads.
    pub fn run(&self, scope: &mut Scope, ast: &Arc<AST>) -> Result<Dynamic, ScriptFailure> {
        self.host.set_library(ast.clone(), self.top_level_imports(ast));
        self.host.set_interrupted(false);
        self.engine.eval_ast_with_scope::<Dynamic>(scope, ast).map_err(classify)
    }

    /// The modules `ast` imports at its top level with a constant path (`import "std/retry"
    /// as retry;`), resolved as its run resolves them (the resolver caches each module, so
    /// both get the same one), for closures that native code calls. One that cannot be
    /// resolved is left out: the run's own `import` reports why. A module file's own
    /// top-level code therefore runs before the script's first statement (once: the run's
    /// `import` finds it cached).
    fn top_level_imports(&self, ast: &AST) -> Vec<(ImmutableString, Shared<Module>)> {
        let mut imports = Vec::new();
        for stmt in ast.statements() {
            let Stmt::Import(import, pos) = stmt else { continue };
            let (Expr::StringConstant(path, _), alias) = &**import else { continue };
            if alias.name.is_empty() {
                continue;
            }
            if let Ok(module) = self.engine.module_resolver().resolve(&self.engine, ast.source(), path, *pos) {
                imports.push((alias.name.clone(), module));
            }
        }
        imports
    }

    /// Compiles and runs `source` with `args`.
    pub fn run_source(&self, source: &str, name: &str, args: &[String]) -> Result<Dynamic, ScriptFailure> {
        let mut scope = self.scope(args);
        let ast = self.compile(&scope, source, name).map_err(ScriptFailure::Parse)?;
        self.run(&mut scope, &ast)
    }
}

/// Tells `exit(code)` apart from errors.
pub fn classify(err: Box<EvalAltResult>) -> ScriptFailure {
    match innermost(&err) {
        EvalAltResult::ErrorTerminated(value, _) if value.is_int() => {
            ScriptFailure::Exit(value.as_int().unwrap_or(1) as i32)
        }
        _ => ScriptFailure::Runtime(err),
    }
}

/// The error at the bottom of a chain of function-call wrappers.
pub fn innermost(err: &EvalAltResult) -> &EvalAltResult {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) | EvalAltResult::ErrorInModule(_, inner, _) => {
            innermost(inner)
        }
        other => other,
    }
}

/// Writes `text` to stdout. A reader that went away (`netscript … | head`) ends netscript
/// quietly with the status a shell shows for SIGPIPE (141), as C tools end; Rust's `print!`
/// would panic there.
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
    }
}
