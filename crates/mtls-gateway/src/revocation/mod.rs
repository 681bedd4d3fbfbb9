//! Revocation over the network, as Kong's mtls-auth checks it (`revocation_check_mode`):
//! static CRL files first (offline deployments), then the leaf's OCSP responder, then its CRL
//! distribution point only when OCSP gave no answer.
//!
//! - Answers are cached per certificate (the issuer's name and key and the leaf's serial),
//!   never per subject DN (decisions.md item 1), for `cert_cache_ttl` and never past the
//!   response's or the CRL's nextUpdate. Failures are not cached; the "no answer" of a certificate
//!   naming no OCSP responder and no CRL is (nothing would change it).
//! - Concurrent requests for one certificate share one fetch; fetched CRLs are parsed and
//!   verified once and shared by every certificate they cover until their nextUpdate.
//! - A fetch runs on the task of the request that needs it: requests that do not need it
//!   never wait for it.
//!
//! The verdicts follow Kong: an OCSP response that fails verification, says `revoked` or
//! says `unknown` refuses the certificate; an unreachable responder, a non-200 answer or an
//! empty body is "no answer", and the CRL is tried.

mod fetch;
mod single_flight;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use mtls_cert::pki_types::UnixTime;
use mtls_cert::{
    CaSet, Certificate, CrlSet, OcspQuery, OcspStatus, RevocationScope, RevocationStatus,
    VerifiedChain, crl_distribution_uri, ocsp_responder_uri, rfc3339,
};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use sha2::{Digest, Sha256};

use fetch::Fetcher;
pub use fetch::{FetchError, FetchSettings, Proxy};
use single_flight::SingleFlight;

pub use mtls_kong_config::RevocationCheckMode;

/// The largest OCSP response read.
pub const MAX_OCSP_RESPONSE_SIZE: usize = 64 * 1024;

/// The largest fetched CRL read.
pub const MAX_FETCHED_CRL_SIZE: usize = mtls_cert::limits::MAX_CRL_SIZE;

/// Answers kept by default ([`RevocationChecker::with_capacity`]).
pub(crate) const DEFAULT_ANSWER_CAPACITY: usize = 100_000;

/// Fetched CRLs kept by default.
pub(crate) const DEFAULT_CRL_CAPACITY: usize = 64;

/// One plugin's revocation settings (from its `revocation_check_mode`, `http_timeout`,
/// `cert_cache_ttl`, proxy fields and `ssl_verify`).
#[derive(Debug, Clone, PartialEq)]
pub struct RevocationPolicy {
    /// `SKIP`, `IGNORE_CA_ERROR` or `STRICT`.
    pub mode: RevocationCheckMode,
    /// How answers may be kept.
    pub cache_ttl: Duration,
    /// Timeout, proxies, `ssl_verify`.
    pub fetch: FetchSettings,
}

impl RevocationPolicy {
    /// A policy with Kong's defaults for everything but `mode` (60000 s cache, 30 s timeout,
    /// no proxy, verified TLS).
    pub fn new(mode: RevocationCheckMode) -> Self {
        Self {
            mode,
            cache_ttl: Duration::from_secs(60_000),
            fetch: FetchSettings::default(),
        }
    }
}

/// Where a revocation answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A CRL file given to the gateway.
    StaticCrl,
    /// The leaf's OCSP responder.
    Ocsp,
    /// The leaf's CRL distribution point.
    Crl,
    /// Nothing answered.
    None,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StaticCrl => "crl file",
            Self::Ocsp => "ocsp",
            Self::Crl => "crl",
            Self::None => "none",
        })
    }
}

/// The revocation verdict on a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Not revoked.
    Good,
    /// Revoked, or (Kong) an OCSP response that failed verification or said unknown.
    Revoked,
    /// Neither OCSP nor a CRL answered: the mode decides.
    NoAnswer,
    /// `SKIP`: not checked.
    Skipped,
}

