//! Chain validation: rustls-webpki's path building, plus the checks it leaves out.
//!
//! webpki builds and verifies the path (signatures, validity of the leaf and intermediates,
//! basicConstraints, name constraints, EKU). Through its `verify_path` hook this module
//! refuses candidate paths that OpenSSL (and so Kong) or RFC 5280 would refuse: an anchor
//! outside its validity period or that is not a CA, a path deeper than the configured
//! maximum, and the rules in [`crate::checks`]. webpki then keeps searching for another path.

use std::cell::RefCell;

use pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyPurposeIdIter, KeyUsage};

use crate::ca::{CaCertificate, CaSet};
use crate::certificate::{Certificate, rfc3339};
use crate::checks;
use crate::error::ValidationError;
use crate::limits::MAX_CERTIFICATES;

/// What the leaf certificate is validated for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Purpose {
    /// A TLS client certificate (EKU clientAuth when an EKU extension is present).
    #[default]
    Client,
    /// A TLS server certificate (EKU serverAuth when present) valid for `name`, a DNS name
    /// or an IP address.
    Server {
        /// The expected server name.
        name: String,
    },
}

/// How a chain is validated. The defaults are Kong's except where decisions.md says
/// otherwise (EKU is checked).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// Client or server certificate. Default: [`Purpose::Client`].
    pub purpose: Purpose,
    /// Kong's `allow_partial_chain`: when `true` any CA of the set may anchor the path; when
    /// `false` (default) the path must end at a self-signed CA of the set, and stored CAs that
    /// are not self-signed act only as intermediates.
    pub allow_partial_chain: bool,
    /// When `true` (default), a leaf that carries an EKU extension must list the purpose's
    /// key purpose (and intermediates' EKUs must allow it, as webpki requires). Kong does not
    /// check EKU: set `false` for Kong's behaviour.
    pub check_eku: bool,
    /// nginx's `ssl_verify_depth`: the most intermediate CA certificates allowed between the
    /// leaf and the anchor. `None` (default): only webpki's own limit (6).
    pub max_depth: Option<u8>,
    /// When `true`, also enforce RFC 5280's profile rules that OpenSSL and Kong tolerate
    /// (authority/subject key identifiers present and non-critical, critical basicConstraints
    /// in CAs, positive serials, well-formed name constraints, usable keys, and for server
    /// certificates host-name syntax and a CN copied from the SANs). Default `false`.
    pub strict: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            purpose: Purpose::Client,
            allow_partial_chain: false,
            check_eku: true,
            max_depth: None,
            strict: false,
        }
    }
}

impl ValidationOptions {
    /// Options for a client certificate with the defaults.
    pub fn client() -> Self {
        Self::default()
    }

    /// Options for a server certificate expected to be valid for `name`.
    pub fn server(name: impl Into<String>) -> Self {
        Self {
            purpose: Purpose::Server { name: name.into() },
            ..Self::default()
        }
    }

    /// Sets [`ValidationOptions::allow_partial_chain`].
    pub fn with_partial_chain(mut self, allow: bool) -> Self {
        self.allow_partial_chain = allow;
        self
    }

    /// Sets [`ValidationOptions::check_eku`].
    pub fn with_eku_check(mut self, check: bool) -> Self {
        self.check_eku = check;
        self
    }

    /// Sets [`ValidationOptions::strict`].
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets [`ValidationOptions::max_depth`].
    pub fn with_max_depth(mut self, max: Option<u8>) -> Self {
        self.max_depth = max;
        self
    }
}

/// A chain that validated: the path from the leaf to its anchor and the CA entity that
/// anchors it. Only the validator builds one. Cheap to clone (shared, no allocation): a
/// validation-cache hit hands out a clone.
#[derive(Debug, Clone)]
pub struct VerifiedChain {
    path: std::sync::Arc<[Certificate]>,
    anchor: std::sync::Arc<CaCertificate>,
}

