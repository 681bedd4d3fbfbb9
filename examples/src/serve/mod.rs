//! `mtls serve`: the gateway node (mtls-server) from a configuration file (kong.yaml, or
//! Kubernetes manifests), reloaded on SIGHUP and, with `--watch`, when the file changes.
//! Settings come from Kong's defaults, `--kong-conf`, `KONG_*` variables and the flags.
//!
//! - A TLS listener whose `ServerConfig` is chosen per ClientHello: a CertificateRequest only
//!   on the server names whose routes need one, with CA names where `send_ca_dn` asks.
//! - A plain HTTP listener (mtls-auth routes answer 401, header-cert-auth works there).
//! - SIGHUP reloads the configuration file (a broken file is refused and logged, the running
//!   configuration keeps serving); SIGINT / SIGTERM shut down gracefully.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use mtls_gateway::{CompileOptions, Snapshot, SnapshotHandle};
use mtls_kong_config::plugins::SkipList;
use mtls_kong_config::{Config, Loader};
use mtls_server::{AccessLog, Metrics, ServerOptions};

use crate::crl_files;

mod admin;
mod local_snapshot;
mod settings;
mod source;
mod watch;

pub(crate) use admin::open_store;
pub(crate) use settings::{DEFAULT_DATABASE, NodeSettings, Storage, read as read_settings, redact};
use source::Source;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// One line of text per event (no colours unless stderr is a terminal).
    Text,
    /// One JSON object per event.
    Json,
}

/// Arguments of `mtls serve`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Args {
    /// Kong's declarative configuration (kong.yaml, YAML or JSON), or Kubernetes manifests
    /// (a multi-document file, or a directory: a ConfigMap volume). Kong's
    /// `declarative_config` with `database = off`.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// A kong.conf: Kong's settings, overridden by `KONG_*` variables, overridden by flags.
    #[arg(long, value_name = "FILE")]
    pub(crate) kong_conf: Option<PathBuf>,
    /// Print the effective settings and where each came from, and exit.
    #[arg(long)]
    pub(crate) print_settings: bool,
    /// Reload when the configuration changes (on by default for Kubernetes manifests).
    #[arg(long, overrides_with = "no_watch")]
    pub(crate) watch: bool,
    /// Do not watch the configuration.
    #[arg(long, overrides_with = "watch")]
    pub(crate) no_watch: bool,
    /// The TLS listener's address (`127.0.0.1:0` picks a free port; the real address is
    /// printed on stdout). With --http-listen, Kong's `proxy_listen`; without either, Kong's
    /// `proxy_listen` setting (default `0.0.0.0:8000, 0.0.0.0:8443 ssl`).
    #[arg(long)]
    pub(crate) listen: Option<SocketAddr>,
    /// The plain HTTP listener's address.
    #[arg(long)]
    pub(crate) http_listen: Option<SocketAddr>,
    /// Kong's `status_listen`: serves `GET /status` and Prometheus `GET /metrics` (default
    /// off).
    #[arg(long)]
    pub(crate) status_listen: Option<SocketAddr>,
    /// Kong's `trusted_ips` (kong.conf): addresses or CIDR blocks allowed to send certificate
    /// headers to header-cert-auth, and whose X-Forwarded-* headers are kept.
    #[arg(long, value_delimiter = ',')]
    pub(crate) trusted_ips: Vec<String>,
    /// Plugins the configuration may name that this gateway leaves out (comma-separated;
    /// each is logged at start). Any other plugin outside the mutual-TLS family refuses the
    /// configuration, and a name one edit away from one of the family's is never accepted.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub(crate) skip_plugins: Vec<String>,
    /// Kong's `client_ssl_cert`: the PEM chain presented to https upstreams whose service has
    /// no `client_certificate`.
    #[arg(long, requires = "client_ssl_cert_key")]
    pub(crate) client_ssl_cert: Option<PathBuf>,
    /// Kong's `client_ssl_cert_key`: the PEM private key of --client-ssl-cert.
    #[arg(long, requires = "client_ssl_cert")]
    pub(crate) client_ssl_cert_key: Option<PathBuf>,
    /// Kong's `ssl_cert`: the default server certificate (PEM chain) for names no
    /// `certificates` entity covers. Without it a self-signed one is generated.
    #[arg(long, requires = "ssl_cert_key")]
    pub(crate) ssl_cert: Option<PathBuf>,
    /// Kong's `ssl_cert_key`: the PEM private key of --ssl-cert.
    #[arg(long, requires = "ssl_cert")]
    pub(crate) ssl_cert_key: Option<PathBuf>,
    /// A CRL file (DER or PEM) consulted before OCSP and CRL fetching, for offline
    /// deployments (repeatable; re-read on reload).
    #[arg(long = "crl", value_name = "FILE")]
    pub(crate) crls: Vec<PathBuf>,
    /// How log lines (the access log included) are written.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) log_format: LogFormat,
    /// Serve from a database: `sqlite://PATH` (created with its schema on first start) or
    /// `postgres://USER@HOST:PORT/DB`. The default without --config is `sqlite://./mtls.db`
    /// (or kong.conf's `database` with its `pg_*` settings).
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    pub(crate) database: Option<String>,
    /// Kong's `admin_listen`: the Admin API's addresses in Kong's syntax
    /// (`127.0.0.1:8001, 127.0.0.1:8444 ssl`), or `off`. Default as Kong's. A non-loopback
    /// address needs `ssl` and --admin-tls-cert / --admin-tls-key.
    #[arg(long, value_name = "ADDR|off")]
    pub(crate) admin_listen: Option<String>,
    /// Kong's `admin_ssl_cert`: the Admin API's certificate chain (PEM) for its `ssl`
    /// listeners (without it a self-signed one is generated, and only loopback is allowed).
    #[arg(long, requires = "admin_tls_key", value_name = "FILE")]
    pub(crate) admin_tls_cert: Option<PathBuf>,
    /// Kong's `admin_ssl_cert_key`: the private key of --admin-tls-cert.
    #[arg(long, requires = "admin_tls_cert", value_name = "FILE")]
    pub(crate) admin_tls_key: Option<PathBuf>,
    /// Require a client certificate on the Admin API's `ssl` listeners, validated by
    /// mtls-cert against the CA certificates in this PEM file (others get 401).
    #[arg(long, value_name = "FILE")]
    pub(crate) admin_client_ca: Option<PathBuf>,
    /// With PostgreSQL: where the node keeps a copy of the configuration it serves (mode
    /// 0600), served at start when the database cannot be reached (default
    /// `mtls-snapshot.json` in the current directory; `off` for none).
    #[arg(long, value_name = "FILE|off")]
    pub(crate) snapshot_file: Option<PathBuf>,
}

