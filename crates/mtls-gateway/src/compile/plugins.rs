//! Which plugin instances apply to a route (for each plugin name the most specific enabled
//! instance: route, then service, then global, as Kong picks them), through an index built
//! once, and their compiled settings.

use std::cell::RefCell;
use std::collections::HashMap;

use mtls_cert::{CaCertificate, CaSet, CrlSet};
use mtls_consumer::Plugin;
use mtls_kong_config::{AuthSettings, Config, PluginConfig, PluginInstance, Route};
use uuid::Uuid;

use super::CompileError;
use crate::decision::{CertificateAuth, MetadataHeaders, RoutePlugins};
use crate::revocation::{FetchSettings, Proxy, RevocationPolicy};

/// The enabled plugin instances by scope.
pub(super) struct PluginIndex<'c> {
    global: Vec<&'c PluginInstance>,
    by_service: HashMap<Uuid, Vec<&'c PluginInstance>>,
    by_route: HashMap<Uuid, Vec<&'c PluginInstance>>,
}

impl<'c> PluginIndex<'c> {
    pub(super) fn new(config: &'c Config) -> Self {
        let mut index = Self {
            global: Vec::new(),
            by_service: HashMap::new(),
            by_route: HashMap::new(),
        };
        for plugin in config.plugins().iter().filter(|p| p.enabled) {
            match (plugin.scope.route, plugin.scope.service) {
                (Some(route), _) => index.by_route.entry(route).or_default().push(plugin),
                (None, Some(service)) => index.by_service.entry(service).or_default().push(plugin),
                (None, None) => index.global.push(plugin),
            }
        }
        index
    }

    /// The plugins that apply to `route`, in Kong's priority order. A plugin scoped to both
    /// a route and a service applies only where both match.
    pub(super) fn effective(&self, route: &Route) -> Vec<&'c PluginInstance> {
        let mut chosen: Vec<&'c PluginInstance> = Vec::new();
        let scoped_route = self
            .by_route
            .get(&route.id)
            .into_iter()
            .flatten()
            .filter(|p| p.scope.service.is_none() || p.scope.service == route.service);
        let scoped_service = route
            .service
            .and_then(|s| self.by_service.get(&s))
            .into_iter()
            .flatten();
        for plugin in scoped_route.chain(scoped_service).chain(self.global.iter()) {
            if !chosen.iter().any(|c| c.name() == plugin.name()) {
                chosen.push(plugin);
            }
        }
        chosen.sort_by_key(|p| std::cmp::Reverse(p.config.priority()));
        chosen
    }
}

/// The CA sets of the plugins' `ca_certificates` lists, each built (and its certificates'
/// signatures checked) once and shared by every route whose plugin names the same list.
pub(super) struct CaSets<'a> {
    store: &'a [CaCertificate],
    built: RefCell<HashMap<Vec<Uuid>, CaSet>>,
}

impl<'a> CaSets<'a> {
    pub(super) fn new(store: &'a [CaCertificate]) -> Self {
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

/// The revocation policy of an auth plugin (`revocation_check_mode`, `http_timeout`,
/// `cert_cache_ttl`, the proxy fields and `ssl_verify`).
fn revocation_policy(settings: &AuthSettings) -> RevocationPolicy {
    let proxy = |host: &Option<String>, port: Option<u16>| match (host, port) {
        (Some(host), Some(port)) => Some(Proxy {
            host: host.clone(),
            port,
        }),
        _ => None,
    };
    RevocationPolicy {
        mode: settings.revocation_check_mode,
        cache_ttl: settings.cert_cache_ttl(),
        fetch: FetchSettings {
            timeout: settings.http_timeout(),
            http_proxy: proxy(&settings.http_proxy_host, settings.http_proxy_port),
            https_proxy: proxy(&settings.https_proxy_host, settings.https_proxy_port),
            ssl_verify: settings.ssl_verify,
        },
    }
}

/// Compiles the plugins that apply to one route.
pub(super) fn compile_route(
    plugins: &[&PluginInstance],
    config: &Config,
    cas: &CaSets<'_>,
    crls: &CrlSet,
) -> Result<RoutePlugins, CompileError> {
    let mut out = RoutePlugins::default();
    for instance in plugins {
        let fail = |reason: String| CompileError::Plugin {
            id: instance.id,
            name: instance.name(),
            reason,
        };
        let auth = |settings: &AuthSettings, plugin: Plugin| {
            Ok::<_, CompileError>(CertificateAuth {
                cas: cas
                    .get(&settings.ca_certificates)
                    .map_err(|e| fail(e.to_string()))?,
                validation: settings.validation_options(),
                matching: settings.match_settings(plugin),
                revocation: revocation_policy(settings),
                crls: crls.clone(),
            })
        };
        match &instance.config {
            PluginConfig::MtlsAuth(c) => out.mtls_auth = Some(auth(&c.auth, Plugin::MtlsAuth)?),
            PluginConfig::HeaderCertAuth(c) => {
                let header = c
                    .header_cert_auth(config.trusted_ips())
                    .map_err(|e| fail(e.to_string()))?;
                out.header_cert_auth = Some((header, auth(&c.auth, Plugin::HeaderCertAuth)?));
            }
            PluginConfig::TlsMetadataHeaders(c) => {
                out.metadata_headers = Some(MetadataHeaders {
                    inject: c.inject_client_cert_details,
                    cert: c.client_cert_header_name.clone(),
                    serial: c.client_serial_header_name.clone(),
                    issuer_dn: c.client_cert_issuer_dn_header_name.clone(),
                    subject_dn: c.client_cert_subject_dn_header_name.clone(),
                    fingerprint: c.client_cert_fingerprint_header_name.clone(),
                });
            }
            PluginConfig::Acl(c) => out.acl = Some(c.acl().map_err(|e| fail(e.to_string()))?),
            // Requests the certificate at the handshake (the SNI map); nothing per request.
            PluginConfig::TlsHandshakeModifier(_) => out.requests_certificate = true,
            // A plugin config the family gained that this compiler does not know yet would
            // silently do nothing: refuse the configuration instead (fail closed).
            #[allow(unreachable_patterns)]
            _ => return Err(fail("this plugin is not compiled by this gateway".into())),
        }
        if matches!(instance.config, PluginConfig::MtlsAuth(_)) {
            out.requests_certificate = true;
        }
    }
    Ok(out)
}
