//! Keep-alive connections to upstreams, reused across requests (what nginx's upstream
//! `keepalive` does for Kong): a connection goes back to the pool once its response body has
//! been read to the end, and is dropped when it closes, idles too long, or the pool for its
//! upstream is full.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use mtls_gateway::Upstream;

/// How long an idle connection is kept (nginx's `keepalive_timeout` default).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Idle connections kept per upstream.
const MAX_IDLE_PER_UPSTREAM: usize = 128;
/// How long a pooled connection may take to become ready again.
const READY_TIMEOUT: Duration = Duration::from_millis(200);
/// How often expired connections of every upstream are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// A connection's request side (requests with bodies of type `B`).
pub(crate) type Sender<B> = SendRequest<B>;

/// Which connections are interchangeable: the same compiled upstream (same address, same TLS
/// configuration; a reload compiles new ones, so a connection made under an older
/// configuration is never reused under a newer one).
#[derive(Clone)]
pub(crate) struct UpstreamKey(pub(crate) Arc<Upstream>);

impl PartialEq for UpstreamKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for UpstreamKey {}

impl Hash for UpstreamKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.0).hash(state);
    }
}

struct Idle<B> {
    sender: Sender<B>,
    since: Instant,
}

impl<B> Idle<B> {
    fn usable(&self, now: Instant) -> bool {
        !self.sender.is_closed() && now.duration_since(self.since) < IDLE_TIMEOUT
    }
}

struct State<B> {
    idle: HashMap<UpstreamKey, Vec<Idle<B>>>,
    last_sweep: Instant,
}

/// The idle upstream connections, bounded per upstream and in time.
pub(crate) struct Pool<B> {
    state: Mutex<State<B>>,
}

impl<B> Default for Pool<B> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                idle: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }
}

impl<B> Pool<B> {
    /// An idle connection to `key`, ready for a request, if one is left.
    pub(crate) async fn take(&self, key: &UpstreamKey) -> Option<Sender<B>> {
        loop {
            let candidate = {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                let list = state.idle.get_mut(key)?;
                loop {
                    match list.pop() {
                        Some(idle) if idle.usable(now) => break Some(idle.sender),
                        Some(_) => continue,
                        None => break None,
                    }
                }
            };
            let mut sender = candidate?;
            if let Ok(Ok(())) = tokio::time::timeout(READY_TIMEOUT, sender.ready()).await {
                return Some(sender);
            }
        }
    }

    /// Gives a connection back once its exchange is over.
    fn put(&self, key: UpstreamKey, sender: Sender<B>) {
        if sender.is_closed() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(state.last_sweep) >= SWEEP_EVERY {
            state.last_sweep = now;
            state.idle.retain(|_, list| {
                list.retain(|idle| idle.usable(now));
                !list.is_empty()
            });
        }
        let list = state.idle.entry(key).or_default();
        if list.len() < MAX_IDLE_PER_UPSTREAM {
            list.push(Idle { sender, since: now });
        }
    }

    /// How many idle connections the pool holds.
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .idle
            .values()
            .map(Vec::len)
            .sum()
    }
}

/// An upstream response body that returns its connection to the pool when it ends.
pub(crate) struct PooledBody<B> {
    inner: Incoming,
    back: Option<(Arc<Pool<B>>, UpstreamKey, Sender<B>)>,
}

impl<B> PooledBody<B> {
    /// Wraps `inner`; `sender` goes back to `pool` under `key` at the end of the body.
    pub(crate) fn new(
        inner: Incoming,
        pool: Arc<Pool<B>>,
        key: UpstreamKey,
        sender: Sender<B>,
    ) -> Self {
        if inner.is_end_stream() {
            // Nothing to read (a HEAD answer, 204, 304, Content-Length: 0): the connection is
            // free now, and the body may never be polled.
            pool.put(key, sender);
            return Self { inner, back: None };
        }
        Self {
            inner,
            back: Some((pool, key, sender)),
        }
    }
}

impl<B> PooledBody<B> {
    /// A body whose connection is not pooled here (HTTP/2: the connection is shared).
    pub(crate) fn unpooled(inner: Incoming) -> Self {
        Self { inner, back: None }
    }

    fn give_back(&mut self) {
        if let Some((pool, key, sender)) = self.back.take() {
            pool.put(key, sender);
        }
    }
}

impl<B> Drop for PooledBody<B> {
    /// A body dropped after its end (never polled for `None`) still frees its connection;
    /// one dropped before its end closes it.
    fn drop(&mut self) {
        if self.inner.is_end_stream() {
            self.give_back();
        }
    }
}

