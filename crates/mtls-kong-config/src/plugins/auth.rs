//! The settings mtls-auth and header-cert-auth share, and the two plugins' own fields.

use std::fmt;
use std::time::Duration;

use mtls_consumer::{ConsumerField, ConsumerReference, GroupBy, MatchSettings, Plugin};
use mtls_header::{HeaderFormat, TrustedIps};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entities::checks;
use crate::error::{Errors, index, join};
use crate::schema::types::{PORT, STRINGS, UUIDS};
use crate::schema::{Default, Field, Type};

/// Kong's `revocation_check_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RevocationCheckMode {
    /// `SKIP`: no revocation check.
    #[serde(rename = "SKIP")]
    Skip,
    /// `IGNORE_CA_ERROR` (default): revoked certificates are refused; when neither OCSP nor
    /// CRL gives an answer, the certificate is accepted.
    #[default]
    #[serde(rename = "IGNORE_CA_ERROR")]
    IgnoreCaError,
    /// `STRICT`: without an answer the certificate is refused.
    #[serde(rename = "STRICT")]
    Strict,
}

impl RevocationCheckMode {
    /// Every mode.
    pub const ALL: [Self; 3] = [Self::Skip, Self::IgnoreCaError, Self::Strict];

    /// Kong's value: `SKIP`, `IGNORE_CA_ERROR` or `STRICT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "SKIP",
            Self::IgnoreCaError => "IGNORE_CA_ERROR",
            Self::Strict => "STRICT",
        }
    }

    /// Parses Kong's value (exact, upper case).
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

impl fmt::Display for RevocationCheckMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields mtls-auth and header-cert-auth share: CA trust, consumer matching, caching,
/// revocation. Defaults ([`AuthSettings::new`]) are Kong's, plus `check_eku = true`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthSettings {
    /// `ca_certificates` (required): ids of `ca_certificates` entities; each must exist.
    pub ca_certificates: Vec<Uuid>,
    /// `anonymous` (default null): consumer id or username used when authentication fails.
    /// Not required to exist at load time: a missing one is Kong's 500 at request time.
    pub anonymous: Option<ConsumerReference>,
    /// `consumer_by` (default `[username, custom_id]`, in lookup order); empty (or null)
    /// disables matching consumers by username / custom_id.
    #[serde(with = "nullable_list")]
    pub consumer_by: Vec<ConsumerField>,
    /// `cache_ttl` in seconds (default 60): TTL of consumer and credential lookups.
    #[serde(with = "crate::entities::wire::number")]
    pub cache_ttl: f64,
    /// `skip_consumer_lookup` (default false).
    pub skip_consumer_lookup: bool,
    /// `allow_partial_chain` (default false): any stored CA may anchor the chain.
    pub allow_partial_chain: bool,
    /// `authenticated_group_by` (default `CN`; `null` sets no group).
    pub authenticated_group_by: Option<GroupBy>,
    /// `revocation_check_mode` (default `IGNORE_CA_ERROR`).
    pub revocation_check_mode: RevocationCheckMode,
    /// `http_timeout` in milliseconds (default 30000): OCSP and CRL fetch timeout.
    #[serde(with = "crate::entities::wire::number")]
    pub http_timeout: f64,
    /// `cert_cache_ttl` (default 60000), read in seconds as Kong's code does (its docs say
    /// milliseconds): TTL of revocation results.
    #[serde(with = "crate::entities::wire::number")]
    pub cert_cache_ttl: f64,
    /// `default_consumer` (default null): consumer id or username for a valid certificate
    /// that matches no consumer.
    pub default_consumer: Option<ConsumerReference>,
    /// `http_proxy_host` (default null); set together with `http_proxy_port`.
    pub http_proxy_host: Option<String>,
    /// `http_proxy_port` (default null); set together with `http_proxy_host`.
    pub http_proxy_port: Option<u16>,
    /// `https_proxy_host` (default null); set together with `https_proxy_port`.
    pub https_proxy_host: Option<String>,
    /// `https_proxy_port` (default null); set together with `https_proxy_host`.
    pub https_proxy_port: Option<u16>,
    /// `ssl_verify` (default true): verify the TLS certificates of OCSP and CRL servers.
    pub ssl_verify: bool,
    /// `check_eku` (our addition, default true; decisions.md item 7): a client certificate
    /// with an extended key usage extension must list clientAuth. `false` is Kong's behaviour
    /// (no EKU check).
    pub check_eku: bool,
}

