//! `--check` (and `-v`) warnings for the Rhai traps a Python user falls into, found in the
//! source: a `\n` in a backtick string (it stays a backslash and an n), a `try`/`catch` as
//! the last statement of a function or closure (its value is `()`), the result of an
//! in-place method assigned (`x = x.trim()` sets `x` to `()`), and a variable holding a
//! closure called like a function (`f(3)`, which needs `f.call(3)`). Warnings only: the
//! script is valid Rhai.

use netscript_sdk::rhai::Position;

/// One warning: where, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line and column.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The text.
    pub message: String,
}

impl Warning {
    /// Its position as Rhai's.
    pub fn position(&self) -> Position {
        Position::new(self.line as u16, self.column as u16)
    }
}

/// String methods that change the string in place and return `()` (array methods such as
/// `sort` share names with plugin methods that return values, so they are left out).
const IN_PLACE: &[&str] = &["trim", "replace", "make_upper", "make_lower", "pad", "truncate", "crop"];

/// What kind of block a `{` opens.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Block {
    Function,
    Closure,
    Try,
    Catch,
    Other,
}

/// The warnings for `source`, in order.
pub fn check(source: &str) -> Vec<Warning> {
    let chars: Vec<char> = source.chars().collect();
    let mut warnings = Vec::new();
    let (mut line, mut column) = (1usize, 1usize);
    // (line, column) of every char index, for positions.
    let mut at = Vec::with_capacity(chars.len() + 1);
    for c in &chars {
        at.push((line, column));
        if *c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    at.push((line, column));
    let warn = |warnings: &mut Vec<Warning>, i: usize, message: String| {
        let (line, column) = at[i];
        warnings.push(Warning { line, column, message });
    };
    // Code with strings and comments blanked, for the pattern checks below.
    let mut code: Vec<char> = chars.clone();
    let mut stack: Vec<(Block, usize)> = Vec::new();
    let mut last_try = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                code[i] = ' ';
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                code[i] = ' ';
                i += 1;
            }
            let end = (i + 2).min(chars.len());
            code[i..end].fill(' ');
            i += 2;
            continue;
        }
        if c == '"' || c == '`' || c == '\'' {
            let start = i;
            i += 1;
            let mut escape_warned = false;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && c != '`' {
                    code[i] = ' ';
                    i += 1;
                } else if chars[i] == '\\' && c == '`' && !escape_warned {
                    if let Some(e @ ('n' | 't' | 'r')) = chars.get(i + 1).copied() {
                        escape_warned = true;
                        warn(
                            &mut warnings,
                            i,
                            format!(
                                "`\\{e}` in a backtick string stays a backslash and a letter (backtick strings process no escapes): use a \"…\" string, or add \"\\{e}\""
                            ),
                        );
                    }
                }
                if i < chars.len() {
                    code[i] = ' ';
                }
                i += 1;
            }
            let _ = start;
            i += 1;
            continue;
        }
        if c == '{' {
            stack.push((opener(&code, i), i));
        } else if c == '}' {
            if let Some((kind, _)) = stack.pop() {
                match kind {
                    Block::Try => {
                        let open = stack_open_index(&code, i);
                        let returns = code[open..i].iter().collect::<String>().contains("return");
                        // A try whose body says `return` does not rely on the statement's value.
                        last_try = if returns { None } else { word_before(&code, open) };
                    }
                    Block::Catch => {
                        // `try { … } catch { … }` ending a function or closure body: its
                        // value is not what the body returns.
                        let after = code[i + 1..].iter().position(|c| !c.is_whitespace() && *c != ';');
                        let closes = after.is_some_and(|k| code[i + 1 + k] == '}');
                        let body = stack.last().map(|(k, _)| *k);
                        if closes && matches!(body, Some(Block::Function | Block::Closure)) {
                            if let Some(t) = last_try {
                                warn(
                                    &mut warnings,
                                    t,
                                    "a try/catch ending a function or closure gives () as its result: `return` the value inside try (and catch)".into(),
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        i += 1;
    }
    let text: String = code.iter().collect();
    in_place_assignments(&text, &mut |i, m| warn(&mut warnings, i, m));
    closure_calls(&text, &mut |i, m| warn(&mut warnings, i, m));
    warnings.sort_by_key(|w| (w.line, w.column));
    warnings
}

/// The index of the `{` that the `}` at `close` closes (in blanked code).
fn stack_open_index(code: &[char], close: usize) -> usize {
    let mut depth = 0;
    for k in (0..close).rev() {
        match code[k] {
            '}' => depth += 1,
            '{' if depth == 0 => return k,
            '{' => depth -= 1,
            _ => {}
        }
    }
    0
}

/// The index where the word before `i` starts (skipping spaces).
fn word_before(code: &[char], i: usize) -> Option<usize> {
    let mut k = i;
    while k > 0 && code[k - 1].is_whitespace() {
        k -= 1;
    }
    let end = k;
    while k > 0 && (code[k - 1].is_alphanumeric() || code[k - 1] == '_') {
        k -= 1;
    }
    (k < end).then_some(k)
}

/// What the `{` at `i` opens, from what comes before it.
fn opener(code: &[char], i: usize) -> Block {
    let before: String = code[..i].iter().collect();
    let before = before.trim_end();
    if before.ends_with('|') || before.ends_with("||") {
        return Block::Closure;
    }
    if before.ends_with("try") {
        return Block::Try;
    }
    if before.ends_with("catch") {
        return Block::Catch;
    }
    if before.ends_with(')') {
        // `fn name(…) {`, `catch (e) {`, `if (…) {`: look at what opened the parenthesis.
        let mut depth = 0;
        for (k, c) in before.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' => {
                    depth -= 1;
                    if depth == 0 {
                        let head = before[..k].trim_end();
                        if head.ends_with("catch") {
                            return Block::Catch;
                        }
                        let word_start = head.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |p| p + 1);
                        let prefix = head[..word_start].trim_end();
                        if prefix.ends_with("fn") && !head[word_start..].is_empty() {
                            return Block::Function;
                        }
                        return Block::Other;
                    }
                }
                _ => {}
            }
        }
    }
    Block::Other
}

/// `x = x.trim()`, `let y = s.push(1)`: an in-place method's `()` assigned.
fn in_place_assignments(code: &str, warn: &mut impl FnMut(usize, String)) {
    let chars: Vec<char> = code.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '=' {
            continue;
        }
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        if "=!<>+-*/%&|^".contains(prev) || next == '=' || next == '>' {
            continue;
        }
        // The right side up to the end of the statement.
        let rest: String = chars[i + 1..].iter().take_while(|c| **c != ';' && **c != '\n').collect();
        let rest = rest.trim();
        for method in IN_PLACE {
            let call = format!(".{method}(");
            if let Some(p) = rest.find(&call) {
                let receiver = &rest[..p];
                let tail = &rest[p + call.len()..];
                let closes_statement = tail.find(')').is_some_and(|q| tail[q + 1..].trim().is_empty());
                let simple =
                    receiver.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '[' || c == ']');
                if simple && closes_statement && !receiver.is_empty() {
                    warn(
                        i,
                        format!(
                            "`{method}` changes {receiver} in place and returns (): this assigns (); write `{receiver}.{method}(…);` on its own, then use {receiver}"
                        ),
                    );
                }
            }
        }
    }
}

