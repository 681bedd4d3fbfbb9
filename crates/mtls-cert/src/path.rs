//! Path building over a pool (RFC 4158 in small): from the leaf, issuer by issuer, through
//! the untrusted certificates in any order, to a trust anchor. Depth first; anchors before
//! intermediates, and among candidates those whose subjectKeyIdentifier matches the child's
//! authorityKeyIdentifier first. A certificate appears at most once on a path (and never two
//! with the same subject and key). Each complete candidate path goes to a caller's check; a
//! refused one sends the search on.
//!
//! The work is bounded: every signature is checked at most once per (child, issuer) pair and
//! at most [`MAX_SIGNATURE_CHECKS`] times in all, candidate steps are bounded by
//! [`MAX_PATH_STEPS`], and at most [`MAX_PATH_INTERMEDIATES`] intermediates that are not
//! self-issued sit on one path. Past a budget the validation fails.

use std::collections::HashMap;

use pki_types::UnixTime;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, ExtendedKeyUsage, SubjectKeyIdentifier};

use crate::certificate::{Certificate, rfc3339};
use crate::error::ValidationError;
use crate::extensions::is_processed;
use crate::limits::{MAX_PATH_INTERMEDIATES, MAX_PATH_STEPS, MAX_SIGNATURE_CHECKS};
use crate::name_match::NormalizedName;
use crate::options::{Purpose, ValidationOptions};
use crate::signature::{SignatureError, verify_signed};

const CLIENT_AUTH: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
const SERVER_AUTH: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");

/// One certificate prepared for path building: its names raw and comparable, its key, key
/// identifiers, and whether rustls-webpki's parser accepts it (strict DER, version 3, no
/// unknown critical extension), which every certificate but the anchor must pass.
pub(crate) struct Node {
    cert: Certificate,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    subject: NormalizedName,
    issuer: NormalizedName,
    spki: Vec<u8>,
    ski: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
    self_issued: bool,
    parse_error: Option<webpki::Error>,
}

impl Node {
    pub(crate) fn new(cert: Certificate) -> Self {
        let tbs = cert.x509().tbs_certificate();
        let subject = NormalizedName::new(tbs.subject());
        let issuer = NormalizedName::new(tbs.issuer());
        let subject_raw = cert.subject_der();
        let issuer_raw = cert.issuer_der();
        let self_issued = subject_raw == issuer_raw || subject == issuer;
        let ski = tbs
            .get_extension::<SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .map(|(_, s)| s.0.as_bytes().to_vec());
        let aki = tbs
            .get_extension::<AuthorityKeyIdentifier>()
            .ok()
            .flatten()
            .and_then(|(_, a)| a.key_identifier)
            .map(|k| k.as_bytes().to_vec());
        let parse_error = webpki::EndEntityCert::try_from(cert.der()).err();
        Self {
            spki: cert.spki_der(),
            cert,
            subject_raw,
            issuer_raw,
            subject,
            issuer,
            ski,
            aki,
            self_issued,
            parse_error,
        }
    }

    pub(crate) fn cert(&self) -> &Certificate {
        &self.cert
    }

    /// Whether subject and issuer are the same name (RFC 5280 section 7.1 comparison).
    pub(crate) fn is_self_issued(&self) -> bool {
        self.self_issued
    }

    /// Whether `issuer`'s subject is the name this certificate gives as its issuer.
    fn named_issuer(&self, issuer: &Node) -> bool {
        self.issuer_raw == issuer.subject_raw || self.issuer == issuer.subject
    }

    /// 0: the key identifiers match; 1: one is missing; 2: they differ.
    fn key_rank(&self, issuer: &Node) -> u8 {
        match (&self.aki, &issuer.ski) {
            (Some(a), Some(s)) if a == s => 0,
            (Some(_), Some(_)) => 2,
            _ => 1,
        }
    }
}

/// The role a certificate is checked for before its issuer is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role<'w> {
    /// The leaf: it must not be a CA.
    Leaf,
    /// An intermediate, named for messages (`intermediate N`): webpki's parser must accept it
    /// and it must be a CA.
    Issuer(&'w str),
}

