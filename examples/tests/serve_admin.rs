//! Both Kong mTLS tutorials (../shared/spec/tutorials.md: tutorial A steps 1-7 and 10,
//! tutorial B steps 1-4) as written, with the real curl against a real
//! `mtls serve --database sqlite://...`: each Admin API call's status and body, what the
//! proxy answers after it and what the upstream receives; then the same after a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rustls::server::WebPkiClientVerifier;
use serde_json::Value;
use serve_support::*;

/// `curl -sk -i`: the status, the response headers (lower-case names) and the body.
fn curl_head(url: &str, args: &[&str]) -> (u16, Vec<(String, String)>, Value) {
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "15", "-i"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

struct Pki {
    dir: TempDir,
    root: Node,
    alice: Node,
    bob: Node,
    /// The gateway's own client certificate, for upstream mTLS.
    gateway_client: Node,
}

impl Pki {
    fn new(name: &str) -> Self {
        let dir = TempDir::new(name);
        let root = Node::root("Tutorial Root CA");
        let intermediate = root.intermediate("Tutorial Intermediate CA");
        let alice = intermediate.client("alice", Some("alice@example.com"), false);
        let bob = intermediate.client("bob", Some("bob@example.com"), false);
        let gateway_client = root.client("gateway", None, false);
        dir.write("root.crt", &root.pem());
        dir.write("intermediate.crt", &intermediate.pem());
        dir.save(&alice, "alice");
        dir.save(&bob, "bob");
        dir.save(&gateway_client, "gateway");
        Self {
            dir,
            root,
            alice,
            bob,
            gateway_client,
        }
    }

    fn file(&self, name: &str) -> String {
        self.dir.path(name).display().to_string()
    }

    /// `--cert NAME.crt --key NAME.key`.
    fn identity(&self, name: &str) -> [String; 4] {
        [
            "--cert".into(),
            self.file(&format!("{name}.crt")),
            "--key".into(),
            self.file(&format!("{name}.key")),
        ]
    }
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// An upstream over TLS that requires a client certificate issued by `root`.
fn mtls_upstream(pki: &Pki) -> Upstream {
    let provider = provider();
    let server = pki.root.server(&["localhost"]);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.root.der()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(server.chain(), server.key_der())
        .unwrap();
    Upstream::start(Some(Arc::new(config)))
}

#[test]
fn tutorial_a_through_the_admin_api_then_a_restart() {
    assert!(have("curl"), "curl is needed");
    let pki = Pki::new("admin-tutorial-a");
    let upstream = Upstream::start(None);
    let db = format!("sqlite://{}", pki.dir.path("mtls.db").display());
    let mut gateway =
        Gateway::start_database(MTLS, &pki.dir, &db, &["--status-listen", "127.0.0.1:0"]);
    let admin = |p: &str| gateway.admin_url(p);
    let proxy_http = format!("http://{}/mtls", gateway.http);
    let proxy_https = format!("https://{}/mtls", gateway.tls);
    let alice = pki.identity("alice");
    let bob = pki.identity("bob");

    // 1. A service (form-encoded).
    let service_url = format!("url=http://{}/anything", upstream.addr);
    let (status, service) = curl(
        &admin("/services"),
        &["-d", "name=mtls-service", "-d", &service_url],
    );
    assert_eq!(status, 201, "{service}\n{}", gateway.log());
    assert_eq!(service["name"], "mtls-service");
    // 2. A route on it: the proxy serves it at once.
    let (status, route) = curl(
        &admin("/services/mtls-service/routes"),
        &["-d", "name=mtls-route", "-d", "paths[]=/mtls"],
    );
    assert_eq!(status, 201, "{route}");
    let (status, body) = curl(&proxy_http, &[]);
    assert_eq!(status, 200, "{body}\n{}", gateway.log());
    assert_eq!(body["path"], "/anything");

    // 3. Both CA certificates, as multipart files.
    let mut ca_ids = Vec::new();
    for file in ["root.crt", "intermediate.crt"] {
        let (status, ca) = curl(
            &admin("/ca_certificates"),
            &["-F", &format!("cert=@{}", pki.file(file))],
        );
        assert_eq!(status, 201, "{ca}");
        assert_eq!(ca["cert_digest"].as_str().map(str::len), Some(64), "{ca}");
        assert_eq!(ca["tags"], Value::Null);
        assert!(ca["created_at"].is_i64());
        ca_ids.push(ca["id"].as_str().unwrap().to_owned());
    }

    // 4. mtls-auth globally, one field per CA id: 401 without a certificate.
    let (status, plugin) = curl(
        &admin("/plugins"),
        &[
            "-d",
            "name=mtls-auth",
            "-d",
            &format!("config.ca_certificates={}", ca_ids[0]),
            "-d",
            &format!("config.ca_certificates={}", ca_ids[1]),
        ],
    );
    assert_eq!(status, 201, "{plugin}");
    let plugin_id = plugin["id"].as_str().unwrap().to_owned();
    for url in [&proxy_http, &proxy_https] {
        let (status, body) = curl(url, &[]);
        assert_eq!(status, 401, "{url}: {body}");
        assert_eq!(
            body["message"], "No required TLS certificate was sent",
            "{url}"
        );
    }

    // 5a. A consumer named as the certificate's CN; 6. the call and the upstream's headers.
    let (status, consumer) = curl(&admin("/consumers"), &["-d", "username=alice"]);
    assert_eq!(status, 201, "{consumer}");
    let (status, body) = curl(&proxy_https, &strs(&alice));
    assert_eq!(status, 200, "{body}\n{}", gateway.log());
    let seen = &body["headers"];
    assert_eq!(seen["x-consumer-username"], "alice");
    assert_eq!(seen["x-consumer-id"], consumer["id"]);
    assert_eq!(seen["x-forwarded-path"], "/mtls");
    assert_eq!(seen["x-forwarded-prefix"], "/mtls");
    assert!(seen["x-forwarded-host"].is_string(), "{body}");
    // bob has no consumer: 401.
    let (status, body) = curl(&proxy_https, &strs(&bob));
    assert_eq!(status, 401, "{body}");

    // 5b. No consumer lookup, an ACL on the CN instead.
    let (status, plugins) = curl(&admin("/plugins"), &[]);
    assert_eq!(status, 200);
    let found = plugins["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "mtls-auth")
        .map(|p| p["id"].clone());
    assert_eq!(found, Some(Value::String(plugin_id.clone())));
    let (status, patched) = curl(
        &admin(&format!("/plugins/{plugin_id}")),
        &["-X", "PATCH", "-d", "config.skip_consumer_lookup=true"],
    );
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["config"]["skip_consumer_lookup"], true);
    assert_eq!(
        patched["config"]["ca_certificates"],
        serde_json::json!(ca_ids),
        "PATCH merges config"
    );
    let (status, acl) = curl(
        &admin("/plugins"),
        &["-d", "name=acl", "-d", "config.allow=alice"],
    );
    assert_eq!(status, 201, "{acl}");
    let acl_id = acl["id"].as_str().unwrap().to_owned();
    let (status, body) = curl(&proxy_https, &strs(&alice));
    assert_eq!(status, 200, "{body}\n{}", gateway.log());
    let seen = &body["headers"];
    assert_eq!(seen["x-authenticated-groups"], "alice", "{body}");
    assert!(
        seen["x-client-cert-dn"]
            .as_str()
            .is_some_and(|dn| dn.contains("CN=alice")),
        "{body}"
    );
    assert!(seen["x-client-cert-san"].is_string(), "{body}");
    assert_eq!(seen.get("x-consumer-username"), None, "{body}");
    let (status, body) = curl(&proxy_https, &strs(&bob));
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["message"], "You cannot consume this service");

    // 7. Back to consumers, by manual mapping only (consumer_by: []).
    let (status, _) = curl(&admin(&format!("/plugins/{acl_id}")), &["-X", "DELETE"]);
    assert_eq!(status, 204);
    let (status, patched) = curl(
        &admin(&format!("/plugins/{plugin_id}")),
        &[
            "-X",
            "PATCH",
            "-H",
            "content-type: application/json",
            "-d",
            r#"{"config":{"skip_consumer_lookup":false,"consumer_by":[]}}"#,
        ],
    );
    assert_eq!(status, 200, "{patched}");
    let (status, body) = curl(&proxy_https, &strs(&alice));
    assert_eq!(
        status,
        401,
        "consumer_by [] matches no username: {body}\n{}",
        gateway.log()
    );
    let (status, mapped) = curl(&admin("/consumers"), &["-d", "username=mapped-user"]);
    assert_eq!(status, 201, "{mapped}");
    let (status, mapping) = curl(
        &admin("/consumers/mapped-user/mtls-auth"),
        &[
            "-d",
            "subject_name=alice@example.com",
            "-d",
            &format!("ca_certificate.id={}", ca_ids[0]),
        ],
    );
    assert_eq!(status, 201, "{mapping}");
    let (status, body) = curl(&proxy_https, &strs(&alice));
    assert_eq!(status, 200, "{body}\n{}", gateway.log());
    assert_eq!(body["headers"]["x-consumer-username"], "mapped-user");

    // 10. Upstream mTLS for the service: an upstream that requires a client certificate.
    let tls_upstream = mtls_upstream(&pki);
    let (status, patched) = curl(
        &admin("/services/mtls-service"),
        &[
            "-X",
            "PATCH",
            "-d",
            "protocol=https",
            "-d",
            "host=localhost",
            "-d",
            &format!("port={}", tls_upstream.addr.port()),
        ],
    );
    assert_eq!(status, 200, "{patched}");
    let (status, body) = curl(&proxy_https, &strs(&alice));
    assert_eq!(
        status, 502,
        "the upstream wants a client certificate: {body}"
    );
    let (status, certificate) = curl(
        &admin("/certificates"),
        &[
            "-F",
            &format!("cert=@{}", pki.file("gateway.crt")),
            "-F",
            &format!("key=@{}", pki.file("gateway.key")),
        ],
    );
    assert_eq!(status, 201, "{certificate}");
    let (status, patched) = curl(
        &admin("/services/mtls-service"),
        &[
            "-X",
            "PATCH",
            "-d",
            &format!(
                "client_certificate.id={}",
                certificate["id"].as_str().unwrap()
            ),
        ],
    );
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["client_certificate"]["id"], certificate["id"]);
    let (status, body) = curl(&proxy_https, &strs(&alice));
    assert_eq!(status, 200, "{body}\n{}", gateway.log());
    assert_eq!(body["headers"]["x-consumer-username"], "mapped-user");

    // The status listener's metrics tell what happened.
    let status_addr = gateway.status.expect("the status listener runs");
    let (status, metrics) = curl(&format!("http://{status_addr}/metrics"), &[]);
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    for line in [
        "kong_http_requests_total{route=\"mtls-route\",code=\"200\",outcome=\"allowed\"}",
        "kong_http_requests_total{route=\"mtls-route\",code=\"401\",outcome=\"mtls-auth\"}",
        "mtls_refusals_total{plugin=\"mtls-auth\",reason=\"No required TLS certificate was sent\"}",
        "mtls_refusals_total{plugin=\"acl\",reason=\"You cannot consume this service\"}",
        "mtls_tls_handshakes_total{client_certificate=\"yes\"}",
        "mtls_validation_cache_total{result=\"hit\"}",
        "kong_upstream_latency_ms_bucket",
        "mtls_config_version",
        "mtls_config_reloads_total{result=\"ok\"}",
        "kong_datastore_reachable 1",
    ] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
    let (status, node) = curl(&format!("http://{status_addr}/status"), &[]);
    assert_eq!(status, 200, "{node}");
    assert_eq!(node["database"]["reachable"], true, "{node}");

    // Persisted: a restart on the same file serves the same configuration.
    assert_eq!(gateway.terminate(), Some(0), "{}", gateway.log());
    let gateway = Gateway::start_database(MTLS, &pki.dir, &db, &[]);
    let (status, body) = curl(&format!("https://{}/mtls", gateway.tls), &strs(&alice));
    assert_eq!(status, 200, "{body}\n{}", gateway.log());
    assert_eq!(body["headers"]["x-consumer-username"], "mapped-user");
    let (status, consumers) = curl(&gateway.admin_url("/consumers"), &[]);
    assert_eq!(status, 200);
    assert_eq!(consumers["data"].as_array().map(Vec::len), Some(2));
    let _ = (&pki.alice, &pki.bob, &pki.gateway_client);
}

