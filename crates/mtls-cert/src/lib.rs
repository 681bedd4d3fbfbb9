//! # mtls-cert
//!
//! The foundation of the mtls workspace, which brings Kong Gateway's mutual-TLS plugins to
//! Rust proxies: one trustworthy answer to "is this client certificate chain valid for this
//! list of CAs, and who does it name?".
//!
//! - [`Certificate`]: a parsed X.509 certificate with the text forms Kong uses (RFC 2253 DNs
//!   identical to OpenSSL's, the sorted "/" DN, SANs, the subject-name list for consumer
//!   matching, serial, fingerprints).
//! - [`parse_pem`], [`parse_any`]: PEM (one or many CERTIFICATE blocks) and DER input.
//! - [`CaCertificate`], [`CaSet`]: Kong's `ca_certificates` entities, with its creation checks
//!   and messages, and the set a plugin trusts.
//! - [`validate_chain`]: RFC 5280 path validation over a pool of untrusted intermediates (any
//!   order, extras allowed), with rustls-webpki's parser and signature algorithms: anchor
//!   validity and basicConstraints, keyUsage, depth, self-issued intermediates as RFC 5280
//!   treats them, every name-constraint form; a [`VerifiedChain`] or a [`ValidationError`]
//!   that says precisely why.
//! - [`CrlSet`]: CRLs verified once at load, answering Good / Revoked / Unknown.
//! - [`OcspQuery`]: OCSP requests and full response verification (issuer or delegated
//!   responder signature, CertID, freshness, nonce), sans IO; [`ocsp_responder_uri`] and
//!   [`crl_distribution_uri`] find where to ask.
//! - [`ValidationCache`]: bounded cache of validation results, so a returning client skips
//!   path validation.
//!
//! The crate is sans-IO: no sockets, no runtime. The gateway crate does the IO.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mtls_cert::{CaCertificate, CaSet, ValidationOptions, validate_chain};
//! use pki_types::UnixTime;
//!
//! // A CA and a client certificate it issued (a real deployment reads PEM files).
//! let ca_key = rcgen::KeyPair::generate()?;
//! let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
//! ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
//! let ca_pem = ca_params.self_signed(&ca_key)?.pem();
//! let issuer = rcgen::Issuer::new(ca_params, &ca_key);
//! let leaf_key = rcgen::KeyPair::generate()?;
//! let mut leaf_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
//! leaf_params.distinguished_name = rcgen::DistinguishedName::new();
//! leaf_params.distinguished_name.push(rcgen::DnType::CommonName, "kongclient");
//! leaf_params.subject_alt_names =
//!     vec![rcgen::SanType::Rfc822Name("client@example.test".try_into()?)];
//! let leaf_pem = leaf_params.signed_by(&leaf_key, &issuer)?.pem();
//!
//! let ca = CaCertificate::new(uuid::Uuid::new_v4(), ca_pem.as_bytes(), UnixTime::now())?;
//! let set = CaSet::new(vec![ca])?;
//! let presented: Vec<_> = mtls_cert::parse_pem(leaf_pem.as_bytes())?
//!     .iter().map(|c| c.der().clone()).collect();
//! let chain = validate_chain(&presented, &set, &ValidationOptions::client(), UnixTime::now())?;
//! // Consumers are matched on every SAN in order, then the first CN.
//! assert_eq!(chain.leaf().subject_names(), ["client@example.test", "kongclient"]);
//! assert_eq!(chain.leaf().subject_dn(), "CN=kongclient");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod aia;
mod ca;
mod cache;
mod certificate;
mod checks;
mod crl;
mod error;
mod extensions;
mod host_names;
pub mod limits;
pub mod name;
mod name_constraints;
mod name_match;
mod ocsp;
mod options;
mod path;
mod pem;
mod san;
mod signature;
mod strict;
mod validate;

pub use aia::{crl_distribution_uri, ocsp_responder_uri};
pub use ca::{CaCertificate, CaSet, CaSetId};
pub use cache::ValidationCache;
pub use certificate::{Certificate, rfc3339};
pub use crl::{CrlSet, RevocationScope, RevocationStatus};
pub use error::{Error, ValidationError};
pub use ocsp::{
    MAX_OCSP_NONCE_SIZE, MAX_OCSP_RESPONSE_SIZE, OCSP_CLOCK_SKEW, OcspAnswer, OcspError, OcspQuery,
    OcspStatus, RevocationReason, build_ocsp_request, verify_ocsp_response,
};
pub use options::{Purpose, ValidationOptions};
pub use pem::{parse_any, parse_pem};
pub use san::{SanKind, SubjectAltName};
pub use validate::{VerifiedChain, validate_chain};

/// Re-exported so callers can name times and DER without adding the crate themselves.
pub use pki_types;
