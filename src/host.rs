//! The services the runtime lends every plugin (the SDK's [`Host`] trait): the permission
//! checker, the interruption flag set by Ctrl-C, calling script closures from any thread
//! with the one shared engine, the redaction set of secrets, and `--trace` output.

use crate::permissions::Permissions;
use netscript_sdk::error::CommonError;
use netscript_sdk::rhai::{
    Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Module, NativeCallContext, Position, Shared, AST,
};
use netscript_sdk::Host;
use std::cell::RefCell;
use std::future::Future;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Secrets shorter than this are not redacted (they would blank out ordinary text).
const MIN_SECRET: usize = 3;

/// The runtime's implementation of [`Host`]; one per process, leaked so plugins can keep
/// a `&'static` to it.
pub struct HostServices {
    permissions: Permissions,
    /// Secrets to replace with `****` in everything netscript prints (longest first).
    secrets: RwLock<Vec<String>>,
    /// Protocols whose conversation `--trace` prints (`all`: every one).
    traced: Vec<String>,
    interrupted: AtomicBool,
    engine: OnceLock<Arc<Engine>>,
    /// The script functions closures may call (the running script's, or the REPL's so far),
    /// and the modules it imports.
    library: RwLock<Arc<Library>>,
    /// Bumped by every `set_library`: threads keep their own handle on the library until it
    /// changes, so a closure call takes no shared lock (server handlers call thousands a
    /// second on every core).
    library_version: AtomicU64,
    /// The last sources compiled (name, text), newest last: a failed handler's error shows
    /// its line.
    sources: RwLock<Vec<(String, Arc<str>)>>,
}

/// What a closure called from native code (on any thread) can reach besides its own
/// captures: the script's functions and the modules it imported at its top level (`import
/// "std/retry" as retry;` works inside a `parallel` closure or a server handler, which Rhai
/// would otherwise call with no imports at all).
pub struct Library {
    ast: Arc<AST>,
    imports: Vec<(ImmutableString, Shared<Module>)>,
}

thread_local! {
    /// This thread's handle on the library, with the version it was taken at. An `Rc` around
    /// the `Arc` on purpose: a call clones it without an atomic operation.
    #[allow(clippy::redundant_allocation)]
    static LIBRARY: RefCell<Option<(u64, Rc<Arc<Library>>)>> = const { RefCell::new(None) };
}

impl HostServices {
    /// Creates and leaks the process's host services.
    pub fn install(permissions: Permissions, traced: Vec<String>) -> &'static HostServices {
        let host: &'static HostServices = Box::leak(Box::new(HostServices {
            permissions,
            secrets: RwLock::new(Vec::new()),
            traced,
            interrupted: AtomicBool::new(false),
            engine: OnceLock::new(),
            library: RwLock::new(Arc::new(Library { ast: Arc::new(AST::empty()), imports: Vec::new() })),
            library_version: AtomicU64::new(0),
            sources: RwLock::new(Vec::new()),
        }));
        netscript_sdk::host::install(host);
        host
    }

    /// Hands over the engine, once it is built.
    pub fn set_engine(&self, engine: Arc<Engine>) {
        let _ = self.engine.set(engine);
    }

    /// The shared engine.
    pub fn engine(&self) -> &Arc<Engine> {
        self.engine.get().expect("engine is set before any script runs")
    }

    /// Remembers a compiled source, so a failure in code from it shows its line (the last 16).
    pub fn remember_source(&self, name: &str, text: &str) {
        let mut sources = self.sources.write().unwrap_or_else(|p| p.into_inner());
        sources.retain(|(n, _)| n != name);
        sources.push((name.to_string(), Arc::from(text)));
        if sources.len() > 16 {
            sources.remove(0);
        }
    }

    /// Makes `ast`'s functions, and the modules it imports (`imports`: alias → module),
    /// reachable from closures run on other threads.
    pub fn set_library(&self, ast: Arc<AST>, imports: Vec<(ImmutableString, Shared<Module>)>) {
        *self.library.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Library { ast, imports });
        self.library_version.fetch_add(1, Ordering::Release);
    }

    /// The library as this thread last saw it, taken again when it has changed since.
    #[allow(clippy::redundant_allocation)] // see `LIBRARY`
    fn library(&self) -> Rc<Arc<Library>> {
        let version = self.library_version.load(Ordering::Acquire);
        LIBRARY.with(|cached| {
            let mut cached = cached.borrow_mut();
            match &*cached {
                Some((seen, library)) if *seen == version => library.clone(),
                _ => {
                    let library = Rc::new(self.library.read().unwrap_or_else(|e| e.into_inner()).clone());
                    *cached = Some((version, library.clone()));
                    library
                }
            }
        })
    }

    /// The permission checker.
    pub fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// Whether Ctrl-C asked the running code to stop.
    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// Sets or clears the interruption flag (Ctrl-C).
    pub fn set_interrupted(&self, value: bool) {
        self.interrupted.store(value, Ordering::SeqCst);
    }
}

