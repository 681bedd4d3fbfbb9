//! `mtls serve` end to end: header-cert-auth from a trusted and an untrusted peer, and mutual
//! TLS to an upstream that requires a client certificate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use std::sync::Arc;

use serve_support::*;

const CA_ID: &str = "0b7c3e52-9a51-4c1a-8f0e-1f6c2d3b4a59";
const CERT_ID: &str = "c3d1f0a2-5b6e-4f7a-9c8d-0e1f2a3b4c5d";

fn header_config(root: &Node, upstream: &Upstream) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{root}
services:
  - name: echo
    url: http://{up}/anything
    routes:
      - name: header-route
        paths: [/hca]
        plugins:
          - name: header-cert-auth
            config:
              ca_certificates: [{CA_ID}]
              certificate_header_name: X-Client-Cert
              certificate_header_format: url_encoded
consumers:
  - username: alice
"#,
        root = yaml_block(&root.pem(), 6),
        up = upstream.addr,
    )
}

#[test]
fn header_cert_auth_from_trusted_and_untrusted_peers() {
    let dir = TempDir::new("header");
    let root = Node::root("Header Root CA");
    let inter = root.intermediate("Header Issuing CA");
    let alice = inter.client("alice", Some("alice@example.com"), false);
    let upstream = Upstream::start(None);
    let path = dir.write("kong.yaml", &header_config(&root, &upstream));
    let header = url_encode(&alice.chain_pem());

    // The gateway trusts 127.0.0.1 (the test's address): the header is believed.
    let trusted = Gateway::start(
        MTLS,
        &dir,
        &path,
        &["--trusted-ips", "127.0.0.1,10.0.0.0/8"],
    );
    let r = http(
        trusted.http,
        "api.test",
        "/hca",
        &[("X-Client-Cert", &header)],
    );
    assert_eq!(r.status, 200, "{}\n{}", r.body, trusted.log());
    assert_eq!(
        r.upstream_header("x-consumer-username").as_deref(),
        Some("alice")
    );
    let r = http(trusted.http, "api.test", "/hca", &[]);
    assert_eq!(r.status, 401, "{}", r.body);
    // Over TLS too (the header is what counts, not the connection's certificate).
    let r = https(
        trusted.tls,
        "api.test",
        None,
        "/hca",
        &[("X-Client-Cert", &header)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    drop(trusted);

    // Not trusted: the header is refused.
    let untrusted = Gateway::start(MTLS, &dir, &path, &[]);
    let r = http(
        untrusted.http,
        "api.test",
        "/hca",
        &[("X-Client-Cert", &header)],
    );
    assert!(matches!(r.status, 401 | 403), "{} {}", r.status, r.body);
    assert_eq!(
        r.content_type
            .as_deref()
            .map(|c| c.starts_with("application/json")),
        Some(true)
    );
    let log = untrusted.log();
    assert!(log.contains("header-cert-auth"), "{log}");
}

fn upstream_tls(root: &Node) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.der()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let server = root.server(&["127.0.0.1"]);
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(server.chain(), server.key_der())
            .unwrap(),
    )
}

#[test]
fn upstream_mutual_tls() {
    let dir = TempDir::new("upstream");
    let root = Node::root("Upstream Root CA");
    let client = root.client("gateway", None, false);
    let upstream = Upstream::start(Some(upstream_tls(&root)));
    let config = format!(
        r#"_format_version: "3.0"
certificates:
  - id: {CERT_ID}
    cert: |
{cert}
    key: |
{key}
services:
  - name: with-cert
    url: https://{up}/anything
    client_certificate: {CERT_ID}
    routes:
      - name: with-cert
        paths: [/with]
  - name: without-cert
    url: https://{up}/anything
    routes:
      - name: without-cert
        paths: [/without]
"#,
        cert = yaml_block(&client.pem(), 6),
        key = yaml_block(&client.key_pem(), 6),
        up = upstream.addr,
    );
    let path = dir.write("kong.yaml", &config);
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    let r = http(gateway.http, "api.test", "/with/x", &[]);
    assert_eq!(r.status, 200, "{}\n{}", r.body, gateway.log());
    assert_eq!(r.json()["path"], "/anything/x");
    let r = http(gateway.http, "api.test", "/without", &[]);
    assert_eq!(r.status, 502, "{}", r.body);
    drop(gateway);

    // Kong's client_ssl_cert / client_ssl_cert_key: the default for services without one.
    let (cert, key) = dir.save(&client, "default-client");
    let gateway = Gateway::start(
        MTLS,
        &dir,
        &path,
        &[
            "--client-ssl-cert",
            cert.to_str().unwrap(),
            "--client-ssl-cert-key",
            key.to_str().unwrap(),
        ],
    );
    let r = http(gateway.http, "api.test", "/without", &[]);
    assert_eq!(r.status, 200, "{}\n{}", r.body, gateway.log());
}
