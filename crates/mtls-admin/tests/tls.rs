//! The Admin API over TLS, requiring a client certificate that mtls-cert validates: real
//! curl with and without one, and with one from another CA.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;
use std::sync::Arc;

use mtls_admin::tls::RequestClientCertificate;
use mtls_admin::{Admin, AdminSettings, AdminTls};
use mtls_kong_config::Loader;
use support::{ValidatingNode, curl_async, start, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_are_required_and_validated() {
    let dir = temp_dir("tls");
    let root = mtls_test_pki::Node::root("admin root");
    let server = mtls_test_pki::server_profile(&["localhost"])
        .ip(std::net::Ipv4Addr::LOCALHOST)
        .signed_by(&root);
    let client = root.client("admin client", None, false);
    let stranger = mtls_test_pki::Node::root("stranger").client("stranger", None, false);
    for (name, pem) in [
        ("root.crt", root.pem()),
        ("client.crt", client.pem()),
        ("client.key", client.key_pem()),
        ("stranger.crt", stranger.pem()),
        ("stranger.key", stranger.key_pem()),
    ] {
        std::fs::write(dir.join(name), pem).expect("write");
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = vec![server.der()];
    let key = server.key_der();
    let config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(Arc::new(RequestClientCertificate::new(provider)))
        .with_single_cert(chain, key)
        .expect("server config");
    let ca = mtls_cert::CaCertificate::new(
        uuid::Uuid::new_v4(),
        root.pem().as_bytes(),
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
