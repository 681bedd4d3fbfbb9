//! The SQLite backend on real files: persistence, migrations, refusals, constraints, the
//! change log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mtls_kong_config::{AnyEntity, Config, Kind, Loader};
use mtls_store::{Database, Operation, Row, SqliteDatabase, SqliteOptions, Store, StoreError};
use serde_json::json;

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtls-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ca_pem() -> String {
    mtls_test_pki::Node::root("store test CA").pem()
}

fn sample() -> Config {
    let ca = uuid::Uuid::from_u128(0xca);
    Config::builder()
        .ca_certificate(json!({"id": ca, "cert": ca_pem()}))
        .service(json!({
            "name": "billing", "url": "https://billing.internal",
            "routes": [{"name": "billing", "paths": ["/billing"],
                        "plugins": [{"name": "mtls-auth", "config": {"ca_certificates": [ca]}}]}],
        }))
        .consumer(json!({"username": "alice", "acls": [{"group": "admins"}],
                         "mtls_auth_credentials": [{"subject_name": "alice@example.com"}]}))
        .build()
        .unwrap()
}

fn short() -> SqliteOptions {
    let mut o = SqliteOptions::default();
    o.busy_timeout = Duration::from_millis(200);
    o
}

#[tokio::test]
async fn persists_across_reopening_and_exports_what_was_imported() {
    let dir = dir("persist");
    let url = format!("sqlite://{}", dir.join("mtls.db").display());
    let config = sample();
    {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(
            store.import(&config).await.unwrap(),
            config.entities().count()
        );
    }
    let store = Store::open(&url).await.unwrap();
    let snapshot = store.snapshot(&Loader::new()).await.unwrap();
    assert_eq!(snapshot.config, config);
    assert_eq!(snapshot.seq, config.entities().count() as i64);
    assert_eq!(snapshot.times.len(), config.entities().count());
    assert_eq!(store.export(&Loader::new()).await.unwrap(), config);
    // The change log holds one record per entity, in order.
    let changes = store.database().changes_since(0).await.unwrap();
    assert_eq!(changes.len(), config.entities().count());
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(changes.iter().all(|c| c.operation == Operation::Create));
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let dir = dir("newer");
    let path = dir.join("mtls.db");
    let db = SqliteDatabase::open(&path, &short()).await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    tx.last_seq().await.unwrap();
    drop(tx);
    drop(db);
    // Another program's later migration.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE mtls_schema SET version = 99")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = SqliteDatabase::open(&path, &short()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[tokio::test]
async fn corrupt_file_is_refused() {
    let dir = dir("corrupt");
    let path = dir.join("mtls.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let err = SqliteDatabase::open(&path, &short()).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string().contains("corrupt or not a database"),
        "{err}"
    );
}

#[tokio::test]
async fn read_only_file_is_refused() {
    let dir = dir("readonly");
    let path = dir.join("mtls.db");
    drop(SqliteDatabase::open(&path, &short()).await.unwrap());
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let err = SqliteDatabase::open(&path, &short()).await.unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    assert!(err.to_string().contains("read-only"), "{err}");
    // Opened read-only on purpose, it reads, and refuses writes with the same error.
    let url = format!("sqlite://{}?mode=ro", path.display());
    let db = SqliteDatabase::open_url(&url, &short()).await.unwrap();
    assert!(db.rows().await.unwrap().is_empty());
    let entity = sample().entities().next().unwrap();
    let write = async {
        let mut tx = db.begin_write().await?;
        tx.put(&Row::new(&entity, 1)).await?;
        tx.commit().await
    };
    let err = write.await.unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
}

#[tokio::test]
async fn locked_file_is_refused_after_the_busy_timeout() {
    let dir = dir("locked");
    let path = dir.join("mtls.db");
    drop(SqliteDatabase::open(&path, &short()).await.unwrap());
    // Another process's exclusive lock, held.
    let other = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let held = other.begin_with("BEGIN EXCLUSIVE").await.unwrap();
    let err = SqliteDatabase::open(&path, &short()).await.unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("locked by another process"),
        "{err}"
    );
    drop(held);
    other.close().await;
    SqliteDatabase::open(&path, &short()).await.unwrap();
}

