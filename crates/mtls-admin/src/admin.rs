//! [`Admin`]: the Admin API's state (the configuration being served, the database or the
//! declarative configuration it comes from, the node) and its request dispatch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use arc_swap::ArcSwap;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use mtls_kong_config::{Config, Kind, Loader};
use mtls_store::Store;
use serde_json::Value;
use uuid::Uuid;

use crate::body;
use crate::error::ApiError;
use crate::node::Node;
use crate::path::{self, Target};

/// Where the configuration comes from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Mode {
    /// A database: every write is committed there (with its change record) before it is
    /// served.
    Database(Store),
    /// Kong's DB-less mode: read-only entity endpoints, `POST /config` replaces everything.
    DbLess,
}

/// Settings of the Admin API.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AdminSettings {
    /// The largest request body accepted (default 16 MiB), larger ones get 413.
    pub max_body: usize,
    /// The node's name in `GET /` (default: the host name).
    pub hostname: String,
    /// The addresses shown in `GET /` as `admin_listen`.
    pub admin_listen: Vec<String>,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            max_body: 16 << 20,
            hostname: std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "localhost".into()),
            admin_listen: vec!["127.0.0.1:8001".into()],
        }
    }
}

/// The configuration being served, and what the Admin API shows with it.
#[derive(Clone, Debug)]
pub(crate) struct Current {
    pub(crate) config: Config,
    /// The change log position it includes (database mode).
    pub(crate) seq: i64,
    /// Kong's `configuration_hash` (DB-less mode).
    pub(crate) hash: Option<String>,
}

/// Connection and request counters for `/status`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) handled: AtomicU64,
    pub(crate) active: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) requests: AtomicU64,
}

pub(crate) struct Inner {
    pub(crate) mode: Mode,
    pub(crate) node: Arc<dyn Node>,
    pub(crate) loader: Loader,
    pub(crate) current: ArcSwap<Current>,
    pub(crate) times: RwLock<HashMap<(Kind, Uuid), (i64, i64)>>,
    pub(crate) write_lock: tokio::sync::Mutex<()>,
    pub(crate) settings: AdminSettings,
    pub(crate) counters: Counters,
    pub(crate) node_id: Uuid,
    pub(crate) reachable: AtomicBool,
    /// When the configuration was loaded: the timestamps of entities without stored ones
    /// (DB-less mode).
    pub(crate) loaded_at: AtomicI64,
}

/// Why the Admin API could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be read.
    #[error(transparent)]
    Store(#[from] mtls_store::StoreError),
    /// The node could not compile the configuration.
    #[error("the node cannot serve the configuration: {0}")]
    Prepare(String),
}

