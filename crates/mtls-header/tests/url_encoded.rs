//! `url_encoded`: nginx, AWS ALB (both spellings of its escaping), Azure Application Gateway,
//! CloudFront, Apache expr, Kong; and every malformed class the spec lists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_header::formats::url_encoded::decode;
use mtls_header::{DerProblem, HeaderError, HeaderFormat, Limits, PemProblem, encode};

const H: &str = "X-Amzn-Mtls-Clientcert";

fn ok(value: &str) -> Vec<Vec<u8>> {
    ders(
        &decode(H, value.as_bytes(), &Limits::default())
            .unwrap()
            .unwrap(),
    )
}

fn err(value: &str) -> HeaderError {
    decode(H, value.as_bytes(), &Limits::default()).unwrap_err()
}

#[test]
fn nginx_escaped_leaf() {
    let p = pki();
    let value = encode::url_encoded_pem(&[&p.client]);
    assert!(value.contains("%2B") || value.contains("%2F") || value.contains("%3D"));
    assert_eq!(ok(&value), vec![p.client.clone()]);
    // Hex digits in either case.
    let lower = value
        .replace("%2B", "%2b")
        .replace("%2F", "%2f")
        .replace("%3D", "%3d");
    assert_eq!(ok(&lower), vec![p.client.clone()]);
}

#[test]
fn alb_chain_both_escapings_and_apache_lowercase() {
    let p = pki();
    let chain = p.full_chain();
    let want: Vec<Vec<u8>> = chain.iter().map(|d| d.to_vec()).collect();
    assert_eq!(ok(&alb_safe(&chain)), want);
    assert_eq!(ok(&alb_docs(&chain)), want);
    assert_eq!(ok(&apache_expr(&chain)), want);
    assert_eq!(ok(&encode::url_encoded_pem(&chain)), want);
    // Leaf-only header (X-Amzn-Mtls-Clientcert-Leaf).
    assert_eq!(ok(&alb_safe(&[&p.client])), vec![p.client.clone()]);
}

#[test]
fn plus_is_never_a_space() {
    // A value whose base64 has a raw `+` decodes only if `+` stays `+`.
    let der = cert_with_b64_specials();
    let value = alb_safe(&[&der]);
    assert_eq!(ok(&value), vec![der]);
}

#[test]
fn no_trailing_line_break_and_crlf() {
    let p = pki();
    let v = encode::url_encoded_pem(&[&p.client]);
    assert_eq!(ok(v.strip_suffix("%0A").unwrap()), vec![p.client.clone()]);
    let crlf = pem(&[&p.client])
        .replace('\n', "%0D%0A")
        .replace(' ', "%20");
    assert_eq!(ok(&crlf), vec![p.client.clone()]);
}

#[test]
fn kong_no_pem_block_is_an_error() {
    assert!(matches!(
        err("hello%20world"),
        HeaderError::Pem {
            problem: PemProblem::ExpectedBegin,
            ..
        }
    ));
    // Kong's base64_encoded shape sent to url_encoded: no block.
    assert!(matches!(err(&b64(&pki().client)), HeaderError::Pem { .. }));
}

#[test]
fn truncated() {
    let v = encode::url_encoded_pem(&[&pki().client]);
    // Cut inside the body: no END line.
    assert!(matches!(
        err(&v[..v.len() / 2]),
        HeaderError::Pem { .. } | HeaderError::PercentEscape { .. }
    ));
    // A truncated chain: second block cut.
    let two = alb_safe(&pki().full_chain()[..2]);
    assert!(matches!(
        err(&two[..two.len() - 40]),
        HeaderError::Pem { index: 1, .. }
    ));
}

#[test]
fn double_encoded() {
    let v = encode::url_encoded_pem(&[&pki().client]).replace('%', "%25");
    assert!(matches!(
        err(&v),
        HeaderError::Pem {
            problem: PemProblem::ExpectedBegin,
            ..
        }
    ));
}

