//! Changing a validated [`Config`] entity by entity ([`Config::apply`]): what an Admin API
//! write or a database change notification does, without reloading every record. Only the
//! lists of the kinds a change touches are copied; the rules across entities (references,
//! uniqueness, the consumer store's) are checked again for what changed.

mod checks;
mod consumers;

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::config::{Config, positions};
use crate::entities::{AnyEntity, Kind};
use crate::error::{ConfigErrors, Errors};
use consumers::PendingConsumers;

/// One change to a configuration.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Change {
    /// Inserts the entity, or replaces the one with its id (keeping its place). The entity
    /// must have passed its own checks ([`crate::Loader::check_record`]); errors about it are
    /// reported under `path`.
    Put {
        /// The entity, checked.
        entity: Box<AnyEntity>,
        /// Where errors about it are reported (`""` for an Admin API body).
        path: String,
    },
    /// Removes the entity of this kind with this id (nothing when there is none).
    Delete {
        /// The entity's kind.
        kind: Kind,
        /// Its id.
        id: Uuid,
    },
}

impl Change {
    /// A put with errors reported at the record itself (`""`).
    pub fn put(entity: AnyEntity) -> Self {
        Self::Put {
            entity: Box::new(entity),
            path: String::new(),
        }
    }

    /// A delete.
    pub fn delete(kind: Kind, id: Uuid) -> Self {
        Self::Delete { kind, id }
    }
}

/// Inserts or replaces by id; the position.
fn put<T: Clone>(
    list: &mut Arc<Vec<T>>,
    by_id: &mut Arc<HashMap<Uuid, usize>>,
    id: Uuid,
    entity: T,
) -> usize {
    if let Some(&i) = by_id.get(&id)
        && let Some(slot) = Arc::make_mut(list).get_mut(i)
    {
        *slot = entity;
        return i;
    }
    let items = Arc::make_mut(list);
    items.push(entity);
    Arc::make_mut(by_id).insert(id, items.len() - 1);
    items.len() - 1
}

/// Removes by id; the position it had.
fn remove<T: Clone>(
    list: &mut Arc<Vec<T>>,
    by_id: &mut Arc<HashMap<Uuid, usize>>,
    id: Uuid,
    id_of: impl Fn(&T) -> Uuid,
) -> Option<usize> {
    let i = *by_id.get(&id)?;
    Arc::make_mut(list).remove(i);
    *by_id = positions(list, id_of);
    Some(i)
}

/// A configuration being changed, with its consumers and credentials as editable lists once
/// a change touches them.
struct Draft {
    config: Config,
    pending: Option<PendingConsumers>,
}

impl std::ops::Deref for Draft {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.config
    }
}

impl std::ops::DerefMut for Draft {
    fn deref_mut(&mut self) -> &mut Config {
        &mut self.config
    }
}

/// What a set of changes touched, for the checks after it.
#[derive(Default)]
struct Touched {
    put: Vec<(Kind, Uuid, String)>,
    deleted: Vec<(Kind, Uuid)>,
    consumers: bool,
    snis: bool,
}

impl Config {
    /// This configuration with `changes` applied, in order: each put entity checked against
    /// the result (its references exist, its unique fields are unique, the consumer store's
    /// rules hold), and nothing left referring to a deleted one (the caller applies Kong's
    /// cascades by deleting the dependents too). The lists of untouched kinds are shared with
    /// `self`.
    ///
    /// ```
    /// use mtls_kong_config::{AnyEntity, Change, Config, Kind};
    /// use serde_json::json;
    ///
    /// let config = Config::builder()
    ///     .service(json!({"name": "billing", "url": "http://billing.internal"}))
    ///     .build()?;
    /// let service = config.service_by_name("billing").unwrap().id;
    /// let route = mtls_kong_config::Loader::new().check_record(
    ///     &config,
    ///     mtls_kong_config::Record {
    ///         kind: Kind::Route,
    ///         value: json!({"id": uuid::Uuid::from_u128(7), "paths": ["/b"], "service": "billing"}),
    ///         path: String::new(),
    ///     },
    /// )?;
    /// let next = config.apply([Change::put(route)])?;
    /// assert_eq!(next.routes_of_service(service).count(), 1);
    /// // Deleting the service alone would leave the route without it.
    /// assert!(next.apply([Change::delete(Kind::Service, service)]).is_err());
    /// # Ok::<(), mtls_kong_config::ConfigErrors>(())
    /// ```
    pub fn apply(&self, changes: impl IntoIterator<Item = Change>) -> Result<Config, ConfigErrors> {
        let mut next = Draft {
            config: self.clone(),
            pending: None,
        };
        let mut touched = Touched::default();
        let mut errors = Errors::default();
        for change in changes {
            match change {
                Change::Put { entity, path } => next.put_entity(*entity, path, &mut touched),
                Change::Delete { kind, id } => {
                    next.delete_entity(kind, id);
                    touched.deleted.push((kind, id));
                    touched.consumers |= matches!(
                        kind,
                        Kind::Consumer
                            | Kind::MtlsAuthCredential
                            | Kind::HeaderCertAuthCredential
                            | Kind::CaCertificate
                    );
                    touched.snis |= kind == Kind::Sni;
                }
            }
        }
        if touched.snis {
            next.refresh_certificate_snis();
        }
        for (kind, id, path) in &touched.put {
            next.check_put(*kind, *id, path, &mut errors);
        }
        for (kind, id) in &touched.deleted {
            next.check_deleted(*kind, *id, &mut errors);
        }
        if touched.consumers {
            next.rebuild_consumer_store(&touched, &mut errors);
        }
        errors.finish(next.config)
    }

