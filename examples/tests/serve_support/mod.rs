//! Shared by the `mtls serve` end-to-end tests: a PKI made with rcgen, the gateway process
//! (killed on drop), echo upstreams (plain and mutual TLS) and a rustls + hyper client.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    SanType,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde_json::Value;

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mtls-serve-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate with its key (PEM and DER).
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
    /// Leaf first, then the intermediates the client sends.
    pub chain: Vec<CertificateDer<'static>>,
    pub key_der: Vec<u8>,
    /// The PEM chain as sent (leaf, then intermediates).
    pub chain_pem: String,
}

impl Identity {
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key_der.clone().into())
    }
    /// Writes `NAME.crt` (the chain) and `NAME.key`; returns their paths.
    pub fn write(&self, dir: &TempDir, name: &str) -> (PathBuf, PathBuf) {
        (
            dir.write(&format!("{name}.crt"), &self.chain_pem),
            dir.write(&format!("{name}.key"), &self.key_pem),
        )
    }
}

/// A CA that signs certificates.
pub struct Ca {
    pub pem: String,
    pub der: CertificateDer<'static>,
    params: CertificateParams,
    key: KeyPair,
    /// The chain above the leaf that a client sends (intermediates).
    pub intermediates: Vec<(String, CertificateDer<'static>)>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.use_authority_key_identifier_extension = true;
    p
}

impl Ca {
    pub fn root(cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn);
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            params,
            key,
            intermediates: Vec::new(),
        }
    }

    /// An intermediate CA under this one.
    pub fn intermediate(&self, cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn);
        let cert = params
            .signed_by(&key, &Issuer::new(self.params.clone(), &self.key))
            .unwrap();
        let mut intermediates = vec![(cert.pem(), cert.der().clone())];
        intermediates.extend(self.intermediates.iter().cloned());
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            params,
            key,
            intermediates,
        }
    }

    /// A client certificate: CN `cn`, an email SAN when given, `expired` in the past.
    pub fn client(&self, cn: &str, email: Option<&str>, expired: bool) -> Identity {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.use_authority_key_identifier_extension = true;
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        if let Some(email) = email {
            p.subject_alt_names = vec![SanType::Rfc822Name(email.try_into().unwrap())];
        }
        if expired {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        self.sign(p)
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn server(&self, names: &[&str]) -> Identity {
        let mut p =
            CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        p.use_authority_key_identifier_extension = true;
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(p)
    }

    fn sign(&self, params: CertificateParams) -> Identity {
        let key = KeyPair::generate().unwrap();
        let cert = params
            .signed_by(&key, &Issuer::new(self.params.clone(), &self.key))
            .unwrap();
        let mut chain = vec![cert.der().clone()];
        let mut chain_pem = cert.pem();
        for (pem, der) in &self.intermediates {
            chain.push(der.clone());
            chain_pem.push_str(pem);
        }
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            chain,
            key_der: key.serialize_der(),
            chain_pem,
        }
    }
}

