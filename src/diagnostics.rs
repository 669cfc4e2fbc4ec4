//! Uncaught errors as a person reads them: `kind: message (file:line:col)`, the source line
//! and a caret under the column; an unknown function lists the nearest names.

use crate::engine::{innermost, Runtime, ScriptFailure};
use netscript_sdk::rhai::{Engine, EvalAltResult, Map, Position};
use std::fmt::Write;

/// A failure's script-facing kind and message.
pub fn kind_and_message(runtime: &Runtime, err: &EvalAltResult) -> (String, String) {
    kind_and_message_of(&runtime.engine, err)
}

/// [`kind_and_message`] with only the engine at hand (the host, for a server's handler).
pub fn kind_and_message_of(engine: &Engine, err: &EvalAltResult) -> (String, String) {
    let (kind, message) = plain_kind_and_message(engine, err);
    let hint = python_hint(engine, &kind, &message);
    if hint.is_empty() {
        return (kind, message);
    }
    // The hint says what to write; the spelling suggestions would only distract.
    let message = match (message.find(" (did you mean: "), message.rfind("?)")) {
        (Some(start), Some(end)) if end > start => format!("{}{}", &message[..start], &message[end + 2..]),
        _ => message,
    };
    (kind, format!("{message}{hint}"))
}

/// What a Python user most likely meant, for the errors Python habits cause: `socket.x`
/// for `socket::x`, `None`, `True`, `print(a, b)`, `",".join(list)`, a method read as a
/// property, `()` from an in-place method. Empty when nothing fits.
fn python_hint(engine: &Engine, kind: &str, message: &str) -> String {
    match kind {
        "VariableNotFound" => {
            let name = message.rsplit(": ").next().unwrap_or("").trim();
            match name {
                "None" => return " — Rhai's None is `()`".into(),
                "True" | "False" => return format!(" — Rhai writes {}", name.to_ascii_lowercase()),
                "self" => return " — a method's value is `this` in Rhai".into(),
                _ => {}
            }
            let reference = crate::docs::Reference::of_engine(engine);
            if reference.modules.contains_key(name) {
                return format!(" — `{name}` is a module: reach its functions with `::` ({name}::…, see --doc {name})");
            }
            String::new()
        }
        "FunctionNotFound" => {
            let call = message.strip_prefix("function not found: ").unwrap_or("");
            if let Some(args) = call.strip_prefix("print(") {
                if args.contains(", ") {
                    return " — print takes one value: print(`${a} ${b}`) joins them".into();
                }
            }
            if call.starts_with("join(string, array)") {
                return " — arrays have no join: build the text with reduce (a.reduce(|s, x| s + sep + x, \"\")) or `${}`".into();
            }
            if call.contains("(())") || call.contains("((), ") {
                return " — the value is (): did an in-place method (trim, replace, pad …) give it? they change the value and return ()".into();
            }
            String::new()
        }
        _ => {
            // "Unknown property 'is_private' - a getter is not registered for type 'IpAddress'"
            let Some(rest) = message.strip_prefix("Unknown property '") else { return String::new() };
            let Some((name, rest)) = rest.split_once('\'') else { return String::new() };
            let owner = rest.rsplit('\'').nth(1).unwrap_or("");
            let reference = crate::docs::Reference::of_engine(engine);
            let is_method = reference
                .modules
                .values()
                .flat_map(|m| m.functions.iter())
                .any(|f| f.is_method && f.name == name && f.signature.starts_with(&format!("{owner}.")));
            if is_method {
                format!(" — `{name}` is a method: call it as .{name}()")
            } else {
                String::new()
            }
        }
    }
}

