//! The compiled, immutable configuration and the handle that swaps it atomically.
//!
//! A request takes one [`Snapshot`] (an `Arc`) at its start and uses it to the end, whatever
//! reloads happen meanwhile (decisions.md item 11). A reload builds a whole new snapshot first;
//! if building fails, the running snapshot is untouched and the error is returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use mtls_header::TrustedIps;

use crate::compile::CompiledRoute;
use crate::decision::Decider;
use crate::handshake::HandshakeConfigs;
use crate::router::Router;

/// What a snapshot's caches did ([`Snapshot::cache_stats`]). Validation counts start at 0
/// with each snapshot; the revocation caches outlive reloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Chain validations answered from the validation cache.
    pub validation_hits: u64,
    /// Chain validations that validated the path.
    pub validation_misses: u64,
    /// Revocation answers held.
    pub revocation_answers: usize,
    /// Fetched CRLs held.
    pub revocation_crls: usize,
}

/// One compiled configuration: everything a handshake or a request needs, immutable. Built by
/// [`Snapshot::compile`]; asked for each request's [`Plan`](crate::Plan) with
/// [`Snapshot::plan`].
#[derive(Debug)]
pub struct Snapshot {
    version: u64,
    pub(crate) handshake: HandshakeConfigs,
    pub(crate) router: Router,
    /// By the router's positions.
    pub(crate) routes: Vec<CompiledRoute>,
    pub(crate) decider: Decider,
    /// Kong's `trusted_ips`: peers whose `X-Forwarded-*` headers are kept.
    pub(crate) trusted_ips: TrustedIps,
}

impl Snapshot {
    pub(crate) fn from_parts(
        version: u64,
        handshake: HandshakeConfigs,
        router: Router,
        routes: Vec<CompiledRoute>,
        decider: Decider,
        trusted_ips: TrustedIps,
    ) -> Self {
        Self {
            version,
            handshake,
            router,
            routes,
            decider,
            trusted_ips,
        }
    }

    /// The snapshot's version (increases with every successful reload).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The per-ClientHello server configurations.
    pub fn handshake(&self) -> &HandshakeConfigs {
        &self.handshake
    }

    /// What the snapshot's caches did: for `/metrics`.
    pub fn cache_stats(&self) -> CacheStats {
        let (validation_hits, validation_misses) = self.decider.validation_stats();
        let revocation = self.decider.revocation();
        CacheStats {
            validation_hits,
            validation_misses,
            revocation_answers: revocation.cached_answers(),
            revocation_crls: revocation.cached_crls(),
        }
    }

    /// The router (for embedders routing themselves, and diagnostics).
    pub fn router(&self) -> &Router {
        &self.router
    }
}

/// Holds the current [`Snapshot`] and swaps it atomically.
///
/// ```
/// use mtls_gateway::SnapshotHandle;
/// # fn build(version: u64) -> Result<mtls_gateway::Snapshot, String> {
/// #     Err(format!("no configuration for version {version}"))
/// # }
/// // A failed build leaves nothing swapped (here there is nothing yet: `new` needs a first
/// // snapshot, so a real program builds one before creating the handle).
/// let err = SnapshotHandle::try_new(build).unwrap_err();
/// assert_eq!(err, "no configuration for version 1");
/// ```
#[derive(Debug)]
pub struct SnapshotHandle {
    current: ArcSwap<Snapshot>,
    versions: AtomicU64,
    /// Serialises reloads, so snapshots are stored in version order.
    reloading: std::sync::Mutex<()>,
}

impl SnapshotHandle {
    /// The current snapshot's version.
    pub fn version(&self) -> u64 {
        self.current.load().version()
    }

    /// A handle whose first snapshot is built by `build(1)`.
    pub fn try_new<E>(build: impl FnOnce(u64) -> Result<Snapshot, E>) -> Result<Self, E> {
        let first = build(1)?;
        Ok(Self {
            current: ArcSwap::from_pointee(first),
            versions: AtomicU64::new(1),
            reloading: std::sync::Mutex::new(()),
        })
    }

    /// A handle serving `first`, whichever its version; the next build gets the version after
    /// it. A node that must exist before its first configuration is read (the Admin API
    /// compiles that one) starts from an empty configuration compiled as version 0.
    pub fn new(first: Snapshot) -> Self {
        let version = first.version();
        Self {
            current: ArcSwap::from_pointee(first),
            versions: AtomicU64::new(version),
            reloading: std::sync::Mutex::new(()),
        }
    }

    /// The current snapshot. Cheap; hold it for the whole request.
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Builds a new snapshot with the next version and swaps it in. On error nothing changes
    /// and the running snapshot keeps serving (the version number is not reused). Reloads
    /// run one at a time; requests keep loading the current snapshot meanwhile.
    pub fn reload<E>(&self, build: impl FnOnce(u64) -> Result<Snapshot, E>) -> Result<u64, E> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.versions.fetch_add(1, Ordering::SeqCst) + 1;
        let next = build(version)?;
        self.current.store(Arc::new(next));
        Ok(version)
    }

    /// Builds the next snapshot without swapping it in yet: the first half of a change that
    /// must also commit elsewhere first (the Admin API commits its database transaction
    /// between the two). Reloads stay serialised while the [`Prepared`] lives; dropping it
    /// discards the snapshot and nothing changes.
    pub fn prepare<E>(
        &self,
        build: impl FnOnce(u64) -> Result<Snapshot, E>,
    ) -> Result<Prepared<'_>, E> {
        let guard = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.versions.fetch_add(1, Ordering::SeqCst) + 1;
        let next = build(version)?;
        Ok(Prepared {
            handle: self,
            next: Arc::new(next),
            _guard: guard,
        })
    }
}

impl SnapshotHandle {
    /// Builds a snapshot with the next version number and hands it back unswapped: for a
    /// change that is built on one thread and committed elsewhere before
    /// [`install`](Self::install) swaps it in on another (the Admin API compiles on a
    /// blocking thread, commits its database transaction, then swaps). On error nothing
    /// changes (the version number is not reused).
    pub fn build_next<E>(
        &self,
        build: impl FnOnce(u64) -> Result<Snapshot, E>,
    ) -> Result<Snapshot, E> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.versions.fetch_add(1, Ordering::SeqCst) + 1;
        build(version)
    }

    /// Swaps in a snapshot from [`build_next`](Self::build_next), unless a newer one already
    /// serves (then it is dropped: snapshots never go back in version). The version serving.
    pub fn install(&self, snapshot: Snapshot) -> u64 {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let serving = self.current.load().version();
        if snapshot.version() <= serving {
            return serving;
        }
        let version = snapshot.version();
        self.current.store(Arc::new(snapshot));
        version
    }
}

/// A snapshot built by [`SnapshotHandle::prepare`], swapped in by [`Prepared::commit`].
#[must_use = "a prepared snapshot does nothing until it is committed"]
pub struct Prepared<'h> {
    handle: &'h SnapshotHandle,
    next: Arc<Snapshot>,
    _guard: std::sync::MutexGuard<'h, ()>,
}

impl std::fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("version", &self.next.version())
            .finish_non_exhaustive()
    }
}

impl Prepared<'_> {
    /// The snapshot that commit swaps in.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.next
    }

    /// Swaps the snapshot in; requests from now on use it. Returns its version.
    pub fn commit(self) -> u64 {
        let version = self.next.version();
        self.handle.current.store(self.next);
        version
    }
}
