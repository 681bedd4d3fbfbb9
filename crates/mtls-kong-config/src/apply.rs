//! Changing a validated [`Config`] entity by entity ([`Config::apply`]): what an Admin API
//! write or a database change notification does, without reloading every record. Only the
//! lists of the kinds a change touches are copied; the rules across entities (references,
//! uniqueness, the consumer store's) are checked again for what changed.

use std::collections::HashMap;
use std::sync::Arc;

use mtls_consumer::{Consumer, Credential, CredentialKind, InMemoryStoreBuilder};
use uuid::Uuid;

use crate::config::{Config, positions};
use crate::entities::{AnyEntity, Kind};
use crate::error::{ConfigErrors, Errors, index, join};

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

    /// Whether an entity of `kind` has `id`, counting the consumers being changed.
    fn has(&self, kind: Kind, id: Uuid) -> bool {
        match (&self.pending, kind) {
            (Some(p), Kind::Consumer) => p.consumers.iter().any(|c| c.id == id),
            (Some(p), Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential) => kind
                .credential_kind()
                .is_some_and(|k| p.credentials(k).iter().any(|c| c.id == id)),
            _ => self.config.contains(kind, id),
        }
    }

    fn check_put(&self, kind: Kind, id: Uuid, path: &str, errors: &mut Errors) {
        if !self.has(kind, id) {
            return; // deleted by a later change
        }
        let missing = |errors: &mut Errors, field: &str, target: Kind, target_id: Uuid| {
            if !self.has(target, target_id) {
                errors.push(
                    join(path, field),
                    format!("no {} with id {target_id}", target.schema().singular),
                );
            }
        };
        match kind {
            Kind::Service => {
                let Some(s) = self.service(id) else { return };
                if let Some(c) = s.client_certificate {
                    missing(errors, "client_certificate", Kind::Certificate, c);
                }
                for (i, ca) in s.ca_certificates.iter().enumerate() {
                    missing(
                        errors,
                        &index("ca_certificates", i),
                        Kind::CaCertificate,
                        *ca,
                    );
                }
                if let Some(name) = &s.name {
                    let same = |o: &crate::Service| o.id != id && o.name.as_ref() == Some(name);
                    if self.services.iter().any(same) {
                        errors.push(join(path, "name"), unique("name", name));
                    }
                }
            }
            Kind::Route => {
                let Some(r) = self.route(id) else { return };
                if let Some(s) = r.service {
                    missing(errors, "service", Kind::Service, s);
                }
                if let Some(name) = &r.name {
                    let same = |o: &crate::Route| o.id != id && o.name.as_ref() == Some(name);
                    if self.routes.iter().any(same) {
                        errors.push(join(path, "name"), unique("name", name));
                    }
                }
            }
            Kind::Sni => self.check_sni(id, path, errors),
            Kind::CaCertificate => {
                let Some(ca) = self.ca_certificate(id) else {
                    return;
                };
                let same = |o: &crate::CaCertificate| o.id != id && o.cert_digest == ca.cert_digest;
                if self.ca_certificates.iter().any(same) {
                    errors.push(
                        join(path, "cert_digest"),
                        unique("cert_digest", &ca.cert_digest),
                    );
                }
            }
            Kind::Acl => self.check_acl(id, path, errors),
            Kind::Plugin => self.check_plugin(id, path, errors),
            Kind::Certificate
            | Kind::Consumer
            | Kind::MtlsAuthCredential
            | Kind::HeaderCertAuthCredential => {}
        }
    }

    fn check_sni(&self, id: Uuid, path: &str, errors: &mut Errors) {
        let Some(sni) = self.by_id.snis.get(&id).and_then(|&i| self.snis.get(i)) else {
            return;
        };
        if !self.has(Kind::Certificate, sni.certificate) {
            errors.push(
                join(path, "certificate"),
                format!("no certificate with id {}", sni.certificate),
            );
        }
        let same = |o: &crate::Sni| o.id != id && o.name.eq_ignore_ascii_case(&sni.name);
        if self.snis.iter().any(same) {
            errors.push(join(path, "name"), unique("name", &sni.name));
        }
    }

    fn check_acl(&self, id: Uuid, path: &str, errors: &mut Errors) {
        let Some(acl) = self.by_id.acls.get(&id).and_then(|&i| self.acls.get(i)) else {
            return;
        };
        if !self.has(Kind::Consumer, acl.consumer) {
            errors.push(
                join(path, "consumer"),
                format!("no consumer with id {}", acl.consumer),
            );
        }
        let same =
            |o: &crate::AclGroup| o.id != id && o.consumer == acl.consumer && o.group == acl.group;
        if self.acls.iter().any(same) {
            errors.push(
                join(path, "group"),
                format!("the consumer is already in group {:?}", acl.group),
            );
        }
    }

    fn check_plugin(&self, id: Uuid, path: &str, errors: &mut Errors) {
        let Some(p) = self.plugin(id) else { return };
        if let Some(s) = p.scope.service
            && !self.has(Kind::Service, s)
        {
            errors.push(join(path, "service"), format!("no service with id {s}"));
        }
        if let Some(r) = p.scope.route
            && !self.has(Kind::Route, r)
        {
            errors.push(join(path, "route"), format!("no route with id {r}"));
        }
        if let Some(auth) = p.config.auth() {
            for (i, ca) in auth.ca_certificates.iter().enumerate() {
                if !self.has(Kind::CaCertificate, *ca) {
                    errors.push(
                        index(&join(path, "config.ca_certificates"), i),
                        format!("no ca_certificate with id {ca}"),
                    );
                }
            }
        }
        if self
            .plugins
            .iter()
            .any(|o| o.id != id && o.name() == p.name() && o.scope == p.scope)
        {
            errors.push(
                path,
                format!("{} is already configured with the same scope", p.name()),
            );
        }
        if let Some(name) = &p.instance_name
            && self
                .plugins
                .iter()
                .any(|o| o.id != id && o.instance_name.as_ref() == Some(name))
        {
            errors.push(join(path, "instance_name"), unique("instance_name", name));
        }
    }

    /// Nothing may refer to a deleted entity (its dependents are the caller's to delete).
    fn check_deleted(&self, kind: Kind, id: Uuid, errors: &mut Errors) {
        let by = |child: Kind| {
            format!(
                "an existing '{}' entity references this '{}' entity",
                child.table(),
                kind.table()
            )
        };
        let referenced = match kind {
            Kind::Service => {
                if self.routes.iter().any(|r| r.service == Some(id)) {
                    Some(Kind::Route)
                } else if self.plugins.iter().any(|p| p.scope.service == Some(id)) {
                    Some(Kind::Plugin)
                } else {
                    None
                }
            }
            Kind::Route => self
                .plugins
                .iter()
                .any(|p| p.scope.route == Some(id))
                .then_some(Kind::Plugin),
            Kind::Certificate => {
                if self.snis.iter().any(|s| s.certificate == id) {
                    Some(Kind::Sni)
                } else if self
                    .services
                    .iter()
                    .any(|s| s.client_certificate == Some(id))
                {
                    Some(Kind::Service)
                } else {
                    None
                }
            }
            Kind::CaCertificate => {
                if self
                    .services
                    .iter()
                    .any(|s| s.ca_certificates.contains(&id))
                {
                    Some(Kind::Service)
                } else if self.plugins.iter().any(|p| {
                    p.config
                        .auth()
                        .is_some_and(|a| a.ca_certificates.contains(&id))
                }) {
                    Some(Kind::Plugin)
                } else {
                    None
                }
            }
            Kind::Consumer => self
                .acls
                .iter()
                .any(|a| a.consumer == id)
                .then_some(Kind::Acl),
            _ => None,
        };
        if let Some(child) = referenced {
            errors.push("", by(child));
        }
    }
}

