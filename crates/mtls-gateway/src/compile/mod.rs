//! From a validated [`Config`] to a [`Snapshot`]: everything a handshake or a request needs,
//! built once per configuration.
//!
//! - [`routes`]: each route with its service and its plugins (the most specific instance of
//!   each, found through an index, not a scan per route).
//! - [`upstreams`]: each service as an [`Upstream`]: address, timeouts, and its TLS client
//!   configuration (upstream mTLS).
//! - The handshake's `ServerConfig`s, from the SNI map ([`crate::handshake`]).

mod plugins;
mod routes;
mod upstreams;

pub(crate) use routes::CompiledRoute;
pub use routes::RouteInfo;
pub use upstreams::{Timeouts, Upstream, UpstreamProtocol};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use mtls_cert::pki_types::{CertificateDer, PrivateKeyDer};
use mtls_cert::{CaCertificate, CrlSet};
use mtls_consumer::ConsumerStore;
use mtls_kong_config::Config;
use mtls_sni::SniMap;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use uuid::Uuid;

use crate::decision::Decider;
use crate::handshake::HandshakeConfigs;
use crate::revocation::RevocationChecker;
use crate::router::Router;
use crate::server_certs::ServerCertificates;
use crate::snapshot::Snapshot;

/// A consumer store the decision may look consumers up in (`Send + Sync`, shared).
pub type SharedConsumerStore = Arc<dyn ConsumerStore + Send + Sync>;

/// What compiling a configuration needs besides the configuration (kong.conf's part).
#[derive(Clone)]
pub struct CompileOptions {
    /// The crypto provider for every TLS configuration.
    pub provider: Arc<CryptoProvider>,
    /// The server certificate for names no `certificates` entity covers (Kong's
    /// `ssl_cert`).
    pub default_server_certificate: Option<Arc<CertifiedKey>>,
    /// Kong's `client_ssl_cert` / `client_ssl_cert_key`: presented to upstreams whose service
    /// has no `client_certificate`.
    pub default_client_certificate:
        Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// Whether upstream certificates are verified when a service does not say (`tls_verify`;
    /// default `false`, Kong's).
    pub default_tls_verify: bool,
    /// The ALPN protocols offered on the TLS listener (`h2`, `http/1.1`), most preferred
    /// first. Empty: none offered (HTTP/1.1).
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Validation results kept per snapshot (default 100,000 chains).
    pub validation_cache_capacity: usize,
    /// How long a validation result is kept (default 5 minutes; never past the chain's
    /// notAfter).
    pub validation_cache_ttl: Duration,
    /// OCSP and CRL fetching, with its caches. Cloned options share it, so a reload keeps
    /// the cached answers.
    pub revocation: Arc<RevocationChecker>,
    /// CRLs from files (offline deployments), consulted by every plugin before the network.
    pub crls: CrlSet,
    /// Where consumers and credentials are looked up; `None` (default): the configuration's
    /// own (its consumers and credentials, indexed in memory).
    pub consumer_store: Option<SharedConsumerStore>,
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
            .field("alpn_protocols", &self.alpn_protocols.len())
            .finish_non_exhaustive()
    }
}

impl CompileOptions {
    /// Defaults with `provider`: no default certificates, upstream verification off (Kong's
    /// default `tls_verify`), no ALPN, a cache of 100,000 chains for 5 minutes, the
    /// configuration's own consumers.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Self {
            default_server_certificate: None,
            default_client_certificate: None,
            default_tls_verify: false,
            alpn_protocols: Vec::new(),
            validation_cache_capacity: 100_000,
            validation_cache_ttl: Duration::from_secs(300),
            revocation: Arc::new(RevocationChecker::new(Arc::clone(&provider))),
            crls: CrlSet::default(),
            consumer_store: None,
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

impl Snapshot {
    /// Compiles `config` into snapshot number `version`. Nothing is shared with any other
    /// snapshot but the revocation caches: new session cache and ticket keys, new validation
    /// cache.
    pub fn compile(
        config: &Config,
        version: u64,
        options: &CompileOptions,
    ) -> Result<Snapshot, CompileError> {
        let handshake = handshake(config, options)?;
        let upstreams = upstreams::compile(config, options)?;
        let (routes, matches) = routes::compile(config, &upstreams, &options.crls)?;
        let router = Router::new(matches)?;
        let mut groups: HashMap<Uuid, Vec<String>> = HashMap::new();
        for acl in config.acls() {
            groups
                .entry(acl.consumer)
                .or_default()
                .push(acl.group.clone());
        }
        let consumers: SharedConsumerStore = match &options.consumer_store {
            Some(store) => Arc::clone(store),
            None => Arc::clone(config.consumer_store()) as SharedConsumerStore,
        };
        let decider = Decider::new(
            consumers,
            groups,
            options.validation_cache_capacity,
            options.validation_cache_ttl,
            Arc::clone(&options.revocation),
        );
        Ok(Snapshot::from_parts(
            version,
            handshake,
            router,
            routes,
            decider,
            config.trusted_ips().clone(),
        ))
    }
}

/// The SNI map, the server certificates by SNI, and the `ServerConfig`s choosing among them.
fn handshake(config: &Config, options: &CompileOptions) -> Result<HandshakeConfigs, CompileError> {
    let ca_store: HashMap<Uuid, CaCertificate> = config
        .trust_store()
        .iter()
        .map(|c| (c.id(), c.clone()))
        .collect();
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
        let fail = |reason: String| CompileError::Certificate {
            id: cert.id,
            reason,
        };
        let (chain, key) = cert.chain_and_key().map_err(fail)?;
        let key = ServerCertificates::load_key(chain, key.clone_key(), &options.provider)
            .map_err(|e| fail(e.to_string()))?;
        for sni in &cert.snis {
            certs.insert(sni, Arc::clone(&key));
        }
    }
    let alpn = options.alpn_protocols.clone();
    Ok(HandshakeConfigs::build(
        sni_map,
        &ca_store,
        Arc::new(certs),
        Arc::clone(&options.provider),
        &move |c| c.alpn_protocols.clone_from(&alpn),
    )?)
}
