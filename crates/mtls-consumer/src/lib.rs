#![forbid(unsafe_code)]
//! Kong-compatible consumer matching for mutual TLS: who a request is, once its client
//! certificate has been accepted.
//!
//! # Where this crate sits
//!
//! The gateway terminates TLS (or reads a certificate header), `mtls-cert` parses and validates
//! the chain and extracts the certificate's names, subject DN and anchor CA. This crate takes
//! those facts and decides, exactly as Kong's mtls-auth and header-cert-auth plugins do, which
//! consumer the certificate belongs to ([`match_consumer`]), which upstream headers to set or
//! strip ([`HeaderPlan`]), and whether the acl plugin lets it through ([`Acl`]). It is sans-IO:
//! no sockets, no runtime, no clock except in the optional [`CachedStore`]; plain data in,
//! plain data out. The gateway turns the outcome into a response or an upstream request.
//!
//! The matching order (Kong's, first hit wins): manual mappings ([`Credential`]) for each name
//! with the anchor CA then without, then consumers by `consumer_by` (username / custom_id),
//! then `default_consumer`, then failure; a failure falls to `anonymous`. See [`matching`].
//!
//! Entities ([`Consumer`], [`Credential`]) read Kong's declarative configuration field names;
//! [`InMemoryStore`] validates and indexes them for million-consumer configurations with
//! allocation-free lookups.
//!
//! # Example
//!
//! ```
//! use mtls_consumer::{
//!     CertificateIdentity, Consumer, Credential, FoundBy, HeaderPlan, InMemoryStore,
//!     MatchSettings, Outcome, Plugin, UpstreamHeader, match_consumer,
//! };
//! use uuid::Uuid;
//!
//! let ca = Uuid::from_u128(0xca);
//! let alice = Consumer::with_username(Uuid::from_u128(1), "alice");
//! let billing = Consumer::with_custom_id(Uuid::from_u128(2), "billing-svc");
//! let store = InMemoryStore::builder()
//!     .ca_certificates([ca])
//!     .consumers([alice, billing])
//!     // A manual mapping: this SAN, anchored by this CA, is the billing service.
//!     .mtls_auth_credentials([Credential::new(
//!         Uuid::from_u128(10),
//!         Uuid::from_u128(2),
//!         "billing.internal.example",
//!         Some(ca),
//!     )])
//!     .build()?;
//!
//! // SANs in certificate order, then the first CN.
//! let names = ["alice@example.com", "alice"];
//! let identity = CertificateIdentity::new(&names, Some("alice"), "CN=alice,O=Example", Some(ca));
//! let settings = MatchSettings::new(Plugin::MtlsAuth);
//!
//! let outcome = match_consumer(&store, &identity, &settings);
//! let Outcome::Consumer { consumer, found_by, .. } = &outcome else {
//!     panic!("expected a consumer, got {outcome:?}");
//! };
//! assert_eq!(consumer.username(), Some("alice"));
//! assert_eq!(*found_by, FoundBy::Username { name_index: 1 });
//!
//! let plan = HeaderPlan::for_outcome(&outcome);
//! assert_eq!(plan.value(UpstreamHeader::ConsumerUsername), Some("alice"));
//! assert_eq!(plan.value(UpstreamHeader::AnonymousConsumer), None); // removed
//!
//! // A certificate matching nothing: Kong's 401, the precise reason kept for the log.
//! let names = ["mallory.example"];
//! let identity = CertificateIdentity::new(&names, None, "O=Elsewhere", Some(ca));
//! let outcome = match_consumer(&store, &identity, &settings);
//! let failure = outcome.failure().expect("refused");
//! assert_eq!(failure.rejection().status(), 401);
//! assert_eq!(failure.rejection().body(), r#"{"message":"TLS certificate failed verification"}"#);
//! # Ok::<(), mtls_consumer::BuildError>(())
//! ```

pub mod acl;
pub mod cache;
pub mod consumer;
pub mod credentials;
pub mod error;
pub mod headers;
pub mod identity;
pub mod matching;
pub mod outcome;
pub mod settings;
pub mod store;

pub use acl::{Acl, AclBlock, AclDecision, AclRule, AclSubject};
pub use cache::{CacheSettings, CachedStore, Clock, SystemClock};
pub use consumer::{Consumer, ConsumerField, parse_kong_uuid};
pub use credentials::{Credential, CredentialKind};
pub use error::{AclConfigError, BuildError, EntityError, Lookup, StoreError};
pub use headers::{HeaderAction, HeaderPlan, UpstreamHeader};
pub use identity::{CertificateIdentity, SubjectNames, SubjectNamesIter};
pub use matching::{fail_authentication, match_consumer};
pub use outcome::{AuthFailure, ClientCert, Failure, FailureReason, FoundBy, Outcome, Rejection};
pub use settings::{ConsumerReference, GroupBy, MatchSettings, Plugin};
pub use store::{ConsumerStore, CredentialMatch, InMemoryStore, InMemoryStoreBuilder};
