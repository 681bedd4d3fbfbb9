//! SNI patterns as written on routes: validation and normalisation, Kong's rules.
//!
//! A route's `snis` element is one of:
//! - an exact name, `api.example.com`;
//! - a leading wildcard, `*.example.com`, stored as the suffix `.example.com`: it matches any
//!   name that ends with it, across several labels (`a.b.example.com`), never `example.com`;
//! - a trailing wildcard, `example.*`, stored as the prefix `example.`: it matches any name that
//!   starts with it (`example.com`, `example.co.uk`).
//!
//! Validation follows Kong's `wildcard_host` type: at most one `*`, only as the leftmost or
//! rightmost character, no IP address, no port. As in Kong, the wildcard need not be a whole
//! label: `*example.com` is the suffix `example.com` (it matches `example.com` and
//! `myexample.com`), `example*` the prefix `example`, and a lone `*` the empty suffix, which
//! matches every name a client sends (but not a ClientHello without SNI).
//!
//! Beyond Kong: the pattern is lowered to ASCII lower case (Kong compares as written), one
//! trailing dot is ignored, and the characters are restricted to those of DNS names (`a-z`,
//! `0-9`, `-`, `_`, `.`), with no empty label, labels of at most 63 bytes and at most 253 bytes
//! in all, since no other name can reach the gateway in a ClientHello.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::SniError;

/// The longest DNS name, in bytes, without a trailing dot (RFC 1035).
pub const MAX_NAME_LEN: usize = 253;

/// The longest DNS label, in bytes (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// A validated, normalised SNI pattern (one element of a route's `snis`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SniPattern {
    /// An exact name, lower case, without trailing dot.
    Exact(Box<str>),
    /// From a leading `*`: matches the names that end with this string (`.example.com` for
    /// `*.example.com`; empty for a lone `*`).
    Suffix(Box<str>),
    /// From a trailing `*`: matches the names that start with this string (`example.` for
    /// `example.*`).
    Prefix(Box<str>),
}

impl SniPattern {
    /// Validates and normalises one SNI as written on a route.
    ///
    /// ```
    /// use mtls_sni::SniPattern;
    ///
    /// assert_eq!(SniPattern::parse("*.Example.COM.").unwrap(), SniPattern::Suffix(".example.com".into()));
    /// assert_eq!(SniPattern::parse("example.*").unwrap(), SniPattern::Prefix("example.".into()));
    /// assert!(SniPattern::parse("a.*.com").is_err());
    /// assert!(SniPattern::parse("example.com:443").is_err());
    /// ```
    pub fn parse(sni: &str) -> Result<Self, SniError> {
        // One trailing dot (the DNS root) is ignored, as it is on the ClientHello side.
        let s = sni.strip_suffix('.').unwrap_or(sni);
        if s.is_empty() {
            return Err(SniError::Empty);
        }

        // Kong's order: the first wildcard's position, then the count.
        let bytes = s.as_bytes();
        if let Some(index) = s.find('*') {
            if index != 0 && index != bytes.len() - 1 {
                return Err(SniError::WildcardPosition { index });
            }
            if s.bytes().filter(|&b| b == b'*').count() > 1 {
                return Err(SniError::MultipleWildcards);
            }
        }

        let (kind, fixed, offset) = if let Some(rest) = s.strip_prefix('*') {
            (Kind::Suffix, rest, 1)
        } else if let Some(rest) = s.strip_suffix('*') {
            (Kind::Prefix, rest, 0)
        } else {
            (Kind::Exact, s, 0)
        };

        if kind == Kind::Exact && is_ip_address(fixed) {
            return Err(SniError::IpAddress);
        }
        if fixed.contains(':') {
            return Err(colon_error(fixed, offset));
        }

        let mut normalised = String::with_capacity(fixed.len());
        for (i, ch) in fixed.char_indices() {
            let lower = ch.to_ascii_lowercase();
            match lower {
                'a'..='z' | '0'..='9' | '-' | '_' | '.' => normalised.push(lower),
                _ => {
                    return Err(SniError::InvalidCharacter {
                        ch,
                        index: i + offset,
                    });
                }
            }
        }

        if normalised.len() > MAX_NAME_LEN {
            return Err(SniError::TooLong {
                len: normalised.len(),
            });
        }

        // The labels that must be whole: a dot next to the wildcard belongs to it.
        let labels = match kind {
            Kind::Exact => Some(normalised.as_str()),
            Kind::Suffix => match normalised.strip_prefix('.') {
                Some(rest) => Some(rest),
                // A lone `*` (empty suffix) has no label to check.
                None if normalised.is_empty() => None,
                None => Some(normalised.as_str()),
            },
            Kind::Prefix => Some(normalised.strip_suffix('.').unwrap_or(&normalised)),
        };
        if let Some(labels) = labels {
            check_labels(labels)?;
        }

        let normalised = normalised.into_boxed_str();
        Ok(match kind {
            Kind::Exact => SniPattern::Exact(normalised),
            Kind::Suffix => SniPattern::Suffix(normalised),
            Kind::Prefix => SniPattern::Prefix(normalised),
        })
    }

