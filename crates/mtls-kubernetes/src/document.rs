//! The Kong declarative document being built, with the object each entity came from (so
//! that an error the loader finds in an entity names the Kubernetes object), and its YAML
//! rendering.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::ObjectRef;

/// An entity record and the object it came from.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) value: Map<String, Value>,
    pub(crate) source: ObjectRef,
    /// Orders entries of one list (deterministic output).
    pub(crate) order: String,
}

/// A Kong service with its routes (by route name).
#[derive(Clone, Debug)]
pub(crate) struct ServiceEntry {
    pub(crate) value: Map<String, Value>,
    pub(crate) source: ObjectRef,
    pub(crate) routes: BTreeMap<String, Entry>,
}

/// A certificate with its SNIs.
#[derive(Clone, Debug)]
pub(crate) struct CertEntry {
    pub(crate) value: Map<String, Value>,
    pub(crate) source: ObjectRef,
    pub(crate) snis: BTreeSet<String>,
}

/// A consumer with its nested entities: (key, entry), and its plugins.
#[derive(Clone, Debug)]
pub(crate) struct ConsumerEntry {
    pub(crate) value: Map<String, Value>,
    pub(crate) source: ObjectRef,
    pub(crate) nested: Vec<(&'static str, Entry)>,
    pub(crate) plugins: Vec<Entry>,
}

/// The document being built.
#[derive(Clone, Debug, Default)]
pub(crate) struct Doc {
    pub(crate) ca_certificates: Vec<Entry>,
    /// By `namespace/secret`.
    pub(crate) certificates: BTreeMap<String, CertEntry>,
    /// By Kong service name.
    pub(crate) services: BTreeMap<String, ServiceEntry>,
    /// By `namespace/name` of the KongConsumer.
    pub(crate) consumers: BTreeMap<String, ConsumerEntry>,
    pub(crate) plugins: Vec<Entry>,
}

/// Where each entity of the document came from: (path in the document, object).
pub(crate) type Sources = Vec<(String, ObjectRef)>;

fn sorted(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_by(|a, b| (&a.order, &a.source).cmp(&(&b.order, &b.source)));
    entries
}

impl Doc {
    /// The document (`_format_version: "3.0"`) and where each entity came from.
    pub(crate) fn finish(self) -> (Value, Sources) {
        let mut sources = Sources::new();
        let mut doc = Map::new();
        doc.insert("_format_version".into(), json!("3.0"));

        let cas = sorted(self.ca_certificates);
        if !cas.is_empty() {
            let list = cas
                .into_iter()
                .enumerate()
                .map(|(i, e)| {
                    sources.push((format!("ca_certificates[{i}]"), e.source));
                    Value::Object(e.value)
                })
                .collect();
            doc.insert("ca_certificates".into(), Value::Array(list));
        }

        if !self.certificates.is_empty() {
            let mut list = Vec::new();
            for (i, (_, mut cert)) in self.certificates.into_iter().enumerate() {
                sources.push((format!("certificates[{i}]"), cert.source));
                if !cert.snis.is_empty() {
                    let snis = cert
                        .snis
                        .into_iter()
                        .map(|n| json!({ "name": n }))
                        .collect();
                    cert.value.insert("snis".into(), Value::Array(snis));
                }
                list.push(Value::Object(cert.value));
            }
            doc.insert("certificates".into(), Value::Array(list));
        }

        if !self.services.is_empty() {
            let mut list = Vec::new();
            for (i, (_, mut service)) in self.services.into_iter().enumerate() {
                let path = format!("services[{i}]");
                sources.push((path.clone(), service.source));
                let routes: Vec<Value> = service
                    .routes
                    .into_values()
                    .enumerate()
                    .map(|(j, r)| {
                        sources.push((format!("{path}.routes[{j}]"), r.source));
                        Value::Object(r.value)
                    })
                    .collect();
                if !routes.is_empty() {
                    service.value.insert("routes".into(), Value::Array(routes));
                }
                list.push(Value::Object(service.value));
            }
            doc.insert("services".into(), Value::Array(list));
        }

        if !self.consumers.is_empty() {
            let mut list = Vec::new();
            for (i, (_, mut consumer)) in self.consumers.into_iter().enumerate() {
                let path = format!("consumers[{i}]");
                sources.push((path.clone(), consumer.source));
                let mut by_key: BTreeMap<&str, Vec<Entry>> = BTreeMap::new();
                for (key, entry) in consumer.nested {
                    by_key.entry(key).or_default().push(entry);
                }
                for (key, entries) in by_key {
                    let items = sorted(entries)
                        .into_iter()
                        .enumerate()
                        .map(|(j, e)| {
                            sources.push((format!("{path}.{key}[{j}]"), e.source));
                            Value::Object(e.value)
                        })
                        .collect();
                    consumer.value.insert(key.into(), Value::Array(items));
                }
                let plugins: Vec<Value> = sorted(consumer.plugins)
                    .into_iter()
                    .enumerate()
                    .map(|(j, e)| {
                        sources.push((format!("{path}.plugins[{j}]"), e.source));
                        Value::Object(e.value)
                    })
                    .collect();
                if !plugins.is_empty() {
                    consumer
                        .value
                        .insert("plugins".into(), Value::Array(plugins));
                }
                list.push(Value::Object(consumer.value));
            }
            doc.insert("consumers".into(), Value::Array(list));
        }

        let plugins = sorted(self.plugins);
        if !plugins.is_empty() {
            let list = plugins
                .into_iter()
                .enumerate()
                .map(|(i, e)| {
                    sources.push((format!("plugins[{i}]"), e.source));
                    Value::Object(e.value)
                })
                .collect();
            doc.insert("plugins".into(), Value::Array(list));
        }
        (Value::Object(doc), sources)
    }
}

/// The object an error at `path` (in the document) is about: the entity at the longest
/// recorded path that `path` is in.
pub(crate) fn source_of<'a>(sources: &'a Sources, path: &str) -> Option<&'a ObjectRef> {
    sources
        .iter()
        .filter(|(p, _)| {
            path.strip_prefix(p.as_str()).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
            })
        })
        .max_by_key(|(p, _)| p.len())
        .map(|(_, o)| o)
}

