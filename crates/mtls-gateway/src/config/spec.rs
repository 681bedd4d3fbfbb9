//! Entities as written, before validation: what [`ConfigBuilder`](super::ConfigBuilder)
//! takes, with Kong's field names. References are still [`Reference`]s (id or name), ids may
//! be missing (they are then generated), nested entities inherit their parent.
//!
//! Every spec has a constructor with the required fields and Kong's defaults for the rest;
//! the fields are public to set the others.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::plugins::PluginConfig;
use super::refs::Reference;

/// A `ca_certificates` entity as written.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CaCertificateSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `cert`: one PEM certificate (required).
    pub cert: String,
    /// `cert_digest`: when given, must be the certificate's lowercase hex SHA-256.
    pub cert_digest: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
}

impl CaCertificateSpec {
    /// A CA certificate from its PEM.
    pub fn new(cert: impl Into<String>) -> Self {
        Self {
            cert: cert.into(),
            ..Self::default()
        }
    }

    /// Sets the id.
    #[must_use]
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }
}

/// A `certificates` entity as written: a server certificate with its key, and its SNIs.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CertificateSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `cert`: the PEM chain, leaf first (required).
    pub cert: String,
    /// `key`: the PEM private key (required).
    pub key: String,
    /// `cert_alt`: an alternate PEM chain (with `key_alt`).
    pub cert_alt: Option<String>,
    /// `key_alt`: the alternate key (with `cert_alt`).
    pub key_alt: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// Nested `snis` (their `certificate` is this one).
    pub snis: Vec<SniSpec>,
}

impl CertificateSpec {
    /// A certificate from its PEM chain and key.
    pub fn new(cert: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            cert: cert.into(),
            key: key.into(),
            ..Self::default()
        }
    }

    /// Sets the id.
    #[must_use]
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }

    /// Adds nested SNIs by name.
    #[must_use]
    pub fn with_snis<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.snis.extend(names.into_iter().map(SniSpec::new));
        self
    }
}

/// An `snis` entity as written.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SniSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `name` (required, unique).
    pub name: String,
    /// `certificate` (required at the top level; set by the parent when nested).
    pub certificate: Option<Reference>,
    /// `tags`.
    pub tags: Vec<String>,
}

impl SniSpec {
    /// An SNI by name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A `services` entity as written, with nested routes and plugins.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ServiceSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `name` (unique when set).
    pub name: Option<String>,
    /// `url`: shorthand for protocol, host, port and path (exclusive with them).
    pub url: Option<String>,
    /// `protocol` (default `http`).
    pub protocol: Option<String>,
    /// `host` (required unless `url` is given).
    pub host: Option<String>,
    /// `port` (default 80).
    pub port: Option<u16>,
    /// `path`.
    pub path: Option<String>,
    /// `client_certificate`: a `certificates` entity (by id).
    pub client_certificate: Option<Reference>,
    /// `tls_verify`.
    pub tls_verify: Option<bool>,
    /// `tls_verify_depth` (0-64).
    pub tls_verify_depth: Option<u8>,
    /// `ca_certificates`: ids of `ca_certificates` entities.
    pub ca_certificates: Vec<Uuid>,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `tags`.
    pub tags: Vec<String>,
    /// Nested `routes` (their `service` is this one).
    pub routes: Vec<RouteSpec>,
    /// Nested `plugins` (scoped to this service).
    pub plugins: Vec<PluginSpec>,
}

impl Default for ServiceSpec {
    fn default() -> Self {
        Self {
            id: None,
            name: None,
            url: None,
            protocol: None,
            host: None,
            port: None,
            path: None,
            client_certificate: None,
            tls_verify: None,
            tls_verify_depth: None,
            ca_certificates: Vec::new(),
            enabled: true,
            tags: Vec::new(),
            routes: Vec::new(),
            plugins: Vec::new(),
        }
    }
}

