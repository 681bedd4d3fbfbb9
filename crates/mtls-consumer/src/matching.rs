//! Kong's order for deciding who a certificate is (mtls-auth per-request steps 5, 7 and 8;
//! header-cert-auth shares them).
//!
//! First hit wins:
//! 1. `skip_consumer_lookup`: no consumer; the authenticated group is the CN (none: fail
//!    "Certificate missing Common Name") or the DN (header-cert-auth, empty: fail
//!    "Certificate missing Subject DN"), or none with `authenticated_group_by = null`.
//! 2. For each subject name in order: the credential `(name, anchor CA)`, else
//!    `(name, no CA)`.
//! 3. If `consumer_by` is not empty: for each name, for each field in `consumer_by` order, the
//!    consumer whose username / custom_id equals the name (exact, case-sensitive).
//! 4. `default_consumer`: by id, then by username; absent: 401 "Unauthorized", no anonymous.
//! 5. Otherwise: fail "TLS certificate failed verification".
//!
//! A failure of 1 or 5 then falls to `anonymous` (by id, then username); a missing anonymous
//! consumer is a 500. A store error is a 500 at once, without anonymous.

use std::sync::Arc;

use crate::consumer::{Consumer, ConsumerField};
use crate::credentials::CredentialKind;
use crate::error::StoreError;
use crate::identity::CertificateIdentity;
use crate::outcome::{
    AuthFailure, ClientCert, Failure, FailureReason, FoundBy, Outcome, Rejection,
};
use crate::settings::{ConsumerReference, GroupBy, MatchSettings, Plugin};
use crate::store::ConsumerStore;

/// Decides who `identity` is under `settings`, looking consumers and credentials up in
/// `store`.
///
/// Never panics and, with the [`InMemoryStore`](crate::InMemoryStore), never allocates: the
/// outcome borrows from `identity` and shares consumers by `Arc`.
pub fn match_consumer<'a, S>(
    store: &S,
    identity: &CertificateIdentity<'a>,
    settings: &MatchSettings,
) -> Outcome<'a>
where
    S: ConsumerStore + ?Sized,
{
    match authenticate(store, identity, settings) {
        Ok(outcome) => outcome,
        Err(Stop::Final(failure)) => Outcome::Failed(failure),
        Err(Stop::Fallback(cause)) => fall_back_to_anonymous(store, settings, cause),
    }
}

/// Why [`authenticate`] stopped without an outcome.
enum Stop {
    /// A failure `anonymous` may take over.
    Fallback(AuthFailure),
    /// A failure that is final.
    Final(Failure),
}

impl From<StoreError> for Stop {
    fn from(error: StoreError) -> Self {
        Self::Final(store_failure(error))
    }
}

fn store_failure(error: StoreError) -> Failure {
    Failure::new(Rejection::UnexpectedError, FailureReason::Store(error))
}

fn authenticate<'a, S>(
    store: &S,
    identity: &CertificateIdentity<'a>,
    settings: &MatchSettings,
) -> Result<Outcome<'a>, Stop>
where
    S: ConsumerStore + ?Sized,
{
    let client_cert = ClientCert {
        subject_dn: identity.subject_dn,
        subject_names: identity.subject_names,
    };

    if settings.skip_consumer_lookup {
        return skip_lookup(identity, settings, client_cert);
    }
    if let Some(found) = by_credential(store, identity, settings.plugin.credential_kind())? {
        return Ok(found);
    }
    if let Some(found) = by_consumer_field(store, identity, &settings.consumer_by)? {
        return Ok(found);
    }
    if let Some(default) = &settings.default_consumer {
        return match find_reference(store, default)? {
            Some(consumer) => Ok(Outcome::Consumer {
                consumer,
                found_by: FoundBy::DefaultConsumer,
                client_cert: Some(client_cert),
            }),
            None => Err(Stop::Final(Failure::new(
                Rejection::Unauthorized,
                FailureReason::DefaultConsumerNotFound {
                    default_consumer: Arc::clone(default.shared_value()),
                },
            ))),
        };
    }
    Err(Stop::Fallback(AuthFailure::NoMatch {
        subject_names: identity.subject_names.len(),
        ca_id: identity.ca_id,
        consumer_by_disabled: settings.consumer_by.is_empty(),
    }))
}

/// `skip_consumer_lookup`: no consumer, the authenticated group from the CN or the DN.
fn skip_lookup<'a>(
    identity: &CertificateIdentity<'a>,
    settings: &MatchSettings,
    client_cert: ClientCert<'a>,
) -> Result<Outcome<'a>, Stop> {
    let authenticated_group = match settings.authenticated_group_by {
        None => None,
        Some(GroupBy::CommonName) => match identity.common_name {
            Some(cn) => Some(cn),
            None => return Err(Stop::Fallback(AuthFailure::MissingCommonName)),
        },
        Some(GroupBy::SubjectDn) => match settings.plugin {
            Plugin::HeaderCertAuth if identity.subject_dn.is_empty() => {
                return Err(Stop::Fallback(AuthFailure::MissingSubjectDn));
            }
            // mtls-auth uses the DN as it is, even empty (Kong checks this only in
            // header-cert-auth).
            Plugin::HeaderCertAuth | Plugin::MtlsAuth => Some(identity.subject_dn),
        },
    };
    Ok(Outcome::SkipLookup {
        authenticated_group,
        client_cert,
    })
}

