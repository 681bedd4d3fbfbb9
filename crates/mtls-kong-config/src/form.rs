//! Kong's argument decoding for Admin API form and multipart bodies (kong/api/arguments.lua): dotted
//! keys nest (`config.ca_certificates`), `a[]=x`, `a[N]=x` and a repeated key make arrays,
//! `""` is null; then strings become booleans, numbers and one-element arrays where the
//! entity's schema says so ([`coerce`]).

use crate::schema::{Field, Type};
use serde_json::{Map, Value};

/// The deepest key nesting accepted (`a.b.c...`): beyond it the pair is refused.
pub const MAX_KEY_DEPTH: usize = 16;

/// The most pairs one body may hold.
pub const MAX_PAIRS: usize = 10_000;

/// Why pairs could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgsError {
    /// A key nests deeper than [`MAX_KEY_DEPTH`].
    #[error("argument {0:?} is nested too deeply")]
    TooDeep(String),
    /// More than [`MAX_PAIRS`] pairs.
    #[error("more than {MAX_PAIRS} arguments")]
    TooMany,
    /// A key is used both as a value and as a record or array.
    #[error("argument {0:?} is given both as a value and as a record or an array")]
    Conflict(String),
}

/// One step of a key: `a`, `[]`, `[3]`.
#[derive(Debug, PartialEq)]
enum Part<'a> {
    Name(&'a str),
    Append,
    Index(usize),
}

fn parse_key(key: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    for segment in key.split('.') {
        match segment.find('[') {
            Some(open) if segment.ends_with(']') => {
                let mut brackets = Vec::new();
                let mut rest = &segment[open..];
                while let Some(inside) = rest.strip_prefix('[') {
                    let Some(close) = inside.find(']') else { break };
                    let inner = &inside[..close];
                    brackets.push(if inner.is_empty() {
                        Part::Append
                    } else if let Ok(i) = inner.parse::<usize>() {
                        Part::Index(i)
                    } else {
                        Part::Name(inner)
                    });
                    rest = &inside[close + 1..];
                }
                if rest.is_empty() {
                    parts.push(Part::Name(&segment[..open]));
                    parts.extend(brackets);
                } else {
                    // Not `name[..][..]`: the segment is a plain name.
                    parts.push(Part::Name(segment));
                }
            }
            _ => parts.push(Part::Name(segment)),
        }
    }
    parts
}

/// An array being assembled: positional entries (`a[N]`) sorted by N, appended after.
#[derive(Debug, Default)]
struct Draft {
    indexed: Vec<(usize, Node)>,
    appended: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Value(Value),
    Record(Vec<(String, Node)>),
    Array(Draft),
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Value(v) => v,
            Node::Record(fields) => {
                let mut map = Map::new();
                for (k, v) in fields {
                    map.insert(k, v.into_value());
                }
                Value::Object(map)
            }
            Node::Array(mut draft) => {
                draft.indexed.sort_by_key(|(i, _)| *i);
                Value::Array(
                    draft
                        .indexed
                        .into_iter()
                        .map(|(_, n)| n)
                        .chain(draft.appended)
                        .map(Node::into_value)
                        .collect(),
                )
            }
        }
    }
}

fn scalar(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        Value::String(value.to_owned())
    }
}

/// Decodes `key=value` pairs (in order) into a JSON record of strings, arrays and records.
pub fn decode_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Value, ArgsError> {
    let mut root: Vec<(String, Node)> = Vec::new();
    for (count, (key, value)) in pairs.into_iter().enumerate() {
        if count >= MAX_PAIRS {
            return Err(ArgsError::TooMany);
        }
        let parts = parse_key(key);
        if parts.len() > MAX_KEY_DEPTH {
            return Err(ArgsError::TooDeep(key.to_owned()));
        }
        place(&mut root, &parts, scalar(value), key)?;
    }
    Ok(Node::Record(root).into_value())
}