#[test]
fn tutorial_b_client_to_gateway_and_gateway_to_upstream() {
    assert!(have("curl"), "curl is needed");
    let pki = Pki::new("admin-tutorial-b");
    let tls_upstream = mtls_upstream(&pki);
    let db = format!("sqlite://{}", pki.dir.path("mtls.db").display());
    // 4, globally: client_ssl with the gateway's certificate, for every https upstream.
    let (cert, key) = (pki.file("gateway.crt"), pki.file("gateway.key"));
    let gateway = Gateway::start_database(
        MTLS,
        &pki.dir,
        &db,
        &["--client-ssl-cert", &cert, "--client-ssl-cert-key", &key],
    );
    let admin = |p: &str| gateway.admin_url(p);
    let (status, _) = curl(
        &admin("/services"),
        &[
            "-d",
            "name=upstream",
            "-d",
            &format!("url=https://localhost:{}/", tls_upstream.addr.port()),
        ],
    );
    assert_eq!(status, 201);
    let (status, _) = curl(
        &admin("/services/upstream/routes"),
        &["-d", "paths[]=/mtls"],
    );
    assert_eq!(status, 201);

    // 1. The CA.
    let (status, ca) = curl(
        &admin("/ca_certificates"),
        &["-F", &format!("cert=@{}", pki.file("root.crt"))],
    );
    assert_eq!(status, 201, "{ca}");
    assert!(
        ca["cert"]
            .as_str()
            .is_some_and(|c| c.contains("BEGIN CERTIFICATE"))
    );
    assert_eq!(ca["tags"], Value::Null);
    // 2. mtls-auth, global: 401 without a certificate.
    let (status, plugin) = curl(
        &admin("/plugins"),
        &[
            "-d",
            "name=mtls-auth",
            "-d",
            &format!("config.ca_certificates={}", ca["id"].as_str().unwrap()),
        ],
    );
    assert_eq!(status, 201, "{plugin}");
    let proxy = format!("https://{}/mtls", gateway.tls);
    let (status, _, _) = curl_head(&proxy, &[]);
    assert_eq!(status, 401);
    // 3. With the client's certificate: a consumer named by its email, as the tutorial's.
    let (status, _) = curl(
        &admin("/consumers"),
        &[
            "-d",
            "username=alice@example.com",
            "-d",
            "custom_id=alice@example.com",
        ],
    );
    assert_eq!(status, 201);
    let (status, headers, body) = curl_head(&proxy, &strs(&pki.identity("alice")));
    assert_eq!(status, 200, "{body}\n{}", gateway.log());
    assert!(
        // Kong's is `1.1 kong/<version>`; this gateway names itself (docs/DECISIONS.md).
        header(&headers, "via").is_some_and(|v| v.starts_with("1.1 mtls/")),
        "{headers:?}"
    );
    for name in [
        "x-kong-proxy-latency",
        "x-kong-upstream-latency",
        "x-kong-request-id",
    ] {
        assert!(header(&headers, name).is_some(), "{name}: {headers:?}");
    }
    let seen = &body["headers"];
    for name in [
        "x-consumer-username",
        "x-consumer-custom-id",
        "x-consumer-id",
        "x-forwarded-host",
        "x-forwarded-path",
        "x-forwarded-prefix",
    ] {
        assert!(seen[name].is_string(), "{name}: {body}");
    }
    assert_eq!(seen["x-consumer-username"], "alice@example.com");
    assert_eq!(seen["x-consumer-custom-id"], "alice@example.com");
}

