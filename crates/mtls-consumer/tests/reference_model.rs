//! The matcher against a naive reference implementation of Kong's order, on random stores,
//! settings and certificates. The reference scans plain vectors; the store and the cache
//! answer through their indexes.

use std::time::Duration;

use mtls_consumer::{
    CacheSettings, CachedStore, CertificateIdentity, Consumer, ConsumerField, Credential, FoundBy,
    GroupBy, InMemoryStore, MatchSettings, Outcome, Plugin, match_consumer,
};
use proptest::prelude::*;
use uuid::Uuid;

/// A small pool so that names collide often; mixed case to exercise case sensitivity.
const POOL: &[&str] = &[
    "a",
    "A",
    "b",
    "c@x.test",
    "C@x.test",
    "d.test",
    "10.0.0.1",
    "spiffe://t/e",
    "x",
    "",
];
const CAS: [Uuid; 2] = [Uuid::from_u128(0xca1), Uuid::from_u128(0xca2)];

/// The comparable shape of an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    Consumer(Uuid, FoundBy),
    Anonymous(Uuid),
    Skip(Option<String>),
    Failed(u16, String),
}

fn shape(outcome: &Outcome<'_>) -> Shape {
    match outcome {
        Outcome::Consumer {
            consumer, found_by, ..
        } => Shape::Consumer(consumer.id, *found_by),
        Outcome::Anonymous { consumer, .. } => Shape::Anonymous(consumer.id),
        Outcome::SkipLookup {
            authenticated_group,
            ..
        } => Shape::Skip(authenticated_group.map(str::to_owned)),
        Outcome::Failed(f) => Shape::Failed(f.rejection().status(), f.rejection().body()),
        _ => unreachable!("a new outcome variant needs a shape"),
    }
}

#[derive(Debug)]
struct World {
    consumers: Vec<Consumer>,
    mtls: Vec<Credential>,
    header: Vec<Credential>,
}

#[derive(Debug)]
struct Case {
    plugin: Plugin,
    consumer_by: Vec<ConsumerField>,
    skip: bool,
    group_by: Option<GroupBy>,
    default_consumer: Option<String>,
    anonymous: Option<String>,
    names: Vec<String>,
    cn: Option<String>,
    dn: String,
    ca: Option<Uuid>,
}

