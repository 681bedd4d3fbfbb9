//! Kong services: one per Kubernetes Service and port an Ingress routes to, named
//! `NAMESPACE.SERVICE.PORT` as Kong's controller names them, with the address from
//! [`crate::backend`] and the Service's annotations (`konghq.com/protocol`, `path`,
//! `client-cert`, timeouts, retries, `tls-verify`, `ca-certificates-secrets`, `plugins`).

use serde_json::{Map, Value, json};

use crate::annotations::{self, PREFIX};
use crate::backend::{self, PortDef};
use crate::document::ServiceEntry;
use crate::object::Obj;
use crate::plugins::Referrer;
use crate::translate::Cx;

/// Kong's protocol names.
pub(crate) const PROTOCOLS: &[&str] = &[
    "grpc",
    "grpcs",
    "http",
    "https",
    "tcp",
    "tls",
    "tls_passthrough",
    "udp",
    "ws",
    "wss",
];

const TLS_PROTOCOLS: &[&str] = &["https", "grpcs", "tls", "wss"];

/// Ensures the Kong service for Service `ns/name` at `port` exists; its name, or `None`
/// when it cannot be made (the problems are recorded). `referrer` is the Ingress.
pub(crate) fn ensure(
    cx: &mut Cx<'_>,
    ns: &str,
    name: &str,
    port: &PortDef,
    referrer: &Obj,
    field: &str,
) -> Option<String> {
    let kong_name = format!("{ns}.{name}.{}", port.canonical());
    if cx.doc.services.contains_key(&kong_name) {
        return Some(kong_name);
    }
    if cx.failed_services.contains(&kong_name) {
        return None;
    }
    let Some(upstream) = backend::resolve(cx, ns, name, port, referrer, field) else {
        cx.failed_services.insert(kong_name);
        return None;
    };
    let mut value = Map::new();
    value.insert("name".into(), json!(kong_name));
    value.insert("host".into(), json!(upstream.host));
    value.insert("port".into(), json!(upstream.port));
    value.insert("protocol".into(), json!("http"));
    value.insert("path".into(), json!("/"));
    value.insert("connect_timeout".into(), json!(60000));
    value.insert("read_timeout".into(), json!(60000));
    value.insert("write_timeout".into(), json!(60000));
    value.insert("retries".into(), json!(5));
    let source = match upstream.service {
        Some(svc) => {
            value.insert("tags".into(), Value::Array(svc.tags()));
            apply_annotations(cx, svc, &mut value, true);
            for plugin in annotations::plugin_names(svc, &mut cx.problems) {
                cx.bindings.service(
                    (svc.namespace.clone(), plugin),
                    kong_name.clone(),
                    Referrer::of(svc),
                );
            }
            svc.reference()
        }
        None => {
            value.insert("tags".into(), Value::Array(referrer.tags()));
            referrer.reference()
        }
    };
    cx.doc.services.insert(
        kong_name.clone(),
        ServiceEntry {
            value,
            source,
            routes: Default::default(),
        },
    );
    Some(kong_name)
}

/// Reads the annotations of a Service no Ingress routes to: their problems are reported
/// all the same (the Secrets they name are not read).
pub(crate) fn check_unrouted(cx: &mut Cx<'_>, svc: &Obj) {
    apply_annotations(cx, svc, &mut Map::new(), false);
    let _ = annotations::plugin_names(svc, &mut cx.problems);
}

fn apply_annotations(cx: &mut Cx<'_>, svc: &Obj, value: &mut Map<String, Value>, secrets: bool) {
    annotations::check_known(svc, annotations::SERVICE, &mut cx.problems);
    let field = |name: &str| annotations::field(&format!("{PREFIX}{name}"));
    let protocol = annotations::get(svc, "protocol").unwrap_or("http");
    if !PROTOCOLS.contains(&protocol) {
        cx.problems.push(svc.problem(
            field("protocol"),
            format!(
                "invalid protocol {protocol:?}: expected one of {}",
                PROTOCOLS.join(", ")
            ),
        ));
    } else {
        value.insert("protocol".into(), json!(protocol));
    }
    let tls = TLS_PROTOCOLS.contains(&protocol);
    if let Some(path) = annotations::get(svc, "path") {
        if path.starts_with('/') {
            value.insert("path".into(), json!(path));
        } else {
            cx.problems
                .push(svc.problem(field("path"), format!("{path:?} must start with /")));
        }
    }
    if matches!(protocol, "grpc" | "grpcs") {
        // A gRPC service takes no path (Kong's controller drops it).
        value.remove("path");
    }
    for (name, key, range) in [
        (
            "connect-timeout",
            "connect_timeout",
            (1, i64::from(i32::MAX)),
        ),
        ("read-timeout", "read_timeout", (1, i64::from(i32::MAX))),
        ("write-timeout", "write_timeout", (1, i64::from(i32::MAX))),
        ("retries", "retries", (0, 32767)),
        ("tls-verify-depth", "tls_verify_depth", (0, 64)),
    ] {
        if let Some(n) = annotations::integer(svc, name, range, &mut cx.problems) {
            value.insert(key.into(), json!(n));
        }
    }
    let verify = annotations::boolean(svc, "tls-verify", &mut cx.problems);
    if let Some(v) = verify {
        value.insert("tls_verify".into(), json!(v));
    }
    if !secrets {
        return;
    }
    if let Some(secret_name) = annotations::get(svc, "client-cert") {
        let f = field("client-cert");
        if !tls {
            cx.problems.push(svc.problem(
                &f,
                format!(
                    "a client certificate needs a TLS protocol (konghq.com/protocol: https, \
                     grpcs, tls or wss), not {protocol}"
                ),
            ));
        } else if let Some(secret) = cx.secret(&svc.namespace, secret_name.trim(), svc, &f)
            && let Some((_, id)) = crate::certs::certificate(cx, secret)
        {
            value.insert("client_certificate".into(), json!({ "id": id.to_string() }));
        }
    }
    if let Some(names) = annotations::get(svc, "ca-certificates-secrets") {
        let f = field("ca-certificates-secrets");
        if verify != Some(true) {
            cx.problems.push(svc.problem(
                &f,
                "CA certificates for the upstream need konghq.com/tls-verify: \"true\"",
            ));
        }
        let mut ids = Vec::new();
        for name in annotations::comma_list(names) {
            let Some(secret) = cx.secret(&svc.namespace, &name, svc, &f) else {
                continue;
            };
            let data = crate::secrets::data(secret, &mut cx.problems);
            match crate::secrets::text(secret, &data, "id", &mut cx.problems) {
                Some(id) => ids.push(json!(id.trim())),
                None => cx.problems.push(secret.problem(
                    "data.id",
                    "a CA certificate Secret named by konghq.com/ca-certificates-secrets needs \
                     its id",
                )),
            }
        }
        value.insert("ca_certificates".into(), Value::Array(ids));
    }
}
