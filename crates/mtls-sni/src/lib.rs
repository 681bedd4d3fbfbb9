//! The SNI map: decides, from the ClientHello alone, whether the gateway requests a client
//! certificate, and which CA names it sends.
//!
//! # Where this crate sits
//!
//! One of the sans-IO core crates of the workspace (with `mtls-cert`, `mtls-consumer`,
//! `mtls-header`): plain data and functions, no sockets, no runtime, no TLS library. The gateway
//! builds an [`SniMap`] from each configuration snapshot, and at every connection reads the
//! ClientHello with rustls' `Acceptor` (or `tokio_rustls::LazyConfigAcceptor`), calls
//! [`SniMap::lookup`] with its `server_name()`, and picks the `ServerConfig` that matches the
//! [`Decision`]: no client auth, or "request, don't require" with the DNs of the listed
//! `ca_certificates` as root hints. rustls has neither renegotiation nor post-handshake auth, so
//! this is the only moment to decide; a browser asked for a certificate shows its user a
//! picker, so the gateway asks only where a route needs it. Validation of the certificate
//! happens later, per request (`mtls-cert`).
//!
//! # Kong's rules
//!
//! The map is built as Kong builds its own (see [`SniMap::build`] and the `build` module's
//! documentation): every enabled `mtls-auth` and `tls-handshake-modifier` instance, across all
//! workspaces; a global instance gives the catch-all `*`; a service instance each of the
//! service's routes; a route instance its route; a route without `snis` the catch-all, and
//! each SNI an exact (`api.example.com`), suffix (`*.example.com`) or prefix (`example.*`)
//! entry. `mtls-auth` with `send_ca_dn` unions its CA ids into its entries.
//!
//! The lookup tries the exact entry, then suffix entries, then prefix entries, then `*` (also
//! for a ClientHello without SNI). Where several suffix or prefix entries match, the longest
//! wins (Kong takes whichever its hash table yields first). It costs O(labels of the name) hash
//! probes and no allocation.
//!
//! Departures from Kong: SNIs and server names are compared case-insensitively and without a
//! trailing dot; SNI patterns are limited to DNS-name characters and lengths; wildcard SNIs are
//! accepted whatever the router flavour (decision 8).
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use mtls_sni::{CertificatePlugin, Decision, Route, Scope, SniMap};
//! use uuid::Uuid;
//!
//! let partners_ca = Uuid::from_u128(0x1234);
//! let routes = [
//!     Route::new("partners").with_service("api").with_snis(["*.partners.example.com"]),
//!     Route::new("public").with_service("web").with_snis(["www.example.com"]),
//! ];
//! let plugins = [CertificatePlugin::mtls_auth(
//!     "mtls-on-api",
//!     Scope::Service("api".into()),
//!     vec![partners_ca],
//!     true, // send_ca_dn
//! )];
//!
//! // Built once per configuration, shared, swapped whole on reload.
//! let map = Arc::new(SniMap::build(&routes, &plugins)?);
//!
//! assert_eq!(
//!     map.lookup(Some("acme.partners.example.com")),
//!     Decision::Request { ca_ids: &[partners_ca] },
//! );
//! assert_eq!(map.lookup(Some("www.example.com")), Decision::NoRequest);
//! assert_eq!(map.lookup(None), Decision::NoRequest);
//!
//! // What the diagnostic command prints:
//! println!("{}", map.explain(Some("acme.partners.example.com")));
//! # Ok::<(), mtls_sni::BuildError>(())
//! ```

#![forbid(unsafe_code)]

mod bits;
mod build;
mod error;
mod explain;
mod hash;
mod map;
mod model;
mod name;
mod sni;

pub use error::{BuildError, SniError};
pub use explain::{Contribution, EntryExplanation, Explanation, RouteRef, ServerName};
pub use map::{Decision, Entry, EntryKey, SniMap};
pub use model::{
    CertificatePlugin, PluginId, PluginKind, Protocol, Route, RouteId, Scope, ServiceId,
    WorkspaceId,
};
pub use sni::{MAX_NAME_LEN, SniPattern, normalize_server_name};
