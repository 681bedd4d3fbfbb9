//! The rules applied to a complete candidate path (leaf first, anchor last) before it is
//! accepted, beyond what path building checked of each certificate on the way
//! ([`crate::path::check_independent`]: validity, cA, EKU, the parser's strictness):
//! - the anchor must be within its validity period (OpenSSL refuses an expired root);
//! - the anchor must be a CA (basicConstraints cA, or a version 1 certificate) and must not
//!   carry a critical extension this crate does not process;
//! - every issuer with a keyUsage extension must assert keyCertSign;
//! - every issuer's pathLenConstraint, the anchor's included, bounds the intermediates below
//!   it that are not self-issued;
//! - when EKU checking is on, a leaf with a keyUsage extension must allow a TLS use of its key;
//! - the name constraints of every issuer ([`crate::name_constraints`]);
//! - with `strict`, the RFC 5280 profile rules of [`crate::strict`].

use pki_types::UnixTime;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::KeyUsage;

use crate::certificate::{Certificate, rfc3339};
use crate::error::ValidationError;
use crate::extensions::is_processed;
use crate::limits::MAX_NAME_CONSTRAINT_COMPARISONS;
use crate::name_constraints::{self, Refusal};
use crate::options::{Purpose, ValidationOptions, what};
use crate::path::Node;

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
        if ext.critical && !is_processed(&ext.extn_id) {
            return Err(ValidationError::UnsupportedCriticalExtension {
                what: what(index, len),
                subject: anchor.subject_dn().to_owned(),
                oid: ext.extn_id.to_string(),
            });
        }
    }
    Ok(())
}

/// Applies the checks to `path` (leaf first, anchor last). `budget` bounds the name
/// constraint comparisons of the whole validation.
pub(crate) fn check_path(
    path: &[&Node],
    options: &ValidationOptions,
    at: UnixTime,
    budget: &mut name_constraints::Budget,
) -> Result<(), ValidationError> {
    let len = path.len();
    let Some(anchor) = path.last() else {
        return Ok(());
    };
    check_anchor(anchor.cert(), len - 1, len, at)?;
    let certs: Vec<&Certificate> = path.iter().map(|n| n.cert()).collect();
    let self_issued: Vec<bool> = path.iter().map(|n| n.is_self_issued()).collect();

    // Issuers (every certificate but the leaf) must allow certificate signing.
    for (i, cert) in certs.iter().enumerate().skip(1) {
        let ku = key_usage(cert).map_err(|e| rule(i, len, cert, e))?;
        if ku.is_some_and(|ku| !ku.key_cert_sign()) {
            return Err(ValidationError::KeyUsage {
                what: what(i, len),
                subject: cert.subject_dn().to_owned(),
                required: "keyCertSign",
            });
        }
    }

    // Each issuer's pathLenConstraint bounds the intermediates below it that are not
    // self-issued (RFC 5280 section 4.2.1.9); the anchor's too.
    for (k, cert) in certs.iter().enumerate().skip(1) {
        if let Some(max) = cert.path_len() {
            let below = self_issued
                .get(1..k)
                .unwrap_or(&[])
                .iter()
                .filter(|s| !**s)
                .count();
            if below > usize::from(max) {
                return Err(ValidationError::PathLenConstraint);
            }
        }
    }

    if options.check_eku && len > 1 {
        check_leaf_key_usage(certs[0], &options.purpose)?;
    }
    name_constraints::check_path(&certs, &self_issued, budget).map_err(|r| match r {
        Refusal::Violation => ValidationError::NameConstraint,
        Refusal::Budget => ValidationError::BudgetExceeded {
            what: "name constraint comparisons",
            limit: MAX_NAME_CONSTRAINT_COMPARISONS,
        },
    })?;
    if options.strict {
        crate::strict::check_path(&certs, &options.purpose)?;
    }
    Ok(())
}

/// A leaf with a keyUsage extension must allow a TLS use of its key.
fn check_leaf_key_usage(leaf: &Certificate, purpose: &Purpose) -> Result<(), ValidationError> {
    let Some(ku) = key_usage(leaf).map_err(|e| rule(0, 2, leaf, e))? else {
        return Ok(());
    };
    let allowed = match purpose {
        Purpose::Client => ku.digital_signature() || ku.key_agreement(),
        Purpose::Server { .. } | Purpose::ServerAuth => {
            ku.digital_signature() || ku.key_encipherment() || ku.key_agreement()
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(ValidationError::KeyUsage {
            what: "leaf".to_owned(),
            subject: leaf.subject_dn().to_owned(),
            required: "digitalSignature, keyEncipherment or keyAgreement",
        })
    }
}
