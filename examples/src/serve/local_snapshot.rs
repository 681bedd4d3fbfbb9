//! The node's local copy of the configuration it serves from a database (PostgreSQL), as
//! Kong's LMDB cache: written (atomically, mode 0600: it holds private keys) after each
//! change, and served at start when the database cannot be reached. Without one, such a
//! start is refused.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mtls_kong_config::{Config, Loader};

use super::Gateway;

/// How often the served version is compared with the one last written.
const PERSIST_EVERY: Duration = Duration::from_secs(1);

/// Writes `config` to `path` (a temporary file renamed over it).
pub(crate) fn write(path: &Path, config: &Config) -> Result<(), String> {
    let text = serde_json::to_vec(&config.to_document())
        .map_err(|e| format!("cannot serialise the configuration: {e}"))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt as _;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?
    };
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads the configuration written by [`write`] (its CAs are not checked for expiry again,
/// as stored rows are not).
pub(crate) fn read(path: &Path, loader: &Loader) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    loader
        .clone()
        .stored(true)
        .load_str(&text)
        .map(|(config, _)| config)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the served configuration to `path` whenever its version changed, until `stop`.
pub(crate) fn keep_written(
    gateway: Arc<Gateway>,
    admin: mtls_admin::Admin,
    path: PathBuf,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let mut written = 0;
        let mut failing = false;
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                () = tokio::time::sleep(PERSIST_EVERY) => {}
            }
            let version = gateway.handle.version();
            if version == written {
                continue;
            }
            let config = admin.config();
            let target = path.clone();
            let result = tokio::task::spawn_blocking(move || write(&target, &config))
                .await
                .unwrap_or_else(|e| Err(format!("the write task failed: {e}")));
            match result {
                Ok(()) => {
                    written = version;
                    if failing {
                        tracing::info!(target: "mtls::serve", path = %path.display(), "local snapshot written again");
                    }
                    failing = false;
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(target: "mtls::serve", "local snapshot not written: {e}");
                    }
                    failing = true;
                }
            }
        }
    });
}
