//! # mtls-server
//!
//! The gateway node: listeners on tokio, hyper and tokio-rustls that execute the request
//! [`Plan`](mtls_gateway::Plan)s of `mtls-gateway` against upstreams. It holds no policy of its
//! own: every answer comes from the plan; this crate moves bytes, keeps connections, enforces
//! time limits, and reports what happened (access log, metrics).
//!
//! - TLS listeners choose the `ServerConfig` per ClientHello
//!   ([`mtls_gateway::HandshakeConfigs::select`]): a CertificateRequest only on the server
//!   names whose routes need one; what the handshake asked is kept for the 421 rule.
//! - Plain listeners (mtls-auth routes answer 401 there, header-cert-auth works).
//! - HTTP/2 by ALPN on TLS, with prior knowledge on plain listeners, bounded
//!   ([`Http2Options`]: streams, header list, windows, rapid-reset limits); gRPC services over
//!   HTTP/2 with trailers; WebSocket upgrades joined into a tunnel after the plan's decision
//!   (docs/HTTP2.md).
//! - Each request: [`mtls_gateway::drive`] (revocation fetched when needed), then the answer or
//!   the proxied exchange, with the service's connect / read / write timeouts and retries on
//!   connection failures, keep-alive connections pooled per upstream.
//! - One access-log line per request (target `access`), refusals logged by the gateway under
//!   the plugin's name, upstream TLS failures in words.
//! - [`Metrics`] counts what `/metrics` serves.
//!
//! Reloads are the caller's: swap a new snapshot into the [`SnapshotHandle`] the server was
//! started with, and the next connection and request see it.

mod access_log;
mod body;
pub mod embed;
mod grpc;
mod http2;
mod idle;
mod listener;
mod metrics;
mod respond;
mod service;
mod status;
pub mod tls_files;
mod tunnel;
mod upstream;
mod ws_frames;

pub use access_log::AccessLog;
pub use http2::Http2Options;
pub use metrics::Metrics;
pub use status::{serve_status, status_body};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mtls_gateway::SnapshotHandle;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// One address to listen on (Kong's `proxy_listen` entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// The address (`127.0.0.1:0` picks a free port: see [`Running::addrs`]).
    pub addr: SocketAddr,
    /// TLS (Kong's `ssl` flag), or plain HTTP.
    pub tls: bool,
}

/// Which of Kong's response headers the gateway adds (kong.conf `headers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHeaders {
    /// `server_tokens`: `Via` on proxied responses, `Server` on the gateway's own.
    pub server_tokens: bool,
    /// `latency_tokens`: `X-Kong-Proxy-Latency` and `X-Kong-Upstream-Latency`.
    pub latency_tokens: bool,
    /// `X-Kong-Request-Id`: a request id, on the response and to the upstream.
    pub request_id: bool,
}

impl Default for ResponseHeaders {
    /// Kong's default: `server_tokens, latency_tokens, X-Kong-Request-Id`.
    fn default() -> Self {
        Self {
            server_tokens: true,
            latency_tokens: true,
            request_id: true,
        }
    }
}

/// How the server runs. [`ServerOptions::new`] gives the defaults, each documented.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where to listen.
    pub listen: Vec<Listen>,
    /// How long a client has for its ClientHello and the whole TLS handshake (default 10 s).
    pub handshake_timeout: Duration,
    /// How long a client has to send a request's header section, from its first byte (or
    /// from the connection's start) (default 60 s, Kong's `client_header_timeout`).
    pub header_read_timeout: Duration,
    /// How long a connection with no request in flight is kept open for the next one
    /// (default 60 s, Kong's `keepalive_timeout`); HTTP/2 connections are then closed with
    /// a GOAWAY.
    pub keepalive_timeout: Duration,
    /// The largest header section read from a client (default 64 KiB; hyper answers 431
    /// beyond it).
    pub max_header_bytes: usize,
    /// The most header fields in one request (default 100).
    pub max_headers: usize,
    /// How long open connections get to finish on shutdown (default 10 s).
    pub shutdown_grace: Duration,
    /// Kong's response headers (default: all of them).
    pub response_headers: ResponseHeaders,
    /// HTTP/2 (by ALPN on TLS listeners, with prior knowledge on plain ones): its settings
    /// and abuse limits.
    pub http2: Http2Options,
    /// The largest WebSocket frame or message (its fragments together) a client may send
    /// through a tunnel (default 16 MiB); a larger one closes the tunnel, logged under
    /// `[websocket]`. Control frames follow RFC 6455 (at most 125 bytes, never fragmented).
    pub websocket_max_message: u64,
}

