//! The request plan's hot path allocates only what it returns: measured with a counting global
//! allocator (`stats_alloc`, whose `unsafe impl GlobalAlloc` keeps this file within
//! `forbid(unsafe_code)`). One test in its own binary, so no other test allocates while it
//! counts.
//!
//! A warm mtls-auth plan (validation-cache hit, consumer matched by a mapping, revocation
//! `SKIP`, routed, path normalised, forwarded headers built) frees nothing again before it
//! returns: every allocation is owned by the [`UpstreamPlan`] ([`TRANSIENT_MTLS_AUTH`] is 0),
//! and their number is fixed ([`MTLS_AUTH_ALLOCATIONS`]). With tls-metadata-headers, the same
//! plus what the header encoders free again, measured here on the same certificates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;

use mtls_cert::Certificate;
use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_gateway::{ClientAuth, CompileOptions, Connection, Plan, RequestHead, Snapshot, TlsInfo};
use mtls_header::encode::url_encoded_pem;
use mtls_kong_config::load_str;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

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

/// Allocations (count, and how many were freed again) of one call of `f`, warmed first.
fn count<R>(mut f: impl FnMut() -> R) -> (usize, usize) {
    drop(f());
    let region = Region::new(GLOBAL);
    let kept = f();
    let stats = region.change();
    drop(kept);
    (stats.allocations, stats.deallocations)
}

/// Freed again within a warm mtls-auth plan: nothing.
const TRANSIENT_MTLS_AUTH: usize = 0;

/// Allocations of a warm mtls-auth plan, all owned by what it returns: the decision's `Allow`
/// (14: its `set` and `remove` vectors, header names and values, the revocation detail), the
/// plan's header vectors, names and values (consumer and forwarded headers), and the path.
const MTLS_AUTH_ALLOCATIONS: usize = 36;

#[test]
fn warm_plan_allocates_only_its_answer() {
    let (root_pem, chain) = pki();
    let (config, warnings) = load_str(&config(&root_pem)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let options = CompileOptions::new(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ));
    let snapshot = Snapshot::compile(&config, 1, &options).unwrap();
    let tls = TlsInfo {
        sni: Some("api.example.test".to_owned()),
        peer_certificates: Some(chain.clone()),
        client_auth: snapshot
            .handshake()
            .select(Some("api.example.test"))
            .client_auth,
    };
    assert_ne!(tls.client_auth, ClientAuth::NotRequested);
    let conn = Connection {
        peer: "127.0.0.1:40000".parse().unwrap(),
        local_port: 8443,
        tls: Some(&tls),
    };
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::HOST, "api.example.test".parse().unwrap());
    headers.insert(http::header::USER_AGENT, "curl/8".parse().unwrap());
    // What tls-metadata-headers' encoders (mtls-header, mtls-cert) free again per call.
    let leaf = Certificate::from_der(&chain[0]).unwrap();
    let transient = |(allocations, deallocations): (usize, usize)| {
        assert_eq!(allocations, deallocations + 1, "one String returned");
        deallocations
    };
    let encoders = transient(count(|| url_encoded_pem(&chain[..1])))
        + transient(count(|| url_encoded_pem(&chain)))
        + transient(count(|| leaf.sha1_hex()));

    for (path, expected_transient) in [
        ("/mtls/x", TRANSIENT_MTLS_AUTH),
        ("/meta/x", TRANSIENT_MTLS_AUTH + encoders),
    ] {
        let uri: http::Uri = path.parse().unwrap();
        let method = http::Method::GET;
        let head = RequestHead {
            method: &method,
            uri: &uri,
            version: http::Version::HTTP_11,
            headers: &headers,
        };
        let plan = || snapshot.plan(&conn, &head, UnixTime::now());
        // Warm: the validation cache holds the chain, the certificate's lazily computed
        // strings are computed, tracing's call sites are registered.
        for _ in 0..3 {
            let p = plan();
            assert!(matches!(p, Plan::Proxy(_)), "{p:?}");
        }
        const N: usize = 100;
        let mut plans = Vec::with_capacity(N);
        let region = Region::new(GLOBAL);
        for _ in 0..N {
            plans.push(plan());
        }
        let stats = region.change();
        let Plan::Proxy(proxy) = &plans[0] else {
            panic!("{:?}", plans[0]);
        };
        assert_eq!(
            proxy.allow.consumer.as_ref().and_then(|c| c.username()),
            Some("kongclient")
        );
        println!(
            "{path}: {} allocations per plan ({} freed again), {} reallocations; set {} headers, \
             remove {}",
            stats.allocations / N,
            stats.deallocations / N,
            stats.reallocations / N,
            proxy.set.len(),
            proxy.remove.len(),
        );
        assert_eq!(stats.deallocations, N * expected_transient, "{path}");
        if path == "/mtls/x" {
            assert_eq!(stats.allocations, N * MTLS_AUTH_ALLOCATIONS, "{path}");
            // One: a header value's buffer grown while it is written (the plan's vectors are
            // sized once).
            assert!(stats.reallocations <= N, "{}", stats.reallocations);
        }
    }
}
