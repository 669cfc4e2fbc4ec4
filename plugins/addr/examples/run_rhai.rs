//! Runs a Rhai script with only the `addr` module: a stand-in for the `netscript` binary
//! (benches/addr/run.sh uses it when target/release/netscript is not built).
//!
//! `cargo run --release -p netscript-addr --example run_rhai -- benches/addr/addr_bench.rhai`

use netscript_sdk::rhai::Engine;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: run_rhai SCRIPT.rhai");
        std::process::exit(2);
    };
    let mut engine = Engine::new();
    engine.register_static_module("addr", netscript_addr::plugin().module.into());
    if let Err(e) = engine.run_file(path.into()) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
