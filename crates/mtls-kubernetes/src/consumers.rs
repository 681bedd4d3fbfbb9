//! KongConsumers: `username` / `custom_id`, `credentials` (Secrets labelled
//! `konghq.com/credential`: `mtls-auth` gives an mtls_auth_credential, `acl` an ACL group;
//! Kong's other credential types are carried into the document, where the loader skips them
//! with a warning), and `konghq.com/plugins`.

use serde_json::{Map, Value, json};

use crate::annotations;
use crate::document::{ConsumerEntry, Entry};
use crate::object::{Obj, list_at, string_at};
use crate::plugins::Referrer;
use crate::secrets;
use crate::translate::Cx;

/// The label naming a credential Secret's type.
const LABEL: &str = "konghq.com/credential";

/// Credential types: (label value, key in the consumer, fields the Secret may hold, required).
const TYPES: [(&str, &str, &[&str], &[&str]); 7] = [
    (
        "mtls-auth",
        "mtls_auth_credentials",
        &["subject_name", "ca_certificate", "id"],
        &["subject_name"],
    ),
    ("acl", "acls", &["group", "id"], &["group"]),
    ("key-auth", "keyauth_credentials", &[], &["key"]),
    (
        "basic-auth",
        "basicauth_credentials",
        &[],
        &["username", "password"],
    ),
    (
        "hmac-auth",
        "hmacauth_credentials",
        &[],
        &["username", "secret"],
    ),
    ("jwt", "jwt_secrets", &[], &["key"]),
    (
        "oauth2",
        "oauth2_credentials",
        &[],
        &["name", "client_id", "client_secret", "redirect_uris"],
    ),
];

pub(crate) fn translate(cx: &mut Cx<'_>) {
    let consumers = cx.consumers.clone();
    for obj in consumers {
        consumer(cx, obj);
    }
}

fn consumer(cx: &mut Cx<'_>, obj: &Obj) {
    annotations::check_known(obj, annotations::CONSUMER, &mut cx.problems);
    obj.only_keys(
        &["username", "custom_id", "credentials", "consumerGroups"],
        &mut cx.problems,
    );
    let root = obj.value.clone();
    let username =
        string_at(obj, &root, "username", "", &mut cx.problems).filter(|s| !s.is_empty());
    let custom_id =
        string_at(obj, &root, "custom_id", "", &mut cx.problems).filter(|s| !s.is_empty());
    let anonymous = username.is_none() && custom_id.is_none();
    if anonymous {
        cx.problems
            .push(obj.problem("username", "a KongConsumer needs username or custom_id"));
    }
    if !list_at(obj, &root, "consumerGroups", "", &mut cx.problems).is_empty() {
        cx.problems.push(obj.problem(
            "consumerGroups",
            "consumer groups are not supported here (Kong Enterprise)",
        ));
    }
    let mut value = Map::new();
    if let Some(u) = username {
        value.insert("username".into(), json!(u));
    }
    if let Some(c) = custom_id {
        value.insert("custom_id".into(), json!(c));
    }
    value.insert("tags".into(), Value::Array(obj.tags()));
    let key = format!("{}/{}", obj.namespace, obj.name);
    let mut nested = Vec::new();
    for (i, cred) in list_at(obj, &root, "credentials", "", &mut cx.problems)
        .iter()
        .enumerate()
    {
        let field = format!("credentials[{i}]");
        let Some(name) = cred.as_str() else {
            cx.problems
                .push(obj.problem(field, "expected a Secret's name"));
            continue;
        };
        let Some(secret) = cx.secret(&obj.namespace, name, obj, &field) else {
            continue;
        };
        if let Some(entry) = credential(cx, secret) {
            nested.push(entry);
        }
    }
    for plugin in annotations::plugin_names(obj, &mut cx.problems) {
        cx.bindings.consumer(
            (obj.namespace.clone(), plugin),
            key.clone(),
            Referrer::of(obj),
        );
    }
    if anonymous {
        return;
    }
    cx.doc.consumers.insert(
        key,
        ConsumerEntry {
            value,
            source: obj.reference(),
            nested,
            plugins: Vec::new(),
        },
    );
}

fn credential(cx: &mut Cx<'_>, secret: &Obj) -> Option<(&'static str, Entry)> {
    let Some(kind) = secret.labels.get(LABEL) else {
        cx.problems.push(secret.problem(
            format!("metadata.labels.{LABEL}"),
            "a Secret used as a credential needs this label (mtls-auth, acl, ...)",
        ));
        return None;
    };
    let Some((_, table, fields, required)) = TYPES.iter().find(|(t, ..)| t == kind) else {
        cx.problems.push(secret.problem(
            format!("metadata.labels.{LABEL}"),
            format!(
                "unknown credential type {kind:?}: expected one of {}",
                TYPES.map(|t| t.0).join(", ")
            ),
        ));
        return None;
    };
    let data = secrets::data(secret, &mut cx.problems);
    let mut value = Map::new();
    let before = cx.problems.len();
    for key in data.keys() {
        if !fields.is_empty() && !fields.contains(&key.as_str()) {
            cx.problems.push(secret.problem(
                format!("data.{key}"),
                format!(
                    "unknown field for a {kind} credential (it takes {})",
                    fields.join(", ")
                ),
            ));
        }
    }
    for key in *required {
        if !data.contains_key(*key) {
            cx.problems.push(secret.problem(
                format!("data.{key}"),
                format!("required for a {kind} credential"),
            ));
        }
    }
    for key in data.keys() {
        let Some(text) = secrets::text(secret, &data, key, &mut cx.problems) else {
            continue;
        };
        let v = match key.as_str() {
            "ca_certificate" => json!({ "id": text.trim() }),
            "redirect_uris" => json!(annotations::comma_list(&text)),
            _ => json!(text),
        };
        value.insert(key.clone(), v);
    }
    value.insert("tags".into(), Value::Array(secret.tags()));
    if cx.problems.len() > before {
        return None;
    }
    Some((
        table,
        Entry {
            value,
            source: secret.reference(),
            order: String::new(),
        },
    ))
}
