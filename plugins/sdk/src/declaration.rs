//! The plugin declaration: the one `#[repr(C)]` static every plugin library exports.
//!
//! The host reads it and checks, in order, the magic bytes, the plugin-API version, the
//! rustc version, the Rhai version, the build profile, the SDK's identity (its version and
//! a hash of its sources, made by the build script) and an ABI fingerprint over Rhai's types. Only the
//! fingerprint is computed by plugin code (an `extern "C"` function with no arguments);
//! nothing else of the plugin runs until every check has passed. Strings are fixed-size
//! byte arrays, so the declaration has no pointers that could mean something else in a
//! library built differently.

use std::any::TypeId;
use std::hash::{Hash, Hasher};

/// First bytes of every declaration.
pub const MAGIC: [u8; 8] = *b"NETSCRPT";
/// Version of this plugin interface: bump on any change to the declaration, [`RegisterContext`],
/// [`RegisterOutput`], [`PluginInfo`] or the [`Host`](crate::host::Host) trait.
pub const API_VERSION: u32 = 3;
/// The rustc that built this copy of the SDK (recorded by the build script).
pub const RUSTC_VERSION: &str = env!("NETSCRIPT_RUSTC_VERSION");
/// The Rhai version the SDK re-exports (pinned with `=` in Cargo.toml).
pub const RHAI_VERSION: &str = "1.27.0";
/// Whether this copy was built with debug assertions.
pub const BUILD_PROFILE: &str = if cfg!(debug_assertions) { "debug" } else { "release" };
/// The SDK's own identity: its version and a hash of its sources (the build script makes it).
/// The SDK's types (the [`Host`](crate::host::Host) vtable, errors, [`RegisterContext`]) cross
/// the boundary, so a plugin built against other SDK sources is refused.
pub const SDK_IDENTITY: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("NETSCRIPT_SDK_IDENTITY"));
/// Prefix of the exported declaration symbol; the plugin name follows it.
pub const SYMBOL_PREFIX: &str = "netscript_plugin_";

/// A fixed-size, NUL-padded text field.
pub type Text64 = [u8; 64];

/// Copies `s` into a NUL-padded 64-byte field at compile time (longer text is cut).
pub const fn text64(s: &str) -> Text64 {
    let bytes = s.as_bytes();
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < bytes.len() && i < 63 {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Reads a NUL-padded field back as text.
pub fn text_of(field: &Text64) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// What the host passes to a plugin's register function.
pub struct RegisterContext {
    /// The host's Rhai hashing seed; the plugin must use the same one.
    pub hashing_seed: [u64; 4],
    /// Services the host lends the plugin.
    pub host: &'static dyn crate::host::Host,
}

/// What a plugin's register function leaves for the host.
#[derive(Default)]
pub struct RegisterOutput {
    /// The plugin, or why it could not register (a panic is caught and reported here).
    pub result: Option<Result<PluginInfo, String>>,
}

/// A registered plugin: its identity and its script module.
#[derive(Clone)]
pub struct PluginInfo {
    /// Module name used in scripts (`addr` → `addr::ip(…)`).
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// One line on what it offers.
    pub description: String,
    /// The functions, with their docs.
    pub module: rhai::Module,
}

/// The `#[repr(C)]` static a plugin library exports as `netscript_plugin_<name>`.
#[repr(C)]
pub struct PluginDeclaration {
    /// Always [`MAGIC`].
    pub magic: [u8; 8],
    /// [`API_VERSION`] of the SDK the plugin was built with.
    pub api_version: u32,
    /// [`RUSTC_VERSION`] of the plugin's compiler.
    pub rustc_version: Text64,
    /// [`RHAI_VERSION`] of the plugin's Rhai.
    pub rhai_version: Text64,
    /// [`BUILD_PROFILE`] of the plugin.
    pub build_profile: Text64,
    /// [`SDK_IDENTITY`] of the SDK the plugin was built with.
    pub sdk_identity: Text64,
    /// The plugin's name (module name).
    pub name: Text64,
    /// Returns [`abi_fingerprint`] as computed inside the plugin.
    pub abi_fingerprint: extern "C" fn() -> u64,
    /// Registers the plugin; only called once every check has passed.
    ///
    /// # Safety
    /// Both pointers must be valid and come from a host whose checks all passed.
    pub register: unsafe extern "C" fn(*const RegisterContext, *mut RegisterOutput),
}

/// A hash over the identity and size of the Rhai types that cross the library boundary.
///
/// `TypeId`s differ whenever Rhai was compiled differently (another feature set, another
/// dependency graph, another profile), which is exactly when values cannot be shared.
pub fn abi_fingerprint() -> u64 {
    use std::mem::size_of;
    let mut h = crate::fnv::Fnv64::default();
    let types: [(TypeId, usize); 11] = [
        (TypeId::of::<rhai::Dynamic>(), size_of::<rhai::Dynamic>()),
        (TypeId::of::<rhai::Module>(), size_of::<rhai::Module>()),
        (TypeId::of::<rhai::ImmutableString>(), size_of::<rhai::ImmutableString>()),
        (TypeId::of::<rhai::Map>(), size_of::<rhai::Map>()),
        (TypeId::of::<rhai::Array>(), size_of::<rhai::Array>()),
        (TypeId::of::<rhai::Blob>(), size_of::<rhai::Blob>()),
        (TypeId::of::<rhai::FnPtr>(), size_of::<rhai::FnPtr>()),
        (TypeId::of::<rhai::EvalAltResult>(), size_of::<rhai::EvalAltResult>()),
        (TypeId::of::<rhai::Position>(), size_of::<rhai::Position>()),
        (TypeId::of::<rhai::Engine>(), size_of::<rhai::Engine>()),
        (TypeId::of::<rhai::RhaiFunc>(), size_of::<rhai::RhaiFunc>()),
    ];
    for (id, size) in types {
        id.hash(&mut h);
        size.hash(&mut h);
    }
    // The SDK's own types cross too: their layout is fixed by the SDK's sources (checked as
    // SDK_IDENTITY, folded in here as well) and the rustc check. Their TypeIds depend on the
    // SDK's path, which legitimately differs between a host and a separately built plugin.
    size_of::<PluginInfo>().hash(&mut h);
    API_VERSION.hash(&mut h);
    SDK_IDENTITY.hash(&mut h);
    h.finish()
}

/// Runs a plugin's register function inside the plugin: installs the host's hashing seed
/// and services, builds the module and catches any panic so it never crosses the boundary.
///
/// # Safety
/// `ctx` and `out` must be valid pointers, as [`PluginDeclaration::register`] promises.
#[doc(hidden)]
pub unsafe fn run_register(
    ctx: *const RegisterContext,
    out: *mut RegisterOutput,
    name: &str,
    version: &str,
    description: &str,
    register: fn(&mut crate::builder::ModuleBuilder),
) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let ctx = &*ctx;
        // Rhai keys its function hashes per library unless a seed is set; a seed already
        // set (a built-in plugin, sharing the host's copy) is the host's own.
        let _ = rhai::config::hashing::set_hashing_seed(Some(ctx.hashing_seed));
        crate::host::install(ctx.host);
        crate::error::install_panic_hook();
        build_info(name, version, description, register)
    }));
    let result = result
        .map_err(|panic| format!("plugin {name} panicked while registering: {}", crate::error::panic_message(&*panic)));
    (*out).result = Some(result);
}

