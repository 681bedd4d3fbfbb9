//! A bounded cache in front of a slow [`ConsumerStore`] (a database), with Kong's `cache_ttl`
//! semantics: positive and negative answers are both kept for `cache_ttl`; errors never are.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::Equivalent;
use quick_cache::sync::{Cache, GuardResult};
use uuid::Uuid;

use crate::consumer::Consumer;
use crate::credentials::CredentialKind;
use crate::error::StoreError;
use crate::store::{ConsumerStore, CredentialMatch};

/// A source of monotonic time, so that expiry can be tested without sleeping.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock ([`Instant::now`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// Settings of a [`CachedStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheSettings {
    /// Kong's `cache_ttl`: how long an answer (found or not found) is kept. Default 60 s.
    /// Zero keeps answers until evicted, as Kong's cache does with a TTL of 0.
    pub ttl: Duration,
    /// How many answers are kept at most (approximately; the least useful are evicted first).
    /// Default 100,000; at least 1.
    pub capacity: usize,
}

impl CacheSettings {
    /// Settings with this TTL and capacity.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, capacity }
    }
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(60),
            capacity: 100_000,
        }
    }
}

/// A [`ConsumerStore`] that remembers another store's answers for `cache_ttl`.
///
/// Hits cost a hash probe on a borrowed key and allocate nothing; a miss allocates the owned
/// key once. Concurrent misses for one key load it once (the others wait for that answer), as
/// Kong's cache does. Store errors are returned and not cached.
pub struct CachedStore<S, C = SystemClock> {
    inner: S,
    cache: Cache<Key, Entry>,
    ttl: Option<Duration>,
    clock: C,
}

impl<S, C> std::fmt::Debug for CachedStore<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore")
            .field("entries", &self.cache.len())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<S: ConsumerStore> CachedStore<S> {
    /// A cache in front of `inner`, on the system clock.
    pub fn new(inner: S, settings: CacheSettings) -> Self {
        Self::with_clock(inner, settings, SystemClock)
    }
}

impl<S: ConsumerStore, C: Clock> CachedStore<S, C> {
    /// A cache in front of `inner`, reading time from `clock`.
    pub fn with_clock(inner: S, settings: CacheSettings, clock: C) -> Self {
        Self {
            inner,
            cache: Cache::new(settings.capacity.max(1)),
            ttl: (!settings.ttl.is_zero()).then_some(settings.ttl),
            clock,
        }
    }

    /// The store behind the cache.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// How many answers are cached now (expired ones included until they are looked up or
    /// evicted).
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.cache.len() == 0
    }

    /// Forgets every answer (for example when the configuration behind the store changes).
    pub fn clear(&self) {
        self.cache.clear();
    }

    fn lookup<T>(
        &self,
        key: KeyRef<'_>,
        load: impl FnOnce(&S) -> Result<T, StoreError>,
        wrap: fn(T) -> Value,
        unwrap: fn(&Value) -> Option<T>,
    ) -> Result<T, StoreError>
    where
        T: Clone,
    {
        let now = self.clock.now();
        if let Some(entry) = self.cache.get(&key) {
            if entry.is_fresh(now)
                && let Some(value) = unwrap(&entry.value)
            {
                return Ok(value);
            }
            self.cache.remove_if(&key, |e| !e.is_fresh(now));
        }

        let owned = key.to_key();
        let expires = self.ttl.and_then(|ttl| now.checked_add(ttl));
        match self.cache.get_value_or_guard(&owned, None) {
            GuardResult::Value(entry) if entry.is_fresh(now) => {
                if let Some(value) = unwrap(&entry.value) {
                    return Ok(value);
                }
                let value = load(&self.inner)?;
                Ok(value)
            }
            GuardResult::Guard(guard) => {
                // On error the guard is dropped unfilled: errors are not cached and a waiting
                // caller loads for itself.
                let value = load(&self.inner)?;
                let _ = guard.insert(Entry {
                    value: wrap(value.clone()),
                    expires,
                });
                Ok(value)
            }
            GuardResult::Value(_) | GuardResult::Timeout => {
                let value = load(&self.inner)?;
                self.cache.insert(
                    owned,
                    Entry {
                        value: wrap(value.clone()),
                        expires,
                    },
                );
                Ok(value)
            }
        }
    }
}

