//! The reference `--doc`, the REPL's `:help` / `:doc` and completion read: every function's
//! signature and `///` text, taken from the engine's metadata, so the docs are exactly what
//! the code registered.

use crate::engine::Runtime;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One function (or overload) as documented.
#[derive(Debug, Clone)]
pub struct FnDoc {
    /// The module it lives in ("" for core globals).
    pub module: String,
    /// The bare name.
    pub name: String,
    /// How a script calls it: `addr::ip(text: String) -> IpAddress` or `IpAddress.version`.
    pub signature: String,
    /// The doc text, without comment markers.
    pub doc: String,
    /// Called on a value (`x.name(…)`) rather than as `module::name(…)`.
    pub is_method: bool,
}

/// A module's docs.
#[derive(Debug, Clone, Default)]
pub struct ModuleDoc {
    /// One paragraph on the module.
    pub doc: String,
    /// Its functions, sorted by name.
    pub functions: Vec<FnDoc>,
}

/// The whole reference of a runtime.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Module name → docs; "" holds the core global functions.
    pub modules: BTreeMap<String, ModuleDoc>,
}

impl Reference {
    /// Reads the reference off a runtime's engine.
    pub fn of(runtime: &Runtime) -> Reference {
        let json = runtime.engine.gen_fn_metadata_to_json(false).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let mut reference = Reference::default();
        reference.add_module("", &value);
        if let Some(modules) = value.get("modules").and_then(|m| m.as_object()) {
            for (name, module) in modules {
                reference.add_module(name, module);
            }
        }
        for (name, text) in crate::plugins_descriptions(runtime) {
            let entry = reference.modules.entry(name).or_default();
            if entry.doc.is_empty() {
                entry.doc = text;
            }
        }
        for m in reference.modules.values_mut() {
            m.functions.sort_by(|a, b| (a.is_method, &a.name).cmp(&(b.is_method, &b.name)));
        }
        reference
    }

    fn add_module(&mut self, module: &str, value: &serde_json::Value) {
        let entry = self.modules.entry(module.to_string()).or_default();
        if let Some(doc) = value.get("doc").and_then(|d| d.as_str()) {
            entry.doc = strip_comment_markers(doc);
        }
        let Some(functions) = value.get("functions").and_then(|f| f.as_array()) else { return };
        for f in functions {
            let name = f.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
            if name.starts_with("anon$") {
                continue;
            }
            let params: Vec<(String, String)> = f
                .get("params")
                .and_then(|p| p.as_array())
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let n = p.get("name").and_then(|v| v.as_str()).unwrap_or("_").to_string();
                            let t = p.get("type").and_then(|v| v.as_str()).unwrap_or("?").to_string();
                            (n, t)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let ret = f.get("returnType").and_then(|r| r.as_str()).unwrap_or_default().to_string();
            let is_global = f.get("namespace").and_then(|n| n.as_str()) == Some("global");
            let doc = f
                .get("docComments")
                .and_then(|d| d.as_array())
                .map(|lines| {
                    lines.iter().filter_map(|l| l.as_str()).map(strip_comment_markers).collect::<Vec<_>>().join("\n")
                })
                .unwrap_or_default();
            let signature = signature(module, &name, &params, &ret, is_global);
            let is_method = is_global && params.first().is_some_and(|(n, _)| n == "self");
            entry.functions.push(FnDoc { module: module.to_string(), name, signature, doc, is_method });
        }
    }

    /// Renders `topic`: "" (overview), a module, `module::function`, or a bare function name.
    pub fn render(&self, topic: &str) -> Option<String> {
        let topic = topic.trim();
        if topic.is_empty() {
            return Some(self.overview());
        }
        let module_name = if topic == "core" { "" } else { topic };
        if let Some(m) = self.modules.get(module_name) {
            let mut out = String::new();
            let title = if module_name.is_empty() { "core (no prefix)" } else { module_name };
            let _ = writeln!(out, "# {title}\n");
            if !m.doc.is_empty() {
                let _ = writeln!(out, "{}\n", m.doc);
            }
            for f in &m.functions {
                render_fn(&mut out, f);
            }
            return Some(out);
        }
        let found = self.find(topic);
        if found.is_empty() {
            return None;
        }
        let mut out = String::new();
        for f in found {
            render_fn(&mut out, f);
        }
        Some(out)
    }