/// Kong's unique violation wording, for a field.
fn unique(field: &str, value: &str) -> String {
    format!("UNIQUE violation detected on '{{{field}=\"{value}\"}}'")
}

/// Consumers and credentials being changed, before the store is rebuilt.
#[derive(Clone, Debug, Default)]
pub(crate) struct PendingConsumers {
    consumers: Vec<Consumer>,
    mtls_auth: Vec<Credential>,
    header_cert_auth: Vec<Credential>,
}

impl PendingConsumers {
    fn credentials(&self, kind: CredentialKind) -> &Vec<Credential> {
        match kind {
            CredentialKind::MtlsAuth => &self.mtls_auth,
            _ => &self.header_cert_auth,
        }
    }

    fn credentials_mut(&mut self, kind: CredentialKind) -> &mut Vec<Credential> {
        match kind {
            CredentialKind::MtlsAuth => &mut self.mtls_auth,
            _ => &mut self.header_cert_auth,
        }
    }

    fn put_consumer(&mut self, consumer: Consumer) {
        match self.consumers.iter_mut().find(|c| c.id == consumer.id) {
            Some(slot) => *slot = consumer,
            None => self.consumers.push(consumer),
        }
    }

    fn delete_consumer(&mut self, id: Uuid) {
        self.consumers.retain(|c| c.id != id);
    }

    fn put_credential(&mut self, kind: CredentialKind, credential: Credential) {
        let list = self.credentials_mut(kind);
        match list.iter_mut().find(|c| c.id == credential.id) {
            Some(slot) => *slot = credential,
            None => list.push(credential),
        }
    }

    fn delete_credential(&mut self, kind: CredentialKind, id: Uuid) {
        self.credentials_mut(kind).retain(|c| c.id != id);
    }
}

impl PendingConsumers {
    fn of(store: &mtls_consumer::InMemoryStore) -> Self {
        Self {
            consumers: store.consumers().map(|c| Consumer::clone(c)).collect(),
            mtls_auth: store
                .credentials(CredentialKind::MtlsAuth)
                .cloned()
                .collect(),
            header_cert_auth: store
                .credentials(CredentialKind::HeaderCertAuth)
                .cloned()
                .collect(),
        }
    }
}

impl Draft {
    /// The consumers and credentials as editable lists (copied from the store once per
    /// [`Config::apply`]).
    fn pending_consumers(&mut self) -> &mut PendingConsumers {
        let store = Arc::clone(&self.config.consumer_store);
        self.pending
            .get_or_insert_with(|| PendingConsumers::of(&store))
    }

    fn rebuild_consumer_store(&mut self, touched: &Touched, errors: &mut Errors) {
        let pending = match self.pending.take() {
            Some(p) => p,
            None => PendingConsumers::of(&self.config.consumer_store),
        };
        let built = InMemoryStoreBuilder::default()
            .ca_certificates(self.ca_certificates.iter().map(|c| c.id))
            .consumers(pending.consumers)
            .mtls_auth_credentials(pending.mtls_auth)
            .header_cert_auth_credentials(pending.header_cert_auth)
            .build();
        match built {
            Ok(store) => self.consumer_store = Arc::new(store),
            Err(e) => {
                let mut paths = crate::assemble::Paths::new();
                for (kind, id, path) in &touched.put {
                    let key = match kind {
                        Kind::Consumer => None,
                        k => match k.credential_kind() {
                            Some(c) => Some(c),
                            None => continue,
                        },
                    };
                    paths.insert((key, *id), path.clone());
                }
                for error in e.errors() {
                    crate::assemble::report(error, &paths, errors);
                }
                if errors.is_empty() {
                    errors.push("", "the consumer store could not be built");
                }
            }
        }
    }
}
