//! The `ftp::` functions and `FtpClient` methods as scripts see them, with their docs.

use crate::client::{one_line, FtpClient, Session, Settings};
use crate::error::{FtpError, FtpResult, ALL_ERRORS, PROTOCOL};
use crate::{listing, transfer};
use netscript_sdk::closures::Callback;
use netscript_sdk::endpoint::{Endpoint, Ports};
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use netscript_sdk::secret::Secret;
use std::path::Path;
use std::time::Duration;

/// The default limit on connecting, on each command and on each wait of a transfer.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn connect(host: &str, port: Option<INT>, opts: Map) -> FtpResult<FtpClient> {
    let opts =
        Options::parse(PROTOCOL, "connect", opts, &["tls", "passive", "epsv", "timeout", "ca_file", "insecure"])?;
    let e =
        Endpoint::read(PROTOCOL, host, port, &opts, Ports { plain: 21, implicit: 990 }, "explicit", DEFAULT_TIMEOUT)?;
    FtpClient::connect(Settings {
        host: e.host,
        port: e.port,
        tls: e.tls,
        trust: e.trust,
        timeout: e.timeout,
        passive: opts.bool("passive", true)?,
        epsv: opts.bool("epsv", true)?,
    })
}

fn err<T>(r: FtpResult<T>) -> ScriptResult<T> {
    r.map_err(script_error)
}

/// A command with one path argument that must answer 2xx: its reply text.
fn simple(c: &FtpClient, verb: &'static str, path: &str) -> FtpResult<String> {
    one_line("path", path)?;
    let line = format!("{verb} {path}");
    c.run(verb, async |s: &mut Session, _: &Settings| s.expect(&line, &line, false).await.map(|(_, t)| t))
}

fn login(c: &FtpClient, user: &str, password: &str) -> FtpResult<String> {
    one_line("user", user)?;
    let password = Secret::new(password);
    one_line("password", password.expose()).map_err(|_| FtpError::invalid("password contains CR, LF or NUL"))?;
    c.run("login", async |s: &mut Session, _: &Settings| {
        let (code, text) = s.expect(&format!("USER {user}"), &format!("USER {user}"), true).await?;
        if code == 230 {
            return Ok(text);
        }
        s.expect(&format!("PASS {}", password.expose()), "PASS ****", false).await.map(|(_, t)| t)
    })
}

