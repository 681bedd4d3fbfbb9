//! `--watch`: reload when the configuration file or directory changes, without a signal (a
//! Kubernetes ConfigMap volume changes by swapping its `..data` symlink). Changes are
//! debounced, and each reload is applied as a SIGHUP reload is: whole, or refused with the
//! running configuration kept.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::Gateway;

/// How long changes must settle before a reload.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Watches `path` (its directory, so that a swapped symlink or a replaced file is seen) and
/// reloads `gateway` on changes until the returned watcher is dropped.
pub(crate) fn start(
    path: &Path,
    gateway: Arc<Gateway>,
) -> Result<notify::RecommendedWatcher, String> {
    let watched: PathBuf = if path.is_dir() {
        path.to_owned()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    };
    let (events, mut changed) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = events.send(());
        }
    })
    .map_err(|e| format!("cannot watch {}: {e}", watched.display()))?;
    watcher
        .watch(&watched, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", watched.display()))?;
    tracing::info!(target: "mtls::serve", path = %watched.display(), "watching the configuration for changes");
    tokio::spawn(async move {
        while changed.recv().await.is_some() {
            // Settle: a ConfigMap update is several events in a row.
            loop {
                match tokio::time::timeout(DEBOUNCE, changed.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            let gateway = Arc::clone(&gateway);
            let _ = tokio::task::spawn_blocking(move || gateway.reload_if_changed()).await;
        }
    });
    Ok(watcher)
}