#[test]
fn database_mode_refuses_what_it_cannot_open_and_db_commands_round_trip() {
    assert!(have("curl"), "curl is needed");
    let pki = Pki::new("admin-db");
    // A file that is not a database: a clear error, exit 2.
    let junk = pki.dir.write("junk.db", &"not a database ".repeat(512));
    let out = Command::new(MTLS)
        .args(["serve", "--database"])
        .arg(format!("sqlite://{}", junk.display()))
        .args(["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"])
        .args(["--admin-listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("corrupt or not a database"), "{stderr}");

    // A non-loopback Admin API without TLS is refused before anything starts.
    let out = Command::new(MTLS)
        .args(["serve", "--database", "sqlite::memory:"])
        .args(["--admin-listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("beyond loopback only over TLS"), "{stderr}");

    // db import, then db export gives the same entities back.
    let config = format!(
        "_format_version: \"3.0\"\nca_certificates:\n  - id: 6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10\n    cert: |\n{}\nservices:\n  - name: s\n    url: http://127.0.0.1:9/\n    routes:\n      - name: r\n        paths: [/x]\n        plugins:\n          - name: mtls-auth\n            config:\n              ca_certificates: [6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10]\nconsumers:\n  - username: alice\n",
        yaml_block(&pki.root.pem(), 6)
    );
    let file = pki.dir.write("kong.yaml", &config);
    let db = format!("sqlite://{}", pki.dir.path("imported.db").display());
    let out = Command::new(MTLS)
        .args(["db", "import"])
        .arg(&file)
        .args(["--database", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("5 entities imported"), "{said}");
    let exported = pki.dir.path("exported.yaml");
    let out = Command::new(MTLS)
        .args(["db", "export"])
        .arg(&exported)
        .args(["--database", &db])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (before, _) = mtls_kong_config::load_file(&file).unwrap();
    let (after, _) = mtls_kong_config::load_file(&exported).unwrap();
    assert_eq!(before.to_document(), after.to_document());

    // An import the gateway could not serve changes nothing.
    let broken = pki.dir.write(
        "broken.yaml",
        "_format_version: \"3.0\"\nplugins:\n  - name: mtls-auth\n    config:\n      ca_certificates: [0b4a3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d]\n",
    );
    let out = Command::new(MTLS)
        .args(["db", "import"])
        .arg(&broken)
        .args(["--database", &db])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(MTLS)
        .args(["db", "export", "--database", &db])
        .output()
        .unwrap();
    let (now, _) = mtls_kong_config::load_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(now.plugins().len(), 1, "the refused import wrote nothing");

    // The imported database serves.
    let gateway = Gateway::start_database(MTLS, &pki.dir, &db, &[]);
    let (status, body) = curl(&format!("http://{}/x", gateway.http), &[]);
    assert_eq!(status, 401, "{body}");
}

#[test]
fn db_less_admin_api_is_read_only_and_follows_the_file() {
    assert!(have("curl"), "curl is needed");
    let dir = TempDir::new("admin-dbless");
    let upstream = Upstream::start(None);
    let config = |path: &str| {
        format!(
            "_format_version: \"3.0\"\nservices:\n  - name: echo\n    url: http://{}/\n    routes:\n      - name: r\n        paths: [{path}]\n",
            upstream.addr
        )
    };
    let file = dir.write("kong.yaml", &config("/one"));
    let gateway = Gateway::start(MTLS, &dir, &file, &["--admin-listen", "127.0.0.1:0"]);
    let admin = |p: &str| gateway.admin_url(p);
    let (status, routes) = curl(&admin("/routes"), &[]);
    assert_eq!(status, 200, "{routes}");
    assert_eq!(routes["data"][0]["paths"], serde_json::json!(["/one"]));
    // Writes: Kong's 405 with code 12.
    let (status, body) = curl(
        &admin("/services"),
        &["-d", "name=x", "-d", "url=http://a/"],
    );
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["code"], 12);
    // SIGHUP after the file changed: the proxy and the Admin API both show it.
    dir.write("kong.yaml", &config("/two"));
    gateway.hup();
    assert!(
        until(Duration::from_secs(10), || curl(
            &format!("http://{}/two", gateway.http),
            &[]
        )
        .0 == 200)
        .is_some(),
        "{}",
        gateway.log()
    );
    let (_, routes) = curl(&admin("/routes"), &[]);
    assert_eq!(routes["data"][0]["paths"], serde_json::json!(["/two"]));
    // POST /config replaces it whole.
    let (status, body) = curl(
        &admin("/config"),
        &["-F", &format!("config={}", config("/three"))],
    );
    assert_eq!(status, 201, "{body}");
    let (status, _) = curl(&format!("http://{}/three", gateway.http), &[]);
    assert_eq!(status, 200);
    let (status, _) = curl(&format!("http://{}/two", gateway.http), &[]);
    assert_eq!(status, 404);
}

#[test]
fn sighup_applies_what_another_process_wrote_to_the_database() {
    assert!(have("curl"), "curl is needed");
    let dir = TempDir::new("admin-hup");
    let upstream = Upstream::start(None);
    let db = format!("sqlite://{}", dir.path("mtls.db").display());
    let gateway = Gateway::start_database(MTLS, &dir, &db, &[]);
    let url = format!("http://{}/imported", gateway.http);
    assert_eq!(curl(&url, &[]).0, 404);
    let file = dir.write(
        "kong.yaml",
        &format!(
            "_format_version: \"3.0\"\nservices:\n  - name: echo\n    url: http://{}/\n    routes:\n      - name: r\n        paths: [/imported]\n",
            upstream.addr
        ),
    );
    let out = Command::new(MTLS)
        .args(["db", "import"])
        .arg(&file)
        .args(["--database", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    gateway.hup();
    assert!(
        until(Duration::from_secs(10), || curl(&url, &[]).0 == 200).is_some(),
        "{}",
        gateway.log()
    );
    assert!(gateway.log().contains("applying the database's changes"));
}
