//! `time::format`: timestamps as text, strftime-style like Python's `time.strftime`.

use super::invalid;
use chrono::{Local, TimeZone, Utc};
use netscript_sdk::prelude::*;
use std::fmt::Write;

/// Registers the `time` module.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("Time formatting (strftime patterns, like Python's time.strftime).");
    m.pure_func(
        "format",
        &["timestamp", "pattern"],
        r#"
        Formats seconds since the epoch in local time with a strftime pattern.
        ```rhai
        print(time::format(now(), "%Y-%m-%d %H:%M:%S"));
        ```
        Errors: `InvalidArgument` for a timestamp out of range or a bad pattern."#,
        |ts: FLOAT, pattern: &str| format_ts(ts, pattern, false),
    );
    m.pure_func(
        "format",
        &["timestamp", "pattern"],
        r#"
        Formats whole seconds since the epoch in local time with a strftime pattern.
        ```rhai
        print(time::format(0, "%Y"));
        ```
        Errors: `InvalidArgument` for a timestamp out of range or a bad pattern."#,
        |ts: INT, pattern: &str| format_ts(ts as FLOAT, pattern, false),
    );
    m.pure_func(
        "format_utc",
        &["timestamp", "pattern"],
        r#"
        Formats seconds since the epoch in UTC with a strftime pattern.
        ```rhai
        print(time::format_utc(0.0, "%Y-%m-%dT%H:%M:%SZ"));  // 1970-01-01T00:00:00Z
        ```
        Errors: `InvalidArgument` for a timestamp out of range or a bad pattern."#,
        |ts: FLOAT, pattern: &str| format_ts(ts, pattern, true),
    );
}

fn format_ts(ts: FLOAT, pattern: &str, utc: bool) -> ScriptResult<String> {
    if !ts.is_finite() {
        return Err(invalid(format!("time::format: timestamp {ts} is not a number")));
    }
    let secs = ts.floor() as i64;
    let nanos = ((ts - ts.floor()) * 1e9) as u32;
    let out_of_range = || invalid(format!("time::format: timestamp {ts} is out of range"));
    let mut out = String::new();
    let written = if utc {
        let dt = Utc.timestamp_opt(secs, nanos).single().ok_or_else(out_of_range)?;
        write!(out, "{}", dt.format(pattern))
    } else {
        let dt = Local.timestamp_opt(secs, nanos).single().ok_or_else(out_of_range)?;
        write!(out, "{}", dt.format(pattern))
    };
    written.map_err(|_| invalid(format!("time::format: bad pattern '{pattern}'")))?;
    Ok(out)
}
