//! Sending a planned request to its upstream: a pooled keep-alive connection when one is
//! idle, else a new one (TCP, then TLS with the service's client configuration), with the
//! service's timeouts and its `retries` on connection failures. A request is retried only
//! when none of it was sent.

mod http2;
mod pool;

pub(crate) use http2::Http2Connections;
pub(crate) use pool::{Pool as GenericPool, PooledBody, Sender, UpstreamKey};

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mtls_gateway::{Upstream, UpstreamProtocol};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::body::{ClientBody, ClientBodyState, read_deadline, write_stall};

/// The pool of idle upstream connections.
pub(crate) type Pool = GenericPool<ClientBody>;

/// Why an exchange with the upstream failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpstreamError {
    /// A phase took longer than the service allows (`connect`, `write`, `read`).
    #[error("{phase} timed out after {ms} ms ({setting})")]
    Timeout {
        phase: &'static str,
        setting: &'static str,
        ms: u128,
    },
    /// No connection could be made (after the retries).
    #[error("{0}")]
    Connect(String),
    /// The exchange broke after the request was sent.
    #[error("{0}")]
    Exchange(String),
    /// The client's request body was malformed or broke off: the client's fault.
    #[error("the client's request body is malformed or broke off")]
    ClientBody,
    /// The service's protocol is not proxied here yet.
    #[error("{0}")]
    Unsupported(String),
}

/// Sends `req` to `upstream`: over HTTP/2 for `grpc`/`grpcs` services (one multiplexed
/// connection per upstream), else over a pooled HTTP/1.1 connection.
pub(crate) async fn send(
    pool: &Arc<Pool>,
    h2: &Http2Connections,
    upstream: &Arc<Upstream>,
    req: Request<ClientBody>,
    body_state: &ClientBodyState,
    start: Instant,
) -> Result<Response<PooledBody<ClientBody>>, UpstreamError> {
    if upstream.protocol().is_http2() {
        return h2.send(upstream, req, body_state, start).await;
    }
    let key = UpstreamKey(Arc::clone(upstream));
    let mut req = req;
    if let Some(mut sender) = pool.take(&key).await {
        let sent = exchange(sender.try_send_request(req), body_state, start, upstream).await;
        match sent {
            Ok(response) => return Ok(pooled(response, pool, key, sender)),
            // The idle connection closed before the request went out: a new one.
            Err(Exchange::Unsent(unsent)) => req = *unsent,
            Err(Exchange::Failed(e)) => return Err(e),
        }
    }
    let mut sender = connect_with_retries(upstream).await?;
    match exchange(sender.try_send_request(req), body_state, start, upstream).await {
        Ok(response) => Ok(pooled(response, pool, key, sender)),
        Err(Exchange::Unsent(_)) => Err(UpstreamError::Connect(format!(
            "the new connection to {}:{} closed before the request was sent",
            upstream.host(),
            upstream.port()
        ))),
        Err(Exchange::Failed(e)) => Err(e),
    }
}

/// The response, its connection going back to the pool at the end of its body; a 101
/// (WebSocket) hands the connection to the tunnel, never to the pool.
fn pooled(
    response: Response<hyper::body::Incoming>,
    pool: &Arc<Pool>,
    key: UpstreamKey,
    sender: Sender<ClientBody>,
) -> Response<PooledBody<ClientBody>> {
    if response.status() == http::StatusCode::SWITCHING_PROTOCOLS {
        return response.map(PooledBody::unpooled);
    }
    response.map(|b| PooledBody::new(b, Arc::clone(pool), key, sender))
}

enum Exchange {
    /// Nothing was sent: the request can go on another connection.
    Unsent(Box<Request<ClientBody>>),
    Failed(UpstreamError),
}

/// One request on one connection (`send`: HTTP/1.1's or HTTP/2's `try_send_request`): the
/// body may stall at most `write_timeout` at a time, and the response head must come within
/// `read_timeout` once the body is sent.
async fn exchange(
    send: impl Future<
        Output = Result<
            Response<hyper::body::Incoming>,
            hyper::client::conn::TrySendError<Request<ClientBody>>,
        >,
    >,
    body_state: &ClientBodyState,
    start: Instant,
    upstream: &Upstream,
) -> Result<Response<hyper::body::Incoming>, Exchange> {
    let timeouts = upstream.timeouts();
    let stalled = write_stall(body_state, start, timeouts.write);
    let head_late = read_deadline(body_state, timeouts.read);
    let response = tokio::select! {
        r = send => r,
        () = stalled => return Err(Exchange::Failed(UpstreamError::Timeout {
            phase: "sending the request body",
            setting: "write_timeout",
            ms: timeouts.write.as_millis(),
        })),
        () = head_late => return Err(Exchange::Failed(UpstreamError::Timeout {
            phase: "waiting for the response",
            setting: "read_timeout",
            ms: timeouts.read.as_millis(),
        })),
    };
    match response {
        Ok(response) => Ok(response),
        Err(mut e) => match e.take_message() {
            Some(unsent) => Err(Exchange::Unsent(Box::new(unsent))),
            None if body_state.broken.load(std::sync::atomic::Ordering::Relaxed) => {
                Err(Exchange::Failed(UpstreamError::ClientBody))
            }
            None => Err(Exchange::Failed(UpstreamError::Exchange(
                describe_exchange_error(&e.into_error(), upstream),
            ))),
        },
    }
}

