//! Concurrent callers asking for the same key share one computation.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

/// Concurrent [`SingleFlight::run`] calls with one key share the first caller's computation;
/// a finished computation is forgotten (results are cached elsewhere, or not at all). If the
/// caller computing is cancelled, a waiting caller takes over. The map holds only keys being
/// computed now, so it is bounded by the number of callers in flight.
#[derive(Debug)]
pub(crate) struct SingleFlight<K, V> {
    flights: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> SingleFlight<K, V> {
    /// The value for `key`: computed by `compute`, or by the concurrent caller already
    /// computing it. The flag says whether this call computed it.
    pub(crate) async fn run<F, Fut>(&self, key: K, compute: F) -> (V, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(flights.entry(key.clone()).or_default())
        };
        // Leaves the map clean however this call ends, cancellation included.
        let _leave = Leave {
            flights: self,
            key,
            cell: Arc::clone(&cell),
        };
        let mut computed = false;
        let value = cell
            .get_or_init(|| {
                computed = true;
                compute()
            })
            .await
            .clone();
        (value, computed)
    }
    /// How many keys are being computed now.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Removes a flight's entry when its value is set, or when no other caller waits on it.
struct Leave<'a, K: Hash + Eq, V> {
    flights: &'a SingleFlight<K, V>,
    key: K,
    cell: Arc<OnceCell<V>>,
}

impl<K: Hash + Eq, V> Drop for Leave<'_, K, V> {
    fn drop(&mut self) {
        let mut flights = self
            .flights
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Holders: the map, this guard and the caller's own handle.
        let last = Arc::strong_count(&self.cell) <= 3;
        if flights
            .get(&self.key)
            .is_some_and(|c| Arc::ptr_eq(c, &self.cell))
            && (self.cell.initialized() || last)
        {
            flights.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_computation() {
        let flights = Arc::new(SingleFlight::<u32, u32>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (flights, runs) = (Arc::clone(&flights), Arc::clone(&runs));
            tasks.push(tokio::spawn(async move {
                flights
                    .run(7, || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        42
                    })
                    .await
            }));
        }
        let mut computed = 0;
        for task in tasks {
            let (value, did) = task.await.unwrap();
            assert_eq!(value, 42);
            computed += usize::from(did);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(computed, 1);
        assert_eq!(flights.in_flight(), 0, "finished flights are forgotten");
    }

    #[tokio::test]
    async fn other_keys_do_not_wait() {
        let flights = Arc::new(SingleFlight::<u32, u32>::default());
        let slow = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move {
                flights
                    .run(1, || async {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        1
                    })
                    .await
            })
        };
        tokio::task::yield_now().await;
        let fast = tokio::time::timeout(Duration::from_secs(5), flights.run(2, || async { 2 }))
            .await
            .unwrap();
        assert_eq!(fast, (2, true));
        slow.abort();
        let _ = slow.await;
        assert_eq!(
            flights.in_flight(),
            0,
            "a cancelled lone flight is forgotten"
        );
    }

    #[tokio::test]
    async fn a_cancelled_computation_is_taken_over() {
        let flights = Arc::new(SingleFlight::<u32, u32>::default());
        let first = {
            let flights = Arc::clone(&flights);
            tokio::spawn(async move {
                flights
                    .run(1, || async {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        1
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        first.abort();
        let _ = first.await;
        let second = tokio::time::timeout(Duration::from_secs(5), flights.run(1, || async { 9 }))
            .await
            .unwrap();
        assert_eq!(second, (9, true));
    }
}
