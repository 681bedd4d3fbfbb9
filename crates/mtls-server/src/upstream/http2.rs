//! HTTP/2 to `grpc`/`grpcs` upstreams: one multiplexed connection per compiled upstream,
//! shared by every request to it, made again when it closes. Connections of upstreams no
//! longer in any snapshot are dropped when a new one is made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use hyper::client::conn::http2::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use mtls_gateway::Upstream;

use super::{Exchange, PooledBody, UpstreamError, UpstreamKey, connect_stream, exchange};
use crate::body::{ClientBody, ClientBodyState};

/// Upstreams with a live HTTP/2 connection kept (beyond it, the oldest are not kept).
const MAX_CONNECTIONS: usize = 1024;

/// The HTTP/2 connections to gRPC upstreams.
#[derive(Default)]
pub(crate) struct Http2Connections {
    live: Mutex<HashMap<UpstreamKey, SendRequest<ClientBody>>>,
}

impl Http2Connections {
    /// Sends `req` on the upstream's connection (a new one if it has none, or it closed); a
    /// request the connection refused before sending any of it goes once on a new one.
    pub(crate) async fn send(
        &self,
        upstream: &Arc<Upstream>,
        req: Request<ClientBody>,
        body_state: &ClientBodyState,
        start: Instant,
    ) -> Result<Response<PooledBody<ClientBody>>, UpstreamError> {
        let key = UpstreamKey(Arc::clone(upstream));
        let mut req = req;
        if let Some(mut sender) = self.live(&key)
            && sender.ready().await.is_ok()
        {
            match exchange(sender.try_send_request(req), body_state, start, upstream).await {
                Ok(response) => return Ok(response.map(PooledBody::unpooled)),
                Err(Exchange::Unsent(unsent)) => req = *unsent,
                Err(Exchange::Failed(e)) => return Err(e),
            }
        }
        let mut sender = self.connect(key, upstream).await?;
        match exchange(sender.try_send_request(req), body_state, start, upstream).await {
            Ok(response) => Ok(response.map(PooledBody::unpooled)),
            Err(Exchange::Unsent(_)) => Err(UpstreamError::Connect(format!(
                "the new HTTP/2 connection to {}:{} closed before the request was sent",
                upstream.host(),
                upstream.port()
            ))),
            Err(Exchange::Failed(e)) => Err(e),
        }
    }

    fn live(&self, key: &UpstreamKey) -> Option<SendRequest<ClientBody>> {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.get(key).filter(|s| !s.is_closed()).cloned()
    }

    /// A new connection (retried on connection failures up to the service's `retries`),
    /// kept for the next requests.
    async fn connect(
        &self,
        key: UpstreamKey,
        upstream: &Upstream,
    ) -> Result<SendRequest<ClientBody>, UpstreamError> {
        let mut last = None;
        for attempt in 0..=upstream.retries() {
            match handshake(upstream).await {
                Ok(sender) => {
                    let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
                    // Upstreams only this map still holds belong to replaced snapshots.
                    live.retain(|k, s| Arc::strong_count(&k.0) > 1 && !s.is_closed());
                    if live.len() < MAX_CONNECTIONS {
                        live.insert(key, sender.clone());
                    }
                    return Ok(sender);
                }
                Err(e) => {
                    tracing::debug!(target: "mtls::serve", service = upstream.label(), attempt, "upstream HTTP/2 connection failed: {e}");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| UpstreamError::Connect("no connection attempt".into())))
    }
}

async fn handshake(upstream: &Upstream) -> Result<SendRequest<ClientBody>, UpstreamError> {
    let stream = connect_stream(upstream).await?;
    let (sender, connection) = http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| UpstreamError::Connect(format!("HTTP/2 handshake: {e}")))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(target: "mtls::serve", "upstream HTTP/2 connection: {e}");
        }
    });
    Ok(sender)
}
