//! Every validation error, each with its path, all reported at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod config_support;

use config_support::*;
use mtls_kong_config::{ConfigErrors, LoadError, load_str};

fn errors(yaml: &str) -> ConfigErrors {
    match load_str(yaml) {
        Err(LoadError::Invalid(errors)) => errors,
        Err(other) => panic!("not a validation error: {other}"),
        Ok(_) => panic!("loaded"),
    }
}

/// Asserts that `errors` holds exactly these (path, message fragment) pairs, in any order.
fn assert_errors(errors: &ConfigErrors, expected: &[(&str, &str)]) {
    for (path, fragment) in expected {
        assert!(
            errors.at(path).any(|e| e.message().contains(fragment)),
            "missing {path}: {fragment}\nall errors:\n{errors}"
        );
    }
    assert_eq!(errors.len(), expected.len(), "all errors:\n{errors}");
}

#[test]
fn entity_errors_all_at_once_with_paths() {
    let root = ca("Root");
    let other = ca("Other");
    let (cert, _) = server_cert(&root, &["api.example.com"]);
    let yaml = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - cert: |
{expired}
  - cert: |
{leaf}
  - cert: |
{two}
  - id: {CA_ID}
    cert: |
{ca_pem}
    cert_digest: "00"
  - id: {CA_ID}
    cert: |
{ca_pem}
certificates:
  - cert: |
{cert}
    key: |
{other_key}
    snis: [api.example.com, "a.*.example.com"]
snis:
  - name: api.example.com
    certificate: nowhere
services:
  - name: svc
    url: https://backend.internal
    tls_verify_depth: 65
    routes:
      - name: r1
        protocols: [https]
        snis: [api.example.com]
      - name: r2
        protocols: [http]
        snis: ["*.example.com", "a.*.example.com"]
        service: svc
  - name: svc
    host: "not a host"
    client_certificate: 11111111-1111-4111-8111-111111111111
  - name: plain
    url: http://backend.internal
    tls_verify: true
    ca_certificates: [{CA2_ID}]
routes:
  - name: r3
    service: missing
    hosts: [a.*.com]
    paths: [relative]
    methods: [get]
    protocols: [https, smtp]
  - name: r4
    protocols: [http]
consumers:
  - username: alice
    mtls_auth_credentials:
      - subject_name: alice
        ca_certificate: {CA2_ID}
      - subject_name: ""
  - username: alice
  - tags: [nobody]
mtls_auth_credentials:
  - subject_name: orphan
  - subject_name: bob
    consumer: bob
acls:
  - consumer: alice
    group: ""
"#,
        expired = block(&expired_ca(), 6),
        leaf = block(&not_a_ca(), 6),
        two = block(&format!("{}{}", root.pem, other.pem), 6),
        ca_pem = block(&root.pem, 6),
        cert = block(&cert, 6),
        other_key = block(&other_key(), 6),
    );
    let errors = errors(&yaml);
    assert_errors(
        &errors,
        &[
            (
                "ca_certificates[0].cert",
                "certificate expired, \"Not After\" time is in the past",
            ),
            (
                "ca_certificates[1].cert",
                "certificate does not appear to be a CA because it is missing the \"CA\" basic constraint",
            ),
            (
                "ca_certificates[2].cert",
                "please submit only one certificate at a time",
            ),
            (
                "ca_certificates[3].cert_digest",
                "does not match the certificate",
            ),
            ("ca_certificates[4].id", "duplicate id"),
            ("ca_certificates[4].cert", "UNIQUE violation"),
            ("certificates[0].key", "certificate does not match key"),
            (
                "certificates[0].snis[1].name",
                "wildcard must be leftmost or rightmost character",
            ),
            ("snis[0].name", "duplicate name \"api.example.com\""),
            (
                "snis[0].certificate",
                "no certificate with id or name \"nowhere\"",
            ),
            (
                "services[0].tls_verify_depth",
                "value should be between 0 and 64",
            ),
            (
                "services[0].routes[1].service",
                "must not be set in a nested entity",
            ),
            (
                "services[0].routes[1].snis[1]",
                "wildcard must be leftmost or rightmost character",
            ),
            (
                "services[0].routes[1].snis",
                "'snis' can only be set when 'protocols' is",
            ),
            ("services[1].name", "duplicate name \"svc\""),
            ("services[1].host", "invalid hostname"),
            (
                "services[1].client_certificate",
                "no certificate with id or name 11111111-1111-4111-8111-111111111111",
            ),
            (
                "services[2].tls_verify",
                "value must be null when 'protocol' is 'http'",
            ),
            (
                "services[2].ca_certificates",
                "value must be null when 'protocol' is 'http'",
            ),
            (
                "services[2].ca_certificates[0]",
                "no ca_certificate with id",
            ),
            (
                "routes[0].service",
                "no service with id or name \"missing\"",
            ),
            ("routes[0].hosts[0]", "invalid wildcard"),
            (
                "routes[0].paths[0]",
                "should start with: / (fixed path) or ~/ (regex path)",
            ),
            ("routes[0].methods[0]", "invalid value: get"),
            (
                "routes[0].protocols[1]",
                "expected one of: grpc, grpcs, http",
            ),
            (
                "routes[1]",
                "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis'",
            ),
            (
                "consumers[0].mtls_auth_credentials[0].ca_certificate",
                "no ca_certificate with id or name",
            ),
            (
                "consumers[0].mtls_auth_credentials[1].subject_name",
                "required field missing",
            ),
            ("consumers[1].username", "same username \"alice\""),
            ("consumers[2]", "has neither a username nor a custom_id"),
            (
                "mtls_auth_credentials[0].consumer",
                "required field missing",
            ),
            (
                "mtls_auth_credentials[1].consumer",
                "no consumer with id or name \"bob\"",
            ),
            ("acls[0].group", "required field missing"),
        ],
    );
    // One per line.
    assert_eq!(errors.to_string().lines().count(), errors.len());
}