impl<B> Body for PooledBody<B> {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            // hyper's server stops polling once a body of known length says it has ended, so
            // the end is also seen here, not only as `None`.
            Poll::Ready(None) => this.give_back(),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.give_back(),
            // A broken body leaves the connection in an unknown state: not reused.
            Poll::Ready(Some(Err(_))) => this.back = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};
    use hyper::{Request, Response};
    use hyper_util::rt::TokioIo;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An upstream answering "ok", counting the connections it accepted.
    async fn upstream() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(
                            "ok",
                        ))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (addr, accepted)
    }

    async fn connect(addr: std::net::SocketAddr) -> Sender<Full<Bytes>> {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(connection);
        sender
    }

    /// A key for a plain upstream at `addr`, compiled as the gateway compiles services.
    fn test_key(addr: std::net::SocketAddr) -> UpstreamKey {
        let yaml = format!(
            "_format_version: \"3.0\"\nservices:\n  - name: s\n    url: http://{addr}\n    routes:\n      - paths: [/]\n"
        );
        let (config, _) = mtls_kong_config::load_str(&yaml).unwrap();
        let options = mtls_gateway::CompileOptions::new(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ));
        let snapshot = mtls_gateway::Snapshot::compile(&config, 1, &options).unwrap();
        let conn = mtls_gateway::Connection {
            peer: "127.0.0.1:1".parse().unwrap(),
            local_port: 80,
            tls: None,
        };
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::HOST, "a.test".parse().unwrap());
        let (method, uri) = (http::Method::GET, http::Uri::from_static("/"));
        let head = mtls_gateway::RequestHead {
            method: &method,
            uri: &uri,
            version: http::Version::HTTP_11,
            headers: &headers,
        };
        match snapshot.plan(&conn, &head, mtls_cert::pki_types::UnixTime::now()) {
            mtls_gateway::Plan::Proxy(plan) => UpstreamKey(plan.upstream),
            other => panic!("{other:?}"),
        }
    }

    fn get() -> Request<Full<Bytes>> {
        Request::builder()
            .uri("/")
            .header("host", "upstream")
            .body(Full::new(Bytes::new()))
            .unwrap()
    }

    #[tokio::test]
    async fn connections_are_reused_after_the_body_ends_and_bounded() {
        let (addr, accepted) = upstream().await;
        let pool: Arc<Pool<Full<Bytes>>> = Arc::new(Pool::default());
        let key = test_key(addr);
        assert!(pool.take(&key).await.is_none());
        for round in 0..3 {
            let mut sender = match pool.take(&key).await {
                Some(sender) => sender,
                None => connect(addr).await,
            };
            let (_, body) = sender.send_request(get()).await.unwrap().into_parts();
            let body = PooledBody::new(body, Arc::clone(&pool), key.clone(), sender);
            assert_eq!(
                pool.idle_count(),
                0,
                "in use until the body ends (round {round})"
            );
            assert_eq!(body.collect().await.unwrap().to_bytes(), "ok");
            assert_eq!(pool.idle_count(), 1);
        }
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "one connection served every round"
        );

        // As hyper's server reads a body of known length: frames until `is_end_stream`, then
        // the body is dropped without a poll for `None`.
        let mut sender = pool.take(&key).await.unwrap();
        let (_, body) = sender.send_request(get()).await.unwrap().into_parts();
        let mut body = PooledBody::new(body, Arc::clone(&pool), key.clone(), sender);
        while !body.is_end_stream() {
            let _ = body.frame().await.unwrap().unwrap();
        }
        drop(body);
        assert_eq!(
            pool.idle_count(),
            1,
            "returned at the end of a known-length body"
        );
        assert_eq!(accepted.load(Ordering::SeqCst), 1);

        // A connection whose body is dropped unread is not reused.
        let mut sender = pool.take(&key).await.unwrap();
        let (_, body) = sender.send_request(get()).await.unwrap().into_parts();
        drop(PooledBody::new(
            body,
            Arc::clone(&pool),
            key.clone(),
            sender,
        ));
        assert_eq!(pool.idle_count(), 0);

        // Bounded per upstream.
        for _ in 0..MAX_IDLE_PER_UPSTREAM + 10 {
            pool.put(key.clone(), connect(addr).await);
        }
        assert_eq!(pool.idle_count(), MAX_IDLE_PER_UPSTREAM);
    }
}
