//! Runs cold validation (or bare webpki, with `bare`) N times: a target for callgrind, which
//! counts instructions instead of timing, so the two can be compared on a noisy machine.
//! With `interleaved`, times blocks of bare and mtls-cert validations alternately and prints
//! the median of the per-block ratios: load that drifts during the run hits both sides alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_cert::pki_types::UnixTime;
use mtls_cert::{CaCertificate, CaSet, Certificate, ValidationOptions};
use mtls_test_pki::ClientChain;

fn main() {
    let bare = std::env::args().any(|a| a == "bare");
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(200);
    let pki = ClientChain::generate().unwrap();
    let now = UnixTime::now();
    let root = Certificate::from_der(&pki.root).unwrap();
    let set = CaSet::new(vec![CaCertificate::trusted(uuid::Uuid::new_v4(), root)]).unwrap();
    let presented = vec![pki.leaf.clone(), pki.intermediate.clone()];
    let anchors = vec![
        webpki::anchor_from_trusted_cert(&pki.root)
            .unwrap()
            .to_owned(),
    ];
    let intermediates = vec![pki.intermediate.clone()];
    let options = ValidationOptions::client();
    let bare_once = || {
        let ee = webpki::EndEntityCert::try_from(&pki.leaf).unwrap();
        let p = ee
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
        std::hint::black_box(p.anchor().subject.len());
    };
    let ours_once = || {
        std::hint::black_box(mtls_cert::validate_chain(&presented, &set, &options, now).unwrap());
    };
    if std::env::args().any(|a| a == "interleaved") {
        let mut ratios = Vec::new();
        let (mut bare_total, mut ours_total) = (0.0, 0.0);
        for _ in 0..n {
            let t = std::time::Instant::now();
            for _ in 0..50 {
                bare_once();
            }
            let b = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            for _ in 0..50 {
                ours_once();
            }
            let o = t.elapsed().as_secs_f64();
            ratios.push(o / b);
            bare_total += b;
            ours_total += o;
        }
        ratios.sort_by(f64::total_cmp);
        let median = ratios[ratios.len() / 2];
        println!(
            "blocks: {n} x 50 each; bare {:.1} us, mtls-cert {:.1} us per validation; \
             median block ratio {median:.3}",
            bare_total / (n as f64 * 50.0) * 1e6,
            ours_total / (n as f64 * 50.0) * 1e6,
        );
        return;
    }
    for _ in 0..n {
        if bare {
            let ee = webpki::EndEntityCert::try_from(&pki.leaf).unwrap();
            let p = ee
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
            std::hint::black_box(p.anchor().subject.len());
        } else {
            std::hint::black_box(
                mtls_cert::validate_chain(&presented, &set, &options, now).unwrap(),
            );
        }
    }
}
