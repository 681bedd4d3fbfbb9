//! Issue 13 through a real `mtls serve`, the parts that are not one request's bytes: a
//! misspelled plugin refused at load, at start and on reload (decision 16); the service
//! timeouts and retries honoured; upstream TLS failures told in words; and the logs Kong's
//! documentation promises (one access line per request, refusals once under the plugin's
//! name, no colours off a terminal, nothing else at INFO for an accepted request).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serve_support::raw::{Answer, RawUpstream, raw};
use serve_support::*;

const CA_ID: &str = "9a1d4c7e-2b3f-4a5d-8e6f-7a8b9c0d1e2f";

/// `/mtls` (mtls-auth), `/group` (mtls-auth then acl allowing `admins`, which alice is not
/// in) and `/public`, all to `upstream`; `plugin` is the name written for `/mtls`'s plugin.
fn config(root: &Node, upstream: std::net::SocketAddr, plugin: &str) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{root}
services:
  - name: svc
    url: http://{upstream}
    routes:
      - name: mtls-route
        paths: [/mtls]
        plugins:
          - name: {plugin}
            config:
              ca_certificates: [{CA_ID}]
      - name: group-route
        paths: [/group]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
          - name: acl
            config:
              allow: [admins]
      - name: public
        paths: [/public]
consumers:
  - username: alice
    mtls_auth_credentials:
      - subject_name: alice@example.com
"#,
        root = yaml_block(&root.pem(), 6),
    )
}

/// Polls `f` until it returns true (at most 10 s).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn mtls(args: &[&str]) -> std::process::Output {
    Command::new(MTLS).args(args).output().unwrap()
}