fn plain_kind_and_message(engine: &Engine, err: &EvalAltResult) -> (String, String) {
    let err = innermost(err);
    match err {
        EvalAltResult::ErrorRuntime(value, _) => {
            if let Some(map) = value.read_lock::<Map>() {
                let kind = map.get("kind").map(|k| k.to_string()).unwrap_or_else(|| "Error".into());
                let message = map.get("message").map(|m| m.to_string()).unwrap_or_else(|| value.to_string());
                (kind, message)
            } else {
                ("Error".into(), value.to_string())
            }
        }
        EvalAltResult::ErrorFunctionNotFound(sig, _) => ("FunctionNotFound".into(), function_not_found(engine, sig)),
        EvalAltResult::ErrorVariableNotFound(..) => ("VariableNotFound".into(), message_of(err)),
        EvalAltResult::ErrorTerminated(..) => ("Interrupted".into(), message_of(err)),
        EvalAltResult::ErrorMismatchDataType(..) | EvalAltResult::ErrorMismatchOutputType(..) => {
            ("TypeError".into(), message_of(err))
        }
        EvalAltResult::ErrorArithmetic(..) => ("ArithmeticError".into(), message_of(err)),
        EvalAltResult::ErrorArrayBounds(..)
        | EvalAltResult::ErrorStringBounds(..)
        | EvalAltResult::ErrorBitFieldBounds(..)
        | EvalAltResult::ErrorIndexNotFound(..) => ("IndexError".into(), message_of(err)),
        EvalAltResult::ErrorModuleNotFound(..) => ("ModuleNotFound".into(), message_of(err)),
        _ => ("ScriptError".into(), message_of(err)),
    }
}

/// Rhai's message without its " (line L, position P)" suffix (the position is shown apart).
fn message_of(err: &EvalAltResult) -> String {
    let text = err.to_string();
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

/// A Rust type in a Rhai signature as the script calls it.
pub fn script_type(rust: &str) -> String {
    let t = rust.trim().trim_start_matches("&mut ").trim_start_matches('&');
    let t = t.rsplit("::").next().unwrap_or(t);
    match t {
        "str" | "ImmutableString" | "String" | "SmartString" => "string",
        "i64" | "i32" | "u32" | "u64" | "usize" | "INT" | "int" => "int",
        "f64" | "f32" | "FLOAT" | "float" => "float",
        "bool" => "bool",
        "char" => "char",
        "()" => "()",
        "Array" | "Vec<Dynamic>" => "array",
        "Map" => "map",
        "Blob" | "Vec<u8>" => "blob",
        "FnPtr" | "Fn" => "closure",
        "Dynamic" => "any",
        "Range<i64>" | "RangeInclusive<i64>" => "range",
        other => return other.to_string(),
    }
    .to_string()
}

/// The argument types of a Rhai "function not found" signature (`name (A, B | C)`), in
/// script words (`B | C` is one argument Rhai could see several ways: its first word).
fn called_with(signature: &str) -> Vec<String> {
    let inside = signature.split_once('(').and_then(|(_, rest)| rest.rsplit_once(')')).map_or("", |(a, _)| a);
    if inside.trim().is_empty() {
        return Vec::new();
    }
    inside.split(", ").map(|arg| script_type(arg.split(" | ").next().unwrap_or(arg))).collect()
}

/// A signature from the reference in script words: `IpNetwork.subnet(prefixlen: int)`.
fn in_script_words(signature: &str) -> String {
    let Some((head, rest)) = signature.split_once('(') else { return signature.to_string() };
    let Some((params, ret)) = rest.rsplit_once(')') else { return signature.to_string() };
    let params: Vec<String> = params
        .split(", ")
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(": ") {
            Some((name, t)) => format!("{name}: {}", script_type(t)),
            None => p.to_string(),
        })
        .collect();
    let ret = ret.trim().strip_prefix("->").map(|t| format!(" -> {}", script_type(t))).unwrap_or_default();
    format!("{head}({}){ret}", params.join(", "))
}

