//! Progress bars: the host's one implementation (indicatif), lent to plugins through
//! `Host::progress`, and the script's `progress(total, label)`. Drawn on stderr only when it
//! is a terminal.

use netscript_sdk::prelude::*;
use std::io::IsTerminal;
use std::sync::Arc;

/// The host's progress bar ([`netscript_sdk::Progress`]).
pub struct Bar {
    bar: indicatif::ProgressBar,
    /// A byte bar (a transfer) is cleared when done; a step bar stays.
    bytes: bool,
}

impl Bar {
    /// A bar of `total` steps (`None`: unknown); `bytes` shows sizes, a rate and an ETA.
    pub fn new(total: Option<u64>, label: &str, bytes: bool) -> Bar {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::no_length(),
        };
        // Bars of closures running at once (`parallel` over folders, transfers) each keep a
        // line of their own: one set of lines for the process.
        static BARS: std::sync::OnceLock<indicatif::MultiProgress> = std::sync::OnceLock::new();
        let bars = BARS.get_or_init(|| {
            let target = if std::io::stderr().is_terminal() {
                indicatif::ProgressDrawTarget::stderr()
            } else {
                indicatif::ProgressDrawTarget::hidden()
            };
            indicatif::MultiProgress::with_draw_target(target)
        });
        let bar = bars.add(bar);
        let template = if bytes {
            "{msg} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}"
        } else {
            "{msg} [{bar:30}] {pos}/{len} {elapsed}"
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        Bar { bar, bytes }
    }
}

impl netscript_sdk::Progress for Bar {
    fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
    fn set_message(&self, text: &str) {
        self.bar.set_message(text.to_string());
    }
    fn finish(&self) {
        if self.bytes {
            self.bar.finish_and_clear();
        } else {
            self.bar.finish();
        }
    }
}

/// A progress bar handle.
#[derive(Clone)]
pub struct ProgressBar(Arc<dyn netscript_sdk::Progress>);

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
        |total: INT, label: &str| ProgressBar(Arc::from(host().progress(Some(total.max(0) as u64), label, false))),
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
        |b: &mut ProgressBar, text: &str| b.0.set_message(text),
    );
    m.method(
        "finish",
        &[],
        "Completes the bar.\n```rhai\nlet bar = progress(1, \"x\");\nbar.finish();\n```\nErrors: none.",
        |b: &mut ProgressBar| b.0.finish(),
    );
}
