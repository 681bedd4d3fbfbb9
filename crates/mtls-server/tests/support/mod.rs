//! The gateway in-process on loopback (mtls-server's `start`), its PKI from mtls-test-pki, and
//! raw HTTP/2 clients (the `h2` crate, and hand-written frames for the abuse tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    unused_imports,
    unreachable_pub,
    missing_docs
)]

pub mod frames;

use std::net::SocketAddr;
use std::sync::Arc;

use mtls_gateway::{CompileOptions, ServerCertificates, Snapshot, SnapshotHandle};
use mtls_server::{AccessLog, Listen, Metrics, Running, ServerOptions};
pub use mtls_test_pki::servers::{Upstream, client_config};
pub use mtls_test_pki::{Node, TempDir, yaml_block};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub const CA_ID: &str = "7f1c2e3d-4b5a-4c6d-8e9f-0a1b2c3d4e01";

/// The test's PKI: a root, the client `alice` it issued, and one server certificate for
/// both `mtls.test` and `open.test` (so a client may coalesce them onto one connection).
pub struct Pki {
    pub root: Node,
    pub alice: Node,
    pub server: Node,
}

impl Pki {
    pub fn new() -> Self {
        let root = Node::root("H2 Test Root");
        let alice = root.client("alice", None, false);
        let server = root.server(&["mtls.test", "open.test", "other.test", "localhost"]);
        Self {
            root,
            alice,
            server,
        }
    }
}

/// `mtls.test` needs a client certificate (mtls-auth), `open.test` does not; both proxy to
/// `upstream` (`http://` or another scheme: `grpc://`).
pub fn config(pki: &Pki, upstream: &str, protocols: &str) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{root}
services:
  - name: echo
    url: {upstream}
    routes:
      - name: secure
        hosts: [mtls.test]
        protocols: {protocols}
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
      - name: open
        hosts: [open.test]
        protocols: {protocols}
consumers:
  - username: alice
"#,
        root = yaml_block(&pki.root.pem(), 6),
    )
}

/// A started gateway (TLS and plain listeners on ephemeral ports).
pub struct Gateway {
    pub running: Running,
    pub tls: SocketAddr,
    pub plain: SocketAddr,
    pub handle: Arc<SnapshotHandle>,
}

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Compiles `yaml` as version `version`, with `server` as the gateway's certificate, ALPN
/// `h2, http/1.1`.
pub fn compile(yaml: &str, server: &Node, version: u64) -> Snapshot {
    let (config, warnings) = mtls_kong_config::load_str(yaml).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut options = CompileOptions::new(provider());
    options.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    options.default_server_certificate =
        Some(ServerCertificates::load_key(server.chain(), server.key_der(), &provider()).unwrap());
    Snapshot::compile(&config, version, &options).unwrap()
}

/// A handle holding [`compile`]'s snapshot.
pub fn snapshot(yaml: &str, server: &Node) -> SnapshotHandle {
    SnapshotHandle::try_new(|v| Ok::<_, std::convert::Infallible>(compile(yaml, server, v)))
        .unwrap()
}

impl Gateway {
    pub async fn start(yaml: &str, server: &Node) -> Self {
        Self::start_with(yaml, server, |_| {}).await
    }

    pub async fn start_with(
        yaml: &str,
        server: &Node,
        customise: impl FnOnce(&mut ServerOptions),
    ) -> Self {
        let handle = Arc::new(snapshot(yaml, server));
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut options = ServerOptions::new(vec![
            Listen {
                addr: any,
                tls: true,
            },
            Listen {
                addr: any,
                tls: false,
            },
        ]);
        customise(&mut options);
        let running = mtls_server::start(
            options,
            Arc::clone(&handle),
            Arc::new(Metrics::new()),
            AccessLog::default(),
        )
        .await
        .unwrap();
        Self {
            tls: running.addr(true).unwrap(),
            plain: running.addr(false).unwrap(),
            running,
            handle,
        }
    }
}

/// A TLS connection to `addr` with `sni`, offering `alpn`, presenting `identity`.
pub async fn tls_connect(
    addr: SocketAddr,
    sni: &str,
    identity: Option<&Node>,
    alpn: &[&[u8]],
) -> TlsStream<TcpStream> {
    let mut config = (*client_config(identity)).clone();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(sni.to_owned().try_into().unwrap(), tcp)
        .await
        .unwrap()
}

/// An HTTP/2 client connection (the `h2` crate) over `io`.
pub async fn h2_client<T>(io: T) -> h2::client::SendRequest<bytes::Bytes>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = h2::client::handshake(io).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    send
}

/// One HTTP/2 GET for `authority`/`path` on `send`: the status and the body.
pub async fn h2_get(
    send: &mut h2::client::SendRequest<bytes::Bytes>,
    scheme: &str,
    authority: &str,
    path: &str,
) -> (u16, String) {
    let req = http::Request::get(format!("{scheme}://{authority}{path}"))
        .body(())
        .unwrap();
    let ready = send.clone().ready().await.unwrap();
    *send = ready;
    let (response, _) = send.send_request(req, true).unwrap();
    let response = response.await.unwrap();
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        out.extend_from_slice(&chunk);
    }
    (status, String::from_utf8_lossy(&out).into_owned())
}

/// curl's output: the status line's code, stdout (the body), stderr (`-v`).
pub struct Curl {
    pub status: u16,
    pub body: String,
    pub verbose: String,
}

/// Runs `curl -sv` with `args`, the status code written last on stdout.
pub async fn curl(args: Vec<String>) -> Curl {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("curl")
            .args(["-sv", "--max-time", "20", "-w", "\n%{http_code}"])
            .args(&args)
            .output()
            .expect("curl runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
        Curl {
            status: code.trim().parse().unwrap_or(0),
            body: body.to_owned(),
            verbose: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

/// `--resolve NAME:PORT:127.0.0.1` for each name.
pub fn resolve(names: &[&str], addr: SocketAddr) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| {
            [
                "--resolve".to_owned(),
                format!("{n}:{}:127.0.0.1", addr.port()),
            ]
        })
        .collect()
}

/// The upstream's record of a request (the JSON mtls-test-pki's `Upstream` answers).
pub fn upstream_header(body: &str, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v["headers"][name].as_str().map(str::to_owned)
}