impl<S: ConsumerStore, C: Clock> ConsumerStore for CachedStore<S, C> {
    fn consumer_by_id(&self, id: Uuid) -> Result<Option<Arc<Consumer>>, StoreError> {
        self.lookup(
            KeyRef::Id(id),
            |s| s.consumer_by_id(id),
            Value::Consumer,
            Value::consumer,
        )
    }

    fn consumer_by_username(&self, username: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        self.lookup(
            KeyRef::Username(username),
            |s| s.consumer_by_username(username),
            Value::Consumer,
            Value::consumer,
        )
    }

    fn consumer_by_custom_id(&self, custom_id: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
        self.lookup(
            KeyRef::CustomId(custom_id),
            |s| s.consumer_by_custom_id(custom_id),
            Value::Consumer,
            Value::consumer,
        )
    }

    fn credential(
        &self,
        kind: CredentialKind,
        subject_name: &str,
        ca_certificate: Option<Uuid>,
    ) -> Result<Option<CredentialMatch>, StoreError> {
        self.lookup(
            KeyRef::Credential(kind, subject_name, ca_certificate),
            |s| s.credential(kind, subject_name, ca_certificate),
            Value::Credential,
            Value::credential,
        )
    }
}

#[derive(Clone)]
struct Entry {
    value: Value,
    /// `None`: never expires.
    expires: Option<Instant>,
}

impl Entry {
    fn is_fresh(&self, now: Instant) -> bool {
        self.expires.is_none_or(|expires| now < expires)
    }
}

#[derive(Clone)]
enum Value {
    Consumer(Option<Arc<Consumer>>),
    Credential(Option<CredentialMatch>),
}

impl Value {
    fn consumer(&self) -> Option<Option<Arc<Consumer>>> {
        match self {
            Self::Consumer(c) => Some(c.clone()),
            Self::Credential(_) => None,
        }
    }

    fn credential(&self) -> Option<Option<CredentialMatch>> {
        match self {
            Self::Credential(c) => Some(c.clone()),
            Self::Consumer(_) => None,
        }
    }
}

/// The owned cache key (allocated once, on a miss).
#[derive(Clone, PartialEq, Eq)]
enum Key {
    Id(Uuid),
    Username(Box<str>),
    CustomId(Box<str>),
    Credential(CredentialKind, Box<str>, Option<Uuid>),
}

/// The borrowed form of [`Key`], used to probe without allocating. Hashes exactly as `Key`.
#[derive(Clone, Copy)]
enum KeyRef<'a> {
    Id(Uuid),
    Username(&'a str),
    CustomId(&'a str),
    Credential(CredentialKind, &'a str, Option<Uuid>),
}

impl KeyRef<'_> {
    fn to_key(self) -> Key {
        match self {
            Self::Id(id) => Key::Id(id),
            Self::Username(v) => Key::Username(v.into()),
            Self::CustomId(v) => Key::CustomId(v.into()),
            Self::Credential(kind, name, ca) => Key::Credential(kind, name.into(), ca),
        }
    }
}

impl Key {
    fn as_ref(&self) -> KeyRef<'_> {
        match self {
            Self::Id(id) => KeyRef::Id(*id),
            Self::Username(v) => KeyRef::Username(v),
            Self::CustomId(v) => KeyRef::CustomId(v),
            Self::Credential(kind, name, ca) => KeyRef::Credential(*kind, name, *ca),
        }
    }
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Id(id) => {
                state.write_u8(0);
                id.hash(state);
            }
            Self::Username(v) => {
                state.write_u8(1);
                v.hash(state);
            }
            Self::CustomId(v) => {
                state.write_u8(2);
                v.hash(state);
            }
            Self::Credential(kind, name, ca) => {
                state.write_u8(3);
                kind.hash(state);
                name.hash(state);
                ca.hash(state);
            }
        }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_ref().hash(state);
    }
}