impl ServiceSpec {
    /// A named service with the upstream given as a URL.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// Adds a nested route.
    #[must_use]
    pub fn with_route(mut self, route: RouteSpec) -> Self {
        self.routes.push(route);
        self
    }

    /// Adds a nested plugin.
    #[must_use]
    pub fn with_plugin(mut self, plugin: PluginSpec) -> Self {
        self.plugins.push(plugin);
        self
    }
}

/// A `routes` entity as written, with nested plugins.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RouteSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `name` (unique when set).
    pub name: Option<String>,
    /// `service` (set by the parent when nested).
    pub service: Option<Reference>,
    /// `protocols` (default `[http, https]`).
    pub protocols: Option<Vec<String>>,
    /// `hosts`.
    pub hosts: Vec<String>,
    /// `paths`.
    pub paths: Vec<String>,
    /// `methods`.
    pub methods: Vec<String>,
    /// `headers`.
    pub headers: BTreeMap<String, Vec<String>>,
    /// `snis`.
    pub snis: Vec<String>,
    /// `strip_path` (default true).
    pub strip_path: bool,
    /// `preserve_host` (default false).
    pub preserve_host: bool,
    /// `regex_priority` (default 0).
    pub regex_priority: i64,
    /// `tags`.
    pub tags: Vec<String>,
    /// Nested `plugins` (scoped to this route).
    pub plugins: Vec<PluginSpec>,
}

impl Default for RouteSpec {
    fn default() -> Self {
        Self {
            id: None,
            name: None,
            service: None,
            protocols: None,
            hosts: Vec::new(),
            paths: Vec::new(),
            methods: Vec::new(),
            headers: BTreeMap::new(),
            snis: Vec::new(),
            strip_path: true,
            preserve_host: false,
            regex_priority: 0,
            tags: Vec::new(),
            plugins: Vec::new(),
        }
    }
}

