//! `services`: the upstream, with its address, timeouts and TLS settings.

use mtls_sni::Protocol;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Context, Entity, Kind, checks};
use crate::error::{Errors, index, join};
use crate::schema::types::{PORT, PROTOCOL, UUIDS};
use crate::schema::{Default, Field, MAX_I32, Schema, TIMESTAMPS, Type, read_record};

/// A service (`services` entity): the upstream, with its TLS settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Service {
    /// The id.
    pub id: Uuid,
    /// `name` (unique when set).
    pub name: Option<String>,
    /// `protocol` (default `http`; from `url` when given).
    #[serde(with = "super::wire::protocol")]
    pub protocol: Protocol,
    /// `host` (required; from `url` when given).
    pub host: String,
    /// `port` (default 80, or 443 for a TLS scheme in `url`).
    pub port: u16,
    /// `path` (default none).
    pub path: Option<String>,
    /// `retries` (default 5): how many times a request is retried after a connection
    /// failure (never after the request was sent).
    pub retries: u32,
    /// `connect_timeout` in milliseconds (default 60000).
    pub connect_timeout: u32,
    /// `write_timeout` in milliseconds (default 60000): the longest pause while sending the
    /// request to the upstream.
    pub write_timeout: u32,
    /// `read_timeout` in milliseconds (default 60000): the longest pause while reading the
    /// upstream's response.
    pub read_timeout: u32,
    /// `client_certificate`: the certificate presented to the upstream (a `certificates` id);
    /// none means the gateway-wide default, if any.
    #[serde(with = "super::wire::foreign")]
    pub client_certificate: Option<Uuid>,
    /// `tls_verify`: verify the upstream's certificate; none means the gateway-wide default.
    pub tls_verify: Option<bool>,
    /// `tls_verify_depth` (0-64); none means the gateway-wide default.
    pub tls_verify_depth: Option<u8>,
    /// `ca_certificates`: trust store for the upstream's certificate (each exists).
    #[serde(with = "super::wire::list")]
    pub ca_certificates: Vec<Uuid>,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `tags`.
    #[serde(with = "super::wire::list")]
    pub tags: Vec<String>,
}

impl Service {
    /// Whether the service's protocol speaks TLS to the upstream.
    pub fn uses_tls(&self) -> bool {
        tls_protocol(self.protocol)
    }
}

fn tls_protocol(protocol: Protocol) -> bool {
    matches!(
        protocol,
        Protocol::Https | Protocol::Grpcs | Protocol::Tls | Protocol::Wss
    )
}

const TIMEOUT: Type = Type::Integer {
    min: 1,
    max: MAX_I32,
};

const FIELDS: &[Field] = &[
    Field::new("id", Type::Uuid),
    Field::new("name", Type::String).check(checks::utf8_name),
    Field::new("protocol", PROTOCOL).default(Default::Str("http")),
    Field::new("host", Type::String)
        .required()
        .check(checks::hostname),
    Field::new("port", PORT).default(Default::Int(80)),
    Field::new("path", Type::String),
    Field::new("retries", Type::Integer { min: 0, max: 32767 }).default(Default::Int(5)),
    Field::new("connect_timeout", TIMEOUT).default(Default::Int(60000)),
    Field::new("write_timeout", TIMEOUT).default(Default::Int(60000)),
    Field::new("read_timeout", TIMEOUT).default(Default::Int(60000)),
    Field::new("client_certificate", Type::Foreign("certificates")),
    Field::new("tls_verify", Type::Boolean),
    Field::new("tls_verify_depth", Type::Integer { min: 0, max: 64 }),
    Field::new("ca_certificates", UUIDS),
    Field::new("enabled", Type::Boolean).default(Default::Bool(true)),
    Field::new("tags", crate::schema::types::STRINGS),
];

/// The `services` schema.
pub(super) static SCHEMA: Schema = Schema {
    name: "services",
    singular: "service",
    endpoint_key: Some("name"),
    fields: FIELDS,
    ignored: &TIMESTAMPS_AND_SANS,
};

const TIMESTAMPS_AND_SANS: [&str; 3] = [TIMESTAMPS[0], TIMESTAMPS[1], "tls_sans"];

