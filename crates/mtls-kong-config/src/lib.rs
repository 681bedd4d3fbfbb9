//! # mtls-kong-config
//!
//! Kong Gateway's entity model for the mtls workspace: every entity the mutual-TLS family
//! uses (`ca_certificates`, `certificates`, `snis`, `services`, `routes`, `consumers`,
//! `mtls_auth_credentials`, `header_cert_auth_credentials`, `acls`, `plugins`), Kong's
//! schemas for them, and the declarative format (`kong.yaml`, DB-less mode).
//!
//! ## Where this crate sits
//!
//! Between the sans-IO core crates (whose rules it applies when it validates: CA certificates
//! by `mtls-cert` with Kong's messages, consumers and credentials by `mtls-consumer`, SNIs by
//! `mtls-sni`, header settings by `mtls-header`) and `mtls-gateway`, which compiles a
//! [`Config`] into the snapshot that serves requests. The Admin API and the database store
//! read and write the same entities: there is one model.
//!
//! ## Two representations, one mechanism
//!
//! - As written: JSON records (from YAML, JSON, an Admin API body or a Kubernetes
//!   translation), read with each kind's [`schema`]: one generic reader reports every
//!   problem with its path in Kong's words and fills Kong's defaults.
//! - Validated: the typed [`entities`] (serde, in Kong's JSON shape), resolved and checked,
//!   gathered in a [`Config`].
//!
//! ## Our additions to Kong's schema
//!
//! - `check_eku` on mtls-auth and header-cert-auth (default `true`; `false` is Kong's
//!   behaviour: decisions.md item 7).
//! - `trusted_ips` on header-cert-auth (default null: the gateway-wide list, set with
//!   [`Loader::trusted_ips`]; empty by default, so nothing is trusted).
//! - `certificate_header_format` accepts mtls-header's formats beyond Kong's two.
//! - Wildcard SNIs on routes are accepted whatever the router flavour (decisions.md item 8).
//! - A plugin outside the family is refused unless named in a [`plugins::SkipList`]
//!   (decision 16).
//!
//! ## Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ca_key = rcgen::KeyPair::generate()?;
//! let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
//! ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
//! let ca_pem = ca.self_signed(&ca_key)?.pem().replace('\n', "\n      ");
//!
//! let yaml = format!(r#"
//! _format_version: "3.0"
//! ca_certificates:
//!   - id: 6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10
//!     cert: |
//!       {ca_pem}
//! services:
//!   - name: billing
//!     url: https://billing.internal:8443
//!     routes:
//!       - name: billing-mtls
//!         protocols: [https]
//!         snis: ["*.billing.example.com"]
//!         plugins:
//!           - name: mtls-auth
//!             config:
//!               ca_certificates: [6e3c9b4a-3f0b-4d6f-9d59-2a1e0c7b5a10]
//! consumers:
//!   - username: alice
//!     mtls_auth_credentials:
//!       - subject_name: alice@example.com
//! plugins:
//!   - name: rate-limiting
//!     config: {{ minute: 5 }}
//! "#);
//!
//! // Other plugins are refused, unless the operator skips them knowingly.
//! assert!(mtls_kong_config::load_str(&yaml).is_err());
//! let loader = mtls_kong_config::Loader::new()
//!     .skip_plugins(mtls_kong_config::plugins::SkipList::new(["rate-limiting"])?);
//! let (config, warnings) = loader.load_str(&yaml)?;
//! let route = config.route_by_name("billing-mtls").expect("loaded");
//! assert_eq!(route.service, config.service_by_name("billing").map(|s| s.id));
//! assert_eq!(config.plugins_on_route(route.id).count(), 1);
//! assert_eq!(config.mtls_auth_credentials().len(), 1);
//! assert_eq!(warnings.len(), 1); // rate-limiting, skipped
//!
//! // Every error at once, each with its path.
//! let bad = yaml.replace("*.billing", "a.*.billing").replace("username: alice", "tags: []");
//! let errors = loader.load_str(&bad).unwrap_err();
//! println!("{errors}");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod apply;
mod assemble;
mod builder;
mod config;
pub mod declarative;
pub mod entities;
mod error;
pub mod form;
pub mod path;
pub mod patterns;
pub mod plugins;
mod resolve;
pub mod schema;

pub use apply::Change;
pub use builder::ConfigBuilder;
pub use config::Config;
pub use declarative::{FormatVersion, Loader, Record, SourceFormat, load_file, load_str};
pub use entities::{
    AclGroup, AnyEntity, CaCertificate, Certificate, Consumer, Credential, CredentialKind, Kind,
    PathHandling, PluginInstance, PluginScope, Route, Service, Sni,
};
pub use error::{ConfigError, ConfigErrors, Errors, LoadError, Warning, index, join};
pub use plugins::{
    AclConfig, AuthSettings, HeaderCertAuthConfig, MtlsAuthConfig, PLUGIN_NAMES, PluginConfig,
    RevocationCheckMode, TlsClientCertificate, TlsHandshakeModifierConfig,
    TlsMetadataHeadersConfig,
};