/// Kong's manual mappings: each subject name in order, a mapping tied to the issuing CA
/// first, then one without a CA.
fn by_credential<'a, S>(
    store: &S,
    identity: &CertificateIdentity<'a>,
    kind: CredentialKind,
) -> Result<Option<Outcome<'a>>, Stop>
where
    S: ConsumerStore + ?Sized,
{
    for (name_index, name) in identity.subject_names.iter().enumerate() {
        if let Some(ca) = identity.ca_id
            && let Some(hit) = store.credential(kind, name, Some(ca))?
        {
            return Ok(Some(Outcome::Consumer {
                consumer: hit.consumer,
                found_by: FoundBy::CredentialWithCa {
                    credential_id: hit.credential_id,
                    name_index,
                },
                client_cert: None,
            }));
        }
        if let Some(hit) = store.credential(kind, name, None)? {
            return Ok(Some(Outcome::Consumer {
                consumer: hit.consumer,
                found_by: FoundBy::CredentialWithoutCa {
                    credential_id: hit.credential_id,
                    name_index,
                },
                client_cert: None,
            }));
        }
    }
    Ok(None)
}

/// `consumer_by`: each subject name in order, against each field in the configured order.
fn by_consumer_field<'a, S>(
    store: &S,
    identity: &CertificateIdentity<'a>,
    consumer_by: &[ConsumerField],
) -> Result<Option<Outcome<'a>>, Stop>
where
    S: ConsumerStore + ?Sized,
{
    for (name_index, name) in identity.subject_names.iter().enumerate() {
        for &field in consumer_by {
            if let Some(consumer) = store.consumer_by_field(field, name)? {
                let found_by = match field {
                    ConsumerField::Username => FoundBy::Username { name_index },
                    ConsumerField::CustomId => FoundBy::CustomId { name_index },
                };
                return Ok(Some(Outcome::Consumer {
                    consumer,
                    found_by,
                    client_cert: None,
                }));
            }
        }
    }
    Ok(None)
}

/// Kong's step 8 for a failure found before matching (no certificate, a chain that does not
/// validate, an unknown anchor CA, ...): `anonymous` takes over when set (a missing anonymous
/// consumer is a 500), otherwise the failure's own rejection.
///
/// ```
/// use mtls_consumer::{AuthFailure, InMemoryStore, MatchSettings, Plugin, fail_authentication};
/// let store = InMemoryStore::builder().build()?;
/// let outcome = fail_authentication(&store, &MatchSettings::new(Plugin::MtlsAuth),
///     AuthFailure::NoCertificate);
/// assert_eq!(outcome.failure().unwrap().rejection().status(), 401);
/// # Ok::<(), mtls_consumer::BuildError>(())
/// ```
pub fn fail_authentication<'a, S>(
    store: &S,
    settings: &MatchSettings,
    cause: AuthFailure,
) -> Outcome<'a>
where
    S: ConsumerStore + ?Sized,
{
    fall_back_to_anonymous(store, settings, cause)
}

fn fall_back_to_anonymous<'a, S>(
    store: &S,
    settings: &MatchSettings,
    cause: AuthFailure,
) -> Outcome<'a>
where
    S: ConsumerStore + ?Sized,
{
    let Some(anonymous) = &settings.anonymous else {
        return Outcome::Failed(Failure::new(
            cause.rejection(),
            FailureReason::Authentication(cause),
        ));
    };
    match find_reference(store, anonymous) {
        Ok(Some(consumer)) => Outcome::Anonymous {
            consumer,
            reason: cause,
        },
        Ok(None) => Outcome::Failed(Failure::new(
            Rejection::AnonymousNotFound {
                anonymous: Arc::clone(anonymous.shared_value()),
            },
            FailureReason::AnonymousNotFound {
                anonymous: Arc::clone(anonymous.shared_value()),
                cause,
            },
        )),
        Err(error) => Outcome::Failed(store_failure(error)),
    }
}

/// Kong's `load_consumer(value, by_username = true)`: by id when the value is one, then by
/// username.
fn find_reference<S>(
    store: &S,
    reference: &ConsumerReference,
) -> Result<Option<Arc<Consumer>>, StoreError>
where
    S: ConsumerStore + ?Sized,
{
    if let Some(id) = reference.id()
        && let Some(consumer) = store.consumer_by_id(id)?
    {
        return Ok(Some(consumer));
    }
    store.consumer_by_username(reference.value())
}
