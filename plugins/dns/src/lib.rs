//! netscript's `dns` plugin, shaped after dnspython: the high level (`dns::resolve`,
//! `dns::reverse`, resolver objects) on hickory-resolver, and the low level (`dns::query`,
//! one message to one server, like dig). The files, one concern each:

#![deny(missing_docs)]

mod error; // DnsError: the one error enum and its script kinds
mod names; // names, record types, addresses and reverse names, checked before sending
mod presentation; // record data exactly as dig prints it
mod query; // dns::query: one message, the reply whole
mod records; // records as script maps, data as dig prints it
mod resolve; // dns::resolve, dns::reverse, dns::resolver
mod settings; // servers, transport, time limit, attempts, cache from the options
mod trace; // --trace dns, in dig's format
mod tsig; // TSIG keys for update and zone_transfer
mod update; // dns::update (RFC 2136, TSIG)
mod zone; // dns::zone_transfer (AXFR)

use netscript_sdk::ModuleBuilder;

netscript_sdk::export_plugin! {
    name: "dns",
    version: env!("CARGO_PKG_VERSION"),
    description: "DNS: queries of every record type, raw messages like dig, reverse lookups, zone transfers, dynamic updates (dnspython)",
    register: register_all,
}

/// Lists everything the plugin offers; a file's functions appear only if listed here.
fn register_all(m: &mut ModuleBuilder) {
    m.doc(
        "DNS after dnspython: `resolve` any record type through the system's or given name \
         servers, `query` one server like dig, `reverse` lookups and resolver objects.",
    );
    resolve::register(m);
    query::register(m);
    zone::register(m);
    update::register(m);
}
