//! Kong's documented examples load, with Kong's defaults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod config_support;

use config_support::*;
use mtls_consumer::{ConsumerField, GroupBy};
use mtls_header::HeaderFormat;
use mtls_kong_config::{FormatVersion, PluginConfig, RevocationCheckMode, Warning, load_str};
use uuid::Uuid;

fn id(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

#[test]
fn db_less_mtls_example_loads() {
    let ca = ca("Example Root");
    let (config, warnings) = load_str(&mtls_example(&ca.pem)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.format_version(), FormatVersion::V3_0);

    let ca_entity = config.ca_certificate(id(CA_ID)).unwrap();
    assert_eq!(ca_entity.cert_digest.len(), 64);

    let service = config.service_by_name("example-service").unwrap();
    assert_eq!(service.host, "httpbin.konghq.com");
    assert_eq!(service.port, 443);
    assert_eq!(service.protocol, mtls_sni::Protocol::Https);

    let route = config.route_by_name("example-route").unwrap();
    assert_eq!(route.service, Some(service.id));
    assert_eq!(route.snis, ["example.com", "*.example.com"]);
    assert_eq!(route.protocols, [mtls_sni::Protocol::Https]);
    assert!(route.strip_path && !route.preserve_host);

    let plugins: Vec<_> = config.plugins_on_route(route.id).collect();
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0].name(), "mtls-auth");
    assert!(plugins[0].enabled);
    let PluginConfig::MtlsAuth(mtls) = &plugins[0].config else {
        panic!("not mtls-auth");
    };
    assert_eq!(mtls.auth.ca_certificates, [id(CA_ID)]);
    assert!(mtls.send_ca_dn);

    let consumer = config.consumers().next().unwrap();
    assert_eq!(consumer.id, id(CONSUMER_ID));
    assert_eq!(consumer.username(), Some("kongclient"));
    let creds: Vec<_> = config.mtls_auth_credentials().collect();
    assert_eq!(creds.len(), 2);
    assert!(creds.iter().all(|c| c.consumer == consumer.id));
    assert_eq!(creds[0].ca_certificate, Some(id(CA_ID)));
    assert_eq!(creds[1].ca_certificate, None);
    assert_eq!(config.consumer_store().len(), 1);

    // The SNI map builds from it, and asks for a certificate with the CA's DN.
    let (routes, plugins) = config.sni_map_input();
    let map = mtls_sni::SniMap::build(&routes, &plugins).unwrap();
    assert_eq!(
        map.lookup(Some("api.example.com")),
        mtls_sni::Decision::Request {
            ca_ids: &[id(CA_ID)]
        }
    );
    assert_eq!(
        map.lookup(Some("other.test")),
        mtls_sni::Decision::NoRequest
    );
}

#[test]
fn mtls_auth_defaults_are_kongs_plus_check_eku() {
    let ca = ca("Example Root");
    let (config, _) = load_str(&mtls_example(&ca.pem)).unwrap();
    let PluginConfig::MtlsAuth(c) = &config.plugins()[0].config else {
        panic!("not mtls-auth");
    };
    let a = &c.auth;
    assert_eq!(a.anonymous, None);
    assert_eq!(
        a.consumer_by,
        [ConsumerField::Username, ConsumerField::CustomId]
    );
    assert_eq!(a.cache_ttl, 60.0);
    assert!(!a.skip_consumer_lookup && !a.allow_partial_chain);
    assert_eq!(a.authenticated_group_by, Some(GroupBy::CommonName));
    assert_eq!(a.revocation_check_mode, RevocationCheckMode::IgnoreCaError);
    assert_eq!(a.http_timeout, 30000.0);
    assert_eq!(a.cert_cache_ttl, 60000.0);
    assert_eq!(a.default_consumer, None);
    assert_eq!(
        (a.http_proxy_host.as_deref(), a.http_proxy_port),
        (None, None)
    );
    assert_eq!(
        (a.https_proxy_host.as_deref(), a.https_proxy_port),
        (None, None)
    );
    assert!(a.ssl_verify);
    assert!(a.check_eku, "decisions.md item 7: EKU checked by default");
    assert!(c.san_dirname_matcher.is_empty());
    assert_eq!(config.plugins()[0].protocols, None);
}