/// `consumer_by`: `null` reads as empty.
mod nullable_list {
    use mtls_consumer::ConsumerField;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[ConsumerField], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<ConsumerField>, D::Error> {
        Ok(Option::<Vec<ConsumerField>>::deserialize(d)?.unwrap_or_default())
    }
}

impl AuthSettings {
    /// Kong's defaults with these CA ids.
    pub fn new(ca_certificates: impl Into<Vec<Uuid>>) -> Self {
        Self {
            ca_certificates: ca_certificates.into(),
            anonymous: None,
            consumer_by: vec![ConsumerField::Username, ConsumerField::CustomId],
            cache_ttl: 60.0,
            skip_consumer_lookup: false,
            allow_partial_chain: false,
            authenticated_group_by: Some(GroupBy::CommonName),
            revocation_check_mode: RevocationCheckMode::IgnoreCaError,
            http_timeout: 30000.0,
            cert_cache_ttl: 60000.0,
            default_consumer: None,
            http_proxy_host: None,
            http_proxy_port: None,
            https_proxy_host: None,
            https_proxy_port: None,
            ssl_verify: true,
            check_eku: true,
        }
    }

    /// `cache_ttl` as a duration.
    pub fn cache_ttl(&self) -> Duration {
        seconds(self.cache_ttl)
    }

    /// `http_timeout` as a duration.
    pub fn http_timeout(&self) -> Duration {
        seconds(self.http_timeout / 1000.0)
    }

    /// `cert_cache_ttl` as a duration (seconds, as Kong's code reads it).
    pub fn cert_cache_ttl(&self) -> Duration {
        seconds(self.cert_cache_ttl)
    }

    /// The matching settings for `plugin` (mtls-consumer's view of these fields).
    pub fn match_settings(&self, plugin: Plugin) -> MatchSettings {
        let mut settings = MatchSettings::new(plugin);
        settings.consumer_by.clone_from(&self.consumer_by);
        settings.skip_consumer_lookup = self.skip_consumer_lookup;
        settings.authenticated_group_by = self.authenticated_group_by;
        settings.default_consumer.clone_from(&self.default_consumer);
        settings.anonymous.clone_from(&self.anonymous);
        settings
    }

    /// The chain-validation options (mtls-cert's view): client purpose, partial chains per
    /// `allow_partial_chain`, EKU per `check_eku`.
    pub fn validation_options(&self) -> mtls_cert::ValidationOptions {
        mtls_cert::ValidationOptions::client()
            .with_partial_chain(self.allow_partial_chain)
            .with_eku_check(self.check_eku)
    }

    /// The rules across fields (the schema checked each field).
    pub(crate) fn check(&self, path: &str, errors: &mut Errors) {
        let mut seen = Vec::new();
        for (i, field) in self.consumer_by.iter().enumerate() {
            if seen.contains(field) {
                errors.push(
                    index(&join(path, "consumer_by"), i),
                    format!("{field} is listed twice"),
                );
            }
            seen.push(*field);
        }
        for (host, port, host_value, port_value) in [
            (
                "http_proxy_host",
                "http_proxy_port",
                &self.http_proxy_host,
                self.http_proxy_port,
            ),
            (
                "https_proxy_host",
                "https_proxy_port",
                &self.https_proxy_host,
                self.https_proxy_port,
            ),
        ] {
            if host_value.is_some() != port_value.is_some() {
                errors.push(
                    join(path, if host_value.is_some() { port } else { host }),
                    format!(
                        "all or none of these fields must be set: 'config.{host}', 'config.{port}'"
                    ),
                );
            }
        }
    }
}

