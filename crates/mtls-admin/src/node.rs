//! The gateway node the Admin API changes: it compiles a configuration into what serves
//! requests ([`Node::prepare`]) and then switches to it ([`Node::swap`]). The binary
//! implements it with the real gateway; a write is committed only when `prepare` succeeded,
//! and answered only after `swap`.

use std::any::Any;

use mtls_kong_config::Config;

/// What [`Node::prepare`] built, opaque to the Admin API, handed back to [`Node::swap`].
pub struct Prepared(Box<dyn Any + Send>);

impl Prepared {
    /// Wraps the node's compiled value.
    pub fn new<T: Any + Send>(value: T) -> Self {
        Self(Box::new(value))
    }

    /// The value, when it is a `T`.
    pub fn downcast<T: Any>(self) -> Result<T, Self> {
        self.0.downcast::<T>().map(|b| *b).map_err(Self)
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prepared(..)")
    }
}

/// What a node reports about itself in `GET /status` and `GET /`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeStatus {
    /// The version of the configuration it serves (one more at each swap).
    pub config_version: u64,
    /// Reloads that failed to compile since the node started.
    pub failed_reloads: u64,
}

impl NodeStatus {
    /// A status at this configuration version.
    pub fn new(config_version: u64, failed_reloads: u64) -> Self {
        Self {
            config_version,
            failed_reloads,
        }
    }
}

/// A gateway node: compiles configurations and serves the last one swapped in.
///
/// `prepare` runs on a blocking thread (it may take tens of milliseconds for a large
/// configuration) and must not change what the node serves; `swap` must be quick.
pub trait Node: Send + Sync + 'static {
    /// Compiles `config` into what would serve it, or says why it cannot be served.
    fn prepare(&self, config: &Config) -> Result<Prepared, String>;

    /// Serves what `prepare` built from now on; the new configuration version.
    fn swap(&self, prepared: Prepared) -> u64;

    /// The node's status.
    fn status(&self) -> NodeStatus;

    /// Whether the database answers, as [`crate::Admin::follow`] finds out (for metrics).
    fn database_reachable(&self, reachable: bool) {
        let _ = reachable;
    }

    /// Another node's change could not be compiled here: the running configuration keeps
    /// serving (for metrics and `/status`).
    fn reload_refused(&self, reason: &str) {
        let _ = reason;
    }
}
