//! A log-bucketed latency histogram: exact below 256 ns, then 128 buckets per power of two
//! (every recorded value is within 0.8 % of its bucket's midpoint). Each client task keeps its
//! own and they are merged at the end.

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 7;
/// `2^SUB_BITS`.
const SUB: u64 = 1 << SUB_BITS;
/// Values below this are their own bucket.
const EXACT: u64 = SUB << 1;
/// Enough buckets for any `u64`.
const BUCKETS: usize = ((64 - SUB_BITS as usize) * SUB as usize) + SUB as usize;

/// Latencies in nanoseconds.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .field("max", &self.max)
            .finish()
    }
}

fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros();
    let shift = exp - SUB_BITS;
    let top = v >> shift;
    (u64::from(shift) * SUB + top) as usize
}

/// The midpoint of bucket `i`.
fn value(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let shift = i / SUB - 1;
    let top = i - shift * SUB;
    let low = top << shift;
    let width = 1u64 << shift;
    low + width / 2
}

impl Histogram {
    /// An empty histogram.
    pub(crate) fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            max: 0,
        }
    }

    /// Records one latency.
    pub(crate) fn record(&mut self, nanos: u64) {
        if let Some(c) = self.counts.get_mut(index(nanos)) {
            *c += 1;
        }
        self.total += 1;
        self.sum += u128::from(nanos);
        self.max = self.max.max(nanos);
    }

    /// Adds another histogram's counts.
    pub(crate) fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    pub(crate) fn count(&self) -> u64 {
        self.total
    }

    /// The `q` quantile (0..=1) in nanoseconds; 0 when empty.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value(i).min(self.max);
            }
        }
        self.max
    }

    /// The mean in nanoseconds; 0 when empty.
    pub(crate) fn mean(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            (self.sum / u128::from(self.total)) as u64
        }
    }

    /// The largest value recorded.
    pub(crate) fn max(&self) -> u64 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_tight() {
        let mut last = 0;
        for v in (0..1_000_000u64).chain([u64::MAX / 2, u64::MAX]) {
            let i = index(v);
            assert!(i >= last && i < BUCKETS, "{v}");
            last = i;
            let mid = value(i);
            let err = mid.abs_diff(v) as f64 / (v.max(1)) as f64;
            assert!(err <= 0.008, "{v} -> {mid}");
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.01);
        let p999 = h.quantile(0.999) as f64;
        assert!((p999 - 999_000.0).abs() / 999_000.0 < 0.01);
        assert_eq!(h.quantile(1.0), 1_000_000);
    }
}
