//! The configuration tests' documents; their certificates come from mtls-test-pki,
//! generated at test time (no key is stored in the repository).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

/// `text` as a YAML block scalar body indented by `spaces`.
pub use mtls_test_pki::yaml_block as block;
use mtls_test_pki::{CertSpec, Node};

/// A CA certificate's PEM, with the CA to sign leaves.
pub struct TestCa {
    pub pem: String,
    pub node: Node,
}

/// A self-signed CA named `cn`.
pub fn ca(cn: &str) -> TestCa {
    let node = CertSpec::ca(cn).self_signed();
    TestCa {
        pem: node.pem(),
        node,
    }
}

/// A CA that expired in 2001.
pub fn expired_ca() -> String {
    mtls_test_pki::expired_ca().pem()
}

/// A leaf (not a CA), self-signed.
pub fn not_a_ca() -> String {
    mtls_test_pki::leaf_as_ca().pem()
}

/// A server certificate for `names` issued by `ca`, with its key: (cert PEM, key PEM).
pub fn server_cert(ca: &TestCa, names: &[&str]) -> (String, String) {
    let leaf = CertSpec::names(names).signed_by(&ca.node);
    (leaf.pem(), leaf.key_pem())
}

/// Another private key's PEM (matches no certificate).
pub fn other_key() -> String {
    mtls_test_pki::unrelated_key_pem()
}

pub const CA_ID: &str = "2b2c9f51-9c1b-4a0e-8f6e-0c3f1e7d9a01";
pub const CA2_ID: &str = "2b2c9f51-9c1b-4a0e-8f6e-0c3f1e7d9a02";
pub const CONSUMER_ID: &str = "5d0c7a6e-7b3e-4a49-9c5e-3f2d9b1e8c01";
pub const SERVICE_ID: &str = "0d4fd3d6-6f3b-4f7e-a4d5-1f2b3c4d5e01";
pub const ROUTE_ID: &str = "0d4fd3d6-6f3b-4f7e-a4d5-1f2b3c4d5e02";

/// Kong's DB-less mTLS example: a CA, a service with a route with snis, mtls-auth on the
/// route with the CA's id, a consumer with mtls_auth_credentials.
pub fn mtls_example(ca_pem: &str) -> String {
    format!(
        r#"_format_version: "3.0"
_transform: true
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca}
services:
  - name: example-service
    url: https://httpbin.konghq.com
    routes:
      - name: example-route
        protocols: [https]
        paths: [/mtls]
        snis: [example.com, "*.example.com"]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
              send_ca_dn: true
consumers:
  - username: kongclient
    id: {CONSUMER_ID}
    mtls_auth_credentials:
      - subject_name: client.example.com
        ca_certificate: {CA_ID}
      - subject_name: other.example.com
"#,
        ca = block(ca_pem, 6)
    )
}

/// Kong's header-cert-auth example (AWS ALB passthrough), global plugin with an acl.
pub fn header_example(ca_pem: &str) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca}
services:
  - name: alb-service
    host: backend.internal
    port: 8080
    routes:
      - name: alb-route
        paths: [/]
plugins:
  - name: header-cert-auth
    config:
      ca_certificates: [{CA_ID}]
      certificate_header_name: X-Amzn-Mtls-Clientcert
      certificate_header_format: url_encoded
      trusted_ips: [10.0.0.0/8]
      skip_consumer_lookup: true
      authenticated_group_by: DN
  - name: acl
    route: alb-route
    config:
      allow: ["CN=partner,O=Example"]
consumers:
  - custom_id: partner-1
    header_cert_auth_credentials:
      - subject_name: partner.example.com
"#,
        ca = block(ca_pem, 6)
    )
}
