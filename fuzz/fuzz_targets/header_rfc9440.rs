//! mtls-header `rfc9440` decoder: never panics on any `Client-Cert` / `Client-Cert-Chain`
//! values. The input is split at the first NUL: leaf value, then chain lines split on `\n`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (leaf, chain) = match data.iter().position(|&b| b == 0) {
        Some(p) => (&data[..p], &data[p + 1..]),
        None => (data, &[][..]),
    };
    let lines: Vec<&[u8]> = if chain.is_empty() {
        Vec::new()
    } else {
        chain.split(|&b| b == b'\n').collect()
    };
    let limits = mtls_header::Limits::default();
    use mtls_header::formats::rfc9440::{CLIENT_CERT, CLIENT_CERT_CHAIN, decode};
    if let Ok(Some(chain)) = decode(CLIENT_CERT, Some(leaf), CLIENT_CERT_CHAIN, &lines, &limits) {
        assert!(!chain.leaf().is_ca());
    }
});