#[tokio::test]
async fn constraints_unique_restrict_and_cascade() {
    let dir = dir("constraints");
    let store = Store::open(&format!("sqlite://{}", dir.join("mtls.db").display()))
        .await
        .unwrap();
    let config = sample();
    store.import(&config).await.unwrap();
    let db = store.database();
    // A second consumer with the same username.
    let alice = config.consumers().next().unwrap();
    let mut twin = json!({"id": uuid::Uuid::from_u128(77), "username": alice.username});
    twin["custom_id"] = json!(null);
    let twin = AnyEntity::from_json(Kind::Consumer, twin).unwrap();
    let mut tx = db.begin_write().await.unwrap();
    let err = tx.put(&Row::new(&twin, 1)).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Unique {
                table: "consumers",
                ..
            }
        ),
        "{err:?}"
    );
    drop(tx);
    // A service with routes is not deleted (Kong: restrict).
    let service = config.services()[0].id;
    let mut tx = db.begin_write().await.unwrap();
    let err = tx.delete(Kind::Service, service).await.unwrap_err();
    assert!(matches!(err, StoreError::ForeignKey { .. }), "{err:?}");
    drop(tx);
    // Deleting the consumer cascades to its credential and ACL.
    let mut tx = db.begin_write().await.unwrap();
    assert!(tx.delete(Kind::Consumer, alice.id).await.unwrap());
    tx.commit().await.unwrap();
    let rows = db.rows().await.unwrap();
    assert!(rows.iter().all(|r| !matches!(
        r.kind,
        Kind::Consumer | Kind::Acl | Kind::MtlsAuthCredential
    )));
    // Nothing of the refused writes was kept.
    assert_eq!(rows.len(), config.entities().count() - 3);
}

#[tokio::test]
async fn concurrent_writers_are_serialised() {
    let dir = dir("concurrent");
    let path = dir.join("mtls.db");
    let db = Arc::new(
        SqliteDatabase::open(&path, &SqliteOptions::default())
            .await
            .unwrap(),
    );
    let entity = sample().entities().next().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = Arc::clone(&db);
        let entity = entity.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let mut tx = db.begin_write().await.unwrap();
                let seq = tx.last_seq().await.unwrap();
                tx.put(&Row::new(&entity, seq)).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Every write was recorded once, in one sequence without gaps.
    let changes = db.changes_since(0).await.unwrap();
    assert_eq!(changes.len(), 80);
    assert!(
        changes
            .iter()
            .enumerate()
            .all(|(i, c)| c.seq == i as i64 + 1)
    );
    assert_eq!(changes[0].operation, Operation::Create);
    assert!(
        changes[1..]
            .iter()
            .all(|c| c.operation == Operation::Update)
    );
}

#[tokio::test]
async fn a_stored_ca_that_expired_since_still_loads() {
    let pem = mtls_test_pki::ca_profile("expired store CA")
        .expired_in_2020()
        .self_signed()
        .pem();
    // Created while it was valid (mid-2020).
    let then = rustls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(1_593_561_600));
    let config = Config::builder()
        .loader(Loader::new().now(then))
        .ca_certificate(json!({"cert": pem}))
        .build()
        .unwrap();
    // A file with it is refused today, with Kong's message...
    let err = Loader::new().load_records(config.records()).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    // ...but the row stored back then still loads: Kong checks expiry at creation only.
    let dir = dir("expired-ca");
    let store = Store::open(&format!("sqlite://{}", dir.join("mtls.db").display()))
        .await
        .unwrap();
    store.import(&config).await.unwrap();
    let loaded = store.load_config(&Loader::new()).await.unwrap();
    assert_eq!(loaded.ca_certificates(), config.ca_certificates());
}
