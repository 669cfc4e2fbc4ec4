//! `json::parse`, `json::stringify`, `json::pretty`: JSON text ⇄ Rhai maps, arrays and
//! scalars. Custom values (an IP address, say) are written as their `to_string()` text.

use super::invalid;
use netscript_sdk::json::from_json;
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::NativeCallContext;
use serde_json::Value;

/// Registers the `json` module.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("JSON text to and from maps, arrays, strings, numbers, booleans and ().");
    m.pure_func(
        "parse",
        &["text"],
        r#"
        Parses JSON text: objects become maps, arrays arrays, null `()`. Integers that do not
        fit 64 bits become floats.
        ```rhai
        let v = json::parse(`{"a": [1, 2.5, null]}`);
        print(v.a[1]);   // 2.5
        ```
        Errors: `InvalidArgument` with the line and column of the first error."#,
        |text: &str| -> ScriptResult<Dynamic> {
            let value: Value = serde_json::from_str(text).map_err(|e| invalid(format!("json::parse: {e}")))?;
            Ok(from_json(value))
        },
    );
    m.pure_func(
        "stringify",
        &["value"],
        r#"
        Compact JSON text of a value.
        ```rhai
        print(json::stringify(#{ ok: true, n: [1, 2] }));   // {"n":[1,2],"ok":true}
        ```
        Errors: `InvalidArgument` for a float that is NaN or infinite."#,
        |ctx: NativeCallContext, value: Dynamic| -> ScriptResult<String> {
            serde_json::to_string(&to_json(&ctx, &value)?).map_err(|e| invalid(e.to_string()))
        },
    );
    m.pure_func(
        "pretty",
        &["value"],
        r#"
        Indented JSON text of a value.
        ```rhai
        print(json::pretty(#{ name: "mx1", port: 25 }));
        ```
        Errors: `InvalidArgument` for a float that is NaN or infinite."#,
        |ctx: NativeCallContext, value: Dynamic| -> ScriptResult<String> {
            serde_json::to_string_pretty(&to_json(&ctx, &value)?).map_err(|e| invalid(e.to_string()))
        },
    );
}

/// Rhai value → JSON; custom values through their registered `to_string`.
fn to_json(ctx: &NativeCallContext, value: &Dynamic) -> ScriptResult<Value> {
    netscript_sdk::json::to_json_with(value, "core", &|v| custom_json(ctx, v)).map_err(script_error)
}

/// A plugin's value as JSON: its `to_map()` when it has one (`Headers`), else its text.
fn custom_json(ctx: &NativeCallContext, value: &Dynamic) -> Result<Value, netscript_sdk::CommonError> {
    if let Ok(map) = ctx.call_native_fn::<netscript_sdk::rhai::Map>("to_map", (value.clone(),)) {
        return netscript_sdk::json::to_json_with(&Dynamic::from_map(map), "core", &|v| custom_json(ctx, v));
    }
    let text = ctx.call_native_fn::<String>("to_string", (value.clone(),)).unwrap_or_else(|_| value.to_string());
    Ok(Value::String(text))
}
