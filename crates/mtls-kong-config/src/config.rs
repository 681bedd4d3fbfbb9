//! [`Config`]: a validated configuration, every entity checked and every reference resolved,
//! immutable. What the gateway compiles, what the Admin API serves, what `db export` writes.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use mtls_consumer::{Consumer, Credential, CredentialKind, InMemoryStore};
use mtls_header::TrustedIps;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::declarative::FormatVersion;
use crate::entities::{
    AclGroup, AnyEntity, CaCertificate, Certificate, Kind, PluginInstance, Route, Service, Sni,
};

/// Every entity of a configuration, with the path each was written at.
#[derive(Debug, Default)]
pub(crate) struct Entities {
    pub(crate) ca_certificates: Vec<(CaCertificate, String)>,
    pub(crate) certificates: Vec<(Certificate, String)>,
    pub(crate) snis: Vec<(Sni, String)>,
    pub(crate) services: Vec<(Service, String)>,
    pub(crate) routes: Vec<(Route, String)>,
    pub(crate) consumers: Vec<(Consumer, String)>,
    pub(crate) mtls_auth_credentials: Vec<(Credential, String)>,
    pub(crate) header_cert_auth_credentials: Vec<(Credential, String)>,
    pub(crate) acls: Vec<(AclGroup, String)>,
    pub(crate) plugins: Vec<(PluginInstance, String)>,
}

fn strip<T>(list: Vec<(T, String)>) -> Vec<T> {
    list.into_iter().map(|(e, _)| e).collect()
}

pub(crate) fn positions<T>(list: &[T], id: impl Fn(&T) -> Uuid) -> Arc<HashMap<Uuid, usize>> {
    Arc::new(list.iter().enumerate().map(|(i, e)| (id(e), i)).collect())
}

/// A validated configuration: every entity checked, every reference resolved to an id.
///
/// Built by the declarative loader ([`crate::Loader`]) or from stored entities
/// ([`Config::from_entities`]); immutable. Consumers and credentials live in mtls-consumer's
/// indexed store ([`Config::consumer_store`]), shared by clones.
///
/// Every kind's list is shared between a configuration and the ones derived from it with
/// [`Config::apply`]: a clone costs a few reference counts, and a change copies only the
/// lists of the kinds it touches.
#[derive(Clone)]
pub struct Config {
    pub(crate) format_version: FormatVersion,
    pub(crate) ca_certificates: Arc<Vec<CaCertificate>>,
    pub(crate) trust: Arc<Vec<mtls_cert::CaCertificate>>,
    pub(crate) certificates: Arc<Vec<Certificate>>,
    pub(crate) snis: Arc<Vec<Sni>>,
    pub(crate) services: Arc<Vec<Service>>,
    pub(crate) routes: Arc<Vec<Route>>,
    pub(crate) acls: Arc<Vec<AclGroup>>,
    pub(crate) plugins: Arc<Vec<PluginInstance>>,
    pub(crate) trusted_ips: TrustedIps,
    pub(crate) consumer_store: Arc<InMemoryStore>,
    pub(crate) by_id: Indexes,
}

/// Positions by id, one map per kind held in a list (shared like the lists).
#[derive(Clone, Debug, Default)]
pub(crate) struct Indexes {
    pub(crate) ca_certificates: Arc<HashMap<Uuid, usize>>,
    pub(crate) certificates: Arc<HashMap<Uuid, usize>>,
    pub(crate) snis: Arc<HashMap<Uuid, usize>>,
    pub(crate) services: Arc<HashMap<Uuid, usize>>,
    pub(crate) routes: Arc<HashMap<Uuid, usize>>,
    pub(crate) acls: Arc<HashMap<Uuid, usize>>,
    pub(crate) plugins: Arc<HashMap<Uuid, usize>>,
}

impl Config {
    pub(crate) fn from_parts(
        entities: Entities,
        format_version: FormatVersion,
        trusted_ips: TrustedIps,
        consumer_store: Arc<InMemoryStore>,
    ) -> Result<Self, (String, String)> {
        let mut trust = Vec::with_capacity(entities.ca_certificates.len());
        for (ca, path) in &entities.ca_certificates {
            let parsed = ca
                .parse()
                .map_err(|e| (crate::error::join(path, "cert"), e.to_string()))?;
            trust.push(parsed);
        }
        let ca_certificates = strip(entities.ca_certificates);
        let certificates = strip(entities.certificates);
        let snis = strip(entities.snis);
        let services = strip(entities.services);
        let routes = strip(entities.routes);
        let acls = strip(entities.acls);
        let plugins = strip(entities.plugins);
        let by_id = Indexes {
            ca_certificates: positions(&ca_certificates, |c| c.id),
            certificates: positions(&certificates, |c| c.id),
            snis: positions(&snis, |s| s.id),
            services: positions(&services, |s| s.id),
            routes: positions(&routes, |r| r.id),
            acls: positions(&acls, |a| a.id),
            plugins: positions(&plugins, |p| p.id),
        };
        Ok(Self {
            format_version,
            ca_certificates: Arc::new(ca_certificates),
            trust: Arc::new(trust),
            certificates: Arc::new(certificates),
            snis: Arc::new(snis),
            services: Arc::new(services),
            routes: Arc::new(routes),
            acls: Arc::new(acls),
            plugins: Arc::new(plugins),
            trusted_ips,
            consumer_store,
            by_id,
        })
    }