fn body(message: &str) -> String {
    format!(r#"{{"message":"{message}"}}"#)
}

/// Kong's order, written as plainly as possible.
fn reference(world: &World, case: &Case) -> Shape {
    let by_reference = |value: &str| -> Option<Uuid> {
        let as_id = (value.len() == 36)
            .then(|| Uuid::try_parse(value).ok())
            .flatten();
        world
            .consumers
            .iter()
            .find(|c| Some(c.id) == as_id)
            .or_else(|| {
                world
                    .consumers
                    .iter()
                    .find(|c| c.username.as_deref() == Some(value))
            })
            .map(|c| c.id)
    };
    let failure = |status: u16, message: &str| -> Shape {
        match &case.anonymous {
            None => Shape::Failed(status, body(message)),
            Some(anonymous) => match by_reference(anonymous) {
                Some(id) => Shape::Anonymous(id),
                None => Shape::Failed(
                    500,
                    body(&format!(
                        "anonymous consumer {anonymous} is configured but doesn't exist"
                    )),
                ),
            },
        }
    };

    if case.skip {
        return match case.group_by {
            None => Shape::Skip(None),
            Some(GroupBy::CommonName) => match &case.cn {
                Some(cn) => Shape::Skip(Some(cn.clone())),
                None => failure(401, "Certificate missing Common Name"),
            },
            Some(GroupBy::SubjectDn) => {
                if case.plugin == Plugin::HeaderCertAuth && case.dn.is_empty() {
                    failure(401, "Certificate missing Subject DN")
                } else {
                    Shape::Skip(Some(case.dn.clone()))
                }
            }
        };
    }

    let credentials = match case.plugin {
        Plugin::MtlsAuth => &world.mtls,
        Plugin::HeaderCertAuth => &world.header,
    };
    for (i, name) in case.names.iter().enumerate() {
        let find = |ca: Option<Uuid>| {
            credentials
                .iter()
                .find(|c| &c.subject_name == name && c.ca_certificate == ca)
        };
        if case.ca.is_some()
            && let Some(c) = find(case.ca)
        {
            return Shape::Consumer(
                c.consumer,
                FoundBy::CredentialWithCa {
                    credential_id: c.id,
                    name_index: i,
                },
            );
        }
        if let Some(c) = find(None) {
            return Shape::Consumer(
                c.consumer,
                FoundBy::CredentialWithoutCa {
                    credential_id: c.id,
                    name_index: i,
                },
            );
        }
    }
    for (i, name) in case.names.iter().enumerate() {
        for field in &case.consumer_by {
            let hit = world.consumers.iter().find(|c| match field {
                ConsumerField::Username => c.username.as_deref() == Some(name.as_str()),
                ConsumerField::CustomId => c.custom_id.as_deref() == Some(name.as_str()),
            });
            if let Some(c) = hit {
                let by = match field {
                    ConsumerField::Username => FoundBy::Username { name_index: i },
                    ConsumerField::CustomId => FoundBy::CustomId { name_index: i },
                };
                return Shape::Consumer(c.id, by);
            }
        }
    }
    if let Some(default) = &case.default_consumer {
        return match by_reference(default) {
            Some(id) => Shape::Consumer(id, FoundBy::DefaultConsumer),
            None => Shape::Failed(401, body("Unauthorized")),
        };
    }
    failure(401, "TLS certificate failed verification")
}

fn pooled() -> impl Strategy<Value = String> + Clone {
    prop::sample::select(POOL).prop_map(str::to_owned)
}

fn world() -> impl Strategy<Value = World> {
    let consumer = (prop::option::of(pooled()), prop::option::of(pooled()));
    let credential = (
        pooled(),
        prop::option::of(prop::sample::select(&CAS[..])),
        any::<prop::sample::Index>(),
    );
    (
        prop::collection::vec(consumer, 0..8),
        prop::collection::vec(credential.clone(), 0..8),
        prop::collection::vec(credential, 0..4),
    )
        .prop_map(|(consumers, mtls, header)| {
            // Keep only what Kong would accept: names unique and non-empty, at least one.
            let mut kept: Vec<Consumer> = Vec::new();
            for (i, (username, custom_id)) in consumers.into_iter().enumerate() {
                let username = username.filter(|u| {
                    !u.is_empty() && !kept.iter().any(|c| c.username.as_ref() == Some(u))
                });
                let custom_id = custom_id.filter(|v| {
                    !v.is_empty() && !kept.iter().any(|c| c.custom_id.as_ref() == Some(v))
                });
                if username.is_none() && custom_id.is_none() {
                    continue;
                }
                kept.push(Consumer {
                    id: Uuid::from_u128(i as u128 + 1),
                    username,
                    custom_id,
                    tags: vec![],
                });
            }
            let credentials = |list: Vec<(String, Option<Uuid>, prop::sample::Index)>,
                               base: u128| {
                let mut out: Vec<Credential> = Vec::new();
                if kept.is_empty() {
                    return out;
                }
                for (i, (name, ca, owner)) in list.into_iter().enumerate() {
                    if name.is_empty()
                        || out
                            .iter()
                            .any(|c| c.subject_name == name && c.ca_certificate == ca)
                    {
                        continue;
                    }
                    let owner = kept[owner.index(kept.len())].id;
                    out.push(Credential::new(
                        Uuid::from_u128(base + i as u128),
                        owner,
                        name,
                        ca,
                    ));
                }
                out
            };
            let mtls = credentials(mtls, 0x1000);
            let header = credentials(header, 0x2000);
            World {
                consumers: kept,
                mtls,
                header,
            }
        })
}

fn consumer_by() -> impl Strategy<Value = Vec<ConsumerField>> {
    prop::sample::select(vec![
        vec![ConsumerField::Username, ConsumerField::CustomId],
        vec![ConsumerField::CustomId, ConsumerField::Username],
        vec![ConsumerField::Username],
        vec![ConsumerField::CustomId],
        vec![],
    ])
}

/// A consumer reference: a pooled name, or one of the first ids (existing or not).
fn reference_value() -> impl Strategy<Value = String> {
    prop_oneof![
        pooled(),
        (1u128..10).prop_map(|i| Uuid::from_u128(i).hyphenated().to_string()),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop::sample::select(vec![Plugin::MtlsAuth, Plugin::HeaderCertAuth]),
            consumer_by(),
            prop::bool::weighted(0.15),
            prop::sample::select(vec![
                None,
                Some(GroupBy::CommonName),
                Some(GroupBy::SubjectDn),
            ]),
            prop::option::weighted(0.3, reference_value()),
            prop::option::weighted(0.3, reference_value()),
        ),
        (
            prop::collection::vec(pooled(), 0..6),
            prop::option::of(pooled()),
            prop::sample::select(vec!["", "CN=a,O=x", "C=US/CN=a"]),
            prop::option::of(prop::sample::select(vec![
                CAS[0],
                CAS[1],
                Uuid::from_u128(0xca9),
            ])),
        ),
    )
        .prop_map(
            |(
                (plugin, consumer_by, skip, group_by, default_consumer, anonymous),
                (names, cn, dn, ca),
            )| Case {
                plugin,
                consumer_by,
                skip,
                group_by,
                default_consumer,
                anonymous,
                names,
                cn,
                dn: dn.to_owned(),
                ca,
            },
        )
}

fn settings(case: &Case) -> MatchSettings {
    let mut settings = MatchSettings::new(case.plugin);
    settings.consumer_by = case.consumer_by.clone();
    settings.skip_consumer_lookup = case.skip;
    settings.authenticated_group_by = case.group_by;
    settings.default_consumer = case.default_consumer.as_deref().map(Into::into);
    settings.anonymous = case.anonymous.as_deref().map(Into::into);
    settings
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn matcher_agrees_with_the_reference(world in world(), cases in prop::collection::vec(case(), 1..8)) {
        let store = InMemoryStore::builder()
            .ca_certificates(CAS)
            .consumers(world.consumers.clone())
            .mtls_auth_credentials(world.mtls.clone())
            .header_cert_auth_credentials(world.header.clone())
            .build()
            .expect("generated worlds are valid");
        let cached = CachedStore::new(&store, CacheSettings::new(Duration::from_secs(60), 64));
        for case in &cases {
            let settings = settings(case);
            let identity = CertificateIdentity::new(&case.names, case.cn.as_deref(), &case.dn, case.ca);
            let expected = reference(&world, case);
            prop_assert_eq!(shape(&match_consumer(&store, &identity, &settings)), expected.clone());
            prop_assert_eq!(shape(&match_consumer(&cached, &identity, &settings)), expected);
        }
    }
}
