//! The loader for Kong's declarative format (`kong.yaml`, DB-less mode).
//!
//! The text (YAML or JSON) is parsed into a tree, then read entity by entity with paths, every
//! problem collected: types and unknown fields here, everything else when the entities are
//! resolved. Plugins outside the family and entity kinds this project does not use are left
//! out with a [`Warning`].

mod entities;
mod plugin_config;

use std::collections::BTreeMap;
use std::path::Path;

use mtls_header::TrustedIps;
use rustls::pki_types::UnixTime;
use serde_json::Value;

use super::Config;
use super::error::{Errors, LoadError, Warning, index};
use super::flat::{Flat, FormatVersion};
use super::resolve::{self, Options};

/// The syntax of a declarative file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceFormat {
    /// YAML (Kong's usual `kong.yaml`).
    Yaml,
    /// JSON.
    Json,
}

impl SourceFormat {
    /// From a file extension: `json` is JSON, `yaml` / `yml` YAML, anything else unknown.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }

    /// From the content: JSON when it starts (after white space) with `{`, YAML otherwise.
    pub fn sniff(text: &str) -> Self {
        if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            Self::Json
        } else {
            Self::Yaml
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Yaml => "YAML",
            Self::Json => "JSON",
        }
    }
}

/// Top-level keys Kong has that carry nothing this project uses: skipped with a warning.
const IGNORED_TOP_LEVEL: [&str; 22] = [
    "_workspace",
    "_konnect",
    "upstreams",
    "targets",
    "consumer_groups",
    "consumer_group_consumers",
    "consumer_group_plugins",
    "vaults",
    "keys",
    "key_sets",
    "filter_chains",
    "partials",
    "licenses",
    "workspaces",
    "keyauth_credentials",
    "keyauth_enc_credentials",
    "basicauth_credentials",
    "hmacauth_credentials",
    "jwt_secrets",
    "oauth2_credentials",
    "oauth2_authorization_codes",
    "oauth2_tokens",
];

/// Top-level keys of the entities this project uses.
const SUPPORTED_TOP_LEVEL: [&str; 10] = [
    "ca_certificates",
    "certificates",
    "snis",
    "services",
    "routes",
    "consumers",
    "mtls_auth_credentials",
    "header_cert_auth_credentials",
    "acls",
    "plugins",
];

/// Top-level keys of Kong's that only annotate the file.
const ANNOTATIONS: [&str; 3] = ["_transform", "_comment", "_info"];

/// Loads declarative configurations, with the settings Kong reads from kong.conf.
#[derive(Clone, Debug)]
pub struct Loader {
    now: Option<UnixTime>,
    trusted_ips: TrustedIps,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Loader {
    /// A loader with the defaults: the clock for CA expiry checks, no trusted IPs.
    pub fn new() -> Self {
        Self {
            now: None,
            trusted_ips: TrustedIps::new(),
        }
    }

    /// The time CA certificates are checked against (Kong refuses an expired CA). Default:
    /// the system clock at load time.
    #[must_use]
    pub fn now(mut self, now: UnixTime) -> Self {
        self.now = Some(now);
        self
    }

    /// The gateway-wide `trusted_ips` (kong.conf): peers allowed to send certificate headers
    /// to header-cert-auth instances without their own list. Default: empty.
    #[must_use]
    pub fn trusted_ips(mut self, trusted_ips: TrustedIps) -> Self {
        self.trusted_ips = trusted_ips;
        self
    }

    /// Loads `text`, YAML or JSON by its content.
    pub fn load_str(&self, text: &str) -> Result<(Config, Vec<Warning>), LoadError> {
        self.load_as(text, SourceFormat::sniff(text))
    }

    /// Loads `text` in the given syntax.
    pub fn load_as(
        &self,
        text: &str,
        format: SourceFormat,
    ) -> Result<(Config, Vec<Warning>), LoadError> {
        let value: Value = match format {
            SourceFormat::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
            SourceFormat::Yaml => serde_norway::from_str(text).map_err(|e| e.to_string()),
        }
        .map_err(|message| LoadError::Syntax {
            format: format.name(),
            message,
        })?;
        self.load_value(&value)
    }

    /// Loads a file: the syntax by its extension (`.json`, `.yaml`, `.yml`), else by content.
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<(Config, Vec<Warning>), LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        let format = SourceFormat::from_path(path).unwrap_or_else(|| SourceFormat::sniff(&text));
        self.load_as(&text, format)
    }

