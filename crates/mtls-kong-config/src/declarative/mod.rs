//! Kong's declarative format (`kong.yaml`, DB-less mode): YAML or JSON, `_format_version`
//! `"3.0"` (or `"2.1"`), entities nested or at the top level, foreign keys as an id, a name
//! (username) or `{id: ...}`.
//!
//! The text is checked for depth and size before any parser runs ([`MAX_DEPTH`]), parsed,
//! walked entity by entity with each kind's schema, then resolved: every problem is collected
//! with its path. A plugin this project does not implement is an error (decision 16) unless
//! it is in the loader's [`SkipList`].
//!
//! # Ids
//!
//! An entity without an `id` gets a deterministic UUID (v5), from its kind and natural key
//! (a service's or route's name, a consumer's username or custom_id, a CA's `cert_digest`, an
//! SNI's name, a plugin's name and scope, a credential's consumer, subject name and CA, an ACL
//! group's consumer and group), or from its path in the file when it has none. Loading the
//! same file twice, or the same entities in JSON and in YAML, nested or at the top level,
//! gives the same ids, so caches keyed by id survive a reload.

mod limits;
mod walk;

pub use limits::{MAX_DEPTH, MAX_SIZE};

use std::path::Path;
use std::sync::Arc;

use mtls_header::TrustedIps;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::UnixTime;
use serde_json::Value;

use crate::config::Config;
use crate::error::{ConfigErrors, Errors, LoadError, Warning};
use crate::plugins::SkipList;
use crate::resolve::{self, Options};

/// The declarative format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FormatVersion {
    /// `"2.1"`: Kong 2.x files. Route paths that are regular expressions get Kong 3's `~`
    /// prefix, as Kong does when it reads such a file.
    V2_1,
    /// `"3.0"`.
    #[default]
    V3_0,
}

impl FormatVersion {
    /// The value of `_format_version`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2_1 => "2.1",
            Self::V3_0 => "3.0",
        }
    }
}

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

    /// `YAML` or `JSON`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Yaml => "YAML",
            Self::Json => "JSON",
        }
    }
}

/// The depth and size checks [`parse`] runs before any parser sees the text ([`MAX_DEPTH`],
/// [`MAX_SIZE`]), for callers that parse the text themselves (a multi-document YAML stream of
/// Kubernetes manifests). `Err` is the refusal, with its line for a too deep nesting.
pub fn check_limits(text: &str) -> Result<(), String> {
    limits::check(text).map_err(|refusal| refusal.to_string())
}

/// Parses `text` in `format` into a document, after the depth and size checks.
pub fn parse(text: &str, format: SourceFormat) -> Result<Value, LoadError> {
    limits::check(text).map_err(|refusal| LoadError::Syntax {
        format: format.name(),
        message: refusal.to_string(),
    })?;
    match format {
        SourceFormat::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
        SourceFormat::Yaml => serde_norway::from_str(text).map_err(|e| e.to_string()),
    }
    .map_err(|message| LoadError::Syntax {
        format: format.name(),
        message,
    })
}

/// Loads declarative configurations, with the settings Kong reads from kong.conf.
#[derive(Clone, Debug)]
pub struct Loader {
    now: Option<UnixTime>,
    trusted_ips: TrustedIps,
    skip_plugins: SkipList,
    provider: Arc<CryptoProvider>,
    stored: bool,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Loader {
    /// A loader with the defaults: the clock for CA expiry checks, no trusted IPs, no plugin
    /// skipped, aws-lc-rs to check certificate keys.
    pub fn new() -> Self {
        Self {
            now: None,
            trusted_ips: TrustedIps::new(),
            skip_plugins: SkipList::default(),
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
            stored: false,
        }
    }

    /// Records checked when they were stored (a database's rows): a CA certificate that has
    /// expired since is kept, as Kong checks expiry only when a CA is created. Default: false
    /// (a file is checked whole, expired CAs refused).
    #[must_use]
    pub fn stored(mut self, stored: bool) -> Self {
        self.stored = stored;
        self
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

    /// Plugins the file may name that this project leaves out (each reported in a
    /// [`Warning::SkippedPlugins`]). Default: none, so any plugin outside the family is an
    /// error.
    #[must_use]
    pub fn skip_plugins(mut self, skip: SkipList) -> Self {
        self.skip_plugins = skip;
        self
    }

    /// The crypto provider certificate keys are checked with.
    #[must_use]
    pub fn provider(mut self, provider: Arc<CryptoProvider>) -> Self {
        self.provider = provider;
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
        let document = parse(text, format)?;
        self.load_value(&document)
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
        let now = self.now.unwrap_or_else(UnixTime::now);
        let walked = walk::document(
            document,
            &self.skip_plugins,
            now,
            &self.provider,
            &mut errors,
        );
        let warnings = walked.warnings();
        let options = Options {
            now,
            format_version: walked.format_version,
            provider: &self.provider,
            trusted_ips: self.trusted_ips.clone(),
            stored: self.stored,
        };
        let config = resolve::resolve(walked.records, &options, errors)?;
        Ok((config, warnings))
    }
}

/// One record as written, for [`Loader::load_records`]: its kind, its JSON, and the path
/// errors about it are reported under (`""` for the record itself, as an Admin API body).
#[derive(Clone, Debug)]
pub struct Record {
    /// The entity's kind.
    pub kind: crate::entities::Kind,
    /// The record, as Kong's JSON (nested entities are not read here).
    pub value: Value,
    /// Where errors about it are reported.
    pub path: String,
}

impl Loader {
    /// Loads flat records (no nesting, references by id or name), as a store or the Admin
    /// API holds them: the same checks as a file, with errors under each record's path.
    /// Stored certificates may carry their `snis` list (it is derived, and ignored here).
    pub fn load_records(
        &self,
        records: impl IntoIterator<Item = Record>,
    ) -> Result<Config, ConfigErrors> {
        let mut errors = Errors::default();
        let now = self.now.unwrap_or_else(UnixTime::now);
        let walked = walk::records(
            records,
            &self.skip_plugins,
            now,
            &self.provider,
            &mut errors,
        );
        let options = Options {
            now,
            format_version: FormatVersion::V3_0,
            provider: &self.provider,
            trusted_ips: self.trusted_ips.clone(),
            stored: self.stored,
        };
        resolve::resolve(walked, &options, errors)
    }
}

impl Loader {
    /// Reads and checks one flat record against an existing configuration: the same
    /// reading, reference resolution (by id or endpoint key, against `config`) and checks as
    /// [`Loader::load_records`], with the errors under the record's path (`""`: Kong's
    /// `fields` of an Admin API answer). A record without an `id` gets the derived one.
    /// The rules across entities of one kind (uniqueness) are [`Config::apply`]'s.
    pub fn check_record(
        &self,
        config: &Config,
        record: Record,
    ) -> Result<crate::AnyEntity, ConfigErrors> {
        let mut errors = Errors::default();
        let now = self.now.unwrap_or_else(UnixTime::now);
        let mut walked = walk::records(
            [record.clone()],
            &self.skip_plugins,
            now,
            &self.provider,
            &mut errors,
        );
        let Some(written) = walked.kinds[record.kind.position()].pop() else {
            return Err(errors.into_failure(&record.path, "expected a record"));
        };
        let options = Options {
            now,
            format_version: FormatVersion::V3_0,
            provider: &self.provider,
            trusted_ips: self.trusted_ips.clone(),
            stored: self.stored,
        };
        resolve::check_one(record.kind, written, config, &options, errors)
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
