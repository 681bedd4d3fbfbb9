//! Kong's matching order, one table row per rule and per message.

mod common;

use std::sync::Arc;

use common::*;
use mtls_consumer::{
    AuthFailure, CertificateIdentity, Consumer, ConsumerField, ConsumerStore, CredentialKind,
    CredentialMatch, FailureReason, FoundBy, GroupBy, Lookup, MatchSettings, Outcome, Plugin,
    StoreError, match_consumer,
};
use uuid::Uuid;

/// What a row expects.
#[derive(Debug)]
enum Expect {
    Consumer(Uuid, FoundBy),
    /// The anonymous consumer took over after this failure.
    Anonymous(Uuid, AuthFailure),
    /// Skip-lookup with this group.
    Skip(Option<&'static str>),
    /// Refused with this status and message; the reason's display contains the fragment.
    Failed(u16, &'static str, &'static str),
}

struct Row {
    name: &'static str,
    plugin: Plugin,
    names: &'static [&'static str],
    cn: Option<&'static str>,
    dn: &'static str,
    ca: Option<Uuid>,
    settings: fn(&mut MatchSettings),
    expect: Expect,
}

fn defaults(_: &mut MatchSettings) {}

const fn row(
    name: &'static str,
    names: &'static [&'static str],
    ca: Option<Uuid>,
    settings: fn(&mut MatchSettings),
    expect: Expect,
) -> Row {
    Row {
        name,
        plugin: Plugin::MtlsAuth,
        names,
        cn: None,
        dn: "CN=client,O=Example",
        ca,
        settings,
        expect,
    }
}

fn with_ca(credential_id: Uuid, name_index: usize) -> FoundBy {
    FoundBy::CredentialWithCa {
        credential_id,
        name_index,
    }
}

fn without_ca(credential_id: Uuid, name_index: usize) -> FoundBy {
    FoundBy::CredentialWithoutCa {
        credential_id,
        name_index,
    }
}

const NO_MATCH: &str = "no credential";

fn mapping_rows() -> Vec<Row> {
    use Expect::*;
    vec![
        row(
            "a mapping with the anchor CA beats one without",
            &["svc.example"],
            Some(CA1),
            defaults,
            Consumer(MAPPED_CA, with_ca(CRED_SVC_CA1, 0)),
        ),
        row(
            "another anchor CA falls to the mapping without CA",
            &["svc.example"],
            Some(CA2),
            defaults,
            Consumer(MAPPED, without_ca(CRED_SVC_NO_CA, 0)),
        ),
        row(
            "an unknown anchor uses only mappings without CA",
            &["svc.example"],
            None,
            defaults,
            Consumer(MAPPED, without_ca(CRED_SVC_NO_CA, 0)),
        ),
        row(
            "names are tried in order: a CA-less mapping on the first name beats a CA mapping on the second",
            &["noca.example", "svc.example"],
            Some(CA1),
            defaults,
            Consumer(MAPPED, without_ca(CRED_NOCA, 0)),
        ),
        row(
            "a mapping beats a consumer with that username",
            &["carol"],
            None,
            defaults,
            Consumer(MAPPED, without_ca(CRED_CAROL, 0)),
        ),
        row(
            "mappings on any name come before usernames on any name",
            &["alice", "svc.example"],
            Some(CA1),
            defaults,
            Consumer(MAPPED_CA, with_ca(CRED_SVC_CA1, 1)),
        ),
        row(
            "mappings apply even with consumer_by = []",
            &["svc.example"],
            Some(CA1),
            |s| s.consumer_by = vec![],
            Consumer(MAPPED_CA, with_ca(CRED_SVC_CA1, 0)),
        ),
    ]
}

