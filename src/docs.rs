//! The reference `--doc`, the REPL's `:help` / `:doc` and completion read: every function's
//! signature and `///` text, taken from the engine's metadata, so the docs are exactly what
//! the code registered.

use crate::engine::Runtime;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Python names and the netscript function a user looks for under them (`--doc IPNetwork`).
const PYTHON_NAMES: &[(&str, &str)] = &[
    ("IPNetwork", "addr::network"),
    ("IPAddress", "addr::ip"),
    ("EUI", "addr::mac"),
    ("IPSet", "addr::set"),
    ("cidr_merge", "addr::cidr_merge"),
    ("netaddr.cidr_merge", "addr::cidr_merge"),
    ("netaddr.IPNetwork", "addr::network"),
    ("netaddr.IPAddress", "addr::ip"),
    ("requests.get", "http::get"),
    ("requests.post", "http::post"),
    ("requests.Session", "http::session"),
    ("http.server", "http::serve"),
    ("create_connection", "socket::tcp_connect"),
    ("socket.create_connection", "socket::tcp_connect"),
    ("smtplib.SMTP", "smtp::connect"),
    ("SMTP", "smtp::connect"),
    ("imaplib.IMAP4", "imap::connect"),
    ("IMAP4", "imap::connect"),
    ("IMAP4_SSL", "imap::connect"),
    ("poplib.POP3", "pop3::connect"),
    ("ftplib.FTP", "ftp::connect"),
    ("dns.resolver.resolve", "dns::resolve"),
];

/// What `--doc ARGS` (or `sys.argv`) shows: the one name that is no function.
const ARGS_DOC: &str = "ARGS\n    The script's command-line arguments: an array of strings, everything after FILE \
(`netscript x.rhai a --json` gives [\"a\", \"--json\"]); Python's sys.argv[1:].\n";

