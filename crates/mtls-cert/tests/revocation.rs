//! CRLs: loaded and verified once, answering Good / Revoked / Unknown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_cert::{
    CrlSet, Error, RevocationScope, RevocationStatus, ValidationOptions, validate_chain,
};
use rcgen::SerialNumber;
use time::{Duration, OffsetDateTime};

fn crl(issuer: &Node, revoked: &[&[u8]], next_update: OffsetDateTime) -> String {
    CrlSpec::revoking_bytes(revoked)
        .next_update(next_update)
        .sign(issuer)
        .pem()
        .unwrap()
}

fn leaf_with_serial(issuer: &Node, serial: &[u8]) -> Node {
    leaf_with(issuer, |p| {
        p.serial_number = Some(SerialNumber::from_slice(serial))
    })
}

#[test]
fn revoked_good_and_unknown() {
    let root = root("Root CA");
    let revoked = leaf_with_serial(&root, &[0x0A]);
    let good = leaf_with_serial(&root, &[0x0B]);
    let set = set(&[&root]);
    let pem = crl(
        &root,
        &[&[0x0A]],
        OffsetDateTime::now_utc() + Duration::days(1),
    );
    let crls = CrlSet::load(&[pem.as_bytes()], &set).unwrap();
    assert_eq!(crls.len(), 1);
    let opts = ValidationOptions::client();
    let v = validate_chain(&chain(&[&revoked]), &set, &opts, now()).unwrap();
    match crls.check(&v, RevocationScope::Leaf, now()) {
        RevocationStatus::Revoked { what, serial, .. } => {
            assert_eq!(what, "leaf");
            assert_eq!(serial, "0A");
        }
        other => panic!("unexpected {other:?}"),
    }
    let v = validate_chain(&chain(&[&good]), &set, &opts, now()).unwrap();
    assert_eq!(
        crls.check(&v, RevocationScope::Leaf, now()),
        RevocationStatus::Good
    );
    let empty = CrlSet::default();
    assert!(matches!(
        empty.check(&v, RevocationScope::Leaf, now()),
        RevocationStatus::Unknown { .. }
    ));
}

#[test]
fn expired_crl_gives_unknown() {
    let root = root("Root CA");
    let leaf = leaf_with_serial(&root, &[0x0A]);
    let set = set(&[&root]);
    let pem = crl(&root, &[], OffsetDateTime::now_utc() - Duration::minutes(1));
    let crls = CrlSet::load(&[pem.as_bytes()], &set).unwrap();
    let v = validate_chain(&chain(&[&leaf]), &set, &ValidationOptions::client(), now()).unwrap();
    match crls.check(&v, RevocationScope::Leaf, now()) {
        RevocationStatus::Unknown { reason, .. } => assert!(reason.contains("expired"), "{reason}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn intermediate_crl_is_verified_on_first_use_and_chain_scope() {
    let root = root("Root CA");
    let inter = intermediate("Issuing CA", &root);
    let leaf = leaf_with_serial(&inter, &[0x01, 0x02]);
    let set = set(&[&root]);
    let inter_crl = crl(
        &inter,
        &[&[0x01, 0x02]],
        OffsetDateTime::now_utc() + Duration::days(1),
    );
    let root_crl = crl(&root, &[], OffsetDateTime::now_utc() + Duration::days(1));
    let crls = CrlSet::load(&[inter_crl.as_bytes(), root_crl.as_bytes()], &set).unwrap();
    let v = validate_chain(
        &chain(&[&leaf, &inter]),
        &set,
        &ValidationOptions::client(),
        now(),
    )
    .unwrap();
    assert!(matches!(
        crls.check(&v, RevocationScope::Chain, now()),
        RevocationStatus::Revoked { .. }
    ));
    // A CRL claiming the intermediate's name but signed by another key is never trusted.
    let impostor = ca_with("Issuing CA", Some(&root), |_| {});
    let forged = crl(
        &impostor,
        &[],
        OffsetDateTime::now_utc() + Duration::days(1),
    );
    let crls = CrlSet::load(&[forged.as_bytes()], &set).unwrap();
    assert!(matches!(
        crls.check(&v, RevocationScope::Leaf, now()),
        RevocationStatus::Unknown { .. }
    ));
}

#[test]
fn crl_with_bad_signature_from_known_ca_is_refused_at_load() {
    let root = root("Root CA");
    let impostor = common::root("Root CA");
    let set = set(&[&root]);
    let pem = crl(
        &impostor,
        &[],
        OffsetDateTime::now_utc() + Duration::days(1),
    );
    assert!(matches!(
        CrlSet::load(&[pem.as_bytes()], &set),
        Err(Error::CrlIssuerNotFound { index: 0, .. })
    ));
}

#[test]
fn crl_der_and_garbage() {
    let root = root("Root CA");
    let set = set(&[&root]);
    let pem = crl(&root, &[], OffsetDateTime::now_utc() + Duration::days(1));
    let (_, der) = pem_rfc7468::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(CrlSet::load(&[der.as_slice()], &set).unwrap().len(), 1);
    assert!(matches!(
        CrlSet::load(&[b"\x30\x02\x05\x00".as_slice()], &set),
        Err(Error::MalformedCrl { .. })
    ));
}

/// Every CRL and certificate of the shared revocation corpus gives a result or an error,
/// never a panic (runs when `../shared` exists).
#[test]
fn conformance_vectors_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/revocation-parse-vectors/custom");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("{} not present: skipped", dir.display());
        return;
    };
    let root = root("Root CA");
    let cas = set(&[&root]);
    let leaf = leaf_with_serial(&root, &[0x0A]);
    let chain =
        validate_chain(&chain(&[&leaf]), &cas, &ValidationOptions::client(), now()).unwrap();
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for against in [&cas, &mtls_cert::CaSet::empty()] {
            match CrlSet::load(&[&bytes], against) {
                Ok(crls) => {
                    let _ = crls.next_update();
                    let _ = crls.check(&chain, RevocationScope::Leaf, now());
                }
                Err(e) => eprintln!("{}: {e}", path.display()),
            }
        }
        // The cdp_* vectors are certificates: their revocation URIs are read too.
        for cert in mtls_cert::parse_any(&bytes).unwrap_or_default() {
            let _ = mtls_cert::crl_distribution_uri(&cert);
            let _ = mtls_cert::ocsp_responder_uri(&cert);
        }
        count += 1;
    }
    assert!(count > 0);
}
