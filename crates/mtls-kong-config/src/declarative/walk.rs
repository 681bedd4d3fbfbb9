//! Walking a declarative document: every entity, nested or at the top level, read with its
//! kind's schema and recorded with its path and enclosing entity. Nesting is a table
//! ([`NESTED`]), not code per entity.

use std::collections::BTreeMap;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::UnixTime;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::FormatVersion;
use crate::entities::{
    AclGroup, CaCertificate, Certificate, Consumer, Context, Entity, Kind, PluginInstance, Route,
    Service, Sni, written_name,
};
use crate::error::{Errors, Warning, index, join};
use crate::plugins::{PLUGIN_NAMES, SkipList};
use crate::resolve::{Parent, Records, Written};
use crate::schema::read_record;

/// Which entities nest in which: (enclosing kind, key, nested kind, the nested entity's field
/// that refers to the enclosing one).
const NESTED: [(Kind, &str, Kind, &str); 8] = [
    (Kind::Certificate, "snis", Kind::Sni, "certificate"),
    (Kind::Service, "routes", Kind::Route, "service"),
    (Kind::Service, "plugins", Kind::Plugin, "service"),
    (Kind::Route, "plugins", Kind::Plugin, "route"),
    (
        Kind::Consumer,
        "mtls_auth_credentials",
        Kind::MtlsAuthCredential,
        "consumer",
    ),
    (
        Kind::Consumer,
        "header_cert_auth_credentials",
        Kind::HeaderCertAuthCredential,
        "consumer",
    ),
    (Kind::Consumer, "acls", Kind::Acl, "consumer"),
    (Kind::Consumer, "plugins", Kind::Plugin, "consumer"),
];

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

/// Credential kinds of Kong's other auth plugins, skipped with a warning when nested in a
/// consumer.
const OTHER_CREDENTIALS: [&str; 8] = [
    "keyauth_credentials",
    "keyauth_enc_credentials",
    "basicauth_credentials",
    "hmacauth_credentials",
    "jwt_secrets",
    "oauth2_credentials",
    "consumer_groups",
    "groups",
];

/// Top-level keys of Kong's that only annotate the file.
const ANNOTATIONS: [&str; 3] = ["_transform", "_comment", "_info"];

/// A walked document.
pub(crate) struct Walked {
    pub(crate) format_version: FormatVersion,
    pub(crate) records: Records,
    /// Skipped plugin name -> instances left out.
    skipped_plugins: BTreeMap<String, usize>,
    ignored: Vec<String>,
}

