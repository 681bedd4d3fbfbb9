//! Where consumers and credentials are looked up: the [`ConsumerStore`] trait and its default,
//! indexed in-memory implementation [`InMemoryStore`].

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use uuid::Uuid;

use crate::consumer::{Consumer, ConsumerField};
use crate::credentials::{Credential, CredentialKind};
use crate::error::{BuildError, EntityError, StoreError};

/// A credential lookup's answer: which credential matched, and its consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialMatch {
    /// The id of the credential that matched.
    pub credential_id: Uuid,
    /// The consumer it identifies.
    pub consumer: Arc<Consumer>,
}

/// The lookups the matcher needs, answered by an in-memory index ([`InMemoryStore`]), a
/// database, or a cache in front of one ([`CachedStore`](crate::CachedStore)).
///
/// Every lookup is exact and case-sensitive. Results are shared (`Arc`), so handing one out
/// costs a reference-count increment, never an allocation. An `Err` means the store could not
/// answer (not that nothing matched): the matcher then fails the request with Kong's 500.
pub trait ConsumerStore {
    /// The consumer with this id.
    fn consumer_by_id(&self, id: Uuid) -> Result<Option<Arc<Consumer>>, StoreError>;

    /// The consumer with this username.
    fn consumer_by_username(&self, username: &str) -> Result<Option<Arc<Consumer>>, StoreError>;

    /// The consumer with this custom_id.
    fn consumer_by_custom_id(&self, custom_id: &str) -> Result<Option<Arc<Consumer>>, StoreError>;

    /// The credential of table `kind` with exactly this `subject_name` and `ca_certificate`
    /// (`None` asks for the credential without a CA, not for "any CA"), with its consumer.
    fn credential(
        &self,
        kind: CredentialKind,
        subject_name: &str,
        ca_certificate: Option<Uuid>,
    ) -> Result<Option<CredentialMatch>, StoreError>;

    /// The consumer whose `field` equals `value`.
    fn consumer_by_field(
        &self,
        field: ConsumerField,
        value: &str,
    ) -> Result<Option<Arc<Consumer>>, StoreError> {
        match field {
            ConsumerField::Username => self.consumer_by_username(value),
            ConsumerField::CustomId => self.consumer_by_custom_id(value),
        }
    }
}

impl<T: ConsumerStore + ?Sized> ConsumerStore for &T {
    fn consumer_by_id(&self, id: Uuid) -> Result<Option<Arc<Consumer>>, StoreError> {
        (**self).consumer_by_id(id)
    }
    fn consumer_by_username(&self, username: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        (**self).consumer_by_username(username)
    }
    fn consumer_by_custom_id(&self, custom_id: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        (**self).consumer_by_custom_id(custom_id)
    }
    fn credential(
        &self,
        kind: CredentialKind,
        subject_name: &str,
        ca_certificate: Option<Uuid>,
    ) -> Result<Option<CredentialMatch>, StoreError> {
        (**self).credential(kind, subject_name, ca_certificate)
    }
}

impl<T: ConsumerStore + ?Sized> ConsumerStore for Arc<T> {
    fn consumer_by_id(&self, id: Uuid) -> Result<Option<Arc<Consumer>>, StoreError> {
        (**self).consumer_by_id(id)
    }
    fn consumer_by_username(&self, username: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        (**self).consumer_by_username(username)
    }
    fn consumer_by_custom_id(&self, custom_id: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        (**self).consumer_by_custom_id(custom_id)
    }
    fn credential(
        &self,
        kind: CredentialKind,
        subject_name: &str,
        ca_certificate: Option<Uuid>,
    ) -> Result<Option<CredentialMatch>, StoreError> {
        (**self).credential(kind, subject_name, ca_certificate)
    }
}

/// The hasher of every index: foldhash, seeded at random per store.
type Hasher = foldhash::fast::RandomState;

/// An immutable, validated, indexed set of consumers and credentials held in memory: the
/// default [`ConsumerStore`].
///
/// Built once per configuration by [`InMemoryStore::builder`]; lookups are a hash probe on a
/// borrowed `&str` (or id) and allocate nothing.
///
/// Layout: one index for ids, and one index for every name (usernames, custom_ids and the
/// subject names of both credential tables), hashed by the name alone. All the lookups the
/// matcher makes for one certificate name therefore probe the same place in memory, so only
/// the first is a cache miss. The indexes hold 32-bit positions into the entity vectors, not
/// copies of the keys: a username or subject name is stored once.
pub struct InMemoryStore {
    hasher: Hasher,
    entities: Entities,
    by_id: HashTable<u32>,
    by_name: HashTable<NameRef>,
}

/// The entities the indexes point into.
#[derive(Default)]
struct Entities {
    consumers: Vec<Arc<Consumer>>,
    mtls_auth: Vec<CredentialEntry>,
    header_cert_auth: Vec<CredentialEntry>,
}

