//! `json::parse`, `json::stringify`, `json::pretty`: JSON text ⇄ Rhai maps, arrays and
//! scalars. Custom values (an IP address, say) are written as their `to_string()` text.

use super::invalid;
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::NativeCallContext;
use serde_json::{Number, Value};

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

/// JSON → Rhai value.
pub fn from_json(value: Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => b.into(),
        Value::Number(n) => {
            n.as_i64().map(Dynamic::from_int).unwrap_or_else(|| Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)))
        }
        Value::String(s) => s.into(),
        Value::Array(a) => Dynamic::from_array(a.into_iter().map(from_json).collect()),
        Value::Object(o) => Dynamic::from_map(o.into_iter().map(|(k, v)| (k.into(), from_json(v))).collect()),
    }
}

/// Rhai value → JSON. Blobs become arrays of bytes; other custom types their text.
pub fn to_json(ctx: &NativeCallContext, value: &Dynamic) -> ScriptResult<Value> {
    Ok(if value.is_unit() {
        Value::Null
    } else if let Ok(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Ok(i) = value.as_int() {
        Value::Number(i.into())
    } else if let Ok(f) = value.as_float() {
        Value::Number(Number::from_f64(f).ok_or_else(|| invalid(format!("json: {f} has no JSON form")))?)
    } else if value.is_string() || value.is_char() {
        Value::String(value.to_string())
    } else if value.is_array() {
        let arr = value.read_lock::<Array>().expect("checked array");
        Value::Array(arr.iter().map(|v| to_json(ctx, v)).collect::<ScriptResult<_>>()?)
    } else if value.is_map() {
        let map = value.read_lock::<Map>().expect("checked map");
        let mut obj = serde_json::Map::new();
        for (k, v) in map.iter() {
            obj.insert(k.to_string(), to_json(ctx, v)?);
        }
        Value::Object(obj)
    } else if value.is_blob() {
        let blob = value.read_lock::<Blob>().expect("checked blob");
        Value::Array(blob.iter().map(|b| Value::Number((*b).into())).collect())
    } else {
        let text: String = ctx.call_native_fn("to_string", (value.clone(),)).unwrap_or_else(|_| value.to_string());
        Value::String(text)
    })
}
