//! Kong's error answers: `{code, name, message, fields}` with Kong's codes and statuses, and
//! the `fields` tree built from the loader's errors (their paths mirror the entity).

use hyper::StatusCode;
use mtls_kong_config::ConfigErrors;
use serde_json::{Map, Value, json};

/// Kong's error codes (kong/db/errors.lua).
pub mod codes {
    /// A value breaks the entity's schema.
    pub const SCHEMA_VIOLATION: u16 = 2;
    /// A foreign key names nothing, or the entity is still referred to.
    pub const FOREIGN_KEY_VIOLATION: u16 = 4;
    /// A unique field's value is taken.
    pub const UNIQUE_VIOLATION: u16 = 5;
    /// A page offset is not one this API handed out.
    pub const INVALID_OFFSET: u16 = 7;
    /// A page size is not a number between 1 and 1000.
    pub const INVALID_SIZE: u16 = 9;
    /// A write in DB-less mode.
    pub const OPERATION_UNSUPPORTED: u16 = 12;
    /// A declarative configuration that does not load.
    pub const DECLARATIVE_CONFIG: u16 = 14;
    /// A CA still named by a service or a plugin.
    pub const REFERENCED_BY_OTHERS: u16 = 19;
}

/// An answer that is not a success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// `{"message": ...}` with this status.
    #[error("{status}: {message}")]
    Message {
        /// The status.
        status: StatusCode,
        /// The message.
        message: String,
    },
    /// Kong's `{code, name, message[, fields]}` with this status.
    #[error("{status}: {message}")]
    Coded {
        /// The status.
        status: StatusCode,
        /// Kong's code.
        code: u16,
        /// Kong's name for it.
        name: &'static str,
        /// The message.
        message: String,
        /// The fields, when the error has them.
        fields: Option<Value>,
    },
    /// Something failed on our side: logged in full, answered as Kong's 500 / 503 without
    /// the details.
    #[error("internal error: {detail}")]
    Internal {
        /// 500, or 503 when the database cannot be reached.
        status: StatusCode,
        /// What failed (logged, never sent).
        detail: String,
    },
}

impl ApiError {
    /// `404 {"message":"Not found"}`.
    pub fn not_found() -> Self {
        Self::message(StatusCode::NOT_FOUND, "Not found")
    }

    /// `405 {"message":"Method not allowed"}`.
    pub fn method_not_allowed() -> Self {
        Self::message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
    }

    /// A status with `{"message": ...}`.
    pub fn message(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Message {
            status,
            message: message.into(),
        }
    }

    /// A coded 400.
    pub fn bad_request(code: u16, name: &'static str, message: impl Into<String>) -> Self {
        Self::Coded {
            status: StatusCode::BAD_REQUEST,
            code,
            name,
            message: message.into(),
            fields: None,
        }
    }

    /// Kong's schema violation (400, code 2) from the loader's errors about one record.
    pub fn schema_violation(errors: &ConfigErrors) -> Self {
        let fields = fields_tree(errors);
        Self::Coded {
            status: StatusCode::BAD_REQUEST,
            code: codes::SCHEMA_VIOLATION,
            name: "schema violation",
            message: schema_message(&fields),
            fields: Some(fields),
        }
    }

    /// One schema violation at a field (`""`: the entity).
    pub fn schema_violation_at(path: &str, message: &str) -> Self {
        Self::schema_violation(&ConfigErrors::single(path, message))
    }

    /// Kong's unique violation (409, code 5): `UNIQUE violation detected on '{k="v"}'`.
    pub fn unique_violation(fields: Map<String, Value>) -> Self {
        let shown: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", lua_value(v)))
            .collect();
        Self::Coded {
            status: StatusCode::CONFLICT,
            code: codes::UNIQUE_VIOLATION,
            name: "unique constraint violation",
            message: format!("UNIQUE violation detected on '{{{}}}'", shown.join(",")),
            fields: Some(Value::Object(fields)),
        }
    }

