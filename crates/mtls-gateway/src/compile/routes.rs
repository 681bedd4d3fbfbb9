//! Routes compiled: each with its service's [`Upstream`], its plugins, and what the router
//! matches on.

use std::collections::HashMap;
use std::sync::Arc;

use mtls_cert::CrlSet;
use mtls_kong_config::{Config, PathHandling};
use uuid::Uuid;

use super::plugins::{CaSets, PluginIndex, compile_route};
use super::{CompileError, Upstream};
use crate::decision::RoutePlugins;
use crate::router::RouteMatch;

/// What a plan says about the route that served (or refused) a request: for logs and
/// diagnostics. The route is never looked up again by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// The route's id.
    pub id: Uuid,
    /// The route's name, or its id.
    pub label: Arc<str>,
    /// The service's name, or its id, if the route has a service.
    pub service: Option<Arc<str>>,
    /// The plugins that apply to the route, in Kong's priority order.
    pub plugins: Vec<&'static str>,
}

/// One route, compiled; the router's answers are positions into a list of these.
#[derive(Debug)]
pub(crate) struct CompiledRoute {
    pub(crate) info: Arc<RouteInfo>,
    /// The service, if the route has one.
    pub(crate) upstream: Option<Arc<Upstream>>,
    pub(crate) plugins: Arc<RoutePlugins>,
    pub(crate) strip_path: bool,
    pub(crate) preserve_host: bool,
    pub(crate) path_handling: PathHandling,
}

/// Every route, compiled, with the router's input (same positions).
pub(super) fn compile(
    config: &Config,
    upstreams: &HashMap<Uuid, Arc<Upstream>>,
    crls: &CrlSet,
) -> Result<(Vec<CompiledRoute>, Vec<RouteMatch>), CompileError> {
    let index = PluginIndex::new(config);
    let cas = CaSets::new(config.trust_store());
    // Routes with the same plugin instances share one compiled set.
    let mut shared: HashMap<Vec<Uuid>, Arc<RoutePlugins>> = HashMap::new();
    let mut routes = Vec::with_capacity(config.routes().len());
    let mut matches = Vec::with_capacity(config.routes().len());
    for route in config.routes() {
        let effective = index.effective(route);
        let key: Vec<Uuid> = effective.iter().map(|p| p.id).collect();
        let plugins = match shared.get(&key) {
            Some(plugins) => Arc::clone(plugins),
            None => {
                let plugins = Arc::new(compile_route(&effective, config, &cas, crls)?);
                shared.insert(key, Arc::clone(&plugins));
                plugins
            }
        };
        let upstream = route.service.and_then(|s| upstreams.get(&s)).cloned();
        routes.push(CompiledRoute {
            info: Arc::new(RouteInfo {
                id: route.id,
                label: route.label().into(),
                service: upstream.as_ref().map(|u| Arc::from(u.label())),
                plugins: effective.iter().map(|p| p.name()).collect(),
            }),
            upstream,
            plugins,
            strip_path: route.strip_path,
            preserve_host: route.preserve_host,
            path_handling: route.path_handling,
        });
        matches.push(RouteMatch {
            id: Some(route.id),
            hosts: route.hosts.clone(),
            paths: route.paths.clone(),
            methods: route.methods.clone(),
            headers: route.headers.clone(),
            snis: route.snis.clone(),
            protocols: route.protocols.clone(),
            regex_priority: route.regex_priority,
            https_redirect_status_code: route.https_redirect_status_code,
        });
    }
    Ok((routes, matches))
}
