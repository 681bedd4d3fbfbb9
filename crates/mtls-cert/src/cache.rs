//! A bounded cache of chain-validation results (decisions.md item 12).
//!
//! Key: the presented chain, the CA set's identity and the options. The chain is hashed with
//! a randomly keyed hasher to find the entry, and the entry keeps the chain's bytes, which are
//! compared in full on every hit: a hash collision can only cost a miss, never return another
//! chain's result. An entry serves a lookup only while the lookup's time is within the path's
//! validity (latest notBefore to earliest notAfter) and before the entry's TTL runs out.
//! Only successes are cached; revocation is not part of the cached result.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pki_types::{CertificateDer, UnixTime};
use quick_cache::sync::Cache;

use crate::ca::{CaSet, CaSetId};
use crate::error::ValidationError;
use crate::options::ValidationOptions;
use crate::validate::{VerifiedChain, validate_chain};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    chain_hash: u64,
    cas: CaSetId,
    options_hash: u64,
}

struct Entry {
    chain: Vec<Vec<u8>>,
    options: ValidationOptions,
    result: VerifiedChain,
    valid_from: UnixTime,
    valid_until: UnixTime,
}

/// A bounded, thread-safe cache in front of [`validate_chain`].
///
/// ```
/// use std::time::Duration;
/// let cache = mtls_cert::ValidationCache::new(10_000, Duration::from_secs(300));
/// assert_eq!(cache.len(), 0);
/// ```
pub struct ValidationCache {
    entries: Cache<Key, Arc<Entry>>,
    ttl: Duration,
    hasher: RandomState,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for ValidationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidationCache")
            .field("len", &self.entries.len())
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl ValidationCache {
    /// A cache holding at most `capacity` results, each for at most `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Cache::new(capacity.max(1)),
            ttl,
            hasher: RandomState::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// How many validations were answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// How many validations had to validate the path.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// How many results are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no result is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every result (for instance when the CA store changes).
    pub fn clear(&self) {
        self.entries.clear();
    }

    fn key(
        &self,
        presented: &[CertificateDer<'_>],
        cas: &CaSet,
        options: &ValidationOptions,
    ) -> Key {
        let mut h = self.hasher.build_hasher();
        for der in presented {
            h.write_usize(der.len());
            h.write(der);
        }
        Key {
            chain_hash: h.finish(),
            cas: cas.id(),
            options_hash: self.hasher.hash_one(options),
        }
    }

    /// The cached result for this chain, if one is held and usable at `at`.
    pub fn get(
        &self,
        presented: &[CertificateDer<'_>],
        cas: &CaSet,
        options: &ValidationOptions,
        at: UnixTime,
    ) -> Option<VerifiedChain> {
        self.get_keyed(&self.key(presented, cas, options), presented, options, at)
    }

    fn get_keyed(
        &self,
        key: &Key,
        presented: &[CertificateDer<'_>],
        options: &ValidationOptions,
        at: UnixTime,
    ) -> Option<VerifiedChain> {
        let entry = self.entries.get(key)?;
        let same_chain = entry.chain.len() == presented.len()
            && entry
                .chain
                .iter()
                .zip(presented)
                .all(|(a, b)| a.as_slice() == b.as_ref());
        if !same_chain || entry.options != *options {
            return None;
        }
        if at < entry.valid_from || at > entry.valid_until {
            self.entries.remove(key);
            return None;
        }
        Some(entry.result.clone())
    }

    /// Validates through the cache: a hit skips path validation entirely; a miss validates
    /// and, on success, stores the result until the earlier of `at + ttl` and the path's
    /// earliest notAfter.
    pub fn validate(
        &self,
        presented: &[CertificateDer<'_>],
        cas: &CaSet,
        options: &ValidationOptions,
        at: UnixTime,
    ) -> Result<VerifiedChain, ValidationError> {
        // The key is computed once, for the lookup and the insertion.
        let key = self.key(presented, cas, options);
        if let Some(hit) = self.get_keyed(&key, presented, options, at) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let result = validate_chain(presented, cas, options, at)?;
        let ttl_end =
            UnixTime::since_unix_epoch(Duration::from_secs(at.as_secs()).saturating_add(self.ttl));
        let entry = Entry {
            chain: presented.iter().map(|d| d.as_ref().to_vec()).collect(),
            options: options.clone(),
            valid_from: result.not_before(),
            valid_until: ttl_end.min(result.not_after()),
            result: result.clone(),
        };
        self.entries.insert(key, Arc::new(entry));
        Ok(result)
    }
}
