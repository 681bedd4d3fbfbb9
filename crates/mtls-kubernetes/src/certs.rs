//! Certificates from TLS Secrets (`tls.crt`, `tls.key`): an Ingress's `spec.tls` (its hosts
//! become the certificate's SNIs) and a Service's `konghq.com/client-cert`. The id is the
//! Secret's `metadata.uid`, as Kong's controller gives it, or a name-derived UUID.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::document::CertEntry;
use crate::object::Obj;
use crate::secrets;
use crate::translate::Cx;

/// The namespace of the UUIDs derived from object names.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d74_6c73_2d6b_3873_a000_0000_0000_0001);

/// A deterministic id for an entity made from an object (`kind`, `ns/name`).
pub(crate) fn derived_id(what: &str, ns: &str, name: &str) -> Uuid {
    Uuid::new_v5(&ID_NAMESPACE, format!("{what}:{ns}/{name}").as_bytes())
}

/// The certificate of the TLS Secret `secret`, added to the document once; its key in
/// [`crate::document::Doc::certificates`] and its id.
pub(crate) fn certificate(cx: &mut Cx<'_>, secret: &Obj) -> Option<(String, Uuid)> {
    let key = format!("{}/{}", secret.namespace, secret.name);
    if let Some(entry) = cx.doc.certificates.get(&key) {
        let id = entry
            .value
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())?;
        return Some((key, id));
    }
    let data = secrets::data(secret, &mut cx.problems);
    let cert = secrets::text(secret, &data, "tls.crt", &mut cx.problems);
    let private = secrets::text(secret, &data, "tls.key", &mut cx.problems);
    let (Some(cert), Some(private)) = (cert, private) else {
        if !data.contains_key("tls.crt") || !data.contains_key("tls.key") {
            cx.problems.push(secret.problem(
                "data",
                "a TLS Secret needs \"tls.crt\" and \"tls.key\" (a certificate chain and its \
                 key, PEM)",
            ));
        }
        return None;
    };
    let id = secret
        .uid
        .as_deref()
        .and_then(|u| u.parse::<Uuid>().ok())
        .unwrap_or_else(|| derived_id("certificate", &secret.namespace, &secret.name));
    let mut value = Map::new();
    value.insert("id".into(), Value::String(id.to_string()));
    value.insert("cert".into(), Value::String(format!("{}\n", cert.trim())));
    value.insert("key".into(), Value::String(format!("{}\n", private.trim())));
    value.insert("tags".into(), Value::Array(secret.tags()));
    cx.doc.certificates.insert(
        key.clone(),
        CertEntry {
            value,
            source: secret.reference(),
            snis: Default::default(),
        },
    );
    Some((key, id))
}
