//! One HTTP exchange with an OCSP responder or a CRL server: plain or TLS, direct or through
//! Kong's `http_proxy_*` / `https_proxy_*` (absolute-form requests for http, a CONNECT tunnel
//! for https), bounded in time and in size.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::upstream::UpstreamVerifier;

/// A forward proxy for revocation fetches (Kong's `http_proxy_host` / `http_proxy_port`, or
/// the `https_` pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The proxy's host name or address.
    pub host: String,
    /// The proxy's port.
    pub port: u16,
}

/// How one plugin fetches: Kong's `http_timeout`, proxies and `ssl_verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// The whole exchange (connect, TLS, request, body) must finish within this.
    pub timeout: Duration,
    /// The proxy for `http://` URIs.
    pub http_proxy: Option<Proxy>,
    /// The proxy for `https://` URIs (a CONNECT tunnel).
    pub https_proxy: Option<Proxy>,
    /// Whether the TLS certificate of an `https://` server is verified.
    pub ssl_verify: bool,
}

impl Default for FetchSettings {
    /// Kong's defaults: 30 s, no proxy, verification on.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            http_proxy: None,
            https_proxy: None,
            ssl_verify: true,
        }
    }
}

/// Why a fetch gave no body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URI cannot be parsed, or has no host.
    #[error("invalid URI {uri:?}: {reason}")]
    InvalidUri {
        /// The URI.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Neither `http` nor `https`.
    #[error("unsupported scheme in {uri:?} (only http and https)")]
    UnsupportedScheme {
        /// The URI.
        uri: String,
    },
    /// The TCP connection (to the server or the proxy) failed.
    #[error("cannot connect to {address}: {reason}")]
    Connect {
        /// `host:port` connected to.
        address: String,
        /// The IO error.
        reason: String,
    },
    /// The proxy refused or broke the CONNECT tunnel.
    #[error("proxy {address}: {reason}")]
    Proxy {
        /// The proxy's `host:port`.
        address: String,
        /// What went wrong.
        reason: String,
    },
    /// The TLS handshake failed (with `ssl_verify`, an untrusted server certificate).
    #[error("TLS with {host}: {reason}")]
    Tls {
        /// The server's host.
        host: String,
        /// The TLS error.
        reason: String,
    },
    /// The HTTP exchange failed.
    #[error("HTTP: {reason}")]
    Http {
        /// The hyper error.
        reason: String,
    },
    /// The server answered another status than 200.
    #[error("HTTP status {status}")]
    Status {
        /// The status code.
        status: u16,
    },
    /// The body is larger than the limit.
    #[error("body over the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The exchange did not finish within `http_timeout`.
    #[error("no answer within {} ms", timeout.as_millis())]
    Timeout {
        /// The timeout.
        timeout: Duration,
    },
}

/// The longest proxy CONNECT response head read.
const MAX_CONNECT_HEAD: usize = 8 * 1024;

/// Fetches over HTTP(S). Holds the two TLS client configurations (`ssl_verify` on and off).
pub(crate) struct Fetcher {
    provider: Arc<CryptoProvider>,
    roots: Option<Arc<RootCertStore>>,
    verified: OnceLock<Result<Arc<ClientConfig>, String>>,
    unverified: Result<Arc<ClientConfig>, String>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("custom_roots", &self.roots.is_some())
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher trusting `roots`, or the system's trust store (read on first use) if `None`.
    pub(crate) fn new(provider: Arc<CryptoProvider>, roots: Option<RootCertStore>) -> Self {
        let unverified = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map(|b| {
                Arc::new(
                    b.dangerous()
                        .with_custom_certificate_verifier(Arc::new(UpstreamVerifier::accept_any(
                            &provider,
                        )))
                        .with_no_client_auth(),
                )
            })
            .map_err(|e| e.to_string());
        Self {
            provider,
            roots: roots.map(Arc::new),
            verified: OnceLock::new(),
            unverified,
        }
    }

