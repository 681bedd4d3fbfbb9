//! `mtls serve`: a reverse proxy on tokio, hyper 1 and tokio-rustls, built on mtls-gateway.
//!
//! - A TLS listener whose `ServerConfig` is chosen per ClientHello (`LazyConfigAcceptor` and
//!   [`mtls_gateway::HandshakeConfigs::select`]): a CertificateRequest only on the server names
//!   whose routes need one, with CA names where `send_ca_dn` asks for them.
//! - A plain HTTP listener (mtls-auth routes answer 401, header-cert-auth works there).
//! - Per request: Kong's route precedence, the route's plugin decision, then the service URL
//!   (http, or https with the service's upstream mTLS), bodies streamed both ways.
//! - SIGHUP reloads the configuration file (a broken file is refused and logged, the running
//!   configuration keeps serving); SIGINT / SIGTERM shut down gracefully.

mod listener;
mod proxy;
mod tls;

mod pool;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::crl_files;
use mtls_gateway::config::{Config, Loader};
use mtls_gateway::{CompileOptions, Snapshot, SnapshotHandle};
use mtls_header::TrustedIps;
use tokio::sync::{mpsc, watch};

pub(crate) use proxy::Target;

/// How long a client has for its ClientHello and the whole TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a request's header section.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest header section read from a client (hyper answers 431 beyond it).
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most header fields in one request.
const MAX_HEADERS: usize = 100;
/// How long open connections get to finish on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Arguments of `mtls serve`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Args {
    /// Kong's declarative configuration (kong.yaml, YAML or JSON).
    #[arg(long)]
    pub(crate) config: PathBuf,
    /// The TLS listener's address (`127.0.0.1:0` picks a free port; the real address is
    /// printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub(crate) listen: SocketAddr,
    /// The plain HTTP listener's address.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub(crate) http_listen: SocketAddr,
    /// Kong's `trusted_ips` (kong.conf): addresses or CIDR blocks allowed to send certificate
    /// headers to header-cert-auth, and whose X-Forwarded-* headers are kept.
    #[arg(long, value_delimiter = ',')]
    pub(crate) trusted_ips: Vec<String>,
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
}

impl Args {
    /// Arguments for a configuration file with every default.
    pub(crate) fn for_config(config: PathBuf) -> Self {
        Self {
            config,
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            http_listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            trusted_ips: Vec::new(),
            client_ssl_cert: None,
            client_ssl_cert_key: None,
            ssl_cert: None,
            ssl_cert_key: None,
            crls: Vec::new(),
        }
    }
}

/// One loaded configuration: the compiled snapshot and where each route proxies to. Swapped
/// whole, so a request never mixes two configurations.
pub(crate) struct Generation {
    pub(crate) snapshot: Arc<Snapshot>,
    /// Route id to the service it proxies to (routes without a usable service are absent).
    pub(crate) targets: HashMap<String, Target>,
}

/// The running gateway's state, shared by every connection.
pub(crate) struct Gateway {
    path: PathBuf,
    /// `--crl` files, re-read on reload.
    crl_paths: Vec<PathBuf>,
    loader: Loader,
    options: CompileOptions,
    handle: SnapshotHandle,
    current: RwLock<Arc<Generation>>,
    trusted_ips: TrustedIps,
    /// Idle keep-alive connections to upstreams.
    upstream_pool: Arc<pool::Pool>,
}

/// Logs every line of a multi-line error.
fn log_error_lines(context: &str, error: &dyn std::fmt::Display) {
    for line in error.to_string().lines().filter(|l| !l.trim().is_empty()) {
        tracing::error!(target: "mtls::serve", "{context}: {line}");
    }
}

fn load(loader: &Loader, path: &Path) -> Result<Config, ()> {
    match loader.load_file(path) {
        Ok((config, warnings)) => {
            for warning in warnings {
                tracing::warn!(target: "mtls::serve", "{}: {warning}", path.display());
            }
            Ok(config)
        }
        Err(e) => {
            log_error_lines(&path.display().to_string(), &e);
            Err(())
        }
    }
}

impl Gateway {
    /// Loads and compiles the configuration file for the first time.
    fn new(args: &Args) -> Result<Self, ()> {
        let trusted_ips = TrustedIps::parse(&args.trusted_ips).map_err(|e| {
            tracing::error!(target: "mtls::serve", "--trusted-ips: {e}");
        })?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut options = CompileOptions::new(Arc::clone(&provider));
        options.default_server_certificate = Some(
            match (&args.ssl_cert, &args.ssl_cert_key) {
                (Some(cert), Some(key)) => tls::load_certified_key(cert, key, &provider),
                _ => tls::self_signed_default(&provider),
            }
            .map_err(|e| tracing::error!(target: "mtls::serve", "{e}"))?,
        );
        if let (Some(cert), Some(key)) = (&args.client_ssl_cert, &args.client_ssl_cert_key) {
            let chain =
                tls::load_chain(cert).map_err(|e| tracing::error!(target: "mtls::serve", "{e}"))?;
            let key =
                tls::load_key(key).map_err(|e| tracing::error!(target: "mtls::serve", "{e}"))?;
            options.default_client_certificate = Some((chain, Arc::new(key)));
        }
        let loader = Loader::new().trusted_ips(trusted_ips.clone());
        let config = load(&loader, &args.config)?;
        options.crls = crl_files::load(&args.crls, &config)
            .map_err(|e| tracing::error!(target: "mtls::serve", "--crl: {e}"))?;
        let handle = SnapshotHandle::try_new(|v| Snapshot::compile(&config, v, &options))
            .map_err(|e| log_error_lines(&args.config.display().to_string(), &e))?;
        let generation = Generation {
            snapshot: handle.load(),
            targets: proxy::targets(&config),
        };
        tracing::info!(
            target: "mtls::serve",
            file = %args.config.display(),
            routes = config.routes().len(),
            services = config.services().len(),
            consumers = config.consumers().len(),
            "configuration loaded (version 1)"
        );
        Ok(Self {
            path: args.config.clone(),
            crl_paths: args.crls.clone(),
            loader,
            options,
            handle,
            current: RwLock::new(Arc::new(generation)),
            trusted_ips,
            upstream_pool: Arc::default(),
        })
    }