fn consumer_by_rows() -> Vec<Row> {
    use Expect::*;
    vec![
        row(
            "an email SAN beats the CN",
            &["dave@example.com", "dave"],
            Some(CA1),
            defaults,
            Consumer(DAVE_EMAIL, FoundBy::Username { name_index: 0 }),
        ),
        row(
            "username after misses",
            &["x.example", "y@example.com", "alice"],
            Some(CA1),
            defaults,
            Consumer(ALICE, FoundBy::Username { name_index: 2 }),
        ),
        row(
            "custom_id",
            &["bob-cid"],
            Some(CA1),
            defaults,
            Consumer(BOB_CID, FoundBy::CustomId { name_index: 0 }),
        ),
        row(
            "a name that is one consumer's username and another's custom_id: username first by default",
            &["shared"],
            Some(CA1),
            defaults,
            Consumer(SHARED_USERNAME, FoundBy::Username { name_index: 0 }),
        ),
        row(
            "consumer_by order decides: custom_id first",
            &["shared"],
            Some(CA1),
            |s| s.consumer_by = vec![ConsumerField::CustomId, ConsumerField::Username],
            Consumer(SHARED_CUSTOM_ID, FoundBy::CustomId { name_index: 0 }),
        ),
        row(
            "consumer_by = [custom_id] finds custom ids",
            &["shared"],
            None,
            |s| s.consumer_by = vec![ConsumerField::CustomId],
            Consumer(SHARED_CUSTOM_ID, FoundBy::CustomId { name_index: 0 }),
        ),
        row(
            "consumer_by = [custom_id] ignores usernames",
            &["alice"],
            None,
            |s| s.consumer_by = vec![ConsumerField::CustomId],
            Failed(401, "TLS certificate failed verification", NO_MATCH),
        ),
        row(
            "consumer_by = [username] ignores custom ids",
            &["bob-cid"],
            None,
            |s| s.consumer_by = vec![ConsumerField::Username],
            Failed(401, "TLS certificate failed verification", NO_MATCH),
        ),
        row(
            "consumer_by = [] disables auto-matching",
            &["alice", "bob-cid"],
            Some(CA1),
            |s| s.consumer_by = vec![],
            Failed(
                401,
                "TLS certificate failed verification",
                "consumer_by is empty",
            ),
        ),
        row(
            "names are the outer loop: a custom_id on name 0 beats a username on name 1",
            &["bob-cid", "alice"],
            None,
            defaults,
            Consumer(BOB_CID, FoundBy::CustomId { name_index: 0 }),
        ),
        row(
            "several SANs of mixed types, in certificate order (IP, URI, email, DNS, CN)",
            &[
                "10.1.2.3",
                "spiffe://example.org/ns/prod/sa/api",
                "ops@example.net",
                "ops.example.net",
                "ops",
            ],
            Some(CA2),
            defaults,
            Consumer(SPIFFE, FoundBy::Username { name_index: 1 }),
        ),
        row(
            "mixed SANs, the DNS one is a custom_id",
            &["10.1.2.3", "ops@example.net", "ops.example.net", "ops"],
            Some(CA2),
            defaults,
            Consumer(OPS_CID, FoundBy::CustomId { name_index: 2 }),
        ),
        row(
            "usernames are case-sensitive",
            &["ALICE", "Alice"],
            Some(CA1),
            defaults,
            Failed(401, "TLS certificate failed verification", NO_MATCH),
        ),
        row(
            "mapping subject names are case-sensitive",
            &["SVC.example"],
            Some(CA1),
            defaults,
            Failed(401, "TLS certificate failed verification", NO_MATCH),
        ),
        row(
            "custom ids are case-sensitive",
            &["BOB-CID"],
            Some(CA1),
            defaults,
            Failed(401, "TLS certificate failed verification", NO_MATCH),
        ),
        row(
            "no name at all",
            &[],
            Some(CA1),
            defaults,
            Failed(
                401,
                "TLS certificate failed verification",
                "any of the 0 subject names",
            ),
        ),
    ]
}

fn default_consumer_rows() -> Vec<Row> {
    use Expect::*;
    vec![
        row(
            "default_consumer by username",
            &["nobody.example"],
            Some(CA1),
            |s| s.default_consumer = Some("default-user".into()),
            Consumer(DEFAULT, FoundBy::DefaultConsumer),
        ),
        row(
            "default_consumer by id",
            &["nobody.example"],
            Some(CA1),
            |s| s.default_consumer = Some(DEFAULT.into()),
            Consumer(DEFAULT, FoundBy::DefaultConsumer),
        ),
        row(
            "default_consumer: an id-looking value that is no id falls back to username",
            &["nobody.example"],
            Some(CA1),
            |s| s.default_consumer = Some(UUID_LOOKING_USERNAME.into()),
            Consumer(UUID_NAMED, FoundBy::DefaultConsumer),
        ),
        row(
            "default_consumer is not used when a consumer matches",
            &["alice"],
            Some(CA1),
            |s| s.default_consumer = Some("default-user".into()),
            Consumer(ALICE, FoundBy::Username { name_index: 0 }),
        ),
        row(
            "default_consumer absent: 401 Unauthorized",
            &["nobody.example"],
            Some(CA1),
            |s| s.default_consumer = Some("ghost".into()),
            Failed(
                401,
                "Unauthorized",
                "default_consumer \"ghost\" does not exist",
            ),
        ),
        row(
            "default_consumer absent: no anonymous fallback",
            &["nobody.example"],
            Some(CA1),
            |s| {
                s.default_consumer = Some("ghost".into());
                s.anonymous = Some("anon".into());
            },
            Failed(401, "Unauthorized", "no anonymous fallback"),
        ),
        row(
            "default_consumer with consumer_by = []",
            &["alice"],
            Some(CA1),
            |s| {
                s.consumer_by = vec![];
                s.default_consumer = Some("default-user".into());
            },
            Consumer(DEFAULT, FoundBy::DefaultConsumer),
        ),
    ]
}

