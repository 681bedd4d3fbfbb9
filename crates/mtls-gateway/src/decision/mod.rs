//! The request decision: a route's certificate plugins run in Kong's priority order
//! (mtls-auth 1600, header-cert-auth 1009, tls-metadata-headers 996, acl 950) with Kong's
//! anonymous OR-chaining, giving one [`Decision`].
//!
//! The client-facing answer (Kong's status and message) and the internal reason are kept
//! apart: the reason goes to `tracing`, under the plugin's name as target, never to the client.
//! Every header the gateway owns is removed from the request whatever the outcome, so a client
//! can never forge one (decisions.md item 2).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{CaSet, Certificate, CrlSet, ValidationCache, ValidationOptions, VerifiedChain};
use mtls_consumer::{
    Acl, AclDecision, AclSubject, AuthFailure, CertificateIdentity, Consumer, FoundBy, HeaderPlan,
    MatchSettings, Outcome, UpstreamHeader, fail_authentication, match_consumer,
};
use mtls_header::{HeaderCertAuth, Headers};
use uuid::Uuid;

use crate::revocation::{
    Lookup, RevocationCheckMode, RevocationChecker, RevocationOutcome, RevocationPolicy,
    RevocationQuery, Verdict,
};

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
const METADATA_HEADERS: usize = 6;

/// Subject names matched from the stack; a certificate with more goes through a `Vec`.
const INLINE_NAMES: usize = 8;

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

    /// Whether no answer is recorded.
    pub fn is_empty(&self) -> bool {
        self.revocation.is_empty()
    }
}

/// How an authentication plugin stopped: refused, or waiting for the network.
enum Halt {
    Deny(Box<Deny>),
    Need(Box<RevocationQuery>),
}

impl From<Halt> for Decision {
    fn from(halt: Halt) -> Self {
        match halt {
            Halt::Deny(deny) => Decision::Deny(*deny),
            Halt::Need(query) => Decision::Pending(Needs {
                revocation: vec![*query],
            }),
        }
    }
}

/// Decides requests against one configuration snapshot's consumers and caches.
pub(crate) struct Decider {
    consumers: crate::compile::SharedConsumerStore,
    consumer_groups: HashMap<Uuid, Vec<String>>,
    validation_cache: ValidationCache,
    revocation: Arc<RevocationChecker>,
}

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decider")
            .field("consumer_groups", &self.consumer_groups.len())
            .field("revocation", &self.revocation)
            .finish_non_exhaustive()
    }
}

/// The result of one authentication plugin.
struct Authenticated {
    consumer: Option<Arc<Consumer>>,
    credential: Option<Uuid>,
    found_by: Option<FoundBy>,
    anonymous: bool,
    groups: Vec<String>,
    plan: HeaderPlan,
    /// The validated leaf (for tls-metadata-headers), once the chain validated.
    leaf: Option<Certificate>,
    /// The chain header-cert-auth validated, leaf first (mtls-auth's is the connection's
    /// peer certificates, which the request facts hold already).
    forwarded: Option<Vec<CertificateDer<'static>>>,
    /// The revocation check, if one ran.
    revocation: Option<RevocationOutcome>,
}

/// Logs a refusal once, under the plugin's name (as the tracing target, and in brackets in
/// the message, where Kong's documentation tells operators to look: `[mtls-auth] ...`).
fn log_refusal(plugin: &'static str, status: u16, reason: &str) {
    match plugin {
        "mtls-auth" => {
            tracing::info!(target: "mtls-auth", status, "[mtls-auth] request refused: {reason}")
        }
        "header-cert-auth" => tracing::info!(
            target: "header-cert-auth",
            status,
            "[header-cert-auth] request refused: {reason}"
        ),
        "acl" => tracing::info!(target: "acl", status, "[acl] request refused: {reason}"),
        other => tracing::info!(
            target: "mtls_gateway::decision",
            status,
            "[{other}] request refused: {reason}"
        ),
    }
}

