//! netscript's `pop3` plugin, shaped after poplib, and built as a third party builds a
//! plugin: outside the workspace, on `netscript-sdk` alone, loaded at run time
//! (`--plugin libnetscript_pop3.so` or `NETSCRIPT_PLUGIN_PATH`). The files, one concern each:

#![deny(missing_docs)]

mod client; // Pop3Client: the session, commands and multi-line replies, STLS
mod error; // Pop3Error: the one error enum, POP3Error and the common kinds
mod md5; // MD5 for APOP's digest
mod script; // the script functions and their docs

netscript_sdk::export_plugin! {
    name: "pop3",
    version: env!("CARGO_PKG_VERSION"),
    description: "POP3 client (poplib): USER/PASS, APOP, STLS and implicit TLS, LIST, UIDL, RETR, TOP, DELE",
    register: script::register,
}
