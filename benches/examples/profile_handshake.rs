//! The handshakes of `benches/benches/handshake.rs`, outside criterion.
//!
//! - `profile_handshake VARIANT N`: N handshakes of one variant (names as in the bench:
//!   `a_server_auth_only`, `b_mtls_webpki`, `c0_gateway_handshake_only`, `c_gateway_cold`,
//!   `d_gateway_warm`, `e_webpki_resumed`, `e_gateway_resumed`), for callgrind, which counts
//!   instructions instead of timing. The server's work runs inside `server_side`, so
//!   `--toggle-collect='*server_side*'` counts it alone; subtract a run with N = 0 (the setup).
//! - `profile_handshake validators BLOCKS [SIZE]`: the client chain's judgement alone, outside
//!   the handshake, in rounds like `interleaved` (thread CPU time per call, every call on a
//!   chain not seen before, except the warm decision): `WebPkiClientVerifier::verify_client_cert`
//!   (what (b) does), `mtls_cert::validate_chain` with the route's CA set, the cold request
//!   decision (what (c) adds to its handshake), and the warm one.
//! - `profile_handshake decide_warm N`: N request decisions alone (validation-cache hit after
//!   the first), inside `server_side` too.
//! - `profile_handshake interleaved BLOCKS [SIZE]`: BLOCKS rounds; each round runs SIZE
//!   handshakes of every variant in turn and records their mean server time (wall clock and
//!   thread CPU time) and total time. Prints
//!   the per-variant median over the rounds and the median of the per-round ratios to (b):
//!   load that drifts during the run hits every variant of a round alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_benches::handshake::{Fixture, Variant, provider, thread_cpu};
use mtls_cert::pki_types::UnixTime;
use rustls::server::WebPkiClientVerifier;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number =
        |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let fixture = Fixture::new().unwrap();
    if args.first().map(String::as_str) == Some("interleaved") {
        let (blocks, size) = (number(1, 50), number(2, 20));
        let mut server = vec![Vec::new(); Variant::ALL.len()];
        let mut cpu = vec![Vec::new(); Variant::ALL.len()];
        let mut total = vec![Vec::new(); Variant::ALL.len()];
        for _ in 0..blocks {
            for (i, variant) in Variant::ALL.into_iter().enumerate() {
                fixture.prepare(variant, size).unwrap();
                let (mut s, mut c, mut t) = (0.0, 0.0, 0.0);
                for _ in 0..size {
                    let timing = fixture.run(variant).unwrap();
                    s += timing.server.as_secs_f64();
                    c += timing.server_cpu.as_secs_f64();
                    t += timing.total.as_secs_f64();
                }
                server[i].push(s / size as f64);
                cpu[i].push(c / size as f64);
                total[i].push(t / size as f64);
            }
        }
        let b = Variant::ALL
            .iter()
            .position(|v| *v == Variant::WebPki)
            .unwrap();
        println!("rounds: {blocks} x {size} handshakes per variant");
        println!(
            "{:<28} {:>10} {:>9} {:>10} {:>9} {:>10} {:>9}",
            "variant", "server us", "/b", "srv cpu us", "/b", "total us", "/b"
        );
        for (i, variant) in Variant::ALL.into_iter().enumerate() {
            let ratio = |times: &[Vec<f64>]| {
                median(
                    times[i]
                        .iter()
                        .zip(&times[b])
                        .map(|(x, base)| x / base)
                        .collect(),
                )
            };
            println!(
                "{:<28} {:>10.1} {:>9.3} {:>10.1} {:>9.3} {:>10.1} {:>9.3}",
                variant.name(),
                median(server[i].clone()) * 1e6,
                ratio(&server),
                median(cpu[i].clone()) * 1e6,
                ratio(&cpu),
                median(total[i].clone()) * 1e6,
                ratio(&total),
            );
        }
        return;
    }
    if args.first().map(String::as_str) == Some("validators") {
        validators(&fixture, number(1, 60), number(2, 20));
        return;
    }
    if args.first().map(String::as_str) == Some("decide_warm") {
        for _ in 0..number(1, 200) {
            fixture.decide_warm().unwrap();
        }
        return;
    }
    let variant = args
        .first()
        .and_then(|a| Variant::from_name(a))
        .expect("usage: profile_handshake VARIANT N | interleaved BLOCKS [SIZE]");
    let n = number(1, 200);
    if n > 0 {
        fixture.prepare(variant, n).unwrap();
    }
    for _ in 0..n {
        std::hint::black_box(fixture.run(variant).unwrap());
    }
}

/// See the module documentation (`validators`).
fn validators(fixture: &Fixture, blocks: u64, size: u64) {
    let verifier =
        WebPkiClientVerifier::builder_with_provider(fixture.roots().unwrap(), provider())
            .build()
            .unwrap();
    // The route's CA set, as the configuration builds it from the fixture's root.
    let root = mtls_cert::Certificate::from_der(&fixture.roots_der()).unwrap();
    let cas = mtls_cert::CaSet::new(vec![mtls_cert::CaCertificate::trusted(
        uuid::Uuid::nil(),
        root,
    )])
    .unwrap();
    let options = mtls_cert::ValidationOptions::client();
    let names = [
        "webpki_client_verifier",
        "mtls_cert_validate_chain",
        "decide_cold",
        "decide_warm",
    ];
    let mut serial = 1u64 << 40;
    let mut times = vec![Vec::new(); names.len()];
    for _ in 0..blocks {
        for (i, times) in times.iter_mut().enumerate() {
            let chains: Vec<_> = (0..size)
                .map(|_| {
                    serial += 1;
                    fixture.pki.client_chain_with_serial(serial).unwrap()
                })
                .collect();
            let now = UnixTime::now();
            let start = thread_cpu();
            for chain in &chains {
                match i {
                    0 => {
                        std::hint::black_box(
                            verifier
                                .verify_client_cert(&chain[0], &chain[1..], now)
                                .unwrap(),
                        );
                    }
                    1 => {
                        std::hint::black_box(
                            mtls_cert::validate_chain(chain, &cas, &options, now).unwrap(),
                        );
                    }
                    2 => fixture.decide_chain(chain).unwrap(),
                    _ => fixture.decide_warm().unwrap(),
                }
            }
            times.push((thread_cpu() - start).as_secs_f64() / size as f64);
        }
    }
    println!("rounds: {blocks} x {size} calls each, thread CPU time per call");
    for (i, name) in names.iter().enumerate() {
        let ratio = median(
            times[i]
                .iter()
                .zip(&times[0])
                .map(|(x, base)| x / base)
                .collect(),
        );
        println!(
            "{name:<28} {:>8.1} us  {ratio:>6.3}",
            median(times[i].clone()) * 1e6
        );
    }
}
