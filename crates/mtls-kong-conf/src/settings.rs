//! The typed settings, read from the effective values (each with its origin).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use mtls_header::TrustedIps;

use crate::error::{Origin, SettingError, Warning};
use crate::listen::{Listener, parse_listeners};
use crate::types::{Database, HeaderBuffers, KongHeader, LogLevel, PemSource, Postgres};

/// One effective value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The value as written (empty: unset).
    pub value: String,
    /// Its origin.
    pub origin: Origin,
}

/// A Kong node's settings, typed, each with its origin.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// `proxy_listen` (empty: off).
    pub proxy_listen: Vec<Listener>,
    /// `admin_listen` (empty: off).
    pub admin_listen: Vec<Listener>,
    /// `status_listen` (empty: off, the default here).
    pub status_listen: Vec<Listener>,
    /// `database`.
    pub database: Database,
    /// `declarative_config`: the file a DB-less node loads.
    pub declarative_config: Option<PathBuf>,
    /// The `pg_*` settings.
    pub postgres: Postgres,
    /// `client_ssl`: present a client certificate to upstreams.
    pub client_ssl: bool,
    /// `client_ssl_cert`.
    pub client_ssl_cert: Option<PemSource>,
    /// `client_ssl_cert_key`.
    pub client_ssl_cert_key: Option<PemSource>,
    /// `ssl_cert`: the proxy's certificates (as many as `ssl_cert_key`).
    pub ssl_cert: Vec<PemSource>,
    /// `ssl_cert_key`.
    pub ssl_cert_key: Vec<PemSource>,
    /// `admin_ssl_cert`: the Admin API's TLS certificate chains (by `admin_listen` ssl
    /// entries).
    pub admin_ssl_cert: Vec<PemSource>,
    /// `admin_ssl_cert_key`: their private keys.
    pub admin_ssl_cert_key: Vec<PemSource>,
    /// `trusted_ips`, the IP blocks.
    pub trusted_ips: TrustedIps,
    /// `trusted_ips` holds `unix:` (peers on unix sockets are trusted).
    pub trusted_unix: bool,
    /// `real_ip_header` (or `nginx_proxy_real_ip_header`).
    pub real_ip_header: String,
    /// `real_ip_recursive` (or `nginx_proxy_real_ip_recursive`).
    pub real_ip_recursive: bool,
    /// `headers`: the headers added to responses.
    pub headers: BTreeSet<KongHeader>,
    /// `headers_upstream`: the headers added to upstream requests.
    pub headers_upstream: BTreeSet<KongHeader>,
    /// `nginx_proxy_large_client_header_buffers`.
    pub large_client_header_buffers: HeaderBuffers,
    /// `log_level`.
    pub log_level: LogLevel,
    pub(crate) values: BTreeMap<String, Effective>,
    pub(crate) warnings: Vec<Warning>,
}

