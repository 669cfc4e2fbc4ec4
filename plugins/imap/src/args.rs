//! A script's arguments as command pieces, checked before anything is sent: message ids
//! (an array, a range, a number or an IMAP set such as `"1:*"`), search criteria (non-ASCII
//! text goes as a UTF-8 literal with `CHARSET UTF-8`), flags, fetch items, STORE's mode.

use crate::error::{ImapError, ImapResult};
use crate::session::one_line;
use netscript_sdk::options::{quote, type_word};
use netscript_sdk::rhai::{Dynamic, INT};

/// Message ids as an IMAP sequence set: `[1, 2, 3, 7]` → `1:3,7`, `1..4` → `1:3`, `5` →
/// `5`, or a set string checked for its form (`"1:*"`, `"2,4:6"`). Errors: `InvalidArgument`
/// for an empty set, ids below 1, or anything else.
pub fn id_set(ids: &Dynamic) -> ImapResult<String> {
    let bad = |why: String| ImapError::invalid(format!("message ids: {why}"));
    let number = |n: INT| -> ImapResult<u32> {
        if n > INT::from(u32::MAX) {
            return Err(bad(format!("{n} is above the largest IMAP message number (4294967295)")));
        }
        u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| bad(format!("{n} is not a message number (1 or more)")))
    };
    let mut numbers: Vec<u32> = if let Some(text) = ids.clone().try_cast::<String>() {
        return set_string(&text);
    } else if let Ok(n) = ids.as_int() {
        vec![number(n)?]
    } else if let Some(range) = ids.clone().try_cast::<std::ops::Range<INT>>() {
        if range.is_empty() {
            return Err(bad(format!("the range {}..{} is empty", range.start, range.end)));
        }
        return Ok(format!("{}:{}", number(range.start)?, number(range.end - 1)?));
    } else if let Some(range) = ids.clone().try_cast::<std::ops::RangeInclusive<INT>>() {
        if range.is_empty() {
            return Err(bad(format!("the range {}..={} is empty", range.start(), range.end())));
        }
        return Ok(format!("{}:{}", number(*range.start())?, number(*range.end())?));
    } else if let Some(array) = ids.clone().try_cast::<netscript_sdk::rhai::Array>() {
        array
            .iter()
            .map(|v| v.as_int().map_err(|t| bad(format!("{t} in the array, not a message number"))).and_then(number))
            .collect::<ImapResult<_>>()?
    } else {
        return Err(bad(format!("an array, a range, a number or a set string like \"1:*\", not {}", type_word(ids))));
    };
    if numbers.is_empty() {
        return Err(bad("the array is empty".into()));
    }
    numbers.sort_unstable();
    numbers.dedup();
    let mut parts = Vec::new();
    let mut start = numbers[0];
    let mut end = start;
    for &n in &numbers[1..] {
        if n == end + 1 {
            end = n;
        } else {
            parts.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
            start = n;
            end = n;
        }
    }
    parts.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
    Ok(parts.join(","))
}

/// A set string in IMAP's form: numbers, `*`, `a:b` ranges, joined by commas.
fn set_string(text: &str) -> ImapResult<String> {
    let valid_number =
        |s: &str| s == "*" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0'));
    let ok = !text.is_empty()
        && text.split(',').all(|part| match part.split_once(':') {
            Some((a, b)) => valid_number(a) && valid_number(b),
            None => valid_number(part),
        });
    if ok {
        Ok(text.to_string())
    } else {
        Err(ImapError::invalid(format!("message ids: '{}' is no IMAP set (like \"1:*\", \"2,4:6\")", quote(text))))
    }
}

/// A piece of search criteria.
#[derive(Debug, PartialEq)]
pub enum Criterion {
    /// An atom, a parenthesis or a number: sent as it is.
    Raw(String),
    /// A string: quoted, or a literal when it is not ASCII.
    Text(String),
}

/// Search criteria as pieces: a string is cut into atoms, quoted strings and parentheses
/// (`FROM "Ann Lee" SINCE 1-Dec-2026`); an array gives one piece per item (strings with
/// spaces or non-ASCII become strings). Errors: `InvalidArgument` for CR, LF or NUL, an
/// unclosed quote, or nothing at all.
pub fn criteria(value: &Dynamic) -> ImapResult<Vec<Criterion>> {
    let pieces = if let Some(text) = value.clone().try_cast::<String>() {
        one_line("search criteria", &text)?;
        tokens(&text)?
    } else if let Some(array) = value.clone().try_cast::<netscript_sdk::rhai::Array>() {
        let mut pieces = Vec::new();
        for item in array {
            let text = item.to_string();
            one_line("search criteria", &text)?;
            pieces.push(if raw_ok(&text) { Criterion::Raw(text) } else { Criterion::Text(text) });
        }
        pieces
    } else {
        return Err(ImapError::invalid(format!("search criteria: a string or an array, not {}", type_word(value))));
    };
    if pieces.is_empty() {
        return Err(ImapError::invalid("search criteria: empty (\"ALL\" finds every message)"));
    }
    Ok(pieces)
}

