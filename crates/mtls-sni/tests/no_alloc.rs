//! The lookup does not allocate: measured with a counting global allocator.
//!
//! `stats_alloc` wraps the system allocator and counts every call; the `unsafe impl GlobalAlloc`
//! lives in that crate, so this file stays within the workspace's `forbid(unsafe_code)`. This
//! file holds a single test so that no other test allocates while it measures.

use std::alloc::System;
use std::hint::black_box;

use mtls_sni::{CertificatePlugin, Decision, Route, Scope, SniMap};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use uuid::Uuid;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn lookup_does_not_allocate() {
    let mut routes = Vec::new();
    for i in 0..1_000 {
        routes.push(
            Route::new(format!("exact{i}"))
                .with_service(format!("s{}", i % 10))
                .with_snis([format!("host{i}.example.com")]),
        );
        routes.push(
            Route::new(format!("suffix{i}"))
                .with_service(format!("s{}", i % 10))
                .with_snis([format!("*.tenant{i}.example.net"), format!("*t{i}.odd.org")]),
        );
        routes.push(
            Route::new(format!("prefix{i}"))
                .with_service(format!("s{}", i % 10))
                .with_snis([format!("internal{i}.*"), format!("raw{i}*")]),
        );
    }
    routes.push(Route::new("catch-all").with_service("s-all"));
    let mut plugins: Vec<CertificatePlugin> = (0..10)
        .map(|s| {
            CertificatePlugin::mtls_auth(
                format!("p{s}"),
                Scope::Service(format!("s{s}").into()),
                vec![Uuid::from_u128(s)],
                true,
            )
        })
        .collect();
    plugins.push(CertificatePlugin::tls_handshake_modifier(
        "all",
        Scope::Service("s-all".into()),
    ));
    let map = SniMap::build(&routes, &plugins).unwrap();

    let long = "a".repeat(300);
    let names: Vec<Option<&str>> = vec![
        Some("host17.example.com"),
        Some("HOST17.Example.COM."),
        Some("a.b.tenant3.example.net"),
        Some("xt5.odd.org"),
        Some("internal9.corp.local"),
        Some("raw42xyz"),
        Some("nothing.matches.here"),
        Some(""),
        Some("."),
        Some(&long),
        Some("é.ünïcode.example"),
        None,
    ];

    // Warm up: anything lazily initialised (thread locals, stdout) is done before measuring.
    for name in &names {
        black_box(map.lookup(*name));
    }

    let region = Region::new(GLOBAL);
    let mut requests = 0usize;
    for _ in 0..1_000 {
        for name in &names {
            let decision = map.lookup(black_box(*name));
            if let Decision::Request { ca_ids } = black_box(decision) {
                requests += 1 + ca_ids.len();
            }
            black_box(map.find(black_box(*name)));
        }
    }
    let change = region.change();
    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");
    assert_eq!(change.deallocations, 0, "{change:?}");
    assert!(requests > 0);
}
