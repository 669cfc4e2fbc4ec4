//! The netscript plugin SDK: the one crate a protocol plugin depends on.
//!
//! A plugin is a crate that describes itself with [`export_plugin!`] and fills a
//! [`ModuleBuilder`] with documented functions. The same crate links into the `netscript`
//! binary as a built-in plugin and builds as a `cdylib` that `--plugin` loads at run time;
//! both paths go through [`PluginDeclaration`].
//!
//! - [`declaration`]: the `#[repr(C)]` static a plugin library exports and its checks.
//! - [`builder`]: registering documented, panic-guarded functions into a `rhai::Module`.
//! - [`examples`]: doc examples' stated results (`// =>`) checked as tests.
//! - [`error`]: the common error kinds and the single conversion to a script error map.
//! - [`host`]: what the host lends plugins: permission checks and interruption.
//! - [`fibers`]: several script calls interleaved on one thread (`parallel`).
//! - [`endpoint`]: a client's `connect(host [, port] [, options])` read once for every protocol.
//! - [`net`]: resolve, permission-check and connect (happy eyeballs), within one timeout.
//! - [`json`]: JSON ⇄ Rhai values, the one conversion everything uses.
//! - [`options`]: strict parsing of a script's trailing option map.
//! - [`runtime`]: the tokio runtimes that plugin I/O runs on, with timeouts.
//! - [`tls`]: TLS modes, trust (system roots, `ca_file`, `insecure`), handshakes, error texts.
//! - [`stream`]: a client connection, plain TCP or TLS (implicit or after STARTTLS).
//! - [`secret`]: `Secret`, a string that prints as `****` and that the host redacts everywhere.
//! - [`trace`]: `--trace` lines (`> ` sent, `< ` received), credentials masked; [`trace::Lines`].
//! - [`server`]: the one server handle (`.port`, `.stop()`, `.wait()`, `.stats()` …).
//! - [`workers`]: the one pool of threads that run script code (tasks, parallel, servers).
//! - [`timeout`]: seconds from a script as a `Duration` (huge = no limit, never a panic).

#![deny(missing_docs)]

pub mod builder;
pub mod closures;
pub mod declaration;
pub mod endpoint;
pub mod error;
pub mod examples;
pub mod fibers;
mod fnv;
pub mod host;
pub mod json;
pub mod net;
pub mod options;
pub mod runtime;
mod runtimes;
pub mod secret;
pub mod server;
pub mod stream;
pub mod timeout;
pub mod tls;
pub mod trace;
pub mod workers;

/// The exact Rhai the host uses; plugins must use this one, never their own.
pub use rhai;
/// The tokio that the SDK runtime drives.
pub use tokio;

pub use builder::ModuleBuilder;
pub use declaration::{PluginDeclaration, PluginInfo};
pub use error::{CommonError, ScriptError};
pub use host::{host, AtomicFile, Host, Progress};
pub use options::Options;
pub use runtime::{block_on, block_on_local, block_on_local_timeout, block_on_timeout, per_thread};

/// Everything a plugin file usually needs.
pub mod prelude {
    pub use crate::builder::ModuleBuilder;
    pub use crate::error::{script_error, CommonError, ScriptError};
    pub use crate::host::host;
    pub use crate::options::Options;
    pub use crate::runtime::{block_on, block_on_local, block_on_local_timeout, block_on_timeout};
    pub use rhai::{Array, Blob, Dynamic, EvalAltResult, ImmutableString, Map, FLOAT, INT};
    /// The result type of every script function.
    pub type ScriptResult<T> = Result<T, Box<EvalAltResult>>;
}
