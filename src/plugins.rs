//! Plugins: the built-in ones chosen by cargo features and dynamic libraries loaded with
//! `--plugin PATH` or from the folders of `NETSCRIPT_PLUGIN_PATH`.
//!
//! A library is checked before any of its code runs beyond one integer-returning
//! function: its ELF dynamic symbols must include a `netscript_plugin_<name>` declaration,
//! whose magic, plugin-API version, rustc version, Rhai version and build profile must
//! equal the host's, and whose ABI fingerprint (a hash over Rhai's type identities and
//! sizes) must match. Only then is its register function called, with the host's Rhai
//! hashing seed and services. Libraries are opened `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE`
//! and never closed: values a plugin made may outlive any point where unloading is safe.

use netscript_sdk::declaration::{
    self, text_of, PluginDeclaration, RegisterContext, RegisterOutput, API_VERSION, BUILD_PROFILE, MAGIC, RHAI_VERSION,
    RUSTC_VERSION, SDK_IDENTITY, SYMBOL_PREFIX,
};
use netscript_sdk::{Host, PluginInfo};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Linked into the binary.
    BuiltIn,
    /// Loaded from this library file.
    Library(PathBuf),
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginSource::BuiltIn => f.write_str("built-in"),
            PluginSource::Library(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A plugin ready to register into the engine.
pub struct LoadedPlugin {
    /// Name, version, description (its module moves to [`LoadedPlugin::module`] once registered).
    pub info: PluginInfo,
    /// Built-in or the library path.
    pub source: PluginSource,
    /// The registered module, shared with the engine.
    pub module: netscript_sdk::rhai::Shared<netscript_sdk::rhai::Module>,
}

impl LoadedPlugin {
    /// A plugin not yet registered.
    pub fn new(info: PluginInfo, source: PluginSource) -> Self {
        Self { info, source, module: Default::default() }
    }
}

/// Why a library could not be loaded (raised as `PluginError`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginLoadError {
    /// The file is missing or unreadable.
    #[error("cannot read plugin '{path}': {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    /// The file is not an ELF shared library.
    #[error("'{path}' is not a shared library: {reason}")]
    NotALibrary { path: PathBuf, reason: String },
    /// No `netscript_plugin_<name>` symbol.
    #[error("'{path}' has no netscript plugin declaration (no '{SYMBOL_PREFIX}<name>' symbol; build it with netscript_sdk::export_plugin!)")]
    NoDeclaration { path: PathBuf },
    /// The dynamic loader refused it.
    #[error("cannot load '{path}': {reason}")]
    LoadFailed { path: PathBuf, reason: String },
    /// The declaration does not start with the magic bytes.
    #[error("'{path}': the declaration '{symbol}' is not a netscript plugin declaration (bad magic)")]
    BadMagic { path: PathBuf, symbol: String },
    /// Built for another side of the boundary.
    #[error("plugin '{path}' was built for {what} {plugin}, this netscript has {host}; rebuild the plugin against the SDK of this netscript's source (`netscript --version` shows what it was built with)")]
    Mismatch { path: PathBuf, what: &'static str, plugin: String, host: String },
    /// Its register function failed or panicked.
    #[error("plugin '{path}' failed to register: {reason}")]
    RegisterFailed { path: PathBuf, reason: String },
    /// Two plugins claim the same module name.
    #[error("plugin '{name}' from {second} is already provided by {first}")]
    Duplicate { name: String, first: String, second: String },
}

impl netscript_sdk::ScriptError for PluginLoadError {
    fn kind(&self) -> &str {
        "PluginError"
    }
    fn protocol(&self) -> &str {
        "core"
    }
}

/// The library files named by `NETSCRIPT_PLUGIN_PATH` (folders separated by `:`), sorted.
pub fn libraries_on_plugin_path() -> Vec<PathBuf> {
    let Some(var) = std::env::var_os("NETSCRIPT_PLUGIN_PATH") else { return Vec::new() };
    let mut found = Vec::new();
    for dir in std::env::split_paths(&var) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut libs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "so"))
            .collect();
        libs.sort();
        found.extend(libs);
    }
    found
}

/// Finds the declaration symbol in a library's ELF dynamic symbol table without loading it.
fn find_declaration_symbol(path: &Path) -> Result<String, PluginLoadError> {
    use object::{Object, ObjectSymbol};
    let data = std::fs::read(path).map_err(|source| PluginLoadError::Unreadable { path: path.into(), source })?;
    let file = object::File::parse(&*data)
        .map_err(|e| PluginLoadError::NotALibrary { path: path.into(), reason: e.to_string() })?;
    if file.kind() != object::ObjectKind::Dynamic {
        return Err(PluginLoadError::NotALibrary {
            path: path.into(),
            reason: format!("it is a {:?} object", file.kind()),
        });
    }
    file.dynamic_symbols()
        .filter(|s| s.is_definition())
        .filter_map(|s| s.name().ok().map(str::to_string))
        .find(|n| n.starts_with(SYMBOL_PREFIX))
        .ok_or_else(|| PluginLoadError::NoDeclaration { path: path.into() })
}

