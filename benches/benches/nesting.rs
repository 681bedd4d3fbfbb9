//! mtls-kong-config: how long a 200 KB adversarial, deeply nested file takes to be refused
//! (issue 13 item 5: under 1 s, in linear time), against loading a real Kong file of the
//! same size as the floor. The depth check runs before any parser; figures are in
//! docs/BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

const SIZE: usize = 200 * 1024;

fn repeat_to(prefix: &str, unit: &str) -> String {
    let mut text = String::from(prefix);
    while text.len() + unit.len() <= SIZE {
        text.push_str(unit);
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut indented = String::from("_format_version: \"3.0\"\nservices:\n");
    let mut level = 0;
    while indented.len() < SIZE {
        indented.push_str(&" ".repeat(level));
        indented.push_str("a:\n");
        level += 1;
    }
    let cases = [
        ("json_arrays", repeat_to("", "[")),
        ("json_objects", repeat_to("", "{\"a\":")),
        (
            "yaml_flow",
            repeat_to("_format_version: \"3.0\"\nservices: ", "{a: ["),
        ),
        (
            "yaml_block_sequences",
            repeat_to("_format_version: \"3.0\"\nservices:\n", "- "),
        ),
        ("yaml_indentation", indented),
    ];
    let mut group = c.benchmark_group("nested_200kb_refused");
    for (name, text) in &cases {
        assert!(
            mtls_kong_config::load_str(text).is_err(),
            "{name} must be refused"
        );
        group.bench_function(*name, |b| {
            b.iter(|| mtls_kong_config::load_str(black_box(text)).is_err())
        });
    }
    group.finish();

    // The floor: a real file of services and routes, about as large.
    let mut real = String::from("_format_version: \"3.0\"\nservices:\n");
    let mut i = 0;
    while real.len() < SIZE {
        real.push_str(&format!(
            "  - name: svc{i}\n    url: http://backend{i}.internal\n    routes:\n      - name: r{i}\n        paths: [\"/p{i}\"]\n"
        ));
        i += 1;
    }
    assert!(mtls_kong_config::load_str(&real).is_ok());
    let mut group = c.benchmark_group("real_200kb_loaded");
    group.sample_size(10);
    group.bench_function("services_and_routes", |b| {
        b.iter(|| mtls_kong_config::load_str(black_box(&real)).is_ok())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
