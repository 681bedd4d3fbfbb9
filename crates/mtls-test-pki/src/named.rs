//! Certificates named for what they exercise: profiles ([`CertSpec`]s to adjust) and ready
//! [`Node`]s (roots, intermediates, leaves that are expired, not yet valid, CN-only,
//! email-only, server-only, self-signed, a leaf offered as a CA, ...).
//!
//! Everything here panics if rcgen fails: these are for tests. The demo signs through the
//! `try_` forms of [`CertSpec`].

use pki_types::PrivateKeyDer;
use rcgen::{CertificateParams, KeyPair, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};

use crate::{CertSpec, Node};

/// The CN of the leaves below unless told otherwise (Kong's tutorial consumer).
pub const CLIENT_CN: &str = "kongclient";
/// The email SAN of the client leaves below (Kong's tutorial credential).
pub const CLIENT_EMAIL: &str = "client@example.test";

/// A CA by the book: basicConstraints CA, keyCertSign + cRLSign + digitalSignature, an
/// authorityKeyIdentifier.
pub fn ca_profile(cn: &str) -> CertSpec {
    CertSpec::ca(cn)
        .key_usages(&[
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ])
        .aki()
}

/// A leaf with this CN (none: rcgen's default subject) and an authorityKeyIdentifier.
pub fn leaf_profile(cn: Option<&str>) -> CertSpec {
    let spec = CertSpec::new();
    match cn {
        Some(cn) => spec.cn(cn),
        None => spec,
    }
    .aki()
}

/// A client certificate: CN, an email SAN when given, clientAuth, authorityKeyIdentifier.
///
/// # Panics
/// If `email` is not IA5 text.
#[allow(clippy::expect_used)]
pub fn client_profile(cn: &str, email: Option<&str>) -> CertSpec {
    try_client_profile(cn, email).expect("an IA5 email address")
}

/// [`client_profile`] without the panic.
pub fn try_client_profile(cn: &str, email: Option<&str>) -> Result<CertSpec, rcgen::Error> {
    let spec = CertSpec::new().cn(cn).aki().client_auth();
    match email {
        Some(email) => spec.try_email(email),
        None => Ok(spec),
    }
}

/// A server certificate: SANs for `names` (DNS names or IP addresses), CN the first name,
/// serverAuth, authorityKeyIdentifier.
pub fn server_profile(names: &[&str]) -> CertSpec {
    let spec = CertSpec::names(names);
    match names.first() {
        Some(first) => spec.cn(first),
        None => spec,
    }
    .aki()
    .server_auth()
}

/// A self-signed root ([`ca_profile`]).
pub fn root(cn: &str) -> Node {
    ca_profile(cn).self_signed()
}

/// An intermediate CA ([`ca_profile`]) issued by `issuer`.
pub fn intermediate(cn: &str, issuer: &Node) -> Node {
    ca_profile(cn).signed_by(issuer)
}

/// A CA ([`ca_profile`]) adjusted by `f`, self-signed or issued by `issuer`.
pub fn ca_with(cn: &str, issuer: Option<&Node>, f: impl FnOnce(&mut CertificateParams)) -> Node {
    let spec = ca_profile(cn).with(f);
    match issuer {
        Some(issuer) => spec.signed_by(issuer),
        None => spec.self_signed(),
    }
}

/// A leaf [`leaf_profile`] with CN [`CLIENT_CN`], adjusted by `f`, issued by `issuer`.
pub fn leaf_with(issuer: &Node, f: impl FnOnce(&mut CertificateParams)) -> Node {
    leaf_profile(Some(CLIENT_CN)).with(f).signed_by(issuer)
}

/// CN [`CLIENT_CN`] and the email SAN [`CLIENT_EMAIL`].
pub fn email_san_leaf(issuer: &Node) -> Node {
    leaf_profile(Some(CLIENT_CN))
        .email(CLIENT_EMAIL)
        .signed_by(issuer)
}

/// The email SAN [`CLIENT_EMAIL`] and no subject at all.
pub fn email_san_only(issuer: &Node) -> Node {
    leaf_profile(None)
        .empty_subject()
        .email(CLIENT_EMAIL)
        .signed_by(issuer)
}

/// CN [`CLIENT_CN`], no SAN.
pub fn cn_only_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |_| {})
}

/// Expired yesterday (valid from 30 days ago).
pub fn expired_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |p| {
        p.not_before = OffsetDateTime::now_utc() - Duration::days(30);
        p.not_after = OffsetDateTime::now_utc() - Duration::days(1);
    })
}

/// Valid from tomorrow.
pub fn not_yet_valid_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |p| {
        p.not_before = OffsetDateTime::now_utc() + Duration::days(1);
        p.not_after = OffsetDateTime::now_utc() + Duration::days(30);
    })
}

/// Only the serverAuth extended key usage: not for client authentication.
pub fn server_auth_only_leaf(issuer: &Node) -> Node {
    leaf_with(issuer, |p| {
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    })
}

/// A leaf that issued itself (CN `selfie`): no CA vouches for it.
pub fn self_signed_leaf() -> Node {
    leaf_profile(Some("selfie")).self_signed()
}

/// A CA certificate (basicConstraints CA, default subject) that expired in 2001.
pub fn expired_ca() -> Node {
    CertSpec::new()
        .is_ca()
        .validity(
            rcgen::date_time_ymd(2000, 1, 1),
            rcgen::date_time_ymd(2001, 1, 1),
        )
        .self_signed()
}

/// A self-signed leaf for `leaf.example.test`: not a CA, offered where a CA is expected.
pub fn leaf_as_ca() -> Node {
    CertSpec::names(&["leaf.example.test"]).self_signed()
}

/// A private key (PKCS#8 DER) that matches no certificate.
///
/// # Panics
/// If rcgen cannot generate a key.
#[allow(clippy::expect_used)]
pub fn unrelated_key() -> PrivateKeyDer<'static> {
    let key = KeyPair::generate().expect("a P-256 key");
    PrivateKeyDer::Pkcs8(key.serialize_der().into())
}

/// A private key (PEM) that matches no certificate.
///
/// # Panics
/// If rcgen cannot generate a key.
#[allow(clippy::expect_used)]
pub fn unrelated_key_pem() -> String {
    KeyPair::generate().expect("a P-256 key").serialize_pem()
}

impl Node {
    /// A self-signed root ([`ca_profile`]).
    pub fn root(cn: &str) -> Node {
        root(cn)
    }

    /// An intermediate CA ([`ca_profile`]) under this one.
    pub fn intermediate(&self, cn: &str) -> Node {
        intermediate(cn, self)
    }

    /// A client certificate ([`client_profile`]); `expired`: valid during 2020 only.
    pub fn client(&self, cn: &str, email: Option<&str>, expired: bool) -> Node {
        let spec = client_profile(cn, email);
        if expired {
            spec.expired_in_2020()
        } else {
            spec
        }
        .signed_by(self)
    }

    /// A server certificate ([`server_profile`]) for `names`.
    pub fn server(&self, names: &[&str]) -> Node {
        server_profile(names).signed_by(self)
    }
}