/// Kong's Admin API over a database or a declarative configuration. Cheap to clone.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use mtls_admin::{Admin, AdminSettings, Node, NodeStatus, Prepared};
/// use mtls_kong_config::{Config, Loader};
///
/// struct Validating;
/// impl Node for Validating {
///     fn prepare(&self, config: &Config) -> Result<Prepared, String> {
///         Ok(Prepared::new(config.clone()))
///     }
///     fn swap(&self, _: Prepared) -> u64 { 1 }
///     fn status(&self) -> NodeStatus { NodeStatus::default() }
/// }
///
/// let dir = std::env::temp_dir().join(format!("mtls-admin-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = mtls_store::Store::open(&format!("sqlite://{}", dir.join("a.db").display())).await?;
/// let admin = Admin::with_database(store, Loader::new(), Arc::new(Validating),
///     AdminSettings::default()).await?;
/// let request = hyper::Request::post("/services")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(http_body_util::Full::new(hyper::body::Bytes::from(
///         "name=mtls-service&url=https://httpbin.org/anything")))?;
/// let response = admin.handle(request).await;
/// assert_eq!(response.status(), 201);
/// assert_eq!(admin.config().services()[0].name.as_deref(), Some("mtls-service"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Admin {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("mode", &self.inner.mode)
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// The Admin API over `store`: its entities are loaded (validated by `loader`), compiled
    /// by `node` and swapped in before this returns.
    pub async fn with_database(
        store: Store,
        loader: Loader,
        node: Arc<dyn Node>,
        settings: AdminSettings,
    ) -> Result<Self, StartError> {
        let snapshot = store.snapshot(&loader).await?;
        let prepared = node
            .prepare(&snapshot.config)
            .map_err(StartError::Prepare)?;
        node.swap(prepared);
        let current = Current {
            config: snapshot.config,
            seq: snapshot.seq,
            hash: None,
        };
        Ok(Self::build(
            Mode::Database(store),
            loader,
            node,
            settings,
            current,
            snapshot.times,
        ))
    }

    /// Kong's DB-less mode over `config` (compiled by `node` and swapped in).
    pub fn db_less(
        config: Config,
        loader: Loader,
        node: Arc<dyn Node>,
        settings: AdminSettings,
    ) -> Result<Self, StartError> {
        let prepared = node.prepare(&config).map_err(StartError::Prepare)?;
        node.swap(prepared);
        let hash = Some(crate::dbless::hash(&config));
        let current = Current {
            config,
            seq: 0,
            hash,
        };
        Ok(Self::build(
            Mode::DbLess,
            loader,
            node,
            settings,
            current,
            HashMap::new(),
        ))
    }

    fn build(
        mode: Mode,
        loader: Loader,
        node: Arc<dyn Node>,
        settings: AdminSettings,
        current: Current,
        times: HashMap<(Kind, Uuid), (i64, i64)>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                mode,
                node,
                loader,
                current: ArcSwap::from_pointee(current),
                times: RwLock::new(times),
                write_lock: tokio::sync::Mutex::new(()),
                settings,
                counters: Counters::default(),
                node_id: Uuid::new_v4(),
                reachable: AtomicBool::new(true),
                loaded_at: AtomicI64::new(mtls_store::unix_now()),
            }),
        }
    }

    /// The configuration being served.
    pub fn config(&self) -> Config {
        self.inner.current.load().config.clone()
    }

    /// The mode.
    pub fn mode(&self) -> &Mode {
        &self.inner.mode
    }

    /// Answers one request (the body is read up to the configured limit).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let counters = &self.inner.counters;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        counters.in_flight.fetch_add(1, Ordering::Relaxed);
        let result = self.dispatch(request).await;
        counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok((status, body)) => respond(status, body),
            Err(error) => {
                if let ApiError::Internal { detail, .. } = &error {
                    tracing::error!(%detail, "admin API request failed");
                }
                respond(error.status(), Some(error.body()))
            }
        }
    }

    async fn dispatch<B>(
        &self,
        request: Request<B>,
    ) -> Result<(StatusCode, Option<Value>), ApiError>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let (parts, body) = request.into_parts();
        let query = parts.uri.query().unwrap_or_default().to_owned();
        let target = path::route(parts.uri.path()).ok_or_else(ApiError::not_found)?;
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = read_body(body, self.inner.settings.max_body).await?;
        let method = parts.method;
        if method == Method::GET || method == Method::HEAD {
            if target == Target::Status
                && let Mode::Database(store) = &self.inner.mode
            {
                let ping = store.database().ping();
                let ok = tokio::time::timeout(std::time::Duration::from_secs(2), ping)
                    .await
                    .is_ok_and(|r| r.is_ok());
                self.inner.reachable.store(ok, Ordering::Relaxed);
            }
            return self.get(&target, &query);
        }
        if matches!(
            target,
            Target::Root | Target::Status | Target::EnabledPlugins
        ) {
            return Err(ApiError::method_not_allowed());
        }
        let body = body::decode(content_type.as_deref(), &bytes).await?;
        if target == Target::Config {
            return match method {
                Method::POST => self.post_config(body, &query).await,
                _ => Err(ApiError::method_not_allowed()),
            };
        }
        self.write(&method, target, body).await
    }

    fn get(&self, target: &Target, query: &str) -> Result<(StatusCode, Option<Value>), ApiError> {
        let current = self.inner.current.load_full();
        let ok = |v: Value| Ok((StatusCode::OK, Some(v)));
        match target {
            Target::Root => ok(crate::info::root(self, &current)),
            Target::Status => ok(crate::info::status(self, &current)),
            Target::EnabledPlugins => ok(crate::info::enabled_plugins(&current.config)),
            Target::Config => ok(self.get_config(&current)?),
            Target::Collection { kind, parent } => {
                ok(self.page(&current, *kind, parent.as_ref(), query)?)
            }
            Target::Entity { kind, key, parent } => {
                let entity = self.find(&current.config, *kind, key, parent.as_ref())?;
                ok(self.entity_json(&entity))
            }
            Target::Owner {
                kind,
                child,
                key,
                field,
            } => {
                let child = self.find(&current.config, *child, key, None)?;
                let owner = crate::lookup::foreign(&child.to_json(), field)
                    .and_then(|id| crate::lookup::by_id(&current.config, *kind, id))
                    .ok_or_else(ApiError::not_found)?;
                ok(self.entity_json(&owner))
            }
        }
    }

    /// Kong's JSON for an entity: its fields (unset ones as null) and its timestamps.
    pub(crate) fn entity_json(&self, entity: &mtls_kong_config::AnyEntity) -> Value {
        let mut json = entity.to_json();
        let (created, updated) = self
            .inner
            .times
            .read()
            .ok()
            .and_then(|t| t.get(&(entity.kind(), entity.id())).copied())
            .unwrap_or_else(|| {
                let loaded = self.inner.loaded_at.load(Ordering::Relaxed);
                (loaded, loaded)
            });
        if let Value::Object(map) = &mut json {
            map.insert("created_at".into(), created.into());
            if !matches!(
                entity.kind(),
                Kind::Acl | Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential
            ) {
                map.insert("updated_at".into(), updated.into());
            }
        }
        json
    }
}

/// Reads a body up to `limit` bytes: 413 beyond.
async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::message(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body too large (the limit is {limit} bytes)"),
            ))
        }
        Err(e) => Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            format!("cannot read the request body: {e}"),
        )),
    }
}

fn respond(status: StatusCode, body: Option<Value>) -> Response<Full<Bytes>> {
    let bytes = match body {
        Some(v) if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED => {
            Bytes::from(v.to_string())
        }
        _ => Bytes::new(),
    };
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
