//! `base64_encoded`: Cloudflare, HAProxy (plain and `%{+Q}`), App Service, Caddy, Kong; and the
//! malformed classes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_header::formats::base64_encoded::decode;
use mtls_header::{Base64Problem, DerProblem, HeaderError, HeaderFormat, Limits};

const H: &str = "Cf-Client-Cert-Der-Base64";

fn run(value: &str) -> Result<Option<Vec<Vec<u8>>>, HeaderError> {
    decode(H, value.as_bytes(), &Limits::default()).map(|c| c.map(|c| ders(&c)))
}

#[test]
fn plain_and_quoted() {
    let p = pki();
    assert_eq!(run(&b64(&p.client)).unwrap(), Some(vec![p.client.clone()]));
    assert_eq!(
        run(&format!("\"{}\"", b64(&p.client))).unwrap(),
        Some(vec![p.client.clone()])
    );
    assert_eq!(
        run(&format!("  {}\t", b64(&p.client))).unwrap(),
        Some(vec![p.client.clone()])
    );
}

#[test]
fn absent_sentinels() {
    assert_eq!(run(""), Ok(None));
    assert_eq!(run("\"\""), Ok(None));
}

#[test]
fn base64url_and_missing_padding() {
    let der = cert_with_b64_specials();
    let e = run(&b64url(&der)).unwrap_err();
    assert!(matches!(e, HeaderError::Base64 { index: 0, .. }), "{e}");
    let unpadded = b64(&der).trim_end_matches('=').to_owned();
    assert!(matches!(
        run(&unpadded).unwrap_err(),
        HeaderError::Base64 {
            problem: Base64Problem::InvalidPadding,
            ..
        }
    ));
}

#[test]
fn pem_armour_wrapping_and_quotes() {
    let p = pki();
    let armoured = format!(
        "-----BEGIN CERTIFICATE-----{}-----END CERTIFICATE-----",
        b64(&p.client)
    );
    assert!(matches!(
        run(&armoured).unwrap_err(),
        HeaderError::Base64 { .. }
    ));
    let s = b64(&p.client);
    let wrapped = format!("{} {}", &s[..64], &s[64..]);
    assert!(matches!(
        run(&wrapped).unwrap_err(),
        HeaderError::Base64 {
            problem: Base64Problem::InvalidByte {
                offset: 64,
                byte: b' '
            },
            ..
        }
    ));
    assert!(matches!(
        run(&format!("\"{s}")).unwrap_err(),
        HeaderError::Base64 { .. }
    ));
    assert!(matches!(
        run(&format!("\"\"{s}\"\"")).unwrap_err(),
        HeaderError::Base64 { .. }
    ));
}

#[test]
fn chain_or_trailing_bytes_or_truncation() {
    let p = pki();
    let mut two = p.client.clone();
    two.extend_from_slice(&p.intermediate);
    assert!(matches!(
        run(&b64(&two)).unwrap_err(),
        HeaderError::Der {
            problem: DerProblem::TrailingBytes { .. },
            ..
        }
    ));
    let truncated = &p.client[..p.client.len() - 3];
    assert!(matches!(
        run(&b64(truncated)).unwrap_err(),
        HeaderError::Der {
            problem: DerProblem::Truncated { offset: 0, .. },
            ..
        }
    ));
    assert!(matches!(
        run(&b64(&non_minimal_outer_length(&p.client))).unwrap_err(),
        HeaderError::Der {
            problem: DerProblem::NonMinimalLength { .. },
            ..
        }
    ));
    // Double-encoded: base64 of the base64 text.
    assert!(matches!(
        run(&b64(b64(&p.client).as_bytes())).unwrap_err(),
        HeaderError::Der {
            problem: DerProblem::UnexpectedTag { offset: 0, .. },
            ..
        }
    ));
}

#[test]
fn ca_as_leaf_and_injection_and_size() {
    let p = pki();
    assert!(matches!(
        run(&b64(&p.root)).unwrap_err(),
        HeaderError::LeafIsCa { .. }
    ));
    let s = b64(&p.client);
    assert!(matches!(
        run(&format!("{}\r\n{}", &s[..10], &s[10..])).unwrap_err(),
        HeaderError::ForbiddenByte {
            offset: 10,
            byte: b'\r',
            ..
        }
    ));
    let l = Limits::default().with_max_value_len(100);
    assert_eq!(
        decode(H, s.as_bytes(), &l).unwrap_err(),
        HeaderError::ValueTooLarge {
            format: HeaderFormat::Base64Encoded,
            header: H.into(),
            size: s.len(),
            limit: 100
        }
    );
}
