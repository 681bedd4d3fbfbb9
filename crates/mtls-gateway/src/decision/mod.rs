//! The request decision: a route's certificate plugins run in Kong's priority order
//! (mtls-auth 1600, header-cert-auth 1009, tls-metadata-headers 996, acl 950) with Kong's
//! anonymous OR-chaining, giving one [`Decision`].
//!
//! The client-facing answer (Kong's status and message) and the internal reason are kept
//! apart: the reason goes to `tracing`, under the plugin's name as target, never to the client.
//! Every header the gateway owns is removed from the request whatever the outcome, so a client
//! can never forge one (decisions.md item 2).

mod types;
mod upstream_headers;

use types::INLINE_NAMES;
pub use types::{Allow, Answers, Needs};
pub(crate) use types::{
    CertificateAuth, Decision, Deny, MetadataHeaders, RequestFacts, RoutePlugins,
};

use std::collections::HashMap;
use std::sync::Arc;

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{Certificate, ValidationCache, VerifiedChain};
use mtls_consumer::{
    Acl, AclDecision, AclSubject, AuthFailure, CertificateIdentity, Consumer, FoundBy, HeaderPlan,
    Outcome, fail_authentication, match_consumer,
};
use mtls_header::HeaderCertAuth;
use uuid::Uuid;

use crate::revocation::{
    Lookup, RevocationCheckMode, RevocationChecker, RevocationOutcome, RevocationQuery, Verdict,
};
use upstream_headers::allow;

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
pub(super) struct Authenticated {
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
            Lookup::Needs(query) => match answers.revocation(&query.key()) {
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
        match self.run(plugins, facts, answers) {
            Ok(allow) => Decision::Allow(allow),
            Err(halt) => halt.into(),
        }
    }

    /// The plugins in Kong's priority order; the first refusal (or need) stops them.
    fn run(
        &self,
        plugins: &RoutePlugins,
        facts: &RequestFacts<'_>,
        answers: &Answers,
    ) -> Result<Allow, Halt> {
        let mut result: Option<Authenticated> = None;
        // An identity that a later plugin with `anonymous` must not override (Kong: a
        // credential is set).
        let identified = |r: &Option<Authenticated>| {
            facts.has_credential || r.as_ref().is_some_and(|a| !a.anonymous)
        };
        if let Some(auth) = &plugins.mtls_auth
            && !auth.matching.short_circuits(identified(&result))
        {
            result = Some(self.authenticate(
                "mtls-auth",
                auth,
                facts.peer_certificates,
                false,
                AuthFailure::NoCertificate,
                answers,
                facts.now,
            )?);
        }
        if let Some((header, auth)) = &plugins.header_cert_auth
            && !auth.matching.short_circuits(identified(&result))
        {
            result = Some(self.header_cert_auth(header, auth, facts, answers)?);
        }
        let mut plan = result
            .as_mut()
            .map(|a| std::mem::take(&mut a.plan))
            .unwrap_or_else(HeaderPlan::remove_all);
        if let Some(acl) = &plugins.acl {
            self.acl(acl, result.as_ref(), &mut plan)?;
        }
        Ok(allow(plugins, facts, result, plan))
    }

    /// header-cert-auth: the certificate from the trusted peer's header, then as mtls-auth.
    fn header_cert_auth(
        &self,
        header: &HeaderCertAuth,
        auth: &CertificateAuth,
        facts: &RequestFacts<'_>,
        answers: &Answers,
    ) -> Result<Authenticated, Halt> {
        let authenticate = |chain: Option<&[CertificateDer<'_>]>| {
            self.authenticate(
                "header-cert-auth",
                auth,
                chain,
                true,
                AuthFailure::NoCertificateHeader,
                answers,
                facts.now,
            )
        };
        match header.extract(facts.peer_addr, facts.headers) {
            Ok(forwarded) => {
                let ders: Vec<CertificateDer<'static>> = std::iter::once(forwarded.leaf())
                    .chain(forwarded.intermediates())
                    .map(|c| c.der().clone())
                    .collect();
                authenticate(Some(&ders)).map(|mut a| {
                    if a.leaf.is_some() {
                        a.forwarded = Some(ders);
                    }
                    a
                })
            }
            Err(refused) => match refused.rejection() {
                mtls_header::Rejection::Forbidden => Err(Halt::Deny(Box::new(refusal(
                    "header-cert-auth",
                    &mtls_consumer::Rejection::Forbidden,
                    refused.reason().to_string(),
                )))),
                mtls_header::Rejection::NoCertificateHeader => authenticate(None),
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
                        refused.reason().to_string(),
                        None,
                    )
                    .map_err(|d| Halt::Deny(Box::new(d)))
                }
            },
        }
    }

    /// acl: the consumer's groups, or the authenticated groups, against allow / deny.
    fn acl(
        &self,
        acl: &Acl,
        result: Option<&Authenticated>,
        plan: &mut HeaderPlan,
    ) -> Result<(), Halt> {
        let consumer_groups: Vec<&str> = result
            .and_then(|a| a.consumer.as_ref())
            .and_then(|c| self.consumer_groups.get(&c.id))
            .map(|g| g.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let auth_groups: Vec<&str> = result
            .map(|a| a.groups.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let subject = match result {
            Some(a) if a.consumer.is_some() && a.anonymous => AclSubject::Anonymous {
                groups: consumer_groups.as_slice(),
                authenticated_groups: (!auth_groups.is_empty()).then_some(auth_groups.as_slice()),
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
            AclDecision::Blocked(block) => Err(Halt::Deny(Box::new(refusal(
                "acl",
                &block.rejection(),
                block.to_string(),
            )))),
            allowed @ AclDecision::Allowed { .. } => {
                allowed.apply_to(plan);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
