//! Kong's scenarios through the decision: statuses, messages, headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::{
    Answers, CertificateAuth, Decider, Decision, MetadataHeaders, RequestFacts, RoutePlugins,
};
use crate::revocation::{
    RevocationCheckMode as RevocationMode, RevocationChecker, RevocationPolicy,
};
use mtls_cert::pki_types::{CertificateDer, UnixTime};
use mtls_cert::{CaCertificate, CaSet, Certificate, CrlSet, ValidationOptions};
use mtls_consumer::{
    Acl, AclRule, Consumer, ConsumerReference, Credential, GroupBy, InMemoryStore, MatchSettings,
    Plugin,
};
use mtls_header::{HeaderCertAuth, HeaderFormat, SourcePolicy, TrustedIps};
use mtls_test_pki::{CertSpec, Node};
use uuid::Uuid;

struct Pki {
    ca: CaCertificate,
    /// Email SAN `alice@example.test`, CN `alice`.
    alice: Vec<CertificateDer<'static>>,
    /// CN `nobody` only.
    nobody: Vec<CertificateDer<'static>>,
    /// CN only, from a CA nobody trusts.
    untrusted: Vec<CertificateDer<'static>>,
}

fn pki() -> Pki {
    let root = CertSpec::ca("Decision Root").self_signed();
    let other = CertSpec::ca("Other Root").self_signed();
    let leaf = |cn: &str, email: Option<&str>, issuer: &Node| {
        let spec = CertSpec::new().org("KONG").cn(cn);
        match email {
            Some(e) => spec.email(e),
            None => spec,
        }
        .signed_by(issuer)
        .chain()
    };
    Pki {
        ca: CaCertificate::trusted(Uuid::new_v4(), Certificate::from_der(&root.der()).unwrap()),
        alice: leaf("alice", Some("alice@example.test"), &root),
        nobody: leaf("nobody", None, &root),
        untrusted: leaf("mallory", None, &other),
    }
}

const ALICE: Uuid = Uuid::from_u128(1);
const ANON: Uuid = Uuid::from_u128(2);
const FALLBACK: Uuid = Uuid::from_u128(3);

fn decider(pki: &Pki) -> Decider {
    let store = InMemoryStore::builder()
        .ca_certificates([pki.ca.id()])
        .consumers([
            Consumer::with_username(ALICE, "alice"),
            Consumer::with_username(ANON, "anonymous"),
            Consumer::with_username(FALLBACK, "fallback"),
        ])
        .mtls_auth_credentials([Credential::new(
            Uuid::from_u128(10),
            ALICE,
            "alice@example.test",
            Some(pki.ca.id()),
        )])
        .build()
        .unwrap();
    let groups = HashMap::from([(ALICE, vec!["gold".to_owned()])]);
    Decider::new(
        Arc::new(store),
        groups,
        1000,
        Duration::from_secs(60),
        Arc::new(RevocationChecker::new(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))),
    )
}

/// Decides with no answers fetched (these certificates name no revocation source).
fn decide(d: &Decider, plugins: &RoutePlugins, facts: &RequestFacts<'_>) -> Decision {
    d.decide(plugins, facts, &Answers::new())
}

fn auth(pki: &Pki, plugin: Plugin) -> CertificateAuth {
    CertificateAuth {
        cas: CaSet::new(vec![pki.ca.clone()]).unwrap(),
        validation: ValidationOptions::client(),
        matching: MatchSettings::new(plugin),
        revocation: RevocationPolicy::new(RevocationMode::IgnoreCaError),
        crls: CrlSet::default(),
    }
}

fn mtls(pki: &Pki, f: impl FnOnce(&mut CertificateAuth)) -> RoutePlugins {
    let mut a = auth(pki, Plugin::MtlsAuth);
    f(&mut a);
    RoutePlugins {
        mtls_auth: Some(a),
        ..RoutePlugins::default()
    }
}

const NO_HEADERS: [(&str, &str); 0] = [];

