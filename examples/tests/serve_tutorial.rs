//! `mtls serve` end to end: Kong's mTLS tutorial flow with a rustls client and curl, and the
//! CertificateRequest seen on the wire with `openssl s_client`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use std::process::Command;

use serve_support::*;

const CA_ID: &str = "6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10";
const NO_CERT: &str = r#"{"message":"No required TLS certificate was sent"}"#;
const FAILED: &str = r#"{"message":"TLS certificate failed verification"}"#;

struct Setup {
    dir: TempDir,
    root: Node,
    alice: Node,
    untrusted: Node,
    expired: Node,
    _upstream: Upstream,
    gateway: Gateway,
}

fn tutorial() -> Setup {
    let dir = TempDir::new("tutorial");
    let root = Node::root("Tutorial Root CA");
    let inter = root.intermediate("Tutorial Issuing CA");
    let alice = inter.client("alice", Some("alice@example.com"), false);
    let expired = inter.client("alice", Some("alice@example.com"), true);
    let untrusted = Node::root("Untrusted Root").client("alice", Some("alice@example.com"), false);
    let upstream = Upstream::start(None);
    let config = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{root}
services:
  - name: echo
    url: http://{up}/anything
    routes:
      - name: mtls-route
        paths: [/mtls]
        snis: [mtls.test]
        protocols: [https]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
      - name: plain-mtls
        paths: [/plain]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
      - name: public
        paths: [/public]
consumers:
  - username: alice
    mtls_auth_credentials:
      - subject_name: alice@example.com
"#,
        root = yaml_block(&root.pem(), 6),
        up = upstream.addr,
    );
    let path = dir.write("kong.yaml", &config);
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    Setup {
        dir,
        root,
        alice,
        untrusted,
        expired,
        _upstream: upstream,
        gateway,
    }
}

#[test]
fn tutorial_flow_with_a_rustls_client() {
    let s = tutorial();
    let tls = s.gateway.tls;

    let r = https(tls, "mtls.test", None, "/mtls", &[]);
    assert_eq!(
        (r.status, r.body.as_str()),
        (401, NO_CERT),
        "{}",
        s.gateway.log()
    );
    assert!(r.content_type.unwrap().starts_with("application/json"));

    let r = https(
        tls,
        "mtls.test",
        Some(&s.alice),
        "/mtls/x?q=1",
        &[
            ("X-Consumer-Username", "mallory"),
            ("X-Consumer-Custom-ID", "forged"),
            ("X-Credential-Identifier", "forged"),
        ],
    );
    assert_eq!(r.status, 200, "{}\n{}", r.body, s.gateway.log());
    assert_eq!(
        r.upstream_header("x-consumer-username").as_deref(),
        Some("alice")
    );
    let id = r.upstream_header("x-consumer-id").unwrap();
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(r.upstream_header("x-consumer-custom-id"), None);
    assert_ne!(
        r.upstream_header("x-credential-identifier").as_deref(),
        Some("forged")
    );
    // Kong's forwarding headers and path handling (strip_path, service path).
    let v = r.json();
    assert_eq!(v["path"], "/anything/x?q=1");
    assert_eq!(
        r.upstream_header("x-forwarded-proto").as_deref(),
        Some("https")
    );
    assert_eq!(
        r.upstream_header("x-forwarded-host").as_deref(),
        Some("mtls.test")
    );
    assert_eq!(
        r.upstream_header("x-forwarded-port"),
        Some(tls.port().to_string())
    );
    assert_eq!(
        r.upstream_header("x-forwarded-path").as_deref(),
        Some("/mtls/x")
    );
    assert_eq!(
        r.upstream_header("x-forwarded-prefix").as_deref(),
        Some("/mtls")
    );
    assert_eq!(
        r.upstream_header("x-forwarded-for").as_deref(),
        Some("127.0.0.1")
    );

    for who in [&s.untrusted, &s.expired] {
        let r = https(tls, "mtls.test", Some(who), "/mtls", &[]);
        assert_eq!((r.status, r.body.as_str()), (401, FAILED));
    }

    // A resumed session keeps the client's identity (judged again per request).
    let config = client_config(Some(&s.alice));
    let first = https_with(&config, tls, "mtls.test", "/mtls", &[]);
    let second = https_with(&config, tls, "mtls.test", "/mtls", &[]);
    assert_eq!((first.status, second.status), (200, 200));
    assert!(second.resumed, "the second connection should resume");
    assert_eq!(
        second.upstream_header("x-consumer-username").as_deref(),
        Some("alice")
    );

    // A route without authentication: owned headers are still removed.
    let r = https(
        tls,
        "public.test",
        None,
        "/public",
        &[("X-Consumer-ID", "forged")],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.upstream_header("x-consumer-id"), None);

    // No route: Kong's 404.
    let r = https(tls, "mtls.test", None, "/nowhere", &[]);
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        r#"{"message":"no Route matched with those values"}"#
    );

    // Plain HTTP: an mtls-auth route answers 401 (no certificate there); an https-only
    // route answers 426.
    let http_addr = s.gateway.http;
    let r = http(http_addr, "mtls.test", "/plain", &[]);
    assert_eq!((r.status, r.body.as_str()), (401, NO_CERT));
    let r = http(http_addr, "mtls.test", "/public", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.upstream_header("x-forwarded-proto").as_deref(),
        Some("http")
    );

    // The log says why requests were refused.
    let log = s.gateway.log();
    assert!(log.contains("request refused"), "{log}");
    assert!(log.contains("certificate chain refused"), "{log}");
    assert!(log.contains("self-signed"), "{log}");
}