impl Host for HostServices {
    fn check_net(&self, host: &str, port: u16, resolved: &[IpAddr]) -> Result<(), CommonError> {
        let result = self.permissions.check_net(host, port, resolved);
        tracing::debug!(host, port, allowed = result.is_ok(), "net permission");
        result
    }
    fn check_read(&self, path: &Path) -> Result<PathBuf, CommonError> {
        self.permissions.check_read(path)
    }
    fn check_write(&self, path: &Path) -> Result<PathBuf, CommonError> {
        self.permissions.check_write(path)
    }
    fn check_env(&self, name: &str) -> Result<(), CommonError> {
        self.permissions.check_env(name)
    }
    fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }
    fn add_secret(&self, secret: &str) {
        // Shorter ones would blank out ordinary words everywhere.
        if secret.chars().count() < MIN_SECRET {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }
    fn redact(&self, text: &str) -> String {
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "****");
            }
        }
        out
    }
    fn trace_enabled(&self, protocol: &str) -> bool {
        !self.traced.is_empty() && self.traced.iter().any(|p| p == "all" || p == protocol)
    }
    fn trace_line(&self, protocol: &str, line: &str) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "[{protocol}] {}", self.redact(line));
    }
    fn create_atomic(&self, path: &Path) -> Result<Box<dyn netscript_sdk::AtomicFile>, CommonError> {
        let checked = self.permissions.check_write(path)?;
        Ok(Box::new(crate::core::fs::AtomicWrite::create(&checked)?))
    }
    fn progress(&self, total: Option<u64>, label: &str, bytes: bool) -> Box<dyn netscript_sdk::Progress> {
        Box::new(crate::core::progress::Bar::new(total, label, bytes))
    }
    fn in_fiber(&self) -> bool {
        netscript_sdk::fibers::in_fiber()
    }
    fn suspend_on(&self, fut: Pin<&mut (dyn Future<Output = ()> + '_)>) -> Result<(), CommonError> {
        netscript_sdk::fibers::suspend_foreign(fut)
    }
    fn warn(&self, protocol: &str, message: &str) {
        crate::core::log::emit("WARN", &format!("{protocol}: {message}"));
    }
    fn describe_failure(&self, err: &EvalAltResult) -> String {
        // The source the error came from: the innermost call that names one, else the last.
        let mut named = None;
        let mut e = err;
        loop {
            match e {
                EvalAltResult::ErrorInFunctionCall(_, src, inner, _) => {
                    if !src.is_empty() {
                        named = Some(src.clone());
                    }
                    e = inner;
                }
                EvalAltResult::ErrorInModule(_, inner, _) => e = inner,
                _ => break,
            }
        }
        let sources = self.sources.read().unwrap_or_else(|p| p.into_inner());
        let source = match &named {
            Some(name) => sources.iter().rev().find(|(n, _)| n == name),
            None => sources.last(),
        };
        crate::diagnostics::render_handler_failure(
            self.engine(),
            err,
            source.map(|(name, text)| (name.as_str(), text.as_ref())),
        )
    }
    fn call_fn(&self, f: &FnPtr, mut args: Vec<Dynamic>) -> Result<Dynamic, Box<EvalAltResult>> {
        let library = self.library();
        let engine = self.engine();
        // `FnPtr::call`, with the script's imports on the stack as well as its functions.
        let mut global = engine.new_global_runtime_state();
        global.lib.push(library.ast.shared_lib().clone());
        for (alias, module) in &library.imports {
            global.push_import(alias.clone(), module.clone());
        }
        let context = NativeCallContext::new_with_all_fields(engine, f.fn_name(), None, &global, Position::NONE);
        f.call_raw(&context, None, &mut args)
    }
}
