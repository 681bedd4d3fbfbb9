//! Reading a family plugin's `config` record: Kong's field names, types and defaults; unknown
//! fields refused as Kong refuses them. Rules across fields are checked at resolution.

use mtls_consumer::{ConsumerField, ConsumerReference, GroupBy};
use mtls_header::{HeaderFormat, TrustedIps};
use serde_json::Value;

use crate::config::error::{Errors, index};
use crate::config::plugins::{
    AclConfig, AuthSettings, HeaderCertAuthConfig, MtlsAuthConfig, PluginConfig,
    RevocationCheckMode, TlsClientCertificate, TlsHandshakeModifierConfig,
    TlsMetadataHeadersConfig,
};
use crate::config::reader::Record;

/// Reads plugin `name`'s config (absent or null: every default). A field missing or of the
/// wrong type is reported and read as its default, so that the other rules are still
/// checked; `None` only for a name outside the family.
pub(super) fn read(
    name: &str,
    value: Option<&Value>,
    path: &str,
    errors: &mut Errors,
) -> Option<PluginConfig> {
    let empty = Value::Object(serde_json::Map::new());
    let value = value.unwrap_or(&empty);
    let mut r = Record::new(value, path, errors)?;
    let config = match name {
        "mtls-auth" => {
            let auth = auth_settings(&mut r, errors);
            let defaults = MtlsAuthConfig::new(Vec::new());
            let config = MtlsAuthConfig {
                send_ca_dn: r.bool_or("send_ca_dn", defaults.send_ca_dn, errors),
                san_dirname_matcher: r.strings("san_dirname_matcher", errors).unwrap_or_default(),
                auth,
            };
            PluginConfig::MtlsAuth(config)
        }
        "header-cert-auth" => {
            let auth = auth_settings(&mut r, errors);
            let header_name = r.required_string("certificate_header_name", errors);
            let format = header_format(&mut r, errors);
            let secure_source = r.bool_or("secure_source", true, errors);
            let trusted_ips = trusted_ips(&mut r, errors);
            let mut config = HeaderCertAuthConfig::new(
                Vec::new(),
                header_name.unwrap_or_default(),
                format.unwrap_or(HeaderFormat::Base64Encoded),
            );
            config.auth = auth;
            config.secure_source = secure_source;
            config.trusted_ips = trusted_ips;
            PluginConfig::HeaderCertAuth(config)
        }
        "tls-handshake-modifier" => {
            let field = r.field_path("tls_client_certificate");
            if let Some(v) = r.string("tls_client_certificate", errors)
                && v != "REQUEST"
            {
                errors.push(field, "expected one of: REQUEST");
            }
            PluginConfig::TlsHandshakeModifier(TlsHandshakeModifierConfig {
                tls_client_certificate: TlsClientCertificate::Request,
            })
        }
        "tls-metadata-headers" => {
            let d = TlsMetadataHeadersConfig::default();
            let mut s = |field: &str, default: String, errors: &mut Errors| {
                r.string(field, errors).unwrap_or(default)
            };
            let config = TlsMetadataHeadersConfig {
                client_cert_header_name: s(
                    "client_cert_header_name",
                    d.client_cert_header_name,
                    errors,
                ),
                client_serial_header_name: s(
                    "client_serial_header_name",
                    d.client_serial_header_name,
                    errors,
                ),
                client_cert_issuer_dn_header_name: s(
                    "client_cert_issuer_dn_header_name",
                    d.client_cert_issuer_dn_header_name,
                    errors,
                ),
                client_cert_subject_dn_header_name: s(
                    "client_cert_subject_dn_header_name",
                    d.client_cert_subject_dn_header_name,
                    errors,
                ),
                client_cert_fingerprint_header_name: s(
                    "client_cert_fingerprint_header_name",
                    d.client_cert_fingerprint_header_name,
                    errors,
                ),
                inject_client_cert_details: r.bool_or(
                    "inject_client_cert_details",
                    d.inject_client_cert_details,
                    errors,
                ),
            };
            PluginConfig::TlsMetadataHeaders(config)
        }
        "acl" => PluginConfig::Acl(AclConfig {
            allow: r.strings("allow", errors),
            deny: r.strings("deny", errors),
            hide_groups_header: r.bool_or("hide_groups_header", false, errors),
            always_use_authenticated_groups: r.bool_or(
                "always_use_authenticated_groups",
                false,
                errors,
            ),
            include_consumer_groups: r.bool_or("include_consumer_groups", false, errors),
        }),
        _ => return None,
    };
    r.finish(errors);
    Some(config)
}

