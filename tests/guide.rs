//! The Rhai guide for Python users (`docs/rhai-for-python.md`) as a test, run through the real
//! binary: every ```rhai block runs whole with `netscript -e` and exits 0, and every stated
//! result holds. A stated result follows the rule of the SDK's doc-example checker
//! (`netscript_sdk::examples`): `expr;   // => value`, or an expression followed by a line
//! `// => value`; the value is what `expr` gives after the block's lines above it, shown as
//! that checker shows it: `()`, text bare (quoted inside an array), `[a, b]` for an array,
//! anything else as its `to_string()`.

mod common;

use common::run;

/// The guide, from the repository root.
const GUIDE: &str = "docs/rhai-for-python.md";

/// What the probe script prints before the JSON of the value.
const MARK: &str = "@@guide-value@@";

/// The guide's ```rhai blocks (as the SDK's checker extracts them), each with the line
/// number of its opening fence.
fn guide_blocks() -> Vec<(usize, String)> {
    let path = common::repo_root().join(GUIDE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let fences = text.lines().enumerate().filter(|(_, l)| l.trim() == "```rhai").map(|(i, _)| i + 1);
    let blocks = netscript_sdk::examples::code_blocks(&text);
    let fences: Vec<usize> = fences.collect();
    assert_eq!(fences.len(), blocks.len(), "an unclosed ```rhai block in {GUIDE}");
    fences.into_iter().zip(blocks).collect()
}

/// One `// =>` result of a block: the code before the expression, the expression, the value.
#[derive(Debug)]
struct Stated {
    /// The line of the `// =>` inside its block, from 1.
    line: usize,
    prefix: String,
    expr: String,
    want: String,
}

/// The stated results of one block.
fn stated(block: &str) -> Result<Vec<Stated>, String> {
    let lines: Vec<&str> = block.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("// =>") else { continue };
        let want = line[at + 5..].trim().to_string();
        let part = line[..at].trim().trim_end_matches(';').trim();
        // `expr  // => value`, or `// => value` under the expression's line.
        let (expr_line, expr) = if !part.is_empty() {
            (i, part.to_string())
        } else {
            let j = (0..i)
                .rev()
                .find(|&j| {
                    let t = lines[j].trim();
                    !t.is_empty() && !t.starts_with("//")
                })
                .ok_or_else(|| format!("`// => {want}` follows no expression"))?;
            (j, lines[j].split("// =>").next().unwrap_or("").trim().trim_end_matches(';').trim().to_string())
        };
        out.push(Stated { line: i + 1, prefix: lines[..expr_line].join("\n"), expr, want });
    }
    Ok(out)
}

/// `kind` and `text` (`type_of` and `to_string()`) of a value as the SDK's checker shows it;
/// `nested` inside an array, where text is quoted.
fn show(kind: &str, text: &str, nested: bool) -> String {
    match kind {
        "()" => "()".into(),
        "string" if nested => format!("{text:?}"),
        _ => text.into(),
    }
}

/// What `expr` gives after `prefix`, run by the real binary.
fn shown(s: &Stated) -> Result<String, String> {
    let probe = format!(
        "{}\nlet guide_value = {};\n\
         let guide_all = if type_of(guide_value) == \"array\" {{ guide_value }} else {{ [guide_value] }};\n\
         print(\"\\n{MARK}\" + json::stringify(#{{ array: type_of(guide_value) == \"array\", \
         items: guide_all.map(|x| [type_of(x), x.to_string()]) }}));\n",
        s.prefix, s.expr
    );
    let r = run(&["-e", &probe]);
    if r.status != 0 {
        return Err(format!("exit {}: {}", r.status, r.stderr.trim()));
    }
    let json = r
        .stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(MARK))
        .ok_or_else(|| format!("no value printed: {}", r.stdout))?;
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("{e}: {json}"))?;
    let items: Vec<(String, String)> = value["items"]
        .as_array()
        .ok_or("no items")?
        .iter()
        .map(|i| (i[0].as_str().unwrap_or("?").to_string(), i[1].as_str().unwrap_or("?").to_string()))
        .collect();
    if value["array"].as_bool() == Some(true) {
        let shown: Vec<String> = items.iter().map(|(k, t)| show(k, t, true)).collect();
        Ok(format!("[{}]", shown.join(", ")))
    } else {
        let (kind, text) = items.first().ok_or("no value")?;
        Ok(show(kind, text, false))
    }
}

/// Checks the stated results of `blocks` (fence line, code): how many, or one line per
/// wrong one, as `GUIDE:LINE: …`.
fn check(blocks: &[(usize, String)]) -> Result<usize, String> {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (fence, block) in blocks {
        let results = match stated(block) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{GUIDE}:{fence}: {e}"));
                continue;
            }
        };
        for s in results {
            checked += 1;
            let at = format!("{GUIDE}:{}", fence + s.line);
            match shown(&s) {
                Ok(got) if got == s.want => {}
                Ok(got) => failures.push(format!("{at}: `{}` gave {got}, the guide says {}", s.expr, s.want)),
                Err(e) => failures.push(format!("{at}: `{}` failed: {e}", s.expr)),
            }
        }
    }
    if failures.is_empty() {
        Ok(checked)
    } else {
        Err(failures.join("\n"))
    }
}

#[test]
fn every_guide_example_runs() {
    let blocks = guide_blocks();
    assert!(blocks.len() >= 12, "only {} rhai blocks in {GUIDE}", blocks.len());
    let failures: Vec<String> = blocks
        .iter()
        .filter_map(|(fence, block)| {
            let r = run(&["-e", block]);
            (r.status != 0).then(|| format!("{GUIDE}:{fence}: the block exited {}:\n{block}\n{}", r.status, r.stderr))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_stated_guide_result_holds() {
    let checked = check(&guide_blocks()).unwrap_or_else(|e| panic!("{e}"));
    assert!(checked >= 60, "only {checked} stated results in {GUIDE}");
}

/// The checker itself: a wrong value, the second form, and quoting inside arrays.
#[test]
fn the_checker_catches_a_wrong_result() {
    let blocks = vec![(10, "let x = 2;\nx + 1;   // => 4\n".to_string())];
    let err = check(&blocks).unwrap_err();
    assert!(err.contains(":12: `x + 1` gave 3, the guide says 4"), "{err}");
    let blocks = vec![(
        1,
        "let s = \"a b\";\ns.split(\" \");\n// => [\"a\", \"b\"]\ns;   // => a b\nlet u = ();\nu;   // => ()\n"
            .to_string(),
    )];
    assert_eq!(check(&blocks), Ok(3));
}
