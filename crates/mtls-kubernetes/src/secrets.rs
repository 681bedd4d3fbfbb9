//! The data of Secrets (`data`, base64, with `stringData` over it, as the API server merges
//! them) and ConfigMaps (`data`, with `binaryData` in base64).

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::Value;

use crate::error::Problem;
use crate::object::Obj;

/// A Secret's or ConfigMap's data, by key.
pub(crate) type Data = BTreeMap<String, Vec<u8>>;

/// The data of a Secret or ConfigMap; problems (bad base64, values that are not strings) go
/// to `problems`.
pub(crate) fn data(obj: &Obj, problems: &mut Vec<Problem>) -> Data {
    let (encoded, plain) = if obj.kind == "ConfigMap" {
        ("binaryData", "data")
    } else {
        ("data", "stringData")
    };
    let mut out = Data::new();
    for (field, base64) in [(encoded, true), (plain, false)] {
        let map = match obj.get(field) {
            None => continue,
            Some(Value::Object(m)) => m,
            Some(_) => {
                problems.push(obj.problem(field, "expected a mapping of strings"));
                continue;
            }
        };
        for (key, value) in map {
            let path = format!("{field}.{key}");
            let Value::String(text) = value else {
                problems.push(obj.problem(path, "expected a string"));
                continue;
            };
            if !base64 {
                out.insert(key.clone(), text.as_bytes().to_vec());
                continue;
            }
            // Go's decoder, which the API server uses, skips line breaks.
            let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                Ok(bytes) => {
                    out.insert(key.clone(), bytes);
                }
                Err(e) => problems.push(obj.problem(path, format!("not valid base64: {e}"))),
            }
        }
    }
    out
}

/// `key` of `data` as UTF-8 text, when present; a problem when it is not text.
pub(crate) fn text(
    obj: &Obj,
    data: &Data,
    key: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let bytes = data.get(key)?;
    match String::from_utf8(bytes.clone()) {
        Ok(s) => Some(s),
        Err(_) => {
            problems.push(obj.problem(format!("data.{key}"), "not UTF-8 text"));
            None
        }
    }
}
