//! Kong's `ca_certificates` entities and the sets of them that a plugin trusts.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use pki_types::UnixTime;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::certificate::{Certificate, hex_lower};
use crate::error::Error;
use crate::path::Node;
use crate::pem::parse_any;

/// One `ca_certificates` entity: an id, the certificate and its `cert_digest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaCertificate {
    id: Uuid,
    cert: Certificate,
    cert_digest: String,
}

impl CaCertificate {
    /// Creates the entity with Kong's checks and exact messages: the input (PEM or DER) must
    /// hold exactly one certificate, not expired at `now`, with basicConstraints cA = TRUE.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let key = rcgen::KeyPair::generate()?;
    /// let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    /// params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    /// let pem = params.self_signed(&key)?.pem();
    ///
    /// let ca = mtls_cert::CaCertificate::new(uuid::Uuid::new_v4(), pem.as_bytes(),
    ///     pki_types::UnixTime::now())?;
    /// assert_eq!(ca.cert_digest().len(), 64);
    ///
    /// let leaf = rcgen::CertificateParams::new(vec!["x.test".into()])?.self_signed(&key)?.pem();
    /// let err = mtls_cert::CaCertificate::new(uuid::Uuid::new_v4(), leaf.as_bytes(),
    ///     pki_types::UnixTime::now()).unwrap_err();
    /// assert_eq!(err.to_string(), "certificate does not appear to be a CA because it is \
    ///     missing the \"CA\" basic constraint");
    /// # Ok(()) }
    /// ```
    pub fn new(id: Uuid, input: &[u8], now: UnixTime) -> Result<Self, Error> {
        let mut certs = parse_any(input)?;
        if certs.len() != 1 {
            return Err(Error::CaNotSingle);
        }
        let Some(cert) = certs.pop() else {
            return Err(Error::NoCertificate);
        };
        if cert.not_after() < now {
            return Err(Error::CaExpired);
        }
        if !cert.is_ca() {
            return Err(Error::CaNotCa);
        }
        Ok(Self::trusted(id, cert))
    }

    /// Wraps a certificate as a CA entity without Kong's creation checks (for trust stores
    /// read from files, and conformance suites). The validator still refuses, at validation
    /// time, an anchor that is expired, not yet valid or not a CA.
    pub fn trusted(id: Uuid, cert: Certificate) -> Self {
        let cert_digest = hex_lower(cert.sha256());
        Self {
            id,
            cert,
            cert_digest,
        }
    }

    /// The entity id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// Lowercase hex SHA-256 of the certificate's DER (Kong's `cert_digest`).
    pub fn cert_digest(&self) -> &str {
        &self.cert_digest
    }
}

/// The stable identity of a [`CaSet`]: SHA-256 over its members' sorted digests. Two sets of
/// the same certificates have the same identity, also across configuration reloads.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaSetId([u8; 32]);

impl fmt::Debug for CaSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaSetId({})", hex_lower(&self.0[..8]))
    }
}

/// The CA certificates one plugin trusts, prepared for validation. Cheap to clone (shared).
#[derive(Clone)]
pub struct CaSet(Arc<Inner>);

struct Inner {
    id: CaSetId,
    cas: Vec<CaCertificate>,
    /// Every CA prepared for path building, same order as `cas`.
    nodes: Vec<Node>,
    /// Every index of `cas`: the anchors when partial chains are allowed.
    all_index: Vec<usize>,
    /// Indices of the self-signed CAs: the anchors when partial chains are not allowed.
    root_index: Vec<usize>,
    /// Indices of the CAs that are not self-signed: intermediates when partial chains are
    /// not allowed.
    non_root_index: Vec<usize>,
}

impl Default for CaSet {
    /// [`CaSet::empty`].
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for CaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaSet")
            .field("id", &self.0.id)
            .field("cas", &self.0.cas.len())
            .finish()
    }
}

/// Whether `cert` is self-signed: self-issued and its own key verifies its signature.
fn is_self_signed(cert: &Certificate) -> bool {
    cert.is_self_issued() && crate::signature::verify_cert_signature(cert, cert).is_ok()
}