    /// Kong's foreign key violation for a reference to nothing (400, code 4).
    pub fn invalid_reference(field: &str, reference: Value, table: &str) -> Self {
        let mut fields = Map::new();
        fields.insert(field.to_owned(), reference.clone());
        Self::Coded {
            status: StatusCode::BAD_REQUEST,
            code: codes::FOREIGN_KEY_VIOLATION,
            name: "foreign key violation",
            message: format!(
                "the foreign key '{}' does not reference an existing '{table}' entity.",
                lua_value(&reference)
            ),
            fields: Some(Value::Object(fields)),
        }
    }

    /// Kong's foreign key violation for a delete that others still depend on (400, code 4).
    pub fn restricted(parent: &str, child: &str) -> Self {
        Self::Coded {
            status: StatusCode::BAD_REQUEST,
            code: codes::FOREIGN_KEY_VIOLATION,
            name: "foreign key violation",
            message: format!("an existing '{child}' entity references this '{parent}' entity"),
            fields: Some(json!({ "@referenced_by": child })),
        }
    }

    /// DB-less mode's answer to a write (405, code 12).
    pub fn db_less(verb: &str, table: &str) -> Self {
        Self::Coded {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: codes::OPERATION_UNSUPPORTED,
            name: "operation unsupported",
            message: format!("cannot {verb} '{table}' entities when not using a database"),
            fields: None,
        }
    }

    /// An internal failure (500).
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            detail: detail.into(),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Message { status, .. }
            | Self::Coded { status, .. }
            | Self::Internal { status, .. } => *status,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        match self {
            Self::Message { message, .. } => json!({ "message": message }),
            Self::Coded {
                code,
                name,
                message,
                fields,
                ..
            } => {
                let mut body = json!({ "code": code, "name": name, "message": message });
                if let (Some(fields), Value::Object(map)) = (fields, &mut body) {
                    map.insert("fields".into(), fields.clone());
                }
                body
            }
            Self::Internal { .. } => json!({ "message": "An unexpected error occurred" }),
        }
    }
}

impl From<mtls_store::StoreError> for ApiError {
    fn from(e: mtls_store::StoreError) -> Self {
        // Checked before the write; the database's own constraints are the backstop.
        match &e {
            mtls_store::StoreError::Unique { table, .. } => {
                return Self::Coded {
                    status: StatusCode::CONFLICT,
                    code: codes::UNIQUE_VIOLATION,
                    name: "unique constraint violation",
                    message: format!("UNIQUE violation detected on '{table}'"),
                    fields: None,
                };
            }
            mtls_store::StoreError::ForeignKey { table, .. } => {
                return Self::bad_request(
                    codes::FOREIGN_KEY_VIOLATION,
                    "foreign key violation",
                    format!("foreign key violation on '{table}'"),
                );
            }
            _ => {}
        }
        let status = if e.is_unavailable() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        Self::Internal {
            status,
            detail: e.to_string(),
        }
    }
}

/// A value as Kong's messages show it (Lua's pretty printer: strings quoted, tables braced).
fn lua_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => format!("{s:?}"),
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", lua_value(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.to_string(),
    }
}

/// One step of an error path: a field, or an index in an array.
enum Step<'a> {
    Field(&'a str),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let Some(open) = part.find('[') else {
            out.push(Step::Field(part));
            continue;
        };
        let mut indexes = Vec::new();
        let mut rest = &part[open..];
        while let Some(inside) = rest.strip_prefix('[') {
            let Some(close) = inside.find(']') else { break };
            let Ok(i) = inside[..close].parse::<usize>() else {
                break;
            };
            indexes.push(Step::Index(i));
            rest = &inside[close + 1..];
        }
        if rest.is_empty() {
            if open > 0 {
                out.push(Step::Field(&part[..open]));
            }
            out.extend(indexes);
        } else {
            // A field name with brackets of its own (an unknown field as written).
            out.push(Step::Field(part));
        }
    }
    out
}

