//! The `imap::` functions and `ImapClient` methods as scripts see them, with their docs.

use crate::client::{ImapClient, Settings};
use crate::error::{ImapError, ImapResult, PROTOCOL};
use netscript_sdk::closures::Callback;
use netscript_sdk::endpoint::{Endpoint, Ports};
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use std::time::Duration;

/// The default limit on connecting and on each command.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn connect(host: &str, port: Option<INT>, opts: Map) -> ImapResult<ImapClient> {
    let opts = Options::parse(PROTOCOL, "connect", opts, &["tls", "timeout", "ca_file", "insecure"])?;
    let e =
        Endpoint::read(PROTOCOL, host, port, &opts, Ports { plain: 143, implicit: 993 }, "starttls", DEFAULT_TIMEOUT)?;
    ImapClient::connect(Settings { host: e.host, port: e.port, tls: e.tls, trust: e.trust, timeout: e.timeout })
}

fn err<T>(r: ImapResult<T>) -> ScriptResult<T> {
    r.map_err(script_error)
}

fn ids_array(ids: Vec<u32>) -> Array {
    ids.into_iter().map(|n| Dynamic::from_int(INT::from(n))).collect()
}

/// A message to append: bytes, text, or a `mail::message` map.
fn message_bytes(message: &Dynamic) -> ImapResult<Vec<u8>> {
    if let Some(blob) = message.clone().try_cast::<Blob>() {
        Ok(blob)
    } else if let Some(text) = message.clone().try_cast::<String>() {
        Ok(text.into_bytes())
    } else if let Some(map) = message.clone().try_cast::<Map>() {
        Ok(netscript_mail::message::build(map)?.raw)
    } else {
        Err(ImapError::invalid(format!(
            "append: the message is a blob, a string or a mail::message map, not {}",
            netscript_sdk::options::type_word(message)
        )))
    }
}