#[test]
fn a_misspelled_plugin_is_a_load_error_everywhere() {
    let dir = TempDir::new("plugin-names");
    let root = Node::root("Names Root CA");
    let upstream = RawUpstream::start(Answer::Echo);
    let misspelled = config(&root, upstream.addr, "mtls_auth")
        .replace("          - name: acl\n", "          - name: acls\n")
        .replace(
            "      - name: public\n        paths: [/public]\n",
            "      - name: public\n        paths: [/public]\n        plugins:\n          - name: MTLS-AUTH\n            config: {}\n          - name: mtls-authx\n            config: {}\n",
        );
    let path = dir.write_arg("misspelled.yaml", &misspelled);

    // `check`: exit 2, every unknown name with its path.
    let out = mtls(&["check", "--config", &path]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (at, name) in [
        ("services[0].routes[0].plugins[0].name", "mtls_auth"),
        ("services[0].routes[1].plugins[1].name", "acls"),
        ("services[0].routes[2].plugins[0].name", "MTLS-AUTH"),
        ("services[0].routes[2].plugins[1].name", "mtls-authx"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(at) && l.contains(&format!("'{name}'"))),
            "{at} {name}:\n{stderr}"
        );
    }

    // `serve` at start: exit 2, the same list, nothing listening.
    let out = mtls(&[
        "serve",
        "--config",
        &path,
        "--listen",
        "127.0.0.1:0",
        "--http-listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("'mtls_auth'"), "{stderr}");
    assert!(stderr.contains("'mtls-authx'"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));

    // --skip-plugins never takes a name one edit away from an implemented plugin.
    for near in ["mtls_auth", "MTLS-AUTH", "mtls-authx", "acls", "mtls-auth"] {
        let out = mtls(&[
            "serve",
            "--config",
            &path,
            "--skip-plugins",
            near,
            "--listen",
            "127.0.0.1:0",
        ]);
        assert_eq!(out.status.code(), Some(2), "{near}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--skip-plugins"), "{near}: {stderr}");
    }

    // A plugin knowingly left out is named at start, and the node serves.
    let other = config(&root, upstream.addr, "mtls-auth").replace(
        "      - name: public\n        paths: [/public]\n",
        "      - name: public\n        paths: [/public]\n        plugins:\n          - name: rate-limiting\n            config: {minute: 5}\n",
    );
    let other = dir.write("other.yaml", &other);
    let gateway = Gateway::start(MTLS, &dir, &other, &["--skip-plugins", "rate-limiting"]);
    let log = gateway.log();
    assert!(
        log.lines()
            .any(|l| l.contains("plugin=\"rate-limiting\"") || l.contains("rate-limiting")),
        "{log}"
    );
    assert_eq!(http(gateway.http, "api.test", "/mtls", &[]).status, 401);
}

#[test]
fn a_reload_with_a_misspelled_plugin_is_refused_and_the_old_one_serves() {
    let dir = TempDir::new("plugin-reload");
    let root = Node::root("Reload Names Root CA");
    let alice = root.client("alice", Some("alice@example.com"), false);
    let upstream = RawUpstream::start(Answer::Echo);
    let path = dir.write("kong.yaml", &config(&root, upstream.addr, "mtls-auth"));
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    assert_eq!(http(gateway.http, "api.test", "/mtls", &[]).status, 401);

    std::fs::write(&path, config(&root, upstream.addr, "mtls_auth")).unwrap();
    gateway.hup();
    assert!(
        eventually(|| gateway.log().contains("reload refused")),
        "{}",
        gateway.log()
    );
    let log = gateway.log();
    assert!(log.contains("'mtls_auth'"), "{log}");
    // Still authenticated: the route was never served without its plugin.
    assert_eq!(http(gateway.http, "api.test", "/mtls", &[]).status, 401);
    let r = https(gateway.tls, "api.test", Some(&alice), "/mtls", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The lines logged after `from` bytes of the log.
fn lines_after(log: &str, from: usize) -> Vec<String> {
    log.get(from..)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn access_lines_refusals_once_and_no_colours() {
    let dir = TempDir::new("logs");
    let root = Node::root("Logs Root CA");
    let alice = root.client("alice", Some("alice@example.com"), false);
    let upstream = RawUpstream::start(Answer::Echo);
    let path = dir.write("kong.yaml", &config(&root, upstream.addr, "mtls-auth"));
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);

    // An accepted request: one access line with every field, and nothing else at INFO.
    let before = gateway.log().len();
    let r = https(
        gateway.tls,
        "api.test",
        Some(&alice),
        "/mtls/x?token=secret",
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let log = gateway.log();
    let new = lines_after(&log, before);
    let access: Vec<&String> = new.iter().filter(|l| l.contains(" access:")).collect();
    assert_eq!(access.len(), 1, "{log}");
    let line = access[0];
    eprintln!("access line: {line}");
    for field in [
        "method=GET",
        "path=/mtls/x",
        "status=200",
        "consumer=alice",
        "route=mtls-route",
        "upstream_status=200",
        "latency_ms=",
        "tls=TLSv1.3",
        "sni=api.test",
    ] {
        assert!(line.contains(field), "{field} in {line}");
    }
    assert!(!line.contains("secret"), "{line}");
    let info: Vec<&String> = new.iter().filter(|l| l.contains(" INFO ")).collect();
    assert_eq!(info, access, "nothing but the access line at INFO:\n{log}");

    // A refusal: logged once, under the plugin's name in brackets, with the reason.
    for (path, status, plugin, identity) in [
        ("/mtls", 401, "[mtls-auth]", None),
        ("/group", 403, "[acl]", Some(&alice)),
    ] {
        let before = gateway.log().len();
        let r = https(gateway.tls, "api.test", identity, path, &[]);
        assert_eq!(r.status, status, "{}", r.body);
        let new = lines_after(&gateway.log(), before);
        let refusals: Vec<&String> = new.iter().filter(|l| l.contains(plugin)).collect();
        assert_eq!(refusals.len(), 1, "{plugin}: {new:#?}");
        eprintln!("refusal line: {}", refusals[0]);
        assert!(refusals[0].contains("request refused: "), "{}", refusals[0]);
        let access: Vec<&String> = new.iter().filter(|l| l.contains(" access:")).collect();
        assert_eq!(access.len(), 1, "{new:#?}");
        assert!(
            access[0].contains(&format!("status={status}")),
            "{}",
            access[0]
        );
        assert!(access[0].contains("upstream_status=-"), "{}", access[0]);
    }

    // Plain HTTP: the TLS fields are `-`.
    let before = gateway.log().len();
    let r = raw(
        gateway.http,
        b"GET /public HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 200, "{r:?}");
    let new = lines_after(&gateway.log(), before);
    let access = new.iter().find(|l| l.contains(" access:")).unwrap();
    assert!(access.contains("consumer=- route=public"), "{access}");
    assert!(access.contains("tls=- sni=-"), "{access}");

    // stderr is a file, not a terminal: no ANSI escapes anywhere.
    assert!(!gateway.log().contains('\u{1b}'), "{}", gateway.log());
}

#[test]
fn access_lines_as_json() {
    let dir = TempDir::new("logs-json");
    let root = Node::root("Json Root CA");
    let alice = root.client("alice", Some("alice@example.com"), false);
    let upstream = RawUpstream::start(Answer::Echo);
    let path = dir.write("kong.yaml", &config(&root, upstream.addr, "mtls-auth"));
    let gateway = Gateway::start(MTLS, &dir, &path, &["--log-format", "json"]);
    let r = https(gateway.tls, "api.test", Some(&alice), "/mtls", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    let log = gateway.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let access: Vec<&serde_json::Value> =
        lines.iter().filter(|v| v["target"] == "access").collect();
    assert_eq!(access.len(), 1, "{log}");
    let a = access[0];
    eprintln!("json access line: {a}");
    assert_eq!(a["method"], "GET");
    assert_eq!(a["path"], "/mtls");
    assert_eq!(a["status"], 200);
    assert_eq!(a["consumer"], "alice");
    assert_eq!(a["route"], "mtls-route");
    assert_eq!(a["upstream_status"], "200");
    assert!(a["latency_ms"].is_u64(), "{a}");
    assert_eq!(a["tls"], "TLSv1.3");
    assert_eq!(a["sni"], "api.test");
}

/// A service of its own to `upstream` with `settings` (timeouts, retries), on `/svc`.
fn service_config(upstream: std::net::SocketAddr, settings: &str) -> String {
    format!(
        r#"_format_version: "3.0"
services:
  - name: timed
    url: http://{upstream}
{settings}
    routes:
      - name: timed-route
        paths: [/svc]
"#
    )
}

#[test]
fn read_timeout_is_honoured_and_a_sent_request_is_never_retried() {
    let dir = TempDir::new("read-timeout");
    let silent = RawUpstream::start(Answer::Silent);
    let path = dir.write(
        "kong.yaml",
        &service_config(silent.addr, "    read_timeout: 300\n    retries: 5"),
    );
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    let r = raw(
        gateway.http,
        b"GET /svc HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 504, "{r:?}\n{}", gateway.log());
    // Sent once: retries are for connection failures only.
    assert_eq!(silent.requests().len(), 1, "{:?}", silent.requests());
    let log = gateway.log();
    assert!(log.contains("read_timeout"), "{log}");
}

#[test]
fn connect_and_write_timeouts_are_honoured() {
    let dir = TempDir::new("connect-write-timeout");
    // TCP is accepted but the TLS handshake never answered: past connect_timeout (which
    // covers the handshake, as nginx's proxy_connect_timeout does), 504.
    let no_handshake = RawUpstream::start(Answer::Silent);
    // The head is read, the body never: past write_timeout without progress, 504.
    let stalled = RawUpstream::start(Answer::Stall);
    let config = format!(
        r#"_format_version: "3.0"
services:
  - name: no-handshake
    url: https://{no_handshake}
    connect_timeout: 300
    retries: 0
    routes:
      - name: connect
        paths: [/connect]
  - name: stalled
    url: http://{stalled}
    write_timeout: 300
    routes:
      - name: write
        paths: [/write]
"#,
        no_handshake = no_handshake.addr,
        stalled = stalled.addr,
    );
    let path = dir.write("kong.yaml", &config);
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    let r = raw(
        gateway.http,
        b"GET /connect HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 504, "{r:?}\n{}", gateway.log());
    let body = vec![b'x'; 16 << 20];
    let mut request = format!(
        "POST /write HTTP/1.1\r\nHost: api.test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let r = raw(gateway.http, &request);
    assert_eq!(r.status, 504, "{r:?}\n{}", gateway.log());
    let log = gateway.log();
    assert!(
        log.contains("connecting timed out after 300 ms (connect_timeout)"),
        "{log}"
    );
    assert!(
        log.contains("sending the request body timed out after 300 ms (write_timeout)"),
        "{log}"
    );
}

#[test]
fn connection_failures_are_retried_as_many_times_as_the_service_says() {
    let dir = TempDir::new("retries");
    // A port nothing listens on: every connection attempt is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let path = dir.write(
        "kong.yaml",
        &service_config(closed, "    retries: 2\n    connect_timeout: 2000"),
    );
    let gateway = Gateway::spawn(
        MTLS,
        &dir,
        &[
            "--config",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
        ],
        &[("RUST_LOG", "info,mtls::serve=debug")],
    );
    let r = raw(
        gateway.http,
        b"GET /svc HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 502, "{r:?}");
    let log = gateway.log();
    let attempts = log
        .lines()
        .filter(|l| l.contains("upstream connection failed"))
        .count();
    assert_eq!(attempts, 3, "one attempt and 2 retries:\n{log}");
    assert!(log.contains("cannot connect to 127.0.0.1"), "{log}");
}

#[test]
fn out_of_range_timeouts_and_bad_regex_paths_are_refused_at_load() {
    let dir = TempDir::new("ranges");
    let up: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let bad = service_config(up, "    connect_timeout: 0\n    read_timeout: 2147483648")
        .replace("paths: [/svc]", "paths: [\"~/svc/(\"]");
    let path = dir.write_arg("bad.yaml", &bad);
    let out = mtls(&["check", "--config", &path]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("services[0].connect_timeout"), "{stderr}");
    assert!(stderr.contains("services[0].read_timeout"), "{stderr}");
    assert!(
        stderr.contains("services[0].routes[0].paths[0]") && stderr.contains("invalid regex"),
        "{stderr}"
    );
}

fn tls_upstream(server: &Node, client_ca: Option<&Node>) -> Arc<rustls::ServerConfig> {
    let provider = provider();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der()).unwrap();
            builder.with_client_cert_verifier(
                rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap(),
            )
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(
        builder
            .with_single_cert(server.chain(), server.key_der())
            .unwrap(),
    )
}

#[test]
fn upstream_tls_failures_are_told_in_words() {
    let dir = TempDir::new("upstream-tls-words");
    let root = Node::root("Upstream Words Root CA");
    let other = Node::root("Some Other Root CA");
    let server = root.server(&["127.0.0.1"]);
    let wants_cert = Upstream::start(Some(tls_upstream(&server, Some(&root))));
    let plain_tls = Upstream::start(Some(tls_upstream(&server, None)));
    let config = format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{other}
services:
  - name: needs-a-client-cert
    url: https://{wants}/
    routes:
      - name: no-cert
        paths: [/no-cert]
  - name: unknown-issuer
    url: https://{plain}/
    tls_verify: true
    ca_certificates: [{CA_ID}]
    routes:
      - name: unknown
        paths: [/unknown]
"#,
        other = yaml_block(&other.pem(), 6),
        wants = wants_cert.addr,
        plain = plain_tls.addr,
    );
    let path = dir.write("kong.yaml", &config);
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    let get = |p: &str| {
        raw(
            gateway.http,
            format!("GET {p} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };
    assert_eq!(get("/no-cert").status, 502);
    assert_eq!(get("/unknown").status, 502);
    let log = gateway.log();
    assert!(
        log.contains(
            "the upstream asked for a client certificate and none is configured for service needs-a-client-cert"
        ),
        "{log}"
    );
    assert!(
        // OpenSSL's words for it, as Kong's error log has them.
        log.contains(
            "for service unknown-issuer: upstream certificate: unable to get local issuer certificate"
        ),
        "{log}"
    );
    assert!(!log.contains("AlertReceived"), "{log}");
    assert!(!log.contains("InvalidCertificate"), "{log}");
}
