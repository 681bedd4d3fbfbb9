//! The translation: objects indexed by kind and name, then each part translated (CA
//! Secrets, Ingresses with their Services, consumers, plugins), problems and warnings
//! collected along the way.

use std::collections::{BTreeMap, BTreeSet};

use crate::document::Doc;
use crate::error::{Problem, Warning};
use crate::kinds::{self, Handling};
use crate::object::Obj;
use crate::plugins::Bindings;
use crate::{Translator, annotations};

/// `(namespace, name)`.
pub(crate) type Key = (String, String);

/// The translation's state.
pub(crate) struct Cx<'a> {
    pub(crate) problems: Vec<Problem>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) skipped: BTreeMap<String, usize>,
    pub(crate) doc: Doc,
    pub(crate) secrets: BTreeMap<Key, &'a Obj>,
    pub(crate) configmaps: BTreeMap<Key, &'a Obj>,
    pub(crate) services: BTreeMap<Key, &'a Obj>,
    /// EndpointSlices by the Service they belong to.
    pub(crate) slices: BTreeMap<Key, Vec<&'a Obj>>,
    pub(crate) endpoints: BTreeMap<Key, &'a Obj>,
    pub(crate) plugins: BTreeMap<Key, &'a Obj>,
    pub(crate) cluster_plugins: BTreeMap<String, &'a Obj>,
    pub(crate) consumers: Vec<&'a Obj>,
    pub(crate) ingresses: Vec<&'a Obj>,
    /// Secrets, ConfigMaps, Services and endpoint objects that were read.
    pub(crate) used: BTreeSet<(String, Key)>,
    pub(crate) bindings: Bindings,
    /// Kong services that could not be made (their problems are recorded once).
    pub(crate) failed_services: BTreeSet<String>,
}

impl<'a> Cx<'a> {
    fn new() -> Self {
        Self {
            problems: Vec::new(),
            warnings: Vec::new(),
            skipped: BTreeMap::new(),
            doc: Doc::default(),
            secrets: BTreeMap::new(),
            configmaps: BTreeMap::new(),
            services: BTreeMap::new(),
            slices: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            plugins: BTreeMap::new(),
            cluster_plugins: BTreeMap::new(),
            consumers: Vec::new(),
            ingresses: Vec::new(),
            used: BTreeSet::new(),
            bindings: Bindings::default(),
            failed_services: BTreeSet::new(),
        }
    }

    /// Counts an object left out, by what it is.
    pub(crate) fn skip(&mut self, what: impl Into<String>) {
        *self.skipped.entry(what.into()).or_default() += 1;
    }

    /// Records that an object was read (it is not counted as skipped).
    pub(crate) fn mark_used(&mut self, kind: &str, ns: &str, name: &str) {
        self.used
            .insert((kind.to_owned(), (ns.to_owned(), name.to_owned())));
    }

    /// The Secret `ns/name`, marked used; a problem on `referrer`'s `field` when it is
    /// not in the input.
    pub(crate) fn secret(
        &mut self,
        ns: &str,
        name: &str,
        referrer: &Obj,
        field: &str,
    ) -> Option<&'a Obj> {
        match self.secrets.get(&(ns.to_owned(), name.to_owned())).copied() {
            Some(s) => {
                self.mark_used("Secret", ns, name);
                Some(s)
            }
            None => {
                self.problems.push(referrer.problem(
                    field,
                    format!("the referenced Secret {ns}/{name} is not in the input"),
                ));
                None
            }
        }
    }
}

/// Translates the objects of every source.
pub(crate) fn run(
    translator: &Translator,
    objects: &[Obj],
    mut problems: Vec<Problem>,
    mut warnings: Vec<Warning>,
) -> (Doc, Vec<Problem>, Vec<Warning>) {
    let mut cx = Cx::new();
    cx.problems.append(&mut problems);
    cx.warnings.append(&mut warnings);
    index(translator, objects, &mut cx);
    crate::cas::translate(&mut cx);
    crate::ingress::translate(&mut cx);
    let unrouted: Vec<&Obj> = cx
        .services
        .iter()
        .filter(|(k, _)| !cx.used.contains(&("Service".to_owned(), (*k).clone())))
        .map(|(_, o)| *o)
        .collect();
    for svc in unrouted {
        crate::services::check_unrouted(&mut cx, svc);
    }
    crate::consumers::translate(&mut cx);
    crate::plugins::translate(&mut cx);
    count_unused(&mut cx);
    if !cx.skipped.is_empty() {
        let counts = std::mem::take(&mut cx.skipped);
        cx.warnings.push(Warning::Skipped { counts });
    }
    let mut seen = BTreeSet::new();
    let problems = cx
        .problems
        .into_iter()
        .filter(|p| seen.insert(p.to_string()))
        .collect();
    (cx.doc, problems, cx.warnings)
}