fn anonymous_rows() -> Vec<Row> {
    use Expect::*;
    vec![
        row(
            "no match, no anonymous",
            &["nobody.example"],
            Some(CA1),
            defaults,
            Failed(401, "TLS certificate failed verification", NO_MATCH),
        ),
        row(
            "no match, anonymous by username",
            &["nobody.example"],
            Some(CA1),
            |s| s.anonymous = Some("anon".into()),
            Anonymous(
                ANON,
                AuthFailure::NoMatch {
                    subject_names: 1,
                    ca_id: Some(CA1),
                    consumer_by_disabled: false,
                },
            ),
        ),
        row(
            "no match, anonymous by id",
            &["nobody.example"],
            None,
            |s| s.anonymous = Some(ANON.into()),
            Anonymous(
                ANON,
                AuthFailure::NoMatch {
                    subject_names: 1,
                    ca_id: None,
                    consumer_by_disabled: false,
                },
            ),
        ),
        row(
            "anonymous absent: 500",
            &["nobody.example"],
            Some(CA1),
            |s| s.anonymous = Some("ghost".into()),
            Failed(
                500,
                "anonymous consumer ghost is configured but doesn't exist",
                "anonymous consumer \"ghost\" does not exist",
            ),
        ),
        row(
            "anonymous is not used when a consumer matches",
            &["alice"],
            Some(CA1),
            |s| s.anonymous = Some("anon".into()),
            Consumer(ALICE, FoundBy::Username { name_index: 0 }),
        ),
    ]
}

fn skip_lookup_rows() -> Vec<Row> {
    use Expect::*;
    vec![
        Row {
            cn: Some("client"),
            ..row(
                "skip lookup, CN groups",
                &["svc.example", "client"],
                Some(CA1),
                |s| s.skip_consumer_lookup = true,
                Skip(Some("client")),
            )
        },
        row(
            "skip lookup, CN groups, no CN",
            &["svc.example"],
            Some(CA1),
            |s| s.skip_consumer_lookup = true,
            Failed(401, "Certificate missing Common Name", "no common name"),
        ),
        row(
            "skip lookup, no CN, anonymous takes over",
            &["svc.example"],
            Some(CA1),
            |s| {
                s.skip_consumer_lookup = true;
                s.anonymous = Some("anon".into());
            },
            Anonymous(ANON, AuthFailure::MissingCommonName),
        ),
        row(
            "skip lookup, DN groups",
            &["svc.example"],
            Some(CA1),
            |s| {
                s.skip_consumer_lookup = true;
                s.authenticated_group_by = Some(GroupBy::SubjectDn);
            },
            Skip(Some("CN=client,O=Example")),
        ),
        Row {
            dn: "",
            ..row(
                "skip lookup, DN groups, empty DN, mtls-auth keeps it",
                &["svc.example"],
                Some(CA1),
                |s| {
                    s.skip_consumer_lookup = true;
                    s.authenticated_group_by = Some(GroupBy::SubjectDn);
                },
                Skip(Some("")),
            )
        },
        Row {
            plugin: Plugin::HeaderCertAuth,
            dn: "C=US/CN=client/O=Example",
            ..row(
                "header-cert-auth, skip lookup, DN groups",
                &["svc.example"],
                Some(CA1),
                |s| {
                    s.plugin = Plugin::HeaderCertAuth;
                    s.skip_consumer_lookup = true;
                    s.authenticated_group_by = Some(GroupBy::SubjectDn);
                },
                Skip(Some("C=US/CN=client/O=Example")),
            )
        },
        Row {
            plugin: Plugin::HeaderCertAuth,
            dn: "",
            ..row(
                "header-cert-auth, skip lookup, DN groups, empty DN",
                &["svc.example"],
                Some(CA1),
                |s| {
                    s.plugin = Plugin::HeaderCertAuth;
                    s.skip_consumer_lookup = true;
                    s.authenticated_group_by = Some(GroupBy::SubjectDn);
                },
                Failed(401, "Certificate missing Subject DN", "subject DN is empty"),
            )
        },
        row(
            "skip lookup, authenticated_group_by = null: no group",
            &["svc.example"],
            Some(CA1),
            |s| {
                s.skip_consumer_lookup = true;
                s.authenticated_group_by = None;
            },
            Skip(None),
        ),
        Row {
            cn: Some("alice"),
            ..row(
                "skip lookup ignores mappings, consumers and default_consumer",
                &["svc.example", "alice"],
                Some(CA1),
                |s| {
                    s.skip_consumer_lookup = true;
                    s.default_consumer = Some("ghost".into());
                },
                Skip(Some("alice")),
            )
        },
    ]
}

