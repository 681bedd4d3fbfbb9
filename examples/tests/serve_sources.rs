//! Where `mtls serve` reads its configuration (issue 19): Kubernetes manifests (tutorial A step
//! 9) end to end, a ConfigMap volume watched and swapped without a signal, a Kong node's
//! environment (`KONG_*`) with no flags, `--print-settings`, and `mtls convert`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mtls_test_pki::manifests::tutorial;
use mtls_test_pki::servers::{Gateway, Upstream, https};
use mtls_test_pki::{CertSpec, Node, TempDir, root, yaml_block};

const MTLS: &str = env!("CARGO_BIN_EXE_mtls");

/// The tutorial's client: a certificate with the consumer's username as its email SAN.
fn alice(ca: &Node) -> Node {
    CertSpec::new()
        .cn("alice")
        .email("alice@example.com")
        .client_auth()
        .signed_by(ca)
}

#[test]
fn the_tutorial_manifest_serves_mtls_end_to_end() {
    let ca = root("Tutorial Root");
    let upstream = Upstream::start(None);
    let dir = TempDir::new("serve-k8s");
    let manifest = dir.write(
        "mtls.yaml",
        &tutorial(&ca.pem(), "127.0.0.1", upstream.addr.port()),
    );
    let gateway = Gateway::start(MTLS, &dir, &manifest, &[]);
    let refused = https(gateway.tls, "localhost", None, "/mtls/anything", &[]);
    assert_eq!(refused.status, 401, "{refused:?}\n{}", gateway.log());
    let ok = https(
        gateway.tls,
        "localhost",
        Some(&alice(&ca)),
        "/mtls/anything",
        &[],
    );
    assert_eq!(ok.status, 200, "{ok:?}\n{}", gateway.log());
    assert_eq!(
        ok.upstream_header("x-consumer-username").as_deref(),
        Some("alice@example.com")
    );
    // The Deployment was skipped with a summary line, and the file is watched by default.
    let log = gateway.log();
    assert!(log.contains("Deployment"), "{log}");
    assert!(log.contains("watching the configuration"), "{log}");
}

/// A ConfigMap volume: `..data` links to a timestamped directory, each key to `..data/KEY`.
struct ConfigMap {
    dir: PathBuf,
    version: u32,
}

impl ConfigMap {
    fn new(dir: PathBuf, manifest: &str) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        let mut map = Self { dir, version: 0 };
        map.update(manifest);
        std::os::unix::fs::symlink("..data/mtls.yaml", map.dir.join("mtls.yaml")).unwrap();
        map
    }

    /// Writes a new timestamped directory and swaps `..data` to it atomically (a new link,
    /// renamed over the old one), as the kubelet does.
    fn update(&mut self, manifest: &str) {
        self.version += 1;
        let stamp = format!("..2026_12_04_00_00_00.{:09}", self.version);
        let data = self.dir.join(&stamp);
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("mtls.yaml"), manifest).unwrap();
        let tmp = self.dir.join("..data_tmp");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&stamp, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
    }
}

/// Polls `f` every 100 ms for at most 10 s until it holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("not within 10 s: {what}");
}

#[test]
fn a_configmap_volume_is_watched_and_swapped_without_a_signal() {
    let ca = root("Tutorial Root");
    let upstream = Upstream::start(None);
    let dir = TempDir::new("serve-watch");
    let first = tutorial(&ca.pem(), "127.0.0.1", upstream.addr.port());
    let mut map = ConfigMap::new(dir.path("config"), &first);
    let gateway = Gateway::start(MTLS, &dir, &map.dir.clone(), &[]);
    let client = alice(&ca);
    let get = |path: &str| https(gateway.tls, "localhost", Some(&client), path, &[]).status;
    assert_eq!(get("/mtls/x"), 200, "{}", gateway.log());

    // The Ingress moves to /moved: served without SIGHUP.
    map.update(&first.replace("path: /mtls", "path: /moved"));
    eventually("the new path is served", || get("/moved/x") == 200);
    assert_eq!(get("/mtls/x"), 404);

    // A broken update is refused whole; the running configuration keeps serving.
    map.update(&first.replace("plugin: mtls-auth", "plugin: mtls_auth"));
    eventually("the refusal is logged", || {
        gateway.log().contains("reload refused")
    });
    assert_eq!(get("/moved/x"), 200, "{}", gateway.log());
    assert!(gateway.log().contains("mtls_auth"), "{}", gateway.log());
}

/// A kong.yaml with a header-cert-auth route (trusted peers only) and an https service.
fn kong_yaml(ca: &Node, upstream_tls: std::net::SocketAddr, ca_id: &str) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {ca_id}
    cert: |
{ca_pem}
services:
  - name: backend
    url: https://127.0.0.1:{port}
    routes:
      - name: header
        paths: [/header]
        plugins:
          - name: header-cert-auth
            config:
              ca_certificates: [{ca_id}]
              certificate_header_name: X-Client-Cert
              certificate_header_format: url_encoded
              skip_consumer_lookup: true