/// The guide to Rhai for Python users (`--doc rhai`, `:help rhai`); its examples run in
/// `tests/guide.rs`.
pub const RHAI_GUIDE: &str = include_str!("../docs/rhai-for-python.md");

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
        let mut reference = Reference::of_engine(&runtime.engine);
        for (name, text) in crate::plugins_descriptions(runtime) {
            let entry = reference.modules.entry(name).or_default();
            if entry.doc.is_empty() {
                entry.doc = text;
            }
        }
        reference.add_stdlib(&runtime.engine);
        reference
    }

    /// The modules shipped in the binary (`std/args` …): their `//!` and `///` comments,
    /// read off the compiled sources, public functions only, shown as `args::parse(…)`.
    fn add_stdlib(&mut self, engine: &netscript_sdk::rhai::Engine) {
        for (path, code) in crate::stdlib::MODULES {
            let Ok(ast) = engine.compile(*code) else { continue };
            // Shown as `args::parse(…)`: the name a script imports it as; a module whose short
            // name is a built-in one's (`std/mail` and `mail`) keeps its whole path.
            let short = path.trim_start_matches("std/");
            let short = if self.modules.contains_key(short) { *path } else { short };
            let entry = self.modules.entry(path.to_string()).or_default();
            entry.doc = strip_comment_markers(ast.doc());
            for f in ast.iter_functions() {
                // Private helpers, and the module's closures (compiled as functions too).
                if f.access == netscript_sdk::rhai::FnAccess::Private || f.name.starts_with("anon$") {
                    continue;
                }
                let doc = f.comments.iter().map(|c| strip_comment_markers(c)).collect::<Vec<_>>().join("\n");
                entry.functions.push(FnDoc {
                    module: path.to_string(),
                    name: f.name.to_string(),
                    signature: format!("{short}::{}({})", f.name, f.params.join(", ")),
                    doc,
                    is_method: false,
                });
            }
            entry.functions.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    /// The functions of an engine (modules without the plugins' one-line descriptions).
    pub fn of_engine(engine: &netscript_sdk::rhai::Engine) -> Reference {
        let json = engine.gen_fn_metadata_to_json(false).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let mut reference = Reference::default();
        reference.add_module("", &value);
        if let Some(modules) = value.get("modules").and_then(|m| m.as_object()) {
            for (name, module) in modules {
                reference.add_module(name, module);
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
            // Closures, and indexers (`x[i]`, documented with their type's methods).
            if name.starts_with("anon$") || name.starts_with("index$") {
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
        if topic == "rhai" {
            return Some(RHAI_GUIDE.to_string());
        }
        if ["ARGS", "sys.argv", "argv"].contains(&topic) {
            return Some(ARGS_DOC.to_string());
        }
        let std_name = format!("std/{topic}");
        let module_name = if topic == "core" {
            ""
        } else if !self.modules.contains_key(topic) && self.modules.contains_key(&std_name) {
            std_name.as_str()
        } else {
            topic
        };
        if let Some(m) = self.modules.get(module_name) {
            // One line per function, its overloads together; the full text is `--doc m::f`.
            let mut out = String::new();
            let title = if module_name.is_empty() { "core (no prefix)" } else { module_name };
            let _ = writeln!(out, "# {title}\n");
            if let Some(short) = module_name.strip_prefix("std/") {
                // Not under a built-in module's name, which it would hide (`mail`).
                let alias = if self.modules.contains_key(short) { format!("{short}kit") } else { short.to_string() };
                let _ = writeln!(out, "import \"{module_name}\" as {alias};\n");
            }
            if !m.doc.is_empty() {
                let _ = writeln!(out, "{}\n", m.doc);
            }
            let mut groups = group(m.functions.iter());
            groups.sort_by_key(|g| (call_name(g[0]).contains('.'), call_name(g[0]).to_string()));
            let width = groups.iter().map(|g| compact(g).chars().count()).max().unwrap_or(0).min(40);
            for g in &groups {
                let call = compact(g);
                let pad = width.saturating_sub(call.chars().count());
                // 100 columns: the call, then as much of the first sentence as fits; a call
                // too long for both has the sentence on the next line.
                let used = width.max(call.chars().count());
                if used > 66 {
                    let fullest = g.iter().max_by_key(|f| f.signature.matches(": ").count()).unwrap_or(&g[0]);
                    let _ = writeln!(out, "  {call}\n      {}", first_sentence(&fullest.doc, 92));
                    continue;
                }
                let room = 96usize.saturating_sub(used).max(30);
                // The fullest overload's text says what the function is for (`bind(host,
                // port)` rather than the AF_UNIX `bind(path)`).
                let fullest = g.iter().max_by_key(|f| f.signature.matches(": ").count()).unwrap_or(&g[0]);
                let _ = writeln!(out, "  {call}{}  {}", " ".repeat(pad), first_sentence(&fullest.doc, room));
            }
            let more = match module_name.strip_prefix("std/") {
                _ if module_name.is_empty() => "FUNCTION".to_string(),
                Some(short) if !self.modules.contains_key(short) => format!("{short}::FUNCTION"),
                _ => format!("{module_name}::FUNCTION"),
            };
            let _ = writeln!(out, "\n`netscript --doc {more}` (`:doc` in the REPL) shows one function whole.");
            return Some(out);
        }
        let found = self.find(topic);
        if found.is_empty() {
            return None;
        }
        // Overloads with the same text: every signature, then the text once.
        let mut out = String::new();
        for g in group(found.into_iter()) {
            let mut texts: Vec<&str> = Vec::new();
            for f in &g {
                let _ = writeln!(out, "{}", f.signature);
                if !texts.contains(&f.doc.as_str()) {
                    texts.push(&f.doc);
                }
            }
            for text in texts {
                for line in text.lines() {
                    let _ = writeln!(out, "    {line}");
                }
                out.push('\n');
            }
        }
        Some(out)
    }

    /// Functions named by `topic` (`addr::ip`, `ip`, `IpAddress.version`, `version`), or by
    /// the Python name a user knows (`IPNetwork`, `requests.get`, `smtplib.SMTP`).
    pub fn find(&self, topic: &str) -> Vec<&FnDoc> {
        if let Some((_, ours)) = PYTHON_NAMES.iter().find(|(python, _)| python.eq_ignore_ascii_case(topic)) {
            return self.find(ours);
        }
        let (module, name) = match topic.rsplit_once("::").or_else(|| topic.rsplit_once('.')) {
            Some((m, n)) => (Some(m), n),
            None => (None, topic),
        };
        // `args::parse` is `std/args`'s (imported as `args`).
        let std_name = module.map(|m| format!("std/{m}"));
        let module = match (module, &std_name) {
            (Some(m), Some(s)) if !self.modules.contains_key(m) && self.modules.contains_key(s) => Some(s.as_str()),
            _ => module,
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
        let mut out = String::from(
            "netscript reference — `netscript --doc MODULE` for one module, `--doc rhai` for Rhai as a Python user meets it\n\n",
        );
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

/// Functions grouped by what a script calls: the overloads of one name (and owner) together,
/// in their first one's order.
fn group<'a>(functions: impl Iterator<Item = &'a FnDoc>) -> Vec<Vec<&'a FnDoc>> {
    let mut groups: Vec<Vec<&FnDoc>> = Vec::new();
    for f in functions {
        let key = call_name(f);
        match groups.iter_mut().find(|g| call_name(g[0]) == key) {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    groups
}

/// `module::name`, `Owner.name` or `name`: what the signature starts with.
fn call_name(f: &FnDoc) -> &str {
    f.signature.split(['(', ' ']).next().unwrap_or(&f.signature)
}

/// A group's one-line call: the longest overload's parameter names, those some overload
/// lacks in brackets: `smtp::connect(host [, port] [, options])`; a property as `Owner.name`.
fn compact(group: &[&FnDoc]) -> String {
    let name = call_name(group[0]);
    if !group[0].signature.contains('(') {
        return name.to_string();
    }
    let params = |f: &FnDoc| -> Vec<String> {
        let inside = f.signature.split_once('(').and_then(|(_, rest)| rest.rsplit_once(')')).map_or("", |(p, _)| p);
        inside
            .split(", ")
            .filter(|p| !p.is_empty())
            .map(|p| p.split(':').next().unwrap_or(p).trim().to_string())
            .collect()
    };
    let longest = group.iter().map(|f| params(f)).max_by_key(Vec::len).unwrap_or_default();
    // Overloads that are not the fullest one with parts left out read as alternatives:
    // `Socket.bind(path) | (host, port)`.
    if group.iter().any(|f| params(f).iter().any(|p| !longest.contains(p))) {
        let mut forms: Vec<String> = Vec::new();
        for f in group {
            let form = params(f).join(", ");
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        return format!("{name}({})", forms.join(") | ("));
    }
    let mut out = String::new();
    for (i, p) in longest.iter().enumerate() {
        let text = if i == 0 { p.clone() } else { format!(", {p}") };
        if group.iter().all(|f| params(f).contains(p)) {
            out.push_str(&text);
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&format!("[{text}]"));
        }
    }
    format!("{name}({out})")
}

/// The doc's first sentence, cut to `room` characters.
fn first_sentence(doc: &str, room: usize) -> String {
    let para = doc.split("\n\n").next().unwrap_or("").replace('\n', " ");
    let sentence = match para.find(". ") {
        Some(i) => &para[..=i],
        None => para.trim_end(),
    };
    if sentence.chars().count() > room {
        let cut: String = sentence.chars().take(room - 1).collect();
        format!("{}…", cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head))
    } else {
        sentence.to_string()
    }
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

/// Shows `text` on stdout; on a terminal, text longer than the screen goes through a pager
/// (`$PAGER`, else `less -FRX` when there is one).
pub fn page(text: &str) {
    use std::io::IsTerminal;
    let rows = crate::core::process::terminal_size().map(|(_, rows)| rows);
    let long = rows.is_some_and(|rows| text.lines().count() + 1 > rows);
    if std::io::stdout().is_terminal() && long {
        let pager = std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "less -FRX".into());
        let mut words = pager.split_whitespace();
        if let Some(program) = words.next() {
            let child = std::process::Command::new(program).args(words).stdin(std::process::Stdio::piped()).spawn();
            if let Ok(mut child) = child {
                if let Some(mut stdin) = child.stdin.take() {
                    let _ = std::io::Write::write_all(&mut stdin, text.as_bytes());
                }
                let _ = child.wait();
                return;
            }
        }
    }
    crate::engine::write_stdout(text);
}
