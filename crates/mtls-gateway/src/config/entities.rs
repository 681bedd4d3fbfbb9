//! The validated entities of a [`Config`](super::Config): every reference resolved to an id.
//!
//! Consumers, credentials and CA certificates are the core crates' own types
//! ([`mtls_consumer::Consumer`], [`mtls_consumer::Credential`], [`mtls_cert::CaCertificate`]);
//! the others are defined here.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use mtls_sni::Protocol;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use uuid::Uuid;

use super::plugins::PluginConfig;

/// A server certificate (`certificates` entity): the chain and key the gateway presents for
/// the SNIs that point at it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Certificate {
    /// The id.
    pub id: Uuid,
    /// `cert`: the chain, leaf first (checked to parse, and to match `key`).
    pub chain: Vec<CertificateDer<'static>>,
    /// `key`: the private key.
    pub key: Arc<PrivateKeyDer<'static>>,
    /// `cert_alt` / `key_alt`: an alternate chain and key (Kong: an ECDSA pair beside an RSA
    /// one), checked the same way.
    pub alt: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// The names of the SNIs that point at this certificate, as configured.
    pub snis: Vec<String>,
    /// `tags`.
    pub tags: Vec<String>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("id", &self.id)
            .field("chain", &self.chain.len())
            .field("alt", &self.alt.is_some())
            .field("snis", &self.snis)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// An SNI (`snis` entity): a server name (exact or with one wildcard) and its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sni {
    /// The id.
    pub id: Uuid,
    /// `name` as configured (validated by mtls-sni's rules).
    pub name: String,
    /// The certificate's id.
    pub certificate: Uuid,
    /// `tags`.
    pub tags: Vec<String>,
}

/// A service (`services` entity): the upstream, with its TLS settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Service {
    /// The id.
    pub id: Uuid,
    /// `name` (unique when set).
    pub name: Option<String>,
    /// `protocol` (default `http`; from `url` when given).
    pub protocol: Protocol,
    /// `host` (required; from `url` when given).
    pub host: String,
    /// `port` (default 80, or 443 for a TLS scheme in `url`).
    pub port: u16,
    /// `path` (default none).
    pub path: Option<String>,
    /// `client_certificate`: the certificate presented to the upstream (a `certificates` id);
    /// none means the gateway-wide default, if any.
    pub client_certificate: Option<Uuid>,
    /// `tls_verify`: verify the upstream's certificate; none means the gateway-wide default.
    pub tls_verify: Option<bool>,
    /// `tls_verify_depth` (0-64); none means the gateway-wide default.
    pub tls_verify_depth: Option<u8>,
    /// `ca_certificates`: trust store for the upstream's certificate (each exists).
    pub ca_certificates: Vec<Uuid>,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `tags`.
    pub tags: Vec<String>,
}

/// A route (`routes` entity).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// The id.
    pub id: Uuid,
    /// `name` (unique when set).
    pub name: Option<String>,
    /// The service's id (none for a route without a service).
    pub service: Option<Uuid>,
    /// `protocols` (default `[http, https]`).
    pub protocols: Vec<Protocol>,
    /// `hosts` (may carry one wildcard, leftmost or rightmost label).
    pub hosts: Vec<String>,
    /// `paths` (prefixes; a leading `~` marks a regex, as in Kong 3.x).
    pub paths: Vec<String>,
    /// `methods`.
    pub methods: Vec<String>,
    /// `headers`: header name to accepted values.
    pub headers: BTreeMap<String, Vec<String>>,
    /// `snis` as configured (validated by mtls-sni; wildcard SNIs are accepted whatever the
    /// router flavour, decisions.md item 8).
    pub snis: Vec<String>,
    /// `strip_path` (default true).
    pub strip_path: bool,
    /// `preserve_host` (default false).
    pub preserve_host: bool,
    /// `regex_priority` (default 0).
    pub regex_priority: i64,
    /// `tags`.
    pub tags: Vec<String>,
}

