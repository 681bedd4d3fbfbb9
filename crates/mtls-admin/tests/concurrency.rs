//! Concurrent writers: two Admin APIs (as two processes would) on one SQLite file, writing
//! at once through real HTTP. Writes are serialised, none is lost, each server catches up
//! with the other's before checking its own, and a race on one username has one winner.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use mtls_admin::{Admin, AdminSettings};
use mtls_kong_config::Loader;
use mtls_store::Store;
use serde_json::Value;
use support::{Running, ValidatingNode, curl_async, sqlite_url, start, temp_dir};

async fn second_server(dir: &std::path::Path) -> Running {
    let store = Store::open(&sqlite_url(dir)).await.expect("store");
    let node = Arc::new(ValidatingNode::default());
    let admin = Admin::with_database(store, Loader::new(), node.clone(), AdminSettings::default())
        .await
        .expect("admin");
    start(admin, node, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_one_file_no_lost_update() {
    let dir = temp_dir("concurrency");
    let a = second_server(&dir).await;
    let b = second_server(&dir).await;
    const WRITERS: usize = 4;
    const EACH: usize = 6;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let base = if w % 2 == 0 { a.url("") } else { b.url("") };
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..EACH {
                let (status, body) = curl_async(vec![
                    "-X".into(),
                    "POST".into(),
                    format!("{base}/consumers"),
                    "-d".into(),
                    format!("username=w{w}-{i}"),
                ])
                .await;
                statuses.push((status, body));
            }
            statuses
        }));
    }
    // Both servers race for the same username too.
    let race: Vec<_> = [a.url("/consumers"), b.url("/consumers")]
        .into_iter()
        .map(|url| {
            tokio::spawn(curl_async(vec![
                "-X".into(),
                "POST".into(),
                url,
                "-d".into(),
                "username=contested".into(),
            ]))
        })
        .collect();
    for t in tasks {
        for (status, body) in t.await.expect("writer") {
            assert_eq!(status, 201, "{body}");
        }
    }
    let mut race_statuses = Vec::new();
    for r in race {
        race_statuses.push(r.await.expect("race").0);
    }
    race_statuses.sort_unstable();
    assert_eq!(race_statuses, [201, 409]);
    // The file holds every consumer once.
    let store = Store::open(&sqlite_url(&dir)).await.expect("store");
    let snapshot = store.snapshot(&Loader::new()).await.expect("snapshot");
    let names: BTreeSet<String> = snapshot
        .config
        .consumers()
        .filter_map(|c| c.username.clone())
        .collect();
    assert_eq!(names.len(), WRITERS * EACH + 1);
    // One more write on each server: each catches up with the other's first, so both serve
    // every consumer (and agree with the file).
    for (server, name) in [(&a, "last-a"), (&b, "last-b")] {
        let (status, _) = curl_async(vec![
            "-X".into(),
            "POST".into(),
            server.url("/consumers"),
            "-d".into(),
            format!("username={name}"),
        ])
        .await;
        assert_eq!(status, 201);
    }
    let served_a = a.node.served().consumers().count();
    let served_b = b.node.served().consumers().count();
    assert_eq!(served_b, WRITERS * EACH + 3);
    assert_eq!(served_a, WRITERS * EACH + 2);
    let (_, page) = curl_async(vec![b.url("/consumers?size=1000")]).await;
    assert_eq!(
        page["data"].as_array().map(Vec::len),
        Some(WRITERS * EACH + 3)
    );
    assert!(
        page["data"]
            .as_array()
            .is_some_and(|d| d.iter().all(|c| c["created_at"].is_i64()))
    );
    let _: Value = page;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_elsewhere_is_caught_up_by_the_next_write() {
    let dir = temp_dir("catch-up-import");
    let a = second_server(&dir).await;
    // Another process imports more entities than are applied one by one.
    let consumers: Vec<_> = (0..1200)
        .map(|i| serde_json::json!({"username": format!("imported-{i}")}))
        .collect();
    let mut builder = mtls_kong_config::Config::builder();
    for c in consumers {
        builder = builder.consumer(c);
    }
    let config = builder.build().expect("config");
    let store = Store::open(&sqlite_url(&dir)).await.expect("store");
    store.import(&config).await.expect("import");
    let (status, _) = curl_async(vec![
        "-X".into(),
        "POST".into(),
        a.url("/consumers"),
        "-d".into(),
        "username=after".into(),
    ])
    .await;
    assert_eq!(status, 201);
    assert_eq!(a.node.served().consumers().count(), 1201);
    let (status, _) = curl_async(vec![
        "-X".into(),
        "POST".into(),
        a.url("/consumers"),
        "-d".into(),
        "username=imported-7".into(),
    ])
    .await;
    assert_eq!(status, 409);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_applies_the_other_servers_writes() {
    let dir = temp_dir("refresh");
    let a = second_server(&dir).await;
    let b = second_server(&dir).await;
    assert!(!b.admin.refresh().await.expect("refresh"));
    let (status, consumer) = curl_async(vec![
        "-X".into(),
        "POST".into(),
        a.url("/consumers"),
        "-d".into(),
        "username=from-a".into(),
    ])
    .await;
    assert_eq!(status, 201);
    assert_eq!(b.node.served().consumers().count(), 0);
    assert!(b.admin.refresh().await.expect("refresh"));
    assert_eq!(b.node.served().consumers().count(), 1);
    let (status, seen) = curl_async(vec![b.url("/consumers/from-a")]).await;
    assert_eq!(
        (status, &seen["created_at"]),
        (200, &consumer["created_at"])
    );
    let (status, _) = curl_async(vec![
        "-X".into(),
        "DELETE".into(),
        a.url("/consumers/from-a"),
    ])
    .await;
    assert_eq!(status, 204);
    assert!(b.admin.refresh().await.expect("refresh"));
    assert_eq!(b.node.served().consumers().count(), 0);
    a.stop().await;
    b.stop().await;
}
