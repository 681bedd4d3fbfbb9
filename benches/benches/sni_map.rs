//! mtls-sni: building the SNI map for 100,000 routes over 1,000 services, and looking up
//! ClientHello server names (exact, suffix, prefix, miss), against a plain `HashMap<String, _>`
//! get of the same name as the floor. Figures are in docs/BENCHMARKS.md.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mtls_benches::sni::configuration;
use mtls_sni::SniMap;

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
