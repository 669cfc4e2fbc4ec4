//! The permission checker behind `--allow-net`, `--allow-read`, `--allow-write`,
//! `--allow-env` and `--sandbox`.
//!
//! With no flag everything is allowed. Once any flag is given, each kind of access is
//! allowed only as its flag says: a flag with no list allows all of that kind, a list
//! allows what it names, and a missing flag allows nothing. Paths are compared in
//! canonical form (symlinks and `..` resolved), so a path cannot escape an allowed folder.

use netscript_sdk::error::CommonError;
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};

/// What one kind of access allows.
#[derive(Debug, Clone)]
enum Grant<T> {
    /// Everything of this kind.
    All,
    /// Only these entries (empty: nothing).
    Only(Vec<T>),
}

/// One `--allow-net` entry: a host name, an IP or a CIDR block, with an optional port.
#[derive(Debug, Clone)]
struct NetRule {
    target: NetTarget,
    port: Option<u16>,
}

#[derive(Debug, Clone)]
enum NetTarget {
    Name(String),
    Block(ipnet::IpNet),
}

/// The permission flags as given on the command line (`None`: flag absent,
/// `Some(empty)`: flag without a list).
#[derive(Debug, Default, Clone)]
pub struct PermissionFlags {
    pub allow_net: Option<Vec<String>>,
    pub allow_read: Option<Vec<String>>,
    pub allow_write: Option<Vec<String>>,
    pub allow_env: Option<Vec<String>>,
    pub sandbox: bool,
}

/// The checker every plugin asks before it touches the network, a file or the environment.
#[derive(Debug, Clone)]
pub struct Permissions {
    net: Grant<NetRule>,
    read: Grant<PathBuf>,
    write: Grant<PathBuf>,
    env: Grant<String>,
}

impl Permissions {
    /// Everything allowed (no flag given).
    pub fn allow_all() -> Self {
        Self { net: Grant::All, read: Grant::All, write: Grant::All, env: Grant::All }
    }

    /// Builds the checker from the flags; a malformed entry is a usage error.
    pub fn from_flags(flags: &PermissionFlags) -> Result<Self, String> {
        let any = flags.sandbox
            || flags.allow_net.is_some()
            || flags.allow_read.is_some()
            || flags.allow_write.is_some()
            || flags.allow_env.is_some();
        if !any {
            return Ok(Self::allow_all());
        }
        Ok(Self {
            net: grant(&flags.allow_net, parse_net_rule)?,
            read: grant(&flags.allow_read, |s| Ok(canonical_for_rule(s)))?,
            write: grant(&flags.allow_write, |s| Ok(canonical_for_rule(s)))?,
            env: grant(&flags.allow_env, |s| Ok(s.to_string()))?,
        })
    }

    /// May the script reach `host:port`? See [`netscript_sdk::Host::check_net`].
    pub fn check_net(&self, host: &str, port: u16, resolved: &[IpAddr]) -> Result<(), CommonError> {
        let rules = match &self.net {
            Grant::All => return Ok(()),
            Grant::Only(rules) => rules,
        };
        let host_ip: Option<IpAddr> = host.trim_start_matches('[').trim_end_matches(']').parse().ok();
        let name_allowed = rules.iter().any(|r| r.allows_port(port) && r.allows_name(host, host_ip));
        // A name asked about before it is resolved: may it be looked up at all? Only when a
        // rule could let it through (its own name, or an address block for that port); the
        // addresses are checked again once known. `--sandbox` sends no lookup anywhere.
        let maybe_by_address =
            resolved.is_empty() && host_ip.is_none() && rules.iter().any(|r| r.allows_port(port) && r.is_block());
        let ips_allowed = !resolved.is_empty()
            && resolved.iter().all(|ip| rules.iter().any(|r| r.allows_port(port) && r.allows_ip(*ip)));
        if name_allowed || ips_allowed || maybe_by_address {
            Ok(())
        } else {
            let shown = if host.contains(':') && host_ip.is_some() { format!("[{host}]") } else { host.to_string() };
            Err(CommonError::permission_denied(format!(
                "network access to {shown}:{port} is not allowed (run with --allow-net={shown}:{port})"
            )))
        }
    }