fn tokens(text: &str) -> ImapResult<Vec<Criterion>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' | ')' => {
                out.push(Criterion::Raw(c.to_string()));
                chars.next();
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => s.extend(chars.next()),
                        Some('"') => break,
                        Some(other) => s.push(other),
                        None => {
                            return Err(ImapError::invalid(format!(
                                "search criteria: a quote is not closed in '{}'",
                                quote(text)
                            )))
                        }
                    }
                }
                out.push(Criterion::Text(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(if raw_ok(&s) { Criterion::Raw(s) } else { Criterion::Text(s) });
            }
        }
    }
    Ok(out)
}

/// Whether a criteria piece may go as it is: a parenthesis, an id set (`1:*`, `2,4:6`), or
/// an atom (no space, quote, brace, bracket, `%`, `*`, `\\` or non-ASCII). Anything else goes
/// as a string, so `{5}` or `(draft)` is searched for, not read as syntax.
fn raw_ok(token: &str) -> bool {
    token == "("
        || token == ")"
        || (!token.is_empty() && token.bytes().all(|b| b.is_ascii_digit() || b":,*".contains(&b)))
        || (!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b)))
}

/// Flags as a parenthesized list: `"\\Seen"`, `"(\\Seen \\Flagged)"` or `["\\Seen",
/// "$Label"]`. Errors: `InvalidArgument` for a flag that is no atom (spaces, quotes,
/// brackets, CR, LF).
pub fn flag_list(value: &Dynamic) -> ImapResult<String> {
    let items: Vec<String> = if let Some(text) = value.clone().try_cast::<String>() {
        one_line("flags", &text)?;
        text.trim().trim_start_matches('(').trim_end_matches(')').split_whitespace().map(str::to_string).collect()
    } else if let Some(array) = value.clone().try_cast::<netscript_sdk::rhai::Array>() {
        array.iter().map(|v| v.to_string()).collect()
    } else {
        return Err(ImapError::invalid(format!("flags: a string or an array of strings, not {}", type_word(value))));
    };
    if items.is_empty() {
        return Err(ImapError::invalid("flags: none given (like \"\\\\Seen\" or [\"\\\\Seen\", \"$Label\"])"));
    }
    for flag in &items {
        let atom = flag.strip_prefix('\\').unwrap_or(flag);
        if atom.is_empty() || !atom.bytes().all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b)) {
            return Err(ImapError::invalid(format!("flags: '{}' is not a flag (like \\Seen or $Label)", quote(flag))));
        }
    }
    Ok(format!("({})", items.join(" ")))
}

/// STATUS items: `["MESSAGES", "UNSEEN"]` or `"(MESSAGES UNSEEN)"`, as `(MESSAGES UNSEEN)`.
/// Errors: `InvalidArgument` for anything that is no status item name.
pub fn status_items(value: &Dynamic) -> ImapResult<String> {
    let items: Vec<String> = if let Some(text) = value.clone().try_cast::<String>() {
        text.trim().trim_start_matches('(').trim_end_matches(')').split_whitespace().map(str::to_string).collect()
    } else if let Some(array) = value.clone().try_cast::<netscript_sdk::rhai::Array>() {
        array.iter().map(|v| v.to_string()).collect()
    } else {
        return Err(ImapError::invalid(format!("status items: a string or an array, not {}", type_word(value))));
    };
    if items.is_empty()
        || !items.iter().all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(ImapError::invalid(format!(
            "status items: {} (like [\"MESSAGES\", \"UNSEEN\"])",
            quote(&items.join(" "))
        )));
    }
    Ok(format!("({})", items.join(" ").to_ascii_uppercase()))
}

/// FETCH items as sent: `"(FLAGS UID)"`, `"BODY.PEEK[]"`, an array of items. Errors:
/// `InvalidArgument` for CR, LF, NUL or nothing.
pub fn fetch_items(value: &Dynamic) -> ImapResult<String> {
    let text = if let Some(text) = value.clone().try_cast::<String>() {
        text
    } else if let Some(array) = value.clone().try_cast::<netscript_sdk::rhai::Array>() {
        format!("({})", array.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" "))
    } else {
        return Err(ImapError::invalid(format!("fetch items: a string or an array, not {}", type_word(value))));
    };
    one_line("fetch items", &text)?;
    // Items whose answers the parser cannot give back: refused before the session is lost.
    let upper = text.to_ascii_uppercase();
    let words = upper.split([' ', '(', ')']).filter(|w| !w.is_empty());
    for word in words {
        if word == "BODYSTRUCTURE" || word == "BODY" || word.starts_with("BINARY") {
            return Err(ImapError::invalid(format!(
                "fetch items: {word} is not supported (fetch \"BODY.PEEK[]\" and read it with mail::parse)"
            )));
        }
    }
    if text.trim().is_empty() || !text.is_ascii() {
        return Err(ImapError::invalid(format!(
            "fetch items: '{}' (like \"(FLAGS UID RFC822.SIZE)\" or \"BODY.PEEK[]\")",
            quote(&text)
        )));
    }
    Ok(text.trim().to_string())
}