fn plugin_rows() -> Vec<Row> {
    use Expect::*;
    vec![
        Row {
            plugin: Plugin::HeaderCertAuth,
            ..row(
                "header-cert-auth uses header_cert_auth_credentials",
                &["svc.example"],
                Some(CA1),
                |s| s.plugin = Plugin::HeaderCertAuth,
                Consumer(HEADER_MAPPED, without_ca(CRED_HEADER_SVC, 0)),
            )
        },
        Row {
            plugin: Plugin::HeaderCertAuth,
            ..row(
                "header-cert-auth ignores mtls_auth_credentials",
                &["carol"],
                None,
                |s| s.plugin = Plugin::HeaderCertAuth,
                Consumer(CAROL, FoundBy::Username { name_index: 0 }),
            )
        },
    ]
}

fn check<S: ConsumerStore>(store: &S, row: &Row) {
    let mut settings = MatchSettings::new(row.plugin);
    (row.settings)(&mut settings);
    let identity = CertificateIdentity::new(row.names, row.cn, row.dn, row.ca);
    let outcome = match_consumer(store, &identity, &settings);
    let name = row.name;
    match (&row.expect, &outcome) {
        (
            Expect::Consumer(id, by),
            Outcome::Consumer {
                consumer,
                found_by,
                client_cert,
            },
        ) => {
            assert_eq!(consumer.id, *id, "{name}");
            assert_eq!(found_by, by, "{name}");
            assert_eq!(
                client_cert.is_some(),
                *by == FoundBy::DefaultConsumer,
                "{name}: client cert headers only for default_consumer"
            );
        }
        (Expect::Anonymous(id, why), Outcome::Anonymous { consumer, reason }) => {
            assert_eq!(consumer.id, *id, "{name}");
            assert_eq!(reason, why, "{name}");
        }
        (
            Expect::Skip(group),
            Outcome::SkipLookup {
                authenticated_group,
                client_cert,
            },
        ) => {
            assert_eq!(authenticated_group, group, "{name}");
            assert_eq!(client_cert.subject_dn, row.dn, "{name}");
            assert_eq!(
                client_cert.san_header_value(),
                row.names.join(","),
                "{name}"
            );
        }
        (Expect::Failed(status, message, reason), Outcome::Failed(failure)) => {
            assert_eq!(failure.rejection().status(), *status, "{name}");
            assert_eq!(failure.rejection().message(), *message, "{name}");
            let logged = failure.reason().to_string();
            assert!(logged.contains(reason), "{name}: reason {logged:?}");
            assert!(
                !failure.rejection().body().contains(&logged),
                "{name}: the reason leaks into the body"
            );
        }
        (expect, outcome) => panic!("{name}: expected {expect:?}, got {outcome:?}"),
    }
}

