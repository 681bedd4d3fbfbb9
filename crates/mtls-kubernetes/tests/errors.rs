//! Bad input: each problem names its object and field, every problem is reported at once,
//! and the loader's errors name the object an entity came from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use mtls_kong_config::Loader;
use mtls_kubernetes::{Error, Problems, translate_str};
use support::*;

fn problems(input: &str) -> Problems {
    match translate_str(input) {
        Err(Error::Translate(p)) => p,
        Err(other) => panic!("not a translation error: {other}"),
        Ok(t) => panic!("translated:\n{}", t.to_kong_yaml()),
    }
}

/// Asserts that `problems` holds exactly these (object, field, message fragment).
fn assert_problems(problems: &Problems, expected: &[(&str, &str, &str)]) {
    for (object, field, fragment) in expected {
        assert!(
            problems
                .about(object)
                .any(|p| p.field == *field && p.message.contains(fragment)),
            "missing {object} {field}: {fragment}\nall:\n{problems}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "all:\n{problems}");
}

const INGRESS: &str = r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations: {konghq.com/plugins: "PLUGINS"}
spec:
  rules:
    - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}
"#;

#[test]
fn unknown_api_versions_and_kinds() {
    let p = problems(
        r#"apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old}
---
apiVersion: configuration.konghq.com/v1beta1
kind: KongPlugin
metadata: {name: beta}
plugin: acl
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
---
apiVersion: configuration.konghq.com/v1
kind: KongIngress
metadata: {name: ki}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
"#,
    );
    assert_problems(
        &p,
        &[
            (
                "Ingress default/old",
                "apiVersion",
                "expected \"networking.k8s.io/v1\"",
            ),
            (
                "KongPlugin default/beta",
                "apiVersion",
                "expected \"configuration.konghq.com/v1\"",
            ),
            (
                "Widget shop/w",
                "apiVersion",
                "unknown apiVersion \"example.com/v1\"",
            ),
            ("KongIngress default/ki", "kind", "not translated"),
            ("HTTPRoute default/r", "kind", "Gateway API"),
        ],
    );
    // Each names its document.
    let widget = p.about("Widget shop/w").next().unwrap();
    assert_eq!(widget.document.as_ref().map(|d| d.index), Some(3));
}

#[test]
fn missing_referenced_secrets() {
    let input = format!(
        r#"{ingress}  tls: [{{hosts: [a.example.com], secretName: tls-missing}}]
---
apiVersion: v1
kind: Service
metadata:
  name: s
  annotations: {{konghq.com/protocol: https, konghq.com/client-cert: cert-missing}}
spec: {{ports: [{{port: 80}}]}}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {{name: from-secret}}
plugin: acl
configFrom: {{secretKeyRef: {{name: config-missing, key: k}}}}
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: {{name: c}}
username: c
credentials: [cred-missing]
"#,
        ingress = INGRESS.replace("PLUGINS", "from-secret")
    );
    assert_problems(
        &problems(&input),
        &[
            (
                "Ingress default/web",
                "spec.tls[0].secretName",
                "Secret default/tls-missing is not in the input",
            ),
            (
                "Service default/s",
                "metadata.annotations.konghq.com/client-cert",
                "Secret default/cert-missing",
            ),
            (
                "KongPlugin default/from-secret",
                "configFrom.secretKeyRef.name",
                "Secret default/config-missing",
            ),
            (
                "KongConsumer default/c",
                "credentials[0]",
                "Secret default/cred-missing",
            ),
        ],
    );
}

#[test]
fn duplicate_names() {
    let consumer = "apiVersion: configuration.konghq.com/v1\nkind: KongConsumer\nmetadata: {name: c}\nusername: c\n";
    let p = problems(&format!("{consumer}---\n{consumer}"));
    assert_problems(
        &p,
        &[(
            "KongConsumer default/c",
            "metadata.name",
            "duplicate name: KongConsumer default/c is also defined in <input> document 1 (line 1)",
        )],
    );
    // Same name in other namespaces, or of another kind, is fine.
    let other = consumer.replace("{name: c}", "{name: c, namespace: other}");
    assert!(translate_str(&format!("{consumer}---\n{other}")).is_ok());
}

#[test]
fn annotation_naming_an_absent_plugin() {
    let input = INGRESS.replace("PLUGINS", "mtls-auth, nope");
    assert_problems(
        &problems(&input),
        &[
            (
                "Ingress default/web",
                "metadata.annotations.konghq.com/plugins",
                "no KongPlugin \"mtls-auth\" in namespace default",
            ),
            (
                "Ingress default/web",
                "metadata.annotations.konghq.com/plugins",
                "no KongPlugin \"nope\"",
            ),
        ],
    );
    // A KongPlugin in another namespace is not found either.
    let plugin = "---\napiVersion: configuration.konghq.com/v1\nkind: KongPlugin\nmetadata: {name: acl, namespace: other}\nplugin: acl\nconfig: {allow: [a]}\n";
    let p = problems(&format!("{}{plugin}", INGRESS.replace("PLUGINS", "acl")));
    assert_eq!(p.len(), 1, "{p}");
    let p = problems(&INGRESS.replace("PLUGINS", "other:acl"));
    assert!(p.problems()[0].message.contains("another namespace"), "{p}");
}

#[test]
fn values_that_do_not_read() {
    let input = r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    konghq.com/strip-path: "yes"
    konghq.com/protocols: "http,ftp"
    konghq.com/https-redirect-status-code: "303"
    konghq.com/methods: "GET,P0ST"
    konghq.com/snis: "*.example.com"
    konghq.com/override: some-kongingress
spec:
  rules:
    - http:
        paths:
          - {path: /, pathType: Regex, backend: {service: {name: s, port: {number: 80}}}}
          - {path: /r, pathType: Prefix, backend: {resource: {kind: Bucket, name: b}}}
  extra: 1
---
apiVersion: v1
kind: Service
metadata:
  name: s
  annotations: {konghq.com/protocol: ftp, konghq.com/path: api, konghq.com/retries: "-1"}
spec: {ports: [{port: 80}]}
"#;
    let ann = |name: &str| format!("metadata.annotations.konghq.com/{name}");
    let p = problems(input);
    let ing = "Ingress default/web";
    let svc = "Service default/s";
    let strip = ann("strip-path");
    let protocols = ann("protocols");
    let code = ann("https-redirect-status-code");
    let methods = ann("methods");
    let snis = ann("snis");
    let over = ann("override");
    let sproto = ann("protocol");
    let spath = ann("path");
    let retries = ann("retries");
    assert_problems(
        &p,
        &[
            (ing, &strip, "expected \"true\" or \"false\""),
            (ing, &protocols, "invalid protocol \"ftp\""),
            (ing, &code, "303 is not one of"),
            (ing, &methods, "invalid method \"P0ST\""),
            (ing, &snis, "invalid SNI"),
            (ing, &over, "annotation not supported"),
            (
                ing,
                "spec.rules[0].http.paths[0].pathType",
                "unknown pathType \"Regex\"",
            ),
            (
                ing,
                "spec.rules[0].http.paths[1].backend.resource",
                "not supported",
            ),
            (ing, "spec.extra", "unknown field"),
            (svc, &sproto, "invalid protocol \"ftp\""),
            (svc, &spath, "must start with /"),
            (svc, &retries, "expected an integer from 0 to 32767"),
        ],
    );
}

#[test]
fn documents_that_are_not_objects() {
    let p = problems(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: ok}\n---\n- a list\n---\nkind: Secret\nmetadata: {}\n---\n[unclosed\n",
    );
    let text = p.to_string();
    assert!(
        text.contains("<input> document 2 (line 4): expected a Kubernetes object"),
        "{text}"
    );
    assert!(
        text.contains("<input> document 3 (line 6): apiVersion: required field missing"),
        "{text}"
    );
    assert!(
        text.contains("<input> document 3 (line 6): metadata.name: required"),
        "{text}"
    );
    assert!(
        text.contains("<input> document 4 (line 9): not valid YAML"),
        "{text}"
    );
    // A kong.yaml among manifests.
    let p = problems("_format_version: \"3.0\"\nservices: []\n");
    assert!(p.to_string().contains("a Kong declarative file"), "{p}");
    // A label that is not a string.
    let p = problems(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {konghq.com/ca-cert: true}}\n",
    );
    assert!(
        p.to_string()
            .contains("metadata.labels.konghq.com/ca-cert: expected a string"),
        "{p}"
    );
    // Too deep, refused before parsing.
    let deep = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData: {}{}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(
        problems(&deep)
            .to_string()
            .contains("refused before parsing")
    );
}

