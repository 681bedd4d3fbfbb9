//! The test PKI (mtls-test-pki's header vectors, generated once per test binary), and the
//! producers' encodings that the crate's own encoders do not write (ALB's raw `+=/`, Apache's
//! lowercase escapes, ...).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use mtls_header::encode;
pub use mtls_test_pki::HeaderVectors as Pki;

/// The header vectors (mtls-test-pki's, generated once per test binary).
pub fn pki() -> &'static Pki {
    mtls_test_pki::header_vectors()
}

/// The DER of every certificate of a decoded chain.
pub fn ders(chain: &mtls_header::ForwardedChain) -> Vec<Vec<u8>> {
    chain
        .certificates()
        .iter()
        .map(|c| c.der().to_vec())
        .collect()
}

/// PEM of the certificates, concatenated.
pub fn pem(ders: &[&[u8]]) -> String {
    ders.iter().map(|d| encode::pem(d)).collect()
}

/// AWS ALB as its text describes it: URL-encoded "with `+=/` as safe characters".
pub fn alb_safe(ders: &[&[u8]]) -> String {
    pem(ders).replace(' ', "%20").replace('\n', "%0A")
}

/// AWS ALB as its docs example shows it: `=` as `%3D`, `+` and `/` raw.
pub fn alb_docs(ders: &[&[u8]]) -> String {
    alb_safe(ders).replace('=', "%3D")
}

/// Apache `expr=%{escape:%{SSL_CLIENT_CERT}}`: `%20`, `%0a` lowercase, `+ = /` raw.
pub fn apache_expr(ders: &[&[u8]]) -> String {
    pem(ders).replace(' ', "%20").replace('\n', "%0a")
}

/// A DER certificate whose outer length is re-encoded with one octet too many (BER).
pub fn non_minimal_outer_length(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30);
    let count = usize::from(der[1] & 0x7f);
    assert!(der[1] & 0x80 != 0, "long-form length expected");
    let mut out = vec![0x30, 0x80 | (count as u8 + 1), 0];
    out.extend_from_slice(&der[2..2 + count]);
    out.extend_from_slice(&der[2 + count..]);
    out
}

/// Base64 of DER.
pub fn b64(der: &[u8]) -> String {
    encode::base64_der(der)
}

/// Base64url (no padding) of DER.
pub fn b64url(der: &[u8]) -> String {
    b64(der)
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_owned()
}

/// A certificate whose base64 has `+` or `/` and padding, so that base64url and missing
/// padding make a difference: re-generated until it does (a few tries at most).
pub fn cert_with_b64_specials() -> Vec<u8> {
    let p = pki();
    for der in [&p.client, &p.tricky, &p.evil] {
        let s = b64(der);
        if (s.contains('+') || s.contains('/')) && s.ends_with('=') {
            return der.clone();
        }
    }
    loop {
        let der = Pki::client_spec("pad").self_signed().der().to_vec();
        let s = b64(&der);
        if (s.contains('+') || s.contains('/')) && s.ends_with('=') {
            return der;
        }
    }
}
