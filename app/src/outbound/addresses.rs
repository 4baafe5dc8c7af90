//! Which IP addresses are not public: the ranges the outbound policy refuses unless an operator
//! allow-lists them, in both families, with IPv4 addresses written as IPv6 judged by the IPv4
//! address inside.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kind of non-public address `ip` is, or `None` for a public unicast address. IPv4
/// addresses written as IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, 6to4
/// `2002:AABB:CCDD::`, NAT64 `64:ff9b::a.b.c.d`) are judged by the IPv4 address inside.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "an unspecified address (0.0.0.0/8)"),
        ([10, 0, 0, 0], 8, "a private address (10.0.0.0/8)"),
        (
            [100, 64, 0, 0],
            10,
            "a shared (CGNAT) address (100.64.0.0/10)",
        ),
        ([127, 0, 0, 0], 8, "a loopback address (127.0.0.0/8)"),
        (
            [169, 254, 0, 0],
            16,
            "a link-local address (169.254.0.0/16, cloud metadata among them)",
        ),
        ([172, 16, 0, 0], 12, "a private address (172.16.0.0/12)"),
        ([192, 0, 0, 0], 24, "a reserved address (192.0.0.0/24)"),
        ([192, 0, 2, 0], 24, "a documentation address (192.0.2.0/24)"),
        ([192, 88, 99, 0], 24, "a reserved address (192.88.99.0/24)"),
        ([192, 168, 0, 0], 16, "a private address (192.168.0.0/16)"),
        (
            [198, 18, 0, 0],
            15,
            "a benchmarking address (198.18.0.0/15)",
        ),
        (
            [198, 51, 100, 0],
            24,
            "a documentation address (198.51.100.0/24)",
        ),
        (
            [203, 0, 113, 0],
            24,
            "a documentation address (203.0.113.0/24)",
        ),
        ([224, 0, 0, 0], 4, "a multicast address (224.0.0.0/4)"),
        (
            [240, 0, 0, 0],
            4,
            "a reserved or broadcast address (240.0.0.0/4)",
        ),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, kind)| *kind)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    let seg = ip.segments();
    let embedded = |v4: u32| forbidden_v4(Ipv4Addr::from(v4));
    if ip.is_unspecified() {
        return Some("an unspecified address (::)");
    }
    if ip.is_loopback() {
        return Some("a loopback address (::1)");
    }
    // ::a.b.c.d (deprecated "IPv4-compatible"): refused whatever it embeds; nothing public
    // is reached this way.
    if bits >> 32 == 0 {
        return Some("an IPv4-compatible IPv6 address (::/96)");
    }
    if seg[0] & 0xfe00 == 0xfc00 {
        return Some("a unique-local address (fc00::/7)");
    }
    if seg[0] & 0xffc0 == 0xfe80 {
        return Some("a link-local address (fe80::/10)");
    }
    if seg[0] & 0xffc0 == 0xfec0 {
        return Some("a site-local address (fec0::/10)");
    }
    if seg[0] & 0xff00 == 0xff00 {
        return Some("a multicast address (ff00::/8)");
    }
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return embedded(bits as u32);
    }
    // Global unicast is 2000::/3; everything else is reserved or unassigned.
    if seg[0] & 0xe000 != 0x2000 {
        return Some("a reserved IPv6 address (outside 2000::/3)");
    }
    if seg[0] == 0x2001 && seg[1] == 0x0db8 || seg[0] & 0xfff0 == 0x3ff0 {
        return Some("a documentation address (2001:db8::/32, 3fff::/20)");
    }
    if seg[0] == 0x2001 && seg[1] == 0 {
        return Some("a Teredo address (2001::/32)");
    }
    if seg[0] == 0x2001 && seg[1] == 2 && seg[2] == 0 {
        return Some("a benchmarking address (2001:2::/48)");
    }
    // 6to4 (2002::/16) carries an IPv4 address in bits 16-47.
    if seg[0] == 0x2002 {
        return embedded((u32::from(seg[1]) << 16) | u32::from(seg[2]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_and_reserved_addresses_are_forbidden_in_every_family() {
        for bad in [
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
        ] {
            assert!(forbidden(ip(bad)).is_some(), "{bad} should be forbidden");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for good in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "169.253.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(forbidden(ip(good)), None, "{good} should be allowed");
        }
    }
}