/// PEM text indented for a YAML block scalar at `spaces`.
pub fn yaml_block(pem: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    pem.trim_end()
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Percent-encodes everything but unreserved characters (header-cert-auth's url_encoded).
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `mtls serve` as a child process, killed on drop.
pub struct Gateway {
    pub child: Child,
    pub tls: SocketAddr,
    pub http: SocketAddr,
    pub stderr: PathBuf,
}

impl Gateway {
    /// Starts `mtls serve --config CONFIG` on ephemeral loopback ports, with `extra` args.
    pub fn start(dir: &TempDir, config: &Path, extra: &[&str]) -> Self {
        let stderr = dir.path(&format!(
            "serve-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_mtls"))
            .arg("serve")
            .arg("--config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gateway = Self {
            child,
            tls: SocketAddr::from(([127, 0, 0, 1], 0)),
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while gateway.tls.port() == 0 || gateway.http.port() == 0 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                panic!("mtls serve did not start:\n{}", gateway.log());
            };
            if let Some(a) = line.strip_prefix("listening: https://") {
                gateway.tls = a.parse().unwrap();
            } else if let Some(a) = line.strip_prefix("listening: http://") {
                gateway.http = a.parse().unwrap();
            }
        }
        gateway
    }

    /// What the gateway logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends SIGHUP (reload).
    pub fn hup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// An echo upstream in a thread of its own: answers every request with a JSON object of
/// its method, path and headers (lower-case names). With `tls`, over TLS with that config.
pub struct Upstream {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let mut headers = serde_json::Map::new();
    for (n, v) in req.headers() {
        headers.insert(
            n.as_str().to_owned(),
            Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
        );
    }
    let method = req.method().to_string();
    let path = req.uri().to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let json = serde_json::json!({
        "method": method, "path": path, "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    Ok(Response::new(Full::new(Bytes::from(json.to_string()))))
}

impl Upstream {
    pub fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            runtime().block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            let tls = tls.clone();
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(echo);
                                let builder = hyper::server::conn::http1::Builder::new();
                                match tls {
                                    Some(config) => {
                                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                                        if let Ok(stream) = acceptor.accept(tcp).await {
                                            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                                        }
                                    }
                                    None => {
                                        let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                                    }
                                }
                            });
                        }
                    }
                }
            });
        });
        Self {
            addr: addr_rx.recv_timeout(Duration::from_secs(10)).unwrap(),
            stop: Some(stop),
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Accepts any server certificate (the tests check the gateway, not its certificate).
#[derive(Debug)]
struct AnyServer(rustls::crypto::WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// A client config presenting `identity` (if any), trusting any server.
pub fn client_config(identity: Option<&Identity>) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(
            provider.signature_verification_algorithms,
        )));
    Arc::new(match identity {
        Some(id) => builder
            .with_client_auth_cert(id.chain.clone(), id.key())
            .unwrap(),
        None => builder.with_no_client_auth(),
    })
}

/// A response as the tests read it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: String,
    pub content_type: Option<String>,
    /// Whether the TLS session was resumed.
    pub resumed: bool,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: status {} body {}", self.status, self.body))
    }
    /// A header the echo upstream received (lower-case name).
    pub fn upstream_header(&self, name: &str) -> Option<String> {
        self.json()["headers"][name].as_str().map(str::to_owned)
    }
}

async fn exchange<S>(
    io: S,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, Option<String>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder().uri(path).header("host", host);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let resp = sender
        .send_request(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        content_type,
    )
}

/// One GET over TLS to `addr` with SNI and Host `sni`.
pub fn https_with(
    config: &Arc<ClientConfig>,
    addr: SocketAddr,
    sni: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Resp {
    runtime().block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from(sni.to_owned()).unwrap();
        let tls = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp),
        )
        .await
        .unwrap()
        .unwrap();
        let resumed = tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        let (status, body, content_type) =
            tokio::time::timeout(Duration::from_secs(10), exchange(tls, sni, path, headers))
                .await
                .unwrap();
        Resp {
            status,
            body,
            content_type,
            resumed,
        }
    })
}

/// One GET over TLS, presenting `identity` if any.
pub fn https(
    addr: SocketAddr,
    sni: &str,
    identity: Option<&Identity>,
    path: &str,
    headers: &[(&str, &str)],
) -> Resp {
    https_with(&client_config(identity), addr, sni, path, headers)
}

/// One GET over plain HTTP.
pub fn http(addr: SocketAddr, host: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    runtime().block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (status, body, content_type) =
            tokio::time::timeout(Duration::from_secs(10), exchange(tcp, host, path, headers))
                .await
                .unwrap();
        Resp {
            status,
            body,
            content_type,
            resumed: false,
        }
    })
}

/// Whether a command-line tool is installed; prints a note when it is not.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
        || Command::new(tool)
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
    if !ok {
        println!("note: `{tool}` is not installed; skipping the cases that use it");
    }
    ok
}
