//! The allowed request's upstream headers: what the plugins set, tls-metadata-headers'
//! values, and every header the gateway owns removed when it is not set.

use mtls_cert::Certificate;
use mtls_cert::pki_types::CertificateDer;
use mtls_consumer::{HeaderPlan, UpstreamHeader};

use super::Authenticated;
use super::types::{
    Allow, CLIENT_CERT_CHAIN_HEADER, METADATA_HEADERS, MetadataHeaders, RequestFacts, RoutePlugins,
};

/// The allowed request's upstream headers: the plan's, tls-metadata-headers' values, and
/// every owned header not set removed. Sized once: what is returned is all it allocates.
pub(super) fn allow(
    plugins: &RoutePlugins,
    facts: &RequestFacts<'_>,
    result: Option<Authenticated>,
    plan: HeaderPlan,
) -> Allow {
    let injects = plugins.metadata_headers.as_ref().is_some_and(|m| m.inject);
    let mut set: Vec<(String, String)> =
        Vec::with_capacity(plan.to_set().count() + if injects { METADATA_HEADERS } else { 0 });
    set.extend(plan.into_set().map(|(h, v)| (h.name().to_owned(), v)));
    if let Some(meta) = plugins.metadata_headers.as_ref().filter(|m| m.inject) {
        // The chain that authenticated (its leaf already parsed, with its text forms
        // cached), or else the connection's.
        let validated = result
            .as_ref()
            .and_then(|a| a.leaf.as_ref().map(|leaf| (leaf, a.forwarded.as_deref())));
        let (leaf, presented) = match validated {
            Some((leaf, forwarded)) => (
                Some(leaf.clone()),
                forwarded.or(facts.peer_certificates).unwrap_or(&[]),
            ),
            None => {
                let presented = facts.peer_certificates.unwrap_or(&[]);
                let leaf = presented
                    .first()
                    .and_then(|d| Certificate::from_der(d).ok());
                (leaf, presented)
            }
        };
        if let Some(leaf) = leaf {
            set.extend(metadata_values(meta, &leaf, presented));
        }
    }
    let metadata_names = plugins.metadata_headers.as_ref().map(|meta| {
        [
            meta.cert.as_str(),
            meta.serial.as_str(),
            meta.issuer_dn.as_str(),
            meta.subject_dn.as_str(),
            meta.fingerprint.as_str(),
            CLIENT_CERT_CHAIN_HEADER,
        ]
    });
    let owned_not_set = || {
        UpstreamHeader::ALL
            .iter()
            .map(|h| h.name())
            .chain(metadata_names.iter().flatten().copied())
            .filter(|name| !set.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
    };
    let mut remove = Vec::with_capacity(owned_not_set().count());
    remove.extend(owned_not_set().map(str::to_owned));
    let (consumer, credential, found_by, authenticated_groups, revocation) = match result {
        Some(a) => (a.consumer, a.credential, a.found_by, a.groups, a.revocation),
        None => (None, None, None, Vec::new(), None),
    };
    Allow {
        consumer,
        credential,
        found_by,
        authenticated_groups,
        set,
        remove,
        revocation,
    }
}

/// tls-metadata-headers' values: the leaf's details, and the presented chain (leaf first).
fn metadata_values(
    meta: &MetadataHeaders,
    leaf: &Certificate,
    presented: &[CertificateDer<'_>],
) -> [(String, String); METADATA_HEADERS] {
    [
        (
            meta.cert.clone(),
            mtls_header::encode::url_encoded_pem(&[leaf.der().as_ref()]),
        ),
        (meta.serial.clone(), leaf.serial().to_owned()),
        (meta.issuer_dn.clone(), leaf.issuer_dn().to_owned()),
        (meta.subject_dn.clone(), leaf.subject_dn().to_owned()),
        (meta.fingerprint.clone(), leaf.sha1_hex()),
        (
            CLIENT_CERT_CHAIN_HEADER.to_owned(),
            mtls_header::encode::url_encoded_pem(presented),
        ),
    ]
}