/// "function not found" as a person fixes it: when the name exists, what it takes (its
/// signatures in script words) and what it was given; else the nearest names.
fn function_not_found(engine: &Engine, signature: &str) -> String {
    let called = signature.split([' ', '(']).next().unwrap_or(signature);
    let args = called_with(signature);
    let bare = called.rsplit("::").next().unwrap_or(called);
    let reference = crate::docs::Reference::of_engine(engine);
    let module = called.rsplit_once("::").map(|(m, _)| m);
    // A method call passes the value first: `n.subnet("26")` is `subnet (IpNetwork, string)`.
    let owner = args.first().cloned().unwrap_or_default();
    let candidates: Vec<&crate::docs::FnDoc> = reference
        .modules
        .iter()
        .filter(|(m, _)| module.is_none_or(|want| m.as_str() == want))
        .flat_map(|(_, doc)| doc.functions.iter())
        .filter(|f| f.name == bare)
        .filter(|f| match module {
            Some(_) => true,
            // Without a module: a core function, or a method of the value it was called on.
            None => {
                (f.module.is_empty() && !f.is_method) || (f.is_method && f.signature.starts_with(&format!("{owner}.")))
            }
        })
        .collect();
    let given = format!("({})", args.join(", "));
    if !candidates.is_empty() {
        let shown = if candidates.iter().any(|f| f.is_method) && module.is_none() {
            format!("{owner}.{bare}")
        } else {
            called.to_string()
        };
        let given = if candidates.iter().any(|f| f.is_method) && module.is_none() {
            format!("({})", args.iter().skip(1).cloned().collect::<Vec<_>>().join(", "))
        } else {
            given
        };
        let takes: Vec<String> = candidates
            .iter()
            .map(|f| in_script_words(&f.signature))
            .map(|sig| sig.split_once('(').map_or(sig.clone(), |(_, rest)| format!("({rest}")))
            .map(|sig| sig.split(" -> ").next().unwrap_or(&sig).to_string())
            .collect();
        let mut text = format!("{shown} was called with {given}, but takes {}", takes.join(" or "));
        let count = |t: &str| if t == "()" { 0 } else { t.matches(": ").count() };
        let given_count = args.len() - usize::from(candidates.iter().any(|f| f.is_method) && module.is_none());
        let same_arity = takes.iter().any(|t| count(t) == given_count);
        if same_arity && given.contains("string") && takes.iter().any(|t| t.contains(": int")) {
            text.push_str(
                " — a number in quotes is a string: write it without the quotes, or convert it with parse_int",
            );
        }
        return text;
    }
    format!("function not found: {called}{given}{}", nearest_hint(&reference, signature))
}

/// " (did you mean: a, b?)" for an unknown function signature like `addr::ipp (&str)`.
fn nearest_hint(reference: &crate::docs::Reference, signature: &str) -> String {
    let called = signature.split([' ', '(']).next().unwrap_or(signature);
    // An operator (`+ (IpAddress, f64)`): the types are the news, not the spelling.
    if !called.rsplit("::").next().unwrap_or(called).starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return String::new();
    }
    let names = reference.names();
    let mut nearest = nearest_names(called, &names);
    nearest.retain(|n| n != called);
    if nearest.is_empty() {
        String::new()
    } else {
        format!(" (did you mean: {}?)", nearest.join(", "))
    }
}

/// Up to five names closest to `called` by edit distance (same module first).
pub fn nearest_names(called: &str, names: &[String]) -> Vec<String> {
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|n| {
            let d = strsim::levenshtein(called, n);
            let bare_d =
                strsim::levenshtein(called.rsplit("::").next().unwrap_or(called), n.rsplit("::").next().unwrap_or(n));
            (d.min(bare_d + 1), n)
        })
        .filter(|(d, n)| *d <= 2 + called.len() / 4 || n.contains(called.rsplit("::").next().unwrap_or(called)))
        .collect();
    // Same module, one name the start of the other (`fs::read_string` → `fs::read`).
    if let Some((module, bare)) = called.rsplit_once("::") {
        for n in names {
            if let Some(other) = n.strip_prefix(module).and_then(|r| r.strip_prefix("::")) {
                if other != bare
                    && (bare.starts_with(other) || other.starts_with(bare))
                    && !scored.iter().any(|(_, s)| *s == n)
                {
                    scored.push((1, n));
                }
            }
        }
    }
    scored.sort();
    scored.into_iter().take(5).map(|(_, n)| n.clone()).collect()
}

