//! OCSP (RFC 6960), sans IO: the request for a leaf and its issuer, and the full verification
//! of the response a responder returned.
//!
//! The ASN.1 is RustCrypto's `x509-ocsp`, which sits on `x509-cert` 0.2 / `der` 0.7 while the
//! rest of this crate uses `x509-cert` 0.3 / `der` 0.8: the two meet through DER bytes only.
//! Signatures are checked on the bytes as received, with the provider's webpki algorithms
//! (the same ones path validation uses).

use std::fmt;
use std::time::Duration;

use der07::asn1::OctetString;
use der07::{Decode as _, Encode as _};
use pki_types::UnixTime;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    ResponderId, SingleResponse, TbsRequest, Version,
};

use crate::certificate::{Certificate, rfc3339, serial_hex, to_unix};
use crate::signature::{split_spki, tlv, verify_signed};
use crate::validate::VerifiedChain;

/// Largest OCSP response accepted, in bytes (real responses are a few KiB).
pub const MAX_OCSP_RESPONSE_SIZE: usize = 256 * 1024;

/// Longest nonce accepted in a request, in bytes (RFC 8954 allows 1 to 32).
pub const MAX_OCSP_NONCE_SIZE: usize = 32;

/// Clock skew tolerated between this host and the responder: a response is accepted when
/// `thisUpdate <= at + skew` and (when present) `nextUpdate >= at - skew`.
pub const OCSP_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// Most certificates read from a response's `certs` field when looking for its signer.
const MAX_RESPONSE_CERTS: usize = 16;

/// DER of the AlgorithmIdentifier `{ id-sha1, NULL }` used in requests' CertIDs.
const SHA1_ALG_ID: &[u8] = &[
    0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00,
];
/// id-sha1 (1.3.14.3.2.26), content octets.
const OID_SHA1: &[u8] = &[0x2B, 0x0E, 0x03, 0x02, 0x1A];
/// id-sha256 (2.16.840.1.101.3.4.2.1), content octets.
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1), content octets.
const OID_OCSP_BASIC: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
/// id-pkix-ocsp-nonce (1.3.6.1.5.5.7.48.1.2), content octets.
const OID_OCSP_NONCE: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02];
/// id-kp-OCSPSigning (1.3.6.1.5.5.7.3.9).
const ID_KP_OCSP_SIGNING: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");

/// Why an OCSP request could not be built or a response was not accepted. Every variant but
/// [`OcspError::InvalidRequest`] and [`OcspError::NoIssuer`] means the responder gave no
/// usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OcspError {
    /// The request could not be built (nonce length, unencodable serial).
    #[error("cannot build the OCSP request: {reason}")]
    InvalidRequest {
        /// What was wrong.
        reason: String,
    },
    /// The verified chain has no issuer for the leaf (the leaf is itself the anchor).
    #[error("the leaf is its own trust anchor: no issuer to ask an OCSP responder about")]
    NoIssuer,
    /// The response is over [`MAX_OCSP_RESPONSE_SIZE`].
    #[error("OCSP response of {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The response is not well-formed DER of the expected structures.
    #[error("malformed OCSP response: {reason}")]
    Malformed {
        /// The decoder's complaint, or which part was missing.
        reason: String,
    },
    /// The responder answered with a responseStatus other than successful.
    #[error("OCSP responder answered {status}")]
    Unsuccessful {
        /// The RFC 6960 name of the status (`tryLater`, `unauthorized`, ...).
        status: &'static str,
    },
    /// The response carries a critical extension this verifier does not understand.
    #[error("OCSP response has an unsupported critical extension {oid}")]
    UnsupportedCriticalExtension {
        /// The extension's OID (dotted).
        oid: String,
    },
    /// The response's signature does not verify with its signer's key.
    #[error("OCSP response signature by {signer} does not verify: {reason}")]
    BadSignature {
        /// The signer's subject DN.
        signer: String,
        /// `invalid signature`, `unsupported algorithm` or `malformed`.
        reason: &'static str,
    },
    /// The response is signed by someone not allowed to answer for the issuer.
    #[error("OCSP responder {responder} is not authorized: {reason}")]
    UnauthorizedResponder {
        /// The responder's subject DN, or its responderID when no certificate matched.
        responder: String,
        /// Why it is not authorized.
        reason: String,
    },
    /// No SingleResponse is about the leaf (issuer name and key hashes and serial).
    #[error(
        "OCSP response has no status for serial {serial} of issuer {issuer} ({responses} responses)"
    )]
    NoMatchingCertId {
        /// The leaf's serial (uppercase hex).
        serial: String,
        /// The issuer's subject DN.
        issuer: String,
        /// How many SingleResponses the response had.
        responses: usize,
    },
    /// The response's nextUpdate is past (beyond the skew).
    #[error("OCSP response is stale: nextUpdate {next_update}, now {at}")]
    Stale {
        /// nextUpdate (RFC 3339).
        next_update: String,
        /// The verification time (RFC 3339).
        at: String,
    },
    /// The response's thisUpdate is in the future (beyond the skew).
    #[error("OCSP response is not yet valid: thisUpdate {this_update}, now {at}")]
    NotYetValid {
        /// thisUpdate (RFC 3339).
        this_update: String,
        /// The verification time (RFC 3339).
        at: String,
    },
    /// The response carries a nonce different from the one sent.
    #[error("OCSP response nonce does not match the request's")]
    NonceMismatch,
}

