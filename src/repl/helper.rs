//! The line editor's helper: Tab completion (modules, `module::function`, core functions,
//! methods after `.`, the session's variables and functions), a dimmed signature hint after
//! `name(`, and the validator that tells a finished entry from one that goes on (Rhai's own
//! parse error at the end of the input).

use crate::docs::Reference;
use crate::engine::Runtime;
use netscript_sdk::rhai::{Engine, LexError, ParseErrorType, Position};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

/// What the session knows that the engine does not: its variables and script functions.
#[derive(Debug, Default, Clone)]
pub struct SessionNames {
    /// Variables in scope.
    pub variables: Vec<Variable>,
    /// Script functions defined so far.
    pub functions: Vec<String>,
}

/// A variable in scope, as completion needs it.
#[derive(Debug, Clone)]
pub struct Variable {
    /// Its name.
    pub name: String,
    /// Its type, normalised (see [`normalise_type`]).
    pub type_name: String,
    /// The keys, when it holds a map (completed after `name.`).
    pub keys: Vec<String>,
}

/// Every name the engine offers, read once from its metadata (on the first Tab).
#[derive(Debug, Default)]
struct Index {
    /// Module names: `addr`, `fs`, …
    modules: Vec<String>,
    /// `module::function` for every function called through its module.
    module_functions: Vec<String>,
    /// Functions called bare: the core ones and Rhai's standard library.
    globals: Vec<String>,
    /// Methods and properties, with the normalised type of the value they are called on.
    methods: Vec<(String, String)>,
}

const KEYWORDS: &[&str] = &[
    "as", "break", "catch", "const", "continue", "else", "export", "false", "fn", "for", "if", "import", "in", "let",
    "loop", "private", "return", "switch", "this", "throw", "true", "try", "while",
];

/// The REPL's rustyline helper.
pub struct ReplHelper<'a> {
    runtime: &'a Runtime,
    reference: OnceCell<Reference>,
    index: OnceCell<Index>,
    session: SessionNames,
    /// The lines of the entry typed so far (the validator judges them with the new line).
    pending: String,
    /// Set by the validator: the entry goes on under the continuation prompt.
    incomplete: Cell<bool>,
}

impl<'a> ReplHelper<'a> {
    /// A helper for `runtime`; the docs are read lazily, on first use.
    pub fn new(runtime: &'a Runtime) -> ReplHelper<'a> {
        ReplHelper {
            runtime,
            reference: OnceCell::new(),
            index: OnceCell::new(),
            session: SessionNames::default(),
            pending: String::new(),
            incomplete: Cell::new(false),
        }
    }

    /// The runtime's reference (the same docs as `--doc`).
    pub fn reference(&self) -> &Reference {
        self.reference.get_or_init(|| Reference::of(self.runtime))
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::of(&self.runtime.engine))
    }

    /// Replaces what completion knows of the session.
    pub fn set_session(&mut self, names: SessionNames) {
        self.session = names;
    }

    /// The lines of the unfinished entry so far.
    pub fn pending(&self) -> &str {
        &self.pending
    }

    /// Adds a line to the unfinished entry.
    pub fn push_pending(&mut self, line: &str) {
        self.pending.push_str(line);
        self.pending.push('\n');
    }

    /// Ends the entry: returns all its text and starts afresh.
    pub fn take_entry(&mut self, last_line: &str) -> String {
        self.incomplete.set(false);
        let mut entry = std::mem::take(&mut self.pending);
        entry.push_str(last_line);
        entry
    }

    /// Whether the validator judged the last line to leave the entry unfinished.
    pub fn entry_goes_on(&self) -> bool {
        self.incomplete.get()
    }

    /// Drops the unfinished entry (Ctrl-C).
    pub fn discard_entry(&mut self) {
        self.pending.clear();
        self.incomplete.set(false);
    }

    fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        if inside_string(before) {
            return (pos, Vec::new());
        }
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == ':'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        let head = &before[..start];

        if word.is_empty() && !head.ends_with('.') {
            // Tab at the start of a line indents, as in an editor.
            let line_start = head.rfind('\n').map_or(0, |i| i + 1);
            if head[line_start..].trim().is_empty() {
                return (pos, vec![pair("    ", "    ")]);
            }
            return (pos, Vec::new());
        }

