//! DER certificate parsing and every name formatting never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = mtls_cert::Certificate::from_der(data) {
        let _ = (
            c.subject_dn(),
            c.issuer_dn(),
            c.subject_dn_slash(),
            c.common_name(),
            c.subject_names(),
            c.serial(),
            c.sha256_hex(),
            c.is_ca(),
            c.to_pem(),
        );
    }
});
