//! Writing: every write validates the entity against the configuration being served, builds
//! the next configuration ([`Config::apply`]), has the node compile it, and only then commits
//! the rows and their change records and swaps the node; otherwise nothing changes.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use mtls_kong_config::schema::Type;
use mtls_kong_config::{AnyEntity, Change, Config, Errors, Kind, Record};
use mtls_store::{Row, WriteTransaction, unix_now};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::admin::{Admin, Current, Mode};
use crate::body::Body;
use crate::error::ApiError;
use crate::lookup;
use crate::path::{Parent, Target};
use mtls_kong_config::form as args;

/// The most changed entities applied one by one when catching up; beyond, a full reload.
pub(crate) const CATCH_UP_LIMIT: usize = 1000;

/// One row to write.
#[derive(Debug)]
pub(crate) enum RowWrite {
    Put(Row),
    Delete(Kind, Uuid),
}

/// A validated write, ready to be applied.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) changes: Vec<Change>,
    pub(crate) writes: Vec<RowWrite>,
    pub(crate) status: StatusCode,
    pub(crate) answer: Option<(Kind, Uuid)>,
    pub(crate) operation: &'static str,
}

impl Plan {
    fn put(
        entity: AnyEntity,
        created_at: i64,
        status: StatusCode,
        operation: &'static str,
    ) -> Self {
        let mut row = Row::new(&entity, unix_now());
        row.created_at = created_at;
        let answer = Some((entity.kind(), entity.id()));
        Self {
            changes: vec![Change::put(entity)],
            writes: vec![RowWrite::Put(row)],
            status,
            answer,
            operation,
        }
    }
}

