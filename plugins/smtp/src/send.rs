//! The calls that send a whole message: `client.send_message(msg)` (`mail::message`, then
//! `sendmail` with the envelope taken from the map, Bcc included) and `smtp::send(#{ … })`
//! (connect, STARTTLS, login, send, quit in one call).

use crate::client::{default_hostname, Settings, SmtpClient};
use crate::envelope::{self, EnvelopeAddress};
use crate::error::{Reply, SmtpError, SmtpResult, PROTOCOL};
use netscript_mail::message::Built;
use netscript_sdk::options::Options;
use netscript_sdk::prelude::*;
use netscript_sdk::secret::Secret;
use netscript_sdk::tls::{TlsMode, Trust};
use std::time::Duration;

/// A call's time limit when none is given (API.md: 30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The option keys of `smtp::connect`.
pub const CONNECT_KEYS: &[&str] = &["tls", "timeout", "local_hostname", "ca_file", "insecure"];

/// The connection keys of `smtp::send` (the message keys are `mail::message`'s).
const SEND_KEYS: &[&str] =
    &["host", "port", "tls", "user", "password", "timeout", "local_hostname", "ca_file", "insecure"];

/// `client.send_message(msg)`: the refused recipients (see `sendmail`).
pub fn send_message(client: &SmtpClient, msg: Map) -> SmtpResult<Vec<(String, Reply)>> {
    let built = netscript_mail::message::build(msg)?;
    let (from, to) = envelope_of(&built)?;
    client.sendmail(&from, &to, &built.raw, &[], &[])
}

/// The envelope of a built message: its sender and every recipient (Bcc included).
fn envelope_of(built: &Built) -> SmtpResult<(EnvelopeAddress, Vec<EnvelopeAddress>)> {
    let from = envelope::address("from", &built.from, true)?;
    let to = built.recipients.iter().map(|r| envelope::address("recipient", r, false)).collect::<SmtpResult<_>>()?;
    Ok((from, to))
}

/// Settings from `smtp::connect`'s options: `tls` defaults to `implicit` on port 465.
pub fn settings(host: &str, port: u16, opts: &Options) -> SmtpResult<Settings> {
    let default_tls = if port == 465 { TlsMode::Implicit } else { TlsMode::None };
    Ok(Settings {
        host: host.to_string(),
        port,
        tls: TlsMode::from_options(opts, default_tls, "starttls")?,
        trust: Trust::from_options(opts)?,
        timeout: opts.duration("timeout", DEFAULT_TIMEOUT)?,
        local_hostname: match opts.string("local_hostname")? {
            Some(name) => name,
            None => default_hostname(),
        },
    })
}

/// A port from a script integer. Errors: `InvalidArgument` outside 1-65535.
pub fn port(port: INT) -> SmtpResult<u16> {
    u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| SmtpError::invalid(format!("port {port} is outside 1-65535")))
}

/// `"host"`, `"host:port"` or `"[v6]:port"` as smtplib reads its `host` (a port after the
/// one colon), and a port given apart (`connect(host, port)`, `send`'s `port`): the host and
/// the port, if either said one. Errors: `InvalidArgument` for an empty host, a bad port, or
/// a port given both ways.
pub fn host_and_port(text: &str, given: Option<INT>) -> SmtpResult<(String, Option<u16>)> {
    let not_a_host = || {
        SmtpError::invalid(format!(
            "'{}' is not a host (host, host:port or [v6]:port)",
            netscript_sdk::options::quote(text)
        ))
    };
    if text.contains(|c: char| c.is_control() || c == ' ' || c == '/') || text.is_empty() {
        return Err(not_a_host());
    }
    let given = given.map(port).transpose()?;
    let split = if let Some(rest) = text.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, "")) if !v6.is_empty() => return Ok((v6.to_string(), given)),
            Some((v6, port)) => Some((v6, port.strip_prefix(':').unwrap_or("x"))),
            None => None,
        }
    } else if text.matches(':').count() == 1 {
        text.split_once(':')
    } else {
        return Ok((text.to_string(), given));
    };
    match split {
        Some((host, p)) if !host.is_empty() => match p.parse::<INT>() {
            Ok(_) if given.is_some() => Err(SmtpError::invalid(format!(
                "'{}' has a port and a port is given too: give one",
                netscript_sdk::options::quote(text)
            ))),
            Ok(n) => Ok((host.to_string(), Some(port(n)?))),
            Err(_) => {
                Err(SmtpError::invalid(format!("'{}': the port is not a number", netscript_sdk::options::quote(text))))
            }
        },
        _ => Err(not_a_host()),
    }
}

