//! Wire traces (`--trace PROTO[,PROTO…]`, `--trace all`): the protocol conversation on
//! stderr as curl `-v` and smtplib's `set_debuglevel(1)` show it — `> ` what was sent, `< `
//! what was received, one line per protocol line, credentials as `****`.
//!
//! Every protocol plugin calls these for each line it sends and receives. They cost one
//! check when tracing is off. The host redacts every registered [`crate::secret::Secret`];
//! a plugin also masks what it knows to be a credential ([`sent_masked`], [`header`]).

/// Whether `protocol`'s conversation is traced.
pub fn enabled(protocol: &str) -> bool {
    crate::host::host().trace_enabled(protocol)
}

/// One line sent to the peer (without its line ending).
pub fn sent(protocol: &str, line: &str) {
    if enabled(protocol) {
        crate::host::host().trace_line(protocol, &format!("> {line}"));
    }
}

/// One line received from the peer (without its line ending).
pub fn received(protocol: &str, line: &str) {
    if enabled(protocol) {
        crate::host::host().trace_line(protocol, &format!("< {line}"));
    }
}

/// One line `role` sent, for a plugin that is both sides (`http` client and server): shown as
/// `[http server] > …`, traced under `protocol`.
pub fn sent_as(protocol: &str, role: &str, line: &str) {
    if enabled(protocol) {
        crate::host::host().trace_line(&format!("{protocol} {role}"), &format!("> {line}"));
    }
}

/// One line `role` received (see [`sent_as`]).
pub fn received_as(protocol: &str, role: &str, line: &str) {
    if enabled(protocol) {
        crate::host::host().trace_line(&format!("{protocol} {role}"), &format!("< {line}"));
    }
}

/// A command whose argument is a credential, shown as `> {visible} ****`
/// (`AUTH PLAIN ****`, `PASS ****`).
pub fn sent_masked(protocol: &str, visible: &str) {
    if enabled(protocol) {
        crate::host::host().trace_line(protocol, &format!("> {visible} ****"));
    }
}

/// A header line (`Name: value`) with the value masked when the header carries a
/// credential (`Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`).
pub fn header(name: &str, value: &str) -> String {
    const CREDENTIALS: &[&str] = &["authorization", "proxy-authorization", "cookie", "set-cookie"];
    if CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c)) {
        format!("{name}: ****")
    } else {
        format!("{name}: {value}")
    }
}

/// A payload sent (`outgoing`) or received: each text line on its own, or `[N bytes]` for
/// data that is not text; at most 40 lines are shown (the rest as a count).
pub fn payload(protocol: &str, outgoing: bool, bytes: &[u8]) {
    if !enabled(protocol) {
        return;
    }
    let mark = if outgoing { '>' } else { '<' };
    let host = crate::host::host();
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains(|c: char| c.is_control() && !matches!(c, '\r' | '\n' | '\t')) => {
            const SHOWN: usize = 40;
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            for line in lines.iter().take(SHOWN) {
                host.trace_line(protocol, &format!("{mark} {}", line.trim_end_matches(['\r', '\n'])));
            }
            if lines.len() > SHOWN {
                host.trace_line(protocol, &format!("{mark} … {} more lines", lines.len() - SHOWN));
            }
        }
        _ => host.trace_line(protocol, &format!("{mark} [{} bytes]", bytes.len())),
    }
}

/// Cuts a byte stream into lines for a trace: bytes go in as they are read or written, each
/// complete line comes out without its CR LF (at most 4096 bytes of a line are kept).
#[derive(Default, Debug)]
pub struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    /// Appends `bytes` and calls `emit` for each line they complete.
    pub fn feed(&mut self, bytes: &[u8], mut emit: impl FnMut(&str)) {
        for &b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.pending);
                emit(line.trim_end_matches('\r'));
                self.pending.clear();
            } else if self.pending.len() < 4096 {
                self.pending.push(b);
            }
        }
    }

    /// Forgets a partial line.
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// The partial line so far.
    pub fn partial(&self) -> &[u8] {
        &self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_masked() {
        assert_eq!(header("Authorization", "Basic dXNlcjpwYXNz"), "Authorization: ****");
        assert_eq!(header("content-type", "text/plain"), "content-type: text/plain");
    }

    #[test]
    fn lines_are_cut_at_line_feeds_across_writes() {
        let mut lines = Lines::default();
        let mut seen = Vec::new();
        lines.feed(b"250-a\r\n250 b", |l| seen.push(l.to_string()));
        assert_eq!(lines.partial(), b"250 b");
        lines.feed(b"\r\n", |l| seen.push(l.to_string()));
        assert_eq!(seen, ["250-a", "250 b"]);
    }
}