    /// The stored string: the exact name, the suffix or the prefix.
    pub fn as_str(&self) -> &str {
        match self {
            SniPattern::Exact(s) | SniPattern::Suffix(s) | SniPattern::Prefix(s) => s,
        }
    }

    /// Whether the pattern matches a normalised server name (lower case, no trailing dot; see
    /// [`normalize_server_name`]). This is the plain definition, a string comparison; the map
    /// finds the same answer without scanning its entries.
    pub fn matches(&self, normalised_name: &str) -> bool {
        match self {
            SniPattern::Exact(s) => normalised_name == &**s,
            SniPattern::Suffix(s) => normalised_name.ends_with(&**s),
            SniPattern::Prefix(s) => normalised_name.starts_with(&**s),
        }
    }
}

impl fmt::Display for SniPattern {
    /// The canonical written form: `api.example.com`, `*.example.com`, `example.*`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SniPattern::Exact(s) => f.write_str(s),
            SniPattern::Suffix(s) => write!(f, "*{s}"),
            SniPattern::Prefix(s) => write!(f, "{s}*"),
        }
    }
}

/// Normalises a ClientHello server name the way the map compares it: ASCII lower case, one
/// trailing dot removed. `None` when the result is longer than 253 bytes, which no valid
/// ClientHello carries: such a name matches only the catch-all entry.
///
/// The map's lookup does the same on a stack buffer, without allocating; this function is for
/// explanations and tests.
pub fn normalize_server_name(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > MAX_NAME_LEN {
        return None;
    }
    Some(name.to_ascii_lowercase())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Suffix,
    Prefix,
}

fn is_ip_address(s: &str) -> bool {
    let unbracketed = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<Ipv4Addr>().is_ok() || unbracketed.parse::<Ipv6Addr>().is_ok() || is_bracketed_ip(s)
}

/// `[v6]:port` or `v4:port`: an IP address with a port is reported as an IP, as Kong does.
fn is_bracketed_ip(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok()
        }
        _ => false,
    }
}

/// A `:` is either a port (`host:443`) or simply a character that has no place in a name.
fn colon_error(fixed: &str, offset: usize) -> SniError {
    match fixed.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty()
                && !host.contains(':')
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            SniError::Port
        }
        _ => SniError::InvalidCharacter {
            ch: ':',
            index: fixed.find(':').unwrap_or(0) + offset,
        },
    }
}