/// The schema fields of [`AuthSettings`].
macro_rules! auth_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            Field::new("ca_certificates", UUIDS).required(),
            Field::new("anonymous", Type::String).check(checks::non_empty),
            Field::new("consumer_by", Type::Array(&Type::OneOf(&["username", "custom_id"])))
                .default(Default::Strings(&["username", "custom_id"]))
                .nullable(),
            Field::new("cache_ttl", Type::Number).default(Default::Number(60.0)).check(checks::non_negative),
            Field::new("skip_consumer_lookup", Type::Boolean).default(Default::Bool(false)),
            Field::new("allow_partial_chain", Type::Boolean).default(Default::Bool(false)),
            Field::new("authenticated_group_by", Type::OneOf(&["CN", "DN"]))
                .default(Default::Str("CN"))
                .nullable(),
            Field::new(
                "revocation_check_mode",
                Type::OneOf(&["SKIP", "IGNORE_CA_ERROR", "STRICT"]),
            )
            .default(Default::Str("IGNORE_CA_ERROR")),
            Field::new("http_timeout", Type::Number).default(Default::Number(30000.0)).check(checks::non_negative),
            Field::new("cert_cache_ttl", Type::Number).default(Default::Number(60000.0)).check(checks::non_negative),
            Field::new("default_consumer", Type::String).check(checks::non_empty),
            Field::new("http_proxy_host", Type::String).check(checks::hostname),
            Field::new("http_proxy_port", PORT),
            Field::new("https_proxy_host", Type::String).check(checks::hostname),
            Field::new("https_proxy_port", PORT),
            Field::new("ssl_verify", Type::Boolean).default(Default::Bool(true)),
            Field::new("check_eku", Type::Boolean).default(Default::Bool(true)),
            $($extra),*
        ]
    };
}

/// `mtls-auth` (priority 1600): client certificates from the TLS handshake.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MtlsAuthConfig {
    /// The fields shared with header-cert-auth.
    #[serde(flatten)]
    pub auth: AuthSettings,
    /// `send_ca_dn` (default false): send the CA distinguished names in the
    /// CertificateRequest.
    pub send_ca_dn: bool,
    /// `san_dirname_matcher` (default `[]` = every attribute): which attributes of a SAN
    /// directoryName to use.
    pub san_dirname_matcher: Vec<String>,
}

impl MtlsAuthConfig {
    /// Kong's defaults with these CA ids.
    pub fn new(ca_certificates: impl Into<Vec<Uuid>>) -> Self {
        Self {
            auth: AuthSettings::new(ca_certificates),
            send_ca_dn: false,
            san_dirname_matcher: Vec::new(),
        }
    }
}

/// The `config` fields of mtls-auth.
pub(crate) const MTLS_AUTH_FIELDS: &[Field] = auth_fields![
    Field::new("send_ca_dn", Type::Boolean).default(Default::Bool(false)),
    Field::new("san_dirname_matcher", STRINGS)
        .default(Default::Strings(&[]))
        .check(checks::non_empty),
];

/// `header-cert-auth` (priority 1009): client certificates forwarded by a trusted proxy in a
/// request header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeaderCertAuthConfig {
    /// The fields shared with mtls-auth.
    #[serde(flatten)]
    pub auth: AuthSettings,
    /// `certificate_header_name` (required): the header carrying the certificate.
    pub certificate_header_name: String,
    /// `certificate_header_format` (required): Kong's `base64_encoded` / `url_encoded`, or
    /// one of this project's additions (`rfc9440`, `xfcc`, `base64_der_list`,
    /// `pem_space_joined`).
    pub certificate_header_format: HeaderFormat,
    /// `secure_source` (default true): only peers in the trusted IPs may send the header.
    pub secure_source: bool,
    /// `trusted_ips` (our addition, default null): the peers allowed to send the header for
    /// this plugin instance. Kong reads `trusted_ips` from kong.conf only; null here means the
    /// gateway-wide list (empty by default: nothing trusted).
    pub trusted_ips: Option<TrustedIps>,
}