"#,
        ca_pem = yaml_block(&ca.pem(), 6),
        port = upstream_tls.port()
    )
}

/// An https upstream that requires a client certificate issued by `ca`.
fn mtls_upstream(ca: &Node) -> Upstream {
    let server = CertSpec::names(&["127.0.0.1"]).self_signed();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server.der()], server.key_der())
        .unwrap();
    Upstream::start(Some(std::sync::Arc::new(config)))
}

#[test]
fn a_kong_nodes_environment_runs_unchanged() {
    let ca = root("Env Root");
    let gateway_client = CertSpec::new().cn("gateway").client_auth().signed_by(&ca);
    let upstream = mtls_upstream(&ca);
    let dir = TempDir::new("serve-env");
    let config = dir.write(
        "kong.yaml",
        &kong_yaml(&ca, upstream.addr, "2d5c8f1a-3b4e-4c6d-9e7f-8a9b0c1d2e3f"),
    );
    let cert = dir.write("client.crt", &gateway_client.pem());
    let key = dir.write("client.key", &gateway_client.key_pem());
    let path = |p: &Path| p.display().to_string();
    let env = [
        ("KONG_DATABASE", "off".to_owned()),
        ("KONG_DECLARATIVE_CONFIG", path(&config)),
        (
            "KONG_PROXY_LISTEN",
            "127.0.0.1:0, 127.0.0.1:0 ssl http2".to_owned(),
        ),
        ("KONG_TRUSTED_IPS", "127.0.0.1".to_owned()),
        ("KONG_CLIENT_SSL", "on".to_owned()),
        ("KONG_CLIENT_SSL_CERT", path(&cert)),
        ("KONG_CLIENT_SSL_CERT_KEY", path(&key)),
        ("KONG_PROXY_LISTN", "a typo".to_owned()),
    ];
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gateway = Gateway::spawn(MTLS, &dir, &[], &env_refs);
    // trusted_ips lets the loopback client send the certificate header; client_ssl presents
    // the gateway's certificate to the upstream, which requires one.
    let client = CertSpec::new().cn("header-client").signed_by(&ca);
    let header = mtls_test_pki::url_encode(&client.pem());
    let ok = mtls_test_pki::servers::http(
        gateway.http,
        "gateway.test",
        "/header",
        &[("X-Client-Cert", &header)],
    );
    assert_eq!(ok.status, 200, "{ok:?}\n{}", gateway.log());
    assert!(
        gateway.log().contains("KONG_PROXY_LISTN"),
        "an unknown KONG_ variable is named:\n{}",
        gateway.log()
    );
}

#[test]
fn print_settings_tells_each_origin() {
    let dir = TempDir::new("serve-settings");
    let conf = dir.write(
        "kong.conf",
        "# a node\nproxy_listen = 127.0.0.1:9000, 127.0.0.1:9443 ssl\nlog_level = warn\n",
    );
    let out = std::process::Command::new(MTLS)
        .args(["serve", "--print-settings", "--kong-conf"])
        .arg(&conf)
        .args(["--status-listen", "127.0.0.1:9100"])
        .env("KONG_LOG_LEVEL", "debug")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
            .to_owned()
    };
    assert!(
        line("proxy_listen").contains("127.0.0.1:9443 ssl"),
        "{text}"
    );
    assert!(line("proxy_listen").contains("line 2"), "{text}");
    assert!(
        line("log_level").contains("debug"),
        "env wins over kong.conf: {text}"
    );
    assert!(line("log_level").contains("KONG_LOG_LEVEL"), "{text}");
    assert!(
        line("status_listen").contains("--status-listen"),
        "flags win: {text}"
    );

    // A kong.conf line that does not parse: its line number, exit 2.
    let bad = dir.write("bad.conf", "log_level = info\nthis is not a setting\n");
    let out = std::process::Command::new(MTLS)
        .args(["serve", "--print-settings", "--kong-conf"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn convert_prints_what_a_manifest_becomes() {
    let ca = root("Tutorial Root");
    let dir = TempDir::new("convert");
    let manifest = dir.write("mtls.yaml", &tutorial(&ca.pem(), "127.0.0.1", 18080));
    let out = std::process::Command::new(MTLS)
        .args(["convert"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8_lossy(&out.stdout);
    let (config, _) = mtls_kong_config::load_str(&yaml).unwrap();
    assert_eq!(config.routes().len(), 1);
    assert_eq!(config.plugins()[0].name(), "mtls-auth");
    // A manifest the translation does not understand: the object and field named, exit 2.
    let broken = dir.write(
        "broken.yaml",
        "apiVersion: networking.k8s.io/v9\nkind: Ingress\nmetadata: {name: x}\n",
    );
    let out = std::process::Command::new(MTLS)
        .args(["convert"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Ingress"));
}
