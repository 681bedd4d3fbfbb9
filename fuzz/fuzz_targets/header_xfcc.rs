//! mtls-header `xfcc` decoder: never panics on any `x-forwarded-client-cert` field lines
//! (the input split on `\n` into lines), and the grammar parser agrees with the decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let limits = mtls_header::Limits::default();
    use mtls_header::formats::xfcc::{HEADER, decode, parse};
    let parsed = parse(HEADER, &lines, &limits);
    let decoded = decode(HEADER, &lines, &limits);
    if parsed.is_err() {
        assert!(decoded.is_err());
    }
});
