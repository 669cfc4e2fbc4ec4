//! Registering script functions: documented, panic-guarded, volatile unless pure.
//!
//! Every function a plugin offers goes through [`ModuleBuilder`]. It wraps the Rust closure
//! so that a panic inside it becomes a catchable `PluginError` instead of unwinding across
//! the library boundary (which aborts the process), records the `///` doc text and
//! parameter names that `--doc` and the REPL's `:help` show, and marks functions with side
//! effects volatile so Rhai's optimiser never runs them at compile time.

use crate::error::{panic_message, script_error, CommonError, CommonKind};
use rhai::{Dynamic, FuncRegistration, Module, NativeCallContext, Position, RhaiFunc, RhaiNativeFunc, Shared, Variant};

/// Rhai's native function object (its own alias is private).
type FnAny =
    dyn Fn(Option<NativeCallContext>, &mut [&mut Dynamic]) -> Result<Dynamic, Box<rhai::EvalAltResult>> + Send + Sync;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Builds one plugin's `rhai::Module`.
pub struct ModuleBuilder {
    name: String,
    module: Module,
    /// Rust type names → script type names, for readable signatures.
    type_names: HashMap<&'static str, String>,
}

/// Whether a function may be evaluated at compile time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effects {
    /// Same inputs, same result, no side effects (address maths).
    Pure,
    /// Touches the world (network, files, clock): never folded by the optimiser.
    Volatile,
}

impl ModuleBuilder {
    /// An empty module for the plugin `name`.
    pub fn new(name: &str) -> Self {
        let mut module = Module::new();
        module.set_id(name);
        Self { name: name.into(), module, type_names: HashMap::new() }
    }

    /// The plugin (module) name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the module's own doc (first line of `--doc MODULE`).
    pub fn doc(&mut self, doc: &str) -> &mut Self {
        self.module.set_doc(doc_lines(doc).join("\n"));
        self
    }

    /// Registers a custom type under the name scripts see in `type_of()` and in docs.
    pub fn custom_type<T: Variant + Clone>(&mut self, script_name: &str) -> &mut Self {
        self.module.set_custom_type::<T>(script_name);
        self.type_names.insert(std::any::type_name::<T>(), script_name.to_string());
        self
    }

    /// Lets `for x in value` iterate a type.
    pub fn iterable<T>(&mut self) -> &mut Self
    where
        T: Variant + Clone + IntoIterator,
        <T as IntoIterator>::Item: Variant + Clone,
    {
        self.module.set_iterable::<T>();
        self
    }

    /// Lets `for x in value` iterate a type that is itself an iterator.
    pub fn iterator<T>(&mut self) -> &mut Self
    where
        T: Variant + Clone + Iterator,
        <T as Iterator>::Item: Variant + Clone,
    {
        self.module.set_iterator::<T>();
        self
    }

    /// A constant (`socket::AF_INET`).
    pub fn constant(&mut self, name: &str, value: impl Variant + Clone) -> &mut Self {
        self.module.set_var(name, value);
        self
    }

    /// A module function with side effects (`smtp::connect`), called as `module::name(…)`.
    /// `params` names the script-visible parameters; `doc` is its `///` text with a `rhai`
    /// example and an "Errors:" line.
    pub fn func<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        name: &str,
        params: &[&str],
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        R: Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    {
        self.register(name, FuncRegistration::new(name).in_internal_namespace(), Effects::Volatile, params, doc, f)
    }

    /// A module function without side effects (`addr::ip`): the optimiser may fold it.
    pub fn pure_func<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        name: &str,
        params: &[&str],
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        R: Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    {
        self.register(name, FuncRegistration::new(name).in_internal_namespace(), Effects::Pure, params, doc, f)
    }

    /// A method with side effects (`client.login(u, p)`), visible on values everywhere.
    pub fn method<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        name: &str,
        params: &[&str],
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        R: Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    {
        self.register(name, FuncRegistration::new(name).in_global_namespace(), Effects::Volatile, params, doc, f)
    }

    /// A method, operator or function without side effects, visible everywhere
    /// (`ip.is_private()`, `ip + 1`, `ip == other`).
    pub fn pure_method<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        name: &str,
        params: &[&str],
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        R: Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    {
        self.register(name, FuncRegistration::new(name).in_global_namespace(), Effects::Pure, params, doc, f)
    }

    /// A read-only property (`ip.version`).
    pub fn getter<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        property: &str,
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        R: Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    {
        self.register(property, FuncRegistration::new_getter(property), Effects::Volatile, &[], doc, f)
    }

