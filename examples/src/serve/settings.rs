//! A node's settings, as Kong reads them (mtls-kong-conf): Kong's defaults, then kong.conf
//! (`--kong-conf`), then `KONG_*` environment variables, then this command's flags, which
//! win. What the node runs is read from the result, each setting with where it came from
//! (`--print-settings`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mtls_cert::pki_types::{CertificateDer, PrivateKeyDer};
use mtls_kong_conf::{Builder, Database, KongHeader, Origin, PemSource, Settings};
use mtls_server::{Listen, ResponseHeaders};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::sign::CertifiedKey;

use super::Args;

/// What the node runs, read from the settings.
#[derive(Clone)]
pub(crate) struct NodeSettings {
    /// The settings themselves (for `--print-settings`).
    pub(crate) settings: Settings,
    /// `proxy_listen`.
    pub(crate) listen: Vec<Listen>,
    /// `status_listen` (the first address).
    pub(crate) status_listen: Option<SocketAddr>,
    /// Where the configuration comes from: a file (`database = off`) or a database.
    pub(crate) storage: Storage,
    /// `db_update_frequency`: how often a database node reads the change log even without
    /// an announcement.
    pub(crate) db_update_frequency: Duration,
    /// `admin_listen`: the Admin API's listeners (empty: off).
    pub(crate) admin_listen: Vec<Listen>,
    /// `admin_ssl_cert` / `admin_ssl_cert_key` (the first pair), for the ssl entries.
    pub(crate) admin_certificate:
        Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// `trusted_ips`.
    pub(crate) trusted_ips: mtls_header::TrustedIps,
    /// `client_ssl_cert` / `client_ssl_cert_key` when `client_ssl` is on.
    pub(crate) client_certificate:
        Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// `ssl_cert` / `ssl_cert_key` (the first pair).
    pub(crate) server_certificate:
        Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// `nginx_proxy_large_client_header_buffers`: the header section size limit.
    pub(crate) max_header_bytes: usize,
    /// `headers`.
    pub(crate) response_headers: ResponseHeaders,
    /// `log_level`, as a tracing filter.
    pub(crate) log_filter: &'static str,
    /// With PostgreSQL: the local copy of the served configuration (`--snapshot-file`).
    pub(crate) snapshot_file: Option<PathBuf>,
}

/// Where the node's configuration comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Storage {
    /// Kong's DB-less mode: a declarative file or Kubernetes manifests.
    File(PathBuf),
    /// A database URL (`sqlite://PATH`, `postgres://...`) and the statement timeout.
    Database {
        /// The URL (a PostgreSQL password in it is never logged: see [`Storage::display`]).
        url: String,
        /// `pg_timeout`.
        timeout: Duration,
    },
}

impl Storage {
    /// The location, without a password.
    pub(crate) fn display(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Database { url, .. } => redact(url),
        }
    }
}

/// `url` with the password of its user-info (if any) replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// The embedded database used when nothing else is configured.
pub(crate) const DEFAULT_DATABASE: &str = "sqlite://./mtls.db";

