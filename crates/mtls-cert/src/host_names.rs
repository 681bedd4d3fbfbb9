//! Which host a text names, whatever its spelling: an IPv4 address in any form `inet_aton`
//! reads (`0xC0A80101`, `192.168.001.001`), an IPv6 address in any RFC 4291 text form, or a
//! DNS name with its Unicode labels converted to punycode A-labels (RFC 3492) and ASCII case
//! folded. The strict profile uses it to refuse a CN that names a SAN's host in another
//! spelling (CA/Browser Forum BR 7.1.4.3 wants a character-for-character copy).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A host as named by some text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// An IP address, by value.
    Ip(IpAddr),
    /// A DNS name: lower-case ASCII, Unicode labels as `xn--` A-labels.
    Dns(String),
}

/// The host `text` names, if it reads as an address or a DNS name.
pub(crate) fn host_of(text: &str) -> Option<Host> {
    if let Some(v4) = inet_aton(text) {
        return Some(Host::Ip(IpAddr::V4(v4)));
    }
    if let Ok(v6) = text.parse::<Ipv6Addr>() {
        return Some(Host::Ip(IpAddr::V6(v6)));
    }
    let mut labels = Vec::new();
    for label in text.split('.') {
        if label.is_empty() {
            return None;
        }
        if label.is_ascii() {
            labels.push(label.to_ascii_lowercase());
        } else {
            let lower: String = label.chars().flat_map(char::to_lowercase).collect();
            labels.push(format!("xn--{}", punycode(&lower)?));
        }
    }
    Some(Host::Dns(labels.join(".")))
}

/// An IPv4 address as BSD `inet_aton` reads it: one to four parts, each decimal, octal (a
/// leading `0`) or hexadecimal (`0x`), the last part filling the remaining bytes.
fn inet_aton(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        let (digits, radix) =
            if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                (hex, 16)
            } else if part.len() > 1 && part.starts_with('0') {
                (&part[1..], 8)
            } else {
                (*part, 10)
            };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        values.push(u32::from_str_radix(digits, radix).ok()?);
    }
    let (last, head) = values.split_last()?;
    if head.iter().any(|&v| v > 0xff) {
        return None;
    }
    let rest_bits = 8 * (4 - head.len() as u32);
    if rest_bits < 32 && u64::from(*last) >= 1u64 << rest_bits {
        return None;
    }
    let mut addr = 0u32;
    for (i, v) in head.iter().enumerate() {
        addr |= v << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(addr | last))
}

/// RFC 3492 punycode of one label (without the `xn--` prefix).
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    let digit = |d: u32| -> Option<char> {
        match d {
            0..=25 => char::from_u32(u32::from(b'a') + d),
            26..=35 => char::from_u32(u32::from(b'0') + d - 26),
            _ => None,
        }
    };
    let code_points: Vec<u32> = input.chars().map(u32::from).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    let total = code_points.len() as u32;
    while handled < total {
        let m = *code_points.iter().filter(|&&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &code_points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q)?);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// RFC 3492 section 6.1 bias adaptation.
fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((36 - 1) * 26) / 2 {
        delta /= 36 - 1;
        k += 36;
    }
    k + (36 - 1 + 1) * delta / (delta + 38)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_every_spelling() {
        let ip = |s: &str| IpAddr::V4(s.parse().unwrap());
        assert_eq!(host_of("0xC0A80101"), Some(Host::Ip(ip("192.168.1.1"))));
        assert_eq!(
            host_of("192.168.001.001"),
            Some(Host::Ip(ip("192.168.1.1")))
        );
        assert_eq!(host_of("3232235777"), Some(Host::Ip(ip("192.168.1.1"))));
        assert_eq!(host_of("192.168.257"), Some(Host::Ip(ip("192.168.1.1"))));
        assert_eq!(host_of("256.1.1.1"), Some(Host::Dns("256.1.1.1".into())));
        let v6 = host_of("2001:0DB8:0:0:0:0:0:1");
        assert_eq!(v6, Some(Host::Ip("2001:db8::1".parse().unwrap())));
    }

    #[test]
    fn dns_names_fold_to_a_labels() {
        assert_eq!(
            host_of("Example.COM"),
            Some(Host::Dns("example.com".into()))
        );
        assert_eq!(
            host_of("test-測試.com"),
            Some(Host::Dns("xn--test--gs1lv54n.com".into()))
        );
        assert_eq!(
            host_of("bücher.example"),
            Some(Host::Dns("xn--bcher-kva.example".into()))
        );
        assert_eq!(host_of("a..b"), None);
    }
}