/// The fields mtls-auth and header-cert-auth share.
fn auth_settings(r: &mut Record<'_>, errors: &mut Errors) -> AuthSettings {
    let ca_certificates = match r.get("ca_certificates") {
        None => {
            errors.push(r.field_path("ca_certificates"), "required field missing");
            None
        }
        Some(_) => r.uuids("ca_certificates", errors),
    };
    let mut s = AuthSettings::new(Vec::new());
    s.anonymous = r.string("anonymous", errors).map(ConsumerReference::new);
    s.default_consumer = r
        .string("default_consumer", errors)
        .map(ConsumerReference::new);
    s.consumer_by = consumer_by(r, errors).unwrap_or(s.consumer_by);
    s.cache_ttl = r.number("cache_ttl", errors).unwrap_or(s.cache_ttl);
    s.skip_consumer_lookup = r.bool_or("skip_consumer_lookup", s.skip_consumer_lookup, errors);
    s.allow_partial_chain = r.bool_or("allow_partial_chain", s.allow_partial_chain, errors);
    s.authenticated_group_by = group_by(r, errors);
    let mode_path = r.field_path("revocation_check_mode");
    if let Some(mode) = r.string("revocation_check_mode", errors) {
        match RevocationCheckMode::parse(&mode) {
            Some(m) => s.revocation_check_mode = m,
            None => errors.push(mode_path, "expected one of: SKIP, IGNORE_CA_ERROR, STRICT"),
        }
    }
    s.http_timeout = r.number("http_timeout", errors).unwrap_or(s.http_timeout);
    s.cert_cache_ttl = r
        .number("cert_cache_ttl", errors)
        .unwrap_or(s.cert_cache_ttl);
    s.http_proxy_host = r.string("http_proxy_host", errors);
    s.http_proxy_port = r.port("http_proxy_port", errors);
    s.https_proxy_host = r.string("https_proxy_host", errors);
    s.https_proxy_port = r.port("https_proxy_port", errors);
    s.ssl_verify = r.bool_or("ssl_verify", s.ssl_verify, errors);
    s.check_eku = r.bool_or("check_eku", s.check_eku, errors);
    s.ca_certificates = ca_certificates.unwrap_or_default();
    s
}

/// `consumer_by`: absent -> default; null -> empty (no matching by username / custom_id).
fn consumer_by(r: &mut Record<'_>, errors: &mut Errors) -> Option<Vec<ConsumerField>> {
    let path = r.field_path("consumer_by");
    match r.raw("consumer_by") {
        None => None,
        Some(Value::Null) => Some(Vec::new()),
        Some(_) => {
            let names = r.strings("consumer_by", errors)?;
            let mut out = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                match name.as_str() {
                    "username" => out.push(ConsumerField::Username),
                    "custom_id" => out.push(ConsumerField::CustomId),
                    _ => errors.push(index(&path, i), "expected one of: username, custom_id"),
                }
            }
            Some(out)
        }
    }
}

/// `authenticated_group_by`: absent -> CN; null -> none.
fn group_by(r: &mut Record<'_>, errors: &mut Errors) -> Option<GroupBy> {
    let path = r.field_path("authenticated_group_by");
    match r.raw("authenticated_group_by") {
        None => Some(GroupBy::CommonName),
        Some(Value::Null) => None,
        Some(Value::String(s)) if s == "CN" => Some(GroupBy::CommonName),
        Some(Value::String(s)) if s == "DN" => Some(GroupBy::SubjectDn),
        Some(_) => {
            errors.push(path, "expected one of: CN, DN");
            Some(GroupBy::CommonName)
        }
    }
}

fn header_format(r: &mut Record<'_>, errors: &mut Errors) -> Option<HeaderFormat> {
    let path = r.field_path("certificate_header_format");
    let value = r.required_string("certificate_header_format", errors)?;
    match value.parse::<HeaderFormat>() {
        Ok(format) => Some(format),
        Err(_) => {
            let names: Vec<&str> = HeaderFormat::ALL.iter().map(HeaderFormat::as_str).collect();
            errors.push(path, format!("expected one of: {}", names.join(", ")));
            None
        }
    }
}

fn trusted_ips(r: &mut Record<'_>, errors: &mut Errors) -> Option<TrustedIps> {
    let path = r.field_path("trusted_ips");
    let entries = r.strings("trusted_ips", errors)?;
    match TrustedIps::parse(&entries) {
        Ok(ips) => Some(ips),
        Err(mtls_header::ConfigError::InvalidTrustedIp { index: i, entry }) => {
            errors.push(
                index(&path, i),
                format!("{entry:?} is not an IP address or CIDR"),
            );
            None
        }
        Err(e) => {
            errors.push(path, e.to_string());
            None
        }
    }
}
