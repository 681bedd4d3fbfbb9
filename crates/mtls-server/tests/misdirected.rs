//! 421 Misdirected Request (decision 17): a request for a host whose route needs a client
//! certificate, on a connection whose handshake did not ask for one as a handshake for that
//! host would have (no request at all, or a request hinting other CA names). Over HTTP/2 with
//! a coalesced connection, and over HTTP/1.1 with an SNI that differs from the Host.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::*;

const CA2_ID: &str = "7f1c2e3d-4b5a-4c6d-8e9f-0a1b2c3d4e02";

/// `mtls.test` (mtls-auth, the test root, CA names sent), `other.test` (mtls-auth, another
/// CA, CA names sent), `open.test` (no certificate). The mtls-auth routes have `snis`, so
/// only handshakes for their names request a certificate (and only connections with those
/// SNIs match them).
fn three_hosts(pki: &Pki, other_ca: &Node, upstream: &Upstream) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{root}
  - id: {CA2_ID}
    cert: |
{other}
services:
  - name: echo
    url: http://{up}
    routes:
      - name: secure
        hosts: [mtls.test]
        snis: [mtls.test]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
              send_ca_dn: true
      - name: other
        hosts: [other.test]
        snis: [other.test]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA2_ID}]
              send_ca_dn: true
      - name: open
        hosts: [open.test]
consumers:
  - username: alice
"#,
        root = yaml_block(&pki.root.pem(), 6),
        other = yaml_block(&other_ca.pem(), 6),
        up = upstream.addr,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coalesced_http2_requests_get_421() {
    let pki = Pki::new();
    let other_ca = Node::root("Other Root");
    let upstream = Upstream::start(None);
    let gw = Gateway::start(&three_hosts(&pki, &other_ca, &upstream), &pki.server).await;

    // A connection made for open.test (no CertificateRequest), reused for mtls.test as a
    // browser would (the certificate covers both names).
    let tls = tls_connect(gw.tls, "open.test", Some(&pki.alice), &[b"h2"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let mut send = h2_client(tls).await;
    assert_eq!(h2_get(&mut send, "https", "open.test", "/x").await.0, 200);
    let (status, body) = h2_get(&mut send, "https", "mtls.test", "/x").await;
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("Misdirected Request"), "{body}");
    // The connection stays usable for the host it was made for.
    assert_eq!(h2_get(&mut send, "https", "open.test", "/x").await.0, 200);

    // A connection made for mtls.test with alice's certificate: mtls.test is served with her
    // identity, open.test (no certificate needed) is served too, other.test (another CA
    // list) is misdirected.
    let tls = tls_connect(gw.tls, "mtls.test", Some(&pki.alice), &[b"h2"]).await;
    let mut send = h2_client(tls).await;
    let (status, body) = h2_get(&mut send, "https", "mtls.test", "/x").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        upstream_header(&body, "x-consumer-username").as_deref(),
        Some("alice")
    );
    assert_eq!(h2_get(&mut send, "https", "open.test", "/x").await.0, 200);
    assert_eq!(h2_get(&mut send, "https", "other.test", "/x").await.0, 421);

    // On its own connection other.test is asked properly: alice's certificate is from
    // another CA, so mtls-auth refuses it (401), not 421.
    let tls = tls_connect(gw.tls, "other.test", Some(&pki.alice), &[b"h2"]).await;
    let mut send = h2_client(tls).await;
    assert_eq!(h2_get(&mut send, "https", "other.test", "/x").await.0, 401);
    gw.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_with_sni_other_than_host_gets_421() {
    let pki = Pki::new();
    let other_ca = Node::root("Other Root");
    let upstream = Upstream::start(None);
    let gw = Gateway::start(&three_hosts(&pki, &other_ca, &upstream), &pki.server).await;
    let dir = TempDir::new("h1-421");
    let (cert, key) = dir.save(&pki.alice, "alice");
    let port = gw.tls.port();
    let with = |url_host: &str, host: &str, present: bool| {
        let mut args = resolve(&[url_host], gw.tls);
        args.extend(["-k".to_owned(), "--http1.1".to_owned()]);
        args.extend(["-H".to_owned(), format!("Host: {host}")]);
        if present {
            args.extend([
                "--cert".to_owned(),
                cert.display().to_string(),
                "--key".to_owned(),
                key.display().to_string(),
            ]);
        }
        args.push(format!("https://{url_host}:{port}/x"));
        args
    };
    // SNI open.test, Host mtls.test: 421 (with or without a certificate to offer).
    let r = curl(with("open.test", "mtls.test", true)).await;
    assert_eq!(r.status, 421, "{}\n{}", r.body, r.verbose);
    let r = curl(with("open.test", "mtls.test", false)).await;
    assert_eq!(r.status, 421, "{}\n{}", r.body, r.verbose);
    // SNI mtls.test, Host mtls.test: served with the certificate, 401 without.
    let r = curl(with("mtls.test", "mtls.test", true)).await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, r.verbose);
    let r = curl(with("mtls.test", "mtls.test", false)).await;
    assert_eq!(r.status, 401, "{}\n{}", r.body, r.verbose);
    // SNI mtls.test, Host open.test (no certificate needed): served.
    let r = curl(with("mtls.test", "open.test", false)).await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, r.verbose);
    // SNI mtls.test, Host other.test (another CA list): 421.
    let r = curl(with("mtls.test", "other.test", true)).await;
    assert_eq!(r.status, 421, "{}\n{}", r.body, r.verbose);
    // Plain HTTP has no handshake to misdirect: mtls-auth answers 401.
    let r = curl(vec![
        "-H".to_owned(),
        "Host: mtls.test".to_owned(),
        format!("http://{}/x", gw.plain),
    ])
    .await;
    assert_eq!(r.status, 401, "{}\n{}", r.body, r.verbose);
    gw.running.shutdown().await;
}