/// A revocation check's result: the verdict, its source, whether it came from the cache, and
/// the details for the log and `mtls check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationOutcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Where it came from (for a cached answer, where it first came from).
    pub source: Source,
    /// Whether it was answered from the cache.
    pub cached: bool,
    /// What was asked and answered.
    pub detail: String,
}

impl RevocationOutcome {
    fn new(verdict: Verdict, source: Source, detail: String) -> Self {
        Self {
            verdict,
            source,
            cached: false,
            detail,
        }
    }

    /// Whether the mode refuses the request: revoked, or no answer under `STRICT`.
    pub fn refuses(&self, mode: RevocationCheckMode) -> bool {
        match self.verdict {
            Verdict::Revoked => true,
            Verdict::NoAnswer => mode == RevocationCheckMode::Strict,
            _ => false,
        }
    }
}

impl fmt::Display for RevocationOutcome {
    /// `revocation good (ocsp, cached): ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Good => "good",
            Verdict::Revoked => "revoked",
            Verdict::NoAnswer => "no answer",
            Verdict::Skipped => "skipped",
        };
        let source = if self.cached {
            format!("cache, from {}", self.source)
        } else {
            self.source.to_string()
        };
        write!(f, "revocation {verdict} ({source}): {}", self.detail)
    }
}

/// What [`RevocationChecker::lookup`] found.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Lookup {
    /// Answered without IO.
    Answered(RevocationOutcome),
    /// The network must be asked: hand this to [`RevocationChecker::answer`].
    Needs(RevocationQuery),
}

/// A revocation question that needs the network: the leaf (with its verified path) and the
/// plugin's policy. Answers are matched to it by [`RevocationQuery::key`].
#[derive(Debug, Clone)]
pub struct RevocationQuery {
    key: [u8; 32],
    chain: VerifiedChain,
    policy: RevocationPolicy,
    static_reason: Option<String>,
}

impl RevocationQuery {
    /// The certificate's key: SHA-256 of its issuer's name and key and its serial.
    pub fn key(&self) -> [u8; 32] {
        self.key
    }

    /// The leaf asked about.
    pub fn leaf(&self) -> &Certificate {
        self.chain.leaf()
    }
}

/// A cached answer: `Good` and `Revoked` from a verified response or CRL, and the
/// `NoAnswer` of a certificate that names no OCSP responder and no CRL.
#[derive(Debug, Clone)]
struct Cached {
    outcome: RevocationOutcome,
    /// When it was stored (Unix seconds).
    stored_at: u64,
    /// The response's or CRL's nextUpdate (Unix seconds), if it has one.
    next_update: Option<u64>,
}

impl Cached {
    fn fresh(&self, now: u64, ttl: Duration) -> bool {
        now < self.stored_at.saturating_add(ttl.as_secs())
            && self.next_update.is_none_or(|next| now <= next)
    }
}

/// A fetched CRL, verified on first use against the leaf's issuer.
#[derive(Debug, Clone)]
struct FetchedCrl {
    set: CrlSet,
    stored_at: u64,
    next_update: Option<u64>,
}

/// The result of one resolution: the outcome and, if cacheable, the nextUpdate bound.
#[derive(Debug, Clone)]
struct Resolved {
    outcome: RevocationOutcome,
    cacheable: bool,
    next_update: Option<u64>,
}

