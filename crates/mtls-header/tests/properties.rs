//! Properties: for random chains (random depth, random subject text including XFCC and DN
//! metacharacters), every format's encoder then decoder gives back the same DER chain; every
//! decoder survives random bytes and mutated valid values without panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use mtls_header::{HeaderFormat, Limits, decode_headers, encode};
use mtls_test_pki::CertSpec;
use mtls_test_pki::rcgen::KeyUsagePurpose;
use proptest::prelude::*;

/// A chain of `depth` CAs under a root, and a leaf whose CN is `cn`: leaf first, root excluded.
fn chain(cn: &str, depth: usize) -> Vec<Vec<u8>> {
    let ca = |cn: &str| CertSpec::ca(cn).key_usages(&[KeyUsagePurpose::KeyCertSign]);
    let mut issuer = ca("prop root").self_signed();
    for i in 0..depth {
        issuer = ca(&format!("prop ca {i}")).signed_by(&issuer);
    }
    let leaf = CertSpec::new().cn(cn).signed_by(&issuer);
    leaf.chain().iter().map(|c| c.to_vec()).collect()
}

/// (header name, value) lines carrying `ders` in `format`.
fn encode_as(format: HeaderFormat, ders: &[Vec<u8>], subject: &str) -> Lines {
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let one = |v: String| vec![("X-Cert".to_owned(), v)];
    match format {
        HeaderFormat::Base64Encoded => one(encode::base64_der(refs[0])),
        HeaderFormat::UrlEncoded => one(encode::url_encoded_pem(&refs)),
        HeaderFormat::Base64DerList => one(encode::base64_der_list(&refs)),
        HeaderFormat::PemSpaceJoined => one(encode::pem_space_joined(&refs)),
        HeaderFormat::Rfc9440 => {
            let mut h = one(encode::rfc9440_item(refs[0]));
            if refs.len() > 1 {
                h.push(("X-Cert-Chain".into(), encode::rfc9440_list(&refs[1..])));
            }
            h
        }
        HeaderFormat::Xfcc => {
            let e = encode::XfccElement::new(refs[0])
                .with_chain(refs[1..].to_vec())
                .with_subject(subject)
                .with_by("spiffe://proxy");
            // An earlier hop's element first; the last one is ours.
            vec![(
                "X-Cert".into(),
                format!("By=x;URI=y,{}", encode::xfcc_element(&e)),
            )]
        }
    }
}

fn format_strategy() -> impl Strategy<Value = HeaderFormat> {
    proptest::sample::select(HeaderFormat::ALL.to_vec())
}

/// Header lines (name, value).
type Lines = Vec<(String, String)>;

fn valid_values() -> &'static Vec<(HeaderFormat, Lines)> {
    static V: OnceLock<Vec<(HeaderFormat, Lines)>> = OnceLock::new();
    V.get_or_init(|| {
        let ders = chain("mutation base", 2);
        HeaderFormat::ALL
            .iter()
            .map(|&f| (f, encode_as(f, &ders, "CN=x")))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn encode_then_decode_round_trips(
        format in format_strategy(),
        cn in "[ -~]{1,40}",
        depth in 0usize..4,
    ) {
        let ders = chain(&cn, depth);
        // base64_encoded carries one certificate only.
        let expected: Vec<Vec<u8>> = if format == HeaderFormat::Base64Encoded {
            ders[..1].to_vec()
        } else {
            ders.clone()
        };
        let headers = encode_as(format, &ders, &cn);
        let got = decode_headers(format, "x-cert", &headers, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{format}: {e}")))?
            .ok_or_else(|| TestCaseError::fail("absent"))?;
        let got: Vec<Vec<u8>> = got.certificates().iter().map(|c| c.der().to_vec()).collect();
        prop_assert_eq!(got, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(format in format_strategy(), value in proptest::collection::vec(any::<u8>(), 0..600)) {
        let headers = [(&b"x-cert"[..], value.as_slice()), (&b"x-cert-chain"[..], value.as_slice())];
        let _ = decode_headers(format, "x-cert", &headers[..], &Limits::default());
    }

    #[test]
    fn random_text_in_the_formats_alphabet_never_panics(
        format in format_strategy(),
        value in "[-A-Za-z0-9+/=:;,\"\\\\ %()]{0,300}",
    ) {
        let headers = [("x-cert", value.as_str())];
        let _ = decode_headers(format, "x-cert", &headers, &Limits::default());
    }

    #[test]
    fn mutated_valid_values_never_panic(
        pick in 0usize..6,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let (format, headers) = &valid_values()[pick];
        let mut headers: Vec<(String, Vec<u8>)> =
            headers.iter().map(|(n, v)| (n.clone(), v.clone().into_bytes())).collect();
        for (at, byte, op) in edits {
            let v = &mut headers[0].1;
            if v.is_empty() { break; }
            let i = at.index(v.len());
            match op {
                0 => v[i] = byte,
                1 => { v.remove(i); }
                _ => v.truncate(i),
            }
        }
        let _ = decode_headers(*format, "x-cert", &headers, &Limits::default());
    }
}
