//! The decision's inputs and answers: what a route's plugins are compiled into, what a
//! request tells, and what the decision returns.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{CaSet, CrlSet, ValidationOptions};
use mtls_consumer::{Acl, Consumer, FoundBy, MatchSettings};
use mtls_header::{HeaderCertAuth, Headers};
use uuid::Uuid;

use crate::revocation::{RevocationOutcome, RevocationPolicy, RevocationQuery};

/// How an authentication plugin validates a chain and decides who it is.
#[derive(Debug, Clone)]
pub(crate) struct CertificateAuth {
    /// The plugin's CA certificates.
    pub cas: CaSet,
    /// Partial chains, EKU, depth.
    pub validation: ValidationOptions,
    /// Consumer matching settings (`consumer_by`, `anonymous`, ...).
    pub matching: MatchSettings,
    /// Kong's `revocation_check_mode`, with the fetch and cache settings.
    pub revocation: RevocationPolicy,
    /// CRLs loaded from files, consulted before the network (offline deployments).
    pub crls: CrlSet,
}

/// Kong's tls-metadata-headers settings: which headers carry the client certificate's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetadataHeaders {
    /// `inject_client_cert_details`: off sets nothing.
    pub inject: bool,
    /// `client_cert_header_name` (`X-Client-Cert`).
    pub cert: String,
    /// `client_serial_header_name` (`X-Client-Cert-Serial`).
    pub serial: String,
    /// `client_cert_issuer_dn_header_name` (`X-Client-Cert-Issuer-DN`).
    pub issuer_dn: String,
    /// `client_cert_subject_dn_header_name` (`X-Client-Cert-Subject-DN`).
    pub subject_dn: String,
    /// `client_cert_fingerprint_header_name` (`X-Client-Cert-Fingerprint`).
    pub fingerprint: String,
}

impl Default for MetadataHeaders {
    fn default() -> Self {
        Self {
            inject: false,
            cert: "X-Client-Cert".to_owned(),
            serial: "X-Client-Cert-Serial".to_owned(),
            issuer_dn: "X-Client-Cert-Issuer-DN".to_owned(),
            subject_dn: "X-Client-Cert-Subject-DN".to_owned(),
            fingerprint: "X-Client-Cert-Fingerprint".to_owned(),
        }
    }
}

/// The chain header tls-metadata-headers always uses.
pub(crate) const CLIENT_CERT_CHAIN_HEADER: &str = "X-Client-Cert-Chain";

/// How many headers tls-metadata-headers sets ([`metadata_values`]).
pub(crate) const METADATA_HEADERS: usize = 6;

/// Subject names matched from the stack; a certificate with more goes through a `Vec`.
pub(crate) const INLINE_NAMES: usize = 8;

/// One route's certificate plugins, compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoutePlugins {
    /// mtls-auth, if enabled on the route (or its service, or globally).
    pub mtls_auth: Option<CertificateAuth>,
    /// header-cert-auth: the header settings and the validation / matching settings.
    pub header_cert_auth: Option<(HeaderCertAuth, CertificateAuth)>,
    /// tls-metadata-headers.
    pub metadata_headers: Option<MetadataHeaders>,
    /// acl.
    pub acl: Option<Acl>,
    /// Whether the route's handshake asks for a client certificate (mtls-auth or
    /// tls-handshake-modifier applies): a request for it on a connection that did not ask is
    /// misdirected (421, decision 17).
    pub requests_certificate: bool,
}

/// What the decision reads from a request.
pub(crate) struct RequestFacts<'a> {
    /// The peer certificates of the TLS connection (leaf first), or `None` (plain HTTP, or no
    /// certificate sent, or a resumed session without one).
    pub peer_certificates: Option<&'a [CertificateDer<'static>]>,
    /// The request's header fields (for header-cert-auth).
    pub headers: &'a (dyn Headers + Sync),
    /// The directly connected peer's address.
    pub peer_addr: IpAddr,
    /// Whether an authentication plugin outside this family already identified the request
    /// (Kong's step 0 with `anonymous`).
    pub has_credential: bool,
    /// The time to validate at.
    pub now: UnixTime,
}

/// A request allowed through, with what to tell the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// The consumer, if one was identified (possibly the anonymous one).
    pub consumer: Option<Arc<Consumer>>,
    /// The credential that identified it, if any.
    pub credential: Option<Uuid>,
    /// How the consumer was found (mapping with or without CA, username, custom_id,
    /// default_consumer); `None` for the anonymous consumer, skip-lookup, or no auth plugin.
    pub found_by: Option<FoundBy>,
    /// The authenticated groups (skip_consumer_lookup).
    pub authenticated_groups: Vec<String>,
    /// Headers to set on the upstream request (name, value).
    pub set: Vec<(String, String)>,
    /// Headers to remove from the upstream request (every owned header not in `set`).
    pub remove: Vec<String>,
    /// The revocation check of the plugin that authenticated, if one ran.
    pub revocation: Option<RevocationOutcome>,
}

/// A request refused: what the client gets, and the reason for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deny {
    /// The HTTP status (401, 403 or 500).
    pub status: u16,
    /// The JSON body, `{"message":"..."}` exactly as Kong writes it.
    pub body: String,
    /// The plugin that refused.
    pub plugin: &'static str,
    /// The precise internal reason. Never send it to the client.
    pub reason: String,
}

/// The answer for one request.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Decision {
    /// Proxy the request, with these upstream headers.
    Allow(Allow),
    /// Answer with this status and body.
    Deny(Deny),
    /// The decision needs answers only the network has (revocation): fetch them
    /// ([`Needs::fetch`]) and decide again with them.
    Pending(Needs),
}

/// What a pending decision waits for: revocation answers, one per certificate.
#[derive(Debug, Clone)]
pub struct Needs {
    pub(crate) revocation: Vec<RevocationQuery>,
}

impl Needs {
    /// The revocation questions.
    pub fn revocation(&self) -> &[RevocationQuery] {
        &self.revocation
    }
}

/// Answers gathered for a pending decision, consulted before the caches when it is decided
/// again (a failed fetch is not cached, and must still be answered once).
#[derive(Debug, Clone, Default)]
pub struct Answers {
    revocation: HashMap<[u8; 32], RevocationOutcome>,
}

impl Answers {
    /// No answers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the answer to a revocation query.
    pub fn insert_revocation(&mut self, query: &RevocationQuery, outcome: RevocationOutcome) {
        self.revocation.insert(query.key(), outcome);
    }

    /// The answer for a certificate's key, if recorded.
    pub(crate) fn revocation(&self, key: &[u8; 32]) -> Option<&RevocationOutcome> {
        self.revocation.get(key)
    }

    /// Whether no answer is recorded.
    pub fn is_empty(&self) -> bool {
        self.revocation.is_empty()
    }
}