/// `f(3)` where the script set `f` to a closure.
fn closure_calls(code: &str, warn: &mut impl FnMut(usize, String)) {
    let mut names: Vec<String> = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let text: String = chars.iter().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '=' || (i > 0 && "=!<>".contains(chars[i - 1])) || chars.get(i + 1) == Some(&'=') {
            continue;
        }
        let value: String = chars[i + 1..].iter().collect();
        let value = value.trim_start();
        if value.starts_with('|') || value.starts_with("Fn(") {
            let before: String = chars[..i].iter().collect();
            let before = before.trim_end();
            let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |p| p + 1);
            let name = &before[start..];
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    for name in &names {
        for (at, _) in text.match_indices(name.as_str()) {
            let before = text[..at].chars().last();
            let after = &text[at + name.len()..];
            let called = after.starts_with('(');
            let plain = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.' || c == ':'));
            let defined = text[..at].trim_end().ends_with("fn");
            if called && plain && !defined {
                let index = text[..at].chars().count();
                warn(index, format!("`{name}` holds a closure: call it as {name}.call(…), not {name}(…)"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(source: &str) -> Vec<String> {
        check(source).into_iter().map(|w| format!("{}:{} {}", w.line, w.column, w.message)).collect()
    }

    #[test]
    fn each_trap_is_found_where_it_is() {
        let got = said("let a = `x\\ny`;\nlet f = |s| { try { parse_int(s) } catch { 0 } };\nlet t = \" a \";\nt = t.trim();\nprint(f(3));\n");
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].starts_with("1:11 `\\n` in a backtick string"), "{got:?}");
        assert!(got[1].starts_with("2:15 a try/catch ending a function or closure"), "{got:?}");
        assert!(got[2].starts_with("4:3 `trim` changes t in place"), "{got:?}");
        assert!(got[3].starts_with("5:7 `f` holds a closure"), "{got:?}");
    }

    #[test]
    fn what_is_right_is_quiet() {
        let fine = "let a = \"x\\ny\";\nlet b = `v ${a}`;\nfn g(s) { try { return parse_int(s); } catch { return 0; } }\nlet t = \" a \"; t.trim();\nlet f = |x| x + 1; print(f.call(3));\nif t == t.trim() {}\nlet u = t.to_upper();\n// x = x.trim()\n";
        assert_eq!(said(fine), Vec::<String>::new());
        let in_if = "fn h(x) { if x { try { 1 } catch { 2 } } else { 3 } }";
        assert_eq!(said(in_if), Vec::<String>::new());
    }
}