    fn verified_config(&self) -> Result<Arc<ClientConfig>, String> {
        self.verified
            .get_or_init(|| {
                let roots = match &self.roots {
                    Some(roots) => Arc::clone(roots),
                    None => Arc::new(system_roots()?),
                };
                ClientConfig::builder_with_provider(Arc::clone(&self.provider))
                    .with_safe_default_protocol_versions()
                    .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// GETs `uri` (a CRL), or POSTs `body` with `content_type` (an OCSP request), and returns
    /// the body of a 200 answer of at most `limit` bytes.
    pub(crate) async fn fetch(
        &self,
        uri: &str,
        post: Option<(&'static str, Vec<u8>)>,
        settings: &FetchSettings,
        limit: usize,
    ) -> Result<Bytes, FetchError> {
        tokio::time::timeout(settings.timeout, self.exchange(uri, post, settings, limit))
            .await
            .unwrap_or(Err(FetchError::Timeout {
                timeout: settings.timeout,
            }))
    }

    async fn exchange(
        &self,
        uri_text: &str,
        post: Option<(&'static str, Vec<u8>)>,
        settings: &FetchSettings,
        limit: usize,
    ) -> Result<Bytes, FetchError> {
        let invalid = |reason: &str| FetchError::InvalidUri {
            uri: uri_text.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = uri_text.parse().map_err(|_| invalid("not a URI"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => {
                return Err(FetchError::UnsupportedScheme {
                    uri: uri_text.to_owned(),
                });
            }
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?.clone();
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let proxy = if tls {
            settings.https_proxy.as_ref()
        } else {
            settings.http_proxy.as_ref()
        };

        let (connect_host, connect_port) = match proxy {
            Some(p) => (p.host.as_str(), p.port),
            None => (host.as_str(), port),
        };
        let address = format!("{connect_host}:{connect_port}");
        let mut tcp = TcpStream::connect((connect_host, connect_port))
            .await
            .map_err(|e| FetchError::Connect {
                address: address.clone(),
                reason: e.to_string(),
            })?;
        let _ = tcp.set_nodelay(true);

        // http through a proxy: the absolute URI; otherwise the path and query.
        let target = if proxy.is_some() && !tls {
            uri.clone()
        } else {
            uri.path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/")
                .parse::<Uri>()
                .map_err(|_| invalid("bad path"))?
        };
        let request = build_request(target, authority.as_str(), post)?;

        if tls {
            if proxy.is_some() {
                connect_tunnel(&mut tcp, &address, &host, port).await?;
            }
            let config = if settings.ssl_verify {
                self.verified_config()
            } else {
                self.unverified.clone()
            }
            .map_err(|reason| FetchError::Tls {
                host: host.clone(),
                reason: format!("no TLS client configuration: {reason}"),
            })?;
            let name = ServerName::try_from(host.clone()).map_err(|_| invalid("bad host"))?;
            let stream = TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| FetchError::Tls {
                    host: host.clone(),
                    reason: e.to_string(),
                })?;
            send(stream, request, limit).await
        } else {
            send(tcp, request, limit).await
        }
    }
}

/// The system's trust store; certificates it cannot parse are skipped.
fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "no usable certificate in the system trust store ({})",
            errors.join("; ")
        ));
    }
    Ok(roots)
}

fn build_request(
    target: Uri,
    authority: &str,
    post: Option<(&'static str, Vec<u8>)>,
) -> Result<Request<Full<Bytes>>, FetchError> {
    let http = |e: hyper::http::Error| FetchError::Http {
        reason: e.to_string(),
    };
    let host = HeaderValue::from_str(authority).map_err(|_| FetchError::InvalidUri {
        uri: authority.to_owned(),
        reason: "bad host".to_owned(),
    })?;
    let builder = Request::builder().uri(target).header(HOST, host);
    match post {
        Some((content_type, body)) => builder
            .method(Method::POST)
            .header(CONTENT_TYPE, content_type)
            .header(CONTENT_LENGTH, body.len())
            .body(Full::new(Bytes::from(body)))
            .map_err(http),
        None => builder
            .method(Method::GET)
            .body(Full::new(Bytes::new()))
            .map_err(http),
    }
}

/// Opens a CONNECT tunnel to `host:port` through the proxy connection `tcp`.
async fn connect_tunnel(
    tcp: &mut TcpStream,
    proxy: &str,
    host: &str,
    port: u16,
) -> Result<(), FetchError> {
    let fail = |reason: String| FetchError::Proxy {
        address: proxy.to_owned(),
        reason,
    };
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    tcp.write_all(head.as_bytes())
        .await
        .map_err(|e| fail(e.to_string()))?;
    // Read byte by byte up to the blank line, so nothing of the TLS stream is consumed.
    let mut answer = Vec::with_capacity(128);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_CONNECT_HEAD {
            return Err(fail("CONNECT answer head too long".to_owned()));
        }
        let byte = tcp.read_u8().await.map_err(|e| fail(e.to_string()))?;
        answer.push(byte);
    }
    let status_line = answer.split(|b| *b == b'\n').next().unwrap_or_default();
    let status = std::str::from_utf8(status_line)
        .ok()
        .and_then(|line| line.split_whitespace().nth(1));
    match status {
        Some(code) if code.starts_with('2') => Ok(()),
        other => Err(fail(format!(
            "CONNECT refused (status {})",
            other.unwrap_or("unreadable")
        ))),
    }
}

/// Sends `request` over `io` (HTTP/1.1) and reads the 200 answer's body.
async fn send<S>(io: S, request: Request<Full<Bytes>>, limit: usize) -> Result<Bytes, FetchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http = |e: hyper::Error| FetchError::Http {
        reason: e.to_string(),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(http)?;
    // The connection is driven beside the request; it ends when the exchange does (or the
    // caller's timeout drops the sender).
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let result = async {
        let response = sender.send_request(request).await.map_err(http)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status { status });
        }
        let body = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    FetchError::TooLarge { limit }
                } else {
                    FetchError::Http {
                        reason: e.to_string(),
                    }
                }
            })?;
        Ok(body.to_bytes())
    }
    .await;
    drop(sender);
    driver.abort();
    result
}