/// Whether the translator takes an object of this class.
fn taken(translator: &Translator, obj: &Obj) -> Result<(), String> {
    match annotations::class(obj) {
        None if translator.unclassed => Ok(()),
        None => Err("no ingress class".to_owned()),
        Some(c) if translator.classes.contains(&c) => Ok(()),
        Some(c) => Err(format!("ingress class {c}")),
    }
}

fn index<'a>(translator: &Translator, objects: &'a [Obj], cx: &mut Cx<'a>) {
    let mut seen: BTreeMap<(String, String, String), &Obj> = BTreeMap::new();
    let mut ordered: Vec<&Obj> = objects.iter().collect();
    ordered.sort_by(|a, b| (&a.kind, &a.namespace, &a.name).cmp(&(&b.kind, &b.namespace, &b.name)));
    for obj in objects {
        let key = (obj.kind.clone(), obj.namespace.clone(), obj.name.clone());
        if let Some(first) = seen.get(&key) {
            cx.problems.push(obj.problem(
                "metadata.name",
                format!(
                    "duplicate name: {} is also defined in {}",
                    obj.reference(),
                    first.doc
                ),
            ));
        } else {
            seen.insert(key, obj);
        }
    }
    for obj in ordered {
        let key = (obj.namespace.clone(), obj.name.clone());
        // Only the first of duplicates is translated (the others are errors already).
        if seen
            .get(&(obj.kind.clone(), obj.namespace.clone(), obj.name.clone()))
            .is_some_and(|first| !std::ptr::eq(*first, obj))
        {
            continue;
        }
        match kinds::classify(&obj.api_version, &obj.kind) {
            Handling::Ingress | Handling::KongConsumer | Handling::KongClusterPlugin => {
                if let Err(why) = taken(translator, obj) {
                    cx.skip(format!("{} ({why})", obj.kind));
                    continue;
                }
                match obj.kind.as_str() {
                    "Ingress" => cx.ingresses.push(obj),
                    "KongConsumer" => cx.consumers.push(obj),
                    _ => {
                        cx.cluster_plugins.insert(obj.name.clone(), obj);
                    }
                }
            }
            Handling::Service => {
                cx.services.insert(key, obj);
            }
            Handling::EndpointSlice => match obj.labels.get("kubernetes.io/service-name") {
                Some(service) => cx
                    .slices
                    .entry((obj.namespace.clone(), service.clone()))
                    .or_default()
                    .push(obj),
                None => cx.problems.push(obj.problem(
                    "metadata.labels.kubernetes.io/service-name",
                    "required: the Service this EndpointSlice belongs to",
                )),
            },
            Handling::Endpoints => {
                cx.endpoints.insert(key, obj);
            }
            Handling::Secret => {
                cx.secrets.insert(key, obj);
            }
            Handling::ConfigMap => {
                cx.configmaps.insert(key, obj);
            }
            Handling::KongPlugin => {
                cx.plugins.insert(key, obj);
            }
            Handling::Skip => cx.skip(obj.kind.clone()),
            Handling::Unsupported(why) => cx.problems.push(obj.problem("kind", why)),
            Handling::UnknownVersion => {
                let message = match kinds::expected_version(&obj.kind) {
                    Some(v) => format!(
                        "unknown apiVersion {:?} for a {}: expected {v:?}",
                        obj.api_version, obj.kind
                    ),
                    None => format!(
                        "unknown apiVersion {:?} (kind {}): not a Kubernetes API this \
                         translation knows",
                        obj.api_version, obj.kind
                    ),
                };
                cx.problems.push(obj.problem("apiVersion", message));
            }
        }
    }
}

fn count_unused(cx: &mut Cx<'_>) {
    let mut unused = Vec::new();
    for (kind, map, why) in [
        ("Secret", &cx.secrets, "not referenced"),
        ("ConfigMap", &cx.configmaps, "not referenced"),
        ("Service", &cx.services, "no Ingress routes to it"),
        ("Endpoints", &cx.endpoints, "its Service is not routed to"),
    ] {
        for key in map.keys() {
            if !cx.used.contains(&(kind.to_owned(), key.clone())) {
                unused.push(format!("{kind} ({why})"));
            }
        }
    }
    for (key, slices) in &cx.slices {
        if !cx.used.contains(&("EndpointSlice".to_owned(), key.clone())) {
            for _ in slices {
                unused.push("EndpointSlice (its Service is not routed to)".to_owned());
            }
        }
    }
    for what in unused {
        cx.skip(what);
    }
}
