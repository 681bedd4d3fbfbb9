//! The workspace's test PKI and loopback harness (unpublished).
//!
//! Where it sits: every package's tests, the benches, the `mtls-load` tool and the `mtls
//! demo` take their certificates from here, so that one set of rcgen builders, named for what
//! they exercise, replaces the copies each package used to carry. It depends on no workspace
//! crate (a dev-dependency of mtls-cert on a crate that depends on mtls-cert would give the
//! tests two copies of mtls-cert's types): it speaks DER, PEM, rustls-pki-types and rcgen,
//! and each package turns those into its own types.
//!
//! - [`CertSpec`] and [`Node`]: what a certificate says, and a generated one with its key
//!   that can issue others and knows the chain its holder sends;
//! - [`named`]: profiles and ready certificates named for what they exercise
//!   ([`expired_leaf`], [`email_san_only`], [`leaf_as_ca`], [`server_auth_only_leaf`], ...);
//! - [`CrlSpec`] (CRLs), [`authority_info_access`] (OCSP responders, CA issuers);
//! - [`fixtures`]: fixed PKIs shared by several packages, built once per test binary
//!   ([`client_chain`], [`header_vectors`]) or on demand ([`MutualPki`]);
//! - [`demo`] (the `mtls demo` PKI, which ships in the binary: it never panics) and [`load`]
//!   (`mtls-load pki`), both written as PEM files ([`Pair`], [`write_file`]);
//! - [`TempDir`], [`yaml_block`], [`url_encode`], [`have`], [`openssl_available`];
//! - feature `servers`: the echo upstream, the recording upstream, the `mtls serve` process
//!   harness and a rustls + hyper client ([`servers`]). The sans-IO crates' tests leave it
//!   off and pull no tokio.
//!
//! ```
//! use mtls_test_pki::{CrlSpec, expired_leaf, intermediate, root};
//!
//! let root = root("Root CA");
//! let issuing = intermediate("Issuing CA", &root);
//! let client = root.client("alice", Some("alice@example.test"), false);
//! let expired = expired_leaf(&issuing);
//! // What a client sends: the leaf, then the intermediates above it (not the root).
//! assert_eq!(expired.chain(), vec![expired.der(), issuing.der()]);
//! assert_eq!(client.chain().len(), 1);
//! let crl = CrlSpec::revoking(&[7]).sign(&root);
//! assert!(crl.pem().unwrap().starts_with("-----BEGIN X509 CRL-----"));
//! ```
#![forbid(unsafe_code)]

mod crl;
pub mod demo;
mod extensions;
mod files;
pub mod fixtures;
pub mod load;
pub mod manifests;
pub mod named;
mod node;
pub mod postgres;
#[cfg(feature = "servers")]
pub mod servers;
mod text;
mod tools;

pub use crl::CrlSpec;
pub use extensions::{AccessMethod, authority_info_access};
pub use files::{Pair, TempDir, write_file};
pub use fixtures::{ClientChain, HeaderVectors, MutualPki, client_chain, header_vectors};
pub use named::*;
pub use node::{CertSpec, Node};
pub use text::{url_encode, yaml_block};
pub use tools::{have, openssl_available};

/// rustls-pki-types (the DER types the builders return).
pub use pki_types;
/// rcgen, for what the builders do not name (`CertificateParams` fields in
/// [`CertSpec::with`], `KeyUsagePurpose`, `SanType`, ...).
pub use rcgen;
