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

/// One route, compiled; the router's answers are positions into a list of these.
#[derive(Debug)]
pub(crate) struct CompiledRoute {
    pub(crate) id: Uuid,
    /// The route's name, or its id: for logs.
    pub(crate) label: Arc<str>,
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
        routes.push(CompiledRoute {
            id: route.id,
            label: route.label().into(),
            upstream: route.service.and_then(|s| upstreams.get(&s)).cloned(),
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