fn place(
    record: &mut Vec<(String, Node)>,
    parts: &[Part<'_>],
    value: Value,
    key: &str,
) -> Result<(), ArgsError> {
    let Some((Part::Name(name), rest)) = parts.split_first() else {
        return Err(ArgsError::Conflict(key.to_owned()));
    };
    let existing = record.iter().position(|(k, _)| k == name);
    match (rest.first(), existing) {
        // A plain key: a value, or (repeated) an array of them.
        (None, None) => record.push(((*name).to_owned(), Node::Value(value))),
        (None, Some(i)) => {
            let slot = &mut record[i].1;
            match slot {
                Node::Value(first) => {
                    let first = std::mem::take(first);
                    *slot = Node::Array(Draft {
                        indexed: Vec::new(),
                        appended: vec![Node::Value(first), Node::Value(value)],
                    });
                }
                Node::Array(draft) => draft.appended.push(Node::Value(value)),
                Node::Record(_) => return Err(ArgsError::Conflict(key.to_owned())),
            }
        }
        (Some(Part::Name(_)), _) => {
            let i = match existing {
                Some(i) => i,
                None => {
                    record.push(((*name).to_owned(), Node::Record(Vec::new())));
                    record.len() - 1
                }
            };
            match &mut record[i].1 {
                Node::Record(inner) => place(inner, rest, value, key)?,
                _ => return Err(ArgsError::Conflict(key.to_owned())),
            }
        }
        (Some(step @ (Part::Append | Part::Index(_))), _) => {
            let i = match existing {
                Some(i) => i,
                None => {
                    record.push(((*name).to_owned(), Node::Array(Draft::default())));
                    record.len() - 1
                }
            };
            let slot = &mut record[i].1;
            if let Node::Value(first) = slot {
                let first = std::mem::take(first);
                *slot = Node::Array(Draft {
                    indexed: Vec::new(),
                    appended: vec![Node::Value(first)],
                });
            }
            let Node::Array(draft) = slot else {
                return Err(ArgsError::Conflict(key.to_owned()));
            };
            let after = &rest[1..];
            let element = if after.is_empty() {
                Node::Value(value)
            } else {
                // `a[1].b=x`: a record element.
                let mut inner = Vec::new();
                place(&mut inner, after, value, key)?;
                Node::Record(inner)
            };
            match step {
                Part::Index(n) => match draft.indexed.iter_mut().find(|(i, _)| i == n) {
                    Some((_, Node::Record(existing))) => {
                        if let Node::Record(more) = element {
                            existing.extend(more);
                        }
                    }
                    Some((_, slot)) => *slot = element,
                    None => draft.indexed.push((*n, element)),
                },
                _ => draft.appended.push(element),
            }
        }
    }
    Ok(())
}

/// Converts the strings of a decoded form record to the types `fields` give: `"true"` /
/// `"false"` for booleans, numbers for integers and numbers, a lone value as a one-element
/// array; nested records and plugin `config` (with `config_fields`) likewise. Values that do
/// not convert are left as they are, for the schema to report.
pub fn coerce(value: &mut Value, fields: &[Field], config_fields: Option<&[Field]>) {
    let Value::Object(map) = value else { return };
    for (key, item) in map.iter_mut() {
        if key == "config"
            && let Some(config) = config_fields
        {
            coerce(item, config, None);
            continue;
        }
        if let Some(field) = fields.iter().find(|f| f.name == key) {
            coerce_value(item, &field.ty);
        }
    }
}

fn coerce_value(value: &mut Value, ty: &Type) {
    match ty {
        Type::Boolean => {
            if let Value::String(s) = value {
                match s.as_str() {
                    "true" => *value = Value::Bool(true),
                    "false" => *value = Value::Bool(false),
                    _ => {}
                }
            }
        }
        Type::Integer { .. } | Type::Number => {
            if let Value::String(s) = value {
                if let Ok(n) = s.parse::<i64>() {
                    *value = Value::Number(n.into());
                } else if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
                {
                    *value = Value::Number(n);
                }
            }
        }
        Type::Array(element) => {
            if !value.is_array() && !value.is_null() {
                *value = Value::Array(vec![std::mem::take(value)]);
            }
            if let Value::Array(items) = value {
                for item in items {
                    coerce_value(item, element);
                }
            }
        }
        Type::Map(element) => {
            if let Value::Object(map) = value {
                for item in map.values_mut() {
                    coerce_value(item, element);
                }
            }
        }
        Type::Record(fields) => coerce(value, fields, None),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kong_argument_shapes() {
        let v = decode_pairs([
            ("name", "mtls-auth"),
            ("config.ca_certificates", "a"),
            ("config.ca_certificates", "b"),
            ("paths[]", "/x"),
            ("paths[]", "/y"),
            ("hosts[2]", "b.example"),
            ("hosts[1]", "a.example"),
            ("service.id", "s1"),
            ("tags", ""),
        ])
        .unwrap();
        assert_eq!(
            v,
            json!({
                "name": "mtls-auth",
                "config": {"ca_certificates": ["a", "b"]},
                "paths": ["/x", "/y"],
                "hosts": ["a.example", "b.example"],
                "service": {"id": "s1"},
                "tags": null,
            })
        );
        assert!(matches!(
            decode_pairs([("a", "1"), ("a.b", "2")]),
            Err(ArgsError::Conflict(_))
        ));
        // Brackets that are not `name[..]` are part of the name.
        assert_eq!(
            decode_pairs([("a[[1]]", "x"), ("b[1]c", "y"), ("d]", "z")]).unwrap(),
            json!({"a[[1]]": "x", "b[1]c": "y", "d]": "z"})
        );
        let deep = "a.".repeat(MAX_KEY_DEPTH + 1) + "z";
        assert!(matches!(
            decode_pairs([(deep.as_str(), "1")]),
            Err(ArgsError::TooDeep(_))
        ));
    }

    #[test]
    fn schema_types() {
        const FIELDS: &[Field] = &[
            Field::new("on", Type::Boolean),
            Field::new("port", Type::Integer { min: 0, max: 9 }),
            Field::new("list", Type::Array(&Type::Integer { min: 0, max: 99 })),
        ];
        let mut v = json!({"on": "true", "port": "7", "list": "42", "other": "true",
                           "config": {"on": "false"}});
        coerce(&mut v, FIELDS, Some(FIELDS));
        assert_eq!(
            v,
            json!({"on": true, "port": 7, "list": [42], "other": "true", "config": {"on": false}})
        );
    }
}
