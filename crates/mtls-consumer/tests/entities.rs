//! Entity validation (one row per error) and Kong's declarative field names.

mod common;

use common::*;
use mtls_consumer::{
    Consumer, ConsumerField, ConsumerStore, Credential, CredentialKind, EntityError, InMemoryStore,
};
use uuid::Uuid;

#[allow(clippy::expect_used)] // a test helper
fn build_errors(
    consumers: Vec<Consumer>,
    mtls: Vec<Credential>,
    header: Vec<Credential>,
) -> Vec<EntityError> {
    InMemoryStore::builder()
        .ca_certificates([CA1])
        .consumers(consumers)
        .mtls_auth_credentials(mtls)
        .header_cert_auth_credentials(header)
        .build()
        .expect_err("must be refused")
        .errors()
        .to_vec()
}

#[test]
fn each_invalid_entity_is_refused_with_context() {
    let a = Uuid::from_u128(1);
    let b = Uuid::from_u128(2);
    let c1 = Uuid::from_u128(0x10);
    let c2 = Uuid::from_u128(0x11);
    let missing_ca = Uuid::from_u128(0xdead);
    let mtls = CredentialKind::MtlsAuth;
    let header = CredentialKind::HeaderCertAuth;

    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        &str,
        Vec<Consumer>,
        Vec<Credential>,
        Vec<Credential>,
        EntityError,
        &str,
    )> = vec![
        (
            "duplicate username",
            vec![
                Consumer::with_username(a, "alice"),
                Consumer::with_username(b, "alice"),
            ],
            vec![],
            vec![],
            EntityError::DuplicateUsername {
                username: "alice".into(),
                first: a,
                second: b,
            },
            "have the same username \"alice\"",
        ),
        (
            "duplicate custom_id",
            vec![
                Consumer::with_custom_id(a, "x"),
                Consumer::with_custom_id(b, "x"),
            ],
            vec![],
            vec![],
            EntityError::DuplicateCustomId {
                custom_id: "x".into(),
                first: a,
                second: b,
            },
            "have the same custom_id \"x\"",
        ),
        (
            "duplicate consumer id",
            vec![
                Consumer::with_username(a, "alice"),
                Consumer::with_username(a, "bob"),
            ],
            vec![],
            vec![],
            EntityError::DuplicateConsumerId { id: a },
            "two consumers have the id",
        ),
        (
            "neither username nor custom_id",
            vec![Consumer {
                id: a,
                username: None,
                custom_id: None,
                tags: vec![],
            }],
            vec![],
            vec![],
            EntityError::ConsumerWithoutName { consumer: a },
            "neither a username nor a custom_id",
        ),
        (
            "empty username",
            vec![Consumer::with_username(a, "")],
            vec![],
            vec![],
            EntityError::EmptyConsumerField {
                consumer: a,
                field: ConsumerField::Username,
            },
            "has an empty username",
        ),
        (
            "duplicate (subject_name, ca_certificate)",
            vec![Consumer::with_username(a, "alice")],
            vec![
                Credential::new(c1, a, "svc", Some(CA1)),
                Credential::new(c2, a, "svc", Some(CA1)),
            ],
            vec![],
            EntityError::DuplicateSubjectName {
                kind: mtls,
                subject_name: "svc".into(),
                ca_certificate: Some(CA1),
                first: c1,
                second: c2,
            },
            "both map subject_name \"svc\" with ca_certificate",
        ),
        (
            "duplicate (subject_name, no CA)",
            vec![Consumer::with_username(a, "alice")],
            vec![],
            vec![
                Credential::new(c1, a, "svc", None),
                Credential::new(c2, a, "svc", None),
            ],
            EntityError::DuplicateSubjectName {
                kind: header,
                subject_name: "svc".into(),
                ca_certificate: None,
                first: c1,
                second: c2,
            },
            "header_cert_auth_credentials credentials",
        ),
        (
            "credential of a missing consumer",
            vec![Consumer::with_username(a, "alice")],
            vec![Credential::new(c1, b, "svc", None)],
            vec![],
            EntityError::UnknownConsumer {
                kind: mtls,
                credential: c1,
                consumer: b,
            },
            "refers to consumer",
        ),
        (
            "credential of a missing CA",
            vec![Consumer::with_username(a, "alice")],
            vec![Credential::new(c1, a, "svc", Some(missing_ca))],
            vec![],
            EntityError::UnknownCaCertificate {
                kind: mtls,
                credential: c1,
                ca_certificate: missing_ca,
            },
            "refers to ca_certificate",
        ),
        (
            "empty subject_name",
            vec![Consumer::with_username(a, "alice")],
            vec![Credential::new(c1, a, "", None)],
            vec![],
            EntityError::EmptySubjectName {
                kind: mtls,
                credential: c1,
            },
            "empty subject_name",
        ),
        (
            "duplicate credential id",
            vec![Consumer::with_username(a, "alice")],
            vec![
                Credential::new(c1, a, "one", None),
                Credential::new(c1, a, "two", None),
            ],
            vec![],
            EntityError::DuplicateCredentialId { kind: mtls, id: c1 },
            "two mtls_auth_credentials have the id",
        ),
    ];

    for (name, consumers, mtls, header, expected, fragment) in rows {
        let errors = build_errors(consumers, mtls, header);
        assert_eq!(errors, vec![expected], "{name}");
        let shown = errors[0].to_string();
        assert!(shown.contains(fragment), "{name}: {shown}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let a = Uuid::from_u128(1);
    let error = InMemoryStore::builder()
        .consumers([
            Consumer::with_username(a, "alice"),
            Consumer::with_username(Uuid::from_u128(2), "alice"),
            Consumer::with_custom_id(Uuid::from_u128(3), ""),
        ])
        .mtls_auth_credentials([Credential::new(
            Uuid::from_u128(9),
            Uuid::from_u128(8),
            "x",
            Some(Uuid::from_u128(7)),
        )])
        .build()
        .expect_err("refused");
    assert_eq!(error.errors().len(), 4, "{error}");
    assert!(
        error.to_string().starts_with("4 invalid entities: "),
        "{error}"
    );
}

#[test]
fn the_same_name_in_both_tables_and_with_several_cas_is_fine() {
    let store = store();
    assert_eq!(store.len(), consumers().len());
    assert_eq!(
        store.credentials(CredentialKind::MtlsAuth).len(),
        mtls_credentials().len()
    );
    assert_eq!(
        store.credentials(CredentialKind::HeaderCertAuth).len(),
        header_credentials().len()
    );
    for consumer in consumers() {
        let by_id = store.consumer_by_id(consumer.id).unwrap().unwrap();
        assert_eq!(*by_id, consumer);
        if let Some(username) = consumer.username() {
            assert_eq!(
                store.consumer_by_username(username).unwrap().unwrap().id,
                consumer.id
            );
        }
        if let Some(custom_id) = consumer.custom_id() {
            assert_eq!(
                store.consumer_by_custom_id(custom_id).unwrap().unwrap().id,
                consumer.id
            );
        }
    }
    assert!(
        store
            .consumer_by_id(Uuid::from_u128(0xffff))
            .unwrap()
            .is_none()
    );
    // A (name, CA) lookup never returns the CA-less mapping, nor the other way round.
    let with_ca = store
        .credential(CredentialKind::MtlsAuth, "svc.example", Some(CA1))
        .unwrap()
        .unwrap();
    assert_eq!(with_ca.credential_id, CRED_SVC_CA1);
    let without = store
        .credential(CredentialKind::MtlsAuth, "svc.example", None)
        .unwrap()
        .unwrap();
    assert_eq!(without.credential_id, CRED_SVC_NO_CA);
    assert!(
        store
            .credential(CredentialKind::MtlsAuth, "noca.example", Some(CA1))
            .unwrap()
            .is_none()
    );
    let debug = format!("{store:?}");
    assert!(debug.contains("consumers: 16"), "{debug}");
}

#[test]
fn kong_declarative_fields_load() {
    let consumer: Consumer = serde_json::from_str(
        r#"{"id":"8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b","username":"alice",
            "custom_id":null,"tags":null,"created_at":1700000000,"type":0}"#,
    )
    .unwrap();
    assert_eq!(consumer.username(), Some("alice"));
    assert_eq!(consumer.custom_id(), None);
    assert!(consumer.tags.is_empty());

    let only_custom: Consumer =
        serde_json::from_str(r#"{"id":"8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b","custom_id":"c"}"#)
            .unwrap();
    assert_eq!(only_custom.custom_id(), Some("c"));

    // Foreign keys as a bare id or as {"id": ...}; ca_certificate null or absent.
    let bare: Credential = serde_json::from_str(
        r#"{"id":"00000000-0000-0000-0000-000000000010",
            "consumer":"00000000-0000-0000-0000-000000000001",
            "subject_name":"svc.example",
            "ca_certificate":"00000000-0000-0000-0000-000000000ca1",
            "tags":["a"]}"#,
    )
    .unwrap();
    let object: Credential = serde_json::from_str(
        r#"{"id":"00000000-0000-0000-0000-000000000010",
            "consumer":{"id":"00000000-0000-0000-0000-000000000001"},
            "subject_name":"svc.example",
            "ca_certificate":{"id":"00000000-0000-0000-0000-000000000ca1"},
            "tags":["a"]}"#,
    )
    .unwrap();
    assert_eq!(bare, object);
    assert_eq!(bare.consumer, Uuid::from_u128(1));
    assert_eq!(bare.ca_certificate, Some(CA1));

    let no_ca: Credential = serde_json::from_str(
        r#"{"id":"00000000-0000-0000-0000-000000000010",
            "consumer":{"id":"00000000-0000-0000-0000-000000000001"},
            "subject_name":"svc.example","ca_certificate":null}"#,
    )
    .unwrap();
    assert_eq!(no_ca.ca_certificate, None);
    let absent: Credential = serde_json::from_str(
        r#"{"id":"00000000-0000-0000-0000-000000000010",
            "consumer":"00000000-0000-0000-0000-000000000001","subject_name":"s"}"#,
    )
    .unwrap();
    assert_eq!(absent.ca_certificate, None);
    assert!(absent.tags.is_empty());

    // Written as Kong's Admin API writes them, and read back.
    let written = serde_json::to_value(&bare).unwrap();
    assert_eq!(
        written["consumer"],
        serde_json::json!({"id": "00000000-0000-0000-0000-000000000001"})
    );
    let read: Credential = serde_json::from_value(written).unwrap();
    assert_eq!(read, bare);
    let written = serde_json::to_value(&no_ca).unwrap();
    assert!(written["ca_certificate"].is_null());

    // A reference that is neither form is refused.
    assert!(
        serde_json::from_str::<Credential>(
            r#"{"id":"00000000-0000-0000-0000-000000000010","consumer":"alice","subject_name":"s"}"#
        )
        .is_err()
    );
}