impl Args {
    /// Arguments for a database (`sqlite://PATH`) with the Admin API on an ephemeral
    /// loopback port, and every other default of [`Args::for_config`].
    pub(crate) fn for_database(url: String) -> Self {
        Self {
            config: None,
            database: Some(url),
            admin_listen: Some("127.0.0.1:0".into()),
            ..Self::for_config(PathBuf::new())
        }
    }

    /// Arguments for a configuration file with every default.
    pub(crate) fn for_config(config: PathBuf) -> Self {
        Self {
            config: Some(config),
            kong_conf: None,
            print_settings: false,
            watch: false,
            no_watch: false,
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 8443))),
            http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 8000))),
            status_listen: None,
            trusted_ips: Vec::new(),
            skip_plugins: Vec::new(),
            client_ssl_cert: None,
            client_ssl_cert_key: None,
            ssl_cert: None,
            ssl_cert_key: None,
            crls: Vec::new(),
            log_format: LogFormat::Text,
            database: None,
            admin_listen: Some("off".into()),
            admin_tls_cert: None,
            admin_tls_key: None,
            admin_client_ca: None,
            snapshot_file: None,
        }
    }
}

/// The node's configuration source and compile settings: what a reload repeats.
pub(crate) struct Gateway {
    /// The configuration file (DB-less mode); `None` with a database.
    source: Option<Source>,
    /// `--crl` files, re-read on reload.
    crl_paths: Vec<PathBuf>,
    loader: Loader,
    options: CompileOptions,
    /// A digest of the source as last loaded (a watched change that changes nothing does
    /// not reload).
    loaded: std::sync::Mutex<Option<[u8; 32]>>,
    pub(crate) handle: Arc<SnapshotHandle>,
    pub(crate) metrics: Arc<Metrics>,
    /// The Admin API, when it runs: file reloads go through it.
    pub(crate) admin: std::sync::OnceLock<mtls_admin::Admin>,
}

/// Logs every line of a multi-line error.
fn log_error_lines(context: &str, error: &dyn std::fmt::Display) {
    for line in error.to_string().lines().filter(|l| !l.trim().is_empty()) {
        tracing::error!(target: "mtls::serve", "{context}: {line}");
    }
}