/// STORE's mode: `FLAGS`, `+FLAGS`, `-FLAGS`, each maybe `.SILENT`.
pub fn store_mode(text: &str) -> ImapResult<String> {
    let upper = text.trim().to_ascii_uppercase();
    let base = upper.strip_suffix(".SILENT").unwrap_or(&upper);
    if ["FLAGS", "+FLAGS", "-FLAGS"].contains(&base) {
        Ok(upper)
    } else {
        Err(ImapError::invalid(format!("store: '{}' is not FLAGS, +FLAGS or -FLAGS (each maybe .SILENT)", quote(text))))
    }
}

/// A mailbox name. Errors: `InvalidArgument` for an empty one or CR, LF, NUL.
pub fn mailbox(name: &str) -> ImapResult<&str> {
    one_line("mailbox name", name)?;
    if name.is_empty() {
        return Err(ImapError::invalid("the mailbox name is empty"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use netscript_sdk::rhai::Array;

    #[test]
    fn ids_become_compact_sets() {
        let arr: Array = [3, 1, 2, 7, 9, 8].iter().map(|n| Dynamic::from_int(*n)).collect();
        assert_eq!(id_set(&arr.into()).unwrap(), "1:3,7:9");
        assert_eq!(id_set(&Dynamic::from(1..4 as INT)).unwrap(), "1:3");
        assert_eq!(id_set(&Dynamic::from(5 as INT)).unwrap(), "5");
        assert_eq!(id_set(&Dynamic::from("1:*".to_string())).unwrap(), "1:*");
        for bad in [Dynamic::from("1:*\r\nA1 LOGOUT".to_string()), Dynamic::from(0 as INT), Dynamic::from(-3 as INT)] {
            assert!(id_set(&bad).is_err());
        }
        assert!(id_set(&Dynamic::from(Array::new())).is_err());
        assert!(id_set(&Dynamic::from("01".to_string())).is_err());
    }

    #[test]
    fn criteria_are_cut_into_atoms_and_strings() {
        let got = criteria(&Dynamic::from("FROM \"Ann Lee\" SUBJECT Grüße (UNSEEN)".to_string())).unwrap();
        assert_eq!(
            got,
            [
                Criterion::Raw("FROM".into()),
                Criterion::Text("Ann Lee".into()),
                Criterion::Raw("SUBJECT".into()),
                Criterion::Text("Grüße".into()),
                Criterion::Raw("(".into()),
                Criterion::Raw("UNSEEN".into()),
                Criterion::Raw(")".into()),
            ]
        );
        assert!(criteria(&Dynamic::from("FROM \"open".to_string())).is_err());
        assert!(criteria(&Dynamic::from("ALL\r\nA1 LOGOUT".to_string())).is_err());
        assert!(criteria(&Dynamic::from("  ".to_string())).is_err());
        let arr: netscript_sdk::rhai::Array = vec!["SUBJECT".into(), "{5}".into(), "1:*".into(), "(draft)".into()];
        assert_eq!(
            criteria(&arr.into()).unwrap(),
            [
                Criterion::Raw("SUBJECT".into()),
                Criterion::Text("{5}".into()),
                Criterion::Raw("1:*".into()),
                Criterion::Text("(draft)".into())
            ]
        );
        assert_eq!(criteria(&Dynamic::from("SUBJECT {5}".to_string())).unwrap()[1], Criterion::Text("{5}".into()));
    }

    #[test]
    fn flags_and_modes_are_checked() {
        assert_eq!(flag_list(&Dynamic::from("\\Seen".to_string())).unwrap(), "(\\Seen)");
        let arr: Array = vec!["\\Seen".into(), "$Label".into()];
        assert_eq!(flag_list(&arr.into()).unwrap(), "(\\Seen $Label)");
        assert!(flag_list(&Dynamic::from("\\Seen\r\n".to_string())).is_err());
        assert!(flag_list(&Dynamic::from("(a\"b)".to_string())).is_err());
        assert_eq!(store_mode("+flags.silent").unwrap(), "+FLAGS.SILENT");
        assert!(store_mode("FLAGS X").is_err());
    }
}