impl VerifiedChain {
    /// The leaf certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.path[0]
    }

    /// The whole path, leaf first, ending with the anchor's certificate.
    pub fn path(&self) -> &[Certificate] {
        &self.path
    }

    /// The intermediates used, leaf's issuer first (the anchor not included).
    pub fn intermediates(&self) -> &[Certificate] {
        let end = self.path.len().saturating_sub(1);
        self.path.get(1..end).unwrap_or(&[])
    }

    /// The CA entity whose certificate anchors the path (Kong's `ca_id` lookup by
    /// `cert_digest`).
    pub fn anchor(&self) -> &CaCertificate {
        &self.anchor
    }

    /// The earliest notAfter on the path: the chain is not valid after it.
    pub fn not_after(&self) -> UnixTime {
        self.path
            .iter()
            .map(Certificate::not_after)
            .min()
            .unwrap_or(UnixTime::since_unix_epoch(std::time::Duration::ZERO))
    }

    /// The latest notBefore on the path: the chain is not valid before it.
    pub fn not_before(&self) -> UnixTime {
        self.path
            .iter()
            .map(Certificate::not_before)
            .max()
            .unwrap_or(UnixTime::since_unix_epoch(std::time::Duration::ZERO))
    }

    /// The issuer of path member `index` (the next certificate on the path), if any.
    pub fn issuer_of(&self, index: usize) -> Option<&Certificate> {
        self.path.get(index + 1)
    }
}

/// An EKU validator that accepts everything (Kong's behaviour: no purpose set).
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for id in iter {
            id?;
        }
        Ok(())
    }
}

/// Names a path member for messages: `leaf`, `intermediate N` (1 = the leaf's issuer), `CA`.
pub(crate) fn what(index: usize, len: usize) -> String {
    if index == 0 {
        "leaf".to_owned()
    } else if index + 1 == len {
        "CA".to_owned()
    } else {
        format!("intermediate {index}")
    }
}

