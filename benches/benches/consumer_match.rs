//! mtls-consumer at Kong scale: 1,000,000 consumers and 1,000,000 credentials.
//!
//! - `consumer_index/build_1m`: validate and index 1M consumers + 1M credentials.
//! - `consumer_match/*`: one full match (several names; mappings, then username / custom_id)
//!   against the 1M store, for a mapping hit, a username or custom_id hit after misses, a full
//!   miss falling to failure, and the same over 4,096 rotating identities (cache-cold).
//! - `consumer_match/baseline_std_hashmap_get[_rotating_4096]`: one `HashMap<String, u32>::get(&str)`
//!   on 1M keys (the same key, or the 4,096 rotating usernames), the same-run reference for ratios.
//!
//! Memory per consumer is printed once (RSS from /proc/self/statm before generating the entities
//! and after building the store; each consumer comes with one credential).
//!
//! Run: `cargo bench -p mtls-benches --bench consumer_match -- --warm-up-time 1 --measurement-time 3`

// criterion's macros generate undocumented items; a bench may stop on its own fixtures.
#![allow(missing_docs, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mtls_consumer::{
    CertificateIdentity, Consumer, Credential, InMemoryStore, MatchSettings, Outcome,
    match_consumer,
};
use uuid::Uuid;

const N: usize = 1_000_000;
const CA: Uuid = Uuid::from_u128(0xca1);

/// 1M consumers (username `user-i`, custom_id `cid-i`) and 1M credentials (`svc-i.example`, with
/// the CA for even i, without for odd i).
fn entities() -> (Vec<Consumer>, Vec<Credential>) {
    let consumers = (0..N)
        .map(|i| Consumer {
            id: Uuid::from_u128(i as u128 + 1),
            username: Some(format!("user-{i}")),
            custom_id: Some(format!("cid-{i}")),
            tags: Vec::new(),
        })
        .collect();
    let credentials = (0..N)
        .map(|i| {
            Credential::new(
                Uuid::from_u128((1 << 64) + i as u128),
                Uuid::from_u128(((i * 7919) % N) as u128 + 1),
                format!("svc-{i}.example"),
                (i % 2 == 0).then_some(CA),
            )
        })
        .collect();
    (consumers, credentials)
}

fn build(consumers: Vec<Consumer>, credentials: Vec<Credential>) -> InMemoryStore {
    InMemoryStore::builder()
        .ca_certificates([CA])
        .consumers(consumers)
        .mtls_auth_credentials(credentials)
        .build()
        .expect("bench entities are valid")
}

/// Resident set size in bytes (Linux; 4 KiB pages), or 0 elsewhere.
fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn bench_index(c: &mut Criterion) {
    let mut group = c.benchmark_group("consumer_index");
    group.sample_size(10);
    group.bench_function("build_1m_consumers_1m_credentials", |b| {
        b.iter_batched(
            entities,
            |(consumers, credentials)| build(consumers, credentials),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn bench_match(c: &mut Criterion) {
    let rss_before = rss_bytes();
    let (consumers, credentials) = entities();
    let started = Instant::now();
    let store = build(consumers, credentials);
    let build_time = started.elapsed();
    let rss_after = rss_bytes();
    eprintln!(
        "mtls-consumer: one build of {N} consumers + {N} credentials took {build_time:?}; \
         RSS grew by {:.1} MiB = {} bytes per consumer (with its credential)",
        (rss_after.saturating_sub(rss_before)) as f64 / (1024.0 * 1024.0),
        rss_after.saturating_sub(rss_before) / N
    );

    let settings = MatchSettings::default();
    let mut group = c.benchmark_group("consumer_match");

    let mapping = ["svc-123456.example", "someone@example.com", "cn-123456"];
    let identity = CertificateIdentity::new(&mapping, Some("cn-123456"), "CN=cn-123456", Some(CA));
    assert!(matches!(
        match_consumer(&store, &identity, &settings),
        Outcome::Consumer { .. }
    ));
    group.bench_function("mapping_with_ca_first_name", |b| {
        b.iter(|| match_consumer(black_box(&store), black_box(&identity), &settings))
    });

    let username = [
        "nomap-1.example",
        "nobody@example.com",
        "10.0.0.1",
        "user-500000",
    ];
    let identity = CertificateIdentity::new(&username, Some("user-500000"), "", Some(CA));
    assert!(matches!(
        match_consumer(&store, &identity, &settings),
        Outcome::Consumer { .. }
    ));
    group.bench_function("username_after_misses_4_names", |b| {
        b.iter(|| match_consumer(black_box(&store), black_box(&identity), &settings))
    });

    let custom_id = [
        "nomap-1.example",
        "nobody@example.com",
        "10.0.0.1",
        "cid-500000",
    ];
    let identity = CertificateIdentity::new(&custom_id, Some("cid-500000"), "", Some(CA));
    assert!(matches!(
        match_consumer(&store, &identity, &settings),
        Outcome::Consumer { .. }
    ));
    group.bench_function("custom_id_after_misses_4_names", |b| {
        b.iter(|| match_consumer(black_box(&store), black_box(&identity), &settings))
    });

    let miss = [
        "nomap-1.example",
        "nobody@example.com",
        "10.0.0.1",
        "nobody",
    ];
    let identity = CertificateIdentity::new(&miss, Some("nobody"), "", Some(CA));
    assert!(matches!(
        match_consumer(&store, &identity, &settings),
        Outcome::Failed(_)
    ));
    group.bench_function("full_miss_to_failure_4_names", |b| {
        b.iter(|| match_consumer(black_box(&store), black_box(&identity), &settings))
    });

    // 4,096 different certificates spread over the 1M consumers: the indexes are not in the
    // CPU cache, as with real traffic.
    let rotating: Vec<[String; 4]> = (0..4096usize)
        .map(|k| {
            let i = (k * 244_091) % N;
            [
                format!("nomap-{i}.example"),
                format!("nobody-{i}@example.com"),
                "10.0.0.1".to_owned(),
                format!("user-{i}"),
            ]
        })
        .collect();
    let identities: Vec<CertificateIdentity<'_>> = rotating
        .iter()
        .map(|names| CertificateIdentity::new(&names[..], None, "", Some(CA)))
        .collect();
    group.bench_function("username_after_misses_4_names_rotating_4096", |b| {
        let mut next = 0usize;
        b.iter(|| {
            next = (next + 1) & 4095;
            match_consumer(black_box(&store), &identities[next], &settings)
        })
    });

    drop(store);
    let baseline: HashMap<String, u32> = (0..N as u32).map(|i| (format!("user-{i}"), i)).collect();
    group.bench_function("baseline_std_hashmap_get", |b| {
        b.iter(|| black_box(&baseline).get(black_box("user-500000")))
    });
    // The same 4,096 rotating usernames: one cache-cold lookup, for the rotating ratio.
    group.bench_function("baseline_std_hashmap_get_rotating_4096", |b| {
        let mut next = 0usize;
        b.iter(|| {
            next = (next + 1) & 4095;
            black_box(&baseline).get(rotating[next][3].as_str())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_match, bench_index);
criterion_main!(benches);
