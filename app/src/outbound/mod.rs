//! The outbound URL policy: which hosts Loupe's own HTTP requests (webhook deliveries) may reach.
//!
//! A webhook URL is typed by an admin or sent by an admin-scoped token, and Loupe then makes
//! requests to it from inside the network it runs in. Without a rule that is server-side request
//! forgery: `http://169.254.169.254/` reads cloud credentials, `http://127.0.0.1:5432/` probes
//! the database. So by default only public unicast addresses are reachable. Refused:
//! loopback, private (RFC 1918), shared/CGNAT, link-local (the cloud metadata address among
//! them), unique-local, multicast, unspecified, broadcast, documentation, benchmarking and other
//! reserved ranges, IPv6 outside global unicast, and the IPv6 forms that embed a refused IPv4
//! address (mapped, compatible, 6to4). The names `localhost` and `*.localhost` are refused
//! without asking DNS (RFC 6761 says they are loopback whatever a resolver answers).
//!
//! The rule is applied twice: at registration ([`Policy::check_registration`]: the URL's shape,
//! its host as written, and whatever the name resolves to right now) and at connect time
//! ([`Policy::check_url`] for the host as written plus [`Policy::resolve`], which the webhook
//! client uses as its DNS resolver, so it only ever connects to an address checked here; a name
//! that resolved to a public address at registration and to an internal one later, DNS
//! rebinding, is refused then).
//!
//! Hosts are read with the WHATWG URL parser (the `url` crate) that the HTTP client itself uses,
//! so every spelling of an IPv4 address it understands (`2130706433`, `0x7f.1`, `0177.0.0.1`,
//! `127.1`) is checked as the address it becomes.
//!
//! An operator may admit otherwise refused targets with an allow-list (`LOUPE_WEBHOOK_ALLOW`):
//! networks in CIDR notation, exact host names, or `*.suffix` for every name under a domain.
//! Loupe's own tests use it for their receiver on 127.0.0.1.

mod addresses;

use crate::client_addr::IpNet;
pub use addresses::forbidden;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// How long registration waits for a name to resolve before accepting it unchecked (the
/// connect-time check still applies to every delivery).
const REGISTRATION_LOOKUP: Duration = Duration::from_secs(3);

/// One allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    /// Addresses in this network.
    Net(IpNet),
    /// This exact host name (lowercase, no trailing dot).
    Host(String),
    /// Every name ending in `.suffix` (written `*.suffix`).
    Suffix(String),
}

impl FromStr for Allow {
    type Err = String;

    /// `10.0.0.0/8`, `192.0.2.7`, `fd00::/8`, `hooks.internal`, `*.corp.example`.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if raw.parse::<IpAddr>().is_ok() || raw.contains('/') {
            return raw.parse::<IpNet>().map(Allow::Net);
        }
        let name = raw.trim_end_matches('.').to_ascii_lowercase();
        let (wild, name) = match name.strip_prefix("*.") {
            Some(rest) => (true, rest.to_owned()),
            None => (false, name),
        };
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
            return Err(format!(
                "{raw:?} is not a network (CIDR), an IP address, a host name or *.domain"
            ));
        }
        Ok(if wild {
            Allow::Suffix(name)
        } else {
            Allow::Host(name)
        })
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allow::Net(net) => net.fmt(f),
            Allow::Host(name) => f.write_str(name),
            Allow::Suffix(name) => write!(f, "*.{name}"),
        }
    }
}

/// The allow-list as an operator writes it: entries separated by commas; empty entries (an
/// empty `LOUPE_WEBHOOK_ALLOW=`) are nothing, not an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(pub Vec<Allow>);

impl FromStr for AllowList {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Allow>, String>>()
            .map(AllowList)
    }
}

/// Why a target was refused; `rule` completes the sentence "url …" for a 422.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub rule: String,
}

impl Refused {
    fn new(rule: impl Into<String>) -> Self {
        Refused { rule: rule.into() }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused by the outbound policy: url {}", self.rule)
    }
}

impl std::error::Error for Refused {}