/// The reason given for a revocation (RFC 5280 CRLReason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationReason {
    /// unspecified (0).
    Unspecified,
    /// keyCompromise (1).
    KeyCompromise,
    /// cACompromise (2).
    CaCompromise,
    /// affiliationChanged (3).
    AffiliationChanged,
    /// superseded (4).
    Superseded,
    /// cessationOfOperation (5).
    CessationOfOperation,
    /// certificateHold (6).
    CertificateHold,
    /// removeFromCRL (8).
    RemoveFromCrl,
    /// privilegeWithdrawn (9).
    PrivilegeWithdrawn,
    /// aACompromise (10).
    AaCompromise,
    /// A code RFC 5280 does not define.
    Other(u8),
}

impl RevocationReason {
    fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Unspecified,
            1 => Self::KeyCompromise,
            2 => Self::CaCompromise,
            3 => Self::AffiliationChanged,
            4 => Self::Superseded,
            5 => Self::CessationOfOperation,
            6 => Self::CertificateHold,
            8 => Self::RemoveFromCrl,
            9 => Self::PrivilegeWithdrawn,
            10 => Self::AaCompromise,
            other => Self::Other(other),
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::CaCompromise => "cACompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
            Self::CertificateHold => "certificateHold",
            Self::RemoveFromCrl => "removeFromCRL",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
            Self::AaCompromise => "aACompromise",
            Self::Other(code) => return write!(f, "reason {code}"),
        };
        f.write_str(name)
    }
}

/// The certificate status an accepted OCSP response gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspStatus {
    /// Not revoked.
    Good,
    /// Revoked.
    Revoked {
        /// When.
        revoked_at: UnixTime,
        /// Why, when the responder says.
        reason: Option<RevocationReason>,
    },
    /// The responder does not know the certificate.
    Unknown,
}

/// An accepted OCSP response: the status and the window it is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OcspAnswer {
    /// The leaf's status.
    pub status: OcspStatus,
    /// The SingleResponse's thisUpdate.
    pub this_update: UnixTime,
    /// The SingleResponse's nextUpdate: a cache must not keep the answer past it. `None`
    /// means the responder always has newer information (cache for the configured TTL only).
    pub next_update: Option<UnixTime>,
}

/// One OCSP question about a leaf: the request to POST (`application/ocsp-request`) and what
/// is needed to verify the response. The main entry point of OCSP.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mtls_cert::{CaCertificate, CaSet, OcspError, OcspQuery, ValidationOptions, validate_chain};
/// use mtls_cert::pki_types::UnixTime;
///
/// let ca_key = rcgen::KeyPair::generate()?;
/// let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
/// ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
/// let ca_pem = ca_params.self_signed(&ca_key)?.pem();
/// let issuer = rcgen::Issuer::new(ca_params, &ca_key);
/// let leaf_key = rcgen::KeyPair::generate()?;
/// let leaf = rcgen::CertificateParams::new(vec!["client.test".into()])?
///     .signed_by(&leaf_key, &issuer)?;
///
/// let ca = CaCertificate::new(uuid::Uuid::new_v4(), ca_pem.as_bytes(), UnixTime::now())?;
/// let set = CaSet::new(vec![ca])?;
/// let chain = validate_chain(&[leaf.der().clone()], &set, &ValidationOptions::client(),
///     UnixTime::now())?;
///
/// let query = OcspQuery::new(&chain, Some(b"0123456789abcdef"))?;
/// assert_eq!(query.request_der()[0], 0x30); // POST these bytes to query.responder_uri()
/// // A response is verified against the leaf, its issuer, the time and the nonce:
/// let err = query.verify(b"\x30\x03\x0a\x01\x03", UnixTime::now()).unwrap_err();
/// assert_eq!(err, OcspError::Unsuccessful { status: "tryLater" });
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OcspQuery {
    leaf: Certificate,
    issuer: Certificate,
    nonce: Option<Vec<u8>>,
    request: Vec<u8>,
}

