//! `plugins`: an instance of one of the family's plugins, with its scope and `config`.

use mtls_sni::Protocol;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Context, Entity, wire};
use crate::error::{Errors, index, join};
use crate::plugins::{self, PluginConfig};
use crate::schema::types::{PROTOCOLS, STRINGS};
use crate::schema::{Default, Field, Schema, TIMESTAMPS, Type, read_record};

/// Where a plugin instance applies: none set is global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct PluginScope {
    /// The service's id, when scoped to a service.
    pub service: Option<Uuid>,
    /// The route's id, when scoped to a route.
    pub route: Option<Uuid>,
}

impl PluginScope {
    /// Global: every request.
    pub const GLOBAL: Self = Self {
        service: None,
        route: None,
    };

    /// Whether neither a service nor a route is set.
    pub fn is_global(&self) -> bool {
        self.service.is_none() && self.route.is_none()
    }

    /// The scope for mtls-sni: the route when set, else the service, else global.
    pub fn sni_scope(&self) -> mtls_sni::Scope {
        match (self.route, self.service) {
            (Some(route), _) => mtls_sni::Scope::Route(route.into()),
            (None, Some(service)) => mtls_sni::Scope::Service(service.into()),
            (None, None) => mtls_sni::Scope::Global,
        }
    }
}

/// A plugin instance (`plugins` entity) of the mutual-TLS family.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PluginInstance {
    /// The id.
    pub id: Uuid,
    /// `instance_name` (unique when set).
    pub instance_name: Option<String>,
    /// `enabled` (default true). Disabled instances are validated and kept, and do nothing.
    pub enabled: bool,
    /// Where it applies.
    pub scope: PluginScope,
    /// `protocols`, when set (none: the plugin's default, every HTTP protocol).
    pub protocols: Option<Vec<Protocol>>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `name` and `config`.
    pub config: PluginConfig,
}

impl PluginInstance {
    /// A global, enabled instance.
    pub fn new(id: Uuid, config: PluginConfig) -> Self {
        Self {
            id,
            instance_name: None,
            enabled: true,
            scope: PluginScope::GLOBAL,
            protocols: None,
            tags: Vec::new(),
            config,
        }
    }

    /// Kong's plugin name.
    pub fn name(&self) -> &'static str {
        self.config.name()
    }

    /// The instance as mtls-sni's SNI map takes it, for the two plugins that request a
    /// client certificate at the handshake (mtls-auth, tls-handshake-modifier).
    pub fn certificate_plugin(&self) -> Option<mtls_sni::CertificatePlugin> {
        let plugin = match &self.config {
            PluginConfig::MtlsAuth(c) => mtls_sni::CertificatePlugin::mtls_auth(
                self.id,
                self.scope.sni_scope(),
                c.auth.ca_certificates.clone(),
                c.send_ca_dn,
            ),
            PluginConfig::TlsHandshakeModifier(_) => {
                mtls_sni::CertificatePlugin::tls_handshake_modifier(self.id, self.scope.sni_scope())
            }
            PluginConfig::HeaderCertAuth(_)
            | PluginConfig::TlsMetadataHeaders(_)
            | PluginConfig::Acl(_) => return None,
        };
        Some(plugin.with_enabled(self.enabled))
    }
}

/// Kong's JSON shape: `{id, name, instance_name, enabled, service, route, consumer,
/// protocols, tags, config}`.
impl Serialize for PluginInstance {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fk = |id: Option<Uuid>| id.map(|id| serde_json::json!({ "id": id }));
        let protocols = self
            .protocols
            .as_ref()
            .map(|p| p.iter().map(|p| p.as_str()).collect::<Vec<_>>());
        let mut s = serializer.serialize_struct("Plugin", 10)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("name", self.name())?;
        s.serialize_field("instance_name", &self.instance_name)?;
        s.serialize_field("enabled", &self.enabled)?;
        s.serialize_field("service", &fk(self.scope.service))?;
        s.serialize_field("route", &fk(self.scope.route))?;
        s.serialize_field("consumer", &Option::<Value>::None)?;
        s.serialize_field("protocols", &protocols)?;
        s.serialize_field("tags", &(!self.tags.is_empty()).then_some(&self.tags))?;
        s.serialize_field("config", &self.config)?;
        s.end()
    }
}

