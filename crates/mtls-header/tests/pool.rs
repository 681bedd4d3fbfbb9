//! Decision 18: in every format that carries a chain, the certificates after the leaf are a
//! pool of untrusted intermediates: any order, extras allowed, a root alone accepted. Each
//! decoded chain is then validated with `mtls_cert::validate_chain`, as the gateway does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_cert::pki_types::UnixTime;
use mtls_cert::{CaCertificate, CaSet, Certificate, ValidationOptions, validate_chain};
use mtls_header::encode::{XfccElement, xfcc_element};
use mtls_header::formats::{base64_der_list, pem_space_joined, rfc9440, url_encoded, xfcc};
use mtls_header::{ForwardedChain, HeaderError, Limits};

/// Encodes `leaf` and the pool `rest` in one chain-carrying format and decodes it again.
type Codec = fn(&[u8], &[&[u8]], &Limits) -> Result<Option<ForwardedChain>, HeaderError>;

fn rfc9440_codec(
    leaf: &[u8],
    rest: &[&[u8]],
    l: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let item = mtls_header::encode::rfc9440_item(leaf);
    let chain = mtls_header::encode::rfc9440_list(rest);
    let lines: Vec<&[u8]> = if rest.is_empty() {
        Vec::new()
    } else {
        vec![chain.as_bytes()]
    };
    rfc9440::decode(
        rfc9440::CLIENT_CERT,
        Some(item.as_bytes()),
        rfc9440::CLIENT_CERT_CHAIN,
        &lines,
        l,
    )
}

fn all<'a>(leaf: &'a [u8], rest: &[&'a [u8]]) -> Vec<&'a [u8]> {
    std::iter::once(leaf).chain(rest.iter().copied()).collect()
}

fn url_codec(
    leaf: &[u8],
    rest: &[&[u8]],
    l: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let v = mtls_header::encode::url_encoded_pem(&all(leaf, rest));
    url_encoded::decode("X-Amzn-Mtls-Clientcert", v.as_bytes(), l)
}

fn der_list_codec(
    leaf: &[u8],
    rest: &[&[u8]],
    l: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let v = mtls_header::encode::base64_der_list(&all(leaf, rest));
    base64_der_list::decode("X-Forwarded-Tls-Client-Cert", v.as_bytes(), l)
}

fn pem_space_codec(
    leaf: &[u8],
    rest: &[&[u8]],
    l: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let v = mtls_header::encode::pem_space_joined(&all(leaf, rest));
    pem_space_joined::decode("X-SSL-Client-Cert", v.as_bytes(), l)
}

fn xfcc_codec(
    leaf: &[u8],
    rest: &[&[u8]],
    l: &Limits,
) -> Result<Option<ForwardedChain>, HeaderError> {
    let v = xfcc_element(&XfccElement::new(leaf).with_chain(rest.to_vec()));
    xfcc::decode(xfcc::HEADER, &[v.as_bytes()], l)
}

const CODECS: &[(&str, Codec)] = &[
    ("rfc9440", rfc9440_codec),
    ("url_encoded", url_codec),
    ("base64_der_list", der_list_codec),
    ("pem_space_joined", pem_space_codec),
    ("xfcc", xfcc_codec),
];

fn trusted(ders: &[&[u8]]) -> CaSet {
    CaSet::new(
        ders.iter()
            .map(|d| {
                CaCertificate::trusted(uuid::Uuid::new_v4(), Certificate::from_der(d).unwrap())
            })
            .collect(),
    )
    .unwrap()
}

/// Decodes with every codec; each result keeps the pool as sent and validates against `cas`.
fn decode_and_validate(rest: &[&[u8]], cas: &CaSet) {
    let p = pki();
    for (name, codec) in CODECS {
        let chain = codec(&p.client, rest, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name}: absent"));
        assert_eq!(ders(&chain), all(&p.client, rest), "{name}: kept as sent");
        let verified = validate_chain(
            &chain.ders(),
            cas,
            &ValidationOptions::client(),
            UnixTime::now(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let path: Vec<&[u8]> = verified.path().iter().map(|c| c.der().as_ref()).collect();
        assert_eq!(path, [&p.client[..], &p.intermediate, &p.root], "{name}");
    }
}

#[test]
fn reversed_chain_is_a_pool() {
    let p = pki();
    decode_and_validate(&[&p.root, &p.intermediate], &trusted(&[&p.root]));
}

#[test]
fn extra_certificates_are_allowed() {
    let p = pki();
    // A look-alike of the leaf, another leaf, the intermediate twice, the root.
    let rest: [&[u8]; 5] = [
        &p.evil,
        &p.tricky,
        &p.intermediate,
        &p.root,
        &p.intermediate,
    ];
    decode_and_validate(&rest, &trusted(&[&p.root]));
}

#[test]
fn root_only_chain_is_accepted() {
    // RFC 9440 `Client-Cert-Chain` holding only the root: the intermediate is a stored CA.
    let p = pki();
    decode_and_validate(&[&p.root], &trusted(&[&p.root, &p.intermediate]));
}

#[test]
fn a_pool_without_the_issuer_decodes_but_does_not_validate() {
    let p = pki();
    for (name, codec) in CODECS {
        let chain = codec(&p.client, &[&p.root], &Limits::default())
            .unwrap()
            .unwrap();
        let err = validate_chain(
            &chain.ders(),
            &trusted(&[&p.root]),
            &ValidationOptions::client(),
            UnixTime::now(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), "unknown_issuer", "{name}");
    }
}

#[test]
fn count_limit_is_the_presented_chain_limit() {
    // 64 certificates (leaf included) decode and validate; one more is refused.
    let p = pki();
    let limit = mtls_cert::limits::MAX_CERTIFICATES;
    assert_eq!(Limits::default().max_certificates(), limit);
    let mut rest: Vec<&[u8]> = vec![&p.tricky; limit - 3];
    rest.extend([&p.root[..], &p.intermediate[..]]);
    let big = Limits::default().with_max_value_len(256 * 1024);
    for (name, codec) in CODECS {
        let chain = codec(&p.client, &rest, &big).unwrap_or_else(|e| panic!("{name}: {e}"));
        let chain = chain.unwrap();
        assert_eq!(chain.certificates().len(), limit, "{name}");
        validate_chain(
            &chain.ders(),
            &trusted(&[&p.root]),
            &ValidationOptions::client(),
            UnixTime::now(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut over = rest.clone();
        over.push(&p.tricky);
        let err = codec(&p.client, &over, &big).unwrap_err();
        assert_eq!(err.kind(), "too_many_certificates", "{name}");
    }
}
