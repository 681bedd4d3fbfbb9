//! Chain validation against generated PKI: one test per rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_cert::pki_types::UnixTime;
use mtls_cert::{CaSet, ValidationError, ValidationOptions, validate_chain};
use time::{Duration, OffsetDateTime};

fn client() -> ValidationOptions {
    ValidationOptions::client()
}

#[test]
fn leaf_plus_intermediate_to_root() {
    let root = root("Root CA");
    let inter = intermediate("Issuing CA", &root);
    let leaf = email_san_leaf(&inter);
    let set = set(&[&root]);
    let v = validate_chain(&chain(&[&leaf, &inter]), &set, &client(), now()).unwrap();
    assert_eq!(v.path().len(), 3);
    assert_eq!(v.intermediates()[0].subject_dn(), "CN=Issuing CA");
    assert_eq!(v.anchor().certificate().subject_dn(), "CN=Root CA");
    assert_eq!(
        v.leaf().subject_names(),
        ["client@example.test", "kongclient"]
    );
    assert_eq!(v.anchor().cert_digest(), set.cas()[0].cert_digest());
}

#[test]
fn missing_intermediate_is_unknown_issuer() {
    let root = root("Root CA");
    let inter = intermediate("Issuing CA", &root);
    let leaf = cn_only_leaf(&inter);
    let err = validate_chain(&chain(&[&leaf]), &set(&[&root]), &client(), now()).unwrap_err();
    assert_eq!(err.kind(), "unknown_issuer");
    assert!(err.to_string().contains("CN=Issuing CA"), "{err}");
}

#[test]
fn untrusted_ca_is_refused() {
    let root = root("Root CA");
    let other = root_other();
    let leaf = cn_only_leaf(&other);
    let err = validate_chain(&chain(&[&leaf]), &set(&[&root]), &client(), now()).unwrap_err();
    assert_eq!(err.kind(), "unknown_issuer");
}

fn root_other() -> Node {
    common::root("Other Root")
}

