//! `mtls serve` end to end: SIGHUP reloads under traffic; a broken file changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serve_support::*;

const CA_ID: &str = "5d2f8e1a-7c4b-4e3d-9a6f-2b1c0d9e8f7a";

fn config(ca: &Node, upstream: &Upstream) -> String {
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{ca}
services:
  - name: echo
    url: http://{up}/anything
    routes:
      - name: mtls-route
        paths: [/mtls]
        snis: [mtls.test]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
      - name: public
        paths: [/public]
consumers:
  - username: alice
  - username: bob
"#,
        ca = yaml_block(&ca.pem(), 6),
        up = upstream.addr,
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

#[test]
fn sighup_reload_under_traffic() {
    let dir = TempDir::new("reload");
    let first = Node::root("First CA");
    let second = Node::root("Second CA");
    let alice = first.client("alice", None, false);
    let bob = second.client("bob", None, false);
    let upstream = Upstream::start(None);
    let path = dir.write("kong.yaml", &config(&first, &upstream));
    let gateway = Gateway::start(MTLS, &dir, &path, &[]);
    let (tls, http_addr) = (gateway.tls, gateway.http);

    assert_eq!(
        https(tls, "mtls.test", Some(&alice), "/mtls", &[]).status,
        200
    );
    assert_eq!(
        https(tls, "mtls.test", Some(&bob), "/mtls", &[]).status,
        401
    );

    // Traffic during every swap: new TLS connections (handshakes) and plain requests.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let traffic = {
        let (stop, sent, failures) = (stop.clone(), sent.clone(), failures.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                let a = https(tls, "public.test", None, "/public", &[]);
                let b = http(http_addr, "public.test", "/public", &[]);
                sent.fetch_add(2, Ordering::SeqCst);
                for r in [a, b] {
                    if r.status != 200 {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{} {}", r.status, r.body));
                    }
                }
            }
        })
    };

    // A new CA list: takes effect for new requests.
    std::fs::write(&path, config(&second, &upstream)).unwrap();
    gateway.hup();
    assert!(
        eventually(|| https(tls, "mtls.test", Some(&bob), "/mtls", &[]).status == 200),
        "{}",
        gateway.log()
    );
    assert_eq!(
        https(tls, "mtls.test", Some(&alice), "/mtls", &[]).status,
        401
    );
    let r = https(tls, "mtls.test", Some(&bob), "/mtls", &[]);
    assert_eq!(
        r.upstream_header("x-consumer-username").as_deref(),
        Some("bob")
    );

    // A broken file: refused, logged, and the running configuration keeps serving.
    std::fs::write(
        &path,
        "_format_version: \"3.0\"\nservices:\n  - name: [broken\n",
    )
    .unwrap();
    gateway.hup();
    assert!(
        eventually(|| gateway.log().matches("reload refused").count() >= 1),
        "{}",
        gateway.log()
    );
    std::fs::write(
        &path,
        config(&second, &upstream).replace(
            "ca_certificates: [",
            "ca_certificates: [00000000-0000-0000-0000-00000000000",
        ),
    )
    .unwrap();
    gateway.hup();
    assert!(
        eventually(|| gateway.log().matches("reload refused").count() >= 2),
        "{}",
        gateway.log()
    );
    assert_eq!(
        https(tls, "mtls.test", Some(&bob), "/mtls", &[]).status,
        200
    );
    assert_eq!(
        https(tls, "mtls.test", Some(&alice), "/mtls", &[]).status,
        401
    );

    // And back to the first CA.
    std::fs::write(&path, config(&first, &upstream)).unwrap();
    gateway.hup();
    assert!(eventually(|| https(
        tls,
        "mtls.test",
        Some(&alice),
        "/mtls",
        &[]
    )
    .status
        == 200));

    stop.store(true, Ordering::SeqCst);
    traffic.join().unwrap();
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert!(sent.load(Ordering::SeqCst) >= 4, "too little traffic");
    let log = gateway.log();
    assert!(log.contains("configuration reloaded"), "{log}");
}
