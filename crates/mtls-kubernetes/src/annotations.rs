//! Kong's annotations (`konghq.com/...`) and labels: which each kind takes, and how their
//! values read. A value that does not read is an error naming the annotation (Kong's
//! controller logs it and ignores the annotation).

use crate::error::Problem;
use crate::object::Obj;

/// The prefix of Kong's annotations.
pub(crate) const PREFIX: &str = "konghq.com/";

/// `kubernetes.io/ingress.class`.
pub(crate) const CLASS: &str = "kubernetes.io/ingress.class";

/// The annotations an Ingress takes (after the prefix; `headers.` takes any header name).
pub(crate) const INGRESS: &[&str] = &[
    "plugins",
    "strip-path",
    "protocols",
    "snis",
    "methods",
    "preserve-host",
    "https-redirect-status-code",
    "regex-priority",
    "request-buffering",
    "response-buffering",
    "host-aliases",
    "path-handling",
    "regex-prefix",
    "headers.",
    "headers-separator",
    "tags",
];

/// The annotations a Service takes.
pub(crate) const SERVICE: &[&str] = &[
    "plugins",
    "protocol",
    "path",
    "client-cert",
    "connect-timeout",
    "read-timeout",
    "write-timeout",
    "retries",
    "tls-verify",
    "tls-verify-depth",
    "ca-certificates-secrets",
    "tags",
];

/// The annotations a KongConsumer takes.
pub(crate) const CONSUMER: &[&str] = &["plugins", "tags"];

/// The annotations other objects take.
pub(crate) const OTHER: &[&str] = &["tags"];

/// Reports each Kong annotation of `obj` that `allowed` does not list.
pub(crate) fn check_known(obj: &Obj, allowed: &[&str], problems: &mut Vec<Problem>) {
    for key in obj.annotations.keys() {
        let Some(rest) = key.strip_prefix(PREFIX) else {
            continue;
        };
        let known = allowed.iter().any(|a| {
            *a == rest || (a.ends_with('.') && rest.starts_with(a) && rest.len() > a.len())
        });
        if !known {
            problems.push(obj.problem(
                field(key),
                format!(
                    "annotation not supported on a {} here (supported: {})",
                    obj.kind,
                    allowed
                        .iter()
                        .map(|a| format!("{PREFIX}{a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}

/// The problem path of an annotation.
pub(crate) fn field(key: &str) -> String {
    format!("metadata.annotations.{key}")
}

/// A comma-separated list, trimmed, without empty entries (as Kong's controller splits).
pub(crate) fn comma_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The value of `konghq.com/<name>`, if set.
pub(crate) fn get<'a>(obj: &'a Obj, name: &str) -> Option<&'a str> {
    obj.annotations
        .get(&format!("{PREFIX}{name}"))
        .map(String::as_str)
}

/// `konghq.com/<name>` as a boolean (`true` / `false`, any case).
pub(crate) fn boolean(obj: &Obj, name: &str, problems: &mut Vec<Problem>) -> Option<bool> {
    let value = get(obj, name)?;
    match value.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            problems.push(obj.problem(
                field(&format!("{PREFIX}{name}")),
                format!("expected \"true\" or \"false\", got {value:?}"),
            ));
            None
        }
    }
}

/// `konghq.com/<name>` as an integer in `min..=max`.
pub(crate) fn integer(
    obj: &Obj,
    name: &str,
    (min, max): (i64, i64),
    problems: &mut Vec<Problem>,
) -> Option<i64> {
    let value = get(obj, name)?;
    match value.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            problems.push(obj.problem(
                field(&format!("{PREFIX}{name}")),
                format!("expected an integer from {min} to {max}, got {value:?}"),
            ));
            None
        }
    }
}

/// The KongPlugin names of `konghq.com/plugins` (same namespace only).
pub(crate) fn plugin_names(obj: &Obj, problems: &mut Vec<Problem>) -> Vec<String> {
    let Some(value) = get(obj, "plugins") else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for name in comma_list(value) {
        if name.contains(':') {
            problems.push(obj.problem(
                field("konghq.com/plugins"),
                format!(
                    "{name:?}: a KongPlugin in another namespace (namespace:name) is not \
                     supported here; put the KongPlugin in {}",
                    obj.namespace
                ),
            ));
        } else if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The ingress class an object names: the `kubernetes.io/ingress.class` annotation, else
/// (for an Ingress) `spec.ingressClassName`.
pub(crate) fn class(obj: &Obj) -> Option<String> {
    if let Some(c) = obj.annotations.get(CLASS).filter(|c| !c.is_empty()) {
        return Some(c.clone());
    }
    if obj.kind == "Ingress" {
        return obj
            .value
            .pointer("/spec/ingressClassName")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
    }
    None
}
