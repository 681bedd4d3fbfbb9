//! # mtls-store
//!
//! The database behind the mtls gateway's Admin API: Kong's entities (the
//! [`mtls_kong_config`] model, stored as Kong's JSON) in an embedded SQLite file, or in
//! PostgreSQL for many nodes, behind one [`Database`] trait.
//!
//! - Versioned migrations ([`SCHEMA_VERSION`]); a database from a newer version is refused.
//! - One table per entity kind with the columns the database enforces: uniqueness (Kong's
//!   unique fields and cache keys), foreign keys with Kong's `on_delete` rules, timestamps.
//! - A change log (`changes`): every write adds a record per entity in the same transaction,
//!   in commit order, for other nodes to catch up from.
//! - Writers are serialised (SQLite: `BEGIN IMMEDIATE` with a busy timeout), so no update is
//!   lost; a locked, read-only, corrupt or newer database is a clear [`StoreError`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mtls_kong_config::{Config, Loader};
//! use mtls_store::Store;
//! use serde_json::json;
//!
//! let dir = std::env::temp_dir().join(format!("mtls-store-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let url = format!("sqlite://{}", dir.join("mtls.db").display());
//! let store = Store::open(&url).await?;
//!
//! let config = Config::builder()
//!     .service(json!({"name": "billing", "url": "http://billing.internal",
//!                     "routes": [{"name": "billing", "paths": ["/billing"]}]}))
//!     .build()?;
//! store.import(&config).await?;
//! let loaded = store.load_config(&Loader::new()).await?;
//! assert_eq!(loaded.routes().len(), 1);
//! assert_eq!(store.export(&Loader::new()).await?, loaded);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod error;
mod model;
mod postgres;
mod schema;
mod sql;
mod sqlite;
mod store;

pub use error::StoreError;
pub use model::{
    BoxFuture, ChangeFeed, ChangeRecord, Database, Operation, Row, Signal, WriteTransaction,
};
pub use postgres::{CHANNEL, PostgresDatabase, PostgresOptions};
pub use schema::SCHEMA_VERSION;
pub use sqlite::{SqliteDatabase, SqliteOptions};
pub use store::{Snapshot, Store, unix_now};
