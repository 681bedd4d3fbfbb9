//! A set of small integers (0..=255) in four machine words: the lengths of the suffix and
//! prefix keys, tested before hashing a candidate.

/// A set of integers 0..=255, as a 256-bit bitmap. Values above 255 are never members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SmallSet([u64; 4]);

impl SmallSet {
    /// Adds `value` (ignored above 255).
    #[inline]
    pub(crate) fn insert(&mut self, value: usize) {
        if let Some(word) = self.0.get_mut(value >> 6) {
            *word |= 1 << (value & 63);
        }
    }

    /// Whether `value` is in the set.
    #[inline]
    pub(crate) fn contains(&self, value: usize) -> bool {
        self.0
            .get(value >> 6)
            .is_some_and(|word| word & (1 << (value & 63)) != 0)
    }

    /// Whether the set is empty.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_and_contains() {
        let mut set = SmallSet::default();
        assert!(set.is_empty());
        let values = [0, 1, 63, 64, 127, 128, 200, 253, 255];
        for v in values {
            assert!(!set.contains(v));
            set.insert(v);
            assert!(set.contains(v));
        }
        set.insert(256);
        assert!(!set.contains(256));
        assert!(!set.contains(usize::MAX));
        assert!(!set.contains(2));
        assert!(!set.is_empty());
        for v in 0..300 {
            assert_eq!(set.contains(v), values.contains(&v), "{v}");
        }
    }
}