/// Checks the leaf and every intermediate must pass whatever their issuer: validity period
/// and extended key usage; the leaf must not be a CA, an intermediate must be one and pass
/// webpki's parser.
pub(crate) fn check_independent(
    node: &Node,
    role: Role<'_>,
    options: &ValidationOptions,
    at: UnixTime,
) -> Result<(), ValidationError> {
    let cert = &node.cert;
    let what = match role {
        Role::Leaf => "leaf",
        Role::Issuer(what) => what,
    };
    let subject = || cert.subject_dn().to_owned();
    if let (Role::Issuer(_), Some(e)) = (role, &node.parse_error) {
        return Err(parse_refusal(cert, what, e));
    }
    if cert.not_before() > cert.not_after() {
        return Err(ValidationError::Rfc5280 {
            what: what.to_owned(),
            subject: subject(),
            rule: "notBefore is after notAfter".to_owned(),
        });
    }
    if at < cert.not_before() {
        return Err(ValidationError::NotYetValid {
            what: what.to_owned(),
            subject: subject(),
            not_before: rfc3339(cert.not_before()),
            at: rfc3339(at),
        });
    }
    if at > cert.not_after() {
        return Err(ValidationError::Expired {
            what: what.to_owned(),
            subject: subject(),
            not_after: rfc3339(cert.not_after()),
            at: rfc3339(at),
        });
    }
    match role {
        Role::Leaf if cert.is_ca() => {
            return Err(ValidationError::CaUsedAsEndEntity { subject: subject() });
        }
        Role::Issuer(_) if !cert.is_ca() => {
            return Err(ValidationError::NotCa { subject: subject() });
        }
        _ => {}
    }
    if options.check_eku {
        check_eku(cert, &options.purpose)?;
    }
    Ok(())
}

/// When an EKU extension is present it must list the purpose (as webpki's
/// `KeyUsage::client_auth` / `server_auth` require, also of intermediates).
fn check_eku(cert: &Certificate, purpose: &Purpose) -> Result<(), ValidationError> {
    let (required, oid) = match purpose {
        Purpose::Client => ("clientAuth", CLIENT_AUTH),
        Purpose::Server { .. } | Purpose::ServerAuth => ("serverAuth", SERVER_AUTH),
    };
    let refused = ValidationError::ExtendedKeyUsage { required };
    match cert
        .x509()
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
    {
        Ok(None) => Ok(()),
        Ok(Some((_, eku))) if eku.0.contains(&oid) => Ok(()),
        Ok(Some(_)) | Err(_) => Err(refused),
    }
}

/// webpki's parser refused an intermediate: say why in this crate's terms.
fn parse_refusal(cert: &Certificate, what: &str, error: &webpki::Error) -> ValidationError {
    let subject = cert.subject_dn().to_owned();
    if *error == webpki::Error::UnsupportedCriticalExtension {
        let oid = cert
            .x509()
            .tbs_certificate()
            .extensions()
            .into_iter()
            .flatten()
            .find(|e| e.critical && !is_processed(&e.extn_id))
            .map_or_else(|| "(unknown)".to_owned(), |e| e.extn_id.to_string());
        return ValidationError::UnsupportedCriticalExtension {
            what: what.to_owned(),
            subject,
            oid,
        };
    }
    ValidationError::Rfc5280 {
        what: what.to_owned(),
        subject,
        rule: format!("refused by the certificate parser: {error:?}"),
    }
}

/// Whether a rejection ends the whole search (a budget ran out) rather than one path.
fn is_fatal(e: &ValidationError) -> bool {
    matches!(e, ValidationError::BudgetExceeded { .. })
}

/// How useful a rejection is to the reader, for choosing what to report when every path
/// fails (higher is more specific; webpki ranks its errors the same way).
fn rank(e: &ValidationError) -> u8 {
    match e {
        ValidationError::Expired { .. } | ValidationError::NotYetValid { .. } => 90,
        ValidationError::BadSignature { .. } => 80,
        ValidationError::ExtendedKeyUsage { .. } => 75,
        ValidationError::NameConstraint => 70,
        ValidationError::PathLenConstraint => 65,
        ValidationError::NotCa { .. } | ValidationError::CaUsedAsEndEntity { .. } => 60,
        ValidationError::KeyUsage { .. } => 55,
        ValidationError::UnsupportedSignatureAlgorithm { .. } => 50,
        ValidationError::UnsupportedCriticalExtension { .. } => 45,
        ValidationError::Rfc5280 { .. } => 40,
        ValidationError::DepthExceeded { .. } => 30,
        ValidationError::UnknownIssuer { .. } => 0,
        _ => 20,
    }
}