struct CredentialEntry {
    credential: Credential,
    consumer: u32,
}

/// What a name in the name index is: a consumer's username or custom_id, or a credential's
/// subject name, with the entity's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Username,
    CustomId,
    Credential(CredentialKind),
}

#[derive(Clone, Copy, Debug)]
struct NameRef {
    role: Role,
    position: u32,
}

impl Entities {
    fn consumer(&self, position: u32) -> Option<&Arc<Consumer>> {
        self.consumers.get(position as usize)
    }

    fn credentials(&self, kind: CredentialKind) -> &[CredentialEntry] {
        match kind {
            CredentialKind::MtlsAuth => &self.mtls_auth,
            CredentialKind::HeaderCertAuth => &self.header_cert_auth,
        }
    }

    fn credential(&self, kind: CredentialKind, position: u32) -> Option<&CredentialEntry> {
        self.credentials(kind).get(position as usize)
    }

    /// The name a [`NameRef`] stands for.
    fn name(&self, r: NameRef) -> Option<&str> {
        match r.role {
            Role::Username => self.consumer(r.position)?.username(),
            Role::CustomId => self.consumer(r.position)?.custom_id(),
            Role::Credential(kind) => Some(
                self.credential(kind, r.position)?
                    .credential
                    .subject_name
                    .as_str(),
            ),
        }
    }

    fn consumer_position(&self, hasher: &Hasher, by_id: &HashTable<u32>, id: Uuid) -> Option<u32> {
        by_id
            .find(hasher.hash_one(id), |&i| {
                self.consumer(i).is_some_and(|c| c.id == id)
            })
            .copied()
    }
}

fn role_of(field: ConsumerField) -> Role {
    match field {
        ConsumerField::Username => Role::Username,
        ConsumerField::CustomId => Role::CustomId,
    }
}

impl std::fmt::Debug for InMemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryStore")
            .field("consumers", &self.entities.consumers.len())
            .field("mtls_auth_credentials", &self.entities.mtls_auth.len())
            .field(
                "header_cert_auth_credentials",
                &self.entities.header_cert_auth.len(),
            )
            .finish_non_exhaustive()
    }
}

impl InMemoryStore {
    /// A builder for a store; see [`InMemoryStoreBuilder`].
    pub fn builder() -> InMemoryStoreBuilder {
        InMemoryStoreBuilder::default()
    }

    /// How many consumers the store holds.
    pub fn len(&self) -> usize {
        self.entities.consumers.len()
    }

    /// Whether the store holds no consumer.
    pub fn is_empty(&self) -> bool {
        self.entities.consumers.is_empty()
    }

    /// Every consumer, in the order given to the builder.
    pub fn consumers(&self) -> impl ExactSizeIterator<Item = &Arc<Consumer>> {
        self.entities.consumers.iter()
    }

    /// Every credential of table `kind`, in the order given to the builder.
    pub fn credentials(&self, kind: CredentialKind) -> impl ExactSizeIterator<Item = &Credential> {
        self.entities
            .credentials(kind)
            .iter()
            .map(|e| &e.credential)
    }

    fn find_consumer_by(&self, field: ConsumerField, value: &str) -> Option<Arc<Consumer>> {
        let role = role_of(field);
        let hash = self.hasher.hash_one(value);
        self.by_name
            .find(hash, |r| {
                r.role == role && self.entities.name(*r) == Some(value)
            })
            .and_then(|r| self.entities.consumer(r.position))
            .cloned()
    }
}

impl ConsumerStore for InMemoryStore {
    fn consumer_by_id(&self, id: Uuid) -> Result<Option<Arc<Consumer>>, StoreError> {
        Ok(self
            .entities
            .consumer_position(&self.hasher, &self.by_id, id)
            .and_then(|i| self.entities.consumer(i))
            .cloned())
    }

    fn consumer_by_username(&self, username: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        Ok(self.find_consumer_by(ConsumerField::Username, username))
    }

    fn consumer_by_custom_id(&self, custom_id: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        Ok(self.find_consumer_by(ConsumerField::CustomId, custom_id))
    }