/// Checks leaves' revocation over the network, with a bounded answer cache and a bounded
/// cache of fetched CRLs. Share one per process (it is `Send + Sync`), so the caches outlive
/// configuration reloads.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use mtls_cert::{CaCertificate, CaSet, CrlSet, ValidationOptions, validate_chain};
/// use mtls_cert::pki_types::UnixTime;
/// use mtls_gateway::{RevocationChecker, RevocationCheckMode, RevocationPolicy, RevocationSource, Verdict};
///
/// # let ca_key = rcgen::KeyPair::generate()?;
/// # let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
/// # ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
/// # let ca_pem = ca_params.self_signed(&ca_key)?.pem();
/// # let issuer = rcgen::Issuer::new(ca_params, &ca_key);
/// # let leaf_key = rcgen::KeyPair::generate()?;
/// # let leaf = rcgen::CertificateParams::new(vec!["client.test".into()])?.signed_by(&leaf_key, &issuer)?;
/// let ca = CaCertificate::new(uuid::Uuid::new_v4(), ca_pem.as_bytes(), UnixTime::now())?;
/// let chain = validate_chain(&[leaf.der().clone()], &CaSet::new(vec![ca])?,
///     &ValidationOptions::client(), UnixTime::now())?;
///
/// let checker = RevocationChecker::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
/// let policy = RevocationPolicy::new(RevocationCheckMode::IgnoreCaError);
/// let outcome = checker.check(&chain, &policy, &CrlSet::default(), UnixTime::now()).await;
/// // This leaf names no OCSP responder and no CRL distribution point:
/// assert_eq!((outcome.verdict, outcome.source), (Verdict::NoAnswer, RevocationSource::None));
/// assert!(!outcome.refuses(RevocationCheckMode::IgnoreCaError));
/// assert!(outcome.refuses(RevocationCheckMode::Strict));
/// # Ok(()) }
/// ```
pub struct RevocationChecker {
    provider: Arc<CryptoProvider>,
    fetcher: Fetcher,
    answers: quick_cache::sync::Cache<[u8; 32], Cached>,
    crls: quick_cache::sync::Cache<String, FetchedCrl>,
    flights: SingleFlight<[u8; 32], Resolved>,
    crl_flights: SingleFlight<String, Result<FetchedCrl, String>>,
    no_cas: CaSet,
}

impl fmt::Debug for RevocationChecker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationChecker")
            .field("answers", &self.answers.len())
            .field("crls", &self.crls.len())
            .finish_non_exhaustive()
    }
}

