//! The Admin API in `mtls serve`: the gateway as the [`mtls_admin::Node`] that compiles and
//! swaps configurations, the database it serves from (or the declarative file, DB-less), and
//! the `admin_listen` listeners (plain on loopback, or TLS with an optional client CA).

use std::net::SocketAddr;
use std::sync::Arc;

use mtls_admin::{Admin, AdminSettings, AdminTls, NodeStatus, Prepared};
use mtls_gateway::Snapshot;
use mtls_kong_config::Config;
use mtls_store::Store;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};

use super::settings::{NodeSettings, Storage};
use super::{Args, Gateway, log_error_lines, log_loaded};

/// The gateway as the Admin API's node: `prepare` compiles a snapshot with the next version
/// (on a blocking thread), `swap` installs it.
pub(crate) struct GatewayNode(pub(crate) Arc<Gateway>);

impl mtls_admin::Node for GatewayNode {
    fn prepare(&self, config: &Config) -> Result<Prepared, String> {
        let gateway = &self.0;
        let options = gateway.options_for(config)?;
        let snapshot = gateway
            .handle
            .build_next(|v| Snapshot::compile(config, v, &options))
            .map_err(|e| {
                e.to_string()
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        Ok(Prepared::new(snapshot))
    }

    fn swap(&self, prepared: Prepared) -> u64 {
        let gateway = &self.0;
        match prepared.downcast::<Snapshot>() {
            Ok(snapshot) => {
                let version = gateway.handle.install(snapshot);
                gateway.metrics.reloaded(Ok(version));
                version
            }
            Err(_) => gateway.handle.version(),
        }
    }

    fn status(&self) -> NodeStatus {
        NodeStatus::new(self.0.handle.version(), self.0.metrics.failed_reloads())
    }

    fn database_reachable(&self, reachable: bool) {
        self.0.metrics.database_reachable(reachable);
    }

    fn reload_refused(&self, _reason: &str) {
        self.0.metrics.reloaded(Err(()));
    }
}

/// Follows the database (other nodes' writes, outages) until `stop` says so.
pub(crate) fn follow(
    admin: &Admin,
    node: &NodeSettings,
    stop: &tokio::sync::watch::Receiver<bool>,
) {
    if !matches!(node.storage, Storage::Database { .. }) {
        return;
    }
    let mut settings = mtls_admin::FollowSettings::default();
    settings.poll = node.db_update_frequency;
    let mut stop = stop.clone();
    let admin = admin.clone();
    tokio::spawn(async move {
        admin
            .follow(settings, async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
}

/// Why the Admin API could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// The database cannot be reached now (it may come back).
    Unavailable,
    /// Anything else (logged).
    Failed,
}

/// Opens the database at `url`: SQLite (created and migrated on first use) or PostgreSQL
/// (with `timeout` as its statement timeout).
pub(crate) async fn open_store(url: &str, timeout: std::time::Duration) -> Result<Store, String> {
    open_store_error(url, timeout)
        .await
        .map_err(|e| format!("database {}: {e}", super::settings::redact(url)))
}

async fn open_store_error(
    url: &str,
    timeout: std::time::Duration,
) -> Result<Store, mtls_store::StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut options = mtls_store::PostgresOptions::default();
        options.statement_timeout = timeout;
        mtls_store::PostgresDatabase::connect(url, &options)
            .await
            .map(|db| Store::new(Arc::new(db)))
    } else {
        Store::open(url).await
    }
}

/// The Admin API over the node's configuration source: the database (its entities compiled
/// and served), or the declarative file (DB-less: served read-only, `POST /config`).
pub(crate) async fn open(node: &NodeSettings, gateway: &Arc<Gateway>) -> Result<Admin, OpenError> {
    let failed = |()| OpenError::Failed;
    let settings = {
        let mut s = AdminSettings::default();
        s.admin_listen = node
            .admin_listen
            .iter()
            .map(|l| format!("{}{}", l.addr, if l.tls { " ssl" } else { "" }))
            .collect();
        s
    };
    let as_node: Arc<dyn mtls_admin::Node> = Arc::new(GatewayNode(Arc::clone(gateway)));
    let admin = match &node.storage {
        Storage::Database { url, timeout } => {
            let location = node.storage.display();
            let store = open_store_error(url, *timeout).await.map_err(|e| {
                tracing::error!(target: "mtls::serve", "database {location}: {e}");
                if e.is_unavailable() {
                    OpenError::Unavailable
                } else {
                    OpenError::Failed
                }
            })?;
            let admin = Admin::with_database(store, gateway.loader.clone(), as_node, settings)
                .await
                .map_err(|e| {
                    log_error_lines(&location, &e);
                    match e {
                        mtls_admin::StartError::Store(s) if s.is_unavailable() => {
                            OpenError::Unavailable
                        }
                        _ => OpenError::Failed,
                    }
                })?;
            gateway.metrics.database_reachable(true);
            log_loaded(&location, &admin.config(), gateway.handle.version());
            admin
        }
        Storage::File(_) => {
            let config = gateway.read_source().map_err(failed)?;
            let loader = gateway.loader.clone();
            let origin = gateway.source_display();
            let admin = tokio::task::spawn_blocking(move || {
                Admin::db_less(config, loader, as_node, settings)
            })
            .await
            .map_err(|e| {
                tracing::error!(target: "mtls::serve", "the load task failed: {e}");
                OpenError::Failed
            })?
            .map_err(|e| {
                log_error_lines(&origin, &e);
                OpenError::Failed
            })?;
            log_loaded(&origin, &admin.config(), gateway.handle.version());
            admin
        }
    };
    Ok(admin)
}

/// The Admin API's TLS settings for its `ssl` listeners: `admin_ssl_cert` (or a generated
/// self-signed certificate, which only loopback listeners may use: settings check that) and,
/// with `--admin-client-ca`, a required client certificate.
fn tls(args: &Args, node: &NodeSettings) -> Result<AdminTls, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = match &node.admin_certificate {
        Some((chain, key)) => {
            mtls_gateway::ServerCertificates::load_key(chain.clone(), key.clone_key(), &provider)
                .map_err(|e| format!("admin_ssl_cert: {e}"))?
        }
        None => {
            tracing::info!(target: "mtls::serve", "no admin_ssl_cert: the Admin API's ssl listeners use a generated self-signed certificate");
            mtls_server::tls_files::self_signed_default(&provider)?
        }
    };
    let resolver = Arc::new(mtls_gateway::ServerCertificates::with_default(key));
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("admin TLS: {e}"))?;
    let mut config = match &args.admin_client_ca {
        None => builder.with_no_client_auth(),
        Some(_) => builder.with_client_cert_verifier(Arc::new(
            mtls_admin::tls::RequestClientCertificate::new(Arc::clone(&provider)),
        )),
    }
    .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    let Some(path) = &args.admin_client_ca else {
        return Ok(AdminTls::new(config));
    };
    let pem = std::fs::read(path)
        .map_err(|e| format!("--admin-client-ca: cannot read {}: {e}", path.display()))?;
    let mut cas = Vec::new();
    for (i, der) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let der = der.map_err(|e| format!("--admin-client-ca {}: {e}", path.display()))?;
        let ca = mtls_cert::CaCertificate::new(uuid::Uuid::new_v4(), der.as_ref(), UnixTime::now())
            .map_err(|e| format!("--admin-client-ca {} certificate {i}: {e}", path.display()))?;
        cas.push(ca);
    }
    if cas.is_empty() {
        return Err(format!(
            "--admin-client-ca {}: no CERTIFICATE block",
            path.display()
        ));
    }
    let cas = mtls_cert::CaSet::new(cas).map_err(|e| format!("--admin-client-ca: {e}"))?;
    Ok(AdminTls::with_client_cas(config, cas))
}

