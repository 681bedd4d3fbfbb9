//! The generic reader: a schema applied to a record as written.

use serde_json::{Map, Number, Value};

use super::{Default, Field, Type};
use crate::error::{Errors, index, join};

/// Reads `value` as a record with `fields` at `path`: every problem reported with its path,
/// every field present in the result (its value, its default, or null). Keys that are neither
/// fields nor `ignored` nor `skip` (nested entities the caller reads itself) are "unknown
/// field". `None` when `value` is not a record at all.
///
/// Normalised values: integers as integers, UUIDs hyphenated and lower case, foreign keys as
/// `{"id": "..."}` (an id) or `{"name": "..."}` (an endpoint key) for resolution.
pub fn read_record(
    fields: &[Field],
    ignored: &[&str],
    skip: &[&str],
    value: &Value,
    path: &str,
    errors: &mut Errors,
) -> Option<Map<String, Value>> {
    let Value::Object(map) = value else {
        errors.push(path, "expected a record");
        return None;
    };
    let mut out = Map::with_capacity(fields.len());
    for field in fields {
        let field_path = join(path, field.name);
        let given = match map.get(field.name) {
            Some(Value::Null) if field.nullable => Some(&Value::Null),
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        };
        // A value missing or of the wrong type is reported and read as its default (or, for
        // a required field, as the type's zero), so that the entity's other rules are still
        // checked; only the first error per path is kept.
        let normalised = match given {
            None => {
                if field.required {
                    errors.push(&field_path, "required field missing");
                    fallback(field)
                } else {
                    default_value(field)
                }
            }
            Some(Value::Null) => {
                if field.required {
                    errors.push(&field_path, "required field missing");
                    fallback(field)
                } else {
                    Value::Null
                }
            }
            Some(v) => match read_value(&field.ty, v, &field_path, errors) {
                Some(v) => match field.check {
                    Some(check) => checked(check, v, field, &field_path, errors),
                    None => v,
                },
                None => fallback(field),
            },
        };
        out.insert(field.name.to_owned(), normalised);
    }
    for key in map.keys() {
        let key = key.as_str();
        if !fields.iter().any(|f| f.name == key) && !ignored.contains(&key) && !skip.contains(&key)
        {
            errors.push(join(path, key), "unknown field");
        }
    }
    Some(out)
}

/// A check on each element of an array, or on the value itself. A value that fails is
/// reported and kept (so the entity's other rules see it), unless the field is
/// [`strict`](Field::strict): then it reads as its fallback.
fn checked(
    check: super::Check,
    value: Value,
    field: &Field,
    path: &str,
    errors: &mut Errors,
) -> Value {
    let mut ok = true;
    match &value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Err(message) = check(item) {
                    errors.push(index(path, i), message);
                    ok = false;
                }
            }
        }
        other => {
            if let Err(message) = check(other) {
                errors.push(path, message);
                ok = false;
            }
        }
    }
    if ok || !field.strict {
        value
    } else {
        fallback(field)
    }
}

/// What a field reads as when its value is missing or wrong: its default, or the zero of its
/// type for a required field without one.
fn fallback(field: &Field) -> Value {
    match default_value(field) {
        Value::Null if field.required => zero(&field.ty),
        value => value,
    }
}

/// The zero value of a type (a string for a string, ...).
fn zero(ty: &Type) -> Value {
    match ty {
        Type::String => Value::String(String::new()),
        Type::Boolean => Value::Bool(false),
        Type::Integer { min, max } => Value::Number((0i64).clamp(*min, *max).into()),
        Type::Number => Value::Number(0.into()),
        Type::Array(_) => Value::Array(Vec::new()),
        Type::Map(_) => Value::Object(Map::new()),
        Type::OneOf(names) => names
            .first()
            .map_or(Value::Null, |n| Value::String((*n).to_owned())),
        Type::Uuid | Type::Foreign(_) => Value::Null,
        Type::Record(fields) => {
            let mut sink = Errors::default();
            read_record(fields, &[], &[], &Value::Object(Map::new()), "", &mut sink)
                .map_or(Value::Null, Value::Object)
        }
    }
}

