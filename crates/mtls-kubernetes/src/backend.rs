//! Where a Kubernetes Service's port is reached: its EndpointSlices' (or Endpoints') ready
//! addresses, as Kong's controller finds its targets; the `externalName` of an ExternalName
//! Service; or, without endpoints in the input (or with
//! `ingress.kubernetes.io/service-upstream: "true"`), its cluster DNS name
//! `NAME.NAMESPACE.svc:PORT`.

use std::net::IpAddr;

use serde_json::Value;

use crate::error::Warning;
use crate::object::{Obj, int_at, list_at, string_at};
use crate::translate::Cx;

/// How an Ingress backend names the Service port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PortDef {
    /// `port.number`.
    Number(u16),
    /// `port.name`.
    Name(String),
    /// No port: the Service must have exactly one.
    Implicit,
}

impl PortDef {
    /// Kong's controller's spelling in names: the number, the name, or `implicitPort`.
    pub(crate) fn canonical(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Name(n) => n.clone(),
            Self::Implicit => "implicitPort".to_owned(),
        }
    }
}

/// A resolved upstream address.
#[derive(Clone, Debug)]
pub(crate) struct Upstream<'a> {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The Service, when it is in the input.
    pub(crate) service: Option<&'a Obj>,
}

/// One `spec.ports` entry.
struct ServicePort {
    name: String,
    port: u16,
    target: Option<Value>,
    protocol: String,
}

fn service_ports(svc: &Obj, cx: &mut Cx<'_>) -> Vec<ServicePort> {
    let spec = svc.get("spec").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    for (i, p) in list_at(svc, &spec, "ports", "spec", &mut cx.problems)
        .iter()
        .enumerate()
    {
        let path = format!("spec.ports[{i}]");
        let port = int_at(svc, p, "port", &path, (1, 65535), &mut cx.problems);
        let Some(port) = port.and_then(|p| u16::try_from(p).ok()) else {
            if p.get("port").is_none() {
                cx.problems
                    .push(svc.problem(format!("{path}.port"), "required field missing"));
            }
            continue;
        };
        out.push(ServicePort {
            name: string_at(svc, p, "name", &path, &mut cx.problems)
                .unwrap_or_default()
                .to_owned(),
            port,
            target: p.get("targetPort").filter(|v| !v.is_null()).cloned(),
            protocol: string_at(svc, p, "protocol", &path, &mut cx.problems)
                .unwrap_or("TCP")
                .to_owned(),
        });
    }
    out
}

/// Resolves Service `ns/name` at `port` for `referrer` (an Ingress; problems go on its
/// `field`).
pub(crate) fn resolve<'a>(
    cx: &mut Cx<'a>,
    ns: &str,
    name: &str,
    port: &PortDef,
    referrer: &Obj,
    field: &str,
) -> Option<Upstream<'a>> {
    let dns = format!("{name}.{ns}.svc");
    let Some(svc) = cx.services.get(&(ns.to_owned(), name.to_owned())).copied() else {
        return match port {
            PortDef::Number(n) => {
                cx.warnings.push(Warning::ServiceNotInInput {
                    service: crate::ObjectRef::namespaced("Service", ns, name),
                    address: format!("{dns}:{n}"),
                });
                Some(Upstream {
                    host: dns,
                    port: *n,
                    service: None,
                })
            }
            _ => {
                cx.problems.push(referrer.problem(
                    field,
                    format!(
                        "Service {ns}/{name} is not in the input: a port by name (or no \
                         port) needs it; give the Service or the port number"
                    ),
                ));
                None
            }
        };
    };
    cx.mark_used("Service", ns, name);
    let ports = service_ports(svc, cx);
    let spec = svc.get("spec").cloned().unwrap_or(Value::Null);
    let external = spec.get("type").and_then(Value::as_str) == Some("ExternalName");
    let found = match port {
        PortDef::Number(n) => ports.iter().find(|p| p.port == *n),
        PortDef::Name(want) => ports.iter().find(|p| {
            p.name == *want || p.target.as_ref().and_then(Value::as_str) == Some(want.as_str())
        }),
        PortDef::Implicit if ports.len() == 1 => ports.first(),
        PortDef::Implicit => {
            cx.problems.push(referrer.problem(
                field,
                format!(
                    "no port given, and Service {ns}/{name} has {} ports (it must have \
                     exactly one)",
                    ports.len()
                ),
            ));
            return None;
        }
    };
    let Some(found) = found else {
        if external && let PortDef::Number(n) = port {
            // An ExternalName Service declares no ports of its own.
            return external_name(cx, svc, &spec, *n, *n);
        }
        cx.problems.push(referrer.problem(
            field,
            format!("Service {ns}/{name} has no port {}", port.canonical()),
        ));
        return None;
    };
    if external {
        let target = found
            .target
            .as_ref()
            .and_then(Value::as_u64)
            .and_then(|t| u16::try_from(t).ok())
            .unwrap_or(found.port);
        return external_name(cx, svc, &spec, found.port, target);
    }
    let service_upstream = svc
        .annotations
        .get("ingress.kubernetes.io/service-upstream")
        .is_some_and(|v| v == "true");
    if service_upstream {
        return Some(Upstream {
            host: dns,
            port: found.port,
            service: Some(svc),
        });
    }
    let key = (ns.to_owned(), name.to_owned());
    let addresses = if let Some(slices) = cx.slices.get(&key).cloned() {
        cx.mark_used("EndpointSlice", ns, name);
        Some(slice_addresses(cx, &slices, found))
    } else if let Some(endpoints) = cx.endpoints.get(&key).copied() {
        cx.mark_used("Endpoints", ns, name);
        Some(endpoints_addresses(cx, endpoints, found))
    } else {
        None
    };
    let Some(mut addresses) = addresses else {
        return Some(Upstream {
            host: dns,
            port: found.port,
            service: Some(svc),
        });
    };
    addresses.sort_by_key(address_order);
    addresses.dedup();
    let mut rest = addresses.into_iter();
    let Some((host, port_number)) = rest.next() else {
        cx.problems.push(svc.problem(
            "",
            format!(
                "its endpoints (EndpointSlices or Endpoints in the input) have no ready \
                 address for port {}",
                if found.name.is_empty() {
                    found.port.to_string()
                } else {
                    found.name.clone()
                }
            ),
        ));
        return None;
    };
    let unused: Vec<String> = rest.map(|(h, p)| show(&h, p)).collect();
    if !unused.is_empty() {
        cx.warnings.push(Warning::EndpointsUnused {
            service: svc.reference(),
            port: found.port.to_string(),
            used: show(&host, port_number),
            unused,
        });
    }
    Some(Upstream {
        host,
        port: port_number,
        service: Some(svc),
    })
}