    /// Loads an already parsed document.
    pub fn load_value(&self, document: &Value) -> Result<(Config, Vec<Warning>), LoadError> {
        let mut errors = Errors::default();
        let mut reading = Reading::default();
        read_document(document, &mut reading, &mut errors);
        let warnings = reading.warnings();
        let options = Options {
            now: self.now.unwrap_or_else(UnixTime::now),
            trusted_ips: self.trusted_ips.clone(),
        };
        let config = resolve::resolve(reading.flat, &options, errors)?;
        Ok((config, warnings))
    }
}

/// Loads a declarative configuration from text (YAML or JSON, by content) with the default
/// [`Loader`]. Returns the configuration and what was left out.
pub fn load_str(text: &str) -> Result<(Config, Vec<Warning>), LoadError> {
    Loader::new().load_str(text)
}

/// Loads a declarative configuration file with the default [`Loader`].
pub fn load_file(path: impl AsRef<Path>) -> Result<(Config, Vec<Warning>), LoadError> {
    Loader::new().load_file(path)
}

/// What reading gathers besides errors.
#[derive(Default)]
pub(crate) struct Reading {
    pub(crate) flat: Flat,
    /// Plugin name -> instances left out.
    pub(crate) unsupported_plugins: BTreeMap<String, usize>,
    pub(crate) ignored: Vec<String>,
}

impl Reading {
    fn warnings(&self) -> Vec<Warning> {
        let mut warnings = Vec::new();
        if !self.unsupported_plugins.is_empty() {
            warnings.push(Warning::UnsupportedPlugins {
                names: self.unsupported_plugins.keys().cloned().collect(),
                instances: self.unsupported_plugins.values().sum(),
            });
        }
        if !self.ignored.is_empty() {
            let mut paths = self.ignored.clone();
            paths.sort();
            warnings.push(Warning::IgnoredEntities { paths });
        }
        warnings
    }
}

fn read_document(document: &Value, reading: &mut Reading, errors: &mut Errors) {
    let Value::Object(map) = document else {
        errors.push("", "expected a record (the document's top level)");
        return;
    };
    match map.get("_format_version") {
        None | Some(Value::Null) => errors.push("_format_version", "required field missing"),
        Some(v) => {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            match text.as_str() {
                "3.0" => reading.flat.format_version = FormatVersion::V3_0,
                "2.1" => reading.flat.format_version = FormatVersion::V2_1,
                _ => errors.push(
                    "_format_version",
                    format!("unsupported version {v}: expected \"3.0\" (or \"2.1\")"),
                ),
            }
        }
    }
    for (key, value) in map {
        let key = key.as_str();
        if key == "_format_version" || ANNOTATIONS.contains(&key) {
            continue;
        }
        if IGNORED_TOP_LEVEL.contains(&key) {
            reading.ignored.push(key.to_owned());
            continue;
        }
        if !SUPPORTED_TOP_LEVEL.contains(&key) {
            errors.push(key, "unknown field");
            continue;
        }
        let Some(items) = list(value, key, errors) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let path = index(key, i);
            match key {
                "ca_certificates" => entities::ca_certificate(item, path, reading, errors),
                "certificates" => entities::certificate(item, path, reading, errors),
                "snis" => entities::sni(item, path, None, reading, errors),
                "services" => entities::service(item, path, reading, errors),
                "routes" => entities::route(item, path, None, reading, errors),
                "consumers" => entities::consumer(item, path, reading, errors),
                "mtls_auth_credentials" | "header_cert_auth_credentials" => {
                    entities::credential(key, item, path, None, reading, errors);
                }
                "acls" => entities::acl(item, path, None, reading, errors),
                "plugins" => entities::plugin(item, path, None, reading, errors),
                _ => {}
            }
        }
    }
}

/// A list of entities (null reads as empty).
pub(crate) fn list<'a>(value: &'a Value, path: &str, errors: &mut Errors) -> Option<&'a [Value]> {
    match value {
        Value::Array(items) => Some(items),
        Value::Null => Some(&[]),
        _ => {
            errors.push(path, "expected an array");
            None
        }
    }
}
