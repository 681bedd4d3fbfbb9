//! Certificate facts and Kong's CA entity checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mtls_cert::pki_types::UnixTime;
use mtls_cert::{CaCertificate, CaSet, Error, SanKind, parse_any, parse_pem};
use rcgen::{DnType, SanType};
use time::{Duration, OffsetDateTime};

#[test]
fn kong_tutorial_client_certificate_facts() {
    let root = root("Root CA");
    let leaf = leaf_with(&root, |p| {
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CountryName, "US");
        p.distinguished_name.push(DnType::StateOrProvinceName, "CA");
        p.distinguished_name.push(DnType::LocalityName, "SF");
        p.distinguished_name.push(DnType::OrganizationName, "KONG");
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, "ENG");
        p.distinguished_name.push(DnType::CommonName, "kongclient");
        p.subject_alt_names = vec![
            SanType::DnsName("example.test".try_into().unwrap()),
            SanType::Rfc822Name("kong@example.test".try_into().unwrap()),
            SanType::URI("spiffe://example.test/client".try_into().unwrap()),
            SanType::IpAddress("10.0.0.1".parse().unwrap()),
            SanType::IpAddress("2001:db8::1".parse().unwrap()),
        ];
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x10, 0x1B, 0x76]));
    });
    let certs = parse_pem(leaf.pem().as_bytes()).unwrap();
    let c = &certs[0];
    assert_eq!(
        c.subject_dn(),
        "CN=kongclient,OU=ENG,O=KONG,L=SF,ST=CA,C=US"
    );
    assert_eq!(
        c.subject_dn_slash(),
        "C=US/CN=kongclient/L=SF/O=KONG/OU=ENG/ST=CA"
    );
    assert_eq!(c.issuer_dn(), "CN=Root CA");
    assert_eq!(c.common_name(), Some("kongclient"));
    assert_eq!(c.serial(), "101B76");
    let kinds: Vec<SanKind> = c.sans().iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SanKind::Dns,
            SanKind::Email,
            SanKind::Uri,
            SanKind::Ip,
            SanKind::Ip
        ]
    );
    assert_eq!(
        c.subject_names(),
        [
            "example.test",
            "kong@example.test",
            "spiffe://example.test/client",
            "10.0.0.1",
            "2001:db8::1",
            "kongclient"
        ]
    );
    assert_eq!(c.sha256_hex().len(), 64);
    assert_eq!(c.sha1_hex().len(), 40);
    assert!(!c.is_ca());
    assert!(c.is_valid_at(UnixTime::now()));
    // DER input gives the same certificate.
    assert_eq!(parse_any(&leaf.der()).unwrap()[0], *c);
}

#[test]
fn several_blocks_and_other_text() {
    let root = root("Root CA");
    let inter = intermediate("Issuing CA", &root);
    let input = format!(
        "leading text\n{}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{}",
        inter.pem(),
        root.pem()
    );
    let certs = parse_pem(input.as_bytes()).unwrap();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0].subject_dn(), "CN=Issuing CA");
    assert!(certs[1].is_ca());
    assert_eq!(certs[1].path_len(), None);
}

#[test]
fn ca_entity_messages_are_kongs() {
    let root = root("Root CA");
    let now = UnixTime::now();
    let two = format!("{}{}", root.pem(), root.pem());
    assert_eq!(
        CaCertificate::new(uuid::Uuid::new_v4(), two.as_bytes(), now)
            .unwrap_err()
            .to_string(),
        "please submit only one certificate at a time"
    );
    let expired = ca_with("Old", None, |p| {
        p.not_before = OffsetDateTime::now_utc() - Duration::days(3);
        p.not_after = OffsetDateTime::now_utc() - Duration::days(1);
    });
    assert_eq!(
        CaCertificate::new(uuid::Uuid::new_v4(), expired.pem().as_bytes(), now)
            .unwrap_err()
            .to_string(),
        "certificate expired, \"Not After\" time is in the past"
    );
    let leaf = cn_only_leaf(&root);
    assert_eq!(
        CaCertificate::new(uuid::Uuid::new_v4(), leaf.pem().as_bytes(), now).unwrap_err(),
        Error::CaNotCa
    );
    let ca = CaCertificate::new(uuid::Uuid::new_v4(), root.pem().as_bytes(), now).unwrap();
    assert_eq!(ca.cert_digest(), root_digest(&root));
}

fn root_digest(n: &Node) -> String {
    parse_any(&n.der()).unwrap()[0].sha256_hex()
}

#[test]
fn ca_set_identity_is_stable_and_order_free() {
    let a = root("A");
    let b = root("B");
    let (ea, eb) = (a.ca_entity(), b.ca_entity());
    let s1 = CaSet::new(vec![ea.clone(), eb.clone()]).unwrap();
    let s2 = CaSet::new(vec![eb.clone(), ea.clone()]).unwrap();
    assert_eq!(s1.id(), s2.id());
    assert_ne!(s1.id(), CaSet::new(vec![ea.clone()]).unwrap().id());
    assert!(matches!(
        CaSet::new(vec![ea.clone(), ea.clone()]),
        Err(Error::DuplicateCa { .. })
    ));
    let store = vec![ea.clone(), eb.clone()];
    let picked = CaSet::from_ids(&store, &[eb.id()]).unwrap();
    assert_eq!(picked.cas().len(), 1);
    let missing = uuid::Uuid::new_v4();
    assert_eq!(
        CaSet::from_ids(&store, &[missing]).unwrap_err(),
        Error::UnknownCaId(missing)
    );
    assert!(s1.by_digest(ea.cert_digest()).is_some());
}
