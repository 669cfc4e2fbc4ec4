//! The Rhai modules shipped inside the binary (`import "std/retry" as retry;`) and the
//! resolver that also imports script files relative to the importing script.

use netscript_sdk::error::script_error;
use netscript_sdk::rhai::module_resolvers::FileModuleResolver;
use netscript_sdk::rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// The embedded modules: import path → source.
pub const MODULES: &[(&str, &str)] = &[
    ("std/args", include_str!("../stdlib/args.rhai")),
    ("std/mail", include_str!("../stdlib/mail.rhai")),
    ("std/report", include_str!("../stdlib/report.rhai")),
    ("std/retry", include_str!("../stdlib/retry.rhai")),
    ("std/state", include_str!("../stdlib/state.rhai")),
];

/// Resolves `std/…` to the embedded modules and anything else to files (read-permission checked).
#[derive(Default)]
pub struct Resolver {
    cache: Mutex<HashMap<String, Shared<Module>>>,
    files: FileModuleResolver,
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some((_, code)) = MODULES.iter().find(|(name, _)| *name == path) {
            if let Some(m) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
                return Ok(m.clone());
            }
            let mut ast = engine.compile(*code).map_err(|e| Box::new(EvalAltResult::from(e)))?;
            ast.set_source(path);
            let module: Shared<Module> = Module::eval_ast_as_new(Scope::new(), &ast, engine)?.into();
            self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(path.to_string(), module.clone());
            return Ok(module);
        }
        if path.starts_with("std/") {
            let known: Vec<&str> = MODULES.iter().map(|(n, _)| *n).collect();
            return Err(Box::new(EvalAltResult::ErrorModuleNotFound(
                format!("{path} (the standard library has: {})", known.join(", ")),
                pos,
            )));
        }
        // A script file: relative to the importing script's folder.
        let base = source.and_then(|s| Path::new(s).parent()).unwrap_or(Path::new("."));
        let mut file = base.join(path);
        if file.extension().is_none() {
            file.set_extension("rhai");
        }
        netscript_sdk::host().check_read(&file).map_err(script_error)?;
        self.files.resolve(engine, source, &file.to_string_lossy(), pos)
    }
}