        let mut names: Vec<String> = if let Some(receiver) = head.strip_suffix('.') {
            self.methods_for(receiver)
        } else if word.contains("::") {
            self.index().module_functions.clone()
        } else {
            let index = self.index();
            let mut names: Vec<String> = index.modules.iter().map(|m| format!("{m}::")).collect();
            names.extend(index.globals.iter().cloned());
            names.extend(self.session.variables.iter().map(|v| v.name.clone()));
            names.extend(self.session.functions.iter().cloned());
            names.extend(KEYWORDS.iter().map(|k| k.to_string()));
            names
        };
        names.retain(|n| n.starts_with(word) && n != word);
        names.sort();
        names.dedup();
        (start, names.iter().map(|n| pair(n, n)).collect())
    }

    /// Names that may follow `receiver.`: map keys, then the methods of the value's type
    /// (all methods when the type is unknown or has none listed), then script functions.
    fn methods_for(&self, receiver_text: &str) -> Vec<String> {
        let receiver_name: String = receiver_text
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let variable = self.session.variables.iter().rev().find(|v| v.name == receiver_name);
        let methods = &self.index().methods;
        let mut names: Vec<String> = Vec::new();
        if let Some(v) = variable {
            names.extend(v.keys.iter().cloned());
            // Functions taking any value (`print`, `exit`, …) only clutter a typed list.
            names.extend(methods.iter().filter(|(_, on)| on == &v.type_name).map(|(n, _)| n.clone()));
        }
        if names.is_empty() {
            names.extend(methods.iter().map(|(n, _)| n.clone()));
        }
        names.extend(self.session.functions.iter().cloned());
        names
    }
}

fn pair(display: &str, replacement: &str) -> Pair {
    Pair { display: display.to_string(), replacement: replacement.to_string() }
}

/// Whether the cursor sits inside a string literal (an odd number of unescaped quotes before it).
fn inside_string(before: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in before.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' => quote = Some(c),
            None => {}
        }
    }
    quote.is_some()
}

/// A type name as metadata and `type_of` spell it, made comparable ("" is any type).
pub fn normalise_type(name: &str) -> String {
    let name = name.trim().trim_start_matches("&mut ").trim_start_matches('&').trim();
    match name {
        "?" | "Dynamic" | "" => String::new(),
        "int" | "i64" | "INT" => "int".into(),
        "float" | "f64" | "FLOAT" => "float".into(),
        "String" | "str" | "string" | "ImmutableString" => "string".into(),
        "Array" | "array" => "array".into(),
        "Map" | "map" => "map".into(),
        "Blob" | "blob" => "blob".into(),
        other => other.to_string(),
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

impl Index {
    fn of(engine: &Engine) -> Index {
        let json = engine.gen_fn_metadata_to_json(true).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let mut index = Index::default();
        index.add(None, &value);
        index.globals.sort();
        index.globals.dedup();
        index.module_functions.sort();
        index.module_functions.dedup();
        index.methods.sort();
        index.methods.dedup();
        index
    }

    fn add(&mut self, module: Option<&str>, value: &serde_json::Value) {
        for f in value.get("functions").and_then(|f| f.as_array()).into_iter().flatten() {
            let name = f.get("name").and_then(|n| n.as_str()).unwrap_or_default();
            let global = module.is_none() || f.get("namespace").and_then(|n| n.as_str()) == Some("global");
            let params = f.get("params").and_then(|p| p.as_array());
            let receiver = params.and_then(|p| p.first()).and_then(|p| p.get("type")).and_then(|t| t.as_str());
            if let Some(prop) = name.strip_prefix("get$") {
                self.methods.push((prop.to_string(), normalise_type(receiver.unwrap_or(""))));
                continue;
            }
            if !is_identifier(name) {
                continue; // operators, setters, indexers, closures
            }
            if global {
                if let Some(receiver) = receiver {
                    self.methods.push((name.to_string(), normalise_type(receiver)));
                }
            }
            match module {
                None => self.globals.push(name.to_string()),
                Some(m) if !global => self.module_functions.push(format!("{m}::{name}")),
                Some(_) => {}
            }
        }
        for (name, sub) in value.get("modules").and_then(|m| m.as_object()).into_iter().flatten() {
            let path = match module {
                Some(m) => format!("{m}::{name}"),
                None => name.clone(),
            };
            self.modules.push(path.clone());
            self.add(Some(&path), sub);
        }
    }
}

impl Completer for ReplHelper<'_> {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(self.candidates(line, pos))
    }
}

/// A signature shown after `name(`, never inserted.
pub struct SignatureHint(String);

