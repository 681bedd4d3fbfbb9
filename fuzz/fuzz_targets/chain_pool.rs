//! Path building over a fuzzed pool (`mtls_cert::validate_chain`): never panics, and a chain
//! it accepts starts at the leaf and ends at the trust anchor. The input is a flags byte
//! (bit 0 partial chains, bit 1 strict profile, bit 2 no EKU check, bit 3 server purpose),
//! then concatenated DER certificates: the trust anchor, the leaf, then the pool (at most
//! `MAX_CERTIFICATES` presented; past that the validator refuses the chain).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{CaCertificate, CaSet, Certificate, Purpose, ValidationOptions, validate_chain};

/// The length of the DER SEQUENCE at the front of `input`, header included.
fn der_len(input: &[u8]) -> Option<usize> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |l, &b| (l << 8) | usize::from(b)), 2 + n)
    };
    let total = header + len;
    (total <= input.len()).then_some(total)
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let mut ders = Vec::new();
    while let Some(len) = der_len(rest) {
        if ders.len() > mtls_cert::limits::MAX_CERTIFICATES + 1 {
            break;
        }
        ders.push(CertificateDer::from(rest[..len].to_vec()));
        rest = &rest[len..];
    }
    let Some((anchor, presented)) = ders.split_first() else {
        return;
    };
    let Ok(anchor_cert) = Certificate::from_der(anchor) else {
        return;
    };
    let Ok(set) = CaSet::new(vec![CaCertificate::trusted(uuid::Uuid::nil(), anchor_cert)]) else {
        return;
    };
    let mut options = ValidationOptions::default()
        .with_partial_chain(flags & 1 != 0)
        .with_strict(flags & 2 != 0)
        .with_eku_check(flags & 4 == 0);
    if flags & 8 != 0 {
        options.purpose = Purpose::ServerAuth;
    }
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000));
    if let Ok(chain) = validate_chain(presented, &set, &options, at) {
        assert_eq!(chain.leaf().der(), &presented[0]);
        assert_eq!(chain.anchor().certificate().der(), anchor);
        assert_eq!(chain.path().last().map(|c| c.der()), Some(anchor));
    }
});
