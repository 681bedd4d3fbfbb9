//! The PostgreSQL backend against a real server: the same schema and rules as SQLite,
//! writers serialised by the advisory lock, each commit announced with NOTIFY.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_test_pki::postgres as pg;

use std::sync::Arc;

use mtls_kong_config::{Config, Kind, Loader};
use mtls_store::{Database, Operation, PostgresDatabase, PostgresOptions, Row, Store, StoreError};
use serde_json::json;

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

#[tokio::test]
async fn postgres_backend() {
    let Some(server) = pg::Postgres::start("store") else {
        return;
    };
    let store = Store::open(&server.url)
        .await
        .expect("connects and migrates");
    let config = sample();
    assert_eq!(
        store.import(&config).await.unwrap(),
        config.entities().count()
    );
    let snapshot = store.snapshot(&Loader::new()).await.unwrap();
    assert_eq!(snapshot.config, config);
    assert_eq!(snapshot.seq, config.entities().count() as i64);

    // Every commit is announced.
    let mut listener = sqlx::postgres::PgListener::connect(&server.url)
        .await
        .unwrap();
    listener.listen(mtls_store::CHANNEL).await.unwrap();
    let db = store.database();
    let alice = config.consumers().next().unwrap().clone();
    let mut renamed = alice.as_ref().clone();
    renamed.custom_id = Some("A1".into());
    let entity = mtls_kong_config::AnyEntity::Consumer(renamed);
    let mut tx = db.begin_write().await.unwrap();
    assert_eq!(
        tx.put(&Row::new(&entity, 1)).await.unwrap(),
        Operation::Update
    );
    tx.commit().await.unwrap();
    let note = tokio::time::timeout(std::time::Duration::from_secs(10), listener.recv())
        .await
        .expect("a notification within 10 s")
        .unwrap();
    assert_eq!(note.channel(), mtls_store::CHANNEL);
    let last = db.changes_since(snapshot.seq).await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(
        (last[0].kind, last[0].operation),
        (Kind::Consumer, Operation::Update)
    );

    // Kong's rules, as on SQLite.
    let service = config.services()[0].id;
    let mut tx = db.begin_write().await.unwrap();
    let err = tx.delete(Kind::Service, service).await.unwrap_err();
    assert!(matches!(err, StoreError::ForeignKey { .. }), "{err:?}");
    drop(tx);
    let twin = mtls_kong_config::AnyEntity::from_json(
        Kind::Consumer,
        json!({"id": uuid::Uuid::from_u128(77), "username": "alice"}),
    )
    .unwrap();
    let mut tx = db.begin_write().await.unwrap();
    let err = tx.put(&Row::new(&twin, 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Unique { .. }), "{err:?}");
    drop(tx);

    // Concurrent writers: serialised by the advisory lock, none lost.
    let db: Arc<dyn Database> = Arc::clone(db);
    let mut tasks = Vec::new();
    for w in 0..4u128 {
        let db = Arc::clone(&db);
        tasks.push(tokio::spawn(async move {
            for i in 0..5u128 {
                let consumer = mtls_kong_config::AnyEntity::from_json(
                    Kind::Consumer,
                    json!({"id": uuid::Uuid::from_u128(1000 + w * 100 + i), "username": format!("w{w}-{i}")}),
                )
                .unwrap();
                let mut tx = db.begin_write().await.unwrap();
                tx.put(&Row::new(&consumer, 1)).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let changes = db.changes_since(0).await.unwrap();
    assert_eq!(changes.len(), config.entities().count() + 1 + 20);
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    drop(listener);

    // A newer schema is refused.
    let pool = sqlx::PgPool::connect(&server.url).await.unwrap();
    sqlx::query("UPDATE mtls_schema SET version = 42")
        .execute(&pool)
        .await
        .unwrap();
    let err = PostgresDatabase::connect(&server.url, &PostgresOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 42, .. }),
        "{err:?}"
    );
    pool.close().await;
}

#[tokio::test]
async fn postgres_unreachable_is_a_clear_error() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut options = PostgresOptions::default();
    options.acquire_timeout = std::time::Duration::from_secs(2);
    let err = PostgresDatabase::connect(
        &format!("postgres://postgres:secret@127.0.0.1:{port}/kong"),
        &options,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains("cannot be reached") && !err.to_string().contains("secret"),
        "{err}"
    );
}
