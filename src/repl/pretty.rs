//! How the REPL shows a line's value: strings quoted, arrays and maps on one line when they
//! fit and indented one item a line when they do not, blobs as their length and a hex
//! preview, and custom types through their registered `to_string` (an address reads `::1`,
//! not its Rust type name).

use netscript_sdk::rhai::{Array, Blob, Dynamic, Engine, Map};
use std::fmt::Write;

/// A container that fits in this many columns stays on one line.
const WIDTH: usize = 80;
/// How many bytes of a blob are shown.
const BLOB_PREVIEW: usize = 32;
/// How many items of one array or map are shown before "… N more".
const MAX_ITEMS: usize = 200;

/// `value` as the REPL prints it.
pub fn show(engine: &Engine, value: &Dynamic) -> String {
    let mut out = String::new();
    write_value(engine, &value.flatten_clone(), 0, &mut out);
    out
}

fn write_value(engine: &Engine, value: &Dynamic, depth: usize, out: &mut String) {
    let budget = WIDTH.saturating_sub(depth * 2);
    let mut line = String::new();
    if write_compact(engine, value, budget, &mut line) {
        out.push_str(&line);
        return;
    }
    let indent = "  ".repeat(depth + 1);
    if let Some(array) = value.read_lock::<Array>() {
        out.push_str("[\n");
        for item in array.iter().take(MAX_ITEMS) {
            out.push_str(&indent);
            write_value(engine, &item.flatten_clone(), depth + 1, out);
            out.push_str(",\n");
        }
        more(array.len(), &indent, out);
        let _ = write!(out, "{}]", "  ".repeat(depth));
    } else if let Some(map) = value.read_lock::<Map>() {
        out.push_str("#{\n");
        for (key, item) in map.iter().take(MAX_ITEMS) {
            let _ = write!(out, "{indent}{}: ", map_key(key));
            write_value(engine, &item.flatten_clone(), depth + 1, out);
            out.push_str(",\n");
        }
        more(map.len(), &indent, out);
        let _ = write!(out, "{}}}", "  ".repeat(depth));
    } else {
        // A scalar too wide for the line: print it whole anyway.
        out.push_str(&scalar(engine, value));
    }
}

fn more(len: usize, indent: &str, out: &mut String) {
    if len > MAX_ITEMS {
        let _ = writeln!(out, "{indent}… {} more", len - MAX_ITEMS);
    }
}

/// Writes `value` on one line; false (leaving `out` unusable) once it passes `budget` chars.
fn write_compact(engine: &Engine, value: &Dynamic, budget: usize, out: &mut String) -> bool {
    if let Some(array) = value.read_lock::<Array>() {
        out.push('[');
        for (i, item) in array.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if !write_compact(engine, &item.flatten_clone(), budget, out) {
                return false;
            }
        }
        out.push(']');
    } else if let Some(map) = value.read_lock::<Map>() {
        if map.is_empty() {
            out.push_str("#{}");
            return true;
        }
        out.push_str("#{ ");
        for (i, (key, item)) in map.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}: ", map_key(key));
            if !write_compact(engine, &item.flatten_clone(), budget, out) {
                return false;
            }
        }
        out.push_str(" }");
    } else {
        out.push_str(&scalar(engine, value));
    }
    out.chars().count() <= budget
}

/// A map key as written in a map literal: bare when it is an identifier, quoted otherwise.
fn map_key(key: &str) -> String {
    let mut chars = key.chars();
    let identifier =
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_');
    if identifier {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

fn scalar(engine: &Engine, value: &Dynamic) -> String {
    if value.is_string() {
        return format!("{:?}", value.to_string());
    }
    if value.is_char() {
        return format!("{:?}", value.as_char().unwrap_or_default());
    }
    if let Some(blob) = value.read_lock::<Blob>() {
        return blob_preview(&blob);
    }
    if value.is_unit() {
        return "()".into();
    }
    if value.is_int() || value.is_float() || value.is_bool() || value.is_fnptr() || value.is_timestamp() {
        return value.to_string();
    }
    // A custom type: its registered `to_string` (Rhai's own display is the type name).
    let mut this = value.clone();
    engine.eval_fn_call::<String>("to_string", Some(&mut this), ()).unwrap_or_else(|_| value.to_string())
}

/// `Blob(5 bytes) 68 65 6c 6c 6f`, cut to the first [`BLOB_PREVIEW`] bytes.
fn blob_preview(blob: &[u8]) -> String {
    let mut out = format!("Blob({} byte{})", blob.len(), if blob.len() == 1 { "" } else { "s" });
    for byte in blob.iter().take(BLOB_PREVIEW) {
        let _ = write!(out, " {byte:02x}");
    }
    if blob.len() > BLOB_PREVIEW {
        out.push_str(" …");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(code: &str) -> String {
        let engine = Engine::new();
        show(&engine, &engine.eval::<Dynamic>(code).unwrap())
    }

    #[test]
    fn scalars_read_like_literals() {
        assert_eq!(eval(r#""a\"b""#), r#""a\"b""#);
        assert_eq!(eval("'x'"), "'x'");
        assert_eq!(eval("42"), "42");
        assert_eq!(eval("1.5"), "1.5");
    }

    #[test]
    fn short_containers_stay_on_one_line() {
        assert_eq!(eval(r#"[1, "two", [3]]"#), r#"[1, "two", [3]]"#);
        assert_eq!(eval(r#"#{b: 1, a: "x", "with space": ()}"#), r#"#{ a: "x", b: 1, "with space": () }"#);
        assert_eq!(eval("#{}"), "#{}");
    }

    #[test]
    fn long_containers_are_indented_and_nested() {
        let deep = "x".repeat(70);
        let text = eval(&format!(
            r#"#{{ name: "a fairly long name to push this map past the width", list: [1, 2], inner: #{{ deep: "{deep}" }} }}"#
        ));
        let want = format!(
            "#{{\n  inner: #{{\n    deep: \"{deep}\",\n  }},\n  list: [1, 2],\n  name: \"a fairly long name to push this map past the width\",\n}}"
        );
        assert_eq!(text, want);
    }

    #[test]
    fn huge_arrays_are_cut() {
        let text = eval("let a = []; for i in 0..1000 { a.push(i) } a");
        assert!(text.ends_with("  … 800 more\n]"), "{text}");
    }

    #[test]
    fn blobs_show_length_and_hex_preview() {
        assert_eq!(eval(r#""hello".to_blob()"#), "Blob(5 bytes) 68 65 6c 6c 6f");
        let long = eval("blob(40, 0xab)");
        assert!(long.starts_with("Blob(40 bytes) ab ab") && long.ends_with(" …"), "{long}");
        assert_eq!(long.matches("ab").count(), BLOB_PREVIEW);
    }
}
