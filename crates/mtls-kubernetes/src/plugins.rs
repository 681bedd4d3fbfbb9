//! KongPlugin and KongClusterPlugin: the plugin instances the `konghq.com/plugins`
//! annotation asks for on Ingresses (their routes), Services (their Kong services) and
//! KongConsumers, combined as Kong's controller combines them (a plugin referenced by a
//! consumer and by routes or services applies to each consumer with each route or service),
//! and the KongClusterPlugins labelled `global: "true"`. A name is looked up as a KongPlugin
//! of the referrer's namespace, then as a KongClusterPlugin.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::document::Entry;
use crate::error::{DocumentRef, ObjectRef, Problem};
use crate::object::{Obj, list_at, string_at};
use crate::secrets;
use crate::translate::{Cx, Key};

/// An object that asks for a plugin.
#[derive(Clone, Debug)]
pub(crate) struct Referrer {
    object: ObjectRef,
    doc: DocumentRef,
}

impl Referrer {
    pub(crate) fn of(obj: &Obj) -> Self {
        Self {
            object: obj.reference(),
            doc: obj.doc.clone(),
        }
    }

    fn problem(&self, message: String) -> Problem {
        Problem::new(
            Some(self.object.clone()),
            Some(self.doc.clone()),
            "metadata.annotations.konghq.com/plugins",
            message,
        )
    }
}

/// Who asks for each plugin (by `(namespace, name)` of the referrer's namespace).
#[derive(Debug, Default)]
pub(crate) struct Bindings {
    by_plugin: BTreeMap<Key, Refs>,
}

#[derive(Debug, Default)]
struct Refs {
    /// (route name, referrer).
    routes: Vec<(String, Referrer)>,
    /// (service name, referrer).
    services: Vec<(String, Referrer)>,
    /// (consumer key in the document, referrer).
    consumers: Vec<(String, Referrer)>,
}

impl Bindings {
    pub(crate) fn route(&mut self, plugin: Key, route: String, by: Referrer) {
        self.by_plugin
            .entry(plugin)
            .or_default()
            .routes
            .push((route, by));
    }

    pub(crate) fn service(&mut self, plugin: Key, service: String, by: Referrer) {
        let refs = self.by_plugin.entry(plugin).or_default();
        if !refs.services.iter().any(|(s, _)| *s == service) {
            refs.services.push((service, by));
        }
    }

    pub(crate) fn consumer(&mut self, plugin: Key, consumer: String, by: Referrer) {
        self.by_plugin
            .entry(plugin)
            .or_default()
            .consumers
            .push((consumer, by));
    }
}

/// A plugin as a KongPlugin or KongClusterPlugin defines it.
struct Definition {
    record: Map<String, Value>,
    source: ObjectRef,
    instance_name: Option<String>,
}

pub(crate) fn translate(cx: &mut Cx<'_>) {
    let bindings = std::mem::take(&mut cx.bindings);
    let mut used_namespaced = std::collections::BTreeSet::new();
    let mut used_cluster = std::collections::BTreeSet::new();
    for (key, refs) in bindings.by_plugin {
        let (ns, name) = &key;
        let obj = if let Some(p) = cx.plugins.get(&key).copied() {
            used_namespaced.insert(key.clone());
            p
        } else if let Some(p) = cx.cluster_plugins.get(name).copied() {
            used_cluster.insert(name.clone());
            p
        } else {
            let all = refs
                .routes
                .iter()
                .chain(&refs.services)
                .chain(&refs.consumers)
                .map(|(_, r)| r);
            for r in all {
                cx.problems.push(r.problem(format!(
                    "no KongPlugin {name:?} in namespace {ns}, and no KongClusterPlugin {name:?}"
                )));
            }
            continue;
        };
        let Some(def) = definition(cx, obj) else {
            continue;
        };
        emit(cx, &def, refs);
    }
    let globals: Vec<&Obj> = cx
        .cluster_plugins
        .values()
        .copied()
        .filter(|p| p.labels.get("global").is_some_and(|v| v == "true"))
        .collect();
    let mut global_names: BTreeMap<String, ObjectRef> = BTreeMap::new();
    for obj in globals {
        used_cluster.insert(obj.name.clone());
        let Some(def) = definition(cx, obj) else {
            continue;
        };
        let plugin = def
            .record
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(first) = global_names.get(plugin) {
            cx.problems.push(obj.problem(
                "metadata.labels.global",
                format!("{first} is a global {plugin} plugin already: only one may be"),
            ));
            continue;
        }
        global_names.insert(plugin.to_owned(), obj.reference());
        cx.doc.plugins.push(Entry {
            value: def.record.clone(),
            source: def.source.clone(),
            order: format!("{plugin}\0"),
        });
    }
    let unused_plugins: Vec<&Obj> = cx
        .plugins
        .iter()
        .filter(|(k, _)| !used_namespaced.contains(*k))
        .map(|(_, o)| *o)
        .collect();
    for obj in unused_plugins {
        if obj.labels.get("global").is_some_and(|v| v == "true") {
            cx.problems.push(obj.problem(
                "metadata.labels.global",
                "the global label makes a KongClusterPlugin global, not a KongPlugin: use a \
                 KongClusterPlugin",
            ));
        } else {
            cx.skip("KongPlugin (not referenced)");
        }
    }
    let unused_cluster = cx
        .cluster_plugins
        .keys()
        .filter(|k| !used_cluster.contains(*k))
        .count();
    for _ in 0..unused_cluster {
        cx.skip("KongClusterPlugin (not referenced, not global)");
    }
}