/// Builds a plugin's [`PluginInfo`] from its register function (used for built-ins directly).
pub fn build_info(
    name: &str,
    version: &str,
    description: &str,
    register: fn(&mut crate::builder::ModuleBuilder),
) -> PluginInfo {
    let mut builder = crate::builder::ModuleBuilder::new(name);
    register(&mut builder);
    PluginInfo {
        name: name.into(),
        version: version.into(),
        description: description.into(),
        module: builder.into_module(),
    }
}

/// Declares a plugin: a `PLUGIN` function for linking it in, and, for the `cdylib` build, the
/// exported [`PluginDeclaration`] named `netscript_plugin_<name>`.
///
/// ```ignore
/// netscript_sdk::export_plugin! {
///     name: "pop3",
///     version: env!("CARGO_PKG_VERSION"),
///     description: "POP3 client (poplib)",
///     register: register,
/// }
/// fn register(m: &mut netscript_sdk::ModuleBuilder) { /* m.func(…) */ }
/// ```
#[macro_export]
macro_rules! export_plugin {
    (name: $name:literal, version: $version:expr, description: $desc:literal, register: $register:path $(,)?) => {
        /// This plugin, for a host that links it in.
        pub fn plugin() -> $crate::declaration::PluginInfo {
            $crate::declaration::build_info($name, $version, $desc, $register)
        }

        #[doc(hidden)]
        #[export_name = concat!("netscript_plugin_", $name)]
        pub static NETSCRIPT_PLUGIN_DECLARATION: $crate::declaration::PluginDeclaration =
            $crate::declaration::PluginDeclaration {
                magic: $crate::declaration::MAGIC,
                api_version: $crate::declaration::API_VERSION,
                rustc_version: $crate::declaration::text64($crate::declaration::RUSTC_VERSION),
                rhai_version: $crate::declaration::text64($crate::declaration::RHAI_VERSION),
                build_profile: $crate::declaration::text64($crate::declaration::BUILD_PROFILE),
                sdk_identity: $crate::declaration::text64($crate::declaration::SDK_IDENTITY),
                name: $crate::declaration::text64($name),
                abi_fingerprint: {
                    extern "C" fn __netscript_fingerprint() -> u64 {
                        $crate::declaration::abi_fingerprint()
                    }
                    __netscript_fingerprint
                },
                register: {
                    unsafe extern "C" fn __netscript_register(
                        ctx: *const $crate::declaration::RegisterContext,
                        out: *mut $crate::declaration::RegisterOutput,
                    ) {
                        $crate::declaration::run_register(ctx, out, $name, $version, $desc, $register)
                    }
                    __netscript_register
                },
            };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_round_trip_and_truncate() {
        assert_eq!(text_of(&text64("1.27.0")), "1.27.0");
        let long = "x".repeat(100);
        assert_eq!(text_of(&text64(&long)).len(), 63);
    }

    #[test]
    fn fingerprint_is_stable_within_a_build() {
        assert_eq!(abi_fingerprint(), abi_fingerprint());
    }

    #[test]
    fn rhai_version_matches_the_lock_file() {
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
            .expect("workspace Cargo.lock");
        let needle = format!("name = \"rhai\"\nversion = \"{RHAI_VERSION}\"");
        assert!(lock.contains(&needle), "Cargo.lock has another rhai than {RHAI_VERSION}");
    }
}