fn facts<'a>(
    certs: Option<&'a [CertificateDer<'static>]>,
    headers: &'a (dyn mtls_header::Headers + Sync),
) -> RequestFacts<'a> {
    RequestFacts {
        peer_certificates: certs,
        headers,
        peer_addr: IpAddr::from([203, 0, 113, 9]),
        has_credential: false,
        now: UnixTime::now(),
    }
}

fn denied(d: &Decision) -> (u16, &str) {
    match d {
        Decision::Deny(deny) => (deny.status, deny.body.as_str()),
        Decision::Allow(a) => panic!("allowed: {a:?}"),
        Decision::Pending(n) => panic!("pending: {n:?}"),
    }
}

fn header<'a>(d: &'a Decision, name: &str) -> Option<&'a str> {
    match d {
        Decision::Allow(a) => a
            .set
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str()),
        Decision::Deny(deny) => panic!("denied: {deny:?}"),
        Decision::Pending(n) => panic!("pending: {n:?}"),
    }
}

fn removed(d: &Decision, name: &str) -> bool {
    match d {
        Decision::Allow(a) => a.remove.iter().any(|n| n == name),
        Decision::Deny(deny) => panic!("denied: {deny:?}"),
        Decision::Pending(n) => panic!("pending: {n:?}"),
    }
}

