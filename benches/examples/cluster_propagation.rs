//! Change propagation between `mtls serve` nodes on one PostgreSQL (issue 16): a route
//! written through node A's Admin API, timed until every other node's proxy serves it.
//! With 2 and with 4 nodes on loopback, a throwaway PostgreSQL (the system's `initdb` and
//! `pg_ctl`, as the tests start it), `db_update_frequency` at 60 s so that only the
//! announcements (LISTEN/NOTIFY) carry the change.
//!
//! `cargo build --release -p mtls-examples && cargo run --release -p mtls-benches --example
//! cluster_propagation -- [WRITES] [MTLS_BINARY]` (defaults: 200, target/release/mtls).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use mtls_test_pki::TempDir;
use mtls_test_pki::postgres::Postgres;
use mtls_test_pki::servers::{Gateway, Upstream};

/// One HTTP/1.1 request on a fresh connection; the status.
fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn run(binary: &str, nodes: usize, writes: usize) {
    let pg = Postgres::start(&format!("propagation-{nodes}")).expect("PostgreSQL runs");
    let dir = TempDir::new("propagation");
    let upstream = Upstream::start(None);
    let gateways: Vec<Gateway> = (0..nodes)
        .map(|_| {
            Gateway::spawn(
                binary,
                &dir,
                &[
                    "--database",
                    &pg.url,
                    "--admin-listen",
                    "127.0.0.1:0",
                    "--listen",
                    "127.0.0.1:0",
                    "--http-listen",
                    "127.0.0.1:0",
                ],
                &[("KONG_DB_UPDATE_FREQUENCY", "60"), ("RUST_LOG", "warn")],
            )
        })
        .collect();
    let a = gateways[0].admin.unwrap();
    let body = format!("name=echo&url=http://{}/", upstream.addr);
    assert_eq!(request(a, "POST", "/services", &body), 201);
    let mut slowest = Vec::with_capacity(writes);
    let mut each = Vec::with_capacity(writes * (nodes - 1));
    for i in 0..writes {
        let start = Instant::now();
        let status = request(
            a,
            "POST",
            "/services/echo/routes",
            &format!("paths[]=/w{i}"),
        );
        assert_eq!(status, 201, "write {i}");
        let mut pending: Vec<SocketAddr> = gateways[1..].iter().map(|g| g.http).collect();
        let deadline = start + Duration::from_secs(10);
        while !pending.is_empty() {
            assert!(
                Instant::now() < deadline,
                "write {i} not propagated in 10 s"
            );
            pending.retain(|&addr| {
                if request(addr, "GET", &format!("/w{i}"), "") == 404 {
                    return true;
                }
                each.push(start.elapsed());
                false
            });
            if !pending.is_empty() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        slowest.push(start.elapsed());
    }
    slowest.sort();
    each.sort();
    println!(
        "{nodes} nodes, {writes} writes: write on A to served by node X: p50 {:.1?} p99 {:.1?} max {:.1?}; to served by every node: p50 {:.1?} p99 {:.1?} max {:.1?}",
        percentile(&each, 50),
        percentile(&each, 99),
        each[each.len() - 1],
        percentile(&slowest, 50),
        percentile(&slowest, 99),
        slowest[slowest.len() - 1],
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let writes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let binary = args
        .next()
        .unwrap_or_else(|| "target/release/mtls".to_owned());
    for nodes in [2, 4] {
        run(&binary, nodes, writes);
    }
}
