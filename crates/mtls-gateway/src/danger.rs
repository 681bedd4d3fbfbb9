//! Verifiers that accept a certificate chain at the handshake without validating it.
//!
//! Kong requests the client certificate during the handshake but judges it per request,
//! against the route's CA list: a route that needs no certificate must not fail because of one.
//! [`DeferredChainVerifier`] does the same in rustls. It is here, in a module named `danger`,
//! so that a reviewer finds it with one grep: used alone it authenticates nobody. What it
//! still checks, always (decisions.md item 3): that the client holds the private key of the
//! certificate it presented (the CertificateVerify signature), and that the chain is
//! well-formed DER. Chain validation happens in the request decision.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

/// A client-certificate verifier that requests a certificate, never requires one, accepts any
/// well-formed chain at the handshake, and verifies proof of possession.
///
/// ```
/// use std::sync::Arc;
/// use mtls_gateway::danger::DeferredChainVerifier;
///
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let verifier = DeferredChainVerifier::new(provider, Vec::new());
/// use rustls::server::danger::ClientCertVerifier;
/// assert!(verifier.offer_client_auth());
/// assert!(!verifier.client_auth_mandatory());
/// ```
#[derive(Debug)]
pub struct DeferredChainVerifier {
    algorithms: WebPkiSupportedAlgorithms,
    hints: Vec<DistinguishedName>,
}

impl DeferredChainVerifier {
    /// A verifier using `provider`'s signature algorithms, sending `hints` (CA subject names,
    /// DER) in the CertificateRequest. An empty list sends no names.
    pub fn new(provider: Arc<CryptoProvider>, hints: Vec<DistinguishedName>) -> Self {
        Self {
            algorithms: provider.signature_verification_algorithms,
            hints,
        }
    }
}

impl ClientCertVerifier for DeferredChainVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        // Well-formedness only: the chain is judged per request, per route. The handshake
        // keeps its own, lower cap (see `MAX_HANDSHAKE_CERTIFICATES` for why).
        if intermediates.len() + 1 > mtls_cert::limits::MAX_HANDSHAKE_CERTIFICATES {
            return Err(Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding,
            ));
        }
        for der in std::iter::once(end_entity).chain(intermediates) {
            if der.len() > mtls_cert::limits::MAX_CERTIFICATE_SIZE {
                return Err(Error::InvalidCertificate(
                    rustls::CertificateError::BadEncoding,
                ));
            }
        }
        webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| Error::InvalidCertificate(rustls::CertificateError::BadEncoding))?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
