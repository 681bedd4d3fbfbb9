//! Routing a request over plain prefix routes allocates nothing: measured with a counting
//! global allocator (`stats_alloc`, whose `unsafe impl GlobalAlloc` keeps this file within
//! `forbid(unsafe_code)`). One test in its own binary, so no other test allocates while it
//! counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::collections::BTreeMap;

use mtls_gateway::normalize_path as normalize;
use mtls_gateway::{RequestInfo, RequestProtocol, RouteMatch, Router};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn routing_plain_routes_allocates_nothing() {
    let mut routes: Vec<RouteMatch> = (0..200)
        .map(|i| RouteMatch {
            hosts: vec![format!("svc-{i}.example.test"), format!("*.svc-{i}.test")],
            paths: vec![format!("/api/v{i}"), format!("/api/w{i}")],
            methods: vec!["GET".into(), "POST".into()],
            ..RouteMatch::default()
        })
        .collect();
    // A header route of higher priority is tried (and fails) first: exact values only.
    routes.push(RouteMatch {
        hosts: vec!["svc-7.example.test".into()],
        paths: vec!["/api/v7".into()],
        methods: vec!["GET".into()],
        headers: BTreeMap::from([("x-canary".into(), vec!["on".into()])]),
        ..RouteMatch::default()
    });
    let router = Router::new(routes).unwrap();
    let headers = [("accept", "*/*"), ("x-canary", "off")];

    let region = Region::new(GLOBAL);
    let path = normalize("/api/v7/orders/12").unwrap();
    let req = RequestInfo {
        host: "svc-7.example.test",
        port: 443,
        path: path.as_str(),
        method: "GET",
        sni: Some("svc-7.example.test"),
        protocol: RequestProtocol::Https,
        http2: true,
        headers: &headers,
    };
    let outcome = router.route(&req);
    let miss = router.route(&RequestInfo {
        host: "nowhere.test",
        ..req
    });
    let stats = region.change();

    assert_eq!(outcome.route(), Some(7));
    assert_eq!(miss.route(), None);
    assert!(path.is_borrowed());
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "{stats:?}"
    );
}
