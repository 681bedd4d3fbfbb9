//! RFC 5280 and OpenSSL rules that rustls-webpki does not check, applied to a candidate
//! path (leaf first, anchor last) before it is accepted.
//!
//! webpki keeps only the subject, key and name constraints of a trust anchor, and ignores
//! the keyUsage extension entirely. These checks close those gaps:
//! - the anchor must be within its validity period (OpenSSL refuses an expired root);
//! - the anchor must be a CA (basicConstraints cA, or a version 1 certificate), must not
//!   carry a critical extension this crate does not process, and its pathLenConstraint
//!   bounds the intermediates below it;
//! - every issuer with a keyUsage extension must assert keyCertSign;
//! - when EKU checking is on, a leaf with a keyUsage extension must allow a TLS use of its key.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280 as oids;
use pki_types::UnixTime;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::KeyUsage;

use crate::certificate::{Certificate, rfc3339};
use crate::error::ValidationError;
use crate::validate::{Purpose, ValidationOptions, what};

/// Extensions whose semantics the validator (webpki plus this module) processes.
const PROCESSED: &[ObjectIdentifier] = &[
    oids::ID_CE_BASIC_CONSTRAINTS,
    oids::ID_CE_KEY_USAGE,
    oids::ID_CE_EXT_KEY_USAGE,
    oids::ID_CE_SUBJECT_ALT_NAME,
    oids::ID_CE_NAME_CONSTRAINTS,
    oids::ID_CE_SUBJECT_KEY_IDENTIFIER,
    oids::ID_CE_AUTHORITY_KEY_IDENTIFIER,
    oids::ID_CE_CRL_DISTRIBUTION_POINTS,
    oids::ID_PE_AUTHORITY_INFO_ACCESS,
];

fn key_usage(cert: &Certificate) -> Result<Option<KeyUsage>, String> {
    cert.x509()
        .tbs_certificate()
        .get_extension::<KeyUsage>()
        .map(|o| o.map(|(_, ku)| ku))
        .map_err(|e| format!("keyUsage: {e}"))
}

fn rule(index: usize, len: usize, cert: &Certificate, rule: impl Into<String>) -> ValidationError {
    ValidationError::Rfc5280 {
        what: what(index, len),
        subject: cert.subject_dn().to_owned(),
        rule: rule.into(),
    }
}

fn check_anchor(
    anchor: &Certificate,
    index: usize,
    len: usize,
    at: UnixTime,
) -> Result<(), ValidationError> {
    if at > anchor.not_after() {
        return Err(ValidationError::Expired {
            what: "CA".to_owned(),
            subject: anchor.subject_dn().to_owned(),
            not_after: rfc3339(anchor.not_after()),
            at: rfc3339(at),
        });
    }
    if at < anchor.not_before() {
        return Err(ValidationError::NotYetValid {
            what: "CA".to_owned(),
            subject: anchor.subject_dn().to_owned(),
            not_before: rfc3339(anchor.not_before()),
            at: rfc3339(at),
        });
    }
    let tbs = anchor.x509().tbs_certificate();
    if !anchor.is_ca() && tbs.version() != Version::V1 {
        return Err(ValidationError::NotCa {
            subject: anchor.subject_dn().to_owned(),
        });
    }
    for ext in tbs.extensions().map(|e| e.as_slice()).unwrap_or(&[]) {
        if ext.critical && !PROCESSED.contains(&ext.extn_id) {
            return Err(ValidationError::UnsupportedCriticalExtension {
                what: what(index, len),
                subject: anchor.subject_dn().to_owned(),
                oid: ext.extn_id.to_string(),
            });
        }
    }
    Ok(())
}

/// Applies the checks to `path` (leaf first, anchor last).
pub(crate) fn check_path(
    path: &[Certificate],
    options: &ValidationOptions,
    at: UnixTime,
) -> Result<(), ValidationError> {
    let len = path.len();
    let Some(anchor) = path.last() else {
        return Ok(());
    };
    check_anchor(anchor, len - 1, len, at)?;

    // Issuers (every certificate but the leaf) must allow certificate signing.
    for (i, cert) in path.iter().enumerate().skip(1) {
        let ku = key_usage(cert).map_err(|e| rule(i, len, cert, e))?;
        if ku.is_some_and(|ku| !ku.key_cert_sign()) {
            return Err(ValidationError::KeyUsage {
                what: what(i, len),
                subject: cert.subject_dn().to_owned(),
                required: "keyCertSign",
            });
        }
    }

    // The anchor's pathLenConstraint bounds the non-self-issued intermediates below it.
    if let Some(max) = anchor.path_len() {
        let below = path
            .get(1..len - 1)
            .unwrap_or(&[])
            .iter()
            .filter(|c| !c.is_self_issued())
            .count();
        if below > usize::from(max) {
            return Err(ValidationError::PathLenConstraint);
        }
    }

    if options.check_eku && len > 1 {
        let leaf = &path[0];
        if let Some(ku) = key_usage(leaf).map_err(|e| rule(0, len, leaf, e))? {
            let allowed = match options.purpose {
                Purpose::Client => ku.digital_signature() || ku.key_agreement(),
                Purpose::Server { .. } => {
                    ku.digital_signature() || ku.key_encipherment() || ku.key_agreement()
                }
            };
            if !allowed {
                return Err(ValidationError::KeyUsage {
                    what: "leaf".to_owned(),
                    subject: leaf.subject_dn().to_owned(),
                    required: "digitalSignature, keyEncipherment or keyAgreement",
                });
            }
        }
    }
    if options.strict {
        crate::strict::check_path(path, &options.purpose)?;
    }
    Ok(())
}