#[test]
fn expired_leaf_names_the_leaf() {
    let root = root("Root CA");
    let leaf = expired_leaf(&root);
    let err = validate_chain(&chain(&[&leaf]), &set(&[&root]), &client(), now()).unwrap_err();
    match &err {
        ValidationError::Expired { what, subject, .. } => {
            assert_eq!(what, "leaf");
            assert_eq!(subject, "CN=kongclient");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn not_yet_valid_leaf_is_refused() {
    let root = root("Root CA");
    let leaf = not_yet_valid_leaf(&root);
    let err = validate_chain(&chain(&[&leaf]), &set(&[&root]), &client(), now()).unwrap_err();
    assert_eq!(err.kind(), "not_yet_valid");
}

#[test]
fn eku_server_auth_only_is_refused_for_clients_unless_disabled() {
    let root = root("Root CA");
    let leaf = server_auth_only_leaf(&root);
    let set = set(&[&root]);
    let err = validate_chain(&chain(&[&leaf]), &set, &client(), now()).unwrap_err();
    assert_eq!(
        err,
        ValidationError::ExtendedKeyUsage {
            required: "clientAuth"
        }
    );
    // Kong's behaviour: no purpose check.
    validate_chain(
        &chain(&[&leaf]),
        &set,
        &client().with_eku_check(false),
        now(),
    )
    .unwrap();
}

#[test]
fn self_signed_leaf_is_refused() {
    let root = root("Root CA");
    let leaf = self_signed_leaf();
    let err = validate_chain(&chain(&[&leaf]), &set(&[&root]), &client(), now()).unwrap_err();
    assert_eq!(err.kind(), "unknown_issuer");
}

#[test]
fn depth_limit_counts_intermediates() {
    let root = root("Root CA");
    let i1 = intermediate("I1", &root);
    let i2 = intermediate("I2", &i1);
    let leaf = cn_only_leaf(&i2);
    let set = set(&[&root]);
    let presented = chain(&[&leaf, &i2, &i1]);
    validate_chain(&presented, &set, &client().with_max_depth(Some(2)), now()).unwrap();
    let err =
        validate_chain(&presented, &set, &client().with_max_depth(Some(1)), now()).unwrap_err();
    assert_eq!(
        err,
        ValidationError::DepthExceeded {
            intermediates: 2,
            max: 1
        }
    );
}

#[test]
fn expired_anchor_does_not_anchor() {
    let root = ca_with("Old Root", None, |p| {
        p.not_before = OffsetDateTime::now_utc() - Duration::days(30);
        p.not_after = OffsetDateTime::now_utc() - Duration::days(1);
    });
    let leaf = cn_only_leaf(&root);
    // Kong's entity check refuses it at creation; a file-based store takes it, and the
    // validator still refuses it.
    let set = CaSet::new(vec![root.trusted_entity()]).unwrap();
    let err = validate_chain(&chain(&[&leaf]), &set, &client(), now()).unwrap_err();
    match err {
        ValidationError::Expired { what, .. } => assert_eq!(what, "CA"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn renewed_anchor_with_same_key_replaces_expired_one() {
    // Same name and key, one expired, one current: the current one anchors.
    let key = rcgen::KeyPair::generate().unwrap();
    let same_key = || rcgen::KeyPair::try_from(key.serialize_der()).unwrap();
    let old = ca_profile("Rolled Root")
        .validity(
            OffsetDateTime::now_utc() - Duration::days(30),
            OffsetDateTime::now_utc() - Duration::days(1),
        )
        .try_self_signed_with(same_key())
        .unwrap();
    let new = ca_profile("Rolled Root")
        .try_self_signed_with(same_key())
        .unwrap();
    let leaf = leaf_profile(Some("c")).signed_by(&new);
    let set = CaSet::new(vec![old.trusted_entity(), new.trusted_entity()]).unwrap();
    let v = validate_chain(&[leaf.der()], &set, &client(), now()).unwrap();
    assert_eq!(v.anchor().id(), set.cas()[1].id());
}

#[test]
fn partial_chain_lets_an_intermediate_anchor() {
    let root = root("Root CA");
    let inter = intermediate("Issuing CA", &root);
    let leaf = cn_only_leaf(&inter);
    let set = set(&[&inter]);
    let err = validate_chain(&chain(&[&leaf]), &set, &client(), now()).unwrap_err();
    assert_eq!(err.kind(), "unknown_issuer");
    let v = validate_chain(
        &chain(&[&leaf]),
        &set,
        &client().with_partial_chain(true),
        now(),
    )
    .unwrap();
    assert_eq!(v.anchor().certificate().subject_dn(), "CN=Issuing CA");
}

#[test]
fn stored_intermediate_completes_path_to_stored_root() {
    // Without partial chains a stored non-self-signed CA acts as an intermediate.
    let root = root("Root CA");
    let inter = intermediate("Issuing CA", &root);
    let leaf = cn_only_leaf(&inter);
    let set = set(&[&root, &inter]);
    let v = validate_chain(&chain(&[&leaf]), &set, &client(), now()).unwrap();
    assert_eq!(v.anchor().certificate().subject_dn(), "CN=Root CA");
    assert_eq!(v.path().len(), 3);
}

#[test]
fn issuer_without_key_cert_sign_is_refused() {
    let root = root("Root CA");
    let inter = ca_with("No Sign CA", Some(&root), |p| {
        p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    });
    let leaf = cn_only_leaf(&inter);
    let err =
        validate_chain(&chain(&[&leaf, &inter]), &set(&[&root]), &client(), now()).unwrap_err();
    assert_eq!(err.kind(), "key_usage");
}

#[test]
fn server_purpose_checks_the_name() {
    let root = root("Root CA");
    let leaf = leaf_with(&root, |p| {
        p.subject_alt_names = vec![rcgen::SanType::DnsName(
            "api.example.test".try_into().unwrap(),
        )];
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    });
    let set = set(&[&root]);
    let ok = ValidationOptions::server("api.example.test");
    validate_chain(&chain(&[&leaf]), &set, &ok, now()).unwrap();
    let err = validate_chain(
        &chain(&[&leaf]),
        &set,
        &ValidationOptions::server("x.test"),
        now(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), "name_mismatch");
}

#[test]
fn validation_time_is_honoured() {
    let root = root("Root CA");
    let leaf = cn_only_leaf(&root);
    // rcgen's default validity starts in 1975.
    let before = UnixTime::since_unix_epoch(std::time::Duration::from_secs(86_400));
    let err = validate_chain(&chain(&[&leaf]), &set(&[&root]), &client(), before).unwrap_err();
    assert_eq!(err.kind(), "not_yet_valid");
}

#[test]
fn garbage_and_limits_never_panic() {
    let root = root("Root CA");
    let set = set(&[&root]);
    let junk = mtls_cert::pki_types::CertificateDer::from(vec![0x30, 0x03, 0x01, 0x01, 0xff]);
    let err = validate_chain(std::slice::from_ref(&junk), &set, &client(), now()).unwrap_err();
    assert_eq!(err.kind(), "malformed");
    let leaf = cn_only_leaf(&root);
    let err = validate_chain(&[leaf.der(), junk], &set, &client(), now()).unwrap_err();
    assert!(err.to_string().contains("certificate 1"), "{err}");
    let many = vec![leaf.der(); mtls_cert::limits::MAX_CERTIFICATES + 1];
    assert_eq!(
        validate_chain(&many, &set, &client(), now())
            .unwrap_err()
            .kind(),
        "chain_too_long"
    );
    assert_eq!(
        validate_chain(&[], &set, &client(), now())
            .unwrap_err()
            .kind(),
        "no_certificate"
    );
}

#[test]
fn strict_profile_is_opt_in() {
    let root = root("Root CA");
    // A leaf without authorityKeyIdentifier: tolerated by default (as OpenSSL and Kong do),
    // refused by the strict RFC 5280 profile.
    let leaf = leaf_with(&root, |p| p.use_authority_key_identifier_extension = false);
    let set = set(&[&root]);
    validate_chain(&chain(&[&leaf]), &set, &client(), now()).unwrap();
    let err =
        validate_chain(&chain(&[&leaf]), &set, &client().with_strict(true), now()).unwrap_err();
    assert_eq!(err.kind(), "rfc5280");
    assert!(err.to_string().contains("authorityKeyIdentifier"), "{err}");
    let good = cn_only_leaf(&root);
    validate_chain(&chain(&[&good]), &set, &client().with_strict(true), now()).unwrap();
}
