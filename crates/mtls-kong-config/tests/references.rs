//! The three forms of foreign keys, nested and top-level entities, JSON and YAML, and the
//! builder all give the same configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod config_support;

use config_support::*;
use mtls_kong_config::{AclConfig, Config, Loader, MtlsAuthConfig, SourceFormat, load_str};
use rustls::pki_types::UnixTime;
use serde_json::json;
use uuid::Uuid;

fn id(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

fn now() -> UnixTime {
    UnixTime::now()
}

/// Top-level routes, credentials, acls and plugins referring to their parents with `form`.
fn top_level(ca_pem: &str, service_ref: &str, route_ref: &str, consumer_ref: &str) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca}
services:
  - name: svc
    id: {SERVICE_ID}
    url: https://backend.internal
routes:
  - name: rt
    id: {ROUTE_ID}
    service: {service_ref}
    protocols: [https]
    snis: [api.example.com]
consumers:
  - username: alice
    id: {CONSUMER_ID}
mtls_auth_credentials:
  - consumer: {consumer_ref}
    subject_name: alice@example.com
    ca_certificate: {{id: {CA_ID}}}
acls:
  - consumer: {consumer_ref}
    group: admins
plugins:
  - name: mtls-auth
    route: {route_ref}
    config:
      ca_certificates: [{CA_ID}]
  - name: acl
    service: {service_ref}
    config:
      allow: [admins]
"#,
        ca = block(ca_pem, 6)
    )
}

#[test]
fn three_foreign_key_forms_resolve_alike() {
    let ca = ca("Root");
    let by_id = top_level(&ca.pem, SERVICE_ID, ROUTE_ID, CONSUMER_ID);
    let by_name = top_level(&ca.pem, "svc", "rt", "alice");
    let by_object = top_level(
        &ca.pem,
        &format!("{{id: {SERVICE_ID}}}"),
        &format!("{{id: {ROUTE_ID}}}"),
        &format!("{{id: {CONSUMER_ID}}}"),
    );
    let (a, _) = load_str(&by_id).unwrap();
    let (b, _) = load_str(&by_name).unwrap();
    let (c, _) = load_str(&by_object).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.routes()[0].service, Some(id(SERVICE_ID)));
    assert_eq!(
        a.mtls_auth_credentials().next().unwrap().consumer,
        id(CONSUMER_ID)
    );
    assert_eq!(
        a.acl_groups_of(id(CONSUMER_ID)).collect::<Vec<_>>(),
        ["admins"]
    );
    assert_eq!(a.plugins_on_route(id(ROUTE_ID)).count(), 1);
    assert_eq!(a.plugins_on_service(id(SERVICE_ID)).count(), 1);
}

#[test]
fn nested_and_top_level_are_equivalent() {
    let ca = ca("Root");
    let top = top_level(&ca.pem, "svc", "rt", "alice");
    let nested = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca}
services:
  - name: svc
    id: {SERVICE_ID}
    url: https://backend.internal
    routes:
      - name: rt
        id: {ROUTE_ID}
        protocols: [https]
        snis: [api.example.com]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
    plugins:
      - name: acl
        config:
          allow: [admins]
consumers:
  - username: alice
    id: {CONSUMER_ID}
    mtls_auth_credentials:
      - subject_name: alice@example.com
        ca_certificate: {CA_ID}
    acls:
      - group: admins
"#,
        ca = block(&ca.pem, 6)
    );
    let (a, _) = load_str(&top).unwrap();
    let (b, _) = load_str(&nested).unwrap();
    // Same entities and same generated ids (from natural keys), whatever the layout.
    assert_eq!(a, b);
}

