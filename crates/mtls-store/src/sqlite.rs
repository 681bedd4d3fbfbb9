//! The embedded default: one SQLite file (WAL journal, foreign keys on, a busy timeout), its
//! writers serialised by `BEGIN IMMEDIATE`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use mtls_kong_config::Kind;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
};
use sqlx::{Connection, Sqlite, Transaction};
use uuid::Uuid;

use crate::error::{StoreError, parse_id};
use crate::model::{BoxFuture, ChangeRecord, Database, Operation, Row, WriteTransaction};
use crate::schema::{self, Dialect, SCHEMA_VERSION};
use crate::sql::sqlite as sql;

/// How a SQLite database is opened.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a writer waits for another's lock before [`StoreError::Locked`] (default 5 s).
    pub busy_timeout: Duration,
    /// Whether a missing file is created (default true).
    pub create: bool,
    /// Open read-only: reads work, every write is [`StoreError::ReadOnly`].
    pub read_only: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            create: true,
            read_only: false,
        }
    }
}

/// A SQLite database file.
#[derive(Debug)]
pub struct SqliteDatabase {
    pool: SqlitePool,
    location: String,
    busy_ms: u64,
}

impl SqliteDatabase {
    /// Opens (creating it when asked) and migrates the database at `path`. Refused with a
    /// clear error: a file another process keeps locked, a read-only file (also for root), a
    /// file that is not a database, a schema newer than this program's.
    pub async fn open(path: &Path, options: &SqliteOptions) -> Result<Self, StoreError> {
        let location = path.display().to_string();
        let busy_ms = u64::try_from(options.busy_timeout.as_millis()).unwrap_or(u64::MAX);
        let fail = |e: sqlx::Error, context| {
            StoreError::from_sqlx(e, context, "mtls_schema", &location, busy_ms)
        };
        let read_only = options.read_only || file_is_read_only(path);
        if read_only && !options.read_only {
            return Err(StoreError::ReadOnly {
                location,
                detail: "the file has no write permission".into(),
            });
        }
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(options.create && !read_only)
            .read_only(read_only)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        let connect = if read_only {
            connect
        } else {
            connect.journal_mode(SqliteJournalMode::Wal)
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(options.busy_timeout + Duration::from_secs(5))
            .connect_with(connect)
            .await
            .map_err(|e| fail(e, "opening the database"))?;
        let db = Self {
            pool,
            location,
            busy_ms,
        };
        db.migrate(read_only).await?;
        Ok(db)
    }

    /// Opens a `sqlite://PATH` URL (`sqlite:PATH` too; `?mode=ro` opens read-only).
    pub async fn open_url(url: &str, options: &SqliteOptions) -> Result<Self, StoreError> {
        let (path, read_only) = parse_url(url)?;
        let mut options = options.clone();
        options.read_only |= read_only;
        Self::open(&path, &options).await
    }

    fn error(&self, e: sqlx::Error, context: &'static str, table: &'static str) -> StoreError {
        StoreError::from_sqlx(e, context, table, &self.location, self.busy_ms)
    }

    async fn migrate(&self, read_only: bool) -> Result<(), StoreError> {
        if read_only {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| self.error(e, "opening the database", "mtls_schema"))?;
            let found = sql::schema_version(&mut conn)
                .await
                .map_err(|e| self.error(e, "reading the schema version", "mtls_schema"))?;
            return self.check_version(found.unwrap_or(0), true);
        }
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.error(e, "locking the database to migrate it", "mtls_schema"))?;
        sqlx::query(schema::VERSION_TABLE)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(e, "creating the schema table", "mtls_schema"))?;
        let found = sql::schema_version(&mut tx)
            .await
            .map_err(|e| self.error(e, "reading the schema version", "mtls_schema"))?;
        let current = found.unwrap_or(0);
        self.check_version(current, false)?;
        sql::migrate(&mut tx, found, Dialect::Sqlite)
            .await
            .map_err(|e| self.error(e, "migrating the schema", "mtls_schema"))?;
        tx.commit()
            .await
            .map_err(|e| self.error(e, "committing the migration", "mtls_schema"))?;
        Ok(())
    }

    fn check_version(&self, found: i64, read_only: bool) -> Result<(), StoreError> {
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                location: self.location.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if read_only && found < SCHEMA_VERSION {
            return Err(StoreError::ReadOnly {
                location: self.location.clone(),
                detail: format!(
                    "schema version {found} needs migrating to {SCHEMA_VERSION}, which a \
                     read-only database cannot be"
                ),
            });
        }
        Ok(())
    }
}

/// Whether the file exists without any write permission bit.
fn file_is_read_only(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly())
}

fn parse_url(url: &str) -> Result<(PathBuf, bool), StoreError> {
    let bad = |reason: &str| StoreError::Url {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| bad("expected sqlite://PATH"))?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err(bad("the path is empty"));
    }
    let mut read_only = false;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair {
            "mode=ro" => read_only = true,
            "mode=rw" | "mode=rwc" => {}
            other => return Err(bad(&format!("unknown parameter {other:?}"))),
        }
    }
    PathBuf::from_str(path)
        .map(|p| (p, read_only))
        .map_err(|_| bad("invalid path"))
}