fn load(loader: &Loader, source: &Source) -> Result<Config, ()> {
    let context = source.path().display().to_string();
    match source.load(loader) {
        Ok((config, warnings)) => {
            for warning in warnings {
                tracing::warn!(target: "mtls::serve", "{context}: {warning}");
            }
            Ok(config)
        }
        Err(lines) => {
            for line in lines {
                tracing::error!(target: "mtls::serve", "{context}: {line}");
            }
            Err(())
        }
    }
}

/// A digest of what `source` holds now (its file, or every file of its directory).
fn digest(source: &Source) -> Option<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    match source {
        Source::File(path) => hash.update(std::fs::read(path).ok()?),
        Source::Directory(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for file in files {
                hash.update(file.as_os_str().as_encoded_bytes());
                hash.update(std::fs::read(&file).ok()?);
            }
        }
    }
    Some(hash.finalize().into())
}

impl Gateway {
    /// The node's loader and compile settings, serving nothing yet (an empty configuration
    /// as version 0, never served: the listeners start after the first load).
    fn new(args: &Args, node: &NodeSettings) -> Result<Self, ()> {
        let fail = |e: &dyn std::fmt::Display| tracing::error!(target: "mtls::serve", "{e}");
        let skip = SkipList::new(&args.skip_plugins).map_err(|e| fail(&e))?;
        for name in skip.names() {
            tracing::warn!(target: "mtls::serve", plugin = name, "plugin skipped as asked (--skip-plugins): routes configured with it run without it");
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut options = CompileOptions::new(Arc::clone(&provider));
        options.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        options.default_server_certificate =
            Some(settings::server_key(node, &provider).map_err(|e| fail(&e))?);
        options.default_client_certificate = node.client_certificate.clone();
        let loader = Loader::new()
            .trusted_ips(node.trusted_ips.clone())
            .skip_plugins(skip)
            .provider(provider);
        let source = match &node.storage {
            Storage::File(path) => Some(Source::at(path)),
            Storage::Database { .. } => None,
        };
        let empty = loader
            .load_str("_format_version: \"3.0\"\n")
            .map_err(|e| fail(&e))?
            .0;
        let seed = Snapshot::compile(&empty, 0, &options)
            .map_err(|e| log_error_lines("the empty configuration", &e))?;
        Ok(Self {
            source,
            crl_paths: args.crls.clone(),
            loader,
            options,
            loaded: std::sync::Mutex::new(None),
            handle: Arc::new(SnapshotHandle::new(seed)),
            metrics: Arc::new(Metrics::new()),
            admin: std::sync::OnceLock::new(),
        })
    }

    /// Whether the source is Kubernetes manifests.
    fn is_manifests(&self) -> bool {
        self.source.as_ref().is_some_and(Source::is_manifests)
    }

    /// The compile settings for `config` (its `--crl` files read again).
    fn options_for(&self, config: &Config) -> Result<CompileOptions, String> {
        let mut options = self.options.clone();
        options.crls =
            crl_files::load(&self.crl_paths, config).map_err(|e| format!("--crl: {e}"))?;
        Ok(options)
    }

    /// Reads the configuration file (DB-less mode), logging every problem.
    fn read_source(&self) -> Result<Config, ()> {
        let Some(source) = &self.source else {
            return Err(());
        };
        let before = digest(source);
        let loaded = load(&self.loader, source);
        *self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = before;
        loaded
    }

    /// Loads the configuration file for the first time (DB-less mode without the Admin API).
    fn load_first(&self) -> Result<(), ()> {
        let config = self.read_source()?;
        let options = self
            .options_for(&config)
            .map_err(|e| tracing::error!(target: "mtls::serve", "{e}"))?;
        let path = self.source_display();
        let version = self
            .handle
            .reload(|v| Snapshot::compile(&config, v, &options))
            .map_err(|e| log_error_lines(&path, &e))?;
        self.metrics.reloaded(Ok(version));
        log_loaded(&path, &config, version);
        Ok(())
    }

    /// Serves the local snapshot at `path` (the database is down at start).
    fn serve_local_snapshot(&self, path: &std::path::Path) -> Result<(), ()> {
        let config = local_snapshot::read(path, &self.loader)
            .map_err(|e| tracing::error!(target: "mtls::serve", "local snapshot: {e}"))?;
        let options = self
            .options_for(&config)
            .map_err(|e| tracing::error!(target: "mtls::serve", "{e}"))?;
        let origin = path.display().to_string();
        let version = self
            .handle
            .reload(|v| Snapshot::compile(&config, v, &options))
            .map_err(|e| log_error_lines(&origin, &e))?;
        self.metrics.reloaded(Ok(version));
        self.metrics.database_reachable(false);
        tracing::warn!(target: "mtls::serve", path = %origin, "the database cannot be reached: serving the local snapshot; the Admin API starts when the database answers");
        log_loaded(&origin, &config, version);
        Ok(())
    }

    /// The configuration file's path, for log lines.
    fn source_display(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(String::new, |s| s.path().display().to_string())
    }

    /// Reloads when the source changed since it was last loaded (a watched change).
    pub(crate) fn reload_if_changed(&self) -> bool {
        let Some(source) = &self.source else {
            return false;
        };
        let now = digest(source);
        let last = *self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now.is_some() && now == last {
            return false;
        }
        tracing::info!(target: "mtls::serve", path = %source.path().display(), "the configuration changed: reloading");
        self.reload()
    }

    /// Reloads the configuration file (on a blocking thread of the runtime): on any error
    /// every problem is logged and nothing changes. With the Admin API, the reload goes
    /// through it, so that it shows what is served.
    pub(crate) fn reload(&self) -> bool {
        let refused = || {
            tracing::error!(target: "mtls::serve", "reload refused: the running configuration keeps serving");
            self.metrics.reloaded(Err(()));
            false
        };
        let Ok(config) = self.read_source() else {
            return refused();
        };
        if let Some(admin) = self.admin.get() {
            let replaced = tokio::runtime::Handle::try_current()
                .map_err(|e| e.to_string())
                .and_then(|rt| {
                    rt.block_on(admin.replace_declarative(config))
                        .map_err(|e| e.to_string())
                });
            return match replaced {
                Ok(true) => true,
                Ok(false) => {
                    tracing::info!(target: "mtls::serve", "the configuration is unchanged");
                    false
                }
                Err(e) => {
                    log_error_lines(&self.source_display(), &e);
                    refused()
                }
            };
        }
        let options = match self.options_for(&config) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(target: "mtls::serve", "{e}");
                return refused();
            }
        };
        match self
            .handle
            .reload(|v| Snapshot::compile(&config, v, &options))
        {
            Ok(version) => {
                self.metrics.reloaded(Ok(version));
                tracing::info!(target: "mtls::serve", version, "configuration reloaded");
                true
            }
            Err(e) => {
                log_error_lines(&self.source_display(), &e);
                refused()
            }
        }
    }
}

