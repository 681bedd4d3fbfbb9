//! The typed values of the settings: database, Postgres, certificate sources, Kong's headers,
//! header buffers, log levels.

use std::path::PathBuf;

use base64::Engine;

/// The database setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Database {
    /// `off`: DB-less, from `declarative_config`.
    Off,
    /// `postgres`.
    Postgres,
    /// `sqlite`: this project's addition, a local file.
    Sqlite,
}

impl Database {
    /// Kong's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}

/// The `pg_*` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Postgres {
    /// `pg_host` (default 127.0.0.1).
    pub host: String,
    /// `pg_port` (default 5432).
    pub port: u16,
    /// `pg_user` (default kong).
    pub user: String,
    /// `pg_password` (default none).
    pub password: Option<String>,
    /// `pg_database` (default kong).
    pub database: String,
    /// `pg_ssl` (default off).
    pub ssl: bool,
    /// `pg_ssl_verify` (default off).
    pub ssl_verify: bool,
    /// `pg_timeout` in milliseconds (default 5000).
    pub timeout_ms: u64,
}

/// A certificate or key setting: a file path, or the PEM itself (Kong also takes the PEM,
/// or its base64, in the value).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemSource {
    /// A path to a PEM file (read by the caller).
    Path(PathBuf),
    /// The PEM text.
    Inline(String),
}

impl PemSource {
    pub(crate) fn read(value: &str) -> Self {
        if value.trim_start().starts_with("-----BEGIN") {
            return Self::Inline(value.to_owned());
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim().as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|t| t.trim_start().starts_with("-----BEGIN"));
        match decoded {
            Some(pem) => Self::Inline(pem),
            None => Self::Path(PathBuf::from(value)),
        }
    }
}

/// A header Kong adds (`headers`, `headers_upstream`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum KongHeader {
    /// `Via` (with `server_tokens`).
    Via,
    /// `Server` (with `server_tokens`).
    Server,
    /// `X-Kong-Proxy-Latency` (with `latency_tokens`).
    ProxyLatency,
    /// `X-Kong-Response-Latency` (with `latency_tokens`).
    ResponseLatency,
    /// `X-Kong-Admin-Latency` (with `latency_tokens`).
    AdminLatency,
    /// `X-Kong-Upstream-Latency` (with `latency_tokens`).
    UpstreamLatency,
    /// `X-Kong-Upstream-Status`.
    UpstreamStatus,
    /// `X-Kong-Request-Id`.
    RequestId,
}

impl KongHeader {
    /// The header's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Via => "Via",
            Self::Server => "Server",
            Self::ProxyLatency => "X-Kong-Proxy-Latency",
            Self::ResponseLatency => "X-Kong-Response-Latency",
            Self::AdminLatency => "X-Kong-Admin-Latency",
            Self::UpstreamLatency => "X-Kong-Upstream-Latency",
            Self::UpstreamStatus => "X-Kong-Upstream-Status",
            Self::RequestId => "X-Kong-Request-Id",
        }
    }

    pub(crate) const ALL: [KongHeader; 8] = [
        Self::Via,
        Self::Server,
        Self::ProxyLatency,
        Self::ResponseLatency,
        Self::AdminLatency,
        Self::UpstreamLatency,
        Self::UpstreamStatus,
        Self::RequestId,
    ];
}

/// `nginx_proxy_large_client_header_buffers`: `N SIZE`, the header size limits (a request
/// line or header field longer than SIZE is refused; at most N such buffers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeaderBuffers {
    /// How many large buffers.
    pub count: u32,
    /// Each buffer's size in bytes.
    pub size: u64,
}

/// `log_level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LogLevel {
    /// `debug`.
    Debug,
    /// `info`.
    Info,
    /// `notice` (Kong's default).
    Notice,
    /// `warn`.
    Warn,
    /// `error`.
    Error,
    /// `crit`.
    Crit,
    /// `alert`.
    Alert,
    /// `emerg`.
    Emerg,
}

impl LogLevel {
    pub(crate) const NAMES: [(&'static str, LogLevel); 8] = [
        ("debug", Self::Debug),
        ("info", Self::Info),
        ("notice", Self::Notice),
        ("warn", Self::Warn),
        ("error", Self::Error),
        ("crit", Self::Crit),
        ("alert", Self::Alert),
        ("emerg", Self::Emerg),
    ];

    /// Kong's name.
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, l)| *l == self)
            .map_or("notice", |(n, _)| n)
    }

    /// The nearest `tracing` level filter name (`notice` is `info`; `crit` and above are
    /// `error`).
    pub fn tracing_filter(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info | Self::Notice => "info",
            Self::Warn => "warn",
            Self::Error | Self::Crit | Self::Alert | Self::Emerg => "error",
        }
    }
}
