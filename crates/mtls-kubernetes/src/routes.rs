//! The route fields an Ingress's annotations set (`konghq.com/strip-path`, `protocols`,
//! `snis`, `methods`, `preserve-host`, `https-redirect-status-code`, `regex-priority`,
//! `request-buffering`, `response-buffering`, `host-aliases`, `path-handling`, `headers.*`,
//! and `ingress.kubernetes.io/force-ssl-redirect`), applied in Kong's controller's order.

use serde_json::{Map, Value, json};

use crate::annotations::{self, PREFIX};
use crate::object::Obj;
use crate::services::PROTOCOLS;
use crate::translate::Cx;

/// What an Ingress's annotations set on each of its routes.
pub(crate) struct Overrides {
    fields: Map<String, Value>,
    aliases: Vec<String>,
    force_ssl: bool,
}

impl Overrides {
    /// Applies the annotations to a route, in Kong's controller's order.
    pub(crate) fn apply(&self, value: &mut Map<String, Value>) {
        for (k, v) in &self.fields {
            value.insert(k.clone(), v.clone());
        }
        if self.force_ssl {
            // `ingress.kubernetes.io/force-ssl-redirect`: HTTPS only, 302, unless the
            // protocols and code annotations say otherwise.
            if !self.fields.contains_key("https_redirect_status_code") {
                value.insert("https_redirect_status_code".into(), json!(302));
            }
            if !self.fields.contains_key("protocols") {
                value.insert("protocols".into(), json!(["https"]));
            }
        }
        if !self.aliases.is_empty() {
            let mut hosts: Vec<Value> = value
                .get("hosts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for alias in &self.aliases {
                if !hosts.iter().any(|h| h.as_str() == Some(alias.as_str())) {
                    hosts.push(json!(alias));
                }
            }
            value.insert("hosts".into(), Value::Array(hosts));
        }
        normalize_protocols(value);
    }
}

/// Reads an Ingress's route annotations (every problem reported, whether or not the
/// Ingress gives routes).
pub(crate) fn overrides(cx: &mut Cx<'_>, ing: &Obj) -> Overrides {
    let field = |name: &str| annotations::field(&format!("{PREFIX}{name}"));
    let problems = &mut cx.problems;
    let mut value = Map::new();
    for (name, key) in [
        ("strip-path", "strip_path"),
        ("preserve-host", "preserve_host"),
        ("request-buffering", "request_buffering"),
        ("response-buffering", "response_buffering"),
    ] {
        if let Some(b) = annotations::boolean(ing, name, problems) {
            value.insert(key.into(), json!(b));
        }
    }
    if let Some(list) = annotations::get(ing, "protocols") {
        let protocols = annotations::comma_list(list);
        match protocols.iter().find(|p| !PROTOCOLS.contains(&p.as_str())) {
            Some(bad) => problems.push(ing.problem(
                field("protocols"),
                format!(
                    "invalid protocol {bad:?}: expected some of {}",
                    PROTOCOLS.join(", ")
                ),
            )),
            None if !protocols.is_empty() => {
                value.insert("protocols".into(), json!(protocols));
            }
            None => {}
        }
    }
    let force_ssl = ing
        .annotations
        .get("ingress.kubernetes.io/force-ssl-redirect")
        .is_some_and(|v| v == "true");
    if let Some(code) = annotations::integer(ing, "https-redirect-status-code", (0, 999), problems)
    {
        if matches!(code, 426 | 301 | 302 | 307 | 308) {
            value.insert("https_redirect_status_code".into(), json!(code));
        } else {
            problems.push(ing.problem(
                field("https-redirect-status-code"),
                format!("{code} is not one of 426, 301, 302, 307, 308"),
            ));
        }
    }
    if let Some(n) = annotations::integer(
        ing,
        "regex-priority",
        (i64::from(i32::MIN), i64::from(i32::MAX)),
        problems,
    ) {
        value.insert("regex_priority".into(), json!(n));
    }
    if let Some(list) = annotations::get(ing, "methods") {
        let methods: Vec<String> = annotations::comma_list(list)
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        match methods
            .iter()
            .find(|m| !m.bytes().all(|b| b.is_ascii_uppercase()))
        {
            Some(bad) => problems.push(ing.problem(
                field("methods"),
                format!("invalid method {bad:?}: letters only"),
            )),
            None if !methods.is_empty() => {
                value.insert("methods".into(), json!(methods));
            }
            None => {}
        }
    }
    if let Some(list) = annotations::get(ing, "snis") {
        let snis = annotations::comma_list(list);
        match snis.iter().find(|s| !valid_sni(s)) {
            Some(bad) => problems
                .push(ing.problem(field("snis"), format!("invalid SNI {bad:?}: a host name"))),
            // An empty value sets no SNI criteria, as Kong's controller reads it.
            None => {
                value.insert("snis".into(), json!(snis));
            }
        }
    }
    let aliases = annotations::get(ing, "host-aliases")
        .map(annotations::comma_list)
        .unwrap_or_default();
    if let Some(handling) = annotations::get(ing, "path-handling") {
        value.insert("path_handling".into(), json!(handling));
    }
    let separator = annotations::get(ing, "headers-separator").unwrap_or(",");
    let mut headers = Map::new();
    for (key, v) in &ing.annotations {
        if let Some(header) = key.strip_prefix("konghq.com/headers.") {
            let values: Vec<Value> = v.split(separator).map(|s| json!(s.trim())).collect();
            if !header.is_empty() && !v.is_empty() {
                headers.insert(header.to_owned(), Value::Array(values));
            }
        }
    }
    if !headers.is_empty() {
        value.insert("headers".into(), Value::Object(headers));
    }
    Overrides {
        fields: value,
        aliases,
        force_ssl,
    }
}

/// Kong's controller's rule: gRPC and HTTP protocols mixed become `http, https`; a gRPC
/// route takes no `strip_path`.
fn normalize_protocols(value: &mut Map<String, Value>) {
    let Some(protocols) = value.get("protocols").and_then(Value::as_array) else {
        return;
    };
    let grpc = protocols
        .iter()
        .any(|p| p.as_str().is_some_and(|p| p.contains("grpc")));
    let http = protocols
        .iter()
        .any(|p| p.as_str().is_some_and(|p| p.contains("http")));
    if grpc && http {
        value.insert("protocols".into(), json!(["http", "https"]));
    } else if grpc {
        value.remove("strip_path");
    }
}

/// A host name as Kong's controller accepts an SNI: labels of letters and digits joined by
/// single hyphens, separated by dots.
fn valid_sni(sni: &str) -> bool {
    !sni.is_empty()
        && sni.split('.').all(|label| {
            !label.is_empty()
                && label
                    .split('-')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snis() {
        assert!(valid_sni("api.example.com"));
        assert!(valid_sni("a-b.c"));
        assert!(!valid_sni("*.example.com"));
        assert!(!valid_sni("a--b.c"));
        assert!(!valid_sni("a..b"));
    }
}
