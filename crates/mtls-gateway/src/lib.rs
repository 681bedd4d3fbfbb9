//! # mtls-gateway
//!
//! The thin composition crate of the mtls workspace: it loads a Kong-style configuration,
//! plugs into a rustls server (one drop-in client-certificate verifier, or a per-ClientHello
//! choice of `ServerConfig`), and answers, for each request, what Kong's mutual-TLS plugins
//! would decide. It composes `mtls-cert` (validation), `mtls-consumer` (who the certificate
//! is), `mtls-sni` (whether to ask for a certificate) and `mtls-header` (certificates from a
//! trusted proxy's headers), adding as little logic of its own as it can.
#![forbid(unsafe_code)]

pub mod config;
pub mod danger;
pub mod decision;
mod error;
pub mod handshake;
pub mod router;
pub mod server_certs;
pub mod snapshot;
pub mod upstream;

pub use decision::{Allow, Decider, Decision, Deny, RequestFacts, RoutePlugins};
pub use error::TlsError;
pub use handshake::HandshakeConfigs;
pub use server_certs::ServerCertificates;
pub use snapshot::{Snapshot, SnapshotHandle};
pub use upstream::UpstreamTls;
