//! Chain validation: the presented certificates after the leaf are a pool of untrusted
//! intermediates (any order, extras allowed); [`crate::path`] builds candidate paths through
//! them to a CA of the set, and each complete candidate must pass [`crate::checks`].
//!
//! rustls-webpki still parses every certificate but the anchor (its strict DER, version and
//! critical-extension rules), provides the signature algorithms, and checks a server leaf's
//! name. The path processing itself is RFC 5280 section 6.1, which webpki does not follow in
//! three places this crate needs: self-issued intermediates (key rollover) do not count
//! toward pathLenConstraint or the maximum depth and are not subject to name constraints,
//! rfc822Name, URI and directoryName constraints are processed rather than refused, and names
//! chain by the section 7.1 comparison rather than byte for byte.

use pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::EndEntityCert;

use crate::ca::{CaCertificate, CaSet};
use crate::certificate::Certificate;
use crate::checks;
use crate::error::ValidationError;
use crate::limits::MAX_CERTIFICATES;
use crate::name_constraints;
use crate::options::{Purpose, ValidationOptions};
use crate::path::{Graph, Node, Role, Search};

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

/// Validates a presented chain against a CA set at time `at`: `presented[0]` is the leaf,
/// the rest a pool of untrusted intermediates in any order, extras allowed (at most
/// [`MAX_CERTIFICATES`] in all; path building is bounded by
/// [`crate::limits::MAX_SIGNATURE_CHECKS`]).
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

/// What was presented after the leaf, each certificate once and the leaf never.
fn presented_nodes(leaf: &Node, parsed: &[Certificate]) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::with_capacity(parsed.len().saturating_sub(1));
    for cert in parsed.iter().skip(1) {
        if cert != leaf.cert() && !nodes.iter().any(|n| n.cert() == cert) {
            nodes.push(Node::new(cert.clone()));
        }
    }
    nodes
}

/// The search graph: the leaf; the pool (the presented certificates, then the stored CAs that
/// act only as intermediates); the anchors with their CA entity's index.
fn graph<'a>(leaf: &'a Node, presented: &'a [Node], cas: &'a CaSet, partial: bool) -> Graph<'a> {
    let nodes = cas.nodes();
    let mut pool: Vec<&Node> = presented.iter().collect();
    for node in cas
        .intermediate_indices(partial)
        .iter()
        .filter_map(|&i| nodes.get(i))
    {
        if !pool.iter().any(|n| n.cert() == node.cert()) {
            pool.push(node);
        }
    }
    let anchors = cas
        .anchor_indices(partial)
        .iter()
        .filter_map(|&i| nodes.get(i).map(|n| (n, i)))
        .collect();
    Graph {
        leaf,
        pool,
        anchors,
    }
}

/// [`validate_chain`] for a chain already parsed (`parsed[i]` is `presented[i]`).
fn validate_parsed(
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
    let server_name = match &options.purpose {
        Purpose::Client | Purpose::ServerAuth => None,
        Purpose::Server { name } => Some(
            ServerName::try_from(name.as_str())
                .map_err(|_| ValidationError::NameMismatch { name: name.clone() })?,
        ),
    };
    let leaf = Node::new(leaf.clone());
    crate::path::check_independent(&leaf, Role::Leaf, options, at)?;
    let presented_pool = presented_nodes(&leaf, parsed);
    let graph = graph(&leaf, &presented_pool, cas, options.allow_partial_chain);

    let mut budget = name_constraints::Budget::default();
    let mut accept = |members: &[usize], anchor: usize| -> Result<(), ValidationError> {
        let Some((anchor, _)) = graph.anchor(anchor) else {
            return Err(ValidationError::Other {
                detail: "anchor index out of range".to_owned(),
            });
        };
        let full: Vec<&Node> = members
            .iter()
            .map(|&id| graph.node(id))
            .chain(std::iter::once(anchor))
            .collect();
        checks::check_path(&full, options, at, &mut budget)
    };
    let mut search = Search::new(&graph, options, at);
    let Some(found) = search.extend(&mut vec![0], 0, &mut accept)? else {
        return Err(search.into_error());
    };

    if let (Some(name), Purpose::Server { name: text }) = (&server_name, &options.purpose) {
        end_entity
            .verify_is_valid_for_subject_name(name)
            .map_err(|_| ValidationError::NameMismatch { name: text.clone() })?;
    }
    let Some((anchor_node, ca_index)) = graph.anchor(found.anchor) else {
        return Err(ValidationError::Other {
            detail: "anchor index out of range".to_owned(),
        });
    };
    let Some(anchor) = cas.cas().get(ca_index).cloned() else {
        return Err(ValidationError::Other {
            detail: "CA index out of range".to_owned(),
        });
    };
    let path: Vec<Certificate> = found
        .members
        .iter()
        .map(|&id| graph.node(id).cert().clone())
        .chain(std::iter::once(anchor_node.cert().clone()))
        .collect();
    Ok(VerifiedChain {
        path: path.into(),
        anchor: std::sync::Arc::new(anchor),
    })
}
