//! The accept loops: TLS (the `ServerConfig` chosen per ClientHello) and plain HTTP.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mtls_gateway::TlsInfo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::LazyConfigAcceptor;

use crate::http2::{self, Protocols};
use crate::idle::{Activity, Expired, Tracked, Watched};
use crate::service::{self, Conn};
use crate::{Listen, State};

/// Accepts connections until shutdown; each is served on its own task.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    listen: Listen,
    state: Arc<State>,
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
                        listen.tls,
                        Arc::clone(&state),
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
    state: Arc<State>,
    shutdown: watch::Receiver<bool>,
    _tracker: mpsc::Sender<()>,
) {
    state.metrics.connection_opened();
    serve_connection(tcp, peer, local_port, tls, &state, shutdown).await;
    state.metrics.connection_closed();
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    local_port: u16,
    tls: bool,
    state: &Arc<State>,
    shutdown: watch::Receiver<bool>,
) {
    if !tls {
        let conn = Conn {
            peer,
            local_port,
            tls: None,
            tls_version: None,
        };
        let protocols = Protocols::choose(false, None, &state.options.http2);
        serve_http(
            TokioIo::new(tcp),
            conn,
            protocols,
            Arc::clone(state),
            shutdown,
        )
        .await;
        return;
    }
    // One deadline across the ClientHello read and the handshake.
    let handshake = tokio::time::timeout(state.options.handshake_timeout, async {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
        let sni = start.client_hello().server_name().map(str::to_owned);
        let selected = state.handle.load().handshake().select(sni.as_deref());
        let stream = start.into_stream(selected.config).await?;
        Ok::<_, std::io::Error>((stream, sni, selected.client_auth))
    })
    .await;
    let (stream, sni, client_auth) = match handshake {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            state.metrics.handshake_failed();
            tracing::debug!(target: "mtls::serve", %peer, "TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            state.metrics.handshake_failed();
            tracing::debug!(target: "mtls::serve", %peer, "TLS handshake timed out");
            return;
        }
    };
    let session = stream.get_ref().1;
    // Resumed sessions carry the chain of the session's first handshake.
    let peer_certificates = session
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.clone().into_owned()).collect::<Vec<_>>());
    state.metrics.handshake(peer_certificates.is_some());
    let tls_version = session.protocol_version().map(|v| match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
        _ => "TLS",
    });
    let conn = Conn {
        peer,
        local_port,
        tls: Some(TlsInfo {
            sni,
            peer_certificates,
            client_auth,
        }),
        tls_version,
    };
    let protocols = Protocols::choose(true, session.alpn_protocol(), &state.options.http2);
    serve_http(
        TokioIo::new(stream),
        conn,
        protocols,
        Arc::clone(state),
        shutdown,
    )
    .await;
}

async fn serve_http<S>(
    io: TokioIo<S>,
    conn: Conn,
    protocols: Protocols,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let tls = conn
        .tls
        .as_ref()
        .map(|t| (t.sni.clone(), t.client_auth.clone()));
    let conn = Arc::new(conn);
    let peer = conn.peer;
    let options = &state.options;
    let builder = http2::builder(protocols, options, None);
    let activity = Activity::new();
    let io = TokioIo::new(Watched::new(io.into_inner(), Arc::clone(&activity)));
    let service_state = Arc::clone(&state);
    let requests = Arc::clone(&activity);
    let service = service_fn(move |req| {
        let in_flight = requests.request_started();
        let answer = service::handle(Arc::clone(&service_state), Arc::clone(&conn), req);
        async move {
            let response = answer.await?;
            Ok::<_, Infallible>(response.map(|b| Tracked::new(b, in_flight)))
        }
    });
    // With upgrades: a WebSocket upgrade is proxied once the upstream agreed (101).
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let expired = activity.expired(
        options.header_read_timeout,
        options.keepalive_timeout,
        protocols != Protocols::Http2,
    );
    tokio::pin!(expired);
    let mut reloads = state.reloads.clone();
    let result = loop {
        tokio::select! {
            r = connection.as_mut() => break r,
            _ = shutdown.changed() => {
                connection.as_mut().graceful_shutdown();
                break connection.await;
            }
            why = &mut expired => {
                tracing::debug!(target: "mtls::serve", %peer, "connection closed: {why:?} timeout");
                if why == Expired::HeaderRead {
                    return;
                }
                connection.as_mut().graceful_shutdown();
                break connection.await;
            }
            Ok(()) = reloads.changed() => {
                if asked_differently(&state, tls.as_ref()) {
                    // A GOAWAY (HTTP/2), or the end of keep-alive (HTTP/1.1): the client's
                    // next requests go to a connection of its own, handshaken anew.
                    tracing::debug!(target: "mtls::serve", %peer, "the configuration now asks this connection's server name for other client certificates: closing it gracefully");
                    connection.as_mut().graceful_shutdown();
                    break connection.await;
                }
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(target: "mtls::serve", %peer, "connection: {e}");
    }
}

/// Whether the serving snapshot would handshake this TLS connection's server name otherwise
/// than its handshake did (another CertificateRequest, other CA names).
fn asked_differently(
    state: &State,
    tls: Option<&(Option<String>, mtls_gateway::ClientAuth)>,
) -> bool {
    let Some((sni, asked)) = tls else {
        return false;
    };
    !state
        .handle
        .load()
        .handshake()
        .asked_as_for(asked, sni.as_deref())
}
