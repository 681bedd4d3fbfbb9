//! Following the database: a node applies what other nodes commit, as its own writes are
//! applied (compiled, then swapped; on a compile failure the running configuration keeps
//! serving). PostgreSQL announces every commit (`LISTEN`), so a change reaches every node in
//! milliseconds; a poll of the change log every `poll` interval catches anything missed, and
//! a lost connection is caught up as soon as it is back. SQLite is polled.

use std::future::Future;
use std::time::Duration;

use hyper::StatusCode;
use mtls_store::{ChangeFeed, Signal};
use tokio::time::Instant;

use crate::admin::{Admin, Mode};
use crate::error::ApiError;

/// How [`Admin::follow`] follows the database.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FollowSettings {
    /// How often the change log is read even without an announcement (Kong's
    /// `db_update_frequency`, default 5 s).
    pub poll: Duration,
    /// The longest pause between attempts to listen again after the database went away
    /// (pauses double from 100 ms up to it; default 5 s).
    pub max_backoff: Duration,
}

impl Default for FollowSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(5),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// What the loop remembers between events, so that an outage or a refused change is logged
/// once, not at every poll.
#[derive(Default)]
struct State {
    unreachable: bool,
    refused: Option<String>,
}

impl Admin {
    /// Applies other nodes' commits until `shutdown` completes (database mode; in DB-less
    /// mode it returns at once). Outages are survived: the last configuration keeps serving,
    /// writes answer 503, and the node catches up when the database is back; the node hears
    /// of it through [`crate::Node::database_reachable`]. A change the node cannot compile
    /// is refused ([`crate::Node::reload_refused`]) and retried at each later change.
    pub async fn follow(&self, settings: FollowSettings, shutdown: impl Future<Output = ()>) {
        let Mode::Database(store) = &self.inner.mode else {
            return;
        };
        let db = std::sync::Arc::clone(store.database());
        tokio::pin!(shutdown);
        let mut state = State::default();
        let mut feed: Option<Box<dyn ChangeFeed>> = None;
        let mut announces = true;
        let mut backoff = Duration::from_millis(100);
        let mut listen_at = Instant::now();
        let mut ticker = tokio::time::interval(settings.poll.max(Duration::from_millis(10)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if announces && feed.is_none() && Instant::now() >= listen_at {
                match db.subscribe().await {
                    Ok(Some(f)) => {
                        tracing::info!(
                            location = db.location(),
                            "listening for other nodes' changes"
                        );
                        feed = Some(f);
                        backoff = Duration::from_millis(100);
                        // Anything committed while not listening.
                        self.catch_up_logged(&mut state).await;
                    }
                    Ok(None) => announces = false,
                    Err(e) => {
                        self.unreachable(&mut state, &e.to_string());
                        listen_at = Instant::now() + backoff;
                        backoff = (backoff * 2).min(settings.max_backoff);
                    }
                }
            }
            let retry_listen = announces && feed.is_none();
            let wait_listen = tokio::time::sleep_until(listen_at);
            tokio::select! {
                () = &mut shutdown => return,
                _ = ticker.tick() => self.catch_up_logged(&mut state).await,
                () = wait_listen, if retry_listen => {}
                signal = next(&mut feed) => match signal {
                    Ok(Signal::Committed | Signal::Lost) => self.catch_up_logged(&mut state).await,
                    Ok(_) => {}
                    Err(e) => {
                        self.unreachable(&mut state, &e.to_string());
                        feed = None;
                        listen_at = Instant::now() + backoff;
                        backoff = (backoff * 2).min(settings.max_backoff);
                    }
                },
            }
        }
    }

    /// [`Admin::refresh`], with its outcome logged once per state change.
    async fn catch_up_logged(&self, state: &mut State) {
        match self.refresh().await {
            Ok(_) => {
                if state.unreachable {
                    tracing::info!("the database answers again: caught up");
                }
                state.unreachable = false;
                state.refused = None;
                self.inner.node.database_reachable(true);
            }
            Err(e) if e.status() == StatusCode::BAD_REQUEST => {
                let reason = message(&e);
                if state.refused.as_deref() != Some(reason.as_str()) {
                    tracing::error!(%reason, "another node's change cannot be served here: the running configuration keeps serving");
                    self.inner.node.reload_refused(&reason);
                    state.refused = Some(reason);
                }
            }
            Err(e) => self.unreachable(state, &message(&e)),
        }
    }

    fn unreachable(&self, state: &mut State, reason: &str) {
        if !state.unreachable {
            tracing::warn!(
                %reason,
                "the database cannot be reached: serving the last configuration, writes answer 503"
            );
        }
        state.unreachable = true;
        self.inner
            .reachable
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.inner.node.database_reachable(false);
    }
}

/// The next announcement, or never when there is no feed.
async fn next(feed: &mut Option<Box<dyn ChangeFeed>>) -> Result<Signal, mtls_store::StoreError> {
    match feed {
        Some(f) => f.next().await,
        None => std::future::pending().await,
    }
}

/// An error's message, with the internal detail when there is one (for the log).
fn message(error: &ApiError) -> String {
    match error {
        ApiError::Internal { detail, .. } => detail.clone(),
        other => other.body()["message"]
            .as_str()
            .map_or_else(|| other.body().to_string(), str::to_owned),
    }
}
