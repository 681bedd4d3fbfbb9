//! PostgreSQL, for many nodes on one database (issue 16): the same tables and queries as
//! SQLite, writers serialised by a transaction-scoped advisory lock, each commit announced
//! with `NOTIFY mtls_changes`, statements bounded by a timeout.

use std::time::Duration;

use mtls_kong_config::Kind;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, Transaction};
use uuid::Uuid;

use crate::error::StoreError;
use crate::model::{
    BoxFuture, ChangeFeed, ChangeRecord, Database, Operation, Row, Signal, WriteTransaction,
};
use crate::schema::{self, Dialect, SCHEMA_VERSION};
use crate::sql::postgres as sql;

/// The advisory lock every writer takes (one per database): "mtls" in ASCII.
const WRITE_LOCK: i64 = 0x6d74_6c73;

/// The channel every commit is announced on.
pub const CHANNEL: &str = "mtls_changes";

/// How a PostgreSQL database is reached.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// The most connections in the pool (default 8).
    pub max_connections: u32,
    /// How long a connection or the write lock is waited for (default 5 s).
    pub acquire_timeout: Duration,
    /// The server-side `statement_timeout` (default 10 s).
    pub statement_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// A PostgreSQL database.
#[derive(Debug)]
pub struct PostgresDatabase {
    pool: PgPool,
    location: String,
    wait_ms: u64,
}

impl PostgresDatabase {
    /// Connects to `postgres://user[:password]@host:port/db[?sslmode=...]` and migrates it.
    pub async fn connect(url: &str, options: &PostgresOptions) -> Result<Self, StoreError> {
        let connect: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| StoreError::Url {
            url: redact(url),
            reason: e.to_string(),
        })?;
        let location = format!(
            "postgres://{}:{}/{}",
            connect.get_host(),
            connect.get_port(),
            connect.get_database().unwrap_or("")
        );
        let timeout_ms = options.statement_timeout.as_millis().to_string();
        let connect = connect.options([("statement_timeout", timeout_ms.as_str())]);
        let wait_ms = u64::try_from(options.acquire_timeout.as_millis()).unwrap_or(u64::MAX);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| {
                StoreError::from_sqlx(e, "connecting", "mtls_schema", &location, wait_ms)
            })?;
        let db = Self {
            pool,
            location,
            wait_ms,
        };
        db.migrate().await?;
        Ok(db)
    }

    fn error(&self, e: sqlx::Error, context: &'static str, table: &'static str) -> StoreError {
        StoreError::from_sqlx(e, context, table, &self.location, self.wait_ms)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_locked().await?;
        sqlx::query(schema::VERSION_TABLE)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(e, "creating the schema table", "mtls_schema"))?;
        let found = sql::schema_version(&mut tx)
            .await
            .map_err(|e| self.error(e, "reading the schema version", "mtls_schema"))?;
        if let Some(found) = found.filter(|v| *v > SCHEMA_VERSION) {
            return Err(StoreError::NewerSchema {
                location: self.location.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        sql::migrate(&mut tx, found, Dialect::Postgres)
            .await
            .map_err(|e| self.error(e, "migrating the schema", "mtls_schema"))?;
        tx.commit()
            .await
            .map_err(|e| self.error(e, "committing the migration", "mtls_schema"))
    }

    async fn begin_locked(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| self.error(e, "starting a write", "changes"))?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(e, "taking the write lock", "changes"))?;
        Ok(tx)
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Database for PostgresDatabase {
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
            let tx = self.begin_locked().await?;
            let tx: Box<dyn WriteTransaction> = Box::new(PostgresWrite {
                tx,
                location: self.location.clone(),
                wait_ms: self.wait_ms,
            });
            Ok(tx)
        })
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn ChangeFeed>>, StoreError>> {
        Box::pin(async move {
            let fail = |e| self.error(e, "listening for changes", "changes");
            let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
                .await
                .map_err(fail)?;
            listener.listen(CHANNEL).await.map_err(fail)?;
            let feed: Box<dyn ChangeFeed> = Box::new(PgFeed {
                listener,
                location: self.location.clone(),
                wait_ms: self.wait_ms,
            });
            Ok(Some(feed))
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

struct PostgresWrite {
    tx: Transaction<'static, Postgres>,
    location: String,
    wait_ms: u64,
}

impl PostgresWrite {
    fn error(&self, e: sqlx::Error, context: &'static str, table: &'static str) -> StoreError {
        StoreError::from_sqlx(e, context, table, &self.location, self.wait_ms)
    }

    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

impl WriteTransaction for PostgresWrite {
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

    fn commit(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            // Delivered to every listener when (and only if) the transaction commits.
            let notified = sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANNEL)
                .execute(&mut *self.tx)
                .await;
            if let Err(e) = notified {
                return Err(self.error(e, "announcing a write", "changes"));
            }
            let (location, wait_ms) = (self.location.clone(), self.wait_ms);
            self.tx.commit().await.map_err(|e| {
                StoreError::from_sqlx(e, "committing a write", "changes", &location, wait_ms)
            })
        })
    }
}

/// `LISTEN mtls_changes` on a connection of its own (reconnected by sqlx when lost).
struct PgFeed {
    listener: sqlx::postgres::PgListener,
    location: String,
    wait_ms: u64,
}

impl ChangeFeed for PgFeed {
    fn next(&mut self) -> BoxFuture<'_, Result<Signal, StoreError>> {
        Box::pin(async move {
            match self.listener.try_recv().await {
                Ok(Some(_)) => {
                    // Commits announced together are caught up together.
                    while self.listener.next_buffered().is_some() {}
                    Ok(Signal::Committed)
                }
                Ok(None) => Ok(Signal::Lost),
                Err(e) => Err(StoreError::from_sqlx(
                    e,
                    "listening for changes",
                    "changes",
                    &self.location,
                    self.wait_ms,
                )),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redact("postgres://kong:secret@db:5432/kong"),
            "postgres://kong:***@db:5432/kong"
        );
        assert_eq!(
            super::redact("postgres://kong@db/kong"),
            "postgres://kong@db/kong"
        );
    }
}
