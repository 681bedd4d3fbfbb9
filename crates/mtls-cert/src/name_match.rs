//! Distinguished names compared as RFC 5280 section 7.1 says: attribute by attribute, string
//! values after case folding and insignificant-space handling (RFC 4518), whatever string type
//! encodes them, so `PrintableString "Test  CA"` equals `UTF8String "test ca"`. Used to chain
//! a certificate to its issuer and for directoryName name constraints.

use const_oid::ObjectIdentifier;
use der::{Tag, Tagged};
use x509_cert::name::Name;

use crate::name::{decode_chars, string_kind};

/// The emailAddress attribute type (PKCS #9), constrained like an rfc822Name.
pub(crate) const EMAIL_ADDRESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// One attribute value ready for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    /// A directory string, case folded, trimmed, inner white space runs collapsed to one space.
    Text(String),
    /// Anything else: the tag number and the content bytes, compared exactly.
    Raw(u32, Vec<u8>),
}

/// A name in comparable form: its RDNs in encoded order, each RDN's attributes sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NormalizedName(Vec<Vec<(Vec<u8>, Value)>>);

/// RFC 4518 section 2 in small: case fold, then insignificant space handling.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

fn value(any: &der::Any) -> Value {
    let tag = any.tag();
    let text = match tag {
        Tag::UtcTime | Tag::GeneralizedTime => None,
        _ => string_kind(tag).and_then(|kind| decode_chars(kind, any.value())),
    };
    match text {
        Some(t) => Value::Text(fold(&t)),
        None => Value::Raw(tag.number().value(), any.value().to_vec()),
    }
}

impl NormalizedName {
    /// The comparable form of `name`.
    pub(crate) fn new(name: &Name) -> Self {
        let rdns = name
            .iter_rdn()
            .map(|rdn| {
                let mut atvs: Vec<(Vec<u8>, Value)> = rdn
                    .iter()
                    .map(|atv| (atv.oid.as_bytes().to_vec(), value(&atv.value)))
                    .collect();
                atvs.sort();
                atvs
            })
            .collect();
        Self(rdns)
    }

    /// Whether `base` is this name or an ancestor of it (its RDNs are a prefix of this
    /// name's): the directoryName subtree test of RFC 5280 section 4.2.1.10.
    pub(crate) fn within(&self, base: &NormalizedName) -> bool {
        base.0.len() <= self.0.len() && self.0.iter().zip(&base.0).all(|(a, b)| a == b)
    }
}

/// Every emailAddress attribute of `name`, as text (values that are not text are skipped:
/// they cannot be addresses and are refused by the caller's syntax check anyway).
pub(crate) fn email_addresses(name: &Name) -> Vec<String> {
    name.iter_rdn()
        .flat_map(|rdn| rdn.iter())
        .filter(|atv| atv.oid == EMAIL_ADDRESS)
        .map(|atv| {
            string_kind(atv.value.tag())
                .and_then(|kind| decode_chars(kind, atv.value.value()))
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn n(text: &str) -> NormalizedName {
        NormalizedName::new(&Name::from_str(text).unwrap())
    }

    #[test]
    fn case_and_spaces_do_not_matter() {
        assert_eq!(n("CN=Test  CA,O=Example"), n("CN=  test ca ,O=EXAMPLE"));
        assert_ne!(n("CN=Test CA,O=Example"), n("CN=TestCA,O=Example"));
        assert_ne!(n("CN=a,O=b"), n("O=b,CN=a"));
    }

    #[test]
    fn subtrees_are_prefixes() {
        let leaf = n("CN=leaf,OU=eng,O=Example,C=US");
        assert!(leaf.within(&n("O=example,C=us")));
        assert!(leaf.within(&leaf));
        assert!(leaf.within(&NormalizedName::new(&Name::default())));
        assert!(!leaf.within(&n("OU=eng,C=US")));
        assert!(!n("C=US").within(&n("O=Example,C=US")));
    }

    #[test]
    fn fold_handles_unicode_case() {
        assert_eq!(fold("  ÄB\tc  "), "äb c");
    }
}