/// What a write asks for, once its target is known.
struct Request<'a> {
    kind: Kind,
    key: Option<String>,
    parent: Option<&'a Parent>,
    value: Value,
    form: bool,
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
        let mut seen = std::collections::HashSet::new();
        let keys: Vec<(Kind, Uuid)> = changes
            .iter()
            .rev()
            .map(|c| (c.kind, c.id))
            .filter(|key| seen.insert(*key))
            .collect();
        let (next, times) = if keys.len() > CATCH_UP_LIMIT {
            self.reload_all().await?
        } else {
            let mut applied = Vec::with_capacity(keys.len());
            let mut rows = Vec::with_capacity(keys.len());
            for (kind, id) in keys {
                match tx.row(kind, id).await? {
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

    /// Checks one record against `config`: Kong's schema violation with `fields`.
    fn check(&self, config: &Config, kind: Kind, value: Value) -> Result<AnyEntity, ApiError> {
        let record = Record {
            kind,
            value,
            path: String::new(),
        };
        self.inner
            .loader
            .check_record(config, record)
            .map_err(|e| ApiError::schema_violation(&remap(kind, e)))
    }

    /// The record of a request, typed by the schema when it came as a form, with its parent
    /// set from the URL.
    fn record(&self, config: &Config, request: &mut Request<'_>) -> Result<(), ApiError> {
        if !request.value.is_object() {
            return Err(ApiError::schema_violation_at("", "expected a record"));
        }
        if request.form {
            let plugin = request
                .value
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let config_fields = plugin
                .as_deref()
                .and_then(mtls_kong_config::plugins::config_fields);
            args::coerce(
                &mut request.value,
                request.kind.schema().fields,
                config_fields,
            );
        }
        if let Some(parent) = request.parent {
            let id = self.parent_id(config, parent)?;
            request.value[parent.field] = json!({ "id": id });
        }
        check_references(config, request.kind, &request.value)
    }

    fn plan_create(&self, config: &Config, mut request: Request<'_>) -> Result<Plan, ApiError> {
        self.record(config, &mut request)?;
        let id = match request.value.get("id") {
            None | Some(Value::Null) => Uuid::new_v4(),
            Some(given) => match given.as_str().and_then(mtls_consumer::parse_kong_uuid) {
                Some(id) if config.contains(request.kind, id) => {
                    let mut fields = Map::new();
                    fields.insert("id".into(), Value::String(id.to_string()));
                    return Err(ApiError::unique_violation(fields));
                }
                Some(id) => id,
                None => Uuid::nil(), // reported by the schema
            },
        };
        if !id.is_nil() {
            request.value["id"] = Value::String(id.to_string());
        }
        let entity = self.check(config, request.kind, request.value)?;
        crate::unique::check(config, &entity)?;
        Ok(Plan::put(entity, unix_now(), StatusCode::CREATED, "create"))
    }

    fn plan_upsert(&self, config: &Config, mut request: Request<'_>) -> Result<Plan, ApiError> {
        let key = request.key.clone().unwrap_or_default();
        let consumer = match request.parent {
            Some(p) if p.kind == Kind::Consumer => Some(self.parent_id(config, p)?),
            _ => None,
        };
        let existing = lookup::resolve(config, request.kind, &key, consumer);
        if let (Some(id), Some(parent)) = (existing, request.parent) {
            let pid = self.parent_id(config, parent)?;
            let entity = lookup::by_id(config, request.kind, id).ok_or_else(ApiError::not_found)?;
            if !lookup::belongs(&entity, parent.field, pid) {
                return Err(ApiError::not_found());
            }
        }
        self.record(config, &mut request)?;
        let given = mtls_consumer::parse_kong_uuid(&key);
        if given.is_none() {
            let field =
                endpoint_field(request.kind, request.parent).ok_or_else(ApiError::not_found)?;
            request.value[field] = Value::String(key.clone());
        }
        let id = existing.or(given).unwrap_or_else(Uuid::new_v4);
        request.value["id"] = Value::String(id.to_string());
        let entity = self.check(config, request.kind, request.value)?;
        crate::unique::check(config, &entity)?;
        let (status, created) = match existing {
            Some(id) => (StatusCode::OK, self.created_at(request.kind, id)),
            None => (StatusCode::CREATED, unix_now()),
        };
        Ok(Plan::put(entity, created, status, "upsert"))
    }

    fn plan_update(&self, config: &Config, mut request: Request<'_>) -> Result<Plan, ApiError> {
        let key = request.key.clone().unwrap_or_default();
        let existing = self.find(config, request.kind, &key, request.parent)?;
        let mut base = existing.to_json();
        if request.form && request.value.get("name").is_none() {
            // A plugin's config fields are typed by the stored plugin's name.
            if let Some(name) = base.get("name").cloned() {
                request.value["name"] = name;
            }
        }
        self.record(config, &mut request)?;
        if request.kind == Kind::Service
            && let (Value::Object(b), Some(url)) = (&mut base, request.value.get("url"))
            && !url.is_null()
        {
            for field in ["protocol", "host", "port", "path"] {
                b.remove(field);
            }
        }
        merge(&mut base, request.value);
        base["id"] = Value::String(existing.id().to_string());
        let entity = self.check(config, request.kind, base)?;
        crate::unique::check(config, &entity)?;
        let created = self.created_at(request.kind, existing.id());
        Ok(Plan::put(entity, created, StatusCode::OK, "update"))
    }

    fn plan_delete(&self, config: &Config, request: Request<'_>) -> Result<Option<Plan>, ApiError> {
        let key = request.key.unwrap_or_default();
        if let Some(parent) = request.parent {
            self.parent_id(config, parent)?;
        }
        let entity = match self.find(config, request.kind, &key, request.parent) {
            Ok(entity) => entity,
            Err(e) if e.status() == StatusCode::NOT_FOUND => return Ok(None),
            Err(e) => return Err(e),
        };
        let dependents = crate::cascade::dependents(config, &entity)?;
        let mut writes: Vec<RowWrite> = dependents
            .iter()
            .map(|&(k, id)| RowWrite::Delete(k, id))
            .collect();
        writes.push(RowWrite::Delete(entity.kind(), entity.id()));
        let changes = writes
            .iter()
            .filter_map(|w| match w {
                RowWrite::Delete(k, id) => Some(Change::delete(*k, *id)),
                RowWrite::Put(_) => None,
            })
            .collect();
        Ok(Some(Plan {
            changes,
            writes,
            status: StatusCode::NO_CONTENT,
            answer: None,
            operation: "delete",
        }))
    }

    fn created_at(&self, kind: Kind, id: Uuid) -> i64 {
        self.inner
            .times
            .read()
            .ok()
            .and_then(|t| t.get(&(kind, id)).map(|(c, _)| *c))
            .unwrap_or_else(unix_now)
    }
}

/// The field a non-UUID key sets on PUT (`PUT /consumers/alice`).
fn endpoint_field(kind: Kind, parent: Option<&Parent>) -> Option<&'static str> {
    match kind {
        Kind::Acl if parent.is_some() => Some("group"),
        other => other.schema().endpoint_key,
    }
}

/// Kong's code 4 for a foreign key naming nothing (by id; names are the loader's to resolve).
fn check_references(config: &Config, kind: Kind, value: &Value) -> Result<(), ApiError> {
    for field in kind.schema().fields {
        let Type::Foreign(table) = field.ty else {
            continue;
        };
        let Some(target) = Kind::from_table(table) else {
            continue;
        };
        let id = match value.get(field.name) {
            Some(Value::Object(map)) => map.get("id").and_then(Value::as_str),
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        if let Some(id) = id.and_then(mtls_consumer::parse_kong_uuid)
            && !config.contains(target, id)
        {
            return Err(ApiError::invalid_reference(
                field.name,
                json!({ "id": id }),
                table,
            ));
        }
    }
    Ok(())
}

/// PATCH: `patch` over `base`, records (`config` and its nested records) merged, anything
/// else (arrays included) replaced.
fn merge(base: &mut Value, patch: Value) {
    let (Value::Object(base), Value::Object(patch)) = (base, patch) else {
        return;
    };
    for (key, value) in patch {
        match (base.get_mut(&key), value) {
            (Some(existing @ Value::Object(_)), Value::Object(v)) if key == "config" => {
                merge_deep(existing, Value::Object(v));
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn merge_deep(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_deep(existing, value);
                    }
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

/// Kong reports a CA certificate's own problems (not a CA, expired, several blocks) at the
/// entity, not at `cert`.
fn remap(kind: Kind, errors: mtls_kong_config::ConfigErrors) -> mtls_kong_config::ConfigErrors {
    if kind != Kind::CaCertificate {
        return errors;
    }
    let mut out = Errors::default();
    for e in errors {
        let field_level = matches!(
            e.message(),
            "required field missing" | "expected a string" | "unknown field"
        );
        if e.path() == "cert" && !field_level {
            out.push("", e.message());
        } else {
            out.push(e.path(), e.message());
        }
    }
    out.into_errors()
}
