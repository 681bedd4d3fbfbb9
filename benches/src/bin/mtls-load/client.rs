//! The client side shared by `run` and `idle`: the rustls `ClientConfig` with the client
//! certificate, and one connection (TCP, TLS handshake, HTTP/1.1 over it).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONNECTION, HOST, HeaderValue, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Where to connect and with what: the options `run` and `idle` share.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Target {
    /// The server, `HOST:PORT`.
    #[arg(long)]
    pub(crate) target: String,
    /// The TLS server name sent (SNI) and verified.
    #[arg(long, default_value = "localhost")]
    pub(crate) sni: String,
    /// The `Host` header (default: the --sni name).
    #[arg(long)]
    pub(crate) host: Option<String>,
    /// PEM file of the CA that issued the server's certificate.
    #[arg(long)]
    pub(crate) ca: PathBuf,
    /// PEM chain of the client certificate (leaf first, then intermediates).
    #[arg(long)]
    pub(crate) cert: PathBuf,
    /// PEM private key of the client certificate.
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// The request path.
    #[arg(long, default_value = "/")]
    pub(crate) path: String,
    /// Allow TLS session resumption (off by default: every connection is a full handshake).
    #[arg(long)]
    pub(crate) resume: bool,
    /// Tokio worker threads of the load tool (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub(crate) threads: usize,
}

/// Why a request did not get a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// TCP connect failed.
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// Reading or writing the HTTP exchange failed (reset, closed early, bad response).
    Http,
    /// No answer within the request timeout.
    Timeout,
}

/// What the first handshake negotiated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Negotiated {
    /// `TLSv1_3`, ...
    pub(crate) version: String,
    /// The cipher suite.
    pub(crate) suite: String,
    /// The key exchange group.
    pub(crate) group: String,
}

/// Everything a connection needs, resolved once.
pub(crate) struct Client {
    addr: SocketAddr,
    name: ServerName<'static>,
    connector: TlsConnector,
    host: HeaderValue,
    uri: Uri,
}

fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no CERTIFICATE block", path.display()));
    }
    Ok(chain)
}

/// The server certificate and key of a PEM chain and key file.
pub(crate) fn load_pair(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = load_chain(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    Ok((chain, key))
}

/// A root store holding the certificates of a PEM file.
pub(crate) fn load_roots(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in load_chain(path)? {
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(roots)
}

impl Client {
    /// Loads the CA, the client certificate and key, and resolves the target.
    pub(crate) async fn new(target: &Target) -> Result<Self, String> {
        let roots = load_roots(&target.ca)?;
        let (chain, key) = load_pair(&target.cert, &target.key)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("client certificate {}: {e}", target.cert.display()))?;
        if !target.resume {
            config.resumption = Resumption::disabled();
        }
        let name = ServerName::try_from(target.sni.clone())
            .map_err(|e| format!("--sni {}: {e}", target.sni))?;
        let addr = tokio::net::lookup_host(target.target.as_str())
            .await
            .map_err(|e| format!("--target {}: {e}", target.target))?
            .next()
            .ok_or_else(|| format!("--target {}: no address", target.target))?;
        let host = target.host.as_deref().unwrap_or(&target.sni);
        let host = HeaderValue::from_str(host).map_err(|e| format!("--host {host}: {e}"))?;
        if !target.path.starts_with('/') {
            return Err(format!("--path {}: must start with /", target.path));
        }
        let uri = target
            .path
            .parse::<Uri>()
            .map_err(|e| format!("--path {}: {e}", target.path))?;
        Ok(Self {
            addr,
            name,
            connector: TlsConnector::from(Arc::new(config)),
            host,
            uri,
        })
    }

    /// TCP connect, TLS handshake and HTTP/1.1 handshake; the connection is driven by its own
    /// task until the returned sender is dropped or the peer closes.
    pub(crate) async fn connect(
        &self,
        negotiated: Option<&mut Negotiated>,
    ) -> Result<SendRequest<Empty<Bytes>>, Failure> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Failure::Connect)?;
        let _ = tcp.set_nodelay(true);
        let tls = self
            .connector
            .connect(self.name.clone(), tcp)
            .await
            .map_err(|_| Failure::Tls)?;
        if let Some(out) = negotiated {
            let conn = tls.get_ref().1;
            *out = Negotiated {
                version: conn
                    .protocol_version()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default(),
                suite: conn
                    .negotiated_cipher_suite()
                    .map(|s| format!("{:?}", s.suite()))
                    .unwrap_or_default(),
                group: conn
                    .negotiated_key_exchange_group()
                    .map(|g| format!("{:?}", g.name()))
                    .unwrap_or_default(),
            };
        }
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|_| Failure::Http)?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// One GET on `sender`, the response body read to its end; the status.
    pub(crate) async fn request(
        &self,
        sender: &mut SendRequest<Empty<Bytes>>,
        close: bool,
        timeout: Duration,
    ) -> Result<StatusCode, Failure> {
        let exchange = async {
            let mut req = Request::new(Empty::<Bytes>::new());
            *req.uri_mut() = self.uri.clone();
            let headers = req.headers_mut();
            headers.insert(HOST, self.host.clone());
            headers.insert(USER_AGENT, HeaderValue::from_static("mtls-load"));
            if close {
                headers.insert(CONNECTION, HeaderValue::from_static("close"));
            }
            let response = sender.send_request(req).await.map_err(|_| Failure::Http)?;
            let status = response.status();
            response
                .into_body()
                .collect()
                .await
                .map_err(|_| Failure::Http)?;
            Ok(status)
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Failure::Timeout)?
    }
}
