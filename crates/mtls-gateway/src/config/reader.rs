//! Reading a parsed document (a JSON value, also for YAML) field by field, collecting every
//! problem with its path instead of stopping at the first.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::{Errors, index, join};
use super::refs::Reference;

/// One record (object) of the document, read field by field. Fields not read nor declared
/// ignored are reported as Kong reports them: "unknown field".
pub(crate) struct Record<'a> {
    map: &'a Map<String, Value>,
    path: String,
    seen: BTreeSet<&'a str>,
}

impl<'a> Record<'a> {
    /// `value` as a record at `path`; "expected a record" otherwise.
    pub(crate) fn new(value: &'a Value, path: &str, errors: &mut Errors) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self {
                map,
                path: path.to_owned(),
                seen: BTreeSet::new(),
            }),
            _ => {
                errors.push(path, "expected a record");
                None
            }
        }
    }

    /// The path of `field`.
    pub(crate) fn field_path(&self, field: &str) -> String {
        join(&self.path, field)
    }

    /// Whether `field` is present (null included).
    pub(crate) fn has(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }

    /// The value of `field`, null included, marking it read.
    pub(crate) fn raw(&mut self, field: &str) -> Option<&'a Value> {
        let (key, value) = self.map.get_key_value(field)?;
        self.seen.insert(key.as_str());
        Some(value)
    }

    /// The value of `field`, `None` when absent or null.
    pub(crate) fn get(&mut self, field: &str) -> Option<&'a Value> {
        self.raw(field).filter(|v| !v.is_null())
    }

    /// Marks fields as known but not used by this project (Kong's other fields).
    pub(crate) fn ignore(&mut self, fields: &[&str]) {
        for field in fields {
            self.raw(field);
        }
    }

    /// Keys present in the record and not yet read, in document order.
    pub(crate) fn unread(&self) -> Vec<&'a str> {
        self.map
            .keys()
            .map(String::as_str)
            .filter(|k| !self.seen.contains(k))
            .collect()
    }

    /// Reports every field not read as "unknown field".
    pub(crate) fn finish(self, errors: &mut Errors) {
        for key in self.unread() {
            errors.push(join(&self.path, key), "unknown field");
        }
    }

    /// A required string (non-null).
    pub(crate) fn required_string(&mut self, field: &str, errors: &mut Errors) -> Option<String> {
        if self.get(field).is_none() {
            errors.push(self.field_path(field), "required field missing");
            return None;
        }
        self.string(field, errors)
    }

    /// An optional string.
    pub(crate) fn string(&mut self, field: &str, errors: &mut Errors) -> Option<String> {
        let value = self.get(field)?;
        as_string(value, &self.field_path(field), errors)
    }

    /// An optional boolean.
    pub(crate) fn bool(&mut self, field: &str, errors: &mut Errors) -> Option<bool> {
        match self.get(field)? {
            Value::Bool(b) => Some(*b),
            _ => {
                errors.push(self.field_path(field), "expected a boolean");
                None
            }
        }
    }

    /// A boolean with a default for absent or null.
    pub(crate) fn bool_or(&mut self, field: &str, default: bool, errors: &mut Errors) -> bool {
        self.bool(field, errors).unwrap_or(default)
    }

    /// An optional integer in `min..=max` (Kong's message outside it).
    pub(crate) fn integer(
        &mut self,
        field: &str,
        min: i64,
        max: i64,
        errors: &mut Errors,
    ) -> Option<i64> {
        let value = self.get(field)?;
        let path = self.field_path(field);
        let Some(n) = value.as_i64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }) else {
            errors.push(path, "expected an integer");
            return None;
        };
        if n < min || n > max {
            errors.push(path, format!("value should be between {min} and {max}"));
            return None;
        }
        Some(n)
    }

    /// An optional port (0-65535).
    pub(crate) fn port(&mut self, field: &str, errors: &mut Errors) -> Option<u16> {
        self.integer(field, 0, 65535, errors)
            .and_then(|n| u16::try_from(n).ok())
    }

    /// An optional number.
    pub(crate) fn number(&mut self, field: &str, errors: &mut Errors) -> Option<f64> {
        match self.get(field)? {
            Value::Number(n) => n.as_f64(),
            _ => {
                errors.push(self.field_path(field), "expected a number");
                None
            }
        }
    }

    /// An optional array of strings (null reads as absent).
    pub(crate) fn strings(&mut self, field: &str, errors: &mut Errors) -> Option<Vec<String>> {
        let path = self.field_path(field);
        let items = self.array(field, errors)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match as_string(item, &index(&path, i), errors) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// An optional array.
    pub(crate) fn array(&mut self, field: &str, errors: &mut Errors) -> Option<&'a Vec<Value>> {
        match self.get(field)? {
            Value::Array(items) => Some(items),
            _ => {
                errors.push(self.field_path(field), "expected an array");
                None
            }
        }
    }

    /// An optional id.
    pub(crate) fn uuid(&mut self, field: &str, errors: &mut Errors) -> Option<Uuid> {
        let value = self.get(field)?;
        as_uuid(value, &self.field_path(field), errors)
    }

    /// An optional foreign key: an id, a name, or `{id: ...}`.
    pub(crate) fn reference(&mut self, field: &str, errors: &mut Errors) -> Option<Reference> {
        let value = self.get(field)?;
        as_reference(value, &self.field_path(field), errors)
    }

    /// An optional array of ids.
    pub(crate) fn uuids(&mut self, field: &str, errors: &mut Errors) -> Option<Vec<Uuid>> {
        let path = self.field_path(field);
        let items = self.array(field, errors)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match as_uuid(item, &index(&path, i), errors) {
                Some(id) => out.push(id),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// `value` as a string.
pub(crate) fn as_string(value: &Value, path: &str, errors: &mut Errors) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        _ => {
            errors.push(path, "expected a string");
            None
        }
    }
}

/// `value` as a hyphenated UUID, in a string or an `{id: ...}` object.
pub(crate) fn as_uuid(value: &Value, path: &str, errors: &mut Errors) -> Option<Uuid> {
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Object(map) if map.len() == 1 && map.contains_key("id") => {
            return map
                .get("id")
                .and_then(|v| as_uuid(v, &join(path, "id"), errors));
        }
        _ => {
            errors.push(path, "expected a string");
            return None;
        }
    };
    let id = mtls_consumer::parse_kong_uuid(text);
    if id.is_none() {
        errors.push(path, "expected a valid UUID");
    }
    id
}

/// `value` as a foreign key: an id or a name in a string, or `{id: ...}`.
pub(crate) fn as_reference(value: &Value, path: &str, errors: &mut Errors) -> Option<Reference> {
    match value {
        Value::String(s) if s.is_empty() => {
            errors.push(path, "length must be at least 1");
            None
        }
        Value::String(s) => Some(Reference::parse(s)),
        Value::Object(map) => {
            let mut record = Record {
                map,
                path: path.to_owned(),
                seen: BTreeSet::new(),
            };
            let id = match record.get("id") {
                Some(v) => as_uuid(v, &join(path, "id"), errors),
                None => {
                    errors.push(join(path, "id"), "required field missing");
                    None
                }
            };
            record.finish(errors);
            id.map(Reference::Id)
        }
        _ => {
            errors.push(path, "expected an id, a name or a record {id: ...}");
            None
        }
    }
}
