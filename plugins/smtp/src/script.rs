//! The `smtp::` functions and `SmtpClient` methods as scripts see them, each with its doc
//! (what `--doc` and `:help` show): smtplib's names, refusals as its exceptions.

use crate::client::{reply_map, SmtpClient};
use crate::envelope;
use crate::error::{refused_map, Reply, SmtpResult, PROTOCOL};
use crate::send::{self, CONNECT_KEYS};
use netscript_sdk::options::Options;
use netscript_sdk::prelude::*;
use netscript_sdk::tls::Trust;

fn connect(host: &str, port: Option<INT>, opts: Map) -> SmtpResult<SmtpClient> {
    let (host, port) = send::host_and_port(host, port)?;
    let port = port.unwrap_or(25);
    let opts = Options::parse(PROTOCOL, "connect", opts, CONNECT_KEYS)?;
    SmtpClient::connect(send::settings(&host, port, &opts)?)
}

fn reply(r: SmtpResult<Reply>) -> ScriptResult<Map> {
    r.map(|r| reply_map(&r)).map_err(script_error)
}

fn sendmail(client: &SmtpClient, from: &str, to: Dynamic, msg: Dynamic, opts: Map) -> SmtpResult<Map> {
    let opts = Options::parse(PROTOCOL, "sendmail", opts, &["mail_options", "rcpt_options"])?;
    let from = envelope::address("from", from, true)?;
    let to = envelope::recipients(&to)?;
    let data = envelope::message_bytes(&msg)?;
    let mail_options = envelope::parameters("mail_options", opts.get("mail_options"))?;
    let rcpt_options = envelope::parameters("rcpt_options", opts.get("rcpt_options"))?;
    client.sendmail(&from, &to, &data, &mail_options, &rcpt_options).map(|refused| refused_map(&refused))
}