#[test]
fn dangling_and_invalid_percent() {
    let v = encode::url_encoded_pem(&[&pki().client]);
    assert_eq!(
        err(&format!("{v}%")),
        HeaderError::PercentEscape {
            format: HeaderFormat::UrlEncoded,
            offset: v.len()
        }
    );
    assert!(matches!(
        err(&format!("%G0{v}")),
        HeaderError::PercentEscape { offset: 0, .. }
    ));
}

#[test]
fn wrong_label_and_raw_pem() {
    let v = encode::url_encoded_pem(&[&pki().client]).replace("CERTIFICATE", "X509%20CERTIFICATE");
    assert!(
        matches!(err(&v), HeaderError::WrongPemLabel { index: 0, ref label, .. } if label == "X509 CERTIFICATE")
    );
    // Raw PEM has line feeds: refused by hygiene before decoding.
    assert!(matches!(
        err(&pem(&[&pki().client])),
        HeaderError::ForbiddenByte { byte: b'\n', .. }
    ));
}

#[test]
fn reversed_chain() {
    let p = pki();
    let v = alb_safe(&[&p.root, &p.intermediate, &p.client]);
    // The root first: it is a CA.
    assert!(matches!(err(&v), HeaderError::LeafIsCa { .. }));
    // After the leaf, any order (decision 18): kept as sent.
    let v = alb_safe(&[&p.client, &p.root, &p.intermediate]);
    assert_eq!(
        ok(&v),
        vec![p.client.clone(), p.root.clone(), p.intermediate.clone()]
    );
}

#[test]
fn crlf_nul_injection() {
    let v = encode::url_encoded_pem(&[&pki().client]);
    for (inject, byte) in [("\r\n", b'\r'), ("\n", b'\n'), ("\0", 0u8)] {
        let bad = format!("{}{inject}X-Evil: 1{}", &v[..20], &v[20..]);
        assert_eq!(
            err(&bad),
            HeaderError::ForbiddenByte {
                format: HeaderFormat::UrlEncoded,
                header: H.into(),
                offset: 20,
                byte
            }
        );
    }
    // Percent-encoded NUL lands in the PEM and is refused there.
    assert!(matches!(
        err(&v.replace("%0AMII", "%0A%00MII")),
        HeaderError::Pem {
            problem: PemProblem::UnexpectedByte { byte: 0 },
            ..
        }
    ));
}

#[test]
fn der_trailing_bytes_and_non_minimal_length() {
    let mut trailing = pki().client.clone();
    trailing.extend_from_slice(&[0, 0]);
    let e = err(&encode::url_encoded_pem(&[&trailing]));
    assert!(
        matches!(
            e,
            HeaderError::Der {
                index: 0,
                problem: DerProblem::TrailingBytes { count: 2, .. },
                ..
            }
        ),
        "{e}"
    );
    let ber = non_minimal_outer_length(&pki().client);
    assert!(matches!(
        err(&encode::url_encoded_pem(&[&ber])),
        HeaderError::Der {
            problem: DerProblem::NonMinimalLength { offset: 1 },
            ..
        }
    ));
}

#[test]
fn oversized_and_too_many() {
    let v = alb_safe(&pki().full_chain());
    let small = Limits::default().with_max_value_len(v.len() - 1);
    assert!(matches!(
        decode(H, v.as_bytes(), &small).unwrap_err(),
        HeaderError::ValueTooLarge { .. }
    ));
    let two = Limits::default().with_max_certificates(2);
    assert_eq!(
        decode(H, v.as_bytes(), &two).unwrap_err(),
        HeaderError::TooManyCertificates {
            format: HeaderFormat::UrlEncoded,
            limit: 2
        }
    );
}

#[test]
fn slash_dn_for_kong() {
    let v = encode::url_encoded_pem(&[&pki().client]);
    let chain = decode(H, v.as_bytes(), &Limits::default())
        .unwrap()
        .unwrap();
    assert_eq!(
        chain.subject_dn_slash(),
        "C=US/CN=test-client/O=Header Vectors Test/OU=Clients"
    );
}
