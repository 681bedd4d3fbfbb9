//! # mtls-gateway
//!
//! The thin composition crate of the mtls workspace: it loads a Kong-style configuration,
//! plugs into a rustls server, and answers, for each request, what Kong's mutual-TLS plugins
//! would decide. It composes `mtls-cert` (validation), `mtls-consumer` (who the certificate
//! is), `mtls-sni` (whether to ask for a certificate) and `mtls-header` (certificates from a
//! trusted proxy's headers), adding as little logic of its own as it can.
//!
//! - [`config`]: Kong's declarative format (`kong.yaml`, YAML or JSON) and a builder.
//! - [`Snapshot`]: the compiled, immutable configuration; [`SnapshotHandle`] swaps it
//!   atomically on reload.
//! - Two ways into rustls: the drop-in [`danger::DeferredChainVerifier`] for an existing
//!   `ServerConfig`, or [`HandshakeConfigs::select`] with rustls' `Acceptor` /
//!   tokio-rustls' `LazyConfigAcceptor`, which asks for a certificate only on the SNIs that
//!   need one.
//! - [`Snapshot::decide`]: the per-request decision (status and body, or the upstream headers).
//! - [`revocation`]: OCSP and CRL checks over the network, Kong's `revocation_check_mode`.
//! - [`UpstreamTls`]: mutual TLS to upstreams.
//! - [`router`] and [`path`]: Kong's `traditional_compatible` router and request-path
//!   normalisation, for embedders without a router of their own.
//!
//! ## Integration 1: an existing rustls server
//!
//! Keep your `ServerConfig`; give it the deferred verifier. Every handshake then asks for a
//! client certificate (without requiring one) and checks proof of possession; the chain is
//! judged per request by [`Snapshot::decide`].
//!
//! ```
//! use std::sync::Arc;
//! use mtls_gateway::danger::DeferredChainVerifier;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
//! # let key = rcgen::KeyPair::generate()?;
//! # let cert = rcgen::CertificateParams::new(vec!["api.example.test".into()])?.self_signed(&key)?;
//! # let (chain, key) = (vec![cert.der().clone()],
//! #     rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()));
//! let verifier = Arc::new(DeferredChainVerifier::new(provider.clone(), Vec::new()));
//! let config = rustls::ServerConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()?
//!     .with_client_cert_verifier(verifier)
//!     .with_single_cert(chain, key)?;
//! # let _ = config;
//! # Ok(()) }
//! ```
//!
//! ## Integration 2: a `ServerConfig` chosen per ClientHello
//!
//! Load the configuration, compile a snapshot, and let it choose the `ServerConfig` from the
//! ClientHello's server name: no CertificateRequest where no route needs one (browsers show
//! no certificate picker there), CA names only where `send_ca_dn` asks for them.
//!
//! ```
//! use std::sync::Arc;
//! use mtls_gateway::{CompileOptions, Snapshot, SnapshotHandle, config};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let yaml = r#"
//! _format_version: "3.0"
//! services:
//!   - name: backend
//!     url: http://127.0.0.1:8080
//!     routes:
//!       - name: public
//!         hosts: [www.example.test]
//! "#;
//! let (config, warnings) = config::load_str(yaml)?;
//! assert!(warnings.is_empty());
//! let options = CompileOptions::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
//! let gateway = SnapshotHandle::try_new(|version| Snapshot::compile(&config, version, &options))?;
//!
//! // In the accept loop (rustls::server::Acceptor or tokio_rustls::LazyConfigAcceptor):
//! //   let config = gateway.load().handshake().select(accepted.client_hello().server_name());
//! let server_config = gateway.load().handshake().select(Some("www.example.test"));
//! // Then: accepted.into_connection(server_config), and per request:
//! //   gateway.load().decide(route_name, &facts).await
//! # let _ = server_config;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod compile;
pub mod config;
pub mod danger;
pub mod decision;
mod error;
pub mod handshake;
pub mod path;
pub mod revocation;
pub mod router;
pub mod server_certs;
pub mod snapshot;
pub mod upstream;

pub use compile::{CompileError, CompileOptions};
pub use decision::{Allow, Decider, Decision, Deny, RequestFacts, RoutePlugins};
pub use error::TlsError;
pub use handshake::HandshakeConfigs;
pub use server_certs::ServerCertificates;
pub use snapshot::{Snapshot, SnapshotHandle};
pub use upstream::UpstreamTls;
