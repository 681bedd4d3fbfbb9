//! `base64_der_list`: Traefik >= 2.9.2 `X-Forwarded-Tls-Client-Cert`; and the malformed classes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_header::formats::base64_der_list::decode;
use mtls_header::{HeaderError, HeaderFormat, Limits, encode};

const H: &str = "X-Forwarded-Tls-Client-Cert";

fn run(value: &str) -> Result<Option<Vec<Vec<u8>>>, HeaderError> {
    decode(H, value.as_bytes(), &Limits::default()).map(|c| c.map(|c| ders(&c)))
}

#[test]
fn leaf_and_chain() {
    let p = pki();
    assert_eq!(run(&b64(&p.client)).unwrap(), Some(vec![p.client.clone()]));
    let v = format!("{},{}", b64(&p.client), b64(&p.intermediate));
    assert_eq!(
        run(&v).unwrap(),
        Some(vec![p.client.clone(), p.intermediate.clone()])
    );
    assert_eq!(encode::base64_der_list(&[&p.client, &p.intermediate]), v);
    assert_eq!(run(""), Ok(None));
}

#[test]
fn separators_and_legacy_escaping() {
    let p = pki();
    let spaced = format!("{}, {}", b64(&p.client), b64(&p.intermediate));
    assert!(matches!(
        run(&spaced).unwrap_err(),
        HeaderError::Base64 { index: 1, .. }
    ));
    assert!(matches!(
        run(&format!("{},", b64(&p.client))).unwrap_err(),
        HeaderError::Base64 { index: 1, .. }
    ));
    // Traefik <= 2.9.1: url.QueryEscape per certificate.
    let der = cert_with_b64_specials();
    let legacy = b64(&der)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    assert!(matches!(
        run(&legacy).unwrap_err(),
        HeaderError::Base64 { index: 0, .. }
    ));
    // Armour kept.
    let armoured = format!(
        "-----BEGIN CERTIFICATE-----{}-----END CERTIFICATE-----",
        b64(&p.client)
    );
    assert!(matches!(
        run(&armoured).unwrap_err(),
        HeaderError::Base64 { .. }
    ));
}

#[test]
fn reversed_truncated_and_limits() {
    let p = pki();
    let reversed = format!("{},{}", b64(&p.intermediate), b64(&p.client));
    assert!(matches!(
        run(&reversed).unwrap_err(),
        HeaderError::LeafIsCa { .. }
    ));
    let truncated = format!("{},{}", b64(&p.client), &b64(&p.intermediate)[..40]);
    assert!(matches!(
        run(&truncated).unwrap_err(),
        HeaderError::Der { index: 1, .. }
    ));
    let three = format!(
        "{},{},{}",
        b64(&p.client),
        b64(&p.intermediate),
        b64(&p.root)
    );
    assert_eq!(run(&three).unwrap().unwrap().len(), 3);
    let l = Limits::default().with_max_certificates(2);
    assert_eq!(
        decode(H, three.as_bytes(), &l).unwrap_err(),
        HeaderError::TooManyCertificates {
            format: HeaderFormat::Base64DerList,
            limit: 2
        }
    );
    assert!(matches!(
        run(&b64url(&cert_with_b64_specials())).unwrap_err(),
        HeaderError::Base64 { .. }
    ));
}
