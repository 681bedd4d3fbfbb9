//! The configurations of the plugins this project runs, with Kong's field names and defaults:
//! `mtls-auth`, `header-cert-auth`, `tls-handshake-modifier`, `tls-metadata-headers` and
//! `acl`.
//!
//! Each type's `new` / `Default` gives Kong's defaults; fields are public so that a builder
//! sets what it needs. Values are checked when a configuration is built (the loader and
//! [`ConfigBuilder`](super::ConfigBuilder) both do), so a [`Config`](super::Config) only ever
//! holds valid ones.

use std::fmt;
use std::time::Duration;

use mtls_consumer::{Acl, ConsumerField, ConsumerReference, GroupBy, MatchSettings, Plugin};
use mtls_header::{HeaderFormat, TrustedIps};
use uuid::Uuid;

use super::error::{Errors, index, join};

/// Kong's `revocation_check_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RevocationCheckMode {
    /// `SKIP`: no revocation check.
    Skip,
    /// `IGNORE_CA_ERROR` (default): revoked certificates are refused; when neither OCSP nor
    /// CRL gives an answer, the certificate is accepted.
    #[default]
    IgnoreCaError,
    /// `STRICT`: without an answer the certificate is refused.
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
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AuthSettings {
    /// `ca_certificates` (required): ids of `ca_certificates` entities; each must exist.
    pub ca_certificates: Vec<Uuid>,
    /// `anonymous` (default null): consumer id or username used when authentication fails.
    /// Not required to exist at load time: a missing one is Kong's 500 at request time.
    pub anonymous: Option<ConsumerReference>,
    /// `consumer_by` (default `[username, custom_id]`, in lookup order); empty (or null)
    /// disables matching consumers by username / custom_id.
    pub consumer_by: Vec<ConsumerField>,
    /// `cache_ttl` in seconds (default 60): TTL of consumer and credential lookups.
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
    pub http_timeout: f64,
    /// `cert_cache_ttl` (default 60000), read in seconds as Kong's code does (its docs say
    /// milliseconds): TTL of revocation results.
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

    /// The revocation policy (the gateway's view of `revocation_check_mode`, `http_timeout`,
    /// `cert_cache_ttl`, the proxy fields and `ssl_verify`).
    pub fn revocation_policy(&self) -> crate::revocation::RevocationPolicy {
        let proxy = |host: &Option<String>, port: Option<u16>| match (host, port) {
            (Some(host), Some(port)) => Some(crate::revocation::Proxy {
                host: host.clone(),
                port,
            }),
            _ => None,
        };
        crate::revocation::RevocationPolicy {
            mode: self.revocation_check_mode,
            cache_ttl: self.cert_cache_ttl(),
            fetch: crate::revocation::FetchSettings {
                timeout: self.http_timeout(),
                http_proxy: proxy(&self.http_proxy_host, self.http_proxy_port),
                https_proxy: proxy(&self.https_proxy_host, self.https_proxy_port),
                ssl_verify: self.ssl_verify,
            },
        }
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

    pub(crate) fn validate(&self, path: &str, errors: &mut Errors) {
        for (field, value) in [
            ("cache_ttl", self.cache_ttl),
            ("http_timeout", self.http_timeout),
            ("cert_cache_ttl", self.cert_cache_ttl),
        ] {
            if !value.is_finite() || value < 0.0 {
                errors.push(join(path, field), "must be a non-negative number");
            }
        }
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
        for (name, reference) in [
            ("anonymous", &self.anonymous),
            ("default_consumer", &self.default_consumer),
        ] {
            if reference.as_ref().is_some_and(|r| r.value().is_empty()) {
                errors.push(join(path, name), "length must be at least 1");
            }
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
            if host_value.as_ref().is_some_and(|h| !is_host(h)) {
                errors.push(join(path, host), "invalid hostname");
            }
        }
    }
}

/// `mtls-auth` (priority 1600): client certificates from the TLS handshake.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MtlsAuthConfig {
    /// The fields shared with header-cert-auth.
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

    pub(crate) fn validate(&self, path: &str, errors: &mut Errors) {
        self.auth.validate(path, errors);
        for (i, attr) in self.san_dirname_matcher.iter().enumerate() {
            if attr.is_empty() {
                errors.push(
                    index(&join(path, "san_dirname_matcher"), i),
                    "length must be at least 1",
                );
            }
        }
    }
}

/// `header-cert-auth` (priority 1009): client certificates forwarded by a trusted proxy in a
/// request header.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct HeaderCertAuthConfig {
    /// The fields shared with mtls-auth.
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
    /// gateway-wide list ([`Config::trusted_ips`](super::Config::trusted_ips), empty by
    /// default: nothing trusted).
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

    pub(crate) fn validate(&self, path: &str, errors: &mut Errors) {
        self.auth.validate(path, errors);
        if let Err(e) = self.header_cert_auth(&TrustedIps::new()) {
            errors.push(join(path, "certificate_header_name"), e.to_string());
        }
    }
}

/// Kong's `tls_client_certificate` of tls-handshake-modifier (one value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TlsClientCertificate {
    /// `REQUEST`: request a certificate, never require it.
    #[default]
    Request,
}

