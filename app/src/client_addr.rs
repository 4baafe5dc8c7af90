//! Who is on the other end of a request: the client address that login throttling counts and
//! the logs name.
//!
//! The address is the TCP peer's, unless the peer is a proxy the operator listed as trusted
//! (`--trusted-proxies`); only then is `X-Forwarded-For` read, from the right, and the first
//! address not itself a trusted proxy is the client. Everything left of that entry was written by
//! the client and is ignored: believing the leftmost entry would let anyone pick the address
//! they are throttled as.

use http::HeaderMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or one address (`192.0.2.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    /// The network address, host bits cleared.
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` lies in this network. An IPv4 address written as IPv6 (`::ffff:10.0.0.1`,
    /// what a dual-stack listener reports) counts as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask_v4(ip, self.prefix) == net,
            (IpAddr::V6(net), IpAddr::V6(ip)) => mask_v6(ip, self.prefix) == net,
            _ => false,
        }
    }
}

fn mask_v4(ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let bits = u32::from(ip);
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    Ipv4Addr::from(bits & mask)
}

fn mask_v6(ip: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let bits = u128::from(ip);
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    Ipv6Addr::from(bits & mask)
}

impl FromStr for IpNet {
    type Err = String;

    /// Parses `address` or `address/prefix`. Host bits under the prefix must be zero, so a typo
    /// such as `10.0.0.1/8` is reported rather than silently widened or narrowed.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or network (CIDR)"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{raw:?}: the prefix length must be 0 to {max}"))?,
        };
        let net = match addr {
            IpAddr::V4(ip) => IpAddr::V4(mask_v4(ip, prefix)),
            IpAddr::V6(ip) => IpAddr::V6(mask_v6(ip, prefix)),
        };
        if net != addr {
            return Err(format!(
                "{raw:?} has host bits set; did you mean {net}/{prefix}?"
            ));
        }
        Ok(IpNet { addr: net, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty by default: the peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trusts the given networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }
}

/// The client's address: `peer` itself unless it is a trusted proxy, then the rightmost address
/// in `X-Forwarded-For` that is not a trusted proxy. An entry that is not an address (`unknown`,
/// garbage) stops the walk at the last address a trusted hop vouched for.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    // Several X-Forwarded-For headers are one list, in order (RFC 9110, 5.3).
    let values: Vec<&str> = match headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str())
        .collect::<Result<_, _>>()
    {
        Ok(values) => values,
        Err(_) => return peer,
    };
    let mut client = peer;
    for entry in values.iter().rev().copied().flat_map(|v| v.rsplit(',')) {
        match parse_entry(entry) {
            Some(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    return ip;
                }
            }
            None => return client,
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:443`), as some proxies write it.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The key one client is throttled under: an IPv4 address, or an IPv6 address's /64 network
/// (one subscriber usually holds a whole /64, so counting single IPv6 addresses would let one
/// client rotate through 2^64 of them).
pub fn throttle_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("{}/64", mask_v6(ip, 64)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn networks_parse_and_contain_their_addresses() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(
            net.contains(ip("::ffff:10.1.0.9")),
            "IPv4-mapped IPv6 counts as IPv4"
        );
        let one: IpNet = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")) && !all.contains(ip("::1")));
        assert_eq!(net.to_string(), "10.1.0.0/16");
    }

    #[test]
    fn malformed_networks_are_refused_with_a_reason() {
        assert!(
            "10.0.0.1/8"
                .parse::<IpNet>()
                .unwrap_err()
                .contains("host bits")
        );
        assert!(
            "10.0.0.0/33"
                .parse::<IpNet>()
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!("proxy.local".parse::<IpNet>().is_err());
        assert!("".parse::<IpNet>().is_err());
    }

    #[test]
    fn forwarded_for_is_ignored_when_the_peer_is_not_trusted() {
        let headers = forwarded(&["198.51.100.1"]);
        assert_eq!(
            client_ip(ip("203.0.113.5"), &headers, &TrustedProxies::default()),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(ip("203.0.113.5"), &headers, &trusted(&["10.0.0.0/8"])),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn the_rightmost_untrusted_forwarded_address_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8"]);
        // The client forged the first entry; the proxy appended the real peer.
        let headers = forwarded(&["1.2.3.4, 198.51.100.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers, &proxies),
            ip("198.51.100.1")
        );
        // Two trusted hops, and the list split over two headers.
        let headers = forwarded(&["1.2.3.4, 198.51.100.1", "10.0.0.3"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers, &proxies),
            ip("198.51.100.1")
        );
        // Ports and bracketed IPv6 are understood.
        let headers = forwarded(&["[2001:db8::1]:443"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers, &proxies),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn garbage_or_a_missing_header_leaves_the_last_vouched_address() {
        let proxies = trusted(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &proxies),
            ip("10.0.0.2")
        );
        let headers = forwarded(&["unknown, 10.0.0.9"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers, &proxies),
            ip("10.0.0.9")
        );
    }

    #[test]
    fn ipv6_clients_are_throttled_by_their_64_network() {
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:bbbb::9")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(throttle_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }
}
