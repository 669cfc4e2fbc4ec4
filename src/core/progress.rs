//! `progress(total, label)`: a progress bar on stderr, drawn only when stderr is a terminal.

use netscript_sdk::prelude::*;

/// A progress bar handle.
#[derive(Clone)]
pub struct ProgressBar(indicatif::ProgressBar);

/// Registers `progress` and its methods into the global module.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<ProgressBar>("ProgressBar");
    m.func(
        "progress",
        &["total", "label"],
        r#"
        A progress bar for `total` steps, labelled; drawn on stderr only on a terminal.
        ```rhai
        let bar = progress(3, "copying");
        for i in 0..3 { bar.inc(1); }
        bar.finish();
        ```
        Errors: none."#,
        |total: INT, label: &str| {
            let bar = indicatif::ProgressBar::new(total.max(0) as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_string());
            ProgressBar(bar)
        },
    );
    m.method(
        "inc",
        &["n"],
        "Advances the bar by `n`.\n```rhai\nlet bar = progress(10, \"x\");\nbar.inc(2);\n```\nErrors: none.",
        |b: &mut ProgressBar, n: INT| b.0.inc(n.max(0) as u64),
    );
    m.method(
        "set_message",
        &["text"],
        "Changes the label.\n```rhai\nlet bar = progress(10, \"x\");\nbar.set_message(\"y\");\n```\nErrors: none.",
        |b: &mut ProgressBar, text: &str| b.0.set_message(text.to_string()),
    );
    m.method(
        "finish",
        &[],
        "Completes the bar.\n```rhai\nlet bar = progress(1, \"x\");\nbar.finish();\n```\nErrors: none.",
        |b: &mut ProgressBar| b.0.finish(),
    );
}
