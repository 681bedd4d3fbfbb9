//! The request decision's hot path allocates what it returns and a fixed few more: measured
//! with a counting global allocator (`stats_alloc`, whose `unsafe impl GlobalAlloc` keeps this
//! file within `forbid(unsafe_code)`). One test in its own binary, so no other test allocates
//! while it counts.
//!
//! A warm mtls-auth decision (validation-cache hit, consumer matched by a mapping, revocation
//! `SKIP`) makes exactly 14 allocations, all of them what its `Allow` owns: nothing is freed
//! again before it returns ([`TRANSIENT_MTLS_AUTH`] is 0). With tls-metadata-headers, the same
//! plus what the header encoders allocate, measured here on the same certificates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::future::Future;
use std::net::IpAddr;
use std::task::{Context, Poll, Waker};

use mtls_cert::Certificate;
use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_gateway::config::load_str;
use mtls_gateway::{Allow, CompileOptions, Decision, RequestFacts, Snapshot};
use mtls_header::encode::url_encoded_pem;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const NO_HEADERS: [(&str, &str); 0] = [];
const CA_ID: &str = "3c9e1d2a-5b4f-4e7a-9c1d-0a2b3c4d5e01";

fn config(root_pem: &str) -> String {
    let pem: String = root_pem.lines().map(|l| format!("      {l}\n")).collect();
    format!(
        r#"_format_version: "3.0"
ca_certificates:
  - id: {CA_ID}
    cert: |
{pem}services:
  - name: backend
    url: https://backend.internal:8443
    routes:
      - name: mtls
        protocols: [https]
        paths: [/mtls]
        snis: [api.example.test]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
              revocation_check_mode: SKIP
      - name: mtls-metadata
        protocols: [https]
        paths: [/meta]
        snis: [api.example.test]
        plugins:
          - name: mtls-auth
            config:
              ca_certificates: [{CA_ID}]
              revocation_check_mode: SKIP
          - name: tls-metadata-headers
            config:
              inject_client_cert_details: true
consumers:
  - username: kongclient
    mtls_auth_credentials:
      - subject_name: client@example.test
        ca_certificate: {CA_ID}
"#
    )
}

/// Root -> intermediate -> client leaf (email SAN, CN), P-256: `(root PEM, [leaf, intermediate])`.
fn pki() -> (String, Vec<CertificateDer<'static>>) {
    let chain = mtls_test_pki::client_chain();
    (chain.root_pem.clone(), chain.presented())
}

/// Polls the decision once with a no-op waker: with `revocation_check_mode: SKIP` it never
/// waits, so no runtime is needed (a tokio current-thread runtime's `block_on` would add an
/// allocation of its own to every call).
fn decide_now(snapshot: &Snapshot, route: &str, facts: &RequestFacts<'_>) -> Decision {
    let mut future = std::pin::pin!(snapshot.decide(route, facts));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(decision) => decision,
        Poll::Pending => panic!("a SKIP decision does not wait"),
    }
}

/// Allocations (count, and how many were freed again) of one call of `f`, warmed first.
fn count<R>(mut f: impl FnMut() -> R) -> (usize, usize) {
    drop(f());
    let region = Region::new(GLOBAL);
    let kept = f();
    let stats = region.change();
    drop(kept);
    (stats.allocations, stats.deallocations)
}

/// What an `Allow` owns on the heap: the `set` and `remove` vectors, each header name and
/// value, and the revocation outcome's detail (`SKIP`).
fn returned_allocations(allow: &Allow) -> usize {
    let vectors = usize::from(allow.set.capacity() > 0) + usize::from(allow.remove.capacity() > 0);
    let strings = allow
        .set
        .iter()
        .map(|(n, v)| usize::from(n.capacity() > 0) + usize::from(v.capacity() > 0))
        .sum::<usize>()
        + allow.remove.iter().filter(|n| n.capacity() > 0).count();
    let revocation = allow
        .revocation
        .as_ref()
        .map_or(0, |r| usize::from(r.detail.capacity() > 0));
    vectors + strings + revocation
}

/// Freed again within a warm mtls-auth decision: nothing. (It was 4: the cached
/// `VerifiedChain` was cloned with its path and anchor, now shared; the header plan's values
/// were copied, now moved with `HeaderPlan::into_set`.)
const TRANSIENT_MTLS_AUTH: usize = 0;

#[test]
fn warm_decision_allocates_only_its_answer() {
    let (root_pem, chain) = pki();
    let (config, warnings) = load_str(&config(&root_pem)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let options = CompileOptions::new(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ));
    let snapshot = Snapshot::compile(&config, 1, &options).unwrap();
    let facts = RequestFacts {
        peer_certificates: Some(&chain),
        headers: &NO_HEADERS,
        peer_addr: IpAddr::from([127, 0, 0, 1]),
        has_credential: false,
        now: UnixTime::now(),
    };
    // What tls-metadata-headers' encoders (mtls-header, mtls-cert) free again per call.
    let leaf = Certificate::from_der(&chain[0]).unwrap();
    let transient = |(allocations, deallocations): (usize, usize)| {
        assert_eq!(allocations, deallocations + 1, "one String returned");
        deallocations
    };
    let encoders = transient(count(|| url_encoded_pem(&chain[..1])))
        + transient(count(|| url_encoded_pem(&chain)))
        + transient(count(|| leaf.sha1_hex()));

    for (route, expected_transient) in [
        ("mtls", TRANSIENT_MTLS_AUTH),
        ("mtls-metadata", TRANSIENT_MTLS_AUTH + encoders),
    ] {
        // Warm: the validation cache holds the chain, the certificate's lazily computed
        // strings are computed, tracing's call sites are registered.
        for _ in 0..3 {
            let d = decide_now(&snapshot, route, &facts);
            assert!(matches!(d, Decision::Allow(_)), "{d:?}");
        }
        const N: usize = 100;
        let mut decisions = Vec::with_capacity(N);
        let region = Region::new(GLOBAL);
        for _ in 0..N {
            decisions.push(decide_now(&snapshot, route, &facts));
        }
        let stats = region.change();
        let Decision::Allow(allow) = &decisions[0] else {
            panic!("{:?}", decisions[0]);
        };
        assert!(decisions.iter().all(|d| d == &decisions[0]));
        assert_eq!(
            allow.consumer.as_ref().and_then(|c| c.username()),
            Some("kongclient")
        );
        let returned = returned_allocations(allow);
        println!(
            "{route}: {} allocations per decision ({returned} returned: set {} headers, remove {}; \
             {} freed again), {} reallocations",
            stats.allocations / N,
            allow.set.len(),
            allow.remove.len(),
            stats.deallocations / N,
            stats.reallocations / N,
        );
        // mtls route: 14 returned (set: the vector and 2 names and 2 values; remove: the
        // vector and 7 names; the revocation outcome's detail), nothing freed again: 14.
        assert_eq!(
            stats.allocations,
            N * (returned + expected_transient),
            "{route}"
        );
        assert_eq!(stats.deallocations, N * expected_transient, "{route}");
        if route == "mtls" {
            assert_eq!(returned, 14);
            assert_eq!(stats.reallocations, 0, "vectors are sized once");
        }
    }
}