/// `257 "/path" is the current directory` → `/path` (`""` inside quotes is one quote).
fn quoted_path(text: &str) -> String {
    let Some(start) = text.find('"') else { return text.trim().to_string() };
    let mut out = String::new();
    let mut chars = text[start + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                out.push('"');
                chars.next();
            } else {
                break;
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `YYYYMMDDHHMMSS` (UTC) as seconds since 1970.
fn mdtm_seconds(text: &str) -> FtpResult<INT> {
    let digits = text.trim().get(..14).filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    let Some(d) = digits else { return Err(FtpError::Proto(format!("MDTM answered '{text}'"))) };
    let n = |r: std::ops::Range<usize>| d[r].parse::<INT>().unwrap_or(0);
    let (y, m, day) = (n(0..4), n(4..6), n(6..8));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(days * 86_400 + n(8..10) * 3600 + n(10..12) * 60 + n(12..14))
}

fn lines_of(c: &FtpClient, command: String) -> FtpResult<Vec<String>> {
    one_line("command", &command)?;
    c.run_transfer(&command, async |s: &mut Session, settings: &Settings| {
        let mut out = Vec::new();
        transfer::lines(s, settings, &command, &mut |l| {
            out.push(l);
            Ok(())
        })
        .await?;
        Ok(out)
    })
}

fn listing_command(verb: &str, path: &str) -> FtpResult<String> {
    one_line("path", path)?;
    Ok(if path.is_empty() { verb.to_string() } else { format!("{verb} {path}") })
}

fn each_line(lines: Vec<String>, f: FnPtr) -> ScriptResult<INT> {
    let f = Callback::new(f);
    let n = lines.len() as INT;
    for line in lines {
        let _ = f.call(vec![line.into()])?;
    }
    Ok(n)
}

fn strings(v: Vec<String>) -> Array {
    v.into_iter().map(Dynamic::from).collect()
}

/// Registers the module's functions and the `FtpClient` type.
pub fn register(m: &mut ModuleBuilder) {
    m.doc("FTP and FTPS (ftplib's names): listings with every MLSD fact, streamed downloads that never leave a partial file, resumable.");
    m.custom_type::<FtpClient>("FtpClient");
    m.constant("all_errors", ALL_ERRORS.iter().map(|k| Dynamic::from(k.to_string())).collect::<Array>());
    let connect_doc = r#"
        Connects to an FTP server and reads its greeting (ftplib's `FTP(host)` / `FTP_TLS`).
        Options: `tls` — `"none"` (default), `"explicit"` (AUTH TLS, then PBSZ 0 and PROT P:
        the data channel is encrypted too) or `"implicit"` (TLS from the first byte; the
        default on port 990, and 990 when no port is given); `passive` (default true; false
        for active mode), `epsv` (default true: EPSV, falling back to PASV when refused),
        `timeout` (seconds, default 30: connecting, each command, each wait of a transfer),
        `ca_file`, `insecure`. A passive data address that is not the server's is refused
        (the FTP bounce attack).

        ```rhai
        let f = ftp::connect("127.0.0.1", 21, #{ tls: "explicit", ca_file: "ca.pem", timeout: 10 });
        f.login("ann", env("FTP_PASSWORD"));
        print(f.pwd());
        f.get("report.csv", "/tmp/report.csv");
        f.quit();
        ```

        Errors: `ConnectionRefused`, `HostNotFound`, `Timeout`, `TlsError`, `error_perm` /
        `error_temp` (the greeting refused, with `code`), `error_proto`, `InvalidArgument`,
        `PermissionDenied`."#;
    m.func("connect", &["host"], connect_doc, |host: &str| -> ScriptResult<FtpClient> {
        err(connect(host, None, Map::new()))
    });
    m.func("connect", &["host", "port"], connect_doc, |host: &str, port: INT| -> ScriptResult<FtpClient> {
        err(connect(host, Some(port), Map::new()))
    });
    m.func("connect", &["host", "options"], connect_doc, |host: &str, opts: Map| -> ScriptResult<FtpClient> {
        err(connect(host, None, opts))
    });
    m.func(
        "connect",
        &["host", "port", "options"],
        connect_doc,
        |host: &str, port: INT, opts: Map| -> ScriptResult<FtpClient> { err(connect(host, Some(port), opts)) },
    );
    m.getter(
        "welcome",
        "The greeting's text (ftplib's `welcome`).\n\n```rhai\nprint(ftp::connect(\"127.0.0.1\", 21).welcome);\n```\n\nErrors: none.",
        |c: &mut FtpClient| -> String { c.welcome() },
    );
    m.getter(
        "connected",
        "Whether the session is open (false after `quit()` or a lost connection).\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.quit();\nprint(f.connected);   // false\n```\n\nErrors: none.",
        |c: &mut FtpClient| -> bool { c.is_connected() },
    );
    let login_doc = "Logs in: without arguments anonymously (`anonymous`, password `anonymous@`), as ftplib. The password never appears in an error, log or trace (`PASS ****`). Returns the server's text.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login(\"ann\", env(\"FTP_PASSWORD\"));\n```\n\nErrors: `error_perm` (530: refused), `InvalidArgument` (CR, LF), `ConnectionClosed`, `Timeout`.";
    m.method("login", &[], login_doc, |c: &mut FtpClient| -> ScriptResult<String> {
        err(login(c, "anonymous", "anonymous@"))
    });
    m.method(
        "login",
        &["user", "password"],
        login_doc,
        |c: &mut FtpClient, user: &str, password: &str| -> ScriptResult<String> { err(login(c, user, password)) },
    );
    m.method(
        "pwd",
        &[],
        "PWD: the current directory.\n\n```rhai\nprint(ftp::connect(\"127.0.0.1\", 21).pwd());\n```\n\nErrors: `error_perm`, `error_proto`, `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient| -> ScriptResult<String> {
            err(c.run("PWD", async |s: &mut Session, _: &Settings| s.expect("PWD", "PWD", false).await.map(|(_, t)| quoted_path(&t))))
        },
    );
    for (name, verb, what) in [
        ("cwd", "CWD", "Changes the current directory"),
        ("rmd", "RMD", "Removes a directory"),
        ("delete", "DELE", "Deletes a file"),
    ] {
        m.method(
            name,
            &["path"],
            &format!("{what} ({verb}); returns the server's text.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nf.{name}(\"incoming/old\");\n```\n\nErrors: `error_perm` (550: no such file or directory, not allowed), `InvalidArgument` (CR, LF), `ConnectionClosed`, `Timeout`."),
            move |c: &mut FtpClient, path: &str| -> ScriptResult<String> { err(simple(c, verb, path)) },
        );
    }
    m.method(
        "cdup",
        &[],
        "CDUP: up one directory.\n\n```rhai\nftp::connect(\"127.0.0.1\", 21).cdup();\n```\n\nErrors: `error_perm`, `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient| -> ScriptResult<String> {
            err(c.run("CDUP", async |s: &mut Session, _: &Settings| s.expect("CDUP", "CDUP", false).await.map(|(_, t)| t)))
        },
    );
    m.method(
        "mkd",
        &["path"],
        "MKD: makes a directory; returns its path as the server names it.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nprint(f.mkd(\"reports\"));\n```\n\nErrors: `error_perm` (550: exists, not allowed), `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient, path: &str| -> ScriptResult<String> { err(simple(c, "MKD", path).map(|t| quoted_path(&t))) },
    );
    m.method(
        "rename",
        &["from", "to"],
        "Renames (RNFR, RNTO).\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nf.rename(\"a.txt\", \"b.txt\");\n```\n\nErrors: `error_perm` (550), `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient, from: &str, to: &str| -> ScriptResult<String> {
            err(one_line("path", from).and_then(|_| one_line("path", to)).and_then(|_| {
                c.run("RENAME", async |s: &mut Session, _: &Settings| {
                    s.expect(&format!("RNFR {from}"), &format!("RNFR {from}"), true).await?;
                    s.expect(&format!("RNTO {to}"), &format!("RNTO {to}"), false).await.map(|(_, t)| t)
                })
            }))
        },
    );
    m.method(
        "size",
        &["path"],
        "SIZE: a file's size in bytes.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nprint(f.size(\"report.csv\"));\n```\n\nErrors: `error_perm` (550: no such file), `error_proto`, `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient, path: &str| -> ScriptResult<INT> {
            let text = err(simple(c, "SIZE", path))?;
            err(text.trim().parse::<INT>().map_err(|_| FtpError::Proto(format!("SIZE answered '{text}'"))))
        },
    );
    m.method(
        "mdtm",
        &["path"],
        "MDTM: a file's modification time, as seconds since 1970 (UTC).\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nprint(time::format(f.mdtm(\"report.csv\"), \"%Y-%m-%d\"));\n```\n\nErrors: `error_perm` (550), `error_proto`, `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient, path: &str| -> ScriptResult<INT> { err(simple(c, "MDTM", path).and_then(|t| mdtm_seconds(&t))) },
    );
    m.method(
        "feat",
        &[],
        "FEAT: the server's extensions, `#{ NAME: \"parameters\" }` (`MLST`, `UTF8`, `EPSV`, `REST` …).\n\n```rhai\nprint(\"MLST\" in ftp::connect(\"127.0.0.1\", 21).feat());\n```\n\nErrors: `error_perm` (FEAT unknown), `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient| -> ScriptResult<Map> {
            let text = err(c.run("FEAT", async |s: &mut Session, _: &Settings| s.expect("FEAT", "FEAT", false).await.map(|(_, t)| t)))?;
            Ok(text
                .lines()
                .filter(|l| l.starts_with(' '))
                .filter_map(|l| {
                    let l = l.trim();
                    let (name, params) = l.split_once(' ').unwrap_or((l, ""));
                    (!name.is_empty()).then(|| (name.to_ascii_uppercase().into(), Dynamic::from(params.to_string())))
                })
                .collect())
        },
    );
    let sendcmd_doc = "Sends any command (`SITE CHMOD 644 x`, `NOOP`) and returns the reply as ftplib does: `\"200 text\"`. `voidcmd` raises unless the reply is 2xx.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nprint(f.sendcmd(\"NOOP\"));\n```\n\nErrors: `error_temp` / `error_perm` (4xx/5xx), `error_reply` (`voidcmd`: another code), `InvalidArgument` (CR, LF, empty), `ConnectionClosed`, `Timeout`.";
    for (name, void) in [("sendcmd", false), ("voidcmd", true)] {
        m.method(name, &["command"], sendcmd_doc, move |c: &mut FtpClient, command: &str| -> ScriptResult<String> {
            err(one_line("command", command).and_then(|_| {
                if command.trim().is_empty() {
                    return Err(FtpError::invalid("the command is empty"));
                }
                // PASS is masked in the trace, whatever its case.
                let shown = if command.len() >= 4 && command[..4].eq_ignore_ascii_case("PASS") {
                    "PASS ****".to_string()
                } else {
                    command.to_string()
                };
                c.run("command", async |s: &mut Session, _: &Settings| {
                    let (code, text) = s.command(command, &shown).await?;
                    let verb = shown.split(' ').next().unwrap_or(&shown).to_string();
                    match code / 100 {
                        4 | 5 => Err(FtpError::Reply { command: verb, code, text }),
                        2 => Ok(format!("{code} {text}")),
                        _ if void => Err(FtpError::Reply { command: verb, code, text }),
                        _ => Ok(format!("{code} {text}")),
                    }
                })
            }))
        });
    }
    let dir_doc = "LIST: the directory's lines as the server writes them (an array), or each given to `f`.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nfor line in f.dir(\"/\") { print(line); }\n```\n\nErrors: `error_perm` (550), `InvalidArgument`, `ConnectionClosed`, `Timeout`.";
    m.method("dir", &[], dir_doc, |c: &mut FtpClient| -> ScriptResult<Array> {
        err(lines_of(c, "LIST".into())).map(strings)
    });
    m.method("dir", &["path"], dir_doc, |c: &mut FtpClient, path: &str| -> ScriptResult<Array> {
        err(listing_command("LIST", path).and_then(|cmd| lines_of(c, cmd))).map(strings)
    });
    m.method("dir", &["path", "f"], dir_doc, |c: &mut FtpClient, path: &str, f: FnPtr| -> ScriptResult<INT> {
        each_line(err(listing_command("LIST", path).and_then(|cmd| lines_of(c, cmd)))?, f)
    });
    let nlst_doc = "NLST: the names in a directory, without `.` and `..`.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nprint(f.nlst(\"/\"));\n```\n\nErrors: `error_perm` (550), `InvalidArgument`, `ConnectionClosed`, `Timeout`.";
    m.method("nlst", &[], nlst_doc, |c: &mut FtpClient| -> ScriptResult<Array> {
        err(lines_of(c, "NLST".into())).map(|l| strings(listing::names(l)))
    });
    m.method("nlst", &["path"], nlst_doc, |c: &mut FtpClient, path: &str| -> ScriptResult<Array> {
        err(listing_command("NLST", path).and_then(|cmd| lines_of(c, cmd))).map(|l| strings(listing::names(l)))
    });
    let mlsd_doc = "MLSD: one map per entry with every fact the server gave — `#{ name, type, size, modify, perm, unique, … }` (`type` \"file\", \"dir\", \"cdir\", \"pdir\" …; `size` an int; `modify` as the server writes it, `YYYYMMDDHHMMSS`).\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nfor e in f.mlsd(\"/\") { if e.type == \"file\" { print(`${e.name} ${e.size}`); } }\n```\n\nErrors: `error_perm` (500: MLSD unknown, 550), `InvalidArgument`, `ConnectionClosed`, `Timeout`.";
    let mlsd = |c: &FtpClient, path: &str| -> ScriptResult<Array> {
        let lines = err(listing_command("MLSD", path).and_then(|cmd| lines_of(c, cmd)))?;
        Ok(lines.iter().filter_map(|l| listing::fact_line(l)).map(Dynamic::from_map).collect())
    };
    m.method("mlsd", &[], mlsd_doc, move |c: &mut FtpClient| -> ScriptResult<Array> { mlsd(c, "") });
    m.method("mlsd", &["path"], mlsd_doc, move |c: &mut FtpClient, path: &str| -> ScriptResult<Array> {
        mlsd(c, path)
    });
    m.method(
        "mlst",
        &["path"],
        "MLST: one entry's facts, as `mlsd` gives them.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nprint(f.mlst(\"report.csv\").size);\n```\n\nErrors: `error_perm` (550), `error_proto`, `InvalidArgument`, `ConnectionClosed`, `Timeout`.",
        |c: &mut FtpClient, path: &str| -> ScriptResult<Map> {
            let text = err(simple(c, "MLST", path))?;
            err(text.lines().find_map(|l| l.starts_with(' ').then(|| listing::fact_line(l)).flatten()).ok_or_else(|| FtpError::Proto(format!("MLST answered '{text}'"))))
        },
    );
    let retrlines_doc = "A text download in ftplib's form (`\"RETR name\"`, `\"LIST\"`): its lines, or each given to `f`.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nlet lines = f.retrlines(\"RETR notes.txt\");\n```\n\nErrors: `error_perm` (550), `InvalidArgument`, `ConnectionClosed`, `Timeout`.";
    m.method("retrlines", &["command"], retrlines_doc, |c: &mut FtpClient, command: &str| -> ScriptResult<Array> {
        err(lines_of(c, command.to_string())).map(strings)
    });
    m.method(
        "retrlines",
        &["command", "f"],
        retrlines_doc,
        |c: &mut FtpClient, command: &str, f: FnPtr| -> ScriptResult<INT> {
            each_line(err(lines_of(c, command.to_string()))?, f)
        },
    );
    let get_doc = "Downloads `remote` to the file `local`: written to `local.part` as it arrives and renamed onto `local` only after the server's 226, so `local` never holds a partial file. With `#{ resume: true }` a `.part` left by a broken download is continued (REST). Returns the bytes received by this call (after a resume, the rest only). A progress bar shows on a terminal. Mind the order: `get(remote, local)` but `put(local, remote)`.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nf.get(\"backup.tar\", \"/tmp/backup.tar\", #{ resume: true });\n```\n\nErrors: `error_perm` (550: no such file; no local file is made), `ConnectionClosed` (the `.part` stays for `resume`), `Timeout`, `PermissionDenied` (`--allow-write`), `IoError`, `InvalidArgument`.";
    let get = |c: &FtpClient, remote: &str, local: &str, resume: bool| -> ScriptResult<INT> {
        let remote = remote.to_string();
        let local = Path::new(local).to_path_buf();
        err(c.run_transfer("RETR", async |s: &mut Session, settings: &Settings| {
            transfer::get(s, settings, &remote, &local, resume).await
        }))
        .map(|n| n as INT)
    };
    m.method(
        "get",
        &["remote", "local"],
        get_doc,
        move |c: &mut FtpClient, remote: &str, local: &str| -> ScriptResult<INT> { get(c, remote, local, false) },
    );
    m.method(
        "get",
        &["remote", "local", "options"],
        get_doc,
        move |c: &mut FtpClient, remote: &str, local: &str, opts: Map| -> ScriptResult<INT> {
            let opts = Options::parse(PROTOCOL, "get", opts, &["resume"]).map_err(script_error)?;
            get(c, remote, local, opts.bool("resume", false).map_err(script_error)?)
        },
    );
    let retrbinary_doc = "ftplib's form of `get`: `retrbinary(\"RETR name\", local)` downloads `name` to the file `local` (via `local.part`, renamed when whole). Returns the bytes received.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nf.retrbinary(\"RETR backup.tar\", \"/tmp/backup.tar\");\n```\n\nErrors: as `get`; `InvalidArgument` for a command that is not `RETR name`.";
    m.method(
        "retrbinary",
        &["command", "local"],
        retrbinary_doc,
        move |c: &mut FtpClient, command: &str, local: &str| -> ScriptResult<INT> {
            let remote = err(transfer::path_of(command, "RETR"))?.to_string();
            get(c, &remote, local, false)
        },
    );
    let put_doc = "Uploads the file `local` to `remote`, streamed from disk; returns the bytes sent (compare with `size(remote)` to verify). Mind the order: `put(local, remote)` but `get(remote, local)`.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nlet sent = f.put(\"/tmp/report.csv\", \"reports/report.csv\");\nprint(sent == f.size(\"reports/report.csv\"));\n```\n\nErrors: `error_perm` (553, 550: not allowed), `ConnectionClosed`, `Timeout`, `PermissionDenied` (`--allow-read`), `IoError`, `InvalidArgument`.";
    let put = |c: &FtpClient, local: &str, remote: &str, ascii: bool| -> ScriptResult<INT> {
        let remote = remote.to_string();
        let local = Path::new(local).to_path_buf();
        err(c.run_transfer("STOR", async |s: &mut Session, settings: &Settings| {
            transfer::put(s, settings, &local, &remote, ascii).await
        }))
        .map(|n| n as INT)
    };
    m.method(
        "put",
        &["local", "remote"],
        put_doc,
        move |c: &mut FtpClient, local: &str, remote: &str| -> ScriptResult<INT> { put(c, local, remote, false) },
    );
    let stor_doc = |name: &str, how: &str| {
        format!("ftplib's form of `put`: `{name}(\"STOR name\", local)` uploads the file `local` as `name`{how}. Returns the bytes sent.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nf.{name}(\"STOR notes.txt\", \"/tmp/notes.txt\");\n```\n\nErrors: as `put`; `InvalidArgument` for a command that is not `STOR name`.")
    };
    m.method(
        "storbinary",
        &["command", "local"],
        &stor_doc("storbinary", ""),
        move |c: &mut FtpClient, command: &str, local: &str| -> ScriptResult<INT> {
            let remote = err(transfer::path_of(command, "STOR"))?.to_string();
            put(c, local, &remote, false)
        },
    );
    m.method(
        "storlines",
        &["command", "local"],
        &stor_doc("storlines", " as text (TYPE A: the server may change line ends)"),
        move |c: &mut FtpClient, command: &str, local: &str| -> ScriptResult<INT> {
            let remote = err(transfer::path_of(command, "STOR"))?.to_string();
            put(c, local, &remote, true)
        },
    );
    m.method(
        "get_blob",
        &["remote"],
        "Downloads `remote` into memory: a blob (for small files; `get` streams to disk).\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nprint(f.get_blob(\"notes.txt\").as_string());\n```\n\nErrors: `error_perm` (550), `ConnectionClosed`, `Timeout`, `InvalidArgument`.",
        |c: &mut FtpClient, remote: &str| -> ScriptResult<Blob> {
            let remote = remote.to_string();
            err(c.run_transfer("RETR", async |s: &mut Session, settings: &Settings| transfer::get_blob(s, settings, &remote).await))
        },
    );
    m.method(
        "put_blob",
        &["remote", "data"],
        "Uploads `data` (a blob or a string) to `remote`; returns the bytes sent.\n\n```rhai\nlet f = ftp::connect(\"127.0.0.1\", 21);\nf.login();\nf.put_blob(\"hello.txt\", \"hello\\n\");\n```\n\nErrors: `error_perm` (553, 550), `ConnectionClosed`, `Timeout`, `InvalidArgument`.",
        |c: &mut FtpClient, remote: &str, data: Dynamic| -> ScriptResult<INT> {
            let bytes = if let Some(b) = data.clone().try_cast::<Blob>() {
                b
            } else if let Some(t) = data.clone().try_cast::<String>() {
                t.into_bytes()
            } else {
                return err(Err(FtpError::invalid(format!("put_blob: a blob or a string, not {}", netscript_sdk::options::type_word(&data)))));
            };
            let remote = remote.to_string();
            err(c.run_transfer("STOR", async |s: &mut Session, settings: &Settings| transfer::put_blob(s, settings, &remote, &bytes).await)).map(|n| n as INT)
        },
    );
    m.method(
        "quit",
        &[],
        "QUIT, then the connection is closed whatever the server answers; returns its text.\n\n```rhai\nftp::connect(\"127.0.0.1\", 21).quit();\n```\n\nErrors: `ConnectionClosed` (closed already), `Timeout`.",
        |c: &mut FtpClient| -> ScriptResult<String> {
            let outcome = c.run("QUIT", async |s: &mut Session, _: &Settings| s.command("QUIT", "QUIT").await.map(|(_, t)| t));
            c.close("quit() was called");
            err(outcome)
        },
    );
    m.method(
        "to_string",
        &[],
        "How the client prints: the server, open or closed.\n\n```rhai\nprint(ftp::connect(\"127.0.0.1\", 21));   // FtpClient(127.0.0.1:21, open)\n```\n\nErrors: none.",
        |c: &mut FtpClient| -> String {
            format!("FtpClient({}, {})", c.address(), if c.is_connected() { "open" } else { "closed" })
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_read_as_ftplib_reads_them() {
        assert_eq!(quoted_path("\"/home/ann\" is your current location"), "/home/ann");
        assert_eq!(quoted_path("\"/a \"\"b\"\"\" created"), "/a \"b\"");
        assert_eq!(mdtm_seconds("20261206101500").unwrap(), 1_796_552_100);
        assert_eq!(mdtm_seconds("19700101000000.123").unwrap(), 0);
        assert!(mdtm_seconds("yesterday").is_err());
    }
}