#[test]
fn mtls_auth_statuses_and_messages() {
    let pki = pki();
    let d = decider(&pki);
    let plugins = mtls(&pki, |_| {});
    assert_eq!(
        denied(&decide(&d, &plugins, &facts(None, &NO_HEADERS))),
        (401, r#"{"message":"No required TLS certificate was sent"}"#)
    );
    assert_eq!(
        denied(&decide(
            &d,
            &plugins,
            &facts(Some(&pki.untrusted), &NO_HEADERS)
        )),
        (401, r#"{"message":"TLS certificate failed verification"}"#)
    );
    // Valid, but no credential and no consumer named "nobody".
    assert_eq!(
        denied(&decide(
            &d,
            &plugins,
            &facts(Some(&pki.nobody), &NO_HEADERS)
        )),
        (401, r#"{"message":"TLS certificate failed verification"}"#)
    );
    // The detailed reason stays internal.
    match decide(&d, &plugins, &facts(Some(&pki.untrusted), &NO_HEADERS)) {
        Decision::Deny(deny) => {
            assert_eq!(deny.plugin, "mtls-auth");
            assert!(
                deny.reason.contains("unable to get local issuer"),
                "{}",
                deny.reason
            );
            assert!(!deny.body.contains("issuer"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mapped_consumer_headers_set_and_owned_headers_removed() {
    let pki = pki();
    let d = decider(&pki);
    let decision = decide(
        &d,
        &mtls(&pki, |_| {}),
        &facts(Some(&pki.alice), &NO_HEADERS),
    );
    assert_eq!(
        header(&decision, "X-Consumer-ID"),
        Some(ALICE.to_string().as_str())
    );
    assert_eq!(header(&decision, "X-Consumer-Username"), Some("alice"));
    for gone in [
        "X-Consumer-Custom-ID",
        "X-Credential-Identifier",
        "X-Anonymous-Consumer",
        "X-Client-Cert-DN",
        "X-Client-Cert-SAN",
        "X-Authenticated-Groups",
    ] {
        assert!(removed(&decision, gone), "{gone}");
    }
    match decision {
        Decision::Allow(a) => assert_eq!(a.credential, Some(Uuid::from_u128(10))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn anonymous_and_default_consumer() {
    let pki = pki();
    let d = decider(&pki);
    let anon = mtls(&pki, |a| {
        a.matching.anonymous = Some(ConsumerReference::new("anonymous"))
    });
    let decision = decide(&d, &anon, &facts(None, &NO_HEADERS));
    assert_eq!(header(&decision, "X-Anonymous-Consumer"), Some("true"));
    assert_eq!(header(&decision, "X-Consumer-Username"), Some("anonymous"));
    let missing = mtls(&pki, |a| {
        a.matching.anonymous = Some(ConsumerReference::new("ghost"))
    });
    assert_eq!(
        denied(&decide(
            &d,
            &missing,
            &facts(Some(&pki.untrusted), &NO_HEADERS)
        )),
        (
            500,
            r#"{"message":"anonymous consumer ghost is configured but doesn't exist"}"#
        )
    );
    let default = mtls(&pki, |a| {
        a.matching.default_consumer = Some(ConsumerReference::new("fallback"))
    });
    let decision = decide(&d, &default, &facts(Some(&pki.nobody), &NO_HEADERS));
    assert_eq!(header(&decision, "X-Consumer-Username"), Some("fallback"));
    assert_eq!(
        header(&decision, "X-Client-Cert-DN"),
        Some("O=KONG,CN=nobody")
    );
    assert_eq!(header(&decision, "X-Client-Cert-SAN"), Some("nobody"));
    let absent = mtls(&pki, |a| {
        a.matching.default_consumer = Some(ConsumerReference::new("nope"))
    });
    assert_eq!(
        denied(&decide(&d, &absent, &facts(Some(&pki.nobody), &NO_HEADERS))),
        (401, r#"{"message":"Unauthorized"}"#)
    );
}

#[test]
fn skip_lookup_groups_and_acl() {
    let pki = pki();
    let d = decider(&pki);
    let mut plugins = mtls(&pki, |a| a.matching.skip_consumer_lookup = true);
    plugins.acl = Some(Acl::new(AclRule::Allow(vec!["nobody".to_owned()]), false));
    let decision = decide(&d, &plugins, &facts(Some(&pki.nobody), &NO_HEADERS));
    assert_eq!(header(&decision, "X-Authenticated-Groups"), Some("nobody"));
    assert_eq!(
        header(&decision, "X-Client-Cert-DN"),
        Some("O=KONG,CN=nobody")
    );
    plugins.acl = Some(Acl::new(AclRule::Deny(vec!["nobody".to_owned()]), false));
    assert_eq!(
        denied(&decide(
            &d,
            &plugins,
            &facts(Some(&pki.nobody), &NO_HEADERS)
        )),
        (403, r#"{"message":"You cannot consume this service"}"#)
    );
    // DN mode.
    let mut plugins = mtls(&pki, |a| {
        a.matching.skip_consumer_lookup = true;
        a.matching.authenticated_group_by = Some(GroupBy::SubjectDn);
    });
    plugins.acl = Some(Acl::new(
        AclRule::Allow(vec!["O=KONG,CN=nobody".to_owned()]),
        true,
    ));
    let decision = decide(&d, &plugins, &facts(Some(&pki.nobody), &NO_HEADERS));
    assert!(removed(&decision, "X-Authenticated-Groups"), "hidden");
    // A consumer's own ACL groups.
    let mut plugins = mtls(&pki, |_| {});
    plugins.acl = Some(Acl::new(AclRule::Allow(vec!["gold".to_owned()]), false));
    let decision = decide(&d, &plugins, &facts(Some(&pki.alice), &NO_HEADERS));
    assert_eq!(header(&decision, "X-Consumer-Groups"), Some("gold"));
}

#[test]
fn tls_metadata_headers_values() {
    let pki = pki();
    let d = decider(&pki);
    let mut plugins = mtls(&pki, |_| {});
    plugins.metadata_headers = Some(MetadataHeaders {
        inject: true,
        ..MetadataHeaders::default()
    });
    let decision = decide(&d, &plugins, &facts(Some(&pki.alice), &NO_HEADERS));
    let leaf = Certificate::from_der(&pki.alice[0]).unwrap();
    let cert = header(&decision, "X-Client-Cert").unwrap();
    assert!(
        cert.starts_with("-----BEGIN%20CERTIFICATE-----%0A"),
        "{cert}"
    );
    assert_eq!(
        header(&decision, "X-Client-Cert-Serial"),
        Some(leaf.serial())
    );
    assert!(
        leaf.serial()
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    assert_eq!(
        header(&decision, "X-Client-Cert-Subject-DN"),
        Some("O=KONG,CN=alice")
    );
    assert_eq!(
        header(&decision, "X-Client-Cert-Issuer-DN"),
        Some("CN=Decision Root")
    );
    let fp = header(&decision, "X-Client-Cert-Fingerprint").unwrap();
    assert_eq!(fp.len(), 40);
    assert_eq!(header(&decision, "X-Client-Cert-Chain"), Some(cert));
    // No certificate: no metadata headers, and client copies are removed.
    let plugins = RoutePlugins {
        metadata_headers: Some(MetadataHeaders {
            inject: true,
            ..MetadataHeaders::default()
        }),
        ..RoutePlugins::default()
    };
    let decision = decide(&d, &plugins, &facts(None, &NO_HEADERS));
    assert!(removed(&decision, "X-Client-Cert"));
    assert!(removed(&decision, "X-Client-Cert-Chain"));
}

#[test]
fn header_cert_auth_from_trusted_and_untrusted_peers() {
    let pki = pki();
    let d = decider(&pki);
    let trusted = TrustedIps::parse(["203.0.113.0/24"]).unwrap();
    let header_conf = HeaderCertAuth::new(
        HeaderFormat::Base64Encoded,
        "X-Client-Cert-Der",
        SourcePolicy::secure(trusted),
    )
    .unwrap();
    let mut auth = auth(&pki, Plugin::HeaderCertAuth);
    auth.matching.skip_consumer_lookup = true;
    auth.matching.authenticated_group_by = Some(GroupBy::SubjectDn);
    let plugins = RoutePlugins {
        header_cert_auth: Some((header_conf, auth)),
        ..RoutePlugins::default()
    };
    let value = mtls_header::encode::base64_der(&pki.nobody[0]);
    let headers = [("X-Client-Cert-Der", value.as_str())];
    let decision = decide(&d, &plugins, &facts(None, &headers));
    // header-cert-auth's DN is the sorted "/" form.
    assert_eq!(
        header(&decision, "X-Client-Cert-DN"),
        Some("CN=nobody/O=KONG")
    );
    let mut untrusted = facts(None, &headers);
    untrusted.peer_addr = IpAddr::from([198, 51, 100, 1]);
    assert_eq!(
        denied(&decide(&d, &plugins, &untrusted)),
        (403, r#"{"message":"Forbidden"}"#)
    );
    assert_eq!(
        denied(&decide(&d, &plugins, &facts(None, &NO_HEADERS))),
        (
            401,
            r#"{"message":"No required TLS certificate header was sent"}"#
        )
    );
    let junk = [("X-Client-Cert-Der", "bm90IGEgY2VydA==")];
    assert_eq!(
        denied(&decide(&d, &plugins, &facts(None, &junk))),
        (401, r#"{"message":"TLS certificate failed verification"}"#)
    );
}

#[test]
fn revocation_modes() {
    let pki = pki();
    let d = decider(&pki);
    // No CRL for the issuer: unknown status. IGNORE_CA_ERROR allows, STRICT refuses.
    let ignore = mtls(&pki, |_| {});
    assert!(matches!(
        decide(&d, &ignore, &facts(Some(&pki.alice), &NO_HEADERS)),
        Decision::Allow(_)
    ));
    let strict = mtls(&pki, |a| a.revocation.mode = RevocationMode::Strict);
    assert_eq!(
        denied(&decide(&d, &strict, &facts(Some(&pki.alice), &NO_HEADERS))),
        (401, r#"{"message":"TLS certificate failed verification"}"#)
    );
    let skip = mtls(&pki, |a| a.revocation.mode = RevocationMode::Skip);
    assert!(matches!(
        decide(&d, &skip, &facts(Some(&pki.alice), &NO_HEADERS)),
        Decision::Allow(_)
    ));
}
