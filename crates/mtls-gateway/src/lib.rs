//! # mtls-gateway
//!
//! The composition crate of the mtls workspace: it compiles a Kong configuration
//! ([`mtls_kong_config::Config`]) into a [`Snapshot`], plugs into a rustls server, and gives,
//! for each request, the whole answer Kong would give: a [`Plan`].
//!
//! ## Where it sits
//!
//! Above the sans-IO core (`mtls-cert` validates, `mtls-consumer` decides who a certificate
//! is, `mtls-sni` decides whether to ask for one, `mtls-header` reads certificates from a
//! trusted proxy's headers) and `mtls-kong-config` (Kong's entities and kong.yaml); below the
//! executors (`mtls-server` runs plans on tokio and hyper; the `tower` feature gives a layer
//! for an axum or hyper service; an embedder can run plans in its own server). The plan does
//! no IO: a request that needs a revocation answer from the network is [`Plan::Pending`],
//! and [`drive`] fetches it.
//!
//! ## The request plan
//!
//! ```
//! use std::sync::Arc;
//! use mtls_gateway::{CompileOptions, Connection, Plan, RequestHead, Snapshot, SnapshotHandle};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let yaml = r#"
//! _format_version: "3.0"
//! services:
//!   - name: backend
//!     url: http://127.0.0.1:8080/api
//!     routes:
//!       - name: public
//!         paths: [/public]
//! "#;
//! let (config, _) = mtls_kong_config::load_str(yaml)?;
//! let options = CompileOptions::new(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
//! let gateway = SnapshotHandle::try_new(|version| Snapshot::compile(&config, version, &options))?;
//!
//! let conn = Connection { peer: "192.0.2.10:50000".parse()?, local_port: 8000, tls: None };
//! let (method, uri) = (http::Method::GET, "/public/../public/x?y=1".parse()?);
//! let mut headers = http::HeaderMap::new();
//! headers.insert("host", "api.example.test".parse()?);
//! let head = RequestHead { method: &method, uri: &uri, version: http::Version::HTTP_11, headers: &headers };
//! match gateway.load().plan(&conn, &head, mtls_cert::pki_types::UnixTime::now()) {
//!     Plan::Proxy(upstream) => {
//!         assert_eq!(upstream.path_and_query, "/api/x?y=1"); // normalised, then strip_path
//!         assert_eq!(upstream.upstream.port(), 8080);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! ## Into rustls: a `ServerConfig` chosen per ClientHello
//!
//! [`HandshakeConfigs::select`] (with rustls' `Acceptor` or tokio-rustls'
//! `LazyConfigAcceptor`) asks for a certificate only on the SNIs that need one (browsers show
//! no picker elsewhere), with CA names where `send_ca_dn` asks; keep its [`ClientAuth`] in the
//! connection's [`TlsInfo`]. Or keep your own `ServerConfig` and give it
//! [`danger::DeferredChainVerifier`], which asks every client for a certificate without
//! requiring one and leaves the chain to be judged per request.
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
#![forbid(unsafe_code)]

mod compile;
pub mod danger;
mod decision;
mod driver;
mod error;
mod handshake;
#[cfg(feature = "tower")]
mod layer;
mod plan;
mod revocation;
mod router;
mod server_certs;
mod snapshot;
mod upstream;

pub use compile::{
    CompileError, CompileOptions, RouteInfo, SharedConsumerStore, Timeouts, Upstream,
    UpstreamProtocol,
};
pub use decision::{Allow, Answers, Needs};
pub use driver::drive;
pub use error::TlsError;
pub use handshake::{ClientAuth, HandshakeConfigs, Selected};
#[cfg(feature = "tower")]
pub use layer::{Authenticated, ConnectionInfo, MtlsLayer, MtlsService};
pub use mtls_consumer::Consumer;
pub use plan::head::{HeadError, RequestHost};
pub use plan::{
    Connection, Pending, Plan, RequestHead, Respond, TlsInfo, UpstreamPlan, strip_hop_by_hop,
};
pub use revocation::{
    FetchError, FetchSettings, Lookup, MAX_FETCHED_CRL_SIZE, MAX_OCSP_RESPONSE_SIZE, Proxy,
    RevocationCheckMode, RevocationChecker, RevocationOutcome, RevocationPolicy, RevocationQuery,
    Source as RevocationSource, Verdict,
};
pub use router::{
    Captures, Hit as RouteHit, NO_ROUTE_BODY, Outcome as RouteOutcome, REDIRECT_STATUS_CODES,
    Refusal as RouteRefusal, RequestInfo, RequestProtocol, RouteMatch, Router, RouterError,
    https_location, is_grpc_content_type, is_websocket_upgrade, split_host_port, upstream_path,
};
pub use server_certs::ServerCertificates;
pub use snapshot::{CacheStats, Prepared, Snapshot, SnapshotHandle};
pub use upstream::UpstreamTls;

/// Kong's request-path normalisation (decision 13) and escaping, as routing uses them.
pub use mtls_kong_config::path::{
    NormalizedPath, PathError, escape as escape_path, normalize as normalize_path,
};
