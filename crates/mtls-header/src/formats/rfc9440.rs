//! `rfc9440`: RFC 9440 `Client-Cert` and `Client-Cert-Chain` (Cloudflare transform rules,
//! Akamai, Google Cloud `{client_cert_leaf}` / `{client_cert_chain}`, CloudFront, Keycloak,
//! OpenBao).
//!
//! Accepted: `Client-Cert` an RFC 9651 Item whose bare item is a Byte Sequence
//! (`:base64(DER):`), parameters accepted and ignored, missing `=` padding and non-zero pad
//! bits accepted as RFC 9651 section 4.2.7 asks; `Client-Cert-Chain` an RFC 9651 List of Byte
//! Sequences in TLS order (leaf first), on one or more field lines, whose certificates become
//! the intermediates. A chain that starts with the leaf itself (the RFC leaves it open) has
//! that copy dropped. Each certificate strict DER. The chain is a pool: any order, extras
//! allowed, a root alone accepted (decision 18).
//!
//! Absent: `Client-Cert` missing or empty (Cloudflare and Google send empty fields when there
//! is no certificate or it is too large). An empty `Client-Cert-Chain` means no intermediates.
//!
//! Refused: `Client-Cert` on two field lines, a List where an Item is required, Strings,
//! Tokens and other non-Byte-Sequence items, inner lists, base64url or any character outside
//! the base64 alphabet (PEM inside colons), missing colons, trailing commas and empty list
//! members, `Client-Cert-Chain` without `Client-Cert`, a leaf that is a CA.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sfv::{BareItem, Item, List, ListEntry, Parser};

use crate::HeaderFormat;
use crate::chain::{ForwardedChain, check_count};
use crate::error::HeaderError;
use crate::hygiene::{Limits, clean_value};

const FORMAT: HeaderFormat = HeaderFormat::Rfc9440;

/// The default leaf header name.
pub const CLIENT_CERT: &str = "Client-Cert";
/// The default chain header name.
pub const CLIENT_CERT_CHAIN: &str = "Client-Cert-Chain";

/// The chain header that goes with a configured leaf header: the leaf name followed by
/// `-Chain` (`Client-Cert` -> `Client-Cert-Chain`, `X-Client-Cert` -> `X-Client-Cert-Chain`).
pub fn chain_header_name(leaf_header: &str) -> String {
    format!("{leaf_header}-Chain")
}

fn describe(item: &BareItem) -> &'static str {
    match item {
        BareItem::Decimal(_) => "a Decimal",
        BareItem::Integer(_) => "an Integer",
        BareItem::String(_) => "a String",
        BareItem::ByteSequence(_) => "a Byte Sequence",
        BareItem::Boolean(_) => "a Boolean",
        BareItem::Token(_) => "a Token",
        BareItem::Date(_) => "a Date",
        BareItem::DisplayString(_) => "a Display String",
    }
}

/// The base64 engine `sfv` decodes Byte Sequences with (RFC 9651 section 4.2.7: padding
/// optional, non-zero pad bits accepted).
const SF_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The common case of an Item, decoded without the general parser: the whole value is one bare
/// Byte Sequence (`:` base64 `:`, no parameters, no other `:`). This is exactly what the
/// structured-field parser yields for such a value; `None` (anything else, or base64 it
/// refuses) leaves the value to that parser, which also words the errors.
fn bare_byte_sequence(value: &[u8]) -> Option<Vec<u8>> {
    let body = value.strip_prefix(b":")?.strip_suffix(b":")?;
    if body.contains(&b':') {
        return None;
    }
    SF_BASE64.decode(body).ok()
}

fn sf_error(header: &str, e: &sfv::Error) -> HeaderError {
    HeaderError::StructuredField {
        header: header.to_owned(),
        detail: e.to_string(),
    }
}

