//! Chain validation: bare rustls-webpki `verify_for_usage` (the baseline), mtls-cert cold
//! validation, and a validation-cache hit, on the same P-256 leaf + intermediate chain, in
//! one run.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mtls_cert::pki_types::UnixTime;
use mtls_cert::{CaCertificate, CaSet, Certificate, ValidationCache, ValidationOptions};
use mtls_test_pki::ClientChain;

fn validation(c: &mut Criterion) {
    let pki = ClientChain::generate().expect("pki");
    let now = UnixTime::now();
    let root = Certificate::from_der(&pki.root).unwrap();
    let set = CaSet::new(vec![
        CaCertificate::new(uuid::Uuid::new_v4(), pki.root.as_ref(), now)
            .unwrap_or_else(|_| CaCertificate::trusted(uuid::Uuid::new_v4(), root)),
    ])
    .unwrap();
    let presented = vec![pki.leaf.clone(), pki.intermediate.clone()];
    let options = ValidationOptions::client();

    let anchors = vec![
        webpki::anchor_from_trusted_cert(&pki.root)
            .unwrap()
            .to_owned(),
    ];
    let intermediates = vec![pki.intermediate.clone()];
    let mut g = c.benchmark_group("validation");
    g.bench_function("bare_webpki_verify_for_usage", |b| {
        b.iter(|| {
            let ee = webpki::EndEntityCert::try_from(&pki.leaf).unwrap();
            let path = ee
                .verify_for_usage(
                    webpki::ALL_VERIFICATION_ALGS,
                    &anchors,
                    &intermediates,
                    now,
                    webpki::KeyUsage::client_auth(),
                    None,
                    None,
                )
                .unwrap();
            black_box(path.anchor().subject.len());
        })
    });
    g.bench_function("mtls_cert_cold", |b| {
        b.iter(|| black_box(mtls_cert::validate_chain(&presented, &set, &options, now).unwrap()))
    });
    g.bench_function("mtls_cert_parse_leaf", |b| {
        b.iter(|| black_box(Certificate::from_der(&pki.leaf).unwrap()))
    });
    let cache = ValidationCache::new(10_000, Duration::from_secs(300));
    cache.validate(&presented, &set, &options, now).unwrap();
    g.bench_function("mtls_cert_cache_hit", |b| {
        b.iter(|| black_box(cache.validate(&presented, &set, &options, now).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