impl Hint for SignatureHint {
    fn display(&self) -> &str {
        &self.0
    }
    fn completion(&self) -> Option<&str> {
        None
    }
}

impl Hinter for ReplHelper<'_> {
    type Hint = SignatureHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<SignatureHint> {
        let before = line.get(..pos)?.strip_suffix('(')?;
        if pos != line.len() || inside_string(before) {
            return None;
        }
        let name: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if name.is_empty() || before.ends_with(&format!(".{name}")) {
            return None;
        }
        let found: Vec<_> = self.reference().find(&name).into_iter().filter(|f| !f.is_method).collect();
        // The overload with the most to say is usually the one people call.
        let main = found.iter().max_by_key(|f| f.doc.len())?;
        let (_, rest) = main.signature.split_once('(')?;
        let more = found.len() - 1;
        let more = if more > 0 { format!("   (+{more} more: :doc {name})") } else { String::new() };
        Some(SignatureHint(format!("{rest}{more}")))
    }
}

impl Highlighter for ReplHelper<'_> {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

/// rustyline shows the lines of an unfinished entry without any prompt, so the validator
/// accepts every line and records whether the entry goes on; the REPL then asks for the next
/// line under `... ` and this judges all the lines together.
impl Validator for ReplHelper<'_> {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let entry = format!("{}{}", self.pending, ctx.input());
        self.incomplete.set(is_incomplete(&self.runtime.engine, &entry));
        Ok(ValidationResult::Valid(None))
    }
}

impl Helper for ReplHelper<'_> {}

/// Whether `entry` is unfinished rather than wrong: Rhai stops at the end of the input
/// wanting a closing token or more expression, or a backtick string is still open.
pub fn is_incomplete(engine: &Engine, entry: &str) -> bool {
    if entry.trim_start().starts_with(':') || entry.trim().is_empty() {
        return false;
    }
    let Err(err) = engine.compile(entry) else { return false };
    match err.err_type() {
        ParseErrorType::MissingToken(..) | ParseErrorType::UnexpectedEOF => past_last_char(err.position(), entry),
        // Rhai points at the opening quote. Only a backtick string (or a `\` at the end of
        // the line) may go on over lines; a `"` left open is a mistake to report now.
        ParseErrorType::BadInput(LexError::UnterminatedString) => {
            entry.trim_end_matches([' ', '\t']).ends_with('\\') || char_at(entry, err.position()) == Some('`')
        }
        _ => false,
    }
}

/// Whether `pos` lies after the last non-blank character of `text`.
fn past_last_char(pos: Position, text: &str) -> bool {
    let (Some(line), Some(col)) = (pos.line(), pos.position()) else { return true };
    let mut last = (0, 0);
    for (l, text_line) in text.lines().enumerate() {
        if let Some((c, _)) = text_line.chars().enumerate().filter(|(_, ch)| !ch.is_whitespace()).last() {
            last = (l + 1, c + 1);
        }
    }
    (line, col) > last
}

fn char_at(text: &str, pos: Position) -> Option<char> {
    let line = text.lines().nth(pos.line()?.checked_sub(1)?)?;
    line.chars().nth(pos.position()?.checked_sub(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_blocks_and_literals_go_on() {
        let engine = Engine::new();
        for entry in [
            "fn f() {",
            "fn f() {\n  1\n",
            "let m = #{a: 1,",
            "[1, 2",
            "let x =",
            "foo(1,",
            "let s = `abc",
            "if x { // a comment",
        ] {
            assert!(is_incomplete(&engine, entry), "{entry:?} should go on");
        }
    }

    #[test]
    fn mistakes_are_reported_at_once() {
        let engine = Engine::new();
        for entry in ["let x = (1 + 2;", "let s = \"abc", "let x = 5\nlet y = 2", "1 +* 2", "let = 3", "", ":help"] {
            assert!(!is_incomplete(&engine, entry), "{entry:?} should be run (and fail) now");
        }
    }

    #[test]
    fn strings_are_left_alone() {
        assert!(inside_string(r#"print("abc"#));
        assert!(!inside_string(r#"print("a\"b") + x"#));
        assert!(inside_string("`multi\nline"));
    }

    #[test]
    fn type_names_meet() {
        assert_eq!(normalise_type("&mut Array"), normalise_type("array"));
        assert_eq!(normalise_type("&str"), normalise_type("string"));
        assert_eq!(normalise_type("int"), normalise_type("i64"));
        assert_eq!(normalise_type("IpAddress"), "IpAddress");
    }
}