/// Registers the module's functions and the `SmtpClient` type.
pub fn register(m: &mut ModuleBuilder) {
    m.doc(
        "SMTP after smtplib: `connect` gives a client with `ehlo`, `starttls`, `login`, \
         `sendmail`, `send_message`, `verify`, `quit`; `send` sends one message in one call.",
    );
    m.custom_type::<SmtpClient>("SmtpClient");
    let connect_doc = r#"
        Connects to an SMTP server, reads its greeting and says EHLO (smtplib's `SMTP(host,
        port)` followed by `ehlo()`). `host` may carry the port (`"mx.example.com:2525"`);
        the port defaults to 25. Options: `tls` — `"none"` (default), `"starttls"` (upgrade
        right after EHLO; an error if the server does not offer it) or `"implicit"` (TLS from
        the first byte, the default on port 465); `timeout` (seconds, default 30: for
        connecting, then for each command and for the message's transfer); `local_hostname`
        (the EHLO name, default this machine's name); `ca_file`, `insecure` (certificate
        trust, as every plugin).

        ```rhai
        let c = smtp::connect("127.0.0.1", 587, #{ tls: "starttls", ca_file: "ca.pem", timeout: 10 });
        print(c.greeting.message);
        print(c.esmtp_features);          // #{ "size": "10240000", "auth": "PLAIN LOGIN", … }
        c.login("alice@example.test", env("SMTP_PASSWORD"));
        let refused = c.sendmail("alice@example.test", ["bob@example.test"], "Subject: hi\r\n\r\nHello\r\n");
        c.quit();
        ```

        Errors: `ConnectionRefused`, `HostNotFound`, `Timeout`, `SMTPConnectError` (the
        greeting refused the session), `SMTPHeloError` (EHLO refused), `SMTPNotSupportedError`
        (`tls: "starttls"` without STARTTLS), `TlsError` (the certificate in words, with what to
        pass), `SMTPServerDisconnected`, `InvalidArgument`, `PermissionDenied`."#;
    m.func("connect", &["host"], connect_doc, |host: &str| -> ScriptResult<SmtpClient> {
        connect(host, None, Map::new()).map_err(script_error)
    });
    m.func("connect", &["host", "port"], connect_doc, |host: &str, port: INT| -> ScriptResult<SmtpClient> {
        connect(host, Some(port), Map::new()).map_err(script_error)
    });
    m.func("connect", &["host", "options"], connect_doc, |host: &str, opts: Map| -> ScriptResult<SmtpClient> {
        connect(host, None, opts).map_err(script_error)
    });
    m.func(
        "connect",
        &["host", "port", "options"],
        connect_doc,
        |host: &str, port: INT, opts: Map| -> ScriptResult<SmtpClient> {
            connect(host, Some(port), opts).map_err(script_error)
        },
    );
    m.func(
        "send",
        &["msg"],
        r#"
        Sends one message in one call: connect, STARTTLS, login, send, quit. The map holds
        the connection — `host` (required; `"host:port"` works too), `port`, `tls` (default
        `"implicit"` on port 465, else `"starttls"`; without a port: 465 for implicit, 587 for
        starttls, 25 for `"none"`, which sends in clear), `user` and `password` (together),
        `timeout`, `local_hostname`, `ca_file`, `insecure` — and the message, as
        `mail::message` takes it (`from`, `to`, `cc`, `bcc`, `subject`, `text`, `html`,
        `attachments`, …). The message is built before connecting, so a bad one sends
        nothing. Returns the refused recipients (`#{}` when every one was accepted).

        ```rhai
        let refused = smtp::send(#{
            host: "127.0.0.1", port: 587, ca_file: "ca.pem",
            user: "alice@example.test", password: env("SMTP_PASSWORD"),
            from: "alice@example.test", to: ["bob@example.test"], subject: "Nightly report",
            text: "All green.", attachments: ["report.csv"],
        });
        ```

        Errors: as `smtp::connect`, `login` and `sendmail`, and `mail::message`'s
        (`InvalidArgument` for a bad message)."#,
        |msg: Map| -> ScriptResult<Map> { send::send(msg).map(|r| refused_map(&r)).map_err(script_error) },
    );

    m.getter(
        "greeting",
        "The server's greeting, `#{ code, message }`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.greeting.code);   // 220\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> Dynamic { c.greeting().map_or(Dynamic::UNIT, |r| reply_map(&r).into()) },
    );
    m.getter(
        "ehlo_resp",
        "The text of the last EHLO reply (its lines joined by `\\n`), `()` before one succeeded.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.ehlo_resp);\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> Dynamic { c.ehlo_resp().map_or(Dynamic::UNIT, Dynamic::from) },
    );
    m.getter(
        "helo_resp",
        "The text of the last HELO reply, `()` when HELO was not used.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nc.helo();\nprint(c.helo_resp);\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> Dynamic { c.helo_resp().map_or(Dynamic::UNIT, Dynamic::from) },
    );
    m.getter(
        "does_esmtp",
        "Whether the server accepted EHLO (extensions are known).\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.does_esmtp);   // true\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> bool { c.does_esmtp() },
    );
    m.getter(
        "esmtp_features",
        "Every extension of the last EHLO reply, lower-cased as smtplib has them, with its parameters (`\"\"` when none): `#{ \"size\": \"10240000\", \"pipelining\": \"\", \"auth\": \"PLAIN LOGIN\", … }`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.esmtp_features.size);\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> Map {
            c.features().0.into_iter().map(|(k, v)| (k.into(), Dynamic::from(v))).collect()
        },
    );
    m.getter(
        "tls",
        "Whether the connection is encrypted (implicit TLS, or after `starttls()`).\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1\", 465, #{ ca_file: \"ca.pem\" });\nprint(c.tls);   // true\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> bool { c.is_tls() },
    );
    m.getter(
        "connected",
        "Whether the session is open (false after `quit()`, `close()`, or a lost connection).\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nc.quit();\nprint(c.connected);   // false\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> bool { c.is_connected() },
    );
    m.pure_method(
        "has_extn",
        &["name"],
        "Whether the server announced extension `name` (any case) in its last EHLO reply.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nif c.has_extn(\"STARTTLS\") { c.starttls(); }\n```\n\nErrors: none.",
        |c: &mut SmtpClient, name: &str| -> bool { c.features().has(name) },
    );
    let ehlo_doc = "Says EHLO again (with `name`, or the connection's `local_hostname`) and reads the extensions anew; returns `#{ code, message }` — a refusal is returned, not raised, as smtplib's `ehlo`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.ehlo(\"client.example.test\").code);   // 250\n```\n\nErrors: `InvalidArgument` (a name with spaces, CR or LF), `SMTPServerDisconnected`, `Timeout`.";
    m.method("ehlo", &[], ehlo_doc, |c: &mut SmtpClient| -> ScriptResult<Map> { reply(c.ehlo(None)) });
    m.method("ehlo", &["name"], ehlo_doc, |c: &mut SmtpClient, name: &str| -> ScriptResult<Map> {
        reply(c.ehlo(Some(name)))
    });
    let helo_doc = "Says HELO, the pre-ESMTP greeting (`connect` always opens with EHLO: a server that refuses EHLO fails there with `SMTPHeloError`); returns `#{ code, message }`, a refusal included. Afterwards no extension is known.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.helo().code);\n```\n\nErrors: `InvalidArgument`, `SMTPServerDisconnected`, `Timeout`.";
    m.method("helo", &[], helo_doc, |c: &mut SmtpClient| -> ScriptResult<Map> { reply(c.helo(None)) });
    m.method("helo", &["name"], helo_doc, |c: &mut SmtpClient, name: &str| -> ScriptResult<Map> {
        reply(c.helo(Some(name)))
    });
    let starttls_doc = "Upgrades the connection to TLS (STARTTLS, the handshake, EHLO again — AUTH is often offered only then). Trust as the connection's options, or `#{ ca_file, insecure }` given here. Returns the server's `#{ code, message }`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1\", 587);\nc.starttls(#{ ca_file: \"ca.pem\" });\nprint(c.tls);   // true\n```\n\nErrors: `SMTPNotSupportedError` (not offered, or TLS already), `SMTPResponseException` (refused), `TlsError`, `SMTPServerDisconnected`, `Timeout`.";
    m.method("starttls", &[], starttls_doc, |c: &mut SmtpClient| -> ScriptResult<Map> { reply(c.starttls(None)) });
    m.method("starttls", &["options"], starttls_doc, |c: &mut SmtpClient, opts: Map| -> ScriptResult<Map> {
        let trust = Options::parse(PROTOCOL, "starttls", opts, &["ca_file", "insecure"])
            .and_then(|o| Trust::from_options(&o))
            .map_err(script_error)?;
        reply(c.starttls(Some(trust)))
    });
    m.method(
        "login",
        &["user", "password"],
        "Logs in with AUTH PLAIN, or LOGIN when the server offers only that. The password never appears in an error, log or trace (`AUTH PLAIN ****`). Returns the server's `#{ code, message }`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1\", 587, #{ tls: \"starttls\", ca_file: \"ca.pem\" });\nc.login(\"alice@example.test\", env(\"SMTP_PASSWORD\"));\n```\n\nErrors: `SMTPAuthenticationError` (refused: `code` 535 …), `SMTPNotSupportedError` (no AUTH offered — some servers offer it only after `starttls()` — or no mechanism in common), `InvalidArgument` (CR or LF), `SMTPServerDisconnected`, `Timeout`.",
        |c: &mut SmtpClient, user: &str, password: &str| -> ScriptResult<Map> { reply(c.login(user, password)) },
    );
    let sendmail_doc = r#"
        Sends `msg` (the message's text: a string or a blob) from `from` to `to` (an address
        or an array), as smtplib's `sendmail`. MAIL, every RCPT and DATA go in one write when
        the server offers PIPELINING. SIZE is declared when offered; SMTPUTF8 is used for
        non-ASCII addresses; line ends become CRLF. Returns the refused recipients, `address →
        #{ code, message }` (`#{}` when all were accepted). Options: `mail_options`,
        `rcpt_options` (arrays of ESMTP parameters such as `"RET=HDRS"`, `"NOTIFY=FAILURE"`).

        ```rhai
        let c = smtp::connect("127.0.0.1:2525");
        let refused = c.sendmail("ann@example.test", ["bob@example.test", "nobody@example.test"],
                                 "Subject: hi\r\n\r\nHello\r\n");
        for to in refused.keys() { print(`${to}: ${refused[to].code}`); }
        ```

        Errors: `SMTPRecipientsRefused` (every recipient refused: `recipients` holds the map),
        `SMTPSenderRefused` (`code`, `sender`), `SMTPDataError` (DATA or the message refused:
        552 too big, 554 …), `SMTPNotSupportedError` (a non-ASCII address without SMTPUTF8),
        `InvalidArgument` (a bad address, CR or LF in one, no recipient),
        `SMTPServerDisconnected`, `Timeout`."#;
    m.method(
        "sendmail",
        &["from", "to", "msg"],
        sendmail_doc,
        |c: &mut SmtpClient, from: &str, to: Dynamic, msg: Dynamic| -> ScriptResult<Map> {
            sendmail(c, from, to, msg, Map::new()).map_err(script_error)
        },
    );
    m.method(
        "sendmail",
        &["from", "to", "msg", "options"],
        sendmail_doc,
        |c: &mut SmtpClient, from: &str, to: Dynamic, msg: Dynamic, opts: Map| -> ScriptResult<Map> {
            sendmail(c, from, to, msg, opts).map_err(script_error)
        },
    );
    m.method(
        "send_message",
        &["msg"],
        r#"
        Builds the message as `mail::message` does and sends it with the envelope taken from
        the map: `from`, and every address of `to`, `cc` and `bcc` (Bcc is never written into
        the text). Returns the refused recipients, as `sendmail`.

        ```rhai
        let c = smtp::connect("127.0.0.1:2525");
        c.send_message(#{ from: "ann@example.test", to: "bob@example.test", bcc: "audit@example.test",
                          subject: "Report", text: "See attached.", attachments: ["report.csv"] });
        ```

        Errors: as `sendmail`, and `mail::message`'s."#,
        |c: &mut SmtpClient, msg: Map| -> ScriptResult<Map> {
            send::send_message(c, msg).map(|r| refused_map(&r)).map_err(script_error)
        },
    );
    m.method(
        "noop",
        &[],
        "NOOP: `#{ code, message }`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.noop().code);   // 250\n```\n\nErrors: `SMTPServerDisconnected`, `Timeout`.",
        |c: &mut SmtpClient| -> ScriptResult<Map> { reply(c.simple("NOOP", None)) },
    );
    m.method(
        "rset",
        &[],
        "RSET (abandon the message being sent): `#{ code, message }`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nc.rset();\n```\n\nErrors: `SMTPServerDisconnected`, `Timeout`.",
        |c: &mut SmtpClient| -> ScriptResult<Map> { reply(c.simple("RSET", None)) },
    );
    m.method(
        "verify",
        &["address"],
        "VRFY: `#{ code, message }` (252 when the server will not say; many disable VRFY: 502).\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.verify(\"bob@example.test\"));\n```\n\nErrors: `InvalidArgument` (CR or LF), `SMTPServerDisconnected`, `Timeout`.",
        |c: &mut SmtpClient, address: &str| -> ScriptResult<Map> { reply(c.simple("VRFY", Some(address))) },
    );
    let docmd_doc = "Sends any command (`docmd(\"HELP\")`, `docmd(\"ETRN\", \"example.test\")`) and returns its `#{ code, message }`, a refusal included.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.docmd(\"HELP\"));\n```\n\nErrors: `InvalidArgument` (empty, CR or LF), `SMTPServerDisconnected`, `Timeout`.";
    m.method("docmd", &["command"], docmd_doc, |c: &mut SmtpClient, cmd: &str| -> ScriptResult<Map> {
        reply(c.simple(cmd, None))
    });
    m.method(
        "docmd",
        &["command", "args"],
        docmd_doc,
        |c: &mut SmtpClient, cmd: &str, args: &str| -> ScriptResult<Map> { reply(c.simple(cmd, Some(args))) },
    );
    m.method(
        "quit",
        &[],
        "QUIT, then the connection is closed (whatever the server answers): `#{ code, message }`.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nprint(c.quit().code);   // 221\n```\n\nErrors: `SMTPServerDisconnected` (closed already), `Timeout`.",
        |c: &mut SmtpClient| -> ScriptResult<Map> { reply(c.quit()) },
    );
    m.method(
        "close",
        &[],
        "Closes the connection without QUIT.\n\n```rhai\nlet c = smtp::connect(\"127.0.0.1:2525\");\nc.close();\n```\n\nErrors: none.",
        |c: &mut SmtpClient| { c.close("close() was called") },
    );
    m.pure_method(
        "to_string",
        &[],
        "How the client prints: the server, TLS, open or closed.\n\n```rhai\nprint(smtp::connect(\"127.0.0.1:2525\"));   // SmtpClient(127.0.0.1:2525, open)\n```\n\nErrors: none.",
        |c: &mut SmtpClient| -> String {
            format!(
                "SmtpClient({}{}, {})",
                c.address(),
                if c.is_tls() { ", TLS" } else { "" },
                if c.is_connected() { "open" } else { "closed" }
            )
        },
    );
}