/// Reads the settings: defaults < `--kong-conf` < `KONG_*` < flags.
pub(crate) fn read(args: &Args, env: &[(String, String)]) -> Result<NodeSettings, String> {
    let mut builder = Builder::new();
    if let Some(path) = &args.kong_conf {
        builder = builder.kong_conf_file(path).map_err(|e| e.to_string())?;
    }
    let mut builder = builder.env(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(config) = &args.config {
        builder = builder
            .flag(
                "declarative_config",
                config.display().to_string(),
                "--config",
            )
            .flag("database", "off", "--config");
    }
    if let Some(url) = &args.database {
        let database = if url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        };
        builder = builder.flag("database", database, "--database");
    }
    if let Some(admin) = &args.admin_listen {
        builder = builder.flag("admin_listen", admin, "--admin-listen");
    }
    if let (Some(cert), Some(key)) = (&args.admin_tls_cert, &args.admin_tls_key) {
        builder = builder
            .flag(
                "admin_ssl_cert",
                cert.display().to_string(),
                "--admin-tls-cert",
            )
            .flag(
                "admin_ssl_cert_key",
                key.display().to_string(),
                "--admin-tls-key",
            );
    }
    if args.listen.is_some() || args.http_listen.is_some() {
        let tls = args
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8443)));
        let plain = args
            .http_listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000)));
        builder = builder.flag(
            "proxy_listen",
            format!("{plain}, {tls} ssl http2"),
            "--listen/--http-listen",
        );
    }
    if let Some(status) = args.status_listen {
        builder = builder.flag("status_listen", status.to_string(), "--status-listen");
    }
    if !args.trusted_ips.is_empty() {
        builder = builder.flag("trusted_ips", args.trusted_ips.join(","), "--trusted-ips");
    }
    if let (Some(cert), Some(key)) = (&args.client_ssl_cert, &args.client_ssl_cert_key) {
        builder = builder
            .flag("client_ssl", "on", "--client-ssl-cert")
            .flag(
                "client_ssl_cert",
                cert.display().to_string(),
                "--client-ssl-cert",
            )
            .flag(
                "client_ssl_cert_key",
                key.display().to_string(),
                "--client-ssl-cert-key",
            );
    }
    if let (Some(cert), Some(key)) = (&args.ssl_cert, &args.ssl_cert_key) {
        builder = builder
            .flag("ssl_cert", cert.display().to_string(), "--ssl-cert")
            .flag("ssl_cert_key", key.display().to_string(), "--ssl-cert-key");
    }
    let settings = builder.build().map_err(|e| e.to_string())?;
    let mut node = node_settings(settings, args.database.as_deref())?;
    node.snapshot_file = match (&node.storage, args.snapshot_file.as_deref()) {
        (_, Some(p)) if p.as_os_str() == "off" => None,
        (_, Some(p)) => Some(p.to_owned()),
        (Storage::Database { url, .. }, None) if url.starts_with("postgres") => {
            Some(PathBuf::from("mtls-snapshot.json"))
        }
        _ => None,
    };
    Ok(node)
}

/// Where the configuration comes from: `--config` (DB-less), `--database URL`, kong.conf's
/// `database` (`off` with `declarative_config`; `postgres` with the `pg_*` settings;
/// `sqlite`), or, when none of them is set, `declarative_config` if given, else the embedded
/// database at `./mtls.db`.
fn storage(settings: &Settings, url: Option<&str>) -> Result<Storage, String> {
    let timeout = Duration::from_millis(settings.postgres.timeout_ms.max(1));
    if let Some(url) = url {
        return Ok(Storage::Database {
            url: url.to_owned(),
            timeout,
        });
    }
    let chosen = !matches!(settings.origin("database"), Some(Origin::Default) | None);
    match settings.database {
        Database::Off => settings
            .declarative_config
            .clone()
            .map(Storage::File)
            .ok_or_else(|| {
                "database = off needs declarative_config (--config FILE, or \
                 KONG_DECLARATIVE_CONFIG)"
                    .to_owned()
            }),
        Database::Postgres if chosen => Ok(Storage::Database {
            url: postgres_url(&settings.postgres),
            timeout,
        }),
        Database::Sqlite => Ok(Storage::Database {
            url: DEFAULT_DATABASE.to_owned(),
            timeout,
        }),
        _ => Ok(match &settings.declarative_config {
            Some(path) => Storage::File(path.clone()),
            None => Storage::Database {
                url: DEFAULT_DATABASE.to_owned(),
                timeout,
            },
        }),
    }
}

/// A `postgres://` URL from Kong's `pg_*` settings.
fn postgres_url(pg: &mtls_kong_conf::Postgres) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let user = utf8_percent_encode(&pg.user, NON_ALPHANUMERIC);
    let password = pg
        .password
        .as_deref()
        .map(|p| format!(":{}", utf8_percent_encode(p, NON_ALPHANUMERIC)))
        .unwrap_or_default();
    let host = if pg.host.contains(':') {
        format!("[{}]", pg.host)
    } else {
        pg.host.clone()
    };
    let sslmode = match (pg.ssl, pg.ssl_verify) {
        (false, _) => "disable",
        (true, false) => "require",
        (true, true) => "verify-full",
    };
    format!(
        "postgres://{user}{password}@{host}:{}/{}?sslmode={sslmode}",
        pg.port,
        utf8_percent_encode(&pg.database, NON_ALPHANUMERIC)
    )
}