impl PartialEq for KeyRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Id(a), Self::Id(b)) => a == b,
            (Self::Username(a), Self::Username(b)) | (Self::CustomId(a), Self::CustomId(b)) => {
                a == b
            }
            (Self::Credential(ka, na, ca), Self::Credential(kb, nb, cb)) => {
                ka == kb && na == nb && ca == cb
            }
            _ => false,
        }
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        *self == key.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::InMemoryStore;
    use crate::credentials::Credential;

    /// A clock the test moves by hand.
    struct ManualClock {
        start: Instant,
        offset: Mutex<Duration>,
    }

    impl ManualClock {
        fn new() -> Self {
            Self {
                start: Instant::now(),
                offset: Mutex::new(Duration::ZERO),
            }
        }
        fn advance(&self, by: Duration) {
            let mut offset = self.offset.lock().unwrap();
            *offset += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            self.start + *self.offset.lock().unwrap()
        }
    }

    /// A store that counts its lookups, answers from a swappable in-memory store, and can be
    /// made to fail.
    struct CountingStore {
        inner: Mutex<Arc<InMemoryStore>>,
        calls: AtomicUsize,
        failing: std::sync::atomic::AtomicBool,
    }

    impl CountingStore {
        fn new(store: InMemoryStore) -> Self {
            Self {
                inner: Mutex::new(Arc::new(store)),
                calls: AtomicUsize::new(0),
                failing: false.into(),
            }
        }
        fn replace(&self, store: InMemoryStore) {
            *self.inner.lock().unwrap() = Arc::new(store);
        }
        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
        fn current(&self) -> Result<Arc<InMemoryStore>, StoreError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.failing.load(Ordering::SeqCst) {
                return Err(StoreError::backend(
                    crate::error::Lookup::ConsumerById(Uuid::nil()),
                    "database down",
                ));
            }
            Ok(Arc::clone(&self.inner.lock().unwrap()))
        }
    }

    impl ConsumerStore for CountingStore {
        fn consumer_by_id(&self, id: Uuid) -> Result<Option<Arc<Consumer>>, StoreError> {
            self.current()?.consumer_by_id(id)
        }
        fn consumer_by_username(&self, v: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
            self.current()?.consumer_by_username(v)
        }
        fn consumer_by_custom_id(&self, v: &str) -> Result<Option<Arc<Consumer>>, StoreError> {
            self.current()?.consumer_by_custom_id(v)
        }
        fn credential(
            &self,
            kind: CredentialKind,
            name: &str,
            ca: Option<Uuid>,
        ) -> Result<Option<CredentialMatch>, StoreError> {
            self.current()?.credential(kind, name, ca)
        }
    }

    fn store_with(username: &str) -> InMemoryStore {
        InMemoryStore::builder()
            .consumer(Consumer::with_username(Uuid::from_u128(1), username))
            .mtls_auth_credentials([Credential::new(
                Uuid::from_u128(10),
                Uuid::from_u128(1),
                "svc.test",
                None,
            )])
            .build()
            .unwrap()
    }

    fn cached(
        clock: &Arc<ManualClock>,
        ttl: Duration,
    ) -> CachedStore<CountingStore, Arc<ManualClock>> {
        CachedStore::with_clock(
            CountingStore::new(store_with("alice")),
            CacheSettings::new(ttl, 100),
            Arc::clone(clock),
        )
    }

    #[test]
    fn positive_and_negative_answers_live_for_the_ttl() {
        let clock = Arc::new(ManualClock::new());
        let store = cached(&clock, Duration::from_secs(60));

        assert!(store.consumer_by_username("alice").unwrap().is_some());
        assert!(store.consumer_by_username("bob").unwrap().is_none());
        assert_eq!(store.inner().calls(), 2);
        // Both answers, found and not found, are served from the cache.
        assert!(store.consumer_by_username("alice").unwrap().is_some());
        assert!(store.consumer_by_username("bob").unwrap().is_none());
        assert_eq!(store.inner().calls(), 2);

        // The backing data changes: the cache keeps answering as before until the TTL ends.
        store.inner().replace(store_with("bob"));
        clock.advance(Duration::from_secs(59));
        assert!(store.consumer_by_username("alice").unwrap().is_some());
        assert!(store.consumer_by_username("bob").unwrap().is_none());
        assert_eq!(store.inner().calls(), 2);

        clock.advance(Duration::from_secs(1));
        assert!(store.consumer_by_username("alice").unwrap().is_none());
        assert!(store.consumer_by_username("bob").unwrap().is_some());
        assert_eq!(store.inner().calls(), 4);
    }

    #[test]
    fn zero_ttl_never_expires() {
        let clock = Arc::new(ManualClock::new());
        let store = cached(&clock, Duration::ZERO);
        assert!(store.consumer_by_id(Uuid::from_u128(1)).unwrap().is_some());
        clock.advance(Duration::from_secs(1_000_000));
        assert!(store.consumer_by_id(Uuid::from_u128(1)).unwrap().is_some());
        assert_eq!(store.inner().calls(), 1);
    }

    #[test]
    fn errors_are_not_cached() {
        let clock = Arc::new(ManualClock::new());
        let store = cached(&clock, Duration::from_secs(60));
        store.inner().failing.store(true, Ordering::SeqCst);
        assert!(store.consumer_by_custom_id("x").is_err());
        assert!(store.consumer_by_custom_id("x").is_err());
        assert_eq!(store.inner().calls(), 2);
        store.inner().failing.store(false, Ordering::SeqCst);
        assert!(store.consumer_by_custom_id("x").unwrap().is_none());
        assert!(store.consumer_by_custom_id("x").unwrap().is_none());
        assert_eq!(store.inner().calls(), 3);
    }

    #[test]
    fn keys_of_different_kinds_do_not_collide() {
        let clock = Arc::new(ManualClock::new());
        let store = cached(&clock, Duration::from_secs(60));
        let hit = store
            .credential(CredentialKind::MtlsAuth, "svc.test", None)
            .unwrap();
        assert_eq!(hit.unwrap().credential_id, Uuid::from_u128(10));
        assert!(
            store
                .credential(CredentialKind::HeaderCertAuth, "svc.test", None)
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .credential(
                    CredentialKind::MtlsAuth,
                    "svc.test",
                    Some(Uuid::from_u128(5))
                )
                .unwrap()
                .is_none()
        );
        // "alice" as a custom_id is not "alice" as a username.
        assert!(store.consumer_by_username("alice").unwrap().is_some());
        assert!(store.consumer_by_custom_id("alice").unwrap().is_none());
        assert_eq!(store.inner().calls(), 5);
        assert_eq!(store.len(), 5);
        store.clear();
        assert!(store.is_empty());
    }

    #[test]
    fn size_is_bounded() {
        let clock = Arc::new(ManualClock::new());
        let store = CachedStore::with_clock(
            CountingStore::new(store_with("alice")),
            CacheSettings::new(Duration::from_secs(60), 50),
            Arc::clone(&clock),
        );
        for i in 0..10_000 {
            let _ = store.consumer_by_username(&format!("user-{i}")).unwrap();
        }
        assert!(store.len() <= 100, "{} entries", store.len());
    }

    #[test]
    fn borrowed_and_owned_keys_hash_alike() {
        let state = foldhash::fast::FixedState::with_seed(1);
        use std::hash::BuildHasher;
        for key in [
            KeyRef::Id(Uuid::from_u128(3)),
            KeyRef::Username("a"),
            KeyRef::CustomId("a"),
            KeyRef::Credential(CredentialKind::HeaderCertAuth, "a", Some(Uuid::nil())),
        ] {
            let owned = key.to_key();
            assert_eq!(state.hash_one(key), state.hash_one(&owned));
            assert!(key.equivalent(&owned));
        }
        assert!(!KeyRef::Username("a").equivalent(&Key::CustomId("a".into())));
    }
}
