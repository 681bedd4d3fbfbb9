//! Several `mtls serve` nodes on one real PostgreSQL (issue 16): a write on one node is
//! served by every other, a deleted consumer is refused everywhere, and an outage of the
//! database is survived (the nodes keep serving, writes answer 503, then everything catches
//! up). Timing is measured by `benches/examples/cluster_propagation.rs`, not asserted here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod serve_support;

use std::process::Command;
use std::time::{Duration, Instant};

use mtls_test_pki::postgres::Postgres;
use serve_support::*;

#[test]
fn writes_reach_every_node_and_outages_are_survived() {
    assert!(have("curl"), "curl is needed");
    let Some(pg) = Postgres::start("cluster") else {
        return;
    };
    let dir = TempDir::new("cluster");
    let upstream = Upstream::start(None);
    let root = Node::root("Cluster Root CA");
    let alice = root.client("alice", Some("alice@example.com"), false);
    let root_file = dir.write("root.crt", &root.pem());
    let (cert, key) = dir.save(&alice, "alice");
    let identity = [
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    // db_update_frequency is long: what reaches the others is the announcement.
    let node = |_: usize| {
        Gateway::spawn(
            MTLS,
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
                "--status-listen",
                "127.0.0.1:0",
            ],
            &[("KONG_DB_UPDATE_FREQUENCY", "60")],
        )
    };
    let nodes: Vec<Gateway> = (0..3).map(node).collect();
    let a = &nodes[0];

    // A service and a route written on A: served by B and C.
    let (status, body) = curl(
        &a.admin_url("/services"),
        &[
            "-d",
            "name=echo",
            "-d",
            &format!("url=http://{}/anything", upstream.addr),
        ],
    );
    assert_eq!(status, 201, "{body}\n{}", a.log());
    let (status, _) = curl(&a.admin_url("/services/echo/routes"), &["-d", "paths[]=/x"]);
    assert_eq!(status, 201);
    for other in &nodes[1..] {
        let took = until(Duration::from_secs(10), || {
            curl(&format!("http://{}/x", other.http), &[]).0 == 200
        });
        assert!(took.is_some(), "not propagated:\n{}", other.log());
        println!("route served by another node after {took:?}");
    }

    // mtls-auth and a consumer, written on B; then the consumer deleted on C: refused on A.
    let b = &nodes[1];
    let (status, ca) = curl(
        &b.admin_url("/ca_certificates"),
        &["-F", &format!("cert=@{}", root_file.display())],
    );
    assert_eq!(status, 201, "{ca}");
    let (status, _) = curl(
        &b.admin_url("/plugins"),
        &[
            "-d",
            "name=mtls-auth",
            "-d",
            &format!("config.ca_certificates={}", ca["id"].as_str().unwrap()),
        ],
    );
    assert_eq!(status, 201);
    let (status, _) = curl(&b.admin_url("/consumers"), &["-d", "username=alice"]);
    assert_eq!(status, 201);
    let on_a = format!("https://{}/x", a.tls);
    assert!(
        until(Duration::from_secs(10), || curl(&on_a, &identity).0 == 200).is_some(),
        "{}",
        a.log()
    );
    let c = &nodes[2];
    let (status, _) = curl(&c.admin_url("/consumers/alice"), &["-X", "DELETE"]);
    assert_eq!(status, 204);
    let refused = until(Duration::from_secs(10), || curl(&on_a, &identity).0 == 401);
    assert!(
        refused.is_some(),
        "a deleted consumer still let in:\n{}",
        a.log()
    );
    println!("deleted consumer refused by another node after {refused:?}");

    // alice again, so that the outage is crossed by requests that need her consumer.
    let (status, _) = curl(&b.admin_url("/consumers"), &["-d", "username=alice"]);
    assert_eq!(status, 201);
    assert!(until(Duration::from_secs(10), || curl(&on_a, &identity).0 == 200).is_some());
    // A bounded request loop on A across the outage: every answer must stay 200.
    let stop_loop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let looping = {
        let (url, stop) = (on_a.clone(), std::sync::Arc::clone(&stop_loop));
        let identity: Vec<String> = identity.iter().map(|s| (*s).to_owned()).collect();
        std::thread::spawn(move || {
            let args: Vec<&str> = identity.iter().map(String::as_str).collect();
            let (mut sent, mut failed) = (0u32, Vec::new());
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && sent < 2000
                && Instant::now() < deadline
            {
                let status = curl(&url, &args).0;
                sent += 1;
                if status != 200 {
                    failed.push(status);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (sent, failed)
        })
    };
    // The database goes away: every node keeps serving; a write answers 503.
    pg.stop();
    for n in &nodes {
        assert_eq!(curl(&format!("https://{}/x", n.tls), &[]).0, 401);
    }
    let started = Instant::now();
    let (status, body) = curl(&a.admin_url("/consumers"), &["-d", "username=bob"]);
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    let status_addr = a.status.unwrap();
    assert!(
        until(Duration::from_secs(15), || {
            curl(&format!("http://{status_addr}/metrics"), &[])
                .1
                .as_str()
                .is_some_and(|m| m.contains("kong_datastore_reachable 0"))
        })
        .is_some(),
        "{}",
        a.log()
    );
    // It comes back: a write on one node reaches the others again.
    pg.restart();
    // The loop ends before anything is written again (the delete below is meant to refuse).
    stop_loop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (sent, failed) = looping.join().unwrap();
    println!(
        "{sent} requests across the outage, {} not 200",
        failed.len()
    );
    assert!(sent > 10, "the loop ran: {sent}");
    assert!(
        failed.is_empty(),
        "answers other than 200 during the outage: {failed:?}"
    );
    let wrote = until(Duration::from_secs(20), || {
        curl(&c.admin_url("/consumers/alice"), &["-X", "DELETE"]).0 == 204
    });
    assert!(wrote.is_some(), "{}", c.log());
    for n in &nodes {
        let caught_up = until(Duration::from_secs(20), || {
            curl(&format!("https://{}/x", n.tls), &identity).0 == 401
        });
        assert!(
            caught_up.is_some(),
            "not caught up after the outage:\n{}",
            n.log()
        );
    }
    assert!(
        a.log().contains("the database cannot be reached"),
        "{}",
        a.log()
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

#[test]
fn a_node_started_while_the_database_is_down_serves_its_local_snapshot() {
    assert!(have("curl"), "curl is needed");
    let Some(pg) = Postgres::start("local-snapshot") else {
        return;
    };
    let dir = TempDir::new("local-snapshot");
    let upstream = Upstream::start(None);
    let snapshot = dir.path("node-snapshot.json");
    let snapshot_arg = snapshot.display().to_string();
    let admin_port = free_port();
    let admin_addr = format!("127.0.0.1:{admin_port}");
    let args = [
        "--database",
        pg.url.as_str(),
        "--admin-listen",
        admin_addr.as_str(),
        "--listen",
        "127.0.0.1:0",
        "--http-listen",
        "127.0.0.1:0",
        "--snapshot-file",
        snapshot_arg.as_str(),
    ];
    let mut first = Gateway::spawn(MTLS, &dir, &args, &[]);
    let (status, _) = curl(
        &first.admin_url("/services"),
        &[
            "-d",
            "name=echo",
            "-d",
            &format!("url=http://{}/", upstream.addr),
        ],
    );
    assert_eq!(status, 201);
    let (status, _) = curl(
        &first.admin_url("/services/echo/routes"),
        &["-d", "paths[]=/kept"],
    );
    assert_eq!(status, 201);
    // The local copy follows within a second or so; it holds keys, so it is private.
    let written = until(Duration::from_secs(10), || {
        std::fs::read_to_string(&snapshot).is_ok_and(|t| t.contains("/kept"))
    });
    assert!(written.is_some(), "{}", first.log());
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&snapshot).unwrap().permissions(),
    );
    assert_eq!(mode & 0o077, 0);
    assert_eq!(first.terminate(), Some(0));

    // The database is down: without a snapshot the node refuses to start...
    pg.stop();
    let out = Command::new(MTLS)
        .arg("serve")
        .args(&args[..8])
        .args(["--snapshot-file", "off"])
        .env("KONG_ADMIN_LISTEN", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no local snapshot"), "{stderr}");
    // ...and with one it serves it.
    let second = Gateway::spawn(MTLS, &dir, &args, &[]);
    let (status, _) = curl(&format!("http://{}/kept", second.http), &[]);
    assert_eq!(status, 200, "{}", second.log());
    assert!(second.log().contains("serving the local snapshot"));
    // The database comes back: the Admin API opens, and writes are served again.
    pg.restart();
    let back = until(Duration::from_secs(40), || {
        curl(
            &format!("http://{admin_addr}/services/echo/routes"),
            &["-d", "paths[]=/after"],
        )
        .0 == 201
    });
    assert!(back.is_some(), "{}", second.log());
    let (status, _) = curl(&format!("http://{}/after", second.http), &[]);
    assert_eq!(status, 200, "{}", second.log());
}

/// The usernames of every consumer a node's Admin API lists (pages of 1000).
fn usernames(node: &Gateway) -> Vec<String> {
    let (status, page) = curl(&node.admin_url("/consumers?size=1000"), &[]);
    assert_eq!(status, 200, "{page}");
    let mut names: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["username"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn a_node_killed_during_writes_leaves_no_partial_state() {
    assert!(have("curl"), "curl is needed");
    let Some(pg) = Postgres::start("killed") else {
        return;
    };
    let dir = TempDir::new("killed");
    let node = || Gateway::start_database(MTLS, &dir, &pg.url, &[]);
    let mut a = node();
    let b = node();
    // Writes on A, one after the other, until A is killed (bounded: 500 writes, 30 s).
    let url = a.admin_url("/consumers");
    let writer = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        for i in 0..500 {
            if Instant::now() > deadline {
                break;
            }
            let name = format!("user-{i:03}");
            match curl(&url, &["-d", &format!("username={name}")]).0 {
                201 => acknowledged.push(name),
                _ => break,
            }
        }
        acknowledged
    });
    std::thread::sleep(Duration::from_millis(700));
    a.child.kill().unwrap();
    let _ = a.child.wait();
    let acknowledged = writer.join().unwrap();
    assert!(
        !acknowledged.is_empty(),
        "no write was acknowledged before the kill"
    );
    // A fresh node reads the database; B, which followed A, agrees with it.
    let c = node();
    let stored = usernames(&c);
    let agreed = until(Duration::from_secs(10), || usernames(&b) == stored);
    assert!(
        agreed.is_some(),
        "B and the database disagree:\n{}",
        b.log()
    );
    // Every acknowledged write is there, and nothing but whole consumers of this run.
    for name in &acknowledged {
        assert!(
            stored.contains(name),
            "{name} was acknowledged but is not stored"
        );
    }
    assert!(
        stored.len() <= acknowledged.len() + 1,
        "{} stored, {} acknowledged",
        stored.len(),
        acknowledged.len()
    );
    assert!(stored.iter().all(|n| n.starts_with("user-")));
    // A restarts on the same database and serves the same.
    let a = node();
    assert_eq!(usernames(&a), stored);
    println!(
        "{} writes acknowledged before the kill, {} stored",
        acknowledged.len(),
        stored.len()
    );
}
