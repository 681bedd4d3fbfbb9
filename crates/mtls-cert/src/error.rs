//! The crate's errors: [`Error`] for input that cannot be used (certificates, CA entities,
//! CRLs) and [`ValidationError`] for a chain that was read but does not validate.

use uuid::Uuid;

/// Input that cannot be used: a certificate, CA entity or CRL that is malformed, refused by
/// Kong's entity checks, or past a limit. Every variant names what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input holds no CERTIFICATE block (PEM) and is not a DER certificate.
    #[error("no certificate found in the input")]
    NoCertificate,
    /// A PEM block could not be decoded.
    #[error("PEM certificate block {index} is malformed: {reason}")]
    MalformedPem {
        /// Position of the block among the input's certificate blocks (0 = first).
        index: usize,
        /// What the decoder said.
        reason: String,
    },
    /// A certificate is not valid DER X.509.
    #[error("certificate {index} is malformed: {reason}")]
    MalformedCertificate {
        /// Position of the certificate in its input (0 = first, the leaf of a chain).
        index: usize,
        /// What the parser said.
        reason: String,
    },
    /// A certificate is larger than the limit.
    #[error("certificate {index} is {size} bytes, over the limit of {limit}")]
    CertificateTooLarge {
        /// Position of the certificate in its input.
        index: usize,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// An input holds more certificates than the limit.
    #[error("more than {limit} certificates in one input")]
    TooManyCertificates {
        /// The limit.
        limit: usize,
    },
    /// An input is larger than the limit.
    #[error("input is {size} bytes, over the limit of {limit}")]
    InputTooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Kong: a ca_certificates entity must hold exactly one certificate.
    #[error("please submit only one certificate at a time")]
    CaNotSingle,
    /// Kong: a ca_certificates entity must not be expired when it is created.
    #[error("certificate expired, \"Not After\" time is in the past")]
    CaExpired,
    /// Kong: a ca_certificates entity must carry basicConstraints cA = TRUE.
    #[error(
        "certificate does not appear to be a CA because it is missing the \"CA\" basic constraint"
    )]
    CaNotCa,
    /// A CA id asked for is not in the store.
    #[error("CA certificate {0} does not exist")]
    UnknownCaId(Uuid),
    /// Two CA entities have the same id or the same certificate.
    #[error("duplicate CA certificate (id {id}, cert_digest {cert_digest})")]
    DuplicateCa {
        /// The id of the second entity.
        id: Uuid,
        /// Its digest.
        cert_digest: String,
    },
    /// A CRL is not valid DER (or PEM).
    #[error("CRL {index} is malformed: {reason}")]
    MalformedCrl {
        /// Position of the CRL in its input.
        index: usize,
        /// What the parser said.
        reason: String,
    },
    /// A CRL uses a feature this crate does not evaluate (delta, indirect, partitioned CRLs,
    /// unknown critical extensions); using it would risk a wrong answer.
    #[error("CRL {index} (issuer {issuer}) is not supported: {reason}")]
    UnsupportedCrl {
        /// Position of the CRL in its input.
        index: usize,
        /// The CRL issuer's DN (RFC 2253).
        issuer: String,
        /// What is unsupported.
        reason: String,
    },
    /// No CA of the set (nor any certificate given with the CRLs) issued this CRL with a
    /// signature that verifies.
    #[error("CRL {index} (issuer {issuer}) is not signed by any known CA: {reason}")]
    CrlIssuerNotFound {
        /// Position of the CRL in its input.
        index: usize,
        /// The CRL issuer's DN (RFC 2253).
        issuer: String,
        /// Why each candidate was refused, or that there was none.
        reason: String,
    },
}