impl Walked {
    pub(crate) fn warnings(&self) -> Vec<Warning> {
        let mut warnings = Vec::new();
        if !self.skipped_plugins.is_empty() {
            warnings.push(Warning::SkippedPlugins {
                names: self.skipped_plugins.keys().cloned().collect(),
                instances: self.skipped_plugins.values().sum(),
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

struct Walker<'a> {
    out: Walked,
    skip: &'a SkipList,
    ctx: Context<'a>,
}

fn never(_: Kind, _: Uuid) -> bool {
    false
}

/// Walks `document`; problems go to `errors`.
pub(crate) fn document(
    document: &Value,
    skip: &SkipList,
    now: UnixTime,
    provider: &CryptoProvider,
    errors: &mut Errors,
) -> Walked {
    let mut walker = Walker {
        out: Walked {
            format_version: FormatVersion::V3_0,
            records: Records::default(),
            skipped_plugins: BTreeMap::new(),
            ignored: Vec::new(),
        },
        skip,
        ctx: Context {
            now,
            format_version: FormatVersion::V3_0,
            provider,
            exists: &never,
            stored: false,
        },
    };
    let Value::Object(map) = document else {
        errors.push("", "expected a record (the document's top level)");
        return walker.out;
    };
    walker.out.format_version = format_version(map, errors);
    walker.ctx.format_version = walker.out.format_version;
    for (key, value) in map {
        let key = key.as_str();
        if key == "_format_version" || ANNOTATIONS.contains(&key) {
            continue;
        }
        if IGNORED_TOP_LEVEL.contains(&key) {
            walker.out.ignored.push(key.to_owned());
            continue;
        }
        let Some(kind) = Kind::from_table(key) else {
            errors.push(key, "unknown field");
            continue;
        };
        walker.list(kind, value, key, None, errors);
    }
    walker.out
}

fn format_version(map: &Map<String, Value>, errors: &mut Errors) -> FormatVersion {
    match map.get("_format_version") {
        None | Some(Value::Null) => {
            errors.push("_format_version", "required field missing");
            FormatVersion::V3_0
        }
        Some(v) => {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            match text.as_str() {
                "3.0" => FormatVersion::V3_0,
                "2.1" => FormatVersion::V2_1,
                _ => {
                    errors.push(
                        "_format_version",
                        format!("unsupported version {v}: expected \"3.0\" (or \"2.1\")"),
                    );
                    FormatVersion::V3_0
                }
            }
        }
    }
}

impl Walker<'_> {
    /// A list of entities of `kind` at `path` (null reads as empty).
    fn list(
        &mut self,
        kind: Kind,
        value: &Value,
        path: &str,
        parent: Option<Parent>,
        errors: &mut Errors,
    ) {
        let items = match value {
            Value::Array(items) => items.as_slice(),
            Value::Null => &[],
            _ => {
                errors.push(path, "expected an array");
                return;
            }
        };
        for (i, item) in items.iter().enumerate() {
            self.entity(kind, item, index(path, i), parent, errors);
        }
    }

    fn entity(
        &mut self,
        kind: Kind,
        value: &Value,
        path: String,
        parent: Option<Parent>,
        errors: &mut Errors,
    ) {
        // Kong accepts a nested SNI written as a bare name.
        let bare;
        let value = match (kind, value) {
            (Kind::Sni, Value::String(name)) => {
                bare = serde_json::json!({ "name": name });
                &bare
            }
            _ => value,
        };
        if kind == Kind::Plugin && !self.plugin_allowed(value, &path, parent, errors) {
            return;
        }
        let nested: Vec<(&str, Kind, &'static str)> = NESTED
            .iter()
            .filter(|(k, ..)| *k == kind)
            .map(|&(_, key, child, field)| (key, child, field))
            .collect();
        let mut skip: Vec<&str> = nested.iter().map(|(key, ..)| *key).collect();
        if kind == Kind::Consumer {
            skip.extend(OTHER_CREDENTIALS);
            for key in OTHER_CREDENTIALS {
                if value.get(key).is_some() {
                    self.out.ignored.push(join(&path, key));
                }
            }
        }
        let Some(record) = read_kind(kind, value, &path, &skip, &self.ctx, errors) else {
            return;
        };
        let position = self.out.records.push(
            kind,
            Written {
                path: path.clone(),
                record,
                parent,
            },
        );
        for (key, child, field) in nested {
            if let Some(items) = value.get(key) {
                let parent = Parent {
                    kind,
                    position,
                    field,
                };
                self.list(child, items, &join(&path, key), Some(parent), errors);
            }
        }
    }

    /// Whether a plugin record is read: a skipped plugin is counted and left out; one the
    /// family does not have, or one nested in a consumer, is an error.
    fn plugin_allowed(
        &mut self,
        value: &Value,
        path: &str,
        parent: Option<Parent>,
        errors: &mut Errors,
    ) -> bool {
        let Some(name) = written_name(value) else {
            // Reading reports a missing or mistyped name.
            return true;
        };
        if self.skip.contains(name) {
            *self.out.skipped_plugins.entry(name.to_owned()).or_default() += 1;
            return false;
        }
        if !PLUGIN_NAMES.contains(&name) {
            // Reading reports it, with the near miss if there is one.
            return true;
        }
        if parent.is_some_and(|p| p.kind == Kind::Consumer) {
            errors.push(
                path,
                format!("{name} cannot be configured on a consumer (consumer: value must be null)"),
            );
            return false;
        }
        true
    }
}

/// Reads flat records (from a store or an Admin API body): each with its kind's schema, no
/// nesting; a plugin outside the family is an error unless skipped.
pub(crate) fn records(
    records: impl IntoIterator<Item = super::Record>,
    skip: &SkipList,
    now: UnixTime,
    provider: &CryptoProvider,
    errors: &mut Errors,
) -> Records {
    let ctx = Context {
        now,
        format_version: FormatVersion::V3_0,
        provider,
        exists: &never,
        stored: false,
    };
    let mut out = Records::default();
    for record in records {
        if record.kind == Kind::Plugin
            && written_name(&record.value).is_some_and(|n| skip.contains(n))
        {
            continue;
        }
        let derived: &[&str] = if record.kind == Kind::Certificate {
            &["snis"]
        } else {
            &[]
        };
        if let Some(read) = read_kind(
            record.kind,
            &record.value,
            &record.path,
            derived,
            &ctx,
            errors,
        ) {
            out.push(
                record.kind,
                Written {
                    path: record.path,
                    record: read,
                    parent: None,
                },
            );
        }
    }
    out
}

/// Reads one record of `kind` with its schema.
pub(crate) fn read_kind(
    kind: Kind,
    value: &Value,
    path: &str,
    skip: &[&str],
    ctx: &Context<'_>,
    errors: &mut Errors,
) -> Option<Map<String, Value>> {
    match kind {
        Kind::CaCertificate => CaCertificate::read(value, path, skip, ctx, errors),
        Kind::Certificate => Certificate::read(value, path, skip, ctx, errors),
        Kind::Sni => Sni::read(value, path, skip, ctx, errors),
        Kind::Service => Service::read(value, path, skip, ctx, errors),
        Kind::Route => Route::read(value, path, skip, ctx, errors),
        Kind::Consumer => Consumer::read(value, path, skip, ctx, errors),
        Kind::Acl => AclGroup::read(value, path, skip, ctx, errors),
        Kind::Plugin => PluginInstance::read(value, path, skip, ctx, errors),
        Kind::MtlsAuthCredential | Kind::HeaderCertAuthCredential => {
            let schema = kind.schema();
            read_record(schema.fields, schema.ignored, skip, value, path, errors)
        }
    }
}