fn refusal(plugin: &'static str, rejection: &mtls_consumer::Rejection, reason: String) -> Deny {
    log_refusal(plugin, rejection.status(), &reason);
    Deny {
        status: rejection.status(),
        body: rejection.body(),
        plugin,
        reason,
    }
}

fn deny(plugin: &'static str, rejection: &mtls_consumer::Rejection, reason: String) -> Decision {
    Decision::Deny(refusal(plugin, rejection, reason))
}

impl Decider {
    /// A decider over `consumers`, with consumers' ACL groups (`acls` entities) by consumer
    /// id, a validation cache of `cache_capacity` chains kept at most `cache_ttl`, and the
    /// revocation checker (shared across configurations, so its caches survive reloads).
    pub(crate) fn new(
        consumers: crate::compile::SharedConsumerStore,
        consumer_groups: HashMap<Uuid, Vec<String>>,
        cache_capacity: usize,
        cache_ttl: std::time::Duration,
        revocation: Arc<RevocationChecker>,
    ) -> Self {
        Self {
            consumers,
            consumer_groups,
            validation_cache: ValidationCache::new(cache_capacity, cache_ttl),
            revocation,
        }
    }

    /// The validation cache's hits and misses.
    pub(crate) fn validation_stats(&self) -> (u64, u64) {
        (self.validation_cache.hits(), self.validation_cache.misses())
    }

    /// The revocation checker (shared across snapshots).
    pub(crate) fn revocation(&self) -> &RevocationChecker {
        &self.revocation
    }

