//! Directory listings: MLSD/MLST lines (RFC 3659) parsed into maps with every fact the
//! server gave — suppaftp's parser drops the facts it does not know — and NLST without
//! `.` and `..`.

use netscript_sdk::rhai::{Dynamic, Map, INT};

/// One MLSD/MLST line (`type=file;size=12;modify=20261206101500; name`) as `#{ name, type,
/// size, modify, perm, unique, … }`: `size` as an int, `modify` as the server's
/// `YYYYMMDDHHMMSS[.sss]` text, every other fact as text under its lower-case name.
pub fn fact_line(line: &str) -> Option<Map> {
    let line = line.trim_end_matches(['\r', '\n']);
    let line = line.strip_prefix(' ').unwrap_or(line);
    let (facts, name) = line.split_once(' ')?;
    let mut map = Map::new();
    map.insert("name".into(), name.to_string().into());
    for fact in facts.split(';').filter(|f| !f.is_empty()) {
        let (key, value) = fact.split_once('=')?;
        let key = key.to_ascii_lowercase();
        let value: Dynamic = match key.as_str() {
            "size" | "sizd" => value.parse::<INT>().map_or_else(|_| value.to_string().into(), Dynamic::from_int),
            "type" => value.to_ascii_lowercase().into(),
            _ => value.to_string().into(),
        };
        map.insert(key.into(), value);
    }
    Some(map)
}

/// NLST names without `.` and `..` (pure-ftpd lists them, as `sub/.` and `sub/..` for
/// `NLST sub`) and without a leading `./`.
pub fn names(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| l.trim_end_matches(['\r', '\n']).trim_start_matches("./").to_string())
        .filter(|n| !n.is_empty() && n != "." && n != ".." && !n.ends_with("/.") && !n.ends_with("/.."))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_is_kept() {
        let m = fact_line("type=file;size=1024;modify=20261206101500;UNIX.mode=0644;unique=801g4; report.csv").unwrap();
        assert_eq!(m["name"].clone().into_string().unwrap(), "report.csv");
        assert_eq!(m["size"].as_int().unwrap(), 1024);
        assert_eq!(m["unix.mode"].clone().into_string().unwrap(), "0644");
        assert_eq!(m["type"].clone().into_string().unwrap(), "file");
        let odd = fact_line("type=OS.unix=slink:/x;perm=r; a b c").unwrap();
        assert_eq!(odd["name"].clone().into_string().unwrap(), "a b c");
        assert!(fact_line("garbage").is_none());
        assert_eq!(names(vec![".".into(), "..".into(), "./a".into(), "b\r".into()]), ["a", "b"]);
        assert_eq!(names(vec!["sub/.".into(), "sub/x".into(), "sub/..".into()]), ["sub/x"]);
    }
}
