//! Kong's configuration: the entities and plugin settings the gateway runs, loaded from Kong's
//! declarative format (`kong.yaml`, DB-less) or built in code, and validated whole.
//!
//! - [`load_str`], [`load_file`], [`Loader`]: Kong's declarative format (`_format_version`
//!   `"3.0"`, or `"2.1"`), YAML or JSON, nested or top-level entities, foreign keys as an id, a
//!   name (username) or `{id: ...}`.
//! - [`ConfigBuilder`]: the same validated configuration from code, with the entity specs of
//!   [`spec`].
//! - [`Config`]: the result, every reference resolved to an id, every value checked with the
//!   core crates' own rules (CA certificates by mtls-cert with Kong's messages, consumers and
//!   credentials by mtls-consumer, SNIs by mtls-sni, header settings by mtls-header). The
//!   snapshot compiler reads it without checking again.
//! - [`ConfigErrors`]: every problem at once, one per line, each with its path
//!   (`services[0].routes[1].snis[0]: wildcard must be leftmost or rightmost character`).
//! - [`Warning`]: what was left out without failing: plugins outside the mutual-TLS family
//!   (one warning naming them all) and the entity kinds this project does not use
//!   (`upstreams`, `targets`, `key_sets`, other credential types, ...).
//!
//! # Ids
//!
//! An entity without an `id` gets a deterministic UUID (v5), from its kind and natural key
//! (a service's or route's name, a consumer's username or custom_id, a CA's `cert_digest`, an
//! SNI's name, a plugin's name and scope, a credential's consumer, subject name and CA, an ACL
//! group's consumer and group), or from its path in the file when it has none. Loading the
//! same file twice, or the same entities in JSON and in YAML, nested or at the top level,
//! gives the same ids, so caches keyed by id survive a reload. Give ids to pin them whatever
//! the file's layout.
//!
//! # Our additions to Kong's schema
//!
//! - `check_eku` on mtls-auth and header-cert-auth (default `true`; `false` is Kong's
//!   behaviour: decisions.md item 7).
//! - `trusted_ips` on header-cert-auth (default null: the gateway-wide list, which Kong reads
//!   from kong.conf and which is set here with [`Loader::trusted_ips`] /
//!   [`ConfigBuilder::trusted_ips`]; empty by default, so nothing is trusted).
//! - `certificate_header_format` accepts mtls-header's formats beyond Kong's two.
//! - Wildcard SNIs on routes are accepted whatever the router flavour (decisions.md item 8).
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca_key = rcgen::KeyPair::generate()?;
//! let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
//! ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
//! let ca_pem = ca.self_signed(&ca_key)?.pem().replace('\n', "\n      ");
//!
//! let yaml = format!(r#"
//! _format_version: "3.0"
//! ca_certificates:
//!   - id: 6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10
//!     cert: |
//!       {ca_pem}
//! services:
//!   - name: billing
//!     url: https://billing.internal:8443
//!     routes:
//!       - name: billing-mtls
//!         protocols: [https]
//!         snis: ["*.billing.example.com"]
//!         plugins:
//!           - name: mtls-auth
//!             config:
//!               ca_certificates: [6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10]
//! consumers:
//!   - username: alice
//!     mtls_auth_credentials:
//!       - subject_name: alice@example.com
//! plugins:
//!   - name: rate-limiting
//!     config: {{ minute: 5 }}
//! "#);
//!
//! let (config, warnings) = mtls_gateway::config::load_str(&yaml)?;
//! let route = config.route_by_name("billing-mtls").expect("loaded");
//! assert_eq!(route.service, config.service_by_name("billing").map(|s| s.id));
//! assert_eq!(config.plugins_on_route(route.id).count(), 1);
//! assert_eq!(config.mtls_auth_credentials().len(), 1);
//! assert_eq!(warnings.len(), 1); // rate-limiting, left out
//!
//! // Every error at once, each with its path.
//! let bad = yaml.replace("*.billing", "a.*.billing").replace("username: alice", "tags: []");
//! let errors = mtls_gateway::config::load_str(&bad).unwrap_err();
//! println!("{errors}");
//! # Ok(()) }
//! ```

mod builder;
mod declarative;
mod entities;
mod error;
mod flat;
mod plugins;
mod reader;
mod refs;
mod resolve;
pub mod spec;

use std::fmt;
use std::sync::Arc;

use mtls_cert::CaCertificate;
use mtls_consumer::{Consumer, Credential, CredentialKind, InMemoryStore};
use mtls_header::TrustedIps;
use uuid::Uuid;