fn check_labels(name: &str) -> Result<(), SniError> {
    for label in name.split('.') {
        if label.is_empty() {
            return Err(SniError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(SniError::LabelTooLong { len: label.len() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(s: &str) -> SniPattern {
        SniPattern::Exact(s.into())
    }
    fn suffix(s: &str) -> SniPattern {
        SniPattern::Suffix(s.into())
    }
    fn prefix(s: &str) -> SniPattern {
        SniPattern::Prefix(s.into())
    }

    #[test]
    fn kinds() {
        assert_eq!(SniPattern::parse("example.com"), Ok(exact("example.com")));
        assert_eq!(
            SniPattern::parse("*.example.com"),
            Ok(suffix(".example.com"))
        );
        assert_eq!(SniPattern::parse("example.*"), Ok(prefix("example.")));
    }

    #[test]
    fn lower_case_and_trailing_dot() {
        assert_eq!(
            SniPattern::parse("API.Example.Com."),
            Ok(exact("api.example.com"))
        );
        assert_eq!(
            SniPattern::parse("*.EXAMPLE.com."),
            Ok(suffix(".example.com"))
        );
        assert_eq!(SniPattern::parse("Example.*"), Ok(prefix("example.")));
        // Only one trailing dot is ignored.
        assert_eq!(SniPattern::parse("a.com.."), Err(SniError::EmptyLabel));
    }

    #[test]
    fn wildcards_like_kong() {
        assert_eq!(
            SniPattern::parse("a.*.com"),
            Err(SniError::WildcardPosition { index: 2 })
        );
        assert_eq!(
            SniPattern::parse("*.example.*"),
            Err(SniError::MultipleWildcards)
        );
        assert_eq!(
            SniPattern::parse("a*b*"),
            Err(SniError::WildcardPosition { index: 1 })
        );
        assert_eq!(SniPattern::parse("**"), Err(SniError::MultipleWildcards));
        // Kong accepts a wildcard that is not a whole label, and a lone `*`.
        assert_eq!(SniPattern::parse("*example.com"), Ok(suffix("example.com")));
        assert_eq!(SniPattern::parse("example*"), Ok(prefix("example")));
        assert_eq!(SniPattern::parse("*"), Ok(suffix("")));
        assert_eq!(SniPattern::parse("*."), Ok(suffix("")));
    }

    #[test]
    fn no_ip_no_port() {
        assert_eq!(SniPattern::parse("10.0.0.1"), Err(SniError::IpAddress));
        assert_eq!(SniPattern::parse("::1"), Err(SniError::IpAddress));
        assert_eq!(SniPattern::parse("[::1]"), Err(SniError::IpAddress));
        assert_eq!(SniPattern::parse("[::1]:443"), Err(SniError::IpAddress));
        assert_eq!(SniPattern::parse("10.0.0.1:443"), Err(SniError::IpAddress));
        assert_eq!(SniPattern::parse("example.com:443"), Err(SniError::Port));
        assert_eq!(SniPattern::parse("*.example.com:443"), Err(SniError::Port));
        assert_eq!(SniPattern::parse("example.com:"), Err(SniError::Port));
        assert_eq!(
            SniPattern::parse("a:b.com"),
            Err(SniError::InvalidCharacter { ch: ':', index: 1 })
        );
        // A wildcard pattern over numeric labels is a name, as in Kong.
        assert_eq!(SniPattern::parse("10.0.0.*"), Ok(prefix("10.0.0.")));
    }

    #[test]
    fn characters_and_lengths() {
        assert_eq!(SniPattern::parse(""), Err(SniError::Empty));
        assert_eq!(SniPattern::parse("."), Err(SniError::Empty));
        assert_eq!(
            SniPattern::parse("exa mple.com"),
            Err(SniError::InvalidCharacter { ch: ' ', index: 3 })
        );
        assert_eq!(
            SniPattern::parse("*.bücher.de"),
            Err(SniError::InvalidCharacter { ch: 'ü', index: 3 })
        );
        assert_eq!(SniPattern::parse("a..com"), Err(SniError::EmptyLabel));
        assert_eq!(SniPattern::parse(".example.com"), Err(SniError::EmptyLabel));
        assert_eq!(SniPattern::parse("*..com"), Err(SniError::EmptyLabel));
        assert_eq!(SniPattern::parse(".*"), Err(SniError::EmptyLabel));
        assert_eq!(SniPattern::parse("*.."), Err(SniError::EmptyLabel));
        assert_eq!(
            SniPattern::parse("under_score.com"),
            Ok(exact("under_score.com"))
        );

        let label = "a".repeat(64);
        assert_eq!(
            SniPattern::parse(&format!("{label}.com")),
            Err(SniError::LabelTooLong { len: 64 })
        );
        let long = ["a".repeat(63).as_str(); 4].join(".");
        assert_eq!(long.len(), 255);
        assert_eq!(
            SniPattern::parse(&long),
            Err(SniError::TooLong { len: 255 })
        );
        let max = &long[2..];
        assert!(SniPattern::parse(max).is_ok());
    }

    #[test]
    fn display_round_trips() {
        for written in [
            "api.example.com",
            "*.example.com",
            "example.*",
            "*",
            "*x.com",
            "x*",
        ] {
            let parsed = SniPattern::parse(written).unwrap();
            assert_eq!(parsed.to_string(), written);
            assert_eq!(SniPattern::parse(&parsed.to_string()), Ok(parsed));
        }
    }

    #[test]
    fn matching_definition() {
        let s = suffix(".example.com");
        assert!(s.matches("a.example.com"));
        assert!(s.matches("a.b.example.com"));
        assert!(!s.matches("example.com"));
        assert!(!s.matches("aexample.com"));
        let p = prefix("example.");
        assert!(p.matches("example.com"));
        assert!(p.matches("example.co.uk"));
        assert!(!p.matches("example"));
        assert!(!p.matches("www.example.com"));
    }

    #[test]
    fn server_name_normalisation() {
        assert_eq!(
            normalize_server_name("A.Example.COM."),
            Some("a.example.com".into())
        );
        assert_eq!(normalize_server_name("a.com.."), Some("a.com.".into()));
        assert_eq!(normalize_server_name(&"a".repeat(254)), None);
        assert_eq!(
            normalize_server_name(&format!("{}.", "a".repeat(253))),
            Some("a".repeat(253))
        );
    }
}