/// `smtp::send(#{ host, port, tls, user, password, …message })`: the message is built
/// first (nothing is sent for a bad one), then connect, login when a user is given, send,
/// quit. `tls` defaults to `implicit` on port 465 and `starttls` elsewhere (port 587 when
/// none is given); `tls: "none"` sends in clear.
pub fn send(map: Map) -> SmtpResult<Vec<(String, Reply)>> {
    let (connection, message): (Map, Map) = map.into_iter().partition(|(k, _)| SEND_KEYS.contains(&k.as_str()));
    if let Some(unknown) = message.keys().find(|k| !netscript_mail::message::KEYS.contains(&k.as_str())) {
        return Err(SmtpError::invalid(format!(
            "smtp::send: unknown key '{}' (connection: {}; message: {})",
            netscript_sdk::options::quote(unknown),
            SEND_KEYS.join(", "),
            netscript_mail::message::KEYS.join(", ")
        )));
    }
    let opts = Options::parse(PROTOCOL, "send", connection, SEND_KEYS)?;
    let Some(host) = opts.string("host")? else {
        return Err(SmtpError::invalid("smtp::send: host is required"));
    };
    let user = opts.string("user")?;
    let password = opts.string("password")?.map(Secret::new);
    match (&user, &password) {
        (None, Some(_)) => return Err(SmtpError::invalid("smtp::send: password without user")),
        (Some(_), None) => return Err(SmtpError::invalid("smtp::send: user without password")),
        _ => {}
    }
    let tls_given = opts.get("tls").is_some();
    let (host, port_given) = host_and_port(&host, opts.int("port")?)?;
    let port_given = port_given.map(INT::from);
    let mode = match (tls_given, port_given) {
        (true, _) => TlsMode::from_options(&opts, TlsMode::None, "starttls")?,
        (false, Some(465)) => TlsMode::Implicit,
        (false, _) => TlsMode::StartTls,
    };
    let port = match port_given {
        Some(p) => port(p)?,
        None => match mode {
            TlsMode::Implicit => 465,
            TlsMode::StartTls => 587,
            TlsMode::None => 25,
        },
    };
    let mut settings = settings(&host, port, &opts)?;
    settings.tls = mode;
    // Built before connecting: a bad message sends nothing.
    let built = netscript_mail::message::build(message)?;
    let (from, to) = envelope_of(&built)?;
    let client = SmtpClient::connect(settings)?;
    let outcome = (|| {
        if let Some(user) = &user {
            client.login(user, password.as_ref().map(Secret::expose).unwrap_or(""))?;
        }
        client.sendmail(&from, &to, &built.raw, &[], &[])
    })();
    match outcome {
        Ok(refused) => {
            let _ = client.quit();
            Ok(refused)
        }
        Err(err) => {
            if client.is_connected() {
                let _ = client.quit();
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_in_smtplibs_forms() {
        assert_eq!(host_and_port("mail.example.test", None).unwrap(), ("mail.example.test".into(), None));
        assert_eq!(host_and_port("mail.example.test:2525", None).unwrap(), ("mail.example.test".into(), Some(2525)));
        assert_eq!(host_and_port("mail.example.test", Some(587)).unwrap(), ("mail.example.test".into(), Some(587)));
        assert!(matches!(host_and_port("mail.example.test:2525", Some(25)), Err(SmtpError::InvalidArgument(_))));
        assert_eq!(host_and_port("[::1]:2525", None).unwrap(), ("::1".into(), Some(2525)));
        assert_eq!(host_and_port("[::1]", Some(25)).unwrap(), ("::1".into(), Some(25)));
        assert_eq!(host_and_port("::1", Some(25)).unwrap(), ("::1".into(), Some(25)));
        for bad in ["", "h:x", "h:0", "h:70000", "h:-1", ":25", "a b", "h\r\n:25", "[::1]x"] {
            assert!(matches!(host_and_port(bad, None), Err(SmtpError::InvalidArgument(_))), "{bad:?}");
        }
    }
}
