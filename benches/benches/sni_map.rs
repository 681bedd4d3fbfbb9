//! mtls-sni: building the SNI map for 100,000 routes over 1,000 services, and looking up
//! ClientHello server names (exact, suffix, prefix, miss), against a plain `HashMap<String, _>`
//! get of the same name as the floor. Figures are in docs/BENCHMARKS.md.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mtls_sni::{CertificatePlugin, Route, Scope, SniMap};
use uuid::Uuid;

const ROUTES: usize = 100_000;
const SERVICES: usize = 1_000;

/// Half exact SNIs, a quarter `*.tenantN.example.net`, a quarter `apiN.*`; a route in twenty
/// has a second SNI. One `mtls-auth` per service (half of them with `send_ca_dn`), and a
/// `tls-handshake-modifier` on one route in a hundred.
fn configuration() -> (Vec<Route>, Vec<CertificatePlugin>) {
    let routes: Vec<Route> = (0..ROUTES)
        .map(|i| {
            let service = i % SERVICES;
            let mut snis = vec![match i % 4 {
                0 | 1 => format!("svc{service}-r{i}.example.com"),
                2 => format!("*.tenant{i}.example.net"),
                _ => format!("api{i}.*"),
            }];
            if i % 20 == 0 {
                snis.push(format!("alias{i}.example.org"));
            }
            Route::new(format!("route-{i}"))
                .with_service(format!("service-{service}"))
                .with_snis(snis)
        })
        .collect();
    let mut plugins: Vec<CertificatePlugin> = (0..SERVICES)
        .map(|s| {
            CertificatePlugin::mtls_auth(
                format!("mtls-{s}"),
                Scope::Service(format!("service-{s}").into()),
                vec![Uuid::from_u128(s as u128), Uuid::from_u128(1 << 64)],
                s % 2 == 0,
            )
        })
        .collect();
    plugins.extend((0..ROUTES).step_by(100).map(|i| {
        CertificatePlugin::tls_handshake_modifier(
            format!("thm-{i}"),
            Scope::Route(format!("route-{i}").into()),
        )
    }));
    (routes, plugins)
}

fn bench(c: &mut Criterion) {
    let (routes, plugins) = configuration();

    let mut group = c.benchmark_group("sni_map");
    group.sample_size(10);
    group.bench_function("build_100k_routes_1k_services", |b| {
        b.iter(|| SniMap::build(black_box(&routes), black_box(&plugins)))
    });
    group.finish();

    let Ok(map) = SniMap::build(&routes, &plugins) else {
        panic!("the benchmark configuration is valid");
    };
    let cases = [
        ("exact", "svc345-r12345.example.com"),
        ("suffix", "edge.eu.tenant43210.example.net"),
        ("prefix", "api55555.internal.example.io"),
        ("miss", "www.nothing-here.example.org"),
    ];
    for (kind, name) in cases {
        let expected = kind != "miss";
        assert_eq!(
            map.lookup(Some(name)).requests_certificate(),
            expected,
            "{name}"
        );
    }

    let mut group = c.benchmark_group("sni_lookup");
    for (kind, name) in cases {
        group.bench_function(kind, |b| b.iter(|| map.lookup(black_box(Some(name)))));
    }

    // The floor: a plain std HashMap<String, _> get of the exact name, with std's hasher.
    let plain: HashMap<String, u32> = routes
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.snis.iter().map(move |s| (s.clone(), i as u32)))
        .collect();
    group.bench_function("baseline_std_hashmap_get", |b| {
        b.iter(|| plain.get(black_box(cases[0].1)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
