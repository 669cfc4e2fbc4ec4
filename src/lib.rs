//! netscript's runtime core: the Rhai host, its core functions and the CLI around it.
//!
//! - [`cli`]: command-line parsing and the top-level run modes.
//! - [`engine`]: building the Rhai engine, registering modules, running scripts.
//! - [`core`]: the core script functions of API.md §Core (fs, json, tasks, …).
//! - [`diagnostics`]: uncaught errors printed with their position and a caret.
//! - [`docs`]: the reference `--doc` and the REPL's `:help` print.
//! - [`host`]: the services lent to plugins (permissions, interruption, closures).
//! - [`permissions`]: the `--allow-*` checker every plugin asks.
//! - [`plugins`]: built-in plugin list and dynamic library loading.
//! - [`repl`]: the interactive shell.
//! - [`stdlib`]: the Rhai modules shipped inside the binary (`import "std/retry"`).
//!
//! No protocol code lives here: protocols are plugins under `plugins/`.

pub mod cli;
pub mod core;
pub mod diagnostics;
pub mod docs;
pub mod engine;
pub mod host;
pub mod lint;
pub mod permissions;
pub mod plugins;
pub mod repl;
pub mod stdlib;

pub use netscript_sdk::PluginInfo;

/// Each plugin's name and one-line description (for the reference overview).
pub fn plugins_descriptions(runtime: &engine::Runtime) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> =
        runtime.plugins.iter().map(|p| (p.info.name.clone(), p.info.description.clone())).collect();
    list.extend(core::DESCRIPTIONS.iter().map(|(n, d)| (n.to_string(), d.to_string())));
    list
}

/// The plugins linked into this build (chosen by cargo features, all on by default).
#[allow(clippy::vec_init_then_push)] // which pushes exist depends on the features
pub fn builtin_plugins() -> Vec<PluginInfo> {
    #[allow(unused_mut)]
    let mut list = Vec::new();
    #[cfg(feature = "addr")]
    list.push(netscript_addr::plugin());
    #[cfg(feature = "socket")]
    list.push(netscript_socket::plugin());
    #[cfg(feature = "http")]
    list.push(netscript_http::plugin());
    #[cfg(feature = "dns")]
    list.push(netscript_dns::plugin());
    #[cfg(feature = "mail")]
    list.push(netscript_mail::plugin());
    #[cfg(feature = "smtp")]
    list.push(netscript_smtp::plugin());
    #[cfg(feature = "imap")]
    list.push(netscript_imap::plugin());
    #[cfg(feature = "ftp")]
    list.push(netscript_ftp::plugin());
    list
}