    fn credential(
        &self,
        kind: CredentialKind,
        subject_name: &str,
        ca_certificate: Option<Uuid>,
    ) -> Result<Option<CredentialMatch>, StoreError> {
        let role = Role::Credential(kind);
        let hash = self.hasher.hash_one(subject_name);
        let Some(entry) = self
            .by_name
            .find(hash, |r| {
                r.role == role
                    && self.entities.credential(kind, r.position).is_some_and(|e| {
                        e.credential.ca_certificate == ca_certificate
                            && e.credential.subject_name == subject_name
                    })
            })
            .and_then(|r| self.entities.credential(kind, r.position))
        else {
            return Ok(None);
        };
        // The builder resolved every credential's consumer, so this is always `Some`; report
        // an inconsistency rather than panic if it ever were not.
        match self.entities.consumer(entry.consumer) {
            Some(consumer) => Ok(Some(CredentialMatch {
                credential_id: entry.credential.id,
                consumer: Arc::clone(consumer),
            })),
            None => Err(StoreError::DanglingCredential {
                kind,
                credential: entry.credential.id,
                consumer: entry.credential.consumer,
            }),
        }
    }
}

/// Collects consumers, credentials and the known CA ids, then validates and indexes them
/// ([`build`](Self::build)).
#[derive(Debug, Default)]
pub struct InMemoryStoreBuilder {
    ca_certificates: HashSet<Uuid, Hasher>,
    consumers: Vec<Consumer>,
    mtls_auth: Vec<Credential>,
    header_cert_auth: Vec<Credential>,
}

impl InMemoryStoreBuilder {
    /// Adds ids of existing `ca_certificates` entities; a credential whose `ca_certificate` is
    /// not among them is refused. Default: none.
    #[must_use]
    pub fn ca_certificates(mut self, ids: impl IntoIterator<Item = Uuid>) -> Self {
        self.ca_certificates.extend(ids);
        self
    }

    /// Adds consumers.
    #[must_use]
    pub fn consumers(mut self, consumers: impl IntoIterator<Item = Consumer>) -> Self {
        self.consumers.extend(consumers);
        self
    }

    /// Adds one consumer.
    #[must_use]
    pub fn consumer(mut self, consumer: Consumer) -> Self {
        self.consumers.push(consumer);
        self
    }

    /// Adds credentials to table `kind`.
    #[must_use]
    pub fn credentials(
        mut self,
        kind: CredentialKind,
        credentials: impl IntoIterator<Item = Credential>,
    ) -> Self {
        match kind {
            CredentialKind::MtlsAuth => self.mtls_auth.extend(credentials),
            CredentialKind::HeaderCertAuth => self.header_cert_auth.extend(credentials),
        }
        self
    }

    /// Adds `mtls_auth_credentials`.
    #[must_use]
    pub fn mtls_auth_credentials(self, credentials: impl IntoIterator<Item = Credential>) -> Self {
        self.credentials(CredentialKind::MtlsAuth, credentials)
    }

    /// Adds `header_cert_auth_credentials`.
    #[must_use]
    pub fn header_cert_auth_credentials(
        self,
        credentials: impl IntoIterator<Item = Credential>,
    ) -> Self {
        self.credentials(CredentialKind::HeaderCertAuth, credentials)
    }