/// A reload that makes a host need a certificate: an open connection whose handshake did not
/// ask for one gets 421 for it (the route is found on this connection, and needs what the
/// handshake did not ask); a new connection is asked and served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_reload_old_handshakes_get_421() {
    let pki = Pki::new();
    let other_ca = Node::root("Other Root");
    let upstream = Upstream::start(None);
    let before = three_hosts(&pki, &other_ca, &upstream);
    let gw = Gateway::start(&before, &pki.server).await;
    let tls = tls_connect(gw.tls, "open.test", Some(&pki.alice), &[b"h2"]).await;
    let mut old = h2_client(tls).await;
    assert_eq!(h2_get(&mut old, "https", "open.test", "/x").await.0, 200);

    // A reload that asks open.test the same (here: the same configuration again) leaves the
    // connection open.
    gw.handle
        .reload(|v| Ok::<_, std::convert::Infallible>(compile(&before, &pki.server, v)))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(h2_get(&mut old, "https", "open.test", "/x").await.0, 200);

    // open.test now needs alice's CA (mtls-auth on its route, no snis: every handshake asks).
    let after = before.replace(
        "      - name: open\n        hosts: [open.test]\n",
        &format!(
            "      - name: open\n        hosts: [open.test]\n        plugins:\n          - name: mtls-auth\n            config:\n              ca_certificates: [{CA_ID}]\n"
        ),
    );
    assert_ne!(before, after);
    gw.handle
        .reload(|v| Ok::<_, std::convert::Infallible>(compile(&after, &pki.server, v)))
        .unwrap();
    // A request on the old connection right after the reload is 421 (it was not asked for
    // the certificate open.test needs now); then the gateway closes that connection
    // gracefully (GOAWAY): a new request on it is refused, and the client reconnects.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let req = http::Request::get("https://open.test/x").body(()).unwrap();
            let Ok(mut ready) = old.clone().ready().await else {
                return;
            };
            let Ok((response, _)) = ready.send_request(req, true) else {
                return;
            };
            match response.await {
                Ok(r) => assert_eq!(r.status(), 421),
                Err(_) => return,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(closed.is_ok(), "the stale connection was not closed");

    let tls = tls_connect(gw.tls, "open.test", Some(&pki.alice), &[b"h2"]).await;
    let mut new = h2_client(tls).await;
    let (status, body) = h2_get(&mut new, "https", "open.test", "/x").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        upstream_header(&body, "x-consumer-username").as_deref(),
        Some("alice")
    );
    gw.running.shutdown().await;
}
