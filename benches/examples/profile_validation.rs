//! Runs cold validation (or bare webpki, with `bare`) N times: a target for callgrind, which
//! counts instructions instead of timing, so the two can be compared on a noisy machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_benches::Pki;
use mtls_cert::pki_types::UnixTime;
use mtls_cert::{CaCertificate, CaSet, Certificate, ValidationOptions};

fn main() {
    let bare = std::env::args().any(|a| a == "bare");
    let n: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(200);
    let pki = Pki::generate().unwrap();
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
