//! The plugins this project runs, with Kong's names, priorities, `config` schemas and
//! defaults: `mtls-auth`, `header-cert-auth`, `tls-handshake-modifier`,
//! `tls-metadata-headers` and `acl`. Any other name is refused (decision 16) unless the
//! operator names it in a [`SkipList`].

mod auth;
mod skip;
mod tls;

pub use auth::{AuthSettings, HeaderCertAuthConfig, MtlsAuthConfig, RevocationCheckMode};
pub use skip::SkipList;
pub use tls::{
    AclConfig, TlsClientCertificate, TlsHandshakeModifierConfig, TlsMetadataHeadersConfig,
};

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::Errors;
use crate::schema::Field;

/// One plugin instance's configuration: which plugin, with its settings.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PluginConfig {
    /// `mtls-auth`.
    MtlsAuth(MtlsAuthConfig),
    /// `header-cert-auth`.
    HeaderCertAuth(HeaderCertAuthConfig),
    /// `tls-handshake-modifier`.
    TlsHandshakeModifier(TlsHandshakeModifierConfig),
    /// `tls-metadata-headers`.
    TlsMetadataHeaders(TlsMetadataHeadersConfig),
    /// `acl`.
    Acl(AclConfig),
}

/// The names of the plugins this project runs, in Kong's priority order.
pub const PLUGIN_NAMES: [&str; 5] = [
    "mtls-auth",
    "header-cert-auth",
    "tls-handshake-modifier",
    "tls-metadata-headers",
    "acl",
];

/// The `config` fields of plugin `name`, if this project runs it.
pub fn config_fields(name: &str) -> Option<&'static [Field]> {
    Some(match name {
        "mtls-auth" => auth::MTLS_AUTH_FIELDS,
        "header-cert-auth" => auth::HEADER_CERT_AUTH_FIELDS,
        "tls-handshake-modifier" => tls::TLS_HANDSHAKE_MODIFIER_FIELDS,
        "tls-metadata-headers" => tls::TLS_METADATA_HEADERS_FIELDS,
        "acl" => tls::ACL_FIELDS,
        _ => return None,
    })
}

/// The message for a plugin name this project does not run (an Admin API body, or a file
/// without it in the skip list).
pub fn unknown_plugin_message(name: &str) -> String {
    let hint = skip::near_miss(name)
        .map(|known| format!(" (did you mean '{known}'?)"))
        .unwrap_or_default();
    format!(
        "plugin '{name}' is not implemented by this gateway{hint}: it runs {}; a file with other \
         plugins loads only when they are named in --skip-plugins",
        PLUGIN_NAMES.join(", ")
    )
}

impl PluginConfig {
    /// Kong's plugin name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MtlsAuth(_) => "mtls-auth",
            Self::HeaderCertAuth(_) => "header-cert-auth",
            Self::TlsHandshakeModifier(_) => "tls-handshake-modifier",
            Self::TlsMetadataHeaders(_) => "tls-metadata-headers",
            Self::Acl(_) => "acl",
        }
    }

    /// Kong's priority (higher runs first): 1600, 1009, 997, 996, 950.
    pub fn priority(&self) -> u32 {
        match self {
            Self::MtlsAuth(_) => 1600,
            Self::HeaderCertAuth(_) => 1009,
            Self::TlsHandshakeModifier(_) => 997,
            Self::TlsMetadataHeaders(_) => 996,
            Self::Acl(_) => 950,
        }
    }

    /// The shared authentication settings, for the two auth plugins.
    pub fn auth(&self) -> Option<&AuthSettings> {
        match self {
            Self::MtlsAuth(c) => Some(&c.auth),
            Self::HeaderCertAuth(c) => Some(&c.auth),
            Self::TlsHandshakeModifier(_) | Self::TlsMetadataHeaders(_) | Self::Acl(_) => None,
        }
    }

    /// Decodes plugin `name`'s `config`, already read with its schema ([`config_fields`]).
    pub fn decode(name: &str, config: Value) -> Result<Self, String> {
        let fail = |e: serde_json::Error| format!("config: {e}");
        Ok(match name {
            "mtls-auth" => Self::MtlsAuth(serde_json::from_value(config).map_err(fail)?),
            "header-cert-auth" => {
                Self::HeaderCertAuth(serde_json::from_value(config).map_err(fail)?)
            }
            "tls-handshake-modifier" => {
                Self::TlsHandshakeModifier(serde_json::from_value(config).map_err(fail)?)
            }
            "tls-metadata-headers" => {
                Self::TlsMetadataHeaders(serde_json::from_value(config).map_err(fail)?)
            }
            "acl" => Self::Acl(serde_json::from_value(config).map_err(fail)?),
            other => return Err(unknown_plugin_message(other)),
        })
    }

    /// The rules across fields (each field was checked by the schema); `path` is the
    /// `config` record's.
    pub(crate) fn check(&self, path: &str, errors: &mut Errors) {
        match self {
            Self::MtlsAuth(c) => c.auth.check(path, errors),
            Self::HeaderCertAuth(c) => c.check(path, errors),
            Self::TlsHandshakeModifier(_) | Self::TlsMetadataHeaders(_) => {}
            Self::Acl(c) => c.check(path, errors),
        }
    }
}

/// Written as the `config` record alone (the plugin's `name` is beside it).
impl Serialize for PluginConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::MtlsAuth(c) => c.serialize(serializer),
            Self::HeaderCertAuth(c) => c.serialize(serializer),
            Self::TlsHandshakeModifier(c) => c.serialize(serializer),
            Self::TlsMetadataHeaders(c) => c.serialize(serializer),
            Self::Acl(c) => c.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::read_record;

    #[test]
    fn defaults_round_trip_through_the_schema() {
        for name in PLUGIN_NAMES {
            let mut errors = Errors::default();
            let mut written = serde_json::json!({});
            if name == "mtls-auth" || name == "header-cert-auth" {
                written["ca_certificates"] = serde_json::json!([]);
            }
            if name == "header-cert-auth" {
                written["certificate_header_name"] = "X-Cert".into();
                written["certificate_header_format"] = "base64_encoded".into();
            }
            if name == "acl" {
                written["allow"] = serde_json::json!(["a"]);
            }
            let fields = config_fields(name).unwrap();
            let read = read_record(fields, &[], &[], &written, "config", &mut errors).unwrap();
            assert!(errors.is_empty(), "{name}: {errors:?}");
            let config = PluginConfig::decode(name, Value::Object(read.clone())).unwrap();
            assert_eq!(config.name(), name);
            // What is written back reads back the same.
            let again = serde_json::to_value(&config).unwrap();
            assert_eq!(PluginConfig::decode(name, again).unwrap(), config, "{name}");
        }
        let m = PluginConfig::decode(
            "mtls-auth",
            serde_json::to_value(MtlsAuthConfig::new(vec![])).unwrap(),
        )
        .unwrap();
        assert_eq!(m, PluginConfig::MtlsAuth(MtlsAuthConfig::new(vec![])));
        assert!(unknown_plugin_message("mtls_auth").contains("did you mean 'mtls-auth'"));
    }
}
