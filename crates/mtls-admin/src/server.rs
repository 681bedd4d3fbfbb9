//! Serving the Admin API on a listener: HTTP/1.1 over plain TCP or TLS (a rustls
//! `ServerConfig` the caller builds), optionally requiring a client certificate that
//! mtls-cert validates against a CA set.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use mtls_cert::{CaSet, ValidationOptions};
use rustls::pki_types::{CertificateDer, UnixTime};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::admin::Admin;

/// TLS for the Admin API.
#[derive(Clone)]
#[non_exhaustive]
pub struct AdminTls {
    /// The server configuration (certificate, key, ALPN `http/1.1`). When `client_cas` is
    /// set it must request a client certificate: build it with
    /// [`crate::tls::RequestClientCertificate`] as its client verifier.
    pub config: Arc<rustls::ServerConfig>,
    /// When set, every connection must present a client certificate chain that mtls-cert
    /// validates against these CAs (client purpose); others get 401.
    pub client_cas: Option<Arc<CaSet>>,
}

impl AdminTls {
    /// TLS without client certificates.
    pub fn new(config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            config,
            client_cas: None,
        }
    }

    /// TLS requiring a client certificate validated against `cas`.
    pub fn with_client_cas(config: Arc<rustls::ServerConfig>, cas: CaSet) -> Self {
        Self {
            config,
            client_cas: Some(Arc::new(cas)),
        }
    }
}

impl std::fmt::Debug for AdminTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminTls")
            .field(
                "client_cas",
                &self.client_cas.as_ref().map(|c| c.cas().len()),
            )
            .finish_non_exhaustive()
    }
}

/// Serves `admin` on `listener` until `shutdown` completes (connections already accepted
/// finish their current request).
pub async fn serve(
    listener: TcpListener,
    admin: Admin,
    tls: Option<AdminTls>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let acceptor = tls
        .as_ref()
        .map(|t| TlsAcceptor::from(Arc::clone(&t.config)));
    let client_cas = tls.and_then(|t| t.client_cas);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "admin API accept failed");
                    continue;
                }
            },
        };
        let counters = &admin.inner.counters;
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        let admin = admin.clone();
        let acceptor = acceptor.clone();
        let client_cas = client_cas.clone();
        tokio::spawn(async move {
            let counters = &admin.inner.counters;
            counters.handled.fetch_add(1, Ordering::Relaxed);
            counters.active.fetch_add(1, Ordering::Relaxed);
            let result = match acceptor {
                None => connection(TokioIo::new(stream), admin.clone(), true).await,
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(tls) => {
                        let allowed = client_allowed(tls.get_ref().1, client_cas.as_deref());
                        if !allowed {
                            tracing::warn!(%peer, "admin API client certificate refused");
                        }
                        connection(TokioIo::new(tls), admin.clone(), allowed).await
                    }
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "admin API TLS handshake failed");
                        Ok(())
                    }
                },
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "admin API connection ended");
            }
            admin.inner.counters.active.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Whether the connection's client certificate is acceptable.
fn client_allowed(session: &rustls::ServerConnection, cas: Option<&CaSet>) -> bool {
    let Some(cas) = cas else { return true };
    let Some(chain) = session.peer_certificates() else {
        return false;
    };
    let chain: Vec<CertificateDer<'_>> = chain.to_vec();
    mtls_cert::validate_chain(&chain, cas, &ValidationOptions::client(), UnixTime::now()).is_ok()
}

async fn connection<I>(io: TokioIo<I>, admin: Admin, allowed: bool) -> Result<(), hyper::Error>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| {
        let admin = admin.clone();
        async move {
            if !allowed {
                return Ok::<_, std::convert::Infallible>(unauthorized());
            }
            Ok(admin.handle(request).await)
        }
    });
    http1::Builder::new()
        .max_buf_size(64 * 1024)
        .serve_connection(io, service)
        .await
}

fn unauthorized() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(
        br#"{"message":"a valid client certificate is required"}"#,
    )));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
}