/// Binds the `admin_listen` listeners and serves `admin` on them until `stop` says so.
/// Prints `admin: http://ADDR` / `admin: https://ADDR` for each.
pub(crate) async fn listen(
    args: &Args,
    node: &NodeSettings,
    admin: &Admin,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<Vec<SocketAddr>, ()> {
    let fail = |e: &dyn std::fmt::Display| tracing::error!(target: "mtls::serve", "{e}");
    if args.admin_client_ca.is_some() && !node.admin_listen.iter().any(|l| l.tls) {
        fail(
            &"--admin-client-ca needs an `ssl` admin_listen entry (client certificates are asked for over TLS)",
        );
        return Err(());
    }
    let tls = if node.admin_listen.iter().any(|l| l.tls) {
        Some(tls(args, node).map_err(|e| fail(&e))?)
    } else {
        None
    };
    let mut addrs = Vec::new();
    for listen in &node.admin_listen {
        let listener = tokio::net::TcpListener::bind(listen.addr)
            .await
            .map_err(|e| {
                fail(&format_args!(
                    "cannot listen on {} (admin_listen): {e}",
                    listen.addr
                ));
            })?;
        let local = listener
            .local_addr()
            .map_err(|e| fail(&format_args!("admin listener: {e}")))?;
        println!(
            "admin: {}://{local}",
            if listen.tls { "https" } else { "http" }
        );
        let mut stop = stop.clone();
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let tls = if listen.tls { tls.clone() } else { None };
        tokio::spawn(mtls_admin::serve(listener, admin.clone(), tls, shutdown));
        addrs.push(local);
    }
    if !addrs.is_empty() {
        tracing::info!(target: "mtls::serve", "Admin API on {}", addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
    }
    Ok(addrs)
}

/// The database was down at start (the local snapshot serves): tries again, with pauses
/// doubling from 1 s to 30 s, until it answers; then the Admin API opens (the database's
/// configuration swapped in), listens and follows, and the local snapshot is kept written.
pub(crate) fn open_later(
    args: Args,
    node: NodeSettings,
    gateway: Arc<Gateway>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let mut pause = std::time::Duration::from_secs(1);
        loop {
            let mut stopping = stop.clone();
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => return,
                () = tokio::time::sleep(pause) => {}
            }
            match open(&node, &gateway).await {
                Ok(admin) => {
                    tracing::info!(target: "mtls::serve", "the database answers: its configuration serves now");
                    if listen(&args, &node, &admin, &stop).await.is_err() {
                        tracing::error!(target: "mtls::serve", "the Admin API could not listen; the node serves without it");
                    }
                    follow(&admin, &node, &stop);
                    if let Some(path) = &node.snapshot_file {
                        super::local_snapshot::keep_written(
                            Arc::clone(&gateway),
                            admin.clone(),
                            path.clone(),
                            stop.clone(),
                        );
                    }
                    let _ = gateway.admin.set(admin);
                    return;
                }
                Err(OpenError::Unavailable) => {
                    pause = (pause * 2).min(std::time::Duration::from_secs(30));
                }
                Err(OpenError::Failed) => {
                    tracing::error!(target: "mtls::serve", "the database answers but cannot be served; the local snapshot keeps serving");
                    return;
                }
            }
        }
    });
}