/// Loads and registers one plugin library.
pub fn load_library(
    path: &Path,
    host: &'static dyn Host,
    hashing_seed: [u64; 4],
) -> Result<LoadedPlugin, PluginLoadError> {
    let symbol = find_declaration_symbol(path)?;
    let flags = libc::RTLD_NOW | libc::RTLD_LOCAL | libc::RTLD_NODELETE;
    // SAFETY: loading runs the library's initialisers; the file was checked to be a shared
    // library that declares a netscript plugin.
    let library = unsafe { libloading::os::unix::Library::open(Some(path), flags) }
        .map_err(|e| PluginLoadError::LoadFailed { path: path.into(), reason: e.to_string() })?;
    // SAFETY: the symbol is a data symbol; we read it as the fixed-layout C struct the
    // SDK exports, checking its magic before trusting anything else.
    let decl: &'static PluginDeclaration = unsafe {
        let sym = library
            .get::<*const PluginDeclaration>(symbol.as_bytes())
            .map_err(|e| PluginLoadError::LoadFailed { path: path.into(), reason: e.to_string() })?;
        &**sym
    };
    // Never unload: plugin-made values may be dropped at any time (RTLD_NODELETE too).
    std::mem::forget(library);
    check_declaration(path, &symbol, decl)?;

    let ctx = RegisterContext { hashing_seed, host };
    let mut out = RegisterOutput::default();
    // SAFETY: every check passed, so both sides agree on these types' layout.
    unsafe { (decl.register)(&ctx, &mut out) };
    let info = out
        .result
        .unwrap_or_else(|| Err("the register function returned nothing".into()))
        .map_err(|reason| PluginLoadError::RegisterFailed { path: path.into(), reason })?;
    Ok(LoadedPlugin::new(info, PluginSource::Library(path.into())))
}

/// Checks magic → API version → rustc → Rhai → profile → SDK identity → ABI fingerprint, in
/// that order.
fn check_declaration(path: &Path, symbol: &str, decl: &PluginDeclaration) -> Result<(), PluginLoadError> {
    if decl.magic != MAGIC {
        return Err(PluginLoadError::BadMagic { path: path.into(), symbol: symbol.into() });
    }
    let mismatch =
        |what, plugin: String, host: String| PluginLoadError::Mismatch { path: path.into(), what, plugin, host };
    if decl.api_version != API_VERSION {
        return Err(mismatch("plugin API", decl.api_version.to_string(), API_VERSION.to_string()));
    }
    let rustc = text_of(&decl.rustc_version);
    if rustc != RUSTC_VERSION {
        return Err(mismatch("rustc", rustc, RUSTC_VERSION.into()));
    }
    let rhai = text_of(&decl.rhai_version);
    if rhai != RHAI_VERSION {
        return Err(mismatch("Rhai", rhai, RHAI_VERSION.into()));
    }
    let profile = text_of(&decl.build_profile);
    if profile != BUILD_PROFILE {
        return Err(mismatch("build profile", profile, BUILD_PROFILE.into()));
    }
    let sdk = text_of(&decl.sdk_identity);
    if sdk != SDK_IDENTITY {
        return Err(mismatch("netscript SDK", sdk, SDK_IDENTITY.into()));
    }
    let theirs = (decl.abi_fingerprint)();
    let ours = declaration::abi_fingerprint();
    if theirs != ours {
        return Err(mismatch("Rhai ABI fingerprint", format!("{theirs:016x}"), format!("{ours:016x}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netscript_sdk::declaration::text64;

    extern "C" fn same_fingerprint() -> u64 {
        declaration::abi_fingerprint()
    }
    extern "C" fn other_fingerprint() -> u64 {
        declaration::abi_fingerprint() ^ 1
    }
    unsafe extern "C" fn never(_: *const RegisterContext, _: *mut RegisterOutput) {
        unreachable!("register must not run on a mismatch")
    }

    fn good() -> PluginDeclaration {
        PluginDeclaration {
            magic: MAGIC,
            api_version: API_VERSION,
            rustc_version: text64(RUSTC_VERSION),
            rhai_version: text64(RHAI_VERSION),
            build_profile: text64(BUILD_PROFILE),
            sdk_identity: text64(SDK_IDENTITY),
            name: text64("t"),
            abi_fingerprint: same_fingerprint,
            register: never,
        }
    }

    fn check(decl: &PluginDeclaration) -> Result<(), String> {
        check_declaration(Path::new("/x.so"), "netscript_plugin_t", decl).map_err(|e| e.to_string())
    }

    #[test]
    fn a_matching_declaration_passes() {
        assert!(check(&good()).is_ok());
    }

    #[test]
    fn each_mismatch_names_both_sides() {
        let mut d = good();
        d.magic = *b"NOTMAGIC";
        assert!(check(&d).unwrap_err().contains("bad magic"));
        let mut d = good();
        d.rustc_version = text64("rustc 1.0.0");
        let err = check(&d).unwrap_err();
        assert!(err.contains("rustc rustc 1.0.0") && err.contains(RUSTC_VERSION), "{err}");
        let mut d = good();
        d.rhai_version = text64("1.0.0");
        let err = check(&d).unwrap_err();
        assert!(err.contains("Rhai 1.0.0") && err.contains(RHAI_VERSION), "{err}");
        let mut d = good();
        d.build_profile = text64(if BUILD_PROFILE == "debug" { "release" } else { "debug" });
        assert!(check(&d).unwrap_err().contains("build profile"));
        let mut d = good();
        d.sdk_identity = text64("0.1.0+0000000000000000");
        let err = check(&d).unwrap_err();
        assert!(err.contains("netscript SDK") && err.contains(SDK_IDENTITY), "{err}");
        let mut d = good();
        d.abi_fingerprint = other_fingerprint;
        assert!(check(&d).unwrap_err().contains("ABI fingerprint"));
    }
}
