//! The axum embedding example (examples/axum_mtls.rs) runs: an app with a few lines added
//! refuses a request without a client certificate as Kong does, and serves one with a
//! certificate, with the consumer in its extensions.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

#[path = "../examples/axum_mtls.rs"]
mod axum_mtls;

use mtls_test_pki::servers::https;
use mtls_test_pki::{email_san_leaf, root, yaml_block};

const CA_ID: &str = "0c6f5a8e-1b2d-4c3e-8f9a-7b6c5d4e3f21";

#[test]
fn an_axum_app_with_kong_mtls() {
    let ca = root("Axum Example Root");
    let alice = email_san_leaf(&ca);
    let kong_yaml = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca_pem}
services:
  - name: app
    url: http://127.0.0.1:1
    routes:
      - name: hello
        paths: [/hello]
        strip_path: false
plugins:
  - name: mtls-auth
    config:
      ca_certificates: [{CA_ID}]
consumers:
  - username: alice
    mtls_auth_credentials:
      - subject_name: {email}
"#,
        ca_pem = yaml_block(&ca.pem(), 6),
        email = mtls_test_pki::CLIENT_EMAIL,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move { axum_mtls::serve(listener, &kong_yaml).await });

    let without = https(addr, "localhost", None, "/hello", &[]);
    assert_eq!(without.status, 401, "{without:?}");
    assert_eq!(
        without.body,
        r#"{"message":"No required TLS certificate was sent"}"#
    );
    let with = https(addr, "localhost", Some(&alice), "/hello", &[]);
    assert_eq!(with.status, 200, "{with:?}");
    assert_eq!(with.body, "hello alice\n");
    // A forged identity header never reaches the app's view of the consumer.
    let forged = https(
        addr,
        "localhost",
        Some(&alice),
        "/hello",
        &[("X-Consumer-Username", "admin")],
    );
    assert_eq!(forged.body, "hello alice\n");
    let unrouted = https(addr, "localhost", Some(&alice), "/other", &[]);
    assert_eq!(unrouted.status, 404);
}