/// A field's default as a value.
fn default_value(field: &Field) -> Value {
    match field.default {
        Default::Null => Value::Null,
        Default::Bool(b) => Value::Bool(b),
        Default::Int(n) => Value::Number(n.into()),
        Default::Number(n) => Number::from_f64(n).map_or(Value::Null, Value::Number),
        Default::Str(s) => Value::String(s.to_owned()),
        Default::Strings(items) => Value::Array(
            items
                .iter()
                .map(|s| Value::String((*s).to_owned()))
                .collect(),
        ),
        Default::EmptyMap => Value::Object(Map::new()),
        Default::Record => match field.ty {
            Type::Record(fields) => {
                let mut sink = Errors::default();
                read_record(fields, &[], &[], &Value::Object(Map::new()), "", &mut sink)
                    .map_or(Value::Null, Value::Object)
            }
            _ => Value::Null,
        },
    }
}

/// Reads one value of type `ty` at `path`; `None` (and an error) when it does not conform.
pub fn read_value(ty: &Type, value: &Value, path: &str, errors: &mut Errors) -> Option<Value> {
    match ty {
        Type::String => match value {
            Value::String(_) => Some(value.clone()),
            _ => fail(errors, path, "expected a string"),
        },
        Type::Boolean => match value {
            Value::Bool(_) => Some(value.clone()),
            _ => fail(errors, path, "expected a boolean"),
        },
        Type::Integer { min, max } => {
            let Some(n) = as_integer(value) else {
                return fail(errors, path, "expected an integer");
            };
            if n < *min || n > *max {
                return fail(
                    errors,
                    path,
                    &format!("value should be between {min} and {max}"),
                );
            }
            Some(Value::Number(n.into()))
        }
        Type::Number => match value {
            Value::Number(_) => Some(value.clone()),
            _ => fail(errors, path, "expected a number"),
        },
        Type::Uuid => read_uuid(value, path, errors).map(Value::String),
        Type::Array(element) => {
            let Value::Array(items) = value else {
                return fail(errors, path, "expected an array");
            };
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match read_value(element, item, &index(path, i), errors) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
            ok.then_some(Value::Array(out))
        }
        Type::Map(element) => {
            let Value::Object(map) = value else {
                return fail(errors, path, "expected a map");
            };
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map {
                if let Some(v) = read_value(element, item, &join(path, key), errors) {
                    out.insert(key.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        Type::OneOf(names) => match value {
            Value::String(s) if names.contains(&s.as_str()) => Some(value.clone()),
            _ => fail(
                errors,
                path,
                &format!("expected one of: {}", names.join(", ")),
            ),
        },
        Type::Foreign(_) => read_reference(value, path, errors),
        Type::Record(fields) => {
            read_record(fields, &[], &[], value, path, errors).map(Value::Object)
        }
    }
}

fn fail(errors: &mut Errors, path: &str, message: &str) -> Option<Value> {
    errors.push(path, message);
    None
}

/// An integer, also from a float without a fraction (YAML and JSON writers differ).
pub(crate) fn as_integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// A hyphenated UUID in a string or an `{id: ...}` record, lower case.
fn read_uuid(value: &Value, path: &str, errors: &mut Errors) -> Option<String> {
    match value {
        Value::String(s) => match mtls_consumer::parse_kong_uuid(s) {
            Some(id) => Some(id.hyphenated().to_string()),
            None => {
                errors.push(path, "expected a valid UUID");
                None
            }
        },
        Value::Object(map) if map.len() == 1 && map.contains_key("id") => map
            .get("id")
            .and_then(|v| read_uuid(v, &join(path, "id"), errors)),
        _ => {
            errors.push(path, "expected a string");
            None
        }
    }
}

/// A foreign key: an id or a name in a string, `{id: ...}` or `{name: ...}`.
fn read_reference(value: &Value, path: &str, errors: &mut Errors) -> Option<Value> {
    let by = |key: &str, v: String| {
        let mut map = Map::new();
        map.insert(key.to_owned(), Value::String(v));
        Some(Value::Object(map))
    };
    match value {
        Value::String(s) if s.is_empty() => fail(errors, path, "length must be at least 1"),
        Value::String(s) => match mtls_consumer::parse_kong_uuid(s) {
            Some(id) => by("id", id.hyphenated().to_string()),
            None => by("name", s.clone()),
        },
        Value::Object(map) => {
            if let Some(name) = map.get("name").filter(|_| map.len() == 1) {
                return match name {
                    Value::String(s) if !s.is_empty() => by("name", s.clone()),
                    _ => fail(errors, &join(path, "name"), "expected a string"),
                };
            }
            let id = match map.get("id") {
                Some(v) => read_uuid(v, &join(path, "id"), errors),
                None => {
                    errors.push(join(path, "id"), "required field missing");
                    None
                }
            };
            for key in map.keys().filter(|k| k.as_str() != "id") {
                errors.push(join(path, key), "unknown field");
            }
            by("id", id?)
        }
        _ => fail(errors, path, "expected an id, a name or a record {id: ...}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::types::STRINGS;
    use serde_json::json;

    const FIELDS: &[Field] = &[
        Field::new("name", Type::String).required(),
        Field::new("port", Type::Integer { min: 0, max: 65535 }).default(Default::Int(80)),
        Field::new("tags", STRINGS).default(Default::Strings(&[])),
        Field::new("by", STRINGS)
            .default(Default::Strings(&["username"]))
            .nullable(),
        Field::new("service", Type::Foreign("services")),
    ];

    fn read(value: Value) -> (Option<Map<String, Value>>, Vec<String>) {
        let mut errors = Errors::default();
        let out = read_record(FIELDS, &["created_at"], &[], &value, "x", &mut errors);
        let lines = match errors.finish(()) {
            Ok(()) => Vec::new(),
            Err(e) => e.errors().iter().map(ToString::to_string).collect(),
        };
        (out, lines)
    }

    #[test]
    fn defaults_nulls_and_unknown_fields() {
        let (out, errors) = read(json!({"name": "a", "by": null, "created_at": 1, "x": 2}));
        assert_eq!(errors, ["x.x: unknown field"]);
        let out = Value::Object(out.unwrap());
        assert_eq!(out["port"], 80);
        assert_eq!(out["tags"], json!([]));
        assert_eq!(out["by"], Value::Null);
        let (out, _) = read(json!({"name": "a"}));
        assert_eq!(Value::Object(out.unwrap())["by"], json!(["username"]));
    }

    #[test]
    fn type_errors_with_paths() {
        let (_, errors) = read(json!({"port": 70000.0, "tags": [1], "service": ""}));
        assert_eq!(
            errors,
            [
                "x.name: required field missing",
                "x.port: value should be between 0 and 65535",
                "x.tags[0]: expected a string",
                "x.service: length must be at least 1",
            ]
        );
        let (_, errors) = read(json!([]));
        assert_eq!(errors, ["x: expected a record"]);
    }

    #[test]
    fn references_normalised() {
        let id = "8F4A1B2C-3D4E-4F50-8A6B-7C8D9E0F1A2B";
        for written in [json!(id), json!({"id": id})] {
            let (out, errors) = read(json!({"name": "a", "service": written}));
            assert!(errors.is_empty());
            assert_eq!(
                Value::Object(out.unwrap())["service"],
                json!({"id": id.to_lowercase()})
            );
        }
        let (out, _) = read(json!({"name": "a", "service": "billing"}));
        assert_eq!(
            Value::Object(out.unwrap())["service"],
            json!({"name": "billing"})
        );
        let (_, errors) = read(json!({"name": "a", "service": {"id": "x", "y": 1}}));
        assert_eq!(
            errors,
            [
                "x.service.id: expected a valid UUID",
                "x.service.y: unknown field"
            ]
        );
    }
}