/// The position of the error in the script `name`: the innermost known one there. An error
/// raised inside a function of another source (an imported module: `std/state`, a file)
/// is shown at the script's call into it — that module's line numbers mean nothing against
/// the script's text.
fn position_of(err: &EvalAltResult, name: &str) -> Position {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, source, inner, pos) => {
            if source.is_empty() || source == name {
                let inside = position_of(inner, name);
                if inside.is_none() {
                    *pos
                } else {
                    inside
                }
            } else {
                *pos
            }
        }
        EvalAltResult::ErrorInModule(_, _, pos) => *pos,
        other => other.position(),
    }
}

/// Where an error shown at a call into another source (an imported module file) was raised:
/// " — raised in lib/m.rhai:3:5" (a module of the standard library is named alone, its
/// lines being out of view), or "" when it was raised in the script `name` itself.
fn raised_elsewhere(err: &EvalAltResult, name: &str) -> String {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, source, inner, _) if source.is_empty() || source == name => {
            raised_elsewhere(inner, name)
        }
        EvalAltResult::ErrorInFunctionCall(_, source, inner, _) => {
            let at = innermost(inner).position();
            match (source.starts_with("std/"), at.line(), at.position()) {
                (false, Some(line), Some(col)) => format!(" — raised in {source}:{line}:{col}"),
                (false, Some(line), None) => format!(" — raised in {source}:{line}"),
                _ => format!(" — raised in {source}"),
            }
        }
        _ => String::new(),
    }
}

/// A server handler's (or a task's) failure as an uncaught error shows it: `kind: message
/// (file:line:col)`, the source line and a caret, when the script's source is known.
pub fn render_handler_failure(engine: &Engine, err: &EvalAltResult, source: Option<(&str, &str)>) -> String {
    let (kind, message) = kind_and_message_of(engine, err);
    let message = match source {
        Some((_, text)) => closure_call_hint(&message, text).unwrap_or(message),
        None => message,
    };
    let text = match source {
        Some((name, text)) => render_at(&kind, &message, position_of(err, name), text, name),
        None => render_at(&kind, &message, position_of(err, "script"), "", "script"),
    };
    netscript_sdk::host().redact(text.trim_end())
}

/// Renders a failure for stderr.
pub fn render(runtime: &Runtime, failure: &ScriptFailure, source: &str, name: &str) -> String {
    let (kind, message, pos) = match failure {
        ScriptFailure::Parse(e) => ("ParseError".to_string(), e.err_type().to_string(), e.position()),
        ScriptFailure::Runtime(e) => {
            let (k, m) = kind_and_message(runtime, e);
            let m = closure_call_hint(&m, source).unwrap_or(m) + raised_elsewhere(e, name).as_str();
            (k, m, position_of(e, name))
        }
        ScriptFailure::Exit(code) => return format!("exit({code})\n"),
    };
    // The message and the source line shown can both hold a password.
    netscript_sdk::host().redact(&render_at(&kind, &message, pos, source, name))
}

/// "`f` holds a closure: call it as f.call(…)" for `f(3)` where the script set `f` to a
/// closure (`f = |x| …` or `f = Fn("…")`): Rhai looks for a function named `f` and finds none.
pub fn closure_call_hint(message: &str, source: &str) -> Option<String> {
    let rest = message.strip_prefix("function not found: ")?;
    let (name, args) = rest.split_once('(')?;
    if name.contains("::") || name.is_empty() {
        return None;
    }
    let holds_closure = source.match_indices(name).any(|(at, _)| {
        let before_ok = source[..at].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = source[at + name.len()..].trim_start();
        let value = after.strip_prefix('=').filter(|v| !v.starts_with('=')).map(str::trim_start);
        before_ok && value.is_some_and(|v| v.starts_with('|') || v.starts_with("Fn("))
    });
    let args = args.split(')').next().unwrap_or("");
    holds_closure
        .then(|| format!("`{name}` holds a closure, not a function: call it as {name}.call(…) (it was given ({args}))"))
}

