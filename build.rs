//! Links the `netscript` executable as a position-dependent binary: its large static tables
//! (the IEEE OUI registry, Rhai's and every plugin's function tables) then need no dynamic
//! relocation at each start, which was a third of the startup time. Plugin `cdylib`s are
//! untouched (they stay position-independent).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
