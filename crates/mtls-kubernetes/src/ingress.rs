//! Ingresses (`networking.k8s.io/v1`) as Kong's controller translates them: one Kong route
//! per Ingress, host and backend (named `NAMESPACE.INGRESS.SERVICE.HOST.PORT`), holding the
//! paths of that host and backend; `strip_path: false` and `preserve_host: true` unless
//! annotated; paths by `pathType` (`Prefix` `/foo` is `/foo/` and `~/foo$`, `Exact` is
//! `~/foo$`, `ImplementationSpecific` is the path as written, `/~` starting a regex); TLS
//! hosts as SNIs of the Secret's certificate; `spec.defaultBackend` as a catch-all route.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::annotations;
use crate::backend::PortDef;
use crate::document::Entry;
use crate::object::{Obj, check_keys, list_at, string_at};
use crate::plugins::Referrer;
use crate::routes::{Overrides, overrides};
use crate::services;
use crate::translate::Cx;

/// A route being gathered: its Ingress, host, backend and paths.
struct Group<'a> {
    ingress: &'a Obj,
    /// The position of the Ingress's annotations in the translation's list.
    index: usize,
    host: String,
    service: String,
    port: PortDef,
    paths: Vec<String>,
    /// The first backend's field, for problems.
    field: String,
}

pub(crate) fn translate(cx: &mut Cx<'_>) {
    let ingresses = cx.ingresses.clone();
    let mut groups: BTreeMap<String, Group<'_>> = BTreeMap::new();
    let mut default_backend: Option<String> = None;
    let mut sni_owner: BTreeMap<String, String> = BTreeMap::new();
    let mut read: Vec<(Overrides, Vec<String>)> = Vec::new();
    for ing in ingresses {
        annotations::check_known(ing, annotations::INGRESS, &mut cx.problems);
        let index = read.len();
        let overrides = overrides(cx, ing);
        let plugins = annotations::plugin_names(ing, &mut cx.problems);
        read.push((overrides, plugins));
        ing.only_keys(&["spec"], &mut cx.problems);
        let spec = match ing.get("spec") {
            Some(s @ Value::Object(_)) => s.clone(),
            Some(_) => {
                cx.problems.push(ing.problem("spec", "expected a mapping"));
                continue;
            }
            None => {
                cx.problems
                    .push(ing.problem("spec", "required field missing"));
                continue;
            }
        };
        if let Value::Object(map) = &spec {
            for key in map.keys() {
                if !matches!(
                    key.as_str(),
                    "rules" | "tls" | "defaultBackend" | "ingressClassName"
                ) {
                    cx.problems
                        .push(ing.problem(format!("spec.{key}"), "unknown field"));
                }
            }
        }
        tls(cx, ing, &spec, &mut sni_owner);
        rules(cx, ing, index, &spec, &mut groups);
        if let Some(backend) = spec.get("defaultBackend").filter(|b| !b.is_null()) {
            let field = "spec.defaultBackend";
            if let Some(first) = &default_backend {
                cx.problems.push(ing.problem(
                    field,
                    format!("only one Ingress may set a default backend; {first} does already"),
                ));
            } else if let Some((service, port)) = backend_of(cx, ing, backend, field) {
                default_backend = Some(ing.reference().to_string());
                groups.insert(
                    format!("{}.{}", ing.namespace, ing.name),
                    Group {
                        ingress: ing,
                        index,
                        host: String::new(),
                        service,
                        port,
                        paths: vec!["/".to_owned()],
                        field: field.to_owned(),
                    },
                );
            }
        }
    }
    for (route_name, group) in groups {
        let (overrides, plugins) = &read[group.index];
        route(cx, route_name, group, overrides, plugins);
    }
}

