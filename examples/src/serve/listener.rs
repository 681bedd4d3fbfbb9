//! The accept loops: TLS (the `ServerConfig` chosen per ClientHello) and plain HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::LazyConfigAcceptor;

use super::proxy::{self, Connection, TlsInfo};
use super::{Gateway, HANDSHAKE_TIMEOUT, HEADER_READ_TIMEOUT, MAX_HEADER_BYTES, MAX_HEADERS};

/// Accepts connections until shutdown; each is served on its own task.
pub(super) async fn accept_loop(
    listener: TcpListener,
    tls: bool,
    gateway: Arc<Gateway>,
    mut shutdown: watch::Receiver<bool>,
    tracker: mpsc::Sender<()>,
) {
    let local_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    let task = serve_tcp(
                        tcp,
                        peer,
                        local_port,
                        tls,
                        Arc::clone(&gateway),
                        shutdown.clone(),
                        tracker.clone(),
                    );
                    tokio::spawn(task);
                }
                Err(e) => {
                    tracing::warn!(target: "mtls::serve", "accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn serve_tcp(
    tcp: TcpStream,
    peer: SocketAddr,
    local_port: u16,
    tls: bool,
    gateway: Arc<Gateway>,
    shutdown: watch::Receiver<bool>,
    _tracker: mpsc::Sender<()>,
) {
    if !tls {
        let conn = Connection {
            peer,
            local_port,
            tls: None,
        };
        serve_http(TokioIo::new(tcp), conn, gateway, shutdown).await;
        return;
    }
    // One deadline across the ClientHello read and the handshake.
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
        let sni = start.client_hello().server_name().map(str::to_owned);
        let config = gateway
            .current()
            .snapshot
            .handshake()
            .select(sni.as_deref());
        let stream = start.into_stream(config).await?;
        Ok::<_, std::io::Error>((stream, sni))
    })
    .await;
    let (stream, sni) = match handshake {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(target: "mtls::serve", %peer, "TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!(target: "mtls::serve", %peer, "TLS handshake timed out");
            return;
        }
    };
    // Resumed sessions carry the chain of the session's first handshake.
    let peer_certificates = stream
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.clone().into_owned()).collect::<Vec<_>>());
    let conn = Connection {
        peer,
        local_port,
        tls: Some(TlsInfo {
            sni,
            peer_certificates,
        }),
    };
    serve_http(TokioIo::new(stream), conn, gateway, shutdown).await;
}

async fn serve_http<S>(
    io: TokioIo<S>,
    conn: Connection,
    gateway: Arc<Gateway>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = Arc::new(conn);
    let peer = conn.peer;
    let service =
        service_fn(move |req| proxy::handle(Arc::clone(&gateway), Arc::clone(&conn), req));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let result = tokio::select! {
        r = connection.as_mut() => r,
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(target: "mtls::serve", %peer, "connection: {e}");
    }
}