#[test]
fn header_cert_auth_example_loads() {
    let ca = ca("ALB Root");
    let (config, warnings) = load_str(&header_example(&ca.pem)).unwrap();
    assert!(warnings.is_empty());
    let service = config.service_by_name("alb-service").unwrap();
    assert_eq!(
        (service.host.as_str(), service.port),
        ("backend.internal", 8080)
    );
    assert_eq!(service.protocol, mtls_sni::Protocol::Http);
    let route = config.route_by_name("alb-route").unwrap();
    assert_eq!(route.protocols.len(), 2, "default [http, https]");

    let global: Vec<_> = config.global_plugins().collect();
    assert_eq!(global.len(), 1);
    let PluginConfig::HeaderCertAuth(h) = &global[0].config else {
        panic!("not header-cert-auth");
    };
    assert_eq!(h.certificate_header_name, "X-Amzn-Mtls-Clientcert");
    assert_eq!(h.certificate_header_format, HeaderFormat::UrlEncoded);
    assert!(h.secure_source);
    assert!(h.auth.skip_consumer_lookup);
    assert_eq!(h.auth.authenticated_group_by, Some(GroupBy::SubjectDn));
    let trusted = h.trusted_ips.as_ref().unwrap();
    assert!(trusted.contains("10.1.2.3".parse().unwrap()));
    assert!(config.trusted_ips().is_empty());
    let extractor = h.header_cert_auth(config.trusted_ips()).unwrap();
    assert_eq!(extractor.header_name(), "X-Amzn-Mtls-Clientcert");

    let acl: Vec<_> = config.plugins_on_route(route.id).collect();
    assert_eq!(acl.len(), 1);
    let PluginConfig::Acl(a) = &acl[0].config else {
        panic!("not acl");
    };
    assert!(!a.hide_groups_header);
    assert!(a.acl().is_ok());
    assert_eq!(config.header_cert_auth_credentials().len(), 1);
    assert_eq!(
        config.consumers().next().unwrap().custom_id(),
        Some("partner-1")
    );
}

#[test]
fn other_plugin_defaults() {
    let yaml = r#"
_format_version: "3.0"
plugins:
  - name: tls-handshake-modifier
  - name: tls-metadata-headers
    config:
      inject_client_cert_details: true
"#;
    let (config, _) = load_str(yaml).unwrap();
    assert!(matches!(
        config.plugins()[0].config,
        PluginConfig::TlsHandshakeModifier(_)
    ));
    let PluginConfig::TlsMetadataHeaders(t) = &config.plugins()[1].config else {
        panic!("not tls-metadata-headers");
    };
    assert!(t.inject_client_cert_details);
    assert_eq!(t.client_cert_header_name, "X-Client-Cert");
    assert_eq!(t.client_serial_header_name, "X-Client-Cert-Serial");
    assert_eq!(
        t.client_cert_issuer_dn_header_name,
        "X-Client-Cert-Issuer-DN"
    );
    assert_eq!(
        t.client_cert_subject_dn_header_name,
        "X-Client-Cert-Subject-DN"
    );
    assert_eq!(
        t.client_cert_fingerprint_header_name,
        "X-Client-Cert-Fingerprint"
    );
    assert_eq!(config.plugins()[0].config.priority(), 997);
}

#[test]
fn explicit_values_override_defaults() {
    let yaml = format!(
        r#"
_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca}
plugins:
  - name: mtls-auth
    enabled: false
    protocols: [https]
    config:
      ca_certificates: [{{id: {CA_ID}}}]
      consumer_by: null
      authenticated_group_by: null
      revocation_check_mode: STRICT
      check_eku: false
      anonymous: anon
      http_proxy_host: proxy.internal
      http_proxy_port: 3128
      cache_ttl: 5
"#,
        ca = block(&ca("Root").pem, 6)
    );
    let (config, _) = load_str(&yaml).unwrap();
    let p = &config.plugins()[0];
    assert!(!p.enabled);
    assert_eq!(
        p.protocols.as_deref(),
        Some(&[mtls_sni::Protocol::Https][..])
    );
    let PluginConfig::MtlsAuth(c) = &p.config else {
        panic!("not mtls-auth");
    };
    assert!(c.auth.consumer_by.is_empty());
    assert_eq!(c.auth.authenticated_group_by, None);
    assert_eq!(c.auth.revocation_check_mode, RevocationCheckMode::Strict);
    assert!(!c.auth.check_eku);
    assert_eq!(c.auth.anonymous.as_ref().map(|a| a.value()), Some("anon"));
    assert_eq!(c.auth.http_proxy_port, Some(3128));
    assert_eq!(c.auth.cache_ttl(), std::time::Duration::from_secs(5));
    let settings = c.auth.match_settings(mtls_consumer::Plugin::MtlsAuth);
    assert!(settings.consumer_by.is_empty());
}