/// Reads the typed settings from the effective values; problems go to `errors`.
pub(crate) fn read(
    values: BTreeMap<String, Effective>,
    warnings: Vec<Warning>,
    errors: &mut Vec<SettingError>,
) -> Settings {
    let mut r = Reader {
        values: &values,
        errors,
    };
    let proxy_listen = r.listeners("proxy_listen");
    let admin_listen = r.listeners("admin_listen");
    let status_listen = r.listeners("status_listen");
    let database = match r.text("database").as_str() {
        "off" => Database::Off,
        "postgres" => Database::Postgres,
        "sqlite" => Database::Sqlite,
        other => {
            r.fail(
                "database",
                format!("{other:?}: expected off, postgres or sqlite (cassandra is not supported)"),
            );
            Database::Off
        }
    };
    let declarative_config = r.optional("declarative_config").map(PathBuf::from);
    let postgres = Postgres {
        host: r.text("pg_host"),
        port: r.number("pg_port", 1, 65535).map_or(5432, |n| n as u16),
        user: r.text("pg_user"),
        password: r.optional("pg_password"),
        database: r.text("pg_database"),
        ssl: r.boolean("pg_ssl"),
        ssl_verify: r.boolean("pg_ssl_verify"),
        timeout_ms: r.number("pg_timeout", 0, u32::MAX.into()).unwrap_or(5000),
    };
    let client_ssl = r.boolean("client_ssl");
    let client_ssl_cert = r.optional("client_ssl_cert").map(|v| PemSource::read(&v));
    let client_ssl_cert_key = r
        .optional("client_ssl_cert_key")
        .map(|v| PemSource::read(&v));
    if client_ssl {
        match (&client_ssl_cert, &client_ssl_cert_key) {
            (Some(_), None) => r.fail(
                "client_ssl_cert_key",
                "must be specified (client_ssl_cert is)",
            ),
            (None, Some(_)) => r.fail(
                "client_ssl_cert",
                "must be specified (client_ssl_cert_key is)",
            ),
            (None, None) => r.fail(
                "client_ssl",
                "on without client_ssl_cert and client_ssl_cert_key (this gateway has no \
                 generated default certificate)",
            ),
            (Some(_), Some(_)) => {}
        }
    }
    let ssl_cert: Vec<PemSource> = r
        .list("ssl_cert")
        .iter()
        .map(|v| PemSource::read(v))
        .collect();
    let ssl_cert_key: Vec<PemSource> = r
        .list("ssl_cert_key")
        .iter()
        .map(|v| PemSource::read(v))
        .collect();
    if ssl_cert.len() != ssl_cert_key.len() {
        let (name, message) = match (ssl_cert.is_empty(), ssl_cert_key.is_empty()) {
            (false, true) => ("ssl_cert_key", "must be specified (ssl_cert is)".to_owned()),
            (true, false) => ("ssl_cert", "must be specified (ssl_cert_key is)".to_owned()),
            _ => (
                "ssl_cert",
                format!(
                    "was specified {} times while ssl_cert_key was specified {} times",
                    ssl_cert.len(),
                    ssl_cert_key.len()
                ),
            ),
        };
        r.fail(name, message);
    }
    let admin_ssl_cert: Vec<PemSource> = r
        .list("admin_ssl_cert")
        .iter()
        .map(|v| PemSource::read(v))
        .collect();
    let admin_ssl_cert_key: Vec<PemSource> = r
        .list("admin_ssl_cert_key")
        .iter()
        .map(|v| PemSource::read(v))
        .collect();
    if admin_ssl_cert.len() != admin_ssl_cert_key.len() {
        r.fail(
            "admin_ssl_cert",
            format!(
                "was specified {} times while admin_ssl_cert_key was specified {} times",
                admin_ssl_cert.len(),
                admin_ssl_cert_key.len()
            ),
        );
    }
    let (trusted_ips, trusted_unix) = r.trusted_ips();
    let (real_ip_header, real_ip_recursive) = r.real_ip();
    let headers = r.headers("headers", &KongHeader::ALL);
    let headers_upstream = r.headers("headers_upstream", &[KongHeader::RequestId]);
    let large_client_header_buffers = r.header_buffers();
    let level = r.text("log_level");
    let log_level = match LogLevel::NAMES.iter().find(|(n, _)| *n == level) {
        Some((_, l)) => *l,
        None => {
            r.fail(
                "log_level",
                format!(
                    "{level:?}: expected one of {}",
                    LogLevel::NAMES.map(|(n, _)| n).join(", ")
                ),
            );
            LogLevel::Notice
        }
    };
    Settings {
        proxy_listen,
        admin_listen,
        status_listen,
        database,
        declarative_config,
        postgres,
        client_ssl,
        client_ssl_cert,
        client_ssl_cert_key,
        ssl_cert,
        ssl_cert_key,
        admin_ssl_cert,
        admin_ssl_cert_key,
        trusted_ips,
        trusted_unix,
        real_ip_header,
        real_ip_recursive,
        headers,
        headers_upstream,
        large_client_header_buffers,
        log_level,
        values,
        warnings,
    }
}

struct Reader<'a> {
    values: &'a BTreeMap<String, Effective>,
    errors: &'a mut Vec<SettingError>,
}