    /// Validates a chain and matches a consumer, as mtls-auth and header-cert-auth share it.
    /// `Err` carries the plugin's refusal, or the revocation question to ask first.
    #[allow(clippy::too_many_arguments)]
    fn authenticate(
        &self,
        plugin: &'static str,
        auth: &CertificateAuth,
        chain: Option<&[CertificateDer<'_>]>,
        slash_dn: bool,
        absent: AuthFailure,
        answers: &Answers,
        now: UnixTime,
    ) -> Result<Authenticated, Halt> {
        let store = self.consumers.as_ref();
        let outcome_for_failure = |cause: AuthFailure, reason: String| {
            let outcome = fail_authentication(store, &auth.matching, cause);
            self.finish(plugin, outcome, None, reason, None)
                .map_err(|d| Halt::Deny(Box::new(d)))
        };
        let Some(chain) = chain.filter(|c| !c.is_empty()) else {
            // The failure names itself: no context to add.
            return outcome_for_failure(absent, String::new());
        };
        let verified: VerifiedChain =
            match self
                .validation_cache
                .validate(chain, &auth.cas, &auth.validation, now)
            {
                Ok(v) => v,
                Err(e) => {
                    return outcome_for_failure(
                        AuthFailure::CertificateRejected,
                        format!("certificate chain refused: {e}"),
                    );
                }
            };
        let revocation = self.revocation_check(plugin, auth, &verified, answers, now)?;
        if revocation.refuses(auth.revocation.mode) {
            return outcome_for_failure(AuthFailure::CertificateRejected, revocation.to_string());
        }
        let leaf = verified.leaf();
        // `leaf.subject_names()` (SANs in order, then the first CN), on the stack when they
        // fit: the hot path allocates only what the decision returns.
        let common_name = leaf.common_name();
        let count = leaf.sans().len() + usize::from(common_name.is_some());
        let mut inline = [""; INLINE_NAMES];
        let spilled: Vec<&str>;
        let names: &[&str] = if count <= INLINE_NAMES {
            let all = leaf
                .sans()
                .iter()
                .map(|s| s.value.as_str())
                .chain(common_name);
            for (slot, name) in inline.iter_mut().zip(all) {
                *slot = name;
            }
            inline.get(..count).unwrap_or(&[])
        } else {
            spilled = leaf.subject_names();
            &spilled
        };
        let dn = if slash_dn {
            leaf.subject_dn_slash()
        } else {
            leaf.subject_dn()
        };
        let identity =
            CertificateIdentity::new(names, common_name, dn, Some(verified.anchor().id()));
        let outcome = match_consumer(store, &identity, &auth.matching);
        self.finish(
            plugin,
            outcome,
            Some(leaf.clone()),
            String::new(),
            Some(revocation),
        )
        .map_err(|d| Halt::Deny(Box::new(d)))
    }

    /// The revocation check under the plugin's policy (`Skipped` under `SKIP`), from the
    /// answers a driver gathered, the static CRLs or the cache; `Err` when only the network
    /// can answer. A certificate let through without an answer (`IGNORE_CA_ERROR`) is logged
    /// at debug level (an accepted request never logs at info).
    fn revocation_check(
        &self,
        plugin: &'static str,
        auth: &CertificateAuth,
        chain: &VerifiedChain,
        answers: &Answers,
        now: UnixTime,
    ) -> Result<RevocationOutcome, Halt> {
        let outcome = match self
            .revocation
            .lookup(chain, &auth.revocation, &auth.crls, now)
        {
            Lookup::Answered(outcome) => outcome,
            Lookup::Needs(query) => match answers.revocation.get(&query.key()) {
                Some(outcome) => outcome.clone(),
                None => return Err(Halt::Need(Box::new(query))),
            },
        };
        if outcome.verdict == Verdict::NoAnswer
            && !outcome.refuses(auth.revocation.mode)
            && auth.revocation.mode == RevocationCheckMode::IgnoreCaError
        {
            tracing::debug!(target: "mtls_gateway::decision", plugin, %outcome, "revocation status unknown, allowed (IGNORE_CA_ERROR)");
        }
        Ok(outcome)
    }

    fn finish(
        &self,
        plugin: &'static str,
        outcome: Outcome<'_>,
        leaf: Option<Certificate>,
        context: String,
        revocation: Option<RevocationOutcome>,
    ) -> Result<Authenticated, Deny> {
        if let Some(failure) = outcome.failure() {
            let reason = if context.is_empty() {
                failure.reason().to_string()
            } else {
                format!("{context}; {}", failure.reason())
            };
            return Err(refusal(plugin, failure.rejection(), reason));
        }
        if let Outcome::Anonymous { reason, .. } = &outcome {
            tracing::debug!(target: "mtls_gateway::decision", plugin, %reason, %context, "anonymous consumer used");
        }
        let plan = HeaderPlan::for_outcome(&outcome);
        let (groups, found_by, anonymous) = match &outcome {
            Outcome::SkipLookup {
                authenticated_group,
                ..
            } => (
                authenticated_group
                    .map(|g| vec![g.to_owned()])
                    .unwrap_or_default(),
                None,
                false,
            ),
            Outcome::Consumer { found_by, .. } => (Vec::new(), Some(*found_by), false),
            Outcome::Anonymous { .. } => (Vec::new(), None, true),
            _ => (Vec::new(), None, false),
        };
        Ok(Authenticated {
            consumer: outcome.consumer().cloned(),
            credential: found_by.and_then(|f| f.credential_id()),
            found_by,
            anonymous,
            groups,
            plan,
            leaf,
            forwarded: None,
            revocation,
        })
    }

    /// Runs the route's plugins for one request, with the answers gathered so far.
    pub(crate) fn decide(
        &self,
        plugins: &RoutePlugins,
        facts: &RequestFacts<'_>,
        answers: &Answers,
    ) -> Decision {
        let mut result: Option<Authenticated> = None;
        // An identity that a later plugin with `anonymous` must not override (Kong: a
        // credential is set).
        let identified = |r: &Option<Authenticated>| {
            facts.has_credential || r.as_ref().is_some_and(|a| !a.anonymous)
        };

        if let Some(auth) = &plugins.mtls_auth
            && !auth.matching.short_circuits(identified(&result))
        {
            match self.authenticate(
                "mtls-auth",
                auth,
                facts.peer_certificates,
                false,
                AuthFailure::NoCertificate,
                answers,
                facts.now,
            ) {
                Ok(a) => result = Some(a),
                Err(halt) => return halt.into(),
            }
        }

        if let Some((header, auth)) = &plugins.header_cert_auth
            && !auth.matching.short_circuits(identified(&result))
        {
            let outcome = match header.extract(facts.peer_addr, facts.headers) {
                Ok(forwarded) => {
                    let ders: Vec<CertificateDer<'static>> = std::iter::once(forwarded.leaf())
                        .chain(forwarded.intermediates())
                        .map(|c| c.der().clone())
                        .collect();
                    let authenticated = self.authenticate(
                        "header-cert-auth",
                        auth,
                        Some(&ders),
                        true,
                        AuthFailure::NoCertificateHeader,
                        answers,
                        facts.now,
                    );
                    authenticated.map(|mut a| {
                        if a.leaf.is_some() {
                            a.forwarded = Some(ders);
                        }
                        a
                    })
                }
                Err(refusal) => match refusal.rejection() {
                    mtls_header::Rejection::Forbidden => {
                        return deny(
                            "header-cert-auth",
                            &mtls_consumer::Rejection::Forbidden,
                            refusal.reason().to_string(),
                        );
                    }
                    mtls_header::Rejection::NoCertificateHeader => self.authenticate(
                        "header-cert-auth",
                        auth,
                        None,
                        true,
                        AuthFailure::NoCertificateHeader,
                        answers,
                        facts.now,
                    ),
                    _ => {
                        let outcome = fail_authentication(
                            self.consumers.as_ref(),
                            &auth.matching,
                            AuthFailure::CertificateRejected,
                        );
                        self.finish(
                            "header-cert-auth",
                            outcome,
                            None,
                            refusal.reason().to_string(),
                            None,
                        )
                        .map_err(|d| Halt::Deny(Box::new(d)))
                    }
                },
            };
            match outcome {
                Ok(a) => result = Some(a),
                Err(halt) => return halt.into(),
            }
        }

        let mut plan = result
            .as_mut()
            .map(|a| std::mem::take(&mut a.plan))
            .unwrap_or_else(HeaderPlan::remove_all);

        if let Some(acl) = &plugins.acl {
            let consumer_groups: Vec<&str> = result
                .as_ref()
                .and_then(|a| a.consumer.as_ref())
                .and_then(|c| self.consumer_groups.get(&c.id))
                .map(|g| g.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let auth_groups: Vec<&str> = result
                .as_ref()
                .map(|a| a.groups.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let subject = match &result {
                Some(a) if a.consumer.is_some() && a.anonymous => AclSubject::Anonymous {
                    groups: consumer_groups.as_slice(),
                    authenticated_groups: (!auth_groups.is_empty())
                        .then_some(auth_groups.as_slice()),
                },
                Some(a) if a.consumer.is_some() => AclSubject::Consumer {
                    groups: consumer_groups.as_slice(),
                },
                Some(_) if !auth_groups.is_empty() => AclSubject::AuthenticatedGroups {
                    groups: auth_groups.as_slice(),
                },
                _ => AclSubject::Nobody,
            };
            match acl.check(subject) {
                AclDecision::Blocked(block) => {
                    return deny("acl", &block.rejection(), block.to_string());
                }
                allowed @ AclDecision::Allowed { .. } => allowed.apply_to(&mut plan),
            }
        }

        // Sized once: what is returned is all the hot path allocates.
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
        Decision::Allow(Allow {
            consumer,
            credential,
            found_by,
            authenticated_groups,
            set,
            remove,
            revocation,
        })
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

#[cfg(test)]
mod tests;
