//! Errors of this crate: invalid entities, failing stores, invalid ACL settings.
//!
//! These are Rust errors for operators and logs. What a client is told lives apart, in
//! [`Rejection`](crate::Rejection), so that a reason here can never reach a response.

use std::sync::Arc;

use uuid::Uuid;

use crate::consumer::ConsumerField;
use crate::credentials::CredentialKind;

/// One invalid entity found while building a store, with enough context to find it in the
/// configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntityError {
    /// Two consumers share an id.
    #[error("two consumers have the id {id}")]
    DuplicateConsumerId {
        /// The repeated id.
        id: Uuid,
    },
    /// A consumer has neither a username nor a custom_id (Kong requires at least one).
    #[error("consumer {consumer} has neither a username nor a custom_id")]
    ConsumerWithoutName {
        /// The consumer's id.
        consumer: Uuid,
    },
    /// A consumer's username or custom_id is the empty string (Kong requires at least one
    /// character).
    #[error("consumer {consumer} has an empty {field}")]
    EmptyConsumerField {
        /// The consumer's id.
        consumer: Uuid,
        /// The empty field.
        field: ConsumerField,
    },
    /// Two consumers share a username.
    #[error("consumers {first} and {second} have the same username {username:?}")]
    DuplicateUsername {
        /// The repeated username.
        username: String,
        /// The consumer that had it first.
        first: Uuid,
        /// The consumer that repeats it.
        second: Uuid,
    },
    /// Two consumers share a custom_id.
    #[error("consumers {first} and {second} have the same custom_id {custom_id:?}")]
    DuplicateCustomId {
        /// The repeated custom_id.
        custom_id: String,
        /// The consumer that had it first.
        first: Uuid,
        /// The consumer that repeats it.
        second: Uuid,
    },
    /// Two credentials of one table share an id.
    #[error("two {kind} have the id {id}")]
    DuplicateCredentialId {
        /// The table.
        kind: CredentialKind,
        /// The repeated id.
        id: Uuid,
    },
    /// A credential's subject_name is the empty string.
    #[error("{kind} credential {credential} has an empty subject_name")]
    EmptySubjectName {
        /// The table.
        kind: CredentialKind,
        /// The credential's id.
        credential: Uuid,
    },
    /// Two credentials of one table share `(subject_name, ca_certificate)`.
    #[error(
        "{kind} credentials {first} and {second} both map subject_name {subject_name:?} with {}",
        describe_ca(*ca_certificate)
    )]
    DuplicateSubjectName {
        /// The table.
        kind: CredentialKind,
        /// The repeated subject name.
        subject_name: String,
        /// The repeated CA (or no CA).
        ca_certificate: Option<Uuid>,
        /// The credential that had it first.
        first: Uuid,
        /// The credential that repeats it.
        second: Uuid,
    },
    /// A credential names a consumer that does not exist.
    #[error("{kind} credential {credential} refers to consumer {consumer}, which does not exist")]
    UnknownConsumer {
        /// The table.
        kind: CredentialKind,
        /// The credential's id.
        credential: Uuid,
        /// The missing consumer's id.
        consumer: Uuid,
    },
    /// A credential names a CA certificate that does not exist.
    #[error(
        "{kind} credential {credential} refers to ca_certificate {ca_certificate}, which does not exist"
    )]
    UnknownCaCertificate {
        /// The table.
        kind: CredentialKind,
        /// The credential's id.
        credential: Uuid,
        /// The missing CA's id.
        ca_certificate: Uuid,
    },
    /// More entities than the index can address (2^32 - 1 per table).
    #[error("too many {entity}: {count} (at most {max})")]
    TooMany {
        /// Which entity.
        entity: &'static str,
        /// How many were given.
        count: usize,
        /// The most the index holds.
        max: usize,
    },
}

fn describe_ca(ca: Option<Uuid>) -> String {
    match ca {
        Some(ca) => format!("ca_certificate {ca}"),
        None => "no ca_certificate".to_owned(),
    }
}

/// Every invalid entity found while building a store (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid entit{}: {}", .errors.len(), if .errors.len() == 1 { "y" } else { "ies" }, Summary(.errors))]
pub struct BuildError {
    errors: Vec<EntityError>,
}

impl BuildError {
    pub(crate) fn new(errors: Vec<EntityError>) -> Self {
        Self { errors }
    }

    /// The problems, in the order they were found (consumers first, then each credential
    /// table).
    pub fn errors(&self) -> &[EntityError] {
        &self.errors
    }
}

/// Displays at most the first few errors, then how many more there are.
struct Summary<'a>(&'a [EntityError]);

impl std::fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 5;
        for (i, error) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, "; and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// A lookup a store was asked to do, for error context.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lookup {
    /// A consumer by id.
    ConsumerById(Uuid),
    /// A consumer by username.
    ConsumerByUsername(String),
    /// A consumer by custom_id.
    ConsumerByCustomId(String),
    /// A credential by subject name and CA.
    Credential {
        /// The table.
        kind: CredentialKind,
        /// The subject name.
        subject_name: String,
        /// The CA, or none.
        ca_certificate: Option<Uuid>,
    },
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ConsumerById(id) => write!(f, "consumer by id {id}"),
            Self::ConsumerByUsername(v) => write!(f, "consumer by username {v:?}"),
            Self::ConsumerByCustomId(v) => write!(f, "consumer by custom_id {v:?}"),
            Self::Credential {
                kind,
                subject_name,
                ca_certificate,
            } => write!(
                f,
                "{kind} by subject_name {subject_name:?} and {}",
                describe_ca(*ca_certificate)
            ),
        }
    }
}

/// A store could not answer a lookup. The matcher turns this into Kong's 500
/// "An unexpected error occurred", without anonymous fallback, and never caches it.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend (a database, a remote service) failed.
    #[error("{lookup} failed: {source}")]
    Backend {
        /// What was being looked up.
        lookup: Lookup,
        /// The backend's error.
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// A credential refers to a consumer the store does not have (the store is inconsistent).
    #[error("{kind} credential {credential} refers to consumer {consumer}, which does not exist")]
    DanglingCredential {
        /// The table.
        kind: CredentialKind,
        /// The credential's id.
        credential: Uuid,
        /// The missing consumer's id.
        consumer: Uuid,
    },
}

impl StoreError {
    /// A backend failure for `lookup`.
    pub fn backend(
        lookup: Lookup,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Backend {
            lookup,
            source: Arc::from(source.into()),
        }
    }
}

/// Invalid ACL plugin settings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AclConfigError {
    /// Both `allow` and `deny` are set (Kong accepts exactly one).
    #[error("the acl plugin takes exactly one of allow and deny, both are set")]
    BothAllowAndDeny,
    /// Neither `allow` nor `deny` is set.
    #[error("the acl plugin takes exactly one of allow and deny, neither is set")]
    NeitherAllowNorDeny,
}
