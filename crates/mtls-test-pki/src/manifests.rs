//! Kubernetes manifests for tests: tutorial A step 9 (an echo Deployment and Service with an
//! EndpointSlice, a KongPlugin mtls-auth naming the CA Secret's id, a KongConsumer, an
//! Ingress annotated with the plugin, the CA Secret labelled `konghq.com/ca-cert`).

use crate::yaml_block as block;

/// The CA id of the tutorial's Secret.
pub const TUTORIAL_CA_ID: &str = "3f2a1c5e-8b7d-4e6f-9a0b-1c2d3e4f5a60";

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
    - {TUTORIAL_CA_ID}
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
  id: {TUTORIAL_CA_ID}
  cert: |
{pem}
"#,
        pem = block(ca_pem, 4)
    )
}
