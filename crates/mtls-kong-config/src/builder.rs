//! Building a validated [`Config`] in code: entities given as Kong's JSON records (with
//! `serde_json::json!`, or serialised from the typed entities and plugin configs), checked by
//! the same reader with the same errors and paths as a `kong.yaml`.

use serde_json::{Map, Value};

use crate::config::Config;
use crate::declarative::Loader;
use crate::entities::Kind;
use crate::error::{ConfigErrors, LoadError};

/// Collects entity records, then validates and resolves them all at once ([`build`]).
///
/// Records are numbered per kind in the order they are added, so an error names them as a
/// file would (`services[0].routes[1].snis[0]`).
///
/// ```
/// use mtls_kong_config::{AclConfig, Config};
/// use serde_json::json;
///
/// let config = Config::builder()
///     .service(json!({
///         "name": "billing",
///         "url": "https://billing.internal",
///         "routes": [{"name": "billing", "paths": ["/billing"]}],
///     }))
///     .consumer(json!({"username": "alice", "acls": [{"group": "billing-users"}]}))
///     .plugin(json!({
///         "name": "acl",
///         "route": "billing",
///         "config": AclConfig::allow(["billing-users"]),
///     }))
///     .build()?;
/// assert_eq!(config.routes().len(), 1);
/// # Ok::<(), mtls_kong_config::ConfigErrors>(())
/// ```
///
/// [`build`]: ConfigBuilder::build
#[derive(Debug, Default)]
#[must_use]
pub struct ConfigBuilder {
    loader: Loader,
    document: Map<String, Value>,
}

impl ConfigBuilder {
    /// An empty builder with the default [`Loader`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `loader`'s settings (clock, trusted IPs, skipped plugins).
    pub fn loader(mut self, loader: Loader) -> Self {
        self.loader = loader;
        self
    }

    /// Adds a record of `kind` (nested entities included, as in a file).
    pub fn entity(mut self, kind: Kind, record: Value) -> Self {
        let list = self
            .document
            .entry(kind.table())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.push(record);
        }
        self
    }

    /// Adds a `ca_certificates` record.
    pub fn ca_certificate(self, record: Value) -> Self {
        self.entity(Kind::CaCertificate, record)
    }

    /// Adds a `certificates` record (with its nested SNIs).
    pub fn certificate(self, record: Value) -> Self {
        self.entity(Kind::Certificate, record)
    }

    /// Adds a `services` record (with its nested routes and plugins).
    pub fn service(self, record: Value) -> Self {
        self.entity(Kind::Service, record)
    }

    /// Adds a top-level `routes` record.
    pub fn route(self, record: Value) -> Self {
        self.entity(Kind::Route, record)
    }

    /// Adds a `consumers` record (with its nested credentials and ACL groups).
    pub fn consumer(self, record: Value) -> Self {
        self.entity(Kind::Consumer, record)
    }

    /// Adds a top-level `mtls_auth_credentials` record.
    pub fn mtls_auth_credential(self, record: Value) -> Self {
        self.entity(Kind::MtlsAuthCredential, record)
    }

    /// Adds a top-level `acls` record.
    pub fn acl(self, record: Value) -> Self {
        self.entity(Kind::Acl, record)
    }

    /// Adds a top-level `plugins` record.
    pub fn plugin(self, record: Value) -> Self {
        self.entity(Kind::Plugin, record)
    }

    /// Validates and resolves everything: the configuration, or every problem found.
    pub fn build(mut self) -> Result<Config, ConfigErrors> {
        self.document
            .insert("_format_version".into(), Value::String("3.0".into()));
        match self.loader.load_value(&Value::Object(self.document)) {
            Ok((config, _)) => Ok(config),
            Err(LoadError::Invalid(errors)) => Err(errors),
            Err(other) => Err(ConfigErrors::single("", other.to_string())),
        }
    }
}

impl Config {
    /// A builder for a configuration made in code.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::new()
    }
}
