//! PEM (and PEM-or-DER) certificate input never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(certs) = mtls_cert::parse_pem(data) {
        for c in &certs {
            let _ = (c.subject_dn(), c.subject_names(), c.serial());
        }
    }
    let _ = mtls_cert::parse_any(data);
});
