//! mtls-header: decoding a typical AWS ALB passthrough chain (`url_encoded`, leaf +
//! intermediate, as `X-Amzn-Mtls-Clientcert` carries it) and an RFC 9440 `Client-Cert` leaf,
//! each through the request-level entry point `decode_headers` (header lookup, hygiene,
//! decoding, strict DER framing, X.509 parse, chain-order check). Same-run baselines: a plain
//! `base64` decode of the same leaf, and `mtls_cert::parse_pem` of the same PEM (which parses
//! too, but leniently and without the hygiene). Figures are in docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use mtls_header::{HeaderFormat, Limits, decode_headers, encode};
use mtls_test_pki::ClientChain;

fn bench(c: &mut Criterion) {
    let pki = ClientChain::generate().expect("test PKI");
    let leaf = pki.leaf.as_ref();
    let intermediate = pki.intermediate.as_ref();
    let limits = Limits::default();

    let alb = encode::url_encoded_pem(&[leaf, intermediate]);
    let alb_headers = [
        ("host", "api.example.test"),
        ("user-agent", "curl/8.5.0"),
        ("x-forwarded-for", "198.51.100.7"),
        ("x-amzn-mtls-clientcert", alb.as_str()),
    ];
    let item = encode::rfc9440_item(leaf);
    let rfc_headers = [
        ("host", "api.example.test"),
        ("user-agent", "curl/8.5.0"),
        ("client-cert", item.as_str()),
    ];
    let pem_text: String = [leaf, intermediate]
        .iter()
        .map(|d| encode::pem(d))
        .collect();
    let b64 = encode::base64_der(leaf);

    let mut g = c.benchmark_group("header_decode");
    g.bench_function("url_encoded_alb_chain_2_certs", |b| {
        b.iter(|| {
            decode_headers(
                HeaderFormat::UrlEncoded,
                "X-Amzn-Mtls-Clientcert",
                black_box(&alb_headers[..]),
                &limits,
            )
            .expect("decodes")
        })
    });
    g.bench_function("rfc9440_leaf", |b| {
        b.iter(|| {
            decode_headers(
                HeaderFormat::Rfc9440,
                "Client-Cert",
                black_box(&rfc_headers[..]),
                &limits,
            )
            .expect("decodes")
        })
    });
    g.bench_function("baseline_base64_decode_leaf", |b| {
        b.iter(|| {
            base64::engine::general_purpose::STANDARD
                .decode(black_box(b64.as_bytes()))
                .expect("decodes")
        })
    });
    g.bench_function("baseline_mtls_cert_parse_pem_2_certs", |b| {
        b.iter(|| mtls_cert::parse_pem(black_box(pem_text.as_bytes())).expect("parses"))
    });
    g.bench_function("baseline_mtls_cert_from_der_leaf", |b| {
        b.iter(|| mtls_cert::Certificate::from_der(black_box(leaf)).expect("parses"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
