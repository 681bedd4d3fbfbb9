//! [`Store`]: a database opened from a URL, and what the gateway does with it as a whole
//! (load the configuration, import, export).

use std::collections::HashMap;
use std::sync::Arc;

use mtls_kong_config::{Config, Kind, Loader, Record};
use uuid::Uuid;

use crate::error::StoreError;
use crate::model::{Database, Row};
use crate::sqlite::{SqliteDatabase, SqliteOptions};

/// Seconds since the Unix epoch (Kong's `created_at`).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The stored entities as one validated configuration, with what the Admin API shows
/// besides the entities.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The configuration.
    pub config: Config,
    /// The change log position it includes.
    pub seq: i64,
    /// `(created_at, updated_at)` of every entity.
    pub times: HashMap<(Kind, Uuid), (i64, i64)>,
}

/// A database opened from a URL: `sqlite://PATH` (created with its migrations when missing)
/// or `postgres://user@host:port/db`.
#[derive(Clone)]
pub struct Store {
    db: Arc<dyn Database>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.db.location())
            .finish()
    }
}

impl Store {
    /// Opens the database at `url`, migrating it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let db = SqliteDatabase::open_url(url, &SqliteOptions::default()).await?;
            return Ok(Self::new(Arc::new(db)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let db =
                crate::PostgresDatabase::connect(url, &crate::PostgresOptions::default()).await?;
            return Ok(Self::new(Arc::new(db)));
        }
        Err(StoreError::Url {
            url: url.to_owned(),
            reason: "expected sqlite://PATH or postgres://USER@HOST:PORT/DATABASE".into(),
        })
    }

    /// A store over an opened database.
    pub fn new(db: Arc<dyn Database>) -> Self {
        Self { db }
    }

    /// The database.
    pub fn database(&self) -> &Arc<dyn Database> {
        &self.db
    }

    /// Every stored entity, validated together by `loader` (as stored records:
    /// [`Loader::stored`]), with the change log position and the timestamps.
    pub async fn snapshot(&self, loader: &Loader) -> Result<Snapshot, StoreError> {
        let seq = self.db.last_seq().await?;
        let rows = self.db.rows().await?;
        let times = rows
            .iter()
            .map(|r| ((r.kind, r.id), (r.created_at, r.updated_at)))
            .collect();
        let records = rows.into_iter().map(|r| Record {
            kind: r.kind,
            path: format!("{}[{}]", r.kind.table(), r.id),
            value: r.entity,
        });
        // Rows were checked when they were written: a CA that expired since is kept.
        let loader = loader.clone().stored(true);
        let config = loader.load_records(records).map_err(StoreError::Invalid)?;
        Ok(Snapshot { config, seq, times })
    }

    /// The stored entities as a configuration (what `mtls serve --database` compiles).
    pub async fn load_config(&self, loader: &Loader) -> Result<Config, StoreError> {
        Ok(self.snapshot(loader).await?.config)
    }

    /// Writes every entity of `config` (inserted, or replaced by id) in one transaction, as
    /// Kong's `config db_import`: all or nothing. The number of entities written.
    pub async fn import(&self, config: &Config) -> Result<usize, StoreError> {
        let now = unix_now();
        let mut tx = self.db.begin_write().await?;
        let mut count = 0;
        for entity in config.entities() {
            tx.put(&Row::new(&entity, now)).await?;
            count += 1;
        }
        tx.commit().await?;
        tracing::info!(entities = count, location = self.db.location(), "imported");
        Ok(count)
    }

    /// Replaces every stored entity with those of `config`, in one transaction.
    pub async fn replace(&self, config: &Config) -> Result<usize, StoreError> {
        let now = unix_now();
        let mut tx = self.db.begin_write().await?;
        tx.clear().await?;
        let mut count = 0;
        for entity in config.entities() {
            tx.put(&Row::new(&entity, now)).await?;
            count += 1;
        }
        tx.commit().await?;
        Ok(count)
    }

    /// The stored configuration, for `mtls db export` (validated by `loader`).
    pub async fn export(&self, loader: &Loader) -> Result<Config, StoreError> {
        self.load_config(loader).await
    }
}
