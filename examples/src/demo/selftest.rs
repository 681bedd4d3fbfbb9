//! `mtls demo --self-test`: the tutorial's requests over real TLS (the client trusts only the
//! demo's root CA), expected against actual.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{PrivateKeyDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};

use super::pki::{Pair, Pki};

/// What a request got: status, and who the upstream was told the client is.
pub(super) struct Outcome {
    /// The HTTP status.
    pub(super) status: u16,
    /// The consumer column (see `consumer_of`).
    pub(super) consumer: String,
}

/// The consumer column: X-Consumer-Username, else the authenticated groups, else `-`.
fn consumer_of(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return "-".to_owned();
    };
    let headers = &v["headers"];
    if let Some(u) = headers["X-Consumer-Username"].as_str() {
        return u.to_owned();
    }
    if let Some(g) = headers["X-Authenticated-Groups"].as_str() {
        return format!("group:{g}");
    }
    "-".to_owned()
}

async fn exchange<S>(
    io: S,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Outcome, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = Request::builder().uri(path).header("host", host);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let req = req
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(Outcome {
        status,
        consumer: consumer_of(&body),
    })
}

fn client_config(
    root: &Pair,
    identity: Option<&Pair>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    for der in &root.chain {
        roots.add(der.clone()).map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match identity {
        Some(p) => builder
            .with_client_auth_cert(
                p.chain.clone(),
                PrivateKeyDer::Pkcs8(p.key_der.clone().into()),
            )
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// One request, bounded in time.
async fn bounded(f: impl Future<Output = Result<Outcome, String>>) -> Result<Outcome, String> {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()))
}

/// One request over TLS to the gateway at `addr` (SNI localhost), trusting only the demo's
/// root CA, presenting `identity`.
pub(super) async fn https(
    pki: &Pki,
    addr: SocketAddr,
    identity: Option<&Pair>,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Outcome, String> {
    let config = client_config(&pki.root, identity)?;
    bounded(async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        exchange(tls, "localhost", path, headers).await
    })
    .await
}

async fn http(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<Outcome, String> {
    bounded(async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        exchange(tcp, "127.0.0.1", path, headers).await
    })
    .await
}

/// Sends every request, prints the table, and tells whether everything matched.
pub(super) async fn run(pki: &Pki, tls: SocketAddr, plain: SocketAddr) -> bool {
    let header = mtls_header::encode::url_encoded_pem(&pki.alice.chain);
    type Case<'a> = (&'a str, u16, &'a str);
    let forged = [("X-Consumer-Username", "mallory")];
    let cases: Vec<(Case<'_>, _)> = vec![
        (
            ("GET /mtls, no certificate", 401, "-"),
            https(pki, tls, None, "/mtls", &[]).await,
        ),
        (
            ("GET /mtls, alice (email SAN)", 200, "alice"),
            https(pki, tls, Some(&pki.alice), "/mtls", &[]).await,
        ),
        (
            ("GET /mtls, partner (CN only)", 200, "partner"),
            https(pki, tls, Some(&pki.partner), "/mtls", &[]).await,
        ),
        (
            ("GET /mtls, untrusted CA", 401, "-"),
            https(pki, tls, Some(&pki.untrusted), "/mtls", &[]).await,
        ),
        (
            ("GET /mtls, expired", 401, "-"),
            https(pki, tls, Some(&pki.expired), "/mtls", &[]).await,
        ),
        (
            ("GET /mtls, alice + forged X-Consumer-*", 200, "alice"),
            https(pki, tls, Some(&pki.alice), "/mtls", &forged).await,
        ),
        (
            ("GET /partner, partner (acl)", 200, "group:partner"),
            https(pki, tls, Some(&pki.partner), "/partner", &[]).await,
        ),
        (
            ("GET /partner, alice (acl)", 403, "-"),
            https(pki, tls, Some(&pki.alice), "/partner", &[]).await,
        ),
        (
            ("GET /header, X-Client-Cert (http)", 200, "alice"),
            http(plain, "/header", &[("X-Client-Cert", &header)]).await,
        ),
        (
            ("GET /header, no header (http)", 401, "-"),
            http(plain, "/header", &[]).await,
        ),
    ];
    let width = cases.iter().map(|((n, ..), _)| n.len()).max().unwrap_or(0);
    println!(
        "{:width$}  {:>8}  {:>6}  {:>14}  {:>14}  result",
        "request", "expected", "actual", "exp. consumer", "consumer"
    );
    let mut all = true;
    for ((name, status, consumer), outcome) in cases {
        let (actual_status, actual_consumer) = match &outcome {
            Ok(o) => (o.status.to_string(), o.consumer.clone()),
            Err(e) => (format!("error: {e}"), "-".to_owned()),
        };
        let ok = outcome
            .as_ref()
            .is_ok_and(|o| o.status == status && o.consumer == consumer);
        all &= ok;
        println!(
            "{name:width$}  {status:>8}  {actual_status:>6}  {consumer:>14}  {actual_consumer:>14}  {}",
            if ok { "ok" } else { "MISMATCH" }
        );
    }
    println!();
    if all {
        println!("self-test passed");
    } else {
        println!("self-test FAILED");
    }
    all
}