impl RevocationChecker {
    /// A checker trusting the system's trust store for `https` servers, with the default
    /// capacities.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Self::with_capacity(
            provider,
            None,
            DEFAULT_ANSWER_CAPACITY,
            DEFAULT_CRL_CAPACITY,
        )
    }

    /// A checker trusting `roots` (or the system's trust store if `None`) for `https`
    /// servers, keeping at most `answers` answers and `crls` fetched CRLs (each at least 1).
    pub fn with_capacity(
        provider: Arc<CryptoProvider>,
        roots: Option<RootCertStore>,
        answers: usize,
        crls: usize,
    ) -> Self {
        Self {
            fetcher: Fetcher::new(Arc::clone(&provider), roots),
            provider,
            answers: quick_cache::sync::Cache::new(answers.max(1)),
            crls: quick_cache::sync::Cache::new(crls.max(1)),
            flights: SingleFlight::default(),
            crl_flights: SingleFlight::default(),
            no_cas: CaSet::default(),
        }
    }

    /// How many answers are cached.
    pub fn cached_answers(&self) -> usize {
        self.answers.len()
    }

    /// How many fetched CRLs are cached.
    pub fn cached_crls(&self) -> usize {
        self.crls.len()
    }

    /// The revocation outcome for `chain`'s leaf under `policy` at `now`, consulting
    /// `static_crls` first: [`RevocationChecker::lookup`], then, when that needs the network,
    /// [`RevocationChecker::answer`].
    pub async fn check(
        &self,
        chain: &VerifiedChain,
        policy: &RevocationPolicy,
        static_crls: &CrlSet,
        now: UnixTime,
    ) -> RevocationOutcome {
        match self.lookup(chain, policy, static_crls, now) {
            Lookup::Answered(outcome) => outcome,
            Lookup::Needs(query) => self.answer(&query, now).await,
        }
    }

    /// What can be answered without IO: `SKIP`, the static CRL files, a leaf without an
    /// issuer on its path, and the answer cache. Otherwise the query to hand to
    /// [`RevocationChecker::answer`] (the request decision returns it to its driver).
    pub fn lookup(
        &self,
        chain: &VerifiedChain,
        policy: &RevocationPolicy,
        static_crls: &CrlSet,
        now: UnixTime,
    ) -> Lookup {
        if policy.mode == RevocationCheckMode::Skip {
            return Lookup::Answered(RevocationOutcome::new(
                Verdict::Skipped,
                Source::None,
                "SKIP".to_owned(),
            ));
        }
        let mut static_reason = None;
        if !static_crls.is_empty() {
            match static_crls.check(chain, RevocationScope::Leaf, now) {
                RevocationStatus::Good => {
                    return Lookup::Answered(RevocationOutcome::new(
                        Verdict::Good,
                        Source::StaticCrl,
                        "not listed in the configured CRL".to_owned(),
                    ));
                }
                RevocationStatus::Revoked { revoked_at, .. } => {
                    return Lookup::Answered(RevocationOutcome::new(
                        Verdict::Revoked,
                        Source::StaticCrl,
                        format!("listed in the configured CRL, revoked at {revoked_at}"),
                    ));
                }
                RevocationStatus::Unknown { reason, .. } => static_reason = Some(reason),
                other => static_reason = Some(format!("{other:?}")),
            }
        }
        let Some(issuer) = chain.issuer_of(0) else {
            return Lookup::Answered(RevocationOutcome::new(
                Verdict::NoAnswer,
                Source::None,
                "the leaf has no issuer on the path".to_owned(),
            ));
        };
        let key = cache_key(chain.leaf(), issuer);
        if let Some(hit) = self.answers.get(&key) {
            if hit.fresh(now.as_secs(), policy.cache_ttl) {
                let mut outcome = hit.outcome;
                outcome.cached = true;
                return Lookup::Answered(outcome);
            }
            self.answers.remove(&key);
        }
        let leaf = chain.leaf();
        if ocsp_responder_uri(leaf).is_none() && crl_distribution_uri(leaf).is_none() {
            // Nothing to ask: the same answer until the certificate changes, without IO.
            let mut outcome = RevocationOutcome::new(
                Verdict::NoAnswer,
                Source::None,
                "no OCSP responder in the certificate; no CRL distribution point in the certificate"
                    .to_owned(),
            );
            // Kept like an answer, so it is not re-derived (and logged) on every request.
            if !policy.cache_ttl.is_zero() {
                self.answers.insert(
                    key,
                    Cached {
                        outcome: outcome.clone(),
                        stored_at: now.as_secs(),
                        next_update: None,
                    },
                );
            }
            if let Some(reason) = static_reason {
                outcome.detail = format!("configured CRLs: {reason}; {}", outcome.detail);
            }
            return Lookup::Answered(outcome);
        }
        Lookup::Needs(RevocationQuery {
            key,
            chain: chain.clone(),
            policy: policy.clone(),
            static_reason,
        })
    }

    /// Answers a query over the network (OCSP, then the CRL), one fetch per certificate at a
    /// time, and caches what may be cached.
    pub async fn answer(&self, query: &RevocationQuery, now: UnixTime) -> RevocationOutcome {
        let RevocationQuery {
            key,
            chain,
            policy,
            static_reason,
        } = query;
        let Some(issuer) = chain.issuer_of(0) else {
            return RevocationOutcome::new(
                Verdict::NoAnswer,
                Source::None,
                "the leaf has no issuer on the path".to_owned(),
            );
        };
        let (resolved, _) = self
            .flights
            .run(*key, || self.resolve(chain, issuer, policy, now))
            .await;
        if resolved.cacheable && !policy.cache_ttl.is_zero() {
            self.answers.insert(
                *key,
                Cached {
                    outcome: resolved.outcome.clone(),
                    stored_at: now.as_secs(),
                    next_update: resolved.next_update,
                },
            );
        }
        let mut outcome = resolved.outcome;
        if let Some(reason) = static_reason
            && outcome.verdict == Verdict::NoAnswer
        {
            outcome.detail = format!("configured CRLs: {reason}; {}", outcome.detail);
        }
        outcome
    }

    /// OCSP, then the CRL when OCSP gave no answer.
    async fn resolve(
        &self,
        chain: &VerifiedChain,
        issuer: &Certificate,
        policy: &RevocationPolicy,
        now: UnixTime,
    ) -> Resolved {
        let leaf = chain.leaf();
        let mut tried = Vec::new();
        let nowhere_to_ask =
            ocsp_responder_uri(leaf).is_none() && crl_distribution_uri(leaf).is_none();
        match ocsp_responder_uri(leaf) {
            None => tried.push("no OCSP responder in the certificate".to_owned()),
            Some(uri) => match self.ask_ocsp(&uri, leaf, issuer, policy, now).await {
                Ok(resolved) => return resolved,
                Err(reason) => tried.push(format!("OCSP {uri}: {reason}")),
            },
        }
        match crl_distribution_uri(leaf) {
            None => tried.push("no CRL distribution point in the certificate".to_owned()),
            Some(uri) => match self.crl(&uri, policy, now).await {
                Err(reason) => tried.push(format!("CRL {uri}: {reason}")),
                Ok(fetched) => match fetched.set.check(chain, RevocationScope::Leaf, now) {
                    RevocationStatus::Good => {
                        return Resolved {
                            outcome: RevocationOutcome::new(
                                Verdict::Good,
                                Source::Crl,
                                format!("not listed in the CRL from {uri}"),
                            ),
                            cacheable: true,
                            next_update: fetched.next_update,
                        };
                    }
                    RevocationStatus::Revoked { revoked_at, .. } => {
                        return Resolved {
                            outcome: RevocationOutcome::new(
                                Verdict::Revoked,
                                Source::Crl,
                                format!("listed in the CRL from {uri}, revoked at {revoked_at}"),
                            ),
                            cacheable: true,
                            next_update: fetched.next_update,
                        };
                    }
                    RevocationStatus::Unknown { reason, .. } => {
                        tried.push(format!("CRL {uri}: {reason}"));
                    }
                    other => tried.push(format!("CRL {uri}: {other:?}")),
                },
            },
        }
        Resolved {
            outcome: RevocationOutcome::new(Verdict::NoAnswer, Source::None, tried.join("; ")),
            // A certificate naming nowhere to ask gets the same answer until it changes: kept
            // like an answer, so it is not re-derived (and logged) on every request. A fetch
            // that failed is not kept.
            cacheable: nowhere_to_ask,
            next_update: None,
        }
    }

    /// Asks the OCSP responder. `Err` is "no answer" (try the CRL).
    async fn ask_ocsp(
        &self,
        uri: &str,
        leaf: &Certificate,
        issuer: &Certificate,
        policy: &RevocationPolicy,
        now: UnixTime,
    ) -> Result<Resolved, String> {
        let mut nonce = [0u8; 16];
        let nonce = match self.provider.secure_random.fill(&mut nonce) {
            Ok(()) => Some(&nonce[..]),
            Err(_) => None,
        };
        let query = OcspQuery::for_certificates(leaf, issuer, nonce).map_err(|e| e.to_string())?;
        let body = self
            .fetcher
            .fetch(
                uri,
                Some(("application/ocsp-request", query.request_der().to_vec())),
                &policy.fetch,
                MAX_OCSP_RESPONSE_SIZE,
            )
            .await
            .map_err(|e| e.to_string())?;
        if body.is_empty() {
            return Err("empty response body".to_owned());
        }
        let refused = |detail: String| Resolved {
            outcome: RevocationOutcome::new(Verdict::Revoked, Source::Ocsp, detail),
            cacheable: false,
            next_update: None,
        };
        let answer = match query.verify(&body, now) {
            Ok(answer) => answer,
            Err(e) => {
                return Ok(refused(format!(
                    "the response from {uri} failed verification: {e}"
                )));
            }
        };
        let next_update = answer.next_update.map(|t| t.as_secs());
        Ok(match answer.status {
            OcspStatus::Good => Resolved {
                outcome: RevocationOutcome::new(
                    Verdict::Good,
                    Source::Ocsp,
                    format!("{uri} says good"),
                ),
                cacheable: true,
                next_update,
            },
            OcspStatus::Revoked { revoked_at, reason } => Resolved {
                outcome: RevocationOutcome::new(
                    Verdict::Revoked,
                    Source::Ocsp,
                    match reason {
                        Some(reason) => {
                            format!("{uri} says revoked at {} ({reason})", rfc3339(revoked_at))
                        }
                        None => format!("{uri} says revoked at {}", rfc3339(revoked_at)),
                    },
                ),
                cacheable: true,
                next_update,
            },
            OcspStatus::Unknown => refused(format!("{uri} does not know the certificate")),
            other => refused(format!("{uri} answered {other:?}")),
        })
    }

    /// The CRL at `uri`: cached while fresh, otherwise fetched (one fetch per URI at a time).
    async fn crl(
        &self,
        uri: &str,
        policy: &RevocationPolicy,
        now: UnixTime,
    ) -> Result<FetchedCrl, String> {
        let now_secs = now.as_secs();
        if let Some(hit) = self.crls.get(uri) {
            let fresh = now_secs < hit.stored_at.saturating_add(policy.cache_ttl.as_secs())
                && hit.next_update.is_none_or(|next| now_secs <= next);
            if fresh {
                return Ok(hit);
            }
            self.crls.remove(uri);
        }
        let (fetched, _) = self
            .crl_flights
            .run(uri.to_owned(), || async {
                let body = self
                    .fetcher
                    .fetch(uri, None, &policy.fetch, MAX_FETCHED_CRL_SIZE)
                    .await
                    .map_err(|e| e.to_string())?;
                let set = CrlSet::load(&[&body[..]], &self.no_cas).map_err(|e| e.to_string())?;
                Ok(FetchedCrl {
                    next_update: set.next_update().map(|t| t.as_secs()),
                    set,
                    stored_at: now_secs,
                })
            })
            .await;
        if let Ok(fetched) = &fetched
            && !policy.cache_ttl.is_zero()
        {
            self.crls.insert(uri.to_owned(), fetched.clone());
        }
        fetched
    }
}

