//! The queries, written once for both engines: `sql_functions!` instantiates them for a
//! connection type (the SQL is the same text; placeholders are `$N`, which SQLite reads too).

macro_rules! sql_functions {
    ($conn:ty, $dialect:expr) => {
        use mtls_kong_config::Kind;
        use uuid::Uuid;

        use crate::error::StoreError;
        use crate::model::{ChangeRecord, Operation, Row};
        use crate::schema::{self, Dialect, SCHEMA_VERSION};

        type Conn = $conn;

        /// The dialect these functions were instantiated for.
        #[allow(dead_code)]
        pub(crate) const DIALECT: Dialect = $dialect;

        fn now() -> i64 {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        }

        /// The stored schema version (`None`: a new database).
        pub(crate) async fn schema_version(conn: &mut Conn) -> Result<Option<i64>, sqlx::Error> {
            let exists: Option<(i64,)> = sqlx::query_as("SELECT version FROM mtls_schema")
                .fetch_optional(&mut *conn)
                .await
                .or_else(|e| match &e {
                    // No version table yet: a new (or foreign) database.
                    sqlx::Error::Database(d) if d.message().contains("mtls_schema") => Ok(None),
                    _ => Err(e),
                })?;
            Ok(exists.map(|(v,)| v))
        }

        /// Applies the migrations after `found` (the caller holds the write lock).
        pub(crate) async fn migrate(
            conn: &mut Conn,
            found: Option<i64>,
            dialect: Dialect,
        ) -> Result<(), sqlx::Error> {
            let current = found.unwrap_or(0);
            for version in (current + 1)..=SCHEMA_VERSION {
                for statement in schema::migration(version, dialect) {
                    sqlx::query(&statement).execute(&mut *conn).await?;
                }
            }
            match found {
                None => {
                    sqlx::query("INSERT INTO mtls_schema (version) VALUES ($1)")
                        .bind(SCHEMA_VERSION)
                        .execute(&mut *conn)
                        .await?;
                }
                // A real write even when nothing changes: a database that cannot be written
                // fails here, at start, not at the first Admin API write.
                Some(_) => {
                    sqlx::query("UPDATE mtls_schema SET version = $1")
                        .bind(SCHEMA_VERSION)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Ok(())
        }

        pub(crate) async fn last_seq(conn: &mut Conn) -> Result<i64, sqlx::Error> {
            let (seq,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM changes")
                .fetch_one(&mut *conn)
                .await?;
            Ok(seq)
        }

        pub(crate) async fn changes_since(
            conn: &mut Conn,
            seq: i64,
        ) -> Result<Result<Vec<ChangeRecord>, StoreError>, sqlx::Error> {
            let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
                "SELECT seq, kind, entity_id, operation, at FROM changes WHERE seq > $1 \
                 ORDER BY seq",
            )
            .bind(seq)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(seq, kind, id, operation, at)| {
                    let (kind, id) = crate::sqlite::change_key(&kind, &id)?;
                    let operation = Operation::parse(&operation).ok_or_else(|| {
                        StoreError::bad_row(kind, id.to_string(), "unknown operation")
                    })?;
                    Ok(ChangeRecord {
                        seq,
                        kind,
                        id,
                        operation,
                        at,
                    })
                })
                .collect())
        }

        fn decode_row(
            kind: Kind,
            (id, entity, created_at, updated_at): (String, String, i64, i64),
        ) -> Result<Row, StoreError> {
            let parsed = crate::error::parse_id(kind, &id)?;
            let entity = serde_json::from_str(&entity)
                .map_err(|e| StoreError::bad_row(kind, id, e.to_string()))?;
            Ok(Row {
                kind,
                id: parsed,
                entity,
                created_at,
                updated_at,
            })
        }

        pub(crate) async fn row(
            conn: &mut Conn,
            kind: Kind,
            id: Uuid,
        ) -> Result<Result<Option<Row>, StoreError>, sqlx::Error> {
            let sql = format!(
                "SELECT id, entity, created_at, updated_at FROM {} WHERE id = $1",
                kind.table()
            );
            let found: Option<(String, String, i64, i64)> = sqlx::query_as(&sql)
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            Ok(found.map(|r| decode_row(kind, r)).transpose())
        }

        pub(crate) async fn all_rows(
            conn: &mut Conn,
        ) -> Result<Result<Vec<Row>, StoreError>, (sqlx::Error, &'static str)> {
            let mut out = Vec::new();
            for kind in Kind::ALL {
                let sql = format!(
                    "SELECT id, entity, created_at, updated_at FROM {} ORDER BY created_at, id",
                    kind.table()
                );
                let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(&sql)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(|e| (e, kind.table()))?;
                for r in rows {
                    match decode_row(kind, r) {
                        Ok(row) => out.push(row),
                        Err(e) => return Ok(Err(e)),
                    }
                }
            }
            Ok(Ok(out))
        }

        async fn record(
            conn: &mut Conn,
            kind: Kind,
            id: Uuid,
            operation: Operation,
        ) -> Result<(), sqlx::Error> {
            sqlx::query(
                "INSERT INTO changes (kind, entity_id, operation, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(kind.table())
            .bind(id.to_string())
            .bind(operation.as_str())
            .bind(now())
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn put(conn: &mut Conn, row: &Row) -> Result<Operation, sqlx::Error> {
            let exists_sql = format!("SELECT 1 FROM {} WHERE id = $1", row.kind.table());
            let existed: Option<(i32,)> = sqlx::query_as(&exists_sql)
                .bind(row.id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            let sql = schema::upsert_sql(row.kind);
            let mut query = sqlx::query(&sql)
                .bind(row.id.to_string())
                .bind(row.entity.to_string())
                .bind(row.created_at)
                .bind(row.updated_at);
            for value in schema::column_values(row.kind, &row.entity) {
                query = query.bind(value);
            }
            query.execute(&mut *conn).await?;
            let operation = if existed.is_some() {
                Operation::Update
            } else {
                Operation::Create
            };
            record(conn, row.kind, row.id, operation).await?;
            Ok(operation)
        }

        pub(crate) async fn delete(
            conn: &mut Conn,
            kind: Kind,
            id: Uuid,
        ) -> Result<bool, sqlx::Error> {
            let sql = format!("DELETE FROM {} WHERE id = $1", kind.table());
            let done = sqlx::query(&sql)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
            let deleted = done.rows_affected() > 0;
            if deleted {
                record(conn, kind, id, Operation::Delete).await?;
            }
            Ok(deleted)
        }

        pub(crate) async fn clear(conn: &mut Conn) -> Result<(), (sqlx::Error, &'static str)> {
            for kind in Kind::ALL.into_iter().rev() {
                let table = kind.table();
                let log = format!(
                    "INSERT INTO changes (kind, entity_id, operation, at) \
                     SELECT $1, id, 'delete', $2 FROM {table}"
                );
                sqlx::query(&log)
                    .bind(table)
                    .bind(now())
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| (e, table))?;
                sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| (e, table))?;
            }
            Ok(())
        }
    };
}

pub(crate) mod sqlite {
    sql_functions!(sqlx::sqlite::SqliteConnection, Dialect::Sqlite);
}

pub(crate) mod postgres {
    sql_functions!(sqlx::postgres::PgConnection, Dialect::Postgres);
}