fn tls(cx: &mut Cx<'_>, ing: &Obj, spec: &Value, sni_owner: &mut BTreeMap<String, String>) {
    for (i, entry) in list_at(ing, spec, "tls", "spec", &mut cx.problems)
        .iter()
        .enumerate()
    {
        let path = format!("spec.tls[{i}]");
        check_keys(
            ing,
            entry,
            &path,
            &["hosts", "secretName"],
            &mut cx.problems,
        );
        let hosts: Vec<String> = list_at(ing, entry, "hosts", &path, &mut cx.problems)
            .iter()
            .enumerate()
            .filter_map(|(j, h)| match h.as_str() {
                Some(h) => Some(h.to_owned()),
                None => {
                    cx.problems
                        .push(ing.problem(format!("{path}.hosts[{j}]"), "expected a string"));
                    None
                }
            })
            .collect();
        let secret_name = string_at(ing, entry, "secretName", &path, &mut cx.problems);
        // Kong's controller reads only entries with both hosts and a Secret.
        let Some(secret_name) = secret_name.filter(|s| !s.is_empty() && !hosts.is_empty()) else {
            continue;
        };
        let field = format!("{path}.secretName");
        let Some(secret) = cx.secret(&ing.namespace, secret_name, ing, &field) else {
            continue;
        };
        let Some((key, _)) = crate::certs::certificate(cx, secret) else {
            continue;
        };
        for host in hosts {
            match sni_owner.get(&host) {
                Some(owner) if *owner != key => cx.problems.push(ing.problem(
                    &field,
                    format!("host {host} is already served with the certificate of Secret {owner}"),
                )),
                Some(_) => {}
                None => {
                    sni_owner.insert(host.clone(), key.clone());
                    if let Some(cert) = cx.doc.certificates.get_mut(&key) {
                        cert.snis.insert(host);
                    }
                }
            }
        }
    }
}

fn rules<'a>(
    cx: &mut Cx<'_>,
    ing: &'a Obj,
    index: usize,
    spec: &Value,
    groups: &mut BTreeMap<String, Group<'a>>,
) {
    for (i, rule) in list_at(ing, spec, "rules", "spec", &mut cx.problems)
        .iter()
        .enumerate()
    {
        let rpath = format!("spec.rules[{i}]");
        check_keys(ing, rule, &rpath, &["host", "http"], &mut cx.problems);
        let host = string_at(ing, rule, "host", &rpath, &mut cx.problems)
            .unwrap_or_default()
            .to_owned();
        let http = rule.get("http").cloned().unwrap_or(Value::Null);
        check_keys(
            ing,
            &http,
            &format!("{rpath}.http"),
            &["paths"],
            &mut cx.problems,
        );
        for (j, p) in list_at(
            ing,
            &http,
            "paths",
            &format!("{rpath}.http"),
            &mut cx.problems,
        )
        .iter()
        .enumerate()
        {
            let ppath = format!("{rpath}.http.paths[{j}]");
            check_keys(
                ing,
                p,
                &ppath,
                &["path", "pathType", "backend"],
                &mut cx.problems,
            );
            let Some(paths) = kong_paths(cx, ing, p, &ppath) else {
                continue;
            };
            let field = format!("{ppath}.backend");
            let Some(backend) = p.get("backend").filter(|b| !b.is_null()) else {
                cx.problems
                    .push(ing.problem(field, "required field missing"));
                continue;
            };
            let Some((service, port)) = backend_of(cx, ing, backend, &field) else {
                continue;
            };
            let route_name = format!(
                "{}.{}.{}.{}.{}",
                ing.namespace,
                ing.name,
                service,
                host.replace('*', "_"),
                port.canonical()
            );
            groups
                .entry(route_name)
                .or_insert_with(|| Group {
                    ingress: ing,
                    index,
                    host: host.clone(),
                    service,
                    port,
                    paths: Vec::new(),
                    field,
                })
                .paths
                .extend(paths);
        }
    }
}

