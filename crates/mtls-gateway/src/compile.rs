//! From a validated [`Config`] to a [`Snapshot`]: everything a handshake or a request needs,
//! built once per configuration.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use mtls_cert::pki_types::{CertificateDer, PrivateKeyDer};
use mtls_cert::{CaCertificate, CaSet, CrlSet};
use mtls_consumer::Plugin;
use mtls_sni::SniMap;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use uuid::Uuid;

use crate::config::{Config, PluginConfig, PluginInstance, Route};
use crate::decision::{CertificateAuth, Decider, MetadataHeaders, RoutePlugins};
use crate::handshake::HandshakeConfigs;
use crate::revocation::RevocationChecker;
use crate::router::{RouteMatch, Router};
use crate::server_certs::ServerCertificates;
use crate::snapshot::Snapshot;
use crate::upstream::UpstreamTls;

/// What compiling a configuration needs besides the configuration (kong.conf's part).
#[derive(Clone)]
pub struct CompileOptions {
    /// The crypto provider for every TLS configuration.
    pub provider: Arc<CryptoProvider>,
    /// The server certificate for names no `certificates` entity covers.
    pub default_server_certificate: Option<Arc<CertifiedKey>>,
    /// Kong's `client_ssl_cert` / `client_ssl_cert_key`: presented to upstreams whose service
    /// has no `client_certificate`.
    pub default_client_certificate:
        Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// Whether upstream certificates are verified when a service does not say (`tls_verify`).
    pub default_tls_verify: bool,
    /// Validation results kept per snapshot.
    pub validation_cache_capacity: usize,
    /// How long a validation result is kept (never past the chain's notAfter).
    pub validation_cache_ttl: Duration,
    /// OCSP and CRL fetching, with its caches. Cloned options share it, so a reload keeps
    /// the cached answers.
    pub revocation: Arc<RevocationChecker>,
    /// CRLs from files (offline deployments), consulted by every plugin before the network.
    pub crls: CrlSet,
}

impl std::fmt::Debug for CompileOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileOptions")
            .field(
                "default_server_certificate",
                &self.default_server_certificate.is_some(),
            )
            .field(
                "default_client_certificate",
                &self.default_client_certificate.is_some(),
            )
            .field("default_tls_verify", &self.default_tls_verify)
            .finish_non_exhaustive()
    }
}

impl CompileOptions {
    /// Defaults with `provider`: no default certificates, upstream verification off (Kong's
    /// default `tls_verify`), a cache of 100,000 chains for 5 minutes.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Self {
            default_server_certificate: None,
            default_client_certificate: None,
            default_tls_verify: false,
            validation_cache_capacity: 100_000,
            validation_cache_ttl: Duration::from_secs(300),
            revocation: Arc::new(RevocationChecker::new(Arc::clone(&provider))),
            crls: CrlSet::default(),
            provider,
        }
    }
}

/// Why a configuration could not be compiled (it loaded, but a part cannot be built).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The SNI map refused the routes or plugins.
    #[error("SNI map: {0}")]
    SniMap(String),
    /// A TLS configuration could not be built.
    #[error(transparent)]
    Tls(#[from] crate::TlsError),
    /// A server certificate could not be used.
    #[error("certificates[{id}]: {reason}")]
    Certificate {
        /// The certificate's id.
        id: Uuid,
        /// Why.
        reason: String,
    },
    /// A plugin's settings could not be compiled.
    #[error("plugins[{id}] ({name}): {reason}")]
    Plugin {
        /// The plugin's id.
        id: Uuid,
        /// The plugin's name.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The router refused a route (an invalid regex).
    #[error(transparent)]
    Router(#[from] crate::router::RouterError),
    /// A service's upstream TLS could not be built.
    #[error("services[{id}]: {reason}")]
    Service {
        /// The service's id.
        id: Uuid,
        /// Why.
        reason: String,
    },
}

/// The plugins that apply to `route`: for each plugin name the most specific enabled
/// instance (route, then service, then global), as Kong picks them, in Kong's priority order.
pub fn effective_plugins<'c>(config: &'c Config, route: &Route) -> Vec<&'c PluginInstance> {
    let mut chosen: HashMap<&'static str, (u8, &'c PluginInstance)> = HashMap::new();
    for plugin in config.plugins().iter().filter(|p| p.enabled) {
        let specificity = match (plugin.scope.route, plugin.scope.service) {
            (Some(r), _) if r == route.id => 2,
            (Some(_), _) => continue,
            (None, Some(s)) if Some(s) == route.service => 1,
            (None, Some(_)) => continue,
            (None, None) => 0,
        };
        let entry = chosen.entry(plugin.name()).or_insert((specificity, plugin));
        if specificity > entry.0 {
            *entry = (specificity, plugin);
        }
    }
    let mut plugins: Vec<&PluginInstance> = chosen.into_values().map(|(_, p)| p).collect();
    plugins.sort_by_key(|p| std::cmp::Reverse(p.config.priority()));
    plugins
}