impl OcspQuery {
    /// The query for `chain`'s leaf, with the leaf's issuer on the verified path and an
    /// optional nonce (1 to [`MAX_OCSP_NONCE_SIZE`] random bytes).
    pub fn new(chain: &VerifiedChain, nonce: Option<&[u8]>) -> Result<Self, OcspError> {
        let issuer = chain.issuer_of(0).ok_or(OcspError::NoIssuer)?;
        Self::for_certificates(chain.leaf(), issuer, nonce)
    }

    /// The query for `leaf` issued by `issuer` (which the caller has verified).
    pub fn for_certificates(
        leaf: &Certificate,
        issuer: &Certificate,
        nonce: Option<&[u8]>,
    ) -> Result<Self, OcspError> {
        let request = build_ocsp_request(leaf, issuer, nonce)?;
        Ok(Self {
            leaf: leaf.clone(),
            issuer: issuer.clone(),
            nonce: nonce.map(<[u8]>::to_vec),
            request,
        })
    }

    /// The DER-encoded OCSPRequest.
    pub fn request_der(&self) -> &[u8] {
        &self.request
    }

    /// The leaf's OCSP responder URI (see [`crate::ocsp_responder_uri`]).
    pub fn responder_uri(&self) -> Option<String> {
        crate::aia::ocsp_responder_uri(&self.leaf)
    }

    /// The leaf.
    pub fn leaf(&self) -> &Certificate {
        &self.leaf
    }

    /// The leaf's issuer.
    pub fn issuer(&self) -> &Certificate {
        &self.issuer
    }

    /// Verifies a DER OCSPResponse to this query at `at` (see [`verify_ocsp_response`]).
    pub fn verify(&self, response: &[u8], at: UnixTime) -> Result<OcspAnswer, OcspError> {
        verify_ocsp_response(
            response,
            &self.leaf,
            &self.issuer,
            at,
            self.nonce.as_deref(),
        )
    }
}

fn invalid_request(reason: impl fmt::Display) -> OcspError {
    OcspError::InvalidRequest {
        reason: reason.to_string(),
    }
}

/// The issuer's key bits (the SubjectPublicKeyInfo's BIT STRING contents).
fn key_bits(issuer: &Certificate) -> Vec<u8> {
    let spki = issuer.spki_der();
    split_spki(&spki)
        .map(|(_, key)| key.to_vec())
        .unwrap_or_default()
}

/// The extnValue of a nonce extension: an OCTET STRING holding the nonce (RFC 8954).
fn nonce_value(nonce: &[u8]) -> Result<Vec<u8>, der07::Error> {
    OctetString::new(nonce)?.to_der()
}

