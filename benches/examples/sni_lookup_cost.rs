//! Instruction counts per lookup, for `valgrind --tool=callgrind`: the benchmark's
//! configuration (`mtls_benches::sni`, as `benches/benches/sni_map.rs` uses),
//! then `ITERATIONS` lookups of one case inside `measured`, which callgrind counts alone:
//!
//! ```text
//! cargo build --release -p mtls-benches --example sni_lookup_cost
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/examples/sni_lookup_cost prefix
//! ```
//!
//! Instructions per lookup = the `Ir` total / `ITERATIONS`. Cases: exact, suffix, prefix, miss,
//! std (a std `HashMap<String, u32>` get of the exact name, the floor).

use std::collections::HashMap;
use std::hint::black_box;

use mtls_benches::sni::configuration;
use mtls_sni::SniMap;

const ITERATIONS: usize = 10_000;

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
