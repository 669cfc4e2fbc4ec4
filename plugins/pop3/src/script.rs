//! The `pop3::` functions and `Pop3Client` methods as scripts see them, with their docs;
//! the replies of STAT, LIST, UIDL and CAPA parsed into maps.

use crate::client::{Pop3Client, Settings};
use crate::error::{Pop3Error, Pop3Result, PROTOCOL};
use netscript_sdk::closures::Callback;
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use netscript_sdk::endpoint::{Endpoint, Ports};
use std::time::Duration;

/// The default limit on connecting and on each command.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn connect(host: &str, port: Option<INT>, opts: Map) -> Pop3Result<Pop3Client> {
    let opts = Options::parse(PROTOCOL, "connect", opts, &["tls", "timeout", "ca_file", "insecure"])?;
    let e = Endpoint::read(PROTOCOL, host, port, &opts, Ports { plain: 110, implicit: 995 }, "starttls", DEFAULT_TIMEOUT)?;
    Pop3Client::connect(Settings {
        host: e.host,
        port: e.port,
        tls: e.tls,
        trust: e.trust,
        timeout: e.timeout,
    })
}

fn err<T>(r: Pop3Result<T>) -> ScriptResult<T> {
    r.map_err(script_error)
}

/// A message number. Errors: `InvalidArgument` below 1.
fn number(n: INT) -> Pop3Result<u32> {
    if n > INT::from(u32::MAX) {
        return Err(Pop3Error::invalid(format!("{n} is above the largest message number (4294967295)")));
    }
    u32::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Pop3Error::invalid(format!("{n} is not a message number (1 or more)")))
}

fn int_of(text: &str, what: &str) -> Pop3Result<INT> {
    text.parse::<INT>().map_err(|_| Pop3Error::Protocol(format!("'{text}' is not a number ({what})")))
}

/// `n value` lines (LIST, UIDL) as `#{ n, <key>: value }` maps.
fn numbered(body: &[u8], key: &str, numeric: bool) -> Pop3Result<Array> {
    String::from_utf8_lossy(body)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| numbered_line(l, key, numeric))
        .collect()
}

fn numbered_line(line: &str, key: &str, numeric: bool) -> Pop3Result<Dynamic> {
    let mut words = line.split_whitespace();
    let (Some(n), Some(value)) = (words.next(), words.next()) else {
        return Err(Pop3Error::Protocol(format!("'{line}' is not 'number {key}'")));
    };
    let mut map = Map::new();
    map.insert("n".into(), int_of(n, "message number")?.into());
    map.insert(key.into(), if numeric { int_of(value, key)?.into() } else { value.to_string().into() });
    Ok(Dynamic::from_map(map))
}

/// Message numbers from an array, a range or one number. Errors: `InvalidArgument`.
fn message_numbers(value: &Dynamic) -> Pop3Result<Vec<u32>> {
    if let Ok(n) = value.as_int() {
        return Ok(vec![number(n)?]);
    }
    if let Some(range) = value.clone().try_cast::<std::ops::Range<INT>>() {
        return range.map(number).collect();
    }
    if let Some(range) = value.clone().try_cast::<std::ops::RangeInclusive<INT>>() {
        return range.map(number).collect();
    }
    if let Some(array) = value.clone().try_cast::<Array>() {
        return array
            .iter()
            .map(|v| {
                v.as_int().map_err(|t| Pop3Error::invalid(format!("{t} is not a message number"))).and_then(number)
            })
            .collect();
    }
    Err(Pop3Error::invalid(format!(
        "message numbers: an array, a range or a number, not {}",
        netscript_sdk::options::type_word(value)
    )))
}

/// Calls `f` as the SDK's `Callback` does: through the host, never dropped by this plugin.
fn retr_each(c: &Pop3Client, numbers: &[u32], f: FnPtr) -> ScriptResult<INT> {
    let f = Callback::new(f);
    let outcome =
        c.retr_each(numbers, |n, msg| f.call(vec![Dynamic::from_int(INT::from(n)), Dynamic::from_blob(msg)]).map(drop));
    match outcome.map_err(script_error)? {
        Ok(count) => Ok(count as INT),
        Err(thrown) => Err(thrown),
    }
}