impl CaSet {
    /// Builds a set from CA entities. Duplicate ids or certificates are refused; a
    /// certificate webpki cannot use as a trust anchor is refused with its index.
    pub fn new(cas: Vec<CaCertificate>) -> Result<Self, Error> {
        let mut ids = HashSet::new();
        let mut digests = HashSet::new();
        let mut nodes = Vec::with_capacity(cas.len());
        let mut root_index = Vec::new();
        let mut non_root_index = Vec::new();
        for (i, ca) in cas.iter().enumerate() {
            if !ids.insert(ca.id) || !digests.insert(ca.cert_digest.clone()) {
                return Err(Error::DuplicateCa {
                    id: ca.id,
                    cert_digest: ca.cert_digest.clone(),
                });
            }
            webpki::anchor_from_trusted_cert(ca.cert.der()).map_err(|e| {
                Error::MalformedCertificate {
                    index: i,
                    reason: format!("not usable as a trust anchor: {e}"),
                }
            })?;
            if is_self_signed(&ca.cert) {
                root_index.push(i);
            } else {
                non_root_index.push(i);
            }
            nodes.push(Node::new(ca.cert.clone()));
        }
        let mut sorted: Vec<&str> = cas.iter().map(|c| c.cert_digest.as_str()).collect();
        sorted.sort_unstable();
        let mut h = Sha256::new();
        for d in sorted {
            h.update(d.as_bytes());
            h.update(b"\n");
        }
        Ok(CaSet(Arc::new(Inner {
            id: CaSetId(h.finalize().into()),
            all_index: (0..cas.len()).collect(),
            cas,
            nodes,
            root_index,
            non_root_index,
        })))
    }

    /// The empty set: trusts nothing (what [`CaSet::default`] gives).
    pub fn empty() -> Self {
        CaSet(Arc::new(Inner {
            id: CaSetId(Sha256::digest(b"").into()),
            cas: Vec::new(),
            nodes: Vec::new(),
            all_index: Vec::new(),
            root_index: Vec::new(),
            non_root_index: Vec::new(),
        }))
    }

    /// Picks the entities with the given ids (a plugin's `ca_certificates` list) from a
    /// store of all entities. An id missing from the store is an error naming it.
    pub fn from_ids(store: &[CaCertificate], ids: &[Uuid]) -> Result<Self, Error> {
        let mut picked = Vec::with_capacity(ids.len());
        for id in ids {
            let ca = store
                .iter()
                .find(|c| c.id == *id)
                .ok_or(Error::UnknownCaId(*id))?;
            if !picked.iter().any(|p: &CaCertificate| p.id == *id) {
                picked.push(ca.clone());
            }
        }
        Self::new(picked)
    }

    /// The set's stable identity (usable as a cache key).
    pub fn id(&self) -> CaSetId {
        self.0.id
    }

    /// The entities, in the order given.
    pub fn cas(&self) -> &[CaCertificate] {
        &self.0.cas
    }

    /// Finds an entity by the lowercase hex SHA-256 of its certificate.
    pub fn by_digest(&self, digest: &str) -> Option<&CaCertificate> {
        self.0.cas.iter().find(|c| c.cert_digest == digest)
    }

    /// Every CA prepared for path building, in the order of [`CaSet::cas`].
    pub(crate) fn nodes(&self) -> &[Node] {
        &self.0.nodes
    }

    /// The indices of the CAs that anchor paths: every CA with partial chains, else the
    /// self-signed ones.
    pub(crate) fn anchor_indices(&self, partial: bool) -> &[usize] {
        if partial {
            &self.0.all_index
        } else {
            &self.0.root_index
        }
    }

    /// The indices of the CAs that act as intermediates: none with partial chains (they
    /// anchor), else those that are not self-signed.
    pub(crate) fn intermediate_indices(&self, partial: bool) -> &[usize] {
        if partial { &[] } else { &self.0.non_root_index }
    }
}
