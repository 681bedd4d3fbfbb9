//! The compiled, immutable configuration and the handle that swaps it atomically.
//!
//! A request takes one [`Snapshot`] (an `Arc`) at its start and uses it to the end, whatever
//! reloads happen meanwhile (decisions.md item 11). A reload builds a whole new snapshot first;
//! if building fails, the running snapshot is untouched and the error is returned.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use rustls::ClientConfig;

use crate::decision::{Decider, Decision, RequestFacts, RoutePlugins};
use crate::handshake::HandshakeConfigs;
use crate::router::{Outcome, Refusal, RequestInfo, Router};

/// One compiled configuration: everything a handshake or a request needs, immutable.
#[derive(Debug)]
pub struct Snapshot {
    version: u64,
    handshake: HandshakeConfigs,
    routes: HashMap<String, Arc<RoutePlugins>>,
    decider: Decider,
    upstreams: HashMap<String, Arc<ClientConfig>>,
    router: Router,
    /// The id (as text) of each of the router's routes, by position.
    router_ids: Vec<String>,
}

impl Snapshot {
    /// Assembles a snapshot from its compiled parts. `routes` are keyed by route id and by
    /// route name (both may be used to address a route); `upstreams` by service id and name.
    pub fn new(
        version: u64,
        handshake: HandshakeConfigs,
        routes: HashMap<String, Arc<RoutePlugins>>,
        decider: Decider,
        upstreams: HashMap<String, Arc<ClientConfig>>,
    ) -> Self {
        Self {
            version,
            handshake,
            routes,
            decider,
            upstreams,
            router: Router::default(),
            router_ids: Vec::new(),
        }
    }

    /// Sets the router used by [`Snapshot::route_request`] (compiled snapshots have one built
    /// from the configuration's routes, each with its id).
    pub fn with_router(mut self, router: Router) -> Self {
        self.router_ids = router
            .routes()
            .iter()
            .map(|r| r.id.map(|id| id.to_string()).unwrap_or_default())
            .collect();
        self.router = router;
        self
    }

    /// The router.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// What the router answers for a request: the route (by position in
    /// [`Router::routes`]), a refusal of the request's protocol, or no route.
    pub fn route_outcome(&self, request: &RequestInfo<'_>) -> Outcome {
        self.router.route(request)
    }

    /// The id of the route that serves a request, by Kong's precedence; `None`: answer 404
    /// with [`crate::router::NO_ROUTE_BODY`], or 426 when [`Snapshot::needs_https`] says so
    /// ([`Snapshot::route_outcome`] tells every refusal).
    pub fn route_request(&self, request: &RequestInfo<'_>) -> Option<&str> {
        let hit = self.router.route(request);
        self.router_ids.get(hit.hit()?.route).map(String::as_str)
    }

    /// Whether the best route for a plain-HTTP request takes HTTPS only: Kong answers it 426
    /// `{"message":"Please use HTTPS protocol"}` (or the route's redirect) instead of 404.
    pub fn needs_https(&self, request: &RequestInfo<'_>) -> bool {
        matches!(
            self.router.route(request),
            Outcome::Refused {
                refusal: Refusal::HttpsRequired { .. },
                ..
            }
        )
    }

    /// The snapshot's version (increases with every successful reload).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The per-ClientHello server configurations.
    pub fn handshake(&self) -> &HandshakeConfigs {
        &self.handshake
    }

    /// A route's compiled plugins, by route id or name.
    pub fn route(&self, id_or_name: &str) -> Option<&Arc<RoutePlugins>> {
        self.routes.get(id_or_name)
    }

    /// The upstream TLS configuration of a service, by id or name.
    pub fn upstream(&self, id_or_name: &str) -> Option<&Arc<ClientConfig>> {
        self.upstreams.get(id_or_name)
    }

    /// Decides a request on the route `id_or_name`. An unknown route has no plugins: the
    /// request is allowed, and every owned header is still removed.
    pub async fn decide(&self, id_or_name: &str, facts: &RequestFacts<'_>) -> Decision {
        static NONE: std::sync::OnceLock<RoutePlugins> = std::sync::OnceLock::new();
        let plugins = match self.routes.get(id_or_name) {
            Some(p) => p.as_ref(),
            None => NONE.get_or_init(RoutePlugins::default),
        };
        self.decider.decide(plugins, facts).await
    }
}

/// Holds the current [`Snapshot`] and swaps it atomically.
///
/// ```
/// use mtls_gateway::snapshot::SnapshotHandle;
/// # fn build(version: u64) -> Result<mtls_gateway::snapshot::Snapshot, String> {
/// #     Err(format!("no configuration for version {version}"))
/// # }
/// // A failed build leaves nothing swapped (here there is nothing yet: `new` needs a first
/// // snapshot, so a real program builds one before creating the handle).
/// let err = SnapshotHandle::try_new(build).unwrap_err();
/// assert_eq!(err, "no configuration for version 1");
/// ```
#[derive(Debug)]
pub struct SnapshotHandle {
    current: ArcSwap<Snapshot>,
    versions: AtomicU64,
    /// Serialises reloads, so snapshots are stored in version order.
    reloading: std::sync::Mutex<()>,
}

impl SnapshotHandle {
    /// A handle whose first snapshot is built by `build(1)`.
    pub fn try_new<E>(build: impl FnOnce(u64) -> Result<Snapshot, E>) -> Result<Self, E> {
        let first = build(1)?;
        Ok(Self {
            current: ArcSwap::from_pointee(first),
            versions: AtomicU64::new(1),
            reloading: std::sync::Mutex::new(()),
        })
    }

    /// The current snapshot. Cheap; hold it for the whole request.
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Builds a new snapshot with the next version and swaps it in. On error nothing changes
    /// and the running snapshot keeps serving (the version number is not reused). Reloads
    /// run one at a time; requests keep loading the current snapshot meanwhile.
    pub fn reload<E>(&self, build: impl FnOnce(u64) -> Result<Snapshot, E>) -> Result<u64, E> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.versions.fetch_add(1, Ordering::SeqCst) + 1;
        let next = build(version)?;
        self.current.store(Arc::new(next));
        Ok(version)
    }
}
