//! OCSP response parsing and verification never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

use mtls_cert::Certificate;
use mtls_cert::pki_types::UnixTime;

/// A P-256 CA and a leaf it issued (serial 0x1234), written by `gen_seeds.py` together with
/// the seeds in `seeds/ocsp_response`, which they sign (the keys were thrown away): the seeds'
/// signatures verify, so the fuzzer starts past the signature check.
const CA: &str = include_str!("../fixtures/ocsp-ca.pem");
const LEAF: &str = include_str!("../fixtures/ocsp-leaf.pem");

static CERTS: LazyLock<(Certificate, Certificate)> = LazyLock::new(|| {
    let one =
        |pem: &str| mtls_cert::parse_pem(pem.as_bytes()).expect("embedded certificate")[0].clone();
    (one(CA), one(LEAF))
});

fuzz_target!(|data: &[u8]| {
    let (ca, leaf) = &*CERTS;
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000));
    let _ = mtls_cert::verify_ocsp_response(data, leaf, ca, at, None);
    let _ = mtls_cert::verify_ocsp_response(data, leaf, ca, at, Some(b"nonce"));
});