/// `tls-handshake-modifier` (priority 997): requests a client certificate, never validates it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TlsHandshakeModifierConfig {
    /// `tls_client_certificate` (default and only value `REQUEST`).
    pub tls_client_certificate: TlsClientCertificate,
}

/// `tls-metadata-headers` (priority 996): the client certificate's details as upstream
/// headers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsMetadataHeadersConfig {
    /// `inject_client_cert_details` (default false).
    pub inject_client_cert_details: bool,
    /// `client_cert_header_name` (default `X-Client-Cert`).
    pub client_cert_header_name: String,
    /// `client_serial_header_name` (default `X-Client-Cert-Serial`).
    pub client_serial_header_name: String,
    /// `client_cert_issuer_dn_header_name` (default `X-Client-Cert-Issuer-DN`).
    pub client_cert_issuer_dn_header_name: String,
    /// `client_cert_subject_dn_header_name` (default `X-Client-Cert-Subject-DN`).
    pub client_cert_subject_dn_header_name: String,
    /// `client_cert_fingerprint_header_name` (default `X-Client-Cert-Fingerprint`).
    pub client_cert_fingerprint_header_name: String,
}

impl Default for TlsMetadataHeadersConfig {
    fn default() -> Self {
        Self {
            inject_client_cert_details: false,
            client_cert_header_name: "X-Client-Cert".into(),
            client_serial_header_name: "X-Client-Cert-Serial".into(),
            client_cert_issuer_dn_header_name: "X-Client-Cert-Issuer-DN".into(),
            client_cert_subject_dn_header_name: "X-Client-Cert-Subject-DN".into(),
            client_cert_fingerprint_header_name: "X-Client-Cert-Fingerprint".into(),
        }
    }
}

impl TlsMetadataHeadersConfig {
    /// The header-name fields, with their Kong names.
    pub fn header_names(&self) -> [(&'static str, &str); 5] {
        [
            ("client_cert_header_name", &self.client_cert_header_name),
            ("client_serial_header_name", &self.client_serial_header_name),
            (
                "client_cert_issuer_dn_header_name",
                &self.client_cert_issuer_dn_header_name,
            ),
            (
                "client_cert_subject_dn_header_name",
                &self.client_cert_subject_dn_header_name,
            ),
            (
                "client_cert_fingerprint_header_name",
                &self.client_cert_fingerprint_header_name,
            ),
        ]
    }

    pub(crate) fn validate(&self, path: &str, errors: &mut Errors) {
        for (field, value) in self.header_names() {
            if !mtls_header::is_header_name(value) {
                errors.push(join(path, field), "bad header name");
            }
        }
    }
}

/// `acl` (priority 950): allow or deny by group. Exactly one of `allow` and `deny` must be
/// non-empty.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AclConfig {
    /// `allow`: groups let through (an empty list counts as unset, as in Kong).
    pub allow: Option<Vec<String>>,
    /// `deny`: groups refused (an empty list counts as unset, as in Kong).
    pub deny: Option<Vec<String>>,
    /// `hide_groups_header` (default false).
    pub hide_groups_header: bool,
    /// `always_use_authenticated_groups` (default false): read for compatibility with Kong
    /// 3.x files; the request decision documents how it uses it.
    pub always_use_authenticated_groups: bool,
    /// `include_consumer_groups` (default false): read for compatibility with Kong 3.x files
    /// (consumer groups are not part of this project).
    pub include_consumer_groups: bool,
}

impl AclConfig {
    /// An acl allowing these groups.
    pub fn allow<I: IntoIterator<Item = S>, S: Into<String>>(groups: I) -> Self {
        Self {
            allow: Some(groups.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// An acl denying these groups.
    pub fn deny<I: IntoIterator<Item = S>, S: Into<String>>(groups: I) -> Self {
        Self {
            deny: Some(groups.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// The rule as mtls-consumer runs it; `Err` when not exactly one of allow / deny is
    /// non-empty (never for a configuration that was loaded or built).
    pub fn acl(&self) -> Result<Acl, mtls_consumer::AclConfigError> {
        let non_empty = |v: &Option<Vec<String>>| v.clone().filter(|v| !v.is_empty());
        Acl::from_kong(
            non_empty(&self.allow),
            non_empty(&self.deny),
            self.hide_groups_header,
        )
    }

    pub(crate) fn validate(&self, path: &str, errors: &mut Errors) {
        if let Err(e) = self.acl() {
            errors.push(path, e.to_string());
        }
    }
}

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

    pub(crate) fn validate(&self, path: &str, errors: &mut Errors) {
        match self {
            Self::MtlsAuth(c) => c.validate(path, errors),
            Self::HeaderCertAuth(c) => c.validate(path, errors),
            Self::TlsHandshakeModifier(_) => {}
            Self::TlsMetadataHeaders(c) => c.validate(path, errors),
            Self::Acl(c) => c.validate(path, errors),
        }
    }
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

/// A host name or IP address (Kong's `typedefs.host`, loosely: no port, no spaces).
pub(crate) fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
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
        assert!(
            mtls_header::is_header_name("X-Client-Cert")
                && !mtls_header::is_header_name("X Client")
        );
        assert!(is_host("proxy.internal") && is_host("::1") && !is_host("a:80"));
    }
}