impl ServerOptions {
    /// The defaults, listening on `listen`.
    pub fn new(listen: Vec<Listen>) -> Self {
        Self {
            listen,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(60),
            keepalive_timeout: Duration::from_secs(60),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            shutdown_grace: Duration::from_secs(10),
            response_headers: ResponseHeaders::default(),
            http2: Http2Options::default(),
            websocket_max_message: 16 << 20,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What every connection task shares.
pub(crate) struct State {
    pub(crate) handle: Arc<SnapshotHandle>,
    pub(crate) options: ServerOptions,
    pub(crate) pool: Arc<upstream::Pool>,
    pub(crate) h2: upstream::Http2Connections,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) access_log: AccessLog,
    /// The serving snapshot's version, as [`watch_reloads`] last saw it: a TLS connection
    /// whose handshake the new snapshot would make differently is closed gracefully.
    pub(crate) reloads: watch::Receiver<u64>,
}

/// How often the snapshot's version is looked at for [`State::reloads`].
const RELOAD_POLL: Duration = Duration::from_millis(200);

/// Publishes the snapshot's version on `versions` until `shutdown`.
async fn watch_reloads(
    handle: Arc<SnapshotHandle>,
    versions: watch::Sender<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(RELOAD_POLL) => {
                let version = handle.version();
                versions.send_if_modified(|seen| {
                    let changed = *seen != version;
                    *seen = version;
                    changed
                });
            }
        }
    }
}

/// A started server: its listeners' addresses, its metrics, and the means to stop it.
pub struct Running {
    addrs: Vec<(Listen, SocketAddr)>,
    metrics: Arc<Metrics>,
    grace: Duration,
    shutdown: watch::Sender<bool>,
    tracker: mpsc::Sender<()>,
    done: mpsc::Receiver<()>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Each listener with the address it is bound to.
    pub fn addrs(&self) -> &[(Listen, SocketAddr)] {
        &self.addrs
    }

    /// The first bound address of a TLS (`true`) or plain (`false`) listener.
    pub fn addr(&self, tls: bool) -> Option<SocketAddr> {
        self.addrs
            .iter()
            .find(|(l, _)| l.tls == tls)
            .map(|(_, a)| *a)
    }

    /// The counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Stops accepting, lets open connections finish their requests (up to the grace
    /// period), then returns.
    pub async fn shutdown(self) {
        let Self {
            shutdown,
            tracker,
            mut done,
            grace,
            ..
        } = self;
        let _ = shutdown.send(true);
        drop(tracker);
        if tokio::time::timeout(grace, done.recv()).await.is_err() {
            tracing::warn!(target: "mtls::serve", "connections still open after the grace period; closing them");
        }
    }
}

/// Binds every listener and starts serving from `handle`'s snapshots (within a tokio runtime).
pub async fn start(
    options: ServerOptions,
    handle: Arc<SnapshotHandle>,
    metrics: Arc<Metrics>,
    access_log: AccessLog,
) -> Result<Running, ServerError> {
    let mut bound = Vec::with_capacity(options.listen.len());
    for listen in &options.listen {
        let listener =
            TcpListener::bind(listen.addr)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: listen.addr,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: listen.addr,
            source,
        })?;
        bound.push((*listen, addr, listener));
    }
    let grace = options.shutdown_grace;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (versions, reloads) = watch::channel(handle.version());
    tokio::spawn(watch_reloads(
        Arc::clone(&handle),
        versions,
        shutdown_rx.clone(),
    ));
    let state = Arc::new(State {
        handle,
        options,
        pool: Arc::default(),
        h2: upstream::Http2Connections::default(),
        metrics: Arc::clone(&metrics),
        access_log,
        reloads,
    });
    let (tracker, done) = mpsc::channel::<()>(1);
    let mut addrs = Vec::with_capacity(bound.len());
    for (listen, addr, listener) in bound {
        addrs.push((listen, addr));
        tokio::spawn(listener::accept_loop(
            listener,
            listen,
            Arc::clone(&state),
            shutdown_rx.clone(),
            tracker.clone(),
        ));
    }
    Ok(Running {
        addrs,
        metrics,
        grace,
        shutdown,
        tracker,
        done,
    })
}