pub use builder::ConfigBuilder;
pub use declarative::{Loader, SourceFormat, load_file, load_str};
pub use entities::{AclGroup, Certificate, PluginInstance, PluginScope, Route, Service, Sni};
pub use error::{ConfigError, ConfigErrors, LoadError, Warning};
pub use flat::FormatVersion;
pub use plugins::{
    AclConfig, AuthSettings, HeaderCertAuthConfig, MtlsAuthConfig, PLUGIN_NAMES, PluginConfig,
    RevocationCheckMode, TlsClientCertificate, TlsHandshakeModifierConfig,
    TlsMetadataHeadersConfig,
};
pub use refs::Reference;

/// A validated configuration: every entity checked, every reference resolved to an id.
///
/// Built only by the loader ([`load_str`], [`Loader`]) and [`ConfigBuilder`]; immutable.
/// Cheap to clone apart from the entity lists (the consumer index is shared).
#[derive(Clone)]
pub struct Config {
    format_version: FormatVersion,
    ca_certificates: Vec<CaCertificate>,
    certificates: Vec<Certificate>,
    snis: Vec<Sni>,
    services: Vec<Service>,
    routes: Vec<Route>,
    consumers: Vec<Consumer>,
    mtls_auth_credentials: Vec<Credential>,
    header_cert_auth_credentials: Vec<Credential>,
    acls: Vec<AclGroup>,
    plugins: Vec<PluginInstance>,
    trusted_ips: TrustedIps,
    consumer_store: Arc<InMemoryStore>,
}

impl Config {
    /// A builder for a configuration made in code.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::new()
    }

    /// The `_format_version` it was loaded from (`3.0` for a built one).
    pub fn format_version(&self) -> FormatVersion {
        self.format_version
    }

    /// The `ca_certificates`.
    pub fn ca_certificates(&self) -> &[CaCertificate] {
        &self.ca_certificates
    }

    /// The `ca_certificates` entity with this id.
    pub fn ca_certificate(&self, id: Uuid) -> Option<&CaCertificate> {
        self.ca_certificates.iter().find(|c| c.id() == id)
    }

    /// The server `certificates`.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The certificate with this id.
    pub fn certificate(&self, id: Uuid) -> Option<&Certificate> {
        self.certificates.iter().find(|c| c.id == id)
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
        self.services.iter().find(|s| s.id == id)
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
        self.routes.iter().find(|r| r.id == id)
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

    /// The `consumers`.
    pub fn consumers(&self) -> &[Consumer] {
        &self.consumers
    }

    /// The consumers and both credential tables, validated and indexed by mtls-consumer
    /// (built once, with the configuration).
    pub fn consumer_store(&self) -> &Arc<InMemoryStore> {
        &self.consumer_store
    }

    /// The `mtls_auth_credentials` (nested and top-level).
    pub fn mtls_auth_credentials(&self) -> &[Credential] {
        &self.mtls_auth_credentials
    }

    /// The `header_cert_auth_credentials` (nested and top-level).
    pub fn header_cert_auth_credentials(&self) -> &[Credential] {
        &self.header_cert_auth_credentials
    }

    /// One credential table.
    pub fn credentials(&self, kind: CredentialKind) -> &[Credential] {
        match kind {
            CredentialKind::MtlsAuth => &self.mtls_auth_credentials,
            CredentialKind::HeaderCertAuth => &self.header_cert_auth_credentials,
        }
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
        self.plugins.iter().find(|p| p.id == id)
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
}

impl PartialEq for Config {
    /// Compares the entities (the consumer index is derived from them).
    fn eq(&self, other: &Self) -> bool {
        self.format_version == other.format_version
            && self.ca_certificates == other.ca_certificates
            && self.certificates == other.certificates
            && self.snis == other.snis
            && self.services == other.services
            && self.routes == other.routes
            && self.consumers == other.consumers
            && self.mtls_auth_credentials == other.mtls_auth_credentials
            && self.header_cert_auth_credentials == other.header_cert_auth_credentials
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
            .field("consumers", &self.consumers)
            .field("mtls_auth_credentials", &self.mtls_auth_credentials)
            .field(
                "header_cert_auth_credentials",
                &self.header_cert_auth_credentials,
            )
            .field("acls", &self.acls)
            .field("plugins", &self.plugins)
            .field("trusted_ips", &self.trusted_ips)
            .finish_non_exhaustive()
    }
}