    /// Whether an entity of `kind` has `id`.
    pub fn contains(&self, kind: Kind, id: Uuid) -> bool {
        let has = |m: &HashMap<Uuid, usize>| m.contains_key(&id);
        match kind {
            Kind::CaCertificate => has(&self.by_id.ca_certificates),
            Kind::Certificate => has(&self.by_id.certificates),
            Kind::Sni => has(&self.by_id.snis),
            Kind::Service => has(&self.by_id.services),
            Kind::Route => has(&self.by_id.routes),
            Kind::Acl => has(&self.by_id.acls),
            Kind::Plugin => has(&self.by_id.plugins),
            Kind::Consumer => {
                mtls_consumer::ConsumerStore::consumer_by_id(&*self.consumer_store, id)
                    .ok()
                    .flatten()
                    .is_some()
            }
            Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => kind
                .credential_kind()
                .is_some_and(|k| self.credentials(k).any(|c| c.id == id)),
        }
    }
}

impl Draft {
    fn put_entity(&mut self, entity: AnyEntity, path: String, touched: &mut Touched) {
        let (kind, id) = (entity.kind(), entity.id());
        touched.put.push((kind, id, path));
        match entity {
            AnyEntity::CaCertificate(ca) => {
                let parsed = ca.parse();
                let i = put(
                    &mut self.config.ca_certificates,
                    &mut self.config.by_id.ca_certificates,
                    id,
                    ca,
                );
                let trust = Arc::make_mut(&mut self.config.trust);
                if let Ok(parsed) = parsed {
                    match trust.get_mut(i) {
                        Some(slot) => *slot = parsed,
                        None => trust.push(parsed),
                    }
                }
                touched.consumers = true;
            }
            AnyEntity::Certificate(mut cert) => {
                cert.snis = self
                    .snis
                    .iter()
                    .filter(|s| s.certificate == id)
                    .map(|s| s.name.clone())
                    .collect();
                put(
                    &mut self.config.certificates,
                    &mut self.config.by_id.certificates,
                    id,
                    cert,
                );
            }
            AnyEntity::Sni(sni) => {
                put(&mut self.config.snis, &mut self.config.by_id.snis, id, sni);
                touched.snis = true;
            }
            AnyEntity::Service(s) => {
                put(
                    &mut self.config.services,
                    &mut self.config.by_id.services,
                    id,
                    s,
                );
            }
            AnyEntity::Route(r) => {
                put(
                    &mut self.config.routes,
                    &mut self.config.by_id.routes,
                    id,
                    r,
                );
            }
            AnyEntity::Acl(a) => {
                put(&mut self.config.acls, &mut self.config.by_id.acls, id, a);
            }
            AnyEntity::Plugin(p) => {
                put(
                    &mut self.config.plugins,
                    &mut self.config.by_id.plugins,
                    id,
                    p,
                );
            }
            AnyEntity::Consumer(c) => {
                self.pending_consumers().put_consumer(c);
                touched.consumers = true;
            }
            AnyEntity::Credential(k, c) => {
                self.pending_consumers().put_credential(k, c);
                touched.consumers = true;
            }
        }
    }

    fn delete_entity(&mut self, kind: Kind, id: Uuid) {
        match kind {
            Kind::CaCertificate => {
                if let Some(i) = remove(
                    &mut self.config.ca_certificates,
                    &mut self.config.by_id.ca_certificates,
                    id,
                    |c| c.id,
                ) {
                    let trust = Arc::make_mut(&mut self.config.trust);
                    if i < trust.len() {
                        trust.remove(i);
                    }
                }
            }
            Kind::Certificate => {
                remove(
                    &mut self.config.certificates,
                    &mut self.config.by_id.certificates,
                    id,
                    |c| c.id,
                );
            }
            Kind::Sni => {
                remove(
                    &mut self.config.snis,
                    &mut self.config.by_id.snis,
                    id,
                    |s| s.id,
                );
            }
            Kind::Service => {
                remove(
                    &mut self.config.services,
                    &mut self.config.by_id.services,
                    id,
                    |s| s.id,
                );
            }
            Kind::Route => {
                remove(
                    &mut self.config.routes,
                    &mut self.config.by_id.routes,
                    id,
                    |r| r.id,
                );
            }
            Kind::Acl => {
                remove(
                    &mut self.config.acls,
                    &mut self.config.by_id.acls,
                    id,
                    |a| a.id,
                );
            }
            Kind::Plugin => {
                remove(
                    &mut self.config.plugins,
                    &mut self.config.by_id.plugins,
                    id,
                    |p| p.id,
                );
            }
            Kind::Consumer => self.pending_consumers().delete_consumer(id),
            Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => {
                if let Some(k) = kind.credential_kind() {
                    self.pending_consumers().delete_credential(k, id);
                }
            }
        }
    }

    fn refresh_certificate_snis(&mut self) {
        let mut by_cert: HashMap<Uuid, Vec<String>> = HashMap::new();
        for sni in self.snis.iter() {
            by_cert
                .entry(sni.certificate)
                .or_default()
                .push(sni.name.clone());
        }
        for cert in Arc::make_mut(&mut self.config.certificates) {
            cert.snis = by_cert.remove(&cert.id).unwrap_or_default();
        }
    }
}
