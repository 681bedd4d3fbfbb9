//! Issue 13's attacks through a real `mtls serve`: a raw-socket client writes exactly the
//! bytes of each attack, and an upstream records exactly the bytes it receives. Each test
//! fails on a gateway that routes the raw path, forwards `_` header names, accepts a second
//! Host or a transfer coding it cannot pass on, or blames the upstream for a client's
//! broken body (decisions 13-15).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use serve_support::raw::{Answer, RawUpstream, raw};
use serve_support::*;

const CA_ID: &str = "3f6b2a10-7c4d-4e8a-9b1c-5d2e7f80a913";

/// `/public` is open and forwarded as is (`strip_path: false`); `/admin` needs a client
/// certificate (mtls-auth) and goes to `/internal` on the same upstream.
fn config(root: &Node, upstream: &RawUpstream) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{root}
services:
  - name: public-svc
    url: http://{up}
    routes:
      - name: public
        paths: [/public]
        strip_path: false
  - name: admin-svc
    url: http://{up}/internal
    routes:
      - name: admin
        paths: [/admin]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
consumers:
  - username: alice
    mtls_auth_credentials:
      - subject_name: alice@example.com
"#,
        root = yaml_block(&root.pem(), 6),
        up = upstream.addr,
    )
}

struct Setup {
    _dir: TempDir,
    alice: Node,
    upstream: RawUpstream,
    gateway: Gateway,
}

fn setup(name: &str) -> Setup {
    setup_with_log(name, "info")
}

/// [`setup`] with `RUST_LOG` set to `filter`.
fn setup_with_log(name: &str, filter: &str) -> Setup {
    let dir = TempDir::new(name);
    let root = Node::root("Attack Root CA");
    let alice = root.client("alice", Some("alice@example.com"), false);
    let upstream = RawUpstream::start(Answer::Echo);
    let path = dir.write("kong.yaml", &config(&root, &upstream));
    let path = path.to_str().unwrap();
    let args = [
        "--config",
        path,
        "--listen",
        "127.0.0.1:0",
        "--http-listen",
        "127.0.0.1:0",
    ];
    let gateway = Gateway::spawn(MTLS, &dir, &args, &[("RUST_LOG", filter)]);
    Setup {
        _dir: dir,
        alice,
        upstream,
        gateway,
    }
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: api.test\r\n{extra}Connection: close\r\n\r\n")
        .into_bytes()
}