impl HeaderCertAuthConfig {
    /// Kong's defaults with the required fields.
    pub fn new(
        ca_certificates: impl Into<Vec<Uuid>>,
        certificate_header_name: impl Into<String>,
        certificate_header_format: HeaderFormat,
    ) -> Self {
        Self {
            auth: AuthSettings::new(ca_certificates),
            certificate_header_name: certificate_header_name.into(),
            certificate_header_format,
            secure_source: true,
            trusted_ips: None,
        }
    }

    /// The header part as mtls-header runs it: format, header name, and the source policy
    /// from `secure_source` with this instance's `trusted_ips`, or `gateway_trusted_ips`
    /// when it has none.
    pub fn header_cert_auth(
        &self,
        gateway_trusted_ips: &TrustedIps,
    ) -> Result<mtls_header::HeaderCertAuth, mtls_header::ConfigError> {
        let source = if self.secure_source {
            mtls_header::SourcePolicy::secure(
                self.trusted_ips
                    .clone()
                    .unwrap_or_else(|| gateway_trusted_ips.clone()),
            )
        } else {
            mtls_header::SourcePolicy::insecure_any_source()
        };
        mtls_header::HeaderCertAuth::new(
            self.certificate_header_format,
            &self.certificate_header_name,
            source,
        )
    }

    pub(crate) fn check(&self, path: &str, errors: &mut Errors) {
        self.auth.check(path, errors);
        if let Err(e) = self.header_cert_auth(&TrustedIps::new()) {
            errors.push(join(path, "certificate_header_name"), e.to_string());
        }
    }
}

/// `certificate_header_format`'s values: mtls-header's [`HeaderFormat::ALL`], by name.
const HEADER_FORMATS: &[&str] = &[
    "base64_encoded",
    "url_encoded",
    "rfc9440",
    "xfcc",
    "base64_der_list",
    "pem_space_joined",
];

fn trusted_ip(value: &serde_json::Value) -> Result<(), String> {
    let entry = value.as_str().unwrap_or_default();
    TrustedIps::parse([entry])
        .map(|_| ())
        .map_err(|_| format!("{entry:?} is not an IP address or CIDR"))
}

/// The `config` fields of header-cert-auth.
pub(crate) const HEADER_CERT_AUTH_FIELDS: &[Field] = auth_fields![
    Field::new("certificate_header_name", Type::String).required(),
    Field::new("certificate_header_format", Type::OneOf(HEADER_FORMATS)).required(),
    Field::new("secure_source", Type::Boolean).default(Default::Bool(true)),
    Field::new("trusted_ips", STRINGS)
        .check(trusted_ip)
        .strict(),
];

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_kongs() {
        let c = MtlsAuthConfig::new(vec![]);
        assert_eq!(c.auth.cache_ttl(), Duration::from_secs(60));
        assert_eq!(c.auth.http_timeout(), Duration::from_secs(30));
        assert_eq!(c.auth.cert_cache_ttl(), Duration::from_secs(60000));
        assert!(c.auth.check_eku && c.auth.ssl_verify && !c.send_ca_dn);
        assert_eq!(
            RevocationCheckMode::parse("STRICT"),
            Some(RevocationCheckMode::Strict)
        );
        assert_eq!(RevocationCheckMode::parse("strict"), None);
        let names: Vec<&str> = HeaderFormat::ALL.iter().map(HeaderFormat::as_str).collect();
        assert_eq!(names, HEADER_FORMATS);
    }
}
