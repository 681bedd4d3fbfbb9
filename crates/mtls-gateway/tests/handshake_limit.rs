//! The handshake keeps its own chain cap (`MAX_HANDSHAKE_CERTIFICATES`, 16), lower than the
//! limit for presented chains in headers and `validate_chain` (`MAX_CERTIFICATES`, 64).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mtls_cert::limits::{MAX_CERTIFICATES, MAX_HANDSHAKE_CERTIFICATES};
use mtls_gateway::danger::DeferredChainVerifier;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;

#[test]
fn handshake_cap_is_lower_than_the_chain_limit() {
    const { assert!(MAX_HANDSHAKE_CERTIFICATES < MAX_CERTIFICATES) };
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["client.example.test".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let leaf: CertificateDer<'static> = leaf.der().clone();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = DeferredChainVerifier::new(provider, Vec::new());
    let at_cap = vec![leaf.clone(); MAX_HANDSHAKE_CERTIFICATES - 1];
    verifier
        .verify_client_cert(&leaf, &at_cap, UnixTime::now())
        .unwrap();
    let over = vec![leaf.clone(); MAX_HANDSHAKE_CERTIFICATES];
    let err = verifier
        .verify_client_cert(&leaf, &over, UnixTime::now())
        .unwrap_err();
    assert_eq!(
        err,
        rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
    );
}