fn node_settings(settings: Settings, database_url: Option<&str>) -> Result<NodeSettings, String> {
    let mut listen = Vec::with_capacity(settings.proxy_listen.len());
    for l in &settings.proxy_listen {
        let addr = l
            .socket_addr()
            .ok_or_else(|| format!("proxy_listen {l}: the address must be an IP address"))?;
        listen.push(Listen {
            addr,
            tls: l.is_tls(),
        });
    }
    let status_listen = match settings.status_listen.first() {
        Some(l) => Some(
            l.socket_addr()
                .ok_or_else(|| format!("status_listen {l}: the address must be an IP address"))?,
        ),
        None => None,
    };
    let storage = storage(&settings, database_url)?;
    let mut admin_listen = Vec::with_capacity(settings.admin_listen.len());
    for l in &settings.admin_listen {
        let addr = l
            .socket_addr()
            .ok_or_else(|| format!("admin_listen {l}: the address must be an IP address"))?;
        admin_listen.push(Listen {
            addr,
            tls: l.is_tls(),
        });
    }
    let admin_certificate = match (
        settings.admin_ssl_cert.first(),
        settings.admin_ssl_cert_key.first(),
    ) {
        (Some(cert), Some(key)) => Some((
            chain(cert, "admin_ssl_cert")?,
            Arc::new(private_key(key, "admin_ssl_cert_key")?),
        )),
        _ => None,
    };
    for listen in &admin_listen {
        let allowed = listen.addr.ip().is_loopback() || (listen.tls && admin_certificate.is_some());
        if !allowed {
            return Err(format!(
                "admin_listen {}: the Admin API listens beyond loopback only over TLS with a \
                 certificate of its own (an `ssl` entry and --admin-tls-cert / --admin-tls-key)",
                listen.addr
            ));
        }
    }
    let client_certificate = if settings.client_ssl {
        match (&settings.client_ssl_cert, &settings.client_ssl_cert_key) {
            (Some(cert), Some(key)) => {
                let chain = chain(cert, "client_ssl_cert")?;
                let key = private_key(key, "client_ssl_cert_key")?;
                Some((chain, Arc::new(key)))
            }
            _ => {
                return Err("client_ssl = on needs client_ssl_cert and client_ssl_cert_key".into());
            }
        }
    } else {
        None
    };
    let server_certificate = match (settings.ssl_cert.first(), settings.ssl_cert_key.first()) {
        (Some(cert), Some(key)) => Some((
            chain(cert, "ssl_cert")?,
            Arc::new(private_key(key, "ssl_cert_key")?),
        )),
        (None, None) => None,
        _ => return Err("ssl_cert and ssl_cert_key go together".into()),
    };
    let buffers = settings.large_client_header_buffers;
    let max_header_bytes = usize::try_from(buffers.size.saturating_mul(u64::from(buffers.count)))
        .unwrap_or(usize::MAX)
        .clamp(8 * 1024, 1024 * 1024);
    let has = |h: KongHeader| settings.headers.contains(&h);
    let response_headers = ResponseHeaders {
        server_tokens: has(KongHeader::Via) || has(KongHeader::Server),
        latency_tokens: has(KongHeader::ProxyLatency) || has(KongHeader::UpstreamLatency),
        request_id: has(KongHeader::RequestId),
    };
    Ok(NodeSettings {
        log_filter: settings.log_level.tracing_filter(),
        listen,
        status_listen,
        storage,
        db_update_frequency: Duration::from_millis(settings.db_update_frequency_ms),
        admin_listen,
        admin_certificate,
        trusted_ips: settings.trusted_ips.clone(),
        client_certificate,
        server_certificate,
        max_header_bytes,
        response_headers,
        settings,
        snapshot_file: None,
    })
}

fn pem_text(source: &PemSource, setting: &str) -> Result<String, String> {
    match source {
        PemSource::Inline(pem) => Ok(pem.clone()),
        PemSource::Path(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("{setting}: cannot read {}: {e}", path.display())),
        _ => Err(format!("{setting}: unsupported value")),
    }
}

fn chain(source: &PemSource, setting: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = pem_text(source, setting)?;
    let chain = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{setting}: {e}"))?;
    if chain.is_empty() {
        return Err(format!("{setting}: no CERTIFICATE block"));
    }
    Ok(chain)
}

fn private_key(source: &PemSource, setting: &str) -> Result<PrivateKeyDer<'static>, String> {
    let text = pem_text(source, setting)?;
    PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| format!("{setting}: {e}"))
}

/// The server certificate: `ssl_cert`, or a generated self-signed one (logged).
pub(crate) fn server_key(
    node: &NodeSettings,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, String> {
    match &node.server_certificate {
        Some((chain, key)) => {
            mtls_gateway::ServerCertificates::load_key(chain.clone(), key.clone_key(), provider)
                .map_err(|e| format!("ssl_cert: {e}"))
        }
        None => mtls_server::tls_files::self_signed_default(provider),
    }
}