/// `kind: message (file:line:col)` plus the line and a caret.
pub fn render_at(kind: &str, message: &str, pos: Position, source: &str, name: &str) -> String {
    let mut out = String::new();
    match (pos.line(), pos.position()) {
        (Some(line), col) => {
            let col = col.unwrap_or(1).max(1);
            let _ = writeln!(out, "{kind}: {message} ({name}:{line}:{col})");
            if let Some(text) = source.lines().nth(line - 1) {
                let gutter = line.to_string();
                let _ = writeln!(out, " {gutter} | {}", shown_source(text));
                // The caret goes under the column of the line as shown (secrets masked).
                let before: String = text.chars().take(col - 1).collect();
                let pad: String = shown_source(&before).chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                let _ = writeln!(out, " {} | {pad}^", " ".repeat(gutter.len()));
            }
        }
        (None, _) => {
            let _ = writeln!(out, "{kind}: {message} ({name})");
        }
    }
    out
}

/// Words whose string value on a source line is masked when the line is shown: a secret
/// a plugin has not seen yet (the call failed before it) is not known to the host.
const SENSITIVE_KEYS: &[&str] = &["password", "passwd", "secret", "token", "api_key", "apikey"];

/// Where a string literal's text ends: its closing quote (an escaped one does not count),
/// else the end of the line (the rest is masked too).
fn literal_end(text: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == quote && !escaped => return i,
            _ => escaped = false,
        }
    }
    text.len()
}

/// A source line as an error shows it: secrets the host knows, and string literals given to
/// a sensitive key (`secret: "…"`, `password = "…"`), as `****`.
fn shown_source(line: &str) -> String {
    let known = netscript_sdk::host().redact(line);
    let lower = known.to_ascii_lowercase();
    let mut out = String::with_capacity(known.len());
    let mut at = 0;
    while at < known.len() {
        let next = SENSITIVE_KEYS
            .iter()
            .filter_map(|key| lower[at..].find(key).map(|i| (at + i, key.len())))
            .min_by_key(|(i, _)| *i);
        let Some((start, len)) = next else { break };
        let after_key = start + len;
        let rest = &known[after_key..];
        let trimmed = rest.trim_start_matches(|c: char| c == '"' || c == '_' || c.is_ascii_alphanumeric());
        let trimmed = trimmed.trim_start();
        let value = trimmed.strip_prefix([':', '=']).map(str::trim_start).and_then(|v| {
            let quote = v.chars().next().filter(|c| *c == '"' || *c == '`')?;
            Some((&v[1..], quote))
        });
        match value.map(|(v, quote)| (v, literal_end(v, quote))) {
            Some((v, end)) => {
                let literal_start = known.len() - v.len();
                out.push_str(&known[at..literal_start]);
                out.push_str("****");
                at = literal_start + end;
            }
            None => {
                out.push_str(&known[at..after_key]);
                at = after_key;
            }
        }
    }
    out.push_str(&known[at..]);
    mask_credential_arguments(&out)
}