/// What [`PluginInstance`]'s JSON reads into before the config is decoded by name.
#[derive(Deserialize)]
struct Written {
    id: Uuid,
    name: String,
    #[serde(default)]
    instance_name: Option<String>,
    #[serde(default = "enabled")]
    enabled: bool,
    #[serde(default, with = "wire::foreign")]
    service: Option<Uuid>,
    #[serde(default, with = "wire::foreign")]
    route: Option<Uuid>,
    #[serde(default, with = "wire::optional_protocols")]
    protocols: Option<Vec<Protocol>>,
    #[serde(default, with = "wire::list")]
    tags: Vec<String>,
    #[serde(default)]
    config: Value,
}

fn enabled() -> bool {
    true
}

impl<'de> Deserialize<'de> for PluginInstance {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let w = Written::deserialize(deserializer)?;
        let config = PluginConfig::decode(&w.name, w.config).map_err(serde::de::Error::custom)?;
        Ok(Self {
            id: w.id,
            instance_name: w.instance_name,
            enabled: w.enabled,
            scope: PluginScope {
                service: w.service,
                route: w.route,
            },
            protocols: w.protocols,
            tags: w.tags,
            config,
        })
    }
}

const FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("name", Type::String).required(),
    Field::new("instance_name", Type::String),
    Field::new("enabled", Type::Boolean).default(Default::Bool(true)),
    Field::new("service", Type::Foreign("services")),
    Field::new("route", Type::Foreign("routes")),
    Field::new("consumer", Type::Foreign("consumers")),
    Field::new("protocols", PROTOCOLS),
    Field::new("tags", STRINGS),
];

/// The `plugins` schema (without `config`, whose fields depend on `name`).
pub(super) static SCHEMA: Schema = Schema {
    name: "plugins",
    singular: "plugin",
    endpoint_key: Some("instance_name"),
    fields: FIELDS,
    ignored: &[
        TIMESTAMPS[0],
        TIMESTAMPS[1],
        "ordering",
        "consumer_group",
        "partials",
    ],
};

/// The name of a plugin record as written, when it is a string.
pub fn written_name(value: &Value) -> Option<&str> {
    value.get("name").and_then(Value::as_str)
}

impl Entity for PluginInstance {
    fn schema() -> &'static Schema {
        &SCHEMA
    }

    fn read(
        value: &Value,
        path: &str,
        skip: &[&str],
        _: &Context<'_>,
        errors: &mut Errors,
    ) -> Option<Map<String, Value>> {
        let mut skip = skip.to_vec();
        skip.push("config");
        let mut record = read_record(FIELDS, SCHEMA.ignored, &skip, value, path, errors)?;
        if record.get("consumer").is_some_and(|c| !c.is_null()) {
            errors.push(join(path, "consumer"), "value must be null");
        }
        let name = record.get("name").and_then(Value::as_str)?.to_owned();
        let config_path = join(path, "config");
        let Some(fields) = plugins::config_fields(&name) else {
            errors.push(join(path, "name"), plugins::unknown_plugin_message(&name));
            return None;
        };
        let empty = Value::Object(Map::new());
        let written = match value.get("config") {
            None | Some(Value::Null) => &empty,
            Some(v) => v,
        };
        let config = read_record(fields, &[], &[], written, &config_path, errors)?;
        record.insert("config".into(), Value::Object(config));
        Some(record)
    }

    fn id(&self) -> Uuid {
        self.id
    }

    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }

    fn natural_key(&self) -> Option<String> {
        Some(format!(
            "{}\0{}\0{}\0{}",
            self.name(),
            self.scope
                .service
                .map(|s| s.to_string())
                .unwrap_or_default(),
            self.scope.route.map(|r| r.to_string()).unwrap_or_default(),
            self.instance_name.as_deref().unwrap_or_default()
        ))
    }

    fn endpoint_key(&self) -> Option<String> {
        self.instance_name.clone()
    }

    fn check(&mut self, path: &str, ctx: &Context<'_>, errors: &mut Errors) {
        let config_path = join(path, "config");
        self.config.check(&config_path, errors);
        if let Some(auth) = self.config.auth() {
            for (i, ca) in auth.ca_certificates.iter().enumerate() {
                if !ctx.exists(super::Kind::CaCertificate, *ca) {
                    errors.push(
                        index(&join(&config_path, "ca_certificates"), i),
                        format!("no ca_certificate with id {ca}"),
                    );
                }
            }
        }
        if self.protocols.as_ref().is_some_and(Vec::is_empty) {
            errors.push(join(path, "protocols"), "length must be at least 1");
        }
    }
}
