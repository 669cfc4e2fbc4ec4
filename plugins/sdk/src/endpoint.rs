//! A client's `connect(host [, port] [, options])`, read once for every protocol: the host
//! checked, the port checked, the `tls:` mode (implicit by default on the protocol's
//! implicit-TLS port, and that port the default when `tls: "implicit"`), the trust options
//! and the timeout. `imap`, `pop3` and `ftp` take their server this way; each adds its own
//! options to the [`Endpoint`].

use crate::error::CommonError;
use crate::options::{quote, Options};
use crate::tls::{TlsMode, Trust};
use rhai::INT;
use std::time::Duration;

/// A protocol's two well-known ports.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    /// Plain text, or STARTTLS (IMAP 143, POP3 110, FTP 21).
    pub plain: u16,
    /// TLS from the first byte (IMAPS 993, POP3S 995, FTPS 990).
    pub implicit: u16,
}

/// Where and how a client connects.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The server's name or address (an IPv6 address without its brackets).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, STARTTLS (by the protocol's word: `starttls`, `explicit`) or `implicit`.
    pub tls: TlsMode,
    /// `ca_file` / `insecure`.
    pub trust: Trust,
    /// `timeout`, or `default_timeout`.
    pub timeout: Duration,
}

impl Endpoint {
    /// Reads `host`, `port` and the `tls`, `ca_file`, `insecure` and `timeout` options of
    /// `opts` (which the caller parsed, allowing those keys and its own). `starttls_word` is
    /// what the protocol calls its upgrade (`"starttls"`, `"explicit"`).
    /// Errors: `InvalidArgument` for an empty host or one with spaces, control characters or
    /// a slash, a port outside 1-65535, a bad option value.
    pub fn read(
        protocol: &str,
        host: &str,
        port: Option<INT>,
        opts: &Options,
        ports: Ports,
        starttls_word: &str,
        default_timeout: Duration,
    ) -> Result<Endpoint, CommonError> {
        if host.is_empty() || host.contains(|c: char| c.is_control() || c == ' ' || c == '/') {
            return Err(CommonError::invalid_argument(protocol, format!("'{}' is not a host", quote(host))));
        }
        let port = match port {
            Some(p) => Some(
                u16::try_from(p)
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| CommonError::invalid_argument(protocol, format!("port {p} is outside 1-65535")))?,
            ),
            None => None,
        };
        let default_tls = if port == Some(ports.implicit) { TlsMode::Implicit } else { TlsMode::None };
        let tls = TlsMode::from_options(opts, default_tls, starttls_word)?;
        let port = port.unwrap_or(if tls == TlsMode::Implicit { ports.implicit } else { ports.plain });
        Ok(Endpoint {
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port,
            tls,
            trust: Trust::from_options(opts)?,
            timeout: opts.duration("timeout", default_timeout)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(host: &str, port: Option<INT>, tls: Option<&str>) -> Result<Endpoint, CommonError> {
        let mut map = rhai::Map::new();
        if let Some(t) = tls {
            map.insert("tls".into(), t.into());
        }
        let opts = Options::parse("imap", "connect", map, &["tls", "timeout", "ca_file", "insecure"])?;
        Endpoint::read(
            "imap",
            host,
            port,
            &opts,
            Ports { plain: 143, implicit: 993 },
            "starttls",
            Duration::from_secs(30),
        )
    }

    #[test]
    fn ports_and_tls_default_each_other() {
        let e = read("[::1]", None, None).unwrap();
        assert_eq!((e.host.as_str(), e.port, e.tls), ("::1", 143, TlsMode::None));
        assert_eq!(read("h", Some(993), None).unwrap().tls, TlsMode::Implicit);
        assert_eq!(read("h", None, Some("implicit")).unwrap().port, 993);
        assert_eq!(read("h", Some(143), Some("starttls")).unwrap().tls, TlsMode::StartTls);
    }

    #[test]
    fn bad_hosts_and_ports_are_invalid_arguments() {
        for (host, port) in [
            ("", None),
            ("a b", None),
            ("a/b", None),
            ("h\r\n", None),
            ("h", Some(0)),
            ("h", Some(65536)),
            ("h", Some(-1)),
        ] {
            let err = read(host, port, None).unwrap_err();
            assert_eq!(err.kind, crate::error::CommonKind::InvalidArgument, "{host:?} {port:?}");
        }
    }
}