/// A Kong declarative document as YAML (what `mtls convert --to kong-yaml` prints): keys in
/// order, PEM blocks as literal blocks.
pub fn to_kong_yaml(document: &Value) -> String {
    match serde_norway::to_string(document) {
        Ok(yaml) => yaml,
        // A JSON value always renders as YAML; JSON is YAML too, should it not.
        Err(_) => serde_json::to_string_pretty(document).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_by_longest_prefix() {
        let ing = ObjectRef::namespaced("Ingress", "default", "a");
        let svc = ObjectRef::namespaced("Service", "default", "s");
        let sources = vec![
            ("services[0]".to_owned(), svc.clone()),
            ("services[0].routes[0]".to_owned(), ing.clone()),
        ];
        assert_eq!(
            source_of(&sources, "services[0].routes[0].paths[1]"),
            Some(&ing)
        );
        assert_eq!(source_of(&sources, "services[0].host"), Some(&svc));
        assert_eq!(source_of(&sources, "services[0]"), Some(&svc));
        assert_eq!(source_of(&sources, "services[01]"), None);
        assert_eq!(source_of(&sources, "consumers[0]"), None);
    }

    #[test]
    fn yaml_rendering() {
        let doc = json!({"_format_version": "3.0", "ca_certificates": [{"cert": "a\nb\n"}]});
        let yaml = to_kong_yaml(&doc);
        assert!(
            yaml.starts_with("_format_version: '3.0'")
                || yaml.starts_with("_format_version: \"3.0\""),
            "{yaml}"
        );
        let back: Value = serde_norway::from_str(&yaml).unwrap();
        assert_eq!(back, doc);
    }
}