/// The sentence every refusal ends with, so an admin knows the way out.
const WAY_OUT: &str =
    "webhooks go only to public addresses unless LOUPE_WEBHOOK_ALLOW admits the target";

/// What a URL's host is, once its shape passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An IP literal (in any spelling), already checked.
    Ip(IpAddr),
    /// A name to resolve; `allowed` when the allow-list names it (then any address it resolves
    /// to is admitted).
    Name { host: String, allowed: bool },
}

/// The outbound policy: the built-in refusals and the operator's allow-list. The default allows
/// nothing extra.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    allow: Vec<Allow>,
}

impl Policy {
    /// The built-in rule plus these exceptions.
    pub fn new(allow: Vec<Allow>) -> Self {
        Policy { allow }
    }

    /// The allow-list, as configured.
    pub fn allowances(&self) -> &[Allow] {
        &self.allow
    }

    /// Whether a connection to `ip` is allowed: public, or in an allow-listed network.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        forbidden(ip).is_none() || self.allow_lists_ip(ip)
    }

    fn allow_lists_ip(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|a| match a {
            Allow::Net(net) => net.contains(ip),
            _ => false,
        })
    }

    /// Whether the allow-list names `host` (lowercase, trailing dot ignored).
    pub fn allow_lists_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.allow.iter().any(|a| match a {
            Allow::Host(name) => *name == host,
            Allow::Suffix(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.ends_with('.')),
            Allow::Net(_) => false,
        })
    }

    /// The checks that need no DNS: scheme, no user name or password, and the host as written
    /// (an IP literal in any spelling, or a `localhost` name).
    pub fn check_url(&self, raw: &str) -> Result<Target, Refused> {
        let url = url::Url::parse(raw.trim())
            .map_err(|_| Refused::new("must be an http:// or https:// URL with a host"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::new(
                "must be an http:// or https:// URL with a host",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::new(
                "must not contain a user name or password (put credentials in the secret)",
            ));
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)).map(Target::Ip),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)).map(Target::Ip),
            Some(url::Host::Domain(host)) if !host.is_empty() => {
                let allowed = self.allow_lists_name(host);
                if !allowed && is_localhost(host) {
                    return Err(Refused::new(format!(
                        "must not point at localhost (a loopback name); {WAY_OUT}"
                    )));
                }
                Ok(Target::Name {
                    host: host.to_owned(),
                    allowed,
                })
            }
            _ => Err(Refused::new(
                "must be an http:// or https:// URL with a host",
            )),
        }
    }

    fn check_ip(&self, ip: IpAddr) -> Result<IpAddr, Refused> {
        match forbidden(ip) {
            Some(kind) if !self.allow_lists_ip(ip) => Err(Refused::new(format!(
                "must not point at {kind} ({ip}); {WAY_OUT}"
            ))),
            _ => Ok(ip),
        }
    }

    /// At registration: [`Policy::check_url`], then, for a name the allow-list does not name,
    /// every address it resolves to now must be allowed. A name that does not resolve (yet) is
    /// accepted: every delivery is checked again when it connects.
    pub async fn check_registration(&self, raw: &str) -> Result<(), Refused> {
        let Target::Name { host, allowed } = self.check_url(raw)? else {
            return Ok(());
        };
        if allowed {
            return Ok(());
        }
        let lookup = tokio::net::lookup_host((host.as_str(), 0));
        if let Ok(Ok(addrs)) = tokio::time::timeout(REGISTRATION_LOOKUP, lookup).await {
            for addr in addrs {
                if !self.allows_ip(addr.ip()) {
                    // Which address is not said: the name's internal address is no business of
                    // the caller's.
                    return Err(Refused::new(format!(
                        "must name a host that resolves only to public addresses; {WAY_OUT}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// At connect time: the addresses of `host` a connection may use (all of them for an
    /// allow-listed name, else the allowed ones); refused when none is left. The webhook
    /// client's DNS resolver, so no request reaches an address this did not return.
    pub async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, Refused> {
        let allowed = self.allow_lists_name(host);
        if !allowed && is_localhost(host) {
            return Err(Refused::new(format!(
                "must not point at localhost; {WAY_OUT}"
            )));
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|_| Refused::new("names a host that does not resolve"))?
            .collect();
        let kept: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| allowed || self.allows_ip(a.ip()))
            .collect();
        if kept.is_empty() {
            return Err(Refused::new(format!(
                "must name a host that resolves to a public address; {WAY_OUT}"
            )));
        }
        Ok(kept)
    }
}

/// `localhost`, `localhost.` and every name under `.localhost`, in any case.
pub fn is_localhost(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_spelling_of_a_loopback_host_is_refused() {
        let policy = Policy::default();
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost:8080/x",
            "http://0/",
        ] {
            let refused = policy.check_url(url).expect_err(url);
            assert!(
                refused.rule.contains("LOUPE_WEBHOOK_ALLOW"),
                "{url}: {}",
                refused.rule
            );
        }
    }

    #[test]
    fn urls_with_credentials_or_other_schemes_are_refused() {
        let policy = Policy::default();
        for url in [
            "http://user:pw@example.com/",
            "https://user@example.com/",
            "ftp://example.com/",
            "file:///etc/passwd",
            "http:///",
        ] {
            assert!(policy.check_url(url).is_err(), "{url}");
        }
        assert_eq!(
            policy.check_url("https://hooks.example.com/x"),
            Ok(Target::Name {
                host: "hooks.example.com".into(),
                allowed: false
            })
        );
    }

    #[test]
    fn the_allow_list_admits_networks_and_names_and_nothing_else() {
        let allow: Vec<Allow> = [
            "127.0.0.1/32",
            "fd00::/8",
            "hooks.internal",
            "*.corp.example",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let policy = Policy::new(allow);
        assert!(policy.check_url("http://127.0.0.1:9/hook").is_ok());
        assert!(policy.check_url("http://2130706433/").is_ok());
        assert!(policy.check_url("http://127.0.0.2/").is_err());
        assert!(policy.check_url("http://[fd00::1]/").is_ok());
        assert!(policy.check_url("http://10.0.0.1/").is_err());
        assert!(policy.allow_lists_name("HOOKS.internal."));
        assert!(policy.allow_lists_name("a.b.corp.example"));
        assert!(!policy.allow_lists_name("corp.example"));
        assert!(!policy.allow_lists_name("evilcorp.example"));
        assert!(!policy.allow_lists_name("hooks.internal.evil"));
        assert!(policy.allows_ip(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn allow_entries_parse_networks_and_names_and_refuse_nonsense() {
        assert_eq!(
            "10.0.0.0/8".parse::<Allow>().unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            "Hooks.Internal.".parse::<Allow>().unwrap(),
            Allow::Host("hooks.internal".into())
        );
        assert_eq!(
            "*.corp.example".parse::<Allow>().unwrap(),
            Allow::Suffix("corp.example".into())
        );
        for bad in [
            "",
            "10.0.0.1/8",
            "exa mple",
            "-bad.example",
            "*.",
            "http://x",
        ] {
            assert!(bad.parse::<Allow>().is_err(), "{bad:?}");
        }
        assert_eq!("".parse::<AllowList>(), Ok(AllowList(vec![])));
        let list: AllowList = " 127.0.0.1/32, ,hooks.internal,".parse().unwrap();
        assert_eq!(list.0.len(), 2);
        assert!("127.0.0.1/32,nonsense!".parse::<AllowList>().is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_at_registration_and_connect() {
        // `localhost` is refused by name; the resolver-level rule is what catches a name that
        // is not spelled like one but resolves to loopback.
        let policy = Policy::default();
        assert!(policy.resolve("localhost").await.is_err());
        let lenient = Policy::new(vec!["localhost".parse().unwrap()]);
        assert!(!lenient.resolve("localhost").await.unwrap().is_empty());
        let nets = Policy::new(vec![
            "127.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ]);
        // Allowed by network, but still refused by name without the name on the list.
        assert!(nets.resolve("localhost").await.is_err());
    }
}
