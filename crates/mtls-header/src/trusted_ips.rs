//! Kong's `trusted_ips` and `secure_source`: which directly connected peers may send a
//! certificate header at all (RFC 9440 section 4: "neglecting to prevent field injection does
//! not 'fail safe'").

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::error::ConfigError;

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack socket reports for an
/// IPv4 peer) as the IPv4 address they carry; everything else unchanged.
pub fn normalise(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A list of CIDR blocks (IPv4 and IPv6). Entries inside `::ffff:0:0/96` are stored as the
/// IPv4 blocks they map, and peers are normalised the same way, so `10.0.0.0/8` matches a peer
/// seen as `::ffff:10.1.2.3` and `::ffff:10.0.0.0/104` matches `10.1.2.3`.
///
/// Empty by default: nothing is trusted (Kong's default).
///
/// ```
/// use mtls_header::TrustedIps;
/// let trusted = TrustedIps::parse(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])?;
/// assert!(trusted.contains("10.9.8.7".parse().unwrap()));
/// assert!(trusted.contains("::ffff:10.9.8.7".parse().unwrap()));
/// assert!(trusted.contains("2001:db8::1".parse().unwrap()));
/// assert!(trusted.contains("192.0.2.7".parse().unwrap()));
/// assert!(!trusted.contains("192.0.2.8".parse().unwrap()));
/// # Ok::<(), mtls_header::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedIps {
    v4: Vec<Ipv4Net>,
    v6: Vec<Ipv6Net>,
}

impl TrustedIps {
    /// No trusted address.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses Kong's `trusted_ips`: each entry an IP address (a single host) or a CIDR block.
    /// Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse<I, S>(entries: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Self::default();
        for (index, entry) in entries.into_iter().enumerate() {
            let text = entry.as_ref().trim();
            let net = IpNet::from_str(text)
                .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
                .map_err(|_| ConfigError::InvalidTrustedIp {
                    index,
                    entry: entry.as_ref().to_owned(),
                })?;
            out.push(net);
        }
        Ok(out)
    }

    /// Adds one block.
    pub fn push(&mut self, net: IpNet) {
        match net.trunc() {
            IpNet::V4(v4) => self.v4.push(v4),
            IpNet::V6(v6) => match (v6.addr().to_ipv4_mapped(), v6.prefix_len()) {
                (Some(v4), len @ 96..=128) => {
                    // In range by the match arm: 0..=32.
                    if let Ok(net) = Ipv4Net::new(v4, len - 96) {
                        self.v4.push(net.trunc());
                    }
                }
                _ => self.v6.push(v6),
            },
        }
    }

    /// The blocks, as CIDR text (`10.0.0.0/8`), IPv4 first.
    pub fn entries(&self) -> impl Iterator<Item = String> + '_ {
        self.v4
            .iter()
            .map(ToString::to_string)
            .chain(self.v6.iter().map(ToString::to_string))
    }

    /// Whether no address is trusted.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether `peer` (normalised) is inside one of the blocks.
    pub fn contains(&self, peer: IpAddr) -> bool {
        match normalise(peer) {
            IpAddr::V4(a) => self.v4.iter().any(|n| n.contains(&a)),
            IpAddr::V6(a) => self.v6.iter().any(|n| n.contains(&a)),
        }
    }
}

/// Kong's `secure_source` with its `trusted_ips`: whether a peer may send the header.
///
/// With `secure_source` on (the default) only peers in `trusted_ips` may; the others get 403
/// "Forbidden" before anything is decoded. Turning it off trusts the header from ANY peer: a
/// client that reaches the gateway directly can then claim any certificate. Only do that when
/// the network guarantees that every connection comes through a proxy that always overwrites
/// the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePolicy {
    secure_source: bool,
    trusted_ips: TrustedIps,
}

impl Default for SourcePolicy {
    fn default() -> Self {
        Self::secure(TrustedIps::new())
    }
}

impl SourcePolicy {
    /// `secure_source = true` with these `trusted_ips` (Kong's default, with an empty list:
    /// every peer refused).
    pub fn secure(trusted_ips: TrustedIps) -> Self {
        Self {
            secure_source: true,
            trusted_ips,
        }
    }

    /// `secure_source = false`: DANGEROUS, every peer may send the header (see the type's
    /// docs).
    pub fn insecure_any_source() -> Self {
        Self {
            secure_source: false,
            trusted_ips: TrustedIps::new(),
        }
    }

    /// Whether `secure_source` is on.
    pub fn secure_source(&self) -> bool {
        self.secure_source
    }

    /// The trusted blocks.
    pub fn trusted_ips(&self) -> &TrustedIps {
        &self.trusted_ips
    }

    /// Whether the directly connected `peer` may send the header.
    pub fn allows(&self, peer: IpAddr) -> bool {
        !self.secure_source || self.trusted_ips.contains(peer)
    }
}

/// Written as the list of its blocks (`["10.0.0.0/8", "::1/128"]`), read as Kong's
/// `trusted_ips` list ([`TrustedIps::parse`]).
impl serde::Serialize for TrustedIps {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.entries())
    }
}

impl<'de> serde::Deserialize<'de> for TrustedIps {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = Vec::<String>::deserialize(deserializer)?;
        Self::parse(&entries).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn mapped_entries_and_peers_meet() {
        let t = TrustedIps::parse(["::ffff:10.0.0.0/104", "::ffff:192.0.2.1"]).unwrap();
        assert!(t.contains(ip("10.200.0.1")));
        assert!(t.contains(ip("::ffff:10.200.0.1")));
        assert!(t.contains(ip("192.0.2.1")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(
            !t.contains(ip("::10.200.0.1")),
            "IPv4-compatible is not mapped"
        );
    }

    #[test]
    fn host_bits_and_bad_entries() {
        let t = TrustedIps::parse(["10.1.2.3/8", " 2001:db8::1/64 "]).unwrap();
        assert!(t.contains(ip("10.255.0.0")));
        assert!(t.contains(ip("2001:db8::ffff")));
        assert_eq!(
            TrustedIps::parse(["10.0.0.0/8", "nope"]).unwrap_err(),
            ConfigError::InvalidTrustedIp {
                index: 1,
                entry: "nope".into()
            }
        );
        assert!(TrustedIps::parse(["10.0.0.0/33"]).is_err());
    }

    #[test]
    fn policy() {
        assert!(!SourcePolicy::default().allows(ip("127.0.0.1")));
        assert!(SourcePolicy::insecure_any_source().allows(ip("203.0.113.9")));
        let p = SourcePolicy::secure(TrustedIps::parse(["0.0.0.0/0"]).unwrap());
        assert!(p.allows(ip("::ffff:203.0.113.9")));
        assert!(!p.allows(ip("2001:db8::1")));
    }
}
