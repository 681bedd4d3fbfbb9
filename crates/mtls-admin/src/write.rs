//! Writing: every write validates the entity against the configuration being served, builds
//! the next configuration ([`Config::apply`]), has the node compile it, and only then commits
//! the rows and their change records and swaps the node; otherwise nothing changes.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use mtls_kong_config::{Change, Config, Kind};
use mtls_store::{Row, WriteTransaction};
use serde_json::Value;
use uuid::Uuid;

use crate::admin::{Admin, Current, Mode};
use crate::body::Body;
use crate::error::ApiError;
use crate::lookup;
use crate::path::{Parent, Target};
use crate::plan::{Plan, Request, remap};

/// The most changed entities applied one by one when catching up; beyond, a full reload.
pub(crate) const CATCH_UP_LIMIT: usize = 1000;

/// Each changed entity once, the latest change first.
fn changed_keys(changes: &[mtls_store::ChangeRecord]) -> Vec<(Kind, Uuid)> {
    let mut seen = std::collections::HashSet::new();
    changes
        .iter()
        .rev()
        .map(|c| (c.kind, c.id))
        .filter(|key| seen.insert(*key))
        .collect()
}

/// One row to write.
#[derive(Debug)]
pub(crate) enum RowWrite {
    Put(Row),
    Delete(Kind, Uuid),
}

impl Admin {
    /// A write to an entity endpoint.
    pub(crate) async fn write(
        &self,
        method: &Method,
        target: Target,
        body: Body,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let (kind, key, parent) = self.write_target(method, target)?;
        let verb = match *method {
            Method::POST => "create",
            Method::PUT => "create or update",
            Method::PATCH => "update",
            _ => "delete",
        };
        let Mode::Database(store) = &self.inner.mode else {
            return Err(ApiError::db_less(verb, kind.table()));
        };
        let form = body.is_form();
        let value = body.into_value().ok_or_else(|| {
            ApiError::message(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
        })?;
        let _serialised = self.inner.write_lock.lock().await;
        let mut tx = store.database().begin_write().await?;
        self.catch_up(tx.as_mut()).await?;
        let current = self.inner.current.load_full();
        let request = Request {
            kind,
            key,
            parent: parent.as_ref(),
            value,
            form,
        };
        let plan = match *method {
            Method::POST => self.plan_create(&current.config, request)?,
            Method::PUT => self.plan_upsert(&current.config, request)?,
            Method::PATCH => self.plan_update(&current.config, request)?,
            _ => match self.plan_delete(&current.config, request)? {
                Some(plan) => plan,
                None => return Ok((StatusCode::NO_CONTENT, None)),
            },
        };
        self.apply(tx, &current, plan, kind).await
    }

    fn write_target(
        &self,
        method: &Method,
        target: Target,
    ) -> Result<(Kind, Option<String>, Option<Parent>), ApiError> {
        match (method, target) {
            (&Method::POST, Target::Collection { kind, parent }) => Ok((kind, None, parent)),
            (
                &Method::PUT | &Method::PATCH | &Method::DELETE,
                Target::Entity { kind, key, parent },
            ) => Ok((kind, Some(key), parent)),
            (
                &Method::PATCH,
                Target::Owner {
                    kind,
                    child,
                    key,
                    field,
                },
            ) => {
                let config = &self.inner.current.load().config;
                let child = self.find(config, child, &key, None)?;
                let owner =
                    lookup::foreign(&child.to_json(), field).ok_or_else(ApiError::not_found)?;
                Ok((kind, Some(owner.to_string()), None))
            }
            _ => Err(ApiError::method_not_allowed()),
        }
    }

    /// Validates, compiles, commits, swaps: all or nothing.
    async fn apply(
        &self,
        mut tx: Box<dyn WriteTransaction>,
        current: &Current,
        plan: Plan,
        kind: Kind,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let next = current
            .config
            .apply(plan.changes)
            .map_err(|e| ApiError::schema_violation(&remap(kind, e)))?;
        let prepared = self.prepare(&next).await?;
        for write in &plan.writes {
            match write {
                RowWrite::Put(row) => {
                    tx.put(row).await?;
                }
                RowWrite::Delete(kind, id) => {
                    tx.delete(*kind, *id).await?;
                }
            }
        }
        let seq = tx.last_seq().await?;
        tx.commit().await?;
        let version = self.inner.node.swap(prepared);
        self.record_times(&plan.writes);
        let previous = self.inner.current.swap(Arc::new(Current {
            config: next,
            seq,
            hash: None,
        }));
        // The previous configuration's lists are freed off the request path (at 100,000
        // routes that takes milliseconds).
        tokio::task::spawn_blocking(move || drop(previous));
        for write in &plan.writes {
            let (kind, id, operation) = match write {
                RowWrite::Put(row) => (row.kind, row.id, plan.operation),
                RowWrite::Delete(kind, id) => (*kind, *id, "delete"),
            };
            tracing::info!(operation, kind = kind.table(), %id, seq, version, "admin API write");
        }
        let config = &self.inner.current.load().config;
        let body = plan
            .answer
            .and_then(|(kind, id)| lookup::by_id(config, kind, id))
            .map(|e| self.entity_json(&e));
        Ok((plan.status, body))
    }

    /// The node compiles `config` (on a blocking thread); its refusal is a 400.
    pub(crate) async fn prepare(&self, config: &Config) -> Result<crate::Prepared, ApiError> {
        let node = Arc::clone(&self.inner.node);
        let config = config.clone();
        tokio::task::spawn_blocking(move || node.prepare(&config))
            .await
            .map_err(|e| ApiError::internal(format!("the compile task failed: {e}")))?
            .map_err(|reason| {
                ApiError::message(
                    StatusCode::BAD_REQUEST,
                    format!("the configuration cannot be served: {reason}"),
                )
            })
    }

    fn record_times(&self, writes: &[RowWrite]) {
        let Ok(mut times) = self.inner.times.write() else {
            return;
        };
        for write in writes {
            match write {
                RowWrite::Put(row) => {
                    times.insert((row.kind, row.id), (row.created_at, row.updated_at));
                }
                RowWrite::Delete(kind, id) => {
                    times.remove(&(*kind, *id));
                }
            }
        }
    }

    /// Applies what other writers committed since this configuration was loaded (other
    /// processes on the same database), so this write is checked against the latest state.
    /// Beyond [`CATCH_UP_LIMIT`] changed entities (an import elsewhere), everything is
    /// reloaded instead.
    pub(crate) async fn catch_up(&self, tx: &mut dyn WriteTransaction) -> Result<(), ApiError> {
        let current = self.inner.current.load_full();
        let last = tx.last_seq().await?;
        if last <= current.seq {
            return Ok(());
        }
        let changes = tx.changes_since(current.seq).await?;
        let keys = changed_keys(&changes);
        let mut found = Vec::with_capacity(keys.len());
        if keys.len() <= CATCH_UP_LIMIT {
            for &(kind, id) in &keys {
                found.push(((kind, id), tx.row(kind, id).await?));
            }
        }
        self.apply_changes(&current, last, keys.len(), found).await
    }

    /// Applies what other nodes committed since the configuration being served (the change
    /// log), compiled and swapped in as a write would be: for a poll or a `LISTEN` loop
    /// (issue 16). Whether anything changed. In DB-less mode there is nothing to do.
    pub async fn refresh(&self) -> Result<bool, ApiError> {
        let Mode::Database(store) = &self.inner.mode else {
            return Ok(false);
        };
        let _serialised = self.inner.write_lock.lock().await;
        let current = self.inner.current.load_full();
        let db = store.database();
        let changes = db.changes_since(current.seq).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(false);
        };
        let keys = changed_keys(&changes);
        let mut found = Vec::with_capacity(keys.len());
        if keys.len() <= CATCH_UP_LIMIT {
            let rows = db.rows_by_id(&keys).await?;
            let mut by_key: std::collections::HashMap<(Kind, Uuid), Row> =
                rows.into_iter().map(|r| ((r.kind, r.id), r)).collect();
            for key in &keys {
                found.push((*key, by_key.remove(key)));
            }
        }
        self.apply_changes(&current, last, keys.len(), found)
            .await?;
        Ok(true)
    }

