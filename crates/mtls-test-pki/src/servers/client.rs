//! One request over rustls + hyper (or plain hyper), read as a [`Resp`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde_json::Value;

use super::{provider, runtime};
use crate::Node;

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

/// A client config presenting `identity`'s chain and key (if any), trusting any server.
pub fn client_config(identity: Option<&Node>) -> Arc<ClientConfig> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(
            provider.signature_verification_algorithms,
        )));
    Arc::new(match identity {
        Some(id) => builder
            .with_client_auth_cert(id.chain(), id.key_der())
            .unwrap(),
        None => builder.with_no_client_auth(),
    })
}

/// A response as the tests read it.
#[derive(Debug)]
pub struct Resp {
    /// The status code.
    pub status: u16,
    /// The body (lossy UTF-8).
    pub body: String,
    /// The `content-type` header.
    pub content_type: Option<String>,
    /// Whether the TLS session was resumed.
    pub resumed: bool,
}

impl Resp {
    /// The body as JSON.
    ///
    /// # Panics
    /// If it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: status {} body {}", self.status, self.body))
    }

    /// A header the recording [`super::Upstream`] received (lower-case name).
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

/// One exchange on `io`, at most 10 s.
async fn timed<S>(io: S, host: &str, path: &str, headers: &[(&str, &str)], resumed: bool) -> Resp
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (status, body, content_type) =
        tokio::time::timeout(Duration::from_secs(10), exchange(io, host, path, headers))
            .await
            .unwrap();
    Resp {
        status,
        body,
        content_type,
        resumed,
    }
}

/// One GET over TLS to `addr` with SNI and Host `sni` (10 s for the handshake, 10 s for the
/// exchange).
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
        timed(tls, sni, path, headers, resumed).await
    })
}

/// One GET over TLS, presenting `identity` if any.
pub fn https(
    addr: SocketAddr,
    sni: &str,
    identity: Option<&Node>,
    path: &str,
    headers: &[(&str, &str)],
) -> Resp {
    https_with(&client_config(identity), addr, sni, path, headers)
}

/// One GET over plain HTTP (10 s for the exchange).
pub fn http(addr: SocketAddr, host: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    runtime().block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        timed(tcp, host, path, headers, false).await
    })
}