    /// Validates everything and builds the indexes.
    ///
    /// Refused, with every problem listed in the error: duplicate consumer ids, usernames or
    /// custom_ids; a consumer with neither username nor custom_id, or with an empty one;
    /// duplicate credential ids or `(subject_name, ca_certificate)` pairs within one table;
    /// an empty subject_name; a credential whose consumer or CA does not exist.
    pub fn build(self) -> Result<InMemoryStore, BuildError> {
        let hasher = Hasher::default();
        let mut errors = Vec::new();

        let max = u32::MAX as usize;
        for (entity, count) in [
            ("consumers", self.consumers.len()),
            ("mtls_auth_credentials", self.mtls_auth.len()),
            ("header_cert_auth_credentials", self.header_cert_auth.len()),
        ] {
            if count > max {
                errors.push(EntityError::TooMany { entity, count, max });
            }
        }
        if !errors.is_empty() {
            return Err(BuildError::new(errors));
        }

        let names = self
            .consumers
            .len()
            .saturating_mul(2)
            .saturating_add(self.mtls_auth.len())
            .saturating_add(self.header_cert_auth.len());
        let mut entities = Entities {
            consumers: self.consumers.into_iter().map(Arc::new).collect(),
            mtls_auth: Vec::with_capacity(self.mtls_auth.len()),
            header_cert_auth: Vec::with_capacity(self.header_cert_auth.len()),
        };
        let mut by_id = HashTable::with_capacity(entities.consumers.len());
        let mut by_name: HashTable<NameRef> = HashTable::with_capacity(names);

        for (position, consumer) in (0u32..).zip(entities.consumers.iter()) {
            let id = consumer.id;
            let consumers = &entities.consumers;
            match by_id.entry(
                hasher.hash_one(id),
                |&i: &u32| consumers.get(i as usize).is_some_and(|c| c.id == id),
                |&i: &u32| {
                    consumers
                        .get(i as usize)
                        .map_or(0, |c| hasher.hash_one(c.id))
                },
            ) {
                Entry::Occupied(_) => {
                    errors.push(EntityError::DuplicateConsumerId { id });
                    continue;
                }
                Entry::Vacant(slot) => {
                    slot.insert(position);
                }
            }
            if consumer.username.is_none() && consumer.custom_id.is_none() {
                errors.push(EntityError::ConsumerWithoutName { consumer: id });
            }
            for field in [ConsumerField::Username, ConsumerField::CustomId] {
                let Some(value) = consumer.field(field) else {
                    continue;
                };
                if value.is_empty() {
                    errors.push(EntityError::EmptyConsumerField {
                        consumer: id,
                        field,
                    });
                    continue;
                }
                let role = role_of(field);
                let hash = hasher.hash_one(value);
                if let Some(first) =
                    by_name.find(hash, |r| r.role == role && entities.name(*r) == Some(value))
                {
                    let first = entities
                        .consumer(first.position)
                        .map_or(Uuid::nil(), |c| c.id);
                    errors.push(match field {
                        ConsumerField::Username => EntityError::DuplicateUsername {
                            username: value.to_owned(),
                            first,
                            second: id,
                        },
                        ConsumerField::CustomId => EntityError::DuplicateCustomId {
                            custom_id: value.to_owned(),
                            first,
                            second: id,
                        },
                    });
                    continue;
                }
                by_name.insert_unique(hash, NameRef { role, position }, |r| {
                    entities.name(*r).map_or(0, |n| hasher.hash_one(n))
                });
            }
        }

        for (kind, credentials) in [
            (CredentialKind::MtlsAuth, self.mtls_auth),
            (CredentialKind::HeaderCertAuth, self.header_cert_auth),
        ] {
            add_credentials(
                &hasher,
                kind,
                credentials,
                &mut entities,
                &by_id,
                &mut by_name,
                &self.ca_certificates,
                &mut errors,
            );
        }

        if !errors.is_empty() {
            return Err(BuildError::new(errors));
        }
        Ok(InMemoryStore {
            hasher,
            entities,
            by_id,
            by_name,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn add_credentials(
    hasher: &Hasher,
    kind: CredentialKind,
    credentials: Vec<Credential>,
    entities: &mut Entities,
    by_id: &HashTable<u32>,
    by_name: &mut HashTable<NameRef>,
    ca_certificates: &HashSet<Uuid, Hasher>,
    errors: &mut Vec<EntityError>,
) {
    let role = Role::Credential(kind);
    let mut ids: HashSet<Uuid, Hasher> =
        HashSet::with_capacity_and_hasher(credentials.len(), Hasher::default());

    for credential in credentials {
        let id = credential.id;
        if !ids.insert(id) {
            errors.push(EntityError::DuplicateCredentialId { kind, id });
            continue;
        }
        let mut valid = true;
        if credential.subject_name.is_empty() {
            errors.push(EntityError::EmptySubjectName {
                kind,
                credential: id,
            });
            valid = false;
        }
        let consumer = entities.consumer_position(hasher, by_id, credential.consumer);
        if consumer.is_none() {
            errors.push(EntityError::UnknownConsumer {
                kind,
                credential: id,
                consumer: credential.consumer,
            });
            valid = false;
        }
        if let Some(ca) = credential.ca_certificate
            && !ca_certificates.contains(&ca)
        {
            errors.push(EntityError::UnknownCaCertificate {
                kind,
                credential: id,
                ca_certificate: ca,
            });
            valid = false;
        }
        let (Some(consumer), true) = (consumer, valid) else {
            continue;
        };

        let hash = hasher.hash_one(credential.subject_name.as_str());
        let duplicate = by_name.find(hash, |r| {
            r.role == role
                && entities.credential(kind, r.position).is_some_and(|e| {
                    e.credential.ca_certificate == credential.ca_certificate
                        && e.credential.subject_name == credential.subject_name
                })
        });
        if let Some(first) = duplicate {
            let first = entities
                .credential(kind, first.position)
                .map_or(Uuid::nil(), |e| e.credential.id);
            errors.push(EntityError::DuplicateSubjectName {
                kind,
                subject_name: credential.subject_name.clone(),
                ca_certificate: credential.ca_certificate,
                first,
                second: id,
            });
            continue;
        }

        let table = match kind {
            CredentialKind::MtlsAuth => &mut entities.mtls_auth,
            CredentialKind::HeaderCertAuth => &mut entities.header_cert_auth,
        };
        let Ok(position) = u32::try_from(table.len()) else {
            // Unreachable: the builder refused tables larger than u32::MAX up front.
            continue;
        };
        table.push(CredentialEntry {
            credential,
            consumer,
        });
        let entities = &*entities;
        by_name.insert_unique(hash, NameRef { role, position }, |r| {
            entities.name(*r).map_or(0, |n| hasher.hash_one(n))
        });
    }
}
