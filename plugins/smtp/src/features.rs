//! What a server says of itself: its EHLO reply read into smtplib's `esmtp_features` (every
//! extension, lower-cased, with its parameters; AUTH lines joined, the old `AUTH=` form
//! too), and the replies lettre reads and drops (the greeting, the first EHLO reply) taken
//! back from the captured bytes.

use crate::error::Reply;
use lettre::transport::smtp::response::Response;

/// The extensions of an EHLO reply, in the order the server announced them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Features(pub Vec<(String, String)>);

impl Features {
    /// Reads the extension lines of an EHLO reply (every line after the first), as smtplib
    /// does: a keyword of letters, digits and `-`, lower-cased, then its parameters.
    pub fn from_ehlo(reply: &Reply) -> Features {
        let mut found: Vec<(String, String)> = Vec::new();
        for line in reply.message.lines().skip(1) {
            let (keyword, params) = match line.split_once([' ', '=']) {
                Some((k, p)) if line.as_bytes()[k.len()] == b'=' && k.eq_ignore_ascii_case("auth") => {
                    ("auth".to_string(), p.trim().to_string())
                }
                Some((k, p)) => (k.to_ascii_lowercase(), p.trim().to_string()),
                None => (line.trim().to_ascii_lowercase(), String::new()),
            };
            let well_formed = keyword.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && keyword.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !well_formed {
                continue;
            }
            match found.iter_mut().find(|(k, _)| *k == keyword) {
                // AUTH may be announced twice (`AUTH PLAIN` and `AUTH=PLAIN`): one list.
                Some((_, existing)) if keyword == "auth" => {
                    for mechanism in params.split_whitespace() {
                        if !existing.split_whitespace().any(|m| m.eq_ignore_ascii_case(mechanism)) {
                            existing.push(' ');
                            existing.push_str(mechanism);
                        }
                    }
                }
                Some((_, existing)) => *existing = params,
                None => found.push((keyword, params)),
            }
        }
        Features(found)
    }

    /// The parameters of `name` (case-insensitive), if announced.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether `name` was announced.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The AUTH mechanisms offered, upper-cased.
    pub fn auth_mechanisms(&self) -> Vec<String> {
        self.get("auth").map(|m| m.split_whitespace().map(|w| w.to_ascii_uppercase()).collect()).unwrap_or_default()
    }
}

/// A lettre reply as `Reply`.
pub fn reply_of(response: &Response) -> Reply {
    Reply { code: code_number(&response.code()), message: response.message().collect::<Vec<_>>().join("\n") }
}

/// A reply code's number.
pub fn code_number(code: &impl std::fmt::Display) -> u16 {
    code.to_string().parse().unwrap_or(0)
}

/// The complete replies in `bytes` (what was read before lettre dropped it), in order: each
/// is lines of `DDD-text` ending with one of `DDD text` (or `DDD`). Reading stops at the
/// first line that is not of that form.
pub fn replies_in(bytes: &[u8]) -> Vec<Reply> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in text.split_inclusive('\n') {
        let Some(line) = line.strip_suffix('\n') else { break };
        let line = line.strip_suffix('\r').unwrap_or(line);
        let code = line.get(..3).filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
        let (Some(code), sep) = (code, line.as_bytes().get(3)) else { break };
        match sep {
            Some(b'-') => lines.push(&line[4..]),
            Some(b' ') | None => {
                lines.push(line.get(4..).unwrap_or(""));
                out.push(Reply { code: code.parse().unwrap_or(0), message: lines.join("\n") });
                lines.clear();
            }
            Some(_) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ehlo(lines: &[&str]) -> Features {
        Features::from_ehlo(&Reply { code: 250, message: lines.join("\n") })
    }

    #[test]
    fn extensions_are_read_as_smtplib_reads_them() {
        let f = ehlo(&[
            "mail.example.test",
            "PIPELINING",
            "SIZE 10240000",
            "AUTH PLAIN LOGIN",
            "AUTH=LOGIN XOAUTH2",
            "8BITMIME",
            "!not-a-keyword",
        ]);
        assert_eq!(f.get("size"), Some("10240000"));
        assert_eq!(f.get("Pipelining"), Some(""));
        assert_eq!(f.auth_mechanisms(), ["PLAIN", "LOGIN", "XOAUTH2"]);
        assert!(f.has("8bitmime"));
        assert!(!f.has("starttls"));
        assert!(f.0.iter().all(|(k, _)| !k.contains('!')));
    }

    #[test]
    fn captured_replies_are_split() {
        let got = replies_in(b"220 hi there\r\n250-mail.example.test\r\n250-SIZE 10\r\n250 8BITMIME\r\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Reply { code: 220, message: "hi there".into() });
        assert_eq!(got[1].message, "mail.example.test\nSIZE 10\n8BITMIME");
        assert!(replies_in(b"garbage\r\n").is_empty());
    }
}
