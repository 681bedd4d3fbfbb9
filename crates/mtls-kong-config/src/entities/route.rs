//! `routes`: what a request is matched on, and how its path reaches the upstream.

use std::collections::BTreeMap;

use mtls_sni::Protocol;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Context, Entity, checks};
use crate::declarative::FormatVersion;
use crate::error::{Errors, join};
use crate::schema::types::{PROTOCOLS, STRINGS};
use crate::schema::{Default, Field, Schema, TIMESTAMPS, Type, read_record};

/// A route's `path_handling`: how the service path and the request path are joined.
///
/// Kong's default `traditional_compatible` router always joins as `v0` (it deprecates `v1`
/// and ignores it); `v1` is the join of Kong's `traditional` router, for an embedder that
/// wants it. The two differ when the service path has no trailing slash: `v0` puts a `/`
/// between the parts (`/s` + `/r/req` gives `/s/r/req`), `v1` appends the request path
/// without its leading slash (`/sr/req`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PathHandling {
    /// `v0`: Kong's default.
    #[default]
    #[serde(rename = "v0")]
    V0,
    /// `v1`: Kong 1.x's join (deprecated by Kong).
    #[serde(rename = "v1")]
    V1,
}

impl std::str::FromStr for PathHandling {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v0" => Ok(Self::V0),
            "v1" => Ok(Self::V1),
            other => Err(format!("expected \"v0\" or \"v1\", got {other:?}")),
        }
    }
}

/// A route (`routes` entity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Route {
    /// The id.
    pub id: Uuid,
    /// `name` (unique when set).
    pub name: Option<String>,
    /// The service's id (none for a route without a service).
    #[serde(with = "super::wire::foreign")]
    pub service: Option<Uuid>,
    /// `protocols` (default `[http, https]`).
    #[serde(with = "super::wire::protocols")]
    pub protocols: Vec<Protocol>,
    /// `methods`.
    #[serde(with = "super::wire::list")]
    pub methods: Vec<String>,
    /// `hosts` (may carry one wildcard, leftmost or rightmost label, and a port).
    #[serde(with = "super::wire::list")]
    pub hosts: Vec<String>,
    /// `paths` (prefixes; a leading `~` marks a regex, as in Kong 3.x).
    #[serde(with = "super::wire::list")]
    pub paths: Vec<String>,
    /// `headers`: header name to accepted values.
    #[serde(default)]
    pub headers: BTreeMap<String, Vec<String>>,
    /// `snis` as configured (validated by mtls-sni; wildcard SNIs are accepted whatever the
    /// router flavour, decisions.md item 8).
    #[serde(with = "super::wire::list")]
    pub snis: Vec<String>,
    /// `strip_path` (default true).
    pub strip_path: bool,
    /// `preserve_host` (default false).
    pub preserve_host: bool,
    /// `regex_priority` (default 0).
    pub regex_priority: i64,
    /// `path_handling` (default `v0`).
    pub path_handling: PathHandling,
    /// `https_redirect_status_code` (default 426): the answer to a plain-HTTP request on a
    /// route that takes HTTPS only (301, 302, 307 and 308 redirect).
    pub https_redirect_status_code: u16,
    /// `request_buffering` (default true).
    pub request_buffering: bool,
    /// `response_buffering` (default true).
    pub response_buffering: bool,
    /// `tags`.
    #[serde(with = "super::wire::list")]
    pub tags: Vec<String>,
}

impl Route {
    /// The route as mtls-sni's SNI map takes it.
    pub fn sni_route(&self) -> mtls_sni::Route {
        let mut route = mtls_sni::Route::new(self.id)
            .with_snis(self.snis.iter().cloned())
            .with_protocols(self.protocols.clone());
        if let Some(service) = self.service {
            route = route.with_service(service);
        }
        route
    }

    /// The route's name, or its id.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.id.to_string())
    }
}

fn redirect_code(value: &Value) -> Result<(), String> {
    match value.as_i64() {
        Some(426 | 301 | 302 | 307 | 308) => Ok(()),
        _ => Err("expected one of: 426, 301, 302, 307, 308".into()),
    }
}

const FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("name", Type::String).check(checks::utf8_name),
    Field::new("service", Type::Foreign("services")),
    Field::new("protocols", PROTOCOLS).default(Default::Strings(&["http", "https"])),
    Field::new("methods", STRINGS).check(checks::method),
    Field::new("hosts", STRINGS).check(checks::route_host),
    Field::new("paths", STRINGS).check(checks::route_path),
    Field::new("headers", Type::Map(&STRINGS)).default(Default::EmptyMap),
    Field::new("snis", STRINGS).check(checks::sni),
    Field::new("strip_path", Type::Boolean).default(Default::Bool(true)),
    Field::new("preserve_host", Type::Boolean).default(Default::Bool(false)),
    Field::new(
        "regex_priority",
        Type::Integer {
            min: i32::MIN as i64,
            max: i32::MAX as i64,
        },
    )
    .default(Default::Int(0)),
    Field::new("path_handling", Type::OneOf(&["v0", "v1"])).default(Default::Str("v0")),
    Field::new(
        "https_redirect_status_code",
        Type::Integer { min: 0, max: 999 },
    )
    .default(Default::Int(426))
    .check(redirect_code),
    Field::new("request_buffering", Type::Boolean).default(Default::Bool(true)),
    Field::new("response_buffering", Type::Boolean).default(Default::Bool(true)),
    Field::new("tags", STRINGS),
];

/// The `routes` schema.
pub(super) static SCHEMA: Schema = Schema {
    name: "routes",
    singular: "route",
    endpoint_key: Some("name"),
    fields: FIELDS,
    ignored: &[
        TIMESTAMPS[0],
        TIMESTAMPS[1],
        "sources",
        "destinations",
        "expression",
        "priority",
    ],
};

impl Entity for Route {
    fn schema() -> &'static Schema {
        &SCHEMA
    }

    fn read(
        value: &Value,
        path: &str,
        skip: &[&str],
        ctx: &Context<'_>,
        errors: &mut Errors,
    ) -> Option<Map<String, Value>> {
        if ctx.format_version != FormatVersion::V2_1 {
            return read_record(FIELDS, SCHEMA.ignored, skip, value, path, errors);
        }
        // Kong 3's reading of a 2.x file: a path with characters outside the plain set is a
        // regex and gets the `~` prefix.
        let mut value = value.clone();
        if let Some(Value::Array(paths)) = value.get_mut("paths") {
            for p in paths.iter_mut() {
                if let Value::String(s) = p {
                    *s = migrate_regex_path(s);
                }
            }
        }
        read_record(FIELDS, SCHEMA.ignored, skip, &value, path, errors)
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn natural_key(&self) -> Option<String> {
        self.name.clone()
    }

    fn endpoint_key(&self) -> Option<String> {
        self.name.clone()
    }

    fn check(&mut self, path: &str, _: &Context<'_>, errors: &mut Errors) {
        if self.protocols.is_empty() {
            errors.push(join(path, "protocols"), "length must be at least 1");
        }
        for (name, values) in &self.headers {
            for (i, value) in values.iter().enumerate() {
                if let Err(message) = crate::patterns::validate_header_value(value) {
                    errors.push(
                        crate::error::index(&join(&join(path, "headers"), name), i),
                        message,
                    );
                }
            }
        }
        if !self.snis.is_empty() && !self.protocols.iter().any(|p| p.allows_snis()) {
            errors.push(
                join(path, "snis"),
                "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or \
                 'tls_passthrough'",
            );
        }
        let http = self.protocols.iter().find(|p| {
            matches!(
                p,
                Protocol::Http
                    | Protocol::Https
                    | Protocol::Grpc
                    | Protocol::Grpcs
                    | Protocol::Ws
                    | Protocol::Wss
            )
        });
        if let Some(protocol) = http
            && self.methods.is_empty()
            && self.hosts.is_empty()
            && self.headers.is_empty()
            && self.paths.is_empty()
            && self.snis.is_empty()
        {
            errors.push(
                path,
                format!(
                    "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when \
                     'protocols' is '{protocol}'"
                ),
            );
        }
    }
}

/// Kong 3's reading of a 2.x path: a path with characters outside the plain set is a regex
/// and gets the `~` prefix.
fn migrate_regex_path(path: &str) -> String {
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b'/' | b'%'));
    if plain || path.starts_with('~') {
        path.to_owned()
    } else {
        format!("~{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_migration() {
        assert_eq!(migrate_regex_path("/users/\\d+"), "~/users/\\d+");
        assert_eq!(migrate_regex_path("/users"), "/users");
    }
}