    fn register<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
        &mut self,
        display_name: &str,
        registration: FuncRegistration,
        effects: Effects,
        params: &[&str],
        doc: &str,
        f: FUNC,
    ) -> &mut Self
    where
        R: Variant + Clone,
        FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
    {
        let type_names = FUNC::param_names();
        // A method's receiver (`&mut T` first) is `self`; `params` names the rest.
        let has_receiver = type_names.first().is_some_and(|t| t.starts_with("&mut "));
        let mut params_info: Vec<String> = type_names
            .iter()
            .enumerate()
            .map(|(i, ty)| {
                let pname = match (has_receiver, i) {
                    (true, 0) => "self",
                    (true, i) => params.get(i - 1).copied().unwrap_or("_"),
                    (false, i) => params.get(i).copied().unwrap_or("_"),
                };
                format!("{pname}: {}", self.pretty_type(ty))
            })
            .collect();
        let ret = FUNC::return_type_name();
        if ret != "()" {
            params_info.push(self.pretty_type(ret));
        }
        let registration = registration.with_params_info(params_info).with_comments(doc_lines(doc));
        let func = f.into_rhai_function(true, effects == Effects::Volatile);
        let func = guard(func, format!("{}::{display_name}", self.name));
        registration.set_into_module_raw(&mut self.module, FUNC::param_types(), func);
        self
    }

    /// Turns a Rust type name into the name a script user knows.
    fn pretty_type(&self, rust_name: &str) -> String {
        if let Some(inner) = result_ok_type(rust_name) {
            return self.pretty_type(inner);
        }
        let bare = rust_name.trim_start_matches("&mut ").trim_start_matches('&');
        if let Some(name) = self.type_names.get(bare) {
            return name.clone();
        }
        match bare {
            "str" | "alloc::string::String" | "rhai::types::immutable_string::ImmutableString" => "String".into(),
            "i64" => "int".into(),
            "f64" => "float".into(),
            "bool" => "bool".into(),
            "rhai::types::dynamic::Dynamic" => "Dynamic".into(),
            _ => {
                let generic_free = bare.split('<').next().unwrap_or(bare);
                let last = generic_free.rsplit("::").next().unwrap_or(generic_free);
                match last {
                    "BTreeMap" => "Map".into(),
                    "Vec" if bare.contains("u8") => "Blob".into(),
                    "Vec" => "Array".into(),
                    other => other.into(),
                }
            }
        }
    }

    /// The finished module.
    pub fn into_module(mut self) -> Module {
        self.module.build_index();
        self.module
    }
}

/// `T` of `core::result::Result<T, E>` (a fallible function's value type).
fn result_ok_type(name: &str) -> Option<&str> {
    let inner = name.strip_prefix("core::result::Result<")?;
    let mut depth = 0usize;
    for (i, c) in inner.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => return Some(inner[..i].trim()),
            _ => {}
        }
    }
    None
}

/// Splits doc text into `///` comment lines, the form Rhai's metadata carries.
fn doc_lines(doc: &str) -> Vec<String> {
    let doc = doc.trim_matches('\n');
    let indent =
        doc.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    doc.lines()
        .map(|l| {
            let l = if l.len() >= indent { &l[indent..] } else { l.trim_start() };
            if l.is_empty() {
                "///".to_string()
            } else {
                format!("/// {l}")
            }
        })
        .collect()
}

/// Wraps a native function so that a panic inside it becomes a `PluginError`.
fn guard(func: RhaiFunc, name: String) -> RhaiFunc {
    fn wrap(inner: Shared<FnAny>, name: String) -> Shared<FnAny> {
        Shared::new(move |ctx: Option<NativeCallContext>, args: &mut [&mut Dynamic]| {
            // Errors from module-qualified calls carry no position; give them the call site.
            let call_site = ctx.as_ref().map(|c| c.call_position()).unwrap_or(Position::NONE);
            let outcome = match crate::error::guarded(|| catch_unwind(AssertUnwindSafe(|| inner(ctx, args)))) {
                Ok(result) => result,
                Err(panic) => {
                    let plugin = name.split("::").next().unwrap_or("plugin");
                    Err(script_error(CommonError::new(
                        CommonKind::PluginError,
                        plugin,
                        format!("{name} panicked: {}", panic_message(&*panic)),
                    )))
                }
            };
            outcome.map_err(|mut err| {
                if err.position().is_none() {
                    err.set_position(call_site);
                }
                err
            })
        })
    }
    // `has_context: true` makes Rhai pass the call context (for the call site) to every
    // function; Rhai's own wrappers for context-free functions ignore it.
    match func {
        RhaiFunc::Pure { func, has_context: _, is_pure, is_volatile } => {
            RhaiFunc::Pure { func: wrap(func, name), has_context: true, is_pure, is_volatile }
        }
        RhaiFunc::Method { func, has_context: _, is_pure, is_volatile } => {
            RhaiFunc::Method { func: wrap(func, name), has_context: true, is_pure, is_volatile }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::Engine;

    fn engine_with(builder: ModuleBuilder) -> Engine {
        let mut engine = Engine::new();
        let name = builder.name().to_string();
        engine.register_static_module(name, builder.into_module().into());
        engine
    }

    #[test]
    fn a_panicking_function_becomes_a_catchable_plugin_error() {
        let mut b = ModuleBuilder::new("boom");
        b.func("explode", &[], "/// Panics.", || -> i64 { panic!("kaboom") });
        let engine = engine_with(b);
        let kind: String = engine
            .eval(r#"let out = "no error"; try { boom::explode(); } catch (e) { out = e.kind + ": " + e.message } out"#)
            .unwrap();
        assert_eq!(kind, "PluginError: boom::explode panicked: kaboom");
    }

    #[test]
    fn methods_and_getters_are_reachable_on_values() {
        #[derive(Clone)]
        struct Thing(i64);
        let mut b = ModuleBuilder::new("things");
        b.custom_type::<Thing>("Thing");
        b.pure_func("make", &["n"], "/// Makes one.", |n: i64| Thing(n));
        b.getter("value", "/// The value.", |t: &mut Thing| t.0);
        b.pure_method("double", &[], "/// Doubles.", |t: &mut Thing| t.0 * 2);
        let engine = engine_with(b);
        let out: i64 = engine.eval("let t = things::make(21); t.value + t.double()").unwrap();
        assert_eq!(out, 63);
        let ty: String = engine.eval("type_of(things::make(1))").unwrap();
        assert_eq!(ty, "Thing");
    }

    #[test]
    fn doc_lines_strip_common_indentation() {
        let lines = doc_lines("\n    Does a thing.\n\n    ```rhai\n    x\n    ```\n");
        assert_eq!(lines, vec!["/// Does a thing.", "///", "/// ```rhai", "/// x", "/// ```"]);
    }
}
