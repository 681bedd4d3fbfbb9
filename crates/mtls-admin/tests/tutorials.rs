//! The Admin API calls of both Kong mTLS tutorials (../shared/spec/tutorials.md: tutorial A
//! steps 1-5, 7 and 10, tutorial B steps 1, 2 and 4), run with the real curl against a real
//! server on a SQLite file; then the same data after a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{curl_async, pki, s, start_sqlite, temp_dir};

fn digest(path: &std::path::Path) -> String {
    let der = CertificateDer::from_pem_file(path).expect("pem");
    Sha256::digest(der.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_a_admin_api_steps_then_restart() {
    let dir = temp_dir("tutorial-a");
    let pki = pki(&dir);
    let server = start_sqlite(&dir).await;
    let url = |p: &str| server.url(p);

    // 1. A service, form-encoded.
    let (status, service) = curl_async(args(&[
        "-X",
        "POST",
        &url("/services"),
        "-d",
        "name=mtls-service",
        "-d",
        "url=https://httpbin.org/anything",
    ]))
    .await;
    assert_eq!(status, 201, "{service}");
    assert_eq!(service["host"], "httpbin.org");
    assert_eq!(service["protocol"], "https");
    assert_eq!(service["port"], 443);
    assert_eq!(service["path"], "/anything");
    assert!(service["created_at"].is_i64() && service["updated_at"].is_i64());
    assert_eq!(service["client_certificate"], Value::Null);

    // 2. A route on it, by the service's name.
    let (status, route) = curl_async(args(&[
        "-X",
        "POST",
        &url("/services/mtls-service/routes"),
        "-d",
        "name=mtls-route",
        "-d",
        "paths[]=/mtls",
    ]))
    .await;
    assert_eq!(status, 201, "{route}");
    assert_eq!(route["paths"], serde_json::json!(["/mtls"]));
    assert_eq!(route["service"]["id"], service["id"]);
    // Read-your-writes: the node serves the route before the answer came.
    assert_eq!(server.node.served().routes().len(), 1);

    // 3. Both CA certificates, as multipart files.
    let mut ca_ids = Vec::new();
    for file in [&pki.root, &pki.intermediate] {
        let (status, ca) = curl_async(args(&[
            &url("/ca_certificates"),
            "-F",
            &format!("cert=@{}", s(file)),
        ]))
        .await;
        assert_eq!(status, 201, "{ca}");
        assert_eq!(ca["cert_digest"], digest(file));
        assert_eq!(ca["tags"], Value::Null);
        assert!(ca["created_at"].is_i64());
        assert_eq!(
            ca["cert"].as_str().map(str::trim),
            std::fs::read_to_string(file).ok().as_deref().map(str::trim)
        );
        ca_ids.push(ca["id"].as_str().expect("id").to_owned());
    }

    // 4. mtls-auth, global, one field per CA id.
    let (status, plugin) = curl_async(args(&[
        "-X",
        "POST",
        &url("/plugins"),
        "-d",
        "name=mtls-auth",
        "-d",
        &format!("config.ca_certificates={}", ca_ids[0]),
        "-d",
        &format!("config.ca_certificates={}", ca_ids[1]),
    ]))
    .await;
    assert_eq!(status, 201, "{plugin}");
    assert_eq!(
        plugin["config"]["ca_certificates"],
        serde_json::json!(ca_ids)
    );
    assert_eq!(plugin["config"]["skip_consumer_lookup"], false);
    assert_eq!(plugin["service"], Value::Null);
    assert_eq!(server.node.served().plugins().len(), 1);

    // 5. A consumer named as the certificate's CN; or no consumer lookup and an ACL.
    let (status, consumer) = curl_async(args(&[
        "-X",
        "POST",
        &url("/consumers"),
        "-d",
        "username=kongclient",
    ]))
    .await;
    assert_eq!(status, 201, "{consumer}");
    assert_eq!(consumer["custom_id"], Value::Null);
    let (status, plugins) = curl_async(args(&[&url("/plugins")])).await;
    assert_eq!(status, 200);
    let id = plugins["data"]
        .as_array()
        .and_then(|d| d.iter().find(|p| p["name"] == "mtls-auth"))
        .and_then(|p| p["id"].as_str())
        .expect("the plugin is listed")
        .to_owned();
    let (status, patched) = curl_async(args(&[
        "-X",
        "PATCH",
        &url(&format!("/plugins/{id}")),
        "-d",
        "config.skip_consumer_lookup=true",
    ]))
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["config"]["skip_consumer_lookup"], true);
    // Deep merge: the CAs are kept.
    assert_eq!(
        patched["config"]["ca_certificates"],
        serde_json::json!(ca_ids)
    );
    let (status, acl) = curl_async(args(&[
        "-X",
        "POST",
        &url("/plugins"),
        "-d",
        "name=acl",
        "-d",
        "config.allow=kongclient",
    ]))
    .await;
    assert_eq!(status, 201, "{acl}");
    assert_eq!(acl["config"]["allow"], serde_json::json!(["kongclient"]));

    // 7. A manual mapping, with its CA; then consumer_by [] (JSON).
    let (status, mapping) = curl_async(args(&[
        "-X",
        "POST",
        &url("/consumers/kongclient/mtls-auth"),
        "-d",
        "subject_name=client@example.test",
        "-d",
        &format!("ca_certificate.id={}", ca_ids[0]),
    ]))
    .await;
    assert_eq!(status, 201, "{mapping}");
    assert_eq!(mapping["consumer"]["id"], consumer["id"]);
    assert_eq!(mapping["ca_certificate"]["id"], ca_ids[0].as_str());
    let (status, list) = curl_async(args(&[&url("/consumers/kongclient/mtls-auth")])).await;
    assert_eq!(
        (status, list["data"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let (status, owner) = curl_async(args(&[&url(&format!(
        "/mtls-auths/{}/consumer",
        mapping["id"].as_str().expect("id")
    ))]))
    .await;
    assert_eq!(
        (status, &owner["username"]),
        (200, &Value::from("kongclient"))
    );
    let (status, patched) = curl_async(args(&[
        "-X",
        "PATCH",
        &url(&format!("/plugins/{id}")),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"config": {"consumer_by": []}}"#,
    ]))
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["config"]["consumer_by"], serde_json::json!([]));

    // 10. Upstream mTLS for the service.
    let (status, cert) = curl_async(args(&[
        &url("/certificates"),
        "-F",
        &format!("cert=@{}", s(&pki.client_cert)),
        "-F",
        &format!("key=@{}", s(&pki.client_key)),
    ]))
    .await;
    assert_eq!(status, 201, "{cert}");
    assert_eq!(cert["snis"], Value::Null);
    let cert_id = cert["id"].as_str().expect("id").to_owned();
    let (status, service) = curl_async(args(&[
        "-X",
        "PATCH",
        &url("/services/mtls-service"),
        "-d",
        "protocol=https",
        "-d",
        &format!("client_certificate.id={cert_id}"),
    ]))
    .await;
    assert_eq!(status, 200, "{service}");
    assert_eq!(service["client_certificate"]["id"], cert_id.as_str());
    assert_eq!(
        server.node.served().services()[0]
            .client_certificate
            .map(|c| c.to_string()),
        Some(cert_id.clone())
    );

    // Everything is in the file: a new process sees the same entities.
    const PATHS: [&str; 8] = [
        "/services",
        "/routes",
        "/plugins",
        "/consumers",
        "/ca_certificates",
        "/certificates",
        "/mtls-auths",
        "/consumers/kongclient",
    ];
    let mut before = Vec::new();
    for p in PATHS {
        before.push(curl_async(args(&[&url(p)])).await);
    }
    server.stop().await;
    let server = start_sqlite(&dir).await;
    let mut after = Vec::new();
    for p in PATHS {
        after.push(curl_async(args(&[&server.url(p)])).await);
    }
    assert_eq!(before, after);
    assert_eq!(server.node.served().plugins().len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_b_admin_api_steps() {
    let dir = temp_dir("tutorial-b");
    let pki = pki(&dir);
    let server = start_sqlite(&dir).await;
    let url = |p: &str| server.url(p);

    // 1. The CA.
    let (status, ca) = curl_async(args(&[
        &url("/ca_certificates"),
        "-F",
        &format!("cert=@{}", s(&pki.root)),
    ]))
    .await;
    assert_eq!(status, 201, "{ca}");
    for field in ["cert", "id", "cert_digest", "created_at"] {
        assert!(!ca[field].is_null(), "{field} in {ca}");
    }
    assert_eq!(ca["tags"], Value::Null);
    let ca_id = ca["id"].as_str().expect("id").to_owned();

    // 2. mtls-auth, global.
    let (status, plugin) = curl_async(args(&[
        "-X",
        "POST",
        &url("/plugins"),
        "-d",
        "name=mtls-auth",
        "-d",
        &format!("config.ca_certificates={ca_id}"),
    ]))
    .await;
    assert_eq!(status, 201, "{plugin}");
    assert_eq!(plugin["enabled"], true);
    let served = server.node.served();
    assert_eq!(served.global_plugins().count(), 1);

    // 4. Kong to upstream, per service: the service's client_certificate.
    let (status, _) = curl_async(args(&[
        "-X",
        "POST",
        &url("/services"),
        "-d",
        "name=service_1",
        "-d",
        "url=https://upstream.internal:8443",
    ]))
    .await;
    assert_eq!(status, 201);
    let (status, cert) = curl_async(args(&[
        &url("/certificates"),
        "-F",
        &format!("cert=@{}", s(&pki.client_cert)),
        "-F",
        &format!("key=@{}", s(&pki.client_key)),
    ]))
    .await;
    assert_eq!(status, 201, "{cert}");
    let (status, service) = curl_async(args(&[
        "-X",
        "PATCH",
        &url("/services/service_1"),
        "-d",
        "protocol=https",
        "-d",
        &format!("client_certificate.id={}", cert["id"].as_str().expect("id")),
    ]))
    .await;
    assert_eq!(status, 200, "{service}");
    assert_eq!(service["client_certificate"]["id"], cert["id"]);
    // The certificate is still used: it cannot be deleted (Kong: restrict).
    let (status, refused) = curl_async(args(&[
        "-X",
        "DELETE",
        &url(&format!(
            "/certificates/{}",
            cert["id"].as_str().expect("id")
        )),
    ]))
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["code"], 4);
    server.stop().await;
}
