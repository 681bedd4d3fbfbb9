//! Distinguished names as text: OpenSSL's RFC 2253 form and Kong's "/"-joined sorted form.
//!
//! The RFC 2253 output is byte-identical to `openssl x509 -noout -subject -nameopt RFC2253`:
//! RDNs in reverse order separated by `,`, multi-valued RDN members joined by `+` (also
//! reversed, as OpenSSL walks the flat entry list backwards), OpenSSL's short names
//! (`emailAddress`, not `EMAIL`), values converted to UTF-8 with every byte >= 0x80 and every
//! control byte written as `\XX`, RFC 2253's special characters backslash-escaped, and
//! attribute types or value types OpenSSL does not know dumped as `#` plus the hex of their
//! DER encoding.

use std::fmt::Write as _;

use const_oid::ObjectIdentifier;
use der::{Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

/// One attribute of a distinguished name, decoded for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAttribute {
    /// The short name OpenSSL uses (`CN`, `emailAddress`), or the dotted OID when unknown.
    pub key: String,
    /// The value as text (strings decoded to UTF-8), or `#` plus hex DER when not a string.
    pub value: String,
    /// Whether `key` is a short name OpenSSL knows (an unknown type is dumped as hex).
    pub known: bool,
    /// Index of the RDN this attribute belongs to (several attributes may share one).
    pub rdn: usize,
}

/// Short names OpenSSL prints for attribute types, by OID.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.14", "searchGuide"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.16", "postalAddress"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.18", "postOfficeBox"),
    ("2.5.4.19", "physicalDeliveryOfficeName"),
    ("2.5.4.20", "telephoneNumber"),
    ("2.5.4.21", "telexNumber"),
    ("2.5.4.22", "teletexTerminalIdentifier"),
    ("2.5.4.23", "facsimileTelephoneNumber"),
    ("2.5.4.24", "x121Address"),
    ("2.5.4.25", "internationaliSDNNumber"),
    ("2.5.4.26", "registeredAddress"),
    ("2.5.4.27", "destinationIndicator"),
    ("2.5.4.28", "preferredDeliveryMethod"),
    ("2.5.4.29", "presentationAddress"),
    ("2.5.4.30", "supportedApplicationContext"),
    ("2.5.4.31", "member"),
    ("2.5.4.32", "owner"),
    ("2.5.4.33", "roleOccupant"),
    ("2.5.4.34", "seeAlso"),
    ("2.5.4.35", "userPassword"),
    ("2.5.4.36", "userCertificate"),
    ("2.5.4.37", "cACertificate"),
    ("2.5.4.38", "authorityRevocationList"),
    ("2.5.4.39", "certificateRevocationList"),
    ("2.5.4.40", "crossCertificatePair"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.45", "x500UniqueIdentifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.47", "enhancedSearchGuide"),
    ("2.5.4.48", "protocolInformation"),
    ("2.5.4.49", "distinguishedName"),
    ("2.5.4.50", "uniqueMember"),
    ("2.5.4.51", "houseIdentifier"),
    ("2.5.4.52", "supportedAlgorithms"),
    ("2.5.4.53", "deltaRevocationList"),
    ("2.5.4.54", "dmdName"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.72", "role"),
    ("2.5.4.97", "organizationIdentifier"),
    ("2.5.4.98", "c3"),
    ("2.5.4.99", "n3"),
    ("2.5.4.100", "dnsName"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.2.840.113549.1.9.2", "unstructuredName"),
    ("1.2.840.113549.1.9.8", "unstructuredAddress"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
];

/// The short name OpenSSL gives an attribute type, if it knows one.
pub fn short_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    let dotted = oid.to_string();
    SHORT_NAMES
        .iter()
        .find(|(o, _)| *o == dotted)
        .map(|(_, sn)| *sn)
}

/// How a string's bytes map to characters, as OpenSSL's `tag2nbyte` table says.
pub(crate) enum StringKind {
    Utf8,
    /// One byte per character, read as Latin-1 (Printable, IA5, T61, Numeric, Visible, times).
    Byte,
    /// UCS-2 big-endian.
    Bmp,
    /// UCS-4 big-endian.
    Universal,
}

pub(crate) fn string_kind(tag: Tag) -> Option<StringKind> {
    match tag {
        Tag::Utf8String => Some(StringKind::Utf8),
        Tag::NumericString
        | Tag::PrintableString
        | Tag::TeletexString
        | Tag::Ia5String
        | Tag::UtcTime
        | Tag::GeneralizedTime
        | Tag::VisibleString => Some(StringKind::Byte),
        Tag::BmpString => Some(StringKind::Bmp),
        _ if tag.number().value() == 28 && tag.class() == der::Class::Universal => {
            Some(StringKind::Universal)
        }
        _ => None,
    }
}

/// Decodes a string value to characters; `None` when the bytes do not fit the string type.
pub(crate) fn decode_chars(kind: StringKind, bytes: &[u8]) -> Option<String> {
    match kind {
        StringKind::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_owned),
        StringKind::Byte => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        StringKind::Bmp => {
            if !bytes.len().is_multiple_of(2) {
                return None;
            }
            bytes
                .chunks_exact(2)
                .map(|c| char::from_u32(u32::from(u16::from_be_bytes([c[0], c[1]]))))
                .collect()
        }
        StringKind::Universal => {
            if !bytes.len().is_multiple_of(4) {
                return None;
            }
            bytes
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
    }
}

fn hex_upper(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02X}");
    }
}

/// `#` followed by the hex of the value's whole DER encoding (OpenSSL's DUMP_DER).
fn dump_der(atv: &AttributeTypeAndValue) -> String {
    let mut out = String::from("#");
    match atv.value.to_der() {
        Ok(der) => hex_upper(&mut out, &der),
        Err(_) => hex_upper(&mut out, atv.value.value()),
    }
    out
}

