//! Fixtures shared by the integration tests: one small Kong-like configuration whose entities
//! are named for the rule they exercise.
#![allow(dead_code, unreachable_pub, clippy::expect_used)]

use mtls_consumer::{Consumer, Credential, InMemoryStore};
use uuid::Uuid;

pub const CA1: Uuid = Uuid::from_u128(0xca1);
pub const CA2: Uuid = Uuid::from_u128(0xca2);
/// A CA that exists but no credential refers to.
pub const CA_UNUSED: Uuid = Uuid::from_u128(0xca3);

pub const ALICE: Uuid = Uuid::from_u128(1);
pub const BOB_CID: Uuid = Uuid::from_u128(2);
pub const CAROL: Uuid = Uuid::from_u128(3);
pub const MAPPED: Uuid = Uuid::from_u128(4);
pub const MAPPED_CA: Uuid = Uuid::from_u128(5);
pub const DEFAULT: Uuid = Uuid::from_u128(6);
pub const ANON: Uuid = Uuid::from_u128(7);
pub const DAVE_EMAIL: Uuid = Uuid::from_u128(8);
pub const DAVE_CN: Uuid = Uuid::from_u128(9);
pub const UUID_NAMED: Uuid = Uuid::from_u128(10);
pub const SHARED_USERNAME: Uuid = Uuid::from_u128(11);
pub const SHARED_CUSTOM_ID: Uuid = Uuid::from_u128(12);
pub const SPIFFE: Uuid = Uuid::from_u128(13);
pub const OPS_CID: Uuid = Uuid::from_u128(14);
pub const HEADER_MAPPED: Uuid = Uuid::from_u128(15);
pub const BOTH_FIELDS: Uuid = Uuid::from_u128(16);

/// A username that looks like an id no consumer has.
pub const UUID_LOOKING_USERNAME: &str = "00000000-0000-0000-0000-0000000000ff";

pub const CRED_SVC_CA1: Uuid = Uuid::from_u128(0x100);
pub const CRED_SVC_NO_CA: Uuid = Uuid::from_u128(0x101);
pub const CRED_NOCA: Uuid = Uuid::from_u128(0x102);
pub const CRED_CAROL: Uuid = Uuid::from_u128(0x103);
pub const CRED_HEADER_SVC: Uuid = Uuid::from_u128(0x200);

fn user(id: Uuid, username: &str) -> Consumer {
    Consumer::with_username(id, username)
}

fn cid(id: Uuid, custom_id: &str) -> Consumer {
    Consumer::with_custom_id(id, custom_id)
}

pub fn consumers() -> Vec<Consumer> {
    vec![
        user(ALICE, "alice"),
        cid(BOB_CID, "bob-cid"),
        user(CAROL, "carol"),
        user(MAPPED, "mapped-user"),
        user(MAPPED_CA, "mapped-ca-user"),
        user(DEFAULT, "default-user"),
        user(ANON, "anon"),
        user(DAVE_EMAIL, "dave@example.com"),
        user(DAVE_CN, "dave"),
        user(UUID_NAMED, UUID_LOOKING_USERNAME),
        // "shared" is one consumer's username and another's custom_id.
        user(SHARED_USERNAME, "shared"),
        cid(SHARED_CUSTOM_ID, "shared"),
        user(SPIFFE, "spiffe://example.org/ns/prod/sa/api"),
        cid(OPS_CID, "ops.example.net"),
        user(HEADER_MAPPED, "header-mapped"),
        Consumer {
            id: BOTH_FIELDS,
            username: Some("both".into()),
            custom_id: Some("both-cid".into()),
            tags: vec!["t1".into()],
        },
    ]
}

pub fn mtls_credentials() -> Vec<Credential> {
    vec![
        // One name mapped twice: with CA1 to one consumer, without CA to another.
        Credential::new(CRED_SVC_CA1, MAPPED_CA, "svc.example", Some(CA1)),
        Credential::new(CRED_SVC_NO_CA, MAPPED, "svc.example", None),
        Credential::new(CRED_NOCA, MAPPED, "noca.example", None),
        // A mapping whose name is also a consumer's username.
        Credential::new(CRED_CAROL, MAPPED, "carol", None),
    ]
}

pub fn header_credentials() -> Vec<Credential> {
    vec![Credential::new(
        CRED_HEADER_SVC,
        HEADER_MAPPED,
        "svc.example",
        None,
    )]
}

pub fn store() -> InMemoryStore {
    InMemoryStore::builder()
        .ca_certificates([CA1, CA2, CA_UNUSED])
        .consumers(consumers())
        .mtls_auth_credentials(mtls_credentials())
        .header_cert_auth_credentials(header_credentials())
        .build()
        .expect("fixture store is valid")
}
