//! What the Admin API tests share: a node that compiles by validating (the SNI map, the
//! certificates' keys), a real loopback server, real curl, real certificates.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use mtls_admin::{Admin, AdminSettings, AdminTls, Node, NodeStatus, Prepared};
use mtls_kong_config::{Config, Loader};
use mtls_store::Store;
use serde_json::Value;

/// What the validating node compiled: the configuration and its SNI map.
pub struct Compiled {
    pub config: Config,
    pub sni: mtls_sni::SniMap,
}

/// A node that prepares by validating what the gateway's compile needs: the SNI map of
/// routes and certificate-requesting plugins, every certificate's chain and key, a trust
/// store per mtls-auth instance; optionally a capacity (a node refusing more routes).
#[derive(Default)]
pub struct ValidatingNode {
    pub served: ArcSwap<Option<Config>>,
    pub version: AtomicU64,
    pub prepares: AtomicU64,
    pub max_routes: Option<usize>,
}

impl ValidatingNode {
    pub fn with_max_routes(max: usize) -> Self {
        Self {
            max_routes: Some(max),
            ..Self::default()
        }
    }

    pub fn served(&self) -> Config {
        self.served
            .load()
            .as_ref()
            .clone()
            .expect("a configuration was swapped in")
    }
}

impl Node for ValidatingNode {
    fn prepare(&self, config: &Config) -> Result<Prepared, String> {
        self.prepares.fetch_add(1, Ordering::Relaxed);
        if let Some(max) = self.max_routes
            && config.routes().len() > max
        {
            return Err(format!("this node serves at most {max} routes"));
        }
        let (routes, plugins) = config.sni_map_input();
        let sni = mtls_sni::SniMap::build(&routes, &plugins).map_err(|e| e.to_string())?;
        for cert in config.certificates() {
            cert.chain_and_key()?;
        }
        for plugin in config.plugins() {
            if let Some(auth) = plugin.config.auth() {
                mtls_cert::CaSet::from_ids(config.trust_store(), &auth.ca_certificates)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(Prepared::new(Compiled {
            config: config.clone(),
            sni,
        }))
    }

    fn swap(&self, prepared: Prepared) -> u64 {
        if let Ok(compiled) = prepared.downcast::<Compiled>() {
            self.served.store(Arc::new(Some(compiled.config)));
        }
        self.version.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn status(&self) -> NodeStatus {
        NodeStatus::new(self.version.load(Ordering::Relaxed), 0)
    }
}

/// A fresh directory under the system's temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtls-admin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("mtls.db").display())
}

/// A running Admin API: its address, its node, and a way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub admin: Admin,
    pub node: Arc<ValidatingNode>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

pub async fn start(admin: Admin, node: Arc<ValidatingNode>, tls: Option<AdminTls>) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = admin.clone();
    let task = tokio::spawn(async move {
        let _ = mtls_admin::serve(listener, served, tls, async {
            let _ = stopped.await;
        })
        .await;
    });
    Running {
        addr,
        admin,
        node,
        stop: Some(stop),
        task: Some(task),
    }
}

/// An Admin API on a SQLite file in `dir`, served on loopback.
pub async fn start_sqlite(dir: &Path) -> Running {
    start_sqlite_with(
        dir,
        Arc::new(ValidatingNode::default()),
        AdminSettings::default(),
    )
    .await
}

pub async fn start_sqlite_with(
    dir: &Path,
    node: Arc<ValidatingNode>,
    settings: AdminSettings,
) -> Running {
    let store = Store::open(&sqlite_url(dir)).await.expect("store");
    let admin = Admin::with_database(store, Loader::new(), node.clone(), settings)
        .await
        .expect("admin");
    start(admin, node, None).await
}

/// Runs curl (the real one) with `args`; the status and the body as JSON (Null if none).
pub fn curl(args: &[&str]) -> (u16, Value) {
    let output = Command::new("curl")
        .args(["-s", "-S", "--max-time", "20", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    assert!(output.status.success(), "curl failed: {output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let (body, status) = text.rsplit_once('\n').expect("status line");
    let status: u16 = status.trim().parse().expect("status");
    let body = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
    };
    (status, body)
}

/// curl in a blocking thread (the server runs on this runtime).
pub async fn curl_async(args: Vec<String>) -> (u16, Value) {
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        curl(&refs)
    })
    .await
    .expect("curl task")
}

/// Certificates as the tutorials use them, written as PEM files.
pub struct Pki {
    pub dir: PathBuf,
    pub root: PathBuf,
    pub intermediate: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub leaf_not_ca: PathBuf,
    pub root_pem: String,
}

/// The tutorials' PKI (mtls-test-pki's builders): a root, an intermediate, and a client
/// certificate with CN kongclient and an email SAN, issued by the intermediate.
pub fn pki(dir: &Path) -> Pki {
    let root = mtls_test_pki::Node::root("mtls test root");
    let intermediate = root.intermediate("mtls test intermediate");
    let client = intermediate.client("kongclient", Some("client@example.test"), false);
    let files = [
        ("root.crt", root.pem()),
        ("intermediate.crt", intermediate.pem()),
        ("client.crt", client.pem()),
        ("client.key", client.key_pem()),
    ];
    for (name, pem) in &files {
        std::fs::write(dir.join(name), pem).expect("write pem");
    }
    Pki {
        dir: dir.to_owned(),
        root: dir.join("root.crt"),
        intermediate: dir.join("intermediate.crt"),
        client_cert: dir.join("client.crt"),
        client_key: dir.join("client.key"),
        leaf_not_ca: dir.join("client.crt"),
        root_pem: root.pem(),
    }
}

pub fn s(path: &Path) -> String {
    path.display().to_string()
}