#[test]
fn tutorial_flow_with_curl() {
    if !have("curl") {
        return;
    }
    let s = tutorial();
    let port = s.gateway.tls.port();
    let resolve = format!("mtls.test:{port}:127.0.0.1");
    let url = format!("https://mtls.test:{port}/mtls");
    let curl = |extra: &[&str]| {
        let out = Command::new("curl")
            .args(["-sk", "--max-time", "10", "--resolve", &resolve])
            .args(["-w", "\n%{http_code}"])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse::<u16>().unwrap(), body.to_owned())
    };
    let (code, body) = curl(&[]);
    assert_eq!((code, body.as_str()), (401, NO_CERT));
    let (cert, key) = s.dir.save(&s.alice, "alice");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let (code, body) = curl(&[
        "--cert",
        cert,
        "--key",
        key,
        "-H",
        "X-Consumer-Username: mallory",
    ]);
    assert_eq!(code, 200, "{body}\n{}", s.gateway.log());
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["headers"]["x-consumer-username"], "alice");
    for (name, who) in [("untrusted", &s.untrusted), ("expired", &s.expired)] {
        let (cert, key) = s.dir.save(who, name);
        let (code, body) = curl(&[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ]);
        assert_eq!((code, body.as_str()), (401, FAILED), "{name}");
    }
    let _ = &s.root;
}

/// `openssl s_client` against the gateway: whether a CertificateRequest was sent, and with
/// which CA names.
fn s_client(port: u16, servername: &str) -> String {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", servername, "-tls1_2"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn certificate_request_only_where_a_route_needs_one() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("handshake");
    let root = Node::root("Handshake Root CA");
    let upstream = Upstream::start(None);
    let config = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{root}
services:
  - name: echo
    url: http://{up}/anything
    routes:
      - name: with-names
        snis: [dn.test]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
              send_ca_dn: true
      - name: without-names
        snis: [nodn.test]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
      - name: public
        snis: [public.test]
"#,
        root = yaml_block(&root.pem(), 6),
        up = upstream.addr,
    );
    let path = dir.write("kong.yaml", &config);
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    let port = gateway.tls.port();

    let public = s_client(port, "public.test");
    assert!(
        public.contains("No client certificate CA names sent"),
        "{public}"
    );
    assert!(
        !public.contains("Acceptable client certificate CA names"),
        "{public}"
    );
    // With TLS 1.2 openssl prints the CertificateRequest's details only when one came.
    let nodn = s_client(port, "nodn.test");
    let dn = s_client(port, "dn.test");
    assert!(
        dn.contains("Acceptable client certificate CA names") && dn.contains("Handshake Root CA"),
        "{dn}"
    );
    assert!(
        !nodn.contains("Acceptable client certificate CA names"),
        "{nodn}"
    );
    assert!(
        nodn.contains("Client Certificate Types")
            || nodn.contains("Requested Signature Algorithms"),
        "{nodn}"
    );
    assert!(!public.contains("Client Certificate Types"), "{public}");

    // Graceful shutdown on SIGTERM.
    let mut gateway = gateway;
    assert_eq!(gateway.terminate(), Some(0), "{}", gateway.log());
}
