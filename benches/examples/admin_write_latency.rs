//! Write-to-swap latency of the Admin API (issue 15): the time from an Admin API write
//! arriving to the node swapping in the configuration that serves it, with 100, 10,000 and
//! 100,000 routes in a SQLite database. The node compiles as `mtls serve` does (the whole
//! gateway snapshot: router, handshake configurations, decisions) and swaps it in before the
//! answer; its compile's share is reported separately.
//!
//! `cargo run --release -p mtls-benches --example admin_write_latency [-- SIZES...]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use mtls_admin::{Admin, AdminSettings, Node, NodeStatus, Prepared};
use mtls_gateway::{CompileOptions, Snapshot, SnapshotHandle};
use mtls_kong_config::{Config, Loader};
use mtls_store::Store;
use serde_json::json;

/// The gateway's own compile (`Snapshot::compile` into a `SnapshotHandle`, as `mtls serve`
/// does); records how long each prepare took.
struct CompilingNode {
    handle: SnapshotHandle,
    options: CompileOptions,
    last_prepare_us: AtomicU64,
}

impl CompilingNode {
    fn new() -> Self {
        let options = CompileOptions::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
        let empty = Config::builder().build().expect("empty");
        let seed = Snapshot::compile(&empty, 0, &options).expect("empty compiles");
        Self {
            handle: SnapshotHandle::new(seed),
            options,
            last_prepare_us: AtomicU64::new(0),
        }
    }
}

impl Node for CompilingNode {
    fn prepare(&self, config: &Config) -> Result<Prepared, String> {
        let start = Instant::now();
        let snapshot = self
            .handle
            .build_next(|v| Snapshot::compile(config, v, &self.options))
            .map_err(|e| e.to_string())?;
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_prepare_us.store(micros, Ordering::Relaxed);
        Ok(Prepared::new(snapshot))
    }

    fn swap(&self, prepared: Prepared) -> u64 {
        match prepared.downcast::<Snapshot>() {
            Ok(snapshot) => self.handle.install(snapshot),
            Err(_) => self.handle.version(),
        }
    }

    fn status(&self) -> NodeStatus {
        NodeStatus::new(self.handle.version(), 0)
    }
}

fn config_with_routes(n: usize) -> Config {
    let routes: Vec<_> = (0..n)
        .map(|i| {
            json!({"name": format!("r{i}"), "paths": [format!("/r{i}")],
                        "snis": [format!("r{i}.example.com")], "protocols": ["https"]})
        })
        .collect();
    Config::builder()
        .service(json!({"name": "svc", "url": "https://upstream.internal", "routes": routes}))
        .build()
        .expect("generated configuration")
}

fn form(path: &str, body: String) -> hyper::Request<Full<Bytes>> {
    hyper::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)))
        .expect("request")
}

async fn measure(n: usize, writes: usize) {
    let dir = std::env::temp_dir().join(format!("mtls-admin-bench-{n}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let store = Store::open(&format!("sqlite://{}", dir.join("mtls.db").display()))
        .await
        .expect("store");
    let setup = Instant::now();
    store.import(&config_with_routes(n)).await.expect("import");
    let node = Arc::new(CompilingNode::new());
    let admin = Admin::with_database(store, Loader::new(), node.clone(), AdminSettings::default())
        .await
        .expect("admin");
    let setup = setup.elapsed();
    let mut totals = Vec::new();
    let mut prepares = Vec::new();
    for i in 0..writes {
        let body = format!("name=new{i}&paths[]=/new{i}&protocols=https&snis=new{i}.example.com");
        let start = Instant::now();
        let response = admin.handle(form("/services/svc/routes", body)).await;
        let total = start.elapsed();
        assert_eq!(response.status(), 201, "write {i} at {n} routes");
        // Served: the proxy's snapshot holds the new route when the answer arrives.
        let path = format!("/new{i}");
        assert!(
            node.handle
                .load()
                .router()
                .routes()
                .iter()
                .any(|r| r.paths.contains(&path)),
            "write {i} served"
        );
        totals.push(total);
        prepares.push(Duration::from_micros(
            node.last_prepare_us.load(Ordering::Relaxed),
        ));
    }
    // The configuration step alone: one route checked against the configuration and
    // applied (the copy of the changed kind's list and the cross-entity checks).
    let config = admin.config();
    let mut applies = Vec::new();
    for i in 0..writes {
        let record = mtls_kong_config::Record {
            kind: mtls_kong_config::Kind::Route,
            value: json!({"id": uuid::Uuid::new_v4(), "name": format!("x{i}"), "paths": [format!("/x{i}")],
                          "service": "svc"}),
            path: String::new(),
        };
        let start = Instant::now();
        let entity = Loader::new().check_record(&config, record).expect("valid");
        let next = config
            .apply([mtls_kong_config::Change::put(entity)])
            .expect("applies");
        applies.push(start.elapsed());
        drop(next);
    }
    applies.sort();
    totals.sort();
    prepares.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    println!(
        "{n:>7} routes: write-to-swap median {:>8.2?} p95 {:>8.2?} max {:>8.2?} | node compile median {:>8.2?} | check+apply median {:>8.2?} | rest {:>8.2?} (setup {:.1?})",
        median(&totals),
        totals[totals.len() * 95 / 100],
        totals[totals.len() - 1],
        median(&prepares),
        median(&applies),
        median(&totals)
            .saturating_sub(median(&prepares))
            .saturating_sub(median(&applies)),
        setup,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100, 10_000, 100_000]
    } else {
        sizes
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for n in sizes {
        runtime.block_on(measure(n, 40));
    }
}
