//! `Headers`: the headers of a response (`r.headers`) and of a request a handler gets
//! (`req.headers`), looked up in any case as requests' `CaseInsensitiveDict` is
//! (`r.headers["Content-Type"]`); names are kept lower-case, and printing, `keys()`,
//! `to_map()` and `json::stringify` show them so.

use netscript_sdk::prelude::*;

/// Header names (lower-case) → values; repeated headers joined as `headers_to_map` does.
#[derive(Clone, Debug, Default)]
pub struct Headers(pub Map);

impl Headers {
    /// The value of `name`, in any case.
    pub fn get(&self, name: &str) -> Dynamic {
        self.0.get(name.to_ascii_lowercase().as_str()).cloned().unwrap_or(Dynamic::UNIT)
    }
}

/// Registers the `Headers` type.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<Headers>("Headers");
    m.method(
        "index$get$",
        &["name"],
        r#"
        `headers[name]`: the value of header `name` in any case (`"Content-Type"` and
        `"content-type"` alike), or `()`.
        ```rhai
        let r = http::get("https://example.com/");
        print(r.headers["Content-Type"]);
        ```
        Errors: none."#,
        |h: &mut Headers, name: &str| -> Dynamic { h.get(name) },
    );
    m.method(
        "contains",
        &["name"],
        r#"
        Whether header `name` is there, in any case (`"ETag" in r.headers`).
        ```rhai
        let r = http::get("https://example.com/");
        print("ETag" in r.headers);
        ```
        Errors: none."#,
        |h: &mut Headers, name: &str| -> bool { h.0.contains_key(name.to_ascii_lowercase().as_str()) },
    );
    m.method(
        "keys",
        &[],
        r#"
        The header names, lower-case.
        ```rhai
        for name in http::get("https://example.com/").headers.keys() { print(name); }
        ```
        Errors: none."#,
        |h: &mut Headers| -> Array { h.0.keys().map(|k| Dynamic::from(k.to_string())).collect() },
    );
    m.method(
        "values",
        &[],
        r#"
        The header values, in the order of `keys()`.
        ```rhai
        print(http::get("https://example.com/").headers.values());
        ```
        Errors: none."#,
        |h: &mut Headers| -> Array { h.0.values().cloned().collect() },
    );
    m.method(
        "len",
        &[],
        r#"
        How many headers there are.
        ```rhai
        print(http::get("https://example.com/").headers.len());
        ```
        Errors: none."#,
        |h: &mut Headers| -> INT { h.0.len() as INT },
    );
    m.method(
        "to_map",
        &[],
        r#"
        The headers as a plain map with lower-case names (for `+`, or to change them).
        ```rhai
        let h = http::get("https://example.com/").headers.to_map();
        print(h["content-type"]);
        ```
        Errors: none."#,
        |h: &mut Headers| -> Map { h.0.clone() },
    );
    for name in ["to_string", "to_debug"] {
        m.method(
            name,
            &[],
            r#"
            Prints as a map: `#{"content-type": "text/html", …}`.
            ```rhai
            print(http::get("https://example.com/").headers);
            ```
            Errors: none."#,
            |h: &mut Headers| -> String { Dynamic::from_map(h.0.clone()).to_string() },
        );
    }
}
