//! The plan's decision as a tower layer (feature `tower`), for an axum or hyper service that
//! is its own upstream.
//!
//! [`MtlsLayer`] plans each request with the current snapshot and, when the plan proxies,
//! applies its header edits (the consumer's `X-Consumer-*`, `X-Forwarded-*`, the owned headers
//! removed, `_` names dropped) and calls the inner service, with the plugins' [`Allow`] in the
//! request's extensions; otherwise it answers as Kong would (401, 403, 404, 421, ...). The
//! route's service address is not used: the inner service is the upstream.
//!
//! The layer reads the connection's facts from a [`ConnectionInfo`] request extension, which
//! the accept loop inserts (`mtls_server::embed::serve` does). A request without one is
//! answered 500: the layer fails closed rather than deciding without the TLS facts.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use mtls_cert::pki_types::UnixTime;

use crate::Allow;
use crate::plan::{Connection, Plan, RequestHead, Respond, TlsInfo};
use crate::snapshot::SnapshotHandle;

/// The connection a request came on, as the accept loop saw it (a request extension).
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The directly connected peer.
    pub peer: SocketAddr,
    /// The listener's port.
    pub local_port: u16,
    /// The TLS handshake's facts; `None` for plain HTTP.
    pub tls: Option<Arc<TlsInfo>>,
}

/// Kong's mutual-TLS plugins in front of a service.
///
/// ```
/// # use std::sync::Arc;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let (config, _) = mtls_kong_config::load_str("_format_version: \"3.0\"\n")?;
/// # let options = mtls_gateway::CompileOptions::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
/// # let handle = Arc::new(mtls_gateway::SnapshotHandle::try_new(|v| mtls_gateway::Snapshot::compile(&config, v, &options))?);
/// let layer = mtls_gateway::MtlsLayer::new(handle);
/// // axum: Router::new().route(...).layer(layer)
/// # let _ = layer;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MtlsLayer {
    handle: Arc<SnapshotHandle>,
}

impl MtlsLayer {
    /// A layer deciding with `handle`'s current snapshot (reloads apply to the next request).
    pub fn new(handle: Arc<SnapshotHandle>) -> Self {
        Self { handle }
    }
}

impl<S> tower::Layer<S> for MtlsLayer {
    type Service = MtlsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MtlsService {
            inner,
            handle: Arc::clone(&self.handle),
        }
    }
}

/// The service [`MtlsLayer`] wraps around an inner one.
#[derive(Debug, Clone)]
pub struct MtlsService<S> {
    inner: S,
    handle: Arc<SnapshotHandle>,
}

/// The plugins' decision on an allowed request, in its extensions (the consumer, the
/// authenticated groups, the credential).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Arc<Allow>);

impl<S, B, R> tower::Service<Request<B>> for MtlsService<S>
where
    S: tower::Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: From<String> + Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        // The clone that was polled ready serves this request (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let snapshot = self.handle.load();
        Box::pin(async move {
            let Some(info) = req.extensions().get::<ConnectionInfo>().cloned() else {
                tracing::error!(target: "mtls_gateway::tower", "no ConnectionInfo extension: the accept loop must insert one; refused");
                return Ok(respond(Respond::message(
                    500,
                    "An unexpected error occurred",
                    "no connection info",
                )));
            };
            let conn = Connection {
                peer: info.peer,
                local_port: info.local_port,
                tls: info.tls.as_deref(),
            };
            let plan = {
                let head = RequestHead {
                    method: req.method(),
                    uri: req.uri(),
                    version: req.version(),
                    headers: req.headers(),
                };
                crate::drive(&snapshot, &conn, &head, UnixTime::now()).await
            };
            match plan {
                Plan::Proxy(plan) => {
                    let host = req.headers().get(http::header::HOST).cloned();
                    plan.apply(req.headers_mut());
                    // The inner service is the upstream: it keeps the client's Host.
                    if let Some(host) = host {
                        req.headers_mut().insert(http::header::HOST, host);
                    }
                    req.extensions_mut()
                        .insert(Authenticated(Arc::new(plan.allow)));
                    inner.call(req).await
                }
                Plan::Respond(answer) => Ok(respond(answer)),
                Plan::Pending(_) => Ok(respond(Respond::message(
                    500,
                    "An unexpected error occurred",
                    "pending",
                ))),
            }
        })
    }
}

fn respond<R: From<String>>(answer: Respond) -> Response<R> {
    let mut response = Response::new(R::from(answer.body));
    *response.status_mut() = answer.status;
    for (name, value) in answer.headers {
        response.headers_mut().append(name, value);
    }
    response
}
