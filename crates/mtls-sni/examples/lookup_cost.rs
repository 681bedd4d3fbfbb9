//! Instruction counts per lookup, for `valgrind --tool=callgrind`: the benchmark's
//! configuration (100,000 routes over 1,000 services, as in `benches/benches/sni_map.rs`),
//! then `ITERATIONS` lookups of one case inside `measured`, which callgrind counts alone:
//!
//! ```text
//! cargo build --release -p mtls-sni --example lookup_cost
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/examples/lookup_cost prefix
//! ```
//!
//! Instructions per lookup = the `Ir` total / `ITERATIONS`. Cases: exact, suffix, prefix, miss,
//! std (a std `HashMap<String, u32>` get of the exact name, the floor).

use std::collections::HashMap;
use std::hint::black_box;

use mtls_sni::{CertificatePlugin, Route, Scope, SniMap};
use uuid::Uuid;

const ROUTES: usize = 100_000;
const SERVICES: usize = 1_000;
const ITERATIONS: usize = 10_000;

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

#[inline(never)]
fn measured(map: &SniMap, name: &str) -> usize {
    let mut requests = 0;
    for _ in 0..ITERATIONS {
        if map.lookup(black_box(Some(name))).requests_certificate() {
            requests += 1;
        }
    }
    requests
}

#[inline(never)]
fn measured_std(plain: &HashMap<String, u32>, name: &str) -> usize {
    let mut found = 0;
    for _ in 0..ITERATIONS {
        if plain.get(black_box(name)).is_some() {
            found += 1;
        }
    }
    found
}

fn main() {
    let case = std::env::args().nth(1).unwrap_or_else(|| "exact".into());
    let (routes, plugins) = configuration();
    let name = match case.as_str() {
        "exact" | "std" => "svc345-r12345.example.com",
        "suffix" => "edge.eu.tenant43210.example.net",
        "prefix" => "api55555.internal.example.io",
        "miss" => "www.nothing-here.example.org",
        other => panic!("unknown case {other}: exact, suffix, prefix, miss or std"),
    };
    let found = if case == "std" {
        let plain: HashMap<String, u32> = routes
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.snis.iter().map(move |s| (s.clone(), i as u32)))
            .collect();
        measured_std(&plain, name)
    } else {
        let Ok(map) = SniMap::build(&routes, &plugins) else {
            panic!("the configuration is valid");
        };
        measured(&map, name)
    };
    assert_eq!(found, if case == "miss" { 0 } else { ITERATIONS }, "{case}");
    println!("{case}: {ITERATIONS} lookups of {name}");
}
