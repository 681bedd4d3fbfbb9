//! Any input gives a translation or errors, never a panic, and the same input the same
//! outcome.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_kong_config::Loader;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const KEYS: &[&str] = &[
    "spec",
    "rules",
    "http",
    "paths",
    "path",
    "pathType",
    "backend",
    "service",
    "name",
    "port",
    "number",
    "host",
    "tls",
    "hosts",
    "secretName",
    "defaultBackend",
    "ports",
    "targetPort",
    "type",
    "externalName",
    "endpoints",
    "addresses",
    "conditions",
    "ready",
    "subsets",
    "ip",
    "data",
    "stringData",
    "plugin",
    "config",
    "configFrom",
    "secretKeyRef",
    "key",
    "username",
    "custom_id",
    "credentials",
    "disabled",
    "protocols",
    "instance_name",
    "ca_certificates",
    "items",
    "ingressClassName",
    "id",
    "cert",
    "subject_name",
    "group",
];

const STRINGS: &[&str] = &[
    "",
    "/",
    "/a",
    "//x//",
    "/~/r\\d+",
    "Prefix",
    "Exact",
    "ImplementationSpecific",
    "Bogus",
    "s",
    "echo",
    "kong",
    "nginx",
    "mtls-auth",
    "acl",
    "true",
    "false",
    "80",
    "http",
    "https",
    "grpc",
    "*.example.com",
    "a.example.com",
    "10.0.0.1",
    "::1",
    "ExternalName",
    "3f2a1c5e-8b7d-4e6f-9a0b-1c2d3e4f5a60",
    "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
    "YWxsb3c6IFtvcHNdCg==",
    "!!",
    "konghq.com/plugins",
];

const KINDS: &[(&str, &str)] = &[
    ("networking.k8s.io/v1", "Ingress"),
    ("v1", "Service"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("v1", "Endpoints"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("configuration.konghq.com/v1", "KongPlugin"),
    ("configuration.konghq.com/v1", "KongClusterPlugin"),
    ("configuration.konghq.com/v1", "KongConsumer"),
    ("apps/v1", "Deployment"),
    ("v1", "List"),
    ("example.com/v1", "Widget"),
];

const ANNOTATIONS: &[&str] = &[
    "konghq.com/plugins",
    "konghq.com/strip-path",
    "konghq.com/protocols",
    "konghq.com/snis",
    "konghq.com/methods",
    "konghq.com/preserve-host",
    "konghq.com/https-redirect-status-code",
    "konghq.com/protocol",
    "konghq.com/path",
    "konghq.com/client-cert",
    "konghq.com/unknown",
    "kubernetes.io/ingress.class",
    "konghq.com/headers.x",
    "konghq.com/host-aliases",
];

const LABELS: &[&str] = &[
    "konghq.com/ca-cert",
    "konghq.com/credential",
    "kubernetes.io/service-name",
    "global",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..70000).prop_map(|n| json!(n)),
        proptest::sample::select(STRINGS).prop_map(|s| json!(s)),
        "[a-z/.*~-]{0,12}".prop_map(Value::String),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                |pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            ),
        ]
    })
}

fn string_map(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    proptest::collection::vec(
        (
            proptest::sample::select(keys),
            proptest::sample::select(STRINGS),
        ),
        0..3,
    )
    .prop_map(|pairs| {
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), json!(v)))
                .collect(),
        )
    })
}

fn object() -> impl Strategy<Value = Value> {
    (
        proptest::sample::select(KINDS),
        proptest::sample::select(&["s", "echo", "mtls-auth", "acl", "c"][..]),
        proptest::option::of(proptest::sample::select(&["default", "other"][..])),
        string_map(ANNOTATIONS),
        string_map(LABELS),
        tree(),
    )
        .prop_map(|((api, kind), name, ns, annotations, labels, body)| {
            let mut obj = match body {
                Value::Object(m) => m,
                other => {
                    let mut m = Map::new();
                    m.insert("spec".into(), other);
                    m
                }
            };
            let mut meta = json!({ "name": name, "annotations": annotations, "labels": labels });
            if let Some(ns) = ns {
                meta["namespace"] = json!(ns);
            }
            obj.insert("apiVersion".into(), json!(api));
            obj.insert("kind".into(), json!(kind));
            obj.insert("metadata".into(), meta);
            Value::Object(obj)
        })
}

fn outcome(text: &str) -> Result<Value, String> {
    mtls_kubernetes::translate_str(text)
        .map(|t| t.into_document())
        .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_ok_or_err(text in "\\PC{0,300}") {
        let _ = outcome(&text);
        let _ = mtls_kubernetes::is_manifests(&text);
    }

    #[test]
    fn yaml_like_text_is_ok_or_err(text in "(apiVersion: v1\n|kind: [A-Z][a-z]{1,8}\n|---\n|\\.\\.\\.\n|[a-z]{1,3}: |[*&!][a-z]{0,2} ?|[{}\\[\\],] ?|- |\n  |'|\"|#|\\|\n|>\n|%YAML 1.2\n){0,40}") {
        prop_assert_eq!(outcome(&text), outcome(&text));
        let _ = mtls_kubernetes::is_manifests(&text);
    }

    #[test]
    fn any_objects_are_ok_or_err_and_deterministic(objects in proptest::collection::vec(object(), 1..6)) {
        let text = objects
            .iter()
            .map(|o| serde_norway::to_string(o).unwrap())
            .collect::<Vec<_>>()
            .join("---\n");
        let first = outcome(&text);
        prop_assert_eq!(&first, &outcome(&text));
        if let Ok(t) = mtls_kubernetes::translate_str(&text) {
            // The document is always one the loader reads (or refuses), never a panic.
            let _ = t.load(&Loader::new());
            let _ = t.to_kong_yaml();
        }
    }
}
