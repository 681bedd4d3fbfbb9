//! Failures found before matching (no certificate, refused chain, unknown anchor CA) follow
//! Kong's step 8: `anonymous` when set, otherwise the failure's own 401.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_consumer::{
    AuthFailure, Consumer, ConsumerReference, InMemoryStore, MatchSettings, Outcome, Plugin,
    fail_authentication,
};
use uuid::Uuid;

fn store() -> InMemoryStore {
    InMemoryStore::builder()
        .consumers([Consumer::with_username(Uuid::from_u128(7), "anon")])
        .build()
        .unwrap()
}

#[test]
fn each_cause_gives_kongs_message_without_anonymous() {
    let store = store();
    let settings = MatchSettings::new(Plugin::MtlsAuth);
    let cases = [
        (
            AuthFailure::NoCertificate,
            401,
            "No required TLS certificate was sent",
        ),
        (
            AuthFailure::NoCertificateHeader,
            401,
            "No required TLS certificate header was sent",
        ),
        (
            AuthFailure::CertificateRejected,
            401,
            "TLS certificate failed verification",
        ),
        (
            AuthFailure::CaCertificateNotFound {
                cert_digest: [0xab; 32],
            },
            401,
            "CA Certificate (cert_digest: abababababababababababababababababababababababababababababababab) does not exist",
        ),
    ];
    for (cause, status, message) in cases {
        let outcome = fail_authentication(&store, &settings, cause);
        let rejection = outcome.failure().unwrap().rejection();
        assert_eq!(rejection.status(), status);
        assert_eq!(rejection.message(), message);
    }
}

#[test]
fn anonymous_takes_over_or_is_a_500() {
    let store = store();
    let mut settings = MatchSettings::new(Plugin::MtlsAuth);
    settings.anonymous = Some(ConsumerReference::new("anon"));
    match fail_authentication(&store, &settings, AuthFailure::NoCertificate) {
        Outcome::Anonymous { consumer, reason } => {
            assert_eq!(consumer.username(), Some("anon"));
            assert_eq!(reason, AuthFailure::NoCertificate);
        }
        other => panic!("unexpected {other:?}"),
    }
    settings.anonymous = Some(ConsumerReference::new("ghost"));
    let outcome = fail_authentication(&store, &settings, AuthFailure::CertificateRejected);
    let rejection = outcome.failure().unwrap().rejection();
    assert_eq!(rejection.status(), 500);
    assert_eq!(
        rejection.message(),
        "anonymous consumer ghost is configured but doesn't exist"
    );
}
