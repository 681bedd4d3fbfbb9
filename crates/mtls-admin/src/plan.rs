//! Planning a write: the record built from the request (typed by the schema for forms, its
//! parent set from the URL), checked against the configuration being served, with Kong's
//! 409s and cascades; the rows and changes to apply.

use hyper::StatusCode;
use mtls_kong_config::form as args;
use mtls_kong_config::schema::Type;
use mtls_kong_config::{AnyEntity, Change, Config, Errors, Kind, Record};
use mtls_store::{Row, unix_now};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::admin::Admin;
use crate::error::ApiError;
use crate::lookup;
use crate::path::Parent;
use crate::write::RowWrite;

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
pub(crate) struct Request<'a> {
    pub(crate) kind: Kind,
    pub(crate) key: Option<String>,
    pub(crate) parent: Option<&'a Parent>,
    pub(crate) value: Value,
    pub(crate) form: bool,
}

impl Admin {
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

    pub(crate) fn plan_create(
        &self,
        config: &Config,
        mut request: Request<'_>,
    ) -> Result<Plan, ApiError> {
        let snis = take_snis(request.kind, &mut request.value)?;
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
        let plan = Plan::put(entity, unix_now(), StatusCode::CREATED, "create");
        self.attach_snis(config, plan, snis)
    }

    pub(crate) fn plan_upsert(
        &self,
        config: &Config,
        mut request: Request<'_>,
    ) -> Result<Plan, ApiError> {
        let key = request.key.clone().unwrap_or_default();
        let consumer = match request.parent {
            Some(p) if p.kind == Kind::Consumer => Some(self.parent_id(config, p)?),
            _ => None,
        };
        let snis = take_snis(request.kind, &mut request.value)?;
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
        let plan = Plan::put(entity, created, status, "upsert");
        self.attach_snis(config, plan, snis)
    }

    pub(crate) fn plan_update(
        &self,
        config: &Config,
        mut request: Request<'_>,
    ) -> Result<Plan, ApiError> {
        let key = request.key.clone().unwrap_or_default();
        let snis = take_snis(request.kind, &mut request.value)?;
        let existing = self.find(config, request.kind, &key, request.parent)?;
        let mut base = existing.to_json();
        if let Value::Object(b) = &mut base {
            b.remove("snis");
        }
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
        let plan = Plan::put(entity, created, StatusCode::OK, "update");
        self.attach_snis(config, plan, snis)
    }

    /// Kong's `snis` shorthand on a certificate write: the certificate's SNIs become exactly
    /// `names` (new ones created, others deleted) in the same write; `None` leaves them.
    fn attach_snis(
        &self,
        config: &Config,
        mut plan: Plan,
        names: Option<Vec<String>>,
    ) -> Result<Plan, ApiError> {
        let (Some(names), Some((Kind::Certificate, cert))) = (names, plan.answer) else {
            return Ok(plan);
        };
        let with_cert = config
            .apply(plan.changes.clone())
            .map_err(|e| ApiError::schema_violation(&remap(Kind::Certificate, e)))?;
        let owned: Vec<_> = config
            .snis()
            .iter()
            .filter(|s| s.certificate == cert)
            .collect();
        for sni in &owned {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(&sni.name)) {
                plan.changes.push(Change::delete(Kind::Sni, sni.id));
                plan.writes.push(RowWrite::Delete(Kind::Sni, sni.id));
            }
        }
        let now = unix_now();
        for name in &names {
            if owned.iter().any(|s| s.name.eq_ignore_ascii_case(name)) {
                continue;
            }
            let value =
                json!({ "id": Uuid::new_v4(), "name": name, "certificate": { "id": cert } });
            let entity = self.check(&with_cert, Kind::Sni, value).map_err(|e| {
                let why = e.body()["message"].as_str().unwrap_or_default().to_owned();
                ApiError::schema_violation_at("snis", &format!("invalid SNI {name:?}: {why}"))
            })?;
            crate::unique::check(&with_cert, &entity)?;
            plan.writes.push(RowWrite::Put(Row::new(&entity, now)));
            plan.changes.push(Change::put(entity));
        }
        Ok(plan)
    }

    pub(crate) fn plan_delete(
        &self,
        config: &Config,
        request: Request<'_>,
    ) -> Result<Option<Plan>, ApiError> {
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
/// Kong's `snis` shorthand, taken out of a certificate's body: `None` when absent; a list
/// (strings, or records with a `name`), a single name, or null (none) otherwise.
fn take_snis(kind: Kind, value: &mut Value) -> Result<Option<Vec<String>>, ApiError> {
    if kind != Kind::Certificate {
        return Ok(None);
    }
    let Some(given) = value.as_object_mut().and_then(|m| m.remove("snis")) else {
        return Ok(None);
    };
    let bad = || ApiError::schema_violation_at("snis", "expected an array of server names");
    let items = match given {
        Value::Null => Vec::new(),
        Value::String(name) if name.is_empty() => Vec::new(),
        Value::String(name) => vec![Value::String(name)],
        Value::Array(items) => items,
        _ => return Err(bad()),
    };
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let name = match item {
            Value::String(name) => name,
            Value::Object(mut record) => match record.remove("name") {
                Some(Value::String(name)) => name,
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    Ok(Some(names))
}

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
pub(crate) fn remap(
    kind: Kind,
    errors: mtls_kong_config::ConfigErrors,
) -> mtls_kong_config::ConfigErrors {
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
