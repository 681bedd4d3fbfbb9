//! Properties: parsing never panics, DN text round-trips, and the RFC 2253 output equals
//! `openssl x509 -noout -subject -nameopt RFC2253` on generated names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::str::FromStr;

use mtls_cert::{Certificate, name, parse_any, parse_pem};
use mtls_test_pki::CertSpec;
use mtls_test_pki::rcgen::{DnType, DnValue};
use proptest::prelude::*;
use x509_cert::name::Name;

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_any(&bytes);
        let _ = parse_pem(&bytes);
        let _ = Certificate::from_der(&bytes);
    }

    #[test]
    fn arbitrary_pem_bodies_never_panic(body in "[A-Za-z0-9+/=\n]{0,400}") {
        let pem = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n");
        let _ = parse_pem(pem.as_bytes());
    }
}

fn sample_der() -> Vec<u8> {
    CertSpec::names(&["a.example.test"])
        .cn("mutant")
        .self_signed()
        .der()
        .to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn mutated_certificates_never_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut der = sample_der_cached().to_vec();
        for (pos, val) in flips {
            let i = pos % der.len();
            der[i] ^= val;
        }
        let keep = cut % (der.len() + 1);
        let _ = Certificate::from_der(&der[..keep]);
        if let Ok(c) = Certificate::from_der(&der) {
            let _ = (c.subject_dn(), c.subject_names(), c.to_pem());
        }
    }
}

fn sample_der_cached() -> &'static [u8] {
    static DER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DER.get_or_init(sample_der)
}

/// Attribute keywords x509-cert's RFC 4514 parser and our formatter share.
const KEYS: &[&str] = &["CN", "O", "OU", "C", "L", "ST", "DC"];

proptest! {
    #[test]
    fn rfc2253_text_round_trips(
        attrs in proptest::collection::vec((0..KEYS.len(), "[ -~]{1,12}"), 1..6),
    ) {
        // Build text with our escaping, parse it back, and format again.
        let text: Vec<String> = attrs
            .iter()
            .map(|(k, v)| format!("{}={}", KEYS[*k], escape(v)))
            .collect();
        let text = text.join(",");
        if let Ok(parsed) = Name::from_str(&text) {
            let once = name::rfc2253(&parsed);
            // OpenSSL leaves a lone `#` value bare, which RFC 4514 parsers read as hex: such
            // output is not re-parseable, and is compared with OpenSSL in the next property.
            if let Ok(reparsed) = Name::from_str(&once) {
                prop_assert_eq!(&once, &name::rfc2253(&reparsed));
            }
        }
    }
}

fn escape(v: &str) -> String {
    let mut out = String::new();
    let last = v.len() - 1;
    for (i, c) in v.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            _ => out.push(c),
        }
    }
    out
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn openssl_subject(pem: &str) -> String {
    let dir = std::env::temp_dir().join(format!("mtls-dn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{:x}.pem", rand_suffix(pem)));
    std::fs::write(&file, pem).unwrap();
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim_end_matches('\n')
        .strip_prefix("subject=")
        .unwrap_or(&text)
        .to_owned()
}

fn rand_suffix(s: &str) -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(s)
}

fn dn_type(i: usize) -> DnType {
    match i % 8 {
        0 => DnType::CommonName,
        1 => DnType::OrganizationName,
        2 => DnType::OrganizationalUnitName,
        3 => DnType::CountryName,
        4 => DnType::LocalityName,
        5 => DnType::StateOrProvinceName,
        6 => DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]), // emailAddress
        _ => DnType::CustomDnType(vec![1, 3, 6, 1, 4, 1, 99999, 1]), // unknown to OpenSSL
    }
}

fn dn_value(kind: usize, text: &str) -> DnValue {
    match kind % 4 {
        0 => DnValue::Utf8String(text.to_owned()),
        1 => DnValue::BmpString(text.try_into().unwrap()),
        2 => DnValue::TeletexString(
            text.chars()
                .filter(|c| c.is_ascii())
                .collect::<String>()
                .try_into()
                .unwrap(),
        ),
        _ => DnValue::Utf8String(text.to_owned()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]
    #[test]
    fn rfc2253_matches_openssl(
        attrs in proptest::collection::vec(
            (0usize..8, 0usize..4, "[ -~]{1,10}|[a-zA-Z\u{e4}\u{df}\u{4e2d} ,+#\\\\]{1,8}"),
            1..6,
        ),
    ) {
        if !openssl_available() {
            assert!(
                std::env::var_os("MTLS_REQUIRE_OPENSSL").is_none(),
                "openssl is required (MTLS_REQUIRE_OPENSSL is set) but not found"
            );
            return Ok(());
        }
        let mut spec = CertSpec::new().empty_subject();
        for (t, k, v) in &attrs {
            spec = spec.dn(dn_type(*t), dn_value(*k, v));
        }
        let cert = spec.self_signed();
        let ours = Certificate::from_der(&cert.der()).unwrap();
        prop_assert_eq!(ours.subject_dn(), openssl_subject(&cert.pem()));
    }
}
