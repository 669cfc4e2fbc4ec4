//! `base64::encode` / `base64::decode` (standard alphabet, with padding).

use super::{bytes_of, invalid};
use base64::Engine as _;
use netscript_sdk::prelude::*;

/// Registers the `base64` module.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("Base64 encoding (RFC 4648, standard and URL-safe alphabets).");
    m.pure_func(
        "encode",
        &["data"],
        r#"
        Encodes a string (its UTF-8 bytes) or a blob as base64 text.
        ```rhai
        print(base64::encode("hello"));   // aGVsbG8=
        ```
        Errors: `InvalidArgument` when `data` is neither a string nor a blob."#,
        |data: Dynamic| -> ScriptResult<String> {
            Ok(base64::engine::general_purpose::STANDARD.encode(bytes_of(&data, "base64::encode: data")?))
        },
    );
    m.pure_func(
        "encode_url",
        &["data"],
        r#"
        Encodes with the URL-safe alphabet, without padding.
        ```rhai
        print(base64::encode_url("hi?"));   // aGk_
        ```
        Errors: `InvalidArgument` when `data` is neither a string nor a blob."#,
        |data: Dynamic| -> ScriptResult<String> {
            Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes_of(&data, "base64::encode_url: data")?))
        },
    );
    m.pure_func(
        "decode",
        &["text"],
        r#"
        Decodes base64 text (standard alphabet; white space ignored) to a blob.
        ```rhai
        let b = base64::decode("aGVsbG8=");
        print(b.as_string());   // hello
        ```
        Errors: `InvalidArgument` quoting the first bad character's position."#,
        |text: &str| -> ScriptResult<Blob> {
            let cleaned: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cleaned.as_bytes()))
                .map_err(|e| invalid(format!("base64::decode: {e}")))
        },
    );
}