/// Builds a DER OCSPRequest (RFC 6960 4.1) for `leaf` issued by `issuer`: one Request whose
/// CertID uses SHA-1 (what responders expect) over the issuer's name DER and key bits and the
/// leaf's serial, and a nonce extension when `nonce` is given. Unsigned.
pub fn build_ocsp_request(
    leaf: &Certificate,
    issuer: &Certificate,
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, OcspError> {
    let cert_id = CertId {
        hash_algorithm: der07::Decode::from_der(SHA1_ALG_ID).map_err(invalid_request)?,
        issuer_name_hash: OctetString::new(Sha1::digest(issuer.subject_der()).to_vec())
            .map_err(invalid_request)?,
        issuer_key_hash: OctetString::new(Sha1::digest(key_bits(issuer)).to_vec())
            .map_err(invalid_request)?,
        serial_number: der07::Decode::from_der(&integer_der(leaf.serial_bytes())?)
            .map_err(invalid_request)?,
    };
    let request_extensions = match nonce {
        None => None,
        Some(n) if n.is_empty() || n.len() > MAX_OCSP_NONCE_SIZE => {
            return Err(invalid_request(format!(
                "a nonce of {} bytes (1 to {MAX_OCSP_NONCE_SIZE} allowed)",
                n.len()
            )));
        }
        Some(n) => {
            let value = nonce_value(n).map_err(invalid_request)?;
            // Extension ::= SEQUENCE { extnID, extnValue OCTET STRING }
            let mut ext = vec![0x06, OID_OCSP_NONCE.len() as u8];
            ext.extend_from_slice(OID_OCSP_NONCE);
            ext.extend_from_slice(
                &OctetString::new(value)
                    .map_err(invalid_request)?
                    .to_der()
                    .map_err(invalid_request)?,
            );
            let ext = wrap(0x30, &ext)?;
            Some(vec![
                der07::Decode::from_der(&ext).map_err(invalid_request)?,
            ])
        }
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id,
                single_request_extensions: None,
            }],
            request_extensions,
        },
        optional_signature: None,
    }
    .to_der()
    .map_err(invalid_request)
}

/// A DER TLV with a definite length.
fn wrap(tag: u8, contents: &[u8]) -> Result<Vec<u8>, OcspError> {
    let len = contents.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = u32::try_from(len)
            .map_err(|_| invalid_request("too long"))?
            .to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let used = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | used.len() as u8);
        out.extend_from_slice(used);
    }
    out.extend_from_slice(contents);
    Ok(out)
}

fn integer_der(twos_complement: &[u8]) -> Result<Vec<u8>, OcspError> {
    if twos_complement.is_empty() {
        return Err(invalid_request("empty serial number"));
    }
    wrap(0x02, twos_complement)
}

fn malformed(reason: impl fmt::Display) -> OcspError {
    OcspError::Malformed {
        reason: reason.to_string(),
    }
}

fn status_name(status: OcspResponseStatus) -> &'static str {
    match status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}

/// The encoded certificates of a BasicOCSPResponse's `certs` field, read from the bytes as
/// received (so their signatures are checked on the original encoding).
fn included_certs(basic: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let Some((0x30, body, _, _)) = tlv(basic) else {
        return out;
    };
    let mut rest = body;
    for _ in 0..3 {
        match tlv(rest) {
            Some((_, _, _, r)) => rest = r,
            None => return out,
        }
    }
    let Some((0xA0, explicit, _, _)) = tlv(rest) else {
        return out;
    };
    let Some((0x30, mut seq, _, _)) = tlv(explicit) else {
        return out;
    };
    while let Some((_, _, whole, r)) = tlv(seq) {
        if out.len() == MAX_RESPONSE_CERTS {
            break;
        }
        out.push(whole);
        seq = r;
    }
    out
}

/// Whether `id` names `cert` (byName: its subject; byKey: SHA-1 of its key bits).
fn names(id: &ResponderId, cert: &Certificate) -> bool {
    match id {
        ResponderId::ByName(name) => {
            let subject = cert.subject_der();
            name.to_der().is_ok_and(|n| n == subject) || same_decoded(name, &subject)
        }
        ResponderId::ByKey(hash) => hash.as_bytes() == Sha1::digest(key_bits(cert)).as_slice(),
    }
}

/// Whether `der` decodes to a value equal to `value` (names compared as parsed).
fn same_decoded<T: PartialEq + for<'a> der07::Decode<'a>>(value: &T, der: &[u8]) -> bool {
    T::from_der(der).is_ok_and(|decoded| &decoded == value)
}

fn describe(id: &ResponderId) -> String {
    match id {
        ResponderId::ByName(name) => name.to_string(),
        ResponderId::ByKey(hash) => format!(
            "with key hash {}",
            crate::certificate::hex_lower(hash.as_bytes())
        ),
    }
}

fn signature_failure(e: crate::signature::SignatureError) -> &'static str {
    match e {
        crate::signature::SignatureError::Malformed => "malformed",
        crate::signature::SignatureError::UnsupportedAlgorithm => "unsupported algorithm",
        crate::signature::SignatureError::Invalid => "invalid signature",
    }
}

fn has_ocsp_signing(cert: &Certificate) -> bool {
    match cert
        .x509()
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
    {
        Ok(Some((_, eku))) => eku.0.contains(&ID_KP_OCSP_SIGNING),
        _ => false,
    }
}