/// Decodes `Client-Cert` (`leaf_value`, `None` when the header is absent) and the
/// `Client-Cert-Chain` field lines. `Ok(None)` when there is no leaf certificate.
///
/// `leaf_header` and `chain_header` name the headers in errors.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = rcgen::KeyPair::generate()?;
/// # let der = rcgen::CertificateParams::new(vec!["client.test".into()])?.self_signed(&key)?.der().to_vec();
/// use mtls_header::formats::rfc9440;
/// let value = mtls_header::encode::rfc9440_item(&der);
/// let with_params = format!("{value};verified=?1");
/// let chain = rfc9440::decode(
///     rfc9440::CLIENT_CERT, Some(with_params.as_bytes()),
///     rfc9440::CLIENT_CERT_CHAIN, &[], &Default::default())?.expect("present");
/// assert_eq!(chain.leaf().der().as_ref(), der.as_slice());
/// # Ok(()) }
/// ```
pub fn decode(
    leaf_header: &str,
    leaf_value: Option<&[u8]>,
    chain_header: &str,
    chain_values: &[&[u8]],
    limits: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let leaf = match leaf_value {
        Some(v) => clean_value(FORMAT, leaf_header, v, limits)?,
        None => &[],
    };
    // Every chain line is checked, and their total size bounded, even when the leaf is absent.
    let total: usize = chain_values.iter().map(|v| v.len()).sum();
    if total > limits.max_value_len() {
        return Err(HeaderError::ValueTooLarge {
            format: FORMAT,
            header: chain_header.to_owned(),
            size: total,
            limit: limits.max_value_len(),
        });
    }
    let mut chain_lines = Vec::with_capacity(chain_values.len());
    for v in chain_values {
        let line = clean_value(FORMAT, chain_header, v, limits)?;
        if !line.is_empty() {
            chain_lines.push(line);
        }
    }
    if leaf.is_empty() {
        if chain_lines.is_empty() {
            return Ok(None);
        }
        return Err(HeaderError::ChainWithoutLeaf {
            header: leaf_header.to_owned(),
            chain_header: chain_header.to_owned(),
        });
    }
    let leaf_der = match bare_byte_sequence(leaf) {
        Some(der) => der,
        None => {
            let item: Item = Parser::new(leaf)
                .parse()
                .map_err(|e| sf_error(leaf_header, &e))?;
            let BareItem::ByteSequence(leaf_der) = item.bare_item else {
                return Err(HeaderError::NotByteSequence {
                    header: leaf_header.to_owned(),
                    index: 0,
                    found: describe(&item.bare_item),
                });
            };
            leaf_der
        }
    };
    let mut ders = vec![leaf_der];
    let mut member = 0;
    for line in chain_lines {
        let list: List = Parser::new(line)
            .parse()
            .map_err(|e| sf_error(chain_header, &e))?;
        for entry in list {
            let der = match entry {
                ListEntry::Item(Item {
                    bare_item: BareItem::ByteSequence(der),
                    ..
                }) => der,
                ListEntry::Item(item) => {
                    return Err(HeaderError::NotByteSequence {
                        header: chain_header.to_owned(),
                        index: member,
                        found: describe(&item.bare_item),
                    });
                }
                ListEntry::InnerList(_) => {
                    return Err(HeaderError::NotByteSequence {
                        header: chain_header.to_owned(),
                        index: member,
                        found: "an Inner List",
                    });
                }
            };
            // The RFC does not say whether the chain repeats the leaf: drop one copy.
            if !(member == 0 && ders.first() == Some(&der)) {
                check_count(FORMAT, ders.len(), limits)?;
                ders.push(der);
            }
            member += 1;
        }
    }
    ForwardedChain::build(FORMAT, ders).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_chain_without_leaf() {
        let l = Limits::default();
        assert_eq!(decode("c", None, "cc", &[], &l), Ok(None));
        assert_eq!(decode("c", Some(b""), "cc", &[b""], &l), Ok(None));
        assert_eq!(
            decode("c", None, "cc", &[b":AAAA:"], &l)
                .unwrap_err()
                .kind(),
            "chain_without_leaf"
        );
    }

    #[test]
    fn structure_errors() {
        let l = Limits::default();
        let kind = |v: &str| {
            decode("c", Some(v.as_bytes()), "cc", &[], &l)
                .unwrap_err()
                .kind()
        };
        assert_eq!(kind(":AAAA:, :AAAA:"), "structured_field");
        assert_eq!(kind("\"AAAA\""), "not_byte_sequence");
        assert_eq!(kind("AAAA"), "not_byte_sequence");
        assert_eq!(kind(":AA-_:"), "structured_field");
        assert_eq!(kind("MIIB=="), "structured_field");
        let chain = |v: &str| {
            decode("c", Some(b":MAA=:"), "cc", &[v.as_bytes()], &l)
                .unwrap_err()
                .kind()
        };
        assert_eq!(chain(":AAAA:,"), "structured_field");
        assert_eq!(chain(":AAAA:, , :AAAA:"), "structured_field");
        assert_eq!(chain("(:AAAA:)"), "not_byte_sequence");
        assert_eq!(chain("1"), "not_byte_sequence");
    }

    #[test]
    fn bare_byte_sequence_agrees_with_the_parser() {
        for v in [
            "::",
            ":AAEC:",
            ":AAE=:",
            ":AAE:",
            ":AAF=:",
            ":AA==:",
            ":AA:",
            ":A:",
            ":AA=A:",
            ":AA-_:",
            ":AAEC:;a=1",
            ":AA:EC:",
            ":AAEC",
            "AAEC:",
            ": AAEC:",
            ":AAEC: ",
        ] {
            let fast = bare_byte_sequence(v.as_bytes());
            let parsed = Parser::new(v.as_bytes())
                .parse::<Item>()
                .ok()
                .and_then(|i| match (i.bare_item, i.params.is_empty()) {
                    (BareItem::ByteSequence(b), true) => Some(b),
                    _ => None,
                });
            if let Some(fast) = fast {
                assert_eq!(Some(fast), parsed, "{v}");
            }
        }
        assert_eq!(bare_byte_sequence(b":AAE:"), Some(vec![0, 1]));
    }

    #[test]
    fn chain_line_total_is_limited() {
        let l = Limits::default().with_max_value_len(10);
        let e = decode("c", Some(b":MAA=:"), "cc", &[b":AAAA:", b":AAAA:"], &l).unwrap_err();
        assert_eq!(e.kind(), "value_too_large");
    }
}