#[test]
fn plugin_errors_all_at_once_with_paths() {
    let ca = ca("Root");
    let yaml = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca_pem}
services:
  - name: svc
    url: https://backend.internal
    plugins:
      - name: mtls-auth
        config:
          ca_certificates: [{CA2_ID}, not-a-uuid]
          consumer_by: [username, email]
          authenticated_group_by: OU
          revocation_check_mode: LAX
          http_proxy_host: proxy.internal
          https_proxy_port: 70000
          cache_ttl: -1
          send_ca_dn: "yes"
          bogus: 1
      - name: acl
        config:
          allow: [a]
          deny: [b]
consumers:
  - username: alice
    plugins:
      - name: acl
        config:
          allow: [a]
plugins:
  - name: mtls-auth
    config: {{}}
  - name: header-cert-auth
    consumer: alice
    config:
      ca_certificates: [{CA_ID}]
      certificate_header_name: "bad header"
      certificate_header_format: pem
      trusted_ips: [10.0.0.0/8, not-an-ip]
  - name: header-cert-auth
    service: svc
    config:
      ca_certificates: [{CA_ID}]
      certificate_header_name: X-Cert
      certificate_header_format: xfcc
      secure_source: false
  - name: header-cert-auth
    service: svc
    config:
      ca_certificates: [{CA_ID}]
      certificate_header_name: X-Cert
      certificate_header_format: base64_encoded
  - name: acl
    route: nowhere
    config:
      allow: []
  - name: tls-handshake-modifier
    config:
      tls_client_certificate: REQUIRE
  - name: tls-metadata-headers
    config:
      client_cert_header_name: "X Client"
  - name: acl
