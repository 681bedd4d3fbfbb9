//! One Kubernetes object as read from a document: its type, metadata and body, and the
//! helpers that read its fields and report problems with their paths.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{DocumentRef, ObjectRef, Problem};
use crate::kinds;

/// An object, its metadata checked.
#[derive(Clone, Debug)]
pub(crate) struct Obj {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    /// The namespace (`default` when absent); empty for cluster-scoped kinds.
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) uid: Option<String>,
    /// The whole object as written.
    pub(crate) value: Value,
    pub(crate) doc: DocumentRef,
}

impl Obj {
    /// Reads an object's type and metadata; `Err` is every problem found.
    pub(crate) fn read(value: Value, doc: DocumentRef) -> Result<Obj, Vec<Problem>> {
        let mut problems = Vec::new();
        let Value::Object(map) = &value else {
            return Err(vec![Problem::new(
                None,
                Some(doc),
                "",
                "expected a Kubernetes object (a mapping with apiVersion and kind)",
            )]);
        };
        let text = |key: &str, problems: &mut Vec<Problem>| match map.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => {
                problems.push(Problem::new(
                    None,
                    Some(doc.clone()),
                    key,
                    "expected a non-empty string",
                ));
                None
            }
            None => {
                problems.push(Problem::new(
                    None,
                    Some(doc.clone()),
                    key,
                    "required field missing",
                ));
                None
            }
        };
        let api_version = text("apiVersion", &mut problems);
        let kind = text("kind", &mut problems);
        let meta = match map.get("metadata") {
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                problems.push(Problem::new(
                    None,
                    Some(doc.clone()),
                    "metadata",
                    "expected a mapping",
                ));
                None
            }
            None => {
                problems.push(Problem::new(
                    None,
                    Some(doc.clone()),
                    "metadata",
                    "required field missing",
                ));
                None
            }
        };
        let name = match meta.map(|m| m.get("name")) {
            Some(Some(Value::String(s))) if !s.is_empty() => Some(s.clone()),
            Some(_) => {
                problems.push(Problem::new(
                    None,
                    Some(doc.clone()),
                    "metadata.name",
                    "required: a non-empty string",
                ));
                None
            }
            None => None,
        };
        let (Some(api_version), Some(kind), Some(meta), Some(name)) =
            (api_version, kind, meta, name)
        else {
            return Err(problems);
        };
        let cluster = kinds::cluster_scoped(&kind);
        let namespace = match meta.get("namespace") {
            _ if cluster => String::new(),
            None | Some(Value::Null) => "default".to_owned(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                problems.push(Problem::new(
                    None,
                    Some(doc.clone()),
                    "metadata.namespace",
                    "expected a non-empty string",
                ));
                String::new()
            }
        };
        let mut obj = Obj {
            api_version,
            kind,
            namespace,
            name,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            uid: None,
            value: Value::Null,
            doc,
        };
        obj.labels = obj.string_map(meta.get("labels"), "metadata.labels", &mut problems);
        obj.annotations = obj.string_map(
            meta.get("annotations"),
            "metadata.annotations",
            &mut problems,
        );
        obj.uid = match meta.get("uid") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                problems.push(obj.problem("metadata.uid", "expected a string"));
                None
            }
        };
        obj.value = value;
        if problems.is_empty() {
            Ok(obj)
        } else {
            Err(problems)
        }
    }

    fn string_map(
        &self,
        value: Option<&Value>,
        path: &str,
        problems: &mut Vec<Problem>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match value {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    match v {
                        Value::String(s) => {
                            out.insert(k.clone(), s.clone());
                        }
                        _ => problems.push(self.problem(
                            format!("{path}.{k}"),
                            "expected a string (quote it: \"true\")",
                        )),
                    }
                }
            }
            Some(_) => problems.push(self.problem(path, "expected a mapping of strings")),
        }
        out
    }

    /// The object's reference (`Ingress default/echo`).
    pub(crate) fn reference(&self) -> ObjectRef {
        if self.namespace.is_empty() {
            ObjectRef::cluster(&self.kind, &self.name)
        } else {
            ObjectRef::namespaced(&self.kind, &self.namespace, &self.name)
        }
    }

    /// A problem about this object's `field`.
    pub(crate) fn problem(&self, field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem::new(
            Some(self.reference()),
            Some(self.doc.clone()),
            field,
            message,
        )
    }

    /// The top-level field `key`, when present and not null.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    /// Reports every top-level key outside `allowed` (besides apiVersion, kind, metadata and
    /// status): the translation does not know what it would mean.
    pub(crate) fn only_keys(&self, allowed: &[&str], problems: &mut Vec<Problem>) {
        if let Value::Object(map) = &self.value {
            for key in map.keys() {
                let known = matches!(key.as_str(), "apiVersion" | "kind" | "metadata" | "status")
                    || allowed.contains(&key.as_str());
                if !known {
                    problems.push(self.problem(key.as_str(), "unknown field"));
                }
            }
        }
    }

    /// The Kong tags Kong's controller gives entities made from this object, plus the
    /// `konghq.com/tags` annotation's.
    pub(crate) fn tags(&self) -> Vec<Value> {
        let (group, version) = match self.api_version.split_once('/') {
            Some((g, v)) => (Some(g), v),
            None => (None, self.api_version.as_str()),
        };
        let mut tags = vec![format!("k8s-name:{}", self.name)];
        if !self.namespace.is_empty() {
            tags.push(format!("k8s-namespace:{}", self.namespace));
        }
        tags.push(format!("k8s-kind:{}", self.kind));
        if let Some(uid) = &self.uid {
            tags.push(format!("k8s-uid:{uid}"));
        }
        if let Some(group) = group {
            tags.push(format!("k8s-group:{group}"));
        }
        tags.push(format!("k8s-version:{version}"));
        if let Some(user) = self.annotations.get("konghq.com/tags") {
            for tag in crate::annotations::comma_list(user) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        tags.into_iter().map(Value::String).collect()
    }
}