fn external_name<'a>(
    cx: &mut Cx<'a>,
    svc: &'a Obj,
    spec: &Value,
    _port: u16,
    target: u16,
) -> Option<Upstream<'a>> {
    match string_at(svc, spec, "externalName", "spec", &mut cx.problems) {
        Some(host) if !host.is_empty() => Some(Upstream {
            host: host.to_owned(),
            port: target,
            service: Some(svc),
        }),
        _ => {
            cx.problems.push(svc.problem(
                "spec.externalName",
                "required for a Service of type ExternalName",
            ));
            None
        }
    }
}

fn show(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn address_order(a: &(String, u16)) -> (Option<IpAddr>, String, u16) {
    (a.0.parse().ok(), a.0.clone(), a.1)
}

/// The ready addresses of `slices` for the Service port `port` (matched by port name and
/// protocol, as Kong's controller does).
fn slice_addresses(cx: &mut Cx<'_>, slices: &[&Obj], port: &ServicePort) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for slice in slices {
        let root = slice.value.clone();
        let mut target = None;
        for (i, p) in list_at(slice, &root, "ports", "", &mut cx.problems)
            .iter()
            .enumerate()
        {
            let path = format!("ports[{i}]");
            let name = string_at(slice, p, "name", &path, &mut cx.problems).unwrap_or_default();
            let protocol =
                string_at(slice, p, "protocol", &path, &mut cx.problems).unwrap_or("TCP");
            let number = int_at(slice, p, "port", &path, (1, 65535), &mut cx.problems);
            if name == port.name && protocol == port.protocol {
                target = number.and_then(|n| u16::try_from(n).ok());
            }
        }
        let Some(target) = target else { continue };
        for (i, e) in list_at(slice, &root, "endpoints", "", &mut cx.problems)
            .iter()
            .enumerate()
        {
            let path = format!("endpoints[{i}]");
            // A missing `ready` means unknown, read as ready (Kubernetes' advice).
            let ready = e.pointer("/conditions/ready").and_then(Value::as_bool) != Some(false);
            let addresses = list_at(slice, e, "addresses", &path, &mut cx.problems);
            match addresses.first().and_then(Value::as_str) {
                Some(a) if ready => out.push((a.to_owned(), target)),
                Some(_) => {}
                None => cx.problems.push(slice.problem(
                    format!("{path}.addresses"),
                    "expected at least one address (a string)",
                )),
            }
        }
    }
    out
}

/// The ready addresses of a v1 Endpoints object for the Service port `port`.
fn endpoints_addresses(cx: &mut Cx<'_>, ep: &Obj, port: &ServicePort) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    let root = ep.value.clone();
    for (i, subset) in list_at(ep, &root, "subsets", "", &mut cx.problems)
        .iter()
        .enumerate()
    {
        let path = format!("subsets[{i}]");
        let mut target = None;
        for (j, p) in list_at(ep, subset, "ports", &path, &mut cx.problems)
            .iter()
            .enumerate()
        {
            let ppath = format!("{path}.ports[{j}]");
            let name = string_at(ep, p, "name", &ppath, &mut cx.problems).unwrap_or_default();
            let protocol = string_at(ep, p, "protocol", &ppath, &mut cx.problems).unwrap_or("TCP");
            let number = int_at(ep, p, "port", &ppath, (1, 65535), &mut cx.problems);
            if name == port.name && protocol == port.protocol {
                target = number.and_then(|n| u16::try_from(n).ok());
            }
        }
        let Some(target) = target else { continue };
        for (j, a) in list_at(ep, subset, "addresses", &path, &mut cx.problems)
            .iter()
            .enumerate()
        {
            match string_at(
                ep,
                a,
                "ip",
                &format!("{path}.addresses[{j}]"),
                &mut cx.problems,
            ) {
                Some(ip) => out.push((ip.to_owned(), target)),
                None => cx.problems.push(ep.problem(
                    format!("{path}.addresses[{j}].ip"),
                    "required field missing",
                )),
            }
        }
    }
    out
}