#[test]
fn credentials_and_ca_secrets() {
    let input = r#"apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata: {name: c}
credentials: [no-label, other-type, mtls-bad]
consumerGroups: [gold]
---
apiVersion: v1
kind: Secret
metadata: {name: no-label}
stringData: {subject_name: x}
---
apiVersion: v1
kind: Secret
metadata: {name: other-type, labels: {konghq.com/credential: ldap}}
stringData: {user: x}
---
apiVersion: v1
kind: Secret
metadata: {name: mtls-bad, labels: {konghq.com/credential: mtls-auth}}
stringData: {subjectname: x}
---
apiVersion: v1
kind: Secret
metadata: {name: ca-empty, labels: {konghq.com/ca-cert: "true"}}
stringData: {id: 1b5c54bc-7dd3-4ac5-9a60-3d2e5f6b7a01}
---
apiVersion: v1
kind: Secret
metadata: {name: ca-two, labels: {konghq.com/ca-cert: "true"}}
stringData:
  cert: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
---
apiVersion: v1
kind: Secret
metadata: {name: bad-base64, labels: {konghq.com/ca-cert: "true"}}
data: {cert: "!!!"}
"#;
    let label = "metadata.labels.konghq.com/credential";
    assert_problems(
        &problems(input),
        &[
            (
                "KongConsumer default/c",
                "username",
                "needs username or custom_id",
            ),
            ("KongConsumer default/c", "consumerGroups", "not supported"),
            ("Secret default/no-label", label, "needs this label"),
            (
                "Secret default/other-type",
                label,
                "unknown credential type \"ldap\"",
            ),
            (
                "Secret default/mtls-bad",
                "data.subjectname",
                "unknown field for a mtls-auth credential",
            ),
            ("Secret default/mtls-bad", "data.subject_name", "required"),
            ("Secret default/ca-empty", "data", "under \"cert\""),
            (
                "Secret default/ca-two",
                "data.cert",
                "exactly one PEM CERTIFICATE block, found 2",
            ),
            ("Secret default/bad-base64", "data.cert", "not valid base64"),
        ],
    );
}