impl Entity for Service {
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
        let Value::Object(written) = value else {
            errors.push(path, "expected a record");
            return None;
        };
        let Some(url) = written.get("url").filter(|v| !v.is_null()) else {
            return read_record(FIELDS, SCHEMA.ignored, &with_url(skip), value, path, errors);
        };
        let url_path = join(path, "url");
        let Value::String(url) = url else {
            errors.push(url_path, "expected a string");
            return None;
        };
        let mut expanded = written.clone();
        for field in ["protocol", "host", "port", "path"] {
            if expanded.get(field).is_some_and(|v| !v.is_null()) {
                errors.push(
                    join(path, field),
                    "must not be set together with 'url' (the url gives it)",
                );
            }
        }
        match parse_url(url) {
            Ok(address) => {
                expanded.insert(
                    "protocol".into(),
                    Value::String(address.protocol.as_str().into()),
                );
                expanded.insert("host".into(), Value::String(address.host));
                expanded.insert("port".into(), Value::Number(address.port.into()));
                expanded.insert(
                    "path".into(),
                    address.path.map_or(Value::Null, Value::String),
                );
            }
            Err(message) => {
                errors.push(&url_path, message);
                return None;
            }
        }
        expanded.remove("url");
        read_record(
            FIELDS,
            SCHEMA.ignored,
            skip,
            &Value::Object(expanded),
            path,
            errors,
        )
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

    fn check(&mut self, path: &str, ctx: &Context<'_>, errors: &mut Errors) {
        if let Some(p) = &self.path {
            if !p.starts_with('/') {
                errors.push(join(path, "path"), "should start with: /");
            } else if matches!(
                self.protocol,
                Protocol::Tcp | Protocol::Tls | Protocol::TlsPassthrough | Protocol::Udp
            ) {
                errors.push(
                    join(path, "path"),
                    format!("value must be null when 'protocol' is '{}'", self.protocol),
                );
            }
        }
        for (i, ca) in self.ca_certificates.iter().enumerate() {
            if !ctx.exists(Kind::CaCertificate, *ca) {
                errors.push(
                    index(&join(path, "ca_certificates"), i),
                    format!("no ca_certificate with id {ca}"),
                );
            }
        }
        if !self.uses_tls() {
            for (field, set) in [
                ("client_certificate", self.client_certificate.is_some()),
                ("tls_verify", self.tls_verify.is_some()),
                ("tls_verify_depth", self.tls_verify_depth.is_some()),
                ("ca_certificates", !self.ca_certificates.is_empty()),
            ] {
                if set {
                    errors.push(
                        join(path, field),
                        format!(
                            "value must be null when 'protocol' is '{}' (it needs https, grpcs, \
                             tls or wss)",
                            self.protocol
                        ),
                    );
                }
            }
        }
    }
}

fn with_url<'a>(skip: &[&'a str]) -> Vec<&'a str> {
    let mut all = skip.to_vec();
    all.push("url");
    all
}

/// The upstream address a `url` gives.
struct Address {
    protocol: Protocol,
    host: String,
    port: u16,
    path: Option<String>,
}

/// `scheme://host[:port][/path]`; IPv6 hosts in brackets.
fn parse_url(url: &str) -> Result<Address, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("missing scheme in url {url:?}"));
    };
    let protocol = super::wire::parse_protocol(&scheme.to_ascii_lowercase()).ok_or_else(|| {
        format!(
            "unsupported scheme {scheme:?}: expected one of: {}",
            crate::schema::types::PROTOCOL_NAMES.join(", ")
        )
    })?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in url {url:?}"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || !checks::is_host(host) {
        return Err(format!("invalid host {host:?} in url"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("invalid port {p:?} in url"))?,
        None if tls_protocol(protocol) => 443,
        None => 80,
    };
    if !path.is_empty() && !path.starts_with('/') {
        return Err(format!("the path of url {url:?} should start with: /"));
    }
    Ok(Address {
        protocol,
        host: host.to_owned(),
        port,
        path: (!path.is_empty()).then(|| path.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let a = parse_url("https://billing.internal:8443/v1").ok();
        let a = a
            .as_ref()
            .map(|a| (a.protocol, a.host.as_str(), a.port, a.path.as_deref()));
        assert_eq!(
            a,
            Some((Protocol::Https, "billing.internal", 8443, Some("/v1")))
        );
        let b = parse_url("http://[::1]").ok().map(|a| (a.host, a.port));
        assert_eq!(b, Some(("::1".to_owned(), 80)));
        assert!(parse_url("billing.internal").is_err());
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("http://x:99999").is_err());
    }
}
