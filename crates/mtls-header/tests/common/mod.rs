//! Test PKI, generated once per test binary with rcgen, and the producers' encodings that the
//! crate's own encoders do not write (ALB's raw `+=/`, Apache's lowercase escapes, ...).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use mtls_header::encode;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// P-256 root -> intermediate -> leaves, named for what they exercise.
pub struct Pki {
    pub root: Vec<u8>,
    pub intermediate: Vec<u8>,
    /// `CN=test-client,OU=Clients,O=Header Vectors Test,C=US`, email SAN, issued by the
    /// intermediate.
    pub client: Vec<u8>,
    /// A leaf whose DN holds `" ; , + \` and the text `Cert="x"`.
    pub tricky: Vec<u8>,
    /// A self-signed look-alike of `client` (same subject), not issued by anyone here.
    pub evil: Vec<u8>,
}

fn ca(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

fn client_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CountryName, "US");
    p.distinguished_name
        .push(DnType::OrganizationName, "Header Vectors Test");
    p.distinguished_name
        .push(DnType::OrganizationalUnitName, "Clients");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names = vec![SanType::Rfc822Name(
        "client@example.test".try_into().unwrap(),
    )];
    p
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let root_key = KeyPair::generate().unwrap();
        let root_params = ca("Header Test Root");
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(root_params, &root_key);
        let int_key = KeyPair::generate().unwrap();
        let int_params = ca("Header Test Intermediate");
        let intermediate = int_params.signed_by(&int_key, &root_issuer).unwrap();
        let int_issuer = Issuer::new(int_params, &int_key);
        let client_key = KeyPair::generate().unwrap();
        let client = client_params("test-client")
            .signed_by(&client_key, &int_issuer)
            .unwrap();
        let tricky_key = KeyPair::generate().unwrap();
        let tricky = client_params(r#"tricky "q" ;semi, comma +plus \back Cert="x""#)
            .signed_by(&tricky_key, &int_issuer)
            .unwrap();
        let evil_key = KeyPair::generate().unwrap();
        let evil = client_params("test-client").self_signed(&evil_key).unwrap();
        Pki {
            root: root.der().to_vec(),
            intermediate: intermediate.der().to_vec(),
            client: client.der().to_vec(),
            tricky: tricky.der().to_vec(),
            evil: evil.der().to_vec(),
        }
    })
}

impl Pki {
    /// leaf, intermediate, root: what ALB passthrough sends.
    pub fn full_chain(&self) -> Vec<&[u8]> {
        vec![&self.client, &self.intermediate, &self.root]
    }
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
        let key = KeyPair::generate().unwrap();
        let der = client_params("pad")
            .self_signed(&key)
            .unwrap()
            .der()
            .to_vec();
        let s = b64(&der);
        if (s.contains('+') || s.contains('/')) && s.ends_with('=') {
            return der;
        }
    }
}