/// Seconds since the epoch as an IMAP date-time (`"06-Dec-2026 10:00:00 +0000"`).
fn imap_date(secs: INT) -> ImapResult<String> {
    if !(0..253_402_300_800).contains(&secs) {
        return Err(ImapError::invalid(format!("append: date {secs} is not seconds since 1970 (now() gives them)")));
    }
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + INT::from(month <= 2);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    Ok(format!(
        "\"{day:02}-{}-{year} {:02}:{:02}:{:02} +0000\"",
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

fn append(c: &ImapClient, mailbox: &str, message: &Dynamic, opts: Map) -> ImapResult<Dynamic> {
    let opts = Options::parse(PROTOCOL, "append", opts, &["flags", "date"])?;
    let flags = opts.get("flags").map(crate::args::flag_list).transpose()?;
    let date = opts.int("date")?.map(imap_date).transpose()?;
    let raw = message_bytes(message)?;
    Ok(c.append(mailbox, &raw, flags, date)?.map_or(Dynamic::UNIT, Dynamic::from_map))
}

/// Calls `f` as the SDK's `Callback` does: through the host, never dropped by this plugin
/// (which may be loaded at run time, with a copy of Rhai of its own).
fn fetch_each(c: &ImapClient, uid: bool, ids: &Dynamic, items: &Dynamic, f: FnPtr) -> ScriptResult<INT> {
    let f = Callback::new(f);
    let outcome = c.fetch_each(uid, ids, items, |msg| f.call(vec![Dynamic::from_map(msg)]).map(drop));
    match outcome.map_err(script_error)? {
        Ok(count) => Ok(count as INT),
        Err(thrown) => Err(thrown),
    }
}

fn saved(c: &ImapClient, uid: bool, ids: &Dynamic, dir: &str) -> ScriptResult<Map> {
    let saved = c.fetch_to(uid, ids, dir).map_err(script_error)?;
    let mut map = Map::new();
    map.insert("count".into(), Dynamic::from_int(saved.count as INT));
    map.insert("bytes".into(), Dynamic::from_int(saved.bytes as INT));
    Ok(map)
}

/// Registers the module's functions and the `ImapClient` type.
pub fn register(m: &mut ModuleBuilder) {
    m.doc(
        "IMAP (imaplib's names): connect, log in, list, select, search, fetch — results parsed \
         into maps and arrays, big mailboxes streamed to a closure or to files.",
    );
    m.custom_type::<ImapClient>("ImapClient");
    let connect_doc = r#"
        Connects to an IMAP server and reads its greeting and capabilities (imaplib's
        `IMAP4(host, port)` / `IMAP4_SSL`). Options: `tls` — `"none"` (default on port 143),
        `"starttls"` (upgrade at once; an error if not offered) or `"implicit"` (TLS from the
        first byte; the default on port 993, and the port is then 993 when none is given);
        `timeout` (seconds, default 30: for connecting, then for each command — for each wait
        while streaming); `ca_file`, `insecure` (certificate trust, as every plugin).

        ```rhai
        let c = imap::connect("127.0.0.1", 993, #{ ca_file: "ca.pem", timeout: 10 });
        c.login("alice@example.test", env("IMAP_PASSWORD"));
        let box = c.select("INBOX");
        print(`${box.exists} messages`);
        for m in c.fetch(c.search("UNSEEN"), "(UID ENVELOPE)") { print(m.envelope.subject); }
        c.logout();
        ```

        Errors: `ConnectionRefused`, `HostNotFound`, `Timeout`, `TlsError` (the certificate in
        words, with what to pass), `IMAPError` (a BYE greeting; `tls: "starttls"` without
        STARTTLS), `IMAPAbort`, `InvalidArgument`, `PermissionDenied`."#;
    m.func("connect", &["host"], connect_doc, |host: &str| -> ScriptResult<ImapClient> {
        err(connect(host, None, Map::new()))
    });
    m.func("connect", &["host", "port"], connect_doc, |host: &str, port: INT| -> ScriptResult<ImapClient> {
        err(connect(host, Some(port), Map::new()))
    });
    m.func("connect", &["host", "options"], connect_doc, |host: &str, opts: Map| -> ScriptResult<ImapClient> {
        err(connect(host, None, opts))
    });
    m.func(
        "connect",
        &["host", "port", "options"],
        connect_doc,
        |host: &str, port: INT, opts: Map| -> ScriptResult<ImapClient> { err(connect(host, Some(port), opts)) },
    );

    m.getter(
        "capabilities",
        "The capabilities the server announced last (as it spells them: `IMAP4rev1`, `IDLE`, `AUTH=PLAIN` …).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nprint(\"IDLE\" in c.capabilities);\n```\n\nErrors: none.",
        |c: &mut ImapClient| -> Array { c.capabilities().into_iter().map(Dynamic::from).collect() },
    );
    m.getter(
        "welcome",
        "The greeting's text (imaplib's `welcome`).\n\n```rhai\nprint(imap::connect(\"127.0.0.1\", 143).welcome);\n```\n\nErrors: none.",
        |c: &mut ImapClient| -> String { c.welcome() },
    );
    m.getter(
        "tls",
        "Whether the connection is TLS.\n\n```rhai\nprint(imap::connect(\"127.0.0.1\", 993, #{ ca_file: \"ca.pem\" }).tls);   // true\n```\n\nErrors: none.",
        |c: &mut ImapClient| -> bool { c.is_tls() },
    );
    m.getter(
        "connected",
        "Whether the session is open (false after `logout()` or an `IMAPAbort`).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.logout();\nprint(c.connected);   // false\n```\n\nErrors: none.",
        |c: &mut ImapClient| -> bool { c.is_connected() },
    );
    m.getter(
        "selected",
        "The selected mailbox, or `()`.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nprint(c.selected);   // INBOX\n```\n\nErrors: none.",
        |c: &mut ImapClient| -> Dynamic { c.selected().map_or(Dynamic::UNIT, Dynamic::from) },
    );

    m.method(
        "login",
        &["user", "password"],
        "LOGIN. The password never appears in an error, log or trace (`LOGIN ann ****`).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 993, #{ ca_file: \"ca.pem\" });\nc.login(\"alice@example.test\", env(\"IMAP_PASSWORD\"));\n```\n\nErrors: `IMAPError` (refused: `code` is the server's bracketed code, e.g. `AUTHENTICATIONFAILED`, and the message its text; or LOGINDISABLED on a clear connection), `InvalidArgument` (CR, LF), `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient, user: &str, password: &str| -> ScriptResult<()> { err(c.login(user, password)) },
    );
    let auth_doc = "AUTHENTICATE PLAIN (SASL-IR when offered). The credentials never appear in an error, log or trace.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 993, #{ ca_file: \"ca.pem\" });\nc.authenticate(\"PLAIN\", \"alice@example.test\", env(\"IMAP_PASSWORD\"));\n```\n\nErrors: `IMAPError` (refused, or AUTH=PLAIN not offered; no other mechanism is spoken), `IMAPAbort`, `Timeout`.";
    m.method(
        "authenticate",
        &["user", "password"],
        auth_doc,
        |c: &mut ImapClient, user: &str, password: &str| -> ScriptResult<()> {
            err(c.authenticate_plain(user, password))
        },
    );
    m.method(
        "authenticate",
        &["mechanism", "user", "password"],
        auth_doc,
        |c: &mut ImapClient, mechanism: &str, user: &str, password: &str| -> ScriptResult<()> {
            if !mechanism.eq_ignore_ascii_case("PLAIN") {
                return err(Err(ImapError::NotSupported(format!(
                    "authenticate: mechanism '{}' is not spoken (PLAIN is)",
                    netscript_sdk::options::quote(mechanism)
                ))));
            }
            err(c.authenticate_plain(user, password))
        },
    );
    m.method(
        "capability",
        &[],
        "Asks CAPABILITY again: an array of strings.\n\n```rhai\nprint(imap::connect(\"127.0.0.1\", 143).capability());\n```\n\nErrors: `IMAPError`, `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient| -> ScriptResult<Array> { err(c.capability()).map(|v| v.into_iter().map(Dynamic::from).collect()) },
    );
    m.method(
        "noop",
        &[],
        "NOOP: what happened meanwhile, as events `#{ type, n }` (`\"exists\"`, `\"expunge\"`, `\"recent\"`, `\"fetch\"` with `flags`).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nfor e in c.noop() { print(`${e.type} ${e.n}`); }\n```\n\nErrors: `IMAPError`, `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient| -> ScriptResult<Array> { err(c.poll("NOOP")) },
    );
    let list_doc = "LIST: `#{ name, flags, delimiter }` per mailbox, names decoded from IMAP's modified UTF-7 (`Entwürfe`, not `Entw&APw-rfe`). `reference` and `pattern` (`*` all, `%` one level) as in RFC 3501; the defaults are `\"\"` and `\"*\"`.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nfor b in c.list() { print(b.name); }\n```\n\nErrors: `IMAPError`, `InvalidArgument` (CR, LF), `IMAPAbort`, `Timeout`.";
    m.method("list", &[], list_doc, |c: &mut ImapClient| -> ScriptResult<Array> { err(c.list("LIST", "", "*")) });
    m.method(
        "list",
        &["reference", "pattern"],
        list_doc,
        |c: &mut ImapClient, r: &str, p: &str| -> ScriptResult<Array> { err(c.list("LIST", r, p)) },
    );
    let select_doc = "SELECT: `#{ exists, recent, unseen, uidvalidity, uidnext, flags, permanent_flags, read_only }`. `unseen` is the server's `[UNSEEN n]`: the sequence number of the first unseen message (`()` when none); `status(mailbox, [\"UNSEEN\"])` counts them. Without a name: INBOX.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nprint(c.select(\"INBOX\").exists);\n```\n\nErrors: `IMAPError` (no such mailbox), `InvalidArgument`, `IMAPAbort`, `Timeout`.";
    m.method("select", &[], select_doc, |c: &mut ImapClient| -> ScriptResult<Map> { err(c.select("INBOX", false)) });
    m.method("select", &["mailbox"], select_doc, |c: &mut ImapClient, mailbox: &str| -> ScriptResult<Map> {
        err(c.select(mailbox, false))
    });
    m.method(
        "examine",
        &["mailbox"],
        "EXAMINE: `select` read-only (flags stay as they are); the same map, `read_only` true.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nprint(c.examine(\"INBOX\").read_only);   // true\n```\n\nErrors: `IMAPError`, `InvalidArgument`, `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient, mailbox: &str| -> ScriptResult<Map> { err(c.select(mailbox, true)) },
    );
    for (name, command, what) in [
        ("create", "CREATE", "Creates a mailbox"),
        ("delete", "DELETE", "Deletes a mailbox"),
        ("subscribe", "SUBSCRIBE", "Subscribes to a mailbox"),
        ("unsubscribe", "UNSUBSCRIBE", "Unsubscribes from a mailbox"),
    ] {
        m.method(
            name,
            &["mailbox"],
            &format!("{what} ({command}); a non-ASCII name goes in modified UTF-7.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.{name}(\"Archive/2026\");\n```\n\nErrors: `IMAPError` (refused: exists already, does not exist …), `InvalidArgument` (empty, CR, LF), `IMAPAbort`, `Timeout`."),
            move |c: &mut ImapClient, mailbox: &str| -> ScriptResult<()> { err(c.on_mailbox(command, mailbox)) },
        );
    }
    m.method(
        "rename",
        &["old", "new"],
        "Renames a mailbox (RENAME).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.rename(\"Old\", \"New\");\n```\n\nErrors: `IMAPError`, `InvalidArgument`, `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient, old: &str, new: &str| -> ScriptResult<()> { err(c.rename(old, new)) },
    );
    let status_doc = "STATUS: `#{ messages, recent, uidnext, uidvalidity, unseen }` (all five by default, or the `items` asked: `[\"MESSAGES\", \"UNSEEN\"]`).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nprint(c.status(\"INBOX\").unseen);\n```\n\nErrors: `IMAPError`, `InvalidArgument`, `IMAPAbort`, `Timeout`.";
    m.method("status", &["mailbox"], status_doc, |c: &mut ImapClient, mailbox: &str| -> ScriptResult<Map> {
        err(c.status(mailbox, &Dynamic::from("(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)".to_string())))
    });
    m.method(
        "status",
        &["mailbox", "items"],
        status_doc,
        |c: &mut ImapClient, mailbox: &str, items: Dynamic| -> ScriptResult<Map> { err(c.status(mailbox, &items)) },
    );
    let search_doc = |uid: bool| {
        format!(
            "{}: the matching {} ids, sorted. `criteria` is a string (`\"UNSEEN FROM \\\"Ann Lee\\\"\"`) or an array of pieces (`[\"SUBJECT\", \"Grüße\"]`); text that is not ASCII is sent as UTF-8 with `CHARSET UTF-8`.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nprint(c.{}(\"UNSEEN\"));\n```\n\nErrors: `IMAPError` (bad criteria: `BAD`), `InvalidArgument` (CR, LF, an open quote, nothing), `IMAPAbort`, `Timeout`.",
            if uid { "UID SEARCH" } else { "SEARCH" },
            if uid { "UID" } else { "sequence" },
            if uid { "uid_search" } else { "search" }
        )
    };
    m.method(
        "search",
        &["criteria"],
        &search_doc(false),
        |c: &mut ImapClient, criteria: Dynamic| -> ScriptResult<Array> {
            err(c.search(false, &criteria)).map(ids_array)
        },
    );
    m.method(
        "uid_search",
        &["criteria"],
        &search_doc(true),
        |c: &mut ImapClient, criteria: Dynamic| -> ScriptResult<Array> {
            err(c.search(true, &criteria)).map(ids_array)
        },
    );
    let fetch_doc = |uid: bool| {
        format!(
            "{}: one map per message — `#{{ seq, uid, flags, size, internaldate, body, header, text, envelope, sections }}`, each key there when asked for (`\"(UID FLAGS RFC822.SIZE)\"`, `\"BODY.PEEK[]\"`, `\"(RFC822)\"`, `\"ENVELOPE\"`; `body`, `header` (also `BODY[HEADER.FIELDS (…)]`), `text` are blobs for `mail::parse`; `BODY[1]`, `BODY[1.MIME]` … land in `sections` by their part; BODYSTRUCTURE, the bare BODY and BINARY are refused: fetch `BODY.PEEK[]` and use `mail::parse`). `ids`: an array, a range (`1..=10`), a number or an IMAP set (`\"1:*\"`). For many or big messages see `fetch_each` and `fetch_to`.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nfor m in c.{}(\"1:*\", \"(UID ENVELOPE)\") {{ print(`${{m.uid}} ${{m.envelope.subject}}`); }}\n```\n\nErrors: `IMAPError` (a tagged NO/BAD, even after some messages came), `InvalidArgument` (ids, items), `IMAPAbort` (the connection broke: nothing partial is returned), `Timeout`.",
            if uid { "UID FETCH (ids are UIDs)" } else { "FETCH" },
            if uid { "uid_fetch" } else { "fetch" }
        )
    };
    m.method(
        "fetch",
        &["ids", "items"],
        &fetch_doc(false),
        |c: &mut ImapClient, ids: Dynamic, items: Dynamic| -> ScriptResult<Array> { err(c.fetch(false, &ids, &items)) },
    );
    m.method(
        "uid_fetch",
        &["ids", "items"],
        &fetch_doc(true),
        |c: &mut ImapClient, ids: Dynamic, items: Dynamic| -> ScriptResult<Array> { err(c.fetch(true, &ids, &items)) },
    );
    let each_doc = |uid: bool| {
        format!(
            "{}, calling `f` with each message's map (as `fetch` gives it) as it arrives: one message in memory at a time. Returns how many were handled. The limit `timeout` applies to each wait. Inside `f`, use another connection for IMAP: this client is busy (Rhai reports a data race when `f` touches the variable holding it).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nc.{}(\"1:*\", \"BODY.PEEK[]\", |m| print(mail::parse(m.body).subject));\n```\n\nErrors: as `fetch`; what `f` throws (the rest of the reply is read first).",
            if uid { "UID FETCH" } else { "FETCH" },
            if uid { "uid_fetch_each" } else { "fetch_each" }
        )
    };
    m.method(
        "fetch_each",
        &["ids", "items", "f"],
        &each_doc(false),
        |c: &mut ImapClient, ids: Dynamic, items: Dynamic, f: FnPtr| -> ScriptResult<INT> {
            fetch_each(c, false, &ids, &items, f)
        },
    );
    m.method(
        "uid_fetch_each",
        &["ids", "items", "f"],
        &each_doc(true),
        |c: &mut ImapClient, ids: Dynamic, items: Dynamic, f: FnPtr| -> ScriptResult<INT> {
            fetch_each(c, true, &ids, &items, f)
        },
    );
    let to_doc = "Fetches whole messages into the folder `dir` (made if missing), one `<uid>.eml` per message, each written to a temp file and renamed into place once it arrived whole — a broken connection leaves no partial file. Messages are not marked `\\Seen` (`BODY.PEEK[]`). Returns `#{ count, bytes }`. With `#{ uid: true }`, `ids` are UIDs.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nlet saved = c.fetch_to(\"1:*\", \"/tmp/inbox\");\nprint(`${saved.count} messages, ${saved.bytes} bytes`);\n```\n\nErrors: as `fetch`; `PermissionDenied` (`--allow-write`), `IoError`.";
    m.method("fetch_to", &["ids", "dir"], to_doc, |c: &mut ImapClient, ids: Dynamic, dir: &str| -> ScriptResult<Map> {
        saved(c, false, &ids, dir)
    });
    m.method(
        "fetch_to",
        &["ids", "dir", "options"],
        to_doc,
        |c: &mut ImapClient, ids: Dynamic, dir: &str, opts: Map| -> ScriptResult<Map> {
            let opts = Options::parse(PROTOCOL, "fetch_to", opts, &["uid"]).map_err(script_error)?;
            let uid = opts.bool("uid", false).map_err(script_error)?;
            saved(c, uid, &ids, dir)
        },
    );
    let store_doc = |uid: bool| {
        format!(
            "{}: `mode` is `\"+FLAGS\"`, `\"-FLAGS\"` or `\"FLAGS\"` (add `.SILENT` for no answer), `flags` a string (`\"(\\\\Seen)\"`) or an array. Returns the messages' new flags, as `fetch` maps.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nc.{}([1, 2], \"+FLAGS\", [\"\\\\Seen\"]);\n```\n\nErrors: `IMAPError` (refused; note a read-only mailbox may answer OK and change nothing), `InvalidArgument` (no flags, a flag that is no atom, CR, LF), `IMAPAbort`, `Timeout`.",
            if uid { "UID STORE" } else { "STORE" },
            if uid { "uid_store" } else { "store" }
        )
    };
    m.method(
        "store",
        &["ids", "mode", "flags"],
        &store_doc(false),
        |c: &mut ImapClient, ids: Dynamic, mode: &str, flags: Dynamic| -> ScriptResult<Array> {
            err(c.store(false, &ids, mode, &flags))
        },
    );
    m.method(
        "uid_store",
        &["ids", "mode", "flags"],
        &store_doc(true),
        |c: &mut ImapClient, ids: Dynamic, mode: &str, flags: Dynamic| -> ScriptResult<Array> {
            err(c.store(true, &ids, mode, &flags))
        },
    );
    for (name, uid, mv) in
        [("copy", false, false), ("uid_copy", true, false), ("move", false, true), ("uid_move", true, true)]
    {
        let doc = if mv {
            format!("Moves messages to `mailbox` (MOVE; without it COPY, `\\Deleted` and UID EXPUNGE of just those messages).{}\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nc.{name}([1, 2], \"Archive\");\n```\n\nErrors: `IMAPError` (no such mailbox: `code` `TRYCREATE`; neither MOVE nor UIDPLUS offered), `InvalidArgument`, `IMAPAbort`, `Timeout`.", if uid { " `ids` are UIDs." } else { "" })
        } else {
            format!("Copies messages to `mailbox` (COPY).{}\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nc.{name}(\"1:3\", \"Archive\");\n```\n\nErrors: `IMAPError` (no such mailbox: `code` `TRYCREATE`), `InvalidArgument`, `IMAPAbort`, `Timeout`.", if uid { " `ids` are UIDs." } else { "" })
        };
        m.method(
            name,
            &["ids", "mailbox"],
            &doc,
            move |c: &mut ImapClient, ids: Dynamic, mailbox: &str| -> ScriptResult<()> {
                err(if mv { c.move_to(uid, &ids, mailbox) } else { c.copy(uid, &ids, mailbox) })
            },
        );
    }
    let append_doc = "Appends a message to `mailbox`: a blob, a string, or a `mail::message` map. Options: `flags` (`[\"\\\\Seen\"]`), `date` (seconds since 1970: the internal date). Returns `#{ uidvalidity, uid }` when the server says (UIDPLUS), else `()`.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nlet msg = #{ from: \"ann@example.test\", to: \"ann@example.test\", subject: \"Note\", text: \"Hi\" };\nprint(c.append(\"INBOX\", msg, #{ flags: [\"\\\\Seen\"] }).uid);\n```\n\nErrors: `IMAPError` (no such mailbox: `TRYCREATE`; too big), `InvalidArgument` (empty message, bad flags or date; a bad map as `mail::message`), `IMAPAbort`, `Timeout`.";
    m.method(
        "append",
        &["mailbox", "message"],
        append_doc,
        |c: &mut ImapClient, mailbox: &str, message: Dynamic| -> ScriptResult<Dynamic> {
            err(append(c, mailbox, &message, Map::new()))
        },
    );
    m.method(
        "append",
        &["mailbox", "message", "options"],
        append_doc,
        |c: &mut ImapClient, mailbox: &str, message: Dynamic, opts: Map| -> ScriptResult<Dynamic> {
            err(append(c, mailbox, &message, opts))
        },
    );
    m.method(
        "expunge",
        &[],
        "EXPUNGE: removes the messages marked `\\Deleted`; returns the sequence numbers the server reported, in its order.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nc.store(1, \"+FLAGS\", \"\\\\Deleted\");\nprint(c.expunge());   // [1]\n```\n\nErrors: `IMAPError`, `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient| -> ScriptResult<Array> { err(c.expunge()) },
    );
    m.method(
        "uid_expunge",
        &["ids"],
        "UID EXPUNGE (UIDPLUS): removes those of `ids` (UIDs) that are marked `\\Deleted`, and no other message — `expunge()` would also remove what another client marked. Returns the sequence numbers the server reported.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nc.uid_store([7, 9], \"+FLAGS\", \"\\\\Deleted\");\nprint(c.uid_expunge([7, 9]));\n```\n\nErrors: `IMAPError` (UIDPLUS not offered; nothing selected), `InvalidArgument` (ids), `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient, ids: Dynamic| -> ScriptResult<Array> { err(c.uid_expunge(&ids)) },
    );
    m.method(
        "idle",
        &["seconds"],
        "IDLE for up to `seconds`: returns the events that came (`#{ type, n }`: `\"exists\"` for new mail, `\"expunge\"`, `\"fetch\"`), or `()` when nothing did.\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nlet events = c.idle(60);\nif events != () { print(\"new mail\"); }\n```\n\nServers end an IDLE after about 30 minutes (RFC 2177): keep `seconds` below that and call `idle` again.\n\nErrors: `IMAPError` (IDLE not offered), `InvalidArgument` (seconds), `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient, seconds: Dynamic| -> ScriptResult<Dynamic> {
            let wait = netscript_sdk::timeout::positive_value(PROTOCOL, "idle", &seconds).map_err(script_error)?;
            err(c.idle(wait)).map(|events| events.map_or(Dynamic::UNIT, Dynamic::from_array))
        },
    );
    m.method(
        "close",
        &[],
        "CLOSE: leaves the selected mailbox, removing its `\\Deleted` messages (imaplib's `close`).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.login(\"ann\", env(\"IMAP_PASSWORD\"));\nc.select(\"INBOX\");\nc.close();\n```\n\nErrors: `IMAPError` (nothing selected), `IMAPAbort`, `Timeout`.",
        |c: &mut ImapClient| -> ScriptResult<()> { err(c.close_mailbox("CLOSE")) },
    );
    m.method(
        "logout",
        &[],
        "LOGOUT; the session ends whatever the server answers (its BYE is expected).\n\n```rhai\nlet c = imap::connect(\"127.0.0.1\", 143);\nc.logout();\n```\n\nErrors: `IMAPAbort` (ended already), `Timeout`.",
        |c: &mut ImapClient| -> ScriptResult<()> { err(c.logout()) },
    );
    m.method(
        "to_string",
        &[],
        "How the client prints: the server, TLS, the selected mailbox, open or closed.\n\n```rhai\nprint(imap::connect(\"127.0.0.1\", 143));   // ImapClient(127.0.0.1:143, open)\n```\n\nErrors: none.",
        |c: &mut ImapClient| -> String {
            format!(
                "ImapClient({}{}{}, {})",
                c.address(),
                if c.is_tls() { ", TLS" } else { "" },
                c.selected().map(|s| format!(", {s}")).unwrap_or_default(),
                if c.is_connected() { "open" } else { "closed" }
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_imaps() {
        assert_eq!(imap_date(0).unwrap(), "\"01-Jan-1970 00:00:00 +0000\"");
        assert_eq!(imap_date(1_796_551_200).unwrap(), "\"06-Dec-2026 10:00:00 +0000\"");
        assert_eq!(imap_date(951_782_400).unwrap(), "\"29-Feb-2000 00:00:00 +0000\"");
        assert!(imap_date(-1).is_err());
        assert!(imap_date(INT::MAX).is_err());
    }
}
