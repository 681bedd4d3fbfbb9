//! OCSP response parsing and verification never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

use mtls_cert::Certificate;
use mtls_cert::pki_types::UnixTime;

/// A P-256 CA and a leaf it issued (serial 0x1234), made with the openssl CLI.
const CA: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBhTCCASugAwIBAgIUPRPAJ5MUtZSOCsQCS49oyj/PQzQwCgYIKoZIzj0EAwIw\n\
FzEVMBMGA1UEAwwMRnV6eiBPQ1NQIENBMCAXDTI2MTEyMjA3MzYzNVoYDzIxMjYx\n\
MDI5MDczNjM1WjAXMRUwEwYDVQQDDAxGdXp6IE9DU1AgQ0EwWTATBgcqhkjOPQIB\n\
BggqhkjOPQMBBwNCAAQuDk8T/StwprS/7x8NCqA6HsDbUGQhcuR6MbwTsOwvVwYW\n\
jnmPcAXwbrbyGhq/fHuN5zkJioQwRbJODh9emHl7o1MwUTAdBgNVHQ4EFgQUqHlT\n\
oN5jQB6qRIaYDiyTxG847lMwHwYDVR0jBBgwFoAUqHlToN5jQB6qRIaYDiyTxG84\n\
7lMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBQE8t9HjY3Ti68\n\
5jdXKyp/8pPPIE08JoLLRgkOJFnIDwIhAPkRrPB9XUUy9YAls2GbQpPAeCnHAylb\n\
MO0CR8gbPzDK\n\
-----END CERTIFICATE-----\n\
";
const LEAF: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBFjCBvgICEjQwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMRnV6eiBPQ1NQIENB\n\
MCAXDTI2MTEyMjA3MzYzNVoYDzIxMjYxMDI5MDczNjM1WjAWMRQwEgYDVQQDDAtm\n\
dXp6LWNsaWVudDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABITVJRN4q+KexZ6m\n\
SCFdNH3RUi79w8WceosmYh33eN8DRhu6aN/jKhLQskzDxH7SV26528xx2AJJCiQ0\n\
wlIutBowCgYIKoZIzj0EAwIDRwAwRAIgdgKrydMysUakeJfTcp1Oz8y3iQRfKaL7\n\
2Byzfsjf4wQCIF5P2YkaOxKh6VDNmpj33QhiPMOJbz2n8NLfytch/H+7\n\
-----END CERTIFICATE-----\n\
";

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