/// Logs a loaded configuration's size.
fn log_loaded(origin: &str, config: &Config, version: u64) {
    tracing::info!(
        target: "mtls::serve",
        origin,
        routes = config.routes().len(),
        services = config.services().len(),
        consumers = config.consumers().len(),
        "configuration loaded (version {version})"
    );
}

/// A started node: the gateway (for reloads) and the running listeners.
pub(crate) struct Node {
    pub(crate) gateway: Arc<Gateway>,
    pub(crate) server: mtls_server::Running,
    /// Stops the status and Admin API listeners.
    stop: tokio::sync::watch::Sender<bool>,
    /// The Admin API's addresses.
    pub(crate) admin_addrs: Vec<SocketAddr>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Node {
    /// The TLS listener's address.
    pub(crate) fn tls_addr(&self) -> SocketAddr {
        self.server
            .addr(true)
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The plain listener's address.
    pub(crate) fn http_addr(&self) -> SocketAddr {
        self.server
            .addr(false)
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Stops the listeners, letting open requests finish.
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.server.shutdown().await;
    }
}

/// Loads the configuration (through the Admin API when it runs, or with a database),
/// binds the listeners and starts serving (within a tokio runtime).
pub(crate) async fn start(args: &Args, node: &NodeSettings) -> Result<Node, ()> {
    let gateway = Arc::new(Gateway::new(args, node)?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let with_admin = !node.admin_listen.is_empty() || gateway.source.is_none();
    let mut admin_addrs = Vec::new();
    if with_admin {
        match admin::open(node, &gateway).await {
            Ok(admin) => {
                admin_addrs = admin::listen(args, node, &admin, &stopped).await?;
                admin::follow(&admin, node, &stopped);
                if let Some(path) = &node.snapshot_file {
                    local_snapshot::keep_written(
                        Arc::clone(&gateway),
                        admin.clone(),
                        path.clone(),
                        stopped.clone(),
                    );
                }
                let _ = gateway.admin.set(admin);
            }
            Err(admin::OpenError::Unavailable) => {
                let Some(path) = node.snapshot_file.as_ref().filter(|p| p.is_file()) else {
                    tracing::error!(target: "mtls::serve", "the database cannot be reached and there is no local snapshot to serve ({}): not started", node.snapshot_file.as_ref().map_or_else(|| "--snapshot-file off".to_owned(), |p| format!("none at {}", p.display())));
                    return Err(());
                };
                gateway.serve_local_snapshot(path)?;
                admin::open_later(
                    args.clone(),
                    node.clone(),
                    Arc::clone(&gateway),
                    stopped.clone(),
                );
            }
            Err(admin::OpenError::Failed) => return Err(()),
        }
    } else {
        gateway.load_first()?;
    }
    let mut options = ServerOptions::new(node.listen.clone());
    options.max_header_bytes = node.max_header_bytes;
    options.response_headers = node.response_headers;
    let server = mtls_server::start(
        options,
        Arc::clone(&gateway.handle),
        Arc::clone(&gateway.metrics),
        AccessLog::default(),
    )
    .await
    .map_err(|e| tracing::error!(target: "mtls::serve", "{e}"))?;
    if let Some(addr) = node.status_listen {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            tracing::error!(target: "mtls::serve", "cannot listen on {addr} (status_listen): {e}");
        })?;
        let local = listener.local_addr().map_err(|e| {
            tracing::error!(target: "mtls::serve", "status listener: {e}");
        })?;
        println!("status: http://{local}");
        tokio::spawn(mtls_server::serve_status(
            listener,
            Arc::clone(&gateway.handle),
            Arc::clone(&gateway.metrics),
            stopped.clone(),
        ));
    }
    let watch = (args.watch || gateway.is_manifests()) && !args.no_watch;
    let watcher = match (&gateway.source, watch) {
        (Some(source), true) => Some(
            watch::start(source.path(), Arc::clone(&gateway))
                .map_err(|e| tracing::error!(target: "mtls::serve", "{e}"))?,
        ),
        _ => None,
    };
    let node = Node {
        gateway,
        server,
        stop,
        admin_addrs,
        _watcher: watcher,
    };
    tracing::info!(target: "mtls::serve", "listening on {}", node.server.addrs().iter().map(|(l, a)| format!("{}://{a}", if l.tls { "https" } else { "http" })).collect::<Vec<_>>().join(", "));
    Ok(node)
}

/// Sets up logging to stderr: `RUST_LOG`-style filter, `info` by default; text (colours only
/// on a terminal) or JSON.
pub(crate) fn init_tracing(format: LogFormat, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// A multi-threaded tokio runtime, or the reason there is none.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))
}

/// What ended [`wait_for_signals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// SIGINT or SIGTERM.
    Signal,
    /// The signal handlers could not be installed.
    Error,
}