#[test]
fn json_and_yaml_give_the_same_config() {
    let ca = ca("Root");
    let yaml = mtls_example(&ca.pem);
    let value: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
    let json = serde_json::to_string_pretty(&value).unwrap();
    let (from_yaml, _) = load_str(&yaml).unwrap();
    let (from_json, _) = load_str(&json).unwrap();
    assert_eq!(from_yaml, from_json);
    let loader = Loader::new();
    let (forced, _) = loader.load_as(&json, SourceFormat::Json).unwrap();
    assert_eq!(forced, from_yaml);
    assert_eq!(SourceFormat::sniff(&json), SourceFormat::Json);
    assert_eq!(SourceFormat::sniff(&yaml), SourceFormat::Yaml);

    // Files: the format by extension.
    let dir = std::env::temp_dir().join(format!("mtls-gateway-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json_path, yaml_path) = (dir.join("kong.json"), dir.join("kong.yml"));
    std::fs::write(&json_path, &json).unwrap();
    std::fs::write(&yaml_path, &yaml).unwrap();
    let (file_json, _) = mtls_kong_config::load_file(&json_path).unwrap();
    let (file_yaml, _) = mtls_kong_config::load_file(&yaml_path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(file_json, from_yaml);
    assert_eq!(file_yaml, from_yaml);
}

#[test]
fn generated_ids_are_deterministic() {
    let ca = ca("Root");
    let yaml = mtls_example(&ca.pem);
    let (a, _) = load_str(&yaml).unwrap();
    let (b, _) = load_str(&yaml).unwrap();
    assert_eq!(a.services()[0].id, b.services()[0].id);
    assert_eq!(a.routes()[0].id, b.routes()[0].id);
    assert_eq!(a.plugins()[0].id, b.plugins()[0].id);
    assert_ne!(a.services()[0].id, a.routes()[0].id);
    assert_eq!(a, b);
}

#[test]
fn builder_equals_loader() {
    let ca = ca("Root");
    let (loaded, _) = Loader::new()
        .load_str(&top_level(&ca.pem, "svc", "rt", "alice"))
        .unwrap();
    let built = Config::builder()
        .loader(Loader::new().now(now()))
        .ca_certificate(json!({"id": CA_ID, "cert": ca.pem}))
        .service(json!({"id": SERVICE_ID, "name": "svc", "url": "https://backend.internal"}))
        .route(json!({
            "id": ROUTE_ID,
            "name": "rt",
            "service": "svc",
            "protocols": ["https"],
            "snis": ["api.example.com"],
        }))
        .consumer(json!({"id": CONSUMER_ID, "username": "alice"}))
        .mtls_auth_credential(json!({
            "subject_name": "alice@example.com",
            "ca_certificate": CA_ID,
            "consumer": "alice",
        }))
        .acl(json!({"group": "admins", "consumer": "alice"}))
        .plugin(json!({
            "name": "mtls-auth",
            "route": "rt",
            "config": MtlsAuthConfig::new(vec![id(CA_ID)]),
        }))
        .plugin(json!({
            "name": "acl",
            "service": "svc",
            "config": AclConfig::allow(["admins"]),
        }))
        .build()
        .unwrap();
    assert_eq!(built, loaded);
}

#[test]
fn builder_reports_errors_with_paths() {
    let errors = Config::builder()
        .service(json!({
            "name": "svc",
            "url": "https://backend.internal",
            "routes": [{"name": "r", "snis": ["a.*.example.com"]}],
        }))
        .plugin(json!({"name": "acl", "config": AclConfig::default()}))
        .build()
        .unwrap_err();
    let paths: Vec<_> = errors.errors().iter().map(|e| e.path()).collect();
    assert_eq!(
        paths,
        ["services[0].routes[0].snis[0]", "plugins[0].config"]
    );
}

#[test]
fn records_round_trip_and_report_under_their_paths() {
    let ca = ca("Root");
    let (config, _) = load_str(&mtls_example(&ca.pem)).unwrap();
    // Every entity as a flat record loads back to the same configuration.
    let again = Loader::new().load_records(config.records()).unwrap();
    assert_eq!(again, config);
    // The declarative document too.
    let doc = config.to_document();
    let (from_doc, _) = Loader::new().load_value(&doc).unwrap();
    assert_eq!(from_doc, config);
    // A new record's errors come under its own path.
    let bad = mtls_kong_config::Record {
        kind: mtls_kong_config::Kind::Route,
        value: json!({"name": "x", "paths": ["nope"], "service": "missing"}),
        path: String::new(),
    };
    let errors = Loader::new()
        .load_records(config.records().chain([bad]))
        .unwrap_err();
    let lines: Vec<String> = errors.errors().iter().map(ToString::to_string).collect();
    assert!(
        lines
            .contains(&"paths[0]: should start with: / (fixed path) or ~/ (regex path)".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"service: no service with id or name \"missing\"".to_owned()),
        "{lines:?}"
    );
}