/// The members of one search: the leaf, the untrusted pool and the anchors (with the index
/// of their CA entity).
pub(crate) struct Graph<'a> {
    pub(crate) leaf: &'a Node,
    pub(crate) pool: Vec<&'a Node>,
    pub(crate) anchors: Vec<(&'a Node, usize)>,
}

/// A found path: member indices (0 = leaf, then pool indices + 1) and the anchor's position
/// in [`Graph::anchors`].
pub(crate) struct Found {
    pub(crate) members: Vec<usize>,
    pub(crate) anchor: usize,
}

/// The caller's check of a complete candidate: member ids (leaf first) and the anchor's
/// position in [`Graph::anchors`].
pub(crate) type Accept<'c> = dyn FnMut(&[usize], usize) -> Result<(), ValidationError> + 'c;

/// The search state: budgets, the signature verdicts so far, and the best rejection.
pub(crate) struct Search<'a, 'g> {
    graph: &'g Graph<'a>,
    options: &'g ValidationOptions,
    at: UnixTime,
    signatures: usize,
    steps: usize,
    verdicts: HashMap<(usize, usize), bool>,
    /// The first complete path refused by the caller's check.
    path_rejection: Option<ValidationError>,
    /// The most specific other rejection.
    best: Option<ValidationError>,
}

impl<'a> Graph<'a> {
    /// A member by id: 0 the leaf, then the pool, then the anchors.
    pub(crate) fn node(&self, id: usize) -> &'a Node {
        // Ids are made by the search itself: anything out of range would be a bug, and
        // reads as the leaf rather than panicking.
        if id == 0 {
            self.leaf
        } else if let Some(n) = self.pool.get(id - 1) {
            n
        } else {
            self.anchor(id - 1 - self.pool.len())
                .map_or(self.leaf, |a| a.0)
        }
    }

    /// Anchor `index` and its CA entity's index.
    pub(crate) fn anchor(&self, index: usize) -> Option<(&'a Node, usize)> {
        self.anchors.get(index).copied()
    }
}

fn node<'a>(graph: &Graph<'a>, id: usize) -> &'a Node {
    graph.node(id)
}

impl<'a, 'g> Search<'a, 'g> {
    pub(crate) fn new(graph: &'g Graph<'a>, options: &'g ValidationOptions, at: UnixTime) -> Self {
        Self {
            graph,
            options,
            at,
            signatures: MAX_SIGNATURE_CHECKS,
            steps: MAX_PATH_STEPS,
            verdicts: HashMap::new(),
            path_rejection: None,
            best: None,
        }
    }

    fn note(&mut self, e: ValidationError) {
        if self.best.as_ref().is_none_or(|b| rank(&e) > rank(b)) {
            self.best = Some(e);
        }
    }

    /// The error to report when no path was accepted.
    pub(crate) fn into_error(self) -> ValidationError {
        let leaf = self.graph.leaf.cert();
        self.path_rejection
            .or(self.best)
            .unwrap_or_else(|| ValidationError::UnknownIssuer {
                subject: leaf.subject_dn().to_owned(),
                issuer: leaf.issuer_dn().to_owned(),
            })
    }

    fn step(&mut self) -> Result<(), ValidationError> {
        self.steps = self
            .steps
            .checked_sub(1)
            .ok_or(ValidationError::BudgetExceeded {
                what: "path-building steps",
                limit: MAX_PATH_STEPS,
            })?;
        Ok(())
    }