/// A plugin's scope: the consumer (its key), and the service or route (field, name).
type Combination<'a> = (Option<String>, Option<(&'a str, String)>);

/// Kong's controller's combinations, each as a plugin entity.
fn emit(cx: &mut Cx<'_>, def: &Definition, refs: Refs) {
    let mut combos: Vec<Combination<'_>> = Vec::new();
    let scoped: Vec<(&str, String)> = refs
        .services
        .iter()
        .map(|(s, _)| ("service", s.clone()))
        .chain(refs.routes.iter().map(|(r, _)| ("route", r.clone())))
        .collect();
    if refs.consumers.is_empty() {
        combos.extend(scoped.into_iter().map(|s| (None, Some(s))));
    } else if scoped.is_empty() {
        combos.extend(refs.consumers.iter().map(|(c, _)| (Some(c.clone()), None)));
    } else {
        for (c, _) in &refs.consumers {
            for s in &scoped {
                combos.push((Some(c.clone()), Some(s.clone())));
            }
        }
    }
    let plugin = def
        .record
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for (consumer, scope) in combos {
        let mut record = def.record.clone();
        let mut hashed = String::new();
        if let Some((field, name)) = &scope {
            record.insert((*field).to_owned(), json!(name));
            hashed.push_str(&format!("_{field}-{name}"));
        }
        if let Some(c) = &consumer {
            hashed.push_str(&format!("_consumer-{c}"));
        }
        if let Some(instance) = &def.instance_name {
            // Kong's controller keeps instance names unique with a digest of the scope.
            let digest = hex(&Sha256::digest(hashed.as_bytes()));
            record.insert(
                "instance_name".into(),
                json!(format!("{instance}-{}", &digest[..9])),
            );
        }
        let entry = Entry {
            value: record,
            source: def.source.clone(),
            order: format!("{plugin}\0{hashed}"),
        };
        match consumer {
            Some(c) => {
                if let Some(consumer) = cx.doc.consumers.get_mut(&c) {
                    consumer.plugins.push(entry);
                }
            }
            None => cx.doc.plugins.push(entry),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a KongPlugin or KongClusterPlugin into the plugin record it defines.
fn definition(cx: &mut Cx<'_>, obj: &Obj) -> Option<Definition> {
    let problems_before = cx.problems.len();
    crate::annotations::check_known(obj, crate::annotations::OTHER, &mut cx.problems);
    obj.only_keys(
        &[
            "plugin",
            "config",
            "configFrom",
            "configPatches",
            "disabled",
            "protocols",
            "instance_name",
            "consumerRef",
            "ordering",
            "run_on",
        ],
        &mut cx.problems,
    );
    for (key, why) in [
        (
            "configPatches",
            "configPatches is not supported: use config or configFrom",
        ),
        (
            "consumerRef",
            "consumerRef is not supported: annotate the KongConsumer",
        ),
        (
            "ordering",
            "ordering is not supported (Kong Enterprise's dynamic plugin ordering)",
        ),
        (
            "run_on",
            "run_on is not supported (it was for Kong's hybrid mesh)",
        ),
    ] {
        if obj.get(key).is_some() {
            cx.problems.push(obj.problem(key, why));
        }
    }
    let root = obj.value.clone();
    let plugin = match string_at(obj, &root, "plugin", "", &mut cx.problems) {
        Some(p) if !p.is_empty() => p.to_owned(),
        _ => {
            cx.problems
                .push(obj.problem("plugin", "required: the plugin's name (mtls-auth, ...)"));
            return None;
        }
    };
    let config = match obj.get("config") {
        None => None,
        Some(c @ Value::Object(_)) => Some(c.clone()),
        Some(_) => {
            cx.problems
                .push(obj.problem("config", "expected a mapping"));
            None
        }
    };
    let config = match (config, obj.get("configFrom")) {
        (Some(_), Some(_)) => {
            cx.problems
                .push(obj.problem("configFrom", "config and configFrom are both set: use one"));
            None
        }
        (Some(c), None) => Some(c),
        (None, Some(from)) => config_from(cx, obj, from),
        (None, None) => Some(json!({})),
    };
    let mut record = Map::new();
    record.insert("name".into(), json!(plugin));
    if let Some(config) = config {
        record.insert("config".into(), config);
    }
    match obj.get("disabled") {
        None => {}
        Some(Value::Bool(true)) => {
            record.insert("enabled".into(), json!(false));
        }
        Some(Value::Bool(false)) => {}
        Some(_) => cx
            .problems
            .push(obj.problem("disabled", "expected true or false")),
    }
    let protocols = list_at(obj, &root, "protocols", "", &mut cx.problems);
    if !protocols.is_empty() {
        record.insert("protocols".into(), Value::Array(protocols.to_vec()));
    }
    let instance_name = string_at(obj, &root, "instance_name", "", &mut cx.problems)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    record.insert("tags".into(), Value::Array(obj.tags()));
    if cx.problems.len() > problems_before {
        return None;
    }
    Some(Definition {
        record,
        source: obj.reference(),
        instance_name,
    })
}

/// `configFrom.secretKeyRef`: the config as JSON or YAML under a key of a Secret (of the
/// KongPlugin's namespace; a KongClusterPlugin names the namespace).
fn config_from(cx: &mut Cx<'_>, obj: &Obj, from: &Value) -> Option<Value> {
    let Some(reference) = from.get("secretKeyRef").filter(|r| r.is_object()) else {
        cx.problems.push(obj.problem(
            "configFrom.secretKeyRef",
            "required: {name, key} of the Secret holding the config",
        ));
        return None;
    };
    let path = "configFrom.secretKeyRef";
    let name = string_at(obj, reference, "name", path, &mut cx.problems);
    let key = string_at(obj, reference, "key", path, &mut cx.problems);
    let ns = if obj.namespace.is_empty() {
        string_at(obj, reference, "namespace", path, &mut cx.problems)
    } else {
        Some(obj.namespace.as_str())
    };
    let (Some(name), Some(key), Some(ns)) = (name, key, ns) else {
        cx.problems.push(obj.problem(
            path,
            if obj.namespace.is_empty() {
                "required: name, namespace and key"
            } else {
                "required: name and key"
            },
        ));
        return None;
    };
    let (ns, name, key) = (ns.to_owned(), name.to_owned(), key.to_owned());
    let secret = cx.secret(&ns, &name, obj, &format!("{path}.name"))?;
    let data = secrets::data(secret, &mut cx.problems);
    let Some(text) = secrets::text(secret, &data, &key, &mut cx.problems) else {
        if !data.contains_key(&key) {
            cx.problems.push(obj.problem(
                format!("{path}.key"),
                format!("Secret {ns}/{name} has no key {key:?}"),
            ));
        }
        return None;
    };
    let parsed: Option<Value> = mtls_kong_config::declarative::check_limits(&text)
        .ok()
        .and_then(|()| {
            serde_json::from_str(&text)
                .ok()
                .or_else(|| serde_norway::from_str(&text).ok())
        });
    match parsed {
        Some(v @ Value::Object(_)) => Some(v),
        _ => {
            cx.problems.push(secret.problem(
                format!("data.{key}"),
                "expected a plugin config: a JSON or YAML mapping",
            ));
            None
        }
    }
}