impl RouteSpec {
    /// A named route with Kong's defaults (it still needs hosts, paths, methods or snis).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Sets the service reference (top-level routes).
    #[must_use]
    pub fn with_service(mut self, service: impl Into<Reference>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Sets `protocols`.
    #[must_use]
    pub fn with_protocols<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.protocols = Some(p.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `hosts`.
    #[must_use]
    pub fn with_hosts<I: IntoIterator<Item = S>, S: Into<String>>(mut self, hosts: I) -> Self {
        self.hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `paths`.
    #[must_use]
    pub fn with_paths<I: IntoIterator<Item = S>, S: Into<String>>(mut self, paths: I) -> Self {
        self.paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `snis`.
    #[must_use]
    pub fn with_snis<I: IntoIterator<Item = S>, S: Into<String>>(mut self, snis: I) -> Self {
        self.snis = snis.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a nested plugin.
    #[must_use]
    pub fn with_plugin(mut self, plugin: PluginSpec) -> Self {
        self.plugins.push(plugin);
        self
    }
}

/// A `consumers` entity as written, with nested credentials, ACL groups and plugins.
#[derive(Clone, Debug, PartialEq, Default)]
#[non_exhaustive]
pub struct ConsumerSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `username` (unique; at least one of username and custom_id).
    pub username: Option<String>,
    /// `custom_id` (unique).
    pub custom_id: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// Nested `mtls_auth_credentials`.
    pub mtls_auth_credentials: Vec<CredentialSpec>,
    /// Nested `header_cert_auth_credentials`.
    pub header_cert_auth_credentials: Vec<CredentialSpec>,
    /// Nested `acls`.
    pub acls: Vec<AclGroupSpec>,
    /// Nested `plugins` (scoped to this consumer; Kong refuses that for this family).
    pub plugins: Vec<PluginSpec>,
}

impl ConsumerSpec {
    /// A consumer with a username.
    pub fn with_username(username: impl Into<String>) -> Self {
        Self {
            username: Some(username.into()),
            ..Self::default()
        }
    }

    /// A consumer with a custom_id.
    pub fn with_custom_id(custom_id: impl Into<String>) -> Self {
        Self {
            custom_id: Some(custom_id.into()),
            ..Self::default()
        }
    }

    /// Sets the id.
    #[must_use]
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }

    /// Adds a nested mtls_auth_credential.
    #[must_use]
    pub fn with_mtls_auth_credential(mut self, credential: CredentialSpec) -> Self {
        self.mtls_auth_credentials.push(credential);
        self
    }

    /// Adds a nested header_cert_auth_credential.
    #[must_use]
    pub fn with_header_cert_auth_credential(mut self, credential: CredentialSpec) -> Self {
        self.header_cert_auth_credentials.push(credential);
        self
    }

    /// Adds nested ACL groups.
    #[must_use]
    pub fn with_acl_groups<I: IntoIterator<Item = S>, S: Into<String>>(mut self, g: I) -> Self {
        self.acls.extend(g.into_iter().map(AclGroupSpec::new));
        self
    }
}

/// An `mtls_auth_credentials` or `header_cert_auth_credentials` entity as written.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CredentialSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `consumer` (required at the top level; set by the parent when nested).
    pub consumer: Option<Reference>,
    /// `subject_name` (required).
    pub subject_name: String,
    /// `ca_certificate`: a `ca_certificates` entity (by id), or none for any CA.
    pub ca_certificate: Option<Reference>,
    /// `tags`.
    pub tags: Vec<String>,
}

impl CredentialSpec {
    /// A credential mapping `subject_name`, optionally tied to a CA.
    pub fn new(subject_name: impl Into<String>, ca_certificate: Option<Uuid>) -> Self {
        Self {
            subject_name: subject_name.into(),
            ca_certificate: ca_certificate.map(Reference::Id),
            ..Self::default()
        }
    }

    /// Sets the consumer reference (top-level credentials).
    #[must_use]
    pub fn with_consumer(mut self, consumer: impl Into<Reference>) -> Self {
        self.consumer = Some(consumer.into());
        self
    }
}

/// An `acls` entity as written.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AclGroupSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `consumer` (required at the top level; set by the parent when nested).
    pub consumer: Option<Reference>,
    /// `group` (required).
    pub group: String,
    /// `tags`.
    pub tags: Vec<String>,
}

impl AclGroupSpec {
    /// A membership of `group`.
    pub fn new(group: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            ..Self::default()
        }
    }

    /// Sets the consumer reference (top-level acls).
    #[must_use]
    pub fn with_consumer(mut self, consumer: impl Into<Reference>) -> Self {
        self.consumer = Some(consumer.into());
        self
    }
}

/// A `plugins` entity of the family, as written.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PluginSpec {
    /// `id` (generated when absent).
    pub id: Option<Uuid>,
    /// `instance_name` (unique when set).
    pub instance_name: Option<String>,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `service` (set by the parent when nested in a service).
    pub service: Option<Reference>,
    /// `route` (set by the parent when nested in a route).
    pub route: Option<Reference>,
    /// `consumer` (Kong refuses it for every plugin of the family: "value must be null").
    pub consumer: Option<Reference>,
    /// `protocols`.
    pub protocols: Option<Vec<String>>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `name` and `config`.
    pub config: PluginConfig,
}

impl PluginSpec {
    /// A global, enabled plugin with this configuration.
    pub fn new(config: PluginConfig) -> Self {
        Self {
            id: None,
            instance_name: None,
            enabled: true,
            service: None,
            route: None,
            consumer: None,
            protocols: None,
            tags: Vec::new(),
            config,
        }
    }

    /// Sets the id.
    #[must_use]
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }

    /// Scopes it to a service.
    #[must_use]
    pub fn on_service(mut self, service: impl Into<Reference>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Scopes it to a route.
    #[must_use]
    pub fn on_route(mut self, route: impl Into<Reference>) -> Self {
        self.route = Some(route.into());
        self
    }

    /// Sets `enabled`.
    #[must_use]
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }
}