/// A new connection, retried on connection failures up to the service's `retries`.
async fn connect_with_retries(upstream: &Upstream) -> Result<Sender<ClientBody>, UpstreamError> {
    let mut last = None;
    for attempt in 0..=upstream.retries() {
        match connect(upstream).await {
            Ok(sender) => return Ok(sender),
            Err(e) => {
                tracing::debug!(target: "mtls::serve", service = upstream.label(), attempt, "upstream connection failed: {e}");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| UpstreamError::Connect("no connection attempt".into())))
}

/// A connection's byte stream: TCP, or TLS over TCP.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A new HTTP/1.1 connection, ready for requests.
async fn connect(upstream: &Upstream) -> Result<Sender<ClientBody>, UpstreamError> {
    handshake(connect_stream(upstream).await?).await
}

/// A new connection (TCP, then TLS for TLS upstreams), with the service's connect timeout.
async fn connect_stream(upstream: &Upstream) -> Result<Box<dyn Stream>, UpstreamError> {
    let timeouts = upstream.timeouts();
    let timed_out = || UpstreamError::Timeout {
        phase: "connecting",
        setting: "connect_timeout",
        ms: timeouts.connect.as_millis(),
    };
    let deadline = tokio::time::Instant::now() + timeouts.connect;
    let tcp = tokio::time::timeout_at(
        deadline,
        TcpStream::connect((upstream.host(), upstream.port())),
    )
    .await
    .map_err(|_| timed_out())?
    .map_err(|e| {
        UpstreamError::Connect(format!(
            "cannot connect to {}:{} for service {}: {e}",
            upstream.host(),
            upstream.port(),
            upstream.label()
        ))
    })?;
    let _ = tcp.set_nodelay(true);
    let (Some(config), Some(name)) = (upstream.tls(), upstream.server_name()) else {
        if !matches!(
            upstream.protocol(),
            UpstreamProtocol::Http | UpstreamProtocol::Grpc
        ) {
            return Err(UpstreamError::Unsupported(format!(
                "service {}'s protocol is not proxied",
                upstream.label()
            )));
        }
        return Ok(Box::new(tcp));
    };
    let tls = tokio::time::timeout_at(
        deadline,
        tokio_rustls::TlsConnector::from(Arc::clone(config)).connect(name.clone(), tcp),
    )
    .await
    .map_err(|_| timed_out())?
    .map_err(|e| UpstreamError::Connect(describe_tls_error(&e, upstream)))?;
    Ok(Box::new(tls))
}

async fn handshake<S>(io: S) -> Result<Sender<ClientBody>, UpstreamError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| UpstreamError::Connect(format!("HTTP handshake: {e}")))?;
    tokio::spawn(async move {
        // With upgrades: a 101 answer hands the connection over to the WebSocket tunnel.
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!(target: "mtls::serve", "upstream connection: {e}");
        }
    });
    Ok(sender)
}

/// A failed exchange in words: a TLS alert that came after the handshake (TLS 1.3 servers
/// refuse a missing client certificate only then) is told as [`describe_tls_error`] tells
/// it; anything else with the causes hyper wraps.
fn describe_exchange_error(error: &hyper::Error, upstream: &Upstream) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|e| e.downcast_ref::<rustls::Error>().is_some())
        {
            return describe_tls_error(io, upstream);
        }
        causes.push(cause.to_string());
        source = cause.source();
    }
    let mut text = format!(
        "the exchange with {}:{} for service {} failed: {error}",
        upstream.host(),
        upstream.port(),
        upstream.label()
    );
    for cause in causes {
        text.push_str(": ");
        text.push_str(&cause);
    }
    text
}

/// An upstream TLS failure in words, not Rust debug text.
fn describe_tls_error(error: &std::io::Error, upstream: &Upstream) -> String {
    let service = upstream.label();
    let host = upstream.host();
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        return format!("TLS handshake with {host} for service {service}: {error}");
    };
    use rustls::{AlertDescription, CertificateError, Error};
    let what = match tls {
        Error::AlertReceived(AlertDescription::CertificateRequired)
        | Error::AlertReceived(AlertDescription::HandshakeFailure)
            if !has_client_certificate(upstream) =>
        {
            format!(
                "the upstream asked for a client certificate and none is configured for service \
                 {service} (set its client_certificate, or client_ssl_cert)"
            )
        }
        Error::AlertReceived(alert) => {
            format!("the upstream refused the handshake ({alert:?} alert)")
        }
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "upstream certificate: unknown issuer (not anchored by the service's ca_certificates)"
                .to_owned()
        }
        Error::InvalidCertificate(CertificateError::Expired) => {
            "upstream certificate: expired".to_owned()
        }
        Error::InvalidCertificate(CertificateError::NotValidForName) => {
            format!("upstream certificate: not valid for the name {host}")
        }
        Error::InvalidCertificate(CertificateError::Other(other)) => {
            format!("upstream certificate: {other}")
        }
        Error::InvalidCertificate(e) => format!("upstream certificate: {e}"),
        other => other.to_string(),
    };
    format!("TLS handshake with {host} for service {service}: {what}")
}

fn has_client_certificate(upstream: &Upstream) -> bool {
    upstream
        .tls()
        .is_some_and(|c| c.client_auth_cert_resolver.has_certs())
}