/// Reports every key of the mapping `value` (at `path`) outside `allowed`, and a `value`
/// that is not a mapping.
pub(crate) fn check_keys(
    obj: &Obj,
    value: &Value,
    path: &str,
    allowed: &[&str],
    problems: &mut Vec<Problem>,
) {
    match value {
        Value::Object(map) => {
            for key in map.keys() {
                if !allowed.contains(&key.as_str()) {
                    problems.push(obj.problem(crate::path(path, key), "unknown field"));
                }
            }
        }
        Value::Null => {}
        _ => problems.push(obj.problem(path, "expected a mapping")),
    }
}

/// A field read from a mapping: a string, or a problem.
pub(crate) fn string_at<'a>(
    obj: &Obj,
    value: &'a Value,
    key: &str,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'a str> {
    match value.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            problems.push(obj.problem(crate::path(path, key), "expected a string"));
            None
        }
    }
}

/// A list field: its items (none when absent or null), or a problem.
pub(crate) fn list_at<'a>(
    obj: &Obj,
    value: &'a Value,
    key: &str,
    path: &str,
    problems: &mut Vec<Problem>,
) -> &'a [Value] {
    match value.get(key) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.push(obj.problem(crate::path(path, key), "expected a list"));
            &[]
        }
    }
}

/// An integer field in `min..=max`, or a problem.
pub(crate) fn int_at(
    obj: &Obj,
    value: &Value,
    key: &str,
    path: &str,
    range: (i64, i64),
    problems: &mut Vec<Problem>,
) -> Option<i64> {
    match value.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) if n >= range.0 && n <= range.1 => Some(n),
            _ => {
                problems.push(obj.problem(
                    crate::path(path, key),
                    format!("expected an integer from {} to {}", range.0, range.1),
                ));
                None
            }
        },
    }
}
