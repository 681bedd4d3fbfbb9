//! A client-certificate verifier for the Admin API's TLS: it requires a certificate and
//! checks the client's proof of possession at the handshake; the chain itself is validated
//! by mtls-cert once the handshake is done ([`crate::AdminTls::client_cas`]), with the same
//! rules as the plugins'.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

/// Requires a client certificate; validation is mtls-cert's, after the handshake.
///
/// ```
/// use std::sync::Arc;
/// use mtls_admin::tls::RequestClientCertificate;
/// use rustls::server::danger::ClientCertVerifier;
///
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let verifier = RequestClientCertificate::new(provider);
/// assert!(verifier.client_auth_mandatory());
/// ```
#[derive(Debug)]
pub struct RequestClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl RequestClientCertificate {
    /// A verifier using `provider`'s signature algorithms.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Self {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for RequestClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let bad = || Error::InvalidCertificate(rustls::CertificateError::BadEncoding);
        if intermediates.len() + 1 > mtls_cert::limits::MAX_CERTIFICATES {
            return Err(bad());
        }
        webpki::EndEntityCert::try_from(end_entity).map_err(|_| bad())?;
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