    /// Whether `issuer`'s key signed `child` (checked once per pair, within the budget).
    fn signed(&mut self, child: usize, issuer: usize) -> Result<bool, ValidationError> {
        if let Some(&ok) = self.verdicts.get(&(child, issuer)) {
            return Ok(ok);
        }
        self.signatures =
            self.signatures
                .checked_sub(1)
                .ok_or(ValidationError::BudgetExceeded {
                    what: "signature checks",
                    limit: MAX_SIGNATURE_CHECKS,
                })?;
        let (c, i) = (node(self.graph, child), node(self.graph, issuer));
        let verdict = verify_signed(c.cert.der(), &i.spki);
        let ok = verdict.is_ok();
        self.verdicts.insert((child, issuer), ok);
        match verdict {
            Ok(()) => {}
            Err(SignatureError::UnsupportedAlgorithm) => {
                self.note(ValidationError::UnsupportedSignatureAlgorithm {
                    detail: format!(
                        "{} is signed with an algorithm the key of {} cannot verify",
                        c.cert.subject_dn(),
                        i.cert.subject_dn()
                    ),
                });
            }
            Err(SignatureError::Invalid | SignatureError::Malformed) => {
                self.note(ValidationError::BadSignature {
                    detail: format!(
                        "the signature of {} does not verify with the key of {}",
                        c.cert.subject_dn(),
                        i.cert.subject_dn()
                    ),
                });
            }
        }
        Ok(ok)
    }

    /// Candidate issuers of `child` among `ids`, best key-identifier match first.
    fn candidates(&self, child: usize, ids: impl Iterator<Item = usize>) -> Vec<usize> {
        let c = node(self.graph, child);
        let mut found: Vec<(u8, usize)> = ids
            .filter(|&id| c.named_issuer(node(self.graph, id)))
            .map(|id| (c.key_rank(node(self.graph, id)), id))
            .collect();
        found.sort_by_key(|&(rank, _)| rank);
        found.into_iter().map(|(_, id)| id).collect()
    }

    /// Searches on from `path` (member ids, leaf first) for a path `accept` takes.
    /// `counted` is the number of intermediates on `path` that are not self-issued.
    pub(crate) fn extend(
        &mut self,
        path: &mut Vec<usize>,
        counted: usize,
        accept: &mut Accept<'_>,
    ) -> Result<Option<Found>, ValidationError> {
        let Some(&head) = path.last() else {
            return Ok(None);
        };
        let pool_len = self.graph.pool.len();
        let anchor_ids = (0..self.graph.anchors.len()).map(|a| a + 1 + pool_len);
        for id in self.candidates(head, anchor_ids) {
            self.step()?;
            if !self.signed(head, id)? {
                continue;
            }
            let anchor = id - 1 - pool_len;
            match accept(path, anchor) {
                Ok(()) => {
                    return Ok(Some(Found {
                        members: path.clone(),
                        anchor,
                    }));
                }
                Err(e) if is_fatal(&e) => return Err(e),
                Err(e) => {
                    if self.path_rejection.is_none() {
                        self.path_rejection = Some(e);
                    }
                }
            }
        }
        let pool_ids = (1..=pool_len).filter(|id| {
            let n = node(self.graph, *id);
            !path.iter().any(|&p| {
                let m = node(self.graph, p);
                p == *id || (m.spki == n.spki && m.subject == n.subject)
            })
        });
        for id in self.candidates(head, pool_ids.collect::<Vec<_>>().into_iter()) {
            self.step()?;
            let n = node(self.graph, id);
            let what = format!("intermediate {}", path.len());
            if let Err(e) = check_independent(n, Role::Issuer(&what), self.options, self.at) {
                self.note(e);
                continue;
            }
            let now_counted = counted + usize::from(!n.self_issued);
            let max = self.options.max_depth.map_or(MAX_PATH_INTERMEDIATES, |m| {
                usize::from(m).min(MAX_PATH_INTERMEDIATES)
            });
            if now_counted > max {
                self.note(ValidationError::DepthExceeded {
                    intermediates: now_counted,
                    max: u8::try_from(max).unwrap_or(u8::MAX),
                });
                continue;
            }
            if !self.signed(head, id)? {
                continue;
            }
            path.push(id);
            if let Some(found) = self.extend(path, now_counted, accept)? {
                return Ok(Some(found));
            }
            path.pop();
        }
        Ok(None)
    }
}