/// The CA sets of the plugins' `ca_certificates` lists, each built (and its certificates'
/// signatures checked) once and shared by every route whose plugin names the same list.
struct CaSets<'a> {
    store: &'a [CaCertificate],
    built: RefCell<HashMap<Vec<Uuid>, CaSet>>,
}

impl<'a> CaSets<'a> {
    fn new(store: &'a [CaCertificate]) -> Self {
        Self {
            store,
            built: RefCell::new(HashMap::new()),
        }
    }

    fn get(&self, ids: &[Uuid]) -> Result<CaSet, mtls_cert::Error> {
        if let Some(set) = self.built.borrow().get(ids) {
            return Ok(set.clone());
        }
        let set = CaSet::from_ids(self.store, ids)?;
        self.built.borrow_mut().insert(ids.to_vec(), set.clone());
        Ok(set)
    }
}

fn compile_route(
    config: &Config,
    route: &Route,
    cas: &CaSets<'_>,
    crls: &CrlSet,
) -> Result<RoutePlugins, CompileError> {
    let mut plugins = RoutePlugins::default();
    for instance in effective_plugins(config, route) {
        let fail = |reason: String| CompileError::Plugin {
            id: instance.id,
            name: instance.name(),
            reason,
        };
        let auth = |settings: &crate::config::AuthSettings, plugin: Plugin| {
            Ok::<_, CompileError>(CertificateAuth {
                cas: cas
                    .get(&settings.ca_certificates)
                    .map_err(|e| fail(e.to_string()))?,
                validation: settings.validation_options(),
                matching: settings.match_settings(plugin),
                revocation: settings.revocation_policy(),
                crls: crls.clone(),
            })
        };
        match &instance.config {
            PluginConfig::MtlsAuth(c) => plugins.mtls_auth = Some(auth(&c.auth, Plugin::MtlsAuth)?),
            PluginConfig::HeaderCertAuth(c) => {
                let header = c
                    .header_cert_auth(config.trusted_ips())
                    .map_err(|e| fail(e.to_string()))?;
                plugins.header_cert_auth = Some((header, auth(&c.auth, Plugin::HeaderCertAuth)?));
            }
            PluginConfig::TlsMetadataHeaders(c) => {
                plugins.metadata_headers = Some(MetadataHeaders {
                    inject: c.inject_client_cert_details,
                    cert: c.client_cert_header_name.clone(),
                    serial: c.client_serial_header_name.clone(),
                    issuer_dn: c.client_cert_issuer_dn_header_name.clone(),
                    subject_dn: c.client_cert_subject_dn_header_name.clone(),
                    fingerprint: c.client_cert_fingerprint_header_name.clone(),
                });
            }
            PluginConfig::Acl(c) => plugins.acl = Some(c.acl().map_err(|e| fail(e.to_string()))?),
            // Requests the certificate at the handshake (the SNI map); nothing per request.
            PluginConfig::TlsHandshakeModifier(_) => {}
        }
    }
    Ok(plugins)
}

