//! Test PKI generated with rcgen at test time, named for what each certificate exercises.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{CaCertificate, CaSet};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// One generated certificate with its key and parameters (so it can issue others).
pub struct Node {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub cert: rcgen::Certificate,
}

impl Node {
    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    pub fn ca_entity(&self) -> CaCertificate {
        CaCertificate::new(uuid::Uuid::new_v4(), self.pem().as_bytes(), UnixTime::now())
            .expect("test CA is a valid entity")
    }

    pub fn trusted_entity(&self) -> CaCertificate {
        let cert = mtls_cert::Certificate::from_der(self.cert.der()).expect("parses");
        CaCertificate::trusted(uuid::Uuid::new_v4(), cert)
    }
}

fn sign(params: CertificateParams, issuer: Option<&Node>) -> Node {
    let key = KeyPair::generate().expect("key");
    let cert = match issuer {
        None => params.self_signed(&key).expect("self-signed"),
        Some(i) => {
            let issuer = Issuer::new(i.params.clone(), &i.key);
            params.signed_by(&key, &issuer).expect("signed")
        }
    };
    Node { params, key, cert }
}

pub fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.use_authority_key_identifier_extension = true;
    p
}

pub fn root(cn: &str) -> Node {
    sign(ca_params(cn), None)
}

pub fn intermediate(cn: &str, issuer: &Node) -> Node {
    sign(ca_params(cn), Some(issuer))
}

pub fn ca_with(cn: &str, issuer: Option<&Node>, f: impl FnOnce(&mut CertificateParams)) -> Node {
    let mut p = ca_params(cn);
    f(&mut p);
    sign(p, issuer)
}

pub fn leaf_params(cn: Option<&str>) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    if let Some(cn) = cn {
        p.distinguished_name.push(DnType::CommonName, cn);
    }
    p.use_authority_key_identifier_extension = true;
    p
}

pub fn leaf_with(issuer: &Node, f: impl FnOnce(&mut CertificateParams)) -> Node {
    let mut p = leaf_params(Some("kongclient"));
    f(&mut p);
    sign(p, Some(issuer))
}

pub fn email_san_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |p| {
        p.subject_alt_names = vec![SanType::Rfc822Name(
            "client@example.test".try_into().unwrap(),
        )];
    })
}

pub fn cn_only_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |_| {})
}

pub fn expired_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |p| {
        p.not_before = OffsetDateTime::now_utc() - Duration::days(30);
        p.not_after = OffsetDateTime::now_utc() - Duration::days(1);
    })
}

pub fn not_yet_valid_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |p| {
        p.not_before = OffsetDateTime::now_utc() + Duration::days(1);
        p.not_after = OffsetDateTime::now_utc() + Duration::days(30);
    })
}

pub fn server_auth_only_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    })
}

pub fn self_signed_leaf() -> Node {
    sign(leaf_params(Some("selfie")), None)
}

pub fn set(cas: &[&Node]) -> CaSet {
    CaSet::new(cas.iter().map(|n| n.ca_entity()).collect()).expect("set")
}

pub fn chain(nodes: &[&Node]) -> Vec<CertificateDer<'static>> {
    nodes.iter().map(|n| n.der()).collect()
}

pub fn now() -> UnixTime {
    UnixTime::now()
}
