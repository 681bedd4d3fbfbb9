//! The Admin API on PostgreSQL: the tutorial's first calls with real curl, then a second
//! server on the same database sees them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_test_pki::postgres as pg;
mod support;

use std::sync::Arc;

use mtls_admin::{Admin, AdminSettings};
use mtls_kong_config::Loader;
use mtls_store::Store;
use support::{Running, ValidatingNode, curl_async, pki, s, start, temp_dir};

async fn server(url: &str) -> Running {
    let store = Store::open(url).await.expect("store");
    let node = Arc::new(ValidatingNode::default());
    let admin = Admin::with_database(store, Loader::new(), node.clone(), AdminSettings::default())
        .await
        .expect("admin");
    start(admin, node, None).await
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_on_postgres() {
    let Some(pg) = pg::Postgres::start("admin") else {
        return;
    };
    let dir = temp_dir("admin-pg");
    let pki = pki(&dir);
    let a = server(&pg.url).await;
    let (status, _) = curl_async(args(&[
        "-X",
        "POST",
        &a.url("/services"),
        "-d",
        "name=mtls-service",
        "-d",
        "url=https://httpbin.org/anything",
    ]))
    .await;
    assert_eq!(status, 201);
    let (status, _) = curl_async(args(&[
        "-X",
        "POST",
        &a.url("/services/mtls-service/routes"),
        "-d",
        "paths[]=/mtls",
    ]))
    .await;
    assert_eq!(status, 201);
    let (status, ca) = curl_async(args(&[
        &a.url("/ca_certificates"),
        "-F",
        &format!("cert=@{}", s(&pki.root)),
    ]))
    .await;
    assert_eq!(status, 201, "{ca}");
    let (status, plugin) = curl_async(args(&[
        "-X",
        "POST",
        &a.url("/plugins"),
        "-d",
        "name=mtls-auth",
        "-d",
        &format!(
            "config.ca_certificates={}",
            ca["id"].as_str().unwrap_or_default()
        ),
    ]))
    .await;
    assert_eq!(status, 201, "{plugin}");
    let (status, dup) = curl_async(args(&[
        "-X",
        "POST",
        &a.url("/consumers"),
        "-d",
        "username=kongclient",
    ]))
    .await;
    assert_eq!(status, 201, "{dup}");
    let (status, dup) = curl_async(args(&[
        "-X",
        "POST",
        &a.url("/consumers"),
        "-d",
        "username=kongclient",
    ]))
    .await;
    assert_eq!((status, &dup["code"]), (409, &serde_json::json!(5)));
    let (status, st) = curl_async(args(&[&a.url("/status")])).await;
    assert_eq!(
        (status, &st["database"]["reachable"]),
        (200, &serde_json::json!(true))
    );
    // A second node on the same database loads the same entities.
    let b = server(&pg.url).await;
    assert_eq!(b.node.served(), a.node.served());
    a.stop().await;
    b.stop().await;
}
