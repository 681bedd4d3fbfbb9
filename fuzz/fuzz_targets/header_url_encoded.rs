//! mtls-header `url_encoded` decoder: never panics on any header value; a decoded chain is never
//! empty and its leaf is not a CA.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = mtls_header::Limits::default();
    if let Ok(Some(chain)) =
        mtls_header::formats::url_encoded::decode("x-client-cert", data, &limits)
    {
        assert!(!chain.leaf().is_ca());
        let _ = chain.subject_dn_slash();
    }
});
