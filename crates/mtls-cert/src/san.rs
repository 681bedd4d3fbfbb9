//! Subject alternative names and their text forms.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use x509_cert::ext::pkix::name::GeneralName;

/// The kind of one subject alternative name entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SanKind {
    /// dNSName.
    Dns,
    /// rfc822Name (an email address).
    Email,
    /// uniformResourceIdentifier.
    Uri,
    /// iPAddress.
    Ip,
    /// directoryName.
    DirName,
    /// otherName, x400Address, ediPartyName or registeredID.
    Other,
}

impl SanKind {
    /// The stable lower-case label used in JSON output (`dns`, `email`, `uri`, `ip`, `dirname`,
    /// `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            SanKind::Dns => "dns",
            SanKind::Email => "email",
            SanKind::Uri => "uri",
            SanKind::Ip => "ip",
            SanKind::DirName => "dirname",
            SanKind::Other => "other",
        }
    }
}

/// One subject alternative name, in certificate order, with its text form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubjectAltName {
    /// What kind of name this is.
    pub kind: SanKind,
    /// The text form: DNS, email and URI as their strings, IP as text (IPv6 compressed),
    /// directoryName in RFC 2253, others as `OtherName:<unsupported>`-style placeholders.
    pub value: String,
}

/// Text of an iPAddress entry; a length other than 4 or 16 is shown as hex.
fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        IpAddr::V4(Ipv4Addr::from(v4)).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        IpAddr::V6(Ipv6Addr::from(v6)).to_string()
    } else {
        let mut s = String::from("IP:<invalid:");
        for b in bytes {
            s.push_str(&format!("{b:02X}"));
        }
        s.push('>');
        s
    }
}

impl SubjectAltName {
    pub(crate) fn from_general_name(name: &GeneralName) -> Self {
        match name {
            GeneralName::DnsName(s) => Self {
                kind: SanKind::Dns,
                value: s.to_string(),
            },
            GeneralName::Rfc822Name(s) => Self {
                kind: SanKind::Email,
                value: s.to_string(),
            },
            GeneralName::UniformResourceIdentifier(s) => Self {
                kind: SanKind::Uri,
                value: s.to_string(),
            },
            GeneralName::IpAddress(bytes) => Self {
                kind: SanKind::Ip,
                value: ip_text(bytes.as_bytes()),
            },
            GeneralName::DirectoryName(n) => Self {
                kind: SanKind::DirName,
                value: crate::name::rfc2253(n),
            },
            GeneralName::OtherName(_) => Self {
                kind: SanKind::Other,
                value: "othername:<unsupported>".to_owned(),
            },
            GeneralName::EdiPartyName(_) => Self {
                kind: SanKind::Other,
                value: "EdiPartyName:<unsupported>".to_owned(),
            },
            GeneralName::RegisteredId(oid) => Self {
                kind: SanKind::Other,
                value: format!("Registered ID:{oid}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_texts() {
        assert_eq!(ip_text(&[127, 0, 0, 1]), "127.0.0.1");
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(ip_text(&v6), "::1");
        assert_eq!(ip_text(&[1, 2, 3]), "IP:<invalid:010203>");
    }
}
