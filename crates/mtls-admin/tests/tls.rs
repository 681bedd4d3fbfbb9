//! The Admin API over TLS, requiring a client certificate that mtls-cert validates: real
//! curl with and without one, and with one from another CA.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use std::sync::Arc;

use mtls_admin::tls::RequestClientCertificate;
use mtls_admin::{Admin, AdminSettings, AdminTls};
use mtls_kong_config::Loader;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use support::{ValidatingNode, curl_async, start, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_are_required_and_validated() {
    let dir = temp_dir("tls");
    let root_key = KeyPair::generate().expect("key");
    let mut root = CertificateParams::new(Vec::<String>::new()).expect("params");
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.distinguished_name
        .push(rcgen::DnType::CommonName, "admin root");
    let root_cert = root.self_signed(&root_key).expect("root");
    let issuer = Issuer::new(root, &root_key);
    let server_key = KeyPair::generate().expect("key");
    let mut server = CertificateParams::new(Vec::<String>::new()).expect("params");
    server.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
    server
        .distinguished_name
        .push(rcgen::DnType::CommonName, "admin server");
    let server_cert = server.signed_by(&server_key, &issuer).expect("server");
    let client_key = KeyPair::generate().expect("key");
    let mut client = CertificateParams::new(vec!["admin.example".to_owned()]).expect("params");
    client
        .distinguished_name
        .push(rcgen::DnType::CommonName, "admin client");
    let client_cert = client.signed_by(&client_key, &issuer).expect("client");
    let stranger_key = KeyPair::generate().expect("key");
    let mut stranger = CertificateParams::new(vec!["stranger.example".to_owned()]).expect("params");
    stranger
        .distinguished_name
        .push(rcgen::DnType::CommonName, "stranger");
    let stranger = stranger.self_signed(&stranger_key).expect("stranger");
    for (name, pem) in [
        ("root.crt", root_cert.pem()),
        ("client.crt", client_cert.pem()),
        ("client.key", client_key.serialize_pem()),
        ("stranger.crt", stranger.pem()),
        ("stranger.key", stranger_key.serialize_pem()),
    ] {
        std::fs::write(dir.join(name), pem).expect("write");
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = vec![CertificateDer::from(server_cert.der().to_vec())];
    let key = PrivateKeyDer::from_pem_slice(server_key.serialize_pem().as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(Arc::new(RequestClientCertificate::new(provider)))
        .with_single_cert(chain, key)
        .expect("server config");
    let ca = mtls_cert::CaCertificate::new(
        uuid::Uuid::new_v4(),
        root_cert.pem().as_bytes(),
        rustls::pki_types::UnixTime::now(),
    )
    .expect("ca");
    let tls = AdminTls::with_client_cas(
        Arc::new(config),
        mtls_cert::CaSet::new(vec![ca]).expect("set"),
    );
    let node = Arc::new(ValidatingNode::default());
    let admin = Admin::db_less(
        mtls_kong_config::Config::builder().build().expect("empty"),
        Loader::new(),
        node.clone(),
        AdminSettings::default(),
    )
    .expect("admin");
    let running = start(admin, node, Some(tls)).await;
    let url = format!("https://127.0.0.1:{}/status", running.addr.port());
    let file = |n: &str| dir.join(n).display().to_string();

    // Without a certificate: the handshake fails.
    let out = tokio::task::spawn_blocking({
        let (url, ca) = (url.clone(), file("root.crt"));
        move || {
            Command::new("curl")
                .args(["-s", "--max-time", "10", "--cacert", &ca, &url])
                .output()
        }
    })
    .await
    .expect("task")
    .expect("curl");
    assert!(!out.status.success(), "{out:?}");
    // With one the CA issued: served.
    let (status, body) = curl_async(vec![
        "--cacert".into(),
        file("root.crt"),
        "--cert".into(),
        file("client.crt"),
        "--key".into(),
        file("client.key"),
        url.clone(),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["server"]["total_requests"].is_u64());
    // With one from elsewhere: 401.
    let (status, body) = curl_async(vec![
        "--cacert".into(),
        file("root.crt"),
        "--cert".into(),
        file("stranger.crt"),
        "--key".into(),
        file("stranger.key"),
        url,
    ])
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["message"], "a valid client certificate is required");
    running.stop().await;
}
