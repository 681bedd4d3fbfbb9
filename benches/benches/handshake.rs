//! In-memory TLS handshakes (no sockets), issue 9: (a) server authentication only, (b) mTLS
//! with rustls' `WebPkiClientVerifier`, (c) mTLS through mtls-gateway with a cold validation
//! cache (deferred verifier, then the request decision), (d) the same for a returning client
//! (warm cache), (e) resumed TLS 1.3 sessions, for (b) and for the gateway. Also
//! `c0_gateway_handshake_only`: the gateway's handshake without the decision, and
//! `decision/warm_mtls_auth_decide`: the warm decision alone.
//!
//! Three groups from the same fixture: `handshake_server` times the server's calls only (and
//! the decision), wall clock; `handshake_server_cpu` the same calls in thread CPU time (not
//! counting time preempted by other processes); `handshake_total` the whole handshake, client
//! included, wall clock. Select with a filter, e.g. `-- handshake_server_cpu`. See
//! `mtls_benches::handshake` for what is shared and how the async decision is driven (polled
//! once with a no-op waker; a current-thread runtime built outside the timing as fallback).
//!
//! (c) presents a new client certificate every handshake: `iter_custom` generates one per
//! iteration before the timed loop (same key and names, another serial number).
//!
//! Run: `cargo bench -p mtls-benches --bench handshake -- --warm-up-time 1 --measurement-time 4`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mtls_benches::handshake::{Fixture, Timing, Variant};

/// Which part of a handshake's time a group reports.
type Pick = fn(Timing) -> Duration;

fn handshakes(c: &mut Criterion) {
    let fixture = Fixture::new().expect("fixture");
    let groups: [(&str, Pick); 3] = [
        ("handshake_server", |t| t.server),
        ("handshake_server_cpu", |t| t.server_cpu),
        ("handshake_total", |t| t.total),
    ];
    for (group, pick) in groups {
        let mut g = c.benchmark_group(group);
        for variant in Variant::ALL {
            g.bench_function(variant.name(), |b| {
                b.iter_custom(|iterations| {
                    fixture.prepare(variant, iterations).unwrap();
                    let mut sum = Duration::ZERO;
                    for _ in 0..iterations {
                        sum += pick(fixture.run(variant).unwrap());
                    }
                    sum
                })
            });
        }
        g.finish();
    }
    // The warm request decision alone, for scale: what (d) adds to the bare handshake.
    let mut g = c.benchmark_group("decision");
    fixture.decide_warm().unwrap();
    g.bench_function("warm_mtls_auth_decide", |b| {
        b.iter(|| fixture.decide_warm().unwrap())
    });
    g.finish();
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
