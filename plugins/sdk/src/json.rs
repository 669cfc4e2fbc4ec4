//! JSON ⇄ Rhai values, one conversion for every part of netscript (`json::parse`, HTTP
//! bodies, …): objects become maps, null `()`, integers beyond 64 bits floats; blobs are
//! written as arrays of bytes and other custom values as their text.

use crate::error::CommonError;
use rhai::{Array, Blob, Dynamic, Map};
use serde_json::{Number, Value};

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

/// Rhai value → JSON. `text_of` gives a custom value's text (the host calls the script's
/// registered `to_string`; without an engine at hand, `Dynamic::to_string` will do).
/// Errors: `InvalidArgument` (raised by `protocol`) for a NaN or infinite float, or a closure.
pub fn to_json(value: &Dynamic, protocol: &str, text_of: &dyn Fn(&Dynamic) -> String) -> Result<Value, CommonError> {
    to_json_with(value, protocol, &|v| Ok(Value::String(text_of(v))))
}

/// [`to_json`] with `custom` deciding the JSON of a plugin's value (a custom type): its
/// map (`to_map`), or its text.
pub fn to_json_with(
    value: &Dynamic,
    protocol: &str,
    custom: &dyn Fn(&Dynamic) -> Result<Value, CommonError>,
) -> Result<Value, CommonError> {
    Ok(if value.is_unit() {
        Value::Null
    } else if let Ok(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Ok(i) = value.as_int() {
        Value::Number(i.into())
    } else if let Ok(f) = value.as_float() {
        Value::Number(
            Number::from_f64(f)
                .ok_or_else(|| CommonError::invalid_argument(protocol, format!("json: {f} has no JSON form")))?,
        )
    } else if value.is_string() || value.is_char() {
        Value::String(value.to_string())
    } else if let Some(arr) = value.read_lock::<Array>() {
        Value::Array(arr.iter().map(|v| to_json_with(v, protocol, custom)).collect::<Result<_, _>>()?)
    } else if let Some(map) = value.read_lock::<Map>() {
        let mut obj = serde_json::Map::new();
        for (k, v) in map.iter() {
            obj.insert(k.to_string(), to_json_with(v, protocol, custom)?);
        }
        Value::Object(obj)
    } else if let Some(blob) = value.read_lock::<Blob>() {
        Value::Array(blob.iter().map(|b| Value::Number((*b).into())).collect())
    } else if value.is_fnptr() {
        return Err(CommonError::invalid_argument(protocol, "json: a closure has no JSON form"));
    } else {
        custom(value)?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let text = r#"{"a":[1,2.5,null,true],"b":{"c":"d"}}"#;
        let value = from_json(serde_json::from_str(text).unwrap());
        let back = to_json(&value, "test", &|v| v.to_string()).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }

    #[test]
    fn nan_is_an_invalid_argument_and_blobs_are_byte_arrays() {
        assert!(to_json(&Dynamic::from_float(f64::NAN), "test", &|v| v.to_string()).is_err());
        let blob = Dynamic::from_blob(vec![1, 2]);
        assert_eq!(to_json(&blob, "test", &|v| v.to_string()).unwrap().to_string(), "[1,2]");
    }
}