/// Checks who signed `basic` (the BasicOCSPResponse DER) and that the signature verifies.
fn check_signer(
    basic_der: &[u8],
    basic: &BasicOcspResponse,
    issuer: &Certificate,
    at: UnixTime,
) -> Result<(), OcspError> {
    let id = &basic.tbs_response_data.responder_id;
    let signer = if names(id, issuer) {
        issuer.clone()
    } else {
        let delegate = included_certs(basic_der)
            .into_iter()
            .filter_map(|der| Certificate::from_der(der).ok())
            .find(|c| names(id, c))
            .ok_or_else(|| OcspError::UnauthorizedResponder {
                responder: describe(id),
                reason: "it is neither the issuer nor a certificate included in the response"
                    .to_owned(),
            })?;
        let unauthorized = |reason: String| OcspError::UnauthorizedResponder {
            responder: delegate.subject_dn().to_owned(),
            reason,
        };
        if delegate.issuer_der() != issuer.subject_der()
            || verify_signed(delegate.der(), &issuer.spki_der()).is_err()
        {
            return Err(unauthorized(format!(
                "its certificate is not issued by {}",
                issuer.subject_dn()
            )));
        }
        if !has_ocsp_signing(&delegate) {
            return Err(unauthorized(
                "its certificate lacks extendedKeyUsage id-kp-OCSPSigning".to_owned(),
            ));
        }
        if !within(at, delegate.not_before(), delegate.not_after()) {
            return Err(unauthorized(format!(
                "its certificate is not valid at {}",
                rfc3339(at)
            )));
        }
        delegate
    };
    verify_signed(basic_der, &signer.spki_der()).map_err(|e| OcspError::BadSignature {
        signer: signer.subject_dn().to_owned(),
        reason: signature_failure(e),
    })
}

/// `not_before - skew <= at <= not_after + skew`.
fn within(at: UnixTime, not_before: UnixTime, not_after: UnixTime) -> bool {
    let at = at.as_secs();
    let skew = OCSP_CLOCK_SKEW.as_secs();
    not_before.as_secs() <= at.saturating_add(skew)
        && at <= not_after.as_secs().saturating_add(skew)
}

/// The hashes of `issuer` for a CertID hash algorithm, or `None` when unsupported.
fn issuer_hashes(
    alg: &[u8],
    params_ok: bool,
    issuer_name: &[u8],
    issuer_key: &[u8],
) -> Option<(Vec<u8>, Vec<u8>)> {
    if !params_ok {
        return None;
    }
    match alg {
        OID_SHA1 => Some((
            Sha1::digest(issuer_name).to_vec(),
            Sha1::digest(issuer_key).to_vec(),
        )),
        OID_SHA256 => Some((
            Sha256::digest(issuer_name).to_vec(),
            Sha256::digest(issuer_key).to_vec(),
        )),
        _ => None,
    }
}

fn matches(single: &SingleResponse, leaf: &Certificate, name: &[u8], key: &[u8]) -> bool {
    let id = &single.cert_id;
    let params_ok = id
        .hash_algorithm
        .parameters
        .as_ref()
        .is_none_or(|p| der07::Tagged::tag(p) == der07::Tag::Null && p.value().is_empty());
    let Some((name_hash, key_hash)) =
        issuer_hashes(id.hash_algorithm.oid.as_bytes(), params_ok, name, key)
    else {
        return false;
    };
    id.issuer_name_hash.as_bytes() == name_hash
        && id.issuer_key_hash.as_bytes() == key_hash
        && id.serial_number.as_bytes() == leaf.serial_bytes()
}

fn critical_ok(critical: bool, oid: &der07::asn1::ObjectIdentifier) -> Result<(), OcspError> {
    if critical && oid.as_bytes() != OID_OCSP_NONCE {
        return Err(OcspError::UnsupportedCriticalExtension {
            oid: oid.to_string(),
        });
    }
    Ok(())
}