impl Route {
    /// The route as mtls-sni's SNI map takes it (ids as strings).
    pub fn sni_route(&self) -> mtls_sni::Route {
        let mut route = mtls_sni::Route::new(self.id)
            .with_snis(self.snis.iter().cloned())
            .with_protocols(self.protocols.clone());
        if let Some(service) = self.service {
            route = route.with_service(service);
        }
        route
    }
}

/// An ACL group membership (`acls` entity).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AclGroup {
    /// The id.
    pub id: Uuid,
    /// The consumer's id.
    pub consumer: Uuid,
    /// `group`.
    pub group: String,
    /// `tags`.
    pub tags: Vec<String>,
}

/// Where a plugin instance applies: none set is global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct PluginScope {
    /// The service's id, when scoped to a service.
    pub service: Option<Uuid>,
    /// The route's id, when scoped to a route.
    pub route: Option<Uuid>,
}

impl PluginScope {
    /// Global: every request.
    pub const GLOBAL: Self = Self {
        service: None,
        route: None,
    };

    /// Whether neither a service nor a route is set.
    pub fn is_global(&self) -> bool {
        self.service.is_none() && self.route.is_none()
    }

    /// The scope for mtls-sni: the route when set, else the service, else global.
    pub fn sni_scope(&self) -> mtls_sni::Scope {
        match (self.route, self.service) {
            (Some(route), _) => mtls_sni::Scope::Route(route.into()),
            (None, Some(service)) => mtls_sni::Scope::Service(service.into()),
            (None, None) => mtls_sni::Scope::Global,
        }
    }
}

/// A plugin instance (`plugins` entity) of the mutual-TLS family.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PluginInstance {
    /// The id.
    pub id: Uuid,
    /// `instance_name` (unique when set).
    pub instance_name: Option<String>,
    /// `enabled` (default true). Disabled instances are validated and kept, and do nothing.
    pub enabled: bool,
    /// Where it applies.
    pub scope: PluginScope,
    /// `protocols`, when set (none: the plugin's default, every HTTP protocol).
    pub protocols: Option<Vec<Protocol>>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `name` and `config`.
    pub config: PluginConfig,
}

impl PluginInstance {
    /// Kong's plugin name.
    pub fn name(&self) -> &'static str {
        self.config.name()
    }

    /// The instance as mtls-sni's SNI map takes it, for the two plugins that request a
    /// client certificate at the handshake (mtls-auth, tls-handshake-modifier).
    pub fn certificate_plugin(&self) -> Option<mtls_sni::CertificatePlugin> {
        let plugin = match &self.config {
            PluginConfig::MtlsAuth(c) => mtls_sni::CertificatePlugin::mtls_auth(
                self.id,
                self.scope.sni_scope(),
                c.auth.ca_certificates.clone(),
                c.send_ca_dn,
            ),
            PluginConfig::TlsHandshakeModifier(_) => {
                mtls_sni::CertificatePlugin::tls_handshake_modifier(self.id, self.scope.sni_scope())
            }
            PluginConfig::HeaderCertAuth(_)
            | PluginConfig::TlsMetadataHeaders(_)
            | PluginConfig::Acl(_) => return None,
        };
        Some(plugin.with_enabled(self.enabled))
    }
}

/// Every protocol name Kong knows, for parsing.
pub(crate) const PROTOCOLS: [Protocol; 10] = [
    Protocol::Http,
    Protocol::Https,
    Protocol::Grpc,
    Protocol::Grpcs,
    Protocol::Tcp,
    Protocol::Tls,
    Protocol::TlsPassthrough,
    Protocol::Udp,
    Protocol::Ws,
    Protocol::Wss,
];

/// Parses Kong's protocol name.
pub(crate) fn parse_protocol(name: &str) -> Option<Protocol> {
    PROTOCOLS.into_iter().find(|p| p.as_str() == name)
}