"#,
        ca_pem = block(&ca.pem, 6),
    );
    let errors = errors(&yaml);
    let p = "services[0].plugins[0].config";
    assert_errors(
        &errors,
        &[
            (&format!("{p}.ca_certificates[1]"), "expected a valid UUID"),
            (
                &format!("{p}.consumer_by[1]"),
                "expected one of: username, custom_id",
            ),
            (
                &format!("{p}.authenticated_group_by"),
                "expected one of: CN, DN",
            ),
            (
                &format!("{p}.revocation_check_mode"),
                "expected one of: SKIP, IGNORE_CA_ERROR, STRICT",
            ),
            (
                &format!("{p}.https_proxy_port"),
                "value should be between 0 and 65535",
            ),
            (&format!("{p}.send_ca_dn"), "expected a boolean"),
            (&format!("{p}.bogus"), "unknown field"),
            (&format!("{p}.cache_ttl"), "must be a non-negative number"),
            (
                &format!("{p}.http_proxy_port"),
                "all or none of these fields must be set: 'config.http_proxy_host', 'config.http_proxy_port'",
            ),
            (
                "services[0].plugins[1].config",
                "exactly one of allow and deny, both are set",
            ),
            (
                "consumers[0].plugins[0]",
                "acl cannot be configured on a consumer",
            ),
            (
                "plugins[0].config.ca_certificates",
                "required field missing",
            ),
            (
                "plugins[1].config.certificate_header_format",
                "expected one of: base64_encoded, url_encoded, rfc9440, xfcc, base64_der_list, pem_space_joined",
            ),
            (
                "plugins[1].config.trusted_ips[1]",
                "is not an IP address or CIDR",
            ),
            ("plugins[1].consumer", "value must be null"),
            (
                "plugins[1].config.certificate_header_name",
                "invalid header name \"bad header\"",
            ),
            (
                "plugins[3]",
                "header-cert-auth is already configured with the same scope at plugins[2]",
            ),
            ("plugins[4].route", "no route with id or name \"nowhere\""),
            (
                "plugins[4].config",
                "exactly one of allow and deny, neither is set",
            ),
            (
                "plugins[5].config.tls_client_certificate",
                "expected one of: REQUEST",
            ),
            (
                "plugins[6].config.client_cert_header_name",
                "bad header name",
            ),
            (
                "plugins[7].config",
                "exactly one of allow and deny, neither is set",
            ),
        ],
    );
}

#[test]
fn plugin_consumer_scope_and_header_name_are_checked() {
    let ca = ca("Root");
    let yaml = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca_pem}
plugins:
  - name: header-cert-auth
    consumer: alice
    config:
      ca_certificates: [{CA_ID}]
      certificate_header_name: "bad header"
      certificate_header_format: url_encoded
"#,
        ca_pem = block(&ca.pem, 6),
    );
    assert_errors(
        &errors(&yaml),
        &[
            ("plugins[0].consumer", "value must be null"),
            (
                "plugins[0].config.certificate_header_name",
                "invalid header name",
            ),
        ],
    );
}

#[test]
fn document_level_errors() {
    assert_errors(
        &errors("services: []\n"),
        &[("_format_version", "required field missing")],
    );
    assert_errors(
        &errors("_format_version: \"1.1\"\nservises: []\n"),
        &[
            ("_format_version", "unsupported version \"1.1\""),
            ("servises", "unknown field"),
        ],
    );
    assert_errors(
        &errors(
            "_format_version: \"3.0\"\nservices: {name: x}\nroutes:\n  - 7\n  - name: r\n    paths: /x\n    strip_path: 1\n",
        ),
        &[
            ("services", "expected an array"),
            ("routes[0]", "expected a record"),
            ("routes[1].paths", "expected an array"),
            ("routes[1].strip_path", "expected a boolean"),
            // paths could not be read, so the route has no matching field either.
            ("routes[1]", "must set one of"),
        ],
    );
    assert_errors(
        &errors(
            "_format_version: \"3.0\"\nservices:\n  - name: s\n    id: 42\n    host: h\n    colour: blue\n",
        ),
        &[
            ("services[0].id", "expected a string"),
            ("services[0].colour", "unknown field"),
        ],
    );
    assert!(matches!(
        load_str("_format_version: [unclosed"),
        Err(LoadError::Syntax { format: "YAML", .. })
    ));
    assert!(matches!(
        load_str("{\"_format_version\": }"),
        Err(LoadError::Syntax { format: "JSON", .. })
    ));
    assert!(matches!(
        mtls_kong_config::load_file("/nonexistent/kong.yaml"),
        Err(LoadError::Read { .. })
    ));
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "~",
        "[]",
        "42",
        "_format_version: \"3.0\"\nplugins: [{name: 5}, {}, {name: mtls-auth, config: 3}]",
        "_format_version: \"3.0\"\nconsumers: [{mtls_auth_credentials: 3, acls: [1]}]",
        "_format_version: \"3.0\"\ncertificates: [{cert: x, key: y, snis: [{name: 3}]}]",
        "_format_version: \"3.0\"\nservices: [{url: \"https://[::1\", routes: [{headers: {a: 1}}]}]",
        "_format_version: \"3.0\"\nroutes: [{service: {id: 1}}, {service: {name: x}}, {service: \"\"}]",
    ] {
        let _ = load_str(text);
    }
}