    /// May the script read `path`? Returns the canonical path.
    pub fn check_read(&self, path: &Path) -> Result<PathBuf, CommonError> {
        check_path(&self.read, path, "read", "--allow-read")
    }

    /// May the script write `path`? Returns the canonical path.
    pub fn check_write(&self, path: &Path) -> Result<PathBuf, CommonError> {
        check_path(&self.write, path, "write", "--allow-write")
    }

    /// May the script read the environment variable `name`?
    pub fn check_env(&self, name: &str) -> Result<(), CommonError> {
        match &self.env {
            Grant::All => Ok(()),
            Grant::Only(names) if names.iter().any(|n| n == name) => Ok(()),
            Grant::Only(_) => Err(CommonError::permission_denied(format!(
                "environment variable {name} is not allowed (run with --allow-env={name})"
            ))),
        }
    }
}

fn grant<T>(flag: &Option<Vec<String>>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Grant<T>, String> {
    match flag {
        None => Ok(Grant::Only(Vec::new())),
        Some(list) if list.iter().all(|s| s.trim().is_empty()) => Ok(Grant::All),
        Some(list) => list
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse(s.trim()))
            .collect::<Result<_, _>>()
            .map(Grant::Only),
    }
}

impl NetRule {
    fn is_block(&self) -> bool {
        matches!(self.target, NetTarget::Block(_))
    }
    fn allows_port(&self, port: u16) -> bool {
        self.port.is_none_or(|p| p == port)
    }
    fn allows_name(&self, host: &str, host_ip: Option<IpAddr>) -> bool {
        match (&self.target, host_ip) {
            (NetTarget::Name(name), _) => name.eq_ignore_ascii_case(host.trim_end_matches('.')),
            (NetTarget::Block(block), Some(ip)) => block.contains(&ip),
            (NetTarget::Block(_), None) => false,
        }
    }
    fn allows_ip(&self, ip: IpAddr) -> bool {
        match &self.target {
            NetTarget::Block(block) => block.contains(&ip),
            NetTarget::Name(_) => false,
        }
    }
}

/// Parses `host`, `host:port`, `1.2.3.4`, `10.0.0.0/8:443`, `[::1]:80` or `::1`.
fn parse_net_rule(entry: &str) -> Result<NetRule, String> {
    let bad = || format!("--allow-net: cannot read '{entry}' (use host, host:port, IP, CIDR or [IPv6]:port)");
    let (target, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (inner, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad())?),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (inner.to_string(), port)
    } else if entry.matches(':').count() > 1 {
        (entry.to_string(), None) // a bare IPv6 address or block
    } else if let Some((h, p)) = entry.rsplit_once(':') {
        (h.to_string(), Some(p.parse::<u16>().map_err(|_| bad())?))
    } else {
        (entry.to_string(), None)
    };
    if target.is_empty() {
        return Err(bad());
    }
    let target = if let Ok(block) = target.parse::<ipnet::IpNet>() {
        NetTarget::Block(block)
    } else if let Ok(ip) = target.parse::<IpAddr>() {
        NetTarget::Block(ipnet::IpNet::from(ip))
    } else {
        NetTarget::Name(target.trim_end_matches('.').to_ascii_lowercase())
    };
    Ok(NetRule { target, port })
}

/// An allowed folder or file in canonical form (as far as it exists).
fn canonical_for_rule(entry: &str) -> PathBuf {
    canonicalize_lenient(Path::new(entry))
}

/// Canonical form of `path`, component by component: every prefix that exists is resolved
/// (symlinks followed), `..` steps up from what was resolved so far, and the part that does
/// not exist yet is appended as written.
pub fn canonicalize_lenient(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")).join(path)
    };
    let mut current = PathBuf::from("/");
    let mut exists = true;
    for component in absolute.components() {
        match component {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                current.pop();
                // Back inside what exists: resolve what follows again (symlinks included).
                exists = current.exists();
            }
            Component::Normal(name) => {
                current.push(name);
                if exists {
                    match current.canonicalize() {
                        Ok(resolved) => current = resolved,
                        Err(_) => exists = false,
                    }
                }
            }
        }
    }
    current
}

