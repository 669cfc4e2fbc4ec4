//! Doc examples as tests, as nushell's `test_examples`: every `rhai` example in a
//! function's doc that states a result (`expr   // => value`) is run, and the value must be
//! the one stated. A plugin's unit tests call [`check`] with an engine holding its module;
//! the host's tests do the same over every module of the real binary.

use rhai::{Dynamic, Engine};

/// The `rhai` code blocks of a doc text.
pub fn code_blocks(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        let trimmed = line.trim().trim_start_matches("///").trim();
        match (&mut current, trimmed) {
            (None, "```rhai") => current = Some(String::new()),
            (Some(code), "```") => {
                out.push(std::mem::take(code));
                current = None;
            }
            (Some(code), _) => {
                code.push_str(line.trim_start().strip_prefix("///").map_or(line, |l| l.strip_prefix(' ').unwrap_or(l)));
                code.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// Checks `engine`'s function docs: each has an `Errors:` line, and every `// =>` result of
/// its `rhai` examples is what the code gives (`expr  // => value`, or an expression followed
/// by a line `// => value`); with `run_every_example` (an engine whose examples need nothing
/// outside: no network) every example also runs whole. Returns how many results were
/// checked. Errors: one line per problem, naming the function.
pub fn check(engine: &Engine, run_every_example: bool) -> Result<usize, String> {
    let json = engine.gen_fn_metadata_to_json(false).map_err(|e| format!("no metadata: {e}"))?;
    let metadata: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let mut functions: Vec<&serde_json::Value> = Vec::new();
    collect_functions(&metadata, &mut functions);
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in functions {
        let name = f.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        let doc: String = f
            .get("docComments")
            .and_then(|d| d.as_array())
            .map(|lines| lines.iter().filter_map(|l| l.as_str()).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        if doc.is_empty() || name.starts_with("anon$") {
            continue;
        }
        if !doc.lines().any(|l| l.trim().trim_start_matches("///").trim().starts_with("Errors:")) {
            failures.push(format!("{name}: the doc has no 'Errors:' line"));
        }
        for code in code_blocks(&doc) {
            let mut prefix = String::new();
            let mut last: Option<String> = None;
            for line in code.lines().map(str::trim) {
                let (part, want) = match line.find("// =>") {
                    Some(i) => (line[..i].trim(), Some(line[i + 5..].trim())),
                    None => (line, None),
                };
                let part = part.trim_end_matches(';');
                if !part.is_empty() {
                    if let Some(prev) = last.replace(part.to_string()) {
                        prefix.push_str(&format!("{prev};\n"));
                    }
                }
                let Some(want) = want else { continue };
                let Some(expr) = last.take() else {
                    failures.push(format!("{name}: `// => {want}` follows no expression"));
                    continue;
                };
                checked += 1;
                match shown(engine, &prefix, &expr) {
                    Ok(got) if got == want => {}
                    Ok(got) => failures.push(format!("{name}: `{expr}` gave {got}, the doc says {want}")),
                    Err(e) => failures.push(format!("{name}: `{expr}` failed: {e}")),
                }
                prefix.push_str(&format!("{expr};\n"));
            }
            if let Some(prev) = last {
                prefix.push_str(&prev);
            }
            if run_every_example {
                if let Err(e) = engine.run(&prefix) {
                    failures.push(format!("{name}: example failed: {e}\n{prefix}"));
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(checked)
    } else {
        Err(failures.join("\n"))
    }
}

/// What `expr` shows in a doc example: `()`, text in quotes, a value as the script's
/// `to_string()` gives it, or `[a, b]` for arrays.
fn shown(engine: &Engine, prefix: &str, expr: &str) -> Result<String, String> {
    let value = engine.eval::<Dynamic>(&format!("{prefix}\n{expr}")).map_err(|e| e.to_string())?;
    let show = |v: &Dynamic| -> Result<String, String> {
        if v.is_unit() {
            return Ok("()".into());
        }
        // Through the engine, so custom types print as scripts see them.
        let mut scope = rhai::Scope::new();
        scope.push_dynamic("v", v.clone());
        let text = engine.eval_with_scope::<String>(&mut scope, "v.to_string()").map_err(|e| e.to_string())?;
        Ok(if v.is_string() { format!("{text:?}") } else { text })
    };
    if value.is_array() {
        let items = value.cast::<rhai::Array>();
        let shown: Result<Vec<String>, String> = items.iter().map(show).collect();
        Ok(format!("[{}]", shown?.join(", ")))
    } else if value.is_string() {
        Ok(value.to_string())
    } else {
        show(&value)
    }
}

fn collect_functions<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    if let Some(functions) = value.get("functions").and_then(|f| f.as_array()) {
        out.extend(functions);
    }
    if let Some(modules) = value.get("modules").and_then(|m| m.as_object()) {
        for module in modules.values() {
            collect_functions(module, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_results_are_checked() {
        let mut b = crate::ModuleBuilder::new("t");
        b.pure_func(
            "twice",
            &["n"],
            "Twice.\n```rhai\nlet x = 4;\nt::twice(x)   // => 8\n```\nErrors: none.",
            |n: i64| n * 2,
        );
        b.pure_func("wrong", &["n"], "Wrong.\n```rhai\nt::wrong(1)   // => 3\n```\nErrors: none.", |n: i64| n);
        let mut engine = Engine::new();
        engine.register_static_module("t", b.into_module().into());
        let err = check(&engine, true).unwrap_err();
        assert!(err.contains("wrong: `t::wrong(1)` gave 1, the doc says 3"), "{err}");
        assert!(!err.contains("twice"), "{err}");
    }
}