    /// The changed entities' rows (`None`: deleted) applied to `current`, or everything
    /// reloaded when there are too many; compiled, swapped, recorded at `last`.
    async fn apply_changes(
        &self,
        current: &Current,
        last: i64,
        changed: usize,
        found: Vec<((Kind, Uuid), Option<Row>)>,
    ) -> Result<(), ApiError> {
        let (next, times) = if changed > CATCH_UP_LIMIT {
            self.reload_all().await?
        } else {
            let mut applied = Vec::with_capacity(found.len());
            let mut rows = Vec::with_capacity(found.len());
            for ((kind, id), row) in found {
                match row {
                    Some(row) => {
                        applied.push(Change::put(row.decode()?));
                        rows.push(RowWrite::Put(row));
                    }
                    None => {
                        applied.push(Change::delete(kind, id));
                        rows.push(RowWrite::Delete(kind, id));
                    }
                }
            }
            let next = current.config.apply(applied).map_err(|e| {
                ApiError::internal(format!("the database's changes do not apply: {e}"))
            })?;
            (next, Some(rows))
        };
        let prepared = self.prepare(&next).await?;
        self.inner.node.swap(prepared);
        if let Some(rows) = times {
            self.record_times(&rows);
        }
        self.inner.current.store(Arc::new(Current {
            config: next,
            seq: last,
            hash: None,
        }));
        tracing::info!(from = current.seq, to = last, "caught up with the database");
        Ok(())
    }

    /// Every row again (the write lock is held, so nothing changes meanwhile).
    async fn reload_all(&self) -> Result<(Config, Option<Vec<RowWrite>>), ApiError> {
        let Mode::Database(store) = &self.inner.mode else {
            return Err(ApiError::internal("no database to reload from"));
        };
        let snapshot = store.snapshot(&self.inner.loader).await?;
        if let Ok(mut times) = self.inner.times.write() {
            *times = snapshot.times;
        }
        Ok((snapshot.config, None))
    }
}
