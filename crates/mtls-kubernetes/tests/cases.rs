//! The table of translation cases in cases.yaml: each input's document holds the expected
//! entities (see the file's header for how they match).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mtls_kubernetes::{Warning, translate_str};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Case {
    name: String,
    input: String,
    expect: Value,
    #[serde(default)]
    skipped: BTreeMap<String, usize>,
    #[serde(default)]
    warnings: usize,
}

/// Why `actual` does not hold `expected`, if it does not.
fn mismatch(expected: &Value, actual: Option<&Value>, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Null, None | Some(Value::Null)) => None,
        (Value::Null, Some(a)) => Some(format!("{path}: expected absent, got {a}")),
        (_, None) => Some(format!("{path}: missing, expected {expected}")),
        (Value::Object(e), Some(Value::Object(a))) => e
            .iter()
            .find_map(|(k, v)| mismatch(v, a.get(k), &format!("{path}.{k}"))),
        (Value::Array(e), Some(Value::Array(a))) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{path}: expected {} items, got {}: {}",
                    e.len(),
                    a.len(),
                    Value::Array(a.clone())
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (e, a))| mismatch(e, Some(a), &format!("{path}[{i}]")))
        }
        (e, Some(a)) if e == a => None,
        (e, Some(a)) => Some(format!("{path}: expected {e}, got {a}")),
    }
}

#[test]
fn translation_cases() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases.yaml")).unwrap();
    let cases: Vec<Case> = serde_norway::from_str(&text).unwrap();
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    for case in &cases {
        let translation = match translate_str(&case.input) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        let document = translation.document();
        if let Some(why) = mismatch(&case.expect, Some(document), "") {
            failures.push(format!(
                "{}: {why}\n{}",
                case.name,
                translation.to_kong_yaml()
            ));
        }
        let skipped = translation
            .warnings()
            .iter()
            .find_map(|w| match w {
                Warning::Skipped { counts } => Some(counts.clone()),
                _ => None,
            })
            .unwrap_or_default();
        if skipped != case.skipped {
            failures.push(format!("{}: skipped {skipped:?}", case.name));
        }
        let others = translation
            .warnings()
            .iter()
            .filter(|w| !matches!(w, Warning::Skipped { .. }))
            .count();
        if others != case.warnings {
            failures.push(format!(
                "{}: warnings {:?}",
                case.name,
                translation.warnings()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
