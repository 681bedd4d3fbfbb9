//! Kong's DB-less mode: the entity endpoints read-only over a declarative configuration,
//! writes 405 with code 12, `POST /config` replacing it whole (or not at all), `GET /config`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use mtls_admin::{Admin, AdminSettings};
use mtls_kong_config::Loader;
use serde_json::{Value, json};
use support::{Running, ValidatingNode, curl_async, start, temp_dir};

const CONFIG: &str = r#"
_format_version: "3.0"
services:
  - name: billing
    url: http://billing.internal
    routes:
      - name: billing
        paths: [/billing]
consumers:
  - username: alice
"#;

async fn call(server: &Running, list: &[&str]) -> (u16, Value) {
    let all = list
        .iter()
        .map(|a| {
            if a.starts_with('/') {
                server.url(a)
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    curl_async(all).await
}

async fn db_less() -> Running {
    let (config, _) = Loader::new().load_str(CONFIG).expect("config");
    let node = Arc::new(ValidatingNode::default());
    let admin = Admin::db_less(
        config,
        Loader::new(),
        node.clone(),
        AdminSettings::default(),
    )
    .expect("admin");
    start(admin, node, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_work_and_writes_are_refused() {
    let server = db_less().await;
    let (status, routes) = call(&server, &["/services/billing/routes"]).await;
    assert_eq!(
        (status, routes["data"][0]["name"].clone()),
        (200, json!("billing"))
    );
    let (status, consumer) = call(&server, &["/consumers/alice"]).await;
    assert_eq!(
        (status, consumer["username"].clone()),
        (200, json!("alice"))
    );
    let (status, body) = call(&server, &["-X", "POST", "/routes", "-d", "paths[]=/x"]).await;
    assert_eq!(status, 405);
    assert_eq!(
        body,
        json!({"code": 12, "name": "operation unsupported",
        "message": "cannot create 'routes' entities when not using a database"})
    );
    let (status, body) = call(&server, &["-X", "DELETE", "/consumers/alice"]).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            405,
            json!("cannot delete 'consumers' entities when not using a database")
        )
    );
    let (status, body) = call(&server, &["/status"]).await;
    assert_eq!(status, 200);
    assert!(
        body["configuration_hash"]
            .as_str()
            .is_some_and(|h| h.len() == 32),
        "{body}"
    );
    assert!(body.get("database").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_config_replaces_checks_the_hash_and_refuses_bad_files() {
    let dir = temp_dir("dbless-post");
    let server = db_less().await;
    let (_, status_before) = call(&server, &["/status"]).await;
    let file = dir.join("kong.yaml");
    std::fs::write(&file, CONFIG).expect("write");
    // The same configuration, with check_hash: not modified.
    let (status, _) = call(
        &server,
        &[
            "-X",
            "POST",
            "/config?check_hash=1",
            "-F",
            &format!("config=@{}", file.display()),
        ],
    )
    .await;
    assert_eq!(status, 304);
    // A new one, as a JSON body with `config`: replaced, answered with the entities.
    let new = CONFIG.replace("billing", "payments");
    let body = json!({"config": new}).to_string();
    let (status, loaded) = call(
        &server,
        &[
            "-X",
            "POST",
            "/config",
            "-H",
            "Content-Type: application/json",
            "-d",
            &body,
        ],
    )
    .await;
    assert_eq!(status, 201, "{loaded}");
    assert_eq!(loaded["services"][0]["name"], "payments");
    assert_eq!(
        server.node.served().services()[0].name.as_deref(),
        Some("payments")
    );
    let (_, status_after) = call(&server, &["/status"]).await;
    assert_ne!(
        status_before["configuration_hash"],
        status_after["configuration_hash"]
    );
    // A bad one: code 14, nothing changed.
    let bad = new
        .replace("paths: [/billing]", "paths: [billing]")
        .replace("paths: [/payments]", "paths: [payments]");
    let (status, body) = call(
        &server,
        &[
            "-X",
            "POST",
            "/config",
            "-H",
            "Content-Type: text/yaml",
            "--data-binary",
            &bad,
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], 14);
    assert_eq!(body["name"], "invalid declarative configuration");
    assert!(
        body["fields"]["services"][0]["routes"][0]["paths"].is_array(),
        "{body}"
    );
    let (status, flat) = call(
        &server,
        &[
            "-X",
            "POST",
            "/config?flatten_errors=1",
            "-H",
            "Content-Type: text/yaml",
            "--data-binary",
            &bad,
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        flat["fields"]["flattened_errors"][0]["field"]
            .as_str()
            .is_some_and(|f| f.contains("paths")),
        "{flat}"
    );
    assert_eq!(
        server.node.served().services()[0].name.as_deref(),
        Some("payments")
    );
    // GET /config: the YAML, which loads back to the same configuration.
    let (status, got) = call(&server, &["/config"]).await;
    assert_eq!(status, 200);
    let yaml = got["config"].as_str().expect("yaml");
    let (again, _) = Loader::new().load_str(yaml).expect("loads");
    assert_eq!(again, server.node.served());
}