/// A backend's Service name and port.
fn backend_of(
    cx: &mut Cx<'_>,
    ing: &Obj,
    backend: &Value,
    field: &str,
) -> Option<(String, PortDef)> {
    check_keys(
        ing,
        backend,
        field,
        &["service", "resource"],
        &mut cx.problems,
    );
    if backend.get("resource").is_some_and(|r| !r.is_null()) {
        cx.problems.push(ing.problem(
            format!("{field}.resource"),
            "a resource backend is not supported: use a Service",
        ));
        return None;
    }
    let Some(service) = backend.get("service").filter(|s| !s.is_null()) else {
        cx.problems
            .push(ing.problem(format!("{field}.service"), "required field missing"));
        return None;
    };
    let spath = format!("{field}.service");
    check_keys(ing, service, &spath, &["name", "port"], &mut cx.problems);
    let name = string_at(ing, service, "name", &spath, &mut cx.problems);
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        cx.problems
            .push(ing.problem(format!("{spath}.name"), "required: the Service's name"));
        return None;
    };
    let port = match service.get("port").filter(|p| !p.is_null()) {
        None => PortDef::Implicit,
        Some(port) => {
            let ppath = format!("{spath}.port");
            let before = cx.problems.len();
            check_keys(ing, port, &ppath, &["number", "name"], &mut cx.problems);
            if cx.problems.len() > before {
                return None;
            }
            let number =
                crate::object::int_at(ing, port, "number", &ppath, (1, 65535), &mut cx.problems);
            let pname = string_at(ing, port, "name", &ppath, &mut cx.problems);
            match (number.and_then(|n| u16::try_from(n).ok()), pname) {
                (Some(n), None) => PortDef::Number(n),
                (None, Some(n)) if !n.is_empty() => PortDef::Name(n.to_owned()),
                (None, None) if port.get("number").is_none() => PortDef::Implicit,
                (None, Some(_)) => {
                    cx.problems
                        .push(ing.problem(format!("{ppath}.name"), "expected a port name"));
                    return None;
                }
                (Some(_), Some(_)) => {
                    cx.problems
                        .push(ing.problem(ppath, "set either number or name, not both"));
                    return None;
                }
                _ => return None,
            }
        }
    };
    Some((name.to_owned(), port))
}

/// The Kong paths of one Ingress path, by its `pathType`.
fn kong_paths(cx: &mut Cx<'_>, ing: &Obj, p: &Value, ppath: &str) -> Option<Vec<String>> {
    let raw = string_at(ing, p, "path", ppath, &mut cx.problems).unwrap_or_default();
    let mut path = flatten_slashes(raw);
    if path.is_empty() {
        path = "/".to_owned();
    }
    let path_type =
        string_at(ing, p, "pathType", ppath, &mut cx.problems).unwrap_or("ImplementationSpecific");
    let mut out = Vec::new();
    match path_type {
        "Prefix" => {
            let base = path.trim_matches('/');
            if base.is_empty() {
                out.push("/".to_owned());
            } else {
                out.push(format!("/{base}/"));
                out.push(format!("~/{base}$"));
            }
        }
        "Exact" => out.push(format!("~/{}$", path.trim_start_matches('/'))),
        "ImplementationSpecific" => out.push(path),
        other => {
            cx.problems.push(ing.problem(
                format!("{ppath}.pathType"),
                format!(
                    "unknown pathType {other:?}: expected Exact, Prefix or ImplementationSpecific"
                ),
            ));
            return None;
        }
    }
    let prefix = annotations::get(ing, "regex-prefix").unwrap_or("/~");
    Some(
        out.into_iter()
            .map(|p| match p.strip_prefix(prefix) {
                Some(rest) if !prefix.is_empty() => format!("~{rest}"),
                _ => p,
            })
            .collect(),
    )
}

fn flatten_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

fn route(
    cx: &mut Cx<'_>,
    name: String,
    group: Group<'_>,
    overrides: &Overrides,
    plugins: &[String],
) {
    let ing = group.ingress;
    let Some(service) = services::ensure(
        cx,
        &ing.namespace,
        &group.service,
        &group.port,
        ing,
        &group.field,
    ) else {
        return;
    };
    let mut value = Map::new();
    value.insert("name".into(), json!(name));
    value.insert("strip_path".into(), json!(false));
    value.insert("preserve_host".into(), json!(true));
    value.insert("regex_priority".into(), json!(0));
    value.insert("request_buffering".into(), json!(true));
    value.insert("response_buffering".into(), json!(true));
    value.insert("tags".into(), Value::Array(ing.tags()));
    if !group.host.is_empty() {
        value.insert("hosts".into(), json!([group.host]));
    }
    value.insert("paths".into(), json!(group.paths));
    overrides.apply(&mut value);
    for plugin in plugins {
        cx.bindings.route(
            (ing.namespace.clone(), plugin.clone()),
            name.clone(),
            Referrer::of(ing),
        );
    }
    if let Some(entry) = cx.doc.services.get_mut(&service) {
        entry.routes.insert(
            name,
            Entry {
                value,
                source: ing.reference(),
                order: String::new(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(flatten_slashes("//a///b/"), "/a/b/");
    }
}