    /// The `_format_version` it was loaded from (`3.0` for one built from stored entities).
    pub fn format_version(&self) -> FormatVersion {
        self.format_version
    }

    /// The `ca_certificates`.
    pub fn ca_certificates(&self) -> &[CaCertificate] {
        &self.ca_certificates
    }

    /// The `ca_certificates` entity with this id.
    pub fn ca_certificate(&self, id: Uuid) -> Option<&CaCertificate> {
        self.by_id
            .ca_certificates
            .get(&id)
            .and_then(|&i| self.ca_certificates.get(i))
    }

    /// The CA certificates as mtls-cert holds them (same order as
    /// [`Config::ca_certificates`]): what trust stores are built from.
    pub fn trust_store(&self) -> &[mtls_cert::CaCertificate] {
        &self.trust
    }

    /// The `certificates`.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The certificate with this id.
    pub fn certificate(&self, id: Uuid) -> Option<&Certificate> {
        self.by_id
            .certificates
            .get(&id)
            .and_then(|&i| self.certificates.get(i))
    }

    /// The `snis` (nested and top-level), each with its certificate's id.
    pub fn snis(&self) -> &[Sni] {
        &self.snis
    }

    /// The `services`.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The service with this id.
    pub fn service(&self, id: Uuid) -> Option<&Service> {
        self.by_id
            .services
            .get(&id)
            .and_then(|&i| self.services.get(i))
    }