/// Calls whose last string argument is a password (`c.login("ann", "pw")`, `pass_("pw")`):
/// that literal shown as `****`, for an error raised before the plugin saw the password.
fn mask_credential_arguments(line: &str) -> String {
    const CALLS: &[(&str, usize)] = &[("login(", 2), ("pass_(", 1), ("apop(", 2), ("authenticate(", 2)];
    let mut out = line.to_string();
    for (call, min_literals) in CALLS {
        let mut from = 0;
        while let Some(found) = out[from..].find(call) {
            let start = from + found + call.len();
            // The string literals up to the call's closing parenthesis.
            let mut literals: Vec<(usize, usize)> = Vec::new();
            let mut depth = 0;
            let mut quote: Option<(char, usize)> = None;
            let mut escaped = false;
            let mut end = out.len();
            for (i, c) in out[start..].char_indices() {
                let i = start + i;
                match quote {
                    Some((q, open)) => {
                        if escaped {
                            escaped = false;
                        } else if c == '\\' {
                            escaped = true;
                        } else if c == q {
                            // Only the call's own arguments (`env("PW")` inside is a name).
                            if depth == 0 {
                                literals.push((open + 1, i));
                            }
                            quote = None;
                        }
                    }
                    None => match c {
                        '"' | '`' => quote = Some((c, i)),
                        '(' => depth += 1,
                        ')' if depth == 0 => {
                            end = i;
                            break;
                        }
                        ')' => depth -= 1,
                        _ => {}
                    },
                }
            }
            if literals.len() >= *min_literals {
                if let Some(&(a, b)) = literals.last() {
                    if &out[a..b] != "****" {
                        out.replace_range(a..b, "****");
                    }
                }
            }
            from = end.min(out.len()).max(start.min(out.len()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_given_to_sensitive_keys_are_masked_and_the_caret_follows() {
        assert_eq!(
            shown_source(r#"dns::update(z, s, #{ tsig: #{ name: "k", secret: "c2VjcmV0" } }, 5)"#),
            r#"dns::update(z, s, #{ tsig: #{ name: "k", secret: "****" } }, 5)"#
        );
        assert_eq!(shown_source(r#"let password = "hunter2"; f(password)"#), r#"let password = "****"; f(password)"#);
        assert_eq!(shown_source(r#"let "secret": x"#), r#"let "secret": x"#);
        assert_eq!(shown_source(r#"f(#{ secret: "ab\"cdTAIL" })"#), r#"f(#{ secret: "****" })"#);
        assert_eq!(shown_source("f(#{ secret: `BTSECRET` })"), "f(#{ secret: `****` })");
        assert_eq!(shown_source(r#"f(#{ token: "open"#), r#"f(#{ token: "****"#);
        let out = render_at("E", "m", Position::new(1, 40), r#"f(#{ password: "a long secret value" }).foo()"#, "x");
        let lines: Vec<&str> = out.lines().collect();
        let caret = lines[2].find('^').unwrap() - " 1 | ".len();
        assert_eq!(&lines[1][" 1 | ".len() + caret..], ".foo()", "{out}");
    }

    #[test]
    fn passwords_given_to_login_calls_are_masked_in_shown_lines() {
        assert_eq!(shown_source(r#"f.login("ann", "ann-secret-pw")"#), r#"f.login("ann", "****")"#);
        assert_eq!(shown_source(r#"p.pass_("s3cret"); p.stat()"#), r#"p.pass_("****"); p.stat()"#);
        assert_eq!(shown_source(r#"f.login()"#), r#"f.login()"#);
        assert_eq!(shown_source(r#"f.login("ann", env("PW"))"#), r#"f.login("ann", env("PW"))"#);
    }

    #[test]
    fn caret_sits_under_the_column() {
        let text = render_at("ParseError", "oops", Position::new(2, 5), "let a = 1;\nlet b = ;\n", "t.rhai");
        assert_eq!(text, "ParseError: oops (t.rhai:2:5)\n 2 | let b = ;\n   |     ^\n");
    }

    #[test]
    fn rust_types_read_as_script_types() {
        assert_eq!(called_with("subnet (IpNetwork, &str | ImmutableString | String)"), ["IpNetwork", "string"]);
        assert_eq!(called_with("f (i64, f64, rhai::Array)"), ["int", "float", "array"]);
        assert_eq!(
            in_script_words("addr::ip(text: String, n: INT) -> IpAddress"),
            "addr::ip(text: string, n: int) -> IpAddress"
        );
        assert_eq!(
            closure_call_hint("function not found: f(int)", "let f = |x| x + 1; f(3)").as_deref(),
            Some("`f` holds a closure, not a function: call it as f.call(…) (it was given (int))")
        );
        assert_eq!(closure_call_hint("function not found: f(int)", "let f = 3; f(3)"), None);
    }

    #[test]
    fn nearest_names_prefers_close_spellings() {
        let names: Vec<String> =
            ["addr::ip", "addr::network", "addr::mac", "fs::read"].iter().map(|s| s.to_string()).collect();
        assert_eq!(nearest_names("addr::ipp", &names)[0], "addr::ip");
        assert_eq!(nearest_names("addr::netwrk", &names)[0], "addr::network");
    }
}
