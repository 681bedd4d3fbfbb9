//! Test PKI (made with rcgen at test time, no key stored in the repository) and helpers.
//! A local helper until the workspace has a shared test PKI crate.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A CA: its PEM and its issuer.
pub struct TestCa {
    pub pem: String,
    pub issuer: Issuer<'static, KeyPair>,
}

/// A self-signed CA named `cn`.
pub fn ca(cn: &str) -> TestCa {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, cn);
    let pem = params.self_signed(&key).unwrap().pem();
    TestCa {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A CA that expired in 2001.
pub fn expired_ca() -> String {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    params.self_signed(&key).unwrap().pem()
}

/// A certificate for `names` issued by `ca`, and its key: (cert PEM, key PEM).
pub fn leaf(ca: &TestCa, names: &[&str]) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Base64, as a Secret's `data` holds values.
pub fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

/// `text` as a YAML block scalar body indented by `spaces`.
pub fn block(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The CA id of the tutorial's Secret.
pub const CA_ID: &str = "3f2a1c5e-8b7d-4e6f-9a0b-1c2d3e4f5a60";

/// Tutorial A step 9 in one file: an echo Deployment and its Service (with an EndpointSlice
/// pointing at `upstream`), a KongPlugin mtls-auth naming the CA Secret's id, a KongConsumer
/// named after the client certificate's CN, an Ingress annotated with the plugin, and the
/// CA Secret labelled konghq.com/ca-cert.
pub fn tutorial(ca_pem: &str, upstream: &str, upstream_port: u16) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
spec:
  replicas: 1
  selector:
    matchLabels: {{app: echo}}
  template:
    metadata:
      labels: {{app: echo}}
    spec:
      containers:
        - name: echo
          image: kennethreitz/httpbin
          ports: [{{containerPort: 80}}]
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  labels: {{app: echo}}
spec:
  selector: {{app: echo}}
  ports:
    - name: http
      port: 80
      targetPort: 80
      protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-abc12
  labels:
    kubernetes.io/service-name: echo
addressType: IPv4
ports:
  - name: http
    port: {upstream_port}
    protocol: TCP
endpoints:
  - addresses: ["{upstream}"]
    conditions: {{ready: true}}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata:
  name: mtls-auth
plugin: mtls-auth
config:
  ca_certificates:
    - {CA_ID}
  skip_consumer_lookup: false
---
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata:
  name: alice
  annotations:
    kubernetes.io/ingress.class: kong
username: alice@example.com
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: echo
  annotations:
    konghq.com/plugins: mtls-auth
    konghq.com/strip-path: "true"
spec:
  ingressClassName: kong
  rules:
    - http:
        paths:
          - path: /mtls
            pathType: Prefix
            backend:
              service:
                name: echo
                port:
                  number: 80
---
apiVersion: v1
kind: Secret
metadata:
  name: my-ca-cert
  labels:
    konghq.com/ca-cert: "true"
  annotations:
    kubernetes.io/ingress.class: kong
type: Opaque
stringData:
  id: {CA_ID}
  cert: |
{pem}
"#,
        pem = block(ca_pem, 4)
    )
}
