//! CRL loading never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let set = mtls_cert::CaSet::new(Vec::new()).expect("an empty set is valid");
    let _ = mtls_cert::CrlSet::load(&[data], &set);
});