    /// The current configuration; hold it for a whole request.
    pub(crate) fn current(&self) -> Arc<Generation> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Idle keep-alive connections to upstreams.
    pub(crate) fn upstream_pool(&self) -> &Arc<pool::Pool> {
        &self.upstream_pool
    }

    /// The gateway-wide trusted addresses.
    pub(crate) fn trusted_ips(&self) -> &TrustedIps {
        &self.trusted_ips
    }

    /// Reloads the file: on any error every problem is logged and nothing changes.
    pub(crate) fn reload(&self) -> bool {
        let Ok(config) = load(&self.loader, &self.path) else {
            tracing::error!(target: "mtls::serve", "reload refused: the running configuration keeps serving");
            return false;
        };
        let mut options = self.options.clone();
        options.crls = match crl_files::load(&self.crl_paths, &config) {
            Ok(crls) => crls,
            Err(e) => {
                tracing::error!(target: "mtls::serve", "--crl: {e}");
                tracing::error!(target: "mtls::serve", "reload refused: the running configuration keeps serving");
                return false;
            }
        };
        match self
            .handle
            .reload(|v| Snapshot::compile(&config, v, &options))
        {
            Ok(version) => {
                let generation = Arc::new(Generation {
                    snapshot: self.handle.load(),
                    targets: proxy::targets(&config),
                });
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = generation;
                tracing::info!(target: "mtls::serve", version, "configuration reloaded");
                true
            }
            Err(e) => {
                log_error_lines(&self.path.display().to_string(), &e);
                tracing::error!(target: "mtls::serve", "reload refused: the running configuration keeps serving");
                false
            }
        }
    }
}

/// A started gateway: its listeners' real addresses and the means to stop it.
pub(crate) struct Server {
    /// The shared state (for reloads).
    pub(crate) gateway: Arc<Gateway>,
    /// The TLS listener's address.
    pub(crate) tls_addr: SocketAddr,
    /// The plain HTTP listener's address.
    pub(crate) http_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    /// Every connection task and accept loop holds a clone; all dropped means all done.
    tracker: mpsc::Sender<()>,
    done: mpsc::Receiver<()>,
}

impl Server {
    /// Stops accepting, lets open connections finish their requests (up to a grace period).
    pub(crate) async fn shutdown(self) {
        let Self {
            shutdown,
            tracker,
            mut done,
            ..
        } = self;
        let _ = shutdown.send(true);
        drop(tracker);
        if tokio::time::timeout(SHUTDOWN_GRACE, done.recv())
            .await
            .is_err()
        {
            tracing::warn!(target: "mtls::serve", "connections still open after the grace period; closing them");
        }
    }
}

/// Loads the configuration, binds both listeners and starts serving (within a tokio runtime).
pub(crate) async fn start(args: &Args) -> Result<Server, ()> {
    let gateway = Arc::new(Gateway::new(args)?);
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            tracing::error!(target: "mtls::serve", "cannot listen on {addr}: {e}");
        })
    };
    let tls_listener = bind(args.listen).await?;
    let http_listener = bind(args.http_listen).await?;
    let local = |l: &tokio::net::TcpListener| {
        l.local_addr()
            .map_err(|e| tracing::error!(target: "mtls::serve", "local address: {e}"))
    };
    let tls_addr = local(&tls_listener)?;
    let http_addr = local(&http_listener)?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (tracker, done) = mpsc::channel::<()>(1);
    tokio::spawn(listener::accept_loop(
        tls_listener,
        true,
        Arc::clone(&gateway),
        shutdown_rx.clone(),
        tracker.clone(),
    ));
    tokio::spawn(listener::accept_loop(
        http_listener,
        false,
        Arc::clone(&gateway),
        shutdown_rx,
        tracker.clone(),
    ));
    tracing::info!(target: "mtls::serve", "listening on https://{tls_addr} and http://{http_addr}");
    Ok(Server {
        gateway,
        tls_addr,
        http_addr,
        shutdown,
        tracker,
        done,
    })
}

/// Sets up logging to stderr: `RUST_LOG`-style filter, `info` by default.
pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
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
            _ = hup.recv() => {
                tracing::info!(target: "mtls::serve", "SIGHUP: reloading the configuration");
                let gateway = Arc::clone(gateway);
                let _ = tokio::task::spawn_blocking(move || gateway.reload()).await;
            }
            _ = int.recv() => break,
            _ = term.recv() => break,
        }
    }
    tracing::info!(target: "mtls::serve", "shutting down");
    Stop::Signal
}

/// `mtls serve`.
pub(crate) fn run(args: &Args) -> ExitCode {
    init_tracing();
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mtls serve: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let Ok(server) = start(args).await else {
            eprintln!("mtls serve: not started (see the errors above)");
            return ExitCode::from(2);
        };
        println!("listening: https://{}", server.tls_addr);
        println!("listening: http://{}", server.http_addr);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let stop = wait_for_signals(&server.gateway).await;
        server.shutdown().await;
        match stop {
            Stop::Signal => ExitCode::SUCCESS,
            Stop::Error => ExitCode::FAILURE,
        }
    })
}