#[test]
fn server_certificates_with_snis_and_upstream_tls() {
    let ca = ca("Root");
    let (cert, key) = server_cert(&ca, &["api.example.com"]);
    let cert_id = "7a1e2f3c-1111-4a0e-8f6e-0c3f1e7d9a01";
    let yaml = format!(
        r#"
_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca_pem}
certificates:
  - id: {cert_id}
    cert: |
{cert}
    key: |
{key}
    snis:
      - name: api.example.com
      - name: "*.api.example.com"
services:
  - name: upstream
    protocol: https
    host: upstream.internal
    port: 8443
    client_certificate: {{id: {cert_id}}}
    tls_verify: true
    tls_verify_depth: 3
    ca_certificates: [{CA_ID}]
"#,
        ca_pem = block(&ca.pem, 6),
        cert = block(&cert, 6),
        key = block(&key, 6),
    );
    let (config, _) = load_str(&yaml).unwrap();
    let c = config.certificate(id(cert_id)).unwrap();
    assert_eq!(c.chain_and_key().unwrap().0.len(), 1);
    assert_eq!(c.snis, ["api.example.com", "*.api.example.com"]);
    assert_eq!(config.snis().len(), 2);
    assert!(config.snis().iter().all(|s| s.certificate == id(cert_id)));
    let s = config.service_by_name("upstream").unwrap();
    assert_eq!(s.client_certificate, Some(id(cert_id)));
    assert_eq!((s.tls_verify, s.tls_verify_depth), (Some(true), Some(3)));
    assert_eq!(s.ca_certificates, [id(CA_ID)]);
    assert!(
        !format!("{c:?}").contains("PRIVATE"),
        "keys stay out of Debug"
    );
}

#[test]
fn format_2_1_loads_and_marks_regex_paths() {
    let yaml = r#"
_format_version: "2.1"
routes:
  - name: r
    paths: [/users, /users/\d+]
"#;
    let (config, _) = load_str(yaml).unwrap();
    assert_eq!(config.format_version(), FormatVersion::V2_1);
    assert_eq!(config.routes()[0].paths, ["/users", "~/users/\\d+"]);
}

#[test]
fn skipped_plugins_and_ignored_entities_warn_once() {
    let ca = ca("Root");
    let yaml = format!(
        "{}upstreams:\n  - name: u\ntargets: []\nplugins:\n  - name: rate-limiting\n    config: {{minute: 5}}\n  - name: key-auth\n  - name: rate-limiting\n    route: example-route\n",
        mtls_example(&ca.pem)
    )
    .replace(
        "    mtls_auth_credentials:",
        "    keyauth_credentials:\n      - key: secret\n    mtls_auth_credentials:",
    );
    // Refused as it is (decision 16), loaded when the operator skips them knowingly.
    let errors = load_str(&yaml).unwrap_err().to_string();
    assert!(
        errors.contains("plugins[0].name: plugin 'rate-limiting' is not implemented"),
        "{errors}"
    );
    assert!(
        errors.contains("plugins[1].name: plugin 'key-auth' is not implemented"),
        "{errors}"
    );
    let skip = mtls_kong_config::plugins::SkipList::new(["rate-limiting", "key-auth"]).unwrap();
    let (config, warnings) = mtls_kong_config::Loader::new()
        .skip_plugins(skip)
        .load_str(&yaml)
        .unwrap();
    assert_eq!(config.plugins().len(), 1);
    assert_eq!(
        warnings,
        [
            Warning::SkippedPlugins {
                names: vec!["key-auth".into(), "rate-limiting".into()],
                instances: 3,
            },
            Warning::IgnoredEntities {
                paths: vec![
                    "consumers[0].keyauth_credentials".into(),
                    "targets".into(),
                    "upstreams".into(),
                ],
            },
        ]
    );
    assert!(warnings[0].to_string().contains("key-auth, rate-limiting"));
}
