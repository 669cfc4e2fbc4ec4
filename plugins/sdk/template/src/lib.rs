//! `hello`: a minimal netscript plugin — copy this to start a new protocol plugin.
//!
//! Build it with `cargo build` (same toolchain and profile as the host), then
//! `netscript --plugin target/debug/libnetscript_hello.so -e 'print(hello::greet("you"))'`.

use netscript_sdk::prelude::*;

netscript_sdk::export_plugin! {
    name: "hello",
    version: env!("CARGO_PKG_VERSION"),
    description: "A template plugin: greetings and a checked option map",
    register: register,
}

/// Lists every function of the plugin, one call each.
fn register(m: &mut ModuleBuilder) {
    m.doc("A template plugin.");
    m.pure_func(
        "greet",
        &["name"],
        r#"
        A greeting for `name`.
        ```rhai
        print(hello::greet("world"));   // Hello, world!
        ```
        Errors: `InvalidArgument` when `name` is empty."#,
        |name: &str| -> ScriptResult<String> {
            if name.is_empty() {
                return Err(script_error(CommonError::invalid_argument("hello", "greet: name is empty")));
            }
            Ok(format!("Hello, {name}!"))
        },
    );
    m.func(
        "greet",
        &["name", "options"],
        r#"
        A greeting with options: `#{ shout: true }` for capitals.
        ```rhai
        print(hello::greet("world", #{ shout: true }));   // HELLO, WORLD!
        ```
        Errors: `InvalidArgument` for an unknown option."#,
        |name: &str, options: Map| -> ScriptResult<String> {
            let opts = Options::parse("hello", "greet", options, &["shout"]).map_err(script_error)?;
            let text = format!("Hello, {name}!");
            Ok(if opts.bool("shout", false).map_err(script_error)? { text.to_uppercase() } else { text })
        },
    );
}