/// Kong's `fields`: the errors as a tree mirroring the entity (arrays by index, `null` where
/// an element is fine), entity-level errors as a list under `@entity`.
pub fn fields_tree(errors: &ConfigErrors) -> Value {
    let mut root = Value::Object(Map::new());
    for error in errors.errors() {
        let steps = steps(error.path());
        if steps.is_empty() {
            let entity = root
                .as_object_mut()
                .map(|m| m.entry("@entity").or_insert_with(|| json!([])));
            if let Some(Value::Array(list)) = entity {
                list.push(Value::String(error.message().to_owned()));
            }
            continue;
        }
        insert(&mut root, &steps, error.message());
    }
    root
}

fn insert(node: &mut Value, steps: &[Step<'_>], message: &str) {
    let Some((first, rest)) = steps.split_first() else {
        return;
    };
    let slot = match first {
        Step::Field(name) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            match node.as_object_mut() {
                Some(map) => map.entry(name.to_string()).or_insert(Value::Null),
                None => return,
            }
        }
        Step::Index(i) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let Some(list) = node.as_array_mut() else {
                return;
            };
            if list.len() <= *i {
                list.resize(*i + 1, Value::Null);
            }
            &mut list[*i]
        }
    };
    if rest.is_empty() {
        if slot.is_null() {
            *slot = Value::String(message.to_owned());
        }
    } else {
        if slot.is_string() {
            return;
        }
        insert(slot, rest, message);
    }
}

/// Kong's message for a schema violation: `schema violation (field: msg)` or
/// `N schema violations (a: x; b.c: y)`.
fn schema_message(fields: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(Value::Array(entity)) = fields.get("@entity") {
        parts.extend(entity.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Value::Object(map) = fields {
        let mut keys: Vec<&String> = map.keys().filter(|k| *k != "@entity").collect();
        keys.sort();
        for key in keys {
            match &map[key] {
                Value::String(s) => parts.push(format!("{key}: {s}")),
                Value::Object(sub) => {
                    let mut subs: Vec<&String> = sub.keys().collect();
                    subs.sort();
                    for s in subs {
                        parts.push(format!("{key}.{s}: {}", shown(&sub[s])));
                    }
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate().filter(|(_, v)| !v.is_null()) {
                        parts.push(format!("{key}.{}: {}", i + 1, shown(item)));
                    }
                }
                other => parts.push(format!("{key}: {other}")),
            }
        }
    }
    if parts.len() == 1 {
        format!("schema violation ({})", parts[0])
    } else {
        format!("{} schema violations ({})", parts.len(), parts.join("; "))
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_mirror_the_entity() {
        let errors = ConfigErrors::single("paths[1]", "should start with: /");
        let e = ApiError::schema_violation(&errors);
        assert_eq!(
            e.body(),
            json!({"code": 2, "name": "schema violation",
                   "message": "schema violation (paths.2: should start with: /)",
                   "fields": {"paths": [null, "should start with: /"]}})
        );
        let e = ApiError::schema_violation_at("", "at least one of username, custom_id");
        assert_eq!(
            e.body()["fields"],
            json!({"@entity": ["at least one of username, custom_id"]})
        );
        assert_eq!(
            e.body()["message"],
            "schema violation (at least one of username, custom_id)"
        );
        let mut f = Map::new();
        f.insert("username".into(), json!("alice"));
        assert_eq!(
            ApiError::unique_violation(f).body()["message"],
            "UNIQUE violation detected on '{username=\"alice\"}'"
        );
        // Field names from the request may hold brackets.
        let odd = ConfigErrors::single("a[[1]]", "unknown field");
        assert_eq!(fields_tree(&odd), json!({"a[[1]]": "unknown field"}));
        let deep = ConfigErrors::single("config.ca_certificates[0]", "no ca_certificate with id x");
        assert_eq!(
            fields_tree(&deep),
            json!({"config": {"ca_certificates": ["no ca_certificate with id x"]}})
        );
    }
}
