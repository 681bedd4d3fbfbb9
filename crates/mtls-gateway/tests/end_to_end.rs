//! Kong's DB-less mTLS example, end to end in memory: load the YAML, compile a snapshot, run a
//! real rustls handshake through the per-SNI selector, and plan the request with the peer
//! certificates. Then reload without the CA: the same client (same session) is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod config_support;

use std::sync::Arc;

use config_support::{block, ca, mtls_example};
use mtls_cert::pki_types::{ServerName, UnixTime};
use mtls_gateway::{
    ClientAuth, CompileOptions, Connection, Plan, RequestHead, ServerCertificates, Snapshot,
    SnapshotHandle, TlsInfo,
};
use mtls_kong_config::load_str;
use mtls_test_pki::CertSpec;
use rustls::server::Acceptor;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConnection};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn handshake(
    snapshot: &Snapshot,
    client: Arc<ClientConfig>,
    sni: &str,
) -> (ServerConnection, ClientAuth) {
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
    let client_auth = config.client_auth.clone();
    let mut s = accepted
        .into_connection(config.config)
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
    (s, client_auth)
}

/// `GET path` with `Host: host`.
fn get(path: &str, host: &str) -> (http::Method, http::Uri, http::HeaderMap) {
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::HOST, host.parse().unwrap());
    (http::Method::GET, path.parse().unwrap(), headers)
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
    let (server, client_auth) = handshake(&snapshot, Arc::clone(&client), "example.com");
    assert!(client_auth.requested());
    let tls = TlsInfo {
        sni: Some("example.com".to_owned()),
        peer_certificates: server.peer_certificates().map(<[_]>::to_vec),
        client_auth,
    };
    let conn = Connection {
        peer: "127.0.0.1:40000".parse().unwrap(),
        local_port: 8443,
        tls: Some(&tls),
    };
    let (method, uri, headers) = get("/mtls/anything", "example.com");
    let head = RequestHead {
        method: &method,
        uri: &uri,
        version: http::Version::HTTP_11,
        headers: &headers,
    };
    // The built-in router finds the route (paths [/mtls], snis, https), mtls-auth the consumer.
    match snapshot.plan(&conn, &head, UnixTime::now()) {
        Plan::Proxy(proxy) => {
            assert_eq!(&*proxy.route.label, "example-route");
            assert_eq!(proxy.route.plugins, ["mtls-auth"]);
            assert_eq!(
                proxy.allow.consumer.as_ref().unwrap().username(),
                Some("kongclient")
            );
            assert!(
                proxy
                    .set
                    .iter()
                    .any(|(n, v)| n == "x-consumer-username" && v == "kongclient")
            );
        }
        other => panic!("{other:?}"),
    }
    // Over plain HTTP the https-only route answers 426.
    let plain = Connection { tls: None, ..conn };
    match snapshot.plan(&plain, &head, UnixTime::now()) {
        Plan::Respond(r) => assert_eq!(r.status, 426, "{r:?}"),
        other => panic!("{other:?}"),
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
    match handle.load().plan(&conn, &head, UnixTime::now()) {
        Plan::Respond(r) => {
            assert_eq!(r.status, 401);
            assert_eq!(
                r.body,
                r#"{"message":"TLS certificate failed verification"}"#
            );
            assert_eq!(r.refused_by, Some("mtls-auth"));
        }
        other => panic!("{other:?}"),
    }
    // The old snapshot, still held by an in-flight request, is unchanged.
    assert_eq!(snapshot.version(), 1);
}
