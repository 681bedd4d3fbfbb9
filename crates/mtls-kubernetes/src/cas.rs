//! CA certificates: Secrets (and ConfigMaps) labelled `konghq.com/ca-cert: "true"`, with the
//! PEM under `cert` (or `ca.crt`) and the id under `id`, as Kong's controller reads them.
//! Without an `id`, the loader derives one from the certificate's digest (Kong's controller
//! refuses such a Secret; a KongPlugin can only name a CA by id, so give one).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::document::Entry;
use crate::object::Obj;
use crate::secrets;
use crate::translate::Cx;

/// The label marking a CA certificate.
pub(crate) const LABEL: &str = "konghq.com/ca-cert";

pub(crate) fn translate(cx: &mut Cx<'_>) {
    let labelled: Vec<&Obj> = cx
        .secrets
        .values()
        .chain(cx.configmaps.values())
        .copied()
        .filter(|o| o.labels.get(LABEL).is_some_and(|v| v == "true"))
        .collect();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for obj in labelled {
        cx.mark_used(&obj.kind, &obj.namespace, &obj.name);
        let before = cx.problems.len();
        let data = secrets::data(obj, &mut cx.problems);
        if cx.problems.len() > before {
            continue;
        }
        let mut problems = Vec::new();
        let cert = secrets::text(obj, &data, "cert", &mut problems)
            .or_else(|| secrets::text(obj, &data, "ca.crt", &mut problems));
        let id = secrets::text(obj, &data, "id", &mut problems).map(|s| s.trim().to_owned());
        cx.problems.append(&mut problems);
        let Some(cert) = cert else {
            if !data.contains_key("cert") && !data.contains_key("ca.crt") {
                cx.problems.push(obj.problem(
                    "data",
                    "a CA certificate needs its PEM under \"cert\" (or \"ca.crt\")",
                ));
            }
            continue;
        };
        let blocks = cert.matches("-----BEGIN ").count();
        if blocks != 1 || !cert.contains("-----BEGIN CERTIFICATE-----") {
            cx.problems.push(obj.problem(
                "data.cert",
                format!("expected exactly one PEM CERTIFICATE block, found {blocks} PEM block(s)"),
            ));
            continue;
        }
        let mut value = Map::new();
        if let Some(id) = &id {
            if let Some(first) = ids.get(id) {
                cx.problems.push(obj.problem(
                    "data.id",
                    format!("duplicate CA certificate id {id}: {first} has it too"),
                ));
                continue;
            }
            ids.insert(id.clone(), obj.reference().to_string());
            value.insert("id".into(), Value::String(id.clone()));
        }
        value.insert("cert".into(), Value::String(format!("{}\n", cert.trim())));
        value.insert("tags".into(), Value::Array(obj.tags()));
        cx.doc.ca_certificates.push(Entry {
            value,
            source: obj.reference(),
            order: String::new(),
        });
    }
}