fn rows() -> Vec<Row> {
    [
        mapping_rows(),
        consumer_by_rows(),
        default_consumer_rows(),
        anonymous_rows(),
        skip_lookup_rows(),
        plugin_rows(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn run(rows: Vec<Row>) {
    let store = store();
    for row in rows {
        check(&store, &row);
    }
}

#[test]
fn rule_a_manual_mappings() {
    run(mapping_rows());
}

#[test]
fn rule_b_username_and_custom_id() {
    run(consumer_by_rows());
}

#[test]
fn rule_c_default_consumer() {
    run(default_consumer_rows());
}

#[test]
fn rule_d_failure_and_anonymous() {
    run(anonymous_rows());
}

#[test]
fn skip_consumer_lookup() {
    run(skip_lookup_rows());
}

#[test]
fn each_plugin_reads_its_own_credentials() {
    run(plugin_rows());
}

#[test]
fn every_message() {
    // (row, status, body): every client-facing message matching can produce.
    let cases: [(&str, u16, &str); 6] = [
        (
            "no match, no anonymous",
            401,
            r#"{"message":"TLS certificate failed verification"}"#,
        ),
        (
            "skip lookup, CN groups, no CN",
            401,
            r#"{"message":"Certificate missing Common Name"}"#,
        ),
        (
            "header-cert-auth, skip lookup, DN groups, empty DN",
            401,
            r#"{"message":"Certificate missing Subject DN"}"#,
        ),
        (
            "default_consumer absent: 401 Unauthorized",
            401,
            r#"{"message":"Unauthorized"}"#,
        ),
        (
            "anonymous absent: 500",
            500,
            r#"{"message":"anonymous consumer ghost is configured but doesn't exist"}"#,
        ),
        (
            "consumer_by = [] disables auto-matching",
            401,
            r#"{"message":"TLS certificate failed verification"}"#,
        ),
    ];
    let store = store();
    let rows = rows();
    for (name, status, body) in cases {
        let row = rows.iter().find(|r| r.name == name).expect(name);
        let mut settings = MatchSettings::new(row.plugin);
        (row.settings)(&mut settings);
        let identity = CertificateIdentity::new(row.names, row.cn, row.dn, row.ca);
        let outcome = match_consumer(&store, &identity, &settings);
        let failure = outcome.failure().expect(name);
        assert_eq!(failure.rejection().status(), status, "{name}");
        assert_eq!(failure.rejection().body(), body, "{name}");
    }
}

#[test]
fn every_rule_through_the_cache_gives_the_same_outcomes() {
    let store = mtls_consumer::CachedStore::new(store(), Default::default());
    // Twice: first filling the cache, then from it.
    for _ in 0..2 {
        for row in rows() {
            check(&store, &row);
        }
    }
}

#[test]
fn both_subject_name_slice_kinds_match_alike() {
    let store = store();
    let settings = MatchSettings::default();
    let owned: Vec<String> = vec!["x.example".into(), "alice".into()];
    let borrowed = ["x.example", "alice"];
    let a = match_consumer(
        &store,
        &CertificateIdentity::new(&owned, None, "", None),
        &settings,
    );
    let b = match_consumer(
        &store,
        &CertificateIdentity::new(&borrowed, None, "", None),
        &settings,
    );
    assert_eq!(a.consumer().map(|c| c.id), Some(ALICE));
    assert_eq!(b.consumer().map(|c| c.id), Some(ALICE));
}

/// A store that fails every lookup, or answers credentials with a consumer that is gone.
struct BrokenStore {
    dangling: bool,
}

impl ConsumerStore for BrokenStore {
    fn consumer_by_id(&self, id: Uuid) -> Result<Option<Arc<Consumer>>, StoreError> {
        Err(StoreError::backend(
            Lookup::ConsumerById(id),
            "connection refused",
        ))
    }
    fn consumer_by_username(&self, v: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        Err(StoreError::backend(
            Lookup::ConsumerByUsername(v.into()),
            "connection refused",
        ))
    }
    fn consumer_by_custom_id(&self, v: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        Err(StoreError::backend(
            Lookup::ConsumerByCustomId(v.into()),
            "connection refused",
        ))
    }
    fn credential(
        &self,
        kind: CredentialKind,
        subject_name: &str,
        ca_certificate: Option<Uuid>,
    ) -> Result<Option<CredentialMatch>, StoreError> {
        if self.dangling {
            return Err(StoreError::DanglingCredential {
                kind,
                credential: Uuid::from_u128(0x999),
                consumer: Uuid::from_u128(0x998),
            });
        }
        Err(StoreError::backend(
            Lookup::Credential {
                kind,
                subject_name: subject_name.into(),
                ca_certificate,
            },
            "connection refused",
        ))
    }
}

#[test]
fn store_errors_are_500_without_anonymous() {
    let mut settings = MatchSettings::default();
    settings.anonymous = Some("anon".into());
    let names = ["svc.example"];
    let identity = CertificateIdentity::new(&names, None, "", Some(CA1));
    for (dangling, fragment) in [
        (false, "connection refused"),
        (true, "which does not exist"),
    ] {
        let outcome = match_consumer(&BrokenStore { dangling }, &identity, &settings);
        let failure = outcome.failure().expect("refused");
        assert_eq!(failure.rejection().status(), 500);
        assert_eq!(
            failure.rejection().body(),
            r#"{"message":"An unexpected error occurred"}"#
        );
        assert!(matches!(failure.reason(), FailureReason::Store(_)));
        let logged = failure.reason().to_string();
        assert!(logged.contains(fragment), "{logged}");
        assert!(logged.contains("svc.example") || dangling, "{logged}");
    }

    // Skip-lookup without CN falls to anonymous, whose lookup fails: still a 500.
    settings.skip_consumer_lookup = true;
    let outcome = match_consumer(&BrokenStore { dangling: false }, &identity, &settings);
    assert_eq!(outcome.failure().map(|f| f.rejection().status()), Some(500));
}