#[test]
fn duplicate_ca_ids_and_conflicting_tls_hosts() {
    let root = ca("Root");
    let other = ca("Other");
    let (cert_a, key_a) = leaf(&root, &["a.example.com"]);
    let (cert_b, key_b) = leaf(&root, &["a.example.com"]);
    let ca_secret = |name: &str, pem: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, labels: {{konghq.com/ca-cert: \"true\"}}}}\ndata: {{id: {}, cert: {}}}\n",
            b64(CA_ID),
            b64(pem)
        )
    };
    let tls_secret = |name: &str, cert: &str, key: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}}}\ntype: kubernetes.io/tls\ndata: {{tls.crt: {}, tls.key: {}}}\n",
            b64(cert),
            b64(key)
        )
    };
    let input = [
        ca_secret("ca-1", &root.pem),
        ca_secret("ca-2", &other.pem),
        tls_secret("tls-a", &cert_a, &key_a),
        tls_secret("tls-b", &cert_b, &key_b),
        INGRESS.replace("  annotations: {konghq.com/plugins: \"PLUGINS\"}\n", "")
            + "  tls:\n    - {hosts: [a.example.com], secretName: tls-a}\n    - {hosts: [a.example.com], secretName: tls-b}\n",
    ]
    .join("---\n");
    assert_problems(
        &problems(&input),
        &[
            (
                "Secret default/ca-2",
                "data.id",
                "duplicate CA certificate id",
            ),
            (
                "Ingress default/web",
                "spec.tls[1].secretName",
                "already served with the certificate of Secret default/tls-a",
            ),
        ],
    );
}

#[test]
fn plugin_definitions() {
    let input = format!(
        "{}---\n{}",
        INGRESS.replace("PLUGINS", "both, neither, patched"),
        r#"apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: both}
plugin: acl
config: {allow: [a]}
configFrom: {secretKeyRef: {name: x, key: y}}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: neither}
config: {}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: patched}
plugin: acl
configPatches: [{path: /allow, valueFrom: {secretKeyRef: {name: x, key: y}}}]
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: global-attempt, labels: {global: "true"}}
plugin: acl
"#
    );
    assert_problems(
        &problems(&input),
        &[
            ("KongPlugin default/both", "configFrom", "both set"),
            ("KongPlugin default/neither", "plugin", "required"),
            (
                "KongPlugin default/patched",
                "configPatches",
                "not supported",
            ),
            (
                "KongPlugin default/global-attempt",
                "metadata.labels.global",
                "use a KongClusterPlugin",
            ),
        ],
    );
}