    /// The service with this name.
    pub fn service_by_name(&self, name: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.name.as_deref() == Some(name))
    }

    /// The `routes` (nested and top-level).
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route with this id.
    pub fn route(&self, id: Uuid) -> Option<&Route> {
        self.by_id.routes.get(&id).and_then(|&i| self.routes.get(i))
    }

    /// The route with this name.
    pub fn route_by_name(&self, name: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.name.as_deref() == Some(name))
    }

    /// The routes of a service.
    pub fn routes_of_service(&self, service: Uuid) -> impl Iterator<Item = &Route> {
        self.routes
            .iter()
            .filter(move |r| r.service == Some(service))
    }

    /// The `consumers`, in configuration order.
    pub fn consumers(&self) -> impl ExactSizeIterator<Item = &Arc<Consumer>> {
        self.consumer_store.consumers()
    }

    /// The consumers and both credential tables, validated and indexed by mtls-consumer
    /// (built once, with the configuration).
    pub fn consumer_store(&self) -> &Arc<InMemoryStore> {
        &self.consumer_store
    }

    /// The `mtls_auth_credentials` (nested and top-level).
    pub fn mtls_auth_credentials(&self) -> impl ExactSizeIterator<Item = &Credential> {
        self.consumer_store.credentials(CredentialKind::MtlsAuth)
    }

    /// The `header_cert_auth_credentials` (nested and top-level).
    pub fn header_cert_auth_credentials(&self) -> impl ExactSizeIterator<Item = &Credential> {
        self.consumer_store
            .credentials(CredentialKind::HeaderCertAuth)
    }

    /// One credential table.
    pub fn credentials(&self, kind: CredentialKind) -> impl ExactSizeIterator<Item = &Credential> {
        self.consumer_store.credentials(kind)
    }

    /// The `acls` (group memberships).
    pub fn acls(&self) -> &[AclGroup] {
        &self.acls
    }

    /// The ACL groups of a consumer, in configuration order.
    pub fn acl_groups_of(&self, consumer: Uuid) -> impl Iterator<Item = &str> {
        self.acls
            .iter()
            .filter(move |a| a.consumer == consumer)
            .map(|a| a.group.as_str())
    }

    /// The plugin instances of the family, in configuration order (disabled ones included).
    pub fn plugins(&self) -> &[PluginInstance] {
        &self.plugins
    }

    /// The plugin instance with this id.
    pub fn plugin(&self, id: Uuid) -> Option<&PluginInstance> {
        self.by_id
            .plugins
            .get(&id)
            .and_then(|&i| self.plugins.get(i))
    }

    /// The global plugin instances.
    pub fn global_plugins(&self) -> impl Iterator<Item = &PluginInstance> {
        self.plugins.iter().filter(|p| p.scope.is_global())
    }

    /// The instances scoped to this service and no route.
    pub fn plugins_on_service(&self, service: Uuid) -> impl Iterator<Item = &PluginInstance> {
        self.plugins
            .iter()
            .filter(move |p| p.scope.service == Some(service) && p.scope.route.is_none())
    }

    /// The instances scoped to this route (with or without a service).
    pub fn plugins_on_route(&self, route: Uuid) -> impl Iterator<Item = &PluginInstance> {
        self.plugins
            .iter()
            .filter(move |p| p.scope.route == Some(route))
    }

    /// The gateway-wide `trusted_ips` (Kong's kong.conf setting): the peers allowed to send a
    /// certificate header to a header-cert-auth instance without its own list. Empty by
    /// default: nothing is trusted.
    pub fn trusted_ips(&self) -> &TrustedIps {
        &self.trusted_ips
    }

    /// The input of mtls-sni's [`SniMap::build`](mtls_sni::SniMap::build): every route, and
    /// every mtls-auth and tls-handshake-modifier instance.
    pub fn sni_map_input(&self) -> (Vec<mtls_sni::Route>, Vec<mtls_sni::CertificatePlugin>) {
        (
            self.routes.iter().map(Route::sni_route).collect(),
            self.plugins
                .iter()
                .filter_map(PluginInstance::certificate_plugin)
                .collect(),
        )
    }

    /// Every entity, kind by kind in [`Kind::ALL`] order (snis after their certificates).
    pub fn entities(&self) -> impl Iterator<Item = AnyEntity> + '_ {
        let cas = self
            .ca_certificates
            .iter()
            .cloned()
            .map(AnyEntity::CaCertificate);
        let certs = self
            .certificates
            .iter()
            .cloned()
            .map(AnyEntity::Certificate);
        let snis = self.snis.iter().cloned().map(AnyEntity::Sni);
        let services = self.services.iter().cloned().map(AnyEntity::Service);
        let routes = self.routes.iter().cloned().map(AnyEntity::Route);
        let consumers = self
            .consumers()
            .map(|c| AnyEntity::Consumer(Consumer::clone(c)));
        let mtls = self
            .mtls_auth_credentials()
            .cloned()
            .map(|c| AnyEntity::Credential(CredentialKind::MtlsAuth, c));
        let header = self
            .header_cert_auth_credentials()
            .cloned()
            .map(|c| AnyEntity::Credential(CredentialKind::HeaderCertAuth, c));
        let acls = self.acls.iter().cloned().map(AnyEntity::Acl);
        let plugins = self.plugins.iter().cloned().map(AnyEntity::Plugin);
        cas.chain(certs)
            .chain(snis)
            .chain(services)
            .chain(routes)
            .chain(consumers)
            .chain(mtls)
            .chain(header)
            .chain(acls)
            .chain(plugins)
    }

    /// Every entity as a flat record for [`crate::Loader::load_records`], with the path
    /// `table[id]` (what a store or the Admin API re-validates a change against).
    pub fn records(&self) -> impl Iterator<Item = crate::Record> + '_ {
        self.entities().map(|entity| crate::Record {
            kind: entity.kind(),
            path: format!("{}[{}]", entity.kind().table(), entity.id()),
            value: entity.to_json(),
        })
    }

    /// The configuration as a declarative document (`_format_version: "3.0"`, every entity at
    /// the top level with its id): loading it gives this configuration again.
    pub fn to_document(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("_format_version".into(), Value::String("3.0".into()));
        for kind in Kind::ALL {
            doc.insert(kind.table().into(), Value::Array(Vec::new()));
        }
        for entity in self.entities() {
            let mut json = entity.to_json();
            // A certificate's SNIs are their own entities in the document.
            if let (AnyEntity::Certificate(_), Value::Object(map)) = (&entity, &mut json) {
                map.remove("snis");
            }
            if let Some(Value::Array(list)) = doc.get_mut(entity.kind().table()) {
                list.push(json);
            }
        }
        doc.retain(|_, v| !matches!(v, Value::Array(a) if a.is_empty()));
        Value::Object(doc)
    }
}

impl PartialEq for Config {
    /// Compares the entities (the indexes are derived from them).
    fn eq(&self, other: &Self) -> bool {
        self.format_version == other.format_version
            && self.ca_certificates == other.ca_certificates
            && self.certificates == other.certificates
            && self.snis == other.snis
            && self.services == other.services
            && self.routes == other.routes
            && self.consumers().eq(other.consumers())
            && self
                .mtls_auth_credentials()
                .eq(other.mtls_auth_credentials())
            && self
                .header_cert_auth_credentials()
                .eq(other.header_cert_auth_credentials())
            && self.acls == other.acls
            && self.plugins == other.plugins
            && self.trusted_ips == other.trusted_ips
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("format_version", &self.format_version)
            .field("ca_certificates", &self.ca_certificates.len())
            .field("certificates", &self.certificates)
            .field("snis", &self.snis)
            .field("services", &self.services)
            .field("routes", &self.routes)
            .field("consumers", &self.consumer_store.len())
            .field("acls", &self.acls)
            .field("plugins", &self.plugins)
            .field("trusted_ips", &self.trusted_ips)
            .finish_non_exhaustive()
    }
}