/// Why a certificate chain does not validate. Each variant carries what the diagnostic
/// output needs: which certificate (by subject DN and position), which time, which limit.
///
/// [`ValidationError::kind`] gives a stable snake_case label for machine-readable output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// No certificate was presented.
    #[error("no certificate was presented")]
    NoCertificate,
    /// A presented certificate could not be read.
    #[error(transparent)]
    Malformed(#[from] Error),
    /// More certificates were presented than the limit allows.
    #[error("{presented} certificates presented, over the limit of {limit}")]
    ChainTooLong {
        /// How many were presented.
        presented: usize,
        /// The limit.
        limit: usize,
    },
    /// No path from the leaf to a trusted CA was found.
    #[error("unable to get local issuer certificate for {subject} (issuer {issuer})")]
    UnknownIssuer {
        /// The leaf's subject.
        subject: String,
        /// The issuer the leaf names.
        issuer: String,
    },
    /// A certificate of the path has expired.
    #[error("{what} ({subject}) expired at {not_after} (checked at {at})")]
    Expired {
        /// `leaf`, `intermediate N` or `CA`.
        what: String,
        /// Its subject.
        subject: String,
        /// Its notAfter (RFC 3339).
        not_after: String,
        /// The validation time (RFC 3339).
        at: String,
    },
    /// A certificate of the path is not valid yet.
    #[error("{what} ({subject}) is not valid before {not_before} (checked at {at})")]
    NotYetValid {
        /// `leaf`, `intermediate N` or `CA`.
        what: String,
        /// Its subject.
        subject: String,
        /// Its notBefore (RFC 3339).
        not_before: String,
        /// The validation time (RFC 3339).
        at: String,
    },
    /// A signature in the path does not verify.
    #[error("certificate signature failure: {detail}")]
    BadSignature {
        /// Which certificate and which key.
        detail: String,
    },
    /// A signature algorithm in the path is not supported.
    #[error("unsupported signature algorithm: {detail}")]
    UnsupportedSignatureAlgorithm {
        /// Which certificate and which key.
        detail: String,
    },
    /// The leaf's extended key usage does not allow the purpose.
    #[error("the leaf's extended key usage does not include {required}")]
    ExtendedKeyUsage {
        /// `clientAuth` or `serverAuth`.
        required: &'static str,
    },
    /// A key usage extension forbids the use made of the key.
    #[error("{what} ({subject}) key usage does not allow {required}")]
    KeyUsage {
        /// `leaf`, `intermediate N` or `CA`.
        what: String,
        /// Its subject.
        subject: String,
        /// The usage needed.
        required: &'static str,
    },
    /// A CA certificate was presented as the leaf.
    #[error("a CA certificate ({subject}) was presented as the leaf")]
    CaUsedAsEndEntity {
        /// Its subject.
        subject: String,
    },
    /// A certificate that is not a CA appears as an issuer.
    #[error("a certificate that is not a CA ({subject}) issued another")]
    NotCa {
        /// Its subject.
        subject: String,
    },
    /// A basicConstraints path length was exceeded.
    #[error("path length constraint exceeded")]
    PathLenConstraint,
    /// A name constraint was violated.
    #[error("name constraints violated")]
    NameConstraint,
    /// The path is longer than the configured maximum depth.
    #[error("{intermediates} intermediate CA certificates, over the maximum depth of {max}")]
    DepthExceeded {
        /// How many intermediates the shortest found path has.
        intermediates: usize,
        /// The configured maximum.
        max: u8,
    },
    /// The leaf is not valid for the expected server name.
    #[error("certificate is not valid for {name}")]
    NameMismatch {
        /// The expected name.
        name: String,
    },
    /// A certificate of the path is revoked.
    #[error("{what} ({subject}, serial {serial}) is revoked")]
    Revoked {
        /// `leaf`, `intermediate N`.
        what: String,
        /// Its subject.
        subject: String,
        /// Its serial (uppercase hex).
        serial: String,
    },
    /// The revocation status of a certificate of the path is unknown (no usable CRL) and the
    /// policy asks to refuse in that case.
    #[error("revocation status of {what} ({subject}) is unknown: {reason}")]
    RevocationUnknown {
        /// `leaf`, `intermediate N`.
        what: String,
        /// Its subject.
        subject: String,
        /// Why.
        reason: String,
    },
    /// A certificate in the path has a critical extension this validator does not process.
    #[error("{what} ({subject}) has an unsupported critical extension {oid}")]
    UnsupportedCriticalExtension {
        /// `leaf`, `intermediate N` or `CA`.
        what: String,
        /// Its subject.
        subject: String,
        /// The extension's OID.
        oid: String,
    },
    /// A certificate breaks an RFC 5280 rule (or the strict profile's).
    #[error("{what} ({subject}) is invalid: {rule}")]
    Rfc5280 {
        /// `leaf`, `intermediate N` or `CA`.
        what: String,
        /// Its subject.
        subject: String,
        /// The rule broken.
        rule: String,
    },
    /// Path building gave up: a budget of [`crate::limits`] ran out before a path was found.
    #[error("path building gave up after {limit} {what}")]
    BudgetExceeded {
        /// What ran out (`signature checks`, `path-building steps`, `name constraint
        /// comparisons`).
        what: &'static str,
        /// The budget.
        limit: usize,
    },
    /// Any other reason.
    #[error("certificate verify failed: {detail}")]
    Other {
        /// What webpki reported.
        detail: String,
    },
}

impl ValidationError {
    /// A stable snake_case label for machine-readable output (`mtls verify`'s `error`).
    pub fn kind(&self) -> &'static str {
        match self {
            ValidationError::NoCertificate => "no_certificate",
            ValidationError::Malformed(_) => "malformed",
            ValidationError::ChainTooLong { .. } => "chain_too_long",
            ValidationError::UnknownIssuer { .. } => "unknown_issuer",
            ValidationError::Expired { .. } => "expired",
            ValidationError::NotYetValid { .. } => "not_yet_valid",
            ValidationError::BadSignature { .. } => "bad_signature",
            ValidationError::UnsupportedSignatureAlgorithm { .. } => {
                "unsupported_signature_algorithm"
            }
            ValidationError::ExtendedKeyUsage { .. } => "extended_key_usage",
            ValidationError::KeyUsage { .. } => "key_usage",
            ValidationError::CaUsedAsEndEntity { .. } => "ca_used_as_end_entity",
            ValidationError::NotCa { .. } => "not_ca",
            ValidationError::PathLenConstraint => "path_len_constraint",
            ValidationError::NameConstraint => "name_constraint",
            ValidationError::DepthExceeded { .. } => "depth_exceeded",
            ValidationError::NameMismatch { .. } => "name_mismatch",
            ValidationError::Revoked { .. } => "revoked",
            ValidationError::RevocationUnknown { .. } => "revocation_unknown",
            ValidationError::UnsupportedCriticalExtension { .. } => {
                "unsupported_critical_extension"
            }
            ValidationError::Rfc5280 { .. } => "rfc5280",
            ValidationError::BudgetExceeded { .. } => "budget_exceeded",
            ValidationError::Other { .. } => "other",
        }
    }
}