impl Reader<'_> {
    fn origin(&self, name: &str) -> Origin {
        self.values
            .get(name)
            .map_or(Origin::Default, |e| e.origin.clone())
    }

    fn fail(&mut self, name: &str, message: impl Into<String>) {
        let origin = self.origin(name);
        self.errors
            .push(SettingError::new(Some(name), origin, message));
    }

    /// The value, trimmed (empty when unset).
    fn text(&self, name: &str) -> String {
        self.values
            .get(name)
            .map(|e| e.value.trim().to_owned())
            .unwrap_or_default()
    }

    fn optional(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|v| !v.is_empty())
    }

    /// Comma-separated, trimmed, without empty entries (Kong's arrays).
    fn list(&self, name: &str) -> Vec<String> {
        self.text(name)
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// `on` / `off` (and `true` / `false`); unset is off.
    fn boolean(&mut self, name: &str) -> bool {
        match self.text(name).as_str() {
            "on" | "true" => true,
            "off" | "false" | "" => false,
            other => {
                self.fail(name, format!("{other:?}: expected on or off"));
                false
            }
        }
    }

    fn number(&mut self, name: &str, min: u64, max: u64) -> Option<u64> {
        let text = self.text(name);
        match text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ if text.is_empty() => None,
            _ => {
                self.fail(
                    name,
                    format!("{text:?}: expected a number from {min} to {max}"),
                );
                None
            }
        }
    }

    fn listeners(&mut self, name: &str) -> Vec<Listener> {
        match parse_listeners(&self.text(name)) {
            Ok(l) => l,
            Err(message) => {
                self.fail(name, message);
                Vec::new()
            }
        }
    }

    fn trusted_ips(&mut self) -> (TrustedIps, bool) {
        let entries = self.list("trusted_ips");
        let unix = entries.iter().any(|e| e == "unix:");
        let blocks: Vec<&String> = entries.iter().filter(|e| *e != "unix:").collect();
        match TrustedIps::parse(&blocks) {
            Ok(t) => (t, unix),
            Err(_) => {
                let bad = blocks
                    .iter()
                    .find(|b| TrustedIps::parse([b.as_str()]).is_err())
                    .map(|b| b.as_str())
                    .unwrap_or_default()
                    .to_owned();
                self.fail(
                    "trusted_ips",
                    format!(
                        "must be a comma separated list in the form of IPv4 or IPv6 address \
                         or CIDR block or 'unix:', got {bad:?}"
                    ),
                );
                (TrustedIps::new(), unix)
            }
        }
    }

    /// `real_ip_header` / `real_ip_recursive`, or their nginx spellings when those were
    /// set with an equal or higher precedence (Kong's alias: the nginx setting wins).
    fn real_ip(&mut self) -> (String, bool) {
        let pick = |short: &str, long: &str| {
            let (s, l) = (self.origin(short).rank(), self.origin(long).rank());
            if l > 0 && l >= s {
                long.to_owned()
            } else {
                short.to_owned()
            }
        };
        let header = pick("real_ip_header", "nginx_proxy_real_ip_header");
        let recursive = pick("real_ip_recursive", "nginx_proxy_real_ip_recursive");
        let value = self.text(&header);
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            self.fail(&header, format!("{value:?}: expected a header name"));
        }
        (value, self.boolean(&recursive))
    }

    fn headers(&mut self, name: &str, allowed: &[KongHeader]) -> BTreeSet<KongHeader> {
        let tokens = self.list(name);
        let mut out = BTreeSet::new();
        if tokens.first().is_some_and(|t| t == "off") {
            return out;
        }
        for token in tokens {
            let lower = token.to_ascii_lowercase();
            let found: Vec<KongHeader> = match lower.as_str() {
                "off" => Vec::new(),
                "server_tokens" if allowed.len() > 1 => vec![KongHeader::Via, KongHeader::Server],
                "latency_tokens" if allowed.len() > 1 => vec![
                    KongHeader::ProxyLatency,
                    KongHeader::ResponseLatency,
                    KongHeader::AdminLatency,
                    KongHeader::UpstreamLatency,
                ],
                _ => allowed
                    .iter()
                    .copied()
                    .filter(|h| h.name().eq_ignore_ascii_case(&lower))
                    .collect(),
            };
            if found.is_empty() && lower != "off" {
                self.fail(name, format!("invalid entry {token:?}"));
            }
            out.extend(found);
        }
        out
    }

    fn header_buffers(&mut self) -> HeaderBuffers {
        let name = "nginx_proxy_large_client_header_buffers";
        let text = self.text(name);
        let mut words = text.split_whitespace();
        let parsed = match (words.next(), words.next(), words.next()) {
            (Some(n), Some(size), None) => n
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .zip(parse_size(size).filter(|s| *s > 0)),
            _ => None,
        };
        match parsed {
            Some((count, size)) => HeaderBuffers { count, size },
            None => {
                self.fail(
                    name,
                    format!("{text:?}: expected NUMBER SIZE, as nginx reads it (4 8k, 8 16k)"),
                );
                HeaderBuffers {
                    count: 4,
                    size: 8192,
                }
            }
        }
    }
}

/// nginx's sizes: bytes, or with `k` / `m` (either case).
fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 1024),
        b'm' | b'M' => (&text[..text.len() - 1], 1024 * 1024),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_pem_sources() {
        assert_eq!(parse_size("8k"), Some(8192));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("k"), None);
        assert_eq!(parse_size("8g"), None);
        assert_eq!(
            PemSource::read("/etc/kong/client.crt"),
            PemSource::Path("/etc/kong/client.crt".into())
        );
        let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        assert_eq!(PemSource::read(pem), PemSource::Inline(pem.into()));
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pem);
        assert_eq!(PemSource::read(&b64), PemSource::Inline(pem.into()));
    }
}