fn check_path(grant: &Grant<PathBuf>, path: &Path, what: &str, flag: &str) -> Result<PathBuf, CommonError> {
    let canonical = canonicalize_lenient(path);
    match grant {
        Grant::All => Ok(canonical),
        Grant::Only(allowed) if allowed.iter().any(|a| canonical.starts_with(a)) => Ok(canonical),
        Grant::Only(_) => {
            let shown = path.display();
            let note =
                if canonical != path { format!(" (resolves to '{}')", canonical.display()) } else { String::new() };
            Err(CommonError::permission_denied(format!(
                "{what} access to '{shown}'{note} is not allowed (run with {flag}=PATH)"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(net: Option<&[&str]>) -> PermissionFlags {
        PermissionFlags { allow_net: net.map(|l| l.iter().map(|s| s.to_string()).collect()), ..Default::default() }
    }

    #[test]
    fn no_flag_allows_everything() {
        let p = Permissions::from_flags(&PermissionFlags::default()).unwrap();
        assert!(p.check_net("example.com", 25, &[]).is_ok());
        assert!(p.check_env("PATH").is_ok());
    }

    #[test]
    fn net_rules_match_names_ports_ips_and_blocks() {
        let p = Permissions::from_flags(&flags(Some(&["127.0.0.1:7007", "example.com", "10.0.0.0/8", "[::1]:80"])))
            .unwrap();
        assert!(p.check_net("127.0.0.1", 7007, &[]).is_ok());
        assert!(p.check_net("127.0.0.1", 7008, &[]).is_err());
        assert!(p.check_net("localhost", 7007, &["127.0.0.1".parse().unwrap()]).is_ok());
        assert!(p.check_net("localhost", 7007, &["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]).is_err());
        assert!(p.check_net("EXAMPLE.com", 443, &[]).is_ok());
        assert!(p.check_net("10.2.3.4", 22, &[]).is_ok());
        assert!(p.check_net("::1", 80, &[]).is_ok());
        let err = p.check_net("evil.test", 80, &["192.0.2.1".parse().unwrap()]).unwrap_err();
        assert!(err.message.contains("evil.test:80"), "{}", err.message);
        // Before a lookup: a name may be looked up when an address block could admit it...
        assert!(p.check_net("evil.test", 80, &[]).is_ok());
        // ...and not when no rule could (no block, or none for that port).
        let names_only = Permissions::from_flags(&flags(Some(&["example.com", "10.0.0.0/8:22"]))).unwrap();
        assert!(names_only.check_net("evil.test", 80, &[]).is_err());
        assert!(names_only.check_net("evil.test", 22, &[]).is_ok());
        let no_net = PermissionFlags { allow_env: Some(vec![]), ..Default::default() };
        assert!(Permissions::from_flags(&no_net).unwrap().check_net("evil.test", 80, &[]).is_err());
        // Any other flag alone denies the network.
        let only_env = PermissionFlags { allow_env: Some(vec![]), ..Default::default() };
        assert!(Permissions::from_flags(&only_env).unwrap().check_net("127.0.0.1", 1, &[]).is_err());
    }

    #[test]
    fn malformed_net_entries_are_usage_errors() {
        assert!(Permissions::from_flags(&flags(Some(&["host:notaport"]))).is_err());
        assert!(Permissions::from_flags(&flags(Some(&["[::1"]))).is_err());
    }

    #[test]
    fn dotdot_and_symlinks_cannot_escape() {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join("allowed");
        std::fs::create_dir(&allowed).unwrap();
        std::os::unix::fs::symlink("/etc", allowed.join("link")).unwrap();
        let f = PermissionFlags { allow_read: Some(vec![allowed.display().to_string()]), ..Default::default() };
        let p = Permissions::from_flags(&f).unwrap();
        assert!(p.check_read(&allowed.join("new.txt")).is_ok());
        assert!(p.check_read(&allowed.join("../outside.txt")).is_err());
        assert!(p.check_read(&allowed.join("link/passwd")).is_err());
        assert!(p.check_read(&allowed.join("missing/../../x")).is_err());
        assert!(p.check_read(&allowed.join("missing/../link/passwd")).is_err());
        assert!(p.check_read(&allowed.join("missing/../inside.txt")).is_ok());
    }
}
