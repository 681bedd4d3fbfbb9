//! The result of a decode: [`ForwardedChain`], the leaf and the other certificates the proxy
//! forwarded (a pool, decision 18), every certificate checked for strict DER and parsed.

use mtls_cert::Certificate;
use mtls_cert::pki_types::CertificateDer;

use crate::HeaderFormat;
use crate::error::HeaderError;
use crate::hygiene::check_der_framing;

/// A client certificate chain read from a header: the leaf first, then the other certificates
/// in the order the proxy sent them. Those are a pool of untrusted intermediates, as TLS 1.3,
/// OpenSSL and Kong treat the certificates after the leaf: any order, extras allowed (a root,
/// a cross-signed copy, an unrelated certificate). Path building (`mtls_cert::validate_chain`)
/// picks what it needs. Each certificate is strict DER (minimal lengths, no trailing bytes)
/// and parses as X.509, and the leaf is not a CA.
///
/// Decoding proves nothing about the chain's validity: the gateway still validates it
/// (`mtls_cert::validate_chain`) unless it trusts the proxy to have done so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedChain {
    format: HeaderFormat,
    certificates: Vec<Certificate>,
}

impl ForwardedChain {
    /// The format the chain was read from.
    pub fn format(&self) -> HeaderFormat {
        self.format
    }

    /// The client's certificate.
    pub fn leaf(&self) -> &Certificate {
        // Never empty: `build` refuses an empty list.
        &self.certificates[0]
    }

    /// The certificates after the leaf, as sent: untrusted intermediates in any order (may
    /// include the root, or certificates no path uses).
    pub fn intermediates(&self) -> &[Certificate] {
        &self.certificates[1..]
    }

    /// Every certificate, leaf first.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The DER of every certificate, leaf first: what `mtls_cert::validate_chain` takes.
    pub fn ders(&self) -> Vec<CertificateDer<'static>> {
        self.certificates.iter().map(|c| c.der().clone()).collect()
    }

    /// The leaf's subject DN in the "/"-joined sorted form header-cert-auth uses for DN
    /// groups and `X-Client-Cert-DN` (`C=US/CN=kongclient/L=SF/O=KONG/OU=ENG/ST=CA`).
    pub fn subject_dn_slash(&self) -> &str {
        self.leaf().subject_dn_slash()
    }

    /// Checks and parses `ders` (leaf first) into a chain.
    pub(crate) fn build(format: HeaderFormat, ders: Vec<Vec<u8>>) -> Result<Self, HeaderError> {
        let mut certificates = Vec::with_capacity(ders.len());
        for (index, der) in ders.into_iter().enumerate() {
            check_der_framing(&der).map_err(|problem| HeaderError::Der {
                format,
                index,
                problem,
            })?;
            let cert = Certificate::from_der_indexed(&der, index)
                .map_err(|source| HeaderError::Certificate { format, source })?;
            certificates.push(cert);
        }
        let Some(leaf) = certificates.first() else {
            // Callers never pass an empty list; refusing it keeps `leaf` total.
            return Err(HeaderError::Pem {
                format,
                index: 0,
                offset: 0,
                problem: crate::error::PemProblem::NoBlock,
            });
        };
        if leaf.is_ca() {
            return Err(HeaderError::LeafIsCa {
                format,
                subject: leaf.subject_dn().to_owned(),
            });
        }
        Ok(Self {
            format,
            certificates,
        })
    }
}

/// Checks the certificate count against the limit, for a chain about to get one more.
pub(crate) fn check_count(
    format: HeaderFormat,
    count: usize,
    limits: &crate::Limits,
) -> Result<(), HeaderError> {
    if count >= limits.max_certificates() {
        Err(HeaderError::TooManyCertificates {
            format,
            limit: limits.max_certificates(),
        })
    } else {
        Ok(())
    }
}
