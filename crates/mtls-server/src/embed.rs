//! Serving an existing tower service (an axum `Router`, a hyper service) behind the gateway's
//! TLS: the accept loop chooses the `ServerConfig` per ClientHello as `mtls serve` does and
//! inserts a [`ConnectionInfo`] into every request, which [`mtls_gateway::MtlsLayer`] reads.
//! HTTP/2 when ALPN chose `h2` (offer it with `CompileOptions::alpn_protocols`), bounded as
//! [`crate::Http2Options::default`]; HTTP/1.1 otherwise, with upgrades, and a header section
//! within [`crate::ServerOptions::new`]'s `header_read_timeout`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use mtls_gateway::{ConnectionInfo, SnapshotHandle, TlsInfo};
use tokio::net::TcpListener;
use tokio_rustls::LazyConfigAcceptor;

use crate::http2::Protocols;
use crate::{Http2Options, ServerOptions};

/// How long a client has for its ClientHello and the whole handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts TLS connections on `listener` forever, each served by a clone of `service` with a
/// [`ConnectionInfo`] in every request's extensions.
///
/// ```no_run
/// # async fn run(handle: std::sync::Arc<mtls_gateway::SnapshotHandle>) -> std::io::Result<()> {
/// let app = tower::service_fn(|_req: http::Request<hyper::body::Incoming>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::from("hello")))
/// });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
/// mtls_server::embed::serve(listener, handle, app).await
/// # }
/// ```
pub async fn serve<S, R>(
    listener: TcpListener,
    handle: Arc<SnapshotHandle>,
    service: S,
) -> std::io::Result<()>
where
    S: tower::Service<http::Request<Incoming>, Response = http::Response<R>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    R: hyper::body::Body + Send + 'static,
    R::Data: Send,
    R::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let local_port = listener.local_addr()?.port();
    loop {
        let (tcp, peer) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let (handle, service) = (Arc::clone(&handle), service.clone());
        tokio::spawn(async move {
            let accepted = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
                let start =
                    LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
                let sni = start.client_hello().server_name().map(str::to_owned);
                let selected = handle.load().handshake().select(sni.as_deref());
                let stream = start.into_stream(selected.config).await?;
                Ok::<_, std::io::Error>((stream, sni, selected.client_auth))
            })
            .await;
            let Ok(Ok((stream, sni, client_auth))) = accepted else {
                tracing::debug!(target: "mtls::embed", %peer, "TLS handshake failed or timed out");
                return;
            };
            let peer_certificates = stream
                .get_ref()
                .1
                .peer_certificates()
                .map(|c| c.iter().map(|d| d.clone().into_owned()).collect());
            let info = ConnectionInfo {
                peer,
                local_port,
                tls: Some(Arc::new(TlsInfo {
                    sni,
                    peer_certificates,
                    client_auth,
                })),
            };
            let with_info =
                tower::util::MapRequestLayer::new(move |mut req: http::Request<Incoming>| {
                    req.extensions_mut().insert(info.clone());
                    req
                });
            let service = TowerToHyperService::new(tower::Layer::layer(&with_info, service));
            // HTTP/2 when ALPN chose it (the snapshot's `alpn_protocols`), with the server's
            // default bounds; HTTP/1.1 otherwise.
            let alpn = stream.get_ref().1.alpn_protocol();
            let protocols = Protocols::choose(true, alpn, &Http2Options::default());
            let options = ServerOptions::new(Vec::new());
            let header_timeout = Some(options.header_read_timeout);
            if let Err(e) = crate::http2::builder(protocols, &options, header_timeout)
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(target: "mtls::embed", %peer, "connection: {e}");
            }
        });
    }
}