#[test]
fn endpoints_without_a_ready_address() {
    let input = format!(
        "{}---\n{}",
        INGRESS.replace("  annotations: {konghq.com/plugins: \"PLUGINS\"}\n", ""),
        r#"apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-1, labels: {kubernetes.io/service-name: s}}
addressType: IPv4
ports: [{name: other, port: 8080}]
endpoints: [{addresses: [10.0.0.1]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: orphan}
endpoints: []
"#
    );
    assert_problems(
        &problems(&input),
        &[
            ("Service default/s", "", "no ready address for port http"),
            (
                "EndpointSlice default/orphan",
                "metadata.labels.kubernetes.io/service-name",
                "required",
            ),
        ],
    );
    // A port the Service does not have, and a named port of a Service not in the input.
    let p = problems(
        &INGRESS
            .replace("  annotations: {konghq.com/plugins: \"PLUGINS\"}\n", "")
            .replace("{number: 80}", "{name: web}"),
    );
    assert!(
        p.to_string()
            .contains("Service default/s is not in the input: a port by name"),
        "{p}"
    );
}

#[test]
fn loader_errors_name_the_object() {
    let root = ca("Tutorial Root");
    let tutorial = tutorial(&root.pem, "127.0.0.1", 18080);

    // An expired CA: the loader refuses it, and the problem names the Secret.
    let expired = tutorial.replace(&block(&root.pem, 4), &block(&expired_ca(), 4));
    let err = translate_str(&expired)
        .unwrap()
        .load(&Loader::new())
        .unwrap_err();
    let Error::Load(p) = &err else {
        panic!("{err}")
    };
    assert!(
        p.about("Secret default/my-ca-cert")
            .any(|p| p.field.starts_with("ca_certificates[0]")),
        "{err}"
    );

    // A CA id no Secret has: the KongPlugin.
    let unknown = tutorial.replace(
        &format!("    - {CA_ID}\n  skip"),
        "    - 00000000-0000-4000-8000-000000000001\n  skip",
    );
    let err = translate_str(&unknown)
        .unwrap()
        .load(&Loader::new())
        .unwrap_err();
    let Error::Load(p) = &err else {
        panic!("{err}")
    };
    assert!(
        p.about("KongPlugin default/mtls-auth")
            .any(|p| p.message.contains("no ca_certificate with id")),
        "{err}"
    );

    // mtls-auth asked for by a consumer: Kong's schema refuses a consumer scope.
    let on_consumer = tutorial.replace(
        "  annotations:\n    kubernetes.io/ingress.class: kong\nusername",
        "  annotations:\n    kubernetes.io/ingress.class: kong\n    konghq.com/plugins: mtls-auth\nusername",
    );
    let err = translate_str(&on_consumer)
        .unwrap()
        .load(&Loader::new())
        .unwrap_err();
    let Error::Load(p) = &err else {
        panic!("{err}")
    };
    assert!(
        p.problems()
            .iter()
            .any(|p| p.message.contains("cannot be configured on a consumer")
                && p.object.as_ref().is_some_and(|o| o.kind == "KongPlugin")),
        "{err}"
    );
}

#[test]
fn misspelt_fields_inside_an_ingress() {
    let input = r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - hots: a.example.com
      http:
        paths:
          - path: /
            pathtype: Prefix
            backend: {service: {name: s, port: {numbr: 80}}}
          - path: /b
            backend: {service: {name: s, port: {name: ""}}}
  tls:
    - {hosts: [a.example.com], secret: tls}
"#;
    let path = "spec.rules[0].http.paths";
    assert_problems(
        &problems(input),
        &[
            ("Ingress default/web", "spec.rules[0].hots", "unknown field"),
            (
                "Ingress default/web",
                &format!("{path}[0].pathtype"),
                "unknown field",
            ),
            (
                "Ingress default/web",
                &format!("{path}[0].backend.service.port.numbr"),
                "unknown field",
            ),
            (
                "Ingress default/web",
                &format!("{path}[1].backend.service.port.name"),
                "expected a port name",
            ),
            ("Ingress default/web", "spec.tls[0].secret", "unknown field"),
        ],
    );
}