/// Registers the module's functions and the `Pop3Client` type.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("POP3 (poplib's names): connect, log in, list, retrieve and delete messages.");
    m.custom_type::<Pop3Client>("Pop3Client");
    let connect_doc = r#"
        Connects to a POP3 server and reads its greeting (poplib's `POP3` / `POP3_SSL`).
        Options: `tls` — `"none"` (default on port 110), `"starttls"` (STLS at once) or
        `"implicit"` (TLS from the first byte; the default on port 995, and the port is then
        995 when none is given); `timeout` (seconds, default 30: for connecting, then for each
        command — a whole RETR included); `ca_file`, `insecure` (certificate trust).

        ```rhai
        let c = pop3::connect("127.0.0.1", 995, #{ ca_file: "ca.pem", timeout: 10 });
        c.login("alice@example.test", env("POP3_PASSWORD"));
        let box = c.stat();
        print(`${box.count} messages, ${box.size} bytes`);
        let first = mail::parse(c.retr(1));
        c.quit();
        ```

        Errors: `ConnectionRefused`, `HostNotFound`, `Timeout`, `TlsError`, `POP3Error` (an
        `-ERR` greeting; STLS refused), `ProtocolError`, `InvalidArgument`, `PermissionDenied`."#;
    m.func("connect", &["host"], connect_doc, |host: &str| -> ScriptResult<Pop3Client> {
        err(connect(host, None, Map::new()))
    });
    m.func("connect", &["host", "port"], connect_doc, |host: &str, port: INT| -> ScriptResult<Pop3Client> {
        err(connect(host, Some(port), Map::new()))
    });
    m.func("connect", &["host", "options"], connect_doc, |host: &str, opts: Map| -> ScriptResult<Pop3Client> {
        err(connect(host, None, opts))
    });
    m.func(
        "connect",
        &["host", "port", "options"],
        connect_doc,
        |host: &str, port: INT, opts: Map| -> ScriptResult<Pop3Client> { err(connect(host, Some(port), opts)) },
    );
    m.getter(
        "welcome",
        "The greeting's text (poplib's `getwelcome()`).\n\n```rhai\nprint(pop3::connect(\"127.0.0.1\", 110).welcome);\n```\n\nErrors: none.",
        |c: &mut Pop3Client| -> String { c.welcome() },
    );
    m.getter(
        "tls",
        "Whether the connection is TLS.\n\n```rhai\nprint(pop3::connect(\"127.0.0.1\", 995, #{ ca_file: \"ca.pem\" }).tls);   // true\n```\n\nErrors: none.",
        |c: &mut Pop3Client| -> bool { c.is_tls() },
    );
    m.getter(
        "connected",
        "Whether the session is open (false after `quit()` or a lost connection).\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.quit();\nprint(c.connected);   // false\n```\n\nErrors: none.",
        |c: &mut Pop3Client| -> bool { c.is_connected() },
    );
    m.method(
        "user",
        &["name"],
        "USER: the first half of a plain login; returns the server's text.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.user(\"alice@example.test\");\nc.pass_(env(\"POP3_PASSWORD\"));\n```\n\nErrors: `POP3Error`, `InvalidArgument` (CR, LF), `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client, name: &str| -> ScriptResult<String> { err(c.user(name)) },
    );
    m.method(
        "pass_",
        &["password"],
        "PASS (poplib's `pass_`): the password never appears in an error, log or trace (`PASS ****`).\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.user(\"alice@example.test\");\nc.pass_(env(\"POP3_PASSWORD\"));\n```\n\nErrors: `POP3Error` (refused, with the server's text), `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client, password: &str| -> ScriptResult<String> { err(c.pass(password)) },
    );
    m.method(
        "login",
        &["user", "password"],
        "USER then PASS.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 995, #{ ca_file: \"ca.pem\" });\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\n```\n\nErrors: `POP3Error` (refused: `-ERR [AUTH] Authentication failed.`), `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client, user: &str, password: &str| -> ScriptResult<String> {
            err(c.user(user).and_then(|_| c.pass(password)))
        },
    );
    m.method(
        "apop",
        &["user", "password"],
        "APOP: logs in with the MD5 digest of the greeting's timestamp and the password (the password is not sent).\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.apop(\"alice@example.test\", env(\"POP3_PASSWORD\"));\n```\n\nErrors: `POP3Error` (refused; no timestamp in the greeting), `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client, user: &str, password: &str| -> ScriptResult<String> { err(c.apop(user, password)) },
    );
    m.method(
        "stls",
        &[],
        "STLS: upgrades the connection to TLS (trust as the connection's options).\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110, #{ ca_file: \"ca.pem\" });\nc.stls();\nprint(c.tls);   // true\n```\n\nErrors: `POP3Error` (refused; TLS already), `TlsError`, `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client| -> ScriptResult<String> { err(c.stls()) },
    );
    m.method(
        "capa",
        &[],
        "CAPA: `#{ NAME: [arguments…] }` (poplib's `capa()`), e.g. `#{ TOP: [], SASL: [\"PLAIN\", \"LOGIN\"], STLS: [] }`.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nprint(\"STLS\" in c.capa());\n```\n\nErrors: `POP3Error` (CAPA not understood), `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client| -> ScriptResult<Map> {
            let body = err(c.multiline("CAPA", true))?;
            Ok(String::from_utf8_lossy(&body)
                .lines()
                .filter_map(|l| {
                    let mut words = l.split_whitespace();
                    let name = words.next()?;
                    Some((name.into(), Dynamic::from_array(words.map(|w| Dynamic::from(w.to_string())).collect())))
                })
                .collect())
        },
    );
    m.method(
        "stat",
        &[],
        "STAT: `#{ count, size }` of the mailbox.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\nprint(c.stat().count);\n```\n\nErrors: `POP3Error`, `ProtocolError`, `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client| -> ScriptResult<Map> {
            let text = err(c.simple("STAT"))?;
            let mut words = text.split_whitespace();
            let (Some(count), Some(size)) = (words.next(), words.next()) else {
                return err(Err(Pop3Error::Protocol(format!("STAT answered '{text}'"))));
            };
            let mut map = Map::new();
            map.insert("count".into(), err(int_of(count, "count"))?.into());
            map.insert("size".into(), err(int_of(size, "size"))?.into());
            Ok(map)
        },
    );
    let list_doc = "LIST: `#{ n, size }` per message (an array), or for message `n` alone.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\nfor m in c.list() { print(`${m.n}: ${m.size} bytes`); }\n```\n\nErrors: `POP3Error` (no such message), `InvalidArgument`, `ProtocolError`, `ConnectionClosed`, `Timeout`.";
    m.method("list", &[], list_doc, |c: &mut Pop3Client| -> ScriptResult<Array> {
        err(c.multiline("LIST", true).and_then(|b| numbered(&b, "size", true)))
    });
    m.method("list", &["n"], list_doc, |c: &mut Pop3Client, n: INT| -> ScriptResult<Dynamic> {
        err(number(n).and_then(|n| c.simple(&format!("LIST {n}"))).and_then(|t| numbered_line(&t, "size", true)))
    });
    let uidl_doc = "UIDL: `#{ n, uid }` per message (an array), or for message `n` alone; the uid stays the same across sessions.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\nprint(c.uidl());\n```\n\nErrors: `POP3Error`, `InvalidArgument`, `ProtocolError`, `ConnectionClosed`, `Timeout`.";
    m.method("uidl", &[], uidl_doc, |c: &mut Pop3Client| -> ScriptResult<Array> {
        err(c.multiline("UIDL", true).and_then(|b| numbered(&b, "uid", false)))
    });
    m.method("uidl", &["n"], uidl_doc, |c: &mut Pop3Client, n: INT| -> ScriptResult<Dynamic> {
        err(number(n).and_then(|n| c.simple(&format!("UIDL {n}"))).and_then(|t| numbered_line(&t, "uid", false)))
    });
    m.method(
        "retr",
        &["n"],
        "RETR: message `n`, whole, as a blob (for `mail::parse`, or `fs::write`); the trace shows its size.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\nprint(mail::parse(c.retr(1)).subject);\n```\n\nErrors: `POP3Error` (no such message), `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client, n: INT| -> ScriptResult<Blob> { err(number(n).and_then(|n| c.multiline(&format!("RETR {n}"), false))) },
    );
    let each_doc = "RETR of every message (or of `numbers`: an array or a range), calling `f(n, message)` with each as it arrives — one message in memory at a time. When the server offers PIPELINING the RETRs go 32 to a write (poplib sends one and waits). Returns how many were handled.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\nc.retr_each(|n, msg| fs::write(`/tmp/mail/${n}.eml`, msg));\n```\n\nErrors: `POP3Error` (a message refused: raised after its batch), `InvalidArgument`, `ConnectionClosed`, `Timeout`; what `f` throws (after the batch it came in).";
    m.method("retr_each", &["f"], each_doc, |c: &mut Pop3Client, f: FnPtr| -> ScriptResult<INT> {
        let count = err(c.simple("STAT"))?;
        let total = count.split_whitespace().next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
        retr_each(c, &(1..=total).collect::<Vec<_>>(), f)
    });
    m.method(
        "retr_each",
        &["numbers", "f"],
        each_doc,
        |c: &mut Pop3Client, numbers: Dynamic, f: FnPtr| -> ScriptResult<INT> {
            let numbers = err(message_numbers(&numbers))?;
            retr_each(c, &numbers, f)
        },
    );
    m.method(
        "top",
        &["n", "lines"],
        "TOP: the header of message `n` and the first `lines` lines of its body, as a blob.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\nprint(mail::parse(c.top(1, 0)).subject);\n```\n\nErrors: `POP3Error`, `InvalidArgument` (negative lines), `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client, n: INT, lines: INT| -> ScriptResult<Blob> {
            if lines < 0 {
                return err(Err(Pop3Error::invalid(format!("top: {lines} lines"))));
            }
            err(number(n).and_then(|n| c.multiline(&format!("TOP {n} {lines}"), false)))
        },
    );
    m.method(
        "dele",
        &["n"],
        "DELE: marks message `n` deleted (gone at `quit()`, kept if the session breaks or `rset()`).\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.login(\"alice@example.test\", env(\"POP3_PASSWORD\"));\nc.dele(1);\nc.quit();\n```\n\nErrors: `POP3Error`, `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client, n: INT| -> ScriptResult<String> { err(number(n).and_then(|n| c.simple(&format!("DELE {n}")))) },
    );
    for (name, command, what) in
        [("rset", "RSET", "RSET: unmarks the deleted messages"), ("noop", "NOOP", "NOOP: keeps the session alive")]
    {
        m.method(
            name,
            &[],
            &format!("{what}; returns the server's text.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.{name}();\n```\n\nErrors: `POP3Error`, `ConnectionClosed`, `Timeout`."),
            move |c: &mut Pop3Client| -> ScriptResult<String> { err(c.simple(command)) },
        );
    }
    m.method(
        "quit",
        &[],
        "QUIT: deletes the messages marked with `dele` and ends the session.\n\n```rhai\nlet c = pop3::connect(\"127.0.0.1\", 110);\nc.quit();\n```\n\nErrors: `POP3Error` (the deletions failed), `ConnectionClosed`, `Timeout`.",
        |c: &mut Pop3Client| -> ScriptResult<String> { err(c.quit()) },
    );
    m.method(
        "to_string",
        &[],
        "How the client prints: the server, TLS, open or closed.\n\n```rhai\nprint(pop3::connect(\"127.0.0.1\", 110));   // Pop3Client(127.0.0.1:110, open)\n```\n\nErrors: none.",
        |c: &mut Pop3Client| -> String {
            format!(
                "Pop3Client({}{}, {})",
                c.address(),
                if c.is_tls() { ", TLS" } else { "" },
                if c.is_connected() { "open" } else { "closed" }
            )
        },
    );
}