/// The request line the upstream received last.
fn last_request_line(upstream: &RawUpstream) -> String {
    let requests = upstream.requests();
    let last = requests.last().expect("the upstream received a request");
    last.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn dot_segments_plain_and_encoded_route_as_the_normalised_path() {
    let s = setup("attack-dots");
    // Each of these names /admin: it is routed there (mtls-auth: 401 without a certificate)
    // and the upstream never sees it. Routing the raw path would have matched /public and
    // forwarded the dot segments for the upstream to resolve to /admin.
    for attack in [
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/public/%2E%2E/admin",
        "/public/.%2e/admin",
        "/public/./../admin/x",
    ] {
        let r = raw(s.gateway.http, &get(attack, ""));
        assert_eq!(r.status, 401, "{attack}: {r:?}\n{}", s.gateway.log());
        assert!(
            r.body.contains("No required TLS certificate"),
            "{attack}: {r:?}"
        );
    }
    assert!(
        s.upstream.requests().is_empty(),
        "{:?}",
        s.upstream.requests()
    );

    // Above the root: 400, nothing forwarded.
    for attack in ["/..", "/public/../../admin", "/%2e%2e/admin"] {
        let r = raw(s.gateway.http, &get(attack, ""));
        assert_eq!(r.status, 400, "{attack}: {r:?}");
    }
    assert!(s.upstream.requests().is_empty());

    // The upstream receives the normalised path, and %2F stays encoded (one segment).
    for (sent, received) in [
        ("/public/./a/../b", "GET /public/b HTTP/1.1"),
        ("/public/%2e/x", "GET /public/x HTTP/1.1"),
        ("/public/a%2Fb", "GET /public/a%2Fb HTTP/1.1"),
        ("/public/a%2F..%2Fb", "GET /public/a%2F..%2Fb HTTP/1.1"),
        ("/public//x?q=/../y", "GET /public/x?q=/../y HTTP/1.1"),
    ] {
        let r = raw(s.gateway.http, &get(sent, ""));
        assert_eq!(r.status, 200, "{sent}: {r:?}");
        assert_eq!(last_request_line(&s.upstream), received, "{sent}");
    }

    // With alice's certificate the normalised path reaches the protected route's upstream
    // path (strip_path applied to the normalised path).
    let r = https(
        s.gateway.tls,
        "api.test",
        Some(&s.alice),
        "/public/%2e%2e/admin/x",
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(last_request_line(&s.upstream), "GET /internal/x HTTP/1.1");
}

#[test]
fn underscore_identity_headers_never_reach_the_upstream() {
    let s = setup_with_log("attack-underscore", "info,mtls_gateway::plan=debug");
    let r = raw(
        s.gateway.http,
        &get(
            "/public/x",
            "X_Consumer_Username: admin\r\nX_Credential_Identifier: admin\r\nx_anything: 1\r\nX-Kept: yes\r\n",
        ),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let received = s.upstream.requests().pop().unwrap().to_ascii_lowercase();
    assert!(!received.contains("x_consumer_username"), "{received}");
    assert!(!received.contains("x_credential_identifier"), "{received}");
    assert!(!received.contains("x_anything"), "{received}");
    assert!(!received.contains(": admin"), "{received}");
    assert!(received.contains("x-kept: yes"), "{received}");
    // Logged once per request, at debug, naming the first.
    let log = s.gateway.log();
    let dropped: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request header names with '_' dropped"))
        .collect();
    assert_eq!(dropped.len(), 1, "{log}");
    assert!(
        dropped[0].contains("DEBUG")
            && dropped[0].contains("x_consumer_username")
            && dropped[0].contains("count=3"),
        "{}",
        dropped[0]
    );

    // With a real identity, the identity headers are the gateway's and only the gateway's.
    let r = https(
        s.gateway.tls,
        "api.test",
        Some(&s.alice),
        "/admin",
        &[("X_Consumer_Username", "admin")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let received = s.upstream.requests().pop().unwrap().to_ascii_lowercase();
    assert!(
        received.contains("x-consumer-username: alice"),
        "{received}"
    );
    assert!(!received.contains(": admin"), "{received}");
}

#[test]
fn host_must_be_single_present_and_agree_with_the_target() {
    let s = setup("attack-host");
    let dup = b"GET /public/x HTTP/1.1\r\nHost: api.test\r\nHost: admin.test\r\nConnection: close\r\n\r\n";
    let r = raw(s.gateway.http, dup);
    assert_eq!(r.status, 400, "{r:?}");
    let missing = b"GET /public/x HTTP/1.1\r\nConnection: close\r\n\r\n";
    let r = raw(s.gateway.http, missing);
    assert_eq!(r.status, 400, "{r:?}");
    let mismatch =
        b"GET http://admin.test/public/x HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n";
    let r = raw(s.gateway.http, mismatch);
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        s.upstream.requests().is_empty(),
        "{:?}",
        s.upstream.requests()
    );

    // HTTP/1.0 may leave Host out; one agreeing with an absolute-form target is fine; the
    // upstream always receives exactly one Host.
    let r = raw(s.gateway.http, b"GET /public/x HTTP/1.0\r\n\r\n");
    assert_eq!(r.status, 200, "{r:?}");
    let agree =
        b"GET http://api.test/public/x HTTP/1.1\r\nHost: API.test\r\nConnection: close\r\n\r\n";
    let r = raw(s.gateway.http, agree);
    assert_eq!(r.status, 200, "{r:?}");
    for received in s.upstream.requests() {
        let hosts = received
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("host:"))
            .count();
        assert_eq!(hosts, 1, "{received}");
    }
}

#[test]
fn transfer_codings_other_than_a_lone_chunked_are_refused() {
    let s = setup("attack-te");
    let body = "5\r\nhello\r\n0\r\n\r\n";
    let post = |te: &str, extra: &str| {
        format!(
            "POST /public/x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: {te}\r\n{extra}Connection: close\r\n\r\n{body}"
        )
        .into_bytes()
    };
    let r = raw(s.gateway.http, &post("gzip, chunked", ""));
    assert_eq!(r.status, 501, "{r:?}");
    assert!(
        s.upstream.requests().is_empty(),
        "{:?}",
        s.upstream.requests()
    );
    // Chunked and Content-Length together: hyper's parser reads the body as chunked and the
    // Content-Length never travels on (RFC 9112 section 6.3: an intermediary that forwards
    // such a message removes Content-Length first), so the two cannot disagree upstream.
    let r = raw(s.gateway.http, &post("chunked", "Content-Length: 50\r\n"));
    assert_eq!(r.status, 200, "{r:?}");
    let received = s.upstream.requests().pop().unwrap().to_ascii_lowercase();
    assert!(!received.contains("content-length"), "{received}");
    assert!(received.ends_with("5\r\nhello\r\n0\r\n\r\n"), "{received}");
    // A lone chunked is passed on.
    let r = raw(s.gateway.http, &post("chunked", ""));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains("hello"), "{r:?}");
}

#[test]
fn a_malformed_chunked_body_is_the_clients_fault() {
    let s = setup("attack-chunks");
    for broken in [
        "zz\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\nffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
        "5;\r\nhello\r\n-1\r\n\r\n",
    ] {
        let request = format!(
            "POST /public/x HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{broken}"
        );
        let r = raw(s.gateway.http, request.as_bytes());
        assert_eq!(r.status, 400, "{broken:?}: {r:?}\n{}", s.gateway.log());
    }
    let log = s.gateway.log();
    let blamed = log
        .lines()
        .filter(|l| l.contains("the client's fault, not the upstream's"))
        .count();
    assert_eq!(blamed, 3, "{log}");
    assert!(!log.contains("status=502"), "{log}");
    assert!(!log.contains("upstream failed"), "{log}");
}

#[test]
fn the_gateway_answers_in_its_own_http_version() {
    let s = setup("attack-version");
    // The upstream answers HTTP/1.0; the client asked in HTTP/1.1 and is answered in it.
    let r = raw(s.gateway.http, &get("/public/x", ""));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.status_line.starts_with("HTTP/1.1 "), "{r:?}");
}

#[test]
fn an_oversized_head_is_431_and_never_forwarded() {
    let s = setup("attack-431");
    let big = "a".repeat(128 * 1024);
    let r = raw(
        s.gateway.http,
        &get("/public/x", &format!("X-Big: {big}\r\n")),
    );
    assert_eq!(r.status, 431, "{}", r.status_line);
    assert!(s.upstream.requests().is_empty());
    // The gateway still serves.
    let r = raw(s.gateway.http, &get("/public/x", ""));
    assert_eq!(r.status, 200, "{r:?}");
}
