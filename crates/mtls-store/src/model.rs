//! What the store holds and hands out: rows (an entity with its timestamps), change records,
//! and the backend traits a database implements.

use std::future::Future;
use std::pin::Pin;

use mtls_kong_config::{AnyEntity, Kind};
use serde_json::Value;
use uuid::Uuid;

use crate::error::StoreError;

/// A boxed future, so the backend traits can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One stored entity: Kong's JSON and its timestamps (integer seconds).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The entity's kind.
    pub kind: Kind,
    /// Its id.
    pub id: Uuid,
    /// Kong's JSON for it ([`AnyEntity::to_json`]).
    pub entity: Value,
    /// When it was created (kept by updates).
    pub created_at: i64,
    /// When it was last written.
    pub updated_at: i64,
}

impl Row {
    /// A row for `entity`, created and updated `now`.
    pub fn new(entity: &AnyEntity, now: i64) -> Self {
        Self {
            kind: entity.kind(),
            id: entity.id(),
            entity: entity.to_json(),
            created_at: now,
            updated_at: now,
        }
    }

    /// The entity, decoded (rows were checked when they were written).
    pub fn decode(&self) -> Result<AnyEntity, StoreError> {
        AnyEntity::from_json(self.kind, self.entity.clone())
            .map_err(|e| StoreError::bad_row(self.kind, self.id.to_string(), e.to_string()))
    }
}

/// What a change did to an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Inserted.
    Create,
    /// Replaced.
    Update,
    /// Removed.
    Delete,
}

impl Operation {
    /// The name stored in the change log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "create" => Some(Self::Create),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// One row of the change log: written in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRecord {
    /// Its position in the log (increasing, in commit order).
    pub seq: i64,
    /// The entity's kind.
    pub kind: Kind,
    /// Its id.
    pub id: Uuid,
    /// What happened to it.
    pub operation: Operation,
    /// When (integer seconds).
    pub at: i64,
}

/// A database holding the entities: SQLite ([`crate::SqliteDatabase`]) or PostgreSQL
/// ([`crate::PostgresDatabase`]).
pub trait Database: Send + Sync {
    /// Where it is, for messages (a path, or a server and database name; no password).
    fn location(&self) -> &str;

    /// Every stored entity, kind by kind in [`Kind::ALL`] order, oldest first.
    fn rows(&self) -> BoxFuture<'_, Result<Vec<Row>, StoreError>>;

    /// The last change's sequence number (0 when there is none).
    fn last_seq(&self) -> BoxFuture<'_, Result<i64, StoreError>>;

    /// The changes after `seq`, in order.
    fn changes_since(&self, seq: i64) -> BoxFuture<'_, Result<Vec<ChangeRecord>, StoreError>>;

    /// The rows with these ids (those that still exist).
    fn rows_by_id<'a>(
        &'a self,
        ids: &'a [(Kind, Uuid)],
    ) -> BoxFuture<'a, Result<Vec<Row>, StoreError>>;

    /// Starts a write transaction, serialised against every other writer (other processes
    /// included): it waits for the lock up to the busy timeout.
    fn begin_write(&self) -> BoxFuture<'_, Result<Box<dyn WriteTransaction>, StoreError>>;

    /// Checks that the database answers.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Announcements of every writer's commits, when the database makes them (PostgreSQL's
    /// `LISTEN`); `None` where it does not (SQLite: other processes' writes are found by
    /// polling [`Database::last_seq`]).
    fn subscribe(&self) -> BoxFuture<'_, Result<Option<Box<dyn ChangeFeed>>, StoreError>> {
        Box::pin(async { Ok(None) })
    }
}

/// What a [`ChangeFeed`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// A writer committed (one or more commits, announced together).
    Committed,
    /// The connection was lost and announcements may have been missed: catch up from the
    /// change log. The next call reconnects.
    Lost,
}

/// A stream of commit announcements ([`Database::subscribe`]).
pub trait ChangeFeed: Send {
    /// Waits for the next announcement; an error when reconnecting failed (call again to
    /// retry, after a pause).
    fn next(&mut self) -> BoxFuture<'_, Result<Signal, StoreError>>;
}

/// A write transaction: nothing is visible to others until [`WriteTransaction::commit`];
/// dropped without it, everything is rolled back.
pub trait WriteTransaction: Send {
    /// The last committed change's sequence number, as this transaction sees it.
    fn last_seq(&mut self) -> BoxFuture<'_, Result<i64, StoreError>>;

    /// The changes after `seq` (what another writer committed since).
    fn changes_since(&mut self, seq: i64) -> BoxFuture<'_, Result<Vec<ChangeRecord>, StoreError>>;

    /// The stored row of this entity.
    fn row(&mut self, kind: Kind, id: Uuid) -> BoxFuture<'_, Result<Option<Row>, StoreError>>;

    /// Inserts or replaces the row (a replaced row keeps its `created_at`) and records the
    /// change; whether it was a create or an update.
    fn put<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<Operation, StoreError>>;

    /// Removes the row and records the change; whether there was one.
    fn delete(&mut self, kind: Kind, id: Uuid) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Removes every row (for an import that replaces everything), recording each.
    fn clear(&mut self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Makes every change visible at once.
    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>>;
}