impl Snapshot {
    /// Compiles `config` into snapshot number `version`. Nothing is shared with any other
    /// snapshot: new session cache and ticket keys, new validation cache.
    pub fn compile(
        config: &Config,
        version: u64,
        options: &CompileOptions,
    ) -> Result<Snapshot, CompileError> {
        let cas = config.ca_certificates();
        let ca_store: HashMap<Uuid, CaCertificate> =
            cas.iter().map(|c| (c.id(), c.clone())).collect();

        let (sni_routes, sni_plugins) = config.sni_map_input();
        let sni_map = Arc::new(
            SniMap::build(&sni_routes, &sni_plugins)
                .map_err(|e| CompileError::SniMap(e.to_string()))?,
        );

        let mut certs = ServerCertificates::empty();
        if let Some(default) = &options.default_server_certificate {
            certs.set_default(Arc::clone(default));
        }
        for cert in config.certificates() {
            let key = ServerCertificates::load_key(
                cert.chain.clone(),
                cert.key.clone_key(),
                &options.provider,
            )
            .map_err(|e| CompileError::Certificate {
                id: cert.id,
                reason: e.to_string(),
            })?;
            for sni in &cert.snis {
                certs.insert(sni, Arc::clone(&key));
            }
        }
        let handshake = HandshakeConfigs::build(
            sni_map,
            &ca_store,
            Arc::new(certs),
            Arc::clone(&options.provider),
            &|_| {},
        )?;

        let mut routes = HashMap::new();
        let ca_sets = CaSets::new(cas);
        for route in config.routes() {
            let plugins = Arc::new(compile_route(config, route, &ca_sets, &options.crls)?);
            if let Some(name) = &route.name {
                routes.insert(name.clone(), Arc::clone(&plugins));
            }
            routes.insert(route.id.to_string(), plugins);
        }

        let mut groups: HashMap<Uuid, Vec<String>> = HashMap::new();
        for acl in config.acls() {
            groups
                .entry(acl.consumer)
                .or_default()
                .push(acl.group.clone());
        }
        let decider = Decider::new(
            Arc::clone(config.consumer_store()),
            groups,
            options.validation_cache_capacity,
            options.validation_cache_ttl,
            Arc::clone(&options.revocation),
        );

        let mut upstreams = HashMap::new();
        for service in config.services() {
            let client_certificate = match service.client_certificate {
                Some(id) => config
                    .certificate(id)
                    .map(|c| (c.chain.clone(), Arc::clone(&c.key))),
                None => options.default_client_certificate.clone(),
            };
            let fail = |reason: String| CompileError::Service {
                id: service.id,
                reason,
            };
            let tls = UpstreamTls {
                client_certificate,
                verify: service.tls_verify.unwrap_or(options.default_tls_verify),
                verify_depth: service.tls_verify_depth,
                trust: CaSet::from_ids(cas, &service.ca_certificates)
                    .map_err(|e| fail(e.to_string()))?,
            };
            let client = tls
                .client_config(Arc::clone(&options.provider))
                .map_err(|e| fail(e.to_string()))?;
            if let Some(name) = &service.name {
                upstreams.insert(name.clone(), Arc::clone(&client));
            }
            upstreams.insert(service.id.to_string(), client);
        }

        let router = Router::new(
            config
                .routes()
                .iter()
                .map(|r| RouteMatch {
                    id: Some(r.id),
                    hosts: r.hosts.clone(),
                    paths: r.paths.clone(),
                    methods: r.methods.clone(),
                    headers: r.headers.clone(),
                    snis: r.snis.clone(),
                    protocols: r.protocols.clone(),
                    regex_priority: r.regex_priority,
                    ..RouteMatch::default()
                })
                .collect(),
        )?;
        Ok(Snapshot::new(version, handshake, routes, decider, upstreams).with_router(router))
    }
}