/// Verifies a DER OCSPResponse about `leaf` (issued by `issuer`) at time `at`, fully:
///
/// - responseStatus is successful and the response type is id-pkix-ocsp-basic;
/// - the BasicOCSPResponse is signed by the issuer itself, or by a delegated responder whose
///   certificate is included in the response, named by its responderID, issued (name and
///   signature) by the issuer, valid at `at`, and carrying extendedKeyUsage id-kp-OCSPSigning;
/// - a SingleResponse's CertID (SHA-1 or SHA-256) matches the issuer's name and key and the
///   leaf's serial;
/// - `thisUpdate <= at + skew` and, when present, `nextUpdate >= at - skew`
///   ([`OCSP_CLOCK_SKEW`]);
/// - when `nonce` was sent and the response carries a nonce, they are equal. A response
///   without a nonce is accepted: most responders (and every CDN-cached one) omit it, and the
///   time window above bounds replay;
/// - no critical extension other than the nonce.
///
/// Never panics, whatever the input.
pub fn verify_ocsp_response(
    response: &[u8],
    leaf: &Certificate,
    issuer: &Certificate,
    at: UnixTime,
    nonce: Option<&[u8]>,
) -> Result<OcspAnswer, OcspError> {
    if response.len() > MAX_OCSP_RESPONSE_SIZE {
        return Err(OcspError::TooLarge {
            size: response.len(),
            limit: MAX_OCSP_RESPONSE_SIZE,
        });
    }
    let outer = OcspResponse::from_der(response).map_err(malformed)?;
    if outer.response_status != OcspResponseStatus::Successful {
        return Err(OcspError::Unsuccessful {
            status: status_name(outer.response_status),
        });
    }
    let bytes = outer
        .response_bytes
        .ok_or_else(|| malformed("a successful response without responseBytes"))?;
    if bytes.response_type.as_bytes() != OID_OCSP_BASIC {
        return Err(malformed(format!(
            "response type {} is not id-pkix-ocsp-basic",
            bytes.response_type
        )));
    }
    let basic_der = bytes.response.as_bytes();
    let basic = BasicOcspResponse::from_der(basic_der).map_err(malformed)?;
    check_signer(basic_der, &basic, issuer, at)?;
    let data = &basic.tbs_response_data;
    for ext in data.response_extensions.iter().flatten() {
        critical_ok(ext.critical, &ext.extn_id)?;
    }

    let name = issuer.subject_der();
    let key = key_bits(issuer);
    let single = data
        .responses
        .iter()
        .find(|s| matches(s, leaf, &name, &key))
        .ok_or_else(|| OcspError::NoMatchingCertId {
            serial: serial_hex(leaf.serial_bytes()),
            issuer: issuer.subject_dn().to_owned(),
            responses: data.responses.len(),
        })?;
    for ext in single.single_extensions.iter().flatten() {
        critical_ok(ext.critical, &ext.extn_id)?;
    }

    let this_update = to_unix(single.this_update.0.to_unix_duration());
    let next_update = single.next_update.map(|t| to_unix(t.0.to_unix_duration()));
    let skew = OCSP_CLOCK_SKEW.as_secs();
    if this_update.as_secs() > at.as_secs().saturating_add(skew) {
        return Err(OcspError::NotYetValid {
            this_update: rfc3339(this_update),
            at: rfc3339(at),
        });
    }
    if let Some(next) = next_update
        && next.as_secs().saturating_add(skew) < at.as_secs()
    {
        return Err(OcspError::Stale {
            next_update: rfc3339(next),
            at: rfc3339(at),
        });
    }
    if let Some(sent) = nonce {
        let got = data
            .response_extensions
            .as_ref()
            .and_then(|exts| exts.iter().find(|e| e.extn_id.as_bytes() == OID_OCSP_NONCE));
        if let Some(ext) = got {
            let value = ext.extn_value.as_bytes();
            // RFC 8954: an OCTET STRING holding the nonce; some responders put it bare.
            let expected = nonce_value(sent).map_err(malformed)?;
            if value != expected.as_slice() && value != sent {
                return Err(OcspError::NonceMismatch);
            }
        }
    }

    let status = match &single.cert_status {
        CertStatus::Good(_) => OcspStatus::Good,
        CertStatus::Unknown(_) => OcspStatus::Unknown,
        CertStatus::Revoked(info) => OcspStatus::Revoked {
            revoked_at: to_unix(info.revocation_time.0.to_unix_duration()),
            reason: info
                .revocation_reason
                .and_then(|r| r.to_der().ok())
                .and_then(|der| der.last().copied())
                .map(RevocationReason::from_code),
        },
    };
    Ok(OcspAnswer {
        status,
        this_update,
        next_update,
    })
}
