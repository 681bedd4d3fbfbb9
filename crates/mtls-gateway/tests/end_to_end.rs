//! Kong's DB-less mTLS example, end to end in memory: load the YAML, compile a snapshot, run a
//! real rustls handshake through the per-SNI selector, and decide the request with the peer
//! certificates. Then reload without the CA: the same client (same session) is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod config_support;

use std::net::IpAddr;
use std::sync::Arc;

use config_support::{block, ca, mtls_example};
use mtls_cert::pki_types::{CertificateDer, ServerName, UnixTime};
use mtls_gateway::config::load_str;
use mtls_gateway::{
    CompileOptions, Decision, RequestFacts, ServerCertificates, Snapshot, SnapshotHandle,
};
use mtls_test_pki::CertSpec;
use rustls::server::Acceptor;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConnection};

const NO_HEADERS: [(&str, &str); 0] = [];

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn handshake(snapshot: &Snapshot, client: Arc<ClientConfig>, sni: &str) -> ServerConnection {
    let mut c =
        ClientConnection::new(client, ServerName::try_from(sni.to_owned()).unwrap()).unwrap();
    let mut acceptor = Acceptor::default();
    let mut buf = Vec::new();
    let accepted = loop {
        buf.clear();
        c.write_tls(&mut buf).unwrap();
        acceptor.read_tls(&mut buf.as_slice()).unwrap();
        if let Some(a) = acceptor.accept().map_err(|(e, _)| e).unwrap() {
            break a;
        }
    };
    let config = snapshot
        .handshake()
        .select(accepted.client_hello().server_name());
    let mut s = accepted
        .into_connection(config)
        .map_err(|(e, _)| e)
        .unwrap();
    while s.is_handshaking() || c.is_handshaking() {
        buf.clear();
        s.write_tls(&mut buf).unwrap();
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            c.read_tls(&mut slice).unwrap();
        }
        c.process_new_packets().unwrap();
        buf.clear();
        c.write_tls(&mut buf).unwrap();
        let mut slice = buf.as_slice();
        while !slice.is_empty() {
            s.read_tls(&mut slice).unwrap();
        }
        s.process_new_packets().unwrap();
    }
    s
}

#[test]
fn kong_mtls_example_end_to_end_and_reload() {
    let test_ca = ca("Kong Example Root");
    // The client certificate Kong's tutorial maps: SAN client.example.com.
    let client_cert = CertSpec::new()
        .cn("kongclient")
        .dns("client.example.com")
        .signed_by(&test_ca.node);
    // The gateway's server certificate (self-signed default).
    let server_cert = CertSpec::names(&["example.com"]).self_signed();
    let mut options = CompileOptions::new(provider());
    options.default_server_certificate = Some(
        ServerCertificates::load_key(
            vec![server_cert.der().clone()],
            server_cert.key_der(),
            &provider(),
        )
        .unwrap(),
    );

    let yaml = mtls_example(&test_ca.pem);
    let (config, warnings) = load_str(&yaml).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let handle = SnapshotHandle::try_new(|v| Snapshot::compile(&config, v, &options)).unwrap();

    let mut roots = RootCertStore::empty();
    roots.add(server_cert.der().clone()).unwrap();
    let client = Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(vec![client_cert.der().clone()], client_cert.key_der())
            .unwrap(),
    );

    let snapshot = handle.load();
    let server = handshake(&snapshot, Arc::clone(&client), "example.com");
    let peer: Vec<CertificateDer<'static>> = server.peer_certificates().unwrap().to_vec();
    let facts = RequestFacts {
        peer_certificates: Some(&peer),
        headers: &NO_HEADERS,
        peer_addr: IpAddr::from([127, 0, 0, 1]),
        has_credential: false,
        now: UnixTime::now(),
    };
    // The built-in router finds the route (paths [/mtls], snis, https).
    let request = mtls_gateway::router::RequestInfo {
        host: "example.com",
        port: 443,
        path: "/mtls/anything",
        method: "GET",
        sni: Some("example.com"),
        protocol: mtls_gateway::router::RequestProtocol::Https,
        http2: false,
        headers: &NO_HEADERS,
    };
    let route_id = snapshot.route_request(&request).unwrap().to_owned();
    assert_eq!(
        snapshot.route(&route_id).map(|r| r.mtls_auth.is_some()),
        Some(true)
    );
    let plain = mtls_gateway::router::RequestInfo {
        protocol: mtls_gateway::router::RequestProtocol::Http,
        sni: None,
        ..request
    };
    assert_eq!(
        snapshot.route_request(&plain),
        None,
        "the route is https only"
    );
    match block_on(snapshot.decide("example-route", &facts)) {
        Decision::Allow(allow) => {
            assert_eq!(allow.consumer.unwrap().username(), Some("kongclient"));
            assert!(
                allow
                    .set
                    .iter()
                    .any(|(n, v)| n == "X-Consumer-Username" && v == "kongclient")
            );
        }
        Decision::Deny(d) => panic!("{d:?}"),
    }

    // Reload with the CA no longer trusted by the plugin: same certificates, refused.
    let other = ca("Another Root");
    let yaml2 = yaml.replace(&block(&test_ca.pem, 6), &block(&other.pem, 6));
    let (config2, _) = load_str(&yaml2).unwrap();
    assert_eq!(
        handle
            .reload(|v| Snapshot::compile(&config2, v, &options))
            .unwrap(),
        2
    );
    match block_on(handle.load().decide("example-route", &facts)) {
        Decision::Deny(d) => {
            assert_eq!(d.status, 401);
            assert_eq!(
                d.body,
                r#"{"message":"TLS certificate failed verification"}"#
            );
        }
        Decision::Allow(a) => panic!("{a:?}"),
    }
    // The old snapshot, still held by an in-flight request, is unchanged.
    assert_eq!(snapshot.version(), 1);
}

/// Runs a future to completion on a current-thread runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}