/// The cache key of a leaf: its issuer's name and key, and its serial (decisions.md item 1).
fn cache_key(leaf: &Certificate, issuer: &Certificate) -> [u8; 32] {
    let mut hash = Sha256::new();
    let name = leaf.issuer_der();
    let spki = issuer.spki_der();
    let serial = leaf.serial_bytes();
    for part in [&name[..], &spki[..], serial] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_answers_respect_ttl_and_next_update() {
        let cached = Cached {
            outcome: RevocationOutcome::new(Verdict::Good, Source::Ocsp, String::new()),
            stored_at: 1_000,
            next_update: Some(1_030),
        };
        assert!(cached.fresh(1_000, Duration::from_secs(60)));
        assert!(cached.fresh(1_030, Duration::from_secs(60)));
        assert!(
            !cached.fresh(1_031, Duration::from_secs(60)),
            "past nextUpdate"
        );
        assert!(
            !cached.fresh(1_010, Duration::from_secs(10)),
            "past the TTL"
        );
        let open = Cached {
            next_update: None,
            ..cached
        };
        assert!(open.fresh(1_059, Duration::from_secs(60)));
        assert!(!open.fresh(1_060, Duration::from_secs(60)));
    }

    #[test]
    fn outcome_text_names_verdict_and_source() {
        let mut outcome =
            RevocationOutcome::new(Verdict::Revoked, Source::Ocsp, "x says revoked".to_owned());
        assert_eq!(
            outcome.to_string(),
            "revocation revoked (ocsp): x says revoked"
        );
        outcome.cached = true;
        assert_eq!(
            outcome.to_string(),
            "revocation revoked (cache, from ocsp): x says revoked"
        );
        assert!(outcome.refuses(RevocationCheckMode::IgnoreCaError));
        let none = RevocationOutcome::new(Verdict::NoAnswer, Source::None, String::new());
        assert!(!none.refuses(RevocationCheckMode::IgnoreCaError));
        assert!(none.refuses(RevocationCheckMode::Strict));
    }
}