/// Serves signals until SIGINT or SIGTERM: SIGHUP reloads the configuration.
pub(crate) async fn wait_for_signals(gateway: &Arc<Gateway>) -> Stop {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::error!(target: "mtls::serve", "cannot install signal handlers");
        return Stop::Error;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => match (&gateway.source, gateway.admin.get()) {
                (None, Some(admin)) => {
                    tracing::info!(target: "mtls::serve", "SIGHUP: applying the database's changes");
                    match admin.refresh().await {
                        Ok(true) => {}
                        Ok(false) => tracing::info!(target: "mtls::serve", "no change in the database"),
                        Err(e) => tracing::error!(target: "mtls::serve", "the database's changes were not applied: {e}"),
                    }
                }
                _ => {
                    tracing::info!(target: "mtls::serve", "SIGHUP: reloading the configuration");
                    let gateway = Arc::clone(gateway);
                    let _ = tokio::task::spawn_blocking(move || gateway.reload()).await;
                }
            },
            _ = int.recv() => break,
            _ = term.recv() => break,
        }
    }
    tracing::info!(target: "mtls::serve", "shutting down");
    Stop::Signal
}

/// `mtls serve`.
pub(crate) fn run(args: &Args) -> ExitCode {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let node_settings = match settings::read(args, &env) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("mtls serve: {e}");
            return ExitCode::from(2);
        }
    };
    if args.print_settings {
        print!("{}", node_settings.settings.render());
        return ExitCode::SUCCESS;
    }
    init_tracing(args.log_format, node_settings.log_filter);
    for warning in node_settings.settings.warnings() {
        tracing::warn!(target: "mtls::serve", "{warning}");
    }
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mtls serve: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let Ok(node) = start(args, &node_settings).await else {
            eprintln!("mtls serve: not started (see the errors above)");
            return ExitCode::from(2);
        };
        for (listen, addr) in node.server.addrs() {
            println!(
                "listening: {}://{addr}",
                if listen.tls { "https" } else { "http" }
            );
        }
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let stop = wait_for_signals(&node.gateway).await;
        node.shutdown().await;
        match stop {
            Stop::Signal => ExitCode::SUCCESS,
            Stop::Error => ExitCode::FAILURE,
        }
    })
}