/// Validates a presented chain (leaf first, then the intermediates as the client sent them)
/// against a CA set at time `at`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mtls_cert::{CaCertificate, CaSet, Certificate, ValidationOptions, validate_chain};
/// use pki_types::UnixTime;
///
/// let ca_key = rcgen::KeyPair::generate()?;
/// let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
/// ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
/// ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Demo Root");
/// let ca_cert = ca_params.self_signed(&ca_key)?;
/// let issuer = rcgen::Issuer::new(ca_params, &ca_key);
///
/// let leaf_key = rcgen::KeyPair::generate()?;
/// let mut leaf_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
/// leaf_params.distinguished_name.push(rcgen::DnType::CommonName, "kongclient");
/// let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;
///
/// let ca = CaCertificate::new(uuid::Uuid::new_v4(), ca_cert.pem().as_bytes(), UnixTime::now())?;
/// let set = CaSet::new(vec![ca.clone()])?;
/// let chain = validate_chain(&[leaf.der().clone()], &set, &ValidationOptions::client(),
///     UnixTime::now())?;
/// assert_eq!(chain.leaf().common_name(), Some("kongclient"));
/// assert_eq!(chain.anchor().id(), ca.id());
/// # Ok(()) }
/// ```
pub fn validate_chain(
    presented: &[CertificateDer<'_>],
    cas: &CaSet,
    options: &ValidationOptions,
    at: UnixTime,
) -> Result<VerifiedChain, ValidationError> {
    if presented.is_empty() {
        return Err(ValidationError::NoCertificate);
    }
    if presented.len() > MAX_CERTIFICATES {
        return Err(ValidationError::ChainTooLong {
            presented: presented.len(),
            limit: MAX_CERTIFICATES,
        });
    }
    let parsed = presented
        .iter()
        .enumerate()
        .map(|(i, der)| Certificate::from_der_indexed(der, i))
        .collect::<Result<Vec<_>, _>>()?;
    validate_parsed(presented, &parsed, cas, options, at)
}

/// [`validate_chain`] for a chain already parsed (`parsed[i]` is `presented[i]`).
pub(crate) fn validate_parsed(
    presented: &[CertificateDer<'_>],
    parsed: &[Certificate],
    cas: &CaSet,
    options: &ValidationOptions,
    at: UnixTime,
) -> Result<VerifiedChain, ValidationError> {
    let (Some(leaf_der), Some(leaf)) = (presented.first(), parsed.first()) else {
        return Err(ValidationError::NoCertificate);
    };
    let end_entity = EndEntityCert::try_from(leaf_der).map_err(|e| {
        ValidationError::Malformed(crate::Error::MalformedCertificate {
            index: 0,
            reason: format!("{e:?}"),
        })
    })?;
    let partial = options.allow_partial_chain;
    let anchors = cas.anchors(partial);
    let mut intermediates: Vec<CertificateDer<'_>> = presented.get(1..).unwrap_or(&[]).to_vec();
    intermediates.extend(cas.extra_intermediates(partial).iter().cloned());

    let server_name = match &options.purpose {
        Purpose::Client => None,
        Purpose::Server { name } => Some(
            ServerName::try_from(name.as_str())
                .map_err(|_| ValidationError::NameMismatch { name: name.clone() })?,
        ),
    };

    let rejection: RefCell<Option<ValidationError>> = RefCell::new(None);
    let chosen: RefCell<Option<(usize, Vec<Certificate>)>> = RefCell::new(None);
    let find_cert = |der: &[u8]| -> Option<Certificate> {
        parsed
            .iter()
            .find(|c| c.der().as_ref() == der)
            .or_else(|| {
                cas.cas()
                    .iter()
                    .map(CaCertificate::certificate)
                    .find(|c| c.der().as_ref() == der)
            })
            .cloned()
    };
    let verify_path = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let Some(index) = anchors.iter().position(|a| std::ptr::eq(a, path.anchor())) else {
            return Err(webpki::Error::UnknownIssuer);
        };
        let Some(ca) = cas.anchor_ca(partial, index) else {
            return Err(webpki::Error::UnknownIssuer);
        };
        let mut full = Vec::with_capacity(4);
        full.push(leaf.clone());
        for cert in path.intermediate_certificates() {
            match find_cert(cert.der().as_ref()) {
                Some(c) => full.push(c),
                None => return Err(webpki::Error::UnknownIssuer),
            }
        }
        full.push(ca.certificate().clone());
        let intermediates = full.len() - 2;
        let verdict =
            checks::check_path(&full, options, at).and_then(|()| match options.max_depth {
                Some(max) if intermediates > usize::from(max) => {
                    Err(ValidationError::DepthExceeded { intermediates, max })
                }
                _ => Ok(()),
            });
        match verdict {
            Ok(()) => {
                *chosen.borrow_mut() = Some((index, full));
                Ok(())
            }
            Err(reason) => {
                let mut slot = rejection.borrow_mut();
                if slot.is_none() {
                    *slot = Some(reason);
                }
                Err(webpki::Error::UnknownIssuer)
            }
        }
    };

    let algs = webpki::ALL_VERIFICATION_ALGS;
    let result = match (&options.purpose, options.check_eku) {
        (_, false) => end_entity.verify_for_usage(
            algs,
            anchors,
            &intermediates,
            at,
            AnyEku,
            None,
            Some(&verify_path),
        ),
        (Purpose::Client, true) => end_entity.verify_for_usage(
            algs,
            anchors,
            &intermediates,
            at,
            KeyUsage::client_auth(),
            None,
            Some(&verify_path),
        ),
        (Purpose::Server { .. }, true) => end_entity.verify_for_usage(
            algs,
            anchors,
            &intermediates,
            at,
            KeyUsage::server_auth(),
            None,
            Some(&verify_path),
        ),
    };
    if let Err(e) = result {
        // A complete, correctly signed path that our checks refused explains more than
        // whatever webpki met on the other branches it tried afterwards.
        return Err(match rejection.into_inner() {
            Some(reason) => reason,
            None => map_error(e, options, parsed, cas),
        });
    }
    if let (Some(name), Purpose::Server { name: text }) = (&server_name, &options.purpose) {
        end_entity
            .verify_is_valid_for_subject_name(name)
            .map_err(|_| ValidationError::NameMismatch { name: text.clone() })?;
    }
    let Some((index, path)) = chosen.into_inner() else {
        return Err(ValidationError::Other {
            detail: "path accepted without a recorded anchor".to_owned(),
        });
    };
    let Some(anchor) = cas.anchor_ca(partial, index).cloned() else {
        return Err(ValidationError::Other {
            detail: "anchor index out of range".to_owned(),
        });
    };
    Ok(VerifiedChain {
        path: path.into(),
        anchor: std::sync::Arc::new(anchor),
    })
}

/// Finds the certificate (presented or stored) a time error is about.
fn locate_by_time(
    parsed: &[Certificate],
    cas: &CaSet,
    pick: impl Fn(&Certificate) -> UnixTime,
    t: UnixTime,
) -> (String, String) {
    if let Some((i, c)) = parsed.iter().enumerate().find(|(_, c)| pick(c) == t) {
        let what = if i == 0 {
            "leaf".to_owned()
        } else {
            format!("presented certificate {i}")
        };
        return (what, c.subject_dn().to_owned());
    }
    if let Some(ca) = cas.cas().iter().find(|c| pick(c.certificate()) == t) {
        return ("CA".to_owned(), ca.certificate().subject_dn().to_owned());
    }
    ("a certificate".to_owned(), String::new())
}

fn map_error(
    error: webpki::Error,
    options: &ValidationOptions,
    parsed: &[Certificate],
    cas: &CaSet,
) -> ValidationError {
    use webpki::Error as E;
    let leaf_subject = || {
        parsed
            .first()
            .map(|c| c.subject_dn().to_owned())
            .unwrap_or_default()
    };
    #[allow(deprecated)]
    match error {
        E::UnknownIssuer => ValidationError::UnknownIssuer {
            subject: leaf_subject(),
            issuer: parsed
                .first()
                .map(|c| c.issuer_dn().to_owned())
                .unwrap_or_default(),
        },
        E::CertExpired { time, not_after } => {
            let (what, subject) = locate_by_time(parsed, cas, Certificate::not_after, not_after);
            ValidationError::Expired {
                what,
                subject,
                not_after: rfc3339(not_after),
                at: rfc3339(time),
            }
        }
        E::CertNotValidYet { time, not_before } => {
            let (what, subject) = locate_by_time(parsed, cas, Certificate::not_before, not_before);
            ValidationError::NotYetValid {
                what,
                subject,
                not_before: rfc3339(not_before),
                at: rfc3339(time),
            }
        }
        E::InvalidSignatureForPublicKey | E::SignatureAlgorithmMismatch => {
            ValidationError::BadSignature {
                detail: format!("{error:?}"),
            }
        }
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            ValidationError::UnsupportedSignatureAlgorithm {
                detail: format!("{error:?}"),
            }
        }
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            ValidationError::ExtendedKeyUsage {
                required: match options.purpose {
                    Purpose::Client => "clientAuth",
                    Purpose::Server { .. } => "serverAuth",
                },
            }
        }
        E::CaUsedAsEndEntity => ValidationError::CaUsedAsEndEntity {
            subject: leaf_subject(),
        },
        E::EndEntityUsedAsCa => ValidationError::NotCa {
            subject: String::from("an intermediate"),
        },
        E::PathLenConstraintViolated => ValidationError::PathLenConstraint,
        E::NameConstraintViolation => ValidationError::NameConstraint,
        E::UnsupportedCriticalExtension => ValidationError::UnsupportedCriticalExtension {
            what: "a presented certificate".to_owned(),
            subject: String::new(),
            oid: "(not named by webpki)".to_owned(),
        },
        E::CertNotValidForName(_) => ValidationError::NameMismatch {
            name: String::new(),
        },
        other => ValidationError::Other {
            detail: format!("{other:?}"),
        },
    }
}