impl Database for SqliteDatabase {
    fn location(&self) -> &str {
        &self.location
    }

    fn rows(&self) -> BoxFuture<'_, Result<Vec<Row>, StoreError>> {
        Box::pin(async move {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| self.error(e, "reading the entities", "entities"))?;
            sql::all_rows(&mut conn)
                .await
                .map_err(|(e, table)| self.error(e, "reading the entities", table))?
        })
    }

    fn last_seq(&self) -> BoxFuture<'_, Result<i64, StoreError>> {
        Box::pin(async move {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| self.error(e, "reading the change log", "changes"))?;
            sql::last_seq(&mut conn)
                .await
                .map_err(|e| self.error(e, "reading the change log", "changes"))
        })
    }

    fn changes_since(&self, seq: i64) -> BoxFuture<'_, Result<Vec<ChangeRecord>, StoreError>> {
        Box::pin(async move {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| self.error(e, "reading the change log", "changes"))?;
            sql::changes_since(&mut conn, seq)
                .await
                .map_err(|e| self.error(e, "reading the change log", "changes"))?
        })
    }

    fn rows_by_id<'a>(
        &'a self,
        ids: &'a [(Kind, Uuid)],
    ) -> BoxFuture<'a, Result<Vec<Row>, StoreError>> {
        Box::pin(async move {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| self.error(e, "reading entities", "entities"))?;
            let mut out = Vec::with_capacity(ids.len());
            for &(kind, id) in ids {
                if let Some(row) = sql::row(&mut conn, kind, id)
                    .await
                    .map_err(|e| self.error(e, "reading an entity", kind.table()))??
                {
                    out.push(row);
                }
            }
            Ok(out)
        })
    }

    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn WriteTransaction>, StoreError>> {
        Box::pin(async move {
            let tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(|e| self.error(e, "starting a write", "changes"))?;
            let tx: Box<dyn WriteTransaction> = Box::new(SqliteWrite {
                tx,
                location: self.location.clone(),
                busy_ms: self.busy_ms,
            });
            Ok(tx)
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| self.error(e, "reaching the database", "changes"))?;
            conn.ping()
                .await
                .map_err(|e| self.error(e, "reaching the database", "changes"))
        })
    }
}

struct SqliteWrite {
    tx: Transaction<'static, Sqlite>,
    location: String,
    busy_ms: u64,
}

impl SqliteWrite {
    fn error(&self, e: sqlx::Error, context: &'static str, table: &'static str) -> StoreError {
        StoreError::from_sqlx(e, context, table, &self.location, self.busy_ms)
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

impl WriteTransaction for SqliteWrite {
    fn last_seq(&mut self) -> BoxFuture<'_, Result<i64, StoreError>> {
        Box::pin(async move {
            let r = sql::last_seq(self.conn()).await;
            r.map_err(|e| self.error(e, "reading the change log", "changes"))
        })
    }

    fn changes_since(&mut self, seq: i64) -> BoxFuture<'_, Result<Vec<ChangeRecord>, StoreError>> {
        Box::pin(async move {
            let r = sql::changes_since(self.conn(), seq).await;
            r.map_err(|e| self.error(e, "reading the change log", "changes"))?
        })
    }

    fn row(&mut self, kind: Kind, id: Uuid) -> BoxFuture<'_, Result<Option<Row>, StoreError>> {
        Box::pin(async move {
            let r = sql::row(self.conn(), kind, id).await;
            r.map_err(|e| self.error(e, "reading an entity", kind.table()))?
        })
    }

    fn put<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<Operation, StoreError>> {
        Box::pin(async move {
            let r = sql::put(self.conn(), row).await;
            r.map_err(|e| self.error(e, "writing an entity", row.kind.table()))
        })
    }

    fn delete(&mut self, kind: Kind, id: Uuid) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async move {
            let r = sql::delete(self.conn(), kind, id).await;
            r.map_err(|e| self.error(e, "deleting an entity", kind.table()))
        })
    }

    fn clear(&mut self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let r = sql::clear(self.conn()).await;
            r.map_err(|(e, table)| self.error(e, "clearing the entities", table))
        })
    }

    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            let (location, busy_ms) = (self.location.clone(), self.busy_ms);
            self.tx.commit().await.map_err(|e| {
                StoreError::from_sqlx(e, "committing a write", "changes", &location, busy_ms)
            })
        })
    }
}

/// Parses a stored change's kind and id.
pub(crate) fn change_key(kind: &str, id: &str) -> Result<(Kind, Uuid), StoreError> {
    let kind = Kind::from_table(kind)
        .ok_or_else(|| StoreError::bad_row(Kind::Plugin, id, format!("unknown kind {kind:?}")))?;
    Ok((kind, parse_id(kind, id)?))
}
