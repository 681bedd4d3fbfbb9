//! `Loader::check_record` + `Config::apply` (one change at a time, what the Admin API does)
//! agree with `Loader::load_records` over every record (what a reload does): the same
//! configuration when a change is accepted, a refusal when the whole would be refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_kong_config::{Change, Config, ConfigErrors, Kind, Loader, Record};
use serde_json::{Value, json};
use uuid::Uuid;

fn ca_pem() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

fn record(kind: Kind, value: Value) -> Record {
    Record {
        kind,
        value,
        path: String::new(),
    }
}

/// Applies one record through check_record + apply.
fn put(config: &Config, kind: Kind, value: Value) -> Result<Config, ConfigErrors> {
    let entity = Loader::new().check_record(config, record(kind, value))?;
    config.apply([Change::put(entity)])
}

/// The same configuration, reloaded from all its records.
fn reloaded(config: &Config) -> Result<Config, ConfigErrors> {
    Loader::new().load_records(config.records())
}

fn with_record(config: &Config, kind: Kind, value: Value) -> Result<Config, ConfigErrors> {
    let mut records: Vec<Record> = config.records().collect();
    records.push(Record {
        kind,
        value,
        path: "new".into(),
    });
    Loader::new().load_records(records)
}

#[test]
fn incremental_changes_match_a_full_reload() {
    let ca = Uuid::from_u128(0xca);
    let mut config = Config::builder()
        .ca_certificate(json!({"id": ca, "cert": ca_pem()}))
        .service(
            json!({"id": Uuid::from_u128(1), "name": "billing", "url": "https://billing.internal"}),
        )
        .build()
        .unwrap();
    let steps: Vec<(Kind, Value)> = vec![
        (
            Kind::Route,
            json!({"id": Uuid::from_u128(2), "name": "r", "paths": ["/b"], "service": "billing"}),
        ),
        (
            Kind::Route,
            json!({"id": Uuid::from_u128(3), "snis": ["a.example.com"], "protocols": ["https"], "service": {"id": Uuid::from_u128(1)}}),
        ),
        (
            Kind::Plugin,
            json!({"id": Uuid::from_u128(4), "name": "mtls-auth", "route": "r", "config": {"ca_certificates": [ca]}}),
        ),
        (
            Kind::Consumer,
            json!({"id": Uuid::from_u128(5), "username": "alice"}),
        ),
        (
            Kind::MtlsAuthCredential,
            json!({"id": Uuid::from_u128(6), "consumer": "alice", "subject_name": "alice@example.com", "ca_certificate": {"id": ca}}),
        ),
        (
            Kind::Acl,
            json!({"id": Uuid::from_u128(7), "consumer": {"id": Uuid::from_u128(5)}, "group": "admins"}),
        ),
        (
            Kind::Plugin,
            json!({"id": Uuid::from_u128(8), "name": "acl", "config": {"allow": ["admins"]}}),
        ),
        // A replacement keeps the entity's place.
        (
            Kind::Route,
            json!({"id": Uuid::from_u128(2), "name": "r", "paths": ["/billing"], "service": "billing"}),
        ),
        (
            Kind::Consumer,
            json!({"id": Uuid::from_u128(5), "username": "alice", "custom_id": "A1"}),
        ),
    ];
    for (kind, value) in steps {
        let next = put(&config, kind, value.clone()).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(next, reloaded(&next).unwrap(), "after {kind:?}");
        assert_eq!(
            next,
            with_record(&config, kind, value).unwrap_or_else(|_| next.clone())
        );
        config = next;
    }
    assert_eq!(config.routes()[0].paths, ["/billing"]);
    // Deletes, with the dependents first (as the Admin API's cascades do).
    let next = config
        .apply([
            Change::delete(Kind::Plugin, Uuid::from_u128(4)),
            Change::delete(Kind::Route, Uuid::from_u128(2)),
        ])
        .unwrap();
    assert_eq!(next, reloaded(&next).unwrap());
    assert_eq!(next.routes().len(), 1);
}

#[test]
fn refused_incrementally_when_refused_whole() {
    let config = Config::builder()
        .service(
            json!({"id": Uuid::from_u128(1), "name": "billing", "url": "http://billing.internal"}),
        )
        .consumer(json!({"id": Uuid::from_u128(5), "username": "alice"}))
        .build()
        .unwrap();
    let bad: Vec<(Kind, Value)> = vec![
        (Kind::Route, json!({"paths": ["/x"], "service": "nowhere"})),
        (Kind::Route, json!({"name": "r"})),
        (
            Kind::Consumer,
            json!({"id": Uuid::from_u128(9), "username": "alice"}),
        ),
        (Kind::Consumer, json!({"id": Uuid::from_u128(9)})),
        (
            Kind::Service,
            json!({"id": Uuid::from_u128(9), "name": "billing", "host": "x.internal"}),
        ),
        (
            Kind::Plugin,
            json!({"name": "mtls-auth", "config": {"ca_certificates": [Uuid::from_u128(0xdead)]}}),
        ),
        (
            Kind::Acl,
            json!({"consumer": {"id": Uuid::from_u128(77)}, "group": "g"}),
        ),
    ];
    for (kind, value) in bad {
        let mut with_id = value.clone();
        if with_id.get("id").is_none() {
            with_id["id"] = json!(Uuid::from_u128(99));
        }
        assert!(
            put(&config, kind, with_id.clone()).is_err(),
            "{kind:?} {value} accepted"
        );
        assert!(
            with_record(&config, kind, with_id).is_err(),
            "{kind:?} {value} loads whole"
        );
    }
    // Deleting what others refer to is refused (the caller deletes them first).
    let with_route = put(
        &config,
        Kind::Route,
        json!({"id": Uuid::from_u128(2), "paths": ["/b"], "service": "billing"}),
    )
    .unwrap();
    assert!(
        with_route
            .apply([Change::delete(Kind::Service, Uuid::from_u128(1))])
            .is_err()
    );
}