    /// Functions named by `topic` (`addr::ip`, `ip`, `IpAddress.version`, `version`).
    pub fn find(&self, topic: &str) -> Vec<&FnDoc> {
        let (module, name) = match topic.rsplit_once("::").or_else(|| topic.rsplit_once('.')) {
            Some((m, n)) => (Some(m), n),
            None => (None, topic),
        };
        self.modules
            .iter()
            .filter(|(m, _)| {
                module.is_none_or(|want| m.as_str() == want || (want == "core" && m.is_empty())) || topic.contains('.')
            })
            .flat_map(|(_, doc)| doc.functions.iter())
            .filter(|f| f.name == name || f.name == format!("get${name}"))
            .collect()
    }

    /// Every name a script can write: `module::function`, core functions, methods.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .modules
            .iter()
            .flat_map(|(m, doc)| {
                doc.functions.iter().map(move |f| {
                    let name = f.name.trim_start_matches("get$").to_string();
                    if m.is_empty() || f.is_method {
                        name
                    } else {
                        format!("{m}::{name}")
                    }
                })
            })
            .collect();
        // Operators (`+`, `==`, …) are registered functions too, but nobody types them by name.
        names.retain(|n| {
            n.rsplit("::").next().is_some_and(|last| last.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        });
        names.sort();
        names.dedup();
        names
    }

    fn overview(&self) -> String {
        let mut out = String::from("netscript reference — `netscript --doc MODULE` for one module\n\n");
        for (name, m) in &self.modules {
            let shown = if name.is_empty() { "core" } else { name };
            // One line each, short enough for an 80-column terminal.
            let first = m.doc.lines().next().unwrap_or("");
            let first = first.split_once(". ").map_or(first, |(head, _)| head);
            let mut line = format!("  {shown:<10} {:>3} functions  {first}", m.functions.len());
            if line.chars().count() > 100 {
                let cut: String = line.chars().take(99).collect();
                line =
                    cut.rsplit_once(' ').map_or(cut.clone(), |(head, _)| head.trim_end_matches(',').to_string()) + " …";
            }
            let _ = writeln!(out, "{line}");
        }
        out
    }
}

fn render_fn(out: &mut String, f: &FnDoc) {
    let _ = writeln!(out, "{}", f.signature);
    for line in f.doc.lines() {
        let _ = writeln!(out, "    {line}");
    }
    out.push('\n');
}

fn signature(module: &str, name: &str, params: &[(String, String)], ret: &str, is_global: bool) -> String {
    let ret = if ret.is_empty() || ret == "()" { String::new() } else { format!(" -> {ret}") };
    if let Some(prop) = name.strip_prefix("get$") {
        let owner = params.first().map(|(_, t)| t.trim_start_matches("&mut ").to_string()).unwrap_or_default();
        return format!("{owner}.{prop}{ret}");
    }
    if is_global && params.first().is_some_and(|(n, _)| n == "self") {
        let owner = params[0].1.trim_start_matches("&mut ");
        let rest: Vec<String> = params[1..].iter().map(|(n, t)| format!("{n}: {t}")).collect();
        return format!("{owner}.{name}({}){ret}", rest.join(", "));
    }
    let all: Vec<String> = params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
    let prefix = if module.is_empty() || is_global { String::new() } else { format!("{module}::") };
    format!("{prefix}{name}({}){ret}", all.join(", "))
}

fn strip_comment_markers(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("///").or_else(|| l.strip_prefix("//!")).unwrap_or(l);
            l.strip_prefix(' ').unwrap_or(l).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `rhai` code blocks of a doc text (for the doc-example tests).
pub fn examples(doc: &str) -> Vec<String> {
    netscript_sdk::examples::code_blocks(doc)
}