/// Decodes one attribute: its key and its raw (unescaped) text value.
fn decode_attribute(atv: &AttributeTypeAndValue, rdn: usize) -> NameAttribute {
    let sn = short_name(&atv.oid);
    let text = sn
        .and_then(|_| string_kind(atv.value.tag()))
        .and_then(|kind| decode_chars(kind, atv.value.value()));
    match (sn, text) {
        (Some(sn), Some(value)) => NameAttribute {
            key: sn.to_owned(),
            value,
            known: true,
            rdn,
        },
        (Some(sn), None) => NameAttribute {
            key: sn.to_owned(),
            value: dump_der(atv),
            known: false,
            rdn,
        },
        (None, _) => NameAttribute {
            key: atv.oid.to_string(),
            value: dump_der(atv),
            known: false,
            rdn,
        },
    }
}

/// Every attribute of `name` in encoded order (first RDN first).
pub fn attributes(name: &Name) -> Vec<NameAttribute> {
    name.iter_rdn()
        .enumerate()
        .flat_map(|(i, rdn)| rdn.iter().map(move |atv| decode_attribute(atv, i)))
        .collect()
}

/// Appends `value` with OpenSSL's RFC 2253 escaping (ESC_2253 | ESC_CTRL | ESC_MSB).
fn escape_rfc2253(out: &mut String, value: &str) {
    let bytes = value.as_bytes();
    let last = bytes.len().saturating_sub(1);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';' => {
                out.push('\\');
                out.push(char::from(b));
            }
            // OpenSSL applies the last-character rule over the first-character one, so a
            // lone `#` stays bare.
            b'#' if i == 0 && i != last => out.push_str("\\#"),
            b' ' if i == 0 || i == last => out.push_str("\\ "),
            0x00..=0x1f | 0x7f..=0xff => {
                let _ = write!(out, "\\{b:02X}");
            }
            _ => out.push(char::from(b)),
        }
    }
}

/// `name` in RFC 2253 form exactly as `openssl x509 -nameopt RFC2253` prints it.
///
/// ```
/// # use mtls_cert::name::rfc2253;
/// # use x509_cert::name::Name;
/// # use std::str::FromStr;
/// let name = Name::from_str("CN=kongclient,OU=ENG,O=KONG,L=SF,ST=CA,C=US").unwrap();
/// // `Name::from_str` takes RFC 4514 text, most significant RDN last, as printed.
/// assert_eq!(rfc2253(&name), "CN=kongclient,OU=ENG,O=KONG,L=SF,ST=CA,C=US");
/// ```
pub fn rfc2253(name: &Name) -> String {
    let attrs = attributes(name);
    let mut out = String::new();
    let mut prev_rdn: Option<usize> = None;
    for attr in attrs.iter().rev() {
        if let Some(prev) = prev_rdn {
            out.push(if prev == attr.rdn { '+' } else { ',' });
        }
        prev_rdn = Some(attr.rdn);
        out.push_str(&attr.key);
        out.push('=');
        if attr.known {
            escape_rfc2253(&mut out, &attr.value);
        } else {
            out.push_str(&attr.value);
        }
    }
    out
}

/// Kong's header-cert-auth DN form: every `SN=value` sorted bytewise and joined with `/`,
/// for example `C=US/CN=kongclient/L=SF/O=KONG/OU=ENG/ST=CA`. Values are not escaped.
pub fn slash_sorted(name: &Name) -> String {
    let mut parts: Vec<String> = attributes(name)
        .into_iter()
        .map(|a| format!("{}={}", a.key, a.value))
        .collect();
    parts.sort_unstable();
    parts.join("/")
}

/// The first common name of `name` (in encoded order), decoded to text.
pub fn first_common_name(name: &Name) -> Option<String> {
    attributes(name)
        .into_iter()
        .find(|a| a.key == "CN" && a.known)
        .map(|a| a.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn kong_example_round_trips() {
        let name = Name::from_str("CN=kongclient,OU=ENG,O=KONG,L=SF,ST=CA,C=US").unwrap();
        assert_eq!(
            rfc2253(&name),
            "CN=kongclient,OU=ENG,O=KONG,L=SF,ST=CA,C=US"
        );
        assert_eq!(
            slash_sorted(&name),
            "C=US/CN=kongclient/L=SF/O=KONG/OU=ENG/ST=CA"
        );
        assert_eq!(first_common_name(&name).as_deref(), Some("kongclient"));
    }

    #[test]
    fn escapes_like_openssl() {
        let mut s = String::new();
        escape_rfc2253(&mut s, " a,b+c\"d\\e<f>g;h#i ");
        assert_eq!(s, "\\ a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h#i\\ ");
        let mut s = String::new();
        escape_rfc2253(&mut s, "#x\u{c4}\n");
        assert_eq!(s, "\\#x\\C3\\84\\0A");
        let mut s = String::new();
        escape_rfc2253(&mut s, "#");
        assert_eq!(s, "#");
        let mut s = String::new();
        escape_rfc2253(&mut s, " ");
        assert_eq!(s, "\\ ");
    }

    #[test]
    fn email_uses_openssl_short_name() {
        let name = Name::from_str("emailAddress=a@b.test,CN=x")
            .unwrap_or_else(|_| Name::from_str("1.2.840.113549.1.9.1=a@b.test,CN=x").unwrap());
        assert!(rfc2253(&name).starts_with("emailAddress=a@b.test"));
    }

    #[test]
    fn empty_name_is_empty() {
        let name = Name::default();
        assert_eq!(rfc2253(&name), "");
        assert_eq!(slash_sorted(&name), "");
        assert_eq!(first_common_name(&name), None);
    }
}
