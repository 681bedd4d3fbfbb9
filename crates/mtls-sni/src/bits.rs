//! A set of small integers (0..=255) in four machine words. It holds the lengths of the suffix
//! and prefix keys, and the positions of a name's dots; the lookup combines the two with a
//! shift and an AND to find, without hashing, the only positions where a key could match.

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

    /// Adds `8 * k + i` for every bit `i` of `bits` (ignored above 255).
    #[inline]
    pub(crate) fn insert_byte(&mut self, k: usize, bits: u8) {
        if let Some(word) = self.0.get_mut(k >> 3) {
            *word |= u64::from(bits) << ((k & 7) * 8);
        }
    }

    /// Whether `value` is in the set.
    #[cfg(test)]
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

    /// `{255 - v : v in self}`.
    pub(crate) fn reversed(&self) -> SmallSet {
        let [a, b, c, d] = self.0;
        SmallSet([
            d.reverse_bits(),
            c.reverse_bits(),
            b.reverse_bits(),
            a.reverse_bits(),
        ])
    }

    /// `{v - by : v in self, v >= by}`; `by` at most 255 (taken modulo 256).
    #[inline]
    pub(crate) fn shifted_down(&self, by: usize) -> SmallSet {
        let words = (by >> 6) & 3;
        let bits = (by & 63) as u32;
        let [a, b, c, d] = self.0;
        let ext = [a, b, c, d, 0, 0, 0, 0];
        let mut out = [0u64; 4];
        for (i, slot) in out.iter_mut().enumerate() {
            let low = ext[(i + words) & 7];
            let high = ext[(i + words + 1) & 7];
            // `(high << 1) << (63 - bits)` is `high << (64 - bits)`, and 0 when `bits` is 0.
            *slot = (low >> bits) | ((high << 1) << (63 - bits));
        }
        SmallSet(out)
    }

    /// The intersection.
    #[inline]
    pub(crate) fn and(&self, other: &SmallSet) -> SmallSet {
        let mut out = self.0;
        for (a, b) in out.iter_mut().zip(other.0) {
            *a &= b;
        }
        SmallSet(out)
    }

    /// The union.
    #[inline]
    pub(crate) fn or(&self, other: &SmallSet) -> SmallSet {
        let mut out = self.0;
        for (a, b) in out.iter_mut().zip(other.0) {
            *a |= b;
        }
        SmallSet(out)
    }

    /// The members `from <= v < to`.
    #[inline]
    pub(crate) fn within(&self, from: usize, to: usize) -> SmallSet {
        let mut out = self.0;
        for (i, word) in out.iter_mut().enumerate() {
            let base = i * 64;
            *word &= below(to.saturating_sub(base)) & !below(from.saturating_sub(base));
        }
        SmallSet(out)
    }

    /// Removes and returns the smallest member.
    #[inline]
    pub(crate) fn pop_lowest(&mut self) -> Option<usize> {
        for (i, word) in self.0.iter_mut().enumerate() {
            if *word != 0 {
                let bit = word.trailing_zeros() as usize;
                *word &= *word - 1;
                return Some(i * 64 + bit);
            }
        }
        None
    }

    /// Removes and returns the largest member.
    #[inline]
    pub(crate) fn pop_highest(&mut self) -> Option<usize> {
        for (i, word) in self.0.iter_mut().enumerate().rev() {
            if *word != 0 {
                let bit = 63 - word.leading_zeros() as usize;
                *word &= !(1 << bit);
                return Some(i * 64 + bit);
            }
        }
        None
    }
}

/// The bits below `n` of a word (all of them from 64 on).
#[inline]
fn below(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

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

    fn set_of(values: &BTreeSet<usize>) -> SmallSet {
        let mut set = SmallSet::default();
        for &v in values {
            set.insert(v);
        }
        set
    }

    fn members(mut set: SmallSet) -> Vec<usize> {
        std::iter::from_fn(|| set.pop_lowest()).collect()
    }

    proptest! {
        #[test]
        fn operations_match_btreeset(
            a in prop::collection::btree_set(0usize..256, 0..40),
            b in prop::collection::btree_set(0usize..256, 0..40),
            by in 0usize..256,
            from in 0usize..300,
            to in 0usize..300,
            k in 0usize..34,
            byte in any::<u8>(),
        ) {
            let (sa, sb) = (set_of(&a), set_of(&b));
            let expect = |s: BTreeSet<usize>| s.into_iter().collect::<Vec<_>>();
            prop_assert_eq!(members(sa), expect(a.clone()));
            prop_assert_eq!(members(sa.reversed()), expect(a.iter().map(|v| 255 - v).collect()));
            prop_assert_eq!(
                members(sa.shifted_down(by)),
                expect(a.iter().filter(|&&v| v >= by).map(|v| v - by).collect())
            );
            prop_assert_eq!(members(sa.and(&sb)), expect(a.intersection(&b).copied().collect()));
            prop_assert_eq!(members(sa.or(&sb)), expect(a.union(&b).copied().collect()));
            prop_assert_eq!(
                members(sa.within(from, to)),
                expect(a.iter().copied().filter(|v| from <= *v && *v < to).collect())
            );
            let mut down = sa;
            let descending: Vec<usize> = std::iter::from_fn(|| down.pop_highest()).collect();
            prop_assert_eq!(descending, a.iter().rev().copied().collect::<Vec<_>>());
            let mut with_byte = sa;
            with_byte.insert_byte(k, byte);
            let mut expected = a.clone();
            expected.extend((0..8).filter(|i| byte & (1 << i) != 0).map(|i| 8 * k + i).filter(|v| *v < 256));
            prop_assert_eq!(members(with_byte), expect(expected));
        }
    }
}
