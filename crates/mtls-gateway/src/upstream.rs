//! Upstream mutual TLS: one `rustls::ClientConfig` per service, built with the snapshot.
//!
//! The client certificate is the service's `client_certificate`, else the global default
//! (Kong's `client_ssl_cert` / `client_ssl_cert_key`). With `tls_verify` the upstream's
//! certificate is validated by mtls-cert against the service's `ca_certificates`, for the
//! upstream host name, with `tls_verify_depth` as the maximum depth.

use std::sync::Arc;

use mtls_cert::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use mtls_cert::{CaSet, ValidationOptions, validate_chain};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::error::TlsError;

/// How one service's upstream TLS is set up.
#[derive(Debug, Clone)]
pub struct UpstreamTls {
    /// The client certificate chain and key presented to the upstream, if any.
    pub client_certificate: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// Kong's `tls_verify`: validate the upstream's certificate. When `false` only the
    /// handshake signature is checked (the connection is encrypted, not authenticated).
    pub verify: bool,
    /// Kong's `tls_verify_depth`.
    pub verify_depth: Option<u8>,
    /// The trust store for the upstream's certificate (the service's `ca_certificates`).
    pub trust: CaSet,
}

#[derive(Debug)]
pub(crate) struct UpstreamVerifier {
    verify: bool,
    depth: Option<u8>,
    trust: CaSet,
    algorithms: WebPkiSupportedAlgorithms,
}

impl UpstreamVerifier {
    /// A verifier that accepts any server certificate (`tls_verify = false`, `ssl_verify =
    /// false`) but still checks the handshake signatures against it.
    pub(crate) fn accept_any(provider: &CryptoProvider) -> Self {
        Self {
            verify: false,
            depth: None,
            trust: CaSet::empty(),
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

fn name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

impl ServerCertVerifier for UpstreamVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.verify {
            return Ok(ServerCertVerified::assertion());
        }
        let mut chain = Vec::with_capacity(intermediates.len() + 1);
        chain.push(end_entity.clone());
        chain.extend(intermediates.iter().cloned());
        let options = ValidationOptions::server(name_text(server_name)).with_max_depth(self.depth);
        validate_chain(&chain, &self.trust, &options, now)
            .map(|_| ServerCertVerified::assertion())
            .map_err(|e| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
                    rustls::OtherError(Arc::new(e)),
                ))
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl UpstreamTls {
    /// Builds the service's `ClientConfig`.
    pub fn client_config(
        &self,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<ClientConfig>, TlsError> {
        let verifier = Arc::new(UpstreamVerifier {
            verify: self.verify,
            depth: self.verify_depth,
            trust: self.trust.clone(),
            algorithms: provider.signature_verification_algorithms,
        });
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match &self.client_certificate {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(|e| TlsError::ClientCertificate(e.to_string()))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}
