//! netscript's `imap` plugin, shaped after imaplib but with parsed results:
//! `imap::connect` gives an `ImapClient` whose methods return maps and arrays, and whose
//! `fetch_each` / `fetch_to` stream a mailbox one message at a time. async-imap frames and
//! parses the responses; the plugin writes the commands and checks every tagged status
//! itself. The files, one concern each:

#![deny(missing_docs)]

mod args; // message ids, search criteria, flags, fetch items: checked command pieces
mod client; // ImapClient: the session, each command to its tagged status, streaming
mod error; // ImapError: the one error enum, IMAPError / IMAPAbort
mod response; // parsed responses as script maps (FETCH, LIST, SELECT, STATUS, events)
mod script; // the script functions and their docs
mod session; // commands with tags and literals, responses to their tagged status
mod utf7; // mailbox names in modified UTF-7
mod wire; // the stream under the parser: --trace imap, where a read broke off

netscript_sdk::export_plugin! {
    name: "imap",
    version: env!("CARGO_PKG_VERSION"),
    description: "IMAP client (imaplib): parsed fetches, search, flags, folders, IDLE, streaming to a closure or to files",
    register: script::register,
}
